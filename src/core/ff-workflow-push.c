/* The workflow's push of the image, reset, reboot and verify, and what a failure left running. */
#include "config.h"

#include "ff-workflow-private.h"

#include <glib/gi18n-lib.h>

#include "ff-version.h"

/* ---- what the terminal runs --------------------------------------------------------------- */

/* Whether @info is of the terminal of this visit; otherwise the step fails saying who answers. */
static gboolean
is_this_terminal (FfWorkflow *self, const FfTerminalInfo *info)
{
  g_autofree char *message = NULL;

  if (g_strcmp0 (info->device_id, self->item->device_id) == 0)
    return TRUE;
  message = g_strdup_printf (_("Another terminal (%s) answers at %s."), info->device_id,
                             self->item->host);
  ff_workflow_step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED,
                                   message);
  return FALSE;
}

/* Whether the terminal runs the image this visit wants on it (self->image): version and the
 * checksum the profile computes from the image. */
static gboolean
runs_wanted (FfWorkflow *self, const FfTerminalInfo *info)
{
  g_autofree char *expected_checksum = ff_profile_compute_checksum (self->profile, self->image);

  return info->software_version != NULL && ff_version_is_valid (info->software_version)
         && ff_version_compare (info->software_version, ff_workflow_wanted_firmware (self)->version)
                == 0
         && g_strcmp0 (info->checksum, expected_checksum) == 0;
}

/* The report's versions afterwards are what the terminal said last, never what it should run. */
static void
keep_running_version (FfWorkflow *self, const FfTerminalInfo *info)
{
  g_free (self->ctx.version_after);
  self->ctx.version_after = g_strdup (info != NULL ? info->software_version : NULL);
  g_free (self->ctx.checksum_after);
  self->ctx.checksum_after = g_strdup (info != NULL ? info->checksum : NULL);
}

/* ---- after a failure ------------------------------------------------------------------------ */

/* A rollback is offered only where it can help: the terminal answers and runs something other
 * than the previous firmware. @info is NULL when it did not answer. */
static void
failure_settled (FfWorkflow *self, const FfTerminalInfo *info)
{
  const FfFirmwareRef *previous = self->item->previous;
  gboolean answered = info != NULL && g_strcmp0 (info->device_id, self->item->device_id) == 0;
  const char *step = ff_workflow_current_step (self);

  keep_running_version (self, answered ? info : NULL);
  if (!answered)
    ff_workflow_record_eventf (self, step, _("%s does not answer: what it runs now is unknown."),
                               self->item->device_id);
  else
    ff_workflow_record_eventf (self, step, _("%s runs %s (checksum %s) now."),
                               self->item->device_id,
                               info->software_version != NULL ? info->software_version : "?",
                               info->checksum != NULL ? info->checksum : "?");
  if (!ff_workflow_can_roll_back (self))
    {
      ff_workflow_advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  if (!answered)
    {
      ff_workflow_record_event (self, step,
                                _("No rollback is offered: nothing can be pushed to a terminal "
                                  "that does not answer."));
      ff_workflow_advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  if (info->software_version != NULL
      && ff_version_compare (info->software_version, previous->version) == 0)
    {
      ff_workflow_record_eventf (self, step,
                                 _("No rollback is offered: %s runs %s, the previous firmware, "
                                   "already."),
                                 self->item->device_id, previous->version);
      ff_workflow_advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  ff_workflow_advance (self, FF_WORKFLOW_STATE_FAILED);
}

static void
failure_info_read (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTerminalInfo) info = ff_iec104_conn_read_info_finish (FF_IEC104_CONN (object), result,
                                                                    &error);

  if (ff_workflow_is_cancelled (error))
    ff_workflow_finish_run (self, g_steal_pointer (&error));
  else
    failure_settled (self, info);
}

static void
failure_connected (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (ff_iec104_conn_connect_finish (FF_IEC104_CONN (object), result, &error))
    ff_iec104_conn_read_info_async (self->conn, ff_workflow_run_cancellable (self),
                                    failure_info_read, g_object_ref (self));
  else if (ff_workflow_is_cancelled (error))
    ff_workflow_finish_run (self, g_steal_pointer (&error));
  else
    failure_settled (self, NULL);
}

/* After a failure once the firmware was touched: asks the terminal what it runs now, with one
 * connection attempt (a terminal that has just failed a step is not waited for again), so that
 * the report says what it runs and a rollback is offered only where it can help. */
void
ff_workflow_settle_failure (FfWorkflow *self)
{
  ff_workflow_set_message (self, _("Checking what the terminal runs now…"));
  if (ff_iec104_conn_is_connected (self->conn))
    ff_iec104_conn_read_info_async (self->conn, ff_workflow_run_cancellable (self),
                                    failure_info_read, g_object_ref (self));
  else
    ff_iec104_conn_connect_async (self->conn, self->item->host, self->item->port,
                                  ff_workflow_run_cancellable (self), failure_connected,
                                  g_object_ref (self));
}

void
ff_workflow_connect_done (FfWorkflow *self)
{
  ff_workflow_record_eventf (self, "connect", _("Connected to %s:%u."), self->item->host,
                             self->item->port);
  ff_workflow_advance (self, FF_WORKFLOW_STATE_IDENTIFY);
}

/* ---- push ----------------------------------------------------------------------------------- */

static void
set_transfer_progress (FfWorkflow *self, guint64 sent, guint64 total, double rate)
{
  double eta = rate > 0 ? (total - sent) / rate : -1;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->bytes_sent != sent)
    {
      self->bytes_sent = sent;
      g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_BYTES_SENT]);
    }
  if (self->bytes_total != total)
    {
      self->bytes_total = total;
      g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_BYTES_TOTAL]);
    }
  if (self->bytes_per_second != rate)
    {
      self->bytes_per_second = rate;
      g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_BYTES_PER_SECOND]);
    }
  if (self->eta_seconds != eta)
    {
      self->eta_seconds = eta;
      g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_ETA_SECONDS]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
