/* The platform database: schema and migrations, every query, and transactions (sqlite, WAL).
 * Every statement is prepared once, cached and bound with parameters; no value is spliced into SQL. */
#include "config.h"

#include "ff-platform-db.h"

#include "ff-platform-db-private.h"
#include "ff-platform-schema.h"
#include "ff-sqlite.h"

#include <glib/gi18n-lib.h>
#include <sqlite3.h>
#include <stdarg.h>

struct _FfPlatformDb
{
  sqlite3    *handle;
  GRecMutex   lock;
  GHashTable *statements;   /* SQL text (static string) -> sqlite3_stmt */

  /* Group commit: callers queue their work; one of them (the leader) runs every queued unit in
   * one transaction, each inside its own savepoint, and pays for one durable commit. */
  GMutex      queue_lock;
  GCond       queue_done;
  GQueue      queue;        /* of Pending * */
  gboolean    leader_active;
};

typedef struct
{
  FfPlatformDbWork  work;
  gpointer          user_data;
  GError           *error;
  gboolean          ok;
  gboolean          done;
} Pending;

static void
set_sqlite_error (FfPlatformDb *db,
                  int           code,
                  GError      **error)
{
  int primary = code & 0xff;

  if (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE)
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                 _("The record already exists"));
  else if (primary == SQLITE_CONSTRAINT)
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                 _("The record refers to something that does not exist: %s"),
                 sqlite3_errmsg (db->handle));
  else
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED, _("Database error: %s"),
                 sqlite3_errmsg (db->handle));
}

static gboolean
exec_script (FfPlatformDb *db,
             const char   *sql,
             GError      **error)
{
  int rc = sqlite3_exec (db->handle, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (db, sqlite3_extended_errcode (db->handle), error);
      return FALSE;
    }
  return TRUE;
}

/* Prepares (once) and binds @sql; @types as for ff_sqlite_bind(). */
static sqlite3_stmt *
bind_valist (FfPlatformDb *db,
             const char   *sql,
             GError      **error,
             const char   *types,
             va_list       args)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (db->statements, sql);
  int rc;

  if (stmt == NULL)
    {
      rc = sqlite3_prepare_v3 (db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
      if (rc != SQLITE_OK)
        {
          set_sqlite_error (db, rc, error);
          return NULL;
        }
      g_hash_table_insert (db->statements, (gpointer) sql, stmt);
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  rc = ff_sqlite_bind_valist (stmt, types, args);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (db, rc, error);
      return NULL;
    }
  return stmt;
}

static sqlite3_stmt *
bind (FfPlatformDb *db,
      const char   *sql,
      GError      **error,
      const char   *types,
      ...)
{
  sqlite3_stmt *stmt;
  va_list args;

  va_start (args, types);
  stmt = bind_valist (db, sql, error, types, args);
  va_end (args);
  return stmt;
}

/* Steps a statement that returns no rows. */
static gboolean
run (FfPlatformDb *db,
     sqlite3_stmt *stmt,
     GError      **error)
{
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      set_sqlite_error (db, sqlite3_extended_errcode (db->handle), error);
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

/* Steps to the next row: TRUE with a row, FALSE at the end (error set on failure). */
static gboolean
next_row (FfPlatformDb *db,
          sqlite3_stmt *stmt,
          GError      **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc != SQLITE_DONE)
    set_sqlite_error (db, sqlite3_extended_errcode (db->handle), error);
  sqlite3_reset (stmt);
  return FALSE;
}

/* Reads every row of @stmt with @read_row. NULL with @error set when @stmt is NULL (its error is
 * set already) or a step fails. */
static GPtrArray *
collect_rows (FfPlatformDb   *db,
              sqlite3_stmt   *stmt,
              gpointer      (*read_row) (sqlite3_stmt *stmt),
              GDestroyNotify  free_row,
              GError        **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) local_error = NULL;

  if (stmt == NULL)
    return NULL;
  rows = g_ptr_array_new_with_free_func (free_row);
  while (next_row (db, stmt, &local_error))
    g_ptr_array_add (rows, read_row (stmt));
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&rows);
}

/* The first of @rows (taken from it), or NULL when there is none. */
static gpointer
steal_first_row (GPtrArray *rows)
{
  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_ptr_array_steal_index (rows, 0);
}

sqlite3_stmt *
ff_platform_db_bind (FfPlatformDb *db,
                     const char   *sql,
                     GError      **error,
                     const char   *types,
                     ...)
{
  sqlite3_stmt *stmt;
  va_list args;

  va_start (args, types);
  stmt = bind_valist (db, sql, error, types, args);
  va_end (args);
  return stmt;
}

gint64
ff_platform_db_last_insert_id (FfPlatformDb *db)
{
  return sqlite3_last_insert_rowid (db->handle);
}

int
ff_platform_db_changes (FfPlatformDb *db)
{
  return sqlite3_changes (db->handle);
}

gboolean
ff_platform_db_run (FfPlatformDb *db,
                    sqlite3_stmt *stmt,
                    GError      **error)
{
  return run (db, stmt, error);
}

gboolean
ff_platform_db_next_row (FfPlatformDb *db,
                         sqlite3_stmt *stmt,
                         GError      **error)
{
  return next_row (db, stmt, error);
}

GPtrArray *
ff_platform_db_collect_rows (FfPlatformDb   *db,
                             sqlite3_stmt   *stmt,
                             gpointer      (*read_row) (sqlite3_stmt *stmt),
                             GDestroyNotify  free_row,
                             GError        **error)
{
  return collect_rows (db, stmt, read_row, free_row, error);
}

