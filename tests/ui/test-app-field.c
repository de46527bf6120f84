/* The pages around the workflow on the real window, as a technician and a trainer meet them: the
 * day's list with each visit's status in its own task, a report opened from the queue, a visit
 * resumed after a crash at the page of its step, training runs dealt by scenario cards through the
 * trainer's dialog; and the Task, Sync, Queue and Report pages filled, the preferences and the
 * about window at 1280×800 and 360×720 into meson-logs/screenshots, checked for overflow and for
 * targets under 48 px. */
#include "config.h"

#include <adwaita.h>

#include "ff-application.h"
#include "ff-context.h"
#include "ff-crypto.h"
#include "ff-gps-simulated.h"
#include "ff-preferences-window.h"
#include "ff-profile.h"
#include "ff-report-preview.h"
#include "ff-signal-gauge.h"
#include "ff-sim-firmware.h"
#include "ff-sim-fleet.h"
#include "ff-task-check.h"
#include "ff-task-page.h"
#include "ff-test-fixtures.h"
#include "ff-training.h"
#include "ff-files.h"
#include "ff-ui-test.h"
#include "ff-window.h"

#define CONDITION_DEADLINE_S 60
#define DAY_S (24 * 3600)
/* Long enough to stop the run while the terminal reboots, short enough not to wait. */
#define BOOT_TIME_MS 1000
#define TARGET_IMAGE_SIZE (32 * 1024)
#define FACTORY_IMAGE_SIZE (64 * 1024)

typedef gboolean (*Condition) (gconstpointer data);

