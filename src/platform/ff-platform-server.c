/* The platform's HTTP API for tablets (docs/api.md) on a SoupServer; requests run in worker threads
 * The main thread only copies what a request carries and applies the reply, so slow work (scrypt,
 * durable commits) never blocks other clients. */
#include "config.h"

#include "ff-platform-server.h"

#include "ff-document.h"
#include "ff-platform-clock.h"
#include "ff-platform-firmware-store.h"
#include "ff-platform-ingest.h"
#include "ff-platform-login.h"
#include "ff-platform-refusal.h"
#include "ff-task.h"

#include <glib/gi18n-lib.h>

#define LISTEN_BACKLOG 128

struct _FfPlatformServer
{
  GObject       parent_instance;

  SoupServer   *soup;
  FfPlatformDb *db;             /* borrowed */
  char         *data_dir;
  FfKey        *platform_key;
  gboolean      secure;

  GMutex        metrics_lock;
  GHashTable   *requests;       /* "route\tcode" -> count */
  gint64        login_failures;
  gint64        reports_ingested;
  gint64        reports_duplicate;
  gint64        firmware_bytes;
};

G_DEFINE_FINAL_TYPE (FfPlatformServer, ff_platform_server, G_TYPE_OBJECT)

/* What a worker needs from the request, copied or referenced while the message is paused. */
typedef struct
{
  FfPlatformServer   *server;
  SoupServerMessage  *message;
  SoupMessageHeaders *headers;
  char               *method;
  char               *path;
  GBytes             *body;
  gboolean            disconnected;
  gulong              disconnected_id;
} Job;

typedef struct
{
  guint       status;
  const char *route;
  const char *content_type;
  GBytes     *body;
  GPtrArray  *headers;          /* name, value, name, value… */
} Reply;

static void
job_free (Job *job)
{
  g_clear_signal_handler (&job->disconnected_id, job->message);
  g_object_unref (job->message);
  soup_message_headers_unref (job->headers);
  g_object_unref (job->server);
  g_free (job->method);
  g_free (job->path);
  g_bytes_unref (job->body);
  g_free (job);
}

static gboolean
method_is (Job        *job,
           const char *method)
{
  return g_str_equal (job->method, method);
}

