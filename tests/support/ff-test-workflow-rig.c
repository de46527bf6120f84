/* The workflow tests' rig (see ff-test-workflow-rig.h). */
#include "config.h"

#include "ff-test-workflow-rig.h"

void
rig_count_pushes (FfSimTerminal *terminal, const char *line, WorkflowFixture *f)
{
  if (strstr (line, "received completely") != NULL)
    f->pushes++;
  if (strstr (line, "upgrade cancelled (211 cancel)") != NULL)
    f->cancels++;
}

const FfSimTerminalConfig rig_terminal_config = {
  .device_id = "DTU0001", .version = "V1.00", .vendor = "Acme", .model = "DTU-3000",
  .type = "DTU", .latitude = 31.2304, .longitude = 121.4737, .host = "127.0.0.1", .port = 0,
  .boot_time_ms = 300,
};

static void
set_scenario (WorkflowFixture *f, const char *scenario)
{
  g_auto(GStrv) words = g_strsplit (scenario, " ", -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSimScenario) parsed = ff_sim_scenario_parse ((const char * const *) words, &error);

  g_assert_no_error (error);
  ff_sim_terminal_set_scenario (f->terminal, parsed);
}

void
rig_fixture_set_up (WorkflowFixture *f, gconstpointer data)
{
  const char *scenario = data;
  g_autoptr(GError) error = NULL;
  FfSimTerminalConfig config = rig_terminal_config;
  g_autoptr(FfTask) task = ff_test_task_new (g_get_real_time () / G_USEC_PER_SEC, 86400, "张伟");
  FfTaskItem *item = NULL;

  f->dir = g_dir_make_tmp ("ff-workflow-XXXXXX", &error);
  f->store = ff_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->tablet_key = ff_key_generate (&error);
  f->gps = ff_gps_simulated_new ();
  ff_gps_simulated_set_position (f->gps, config.latitude, config.longitude);
  f->profile = ff_profile_load ("state-grid", &error);
  g_assert_no_error (error);
  f->old_image = ff_sim_firmware_make ("Acme", "DTU-3000", "V1.00", FACTORY_IMAGE_SIZE, &error);
  f->new_image = ff_sim_firmware_make ("Acme", "DTU-3000", "V2.00", IMAGE_SIZE + 1000, &error);
  g_assert_no_error (error);
  f->old_sha = ff_test_store_firmware (f->store, f->old_image);
  f->new_sha = ff_test_store_firmware (f->store, f->new_image);

  config.profile = f->profile;
  f->terminal = ff_sim_terminal_new (&config, &error);
  g_assert_no_error (error);
  g_signal_connect (f->terminal, "log", G_CALLBACK (rig_count_pushes), f);
  if (scenario != NULL)
    set_scenario (f, scenario);
  g_assert_true (ff_sim_terminal_start (f->terminal, &error));
  g_assert_no_error (error);

  item = ff_test_task_item_new ("DTU0001", "Ring main unit 1 / north", config.latitude,
                                config.longitude, "127.0.0.1",
                                ff_sim_terminal_get_port (f->terminal));
  item->target.version = g_strdup ("V2.00");
  item->target.sha256 = g_strdup (f->new_sha);
  item->target.size = g_bytes_get_size (f->new_image);
  item->target.file_name = g_strdup (f->profile->iec104.upgrade_file_name);
  item->previous = ff_firmware_ref_new ();
  item->previous->version = g_strdup ("V1.00");
  item->previous->sha256 = g_strdup (f->old_sha);
  item->previous->size = g_bytes_get_size (f->old_image);
  g_ptr_array_add (task->items, item);
  g_ptr_array_add (task->supervisors, ff_test_supervisor_new ());
  g_assert_true (ff_task_validate (task, &error));
  g_assert_no_error (error);
  f->task_document = ff_task_serialize (task);
}


