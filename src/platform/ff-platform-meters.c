/* Smart meters in the ledger (ff-platform-meters.h, schema 8). */
#include "config.h"

#include "ff-platform-meters.h"

#include "ff-document.h"

#include "ff-platform-campaign-meters.h"
#include "ff-platform-db-private.h"
#include "ff-platform-error.h"
#include "ff-sqlite.h"
#include "ffmeter-download.h"

#include <glib/gi18n-lib.h>
#include <string.h>


guint32
ff_meter_version_parse (const char *text)
{
  static const guint64 limits[] = { G_MAXUINT16, 255, 255 };
  guint64 numbers[3] = { 0, 0, 0 };
  g_auto(GStrv) parts = NULL;
  guint n;

  if (text == NULL)
    return 0;
  if (*text == 'V' || *text == 'v')
    text++;
  parts = g_strsplit (text, ".", -1);
  n = g_strv_length (parts);
  if (n < 1 || n > 3)
    return 0;
  for (guint i = 0; i < n; i++)
    if (!g_ascii_string_to_unsigned (parts[i], 10, 0, limits[i], &numbers[i], NULL))
      return 0;
  return (guint32) (numbers[0] << 16 | numbers[1] << 8 | numbers[2]);
}

char *
ff_meter_version_format (guint32 version)
{
  return g_strdup_printf ("%u.%u.%u", version >> 16, (version >> 8) & 0xff, version & 0xff);
}

gboolean
ff_meter_id_is_valid (const char *meter_id)
{
  return ff_name_is_safe (meter_id) && strpbrk (meter_id, "*&=?#%") == NULL;
}

gboolean
ff_meter_app_versions_add (GHashTable *versions,
                           const char *item)
{
  const char *equals = strchr (item, '=');
  g_autofree char *app = equals ? g_strndup (item, equals - item) : NULL;
  guint32 version = equals ? ff_meter_version_parse (equals + 1) : 0;

  if (app == NULL || !ff_name_is_safe (app) || version == 0
      || g_hash_table_contains (versions, app))
    return FALSE;
  g_hash_table_insert (versions, g_steal_pointer (&app), GUINT_TO_POINTER (version));
  return TRUE;
}

void
ff_meter_free (FfMeter *meter)
{
  if (meter == NULL)
    return;
  g_free (meter->meter_id);
  g_free (meter->name);
  g_free (meter->vendor);
  g_free (meter->model);
  g_clear_pointer (&meter->psk, g_bytes_unref);
  g_free (meter);
}

void
ff_meter_package_free (FfMeterPackage *package)
{
  if (package == NULL)
    return;
  g_free (package->app);
  g_free (package->vendor);
  g_free (package->sha256);
  g_free (package);
}

void
ff_meter_app_record_free (FfMeterAppRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->meter_id);
  g_free (record->app);
  g_free (record->state);
  g_free (record->command_op);
  g_free (record->command_outcome);
  g_free (record);
}

gboolean
ff_meter_app_record_is_installed (const FfMeterAppRecord *record)
{
  return record != NULL && !g_str_equal (record->state, "uninstalled")
         && !g_str_equal (record->state, FF_METER_APP_ABSENT);
}

void
ff_meter_command_free (FfMeterCommand *command)
{
  if (command == NULL)
    return;
  g_free (command->meter_id);
  g_free (command->app);
  g_free (command->op);
  g_free (command);
}

void
ff_meter_history_free (FfMeterHistory *history)
{
  if (history == NULL)
    return;
  g_free (history->meter_id);
  g_free (history->app);
  g_free (history->state);
  g_free (history->source);
  g_free (history);
}

void
ff_meter_report_outcome_clear (FfMeterReportOutcome *outcome)
{
  g_clear_pointer (&outcome->op, g_free);
  g_clear_pointer (&outcome->app, g_free);
  g_clear_pointer (&outcome->outcome, g_free);
}

