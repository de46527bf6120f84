/* Tasks in the database: each task with its items, tablets and dispatch, and the reports that
 * close its items. */
#include "config.h"

#include "ff-platform-db.h"

#include "ff-platform-db-private.h"
#include "ff-sqlite.h"

#include <sqlite3.h>


/* Tasks */

gint64
ff_platform_db_count_tasks_with_prefix (FfPlatformDb *db,
                                        const char   *prefix,
                                        GError      **error)
{
  g_autofree char *upper = g_strconcat (prefix, "\xff", NULL);
  sqlite3_stmt *stmt;
  gint64 n = -1;

  ff_platform_db_lock (db);
  /* A range instead of LIKE, so '_' or '%' in the prefix could never act as wildcards. */
  stmt = ff_platform_db_bind (db, "SELECT count(*) FROM tasks WHERE task_id >= ? AND task_id < ?",
                              error, "ss", prefix, upper);
  if (stmt != NULL && ff_platform_db_next_row (db, stmt, error))
    {
      n = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  ff_platform_db_unlock (db);
  return n;
}

gboolean
ff_platform_db_insert_task (FfPlatformDb *db,
                            const char   *task_id,
                            const char   *phone,
                            gint64        issued_at,
                            gint64        expires_at,
                            const char   *rollback_reason,
                            GBytes       *document,
                            GBytes       *signature,
                            GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, 'open', NULL,"
      " ?, ?)", error, "ssiisBB", task_id, phone, issued_at,
      expires_at, rollback_reason, document, signature), error));
}

gboolean
ff_platform_db_insert_task_item (FfPlatformDb *db,
                                 const char   *task_id,
                                 const char   *device_id,
                                 gint64        target_firmware_id,
                                 gint64        previous_firmware_id,
                                 const char   *expected_version,
                                 GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO task_items (task_id, device_id,"
      " target_firmware_id, previous_firmware_id, state,"
      " expected_version) VALUES (?, ?, ?, ?, 'open', ?)",
      error, "ssins", task_id, device_id, target_firmware_id,
      previous_firmware_id, expected_version), error));
}

gboolean
ff_platform_db_insert_task_tablet (FfPlatformDb *db,
                                   const char   *task_id,
                                   const char   *serial,
                                   GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO task_tablets VALUES (?, ?)", error, "ss", task_id, serial), error));
}

gboolean
ff_platform_db_insert_dispatch (FfPlatformDb *db,
                                const char   *task_id,
                                const char   *phone,
                                gint64        now,
                                const char   *body,
                                GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO dispatch_messages (task_id, phone, created_at,"
      " body) VALUES (?, ?, ?, ?)", error, "ssis", task_id, phone, now, body), error));
}

#define SELECT_TASK_SUMMARIES \
  "SELECT t.task_id, t.phone, t.issued_at, t.expires_at, t.rollback_reason, t.state," \
  " (SELECT count(*) FROM task_items i WHERE i.task_id = t.task_id)," \
  " (SELECT count(*) FROM task_items i WHERE i.task_id = t.task_id AND i.state = 'closed')," \
  " (SELECT body FROM dispatch_messages d WHERE d.task_id = t.task_id ORDER BY d.id LIMIT 1)" \
  " FROM tasks t"

static gpointer
read_task_summary (sqlite3_stmt *stmt)
{
  FfTaskRecord *record = g_new0 (FfTaskRecord, 1);

  record->task_id = ff_sqlite_column_text (stmt, 0);
  record->phone = ff_sqlite_column_text (stmt, 1);
  record->issued_at = sqlite3_column_int64 (stmt, 2);
  record->expires_at = sqlite3_column_int64 (stmt, 3);
  record->rollback_reason = ff_sqlite_column_text (stmt, 4);
  record->state = ff_sqlite_column_text (stmt, 5);
  record->items = sqlite3_column_int64 (stmt, 6);
  record->items_closed = sqlite3_column_int64 (stmt, 7);
  record->dispatch_message = ff_sqlite_column_text (stmt, 8);
  return record;
}

