/* The workflow until the push, against a simulated terminal on 127.0.0.1 (ff-test-workflow-rig.h):
 * a clean upgrade, a wrong position that is never written to, an identity override, a visit
 * reopened by a supervisor, the GPS fix it waits for, a push declined, the guards that start
 * nothing (a damaged state, an expired task, a full disk), and one more connection when the first
 * start of data transfer is never confirmed. */
#include "config.h"

#include "ff-test-workflow-rig.h"

static void
test_clean_upgrade (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V2.00");
  g_assert_cmpuint (f->pushes, ==, 1);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpstr (report->versions.before, ==, "V1.00");
  g_assert_cmpstr (report->versions.after, ==, "V2.00");
  g_assert_true (report->identity.present);
  g_assert_cmpstr (report->identity.device_id_read, ==, "DTU0001");
  g_assert_true (report->before.present && report->after.present && report->judgement.present);
  g_assert_cmpint (report->transfer.bytes, ==, IMAGE_SIZE + 1000);
  g_assert_cmpuint (report->transfer.retries, ==, 0);
  g_assert_cmpstr (report->firmware_sha256, ==, f->new_sha);
  g_assert_cmpuint (report->events->len, >=, 6);
  rig_check_signature_binds (f);

  /* Running it again changes nothing: it is done. */
  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_cmpuint (f->pushes, ==, 1);
  g_clear_pointer (&report, ff_report_free);
  report = rig_only_report (f);
}

/* Runs the visit to its end at an identity mismatch the technician closes: nothing written. */
static FfReport *
run_to_mismatch_report (WorkflowFixture *f)
{
  g_autoptr(GError) error = NULL;
  FfReport *report;

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 0);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V1.00");
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_IDENTITY_MISMATCH);
  return report;
}

static void
test_wrong_position (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(FfReport) report = NULL;

  /* 1.5″ north of the recorded position. */
  ff_gps_simulated_set_position (f->gps, 31.2304 + 1.5 / 3600, 121.4737);
  report = run_to_mismatch_report (f);
  g_assert_cmpfloat_with_epsilon (report->identity.delta_latitude_arcsec, 1.5, 0.01);
  g_assert_false (report->transfer.present);
}

/* A terminal that reports its device ID in GBK (工作 then 0xFF), as some vendors' do: the mismatch
 * is reported and signed with the ID made readable, never with bytes that are not UTF-8 (the
 * persisted state, the report and the platform take UTF-8 only), and nothing is written. */
static void
test_device_id_not_utf8 (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(FfReport) report = run_to_mismatch_report (f);

  g_assert_cmpstr (report->identity.device_id_read, ==, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                   "\xef\xbf\xbd\xef\xbf\xbd" "DTU");
  g_assert_nonnull (strstr (report->failure_reason, "DTU”, the task expects “DTU0001”"));
}

/* One whose device ID is GBK text (工作DTU): read as such, it is shown and reported readably. */
static void
test_device_id_gbk (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(FfReport) report = run_to_mismatch_report (f);

  g_assert_cmpstr (report->identity.device_id_read, ==, "工作DTU");
}

/* One whose device ID carries an escape sequence and a line break: shown as U+FFFD, they can
 * neither rewrite the cli's terminal nor fake one of its lines. */
static void
test_device_id_control_characters (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(FfReport) report = run_to_mismatch_report (f);

  g_assert_cmpstr (report->identity.device_id_read, ==, "DTU\xef\xbf\xbd[2J\xef\xbf\xbd" "DONE");
}

