/* A meter app's install or upgrade result as a report (ff-platform-meter-results.h). */
#include "config.h"

#include "ff-platform-meter-results.h"

#include "ff-platform-db-private.h"
#include "ff-platform-error.h"
#include "ff-platform-meters.h"
#include "ff-sqlite.h"

#include <glib/gi18n-lib.h>

void
ff_meter_install_result_free (FfMeterInstallResult *result)
{
  if (result == NULL)
    return;
  g_free (result->meter_id);
  g_free (result->meter_name);
  g_free (result->app);
  g_free (result->outcome);
  g_free (result);
}

/* The version an install replaced is in the history row the meter's report made. */
#define SELECT_RESULTS \
  "SELECT c.id, c.meter_id, m.name, c.app," \
  " (SELECT h.from_version FROM meter_history h WHERE h.command_id = c.id ORDER BY h.id LIMIT 1)," \
  " p.version, c.outcome, c.detail, c.finished_at" \
  " FROM meter_commands c JOIN meters m ON m.meter_id = c.meter_id" \
  " JOIN meter_packages p ON p.id = c.package_id" \
  " WHERE c.op = 'install' AND c.finished_at IS NOT NULL"

static gpointer
read_result (sqlite3_stmt *stmt)
{
  FfMeterInstallResult *result = g_new0 (FfMeterInstallResult, 1);

  result->command_id = sqlite3_column_int64 (stmt, 0);
  result->meter_id = ff_sqlite_column_text (stmt, 1);
  result->meter_name = ff_sqlite_column_text (stmt, 2);
  result->app = ff_sqlite_column_text (stmt, 3);
  result->from_version = (guint32) sqlite3_column_int64 (stmt, 4);
  result->version = (guint32) sqlite3_column_int64 (stmt, 5);
  result->outcome = ff_sqlite_column_text (stmt, 6);
  result->detail = sqlite3_column_int (stmt, 7);
  result->finished_at = sqlite3_column_int64 (stmt, 8);
  return result;
}

GPtrArray *
ff_platform_db_list_meter_results (FfPlatformDb  *db,
                                   GError       **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (
    db, ff_platform_db_bind (db, SELECT_RESULTS " ORDER BY c.finished_at, c.id", error, ""),
    read_result, (GDestroyNotify) ff_meter_install_result_free, error));
}

FfMeterInstallResult *
ff_platform_db_get_meter_result (FfPlatformDb  *db,
                                 const char    *report_id,
                                 GError       **error)
{
  guint64 id = 0;
  g_autoptr(GPtrArray) rows = NULL;

  if (g_str_has_prefix (report_id, FF_METER_RESULT_PREFIX)
      && g_ascii_string_to_unsigned (report_id + strlen (FF_METER_RESULT_PREFIX), 10, 1,
                                     G_MAXINT64, &id, NULL))
    {
      rows = FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (
        db, ff_platform_db_bind (db, SELECT_RESULTS " AND c.id = ?", error, "i", (gint64) id),
        read_result, (GDestroyNotify) ff_meter_install_result_free, error));
      if (rows == NULL)
        return NULL;
    }
  if (rows == NULL || rows->len == 0)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                   _("There is no report %s"), report_id);
      return NULL;
    }
  return g_ptr_array_steal_index (rows, 0);
}

/* ready: upgraded; up-to-date: the meter had it; anything else: failed. */
static FfReportOutcome
result_outcome (const FfMeterInstallResult *result)
{
  if (g_strcmp0 (result->outcome, "ready") == 0)
    return FF_REPORT_OUTCOME_UPGRADED;
  if (g_strcmp0 (result->outcome, "up-to-date") == 0)
    return FF_REPORT_OUTCOME_ALREADY_CURRENT;
  return FF_REPORT_OUTCOME_FAILED;
}

FfReportRecord *
ff_meter_result_record (const FfMeterInstallResult *result)
{
  FfReportRecord *record = g_new0 (FfReportRecord, 1);

  record->report_id = g_strdup_printf (FF_METER_RESULT_PREFIX "%" G_GINT64_FORMAT,
                                       result->command_id);
  record->device_id = g_strdup (result->meter_id);
  record->outcome = g_strdup (ff_report_outcome_to_string (result_outcome (result)));
  record->created_at = result->finished_at;
  record->received_at = result->finished_at;
  return record;
}

/* "relay 2.0.0" */
static char *
app_version (const FfMeterInstallResult *result,
             guint32                     version)
{
  g_autofree char *text = ff_meter_version_format (version);

  return version != 0 ? g_strdup_printf ("%s %s", result->app, text) : NULL;
}

char *
ff_meter_install_failure (const char *outcome,
                          gint        detail)
{
  return g_strcmp0 (outcome, "refused") == 0
         ? g_strdup_printf (_("refused by the meter: %s"),
                            ff_meter_result_describe ((guint) detail))
         : g_strdup_printf (_("the meter reported %s"), outcome);
}

FfReport *
ff_meter_result_report (const FfMeterInstallResult *result)
{
  FfReport *report = ff_report_new (NULL, result->meter_id, NULL, NULL);
  FfReportOutcome outcome = result_outcome (result);

  g_free (report->report_id);
  report->report_id = g_strdup_printf (FF_METER_RESULT_PREFIX "%" G_GINT64_FORMAT,
                                       result->command_id);
  report->terminal_name = g_strdup (result->meter_name);
  report->created_at = result->finished_at;
  report->outcome = outcome;
  report->versions.before = app_version (result, result->from_version);
  report->versions.target = app_version (result, result->version);
  report->versions.after = outcome == FF_REPORT_OUTCOME_FAILED
                           ? g_strdup (report->versions.before)
                           : g_strdup (report->versions.target);
  if (outcome == FF_REPORT_OUTCOME_FAILED)
    {
      g_autofree char *reason = ff_meter_install_failure (result->outcome, result->detail);

      ff_report_set_failure (report, "meter-install", reason);
    }
  return report;
}

FfReport *
ff_platform_get_any_report (FfPlatformDb  *db,
                            const char    *report_id,
                            GError       **error)
{
  g_autoptr(FfReportRecord) record = NULL;
  g_autoptr(FfMeterInstallResult) result = NULL;

  if (g_str_has_prefix (report_id, FF_METER_RESULT_PREFIX))
    {
      result = ff_platform_db_get_meter_result (db, report_id, error);
      return result != NULL ? ff_meter_result_report (result) : NULL;
    }
  record = ff_platform_db_get_report (db, report_id, error);
  if (record == NULL)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                     _("There is no report %s"), report_id);
      return NULL;
    }
  return ff_report_parse (record->document, error);
}
