/* The database of networked terminals: each terminal's link and key, the commands signed for it
 * and the results it reported (schema 5). */
#include "config.h"

#include "ff-platform-remote-db.h"

#include "ff-platform-db-private.h"
#include "ff-sqlite.h"


void
ff_terminal_link_free (FfTerminalLink *link)
{
  if (link == NULL)
    return;
  g_free (link->device_id);
  g_free (link->link);
  g_free (link->public_key_pem);
  g_clear_pointer (&link->state, g_bytes_unref);
  g_free (link);
}

void
ff_remote_command_record_free (FfRemoteCommandRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->command_id);
  g_free (record->device_id);
  g_free (record->kind);
  g_free (record->package_sha256);
  g_clear_pointer (&record->envelope, g_bytes_unref);
  g_free (record);
}

void
ff_remote_result_record_free (FfRemoteResultRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->result_id);
  g_free (record->command_id);
  g_free (record->device_id);
  g_free (record->outcome);
  g_free (record->step);
  g_free (record->reason);
  g_free (record->main_program_version);
  g_free (record);
}

/* Links */

static gpointer
read_link (sqlite3_stmt *stmt)
{
  FfTerminalLink *link = g_new0 (FfTerminalLink, 1);

  link->device_id = ff_sqlite_column_text (stmt, 0);
  link->link = ff_sqlite_column_text (stmt, 1);
  link->public_key_pem = ff_sqlite_column_text (stmt, 2);
  link->key_issued_at = sqlite3_column_int64 (stmt, 3);
  link->state = ff_sqlite_column_bytes (stmt, 4);
  link->state_at = sqlite3_column_int64 (stmt, 5);
  return link;
}

static FfTerminalLink *
get_link (FfPlatformDb *db,
          const char   *device_id,
          GError      **error)
{
  g_autoptr(GPtrArray) rows =
    ff_platform_db_collect_rows (db, ff_platform_db_bind (db, "SELECT device_id, link, public_key,"
                                                              " key_issued_at, state, state_at"
                                                              " FROM terminal_links"
                                                              " WHERE device_id = ?",
                                                          error, "s", device_id),
                                 read_link, (GDestroyNotify) ff_terminal_link_free, error);
  FfTerminalLink *link;

  if (rows == NULL)
    return NULL;
  if (rows->len > 0)
    return g_ptr_array_steal_index (rows, 0);
  link = g_new0 (FfTerminalLink, 1);
  link->device_id = g_strdup (device_id);
  link->link = g_strdup (FF_LINK_OFFLINE);
  return link;
}

FfTerminalLink *
ff_platform_db_get_link (FfPlatformDb *db,
                         const char   *device_id,
                         GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, get_link (db, device_id, error));
}

/* Every change goes through an upsert: a terminal without a row is offline without a key. */
gboolean
ff_platform_db_set_link (FfPlatformDb *db,
                         const char   *device_id,
                         const char   *link,
                         GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
    "INSERT INTO terminal_links (device_id, link) VALUES (?1, ?2)"
    " ON CONFLICT (device_id) DO UPDATE SET link = ?2", error, "ss", device_id, link), error));
}

static gboolean
set_terminal_key (FfPlatformDb *db,
                  const char   *device_id,
                  const char   *public_key_pem,
                  gint64        now,
                  gboolean     *replaced,
                  GError      **error)
{
  return ff_platform_db_exists (db, ff_platform_db_bind (db,
      "SELECT 1 FROM terminal_links WHERE device_id = ?"
      " AND public_key IS NOT NULL", error, "s", device_id), replaced, error)
         && ff_platform_db_run (db, ff_platform_db_bind (db,
              "INSERT INTO terminal_links (device_id, link, public_key, key_issued_at)"
              " VALUES (?1, 'offline', ?2, ?3)"
              " ON CONFLICT (device_id) DO UPDATE SET public_key = ?2, key_issued_at = ?3",
              error, "ssi", device_id, public_key_pem, now), error);
}

gboolean
ff_platform_db_set_terminal_key (FfPlatformDb *db,
                                 const char   *device_id,
                                 const char   *public_key_pem,
                                 gint64        now,
                                 gboolean     *replaced,
                                 GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, set_terminal_key (db, device_id, public_key_pem, now, replaced,
                                                      error));
}

gboolean
ff_platform_db_set_terminal_state (FfPlatformDb *db,
                                   const char   *device_id,
                                   GBytes       *state,
                                   gint64        now,
                                   GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
    "INSERT INTO terminal_links (device_id, link, state, state_at) VALUES (?1, 'offline', ?2, ?3)"
    " ON CONFLICT (device_id) DO UPDATE SET state = ?2, state_at = ?3",
    error, "sBi", device_id, state, now), error));
}

