/* The platform's HTTP server (docs/api.md) on a SoupServer: it refuses oversized or ambiguous
 * request bodies early and hands every request to worker threads. The main thread only copies what
 * a request carries and applies the reply, so slow work (scrypt, durable commits) never blocks
 * other clients. Logins hash their PIN on threads of their own, with a bounded queue, so that a
 * crowd logging in cannot hold the threads every other request needs. The routes and their
 * handlers are in ff-platform-server-routes.c. */
#include "config.h"

#include "ff-platform-server-private.h"

#include "ff-platform-firmware-store.h"
#include "ff-platform-refusal.h"

#include <glib/gi18n-lib.h>

/* Threads for every request but logins: enough that a few slow ones (a durable commit, a large
 * ledger count) leave others running; the database serialises its work anyway. */
#define REQUEST_THREADS 16
/* The expected time of one login before any was measured, for Retry-After. */
#define LOGIN_SECONDS_GUESS 0.1

G_DEFINE_FINAL_TYPE (FfPlatformServer, ff_platform_server, G_TYPE_OBJECT)

static void
job_free (Job *job)
{
  g_clear_signal_handler (&job->disconnected_id, job->message);
  g_object_unref (job->message);
  soup_message_headers_unref (job->headers);
  g_object_unref (job->server);
  g_free (job->method);
  g_free (job->path);
  g_clear_pointer (&job->query, g_hash_table_unref);
  g_free (job->upload_file);
  g_bytes_unref (job->body);
  g_free (job);
}

/* A worker of either pool: routes the request in @task and hands the reply to the main thread.
 * GLib keeps a pool's idle threads for later pools, even past the daemon's end, so the thread
 * gives back OpenSSL's per-thread state after each job rather than park with it (finalize waits
 * for the jobs). */
static void
run_job (gpointer task,
         gpointer user_data)
{
  g_task_return_pointer (task, ff_platform_server_route (g_task_get_task_data (task)),
                         (GDestroyNotify) ff_reply_free);
  g_object_unref (task);
  ff_crypto_thread_done ();
}

static void
run_login (gpointer task,
           gpointer user_data)
{
  Job *job = g_task_get_task_data (task);

  g_atomic_int_dec_and_test (&job->server->logins_waiting);
  run_job (task, user_data);
}

G_DEFINE_QUARK (ff-platform-head-read, head_read)

/* When the head of @message was read (monotonic µs). */
static gint64
head_read_at (SoupServerMessage *message)
{
  gint64 *at = g_object_get_qdata (G_OBJECT (message), head_read_quark ());

  return at != NULL ? *at : g_get_monotonic_time ();
}

/* The reason phrase for @status: libsoup's, except where libsoup 3.2 has none. */
static const char *
reason_phrase (guint status)
{
  return status == 429 ? "Too Many Requests" : NULL;
}

static void
apply_reply (SoupServerMessage *message,
             FfReply             *reply)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

  soup_server_message_set_status (message, reply->status, reason_phrase (reply->status));
  /* The firmware handler answers Range itself; libsoup would cut a 200 it sends to the Range
   * again (even one the handler chose to ignore), so it must not see that header. */
  soup_message_headers_remove (soup_server_message_get_request_headers (message), "Range");
  for (guint i = 0; i + 1 < reply->headers->len; i += 2)
    soup_message_headers_replace (headers, g_ptr_array_index (reply->headers, i),
                                  g_ptr_array_index (reply->headers, i + 1));
  if (reply->content_type != NULL)
    soup_message_headers_set_content_type (headers, reply->content_type, NULL);
  if (reply->body != NULL)
    soup_message_body_append_bytes (soup_server_message_get_response_body (message), reply->body);
}

/* libsoup 3.2 refuses some requests itself, in its got-headers step, before any handler runs: a
 * CONNECT (its authority-form target is no https URI), a path that encodes a NUL byte (%00) or a
 * ".." segment (%2e%2e): 400, with an empty body. It emits request-read for them all the same
 * (soup-server.c, got_body), and a status set there means no handler will: this is the one place
 * to give them the API's JSON error. A target that is no path at all ("OPTIONS *", a CONNECT's
 * authority) got libsoup's empty 404 or the handler's 404 for "/": it is refused here too. A
 * request whose head libsoup cannot parse at all is answered before even that (docs/api.md). */
