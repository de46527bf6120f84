/* Every template of the tablet app instantiates and finalizes, and each page presents what it is
 * given (the Navigate page and its map: test-app-navigate.c). */
#include "config.h"

#include <adwaita.h>

#include "ff-after-page.h"
#include "ff-application.h"
#include "ff-before-page.h"
#include "ff-bearing-arrow.h"
#include "ff-connect-page.h"
#include "ff-context.h"
#include "ff-gps-simulated.h"
#include "ff-identity-summary.h"
#include "ff-login-page.h"
#include "ff-navigate-page.h"
#include "ff-preferences-window.h"
#include "ff-push-page.h"
#include "ff-queue-page.h"
#include "ff-report-page.h"
#include "ff-restart-page.h"
#include "ff-signal-gauge.h"
#include "ff-sync-page.h"
#include "ff-task-page.h"
#include "ff-training.h"
#include "ff-files.h"
#include "ff-ui-test.h"
#include "ff-welcome-page.h"
#include "ff-window.h"

static FfContext *
make_context (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();

  return ff_context_new (settings, FF_GPS_SOURCE (gps));
}

static void
test_templates_instantiate (void)
{
  GType page_types[] = {
    FF_TYPE_WELCOME_PAGE, FF_TYPE_LOGIN_PAGE, FF_TYPE_SYNC_PAGE, FF_TYPE_TASK_PAGE,
    FF_TYPE_NAVIGATE_PAGE, FF_TYPE_CONNECT_PAGE, FF_TYPE_BEFORE_PAGE, FF_TYPE_PUSH_PAGE,
    FF_TYPE_RESTART_PAGE, FF_TYPE_AFTER_PAGE, FF_TYPE_REPORT_PAGE, FF_TYPE_QUEUE_PAGE,
    FF_TYPE_SIGNAL_GAUGE, FF_TYPE_BEARING_ARROW, FF_TYPE_IDENTITY_SUMMARY,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (page_types); i++)
    {
      GtkWidget *page = g_object_ref_sink (g_object_new (page_types[i], NULL));

      g_assert_true (GTK_IS_WIDGET (page));
      g_assert_finalize_object (page);
    }
}

static void
test_window_finalizes (void)
{
  g_autoptr(FfContext) context = make_context ();
  FfWindow *window = ff_window_new (NULL, context);

  g_object_ref (window);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "welcome");
  for (const char *const *name = ff_window_list_page_names (); *name != NULL; name++)
    {
      g_assert_nonnull (ff_window_get_page (window, *name));
      g_assert_true (ff_window_show_page (window, *name));
      g_assert_cmpstr (ff_window_get_page_name (window), ==, *name);
    }
  g_assert_false (ff_window_show_page (window, "no-such-page"));
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "queue");

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

static void
test_window_navigation_actions (void)
{
  g_autoptr(FfContext) context = make_context ();
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "login"));
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "login");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.back", NULL));
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "welcome");

  /* Mid-upgrade there is no stepping back. */
  ff_window_show_page (window, "push");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.back", NULL);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "push");

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

static void
test_window_follows_display_settings (void)
{
  g_autoptr(FfContext) context = make_context ();
  GSettings *settings = ff_context_get_settings (context);
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));

  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (window), "ff-high-contrast"));
  g_settings_set_boolean (settings, "high-contrast", TRUE);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (window), "ff-high-contrast"));
  g_assert_cmpint (adw_style_manager_get_color_scheme (adw_style_manager_get_default ()), ==,
                   ADW_COLOR_SCHEME_FORCE_LIGHT);
  g_settings_set_boolean (settings, "larger-text", TRUE);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (window), "ff-larger-text"));
  g_settings_reset (settings, "high-contrast");
  g_settings_reset (settings, "larger-text");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (window), "ff-high-contrast"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (window), "ff-larger-text"));

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

static void
count_log_in (FfLoginPage *page,
              const char  *phone,
              const char  *pin,
              guint       *count)
{
  g_assert_cmpstr (phone, ==, "13800138000");
  g_assert_cmpstr (pin, ==, "2468");
  (*count)++;
}

