/* The workflow after the push, against a simulated terminal on 127.0.0.1 (ff-test-workflow-rig.h):
 * a terminal that comes back on the old version or with a signal off and is rolled back, readings
 * flagged invalid, one already current, runs stopped mid-push or mid-rollback, and a run stopped
 * at every state in turn and resumed: one report each time and no second push. */
#include "config.h"

#include "ff-test-workflow-rig.h"

static gboolean
report_has_event (const FfReport *report, const char *step, const char *text)
{
  for (guint i = 0; i < report->events->len; i++)
    {
      const FfReportEvent *event = report->events->pdata[i];

      if (g_str_equal (event->step, step) && strstr (event->message, text) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* Back on the old version, which is the previous firmware: a rollback cannot help and is not
 * offered; the report says what the terminal runs. */
static void
test_old_version_no_rollback (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, TRUE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V1.00");
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_FAILED);
  g_assert_cmpstr (report->failure_step, ==, "verify");
  g_assert_cmpstr (report->versions.after, ==, "V1.00");
  g_assert_true (report_has_event (report, "verify", "No rollback is offered"));
}

/* On the target but a signal is off: the rollback helps, and pushes the previous firmware. */
static void
test_signal_drift_rolled_back (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, TRUE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 2);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V1.00");
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (report->failure_step, ==, "snapshot-after");
  g_assert_cmpstr (report->versions.after, ==, "V1.00");
  g_assert_cmpstr (report->firmware_sha256, ==, f->old_sha);
  /* The rollback's own transfer went through the first time. */
  g_assert_cmpuint (report->transfer.retries, ==, 0);
}

/* issue 10 item 12: the terminal sends the current with IV after the upgrade; its value is as
 * before, yet the judgement fails and the report says which signal and why. */
static void
test_invalid_after_upgrade (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_FAILED);
  g_assert_cmpstr (report->failure_step, ==, "snapshot-after");
  g_assert_nonnull (strstr (report->failure_reason, "Current: Not a valid reading after the "
                                                    "upgrade: invalid (IV)"));
  g_assert_cmpuint (report->before.quality[FF_SIGNAL_CURRENT], ==, 0);
  g_assert_cmpuint (report->after.quality[FF_SIGNAL_CURRENT], ==, IEC104_QUALITY_INVALID);
  g_assert_true (report->judgement.present);
  g_assert_false (report->judgement.pass[FF_SIGNAL_CURRENT]);
  g_assert_cmpfloat (report->judgement.deviation[FF_SIGNAL_CURRENT], <, 0.1);
  g_assert_true (report->judgement.pass[FF_SIGNAL_LINE_VOLTAGE]);
}

/* A flagged reading before the upgrade is no baseline: the visit stops before anything is
 * written. */
static void
test_invalid_before_upgrade (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 0);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V1.00");
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_ABORTED);
  g_assert_cmpstr (report->failure_step, ==, "snapshot-before");
  g_assert_nonnull (strstr (report->failure_reason, "Current as not topical (NT)"));
  g_assert_cmpuint (report->before.quality[FF_SIGNAL_CURRENT], ==, IEC104_QUALITY_NOT_TOPICAL);
  g_assert_false (report->transfer.present);
}

/* The technician chooses the rollback while the terminal is restarting: the rollback waits for
 * it, as every other step does, instead of failing at the first refused connection. */
static void
test_rollback_waits_for_terminal (WorkflowFixture *f, gconstpointer data)
{
  Technician decisions = { .roll_back = TRUE, .start_on_retry = f->terminal };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_FAILED, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_FAILED);
  g_clear_error (&error);
  ff_sim_terminal_stop (f->terminal);
  g_assert_cmpint (rig_run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 2);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (report->versions.after, ==, "V1.00");
}

/* Waiting for the rollback decision, the terminal went back to the previous firmware by other
 * means: the rollback is refused, nothing is pushed, and the report says what it runs. */
static void
test_rollback_refused_on_previous (WorkflowFixture *f, gconstpointer data)
{
  FfSimTerminalConfig config = rig_terminal_config;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_FAILED, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_FAILED);
  g_clear_error (&error);
  g_assert_cmpuint (f->pushes, ==, 1);
  /* The same terminal, on its port, with its factory image (the previous firmware). */
  config.profile = f->profile;
  config.port = ff_sim_terminal_get_port (f->terminal);
  ff_sim_terminal_stop (f->terminal);
  g_clear_object (&f->terminal);
  f->terminal = ff_sim_terminal_new (&config, &error);
  g_assert_no_error (error);
  g_signal_connect (f->terminal, "log", G_CALLBACK (rig_count_pushes), f);
  g_assert_true (ff_sim_terminal_start (f->terminal, &error));

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, TRUE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_FAILED);
  g_assert_cmpstr (report->versions.after, ==, "V1.00");
  g_assert_false (report->transfer.present);
  g_assert_true (report_has_event (report, "push", "the rollback is refused"));
}