static void
request_read (SoupServer        *soup,
              SoupServerMessage *message,
              gpointer           user_data)
{
  guint status = soup_server_message_get_status (message);
  const char *path = g_uri_get_path (soup_server_message_get_uri (message));
  g_autoptr(FfReply) reply = NULL;

  /* libsoup gives "OPTIONS *" and a CONNECT's authority the path "/". */
  if (status == 0
      && (path[0] != '/' || soup_server_message_is_options_ping (message)
          || soup_server_message_get_method (message) == SOUP_METHOD_CONNECT))
    status = 400;
  if (status < 400 || soup_server_message_get_response_body (message)->length > 0)
    return;
  reply = ff_reply_error (ff_reply_new (NULL), status,
                          _("The request is malformed: its target is not a path of this server, "
                            "or encodes a NUL byte or a “..” segment"));
  apply_reply (message, reply);
}

static void
count_request (FfPlatformServer  *self,
               SoupServerMessage *message,
               FfReply             *reply)
{
  ff_platform_metrics_observe (self->metrics, reply->route, reply->status,
                               g_get_monotonic_time () - head_read_at (message));
}

static void
job_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  FfPlatformServer *self = FF_PLATFORM_SERVER (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(FfReply) reply = g_task_propagate_pointer (G_TASK (result), NULL);

  count_request (self, job->message, reply);
  if (!job->disconnected)
    {
      apply_reply (job->message, reply);
      soup_server_message_unpause (job->message);
    }
  /* Freed here, in the main thread, rather than wherever the worker drops the task: the job
   * holds the last reference to the message and its connection, which are libsoup's. */
  g_task_set_task_data (G_TASK (result), NULL, NULL);
}

static void
on_disconnected (SoupServerMessage *message,
                 Job               *job)
{
  job->disconnected = TRUE;
}

gboolean
ff_platform_server_login_queue_full (FfPlatformServer *self)
{
  return (guint) g_atomic_int_get (&self->logins_waiting) >= self->limits.login_queue;
}

/* 503 at once while the login queue is full: waiting longer would only pile up more clients,
 * and a tablet can try again when Retry-After (the queue's expected drain time) has passed. */
static void
refuse_login (FfPlatformServer  *self,
              SoupServerMessage *message)
{
  g_autoptr(FfReply) reply = ff_reply_new ("login");
  double login_seconds = ff_platform_metrics_mean_seconds (self->metrics, "login",
                                                           LOGIN_SECONDS_GUESS);
  double drain = g_atomic_int_get (&self->logins_waiting) * login_seconds / self->login_threads;
  g_autofree char *retry_after = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) drain + 1);

  g_atomic_int_set (&self->login_refused_at, (gint) (g_get_monotonic_time () / G_USEC_PER_SEC) + 1);
  ff_reply_add_header (reply, "Retry-After", retry_after);
  ff_reply_error (reply, 503, _("The platform is busy with other logins; try again shortly"));
  count_request (self, message, reply);
  apply_reply (message, reply);
}

