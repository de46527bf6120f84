/* The operator's console in the database: operator accounts, their sessions and the audit log. */
#include "config.h"

#include "ff-platform-operators.h"

#include "ff-document.h"
#include "ff-platform-db-private.h"
#include "ff-sqlite.h"

#include <glib/gi18n-lib.h>


gboolean
ff_operator_role_is_valid (const char *role)
{
  return role != NULL && (g_str_equal (role, FF_OPERATOR_ADMIN)
                          || g_str_equal (role, FF_OPERATOR_OPERATOR)
                          || g_str_equal (role, FF_OPERATOR_AUDITOR));
}

gboolean
ff_operator_check_password (const char *password,
                            GError    **error)
{
  gsize length = password != NULL ? strlen (password) : 0;

  if (length < FF_OPERATOR_PASSWORD_MIN || length > FF_OPERATOR_PASSWORD_MAX
      || !g_utf8_validate (password, -1, NULL) || ff_text_has_control (password))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("A password must have %d to %d bytes of UTF-8 without control characters"),
                   FF_OPERATOR_PASSWORD_MIN, FF_OPERATOR_PASSWORD_MAX);
      return FALSE;
    }
  return TRUE;
}

gboolean
ff_operator_check_name (const char *name,
                        GError    **error)
{
  /* The console names an operator in a path (operators/NAME/disable): no '/', and not a dot
   * segment, which the URL's path loses (".." could never be disabled there). */
  if (!ff_display_name_is_valid (name) || strchr (name, '/') != NULL
      || g_str_equal (name, ".") || g_str_equal (name, ".."))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("An operator's name must have 1 to %d bytes of UTF-8 without control "
                     "characters or “/”, and not be “.” or “..”"), FF_NAME_MAX_LENGTH);
      return FALSE;
    }
  return TRUE;
}

/* Operators */

#define SELECT_OPERATORS \
  "SELECT name, role, password_hash, failed_logins, last_failure_at, added_at," \
  " coalesce (disabled_at, 0) FROM operators"

static gpointer
read_operator (sqlite3_stmt *stmt)
{
  FfOperator *op = g_new0 (FfOperator, 1);

  op->name = ff_sqlite_column_text (stmt, 0);
  op->role = ff_sqlite_column_text (stmt, 1);
  op->password_hash = ff_sqlite_column_text (stmt, 2);
  op->failed_logins = sqlite3_column_int64 (stmt, 3);
  op->last_failure_at = sqlite3_column_int64 (stmt, 4);
  op->added_at = sqlite3_column_int64 (stmt, 5);
  op->disabled_at = sqlite3_column_int64 (stmt, 6);
  return op;
}

static gboolean
insert_operator (FfPlatformDb *db,
                 const char   *name,
                 const char   *role,
                 const char   *password_hash,
                 gint64        now,
                 GError      **error)
{
  return ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO operators (name, role, password_hash,"
      " added_at) VALUES (?, ?, ?, ?)", error, "sssi", name, role, password_hash, now), error);
}

gboolean
ff_platform_db_insert_operator (FfPlatformDb *db,
                                const char   *name,
                                const char   *role,
                                const char   *password_hash,
                                gint64        now,
                                GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, insert_operator (db, name, role, password_hash, now, error));
}

static GPtrArray *
collect_operators (FfPlatformDb *db,
                   sqlite3_stmt *stmt,
                   GError      **error)
{
  return ff_platform_db_collect_rows (db, stmt, read_operator, (GDestroyNotify) ff_operator_free,
                                      error);
}

static FfOperator *
get_operator (FfPlatformDb *db,
              const char   *name,
              GError      **error)
{
  g_autoptr(GPtrArray) rows =
    collect_operators (db, ff_platform_db_bind (db, SELECT_OPERATORS " WHERE name = ?", error, "s",
                                                name),
                       error);

  return rows != NULL && rows->len > 0 ? g_ptr_array_steal_index (rows, 0) : NULL;
}

FfOperator *
ff_platform_db_get_operator (FfPlatformDb *db,
                             const char   *name,
                             GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, get_operator (db, name, error));
}

GPtrArray *
ff_platform_db_list_operators (FfPlatformDb *db,
                               GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, collect_operators (db, ff_platform_db_bind (db,
      SELECT_OPERATORS " ORDER BY name", error, ""), error));
}

typedef struct
{
  const char *name;
  gint64      now;
  gboolean    disabled;
} Disabling;

static gboolean
disable_operator (FfPlatformDb *db,
                  gpointer      user_data,
                  GError      **error)
{
  Disabling *disabling = user_data;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(FfOperator) op = get_operator (db, disabling->name, &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (op == NULL || op->disabled_at != 0)
    return TRUE;
  disabling->disabled = TRUE;
  return ff_platform_db_run (db, ff_platform_db_bind (db,
             "UPDATE operators SET disabled_at = ?2 WHERE name = ?1",
             error, "si", disabling->name, disabling->now), error)
         && ff_platform_db_run (db, ff_platform_db_bind (db,
             "DELETE FROM console_sessions WHERE operator = ?", error, "s", disabling->name),
             error);
}

gboolean
ff_platform_db_disable_operator (FfPlatformDb *db,
                                 const char   *name,
                                 gint64        now,
                                 gboolean     *disabled,
                                 GError      **error)
{
  Disabling disabling = { name, now, FALSE };
  gboolean ok = ff_platform_db_transaction (db, disable_operator, &disabling, error);

  *disabled = disabling.disabled;
  return ok;
}

gboolean
ff_platform_db_set_operator_failures (FfPlatformDb *db,
                                      const char   *name,
                                      gint64        failures,
                                      gint64        last_failure_at,
                                      GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "UPDATE operators SET failed_logins = ?2,"
      " last_failure_at = ?3 WHERE name = ?1", error, "sii", name, failures, last_failure_at),
      error));
}