static void
reply_free (Reply *reply)
{
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_ptr_array_unref (reply->headers);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static Reply *
reply_new (const char *route)
{
  Reply *reply = g_new0 (Reply, 1);

  reply->route = route;
  reply->headers = g_ptr_array_new_with_free_func (g_free);
  return reply;
}

static void
reply_add_header (Reply      *reply,
                  const char *name,
                  const char *value)
{
  g_ptr_array_add (reply->headers, g_strdup (name));
  g_ptr_array_add (reply->headers, g_strdup (value));
}

static Reply *
reply_json (Reply       *reply,
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

static Reply *
reply_error (Reply      *reply,
             guint       status,
             const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "error", message);
  json_builder_end_object (builder);
  return reply_json (reply, status, builder);
}

static Reply *
reply_gerror (Reply        *reply,
              const GError *error)
{
  return reply_error (reply, ff_platform_error_to_http_status (error), error->message);
}

static Reply *
reply_bytes (Reply      *reply,
             guint       status,
             const char *content_type,
             GBytes     *body)
{
  reply->status = status;
  reply->content_type = content_type;
  reply->body = g_bytes_ref (body);
  return reply;
}

static void
count_metric (FfPlatformServer *self,
              gint64           *counter,
              gint64            amount)
{
  g_mutex_lock (&self->metrics_lock);
  *counter += amount;
  g_mutex_unlock (&self->metrics_lock);
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

static Reply *
handle_login (Job *job)
{
  FfPlatformServer *self = job->server;
  Reply *reply = reply_new ("login");
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
    return reply_gerror (reply, error);
  if (!ff_phone_is_valid (phone))
    return reply_error (reply, 400, _("The phone number must have 11 digits and start with 1"));
  handheld = ff_platform_db_get_handheld (self->db, serial, &error);
  if (error != NULL)
    return reply_gerror (reply, error);
  if (handheld == NULL || g_str_equal (handheld->state, FF_HANDHELD_RETIRED))
    return reply_error (reply, 403, _("This tablet is not registered or is retired"));
  technician = ff_platform_login_begin (self->db, phone, now, &retry_after, &error);
  if (error != NULL)
    return reply_gerror (reply, error);
  if (technician == NULL)
    {
      count_metric (self, &self->login_failures, 1);
      return reply_error (reply, 401, _("The PIN is wrong or the phone number is not registered"));
    }
  if (retry_after > 0)
    {
      g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, retry_after);
      reply_add_header (reply, "Retry-After", seconds);
      return reply_error (reply, 429, _("Too many wrong PINs; wait before trying again"));
    }
  /* The attempt is counted as a failure already; only a right PIN clears it. */
  if (!ff_pin_verify (pin, technician->pin_hash))
    {
      count_metric (self, &self->login_failures, 1);
      return reply_error (reply, 401, _("The PIN is wrong or the phone number is not registered"));
    }
  token = ff_random_hex (32);
  token_hash = ff_sha256_hex (token, strlen (token));
  if (!ff_platform_login_succeeded (self->db, phone, &error)
      || !ff_platform_db_insert_session (self->db, token_hash, phone, serial, now,
                                         now + FF_SESSION_SECONDS, &error))
    return reply_gerror (reply, error);
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
  return reply_json (reply, 200, builder);
}

/* Tasks */

static Reply *
handle_task_list (Job     *job,
                  Session *session)
{
  Reply *reply = reply_new ("tasks");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tasks = ff_platform_db_list_tasks (job->server->db, session->phone,
                                                          session->serial, &error);
  g_autoptr(JsonBuilder) builder = NULL;

  if (tasks == NULL)
    return reply_gerror (reply, error);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tasks");
  json_builder_begin_array (builder);
  for (guint i = 0; i < tasks->len; i++)
    {
      FfTaskRecord *task = g_ptr_array_index (tasks, i);

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
  return reply_json (reply, 200, builder);
}

static Reply *
handle_task_file (Job        *job,
                  Session    *session,
                  const char *task_id,
                  gboolean    signature)
{
  Reply *reply = reply_new (signature ? "task_signature" : "task_document");
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTaskRecord) task = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *etag = NULL;
  gboolean listed = FALSE;
  const char *data;
  gsize length = 0;

  if (!ff_task_id_is_valid (task_id))
    return reply_error (reply, 400, _("That is not a task ID"));
  task = ff_platform_db_get_task (job->server->db, task_id, &error);
  if (error != NULL)
    return reply_gerror (reply, error);
  if (task == NULL)
    return reply_error (reply, 404, _("There is no such task"));
  if (!g_str_equal (task->phone, session->phone))
    return reply_error (reply, 403, _("The task belongs to another technician"));
  if (!ff_platform_db_task_lists_tablet (job->server->db, task_id, session->serial, &listed,
                                         &error))
    return reply_gerror (reply, error);
  if (!listed)
    return reply_error (reply, 403, _("The task does not list this tablet"));
  if (signature)
    return reply_bytes (reply, 200, "application/octet-stream", task->signature);
  data = g_bytes_get_data (task->document, &length);
  digest = ff_sha256_hex (data, length);
  etag = g_strdup_printf ("\"%s\"", digest);
  reply_add_header (reply, "ETag", etag);
  return reply_bytes (reply, 200, "application/json", task->document);
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
 * bad syntax, several ranges, HEAD) gets the whole file. */
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
  if (n_ranges != 1)
    return RANGE_WHOLE;
  /* A suffix longer than the file means all of it; an end past it means up to its end. */
  *start = MAX (*start, 0);
  *end = MIN (*end, size - 1);
  return *start < size ? RANGE_PART : RANGE_UNSATISFIABLE;
}

