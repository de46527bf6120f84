/* Security: what the operator's side lets in or out: the data directory's permissions, the ledger
 * import's strictness, and version queries that follow version order. Real processes on
 * 127.0.0.1; each refusal leaves the database as it was. */
#include "config.h"

#include "platform-harness.h"

#include "ff-test-fixtures.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <sys/stat.h>

/* One run of the command line, at native speed (ff_test_deadline_s scales it). */
#define CLI_SECONDS 120
#define LEDGER_HEADER "device_id,name,latitude,longitude,vendor,model,hardware_version," \
                      "software_version,software_checksum,host,port,common_address,profile\n"

typedef HarnessFixture Fixture;

/* Asserts that nobody but the owner may read, write or enter anything under @path. */
static void
assert_private_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  GStatBuf info;
  const char *name;

  g_assert_cmpint (g_lstat (path, &info), ==, 0);
  g_test_message ("%04o %s", info.st_mode & 07777, path);
  if ((info.st_mode & 077) != 0)
    g_error ("%s has mode %04o: others may use it", path, info.st_mode & 07777);
  if (!S_ISDIR (info.st_mode))
    return;
  dir = g_dir_open (path, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      assert_private_tree (child);
    }
}

/* "init" on a directory that exists with mode 0755 left it 0755, and platform.db (PIN hashes)
 * 0644. Now the directory becomes 0700 and every file is made for the owner alone, also what
 * serving, importing, adding firmware, dispatching and ingesting write later. */
