/* The platform database's schema: the tables of each version, the steps that bring an older
 * database up to date, and the SQL function the schema relies on. */
#include "config.h"

#include "ff-platform-schema.h"

#include "ff-platform-error.h"
#include "ff-sqlite.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>

static const char schema_v1[] =
  "CREATE TABLE terminals ("
  "  device_id TEXT PRIMARY KEY, name TEXT NOT NULL, latitude REAL NOT NULL,"
  "  longitude REAL NOT NULL, vendor TEXT NOT NULL, model TEXT NOT NULL,"
  "  hardware_version TEXT NOT NULL, software_version TEXT NOT NULL,"
  "  software_checksum TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL,"
  "  common_address INTEGER NOT NULL, profile TEXT NOT NULL, updated_at INTEGER NOT NULL);"
  /* Covers every column, so "which terminals of model M run V" never touches the table. */
  "CREATE INDEX terminals_by_model_version ON terminals (model, software_version, device_id,"
  "  name, latitude, longitude, vendor, hardware_version, software_checksum, host, port,"
  "  common_address, profile);"
  "CREATE INDEX terminals_by_version ON terminals (software_version, device_id);"
  "CREATE TABLE firmware ("
  "  id INTEGER PRIMARY KEY, vendor TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,"
  "  sha256 TEXT NOT NULL, size INTEGER NOT NULL, notes TEXT NOT NULL,"
  "  added_at INTEGER NOT NULL, withdrawn_at INTEGER, UNIQUE (vendor, model, version));"
  "CREATE INDEX firmware_by_sha256 ON firmware (sha256);"
  "CREATE TABLE firmware_hardware ("
  "  firmware_id INTEGER NOT NULL REFERENCES firmware (id), hardware_version TEXT NOT NULL,"
  "  PRIMARY KEY (firmware_id, hardware_version));"
  "CREATE TABLE blacklist ("
  "  firmware_id INTEGER NOT NULL REFERENCES firmware (id), device_id TEXT NOT NULL,"
  "  added_at INTEGER NOT NULL, PRIMARY KEY (firmware_id, device_id));"
  "CREATE TABLE technicians ("
  "  phone TEXT PRIMARY KEY, name TEXT NOT NULL, pin_hash TEXT NOT NULL,"
  "  failed_logins INTEGER NOT NULL DEFAULT 0, last_failure_at INTEGER NOT NULL DEFAULT 0,"
  "  added_at INTEGER NOT NULL);"
  "CREATE TABLE tasks ("
  "  task_id TEXT PRIMARY KEY, phone TEXT NOT NULL REFERENCES technicians (phone),"
  "  issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, rollback_reason TEXT,"
  "  state TEXT NOT NULL CHECK (state IN ('open', 'complete')), completed_at INTEGER,"
  "  document BLOB NOT NULL, signature BLOB NOT NULL);"
  "CREATE INDEX tasks_by_phone ON tasks (phone, issued_at);"
  "CREATE TABLE handhelds ("
  "  serial TEXT PRIMARY KEY, public_key TEXT NOT NULL,"
  "  state TEXT NOT NULL CHECK (state IN ('in-stock', 'checked-out', 'retired')),"
  "  task_id TEXT REFERENCES tasks (task_id), added_at INTEGER NOT NULL);"
  "CREATE TABLE task_tablets ("
  "  task_id TEXT NOT NULL REFERENCES tasks (task_id),"
  "  serial TEXT NOT NULL REFERENCES handhelds (serial), PRIMARY KEY (task_id, serial));"
  "CREATE TABLE task_items ("
  "  task_id TEXT NOT NULL REFERENCES tasks (task_id),"
  "  device_id TEXT NOT NULL REFERENCES terminals (device_id),"
  "  target_firmware_id INTEGER NOT NULL REFERENCES firmware (id),"
  "  previous_firmware_id INTEGER REFERENCES firmware (id),"
  "  state TEXT NOT NULL CHECK (state IN ('open', 'closed')), closing_report_id TEXT,"
  "  PRIMARY KEY (task_id, device_id));"
  "CREATE INDEX task_items_by_device ON task_items (device_id, state);"
  "CREATE INDEX task_items_by_state ON task_items (task_id, state);"
  "CREATE TABLE dispatch_messages ("
  "  id INTEGER PRIMARY KEY, task_id TEXT NOT NULL REFERENCES tasks (task_id),"
  "  phone TEXT NOT NULL, created_at INTEGER NOT NULL, body TEXT NOT NULL);"
  "CREATE TABLE sessions ("
  "  token_hash TEXT PRIMARY KEY, phone TEXT NOT NULL REFERENCES technicians (phone),"
  "  serial TEXT NOT NULL REFERENCES handhelds (serial), created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL);"
  "CREATE TABLE reports ("
  "  report_id TEXT PRIMARY KEY, task_id TEXT NOT NULL REFERENCES tasks (task_id),"
  "  device_id TEXT NOT NULL, tablet_serial TEXT NOT NULL, outcome TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL, received_at INTEGER NOT NULL, document BLOB NOT NULL,"
  "  signature BLOB NOT NULL);"
  "CREATE INDEX reports_by_task ON reports (task_id);"
  "CREATE TABLE version_history ("
  "  id INTEGER PRIMARY KEY, device_id TEXT NOT NULL REFERENCES terminals (device_id),"
  "  changed_at INTEGER NOT NULL, from_version TEXT, to_version TEXT NOT NULL,"
  "  to_checksum TEXT, source TEXT NOT NULL CHECK (source IN ('ledger', 'report')),"
  "  report_id TEXT REFERENCES reports (report_id));"
  "CREATE INDEX history_by_device ON version_history (device_id, id);";