static void
handle_request (SoupServer        *soup,
                SoupServerMessage *message,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  FfPlatformServer *self = user_data;
  g_autoptr(GTask) task = NULL;
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  /* An operator's login at the console hashes a password as a tablet's hashes a PIN: it waits in
   * the same bounded queue, so that neither can take the threads every other request needs. */
  gboolean login = (g_str_equal (path, "/api/v1/login")
                    || g_str_equal (path, FF_CONSOLE_API_PREFIX "login"))
                   && g_str_equal (soup_server_message_get_method (message), "POST");
  Job *job;

  if (login && ff_platform_server_login_queue_full (self))
    {
      refuse_login (self, message);
      return;
    }
  task = g_task_new (self, NULL, job_done, NULL);
  job = g_new0 (Job, 1);
  job->server = g_object_ref (self);
  job->message = g_object_ref (message);
  job->headers = soup_message_headers_ref (soup_server_message_get_request_headers (message));
  job->method = g_strdup (soup_server_message_get_method (message));
  job->path = g_strdup (path);
  job->query = query != NULL ? g_hash_table_ref (query) : NULL;
  job->upload_file = g_strdup (ff_console_upload_file (message));
  /* An upload's body went to a file (or nowhere) as it came: there is none to flatten. */
  job->body = ff_console_is_upload (job->method, path) ? g_bytes_new (NULL, 0)
                                                       : soup_message_body_flatten (body);
  job->disconnected_id = g_signal_connect (message, "disconnected",
                                           G_CALLBACK (on_disconnected), job);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  soup_server_message_pause (message);
  if (login)
    g_atomic_int_inc (&self->logins_waiting);
  g_thread_pool_push (login ? self->login_pool : self->request_pool, g_steal_pointer (&task),
                      NULL);
}

/* Request bodies */

/* libsoup reads a whole request body, whatever its Content-Length says or however many chunks
 * come, before a handler may answer; so an oversized body is refused as soon as it shows. */
typedef struct
{
  FfPlatformServer *server;
  const char       *route;
  goffset           limit;
  goffset           received;
} BodyWatch;

static void
body_watch_free (gpointer  watch,
                 GClosure *closure)
{
  g_free (watch);
}

/* Answers before the body is read, and closes the connection. */
static void
refuse_early (FfPlatformServer  *self,
              SoupServerMessage *message,
              const char        *route,
              guint              status,
              const char        *text)
{
  g_autoptr(FfReply) reply = ff_reply_error (ff_reply_new (route), status, text);

  count_request (self, message, reply);
  ff_platform_refuse_request (message, reply->status, reply->body);
}

static void
refuse_oversized_body (FfPlatformServer  *self,
                       SoupServerMessage *message,
                       const char        *route)
{
  refuse_early (self, message, route, 413, _("The request body is too large"));
}

/* Two Content-Length headers (libsoup 3.2 joins them into a list and reads the body by one of
 * them), a list in one, or one next to Transfer-Encoding: a body whose length two parsers could
 * read differently, which is what request smuggling is made of. */
static gboolean
body_length_is_ambiguous (SoupMessageHeaders *headers)
{
  const char *length = soup_message_headers_get_list (headers, "Content-Length");

  return length != NULL
         && (strchr (length, ',') != NULL
             || soup_message_headers_get_one (headers, "Transfer-Encoding") != NULL);
}

/* A Content-Length of 2^63 or more: libsoup 3.2 reads it as a negative length, dispatches the
 * request with an empty body (the bytes sent as its body left on the connection) or, for
 * 2^64 - 1, waits for a body without end; GLib warns of the negative length either way. Its own
 * 400 refuses only a length that is no number at all. */
static gboolean
body_length_is_out_of_range (SoupMessageHeaders *headers)
{
  const char *length = soup_message_headers_get_one (headers, "Content-Length");

  return length != NULL
         && !g_ascii_string_to_unsigned (length, 10, 0, G_MAXINT64, NULL, NULL);
}

static void
body_chunk_received (SoupServerMessage *message,
                     GBytes            *chunk,
                     BodyWatch         *watch)
{
  FfPlatformServer *self = watch->server;
  const char *route = watch->route;

  watch->received += g_bytes_get_size (chunk);
  if (watch->received <= watch->limit)
    return;
  g_signal_handlers_disconnect_by_func (message, body_chunk_received, watch);
  refuse_oversized_body (self, message, route);
}

/* The headers that carry a credential: sent twice, libsoup 3.2 answers the last from
 * soup_message_headers_get_one(), where a proxy or a log in front may have read the first. */
static const char *const single_headers[] = { "Authorization", "X-CSRF-Token",
                                              "Fieldflash-Signature", NULL };

