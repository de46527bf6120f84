/* The upgrade of one terminal as a persisted state machine (architecture.md §1, steps 4–9). */
#include "config.h"

#include "ff-workflow-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "ff-geo.h"

#define DEFAULT_GPS_TIMEOUT_SECONDS 30
#define DEFAULT_GPS_SETTLE_SECONDS 5

G_DEFINE_ENUM_TYPE (FfWorkflowState, ff_workflow_state,
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_NEW, "new"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_CONNECT, "connect"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_IDENTIFY, "identify"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_IDENTITY_MISMATCH, "identity-mismatch"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_READ_VERSION, "read-version"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_SNAPSHOT_BEFORE, "snapshot-before"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_CONFIRM, "confirm"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_PUSH, "push"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_RESET, "reset"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_REBOOT_WAIT, "reboot-wait"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_VERIFY, "verify"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_SNAPSHOT_AFTER, "snapshot-after"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_REPORT, "report"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_DONE, "done"))

G_DEFINE_QUARK (ff-workflow-error-quark, ff_workflow_error)

const char *
ff_workflow_state_to_string (FfWorkflowState state)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (FF_TYPE_WORKFLOW_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);

  return value != NULL ? value->value_nick : NULL;
}

static gboolean
state_from_string (const char *text, FfWorkflowState *state)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (FF_TYPE_WORKFLOW_STATE);
  GEnumValue *value = text != NULL ? g_enum_get_value_by_nick (klass, text) : NULL;

  if (value == NULL)
    return FALSE;
  *state = value->value;
  return TRUE;
}

G_DEFINE_FINAL_TYPE (FfWorkflow, ff_workflow, G_TYPE_OBJECT)

GParamSpec *ff_workflow_properties[N_PROPS];
guint ff_workflow_signals[N_SIGNALS];

static void run_state (FfWorkflow *self);

/* ---- presentation helpers ------------------------------------------------------------------- */

void
ff_workflow_set_message (FfWorkflow *self, const char *message)
{
  if (g_strcmp0 (self->message, message) == 0)
    return;
  g_free (self->message);
  self->message = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_MESSAGE]);
}

void
ff_workflow_record_event (FfWorkflow *self, const char *step, const char *message)
{
  Event *event = g_new0 (Event, 1);

  event->time = g_get_real_time () / G_USEC_PER_SEC;
  event->step = g_strdup (step);
  event->message = g_strdup (message);
  g_ptr_array_add (self->ctx.events, event);
  ff_workflow_set_message (self, message);
  g_signal_emit (self, ff_workflow_signals[SIGNAL_EVENT], 0, step, message);
}

void G_GNUC_PRINTF (3, 4)
ff_workflow_record_eventf (FfWorkflow *self, const char *step, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  ff_workflow_record_event (self, step, message);
}

void
ff_workflow_set_outcome (FfWorkflow *self, const char *outcome)
{
  g_free (self->ctx.outcome);
  self->ctx.outcome = g_strdup (outcome);
  g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_OUTCOME]);
}

void
ff_workflow_set_failure (FfWorkflow *self, const char *step, const char *reason)
{
  char *new_step = g_strdup (step);
  char *new_reason = g_strdup (reason);

  /* @step may be the current failure step itself. */
  g_free (self->ctx.failure_step);
  g_free (self->ctx.failure_reason);
  self->ctx.failure_step = new_step;
  self->ctx.failure_reason = new_reason;
  g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_FAILURE]);
}

const char *
ff_workflow_current_step (FfWorkflow *self)
{
  return ff_workflow_state_to_string (self->state);
}

/* What the terminal should run in the end: the target, or the previous firmware in a rollback. */
const FfFirmwareRef *
ff_workflow_wanted_firmware (FfWorkflow *self)
{
  return self->ctx.rolling_back ? self->item->previous : &self->item->target;
}

/* ---- running -------------------------------------------------------------------------------- */

