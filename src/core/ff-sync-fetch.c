/* The tablet's fetch of its tasks from the platform: each signed task verified, then the images
 * and delta patches it needs, downloaded with resume and checked before the store keeps them. */
#include "config.h"

#include "ff-sync-private.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ff-supervisor.h"
#include "ff-task.h"

/* ---- fetching tasks and firmware ------------------------------------------------------------ */

/* A file a task needs — an image, or a delta patch named by the version it makes and the one it
 * applies to — verified by its SHA-256 before the store keeps it. Borrowed from the task. */
typedef struct
{
  const char *version;
  const char *sha256;
  gint64      size;
  const char *from_version;   /* a patch's old version; NULL for an image */
} Download;

typedef struct
{
  GQueue             pending_ids;
  GStrvBuilder      *stored_ids;
  char              *task_id;
  GBytes            *document;
  FfTask            *task;
  GArray            *firmware;      /* of Download: the files the task needs */
  GPtrArray         *committed;     /* SHA-256 of the firmware this task stored (char *) */
  guint              firmware_index;
  GInputStream      *download;
  GFileOutputStream *partial;
  gint64             received;
  gboolean           resumed;       /* the current download went on from an earlier partial file */
} FetchJob;

static void
fetch_job_clear_task (FetchJob *job)
{
  g_clear_pointer (&job->task_id, g_free);
  g_clear_pointer (&job->document, g_bytes_unref);
  g_clear_pointer (&job->task, ff_task_free);
  g_clear_pointer (&job->firmware, g_array_unref);
  g_ptr_array_set_size (job->committed, 0);
  g_clear_object (&job->download);
  g_clear_object (&job->partial);
  job->firmware_index = 0;
  job->received = 0;
  job->resumed = FALSE;
}

static void
fetch_job_free (FetchJob *job)
{
  fetch_job_clear_task (job);
  g_ptr_array_unref (job->committed);
  g_queue_clear_full (&job->pending_ids, g_free);
  g_strv_builder_unref (job->stored_ids);
  g_free (job);
}

static void fetch_next_task (GTask *task);
static void fetch_next_firmware (GTask *task);

static const Download *
current_download (FetchJob *job)
{
  return &g_array_index (job->firmware, Download, job->firmware_index);
}

static gboolean
discard_firmware (FfStore *store, gpointer data, GError **error)
{
  GPtrArray *sha256s = data;

  for (guint i = 0; i < sha256s->len; i++)
    if (!ff_store_discard_firmware (store, sha256s->pdata[i], error))
      return FALSE;
  return TRUE;
}

static void
task_discarded (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  g_autofree char *reason = g_object_steal_data (G_OBJECT (task), "refusal");
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_signal_emit (self, ff_sync_signals[SIGNAL_TASK_REFUSED], 0, job->task_id, reason);
  fetch_job_clear_task (job);
  fetch_next_task (task);
}

/* A task that fails any check is dropped whole and the fetch goes on. Firmware it already stored
 * goes too: another task's firmware was in the store before, so this task never stored it. The
 * signal gives the task's ID and @reason apart: each reader shows the ID in its own place. */
static void
refuse_task (GTask *task, const char *reason)
{
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);

  g_object_set_data_full (G_OBJECT (task), "refusal", g_strdup (reason), g_free);
  ff_store_run_async (self->store, discard_firmware, g_ptr_array_ref (job->committed),
                      (GDestroyNotify) g_ptr_array_unref, NULL, task_discarded, task);
}

/* Errors of the link end the whole fetch (what was verified is kept, a partial download resumes
 * next time); the platform saying no to one task only refuses that task. */
static void
fail_or_refuse (GTask *task, GError *error)
{
  if (error->domain == FF_SYNC_ERROR
      && (error->code == FF_SYNC_ERROR_REFUSED || error->code == FF_SYNC_ERROR_BAD_RESPONSE))
    {
      refuse_task (task, error->message);
      g_error_free (error);
    }
  else
    {
      g_task_return_error (task, error);
      g_object_unref (task);
    }
}

/* What the store is asked in a worker: keep a verified task, commit a download, or look up what
 * is already there for the next firmware of the task. */