static void
test_login_page_checks_credentials (void)
{
  g_autoptr(FfContext) context = make_context ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = g_object_ref (g_object_new (FF_TYPE_LOGIN_PAGE, NULL));
  GtkWidget *phone_row = ff_ui_test_find_type (page, ADW_TYPE_ENTRY_ROW);
  GtkWidget *pin_row = ff_ui_test_find_type (page, ADW_TYPE_PASSWORD_ENTRY_ROW);
  GtkWidget *button = ff_ui_test_find (page, ff_ui_test_is_button_for, "login.log-in");
  GtkWidget *platform_row;
  guint log_ins = 0;

  /* Action state reaches the button through the widget tree, as it does in the app. */
  gtk_window_set_child (GTK_WINDOW (window), page);
  g_settings_set_string (ff_context_get_settings (context), "phone", "13800138000");
  ff_login_page_set_context (FF_LOGIN_PAGE (page), context);
  g_signal_connect (page, "log-in", G_CALLBACK (count_log_in), &log_ins);

  /* The last technician's number is offered; a context without a tablet has no platform. */
  g_assert_cmpstr (ff_login_page_get_phone (FF_LOGIN_PAGE (page)), ==, "13800138000");
  platform_row = ff_ui_test_find (page, ff_ui_test_is_row_titled, "Address");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (platform_row)), ==,
                   "Not enrolled: set it in the preferences");

  /* No PIN yet: the button cannot be pressed. */
  g_assert_false (ff_login_page_get_complete (FF_LOGIN_PAGE (page)));
  g_assert_false (gtk_widget_get_sensitive (button));

  gtk_editable_set_text (GTK_EDITABLE (pin_row), "2468");
  g_assert_true (ff_login_page_get_complete (FF_LOGIN_PAGE (page)));
  g_assert_true (gtk_widget_get_sensitive (button));
  g_assert_false (gtk_widget_has_css_class (phone_row, "error"));

  /* Not a mainland mobile number: marked, and the button goes insensitive again. */
  gtk_editable_set_text (GTK_EDITABLE (phone_row), "23800138000");
  g_assert_false (ff_login_page_get_complete (FF_LOGIN_PAGE (page)));
  g_assert_true (gtk_widget_has_css_class (phone_row, "error"));
  g_assert_false (gtk_widget_get_sensitive (button));

  gtk_editable_set_text (GTK_EDITABLE (phone_row), "13800138000");
  g_assert_true (gtk_widget_activate_action (page, "login.log-in", NULL));
  g_assert_cmpuint (log_ins, ==, 1);

  g_settings_reset (ff_context_get_settings (context), "phone");
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (page);
}

static void
fill_snapshot (FfSnapshot *snapshot,
               float       line_voltage,
               float       current,
               float       battery_voltage,
               float       ambient_temperature)
{
  *snapshot = (FfSnapshot) {
    .values = { line_voltage, current, battery_voltage, ambient_temperature },
    .present = { TRUE, TRUE, TRUE, TRUE },
  };
}

/* A 10 kV feeder reads in kilovolts; small values and temperatures keep their plain unit. */
static void
test_signal_gauge_marks_failure (void)
{
  GtkWidget *gauge = g_object_ref_sink (ff_signal_gauge_new ());
  FfSnapshot before, after;
  FfSignalJudgement judgements[FF_N_SIGNALS];

  fill_snapshot (&before, 10500.54f, 120.0f, 24.0f, 21.0f);
  fill_snapshot (&after, 10515.44f, 150.0f, 24.0f, 21.0f);
  ff_snapshot_judge (&before, &after, judgements);

  ff_signal_gauge_show (FF_SIGNAL_GAUGE (gauge), FF_SIGNAL_LINE_VOLTAGE, &before, &after,
                        &judgements[FF_SIGNAL_LINE_VOLTAGE]);
  g_assert_true (ff_signal_gauge_get_passed (FF_SIGNAL_GAUGE (gauge)));
  g_assert_nonnull (ff_ui_test_find (gauge, ff_ui_test_is_label, "10.50 kV"));
  g_assert_nonnull (ff_ui_test_find (gauge, ff_ui_test_is_label, "10.52 kV"));
  ff_signal_gauge_show (FF_SIGNAL_GAUGE (gauge), FF_SIGNAL_CURRENT, &before, &after,
                        &judgements[FF_SIGNAL_CURRENT]);
  g_assert_false (ff_signal_gauge_get_passed (FF_SIGNAL_GAUGE (gauge)));

  g_assert_finalize_object (gauge);
}

static gboolean
is_status_page_on_screen (GtkWidget     *widget,
                          gconstpointer  data)
{
  return ADW_IS_STATUS_PAGE (widget) && gtk_widget_is_drawable (widget);
}

static gboolean
override_checked (gpointer page)
{
  return gtk_widget_is_sensitive (ff_ui_test_find (page, ff_ui_test_is_button_for,
                                                   "connect.override"))
         || strstr (adw_status_page_get_description (
                      ADW_STATUS_PAGE (ff_ui_test_find (page, is_status_page_on_screen, NULL))),
                    "locked") != NULL;
}

