/* The workflow against simulated terminals on 127.0.0.1 (libfieldflash-sim in-process): a clean
 * upgrade, a wrong position that is never written to, a terminal that comes back on the old
 * version and is rolled back, one already current, and a run stopped at every state in turn and
 * resumed: one report each time and no second push. */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/resource.h>

#include "ff-gps-settle.h"
#include "ff-gps-simulated.h"
#include "ff-gpsd-source.h"
#include "ff-profile.h"
#include "ff-report.h"
#include "ff-sim-firmware.h"
#include "ff-sim-terminal.h"
#include "ff-store.h"
#include "ff-supervisor.h"
#include "ff-task.h"
#include "ff-test-fixtures.h"
#include "ff-workflow.h"
#include "iec104-asdu.h"

/* The simulator starts on a factory image of 64 KiB made like ours, so the task's "previous"
 * firmware is byte for byte what the terminal runs. */
#define FACTORY_IMAGE_SIZE (64 * 1024)
#define IMAGE_SIZE 6000
/* A workflow run's bound at native speed (ff_test_deadline_s scales it), below meson's timeout of
 * the whole program so that a run that never ends fails saying so. */
#define RUN_DEADLINE_S 240
/* Upgraded, but a signal is off afterwards: the case a rollback is for. */
#define DRIFT "signal-drift signal=current percent=20"

typedef struct
{
  char           *dir;
  FfStore        *store;
  FfKey          *tablet_key;
  FfGpsSimulated *gps;
  FfGpsSource    *gpsd;         /* the workflow's GPS instead of gps, when a test replays gpsd */
  FfProfile      *profile;
  GBytes         *old_image;
  GBytes         *new_image;
  char           *old_sha;
  char           *new_sha;
  FfSimTerminal  *terminal;
  guint           pushes;       /* files the terminal received completely */
  guint           cancels;      /* upgrades it was told to cancel (211 cancel) */
  GBytes         *task_document;
  char           *message;      /* the workflow's message when the last run ended */
} Fixture;

static void
count_pushes (FfSimTerminal *terminal, const char *line, Fixture *f)
{
  if (strstr (line, "received completely") != NULL)
    f->pushes++;
  if (strstr (line, "upgrade cancelled (211 cancel)") != NULL)
    f->cancels++;
}

static const FfSimTerminalConfig terminal_config = {
  .device_id = "DTU0001", .version = "V1.00", .vendor = "Acme", .model = "DTU-3000",
  .type = "DTU", .latitude = 31.2304, .longitude = 121.4737, .host = "127.0.0.1", .port = 0,
  .boot_time_ms = 300,
};

