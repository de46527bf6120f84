/* Tests of ff-tablet: the key pair and serial made at first use and kept, enrolment that refuses
 * bad platform settings without changing anything, and the visits a crash leaves in progress. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ff-files.h"
#include "ff-tablet.h"
#include "ff-test-fixtures.h"

#define ISSUED 1795000000
/* A killed process's end, at native speed (ff_test_deadline_s scales it). */
#define HOLDER_END_SECONDS 30

typedef struct
{
  char *dir;
  char *platform_dir;
  char *key_pem;
  char *cert_pem;
} Fixture;

static char *
read_text (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, NULL);
  return contents;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfKey) platform_key = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *tls_key_path = NULL;

  f->dir = g_dir_make_tmp ("ff-tablet-XXXXXX", &error);
  g_assert_no_error (error);
  f->platform_dir = g_dir_make_tmp ("ff-tablet-platform-XXXXXX", &error);
  g_assert_no_error (error);
  platform_key = ff_key_generate (&error);
  g_assert_no_error (error);
  f->key_pem = ff_key_get_public_pem (platform_key);
  cert_path = g_build_filename (f->platform_dir, "tls.crt", NULL);
  tls_key_path = g_build_filename (f->platform_dir, "tls.key", NULL);
  g_assert_true (ff_tls_certificate_generate (cert_path, tls_key_path, "localhost", 2, &error));
  g_assert_no_error (error);
  f->cert_pem = read_text (f->platform_dir, "tls.crt");
  g_assert_nonnull (f->cert_pem);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  ff_remove_tree (f->dir);
  ff_remove_tree (f->platform_dir);
  g_free (f->dir);
  g_free (f->platform_dir);
  g_free (f->key_pem);
  g_free (f->cert_pem);
}

/* Opened as existing, a directory without a tablet (missing, or empty) is refused by name and
 * left as it was; once set up, it opens. */
static void
test_existing_only (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "typo", NULL);
  g_autoptr(GDir) listing = NULL;
  g_autoptr(FfTablet) tablet = ff_tablet_open (missing, NULL, FF_TABLET_OPEN_EXISTING, &error);

  g_assert_null (tablet);
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_NOT_SET_UP);
  g_assert_nonnull (strstr (error->message, missing));
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  tablet = ff_tablet_open (f->dir, NULL, FF_TABLET_OPEN_EXISTING, &error);
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_NOT_SET_UP);
  g_clear_error (&error);
  listing = g_dir_open (f->dir, 0, &error);
  g_assert_no_error (error);
  g_assert_null (g_dir_read_name (listing));
  tablet = ff_tablet_open (f->dir, "TAB-0001", FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_no_error (error);
  g_clear_object (&tablet);
  tablet = ff_tablet_open (f->dir, NULL, FF_TABLET_OPEN_EXISTING, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ff_tablet_get_serial (tablet), ==, "TAB-0001");
}

static void
test_first_use_and_reopen (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTablet) tablet = ff_tablet_open (f->dir, "TAB-0001", FF_TABLET_OPEN_OR_SET_UP,
                                                &error);
  g_autoptr(FfTablet) again = NULL;
  g_autofree char *key_path = g_build_filename (f->dir, "tablet.key", NULL);
  g_autofree char *first_pem = NULL;
  g_autofree char *again_pem = NULL;
  g_autofree char *serial = NULL;
  GStatBuf status;

  g_assert_no_error (error);
  g_assert_cmpstr (ff_tablet_get_serial (tablet), ==, "TAB-0001");
  g_assert_cmpstr (ff_tablet_get_data_dir (tablet), ==, f->dir);
  g_assert_true (ff_key_has_private (ff_tablet_get_key (tablet)));
  g_assert_cmpint (g_stat (key_path, &status), ==, 0);
  g_assert_cmpint (status.st_mode & 0777, ==, 0600);
  serial = read_text (f->dir, "serial");
  g_assert_cmpstr (serial, ==, "TAB-0001\n");
  first_pem = ff_key_get_public_pem (ff_tablet_get_key (tablet));
  g_clear_object (&tablet);

  /* Reopened without a serial: the same key and serial. */
  again = ff_tablet_open (f->dir, NULL, FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ff_tablet_get_serial (again), ==, "TAB-0001");
  again_pem = ff_key_get_public_pem (ff_tablet_get_key (again));
  g_assert_cmpstr (again_pem, ==, first_pem);
  g_assert_null (ff_tablet_get_session_phone (again));
}