void
rig_fixture_tear_down (WorkflowFixture *f, gconstpointer data)
{
  ff_sim_terminal_stop (f->terminal);
  g_clear_object (&f->terminal);
  g_clear_object (&f->store);
  g_clear_object (&f->gps);
  g_clear_object (&f->gpsd);
  g_clear_pointer (&f->tablet_key, ff_key_unref);
  g_clear_pointer (&f->profile, ff_profile_unref);
  g_clear_pointer (&f->old_image, g_bytes_unref);
  g_clear_pointer (&f->new_image, g_bytes_unref);
  g_clear_pointer (&f->task_document, g_bytes_unref);
  g_free (f->old_sha);
  g_free (f->new_sha);
  g_free (f->message);
  ff_test_remove_tree (f->dir);
  g_free (f->dir);
}
static gboolean
decide (gpointer user_data)
{
  FfWorkflow *workflow = user_data;
  Technician *technician = g_object_get_data (G_OBJECT (workflow), "technician");
  g_autoptr(GError) error = NULL;

  switch (ff_workflow_get_state (workflow))
    {
    case FF_WORKFLOW_STATE_CONFIRM:
      if (technician->decline_push)
        g_assert_true (ff_workflow_close (workflow, &error));
      else
        {
          g_assert_true (ff_workflow_confirm_push (workflow, &error));
          /* A gloved double tap: the second confirmation (or a close) must not be taken again
           * while the first one is being written, or the terminal would be pushed twice. */
          g_assert_false (ff_workflow_confirm_push (workflow, &error));
          g_assert_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION);
          g_clear_error (&error);
          g_assert_false (ff_workflow_close (workflow, &error));
          g_assert_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION);
          g_clear_error (&error);
        }
      break;
    case FF_WORKFLOW_STATE_IDENTITY_MISMATCH:
      if (technician->remeasure_gps != NULL)
        {
          FfWorkflowReadings readings;

          ff_workflow_get_readings (workflow, &readings);
          g_assert_true (readings.can_measure_again);
          g_assert_false (readings.same_place);
          g_assert_cmpuint (readings.measurements, ==, 1);
          ff_gps_simulated_set_position (technician->remeasure_gps,
                                         technician->remeasure_at.latitude,
                                         technician->remeasure_at.longitude);
          g_assert_true (ff_workflow_measure_again (workflow, &error));
          technician->remeasure_gps = NULL;
          break;
        }
      /* A decision the state does not take is refused and changes nothing. */
      g_assert_false (ff_workflow_roll_back (workflow, &error));
      g_assert_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION);
      g_clear_error (&error);
      g_assert_false (ff_workflow_override_identity (workflow, FF_TEST_SUPERVISOR,
                                                     FF_TEST_SUPERVISOR_PIN, "  ", &error));
      g_assert_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION);
      g_clear_error (&error);
      /* A name the task does not list, or a wrong PIN, overrides nothing. */
      g_assert_false (ff_workflow_override_identity (workflow, "Han Meimei",
                                                     FF_TEST_SUPERVISOR_PIN, "reason", &error));
      g_assert_error (error, FF_SUPERVISOR_ERROR, FF_SUPERVISOR_ERROR_UNKNOWN);
      g_clear_error (&error);
      if (technician->override_reason != NULL)
        {
          g_assert_false (ff_workflow_override_identity (workflow, FF_TEST_SUPERVISOR, "20261207",
                                                         technician->override_reason, &error));
          g_assert_error (error, FF_SUPERVISOR_ERROR, FF_SUPERVISOR_ERROR_WRONG_PIN);
          g_clear_error (&error);
          g_assert_cmpint (ff_workflow_get_state (workflow), ==,
                           FF_WORKFLOW_STATE_IDENTITY_MISMATCH);
          g_assert_true (ff_workflow_override_identity (workflow, FF_TEST_SUPERVISOR,
                                                        FF_TEST_SUPERVISOR_PIN,
                                                        technician->override_reason, &error));
        }
      else
        g_assert_true (ff_workflow_close (workflow, &error));
      break;
    case FF_WORKFLOW_STATE_FAILED:
      if (technician->roll_back)
        {
          FfWorkflowReadings readings;

          technician->rolled_back = ff_workflow_roll_back (workflow, &error);
          ff_workflow_get_readings (workflow, &readings);
          g_assert_cmpstr (readings.version_wanted, ==,
                           technician->rolled_back ? "V1.00" : "V2.00");
        }
      else
        g_assert_true (ff_workflow_close (workflow, &error));
      break;
    default:
      break;
    }
  g_assert_no_error (error);
  return G_SOURCE_REMOVE;
}