static void
set_scenario (Fixture *f, const char *scenario)
{
  g_auto(GStrv) words = g_strsplit (scenario, " ", -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSimScenario) parsed = ff_sim_scenario_parse ((const char * const *) words, &error);

  g_assert_no_error (error);
  ff_sim_terminal_set_scenario (f->terminal, parsed);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  const char *scenario = data;
  g_autoptr(GError) error = NULL;
  FfSimTerminalConfig config = terminal_config;
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
  g_signal_connect (f->terminal, "log", G_CALLBACK (count_pushes), f);
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


static void
fixture_tear_down (Fixture *f, gconstpointer data)
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

/* What the technician does in these tests; the decisions are taken from an idle, as a UI would. */
typedef struct
{
  FfWorkflowState stop_at;       /* cancel the run when this state starts; NEW = never */
  gboolean        roll_back;
  const char     *override_reason;  /* override an identity mismatch with this, or close */
  gboolean        decline_push;
  gboolean        done;
  GCancellable   *cancellable;
  GError         *error;
  const char     *stop_at_line;  /* cancel the run when the terminal logs a line with this */
  gboolean        stop_in_rollback_only;  /* … once the technician chose to roll back */
  gboolean        rolled_back;
  FfGpsSimulated *fresh_fix_gps; /* gives a fresh fix at fresh_fix once identify waits for one */
  FfGeoPoint      fresh_fix;
  gboolean        saw_reboot_wait;  /* this run waited for a reboot */
  FfSimTerminal  *start_on_retry;   /* started once the workflow tries to reconnect */
  double          settle_seconds;   /* identify's settling period; 0: the default */
  FfGpsSimulated *remeasure_gps;    /* at a mismatch, moves here to remeasure_at and measures */
  FfGeoPoint      remeasure_at;     /* again (once) */
  const char     *gpsfake_port;     /* starts gpsfake on this port replaying gpsfake_log as */
  const char     *gpsfake_log;      /* soon as identify measures; the process goes to gpsfake */
  FfTestGpsfake  *gpsfake;
} Technician;

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

/* Runs a fresh workflow object (resuming whatever the store holds) until it finishes. */
static FfWorkflowState
run_workflow_deciding (Fixture *f, Technician *decisions, GError **error)
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

static FfWorkflowState
run_workflow (Fixture *f, FfWorkflowState stop_at, gboolean roll_back, GError **error)
{
  Technician technician = { stop_at, roll_back, NULL, FALSE, FALSE, NULL, NULL };

  return run_workflow_deciding (f, &technician, error);
}

static FfReport *
only_report (Fixture *f)
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

/* The stored report verifies only with this tablet's key and only byte for byte. */
static void
check_signature_binds (Fixture *f)
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

static void
test_clean_upgrade (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V2.00");
  g_assert_cmpuint (f->pushes, ==, 1);
  report = only_report (f);
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
  check_signature_binds (f);

  /* Running it again changes nothing: it is done. */
  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_cmpuint (f->pushes, ==, 1);
  g_clear_pointer (&report, ff_report_free);
  report = only_report (f);
}

static void
test_wrong_position (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  /* 1.5″ north of the recorded position. */
  ff_gps_simulated_set_position (f->gps, 31.2304 + 1.5 / 3600, 121.4737);
  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 0);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V1.00");
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_IDENTITY_MISMATCH);
  g_assert_cmpfloat_with_epsilon (report->identity.delta_latitude_arcsec, 1.5, 0.01);
  g_assert_false (report->transfer.present);
}

static void
test_identity_override (Fixture *f, gconstpointer data)
{
  Technician decisions = { FF_WORKFLOW_STATE_NEW, FALSE, "Pole renumbered; position re-surveyed",
                           FALSE, FALSE, NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  ff_gps_simulated_set_position (f->gps, 31.2304, 121.4737 - 3.0 / 3600);
  g_assert_cmpint (run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpstr (report->identity.override_by, ==, "Li Lei");
  g_assert_cmpstr (report->identity.override_reason, ==, "Pole renumbered; position re-surveyed");
  g_assert_cmpfloat_with_epsilon (report->identity.delta_longitude_arcsec, 3.0, 0.01);
}

static FfReport *
load_report (Fixture *f, const char *report_id)
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
test_reopen_after_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfWorkflow) workflow = NULL;
  g_autoptr(GPtrArray) reports = NULL;
  g_autoptr(FfReport) first = NULL;
  g_autoptr(FfReport) second = NULL;
  g_autofree char *first_id = NULL;

  ff_gps_simulated_set_position (f->gps, 31.2304 + 1.5 / 3600, 121.4737);
  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  first = only_report (f);
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
  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
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
test_reopen_needs_finished_visit (Fixture *f, gconstpointer data)
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
test_stale_fix_not_taken (Fixture *f, gconstpointer data)
{
  Technician decisions = { .fresh_fix_gps = f->gps, .fresh_fix = { 31.2304, 121.4737 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  ff_gps_simulated_set_stale_position (f->gps, 31.2304 + 1.5 / 3600, 121.4737,
                                       FF_GPS_MAX_FIX_AGE_S + 20);
  g_assert_cmpint (run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpfloat (report->identity.delta_latitude_arcsec, <, 0.01);
  g_assert_cmpfloat (report->identity.fix_age_s, <=, FF_GPS_MAX_FIX_AGE_S);
}

/* A real receiver just after acquisition (gpsd replaying tests/data/settling.nmea): its first
 * fixes lie 2″ north, the next ones 1.2″ off, then it settles at the terminal. Identify waits out
 * the settling period, judges the median and passes; the report keeps the fixes it used, the
 * wandering ones first. */
static void
test_gps_settles (Fixture *f, gconstpointer data)
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
  g_assert_cmpint (run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  report = only_report (f);
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
test_measure_again (Fixture *f, gconstpointer data)
{
  Technician decisions = { .remeasure_gps = f->gps, .remeasure_at = { 31.2304, 121.4737 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  ff_gps_simulated_set_position (f->gps, 31.2304 + 1.5 / 3600, 121.4737);
  g_assert_cmpint (run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpuint (report->identity.measurements, ==, 2);
  g_assert_cmpuint (report->identity.gps_fixes->len, ==, 1);
  g_assert_cmpfloat (report->identity.delta_latitude_arcsec, <, 0.01);
  g_assert_null (report->identity.override_by);
}

static void
test_push_declined (Fixture *f, gconstpointer data)
{
  Technician decisions = { FF_WORKFLOW_STATE_NEW, FALSE, NULL, TRUE, FALSE, NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 0);
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_ABORTED);
  g_assert_cmpstr (report->failure_step, ==, "confirm");
  g_assert_true (report->before.present);
  g_assert_false (report->after.present);
}

static void
test_damaged_state_refused (Fixture *f, gconstpointer data)
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
test_expired_task_starts_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr(FfTask) task = ff_task_parse (f->task_document, NULL);
  g_autoptr(GBytes) expired = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfWorkflow) workflow = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  /* Under way before it expired: still finished. */
  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_PUSH, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_PUSH);
  g_clear_error (&error);
  task->issued_at = now - 2 * 86400;
  task->expires_at = now - 60;
  expired = ff_task_serialize (task);
  g_clear_pointer (&f->task_document, g_bytes_unref);
  f->task_document = g_bytes_ref (expired);
  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
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
test_disk_full_before_push (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;
  struct rlimit saved, limit;
  void (*saved_handler) (int);

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_CONFIRM, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_CONFIRM);
  g_clear_error (&error);

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limit = saved;
  limit.rlim_cur = MAX (file_size (f->dir, "tablet.db"), file_size (f->dir, "tablet.db-wal")) + 1024;
  saved_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_CONFIRM);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, saved_handler);
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_FULL);
  g_clear_error (&error);
  g_assert_cmpuint (f->pushes, ==, 0);

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
}

static gboolean report_has_event (const FfReport *report, const char *step, const char *text);

/* Back on the old version, which is the previous firmware: a rollback cannot help and is not
 * offered; the report says what the terminal runs. */
static void
test_old_version_no_rollback (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, TRUE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V1.00");
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_FAILED);
  g_assert_cmpstr (report->failure_step, ==, "verify");
  g_assert_cmpstr (report->versions.after, ==, "V1.00");
  g_assert_true (report_has_event (report, "verify", "No rollback is offered"));
}

