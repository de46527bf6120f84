/* FfSync fetching tasks and firmware from a stand-in platform (ff-test-sync-platform.h): forged
 * or foreign tasks, firmware that is not what the task names, resumed and damaged downloads, delta
 * patches, oversized answers and the pinned certificate. The happy path against the real
 * fieldflash-platform is test-e2e-field.sh. */
#include "config.h"

#include <glib/gstdio.h>

#include "ff-files.h"
#include "ff-gps-simulated.h"
#include "ff-tablet.h"
#include "ff-test-fixtures.h"
#include "ff-upload-queue.h"
#include "ff-workflow.h"
#include "ff-test-sync-platform.h"

static void
test_refusals (SyncFixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) good = sync_image_of (5000, 1);
  g_autoptr(GBytes) other = sync_image_of (5000, 2);
  g_autoptr(GBytes) third = sync_image_of (4000, 3);
  g_autoptr(GBytes) fourth = sync_image_of (4000, 4);
  g_autoptr(FfKey) forger = ff_key_generate (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;
  g_auto(GStrv) in_store = NULL;
  g_autofree char *ok_id = sync_publish_task (f, 1, now, good, good, f->platform_key);
  g_autofree char *forged_id = sync_publish_task (f, 2, now, third, third, forger);
  g_autofree char *expired_id = sync_publish_task (f, 3, now - 3 * 86400, fourth, fourth,
                                              f->platform_key);
  g_autofree char *wrong_fw_id = sync_publish_task (f, 4, now, other, good, f->platform_key);
  g_autofree char *other_sha = sync_sha_of (other);
  g_autofree char *third_sha = sync_sha_of (third);
  g_autofree char *partial = NULL;

  sync = sync_log_in (f, NULL, &error);
  g_assert_no_error (error);
  stored = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { ok_id, NULL }));
  g_assert_cmpuint (refusals->len, ==, 3);
  g_assert_true (sync_any_contains (refusals, forged_id));
  g_assert_true (sync_any_contains (refusals, expired_id));
  g_assert_true (sync_any_contains (refusals, wrong_fw_id));

  /* Refused whole: none of their documents or firmware is on the tablet. */
  in_store = ff_store_list_task_ids (f->store, &error);
  g_assert_cmpstrv (in_store, ((const char *[]) { ok_id, NULL }));
  g_assert_false (ff_store_has_firmware (f->store, other_sha));
  g_assert_false (ff_store_has_firmware (f->store, third_sha));
  partial = ff_store_get_partial_path (f->store, other_sha);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
}

/* A task whose last firmware is not what it names is refused after its first firmware was
 * downloaded and stored: that one goes again; the firmware of an accepted task stays. */
static void
test_refused_task_leaves_nothing (SyncFixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) shared = sync_image_of (3000, 6);
  g_autoptr(GBytes) own = sync_image_of (3000, 7);
  g_autoptr(GBytes) named_bad = sync_image_of (3000, 8);
  g_autoptr(GBytes) served_bad = sync_image_of (3000, 9);
  GBytes *named[] = { shared, own, named_bad };
  GBytes *served[] = { shared, own, served_bad };
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;
  g_autofree char *accepted_id = sync_publish_task (f, 1, now, shared, shared, f->platform_key);
  g_autofree char *refused_id = sync_publish_task_items (f, 2, now, G_N_ELEMENTS (named), named,
                                                         served, f->platform_key);
  g_autofree char *shared_sha = sync_sha_of (shared);
  g_autofree char *own_sha = sync_sha_of (own);
  g_autofree char *own_path = ff_store_get_firmware_path (f->store, own_sha);
  g_autofree char *bad_sha = sync_sha_of (named_bad);

  sync = sync_log_in (f, NULL, &error);
  g_assert_no_error (error);
  stored = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { accepted_id, NULL }));
  g_assert_cmpuint (refusals->len, ==, 1);
  g_assert_true (sync_any_contains (refusals, refused_id));

  g_assert_true (ff_store_has_firmware (f->store, shared_sha));
  g_assert_false (ff_store_has_firmware (f->store, own_sha));
  g_assert_false (g_file_test (own_path, G_FILE_TEST_EXISTS));
  g_assert_false (ff_store_has_firmware (f->store, bad_sha));
}