typedef struct
{
  char   *task_id;
  GBytes *document;
  GBytes *signature;
  char   *sha256;
  gsize   partial_size;   /* out: bytes already downloaded */
  gboolean present;       /* out: the image is in the store */
} StoreStep;

static void
store_step_free (StoreStep *step)
{
  g_free (step->task_id);
  g_clear_pointer (&step->document, g_bytes_unref);
  g_clear_pointer (&step->signature, g_bytes_unref);
  g_free (step->sha256);
  g_free (step);
}

static gboolean
save_task (FfStore *store, gpointer data, GError **error)
{
  StoreStep *step = data;

  return ff_store_save_task (store, step->task_id, step->document, step->signature, error);
}

static gboolean
commit_firmware (FfStore *store, gpointer data, GError **error)
{
  StoreStep *step = data;

  return ff_store_commit_firmware (store, step->sha256, error);
}

static gboolean
look_up_firmware (FfStore *store, gpointer data, GError **error)
{
  StoreStep *step = data;
  g_autofree char *partial = ff_store_get_partial_path (store, step->sha256);
  GStatBuf st;

  step->present = ff_store_has_firmware (store, step->sha256);
  /* A stored file is verified again, not taken by its name: one damaged since it was stored (flash
   * rot, a cut write) is fetched again, so that "sync again", which the push says when it finds
   * it, repairs it, and "with its firmware verified" holds for the files as they are now. */
  if (step->present)
    {
      g_autofree char *path = ff_store_get_firmware_path (store, step->sha256);
      g_autofree char *actual = ff_sha256_file_hex (path, NULL, NULL);

      step->present = g_strcmp0 (actual, step->sha256) == 0;
    }
  step->partial_size = g_stat (partial, &st) == 0 ? st.st_size : 0;
  return TRUE;
}

static void
task_stored (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_strv_builder_add (job->stored_ids, job->task_id);
  fetch_job_clear_task (job);
  fetch_next_task (task);
}

static void
store_verified_task (GTask *task)
{
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  StoreStep *step = g_new0 (StoreStep, 1);

  step->task_id = g_strdup (job->task_id);
  step->document = g_bytes_ref (job->document);
  step->signature = g_object_steal_data (G_OBJECT (task), "signature");
  ff_store_run_async (self->store, save_task, step, (GDestroyNotify) store_step_free, NULL,
                      task_stored, task);
}

static void
firmware_committed (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  FetchJob *job = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (ff_store_run_finish (FF_STORE (object), result, &error))
    {
      const Download *ref = current_download (job);

      g_ptr_array_add (job->committed, g_strdup (ref->sha256));
      job->firmware_index++;
      fetch_next_firmware (task);
      return;
    }
  if (!g_error_matches (error, FF_STORE_ERROR, FF_STORE_ERROR_CORRUPT))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  /* A download that went on from a partial file may have been damaged on the tablet (a power cut
   * leaves a file's last blocks as zeros): the commit deleted the partial file, so the file is
   * downloaded once more from its start; only a whole download that does not match refuses the
   * task. */
  if (job->resumed)
    {
      fetch_next_firmware (task);
      return;
    }
  refuse_task (task, error->message);
}

/* Checks the complete download (size here, SHA-256 in a worker) and moves it into the store. */
static void
commit_download (GTask *task)
{
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  const Download *ref = current_download (job);
  StoreStep *step;

  if (job->received != ref->size)
    {
      g_autofree char *partial = ff_store_get_partial_path (self->store, ref->sha256);
      g_autofree char *reason =
        g_strdup_printf (_("firmware %s %s is %lld bytes on the platform, the task says %lld."),
                         ref->version, ref->sha256, (long long) job->received,
                         (long long) ref->size);

      g_unlink (partial);
      refuse_task (task, reason);
      return;
    }
  step = g_new0 (StoreStep, 1);
  step->sha256 = g_strdup (ref->sha256);
  ff_store_run_async (self->store, commit_firmware, step, (GDestroyNotify) store_step_free, NULL,
                      firmware_committed, task);
}

static void download_read (GObject *object, GAsyncResult *result, gpointer user_data);

static void
download_written (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_input_stream_read_bytes_async (job->download, DOWNLOAD_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_read, task);
}

static void
download_closed (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_clear_object (&job->partial);
  g_clear_object (&job->download);
  commit_download (task);
}

