/* The ledger in the database: terminals and their version history, the firmware catalogue with
 * its hardware versions and blacklist, and the delta patches between images. */
#include "config.h"

#include "ff-platform-db.h"

#include "ff-platform-db-private.h"
#include "ff-sqlite.h"

#include <glib/gi18n-lib.h>
#include <sqlite3.h>


/* Terminals */

/* Each record type's SELECT is a literal: the statement cache is keyed by the SQL's address.
 * SELECT_TERMINALS is in ff-platform-db-private.h. */

gpointer
ff_platform_db_read_terminal (sqlite3_stmt *stmt)
{
  FfTerminal *terminal = g_new0 (FfTerminal, 1);

  terminal->device_id = ff_sqlite_column_text (stmt, 0);
  terminal->name = ff_sqlite_column_text (stmt, 1);
  terminal->latitude = sqlite3_column_double (stmt, 2);
  terminal->longitude = sqlite3_column_double (stmt, 3);
  terminal->vendor = ff_sqlite_column_text (stmt, 4);
  terminal->model = ff_sqlite_column_text (stmt, 5);
  terminal->hardware_version = ff_sqlite_column_text (stmt, 6);
  terminal->software_version = ff_sqlite_column_text (stmt, 7);
  terminal->software_checksum = ff_sqlite_column_text (stmt, 8);
  terminal->host = ff_sqlite_column_text (stmt, 9);
  terminal->port = (guint) sqlite3_column_int64 (stmt, 10);
  terminal->common_address = (guint) sqlite3_column_int64 (stmt, 11);
  terminal->profile = ff_sqlite_column_text (stmt, 12);
  return terminal;
}

static FfTerminal *
get_terminal (FfPlatformDb *db,
              const char   *device_id,
              GError      **error)
{
  g_autoptr(GPtrArray) list = ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      SELECT_TERMINALS " WHERE device_id = ?", error, "s", device_id),
      ff_platform_db_read_terminal, (GDestroyNotify) ff_terminal_free, error);

  return ff_platform_db_steal_first_row (list);
}

FfTerminal *
ff_platform_db_get_terminal (FfPlatformDb *db,
                             const char   *device_id,
                             GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, get_terminal (db, device_id, error));
}

FfTerminal *
ff_platform_db_require_terminal (FfPlatformDb *db,
                                 const char   *device_id,
                                 GError      **error)
{
  GError *lookup_error = NULL;
  FfTerminal *terminal = ff_platform_db_get_terminal (db, device_id, &lookup_error);

  return ff_platform_db_require_found (terminal, lookup_error, error,
                                       _("Terminal %s is not in the ledger"), device_id);
}

static gboolean
put_terminal (FfPlatformDb     *db,
              const FfTerminal *t,
              gboolean          exists,
              gint64            now,
              GError          **error)
{
  if (exists)
    return ff_platform_db_run (db, ff_platform_db_bind (db,
        "UPDATE terminals SET name = ?2, latitude = ?3, longitude = ?4,"
        " vendor = ?5, model = ?6, hardware_version = ?7,"
        " software_version = ?8, version_key = ff_version_key (?8),"
        " software_checksum = ?9, host = ?10, port = ?11,"
        " common_address = ?12, profile = ?13, updated_at = ?14"
        " WHERE device_id = ?1", error, "ssddssssssiisi", t->device_id, t->name, t->latitude,
        t->longitude, t->vendor, t->model, t->hardware_version,
        t->software_version, t->software_checksum, t->host, (gint64) t->port,
        (gint64) t->common_address, t->profile, now), error);
  return ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO terminals (device_id, name, latitude, longitude,"
      " vendor, model, hardware_version, software_version, software_checksum,"
      " host, port, common_address, profile, updated_at, version_key) VALUES"
      " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
      " ff_version_key (?8))",
      error, "ssddssssssiisi", t->device_id, t->name, t->latitude, t->longitude,
      t->vendor, t->model, t->hardware_version, t->software_version,
      t->software_checksum, t->host, (gint64) t->port, (gint64) t->common_address, t->profile, now),
      error);
}

