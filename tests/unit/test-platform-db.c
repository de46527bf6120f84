/* Tests for the platform database: transactions from many threads commit together, yet a failing
 * unit leaves no trace and never undoes another unit's work; a firmware is stored whole or not at
 * all; the health check reads no table; the login back-off kept in it; an older schema migrates;
 * meter versions, and a meter's reports finish only the command they answer. */
#include "config.h"

#include "ff-platform-campaigns.h"
#include "ff-platform-db.h"
#include "ff-platform-db-private.h"
#include "ff-platform-remote-db.h"
#include "ff-platform-fleet-db.h"
#include "ff-platform-login.h"
#include "ff-platform-meters.h"
#include "ffmeter-download.h"
#include "ff-test-fixtures.h"

#include <sqlite3.h>

#define N_THREADS 8
#define UNITS_PER_THREAD 25

typedef struct
{
  FfPlatformDb *db;
  guint         thread;
} Worker;

typedef struct
{
  char     *phone;
  gboolean  fail;
} Unit;

static gboolean
insert_technician (FfPlatformDb *db,
                   gpointer      user_data,
                   GError      **error)
{
  Unit *unit = user_data;

  if (!ff_platform_db_insert_technician (db, unit->phone, "Worker", "scrypt$x", 0, error))
    return FALSE;
  if (unit->fail)
    {
      /* Fails after writing: the write must vanish with the unit. */
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED, "refused");
      return FALSE;
    }
  return TRUE;
}

static gpointer
run_worker (gpointer data)
{
  Worker *worker = data;

  for (guint i = 0; i < UNITS_PER_THREAD; i++)
    {
      g_autoptr(GError) error = NULL;
      Unit unit = { g_strdup_printf ("13%02u%07u", worker->thread, i), i % 5 == 4 };
      gboolean ok = ff_platform_db_transaction (worker->db, insert_technician, &unit, &error);

      g_assert_true (ok != unit.fail);
      if (unit.fail)
        g_assert_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED);
      else
        g_assert_no_error (error);
      g_free (unit.phone);
    }
  return NULL;
}

static void
test_concurrent_transactions (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ff-platform-db-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "platform.db", NULL);
  g_autoptr(GError) error = NULL;
  FfPlatformDb *db = ff_platform_db_open (path, &error);
  GThread *threads[N_THREADS];
  Worker workers[N_THREADS];
  g_autoptr(GPtrArray) technicians = NULL;

  g_assert_no_error (error);
  for (guint t = 0; t < N_THREADS; t++)
    {
      workers[t] = (Worker) { db, t };
      threads[t] = g_thread_new ("worker", run_worker, &workers[t]);
    }
  for (guint t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);
  ff_platform_db_close (db);

  /* Reopen: only what was committed is there. */
  db = ff_platform_db_open (path, &error);
  g_assert_no_error (error);
  technicians = ff_platform_db_list_technicians (db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (technicians->len, ==, N_THREADS * (UNITS_PER_THREAD - UNITS_PER_THREAD / 5));
  for (guint i = 0; i < technicians->len; i++)
    {
      FfTechnician *technician = g_ptr_array_index (technicians, i);
      guint64 unit = g_ascii_strtoull (technician->phone + 4, NULL, 10);

      g_assert_cmpuint (unit % 5, !=, 4);
    }
  ff_platform_db_close (db);
  ff_test_remove_tree (dir);
}

static void
test_reopen_keeps_schema (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ff-platform-db-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "platform.db", NULL);
  g_autoptr(GError) error = NULL;
  FfPlatformDb *db = ff_platform_db_open (path, &error);
  g_autoptr(FfTechnician) technician = NULL;

  g_assert_no_error (error);
  g_assert_true (ff_platform_db_insert_technician (db, "13800138000", "张伟", "h", 1, &error));
  g_assert_false (ff_platform_db_insert_technician (db, "13800138000", "Other", "h", 1, &error));
  g_assert_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT);
  g_clear_error (&error);
  ff_platform_db_close (db);
  db = ff_platform_db_open (path, &error);
  g_assert_no_error (error);
  technician = ff_platform_db_get_technician (db, "13800138000", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (technician->name, ==, "张伟");
  ff_platform_db_close (db);
  ff_test_remove_tree (dir);
}

