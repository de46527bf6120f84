/* A scripted run through training mode on the real window: one clean terminal and one whose push
 * fails, from the task list to a saved report, then one stopped in the middle of its push, resumed
 * and rolled back after a signal drifted, and a scenario card dealt — pressing the buttons a
 * trainee and a trainer press and checking what the screen shows. Screenshots of the pages on the
 * way go to meson-logs/screenshots. */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "ff-context.h"
#include "ff-gps-simulated.h"
#include "ff-report-page.h"
#include "ff-report.h"
#include "ff-signal-gauge.h"
#include "ff-task-page.h"
#include "ff-training.h"
#include "ff-ui-test.h"
#include "ff-window.h"
#include "iec104-apci.h"

#define STEP_DEADLINE_S 60

typedef gboolean (*Condition) (FfWindow *window);

/* The window a step waits on, so a step that times out can say where the workflow stood. */
static FfWindow *waiting_window;

static gboolean
deadline_passed (gpointer user_data)
{
  FfWorkflow *workflow = waiting_window != NULL ? ff_window_get_workflow (waiting_window) : NULL;

  g_error ("timed out waiting for %s (page %s, workflow %s: %s)", (const char *) user_data,
           waiting_window != NULL ? ff_window_get_page_name (waiting_window) : "none",
           workflow != NULL ? ff_workflow_state_to_string (ff_workflow_get_state (workflow)) : "none",
           workflow != NULL && ff_workflow_get_failure (workflow) != NULL
           ? ff_workflow_get_failure (workflow) : "no failure");
  return G_SOURCE_REMOVE;
}

static void
wait_until (FfWindow   *window,
            Condition   condition,
            const char *what)
{
  guint watchdog = g_timeout_add_seconds (ff_test_deadline_s (STEP_DEADLINE_S), deadline_passed,
                                          (gpointer) what);

  waiting_window = window;
  while (!condition (window))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
}

static GtkWidget *
visible_page (FfWindow *window)
{
  return ff_window_get_page (window, ff_window_get_page_name (window));
}

static const char *
visible_view (FfWindow *window)
{
  return ff_ui_test_visible_stack_child (visible_page (window));
}

/* The technician's taps since the last count began. */
static guint taps;

/* Presses the button of @action_name on the visible page. */
static void
press (FfWindow   *window,
       const char *action_name)
{
  ff_ui_test_press (visible_page (window), action_name);
  taps++;
}

/* Presses "I Am at the Terminal" and waits for the workflow it starts (read from the store in a
 * worker thread). */
static FfWorkflow *
start_upgrade (FfWindow *window)
{
  FfWorkflow *before = ff_window_get_workflow (window);
  guint watchdog = g_timeout_add_seconds (ff_test_deadline_s (STEP_DEADLINE_S), deadline_passed,
                                          "the workflow");

  waiting_window = window;
  press (window, "win.start-upgrade");
  while (ff_window_get_workflow (window) == before)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
  return ff_window_get_workflow (window);
}

static gboolean
training_ready (FfWindow *window)
{
  return g_strcmp0 (ff_window_get_page_name (window), "task") == 0;
}

static gboolean
waiting_for_confirmation (FfWindow *window)
{
  FfWorkflow *workflow = ff_window_get_workflow (window);

  return workflow != NULL && ff_workflow_get_state (workflow) == FF_WORKFLOW_STATE_CONFIRM;
}

static gboolean
failed_or_done (FfWindow *window)
{
  FfWorkflowState state = ff_workflow_get_state (ff_window_get_workflow (window));

  return state == FF_WORKFLOW_STATE_FAILED || state == FF_WORKFLOW_STATE_DONE;
}

/* The report is saved and the run is over: the way to the next terminal is open. */
static gboolean
run_finished (FfWindow *window)
{
  GtkWidget *next = ff_ui_test_find (ff_window_get_page (window, "report"),
                                     ff_ui_test_is_button_for, "win.next-terminal");

  return ff_workflow_get_state (ff_window_get_workflow (window)) == FF_WORKFLOW_STATE_DONE
         && gtk_widget_is_sensitive (next);
}