/* On the target but a signal is off: the rollback helps, and pushes the previous firmware. */
static void
test_signal_drift_rolled_back (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, TRUE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 2);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V1.00");
  report = only_report (f);
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
test_invalid_after_upgrade (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  report = only_report (f);
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
test_invalid_before_upgrade (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 0);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V1.00");
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_ABORTED);
  g_assert_cmpstr (report->failure_step, ==, "snapshot-before");
  g_assert_nonnull (strstr (report->failure_reason, "Current as not topical (NT)"));
  g_assert_cmpuint (report->before.quality[FF_SIGNAL_CURRENT], ==, IEC104_QUALITY_NOT_TOPICAL);
  g_assert_false (report->transfer.present);
}

/* The technician chooses the rollback while the terminal is restarting: the rollback waits for
 * it, as every other step does, instead of failing at the first refused connection. */
static void
test_rollback_waits_for_terminal (Fixture *f, gconstpointer data)
{
  Technician decisions = { .roll_back = TRUE, .start_on_retry = f->terminal };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_FAILED, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_FAILED);
  g_clear_error (&error);
  ff_sim_terminal_stop (f->terminal);
  g_assert_cmpint (run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 2);
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (report->versions.after, ==, "V1.00");
}

/* Waiting for the rollback decision, the terminal went back to the previous firmware by other
 * means: the rollback is refused, nothing is pushed, and the report says what it runs. */
static void
test_rollback_refused_on_previous (Fixture *f, gconstpointer data)
{
  FfSimTerminalConfig config = terminal_config;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_FAILED, FALSE, &error), ==,
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
  g_signal_connect (f->terminal, "log", G_CALLBACK (count_pushes), f);
  g_assert_true (ff_sim_terminal_start (f->terminal, &error));

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, TRUE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_FAILED);
  g_assert_cmpstr (report->versions.after, ==, "V1.00");
  g_assert_false (report->transfer.present);
  g_assert_true (report_has_event (report, "push", "the rollback is refused"));
}

