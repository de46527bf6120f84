/* Refusing a request libsoup is still reading: the connection is taken over and answered. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Answers @message with @status and the JSON @body before its request body has been read, which
 * libsoup cannot do: it reads a whole body before anyone may answer. Call it from a got-headers or
 * got-chunk handler: reading stops at once, and from the main loop the connection is taken from
 * libsoup, answered (with Connection: close) and closed. */
void ff_platform_refuse_request (SoupServerMessage *message,
                                 guint              status,
                                 GBytes            *body);

G_END_DECLS