gboolean
ff_platform_db_put_terminal (FfPlatformDb     *db,
                             const FfTerminal *terminal,
                             gboolean          exists,
                             gint64            now,
                             GError          **error)
{
  return FF_PLATFORM_DB_LOCKED (db, put_terminal (db, terminal, exists, now, error));
}

gboolean
ff_platform_db_set_terminal_version (FfPlatformDb *db,
                                     const char   *device_id,
                                     const char   *version,
                                     const char   *checksum,
                                     gint64        now,
                                     GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "UPDATE terminals SET software_version = ?1,"
      " version_key = ff_version_key (?1),"
      " software_checksum = ?2, updated_at = ?3"
      " WHERE device_id = ?4", error, "ssis", version, checksum ? checksum : "", now, device_id),
      error));
}

gboolean
ff_platform_db_add_history (FfPlatformDb *db,
                            const char   *device_id,
                            gint64        changed_at,
                            const char   *from_version,
                            const char   *to_version,
                            const char   *to_checksum,
                            const char   *source,
                            const char   *report_id,
                            GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO version_history (device_id, changed_at,"
      " from_version, to_version, to_checksum, source, report_id)"
      " VALUES (?, ?, ?, ?, ?, ?, ?)", error, "sisssss", device_id, changed_at, from_version,
      to_version, to_checksum, source, report_id), error));
}

static gpointer
read_history_entry (sqlite3_stmt *stmt)
{
  FfHistoryEntry *entry = g_new0 (FfHistoryEntry, 1);

  entry->changed_at = sqlite3_column_int64 (stmt, 0);
  entry->from_version = ff_sqlite_column_text (stmt, 1);
  entry->to_version = ff_sqlite_column_text (stmt, 2);
  entry->to_checksum = ff_sqlite_column_text (stmt, 3);
  entry->source = ff_sqlite_column_text (stmt, 4);
  entry->report_id = ff_sqlite_column_text (stmt, 5);
  return entry;
}

static GPtrArray *
list_history (FfPlatformDb *db,
              const char   *device_id,
              GError      **error)
{
  sqlite3_stmt *stmt = ff_platform_db_bind (db,
      "SELECT changed_at, from_version, to_version, to_checksum, source,"
      " report_id FROM version_history WHERE device_id = ? ORDER BY id", error, "s", device_id);

  return ff_platform_db_collect_rows (db, stmt, read_history_entry,
                                      (GDestroyNotify) ff_history_entry_free, error);
}

GPtrArray *
ff_platform_db_list_history (FfPlatformDb *db,
                             const char   *device_id,
                             GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, list_history (db, device_id, error));
}

/* Firmware */

static gboolean
insert_firmware_rows (FfPlatformDb *db,
                      FfFirmware   *fw,
                      GError      **error)
{
  if (!ff_platform_db_run (db, ff_platform_db_bind (db,
        "INSERT INTO firmware (vendor, model, version, sha256, size, notes,"
        " added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        error, "ssssisi", fw->vendor, fw->model, fw->version, fw->sha256, fw->size,
        fw->notes ? fw->notes : "", fw->added_at), error))
    return FALSE;
  fw->id = ff_platform_db_last_insert_id (db);
  for (guint i = 0; fw->hardware_versions != NULL && fw->hardware_versions[i] != NULL; i++)
    if (!ff_platform_db_run (db, ff_platform_db_bind (db,
          "INSERT OR IGNORE INTO firmware_hardware VALUES (?, ?)", error, "is",
          fw->id, fw->hardware_versions[i]), error))
      return FALSE;
  return TRUE;
}

/* The record and its hardware versions are written together or not at all: the savepoint is a
 * transaction of its own when called alone, and nests inside the caller's otherwise. */