/* Commands */

gboolean
ff_platform_db_insert_command (FfPlatformDb                *db,
                               const FfRemoteCommandRecord *record,
                               gint64                       firmware_id,
                               GError                     **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
    "INSERT INTO remote_commands (command_id, device_id, kind, firmware_id, created_at,"
    " not_after, envelope, sent_at, package_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    error, "sssniiBns", record->command_id, record->device_id, record->kind, firmware_id,
    record->created_at, record->not_after, record->envelope, record->sent_at,
    record->package_sha256), error));
}

gboolean
ff_platform_db_mark_command_sent (FfPlatformDb *db,
                                  const char   *command_id,
                                  gint64        now,
                                  GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
    "UPDATE remote_commands SET sent_at = ? WHERE command_id = ? AND sent_at IS NULL",
    error, "is", now, command_id), error));
}

gboolean
ff_platform_db_renew_command (FfPlatformDb *db,
                              const char   *command_id,
                              GBytes       *envelope,
                              gint64        not_after,
                              GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
    "UPDATE remote_commands SET envelope = ?, not_after = ? WHERE command_id = ?"
    " AND published_at IS NULL AND sent_at IS NULL", error, "Bis", envelope, not_after,
    command_id), error));
}

static gpointer
read_command (sqlite3_stmt *stmt)
{
  FfRemoteCommandRecord *record = g_new0 (FfRemoteCommandRecord, 1);

  record->command_id = ff_sqlite_column_text (stmt, 0);
  record->device_id = ff_sqlite_column_text (stmt, 1);
  record->kind = ff_sqlite_column_text (stmt, 2);
  record->created_at = sqlite3_column_int64 (stmt, 3);
  record->not_after = sqlite3_column_int64 (stmt, 4);
  record->envelope = ff_sqlite_column_bytes (stmt, 5);
  record->sent_at = sqlite3_column_int64 (stmt, 6);
  return record;
}

/* A command of a campaign that is not running (paused by hand or by its failure threshold) is
 * held: it is neither listed nor claimed until the campaign runs again, so "nothing more is sent"
 * holds also for the commands of its wave that the broker had not got yet (recorded while it was
 * away, or the rest of a large wave). */
#define NOT_HELD \
  " AND NOT EXISTS (SELECT 1 FROM campaign_terminals t JOIN campaigns c" \
  "  ON c.campaign_id = t.campaign_id WHERE t.command_id = remote_commands.command_id" \
  "  AND c.state != 'running')"

GPtrArray *
ff_platform_db_list_unpublished_commands (FfPlatformDb *db,
                                          guint         limit,
                                          GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
    "SELECT command_id, device_id, kind, created_at, not_after, envelope, sent_at"
    " FROM remote_commands WHERE published_at IS NULL AND sent_at IS NULL" NOT_HELD
    " ORDER BY created_at, rowid LIMIT ?", error, "i", (gint64) limit),
    read_command, (GDestroyNotify) ff_remote_command_record_free, error));
}

GPtrArray *
ff_platform_db_list_unacknowledged_commands (FfPlatformDb *db,
                                             GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
    "SELECT command_id, device_id, kind, created_at, not_after, envelope, sent_at"
    " FROM remote_commands WHERE published_at IS NOT NULL AND sent_at IS NULL"
    " ORDER BY published_at, rowid", error, ""),
    read_command, (GDestroyNotify) ff_remote_command_record_free, error));
}

FfRemoteCommandRecord *
ff_platform_db_find_open_command (FfPlatformDb *db,
                                  const char   *device_id,
                                  gint64        firmware_id,
                                  gint64        not_after_min,
                                  GError      **error)
{
  g_autoptr(GPtrArray) found = FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db,
    ff_platform_db_bind (db,
      "SELECT command_id, device_id, kind, created_at, not_after, envelope, sent_at"
      " FROM remote_commands AS c WHERE device_id = ?1 AND kind = 'upgrade'"
      " AND firmware_id = ?2 AND not_after > ?3"
      " AND NOT EXISTS (SELECT 1 FROM remote_results AS r"
      "  WHERE r.device_id = ?1 AND r.command_id = c.command_id)"
      " ORDER BY created_at DESC, rowid DESC LIMIT 1", error, "sii", device_id, firmware_id,
      not_after_min),
    read_command, (GDestroyNotify) ff_remote_command_record_free, error));

  if (found == NULL || found->len == 0)
    return NULL;
  return g_ptr_array_steal_index (found, 0);
}

