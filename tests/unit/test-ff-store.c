/* Tests of ff-store: settings, tasks, content-addressed firmware, workflow state, reports with
 * their upload queue, reopening, and a full disk (a file size limit) losing nothing. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/resource.h>

#include "ff-crypto.h"
#include "ff-store.h"
#include "ff-test-fixtures.h"

typedef struct
{
  char    *dir;
  FfStore *store;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("ff-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = ff_store_open (f->dir, &error);
  g_assert_no_error (error);
}


static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  ff_test_remove_tree (f->dir);
  g_free (f->dir);
}

static void
reopen (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&f->store);
  f->store = ff_store_open (f->dir, &error);
  g_assert_no_error (error);
}

static GBytes *
text_bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

static void
test_settings_and_tasks (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) document = text_bytes ("{\"task\" : 1}\n");
  g_autoptr(GBytes) signature = g_bytes_new_static ("\0\1\2\3", 4);
  g_autoptr(GBytes) loaded_document = NULL;
  g_autoptr(GBytes) loaded_signature = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *serial = NULL;

  g_assert_null (ff_store_get_setting (f->store, "serial"));
  g_assert_true (ff_store_set_setting (f->store, "serial", "TAB-0001", &error));
  g_assert_true (ff_store_save_task (f->store, "13800138000-20261121", document, signature,
                                     &error));
  g_assert_no_error (error);

  reopen (f);
  serial = ff_store_get_setting (f->store, "serial");
  g_assert_cmpstr (serial, ==, "TAB-0001");
  g_assert_true (ff_store_load_task (f->store, "13800138000-20261121", &loaded_document,
                                     &loaded_signature, &error));
  g_assert_true (g_bytes_equal (document, loaded_document));
  g_assert_true (g_bytes_equal (signature, loaded_signature));
  ids = ff_store_list_task_ids (f->store, &error);
  g_assert_cmpstrv (ids, ((const char *[]) { "13800138000-20261121", NULL }));

  g_assert_false (ff_store_load_task (f->store, "13800138000-20261122", &loaded_document,
                                      &loaded_signature, &error));
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_NOT_FOUND);

  g_assert_true (ff_store_set_setting (f->store, "serial", NULL, NULL));
  g_assert_null (ff_store_get_setting (f->store, "serial"));
}

static void
test_firmware (Fixture *f, gconstpointer data)
{
  const char image[] = "firmware image V2.01";
  g_autofree char *sha = ff_sha256_hex (image, sizeof image);
  g_autofree char *partial = ff_store_get_partial_path (f->store, sha);
  g_autofree char *final = ff_store_get_firmware_path (f->store, sha);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) read_back = NULL;

  g_assert_false (ff_store_has_firmware (f->store, sha));
  g_assert_null (ff_store_read_firmware (f->store, sha, &error));
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A download with the wrong content is refused and removed. */
  g_assert_true (g_file_set_contents (partial, "something else", -1, NULL));
  g_assert_false (ff_store_commit_firmware (f->store, sha, &error));
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_CORRUPT);
  g_clear_error (&error);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  g_assert_false (ff_store_has_firmware (f->store, sha));

  g_assert_true (g_file_set_contents (partial, image, sizeof image, NULL));
  g_assert_true (ff_store_commit_firmware (f->store, sha, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  reopen (f);
  g_assert_true (ff_store_has_firmware (f->store, sha));
  read_back = ff_store_read_firmware (f->store, sha, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (read_back, NULL), g_bytes_get_size (read_back), image,
                   sizeof image);

  /* A file damaged on the tablet is never handed out. */
  g_assert_true (g_file_set_contents (final, "bit rot", -1, NULL));
  g_assert_null (ff_store_read_firmware (f->store, sha, &error));
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_CORRUPT);
}

static void
test_workflow_and_reports (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) document = text_bytes ("{\"report\" : 1}\n");
  g_autoptr(GBytes) signature = g_bytes_new_static ("sig", 3);
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autofree char *state = NULL;
  g_autofree char *state_data = NULL;
  char *again_state = NULL, *again_data = NULL;

  g_assert_false (ff_store_load_workflow (f->store, "T", "DTU1", &state, &state_data, &error));
  g_assert_no_error (error);
  g_assert_true (ff_store_save_workflow (f->store, "T", "DTU1", "push", "{'a': <1>}", &error));

  g_assert_true (ff_store_save_report (f->store, "r-1", "T", "DTU1", "upgraded", 100, document,
                                       signature, "done", "{'a': <2>}", &error));
  g_assert_no_error (error);
  g_assert_true (ff_store_load_workflow (f->store, "T", "DTU1", &state, &state_data, &error));
  g_assert_cmpstr (state, ==, "done");
  g_assert_cmpstr (state_data, ==, "{'a': <2>}");

  /* The same report twice is refused whole: the workflow state does not move either. */
  g_assert_false (ff_store_save_report (f->store, "r-1", "T", "DTU1", "upgraded", 100, document,
                                        signature, "again", "{}", &error));
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_true (ff_store_load_workflow (f->store, "T", "DTU1", &again_state, &again_data, NULL));
  g_assert_cmpstr (again_state, ==, "done");
  g_free (again_state);
  g_free (again_data);

  g_assert_true (ff_store_save_report (f->store, "r-2", "T", "DTU2", "failed", 200, document,
                                       signature, "done", "{}", &error));
  g_assert_true (ff_store_mark_upload_failed (f->store, "r-1", "platform went away", &error));
  reopen (f);
  pending = ff_store_list_reports (f->store, TRUE, &error);
  g_assert_cmpuint (pending->len, ==, 2);
  g_assert_cmpstr (((FfStoredReport *) pending->pdata[0])->report_id, ==, "r-1");
  g_assert_cmpuint (((FfStoredReport *) pending->pdata[0])->attempts, ==, 1);
  g_assert_cmpstr (((FfStoredReport *) pending->pdata[0])->last_error, ==, "platform went away");

  g_assert_true (ff_store_mark_uploaded (f->store, "r-1", 300, &error));
  g_clear_pointer (&pending, g_ptr_array_unref);
  pending = ff_store_list_reports (f->store, TRUE, &error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((FfStoredReport *) pending->pdata[0])->report_id, ==, "r-2");
  all = ff_store_list_reports (f->store, FALSE, &error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpint (((FfStoredReport *) all->pdata[0])->uploaded_at, ==, 300);
  g_assert_null (((FfStoredReport *) all->pdata[0])->last_error);
}