static gint64
scalar (const char *path,
        const char *sql)
{
  sqlite3 *raw = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_open_v2 (path, &raw, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (raw, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (raw);
  return value;
}

/* A database of schema 1 (tests/data/platform-schema1.sql, made before the version key) opens,
 * and in one step gets every terminal's version key and every task item's expected version, read
 * from its signed task document. */
static void
test_migrate_schema_1 (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ff-platform-db-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "platform.db", NULL);
  g_autofree char *fixture = g_build_filename (g_getenv ("FIELDFLASH_SOURCEDIR"), "tests", "data",
                                               "platform-schema1.sql", NULL);
  g_autofree char *sql = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(FfTaskItemRecord) item = NULL;
  FfTerminalFilter filter = { .version = "v5.050" };
  sqlite3 *raw = NULL;
  FfPlatformDb *db;

  g_file_get_contents (fixture, &sql, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);
  g_assert_cmpint (scalar (path, "PRAGMA user_version"), ==, 1);

  db = ff_platform_db_open (path, &error);
  g_assert_no_error (error);
  found = ff_platform_db_find_terminals (db, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((FfTerminal *) g_ptr_array_index (found, 0))->device_id, ==, "FTU0002");
  item = ff_platform_db_get_task_item (db, "13800138000-20261206", "DTU0001", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (item->expected_version, ==, "V1.00");
  /* Schema 15 made tasks and task_items again with foreign keys off: they are on again. */
  g_assert_false (ff_platform_db_insert_task_item (db, "13800138000-20990101", "DTU0001", 1, 0,
                                                   "V1.00", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  ff_platform_db_close (db);

  g_assert_cmpint (scalar (path, "PRAGMA user_version"), ==, 17);
  /* Schema 15: a task may be cancelled and its items withdrawn; every row is still there and
   * every reference to a task still holds. */
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM sqlite_schema WHERE name = 'tasks'"
                                 " AND sql LIKE '%''cancelled''%'"), ==, 1);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM sqlite_schema WHERE name = 'task_items'"
                                 " AND sql LIKE '%''withdrawn''%'"), ==, 1);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM tasks"), ==, 1);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM task_items"), >, 0);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM pragma_foreign_key_check"), ==, 0);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                                 " AND tbl_name IN ('tasks', 'task_items')"), ==, 5);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM meters WHERE psk IS NOT NULL"), ==, 0);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM remote_commands"
                                 " WHERE published_at IS NOT NULL"), ==, 0);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM remote_package_deltas"), ==, 0);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                                 " AND name = 'terminals_by_vendor_model_version'"), ==, 1);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM firmware_deltas"), ==, 0);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM campaigns"), ==, 0);
  /* Schemas 14 and 17 made campaign_terminals again: meters (link coap) and terminals left out
   * in it, its indexes kept. */
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM sqlite_schema WHERE name ="
                                 " 'campaign_terminals' AND sql LIKE '%''coap''%'"), ==, 1);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM sqlite_schema WHERE name ="
                                 " 'campaign_terminals' AND sql LIKE '%''left-out''%'"), ==, 1);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                                 " AND tbl_name = 'campaign_terminals'"), ==, 5);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM campaigns WHERE meter_app IS NOT NULL"),
                   ==, 0);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM operators"), ==, 0);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM audit_log"), ==, 0);
  /* Schema 6 rebuilt the history (its source gained 'remote'): every row is still there. */
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM version_history"), ==, 4);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM version_history WHERE source = 'ledger'"
                                 " AND result_id IS NULL"), ==, 4);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM terminals WHERE version_key = ''"), ==, 0);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM terminals WHERE version_key = 'v210.13'"),
                   ==, 1);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM task_items WHERE expected_version IS NULL"),
                   ==, 0);
  ff_test_remove_tree (dir);
}

