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
#include "ff-agent-files.h"

/* One buffer, reused: reads as large as the TLS layer hands over, no allocation per read. Four of
 * the platform's 16 KiB TLS records: a larger buffer (256 KiB before) adds to the peak memory and
 * saves only trips through the main loop, a few microseconds each. */
#define READ_CHUNK (64 * 1024)
/* Writeback of the written bytes is started this often (without waiting for it), so a power cut
 * loses little of a long download; waiting for a sync here (fdatasync) cut the throughput by half
 * or more on a loaded disk. The whole file is synced once it is complete. */
#define WRITEBACK_INTERVAL (4 * 1024 * 1024)

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
                           GTlsCertificateFlags errors, FfAgentHttps *https)
{
  g_autoptr(GByteArray) der = NULL;

  g_object_get (certificate, "certificate", &der, NULL);
  return der != NULL && der->len == g_bytes_get_size (https->pinned_der)
         && memcmp (der->data, g_bytes_get_data (https->pinned_der, NULL), der->len) == 0;
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
  GTlsCertificate *peer = soup_message_get_tls_peer_certificate (message);

  if (peer != NULL && accept_pinned_certificate (message, peer, 0, https))
    return TRUE;
  g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
               _("The platform’s certificate is not the pinned one."));
  return FALSE;
}

SoupMessage *
ff_agent_https_new_message (FfAgentHttps *https, const char *method, const char *url,
                            GBytes *body, const char *content_type, GError **error)
{
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  g_autofree char *authorization = NULL;

  if (message == NULL)
    {
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                   _("“%s” is not a valid platform URL."), url);
      return NULL;
    }
  use_pinned_database (https);
  authorization = ff_agent_https_authorization (https->terminal_key, https->device_id, method,
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
  g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_pinned_certificate), https);
  return g_steal_pointer (&message);
}

typedef struct
{
  FfAgentHttps *https;
  char *dest_path;
  char *part_path;
  char *validator_path;
  gint64 size;
  char *sha256;
  FfAgentDownloadProgress progress;
  gpointer progress_data;
  SoupMessage *message;
  GInputStream *body;
  guint8 *buffer;
  /* The digest of the part file's bytes so far: hashed as they are written, so the complete file
   * is not read back. */
  FfSha256 *hash;
  int fd;
  gint64 offset;
  gint64 unsynced;
} Download;

static void
download_free (Download *download)
{
  if (download->fd >= 0)
    close (download->fd);
  g_free (download->dest_path);
  g_free (download->part_path);
  g_free (download->validator_path);
  g_free (download->sha256);
  g_clear_object (&download->message);
  g_clear_object (&download->body);
  g_free (download->buffer);
  ff_sha256_free (download->hash);
  g_free (download);
}

static void
return_io_error (GTask *task, const char *path, int saved_errno)
{
  g_task_return_new_error (task, FF_AGENT_ERROR, FF_AGENT_ERROR_IO, "%s: %s", path,
                           g_strerror (saved_errno));
}

/* Starts the digest again with the first @length bytes the part file already holds (a resumed
 * download, or a part file complete before a power cut). */
static gboolean
hash_part (Download *download, gint64 length, int *saved_errno)
{
  gint64 done = 0;

  g_free (ff_sha256_finish_hex (download->hash));
  while (done < length)
    {
      gssize n = pread (download->fd, download->buffer, MIN (READ_CHUNK, length - done), done);

      if (n <= 0)
        {
          *saved_errno = n < 0 ? errno : EIO;
          return FALSE;
        }
      ff_sha256_update (download->hash, download->buffer, n);
      done += n;
    }
  return TRUE;
}