static void
download_read (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  const Download *ref = current_download (job);
  g_autoptr(GError) cause = NULL;
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  gsize size;
  const void *data;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &cause);
  if (chunk == NULL)
    {
      /* What arrived so far stays in the partial file: the next sync resumes from there. */
      ff_sync_set_transport_error (self, &error, cause);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  data = g_bytes_get_data (chunk, &size);
  if (size == 0)
    {
      g_output_stream_close_async (G_OUTPUT_STREAM (job->partial), G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_closed, task);
      return;
    }
  job->received += size;
  if (job->received > ref->size)
    {
      /* commit_download refuses it for its size */
      g_output_stream_close_async (G_OUTPUT_STREAM (job->partial), G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_closed, task);
      return;
    }
  ff_sync_set_download_progress (self, job->received, ref->size);
  g_object_set_data_full (G_OBJECT (task), "chunk", g_bytes_ref (chunk),
                          (GDestroyNotify) g_bytes_unref);
  g_output_stream_write_all_async (G_OUTPUT_STREAM (job->partial), data, size, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_written, task);
}

/* A part answered to a resumed download must start where the partial file ends and be of the
 * file the task names (its total, the size the task says). */
static gboolean
range_goes_on (SoupMessage *message,
               gint64       received,
               gint64       size)
{
  goffset start = 0, end = 0, total = 0;

  return soup_message_headers_get_content_range (soup_message_get_response_headers (message),
                                                 &start, &end, &total)
         && start == received && total == size;
}

/* The answer's Content-Range as sent, for messages. */
static const char *
content_range_text (SoupMessage *message)
{
  const char *range = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                    "Content-Range");

  return range != NULL ? range : _("no Content-Range");
}

static void request_download (GTask *task);

static void
wrong_part_skipped (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!g_input_stream_close_finish (G_INPUT_STREAM (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  request_download (task);
}

static void
download_started (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  const Download *ref = current_download (job);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GError) cause = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (object), result, &cause);
  g_autofree char *partial_path = ff_store_get_partial_path (self->store, ref->sha256);
  g_autoptr(GFile) partial = g_file_new_for_path (partial_path);
  GError *error = NULL;
  guint status;

  if (stream == NULL)
    {
      ff_sync_set_transport_error (self, &error, cause);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  status = soup_message_get_status (message);
  if (status == SOUP_STATUS_PARTIAL_CONTENT && !range_goes_on (message, job->received, ref->size))
    {
      if (job->received == 0)
        {
          /* Asked for the whole file: there is nothing to start over from. */
          g_set_error (&error, FF_SYNC_ERROR, FF_SYNC_ERROR_BAD_RESPONSE,
                       _("Firmware %s: the platform sent a part of a file (%s) instead of the "
                         "whole %lld bytes."), ref->sha256,
                       content_range_text (message), (long long) ref->size);
          fail_or_refuse (task, error);
          return;
        }
      /* Appended, those bytes would make a file that fails its SHA-256, or the task be refused
       * for its size: the partial file goes and the whole file is asked for, once the answer is
       * read to its end (the link stays usable). */
      g_debug ("firmware %s: asked for bytes from %lld, the platform sent %s: fetched again whole",
               ref->sha256, (long long) job->received, content_range_text (message));
      g_file_delete (partial, NULL, NULL);
      job->received = 0;
      job->resumed = FALSE;
      g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                  wrong_part_skipped, task);
      return;
    }
  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    job->partial = g_file_append_to (partial, G_FILE_CREATE_PRIVATE, NULL, &error);
  else if (status == SOUP_STATUS_OK)
    {
      /* The platform sent the whole file (its tag changed or it ignored the range): start over. */
      job->received = 0;
      job->partial = g_file_replace (partial, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, &error);
    }
  else
    {
      /* A range past the end means the partial file is longer than the image: drop it. */
      if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE)
        g_file_delete (partial, NULL, NULL);
      ff_sync_set_status_error (&error, status, NULL);
      g_prefix_error (&error, _("Firmware %s: "), ref->sha256);
      fail_or_refuse (task, error);
      return;
    }
  if (job->partial == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  job->download = g_steal_pointer (&stream);
  ff_sync_set_download_progress (self, job->received, ref->size);
  g_input_stream_read_bytes_async (job->download, DOWNLOAD_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_read, task);
}