/* The supervisor of the training task, with @pin, in the override dialog; waits for the check. */
static void
override_with_pin (GtkWidget  *page,
                   const char *pin)
{
  AdwMessageDialog *dialog;

  gtk_widget_activate_action (page, "connect.override", NULL);
  dialog = ff_ui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Supervisor Override?");
  g_assert_cmpstr (gtk_string_object_get_string (adw_combo_row_get_selected_item (
                     ADW_COMBO_ROW (ff_ui_test_find (GTK_WIDGET (dialog), ff_ui_test_is_row_titled,
                                                     "Supervisor")))), ==,
                   FF_TRAINING_SUPERVISOR);
  gtk_editable_set_text (GTK_EDITABLE (ff_ui_test_find (GTK_WIDGET (dialog),
                                                        ff_ui_test_is_row_titled, "Reason")),
                         "Pole renumbered");
  /* A PIN shorter than a supervisor's cannot be sent. */
  gtk_editable_set_text (GTK_EDITABLE (ff_ui_test_find (GTK_WIDGET (dialog),
                                                        ff_ui_test_is_row_titled,
                                                        "Supervisor PIN")), "1234567");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "override"));
  gtk_editable_set_text (GTK_EDITABLE (ff_ui_test_find (GTK_WIDGET (dialog),
                                                        ff_ui_test_is_row_titled,
                                                        "Supervisor PIN")), pin);
  ff_ui_test_respond (dialog, "_Override");
  g_assert_false (gtk_widget_is_sensitive (ff_ui_test_find (page, ff_ui_test_is_button_for,
                                                            "connect.override")));
  ff_ui_test_wait_until (override_checked, page, "the supervisor's PIN to be checked");
}

/* A terminal that answers with another device ID: the full stop shows the ID read against the
 * task's and the position the core judged, and so does the supervisor's override dialog, which
 * takes a supervisor of the task and that supervisor's PIN, three tries at most. */
static void
test_connect_page_shows_wrong_terminal (void)
{
  FfTraining *training = ff_ui_test_start_training ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = g_object_new (FF_TYPE_CONNECT_PAGE, NULL);
  FfUiTestVisit *visit;
  FfWorkflow *workflow;
  AdwMessageDialog *dialog;
  GtkWidget *mismatch;
  GtkWidget *override;

  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (ff_training_set_scenario (training, "DTU0101", "wrong-device-id id=DTU0999",
                                           NULL));
  visit = ff_ui_test_visit_start (training, "DTU0101");
  workflow = ff_ui_test_visit_get_workflow (visit);
  ff_connect_page_set_workflow (FF_CONNECT_PAGE (page), workflow);
  g_assert_cmpstr (ff_ui_test_row_subtitle (page, "Device ID"), ==, "Not read yet");

  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_IDENTITY_MISMATCH);
  g_assert_cmpstr (ff_ui_test_visible_stack_child (page), ==, "mismatch");
  mismatch = ff_ui_test_find (page, is_status_page_on_screen, NULL);
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (mismatch)), ==,
                   ff_workflow_get_failure (workflow));
  /* The title names the check that failed. */
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (mismatch)), ==,
                   "Wrong Device ID — Stop");
  g_assert_cmpstr (ff_ui_test_row_subtitle (mismatch, "Device ID"), ==,
                   "DTU0999 read; the task expects DTU0101");
  /* Standing at the terminal: the position passes, by the core's rule. */
  g_assert_true (g_str_has_prefix (ff_ui_test_row_subtitle (mismatch, "Position"), "Δlat "));
  g_assert_true (g_str_has_suffix (ff_ui_test_row_subtitle (mismatch, "Position"), "within the 1″ limit"));

  gtk_widget_activate_action (page, "connect.override", NULL);
  dialog = ff_ui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (ff_ui_test_row_subtitle (GTK_WIDGET (dialog), "Device ID"), ==,
                   "DTU0999 read; the task expects DTU0101");
  ff_ui_test_respond (dialog, "_Cancel");

  /* Another device ID: measuring again cannot help, so leaving is the way on. The override is
   * second and smaller: a flat button, not a red pill like the way on. */
  g_assert_false (gtk_widget_get_visible (ff_ui_test_find (page, ff_ui_test_is_button_for,
                                                           "connect.measure-again")));
  g_assert_true (gtk_widget_has_css_class (ff_ui_test_find (page, ff_ui_test_is_button_for,
                                                            "connect.leave"),
                                           "suggested-action"));
  override = ff_ui_test_find (page, ff_ui_test_is_button_for, "connect.override");
  g_assert_false (gtk_widget_has_css_class (override, "pill"));
  g_assert_false (gtk_widget_has_css_class (override, "destructive-action"));

  /* Three wrong PINs: each is counted, the third locks overrides (until the next sync). */
  override_with_pin (page, "11111111");
  g_assert_nonnull (strstr (adw_status_page_get_description (ADW_STATUS_PAGE (mismatch)),
                            "Attempts left before overrides lock: 2"));
  override_with_pin (page, "22222222");
  override_with_pin (page, "33333333");
  g_assert_nonnull (strstr (adw_status_page_get_description (ADW_STATUS_PAGE (mismatch)),
                            "Overrides are locked"));
  g_assert_false (gtk_widget_is_sensitive (override));
  g_assert_cmpint (ff_workflow_get_state (workflow), ==, FF_WORKFLOW_STATE_IDENTITY_MISMATCH);

  gtk_widget_activate_action (page, "connect.leave", NULL);
  g_assert_cmpstr (ff_workflow_get_outcome (workflow), ==, "identity-mismatch");
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_DONE);

  gtk_window_destroy (GTK_WINDOW (window));
  ff_ui_test_visit_finish (visit);
  g_assert_finalize_object (training);
}