gboolean
ff_workflow_is_cancelled (GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* What a stop leaves the terminal in, for people, by the step it stopped in. */
static const char *
stopped_message (FfWorkflow *self)
{
  if (self->state < FF_WORKFLOW_STATE_PUSH && !self->ctx.rolling_back)
    return _("Stopped before anything was written: the terminal runs its firmware unchanged. "
             "The visit goes on from this step.");
  if (self->state == FF_WORKFLOW_STATE_PUSH && self->ctx.push_attempts == 0)
    return _("Stopped before a transfer began: nothing was written to the terminal in this "
             "step. The visit goes on from this step.");
  if (self->state == FF_WORKFLOW_STATE_REPORT)
    return _("Stopped while the report was being written: the visit goes on and saves it.");
  return _("Stopped after the firmware was sent: the terminal may be restarting or already "
           "running it. The visit goes on from this step and checks its version.");
}

void
ff_workflow_finish_run (FfWorkflow *self, GError *error)
{
  g_autoptr(GTask) run = g_steal_pointer (&self->run);

  if (run != NULL && ff_workflow_is_cancelled (error) && !self->stop_explained)
    ff_workflow_set_message (self, stopped_message (self));

  if (run == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (self->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (run), self->cancelled_id);
  self->cancelled_id = 0;
  g_clear_handle_id (&self->cancelled_idle_id, g_source_remove);
  if (error != NULL)
    g_task_return_error (run, error);
  else
    g_task_return_boolean (run, TRUE);
}

GCancellable *
ff_workflow_run_cancellable (FfWorkflow *self)
{
  return self->run != NULL ? g_task_get_cancellable (self->run) : NULL;
}

/* Something went wrong in the current step. Before anything was written to the terminal the visit
 * simply ends (aborted): also in push, until a transfer has begun. Once one has, the terminal is
 * asked what it runs now (settle_failure), and only then is a rollback offered. Cancellation
 * stops the run and leaves the persisted state for a resume; a push stopped half way first tells
 * the terminal (whatever else went wrong as the technician stopped it). */
void
ff_workflow_step_failed (FfWorkflow *self, GError *error)
{
  const char *step = ff_workflow_current_step (self);
  gboolean firmware_touched = self->state > FF_WORKFLOW_STATE_PUSH || self->ctx.rolling_back
                              || (self->state == FF_WORKFLOW_STATE_PUSH
                                  && self->ctx.push_attempts > 0);
  gboolean transfer_cut = self->transferring;

  self->transferring = FALSE;
  if (transfer_cut
      && (ff_workflow_is_cancelled (error)
          || g_cancellable_is_cancelled (ff_workflow_run_cancellable (self))))
    {
      g_error_free (error);
      ff_workflow_stop_push (self);
      return;
    }
  if (ff_workflow_is_cancelled (error))
    {
      ff_workflow_finish_run (self, error);
      return;
    }
  ff_workflow_record_event (self, step, error->message);
  if (!firmware_touched)
    {
      if (self->state == FF_WORKFLOW_STATE_PUSH)
        ff_workflow_record_eventf (self, step,
                                   _("Nothing was written to %s: it runs its firmware unchanged, "
                                     "and the visit ends without an upgrade."),
                                   self->item->device_id);
      ff_workflow_set_failure (self, step, error->message);
      ff_workflow_set_outcome (self, "aborted");
      ff_workflow_advance (self, FF_WORKFLOW_STATE_REPORT);
    }
  else if (self->ctx.rolling_back)
    {
      /* The rollback failed too: report the first failure and this one. */
      g_autofree char *reason = g_strdup_printf (_("%s; the rollback failed: %s"),
                                                 self->ctx.failure_reason, error->message);

      ff_workflow_set_failure (self, self->ctx.failure_step, reason);
      ff_workflow_set_outcome (self, "failed");
      ff_workflow_settle_failure (self);
    }
  else
    {
      ff_workflow_set_failure (self, step, error->message);
      ff_workflow_set_outcome (self, "failed");
      ff_workflow_settle_failure (self);
    }
  g_error_free (error);
}

void
ff_workflow_step_failed_literal (FfWorkflow *self, GQuark domain, int code, const char *message)
{
  ff_workflow_step_failed (self, g_error_new_literal (domain, code, message));
}

void
ff_workflow_persist_free (Persist *persist)
{
  g_object_unref (persist->self);
  g_free (persist->data);
  g_free (persist->final_data);
  g_clear_pointer (&persist->report, g_bytes_unref);
  g_clear_pointer (&persist->signature, g_bytes_unref);
  g_free (persist->report_id);
  g_free (persist->outcome);
  g_free (persist);
}

static gboolean
persist_job (FfStore *store, gpointer data, GError **error)
{
  Persist *persist = data;
  FfWorkflow *self = persist->self;

  if (persist->report != NULL)
    return ff_store_save_report (store, persist->report_id, self->task->task_id,
                                 self->item->device_id, persist->outcome, persist->created_at,
                                 persist->report, persist->signature,
                                 ff_workflow_state_to_string (FF_WORKFLOW_STATE_DONE),
                                 persist->final_data, error);
  return ff_store_save_workflow (store, self->task->task_id, self->item->device_id,
                                 ff_workflow_state_to_string (persist->state), persist->data,
                                 error);
}

/* @user_data is the Persist, alive until the store's task is done with this callback. */
static void
persisted (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Persist *persist = user_data;
  FfWorkflow *self = persist->self;
  FfWorkflowState next;
  GError *error = NULL;

  self->advancing = FALSE;
  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    {
      /* Storage full or broken: the previous state stays the persisted one, and the run stops
       * so nothing happens that the store does not know about. */
      ff_workflow_finish_run (self, error);
      return;
    }
  next = persist->report != NULL ? FF_WORKFLOW_STATE_DONE : persist->state;
  if (self->state != next)
    {
      self->state = next;
      g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_STATE]);
    }
  if (persist->then != NULL && !g_cancellable_is_cancelled (ff_workflow_run_cancellable (self)))
    persist->then (self);
  else
    run_state (self);
}