static FfTaskRecord *
get_task (FfPlatformDb *db,
          const char   *task_id,
          GError      **error)
{
  sqlite3_stmt *stmt = ff_platform_db_bind (db,
      "SELECT task_id, phone, issued_at, expires_at, rollback_reason,"
      " state, -1, -1, NULL, document, signature FROM tasks"
      " WHERE task_id = ?", error, "s", task_id);
  FfTaskRecord *record;

  if (stmt == NULL || !ff_platform_db_next_row (db, stmt, error))
    return NULL;
  record = read_task_summary (stmt);
  record->document = ff_sqlite_column_bytes (stmt, 9);
  record->signature = ff_sqlite_column_bytes (stmt, 10);
  sqlite3_reset (stmt);
  return record;
}

FfTaskRecord *
ff_platform_db_get_task (FfPlatformDb *db,
                         const char   *task_id,
                         GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, get_task (db, task_id, error));
}

static gboolean
get_task_owner (FfPlatformDb *db,
                const char   *task_id,
                char        **phone,
                char        **state,
                GError      **error)
{
  sqlite3_stmt *stmt = ff_platform_db_bind (db, "SELECT phone, state FROM tasks WHERE task_id = ?",
                                            error, "s", task_id);

  if (stmt == NULL || !ff_platform_db_next_row (db, stmt, error))
    return FALSE;
  *phone = ff_sqlite_column_text (stmt, 0);
  *state = ff_sqlite_column_text (stmt, 1);
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
ff_platform_db_get_task_owner (FfPlatformDb *db,
                               const char   *task_id,
                               char        **phone,
                               char        **state,
                               GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, get_task_owner (db, task_id, phone, state, error));
}

static GPtrArray *
list_tasks (FfPlatformDb *db,
            const char   *phone,
            const char   *serial,
            GError      **error)
{
  sqlite3_stmt *stmt = ff_platform_db_bind (db,
      SELECT_TASK_SUMMARIES " WHERE (?1 IS NULL OR t.phone = ?1) AND (?2 IS NULL OR EXISTS"
      " (SELECT 1 FROM task_tablets tt WHERE tt.task_id = t.task_id AND tt.serial = ?2))"
      " ORDER BY t.issued_at DESC, t.task_id DESC", error, "ss", phone, serial);

  return ff_platform_db_collect_rows (db, stmt, read_task_summary,
                                      (GDestroyNotify) ff_task_record_free, error);
}

GPtrArray *
ff_platform_db_list_tasks (FfPlatformDb *db,
                           const char   *phone,
                           const char   *serial,
                           GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, list_tasks (db, phone, serial, error));
}

gboolean
ff_platform_db_task_lists_tablet (FfPlatformDb *db,
                                  const char   *task_id,
                                  const char   *serial,
                                  gboolean     *listed,
                                  GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_exists (db, ff_platform_db_bind (db,
      "SELECT 1 FROM task_tablets WHERE task_id = ?"
      " AND serial = ?", error, "ss", task_id, serial), listed, error));
}

gpointer
ff_platform_db_read_task_item (sqlite3_stmt *stmt)
{
  FfTaskItemRecord *item = g_new0 (FfTaskItemRecord, 1);

  item->state = ff_sqlite_column_text (stmt, 0);
  item->target_version = ff_sqlite_column_text (stmt, 1);
  item->target_sha256 = ff_sqlite_column_text (stmt, 2);
  item->previous_version = ff_sqlite_column_text (stmt, 3);
  item->previous_sha256 = ff_sqlite_column_text (stmt, 4);
  item->expected_version = ff_sqlite_column_text (stmt, 5);
  item->closing_report_id = ff_sqlite_column_text (stmt, 6);
  return item;
}