/* The first row of @stmt read with @read_row, or NULL (error set only on failure). */
static gpointer
first_row (FfPlatformDb   *db,
           sqlite3_stmt   *stmt,
           gpointer      (*read_row) (sqlite3_stmt *stmt),
           GDestroyNotify  free_row,
           GError        **error)
{
  g_autoptr(GPtrArray) rows = ff_platform_db_collect_rows (db, stmt, read_row, free_row, error);

  return rows != NULL && rows->len > 0 ? g_ptr_array_steal_index (rows, 0) : NULL;
}

/* ---- meters */

#define SELECT_METERS "SELECT meter_id, name, vendor, model, added_at, psk FROM meters"

static gpointer
read_meter (sqlite3_stmt *stmt)
{
  FfMeter *meter = g_new0 (FfMeter, 1);

  meter->meter_id = ff_sqlite_column_text (stmt, 0);
  meter->name = ff_sqlite_column_text (stmt, 1);
  meter->vendor = ff_sqlite_column_text (stmt, 2);
  meter->model = ff_sqlite_column_text (stmt, 3);
  meter->added_at = sqlite3_column_int64 (stmt, 4);
  if (sqlite3_column_type (stmt, 5) != SQLITE_NULL)
    meter->psk = ff_sqlite_column_bytes (stmt, 5);
  return meter;
}

static FfMeter *
get_meter (FfPlatformDb *db,
           const char   *meter_id,
           GError      **error)
{
  return first_row (db, ff_platform_db_bind (db, SELECT_METERS " WHERE meter_id = ?", error, "s",
                                             meter_id),
                    read_meter, (GDestroyNotify) ff_meter_free, error);
}

FfMeter *
ff_platform_db_require_meter (FfPlatformDb *db,
                              const char   *meter_id,
                              GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  FfMeter *meter = FF_PLATFORM_DB_LOCKED (db, get_meter (db, meter_id, &local_error));

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (meter == NULL)
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                 _("No meter %s in the ledger"), meter_id);
  return meter;
}

GPtrArray *
ff_platform_db_list_meters (FfPlatformDb *db,
                            GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      SELECT_METERS " ORDER BY meter_id", error, ""), read_meter, (GDestroyNotify) ff_meter_free,
      error));
}

/* ---- packages */

#define SELECT_PACKAGES \
  "SELECT id, app, app_id, version, resident, vendor, sha256, size, added_at FROM meter_packages"

static gpointer
read_package (sqlite3_stmt *stmt)
{
  FfMeterPackage *package = g_new0 (FfMeterPackage, 1);

  package->id = sqlite3_column_int64 (stmt, 0);
  package->app = ff_sqlite_column_text (stmt, 1);
  package->app_id = (guint) sqlite3_column_int (stmt, 2);
  package->version = (guint32) sqlite3_column_int64 (stmt, 3);
  package->resident = sqlite3_column_int (stmt, 4) != 0;
  package->vendor = ff_sqlite_column_text (stmt, 5);
  package->sha256 = ff_sqlite_column_text (stmt, 6);
  package->size = sqlite3_column_int64 (stmt, 7);
  package->added_at = sqlite3_column_int64 (stmt, 8);
  return package;
}

/* Any package of the app named @app, or of the app numbered @app_id: they name the same app. */
static FfMeterPackage *
get_app (FfPlatformDb *db,
         const char   *app,
         guint         app_id,
         GError      **error)
{
  return first_row (db, ff_platform_db_bind (db,
      SELECT_PACKAGES " WHERE app = ?1 OR app_id = ?2 LIMIT 1", error, "si", app, (gint64) app_id),
      read_package, (GDestroyNotify) ff_meter_package_free, error);
}

static FfMeterPackage *
find_package (FfPlatformDb *db,
              const char   *app,
              guint32       version,
              GError      **error)
{
  return first_row (db, ff_platform_db_bind (db, SELECT_PACKAGES " WHERE app = ?1 AND version = ?2",
                                             error, "si", app, (gint64) version),
                    read_package, (GDestroyNotify) ff_meter_package_free, error);
}

FfMeterPackage *
ff_platform_db_find_meter_package (FfPlatformDb *db,
                                   const char   *app,
                                   guint32       version,
                                   GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, find_package (db, app, version, error));
}

