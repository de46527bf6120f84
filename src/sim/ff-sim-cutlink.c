/* The cut link: a relay that drops one connection after N bytes towards the client, as a radio
 * link or a NAT does mid-download, and holds the next connections until the test resumes it (so a
 * broker restart can happen in the middle of a transfer, deterministically). */
#include "config.h"

#include "ff-sim-cutlink.h"

#include <glib/gi18n-lib.h>

#include "ff-sim-error.h"

#define BUFFER_SIZE 16384

typedef struct
{
  gint               refs;
  FfSimCutLink      *link;
  guint              number;
  GSocketConnection *client;
  GSocketConnection *server;
  GCancellable      *cancellable;
  guint64            to_client;
  gboolean           closed;
} Relay;

typedef struct
{
  Relay         *relay;
  GInputStream  *from;
  GOutputStream *to;
  gboolean       towards_client;
  guint8         buffer[BUFFER_SIZE];
} Pump;

struct _FfSimCutLink
{
  GSocketService  *service;
  guint16          port;
  guint16          target_port;
  guint64          cut_at;
  guint64          to_clients;   /* all connections together */
  gboolean         cut;          /* the cut happened: new connections wait for resume */
  gboolean         resumed;
  GQueue           waiting;      /* of Relay, accepted while holding */
  GList           *relays;       /* the open ones, so free can close them */
  guint            connections;
  FfSimCutLinkLog  log;
  gpointer         user_data;
};

static void
say (FfSimCutLink *link,
     const char   *format,
     ...) G_GNUC_PRINTF (2, 3);

static void
say (FfSimCutLink *link,
     const char   *format,
     ...)
{
  va_list args;
  g_autofree char *line = NULL;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  link->log (line, link->user_data);
}

static Relay *
relay_ref (Relay *relay)
{
  relay->refs++;
  return relay;
}

static void
relay_unref (Relay *relay)
{
  if (--relay->refs > 0)
    return;
  g_clear_object (&relay->client);
  g_clear_object (&relay->server);
  g_clear_object (&relay->cancellable);
  g_free (relay);
}

/* Both sides at once: the peer of a cut sees its stream end in the middle. */
static void
relay_close (Relay      *relay,
             const char *why)
{
  if (relay->closed)
    return;
  relay->closed = TRUE;
  g_cancellable_cancel (relay->cancellable);
  if (relay->client != NULL)
    g_io_stream_close (G_IO_STREAM (relay->client), NULL, NULL);
  if (relay->server != NULL)
    g_io_stream_close (G_IO_STREAM (relay->server), NULL, NULL);
  if (relay->link != NULL)
    {
      say (relay->link, "connection %u %s: %" G_GUINT64_FORMAT " bytes to the client",
           relay->number, why, relay->to_client);
      relay->link->relays = g_list_remove (relay->link->relays, relay);
      relay_unref (relay);
    }
}

static void pump_read (Pump *pump);

static void
pump_free (Pump *pump)
{
  relay_unref (pump->relay);
  g_free (pump);
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Pump *pump = user_data;
  Relay *relay = pump->relay;
  FfSimCutLink *link = relay->link;

  if (!g_output_stream_write_all_finish (pump->to, result, NULL, NULL) || relay->closed)
    {
      relay_close (relay, "closed");
      pump_free (pump);
      return;
    }
  if (pump->towards_client && link != NULL && link->cut_at > 0 && !link->cut
      && link->to_clients >= link->cut_at)
    {
      link->cut = TRUE;
      say (link, "CUT the link after %" G_GUINT64_FORMAT " bytes to the client", link->cut_at);
      relay_close (relay, "cut");
      pump_free (pump);
      return;
    }
  pump_read (pump);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pump *pump = user_data;
  Relay *relay = pump->relay;
  FfSimCutLink *link = relay->link;
  gssize n = g_input_stream_read_finish (pump->from, result, NULL);
  gsize forward;

  if (n <= 0 || relay->closed)
    {
      relay_close (relay, "closed");
      pump_free (pump);
      return;
    }
  forward = (gsize) n;
  if (pump->towards_client && link != NULL)
    {
      /* Up to the cut exactly, not a byte more. */
      if (link->cut_at > 0 && !link->cut && link->to_clients + forward > link->cut_at)
        forward = (gsize) (link->cut_at - link->to_clients);
      link->to_clients += forward;
      relay->to_client += forward;
    }
  g_output_stream_write_all_async (pump->to, pump->buffer, forward, G_PRIORITY_DEFAULT,
                                   relay->cancellable, on_written, pump);
}