/* Schema 2: the supervisors signed into each new task (who may override on the tablet). */
static const char schema_v2[] =
  "CREATE TABLE supervisors ("
  "  name TEXT PRIMARY KEY, pin_hash TEXT NOT NULL, added_at INTEGER NOT NULL,"
  "  disabled_at INTEGER);";

/* Schema 3: versions are matched and ranged by version order (ff_version_compare), through a
 * sort key kept next to each terminal's version and indexed instead of it; and each task item
 * keeps the version the ledger expected when the task was made (from its signed document), the
 * one version besides its firmware a failed visit may leave the terminal at. */
static const char schema_v3[] =
  "ALTER TABLE terminals ADD COLUMN version_key TEXT NOT NULL DEFAULT '';"
  "UPDATE terminals SET version_key = ff_version_key (software_version);"
  "DROP INDEX terminals_by_model_version;"
  "DROP INDEX terminals_by_version;"
  "CREATE INDEX terminals_by_model_version ON terminals (model, version_key, device_id,"
  "  name, latitude, longitude, vendor, hardware_version, software_version, software_checksum,"
  "  host, port, common_address, profile);"
  "CREATE INDEX terminals_by_version ON terminals (version_key, device_id);"
  "ALTER TABLE task_items ADD COLUMN expected_version TEXT;"
  "UPDATE task_items SET expected_version = listed.version FROM"
  "  (SELECT tasks.task_id AS task_id, json_extract (item.value, '$.device_id') AS device_id,"
  "     json_extract (item.value, '$.expected_version') AS version"
  "   FROM tasks, json_each (CAST (tasks.document AS TEXT), '$.items') AS item) AS listed"
  "  WHERE listed.task_id = task_items.task_id AND listed.device_id = task_items.device_id;";

/* Schema 4: delta patches between two stored images, by the images' SHA-256 (content-addressed like
 * the images: one patch serves every vendor and model that shares the pair). Only patches smaller
 * than the new image are recorded. */
static const char schema_v4[] =
  "CREATE TABLE firmware_deltas ("
  "  from_sha256 TEXT NOT NULL, to_sha256 TEXT NOT NULL, sha256 TEXT NOT NULL,"
  "  size INTEGER NOT NULL, made_at INTEGER NOT NULL, PRIMARY KEY (from_sha256, to_sha256));"
  "CREATE INDEX firmware_deltas_by_to ON firmware_deltas (to_sha256, from_sha256);"
  "CREATE INDEX firmware_deltas_by_sha256 ON firmware_deltas (sha256);";

/* Schema 5: the operator's console. Operators log in with a password (salted scrypt, like PINs)
 * and hold a role; their sessions are stored by the SHA-256 of the cookie, as tablet sessions
 * are, with the CSRF token the console sends back on every change; every change made through the
 * console is written to the audit log in the transaction that makes it. A terminal's blacklist
 * entries and reports are indexed by its device ID, for its page. */
