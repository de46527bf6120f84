/* The platform database: opening and migrating it, the statement cache and row helpers the
 * files by table group (ff-platform-*-db.c, ff-platform-operators.c, …) share, and transactions
 * (sqlite, WAL). Every statement is prepared once, cached and bound with parameters; no value is
 * spliced into SQL. */
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
  gboolean          lazy;         /* ff_platform_db_transaction_lazy() */
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

/* Steps a statement that returns no rows. */
gboolean
ff_platform_db_run (FfPlatformDb *db,
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
gboolean
ff_platform_db_next_row (FfPlatformDb *db,
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
GPtrArray *
ff_platform_db_collect_rows (FfPlatformDb   *db,
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
  while (ff_platform_db_next_row (db, stmt, &local_error))
    g_ptr_array_add (rows, read_row (stmt));
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&rows);
}

gpointer
ff_platform_db_steal_first_row (GPtrArray *rows)
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

gboolean
ff_platform_db_exec (FfPlatformDb *db,
                     const char   *sql,
                     GError      **error)
{
  return exec_script (db, sql, error);
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

/* Whether @db failed to make or grow its WAL index (DATA/platform.db-shm), as on a full disk. */
static gboolean
wal_index_failed (FfPlatformDb *db)
{
  int code = sqlite3_extended_errcode (db->handle);

  return code == SQLITE_IOERR_SHMOPEN || code == SQLITE_IOERR_SHMSIZE
         || code == SQLITE_IOERR_SHMMAP;
}

/* Opens @path; with @own_index, the WAL index is kept in this connection's memory rather than in
 * the shared -shm file, which takes exclusive locking from the first read on. */
static FfPlatformDb *
open_connection (const char *path,
                 gboolean    own_index,
                 gboolean   *index_failed,
                 GError    **error)
{
  FfPlatformDb *db = g_new0 (FfPlatformDb, 1);
  gboolean ok;
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
  /* Exclusive before the first read: sqlite then never makes the shared index (wal.html). */
  ok = !own_index || exec_script (db, "PRAGMA locking_mode = EXCLUSIVE;", error);
  /* A large page cache and memory-mapped reads keep ledger queries on a million terminals
   * (random row lookups through the version index) in memory. */
  ok = ok
       && exec_script (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                           "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;"
                           "PRAGMA mmap_size = 1073741824;", error)
       && ff_platform_schema_migrate (db->handle, error);
  if (!ok)
    {
      if (index_failed != NULL)
        *index_failed = wal_index_failed (db);
      g_prefix_error (error, "%s: ", path);
      ff_platform_db_close (db);
      return NULL;
    }
  return db;
}

FfPlatformDb *
ff_platform_db_open (const char *path,
                     GError    **error)
{
  return open_connection (path, FALSE, NULL, error);
}

FfPlatformDb *
ff_platform_db_open_briefly (const char *path,
                             GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean index_failed = FALSE;
  FfPlatformDb *db = open_connection (path, FALSE, &index_failed, &local_error);

  if (db == NULL && index_failed)
    {
      g_clear_error (&local_error);
      db = open_connection (path, TRUE, NULL, &local_error);
    }
  if (db == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return db;
}

FfPlatformDb *
ff_platform_db_open_again (FfPlatformDb *db,
                           GError      **error)
{
  return ff_platform_db_open (sqlite3_db_filename (db->handle, "main"), error);
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

/* One write transaction at a time in this process, across its connections to the database: a
 * connection waiting for another's commit waits here, woken when it is done, rather than in
 * SQLite's busy handler, which polls in sleeps of up to 100 ms. (Another process still meets the
 * busy handler.) */
static GMutex writing;

/* Runs one batch: each unit in a savepoint (a failing unit leaves no trace), then one COMMIT
 * for all. A unit counts as done only once that commit is durable, unless every unit of the
 * batch is lazy: then the commit does not wait for the disk (WAL with synchronous=NORMAL). */
static void
run_batch (FfPlatformDb *db,
           GQueue       *batch)
{
  GError *begin_error = NULL;
  gboolean any_ok = FALSE;
  gboolean lazy = TRUE;

  for (GList *l = batch->head; l != NULL; l = l->next)
    lazy &= ((Pending *) l->data)->lazy;
  g_rec_mutex_lock (&db->lock);
  g_mutex_lock (&writing);
  if (lazy)
    exec_script (db, "PRAGMA synchronous = NORMAL", NULL);
  if (!exec_script (db, "BEGIN IMMEDIATE", &begin_error))
    {
      for (GList *l = batch->head; l != NULL; l = l->next)
        ((Pending *) l->data)->error = g_error_copy (begin_error);
      g_error_free (begin_error);
      if (lazy)
        exec_script (db, "PRAGMA synchronous = FULL", NULL);
      g_mutex_unlock (&writing);
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
  if (lazy)
    exec_script (db, "PRAGMA synchronous = FULL", NULL);
  g_mutex_unlock (&writing);
  g_rec_mutex_unlock (&db->lock);
}

static gboolean
transaction (FfPlatformDb     *db,
             FfPlatformDbWork  work,
             gpointer          user_data,
             gboolean          lazy,
             GError          **error)
{
  Pending pending = { work, user_data, NULL, lazy, FALSE, FALSE };

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

gboolean
ff_platform_db_transaction (FfPlatformDb     *db,
                            FfPlatformDbWork  work,
                            gpointer          user_data,
                            GError          **error)
{
  return transaction (db, work, user_data, FALSE, error);
}

gboolean
ff_platform_db_transaction_lazy (FfPlatformDb     *db,
                                 FfPlatformDbWork  work,
                                 gpointer          user_data,
                                 GError          **error)
{
  return transaction (db, work, user_data, TRUE, error);
}

gpointer
ff_platform_db_require_found (gpointer     record,
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

/* Counts for the health check and the metrics */

static gint64
count (FfPlatformDb *db,
       const char   *sql,
       GError      **error)
{
  sqlite3_stmt *stmt = ff_platform_db_bind (db, sql, error, "");
  gint64 n = -1;

  if (stmt != NULL && ff_platform_db_next_row (db, stmt, error))
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
ff_platform_db_exists (FfPlatformDb *db,
                       sqlite3_stmt *stmt,
                       gboolean     *found,
                       GError      **error)
{
  g_autoptr(GError) local_error = NULL;

  if (stmt == NULL)
    return FALSE;
  *found = ff_platform_db_next_row (db, stmt, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