static void
test_permissions (void)
{
  Harness *h = harness_new ();
  g_autofree char *token = NULL;
  g_autoptr(FfReport) report = NULL;

  g_assert_cmpint (g_mkdir (h->data_dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (h->data_dir, 0755), ==, 0);
  harness_setup_world (h);
  harness_start (h, FALSE);
  token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  report = harness_report (h->task_a, "DTU0001", "TAB-0001", HARNESS_PHONE_A);
  g_assert_cmpuint (harness_upload_report (h, token, report, h->tablet_a, NULL), ==, 201);
  assert_private_tree (h->data_dir);
  harness_stop (h);
  assert_private_tree (h->data_dir);
  harness_free (h);
}

/* A data directory an older init left open (0755, platform.db and the signed tasks 0644) is made
 * private by the next verb that opens it, which says so. */
static void
test_old_permissions (Fixture      *fixture,
                      gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *db = g_build_filename (h->data_dir, "platform.db", NULL);
  g_autofree char *tasks = g_build_filename (h->data_dir, "tasks", NULL);
  g_autofree char *task_name = g_strconcat (h->task_a, ".json", NULL);
  g_autofree char *task = g_build_filename (tasks, task_name, NULL);
  g_autofree char *err = NULL;

  g_assert_cmpint (g_chmod (h->data_dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (db, 0644), ==, 0);
  g_assert_cmpint (g_chmod (tasks, 0755), ==, 0);
  g_assert_cmpint (g_chmod (task, 0644), ==, 0);
  g_assert_cmpint (harness_run (h, NULL, NULL, &err, "terminals", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (err, "(files and directories: 4)"));
  assert_private_tree (h->data_dir);
}

/* Imports a ledger of @rows (after the header) and asserts that it is refused, naming the line
 * and @problem, and that the database did not change. */
static void
expect_import_refused (Harness    *h,
                       const char *rows,
                       const char *problem)
{
  g_autofree char *text = g_strconcat (LEDGER_HEADER, rows, NULL);
  g_autofree char *path = harness_write (h, "bad-ledger.csv", text, -1);
  g_autofree char *before = harness_dump_database (h);
  g_autofree char *err = NULL;

  g_test_message ("import %s", rows);
  g_assert_cmpint (harness_run (h, NULL, NULL, &err, "terminals", "import", path, "--update",
                                NULL), ==, 1);
  g_assert_nonnull (strstr (err, "line 2:"));
  g_assert_nonnull (strstr (err, problem));
  harness_assert_database_unchanged (h, before);
}

/* Control characters reached the ledger (and, listed, the operator's terminal): refused in every
 * field, C0, DEL and C1 alike. */
static void
test_csv_controls (Fixture      *fixture,
                   gconstpointer data)
{
  static const char *const rows[] = {
    "DTU0009,Site \x1b[2J,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,9,state-grid\n",
    "DTU0009,Site 9,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,A1\x07,127.0.0.1,2404,9,state-grid\n",
    "DTU0009,\"Site\n9\",39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,9,state-grid\n",
    "DTU0009,Site \x7f,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,9,state-grid\n",
    "DTU0009,Site \xc2\x9b" "2J,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,9,state-grid\n",
    "DTU0009,Site 9,39.9\t,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,9,state-grid\n",
    "DTU0009,Site 9,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,9\x1b,state-grid\n",
    /* An existing terminal changed only by an escape in its checksum, with --update. */
    "DTU0001,\"Ring main unit 1, north\",39.915,116.404,Acme,DTU-3000,HV1.0,V1.00,A1B2\x1b,"
    "127.0.0.1,2404,1,state-grid\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    expect_import_refused (fixture->h, rows[i], "control character");
}

/* "0x1p4" was read as 16 degrees: coordinates are decimal numbers, nothing else. */
static void
test_csv_numbers (Fixture      *fixture,
                  gconstpointer data)
{
  static const char *const refused[] = {
    "0x1p4", "0x10", "inf", "nan", "1e1", " 39.9", "39.9 ", "39.", ".5", "+-1", "", "١٢",
  };
  g_autofree char *good = NULL;
  g_autofree char *good_path = NULL;
  g_autofree char *list = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *row = g_strdup_printf ("DTU0009,Site 9,%s,116.4,Acme,DTU-3000,HV1.0,V1.00,,"
                                              "127.0.0.1,2404,9,state-grid\n", refused[i]);
      expect_import_refused (fixture->h, row, "latitude");
    }
  good = g_strconcat (LEDGER_HEADER,
                      "DTU0009,Site 9,-39.5,+116.25,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,9,"
                      "state-grid\n"
                      "DTU0010,Site 10,39,116,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,10,"
                      "state-grid\n", NULL);
  good_path = harness_write (fixture->h, "good-ledger.csv", good, -1);
  g_assert_cmpint (harness_run (fixture->h, NULL, NULL, NULL, "terminals", "import", good_path,
                                NULL), ==, 0);
  g_assert_cmpint (harness_run (fixture->h, NULL, &list, NULL, "terminals", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (list, "DTU0009\tSite 9\tAcme DTU-3000 HV1.0\tV1.00\t-39.500000,"
                                  "116.250000"));
}

/* A ledger imported before control characters were refused, or text from a tablet, never reaches
 * the operator's terminal raw: "terminals list" printed an escape sequence as it was. Every
 * control character the CLI prints is written as \xNN (C1 as \u00NN). */
static void
test_list_escapes (Fixture      *fixture,
                   gconstpointer data)
{
  g_autofree char *path = g_build_filename (fixture->h->data_dir, "platform.db", NULL);
  g_autofree char *out = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE terminals SET name = 'Site ' || char (27) || ']0;owned'"
                                     " || char (7) || char (155) || '2J' WHERE device_id = 'DTU0001'",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  g_assert_cmpint (harness_run (fixture->h, NULL, &out, NULL, "terminals", "list", NULL), ==, 0);
  for (const char *p = out; *p != '\0'; p++)
    g_assert_true ((guchar) *p >= 0x20 || *p == '\n' || *p == '\t');
  g_assert_null (strstr (out, "\xc2\x9b"));
  g_assert_nonnull (strstr (out, "DTU0001\tSite \\x1b]0;owned\\x07\\u009b2J\t"));
}

/* The device IDs "terminals list ARGS… --json" prints, in order, comma-separated. */
static char *
listed (Harness    *h,
        const char *first_arg,
        ...)
{
  g_autoptr(GPtrArray) argv = ff_test_command (h->binary, NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autoptr(GString) ids = g_string_new (NULL);
  g_autofree char *before = harness_dump_database (h);
  JsonArray *rows;
  va_list args;

  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, h->data_dir);
  g_ptr_array_add (argv, "terminals");
  g_ptr_array_add (argv, "list");
  g_ptr_array_add (argv, "--json");
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  ff_test_subprocess_communicate (process, NULL, CLI_SECONDS, "fieldflash-platform terminals list",
                                  &out, NULL);
  g_assert_true (g_subprocess_get_successful (process));
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  rows = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (rows); i++)
    g_string_append_printf (ids, "%s%s", i > 0 ? "," : "",
                            json_object_get_string_member (json_array_get_object_element (rows, i),
                                                           "device_id"));
  harness_assert_database_unchanged (h, before);
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* "--version v5.50" found nothing although V5.50 runs there: versions are matched and ranged by
 * version order (ff_version_compare, where "V5.5" is "V5.05", not "V5.50"); what is no version is
 * refused. */
static void
test_version_query (Fixture      *fixture,
                    gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *path = harness_write (h, "versions.csv", LEDGER_HEADER
    "VQ001,Site 1,39.9,116.4,Beta,FTU-1,HV1.0,V5.50,,127.0.0.1,2404,1,state-grid\n"
    "VQ002,Site 2,39.9,116.4,Beta,FTU-1,HV1.0,V5.05,,127.0.0.1,2404,2,state-grid\n"
    "VQ003,Site 3,39.9,116.4,Beta,FTU-1,HV1.0,V10.3,,127.0.0.1,2404,3,state-grid\n"
    "VQ004,Site 4,39.9,116.4,Beta,FTU-1,HV1.0,V1.9,,127.0.0.1,2404,4,state-grid\n"
    "VQ005,Site 5,39.9,116.4,Beta,FTU-1,HV1.0,v2.0,,127.0.0.1,2404,5,state-grid\n", -1);
  struct
  {
    const char *option, *version, *expected;
  } cases[] = {
    { "--version", "V5.50", "VQ001" },
    { "--version", "v5.50", "VQ001" },
    { "--version", "V5.050", "VQ001" },
    { "--version", "V5.5", "VQ002" },
    { "--version", "V2", "" },
    { "--version", "V2.0", "VQ005" },
    { "--below", "V2.0", "VQ004" },
    { "--below", "V10", "VQ001,VQ002,VQ004,VQ005" },
    { "--at-least", "v5.5", "VQ001,VQ002,VQ003" },
    { "--at-least", "V10.3", "VQ003" },
  };

  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "terminals", "import", path, NULL), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *ids = listed (h, "--model", "FTU-1", cases[i].option, cases[i].version,
                                     NULL);

      g_test_message ("%s %s → %s", cases[i].option, cases[i].version, ids);
      g_assert_cmpstr (ids, ==, cases[i].expected);
    }
  {
    g_autofree char *ids = listed (h, "--model", "FTU-1", "--at-least", "V2", "--below", "v5.50",
                                   NULL);
    g_assert_cmpstr (ids, ==, "VQ002,VQ005");
  }
  {
    g_autofree char *ids = listed (h, "--version", "v1.0", NULL);
    g_assert_cmpstr (ids, ==, "DTU0001,DTU0003,FTU0002");
  }
  /* Not a version: refused (terminals list checked an array made before the options were
   * parsed, so "--below x" listed every terminal as below x). */
  for (gsize i = 0; i < 3; i++)
    {
      static const char *const options[] = { "--version", "--below", "--at-least" };
      static const char *const bad[] = { "x", "V1.00;", "" };
      g_autofree char *err = NULL;

      g_test_message ("%s '%s' refused", options[i], bad[i]);
      g_assert_cmpint (harness_run (h, NULL, NULL, &err, "terminals", "list", options[i], bad[i],
                                    NULL), ==, 1);
      g_assert_nonnull (strstr (err, "The version must look like V2.01"));
    }
}

/* A meter named "*" had its install offered to every meter (the CoAP endpoint's name for all of
 * them), and a meter ID with '&' or '=' cannot travel as meter=ID in a CoAP query: refused by
 * meters add and meters import, with nothing stored. */
static void
test_meter_ids (Fixture      *fixture,
                gconstpointer data)
{
  Harness *h = fixture->h;
  static const char *const ids[] = { "*", "M&app=2", "M=1", "M%41", "M#1", "M?1" };

  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *text = g_strdup_printf ("meter_id,name,vendor,model,apps\n%s,,Acme,EM1,\n",
                                               ids[i]);
      g_autofree char *path = harness_write (h, "meters.csv", text, -1);
      g_autofree char *before = harness_dump_database (h);
      g_autofree char *err = NULL;

      g_test_message ("meter %s", ids[i]);
      g_assert_cmpint (harness_run (h, NULL, NULL, &err, "meters", "import", path, NULL), ==, 1);
      g_assert_nonnull (strstr (err, "line 2:"));
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (harness_run (h, NULL, NULL, &err, "meters", "add", ids[i], "--vendor",
                                    "Acme", "--model", "EM1", NULL), !=, 0);
      g_assert_nonnull (strstr (err, "meter ID"));
      harness_assert_database_unchanged (h, before);
    }
}

/* A name people read with a line break, a tab or an escape sequence forged lines in supervisors
 * list, meters list and campaigns list (and went into every new task, for a supervisor): refused
 * like a technician's or an operator's name, with nothing stored. */
static void
test_name_controls (Fixture      *fixture,
                    gconstpointer data)
{
  Harness *h = fixture->h;
  static const char *const names[] = { "Li\nNa 2026-12-01 enabled", "Li\tNa", "Li \x1b[2J",
                                       "Li \xc2\x9b" "2J" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *before = harness_dump_database (h);
      const char *const commands[][12] = {
        { "supervisors", "add", "--name", names[i] },
        { "meters", "add", "M-1", "--vendor", "Acme", "--model", "EM1", "--name", names[i] },
        { "meters", "add", "M-1", "--vendor", names[i], "--model", "EM1" },
        { "campaigns", "create", "--firmware", "V2.01", "--terminals", "DTU0001", "--waves",
          "100%", "--max-failures", "1", "--name", names[i] },
      };

      for (gsize c = 0; c < G_N_ELEMENTS (commands); c++)
        {
          const char *const *a = commands[c];
          g_autofree char *err = NULL;

          g_test_message ("%s %s with %s", a[0], a[1], names[i]);
          /* No PIN on standard input: a refused name exits before it is read, and writing it
           * could meet a closed pipe. */
          g_assert_cmpint (harness_run (h, NULL, NULL, &err, a[0], a[1], a[2], a[3], a[4], a[5],
                                        a[6], a[7], a[8], a[9], a[10], a[11], NULL), ==, 1);
          g_assert_nonnull (strstr (err, "without control characters"));
        }
      harness_assert_database_unchanged (h, before);
    }
}

/* mqtt config signed a platform URL with a line break or a space into every command's package
 * URL, and wrote an output directory's line break into mosquitto.conf, where the rest of the path
 * became a setting of its own ("allow_anonymous true"): both refused, nothing written. */
static void
test_mqtt_config_arguments (Fixture      *fixture,
                            gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *marker = harness_write (h, "marker", "", 0);
  g_autofree char *dir = g_path_get_dirname (marker);
  g_autofree char *out = g_build_filename (dir, "mqtt", NULL);
  g_autofree char *injected = g_build_filename (dir, "mqtt\nallow_anonymous true\n#", NULL);
  static const char *const urls[] = { "https://x\nlistener 1884", "https://a b:8443", "https://",
                                      "https://h:8443?x=1", "https://user@h:8443",
                                      "https://h:8443/", "https://h:99999", "http://h:8443" };
  g_autofree char *before = harness_dump_database (h);
  g_autofree char *err = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_test_message ("--platform-url %s", urls[i]);
      g_assert_cmpint (harness_run (h, NULL, NULL, &err, "mqtt", "config", "-o", out,
                                    "--platform-url", urls[i], NULL), ==, 1);
      g_assert_nonnull (strstr (err, "platform URL must look like https://HOST[:PORT]"));
      g_clear_pointer (&err, g_free);
    }
  g_assert_cmpint (harness_run (h, NULL, NULL, &err, "mqtt", "config", "-o", injected, NULL),
                   ==, 1);
  g_assert_nonnull (strstr (err, "line break"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (injected, G_FILE_TEST_EXISTS));
  harness_assert_database_unchanged (h, before);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (harness_run (h, NULL, NULL, &err, "mqtt", "config", "-o", out,
                                "--platform-url", "https://platform.example:8443/fieldflash",
                                NULL), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/security/operator/permissions", test_permissions);
  g_test_add ("/security/operator/old-permissions", Fixture, NULL, harness_fixture_set_up,
              test_old_permissions, harness_fixture_tear_down);
  g_test_add ("/security/operator/csv-controls", Fixture, NULL, harness_fixture_set_up,
              test_csv_controls, harness_fixture_tear_down);
  g_test_add ("/security/operator/csv-numbers", Fixture, NULL, harness_fixture_set_up,
              test_csv_numbers, harness_fixture_tear_down);
  g_test_add ("/security/operator/version-query", Fixture, NULL, harness_fixture_set_up,
              test_version_query, harness_fixture_tear_down);
  g_test_add ("/security/operator/list-escapes", Fixture, NULL, harness_fixture_set_up,
              test_list_escapes, harness_fixture_tear_down);
  g_test_add ("/security/operator/meter-ids", Fixture, NULL, harness_fixture_set_up,
              test_meter_ids, harness_fixture_tear_down);
  g_test_add ("/security/operator/name-controls", Fixture, NULL, harness_fixture_set_up,
              test_name_controls, harness_fixture_tear_down);
  g_test_add ("/security/operator/mqtt-config-arguments", Fixture, NULL, harness_fixture_set_up,
              test_mqtt_config_arguments, harness_fixture_tear_down);
  return g_test_run ();
}