static gboolean
report_read_back (FfWindow *window)
{
  GtkWidget *versions = ff_ui_test_find (ff_window_get_page (window, "report"),
                                         ff_ui_test_is_row_titled, "Version");

  return gtk_widget_get_visible (versions);
}

static gboolean
label_starts_with (GtkWidget     *widget,
                   gconstpointer  prefix)
{
  return GTK_IS_LABEL (widget)
         && g_str_has_prefix (gtk_label_get_label (GTK_LABEL (widget)), prefix);
}

static void
pdf_saved (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *saved = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_report_page_save_pdf_finish (FF_REPORT_PAGE (source), result, &error));
  g_assert_no_error (error);
  *saved = TRUE;
}

/* What Save as PDF… does once a file is chosen: a real PDF lands there. */
static void
assert_report_saves_as_pdf (FfReportPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ff-report-pdf-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "report.pdf", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *contents = NULL;
  gsize length;
  gboolean saved = FALSE;
  guint watchdog;

  g_assert_no_error (error);
  ff_report_page_save_pdf_async (page, file, pdf_saved, &saved);
  watchdog = ff_test_watchdog_add (STEP_DEADLINE_S, "the report's PDF");
  while (!saved)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_cmpuint (length, >, 1000);
  g_assert_true (g_str_has_prefix (contents, "%PDF-"));
  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static gboolean
first_terminal_listed_done (FfWindow *window)
{
  FfTaskPage *task_page = FF_TASK_PAGE (ff_window_get_page (window, "task"));

  return g_strcmp0 (ff_task_page_get_next_device_id (task_page), "DTU0101") != 0;
}

static gboolean
identity_mismatch (FfWindow *window)
{
  FfWorkflow *workflow = ff_window_get_workflow (window);
  FfWorkflowState state = ff_workflow_get_state (workflow);
  FfWorkflowReadings readings;

  /* A visit the check stops waits in its decision state. A later state is a visit the check let
   * through, or one that ended before the check judged anything (no measurement): under emulation
   * its connection failed, the master's t1 expiring while the main loop it shares with the
   * simulated terminal was held up (docs/app.md, Under emulation). Say which, and why. */
  if (state > FF_WORKFLOW_STATE_IDENTITY_MISMATCH)
    {
      ff_workflow_get_readings (workflow, &readings);
      g_test_message ("the visit %s, in state %s (outcome %s: %s)",
                      readings.measurements == 0 ? "ended before its identity check"
                                                 : "went past its identity check",
                      ff_workflow_state_to_string (state), ff_workflow_get_outcome (workflow),
                      ff_workflow_get_failure (workflow));
    }
  g_assert_cmpint (state, <=, FF_WORKFLOW_STATE_IDENTITY_MISMATCH);
  return state == FF_WORKFLOW_STATE_IDENTITY_MISMATCH;
}

static gboolean
pushing (FfWindow *window)
{
  guint64 sent;

  g_object_get (ff_window_get_workflow (window), "bytes-sent", &sent, NULL);
  return ff_workflow_get_state (ff_window_get_workflow (window)) == FF_WORKFLOW_STATE_PUSH
         && sent > 0;
}

static gboolean
run_stopped (FfWindow *window)
{
  return gtk_widget_is_sensitive (ff_ui_test_find (ff_window_get_page (window, "navigate"),
                                                   ff_ui_test_is_button_for,
                                                   "win.start-upgrade"));
}

static gboolean
three_reports_queued (FfWindow *window)
{
  GtkWidget *queue = ff_window_get_page (window, "queue");

  return ff_ui_test_find (queue, ff_ui_test_is_row_titled, "DTU0103") != NULL;
}

static gboolean
two_reports_queued (FfWindow *window)
{
  GtkWidget *queue = ff_window_get_page (window, "queue");

  return g_strcmp0 (ff_ui_test_visible_stack_child (queue), "reports") == 0
         && ff_ui_test_find (queue, ff_ui_test_is_row_titled, "DTU0101") != NULL
         && ff_ui_test_find (queue, ff_ui_test_is_row_titled, "DTU0102") != NULL;
}

static gboolean
rebooting (FfWindow *window)
{
  FfWorkflowState state = ff_workflow_get_state (ff_window_get_workflow (window));

  return state == FF_WORKFLOW_STATE_REBOOT_WAIT || state == FF_WORKFLOW_STATE_FAILED
         || state == FF_WORKFLOW_STATE_DONE;
}

static gboolean
label_on_screen (GtkWidget     *widget,
                 gconstpointer  text)
{
  return ff_ui_test_is_label (widget, text) && gtk_widget_is_drawable (widget);
}

static gboolean
row_on_screen_subtitled (GtkWidget     *widget,
                         gconstpointer  subtitle)
{
  return ADW_IS_ACTION_ROW (widget) && gtk_widget_is_drawable (widget)
         && g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)), subtitle) == 0;
}

