/* Reading a report document: parsing, the checks of each member and those that tie members
 * together, and verifying a signed one. */
#include "config.h"

#include "ff-report-private.h"

#include "ff-quality.h"
#include "ff-task.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#define MAX_EVENTS 10000
#define MAX_TEXT 4096
#define MAX_CHECKSUM 64
#define MAX_GPS_FIXES 3600

static gboolean
float_from_hex (const char *hex,
                float      *value)
{
  guint32 bits = 0;

  if (strlen (hex) != 8)
    return FALSE;
  for (int i = 0; i < 8; i++)
    {
      int digit = g_ascii_xdigit_value (hex[i]);

      if (digit < 0 || g_ascii_islower (hex[i]))
        return FALSE;
      bits = bits << 4 | (guint32) digit;
    }
  memcpy (value, &bits, sizeof bits);
  return TRUE;
}

static const char *const report_members[] = {
  "format_version", "report_id", "task_id", "device_id", "tablet_serial", "technician_phone",
  "technician_name", "terminal_name", "follows",
  "created_at", "outcome", "failure", "identity", "versions", "snapshot_before", "snapshot_after",
  "judgement", "transfer", "events", "firmware", NULL
};
/* Members format 2 added, absent from format 1 (which are still read). */
static const char *const report_members_format_2_only[] = {
  "technician_name", "terminal_name", "follows", NULL
};
static const char *const follows_members[] = { "report_id", "reopened_by", NULL };
static const char *const failure_members[] = { "reason", "step", NULL };
static const char *const identity_members_v1[] = {
  "device_id_read", "tablet_fix", "recorded", "delta_lat_arcsec", "delta_lon_arcsec",
  "distance_m", "fix_mode", "fix_age_s", "override", NULL
};
static const char *const identity_members[] = {
  "device_id_read", "tablet_fix", "recorded", "delta_lat_arcsec", "delta_lon_arcsec",
  "distance_m", "fix_mode", "fix_age_s", "override", "gps", NULL
};

/* "follows": null, or the earlier visit's report and who reopened the task item for this one. */
static gboolean
parse_follows (JsonObject  *root,
               FfReport    *report,
               GError     **error)
{
  JsonObject *follows;
  const char *report_id, *by;

  if (!ff_document_get_object (root, "", "follows", TRUE, &follows, error))
    return FALSE;
  if (follows == NULL)
    return TRUE;
  if (!ff_document_check_members (follows, "follows", follows_members, error)
      || (report_id = ff_document_get_string (follows, "follows", "report_id", FALSE, 36,
                                              error)) == NULL
      || (by = ff_document_get_string (follows, "follows", "reopened_by", FALSE,
                                       FF_NAME_MAX_LENGTH, error)) == NULL)
    return FALSE;
  if (!g_uuid_string_is_valid (report_id))
    {
      ff_document_invalid (error, "follows", "report_id", _("must be a UUID"));
      return FALSE;
    }
  report->follows = g_strdup (report_id);
  report->reopened_by = g_strdup (by);
  return TRUE;
}

static const char *const gps_members[] = { "settle_seconds", "measurements", "fixes", NULL };
static const char *const gps_fix_members[] = {
  "time", "position", "fix_mode", "accuracy_m", NULL
};
static const char *const override_members[] = { "by", "reason", NULL };
static const char *const versions_members[] = {
  "before", "before_checksum", "target", "after", "after_checksum", NULL
};
static const char *const snapshot_members[] = {
  "line_voltage", "current", "battery_voltage", "temperature", NULL
};
static const char *const signal_members[] = { "value", "hex", "unit", "quality", NULL };
static const char *const signal_members_format_1[] = { "value", "hex", "unit", NULL };
static const char *const verdict_members[] = { "deviation", "pass", NULL };
static const char *const transfer_members[] = {
  "file_name", "bytes", "segments", "seconds", "bytes_per_second", "retries", "sent", NULL
};
static const char *const transfer_members_format_1[] = {
  "file_name", "bytes", "segments", "seconds", "bytes_per_second", "retries", NULL
};
static const char *const sent_members[] = { "kind", "sha256", "wire_bytes", NULL };
static const char *const event_members[] = { "time", "step", "message", NULL };
static const char *const firmware_members[] = { "version", "sha256", NULL };

