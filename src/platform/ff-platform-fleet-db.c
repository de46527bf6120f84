/* The fleet as a whole in the database: finding and counting terminals by any combination of
 * filters, the fleet by vendor, model and version, and the blacklist entries. */
#include "config.h"

#include "ff-platform-fleet-db.h"

#include "ff-platform-db-private.h"
#include "ff-sqlite.h"


/* Terminals */

/* The WHERE clause of @filter, one condition per filter that is on, so that sqlite can use the
 * (model, version key, device ID) index; an "?1 IS NULL OR model = ?1" condition would force a
 * scan of the whole ledger. Parameters have fixed numbers, whichever filters are on, and the last
 * one (the LIMIT) is always there, so that every variant binds the same fourteen. A terminal
 * without a row in terminal_links is upgraded by tablet; one is online when its last retained
 * state (MQTT) says "online": true, and offline without a state or with an unreadable one.
 * Versions compare
 * by their sort key (ff_version_sort_key()), so "v2.1" finds "V2.01" and ranges follow version
 * order. */
static void
append_conditions (GString                *sql,
                   const FfTerminalFilter *filter,
                   gboolean                page)
{
  const char *conditions[] = {
    filter->model ? "model = ?1" : NULL,
    filter->version ? "version_key = ff_version_key (?2)" : NULL,
    filter->vendor ? "vendor = ?3" : NULL,
    filter->below ? "version_key < ff_version_key (?4)" : NULL,
    filter->at_least ? "version_key >= ff_version_key (?5)" : NULL,
    filter->profile ? "profile = ?6" : NULL,
    filter->in_area ? "latitude BETWEEN ?7 AND ?8 AND longitude BETWEEN ?9 AND ?10" : NULL,
    page && filter->after ? "device_id > ?11" : NULL,
    filter->link ? "coalesce ((SELECT link FROM terminal_links AS l"
                   " WHERE l.device_id = terminals.device_id), 'offline') = ?12" : NULL,
    filter->online ? "coalesce ((SELECT CASE WHEN json_valid (CAST (state AS TEXT))"
                     " THEN json_type (CAST (state AS TEXT), '$.online') = 'true' END"
                     " FROM terminal_links AS l WHERE l.device_id = terminals.device_id), 0)"
                     " = (?13 = 'true')" : NULL,
  };

  g_string_append (sql, " WHERE ?14 IS NOT NULL");
  for (gsize i = 0; i < G_N_ELEMENTS (conditions); i++)
    if (conditions[i] != NULL)
      g_string_append_printf (sql, " AND %s", conditions[i]);
}

/* Binds @filter to @sql (interned: one cached statement per combination of filters). */
static sqlite3_stmt *
bind_filter (FfPlatformDb           *db,
             GString                *sql,
             const FfTerminalFilter *filter,
             GError                **error)
{
  return ff_platform_db_bind (db, g_intern_string (sql->str), error, "ssssssddddsssi",
                              filter->model, filter->version, filter->vendor, filter->below,
                              filter->at_least, filter->profile, filter->south, filter->north,
                              filter->west, filter->east, filter->after, filter->link,
                              filter->online,
                              filter->limit > 0 ? (gint64) filter->limit : (gint64) -1);
}

static GPtrArray *
find_terminals (FfPlatformDb           *db,
                const FfTerminalFilter *filter,
                GError                **error)
{
  g_autoptr(GString) sql = g_string_new (SELECT_TERMINALS);

  append_conditions (sql, filter, TRUE);
  g_string_append (sql, " ORDER BY device_id LIMIT ?14");
  return ff_platform_db_collect_rows (db, bind_filter (db, sql, filter, error),
                                      ff_platform_db_read_terminal,
                                      (GDestroyNotify) ff_terminal_free, error);
}

GPtrArray *
ff_platform_db_find_terminals (FfPlatformDb           *db,
                               const FfTerminalFilter *filter,
                               GError                **error)
{
  return FF_PLATFORM_DB_LOCKED (db, find_terminals (db, filter, error));
}

static gint64
count_matching (FfPlatformDb           *db,
                const FfTerminalFilter *filter,
                GError                **error)
{
  g_autoptr(GString) sql = g_string_new ("SELECT count(*) FROM terminals");
  sqlite3_stmt *stmt;
  gint64 n = -1;

  append_conditions (sql, filter, FALSE);
  stmt = bind_filter (db, sql, filter, error);
  if (stmt != NULL && ff_platform_db_next_row (db, stmt, error))
    {
      n = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  return n;
}

gint64
ff_platform_db_count_matching (FfPlatformDb           *db,
                               const FfTerminalFilter *filter,
                               GError                **error)
{
  return FF_PLATFORM_DB_LOCKED (db, count_matching (db, filter, error));
}

/* The fleet */

/* Walks the covering index terminals_by_vendor_model_version (schema 9) in order: no table scan,
 * no sort. */
const char ff_platform_fleet_summary_sql[] =
  "SELECT vendor, model, min (software_version), count (*) FROM terminals"
  " GROUP BY vendor, model, version_key ORDER BY vendor, model, version_key";

static gpointer
read_group (sqlite3_stmt *stmt)
{
  FfFleetGroup *group = g_new0 (FfFleetGroup, 1);

  group->vendor = ff_sqlite_column_text (stmt, 0);
  group->model = ff_sqlite_column_text (stmt, 1);
  group->version = ff_sqlite_column_text (stmt, 2);
  group->terminals = sqlite3_column_int64 (stmt, 3);
  return group;
}

GPtrArray *
ff_platform_db_fleet_summary (FfPlatformDb *db,
                              GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (
                       db, ff_platform_db_bind (db, ff_platform_fleet_summary_sql, error, ""),
                       read_group, (GDestroyNotify) ff_fleet_group_free, error));
}