static gboolean
is_signal_value (GtkWidget     *widget,
                 gconstpointer  signal)
{
  const char *unit = ff_signal_get_unit (GPOINTER_TO_UINT (signal));

  return GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget)
         && g_str_has_suffix (gtk_label_get_label (GTK_LABEL (widget)), unit);
}

/* What the technician reads before giving the go-ahead: the identity the core checked, the running
 * version and the four signals, each with its value. */
static void
assert_before_page_shows_readings (FfWindow   *window,
                                   const char *device_id)
{
  GtkWidget *page = ff_window_get_page (window, "before");
  g_autofree char *identity = g_strdup_printf ("%s, as in the task", device_id);

  g_assert_cmpstr (ff_window_get_page_name (window), ==, "before");
  g_assert_cmpstr (visible_view (window), ==, "signals");
  g_assert_nonnull (ff_ui_test_find (page, row_on_screen_subtitled, identity));
  g_assert_nonnull (ff_ui_test_find (page, row_on_screen_subtitled, "V1.00"));
  for (guint i = 0; i < FF_N_SIGNALS; i++)
    {
      GtkWidget *row = ff_ui_test_find (page, ff_ui_test_is_row_titled, ff_signal_get_label (i));

      g_assert_nonnull (ff_ui_test_find (row, is_signal_value, GUINT_TO_POINTER (i)));
    }
  g_assert_null (ff_ui_test_find (page, label_on_screen, "reading…"));
}

static gboolean
gauge_on_screen (GtkWidget     *widget,
                 gconstpointer  data)
{
  return FF_IS_SIGNAL_GAUGE (widget) && gtk_widget_is_drawable (widget);
}

/* Four gauges on screen, the current's red, and Roll Back offered as the way out. */
static void
assert_after_page_shows_drift (FfWindow *window)
{
  GtkWidget *page = ff_window_get_page (window, "after");
  GtkWidget *rollback = ff_ui_test_find (page, ff_ui_test_is_button_for, "after.rollback");

  g_assert_cmpstr (ff_window_get_page_name (window), ==, "after");
  g_assert_cmpstr (visible_view (window), ==, "result");
  g_assert_nonnull (ff_ui_test_find (page, label_on_screen, "Upgrade Failed"));
  for (guint i = 0; i < FF_N_SIGNALS; i++)
    {
      GtkWidget *name = ff_ui_test_find (page, label_on_screen, ff_signal_get_label (i));
      GtkWidget *gauge = gtk_widget_get_ancestor (name, FF_TYPE_SIGNAL_GAUGE);

      g_assert_true (gauge_on_screen (gauge, NULL));
      g_assert_cmpint (ff_signal_gauge_get_passed (FF_SIGNAL_GAUGE (gauge)), ==,
                       i != FF_SIGNAL_CURRENT);
    }
  g_assert_true (gtk_widget_is_drawable (rollback));
  g_assert_true (gtk_widget_has_css_class (rollback, "suggested-action"));
}

static double
top_of (GtkWidget *widget,
        GtkWidget *page)
{
  graphene_point_t point;

  g_assert_true (gtk_widget_compute_point (widget, page, &GRAPHENE_POINT_INIT (0, 0), &point));
  return point.y;
}