static void
firmware_looked_up (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  StoreStep *step = g_object_get_data (G_OBJECT (task), "look-up");
  const Download *ref = current_download (job);

  ff_store_run_finish (FF_STORE (object), result, NULL);
  if (step->present)
    {
      job->firmware_index++;
      fetch_next_firmware (task);
      return;
    }
  job->received = step->partial_size;
  job->resumed = step->partial_size > 0;
  /* A partial file longer than the file was damaged on the tablet, not sent so by the platform. */
  if (job->received > ref->size)
    {
      g_autofree char *partial = ff_store_get_partial_path (self->store, ref->sha256);

      g_unlink (partial);
      job->received = 0;
      job->resumed = FALSE;
    }
  g_signal_emit (self, ff_sync_signals[SIGNAL_DOWNLOAD_STARTED], 0, ref->version, ref->sha256,
                 (gint64) ref->size, ref->from_version);
  if (job->received >= ref->size)
    {
      commit_download (task);
      return;
    }
  request_download (task);
}

/* Asks for the current file from where its partial file ends (job->received). */
static void
request_download (GTask *task)
{
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  const Download *ref = current_download (job);
  g_autofree char *path = NULL;
  g_autofree char *tag = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  path = g_strconcat ("/firmware/", ref->sha256, NULL);
  message = ff_sync_new_message (self, "GET", path, TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (job->received > 0)
    {
      /* Resume: If-Range makes the platform send the whole file should it ever differ. */
      tag = g_strdup_printf ("\"%s\"", ref->sha256);
      SoupMessageHeaders *headers = soup_message_get_request_headers (message);

      soup_message_headers_set_range (headers, job->received, -1);
      soup_message_headers_replace (headers, "If-Range", tag);
    }
  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), download_started, task);
}

static void
fetch_next_firmware (GTask *task)
{
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  StoreStep *step;

  if (job->firmware_index == job->firmware->len)
    {
      store_verified_task (task);
      return;
    }
  step = g_new0 (StoreStep, 1);
  step->sha256 = g_strdup (current_download (job)->sha256);
  /* The task keeps the step for the callback; the job only borrows it. */
  g_object_set_data_full (G_OBJECT (task), "look-up", step, (GDestroyNotify) store_step_free);
  ff_store_run_async (self->store, look_up_firmware, step, NULL, NULL, firmware_looked_up, task);
}

/* Each file once, however many items name it. */
static void
add_download (GArray     *firmware,
              const char *version,
              const char *sha256,
              gint64      size,
              const char *from_version)
{
  Download download = { version, sha256, size, from_version };

  for (guint i = 0; i < firmware->len; i++)
    if (g_str_equal (g_array_index (firmware, Download, i).sha256, sha256))
      return;
  g_array_append_val (firmware, download);
}

static gboolean
task_lists_tablet (const FfTask *task, const char *serial)
{
  for (guint i = 0; serial != NULL && i < task->tablets->len; i++)
    if (g_str_equal (task->tablets->pdata[i], serial))
      return TRUE;
  return FALSE;
}

/* A task refused as expired that has not expired by the platform's clock: the tablet's clock is
 * wrong (a tablet whose clock ran on, or was set by hand), and only its owner can set it right. */
static char *
clock_advice (GBytes *document,
              gint64  tablet_now,
              gint64  platform_now)
{
  g_autoptr(FfTask) task = ff_task_parse (document, NULL);
  g_autofree char *tablet_time = NULL;
  g_autofree char *platform_time = NULL;

  if (task == NULL || platform_now < 0 || platform_now >= task->expires_at)
    return NULL;
  tablet_time = ff_timestamp_format (tablet_now);
  platform_time = ff_timestamp_format (platform_now);
  return g_strdup_printf (_("By the platform’s clock (%s) it has not expired: this tablet’s clock "
                            "(%s) is wrong. Set the tablet’s date and time, then sync again."),
                          platform_time, tablet_time);
}

