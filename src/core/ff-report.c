/* The upgrade report that the tablet signs and the platform ingests: the model, and the document
 * the tablet serializes and signs (reading one is ff-report-parse.c). */
#include "config.h"

#include "ff-report-private.h"

#include "ff-quality.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

static const char *const outcome_names[] = {
  [FF_REPORT_OUTCOME_UPGRADED] = "upgraded",
  [FF_REPORT_OUTCOME_ALREADY_CURRENT] = "already-current",
  [FF_REPORT_OUTCOME_FAILED] = "failed",
  [FF_REPORT_OUTCOME_ROLLED_BACK] = "rolled-back",
  [FF_REPORT_OUTCOME_IDENTITY_MISMATCH] = "identity-mismatch",
  [FF_REPORT_OUTCOME_ABORTED] = "aborted",
};

/* The workflow's steps (ff_workflow_state_to_string) as a report names them. */
static const struct
{
  const char *step;
  const char *label;
} step_labels[] = {
  { "navigate", N_("Walking to the terminal") },
  { "connect", N_("Connecting to the terminal") },
  { "identify", N_("Identifying the terminal") },
  { "identity-mismatch", N_("Identity check") },
  { "read-version", N_("Reading the running version") },
  { "snapshot-before", N_("Reading the signals before the upgrade") },
  { "confirm", N_("Confirming the upgrade") },
  { "push", N_("Transferring the firmware") },
  { "reset", N_("Restarting the terminal") },
  { "reboot-wait", N_("Waiting for the terminal to restart") },
  { "verify", N_("Checking the new version") },
  { "snapshot-after", N_("Reading the signals after the upgrade") },
  { "failed", N_("Deciding on a rollback") },
  { "report", N_("Writing the report") },
};

const char *
ff_report_step_describe (const char *step)
{
  for (guint i = 0; i < G_N_ELEMENTS (step_labels); i++)
    if (g_strcmp0 (step, step_labels[i].step) == 0)
      return _(step_labels[i].label);
  return step;
}

const char *
ff_report_outcome_to_string (FfReportOutcome outcome)
{
  g_return_val_if_fail (outcome <= FF_REPORT_OUTCOME_ABORTED, NULL);
  return outcome_names[outcome];
}

const char *
ff_report_outcome_describe (FfReportOutcome outcome)
{
  switch (outcome)
    {
    case FF_REPORT_OUTCOME_UPGRADED:
      return _("Upgraded");
    case FF_REPORT_OUTCOME_ALREADY_CURRENT:
      return _("Already current");
    case FF_REPORT_OUTCOME_FAILED:
      return _("Upgrade failed");
    case FF_REPORT_OUTCOME_ROLLED_BACK:
      return _("Rolled back to the previous firmware");
    case FF_REPORT_OUTCOME_IDENTITY_MISMATCH:
      return _("Wrong terminal: not upgraded");
    case FF_REPORT_OUTCOME_ABORTED:
      return _("Stopped before the upgrade");
    }
  g_return_val_if_reached (NULL);
}

const char *
ff_report_outcome_describe_for (FfReportOutcome  outcome,
                                const char      *device_id,
                                const char      *device_id_read)
{
  if (outcome != FF_REPORT_OUTCOME_IDENTITY_MISMATCH || device_id_read == NULL)
    return ff_report_outcome_describe (outcome);
  if (g_strcmp0 (device_id_read, device_id) != 0)
    return _("Wrong device ID: not upgraded");
  return _("Position check failed: not upgraded");
}

const char *
ff_report_describe (const FfReport *report)
{
  return ff_report_outcome_describe_for (report->outcome, report->device_id,
                                         report->identity.present
                                         ? report->identity.device_id_read : NULL);
}

gboolean
ff_report_outcome_from_string (const char      *text,
                               FfReportOutcome *outcome)
{
  for (guint i = 0; i < G_N_ELEMENTS (outcome_names); i++)
    if (g_strcmp0 (text, outcome_names[i]) == 0)
      {
        *outcome = i;
        return TRUE;
      }
  return FALSE;
}