void
ff_platform_db_lock (FfPlatformDb *db)
{
  g_rec_mutex_lock (&db->lock);
}

void
ff_platform_db_unlock (FfPlatformDb *db)
{
  g_rec_mutex_unlock (&db->lock);
}

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

FfPlatformDb *
ff_platform_db_open (const char *path,
                     GError    **error)
{
  FfPlatformDb *db = g_new0 (FfPlatformDb, 1);
  int rc;

  g_rec_mutex_init (&db->lock);
  g_mutex_init (&db->queue_lock);
  g_cond_init (&db->queue_done);
  g_queue_init (&db->queue);
  db->statements = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                          finalize_statement);
  rc = sqlite3_open_v2 (path, &db->handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                   _("Could not open the database %s: %s"), path,
                   db->handle ? sqlite3_errmsg (db->handle) : sqlite3_errstr (rc));
      ff_platform_db_close (db);
      return NULL;
    }
  sqlite3_extended_result_codes (db->handle, 1);
  /* Another process (the CLI next to a running server) may hold the write lock for a moment. */
  sqlite3_busy_timeout (db->handle, 10000);
  /* A large page cache and memory-mapped reads keep ledger queries on a million terminals
   * (random row lookups through the version index) in memory. */
  if (!exec_script (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                        "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;"
                        "PRAGMA mmap_size = 1073741824;", error)
      || !ff_platform_schema_migrate (db->handle, error))
    {
      g_prefix_error (error, "%s: ", path);
      ff_platform_db_close (db);
      return NULL;
    }
  return db;
}

void
ff_platform_db_close (FfPlatformDb *db)
{
  if (db == NULL)
    return;
  g_hash_table_unref (db->statements);
  sqlite3_close (db->handle);
  g_rec_mutex_clear (&db->lock);
  g_mutex_clear (&db->queue_lock);
  g_cond_clear (&db->queue_done);
  g_free (db);
}

/* The database whose transaction the calling thread runs a unit of, if any: a unit that calls
 * ff_platform_db_transaction() again (a change and its audit record, made by functions that each
 * work alone too) runs the inner work in a nested savepoint of its own transaction. */
static GPrivate unit_running;

/* Runs one batch: each unit in a savepoint (a failing unit leaves no trace), then one COMMIT
 * for all. A unit counts as done only once that commit is durable. */
static void
run_batch (FfPlatformDb *db,
           GQueue       *batch)
{
  GError *begin_error = NULL;
  gboolean any_ok = FALSE;

  g_rec_mutex_lock (&db->lock);
  if (!exec_script (db, "BEGIN IMMEDIATE", &begin_error))
    {
      for (GList *l = batch->head; l != NULL; l = l->next)
        ((Pending *) l->data)->error = g_error_copy (begin_error);
      g_error_free (begin_error);
      g_rec_mutex_unlock (&db->lock);
      return;
    }
  for (GList *l = batch->head; l != NULL; l = l->next)
    {
      Pending *pending = l->data;

      g_private_set (&unit_running, db);
      pending->ok = exec_script (db, "SAVEPOINT unit", &pending->error)
                    && pending->work (db, pending->user_data, &pending->error);
      g_private_set (&unit_running, NULL);
      if (!pending->ok)
        exec_script (db, "ROLLBACK TO unit", NULL);
      exec_script (db, "RELEASE unit", NULL);
      any_ok |= pending->ok;
    }
  if (any_ok && !exec_script (db, "COMMIT", &begin_error))
    {
      exec_script (db, "ROLLBACK", NULL);
      for (GList *l = batch->head; l != NULL; l = l->next)
        {
          Pending *pending = l->data;

          if (pending->ok)
            {
              pending->ok = FALSE;
              pending->error = g_error_copy (begin_error);
            }
        }
      g_error_free (begin_error);
    }
  else if (!any_ok)
    exec_script (db, "ROLLBACK", NULL);
  g_rec_mutex_unlock (&db->lock);
}

gboolean
ff_platform_db_transaction (FfPlatformDb     *db,
                            FfPlatformDbWork  work,
                            gpointer          user_data,
                            GError          **error)
{
  Pending pending = { work, user_data, NULL, FALSE, FALSE };

  if (g_private_get (&unit_running) == db)
    {
      gboolean ok = exec_script (db, "SAVEPOINT nested", error) && work (db, user_data, error);

      if (!ok)
        exec_script (db, "ROLLBACK TO nested", NULL);
      exec_script (db, "RELEASE nested", NULL);
      return ok;
    }
  g_mutex_lock (&db->queue_lock);
  g_queue_push_tail (&db->queue, &pending);
  while (!pending.done)
    {
      GQueue batch = G_QUEUE_INIT;

      if (db->leader_active)
        {
          g_cond_wait (&db->queue_done, &db->queue_lock);
          continue;
        }
      db->leader_active = TRUE;
      batch = db->queue;
      g_queue_init (&db->queue);
      g_mutex_unlock (&db->queue_lock);
      run_batch (db, &batch);
      g_mutex_lock (&db->queue_lock);
      for (GList *l = batch.head; l != NULL; l = l->next)
        ((Pending *) l->data)->done = TRUE;
      g_queue_clear (&batch);
      db->leader_active = FALSE;
      g_cond_broadcast (&db->queue_done);
    }
  g_mutex_unlock (&db->queue_lock);
  if (pending.error != NULL)
    g_propagate_error (error, pending.error);
  return pending.ok;
}