GPtrArray *
ff_platform_db_list_meter_packages (FfPlatformDb *db,
                                    GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      SELECT_PACKAGES " ORDER BY app, version", error, ""), read_package,
      (GDestroyNotify) ff_meter_package_free, error));
}

static gboolean
add_package (FfPlatformDb *db,
             gpointer      user_data,
             GError      **error)
{
  FfMeterPackage *package = user_data;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(FfMeterPackage) known = get_app (db, package->app, package->app_id, &local_error);
  g_autoptr(FfMeterPackage) same = NULL;
  g_autofree char *version = ff_meter_version_format (package->version);

  if (local_error == NULL && known != NULL
      && (!g_str_equal (known->app, package->app) || known->app_id != package->app_id))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                   _("The app %s is number %u on the meters (app number %u is %s): the numbers "
                     "of an app's packages must agree"),
                   known->app, known->app_id, known->app_id, known->app);
      return FALSE;
    }
  if (local_error == NULL)
    same = find_package (db, package->app, package->version, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (same != NULL)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                   _("The app %s %s has a package already"), package->app, version);
      return FALSE;
    }
  if (!ff_platform_db_run (db, ff_platform_db_bind (db,
        "INSERT INTO meter_packages (app, app_id, version,"
        " resident, vendor, sha256, size, added_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        error, "siiissii", package->app, (gint64) package->app_id,
        (gint64) package->version, (gint64) package->resident,
        package->vendor, package->sha256, package->size, package->added_at), error))
    return FALSE;
  package->id = ff_platform_db_last_insert_id (db);
  return TRUE;
}

gboolean
ff_platform_db_add_meter_package (FfPlatformDb   *db,
                                  FfMeterPackage *package,
                                  GError        **error)
{
  return ff_platform_db_transaction (db, add_package, package, error);
}

/* ---- meters and their apps */

static gboolean
add_history (FfPlatformDb *db,
             const char   *meter_id,
             const char   *app,
             gint64        now,
             guint32       from_version,
             guint32       to_version,
             const char   *state,
             const char   *source,
             gint64        command_id,
             GError      **error)
{
  return ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO meter_history (meter_id, app, changed_at,"
      " from_version, to_version, state, source, command_id)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error, "ssinissn", meter_id, app, now,
      (gint64) from_version, (gint64) to_version, state, source, command_id), error);
}

typedef struct
{
  const FfMeter *meter;
  GHashTable    *apps;
  gint64         now;
} AddingMeter;

