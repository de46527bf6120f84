/* FfSync and FfUploadQueue uploading reports to a stand-in platform (ff-test-sync-platform.h):
 * failures in the middle of an upload, an expired session, a refused report, the wrong
 * certificate and an oversized receipt. */
#include "config.h"

#include "ff-test-fixtures.h"
#include "ff-test-sync-platform.h"
#include "ff-upload-queue.h"

/* The platform's answer to an upload is a small receipt: a longer one is an error (the queue keeps
 * the report; its next upload is answered as a duplicate). */
static void
test_oversized_receipt (SyncFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = sync_log_in (f, NULL, &error);
  static const char json[] = "{\n  \"report_id\" : \"0f8fad5b-d9cb-469f-a165-70867728950e\"\n}\n";
  g_autoptr(GBytes) document = g_bytes_new_static (json, strlen (json));
  g_autoptr(GBytes) signature = g_bytes_new_static ("0123456789012345678901234567890123456789"
                                                    "012345678901234567890123", 64);
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_no_error (error);
  f->receipt_padding = FF_SYNC_MAX_ANSWER_SIZE;
  ff_sync_upload_report_async (sync, document, signature, NULL, sync_step_done, &result);
  g_assert_false (ff_sync_upload_report_finish (sync, sync_wait_step (&result), NULL, &error));
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (error->message, "larger than 65.5"));
}

static void
queue_report (SyncFixture *f, const char *device_id)
{
  g_autofree char *report_id = g_uuid_string_random ();
  g_autofree char *json = g_strdup_printf ("{\n  \"report_id\" : \"%s\"\n}\n", report_id);
  g_autoptr(GBytes) document = g_bytes_new (json, strlen (json));
  g_autoptr(GBytes) signature = g_bytes_new_static ("0123456789012345678901234567890123456789"
                                                    "012345678901234567890123", 64);
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_store_save_report (f->store, report_id, "T", device_id, "upgraded", 1, document,
                                       signature, "done", "{}", &error));
  g_assert_no_error (error);
}

