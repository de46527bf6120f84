/* Accepting the tablets' connections before libsoup sees them: a limit per client address, TLS
 * handshakes driven by the main loop and cut off at a deadline, deadlines for each request's
 * head and body, and kept-alive connections held here between two requests. Runs in the main
 * context.
 *
 * Left to libsoup and glib-networking, each handshake held a thread of GTask's shared pool until
 * the client answered: a few dozen silent clients held every thread of that pool, and with them
 * every request waiting for one. Here a handshake holds no thread (ff-platform-tls.c), and
 * requests run on the server's own threads (ff-platform-server.c). */
#include "config.h"

#include "ff-platform-acceptor.h"

#include "ff-platform-error.h"
#include "ff-platform-server.h"

#include <glib/gi18n-lib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#define LISTEN_BACKLOG 128

/* Open connections by client address. Each connection returns its slot when its stream is
 * finalized, which may happen in any thread and after the acceptor is gone. */
typedef struct
{
  GMutex      lock;
  GHashTable *counts;           /* address text -> GUINT_TO_POINTER (connections) */
  guint       open;
  guint64     refused;
} Registry;

typedef struct
{
  Registry *registry;
  char     *address;
} Slot;

/* What the answers' handlers share with the acceptor, which may be gone before them. */
typedef struct
{
  SoupServer *soup;             /* NULL once the acceptor is gone */
  GHashTable *idle;             /* Idle * */
} Keeper;

struct _FfPlatformAcceptor
{
  SoupServer      *soup;
  FfPlatformTls   *tls;         /* borrowed; NULL: plain HTTP */
  guint            max_per_address;
  Registry        *registry;
  Keeper          *keeper;
  GSocketService  *service;
  GHashTable      *pending;     /* Connection * not handed to libsoup yet */
  gulong           request_started_id;
};

/* A connection until libsoup has it. */
typedef struct
{
  FfPlatformAcceptor *acceptor; /* NULL once the acceptor is gone */
  GSocketConnection  *tcp;
  GIOStream          *tls;
  GCancellable       *cancellable;
  GSource            *deadline;
  GSource            *socket_ready;
} Connection;

/* A kept-alive connection between two requests: ours until its client sends the next one. */
typedef struct
{
  Keeper         *keeper;
  GIOStream      *stream;
  GSocketAddress *local;
  GSocketAddress *remote;
  GSource        *deadline;
  GSource        *socket_ready;
} Idle;

G_DEFINE_QUARK (ff-acceptor-slot, slot)
G_DEFINE_QUARK (ff-acceptor-request-deadline, request_deadline)
G_DEFINE_QUARK (ff-acceptor-requests, requests)

static void
registry_clear (Registry *registry)
{
  g_hash_table_unref (registry->counts);
  g_mutex_clear (&registry->lock);
}

static gboolean
registry_take (Registry   *registry,
               const char *address,
               guint       max_per_address)
{
  guint count;
  gboolean taken;

  g_mutex_lock (&registry->lock);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (registry->counts, address));
  taken = count < max_per_address;
  if (taken)
    {
      g_hash_table_insert (registry->counts, g_strdup (address), GUINT_TO_POINTER (count + 1));
      registry->open++;
    }
  else
    registry->refused++;
  g_mutex_unlock (&registry->lock);
  return taken;
}

static void
slot_free (Slot *slot)
{
  Registry *registry = slot->registry;
  guint count;

  g_mutex_lock (&registry->lock);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (registry->counts, slot->address));
  if (count > 1)
    g_hash_table_insert (registry->counts, g_strdup (slot->address), GUINT_TO_POINTER (count - 1));
  else
    g_hash_table_remove (registry->counts, slot->address);
  registry->open--;
  g_mutex_unlock (&registry->lock);
  g_atomic_rc_box_release_full (registry, (GDestroyNotify) registry_clear);
  g_free (slot->address);
  g_free (slot);
}

/* What a client's connections are counted under: its IPv4 address (also when a dual-stack socket
 * sees it as ::ffff:a.b.c.d), or the /64 network of its IPv6 address, since one IPv6 host usually
 * holds a whole /64. */
static char *
client_key (GSocketAddress *remote)
{
  static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  GInetAddress *address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  guint8 bytes[16];
  g_autoptr(GInetAddress) network = NULL;
  g_autofree char *text = NULL;

  if (g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    return g_inet_address_to_string (address);
  memcpy (bytes, g_inet_address_to_bytes (address), sizeof bytes);
  if (memcmp (bytes, v4_mapped, sizeof v4_mapped) == 0)
    return g_inet_address_to_string (address);
  memset (bytes + 8, 0, 8);
  network = g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);
  text = g_inet_address_to_string (network);
  return g_strconcat (text, "/64", NULL);
}

