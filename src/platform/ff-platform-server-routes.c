/* The routes of the platform's HTTP API (docs/api.md): which handler answers a path, and the
 * handlers of the tablets' API (login, tasks, firmware, reports), of /healthz, /metrics and the
 * platform key; the agents' and the console's routes are handed on to their own files. Each runs
 * in a worker thread (ff-platform-server.c). */
#include "config.h"

#include "ff-platform-server-private.h"

#include "ff-console-static.h"
#include "ff-document.h"
#include "ff-platform-clock.h"
#include "ff-platform-agent-routes.h"
#include "ff-platform-firmware-store.h"
#include "ff-platform-ingest.h"
#include "ff-platform-campaigns.h"
#include "ff-task.h"

#include <glib/gi18n-lib.h>

/* /healthz calls the database slow when a trivial query, waiting for the database's lock
 * included, takes longer than this. */
#define DATABASE_SLOW_MS 500
/* How long /healthz says "degraded" after a login was refused for a full queue: a load balancer
 * polls every few seconds and would miss a queue that is full only now and then. */
#define DEGRADED_HOLD_SECONDS 10

static gboolean
method_is (Job        *job,
           const char *method)
{
  return g_str_equal (job->method, method);
}

/* The methods each route accepts, by its metrics label: the dispatch answers only these, and a
 * 405's Allow header lists them (RFC 9110), so the two cannot differ. HEAD goes with GET. */
static const struct
{
  const char *name;
  const char *allow;
} route_methods[] = {
  { "healthz", "GET, HEAD" },
  { "metrics", "GET, HEAD" },
  { "platform_key", "GET, HEAD" },
  { "login", "POST" },
  { "agent_packages", "GET, HEAD" },
  { "agent_query", "POST" },
  { "tasks", "GET, HEAD" },
  { "task_document", "GET, HEAD" },
  { "task_signature", "GET, HEAD" },
  { "firmware", "GET, HEAD" },
  { "reports", "POST" },
  { "console_files", "GET, HEAD" },
};

static const char *
route_allow (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (route_methods); i++)
    if (g_str_equal (route_methods[i].name, name))
      return route_methods[i].allow;
  g_return_val_if_reached ("");
}

/* Whether the route labelled @name accepts the request's method. */
static gboolean
route_accepts (Job        *job,
               const char *name)
{
  g_auto(GStrv) methods = g_strsplit (route_allow (name), ", ", -1);

  return g_strv_contains ((const char *const *) methods, job->method);
}

static FfReply *
reply_not_allowed (const char *name)
{
  return ff_reply_not_allowed (name, route_allow (name));
}

static void
count_metric (FfPlatformServer  *self,
              FfPlatformCounter  counter,
              gint64             amount)
{
  ff_platform_metrics_add (self->metrics, counter, amount);
}

/* Checks @pin against @pin_hash (the dummy hash when the phone is unknown), counted. */
static gboolean
verify_pin (FfPlatformServer *self,
            const char       *pin,
            const char       *pin_hash)
{
  count_metric (self, FF_PLATFORM_COUNTER_PIN_HASHES, 1);
  return ff_pin_verify (pin, pin_hash != NULL ? pin_hash : self->dummy_pin_hash);
}

/* Authentication */

typedef struct
{
  char *phone;
  char *serial;
} Session;

static void
session_clear (Session *session)
{
  g_clear_pointer (&session->phone, g_free);
  g_clear_pointer (&session->serial, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Session, session_clear)

static gboolean
authenticate (Job     *job,
              Session *session,
              GError **error)
{
  const char *header = soup_message_headers_get_one (job->headers, "Authorization");
  g_autofree char *token_hash = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean retired = FALSE;

  if (header == NULL || !g_str_has_prefix (header, "Bearer ") || strlen (header + 7) != 64)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_UNAUTHORIZED,
                   _("Log in first (send Authorization: Bearer TOKEN)"));
      return FALSE;
    }
  token_hash = ff_sha256_hex (header + 7, 64);
  if (!ff_platform_db_find_session (job->server->db, token_hash, ff_platform_now (),
                                    &session->phone, &session->serial, &retired, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_UNAUTHORIZED,
                     _("The session is unknown or expired; log in again"));
      return FALSE;
    }
  /* Logging in again would not help a retired tablet: its sessions are forbidden, not unknown. */
  if (retired)
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FORBIDDEN,
                           _("This tablet is not registered or is retired"));
      return FALSE;
    }
  return TRUE;
}