static const char schema_v5[] =
  "CREATE TABLE operators ("
  "  name TEXT PRIMARY KEY,"
  "  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'auditor')),"
  "  password_hash TEXT NOT NULL, failed_logins INTEGER NOT NULL DEFAULT 0,"
  "  last_failure_at INTEGER NOT NULL DEFAULT 0, added_at INTEGER NOT NULL, disabled_at INTEGER);"
  "CREATE TABLE console_sessions ("
  "  token_hash TEXT PRIMARY KEY, operator TEXT NOT NULL REFERENCES operators (name),"
  "  csrf_token TEXT NOT NULL, created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL);"
  "CREATE TABLE audit_log ("
  "  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, operator TEXT NOT NULL, action TEXT NOT NULL,"
  "  target TEXT NOT NULL, before TEXT, after TEXT);"
  "CREATE INDEX blacklist_by_device ON blacklist (device_id);"
  "CREATE INDEX reports_by_device ON reports (device_id, received_at);";

/* Schema 6: networked terminals (docs/platform.md, "Remote upgrades"). A terminal's link and the
 * public key of its credentials; the commands the platform signed for it (sent_at NULL until the
 * broker acknowledged the publication, so a restarted daemon sends what is left); the results it
 * reported, once each by result_id. The version history gains the source 'remote' and the result
 * behind such a change: sqlite cannot alter a CHECK, so the table is rebuilt (this step runs in one
 * transaction like every other). */
static const char schema_v6[] =
  "CREATE TABLE terminal_links ("
  "  device_id TEXT PRIMARY KEY REFERENCES terminals (device_id),"
  "  link TEXT NOT NULL CHECK (link IN ('offline', 'mqtt')), public_key TEXT,"
  "  key_issued_at INTEGER, state BLOB, state_at INTEGER);"
  "CREATE TABLE remote_commands ("
  "  command_id TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES terminals (device_id),"
  "  kind TEXT NOT NULL CHECK (kind IN ('upgrade', 'rollback', 'ack')),"
  "  firmware_id INTEGER REFERENCES firmware (id), created_at INTEGER NOT NULL,"
  "  not_after INTEGER NOT NULL, envelope BLOB NOT NULL, sent_at INTEGER);"
  "CREATE INDEX remote_commands_by_device ON remote_commands (device_id, created_at);"
  "CREATE INDEX remote_commands_unsent ON remote_commands (created_at) WHERE sent_at IS NULL;"
  "CREATE TABLE remote_results ("
  "  result_id TEXT PRIMARY KEY, command_id TEXT, device_id TEXT NOT NULL"
  "  REFERENCES terminals (device_id), outcome TEXT NOT NULL, step TEXT, reason TEXT,"
  "  main_program_version TEXT, finished_at INTEGER NOT NULL, received_at INTEGER NOT NULL,"
  "  document BLOB NOT NULL, signature BLOB NOT NULL);"
  "CREATE INDEX remote_results_by_device ON remote_results (device_id, received_at);"
  "CREATE TABLE version_history_6 ("
  "  id INTEGER PRIMARY KEY, device_id TEXT NOT NULL REFERENCES terminals (device_id),"
  "  changed_at INTEGER NOT NULL, from_version TEXT, to_version TEXT NOT NULL,"
  "  to_checksum TEXT,"
  "  source TEXT NOT NULL CHECK (source IN ('ledger', 'report', 'remote')),"
  "  report_id TEXT REFERENCES reports (report_id),"
  "  result_id TEXT REFERENCES remote_results (result_id));"
  "INSERT INTO version_history_6 (id, device_id, changed_at, from_version, to_version,"
  "  to_checksum, source, report_id)"
  "  SELECT id, device_id, changed_at, from_version, to_version, to_checksum, source, report_id"
  "  FROM version_history;"
  "DROP TABLE version_history;"
  "ALTER TABLE version_history_6 RENAME TO version_history;"
  "CREATE INDEX history_by_device ON version_history (device_id, id);";

