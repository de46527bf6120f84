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
#include "ff-workflow-log.h"

struct _FfConnectPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack      *stack;
  GtkLabel      *connect_status;
  GtkSpinner    *connect_spinner;
  AdwStatusPage *mismatch_status;

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

static void
update (FfConnectPage *self)
{
  FfWorkflowState state;
  const char *message;

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
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connect.leave",
                                 state == FF_WORKFLOW_STATE_IDENTITY_MISMATCH);
}

static void
override_fields_changed (AdwMessageDialog *dialog)
{
  GtkEditable *pin = g_object_get_data (G_OBJECT (dialog), "pin");
  GtkEditable *reason = g_object_get_data (G_OBJECT (dialog), "reason");
  g_autofree char *why = g_strstrip (g_strdup (gtk_editable_get_text (reason)));

  adw_message_dialog_set_response_enabled (dialog, "override",
                                           ff_supervisor_pin_is_valid (gtk_editable_get_text (pin))
                                           && why[0] != '\0');
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
  AdwComboRow *supervisor = g_object_get_data (G_OBJECT (dialog), "supervisor");
  GtkEditable *pin = g_object_get_data (G_OBJECT (dialog), "pin");
  GtkEditable *reason = g_object_get_data (G_OBJECT (dialog), "reason");
  GtkStringObject *name = adw_combo_row_get_selected_item (supervisor);

  if (!g_str_equal (response, "override") || self->workflow == NULL || name == NULL
      || self->authorizing != NULL)
    return;

  /* scrypt takes a moment: the check runs in a worker, and Override waits for it. */
  self->authorizing = g_cancellable_new ();
  ff_workflow_override_identity_async (self->workflow, gtk_string_object_get_string (name),
                                       gtk_editable_get_text (pin), gtk_editable_get_text (reason),
                                       self->authorizing, override_done, g_object_ref (self));
  update (self);
}

static void
override_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  FfConnectPage *self = FF_CONNECT_PAGE (widget);
  const FfTask *task = ff_workflow_get_task (self->workflow);
  GtkWidget *dialog;
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *summary = g_object_new (FF_TYPE_IDENTITY_SUMMARY, "workflow", self->workflow, NULL);
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *supervisor = adw_combo_row_new ();
  GtkWidget *pin = adw_password_entry_row_new ();
  GtkWidget *reason = adw_entry_row_new ();
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  for (guint i = 0; i < task->supervisors->len; i++)
    gtk_string_list_append (names, ((FfSupervisor *) g_ptr_array_index (task->supervisors,
                                                                         i))->name);
  adw_combo_row_set_model (ADW_COMBO_ROW (supervisor), G_LIST_MODEL (names));
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Supervisor Override?"),
                                   _("The terminal will be upgraded although it does not match the "
                                     "task. A supervisor of this task confirms with a PIN; the "
                                     "report names the supervisor and the reason."));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (supervisor), _("Supervisor"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (pin), _("Supervisor PIN"));
  gtk_editable_set_max_width_chars (GTK_EDITABLE (pin), FF_SUPERVISOR_PIN_MAX_DIGITS);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (reason), _("Reason"));
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_list_box_append (GTK_LIST_BOX (list), supervisor);
  gtk_list_box_append (GTK_LIST_BOX (list), pin);
  gtk_list_box_append (GTK_LIST_BOX (list), reason);
  /* The supervisor decides on the readings themselves. */
  gtk_box_append (GTK_BOX (content), summary);
  gtk_box_append (GTK_BOX (content), list);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), content);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "override", _("_Override"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "override",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "override", FALSE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  g_object_set_data (G_OBJECT (dialog), "supervisor", supervisor);
  g_object_set_data (G_OBJECT (dialog), "pin", pin);
  g_object_set_data (G_OBJECT (dialog), "reason", reason);
  g_signal_connect_swapped (pin, "changed", G_CALLBACK (override_fields_changed), dialog);
  g_signal_connect_swapped (reason, "changed", G_CALLBACK (override_fields_changed), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (override_responded), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
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

  gtk_widget_class_install_action (widget_class, "connect.override", NULL, override_activated);
  gtk_widget_class_install_action (widget_class, "connect.leave", NULL, leave_activated);
}

static void
ff_connect_page_init (FfConnectPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connect.override", FALSE);
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