static void
test_serial_is_kept (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTablet) unnamed = ff_tablet_open (f->dir, NULL, FF_TABLET_OPEN_OR_SET_UP, &error);
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(FfTablet) other = NULL;
  g_autoptr(FfTablet) unsafe = NULL;
  g_autoptr(FfSync) sync = NULL;

  g_assert_no_error (error);
  g_assert_null (ff_tablet_get_serial (unnamed));
  sync = ff_tablet_create_sync (unnamed, &error);
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_SERIAL);
  g_assert_null (sync);
  g_clear_error (&error);

  unsafe = ff_tablet_open (f->dir, "../TAB", FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_SERIAL);
  g_assert_null (unsafe);
  g_clear_error (&error);

  tablet = ff_tablet_open (f->dir, "TAB-0001", FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_no_error (error);
  other = ff_tablet_open (f->dir, "TAB-0002", FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_SERIAL);
  g_assert_null (other);
}

static void
assert_platform (FfTablet *tablet, const char *url, const char *key_pem, const char *cert_pem)
{
  g_autofree char *stored_url = ff_tablet_get_platform_url (tablet);
  g_autofree char *stored_key = ff_tablet_get_platform_key_pem (tablet);
  g_autofree char *stored_cert = ff_tablet_get_platform_cert_pem (tablet);

  g_assert_cmpstr (stored_url, ==, url);
  g_assert_cmpstr (stored_key, ==, key_pem);
  g_assert_cmpstr (stored_cert, ==, cert_pem);
}

static void
test_platform_settings (Fixture *f, gconstpointer data)
{
  const char *url = "https://127.0.0.1:8443";
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTablet) tablet = ff_tablet_open (f->dir, "TAB-0001", FF_TABLET_OPEN_OR_SET_UP,
                                                &error);
  g_autoptr(FfTablet) reopened = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_autofree char *truncated = NULL;

  g_assert_no_error (error);
  sync = ff_tablet_create_sync (tablet, &error);
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_NOT_ENROLLED);
  g_clear_error (&error);

  /* Each bad value is refused and nothing of the call is stored, not even its good values. */
  g_assert_false (ff_tablet_set_platform (tablet, "http://platform.example", f->key_pem,
                                          f->cert_pem, &error));
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_BAD_PLATFORM);
  g_clear_error (&error);
  g_assert_false (ff_tablet_set_platform (tablet, "https://", NULL, NULL, &error));
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_BAD_PLATFORM);
  g_clear_error (&error);
  g_assert_false (ff_tablet_set_platform (tablet, url, "not a key", f->cert_pem, &error));
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_BAD_PLATFORM);
  g_clear_error (&error);
  truncated = g_strndup (f->cert_pem, strlen (f->cert_pem) / 2);
  g_assert_false (ff_tablet_set_platform (tablet, url, f->key_pem, truncated, &error));
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_BAD_PLATFORM);
  g_clear_error (&error);
  /* A certificate where the key belongs is not a key. */
  g_assert_false (ff_tablet_set_platform (tablet, url, f->cert_pem, NULL, &error));
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_BAD_PLATFORM);
  g_clear_error (&error);
  assert_platform (tablet, NULL, NULL, NULL);

  g_assert_true (ff_tablet_set_platform (tablet, url, f->key_pem, f->cert_pem, &error));
  g_assert_no_error (error);
  assert_platform (tablet, url, f->key_pem, f->cert_pem);
  sync = ff_tablet_create_sync (tablet, &error);
  g_assert_no_error (error);
  g_assert_true (FF_IS_SYNC (sync));

  /* A later bad value leaves the enrolment as it was; NULL keeps a value. */
  g_assert_false (ff_tablet_set_platform (tablet, "ftp://127.0.0.1", NULL, NULL, &error));
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_BAD_PLATFORM);
  g_clear_error (&error);
  g_assert_true (ff_tablet_set_platform (tablet, "https://platform.example:9443", NULL, NULL,
                                         &error));
  g_assert_no_error (error);
  g_clear_object (&tablet);
  reopened = ff_tablet_open (f->dir, NULL, FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_no_error (error);
  assert_platform (reopened, "https://platform.example:9443", f->key_pem, f->cert_pem);
}