static gboolean
label_ends_with (GtkWidget     *widget,
                 gconstpointer  suffix)
{
  return GTK_IS_LABEL (widget)
         && g_str_has_suffix (gtk_label_get_label (GTK_LABEL (widget)), suffix);
}

/* The page shows what the real workflow read, and takes the go-ahead — one button that names the
 * version — only once the workflow waits for it. */
static void
test_before_page_presents_readings (void)
{
  FfTraining *training = ff_ui_test_start_training ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = g_object_new (FF_TYPE_BEFORE_PAGE, NULL);
  GtkWidget *upgrade_button = ff_ui_test_find (page, ff_ui_test_is_button_for, "before.upgrade");
  FfUiTestVisit *visit;
  FfWorkflow *workflow;
  FfWorkflowReadings readings;

  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpstr (ff_ui_test_visible_stack_child (page), ==, "empty");
  visit = ff_ui_test_visit_start (training, "DTU0101");
  workflow = ff_ui_test_visit_get_workflow (visit);
  ff_before_page_set_workflow (FF_BEFORE_PAGE (page), workflow);
  g_assert_false (gtk_widget_is_sensitive (upgrade_button));

  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_CONFIRM);
  ff_workflow_get_readings (workflow, &readings);
  g_assert_cmpstr (ff_ui_test_visible_stack_child (page), ==, "signals");
  g_assert_cmpstr (ff_ui_test_row_subtitle (page, "Device ID"), ==, "DTU0101, as in the task");
  g_assert_cmpstr (ff_ui_test_row_subtitle (page, "Running version"), ==, "V1.00");
  g_assert_cmpstr (ff_ui_test_row_subtitle (page, "Checksum"), ==, readings.checksum_before);
  g_assert_cmpstr (ff_ui_test_row_subtitle (page, "Target version"), ==, "V2.00");
  for (guint i = 0; i < FF_N_SIGNALS; i++)
    {
      GtkWidget *row = ff_ui_test_find (page, ff_ui_test_is_row_titled, ff_signal_get_label (i));
      g_autofree char *hex = ff_snapshot_value_to_hex (readings.before->values[i]);

      g_assert_true (readings.before->present[i]);
      g_assert_nonnull (ff_ui_test_find (row, label_ends_with, ff_signal_get_unit (i)));
      g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, hex);
    }
  /* The training terminals sit on a 10 kV feeder. */
  g_assert_nonnull (ff_ui_test_find (page, label_ends_with, " kV"));
  g_assert_true (gtk_widget_is_sensitive (upgrade_button));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (upgrade_button)), ==, "_Upgrade to V2.00");

  g_assert_true (ff_workflow_close (workflow, NULL));
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_DONE);
  g_assert_false (gtk_widget_is_sensitive (upgrade_button));

  gtk_window_destroy (GTK_WINDOW (window));
  ff_ui_test_visit_finish (visit);
  g_assert_finalize_object (training);
}

static gboolean
image_on_screen (GtkWidget     *widget,
                 gconstpointer  data)
{
  return GTK_IS_IMAGE (widget) && gtk_widget_is_drawable (widget);
}

static FfSignalGauge *
find_gauge (GtkWidget *page,
            FfSignal   signal)
{
  GtkWidget *name = ff_ui_test_find (page, ff_ui_test_is_label, ff_signal_get_label (signal));

  g_assert_nonnull (name);
  return FF_SIGNAL_GAUGE (gtk_widget_get_ancestor (name, FF_TYPE_SIGNAL_GAUGE));
}

/* A clean upgrade: the Restart page shows the target version the terminal came back with, the
 * After page the four gauges, all within the limit. The terminal then
 * runs the target, and the Before page of the next visit says there is nothing to do; that visit
 * starts from the first one's progress as saved when it began connecting, put back as after a
 * crash, so it reads the terminal again. */
