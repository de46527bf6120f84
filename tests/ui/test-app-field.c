/* The pages around the workflow on the real window, as a technician and a trainer meet them: the
 * day's list with each visit's status in its own task, a visit resumed after a crash at the page
 * of its step, and training runs dealt by scenario cards through the trainer's dialog. */
#include "config.h"

#include <adwaita.h>

#include "ff-context.h"
#include "ff-crypto.h"
#include "ff-gps-simulated.h"
#include "ff-report-preview.h"
#include "ff-signal-gauge.h"
#include "ff-task-page.h"
#include "ff-test-fixtures.h"
#include "ff-ui-test.h"
#include "ff-window.h"

#define CONDITION_DEADLINE_S 60
#define DAY_S (24 * 3600)

typedef gboolean (*Condition) (gconstpointer data);

static gboolean
deadline_passed (gpointer user_data)
{
  g_error ("waited %d s in vain for %s", CONDITION_DEADLINE_S, (const char *) user_data);
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @condition holds; fails the test at the deadline. */
static void
wait_until (Condition      condition,
            gconstpointer  data,
            const char    *what)
{
  guint watchdog = g_timeout_add_seconds (CONDITION_DEADLINE_S, deadline_passed, (gpointer) what);

  while (!condition (data))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
}

static gboolean
is_row_with_subtitle (GtkWidget     *widget,
                      gconstpointer  subtitle)
{
  return ADW_IS_ACTION_ROW (widget)
         && g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)), subtitle) == 0;
}

typedef struct
{
  GtkWidget  *root;
  const char *subtitle;
} RowQuery;

static gboolean
row_shown (gconstpointer data)
{
  const RowQuery *query = data;
  GtkWidget *row = ff_ui_test_find (query->root, is_row_with_subtitle, query->subtitle);

  return row != NULL && gtk_widget_is_drawable (row);
}

/* ---- the tablet's store ---------------------------------------------------------------------- */

typedef struct
{
  char     *dir;
  FfTablet *tablet;
  FfKey    *platform_key;
} TestTablet;

static TestTablet *
test_tablet_new (void)
{
  TestTablet *tablet = g_new0 (TestTablet, 1);
  g_autoptr(GError) error = NULL;

  tablet->dir = g_dir_make_tmp ("ff-app-field-XXXXXX", &error);
  g_assert_no_error (error);
  tablet->tablet = ff_tablet_open (tablet->dir, FF_TEST_SERIAL, &error);
  g_assert_no_error (error);
  tablet->platform_key = ff_key_generate (&error);
  g_assert_no_error (error);
  return tablet;
}

static void
test_tablet_free (TestTablet *tablet)
{
  g_clear_object (&tablet->tablet);
  ff_key_unref (tablet->platform_key);
  ff_test_remove_tree (tablet->dir);
  g_free (tablet->dir);
  g_free (tablet);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestTablet, test_tablet_free)

/* Stores @task signed by the platform, as a sync leaves it. */
static void
store_task (TestTablet   *tablet,
            const FfTask *task)
{
  g_autoptr(GBytes) document = ff_task_serialize (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) signature = ff_key_sign (tablet->platform_key, document, &error);

  g_assert_no_error (error);
  g_assert_true (ff_store_save_task (ff_tablet_get_store (tablet->tablet), task->task_id,
                                     document, signature, &error));
  g_assert_no_error (error);
}

/* A task issued @days_ago days ago listing @device_ids, each to be upgraded to V2.00. */
static FfTask *
make_task (guint              days_ago,
           const char *const *device_ids)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  FfTask *task = ff_test_task_new (now - days_ago * DAY_S, 7 * DAY_S, "Wang Wei");
  g_autoptr(GError) error = NULL;

  for (guint i = 0; device_ids[i] != NULL; i++)
    {
      FfTaskItem *item = ff_test_task_item_new (device_ids[i], device_ids[i], 31.23 + i * 0.001,
                                                121.47, "127.0.0.1", 2404);

      item->target.version = g_strdup ("V2.00");
      item->target.sha256 = g_strnfill (FF_SHA256_HEX_LENGTH, 'a');
      item->target.size = 4096;
      item->target.file_name = g_strdup ("upgrade.bin");
      g_ptr_array_add (task->items, item);
    }
  g_assert_true (ff_task_validate (task, &error));
  g_assert_no_error (error);
  return task;
}