static gboolean
add_meter (FfPlatformDb *db,
           gpointer      user_data,
           GError      **error)
{
  AddingMeter *adding = user_data;
  const FfMeter *meter = adding->meter;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(FfMeter) known = get_meter (db, meter->meter_id, &local_error);
  GHashTableIter iter;
  gpointer name, version;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (known != NULL)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                   _("The meter %s is in the ledger already"), meter->meter_id);
      return FALSE;
    }
  if (!ff_platform_db_run (db, ff_platform_db_bind (db,
        "INSERT INTO meters (meter_id, name, vendor, model,"
        " added_at, psk) VALUES (?, ?, ?, ?, ?, ?)",
        error, "ssssiB", meter->meter_id, meter->name, meter->vendor,
        meter->model, adding->now, meter->psk), error))
    return FALSE;
  g_hash_table_iter_init (&iter, adding->apps);
  while (g_hash_table_iter_next (&iter, &name, &version))
    {
      g_autoptr(FfMeterPackage) app = get_app (db, name, 0, &local_error);

      if (app == NULL)
        {
          if (local_error != NULL)
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                         _("No package of an app %s: add one first (meters apps add-package), "
                           "it gives the app's number"), (const char *) name);
          return FALSE;
        }
      if (!ff_platform_db_run (db, ff_platform_db_bind (db,
            "INSERT INTO meter_apps (meter_id, app, version,"
            " state, updated_at) VALUES (?, ?, ?, 'running', ?)",
            error, "ssii", meter->meter_id, name, (gint64) GPOINTER_TO_UINT (version), adding->now),
            error)
          || !add_history (db, meter->meter_id, name, adding->now, 0, GPOINTER_TO_UINT (version),
                           "running", "ledger", 0, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
ff_platform_db_add_meter (FfPlatformDb  *db,
                          const FfMeter *meter,
                          GHashTable    *apps,
                          gint64         now,
                          GError       **error)
{
  AddingMeter adding = { meter, apps, now };

  return ff_platform_db_transaction (db, add_meter, &adding, error);
}

/* Whether the ledger's @known meter is @meter with these app versions. */
static gboolean
same_meter (FfPlatformDb  *db,
            const FfMeter *known,
            const FfMeter *meter,
            GHashTable    *apps,
            gboolean      *same,
            GError       **error)
{
  g_autoptr(GPtrArray) listed = ff_platform_db_list_meter_apps (db, meter->meter_id, error);
  guint count = 0;

  if (listed == NULL)
    return FALSE;
  *same = g_str_equal (known->name, meter->name) && g_str_equal (known->vendor, meter->vendor)
          && g_str_equal (known->model, meter->model)
          && (known->psk == NULL ? meter->psk == NULL
                                 : meter->psk != NULL && g_bytes_equal (known->psk, meter->psk));
  for (guint i = 0; i < listed->len; i++)
    {
      const FfMeterAppRecord *app = g_ptr_array_index (listed, i);
      gpointer version;

      if (g_str_equal (app->state, FF_METER_APP_ABSENT))
        continue;   /* not on the meter: an install on its way */
      count++;
      if (!g_hash_table_lookup_extended (apps, app->app, NULL, &version)
          || GPOINTER_TO_UINT (version) != app->version)
        *same = FALSE;
    }
  if (count != g_hash_table_size (apps))
    *same = FALSE;
  return TRUE;
}

typedef struct
{
  const char *path;
  GPtrArray  *rows;
  gint64      now;
  guint       added, unchanged;
} ImportingMeters;

static gboolean
import_meters (FfPlatformDb *db,
               gpointer      user_data,
               GError      **error)
{
  ImportingMeters *importing = user_data;

  importing->added = importing->unchanged = 0;
  for (guint i = 0; i < importing->rows->len; i++)
    {
      const FfMeterImportRow *row = g_ptr_array_index (importing->rows, i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(FfMeter) known = get_meter (db, row->meter->meter_id, &local_error);
      AddingMeter adding = { row->meter, row->apps, importing->now };
      gboolean same = FALSE;

      if (known != NULL && same_meter (db, known, row->meter, row->apps, &same, &local_error)
          && !same)
        g_set_error (&local_error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                     _("the meter %s is already in the ledger with other data"),
                     row->meter->meter_id);
      else if (known == NULL && local_error == NULL)
        (void) add_meter (db, &adding, &local_error);
      if (local_error != NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      _("%s: line %u: nothing was imported: "), importing->path,
                                      row->line);
          return FALSE;
        }
      if (known != NULL)
        importing->unchanged++;
      else
        importing->added++;
    }
  return TRUE;
}

gboolean
ff_platform_db_import_meters (FfPlatformDb *db,
                              const char   *path,
                              GPtrArray    *rows,
                              gint64        now,
                              guint        *added,
                              guint        *unchanged,
                              GError      **error)
{
  ImportingMeters importing = { path, rows, now, 0, 0 };

  if (!ff_platform_db_transaction (db, import_meters, &importing, error))
    return FALSE;
  *added = importing.added;
  *unchanged = importing.unchanged;
  return TRUE;
}

/* Each app of the meter with its number and its last command; an app the ledger does not list
 * on the meter but a command names (an install of a new app) is there as absent, version 0. */
#define SELECT_APPS \
  "SELECT a.meter_id, a.app, (SELECT app_id FROM meter_packages k WHERE k.app = a.app LIMIT 1)," \
  " a.version, a.state, a.updated_at, c.id, c.op, p.version, c.sent_at, c.finished_at," \
  " c.outcome, c.detail FROM" \
  " (SELECT meter_id, app, version, state, updated_at FROM meter_apps UNION ALL" \
  "  SELECT meter_id, app, 0, '" FF_METER_APP_ABSENT "', min (created_at) FROM meter_commands n" \
  "  WHERE NOT EXISTS (SELECT 1 FROM meter_apps m WHERE m.meter_id = n.meter_id" \
  "    AND m.app = n.app) GROUP BY meter_id, app) a" \
  " LEFT JOIN meter_commands c ON c.id = (SELECT max (id) FROM meter_commands" \
  "   WHERE meter_id = a.meter_id AND app = a.app)" \
  " LEFT JOIN meter_packages p ON p.id = c.package_id"

static gpointer
read_app (sqlite3_stmt *stmt)
{
  FfMeterAppRecord *record = g_new0 (FfMeterAppRecord, 1);

  record->meter_id = ff_sqlite_column_text (stmt, 0);
  record->app = ff_sqlite_column_text (stmt, 1);
  record->app_id = (guint) sqlite3_column_int (stmt, 2);
  record->version = (guint32) sqlite3_column_int64 (stmt, 3);
  record->state = ff_sqlite_column_text (stmt, 4);
  record->updated_at = sqlite3_column_int64 (stmt, 5);
  record->command_id = sqlite3_column_int64 (stmt, 6);
  record->command_op = ff_sqlite_column_text (stmt, 7);
  record->command_version = (guint32) sqlite3_column_int64 (stmt, 8);
  record->command_sent_at = sqlite3_column_int64 (stmt, 9);
  record->command_finished_at = sqlite3_column_int64 (stmt, 10);
  record->command_outcome = ff_sqlite_column_text (stmt, 11);
  record->command_detail = sqlite3_column_int (stmt, 12);
  return record;
}

GPtrArray *
ff_platform_db_list_meter_apps (FfPlatformDb *db,
                                const char   *meter_id,
                                GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      SELECT_APPS " WHERE a.meter_id = ? ORDER BY a.app", error, "s", meter_id), read_app,
      (GDestroyNotify) ff_meter_app_record_free, error));
}