/* A wait that times out says where each window's visit stood: its page, state and last message. */
static gboolean
deadline_passed (gpointer user_data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  g_autoptr(GString) where = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);
      FfWorkflow *workflow;

      if (!FF_IS_WINDOW (toplevel))
        continue;
      workflow = ff_window_get_workflow (FF_WINDOW (toplevel));
      g_string_append_printf (where, " (page %s", ff_window_get_page_name (FF_WINDOW (toplevel)));
      if (workflow != NULL)
        g_string_append_printf (where, ", workflow %s: %s",
                                ff_workflow_state_to_string (ff_workflow_get_state (workflow)),
                                ff_workflow_get_message (workflow));
      g_string_append_c (where, ')');
    }
  g_error ("waited %u s in vain for %s%s", ff_test_deadline_s (CONDITION_DEADLINE_S),
           (const char *) user_data, where->str);
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @condition holds; fails the test at the deadline. */
static void
wait_until (Condition      condition,
            gconstpointer  data,
            const char    *what)
{
  guint watchdog = g_timeout_add_seconds (ff_test_deadline_s (CONDITION_DEADLINE_S),
                                          deadline_passed, (gpointer) what);

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
check_task (TestTablet *tablet,
            const char *task_id)
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
  g_autoptr(TestTablet) tablet = test_tablet_new ();
  FfStore *store = ff_tablet_get_store (tablet->tablet);
  g_autoptr(GBytes) old_image = g_bytes_new_take (g_strnfill (3000, 'o'), 3000);
  g_autoptr(GBytes) patch = g_bytes_new_take (g_strnfill (500, 'p'), 500);
  g_autofree char *patch_sha = ff_sha256_hex (g_bytes_get_data (patch, NULL), 500);
  g_autofree char *old_sha = ff_test_store_firmware (store, old_image);
  g_autofree char *patch_path = NULL;
  g_autoptr(FfTask) task = make_task (0, (const char *[]) { "DTU0001", NULL });
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
  store_task (tablet, task);

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

static void
tablet_opened (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_context_open_tablet_finish (FF_CONTEXT (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_set (gconstpointer data)
{
  return *(const gboolean *) data;
}

/* ---- the day's list -------------------------------------------------------------------------- */

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
upload_offered (gconstpointer data)
{
  GtkWidget *button = ff_ui_test_find ((GtkWidget *) data, is_button_showing, "queue");

  return button != NULL && gtk_widget_is_drawable (button);
}

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
  g_autoptr(TestTablet) tablet = test_tablet_new ();
  g_autoptr(FfTask) task = make_task (0, terminals);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = make_context (gps);
  g_autoptr(GError) error = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = g_object_ref (g_object_new (FF_TYPE_TASK_PAGE, NULL));
  gboolean loaded = FALSE;
  GtkWidget *button;

  store_task (tablet, task);
  store_report (tablet, task->task_id, "DTU0001", FF_REPORT_OUTCOME_UPGRADED);
  store_report (tablet, task->task_id, "DTU0002", FF_REPORT_OUTCOME_IDENTITY_MISMATCH);
  g_assert_true (ff_context_open_tablet (context, tablet->dir, &error));
  g_assert_no_error (error);
  gtk_window_set_child (GTK_WINDOW (window), page);
  ff_task_page_set_context (FF_TASK_PAGE (page), context);
  gtk_window_present (GTK_WINDOW (window));
  ff_context_load_task_async (context, NULL, task_loaded, &loaded);
  wait_until (flag_set, &loaded, "today's task");

  wait_until (upload_offered, page, "the upload to be offered");
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

static gboolean
pointer_cleared (gconstpointer data)
{
  return *(const gpointer *) data == NULL;
}

/* Destroys @window (a GtkWindow) and waits for it to finalize: work under way holds it until its
 * result has come back through the main loop. */
static void
destroy_window (gpointer window)
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

/* ---- a visit resumed after a crash ----------------------------------------------------------- */

typedef struct
{
  TestTablet     *tablet;
  FfSimFleet     *fleet;
  FfGpsSimulated *gps;         /* standing at the terminal */
  FfTask         *task;
} Field;

static void
field_free (Field *field)
{
  ff_sim_fleet_stop (field->fleet);
  g_object_unref (field->fleet);
  g_object_unref (field->gps);
  ff_task_free (field->task);
  test_tablet_free (field->tablet);
  g_free (field);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Field, field_free)

static void
add_firmware (TestTablet    *tablet,
              FfFirmwareRef *ref,
              const char    *version,
              gsize          size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = ff_sim_firmware_make ("Acme", "DTU-3000", version, size, &error);

  g_assert_no_error (error);
  ref->version = g_strdup (version);
  ref->sha256 = ff_test_store_firmware (ff_tablet_get_store (tablet->tablet), image);
  ref->size = size;
}

/* One simulated terminal DTU0001 on V1.00, a tablet holding today's task to upgrade it to V2.00
 * with the firmware, and a GPS standing at the terminal. */
static Field *
field_new (void)
{
  Field *field = g_new0 (Field, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfProfile) profile = ff_profile_load ("state-grid", &error);
  FfSimTerminalConfig config = {
    .device_id = "DTU0001", .version = "V1.00", .vendor = "Acme", .model = "DTU-3000",
    .type = "DTU", .latitude = 31.2331, .longitude = 121.4752, .host = "127.0.0.1",
    .profile = profile, .boot_time_ms = BOOT_TIME_MS,
  };
  FfSimTerminal *terminal;
  FfTaskItem *item;
  double latitude, longitude;

  g_assert_no_error (error);
  field->tablet = test_tablet_new ();
  field->fleet = ff_sim_fleet_new ();
  ff_sim_fleet_set_boot_time (field->fleet, BOOT_TIME_MS);
  terminal = ff_sim_fleet_add_terminal (field->fleet, &config, &error);
  g_assert_no_error (error);
  g_assert_true (ff_sim_fleet_start (field->fleet, &error));
  g_assert_no_error (error);

  field->task = ff_test_task_new (g_get_real_time () / G_USEC_PER_SEC, 7 * DAY_S, "Wang Wei");
  item = ff_test_task_item_new ("DTU0001", "Ring main unit 1, Renmin Road", config.latitude,
                                config.longitude, "127.0.0.1",
                                ff_sim_terminal_get_port (terminal));
  add_firmware (field->tablet, &item->target, "V2.00", TARGET_IMAGE_SIZE);
  item->target.file_name = g_strdup (profile->iec104.upgrade_file_name);
  item->previous = ff_firmware_ref_new ();
  add_firmware (field->tablet, item->previous, "V1.00", FACTORY_IMAGE_SIZE);
  g_ptr_array_add (field->task->items, item);
  g_assert_true (ff_task_validate (field->task, &error));
  g_assert_no_error (error);
  store_task (field->tablet, field->task);

  field->gps = ff_gps_simulated_new ();
  ff_sim_terminal_get_true_position (terminal, &latitude, &longitude);
  ff_gps_simulated_set_position (field->gps, latitude, longitude);
  return field;
}

typedef struct
{
  FfWorkflowState stop_at;
  GCancellable   *cancellable;
  gboolean        ended;
} Crash;

static void
run_ended (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Crash *crash = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_false (ff_workflow_run_finish (FF_WORKFLOW (source), result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  crash->ended = TRUE;
}

/* The app "crashes" the moment the visit enters the state: the run stops there, as the power
 * going would leave it. Confirming the push is the technician's, before the crash. */
static void
state_entered (FfWorkflow *workflow,
               GParamSpec *pspec,
               Crash      *crash)
{
  FfWorkflowState state = ff_workflow_get_state (workflow);
  g_autoptr(GError) error = NULL;

  if (state == crash->stop_at)
    g_cancellable_cancel (crash->cancellable);
  else if (state == FF_WORKFLOW_STATE_CONFIRM)
    {
      g_assert_true (ff_workflow_confirm_push (workflow, &error));
      g_assert_no_error (error);
    }
}

static void
visit_until_crash (Field           *field,
                   FfWorkflowState  state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfWorkflow) workflow = ff_tablet_create_workflow (field->tablet->tablet,
                                                              FF_GPS_SOURCE (field->gps),
                                                              field->task->task_id, "DTU0001",
                                                              &error);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Crash crash = { state, cancellable, FALSE };

  g_assert_no_error (error);
  g_signal_connect (workflow, "notify::state", G_CALLBACK (state_entered), &crash);
  ff_workflow_run_async (workflow, cancellable, run_ended, &crash);
  wait_until (flag_set, &crash.ended, "the visit to stop");
  g_assert_cmpint (ff_workflow_get_state (workflow), ==, state);
}

typedef struct
{
  FfWindow        *window;
  FfWorkflowState  state;
} StateQuery;

static gboolean
workflow_state_is (gconstpointer data)
{
  const StateQuery *query = data;
  FfWorkflow *workflow = ff_window_get_workflow (query->window);

  return workflow != NULL && ff_workflow_get_state (workflow) == query->state;
}

/* After the crash the app starts as it does at power-on (the tablet opens after the window is
 * made); the window opens the page of the step the visit was at and says whose visit goes on. */
static FfWindow *
restart_app (Field           *field,
             FfWorkflowState  state)
{
  g_autoptr(FfContext) context = make_context (field->gps);
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  StateQuery wanted = { window, state };
  RowQuery query = { GTK_WIDGET (window), ff_window_page_for_state (state) };
  gboolean opened = FALSE;

  gtk_window_present (GTK_WINDOW (window));
  ff_context_open_tablet_async (context, field->tablet->dir, NULL, tablet_opened, &opened);
  wait_until (flag_set, &opened, "the tablet to open");
  wait_until (workflow_state_is, &wanted, "the resumed visit");
  wait_until (page_is, &query, "the page of the step");
  g_assert_nonnull (ff_ui_test_find (GTK_WIDGET (window), ff_ui_test_is_label,
                                     "Resuming the visit of DTU0001"));
  return window;
}

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (toplevel))
        return ADW_MESSAGE_DIALOG (toplevel);
    }
  return NULL;
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

/* Clicks the response button labelled @label, which also closes the dialog. */
static void
respond (AdwMessageDialog *dialog,
         const char       *label)
{
  GtkWidget *button = ff_ui_test_find (GTK_WIDGET (dialog), is_button_labelled, label);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
}

/* The run is over when a new one may start: "I Am at the Terminal" can be pressed again. */
static gboolean
run_stopped (gconstpointer data)
{
  GtkWidget *navigate = ff_window_get_page (FF_WINDOW ((gpointer) data), "navigate");

  return gtk_widget_is_sensitive (ff_ui_test_find (navigate, ff_ui_test_is_button_for,
                                                   "win.start-upgrade"));
}

/* Stopped at the go-ahead: the app opens it again, waiting for the technician, who can stop
 * it again (asked first) and find it waiting the next time. */
static void
test_resume_at_confirm (void)
{
  g_autoptr(Field) field = field_new ();
  FfWindow *window;
  AdwMessageDialog *dialog;

  visit_until_crash (field, FF_WORKFLOW_STATE_CONFIRM);
  /* The tablet is closed like a crash leaves it: the app opens its own. */
  g_clear_object (&field->tablet->tablet);

  window = restart_app (field, FF_WORKFLOW_STATE_CONFIRM);
  g_assert_cmpstr (ff_window_get_page_name (window), ==,
                   ff_window_page_for_state (FF_WORKFLOW_STATE_CONFIRM));
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "field-resumed-confirm-1280x800.png");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-upgrade", NULL);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  respond (dialog, "_Stop");
  wait_until (run_stopped, window, "the resumed visit to stop");
  destroy_window (window);
}

static gboolean
report_shows (gconstpointer data)
{
  GtkWidget *report = ff_window_get_page (FF_WINDOW ((gpointer) data), "report");
  GtkWidget *row = ff_ui_test_find (report, ff_ui_test_is_row_titled, "Upgraded");

  return row != NULL && gtk_widget_is_drawable (row);
}

/* Stopped while the terminal rebooted into the new firmware: the app opens Restart and Verify,
 * finds the terminal back on the target version, and ends in the report. */
static void
test_resume_at_reboot_wait (void)
{
  g_autoptr(Field) field = field_new ();
  FfWindow *window;

  visit_until_crash (field, FF_WORKFLOW_STATE_REBOOT_WAIT);
  g_clear_object (&field->tablet->tablet);

  window = restart_app (field, FF_WORKFLOW_STATE_REBOOT_WAIT);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "restart");
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "field-resumed-restart-1280x800.png");
  wait_until (report_shows, window, "the resumed visit's report");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
  destroy_window (window);
}