/* Not cancellable: once asked, the write completes, so the store never lags the terminal. */
void
ff_workflow_persist_async (FfWorkflow *self, Persist *persist)
{
  persist->self = g_object_ref (self);
  self->advancing = TRUE;
  ff_store_run_async (self->store, persist_job, persist, (GDestroyNotify) ff_workflow_persist_free,
                      NULL, persisted, persist);
}

/* Writes @next with the context, then runs it. */
void
ff_workflow_advance (FfWorkflow *self, FfWorkflowState next)
{
  Persist *persist = g_new0 (Persist, 1);

  persist->state = next;
  persist->data = ff_workflow_context_serialize (&self->ctx);
  ff_workflow_persist_async (self, persist);
}

/* Writes the context within the current state, then goes on with @then. */
void
ff_workflow_save_then (FfWorkflow *self, Continuation then)
{
  Persist *persist = g_new0 (Persist, 1);

  persist->state = self->state;
  persist->data = ff_workflow_context_serialize (&self->ctx);
  persist->then = then;
  ff_workflow_persist_async (self, persist);
}

/* ---- connecting ----------------------------------------------------------------------------- */

static void connect_to_terminal (FfWorkflow *self, Continuation then);

static void
connected (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  FfWorkflow *self = user_data;
  Continuation then = g_object_steal_data (G_OBJECT (self), "after-connect");
  GError *error = NULL;

  if (!ff_iec104_conn_connect_finish (FF_IEC104_CONN (object), result, &error))
    {
      /* The terminal took the connection but t1 ran out before it confirmed the start of data
       * transfer. Nothing was asked of it yet, and a tablet held up for longer than t1 (a slow
       * tablet; in training the simulated terminal shares its main loop) is seen so too: one
       * more try before the visit ends. */
      if (g_error_matches (error, FF_IEC104_ERROR, FF_IEC104_ERROR_T1_EXPIRED)
          && !self->connect_retried && self->run != NULL)
        {
          self->connect_retried = TRUE;
          ff_workflow_record_eventf (self, ff_workflow_current_step (self),
                                     _("%s; connecting once more."), error->message);
          g_error_free (error);
          connect_to_terminal (self, then);
          g_object_unref (self);
          return;
        }
      ff_workflow_step_failed (self, error);
      g_object_unref (self);
      return;
    }
  then (self);
  g_object_unref (self);
}

static void
connect_to_terminal (FfWorkflow *self, Continuation then)
{
  ff_workflow_set_message (self, _("Connecting to the terminal…"));
  g_object_set_data (G_OBJECT (self), "after-connect", then);
  ff_iec104_conn_connect_async (self->conn, self->item->host, self->item->port,
                                ff_workflow_run_cancellable (self), connected, g_object_ref (self));
}