static FfMeterAppRecord *
get_meter_app (FfPlatformDb *db,
               const char   *meter_id,
               const char   *app,
               GError      **error)
{
  return first_row (db, ff_platform_db_bind (db,
      SELECT_APPS " WHERE a.meter_id = ?1 AND a.app = ?2", error, "ss", meter_id, app),
      read_app, (GDestroyNotify) ff_meter_app_record_free, error);
}

/* ---- commands */

typedef struct
{
  const char *meter_id;
  const char *app;
  const char *op;
  guint32     version;
  gint64      now;
  gint64      command_id;
} Queueing;

static gboolean
queue_command (FfPlatformDb *db,
               gpointer      user_data,
               GError      **error)
{
  Queueing *q = user_data;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(FfMeter) meter = get_meter (db, q->meter_id, &local_error);
  g_autoptr(FfMeterPackage) app = NULL;
  g_autoptr(FfMeterPackage) package = NULL;
  FfMeterAppRecord *record = NULL;
  g_autofree char *version = ff_meter_version_format (q->version);
  gboolean ok;

  if (local_error == NULL && meter != NULL)
    app = get_app (db, q->app, 0, &local_error);
  if (local_error == NULL && app != NULL)
    record = get_meter_app (db, q->meter_id, q->app, &local_error);
  if (local_error == NULL && app != NULL && q->version != 0)
    package = find_package (db, q->app, q->version, &local_error);
  if (local_error != NULL)
    {
      ff_meter_app_record_free (record);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (meter == NULL)
    ok = ff_platform_refuse (error, _("No meter %s in the ledger"), q->meter_id);
  else if (app == NULL)
    ok = ff_platform_refuse (error, _("No app %s: no package of it was added"), q->app);
  else if (g_str_equal (q->op, FF_METER_OP_INSTALL) && package == NULL)
    ok = ff_platform_refuse (error,
                             _("No package of %s %s: add it first (meters apps add-package)"),
                             q->app, version);
  else if (g_str_equal (q->op, FF_METER_OP_INSTALL) && record != NULL
           && ff_meter_app_record_is_installed (record) && record->version >= q->version)
    {
      g_autofree char *installed = ff_meter_version_format (record->version);

      ok = ff_platform_refuse (error, _("The meter %s runs %s %s: %s is not newer"), q->meter_id,
                               q->app, installed, version);
    }
  else if (!g_str_equal (q->op, FF_METER_OP_INSTALL)
           && !ff_meter_app_record_is_installed (record))
    ok = ff_platform_refuse (error, _("The ledger lists no %s on the meter %s"), q->app,
                             q->meter_id);
  else
    {
      ok = ff_platform_db_run (db, ff_platform_db_bind (db,
          "INSERT INTO meter_commands (meter_id, app, op,"
          " package_id, created_at) VALUES (?, ?, ?, ?, ?)",
          error, "sssni", q->meter_id, q->app, q->op, package != NULL ? package->id : 0, q->now),
          error);
      q->command_id = ff_platform_db_last_insert_id (db);
    }
  ff_meter_app_record_free (record);
  return ok;
}

gboolean
ff_platform_db_queue_meter_command (FfPlatformDb *db,
                                    const char   *meter_id,
                                    const char   *app,
                                    const char   *op,
                                    guint32       version,
                                    gint64        now,
                                    gint64       *command_id,
                                    GError      **error)
{
  Queueing queueing = { meter_id, app, op, version, now, 0 };
  gboolean ok = ff_platform_db_transaction (db, queue_command, &queueing, error);

  *command_id = queueing.command_id;
  return ok;
}

#define SELECT_OPEN_COMMAND \
  "SELECT c.id, c.meter_id, c.app, p0.app_id, c.op, c.package_id, p.version, c.created_at," \
  " c.sent_at FROM meter_commands c" \
  " JOIN meter_packages p0 ON p0.id = (SELECT min (id) FROM meter_packages WHERE app = c.app)" \
  " LEFT JOIN meter_packages p ON p.id = c.package_id" \
  " WHERE c.meter_id = ?1 AND p0.app_id = ?2 AND c.finished_at IS NULL"

static gpointer
read_command (sqlite3_stmt *stmt)
{
  FfMeterCommand *command = g_new0 (FfMeterCommand, 1);

  command->id = sqlite3_column_int64 (stmt, 0);
  command->meter_id = ff_sqlite_column_text (stmt, 1);
  command->app = ff_sqlite_column_text (stmt, 2);
  command->app_id = (guint) sqlite3_column_int (stmt, 3);
  command->op = ff_sqlite_column_text (stmt, 4);
  command->package_id = sqlite3_column_int64 (stmt, 5);
  command->version = (guint32) sqlite3_column_int64 (stmt, 6);
  command->created_at = sqlite3_column_int64 (stmt, 7);
  command->sent_at = sqlite3_column_int64 (stmt, 8);
  return command;
}

static FfMeterCommand *
next_command (FfPlatformDb *db,
              const char   *meter_id,
              guint         app_id,
              gboolean      sent_only,
              GError      **error)
{
  const char *sql = sent_only ? SELECT_OPEN_COMMAND " AND c.sent_at IS NOT NULL ORDER BY c.id"
                                                    " LIMIT 1"
                              : SELECT_OPEN_COMMAND " ORDER BY c.id LIMIT 1";

  return first_row (db, ff_platform_db_bind (db, sql, error, "si", meter_id, (gint64) app_id),
                    read_command, (GDestroyNotify) ff_meter_command_free, error);
}

FfMeterCommand *
ff_platform_db_next_meter_command (FfPlatformDb *db,
                                   const char   *meter_id,
                                   guint         app_id,
                                   GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, next_command (db, meter_id, app_id, FALSE, error));
}

