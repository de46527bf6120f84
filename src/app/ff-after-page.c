/* FfAfterPage: presents the signals after the upgrade against those before, as the workflow read
 * them and the core judges them, one gauge per signal; when the workflow failed it says why, with
 * the gauges when there are readings after, and offers the rollback to the previous firmware. */
#include "config.h"

#include "ff-after-page.h"
#include "ff-workflow-watch.h"

#include <glib/gi18n-lib.h>

#include "ff-signal-gauge.h"

struct _FfAfterPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack      *stack;
  AdwStatusPage *reading_status;
  GtkImage      *verdict_icon;
  GtkLabel      *verdict_title;
  GtkLabel      *verdict_detail;
  GtkWidget     *gauges_box;
  GtkWidget     *gauges[FF_N_SIGNALS];
  GtkWidget     *rollback_button;
  GtkWidget     *close_button;
  GtkWidget     *report_button;

  /* owned */
  FfWorkflow *workflow;
};

G_DEFINE_FINAL_TYPE (FfAfterPage, ff_after_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_WORKFLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
has_readings (const FfSnapshot *snapshot)
{
  for (guint i = 0; i < FF_N_SIGNALS; i++)
    if (snapshot->present[i])
      return TRUE;
  return FALSE;
}

/* Returns the core's verdict on the signals: TRUE when every one stayed within the limit. */
static gboolean
show_gauges (FfAfterPage              *self,
             const FfWorkflowReadings *readings)
{
  FfSignalJudgement judgements[FF_N_SIGNALS];
  gboolean passed = ff_snapshot_judge (readings->before, readings->after, judgements);

  for (guint i = 0; i < FF_N_SIGNALS; i++)
    ff_signal_gauge_show (FF_SIGNAL_GAUGE (self->gauges[i]), i, readings->before, readings->after,
                          &judgements[i]);
  return passed;
}

/* @style is the colour of the icon: "success", "warning" or "error". */
static void
show_verdict (FfAfterPage *self,
              const char  *icon_name,
              const char  *style,
              const char  *title,
              const char  *detail)
{
  const char *styles[] = { style, NULL };

  gtk_image_set_from_icon_name (self->verdict_icon, icon_name);
  gtk_widget_set_css_classes (GTK_WIDGET (self->verdict_icon), styles);
  gtk_label_set_label (self->verdict_title, title);
  gtk_label_set_label (self->verdict_detail, detail);
}

/* A failed workflow waits for the technician: Roll Back is the way out when the workflow offers
 * it; otherwise writing the report is. */
static void
show_decisions (FfAfterPage *self,
                gboolean     failed)
{
  gboolean can_roll_back = failed && ff_workflow_can_roll_back (self->workflow);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "after.rollback", can_roll_back);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "after.close", failed);
  gtk_widget_set_visible (self->rollback_button, can_roll_back);
  gtk_widget_set_visible (self->close_button, failed);
  gtk_widget_set_visible (self->report_button, !failed);
  if (can_roll_back)
    gtk_widget_remove_css_class (self->close_button, "suggested-action");
  else
    gtk_widget_add_css_class (self->close_button, "suggested-action");
}

static void
update (FfAfterPage *self)
{
  FfWorkflowReadings readings;
  FfWorkflowState state;
  gboolean failed, measured, passed;

  if (self->workflow == NULL)
    {
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "after.rollback", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "after.close", FALSE);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  state = ff_workflow_get_state (self->workflow);
  ff_workflow_get_readings (self->workflow, &readings);
  failed = state == FF_WORKFLOW_STATE_FAILED;
  measured = has_readings (readings.after);
  show_decisions (self, failed);

  if (!failed && !measured)
    {
      adw_status_page_set_description (self->reading_status,
                                       ff_workflow_get_message (self->workflow));
      gtk_stack_set_visible_child_name (self->stack,
                                        state == FF_WORKFLOW_STATE_SNAPSHOT_AFTER ? "reading"
                                                                                  : "empty");
      return;
    }

  passed = measured && show_gauges (self, &readings);
  gtk_widget_set_visible (self->gauges_box, measured);
  if (failed)
    show_verdict (self, "dialog-error-symbolic", "error", _("Upgrade Failed"),
                  ff_workflow_get_failure (self->workflow));
  else if (passed)
    show_verdict (self, "emblem-ok-symbolic", "success", _("Signals Agree"),
                  _("All four signals agree with those before the upgrade."));
  else
    show_verdict (self, "dialog-warning-symbolic", "warning", _("A Signal Changed"),
                  _("A signal changed too much: the terminal may not work as before."));
  gtk_stack_set_visible_child_name (self->stack, "result");
}