static void
test_upgraded_then_current (void)
{
  FfTraining *training = ff_ui_test_start_training ();
  FfStore *store = ff_training_get_store (training);
  const char *task_id = ff_training_get_task (training)->task_id;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *page = g_object_new (FF_TYPE_BEFORE_PAGE, NULL);
  GtkWidget *after_page = g_object_new (FF_TYPE_AFTER_PAGE, NULL);
  GtkWidget *restart_page = g_object_new (FF_TYPE_RESTART_PAGE, NULL);
  GtkWidget *version_row;
  FfUiTestVisit *visit;
  g_autofree char *connect_state = NULL;
  g_autofree char *connect_data = NULL;
  GtkWidget *status;

  gtk_box_append (GTK_BOX (box), page);
  gtk_box_append (GTK_BOX (box), after_page);
  gtk_box_append (GTK_BOX (box), restart_page);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
  visit = ff_ui_test_visit_start (training, "DTU0101");
  ff_after_page_set_workflow (FF_AFTER_PAGE (after_page), ff_ui_test_visit_get_workflow (visit));
  ff_restart_page_set_workflow (FF_RESTART_PAGE (restart_page),
                                ff_ui_test_visit_get_workflow (visit));
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_CONNECT);
  g_assert_true (ff_store_load_workflow (store, task_id, "DTU0101", &connect_state, &connect_data,
                                         NULL));
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_CONFIRM);
  g_assert_cmpstr (ff_ui_test_visible_stack_child (after_page), ==, "empty");
  g_assert_true (ff_workflow_confirm_push (ff_ui_test_visit_get_workflow (visit), NULL));
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_DONE);
  g_assert_cmpstr (ff_workflow_get_outcome (ff_ui_test_visit_get_workflow (visit)), ==,
                   "upgraded");
  g_assert_cmpstr (ff_ui_test_visible_stack_child (after_page), ==, "result");
  g_assert_nonnull (ff_ui_test_find (after_page, ff_ui_test_is_label, "Signals Agree"));
  for (guint i = 0; i < FF_N_SIGNALS; i++)
    {
      FfSignalGauge *gauge = find_gauge (after_page, i);

      g_assert_true (gtk_widget_is_drawable (GTK_WIDGET (gauge)));
      g_assert_true (ff_signal_gauge_get_passed (gauge));
    }
  g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (after_page, ff_ui_test_is_button_for,
                                                          "win.show-page")));
  g_assert_false (gtk_widget_is_drawable (ff_ui_test_find (after_page, ff_ui_test_is_button_for,
                                                           "after.rollback")));
  /* The new version the terminal came back with, against the target. */
  version_row = ff_ui_test_find (restart_page, ff_ui_test_is_row_titled,
                                 "Version after the restart");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (version_row)), ==, "V2.00");
  g_assert_true (gtk_widget_has_css_class (ff_ui_test_find (version_row, image_on_screen, NULL),
                                           "success"));
  ff_after_page_set_workflow (FF_AFTER_PAGE (after_page), NULL);
  ff_restart_page_set_workflow (FF_RESTART_PAGE (restart_page), NULL);
  ff_ui_test_visit_finish (visit);

  g_assert_true (ff_store_save_workflow (store, task_id, "DTU0101", connect_state, connect_data,
                                         NULL));
  visit = ff_ui_test_visit_start (training, "DTU0101");
  ff_before_page_set_workflow (FF_BEFORE_PAGE (page), ff_ui_test_visit_get_workflow (visit));
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_DONE);
  g_assert_cmpstr (ff_workflow_get_outcome (ff_ui_test_visit_get_workflow (visit)), ==,
                   "already-current");
  g_assert_cmpstr (ff_ui_test_visible_stack_child (page), ==, "current");
  status = ff_ui_test_find (page, is_status_page_on_screen, NULL);
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (status)), ==,
                   "The terminal already runs version V2.00. There is nothing to do here.");

  gtk_window_destroy (GTK_WINDOW (window));
  ff_ui_test_visit_finish (visit);
  g_assert_finalize_object (training);
}

/* A signal that drifts after the upgrade: the page says why the upgrade failed, shows the gauges
 * with the drifting one red, and offers Roll Back as the one primary action. */