static gboolean
parse_gps_fix (JsonObject     *object,
               const char     *where,
               FfReportGpsFix *fix,
               GError        **error)
{
  const char *mode;
  JsonNode *accuracy;

  if (!ff_document_check_members (object, where, gps_fix_members, error)
      || !ff_document_get_timestamp (object, where, "time", &fix->time, error)
      || !ff_document_get_position (object, where, "position", &fix->latitude, &fix->longitude,
                                    error)
      || (mode = ff_document_get_string (object, where, "fix_mode", FALSE, 8, error)) == NULL)
    return FALSE;
  if (!g_str_equal (mode, "2d") && !g_str_equal (mode, "3d"))
    {
      ff_document_invalid (error, where, "fix_mode", _("must be \"2d\" or \"3d\""));
      return FALSE;
    }
  fix->mode = mode[0] - '0';
  accuracy = json_object_get_member (object, "accuracy_m");
  fix->accuracy_m = NAN;
  return JSON_NODE_HOLDS_NULL (accuracy)
         || ff_document_get_double (object, where, "accuracy_m", 0, 1e7, &fix->accuracy_m, error);
}

/* identity.gps (format 2): the settling period and the fixes it used. */
static gboolean
parse_gps (JsonObject       *object,
           FfReportIdentity *identity,
           GError          **error)
{
  gint64 measurements;
  JsonArray *fixes;
  guint n;

  if (!ff_document_check_members (object, "identity.gps", gps_members, error)
      || !ff_document_get_double (object, "identity.gps", "settle_seconds", 0, 3600,
                                  &identity->settle_seconds, error)
      || !ff_document_get_int (object, "identity.gps", "measurements", 0, G_MAXUINT32,
                               &measurements, error)
      || (fixes = ff_document_get_array (object, "identity.gps", "fixes", error)) == NULL)
    return FALSE;
  n = json_array_get_length (fixes);
  if (n > MAX_GPS_FIXES)
    {
      ff_document_invalid (error, "identity.gps", "fixes", _("has too many entries"));
      return FALSE;
    }
  identity->has_gps = TRUE;
  identity->measurements = (guint) measurements;
  identity->gps_fixes = g_array_sized_new (FALSE, FALSE, sizeof (FfReportGpsFix), n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *where = g_strdup_printf ("identity.gps.fixes[%u]", i);
      JsonObject *object = ff_document_array_get_object (fixes, i, where, error);
      FfReportGpsFix fix;

      if (object == NULL || !parse_gps_fix (object, where, &fix, error))
        return FALSE;
      g_array_append_val (identity->gps_fixes, fix);
    }
  return TRUE;
}