static void
assert_private (Fixture *f, const char *name)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  GStatBuf status;

  g_assert_cmpint (g_stat (path, &status), ==, 0);
  g_assert_cmpint (status.st_mode & 0777, ==, 0600);
}

/* tablet.db holds the platform session token: 0600 like the key, under the usual umask 022 too,
 * with its WAL files; one an older version left 0644 is tightened at the next open. */
static void
test_database_is_private (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTablet) tablet = NULL;
  g_autofree char *db_path = g_build_filename (f->dir, "tablet.db", NULL);
  mode_t saved_umask = umask (022);

  tablet = ff_tablet_open (f->dir, "TAB-0001", FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_no_error (error);
  g_assert_true (ff_tablet_set_platform (tablet, "https://127.0.0.1:8443", f->key_pem,
                                         f->cert_pem, &error));
  g_assert_no_error (error);
  assert_private (f, "tablet.db");
  assert_private (f, "tablet.db-wal");
  assert_private (f, "tablet.db-shm");
  g_clear_object (&tablet);

  g_assert_cmpint (g_chmod (db_path, 0644), ==, 0);
  tablet = ff_tablet_open (f->dir, NULL, FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_no_error (error);
  assert_private (f, "tablet.db");
  umask (saved_umask);
}

/* Truncates the file @name of the tablet to half its size (@half) or to nothing. */
static void
damage (Fixture *f, const char *name, gboolean half)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  GStatBuf status;

  g_assert_cmpint (g_stat (path, &status), ==, 0);
  g_assert_cmpint (truncate (path, half ? status.st_size / 2 : 0), ==, 0);
}

/* A file of the tablet damaged outside the programs (a disk fault after a power cut): the open
 * or the platform client is refused with a message that names the file, never a blank serial or
 * a bare decoder error. */
static void
test_damaged_files (Fixture *f, gconstpointer data)
{
  const char *pinned[] = { "platform.pem", "platform.crt" };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTablet) tablet = ff_tablet_open (f->dir, "TAB-0001", FF_TABLET_OPEN_OR_SET_UP,
                                                &error);
  g_autofree char *serial_path = g_build_filename (f->dir, "serial", NULL);
  g_autofree char *serial = NULL;

  g_assert_no_error (error);
  g_assert_true (ff_tablet_set_platform (tablet, "https://127.0.0.1:8443", f->key_pem,
                                         f->cert_pem, &error));
  g_clear_object (&tablet);
  for (guint i = 0; i < G_N_ELEMENTS (pinned); i++)
    for (guint half = 0; half < 2; half++)
      {
        g_autofree char *saved = read_text (f->dir, pinned[i]);
        g_autofree char *path = g_build_filename (f->dir, pinned[i], NULL);
        g_autoptr(FfTablet) opened = NULL;
        g_autoptr(FfSync) sync = NULL;

        damage (f, pinned[i], half);
        opened = ff_tablet_open (f->dir, NULL, FF_TABLET_OPEN_OR_SET_UP, &error);
        g_assert_no_error (error);
        sync = ff_tablet_create_sync (opened, &error);
        g_assert_null (sync);
        g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_BAD_PLATFORM);
        g_assert_nonnull (strstr (error->message, path));
        g_clear_error (&error);
        g_assert_true (g_file_set_contents (path, saved, -1, NULL));
      }

  damage (f, "serial", FALSE);
  tablet = ff_tablet_open (f->dir, NULL, FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_null (tablet);
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_SERIAL);
  g_assert_nonnull (strstr (error->message, serial_path));
  g_clear_error (&error);
  /* A serial given now does not replace the damaged one by itself. */
  tablet = ff_tablet_open (f->dir, "TAB-0002", FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_null (tablet);
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_SERIAL);
  g_clear_error (&error);
  serial = read_text (f->dir, "serial");
  g_assert_cmpstr (serial, ==, "");
}

