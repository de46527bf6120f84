/* An HTTP answer built in a worker thread, applied to its message in the main thread: the
 * platform's API and the console's share it, and so every error body is {"error": "…"}. */
#pragma once

#include "ff-platform-error.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint       status;
  const char *route;            /* the metrics label */
  const char *content_type;
  GBytes     *body;
  GPtrArray  *headers;          /* name, value, name, value… */
} FfReply;

FfReply *ff_reply_new        (const char   *route);
void     ff_reply_free       (FfReply      *reply);
void     ff_reply_add_header (FfReply      *reply,
                              const char   *name,
                              const char   *value);
/* Each of these sets the status and body of @reply and returns it. */
FfReply *ff_reply_json       (FfReply      *reply,
                              guint         status,
                              JsonBuilder  *builder);
/* {"error": @message}; the message is for people, translated on the server. */
FfReply *ff_reply_error      (FfReply      *reply,
                              guint         status,
                              const char   *message);
/* The error's message with the status its code maps to (ff_platform_error_to_http_status). */
FfReply *ff_reply_gerror     (FfReply      *reply,
                              const GError *error);
FfReply *ff_reply_bytes      (FfReply      *reply,
                              guint         status,
                              const char   *content_type,
                              GBytes       *body);

/* A new reply for @route: 405, that method is not allowed, with the Allow header RFC 9110
 * requires: @allow lists the methods the route accepts ("GET, HEAD"). */
FfReply *ff_reply_not_allowed (const char  *route,
                               const char  *allow);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfReply, ff_reply_free)

G_END_DECLS