/* The plan of @sql, one line per step, on a new database. */
static char *
query_plan (const char *sql)
{
  g_autofree char *dir = g_dir_make_tmp ("ff-platform-db-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "platform.db", NULL);
  g_autofree char *explain = g_strconcat ("EXPLAIN QUERY PLAN ", sql, NULL);
  g_autoptr(GError) error = NULL;
  GString *plan = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;
  sqlite3 *raw = NULL;
  FfPlatformDb *db = ff_platform_db_open (path, &error);

  g_assert_no_error (error);
  ff_platform_db_close (db);
  g_assert_cmpint (sqlite3_open_v2 (path, &raw, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (raw, explain, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (plan, "%s\n", (const char *) sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (raw);
  ff_test_remove_tree (dir);
  return g_string_free (plan, FALSE);
}

/* The fleet summary walks its covering index (schema 9) in order: neither the table (1,000,000
 * rows in bench-console) nor a sort. */
static void
test_fleet_summary_plan (void)
{
  g_autofree char *plan = query_plan (ff_platform_fleet_summary_sql);

  g_assert_cmpstr (plan, ==,
                   "SCAN terminals USING COVERING INDEX terminals_by_vendor_model_version\n");
}

/* The campaign engine's look after every batch of results (schema 16): a running campaign's
 * counts the threshold reads and its wave's unfinished terminals are index seeks, without a row
 * of campaign_terminals (10,000 in bench-campaign), a sort, or a walk over the campaign's range. */
static void
test_campaign_counts_plan (void)
{
  g_autofree char *running = query_plan (ff_platform_running_campaigns_sql);
  g_autofree char *unfinished = query_plan (ff_platform_campaign_unfinished_sql);

  g_assert_nonnull (strstr (running, "SEARCH t USING COVERING INDEX campaign_terminals_by_state"
                                     " (campaign_id=? AND state=?)"));
  g_assert_null (strstr (running, "TEMP B-TREE FOR GROUP BY"));
  g_assert_null (strstr (running, "campaign_terminals_by_state (campaign_id=?)\n"));
  g_assert_cmpstr (unfinished, ==, "SEARCH campaign_terminals USING COVERING INDEX"
                                   " campaign_terminals_by_state (campaign_id=? AND state=? AND"
                                   " wave=?)\n");
}

static FfPlatformDb *
open_scratch_db (char **dir)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  FfPlatformDb *db;

  *dir = g_dir_make_tmp ("ff-platform-db-XXXXXX", NULL);
  path = g_build_filename (*dir, "platform.db", NULL);
  db = ff_platform_db_open (path, &error);
  g_assert_no_error (error);
  return db;
}

typedef struct
{
  Unit unit;
  int  synchronous;   /* PRAGMA synchronous as the unit saw it */
} SyncUnit;

static gboolean
insert_and_read_synchronous (FfPlatformDb *db,
                             gpointer      user_data,
                             GError      **error)
{
  SyncUnit *sync = user_data;
  sqlite3_stmt *stmt = ff_platform_db_bind (db, "PRAGMA synchronous", error, "");

  if (!ff_platform_db_next_row (db, stmt, error))
    return FALSE;
  sync->synchronous = sqlite3_column_int (stmt, 0);
  sqlite3_reset (stmt);
  return insert_technician (db, &sync->unit, error);
}

/* A lazy transaction commits without waiting for the disk (synchronous NORMAL: 1), its rows seen
 * by another connection at once and kept; the connection is back to FULL (2) after it, and an
 * ordinary transaction is durable. A lazy unit that fails leaves nothing. */
static void
test_lazy_transaction (void)
{
  g_autofree char *dir = NULL;
  FfPlatformDb *db = open_scratch_db (&dir);
  FfPlatformDb *other = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) technicians = NULL;
  SyncUnit lazy = { { "13800000001", FALSE }, -1 };
  SyncUnit refused = { { "13800000002", TRUE }, -1 };
  SyncUnit durable = { { "13800000003", FALSE }, -1 };

  g_assert_true (ff_platform_db_transaction_lazy (db, insert_and_read_synchronous, &lazy, &error));
  g_assert_no_error (error);
  g_assert_cmpint (lazy.synchronous, ==, 1);
  g_assert_false (ff_platform_db_transaction_lazy (db, insert_and_read_synchronous, &refused,
                                                   &error));
  g_assert_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED);
  g_clear_error (&error);
  g_assert_true (ff_platform_db_transaction (db, insert_and_read_synchronous, &durable, &error));
  g_assert_no_error (error);
  g_assert_cmpint (durable.synchronous, ==, 2);
  other = ff_platform_db_open_again (db, &error);
  g_assert_no_error (error);
  technicians = ff_platform_db_list_technicians (other, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (technicians->len, ==, 2);
  g_assert_cmpstr (((FfTechnician *) g_ptr_array_index (technicians, 0))->phone, ==,
                   "13800000001");
  ff_platform_db_close (other);
  ff_platform_db_close (db);
  ff_test_remove_tree (dir);
}


/* History rows of source 'remote' (schema 6) name their result; the source is still checked. */
static void
test_remote_history (void)
{
  g_autofree char *dir = NULL;
  FfPlatformDb *db = open_scratch_db (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) history = NULL;
  FfTerminal terminal = { "DTU-0001", "Ring main unit", 39.9, 116.4, "Acme", "DTU-3000", "HV1.0",
                          "V1.00", "", "127.0.0.1", 2404, 1, "state-grid" };
  FfHistoryEntry *entry;

  g_assert_true (ff_platform_db_put_terminal (db, &terminal, FALSE, 1, &error));
  g_assert_no_error (error);
  g_assert_true (ff_platform_db_add_remote_history (db, "DTU-0001", 2, "V1.00", "V2.00", NULL,
                                                    &error));
  g_assert_no_error (error);
  g_assert_false (ff_platform_db_add_history (db, "DTU-0001", 3, "V2.00", "V3.00", NULL, "tablet",
                                              NULL, &error));
  g_assert_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID);
  g_clear_error (&error);
  history = ff_platform_db_list_history (db, "DTU-0001", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 1);
  entry = g_ptr_array_index (history, 0);
  g_assert_cmpstr (entry->source, ==, "remote");
  g_assert_cmpstr (entry->to_version, ==, "V2.00");
  ff_platform_db_close (db);
  ff_test_remove_tree (dir);
}

/* A networked terminal's "already-current" result (it ran the package already and installed
 * nothing) ends its campaign entry succeeded, as a tablet's already-current report does. */
static void
test_campaign_takes_already_current (void)
{
  g_autofree char *dir = NULL;
  FfPlatformDb *db = open_scratch_db (&dir);
  g_autofree char *path = g_build_filename (dir, "platform.db", NULL);
  g_autoptr(GError) error = NULL;
  sqlite3 *raw = NULL;

  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "INSERT INTO campaign_terminals (campaign_id, device_id,"
                                      " position, wave, link, state, command_id, updated_at)"
                                      " VALUES ('C1', 'DTU-0001', 0, 0, 'mqtt', 'sent', 'cmd1', 1)",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);
  g_assert_true (ff_platform_db_campaign_take_result (db, "DTU-0001", "cmd1", "already-current",
                                                      "verify-package", "Already running", 2,
                                                      &error));
  g_assert_no_error (error);
  g_assert_cmpint (scalar (path, "SELECT count(*) FROM campaign_terminals"
                                 " WHERE state = 'succeeded' AND updated_at = 2"), ==, 1);
  ff_platform_db_close (db);
  ff_test_remove_tree (dir);
}

static gint64
failed_logins (FfPlatformDb *db,
               const char   *phone)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTechnician) technician = ff_platform_db_get_technician (db, phone, &error);

  g_assert_no_error (error);
  return technician->failed_logins;
}