/* ---- training: scenario cards dealt through the trainer's dialog ----------------------------- */

static GtkWidget *
visible_page (FfWindow *window)
{
  return ff_window_get_page (window, ff_window_get_page_name (window));
}

/* Presses the button of @action_name on the visible page, as a finger would: it must be there, on
 * screen and sensitive. */
static void
press (FfWindow   *window,
       const char *action_name)
{
  GtkWidget *button = ff_ui_test_find (visible_page (window), ff_ui_test_is_button_for,
                                       action_name);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_drawable (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static gboolean
training_ready (gconstpointer data)
{
  return g_strcmp0 (ff_window_get_page_name (FF_WINDOW ((gpointer) data)), "task") == 0;
}

typedef struct
{
  FfWindow   *window;
  FfWorkflow *before;
} NewRunQuery;

static gboolean
workflow_started (gconstpointer data)
{
  const NewRunQuery *query = data;
  FfWorkflow *workflow = ff_window_get_workflow (query->window);

  return workflow != NULL && workflow != query->before;
}

/* Walks to @device_id, presses "I Am at the Terminal" and waits until the visit reaches @state. */
static void
visit (FfWindow        *window,
       const char      *device_id,
       FfWorkflowState  state)
{
  NewRunQuery started = { window, ff_window_get_workflow (window) };
  StateQuery reached = { window, state };

  gtk_widget_activate_action (GTK_WIDGET (window), "win.navigate-to", "s", device_id);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "navigate");
  press (window, "win.walk-there");
  press (window, "win.start-upgrade");
  wait_until (workflow_started, &started, "the visit to start");
  g_assert_cmpstr (ff_workflow_get_device_id (ff_window_get_workflow (window)), ==, device_id);
  wait_until (workflow_state_is, &reached, ff_workflow_state_to_string (state));
}

/* Gives the go-ahead from the Before page. */
static void
give_go_ahead (FfWindow *window)
{
  press (window, "before.upgrade");
}

/* The report is saved and the run is over: the way to the next terminal is open. */
static gboolean
run_finished (gconstpointer data)
{
  FfWindow *window = FF_WINDOW ((gpointer) data);
  GtkWidget *next = ff_ui_test_find (ff_window_get_page (window, "report"),
                                     ff_ui_test_is_button_for, "win.next-terminal");

  return ff_workflow_get_state (ff_window_get_workflow (window)) == FF_WORKFLOW_STATE_DONE
         && gtk_widget_is_sensitive (next) && run_stopped (window);
}

static gboolean
titled_row_shown (gconstpointer data)
{
  const RowQuery *query = data;
  GtkWidget *row = ff_ui_test_find (query->root, ff_ui_test_is_row_titled, query->subtitle);

  return row != NULL && gtk_widget_is_drawable (row);
}

/* The report page names the outcome in the words of the saved report (which it reads in a
 * worker), so the title is waited for. */
static void
assert_report_says (FfWindow   *window,
                    const char *outcome)
{
  RowQuery query;

  wait_until (run_finished, window, "the report");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
  query = (RowQuery) { visible_page (window), outcome };
  wait_until (titled_row_shown, &query, "the report's outcome");
}

/* Opens the trainer's dialog, picks @titles[i] for the terminal named @names[i] (the others are
 * left as they are) and deals. */
static void
deal_cards (FfWindow          *window,
            const char *const *names,
            const char *const *titles)
{
  AdwMessageDialog *dialog;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.trainer-cards", NULL);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  for (guint i = 0; names[i] != NULL; i++)
    {
      GtkWidget *row = ff_ui_test_find (GTK_WIDGET (dialog), ff_ui_test_is_row_titled, names[i]);
      GListModel *choices = adw_combo_row_get_model (ADW_COMBO_ROW (row));
      guint n = g_list_model_get_n_items (choices);
      guint chosen = n;

      for (guint k = 0; k < n; k++)
        if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (choices), k), titles[i]))
          chosen = k;
      g_assert_cmpuint (chosen, <, n);
      adw_combo_row_set_selected (ADW_COMBO_ROW (row), chosen);
    }
  respond (dialog, "_Deal the Cards");
}

