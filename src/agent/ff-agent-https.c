/* The agent's HTTPS client (see ff-agent-https.h). */
#define _GNU_SOURCE
#include "config.h"

#include "ff-agent-https.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ff-agent-config.h"
#include "ff-agent-fault.h"
#include "ff-agent-files.h"
#include "ff-agent-hasher.h"
#include "ff-files.h"

/* The hasher's buffers, reused: reads as large as the TLS layer hands over, no allocation per
 * read. Four of the platform's 16 KiB TLS records: a larger buffer (256 KiB before) adds to the
 * peak memory and saves only a few system calls. */
#define READ_CHUNK FF_AGENT_HASHER_BUFFER_SIZE
/* Writeback of the written bytes is started this often (without waiting for it), so a power cut
 * loses little of a long download; waiting for a sync here (fdatasync) cut the throughput by half
 * or more on a loaded disk. The whole file is synced once it is complete. */
#define WRITEBACK_INTERVAL (4 * 1024 * 1024)
/* The download's thread hands its progress to the main loop at most this often (the agent
 * publishes it at most four times a second). */
#define REPORT_INTERVAL_USEC (100 * 1000)

struct _FfAgentHttps
{
  SoupSession *session;
  GBytes *pinned_der;
  char *pinned_path;
  gboolean database_set;
  FfKey *terminal_key;
  char *device_id;
};

FfAgentHttps *
ff_agent_https_new (const char *base_url, const char *pinned_path, FfKey *terminal_key,
                    const char *device_id, GError **error)
{
  FfAgentHttps *https;
  GBytes *pinned_der = ff_certificate_load_der_file (pinned_path, error);

  if (pinned_der == NULL)
    return NULL;
  https = g_new0 (FfAgentHttps, 1);

  /* No proxy: the terminal reaches its platform directly, and the default proxy resolver loads
   * GIO modules and GSettings (memory, and milliseconds at each connection). */
  https->session = soup_session_new_with_options ("timeout", 60, "idle-timeout", 60,
                                                  "proxy-resolver", NULL, NULL);
  /* No CA database: the pinned certificate is the only trust (see accept_pinned_certificate). */
  soup_session_set_tls_database (https->session, NULL);
  https->pinned_der = pinned_der;
  https->pinned_path = g_strdup (pinned_path);
  https->terminal_key = ff_key_ref (terminal_key);
  https->device_id = g_strdup (device_id);
  return https;
}

void
ff_agent_https_free (FfAgentHttps *https)
{
  if (https == NULL)
    return;
  g_object_unref (https->session);
  g_bytes_unref (https->pinned_der);
  g_free (https->pinned_path);
  ff_key_unref (https->terminal_key);
  g_free (https->device_id);
  g_free (https);
}

SoupSession *
ff_agent_https_get_session (FfAgentHttps *https)
{
  return https->session;
}

char *
ff_agent_https_authorization (FfKey *terminal_key, const char *device_id, const char *method,
                              const char *path, gint64 unix_time, GBytes *body)
{
  g_autofree char *body_sha256 = body != NULL
    ? ff_sha256_hex (g_bytes_get_data (body, NULL), g_bytes_get_size (body))
    : ff_sha256_hex ("", 0);
  g_autofree char *signed_text = g_strdup_printf ("%s\n%s\n%" G_GINT64_FORMAT "\n%s", method,
                                                  path, unix_time, body_sha256);
  g_autoptr(GBytes) data = g_bytes_new_static (signed_text, strlen (signed_text));
  g_autoptr(GBytes) signature = ff_key_sign (terminal_key, data, NULL);
  g_autofree char *encoded = NULL;

  if (signature == NULL)
    return NULL;
  encoded = g_base64_encode (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  return g_strdup_printf ("FF-Terminal device=\"%s\", time=\"%" G_GINT64_FORMAT "\", "
                          "signature=\"%s\"", device_id, unix_time, encoded);
}

/* Only the platform's own certificate, pinned at enrolment, is trusted: the same DER bytes. */
static gboolean
accept_pinned_certificate (SoupMessage *message, GTlsCertificate *certificate,
                           GTlsCertificateFlags errors, GBytes *pinned_der)
{
  g_autoptr(GByteArray) der = NULL;

  g_object_get (certificate, "certificate", &der, NULL);
  return der != NULL && der->len == g_bytes_get_size (pinned_der)
         && memcmp (der->data, g_bytes_get_data (pinned_der, NULL), der->len) == 0;
}

static gboolean
check_peer (GBytes *pinned_der, SoupMessage *message, GError **error)
{
  GTlsCertificate *peer = soup_message_get_tls_peer_certificate (message);

  if (peer != NULL && accept_pinned_certificate (message, peer, 0, pinned_der))
    return TRUE;
  g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
               _("The platform’s certificate is not the pinned one."));
  return FALSE;
}

