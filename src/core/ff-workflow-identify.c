/* The workflow's first steps on the terminal: identify (GPS settling), read version, snapshots. */
#include "config.h"

#include "ff-workflow-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "ff-geo.h"
#include "ff-quality.h"
#include "ff-version.h"

/* ---- identify ------------------------------------------------------------------------------- */

const char *
ff_workflow_fix_mode_name (int mode)
{
  return mode >= FF_GPS_FIX_3D ? "3d" : mode == FF_GPS_FIX_2D ? "2d" : "none";
}

/* The firmware is only for the hardware its task names: a terminal reporting other hardware (the
 * ledger may be wrong) ends the visit before anything is written, whoever vouches for its identity.
 * TRUE when it did. */
gboolean
ff_workflow_refuse_other_hardware (FfWorkflow *self)
{
  const char *hardware = self->ctx.hardware_read;
  g_autofree char *accepted = NULL;
  g_autofree char *reason = NULL;

  if (ff_task_item_fits_hardware (self->item, hardware))
    return FALSE;
  accepted = g_strjoinv (", ", self->item->target.hardware_versions);
  if (hardware == NULL || *hardware == '\0')
    reason = g_strdup_printf (_("The terminal did not report its hardware version; firmware %s is "
                                "for hardware %s only. Nothing was written."),
                              self->item->target.version, accepted);
  else
    reason = g_strdup_printf (_("The terminal reports hardware %s; firmware %s is for hardware %s "
                                "only. Nothing was written."),
                              hardware, self->item->target.version, accepted);
  ff_workflow_step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED, reason);
  return TRUE;
}

static void
end_settling (FfWorkflow *self)
{
  if (self->settle == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->settle, self);
  g_clear_object (&self->settle);
  g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_SETTLE_PROGRESS]);
}

static void
identify_with_fix (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  FfGeoPoint recorded = { self->item->latitude, self->item->longitude };
  FfGeoPoint fix = { NAN, NAN };
  g_autoptr(GError) gps_error = NULL;
  g_autoptr(GString) mismatch = g_string_new (NULL);
  const FfGpsFix *fixes;
  guint n_fixes;

  if (!ff_gps_settle_run_finish (FF_GPS_SETTLE (object), result, &fix, &gps_error)
      && ff_workflow_is_cancelled (gps_error))
    {
      end_settling (self);
      ff_workflow_finish_run (self, g_steal_pointer (&gps_error));
      return;
    }
  /* The evidence is the fixes the judgement used: none when the fix never settled. */
  fixes = ff_gps_settle_get_fixes (FF_GPS_SETTLE (object), &n_fixes);
  g_array_set_size (self->ctx.gps_fixes, 0);
  if (gps_error == NULL)
    g_array_append_vals (self->ctx.gps_fixes, fixes, n_fixes);
  self->ctx.measurements++;
  self->ctx.settle_seconds = self->gps_settle_seconds;
  self->ctx.identity_present = TRUE;
  self->ctx.fix_latitude = fix.latitude;
  self->ctx.fix_longitude = fix.longitude;
  self->ctx.fix_mode = gps_error == NULL ? fixes[n_fixes - 1].mode : FF_GPS_FIX_NONE;
  self->ctx.fix_age = gps_error == NULL
                      ? (g_get_real_time () - fixes[n_fixes - 1].time) / (double) G_USEC_PER_SEC
                      : 0;
  end_settling (self);

  if (!g_str_equal (self->ctx.device_id_read, self->item->device_id))
    g_string_append_printf (mismatch,
                            _("The terminal reports device ID “%s”, the task expects “%s”."),
                            self->ctx.device_id_read, self->item->device_id);
  if (gps_error != NULL)
    g_string_append_printf (mismatch, "%s%s", mismatch->len > 0 ? " " : "", gps_error->message);
  else if (!ff_geo_same_place (&fix, &recorded))
    g_string_append_printf (mismatch,
                            _("%sThe tablet is %.1f m from the recorded position (Δlat %.2f″, "
                              "Δlon %.2f″; at most 1″ each)."),
                            mismatch->len > 0 ? " " : "", ff_geo_distance_m (&fix, &recorded),
                            ff_geo_delta_latitude_arcsec (&fix, &recorded),
                            ff_geo_delta_longitude_arcsec (&fix, &recorded));

  if (mismatch->len > 0)
    {
      ff_workflow_record_event (self, "identify", mismatch->str);
      ff_workflow_set_failure (self, "identify", mismatch->str);
      ff_workflow_advance (self, FF_WORKFLOW_STATE_IDENTITY_MISMATCH);
      return;
    }
  ff_workflow_record_eventf (self, "identify",
                             _("%s at Δlat %.2f″, Δlon %.2f″ (median of %u GPS fixes); "
                               "running %s (checksum %s)."),
                             self->ctx.device_id_read,
                             ff_geo_delta_latitude_arcsec (&fix, &recorded),
                             ff_geo_delta_longitude_arcsec (&fix, &recorded), n_fixes,
                             self->ctx.version_before,
                             self->ctx.checksum_before != NULL ? self->ctx.checksum_before : "-");
  if (!ff_workflow_refuse_other_hardware (self))
    ff_workflow_advance (self, FF_WORKFLOW_STATE_READ_VERSION);
}