static gboolean
insert_firmware (FfPlatformDb *db,
                 FfFirmware   *fw,
                 GError      **error)
{
  if (!ff_platform_db_exec (db, "SAVEPOINT insert_firmware", error))
    return FALSE;
  if (insert_firmware_rows (db, fw, error)
      && ff_platform_db_exec (db, "RELEASE insert_firmware", error))
    return TRUE;
  ff_platform_db_exec (db, "ROLLBACK TO insert_firmware", NULL);
  ff_platform_db_exec (db, "RELEASE insert_firmware", NULL);
  return FALSE;
}

gboolean
ff_platform_db_insert_firmware (FfPlatformDb *db,
                                FfFirmware   *firmware,
                                GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, insert_firmware (db, firmware, error));
}

static gpointer
read_first_text (sqlite3_stmt *stmt)
{
  return ff_sqlite_column_text (stmt, 0);
}

static GStrv
firmware_hardware (FfPlatformDb *db,
                   gint64        firmware_id,
                   GError      **error)
{
  sqlite3_stmt *stmt = ff_platform_db_bind (db, "SELECT hardware_version FROM firmware_hardware"
                                                " WHERE firmware_id = ? ORDER BY hardware_version",
                                            error, "i", firmware_id);
  g_autoptr(GPtrArray) versions = ff_platform_db_collect_rows (db, stmt, read_first_text, g_free,
                                                               error);

  if (versions == NULL)
    return NULL;
  g_ptr_array_add (versions, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&versions), FALSE);
}

#define SELECT_FIRMWARE \
  "SELECT id, vendor, model, version, sha256, size, notes, added_at, coalesce (withdrawn_at, 0)" \
  " FROM firmware"

static gpointer
read_firmware (sqlite3_stmt *stmt)
{
  FfFirmware *fw = g_new0 (FfFirmware, 1);

  fw->id = sqlite3_column_int64 (stmt, 0);
  fw->vendor = ff_sqlite_column_text (stmt, 1);
  fw->model = ff_sqlite_column_text (stmt, 2);
  fw->version = ff_sqlite_column_text (stmt, 3);
  fw->sha256 = ff_sqlite_column_text (stmt, 4);
  fw->size = sqlite3_column_int64 (stmt, 5);
  fw->notes = ff_sqlite_column_text (stmt, 6);
  fw->added_at = sqlite3_column_int64 (stmt, 7);
  fw->withdrawn_at = sqlite3_column_int64 (stmt, 8);
  return fw;
}

/* Reads every row of @stmt as firmware, then fills in each one's hardware list. */
static GPtrArray *
collect_firmware (FfPlatformDb *db,
                  sqlite3_stmt *stmt,
                  GError      **error)
{
  g_autoptr(GPtrArray) list = ff_platform_db_collect_rows (db, stmt, read_firmware,
                                                           (GDestroyNotify) ff_firmware_free,
                                                           error);

  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      FfFirmware *fw = g_ptr_array_index (list, i);

      fw->hardware_versions = firmware_hardware (db, fw->id, error);
      if (fw->hardware_versions == NULL)
        return NULL;
    }
  return g_steal_pointer (&list);
}

static FfFirmware *
find_firmware (FfPlatformDb *db,
               const char   *vendor,
               const char   *model,
               const char   *version,
               GError      **error)
{
  g_autoptr(GPtrArray) list =
    collect_firmware (db, ff_platform_db_bind (db, SELECT_FIRMWARE " WHERE vendor = ? AND model = ?"
                                                                   " AND version = ?",
                                               error, "sss", vendor, model, version),
                      error);

  return ff_platform_db_steal_first_row (list);
}

FfFirmware *
ff_platform_db_find_firmware (FfPlatformDb *db,
                              const char   *vendor,
                              const char   *model,
                              const char   *version,
                              GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, find_firmware (db, vendor, model, version, error));
}

