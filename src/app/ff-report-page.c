/* FfReportPage: shows the outcome the workflow recorded in the terminal's report, and leads on to the next
 * terminal. */
#include "config.h"

#include "ff-report-page.h"

#include <glib/gi18n-lib.h>

#include "ff-outcome.h"

struct _FfReportPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack     *stack;
  AdwActionRow *terminal_row;
  AdwActionRow *result_row;
  AdwActionRow *report_row;

  /* owned */
  FfWorkflow *workflow;
};

G_DEFINE_FINAL_TYPE (FfReportPage, ff_report_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_WORKFLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update (FfReportPage *self)
{
  const FfTaskItem *item;
  const char *outcome;
  const char *failure;

  if (self->workflow == NULL || ff_workflow_get_outcome (self->workflow) == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  item = ff_workflow_get_item (self->workflow);
  outcome = ff_workflow_get_outcome (self->workflow);
  failure = ff_workflow_get_failure (self->workflow);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->terminal_row), item->name);
  adw_action_row_set_subtitle (self->terminal_row, item->device_id);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->result_row), ff_outcome_describe (outcome));
  adw_action_row_set_subtitle (self->result_row, failure != NULL ? failure : "");
  if (ff_outcome_is_successful (outcome))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->result_row), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->result_row), "success");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->result_row), "success");
      gtk_widget_add_css_class (GTK_WIDGET (self->result_row), "error");
    }
  adw_action_row_set_subtitle (self->report_row, ff_workflow_get_report_id (self->workflow));
  gtk_stack_set_visible_child_name (self->stack, "summary");
}

static void
ff_report_page_dispose (GObject *object)
{
  ff_report_page_set_workflow (FF_REPORT_PAGE (object), NULL);

  G_OBJECT_CLASS (ff_report_page_parent_class)->dispose (object);
}

static void
ff_report_page_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FfReportPage *self = FF_REPORT_PAGE (object);

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
ff_report_page_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  FfReportPage *self = FF_REPORT_PAGE (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      ff_report_page_set_workflow (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_report_page_class_init (FfReportPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_report_page_dispose;
  object_class->get_property = ff_report_page_get_property;
  object_class->set_property = ff_report_page_set_property;

  properties[PROP_WORKFLOW] =
    g_param_spec_object ("workflow", NULL, NULL, FF_TYPE_WORKFLOW,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-report-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, terminal_row);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, result_row);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, report_row);

}

static void
ff_report_page_init (FfReportPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

FfWorkflow *
ff_report_page_get_workflow (FfReportPage *self)
{
  g_return_val_if_fail (FF_IS_REPORT_PAGE (self), NULL);

  return self->workflow;
}

void
ff_report_page_set_workflow (FfReportPage *self,
                             FfWorkflow *workflow)
{
  g_return_if_fail (FF_IS_REPORT_PAGE (self));
  g_return_if_fail (workflow == NULL || FF_IS_WORKFLOW (workflow));

  if (self->workflow == workflow)
    return;

  if (self->workflow != NULL)
    g_signal_handlers_disconnect_by_data (self->workflow, self);
  g_set_object (&self->workflow, workflow);

  if (workflow != NULL)
    {
      g_signal_connect_object (workflow, "notify::outcome", G_CALLBACK (update), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (workflow, "notify::failure", G_CALLBACK (update), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (workflow, "notify::report-id", G_CALLBACK (update), self,
                               G_CONNECT_SWAPPED);
    }
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
}
