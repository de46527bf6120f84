/* fieldflash-platform under connection attacks: idle and half-finished TLS connections, too many
 * connections from one address, slow request heads, and old TLS versions. The real daemon on
 * 127.0.0.1; clients bind other loopback addresses (127.x.y.z) to stand for different hosts.
 * None of it may change the database. */
#include "config.h"

#include "platform-harness.h"

#include "ff-test-fixtures.h"

#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>

/* The bound for an answer while 1,000 idle connections are open (at native speed, as
 * every bound here: ff_test_deadline_s scales them under emulation). */
#define PROMPT_SECONDS 5
#define IDLE_CONNECTIONS 1000
/* Below the daemon's default limit per address, so that every idle connection is held open. */
#define IDLE_PER_ADDRESS 50
/* Generous bounds: a connection over its address's limit is closed at once, well before the
 * handshake deadline (30 s); one that misses a deadline (30 s) is closed well within the other. */
#define CLOSED_AT_ONCE_SECONDS 5
/* The requests a kept-alive connection serves (FF_ACCEPTOR_REQUESTS_PER_CONNECTION). */
#define REQUESTS_PER_CONNECTION 100
#define CLOSED_AT_DEADLINE_SECONDS 60
/* openssl s_client's whole session. */
#define S_CLIENT_SECONDS 60

/* A TLS handshake record header announcing a 512-byte ClientHello, then its first bytes only. */
static const guint8 partial_client_hello[] = {
  0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x5a, 0x5a,
};

static void
raise_descriptor_limit (void)
{
  struct rlimit limit;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  limit.rlim_cur = limit.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  g_assert_cmpuint (limit.rlim_cur, >, IDLE_CONNECTIONS + 64);
}

static guint16
server_port (Harness *h)
{
  const char *colon = strrchr (h->base_url, ':');

  g_assert_nonnull (colon);
  return (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
}

/* A TCP connection to the server from @source (a loopback address), that sends nothing. */
static GSocket *
connect_from (Harness    *h,
              const char *source)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) source_ip = g_inet_address_new_from_string (source);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (source_ip, 0);
  g_autoptr(GSocketAddress) server = g_inet_socket_address_new_from_string ("127.0.0.1",
                                                                            server_port (h));

  g_assert_no_error (error);
  g_assert_true (g_inet_address_get_is_loopback (source_ip));
  g_socket_bind (socket, local, FALSE, &error);
  g_assert_no_error (error);
  g_socket_connect (socket, server, NULL, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&socket);
}

static void
send_bytes (GSocket     *socket,
            const void  *data,
            gsize        length)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_socket_send (socket, data, length, NULL, &error), ==, (gssize) length);
  g_assert_no_error (error);
}

/* Whether the server closes @socket within ff_test_deadline_s (@native_s) (it sends nothing
 * before closing). */
