/* A visit resumed after a crash: the run stopped at a step as the power going would leave it, the
 * app started again as at power-on (its tablet opening after the window), the window opening the
 * page of that step and going on from there. */
#include "config.h"

#include <adwaita.h>

#include "ff-profile.h"
#include "ff-sim-fleet.h"
#include "ff-test-fixtures.h"
#include "ff-ui-test-tablet.h"
#include "ff-ui-test.h"
#include "ff-window.h"

/* Long enough to stop the run while the terminal reboots, short enough not to wait. */
#define BOOT_TIME_MS 1000

typedef struct
{
  FfUiTestTablet *tablet;
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
  ff_ui_test_tablet_free (field->tablet);
  g_free (field);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Field, field_free)

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
  field->tablet = ff_ui_test_tablet_new ();
  field->fleet = ff_sim_fleet_new ();
  ff_sim_fleet_set_boot_time (field->fleet, BOOT_TIME_MS);
  terminal = ff_sim_fleet_add_terminal (field->fleet, &config, &error);
  g_assert_no_error (error);
  g_assert_true (ff_sim_fleet_start (field->fleet, &error));
  g_assert_no_error (error);

  field->task = ff_test_task_new (g_get_real_time () / G_USEC_PER_SEC, 7 * FF_UI_TEST_DAY_S,
                                  "Wang Wei");
  item = ff_test_task_item_new ("DTU0001", "Ring main unit 1, Renmin Road", config.latitude,
                                config.longitude, "127.0.0.1",
                                ff_sim_terminal_get_port (terminal));
  ff_ui_test_tablet_add_firmware (field->tablet, &item->target, "V2.00",
                                  FF_UI_TEST_TARGET_IMAGE_SIZE);
  item->target.file_name = g_strdup (profile->iec104.upgrade_file_name);
  item->previous = ff_firmware_ref_new ();
  ff_ui_test_tablet_add_firmware (field->tablet, item->previous, "V1.00",
                                  FF_UI_TEST_FACTORY_IMAGE_SIZE);
  g_ptr_array_add (field->task->items, item);
  g_assert_true (ff_task_validate (field->task, &error));
  g_assert_no_error (error);
  ff_ui_test_tablet_store_task (field->tablet, field->task);

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
  ff_ui_test_wait_until (ff_ui_test_flag_set, &crash.ended, "the visit to stop");
  g_assert_cmpint (ff_workflow_get_state (workflow), ==, state);
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

/* After the crash the app starts as it does at power-on (the tablet opens after the window is
 * made); the window opens the page of the step the visit was at and says whose visit goes on. */
static FfWindow *
restart_app (Field           *field,
             FfWorkflowState  state)
{
  g_autoptr(FfContext) context = ff_ui_test_make_context (field->gps);
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  FfUiTestStateQuery wanted = { window, state };
  FfUiTestQuery query = { GTK_WIDGET (window), ff_window_page_for_state (state) };
  gboolean opened = FALSE;

  gtk_window_present (GTK_WINDOW (window));
  ff_context_open_tablet_async (context, field->tablet->dir, NULL, tablet_opened, &opened);
  ff_ui_test_wait_until (ff_ui_test_flag_set, &opened, "the tablet to open");
  ff_ui_test_wait_until (ff_ui_test_workflow_state_is, &wanted, "the resumed visit");
  ff_ui_test_wait_until (ff_ui_test_page_is, &query, "the page of the step");
  g_assert_nonnull (ff_ui_test_find (GTK_WIDGET (window), ff_ui_test_is_label,
                                     "Resuming the visit of DTU0001"));
  return window;
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
  dialog = ff_ui_test_find_dialog ();
  g_assert_nonnull (dialog);
  ff_ui_test_respond (dialog, "_Stop");
  ff_ui_test_wait_until (ff_ui_test_run_stopped, window, "the resumed visit to stop");
  ff_ui_test_destroy_window (window);
}

static gboolean
report_shows (gpointer window)
{
  GtkWidget *report = ff_window_get_page (FF_WINDOW (window), "report");
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
  ff_ui_test_wait_until (report_shows, window, "the resumed visit's report");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
  ff_ui_test_destroy_window (window);
}

int
main (int   argc,
      char *argv[])
{
  ff_ui_test_init (&argc, &argv);

  g_test_add_func ("/app/field/resume-at-confirm", test_resume_at_confirm);
  g_test_add_func ("/app/field/resume-at-reboot-wait", test_resume_at_reboot_wait);
  return g_test_run ();
}
