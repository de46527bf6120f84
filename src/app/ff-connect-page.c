/* FfConnectPage: follows the workflow through connect and identify, then shows what the identity
 * check read (FfIdentitySummary). A wrong terminal is a full stop with the workflow's reason and
 * those readings; a supervisor the task names may override it with the supervisor's PIN (checked
 * on the tablet, three attempts, see ff-supervisor.h) and a reason. */
#include "config.h"

#include "ff-connect-page.h"
#include "ff-workflow-watch.h"

#include <glib/gi18n-lib.h>

#include "ff-identity-summary.h"
#include "ff-supervisor.h"
#include "ff-supervisor-dialog.h"
#include "ff-workflow-log.h"

struct _FfConnectPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack      *stack;
  GtkLabel      *connect_status;
  GtkSpinner    *connect_spinner;
  AdwStatusPage *mismatch_status;
  GtkWidget     *measure_button;
  GtkWidget     *leave_button;

  /* owned */
  FfWorkflow   *workflow;
  GCancellable *authorizing;   /* an override's PIN being checked, or NULL */
  gboolean      locked;        /* three wrong PINs: no override until the next sync */
};

G_DEFINE_FINAL_TYPE (FfConnectPage, ff_connect_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_WORKFLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The title names the check that failed: a terminal that answers with the task's device ID but
 * stands elsewhere is not simply "the wrong terminal". */
static const char *
describe_failed_check (FfWorkflow *workflow)
{
  FfWorkflowReadings readings;

  ff_workflow_get_readings (workflow, &readings);
  if (g_strcmp0 (readings.device_id_read, ff_workflow_get_item (workflow)->device_id) != 0)
    return _("Wrong Device ID — Stop");
  if (!readings.has_fix)
    return _("No GPS Fix — Stop");
  return _("Position Check Failed — Stop");
}

static void
update (FfConnectPage *self)
{
  FfWorkflowState state;
  const char *message;
  gboolean measure;

  if (self->workflow == NULL)
    {
      gtk_spinner_stop (self->connect_spinner);
      gtk_stack_set_visible_child_name (self->stack, "idle");
      return;
    }

  state = ff_workflow_get_state (self->workflow);
  message = ff_workflow_get_message (self->workflow);
  gtk_label_set_label (self->connect_status, message != NULL ? message : "");

  switch (state)
    {
    case FF_WORKFLOW_STATE_NEW:
    case FF_WORKFLOW_STATE_CONNECT:
    case FF_WORKFLOW_STATE_IDENTIFY:
      gtk_spinner_start (self->connect_spinner);
      gtk_stack_set_visible_child_name (self->stack, "connecting");
      break;
    case FF_WORKFLOW_STATE_IDENTITY_MISMATCH:
      gtk_spinner_stop (self->connect_spinner);
      adw_status_page_set_title (self->mismatch_status, describe_failed_check (self->workflow));
      adw_status_page_set_description (self->mismatch_status,
                                       ff_workflow_get_failure (self->workflow));
      gtk_stack_set_visible_child_name (self->stack, "mismatch");
      break;
    default:
      gtk_spinner_stop (self->connect_spinner);
      gtk_stack_set_visible_child_name (self->stack, "identity");
      break;
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connect.override",
                                 state == FF_WORKFLOW_STATE_IDENTITY_MISMATCH
                                 && ff_workflow_get_task (self->workflow)->supervisors->len > 0
                                 && self->authorizing == NULL && !self->locked);
  /* When only the position failed, measuring again (the core's settling remeasure) comes first;
   * otherwise leaving is the way on. The override stays second and small. */
  measure = state == FF_WORKFLOW_STATE_IDENTITY_MISMATCH
            && ff_workflow_can_measure_again (self->workflow);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connect.measure-again", measure);
  gtk_widget_set_visible (self->measure_button, measure);
  if (measure)
    gtk_widget_remove_css_class (self->leave_button, "suggested-action");
  else
    gtk_widget_add_css_class (self->leave_button, "suggested-action");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connect.leave",
                                 state == FF_WORKFLOW_STATE_IDENTITY_MISMATCH);
}

static void
override_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FfConnectPage) self = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_object (&self->authorizing);
  if (ff_workflow_override_identity_finish (FF_WORKFLOW (source), result, &error)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->locked = g_error_matches (error, FF_SUPERVISOR_ERROR, FF_SUPERVISOR_ERROR_LOCKED);
  if (self->workflow != NULL)
    update (self);
  /* After update(), which shows the workflow's own reason for the stop. */
  adw_status_page_set_description (self->mismatch_status, error->message);
}