static void
test_upload_queue (SyncFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = sync_log_in (f, NULL, &error);
  g_autoptr(FfUploadQueue) queue = ff_upload_queue_new (f->store, sync);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(FfSync) gone = NULL;
  g_autoptr(FfUploadQueue) gone_queue = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autofree char *gone_url = NULL;
  guint delivered = 0;

  queue_report (f, "DTU0001");
  queue_report (f, "DTU0002");
  pending = ff_store_list_reports (f->store, TRUE, NULL);
  g_assert_cmpuint (pending->len, ==, 2);
  g_clear_pointer (&pending, g_ptr_array_unref);

  /* The platform answers 503 twice: retried with back-off, each report delivered once. */
  f->fail_uploads = 2;
  ff_upload_queue_flush_async (queue, 4, 10, NULL, sync_step_done, &result);
  g_assert_true (ff_upload_queue_flush_finish (queue, sync_wait_step (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ff_upload_queue_get_pending (queue), ==, 0);
  g_object_get (queue, "delivered", &delivered, NULL);
  g_assert_cmpuint (delivered, ==, 2);
  g_assert_cmpuint (g_hash_table_size (f->ingested), ==, 2);
  g_assert_cmpuint (f->uploads, ==, 2);

  /* The platform stores a report but its answer is lost: the retry finds a duplicate, which counts
   * as delivered, and the platform holds it once. */
  queue_report (f, "DTU0004");
  f->lose_answers = 1;
  f->uploads = 0;
  g_clear_object (&result);
  ff_upload_queue_flush_async (queue, 4, 10, NULL, sync_step_done, &result);
  g_assert_true (ff_upload_queue_flush_finish (queue, sync_wait_step (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->uploads, ==, 2);
  g_assert_cmpuint (g_hash_table_size (f->ingested), ==, 3);
  g_assert_cmpuint (ff_upload_queue_get_pending (queue), ==, 0);

  /* The platform goes away: the flush ends with a connection error and the report stays queued
   * with the reason, to go out next time. */
  queue_report (f, "DTU0003");
  soup_server_disconnect (f->server);
  gone_url = g_strdup (f->url);
  gone = ff_sync_new (f->store, gone_url, NULL, f->platform_key, SERIAL, &error);
  gone_queue = ff_upload_queue_new (f->store, gone);
  g_clear_object (&result);
  ff_upload_queue_flush_async (gone_queue, 2, 10, NULL, sync_step_done, &result);
  g_assert_false (ff_upload_queue_flush_finish (gone_queue, sync_wait_step (&result), &error));
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CONNECTION);
  g_assert_cmpuint (ff_upload_queue_get_pending (gone_queue), ==, 1);
  pending = ff_store_list_reports (f->store, TRUE, NULL);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((FfStoredReport *) pending->pdata[0])->device_id, ==, "DTU0003");
  /* Not the report's fault: it does not count against it. */
  g_assert_cmpuint (((FfStoredReport *) pending->pdata[0])->attempts, ==, 0);
  g_assert_null (((FfStoredReport *) pending->pdata[0])->last_error);
}

static void
count_failed (FfUploadQueue *queue, const char *report_id, const char *message, guint *failed)
{
  (*failed)++;
}

static gboolean
flush_queue (FfUploadQueue *queue, guint *failed, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  gulong handler = g_signal_connect (queue, "report-failed", G_CALLBACK (count_failed), failed);
  gboolean ok;

  ff_upload_queue_flush_async (queue, 2, 10, NULL, sync_step_done, &result);
  ok = ff_upload_queue_flush_finish (queue, sync_wait_step (&result), error);
  g_signal_handler_disconnect (queue, handler);
  return ok;
}

/* Each pending report: attempts made against it, and whether a reason is recorded. */
static void
assert_pending (SyncFixture *f, guint n, guint attempts, gboolean with_reason)
{
  g_autoptr(GPtrArray) pending = ff_store_list_reports (f->store, TRUE, NULL);

  g_assert_cmpuint (pending->len, ==, n);
  for (guint i = 0; i < pending->len; i++)
    {
      FfStoredReport *report = pending->pdata[i];

      g_assert_cmpuint (report->attempts, ==, attempts);
      g_assert_true ((report->last_error != NULL) == with_reason);
    }
}

/* An expired session stops the flush with "log in again" and counts against no report; after a
 * new login they go out. */
static void
test_upload_session_expired (SyncFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = sync_log_in (f, NULL, &error);
  g_autoptr(FfUploadQueue) queue = ff_upload_queue_new (f->store, sync);
  guint failed = 0;

  queue_report (f, "DTU0001");
  queue_report (f, "DTU0002");
  f->session_expired = TRUE;
  g_assert_false (flush_queue (queue, &failed, &error));
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "log in again"));
  g_clear_error (&error);
  g_assert_cmpuint (failed, ==, 0);
  g_assert_cmpuint (f->uploads, ==, 0);
  assert_pending (f, 2, 0, FALSE);

  f->session_expired = FALSE;
  g_assert_true (flush_queue (queue, &failed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->uploads, ==, 2);
  assert_pending (f, 0, 0, FALSE);
}

/* The platform refusing a report (4xx) counts against that report, which stays queued with the
 * reason; the flush goes on with the others. */
static void
test_upload_report_refused (SyncFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = sync_log_in (f, NULL, &error);
  g_autoptr(FfUploadQueue) queue = ff_upload_queue_new (f->store, sync);
  guint failed = 0;

  queue_report (f, "DTU0001");
  queue_report (f, "DTU0002");
  f->refuse_uploads = TRUE;
  g_assert_true (flush_queue (queue, &failed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (failed, ==, 2);
  assert_pending (f, 2, 1, TRUE);
}

/* A server that is not the pinned platform gets no report, and that counts against none. */
static void
test_upload_wrong_certificate (SyncFixture *f, gconstpointer data)
{
  g_autofree char *other_cert = g_build_filename (f->dir, "other.crt", NULL);
  g_autofree char *other_key = g_build_filename (f->dir, "other.key", NULL);
  g_autoptr(GTlsCertificate) impostor = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = sync_log_in (f, f->certificate, &error);
  g_autoptr(FfSync) misled = NULL;
  g_autoptr(FfUploadQueue) queue = NULL;
  guint failed = 0;

  g_assert_no_error (error);
  g_assert_true (ff_tls_certificate_generate (other_cert, other_key, "localhost", 2, &error));
  impostor = g_tls_certificate_new_from_file (other_cert, &error);
  g_assert_no_error (error);
  /* The session from the login is in the store; this sync pins another certificate. */
  misled = ff_sync_new (f->store, f->url, impostor, f->platform_key, SERIAL, &error);
  g_assert_no_error (error);
  queue = ff_upload_queue_new (f->store, misled);
  queue_report (f, "DTU0001");
  g_assert_false (flush_queue (queue, &failed, &error));
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CERTIFICATE);
  g_assert_cmpuint (failed, ==, 0);
  g_assert_cmpuint (f->uploads, ==, 0);
  assert_pending (f, 1, 0, FALSE);
}


int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  SYNC_TEST_ADD ("/sync/oversized-receipt", NULL, test_oversized_receipt);
  SYNC_TEST_ADD ("/sync/upload-queue", NULL, test_upload_queue);
  SYNC_TEST_ADD ("/sync/upload-session-expired", NULL, test_upload_session_expired);
  SYNC_TEST_ADD ("/sync/upload-report-refused", NULL, test_upload_report_refused);
  SYNC_TEST_ADD ("/sync/upload-wrong-certificate", "tls", test_upload_wrong_certificate);
  return g_test_run ();
}