static gboolean
closed_within (GSocket *socket,
               guint    native_s)
{
  g_autoptr(GError) error = NULL;
  char byte;
  gssize received;

  g_socket_set_timeout (socket, ff_test_deadline_s (native_s));
  received = g_socket_receive (socket, &byte, 1, NULL, &error);
  if (received == 0 || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return TRUE;
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  return FALSE;
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static guint
timed_get (Harness    *h,
           const char *path,
           const char *token,
           double     *seconds)
{
  gint64 start = g_get_monotonic_time ();
  guint status = harness_request (h, "GET", path, token, NULL, NULL, NULL, NULL);

  *seconds = seconds_since (start);
  g_test_message ("GET %s: %u after %.3f s", path, status, *seconds);
  return status;
}

/* 1,000 connections that never finish a ClientHello (most send nothing, some a part of one) hold
 * no thread: /healthz and a logged-in task list still answer promptly, and all stay open. */
static void
test_idle_connections (void)
{
  Harness *h = harness_new ();
  g_autoptr(GPtrArray) idle = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *token = NULL;
  g_autofree char *before = NULL;
  double seconds;

  raise_descriptor_limit ();
  harness_setup_world (h);
  before = harness_dump_database (h);
  harness_start (h, TRUE);
  for (guint i = 0; i < IDLE_CONNECTIONS; i++)
    {
      g_autofree char *source = g_strdup_printf ("127.1.%u.%u", i / IDLE_PER_ADDRESS,
                                                 i % IDLE_PER_ADDRESS + 1);
      GSocket *socket = connect_from (h, source);

      if (i % 4 == 0)
        send_bytes (socket, partial_client_hello, sizeof partial_client_hello);
      g_ptr_array_add (idle, socket);
    }

  g_assert_cmpuint (timed_get (h, "/healthz", NULL, &seconds), ==, 200);
  g_assert_cmpfloat (seconds, <, ff_test_deadline_s (PROMPT_SECONDS));
  harness_assert_database_unchanged (h, before);
  token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  g_assert_cmpuint (timed_get (h, "/api/v1/tasks", token, &seconds), ==, 200);
  g_assert_cmpfloat (seconds, <, ff_test_deadline_s (PROMPT_SECONDS));
  /* They were held open all along, not refused. */
  g_assert_cmpfloat (harness_metric (h, "fieldflash_connections"), >=, IDLE_CONNECTIONS);
  g_assert_cmpfloat (harness_metric (h, "fieldflash_connections_refused_total"), ==, 0);
  g_ptr_array_set_size (idle, 0);
  harness_free (h);
}

/* One address may hold --max-connections-per-address connections; the next one is closed at
 * once, while other addresses are served. */
static void
test_connections_per_address (void)
{
  Harness *h = harness_new ();
  const char *const args[] = { "--max-connections-per-address", "8", NULL };
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GSocket) over = NULL;
  g_autoptr(GSocket) other = NULL;
  g_autofree char *before = NULL;

  harness_setup_world (h);
  before = harness_dump_database (h);
  harness_start_with (h, TRUE, args);
  for (guint i = 0; i < 8; i++)
    g_ptr_array_add (held, connect_from (h, "127.2.0.1"));
  over = connect_from (h, "127.2.0.1");
  other = connect_from (h, "127.2.0.2");
  g_assert_true (closed_within (over, CLOSED_AT_ONCE_SECONDS));
  g_assert_false (closed_within (other, 1));
  g_assert_cmpuint (harness_request (h, "GET", "/healthz", NULL, NULL, NULL, NULL, NULL), ==, 200);
  g_assert_cmpfloat (harness_metric (h, "fieldflash_connections_refused_total"), ==, 1);
  harness_assert_database_unchanged (h, before);
  harness_free (h);
}

/* A client that connects and sends nothing, or only part of its ClientHello, is closed at the
 * handshake deadline. */
static void
test_handshake_deadline (void)
{
  Harness *h = harness_new ();
  g_autoptr(GSocket) silent = NULL;
  g_autoptr(GSocket) stalled = NULL;
  g_autofree char *before = NULL;

  harness_setup_world (h);
  before = harness_dump_database (h);
  harness_start (h, TRUE);
  silent = connect_from (h, "127.3.0.1");
  stalled = connect_from (h, "127.3.0.2");
  send_bytes (stalled, partial_client_hello, sizeof partial_client_hello);
  g_assert_true (closed_within (silent, CLOSED_AT_DEADLINE_SECONDS));
  g_assert_true (closed_within (stalled, CLOSED_AT_DEADLINE_SECONDS));
  harness_assert_database_unchanged (h, before);
  harness_free (h);
}

/* A request head that never ends is cut off at its deadline (plain HTTP: the same rule, without
 * a handshake in the test). */
static void
test_head_deadline (void)
{
  Harness *h = harness_new ();
  static const char head[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  g_autoptr(GSocket) slow = NULL;
  g_autofree char *before = NULL;

  harness_setup_world (h);
  before = harness_dump_database (h);
  harness_start (h, FALSE);
  slow = connect_from (h, "127.4.0.1");
  send_bytes (slow, head, strlen (head));
  g_assert_true (closed_within (slow, CLOSED_AT_DEADLINE_SECONDS));
  harness_assert_database_unchanged (h, before);
  harness_free (h);
}

/* GET /healthz on @stream, the way a client that keeps connections alive asks (no Connection:
 * close), reading the whole answer; returns the status, 0 if the server closed without one, and
 * whether the answer says the connection closes after it. */
static guint
healthz_on (GIOStream *stream,
            gboolean  *closes)
{
  static const char request[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  g_autoptr(GString) answer = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *end, *length;

  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (stream), request,
                                            strlen (request), NULL, NULL, &error));
  g_assert_no_error (error);
  while ((end = strstr (answer->str, "\r\n\r\n")) == NULL
         || (length = strstr (answer->str, "Content-Length: ")) == NULL
         || answer->len < (gsize) (end + 4 - answer->str)
                          + g_ascii_strtoull (length + strlen ("Content-Length: "), NULL, 10))
    {
      char buffer[1024];
      gssize received = g_input_stream_read (g_io_stream_get_input_stream (stream), buffer,
                                             sizeof buffer, NULL, NULL);

      if (received <= 0)
        return 0;
      g_string_append_len (answer, buffer, received);
    }
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 "));
  if (closes != NULL)
    *closes = strstr (answer->str, "\r\nConnection: close\r\n") != NULL;
  return (guint) g_ascii_strtoull (answer->str + strlen ("HTTP/1.1 "), NULL, 10);
}

/* A connection from @source as a stream (the socket's timeout: PROMPT_SECONDS, scaled). */
static GIOStream *
plain_from (Harness    *h,
            const char *source)
{
  g_autoptr(GSocket) socket = connect_from (h, source);

  g_socket_set_timeout (socket, ff_test_deadline_s (PROMPT_SECONDS));
  return G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
}

static gboolean
accept_any (GTlsConnection       *connection,
            GTlsCertificate      *certificate,
            GTlsCertificateFlags  errors,
            gpointer              user_data)
{
  return TRUE;
}

/* A TLS connection from @source (the platform's own certificate, on 127.0.0.1, is trusted). */
static GIOStream *
tls_from (Harness    *h,
          const char *source)
{
  g_autoptr(GIOStream) tcp = plain_from (h, source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) tls = g_tls_client_connection_new (tcp, NULL, &error);

  g_assert_no_error (error);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any), NULL);
  g_assert_true (g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&tls);
}

