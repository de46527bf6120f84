/* FfAfterPage: has the core judge the snapshots before and after the upgrade and shows one gauge
 * per signal; when the workflow failed it says why and offers the rollback to the previous
 * firmware. */
#include "config.h"

#include "ff-after-page.h"
#include "ff-workflow-watch.h"

#include <glib/gi18n-lib.h>

#include "ff-signal-gauge.h"

struct _FfAfterPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack  *stack;
  GtkLabel  *verdict_label;
  GtkWidget *gauges[FF_N_SIGNALS];
  AdwStatusPage *failed_status;

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

static void
update (FfAfterPage *self)
{
  gboolean failed = self->workflow != NULL
                    && ff_workflow_get_state (self->workflow) == FF_WORKFLOW_STATE_FAILED;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "after.rollback",
                                 failed && ff_workflow_can_roll_back (self->workflow));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "after.close", failed);
  if (failed)
    {
      adw_status_page_set_description (self->failed_status,
                                       ff_workflow_get_failure (self->workflow));
      gtk_stack_set_visible_child_name (self->stack, "failed");
    }
}

static void
decide (FfAfterPage *self,
        gboolean (*decision) (FfWorkflow *, GError **))
{
  g_autoptr(GError) error = NULL;

  if (!decision (self->workflow, &error))
    adw_status_page_set_description (self->failed_status, error->message);
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
  gtk_widget_class_bind_template_child (widget_class, FfAfterPage, verdict_label);
  gtk_widget_class_bind_template_child_full (widget_class, "line_voltage_gauge", FALSE,
                                             G_STRUCT_OFFSET (FfAfterPage,
                                                              gauges[FF_SIGNAL_LINE_VOLTAGE]));
  gtk_widget_class_bind_template_child_full (widget_class, "current_gauge", FALSE,
                                             G_STRUCT_OFFSET (FfAfterPage,
                                                              gauges[FF_SIGNAL_CURRENT]));
  gtk_widget_class_bind_template_child_full (widget_class, "battery_voltage_gauge", FALSE,
                                             G_STRUCT_OFFSET (FfAfterPage,
                                                              gauges[FF_SIGNAL_BATTERY_VOLTAGE]));
  gtk_widget_class_bind_template_child_full (widget_class, "ambient_temperature_gauge", FALSE,
                                             G_STRUCT_OFFSET (FfAfterPage,
                                                              gauges[FF_SIGNAL_TEMPERATURE]));
  gtk_widget_class_bind_template_child (widget_class, FfAfterPage, failed_status);

  gtk_widget_class_install_action (widget_class, "after.rollback", NULL, rollback_activated);
  gtk_widget_class_install_action (widget_class, "after.close", NULL, close_activated);
}

static void
ff_after_page_init (FfAfterPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}

/* Returns the core's verdict: TRUE when every signal stayed within the limit. */
gboolean
ff_after_page_show_snapshots (FfAfterPage      *self,
                              const FfSnapshot *before,
                              const FfSnapshot *after)
{
  FfSignalJudgement judgements[FF_N_SIGNALS];
  gboolean passed;

  g_return_val_if_fail (FF_IS_AFTER_PAGE (self), FALSE);
  g_return_val_if_fail (before != NULL && after != NULL, FALSE);

  passed = ff_snapshot_judge (before, after, judgements);
  for (guint i = 0; i < FF_N_SIGNALS; i++)
    ff_signal_gauge_show (FF_SIGNAL_GAUGE (self->gauges[i]), i, before, after, &judgements[i]);

  gtk_label_set_label (self->verdict_label,
                       passed ? _("All four signals agree with those before the upgrade.")
                              : _("A signal changed too much: the terminal may not work as "
                                  "before."));
  gtk_stack_set_visible_child_name (self->stack, "gauges");
  return passed;
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
  };

  g_return_if_fail (FF_IS_AFTER_PAGE (self));

  if (!ff_workflow_watch (self, &self->workflow, workflow, watches, G_N_ELEMENTS (watches)))
    return;

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
}
