/* FfReportPage: the report of a visit. While the workflow writes it, the page shows the outcome the
 * workflow recorded; once the report is saved it reads it back from the store (in a worker thread)
 * for the versions, the four signals as the report judged them, and a preview of its printed page.
 * A report opened from the queue is shown the same way, read-only. Either can be saved as a PDF. */
#include "config.h"

#include "ff-report-page.h"
#include "ff-workflow-watch.h"

#include <glib/gi18n-lib.h>

#include "ff-outcome.h"
#include "ff-report-pdf.h"
#include "ff-report-preview.h"
#include "ff-signal-gauge.h"
#include "ff-snapshot.h"

struct _FfReportPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack        *stack;
  AdwActionRow    *terminal_row;
  AdwActionRow    *result_row;
  GtkImage        *result_icon;
  AdwActionRow    *versions_row;
  AdwActionRow    *report_row;
  GtkWidget       *next_button;
  GtkWidget       *queue_button;
  GtkWidget       *signals_group;
  GtkWidget       *gauges[FF_N_SIGNALS];
  GtkWidget       *printout_group;
  FfReportPreview *preview;

  /* owned */
  FfWorkflow   *workflow;
  FfContext    *context;
  FfReport     *report;             /* read back from the store once saved */
  char         *opened_report_id;   /* a report opened from the queue; NULL: the workflow's */
  GCancellable *cancellable;        /* of the read in flight */
};

G_DEFINE_FINAL_TYPE (FfReportPage, ff_report_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_WORKFLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* @title: the outcome in words (which check failed, once the report says). */
static void
show_result (FfReportPage *self,
             const char   *title,
             const char   *outcome,
             const char   *failure)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->result_row), title);
  adw_action_row_set_subtitle (self->result_row, failure != NULL ? failure : "");
  /* Colour and icon both: neither alone carries in the sun or to a colour-blind eye. */
  if (ff_outcome_get_kind (outcome) == FF_OUTCOME_SUCCEEDED)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->result_row), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->result_row), "success");
      gtk_image_set_from_icon_name (self->result_icon, "emblem-ok-symbolic");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->result_row), "success");
      gtk_widget_add_css_class (GTK_WIDGET (self->result_row), "error");
      gtk_image_set_from_icon_name (self->result_icon, "dialog-error-symbolic");
    }
}

/* The terminal's name where the task being worked on lists it; else the report names it. */
static void
show_terminal (FfReportPage     *self,
               const FfTaskItem *item,
               const char       *device_id,
               const char       *task_id)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->terminal_row),
                                 item != NULL ? item->name : device_id);
  adw_action_row_set_subtitle (self->terminal_row, item != NULL ? device_id : task_id);
}

/* A report opened from the queue: the summary comes from the report alone. */
static void
show_opened_summary (FfReportPage *self)
{
  const FfReport *report = self->report;
  const FfTask *task = self->context != NULL ? ff_context_get_task (self->context) : NULL;
  const FfTaskItem *item = NULL;

  if (task != NULL && g_strcmp0 (task->task_id, report->task_id) == 0)
    item = ff_task_find_item (task, report->device_id);
  show_terminal (self, item, report->device_id, report->task_id);
  show_result (self, ff_report_describe (report), ff_report_outcome_to_string (report->outcome),
               report->failure_reason);
  adw_action_row_set_subtitle (self->report_row, report->report_id);
  gtk_stack_set_visible_child_name (self->stack, "summary");
}

/* The report's own judgement (made by the workflow when it was written) decides each gauge. */
static void
show_signals (FfReportPage   *self,
              const FfReport *report)
{
  FfSnapshot before, after;

  ff_snapshot_from_report (&report->before, &before);
  ff_snapshot_from_report (&report->after, &after);
  for (guint i = 0; i < FF_N_SIGNALS; i++)
    {
      FfSignalJudgement judgement = {
        .relative_error = report->judgement.deviation[i],
        .passed = report->judgement.pass[i],
        .quality_before = before.quality[i],
        .quality_after = after.quality[i],
      };

      ff_signal_gauge_show (FF_SIGNAL_GAUGE (self->gauges[i]), i, &before, &after, &judgement);
    }
}

/* Before → after; a terminal nothing was pushed to kept what it ran. */
static char *
describe_versions (const FfReportVersions *versions,
                   gboolean                pushed)
{
  const char *before = versions->before != NULL ? versions->before : _("not read");

  if (versions->after == NULL && !pushed)
    /* Translators: the version a terminal runs, left as it was, e.g. "V2.00 (unchanged)". */
    return g_strdup_printf (_("%s (unchanged)"), before);
  /* Translators: the version before the upgrade and the one after, e.g. "V1.00 → V2.00". */
  return g_strdup_printf (_("%s → %s"), before,
                          versions->after != NULL ? versions->after : _("not read"));
}