/* Only the position failed: Measure Again is the primary action, above Leave; the supervisor's
 * override comes last, a flat button, smaller than the pills. */
static void
assert_measure_again_first (FfWindow *window)
{
  GtkWidget *page = ff_window_get_page (window, "connect");
  GtkWidget *measure = ff_ui_test_find (page, ff_ui_test_is_button_for, "connect.measure-again");
  GtkWidget *leave = ff_ui_test_find (page, ff_ui_test_is_button_for, "connect.leave");
  GtkWidget *override = ff_ui_test_find (page, ff_ui_test_is_button_for, "connect.override");

  /* Laid out as shown. */
  ff_ui_test_wait_for_frame (GTK_WIDGET (window));
  g_assert_true (gtk_widget_is_drawable (measure) && gtk_widget_is_sensitive (measure));
  g_assert_true (gtk_widget_has_css_class (measure, "suggested-action"));
  g_assert_false (gtk_widget_has_css_class (leave, "suggested-action"));
  g_assert_false (gtk_widget_has_css_class (override, "pill"));
  g_assert_cmpfloat (top_of (measure, page), <, top_of (leave, page));
  g_assert_cmpfloat (top_of (leave, page), <, top_of (override, page));
  g_assert_cmpint (gtk_widget_get_height (override), <, gtk_widget_get_height (measure));
}

static gboolean
toast_shown (FfWindow *window)
{
  return ff_ui_test_find (GTK_WIDGET (window), ff_ui_test_is_label_mentioning,
                          "Attempts left before overrides lock") != NULL;
}

/* Answers the app's "Visit Already Finished" with the training supervisor and @pin. */
static void
reopen_with_pin (FfWindow   *window,
                 const char *pin)
{
  AdwMessageDialog *dialog;

  if (pin != NULL && !g_str_equal (pin, FF_TRAINING_SUPERVISOR_PIN))
    {
      g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
    }
  else
    {
      /* After a wrong PIN the technician starts again from the terminal. */
      gtk_widget_activate_action (GTK_WIDGET (window), "win.navigate-to", "s", "DTU0102");
      start_upgrade (window);
    }
  dialog = ff_ui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Visit Already Finished");
  gtk_editable_set_text (GTK_EDITABLE (ff_ui_test_find (GTK_WIDGET (dialog),
                                                        ff_ui_test_is_row_titled,
                                                        "Supervisor PIN")), pin);
  ff_ui_test_save_screenshot (GTK_WIDGET (dialog), "training-reopen.png");
  ff_ui_test_respond (dialog, "_Reopen Visit");
}

/* Runs a visit of @device_id from the walk to its end; @at_go_ahead, if not NULL, runs on the
 * before page just before the go-ahead. */
static void
upgrade_until_end (FfWindow   *window,
                   const char *device_id,
                   const char *screenshot_prefix,
                   void      (*at_go_ahead) (FfWindow *window))
{
  g_autofree char *restart_shot = g_strconcat (screenshot_prefix, "-restart.png", NULL);
  g_autofree char *navigate_shot = g_strconcat (screenshot_prefix, "-navigate.png", NULL);
  g_autofree char *before_shot = g_strconcat (screenshot_prefix, "-before.png", NULL);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.navigate-to", "s", device_id);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "navigate");
  press (window, "win.walk-there");
  ff_ui_test_save_screenshot (GTK_WIDGET (window), navigate_shot);
  /* The trainer's walk is no tap of the technician's: the count starts at the terminal. */
  taps = 0;
  start_upgrade (window);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "connect");

  wait_until (window, waiting_for_confirmation, "the push to wait for confirmation");
  assert_before_page_shows_readings (window, device_id);
  ff_ui_test_save_screenshot (GTK_WIDGET (window), before_shot);
  if (at_go_ahead != NULL)
    at_go_ahead (window);
  /* One go-ahead, and it names the version the terminal gets. */
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (ff_ui_test_find (visible_page (window),
                                                                      ff_ui_test_is_button_for,
                                                                      "before.upgrade"))),
                   ==, "_Upgrade to V2.00");
  press (window, "before.upgrade");
  wait_until (window, rebooting, "the terminal to restart (or the upgrade to end)");
  if (ff_workflow_get_state (ff_window_get_workflow (window)) == FF_WORKFLOW_STATE_REBOOT_WAIT)
    {
      g_assert_cmpstr (ff_window_get_page_name (window), ==, "restart");
      g_assert_cmpstr (visible_view (window), ==, "restart");
      ff_ui_test_save_screenshot (GTK_WIDGET (window), restart_shot);
    }
  wait_until (window, failed_or_done, "the upgrade to end");
}