char *
ff_float_to_hex (float value)
{
  guint32 bits;

  memcpy (&bits, &value, sizeof bits);
  return g_strdup_printf ("%08" G_GINT32_MODIFIER "X", bits);
}

static void
event_free (FfReportEvent *event)
{
  g_free (event->step);
  g_free (event->message);
  g_free (event);
}

FfReport *
ff_report_new_empty (void)
{
  FfReport *report = g_new0 (FfReport, 1);

  report->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  return report;
}

FfReport *
ff_report_new (const char *task_id,
               const char *device_id,
               const char *tablet_serial,
               const char *technician_phone)
{
  FfReport *report = ff_report_new_empty ();

  report->format_version = FF_REPORT_FORMAT_VERSION;
  report->report_id = g_uuid_string_random ();
  report->task_id = g_strdup (task_id);
  report->device_id = g_strdup (device_id);
  report->tablet_serial = g_strdup (tablet_serial);
  report->technician_phone = g_strdup (technician_phone);
  report->created_at = g_get_real_time () / G_USEC_PER_SEC;
  return report;
}

void
ff_report_free (FfReport *report)
{
  if (report == NULL)
    return;
  g_free (report->report_id);
  g_free (report->task_id);
  g_free (report->device_id);
  g_free (report->tablet_serial);
  g_free (report->technician_phone);
  g_free (report->technician_name);
  g_free (report->terminal_name);
  g_free (report->follows);
  g_free (report->reopened_by);
  g_free (report->failure_reason);
  g_free (report->failure_step);
  g_free (report->identity.device_id_read);
  g_free (report->identity.fix_mode);
  g_free (report->identity.override_by);
  g_free (report->identity.override_reason);
  g_clear_pointer (&report->identity.gps_fixes, g_array_unref);
  g_free (report->versions.before);
  g_free (report->versions.before_checksum);
  g_free (report->versions.target);
  g_free (report->versions.after);
  g_free (report->versions.after_checksum);
  g_free (report->transfer.file_name);
  g_free (report->transfer.sha256);
  g_ptr_array_unref (report->events);
  g_free (report->firmware_version);
  g_free (report->firmware_sha256);
  g_free (report);
}

void
ff_report_add_event (FfReport   *report,
                     gint64      time,
                     const char *step,
                     const char *message)
{
  FfReportEvent *event = g_new0 (FfReportEvent, 1);

  event->time = time;
  event->step = g_strdup (step);
  event->message = g_strdup (message);
  g_ptr_array_add (report->events, event);
}

void
ff_report_set_failure (FfReport   *report,
                       const char *step,
                       const char *reason)
{
  g_free (report->failure_step);
  g_free (report->failure_reason);
  report->failure_step = g_strdup (step);
  report->failure_reason = g_strdup (reason);
}

gboolean
ff_report_validate (const FfReport *report,
                    GError        **error)
{
  g_autoptr(GBytes) bytes = ff_report_serialize (report);
  g_autoptr(FfReport) parsed = ff_report_parse (bytes, error);

  return parsed != NULL;
}

/* Serializing. */