static void
show_report (FfReportPage *self)
{
  const FfReport *report = self->report;
  gboolean judged = report != NULL && report->before.present && report->after.present
                    && report->judgement.present;
  g_autofree char *versions = NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.save-pdf", report != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->versions_row), report != NULL);
  gtk_widget_set_visible (self->signals_group, judged);
  gtk_widget_set_visible (self->printout_group, report != NULL);
  gtk_widget_set_visible (self->next_button, self->opened_report_id == NULL);
  gtk_widget_set_visible (self->queue_button, self->opened_report_id != NULL);
  ff_report_preview_set_report (self->preview, report);
  if (report == NULL)
    return;

  if (self->opened_report_id != NULL)
    show_opened_summary (self);
  versions = describe_versions (&report->versions, report->firmware_version != NULL);
  adw_action_row_set_subtitle (self->versions_row, versions);
  if (judged)
    show_signals (self, report);
}

static void
load_report_in_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  FfStore *store = g_object_get_data (G_OBJECT (task), "store");
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) signature = NULL;
  GError *error = NULL;
  FfReport *report;

  if (!ff_store_load_report (store, task_data, &document, &signature, &error)
      || (report = ff_report_parse (document, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, report, (GDestroyNotify) ff_report_free);
}

static void
report_loaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  FfReportPage *self;
  FfReport *report;
  g_autoptr(GError) error = NULL;

  /* A cancelled read may end after the page is gone: look at the page only once it did not. */
  report = g_task_propagate_pointer (G_TASK (result), &error);
  if (report == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_REPORT_PAGE (user_data);

  if (report == NULL)
    {
      adw_action_row_set_subtitle (self->report_row, error->message);
      gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", error->message);
    }
  ff_report_preview_set_report (self->preview, NULL);
  g_clear_pointer (&self->report, ff_report_free);
  self->report = report;
  show_report (self);
}

static void
load_report (FfReportPage *self,
             const char   *report_id)
{
  FfStore *store = self->context != NULL ? ff_context_get_store (self->context) : NULL;
  g_autoptr(GTask) task = NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  ff_report_preview_set_report (self->preview, NULL);
  g_clear_pointer (&self->report, ff_report_free);
  show_report (self);
  if (store == NULL || report_id == NULL)
    return;

  self->cancellable = g_cancellable_new ();
  task = g_task_new (NULL, self->cancellable, report_loaded, self);
  g_task_set_task_data (task, g_strdup (report_id), g_free);
  g_object_set_data_full (G_OBJECT (task), "store", g_object_ref (store), g_object_unref);
  g_task_run_in_thread (task, load_report_in_thread);
}

static void
update (FfReportPage *self)
{
  const FfTaskItem *item;
  const char *outcome;
  const char *report_id;
  FfWorkflowState state;

  /* A report opened from the queue stays until the workflow has a report of its own. */
  state = self->workflow != NULL ? ff_workflow_get_state (self->workflow) : FF_WORKFLOW_STATE_NEW;
  if (self->opened_report_id != NULL && state < FF_WORKFLOW_STATE_REPORT)
    return;
  g_clear_pointer (&self->opened_report_id, g_free);

  if (self->workflow == NULL || ff_workflow_get_outcome (self->workflow) == NULL)
    {
      load_report (self, NULL);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  item = ff_workflow_get_item (self->workflow);
  outcome = ff_workflow_get_outcome (self->workflow);
  report_id = ff_workflow_get_report_id (self->workflow);
  show_terminal (self, item, item->device_id, NULL);
  {
    FfWorkflowReadings readings;
    FfReportOutcome parsed;

    ff_workflow_get_readings (self->workflow, &readings);
    show_result (self,
                 ff_report_outcome_from_string (outcome, &parsed)
                 ? ff_report_outcome_describe_for (parsed, item->device_id, readings.device_id_read)
                 : outcome,
                 outcome, ff_workflow_get_failure (self->workflow));
  }
  adw_action_row_set_subtitle (self->report_row, report_id != NULL ? report_id : "");
  gtk_stack_set_visible_child_name (self->stack, "summary");

  /* The report is in the store once the workflow is done; one shown before is another visit's. */
  if (self->report == NULL || g_strcmp0 (self->report->report_id, report_id) != 0)
    load_report (self, state == FF_WORKFLOW_STATE_DONE ? report_id : NULL);
  else
    show_report (self);
}

static void
render_pdf_in_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  GBytes *document = g_object_get_data (G_OBJECT (task), "document");
  g_autoptr(FfReport) report = NULL;
  GError *error = NULL;

  report = ff_report_parse (document, &error);
  if (report == NULL || !ff_report_render_pdf (report, task_data, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
pdf_saved (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GtkWidget) page = user_data;
  g_autoptr(GError) error = NULL;

  if (ff_report_page_save_pdf_finish (FF_REPORT_PAGE (page), result, &error))
    gtk_widget_activate_action (page, "win.toast", "s", _("Report saved as PDF."));
  else
    gtk_widget_activate_action (page, "win.toast", "s", error->message);
}

static void
pdf_file_chosen (GtkNativeDialog *chooser,
                 int              response,
                 FfReportPage    *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      ff_report_page_save_pdf_async (self, file, pdf_saved, g_object_ref (self));
    }
  g_object_unref (chooser);
}

static void
save_pdf_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  FfReportPage *self = FF_REPORT_PAGE (widget);
  GtkFileChooserNative *chooser;
  g_autofree char *name = ff_report_pdf_file_name (self->report);

  chooser = gtk_file_chooser_native_new (_("Save the Report as PDF"),
                                         GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect_object (chooser, "response", G_CALLBACK (pdf_file_chosen), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
ff_report_page_dispose (GObject *object)
{
  FfReportPage *self = FF_REPORT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  ff_report_page_set_workflow (self, NULL);
  g_clear_object (&self->context);
  ff_report_preview_set_report (self->preview, NULL);
  g_clear_pointer (&self->report, ff_report_free);
  g_clear_pointer (&self->opened_report_id, g_free);

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

  g_type_ensure (FF_TYPE_SIGNAL_GAUGE);
  g_type_ensure (FF_TYPE_REPORT_PREVIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-report-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, terminal_row);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, result_row);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, result_icon);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, versions_row);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, report_row);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, next_button);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, queue_button);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, signals_group);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, printout_group);
  gtk_widget_class_bind_template_child (widget_class, FfReportPage, preview);
  gtk_widget_class_bind_template_child_full (widget_class, "line_voltage_gauge", FALSE,
                                             G_STRUCT_OFFSET (FfReportPage,
                                                              gauges[FF_SIGNAL_LINE_VOLTAGE]));
  gtk_widget_class_bind_template_child_full (widget_class, "current_gauge", FALSE,
                                             G_STRUCT_OFFSET (FfReportPage,
                                                              gauges[FF_SIGNAL_CURRENT]));
  gtk_widget_class_bind_template_child_full (widget_class, "battery_voltage_gauge", FALSE,
                                             G_STRUCT_OFFSET (FfReportPage,
                                                              gauges[FF_SIGNAL_BATTERY_VOLTAGE]));
  gtk_widget_class_bind_template_child_full (widget_class, "ambient_temperature_gauge", FALSE,
                                             G_STRUCT_OFFSET (FfReportPage,
                                                              gauges[FF_SIGNAL_TEMPERATURE]));

  gtk_widget_class_install_action (widget_class, "report.save-pdf", NULL, save_pdf_activated);
}