/* Saves @report signed by the tablet, as a finished visit does: queued, its workflow at "done". */
static void
save_report (TestTablet     *tablet,
             const FfReport *report)
{
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;

  signature = ff_report_sign (report, ff_tablet_get_key (tablet->tablet), &document, &error);
  g_assert_no_error (error);
  g_assert_true (ff_store_save_report (ff_tablet_get_store (tablet->tablet), report->report_id,
                                       report->task_id, report->device_id,
                                       ff_report_outcome_to_string (report->outcome),
                                       report->created_at, document, signature, "done", "{}",
                                       &error));
  g_assert_no_error (error);
}

static FfReport *
make_report (const char      *task_id,
             const char      *device_id,
             FfReportOutcome  outcome)
{
  FfReport *report = ff_test_report_new (task_id, device_id, FF_TEST_SERIAL, FF_TEST_PHONE);

  report->outcome = outcome;
  report->firmware_sha256 = g_strnfill (FF_SHA256_HEX_LENGTH, 'b');
  if (outcome == FF_REPORT_OUTCOME_IDENTITY_MISMATCH)
    ff_report_set_failure (report, "identify", "The terminal answered as DTU0999.");
  return report;
}

/* A finished visit of @device_id in @task_id with @outcome. */
static void
store_report (TestTablet      *tablet,
              const char      *task_id,
              const char      *device_id,
              FfReportOutcome  outcome)
{
  g_autoptr(FfReport) report = make_report (task_id, device_id, outcome);

  save_report (tablet, report);
}

static void
store_visit_state (TestTablet *tablet,
                   const char *task_id,
                   const char *device_id,
                   const char *state)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_store_save_workflow (ff_tablet_get_store (tablet->tablet), task_id, device_id,
                                         state, "{}", &error));
  g_assert_no_error (error);
}

static FfContext *
make_context (FfGpsSimulated *gps)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  return ff_context_new (settings, FF_GPS_SOURCE (gps));
}