static Reply *
handle_firmware (Job        *job,
                 Session    *session,
                 const char *sha256)
{
  FfPlatformServer *self = job->server;
  Reply *reply = reply_new ("firmware");
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GBytes) whole = NULL;
  g_autoptr(GBytes) part = NULL;
  g_autofree char *path = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *content_range = NULL;
  const char *if_none_match;
  gboolean visible = FALSE;
  RangeAnswer answer;
  goffset size, start = 0, end = 0;

  if (!ff_sha256_hex_is_valid (sha256))
    return reply_error (reply, 400,
                        _("A firmware is named by its SHA-256 (64 lowercase hex digits)"));
  if (!ff_platform_db_firmware_visible (self->db, sha256, session->phone, session->serial,
                                        &visible, &error))
    return reply_gerror (reply, error);
  if (!visible)
    return reply_error (reply, 404, _("None of your tasks names this firmware"));
  path = ff_firmware_store_path (self->data_dir, sha256);
  file = g_mapped_file_new (path, FALSE, &error);
  if (file == NULL)
    return reply_gerror (reply, error);
  whole = g_mapped_file_get_bytes (file);
  size = (goffset) g_bytes_get_size (whole);
  etag = g_strdup_printf ("\"%s\"", sha256);
  reply_add_header (reply, "ETag", etag);
  reply_add_header (reply, "Accept-Ranges", "bytes");
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
        count_metric (self, &self->firmware_bytes, size);
      return reply_bytes (reply, 200, "application/octet-stream", whole);
    }
  if (answer == RANGE_UNSATISFIABLE)
    {
      content_range = g_strdup_printf ("bytes */%" G_GOFFSET_FORMAT, size);
      reply_add_header (reply, "Content-Range", content_range);
      return reply_error (reply, 416, _("The range is beyond the end of the file"));
    }
  content_range = g_strdup_printf ("bytes %" G_GOFFSET_FORMAT "-%" G_GOFFSET_FORMAT "/%"
                                   G_GOFFSET_FORMAT, start, end, size);
  reply_add_header (reply, "Content-Range", content_range);
  part = g_bytes_new_from_bytes (whole, start, end - start + 1);
  count_metric (self, &self->firmware_bytes, g_bytes_get_size (part));
  return reply_bytes (reply, 206, "application/octet-stream", part);
}

/* Reports */

static Reply *
handle_report (Job     *job,
               Session *session)
{
  FfPlatformServer *self = job->server;
  Reply *reply = reply_new ("reports");
  const char *header = soup_message_headers_get_one (job->headers, "Fieldflash-Signature");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_auto(FfIngestResult) result = { 0 };
  guchar *decoded;
  gsize length = 0;

  if (header == NULL || strlen (header) != 88)
    return reply_error (reply, 400,
                        _("Send the report's signature as Fieldflash-Signature: BASE64"));
  decoded = g_base64_decode (header, &length);
  signature = g_bytes_new_take (decoded, length);
  if (!ff_platform_ingest_report (self->db, job->body, signature, session->phone, session->serial,
                                  ff_platform_now (), &result, &error))
    return reply_gerror (reply, error);
  count_metric (self, result.duplicate ? &self->reports_duplicate : &self->reports_ingested, 1);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "report_id", result.report_id);
  ff_builder_add_string (builder, "status", result.duplicate ? "duplicate" : "ingested");
  ff_builder_add_string (builder, "task_state", result.task_complete ? "complete" : "open");
  json_builder_end_object (builder);
  return reply_json (reply, result.duplicate ? 200 : 201, builder);
}

/* Health, metrics, key */