/* All bytes are in: the part file becomes the package only with the promised digest. */
static void
finish_download (GTask *task)
{
  Download *download = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *digest = ff_sha256_finish_hex (download->hash);
  g_autofree char *dir = g_path_get_dirname (download->dest_path);
  gint64 size = download->offset;

  if (fsync (download->fd) != 0)
    return return_io_error (task, download->part_path, errno);
  close (download->fd);
  download->fd = -1;
  if (size != download->size || !g_str_equal (digest, download->sha256))
    {
      g_unlink (download->part_path);
      g_unlink (download->validator_path);
      return g_task_return_new_error (task, FF_AGENT_ERROR, FF_AGENT_ERROR_REFUSED,
                                      _("The downloaded package (%lld bytes, SHA-256 %s) is "
                                        "not the one the command names."),
                                      (long long) size, digest);
    }
  if (g_rename (download->part_path, download->dest_path) != 0)
    return return_io_error (task, download->dest_path, errno);
  g_unlink (download->validator_path);
  if (!ff_agent_sync_dir (dir, &error))
    return g_task_return_error (task, g_steal_pointer (&error));
  g_task_return_boolean (task, TRUE);
}

/* Writes @length bytes just read at the part file's end, hashing them; FALSE with errno set. */
static gboolean
write_chunk (Download *download, const guint8 *data, gsize length)
{
  while (length > 0)
    {
      gssize n = write (download->fd, data, length);

      if (n < 0)
        return FALSE;
      ff_sha256_update (download->hash, data, n);
      data += n;
      length -= n;
      download->offset += n;
      download->unsynced += n;
    }
  if (download->unsynced >= WRITEBACK_INTERVAL)
    {
      sync_file_range (download->fd, download->offset - download->unsynced, download->unsynced,
                       SYNC_FILE_RANGE_WRITE);
      download->unsynced = 0;
    }
  return TRUE;
}

static gboolean on_readable (GObject *stream, gpointer user_data);

/* Waits (in the main loop) until the body can be read; the one source serves the whole body
 * (on_readable keeps it until the end): a pollable source of a TLS stream is several GSources
 * and objects, and making one per trip cost a tenth of the agent's CPU in a download. */