/* What a page shows is there, read and persisted, when the state that presents it begins. */
static void
check_readings (FfWorkflow *workflow, FfWorkflowState state, Technician *technician)
{
  FfWorkflowReadings readings;

  ff_workflow_get_readings (workflow, &readings);
  if (state == FF_WORKFLOW_STATE_CONFIRM)
    {
      g_assert_cmpstr (readings.device_id_read, ==, "DTU0001");
      g_assert_true (readings.has_fix);
      g_assert_true (readings.same_place == (technician->override_reason == NULL));
      g_assert_cmpstr (readings.version_before, ==, "V1.00");
      g_assert_cmpstr (readings.version_wanted, ==, "V2.00");
      g_assert_cmpuint (readings.reboot_expected_ms, ==, 3000);  /* state-grid.ini */
      g_assert_true (ff_snapshot_is_complete (readings.before));
      g_assert_null (readings.version_after);
      g_assert_false (ff_snapshot_is_complete (readings.after));
    }
  else if (state == FF_WORKFLOW_STATE_VERIFY)
    {
      /* Back from a reboot this run waited for: reconnected at least once. */
      if (technician->saw_reboot_wait)
        g_assert_cmpuint (readings.reconnect_attempts, >=, 1);
      g_assert_true (g_strcmp0 (readings.version_wanted, "V2.00") == 0
                     || g_strcmp0 (readings.version_wanted, "V1.00") == 0);
    }
  else if (state == FF_WORKFLOW_STATE_REPORT
           && g_strcmp0 (ff_workflow_get_outcome (workflow), "upgraded") == 0)
    {
      g_assert_cmpstr (readings.version_after, ==, "V2.00");
      g_assert_true (ff_snapshot_is_complete (readings.after));
    }
}

static void
state_changed (FfWorkflow *workflow, GParamSpec *pspec, Technician *technician)
{
  FfWorkflowState state = ff_workflow_get_state (workflow);

  if (state == FF_WORKFLOW_STATE_REBOOT_WAIT)
    technician->saw_reboot_wait = TRUE;
  check_readings (workflow, state, technician);

  if (technician->stop_at != FF_WORKFLOW_STATE_NEW && state == technician->stop_at
      && (technician->rolled_back || !technician->stop_in_rollback_only))
    g_cancellable_cancel (technician->cancellable);
  else if (state == FF_WORKFLOW_STATE_CONFIRM || state == FF_WORKFLOW_STATE_IDENTITY_MISMATCH
           || state == FF_WORKFLOW_STATE_FAILED)
    g_idle_add_full (G_PRIORITY_DEFAULT, decide, g_object_ref (workflow), g_object_unref);
}

static gboolean
send_fresh_fix (gpointer user_data)
{
  Technician *technician = user_data;

  ff_gps_simulated_set_position (technician->fresh_fix_gps, technician->fresh_fix.latitude,
                                 technician->fresh_fix.longitude);
  return G_SOURCE_REMOVE;
}

/* Identify has read the terminal and says it waits for the GPS: the fix comes a moment later. */
static void
message_changed (FfWorkflow *workflow, GParamSpec *pspec, Technician *technician)
{
  FfWorkflowReadings readings;

  ff_workflow_get_readings (workflow, &readings);
  if (ff_workflow_get_state (workflow) == FF_WORKFLOW_STATE_IDENTIFY
      && readings.device_id_read != NULL)
    {
      g_signal_handlers_disconnect_by_func (workflow, message_changed, technician);
      g_idle_add (send_fresh_fix, technician);
    }
}

/* The terminal comes back once the workflow waits for it: a restart that outlasts one attempt. */
static void
retrying (FfWorkflow *workflow, GParamSpec *pspec, Technician *technician)
{
  g_autoptr(GError) error = NULL;

  if (technician->start_on_retry == NULL)
    return;
  g_assert_true (ff_sim_terminal_start (technician->start_on_retry, &error));
  g_assert_no_error (error);
  technician->start_on_retry = NULL;
}

/* gpsfake plays its log from the moment gpsd opens the receiver for the source's watch: started
 * once identify measures, the settling period sees the whole acquisition, however slowly this
 * machine reaches identify. */
static void
settling_started (FfWorkflow *workflow, GParamSpec *pspec, Technician *technician)
{
  FfWorkflowReadings readings;

  ff_workflow_get_readings (workflow, &readings);
  if (readings.settling && technician->gpsfake == NULL)
    {
      technician->gpsfake = ff_test_gpsfake_start (technician->gpsfake_port,
                                                   technician->gpsfake_log);
      ff_test_gpsfake_play (technician->gpsfake, 50);
    }
}

/* Stops the run at a point of the terminal's own progress, as a technician's Stop would land. */
static void
stop_on_line (FfSimTerminal *terminal, const char *line, Technician *technician)
{
  if (strstr (line, technician->stop_at_line) != NULL
      && (technician->rolled_back || !technician->stop_in_rollback_only))
    g_cancellable_cancel (technician->cancellable);
}