static void
count_download (FfSync     *sync,
                const char *version,
                const char *sha256,
                gint64      size,
                const char *from_version,
                guint      *count)
{
  g_assert_cmpint (size, ==, 100000);
  g_assert_null (from_version);
  (*count)++;
}

/* The announced downloads as "VERSION" for an image, "FROM→VERSION" for a delta patch. */
static void
note_download (FfSync     *sync,
               const char *version,
               const char *sha256,
               gint64      size,
               const char *from_version,
               GPtrArray  *names)
{
  g_ptr_array_add (names, from_version != NULL ? g_strconcat (from_version, "→", version, NULL)
                                               : g_strdup (version));
}

static void
test_resume (SyncFixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = sync_image_of (100000, 5);
  g_autofree char *sha = ff_sha256_hex (g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  g_autofree char *task_id = sync_publish_task (f, 1, now, image, image, f->platform_key);
  g_autofree char *partial = ff_store_get_partial_path (f->store, sha);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;
  gint64 total = 0;
  guint downloads = 0;

  /* An earlier download broke after 40000 bytes. */
  g_assert_true (g_file_set_contents (partial, g_bytes_get_data (image, NULL), 40000, NULL));
  sync = sync_log_in (f, NULL, &error);
  g_signal_connect (sync, "download-started", G_CALLBACK (count_download), &downloads);
  stored = sync_fetch (sync, refusals, &error);
  /* One file (the task names it twice), announced once as it resumes. */
  g_assert_cmpuint (downloads, ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (refusals->len, ==, 0);
  g_assert_cmpint (f->last_range_start, ==, 40000);
  g_assert_true (ff_store_has_firmware (f->store, sha));
  g_object_get (sync, "total-bytes", &total, NULL);
  g_assert_cmpint (total, ==, 100000);
}

/* A platform that answers a resumed download with a part other than the one asked for — the file
 * from its start, or another file (its total not the task's size) from the offset asked for —
 * does not get those bytes appended: the partial file goes, the file is fetched whole in the same
 * sync, and the image stored is the task's (the store checks its SHA-256), the task not refused. */
static void
test_wrong_part (SyncFixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = sync_log_in (f, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GBytes) image = sync_image_of (100000, 21 + i);
      g_autofree char *sha = ff_sha256_hex (g_bytes_get_data (image, NULL),
                                            g_bytes_get_size (image));
      g_autofree char *task_id = sync_publish_task (f, 1 + i, now, image, image, f->platform_key);
      g_autofree char *partial = ff_store_get_partial_path (f->store, sha);
      g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GBytes) read = NULL;
      g_auto(GStrv) stored = NULL;

      f->range_requests = 0;
      f->wrong_parts = 1;
      if (i == 1)
        f->wrong_part_of = sync_image_of (200000, 99);
      /* An earlier download broke after 40000 bytes. */
      g_assert_true (g_file_set_contents (partial, g_bytes_get_data (image, NULL), 40000, NULL));
      stored = sync_fetch (sync, refusals, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (refusals->len, ==, 0);
      g_assert_true (g_strv_contains ((const char *const *) stored, task_id));
      g_assert_cmpuint (f->range_requests, ==, 1);
      g_assert_cmpint (f->last_range_start, ==, 40000);
      read = ff_store_read_firmware (f->store, sha, &error);
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (read, image));
    }
}

/* A partial download damaged on the tablet — its last blocks zeros after a power cut, or longer
 * than the file — is not the platform's fault: the file is downloaded again from its start in the
 * same sync and the task is stored, not refused. */