static void
wait_readable (GTask *task)
{
  Download *download = g_task_get_task_data (task);
  g_autoptr(GSource) source = g_pollable_input_stream_create_source (
    G_POLLABLE_INPUT_STREAM (download->body), g_task_get_cancellable (task));

  g_source_set_callback (source, (GSourceFunc) (GCallback) on_readable, task, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
}

/* Reads what the TLS layer has, without blocking, until the buffer is full: the platform's 16 KiB
 * TLS records are gathered into one write (and one trip through the main loop) per READ_CHUNK
 * instead of one each. */
static gboolean
on_readable (GObject *stream, gpointer user_data)
{
  GTask *task = user_data;
  Download *download = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  gboolean end = FALSE;

  while (length < READ_CHUNK)
    {
      gssize n = g_pollable_input_stream_read_nonblocking (
        G_POLLABLE_INPUT_STREAM (download->body), download->buffer + length, READ_CHUNK - length,
        g_task_get_cancellable (task), &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          break;
        }
      if (n < 0)
        {
          /* A broken connection: what was read before it is kept, so the resume does not fetch
           * it again. */
          if (download->offset + (gint64) length <= download->size)
            write_chunk (download, download->buffer, length);
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return G_SOURCE_REMOVE;
        }
      if (n == 0)
        {
          end = TRUE;
          break;
        }
      length += n;
    }
  if (download->offset + (gint64) length > download->size
      || (end && download->offset + (gint64) length < download->size))
    g_task_return_new_error (task, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                             _("The platform sent %lld bytes of a package of %lld."),
                             (long long) (download->offset + length),
                             (long long) download->size);
  else if (!write_chunk (download, download->buffer, length))
    return_io_error (task, download->part_path, errno);
  else
    {
      if (length > 0 && download->progress != NULL)
        download->progress (download->offset, download->size, download->progress_data);
      if (end)
        finish_download (task);
      else
        return G_SOURCE_CONTINUE;
    }
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
on_response (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Download *download = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  guint status;
  const char *validator;
  int saved_errno = 0;

  download->body = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (download->body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  if (!ff_agent_https_check_peer (download->https, download->message, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  status = soup_message_get_status (download->message);
  headers = soup_message_get_response_headers (download->message);
  /* One line per download: what the TLS layer chose (bench-agent compares it with curl's). */
  g_message ("download: HTTP %u from byte %lld, %s", status, (long long) download->offset,
             soup_message_get_tls_ciphersuite_name (download->message));
  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      goffset start, end, total;

      if (!soup_message_headers_get_content_range (headers, &start, &end, &total)
          || start != download->offset)
        {
          g_task_return_new_error (task, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                                   _("The platform answered the resumed download with another "
                                     "range."));
          g_object_unref (task);
          return;
        }
      if (!hash_part (download, download->offset, &saved_errno))
        {
          return_io_error (task, download->part_path, saved_errno);
          g_object_unref (task);
          return;
        }
    }
  else if (status == SOUP_STATUS_OK)
    {
      /* A whole new body: the validator did not match (or there was no part file). */
      download->offset = 0;
      if (ftruncate (download->fd, 0) != 0)
        {
          return_io_error (task, download->part_path, errno);
          g_object_unref (task);
          return;
        }
      validator = soup_message_headers_get_one (headers, "ETag");
      if (validator == NULL)
        validator = soup_message_headers_get_one (headers, "Last-Modified");
      g_unlink (download->validator_path);
      if (validator != NULL
          && !ff_agent_write_file (download->validator_path, validator, -1, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
    }
  else
    {
      g_task_return_new_error (task, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                               _("The platform answered the package download with HTTP %u %s."),
                               status, soup_message_get_reason_phrase (download->message));
      g_object_unref (task);
      return;
    }
  if (lseek (download->fd, download->offset, SEEK_SET) < 0)
    {
      return_io_error (task, download->part_path, errno);
      g_object_unref (task);
      return;
    }
  wait_readable (task);
}

void
ff_agent_https_download_async (FfAgentHttps *https, const char *url, const char *dest_path,
                               gint64 size, const char *sha256, FfAgentDownloadProgress progress,
                               gpointer progress_data, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Download *download = g_new0 (Download, 1);
  g_autofree char *validator = NULL;
  g_autofree char *dir = g_path_get_dirname (dest_path);
  g_autoptr(GError) error = NULL;
  struct stat info;
  int saved_errno = 0;

  download->https = https;
  download->dest_path = g_strdup (dest_path);
  download->part_path = g_strconcat (dest_path, ".part", NULL);
  download->validator_path = g_strconcat (dest_path, ".part.validator", NULL);
  download->size = size;
  download->sha256 = g_strdup (sha256);
  download->progress = progress;
  download->progress_data = progress_data;
  download->fd = -1;
  download->buffer = g_malloc (READ_CHUNK);
  download->hash = ff_sha256_new ();
  g_task_set_task_data (task, download, (GDestroyNotify) download_free);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      return_io_error (task, dir, errno);
      g_object_unref (task);
      return;
    }
  download->fd = open (download->part_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (download->fd < 0 || fstat (download->fd, &info) != 0)
    {
      return_io_error (task, download->part_path, errno);
      g_object_unref (task);
      return;
    }
  download->offset = info.st_size;
  if (download->offset == size)
    {
      if (hash_part (download, size, &saved_errno))
        finish_download (task);
      else
        return_io_error (task, download->part_path, saved_errno);
      g_object_unref (task);
      return;
    }
  download->message = ff_agent_https_new_message (https, "GET", url, NULL, NULL, &error);
  if (download->message == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  /* Resume only what the same file on the platform continues (If-Range); otherwise the platform
   * sends the whole file again and the part is overwritten. */
  g_file_get_contents (download->validator_path, &validator, NULL, NULL);
  if (download->offset > 0 && download->offset < size && validator != NULL)
    {
      SoupMessageHeaders *headers = soup_message_get_request_headers (download->message);

      soup_message_headers_set_range (headers, download->offset, -1);
      soup_message_headers_replace (headers, "If-Range", validator);
    }
  else
    download->offset = 0;
  soup_session_send_async (https->session, download->message, G_PRIORITY_DEFAULT, cancellable,
                           on_response, task);
}

gboolean
ff_agent_https_download_finish (FfAgentHttps *https, GAsyncResult *result, GError **error)
{
  /* The connection is not kept for a next request, which is hours away: an idle TLS connection
   * holds GnuTLS's session and record buffers in memory until the session's idle timeout. */
  soup_session_abort (https->session);
  return g_task_propagate_boolean (G_TASK (result), error);
}