/* Schema 7: campaigns (docs/platform.md, "Campaigns"). A campaign's terminals are kept in the
 * order they were selected (networked terminals first), each with its wave, the command or task
 * that carries its upgrade and the state it reached; a terminal is in at most one campaign that is
 * not finished (checked by the rules of ff_platform_check_target). Failures stop a campaign at
 * max_failures (a count, or a percentage of the terminals that finished when max_failures_percent
 * is 1); window_start/window_end are minutes after midnight UTC (NULL: any time); a terminal with
 * no result offline_after seconds after its wave started counts as offline. */
static const char schema_v7[] =
  "CREATE TABLE campaigns ("
  "  campaign_id TEXT PRIMARY KEY, name TEXT, firmware_version TEXT NOT NULL,"
  "  waves TEXT NOT NULL, max_failures INTEGER NOT NULL,"
  "  max_failures_percent INTEGER NOT NULL CHECK (max_failures_percent IN (0, 1)),"
  "  window_start INTEGER, window_end INTEGER, offline_after INTEGER NOT NULL,"
  "  state TEXT NOT NULL CHECK (state IN ('draft', 'running', 'paused', 'cancelled',"
  "    'complete')),"
  "  current_wave INTEGER NOT NULL DEFAULT 0, wave_started_at INTEGER, halt_reason TEXT,"
  "  created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER);"
  "CREATE TABLE campaign_terminals ("
  "  campaign_id TEXT NOT NULL REFERENCES campaigns (campaign_id),"
  "  device_id TEXT NOT NULL REFERENCES terminals (device_id), position INTEGER NOT NULL,"
  "  wave INTEGER NOT NULL, link TEXT NOT NULL CHECK (link IN ('offline', 'mqtt')),"
  "  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'downloading', 'installing',"
  "    'succeeded', 'failed', 'rolled-back', 'offline')),"
  "  command_id TEXT, task_id TEXT, step TEXT, reason TEXT, updated_at INTEGER NOT NULL,"
  "  PRIMARY KEY (campaign_id, device_id));"
  "CREATE INDEX campaign_terminals_by_wave ON campaign_terminals (campaign_id, wave, position);"
  "CREATE INDEX campaign_terminals_by_device ON campaign_terminals (device_id);"
  "CREATE INDEX campaign_terminals_by_command ON campaign_terminals (command_id)"
  "  WHERE command_id IS NOT NULL;";

/* Schema 8: smart meters (docs/meters.md, "For an operator"). The meters; the signed app packages
 * (an app's name and its number on the meter, its version as the meter's number, the image in the
 * firmware store); each meter's apps; the commands queued for a meter's next wake-up (finished_at
 * NULL while open), and the meters' version history, parallel to the terminals' (a meter's apps
 * have numeric versions and states, a terminal has one version string). */
static const char schema_v8[] =
  "CREATE TABLE meters ("
  "  meter_id TEXT PRIMARY KEY, name TEXT NOT NULL, vendor TEXT NOT NULL, model TEXT NOT NULL,"
  "  added_at INTEGER NOT NULL);"
  "CREATE TABLE meter_packages ("
  "  id INTEGER PRIMARY KEY, app TEXT NOT NULL, app_id INTEGER NOT NULL, version INTEGER NOT NULL,"
  "  resident INTEGER NOT NULL, vendor TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
  "  added_at INTEGER NOT NULL, UNIQUE (app, version));"
  "CREATE TABLE meter_apps ("
  "  meter_id TEXT NOT NULL REFERENCES meters (meter_id), app TEXT NOT NULL,"
  "  version INTEGER NOT NULL, state TEXT NOT NULL, updated_at INTEGER NOT NULL,"
  "  PRIMARY KEY (meter_id, app));"
  "CREATE TABLE meter_commands ("
  "  id INTEGER PRIMARY KEY, meter_id TEXT NOT NULL REFERENCES meters (meter_id),"
  "  app TEXT NOT NULL,"
  "  op TEXT NOT NULL CHECK (op IN ('install', 'start', 'stop', 'uninstall')),"
  "  package_id INTEGER REFERENCES meter_packages (id), created_at INTEGER NOT NULL,"
  "  sent_at INTEGER, sent_kind TEXT, finished_at INTEGER, outcome TEXT, detail INTEGER);"
  "CREATE INDEX meter_commands_by_app ON meter_commands (meter_id, app, id);"
  "CREATE TABLE meter_history ("
  "  id INTEGER PRIMARY KEY, meter_id TEXT NOT NULL REFERENCES meters (meter_id),"
  "  app TEXT NOT NULL, changed_at INTEGER NOT NULL, from_version INTEGER,"
  "  to_version INTEGER NOT NULL, state TEXT NOT NULL,"
  "  source TEXT NOT NULL CHECK (source IN ('ledger', 'meter')),"
  "  command_id INTEGER REFERENCES meter_commands (id));"
  "CREATE INDEX meter_history_by_meter ON meter_history (meter_id, id);";