push_progress (guint64 sent, guint64 acked, guint64 total, double bytes_per_second, gpointer data)
{
  set_transfer_progress (FF_WORKFLOW (data), acked, total, bytes_per_second);
}

static void
image_committed (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  gboolean restarting = FALSE;
  GError *error = NULL;

  if (!ff_iec104_conn_commit_image_finish (FF_IEC104_CONN (object), result, &restarting, &error))
    {
      ff_workflow_step_failed (self, error);
      return;
    }
  self->transferring = FALSE;
  self->ctx.transferred = TRUE;
  ff_workflow_record_eventf (self, "push", _("%s written: %lld bytes in %.1f s."),
                             ff_workflow_wanted_firmware (self)->version,
                             (long long) self->ctx.transfer_bytes, self->ctx.transfer_seconds);
  /* A terminal that restarts by itself after the finish is already on its way. */
  ff_workflow_advance (self, restarting ? FF_WORKFLOW_STATE_REBOOT_WAIT : FF_WORKFLOW_STATE_RESET);
}

static void
commit_image (FfWorkflow *self)
{
  ff_iec104_conn_commit_image_async (self->conn, ff_workflow_run_cancellable (self),
                                     image_committed, g_object_ref (self));
}

static void
image_sent (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  guint segment_size = MAX (self->profile->iec104.segment_size, 1);
  guint64 wire_bytes = 0;
  GError *error = NULL;

  if (!ff_iec104_conn_send_image_finish (FF_IEC104_CONN (object), result, &wire_bytes, &error))
    {
      ff_workflow_step_failed (self, error);
      return;
    }
  self->ctx.transfer_bytes = g_bytes_get_size (self->payload);
  self->ctx.wire_bytes = (gint64) wire_bytes;
  self->ctx.transfer_segments = (self->ctx.transfer_bytes + segment_size - 1) / segment_size;
  self->ctx.transfer_seconds =
    (g_get_monotonic_time () - self->push_started_us) / (double) G_USEC_PER_SEC;
  /* Saved before the 211 finish goes out: from here on a stopped run cannot know whether the
   * terminal took the finish, and its resume asks the terminal before it sends anything again. */
  self->ctx.finish_sent = TRUE;
  ff_workflow_save_then (self, commit_image);
}

