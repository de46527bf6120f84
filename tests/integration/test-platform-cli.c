/* The operator CLI as a real process: ledger import, firmware, dispatch rules and task signing. */
#include "config.h"

#include "platform-harness.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include "ff-task.h"

typedef HarnessFixture Fixture;

/* Runs a command that must be refused: exit status 1, a message containing @fragment. */
/* A run of the openssl tool, at native speed (ff_test_deadline_s scales it). */
#define OPENSSL_TOOL_SECONDS 60

#define ASSERT_REFUSED(h, fragment, ...)                                        \
  G_STMT_START {                                                                \
    g_autofree char *err_ = NULL;                                               \
    g_assert_cmpint (harness_run ((h), NULL, NULL, &err_, __VA_ARGS__, NULL), ==, 1); \
    g_assert_nonnull (strstr (err_, (fragment)));                               \
  } G_STMT_END

static void
test_init_twice (Fixture      *fixture,
                 gconstpointer data)
{
  g_autofree char *key_before = NULL, *key_after = NULL;
  g_autofree char *key_path = g_build_filename (fixture->h->data_dir, "platform-key.pem", NULL);

  g_assert_true (g_file_get_contents (key_path, &key_before, NULL, NULL));
  ASSERT_REFUSED (fixture->h, "already initialised", "init");
  g_assert_true (g_file_get_contents (key_path, &key_after, NULL, NULL));
  g_assert_cmpstr (key_before, ==, key_after);
}

static void
test_ledger_bad_rows (Fixture      *fixture,
                      gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *bad = harness_write (h, "bad.csv",
    "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,"
    "software_checksum,host,port,common_address,profile\n"
    "NEW0001,New 1,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,1,state-grid\n"
    "NEW0002,New 2,91,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,1,state-grid\n"
    "NEW0003,\"multi\nline\",39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,70000,1,state-grid\n"
    "../x,New 4,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,1,state-grid\n"
    "NEW0005,New 5,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,1,no-such-profile\n"
    "NEW0001,Again,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,1,state-grid\n"
    "NEW0007,short row\n"
    "NEW0010,New 10,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,70000,1,state-grid\n", -1);
  g_autofree char *bad_quote = harness_write (h, "quote.csv",
    "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,"
    "software_checksum,host,port,common_address,profile\r\n"
    "NEW0001,\"unclosed,39.9\r\n", -1);
  g_autofree char *bad_header = harness_write (h, "header.csv", "id,name\nA,B\n", -1);
  g_autofree char *changed = harness_write (h, "changed.csv",
    "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,"
    "software_checksum,host,port,common_address,profile\n"
    "DTU0001,Renamed,39.915,116.404,Acme,DTU-3000,HV1.0,V1.10,A1B3,127.0.0.1,2404,1,state-grid\n",
    -1);
  g_autofree char *err = NULL, *list = NULL, *history = NULL;

  g_assert_cmpint (harness_run (h, NULL, NULL, &err, "terminals", "import", bad, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "Bad rows: 7"));
  g_assert_nonnull (strstr (err, "line 3: the latitude"));
  /* A line break is a control character, even quoted; the lines after it are still counted. */
  g_assert_nonnull (strstr (err, "line 4: a field holds a control character"));
  g_assert_nonnull (strstr (err, "line 6: device_id"));
  g_assert_nonnull (strstr (err, "line 7: there is no vendor profile"));
  g_assert_nonnull (strstr (err, "line 8: the device ID appears on an earlier line"));
  g_assert_nonnull (strstr (err, "line 9: the row does not have 13 fields"));
  g_assert_nonnull (strstr (err, "line 10: the port"));
  ASSERT_REFUSED (h, "line 2: a quoted field is not closed", "terminals", "import", bad_quote);
  ASSERT_REFUSED (h, "line 1: the header must be exactly", "terminals", "import", bad_header);
  ASSERT_REFUSED (h, "terminal DTU0001 is already in the ledger", "terminals", "import", changed);
  list = harness_run_ok (h, "terminals", "list", NULL);
  g_assert_null (strstr (list, "NEW0001"));
  g_assert_nonnull (strstr (list, "Terminals: 3"));
  g_assert_null (strstr (list, "Renamed"));

  g_free (harness_run_ok (h, "terminals", "import", changed, "--update", NULL));
  g_clear_pointer (&list, g_free);
  list = harness_run_ok (h, "terminals", "list", "--version", "V1.10", NULL);
  g_assert_nonnull (strstr (list, "DTU0001\tRenamed"));
  history = harness_run_ok (h, "history", "DTU0001", NULL);
  g_assert_nonnull (strstr (history, "- → V1.00\tledger"));
  g_assert_nonnull (strstr (history, "V1.00 → V1.10\tledger"));
}