static gboolean
parse_identity (JsonObject       *object,
                int               format_version,
                FfReportIdentity *identity,
                GError          **error)
{
  const char *device_id, *fix_mode, *by = NULL, *reason = NULL;
  JsonObject *override, *gps = NULL;

  if (!ff_document_check_members (object, "identity",
                                  format_version >= 2 ? identity_members : identity_members_v1,
                                  error)
      || (device_id = ff_document_get_string (object, "identity", "device_id_read", FALSE,
                                              FF_NAME_MAX_LENGTH, error)) == NULL
      || !ff_document_get_position (object, "identity", "tablet_fix", &identity->fix_latitude,
                                    &identity->fix_longitude, error)
      || !ff_document_get_position (object, "identity", "recorded", &identity->recorded_latitude,
                                    &identity->recorded_longitude, error)
      || !ff_document_get_double (object, "identity", "delta_lat_arcsec", 0, 648000,
                                  &identity->delta_latitude_arcsec, error)
      || !ff_document_get_double (object, "identity", "delta_lon_arcsec", 0, 1296000,
                                  &identity->delta_longitude_arcsec, error)
      || !ff_document_get_double (object, "identity", "distance_m", 0, 2.1e7,
                                  &identity->distance_m, error)
      || (fix_mode = ff_document_get_string (object, "identity", "fix_mode", FALSE, 8,
                                             error)) == NULL
      || !ff_document_get_double (object, "identity", "fix_age_s", 0, 1e9, &identity->fix_age_s,
                                  error)
      || !ff_document_get_object (object, "identity", "override", TRUE, &override, error)
      || (format_version >= 2
          && !ff_document_get_object (object, "identity", "gps", TRUE, &gps, error)))
    return FALSE;
  if (gps != NULL && !parse_gps (gps, identity, error))
    return FALSE;
  if (!g_str_equal (fix_mode, "none") && !g_str_equal (fix_mode, "2d")
      && !g_str_equal (fix_mode, "3d"))
    {
      ff_document_invalid (error, "identity", "fix_mode", _("must be \"none\", \"2d\" or \"3d\""));
      return FALSE;
    }
  if (override != NULL
      && (!ff_document_check_members (override, "identity.override", override_members, error)
          || (by = ff_document_get_string (override, "identity.override", "by", FALSE,
                                           FF_NAME_MAX_LENGTH, error)) == NULL
          || (reason = ff_document_get_string (override, "identity.override", "reason", FALSE,
                                               MAX_TEXT, error)) == NULL))
    return FALSE;
  identity->present = TRUE;
  identity->device_id_read = g_strdup (device_id);
  identity->fix_mode = g_strdup (fix_mode);
  identity->override_by = g_strdup (by);
  identity->override_reason = g_strdup (reason);
  return TRUE;
}

/* Keeps a member that may be null in @value (NULL for null). A getter answers NULL both for null
 * and for an invalid member: only @local_error tells them apart. */
static gboolean
keep_nullable (const char  *text,
               GError      *local_error,
               char       **value,
               GError     **error)
{
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  *value = g_strdup (text);
  return TRUE;
}

static gboolean
get_nullable_string (JsonObject  *object,
                     const char  *where,
                     const char  *member,
                     gsize        max_length,
                     char       **value,
                     GError     **error)
{
  GError *local_error = NULL;
  const char *text = ff_document_get_string (object, where, member, TRUE, max_length,
                                             &local_error);

  return keep_nullable (text, local_error, value, error);
}

static gboolean
get_nullable_version (JsonObject  *object,
                      const char  *member,
                      char       **value,
                      GError     **error)
{
  GError *local_error = NULL;
  const char *text = ff_document_get_version (object, "versions", member, TRUE, &local_error);

  return keep_nullable (text, local_error, value, error);
}

static gboolean
parse_versions (JsonObject       *object,
                FfReportVersions *versions,
                GError          **error)
{
  return ff_document_check_members (object, "versions", versions_members, error)
         && get_nullable_version (object, "before", &versions->before, error)
         && get_nullable_string (object, "versions", "before_checksum", MAX_CHECKSUM,
                                 &versions->before_checksum, error)
         && get_nullable_version (object, "target", &versions->target, error)
         && get_nullable_version (object, "after", &versions->after, error)
         && get_nullable_string (object, "versions", "after_checksum", MAX_CHECKSUM,
                                 &versions->after_checksum, error);
}

/* A signal's "quality" (format 2): the names of its flags, an empty array for a plain
 * measurement. */
static gboolean
parse_quality (JsonObject  *signal,
               const char  *where,
               guint8      *quality,
               GError     **error)
{
  JsonArray *names = ff_document_get_array (signal, where, "quality", error);

  if (names == NULL)
    return FALSE;
  *quality = 0;
  for (guint i = 0; i < json_array_get_length (names); i++)
    {
      JsonNode *node = json_array_get_element (names, i);
      const char *name = JSON_NODE_HOLDS_VALUE (node)
                         && json_node_get_value_type (node) == G_TYPE_STRING
                         ? json_node_get_string (node) : NULL;
      guint8 flag = ff_quality_from_name (name);

      if (flag == 0 || (*quality & flag) != 0)
        {
          ff_document_invalid (error, where, "quality",
                               _("must list each of invalid, not-topical, substituted, blocked, "
                                 "overflow at most once"));
          return FALSE;
        }
      *quality |= flag;
    }
  return TRUE;
}

