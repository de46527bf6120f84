/* FfBeforePage: presents what the workflow read before the upgrade — the identity check, the
 * running version and checksum against the target, or that the terminal is already current — and
 * each signal's value with the IEEE-754 hex the report records. Once the workflow waits for the
 * go-ahead, the technician gives it here in one tap that names the version ("Upgrade to V2.00"),
 * or leaves without upgrading, after being asked. */
#include "config.h"

#include "ff-before-page.h"
#include "ff-workflow-watch.h"

#include <glib/gi18n-lib.h>

#include "ff-identity-summary.h"

struct _FfBeforePage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack      *stack;
  AdwActionRow  *running_row;
  AdwActionRow  *checksum_row;
  AdwActionRow  *target_row;
  AdwActionRow  *signal_rows[FF_N_SIGNALS];
  GtkLabel      *value_labels[FF_N_SIGNALS];
  AdwStatusPage *current_status;
  GtkButton     *upgrade_button;

  /* owned */
  FfWorkflow *workflow;
};

G_DEFINE_FINAL_TYPE (FfBeforePage, ff_before_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_WORKFLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_already_current (FfWorkflow *workflow)
{
  FfReportOutcome outcome;

  return ff_report_outcome_from_string (ff_workflow_get_outcome (workflow), &outcome)
         && outcome == FF_REPORT_OUTCOME_ALREADY_CURRENT;
}

static void
show_firmware (FfBeforePage             *self,
               const FfWorkflowReadings *readings)
{
  const char *not_read = _("Not read yet");

  adw_action_row_set_subtitle (self->running_row, readings->version_before != NULL
                                                  ? readings->version_before : not_read);
  adw_action_row_set_subtitle (self->checksum_row, readings->checksum_before != NULL
                                                   ? readings->checksum_before : not_read);
  adw_action_row_set_subtitle (self->target_row,
                               ff_workflow_get_item (self->workflow)->target.version);
}

static void
set_decisions_enabled (FfBeforePage *self,
                       gboolean      enabled)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "before.upgrade", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "before.leave", enabled);
}

/* While @still_reading, a signal not yet there is on its way; afterwards it is missing. */
static void
show_signals (FfBeforePage     *self,
              const FfSnapshot *snapshot,
              gboolean          still_reading)
{
  for (guint i = 0; i < FF_N_SIGNALS; i++)
    {
      g_autofree char *value = NULL;
      g_autofree char *hex = NULL;

      if (snapshot->present[i])
        {
          value = ff_snapshot_format_reading (snapshot, i);
          hex = ff_snapshot_value_to_hex (snapshot->values[i]);
        }
      gtk_label_set_label (self->value_labels[i],
                           value != NULL ? value : still_reading ? _("reading…") : _("missing"));
      adw_action_row_set_subtitle (self->signal_rows[i], hex != NULL ? hex : "");
    }
}

static void
update (FfBeforePage *self)
{
  FfWorkflowReadings readings;
  FfWorkflowState state;
  g_autofree char *upgrade_label = NULL;

  if (self->workflow == NULL)
    {
      set_decisions_enabled (self, FALSE);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  state = ff_workflow_get_state (self->workflow);
  set_decisions_enabled (self, state == FF_WORKFLOW_STATE_CONFIRM);
  /* Translators: the go-ahead; %s is the firmware version the terminal is upgraded to. */
  upgrade_label = g_strdup_printf (_("_Upgrade to %s"),
                                   ff_workflow_get_item (self->workflow)->target.version);
  gtk_button_set_label (self->upgrade_button, upgrade_label);
  ff_workflow_get_readings (self->workflow, &readings);

  if (is_already_current (self->workflow))
    {
      g_autofree char *description =
        g_strdup_printf (_("The terminal already runs version %s. There is nothing to do here."),
                         readings.version_before);

      adw_status_page_set_description (self->current_status, description);
      gtk_stack_set_visible_child_name (self->stack, "current");
      return;
    }

  show_firmware (self, &readings);
  show_signals (self, readings.before, state <= FF_WORKFLOW_STATE_SNAPSHOT_BEFORE);
  gtk_stack_set_visible_child_name (self->stack, "signals");
}

/* A decision the workflow refuses (it moved on meanwhile) is news, not a failure of the page. */
static void
decide (FfBeforePage *self,
        gboolean (*decision) (FfWorkflow *, GError **))
{
  g_autoptr(GError) error = NULL;

  if (!decision (self->workflow, &error))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", error->message);
}

/* The workflow moves on to the push, and the window with it to the push page. */
static void
upgrade_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  decide (FF_BEFORE_PAGE (widget), ff_workflow_confirm_push);
}

