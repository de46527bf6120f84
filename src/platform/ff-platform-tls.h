/* The platform's TLS (OpenSSL): TLS 1.2 and 1.3 only, ECDHE key exchange, and a stream whose
 * handshake, reads and writes never block, so no thread waits on a client (see
 * ff-platform-acceptor.c). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _FfPlatformTls FfPlatformTls;

typedef enum
{
  FF_PLATFORM_TLS_DONE,
  FF_PLATFORM_TLS_WAIT,         /* call again when the socket is ready for *wait_for */
  FF_PLATFORM_TLS_FAILED,
} FfPlatformTlsStep;

/* The certificate chain and private key of the server, both PEM files. */
FfPlatformTls     *ff_platform_tls_new            (const char         *cert_path,
                                                   const char         *key_path,
                                                   GError            **error);
void               ff_platform_tls_free           (FfPlatformTls      *tls);
/* A server-side TLS stream over @base; ff_platform_tls_handshake() must be DONE before it is
 * read or written. Its input and output streams are pollable. */
GIOStream         *ff_platform_tls_wrap           (FfPlatformTls      *tls,
                                                   GSocketConnection  *base);
/* Advances the handshake of @stream as far as the socket allows, without blocking. */
FfPlatformTlsStep  ff_platform_tls_handshake      (GIOStream          *stream,
                                                   GIOCondition       *wait_for);

/* For a kept-alive connection between two requests, @stream being one of ours or a plain
 * GSocketConnection: DONE when the client has sent bytes of its next request (left unread), WAIT
 * while it has sent nothing (call again when the socket is ready for *wait_for), FAILED when it
 * closed the connection or the connection broke (or @stream is of another kind). */
FfPlatformTlsStep  ff_platform_stream_peek        (GIOStream          *stream,
                                                   GIOCondition       *wait_for);
/* The socket under @stream (ours or a plain GSocketConnection). */
GSocket           *ff_platform_stream_get_socket  (GIOStream          *stream);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfPlatformTls, ff_platform_tls_free)

G_END_DECLS