static Reply *
handle_healthz (Job *job)
{
  Reply *reply = reply_new ("healthz");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;

  if (!ff_platform_db_ping (job->server->db, &error))
    return reply_gerror (reply, error);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "status", "ok");
  json_builder_end_object (builder);
  return reply_json (reply, 200, builder);
}

static Reply *
handle_metrics (Job *job)
{
  FfPlatformServer *self = job->server;
  Reply *reply = reply_new ("metrics");
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GList) keys = NULL;
  gint64 terminals = ff_platform_db_count_terminals (self->db, &error);
  gint64 open_tasks = terminals >= 0 ? ff_platform_db_count_open_tasks (self->db, &error) : -1;

  if (open_tasks < 0)
    return reply_gerror (reply, error);
  g_mutex_lock (&self->metrics_lock);
  g_string_append (text, "# HELP fieldflash_http_requests_total Requests answered.\n"
                         "# TYPE fieldflash_http_requests_total counter\n");
  keys = g_list_sort (g_hash_table_get_keys (self->requests), (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      g_auto(GStrv) parts = g_strsplit (l->data, "\t", 2);
      g_string_append_printf (text, "fieldflash_http_requests_total{route=\"%s\",code=\"%s\"} %"
                              G_GINT64_FORMAT "\n", parts[0], parts[1],
                              *(gint64 *) g_hash_table_lookup (self->requests, l->data));
    }
  g_string_append_printf (text,
                          "# HELP fieldflash_login_failures_total Logins refused.\n"
                          "# TYPE fieldflash_login_failures_total counter\n"
                          "fieldflash_login_failures_total %" G_GINT64_FORMAT "\n"
                          "# HELP fieldflash_reports_ingested_total Reports stored.\n"
                          "# TYPE fieldflash_reports_ingested_total counter\n"
                          "fieldflash_reports_ingested_total %" G_GINT64_FORMAT "\n"
                          "# HELP fieldflash_reports_duplicate_total Repeated report uploads.\n"
                          "# TYPE fieldflash_reports_duplicate_total counter\n"
                          "fieldflash_reports_duplicate_total %" G_GINT64_FORMAT "\n"
                          "# HELP fieldflash_firmware_bytes_sent_total Firmware bytes sent.\n"
                          "# TYPE fieldflash_firmware_bytes_sent_total counter\n"
                          "fieldflash_firmware_bytes_sent_total %" G_GINT64_FORMAT "\n",
                          self->login_failures, self->reports_ingested, self->reports_duplicate,
                          self->firmware_bytes);
  g_mutex_unlock (&self->metrics_lock);
  g_string_append_printf (text,
                          "# HELP fieldflash_terminals Terminals in the ledger.\n"
                          "# TYPE fieldflash_terminals gauge\n"
                          "fieldflash_terminals %" G_GINT64_FORMAT "\n"
                          "# HELP fieldflash_tasks_open Tasks not yet complete.\n"
                          "# TYPE fieldflash_tasks_open gauge\n"
                          "fieldflash_tasks_open %" G_GINT64_FORMAT "\n",
                          terminals, open_tasks);
  reply->status = 200;
  reply->content_type = "text/plain; version=0.0.4";
  reply->body = g_string_free_to_bytes (g_steal_pointer (&text));
  return reply;
}