static void
test_training_run (void)
{
  g_autofree char *first_report_id = NULL;
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(FfReport) report = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_context_new (settings, FF_GPS_SOURCE (gps));
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  GtkWidget *report_page = ff_window_get_page (window, "report");
  GtkWidget *versions_row;
  AdwMessageDialog *dialog;
  const char *failure;
  GtkWidget *card_row;
  const FfTrainingCard *cards;
  guint n_cards;

  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "welcome");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.start-training", "s",
                              "checksum-error segment=3");
  wait_until (window, training_ready, "the training task");
  g_assert_cmpstr (visible_view (window), ==, "terminals");
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "training-task.png");

  /* The clean terminal: upgraded, and the report says so. */
  upgrade_until_end (window, "DTU0101", "training-clean", NULL);
  wait_until (window, run_finished, "the first report");
  g_test_message ("first visit: %s (%s)", ff_workflow_get_outcome (ff_window_get_workflow (window)),
                  ff_workflow_get_failure (ff_window_get_workflow (window)));
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
  g_assert_cmpstr (visible_view (window), ==, "summary");
  g_assert_nonnull (ff_ui_test_find (report_page, ff_ui_test_is_row_titled, "Upgraded"));
  wait_until (window, report_read_back, "the saved report to be read back");
  versions_row = ff_ui_test_find (report_page, ff_ui_test_is_row_titled, "Version");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (versions_row)), ==,
                   "V1.00 → V2.00");
  g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (report_page, ff_ui_test_is_label,
                                                          "Line voltage")));
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "training-clean-report.png");
  g_assert_true (gtk_widget_is_sensitive (ff_ui_test_find (report_page, ff_ui_test_is_button_for,
                                                           "report.save-pdf")));
  assert_report_saves_as_pdf (FF_REPORT_PAGE (report_page));
  /* The pages on the way kept the workflow's own account of what happened. */
  g_assert_nonnull (ff_ui_test_find (ff_window_get_page (window, "restart"),
                                     ff_ui_test_is_row_titled, "The terminal is back."));
  g_assert_nonnull (ff_ui_test_find (ff_window_get_page (window, "connect"), label_starts_with,
                                     "Connected to 127.0.0.1:"));

  /* "Next terminal" leads straight to the navigation of one still to do. */
  wait_until (window, first_terminal_listed_done, "the task list to know the first is done");
  press (window, "win.next-terminal");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "navigate");
  /* The happy path from arrival to the next terminal: I Am at the Terminal, Upgrade to V2.00,
   * Next Terminal. */
  g_assert_cmpuint (taps, ==, 3);

  /* The terminal that refuses a segment: the run stops, the technician finishes it, and the report
   * says it failed. */
  upgrade_until_end (window, "DTU0102", "training-failing", NULL);
  if (ff_workflow_get_state (ff_window_get_workflow (window)) == FF_WORKFLOW_STATE_FAILED)
    {
      g_assert_cmpstr (ff_window_get_page_name (window), ==, "after");
      g_assert_cmpstr (visible_view (window), ==, "result");
      failure = ff_workflow_get_failure (ff_window_get_workflow (window));
      g_assert_nonnull (ff_ui_test_find (visible_page (window), label_on_screen, failure));
      /* Nothing was measured after: no gauges. */
      g_assert_null (ff_ui_test_find (visible_page (window), gauge_on_screen, NULL));
      ff_ui_test_save_screenshot (GTK_WIDGET (window), "training-failing-after.png");
      press (window, "after.close");
    }
  wait_until (window, run_finished, "the second report");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
  g_assert_null (ff_ui_test_find (report_page, ff_ui_test_is_row_titled, "Upgraded"));
  g_assert_nonnull (ff_ui_test_find (report_page, ff_ui_test_is_row_titled, "Upgrade failed"));
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "training-failing-report.png");

  /* The trainer sees both runs as reports in the queue. */
  ff_window_show_page (window, "queue");
  wait_until (window, two_reports_queued, "both reports in the queue");
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "training-queue.png");

  /* The third terminal, pressed for while still standing at the second: the identity check is a
   * full stop with the reason, and a supervisor overrides it, giving a reason. */
  g_assert_true (ff_training_set_scenario (ff_context_get_training (context), "DTU0103",
                                           "slow-link bandwidth=65536", NULL));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.navigate-to", "s", "DTU0103");
  start_upgrade (window);
  wait_until (window, identity_mismatch, "the identity check to stop the visit");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "connect");
  g_assert_cmpstr (visible_view (window), ==, "mismatch");
  assert_measure_again_first (window);
  /* The device ID matched: it is the position that failed, and the title says so. */
  g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (visible_page (window), label_on_screen,
                                                          "Position Check Failed — Stop")));
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "training-mismatch.png");
  press (window, "connect.override");
  dialog = ff_ui_test_find_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Supervisor Override?");
  gtk_editable_set_text (GTK_EDITABLE (ff_ui_test_find (GTK_WIDGET (dialog),
                                                        ff_ui_test_is_row_titled,
                                                        "Supervisor PIN")),
                         FF_TRAINING_SUPERVISOR_PIN);
  gtk_editable_set_text (GTK_EDITABLE (ff_ui_test_find (GTK_WIDGET (dialog),
                                                        ff_ui_test_is_row_titled, "Reason")),
                         "Terminal moved 300 m in 2025; ledger not updated");
  /* The supervisor decides on the readings the identity check made. */
  g_assert_true (g_str_has_suffix (adw_action_row_get_subtitle (ADW_ACTION_ROW (
                   ff_ui_test_find (GTK_WIDGET (dialog), ff_ui_test_is_row_titled, "Position"))),
                 "over the 1″ limit"));
  ff_ui_test_save_screenshot (GTK_WIDGET (dialog), "training-override.png");
  ff_ui_test_respond (dialog, "_Override");

  /* A slow link, stopped in the middle of the push: the technician is asked first and told what
   * state the terminal is left in; starting again resumes on the push page. */
  wait_until (window, waiting_for_confirmation, "the third push to wait for confirmation");
  press (window, "before.upgrade");
  wait_until (window, pushing, "bytes to flow");
  g_assert_cmpstr (visible_view (window), ==, "progress");
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "training-push-progress.png");
  press (window, "win.cancel-upgrade");
  dialog = ff_ui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Stop the Upgrade?");
  ff_ui_test_respond (dialog, "_Stop");
  wait_until (window, run_stopped, "the stopped run to end");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "navigate");
  /* What the terminal is left with is the workflow's word, after the 211 cancel. */
  dialog = ff_ui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Upgrade Stopped");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==,
                   ff_workflow_get_message (ff_window_get_workflow (window)));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "still runs V1.00"));
  ff_ui_test_save_screenshot (GTK_WIDGET (dialog), "training-push-stopped.png");
  ff_ui_test_respond (dialog, "_OK");

  /* The trainer swaps the slow link for a current that drifts after the upgrade: the resumed push
   * runs at full speed, the After page shows the drift on its gauge and the technician rolls
   * back. */
  g_assert_true (ff_training_set_scenario (ff_context_get_training (context), "DTU0103",
                                           "signal-drift signal=current percent=25", NULL));
  start_upgrade (window);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "push");
  wait_until (window, failed_or_done, "the resumed upgrade to end");
  g_assert_cmpint (ff_workflow_get_state (ff_window_get_workflow (window)), ==,
                   FF_WORKFLOW_STATE_FAILED);
  assert_after_page_shows_drift (window);
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "training-drift-after.png");
  press (window, "after.rollback");
  wait_until (window, run_finished, "the third report");
  g_assert_nonnull (ff_ui_test_find (report_page, ff_ui_test_is_row_titled,
                                     "Rolled back to the previous firmware"));
  ff_window_show_page (window, "queue");
  wait_until (window, three_reports_queued, "the third report in the queue");

  /* The failed second terminal again, the same day: its visit is finished, so the app shows its
   * report and says so; a supervisor of the task reopens it with the PIN (a wrong one first), and
   * a new visit starts from the connection. Its report follows the first one. */
  g_assert_true (ff_training_set_scenario (ff_context_get_training (context), "DTU0102", "none",
                                           NULL));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.navigate-to", "s", "DTU0102");
  press (window, "win.walk-there");
  first_report_id = g_strdup (ff_workflow_get_report_id (start_upgrade (window)));
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
  reopen_with_pin (window, "11111111");
  wait_until (window, toast_shown, "the wrong PIN to be refused");
  g_assert_cmpint (ff_workflow_get_state (ff_window_get_workflow (window)), ==,
                   FF_WORKFLOW_STATE_DONE);
  reopen_with_pin (window, FF_TRAINING_SUPERVISOR_PIN);
  wait_until (window, waiting_for_confirmation, "the reopened visit to wait for the go-ahead");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "before");
  press (window, "before.leave");
  ff_ui_test_respond (ff_ui_test_find_dialog (), "_Leave");
  wait_until (window, run_finished, "the reopened visit's report");
  g_assert_true (ff_store_load_report (ff_context_get_store (context),
                                       ff_workflow_get_report_id (ff_window_get_workflow (window)),
                                       &document, &signature, NULL));
  report = ff_report_parse (document, NULL);
  g_assert_nonnull (report);
  g_assert_cmpstr (report->follows, ==, first_report_id);
  g_assert_cmpstr (report->reopened_by, ==, FF_TRAINING_SUPERVISOR);

  /* The trainer deals a card from the menu: the simulated terminal takes it. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.trainer-cards", NULL);
  dialog = ff_ui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Scenario Cards");
  card_row = ff_ui_test_find (GTK_WIDGET (dialog), ff_ui_test_is_row_titled,
                              "Ring main unit 1, Renmin Road");
  g_assert_nonnull (card_row);
  cards = ff_training_get_cards (&n_cards);
  for (guint i = 0; i < n_cards; i++)
    if (g_str_equal (cards[i].scenario, "never-back"))
      adw_combo_row_set_selected (ADW_COMBO_ROW (card_row), i);
  ff_ui_test_respond (dialog, "_Deal the Cards");
  g_assert_cmpstr (ff_training_get_scenario (ff_context_get_training (context), "DTU0101"), ==,
                   "never-back");

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

/* The link at the go-ahead idles IDLE_S, then one frame of the tablet's UI takes STALL_S (a slow
 * tablet, or the app under emulation). The master's t2 (10 s in state-grid) after it read the
 * interrogation's answer falls in that frame, which ends after the terminal's t1 (15 s): a master
 * that acknowledged only at t2 would lose the link there, one that acknowledges what it has read
 * at once keeps it. The terminals run on their own, so what they send during the frame waits for
 * its end: STALL_S stays below t1 and the spontaneous measurements keep their link too. */