static void
add_gps (JsonBuilder            *builder,
         const FfReportIdentity *identity)
{
  guint n = identity->gps_fixes != NULL ? identity->gps_fixes->len : 0;

  if (!ff_builder_begin_object_or_null (builder, "gps", identity->has_gps))
    return;
  ff_builder_add_double (builder, "settle_seconds", identity->settle_seconds);
  ff_builder_add_int (builder, "measurements", identity->measurements);
  json_builder_set_member_name (builder, "fixes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      const FfReportGpsFix *fix = &g_array_index (identity->gps_fixes, FfReportGpsFix, i);

      json_builder_begin_object (builder);
      ff_builder_add_timestamp (builder, "time", fix->time);
      ff_builder_add_position (builder, "position", fix->latitude, fix->longitude);
      ff_builder_add_string (builder, "fix_mode", fix->mode >= 3 ? "3d" : "2d");
      json_builder_set_member_name (builder, "accuracy_m");
      if (isfinite (fix->accuracy_m))
        json_builder_add_double_value (builder, fix->accuracy_m);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
add_identity (JsonBuilder            *builder,
              int                     format_version,
              const FfReportIdentity *identity)
{
  if (!ff_builder_begin_object_or_null (builder, "identity", identity->present))
    return;
  ff_builder_add_string (builder, "device_id_read", identity->device_id_read);
  ff_builder_add_position (builder, "tablet_fix", identity->fix_latitude, identity->fix_longitude);
  ff_builder_add_position (builder, "recorded", identity->recorded_latitude,
                           identity->recorded_longitude);
  ff_builder_add_double (builder, "delta_lat_arcsec", identity->delta_latitude_arcsec);
  ff_builder_add_double (builder, "delta_lon_arcsec", identity->delta_longitude_arcsec);
  ff_builder_add_double (builder, "distance_m", identity->distance_m);
  ff_builder_add_string (builder, "fix_mode", identity->fix_mode);
  ff_builder_add_double (builder, "fix_age_s", identity->fix_age_s);
  if (ff_builder_begin_object_or_null (builder, "override",
                                       identity->override_by != NULL
                                       || identity->override_reason != NULL))
    {
      ff_builder_add_string (builder, "by", identity->override_by);
      ff_builder_add_string (builder, "reason", identity->override_reason);
      json_builder_end_object (builder);
    }
  if (format_version >= 2)
    add_gps (builder, identity);
  json_builder_end_object (builder);
}

static void
add_snapshot (JsonBuilder            *builder,
              const char             *member,
              int                     format_version,
              const FfReportSnapshot *snapshot)
{
  if (!ff_builder_begin_object_or_null (builder, member, snapshot->present))
    return;
  for (FfSignal s = 0; s < FF_SIGNAL_COUNT; s++)
    {
      g_autofree char *hex = ff_float_to_hex (snapshot->values[s]);

      json_builder_set_member_name (builder, ff_signal_get_name (s));
      json_builder_begin_object (builder);
      ff_builder_add_double (builder, "value", snapshot->values[s]);
      ff_builder_add_string (builder, "hex", hex);
      ff_builder_add_string (builder, "unit", ff_signal_get_unit (s));
      if (format_version >= 2)
        {
          g_auto(GStrv) names = ff_quality_to_names (snapshot->quality[s]);

          json_builder_set_member_name (builder, "quality");
          json_builder_begin_array (builder);
          for (guint i = 0; names[i] != NULL; i++)
            json_builder_add_string_value (builder, names[i]);
          json_builder_end_array (builder);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

static void
add_judgement (JsonBuilder             *builder,
               const FfReportJudgement *judgement)
{
  if (!ff_builder_begin_object_or_null (builder, "judgement", judgement->present))
    return;
  for (FfSignal s = 0; s < FF_SIGNAL_COUNT; s++)
    {
      json_builder_set_member_name (builder, ff_signal_get_name (s));
      json_builder_begin_object (builder);
      ff_builder_add_double (builder, "deviation", judgement->deviation[s]);
      ff_builder_add_boolean (builder, "pass", judgement->pass[s]);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

static void
add_transfer (JsonBuilder            *builder,
              int                     format_version,
              const FfReportTransfer *transfer)
{
  if (!ff_builder_begin_object_or_null (builder, "transfer", transfer->present))
    return;
  ff_builder_add_string (builder, "file_name", transfer->file_name);
  ff_builder_add_int (builder, "bytes", transfer->bytes);
  ff_builder_add_int (builder, "segments", transfer->segments);
  ff_builder_add_double (builder, "seconds", transfer->seconds);
  ff_builder_add_double (builder, "bytes_per_second", transfer->bytes_per_second);
  ff_builder_add_int (builder, "retries", transfer->retries);
  if (format_version >= 2)
    {
      json_builder_set_member_name (builder, "sent");
      json_builder_begin_object (builder);
      ff_builder_add_string (builder, "kind", transfer->delta ? "delta" : "image");
      ff_builder_add_string (builder, "sha256", transfer->sha256);
      ff_builder_add_int (builder, "wire_bytes", transfer->wire_bytes);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

GBytes *
ff_report_serialize (const FfReport *report)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  const FfReportVersions *versions = &report->versions;

  json_builder_begin_object (builder);
  ff_builder_add_int (builder, "format_version", report->format_version);
  ff_builder_add_string (builder, "report_id", report->report_id);
  ff_builder_add_string (builder, "task_id", report->task_id);
  ff_builder_add_string (builder, "device_id", report->device_id);
  ff_builder_add_string (builder, "tablet_serial", report->tablet_serial);
  ff_builder_add_string (builder, "technician_phone", report->technician_phone);
  if (report->format_version >= 2)
    {
      ff_builder_add_string (builder, "technician_name", report->technician_name);
      ff_builder_add_string (builder, "terminal_name", report->terminal_name);
      if (ff_builder_begin_object_or_null (builder, "follows", report->follows != NULL))
        {
          ff_builder_add_string (builder, "report_id", report->follows);
          ff_builder_add_string (builder, "reopened_by", report->reopened_by);
          json_builder_end_object (builder);
        }
    }
  ff_builder_add_timestamp (builder, "created_at", report->created_at);
  ff_builder_add_string (builder, "outcome", ff_report_outcome_to_string (report->outcome));
  if (ff_builder_begin_object_or_null (builder, "failure",
                                       report->failure_reason != NULL
                                       || report->failure_step != NULL))
    {
      ff_builder_add_string (builder, "reason", report->failure_reason);
      ff_builder_add_string (builder, "step", report->failure_step);
      json_builder_end_object (builder);
    }
  add_identity (builder, report->format_version, &report->identity);
  json_builder_set_member_name (builder, "versions");
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "before", versions->before);
  ff_builder_add_string (builder, "before_checksum", versions->before_checksum);
  ff_builder_add_string (builder, "target", versions->target);
  ff_builder_add_string (builder, "after", versions->after);
  ff_builder_add_string (builder, "after_checksum", versions->after_checksum);
  json_builder_end_object (builder);
  add_snapshot (builder, "snapshot_before", report->format_version, &report->before);
  add_snapshot (builder, "snapshot_after", report->format_version, &report->after);
  add_judgement (builder, &report->judgement);
  add_transfer (builder, report->format_version, &report->transfer);
  json_builder_set_member_name (builder, "events");
  json_builder_begin_array (builder);
  for (guint i = 0; i < report->events->len; i++)
    {
      const FfReportEvent *event = g_ptr_array_index (report->events, i);

      json_builder_begin_object (builder);
      ff_builder_add_timestamp (builder, "time", event->time);
      ff_builder_add_string (builder, "step", event->step);
      ff_builder_add_string (builder, "message", event->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  if (ff_builder_begin_object_or_null (builder, "firmware",
                                       report->firmware_version != NULL
                                       || report->firmware_sha256 != NULL))
    {
      ff_builder_add_string (builder, "version", report->firmware_version);
      ff_builder_add_string (builder, "sha256", report->firmware_sha256);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  return ff_document_serialize (builder);
}

GBytes *
ff_report_sign (const FfReport *report,
                FfKey          *tablet_key,
                GBytes        **bytes_out,
                GError        **error)
{
  g_autoptr(GBytes) bytes = NULL;
  GBytes *signature;

  if (!ff_report_validate (report, error))
    return NULL;
  bytes = ff_report_serialize (report);
  signature = ff_key_sign (tablet_key, bytes, error);
  if (signature != NULL && bytes_out != NULL)
    *bytes_out = g_steal_pointer (&bytes);
  return signature;
}