/* Login */

static const char *const login_members[] = { "phone", "pin", "tablet_serial", NULL };

static FfReply *
handle_login (Job *job)
{
  FfPlatformServer *self = job->server;
  FfReply *reply = ff_reply_new ("login");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(FfHandheld) handheld = NULL;
  g_autoptr(FfTechnician) technician = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *token = NULL;
  g_autofree char *token_hash = NULL;
  JsonObject *root;
  const char *phone, *pin, *serial;
  gint64 now = ff_platform_now (), retry_after;

  parser = ff_document_parse_object (job->body, &root, &error);
  if (parser == NULL
      || !ff_document_check_members (root, "", login_members, &error)
      || (phone = ff_document_get_string (root, "", "phone", FALSE, 11, &error)) == NULL
      || (pin = ff_document_get_string (root, "", "pin", FALSE, 64, &error)) == NULL
      || (serial = ff_document_get_name (root, "", "tablet_serial", &error)) == NULL)
    return ff_reply_gerror (reply, error);
  if (!ff_phone_is_valid (phone))
    return ff_reply_error (reply, 400, _("The phone number must have 11 digits and start with 1"));
  handheld = ff_platform_db_get_handheld (self->db, serial, &error);
  if (error != NULL)
    return ff_reply_gerror (reply, error);
  if (handheld == NULL || g_str_equal (handheld->state, FF_HANDHELD_RETIRED))
    return ff_reply_error (reply, 403, _("This tablet is not registered or is retired"));
  technician = ff_platform_login_begin (self->db, phone, now, &retry_after, &error);
  if (error != NULL)
    return ff_reply_gerror (reply, error);
  if (technician == NULL)
    retry_after = ff_login_strangers_attempt (self->strangers, phone, now);
  if (retry_after > 0)
    {
      g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, retry_after);
      ff_reply_add_header (reply, "Retry-After", seconds);
      return ff_reply_error (reply, 429, _("Too many wrong PINs; wait before trying again"));
    }
  if (technician == NULL)
    {
      verify_pin (self, pin, NULL);
      count_metric (self, FF_PLATFORM_COUNTER_LOGIN_FAILURES, 1);
      return ff_reply_error (reply, 401,
                             _("The PIN is wrong or the phone number is not registered"));
    }
  /* The attempt is counted as a failure already; only a right PIN clears it. */
  if (!verify_pin (self, pin, technician->pin_hash))
    {
      count_metric (self, FF_PLATFORM_COUNTER_LOGIN_FAILURES, 1);
      return ff_reply_error (reply, 401,
                             _("The PIN is wrong or the phone number is not registered"));
    }
  token = ff_random_hex (32);
  token_hash = ff_sha256_hex (token, strlen (token));
  if (!ff_platform_login_succeeded (self->db, phone, &error)
      || !ff_platform_db_insert_session (self->db, token_hash, phone, serial, now,
                                         now + FF_SESSION_SECONDS, &error))
    return ff_reply_gerror (reply, error);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "token", token);
  ff_builder_add_timestamp (builder, "expires_at", now + FF_SESSION_SECONDS);
  json_builder_set_member_name (builder, "technician");
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "phone", technician->phone);
  ff_builder_add_string (builder, "name", technician->name);
  json_builder_end_object (builder);
  ff_builder_add_string (builder, "tablet_serial", serial);
  json_builder_end_object (builder);
  return ff_reply_json (reply, 200, builder);
}

/* Tasks */

