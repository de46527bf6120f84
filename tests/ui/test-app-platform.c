/* The app against the real fieldflash-platform on 127.0.0.1 (HTTPS, pinned): the login page shows
 * the tablet and the platform's reachability, a wrong PIN is refused on screen, the right one goes
 * on to Sync, which uploads the queued report and stores the task (signature and each firmware file
 * verified, each in its own row), the task appears on the Task page, and Upload Now delivers a
 * report queued later. Sync can be cancelled. */
#include "config.h"

#include <adwaita.h>

#include "ff-context.h"
#include "ff-gps-simulated.h"
#include "ff-queue-page.h"
#include "ff-report.h"
#include "ff-files.h"
#include "ff-ui-test.h"
#include "ff-window.h"
#include "platform-harness.h"

#define CONDITION_DEADLINE_S 60

typedef gboolean (*Condition) (gpointer data);

static gboolean
deadline_passed (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @condition holds; fails the test at the deadline. */
static void
wait_until (Condition    condition,
            gpointer     data,
            const char  *what)
{
  gboolean late = FALSE;
  guint deadline_s = ff_test_deadline_s (CONDITION_DEADLINE_S);
  guint deadline = g_timeout_add_seconds (deadline_s, deadline_passed, &late);

  while (!condition (data) && !late)
    g_main_context_iteration (NULL, TRUE);
  if (late)
    g_error ("Waited %u s in vain for %s", deadline_s, what);
  g_source_remove (deadline);
}

typedef struct
{
  GtkWidget  *root;
  const char *title;
  const char *text;
} RowQuery;

static gboolean
is_row_with_subtitle_text (GtkWidget     *widget,
                           gconstpointer  data)
{
  const RowQuery *query = data;
  const char *subtitle;

  if (!ADW_IS_ACTION_ROW (widget))
    return FALSE;
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (widget));
  return (query->title == NULL
          || g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)),
                        query->title) == 0)
         && subtitle != NULL && strstr (subtitle, query->text) != NULL;
}

static gboolean
row_shows (gpointer data)
{
  const RowQuery *query = data;

  return ff_ui_test_find (query->root, is_row_with_subtitle_text, query) != NULL;
}

static gboolean
label_visible (gpointer data)
{
  const RowQuery *query = data;

  return ff_ui_test_find (query->root, ff_ui_test_is_label_mentioning, query->text) != NULL;
}

