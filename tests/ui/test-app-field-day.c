/* The day's work as the pages show it from the tablet's store: each visit's status in its own
 * task, the upload offered once every visit has its report, the Sync page's check of a delta
 * patch, a report opened read-only from the queue; and the store itself, opened and read off the
 * main thread: held by another program, the platform in the preferences. */
#include "config.h"

#include <adwaita.h>

#include "ff-crypto.h"
#include "ff-files.h"
#include "ff-preferences-window.h"
#include "ff-report-preview.h"
#include "ff-signal-gauge.h"
#include "ff-task-check.h"
#include "ff-task-page.h"
#include "ff-test-fixtures.h"
#include "ff-ui-test-tablet.h"
#include "ff-ui-test.h"
#include "ff-window.h"

#define CONDITION_DEADLINE_S 60

typedef struct
{
  FfTaskCheck *check;
  gpointer     gtask;   /* weak: the check's task, which holds the tablet */
} Checked;

static void
task_checked (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Checked *checked = user_data;
  g_autoptr(GError) error = NULL;

  checked->check = ff_task_check_finish (result, &error);
  g_assert_no_error (error);
  checked->gtask = result;
  g_object_add_weak_pointer (G_OBJECT (result), &checked->gtask);
}

/* What the Sync page's check finds of @task_id's files now. Returns once the worker thread has
 * let go of the tablet too (it may outlive the result by a moment), so that the tablet's directory
 * can go. */
static FfTaskCheck *
check_task (FfUiTestTablet *tablet,
            const char     *task_id)
{
  Checked checked = { NULL, NULL };
  guint watchdog = ff_test_watchdog_add (CONDITION_DEADLINE_S, "the task's check");

  ff_task_check_async (tablet->tablet, task_id, NULL, task_checked, &checked);
  while (checked.check == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
  while (g_atomic_pointer_get (&checked.gtask) != NULL)
    g_thread_yield ();
  return checked.check;
}

/* The post-sync check lists an item's delta patch beside its images, as the patch from V1.00 to
 * V2.00, and finds it missing, verified or damaged like an image. */
static void
test_task_check_lists_patch (void)
{
  g_autoptr(FfUiTestTablet) tablet = ff_ui_test_tablet_new ();
  FfStore *store = ff_tablet_get_store (tablet->tablet);
  g_autoptr(GBytes) old_image = g_bytes_new_take (g_strnfill (3000, 'o'), 3000);
  g_autoptr(GBytes) patch = g_bytes_new_take (g_strnfill (500, 'p'), 500);
  g_autofree char *patch_sha = ff_sha256_hex (g_bytes_get_data (patch, NULL), 500);
  g_autofree char *old_sha = ff_test_store_firmware (store, old_image);
  g_autofree char *patch_path = NULL;
  g_autoptr(FfTask) task = ff_ui_test_make_task (0, (const char *[]) { "DTU0001", NULL });
  g_autoptr(FfTaskCheck) missing = NULL;
  g_autoptr(FfTaskCheck) verified = NULL;
  g_autoptr(FfTaskCheck) damaged = NULL;
  FfTaskItem *item = task->items->pdata[0];
  const FfFirmwareCheck *entry;

  item->previous = ff_firmware_ref_new ();
  item->previous->version = g_strdup ("V1.00");
  item->previous->sha256 = g_strdup (old_sha);
  item->previous->size = 3000;
  item->delta = ff_delta_ref_new (patch_sha, 500, old_sha);
  ff_ui_test_tablet_store_task (tablet, task);

  missing = check_task (tablet, task->task_id);
  g_assert_cmpuint (missing->firmware->len, ==, 3);
  entry = missing->firmware->pdata[0];
  g_assert_cmpstr (entry->version, ==, "V2.00");
  g_assert_null (entry->from_version);
  entry = missing->firmware->pdata[1];
  g_assert_cmpstr (entry->version, ==, "V1.00");
  g_assert_cmpint (entry->verdict, ==, FF_FIRMWARE_VERIFIED);
  entry = missing->firmware->pdata[2];
  g_assert_cmpstr (entry->version, ==, "V2.00");
  g_assert_cmpstr (entry->from_version, ==, "V1.00");
  g_assert_cmpint (entry->size, ==, 500);
  g_assert_cmpint (entry->verdict, ==, FF_FIRMWARE_MISSING);

  g_free (ff_test_store_firmware (store, patch));
  verified = check_task (tablet, task->task_id);
  entry = verified->firmware->pdata[2];
  g_assert_cmpint (entry->verdict, ==, FF_FIRMWARE_VERIFIED);

  patch_path = ff_store_get_firmware_path (store, patch_sha);
  g_assert_true (g_file_set_contents (patch_path, "not the patch", -1, NULL));
  damaged = check_task (tablet, task->task_id);
  entry = damaged->firmware->pdata[2];
  g_assert_cmpint (entry->verdict, ==, FF_FIRMWARE_DAMAGED);
}

/* A finished visit of @device_id in @task_id with @outcome. */
static void
store_report (FfUiTestTablet  *tablet,
              const char      *task_id,
              const char      *device_id,
              FfReportOutcome  outcome)
{
  g_autoptr(FfReport) report = ff_ui_test_make_report (task_id, device_id, outcome);

  ff_ui_test_tablet_save_report (tablet, report);
}

static void
store_visit_state (FfUiTestTablet *tablet,
                   const char     *task_id,
                   const char     *device_id,
                   const char     *state)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_store_save_workflow (ff_tablet_get_store (tablet->tablet), task_id, device_id,
                                         state, "{}", &error));
  g_assert_no_error (error);
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