/* At the first request (GnuTLS is loaded then, not at start): the pinned certificate becomes the
 * TLS backend's default database and the session's. Without it glib-networking parses the
 * system's CA bundle twice at the first connection (its default database, which the connection
 * asks for before libsoup sets the session's, and the connection's credentials): tens of
 * milliseconds, and some 8 MB of heap kept for the process's life. */
static void
use_pinned_database (FfAgentHttps *https)
{
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;

  if (https->database_set)
    return;
  https->database_set = TRUE;
  database = g_tls_file_database_new (https->pinned_path, &error);
  if (database == NULL)
    {
      g_message ("%s", error->message);
      return;
    }
  g_tls_backend_set_default_database (g_tls_backend_get_default (), database);
  soup_session_set_tls_database (https->session, database);
}

gboolean
ff_agent_https_check_peer (FfAgentHttps *https, SoupMessage *message, GError **error)
{
  return check_peer (https->pinned_der, message, error);
}

/* The request itself, signed by @terminal_key: also made in a download's worker thread (its
 * second request, see download_thread), which holds its own references to what it needs. */
static SoupMessage *
new_signed_message (FfKey *terminal_key, const char *device_id, GBytes *pinned_der,
                    const char *method, const char *url, GBytes *body, const char *content_type,
                    GError **error)
{
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  g_autofree char *authorization = NULL;

  if (message == NULL)
    {
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                   _("“%s” is not a valid platform URL."), url);
      return NULL;
    }
  authorization = ff_agent_https_authorization (terminal_key, device_id, method,
                                                g_uri_get_path (soup_message_get_uri (message)),
                                                g_get_real_time () / G_USEC_PER_SEC, body);
  if (authorization == NULL)
    {
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                   _("The terminal key cannot sign requests."));
      return NULL;
    }
  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                authorization);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (message, content_type, body);
  /* The signal comes in the thread that sends the message (a download's worker thread): the
   * handler holds its own reference to the pinned bytes. */
  g_signal_connect_data (message, "accept-certificate", G_CALLBACK (accept_pinned_certificate),
                         g_bytes_ref (pinned_der), (GClosureNotify) (GCallback) g_bytes_unref,
                         0);
  return g_steal_pointer (&message);
}

SoupMessage *
ff_agent_https_new_message (FfAgentHttps *https, const char *method, const char *url,
                            GBytes *body, const char *content_type, GError **error)
{
  use_pinned_database (https);
  return new_signed_message (https->terminal_key, https->device_id, https->pinned_der, method, url,
                             body, content_type, error);
}

/* A download runs in a worker thread (g_task_run_in_thread): libsoup 3.2 sends a message from
 * any thread and does its I/O there, so the body is read with blocking reads into the part file
 * as curl's loop does, and hashed as it comes on the hasher's thread (ff-agent-hasher.c). Read
 * through the main loop, every 64 KiB cost a wakeup, a dozen writes to the main context's wakeup
 * fd (the TLS stream's pollable sources made and dropped) and the dispatch: about a tenth of the
 * agent's CPU in a download, and on a loaded machine a download is paced by its share of the
 * CPUs. The thread touches nothing of the agent: it holds its own references to the session and
 * the pinned certificate, and hands the progress to the main context. */