static FfReply *
handle_task_list (Job     *job,
                  Session *session)
{
  FfReply *reply = ff_reply_new ("tasks");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tasks = ff_platform_db_list_tasks (job->server->db, session->phone,
                                                          session->serial, &error);
  g_autoptr(JsonBuilder) builder = NULL;

  if (tasks == NULL)
    return ff_reply_gerror (reply, error);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tasks");
  json_builder_begin_array (builder);
  for (guint i = 0; i < tasks->len; i++)
    {
      FfTaskRecord *task = g_ptr_array_index (tasks, i);

      /* A cancelled task's work was withdrawn: no tablet gets it again. */
      if (g_str_equal (task->state, FF_TASK_CANCELLED))
        continue;
      json_builder_begin_object (builder);
      ff_builder_add_string (builder, "task_id", task->task_id);
      ff_builder_add_timestamp (builder, "issued_at", task->issued_at);
      ff_builder_add_timestamp (builder, "expires_at", task->expires_at);
      ff_builder_add_boolean (builder, "rollback", task->rollback_reason != NULL);
      ff_builder_add_string (builder, "state", task->state);
      ff_builder_add_int (builder, "items", task->items);
      ff_builder_add_int (builder, "items_closed", task->items_closed);
      ff_builder_add_string (builder, "message", task->dispatch_message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return ff_reply_json (reply, 200, builder);
}

static FfReply *
handle_task_file (Job        *job,
                  Session    *session,
                  const char *task_id,
                  gboolean    signature)
{
  FfReply *reply = ff_reply_new (signature ? "task_signature" : "task_document");
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTaskRecord) task = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *etag = NULL;
  gboolean listed = FALSE;
  const char *data;
  gsize length = 0;

  if (!ff_task_id_is_valid (task_id))
    return ff_reply_error (reply, 400, _("That is not a task ID"));
  task = ff_platform_db_get_task (job->server->db, task_id, &error);
  if (error != NULL)
    return ff_reply_gerror (reply, error);
  if (task == NULL)
    return ff_reply_error (reply, 404, _("There is no such task"));
  if (!g_str_equal (task->phone, session->phone))
    return ff_reply_error (reply, 403, _("The task belongs to another technician"));
  if (!ff_platform_db_task_lists_tablet (job->server->db, task_id, session->serial, &listed,
                                         &error))
    return ff_reply_gerror (reply, error);
  if (!listed)
    return ff_reply_error (reply, 403, _("The task does not list this tablet"));
  if (g_str_equal (task->state, FF_TASK_CANCELLED))
    return ff_reply_error (reply, 410, _("The task was cancelled"));
  if (signature)
    return ff_reply_bytes (reply, 200, "application/octet-stream", task->signature);
  data = g_bytes_get_data (task->document, &length);
  digest = ff_sha256_hex (data, length);
  etag = g_strdup_printf ("\"%s\"", digest);
  ff_reply_add_header (reply, "ETag", etag);
  return ff_reply_bytes (reply, 200, "application/json", task->document);
}

/* Firmware */

typedef enum
{
  RANGE_WHOLE,
  RANGE_PART,
  RANGE_UNSATISFIABLE,
} RangeAnswer;

/* What a download asks for under RFC 9110 §14: one range of a @size-byte file, from *@start to
 * *@end inclusive, when there is exactly one valid range and If-Range (if any) names @etag; a range
 * starting at or past the end cannot be satisfied; anything else (no Range, another If-Range tag,
 * bad syntax, numbers past 64 bits, several ranges, HEAD) gets the whole file. */
static RangeAnswer
requested_range (Job        *job,
                 const char *etag,
                 goffset     size,
                 goffset    *start,
                 goffset    *end)
{
  const char *if_range = soup_message_headers_get_one (job->headers, "If-Range");
  SoupRange *ranges = NULL;
  int n_ranges = 0;

  if (!method_is (job, "GET")
      || (if_range != NULL && !g_str_equal (if_range, etag))
      || !soup_message_headers_get_ranges (job->headers, size, &ranges, &n_ranges))
    return RANGE_WHOLE;
  *start = ranges[0].start;
  *end = ranges[0].end;
  soup_message_headers_free_ranges (job->headers, ranges);
  /* libsoup 3.2 reads a number of 2^63 or more as a negative one: a negative end is no range
   * (it answered 206, "bytes 0--1/N", with an empty body). */
  if (n_ranges != 1 || *end < 0)
    return RANGE_WHOLE;
  /* A suffix longer than the file means all of it; an end past it means up to its end. */
  *start = MAX (*start, 0);
  *end = MIN (*end, size - 1);
  return *start < size ? RANGE_PART : RANGE_UNSATISFIABLE;
}

/* The stored file @sha256 (an image, a patch, a package) as a download: ETag, If-None-Match,
 * and one byte range as RFC 9110 asks, counted in the firmware bytes served. */
static FfReply *
reply_stored_file (Job        *job,
                   FfReply    *reply,
                   const char *sha256)
{
  FfPlatformServer *self = job->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GBytes) whole = NULL;
  g_autoptr(GBytes) part = NULL;
  g_autofree char *path = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *content_range = NULL;
  const char *if_none_match;
  RangeAnswer answer;
  goffset size, start = 0, end = 0;

  path = ff_firmware_store_path (self->data_dir, sha256);
  file = g_mapped_file_new (path, FALSE, &error);
  if (file == NULL)
    return ff_reply_gerror (reply, error);
  whole = g_mapped_file_get_bytes (file);
  size = (goffset) g_bytes_get_size (whole);
  etag = g_strdup_printf ("\"%s\"", sha256);
  ff_reply_add_header (reply, "ETag", etag);
  ff_reply_add_header (reply, "Accept-Ranges", "bytes");
  if_none_match = soup_message_headers_get_one (job->headers, "If-None-Match");
  if (if_none_match != NULL && g_str_equal (if_none_match, etag))
    {
      reply->status = 304;
      return reply;
    }
  answer = requested_range (job, etag, size, &start, &end);
  if (answer == RANGE_WHOLE)
    {
      if (method_is (job, "GET"))
        count_metric (self, FF_PLATFORM_COUNTER_FIRMWARE_BYTES, size);
      return ff_reply_bytes (reply, 200, "application/octet-stream", whole);
    }
  if (answer == RANGE_UNSATISFIABLE)
    {
      content_range = g_strdup_printf ("bytes */%" G_GOFFSET_FORMAT, size);
      ff_reply_add_header (reply, "Content-Range", content_range);
      return ff_reply_error (reply, 416, _("The range is beyond the end of the file"));
    }
  content_range = g_strdup_printf ("bytes %" G_GOFFSET_FORMAT "-%" G_GOFFSET_FORMAT "/%"
                                   G_GOFFSET_FORMAT, start, end, size);
  ff_reply_add_header (reply, "Content-Range", content_range);
  part = g_bytes_new_from_bytes (whole, start, end - start + 1);
  count_metric (self, FF_PLATFORM_COUNTER_FIRMWARE_BYTES, g_bytes_get_size (part));
  return ff_reply_bytes (reply, 206, "application/octet-stream", part);
}