static void
pump_read (Pump *pump)
{
  g_input_stream_read_async (pump->from, pump->buffer, sizeof pump->buffer, G_PRIORITY_DEFAULT,
                             pump->relay->cancellable, on_read, pump);
}

static void
start_pump (Relay             *relay,
            GSocketConnection *from,
            GSocketConnection *to,
            gboolean           towards_client)
{
  Pump *pump = g_new0 (Pump, 1);

  pump->relay = relay_ref (relay);
  pump->from = g_io_stream_get_input_stream (G_IO_STREAM (from));
  pump->to = g_io_stream_get_output_stream (G_IO_STREAM (to));
  pump->towards_client = towards_client;
  pump_read (pump);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Relay *relay = user_data;
  g_autoptr(GError) error = NULL;
  GSocketConnection *server = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result,
                                                              &error);

  if (server == NULL || relay->closed)
    {
      g_clear_object (&server);
      relay_close (relay, "refused by the target");
      relay_unref (relay);
      return;
    }
  relay->server = server;
  start_pump (relay, relay->client, relay->server, FALSE);
  start_pump (relay, relay->server, relay->client, TRUE);
  relay_unref (relay);
}

static void
relay_connect (Relay *relay)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autofree char *target = g_strdup_printf ("127.0.0.1:%u", relay->link->target_port);

  g_socket_client_connect_to_host_async (client, target, relay->link->target_port,
                                         relay->cancellable, on_connected, relay_ref (relay));
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  FfSimCutLink *link = user_data;
  Relay *relay = g_new0 (Relay, 1);

  relay->refs = 1;  /* the link's, until the relay closes */
  relay->link = link;
  relay->number = ++link->connections;
  relay->client = g_object_ref (connection);
  relay->cancellable = g_cancellable_new ();
  link->relays = g_list_prepend (link->relays, relay);
  if (link->cut && !link->resumed)
    {
      say (link, "connection %u held until resume", relay->number);
      g_queue_push_tail (&link->waiting, relay);
    }
  else
    relay_connect (relay);
  return TRUE;
}

FfSimCutLink *
ff_sim_cut_link_new (guint16          listen_port,
                     guint16          target_port,
                     guint64          cut_at,
                     FfSimCutLinkLog  log,
                     gpointer         user_data,
                     GError         **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, listen_port);
  g_autoptr(GSocketAddress) effective = NULL;
  FfSimCutLink *link = g_new0 (FfSimCutLink, 1);

  link->service = g_socket_service_new ();
  link->target_port = target_port;
  link->cut_at = cut_at;
  link->log = log;
  link->user_data = user_data;
  g_queue_init (&link->waiting);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (link->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, error))
    {
      ff_sim_cut_link_free (link);
      return NULL;
    }
  link->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (link->service, "incoming", G_CALLBACK (on_incoming), link);
  g_socket_service_start (link->service);
  return link;
}

guint16
ff_sim_cut_link_get_port (FfSimCutLink *link)
{
  return link->port;
}

void
ff_sim_cut_link_resume (FfSimCutLink *link)
{
  Relay *relay;

  link->resumed = TRUE;
  say (link, "resumed: %u held connection(s) go on", g_queue_get_length (&link->waiting));
  while ((relay = g_queue_pop_head (&link->waiting)) != NULL)
    if (!relay->closed)
      relay_connect (relay);
}

void
ff_sim_cut_link_free (FfSimCutLink *link)
{
  if (link == NULL)
    return;
  g_socket_service_stop (link->service);
  g_socket_listener_close (G_SOCKET_LISTENER (link->service));
  g_signal_handlers_disconnect_by_data (link->service, link);
  g_object_unref (link->service);
  g_queue_clear (&link->waiting);
  while (link->relays != NULL)
    {
      Relay *relay = link->relays->data;

      /* Closed without a word: the link is going away. */
      relay->link = NULL;
      link->relays = g_list_delete_link (link->relays, link->relays);
      relay_close (relay, NULL);
      relay_unref (relay);
    }
  g_free (link);
}