/* What a require_ function returns: @record found by a get_ function, or NULL with @lookup_error
 * (taken) or, when there was simply no record, FF_PLATFORM_ERROR_NOT_FOUND saying @format. */
static gpointer G_GNUC_PRINTF (4, 5)
require_found (gpointer     record,
               GError      *lookup_error,
               GError     **error,
               const char  *format,
               ...)
{
  va_list args;

  if (lookup_error != NULL)
    {
      g_propagate_error (error, lookup_error);
      return NULL;
    }
  if (record == NULL)
    {
      g_autofree char *message = NULL;

      va_start (args, format);
      message = g_strdup_vprintf (format, args);
      va_end (args);
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND, message);
    }
  return record;
}

/* Single statements lock too, so a worker thread never interleaves with a transaction. */
#define LOCKED(db, expression)                                 \
  ({ g_rec_mutex_lock (&(db)->lock);                           \
     __auto_type locked_result_ = (expression);                \
     g_rec_mutex_unlock (&(db)->lock);                         \
     locked_result_; })

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
  g_autoptr(GPtrArray) list =
    collect_rows (db, bind (db, SELECT_TERMINALS " WHERE device_id = ?", error, "s", device_id),
                  ff_platform_db_read_terminal, (GDestroyNotify) ff_terminal_free, error);

  return steal_first_row (list);
}

FfTerminal *
ff_platform_db_get_terminal (FfPlatformDb *db,
                             const char   *device_id,
                             GError      **error)
{
  return LOCKED (db, get_terminal (db, device_id, error));
}

FfTerminal *
ff_platform_db_require_terminal (FfPlatformDb *db,
                                 const char   *device_id,
                                 GError      **error)
{
  GError *lookup_error = NULL;
  FfTerminal *terminal = ff_platform_db_get_terminal (db, device_id, &lookup_error);

  return require_found (terminal, lookup_error, error, _("Terminal %s is not in the ledger"),
                        device_id);
}

static gboolean
put_terminal (FfPlatformDb     *db,
              const FfTerminal *t,
              gboolean          exists,
              gint64            now,
              GError          **error)
{
  if (exists)
    return run (db, bind (db, "UPDATE terminals SET name = ?2, latitude = ?3, longitude = ?4,"
                              " vendor = ?5, model = ?6, hardware_version = ?7,"
                              " software_version = ?8, version_key = ff_version_key (?8),"
                              " software_checksum = ?9, host = ?10, port = ?11,"
                              " common_address = ?12, profile = ?13, updated_at = ?14"
                              " WHERE device_id = ?1",
                          error, "ssddssssssiisi", t->device_id, t->name, t->latitude,
                          t->longitude, t->vendor, t->model, t->hardware_version,
                          t->software_version, t->software_checksum, t->host, (gint64) t->port,
                          (gint64) t->common_address, t->profile, now),
                error);
  return run (db, bind (db, "INSERT INTO terminals (device_id, name, latitude, longitude,"
                            " vendor, model, hardware_version, software_version, software_checksum,"
                            " host, port, common_address, profile, updated_at, version_key) VALUES"
                            " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                            " ff_version_key (?8))",
                        error, "ssddssssssiisi", t->device_id, t->name, t->latitude, t->longitude,
                        t->vendor, t->model, t->hardware_version, t->software_version,
                        t->software_checksum, t->host, (gint64) t->port,
                        (gint64) t->common_address, t->profile, now),
              error);
}

gboolean
ff_platform_db_put_terminal (FfPlatformDb     *db,
                             const FfTerminal *terminal,
                             gboolean          exists,
                             gint64            now,
                             GError          **error)
{
  return LOCKED (db, put_terminal (db, terminal, exists, now, error));
}