static void
count_single_header (const char *name,
                     const char *value,
                     gpointer    user_data)
{
  guint *counts = user_data;

  for (guint i = 0; single_headers[i] != NULL; i++)
    if (g_ascii_strcasecmp (name, single_headers[i]) == 0)
      counts[i]++;
}

static gboolean
credentials_are_repeated (SoupMessageHeaders *headers)
{
  guint counts[G_N_ELEMENTS (single_headers)] = { 0 };

  soup_message_headers_foreach (headers, count_single_header, counts);
  for (guint i = 0; single_headers[i] != NULL; i++)
    if (counts[i] > 1)
      return TRUE;
  return FALSE;
}

/* Why the query is refused, or NULL: a parameter named twice ("version=V1&version=V2"), where
 * libsoup 3.2 keeps the last and a proxy or a log in front may have read the first; or a pair that
 * soup_form_decode() drops or cuts without a word (no "=", a name with %00) and another reader may
 * not. GLib's own parser of query pairs reads them ('+' a space, as libsoup does) and refuses what
 * is not name=value text in UTF-8; names are compared decoded. (libsoup refuses a malformed
 * %-escape itself, as it parses the request line.) */
static const char *
query_refusal (GUri *uri)
{
  const char *query = g_uri_get_query (uri);
  g_autoptr(GHashTable) names = NULL;
  g_autoptr(GError) error = NULL;
  GUriParamsIter pairs;
  char *name;

  if (query == NULL)
    return NULL;
  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_uri_params_iter_init (&pairs, query, -1, "&", G_URI_PARAMS_WWW_FORM);
  while (g_uri_params_iter_next (&pairs, &name, NULL, &error))
    if (!g_hash_table_add (names, name))
      return _("The request’s query names a parameter more than once");
  if (error != NULL)
    return _("The request’s query is not name=value pairs of UTF-8 text joined by “&” (a pair "
             "without “=”, or an escaped NUL or non-UTF-8 byte)");
  return NULL;
}

/* Why the request's head is refused before its body is read (400), or NULL. */
static const char *
head_refusal (SoupServerMessage  *message,
              SoupMessageHeaders *headers)
{
  if (body_length_is_ambiguous (headers))
    return _("The request’s length is ambiguous: send one Content-Length, or Transfer-Encoding "
             "alone");
  if (body_length_is_out_of_range (headers))
    return _("The request’s Content-Length is not a number of bytes");
  if (credentials_are_repeated (headers))
    return _("The request repeats Authorization, X-CSRF-Token or Fieldflash-Signature: send "
             "each once");
  return query_refusal (soup_server_message_get_uri (message));
}

/* Refuses a head that head_refusal() refuses, or a body over the limit of its route from its
 * Content-Length (413) before reading it, or (chunked) at the chunk that passes the limit. */
static void
watch_body_size (SoupServer        *soup,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  FfPlatformServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  gboolean report = g_str_equal (path, "/api/v1/reports");
  gboolean console = g_str_has_prefix (path, FF_CONSOLE_API_PREFIX);
  gboolean upload = ff_console_is_upload (soup_server_message_get_method (message), path);
  BodyWatch *watch = g_new0 (BodyWatch, 1);
  gint64 *head_read = g_new (gint64, 1);
  const char *refusal;

  /* Latency is measured from here, the first moment every request passes through. */
  *head_read = g_get_monotonic_time ();
  g_object_set_qdata_full (G_OBJECT (message), head_read_quark (), head_read, g_free);
  watch->server = self;
  watch->route = report ? "reports" : g_str_equal (path, "/api/v1/login") ? "login"
                : console ? "console" : "other";
  watch->limit = report ? FF_REPORT_MAX_BODY : upload ? (goffset) FF_FIRMWARE_MAX_SIZE
                : console ? FF_CONSOLE_MAX_BODY : FF_LOGIN_MAX_BODY;
  refusal = head_refusal (message, headers);
  if (refusal != NULL)
    {
      refuse_early (self, message, watch->route, 400, refusal);
      g_free (watch);
      return;
    }
  if (soup_message_headers_get_content_length (headers) > watch->limit)
    {
      refuse_oversized_body (self, message, watch->route);
      g_free (watch);
      return;
    }
  if (upload)
    ff_console_upload_begin (self->console, message);
  g_signal_connect_data (message, "got-chunk", G_CALLBACK (body_chunk_received), watch,
                         body_watch_free, 0);
}