static void
test_identity_override (WorkflowFixture *f, gconstpointer data)
{
  Technician decisions = { FF_WORKFLOW_STATE_NEW, FALSE, "Pole renumbered; position re-surveyed",
                           FALSE, FALSE, NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  ff_gps_simulated_set_position (f->gps, 31.2304, 121.4737 - 3.0 / 3600);
  g_assert_cmpint (rig_run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpstr (report->identity.override_by, ==, "Li Lei");
  g_assert_cmpstr (report->identity.override_reason, ==, "Pole renumbered; position re-surveyed");
  g_assert_cmpfloat_with_epsilon (report->identity.delta_longitude_arcsec, 3.0, 0.01);
}

static FfReport *
load_report (WorkflowFixture *f, const char *report_id)
{
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;
  FfReport *report;

  g_assert_true (ff_store_load_report (f->store, report_id, &document, &signature, &error));
  report = ff_report_load_signed (document, signature, f->tablet_key, &error);
  g_assert_no_error (error);
  return report;
}

/* A finished visit (here refused for its position) is reopened by a supervisor with the PIN: a
 * new visit of the same item, whose own report follows the first; the first report stays. */
static void
test_reopen_after_mismatch (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfWorkflow) workflow = NULL;
  g_autoptr(GPtrArray) reports = NULL;
  g_autoptr(FfReport) first = NULL;
  g_autoptr(FfReport) second = NULL;
  g_autofree char *first_id = NULL;

  ff_gps_simulated_set_position (f->gps, 31.2304 + 1.5 / 3600, 121.4737);
  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  first = rig_only_report (f);
  first_id = g_strdup (first->report_id);
  g_assert_null (first->follows);

  workflow = ff_workflow_new (f->store, FF_GPS_SOURCE (f->gps), f->task_document, "DTU0001",
                              FF_TEST_SERIAL, f->tablet_key, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ff_workflow_get_state (workflow), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_false (ff_workflow_reopen (workflow, FF_TEST_SUPERVISOR, "11111111", &error));
  g_assert_error (error, FF_SUPERVISOR_ERROR, FF_SUPERVISOR_ERROR_WRONG_PIN);
  g_clear_error (&error);
  g_assert_cmpint (ff_workflow_get_state (workflow), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_true (ff_workflow_reopen (workflow, FF_TEST_SUPERVISOR, FF_TEST_SUPERVISOR_PIN,
                                     &error));
  g_assert_no_error (error);
  g_assert_cmpint (ff_workflow_get_state (workflow), ==, FF_WORKFLOW_STATE_NEW);
  g_assert_null (ff_workflow_get_report_id (workflow));
  g_clear_object (&workflow);

  /* The new visit is persisted: a workflow made afresh resumes it, and this time at the terminal. */
  ff_gps_simulated_set_position (f->gps, 31.2304, 121.4737);
  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  reports = ff_store_list_reports (f->store, FALSE, &error);
  g_assert_cmpuint (reports->len, ==, 2);
  g_clear_pointer (&first, ff_report_free);
  first = load_report (f, first_id);
  g_assert_cmpint (first->outcome, ==, FF_REPORT_OUTCOME_IDENTITY_MISMATCH);
  for (guint i = 0; i < reports->len; i++)
    if (!g_str_equal (((FfStoredReport *) reports->pdata[i])->report_id, first_id))
      second = load_report (f, ((FfStoredReport *) reports->pdata[i])->report_id);
  g_assert_nonnull (second);
  g_assert_cmpint (second->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpstr (second->follows, ==, first_id);
  g_assert_cmpstr (second->reopened_by, ==, FF_TEST_SUPERVISOR);
}

/* Only a finished visit is reopened. */
static void
test_reopen_needs_finished_visit (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfWorkflow) workflow = ff_workflow_new (f->store, FF_GPS_SOURCE (f->gps),
                                                    f->task_document, "DTU0001", FF_TEST_SERIAL,
                                                    f->tablet_key, &error);

  g_assert_no_error (error);
  g_assert_false (ff_workflow_reopen (workflow, FF_TEST_SUPERVISOR, FF_TEST_SUPERVISOR_PIN,
                                      &error));
  g_assert_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION);
  g_assert_cmpint (ff_workflow_get_state (workflow), ==, FF_WORKFLOW_STATE_NEW);
}

/* A fix older than the limit, and from elsewhere, is not taken: identify waits for a fresh one. */
static void
test_stale_fix_not_taken (WorkflowFixture *f, gconstpointer data)
{
  Technician decisions = { .fresh_fix_gps = f->gps, .fresh_fix = { 31.2304, 121.4737 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  ff_gps_simulated_set_stale_position (f->gps, 31.2304 + 1.5 / 3600, 121.4737,
                                       FF_GPS_MAX_FIX_AGE_S + 20);
  g_assert_cmpint (rig_run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpfloat (report->identity.delta_latitude_arcsec, <, 0.01);
  g_assert_cmpfloat (report->identity.fix_age_s, <=, FF_GPS_MAX_FIX_AGE_S);
}

/* A real receiver just after acquisition (gpsd replaying tests/data/settling.nmea): its first
 * fixes lie 2″ north, the next ones 1.2″ off, then it settles at the terminal. Identify waits out
 * the settling period, judges the median and passes; the report keeps the fixes it used, the
 * wandering ones first. */
static void
test_gps_settles (WorkflowFixture *f, gconstpointer data)
{
  g_autofree char *port = g_strdup_printf ("%u", ff_test_closed_loopback_port ());
  Technician decisions = {
    .settle_seconds = 3, .gpsfake_port = port, .gpsfake_log = "settling.nmea",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;
  const FfReportGpsFix *first;
  GArray *fixes;

  f->gpsd = FF_GPS_SOURCE (ff_gpsd_source_new ("127.0.0.1", port));
  g_assert_cmpint (rig_run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  report = rig_only_report (f);
  g_assert_cmpstr (report->failure_reason, ==, NULL);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpfloat (report->identity.delta_latitude_arcsec, <, 1.0);
  g_assert_true (report->identity.has_gps);
  g_assert_cmpfloat (report->identity.settle_seconds, ==, 3);
  g_assert_cmpuint (report->identity.measurements, ==, 1);
  fixes = report->identity.gps_fixes;
  g_assert_cmpuint (fixes->len, >=, FF_GPS_SETTLE_MIN_FIXES);
  first = &g_array_index (fixes, FfReportGpsFix, 0);
  g_assert_cmpfloat ((first->latitude - 31.2304) * 3600, >, 1.0);
  g_assert_cmpint (first->mode, >=, 2);
}

/* Standing at the wrong spot, the technician moves and measures again: a second settling period,
 * and the visit goes on; the report counts both. */
static void
test_measure_again (WorkflowFixture *f, gconstpointer data)
{
  Technician decisions = { .remeasure_gps = f->gps, .remeasure_at = { 31.2304, 121.4737 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  ff_gps_simulated_set_position (f->gps, 31.2304 + 1.5 / 3600, 121.4737);
  g_assert_cmpint (rig_run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpuint (report->identity.measurements, ==, 2);
  g_assert_cmpuint (report->identity.gps_fixes->len, ==, 1);
  g_assert_cmpfloat (report->identity.delta_latitude_arcsec, <, 0.01);
  g_assert_null (report->identity.override_by);
}

static void
test_push_declined (WorkflowFixture *f, gconstpointer data)
{
  Technician decisions = { FF_WORKFLOW_STATE_NEW, FALSE, NULL, TRUE, FALSE, NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 0);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_ABORTED);
  g_assert_cmpstr (report->failure_step, ==, "confirm");
  g_assert_true (report->before.present);
  g_assert_false (report->after.present);
}

static void
test_damaged_state_refused (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(FfTask) task = ff_task_parse (f->task_document, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfWorkflow) workflow = NULL;

  g_assert_true (ff_store_save_workflow (f->store, task->task_id, "DTU0001", "push", "{garbage",
                                         &error));
  workflow = ff_workflow_new (f->store, FF_GPS_SOURCE (f->gps), f->task_document, "DTU0001",
                              FF_TEST_SERIAL, f->tablet_key, &error);
  g_assert_null (workflow);
  g_assert_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_DAMAGED_STATE);
  g_clear_error (&error);
  workflow = ff_workflow_new (f->store, FF_GPS_SOURCE (f->gps), f->task_document, "DTU9999",
                              FF_TEST_SERIAL, f->tablet_key, &error);
  g_assert_null (workflow);
  g_assert_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_NOT_IN_TASK);
  g_assert_cmpuint (f->pushes, ==, 0);
}

static void
test_expired_task_starts_nothing (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(FfTask) task = ff_task_parse (f->task_document, NULL);
  g_autoptr(GBytes) expired = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfWorkflow) workflow = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  /* Under way before it expired: still finished. */
  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_PUSH, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_PUSH);
  g_clear_error (&error);
  task->issued_at = now - 2 * 86400;
  task->expires_at = now - 60;
  expired = ff_task_serialize (task);
  g_clear_pointer (&f->task_document, g_bytes_unref);
  f->task_document = g_bytes_ref (expired);
  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);

  /* A new visit on it is refused before anything happens. */
  g_free (task->task_id);
  task->task_id = ff_task_make_id (FF_TEST_PHONE, task->issued_at, 2);
  g_clear_pointer (&f->task_document, g_bytes_unref);
  f->task_document = ff_task_serialize (task);
  workflow = ff_workflow_new (f->store, FF_GPS_SOURCE (f->gps), f->task_document, "DTU0001",
                              FF_TEST_SERIAL, f->tablet_key, &error);
  g_assert_null (workflow);
  g_assert_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_EXPIRED);
}

static goffset
file_size (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? st.st_size : 0;
}

/* The disk fills up just as the technician confirms: the push state cannot be written, so the
 * workflow stops before touching the terminal and resumes at the confirmation once there is room.
 * The full disk is a file size limit 1 KiB above the store's current size: the next WAL frame
 * (a page) only partly fits, as on a disk with a little room left. */
static void
test_disk_full_before_push (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;
  struct rlimit saved, limit;
  void (*saved_handler) (int);

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_CONFIRM, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_CONFIRM);
  g_clear_error (&error);

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limit = saved;
  limit.rlim_cur = MAX (file_size (f->dir, "tablet.db"), file_size (f->dir, "tablet.db-wal")) + 1024;
  saved_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_CONFIRM);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, saved_handler);
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_FULL);
  g_clear_error (&error);
  g_assert_cmpuint (f->pushes, ==, 0);

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
}