gboolean
ff_platform_db_command_answered (FfPlatformDb                *db,
                                 const FfRemoteCommandRecord *record,
                                 gboolean                    *answered,
                                 GError                     **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_exists (db, ff_platform_db_bind (db,
    "SELECT 1 FROM remote_results WHERE device_id = ? AND command_id = ? LIMIT 1", error, "ss",
    record->device_id, record->command_id), answered, error));
}

static gboolean
claim_commands (FfPlatformDb *db,
                GPtrArray    *records,
                gint64        now,
                GPtrArray    *claimed,
                GError      **error)
{
  for (guint i = 0; i < records->len; i++)
    {
      FfRemoteCommandRecord *record = g_ptr_array_index (records, i);

      if (!ff_platform_db_run (db, ff_platform_db_bind (db,
            "UPDATE remote_commands SET published_at = ? WHERE command_id = ?"
            " AND published_at IS NULL AND sent_at IS NULL" NOT_HELD, error, "is", now,
            record->command_id), error))
        return FALSE;
      if (ff_platform_db_changes (db) == 1)
        g_ptr_array_add (claimed, record);
    }
  return TRUE;
}

typedef struct
{
  GPtrArray *records;
  gint64     now;
  GPtrArray *claimed;
} Claim;

static gboolean
claim_in_transaction (FfPlatformDb *db,
                      gpointer      user_data,
                      GError      **error)
{
  Claim *claim = user_data;

  return claim_commands (db, claim->records, claim->now, claim->claimed, error);
}

/* One lazy transaction, without its fsync: what guards against a second publication is the claim
 * being seen by the next process, which it is once sqlite has written it to the WAL file (a killed
 * process's writes stay in the page cache). Waiting for the disk would leave the time of an fsync
 * between the claim a killed daemon leaves and the publication it never made; without it the
 * publication follows within microseconds. A power cut may lose the claim: then the command may
 * go out twice, and the agent executes a command ID once. */
gboolean
ff_platform_db_claim_commands (FfPlatformDb *db,
                               GPtrArray    *records,
                               gint64        now,
                               GPtrArray    *claimed,
                               GError      **error)
{
  Claim claim = { records, now, claimed };

  if (ff_platform_db_transaction_lazy (db, claim_in_transaction, &claim, error))
    return TRUE;
  g_ptr_array_set_size (claimed, 0);
  return FALSE;
}

void
ff_remote_package_delta_free (FfRemotePackageDelta *delta)
{
  if (delta == NULL)
    return;
  g_free (delta->sha256);
  g_free (delta);
}

static gpointer
read_package_delta (sqlite3_stmt *stmt)
{
  FfRemotePackageDelta *delta = g_new0 (FfRemotePackageDelta, 1);

  delta->sha256 = ff_sqlite_column_text (stmt, 0);
  delta->size = sqlite3_column_int64 (stmt, 1);
  return delta;
}

gboolean
ff_platform_db_find_package_delta (FfPlatformDb          *db,
                                   const char            *to_sha256,
                                   const char            *from_key,
                                   FfRemotePackageDelta **found,
                                   GError               **error)
{
  g_autoptr(GPtrArray) rows = FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db,
    ff_platform_db_bind (db,
      "SELECT sha256, size FROM remote_package_deltas WHERE to_sha256 = ? AND from_key = ?",
      error, "ss", to_sha256, from_key),
    read_package_delta, (GDestroyNotify) ff_remote_package_delta_free, error));

  if (rows == NULL)
    return FALSE;
  *found = rows->len > 0 ? g_ptr_array_steal_index (rows, 0) : NULL;
  return TRUE;
}

gboolean
ff_platform_db_insert_package_delta (FfPlatformDb               *db,
                                     const char                 *to_sha256,
                                     const char                 *from_key,
                                     const FfRemotePackageDelta *delta,
                                     gint64                      now,
                                     GError                    **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
    "INSERT OR IGNORE INTO remote_package_deltas (to_sha256, from_key, sha256, size, made_at)"
    " VALUES (?, ?, ?, ?, ?)", error, "sssni", to_sha256, from_key, delta->sha256, delta->size,
    now), error));
}

gboolean
ff_platform_db_package_commanded (FfPlatformDb *db,
                                  const char   *device_id,
                                  const char   *sha256,
                                  gboolean     *commanded,
                                  GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_exists (db, ff_platform_db_bind (db,
    "SELECT 1 FROM remote_commands c LEFT JOIN firmware f ON f.id = c.firmware_id"
    " WHERE c.device_id = ? AND (c.package_sha256 = ? OR (c.package_sha256 IS NULL"
    " AND f.sha256 = ?)) LIMIT 1", error, "sss", device_id, sha256, sha256),
    commanded, error));
}

/* Results */