static void
decide (FfAfterPage *self,
        gboolean (*decision) (FfWorkflow *, GError **))
{
  g_autoptr(GError) error = NULL;

  if (!decision (self->workflow, &error))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", error->message);
}

static void
rollback_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  decide (FF_AFTER_PAGE (widget), ff_workflow_roll_back);
}

static void
close_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  decide (FF_AFTER_PAGE (widget), ff_workflow_close);
}

static void
ff_after_page_dispose (GObject *object)
{
  ff_after_page_set_workflow (FF_AFTER_PAGE (object), NULL);

  G_OBJECT_CLASS (ff_after_page_parent_class)->dispose (object);
}

static void
ff_after_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  FfAfterPage *self = FF_AFTER_PAGE (object);

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
ff_after_page_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  FfAfterPage *self = FF_AFTER_PAGE (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      ff_after_page_set_workflow (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define BIND_GAUGE(widget_class, name, signal) \
  gtk_widget_class_bind_template_child_full (widget_class, name "_gauge", FALSE, \
                                             G_STRUCT_OFFSET (FfAfterPage, gauges[signal]))

static void
ff_after_page_class_init (FfAfterPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_after_page_dispose;
  object_class->get_property = ff_after_page_get_property;
  object_class->set_property = ff_after_page_set_property;

  properties[PROP_WORKFLOW] =
    g_param_spec_object ("workflow", NULL, NULL, FF_TYPE_WORKFLOW,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (FF_TYPE_SIGNAL_GAUGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-after-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfAfterPage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfAfterPage, reading_status);
  gtk_widget_class_bind_template_child (widget_class, FfAfterPage, verdict_icon);
  gtk_widget_class_bind_template_child (widget_class, FfAfterPage, verdict_title);
  gtk_widget_class_bind_template_child (widget_class, FfAfterPage, verdict_detail);
  gtk_widget_class_bind_template_child (widget_class, FfAfterPage, gauges_box);
  gtk_widget_class_bind_template_child (widget_class, FfAfterPage, rollback_button);
  gtk_widget_class_bind_template_child (widget_class, FfAfterPage, close_button);
  gtk_widget_class_bind_template_child (widget_class, FfAfterPage, report_button);
  BIND_GAUGE (widget_class, "line_voltage", FF_SIGNAL_LINE_VOLTAGE);
  BIND_GAUGE (widget_class, "current", FF_SIGNAL_CURRENT);
  BIND_GAUGE (widget_class, "battery_voltage", FF_SIGNAL_BATTERY_VOLTAGE);
  BIND_GAUGE (widget_class, "ambient_temperature", FF_SIGNAL_TEMPERATURE);

  gtk_widget_class_install_action (widget_class, "after.rollback", NULL, rollback_activated);
  gtk_widget_class_install_action (widget_class, "after.close", NULL, close_activated);
}

static void
ff_after_page_init (FfAfterPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}

FfWorkflow *
ff_after_page_get_workflow (FfAfterPage *self)
{
  g_return_val_if_fail (FF_IS_AFTER_PAGE (self), NULL);

  return self->workflow;
}

void
ff_after_page_set_workflow (FfAfterPage *self,
                            FfWorkflow  *workflow)
{
  static const FfWorkflowWatch watches[] = {
    { "notify::state", G_CALLBACK (update) },
    { "notify::message", G_CALLBACK (update) },
  };

  g_return_if_fail (FF_IS_AFTER_PAGE (self));

  if (!ff_workflow_watch (self, &self->workflow, workflow, watches, G_N_ELEMENTS (watches)))
    return;

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
}
