/* The stand-in platform of the sync tests (see ff-test-sync-platform.h). */
#include "config.h"

#include "ff-test-sync-platform.h"

#include "ff-files.h"
#include "ff-test-fixtures.h"

/* LeakSanitizer crashes scanning the dynamic TLS of glib-networking's dlopen()ed GnuTLS in a
 * process that ran TLS handshakes; not tracking __tls_get_addr avoids that while leak checking
 * stays on. Only sanitizer builds call this; every program linking this file gets it. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "intercept_tls_get_addr=0";
}

static void
served_task_free (ServedTask *task)
{
  g_bytes_unref (task->document);
  g_bytes_unref (task->signature);
  g_free (task);
}

static void
reply_json (SoupServerMessage *message, guint status, const char *json)
{
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, json,
                                    strlen (json));
}

static void
reply_bytes (SoupServerMessage *message, guint status, GBytes *bytes)
{
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/octet-stream", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
handle_api (SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
            gpointer user_data)
{
  SyncFixture *f = user_data;
  const char *method = soup_server_message_get_method (message);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  guint n = g_strv_length (parts);

  if (f->clock_offset_s != 0)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr(GDateTime) platform_now = g_date_time_add_seconds (now, f->clock_offset_s);
      g_autofree char *date = soup_date_time_to_string (platform_now, SOUP_DATE_HTTP);

      soup_message_headers_replace (soup_server_message_get_response_headers (message), "Date",
                                    date);
    }

  if (g_str_equal (path, "/api/v1/login"))
    {
      reply_json (message, 200,
                  "{\"token\": \"" TOKEN "\", \"expires_at\": \"2099-01-01T00:00:00Z\"}");
      return;
    }
  if (g_strcmp0 (soup_message_headers_get_one (headers, "Authorization"), "Bearer " TOKEN) != 0
      || f->session_expired)
    {
      reply_json (message, 401, "{\"error\": \"log in\"}");
      return;
    }
  if (g_str_equal (path, "/api/v1/tasks"))
    {
      g_autoptr(GString) json = g_string_new ("{\"tasks\": [");
      g_autoptr(GList) ids = g_hash_table_get_keys (f->tasks);

      for (GList *l = ids; l != NULL; l = l->next)
        g_string_append_printf (json, "%s{\"%s\": \"%s\"}", l == ids ? "" : ", ",
                                f->task_list_key != NULL ? f->task_list_key : "task_id",
                                (char *) l->data);
      g_string_append (json, "]");
      if (f->task_list_padding > 0)
        {
          g_string_append (json, ", \"padding\": \"");
          for (gsize i = 0; i < f->task_list_padding; i++)
            g_string_append_c (json, ' ');
          g_string_append_c (json, '"');
        }
      g_string_append (json, "}");
      if (f->task_list_chunked)
        {
          SoupMessageBody *body = soup_server_message_get_response_body (message);

          soup_message_headers_set_encoding (soup_server_message_get_response_headers (message),
                                             SOUP_ENCODING_CHUNKED);
          soup_server_message_set_status (message, 200, NULL);
          soup_message_body_append (body, SOUP_MEMORY_COPY, json->str, json->len);
          soup_message_body_complete (body);
        }
      else
        reply_json (message, 200, json->str);
    }
  else if (n == 6 && g_str_equal (parts[3], "tasks"))
    {
      ServedTask *task = g_hash_table_lookup (f->tasks, parts[4]);

      if (task == NULL)
        reply_json (message, 404, "{\"error\": \"no such task\"}");
      else
        reply_bytes (message, 200, g_str_equal (parts[5], "document") ? task->document
                                                                      : task->signature);
    }
  else if (n == 5 && g_str_equal (parts[3], "firmware"))
    {
      GBytes *image = g_hash_table_lookup (f->firmware, parts[4]);
      SoupRange *ranges = NULL;
      int n_ranges = 0;

      if (image == NULL)
        {
          reply_json (message, 404, "{\"error\": \"no such firmware\"}");
          return;
        }
      if (soup_message_headers_get_ranges (headers, g_bytes_get_size (image), &ranges, &n_ranges))
        {
          goffset start = ranges[0].start;
          g_autoptr(GBytes) tail = NULL;
          SoupMessageHeaders *response = soup_server_message_get_response_headers (message);
          gsize size;

          f->last_range_start = start;
          f->range_requests++;
          if (f->wrong_parts > 0)
            {
              f->wrong_parts--;
              if (f->wrong_part_of != NULL)
                image = f->wrong_part_of;
              else
                start = 0;
            }
          size = g_bytes_get_size (image);
          tail = g_bytes_new_from_bytes (image, start, size - start);
          soup_message_headers_set_content_range (response, start, size - 1, size);
          reply_bytes (message, 206, tail);
          soup_message_headers_free_ranges (headers, ranges);
        }
      else
        reply_bytes (message, 200, image);
    }
  else if (g_str_equal (path, "/api/v1/reports") && g_str_equal (method, "POST"))
    {
      SoupMessageBody *body = soup_server_message_get_request_body (message);
      g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
      g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      const char *id = strstr (text, "\"report_id\" : \"");
      g_autofree char *report_id = id != NULL ? g_strndup (id + 15, 36) : NULL;

      if (f->fail_uploads > 0)
        {
          f->fail_uploads--;
          reply_json (message, 503, "{\"error\": \"busy\"}");
          return;
        }
      if (f->refuse_uploads)
        {
          reply_json (message, 422, "{\"error\": \"tablet_serial: not this task's tablet\"}");
          return;
        }
      g_assert_nonnull (soup_message_headers_get_one (headers, "Fieldflash-Signature"));
      f->uploads++;
      if (f->lose_answers > 0)
        {
          /* The platform stored it, then the link died before the answer left. */
          g_autoptr(GIOStream) link = NULL;

          f->lose_answers--;
          g_hash_table_add (f->ingested, g_steal_pointer (&report_id));
          link = soup_server_message_steal_connection (message);
          g_io_stream_close (link, NULL, NULL);
          return;
        }
      if (f->receipt_padding > 0)
        {
          g_autoptr(GString) receipt = g_string_new ("{\"status\": \"ingested\", \"padding\": \"");

          for (gsize i = 0; i < f->receipt_padding; i++)
            g_string_append_c (receipt, ' ');
          g_string_append (receipt, "\"}");
          g_hash_table_add (f->ingested, g_steal_pointer (&report_id));
          reply_json (message, 201, receipt->str);
        }
      else if (g_hash_table_add (f->ingested, g_steal_pointer (&report_id)))
        reply_json (message, 201, "{\"status\": \"ingested\"}");
      else
        reply_json (message, 200, "{\"status\": \"duplicate\"}");
    }
  else
    reply_json (message, 404, "{\"error\": \"unknown path\"}");
}