/* Begins a login attempt at @now and returns the seconds it must wait (0: it may check a PIN). */
static gint64
begin_login (FfPlatformDb *db,
             const char   *phone,
             gint64        now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTechnician) technician = NULL;
  gint64 retry_after = -1;

  technician = ff_platform_login_begin (db, phone, now, &retry_after, &error);
  g_assert_no_error (error);
  g_assert_nonnull (technician);
  return retry_after;
}

static void
test_login_backoff_grows_and_clears (void)
{
  g_autofree char *dir = NULL;
  FfPlatformDb *db = open_scratch_db (&dir);
  g_autoptr(GError) error = NULL;
  gint64 retry_after = -1;

  g_assert_true (ff_platform_db_insert_technician (db, "13800138000", "张伟", "h", 1, &error));
  g_assert_no_error (error);
  for (int i = 0; i < FF_LOGIN_FREE_FAILURES; i++)
    g_assert_cmpint (begin_login (db, "13800138000", 1000), ==, 0);
  g_assert_cmpint (failed_logins (db, "13800138000"), ==, 3);

  /* Waiting attempts are refused and not counted; each further failure doubles the wait. */
  g_assert_cmpint (begin_login (db, "13800138000", 1010), ==, 20);
  g_assert_cmpint (begin_login (db, "13800138000", 1029), ==, 1);
  g_assert_cmpint (failed_logins (db, "13800138000"), ==, 3);
  g_assert_cmpint (begin_login (db, "13800138000", 1030), ==, 0);
  g_assert_cmpint (begin_login (db, "13800138000", 1030), ==, 60);
  g_assert_cmpint (begin_login (db, "13800138000", 1090), ==, 0);
  g_assert_cmpint (begin_login (db, "13800138000", 1090), ==, 120);
  g_assert_cmpint (failed_logins (db, "13800138000"), ==, 5);
  g_assert_cmpint (ff_platform_login_delay (100), ==, 15 * 60);

  /* A right PIN clears the count. */
  g_assert_true (ff_platform_login_succeeded (db, "13800138000", &error));
  g_assert_no_error (error);
  g_assert_cmpint (failed_logins (db, "13800138000"), ==, 0);
  g_assert_cmpint (begin_login (db, "13800138000", 1091), ==, 0);

  /* An unknown phone has nothing to count. */
  g_assert_null (ff_platform_login_begin (db, "13900139000", 1091, &retry_after, &error));
  g_assert_no_error (error);
  g_assert_cmpint (retry_after, ==, 0);
  ff_platform_db_close (db);
  ff_test_remove_tree (dir);
}