static void
signature_received (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) signature = ff_sync_request_finish (result, NULL, &error);
  g_autoptr(GError) invalid = NULL;
  gint64 tablet_now = g_get_real_time () / G_USEC_PER_SEC;

  if (signature == NULL)
    {
      fail_or_refuse (task, error);
      return;
    }
  job->task = ff_task_load_signed (job->document, signature, self->platform_key,
                                   tablet_now, &invalid);
  if (job->task == NULL)
    {
      g_autofree char *advice = g_error_matches (invalid, FF_DOCUMENT_ERROR,
                                                 FF_DOCUMENT_ERROR_EXPIRED)
                                ? clock_advice (job->document, tablet_now,
                                                ff_sync_request_platform_time (result))
                                : NULL;
      g_autofree char *reason = g_strjoin (" ", invalid->message, advice, NULL);

      refuse_task (task, reason);
      return;
    }
  if (!g_str_equal (job->task->task_id, job->task_id))
    {
      g_autofree char *reason = g_strdup_printf (_("the document is task %s."),
                                                 job->task->task_id);
      refuse_task (task, reason);
      return;
    }
  if (!task_lists_tablet (job->task, self->tablet_serial))
    {
      g_autofree char *reason = g_strdup_printf (_("it does not list this tablet (%s)."),
                                                 self->tablet_serial);
      refuse_task (task, reason);
      return;
    }
  /* The platform signs every technician's tasks: one for someone else is not this tablet's work,
   * whichever tablets it lists. */
  if (g_strcmp0 (job->task->technician_phone, self->phone) != 0)
    {
      g_autofree char *reason = NULL;

      reason = g_strdup_printf (_("it is for technician %s, not for %s, who is logged in."),
                                job->task->technician_phone,
                                self->phone != NULL ? self->phone : _("nobody"));
      refuse_task (task, reason);
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "signature", g_steal_pointer (&signature),
                          (GDestroyNotify) g_bytes_unref);
  job->firmware = g_array_new (FALSE, FALSE, sizeof (Download));
  for (guint i = 0; i < job->task->items->len; i++)
    {
      FfTaskItem *item = job->task->items->pdata[i];

      add_download (job->firmware, item->target.version, item->target.sha256, item->target.size,
                    NULL);
      if (item->previous != NULL)
        add_download (job->firmware, item->previous->version, item->previous->sha256,
                      item->previous->size, NULL);
      /* The patch comes with the image, not instead: a terminal found running something else
       * than the image it applies to gets the image. A task with a patch has its previous image
       * (ff_task_parse checks). */
      if (item->delta != NULL)
        add_download (job->firmware, item->target.version, item->delta->sha256,
                      item->delta->size, item->previous->version);
    }
  fetch_next_firmware (task);
}

static void
document_received (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(SoupMessage) message = NULL;

  job->document = ff_sync_request_finish (result, NULL, &error);
  if (job->document == NULL)
    {
      fail_or_refuse (task, error);
      return;
    }
  path = g_strdup_printf ("/tasks/%s/signature", job->task_id);
  message = ff_sync_new_message (self, "GET", path, TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  ff_sync_request_async (self, message, FF_SYNC_MAX_ANSWER_SIZE, g_task_get_cancellable (task),
                         signature_received, task);
}

/* A sync that reached the end lifts the lock three wrong supervisor PINs put on overrides. */
static gboolean
unlock_overrides (FfStore *store, gpointer data, GError **error)
{
  return ff_supervisor_unlock (store, error);
}

static void
overrides_unlocked (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_strv_builder_end (job->stored_ids),
                           (GDestroyNotify) g_strfreev);
  g_object_unref (task);
}