static void
ff_report_page_init (FfReportPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  show_report (self);
}

FfWorkflow *
ff_report_page_get_workflow (FfReportPage *self)
{
  g_return_val_if_fail (FF_IS_REPORT_PAGE (self), NULL);

  return self->workflow;
}

void
ff_report_page_set_workflow (FfReportPage *self,
                             FfWorkflow   *workflow)
{
  static const FfWorkflowWatch watches[] = {
    { "notify::state", G_CALLBACK (update) },
    { "notify::outcome", G_CALLBACK (update) },
    { "notify::report-id", G_CALLBACK (update) },
  };

  g_return_if_fail (FF_IS_REPORT_PAGE (self));

  if (!ff_workflow_watch (self, &self->workflow, workflow, watches, G_N_ELEMENTS (watches)))
    return;

  /* Another visit begins: its report is the one to show. */
  g_clear_pointer (&self->opened_report_id, g_free);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
}

/* Where the saved reports are read back from. */
void
ff_report_page_set_context (FfReportPage *self,
                            FfContext    *context)
{
  g_return_if_fail (FF_IS_REPORT_PAGE (self));
  g_return_if_fail (FF_IS_CONTEXT (context));

  g_set_object (&self->context, context);
}

/* Shows a saved report (one the queue lists), read-only, until the workflow writes another. */
void
ff_report_page_open_report (FfReportPage *self,
                            const char   *report_id)
{
  g_return_if_fail (FF_IS_REPORT_PAGE (self));
  g_return_if_fail (report_id != NULL);

  g_free (self->opened_report_id);
  self->opened_report_id = g_strdup (report_id);
  load_report (self, report_id);
}

/* Renders the report shown to @file as a PDF, in a worker thread. */
void
ff_report_page_save_pdf_async (FfReportPage        *self,
                               GFile               *file,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FF_IS_REPORT_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ff_report_page_save_pdf_async);
  if (self->report == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("There is no saved report to export yet."));
      return;
    }
  g_task_set_task_data (task, g_file_get_path (file), g_free);
  /* The worker gets its own copy: the page may move on to another report meanwhile. */
  g_object_set_data_full (G_OBJECT (task), "document", ff_report_serialize (self->report),
                          (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, render_pdf_in_thread);
}

gboolean
ff_report_page_save_pdf_finish (FfReportPage  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