/* GET /healthz on a new connection from @source; the client reads the whole answer, then closes
 * the connection. */
static guint
healthz_from (Harness    *h,
              const char *source)
{
  g_autoptr(GIOStream) stream = plain_from (h, source);

  return healthz_on (stream, NULL);
}

/* libsoup 3.2 never closed a kept-alive connection that its client closed after an answer: each
 * held its address's slot for good, and once a client had made as many requests as its address
 * may hold connections, it was locked out. The acceptor holds a kept-alive connection between
 * two requests itself and closes it when the client does. */
static void
test_closed_connections (void)
{
  Harness *h = harness_new ();
  const char *const args[] = { "--max-connections-per-address", "4", NULL };

  harness_setup_world (h);
  harness_start_with (h, FALSE, args);
  for (guint i = 0; i < 3 * 4; i++)
    g_assert_cmpuint (healthz_from (h, "127.5.0.1"), ==, 200);
  g_assert_cmpfloat (harness_metric (h, "fieldflash_connections_refused_total"), ==, 0);
  harness_free (h);
}

/* A connection serves several requests, over TLS as over plain HTTP: 200 clients one after the
 * other that each make two requests on their connection and close it never reach the 64
 * connections one address may hold. Over plain HTTP also: the answer to the
 * REQUESTS_PER_CONNECTION-th request says the connection closes, and it does; a
 * connection left silent after an answer is closed (after FF_ACCEPTOR_IDLE_SECONDS). */
static void
test_kept_alive (gconstpointer data)
{
  gboolean https = GPOINTER_TO_INT (data);
  Harness *h = harness_new ();
  g_autoptr(GIOStream) kept = NULL;
  gboolean closes = TRUE;

  harness_setup_world (h);
  harness_start (h, https);
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(GIOStream) stream = https ? tls_from (h, "127.5.0.2")
                                          : plain_from (h, "127.5.0.2");

      for (guint r = 0; r < 2; r++)
        {
          g_assert_cmpuint (healthz_on (stream, &closes), ==, 200);
          g_assert_false (closes);
        }
    }
  g_assert_cmpfloat (harness_metric (h, "fieldflash_connections_refused_total"), ==, 0);
  if (https)
    {
      harness_free (h);
      return;
    }

  kept = plain_from (h, "127.5.0.3");
  for (guint r = 1; r < REQUESTS_PER_CONNECTION; r++)
    {
      g_assert_cmpuint (healthz_on (kept, &closes), ==, 200);
      g_assert_false (closes);
    }
  g_assert_cmpuint (healthz_on (kept, &closes), ==, 200);
  g_assert_true (closes);
  g_assert_true (closed_within (g_socket_connection_get_socket (G_SOCKET_CONNECTION (kept)),
                                CLOSED_AT_ONCE_SECONDS));
  g_clear_object (&kept);

  kept = plain_from (h, "127.5.0.4");
  g_assert_cmpuint (healthz_on (kept, &closes), ==, 200);
  g_assert_true (closed_within (g_socket_connection_get_socket (G_SOCKET_CONNECTION (kept)),
                                CLOSED_AT_DEADLINE_SECONDS));
  harness_free (h);
}