/* A tablet with a serial whose key file is gone does not make itself a new key in silence: the
 * platform knows the old one and would refuse every report the new one signs. */
static void
test_lost_key (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTablet) tablet = ff_tablet_open (f->dir, "TAB-0001", FF_TABLET_OPEN_OR_SET_UP,
                                                &error);
  g_autofree char *key_path = g_build_filename (f->dir, "tablet.key", NULL);

  g_assert_no_error (error);
  g_clear_object (&tablet);
  g_assert_cmpint (g_unlink (key_path), ==, 0);
  tablet = ff_tablet_open (f->dir, NULL, FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_null (tablet);
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_KEY_LOST);
  g_assert_nonnull (strstr (error->message, key_path));
  g_assert_false (g_file_test (key_path, G_FILE_TEST_EXISTS));
}

static GBytes *
sample_task_document (void)
{
  g_autoptr(FfTask) task = ff_task_new ();

  task->task_id = ff_task_make_id ("13800138000", ISSUED, 1);
  task->issued_at = ISSUED;
  task->expires_at = ISSUED + 7 * 24 * 3600;
  task->technician_phone = g_strdup ("13800138000");
  task->technician_name = g_strdup ("张伟");
  g_ptr_array_add (task->tablets, g_strdup ("TAB-0001"));
  for (guint i = 1; i <= 2; i++)
    {
      FfTaskItem *item = ff_task_item_new ();

      item->device_id = g_strdup_printf ("DTU000%u", i);
      item->name = g_strdup_printf ("Ring main unit %u", i);
      item->latitude = 39.915;
      item->longitude = 116.404 + i / 1000.0;
      item->host = g_strdup ("127.0.0.1");
      item->port = 2404;
      item->common_address = 1;
      item->profile = g_strdup ("state-grid");
      item->vendor = g_strdup ("Acme");
      item->model = g_strdup ("DTU-3000");
      item->hardware_version = g_strdup ("HV1.0");
      item->expected_version = g_strdup ("V1.00");
      item->target.version = g_strdup ("V2.01");
      item->target.sha256 =
        g_strdup ("2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");
      item->target.size = 65536;
      item->target.file_name = g_strdup ("UpdateProgram.bin");
      item->target.hardware_versions = g_strsplit ("HV1.0", ",", -1);
      g_ptr_array_add (task->items, item);
    }
  return ff_task_serialize (task);
}