typedef struct
{
  SoupSession *session;
  GBytes *pinned_der;
  FfKey *terminal_key;
  char *device_id;
  char *url;
  char *dest_path;
  char *part_path;
  char *validator_path;
  gint64 size;
  char *sha256;
  SoupMessage *message;
  /* The digest of the part file's bytes so far: hashed as they are written, so the complete file
   * is not read back. Its buffers are the ones the body is read into. */
  FfAgentHasher *hasher;
  int fd;
  gint64 offset;
  gint64 unsynced;
  /* The part file held bytes from before (a Range request, or complete): when the whole does not
   * match, those bytes may be what is wrong, so it is downloaded once more from byte 0. */
  gboolean resumed;
  /* The progress, handed from the thread to the main context (queue_progress): the latest count,
   * the report waiting there and when the last one ran (under lock). */
  GMainContext *context;
  FfAgentDownloadProgress progress;
  gpointer progress_data;
  GMutex lock;
  gint64 reported;
  GSource *report;
  gint64 report_time;
} Download;

static void
download_free (Download *download)
{
  if (download->fd >= 0)
    close (download->fd);
  g_clear_object (&download->session);
  g_bytes_unref (download->pinned_der);
  ff_key_unref (download->terminal_key);
  g_free (download->device_id);
  g_free (download->url);
  g_free (download->dest_path);
  g_free (download->part_path);
  g_free (download->validator_path);
  g_free (download->sha256);
  g_clear_object (&download->message);
  ff_agent_hasher_free (download->hasher);
  if (download->report != NULL)
    g_source_destroy (download->report);
  g_clear_pointer (&download->report, g_source_unref);
  g_main_context_unref (download->context);
  g_mutex_clear (&download->lock);
  g_free (download);
}

static gboolean
io_error (GError **error, const char *path, int saved_errno)
{
  g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_IO, "%s: %s", path,
               g_strerror (saved_errno));
  return FALSE;
}

/* Starts the digest again with the first @length bytes the file open as download->fd (@path)
 * already holds (a resumed download, a part file complete before a power cut, or the package
 * already in place). */
static gboolean
hash_file (Download *download, const char *path, gint64 length, GError **error)
{
  gint64 done = 0;

  g_free (ff_agent_hasher_finish_hex (download->hasher));
  while (done < length)
    {
      gssize n = pread (download->fd, ff_agent_hasher_get_buffer (download->hasher),
                        MIN (READ_CHUNK, length - done), done);

      if (n <= 0)
        return io_error (error, path, n < 0 ? errno : EIO);
      ff_agent_hasher_push (download->hasher, n);
      done += n;
    }
  return TRUE;
}

/* All bytes are in: the part file becomes the package only with the promised digest. */
static gboolean
finish_download (Download *download, GError **error)
{
  g_autofree char *digest = ff_agent_hasher_finish_hex (download->hasher);
  g_autofree char *dir = g_path_get_dirname (download->dest_path);
  gint64 size = download->offset;

  if (fsync (download->fd) != 0)
    return io_error (error, download->part_path, errno);
  close (download->fd);
  download->fd = -1;
  if (size != download->size || !g_str_equal (digest, download->sha256))
    {
      g_unlink (download->part_path);
      g_unlink (download->validator_path);
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_REFUSED,
                   _("The downloaded package (%lld bytes, SHA-256 %s) is not the one the command "
                     "names."), (long long) size, digest);
      return FALSE;
    }
  if (g_rename (download->part_path, download->dest_path) != 0)
    return io_error (error, download->dest_path, errno);
  g_unlink (download->validator_path);
  if (!ff_fsync_directory (dir, error))
    return FALSE;
  ff_agent_fault_download_renamed ();
  return TRUE;
}

/* In the main context: the latest count the thread handed over. */
static gboolean
report_progress (gpointer user_data)
{
  Download *download = g_task_get_task_data (user_data);
  gint64 bytes;

  g_mutex_lock (&download->lock);
  bytes = download->reported;
  /* Not when the thread replaced this report by an immediate one meanwhile. */
  if (download->report == g_main_current_source ())
    g_clear_pointer (&download->report, g_source_unref);
  download->report_time = g_get_monotonic_time ();
  g_mutex_unlock (&download->lock);
  download->progress (bytes, download->size, download->progress_data);
  return G_SOURCE_REMOVE;
}

