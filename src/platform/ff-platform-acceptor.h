/* Accepting the tablets' connections before libsoup sees them: a limit per client address, TLS
 * handshakes driven by the main loop and cut off at a deadline, and a deadline for each request
 * head. Runs in the main context. */
#pragma once

#include "ff-platform-tls.h"

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Seconds a client has from connecting to the end of its TLS handshake. */
#define FF_ACCEPTOR_HANDSHAKE_SECONDS 30
/* Seconds a client has to send a whole request head, from the end of the handshake. */
#define FF_ACCEPTOR_HEAD_SECONDS 30
/* After the head, the body must come within FF_ACCEPTOR_HEAD_SECONDS and a second for every this
 * many bytes of it (as its Content-Length says; a chunked body counts as large as a report may
 * be): slow enough for a poor mobile link, but a body sent byte by byte is cut off. */
#define FF_ACCEPTOR_BODY_BYTES_PER_SECOND 1024
/* A connection is kept alive for at most this many requests, and closed when its client sends
 * nothing for this long after an answer. */
#define FF_ACCEPTOR_REQUESTS_PER_CONNECTION 100
#define FF_ACCEPTOR_IDLE_SECONDS 10

typedef struct _FfPlatformAcceptor FfPlatformAcceptor;

/* Hands the connections it accepts to @soup, over @tls (NULL: plain HTTP; it must outlive the
 * acceptor), at most @max_per_address at a time from one client address. */
FfPlatformAcceptor *ff_platform_acceptor_new    (SoupServer         *soup,
                                                 FfPlatformTls      *tls,
                                                 guint               max_per_address);
void                ff_platform_acceptor_free   (FfPlatformAcceptor *self);
/* Listens on "HOST:PORT" (an IP address; port 0 picks one) and returns the base URI it serves,
 * such as "https://127.0.0.1:8443". Plain HTTP is refused unless HOST is a loopback address. */
char               *ff_platform_acceptor_listen (FfPlatformAcceptor *self,
                                                 const char         *address,
                                                 GError            **error);
/* Connections open now, and refused so far for their address's limit. */
guint               ff_platform_acceptor_get_open    (FfPlatformAcceptor *self);
guint64             ff_platform_acceptor_get_refused (FfPlatformAcceptor *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfPlatformAcceptor, ff_platform_acceptor_free)

G_END_DECLS