static void
transfer_image (FfWorkflow *self)
{
  ff_workflow_set_message (self, self->ctx.rolling_back ? _("Pushing the previous firmware back…")
                                            : _("Pushing the new firmware…"));
  self->push_started_us = g_get_monotonic_time ();
  self->transferring = TRUE;
  set_transfer_progress (self, 0, g_bytes_get_size (self->payload), 0);
  ff_iec104_conn_send_image_async (self->conn, self->item->target.file_name, self->payload,
                                   push_progress, g_object_ref (self), g_object_unref,
                                   ff_workflow_run_cancellable (self), image_sent,
                                   g_object_ref (self));
}

static void
push_connected (FfWorkflow *self)
{
  /* Counted and saved before anything goes out, so a transfer a crash cut short counts too. */
  self->ctx.push_attempts++;
  self->ctx.finish_sent = FALSE;
  self->ctx.probing_staged = FALSE;
  ff_workflow_save_then (self, transfer_image);
}

/* What a push that began before (in a run that stopped) or a rollback finds at the terminal. */
static void
push_probed (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  const char *device_id = self->item->device_id;
  const char *wanted = ff_workflow_wanted_firmware (self)->version;
  GError *error = NULL;
  g_autoptr(FfTerminalInfo) info = ff_iec104_conn_read_info_finish (FF_IEC104_CONN (object), result,
                                                                    &error);

  if (info == NULL)
    {
      ff_workflow_step_failed (self, error);
      return;
    }
  if (!is_this_terminal (self, info))
    return;
  if (runs_wanted (self, info) && self->ctx.push_attempts == 0)
    {
      /* Only a rollback gets here without a transfer of its own begun. */
      keep_running_version (self, info);
      ff_workflow_record_eventf (self, "push",
                                 _("%s runs %s, the previous firmware, already: the rollback "
                                   "is refused and nothing was pushed."),
                                 device_id, wanted);
      ff_workflow_set_outcome (self, "failed");
      ff_workflow_advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  if (runs_wanted (self, info))
    {
      ff_workflow_record_eventf (self, "push",
                                 _("%s runs %s (checksum %s) already: the transfer before the "
                                   "stop went through; nothing is sent again."),
                                 device_id, wanted, info->checksum);
      ff_workflow_advance (self, FF_WORKFLOW_STATE_VERIFY);
      return;
    }
  /* A terminal that waits for the 105 may hold the image staged from a finish that went out
   * before the stop: the restart shows it (verify pushes again if it comes back unchanged). */
  if (self->ctx.finish_sent && !self->ctx.probing_staged
      && self->profile->iec104.reset_after_upgrade_finish)
    {
      ff_workflow_record_eventf (self, "push",
                                 _("%s still runs %s, but it may hold %s from the transfer "
                                   "before the stop: it is restarted to find out."),
                                 device_id,
                                 info->software_version != NULL ? info->software_version : "?",
                                 wanted);
      self->ctx.probing_staged = TRUE;
      ff_workflow_advance (self, FF_WORKFLOW_STATE_RESET);
      return;
    }
  push_connected (self);
}

static void
push_probe (FfWorkflow *self)
{
  ff_workflow_set_message (self, _("Checking what the terminal runs…"));
  ff_iec104_conn_read_info_async (self->conn, ff_workflow_run_cancellable (self), push_probed,
                                  g_object_ref (self));
}

static void
push_cancelled (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  g_autoptr(GError) error = NULL;
  const char *device_id = self->item->device_id;
  /* What the terminal ran before this push: its old version, or in a rollback what it came back
   * with (unknown when it never came back). */
  const char *running = self->ctx.rolling_back ? self->ctx.version_after
                                               : self->ctx.version_before;

  if (!ff_iec104_conn_upgrade_cancel_finish (FF_IEC104_CONN (object), result, &error))
    ff_workflow_record_eventf (self, "push",
                               _("Push stopped, but %s could not be told to discard the partly "
                                 "written file (%s): what it runs now is unknown. Check its "
                                 "version before going on."),
                               device_id, error->message);
  else
    {
      /* A finish that went out is void now: the terminal dropped what it held. */
      self->ctx.finish_sent = FALSE;
      if (running != NULL)
        ff_workflow_record_eventf (self, "push",
                                   _("Push stopped: %s discarded the partly written file and "
                                     "still runs %s."),
                                   device_id, running);
      else
        ff_workflow_record_eventf (self, "push",
                                   _("Push stopped: %s discarded the partly written file and "
                                     "still runs the firmware it ran before this push."),
                                   device_id);
    }
  /* Saves the event for the report; the run then ends in push, which starts over on resume. */
  self->stop_explained = TRUE;
  ff_workflow_advance (self, FF_WORKFLOW_STATE_PUSH);
}

/* The technician stopped a transfer under way: a terminal left with half a file would keep it
 * staged, so it is told to drop it (211 cancel). Not cancellable, but bounded: a link that is gone
 * fails at once, a silent terminal after the profile's reply timeout (or t1). */
void
ff_workflow_stop_push (FfWorkflow *self)
{
  ff_workflow_set_message (self, _("Stopping the push…"));
  ff_iec104_conn_upgrade_cancel_async (self->conn, NULL, push_cancelled, g_object_ref (self));
}

typedef struct
{
  FfWorkflow   *self;
  char         *sha256;
  GBytes       *image;
  Continuation  then;
} ImageLoad;

static void
image_load_free (ImageLoad *load)
{
  g_object_unref (load->self);
  g_free (load->sha256);
  g_clear_pointer (&load->image, g_bytes_unref);
  g_free (load);
}

static gboolean
read_image_job (FfStore *store, gpointer data, GError **error)
{
  ImageLoad *load = data;

  load->image = ff_store_read_firmware (store, load->sha256, error);
  return load->image != NULL;
}

static void
image_read (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  ImageLoad *load = user_data;
  FfWorkflow *self = load->self;
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    {
      ff_workflow_step_failed (self, error);
      return;
    }
  g_clear_pointer (&self->image, g_bytes_unref);
  self->image = g_steal_pointer (&load->image);
  load->then (self);
}

/* Reads the image to push or to check against from the store (SHA-256 checked again there, so a
 * file damaged on the tablet never reaches a terminal), then continues. */
void
ff_workflow_with_image (FfWorkflow *self, Continuation then)
{
  ImageLoad *load = g_new0 (ImageLoad, 1);

  load->self = g_object_ref (self);
  load->sha256 = g_strdup (ff_workflow_wanted_firmware (self)->sha256);
  load->then = then;
  ff_store_run_async (self->store, read_image_job, load, (GDestroyNotify) image_load_free, NULL,
                      image_read, load);
}

static void
push_with_image (FfWorkflow *self)
{
  /* After a transfer that began in a run that stopped, the terminal may be restarting into the
   * image, or run it already; a rollback meets a terminal that may be restarting too. Both wait
   * for it and ask it first. A first push that cannot connect has written nothing. */
  if (self->ctx.push_attempts > 0 || self->ctx.rolling_back)
    {
      ff_workflow_set_message (self, _("Waiting for the terminal…"));
      ff_workflow_with_restarting_terminal (self, push_probe);
    }
  else
    ff_workflow_with_connection (self, push_connected);
}

static void
push_choose_payload (FfWorkflow *self)
{
  ff_workflow_choose_payload (self, push_with_image);
}

void
ff_workflow_push (FfWorkflow *self)
{
  ff_workflow_with_image (self, push_choose_payload);
}

/* ---- reset, reboot, verify ------------------------------------------------------------------ */

static void
restarted (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  GError *error = NULL;

  if (ff_iec104_conn_restart_finish (FF_IEC104_CONN (object), result, &error))
    ff_workflow_record_event (self, "reset", _("The terminal restarts."));
  else if (g_error_matches (error, FF_IEC104_ERROR, FF_IEC104_ERROR_REBOOTED_EARLY))
    {
      /* It restarted without confirming the 105: what it runs is known once it is back. */
      ff_workflow_record_event (self, "reset",
                                _("The terminal dropped the link instead of confirming the "
                                  "restart: it is taken to be restarting, and its version is "
                                  "checked when it is back."));
      g_error_free (error);
    }
  else
    {
      ff_workflow_step_failed (self, error);
      return;
    }
  ff_workflow_advance (self, FF_WORKFLOW_STATE_REBOOT_WAIT);
}

/* Resumed in reset, the 105 may have gone out before the stop and the terminal be restarting or
 * back on the image already: then it is verified, not restarted again. */
static void
reset_probed (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  GError *error = NULL;
  g_autoptr(FfTerminalInfo) info = ff_iec104_conn_read_info_finish (FF_IEC104_CONN (object), result,
                                                                    &error);

  if (info == NULL)
    {
      ff_workflow_step_failed (self, error);
      return;
    }
  if (!is_this_terminal (self, info))
    return;
  if (runs_wanted (self, info))
    {
      ff_workflow_record_eventf (self, "reset",
                                 _("%s runs %s already: it has restarted, and is not restarted "
                                   "again."),
                                 self->item->device_id,
                                 ff_workflow_wanted_firmware (self)->version);
      ff_workflow_advance (self, FF_WORKFLOW_STATE_VERIFY);
      return;
    }
  ff_iec104_conn_restart_async (self->conn, ff_workflow_run_cancellable (self), restarted,
                                g_object_ref (self));
}

static void
reset_probe (FfWorkflow *self)
{
  ff_iec104_conn_read_info_async (self->conn, ff_workflow_run_cancellable (self), reset_probed,
                                  g_object_ref (self));
}

void
ff_workflow_reset_with_image (FfWorkflow *self)
{
  ff_workflow_with_restarting_terminal (self, reset_probe);
}

void
ff_workflow_reconnect_attempt (FfIec104Conn *conn,
                               guint         attempt,
                               gint64        remaining_ms,
                               FfWorkflow   *self)
{
  self->reboot_remaining_ms = remaining_ms;
  self->reconnect_attempts = attempt;
  g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_REBOOT_REMAINING_MS]);
}