static void
test_damaged_partial_downloaded_again (SyncFixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = sync_image_of (100000, 9);
  g_autofree char *sha = ff_sha256_hex (g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  g_autofree char *task_id = sync_publish_task (f, 1, now, image, image, f->platform_key);
  g_autofree char *partial = ff_store_get_partial_path (f->store, sha);
  g_autofree guint8 *damaged = g_malloc0 (120000);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = sync_log_in (f, NULL, &error);

  g_assert_no_error (error);
  memcpy (damaged, g_bytes_get_data (image, NULL), 100000);
  /* 40000 bytes written, the last 10000 of them lost: zeros. Then: the file and more. */
  memset (damaged + 30000, 0, 10000);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GBytes) read = NULL;
      g_auto(GStrv) stored = NULL;

      if (i == 1)
        {
          memcpy (damaged, g_bytes_get_data (image, NULL), 100000);
          g_assert_true (ff_store_discard_firmware (f->store, sha, &error));
        }
      g_assert_true (g_file_set_contents (partial, (char *) damaged, i == 0 ? 40000 : 120000,
                                          NULL));
      stored = sync_fetch (sync, refusals, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (refusals->len, ==, 0);
      g_assert_cmpstr (stored[0], ==, task_id);
      read = ff_store_read_firmware (f->store, sha, &error);
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (read, image));
    }
}

/* A stored image damaged since (cut to half, as by a disk fault) is fetched again by the next
 * sync, not taken by its name: the push refuses it with "sync again", and sync must repair it. */
static void
test_damaged_firmware_fetched_again (SyncFixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = sync_image_of (100000, 7);
  g_autofree char *sha = ff_sha256_hex (g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  g_autofree char *task_id = sync_publish_task (f, 1, now, image, image, f->platform_key);
  g_autofree char *path = ff_store_get_firmware_path (f->store, sha);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_autoptr(GBytes) read = NULL;
  g_auto(GStrv) first = NULL;
  g_auto(GStrv) again = NULL;
  guint downloads = 0;

  sync = sync_log_in (f, NULL, &error);
  g_assert_no_error (error);
  first = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_true (ff_store_has_firmware (f->store, sha));
  g_assert_cmpint (truncate (path, 50000), ==, 0);
  read = ff_store_read_firmware (f->store, sha, &error);
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_CORRUPT);
  g_assert_null (read);
  g_clear_error (&error);

  g_signal_connect (sync, "download-started", G_CALLBACK (count_download), &downloads);
  again = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refusals->len, ==, 0);
  g_assert_cmpuint (downloads, ==, 1);
  read = ff_store_read_firmware (f->store, sha, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (read, image));
}

/* A task item's delta patch is downloaded with the images it joins (the patch alone would not do
 * for a terminal found running another image), resumed like them and kept by its digest. */
static void
test_delta_patch (SyncFixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) old_image = sync_image_of (60000, 21);
  g_autoptr(GBytes) new_image = sync_image_of (65000, 22);
  g_autoptr(GBytes) patch = sync_image_of (5000, 23);
  g_autoptr(FfTask) task = sync_new_task (f, 1, now);
  FfTaskItem *item = sync_new_item (1, 0, new_image);
  g_autofree char *patch_sha = sync_sha_of (patch);
  g_autofree char *old_sha = sync_sha_of (old_image);
  g_autofree char *partial = ff_store_get_partial_path (f->store, patch_sha);
  g_autofree char *task_id = NULL;
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) downloads = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;

  item->previous = ff_firmware_ref_new ();
  item->previous->version = g_strdup ("V1.00");
  item->previous->sha256 = g_strdup (old_sha);
  item->previous->size = g_bytes_get_size (old_image);
  item->delta = ff_delta_ref_new (patch_sha, g_bytes_get_size (patch), old_sha);
  g_ptr_array_add (task->items, item);
  sync_serve_file (f, new_image);
  sync_serve_file (f, old_image);
  sync_serve_file (f, patch);
  task_id = sync_publish (f, task, f->platform_key);

  /* An earlier download of the patch broke after 2000 bytes. */
  g_assert_true (g_file_set_contents (partial, g_bytes_get_data (patch, NULL), 2000, NULL));
  sync = sync_log_in (f, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (sync, "download-started", G_CALLBACK (note_download), downloads);
  stored = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { task_id, NULL }));
  g_assert_cmpuint (refusals->len, ==, 0);
  g_assert_cmpint (f->last_range_start, ==, 2000);
  /* The patch is announced as the patch from the old version, not as the new image. */
  g_ptr_array_add (downloads, NULL);
  g_assert_cmpstrv ((char **) downloads->pdata,
                    ((const char *[]) { "V2.00", "V1.00", "V1.00→V2.00", NULL }));
  g_assert_true (ff_store_has_firmware (f->store, patch_sha));
  g_assert_true (ff_store_has_firmware (f->store, old_sha));
}