static const char *
selected_card (AdwComboRow *row)
{
  return gtk_string_list_get_string (GTK_STRING_LIST (adw_combo_row_get_model (row)),
                                     adw_combo_row_get_selected (row));
}

/* A trainer deals three more cards through the dialog and the trainee runs each terminal to the
 * outcome the card stands for; the scenario given on the command line is shown as running and is
 * never reset by a deal that leaves its terminal alone; the fourth terminal is already current. */
static void
test_training_cards (void)
{
  static const char *const first_names[] = {
    "Ring main unit 1, Renmin Road", "Ring main unit 3, Hankou Road", NULL
  };
  static const char *const first_cards[] = { "Wrong terminal", "Upgrade refused", NULL };
  static const char *const second_names[] = { "Ring main unit 2, Fuzhou Road", NULL };
  static const char *const second_cards[] = { "Signal drift after upgrade", NULL };
  static const char *const statuses[] = {
    "DTU0101 · Failed", "DTU0102 · Failed", "DTU0103 · Failed", "DTU0104 · Done",
  };
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = make_context (gps);
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  FfTraining *training;
  AdwMessageDialog *dialog;
  GtkWidget *row;

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.start-training", "s",
                              "checksum-error segment=5");
  wait_until (training_ready, window, "the training task");
  training = ff_context_get_training (context);

  /* The trainer sees what each terminal runs, the command line's scenario too. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.trainer-cards", NULL);
  dialog = find_dialog ();
  row = ff_ui_test_find (GTK_WIDGET (dialog), ff_ui_test_is_row_titled,
                         "Ring main unit 2, Fuzhou Road");
  g_assert_cmpstr (selected_card (ADW_COMBO_ROW (row)), ==, "Running: checksum-error segment=5");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   "DTU0102 · checksum-error segment=5");
  row = ff_ui_test_find (GTK_WIDGET (dialog), ff_ui_test_is_row_titled,
                         "Ring main unit 1, Renmin Road");
  g_assert_cmpstr (selected_card (ADW_COMBO_ROW (row)), ==, "Healthy terminal");
  ff_ui_test_save_screenshot (GTK_WIDGET (dialog), "field-trainer-cards.png");
  respond (dialog, "_Cancel");

  deal_cards (window, first_names, first_cards);
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0101"), ==,
                   "wrong-device-id id=DTU0999");
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0103"), ==, "file-name-refused");
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0102"), ==, "checksum-error segment=5");
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0104"), ==, "none");

  /* Wrong terminal: a full stop on the Connect page, waiting for the technician, who leaves. */
  visit (window, "DTU0101", FF_WORKFLOW_STATE_IDENTITY_MISMATCH);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "connect");
  g_assert_cmpstr (ff_ui_test_visible_stack_child (visible_page (window)), ==, "mismatch");
  ff_window_show_page (window, "task");
  {
    RowQuery query = { ff_window_get_page (window, "task"), "DTU0101 · Waiting for you" };

    wait_until (row_shown, &query, "the day's list to say the visit waits");
  }
  ff_window_show_page (window, "connect");
  press (window, "connect.leave");
  assert_report_says (window, "Wrong device ID: not upgraded");

  /* Upgrade refused: the push fails on a terminal that still runs the previous firmware, where a
   * rollback cannot help; none is offered, and the report is written at once. */
  visit (window, "DTU0103", FF_WORKFLOW_STATE_CONFIRM);
  give_go_ahead (window);
  assert_report_says (window, "Upgrade failed");

  /* A second deal changes only the terminal the trainer touched. */
  deal_cards (window, second_names, second_cards);
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0102"), ==,
                   "signal-drift signal=current percent=25");
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0101"), ==,
                   "wrong-device-id id=DTU0999");
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0103"), ==, "file-name-refused");

  /* A signal off after the upgrade: failed, roll back offered as the primary action; rolled
   * back. */
  visit (window, "DTU0102", FF_WORKFLOW_STATE_CONFIRM);
  give_go_ahead (window);
  {
    StateQuery failed = { window, FF_WORKFLOW_STATE_FAILED };

    wait_until (workflow_state_is, &failed, "the drifted signal to fail the judgement");
  }
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "after");
  g_assert_true (ff_workflow_can_roll_back (ff_window_get_workflow (window)));
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "field-signal-drift-after-1280x800.png");
  press (window, "after.rollback");
  assert_report_says (window, "Rolled back to the previous firmware");

  /* Already current: nothing to push, and the report says so. */
  visit (window, "DTU0104", FF_WORKFLOW_STATE_DONE);
  assert_report_says (window, "Already current");
  {
    RowQuery query = { visible_page (window), "V2.00 (unchanged)" };

    wait_until (row_shown, &query, "the versions of the report");
  }

  /* The day's list: three failed visits and one done. */
  ff_window_show_page (window, "task");
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      RowQuery query = { ff_window_get_page (window, "task"), statuses[i] };

      wait_until (row_shown, &query, statuses[i]);
    }
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "field-training-task-1280x800.png");

  destroy_window (window);
}