static void
click (GtkWidget  *root,
       const char *action_name)
{
  GtkWidget *button = ff_ui_test_find (root, ff_ui_test_is_button_for, action_name);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static char *
read_text (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* A tablet directory with TAB-0001's key (the one the platform registered), enrolled with the
 * running platform: what "fieldflash-cli key" and "login --platform …" leave behind. */
static FfContext *
make_enrolled_context (Harness    *h,
                       const char *tablet_dir)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_context_new (settings, FF_GPS_SOURCE (gps));
  g_autoptr(FfTablet) first_use = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key_path = g_build_filename (tablet_dir, "tablet.key", NULL);
  g_autofree char *platform_key = NULL;
  g_autofree char *certificate = read_text (h->data_dir, "tls.crt");

  g_assert_true (ff_key_save_private (h->tablet_a, key_path, &error));
  g_assert_no_error (error);
  first_use = ff_tablet_open (tablet_dir, "TAB-0001", FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_no_error (error);
  g_assert_cmpint (harness_run (h, NULL, &platform_key, NULL, "export-key", NULL), ==, 0);

  g_assert_true (ff_context_open_tablet (context, tablet_dir, &error));
  g_assert_no_error (error);
  g_assert_true (ff_tablet_set_platform (ff_context_get_tablet (context), h->base_url,
                                         platform_key, certificate, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&context);
}

/* A signed report of @device_id in the store, as a finished visit leaves it. */
static void
queue_report (FfContext  *context,
              const char *task_id,
              const char *device_id)
{
  FfTablet *tablet = ff_context_get_tablet (context);
  g_autoptr(FfReport) report = harness_report (task_id, device_id, "TAB-0001", HARNESS_PHONE_A);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;

  signature = ff_report_sign (report, ff_tablet_get_key (tablet), &bytes, &error);
  g_assert_no_error (error);
  g_assert_true (ff_store_save_report (ff_tablet_get_store (tablet), report->report_id, task_id,
                                       device_id, "upgraded", report->created_at, bytes,
                                       signature, "done", "{}", &error));
  g_assert_no_error (error);
}

static gboolean
is_row_titled_prefix (GtkWidget     *widget,
                      gconstpointer  prefix)
{
  return ADW_IS_ACTION_ROW (widget)
         && g_str_has_prefix (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), prefix);
}

static gboolean
is_shown_button_for (GtkWidget     *widget,
                     gconstpointer  action_name)
{
  return ff_ui_test_is_button_for (widget, action_name) && gtk_widget_is_drawable (widget);
}

/* Sync Again is on screen and can be pressed. */
static gboolean
sync_idle (gpointer data)
{
  GtkWidget *again = ff_ui_test_find (data, is_shown_button_for, "sync.start");

  return again != NULL && gtk_widget_is_sensitive (again);
}

typedef struct
{
  GtkWidget *sync;
  gboolean   saw_target_download;
  gboolean   saw_previous_download;
} SyncWatch;

/* Each firmware file downloads in a row of its own, named by its version, until the stored task
 * is checked. */
static gboolean
sync_checked (gpointer data)
{
  SyncWatch *watch = data;
  RowQuery target = { watch->sync, "Firmware V2.01", " of " };
  RowQuery previous = { watch->sync, "Firmware V1.00", " of " };
  RowQuery verdict = { watch->sync, "V2.01", "SHA-256 verified" };

  watch->saw_target_download |= row_shows (&target);
  watch->saw_previous_download |= row_shows (&previous);
  return row_shows (&verdict);
}

static gboolean
can_upload (gpointer data)
{
  return gtk_widget_is_sensitive (ff_ui_test_find (data, ff_ui_test_is_button_for,
                                                   "queue.upload"));
}

/* The running platform, a tablet enrolled with it, and the app's window on it. */
typedef struct
{
  Harness   *h;
  char      *tablet_dir;
  FfContext *context;
  FfWindow  *window;
} App;

/* Starts the platform and enrolls the tablet; @pinned_key, when not NULL, is pinned as the
 * platform's key instead of the platform's own. Then opens the window. */
static void
app_start (App        *app,
           const char *pinned_key)
{
  g_autoptr(GError) error = NULL;

  app->h = harness_new ();
  app->tablet_dir = g_dir_make_tmp ("ff-app-tablet-XXXXXX", &error);
  g_assert_no_error (error);
  harness_setup_world (app->h);
  harness_start (app->h, TRUE);
  app->context = make_enrolled_context (app->h, app->tablet_dir);
  if (pinned_key != NULL)
    {
      g_autofree char *certificate = read_text (app->h->data_dir, "tls.crt");

      g_assert_true (ff_tablet_set_platform (ff_context_get_tablet (app->context),
                                             app->h->base_url, pinned_key, certificate, &error));
      g_assert_no_error (error);
    }
  app->window = g_object_ref (ff_window_new (NULL, app->context));
  gtk_window_present (GTK_WINDOW (app->window));
}

static void
app_stop (App *app)
{
  ff_ui_test_destroy_window (app->window);
  g_clear_object (&app->context);
  harness_stop (app->h);
  harness_free (app->h);
  ff_remove_tree (app->tablet_dir);
  g_free (app->tablet_dir);
}

static void
test_login_sync_upload (void)
{
  App app;
  Harness *h;
  FfContext *context;
  FfWindow *window;
  GtkWidget *login, *sync, *task, *queue;
  GtkWidget *phone_row, *pin_row;
  GtkWidget *firmware_row, *signature_row, *bar;
  SyncWatch watch = { NULL, FALSE };
  RowQuery query;
  FfUiTestQuery page;

  app_start (&app, NULL);
  h = app.h;
  context = app.context;
  window = app.window;
  login = ff_window_get_page (window, "login");
  sync = ff_window_get_page (window, "sync");
  task = ff_window_get_page (window, "task");
  queue = ff_window_get_page (window, "queue");
  watch.sync = sync;
  page.root = GTK_WIDGET (window);
  ff_window_show_page (window, "login");

  /* The tablet's serial, its platform (read off the main thread), and the platform answering
   * /healthz. */
  query = (RowQuery) { login, "Serial", "TAB-0001" };
  g_assert_true (row_shows (&query));
  query = (RowQuery) { login, "Address", h->base_url };
  wait_until (row_shows, &query, "the platform's address");
  query = (RowQuery) { login, "Reachability", "Reachable" };
  wait_until (row_shows, &query, "the platform to be reachable");

  /* Check Again runs with a spinner and can be cancelled. */
  click (login, "login.check-platform");
  query = (RowQuery) { login, "Reachability", "Checking…" };
  g_assert_true (row_shows (&query));
  g_assert_null (ff_ui_test_find (login, is_shown_button_for, "login.check-platform"));
  click (login, "login.cancel-check");
  query = (RowQuery) { login, "Reachability", "Check cancelled" };
  g_assert_true (row_shows (&query));
  g_assert_nonnull (ff_ui_test_find (login, is_shown_button_for, "login.check-platform"));
  click (login, "login.check-platform");
  query = (RowQuery) { login, "Reachability", "Reachable" };
  wait_until (row_shows, &query, "the platform to be reachable again");

  /* A wrong PIN: the platform's refusal is shown, and the page stays. */
  phone_row = ff_ui_test_find_type (login, ADW_TYPE_ENTRY_ROW);
  pin_row = ff_ui_test_find_type (login, ADW_TYPE_PASSWORD_ENTRY_ROW);
  gtk_editable_set_text (GTK_EDITABLE (phone_row), HARNESS_PHONE_A);
  gtk_editable_set_text (GTK_EDITABLE (pin_row), "000000");
  click (login, "login.log-in");
  query = (RowQuery) { login, NULL, "The PIN is wrong" };
  wait_until (label_visible, &query, "the wrong PIN to be refused on screen");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "login");

  /* A login under way shows so and can be cancelled: the page stays, ready to log in again. */
  gtk_editable_set_text (GTK_EDITABLE (pin_row), HARNESS_PIN_A);
  click (login, "login.log-in");
  g_assert_null (ff_ui_test_find (login, is_shown_button_for, "login.log-in"));
  g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (login, ff_ui_test_is_label,
                                                          "Logging in…")));
  click (login, "login.cancel");
  query = (RowQuery) { GTK_WIDGET (window), NULL, "Login cancelled" };
  wait_until (label_visible, &query, "the login to say it was cancelled");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "login");
  g_assert_nonnull (ff_ui_test_find (login, is_shown_button_for, "login.log-in"));

  /* The right PIN: on to Sync. */
  click (login, "login.log-in");
  page.text = "sync";
  wait_until (ff_ui_test_page_is, &page, "the Sync page after the login");
  g_assert_null (ff_ui_test_find (login, ff_ui_test_is_label_mentioning, "The PIN is wrong"));

  /* Sync can be cancelled while it runs: nothing is lost, it can start again. */
  queue_report (context, h->task_a, "DTU0001");
  click (sync, "sync.start");
  g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (sync, ff_ui_test_is_button_for,
                                                          "sync.cancel")));
  click (sync, "sync.cancel");
  query = (RowQuery) { sync, NULL, "Sync cancelled" };
  wait_until (label_visible, &query, "the sync to say it was cancelled");
  g_assert_false (gtk_widget_is_drawable (ff_ui_test_find (sync, ff_ui_test_is_button_for,
                                                           "sync.cancel")));
  wait_until (sync_idle, sync, "Sync Again to be offered");

  /* Sync: the queued report goes up, each firmware file downloads in its own row, the task is
   * stored, and its signature and each firmware file are verified on the tablet, each file with its
   * size and a full bar. */
  click (sync, "sync.start");
  wait_until (sync_checked, &watch, "the firmware verdict");
  g_assert_true (watch.saw_target_download);
  g_assert_true (watch.saw_previous_download);
  query = (RowQuery) { sync, "Upload queue", "1 delivered, 0 still waiting" };
  g_assert_true (row_shows (&query));
  query = (RowQuery) { sync, h->task_a, "Stored" };
  g_assert_true (row_shows (&query));
  query = (RowQuery) { sync, "V2.01", "SHA-256 verified" };
  firmware_row = ff_ui_test_find (sync, is_row_with_subtitle_text, &query);
  bar = ff_ui_test_find_type (firmware_row, GTK_TYPE_PROGRESS_BAR);
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (bar)), ==, 1.0);
  signature_row = ff_ui_test_find (sync, is_row_titled_prefix, "Signature of ");
  g_assert_nonnull (signature_row);
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (signature_row)),
                                   "Valid"));
  g_assert_cmpstr (ff_context_get_task (context)->task_id, ==, h->task_a);
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "platform-sync-1280x800.png");

  /* The Task page lists the synced task's terminals; the one whose report went up is done. */
  click (sync, "sync.show-task");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "task");
  query = (RowQuery) { task, NULL, "DTU0001 · Done" };
  wait_until (row_shows, &query, "DTU0001 on the Task page");
  query = (RowQuery) { task, NULL, "FTU0002 · To do" };
  wait_until (row_shows, &query, "FTU0002 on the Task page");

  /* The report Sync delivered is listed as uploaded; one queued since waits, and Upload Now
   * delivers it. */
  queue_report (context, h->task_a, "FTU0002");
  ff_window_show_page (window, "queue");
  ff_queue_page_refresh (FF_QUEUE_PAGE (queue));
  query = (RowQuery) { queue, "DTU0001", "uploaded" };
  wait_until (row_shows, &query, "the report Sync delivered, listed as uploaded");
  query = (RowQuery) { queue, "FTU0002", "Upgraded" };
  wait_until (row_shows, &query, "the queued report");
  click (queue, "queue.upload");
  click (queue, "queue.cancel");
  query = (RowQuery) { queue, NULL, "Upload cancelled" };
  wait_until (label_visible, &query, "the upload to say it was cancelled");
  g_assert_null (ff_ui_test_find (queue, is_shown_button_for, "queue.cancel"));
  wait_until (can_upload, queue, "Upload Now to be offered again");
  query = (RowQuery) { queue, "FTU0002", "Upgraded" };
  g_assert_true (row_shows (&query));
  click (queue, "queue.upload");
  query = (RowQuery) { queue, NULL, "1 delivered, 0 still waiting" };
  wait_until (label_visible, &query, "the upload to finish");
  query = (RowQuery) { queue, "FTU0002", "uploaded" };
  wait_until (row_shows, &query, "the report listed as uploaded");

  app_stop (&app);
}

