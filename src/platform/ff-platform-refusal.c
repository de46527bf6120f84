/* Refusing a request libsoup is still reading: the connection is taken over and answered. */
#include "config.h"

#include "ff-platform-refusal.h"

/* How long what the client still sends is read and dropped after the answer. Closing a socket
 * with unread data resets the connection, and a reset can destroy the answer before the client
 * has read it; a client that has read the answer closes sooner. */
#define LINGER_SECONDS 5
#define LINGER_READ_SIZE 65536

typedef struct
{
  SoupServerMessage *message;
  GIOStream         *stream;
  guint              status;
  GBytes            *body;
  GBytes            *answer;
  GCancellable      *linger;
  guint              linger_timeout;
} Refusal;

static void
refusal_free (Refusal *refusal)
{
  g_clear_handle_id (&refusal->linger_timeout, g_source_remove);
  g_clear_object (&refusal->message);
  g_clear_object (&refusal->stream);
  g_clear_pointer (&refusal->body, g_bytes_unref);
  g_clear_pointer (&refusal->answer, g_bytes_unref);
  g_clear_object (&refusal->linger);
  g_free (refusal);
}

static void
closed (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  refusal_free (user_data);
}

static void
close_connection (Refusal *refusal)
{
  g_io_stream_close_async (refusal->stream, G_PRIORITY_DEFAULT, NULL, closed, refusal);
}

static gboolean
linger_over (gpointer user_data)
{
  Refusal *refusal = user_data;

  refusal->linger_timeout = 0;
  g_cancellable_cancel (refusal->linger);
  return G_SOURCE_REMOVE;
}

static void
dropped (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Refusal *refusal = user_data;
  g_autoptr(GBytes) data = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);

  if (data == NULL || g_bytes_get_size (data) == 0)
    {
      close_connection (refusal);
      return;
    }
  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), LINGER_READ_SIZE, G_PRIORITY_DEFAULT,
                                   refusal->linger, dropped, refusal);
}

static void
answered (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Refusal *refusal = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      close_connection (refusal);
      return;
    }
  refusal->linger = g_cancellable_new ();
  refusal->linger_timeout = g_timeout_add_seconds (LINGER_SECONDS, linger_over, refusal);
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (refusal->stream),
                                   LINGER_READ_SIZE, G_PRIORITY_DEFAULT, refusal->linger, dropped,
                                   refusal);
}

static GBytes *
format_answer (guint   status,
               GBytes *body)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "HTTP/1.1 %u %s\r\n"
                                "Content-Type: application/json\r\n"
                                "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                "Connection: close\r\n"
                                "\r\n",
                          status, soup_status_get_phrase (status), g_bytes_get_size (body));
  g_string_append_len (text, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return g_string_free_to_bytes (text);
}

static gboolean
take_over (gpointer user_data)
{
  Refusal *refusal = user_data;

  refusal->stream = soup_server_message_steal_connection (refusal->message);
  if (refusal->stream == NULL)
    {
      refusal_free (refusal);
      return G_SOURCE_REMOVE;
    }
  refusal->answer = format_answer (refusal->status, refusal->body);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (refusal->stream),
                                   g_bytes_get_data (refusal->answer, NULL),
                                   g_bytes_get_size (refusal->answer), G_PRIORITY_DEFAULT, NULL,
                                   answered, refusal);
  return G_SOURCE_REMOVE;
}

void
ff_platform_refuse_request (SoupServerMessage *message,
                            guint              status,
                            GBytes            *body)
{
  Refusal *refusal = g_new0 (Refusal, 1);

  refusal->message = g_object_ref (message);
  refusal->status = status;
  refusal->body = g_bytes_ref (body);
  /* Stealing the connection inside libsoup's own signal emission would free the reader that is
   * emitting it; pausing stops the reading, and the idle runs once libsoup has returned. */
  soup_server_message_pause (message);
  g_idle_add (take_over, refusal);
}