static FfReply *
handle_firmware (Job        *job,
                 Session    *session,
                 const char *sha256)
{
  FfPlatformServer *self = job->server;
  FfReply *reply = ff_reply_new ("firmware");
  g_autoptr(GError) error = NULL;
  gboolean visible = FALSE;

  if (!ff_sha256_hex_is_valid (sha256))
    return ff_reply_error (reply, 400,
                        _("A firmware is named by its SHA-256 (64 lowercase hex digits)"));
  if (!ff_platform_db_firmware_visible (self->db, sha256, session->phone, session->serial,
                                        &visible, &error))
    return ff_reply_gerror (reply, error);
  if (!visible)
    return ff_reply_error (reply, 404, _("None of your tasks names this firmware"));
  return reply_stored_file (job, reply, sha256);
}

/* Networked terminals' agents (ff-platform-agent-routes.c): a package a command named, and the
 * scheduled query, each signed with the terminal's key. */
static FfReply *
route_agent (Job *job)
{
  FfPlatformServer *self = job->server;
  g_auto(GStrv) parts = g_strsplit (job->path, "/", -1);
  guint n = g_strv_length (parts);
  gboolean package = n == 6 && g_str_equal (parts[4], "packages");
  gboolean query = n == 5 && g_str_equal (parts[4], "query");
  const char *name = package ? "agent_packages" : query ? "agent_query" : "other";
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  g_autoptr(JsonBuilder) answer = NULL;

  if (!package && !query)
    return ff_reply_error (ff_reply_new (name), 404, _("There is nothing at this address"));
  if (!route_accepts (job, name))
    return reply_not_allowed (name);
  device_id = ff_agent_authenticate (self->db, job->method, job->path,
                                     soup_message_headers_get_one (job->headers, "Authorization"),
                                     job->body, ff_platform_now (), &error);
  if (device_id == NULL)
    return ff_reply_gerror (ff_reply_new (name), error);
  if (package)
    {
      if (!ff_sha256_hex_is_valid (parts[5]))
        return ff_reply_error (ff_reply_new (name), 400,
                            _("A package is named by its SHA-256 (64 lowercase hex digits)"));
      if (!ff_agent_check_package (self->db, device_id, parts[5], &error))
        return ff_reply_gerror (ff_reply_new (name), error);
      return reply_stored_file (job, ff_reply_new (name), parts[5]);
    }
  answer = ff_agent_query (self->db, self->data_dir, self->platform_key, device_id, job->body,
                           ff_platform_now (), &error);
  if (answer == NULL)
    return ff_reply_gerror (ff_reply_new (name), error);
  return ff_reply_json (ff_reply_new (name), 200, answer);
}