static GPtrArray *
list_firmware (FfPlatformDb *db,
               const char   *version,
               GError      **error)
{
  return collect_firmware (db, ff_platform_db_bind (db,
      SELECT_FIRMWARE " WHERE ?1 IS NULL OR version = ?1"
      " ORDER BY vendor, model, id", error, "s", version), error);
}

GPtrArray *
ff_platform_db_list_firmware (FfPlatformDb *db,
                              const char   *version,
                              GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, list_firmware (db, version, error));
}

static gboolean
withdraw_firmware (FfPlatformDb *db,
                   gint64        firmware_id,
                   gint64        now,
                   gboolean     *withdrawn,
                   GError      **error)
{
  if (!ff_platform_db_run (db, ff_platform_db_bind (db,
        "UPDATE firmware SET withdrawn_at = ? WHERE id = ?"
        " AND withdrawn_at IS NULL", error, "ii", now, firmware_id), error))
    return FALSE;
  *withdrawn = ff_platform_db_changes (db) > 0;
  return TRUE;
}

gboolean
ff_platform_db_withdraw_firmware (FfPlatformDb *db,
                                  gint64        firmware_id,
                                  gint64        now,
                                  gboolean     *withdrawn,
                                  GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, withdraw_firmware (db, firmware_id, now, withdrawn, error));
}

gboolean
ff_platform_db_add_blacklist (FfPlatformDb *db,
                              gint64        firmware_id,
                              const char   *device_id,
                              gint64        now,
                              GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO blacklist VALUES (?, ?, ?)", error, "isi", firmware_id, device_id, now), error));
}

gboolean
ff_platform_db_is_blacklisted (FfPlatformDb *db,
                               gint64        firmware_id,
                               const char   *device_id,
                               gboolean     *blacklisted,
                               GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_exists (db, ff_platform_db_bind (db,
      "SELECT 1 FROM blacklist WHERE firmware_id = ?"
      " AND device_id = ?", error, "is", firmware_id, device_id), blacklisted, error));
}

gboolean
ff_platform_db_firmware_visible (FfPlatformDb *db,
                                 const char   *sha256,
                                 const char   *phone,
                                 const char   *serial,
                                 gboolean     *visible,
                                 GError      **error)
{
  /* An image of a task item, or the delta patch between an item's previous and target images:
   * the one patch a task can name for that item (one is recorded per pair of images). */
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_exists (db, ff_platform_db_bind (db,
      "SELECT 1 FROM firmware f"
      " JOIN task_items i ON i.target_firmware_id = f.id"
      "   OR i.previous_firmware_id = f.id"
      " JOIN tasks t ON t.task_id = i.task_id"
      " JOIN task_tablets tt ON tt.task_id = t.task_id"
      " WHERE f.sha256 = ?1 AND t.phone = ?2"
      "   AND tt.serial = ?3"
      " UNION ALL SELECT 1 FROM firmware_deltas d"
      " JOIN firmware p ON p.sha256 = d.from_sha256"
      " JOIN firmware f ON f.sha256 = d.to_sha256"
      " JOIN task_items i ON i.target_firmware_id = f.id"
      "   AND i.previous_firmware_id = p.id"
      " JOIN tasks t ON t.task_id = i.task_id"
      " JOIN task_tablets tt ON tt.task_id = t.task_id"
      " WHERE d.sha256 = ?1 AND t.phone = ?2"
      "   AND tt.serial = ?3"
      " LIMIT 1", error, "sss", sha256, phone, serial), visible, error));
}

/* Delta patches */

gboolean
ff_platform_db_insert_delta (FfPlatformDb          *db,
                             const FfFirmwareDelta *delta,
                             gint64                 now,
                             GError               **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT OR IGNORE INTO firmware_deltas (from_sha256,"
      " to_sha256, sha256, size, made_at) VALUES (?, ?, ?, ?, ?)",
      error, "sssii", delta->from_sha256, delta->to_sha256, delta->sha256, delta->size, now),
      error));
}