/* Meters from CSV, as strictly as the terminal ledger: every bad row listed and nothing changed;
 * new meters added with their apps' history; the same file again changes nothing; a known meter
 * with other data, or an app without a package, refuses the whole file. */
static void
test_meters_import (Fixture      *fixture,
                    gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *image = harness_write (h, "relay.bin", "relay app image", -1);
  g_autofree char *package = g_build_filename (h->data_dir, "..", "relay.ffpkg", NULL);
  g_autofree char *bad = harness_write (h, "meters-bad.csv",
    "meter_id,name,vendor,model,apps,psk\n"
    "M0001,Flat 1,Acme,DDZY-1,relay=1.0.0,\n"
    "M0002,\"Flat\x1b[2J\",Acme,DDZY-1,relay=1.0.0,\n"
    "M0003,Flat 3,Acme,DDZY-1,relay=1.x,\n"
    "M0004,Flat 4,Acme,DDZY-1,relay=1.0.0;relay=2.0.0,\n"
    "../M5,Flat 5,Acme,DDZY-1,,\n"
    "M0006,Flat 6,Acme,DDZY-1,,00112233\n"
    "M0001,Again,Acme,DDZY-1,,\n"
    "M0008,short\n", -1);
  g_autofree char *bad_header = harness_write (h, "meters-header.csv", "id,name\nA,B\n", -1);
  g_autofree char *good = harness_write (h, "meters.csv",
    "meter_id,name,vendor,model,apps,psk\n"
    "M0001,Flat 1,Acme,DDZY-1,relay=1.0.0,00112233445566778899aabbccddeeff\n"
    "M0002,,Acme,DDZY-1,,\n", -1);
  g_autofree char *changed = harness_write (h, "meters-changed.csv",
    "meter_id,name,vendor,model,apps\n"
    "M0009,Flat 9,Acme,DDZY-1,\n"
    "M0001,Flat 1,Acme,DDZY-1,relay=2.0.0\n", -1);
  g_autofree char *no_package = harness_write (h, "meters-app.csv",
    "meter_id,name,vendor,model,apps\n"
    "M0010,Flat 10,Acme,DDZY-1,display=1.0.0\n", -1);
  g_autofree char *err = NULL, *before = NULL, *out = NULL, *list = NULL, *history = NULL;

  g_free (harness_run_ok (h, "packages", "build", "--vendor", "Acme", "--model", "relay",
                          "--hardware", "DDZY-1", "--version", "1.0.0", "--meter-app", image,
                          "--meter-app-version", "1.0.0", "-o", package, NULL));
  g_free (harness_run_ok (h, "meters", "apps", "add-package", package, "--app-id", "7", NULL));
  before = harness_dump_database (h);
  g_assert_cmpint (harness_run (h, NULL, NULL, &err, "meters", "import", bad, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "Bad rows: 7; nothing was imported"));
  g_assert_nonnull (strstr (err, "line 3: a field holds a control character"));
  g_assert_nonnull (strstr (err, "line 4: the apps must be APP=VERSION"));
  g_assert_nonnull (strstr (err, "line 5: the apps must be APP=VERSION"));
  g_assert_nonnull (strstr (err, "line 6: meter_id, vendor and model must be names"));
  g_assert_nonnull (strstr (err, "line 7: the psk must be empty or"));
  g_assert_nonnull (strstr (err, "line 8: the meter ID appears on an earlier line"));
  g_assert_nonnull (strstr (err, "line 9: the row does not have 6 fields"));
  ASSERT_REFUSED (h, "line 1: the header must be exactly: meter_id,name,vendor,model,apps",
                  "meters", "import", bad_header);
  harness_assert_database_unchanged (h, before);

  out = harness_run_ok (h, "meters", "import", good, NULL);
  g_assert_nonnull (strstr (out, "Imported 2 meters (0 already"));
  list = harness_run_ok (h, "meters", "list", NULL);
  g_assert_cmpstr (list, ==, "M0001\tFlat 1\tAcme\tDDZY-1\tdtls\n"
                             "M0002\tM0002\tAcme\tDDZY-1\tcoap\n");
  history = harness_run_ok (h, "meters", "history", "M0001", NULL);
  g_assert_nonnull (strstr (history, "\trelay\t-\t1.0.0\trunning\tledger"));
  g_clear_pointer (&out, g_free);
  out = harness_run_ok (h, "meters", "import", good, NULL);
  g_assert_nonnull (strstr (out, "Imported 0 meters (2 already"));

  g_clear_pointer (&before, g_free);
  before = harness_dump_database (h);
  ASSERT_REFUSED (h, "meters-changed.csv: line 3: nothing was imported: the meter M0001 is "
                  "already in the ledger with other data", "meters", "import", changed);
  ASSERT_REFUSED (h, "meters-app.csv: line 2: nothing was imported: No package of an app "
                  "display", "meters", "import", no_package);
  harness_assert_database_unchanged (h, before);
}