static gboolean
mark_sent (FfPlatformDb *db,
           gint64        command_id,
           const char   *sent_kind,
           gint64        now,
           gboolean     *marked,
           GError      **error)
{
  if (!ff_platform_db_run (db, ff_platform_db_bind (db,
        "UPDATE meter_commands SET sent_at = ?2, sent_kind = ?3"
        " WHERE id = ?1 AND sent_at IS NULL", error, "iis", command_id, now, sent_kind), error))
    return FALSE;
  *marked = ff_platform_db_changes (db) > 0;
  return TRUE;
}

gboolean
ff_platform_db_mark_meter_command_sent (FfPlatformDb *db,
                                        gint64        command_id,
                                        const char   *sent_kind,
                                        gint64        now,
                                        gboolean     *marked,
                                        GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, mark_sent (db, command_id, sent_kind, now, marked, error));
}

/* ---- reports */

static const char *const report_outcomes[] = {
  [FFMETER_REPORT_READY] = "ready",
  [FFMETER_REPORT_UP_TO_DATE] = "up-to-date",
  [FFMETER_REPORT_BAD_START] = "bad-start",
  [FFMETER_REPORT_BAD_CHECKSUM] = "bad-checksum",
  [FFMETER_REPORT_APPLY_FAILED] = "apply-failed",
  [FFMETER_REPORT_REFUSED] = "refused",
  [FFMETER_REPORT_STORAGE] = "storage",
};