static void
connection_free (Connection *connection)
{
  if (connection->acceptor != NULL)
    g_hash_table_remove (connection->acceptor->pending, connection);
  if (connection->deadline != NULL)
    g_source_destroy (connection->deadline);
  g_clear_pointer (&connection->deadline, g_source_unref);
  if (connection->socket_ready != NULL)
    g_source_destroy (connection->socket_ready);
  g_clear_pointer (&connection->socket_ready, g_source_unref);
  /* Closes the socket unless libsoup holds the connection now. */
  if (connection->tcp != NULL)
    g_io_stream_close (G_IO_STREAM (connection->tcp), NULL, NULL);
  g_clear_object (&connection->tls);
  g_clear_object (&connection->tcp);
  g_clear_object (&connection->cancellable);
  g_free (connection);
}

static void
hand_over (Connection *connection,
           GIOStream  *stream)
{
  FfPlatformAcceptor *self = connection->acceptor;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection->tcp, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection->tcp,
                                                                            NULL);

  /* The requests this connection served so far go with its remote address, an object of its
   * own that libsoup keeps with the connection (and hands back with each message). */
  if (remote != NULL)
    g_object_set_qdata_full (G_OBJECT (remote), requests_quark (), g_new0 (guint, 1), g_free);
  if (local != NULL && remote != NULL
      && soup_server_accept_iostream (self->soup, stream, local, remote, NULL))
    g_clear_object (&connection->tcp);
  connection_free (connection);
}

static gboolean handshake_step (GSocket     *socket,
                                GIOCondition condition,
                                gpointer     user_data);

/* Goes on with the handshake when the socket is ready for @condition, or the deadline passes. */
static void
wait_for_socket (Connection   *connection,
                 GIOCondition  condition)
{
  GSocket *socket = g_socket_connection_get_socket (connection->tcp);

  connection->socket_ready = g_socket_create_source (socket, condition, connection->cancellable);
  g_source_set_callback (connection->socket_ready, G_SOURCE_FUNC (handshake_step), connection,
                         NULL);
  g_source_attach (connection->socket_ready, NULL);
}

static gboolean
handshake_step (GSocket      *socket,
                GIOCondition  condition,
                gpointer      user_data)
{
  Connection *connection = user_data;
  GIOCondition wait_for = 0;

  g_clear_pointer (&connection->socket_ready, g_source_unref);
  if (g_cancellable_is_cancelled (connection->cancellable))
    {
      connection_free (connection);
      return G_SOURCE_REMOVE;
    }
  switch (ff_platform_tls_handshake (connection->tls, &wait_for))
    {
    case FF_PLATFORM_TLS_DONE:
      hand_over (connection, connection->tls);
      break;
    case FF_PLATFORM_TLS_WAIT:
      wait_for_socket (connection, wait_for);
      break;
    case FF_PLATFORM_TLS_FAILED:
      connection_free (connection);
      break;
    }
  return G_SOURCE_REMOVE;
}

static gboolean
handshake_overdue (gpointer user_data)
{
  Connection *connection = user_data;

  /* Wakes the wait for the socket, which then gives up. */
  g_cancellable_cancel (connection->cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
incoming (GSocketService    *service,
          GSocketConnection *tcp,
          GObject           *source_object,
          gpointer           user_data)
{
  FfPlatformAcceptor *self = user_data;
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (tcp, NULL);
  g_autofree char *key = NULL;
  GSocket *socket = g_socket_connection_get_socket (tcp);
  Connection *connection;
  Slot *slot;

  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
    {
      g_io_stream_close (G_IO_STREAM (tcp), NULL, NULL);
      return TRUE;
    }
  key = client_key (remote);
  if (!registry_take (self->registry, key, self->max_per_address))
    {
      g_io_stream_close (G_IO_STREAM (tcp), NULL, NULL);
      return TRUE;
    }
  slot = g_new0 (Slot, 1);
  slot->registry = g_atomic_rc_box_acquire (self->registry);
  slot->address = g_steal_pointer (&key);
  g_object_set_qdata_full (G_OBJECT (tcp), slot_quark (), slot, (GDestroyNotify) slot_free);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);

  connection = g_new0 (Connection, 1);
  connection->acceptor = self;
  connection->tcp = g_object_ref (tcp);
  g_hash_table_add (self->pending, connection);
  if (self->tls == NULL)
    {
      hand_over (connection, G_IO_STREAM (tcp));
      return TRUE;
    }
  connection->tls = ff_platform_tls_wrap (self->tls, tcp);
  connection->cancellable = g_cancellable_new ();
  connection->deadline = g_timeout_source_new_seconds (FF_ACCEPTOR_HANDSHAKE_SECONDS);
  g_source_set_callback (connection->deadline, handshake_overdue, connection, NULL);
  g_source_attach (connection->deadline, NULL);
  wait_for_socket (connection, G_IO_IN);
  return TRUE;
}

/* Request heads */

static void
destroy_source (GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

static void
stolen_closed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
}

/* The head, or the body after it, did not come in time. */
static gboolean
request_overdue (gpointer user_data)
{
  SoupServerMessage *message = user_data;
  g_autoptr(GIOStream) stream = NULL;

  g_object_set_qdata (G_OBJECT (message), request_deadline_quark (), NULL);
  stream = soup_server_message_steal_connection (message);
  if (stream != NULL)
    g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, stolen_closed, NULL);
  return G_SOURCE_REMOVE;
}