/* ---- the day's list -------------------------------------------------------------------------- */

/* Opens @tablet in @context and shows its Task page in @window once today's task is loaded. */
static GtkWidget *
show_task_page (FfUiTestTablet *tablet,
                FfContext      *context,
                GtkWidget      *window)
{
  GtkWidget *page = g_object_ref (g_object_new (FF_TYPE_TASK_PAGE, NULL));
  g_autoptr(GError) error = NULL;
  gboolean loaded = FALSE;

  g_assert_true (ff_context_open_tablet (context, tablet->dir, &error));
  g_assert_no_error (error);
  gtk_window_set_child (GTK_WINDOW (window), page);
  ff_task_page_set_context (FF_TASK_PAGE (page), context);
  gtk_window_present (GTK_WINDOW (window));
  ff_context_load_task_async (context, NULL, task_loaded, &loaded);
  ff_ui_test_wait_until (ff_ui_test_flag_set, &loaded, "today's task");
  return page;
}

/* Waits until @page shows a row subtitled with each of @subtitles. */
static void
wait_for_rows_subtitled (GtkWidget         *page,
                         const char *const *subtitles,
                         guint              count)
{
  for (guint i = 0; i < count; i++)
    {
      FfUiTestQuery query = { page, subtitles[i] };

      ff_ui_test_wait_until (ff_ui_test_row_shown, &query, subtitles[i]);
    }
}

static gboolean
is_group_titled (GtkWidget     *widget,
                 gconstpointer  title)
{
  return ADW_IS_PREFERENCES_GROUP (widget)
         && g_strcmp0 (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (widget)), title) == 0;
}

/* A button that opens page @name with "win.show-page". */
static gboolean
is_button_showing (GtkWidget     *widget,
                   gconstpointer  name)
{
  GVariant *target;

  if (!ff_ui_test_is_button_for (widget, "win.show-page"))
    return FALSE;
  target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget));
  return g_str_equal (g_variant_get_string (target, NULL), name);
}

static gboolean
upload_offered (gpointer page)
{
  GtkWidget *button = ff_ui_test_find (page, is_button_showing, "queue");

  return button != NULL && gtk_widget_is_drawable (button);
}

/* Each terminal's status is its visit's in today's task: a report from an older task that listed
 * the same terminal does not mark it, and visits under way say so. */