static char *
task_count_line (Harness *h)
{
  return harness_run_ok (h, "tasks", "list", NULL);
}

static void
test_dispatch_rules (Fixture      *fixture,
                     gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *before = NULL, *after = NULL, *fw3 = NULL, *fw0 = NULL, *created = NULL;
  g_autofree char *pem = NULL, *pem_path = NULL, *json_path = NULL, *json = NULL;
  g_autoptr(FfKey) tablet = ff_key_generate (NULL);
  g_autofree char *tablet_pem = ff_key_get_public_pem (tablet);
  g_autofree char *key_path = harness_write (h, "tab-3.pub.pem", tablet_pem, -1);

  fw3 = harness_write (h, "fw-v3.bin", "version three", -1);
  fw0 = harness_write (h, "fw-v0.bin", "version zero", -1);
  g_free (harness_run_ok (h, "firmware", "add", fw3, "--vendor", "Acme", "--model", "DTU-3000",
                          "--version", "V3.00", "--hardware", "HV2.0", NULL));
  g_free (harness_run_ok (h, "firmware", "add", fw0, "--vendor", "Acme", "--model", "DTU-3000",
                          "--version", "V0.90", "--hardware", "HV1.0", NULL));
  ASSERT_REFUSED (h, "was added before", "firmware", "add", fw3, "--vendor", "Acme", "--model",
                  "DTU-3000", "--version", "V3.00", "--hardware", "HV2.0");
  before = task_count_line (h);

  /* TAB-0001 and TAB-0002 are checked out by the two tasks of the harness. */
  g_free (harness_run_ok (h, "handhelds", "add", "TAB-0003", "--pubkey", key_path, NULL));
  ASSERT_REFUSED (h, "not in stock", "tasks", "create", "--technician", HARNESS_PHONE_A,
                  "--handheld", "TAB-0001", "--terminals", "DTU0001", "--firmware", "V2.01");
  ASSERT_REFUSED (h, "already in open task", "tasks", "create", "--technician", HARNESS_PHONE_A,
                  "--handheld", "TAB-0003", "--terminals", "DTU0001", "--firmware", "V2.01");
  ASSERT_REFUSED (h, "not compatible with hardware HV1.0", "tasks", "create", "--technician",
                  HARNESS_PHONE_A, "--handheld", "TAB-0003", "--running-version", "V1.00",
                  "--firmware", "V3.00");
  ASSERT_REFUSED (h, "needs --rollback", "tasks", "create", "--technician", HARNESS_PHONE_A,
                  "--handheld", "TAB-0003", "--running-version", "V1.00", "--firmware", "V0.90");
  ASSERT_REFUSED (h, "no firmware V9.99", "tasks", "create", "--technician", HARNESS_PHONE_A,
                  "--handheld", "TAB-0003", "--running-version", "V1.00", "--firmware", "V9.99");
  ASSERT_REFUSED (h, "not registered", "tasks", "create", "--technician", "13700000000",
                  "--handheld", "TAB-0003", "--running-version", "V1.00", "--firmware", "V0.90",
                  "--rollback", "test");
  ASSERT_REFUSED (h, "not in the ledger", "tasks", "create", "--technician", HARNESS_PHONE_A,
                  "--handheld", "TAB-0003", "--terminals", "NOPE", "--firmware", "V2.01");
  ASSERT_REFUSED (h, "Terminal FTU0002 is named twice", "tasks", "create", "--technician",
                  HARNESS_PHONE_A, "--handheld", "TAB-0003", "--terminals",
                  "FTU0002,DTU0001,FTU0002", "--firmware", "V2.01");
  /* A tablet named twice was the database's "The record already exists"; an empty item of a
   * list, "Terminal  is not in the ledger". */
  ASSERT_REFUSED (h, "Tablet TAB-0003 is named twice", "tasks", "create", "--technician",
                  HARNESS_PHONE_A, "--handheld", "TAB-0003", "--handheld", "TAB-0003",
                  "--terminals", "FTU0002", "--firmware", "V2.01");
  ASSERT_REFUSED (h, "A tablet's serial number is empty", "tasks", "create", "--technician",
                  HARNESS_PHONE_A, "--handheld", "TAB-0003", "--handheld", "", "--terminals",
                  "FTU0002", "--firmware", "V2.01");
  ASSERT_REFUSED (h, "The list of terminals has an empty device ID", "tasks", "create",
                  "--technician", HARNESS_PHONE_A, "--handheld", "TAB-0003", "--terminals",
                  "FTU0002,", "--firmware", "V2.01");
  /* Spaces around an item are trimmed ("DTU0001, DTU0002" as typed): an item of spaces only is
   * empty. */
  ASSERT_REFUSED (h, "The list of terminals has an empty device ID", "tasks", "create",
                  "--technician", HARNESS_PHONE_A, "--handheld", "TAB-0003", "--terminals",
                  "FTU0002,  ", "--firmware", "V2.01");
  after = task_count_line (h);
  g_assert_cmpstr (before, ==, after);

  /* Blacklist and withdrawal keep a version away. */
  g_free (harness_run_ok (h, "blacklist", "add", "V0.90", "DTU0001", NULL));
  /* An entry names a terminal of the ledger: a mistyped device ID (a letter O for a zero) would
   * protect nothing. */
  ASSERT_REFUSED (h, "Terminal DTUO001 is not in the ledger", "blacklist", "add", "V0.90",
                  "DTUO001", "--vendor", "Acme", "--model", "DTU-3000");
  {
    g_autofree char *list = harness_run_ok (h, "blacklist", "list", NULL);
    g_assert_null (strstr (list, "DTUO001"));
  }
  ASSERT_REFUSED (h, "blacklisted", "tasks", "create", "--technician", HARNESS_PHONE_A,
                  "--handheld", "TAB-0003", "--terminals", "DTU0001", "--firmware", "V0.90",
                  "--rollback", "breaker trips");
  g_free (harness_run_ok (h, "firmware", "withdraw", "V3.00", NULL));
  ASSERT_REFUSED (h, "withdrawn", "tasks", "create", "--technician", HARNESS_PHONE_A,
                  "--handheld", "TAB-0003", "--terminals", "DTU0001", "--firmware", "V3.00");
  g_clear_pointer (&after, g_free);
  after = task_count_line (h);
  g_assert_cmpstr (before, ==, after);

  /* A downgrade with --rollback is allowed and says so in the signed task. Terminals of the
   * harness are in open tasks, so add one. */
  {
    g_autofree char *extra = harness_write (h, "extra.csv",
      "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,"
      "software_checksum,host,port,common_address,profile\n"
      "DTU0009,Extra,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,9,state-grid\n", -1);
    g_free (harness_run_ok (h, "terminals", "import", extra, NULL));
  }
  created = harness_run_ok (h, "tasks", "create", "--technician", HARNESS_PHONE_A, "--handheld",
                            "TAB-0003", "--terminals", " DTU0009 ", "--firmware", "V0.90",
                            "--rollback", "V1.00 trips the breaker", NULL);
  g_assert_nonnull (strstr (created, "rollback"));
  {
    g_autofree char *tasks = harness_run_ok (h, "tasks", "list", "--json", NULL);
    /* Every task records a dispatch message for its technician. */
    g_assert_nonnull (strstr (tasks, "\"dispatch_message\" : \"Task " HARNESS_PHONE_A "-"));
    g_assert_nonnull (strstr (tasks, "terminals to roll back: 1, target version V0.90"));
    g_assert_null (strstr (tasks, "terminals to upgrade: 1, target version V0.90"));
  }
  g_assert_nonnull (strstr (created, HARNESS_PHONE_A "-"));
  json_path = g_strdup_printf ("%s/tasks/%.*s.json", h->data_dir,
                               (int) strcspn (strstr (created, HARNESS_PHONE_A "-"), " "),
                               strstr (created, HARNESS_PHONE_A "-"));
  g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
  g_assert_nonnull (strstr (json, "\"reason\" : \"V1.00 trips the breaker\""));
  /* " DTU0009 " was trimmed, not refused as a terminal not in the ledger. */
  g_assert_nonnull (strstr (json, "\"DTU0009\""));
  /* The second task of technician A today gets the "-2" suffix. */
  g_assert_true (g_str_has_suffix (json_path, "-2.json"));

  /* OpenSSL verifies the signature with the exported key. */
  pem = harness_run_ok (h, "export-key", NULL);
  pem_path = harness_write (h, "platform.pem", pem, -1);
  {
    g_autofree char *sig_path = g_strndup (json_path, strlen (json_path) - 5);
    g_autofree char *sig_file = g_strconcat (sig_path, ".sig", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) openssl =
      g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, "openssl", "pkeyutl",
                        "-verify", "-pubin", "-inkey", pem_path, "-rawin", "-in", json_path,
                        "-sigfile", sig_file, NULL);
    g_assert_no_error (error);
    ff_test_subprocess_wait (openssl, OPENSSL_TOOL_SECONDS, "openssl pkeyutl -verify");
    g_assert_true (g_subprocess_get_successful (openssl));
  }
}