/* Schema 9: the fleet summary (counts by vendor, model and version, in version order) walks this
 * index, which holds every column it reads, instead of scanning and sorting the whole table. */
static const char schema_v9[] =
  "CREATE INDEX terminals_by_vendor_model_version ON terminals (vendor, model, version_key,"
  "  software_version);";

/* Schema 10: an operator who resumes a halted campaign accepts the failures so far; the threshold
 * then counts the failures (and the finished terminals) after the resume. */
static const char schema_v10[] =
  "ALTER TABLE campaigns ADD COLUMN accepted_failures INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE campaigns ADD COLUMN accepted_finished INTEGER NOT NULL DEFAULT 0;";

/* Schema 11: a remote command records the package it names (the firmware's own, or a package of
 * delta patches made for the images the terminal runs: issue 15), which the terminal may then
 * download; each such derived package is made once per target package and installed images
 * (from_key: the installed SHA-256 of each target payload in order, "-" for none), sha256 NULL
 * when it was no smaller than the full package. */
static const char schema_v11[] =
  "ALTER TABLE remote_commands ADD COLUMN package_sha256 TEXT;"
  "CREATE TABLE remote_package_deltas ("
  "  to_sha256 TEXT NOT NULL, from_key TEXT NOT NULL, sha256 TEXT, size INTEGER,"
  "  made_at INTEGER NOT NULL, PRIMARY KEY (to_sha256, from_key));";

/* Schema 12: a meter's DTLS pre-shared key (docs/meters.md, "DTLS"); NULL for a meter served over
 * plain CoAP. A meter with a key is served only over DTLS made with it. */
static const char schema_v12[] =
  "ALTER TABLE meters ADD COLUMN psk BLOB;";

/* Schema 13: a command is recorded as handed to the broker (published_at) before it is
 * published, and never published again after that: a daemon killed between the
 * publication and the broker's acknowledgement (sent_at) does not send it twice. */
static const char schema_v13[] =
  "ALTER TABLE remote_commands ADD COLUMN published_at INTEGER;"
  "CREATE INDEX remote_commands_unpublished ON remote_commands (created_at)"
  "  WHERE published_at IS NULL AND sent_at IS NULL;";

/* Schema 14: a campaign may target a meter app version (docs/meters.md, "Campaigns"): meter_app
 * names the app (NULL: a firmware campaign of terminals), firmware_version then holds the app's
 * version as MAJOR.MINOR.PATCH. Its meters are rows of campaign_terminals with link 'coap' and
 * their install command as command_id ("meter-N"), so the waves, the threshold and the counts
 * serve both; device_id therefore no longer references terminals (SQLite cannot drop a
 * constraint: the table is made again). */
static const char schema_v14[] =
  "ALTER TABLE campaigns ADD COLUMN meter_app TEXT;"
  "CREATE TABLE campaign_terminals_14 ("
  "  campaign_id TEXT NOT NULL REFERENCES campaigns (campaign_id),"
  "  device_id TEXT NOT NULL, position INTEGER NOT NULL,"
  "  wave INTEGER NOT NULL, link TEXT NOT NULL CHECK (link IN ('offline', 'mqtt', 'coap')),"
  "  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'downloading', 'installing',"
  "    'succeeded', 'failed', 'rolled-back', 'offline')),"
  "  command_id TEXT, task_id TEXT, step TEXT, reason TEXT, updated_at INTEGER NOT NULL,"
  "  PRIMARY KEY (campaign_id, device_id));"
  "INSERT INTO campaign_terminals_14 SELECT campaign_id, device_id, position, wave, link, state,"
  "  command_id, task_id, step, reason, updated_at FROM campaign_terminals;"
  "DROP TABLE campaign_terminals;"
  "ALTER TABLE campaign_terminals_14 RENAME TO campaign_terminals;"
  "CREATE INDEX campaign_terminals_by_wave ON campaign_terminals (campaign_id, wave, position);"
  "CREATE INDEX campaign_terminals_by_device ON campaign_terminals (device_id);"
  "CREATE INDEX campaign_terminals_by_command ON campaign_terminals (command_id)"
  "  WHERE command_id IS NOT NULL;";