static void
fetch_next_task (GTask *task)
{
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  g_autofree char *path = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  job->task_id = g_queue_pop_head (&job->pending_ids);
  if (job->task_id == NULL)
    {
      ff_store_run_async (self->store, unlock_overrides, NULL, NULL, NULL, overrides_unlocked,
                          task);
      return;
    }
  path = g_strdup_printf ("/tasks/%s/document", job->task_id);
  message = ff_sync_new_message (self, "GET", path, TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  ff_sync_request_async (self, message, FF_SYNC_MAX_TASK_DOCUMENT_SIZE,
                         g_task_get_cancellable (task), document_received, task);
}

/* The platform's answer to GET /tasks: the tasks of this tablet and of the technician logged in
 * that it has not cancelled. */
typedef struct
{
  GStrv  listed;
  char  *technician_phone;
} TaskList;

static void
task_list_free (TaskList *list)
{
  g_strfreev (list->listed);
  g_free (list->technician_phone);
  g_free (list);
}

/* Only the logged-in technician's stored tasks are judged by their list: another technician's, on
 * a tablet they share, are not in it and are theirs to sync. */
static gboolean
withdraw_unlisted (FfStore *store, gpointer data, GError **error)
{
  TaskList *list = data;
  g_auto(GStrv) stored = ff_store_list_task_ids (store, error);
  g_autoptr(GStrvBuilder) own = g_strv_builder_new ();
  g_auto(GStrv) own_ids = NULL;

  if (stored == NULL)
    return FALSE;
  for (guint i = 0; stored[i] != NULL; i++)
    {
      g_autoptr(GBytes) document = NULL;
      g_autoptr(GBytes) signature = NULL;
      g_autoptr(FfTask) stored_task = NULL;

      if (!ff_store_load_task (store, stored[i], &document, &signature, error))
        return FALSE;
      stored_task = ff_task_parse (document, NULL);
      if (stored_task != NULL
          && g_strcmp0 (stored_task->technician_phone, list->technician_phone) == 0)
        g_strv_builder_add (own, stored[i]);
    }
  own_ids = g_strv_builder_end (own);
  return ff_store_withdraw_unlisted_tasks (store, (const char * const *) own_ids,
                                           (const char * const *) list->listed, error);
}

static void
unlisted_withdrawn (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  fetch_next_task (task);
}

static void
task_list_received (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) body = ff_sync_request_finish (result, NULL, &error);
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *answer = body != NULL ? ff_sync_parse_object (body, &parser, &error) : NULL;
  JsonArray *tasks;
  g_autoptr(GStrvBuilder) listed = g_strv_builder_new ();
  TaskList *list;

  if (answer == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  tasks = json_object_has_member (answer, "tasks")
          && JSON_NODE_HOLDS_ARRAY (json_object_get_member (answer, "tasks"))
          ? json_object_get_array_member (answer, "tasks") : NULL;
  if (tasks == NULL)
    {
      g_task_return_new_error (task, FF_SYNC_ERROR, FF_SYNC_ERROR_BAD_RESPONSE,
                               _("The platform’s answer names no list of tasks; nothing was "
                                 "changed on this tablet."));
      g_object_unref (task);
      return;
    }
  for (guint i = 0; i < json_array_get_length (tasks); i++)
    {
      JsonNode *node = json_array_get_element (tasks, i);
      const char *task_id = JSON_NODE_HOLDS_OBJECT (node)
        ? json_object_get_string_member_with_default (json_node_get_object (node), "task_id", NULL)
        : NULL;

      /* The ID goes into a path: only well-formed IDs are asked for. And a list with an entry
       * the tablet cannot read is no list: the tasks it seems not to name would be withdrawn. */
      if (task_id == NULL || !ff_task_id_is_valid (task_id))
        {
          g_task_return_new_error (task, FF_SYNC_ERROR, FF_SYNC_ERROR_BAD_RESPONSE,
                                   _("The platform’s list of tasks has an entry without a valid "
                                     "task ID (entry %u); nothing was changed on this tablet."),
                                   i + 1);
          g_object_unref (task);
          return;
        }
      g_queue_push_tail (&job->pending_ids, g_strdup (task_id));
      g_strv_builder_add (listed, task_id);
    }
  list = g_new0 (TaskList, 1);
  list->listed = g_strv_builder_end (listed);
  list->technician_phone = g_strdup (self->phone);
  ff_store_run_async (self->store, withdraw_unlisted, list, (GDestroyNotify) task_list_free, NULL,
                      unlisted_withdrawn, task);
}

void
ff_sync_fetch_tasks_async (FfSync              *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  FetchJob *job = g_new0 (FetchJob, 1);
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, ff_sync_fetch_tasks_async);
  job->stored_ids = g_strv_builder_new ();
  job->committed = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, job, (GDestroyNotify) fetch_job_free);
  message = ff_sync_new_message (self, "GET", "/tasks", TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  ff_sync_request_async (self, message, FF_SYNC_MAX_TASK_LIST_SIZE, cancellable, task_list_received,
                         task);
}

GStrv
ff_sync_fetch_tasks_finish (FfSync        *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