/* Reports */

static FfReply *
handle_report (Job     *job,
               Session *session)
{
  FfPlatformServer *self = job->server;
  FfReply *reply = ff_reply_new ("reports");
  const char *header = soup_message_headers_get_one (job->headers, "Fieldflash-Signature");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_auto(FfIngestResult) result = { 0 };
  guchar *decoded;
  gsize length = 0;

  if (header == NULL || strlen (header) != 88)
    return ff_reply_error (reply, 400,
                           _("Send the report's signature as Fieldflash-Signature: BASE64"));
  decoded = g_base64_decode (header, &length);
  signature = g_bytes_new_take (decoded, length);
  if (!ff_platform_ingest_report (self->db, job->body, signature, session->phone, session->serial,
                                  ff_platform_now (), &result, &error))
    return ff_reply_gerror (reply, error);
  count_metric (self, result.duplicate ? FF_PLATFORM_COUNTER_REPORTS_DUPLICATE
                                      : FF_PLATFORM_COUNTER_REPORTS_INGESTED, 1);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "report_id", result.report_id);
  ff_builder_add_string (builder, "status", result.duplicate ? "duplicate" : "ingested");
  ff_builder_add_string (builder, "task_state", result.task_state);
  json_builder_end_object (builder);
  return ff_reply_json (reply, result.duplicate ? 200 : 201, builder);
}

/* Health, metrics, key */

static gboolean
logins_refused_lately (FfPlatformServer *self)
{
  gint refused_at = g_atomic_int_get (&self->login_refused_at);

  return refused_at > 0
         && g_get_monotonic_time () / G_USEC_PER_SEC + 1 - refused_at <= DEGRADED_HOLD_SECONDS;
}

/* "ok", or "degraded" while logins are being turned away or the database is slow: busy, not dead,
 * so a load balancer keeps the platform but may send less to it. */