/* Schema 15: a task may be cancelled (`tasks cancel`, or the cancel of the campaign whose tablet
 * work it is): its items still open are withdrawn, and the platform no longer hands it to
 * tablets. SQLite cannot widen a CHECK constraint: both tables are made again (the migration
 * runs with foreign keys off, checked before it commits). */
static const char schema_v15[] =
  "CREATE TABLE tasks_15 ("
  "  task_id TEXT PRIMARY KEY, phone TEXT NOT NULL REFERENCES technicians (phone),"
  "  issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, rollback_reason TEXT,"
  "  state TEXT NOT NULL CHECK (state IN ('open', 'complete', 'cancelled')),"
  "  completed_at INTEGER, document BLOB NOT NULL, signature BLOB NOT NULL);"
  "INSERT INTO tasks_15 SELECT task_id, phone, issued_at, expires_at, rollback_reason, state,"
  "  completed_at, document, signature FROM tasks;"
  "DROP TABLE tasks;"
  "ALTER TABLE tasks_15 RENAME TO tasks;"
  "CREATE INDEX tasks_by_phone ON tasks (phone, issued_at);"
  "CREATE TABLE task_items_15 ("
  "  task_id TEXT NOT NULL REFERENCES tasks (task_id),"
  "  device_id TEXT NOT NULL REFERENCES terminals (device_id),"
  "  target_firmware_id INTEGER NOT NULL REFERENCES firmware (id),"
  "  previous_firmware_id INTEGER REFERENCES firmware (id),"
  "  state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'withdrawn')),"
  "  closing_report_id TEXT, expected_version TEXT, PRIMARY KEY (task_id, device_id));"
  "INSERT INTO task_items_15 SELECT task_id, device_id, target_firmware_id,"
  "  previous_firmware_id, state, closing_report_id, expected_version FROM task_items;"
  "DROP TABLE task_items;"
  "ALTER TABLE task_items_15 RENAME TO task_items;"
  "CREATE INDEX task_items_by_device ON task_items (device_id, state);"
  "CREATE INDEX task_items_by_state ON task_items (task_id, state);";

/* Schema 16: the campaign terminals by state, which the campaign engine counts after every batch
 * of results (the counts of each state, the wave's unfinished terminals): read from this index
 * alone, without a row of the table or a sort. */
static const char schema_v16[] =
  "CREATE INDEX campaign_terminals_by_state ON campaign_terminals (campaign_id, state, wave);";

/* Schema 17: a terminal a rule took out of a campaign after it was made (blacklisted, a command
 * of its own out) is 'left-out' at its wave's start, no failure. SQLite cannot widen a CHECK
 * constraint: the table is made again, with its indexes. */
static const char schema_v17[] =
  "CREATE TABLE campaign_terminals_17 ("
  "  campaign_id TEXT NOT NULL REFERENCES campaigns (campaign_id),"
  "  device_id TEXT NOT NULL, position INTEGER NOT NULL,"
  "  wave INTEGER NOT NULL, link TEXT NOT NULL CHECK (link IN ('offline', 'mqtt', 'coap')),"
  "  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'downloading', 'installing',"
  "    'succeeded', 'failed', 'rolled-back', 'offline', 'left-out')),"
  "  command_id TEXT, task_id TEXT, step TEXT, reason TEXT, updated_at INTEGER NOT NULL,"
  "  PRIMARY KEY (campaign_id, device_id));"
  "INSERT INTO campaign_terminals_17 SELECT campaign_id, device_id, position, wave, link, state,"
  "  command_id, task_id, step, reason, updated_at FROM campaign_terminals;"
  "DROP TABLE campaign_terminals;"
  "ALTER TABLE campaign_terminals_17 RENAME TO campaign_terminals;"
  "CREATE INDEX campaign_terminals_by_wave ON campaign_terminals (campaign_id, wave, position);"
  "CREATE INDEX campaign_terminals_by_device ON campaign_terminals (device_id);"
  "CREATE INDEX campaign_terminals_by_command ON campaign_terminals (command_id)"
  "  WHERE command_id IS NOT NULL;"
  "CREATE INDEX campaign_terminals_by_state ON campaign_terminals (campaign_id, state, wave);";