static void
run_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Technician *technician = user_data;

  ff_workflow_run_finish (FF_WORKFLOW (object), result, &technician->error);
  technician->done = TRUE;
}

FfWorkflowState
rig_run_workflow_deciding (WorkflowFixture *f, Technician *decisions, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(FfWorkflow) workflow = ff_workflow_new (f->store,
                                                    f->gpsd != NULL ? f->gpsd
                                                                    : FF_GPS_SOURCE (f->gps),
                                                    f->task_document, "DTU0001", FF_TEST_SERIAL,
                                                    f->tablet_key, &local);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Technician technician = *decisions;
  guint watchdog;

  technician.cancellable = cancellable;
  g_assert_no_error (local);
  if (technician.settle_seconds > 0)
    g_object_set (workflow, "gps-settle-seconds", technician.settle_seconds, NULL);
  g_object_set_data (G_OBJECT (workflow), "technician", &technician);
  g_signal_connect (workflow, "notify::state", G_CALLBACK (state_changed), &technician);
  if (technician.stop_at_line != NULL)
    g_signal_connect (f->terminal, "log", G_CALLBACK (stop_on_line), &technician);
  if (technician.fresh_fix_gps != NULL)
    g_signal_connect (workflow, "notify::message", G_CALLBACK (message_changed), &technician);
  if (technician.gpsfake_log != NULL)
    g_signal_connect (workflow, "notify::settle-progress", G_CALLBACK (settling_started),
                      &technician);
  g_signal_connect (workflow, "notify::reboot-remaining-ms", G_CALLBACK (retrying), &technician);
  ff_workflow_run_async (workflow, cancellable, run_done, &technician);
  /* A resumed workflow may already wait for a decision: a UI looks at the state it finds. */
  state_changed (workflow, NULL, &technician);
  watchdog = ff_test_watchdog_add (RUN_DEADLINE_S, "the workflow's end");
  while (!technician.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
  g_signal_handlers_disconnect_by_func (f->terminal, stop_on_line, &technician);
  g_free (f->message);
  f->message = g_strdup (ff_workflow_get_message (workflow));
  /* Its end of input, never SIGKILL: gpsfake then takes its gpsd down, which would otherwise
   * stay behind and read the next gpsfake's pseudo-terminal when the number comes round again. */
  g_clear_pointer (&technician.gpsfake, ff_test_gpsfake_free);
  if (technician.error != NULL)
    g_propagate_error (error, technician.error);
  return ff_workflow_get_state (workflow);
}

FfWorkflowState
rig_run_workflow (WorkflowFixture *f, FfWorkflowState stop_at, gboolean roll_back, GError **error)
{
  Technician technician = { stop_at, roll_back, NULL, FALSE, FALSE, NULL, NULL };

  return rig_run_workflow_deciding (f, &technician, error);
}

FfReport *
rig_only_report (WorkflowFixture *f)
{
  g_autoptr(GPtrArray) reports = ff_store_list_reports (f->store, FALSE, NULL);
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;
  FfReport *report;

  g_assert_cmpuint (reports->len, ==, 1);
  g_assert_true (ff_store_load_report (f->store, ((FfStoredReport *) reports->pdata[0])->report_id,
                                       &document, &signature, &error));
  report = ff_report_load_signed (document, signature, f->tablet_key, &error);
  g_assert_no_error (error);
  return report;
}

void
rig_check_signature_binds (WorkflowFixture *f)
{
  g_autoptr(GPtrArray) reports = ff_store_list_reports (f->store, FALSE, NULL);
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) tampered = NULL;
  g_autoptr(FfKey) other_tablet = ff_key_generate (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *bytes = NULL;
  char *digit;
  gsize size;

  g_assert_true (ff_store_load_report (f->store, ((FfStoredReport *) reports->pdata[0])->report_id,
                                       &document, &signature, &error));
  g_assert_null (ff_report_load_signed (document, signature, other_tablet, &error));
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  bytes = g_strndup (g_bytes_get_data (document, NULL), g_bytes_get_size (document));
  size = g_bytes_get_size (document);
  digit = strstr (bytes, "V2.00");
  g_assert_nonnull (digit);
  digit[1] = '3';
  tampered = g_bytes_new (bytes, size);
  g_assert_null (ff_report_load_signed (tampered, signature, f->tablet_key, &error));
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_SIGNATURE);
}