/* Object */

static void
ff_platform_server_finalize (GObject *object)
{
  FfPlatformServer *self = FF_PLATFORM_SERVER (object);

  g_clear_pointer (&self->acceptor, ff_platform_acceptor_free);
  soup_server_disconnect (self->soup);
  /* Runs what is queued: each job holds a reference to its message. */
  g_thread_pool_free (self->request_pool, FALSE, TRUE);
  g_thread_pool_free (self->login_pool, FALSE, TRUE);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->tls, ff_platform_tls_free);
  g_free (self->data_dir);
  g_free (self->dummy_pin_hash);
  ff_login_strangers_free (self->strangers);
  ff_console_free (self->console);
  ff_key_unref (self->platform_key);
  ff_platform_metrics_free (self->metrics);
  G_OBJECT_CLASS (ff_platform_server_parent_class)->finalize (object);
}

static void
ff_platform_server_class_init (FfPlatformServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ff_platform_server_finalize;
}

static void
ff_platform_server_init (FfPlatformServer *self)
{
  self->metrics = ff_platform_metrics_new ();
  self->strangers = ff_login_strangers_new ();
}

/* A pool of at most @threads, started as work comes. Each pool has its own limit and queue,
 * apart from GTask's shared pool (libsoup's and GIO's own blocking work): no other work can
 * hold its threads. */
static GThreadPool *
own_pool (GFunc run,
          guint threads)
{
  return g_thread_pool_new (run, NULL, (int) threads, FALSE, NULL);
}

FfPlatformServer *
ff_platform_server_new (FfPlatformDb           *db,
                        const char             *data_dir,
                        FfKey                  *platform_key,
                        FfPlatformTls          *tls,
                        const FfPlatformLimits *limits,
                        GError                **error)
{
  g_autofree char *dummy_pin = ff_random_hex (8);
  g_autofree char *dummy_pin_hash = ff_pin_hash (dummy_pin, error);
  FfConsole *console = NULL;
  FfPlatformServer *self;

  if (dummy_pin_hash == NULL
      || (console = ff_console_new (db, data_dir, platform_key, error)) == NULL)
    {
      g_clear_pointer (&tls, ff_platform_tls_free);
      return NULL;
    }
  self = g_object_new (FF_TYPE_PLATFORM_SERVER, NULL);
  self->db = db;
  self->data_dir = g_strdup (data_dir);
  self->platform_key = ff_key_ref (platform_key);
  self->tls = tls;
  self->limits = *limits;
  self->dummy_pin_hash = g_steal_pointer (&dummy_pin_hash);
  self->console = g_steal_pointer (&console);
  /* scrypt is CPU-bound: one thread per core hashes as fast as the machine can. */
  self->login_threads = MAX (1, g_get_num_processors ());
  self->request_pool = own_pool (run_job, REQUEST_THREADS);
  self->login_pool = own_pool (run_login, self->login_threads);
  /* The acceptor does TLS, so libsoup is given no certificate. */
  self->soup = soup_server_new ("server-header", "fieldflash-platform/" PACKAGE_VERSION " ", NULL);
  soup_server_add_early_handler (self->soup, NULL, watch_body_size, self, NULL);
  soup_server_add_handler (self->soup, NULL, handle_request, self, NULL);
  g_signal_connect (self->soup, "request-read", G_CALLBACK (request_read), NULL);
  self->acceptor = ff_platform_acceptor_new (self->soup, tls,
                                             limits->max_connections_per_address);
  return self;
}

char *
ff_platform_server_listen (FfPlatformServer *self,
                           const char       *address,
                           GError          **error)
{
  return ff_platform_acceptor_listen (self->acceptor, address, error);
}

FfPlatformMetrics *
ff_platform_server_get_metrics (FfPlatformServer *self)
{
  return self->metrics;
}
