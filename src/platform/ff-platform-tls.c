/* The platform's TLS (OpenSSL): TLS 1.2 and 1.3 only, ECDHE key exchange, and a stream whose
 * handshake, reads and writes never block, so no thread waits on a client (see
 * ff-platform-acceptor.c).
 *
 * glib-networking would do a server handshake in a thread of GTask's shared pool and block it
 * until the client answers: a burst of tablets on slow links, or a client that sends its
 * ClientHello and no more, held every thread of that pool. OpenSSL on a non-blocking socket
 * lets the main loop drive each step instead. */
#include "config.h"

#include "ff-platform-tls.h"

#include "ff-platform-error.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

/* TLS 1.2 suites with ephemeral elliptic-curve key exchange and an AEAD cipher; TLS 1.3 suites
 * are all ephemeral, and the groups below keep their key exchange on elliptic curves. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"
#define TLS_GROUPS "X25519:P-256:P-384"

struct _FfPlatformTls
{
  SSL_CTX *context;
};

/* What the stream and its two halves share; freed with the last of them. */
typedef struct
{
  SSL          *ssl;
  GSocket      *socket;
  GIOCondition  want;           /* what the last operation that could not go on waits for */
} Core;

static void
core_clear (Core *core)
{
  SSL_free (core->ssl);
  g_object_unref (core->socket);
}

static Core *
core_ref (Core *core)
{
  return g_atomic_rc_box_acquire (core);
}

static void
core_unref (Core *core)
{
  g_atomic_rc_box_release_full (core, (GDestroyNotify) core_clear);
}

/* The outcome of an SSL call that returned @ret ≤ 0 (with @saved_errno after it): 0 at the end
 * of the stream, or -1 with @error, G_IO_ERROR_WOULD_BLOCK when the socket is not ready yet
 * (core->want then says for what). */
static gssize
ssl_failure (Core    *core,
             int      ret,
             int      saved_errno,
             GError **error)
{
  int code = SSL_get_error (core->ssl, ret);
  char detail[256] = "";

  switch (code)
    {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      core->want = code == SSL_ERROR_WANT_READ ? G_IO_IN : G_IO_OUT;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                           _("The operation would block"));
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error () == 0 && saved_errno == 0)
        return 0;
      if (ERR_peek_error () == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               g_strerror (saved_errno));
          return -1;
        }
      break;
    default:
      break;
    }
  ERR_error_string_n (ERR_get_error (), detail, sizeof detail);
  ERR_clear_error ();
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("TLS error: %s"), detail);
  return -1;
}

/* Reads into or writes from @buffer; when @blocking, waits (cancellably) for the socket. */
static gssize
transfer (Core         *core,
          gboolean      writing,
          void         *buffer,
          gsize         count,
          gboolean      blocking,
          GCancellable *cancellable,
          GError      **error)
{
  int length = (int) MIN (count, G_MAXINT);

  if (count == 0)
    return 0;
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gssize outcome;
      int ret;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return -1;
      /* OpenSSL holds the descriptor's number, which may belong to another socket by now. */
      if (g_socket_is_closed (core->socket))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, _("The connection is closed"));
          return -1;
        }
      ERR_clear_error ();
      errno = 0;
      ret = writing ? SSL_write (core->ssl, buffer, length) : SSL_read (core->ssl, buffer, length);
      if (ret > 0)
        return ret;
      outcome = ssl_failure (core, ret, errno, &local_error);
      if (outcome == 0 || !blocking
          || !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          if (local_error != NULL)
            g_propagate_error (error, g_steal_pointer (&local_error));
          return outcome;
        }
      if (!g_socket_condition_wait (core->socket, core->want, cancellable, error))
        return -1;
    }
}

/* A source that triggers when @core can go on reading (or writing): at once when OpenSSL holds
 * data already read from the socket. */
static GSource *
core_create_source (Core         *core,
                    GObject      *pollable,
                    GIOCondition  condition,
                    GCancellable *cancellable)
{
  g_autoptr(GSource) child = NULL;

  if (condition == G_IO_IN && SSL_has_pending (core->ssl))
    child = g_timeout_source_new (0);
  else
    child = g_socket_create_source (core->socket, condition, NULL);
  return g_pollable_source_new_full (pollable, child, cancellable);
}