/* A terminal that takes the first connection and never confirms its start of data transfer, as
 * one held up by the main loop it shares with the tablet (in training) before it answered: the
 * connection is held, unread, and the simulated terminal starts on the port again. */
static gboolean
take_first_connection_silently (GSocketService    *service,
                                GSocketConnection *connection,
                                GObject           *source,
                                WorkflowFixture   *f)
{
  g_autoptr(GError) error = NULL;

  g_object_set_data_full (G_OBJECT (service), "held", g_object_ref (connection), g_object_unref);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_assert_true (ff_sim_terminal_start (f->terminal, &error));
  g_assert_no_error (error);
  return TRUE;
}

/* t1 runs out before the terminal confirms STARTDT: the visit connects once more, saying so,
 * instead of ending before its identity check, and the terminal is upgraded. */
static void
test_connects_again_after_unconfirmed_start (WorkflowFixture *f, gconstpointer data)
{
  guint16 port = ff_sim_terminal_get_port (f->terminal);
  g_autoptr(GSocketService) silent = g_socket_service_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;
  gboolean said_so = FALSE;

  ff_sim_terminal_stop (f->terminal);
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (silent), address,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL, NULL, &error));
  g_assert_no_error (error);
  g_signal_connect (silent, "incoming", G_CALLBACK (take_first_connection_silently), f);
  g_socket_service_start (silent);

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_nonnull (g_object_get_data (G_OBJECT (silent), "held"));
  g_assert_cmpuint (f->pushes, ==, 1);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  for (guint i = 0; i < report->events->len; i++)
    said_so |= strstr (((FfReportEvent *) report->events->pdata[i])->message,
                       "connecting once more") != NULL;
  g_assert_true (said_so);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  RIG_TEST_ADD ("/workflow/clean-upgrade", NULL, test_clean_upgrade);
  RIG_TEST_ADD ("/workflow/wrong-position", NULL, test_wrong_position);
  RIG_TEST_ADD ("/workflow/device-id-not-utf8", "wrong-device-id id=\xb9\xa4\xd7\xf7\xff" "DTU",
                test_device_id_not_utf8);
  RIG_TEST_ADD ("/workflow/device-id-gbk", "wrong-device-id id=\xb9\xa4\xd7\xf7" "DTU",
                test_device_id_gbk);
  RIG_TEST_ADD ("/workflow/device-id-control-characters", "wrong-device-id id=DTU\x1b[2J\nDONE",
                test_device_id_control_characters);
  RIG_TEST_ADD ("/workflow/identity-override", NULL, test_identity_override);
  RIG_TEST_ADD ("/workflow/reopen-after-mismatch", NULL, test_reopen_after_mismatch);
  RIG_TEST_ADD ("/workflow/reopen-needs-finished-visit", NULL, test_reopen_needs_finished_visit);
  RIG_TEST_ADD ("/workflow/stale-fix-not-taken", NULL, test_stale_fix_not_taken);
  RIG_TEST_ADD ("/workflow/gps-settles", NULL, test_gps_settles);
  RIG_TEST_ADD ("/workflow/measure-again", NULL, test_measure_again);
  RIG_TEST_ADD ("/workflow/push-declined", NULL, test_push_declined);
  RIG_TEST_ADD ("/workflow/damaged-state-refused", NULL, test_damaged_state_refused);
  RIG_TEST_ADD ("/workflow/expired-task-starts-nothing", NULL, test_expired_task_starts_nothing);
  RIG_TEST_ADD ("/workflow/disk-full-before-push", NULL, test_disk_full_before_push);
  RIG_TEST_ADD ("/workflow/connects-again-after-unconfirmed-start", NULL,
                test_connects_again_after_unconfirmed_start);
  return g_test_run ();
}