static gboolean
parse_snapshot (JsonObject       *object,
                const char       *where,
                int               format_version,
                FfReportSnapshot *snapshot,
                GError          **error)
{
  if (!ff_document_check_members (object, where, snapshot_members, error))
    return FALSE;
  for (FfSignal s = 0; s < FF_SIGNAL_COUNT; s++)
    {
      g_autofree char *signal_where = g_strdup_printf ("%s.%s", where, ff_signal_get_name (s));
      JsonObject *signal;
      const char *hex, *unit;
      double value;

      if (!ff_document_get_object (object, where, ff_signal_get_name (s), FALSE, &signal, error)
          || !ff_document_check_members (signal, signal_where,
                                         format_version >= 2 ? signal_members
                                                             : signal_members_format_1, error)
          || !ff_document_get_double (signal, signal_where, "value", -G_MAXFLOAT, G_MAXFLOAT,
                                      &value, error)
          || (hex = ff_document_get_string (signal, signal_where, "hex", FALSE, 8, error)) == NULL
          || (unit = ff_document_get_string (signal, signal_where, "unit", FALSE, 8,
                                             error)) == NULL)
        return FALSE;
      if (!float_from_hex (hex, &snapshot->values[s]))
        {
          ff_document_invalid (error, signal_where, "hex", _("must be 8 uppercase hex digits"));
          return FALSE;
        }
      if ((double) snapshot->values[s] != value)
        {
          ff_document_invalid (error, signal_where, "value", _("does not match its hex encoding"));
          return FALSE;
        }
      if (!g_str_equal (unit, ff_signal_get_unit (s)))
        {
          g_autofree char *problem = g_strdup_printf (_("must be \"%s\""), ff_signal_get_unit (s));
          ff_document_invalid (error, signal_where, "unit", problem);
          return FALSE;
        }
      if (format_version >= 2
          && !parse_quality (signal, signal_where, &snapshot->quality[s], error))
        return FALSE;
    }
  snapshot->present = TRUE;
  return TRUE;
}

static gboolean
parse_judgement (JsonObject        *object,
                 FfReportJudgement *judgement,
                 GError           **error)
{
  if (!ff_document_check_members (object, "judgement", snapshot_members, error))
    return FALSE;
  for (FfSignal s = 0; s < FF_SIGNAL_COUNT; s++)
    {
      g_autofree char *where = g_strdup_printf ("judgement.%s", ff_signal_get_name (s));
      JsonObject *verdict;

      if (!ff_document_get_object (object, "judgement", ff_signal_get_name (s), FALSE, &verdict,
                                   error)
          || !ff_document_check_members (verdict, where, verdict_members, error)
          || !ff_document_get_double (verdict, where, "deviation", 0, G_MAXDOUBLE,
                                      &judgement->deviation[s], error)
          || !ff_document_get_boolean (verdict, where, "pass", &judgement->pass[s], error))
        return FALSE;
    }
  judgement->present = TRUE;
  return TRUE;
}

/* transfer.sent (format 2): "image" or "delta", the file's SHA-256 and the bytes on the link. */
static gboolean
parse_sent (JsonObject       *transfer_object,
            FfReportTransfer *transfer,
            GError          **error)
{
  JsonObject *object;
  const char *kind, *sha256;

  if (!ff_document_get_object (transfer_object, "transfer", "sent", FALSE, &object, error)
      || !ff_document_check_members (object, "transfer.sent", sent_members, error)
      || (kind = ff_document_get_string (object, "transfer.sent", "kind", FALSE, 16,
                                         error)) == NULL
      || (sha256 = ff_document_get_sha256 (object, "transfer.sent", "sha256", error)) == NULL
      || !ff_document_get_int (object, "transfer.sent", "wire_bytes", 0, G_MAXINT64,
                               &transfer->wire_bytes, error))
    return FALSE;
  if (!g_str_equal (kind, "image") && !g_str_equal (kind, "delta"))
    {
      ff_document_invalid (error, "transfer.sent", "kind", _("must be image or delta"));
      return FALSE;
    }
  transfer->delta = g_str_equal (kind, "delta");
  transfer->sha256 = g_strdup (sha256);
  return TRUE;
}