/* The platform signs every technician's tasks: one of another technician that lists this tablet
 * is still not this tablet's work. Refused whole; the logged-in technician's own task is kept. */
static void
test_foreign_technician (SyncFixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) own_image = sync_image_of (3000, 11);
  g_autoptr(GBytes) foreign_image = sync_image_of (3000, 12);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;
  g_auto(GStrv) in_store = NULL;
  g_autofree char *own_id = sync_publish_task (f, 1, now, own_image, own_image, f->platform_key);
  g_autofree char *foreign_id = NULL;
  g_autofree char *foreign_sha = sync_sha_of (foreign_image);

  f->technician = "13900139000";
  foreign_id = sync_publish_task (f, 1, now, foreign_image, foreign_image, f->platform_key);
  sync = sync_log_in (f, NULL, &error);
  g_assert_no_error (error);
  stored = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { own_id, NULL }));
  g_assert_cmpuint (refusals->len, ==, 1);
  g_assert_true (sync_any_contains (refusals, foreign_id));
  g_assert_true (sync_any_contains (refusals, "13900139000"));

  in_store = ff_store_list_task_ids (f->store, &error);
  g_assert_cmpstrv (in_store, ((const char *[]) { own_id, NULL }));
  g_assert_false (ff_store_has_firmware (f->store, foreign_sha));
}

/* A task list longer than the bound ends the sync with an error, whether its length is announced
 * (refused before reading) or not (refused once the bound is passed); nothing is stored. */
static void
check_oversized_task_list (SyncFixture *f, gboolean chunked)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = sync_image_of (3000, 13);
  g_autofree char *task_id = sync_publish_task (f, 1, now, image, image, f->platform_key);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) in_store = NULL;
  GStrv stored;

  f->task_list_padding = FF_SYNC_MAX_TASK_LIST_SIZE;
  f->task_list_chunked = chunked;
  sync = sync_log_in (f, NULL, &error);
  g_assert_no_error (error);
  stored = sync_fetch (sync, refusals, &error);
  g_assert_null (stored);
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (error->message, "larger than 4.2"));
  in_store = ff_store_list_task_ids (f->store, NULL);
  g_assert_cmpstrv (in_store, ((const char *[]) { NULL }));

  /* Within the bound the same platform is read as always. */
  g_clear_error (&error);
  f->task_list_padding = 1000;
  stored = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { task_id, NULL }));
  g_strfreev (stored);
}

/* A task document over the bound refuses that task (it is no document of the format, which stops
 * at 16 MiB) and the sync goes on with the next. */
static void
test_oversized_task_document (SyncFixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = sync_image_of (3000, 14);
  g_autoptr(GBytes) other_image = sync_image_of (3000, 15);
  g_autofree char *kept_id = sync_publish_task (f, 1, now, image, image, f->platform_key);
  g_autofree char *huge_id = sync_publish_task (f, 2, now, other_image, other_image,
                                                f->platform_key);
  ServedTask *huge = g_hash_table_lookup (f->tasks, huge_id);
  gsize size = FF_SYNC_MAX_TASK_DOCUMENT_SIZE + 1;
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;

  g_bytes_unref (huge->document);
  huge->document = g_bytes_new_take (memset (g_malloc (size), ' ', size), size);
  sync = sync_log_in (f, NULL, &error);
  g_assert_no_error (error);
  stored = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { kept_id, NULL }));
  g_assert_cmpuint (refusals->len, ==, 1);
  g_assert_true (sync_any_contains (refusals, huge_id));
  g_assert_true (sync_any_contains (refusals, "larger than 16.8"));
}

