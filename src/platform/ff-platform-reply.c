/* An HTTP answer built in a worker thread, applied to its message in the main thread. */
#include "config.h"

#include "ff-platform-reply.h"

#include "ff-document.h"

#include <glib/gi18n-lib.h>

FfReply *
ff_reply_new (const char *route)
{
  FfReply *reply = g_new0 (FfReply, 1);

  reply->route = route;
  reply->headers = g_ptr_array_new_with_free_func (g_free);
  return reply;
}

void
ff_reply_free (FfReply *reply)
{
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_ptr_array_unref (reply->headers);
  g_free (reply);
}

void
ff_reply_add_header (FfReply    *reply,
                     const char *name,
                     const char *value)
{
  g_ptr_array_add (reply->headers, g_strdup (name));
  g_ptr_array_add (reply->headers, g_strdup (value));
}

FfReply *
ff_reply_json (FfReply     *reply,
               guint        status,
               JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  gsize length = 0;
  char *text;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  reply->status = status;
  reply->content_type = "application/json";
  reply->body = g_bytes_new_take (text, length);
  return reply;
}

/* A message may quote what the client sent (an ID from the path or the query, which libsoup
 * hands over percent-decoded, whatever bytes they are): JSON text must be UTF-8, so any other
 * byte becomes U+FFFD. */
FfReply *
ff_reply_error (FfReply    *reply,
                guint       status,
                const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autofree char *text = g_utf8_make_valid (message, -1);

  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "error", text);
  json_builder_end_object (builder);
  return ff_reply_json (reply, status, builder);
}

/* A failure of the platform's own (storage, I/O: 5xx) tells of its files and directories, which
 * are the operator's business, not the client's: the detail goes to the log, the client learns
 * that it failed. A refusal (4xx) says what was wrong with the request. */
FfReply *
ff_reply_gerror (FfReply      *reply,
                 const GError *error)
{
  guint status = ff_platform_error_to_http_status (error);

  if (status < 500)
    return ff_reply_error (reply, status, error->message);
  g_message ("%s: %u: %s", reply->route != NULL ? reply->route : "?", status, error->message);
  return ff_reply_error (reply, status, _("The platform failed to do that; its log says why"));
}

FfReply *
ff_reply_bytes (FfReply    *reply,
                guint       status,
                const char *content_type,
                GBytes     *body)
{
  reply->status = status;
  reply->content_type = content_type;
  reply->body = g_bytes_ref (body);
  return reply;
}

FfReply *
ff_reply_not_allowed (const char *route,
                      const char *allow)
{
  FfReply *reply = ff_reply_new (route);

  ff_reply_add_header (reply, "Allow", allow);
  return ff_reply_error (reply, 405, _("That method is not allowed here"));
}