#define IDLE_S 8
#define STALL_S 8

static void
stall_once (GdkFrameClock *frame_clock,
            gpointer       user_data)
{
  g_usleep (STALL_S * G_USEC_PER_SEC);
  g_signal_handlers_disconnect_by_func (frame_clock, stall_once, user_data);
}

static gboolean
set_true (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The before page shows what the general interrogation read: the terminal's answer is in. The
 * link idles, then the next frame stalls. */
static void
stall_before_go_ahead (FfWindow *window)
{
  gboolean idled = FALSE;

  g_timeout_add_seconds (IDLE_S, set_true, &idled);
  while (!idled)
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "paint",
                    G_CALLBACK (stall_once), NULL);
  ff_ui_test_wait_for_frame (GTK_WIDGET (window));
}

static void
count_connections (FfTraining *training,
                   const char *line,
                   guint      *connections)
{
  g_test_message ("%s", line);
  if (g_str_equal (line, "terminal DTU0101: connection from a master"))
    (*connections)++;
}

/* A training session without a scenario in a new window, on its task page; the simulated
 * terminals' log lines go to count_connections with @connections. The window holds the
 * session. */
static FfWindow *
open_training (guint *connections)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_context_new (settings, FF_GPS_SOURCE (gps));
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.start-training", "s", "");
  wait_until (window, training_ready, "the training task");
  g_signal_connect (ff_context_get_training (context), "terminal-log",
                    G_CALLBACK (count_connections), connections);
  return window;
}