static void
test_oversized_task_list (SyncFixture *f, gconstpointer data)
{
  check_oversized_task_list (f, FALSE);
}

static void
test_oversized_task_list_chunked (SyncFixture *f, gconstpointer data)
{
  check_oversized_task_list (f, TRUE);
}

static void
test_certificate_pinning (SyncFixture *f, gconstpointer data)
{
  g_autofree char *other_cert = g_build_filename (f->dir, "other.crt", NULL);
  g_autofree char *other_key = g_build_filename (f->dir, "other.key", NULL);
  g_autoptr(GTlsCertificate) impostor = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (f->url, "https://127.0.0.1:"));
  g_assert_true (ff_tls_certificate_generate (other_cert, other_key, "localhost", 2, &error));
  impostor = g_tls_certificate_new_from_file (other_cert, &error);
  g_assert_no_error (error);

  /* Pinned to another certificate: the server is not the platform. */
  sync = sync_log_in (f, impostor, &error);
  g_assert_null (sync);
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CERTIFICATE);
  g_clear_error (&error);

  /* Without any pin https is refused outright. */
  g_assert_null (ff_sync_new (f->store, f->url, NULL, f->platform_key, SERIAL, &error));
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CERTIFICATE);
  g_clear_error (&error);

  /* The right pin works. */
  sync = sync_log_in (f, f->certificate, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sync);
}

static FfWorkflow *
new_visit (SyncFixture *f, const char *task_id, const char *device_id, GError **error)
{
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfKey) tablet_key = ff_key_generate (NULL);
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) signature = NULL;

  g_assert_true (ff_store_load_task (f->store, task_id, &document, &signature, NULL));
  return ff_workflow_new (f->store, FF_GPS_SOURCE (gps), document, device_id, SERIAL, tablet_key,
                          error);
}

static gboolean
is_withdrawn (SyncFixture *f, const char *task_id)
{
  gboolean withdrawn = FALSE;

  g_assert_true (ff_store_task_is_withdrawn (f->store, task_id, &withdrawn, NULL));
  return withdrawn;
}

/* A task the platform cancelled is no longer in its list: at the next sync the tablet starts no
 * new visit of it, and keeps what was done (a visit already saved, a report not yet uploaded). */