static void
test_task_statuses (void)
{
  static const char *const old_terminals[] = { "DTU0001", NULL };
  static const char *const terminals[] = { "DTU0001", "DTU0002", "DTU0003", "DTU0004", NULL };
  g_autoptr(FfUiTestTablet) tablet = ff_ui_test_tablet_new ();
  g_autoptr(FfTask) old_task = ff_ui_test_make_task (2, old_terminals);
  g_autoptr(FfTask) task = ff_ui_test_make_task (0, terminals);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_ui_test_make_context (gps);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page;
  static const char *const expected[] = {
    "DTU0001 · To do", "DTU0002 · Waiting for you", "DTU0003 · In progress",
    "DTU0004 · Failed",
  };

  ff_ui_test_tablet_store_task (tablet, old_task);
  store_report (tablet, old_task->task_id, "DTU0001", FF_REPORT_OUTCOME_UPGRADED);
  ff_ui_test_tablet_store_task (tablet, task);
  store_visit_state (tablet, task->task_id, "DTU0002", "confirm");
  store_visit_state (tablet, task->task_id, "DTU0003", "push");
  store_report (tablet, task->task_id, "DTU0004", FF_REPORT_OUTCOME_IDENTITY_MISMATCH);

  page = show_task_page (tablet, context, window);
  g_assert_cmpstr (ff_context_get_task (context)->task_id, ==, task->task_id);

  wait_for_rows_subtitled (page, expected, G_N_ELEMENTS (expected));
  /* The nearest terminal without a report: the first one, though the old task upgraded it. */
  g_assert_cmpstr (ff_task_page_get_next_device_id (FF_TASK_PAGE (page)), ==, "DTU0001");
  /* A route, each terminal numbered in the order to walk it; work is left, so Next Terminal. */
  g_assert_nonnull (ff_ui_test_find (page, is_group_titled, "Route"));
  for (guint i = 1; i <= G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *stop = g_strdup_printf ("%u", i);

      g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (page, ff_ui_test_is_label, stop)));
    }
  g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (page, ff_ui_test_is_button_for,
                                                          "win.next-terminal")));
  g_assert_false (upload_offered (page));

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (page);
}

/* Once every visit of today's task has its report — passed or failed — the page's action is the
 * upload, not a Next Terminal that has nowhere to go. */
static void
test_task_all_done (void)
{
  static const char *const terminals[] = { "DTU0001", "DTU0002", NULL };
  g_autoptr(FfUiTestTablet) tablet = ff_ui_test_tablet_new ();
  g_autoptr(FfTask) task = ff_ui_test_make_task (0, terminals);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_ui_test_make_context (gps);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page;
  GtkWidget *button;

  ff_ui_test_tablet_store_task (tablet, task);
  store_report (tablet, task->task_id, "DTU0001", FF_REPORT_OUTCOME_UPGRADED);
  store_report (tablet, task->task_id, "DTU0002", FF_REPORT_OUTCOME_IDENTITY_MISMATCH);
  page = show_task_page (tablet, context, window);

  ff_ui_test_wait_until (upload_offered, page, "the upload to be offered");
  button = ff_ui_test_find (page, is_button_showing, "queue");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "All Done — _Upload Reports");
  g_assert_true (gtk_widget_has_css_class (button, "suggested-action"));
  g_assert_false (gtk_widget_is_drawable (ff_ui_test_find (page, ff_ui_test_is_button_for,
                                                           "win.next-terminal")));
  g_assert_null (ff_task_page_get_next_device_id (FF_TASK_PAGE (page)));
  g_assert_nonnull (ff_ui_test_find (page, is_group_titled, "Route — All Done"));

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (page);
}

/* A task the platform withdrew with a visit under way is still today's task: its terminals not
 * started say they are withdrawn and count as finished, so Next Terminal is the visit under way,
 * and the route says the task is withdrawn. */