/* The clean visit on a tablet whose UI stalls at the go-ahead: the link holds (the master
 * connects once before the restart and once after it) and the terminal is upgraded, as on a
 * tablet that never stalls. */
static void
test_training_stall (void)
{
  guint connections = 0;
  FfWindow *window = open_training (&connections);

  upgrade_until_end (window, "DTU0101", "training-stall", stall_before_go_ahead);
  g_assert_cmpuint (connections, ==, 2);
  g_test_message ("visit with a stall: %s (%s)",
                  ff_workflow_get_outcome (ff_window_get_workflow (window)),
                  ff_workflow_get_failure (ff_window_get_workflow (window)));
  g_assert_cmpstr (ff_workflow_get_outcome (ff_window_get_workflow (window)), ==, "upgraded");

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

/* A training terminal is a device of its own, as a real one is: it answers a master while the
 * tablet's main loop is held up — here by this test, which talks to DTU0104 without returning to
 * that loop. On the app's main loop it could not: its reads and timers waited behind every long
 * frame, so under emulation it read the tablet's acknowledgements late and closed the link ("no
 * acknowledgement within t1"). */
static void
test_training_terminal_answers_while_stalled (void)
{
  guint connections = 0;
  FfWindow *window = open_training (&connections);
  const FfTask *task = ff_training_get_task (ff_context_get_training (
                                               ff_window_get_context (window)));
  const FfTaskItem *item = g_ptr_array_index (task->items, 3);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  guint8 request[IEC104_APDU_MAX];
  guint8 answer[IEC104_APCI_SIZE];
  gsize request_size = iec104_frame_encode_u (request, IEC104_U_STARTDT_ACT);
  gsize answered = 0;
  Iec104Frame frame;

  g_assert_cmpstr (item->device_id, ==, "DTU0104");
  /* The socket's timeout bounds the connection and the read. */
  g_socket_client_set_timeout (client, ff_test_deadline_s (20));
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", item->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                             request_size, NULL, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)), answer,
                           sizeof answer, &answered, NULL, &error);
  if (error != NULL)
    g_test_message ("DTU0104 did not confirm STARTDT while the main loop was held: %s",
                    error->message);
  g_assert_no_error (error);
  g_assert_cmpuint (answered, ==, sizeof answer);
  g_assert_cmpint (iec104_frame_decode (answer, answered, &frame), ==, IEC104_OK);
  g_assert_cmpint (frame.format, ==, IEC104_FRAME_U);
  g_assert_cmpint (frame.u_function, ==, IEC104_U_STARTDT_CON);
  g_assert_true (g_io_stream_close (G_IO_STREAM (connection), NULL, &error));

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  ff_ui_test_load_app_style ();

  g_test_add_func ("/app/training/clean-and-failing", test_training_run);
  g_test_add_func ("/app/training/stall-before-go-ahead", test_training_stall);
  g_test_add_func ("/app/training/terminal-answers-while-stalled",
                   test_training_terminal_answers_while_stalled);
  return g_test_run ();
}