static void
test_cancelled_task_withdrawn (SyncFixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = sync_image_of (3000, 5);
  g_autoptr(GBytes) other = sync_image_of (3000, 6);
  GBytes *images[] = { image, image };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(FfSync) sync = NULL;
  g_autoptr(FfUploadQueue) queue = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(FfWorkflow) refused = NULL;
  g_autoptr(FfWorkflow) resumed = NULL;
  g_autofree char *report_id = g_uuid_string_random ();
  g_autofree char *report_json = g_strdup_printf ("{\n  \"report_id\" : \"%s\"\n}\n", report_id);
  g_autoptr(GBytes) report = g_bytes_new (report_json, strlen (report_json));
  g_autoptr(GBytes) report_signature = g_bytes_new_static ("0123456789012345678901234567890123456789"
                                                           "012345678901234567890123", 64);
  g_autofree char *cancelled_id = sync_publish_task_items (f, 1, now, 2, images, images,
                                                           f->platform_key);
  g_autofree char *kept_id = sync_publish_task (f, 2, now, other, other, f->platform_key);
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(FfTask) cancelled = NULL;
  g_autoptr(GPtrArray) open_items = NULL;
  g_autofree char *current = NULL;
  gpointer served_key = NULL;
  gpointer served = NULL;
  g_auto(GStrv) stored = NULL;

  sync = sync_log_in (f, NULL, &error);
  g_assert_no_error (error);
  stored = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (stored), ==, 2);
  g_assert_false (is_withdrawn (f, cancelled_id));
  /* DTU0100's visit ended and its report waits for upload. */
  g_assert_true (ff_store_save_report (f->store, report_id, cancelled_id, "DTU0100", "upgraded", now,
                                       report, report_signature, "done", "{}", &error));
  g_assert_no_error (error);

  /* The platform cancels the task: its list no longer names it. */
  g_assert_true (g_hash_table_steal_extended (f->tasks, cancelled_id, &served_key, &served));
  g_clear_pointer (&stored, g_strfreev);
  stored = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { kept_id, NULL }));
  g_assert_true (is_withdrawn (f, cancelled_id));
  g_assert_false (is_withdrawn (f, kept_id));

  /* The app's and the CLI's lists: nothing left to do in it, the other task is the current one. */
  tablet = ff_tablet_open (f->dir, SERIAL, FF_TABLET_OPEN_OR_SET_UP, &error);
  g_assert_no_error (error);
  cancelled = ff_tablet_load_task (tablet, cancelled_id, NULL, &error);
  g_assert_no_error (error);
  open_items = ff_tablet_list_open_items (tablet, cancelled);
  g_assert_cmpuint (open_items->len, ==, 0);
  current = ff_tablet_find_current_task (tablet, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (current, ==, kept_id);
  g_clear_object (&tablet);

  refused = new_visit (f, cancelled_id, "DTU0101", &error);
  g_assert_null (refused);
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_WITHDRAWN);
  g_clear_error (&error);
  resumed = new_visit (f, cancelled_id, "DTU0100", &error);
  g_assert_no_error (error);
  g_assert_nonnull (resumed);

  queue = ff_upload_queue_new (f->store, sync);
  ff_upload_queue_flush_async (queue, 2, 10, NULL, sync_step_done, &result);
  g_assert_true (ff_upload_queue_flush_finish (queue, sync_wait_step (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->uploads, ==, 1);
  g_assert_cmpuint (ff_upload_queue_get_pending (queue), ==, 0);

  /* Listed again (its technician logged in again): no longer withdrawn. */
  g_hash_table_insert (f->tasks, served_key, served);
  g_clear_pointer (&stored, g_strfreev);
  stored = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_false (is_withdrawn (f, cancelled_id));
}

/* Publishes one task of @seed's image, logs in and syncs it: the tablet holds it. */
static FfSync *
sync_one_task (SyncFixture *f, guint8 seed, char **task_id)
{
  g_autoptr(GBytes) image = sync_image_of (3000, seed);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) stored = NULL;
  FfSync *sync;

  *task_id = sync_publish_task (f, 1, g_get_real_time () / G_USEC_PER_SEC, image, image,
                                f->platform_key);
  sync = sync_log_in (f, NULL, &error);
  g_assert_no_error (error);
  stored = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { *task_id, NULL }));
  return sync;
}

/* A task list the tablet cannot read whole (here each entry names its ID "id", as no version of
 * the platform does) is refused as a bad answer: it withdraws none of the tasks it holds, which
 * would otherwise show as withdrawn by the platform for the whole day in the field. */
static void
test_unreadable_task_list_withdraws_nothing (SyncFixture *f, gconstpointer data)
{
  g_autofree char *task_id = NULL;
  g_autoptr(FfSync) sync = sync_one_task (f, 8, &task_id);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) stored = NULL;

  f->task_list_key = "id";
  stored = sync_fetch (sync, refusals, &error);
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (error->message, "nothing was changed"));
  g_assert_null (stored);
  g_assert_false (is_withdrawn (f, task_id));
}