/* Blacklist */

static gpointer
read_blacklist_entry (sqlite3_stmt *stmt)
{
  FfBlacklistEntry *entry = g_new0 (FfBlacklistEntry, 1);

  entry->firmware_id = sqlite3_column_int64 (stmt, 0);
  entry->vendor = ff_sqlite_column_text (stmt, 1);
  entry->model = ff_sqlite_column_text (stmt, 2);
  entry->version = ff_sqlite_column_text (stmt, 3);
  entry->device_id = ff_sqlite_column_text (stmt, 4);
  entry->added_at = sqlite3_column_int64 (stmt, 5);
  return entry;
}

GPtrArray *
ff_platform_db_list_blacklist (FfPlatformDb *db,
                               const char   *version,
                               const char   *device_id,
                               GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      "SELECT f.id, f.vendor, f.model, f.version, b.device_id,"
      " b.added_at FROM blacklist AS b JOIN firmware AS f"
      " ON f.id = b.firmware_id"
      " WHERE (?1 IS NULL OR ff_version_key (f.version)"
      "        = ff_version_key (?1))"
      " AND (?2 IS NULL OR b.device_id = ?2)"
      " ORDER BY b.device_id, ff_version_key (f.version),"
      " f.vendor, f.model", error, "ss", version, device_id),
      read_blacklist_entry, (GDestroyNotify) ff_blacklist_entry_free, error));
}

static gboolean
remove_blacklist (FfPlatformDb *db,
                  gint64        firmware_id,
                  const char   *device_id,
                  gboolean     *removed,
                  GError      **error)
{
  if (!ff_platform_db_run (db, ff_platform_db_bind (db,
        "DELETE FROM blacklist WHERE firmware_id = ?"
        " AND device_id = ?", error, "is", firmware_id, device_id), error))
    return FALSE;
  *removed = ff_platform_db_changes (db) > 0;
  return TRUE;
}

gboolean
ff_platform_db_remove_blacklist (FfPlatformDb *db,
                                 gint64        firmware_id,
                                 const char   *device_id,
                                 gboolean     *removed,
                                 GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, remove_blacklist (db, firmware_id, device_id, removed, error));
}

/* Tasks and reports */

static gpointer
read_task_item_of_device (sqlite3_stmt *stmt)
{
  FfTaskItemRecord *item = ff_platform_db_read_task_item (stmt);

  item->device_id = ff_sqlite_column_text (stmt, 7);
  return item;
}

GPtrArray *
ff_platform_db_list_task_items (FfPlatformDb *db,
                                const char   *task_id,
                                GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      "SELECT i.state, t.version, t.sha256, p.version, p.sha256,"
      " i.expected_version, i.closing_report_id, i.device_id FROM task_items i"
      " JOIN firmware t ON t.id = i.target_firmware_id"
      " LEFT JOIN firmware p ON p.id = i.previous_firmware_id"
      " WHERE i.task_id = ? ORDER BY i.device_id", error, "s", task_id),
      read_task_item_of_device, (GDestroyNotify) ff_task_item_record_free, error));
}

void
ff_task_tablet_free (FfTaskTablet *tablet)
{
  g_free (tablet->serial);
  g_free (tablet);
}

static gpointer
read_task_tablet (sqlite3_stmt *stmt)
{
  FfTaskTablet *tablet = g_new0 (FfTaskTablet, 1);

  tablet->serial = ff_sqlite_column_text (stmt, 0);
  tablet->reports = sqlite3_column_int64 (stmt, 1);
  tablet->items_reported = sqlite3_column_int64 (stmt, 2);
  tablet->last_report_at = sqlite3_column_int64 (stmt, 3);
  tablet->last_login_at = sqlite3_column_int64 (stmt, 4);
  return tablet;
}

/* A tablet's reports come through the reports_by_task index; its logins are the sessions the
 * platform still keeps (a session's row goes when it has expired). */
GPtrArray *
ff_platform_db_list_task_tablets (FfPlatformDb *db,
                                  const char   *task_id,
                                  GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      "SELECT t.serial, count (r.report_id), count (DISTINCT r.device_id),"
      " coalesce (max (r.received_at), 0),"
      " coalesce ((SELECT max (s.created_at) FROM sessions s"
      "   WHERE s.serial = t.serial AND s.phone = k.phone"
      "   AND s.created_at >= k.issued_at), 0)"
      " FROM task_tablets t JOIN tasks k ON k.task_id = t.task_id"
      " LEFT JOIN reports r ON r.task_id = t.task_id AND r.tablet_serial = t.serial"
      " WHERE t.task_id = ? GROUP BY t.serial ORDER BY t.serial", error, "s", task_id),
      read_task_tablet, (GDestroyNotify) ff_task_tablet_free, error));
}

GPtrArray *
ff_platform_db_list_device_reports (FfPlatformDb *db,
                                    const char   *device_id,
                                    GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (
                       db, ff_platform_db_bind (db, SELECT_REPORTS " WHERE device_id = ?"
                                                    " ORDER BY received_at, rowid",
                                                error, "s", device_id),
                       ff_platform_db_read_report, (GDestroyNotify) ff_report_record_free,
                       error));
}

void
ff_fleet_group_free (FfFleetGroup *group)
{
  if (group == NULL)
    return;
  g_free (group->vendor);
  g_free (group->model);
  g_free (group->version);
  g_free (group);
}

void
ff_blacklist_entry_free (FfBlacklistEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->vendor);
  g_free (entry->model);
  g_free (entry->version);
  g_free (entry->device_id);
  g_free (entry);
}