/* Stopped as the push begins, and the terminal is gone when the visit goes on: nothing was
 * written, so the visit is cut short (aborted, the item stays open), not failed. */
static void
test_refused_before_write (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_PUSH, TRUE, &error), ==,
                   FF_WORKFLOW_STATE_PUSH);
  g_clear_error (&error);
  ff_sim_terminal_stop (f->terminal);
  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, TRUE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 0);
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_ABORTED);
  g_assert_cmpstr (report->failure_step, ==, "push");
  g_assert_true (report_has_event (report, "push", "Nothing was written"));
}

/* The terminal restarts on the 105 without confirming it (every profile): the workflow waits
 * for it and verifies, and the visit is an upgrade. */
static void
test_reset_drop_upgraded (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V2.00");
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpstr (report->versions.after, ==, "V2.00");
  g_assert_true (report_has_event (report, "reset", "instead of confirming the restart"));
}

static void
test_already_current (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
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
  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  {
    g_autoptr(GPtrArray) reports = ff_store_list_reports (f->store, FALSE, NULL);
    g_assert_cmpuint (reports->len, ==, 2);
    g_assert_cmpstr (((FfStoredReport *) reports->pdata[1])->outcome, ==, "already-current");
  }
}

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

/* Stopped while the file is going over: the terminal is told to drop it, the workflow says what
 * the terminal runs, and the next run pushes again from the start. */
static void
test_push_stopped (Fixture *f, gconstpointer data)
{
  Technician decisions = { .stop_at_line = "receives" };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_PUSH);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_test_message ("%s", f->message);
  g_assert_cmpuint (f->cancels, ==, 1);
  g_assert_cmpuint (f->pushes, ==, 0);
  g_assert_nonnull (strstr (f->message, "discarded the partly written file and still runs V1.00"));

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V2.00");
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_true (report_has_event (report, "push", "still runs V1.00"));
  /* The transfer was started again once. */
  g_assert_cmpuint (report->transfer.retries, ==, 1);
}

/* Stopped as the link drops: nothing can tell the terminal, so its state is called unknown. */
static void
test_push_stopped_link_gone (Fixture *f, gconstpointer data)
{
  const char *none[] = { "none", NULL };
  g_autoptr(FfSimScenario) healthy = ff_sim_scenario_parse (none, NULL);
  Technician decisions = { .stop_at_line = "FAULT link-drop" };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_PUSH);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_test_message ("%s", f->message);
  g_assert_cmpuint (f->cancels, ==, 0);
  g_assert_nonnull (strstr (f->message, "what it runs now is unknown"));

  ff_sim_terminal_set_scenario (f->terminal, healthy);
  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_true (report_has_event (report, "push", "unknown"));
  g_assert_cmpuint (report->transfer.retries, ==, 1);
}

/* Stopped as the rollback begins, before anything of it goes out: a plain stop, with nothing
 * said about a transfer that is not under way. */
static void
test_rollback_stopped_before_transfer (Fixture *f, gconstpointer data)
{
  Technician decisions = { .stop_at = FF_WORKFLOW_STATE_PUSH, .roll_back = TRUE,
                           .stop_in_rollback_only = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (run_workflow_deciding (f, &decisions, &error), ==, FF_WORKFLOW_STATE_PUSH);
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

  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 2);
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_ROLLED_BACK);
  g_assert_false (report_has_event (report, "push", "Push stopped"));
}