static void
override_responded (AdwMessageDialog *dialog,
                    const char       *response,
                    FfConnectPage    *self)
{
  const char *supervisor = ff_supervisor_dialog_get_supervisor (dialog);

  if (!g_str_equal (response, "override") || self->workflow == NULL || supervisor == NULL
      || self->authorizing != NULL)
    return;

  /* scrypt takes a moment: the check runs in a worker, and Override waits for it. */
  self->authorizing = g_cancellable_new ();
  ff_workflow_override_identity_async (self->workflow, supervisor,
                                       ff_supervisor_dialog_get_pin (dialog),
                                       ff_supervisor_dialog_get_reason (dialog),
                                       self->authorizing, override_done, g_object_ref (self));
  update (self);
}

static void
override_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  FfConnectPage *self = FF_CONNECT_PAGE (widget);
  /* The supervisor decides on the readings themselves. */
  GtkWidget *summary = g_object_new (FF_TYPE_IDENTITY_SUMMARY, "workflow", self->workflow, NULL);
  AdwMessageDialog *dialog =
    ff_supervisor_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                              ff_workflow_get_task (self->workflow), _("Supervisor Override?"),
                              _("The terminal will be upgraded although it does not match the "
                                "task. A supervisor of this task confirms with a PIN; the report "
                                "names the supervisor and the reason."),
                              "override", _("_Override"), TRUE, summary);

  g_signal_connect_object (dialog, "response", G_CALLBACK (override_responded), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
measure_again_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  FfConnectPage *self = FF_CONNECT_PAGE (widget);
  g_autoptr(GError) error = NULL;

  if (!ff_workflow_measure_again (self->workflow, &error))
    adw_status_page_set_description (self->mismatch_status, error->message);
}

static void
leave_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  FfConnectPage *self = FF_CONNECT_PAGE (widget);
  g_autoptr(GError) error = NULL;

  if (!ff_workflow_close (self->workflow, &error))
    adw_status_page_set_description (self->mismatch_status, error->message);
}

static void
ff_connect_page_dispose (GObject *object)
{
  FfConnectPage *self = FF_CONNECT_PAGE (object);

  g_cancellable_cancel (self->authorizing);
  ff_connect_page_set_workflow (self, NULL);

  G_OBJECT_CLASS (ff_connect_page_parent_class)->dispose (object);
}

static void
ff_connect_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FfConnectPage *self = FF_CONNECT_PAGE (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      g_value_set_object (value, self->workflow);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_connect_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  FfConnectPage *self = FF_CONNECT_PAGE (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      ff_connect_page_set_workflow (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_connect_page_class_init (FfConnectPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_connect_page_dispose;
  object_class->get_property = ff_connect_page_get_property;
  object_class->set_property = ff_connect_page_set_property;

  properties[PROP_WORKFLOW] =
    g_param_spec_object ("workflow", NULL, NULL, FF_TYPE_WORKFLOW,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (FF_TYPE_IDENTITY_SUMMARY);
  g_type_ensure (FF_TYPE_WORKFLOW_LOG);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-connect-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfConnectPage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfConnectPage, connect_status);
  gtk_widget_class_bind_template_child (widget_class, FfConnectPage, connect_spinner);
  gtk_widget_class_bind_template_child (widget_class, FfConnectPage, mismatch_status);
  gtk_widget_class_bind_template_child (widget_class, FfConnectPage, measure_button);
  gtk_widget_class_bind_template_child (widget_class, FfConnectPage, leave_button);

  gtk_widget_class_install_action (widget_class, "connect.override", NULL, override_activated);
  gtk_widget_class_install_action (widget_class, "connect.measure-again", NULL,
                                   measure_again_activated);
  gtk_widget_class_install_action (widget_class, "connect.leave", NULL, leave_activated);
}

static void
ff_connect_page_init (FfConnectPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connect.override", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connect.measure-again", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connect.leave", FALSE);
}

FfWorkflow *
ff_connect_page_get_workflow (FfConnectPage *self)
{
  g_return_val_if_fail (FF_IS_CONNECT_PAGE (self), NULL);

  return self->workflow;
}

void
ff_connect_page_set_workflow (FfConnectPage *self,
                              FfWorkflow    *workflow)
{
  static const FfWorkflowWatch watches[] = {
    { "notify::state", G_CALLBACK (update) },
    { "notify::message", G_CALLBACK (update) },
  };

  g_return_if_fail (FF_IS_CONNECT_PAGE (self));

  if (!ff_workflow_watch (self, &self->workflow, workflow, watches, G_N_ELEMENTS (watches)))
    return;

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
}