/* steps[N] brings a database of schema N to schema N + 1. */
static const char *const steps[] = { schema_v1, schema_v2, schema_v3, schema_v4, schema_v5,
                                      schema_v6, schema_v7, schema_v8, schema_v9, schema_v10,
                                      schema_v11, schema_v12, schema_v13,
                                      schema_v14, schema_v15, schema_v16, schema_v17 };

static gboolean
exec (sqlite3     *handle,
      const char  *sql,
      GError     **error)
{
  if (sqlite3_exec (handle, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED, _("Database error: %s"),
               sqlite3_errmsg (handle));
  return FALSE;
}

static gboolean
read_version (sqlite3  *handle,
              int      *version,
              GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (handle, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK
      || sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED, _("Database error: %s"),
                   sqlite3_errmsg (handle));
      return FALSE;
    }
  *version = sqlite3_column_int (stmt, 0);
  return TRUE;
}

static void
version_key (sqlite3_context *context,
             int              argc,
             sqlite3_value  **argv)
{
  const char *version = (const char *) sqlite3_value_text (argv[0]);

  if (version == NULL)
    sqlite3_result_null (context);
  else
    sqlite3_result_text (context, ff_version_sort_key (version), -1, g_free);
}

/* A step that makes a table again runs with foreign keys off (SQLite's way of altering a
 * table others refer to): this checks them all before it commits. */
static gboolean
check_foreign_keys (sqlite3  *handle,
                    GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (handle, "PRAGMA foreign_key_check", -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED, _("Database error: %s"),
                   sqlite3_errmsg (handle));
      return FALSE;
    }
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc == SQLITE_ROW)
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                 _("Database error: a row of %s refers to nothing"),
                 (const char *) sqlite3_column_text (stmt, 0));
  else
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED, _("Database error: %s"),
                 sqlite3_errmsg (handle));
  return FALSE;
}

/* Applies the next step, if the database still needs it: the version is read again inside the
 * write transaction, as another process may have migrated it meanwhile. *@done tells whether the
 * database is current. */
static gboolean
migrate_step (sqlite3   *handle,
              gboolean  *done,
              GError   **error)
{
  g_autofree char *set_version = NULL;
  int version;

  if (!exec (handle, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!read_version (handle, &version, error))
    goto failed;
  if (version > (int) G_N_ELEMENTS (steps))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                   _("The database was made by a newer fieldflash-platform (schema %d)"),
                   version);
      goto failed;
    }
  *done = version == (int) G_N_ELEMENTS (steps);
  if (*done)
    return exec (handle, "COMMIT", error);
  set_version = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
  if (exec (handle, steps[version], error) && check_foreign_keys (handle, error)
      && exec (handle, set_version, error) && exec (handle, "COMMIT", error))
    return TRUE;

failed:
  sqlite3_exec (handle, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

gboolean
ff_platform_schema_migrate (sqlite3  *handle,
                            GError  **error)
{
  gboolean done;
  int version;

  if (sqlite3_create_function_v2 (handle, "ff_version_key", 1,
                                  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                  version_key, NULL, NULL, NULL) != SQLITE_OK)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED, _("Database error: %s"),
                   sqlite3_errmsg (handle));
      return FALSE;
    }
  /* A current database (every open but the first after an upgrade) takes no write lock. */
  if (!read_version (handle, &version, error))
    return FALSE;
  done = version == (int) G_N_ELEMENTS (steps);
  if (done)
    return TRUE;
  /* Only outside a transaction does this pragma take effect. */
  if (!exec (handle, "PRAGMA foreign_keys = OFF", error))
    return FALSE;
  while (!done)
    if (!migrate_step (handle, &done, error))
      {
        sqlite3_exec (handle, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
        return FALSE;
      }
  return exec (handle, "PRAGMA foreign_keys = ON", error);
}