static void
test_bad_arguments (Fixture      *fixture,
                    gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *key = g_build_filename (h->dir, "tab-a.pub.pem", NULL);

  ASSERT_REFUSED (h, "11 digits", "technicians", "add", "--phone", "12345", "--name", "X");
  {
    g_autofree char *err = NULL;
    g_assert_cmpint (harness_run (h, "12\n", NULL, &err, "technicians", "add", "--phone",
                                  "13600000000", "--name", "X", NULL), ==, 1);
    g_assert_nonnull (strstr (err, "4 to 12 digits"));
  }
  ASSERT_REFUSED (h, "path separators", "handhelds", "add", "../TAB", "--pubkey", key);
  ASSERT_REFUSED (h, "already exists", "handhelds", "add", "TAB-0001", "--pubkey", key);
  /* A key identifies one tablet: TAB-0001's is not registered again under another serial. */
  ASSERT_REFUSED (h, "registered already to tablet TAB-0001", "handhelds", "add", "TAB-0007",
                  "--pubkey", key);
  {
    g_autofree char *list = harness_run_ok (h, "handhelds", "list", NULL);
    g_assert_null (strstr (list, "TAB-0007"));
  }
  ASSERT_REFUSED (h, "Plain HTTP is only allowed on a loopback", "serve", "--listen", "0.0.0.0:0",
                  "--insecure-http");
  ASSERT_REFUSED (h, "not in the ledger", "history", "NOPE");
}