static gboolean
parse_transfer (JsonObject       *object,
                int               format_version,
                FfReportTransfer *transfer,
                GError          **error)
{
  const char *file_name;
  gint64 segments, retries;

  if (!ff_document_check_members (object, "transfer",
                                  format_version >= 2 ? transfer_members
                                                      : transfer_members_format_1, error)
      || (file_name = ff_document_get_name (object, "transfer", "file_name", error)) == NULL
      || !ff_document_get_int (object, "transfer", "bytes", 0, G_MAXINT64, &transfer->bytes,
                               error)
      || !ff_document_get_int (object, "transfer", "segments", 0, G_MAXUINT32, &segments, error)
      || !ff_document_get_double (object, "transfer", "seconds", 0, 1e9, &transfer->seconds,
                                  error)
      || !ff_document_get_double (object, "transfer", "bytes_per_second", 0, 1e12,
                                  &transfer->bytes_per_second, error)
      || !ff_document_get_int (object, "transfer", "retries", 0, G_MAXUINT32, &retries, error)
      || (format_version >= 2 && !parse_sent (object, transfer, error)))
    return FALSE;
  transfer->present = TRUE;
  transfer->file_name = g_strdup (file_name);
  transfer->segments = (guint) segments;
  transfer->retries = (guint) retries;
  return TRUE;
}

static gboolean
parse_events (JsonArray *events,
              FfReport  *report,
              GError   **error)
{
  guint n = json_array_get_length (events);

  if (n > MAX_EVENTS)
    {
      ff_document_invalid (error, "", "events", _("has too many entries"));
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *where = g_strdup_printf ("events[%u]", i);
      JsonObject *object = ff_document_array_get_object (events, i, where, error);
      const char *step, *message;
      gint64 time;

      if (object == NULL
          || !ff_document_check_members (object, where, event_members, error)
          || !ff_document_get_timestamp (object, where, "time", &time, error)
          || (step = ff_document_get_string (object, where, "step", FALSE, 64, error)) == NULL
          || (message = ff_document_get_string (object, where, "message", FALSE, MAX_TEXT,
                                                error)) == NULL)
        return FALSE;
      ff_report_add_event (report, time, step, message);
    }
  return TRUE;
}

static gboolean
parse_firmware (JsonObject *object,
                FfReport   *report,
                GError    **error)
{
  const char *version, *sha256;

  if (!ff_document_check_members (object, "firmware", firmware_members, error)
      || (version = ff_document_get_version (object, "firmware", "version", FALSE, error)) == NULL
      || (sha256 = ff_document_get_sha256 (object, "firmware", "sha256", error)) == NULL)
    return FALSE;
  report->firmware_version = g_strdup (version);
  report->firmware_sha256 = g_strdup (sha256);
  return TRUE;
}

static gboolean
outcome_needs_failure (FfReportOutcome outcome)
{
  return outcome != FF_REPORT_OUTCOME_UPGRADED && outcome != FF_REPORT_OUTCOME_ALREADY_CURRENT;
}

