/* What the database's files by concern (ff-platform-operators.c, …) share with ff-platform-db.c:
 * its statement cache, row readers and lock. Not for code outside the database layer. */
#pragma once

#include "ff-platform-db.h"

#include <sqlite3.h>

G_BEGIN_DECLS

/* Runs @sql (no parameters, no rows: SAVEPOINT, RELEASE, …); FALSE with @error set on failure. */
gboolean      ff_platform_db_exec         (FfPlatformDb   *db,
                                           const char     *sql,
                                           GError        **error);
/* Prepares @sql once (the cache is keyed by its address: pass a literal, or an interned string
 * for SQL built at run time) and binds @types as for ff_sqlite_bind(). NULL with @error set on
 * failure. */
sqlite3_stmt *ff_platform_db_bind         (FfPlatformDb   *db,
                                           const char     *sql,
                                           GError        **error,
                                           const char     *types,
                                           ...);
/* Steps a statement that returns no rows; FALSE (error set) when @stmt is NULL or fails. */
gboolean      ff_platform_db_run          (FfPlatformDb   *db,
                                           sqlite3_stmt   *stmt,
                                           GError        **error);
/* Sets @found to whether @stmt (may be NULL after a bind error: then FALSE) gives a row. */
gboolean      ff_platform_db_exists       (FfPlatformDb  *db,
                                           sqlite3_stmt  *stmt,
                                           gboolean      *found,
                                           GError       **error);
/* TRUE with a row, FALSE at the end (error set on failure, the statement reset). */
gboolean      ff_platform_db_next_row     (FfPlatformDb   *db,
                                           sqlite3_stmt   *stmt,
                                           GError        **error);
/* Every row of @stmt read with @read_row; NULL with @error set when @stmt is NULL or fails. */
GPtrArray    *ff_platform_db_collect_rows (FfPlatformDb   *db,
                                           sqlite3_stmt   *stmt,
                                           gpointer      (*read_row) (sqlite3_stmt *stmt),
                                           GDestroyNotify  free_row,
                                           GError        **error);
/* The first of @rows (taken from it), or NULL when there is none (or @rows is NULL). */
gpointer      ff_platform_db_steal_first_row (GPtrArray  *rows);
/* What a require_ function returns: @record found by a get_ function, or NULL with @lookup_error
 * (taken) or, when there was simply no record, FF_PLATFORM_ERROR_NOT_FOUND saying @format. */
gpointer      ff_platform_db_require_found (gpointer     record,
                                            GError      *lookup_error,
                                            GError     **error,
                                            const char  *format,
                                            ...) G_GNUC_PRINTF (4, 5);
/* Rows changed by the last statement (call under the lock, right after it). */
int           ff_platform_db_changes      (FfPlatformDb   *db);
/* The rowid of the last row inserted (call under the lock or in a transaction, right after it). */
gint64        ff_platform_db_last_insert_id (FfPlatformDb *db);

#define SELECT_TERMINALS \
  "SELECT device_id, name, latitude, longitude, vendor, model, hardware_version," \
  " software_version, software_checksum, host, port, common_address, profile FROM terminals"
/* A row of SELECT_TERMINALS as an FfTerminal. */
gpointer      ff_platform_db_read_terminal (sqlite3_stmt  *stmt);

#define SELECT_REPORTS \
  "SELECT report_id, task_id, device_id, tablet_serial, outcome, created_at, received_at," \
  " document FROM reports"
gpointer      ff_platform_db_read_report  (sqlite3_stmt  *stmt);
/* A row of state, target version and SHA-256, previous version and SHA-256, expected version
 * and closing report as an FfTaskItemRecord. */
gpointer      ff_platform_db_read_task_item (sqlite3_stmt *stmt);

/* Statements outside a transaction hold the lock while they bind and step, so that a worker
 * never interleaves with another thread's transaction. */
void          ff_platform_db_lock         (FfPlatformDb   *db);
void          ff_platform_db_unlock       (FfPlatformDb   *db);

#define FF_PLATFORM_DB_LOCKED(db, expression)                 \
  ({ ff_platform_db_lock (db);                                 \
     __auto_type locked_result_ = (expression);                \
     ff_platform_db_unlock (db);                               \
     locked_result_; })

G_END_DECLS