static FfReply *
handle_healthz (Job *job)
{
  FfPlatformServer *self = job->server;
  FfReply *reply = ff_reply_new ("healthz");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 database_ms;
  gboolean queue_full;

  if (!ff_platform_db_ping (self->db, &error))
    return ff_reply_gerror (reply, error);
  database_ms = (g_get_monotonic_time () - start) / 1000;
  queue_full = ff_platform_server_login_queue_full (self) || logins_refused_lately (self);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "status",
                         queue_full || database_ms > DATABASE_SLOW_MS ? "degraded" : "ok");
  ff_builder_add_int (builder, "login_queue", g_atomic_int_get (&self->logins_waiting));
  ff_builder_add_int (builder, "login_queue_limit", self->limits.login_queue);
  ff_builder_add_int (builder, "database_ms", database_ms);
  json_builder_end_object (builder);
  return ff_reply_json (reply, 200, builder);
}

static FfReply *
handle_metrics (Job *job)
{
  FfPlatformServer *self = job->server;
  FfReply *reply = ff_reply_new ("metrics");
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  gint64 terminals = ff_platform_db_count_terminals (self->db, &error);
  gint64 open_tasks = terminals >= 0 ? ff_platform_db_count_open_tasks (self->db, &error) : -1;

  if (open_tasks < 0)
    return ff_reply_gerror (reply, error);
  ff_platform_metrics_render (self->metrics, text);
  if (!ff_platform_campaigns_render_metrics (self->db, text, &error))
    return ff_reply_gerror (reply, error);
  g_string_append_printf (text,
                          "# HELP fieldflash_login_queue Logins waiting for a hashing thread.\n"
                          "# TYPE fieldflash_login_queue gauge\n"
                          "fieldflash_login_queue %d\n"
                          "# HELP fieldflash_login_queue_limit Logins that may wait before more "
                          "are refused with 503.\n"
                          "# TYPE fieldflash_login_queue_limit gauge\n"
                          "fieldflash_login_queue_limit %u\n"
                          "# HELP fieldflash_connections Client connections open.\n"
                          "# TYPE fieldflash_connections gauge\n"
                          "fieldflash_connections %u\n"
                          "# HELP fieldflash_connections_refused_total Connections closed at once "
                          "because their address had too many open.\n"
                          "# TYPE fieldflash_connections_refused_total counter\n"
                          "fieldflash_connections_refused_total %" G_GUINT64_FORMAT "\n"
                          "# HELP fieldflash_terminals Terminals in the ledger.\n"
                          "# TYPE fieldflash_terminals gauge\n"
                          "fieldflash_terminals %" G_GINT64_FORMAT "\n"
                          "# HELP fieldflash_tasks_open Tasks not yet complete.\n"
                          "# TYPE fieldflash_tasks_open gauge\n"
                          "fieldflash_tasks_open %" G_GINT64_FORMAT "\n",
                          g_atomic_int_get (&self->logins_waiting), self->limits.login_queue,
                          ff_platform_acceptor_get_open (self->acceptor),
                          ff_platform_acceptor_get_refused (self->acceptor), terminals,
                          open_tasks);
  reply->status = 200;
  reply->content_type = "text/plain; version=0.0.4";
  reply->body = g_string_free_to_bytes (g_steal_pointer (&text));
  return reply;
}

static FfReply *
handle_platform_key (Job *job)
{
  FfReply *reply = ff_reply_new ("platform_key");
  char *pem = ff_key_get_public_pem (job->server->platform_key);

  reply->status = 200;
  reply->content_type = "application/x-pem-file";
  reply->body = g_bytes_new_take (pem, strlen (pem));
  return reply;
}

/* The console's pages and scripts (docs/console.md), with the security headers they need. */
static FfReply *
handle_console_file (Job *job)
{
  FfReply *reply = ff_reply_new ("console_files");
  const char *content_type = NULL;
  g_autoptr(GBytes) body = ff_console_static_find (job->path, &content_type);
  g_autofree char *etag = NULL;

  for (const char *const *header = ff_console_headers; *header != NULL; header += 2)
    ff_reply_add_header (reply, header[0], header[1]);
  if (body == NULL)
    return ff_reply_error (reply, 404, _("There is nothing at this address"));
  /* The browser asks again each time (no-cache); a file it has is answered without a body. */
  etag = ff_console_static_etag (body);
  ff_reply_add_header (reply, "ETag", etag);
  if (g_strcmp0 (soup_message_headers_get_one (job->headers, "If-None-Match"), etag) == 0)
    {
      reply->status = 304;
      return reply;
    }
  return ff_reply_bytes (reply, 200, content_type, body);
}