/* Stopped as each state starts (after it was persisted), then resumed by a new workflow object. */
static void
resume_case (gconstpointer data)
{
  FfWorkflowState stop_at = GPOINTER_TO_INT (data);
  Fixture fixture = { 0 };
  Fixture *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;

  fixture_set_up (f, NULL);
  g_assert_cmpint (run_workflow (f, stop_at, FALSE, &error), ==, stop_at);
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
  g_assert_cmpint (run_workflow (f, FF_WORKFLOW_STATE_NEW, FALSE, &error), ==,
                   FF_WORKFLOW_STATE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pushes, ==, 1);
  g_assert_cmpstr (ff_sim_terminal_get_version (f->terminal), ==, "V2.00");
  report = only_report (f);
  g_assert_cmpint (report->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  /* Every stop came before a transfer began: none was started again. */
  g_assert_cmpuint (report->transfer.retries, ==, 0);
  fixture_tear_down (f, NULL);
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
  g_test_add ("/workflow/clean-upgrade", Fixture, NULL, fixture_set_up, test_clean_upgrade,
              fixture_tear_down);
  g_test_add ("/workflow/wrong-position", Fixture, NULL, fixture_set_up, test_wrong_position,
              fixture_tear_down);
  g_test_add ("/workflow/identity-override", Fixture, NULL, fixture_set_up, test_identity_override,
              fixture_tear_down);
  g_test_add ("/workflow/reopen-after-mismatch", Fixture, NULL, fixture_set_up,
              test_reopen_after_mismatch, fixture_tear_down);
  g_test_add ("/workflow/reopen-needs-finished-visit", Fixture, NULL, fixture_set_up,
              test_reopen_needs_finished_visit, fixture_tear_down);
  g_test_add ("/workflow/stale-fix-not-taken", Fixture, NULL, fixture_set_up,
              test_stale_fix_not_taken, fixture_tear_down);
  g_test_add ("/workflow/gps-settles", Fixture, NULL, fixture_set_up, test_gps_settles,
              fixture_tear_down);
  g_test_add ("/workflow/measure-again", Fixture, NULL, fixture_set_up, test_measure_again,
              fixture_tear_down);
  g_test_add ("/workflow/push-declined", Fixture, NULL, fixture_set_up, test_push_declined,
              fixture_tear_down);
  g_test_add ("/workflow/damaged-state-refused", Fixture, NULL, fixture_set_up,
              test_damaged_state_refused, fixture_tear_down);
  g_test_add ("/workflow/expired-task-starts-nothing", Fixture, NULL, fixture_set_up,
              test_expired_task_starts_nothing, fixture_tear_down);
  g_test_add ("/workflow/disk-full-before-push", Fixture, NULL, fixture_set_up,
              test_disk_full_before_push, fixture_tear_down);
  g_test_add ("/workflow/invalid-after-upgrade", Fixture,
              "signal-quality signal=current quality=invalid", fixture_set_up,
              test_invalid_after_upgrade, fixture_tear_down);
  g_test_add ("/workflow/invalid-before-upgrade", Fixture,
              "signal-quality signal=current quality=not-topical when=now", fixture_set_up,
              test_invalid_before_upgrade, fixture_tear_down);
  g_test_add ("/workflow/old-version-no-rollback", Fixture, "old-version", fixture_set_up,
              test_old_version_no_rollback, fixture_tear_down);
  g_test_add ("/workflow/signal-drift-rolled-back", Fixture, DRIFT, fixture_set_up,
              test_signal_drift_rolled_back, fixture_tear_down);
  g_test_add ("/workflow/rollback-waits-for-terminal", Fixture, DRIFT, fixture_set_up,
              test_rollback_waits_for_terminal, fixture_tear_down);
  g_test_add ("/workflow/rollback-refused-on-previous", Fixture, DRIFT, fixture_set_up,
              test_rollback_refused_on_previous, fixture_tear_down);
  g_test_add ("/workflow/refused-before-write", Fixture, NULL, fixture_set_up,
              test_refused_before_write, fixture_tear_down);
  g_test_add ("/workflow/reset-drop-upgraded", Fixture, "reset-drop", fixture_set_up,
              test_reset_drop_upgraded, fixture_tear_down);
  g_test_add ("/workflow/already-current", Fixture, NULL, fixture_set_up, test_already_current,
              fixture_tear_down);
  g_test_add ("/workflow/push-stopped", Fixture, NULL, fixture_set_up, test_push_stopped,
              fixture_tear_down);
  g_test_add ("/workflow/push-stopped-link-gone", Fixture, "link-drop after=1000", fixture_set_up,
              test_push_stopped_link_gone, fixture_tear_down);
  g_test_add ("/workflow/rollback-stopped-before-transfer", Fixture, DRIFT,
              fixture_set_up, test_rollback_stopped_before_transfer, fixture_tear_down);
  for (guint i = 0; i < G_N_ELEMENTS (stops); i++)
    {
      g_autofree char *path = g_strdup_printf ("/workflow/resume/%s",
                                               ff_workflow_state_to_string (stops[i]));
      g_test_add_data_func (path, GINT_TO_POINTER (stops[i]), resume_case);
    }
  return g_test_run ();
}