static void
terminal_back (FfWorkflow *self)
{
  ff_workflow_record_event (self, "reboot-wait", _("The terminal is back."));
  ff_workflow_advance (self, FF_WORKFLOW_STATE_VERIFY);
}

void
ff_workflow_reboot_wait (FfWorkflow *self)
{
  ff_workflow_set_message (self, _("Waiting for the terminal to restart…"));
  self->reconnect_attempts = 0;
  ff_iec104_conn_close (self->conn);
  ff_workflow_with_restarting_terminal (self, terminal_back);
}

static void
verified_info (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  const FfFirmwareRef *wanted = ff_workflow_wanted_firmware (self);
  GError *error = NULL;
  g_autoptr(FfTerminalInfo) info = ff_iec104_conn_read_info_finish (FF_IEC104_CONN (object), result,
                                                                    &error);
  g_autofree char *expected_checksum = NULL;
  g_autofree char *message = NULL;

  if (info == NULL)
    {
      ff_workflow_step_failed (self, error);
      return;
    }
  if (!is_this_terminal (self, info))
    return;
  keep_running_version (self, info);
  if (runs_wanted (self, info))
    {
      /* A transfer whose finish went out before a stop took: the report counts it. */
      if (self->ctx.finish_sent)
        self->ctx.transferred = TRUE;
      ff_workflow_record_eventf (self, "verify", _("Running %s, checksum %s as expected."),
                                 info->software_version, info->checksum);
      ff_workflow_advance (self, FF_WORKFLOW_STATE_SNAPSHOT_AFTER);
      return;
    }
  if (self->ctx.probing_staged)
    {
      /* The restart showed that the transfer before the stop had not been taken. */
      ff_workflow_record_eventf (self, "verify",
                                 _("%s came back running %s: the transfer before the stop did "
                                   "not take, and the image is pushed again."),
                                 self->item->device_id,
                                 info->software_version != NULL ? info->software_version : "?");
      self->ctx.probing_staged = FALSE;
      self->ctx.finish_sent = FALSE;
      ff_workflow_advance (self, FF_WORKFLOW_STATE_PUSH);
      return;
    }
  expected_checksum = ff_profile_compute_checksum (self->profile, self->image);
  message = g_strdup_printf (_("After the restart the terminal runs %s (checksum %s); expected %s "
                               "(checksum %s)."),
                             info->software_version != NULL ? info->software_version : "?",
                             info->checksum != NULL ? info->checksum : "?", wanted->version,
                             expected_checksum);
  ff_workflow_step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED,
                                   message);
}

static void
verify_connected (FfWorkflow *self)
{
  ff_workflow_set_message (self, _("Checking the version…"));
  ff_iec104_conn_read_info_async (self->conn, ff_workflow_run_cancellable (self), verified_info,
                                  g_object_ref (self));
}

void
ff_workflow_verify_with_image (FfWorkflow *self)
{
  ff_workflow_with_restarting_terminal (self, verify_connected);
}