/* Input */

#define FF_TYPE_TLS_INPUT (ff_tls_input_get_type ())
G_DECLARE_FINAL_TYPE (FfTlsInput, ff_tls_input, FF, TLS_INPUT, GInputStream)

struct _FfTlsInput
{
  GInputStream  parent_instance;
  Core         *core;
};

static void ff_tls_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FfTlsInput, ff_tls_input, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      ff_tls_input_pollable_init))

static gssize
ff_tls_input_read (GInputStream  *stream,
                   void          *buffer,
                   gsize          count,
                   GCancellable  *cancellable,
                   GError       **error)
{
  return transfer (FF_TLS_INPUT (stream)->core, FALSE, buffer, count, TRUE, cancellable, error);
}

static gssize
ff_tls_input_read_nonblocking (GPollableInputStream *stream,
                               void                 *buffer,
                               gsize                 count,
                               GError              **error)
{
  return transfer (FF_TLS_INPUT (stream)->core, FALSE, buffer, count, FALSE, NULL, error);
}

static gboolean
ff_tls_input_is_readable (GPollableInputStream *stream)
{
  Core *core = FF_TLS_INPUT (stream)->core;

  return SSL_has_pending (core->ssl) || g_socket_condition_check (core->socket, G_IO_IN) != 0;
}

static GSource *
ff_tls_input_create_source (GPollableInputStream *stream,
                            GCancellable         *cancellable)
{
  return core_create_source (FF_TLS_INPUT (stream)->core, G_OBJECT (stream), G_IO_IN,
                             cancellable);
}

static void
ff_tls_input_finalize (GObject *object)
{
  core_unref (FF_TLS_INPUT (object)->core);
  G_OBJECT_CLASS (ff_tls_input_parent_class)->finalize (object);
}

static void
ff_tls_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->is_readable = ff_tls_input_is_readable;
  iface->create_source = ff_tls_input_create_source;
  iface->read_nonblocking = ff_tls_input_read_nonblocking;
}

static void
ff_tls_input_class_init (FfTlsInputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ff_tls_input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = ff_tls_input_read;
}

static void
ff_tls_input_init (FfTlsInput *self)
{
}

/* Output */

#define FF_TYPE_TLS_OUTPUT (ff_tls_output_get_type ())
G_DECLARE_FINAL_TYPE (FfTlsOutput, ff_tls_output, FF, TLS_OUTPUT, GOutputStream)

struct _FfTlsOutput
{
  GOutputStream  parent_instance;
  Core          *core;
};

static void ff_tls_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FfTlsOutput, ff_tls_output, G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      ff_tls_output_pollable_init))

static gssize
ff_tls_output_write (GOutputStream  *stream,
                     const void     *buffer,
                     gsize           count,
                     GCancellable   *cancellable,
                     GError        **error)
{
  return transfer (FF_TLS_OUTPUT (stream)->core, TRUE, (void *) buffer, count, TRUE, cancellable,
                   error);
}

static gssize
ff_tls_output_write_nonblocking (GPollableOutputStream *stream,
                                 const void            *buffer,
                                 gsize                  count,
                                 GError               **error)
{
  return transfer (FF_TLS_OUTPUT (stream)->core, TRUE, (void *) buffer, count, FALSE, NULL, error);
}

static gboolean
ff_tls_output_is_writable (GPollableOutputStream *stream)
{
  return g_socket_condition_check (FF_TLS_OUTPUT (stream)->core->socket, G_IO_OUT) != 0;
}

static GSource *
ff_tls_output_create_source (GPollableOutputStream *stream,
                             GCancellable          *cancellable)
{
  return core_create_source (FF_TLS_OUTPUT (stream)->core, G_OBJECT (stream), G_IO_OUT,
                             cancellable);
}

static void
ff_tls_output_finalize (GObject *object)
{
  core_unref (FF_TLS_OUTPUT (object)->core);
  G_OBJECT_CLASS (ff_tls_output_parent_class)->finalize (object);
}

static void
ff_tls_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->is_writable = ff_tls_output_is_writable;
  iface->create_source = ff_tls_output_create_source;
  iface->write_nonblocking = ff_tls_output_write_nonblocking;
}