/* The rules that tie members together, after each member is valid on its own. */
static gboolean
check_consistency (const FfReport *report,
                   GError        **error)
{
  const FfReportVersions *versions = &report->versions;

  if (outcome_needs_failure (report->outcome) != (report->failure_reason != NULL))
    {
      ff_document_invalid (error, "", "failure",
                           outcome_needs_failure (report->outcome)
                           ? _("is required for this outcome")
                           : _("must be null for this outcome"));
      return FALSE;
    }
  if (report->outcome != FF_REPORT_OUTCOME_ABORTED
      && report->outcome != FF_REPORT_OUTCOME_IDENTITY_MISMATCH && !report->identity.present)
    {
      ff_document_invalid (error, "", "identity", _("is required for this outcome"));
      return FALSE;
    }
  if (report->outcome == FF_REPORT_OUTCOME_UPGRADED
      && (versions->after == NULL || versions->target == NULL
          || ff_version_compare (versions->after, versions->target) != 0
          || report->firmware_version == NULL))
    {
      ff_document_invalid (error, "", "versions",
                           _("an upgraded terminal must run the target version afterwards"));
      return FALSE;
    }
  if (report->outcome == FF_REPORT_OUTCOME_ALREADY_CURRENT
      && (versions->before == NULL || versions->target == NULL
          || ff_version_compare (versions->before, versions->target) != 0))
    {
      ff_document_invalid (error, "", "versions",
                           _("an already-current terminal must run the target version before"));
      return FALSE;
    }
  if (report->judgement.present && !(report->before.present && report->after.present))
    {
      ff_document_invalid (error, "", "judgement", _("needs both snapshots"));
      return FALSE;
    }
  /* The image sent is the firmware the report names; a patch is another file that makes it. */
  if (report->transfer.sha256 != NULL
      && report->transfer.delta == (g_strcmp0 (report->transfer.sha256,
                                               report->firmware_sha256) == 0))
    {
      ff_document_invalid (error, "transfer.sent", "sha256",
                           report->transfer.delta ? _("a delta patch is not the firmware it makes")
                                                  : _("must be the firmware's SHA-256"));
      return FALSE;
    }
  for (FfSignal s = 0; report->judgement.present && s < FF_SIGNAL_COUNT; s++)
    if (report->judgement.pass[s] && (!ff_quality_is_good (report->before.quality[s])
                                      || !ff_quality_is_good (report->after.quality[s])))
      {
        g_autofree char *where = g_strdup_printf ("judgement.%s", ff_signal_get_name (s));

        ff_document_invalid (error, where, "pass",
                             _("a reading with a quality flag cannot pass"));
        return FALSE;
      }
  return TRUE;
}

/* The members of @format_version: format 1 lacks those format 2 added. */
static gboolean
check_report_members (JsonObject  *root,
                      gint64       format_version,
                      GError     **error)
{
  g_autoptr(GPtrArray) members = g_ptr_array_new ();

  for (guint i = 0; report_members[i] != NULL; i++)
    if (format_version >= 2 || !g_strv_contains (report_members_format_2_only, report_members[i]))
      g_ptr_array_add (members, (char *) report_members[i]);
  g_ptr_array_add (members, NULL);
  return ff_document_check_members (root, "", (const char *const *) members->pdata, error);
}