static void
set_deadline (SoupServerMessage *message,
              guint              seconds)
{
  GSource *deadline = g_timeout_source_new_seconds (seconds);

  /* The source goes with the message, so it never outlives the pointer it holds; setting another
   * destroys it. */
  g_source_set_callback (deadline, request_overdue, message, NULL);
  g_source_attach (deadline, NULL);
  g_object_set_qdata_full (G_OBJECT (message), request_deadline_quark (), deadline,
                           (GDestroyNotify) destroy_source);
}

static void
head_arrived (SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  goffset length = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
                   ? soup_message_headers_get_content_length (headers) : FF_REPORT_MAX_BODY;

  /* A body over FF_REPORT_MAX_BODY is refused as soon as its head shows it. */
  length = CLAMP (length, 0, FF_REPORT_MAX_BODY);
  set_deadline (message, FF_ACCEPTOR_HEAD_SECONDS
                         + (guint) (length / FF_ACCEPTOR_BODY_BYTES_PER_SECOND));
}

static void
body_arrived (SoupServerMessage *message)
{
  g_object_set_qdata (G_OBJECT (message), request_deadline_quark (), NULL);
}

/* Kept-alive connections
 *
 * libsoup 3.2 never closes a kept-alive connection that the client closes, or leaves silent,
 * between two requests (its next message has no completion to disconnect it and starts its
 * timers only at its first byte; fixed in 3.3): each such connection stayed open for good,
 * holding its address's slot, and the 64th connection a client had closed that way locked its
 * address out. So libsoup never keeps a connection here (it keeps one only while the server has
 * a listener of its own, which this one has not): once an answer is written, the acceptor takes
 * the connection back, waits for the client's next bytes without reading them, and hands the
 * connection to libsoup again as a new one; a client that closes or stays silent for
 * FF_ACCEPTOR_IDLE_SECONDS is closed, which returns its slot. A request a client pipelined
 * behind the answered one is lost with libsoup's buffer (browsers do not pipeline). */

static void
idle_free (Idle     *idle,
           gboolean  close)
{
  if (idle->keeper->idle != NULL)
    g_hash_table_remove (idle->keeper->idle, idle);
  if (idle->deadline != NULL)
    g_source_destroy (idle->deadline);
  g_clear_pointer (&idle->deadline, g_source_unref);
  if (idle->socket_ready != NULL)
    g_source_destroy (idle->socket_ready);
  g_clear_pointer (&idle->socket_ready, g_source_unref);
  if (close)
    g_io_stream_close (idle->stream, NULL, NULL);
  g_object_unref (idle->stream);
  g_object_unref (idle->local);
  g_object_unref (idle->remote);
  g_atomic_rc_box_release (idle->keeper);
  g_free (idle);
}