static void
test_after_page_offers_rollback (void)
{
  FfTraining *training = ff_ui_test_start_training ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = g_object_new (FF_TYPE_AFTER_PAGE, NULL);
  GtkWidget *rollback = ff_ui_test_find (page, ff_ui_test_is_button_for, "after.rollback");
  GtkWidget *close = ff_ui_test_find (page, ff_ui_test_is_button_for, "after.close");
  FfUiTestVisit *visit;
  FfWorkflow *workflow;

  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (ff_training_set_scenario (training, "DTU0101",
                                           "signal-drift signal=current percent=25", NULL));
  visit = ff_ui_test_visit_start (training, "DTU0101");
  workflow = ff_ui_test_visit_get_workflow (visit);
  ff_after_page_set_workflow (FF_AFTER_PAGE (page), workflow);
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_CONFIRM);
  g_assert_true (ff_workflow_confirm_push (workflow, NULL));
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_FAILED);

  g_assert_cmpstr (ff_ui_test_visible_stack_child (page), ==, "result");
  g_assert_nonnull (ff_ui_test_find (page, ff_ui_test_is_label, "Upgrade Failed"));
  g_assert_true (gtk_widget_is_drawable (ff_ui_test_find (page, ff_ui_test_is_label,
                                                          ff_workflow_get_failure (workflow))));
  for (guint i = 0; i < FF_N_SIGNALS; i++)
    {
      FfSignalGauge *gauge = find_gauge (page, i);

      g_assert_true (gtk_widget_is_drawable (GTK_WIDGET (gauge)));
      g_assert_cmpint (ff_signal_gauge_get_passed (gauge), ==, i != FF_SIGNAL_CURRENT);
    }
  g_assert_true (gtk_widget_is_drawable (rollback));
  g_assert_true (gtk_widget_has_css_class (rollback, "suggested-action"));
  g_assert_true (gtk_widget_is_drawable (close));
  g_assert_false (gtk_widget_has_css_class (close, "suggested-action"));
  g_assert_false (gtk_widget_is_drawable (ff_ui_test_find (page, ff_ui_test_is_button_for,
                                                           "win.show-page")));

  ff_ui_test_press (page, "after.rollback");
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_DONE);
  g_assert_cmpstr (ff_workflow_get_outcome (workflow), ==, "rolled-back");

  gtk_window_destroy (GTK_WINDOW (window));
  ff_ui_test_visit_finish (visit);
  g_assert_finalize_object (training);
}

/* At the go-ahead the technician may also end the visit: asked first, and the report says the
 * terminal was not upgraded. */
static void
test_before_page_leaves_without_upgrading (void)
{
  FfTraining *training = ff_ui_test_start_training ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = g_object_new (FF_TYPE_BEFORE_PAGE, NULL);
  FfUiTestVisit *visit;
  FfWorkflow *workflow;
  AdwMessageDialog *dialog;

  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  visit = ff_ui_test_visit_start (training, "DTU0101");
  workflow = ff_ui_test_visit_get_workflow (visit);
  ff_before_page_set_workflow (FF_BEFORE_PAGE (page), workflow);
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_CONFIRM);
  g_assert_cmpstr (ff_ui_test_visible_stack_child (page), ==, "signals");

  /* Changing one's mind keeps the go-ahead waiting. */
  ff_ui_test_press (page, "before.leave");
  dialog = ff_ui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Leave Without Upgrading?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "keeps running V1.00"));
  ff_ui_test_respond (dialog, "_Stay");
  g_assert_cmpint (ff_workflow_get_state (workflow), ==, FF_WORKFLOW_STATE_CONFIRM);

  ff_ui_test_press (page, "before.leave");
  ff_ui_test_respond (ff_ui_test_find_dialog (), "_Leave");
  g_assert_cmpstr (ff_workflow_get_outcome (workflow), ==, "aborted");
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_DONE);
  g_assert_false (gtk_widget_get_sensitive (ff_ui_test_find (page, ff_ui_test_is_button_for,
                                                             "before.leave")));

  gtk_window_destroy (GTK_WINDOW (window));
  ff_ui_test_visit_finish (visit);
  g_assert_finalize_object (training);
}

static gboolean
row_shown (GtkWidget *page,
           const char *title)
{
  return gtk_widget_is_drawable (ff_ui_test_find (page, ff_ui_test_is_row_titled, title));
}

static gboolean
reconnect_tried (gpointer page)
{
  return row_shown (page, "Reconnect attempts");
}

typedef struct
{
  GtkLabel *label;
  char     *text;
} LabelChange;

static gboolean
label_changed (gpointer data)
{
  LabelChange *change = data;

  return g_strcmp0 (gtk_label_get_label (change->label), change->text) != 0;
}

/* A terminal that never comes back: the page counts the time since the restart began every second,
 * the reconnect attempts and how long the workflow keeps trying, and waits for the new version. */
static GtkWidget *restart_page;

static gboolean
status_titled (gpointer title)
{
  return ff_ui_test_find (restart_page, ff_ui_test_is_label_mentioning, title) != NULL;
}

static gboolean
button_shown (gpointer action_name)
{
  GtkWidget *button = ff_ui_test_find (restart_page, ff_ui_test_is_button_for, action_name);

  return button != NULL && gtk_widget_is_drawable (button);
}