/* In the thread: hands @bytes to the main context. One report waits there at a time (a waiting
 * report is only updated), REPORT_INTERVAL_USEC after the last one, or at once with @now (the
 * end of the body: before the task's own result). Handing over every read woke the main loop
 * for nearly each 16 KiB, some 0.02 s of CPU per 64 MiB; a report per full buffer only would not
 * report the last bytes before a stalled connection. The report holds a reference to the task. */
static void
queue_progress (GTask *task, Download *download, gint64 bytes, gboolean now)
{
  gint64 wait;

  if (download->progress == NULL)
    return;
  g_mutex_lock (&download->lock);
  download->reported = bytes;
  if (now && download->report != NULL)
    {
      g_source_destroy (download->report);
      g_clear_pointer (&download->report, g_source_unref);
    }
  if (download->report == NULL)
    {
      wait = now ? 0 : download->report_time + REPORT_INTERVAL_USEC - g_get_monotonic_time ();
      download->report = wait > 0 ? g_timeout_source_new (wait / 1000 + 1) : g_idle_source_new ();
      /* The default priority, as the task's result: the last report comes before it. */
      g_source_set_priority (download->report, G_PRIORITY_DEFAULT);
      g_source_set_callback (download->report, report_progress, g_object_ref (task),
                             g_object_unref);
      g_source_attach (download->report, download->context);
    }
  g_mutex_unlock (&download->lock);
}

/* Writes the @length bytes just read into the hasher's buffer @data at the part file's end, then
 * hands them to the hasher. */
static gboolean
write_chunk (Download *download, const guint8 *data, gsize length, GError **error)
{
  gint64 cut = ff_agent_fault_download_cut_bytes ();
  gint64 start = download->offset;
  gsize written = 0;

  while (written < length)
    {
      gssize n = write (download->fd, data + written, length - written);

      if (n < 0)
        return io_error (error, download->part_path, errno);
      written += n;
    }
  ff_agent_hasher_push (download->hasher, length);
  download->offset += length;
  download->unsynced += length;
  if (download->unsynced >= WRITEBACK_INTERVAL)
    {
      sync_file_range (download->fd, download->offset - download->unsynced, download->unsynced,
                       SYNC_FILE_RANGE_WRITE);
      download->unsynced = 0;
    }
  if (cut >= 0 && start < cut && download->offset >= cut)
    ff_agent_fault_power_cut ();
  return TRUE;
}

/* The answer's headers: where the body starts in the part file (a resumed range or all of it). */
static gboolean
start_body (Download *download, GError **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (download->message);
  guint status = soup_message_get_status (download->message);
  const char *validator;

  if (!check_peer (download->pinned_der, download->message, error))
    return FALSE;
  /* One line per download: what the TLS layer chose (bench-agent compares it with curl's). */
  g_message ("download: HTTP %u from byte %lld, %s", status, (long long) download->offset,
             soup_message_get_tls_ciphersuite_name (download->message));
  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      goffset start, end, total;

      if (!soup_message_headers_get_content_range (headers, &start, &end, &total)
          || start != download->offset)
        {
          g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                       _("The platform answered the resumed download with another range."));
          return FALSE;
        }
      if (!hash_file (download, download->part_path, download->offset, error))
        return FALSE;
    }
  else if (status == SOUP_STATUS_OK)
    {
      /* A whole new body: the validator did not match (or there was no part file). */
      download->offset = 0;
      download->resumed = FALSE;
      if (ftruncate (download->fd, 0) != 0)
        return io_error (error, download->part_path, errno);
      validator = soup_message_headers_get_one (headers, "ETag");
      if (validator == NULL)
        validator = soup_message_headers_get_one (headers, "Last-Modified");
      g_unlink (download->validator_path);
      if (validator != NULL
          && !ff_agent_write_file (download->validator_path, validator, -1, error))
        return FALSE;
    }
  else
    {
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                   _("The platform answered the package download with HTTP %u %s."), status,
                   soup_message_get_reason_phrase (download->message));
      return FALSE;
    }
  if (lseek (download->fd, download->offset, SEEK_SET) < 0)
    return io_error (error, download->part_path, errno);
  return TRUE;
}

/* Reads the body into the part file, READ_CHUNK at a time (the platform's 16 KiB TLS records
 * gathered into one write); TRUE at its end. The progress counts the bytes received, which go to
 * the part file even when the connection breaks before the buffer is full. */