static gboolean
insert_result (FfPlatformDb               *db,
               const FfRemoteResultRecord *r,
               GBytes                     *document,
               GBytes                     *signature,
               gboolean                   *inserted,
               GError                    **error)
{
  if (!ff_platform_db_run (db, ff_platform_db_bind (db,
        "INSERT OR IGNORE INTO remote_results (result_id, command_id, device_id, outcome, step,"
        " reason, main_program_version, finished_at, received_at, document, signature)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        error, "sssssssiiBB", r->result_id, r->command_id, r->device_id, r->outcome, r->step,
        r->reason, r->main_program_version, r->finished_at, r->received_at, document, signature),
        error))
    return FALSE;
  *inserted = ff_platform_db_changes (db) == 1;
  return TRUE;
}

gboolean
ff_platform_db_insert_result (FfPlatformDb               *db,
                              const FfRemoteResultRecord *record,
                              GBytes                     *document,
                              GBytes                     *signature,
                              gboolean                   *inserted,
                              GError                    **error)
{
  return FF_PLATFORM_DB_LOCKED (db, insert_result (db, record, document, signature, inserted,
                                                   error));
}

/* A result's command as the platform knows it: *@sent whether it signed @command_id for
 * @device_id (an upgrade or a rollback; an ack is no command a result can answer), *@answered
 * whether another result of that terminal for it (not @result_id) is stored already. */
static gboolean
result_command (FfPlatformDb *db,
                const char   *device_id,
                const char   *command_id,
                const char   *result_id,
                gboolean     *sent,
                gboolean     *answered,
                GError      **error)
{
  return ff_platform_db_exists (db, ff_platform_db_bind (db,
           "SELECT 1 FROM remote_commands WHERE command_id = ? AND device_id = ?"
           " AND kind != 'ack'", error, "ss", command_id, device_id), sent, error)
         && ff_platform_db_exists (db, ff_platform_db_bind (db,
           "SELECT 1 FROM remote_results WHERE device_id = ? AND command_id = ? AND result_id != ?"
           " LIMIT 1", error, "sss", device_id, command_id, result_id), answered, error);
}

gboolean
ff_platform_db_result_command (FfPlatformDb *db,
                               const char   *device_id,
                               const char   *command_id,
                               const char   *result_id,
                               gboolean     *sent,
                               gboolean     *answered,
                               GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, result_command (db, device_id, command_id, result_id, sent,
                                                    answered, error));
}

gboolean
ff_platform_db_result_is_stored (FfPlatformDb *db,
                                 const char   *result_id,
                                 const char   *device_id,
                                 GBytes       *document,
                                 GBytes       *signature,
                                 gboolean     *stored,
                                 GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_exists (db, ff_platform_db_bind (db,
    "SELECT 1 FROM remote_results WHERE result_id = ? AND device_id = ? AND document = ?"
    " AND signature = ?", error, "ssBB", result_id, device_id, document, signature),
    stored, error));
}

static gpointer
read_result (sqlite3_stmt *stmt)
{
  FfRemoteResultRecord *record = g_new0 (FfRemoteResultRecord, 1);

  record->result_id = ff_sqlite_column_text (stmt, 0);
  record->command_id = ff_sqlite_column_text (stmt, 1);
  record->device_id = ff_sqlite_column_text (stmt, 2);
  record->outcome = ff_sqlite_column_text (stmt, 3);
  record->step = ff_sqlite_column_text (stmt, 4);
  record->reason = ff_sqlite_column_text (stmt, 5);
  record->main_program_version = ff_sqlite_column_text (stmt, 6);
  record->finished_at = sqlite3_column_int64 (stmt, 7);
  record->received_at = sqlite3_column_int64 (stmt, 8);
  return record;
}

GPtrArray *
ff_platform_db_list_results (FfPlatformDb *db,
                             const char   *device_id,
                             GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db, ff_platform_db_bind (db,
    "SELECT result_id, command_id, device_id, outcome, step, reason, main_program_version,"
    " finished_at, received_at FROM remote_results WHERE ?1 IS NULL OR device_id = ?1"
    " ORDER BY received_at DESC, rowid DESC", error, "s", device_id),
    read_result, (GDestroyNotify) ff_remote_result_record_free, error));
}

gboolean
ff_platform_db_add_remote_history (FfPlatformDb *db,
                                   const char   *device_id,
                                   gint64        changed_at,
                                   const char   *from_version,
                                   const char   *to_version,
                                   const char   *result_id,
                                   GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
    "INSERT INTO version_history (device_id, changed_at, from_version, to_version, source,"
    " result_id) VALUES (?, ?, ?, ?, 'remote', ?)",
    error, "sisss", device_id, changed_at, from_version, to_version, result_id), error));
}