/* Withdrawing a withdrawn version says so and changes nothing. */
static void
test_withdraw_twice (Fixture      *fixture,
                     gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *withdrew = harness_run_ok (h, "firmware", "withdraw", "V1.00", NULL);
  g_autofree char *before = harness_run_ok (h, "firmware", "list", "--json", NULL);
  g_autofree char *after = NULL;

  g_assert_nonnull (strstr (withdrew, "Withdrew firmware V1.00"));
  ASSERT_REFUSED (h, "V1.00 for Acme DTU-3000 was withdrawn before", "firmware", "withdraw",
                  "V1.00");
  after = harness_run_ok (h, "firmware", "list", "--json", NULL);
  g_assert_cmpstr (before, ==, after);
}

/* A firmware compatible with no hardware could never be sent anywhere: it is refused. */
static void
test_firmware_needs_hardware (Fixture      *fixture,
                              gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *image = harness_write (h, "fw-v4.bin", "version four", -1);
  g_autofree char *before = harness_run_ok (h, "firmware", "list", NULL);
  g_autofree char *after = NULL, *added = NULL, *shown = NULL;

  ASSERT_REFUSED (h, "at least one compatible hardware version", "firmware", "add", image,
                  "--vendor", "Acme", "--model", "DTU-3000", "--version", "V4.00", "--hardware",
                  "");
  ASSERT_REFUSED (h, "has an empty item", "firmware", "add", image, "--vendor", "Acme", "--model",
                  "DTU-3000", "--version", "V4.00", "--hardware", "HV1.0,");
  /* A --hardware list is read as --terminals is: trimmed, no empty item, no repeat. */
  ASSERT_REFUSED (h, "has an empty item", "firmware", "add", image, "--vendor", "Acme", "--model",
                  "DTU-3000", "--version", "V4.00", "--hardware", "HV1.0, ,HV1.1");
  ASSERT_REFUSED (h, "Hardware version HV1.0 is named twice", "firmware", "add", image,
                  "--vendor", "Acme", "--model", "DTU-3000", "--version", "V4.00", "--hardware",
                  "HV1.0, HV1.0");
  after = harness_run_ok (h, "firmware", "list", NULL);
  g_assert_cmpstr (before, ==, after);
  added = harness_run_ok (h, "firmware", "add", image, "--vendor", "Acme", "--model", "DTU-3000",
                          "--version", "V4.00", "--hardware", "HV1.0, HV1.1", NULL);
  shown = harness_run_ok (h, "firmware", "show", "V4.00", "--json", NULL);
  g_assert_nonnull (strstr (shown, "\"HV1.0,HV1.1\""));
}