static gboolean
idle_step (GSocket      *socket,
           GIOCondition  condition,
           gpointer      user_data)
{
  Idle *idle = user_data;
  GIOCondition wait_for = G_IO_IN;

  g_clear_pointer (&idle->socket_ready, g_source_unref);
  switch (ff_platform_stream_peek (idle->stream, &wait_for))
    {
    case FF_PLATFORM_TLS_DONE:
      if (idle->keeper->soup != NULL
          && soup_server_accept_iostream (idle->keeper->soup, idle->stream, idle->local,
                                          idle->remote, NULL))
        idle_free (idle, FALSE);
      else
        idle_free (idle, TRUE);
      break;
    case FF_PLATFORM_TLS_WAIT:
      idle->socket_ready = g_socket_create_source (ff_platform_stream_get_socket (idle->stream),
                                                   wait_for, NULL);
      g_source_set_callback (idle->socket_ready, G_SOURCE_FUNC (idle_step), idle, NULL);
      g_source_attach (idle->socket_ready, NULL);
      break;
    case FF_PLATFORM_TLS_FAILED:
      idle_free (idle, TRUE);
      break;
    }
  return G_SOURCE_REMOVE;
}

static gboolean
idle_overdue (gpointer user_data)
{
  idle_free (user_data, TRUE);
  return G_SOURCE_REMOVE;
}

/* Whether the connection of @message may serve another request (libsoup's own test is private):
 * HTTP/1.1, neither side said "Connection: close", and the answer's end is not the connection's. */
static gboolean
keeps_alive (SoupServerMessage *message)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (message);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (message);

  return soup_server_message_get_http_version (message) == SOUP_HTTP_1_1
         && !soup_message_headers_header_contains (request, "Connection", "close")
         && !soup_message_headers_header_contains (response, "Connection", "close")
         && soup_message_headers_get_encoding (response) != SOUP_ENCODING_EOF;
}

/* The stream handed to libsoup, from the one it gives back (@stolen, a wrapper of its own whose
 * input buffers what it read ahead; it does not close what it wraps when it goes). */
static GIOStream *
given_stream (GIOStream *stolen)
{
  GIOStream *given = NULL;

  if (stolen == NULL)
    return NULL;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (stolen), "base-iostream") != NULL)
    g_object_get (stolen, "base-iostream", &given, NULL);
  else
    given = g_object_ref (stolen);
  g_object_unref (stolen);
  return given;
}

/* The answer to @message is written: takes its connection back unless it is to close. */
static void
answer_written (SoupServerMessage *message,
                Keeper            *keeper)
{
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  GIOStream *stream;
  Idle *idle;

  if (keeper->soup == NULL || !keeps_alive (message))
    return;
  local = g_object_ref (soup_server_message_get_local_address (message));
  remote = g_object_ref (soup_server_message_get_remote_address (message));
  /* Frees @message, most likely. */
  stream = given_stream (soup_server_message_steal_connection (message));
  if (stream == NULL)
    return;
  idle = g_new0 (Idle, 1);
  idle->keeper = g_atomic_rc_box_acquire (keeper);
  idle->stream = stream;
  idle->local = g_steal_pointer (&local);
  idle->remote = g_steal_pointer (&remote);
  g_hash_table_add (keeper->idle, idle);
  idle->deadline = g_timeout_source_new_seconds (FF_ACCEPTOR_IDLE_SECONDS);
  g_source_set_callback (idle->deadline, idle_overdue, idle, NULL);
  g_source_attach (idle->deadline, NULL);
  /* OpenSSL may hold the next request's first bytes already. */
  idle_step (NULL, 0, idle);
}

static void
keeper_release (gpointer  keeper,
                GClosure *closure)
{
  g_atomic_rc_box_release (keeper);
}

/* libsoup starts a message when a connection is handed over: from then on, the client has
 * FF_ACCEPTOR_HEAD_SECONDS to send the head. A connection that served
 * FF_ACCEPTOR_REQUESTS_PER_CONNECTION requests, or whose remote address does not have its count
 * (it always should), closes after this answer; the header tells the client so. */
static void
request_started (SoupServer        *soup,
                 SoupServerMessage *message,
                 gpointer           user_data)
{
  FfPlatformAcceptor *self = user_data;
  GSocketAddress *remote = soup_server_message_get_remote_address (message);
  guint *requests = remote != NULL ? g_object_get_qdata (G_OBJECT (remote), requests_quark ())
                                   : NULL;

  if (requests == NULL || ++*requests >= FF_ACCEPTOR_REQUESTS_PER_CONNECTION)
    soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                  "Connection", "close");
  else
    g_signal_connect_data (message, "wrote-body", G_CALLBACK (answer_written),
                           g_atomic_rc_box_acquire (self->keeper), keeper_release, 0);
  set_deadline (message, FF_ACCEPTOR_HEAD_SECONDS);
  g_signal_connect (message, "got-headers", G_CALLBACK (head_arrived), NULL);
  g_signal_connect (message, "got-body", G_CALLBACK (body_arrived), NULL);
}

/* Object */