static void
test_task_withdrawn (void)
{
  static const char *const terminals[] = { "DTU0001", "DTU0002", "DTU0003", NULL };
  static const char *const listed[] = { NULL };
  g_autoptr(FfUiTestTablet) tablet = ff_ui_test_tablet_new ();
  g_autoptr(FfTask) task = ff_ui_test_make_task (0, terminals);
  const char *const judged[] = { task->task_id, NULL };
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_ui_test_make_context (gps);
  g_autoptr(GError) error = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page;
  static const char *const expected[] = {
    "DTU0001 · Withdrawn by the platform", "DTU0002 · In progress",
    "DTU0003 · Withdrawn by the platform",
  };

  ff_ui_test_tablet_store_task (tablet, task);
  store_visit_state (tablet, task->task_id, "DTU0002", "push");
  g_assert_true (ff_store_withdraw_unlisted_tasks (ff_tablet_get_store (tablet->tablet), judged,
                                                   listed, &error));
  g_assert_no_error (error);

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  page = show_task_page (tablet, context, window);
  g_assert_cmpstr (ff_context_get_task (context)->task_id, ==, task->task_id);
  wait_for_rows_subtitled (page, expected, G_N_ELEMENTS (expected));
  /* The nearest terminal is withdrawn: the next is the visit under way, not an upload. */
  g_assert_cmpstr (ff_task_page_get_next_device_id (FF_TASK_PAGE (page)), ==, "DTU0002");
  g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (page, ff_ui_test_is_button_for,
                                                          "win.next-terminal")));
  g_assert_false (upload_offered (page));
  g_assert_nonnull (ff_ui_test_find (page, is_group_titled, "Route — Withdrawn by the Platform"));
  ff_ui_test_save_screenshot (window, "field-task-withdrawn-1280x800.png");

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (page);
}

/* ---- reports --------------------------------------------------------------------------------- */

/* A row of the queue opens its report read-only on the Report page: the summary, the gauges as the
 * report judged them (not judged again by the app), a preview of the printed page and the PDF. */
static void
test_queue_opens_report (void)
{
  static const char *const terminals[] = { "DTU0001", NULL };
  g_autoptr(FfUiTestTablet) tablet = ff_ui_test_tablet_new ();
  g_autoptr(FfTask) task = ff_ui_test_make_task (0, terminals);
  g_autoptr(FfReport) report = ff_ui_test_make_report (task->task_id, "DTU0001",
                                                       FF_REPORT_OUTCOME_UPGRADED);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_ui_test_make_context (gps);
  g_autoptr(GError) error = NULL;
  FfWindow *window;
  GtkWidget *queue, *report_page, *row, *gauge, *preview;
  FfUiTestQuery query;

  /* Equal values, yet the report's judgement failed the line voltage: the page must say so. */
  report->before.present = report->after.present = report->judgement.present = TRUE;
  for (guint i = 0; i < FF_SIGNAL_COUNT; i++)
    {
      report->before.values[i] = report->after.values[i] = 10.0f + i;
      report->judgement.pass[i] = i != FF_SIGNAL_LINE_VOLTAGE;
      report->judgement.deviation[i] = i == FF_SIGNAL_LINE_VOLTAGE ? 0.25 : 0.0;
    }
  ff_ui_test_tablet_store_task (tablet, task);
  ff_ui_test_tablet_save_report (tablet, report);
  g_assert_true (ff_context_open_tablet (context, tablet->dir, &error));
  g_assert_no_error (error);

  window = g_object_ref (ff_window_new (NULL, context));
  gtk_window_present (GTK_WINDOW (window));
  queue = ff_window_get_page (window, "queue");
  report_page = ff_window_get_page (window, "report");
  ff_window_show_page (window, "queue");
  query = (FfUiTestQuery) { queue, "DTU0001" };
  ff_ui_test_wait_until (ff_ui_test_row_titled_shown, &query, "the report in the queue");
  row = ff_ui_test_find (queue, ff_ui_test_is_row_titled, "DTU0001");
  g_assert_true (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (row)));
  gtk_widget_activate (row);

  query = (FfUiTestQuery) { GTK_WIDGET (window), "report" };
  ff_ui_test_wait_until (ff_ui_test_page_is, &query, "the Report page");
  query = (FfUiTestQuery) { report_page, report->report_id };
  ff_ui_test_wait_until (ff_ui_test_row_shown, &query, "the report's number");
  g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (report_page, ff_ui_test_is_row_titled,
                                                          "Upgraded")));
  query = (FfUiTestQuery) { report_page, "V1.00 → V2.01" };
  g_assert_true (ff_ui_test_row_shown (&query));
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

  ff_ui_test_destroy_window (window);
}

/* ---- the tablet's store, opened and read off the main thread --------------------------------- */

static gboolean
words_shown (gpointer data)
{
  const FfUiTestQuery *query = data;

  return ff_ui_test_find (query->root, ff_ui_test_is_label_mentioning, query->text) != NULL;
}