/* The reboot wait of a terminal that never comes back, as the page counts it and escalates it. */
static void
test_restart_page_counts_the_wait (void)
{
  FfTraining *training = ff_ui_test_start_training ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = g_object_new (FF_TYPE_RESTART_PAGE, NULL);
  FfUiTestVisit *visit;
  LabelChange elapsed;
  gboolean hurried = FALSE;

  restart_page = page;
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (ff_training_set_scenario (training, "DTU0101", "never-back", NULL));
  visit = ff_ui_test_visit_start (training, "DTU0101");
  ff_restart_page_set_workflow (FF_RESTART_PAGE (page), ff_ui_test_visit_get_workflow (visit));
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_CONFIRM);
  g_assert_true (ff_workflow_confirm_push (ff_ui_test_visit_get_workflow (visit), NULL));
  ff_ui_test_visit_wait_for (visit, FF_WORKFLOW_STATE_REBOOT_WAIT);

  g_assert_cmpstr (ff_ui_test_visible_stack_child (page), ==, "restart");
  g_assert_cmpstr (ff_ui_test_row_subtitle (page, "Expected version"), ==, "V2.00");
  g_assert_cmpstr (ff_ui_test_row_subtitle (page, "Version after the restart"), ==, "Not read yet");
  /* The countdown to the profile's usual boot time, then how long that usually is. */
  g_assert_true (row_shown (page, "Usually back in"));
  g_assert_true (g_str_has_suffix (ff_ui_test_row_subtitle (page, "Usually back in"), " s"));
  ff_ui_test_wait_until (reconnect_tried, page, "a reconnect attempt");
  g_assert_cmpuint (g_ascii_strtoull (ff_ui_test_row_subtitle (page, "Reconnect attempts"), NULL, 10), >=, 1);
  /* The profile's limit, not the boot time: minutes left, and counting down. */
  g_assert_true (row_shown (page, "Keeps trying for"));
  g_assert_true (g_str_has_suffix (ff_ui_test_row_subtitle (page, "Keeps trying for"), " s"));

  elapsed.label = GTK_LABEL (ff_ui_test_find (page, label_ends_with, " s"));
  elapsed.text = g_strdup (gtk_label_get_label (elapsed.label));
  ff_ui_test_wait_until (label_changed, &elapsed, "the time since the restart to move on");
  g_free (elapsed.text);

  /* Past the usual boot time the wait escalates: first what to check at the terminal, then,
   * past twice that, Reconnect Now and Give Up. */
  ff_ui_test_wait_until (status_titled, "Taking Longer Than Usual", "the wait to take longer");
  g_assert_cmpstr (ff_ui_test_row_subtitle (page, "Usually back in"), ==, "It usually takes 3 s");
  g_assert_true (row_shown (page, "Power"));
  g_assert_true (row_shown (page, "Cable"));
  g_assert_true (row_shown (page, "Run lamp"));
  ff_ui_test_wait_until (button_shown, "restart.reconnect", "Reconnect Now");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (ff_ui_test_find (
                     page, ff_ui_test_is_button_for, "win.cancel-upgrade"))), ==, "_Give Up");
  /* Between two tries the press tries at once (the count moves within the press); while a try is
   * on its way there is nothing to hurry, so the press is repeated once it is over. */
  for (guint presses = 0; !hurried && presses < 100; presses++)
    {
      guint64 attempts = g_ascii_strtoull (ff_ui_test_row_subtitle (page, "Reconnect attempts"), NULL, 10);

      ff_ui_test_press (page, "restart.reconnect");
      hurried = g_ascii_strtoull (ff_ui_test_row_subtitle (page, "Reconnect attempts"), NULL, 10) > attempts;
      if (!hurried)
        g_main_context_iteration (NULL, TRUE);
    }
  g_assert_true (hurried);
  /* What the socket said is not the technician's business: what it means for the terminal is. */
  g_assert_null (ff_ui_test_find (page, ff_ui_test_is_label_mentioning, "127.0.0.1"));
  g_assert_null (ff_ui_test_find (page, ff_ui_test_is_label_mentioning, "refused"));

  gtk_window_destroy (GTK_WINDOW (window));
  ff_ui_test_visit_finish (visit);
  g_assert_finalize_object (training);
}

static gboolean
training_refused (gpointer user_data)
{
  g_error ("the bad scenario was never refused");
  return G_SOURCE_REMOVE;
}