/* Stopped as the push begins, and the terminal is gone when the visit goes on: nothing was
 * written, so the visit is cut short (aborted, the item stays open), not failed. */
static void
test_refused_before_write (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_PUSH, TRUE, &error), ==,
                   FF_WORKFLOW_STATE_PUSH);
  g_clear_error (&error);
  ff_sim_terminal_stop (f->terminal);
  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, TRUE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 0);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_ABORTED);
  g_assert_cmpstr (report->failure_step, ==, "push");
  g_assert_true (report_has_event (report, "push", "Nothing was written"));
}

/* The terminal restarts on the 105 without confirming it (every profile): the workflow waits
 * for it and verifies, and the visit is an upgrade. */
static void
test_reset_drop_upgraded (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V2.00");
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpstr (report->versions.after, ==, "V2.00");
  g_assert_true (report_has_event (report, "reset", "instead of confirming the restart"));
}

static void
test_already_current (WorkflowFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_cmpuint (f->pushes, ==, 1);
  /* A second task for the same terminal now finds it on the target. */
  {
    g_autoptr(FfTask) task = ff_task_parse (f->task_document, &error);
    g_free (task->task_id);
    task->task_id = ff_task_make_id (FF_TEST_PHONE, task->issued_at, 2);
    g_clear_pointer (&f->task_document, g_bytes_unref);
    f->task_document = ff_task_serialize (task);
  }
  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  {
    g_autoptr(GPtrArray) reports = ff_store_list_reports (f->store, FALSE, NULL);
    g_assert_cmpuint (reports->len, ==, 2);
    g_assert_cmpstr (((FfStoredReport *) reports->pdata[1])->outcome, ==, "already-current");
  }
}

/* Stopped while the file is going over: the terminal is told to drop it, the workflow says what
 * the terminal runs, and the next run pushes again from the start. */
static void
test_push_stopped (WorkflowFixture *f, gconstpointer data)
{
  Technician decisions = { .stop_at_line = "receives" };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_PUSH);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_test_message ("%s", f->message);
  g_assert_cmpuint (f->cancels, ==, 1);
  g_assert_cmpuint (f->pushes, ==, 0);
  g_assert_nonnull (strstr (f->message, "discarded the partly written file and still runs V1.00"));

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V2.00");
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_true (report_has_event (report, "push", "still runs V1.00"));
  /* The transfer was started again once. */
  g_assert_cmpuint (report->transfer.retries, ==, 1);
}

/* Stopped as the link drops: nothing can tell the terminal, so its state is called unknown. */
static void
test_push_stopped_link_gone (WorkflowFixture *f, gconstpointer data)
{
  const char *none[] = { "none", NULL };
  g_autoptr(FfSimScenario) healthy = ff_sim_scenario_parse (none, NULL);
  Technician decisions = { .stop_at_line = "FAULT link-drop" };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_PUSH);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_test_message ("%s", f->message);
  g_assert_cmpuint (f->cancels, ==, 0);
  g_assert_nonnull (strstr (f->message, "what it runs now is unknown"));

  ff_sim_terminal_set_scenario (f->terminal, healthy);
  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_true (report_has_event (report, "push", "unknown"));
  g_assert_cmpuint (report->transfer.retries, ==, 1);
}

/* Stopped as the rollback begins, before anything of it goes out: a plain stop, with nothing
 * said about a transfer that is not under way. */
static void
test_rollback_stopped_before_transfer (WorkflowFixture *f, gconstpointer data)
{
  Technician decisions = { .stop_at = FF_WORKFLOW_STATE_PUSH, .roll_back = TRUE,
                           .stop_in_rollback_only = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (rig_run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_PUSH);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_null (strstr (f->message, "Push stopped"));
  g_assert_true (g_str_has_prefix (f->message, "Stopped before a transfer began"));
  /* A program that opens the visit again sees a rollback under way (the cli's rollback verb
   * goes on with it). */
  {
    g_autoptr(FfWorkflow) reopened = ff_workflow_new (f->store, FF_GPS_SOURCE (f->gps),
                                                      f->task_document, "DTU0001",
                                                      FF_TEST_SERIAL, f->tablet_key, &error);

    g_assert_no_error (error);
    g_assert_true (ff_workflow_is_rolling_back (reopened));
    g_assert_false (ff_workflow_can_roll_back (reopened));
  }

  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 2);
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_ROLLED_BACK);
  g_assert_false (report_has_event (report, "push", "Push stopped"));
}