static void
tablet_in_use (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (ff_context_open_tablet_finish (FF_CONTEXT (source), result, &error));
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_IN_USE);
  *(gboolean *) user_data = TRUE;
}

/* Another program (here a second process of this test) has the tablet open: the app does not
 * open it, and tells the technician which program has it. */
static void
test_tablet_in_use (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ff-app-in-use-XXXXXX", &error);
  g_autoptr(GSubprocess) holder = ff_test_hold_tablet (dir);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_ui_test_make_context (gps);
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  g_autofree char *words = g_strdup_printf ("in use by ff-test-holder (process %s)",
                                            g_subprocess_get_identifier (holder));
  FfUiTestQuery query = { GTK_WIDGET (window), words };
  gboolean refused = FALSE;

  gtk_window_present (GTK_WINDOW (window));
  ff_context_open_tablet_async (context, dir, NULL, tablet_in_use, &refused);
  ff_ui_test_wait_until (ff_ui_test_flag_set, &refused, "the tablet to be refused");
  g_assert_null (ff_context_get_tablet (context));
  g_assert_nonnull (strstr (ff_context_get_tablet_error (context), words));
  ff_ui_test_wait_until (words_shown, &query, "the message naming the holder");

  ff_ui_test_destroy_window (window);
  g_subprocess_force_exit (holder);
  g_assert_true (g_subprocess_wait (holder, NULL, &error));
  ff_remove_tree (dir);
}

static gboolean
url_shown (gpointer preferences)
{
  GtkWidget *url_row = ff_ui_test_find_type (GTK_WIDGET (preferences), ADW_TYPE_ENTRY_ROW);

  return g_str_equal (gtk_editable_get_text (GTK_EDITABLE (url_row)), "https://127.0.0.1:9443");
}

/* The tablet's platform is read off the main thread; until it is there it cannot be changed. */
static void
test_preferences_read_platform (void)
{
  g_autoptr(FfUiTestTablet) tablet = ff_ui_test_tablet_new ();
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_ui_test_make_context (gps);
  g_autofree char *key_pem = ff_key_get_public_pem (tablet->platform_key);
  g_autoptr(GError) error = NULL;
  FfPreferencesWindow *preferences;
  GtkWidget *url_row, *key_view;
  GtkTextIter start, end;
  g_autofree char *shown_key = NULL;

  g_assert_true (ff_tablet_set_platform (tablet->tablet, "https://127.0.0.1:9443", key_pem, NULL,
                                         &error));
  g_assert_no_error (error);
  g_assert_true (ff_context_open_tablet (context, tablet->dir, &error));
  g_assert_no_error (error);

  preferences = g_object_ref (ff_preferences_window_new (context));
  gtk_window_present (GTK_WINDOW (preferences));
  url_row = ff_ui_test_find_type (GTK_WIDGET (preferences), ADW_TYPE_ENTRY_ROW);
  g_assert_false (gtk_widget_is_sensitive (url_row));
  ff_ui_test_wait_until (url_shown, preferences, "the platform's address");
  g_assert_true (gtk_widget_is_sensitive (url_row));
  key_view = ff_ui_test_find_type (GTK_WIDGET (preferences), GTK_TYPE_TEXT_VIEW);
  gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (GTK_TEXT_VIEW (key_view)), &start, &end);
  shown_key = gtk_text_iter_get_text (&start, &end);
  g_assert_cmpstr (shown_key, ==, key_pem);

  gtk_window_destroy (GTK_WINDOW (preferences));
  g_assert_finalize_object (preferences);
}

int
main (int   argc,
      char *argv[])
{
  ff_test_hold_tablet_main (argc, argv);
  ff_ui_test_init (&argc, &argv);

  g_test_add_func ("/app/field/task-statuses", test_task_statuses);
  g_test_add_func ("/app/field/task-all-done", test_task_all_done);
  g_test_add_func ("/app/field/task-withdrawn", test_task_withdrawn);
  g_test_add_func ("/app/field/task-check-lists-patch", test_task_check_lists_patch);
  g_test_add_func ("/app/field/queue-opens-report", test_queue_opens_report);
  g_test_add_func ("/app/field/tablet-in-use", test_tablet_in_use);
  g_test_add_func ("/app/field/preferences-read-platform", test_preferences_read_platform);
  return g_test_run ();
}