static gpointer
read_delta (sqlite3_stmt *stmt)
{
  FfFirmwareDelta *delta = g_new0 (FfFirmwareDelta, 1);

  delta->from_sha256 = ff_sqlite_column_text (stmt, 0);
  delta->to_sha256 = ff_sqlite_column_text (stmt, 1);
  delta->sha256 = ff_sqlite_column_text (stmt, 2);
  delta->size = sqlite3_column_int64 (stmt, 3);
  delta->made_at = sqlite3_column_int64 (stmt, 4);
  delta->from_version = ff_sqlite_column_text (stmt, 5);
  return delta;
}

GPtrArray *
ff_platform_db_list_deltas (FfPlatformDb     *db,
                            const FfFirmware *to,
                            GError          **error)
{
  /* An image another model shares is named by this model's version of it, else by its digest. */
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      "SELECT d.from_sha256, d.to_sha256, d.sha256,"
      " d.size, d.made_at, (SELECT f.version"
      "   FROM firmware f WHERE f.sha256 = d.from_sha256"
      "   AND f.vendor = ?2 AND f.model = ?3"
      "   ORDER BY f.id LIMIT 1) AS version"
      " FROM firmware_deltas d WHERE d.to_sha256 = ?1"
      " ORDER BY ff_version_key (coalesce (version,"
      "   '')), d.from_sha256", error, "sss", to->sha256, to->vendor, to->model),
      read_delta, (GDestroyNotify) ff_firmware_delta_free, error));
}

GPtrArray *
ff_platform_db_list_field_sources (FfPlatformDb     *db,
                                   const FfFirmware *to,
                                   GError          **error)
{
  return FF_PLATFORM_DB_LOCKED (db, collect_firmware (db, ff_platform_db_bind (db,
      SELECT_FIRMWARE " f WHERE f.vendor = ?1"
      " AND f.model = ?2 AND f.sha256 != ?3"
      " AND ff_version_key (f.version)"
      "   < ff_version_key (?4)"
      " AND EXISTS (SELECT 1 FROM terminals t"
      "   JOIN firmware_hardware h"
      "     ON h.hardware_version"
      "       = t.hardware_version"
      "   WHERE h.firmware_id = ?5"
      "   AND t.vendor = f.vendor"
      "   AND t.model = f.model"
      "   AND t.version_key"
      "     = ff_version_key (f.version))"
      " ORDER BY ff_version_key (f.version), f.id", error, "ssssi", to->vendor, to->model,
      to->sha256, to->version, to->id), error));
}

/* Freeing */

void
ff_terminal_free (FfTerminal *t)
{
  if (t == NULL)
    return;
  g_free (t->device_id);
  g_free (t->name);
  g_free (t->vendor);
  g_free (t->model);
  g_free (t->hardware_version);
  g_free (t->software_version);
  g_free (t->software_checksum);
  g_free (t->host);
  g_free (t->profile);
  g_free (t);
}

void
ff_history_entry_free (FfHistoryEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->from_version);
  g_free (entry->to_version);
  g_free (entry->to_checksum);
  g_free (entry->source);
  g_free (entry->report_id);
  g_free (entry);
}

void
ff_firmware_free (FfFirmware *fw)
{
  if (fw == NULL)
    return;
  g_free (fw->vendor);
  g_free (fw->model);
  g_free (fw->version);
  g_free (fw->sha256);
  g_free (fw->notes);
  g_strfreev (fw->hardware_versions);
  g_free (fw);
}

void
ff_firmware_delta_free (FfFirmwareDelta *delta)
{
  if (delta == NULL)
    return;
  g_free (delta->from_sha256);
  g_free (delta->to_sha256);
  g_free (delta->sha256);
  g_free (delta->from_version);
  g_free (delta);
}