/* A task the tablet refuses (its signature does not verify against the platform key the tablet
 * pinned, here a key the platform does not sign with) has a row of its own, titled by its ID: the reason under it does not
 * repeat the ID ("Refused: Task T refused: …" did). */
static void
test_sync_refused_task (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfKey) other = ff_key_generate (&error);
  g_autofree char *other_key = NULL;
  Harness *h;
  App app;
  GtkWidget *login, *sync, *row;
  RowQuery query;
  FfUiTestQuery page;

  g_assert_no_error (error);
  other_key = ff_key_get_public_pem (other);
  app_start (&app, other_key);
  h = app.h;
  login = ff_window_get_page (app.window, "login");
  sync = ff_window_get_page (app.window, "sync");
  page.root = GTK_WIDGET (app.window);
  ff_window_show_page (app.window, "login");

  gtk_editable_set_text (GTK_EDITABLE (ff_ui_test_find_type (login, ADW_TYPE_ENTRY_ROW)),
                         HARNESS_PHONE_A);
  gtk_editable_set_text (GTK_EDITABLE (ff_ui_test_find_type (login,
                                                             ADW_TYPE_PASSWORD_ENTRY_ROW)),
                         HARNESS_PIN_A);
  click (login, "login.log-in");
  page.text = "sync";
  wait_until (ff_ui_test_page_is, &page, "the Sync page after the login");
  click (sync, "sync.start");
  query = (RowQuery) { sync, h->task_a, "Refused: " };
  wait_until (row_shows, &query, "the refused task's row");
  wait_until (sync_idle, sync, "the sync to finish");

  row = ff_ui_test_find (sync, is_row_with_subtitle_text, &query);
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "Refused: "));
  g_assert_null (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), h->task_a));
  g_assert_null (ff_context_get_task (app.context));

  app_stop (&app);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  ff_ui_test_load_app_style ();

  g_test_add_func ("/app/platform/login-sync-upload", test_login_sync_upload);
  g_test_add_func ("/app/platform/sync-refused-task", test_sync_refused_task);
  return g_test_run ();
}