static Reply *
handle_platform_key (Job *job)
{
  Reply *reply = reply_new ("platform_key");
  char *pem = ff_key_get_public_pem (job->server->platform_key);

  reply->status = 200;
  reply->content_type = "application/x-pem-file";
  reply->body = g_bytes_new_take (pem, strlen (pem));
  return reply;
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

static Reply *
route_authenticated (Job *job)
{
  g_auto(Session) session = { 0 };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) parts = g_strsplit (job->path, "/", -1);
  const char *name = route_name ((const char *const *) parts, g_strv_length (parts));
  gboolean get = method_is (job, "GET") || method_is (job, "HEAD");

  if (name == NULL)
    return reply_error (reply_new ("other"), 404, _("There is nothing at this address"));
  if (!authenticate (job, &session, &error))
    return reply_gerror (reply_new (name), error);
  if (g_str_equal (name, "reports"))
    return method_is (job, "POST") ? handle_report (job, &session)
                                   : reply_error (reply_new (name), 405,
                                                  _("That method is not allowed here"));
  if (!get)
    return reply_error (reply_new (name), 405, _("That method is not allowed here"));
  if (g_str_equal (name, "tasks"))
    return handle_task_list (job, &session);
  if (g_str_equal (name, "firmware"))
    return handle_firmware (job, &session, parts[4]);
  return handle_task_file (job, &session, parts[4], g_str_equal (name, "task_signature"));
}

static Reply *
route (Job *job)
{
  gboolean get = method_is (job, "GET") || method_is (job, "HEAD");

  if (g_str_equal (job->path, "/healthz"))
    return get ? handle_healthz (job) : reply_error (reply_new ("healthz"), 405,
                                                     _("That method is not allowed here"));
  if (g_str_equal (job->path, "/metrics"))
    return get ? handle_metrics (job) : reply_error (reply_new ("metrics"), 405,
                                                     _("That method is not allowed here"));
  if (g_str_equal (job->path, "/api/v1/platform-key"))
    return get ? handle_platform_key (job) : reply_error (reply_new ("platform_key"), 405,
                                                          _("That method is not allowed here"));
  if (g_str_equal (job->path, "/api/v1/login"))
    return method_is (job, "POST") ? handle_login (job)
                                   : reply_error (reply_new ("login"), 405,
                                                  _("That method is not allowed here"));
  if (g_str_has_prefix (job->path, "/api/v1/"))
    return route_authenticated (job);
  return reply_error (reply_new ("other"), 404, _("There is nothing at this address"));
}

static void
run_job (GTask        *task,
         gpointer      source,
         gpointer      task_data,
         GCancellable *cancellable)
{
  g_task_return_pointer (task, route (task_data), (GDestroyNotify) reply_free);
}

static void
count_request (FfPlatformServer *self,
               const char       *route_name,
               guint             status)
{
  g_autofree char *key = g_strdup_printf ("%s\t%u", route_name, status);
  gint64 *counter;

  g_mutex_lock (&self->metrics_lock);
  counter = g_hash_table_lookup (self->requests, key);
  if (counter == NULL)
    {
      counter = g_new0 (gint64, 1);
      g_hash_table_insert (self->requests, g_steal_pointer (&key), counter);
    }
  (*counter)++;
  g_mutex_unlock (&self->metrics_lock);
}

/* The reason phrase for @status: libsoup's, except where libsoup 3.2 has none. */
static const char *
reason_phrase (guint status)
{
  return status == 429 ? "Too Many Requests" : NULL;
}

static void
apply_reply (SoupServerMessage *message,
             Reply             *reply)
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

static void
job_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  FfPlatformServer *self = FF_PLATFORM_SERVER (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  Reply *reply = g_task_propagate_pointer (G_TASK (result), NULL);

  count_request (self, reply->route, reply->status);
  if (!job->disconnected)
    {
      apply_reply (job->message, reply);
      soup_server_message_unpause (job->message);
    }
  reply_free (reply);
}

static void
on_disconnected (SoupServerMessage *message,
                 Job               *job)
{
  job->disconnected = TRUE;
}