static void
store_result (GObject *object, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GPtrArray *
list_reports_async (FfStore *store, gboolean only_pending, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  ff_store_list_reports_async (store, only_pending, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return ff_store_list_reports_finish (store, result, error);
}

/* From the main loop the list is read in a worker and comes back the same as the direct call. */
static void
test_list_reports_async (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) document = text_bytes ("{}\n");
  g_autoptr(GBytes) signature = g_bytes_new_static ("\0\1\2\3", 4);
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;

  none = list_reports_async (f->store, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);

  g_assert_true (ff_store_save_report (f->store, "r-1", "T", "DTU1", "upgraded", 100, document,
                                       signature, "done", "{}", &error));
  g_assert_true (ff_store_save_report (f->store, "r-2", "T", "DTU2", "failed", 200, document,
                                       signature, "done", "{}", &error));
  g_assert_true (ff_store_mark_uploaded (f->store, "r-1", 300, &error));
  all = list_reports_async (f->store, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpstr (((FfStoredReport *) all->pdata[0])->report_id, ==, "r-1");
  g_assert_cmpint (((FfStoredReport *) all->pdata[0])->uploaded_at, ==, 300);
  g_assert_cmpstr (((FfStoredReport *) all->pdata[1])->outcome, ==, "failed");
  pending = list_reports_async (f->store, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((FfStoredReport *) pending->pdata[0])->report_id, ==, "r-2");
}

static goffset
file_size (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? st.st_size : 0;
}

/* The child runs with a file size limit just above what the store already uses, so the next big
 * write fails the way a full disk does (EFBIG instead of ENOSPC). */
static void
disk_full_child (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfStore) store = ff_store_open (dir, &error);
  gsize big_size = 4 * 1024 * 1024;
  g_autoptr(GBytes) big = g_bytes_new_take (g_malloc0 (big_size), big_size);
  g_autoptr(GBytes) signature = g_bytes_new_static ("sig", 3);
  struct rlimit limit;

  g_assert_no_error (error);
  limit.rlim_cur = limit.rlim_max = MAX (file_size (dir, "tablet.db"),
                                         file_size (dir, "tablet.db-wal")) + 64 * 1024;
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  g_assert_false (ff_store_save_report (store, "r-big", "T", "DTU1", "upgraded", 1, big, signature,
                                        "done", "{}", &error));
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_FULL);
  g_print ("%s\n", error->message);
}

static void
test_disk_full (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) reports = NULL;
  g_autoptr(GBytes) document = text_bytes ("{}\n");
  g_autoptr(GBytes) signature = g_bytes_new_static ("sig", 3);
  g_autofree char *state = NULL;
  g_autofree char *state_data = NULL;
  g_autofree char *out = NULL;

  if (g_test_subprocess ())
    {
      disk_full_child (g_getenv ("FF_TEST_STORE_DIR"));
      return;
    }
  g_assert_true (ff_store_save_workflow (f->store, "T", "DTU1", "snapshot-after", "{}", &error));
  g_setenv ("FF_TEST_STORE_DIR", f->dir, TRUE);
  out = ff_test_run_subprocess ();
  g_assert_true (g_pattern_match_simple ("*storage is full*", out));

  /* Nothing of the failed save is there, the state before it is intact, and with space back the
   * same save succeeds. */
  reopen (f);
  reports = ff_store_list_reports (f->store, FALSE, &error);
  g_assert_cmpuint (reports->len, ==, 0);
  g_assert_true (ff_store_load_workflow (f->store, "T", "DTU1", &state, &state_data, &error));
  g_assert_cmpstr (state, ==, "snapshot-after");
  g_assert_true (ff_store_save_report (f->store, "r-big", "T", "DTU1", "upgraded", 1, document,
                                       signature, "done", "{}", &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/store/settings-and-tasks", Fixture, NULL, fixture_set_up, test_settings_and_tasks,
              fixture_tear_down);
  g_test_add ("/store/firmware", Fixture, NULL, fixture_set_up, test_firmware, fixture_tear_down);
  g_test_add ("/store/workflow-and-reports", Fixture, NULL, fixture_set_up,
              test_workflow_and_reports, fixture_tear_down);
  g_test_add ("/store/disk-full", Fixture, NULL, fixture_set_up, test_disk_full, fixture_tear_down);
  g_test_add ("/store/list-reports-async", Fixture, NULL, fixture_set_up, test_list_reports_async,
              fixture_tear_down);
  return g_test_run ();
}