/* Routing */

/* The metrics label of an /api/v1/… path split at '/' ("", "api", "v1", resource, …). */
static const char *
route_name (const char *const *parts,
            guint              n)
{
  if (n == 4 && g_str_equal (parts[3], "tasks"))
    return "tasks";
  if (n == 6 && g_str_equal (parts[3], "tasks") && g_str_equal (parts[5], "document"))
    return "task_document";
  if (n == 6 && g_str_equal (parts[3], "tasks") && g_str_equal (parts[5], "signature"))
    return "task_signature";
  if (n == 5 && g_str_equal (parts[3], "firmware"))
    return "firmware";
  if (n == 4 && g_str_equal (parts[3], "reports"))
    return "reports";
  return NULL;
}

static FfReply *
route_authenticated (Job *job)
{
  g_auto(Session) session = { 0 };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) parts = g_strsplit (job->path, "/", -1);
  const char *name = route_name ((const char *const *) parts, g_strv_length (parts));

  if (name == NULL)
    return ff_reply_error (ff_reply_new ("other"), 404, _("There is nothing at this address"));
  if (!authenticate (job, &session, &error))
    return ff_reply_gerror (ff_reply_new (name), error);
  if (!route_accepts (job, name))
    return reply_not_allowed (name);
  if (g_str_equal (name, "reports"))
    return handle_report (job, &session);
  if (g_str_equal (name, "tasks"))
    return handle_task_list (job, &session);
  if (g_str_equal (name, "firmware"))
    return handle_firmware (job, &session, parts[4]);
  return handle_task_file (job, &session, parts[4], g_str_equal (name, "task_signature"));
}

/* The paths answered by one handler each. */
static const struct
{
  const char *path;
  const char *name;
  FfReply *(*handler) (Job *job);
} exact_routes[] = {
  { "/healthz", "healthz", handle_healthz },
  { "/metrics", "metrics", handle_metrics },
  { "/api/v1/platform-key", "platform_key", handle_platform_key },
  { "/api/v1/login", "login", handle_login },
};

FfReply *
ff_platform_server_route (Job *job)
{
  for (gsize i = 0; i < G_N_ELEMENTS (exact_routes); i++)
    if (g_str_equal (job->path, exact_routes[i].path))
      return route_accepts (job, exact_routes[i].name) ? exact_routes[i].handler (job)
                                                       : reply_not_allowed (exact_routes[i].name);
  if (g_str_has_prefix (job->path, FF_AGENT_PATH_PREFIX))
    return route_agent (job);
  if (g_str_has_prefix (job->path, "/api/v1/"))
    return route_authenticated (job);
  if (g_str_has_prefix (job->path, FF_CONSOLE_API_PREFIX))
    {
      FfConsoleRequest request = { job->method, job->path, job->query, job->headers, job->body,
                                   job->upload_file };

      return ff_console_handle (job->server->console, &request);
    }
  if (g_str_equal (job->path, "/console"))
    {
      FfReply *reply = ff_reply_new ("console_files");

      ff_reply_add_header (reply, "Location", FF_CONSOLE_PREFIX);
      return ff_reply_error (reply, 301, _("The console is at /console/"));
    }
  if (g_str_has_prefix (job->path, FF_CONSOLE_PREFIX)
      && !g_str_has_prefix (job->path, FF_CONSOLE_PREFIX "api/"))
    return route_accepts (job, "console_files") ? handle_console_file (job)
                                                : reply_not_allowed ("console_files");
  return ff_reply_error (ff_reply_new ("other"), 404, _("There is nothing at this address"));
}