static gboolean
read_body (GTask *task, Download *download, GInputStream *body, GCancellable *cancellable,
           GError **error)
{
  while (TRUE)
    {
      guint8 *buffer = ff_agent_hasher_get_buffer (download->hasher);
      gsize length = 0;
      gssize n = 1;

      while (length < READ_CHUNK
             && (n = g_input_stream_read (body, buffer + length, READ_CHUNK - length,
                                          cancellable, error)) > 0)
        {
          length += n;
          queue_progress (task, download, download->offset + length, FALSE);
        }
      if (download->offset + (gint64) length > download->size
          || (n == 0 && download->offset + (gint64) length < download->size))
        {
          g_clear_error (error);
          g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                       _("The platform sent %lld bytes of a package of %lld."),
                       (long long) (download->offset + length), (long long) download->size);
          return FALSE;
        }
      if (n < 0)
        {
          /* A broken connection: what was read before it is kept, so the resume does not fetch
           * it again. */
          write_chunk (download, buffer, length, NULL);
          return FALSE;
        }
      if (!write_chunk (download, buffer, length, error))
        return FALSE;
      if (n == 0)
        {
          queue_progress (task, download, download->offset, TRUE);
          return TRUE;
        }
    }
}

/* One request: its body into the part file, which becomes the package with the digest. */
static gboolean
fetch (GTask *task, Download *download, GCancellable *cancellable, GError **error)
{
  g_autoptr(GInputStream) body = soup_session_send (download->session, download->message,
                                                    cancellable, error);

  if (body == NULL || !start_body (download, error)
      || !read_body (task, download, body, cancellable, error))
    return FALSE;
  /* The end of the body: the connection goes back to the session (closed at _finish). */
  g_input_stream_close (body, NULL, NULL);
  return finish_download (download, error);
}

/* After a refused resumed download (finish_download removed the part file and its validator):
 * an empty part file and a request for the whole file, without Range. */