/* ---- preferences ----------------------------------------------------------------------------- */

static gboolean
url_shown (gconstpointer data)
{
  GtkWidget *url_row = ff_ui_test_find_type (GTK_WIDGET ((gpointer) data), ADW_TYPE_ENTRY_ROW);

  return g_str_equal (gtk_editable_get_text (GTK_EDITABLE (url_row)), "https://127.0.0.1:9443");
}

/* The tablet's platform is read off the main thread; until it is there it cannot be changed. */
static void
test_preferences_read_platform (void)
{
  g_autoptr(TestTablet) tablet = test_tablet_new ();
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = make_context (gps);
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
  wait_until (url_shown, preferences, "the platform's address");
  g_assert_true (gtk_widget_is_sensitive (url_row));
  key_view = ff_ui_test_find_type (GTK_WIDGET (preferences), GTK_TYPE_TEXT_VIEW);
  gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (GTK_TEXT_VIEW (key_view)), &start, &end);
  shown_key = gtk_text_iter_get_text (&start, &end);
  g_assert_cmpstr (shown_key, ==, key_pem);

  gtk_window_destroy (GTK_WINDOW (preferences));
  g_assert_finalize_object (preferences);
}

/* ---- screenshots: the filled pages, the preferences and the about window ------------------- */

typedef struct
{
  const char *name;
  int         width;
  int         height;
} ShotSize;

