/* The tablet's own storage: sqlite (WAL) for tasks, workflow state, reports and the upload queue,
 * plus content-addressed firmware files. */
#include "config.h"

#include "ff-store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ff-crypto.h"
#include "ff-files.h"
#include "ff-report.h"
#include "ff-sqlite.h"

#define SCHEMA_VERSION 1

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS settings ("
  "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS tasks ("
  "  task_id TEXT PRIMARY KEY, document BLOB NOT NULL, signature BLOB NOT NULL,"
  "  stored_at INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS withdrawn_tasks ("
  "  task_id TEXT PRIMARY KEY, withdrawn_at INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS firmware ("
  "  sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, stored_at INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS workflows ("
  "  task_id TEXT NOT NULL, device_id TEXT NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL,"
  "  updated_at INTEGER NOT NULL, PRIMARY KEY (task_id, device_id));"
  "CREATE TABLE IF NOT EXISTS reports ("
  "  report_id TEXT PRIMARY KEY, task_id TEXT NOT NULL, device_id TEXT NOT NULL,"
  "  outcome TEXT NOT NULL, created_at INTEGER NOT NULL, document BLOB NOT NULL,"
  "  signature BLOB NOT NULL);"
  "CREATE TABLE IF NOT EXISTS upload_queue ("
  "  report_id TEXT PRIMARY KEY REFERENCES reports (report_id), attempts INTEGER NOT NULL,"
  "  last_error TEXT, uploaded_at INTEGER);";

struct _FfStore
{
  GObject  parent_instance;

  char    *firmware_dir;
  sqlite3 *db;
  GMutex   lock;   /* one connection, one transaction at a time */
};

G_DEFINE_FINAL_TYPE (FfStore, ff_store, G_TYPE_OBJECT)
G_DEFINE_QUARK (ff-store-error-quark, ff_store_error)

void
ff_stored_report_free (FfStoredReport *report)
{
  g_free (report->description);
  g_free (report->report_id);
  g_free (report->task_id);
  g_free (report->device_id);
  g_free (report->outcome);
  g_free (report->last_error);
  g_free (report);
}

static gboolean
errno_means_full (int error_number)
{
  return error_number == ENOSPC || error_number == EFBIG || error_number == EDQUOT;
}

/* A full disk reaches us as SQLITE_FULL, or as a write error whose errno says so (EFBIG when a
 * file size limit is hit). sqlite does not always keep that errno (a failed commit may report 0),
 * so a write error without one is reported as "full or failing": in both cases the technician must
 * free space or change the card, and nothing was written. */
static gboolean
set_sqlite_error (FfStore *self, GError **error, int code)
{
  int primary = code & 0xff;
  int system_errno = sqlite3_system_errno (self->db);

  if (primary == SQLITE_FULL || (primary == SQLITE_IOERR && errno_means_full (system_errno)))
    g_set_error_literal (error, FF_STORE_ERROR, FF_STORE_ERROR_FULL,
                         _("The tablet’s storage is full; nothing was saved. "
                           "Free some space and try again."));
  else if (code == SQLITE_IOERR_WRITE && system_errno == 0)
    g_set_error_literal (error, FF_STORE_ERROR, FF_STORE_ERROR_FULL,
                         _("The tablet’s storage did not take the write (full or failing); "
                           "nothing was saved. Free some space and try again."));
  else
    g_set_error (error, FF_STORE_ERROR, FF_STORE_ERROR_FAILED, _("Tablet database error: %s"),
                 sqlite3_errmsg (self->db));
  return FALSE;
}

static gboolean
exec_sql (FfStore *self, const char *sql, GError **error)
{
  int code = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  return code == SQLITE_OK || set_sqlite_error (self, error, code);
}

static sqlite3_stmt *
prepare (FfStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *statement = NULL;
  int code = sqlite3_prepare_v2 (self->db, sql, -1, &statement, NULL);

  if (code != SQLITE_OK)
    {
      set_sqlite_error (self, error, code);
      return NULL;
    }
  return statement;
}

/* Runs a statement that returns no rows. */
static gboolean
step_done (FfStore *self, sqlite3_stmt *statement, GError **error)
{
  int code = sqlite3_step (statement);

  return code == SQLITE_DONE || set_sqlite_error (self, error, code);
}

/* Prepares @sql, binds one value per character of @types (see ff_sqlite_bind()) and runs it; it
 * returns no rows. */
static gboolean
run_sql (FfStore *self, GError **error, const char *sql, const char *types, ...)
{
  g_autoptr(sqlite3_stmt) statement = prepare (self, sql, error);
  va_list args;
  int code;

  if (statement == NULL)
    return FALSE;
  va_start (args, types);
  code = ff_sqlite_bind_valist (statement, types, args);
  va_end (args);
  if (code != SQLITE_OK)
    return set_sqlite_error (self, error, code);
  return step_done (self, statement, error);
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static gboolean
begin (FfStore *self, GError **error)
{
  g_mutex_lock (&self->lock);
  if (exec_sql (self, "BEGIN IMMEDIATE", error))
    return TRUE;
  g_mutex_unlock (&self->lock);
  return FALSE;
}

static gboolean
end (FfStore *self, gboolean ok, GError **error)
{
  if (ok)
    ok = exec_sql (self, "COMMIT", error);
  if (!ok)
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
ff_store_finalize (GObject *object)
{
  FfStore *self = FF_STORE (object);

  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_mutex_clear (&self->lock);
  g_free (self->firmware_dir);
  G_OBJECT_CLASS (ff_store_parent_class)->finalize (object);
}

static void
ff_store_class_init (FfStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ff_store_finalize;
}

static void
ff_store_init (FfStore *self)
{
  g_mutex_init (&self->lock);
}

/* tablet.db holds the platform session token, so it is made (or, made by an older version,
 * tightened to) 0600 before sqlite opens it; sqlite creates its -wal and -shm files with the
 * database's mode, and those an older version left behind are tightened too. */
static gboolean
make_private (const char  *db_path,
              GError     **error)
{
  const char *suffixes[] = { "-wal", "-shm" };
  int fd = g_open (db_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  int saved_errno = 0;

  if (fd < 0 || fchmod (fd, 0600) != 0)
    saved_errno = errno;
  if (fd >= 0)
    close (fd);
  for (guint i = 0; saved_errno == 0 && i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (db_path, suffixes[i], NULL);

      if (g_chmod (path, 0600) != 0 && errno != ENOENT)
        saved_errno = errno;
    }
  if (saved_errno == 0)
    return TRUE;
  g_set_error (error, FF_STORE_ERROR, errno_means_full (saved_errno) ? FF_STORE_ERROR_FULL
                                                                     : FF_STORE_ERROR_FAILED,
               _("Cannot open %s: %s"), db_path, g_strerror (saved_errno));
  return FALSE;
}

/* Opens (creating when needed) the store in @data_dir: tablet.db and firmware/. */
FfStore *
ff_store_open (const char  *data_dir,
               GError     **error)
{
  g_autoptr(FfStore) self = g_object_new (FF_TYPE_STORE, NULL);
  g_autofree char *db_path = g_build_filename (data_dir, FF_STORE_FILE, NULL);
  g_autofree char *setup = NULL;
  int code;

  self->firmware_dir = g_build_filename (data_dir, "firmware", NULL);
  if (g_mkdir_with_parents (self->firmware_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, FF_STORE_ERROR, errno_means_full (saved_errno) ? FF_STORE_ERROR_FULL
                                                                         : FF_STORE_ERROR_FAILED,
                   _("Cannot create the tablet data directory %s: %s"), self->firmware_dir,
                   g_strerror (saved_errno));
      return NULL;
    }
  if (!make_private (db_path, error))
    return NULL;
  code = sqlite3_open_v2 (db_path, &self->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (code != SQLITE_OK)
    {
      g_set_error (error, FF_STORE_ERROR, FF_STORE_ERROR_FAILED, _("Cannot open %s: %s"), db_path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (code));
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, 10000);
  /* WAL keeps readers (the UI) going while a worker writes; synchronous=FULL makes each commit
   * durable, because a flat battery must not lose a report the technician saw being saved. */
  setup = g_strdup_printf ("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                           "PRAGMA foreign_keys=ON; %s PRAGMA user_version=%d;",
                           schema, SCHEMA_VERSION);
  if (!exec_sql (self, setup, error))
    return NULL;
  return g_steal_pointer (&self);
}

typedef struct
{
  FfStoreJob           job;
  gpointer             data;
  GDestroyNotify       data_free;
  GAsyncReadyCallback  callback;
  gpointer             user_data;
} Job;

static void
run_job_in_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;

  if (job->job (FF_STORE (source_object), job->data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The data goes right after the caller's callback, in its main context: left to the task, it could
 * go later in the worker, still holding what the caller means to be done with (a workflow). */
static void
job_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Job *job = user_data;

  if (job->callback != NULL)
    job->callback (source, result, job->user_data);
  if (job->data_free != NULL)
    job->data_free (job->data);
  g_free (job);
}

/* The job is not interrupted once started, so the store never stops half way through a call. */
void
ff_store_run_async (FfStore             *self,
                    FfStoreJob           job,
                    gpointer             data,
                    GDestroyNotify       data_free,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  Job *closure = g_new0 (Job, 1);
  g_autoptr(GTask) task = NULL;

  closure->job = job;
  closure->data = data;
  closure->data_free = data_free;
  closure->callback = callback;
  closure->user_data = user_data;
  task = g_task_new (self, cancellable, job_done, closure);
  g_task_set_source_tag (task, ff_store_run_async);
  g_task_set_task_data (task, closure, NULL);
  g_task_set_return_on_cancel (task, FALSE);
  /* A job may hash or verify (OpenSSL) on this thread of GTask's pool, which ends when GLib
   * chooses; the program may exit as soon as it has the result. */
  ff_crypto_run_in_thread (task, run_job_in_thread);
}

gboolean
ff_store_run_finish (FfStore       *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
ff_store_get_setting (FfStore    *self,
                      const char *key)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  char *value = NULL;

  g_mutex_lock (&self->lock);
  statement = prepare (self, "SELECT value FROM settings WHERE key = ?", NULL);
  if (statement != NULL)
    {
      ff_sqlite_bind_text (statement, 1, key);
      if (sqlite3_step (statement) == SQLITE_ROW)
        value = ff_sqlite_column_text (statement, 0);
    }
  g_mutex_unlock (&self->lock);
  return value;
}

/* A NULL @value removes the setting. */
gboolean
ff_store_set_setting (FfStore     *self,
                      const char  *key,
                      const char  *value,
                      GError     **error)
{
  gboolean ok;

  if (!begin (self, error))
    return FALSE;
  if (value != NULL)
    ok = run_sql (self, error, "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", "ss",
                  key, value);
  else
    ok = run_sql (self, error, "DELETE FROM settings WHERE key = ?", "s", key);
  return end (self, ok, error);
}

gboolean
ff_store_save_task (FfStore     *self,
                    const char  *task_id,
                    GBytes      *document,
                    GBytes      *signature,
                    GError     **error)
{
  gboolean ok;

  if (!begin (self, error))
    return FALSE;
  ok = run_sql (self, error, "INSERT OR REPLACE INTO tasks"
                             " (task_id, document, signature, stored_at) VALUES (?, ?, ?, ?)",
                "sBBi", task_id, document, signature, now_seconds ());
  return end (self, ok, error);
}

/* Reads the document and signature of the row @sql selects by @id; *@found says if there was one.
 * FALSE only when the query itself failed. */
static gboolean
load_signed_document (FfStore     *self,
                      const char  *sql,
                      const char  *id,
                      GBytes     **document,
                      GBytes     **signature,
                      gboolean    *found,
                      GError     **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;

  g_mutex_lock (&self->lock);
  statement = prepare (self, sql, error);
  if (statement != NULL)
    {
      ff_sqlite_bind_text (statement, 1, id);
      *found = sqlite3_step (statement) == SQLITE_ROW;
      if (*found)
        {
          *document = ff_sqlite_column_bytes (statement, 0);
          *signature = ff_sqlite_column_bytes (statement, 1);
        }
    }
  g_mutex_unlock (&self->lock);
  return statement != NULL;
}

gboolean
ff_store_load_task (FfStore     *self,
                    const char  *task_id,
                    GBytes     **document,
                    GBytes     **signature,
                    GError     **error)
{
  gboolean found = FALSE;

  if (!load_signed_document (self, "SELECT document, signature FROM tasks WHERE task_id = ?",
                             task_id, document, signature, &found, error))
    return FALSE;
  if (!found)
    g_set_error (error, FF_STORE_ERROR, FF_STORE_ERROR_NOT_FOUND,
                 _("There is no task “%s” on this tablet. Run “fieldflash-cli sync” first."),
                 task_id);
  return found;
}

GStrv
ff_store_list_task_ids (FfStore  *self,
                        GError  **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  gboolean ok;

  g_mutex_lock (&self->lock);
  statement = prepare (self, "SELECT task_id FROM tasks ORDER BY task_id", error);
  ok = statement != NULL;
  while (ok && sqlite3_step (statement) == SQLITE_ROW)
    g_strv_builder_add (ids, (const char *) sqlite3_column_text (statement, 0));
  g_mutex_unlock (&self->lock);
  return ok ? g_strv_builder_end (ids) : NULL;
}

/* The platform lists every task of this tablet and technician that it has not cancelled: of the
 * stored tasks @judged (that technician's), one missing from @listed was withdrawn, and one listed
 * again (the technician logged in again) is not. */
gboolean
ff_store_withdraw_unlisted_tasks (FfStore            *self,
                                  const char * const *judged,
                                  const char * const *listed,
                                  GError            **error)
{
  gboolean ok = TRUE;

  if (!begin (self, error))
    return FALSE;
  for (guint i = 0; ok && judged[i] != NULL; i++)
    if (g_strv_contains (listed, judged[i]))
      ok = run_sql (self, error, "DELETE FROM withdrawn_tasks WHERE task_id = ?", "s", judged[i]);
    else
      ok = run_sql (self, error, "INSERT OR IGNORE INTO withdrawn_tasks (task_id, withdrawn_at)"
                                 " VALUES (?, ?)", "si", judged[i], now_seconds ());
  return end (self, ok, error);
}

gboolean
ff_store_task_is_withdrawn (FfStore     *self,
                            const char  *task_id,
                            gboolean    *withdrawn,
                            GError     **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  int code = SQLITE_OK;

  g_mutex_lock (&self->lock);
  statement = prepare (self, "SELECT 1 FROM withdrawn_tasks WHERE task_id = ?", error);
  if (statement != NULL)
    {
      ff_sqlite_bind_text (statement, 1, task_id);
      code = sqlite3_step (statement);
      *withdrawn = code == SQLITE_ROW;
      if (code != SQLITE_ROW && code != SQLITE_DONE)
        set_sqlite_error (self, error, code);
    }
  g_mutex_unlock (&self->lock);
  return statement != NULL && (code == SQLITE_ROW || code == SQLITE_DONE);
}

/* Refuses a new visit of a task the platform withdrew; a visit already under way is not asked. */
gboolean
ff_store_check_task_not_withdrawn (FfStore     *self,
                                   const char  *task_id,
                                   GError     **error)
{
  gboolean withdrawn = FALSE;

  if (!ff_store_task_is_withdrawn (self, task_id, &withdrawn, error))
    return FALSE;
  if (withdrawn)
    g_set_error (error, FF_STORE_ERROR, FF_STORE_ERROR_WITHDRAWN,
                 _("Task %s was withdrawn by the platform: no new visit of it can start. A visit "
                   "already under way can still be finished."), task_id);
  return !withdrawn;
}

char *
ff_store_get_firmware_path (FfStore    *self,
                            const char *sha256)
{
  g_return_val_if_fail (ff_sha256_hex_is_valid (sha256), NULL);
  return g_build_filename (self->firmware_dir, sha256, NULL);
}

char *
ff_store_get_partial_path (FfStore    *self,
                           const char *sha256)
{
  g_autofree char *name = g_strconcat (sha256, ".part", NULL);

  g_return_val_if_fail (ff_sha256_hex_is_valid (sha256), NULL);
  return g_build_filename (self->firmware_dir, name, NULL);
}

gboolean
ff_store_has_firmware (FfStore    *self,
                       const char *sha256)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  g_autofree char *path = ff_store_get_firmware_path (self, sha256);
  gboolean known = FALSE;

  g_mutex_lock (&self->lock);
  statement = prepare (self, "SELECT 1 FROM firmware WHERE sha256 = ?", NULL);
  if (statement != NULL)
    {
      ff_sqlite_bind_text (statement, 1, sha256);
      known = sqlite3_step (statement) == SQLITE_ROW;
    }
  g_mutex_unlock (&self->lock);
  return known && g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static gboolean
fsync_path (const char *path, GError **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  int saved_errno;

  if (fd >= 0 && fsync (fd) == 0)
    return g_close (fd, error);
  saved_errno = errno;
  if (fd >= 0)
    g_close (fd, NULL);
  g_set_error (error, FF_STORE_ERROR, errno_means_full (saved_errno) ? FF_STORE_ERROR_FULL
                                                                     : FF_STORE_ERROR_FAILED,
               _("Cannot write %s to disk: %s"), path, g_strerror (saved_errno));
  return FALSE;
}

/* Checks the complete download at the partial path against @sha256; when it matches, makes it
 * durable and renames it into place. A mismatch deletes the download. */
gboolean
ff_store_commit_firmware (FfStore     *self,
                          const char  *sha256,
                          GError     **error)
{
  g_autofree char *partial = ff_store_get_partial_path (self, sha256);
  g_autofree char *final = ff_store_get_firmware_path (self, sha256);
  g_autofree char *actual = NULL;
  goffset size = 0;
  gboolean ok;

  actual = ff_sha256_file_hex (partial, &size, error);
  if (actual == NULL)
    return FALSE;
  if (!g_str_equal (actual, sha256))
    {
      g_unlink (partial);
      g_set_error (error, FF_STORE_ERROR, FF_STORE_ERROR_CORRUPT,
                   _("The firmware file downloaded for %s has SHA-256 %s; it was discarded."),
                   sha256, actual);
      return FALSE;
    }
  if (!fsync_path (partial, error))
    return FALSE;
  if (g_rename (partial, final) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, FF_STORE_ERROR, FF_STORE_ERROR_FAILED, _("Cannot rename %s: %s"), partial,
                   g_strerror (saved_errno));
      return FALSE;
    }
  /* The rename itself is only durable once the directory is. */
  if (!ff_fsync_directory (self->firmware_dir, error) || !begin (self, error))
    return FALSE;
  ok = run_sql (self, error, "INSERT OR REPLACE INTO firmware (sha256, size, stored_at)"
                             " VALUES (?, ?, ?)", "sii", sha256, (gint64) size, now_seconds ());
  return end (self, ok, error);
}

/* The firmware image, checked again against its name: flash rot or tampering on the tablet must
 * never reach a terminal. */
GBytes *
ff_store_read_firmware (FfStore     *self,
                        const char  *sha256,
                        GError     **error)
{
  g_autofree char *path = ff_store_get_firmware_path (self, sha256);
  g_autofree char *contents = NULL;
  g_autofree char *actual = NULL;
  gsize length = 0;

  if (!ff_store_has_firmware (self, sha256))
    {
      g_set_error (error, FF_STORE_ERROR, FF_STORE_ERROR_NOT_FOUND,
                   _("Firmware %s is not on this tablet. Run “fieldflash-cli sync” first."),
                   sha256);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  actual = ff_sha256_hex (contents, length);
  if (!g_str_equal (actual, sha256))
    {
      g_set_error (error, FF_STORE_ERROR, FF_STORE_ERROR_CORRUPT,
                   _("The stored firmware file %s is damaged (SHA-256 %s); sync again."), path,
                   actual);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&contents), length);
}

/* The index entry goes first: a file without one is never used, and the next download of the
 * same image replaces it. */
gboolean
ff_store_discard_firmware (FfStore     *self,
                           const char  *sha256,
                           GError     **error)
{
  g_autofree char *path = ff_store_get_firmware_path (self, sha256);
  gboolean ok;

  if (!begin (self, error))
    return FALSE;
  ok = run_sql (self, error, "DELETE FROM firmware WHERE sha256 = ?", "s", sha256);
  if (!end (self, ok, error))
    return FALSE;
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, FF_STORE_ERROR, FF_STORE_ERROR_FAILED, _("Cannot delete %s: %s"), path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_workflow (FfStore *self, const char *task_id, const char *device_id, const char *state,
                const char *data, GError **error)
{
  return run_sql (self, error, "INSERT OR REPLACE INTO workflows"
                              " (task_id, device_id, state, data, updated_at)"
                              " VALUES (?, ?, ?, ?, ?)",
                  "ssssi", task_id, device_id, state, data, now_seconds ());
}

gboolean
ff_store_save_workflow (FfStore     *self,
                        const char  *task_id,
                        const char  *device_id,
                        const char  *state,
                        const char  *data,
                        GError     **error)
{
  if (!begin (self, error))
    return FALSE;
  return end (self, write_workflow (self, task_id, device_id, state, data, error), error);
}

/* FALSE without an error when the terminal has no workflow yet. */
gboolean
ff_store_load_workflow (FfStore     *self,
                        const char  *task_id,
                        const char  *device_id,
                        char       **state,
                        char       **data,
                        GError     **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  gboolean found = FALSE;

  g_mutex_lock (&self->lock);
  statement = prepare (self, "SELECT state, data FROM workflows"
                             " WHERE task_id = ? AND device_id = ?", error);
  if (statement != NULL)
    {
      ff_sqlite_bind_text (statement, 1, task_id);
      ff_sqlite_bind_text (statement, 2, device_id);
      if (sqlite3_step (statement) == SQLITE_ROW)
        {
          *state = ff_sqlite_column_text (statement, 0);
          *data = ff_sqlite_column_text (statement, 1);
          found = TRUE;
        }
    }
  g_mutex_unlock (&self->lock);
  return found;
}

gboolean
ff_store_save_report (FfStore     *self,
                      const char  *report_id,
                      const char  *task_id,
                      const char  *device_id,
                      const char  *outcome,
                      gint64       created_at,
                      GBytes      *document,
                      GBytes      *signature,
                      const char  *final_state,
                      const char  *final_data,
                      GError     **error)
{
  gboolean ok;

  if (!begin (self, error))
    return FALSE;
  ok = run_sql (self, error, "INSERT INTO reports (report_id, task_id, device_id, outcome,"
                             " created_at, document, signature) VALUES (?, ?, ?, ?, ?, ?, ?)",
                "ssssiBB", report_id, task_id, device_id, outcome, created_at, document,
                signature)
       && run_sql (self, error, "INSERT INTO upload_queue (report_id, attempts) VALUES (?, 0)", "s",
                   report_id)
       && write_workflow (self, task_id, device_id, final_state, final_data, error);
  return end (self, ok, error);
}

gboolean
ff_store_load_report (FfStore     *self,
                      const char  *report_id,
                      GBytes     **document,
                      GBytes     **signature,
                      GError     **error)
{
  gboolean found = FALSE;

  if (!load_signed_document (self, "SELECT document, signature FROM reports WHERE report_id = ?",
                             report_id, document, signature, &found, error))
    return FALSE;
  if (!found)
    g_set_error (error, FF_STORE_ERROR, FF_STORE_ERROR_NOT_FOUND,
                 _("There is no report “%s” on this tablet."), report_id);
  return found;
}

/* The outcome for people, from the stored document (which check failed, for a mismatch). */
static char *
describe_stored (const char *outcome, sqlite3_stmt *statement, int column)
{
  g_autoptr(GBytes) document = g_bytes_new (sqlite3_column_blob (statement, column),
                                            sqlite3_column_bytes (statement, column));
  g_autoptr(FfReport) report = ff_report_parse (document, NULL);
  FfReportOutcome parsed;

  if (report != NULL)
    return g_strdup (ff_report_describe (report));
  if (ff_report_outcome_from_string (outcome, &parsed))
    return g_strdup (ff_report_outcome_describe (parsed));
  return g_strdup (outcome);
}

GPtrArray *
ff_store_list_reports (FfStore   *self,
                       gboolean   only_pending,
                       GError   **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  g_autoptr(GPtrArray) reports = NULL;

  reports = g_ptr_array_new_with_free_func ((GDestroyNotify) ff_stored_report_free);
  g_mutex_lock (&self->lock);
  statement = prepare (self, only_pending
    ? "SELECT r.report_id, r.task_id, r.device_id, r.outcome, r.created_at, q.uploaded_at,"
      " q.attempts, q.last_error, r.document FROM reports r JOIN upload_queue q"
      " USING (report_id) WHERE q.uploaded_at IS NULL ORDER BY r.created_at, r.rowid"
    : "SELECT r.report_id, r.task_id, r.device_id, r.outcome, r.created_at, q.uploaded_at,"
      " q.attempts, q.last_error, r.document FROM reports r JOIN upload_queue q"
      " USING (report_id) ORDER BY r.created_at, r.rowid", error);
  while (statement != NULL && sqlite3_step (statement) == SQLITE_ROW)
    {
      FfStoredReport *report = g_new0 (FfStoredReport, 1);

      report->report_id = ff_sqlite_column_text (statement, 0);
      report->task_id = ff_sqlite_column_text (statement, 1);
      report->device_id = ff_sqlite_column_text (statement, 2);
      report->outcome = ff_sqlite_column_text (statement, 3);
      report->created_at = sqlite3_column_int64 (statement, 4);
      report->uploaded_at = sqlite3_column_int64 (statement, 5);
      report->attempts = sqlite3_column_int (statement, 6);
      report->last_error = ff_sqlite_column_text (statement, 7);
      report->description = describe_stored (report->outcome, statement, 8);
      g_ptr_array_add (reports, report);
    }
  g_mutex_unlock (&self->lock);
  return statement != NULL ? g_steal_pointer (&reports) : NULL;
}

typedef struct
{
  gboolean   only_pending;
  GPtrArray *reports;
} ReportList;

static void
report_list_free (ReportList *list)
{
  g_clear_pointer (&list->reports, g_ptr_array_unref);
  g_free (list);
}

static gboolean
list_reports_job (FfStore *store, gpointer data, GError **error)
{
  ReportList *list = data;

  list->reports = ff_store_list_reports (store, list->only_pending, error);
  return list->reports != NULL;
}

static void
reports_listed (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ReportList *list = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&list->reports),
                           (GDestroyNotify) g_ptr_array_unref);
}

void
ff_store_list_reports_async (FfStore             *self,
                             gboolean             only_pending,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  ReportList *list = g_new0 (ReportList, 1);

  g_task_set_source_tag (task, ff_store_list_reports_async);
  list->only_pending = only_pending;
  g_task_set_task_data (task, list, (GDestroyNotify) report_list_free);
  /* The list stays the task's: the worker only fills it, and the task outlives the worker. */
  ff_store_run_async (self, list_reports_job, list, NULL, cancellable, reports_listed, task);
}

GPtrArray *
ff_store_list_reports_finish (FfStore       *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
update_queue (FfStore *self, const char *sql, const char *report_id, const char *text,
              gint64 number, GError **error)
{
  gboolean ok;

  if (!begin (self, error))
    return FALSE;
  ok = run_sql (self, error, sql, "sis", text, number, report_id);
  return end (self, ok, error);
}

gboolean
ff_store_mark_uploaded (FfStore     *self,
                        const char  *report_id,
                        gint64       uploaded_at,
                        GError     **error)
{
  return update_queue (self, "UPDATE upload_queue SET last_error = ?, uploaded_at = ?,"
                             " attempts = attempts + 1 WHERE report_id = ?",
                       report_id, NULL, uploaded_at, error);
}

gboolean
ff_store_mark_upload_failed (FfStore     *self,
                             const char  *report_id,
                             const char  *reason,
                             GError     **error)
{
  return update_queue (self, "UPDATE upload_queue SET last_error = ?, attempts = attempts + ?"
                             " WHERE report_id = ?",
                       report_id, reason, 1, error);
}