/* Console sessions */

static gpointer
read_console_session (sqlite3_stmt *stmt)
{
  FfConsoleSession *session = g_new0 (FfConsoleSession, 1);

  session->operator_name = ff_sqlite_column_text (stmt, 0);
  session->role = ff_sqlite_column_text (stmt, 1);
  session->csrf_token = ff_sqlite_column_text (stmt, 2);
  session->created_at = sqlite3_column_int64 (stmt, 3);
  session->last_seen_at = sqlite3_column_int64 (stmt, 4);
  session->expires_at = sqlite3_column_int64 (stmt, 5);
  return session;
}

gboolean
ff_platform_db_insert_console_session (FfPlatformDb *db,
                                       const char   *token_hash,
                                       const char   *operator_name,
                                       const char   *csrf_token,
                                       gint64        now,
                                       gint64        expires_at,
                                       GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO console_sessions (token_hash,"
      " operator, csrf_token, created_at,"
      " last_seen_at, expires_at)"
      " VALUES (?1, ?2, ?3, ?4, ?4, ?5)", error, "sssii", token_hash, operator_name,
      csrf_token, now, expires_at), error));
}

static FfConsoleSession *
find_console_session (FfPlatformDb *db,
                      const char   *token_hash,
                      gint64        now,
                      gint64        idle_seconds,
                      GError      **error)
{
  g_autoptr(GPtrArray) rows = ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      "SELECT s.operator, o.role, s.csrf_token, s.created_at, s.last_seen_at,"
      " s.expires_at FROM console_sessions AS s JOIN operators AS o"
      " ON o.name = s.operator WHERE s.token_hash = ?1 AND s.expires_at > ?2"
      " AND s.last_seen_at + ?3 > ?2 AND o.disabled_at IS NULL",
      error, "sii", token_hash, now, idle_seconds),
      read_console_session, (GDestroyNotify) ff_console_session_free, error);

  return rows != NULL && rows->len > 0 ? g_ptr_array_steal_index (rows, 0) : NULL;
}

FfConsoleSession *
ff_platform_db_find_console_session (FfPlatformDb *db,
                                     const char   *token_hash,
                                     gint64        now,
                                     gint64        idle_seconds,
                                     GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, find_console_session (db, token_hash, now, idle_seconds,
                                                          error));
}

gboolean
ff_platform_db_touch_console_session (FfPlatformDb *db,
                                      const char   *token_hash,
                                      gint64        now,
                                      GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "UPDATE console_sessions SET"
      " last_seen_at = ?2 WHERE token_hash = ?1", error, "si", token_hash, now), error));
}

gboolean
ff_platform_db_delete_console_session (FfPlatformDb *db,
                                       const char   *token_hash,
                                       GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "DELETE FROM console_sessions"
      " WHERE token_hash = ?", error, "s", token_hash), error));
}

/* Audit log */

gboolean
ff_platform_db_insert_audit (FfPlatformDb *db,
                             gint64        at,
                             const char   *operator_name,
                             const char   *action,
                             const char   *target,
                             const char   *before,
                             const char   *after,
                             GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO audit_log (at, operator,"
      " action, target, before, after)"
      " VALUES (?, ?, ?, ?, ?, ?)", error, "isssss", at, operator_name, action,
      target, before, after), error));
}

static gpointer
read_audit_entry (sqlite3_stmt *stmt)
{
  FfAuditEntry *entry = g_new0 (FfAuditEntry, 1);

  entry->id = sqlite3_column_int64 (stmt, 0);
  entry->at = sqlite3_column_int64 (stmt, 1);
  entry->operator_name = ff_sqlite_column_text (stmt, 2);
  entry->action = ff_sqlite_column_text (stmt, 3);
  entry->target = ff_sqlite_column_text (stmt, 4);
  entry->before = ff_sqlite_column_text (stmt, 5);
  entry->after = ff_sqlite_column_text (stmt, 6);
  return entry;
}

GPtrArray *
ff_platform_db_list_audit (FfPlatformDb *db,
                           gint64        before_id,
                           guint         limit,
                           GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      "SELECT id, at, operator, action, target, before, after"
      " FROM audit_log WHERE ?1 <= 0 OR id < ?1"
      " ORDER BY id DESC LIMIT ?2", error, "ii", before_id, (gint64) limit),
      read_audit_entry, (GDestroyNotify) ff_audit_entry_free, error));
}

void
ff_operator_free (FfOperator *op)
{
  if (op == NULL)
    return;
  g_free (op->name);
  g_free (op->role);
  g_free (op->password_hash);
  g_free (op);
}

void
ff_console_session_free (FfConsoleSession *session)
{
  if (session == NULL)
    return;
  g_free (session->operator_name);
  g_free (session->role);
  g_free (session->csrf_token);
  g_free (session);
}

void
ff_audit_entry_free (FfAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->operator_name);
  g_free (entry->action);
  g_free (entry->target);
  g_free (entry->before);
  g_free (entry->after);
  g_free (entry);
}