static const ShotSize shot_sizes[] = {
  { "1280x800", 1280, 800 },
  { "360x720", 360, 720 },
};

typedef struct
{
  GtkWidget      *window;
  const ShotSize *size;
} SizeQuery;

static gboolean
has_size (gconstpointer data)
{
  const SizeQuery *query = data;

  return gtk_widget_get_width (query->window) == query->size->width
         && gtk_widget_get_height (query->window) == query->size->height;
}

/* Shows @window with its contents exactly the size's (the default size counts the client-side
 * decorations' margins too: a throwaway window tells how large they are). */
static void
present_at_size (GtkWidget      *window,
                 const ShotSize *size)
{
  GtkWidget *probe = g_object_ref (adw_window_new ());
  SizeQuery query = { window, size };
  int extra_width, extra_height;

  gtk_window_set_default_size (GTK_WINDOW (probe), 400, 400);
  gtk_window_present (GTK_WINDOW (probe));
  ff_ui_test_wait_for_frame (probe);
  extra_width = 400 - gtk_widget_get_width (probe);
  extra_height = 400 - gtk_widget_get_height (probe);
  gtk_window_destroy (GTK_WINDOW (probe));
  g_assert_finalize_object (probe);

  gtk_window_set_default_size (GTK_WINDOW (window), size->width + extra_width,
                               size->height + extra_height);
  gtk_window_present (GTK_WINDOW (window));
  wait_until (has_size, &query, size->name);
}

/* Writes the screenshot, notes whether the page needs more than 360 px and its small targets. */
static void
shoot (GtkWidget  *window,
       GtkWidget  *page,
       const char *file_name,
       GString    *problems)
{
  int minimum_width;

  ff_ui_test_save_screenshot (window, file_name);
  gtk_widget_measure (page, GTK_ORIENTATION_HORIZONTAL, -1, &minimum_width, NULL, NULL, NULL);
  if (minimum_width > FF_UI_TEST_NARROWEST_WIDTH)
    g_string_append_printf (problems, " %s is %d px wide;", file_name, minimum_width);
  ff_ui_test_collect_small_targets (window, file_name, problems);
}

/* A tablet that has worked: today's task with its firmware and a verified signature, one terminal
 * upgraded (its report uploaded), one the wrong terminal (its report still waiting, the last try
 * failed), one to do. */
static TestTablet *
make_worked_tablet (FfTask **task_out)
{
  static const char *const terminals[] = { "DTU0001", "DTU0002", "DTU0003", NULL };
  TestTablet *tablet = test_tablet_new ();
  FfStore *store = ff_tablet_get_store (tablet->tablet);
  FfTask *task = make_task (0, terminals);
  g_autofree char *key_pem = ff_key_get_public_pem (tablet->platform_key);
  g_autoptr(FfReport) upgraded = NULL;
  g_autoptr(FfReport) mismatch = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_tablet_set_platform (tablet->tablet, "https://127.0.0.1:9443", key_pem, NULL,
                                         &error));
  g_assert_no_error (error);
  for (guint i = 0; i < task->items->len; i++)
    {
      FfTaskItem *item = task->items->pdata[i];

      g_clear_pointer (&item->target.sha256, g_free);
      g_clear_pointer (&item->target.version, g_free);
      add_firmware (tablet, &item->target, "V2.00", TARGET_IMAGE_SIZE);
      item->previous = ff_firmware_ref_new ();
      add_firmware (tablet, item->previous, "V1.00", FACTORY_IMAGE_SIZE);
    }
  store_task (tablet, task);

  upgraded = make_report (task->task_id, "DTU0001", FF_REPORT_OUTCOME_UPGRADED);
  upgraded->before.present = upgraded->after.present = upgraded->judgement.present = TRUE;
  for (guint i = 0; i < FF_SIGNAL_COUNT; i++)
    {
      static const float before[] = { 10520.0f, 121.4f, 24.1f, 21.0f };
      static const float after[] = { 10490.0f, 152.0f, 24.0f, 21.3f };

      upgraded->before.values[i] = before[i];
      upgraded->after.values[i] = after[i];
      upgraded->judgement.deviation[i] = ABS (after[i] - before[i]) / before[i];
      upgraded->judgement.pass[i] = upgraded->judgement.deviation[i] < 0.1;
    }
  save_report (tablet, upgraded);
  g_assert_true (ff_store_mark_uploaded (store, upgraded->report_id,
                                         g_get_real_time () / G_USEC_PER_SEC, &error));
  mismatch = make_report (task->task_id, "DTU0002", FF_REPORT_OUTCOME_IDENTITY_MISMATCH);
  save_report (tablet, mismatch);
  g_assert_true (ff_store_mark_upload_failed (store, mismatch->report_id,
                                              "The platform could not be reached.", &error));
  g_assert_no_error (error);
  *task_out = task;
  return tablet;
}