/* A tablet whose clock runs two days ahead refuses a task that has one more day to go as expired,
 * and says that its clock is wrong, by the platform's answer: a technician would otherwise be left
 * with tasks "expired" that the office sees as open. A task expired by both clocks says nothing of
 * them. */
static void
test_tablet_clock_ahead (SyncFixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = sync_image_of (3000, 9);
  g_autoptr(GBytes) other = sync_image_of (3000, 10);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;
  /* Each valid for a day: the first till a day after the platform's now, the second till before. */
  g_autofree char *open_id = sync_publish_task (f, 1, now - 2 * 86400, image, image,
                                                f->platform_key);
  g_autofree char *expired_id = sync_publish_task (f, 2, now - 4 * 86400, other, other,
                                                   f->platform_key);

  f->clock_offset_s = -2 * 86400 + 3600;
  sync = sync_log_in (f, NULL, &error);
  g_assert_no_error (error);
  stored = sync_fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (stored), ==, 0);
  g_assert_cmpuint (refusals->len, ==, 2);
  for (guint i = 0; i < refusals->len; i++)
    {
      const char *refusal = refusals->pdata[i];

      g_assert_true (strstr (refusal, "expired") != NULL);
      g_assert_true ((strstr (refusal, open_id) != NULL)
                     == (strstr (refusal, "this tablet’s clock") != NULL));
    }
}

/* A tablet two technicians share: the platform lists the tasks of whoever logs in, so the second
 * one's sync withdraws none of the first one's tasks. */
static void
test_other_technician_withdraws_nothing (SyncFixture *f, gconstpointer data)
{
  g_autofree char *first_id = NULL;
  g_autoptr(FfSync) first = sync_one_task (f, 7, &first_id);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) second = NULL;
  g_auto(GStrv) stored = NULL;

  /* The second technician has no task: the list the platform gives them is empty. */
  g_hash_table_remove_all (f->tasks);
  second = sync_log_in_as (f, "13900139000", NULL, &error);
  g_assert_no_error (error);
  stored = sync_fetch (second, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (stored), ==, 0);
  g_assert_false (is_withdrawn (f, first_id));
  g_assert_cmpuint (refusals->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  SYNC_TEST_ADD ("/sync/refusals", NULL, test_refusals);
  SYNC_TEST_ADD ("/sync/refused-task-leaves-nothing", NULL, test_refused_task_leaves_nothing);
  SYNC_TEST_ADD ("/sync/resume", NULL, test_resume);
  SYNC_TEST_ADD ("/sync/wrong-part", NULL, test_wrong_part);
  SYNC_TEST_ADD ("/sync/damaged-partial-downloaded-again", NULL,
                 test_damaged_partial_downloaded_again);
  SYNC_TEST_ADD ("/sync/damaged-firmware-fetched-again", NULL, test_damaged_firmware_fetched_again);
  SYNC_TEST_ADD ("/sync/delta-patch", NULL, test_delta_patch);
  SYNC_TEST_ADD ("/sync/foreign-technician", NULL, test_foreign_technician);
  SYNC_TEST_ADD ("/sync/oversized-task-list", NULL, test_oversized_task_list);
  SYNC_TEST_ADD ("/sync/oversized-task-list-chunked", NULL, test_oversized_task_list_chunked);
  SYNC_TEST_ADD ("/sync/oversized-task-document", NULL, test_oversized_task_document);
  SYNC_TEST_ADD ("/sync/certificate-pinning", "tls", test_certificate_pinning);
  SYNC_TEST_ADD ("/sync/cancelled-task-withdrawn", NULL, test_cancelled_task_withdrawn);
  SYNC_TEST_ADD ("/sync/unreadable-task-list-withdraws-nothing", NULL,
                 test_unreadable_task_list_withdraws_nothing);
  SYNC_TEST_ADD ("/sync/tablet-clock-ahead", NULL, test_tablet_clock_ahead);
  SYNC_TEST_ADD ("/sync/other-technician-withdraws-nothing", NULL,
                 test_other_technician_withdraws_nothing);
  return g_test_run ();
}