/* A scenario the simulator does not know is refused with its reason, and nothing starts. */
static void
test_training_refuses_bad_scenario (void)
{
  g_autoptr(FfContext) context = make_context ();
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  GtkWidget *start = ff_ui_test_find (ff_window_get_page (window, "welcome"),
                                      ff_ui_test_is_button_for, "win.start-training");
  guint watchdog;

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.start-training", "s", "no-such-fault");
  g_assert_false (gtk_widget_get_sensitive (start));
  watchdog = g_timeout_add_seconds (ff_test_deadline_s (30), training_refused, NULL);
  while (!gtk_widget_get_sensitive (start))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);

  g_assert_null (ff_context_get_training (context));
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "welcome");
  g_assert_nonnull (ff_ui_test_find (GTK_WIDGET (window), ff_ui_test_is_label_mentioning,
                                     "no-such-fault"));

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}



static gboolean
preferences_saved (gpointer data)
{
  gboolean saving;

  g_object_get (data, "saving", &saving, NULL);
  return !saving;
}

static void
test_preferences_refuse_bad_addresses (void)
{
  g_autoptr(FfContext) context = make_context ();
  GSettings *settings = ff_context_get_settings (context);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ff-preferences-XXXXXX", &error);
  FfPreferencesWindow *preferences;
  GtkWidget *url_row;
  GtkWidget *high_contrast_row;
  GtkSwitch *high_contrast;
  g_autofree char *url = NULL;
  g_autofree char *key = NULL;

  /* The platform is the tablet's: its data directory holds it. */
  g_assert_no_error (error);
  g_assert_true (ff_context_open_tablet (context, dir, &error));
  g_assert_no_error (error);
  preferences = g_object_ref (ff_preferences_window_new (context));
  url_row = ff_ui_test_find_type (GTK_WIDGET (preferences), ADW_TYPE_ENTRY_ROW);

  gtk_editable_set_text (GTK_EDITABLE (url_row), "ftp://nowhere");
  g_signal_emit_by_name (url_row, "apply");
  ff_ui_test_wait_until (preferences_saved, preferences, "the address refused");
  url = ff_tablet_get_platform_url (ff_context_get_tablet (context));
  g_assert_null (url);

  gtk_editable_set_text (GTK_EDITABLE (url_row), "https://127.0.0.1:9443");
  g_signal_emit_by_name (url_row, "apply");
  ff_ui_test_wait_until (preferences_saved, preferences, "the address saved");
  url = ff_tablet_get_platform_url (ff_context_get_tablet (context));
  g_assert_cmpstr (url, ==, "https://127.0.0.1:9443");

  /* Text that is not a PEM key is refused and nothing is pinned. */
  gtk_text_buffer_set_text (
    gtk_text_view_get_buffer (GTK_TEXT_VIEW (ff_ui_test_find_type (GTK_WIDGET (preferences),
                                                                   GTK_TYPE_TEXT_VIEW))),
    "not a key", -1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (preferences),
                                             "preferences.save-platform-key", NULL));
  ff_ui_test_wait_until (preferences_saved, preferences, "the key refused");
  key = ff_tablet_get_platform_key_pem (ff_context_get_tablet (context));
  g_assert_null (key);

  /* The switch is bound both ways. */
  high_contrast_row = ff_ui_test_find (GTK_WIDGET (preferences), ff_ui_test_is_row_titled,
                                       "High contrast");
  high_contrast = GTK_SWITCH (
    adw_action_row_get_activatable_widget (ADW_ACTION_ROW (high_contrast_row)));
  g_settings_set_boolean (settings, "high-contrast", TRUE);
  g_assert_true (gtk_switch_get_active (high_contrast));
  gtk_switch_set_active (high_contrast, FALSE);
  g_assert_false (g_settings_get_boolean (settings, "high-contrast"));

  gtk_window_destroy (GTK_WINDOW (preferences));
  g_assert_finalize_object (preferences);
  ff_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/templates/instantiate", test_templates_instantiate);
  g_test_add_func ("/app/window/finalizes", test_window_finalizes);
  g_test_add_func ("/app/window/navigation-actions", test_window_navigation_actions);
  g_test_add_func ("/app/window/display-settings", test_window_follows_display_settings);
  g_test_add_func ("/app/login/credentials", test_login_page_checks_credentials);
  g_test_add_func ("/app/gauge/failure", test_signal_gauge_marks_failure);
  g_test_add_func ("/app/before/readings", test_before_page_presents_readings);
  g_test_add_func ("/app/after/upgraded-then-current", test_upgraded_then_current);
  g_test_add_func ("/app/after/signal-drift", test_after_page_offers_rollback);
  g_test_add_func ("/app/before/leave", test_before_page_leaves_without_upgrading);
  g_test_add_func ("/app/restart/never-back", test_restart_page_counts_the_wait);
  g_test_add_func ("/app/connect/wrong-terminal", test_connect_page_shows_wrong_terminal);
  g_test_add_func ("/app/preferences/addresses", test_preferences_refuse_bad_addresses);
  g_test_add_func ("/app/training/bad-scenario", test_training_refuses_bad_scenario);
  return g_test_run ();
}