static gboolean
task_known (gconstpointer data)
{
  return ff_context_get_task (FF_CONTEXT ((gpointer) data)) != NULL;
}

static gboolean
row_subtitle_mentions (GtkWidget     *widget,
                       gconstpointer  text)
{
  const char *subtitle = ADW_IS_ACTION_ROW (widget)
                         ? adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)) : NULL;

  return subtitle != NULL && strstr (subtitle, text) != NULL && gtk_widget_is_drawable (widget);
}

static gboolean
row_mentioning_shown (gconstpointer data)
{
  const RowQuery *query = data;

  return ff_ui_test_find (query->root, row_subtitle_mentions, query->subtitle) != NULL;
}

static gboolean
is_shown_scrolled_window (GtkWidget     *widget,
                          gconstpointer  data)
{
  return GTK_IS_SCROLLED_WINDOW (widget) && gtk_widget_is_drawable (widget);
}

/* Scrolls @page's view to its end, where the printed report is. */
static void
scroll_to_end (GtkWidget *page)
{
  GtkWidget *scrolled = ff_ui_test_find (page, is_shown_scrolled_window, NULL);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
}

static void
shoot_filled_pages (FfContext      *context,
                    const FfTask   *task,
                    const ShotSize *size,
                    GString        *problems)
{
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  GtkWidget *task_page = ff_window_get_page (window, "task");
  GtkWidget *sync = ff_window_get_page (window, "sync");
  GtkWidget *queue = ff_window_get_page (window, "queue");
  GtkWidget *report = ff_window_get_page (window, "report");
  g_autofree char *task_shot = g_strdup_printf ("field-task-%s.png", size->name);
  g_autofree char *sync_shot = g_strdup_printf ("field-sync-%s.png", size->name);
  g_autofree char *queue_shot = g_strdup_printf ("field-queue-%s.png", size->name);
  g_autofree char *report_shot = g_strdup_printf ("field-report-%s.png", size->name);
  g_autofree char *printed_shot = g_strdup_printf ("field-report-printed-%s.png", size->name);
  RowQuery query;

  present_at_size (GTK_WIDGET (window), size);
  wait_until (task_known, context, "today's task");

  ff_window_show_page (window, "task");
  query = (RowQuery) { task_page, "DTU0002 · Failed" };
  wait_until (row_shown, &query, query.subtitle);
  query = (RowQuery) { task_page, "DTU0003 · To do" };
  wait_until (row_shown, &query, query.subtitle);
  shoot (GTK_WIDGET (window), task_page, task_shot, problems);

  ff_window_show_page (window, "sync");
  query = (RowQuery) { sync, "SHA-256 verified" };
  wait_until (row_mentioning_shown, &query, "the firmware verdicts");
  query = (RowQuery) { sync, "Valid" };
  g_assert_true (row_mentioning_shown (&query));
  shoot (GTK_WIDGET (window), sync, sync_shot, problems);

  ff_window_show_page (window, "queue");
  query = (RowQuery) { queue, "last try failed" };
  wait_until (row_mentioning_shown, &query, "the waiting report");
  query = (RowQuery) { queue, "uploaded" };
  g_assert_true (row_mentioning_shown (&query));
  shoot (GTK_WIDGET (window), queue, queue_shot, problems);

  gtk_widget_activate (ff_ui_test_find (queue, ff_ui_test_is_row_titled, "DTU0001"));
  query = (RowQuery) { report, "V1.00 → V2.01" };
  wait_until (row_shown, &query, "the opened report");
  shoot (GTK_WIDGET (window), report, report_shot, problems);
  scroll_to_end (report);
  shoot (GTK_WIDGET (window), report, printed_shot, problems);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
  g_assert_cmpstr (ff_context_get_task (context)->task_id, ==, task->task_id);

  destroy_window (window);
}