static void
settle_changed (FfGpsSettle *settle,
                FfWorkflow  *self)
{
  guint n_fixes;
  g_autofree char *message = NULL;

  ff_gps_settle_get_fixes (settle, &n_fixes);
  message = g_strdup_printf (_("Measuring the position: %u GPS fixes, %.0f %% of the settling "
                               "period…"), n_fixes, 100 * ff_gps_settle_get_progress (settle));
  ff_workflow_set_message (self, message);
  g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_SETTLE_PROGRESS]);
}

static void
identify_info_read (GObject      *object,
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
  g_free (self->ctx.device_id_read);
  self->ctx.device_id_read = g_strdup (info->device_id != NULL ? info->device_id : "");
  g_free (self->ctx.hardware_read);
  self->ctx.hardware_read = g_strdup (info->hardware_version);
  g_free (self->ctx.version_before);
  self->ctx.version_before = g_strdup (info->software_version);
  g_free (self->ctx.checksum_before);
  self->ctx.checksum_before = g_strdup (info->checksum);
  ff_workflow_set_message (self, _("Waiting for a GPS fix…"));
  /* A new settling period each time: its fixes are measured now, never remembered. */
  self->settle = ff_gps_settle_new (self->gps, self->gps_settle_seconds);
  g_signal_connect (self->settle, "changed", G_CALLBACK (settle_changed), self);
  g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_SETTLE_PROGRESS]);
  ff_gps_settle_run_async (self->settle, self->gps_timeout_seconds,
                           ff_workflow_run_cancellable (self), identify_with_fix,
                           g_object_ref (self));
}

void
ff_workflow_identify (FfWorkflow *self)
{
  ff_workflow_set_message (self, _("Reading the terminal’s information…"));
  ff_iec104_conn_read_info_async (self->conn, ff_workflow_run_cancellable (self),
                                  identify_info_read, g_object_ref (self));
}

/* ---- read version --------------------------------------------------------------------------- */

void
ff_workflow_read_version (FfWorkflow *self)
{
  const char *running = self->ctx.version_before;
  const char *target = self->item->target.version;

  if (running == NULL || !ff_version_is_valid (running))
    {
      ff_workflow_step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED,
                                       _("The terminal did not report a software version."));
      return;
    }
  if (ff_version_compare (running, target) == 0)
    {
      ff_workflow_record_eventf (self, "read-version", _("Already running %s: nothing to push."),
                                 running);
      ff_workflow_set_outcome (self, "already-current");
      ff_workflow_advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  /* Whatever the ledger said: only a rollback task takes a terminal to an older version. */
  if (ff_version_compare (running, target) > 0 && !self->task->rollback)
    {
      g_autofree char *reason = NULL;

      reason = g_strdup_printf (_("The terminal runs %s, newer than the target %s: it is not "
                                  "downgraded without a rollback task. Nothing was written."),
                                running, target);
      ff_workflow_step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED,
                                       reason);
      return;
    }
  if (ff_version_compare (running, self->item->expected_version) != 0)
    ff_workflow_record_eventf (self, "read-version", _("Running %s, the ledger says %s."), running,
                               self->item->expected_version);
  else
    ff_workflow_record_eventf (self, "read-version", _("Running %s; target %s."), running, target);
  ff_workflow_advance (self, FF_WORKFLOW_STATE_SNAPSHOT_BEFORE);
}