static void
handle_request (SoupServer        *soup,
                SoupServerMessage *message,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  FfPlatformServer *self = user_data;
  g_autoptr(GTask) task = g_task_new (self, NULL, job_done, NULL);
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  Job *job = g_new0 (Job, 1);

  job->server = g_object_ref (self);
  job->message = g_object_ref (message);
  job->headers = soup_message_headers_ref (soup_server_message_get_request_headers (message));
  job->method = g_strdup (soup_server_message_get_method (message));
  job->path = g_strdup (path);
  job->body = soup_message_body_flatten (body);
  job->disconnected_id = g_signal_connect (message, "disconnected",
                                           G_CALLBACK (on_disconnected), job);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  soup_server_message_pause (message);
  g_task_run_in_thread (task, run_job);
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
  g_autoptr(Reply) reply = reply_error (reply_new (route), status, text);

  count_request (self, reply->route, reply->status);
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

/* Refuses a body of ambiguous length (400) or over the limit of its route from its
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
  BodyWatch *watch = g_new0 (BodyWatch, 1);

  watch->server = self;
  watch->route = report ? "reports" : g_str_equal (path, "/api/v1/login") ? "login" : "other";
  watch->limit = report ? FF_REPORT_MAX_BODY : FF_LOGIN_MAX_BODY;
  if (body_length_is_ambiguous (headers))
    {
      refuse_early (self, message, watch->route, 400,
                    _("The request’s length is ambiguous: send one Content-Length, or "
                      "Transfer-Encoding alone"));
      g_free (watch);
      return;
    }
  if (soup_message_headers_get_content_length (headers) > watch->limit)
    {
      refuse_oversized_body (self, message, watch->route);
      g_free (watch);
      return;
    }
  g_signal_connect_data (message, "got-chunk", G_CALLBACK (body_chunk_received), watch,
                         body_watch_free, 0);
}

/* Object */

static void
ff_platform_server_finalize (GObject *object)
{
  FfPlatformServer *self = FF_PLATFORM_SERVER (object);

  soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_free (self->data_dir);
  ff_key_unref (self->platform_key);
  g_hash_table_unref (self->requests);
  g_mutex_clear (&self->metrics_lock);
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
  g_mutex_init (&self->metrics_lock);
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

FfPlatformServer *
ff_platform_server_new (FfPlatformDb    *db,
                        const char      *data_dir,
                        FfKey           *platform_key,
                        GTlsCertificate *certificate)
{
  FfPlatformServer *self = g_object_new (FF_TYPE_PLATFORM_SERVER, NULL);

  self->db = db;
  self->data_dir = g_strdup (data_dir);
  self->platform_key = ff_key_ref (platform_key);
  self->secure = certificate != NULL;
  self->soup = soup_server_new ("server-header", "fieldflash-platform/" PACKAGE_VERSION " ",
                                "tls-certificate", certificate, NULL);
  soup_server_add_early_handler (self->soup, NULL, watch_body_size, self, NULL);
  soup_server_add_handler (self->soup, NULL, handle_request, self, NULL);
  return self;
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
ff_platform_server_listen (FfPlatformServer *self,
                           const char       *address,
                           GError          **error)
{
  g_autoptr(GSocketConnectable) parsed = g_network_address_parse (address, 8443, error);
  g_autoptr(GInetAddress) host = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) socket = NULL;
  GSList *uris;
  char *base;
  guint16 port;

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
  if (!self->secure && !g_inet_address_get_is_loopback (host))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED,
                   _("Plain HTTP is only allowed on a loopback address such as 127.0.0.1"));
      return NULL;
    }
  port = g_network_address_get_port (G_NETWORK_ADDRESS (parsed));
  socket_address = g_inet_socket_address_new (host, port);
  socket = listening_socket (socket_address, error);
  if (socket == NULL
      || !soup_server_listen_socket (self->soup, socket,
                                     self->secure ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
    return NULL;
  uris = soup_server_get_uris (self->soup);
  port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  {
    g_autofree char *host_text = g_inet_address_to_string (host);
    gboolean ipv6 = g_inet_address_get_family (host) == G_SOCKET_FAMILY_IPV6;

    base = g_strdup_printf ("%s://%s%s%s:%u", self->secure ? "https" : "http", ipv6 ? "[" : "",
                            host_text, ipv6 ? "]" : "", port);
  }
  return base;
}