FfPlatformAcceptor *
ff_platform_acceptor_new (SoupServer    *soup,
                          FfPlatformTls *tls,
                          guint          max_per_address)
{
  FfPlatformAcceptor *self = g_new0 (FfPlatformAcceptor, 1);

  self->soup = g_object_ref (soup);
  self->tls = tls;
  self->max_per_address = max_per_address;
  self->registry = g_atomic_rc_box_new0 (Registry);
  g_mutex_init (&self->registry->lock);
  self->registry->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->keeper = g_atomic_rc_box_new0 (Keeper);
  self->keeper->soup = soup;
  self->keeper->idle = g_hash_table_new (NULL, NULL);
  self->service = g_socket_service_new ();
  self->pending = g_hash_table_new (NULL, NULL);
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming), self);
  self->request_started_id = g_signal_connect (soup, "request-started",
                                               G_CALLBACK (request_started), self);
  return self;
}

void
ff_platform_acceptor_free (FfPlatformAcceptor *self)
{
  GHashTableIter iter;
  Connection *connection;
  Idle *idle;

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_clear_object (&self->service);
  g_clear_signal_handler (&self->request_started_id, self->soup);
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, (gpointer *) &connection, NULL))
    {
      g_hash_table_iter_steal (&iter);
      connection->acceptor = NULL;
      connection_free (connection);
    }
  g_hash_table_unref (self->pending);
  /* Answers still being written keep the keeper, which takes no connection back from now on. */
  self->keeper->soup = NULL;
  g_hash_table_iter_init (&iter, self->keeper->idle);
  while (g_hash_table_iter_next (&iter, (gpointer *) &idle, NULL))
    {
      g_hash_table_iter_steal (&iter);
      idle_free (idle, TRUE);
    }
  g_clear_pointer (&self->keeper->idle, g_hash_table_unref);
  g_atomic_rc_box_release (self->keeper);
  g_atomic_rc_box_release_full (self->registry, (GDestroyNotify) registry_clear);
  g_object_unref (self->soup);
  g_free (self);
}

/* A socket bound to @address and listening with room for LISTEN_BACKLOG connections that are
 * not accepted yet: with GLib's default of 10, a burst of tablets connecting at once (a shift
 * syncing) overflows the queue, and the kernel resets some of them. */
static GSocket *
listening_socket (GSocketAddress *address,
                  GError        **error)
{
  g_autoptr(GSocket) socket = g_socket_new (g_socket_address_get_family (address),
                                            G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);

  if (socket == NULL)
    return NULL;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

char *
ff_platform_acceptor_listen (FfPlatformAcceptor *self,
                             const char         *address,
                             GError            **error)
{
  g_autoptr(GSocketConnectable) parsed = g_network_address_parse (address, 8443, error);
  g_autoptr(GInetAddress) host = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *host_text = NULL;
  gboolean ipv6;

  if (parsed == NULL)
    return NULL;
  host = g_inet_address_new_from_string (
    g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed)));
  if (host == NULL)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("Listen on an IP address, such as 127.0.0.1:8443 (not “%s”)"), address);
      return NULL;
    }
  if (self->tls == NULL && !g_inet_address_get_is_loopback (host))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED,
                   _("Plain HTTP is only allowed on a loopback address such as 127.0.0.1"));
      return NULL;
    }
  socket_address = g_inet_socket_address_new (host,
                                              g_network_address_get_port (G_NETWORK_ADDRESS (parsed)));
  socket = listening_socket (socket_address, error);
  if (socket == NULL)
    return NULL;
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (self->service), socket, NULL, error)
      || (bound = g_socket_get_local_address (socket, error)) == NULL)
    return NULL;
  host_text = g_inet_address_to_string (host);
  ipv6 = g_inet_address_get_family (host) == G_SOCKET_FAMILY_IPV6;
  return g_strdup_printf ("%s://%s%s%s:%u", self->tls != NULL ? "https" : "http", ipv6 ? "[" : "",
                          host_text, ipv6 ? "]" : "",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
}

guint
ff_platform_acceptor_get_open (FfPlatformAcceptor *self)
{
  guint open;

  g_mutex_lock (&self->registry->lock);
  open = self->registry->open;
  g_mutex_unlock (&self->registry->lock);
  return open;
}

guint64
ff_platform_acceptor_get_refused (FfPlatformAcceptor *self)
{
  guint64 refused;

  g_mutex_lock (&self->registry->lock);
  refused = self->registry->refused;
  g_mutex_unlock (&self->registry->lock);
  return refused;
}