static void
ff_tls_output_class_init (FfTlsOutputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ff_tls_output_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = ff_tls_output_write;
}

static void
ff_tls_output_init (FfTlsOutput *self)
{
}

/* The stream */

#define FF_TYPE_TLS_STREAM (ff_tls_stream_get_type ())
G_DECLARE_FINAL_TYPE (FfTlsStream, ff_tls_stream, FF, TLS_STREAM, GIOStream)

struct _FfTlsStream
{
  GIOStream          parent_instance;
  GSocketConnection *base;
  Core              *core;
  FfTlsInput        *input;
  FfTlsOutput       *output;
};

G_DEFINE_FINAL_TYPE (FfTlsStream, ff_tls_stream, G_TYPE_IO_STREAM)

static GInputStream *
ff_tls_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (FF_TLS_STREAM (stream)->input);
}

static GOutputStream *
ff_tls_stream_get_output_stream (GIOStream *stream)
{
  return G_OUTPUT_STREAM (FF_TLS_STREAM (stream)->output);
}

/* Sends close_notify if the socket takes it at once; the client does not wait for it. */
static gboolean
ff_tls_stream_close (GIOStream     *stream,
                     GCancellable  *cancellable,
                     GError       **error)
{
  FfTlsStream *self = FF_TLS_STREAM (stream);

  if (SSL_is_init_finished (self->core->ssl))
    SSL_shutdown (self->core->ssl);
  ERR_clear_error ();
  /* Marks both halves closed, so that nothing reads or writes the descriptor once it is closed
   * (and perhaps reused). */
  g_input_stream_close (G_INPUT_STREAM (self->input), NULL, NULL);
  g_output_stream_close (G_OUTPUT_STREAM (self->output), NULL, NULL);
  return g_io_stream_close (G_IO_STREAM (self->base), cancellable, error);
}