static void
test_filled_pages_screenshots (void)
{
  g_autoptr(FfTask) task = NULL;
  g_autoptr(TestTablet) tablet = make_worked_tablet (&task);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = make_context (gps);
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  ff_gps_simulated_set_position (gps, 31.2290, 121.4745);
  g_assert_true (ff_context_open_tablet (context, tablet->dir, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (shot_sizes); i++)
    shoot_filled_pages (context, task, &shot_sizes[i], problems);
  if (problems->len > 0)
    g_error ("pages too wide or with small targets:%s", problems->str);
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type))
        return toplevel;
    }
  return NULL;
}

static gboolean
platform_editable (gconstpointer data)
{
  GtkWidget *url_row = ff_ui_test_find_type (GTK_WIDGET ((gpointer) data), ADW_TYPE_ENTRY_ROW);

  return gtk_widget_is_sensitive (url_row);
}

/* What app.preferences and app.about open, on the application the program runs (its tablet opens
 * off the main thread, maybe after the preferences: they follow). */
static void
test_preferences_and_about_screenshots (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ff-app-field-tablet-XXXXXX", &error);
  g_autoptr(FfApplication) application = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  const struct { const char *action; GType type; const char *file; } windows[] = {
    { "preferences", FF_TYPE_PREFERENCES_WINDOW, "field-preferences.png" },
    { "about", ADW_TYPE_ABOUT_WINDOW, "field-about.png" },
  };

  /* The application opens the real tablet's directory: a throwaway one here. */
  g_assert_no_error (error);
  g_setenv ("FIELDFLASH_TABLET_DIR", dir, TRUE);
  application = ff_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (application), NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (windows); i++)
    {
      GtkWindow *window;

      g_action_group_activate_action (G_ACTION_GROUP (application), windows[i].action, NULL);
      window = find_toplevel (windows[i].type);
      g_assert_nonnull (window);
      g_object_ref (window);
      if (FF_IS_PREFERENCES_WINDOW (window))
        wait_until (platform_editable, window, "the platform's settings");
      ff_ui_test_save_screenshot (GTK_WIDGET (window), windows[i].file);
      ff_ui_test_collect_small_targets (GTK_WIDGET (window), windows[i].file, problems);
      destroy_window (window);
    }
  if (problems->len > 0)
    g_error ("targets under %d px:%s", FF_UI_TEST_MIN_TARGET_SIZE, problems->str);
  ff_remove_tree (dir);
}

typedef struct
{
  GtkWidget  *root;
  const char *words;
} WordsQuery;

static gboolean
words_shown (gconstpointer data)
{
  const WordsQuery *query = data;

  return ff_ui_test_find (query->root, ff_ui_test_is_label_mentioning, query->words) != NULL;
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
  g_autoptr(FfContext) context = make_context (gps);
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  g_autofree char *words = g_strdup_printf ("in use by ff-test-holder (process %s)",
                                            g_subprocess_get_identifier (holder));
  WordsQuery query = { GTK_WIDGET (window), words };
  gboolean refused = FALSE;

  gtk_window_present (GTK_WINDOW (window));
  ff_context_open_tablet_async (context, dir, NULL, tablet_in_use, &refused);
  wait_until (flag_set, &refused, "the tablet to be refused");
  g_assert_null (ff_context_get_tablet (context));
  g_assert_nonnull (strstr (ff_context_get_tablet_error (context), words));
  wait_until (words_shown, &query, "the message naming the holder");

  destroy_window (window);
  g_subprocess_force_exit (holder);
  g_assert_true (g_subprocess_wait (holder, NULL, &error));
  ff_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  ff_test_hold_tablet_main (argc, argv);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  ff_ui_test_load_app_style ();

  g_test_add_func ("/app/field/task-statuses", test_task_statuses);
  g_test_add_func ("/app/field/task-all-done", test_task_all_done);
  g_test_add_func ("/app/field/task-check-lists-patch", test_task_check_lists_patch);
  g_test_add_func ("/app/field/queue-opens-report", test_queue_opens_report);
  g_test_add_func ("/app/field/resume-at-confirm", test_resume_at_confirm);
  g_test_add_func ("/app/field/resume-at-reboot-wait", test_resume_at_reboot_wait);
  g_test_add_func ("/app/field/tablet-in-use", test_tablet_in_use);
  g_test_add_func ("/app/field/preferences-read-platform", test_preferences_read_platform);
  g_test_add_func ("/app/field/training-cards", test_training_cards);
  g_test_add_func ("/app/field/filled-pages-screenshots", test_filled_pages_screenshots);
  g_test_add_func ("/app/field/preferences-and-about-screenshots",
                   test_preferences_and_about_screenshots);
  return g_test_run ();
}