typedef struct
{
  const char           *meter_id;
  guint                 app_id;
  guint32               version;
  guint                 status;
  guint                 detail;
  gint64                now;
  FfMeterReportOutcome *outcome;
} Reporting;

/* The state a carried-out command leaves the app in. */
static const char *
state_after (const char *op)
{
  if (g_str_equal (op, FF_METER_OP_START))
    return "running";
  if (g_str_equal (op, FF_METER_OP_STOP))
    return "stopped";
  if (g_str_equal (op, FF_METER_OP_UNINSTALL))
    return "uninstalled";
  return "ready";
}

static gboolean
ingest_report (FfPlatformDb *db,
               gpointer      user_data,
               GError      **error)
{
  Reporting *r = user_data;
  FfMeterReportOutcome *out = r->outcome;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(FfMeterCommand) command = next_command (db, r->meter_id, r->app_id, TRUE,
                                                    &local_error);
  FfMeterAppRecord *record = NULL;
  gboolean install, changed;
  guint32 from_version = 0, to_version;
  const char *state;
  gboolean ok = TRUE;

  if (local_error == NULL && command != NULL)
    record = get_meter_app (db, r->meter_id, command->app, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  install = command != NULL && g_str_equal (command->op, FF_METER_OP_INSTALL);
  /* A report about another version, or a command's outcome for an install (or the reverse), is
   * not this command's answer: a late copy of an older one. */
  if (command == NULL
      || (install && (r->version != command->version || r->status == FFMETER_REPORT_COMMAND))
      || (!install && r->status != FFMETER_REPORT_COMMAND))
    {
      ff_meter_app_record_free (record);
      return TRUE;
    }
  out->command_id = command->id;
  out->op = g_strdup (command->op);
  out->app = g_strdup (command->app);
  if (record != NULL)
    from_version = record->version;
  to_version = from_version;
  if (install)
    {
      out->outcome = g_strdup (r->status < G_N_ELEMENTS (report_outcomes)
                               ? report_outcomes[r->status] : "invalid");
      out->detail = r->status == FFMETER_REPORT_REFUSED ? (gint) r->detail : 0;
      /* Up to date: the meter has this version or a newer one, which the ledger did not know. */
      changed = r->status == FFMETER_REPORT_READY || r->status == FFMETER_REPORT_UP_TO_DATE;
      if (changed)
        to_version = MAX (from_version, command->version);
      if (ff_meter_app_record_is_installed (record))
        changed &= to_version != from_version;
    }
  else
    {
      out->outcome = g_strdup (r->detail == FFMETER_OK ? "done" : "refused");
      out->detail = (gint) r->detail;
      changed = r->detail == FFMETER_OK;
    }
  state = state_after (command->op);
  ff_meter_app_record_free (record);
  out->version = to_version;
  ok = ff_platform_db_run (db, ff_platform_db_bind (db,
      "UPDATE meter_commands SET finished_at = ?2, outcome = ?3,"
      " detail = ?4 WHERE id = ?1", error, "iisi", command->id, r->now, out->outcome,
      (gint64) out->detail), error);
  /* An install's outcome counts toward the wave of the campaign that queued it, if any. */
  if (ok && install)
    ok = ff_platform_db_campaign_take_meter_result (db, command->meter_id, command->id, out->outcome, out->detail,
                                                    r->now, error);
  if (ok && changed)
    ok = ff_platform_db_run (db, ff_platform_db_bind (db,
        "INSERT INTO meter_apps (meter_id, app, version, state,"
        " updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (meter_id, app) DO UPDATE SET"
        " version = ?3, state = ?4, updated_at = ?5", error, "ssisi", r->meter_id, command->app,
        (gint64) to_version, state, r->now), error)
         && add_history (db, r->meter_id, command->app, r->now, from_version, to_version, state,
                         "meter", command->id, error);
  return ok;
}

gboolean
ff_platform_db_meter_report (FfPlatformDb         *db,
                             const char           *meter_id,
                             guint                 app_id,
                             guint32               version,
                             guint                 status,
                             guint                 detail,
                             gint64                now,
                             FfMeterReportOutcome *outcome,
                             GError              **error)
{
  Reporting reporting = { meter_id, app_id, version, status, detail, now, outcome };

  memset (outcome, 0, sizeof *outcome);
  return ff_platform_db_transaction (db, ingest_report, &reporting, error);
}

/* ---- history */

static gpointer
read_history (sqlite3_stmt *stmt)
{
  FfMeterHistory *history = g_new0 (FfMeterHistory, 1);

  history->id = sqlite3_column_int64 (stmt, 0);
  history->meter_id = ff_sqlite_column_text (stmt, 1);
  history->app = ff_sqlite_column_text (stmt, 2);
  history->changed_at = sqlite3_column_int64 (stmt, 3);
  history->from_version = (guint32) sqlite3_column_int64 (stmt, 4);
  history->to_version = (guint32) sqlite3_column_int64 (stmt, 5);
  history->state = ff_sqlite_column_text (stmt, 6);
  history->source = ff_sqlite_column_text (stmt, 7);
  history->command_id = sqlite3_column_int64 (stmt, 8);
  return history;
}

GPtrArray *
ff_platform_db_list_meter_history (FfPlatformDb *db,
                                   const char   *meter_id,
                                   GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      "SELECT id, meter_id, app,"
      " changed_at, from_version,"
      " to_version, state, source,"
      " command_id FROM meter_history"
      " WHERE meter_id = ? ORDER BY id", error, "s", meter_id), read_history,
      (GDestroyNotify) ff_meter_history_free, error));
}

