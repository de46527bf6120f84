/* The scheduled version query (see ff-agent-query.h). */
#include "config.h"

#include "ff-agent-query.h"

#include <glib/gi18n-lib.h>

#include "ff-agent-config.h"
#include "ff-document.h"

struct _FfAgentQuery
{
  GArray *times;
  FfAgentQueryDue due;
  gpointer user_data;
  guint timer;
};

guint
ff_agent_query_seconds_until_next (GArray *times, GDateTime *now)
{
  int now_seconds = g_date_time_get_hour (now) * 3600 + g_date_time_get_minute (now) * 60
                    + g_date_time_get_second (now);

  g_return_val_if_fail (times->len > 0, 0);
  for (guint i = 0; i < times->len; i++)
    {
      int at = g_array_index (times, int, i) * 60;

      if (at > now_seconds)
        return at - now_seconds;
    }
  /* Tomorrow's first time. A day with a DST change is an hour off, once. */
  return 24 * 3600 - now_seconds + g_array_index (times, int, 0) * 60;
}

static void schedule (FfAgentQuery *query);

static gboolean
on_timer (gpointer user_data)
{
  FfAgentQuery *query = user_data;

  query->timer = 0;
  schedule (query);
  query->due (query->user_data);
  return G_SOURCE_REMOVE;
}

static void
schedule (FfAgentQuery *query)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (query->times->len == 0)
    return;
  query->timer = g_timeout_add_seconds (ff_agent_query_seconds_until_next (query->times, now),
                                        on_timer, query);
}

FfAgentQuery *
ff_agent_query_new (GArray *times, FfAgentQueryDue due, gpointer user_data)
{
  FfAgentQuery *query = g_new0 (FfAgentQuery, 1);

  query->times = g_array_ref (times);
  query->due = due;
  query->user_data = user_data;
  schedule (query);
  return query;
}

void
ff_agent_query_free (FfAgentQuery *query)
{
  if (query == NULL)
    return;
  g_clear_handle_id (&query->timer, g_source_remove);
  g_array_unref (query->times);
  g_free (query);
}

/* The most of an answer the agent reads: a command's envelope and what wraps it. A platform
 * answering more, or without end, would have taken the terminal's memory. */
#define ANSWER_MAX_SIZE (FF_REMOTE_ENVELOPE_MAX_SIZE + 4096)
#define READ_SIZE 16384

typedef struct
{
  FfAgentHttps *https;
  SoupMessage *message;
  GInputStream *stream;
  GByteArray *body;
} Ask;

static void
ask_free (Ask *ask)
{
  g_object_unref (ask->message);
  g_clear_object (&ask->stream);
  g_clear_pointer (&ask->body, g_byte_array_unref);
  g_free (ask);
}

/* The whole answer is read: "nothing new" (NULL) or the command's envelope. */
static void
answer_read (GTask *task, GBytes *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  JsonObject *root;
  JsonNode *command;
  gboolean update = FALSE;
  char *text;
  gsize length;

  parser = ff_document_parse_object (body, &root, &error);
  if (parser == NULL
      || !ff_document_get_boolean (root, "answer", "update", &update, &error))
    return g_task_return_error (task, g_steal_pointer (&error));
  if (!update)
    return g_task_return_pointer (task, NULL, NULL);
  command = json_object_get_member (root, "command");
  if (command == NULL || !JSON_NODE_HOLDS_OBJECT (command))
    return g_task_return_new_error (task, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                                    _("The platform’s answer to the version query has no "
                                      "command."));
  /* The envelope goes on as bytes: its document is verified by its own signature. */
  generator = json_generator_new ();
  json_generator_set_root (generator, command);
  text = json_generator_to_data (generator, &length);
  g_task_return_pointer (task, g_bytes_new_take (text, length), (GDestroyNotify) g_bytes_unref);
}

static void on_read (GObject *source, GAsyncResult *result, gpointer user_data);

static void
read_more (GTask *task)
{
  Ask *ask = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (ask->stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_read, task);
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Ask *ask = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                              &error);
  g_autoptr(GBytes) body = NULL;

  if (chunk == NULL)
    return g_task_return_error (task, g_steal_pointer (&error));
  if (g_bytes_get_size (chunk) > 0)
    {
      g_byte_array_append (ask->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
      if (ask->body->len > ANSWER_MAX_SIZE)
        return g_task_return_new_error (task, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                                        _("The platform’s answer to the version query is larger "
                                          "than %d bytes."), ANSWER_MAX_SIZE);
      return read_more (g_steal_pointer (&task));
    }
  body = g_byte_array_free_to_bytes (g_steal_pointer (&ask->body));
  answer_read (task, body);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Ask *ask = g_task_get_task_data (task);
  SoupMessage *message = ask->message;
  g_autoptr(GError) error = NULL;

  ask->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (ask->stream == NULL)
    return g_task_return_error (task, g_steal_pointer (&error));
  if (!ff_agent_https_check_peer (ask->https, message, &error))
    return g_task_return_error (task, g_steal_pointer (&error));
  if (soup_message_get_status (message) != SOUP_STATUS_OK)
    return g_task_return_new_error (task, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                                    _("The platform answered the version query with HTTP %u "
                                      "%s."), soup_message_get_status (message),
                                    soup_message_get_reason_phrase (message));
  /* Read within its bound, not whole (soup_session_send_and_read reads any length). */
  ask->body = g_byte_array_new ();
  read_more (g_steal_pointer (&task));
}

void
ff_agent_query_ask_async (FfAgentHttps *https, const char *platform_url, const char *device_id,
                          const FfRemoteVersions *versions, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_strdup (platform_url);
  g_autofree char *url = NULL;
  SoupMessage *message;
  Ask *ask;

  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  url = g_strconcat (base, "/api/v1/agent/query", NULL);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format_version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_string_value (builder, device_id);
  ff_remote_versions_add (builder, "versions", versions);
  json_builder_end_object (builder);
  body = ff_document_serialize (builder);
  message = ff_agent_https_new_message (https, "POST", url, body, "application/json", &error);
  if (message == NULL)
    return g_task_return_error (task, g_steal_pointer (&error));
  ask = g_new0 (Ask, 1);
  ask->https = https;
  ask->message = message;
  g_task_set_task_data (task, ask, (GDestroyNotify) ask_free);
  soup_session_send_async (ff_agent_https_get_session (https), message, G_PRIORITY_DEFAULT,
                           cancellable, on_sent, g_steal_pointer (&task));
}

GBytes *
ff_agent_query_ask_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