static void
start_server (SyncFixture *f, gboolean tls)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  f->server = soup_server_new ("tls-certificate", tls ? f->certificate : NULL, NULL);
  soup_server_add_handler (f->server, "/api/v1", handle_api, f, NULL);
  g_assert_true (soup_server_listen (f->server, address, tls ? SOUP_SERVER_LISTEN_HTTPS : 0,
                                     &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  f->url = g_uri_to_string_partial (uris->data, G_URI_HIDE_PASSWORD);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  if (g_str_has_suffix (f->url, "/"))
    f->url[strlen (f->url) - 1] = '\0';
}

void
sync_fixture_set_up (SyncFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("ff-sync-XXXXXX", &error);
  f->store = ff_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->platform_key = ff_key_generate (&error);
  f->tasks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) served_task_free);
  f->firmware = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_bytes_unref);
  f->ingested = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->last_range_start = -1;
  f->technician = PHONE;
  if (data != NULL)
    {
      g_autofree char *cert = g_build_filename (f->dir, "server.crt", NULL);
      g_autofree char *key = g_build_filename (f->dir, "server.key", NULL);

      g_assert_true (ff_tls_certificate_generate (cert, key, "localhost", 2, &error));
      f->certificate = g_tls_certificate_new_from_files (cert, key, &error);
      g_assert_no_error (error);
    }
  start_server (f, data != NULL);
}

void
sync_fixture_tear_down (SyncFixture *f, gconstpointer data)
{
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  g_clear_object (&f->store);
  g_clear_object (&f->certificate);
  g_clear_pointer (&f->platform_key, ff_key_unref);
  g_clear_pointer (&f->tasks, g_hash_table_unref);
  g_clear_pointer (&f->firmware, g_hash_table_unref);
  g_clear_pointer (&f->ingested, g_hash_table_unref);
  g_clear_pointer (&f->wrong_part_of, g_bytes_unref);
  g_free (f->url);
  ff_remove_tree (f->dir);
  g_free (f->dir);
}