/* Runs @sql on the database file through a connection of its own. */
static void
exec_beside (const char *dir,
             const char *sql)
{
  g_autofree char *path = g_build_filename (dir, "platform.db", NULL);
  sqlite3 *handle = NULL;

  g_assert_cmpint (sqlite3_open (path, &handle), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (handle, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (handle);
}

/* When a hardware version cannot be stored, neither is the firmware record written before it. */
static void
test_firmware_stored_whole (void)
{
  g_autofree char *dir = NULL;
  FfPlatformDb *db = open_scratch_db (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfFirmware) firmware = g_new0 (FfFirmware, 1);
  g_autoptr(FfFirmware) stored = NULL;
  g_autoptr(GPtrArray) all = NULL;
  const char *hardware[] = { "HV1.0", "HV-REFUSED", NULL };

  exec_beside (dir, "CREATE TRIGGER refuse_hardware BEFORE INSERT ON firmware_hardware"
                    " WHEN NEW.hardware_version = 'HV-REFUSED'"
                    " BEGIN SELECT RAISE (ABORT, 'refused'); END;");
  firmware->vendor = g_strdup ("Acme");
  firmware->model = g_strdup ("DTU-3000");
  firmware->version = g_strdup ("V2.01");
  firmware->sha256 = ff_sha256_hex ("image", 5);
  firmware->size = 5;
  firmware->hardware_versions = g_strdupv ((char **) hardware);
  g_assert_false (ff_platform_db_insert_firmware (db, firmware, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  stored = ff_platform_db_find_firmware (db, "Acme", "DTU-3000", "V2.01", &error);
  g_assert_no_error (error);
  g_assert_null (stored);

  /* Without the refused version it is stored, with its hardware. */
  g_strfreev (firmware->hardware_versions);
  firmware->hardware_versions = g_strsplit ("HV1.0,HV1.1", ",", -1);
  g_assert_true (ff_platform_db_insert_firmware (db, firmware, &error));
  g_assert_no_error (error);
  all = ff_platform_db_list_firmware (db, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 1);
  g_assert_cmpstrv (((FfFirmware *) g_ptr_array_index (all, 0))->hardware_versions,
                    ((const char *const[]) { "HV1.0", "HV1.1", NULL }));
  ff_platform_db_close (db);
  ff_test_remove_tree (dir);
}

/* The health check (GET /healthz) reads no table, so it never scans the ledger under the lock. */
static void
test_ping_reads_no_table (void)
{
  g_autofree char *dir = NULL;
  FfPlatformDb *db = open_scratch_db (&dir);
  g_autoptr(GError) error = NULL;

  exec_beside (dir, "ALTER TABLE terminals RENAME TO terminals_elsewhere");
  g_assert_true (ff_platform_db_ping (db, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ff_platform_db_count_terminals (db, &error), ==, -1);
  g_assert_nonnull (error);
  ff_platform_db_close (db);
  ff_test_remove_tree (dir);
}

typedef struct
{
  FfPlatformDb *db;
  gint          allowed;
} Guesser;

static gpointer
run_guesser (gpointer data)
{
  Guesser *guesser = data;

  for (guint i = 0; i < UNITS_PER_THREAD; i++)
    if (begin_login (guesser->db, "13800138000", 5000) == 0)
      g_atomic_int_inc (&guesser->allowed);
  return NULL;
}

static void
test_login_parallel_attempts_counted (void)
{
  g_autofree char *dir = NULL;
  FfPlatformDb *db = open_scratch_db (&dir);
  g_autoptr(GError) error = NULL;
  Guesser guesser = { db, 0 };
  GThread *threads[N_THREADS];

  g_assert_true (ff_platform_db_insert_technician (db, "13800138000", "张伟", "h", 1, &error));
  g_assert_no_error (error);
  for (guint t = 0; t < N_THREADS; t++)
    threads[t] = g_thread_new ("guesser", run_guesser, &guesser);
  for (guint t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);
  /* Exactly the free attempts went on to a PIN check, and each of them was counted. */
  g_assert_cmpint (guesser.allowed, ==, FF_LOGIN_FREE_FAILURES);
  g_assert_cmpint (failed_logins (db, "13800138000"), ==, FF_LOGIN_FREE_FAILURES);
  ff_platform_db_close (db);
  ff_test_remove_tree (dir);
}

static void
test_meter_versions (void)
{
  g_autofree char *text = NULL;

  g_assert_cmpuint (ff_meter_version_parse ("1.2.3"), ==, 0x010203);
  g_assert_cmpuint (ff_meter_version_parse ("V2"), ==, 0x020000);
  g_assert_cmpuint (ff_meter_version_parse ("65535.255.255"), ==, G_MAXUINT32);
  for (guint i = 0; i < 6; i++)
    {
      static const char *const bad[] = { "0", "0.0.0", "1.256", "1.2.3.4", "", "1..2" };

      g_assert_cmpuint (ff_meter_version_parse (bad[i]), ==, 0);
    }
  text = ff_meter_version_format (0x020001);
  g_assert_cmpstr (text, ==, "2.0.1");
}

static void
add_package (FfPlatformDb *db,
             const char   *app,
             guint         app_id,
             guint32       version,
             GError      **error)
{
  FfMeterPackage package = { 0, (char *) app, app_id, version, TRUE, (char *) "Acme",
                             (char *) "00", 1, 1 };

  ff_platform_db_add_meter_package (db, &package, error);
}

/* Reports finish the oldest sent command they answer, and only it: a report before the command
 * was sent, of another version, or a second copy changes nothing. */
static void
test_meter_reports (void)
{
  g_autofree char *dir = NULL;
  FfPlatformDb *db = open_scratch_db (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) apps = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) list = NULL;
  FfMeter meter = { (char *) "M0001", (char *) "M0001", (char *) "Acme", (char *) "DDZY", 0 };
  FfMeterReportOutcome outcome;
  FfMeterAppRecord *record;
  gint64 command_id = 0, refused_id = 0;
  gboolean marked = FALSE;

  add_package (db, "relay", 7, 0x010000, &error);
  g_assert_no_error (error);
  add_package (db, "relay", 7, 0x020000, &error);
  g_assert_no_error (error);
  add_package (db, "display", 7, 0x010000, &error);
  g_assert_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT);
  g_clear_error (&error);
  g_hash_table_insert (apps, (gpointer) "relay", GUINT_TO_POINTER (0x010000));
  g_assert_true (ff_platform_db_add_meter (db, &meter, apps, 1, &error));
  g_assert_false (ff_platform_db_queue_meter_command (db, "M0001", "relay", FF_METER_OP_INSTALL,
                                                      0x010000, 2, &command_id, &error));
  g_assert_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED);
  g_clear_error (&error);
  g_assert_true (ff_platform_db_queue_meter_command (db, "M0001", "relay", FF_METER_OP_INSTALL,
                                                     0x020000, 2, &command_id, &error));
  g_assert_no_error (error);

  /* Not sent yet: a report answers nothing. */
  g_assert_true (ff_platform_db_meter_report (db, "M0001", 7, 0x020000, FFMETER_REPORT_READY, 0,
                                              3, &outcome, &error));
  g_assert_cmpint (outcome.command_id, ==, 0);
  g_assert_true (ff_platform_db_mark_meter_command_sent (db, command_id, "ffdelta1", 4, &marked,
                                                        &error));
  g_assert_true (marked);
  /* Sent once: a second mark claims nothing. */
  g_assert_true (ff_platform_db_mark_meter_command_sent (db, command_id, "ffdelta1", 4, &marked,
                                                        &error));
  g_assert_false (marked);
  /* Another version, or a command's outcome, is not this install's answer. */
  g_assert_true (ff_platform_db_meter_report (db, "M0001", 7, 0x010000, FFMETER_REPORT_READY, 0,
                                              5, &outcome, &error));
  g_assert_cmpint (outcome.command_id, ==, 0);
  g_assert_true (ff_platform_db_meter_report (db, "M0001", 7, 0x020000, FFMETER_REPORT_COMMAND, 0,
                                              5, &outcome, &error));
  g_assert_cmpint (outcome.command_id, ==, 0);
  g_assert_true (ff_platform_db_meter_report (db, "M0001", 7, 0x020000, FFMETER_REPORT_READY, 0,
                                              6, &outcome, &error));
  g_assert_no_error (error);
  g_assert_cmpint (outcome.command_id, ==, command_id);
  g_assert_cmpstr (outcome.outcome, ==, "ready");
  ff_meter_report_outcome_clear (&outcome);
  g_assert_true (ff_platform_db_meter_report (db, "M0001", 7, 0x020000, FFMETER_REPORT_READY, 0,
                                              7, &outcome, &error));
  g_assert_cmpint (outcome.command_id, ==, 0);

  list = ff_platform_db_list_meter_apps (db, "M0001", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  record = g_ptr_array_index (list, 0);
  g_assert_cmpuint (record->version, ==, 0x020000);
  g_assert_cmpstr (record->state, ==, "ready");
  g_assert_cmpint (record->command_finished_at, ==, 6);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = ff_platform_db_list_meter_history (db, "M0001", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((FfMeterHistory *) g_ptr_array_index (list, 1))->source, ==, "meter");
  g_clear_pointer (&list, g_ptr_array_unref);

  /* A meter without the app: its install is listed (absent, version 0) until the meter has it;
   * stop names an app the ledger does not list there. */
  meter.meter_id = (char *) "M0002";
  g_hash_table_remove_all (apps);
  g_assert_true (ff_platform_db_add_meter (db, &meter, apps, 8, &error));
  g_assert_true (ff_platform_db_queue_meter_command (db, "M0002", "relay", FF_METER_OP_INSTALL,
                                                     0x020000, 9, &command_id, &error));
  g_assert_false (ff_platform_db_queue_meter_command (db, "M0002", "relay", FF_METER_OP_STOP, 0,
                                                      9, &refused_id, &error));
  g_assert_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED);
  g_clear_error (&error);
  list = ff_platform_db_list_meter_apps (db, "M0002", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  record = g_ptr_array_index (list, 0);
  g_assert_cmpstr (record->state, ==, FF_METER_APP_ABSENT);
  g_assert_cmpuint (record->version, ==, 0);
  g_assert_cmpuint (record->app_id, ==, 7);
  g_assert_cmpstr (record->command_op, ==, FF_METER_OP_INSTALL);
  g_assert_cmpint (record->command_finished_at, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);
  g_assert_true (ff_platform_db_mark_meter_command_sent (db, command_id, "image", 10, &marked,
                                                        &error));
  g_assert_true (ff_platform_db_meter_report (db, "M0002", 7, 0x020000, FFMETER_REPORT_READY, 0,
                                              11, &outcome, &error));
  g_assert_cmpint (outcome.command_id, !=, 0);
  g_assert_cmpint (outcome.command_id, ==, command_id);
  ff_meter_report_outcome_clear (&outcome);
  list = ff_platform_db_list_meter_apps (db, "M0002", &error);
  g_assert_cmpuint (list->len, ==, 1);
  record = g_ptr_array_index (list, 0);
  g_assert_cmpstr (record->state, ==, "ready");
  g_assert_cmpuint (record->version, ==, 0x020000);
  ff_platform_db_close (db);
  ff_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/platform/db/concurrent-transactions", test_concurrent_transactions);
  g_test_add_func ("/platform/db/reopen-keeps-schema", test_reopen_keeps_schema);
  g_test_add_func ("/platform/db/migrate-schema-1", test_migrate_schema_1);
  g_test_add_func ("/platform/db/fleet-summary-plan", test_fleet_summary_plan);
  g_test_add_func ("/platform/db/campaign-counts-plan", test_campaign_counts_plan);
  g_test_add_func ("/platform/db/lazy-transaction", test_lazy_transaction);
  g_test_add_func ("/platform/db/remote-history", test_remote_history);
  g_test_add_func ("/platform/db/campaign-takes-already-current",
                   test_campaign_takes_already_current);
  g_test_add_func ("/platform/db/meter-versions", test_meter_versions);
  g_test_add_func ("/platform/db/meter-reports", test_meter_reports);
  g_test_add_func ("/platform/db/firmware-stored-whole", test_firmware_stored_whole);
  g_test_add_func ("/platform/db/ping-reads-no-table", test_ping_reads_no_table);
  g_test_add_func ("/platform/db/login-backoff-grows-and-clears",
                   test_login_backoff_grows_and_clears);
  g_test_add_func ("/platform/db/login-parallel-attempts-counted",
                   test_login_parallel_attempts_counted);
  return g_test_run ();
}