/* A second serve on a directory whose serve holds DATA/serve.lock is refused before it opens
 * the database: opening it would have migrated an older schema under the running serve's feet.
 * The database here is of schema 1; the lock is held as a running serve holds it. */
static void
test_serve_lock_first (Fixture      *fixture,
                       gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *db = g_build_filename (h->data_dir, "platform.db", NULL);
  g_autofree char *wal = g_strconcat (db, "-wal", NULL);
  g_autofree char *shm = g_strconcat (db, "-shm", NULL);
  g_autofree char *lock = g_build_filename (h->data_dir, "serve.lock", NULL);
  g_autofree char *schema = g_build_filename (g_getenv ("FIELDFLASH_SOURCEDIR"), "tests", "data",
                                              "platform-schema1.sql", NULL);
  g_autofree char *sql = NULL, *before = NULL, *after = NULL;
  gsize before_length, after_length;
  sqlite3 *raw = NULL;
  int fd;

  g_assert_true (g_file_get_contents (schema, &sql, NULL, NULL));
  g_remove (db);
  g_remove (wal);
  g_remove (shm);
  g_assert_cmpint (sqlite3_open (db, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);
  g_assert_true (g_file_get_contents (db, &before, &before_length, NULL));
  fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX | LOCK_NB), ==, 0);

  ASSERT_REFUSED (h, "Another fieldflash-platform serve runs", "serve", "--listen",
                  "127.0.0.1:0");
  g_assert_true (g_file_get_contents (db, &after, &after_length, NULL));
  g_assert_cmpmem (before, before_length, after, after_length);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  close (fd);
}

/* serve on a directory that is not the platform's is refused with the reason, and leaves no
 * lock file there: the directory is checked before the lock is taken. */
static void
test_serve_not_data_dir (Fixture      *fixture,
                         gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *db = g_build_filename (h->data_dir, "platform.db", NULL);
  g_autofree char *lock = g_build_filename (h->data_dir, "serve.lock", NULL);

  g_assert_cmpint (g_remove (db), ==, 0);
  ASSERT_REFUSED (h, "is not a platform data directory", "serve", "--listen", "127.0.0.1:0");
  g_assert_false (g_file_test (lock, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/platform/cli/init-twice", Fixture, NULL, harness_fixture_set_up, test_init_twice,
              harness_fixture_tear_down);
  g_test_add ("/platform/cli/ledger-bad-rows", Fixture, NULL, harness_fixture_set_up,
              test_ledger_bad_rows, harness_fixture_tear_down);
  g_test_add ("/platform/cli/meters-import", Fixture, NULL, harness_fixture_set_up,
              test_meters_import, harness_fixture_tear_down);
  g_test_add ("/platform/cli/dispatch-rules", Fixture, NULL, harness_fixture_set_up,
              test_dispatch_rules, harness_fixture_tear_down);
  g_test_add ("/platform/cli/bad-arguments", Fixture, NULL, harness_fixture_set_up,
              test_bad_arguments, harness_fixture_tear_down);
  g_test_add ("/platform/cli/withdraw-twice", Fixture, NULL, harness_fixture_set_up,
              test_withdraw_twice, harness_fixture_tear_down);
  g_test_add ("/platform/cli/firmware-needs-hardware", Fixture, NULL, harness_fixture_set_up,
              test_firmware_needs_hardware, harness_fixture_tear_down);
  g_test_add ("/platform/cli/serve-lock-first", Fixture, NULL, harness_fixture_set_up,
              test_serve_lock_first, harness_fixture_tear_down);
  g_test_add ("/platform/cli/serve-not-data-dir", Fixture, NULL, harness_fixture_set_up,
              test_serve_not_data_dir, harness_fixture_tear_down);
  return g_test_run ();
}