/* Closing never waits, so it needs no thread (GIOStream's default would take one). */
static void
ff_tls_stream_close_async (GIOStream           *stream,
                           int                  io_priority,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);
  GError *error = NULL;

  if (ff_tls_stream_close (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
ff_tls_stream_close_finish (GIOStream     *stream,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
ff_tls_stream_finalize (GObject *object)
{
  FfTlsStream *self = FF_TLS_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->output);
  core_unref (self->core);
  g_clear_object (&self->base);
  G_OBJECT_CLASS (ff_tls_stream_parent_class)->finalize (object);
}

static void
ff_tls_stream_class_init (FfTlsStreamClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ff_tls_stream_finalize;
  stream_class->get_input_stream = ff_tls_stream_get_input_stream;
  stream_class->get_output_stream = ff_tls_stream_get_output_stream;
  stream_class->close_fn = ff_tls_stream_close;
  stream_class->close_async = ff_tls_stream_close_async;
  stream_class->close_finish = ff_tls_stream_close_finish;
}

static void
ff_tls_stream_init (FfTlsStream *self)
{
}

/* Context */

static FfPlatformTls *
tls_failed (FfPlatformTls *tls,
            const char    *what,
            GError       **error)
{
  char detail[256] = "";

  ERR_error_string_n (ERR_get_error (), detail, sizeof detail);
  ERR_clear_error ();
  g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED, "%s: %s", what, detail);
  ff_platform_tls_free (tls);
  return NULL;
}

FfPlatformTls *
ff_platform_tls_new (const char *cert_path,
                     const char *key_path,
                     GError    **error)
{
  FfPlatformTls *tls = g_new0 (FfPlatformTls, 1);

  tls->context = SSL_CTX_new (TLS_server_method ());
  if (tls->context == NULL
      || !SSL_CTX_set_min_proto_version (tls->context, TLS1_2_VERSION)
      || !SSL_CTX_set_cipher_list (tls->context, TLS12_CIPHERS)
      || !SSL_CTX_set1_groups_list (tls->context, TLS_GROUPS))
    return tls_failed (tls, _("Could not set up TLS"), error);
  /* No renegotiation (a client could make the server redo expensive work at will); the client
   * may end without close_notify, as libsoup's clients do; writes may be partial and retried
   * from another buffer, as GIO's pollable streams do. */
  SSL_CTX_set_options (tls->context, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE
                                     | SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode (tls->context, SSL_MODE_ENABLE_PARTIAL_WRITE
                                  | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file (tls->context, cert_path) != 1)
    return tls_failed (tls, cert_path, error);
  if (SSL_CTX_use_PrivateKey_file (tls->context, key_path, SSL_FILETYPE_PEM) != 1
      || SSL_CTX_check_private_key (tls->context) != 1)
    return tls_failed (tls, key_path, error);
  return tls;
}

void
ff_platform_tls_free (FfPlatformTls *tls)
{
  SSL_CTX_free (tls->context);
  g_free (tls);
}

GIOStream *
ff_platform_tls_wrap (FfPlatformTls     *tls,
                      GSocketConnection *base)
{
  FfTlsStream *stream = g_object_new (FF_TYPE_TLS_STREAM, NULL);
  Core *core = g_atomic_rc_box_new0 (Core);

  core->socket = g_object_ref (g_socket_connection_get_socket (base));
  core->ssl = SSL_new (tls->context);
  g_assert (core->ssl != NULL);
  /* GSocket keeps its descriptor non-blocking, whatever its own blocking property says. */
  SSL_set_fd (core->ssl, g_socket_get_fd (core->socket));
  SSL_set_accept_state (core->ssl);
  stream->base = g_object_ref (base);
  stream->core = core;
  stream->input = g_object_new (FF_TYPE_TLS_INPUT, NULL);
  stream->input->core = core_ref (core);
  stream->output = g_object_new (FF_TYPE_TLS_OUTPUT, NULL);
  stream->output->core = core_ref (core);
  return G_IO_STREAM (stream);
}

FfPlatformTlsStep
ff_platform_tls_handshake (GIOStream    *stream,
                           GIOCondition *wait_for)
{
  Core *core = FF_TLS_STREAM (stream)->core;
  g_autoptr(GError) error = NULL;
  int ret;

  ERR_clear_error ();
  errno = 0;
  ret = SSL_do_handshake (core->ssl);
  if (ret == 1)
    return FF_PLATFORM_TLS_DONE;
  if (ssl_failure (core, ret, errno, &error) < 0
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      *wait_for = core->want;
      return FF_PLATFORM_TLS_WAIT;
    }
  return FF_PLATFORM_TLS_FAILED;
}

FfPlatformTlsStep
ff_platform_stream_peek (GIOStream    *stream,
                         GIOCondition *wait_for)
{
  g_autoptr(GError) error = NULL;
  char byte;

  if (FF_IS_TLS_STREAM (stream))
    {
      Core *core = FF_TLS_STREAM (stream)->core;
      int ret;

      if (g_socket_is_closed (core->socket))
        return FF_PLATFORM_TLS_FAILED;
      ERR_clear_error ();
      errno = 0;
      /* Decrypts the next record into OpenSSL's buffer, where the next read finds it. */
      ret = SSL_peek (core->ssl, &byte, 1);
      if (ret > 0)
        return FF_PLATFORM_TLS_DONE;
      if (ssl_failure (core, ret, errno, &error) < 0
          && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          *wait_for = core->want;
          return FF_PLATFORM_TLS_WAIT;
        }
      return FF_PLATFORM_TLS_FAILED;
    }
  else if (G_IS_SOCKET_CONNECTION (stream))
    {
      GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
      gssize received;

      if (g_socket_is_closed (socket))
        return FF_PLATFORM_TLS_FAILED;
      /* GSocket would wait for the byte (it emulates a blocking socket); recv does not. */
      received = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);

      if (received > 0)
        return FF_PLATFORM_TLS_DONE;
      if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        {
          *wait_for = G_IO_IN;
          return FF_PLATFORM_TLS_WAIT;
        }
      return FF_PLATFORM_TLS_FAILED;
    }
  return FF_PLATFORM_TLS_FAILED;
}

GSocket *
ff_platform_stream_get_socket (GIOStream *stream)
{
  if (FF_IS_TLS_STREAM (stream))
    return FF_TLS_STREAM (stream)->core->socket;
  return g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
}