FfTaskItem *
sync_new_item (guint sequence, guint index, GBytes *image)
{
  FfTaskItem *item = ff_task_item_new ();

  item->device_id = g_strdup_printf ("DTU%04u", sequence * 100 + index);
  item->name = g_strdup ("Site");
  item->latitude = 31.2;
  item->longitude = 121.4;
  item->host = g_strdup ("127.0.0.1");
  item->port = 2404;
  item->common_address = 1;
  item->profile = g_strdup ("state-grid");
  item->vendor = g_strdup ("Acme");
  item->model = g_strdup ("DTU-3000");
  item->hardware_version = g_strdup ("HV1.0");
  item->expected_version = g_strdup ("V1.00");
  item->target.version = g_strdup ("V2.00");
  item->target.sha256 = ff_sha256_hex (g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  item->target.size = g_bytes_get_size (image);
  item->target.file_name = g_strdup ("UpdateProgram.bin");
  item->target.hardware_versions = g_strsplit ("HV1.0", ",", -1);
  return item;
}

FfTask *
sync_new_task (SyncFixture *f, guint sequence, gint64 issued_at)
{
  FfTask *task = ff_task_new ();

  task->task_id = ff_task_make_id (f->technician, issued_at, sequence);
  task->issued_at = issued_at;
  task->expires_at = issued_at + 86400;
  task->technician_phone = g_strdup (f->technician);
  task->technician_name = g_strdup ("张伟");
  g_ptr_array_add (task->tablets, g_strdup (SERIAL));
  return task;
}

char *
sync_publish (SyncFixture *f, const FfTask *task, FfKey *signer)
{
  g_autoptr(GError) error = NULL;
  ServedTask *served_task = g_new0 (ServedTask, 1);

  g_assert_true (ff_task_validate (task, &error));
  served_task->document = ff_task_serialize (task);
  served_task->signature = ff_key_sign (signer, served_task->document, &error);
  g_assert_no_error (error);
  g_hash_table_insert (f->tasks, g_strdup (task->task_id), served_task);
  return g_strdup (task->task_id);
}

void
sync_serve_file (SyncFixture *f, GBytes *contents)
{
  g_hash_table_insert (f->firmware, ff_sha256_hex (g_bytes_get_data (contents, NULL),
                                                   g_bytes_get_size (contents)),
                       g_bytes_ref (contents));
}

char *
sync_publish_task_items (SyncFixture *f, guint sequence, gint64 issued_at, guint n_items,
                         GBytes **named, GBytes **served, FfKey *signer)
{
  g_autoptr(FfTask) task = sync_new_task (f, sequence, issued_at);

  for (guint i = 0; i < n_items; i++)
    {
      FfTaskItem *item = sync_new_item (sequence, i, named[i]);

      g_ptr_array_add (task->items, item);
      g_hash_table_insert (f->firmware, g_strdup (item->target.sha256), g_bytes_ref (served[i]));
    }
  return sync_publish (f, task, signer);
}

char *
sync_publish_task (SyncFixture *f, guint sequence, gint64 issued_at, GBytes *named,
                   GBytes *served, FfKey *signer)
{
  return sync_publish_task_items (f, sequence, issued_at, 1, &named, &served, signer);
}

GBytes *
sync_image_of (guint size, guint8 seed)
{
  guint8 *data = g_malloc (size);

  for (guint i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + seed + (i >> 8));
  return g_bytes_new_take (data, size);
}

void
sync_step_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

GAsyncResult *
sync_wait_step (GAsyncResult **slot)
{
  guint watchdog = ff_test_watchdog_add (STEP_DEADLINE_S, "a sync step's end");

  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
  return *slot;
}

FfSync *
sync_log_in (SyncFixture *f, GTlsCertificate *pinned, GError **error)
{
  return sync_log_in_as (f, PHONE, pinned, error);
}

FfSync *
sync_log_in_as (SyncFixture *f, const char *phone, GTlsCertificate *pinned, GError **error)
{
  g_autoptr(FfSync) sync = ff_sync_new (f->store, f->url, pinned, f->platform_key, SERIAL, error);
  g_autoptr(GAsyncResult) result = NULL;

  if (sync == NULL)
    return NULL;
  ff_sync_login_async (sync, phone, "482913", SERIAL, NULL, sync_step_done, &result);
  if (!ff_sync_login_finish (sync, sync_wait_step (&result), error))
    return NULL;
  return g_steal_pointer (&sync);
}

static void
collect_refusal (FfSync *sync, const char *task_id, const char *reason, GPtrArray *refusals)
{
  g_ptr_array_add (refusals, g_strdup_printf ("Task %s refused: %s", task_id, reason));
}

GStrv
sync_fetch (FfSync *sync, GPtrArray *refusals, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  gulong handler = g_signal_connect (sync, "task-refused", G_CALLBACK (collect_refusal), refusals);
  GStrv stored;

  ff_sync_fetch_tasks_async (sync, NULL, sync_step_done, &result);
  stored = ff_sync_fetch_tasks_finish (sync, sync_wait_step (&result), error);
  g_signal_handler_disconnect (sync, handler);
  return stored;
}

gboolean
sync_any_contains (GPtrArray *messages, const char *needle)
{
  for (guint i = 0; i < messages->len; i++)
    if (strstr (messages->pdata[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

char *
sync_sha_of (GBytes *bytes)
{
  return ff_sha256_hex (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}