static FfTaskItemRecord *
get_task_item (FfPlatformDb *db,
               const char   *task_id,
               const char   *device_id,
               GError      **error)
{
  g_autoptr(GPtrArray) list = ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      "SELECT i.state, t.version, t.sha256, p.version, p.sha256,"
      " i.expected_version, i.closing_report_id FROM task_items i"
      " JOIN firmware t ON t.id = i.target_firmware_id"
      " LEFT JOIN firmware p ON p.id = i.previous_firmware_id"
      " WHERE i.task_id = ? AND i.device_id = ?", error, "ss", task_id, device_id),
      ff_platform_db_read_task_item, (GDestroyNotify) ff_task_item_record_free, error);

  return ff_platform_db_steal_first_row (list);
}

FfTaskItemRecord *
ff_platform_db_get_task_item (FfPlatformDb *db,
                              const char   *task_id,
                              const char   *device_id,
                              GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, get_task_item (db, task_id, device_id, error));
}

static gboolean
terminal_in_open_task (FfPlatformDb *db,
                       const char   *device_id,
                       char        **task_id,
                       GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt = ff_platform_db_bind (db,
      "SELECT i.task_id FROM task_items i"
      " JOIN tasks t ON t.task_id = i.task_id"
      " WHERE i.device_id = ? AND i.state = 'open' AND t.state = 'open'"
      " LIMIT 1", error, "s", device_id);

  *task_id = NULL;
  if (stmt == NULL)
    return FALSE;
  if (ff_platform_db_next_row (db, stmt, &local_error))
    {
      *task_id = ff_sqlite_column_text (stmt, 0);
      sqlite3_reset (stmt);
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

gboolean
ff_platform_db_terminal_in_open_task (FfPlatformDb *db,
                                      const char   *device_id,
                                      char        **task_id,
                                      GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, terminal_in_open_task (db, device_id, task_id, error));
}

gboolean
ff_platform_db_close_item (FfPlatformDb *db,
                           const char   *task_id,
                           const char   *device_id,
                           const char   *report_id,
                           GError      **error)
{
  /* A closed item is closed again by a later visit's report: ingest checked that it follows the
   * report that closed it. */
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "UPDATE task_items SET state = 'closed',"
      " closing_report_id = ? WHERE task_id = ?"
      " AND device_id = ? AND state != 'withdrawn'", error, "sss", report_id, task_id,
      device_id), error));
}

static gboolean
complete_task_if_done (FfPlatformDb *db,
                       const char   *task_id,
                       gint64        now,
                       gboolean     *complete,
                       GError      **error)
{
  gboolean open_items;

  if (!ff_platform_db_exists (db, ff_platform_db_bind (db,
        "SELECT 1 FROM task_items WHERE task_id = ? AND state = 'open'"
        " LIMIT 1", error, "s", task_id), &open_items, error))
    return FALSE;
  *complete = !open_items;
  if (open_items)
    return TRUE;
  return ff_platform_db_run (db, ff_platform_db_bind (db,
             "UPDATE tasks SET state = 'complete', completed_at = ?"
             " WHERE task_id = ? AND state = 'open'", error, "is", now, task_id), error)
         && ff_platform_db_run (db, ff_platform_db_bind (db,
             "UPDATE handhelds SET state = 'in-stock', task_id = NULL"
             " WHERE task_id = ? AND state = 'checked-out'", error, "s", task_id), error);
}

gboolean
ff_platform_db_complete_task_if_done (FfPlatformDb *db,
                                      const char   *task_id,
                                      gint64        now,
                                      gboolean     *complete,
                                      GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, complete_task_if_done (db, task_id, now, complete, error));
}

gboolean
ff_platform_db_cancel_task (FfPlatformDb *db,
                            const char   *task_id,
                            gint64        now,
                            GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db,
    ff_platform_db_run (db, ff_platform_db_bind (db,
      "UPDATE campaign_terminals SET state = 'pending', task_id = NULL, updated_at = ?2"
      " WHERE task_id = ?1 AND state = 'sent' AND device_id IN (SELECT device_id FROM task_items"
      "  WHERE task_id = ?1 AND state = 'open')", error, "si", task_id, now), error)
    && ff_platform_db_run (db, ff_platform_db_bind (db,
      "UPDATE task_items SET state = 'withdrawn' WHERE task_id = ? AND state = 'open'", error,
      "s", task_id), error)
    && ff_platform_db_run (db, ff_platform_db_bind (db,
      "UPDATE tasks SET state = 'cancelled', completed_at = ? WHERE task_id = ?", error, "is",
      now, task_id), error)
    && ff_platform_db_run (db, ff_platform_db_bind (db,
      "UPDATE handhelds SET state = 'in-stock', task_id = NULL"
      " WHERE task_id = ? AND state = 'checked-out'", error, "s", task_id), error));
}

