/* The workflow's last step: the signed report of the visit. */
#include "config.h"

#include "ff-workflow-private.h"

#include <math.h>

#include "ff-geo.h"
#include "ff-report.h"

/* ---- report --------------------------------------------------------------------------------- */

static FfReport *
build_report (FfWorkflow *self)
{
  Context *ctx = &self->ctx;
  FfReport *report = ff_report_new (self->task->task_id, self->item->device_id, self->tablet_serial,
                                    self->task->technician_phone);
  FfReportOutcome outcome = FF_REPORT_OUTCOME_ABORTED;
  FfSignalJudgement judgements[FF_N_SIGNALS];

  g_free (report->report_id);
  report->report_id = g_strdup (ctx->report_id);
  /* The names, so the printed report stands on its own after the task is gone. */
  report->technician_name = g_strdup (self->task->technician_name);
  report->terminal_name = g_strdup (self->item->name);
  report->follows = g_strdup (ctx->follows);
  report->reopened_by = g_strdup (ctx->reopened_by);
  report->created_at = ctx->created_at;
  ff_report_outcome_from_string (ctx->outcome, &outcome);
  report->outcome = outcome;
  if (outcome != FF_REPORT_OUTCOME_UPGRADED && outcome != FF_REPORT_OUTCOME_ALREADY_CURRENT)
    ff_report_set_failure (report, ctx->failure_step != NULL ? ctx->failure_step : "report",
                           ctx->failure_reason != NULL ? ctx->failure_reason : ctx->outcome);

  if (ctx->identity_present)
    {
      FfReportIdentity *identity = &report->identity;
      FfGeoPoint fix = { ctx->fix_latitude, ctx->fix_longitude };
      FfGeoPoint recorded = { self->item->latitude, self->item->longitude };
      gboolean have_fix = ff_geo_point_is_valid (&fix);

      identity->present = TRUE;
      identity->device_id_read = g_strdup (ctx->device_id_read);
      /* Without a fix the evidence says so: mode "none", the recorded position as the fix. */
      identity->fix_latitude = have_fix ? fix.latitude : recorded.latitude;
      identity->fix_longitude = have_fix ? fix.longitude : recorded.longitude;
      identity->recorded_latitude = recorded.latitude;
      identity->recorded_longitude = recorded.longitude;
      identity->delta_latitude_arcsec =
        have_fix ? ff_geo_delta_latitude_arcsec (&fix, &recorded) : 0;
      identity->delta_longitude_arcsec =
        have_fix ? ff_geo_delta_longitude_arcsec (&fix, &recorded) : 0;
      identity->distance_m = have_fix ? ff_geo_distance_m (&fix, &recorded) : 0;
      identity->fix_mode = g_strdup (have_fix ? ff_workflow_fix_mode_name (ctx->fix_mode) : "none");
      identity->fix_age_s = have_fix && isfinite (ctx->fix_age) ? ctx->fix_age : 0;
      identity->override_by = g_strdup (ctx->override_by);
      identity->override_reason = g_strdup (ctx->override_reason);
      identity->has_gps = TRUE;
      identity->settle_seconds = ctx->settle_seconds;
      identity->measurements = ctx->measurements;
      identity->gps_fixes = g_array_sized_new (FALSE, FALSE, sizeof (FfReportGpsFix),
                                               ctx->gps_fixes->len);
      for (guint i = 0; i < ctx->gps_fixes->len; i++)
        {
          const FfGpsFix *used = &g_array_index (ctx->gps_fixes, FfGpsFix, i);
          FfReportGpsFix evidence = {
            .time = used->time / G_USEC_PER_SEC, .latitude = used->position.latitude,
            .longitude = used->position.longitude, .mode = used->mode,
            .accuracy_m = used->accuracy_m,
          };

          g_array_append_val (identity->gps_fixes, evidence);
        }
    }
  report->versions.before = g_strdup (ctx->version_before);
  report->versions.before_checksum = g_strdup (ctx->checksum_before);
  report->versions.target = g_strdup (self->item->target.version);
  report->versions.after = g_strdup (ctx->version_after);
  report->versions.after_checksum = g_strdup (ctx->checksum_after);
  ff_snapshot_to_report (&ctx->before, &report->before);
  ff_snapshot_to_report (&ctx->after, &report->after);
  if (report->before.present && report->after.present)
    {
      ff_snapshot_judge (&ctx->before, &ctx->after, judgements);
      ff_snapshot_judgement_to_report (judgements, &report->judgement);
    }
  if (ctx->transferred)
    {
      report->transfer.present = TRUE;
      report->transfer.file_name = g_strdup (self->item->target.file_name);
      report->transfer.bytes = ctx->transfer_bytes;
      report->transfer.segments = ctx->transfer_segments;
      report->transfer.seconds = ctx->transfer_seconds;
      report->transfer.bytes_per_second = ctx->transfer_seconds > 0
                                          ? ctx->transfer_bytes / ctx->transfer_seconds : 0;
      report->transfer.retries = ctx->push_attempts > 1 ? ctx->push_attempts - 1 : 0;
      report->transfer.delta = ctx->sent_delta;
      /* A context saved before the choice was recorded pushed the image it wanted. */
      report->transfer.sha256 = g_strdup (ctx->sent_sha256 != NULL ? ctx->sent_sha256
                                          : ff_workflow_wanted_firmware (self)->sha256);
      report->transfer.wire_bytes = ctx->wire_bytes;
      report->firmware_version = g_strdup (ff_workflow_wanted_firmware (self)->version);
      report->firmware_sha256 = g_strdup (ff_workflow_wanted_firmware (self)->sha256);
    }
  for (guint i = 0; i < ctx->events->len; i++)
    {
      Event *event = ctx->events->pdata[i];
      ff_report_add_event (report, event->time, event->step, event->message);
    }
  return report;
}

void
ff_workflow_write_report (FfWorkflow *self)
{
  g_autoptr(FfReport) report = NULL;
  Persist *persist;
  GError *error = NULL;

  /* The ID and time are fixed when the report is first built, so a resumed build is the same
   * report; the store refuses a second copy of an ID. */
  if (self->ctx.report_id == NULL)
    {
      self->ctx.report_id = g_uuid_string_random ();
      self->ctx.created_at = g_get_real_time () / G_USEC_PER_SEC;
    }
  report = build_report (self);
  persist = g_new0 (Persist, 1);
  persist->signature = ff_report_sign (report, self->tablet_key, &persist->report, &error);
  if (persist->signature == NULL)
    {
      persist->self = g_object_ref (self);
      ff_workflow_persist_free (persist);
      ff_workflow_finish_run (self, error);
      return;
    }
  persist->report_id = g_strdup (self->ctx.report_id);
  persist->outcome = g_strdup (self->ctx.outcome);
  persist->created_at = self->ctx.created_at;
  persist->final_data = ff_workflow_context_serialize (&self->ctx);
  g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_REPORT_ID]);
  ff_workflow_persist_async (self, persist);
}