void
ff_workflow_with_connection (FfWorkflow *self, Continuation then)
{
  if (ff_iec104_conn_is_connected (self->conn))
    {
      then (self);
      return;
    }
  self->connect_retried = FALSE;
  connect_to_terminal (self, then);
}

static void
back_after_backoff (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  FfWorkflow *self = user_data;
  Continuation then = g_object_steal_data (G_OBJECT (self), "after-restart");
  GError *error = NULL;

  if (!ff_iec104_conn_reconnect_finish (FF_IEC104_CONN (object), result, &error))
    ff_workflow_step_failed (self, error);
  else
    then (self);
  g_object_unref (self);
}

static void
back_at_first_try (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  FfWorkflow *self = user_data;
  g_autoptr(GError) error = NULL;

  if (ff_iec104_conn_connect_finish (FF_IEC104_CONN (object), result, &error))
    {
      Continuation then = g_object_steal_data (G_OBJECT (self), "after-restart");

      then (self);
      g_object_unref (self);
      return;
    }
  if (ff_workflow_is_cancelled (error))
    {
      g_object_set_data (G_OBJECT (self), "after-restart", NULL);
      ff_workflow_finish_run (self, g_steal_pointer (&error));
      g_object_unref (self);
      return;
    }
  /* Still booting: keep trying with the adapter's back-off until the profile's limit. */
  ff_iec104_conn_reconnect_async (self->conn, 0, ff_workflow_run_cancellable (self),
                                  back_after_backoff, self);
}

/* Like with_connection, for a terminal that may be restarting: a first direct try (which also
 * tells the connection where to reconnect after a resume), then retries until the profile's
 * reboot wait is over. */
void
ff_workflow_with_restarting_terminal (FfWorkflow *self, Continuation then)
{
  if (ff_iec104_conn_is_connected (self->conn))
    {
      then (self);
      return;
    }
  g_object_set_data (G_OBJECT (self), "after-restart", then);
  ff_iec104_conn_connect_async (self->conn, self->item->host, self->item->port,
                                ff_workflow_run_cancellable (self), back_at_first_try,
                                g_object_ref (self));
}

/* ---- the dispatcher ------------------------------------------------------------------------- */

static void
run_state (FfWorkflow *self)
{
  if (self->run == NULL)
    return;
  if (g_cancellable_is_cancelled (ff_workflow_run_cancellable (self)))
    {
      ff_workflow_finish_run (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                         _("The workflow was stopped.")));
      return;
    }
  switch (self->state)
    {
    case FF_WORKFLOW_STATE_NEW:
      ff_workflow_advance (self, FF_WORKFLOW_STATE_CONNECT);
      break;
    case FF_WORKFLOW_STATE_CONNECT:
      ff_workflow_with_connection (self, ff_workflow_connect_done);
      break;
    case FF_WORKFLOW_STATE_IDENTIFY:
      ff_workflow_with_connection (self, ff_workflow_identify);
      break;
    case FF_WORKFLOW_STATE_READ_VERSION:
      ff_workflow_read_version (self);
      break;
    case FF_WORKFLOW_STATE_SNAPSHOT_BEFORE:
    case FF_WORKFLOW_STATE_SNAPSHOT_AFTER:
      ff_workflow_with_connection (self, ff_workflow_take_snapshot);
      break;
    case FF_WORKFLOW_STATE_PUSH:
      ff_workflow_push (self);
      break;
    case FF_WORKFLOW_STATE_RESET:
      ff_workflow_set_message (self, _("Restarting the terminal…"));
      ff_workflow_with_image (self, ff_workflow_reset_with_image);
      break;
    case FF_WORKFLOW_STATE_REBOOT_WAIT:
      ff_workflow_reboot_wait (self);
      break;
    case FF_WORKFLOW_STATE_VERIFY:
      ff_workflow_with_image (self, ff_workflow_verify_with_image);
      break;
    case FF_WORKFLOW_STATE_IDENTITY_MISMATCH:
    case FF_WORKFLOW_STATE_CONFIRM:
    case FF_WORKFLOW_STATE_FAILED:
      if (self->ctx.failure_reason != NULL && self->state != FF_WORKFLOW_STATE_CONFIRM)
        ff_workflow_set_message (self, self->ctx.failure_reason);
      else
        ff_workflow_set_message (self, _("Waiting for the technician."));
      break;
    case FF_WORKFLOW_STATE_REPORT:
      ff_workflow_write_report (self);
      break;
    case FF_WORKFLOW_STATE_DONE:
      ff_iec104_conn_close (self->conn);
      ff_workflow_set_message (self, _("Report saved and queued for upload."));
      ff_workflow_finish_run (self, NULL);
      break;
    }
}