/* Stopped as each state starts (after it was persisted), then resumed by a new workflow object. */
static void
resume_case (gconstpointer data)
{
  FfWorkflowState stop_at = GPOINTER_TO_INT (data);
  WorkflowFixture fixture = { 0 };
  WorkflowFixture *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  rig_fixture_set_up (f, NULL);
  g_assert_cmpint (rig_run_workflow (f, stop_at, FALSE, &error), ==, stop_at);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  /* The stop says what it left the terminal in, by how far the visit had come. */
  g_test_message ("%s", f->message);
  if (stop_at < FF_WORKFLOW_STATE_PUSH)
    g_assert_true (g_str_has_prefix (f->message, "Stopped before anything was written"));
  else if (stop_at == FF_WORKFLOW_STATE_PUSH)
    g_assert_true (g_str_has_prefix (f->message, "Stopped before a transfer began"));
  else if (stop_at == FF_WORKFLOW_STATE_REPORT)
    g_assert_true (g_str_has_prefix (f->message, "Stopped while the report was being written"));
  else
    g_assert_true (g_str_has_prefix (f->message, "Stopped after the firmware was sent"));
  g_assert_cmpint (rig_run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V2.00");
  report = rig_only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  /* Every stop came before a transfer began: none was started again. */
  g_assert_cmpuint (report->transfer.retries, ==, 0);
  rig_fixture_tear_down (f, NULL);
}


int
main (int argc, char **argv)
{
  const FfWorkflowState stops[] = {
    FF_WORKFLOW_STATE_CONNECT, FF_WORKFLOW_STATE_IDENTIFY, FF_WORKFLOW_STATE_READ_VERSION,
    FF_WORKFLOW_STATE_SNAPSHOT_BEFORE, FF_WORKFLOW_STATE_CONFIRM, FF_WORKFLOW_STATE_PUSH,
    FF_WORKFLOW_STATE_RESET, FF_WORKFLOW_STATE_REBOOT_WAIT, FF_WORKFLOW_STATE_VERIFY,
    FF_WORKFLOW_STATE_SNAPSHOT_AFTER, FF_WORKFLOW_STATE_REPORT,
  };

  g_test_init (&argc, &argv, NULL);
  RIG_TEST_ADD ("/workflow/invalid-after-upgrade", "signal-quality signal=current quality=invalid",
                test_invalid_after_upgrade);
  RIG_TEST_ADD ("/workflow/invalid-before-upgrade",
                "signal-quality signal=current quality=not-topical when=now",
                test_invalid_before_upgrade);
  RIG_TEST_ADD ("/workflow/old-version-no-rollback", "old-version", test_old_version_no_rollback);
  RIG_TEST_ADD ("/workflow/signal-drift-rolled-back", DRIFT, test_signal_drift_rolled_back);
  RIG_TEST_ADD ("/workflow/rollback-waits-for-terminal", DRIFT, test_rollback_waits_for_terminal);
  RIG_TEST_ADD ("/workflow/rollback-refused-on-previous", DRIFT, test_rollback_refused_on_previous);
  RIG_TEST_ADD ("/workflow/refused-before-write", NULL, test_refused_before_write);
  RIG_TEST_ADD ("/workflow/reset-drop-upgraded", "reset-drop", test_reset_drop_upgraded);
  RIG_TEST_ADD ("/workflow/already-current", NULL, test_already_current);
  RIG_TEST_ADD ("/workflow/push-stopped", NULL, test_push_stopped);
  RIG_TEST_ADD ("/workflow/push-stopped-link-gone", "link-drop after=1000",
                test_push_stopped_link_gone);
  RIG_TEST_ADD ("/workflow/rollback-stopped-before-transfer", DRIFT,
                test_rollback_stopped_before_transfer);
  for (guint i = 0; i < G_N_ELEMENTS (stops); i++)
    {
      g_autofree char *path = g_strdup_printf ("/workflow/resume/%s",
                                               ff_workflow_state_to_string (stops[i]));
      g_test_add_data_func (path, GINT_TO_POINTER (stops[i]), resume_case);
    }
  return g_test_run ();
}