const char *
ff_meter_result_describe (guint result)
{
  /* The meter's FfMeterResult codes (meter/ffmeter.h), in the operator's language. */
  static const char *const reasons[] = {
    [FFMETER_OK] = N_("done"),
    [FFMETER_ERROR_UNKNOWN_APP] = N_("the meter has no such app"),
    [FFMETER_ERROR_NOT_DOWNLOADED] = N_("only a downloaded app can be installed"),
    [FFMETER_ERROR_NOT_INSTALLED] = N_("only an installed app can be initialised"),
    [FFMETER_ERROR_INIT_FAILED] = N_("the app's initialisation failed"),
    [FFMETER_ERROR_NOT_READY] = N_("only a ready app can be started"),
    [FFMETER_ERROR_NOT_RUNNING] = N_("the app is not running"),
    [FFMETER_ERROR_RESIDENT] = N_("a resident app keeps running"),
    [FFMETER_ERROR_STOP_FIRST] = N_("a running app must be stopped first"),
    [FFMETER_ERROR_NOT_REMOVABLE] = N_("the app cannot be uninstalled in its state"),
    [FFMETER_ERROR_ALREADY_DOWNLOADED] = N_("the app is downloaded and not installed yet"),
    [FFMETER_ERROR_NOT_NEWER] = N_("the version is not newer than the installed one"),
    [FFMETER_ERROR_UPGRADE_PENDING] = N_("another version of the app is on its way"),
    [FFMETER_ERROR_TABLE_FULL] = N_("the meter's app table is full"),
    [FFMETER_ERROR_STORAGE] = N_("the meter could not write its app table"),
    [FFMETER_ERROR_INVALID] = N_("the meter found the command invalid"),
  };

  return result < G_N_ELEMENTS (reasons) ? _(reasons[result]) : _("unknown reason");
}