static void
task_loaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_context_load_task_finish (FF_CONTEXT (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_set (gconstpointer data)
{
  return *(const gboolean *) data;
}

/* ---- the day's list -------------------------------------------------------------------------- */

/* Each terminal's status is its visit's in today's task: a report from an older task that listed
 * the same terminal does not mark it, and visits under way say so. */
static void
test_task_statuses (void)
{
  static const char *const old_terminals[] = { "DTU0001", NULL };
  static const char *const terminals[] = { "DTU0001", "DTU0002", "DTU0003", "DTU0004", NULL };
  g_autoptr(TestTablet) tablet = test_tablet_new ();
  g_autoptr(FfTask) old_task = make_task (2, old_terminals);
  g_autoptr(FfTask) task = make_task (0, terminals);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = make_context (gps);
  g_autoptr(GError) error = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = g_object_ref (g_object_new (FF_TYPE_TASK_PAGE, NULL));
  gboolean loaded = FALSE;
  static const char *const expected[] = {
    "DTU0001 · To do", "DTU0002 · Waiting for you", "DTU0003 · In progress",
    "DTU0004 · Failed",
  };

  store_task (tablet, old_task);
  store_report (tablet, old_task->task_id, "DTU0001", FF_REPORT_OUTCOME_UPGRADED);
  store_task (tablet, task);
  store_visit_state (tablet, task->task_id, "DTU0002", "confirm");
  store_visit_state (tablet, task->task_id, "DTU0003", "push");
  store_report (tablet, task->task_id, "DTU0004", FF_REPORT_OUTCOME_IDENTITY_MISMATCH);

  g_assert_true (ff_context_open_tablet (context, tablet->dir, &error));
  g_assert_no_error (error);
  gtk_window_set_child (GTK_WINDOW (window), page);
  ff_task_page_set_context (FF_TASK_PAGE (page), context);
  gtk_window_present (GTK_WINDOW (window));
  ff_context_load_task_async (context, NULL, task_loaded, &loaded);
  wait_until (flag_set, &loaded, "today's task");
  g_assert_cmpstr (ff_context_get_task (context)->task_id, ==, task->task_id);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      RowQuery query = { page, expected[i] };

      wait_until (row_shown, &query, expected[i]);
    }
  /* The nearest terminal without a report: the first one, though the old task upgraded it. */
  g_assert_cmpstr (ff_task_page_get_next_device_id (FF_TASK_PAGE (page)), ==, "DTU0001");

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (page);
}

/* ---- reports --------------------------------------------------------------------------------- */

static gboolean
page_is (gconstpointer data)
{
  const RowQuery *query = data;

  return g_strcmp0 (ff_window_get_page_name (FF_WINDOW (query->root)), query->subtitle) == 0;
}

static gboolean
row_titled_shown (gconstpointer data)
{
  const RowQuery *query = data;
  GtkWidget *row = ff_ui_test_find (query->root, ff_ui_test_is_row_titled, query->subtitle);

  return row != NULL && gtk_widget_is_drawable (row);
}

/* Destroys @window and waits for it to finalize: work under way holds it until its result has come
 * back through the main loop. */
static gboolean
pointer_cleared (gconstpointer data)
{
  return *(const gpointer *) data == NULL;
}

static void
destroy_window (FfWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  g_object_unref (window);
  wait_until (pointer_cleared, &window, "the window to finalize");
}

/* A row of the queue opens its report read-only on the Report page: the summary, the gauges as the
 * report judged them (not judged again by the app), a preview of the printed page and the PDF. */
static void
test_queue_opens_report (void)
{
  static const char *const terminals[] = { "DTU0001", NULL };
  g_autoptr(TestTablet) tablet = test_tablet_new ();
  g_autoptr(FfTask) task = make_task (0, terminals);
  g_autoptr(FfReport) report = make_report (task->task_id, "DTU0001", FF_REPORT_OUTCOME_UPGRADED);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = make_context (gps);
  g_autoptr(GError) error = NULL;
  FfWindow *window;
  GtkWidget *queue, *report_page, *row, *gauge, *preview;
  RowQuery query;

  /* Equal values, yet the report's judgement failed the line voltage: the page must say so. */
  report->before.present = report->after.present = report->judgement.present = TRUE;
  for (guint i = 0; i < FF_SIGNAL_COUNT; i++)
    {
      report->before.values[i] = report->after.values[i] = 10.0f + i;
      report->judgement.pass[i] = i != FF_SIGNAL_LINE_VOLTAGE;
      report->judgement.deviation[i] = i == FF_SIGNAL_LINE_VOLTAGE ? 0.25 : 0.0;
    }
  store_task (tablet, task);
  save_report (tablet, report);
  g_assert_true (ff_context_open_tablet (context, tablet->dir, &error));
  g_assert_no_error (error);

  window = g_object_ref (ff_window_new (NULL, context));
  gtk_window_present (GTK_WINDOW (window));
  queue = ff_window_get_page (window, "queue");
  report_page = ff_window_get_page (window, "report");
  ff_window_show_page (window, "queue");
  query = (RowQuery) { queue, "DTU0001" };
  wait_until (row_titled_shown, &query, "the report in the queue");
  row = ff_ui_test_find (queue, ff_ui_test_is_row_titled, "DTU0001");
  g_assert_true (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (row)));
  gtk_widget_activate (row);

  query = (RowQuery) { GTK_WIDGET (window), "report" };
  wait_until (page_is, &query, "the Report page");
  query = (RowQuery) { report_page, report->report_id };
  wait_until (row_shown, &query, "the report's number");
  g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (report_page, ff_ui_test_is_row_titled,
                                                          "Upgraded")));
  query = (RowQuery) { report_page, "V1.00 → V2.01" };
  g_assert_true (row_shown (&query));
  gauge = ff_ui_test_find_type (report_page, FF_TYPE_SIGNAL_GAUGE);
  g_assert_true (gtk_widget_is_drawable (gauge));
  g_assert_false (ff_signal_gauge_get_passed (FF_SIGNAL_GAUGE (gauge)));

  /* Read-only: the way back to the queue, not on to a terminal; the printed page and its PDF. */
  g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (report_page, ff_ui_test_is_button_for,
                                                          "win.show-page")));
  g_assert_false (gtk_widget_is_drawable (ff_ui_test_find (report_page, ff_ui_test_is_button_for,
                                                           "win.next-terminal")));
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "field-opened-report-1280x800.png");
  preview = ff_ui_test_find_type (report_page, FF_TYPE_REPORT_PREVIEW);
  g_assert_true (gtk_widget_is_drawable (preview));
  /* An A4 page, upright. */
  g_assert_cmpint (gtk_widget_get_width (preview), >=, 200);
  g_assert_cmpint (gtk_widget_get_height (preview), >, gtk_widget_get_width (preview));
  g_assert_true (gtk_widget_is_sensitive (ff_ui_test_find (report_page, ff_ui_test_is_button_for,
                                                           "report.save-pdf")));

  destroy_window (window);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  ff_ui_test_load_app_style ();

  g_test_add_func ("/app/field/task-statuses", test_task_statuses);
  g_test_add_func ("/app/field/queue-opens-report", test_queue_opens_report);
  return g_test_run ();
}