static void
leave_responded (AdwMessageDialog *dialog,
                 const char       *response,
                 FfBeforePage     *self)
{
  if (g_str_equal (response, "leave") && self->workflow != NULL)
    decide (self, ff_workflow_close);
}

static void
leave_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  FfBeforePage *self = FF_BEFORE_PAGE (widget);
  const FfTaskItem *item = ff_workflow_get_item (self->workflow);
  FfWorkflowReadings readings;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  ff_workflow_get_readings (self->workflow, &readings);
  /* Translators: the terminal's name, then the version it keeps running. */
  body = g_strdup_printf (_("“%s” keeps running %s. The visit ends here, and its report says "
                            "that the terminal was not upgraded."),
                          item->name, readings.version_before);
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Leave Without Upgrading?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "stay", _("_Stay"),
                                    "leave", _("_Leave"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "leave",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "stay");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "stay");
  g_signal_connect_object (dialog, "response", G_CALLBACK (leave_responded), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
ff_before_page_dispose (GObject *object)
{
  ff_before_page_set_workflow (FF_BEFORE_PAGE (object), NULL);

  G_OBJECT_CLASS (ff_before_page_parent_class)->dispose (object);
}

static void
ff_before_page_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FfBeforePage *self = FF_BEFORE_PAGE (object);

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
ff_before_page_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  FfBeforePage *self = FF_BEFORE_PAGE (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      ff_before_page_set_workflow (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define BIND_SIGNAL_ROW(widget_class, name, signal) \
  G_STMT_START { \
    gtk_widget_class_bind_template_child_full (widget_class, name "_row", FALSE, \
                                               G_STRUCT_OFFSET (FfBeforePage, \
                                                                signal_rows[signal])); \
    gtk_widget_class_bind_template_child_full (widget_class, name "_value", FALSE, \
                                               G_STRUCT_OFFSET (FfBeforePage, \
                                                                value_labels[signal])); \
  } G_STMT_END

static void
ff_before_page_class_init (FfBeforePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_before_page_dispose;
  object_class->get_property = ff_before_page_get_property;
  object_class->set_property = ff_before_page_set_property;

  properties[PROP_WORKFLOW] =
    g_param_spec_object ("workflow", NULL, NULL, FF_TYPE_WORKFLOW,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (FF_TYPE_IDENTITY_SUMMARY);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-before-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfBeforePage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfBeforePage, running_row);
  gtk_widget_class_bind_template_child (widget_class, FfBeforePage, checksum_row);
  gtk_widget_class_bind_template_child (widget_class, FfBeforePage, target_row);
  gtk_widget_class_bind_template_child (widget_class, FfBeforePage, current_status);
  gtk_widget_class_bind_template_child (widget_class, FfBeforePage, upgrade_button);
  BIND_SIGNAL_ROW (widget_class, "line_voltage", FF_SIGNAL_LINE_VOLTAGE);
  BIND_SIGNAL_ROW (widget_class, "current", FF_SIGNAL_CURRENT);
  BIND_SIGNAL_ROW (widget_class, "battery_voltage", FF_SIGNAL_BATTERY_VOLTAGE);
  BIND_SIGNAL_ROW (widget_class, "ambient_temperature", FF_SIGNAL_TEMPERATURE);

  gtk_widget_class_install_action (widget_class, "before.upgrade", NULL, upgrade_activated);
  gtk_widget_class_install_action (widget_class, "before.leave", NULL, leave_activated);
}

static void
ff_before_page_init (FfBeforePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < FF_N_SIGNALS; i++)
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->signal_rows[i]),
                                   ff_signal_get_label (i));
  update (self);
}

FfWorkflow *
ff_before_page_get_workflow (FfBeforePage *self)
{
  g_return_val_if_fail (FF_IS_BEFORE_PAGE (self), NULL);

  return self->workflow;
}

void
ff_before_page_set_workflow (FfBeforePage *self,
                             FfWorkflow   *workflow)
{
  static const FfWorkflowWatch watches[] = {
    { "notify::state", G_CALLBACK (update) },
  };

  g_return_if_fail (FF_IS_BEFORE_PAGE (self));

  if (!ff_workflow_watch (self, &self->workflow, workflow, watches, G_N_ELEMENTS (watches)))
    return;

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
}
