/* ff-test-udp-relay.c: a UDP relay between a client and a server on 127.0.0.1
 * (ff-test-udp-relay.h). */
#include <gio/gio.h>

#include "ff-test-udp-relay.h"

struct _FfTestUdpRelay
{
  GSocket *socket;
  GSocketAddress *server, *client;
  GSource *source;
  FfTestUdpRelayWatch watch;
  gpointer watch_data;
  guint delay_ms;
  GPtrArray *delayed;      /* the server's datagrams on their way (Delayed) */
};

typedef struct
{
  FfTestUdpRelay *relay;
  GBytes *datagram;
  GSource *source;
} Delayed;

static void
delayed_free (gpointer data)
{
  Delayed *delayed = data;

  g_source_destroy (delayed->source);
  g_source_unref (delayed->source);
  g_bytes_unref (delayed->datagram);
  g_free (delayed);
}

static void
send_to (FfTestUdpRelay *relay, GSocketAddress *to, const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;

  g_socket_send_to (relay->socket, to, (const gchar *) data, len, NULL, &error);
  g_assert_no_error (error);
}

static gboolean
on_delay_over (gpointer user_data)
{
  Delayed *delayed = user_data;
  gsize len;
  const guint8 *data = g_bytes_get_data (delayed->datagram, &len);

  send_to (delayed->relay, delayed->relay->client, data, len);
  g_ptr_array_remove_fast (delayed->relay->delayed, delayed);
  return G_SOURCE_REMOVE;
}

static gboolean
on_datagram (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  FfTestUdpRelay *relay = user_data;
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(GError) error = NULL;
  guint8 buf[1500];
  gssize len = g_socket_receive_from (socket, &from, (gchar *) buf, sizeof buf, NULL, &error);
  gboolean to_server;
  Delayed *delayed;

  g_assert_no_error (error);
  to_server = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from))
              != g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (relay->server));
  if (to_server && !relay->client)
    relay->client = g_object_ref (from);
  if (relay->watch)
    relay->watch (to_server, buf, (gsize) len, relay->watch_data);
  if (to_server || !relay->delay_ms)
    {
      send_to (relay, to_server ? relay->server : relay->client, buf, (gsize) len);
      return G_SOURCE_CONTINUE;
    }
  delayed = g_new0 (Delayed, 1);
  delayed->relay = relay;
  delayed->datagram = g_bytes_new (buf, (gsize) len);
  delayed->source = g_timeout_source_new (relay->delay_ms);
  g_source_set_callback (delayed->source, on_delay_over, delayed, NULL);
  g_source_attach (delayed->source, g_main_context_get_thread_default ());
  g_ptr_array_add (relay->delayed, delayed);
  return G_SOURCE_CONTINUE;
}

FfTestUdpRelay *
ff_test_udp_relay_new (guint16 server_port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  FfTestUdpRelay *relay = g_new0 (FfTestUdpRelay, 1);

  relay->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_bind (relay->socket, any_port, FALSE, &error);
  g_assert_no_error (error);
  relay->server = g_inet_socket_address_new (loopback, server_port);
  relay->delayed = g_ptr_array_new_with_free_func (delayed_free);
  relay->source = g_socket_create_source (relay->socket, G_IO_IN, NULL);
  g_source_set_callback (relay->source, G_SOURCE_FUNC (on_datagram), relay, NULL);
  g_source_attach (relay->source, g_main_context_get_thread_default ());
  return relay;
}

guint16
ff_test_udp_relay_get_port (FfTestUdpRelay *relay)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (relay->socket, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

void
ff_test_udp_relay_set_watch (FfTestUdpRelay *relay, FfTestUdpRelayWatch watch,
                             gpointer user_data)
{
  relay->watch = watch;
  relay->watch_data = user_data;
}

void
ff_test_udp_relay_set_delay (FfTestUdpRelay *relay, guint delay_ms)
{
  relay->delay_ms = delay_ms;
}

void
ff_test_udp_relay_free (FfTestUdpRelay *relay)
{
  if (!relay)
    return;
  g_source_destroy (relay->source);
  g_source_unref (relay->source);
  g_ptr_array_unref (relay->delayed);
  g_object_unref (relay->socket);
  g_object_unref (relay->server);
  g_clear_object (&relay->client);
  g_free (relay);
}