static gint64
count (FfPlatformDb *db,
       const char   *sql,
       GError      **error)
{
  sqlite3_stmt *stmt = bind (db, sql, error, "");
  gint64 n = -1;

  if (stmt != NULL && next_row (db, stmt, error))
    {
      n = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  return n;
}

gboolean
ff_platform_db_ping (FfPlatformDb *db,
                     GError      **error)
{
  /* Trivial on purpose: counting the ledger would hold the lock for a million-row scan. */
  return LOCKED (db, count (db, "SELECT 1", error)) == 1;
}

gint64
ff_platform_db_count_terminals (FfPlatformDb *db,
                                GError      **error)
{
  return LOCKED (db, count (db, "SELECT count(*) FROM terminals", error));
}

gint64
ff_platform_db_count_open_tasks (FfPlatformDb *db,
                                 GError      **error)
{
  return LOCKED (db, count (db, "SELECT count(*) FROM tasks WHERE state = 'open'", error));
}

gboolean
ff_platform_db_set_terminal_version (FfPlatformDb *db,
                                     const char   *device_id,
                                     const char   *version,
                                     const char   *checksum,
                                     gint64        now,
                                     GError      **error)
{
  return LOCKED (db, run (db, bind (db, "UPDATE terminals SET software_version = ?1,"
                                        " version_key = ff_version_key (?1),"
                                        " software_checksum = ?2, updated_at = ?3"
                                        " WHERE device_id = ?4",
                                    error, "ssis", version, checksum ? checksum : "", now,
                                    device_id),
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
  return LOCKED (db, run (db, bind (db, "INSERT INTO version_history (device_id, changed_at,"
                                        " from_version, to_version, to_checksum, source, report_id)"
                                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    error, "sisssss", device_id, changed_at, from_version,
                                    to_version, to_checksum, source, report_id),
                          error));
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
  sqlite3_stmt *stmt = bind (db, "SELECT changed_at, from_version, to_version, to_checksum, source,"
                                 " report_id FROM version_history WHERE device_id = ? ORDER BY id",
                             error, "s", device_id);

  return collect_rows (db, stmt, read_history_entry, (GDestroyNotify) ff_history_entry_free,
                       error);
}

GPtrArray *
ff_platform_db_list_history (FfPlatformDb *db,
                             const char   *device_id,
                             GError      **error)
{
  return LOCKED (db, list_history (db, device_id, error));
}

/* Firmware */

static gboolean
insert_firmware_rows (FfPlatformDb *db,
                      FfFirmware   *fw,
                      GError      **error)
{
  if (!run (db, bind (db, "INSERT INTO firmware (vendor, model, version, sha256, size, notes,"
                          " added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      error, "ssssisi", fw->vendor, fw->model, fw->version, fw->sha256, fw->size,
                      fw->notes ? fw->notes : "", fw->added_at),
            error))
    return FALSE;
  fw->id = sqlite3_last_insert_rowid (db->handle);
  for (guint i = 0; fw->hardware_versions != NULL && fw->hardware_versions[i] != NULL; i++)
    if (!run (db, bind (db, "INSERT OR IGNORE INTO firmware_hardware VALUES (?, ?)", error, "is",
                        fw->id, fw->hardware_versions[i]),
              error))
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
  if (!exec_script (db, "SAVEPOINT insert_firmware", error))
    return FALSE;
  if (insert_firmware_rows (db, fw, error) && exec_script (db, "RELEASE insert_firmware", error))
    return TRUE;
  exec_script (db, "ROLLBACK TO insert_firmware", NULL);
  exec_script (db, "RELEASE insert_firmware", NULL);
  return FALSE;
}

gboolean
ff_platform_db_insert_firmware (FfPlatformDb *db,
                                FfFirmware   *firmware,
                                GError      **error)
{
  return LOCKED (db, insert_firmware (db, firmware, error));
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
  sqlite3_stmt *stmt = bind (db, "SELECT hardware_version FROM firmware_hardware"
                                 " WHERE firmware_id = ? ORDER BY hardware_version",
                             error, "i", firmware_id);
  g_autoptr(GPtrArray) versions = collect_rows (db, stmt, read_first_text, g_free, error);

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
  g_autoptr(GPtrArray) list = collect_rows (db, stmt, read_firmware,
                                            (GDestroyNotify) ff_firmware_free, error);

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
    collect_firmware (db, bind (db, SELECT_FIRMWARE " WHERE vendor = ? AND model = ?"
                                                    " AND version = ?",
                                error, "sss", vendor, model, version),
                      error);

  return steal_first_row (list);
}

FfFirmware *
ff_platform_db_find_firmware (FfPlatformDb *db,
                              const char   *vendor,
                              const char   *model,
                              const char   *version,
                              GError      **error)
{
  return LOCKED (db, find_firmware (db, vendor, model, version, error));
}

static GPtrArray *
list_firmware (FfPlatformDb *db,
               const char   *version,
               GError      **error)
{
  return collect_firmware (db, bind (db, SELECT_FIRMWARE " WHERE ?1 IS NULL OR version = ?1"
                                          " ORDER BY vendor, model, id", error, "s", version),
                           error);
}

GPtrArray *
ff_platform_db_list_firmware (FfPlatformDb *db,
                              const char   *version,
                              GError      **error)
{
  return LOCKED (db, list_firmware (db, version, error));
}

static gboolean
withdraw_firmware (FfPlatformDb *db,
                   gint64        firmware_id,
                   gint64        now,
                   gboolean     *withdrawn,
                   GError      **error)
{
  if (!run (db, bind (db, "UPDATE firmware SET withdrawn_at = ? WHERE id = ?"
                          " AND withdrawn_at IS NULL", error, "ii", now, firmware_id),
            error))
    return FALSE;
  *withdrawn = sqlite3_changes (db->handle) > 0;
  return TRUE;
}

gboolean
ff_platform_db_withdraw_firmware (FfPlatformDb *db,
                                  gint64        firmware_id,
                                  gint64        now,
                                  gboolean     *withdrawn,
                                  GError      **error)
{
  return LOCKED (db, withdraw_firmware (db, firmware_id, now, withdrawn, error));
}

gboolean
ff_platform_db_add_blacklist (FfPlatformDb *db,
                              gint64        firmware_id,
                              const char   *device_id,
                              gint64        now,
                              GError      **error)
{
  return LOCKED (db, run (db, bind (db, "INSERT INTO blacklist VALUES (?, ?, ?)", error, "isi",
                                    firmware_id, device_id, now),
                          error));
}

gboolean
ff_platform_db_exists (FfPlatformDb *db,
                       sqlite3_stmt *stmt,
                       gboolean     *found,
                       GError      **error)
{
  g_autoptr(GError) local_error = NULL;

  if (stmt == NULL)
    return FALSE;
  *found = next_row (db, stmt, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
ff_platform_db_is_blacklisted (FfPlatformDb *db,
                               gint64        firmware_id,
                               const char   *device_id,
                               gboolean     *blacklisted,
                               GError      **error)
{
  return LOCKED (db, ff_platform_db_exists (db, bind (db, "SELECT 1 FROM blacklist WHERE firmware_id = ?"
                                           " AND device_id = ?", error, "is", firmware_id,
                                       device_id),
                             blacklisted, error));
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
  return LOCKED (db, ff_platform_db_exists (db, bind (db, "SELECT 1 FROM firmware f"
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
                                           " LIMIT 1", error, "sss", sha256, phone, serial),
                             visible, error));
}

/* Delta patches */

gboolean
ff_platform_db_insert_delta (FfPlatformDb          *db,
                             const FfFirmwareDelta *delta,
                             gint64                 now,
                             GError               **error)
{
  return LOCKED (db, run (db, bind (db, "INSERT OR IGNORE INTO firmware_deltas (from_sha256,"
                                        " to_sha256, sha256, size, made_at) VALUES (?, ?, ?, ?, ?)",
                                    error, "sssii", delta->from_sha256, delta->to_sha256,
                                    delta->sha256, delta->size, now),
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
  return LOCKED (db, collect_rows (db, bind (db, "SELECT d.from_sha256, d.to_sha256, d.sha256,"
                                                 " d.size, d.made_at, (SELECT f.version"
                                                 "   FROM firmware f WHERE f.sha256 = d.from_sha256"
                                                 "   AND f.vendor = ?2 AND f.model = ?3"
                                                 "   ORDER BY f.id LIMIT 1) AS version"
                                                 " FROM firmware_deltas d WHERE d.to_sha256 = ?1"
                                                 " ORDER BY ff_version_key (coalesce (version,"
                                                 "   '')), d.from_sha256",
                                             error, "sss", to->sha256, to->vendor, to->model),
                                   read_delta, (GDestroyNotify) ff_firmware_delta_free, error));
}

GPtrArray *
ff_platform_db_list_field_sources (FfPlatformDb     *db,
                                   const FfFirmware *to,
                                   GError          **error)
{
  return LOCKED (db, collect_firmware (db, bind (db, SELECT_FIRMWARE " f WHERE f.vendor = ?1"
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
                                                     " ORDER BY ff_version_key (f.version), f.id",
                                                 error, "ssssi", to->vendor, to->model,
                                                 to->sha256, to->version, to->id),
                                         error));
}

/* Handhelds */

gboolean
ff_platform_db_insert_handheld (FfPlatformDb *db,
                                const char   *serial,
                                const char   *public_key_pem,
                                gint64        now,
                                GError      **error)
{
  return LOCKED (db, run (db, bind (db, "INSERT INTO handhelds VALUES (?, ?, 'in-stock', NULL, ?)",
                                    error, "ssi", serial, public_key_pem, now),
                          error));
}

#define SELECT_HANDHELDS "SELECT serial, public_key, state, task_id FROM handhelds"

static gpointer
read_handheld (sqlite3_stmt *stmt)
{
  FfHandheld *handheld = g_new0 (FfHandheld, 1);

  handheld->serial = ff_sqlite_column_text (stmt, 0);
  handheld->public_key_pem = ff_sqlite_column_text (stmt, 1);
  handheld->state = ff_sqlite_column_text (stmt, 2);
  handheld->task_id = ff_sqlite_column_text (stmt, 3);
  return handheld;
}

static GPtrArray *
collect_handhelds (FfPlatformDb *db,
                   sqlite3_stmt *stmt,
                   GError      **error)
{
  return collect_rows (db, stmt, read_handheld, (GDestroyNotify) ff_handheld_free, error);
}

static FfHandheld *
get_handheld (FfPlatformDb *db,
              const char   *serial,
              GError      **error)
{
  g_autoptr(GPtrArray) list =
    collect_handhelds (db, bind (db, SELECT_HANDHELDS " WHERE serial = ?", error, "s", serial),
                       error);

  return steal_first_row (list);
}

FfHandheld *
ff_platform_db_get_handheld (FfPlatformDb *db,
                             const char   *serial,
                             GError      **error)
{
  return LOCKED (db, get_handheld (db, serial, error));
}

FfHandheld *
ff_platform_db_require_handheld (FfPlatformDb *db,
                                 const char   *serial,
                                 GError      **error)
{
  GError *lookup_error = NULL;
  FfHandheld *handheld = ff_platform_db_get_handheld (db, serial, &lookup_error);

  return require_found (handheld, lookup_error, error, _("Tablet %s is not registered"), serial);
}

GPtrArray *
ff_platform_db_list_handhelds (FfPlatformDb *db,
                               GError      **error)
{
  return LOCKED (db, collect_handhelds (db, bind (db, SELECT_HANDHELDS " ORDER BY serial", error,
                                                  ""),
                                        error));
}

gboolean
ff_platform_db_set_handheld_state (FfPlatformDb *db,
                                   const char   *serial,
                                   const char   *state,
                                   const char   *task_id,
                                   GError      **error)
{
  return LOCKED (db, run (db, bind (db, "UPDATE handhelds SET state = ?, task_id = ?"
                                        " WHERE serial = ?", error, "sss", state, task_id, serial),
                          error));
}

/* Technicians and sessions */

gboolean
ff_platform_db_insert_technician (FfPlatformDb *db,
                                  const char   *phone,
                                  const char   *name,
                                  const char   *pin_hash,
                                  gint64        now,
                                  GError      **error)
{
  return LOCKED (db, run (db, bind (db, "INSERT INTO technicians VALUES (?, ?, ?, 0, 0, ?)", error,
                                    "sssi", phone, name, pin_hash, now),
                          error));
}

#define SELECT_TECHNICIANS \
  "SELECT phone, name, pin_hash, failed_logins, last_failure_at FROM technicians"

static gpointer
read_technician (sqlite3_stmt *stmt)
{
  FfTechnician *technician = g_new0 (FfTechnician, 1);

  technician->phone = ff_sqlite_column_text (stmt, 0);
  technician->name = ff_sqlite_column_text (stmt, 1);
  technician->pin_hash = ff_sqlite_column_text (stmt, 2);
  technician->failed_logins = sqlite3_column_int64 (stmt, 3);
  technician->last_failure_at = sqlite3_column_int64 (stmt, 4);
  return technician;
}

static GPtrArray *
collect_technicians (FfPlatformDb *db,
                     sqlite3_stmt *stmt,
                     GError      **error)
{
  return collect_rows (db, stmt, read_technician, (GDestroyNotify) ff_technician_free, error);
}

static FfTechnician *
get_technician (FfPlatformDb *db,
                const char   *phone,
                GError      **error)
{
  g_autoptr(GPtrArray) list =
    collect_technicians (db, bind (db, SELECT_TECHNICIANS " WHERE phone = ?", error, "s", phone),
                         error);

  return steal_first_row (list);
}

FfTechnician *
ff_platform_db_get_technician (FfPlatformDb *db,
                               const char   *phone,
                               GError      **error)
{
  return LOCKED (db, get_technician (db, phone, error));
}

FfTechnician *
ff_platform_db_require_technician (FfPlatformDb *db,
                                   const char   *phone,
                                   GError      **error)
{
  GError *lookup_error = NULL;
  FfTechnician *technician = ff_platform_db_get_technician (db, phone, &lookup_error);

  return require_found (technician, lookup_error, error, _("Technician %s is not registered"),
                        phone);
}

GPtrArray *
ff_platform_db_list_technicians (FfPlatformDb *db,
                                 GError      **error)
{
  return LOCKED (db, collect_technicians (db, bind (db, SELECT_TECHNICIANS " ORDER BY phone",
                                                    error, ""),
                                          error));
}

gboolean
ff_platform_db_set_login_failures (FfPlatformDb *db,
                                   const char   *phone,
                                   gint64        failures,
                                   gint64        last_failure_at,
                                   GError      **error)
{
  return LOCKED (db, run (db, bind (db, "UPDATE technicians SET failed_logins = ?,"
                                        " last_failure_at = ? WHERE phone = ?", error, "iis",
                                    failures, last_failure_at, phone),
                          error));
}

/* Supervisors */

gboolean
ff_platform_db_insert_supervisor (FfPlatformDb *db,
                                  const char   *name,
                                  const char   *pin_hash,
                                  gint64        now,
                                  GError      **error)
{
  return LOCKED (db, run (db, bind (db, "INSERT INTO supervisors VALUES (?, ?, ?, NULL)", error,
                                    "ssi", name, pin_hash, now),
                          error));
}

static gpointer
read_supervisor (sqlite3_stmt *stmt)
{
  FfSupervisorRecord *supervisor = g_new0 (FfSupervisorRecord, 1);

  supervisor->name = ff_sqlite_column_text (stmt, 0);
  supervisor->pin_hash = ff_sqlite_column_text (stmt, 1);
  supervisor->added_at = sqlite3_column_int64 (stmt, 2);
  supervisor->disabled_at = sqlite3_column_int64 (stmt, 3);
  return supervisor;
}

GPtrArray *
ff_platform_db_list_supervisors (FfPlatformDb *db,
                                 gboolean      only_enabled,
                                 GError      **error)
{
  const char *sql = only_enabled
    ? "SELECT name, pin_hash, added_at, disabled_at FROM supervisors"
      " WHERE disabled_at IS NULL ORDER BY name"
    : "SELECT name, pin_hash, added_at, disabled_at FROM supervisors ORDER BY name";

  return LOCKED (db, collect_rows (db, bind (db, sql, error, ""), read_supervisor,
                                   (GDestroyNotify) ff_supervisor_record_free, error));
}

static gboolean
disable_supervisor (FfPlatformDb *db,
                    const char   *name,
                    gint64        now,
                    gboolean     *disabled,
                    GError      **error)
{
  if (!run (db, bind (db, "UPDATE supervisors SET disabled_at = ? WHERE name = ?"
                          " AND disabled_at IS NULL", error, "is", now, name),
            error))
    return FALSE;
  *disabled = sqlite3_changes (db->handle) > 0;
  return TRUE;
}

gboolean
ff_platform_db_disable_supervisor (FfPlatformDb *db,
                                   const char   *name,
                                   gint64        now,
                                   gboolean     *disabled,
                                   GError      **error)
{
  return LOCKED (db, disable_supervisor (db, name, now, disabled, error));
}

gboolean
ff_platform_db_insert_session (FfPlatformDb *db,
                               const char   *token_hash,
                               const char   *phone,
                               const char   *serial,
                               gint64        now,
                               gint64        expires_at,
                               GError      **error)
{
  return LOCKED (db, run (db, bind (db, "DELETE FROM sessions WHERE expires_at <= ?", error, "i",
                                    now), error)
                     && run (db, bind (db, "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", error,
                                       "sssii", token_hash, phone, serial, now, expires_at),
                             error));
}

static gboolean
find_session (FfPlatformDb *db,
              const char   *token_hash,
              gint64        now,
              char        **phone,
              char        **serial,
              gboolean     *retired,
              GError      **error)
{
  sqlite3_stmt *stmt = bind (db, "SELECT s.phone, s.serial, h.state = 'retired' FROM sessions s"
                                 " JOIN handhelds h ON h.serial = s.serial"
                                 " WHERE s.token_hash = ? AND s.expires_at > ?",
                             error, "si", token_hash, now);

  if (stmt == NULL || !next_row (db, stmt, error))
    return FALSE;
  *phone = ff_sqlite_column_text (stmt, 0);
  *serial = ff_sqlite_column_text (stmt, 1);
  *retired = sqlite3_column_int (stmt, 2) != 0;
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
ff_platform_db_find_session (FfPlatformDb *db,
                             const char   *token_hash,
                             gint64        now,
                             char        **phone,
                             char        **serial,
                             gboolean     *retired,
                             GError      **error)
{
  return LOCKED (db, find_session (db, token_hash, now, phone, serial, retired, error));
}

/* Tasks */

gint64
ff_platform_db_count_tasks_with_prefix (FfPlatformDb *db,
                                        const char   *prefix,
                                        GError      **error)
{
  g_autofree char *upper = g_strconcat (prefix, "\xff", NULL);
  sqlite3_stmt *stmt;
  gint64 n = -1;

  g_rec_mutex_lock (&db->lock);
  /* A range instead of LIKE, so '_' or '%' in the prefix could never act as wildcards. */
  stmt = bind (db, "SELECT count(*) FROM tasks WHERE task_id >= ? AND task_id < ?", error, "ss",
               prefix, upper);
  if (stmt != NULL && next_row (db, stmt, error))
    {
      n = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  g_rec_mutex_unlock (&db->lock);
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
  return LOCKED (db, run (db, bind (db, "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, 'open', NULL,"
                                        " ?, ?)", error, "ssiisBB", task_id, phone, issued_at,
                                    expires_at, rollback_reason, document, signature),
                          error));
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
  return LOCKED (db, run (db, bind (db, "INSERT INTO task_items (task_id, device_id,"
                                        " target_firmware_id, previous_firmware_id, state,"
                                        " expected_version) VALUES (?, ?, ?, ?, 'open', ?)",
                                    error, "ssins", task_id, device_id, target_firmware_id,
                                    previous_firmware_id, expected_version),
                          error));
}

gboolean
ff_platform_db_insert_task_tablet (FfPlatformDb *db,
                                   const char   *task_id,
                                   const char   *serial,
                                   GError      **error)
{
  return LOCKED (db, run (db, bind (db, "INSERT INTO task_tablets VALUES (?, ?)", error, "ss",
                                    task_id, serial),
                          error));
}

gboolean
ff_platform_db_insert_dispatch (FfPlatformDb *db,
                                const char   *task_id,
                                const char   *phone,
                                gint64        now,
                                const char   *body,
                                GError      **error)
{
  return LOCKED (db, run (db, bind (db, "INSERT INTO dispatch_messages (task_id, phone, created_at,"
                                        " body) VALUES (?, ?, ?, ?)", error, "ssis", task_id,
                                    phone, now, body),
                          error));
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
  sqlite3_stmt *stmt = bind (db, "SELECT task_id, phone, issued_at, expires_at, rollback_reason,"
                                 " state, -1, -1, NULL, document, signature FROM tasks"
                                 " WHERE task_id = ?", error, "s", task_id);
  FfTaskRecord *record;

  if (stmt == NULL || !next_row (db, stmt, error))
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
  return LOCKED (db, get_task (db, task_id, error));
}

static gboolean
get_task_owner (FfPlatformDb *db,
                const char   *task_id,
                char        **phone,
                char        **state,
                GError      **error)
{
  sqlite3_stmt *stmt = bind (db, "SELECT phone, state FROM tasks WHERE task_id = ?", error, "s",
                             task_id);

  if (stmt == NULL || !next_row (db, stmt, error))
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
  return LOCKED (db, get_task_owner (db, task_id, phone, state, error));
}

static GPtrArray *
list_tasks (FfPlatformDb *db,
            const char   *phone,
            const char   *serial,
            GError      **error)
{
  sqlite3_stmt *stmt =
    bind (db, SELECT_TASK_SUMMARIES " WHERE (?1 IS NULL OR t.phone = ?1) AND (?2 IS NULL OR EXISTS"
              " (SELECT 1 FROM task_tablets tt WHERE tt.task_id = t.task_id AND tt.serial = ?2))"
              " ORDER BY t.issued_at DESC, t.task_id DESC", error, "ss", phone, serial);

  return collect_rows (db, stmt, read_task_summary, (GDestroyNotify) ff_task_record_free, error);
}

GPtrArray *
ff_platform_db_list_tasks (FfPlatformDb *db,
                           const char   *phone,
                           const char   *serial,
                           GError      **error)
{
  return LOCKED (db, list_tasks (db, phone, serial, error));
}

gboolean
ff_platform_db_task_lists_tablet (FfPlatformDb *db,
                                  const char   *task_id,
                                  const char   *serial,
                                  gboolean     *listed,
                                  GError      **error)
{
  return LOCKED (db, ff_platform_db_exists (db, bind (db, "SELECT 1 FROM task_tablets WHERE task_id = ?"
                                           " AND serial = ?", error, "ss", task_id, serial),
                             listed, error));
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
  g_autoptr(GPtrArray) list =
    collect_rows (db, bind (db, "SELECT i.state, t.version, t.sha256, p.version, p.sha256,"
                                " i.expected_version, i.closing_report_id FROM task_items i"
                                " JOIN firmware t ON t.id = i.target_firmware_id"
                                " LEFT JOIN firmware p ON p.id = i.previous_firmware_id"
                                " WHERE i.task_id = ? AND i.device_id = ?",
                            error, "ss", task_id, device_id),
                  ff_platform_db_read_task_item, (GDestroyNotify) ff_task_item_record_free,
                  error);

  return steal_first_row (list);
}

FfTaskItemRecord *
ff_platform_db_get_task_item (FfPlatformDb *db,
                              const char   *task_id,
                              const char   *device_id,
                              GError      **error)
{
  return LOCKED (db, get_task_item (db, task_id, device_id, error));
}

static gboolean
terminal_in_open_task (FfPlatformDb *db,
                       const char   *device_id,
                       char        **task_id,
                       GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt = bind (db, "SELECT i.task_id FROM task_items i"
                                 " JOIN tasks t ON t.task_id = i.task_id"
                                 " WHERE i.device_id = ? AND i.state = 'open' AND t.state = 'open'"
                                 " LIMIT 1", error, "s", device_id);

  *task_id = NULL;
  if (stmt == NULL)
    return FALSE;
  if (next_row (db, stmt, &local_error))
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
  return LOCKED (db, terminal_in_open_task (db, device_id, task_id, error));
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
  return LOCKED (db, run (db, bind (db, "UPDATE task_items SET state = 'closed',"
                                        " closing_report_id = ? WHERE task_id = ?"
                                        " AND device_id = ?", error, "sss",
                                    report_id, task_id, device_id),
                          error));
}

static gboolean
complete_task_if_done (FfPlatformDb *db,
                       const char   *task_id,
                       gint64        now,
                       gboolean     *complete,
                       GError      **error)
{
  gboolean open_items;

  if (!ff_platform_db_exists (db, bind (db, "SELECT 1 FROM task_items WHERE task_id = ? AND state = 'open'"
                             " LIMIT 1", error, "s", task_id), &open_items, error))
    return FALSE;
  *complete = !open_items;
  if (open_items)
    return TRUE;
  return run (db, bind (db, "UPDATE tasks SET state = 'complete', completed_at = ?"
                            " WHERE task_id = ? AND state = 'open'", error, "is", now, task_id),
              error)
         && run (db, bind (db, "UPDATE handhelds SET state = 'in-stock', task_id = NULL"
                               " WHERE task_id = ? AND state = 'checked-out'", error, "s",
                           task_id),
                 error);
}

gboolean
ff_platform_db_complete_task_if_done (FfPlatformDb *db,
                                      const char   *task_id,
                                      gint64        now,
                                      gboolean     *complete,
                                      GError      **error)
{
  return LOCKED (db, complete_task_if_done (db, task_id, now, complete, error));
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
  return collect_rows (db, stmt, ff_platform_db_read_report,
                       (GDestroyNotify) ff_report_record_free, error);
}

static FfReportRecord *
get_report (FfPlatformDb *db,
            const char   *report_id,
            GError      **error)
{
  g_autoptr(GPtrArray) list =
    collect_reports (db, bind (db, SELECT_REPORTS " WHERE report_id = ?", error, "s", report_id),
                     error);

  return steal_first_row (list);
}

FfReportRecord *
ff_platform_db_get_report (FfPlatformDb *db,
                           const char   *report_id,
                           GError      **error)
{
  return LOCKED (db, get_report (db, report_id, error));
}

gboolean
ff_platform_db_insert_report (FfPlatformDb         *db,
                              const FfReportRecord *r,
                              GBytes               *signature,
                              GError              **error)
{
  return LOCKED (db, run (db, bind (db, "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                    error, "sssssiiBB", r->report_id, r->task_id, r->device_id,
                                    r->tablet_serial, r->outcome, r->created_at, r->received_at,
                                    r->document, signature),
                          error));
}

static GPtrArray *
list_reports (FfPlatformDb *db,
              const char   *task_id,
              GError      **error)
{
  return collect_reports (db, bind (db, SELECT_REPORTS " WHERE ?1 IS NULL OR task_id = ?1"
                                                       " ORDER BY received_at, rowid",
                                    error, "s", task_id),
                          error);
}

GPtrArray *
ff_platform_db_list_reports (FfPlatformDb *db,
                             const char   *task_id,
                             GError      **error)
{
  return LOCKED (db, list_reports (db, task_id, error));
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
ff_handheld_free (FfHandheld *handheld)
{
  if (handheld == NULL)
    return;
  g_free (handheld->serial);
  g_free (handheld->public_key_pem);
  g_free (handheld->state);
  g_free (handheld->task_id);
  g_free (handheld);
}

void
ff_supervisor_record_free (FfSupervisorRecord *supervisor)
{
  if (supervisor == NULL)
    return;
  g_free (supervisor->name);
  g_free (supervisor->pin_hash);
  g_free (supervisor);
}

void
ff_technician_free (FfTechnician *technician)
{
  if (technician == NULL)
    return;
  g_free (technician->phone);
  g_free (technician->name);
  g_free (technician->pin_hash);
  g_free (technician);
}

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