static gboolean
restart_from_zero (Download *download, GError **error)
{
  download->resumed = FALSE;
  download->offset = 0;
  download->unsynced = 0;
  g_free (ff_agent_hasher_finish_hex (download->hasher));
  download->fd = open (download->part_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (download->fd < 0)
    return io_error (error, download->part_path, errno);
  g_clear_object (&download->message);
  download->message = new_signed_message (download->terminal_key, download->device_id,
                                          download->pinned_der, "GET", download->url, NULL, NULL,
                                          error);
  return download->message != NULL;
}

/* The download's result (@error NULL: done). Its hasher — buffers and thread — goes first: the
 * agent's next steps (verifying, a slot write) run in the task's callback, while the task and
 * what it holds still live. */
static void
download_return (GTask *task, GError *error)
{
  Download *download = g_task_get_task_data (task);

  g_clear_pointer (&download->hasher, ff_agent_hasher_free);
  if (error == NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
download_thread (GTask *task, gpointer source_object, gpointer task_data,
                 GCancellable *cancellable)
{
  Download *download = task_data;
  GError *error = NULL;
  /* A part file complete before a power cut needs no request, only its digest. */
  gboolean done = download->offset == download->size
                  ? hash_file (download, download->part_path, download->size, &error)
                    && finish_download (download, &error)
                  : fetch (task, download, cancellable, &error);

  /* The bytes kept from before may be what is wrong, not the platform's: a power cut can leave a
   * part file its size with zeros at its end (the file system kept the size, not the data). The
   * file is downloaded once more from its start; only a whole download that does not match
   * refuses the command. */
  if (!done && download->resumed
      && g_error_matches (error, FF_AGENT_ERROR, FF_AGENT_ERROR_REFUSED))
    {
      g_message ("download: %s Downloading it again from its start.", error->message);
      g_clear_error (&error);
      done = restart_from_zero (download, &error) && fetch (task, download, cancellable, &error);
    }
  /* The hasher's thread is joined, and this one (GTask's) gives back its OpenSSL state, before
   * the result goes: the agent may exit as soon as it has it. */
  g_clear_pointer (&download->hasher, ff_agent_hasher_free);
  ff_crypto_thread_done ();
  download_return (task, done ? NULL : error);
}

/* The package itself already there, with the command's size and SHA-256: the download completed
 * before the agent stopped or lost power, between the rename and the record's next state. It is
 * used as it is (a terminal on a metered link does not pay for it twice); anything else there is
 * removed and downloaded again. */
static gboolean
package_in_place (Download *download)
{
  g_autofree char *digest = NULL;
  struct stat info;
  gboolean complete;

  download->fd = open (download->dest_path, O_RDONLY | O_CLOEXEC);
  if (download->fd < 0)
    return FALSE;
  complete = fstat (download->fd, &info) == 0 && info.st_size == download->size
             && hash_file (download, download->dest_path, download->size, NULL);
  close (download->fd);
  download->fd = -1;
  digest = ff_agent_hasher_finish_hex (download->hasher);
  if (complete && g_str_equal (digest, download->sha256))
    return TRUE;
  g_unlink (download->dest_path);
  return FALSE;
}

void
ff_agent_https_download_async (FfAgentHttps *https, const char *url, const char *dest_path,
                               gint64 size, const char *sha256, FfAgentDownloadProgress progress,
                               gpointer progress_data, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Download *download = g_new0 (Download, 1);
  g_autofree char *validator = NULL;
  g_autofree char *dir = g_path_get_dirname (dest_path);
  GError *error = NULL;
  struct stat info;

  download->session = g_object_ref (https->session);
  download->pinned_der = g_bytes_ref (https->pinned_der);
  download->terminal_key = ff_key_ref (https->terminal_key);
  download->device_id = g_strdup (https->device_id);
  download->url = g_strdup (url);
  download->dest_path = g_strdup (dest_path);
  download->part_path = g_strconcat (dest_path, ".part", NULL);
  download->validator_path = g_strconcat (dest_path, ".part.validator", NULL);
  download->size = size;
  download->sha256 = g_strdup (sha256);
  download->context = g_main_context_ref_thread_default ();
  download->progress = progress;
  download->progress_data = progress_data;
  g_mutex_init (&download->lock);
  download->fd = -1;
  download->hasher = ff_agent_hasher_new ();
  g_task_set_task_data (task, download, (GDestroyNotify) download_free);
  /* Once the package is in place the download succeeded: a stop that cancels it after the rename
   * (its result not yet in the main loop) must not turn it into "cancelled". The body's reads
   * are cancelled by the cancellable itself. */
  g_task_set_check_cancellable (task, FALSE);

  if (package_in_place (download))
    return download_return (task, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      io_error (&error, dir, errno);
      return download_return (task, error);
    }
  download->fd = open (download->part_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (download->fd < 0 || fstat (download->fd, &info) != 0)
    {
      io_error (&error, download->part_path, errno);
      return download_return (task, error);
    }
  download->offset = info.st_size;
  if (download->offset == size)
    {
      /* Checked in the thread; a second request made there finds the TLS database set. */
      download->resumed = TRUE;
      use_pinned_database (https);
      return g_task_run_in_thread (task, download_thread);
    }
  /* Made here, in the session's thread: the first request sets the session's TLS database. */
  download->message = ff_agent_https_new_message (https, "GET", url, NULL, NULL, &error);
  if (download->message == NULL)
    return download_return (task, error);
  /* Resume only what the same file on the platform continues (If-Range); otherwise the platform
   * sends the whole file again and the part is overwritten. */
  g_file_get_contents (download->validator_path, &validator, NULL, NULL);
  if (download->offset > 0 && download->offset < size && validator != NULL)
    {
      SoupMessageHeaders *headers = soup_message_get_request_headers (download->message);

      soup_message_headers_set_range (headers, download->offset, -1);
      soup_message_headers_replace (headers, "If-Range", validator);
      download->resumed = TRUE;
    }
  else
    download->offset = 0;
  g_task_run_in_thread (task, download_thread);
}

gboolean
ff_agent_https_download_finish (FfAgentHttps *https, GAsyncResult *result, GError **error)
{
  /* The connection is not kept for a next request, which is hours away: an idle TLS connection
   * holds GnuTLS's session and record buffers in memory until the session's idle timeout. */
  soup_session_abort (https->session);
  return g_task_propagate_boolean (G_TASK (result), error);
}