/* ---- snapshots ------------------------------------------------------------------------------ */

static void
snapshot_read (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  gboolean after = self->state == FF_WORKFLOW_STATE_SNAPSHOT_AFTER;
  FfSnapshot *snapshot = after ? &self->ctx.after : &self->ctx.before;
  GError *error = NULL;
  g_autoptr(GArray) points = ff_iec104_conn_interrogate_finish (FF_IEC104_CONN (object), result,
                                                                &error);
  g_autoptr(GString) text = g_string_new (NULL);

  if (points == NULL)
    {
      ff_workflow_step_failed (self, error);
      return;
    }
  ff_iec104_points_to_snapshot (self->profile, (const FfIec104Point *) points->data, points->len,
                                snapshot);
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    {
      g_autofree char *hex = ff_snapshot_value_to_hex (snapshot->values[s]);

      if (!snapshot->present[s])
        {
          g_autofree char *message = g_strdup_printf (_("The terminal did not report %s."),
                                                      ff_signal_get_label (s));
          ff_workflow_step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED,
                                           message);
          return;
        }
      g_string_append_printf (text, "%s%s %.3f %s (%s)", s > 0 ? ", " : "", ff_signal_get_label (s),
                              snapshot->values[s], ff_signal_get_unit (s), hex);
      if (!ff_quality_is_good (snapshot->quality[s]))
        {
          g_autofree char *quality = ff_quality_describe (snapshot->quality[s]);

          g_string_append_printf (text, " %s", quality);
        }
    }
  ff_workflow_record_event (self, ff_workflow_state_to_string (self->state), text->str);
  if (!after)
    {
      FfSignal bad = ff_snapshot_find_bad_quality (snapshot);

      /* A flagged reading is no baseline: the after-upgrade check could never pass, so the visit
       * stops here, before anything is written (docs/tablet.md). */
      if (bad < FF_N_SIGNALS)
        {
          g_autofree char *quality = ff_quality_describe (snapshot->quality[bad]);
          g_autofree char *message =
            g_strdup_printf (_("The terminal reports %s as %s: without a valid reading before "
                               "the upgrade there is nothing to check the upgrade against, so "
                               "nothing was written."), ff_signal_get_label (bad), quality);

          ff_workflow_step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED,
                                           message);
          return;
        }
      ff_workflow_advance (self, FF_WORKFLOW_STATE_CONFIRM);
      return;
    }
  if (self->ctx.rolling_back)
    {
      ff_workflow_set_outcome (self, "rolled-back");
      ff_workflow_advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  {
    FfSignalJudgement judgements[FF_N_SIGNALS];
    g_autoptr(GString) deviations = g_string_new (NULL);

    if (ff_snapshot_judge (&self->ctx.before, &self->ctx.after, judgements))
      {
        ff_workflow_set_outcome (self, "upgraded");
        ff_workflow_advance (self, FF_WORKFLOW_STATE_REPORT);
        return;
      }
    for (guint s = 0; s < FF_N_SIGNALS; s++)
      if (!judgements[s].passed)
        {
          g_autofree char *why = ff_snapshot_judgement_describe (&judgements[s]);

          /* Translators: one failed signal: its name, then why, e.g. "Current: Changed 12.0 %,
           * over 10 %"; several are joined with "; ". */
          g_string_append_printf (deviations, deviations->len > 0 ? _("; %s: %s") : _("%s: %s"),
                                  ff_signal_get_label (s), why);
        }
    {
      g_autofree char *message =
        g_strdup_printf (_("After the upgrade these signals fail the check: %s."),
                         deviations->str);
      ff_workflow_step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED,
                                       message);
    }
  }
}

void
ff_workflow_take_snapshot (FfWorkflow *self)
{
  ff_workflow_set_message (self, _("Reading the four signals…"));
  ff_iec104_conn_interrogate_async (self->conn, ff_workflow_run_cancellable (self), snapshot_read,
                                    g_object_ref (self));
}

