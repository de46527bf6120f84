/* Who may connect in the database: the tablets (handhelds), technicians, supervisors and the
 * technicians' sessions. */
#include "config.h"

#include "ff-platform-db.h"

#include "ff-platform-db-private.h"
#include "ff-sqlite.h"

#include <glib/gi18n-lib.h>
#include <sqlite3.h>


/* Handhelds */

gboolean
ff_platform_db_insert_handheld (FfPlatformDb *db,
                                const char   *serial,
                                const char   *public_key_pem,
                                gint64        now,
                                GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO handhelds VALUES (?, ?, 'in-stock', NULL, ?)",
      error, "ssi", serial, public_key_pem, now), error));
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
  return ff_platform_db_collect_rows (db, stmt, read_handheld, (GDestroyNotify) ff_handheld_free,
                                      error);
}

static FfHandheld *
get_handheld (FfPlatformDb *db,
              const char   *serial,
              GError      **error)
{
  g_autoptr(GPtrArray) list =
    collect_handhelds (db, ff_platform_db_bind (db, SELECT_HANDHELDS " WHERE serial = ?", error,
                                                "s", serial),
                       error);

  return ff_platform_db_steal_first_row (list);
}

FfHandheld *
ff_platform_db_get_handheld (FfPlatformDb *db,
                             const char   *serial,
                             GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, get_handheld (db, serial, error));
}

/* Keys are stored as ff_key_get_public_pem() spells them, so one key has one text. */
static FfHandheld *
get_handheld_by_key (FfPlatformDb *db,
                     const char   *public_key_pem,
                     const char   *other_than,
                     GError      **error)
{
  g_autoptr(GPtrArray) list =
    collect_handhelds (db, ff_platform_db_bind (db, SELECT_HANDHELDS " WHERE public_key = ?"
                                                " AND serial != ? LIMIT 1", error, "ss",
                                                public_key_pem, other_than),
                       error);

  return ff_platform_db_steal_first_row (list);
}

FfHandheld *
ff_platform_db_get_handheld_by_key (FfPlatformDb *db,
                                    const char   *public_key_pem,
                                    const char   *other_than,
                                    GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, get_handheld_by_key (db, public_key_pem, other_than,
                                                          error));
}

FfHandheld *
ff_platform_db_require_handheld (FfPlatformDb *db,
                                 const char   *serial,
                                 GError      **error)
{
  GError *lookup_error = NULL;
  FfHandheld *handheld = ff_platform_db_get_handheld (db, serial, &lookup_error);

  return ff_platform_db_require_found (handheld, lookup_error, error,
                                       _("Tablet %s is not registered"), serial);
}

GPtrArray *
ff_platform_db_list_handhelds (FfPlatformDb *db,
                               GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, collect_handhelds (db, ff_platform_db_bind (db,
      SELECT_HANDHELDS " ORDER BY serial", error, ""), error));
}

gboolean
ff_platform_db_set_handheld_state (FfPlatformDb *db,
                                   const char   *serial,
                                   const char   *state,
                                   const char   *task_id,
                                   GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "UPDATE handhelds SET state = ?, task_id = ?"
      " WHERE serial = ?", error, "sss", state, task_id, serial), error));
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
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO technicians VALUES (?, ?, ?, 0, 0, ?)", error,
      "sssi", phone, name, pin_hash, now), error));
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
  return ff_platform_db_collect_rows (db, stmt, read_technician,
                                      (GDestroyNotify) ff_technician_free, error);
}

static FfTechnician *
get_technician (FfPlatformDb *db,
                const char   *phone,
                GError      **error)
{
  g_autoptr(GPtrArray) list =
    collect_technicians (db, ff_platform_db_bind (db, SELECT_TECHNICIANS " WHERE phone = ?", error,
                                                  "s", phone),
                         error);

  return ff_platform_db_steal_first_row (list);
}

FfTechnician *
ff_platform_db_get_technician (FfPlatformDb *db,
                               const char   *phone,
                               GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, get_technician (db, phone, error));
}

FfTechnician *
ff_platform_db_require_technician (FfPlatformDb *db,
                                   const char   *phone,
                                   GError      **error)
{
  GError *lookup_error = NULL;
  FfTechnician *technician = ff_platform_db_get_technician (db, phone, &lookup_error);

  return ff_platform_db_require_found (technician, lookup_error, error,
                                       _("Technician %s is not registered"), phone);
}

GPtrArray *
ff_platform_db_list_technicians (FfPlatformDb *db,
                                 GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, collect_technicians (db, ff_platform_db_bind (db,
      SELECT_TECHNICIANS " ORDER BY phone", error, ""), error));
}

gboolean
ff_platform_db_set_login_failures (FfPlatformDb *db,
                                   const char   *phone,
                                   gint64        failures,
                                   gint64        last_failure_at,
                                   GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "UPDATE technicians SET failed_logins = ?,"
      " last_failure_at = ? WHERE phone = ?", error, "iis", failures, last_failure_at, phone),
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
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
      "INSERT INTO supervisors VALUES (?, ?, ?, NULL)", error, "ssi", name, pin_hash, now), error));
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

  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
      sql, error, ""), read_supervisor, (GDestroyNotify) ff_supervisor_record_free, error));
}

static gboolean
disable_supervisor (FfPlatformDb *db,
                    const char   *name,
                    gint64        now,
                    gboolean     *disabled,
                    GError      **error)
{
  if (!ff_platform_db_run (db, ff_platform_db_bind (db,
        "UPDATE supervisors SET disabled_at = ? WHERE name = ?"
        " AND disabled_at IS NULL", error, "is", now, name), error))
    return FALSE;
  *disabled = ff_platform_db_changes (db) > 0;
  return TRUE;
}

gboolean
ff_platform_db_disable_supervisor (FfPlatformDb *db,
                                   const char   *name,
                                   gint64        now,
                                   gboolean     *disabled,
                                   GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, disable_supervisor (db, name, now, disabled, error));
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
  return FF_PLATFORM_DB_LOCKED (db,
      ff_platform_db_run (db, ff_platform_db_bind (db,
        "DELETE FROM sessions WHERE expires_at <= ?", error, "i", now), error)
      && ff_platform_db_run (db, ff_platform_db_bind (db,
        "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", error, "sssii", token_hash, phone, serial,
        now, expires_at), error));
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
  sqlite3_stmt *stmt = ff_platform_db_bind (db,
      "SELECT s.phone, s.serial, h.state = 'retired' FROM sessions s"
      " JOIN handhelds h ON h.serial = s.serial"
      " WHERE s.token_hash = ? AND s.expires_at > ?", error, "si", token_hash, now);

  if (stmt == NULL || !ff_platform_db_next_row (db, stmt, error))
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
  return FF_PLATFORM_DB_LOCKED (db, find_session (db, token_hash, now, phone, serial, retired,
                                                  error));
}

/* Freeing */

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
ff_supervisor_record_free (FfSupervisorRecord *supervisor)
{
  if (supervisor == NULL)
    return;
  g_free (supervisor->name);
  g_free (supervisor->pin_hash);
  g_free (supervisor);
}