static void
test_visits (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTablet) tablet = ff_tablet_open (f->dir, "TAB-0001", FF_TABLET_OPEN_OR_SET_UP,
                                                &error);
  g_autoptr(GBytes) document = sample_task_document ();
  g_autoptr(GBytes) signature = g_bytes_new_static ("sig", 3);
  g_autofree char *task_id = ff_task_make_id ("13800138000", ISSUED, 1);
  g_autofree char *current = NULL;
  g_autofree char *for_device = NULL;
  g_autofree char *found_task = NULL;
  g_autofree char *found_device = NULL;
  g_autoptr(FfTask) task = NULL;
  g_autoptr(GPtrArray) open_items = NULL;
  g_autofree char *state = NULL;
  FfStore *store;

  g_assert_no_error (error);
  store = ff_tablet_get_store (tablet);
  g_assert_null (ff_tablet_find_current_task (tablet, &error));
  g_assert_no_error (error);
  g_assert_false (ff_tablet_find_visit_in_progress (tablet, &found_task, &found_device, &error));
  g_assert_no_error (error);

  g_assert_true (ff_store_save_task (store, task_id, document, signature, &error));
  g_assert_no_error (error);
  current = ff_tablet_find_current_task (tablet, &error);
  g_assert_cmpstr (current, ==, task_id);
  for_device = ff_tablet_find_task_for (tablet, "DTU0002", &error);
  g_assert_cmpstr (for_device, ==, task_id);
  g_assert_null (ff_tablet_find_task_for (tablet, "FTU9999", &error));
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* DTU0001 done, DTU0002 stopped at the push (a crash): the second one is in progress. */
  g_assert_true (ff_store_save_workflow (store, task_id, "DTU0001", "done", "{}", &error));
  g_assert_true (ff_store_save_workflow (store, task_id, "DTU0002", "push", "{}", &error));
  g_assert_no_error (error);
  state = ff_tablet_get_visit_state (tablet, task_id, "DTU0002");
  g_assert_cmpstr (state, ==, "push");
  task = ff_tablet_load_task (tablet, task_id, NULL, &error);
  g_assert_no_error (error);
  open_items = ff_tablet_list_open_items (tablet, task);
  g_assert_cmpuint (open_items->len, ==, 1);
  g_assert_cmpstr (((FfTaskItem *) open_items->pdata[0])->device_id, ==, "DTU0002");
  g_assert_true (ff_tablet_find_visit_in_progress (tablet, &found_task, &found_device, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (found_task, ==, task_id);
  g_assert_cmpstr (found_device, ==, "DTU0002");
}

/* One program at a time: while another process has the tablet open, opening it is refused with
 * a message naming that process and writes nothing; once it is gone the tablet opens, and the
 * holder record names this process, however the last holder ended. In one process the tablet may
 * be open several times (the app's pages and its context). */
static void
test_one_process_at_a_time (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) holder = ff_test_hold_tablet (f->dir);
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(FfTablet) again = NULL;
  g_autofree char *serial_path = g_build_filename (f->dir, "serial", NULL);
  g_autofree char *holder_text = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *record = NULL;
  g_autofree char *own_record = NULL;

  tablet = ff_tablet_open (f->dir, "TAB-0001", FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_null (tablet);
  g_assert_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_IN_USE);
  expected = g_strdup_printf ("in use by ff-test-holder (process %s)",
                              g_subprocess_get_identifier (holder));
  g_assert_nonnull (strstr (error->message, expected));
  g_assert_false (g_file_test (serial_path, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* It dies without a word: its lock goes with it, its record stays behind, naming it. */
  record = read_text (f->dir, "tablet.lock-holder");
  g_subprocess_force_exit (holder);
  ff_test_subprocess_wait (holder, HOLDER_END_SECONDS, "the killed holder");
  holder_text = read_text (f->dir, "tablet.lock-holder");
  g_assert_cmpstr (holder_text, ==, record);

  tablet = ff_tablet_open (f->dir, "TAB-0001", FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_no_error (error);
  own_record = g_strdup_printf ("%d\n%s\n", (int) getpid (), g_get_prgname ());
  g_clear_pointer (&holder_text, g_free);
  holder_text = read_text (f->dir, "tablet.lock-holder");
  g_assert_cmpstr (holder_text, ==, own_record);
  again = ff_tablet_open (f->dir, NULL, FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ff_tablet_get_serial (again), ==, "TAB-0001");
}

int
main (int argc, char **argv)
{
  ff_test_hold_tablet_main (argc, argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/tablet/existing-only", Fixture, NULL, fixture_set_up, test_existing_only,
              fixture_tear_down);
  g_test_add ("/tablet/first-use-and-reopen", Fixture, NULL, fixture_set_up,
              test_first_use_and_reopen, fixture_tear_down);
  g_test_add ("/tablet/serial-is-kept", Fixture, NULL, fixture_set_up, test_serial_is_kept,
              fixture_tear_down);
  g_test_add ("/tablet/platform-settings", Fixture, NULL, fixture_set_up, test_platform_settings,
              fixture_tear_down);
  g_test_add ("/tablet/database-is-private", Fixture, NULL, fixture_set_up,
              test_database_is_private, fixture_tear_down);
  g_test_add ("/tablet/damaged-files", Fixture, NULL, fixture_set_up, test_damaged_files,
              fixture_tear_down);
  g_test_add ("/tablet/lost-key", Fixture, NULL, fixture_set_up, test_lost_key, fixture_tear_down);
  g_test_add ("/tablet/visits", Fixture, NULL, fixture_set_up, test_visits, fixture_tear_down);
  g_test_add ("/tablet/one-process-at-a-time", Fixture, NULL, fixture_set_up,
              test_one_process_at_a_time, fixture_tear_down);
  return g_test_run ();
}