FfReport *
ff_report_parse (GBytes  *bytes,
                 GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(FfReport) report = ff_report_new_empty ();
  JsonObject *root, *failure, *identity, *versions, *before, *after, *judgement, *transfer;
  JsonObject *firmware;
  JsonArray *events;
  const char *report_id, *task_id, *device_id, *tablet, *phone, *outcome;
  gint64 format_version;

  parser = ff_document_parse_object (bytes, &root, error);
  if (parser == NULL
      || !ff_document_get_int (root, "", "format_version",
                               FF_REPORT_FORMAT_VERSION_OLDEST, FF_REPORT_FORMAT_VERSION,
                               &format_version, error)
      || !check_report_members (root, format_version, error)
      || (report_id = ff_document_get_string (root, "", "report_id", FALSE, 36, error)) == NULL
      || (task_id = ff_document_get_string (root, "", "task_id", FALSE, 64, error)) == NULL
      || (device_id = ff_document_get_name (root, "", "device_id", error)) == NULL
      || (tablet = ff_document_get_name (root, "", "tablet_serial", error)) == NULL
      || (phone = ff_document_get_string (root, "", "technician_phone", FALSE, 11,
                                          error)) == NULL
      || !ff_document_get_timestamp (root, "", "created_at", &report->created_at, error)
      || (outcome = ff_document_get_string (root, "", "outcome", FALSE, 32, error)) == NULL
      || !ff_document_get_object (root, "", "failure", TRUE, &failure, error)
      || !ff_document_get_object (root, "", "identity", TRUE, &identity, error)
      || !ff_document_get_object (root, "", "versions", FALSE, &versions, error)
      || !ff_document_get_object (root, "", "snapshot_before", TRUE, &before, error)
      || !ff_document_get_object (root, "", "snapshot_after", TRUE, &after, error)
      || !ff_document_get_object (root, "", "judgement", TRUE, &judgement, error)
      || !ff_document_get_object (root, "", "transfer", TRUE, &transfer, error)
      || (events = ff_document_get_array (root, "", "events", error)) == NULL
      || !ff_document_get_object (root, "", "firmware", TRUE, &firmware, error))
    return NULL;

  if (!g_uuid_string_is_valid (report_id))
    {
      ff_document_invalid (error, "", "report_id", _("must be a UUID"));
      return NULL;
    }
  if (!ff_task_id_is_valid (task_id))
    {
      ff_document_invalid (error, "", "task_id", _("is not a valid task ID"));
      return NULL;
    }
  if (!ff_phone_is_valid (phone))
    {
      ff_document_invalid (error, "", "technician_phone",
                           _("must be an 11-digit mobile number starting with 1"));
      return NULL;
    }
  if (!ff_report_outcome_from_string (outcome, &report->outcome))
    {
      ff_document_invalid (error, "", "outcome",
                           _("must be one of upgraded, already-current, failed, rolled-back, "
                             "identity-mismatch, aborted"));
      return NULL;
    }
  report->format_version = (int) format_version;
  report->report_id = g_strdup (report_id);
  report->task_id = g_strdup (task_id);
  report->device_id = g_strdup (device_id);
  report->tablet_serial = g_strdup (tablet);
  report->technician_phone = g_strdup (phone);
  /* The names of the task's technician and terminal, as the report keeps them: text or null. */
  if (format_version >= 2
      && (!get_nullable_string (root, "", "technician_name", FF_NAME_MAX_LENGTH,
                                &report->technician_name, error)
          || !get_nullable_string (root, "", "terminal_name", FF_NAME_MAX_LENGTH,
                                   &report->terminal_name, error)
          || !parse_follows (root, report, error)))
    return NULL;

  if (failure != NULL)
    {
      const char *reason, *step;

      if (!ff_document_check_members (failure, "failure", failure_members, error)
          || (reason = ff_document_get_string (failure, "failure", "reason", FALSE, MAX_TEXT,
                                               error)) == NULL
          || (step = ff_document_get_string (failure, "failure", "step", FALSE, 64,
                                             error)) == NULL)
        return NULL;
      ff_report_set_failure (report, step, reason);
    }
  if ((identity != NULL
       && !parse_identity (identity, report->format_version, &report->identity, error))
      || !parse_versions (versions, &report->versions, error)
      || (before != NULL && !parse_snapshot (before, "snapshot_before", report->format_version,
                                             &report->before, error))
      || (after != NULL && !parse_snapshot (after, "snapshot_after", report->format_version,
                                            &report->after, error))
      || (judgement != NULL && !parse_judgement (judgement, &report->judgement, error))
      || (transfer != NULL
          && !parse_transfer (transfer, report->format_version, &report->transfer, error))
      || !parse_events (events, report, error)
      || (firmware != NULL && !parse_firmware (firmware, report, error))
      || !check_consistency (report, error))
    return NULL;
  return g_steal_pointer (&report);
}

FfReport *
ff_report_load_signed (GBytes  *bytes,
                       GBytes  *signature,
                       FfKey   *tablet_key,
                       GError **error)
{
  if (!ff_key_verify (tablet_key, bytes, signature, error))
    return NULL;
  return ff_report_parse (bytes, error);
}