/* A body that stops coming held its connection for good (only the head had a deadline): it is cut
 * off at the body's deadline (30 s, and a second per KiB it announced: here none). */
static void
test_body_deadline (void)
{
  Harness *h = harness_new ();
  static const char head[] = "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Length: 100\r\n\r\n{";
  g_autoptr(GSocket) slow = NULL;
  g_autofree char *before = NULL;

  harness_setup_world (h);
  before = harness_dump_database (h);
  harness_start (h, FALSE);
  slow = connect_from (h, "127.6.0.1");
  send_bytes (slow, head, strlen (head));
  g_assert_true (closed_within (slow, CLOSED_AT_DEADLINE_SECONDS));
  harness_assert_database_unchanged (h, before);
  harness_free (h);
}

/* Runs openssl s_client against the server with @args; returns its exit status. */
static int
s_client (Harness     *h,
          char       **output,
          const char  *first_arg,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  va_list args;

  g_ptr_array_add (argv, g_strdup ("openssl"));
  g_ptr_array_add (argv, g_strdup ("s_client"));
  g_ptr_array_add (argv, g_strdup ("-connect"));
  g_ptr_array_add (argv, g_strdup_printf ("127.0.0.1:%u", server_port (h)));
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
  g_assert_no_error (error);
  /* An empty standard input: s_client ends the session as soon as it is set up. */
  ff_test_subprocess_communicate (process, "", S_CLIENT_SECONDS, "openssl s_client", &out, NULL);
  g_test_message ("openssl s_client %s → %d\n%s", first_arg,
                  g_subprocess_get_exit_status (process), out);
  *output = g_steal_pointer (&out);
  return g_subprocess_get_exit_status (process);
}

/* TLS 1.0 and 1.1 are refused even by a client that would accept them (security level 0); TLS 1.2
 * is served with an ECDHE suite, and TLS 1.3 (its suites are all ephemeral). */
static void
test_tls_versions (void)
{
  Harness *h = harness_new ();
  g_autofree char *out_11 = NULL;
  g_autofree char *out_10 = NULL;
  g_autofree char *out_12 = NULL;
  g_autofree char *out_13 = NULL;
  g_autofree char *before = NULL;

  harness_setup_world (h);
  before = harness_dump_database (h);
  harness_start (h, TRUE);
  g_assert_cmpint (s_client (h, &out_11, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", NULL), !=, 0);
  g_assert_cmpint (s_client (h, &out_10, "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0", NULL), !=, 0);
  g_assert_cmpint (s_client (h, &out_12, "-tls1_2", NULL), ==, 0);
  g_assert_nonnull (strstr (out_12, "New, TLSv1.2, Cipher is ECDHE-"));
  g_assert_cmpint (s_client (h, &out_13, "-tls1_3", NULL), ==, 0);
  g_assert_nonnull (strstr (out_13, "New, TLSv1.3, Cipher is TLS_"));
  /* Still served after the refusals. */
  g_assert_cmpuint (harness_request (h, "GET", "/healthz", NULL, NULL, NULL, NULL, NULL), ==, 200);
  harness_assert_database_unchanged (h, before);
  harness_free (h);
}

/* Two groups, one per meson test: "load" times answers under load and runs alone (its bounds are
 * about the time of an answer on a 2-core machine); "deadlines" only waits for the daemon's 30 s
 * deadlines (and its 10 s idle one for kept-alive connections), which other tests may share the
 * machine with. */
int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (argc != 2 || (strcmp (argv[1], "load") != 0 && strcmp (argv[1], "deadlines") != 0))
    g_error ("usage: test-security-connections [GLIB TEST OPTIONS] load|deadlines");
  if (strcmp (argv[1], "load") == 0)
    {
      g_test_add_func ("/security/connections/idle-tls", test_idle_connections);
      g_test_add_func ("/security/connections/per-address", test_connections_per_address);
      g_test_add_func ("/security/connections/closed-connections", test_closed_connections);
      g_test_add_func ("/security/connections/tls-versions", test_tls_versions);
    }
  else
    {
      g_test_add_func ("/security/connections/handshake-deadline", test_handshake_deadline);
      g_test_add_func ("/security/connections/head-deadline", test_head_deadline);
      g_test_add_func ("/security/connections/body-deadline", test_body_deadline);
      g_test_add_data_func ("/security/connections/kept-alive", GINT_TO_POINTER (FALSE),
                            test_kept_alive);
      g_test_add_data_func ("/security/connections/kept-alive-tls", GINT_TO_POINTER (TRUE),
                            test_kept_alive);
    }
  return g_test_run ();
}