static gboolean
is_decision_state (FfWorkflowState state)
{
  return state == FF_WORKFLOW_STATE_IDENTITY_MISMATCH || state == FF_WORKFLOW_STATE_CONFIRM
         || state == FF_WORKFLOW_STATE_FAILED;
}

static gboolean
stop_waiting (gpointer user_data)
{
  FfWorkflow *self = user_data;

  self->cancelled_idle_id = 0;
  if (is_decision_state (self->state))
    ff_workflow_finish_run (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                       _("The workflow was stopped.")));
  return G_SOURCE_REMOVE;
}

/* Steps in flight see the cancellation themselves; a workflow waiting for the technician has
 * nothing in flight, so it stops here (its state stays persisted for later). */
static void
run_cancelled (GCancellable *cancellable,
               FfWorkflow   *self)
{
  if (self->cancelled_idle_id == 0)
    self->cancelled_idle_id = g_idle_add (stop_waiting, self);
}

void
ff_workflow_run_async (FfWorkflow          *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (self->run == NULL);
  self->run = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->run, ff_workflow_run_async);
  self->stop_explained = FALSE;
  self->transferring = FALSE;
  if (cancellable != NULL)
    self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (run_cancelled), self,
                                                NULL);
  run_state (self);
}

gboolean
ff_workflow_run_finish (FfWorkflow    *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- object --------------------------------------------------------------------------------- */

FfWorkflowState
ff_workflow_get_state (FfWorkflow *self)
{
  return self->state;
}

const char *
ff_workflow_get_device_id (FfWorkflow *self)
{
  return self->item->device_id;
}

const char *
ff_workflow_get_message (FfWorkflow *self)
{
  return self->message;
}

const char *
ff_workflow_get_failure (FfWorkflow *self)
{
  return self->ctx.failure_reason;
}

const char *
ff_workflow_get_outcome (FfWorkflow *self)
{
  return self->ctx.outcome;
}

const char *
ff_workflow_get_report_id (FfWorkflow *self)
{
  return self->ctx.report_id;
}

const FfTask *
ff_workflow_get_task (FfWorkflow *self)
{
  return self->task;
}

const FfTaskItem *
ff_workflow_get_item (FfWorkflow *self)
{
  return self->item;
}

double
ff_workflow_get_settle_progress (FfWorkflow *self)
{
  if (self->settle != NULL)
    return ff_gps_settle_get_progress (self->settle);
  return self->ctx.gps_fixes->len > 0 ? 1 : 0;
}

void
ff_workflow_get_readings (FfWorkflow         *self,
                          FfWorkflowReadings *readings)
{
  g_return_if_fail (FF_IS_WORKFLOW (self));
  g_return_if_fail (readings != NULL);

  *readings = (FfWorkflowReadings) {
    .device_id_read = self->ctx.device_id_read,
    .has_fix = self->ctx.identity_present && isfinite (self->ctx.fix_latitude),
    .fix = { self->ctx.fix_latitude, self->ctx.fix_longitude },
    .recorded = { self->item->latitude, self->item->longitude },
    .version_before = self->ctx.version_before,
    .checksum_before = self->ctx.checksum_before,
    .version_wanted = self->ctx.rolling_back ? self->item->previous->version
                                             : self->item->target.version,
    .version_after = self->ctx.version_after,
    .checksum_after = self->ctx.checksum_after,
    .before = &self->ctx.before,
    .after = &self->ctx.after,
    .reboot_expected_ms = self->profile->reboot_time_ms,
    .reconnect_attempts = self->reconnect_attempts,
    .settling = self->settle != NULL,
    .settle_progress = ff_workflow_get_settle_progress (self),
    .measurements = self->ctx.measurements,
    .can_measure_again = ff_workflow_can_measure_again (self),
  };
  if (self->settle != NULL)
    readings->gps_fixes = ff_gps_settle_get_fixes (self->settle, &readings->n_gps_fixes);
  else
    {
      readings->gps_fixes = (const FfGpsFix *) self->ctx.gps_fixes->data;
      readings->n_gps_fixes = self->ctx.gps_fixes->len;
    }
  readings->same_place = readings->has_fix
                         && ff_geo_same_place (&readings->fix, &readings->recorded);
}

static void
ff_workflow_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  FfWorkflow *self = FF_WORKFLOW (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, self->item->device_id);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case PROP_FAILURE:
      g_value_set_string (value, self->ctx.failure_reason);
      break;
    case PROP_BYTES_SENT:
      g_value_set_uint64 (value, self->bytes_sent);
      break;
    case PROP_BYTES_TOTAL:
      g_value_set_uint64 (value, self->bytes_total);
      break;
    case PROP_BYTES_PER_SECOND:
      g_value_set_double (value, self->bytes_per_second);
      break;
    case PROP_ETA_SECONDS:
      g_value_set_double (value, self->eta_seconds);
      break;
    case PROP_REBOOT_REMAINING_MS:
      g_value_set_int64 (value, self->reboot_remaining_ms);
      break;
    case PROP_OUTCOME:
      g_value_set_string (value, self->ctx.outcome);
      break;
    case PROP_REPORT_ID:
      g_value_set_string (value, self->ctx.report_id);
      break;
    case PROP_GPS_TIMEOUT:
      g_value_set_uint (value, self->gps_timeout_seconds);
      break;
    case PROP_GPS_SETTLE_SECONDS:
      g_value_set_double (value, self->gps_settle_seconds);
      break;
    case PROP_SETTLE_PROGRESS:
      g_value_set_double (value, ff_workflow_get_settle_progress (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_workflow_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  FfWorkflow *self = FF_WORKFLOW (object);

  switch (prop_id)
    {
    case PROP_GPS_TIMEOUT:
      if (self->gps_timeout_seconds != g_value_get_uint (value))
        {
          self->gps_timeout_seconds = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_GPS_SETTLE_SECONDS:
      if (self->gps_settle_seconds != g_value_get_double (value))
        {
          self->gps_settle_seconds = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_workflow_dispose (GObject *object)
{
  FfWorkflow *self = FF_WORKFLOW (object);

  if (self->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->conn, self);
      ff_iec104_conn_close (self->conn);
    }
  g_clear_object (&self->conn);
  if (self->settle != NULL)
    g_signal_handlers_disconnect_by_data (self->settle, self);
  g_clear_object (&self->settle);
  G_OBJECT_CLASS (ff_workflow_parent_class)->dispose (object);
}

static void
ff_workflow_finalize (GObject *object)
{
  FfWorkflow *self = FF_WORKFLOW (object);

  g_clear_object (&self->store);
  g_clear_object (&self->gps);
  g_clear_pointer (&self->tablet_key, ff_key_unref);
  g_clear_pointer (&self->task, ff_task_free);
  g_clear_pointer (&self->profile, ff_profile_unref);
  g_clear_pointer (&self->image, g_bytes_unref);
  g_clear_pointer (&self->payload, g_bytes_unref);
  g_free (self->tablet_serial);
  g_free (self->message);
  ff_workflow_context_clear (&self->ctx);
  G_OBJECT_CLASS (ff_workflow_parent_class)->finalize (object);
}

static GParamSpec *
string_property (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
ff_workflow_class_init (FfWorkflowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  /* The parts of the workflow notify and emit through these. */
  GParamSpec **properties = ff_workflow_properties;
  guint *signals = ff_workflow_signals;

  object_class->get_property = ff_workflow_get_property;
  object_class->set_property = ff_workflow_set_property;
  object_class->dispose = ff_workflow_dispose;
  object_class->finalize = ff_workflow_finalize;

  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, FF_TYPE_WORKFLOW_STATE,
                                              FF_WORKFLOW_STATE_NEW, flags);
  properties[PROP_DEVICE_ID] = string_property ("device-id");
  properties[PROP_MESSAGE] = string_property ("message");
  properties[PROP_FAILURE] = string_property ("failure");
  properties[PROP_BYTES_SENT] = g_param_spec_uint64 ("bytes-sent", NULL, NULL, 0, G_MAXUINT64, 0,
                                                     flags);
  properties[PROP_BYTES_TOTAL] = g_param_spec_uint64 ("bytes-total", NULL, NULL, 0, G_MAXUINT64, 0,
                                                      flags);
  properties[PROP_BYTES_PER_SECOND] = g_param_spec_double ("bytes-per-second", NULL, NULL, 0,
                                                           G_MAXDOUBLE, 0, flags);
  properties[PROP_ETA_SECONDS] = g_param_spec_double ("eta-seconds", NULL, NULL, -1, G_MAXDOUBLE,
                                                      -1, flags);
  properties[PROP_REBOOT_REMAINING_MS] = g_param_spec_int64 ("reboot-remaining-ms", NULL, NULL, 0,
                                                             G_MAXINT64, 0, flags);
  properties[PROP_OUTCOME] = string_property ("outcome");
  properties[PROP_REPORT_ID] = string_property ("report-id");
  /* How long identify waits for a GPS fix before it calls the identity unproven. */
  properties[PROP_GPS_TIMEOUT] =
    g_param_spec_uint ("gps-timeout", NULL, NULL, 1, 3600, DEFAULT_GPS_TIMEOUT_SECONDS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* How long identify collects consecutive fixes before it judges their median; tests shorten
   * it, a steady (simulated) source needs none. */
  properties[PROP_GPS_SETTLE_SECONDS] =
    g_param_spec_double ("gps-settle-seconds", NULL, NULL, 0, 600, DEFAULT_GPS_SETTLE_SECONDS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTLE_PROGRESS] = g_param_spec_double ("settle-progress", NULL, NULL, 0, 1, 0,
                                                          flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                        G_TYPE_STRING);
}

static void
ff_workflow_init (FfWorkflow *self)
{
  self->eta_seconds = -1;
  self->gps_timeout_seconds = DEFAULT_GPS_TIMEOUT_SECONDS;
  self->gps_settle_seconds = DEFAULT_GPS_SETTLE_SECONDS;
}

/* A workflow for @device_id of the task in @task_document (as stored after verification), resumed
 * from the store when it ran before. */
FfWorkflow *
ff_workflow_new (FfStore       *store,
                 FfGpsSource   *gps,
                 GBytes        *task_document,
                 const char    *device_id,
                 const char    *tablet_serial,
                 FfKey         *tablet_key,
                 GError       **error)
{
  g_autoptr(FfWorkflow) self = g_object_new (FF_TYPE_WORKFLOW, NULL);
  g_autofree char *state = NULL;
  g_autofree char *data = NULL;

  self->task = ff_task_parse (task_document, error);
  if (self->task == NULL)
    return NULL;
  self->item = ff_task_find_item (self->task, device_id);
  if (self->item == NULL)
    {
      g_set_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_NOT_IN_TASK,
                   _("Terminal %s is not in task %s."), device_id, self->task->task_id);
      return NULL;
    }
  self->profile = ff_profile_load (self->item->profile, error);
  if (self->profile == NULL)
    return NULL;
  self->store = g_object_ref (store);
  self->gps = g_object_ref (gps);
  self->tablet_key = ff_key_ref (tablet_key);
  self->tablet_serial = g_strdup (tablet_serial);
  self->conn = ff_iec104_conn_new (self->profile, self->item->common_address);
  g_signal_connect (self->conn, "reconnect-attempt", G_CALLBACK (ff_workflow_reconnect_attempt),
                    self);

  if (ff_store_load_workflow (store, self->task->task_id, device_id, &state, &data, error))
    {
      /* Never start over from a state that cannot be read: that could push a terminal twice. */
      if (!state_from_string (state, &self->state) || !ff_workflow_context_parse (data, &self->ctx))
        {
          g_set_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_DAMAGED_STATE,
                       _("The saved progress of %s in task %s cannot be read; nothing was done."),
                       device_id, self->task->task_id);
          return NULL;
        }
      return g_steal_pointer (&self);
    }
  if (error != NULL && *error != NULL)
    return NULL;
  /* An expired or withdrawn task starts no new visit; one already under way is still finished. */
  if (!ff_task_check_expiry (self->task, g_get_real_time () / G_USEC_PER_SEC, error)
      || !ff_store_check_task_not_withdrawn (store, self->task->task_id, error))
    return NULL;
  self->state = FF_WORKFLOW_STATE_NEW;
  ff_workflow_context_init (&self->ctx);
  return g_steal_pointer (&self);
}