/* Reports */

/* SELECT_REPORTS is in ff-platform-db-private.h. */
gpointer
ff_platform_db_read_report (sqlite3_stmt *stmt)
{
  FfReportRecord *record = g_new0 (FfReportRecord, 1);

  record->report_id = ff_sqlite_column_text (stmt, 0);
  record->task_id = ff_sqlite_column_text (stmt, 1);
  record->device_id = ff_sqlite_column_text (stmt, 2);
  record->tablet_serial = ff_sqlite_column_text (stmt, 3);
  record->outcome = ff_sqlite_column_text (stmt, 4);
  record->created_at = sqlite3_column_int64 (stmt, 5);
  record->received_at = sqlite3_column_int64 (stmt, 6);
  record->document = ff_sqlite_column_bytes (stmt, 7);
  return record;
}

static GPtrArray *
collect_reports (FfPlatformDb *db,
                 sqlite3_stmt *stmt,
                 GError      **error)
{
  return ff_platform_db_collect_rows (db, stmt, ff_platform_db_read_report,
                                      (GDestroyNotify) ff_report_record_free, error);
}

static FfReportRecord *
get_report (FfPlatformDb *db,
            const char   *report_id,
            GError      **error)
{
  g_autoptr(GPtrArray) list =
    collect_reports (db, ff_platform_db_bind (db, SELECT_REPORTS " WHERE report_id = ?", error, "s",
                                              report_id),
                     error);

  return ff_platform_db_steal_first_row (list);
}

FfReportRecord *
ff_platform_db_get_report (FfPlatformDb *db,
                           const char   *report_id,
                           GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, get_report (db, report_id, error));
}

gboolean
ff_platform_db_insert_report (FfPlatformDb         *db,
                              const FfReportRecord *r,
                              GBytes               *signature,
                              GError              **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      error, "sssssiiBB", r->report_id, r->task_id, r->device_id,
      r->tablet_serial, r->outcome, r->created_at, r->received_at, r->document, signature), error));
}

static GPtrArray *
list_reports (FfPlatformDb *db,
              const char   *task_id,
              GError      **error)
{
  return collect_reports (db, ff_platform_db_bind (db,
      SELECT_REPORTS " WHERE ?1 IS NULL OR task_id = ?1"
      " ORDER BY received_at, rowid", error, "s", task_id), error);
}

GPtrArray *
ff_platform_db_list_reports (FfPlatformDb *db,
                             const char   *task_id,
                             GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, list_reports (db, task_id, error));
}

/* Freeing */

void
ff_task_record_free (FfTaskRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->task_id);
  g_free (record->phone);
  g_free (record->rollback_reason);
  g_free (record->state);
  g_free (record->dispatch_message);
  g_clear_pointer (&record->document, g_bytes_unref);
  g_clear_pointer (&record->signature, g_bytes_unref);
  g_free (record);
}

void
ff_task_item_record_free (FfTaskItemRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->device_id);
  g_free (record->state);
  g_free (record->target_version);
  g_free (record->target_sha256);
  g_free (record->previous_version);
  g_free (record->previous_sha256);
  g_free (record->expected_version);
  g_free (record->closing_report_id);
  g_free (record);
}

void
ff_report_record_free (FfReportRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->report_id);
  g_free (record->task_id);
  g_free (record->device_id);
  g_free (record->tablet_serial);
  g_free (record->outcome);
  g_clear_pointer (&record->document, g_bytes_unref);
  g_free (record);
}
