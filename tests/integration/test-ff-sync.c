/* FfSync and FfUploadQueue against a stand-in platform (a libsoup server on 127.0.0.1) that can
 * send what the real one never would: a forged signature, an expired task, firmware that is not
 * what the task names, the wrong TLS certificate, and failures in the middle of an upload. The
 * happy path against the real fieldflash-platform is test-e2e-field.sh. */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "ff-store.h"
#include "ff-files.h"
#include "ff-sync.h"
#include "ff-task.h"
#include "ff-test-fixtures.h"
#include "ff-upload-queue.h"

/* LeakSanitizer crashes scanning the dynamic TLS of glib-networking's dlopen()ed GnuTLS in a
 * process that ran TLS handshakes; not tracking __tls_get_addr avoids that while leak checking
 * stays on. Only sanitizer builds call this. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "intercept_tls_get_addr=0";
}

#define SERIAL "TAB-0001"
#define PHONE "13800138000"
#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* A step against the local server takes well under a second (ff_test_deadline_s scales it). */
#define STEP_DEADLINE_S 60

typedef struct
{
  GBytes *document;
  GBytes *signature;
} ServedTask;

typedef struct
{
  char        *dir;
  FfStore     *store;
  FfKey       *platform_key;
  SoupServer  *server;
  char        *url;
  GHashTable  *tasks;           /* task_id → ServedTask */
  GHashTable  *firmware;        /* sha256 (as named) → GBytes (as served) */
  goffset      last_range_start;
  guint        range_requests;
  guint        wrong_parts;     /* answer this many range requests with a part not asked for: */
  GBytes      *wrong_part_of;   /* … of this other file from the offset asked for; NULL: from 0 */
  guint        uploads;         /* POST /reports answered 2xx */
  GHashTable  *ingested;        /* report_id set */
  guint        fail_uploads;    /* answer this many uploads with 503 first */
  gboolean     session_expired; /* answer every request that needs the session with 401 */
  gboolean     refuse_uploads;  /* answer every upload with 422: the report itself is wrong */
  guint        lose_answers;    /* ingest this many uploads, then drop the link unanswered */
  GTlsCertificate *certificate; /* the server's, when it speaks TLS */
  const char  *technician;      /* whose tasks publish_task makes (PHONE) */
  gsize        task_list_padding;  /* make the task list this much longer */
  gboolean     task_list_chunked;  /* … sent without announcing its length */
  gsize        receipt_padding;    /* make the answer to an upload this much longer */
} Fixture;

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
  Fixture *f = user_data;
  const char *method = soup_server_message_get_method (message);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  guint n = g_strv_length (parts);

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
        g_string_append_printf (json, "%s{\"task_id\": \"%s\"}", l == ids ? "" : ", ",
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
start_server (Fixture *f, gboolean tls)
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

static void
fixture_set_up (Fixture *f, gconstpointer data)
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

static void
fixture_tear_down (Fixture *f, gconstpointer data)
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

/* Publishes a task of @n_items terminals, the i-th naming firmware @named[i] (served as
 * @served[i]), signed by @signer. */
static FfTaskItem *
new_item (guint sequence, guint index, GBytes *image)
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

static FfTask *
new_task (Fixture *f, guint sequence, gint64 issued_at)
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

/* Serves @task signed by @signer; returns its ID. */
static char *
publish (Fixture *f, const FfTask *task, FfKey *signer)
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

/* Serves a file under its digest. */
static void
serve_file (Fixture *f, GBytes *contents)
{
  g_hash_table_insert (f->firmware, ff_sha256_hex (g_bytes_get_data (contents, NULL),
                                                   g_bytes_get_size (contents)),
                       g_bytes_ref (contents));
}

static char *
publish_task_items (Fixture *f, guint sequence, gint64 issued_at, guint n_items, GBytes **named,
                    GBytes **served, FfKey *signer)
{
  g_autoptr(FfTask) task = new_task (f, sequence, issued_at);

  for (guint i = 0; i < n_items; i++)
    {
      FfTaskItem *item = new_item (sequence, i, named[i]);

      g_ptr_array_add (task->items, item);
      g_hash_table_insert (f->firmware, g_strdup (item->target.sha256), g_bytes_ref (served[i]));
    }
  return publish (f, task, signer);
}

static char *
publish_task (Fixture *f, guint sequence, gint64 issued_at, GBytes *named, GBytes *served,
              FfKey *signer)
{
  return publish_task_items (f, sequence, issued_at, 1, &named, &served, signer);
}

static GBytes *
image_of (guint size, guint8 seed)
{
  guint8 *data = g_malloc (size);

  for (guint i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + seed + (i >> 8));
  return g_bytes_new_take (data, size);
}

static void
step_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_step (GAsyncResult **slot)
{
  guint watchdog = ff_test_watchdog_add (STEP_DEADLINE_S, "a sync step's end");

  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
  return *slot;
}

static FfSync *
logged_in_sync (Fixture *f, GTlsCertificate *pinned, GError **error)
{
  g_autoptr(FfSync) sync = ff_sync_new (f->store, f->url, pinned, f->platform_key, SERIAL, error);
  g_autoptr(GAsyncResult) result = NULL;

  if (sync == NULL)
    return NULL;
  ff_sync_login_async (sync, PHONE, "482913", SERIAL, NULL, step_done, &result);
  if (!ff_sync_login_finish (sync, wait_step (&result), error))
    return NULL;
  return g_steal_pointer (&sync);
}

static void
collect_refusal (FfSync *sync, const char *task_id, const char *message, GPtrArray *refusals)
{
  g_ptr_array_add (refusals, g_strdup (message));
}

static GStrv
fetch (FfSync *sync, GPtrArray *refusals, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  gulong handler = g_signal_connect (sync, "task-refused", G_CALLBACK (collect_refusal), refusals);
  GStrv stored;

  ff_sync_fetch_tasks_async (sync, NULL, step_done, &result);
  stored = ff_sync_fetch_tasks_finish (sync, wait_step (&result), error);
  g_signal_handler_disconnect (sync, handler);
  return stored;
}

static gboolean
any_contains (GPtrArray *messages, const char *needle)
{
  for (guint i = 0; i < messages->len; i++)
    if (strstr (messages->pdata[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

static char *
sha_of (GBytes *bytes)
{
  return ff_sha256_hex (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
test_refusals (Fixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) good = image_of (5000, 1);
  g_autoptr(GBytes) other = image_of (5000, 2);
  g_autoptr(GBytes) third = image_of (4000, 3);
  g_autoptr(GBytes) fourth = image_of (4000, 4);
  g_autoptr(FfKey) forger = ff_key_generate (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;
  g_auto(GStrv) in_store = NULL;
  g_autofree char *ok_id = publish_task (f, 1, now, good, good, f->platform_key);
  g_autofree char *forged_id = publish_task (f, 2, now, third, third, forger);
  g_autofree char *expired_id = publish_task (f, 3, now - 3 * 86400, fourth, fourth,
                                              f->platform_key);
  g_autofree char *wrong_fw_id = publish_task (f, 4, now, other, good, f->platform_key);
  g_autofree char *other_sha = sha_of (other);
  g_autofree char *third_sha = sha_of (third);
  g_autofree char *partial = NULL;

  sync = logged_in_sync (f, NULL, &error);
  g_assert_no_error (error);
  stored = fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { ok_id, NULL }));
  g_assert_cmpuint (refusals->len, ==, 3);
  g_assert_true (any_contains (refusals, forged_id));
  g_assert_true (any_contains (refusals, expired_id));
  g_assert_true (any_contains (refusals, wrong_fw_id));

  /* Refused whole: none of their documents or firmware is on the tablet. */
  in_store = ff_store_list_task_ids (f->store, &error);
  g_assert_cmpstrv (in_store, ((const char *[]) { ok_id, NULL }));
  g_assert_false (ff_store_has_firmware (f->store, other_sha));
  g_assert_false (ff_store_has_firmware (f->store, third_sha));
  partial = ff_store_get_partial_path (f->store, other_sha);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
}

/* A task whose last firmware is not what it names is refused after its first firmware was
 * downloaded and stored: that one goes again; the firmware of an accepted task stays. */
static void
test_refused_task_leaves_nothing (Fixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) shared = image_of (3000, 6);
  g_autoptr(GBytes) own = image_of (3000, 7);
  g_autoptr(GBytes) named_bad = image_of (3000, 8);
  g_autoptr(GBytes) served_bad = image_of (3000, 9);
  GBytes *named[] = { shared, own, named_bad };
  GBytes *served[] = { shared, own, served_bad };
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;
  g_autofree char *accepted_id = publish_task (f, 1, now, shared, shared, f->platform_key);
  g_autofree char *refused_id = publish_task_items (f, 2, now, G_N_ELEMENTS (named), named, served,
                                                    f->platform_key);
  g_autofree char *shared_sha = sha_of (shared);
  g_autofree char *own_sha = sha_of (own);
  g_autofree char *own_path = ff_store_get_firmware_path (f->store, own_sha);
  g_autofree char *bad_sha = sha_of (named_bad);

  sync = logged_in_sync (f, NULL, &error);
  g_assert_no_error (error);
  stored = fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { accepted_id, NULL }));
  g_assert_cmpuint (refusals->len, ==, 1);
  g_assert_true (any_contains (refusals, refused_id));

  g_assert_true (ff_store_has_firmware (f->store, shared_sha));
  g_assert_false (ff_store_has_firmware (f->store, own_sha));
  g_assert_false (g_file_test (own_path, G_FILE_TEST_EXISTS));
  g_assert_false (ff_store_has_firmware (f->store, bad_sha));
}

static void
count_download (FfSync     *sync,
                const char *version,
                const char *sha256,
                gint64      size,
                const char *from_version,
                guint      *count)
{
  g_assert_cmpint (size, ==, 100000);
  g_assert_null (from_version);
  (*count)++;
}

/* The announced downloads as "VERSION" for an image, "FROM→VERSION" for a delta patch. */
static void
note_download (FfSync     *sync,
               const char *version,
               const char *sha256,
               gint64      size,
               const char *from_version,
               GPtrArray  *names)
{
  g_ptr_array_add (names, from_version != NULL ? g_strconcat (from_version, "→", version, NULL)
                                               : g_strdup (version));
}

static void
test_resume (Fixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = image_of (100000, 5);
  g_autofree char *sha = ff_sha256_hex (g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  g_autofree char *task_id = publish_task (f, 1, now, image, image, f->platform_key);
  g_autofree char *partial = ff_store_get_partial_path (f->store, sha);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;
  gint64 total = 0;
  guint downloads = 0;

  /* An earlier download broke after 40000 bytes. */
  g_assert_true (g_file_set_contents (partial, g_bytes_get_data (image, NULL), 40000, NULL));
  sync = logged_in_sync (f, NULL, &error);
  g_signal_connect (sync, "download-started", G_CALLBACK (count_download), &downloads);
  stored = fetch (sync, refusals, &error);
  /* One file (the task names it twice), announced once as it resumes. */
  g_assert_cmpuint (downloads, ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (refusals->len, ==, 0);
  g_assert_cmpint (f->last_range_start, ==, 40000);
  g_assert_true (ff_store_has_firmware (f->store, sha));
  g_object_get (sync, "total-bytes", &total, NULL);
  g_assert_cmpint (total, ==, 100000);
}

/* A platform that answers a resumed download with a part other than the one asked for — the file
 * from its start, or another file (its total not the task's size) from the offset asked for —
 * does not get those bytes appended: the partial file goes, the file is fetched whole in the same
 * sync, and the image stored is the task's (the store checks its SHA-256), the task not refused. */
static void
test_wrong_part (Fixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = logged_in_sync (f, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GBytes) image = image_of (100000, 21 + i);
      g_autofree char *sha = ff_sha256_hex (g_bytes_get_data (image, NULL),
                                            g_bytes_get_size (image));
      g_autofree char *task_id = publish_task (f, 1 + i, now, image, image, f->platform_key);
      g_autofree char *partial = ff_store_get_partial_path (f->store, sha);
      g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GBytes) read = NULL;
      g_auto(GStrv) stored = NULL;

      f->range_requests = 0;
      f->wrong_parts = 1;
      if (i == 1)
        f->wrong_part_of = image_of (200000, 99);
      /* An earlier download broke after 40000 bytes. */
      g_assert_true (g_file_set_contents (partial, g_bytes_get_data (image, NULL), 40000, NULL));
      stored = fetch (sync, refusals, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (refusals->len, ==, 0);
      g_assert_true (g_strv_contains ((const char *const *) stored, task_id));
      g_assert_cmpuint (f->range_requests, ==, 1);
      g_assert_cmpint (f->last_range_start, ==, 40000);
      read = ff_store_read_firmware (f->store, sha, &error);
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (read, image));
    }
}

/* A partial download damaged on the tablet — its last blocks zeros after a power cut, or longer
 * than the file — is not the platform's fault: the file is downloaded again from its start in the
 * same sync and the task is stored, not refused. */
static void
test_damaged_partial_downloaded_again (Fixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = image_of (100000, 9);
  g_autofree char *sha = ff_sha256_hex (g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  g_autofree char *task_id = publish_task (f, 1, now, image, image, f->platform_key);
  g_autofree char *partial = ff_store_get_partial_path (f->store, sha);
  g_autofree guint8 *damaged = g_malloc0 (120000);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = logged_in_sync (f, NULL, &error);

  g_assert_no_error (error);
  memcpy (damaged, g_bytes_get_data (image, NULL), 100000);
  /* 40000 bytes written, the last 10000 of them lost: zeros. Then: the file and more. */
  memset (damaged + 30000, 0, 10000);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GBytes) read = NULL;
      g_auto(GStrv) stored = NULL;

      if (i == 1)
        {
          memcpy (damaged, g_bytes_get_data (image, NULL), 100000);
          g_assert_true (ff_store_discard_firmware (f->store, sha, &error));
        }
      g_assert_true (g_file_set_contents (partial, (char *) damaged, i == 0 ? 40000 : 120000,
                                          NULL));
      stored = fetch (sync, refusals, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (refusals->len, ==, 0);
      g_assert_cmpstr (stored[0], ==, task_id);
      read = ff_store_read_firmware (f->store, sha, &error);
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (read, image));
    }
}

/* A stored image damaged since (cut to half, as by a disk fault) is fetched again by the next
 * sync, not taken by its name: the push refuses it with "sync again", and sync must repair it. */
static void
test_damaged_firmware_fetched_again (Fixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = image_of (100000, 7);
  g_autofree char *sha = ff_sha256_hex (g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  g_autofree char *task_id = publish_task (f, 1, now, image, image, f->platform_key);
  g_autofree char *path = ff_store_get_firmware_path (f->store, sha);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_autoptr(GBytes) read = NULL;
  g_auto(GStrv) first = NULL;
  g_auto(GStrv) again = NULL;
  guint downloads = 0;

  sync = logged_in_sync (f, NULL, &error);
  g_assert_no_error (error);
  first = fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_true (ff_store_has_firmware (f->store, sha));
  g_assert_cmpint (truncate (path, 50000), ==, 0);
  read = ff_store_read_firmware (f->store, sha, &error);
  g_assert_error (error, FF_STORE_ERROR, FF_STORE_ERROR_CORRUPT);
  g_assert_null (read);
  g_clear_error (&error);

  g_signal_connect (sync, "download-started", G_CALLBACK (count_download), &downloads);
  again = fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refusals->len, ==, 0);
  g_assert_cmpuint (downloads, ==, 1);
  read = ff_store_read_firmware (f->store, sha, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (read, image));
}

/* A task item's delta patch is downloaded with the images it joins (the patch alone would not do
 * for a terminal found running another image), resumed like them and kept by its digest. */
static void
test_delta_patch (Fixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) old_image = image_of (60000, 21);
  g_autoptr(GBytes) new_image = image_of (65000, 22);
  g_autoptr(GBytes) patch = image_of (5000, 23);
  g_autoptr(FfTask) task = new_task (f, 1, now);
  FfTaskItem *item = new_item (1, 0, new_image);
  g_autofree char *patch_sha = sha_of (patch);
  g_autofree char *old_sha = sha_of (old_image);
  g_autofree char *partial = ff_store_get_partial_path (f->store, patch_sha);
  g_autofree char *task_id = NULL;
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) downloads = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;

  item->previous = ff_firmware_ref_new ();
  item->previous->version = g_strdup ("V1.00");
  item->previous->sha256 = g_strdup (old_sha);
  item->previous->size = g_bytes_get_size (old_image);
  item->delta = ff_delta_ref_new (patch_sha, g_bytes_get_size (patch), old_sha);
  g_ptr_array_add (task->items, item);
  serve_file (f, new_image);
  serve_file (f, old_image);
  serve_file (f, patch);
  task_id = publish (f, task, f->platform_key);

  /* An earlier download of the patch broke after 2000 bytes. */
  g_assert_true (g_file_set_contents (partial, g_bytes_get_data (patch, NULL), 2000, NULL));
  sync = logged_in_sync (f, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (sync, "download-started", G_CALLBACK (note_download), downloads);
  stored = fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { task_id, NULL }));
  g_assert_cmpuint (refusals->len, ==, 0);
  g_assert_cmpint (f->last_range_start, ==, 2000);
  /* The patch is announced as the patch from the old version, not as the new image. */
  g_ptr_array_add (downloads, NULL);
  g_assert_cmpstrv ((char **) downloads->pdata,
                    ((const char *[]) { "V2.00", "V1.00", "V1.00→V2.00", NULL }));
  g_assert_true (ff_store_has_firmware (f->store, patch_sha));
  g_assert_true (ff_store_has_firmware (f->store, old_sha));
}

/* The platform signs every technician's tasks: one of another technician that lists this tablet
 * is still not this tablet's work. Refused whole; the logged-in technician's own task is kept. */
static void
test_foreign_technician (Fixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) own_image = image_of (3000, 11);
  g_autoptr(GBytes) foreign_image = image_of (3000, 12);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;
  g_auto(GStrv) in_store = NULL;
  g_autofree char *own_id = publish_task (f, 1, now, own_image, own_image, f->platform_key);
  g_autofree char *foreign_id = NULL;
  g_autofree char *foreign_sha = sha_of (foreign_image);

  f->technician = "13900139000";
  foreign_id = publish_task (f, 1, now, foreign_image, foreign_image, f->platform_key);
  sync = logged_in_sync (f, NULL, &error);
  g_assert_no_error (error);
  stored = fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { own_id, NULL }));
  g_assert_cmpuint (refusals->len, ==, 1);
  g_assert_true (any_contains (refusals, foreign_id));
  g_assert_true (any_contains (refusals, "13900139000"));

  in_store = ff_store_list_task_ids (f->store, &error);
  g_assert_cmpstrv (in_store, ((const char *[]) { own_id, NULL }));
  g_assert_false (ff_store_has_firmware (f->store, foreign_sha));
}

/* A task list longer than the bound ends the sync with an error, whether its length is announced
 * (refused before reading) or not (refused once the bound is passed); nothing is stored. */
static void
check_oversized_task_list (Fixture *f, gboolean chunked)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = image_of (3000, 13);
  g_autofree char *task_id = publish_task (f, 1, now, image, image, f->platform_key);
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) in_store = NULL;
  GStrv stored;

  f->task_list_padding = FF_SYNC_MAX_TASK_LIST_SIZE;
  f->task_list_chunked = chunked;
  sync = logged_in_sync (f, NULL, &error);
  g_assert_no_error (error);
  stored = fetch (sync, refusals, &error);
  g_assert_null (stored);
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (error->message, "larger than 4.2"));
  in_store = ff_store_list_task_ids (f->store, NULL);
  g_assert_cmpstrv (in_store, ((const char *[]) { NULL }));

  /* Within the bound the same platform is read as always. */
  g_clear_error (&error);
  f->task_list_padding = 1000;
  stored = fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { task_id, NULL }));
  g_strfreev (stored);
}

/* A task document over the bound refuses that task (it is no document of the format, which stops
 * at 16 MiB) and the sync goes on with the next. */
static void
test_oversized_task_document (Fixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) image = image_of (3000, 14);
  g_autoptr(GBytes) other_image = image_of (3000, 15);
  g_autofree char *kept_id = publish_task (f, 1, now, image, image, f->platform_key);
  g_autofree char *huge_id = publish_task (f, 2, now, other_image, other_image, f->platform_key);
  ServedTask *huge = g_hash_table_lookup (f->tasks, huge_id);
  gsize size = FF_SYNC_MAX_TASK_DOCUMENT_SIZE + 1;
  g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_auto(GStrv) stored = NULL;

  g_bytes_unref (huge->document);
  huge->document = g_bytes_new_take (memset (g_malloc (size), ' ', size), size);
  sync = logged_in_sync (f, NULL, &error);
  g_assert_no_error (error);
  stored = fetch (sync, refusals, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (stored, ((const char *[]) { kept_id, NULL }));
  g_assert_cmpuint (refusals->len, ==, 1);
  g_assert_true (any_contains (refusals, huge_id));
  g_assert_true (any_contains (refusals, "larger than 16.8"));
}

/* The platform's answer to an upload is a small receipt: a longer one is an error (the queue keeps
 * the report; its next upload is answered as a duplicate). */
static void
test_oversized_receipt (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = logged_in_sync (f, NULL, &error);
  static const char json[] = "{\n  \"report_id\" : \"0f8fad5b-d9cb-469f-a165-70867728950e\"\n}\n";
  g_autoptr(GBytes) document = g_bytes_new_static (json, strlen (json));
  g_autoptr(GBytes) signature = g_bytes_new_static ("0123456789012345678901234567890123456789"
                                                    "012345678901234567890123", 64);
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_no_error (error);
  f->receipt_padding = FF_SYNC_MAX_ANSWER_SIZE;
  ff_sync_upload_report_async (sync, document, signature, NULL, step_done, &result);
  g_assert_false (ff_sync_upload_report_finish (sync, wait_step (&result), NULL, &error));
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (error->message, "larger than 65.5"));
}

static void
test_oversized_task_list (Fixture *f, gconstpointer data)
{
  check_oversized_task_list (f, FALSE);
}

static void
test_oversized_task_list_chunked (Fixture *f, gconstpointer data)
{
  check_oversized_task_list (f, TRUE);
}

static void
test_certificate_pinning (Fixture *f, gconstpointer data)
{
  g_autofree char *other_cert = g_build_filename (f->dir, "other.crt", NULL);
  g_autofree char *other_key = g_build_filename (f->dir, "other.key", NULL);
  g_autoptr(GTlsCertificate) impostor = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (f->url, "https://127.0.0.1:"));
  g_assert_true (ff_tls_certificate_generate (other_cert, other_key, "localhost", 2, &error));
  impostor = g_tls_certificate_new_from_file (other_cert, &error);
  g_assert_no_error (error);

  /* Pinned to another certificate: the server is not the platform. */
  sync = logged_in_sync (f, impostor, &error);
  g_assert_null (sync);
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CERTIFICATE);
  g_clear_error (&error);

  /* Without any pin https is refused outright. */
  g_assert_null (ff_sync_new (f->store, f->url, NULL, f->platform_key, SERIAL, &error));
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CERTIFICATE);
  g_clear_error (&error);

  /* The right pin works. */
  sync = logged_in_sync (f, f->certificate, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sync);
}

static void
queue_report (Fixture *f, const char *device_id)
{
  g_autofree char *report_id = g_uuid_string_random ();
  g_autofree char *json = g_strdup_printf ("{\n  \"report_id\" : \"%s\"\n}\n", report_id);
  g_autoptr(GBytes) document = g_bytes_new (json, strlen (json));
  g_autoptr(GBytes) signature = g_bytes_new_static ("0123456789012345678901234567890123456789"
                                                    "012345678901234567890123", 64);
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_store_save_report (f->store, report_id, "T", device_id, "upgraded", 1, document,
                                       signature, "done", "{}", &error));
  g_assert_no_error (error);
}

static void
test_upload_queue (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = logged_in_sync (f, NULL, &error);
  g_autoptr(FfUploadQueue) queue = ff_upload_queue_new (f->store, sync);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(FfSync) gone = NULL;
  g_autoptr(FfUploadQueue) gone_queue = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autofree char *gone_url = NULL;
  guint delivered = 0;

  queue_report (f, "DTU0001");
  queue_report (f, "DTU0002");
  pending = ff_store_list_reports (f->store, TRUE, NULL);
  g_assert_cmpuint (pending->len, ==, 2);
  g_clear_pointer (&pending, g_ptr_array_unref);

  /* The platform answers 503 twice: retried with back-off, each report delivered once. */
  f->fail_uploads = 2;
  ff_upload_queue_flush_async (queue, 4, 10, NULL, step_done, &result);
  g_assert_true (ff_upload_queue_flush_finish (queue, wait_step (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ff_upload_queue_get_pending (queue), ==, 0);
  g_object_get (queue, "delivered", &delivered, NULL);
  g_assert_cmpuint (delivered, ==, 2);
  g_assert_cmpuint (g_hash_table_size (f->ingested), ==, 2);
  g_assert_cmpuint (f->uploads, ==, 2);

  /* The platform stores a report but its answer is lost: the retry finds a duplicate, which counts
   * as delivered, and the platform holds it once. */
  queue_report (f, "DTU0004");
  f->lose_answers = 1;
  f->uploads = 0;
  g_clear_object (&result);
  ff_upload_queue_flush_async (queue, 4, 10, NULL, step_done, &result);
  g_assert_true (ff_upload_queue_flush_finish (queue, wait_step (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->uploads, ==, 2);
  g_assert_cmpuint (g_hash_table_size (f->ingested), ==, 3);
  g_assert_cmpuint (ff_upload_queue_get_pending (queue), ==, 0);

  /* The platform goes away: the flush ends with a connection error and the report stays queued
   * with the reason, to go out next time. */
  queue_report (f, "DTU0003");
  soup_server_disconnect (f->server);
  gone_url = g_strdup (f->url);
  gone = ff_sync_new (f->store, gone_url, NULL, f->platform_key, SERIAL, &error);
  gone_queue = ff_upload_queue_new (f->store, gone);
  g_clear_object (&result);
  ff_upload_queue_flush_async (gone_queue, 2, 10, NULL, step_done, &result);
  g_assert_false (ff_upload_queue_flush_finish (gone_queue, wait_step (&result), &error));
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CONNECTION);
  g_assert_cmpuint (ff_upload_queue_get_pending (gone_queue), ==, 1);
  pending = ff_store_list_reports (f->store, TRUE, NULL);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((FfStoredReport *) pending->pdata[0])->device_id, ==, "DTU0003");
  /* Not the report's fault: it does not count against it. */
  g_assert_cmpuint (((FfStoredReport *) pending->pdata[0])->attempts, ==, 0);
  g_assert_null (((FfStoredReport *) pending->pdata[0])->last_error);
}

static void
count_failed (FfUploadQueue *queue, const char *report_id, const char *message, guint *failed)
{
  (*failed)++;
}

static gboolean
flush_queue (FfUploadQueue *queue, guint *failed, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  gulong handler = g_signal_connect (queue, "report-failed", G_CALLBACK (count_failed), failed);
  gboolean ok;

  ff_upload_queue_flush_async (queue, 2, 10, NULL, step_done, &result);
  ok = ff_upload_queue_flush_finish (queue, wait_step (&result), error);
  g_signal_handler_disconnect (queue, handler);
  return ok;
}

/* Each pending report: attempts made against it, and whether a reason is recorded. */
static void
assert_pending (Fixture *f, guint n, guint attempts, gboolean with_reason)
{
  g_autoptr(GPtrArray) pending = ff_store_list_reports (f->store, TRUE, NULL);

  g_assert_cmpuint (pending->len, ==, n);
  for (guint i = 0; i < pending->len; i++)
    {
      FfStoredReport *report = pending->pdata[i];

      g_assert_cmpuint (report->attempts, ==, attempts);
      g_assert_true ((report->last_error != NULL) == with_reason);
    }
}

/* An expired session stops the flush with "log in again" and counts against no report; after a
 * new login they go out. */
static void
test_upload_session_expired (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = logged_in_sync (f, NULL, &error);
  g_autoptr(FfUploadQueue) queue = ff_upload_queue_new (f->store, sync);
  guint failed = 0;

  queue_report (f, "DTU0001");
  queue_report (f, "DTU0002");
  f->session_expired = TRUE;
  g_assert_false (flush_queue (queue, &failed, &error));
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "log in again"));
  g_clear_error (&error);
  g_assert_cmpuint (failed, ==, 0);
  g_assert_cmpuint (f->uploads, ==, 0);
  assert_pending (f, 2, 0, FALSE);

  f->session_expired = FALSE;
  g_assert_true (flush_queue (queue, &failed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->uploads, ==, 2);
  assert_pending (f, 0, 0, FALSE);
}

/* The platform refusing a report (4xx) counts against that report, which stays queued with the
 * reason; the flush goes on with the others. */
static void
test_upload_report_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = logged_in_sync (f, NULL, &error);
  g_autoptr(FfUploadQueue) queue = ff_upload_queue_new (f->store, sync);
  guint failed = 0;

  queue_report (f, "DTU0001");
  queue_report (f, "DTU0002");
  f->refuse_uploads = TRUE;
  g_assert_true (flush_queue (queue, &failed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (failed, ==, 2);
  assert_pending (f, 2, 1, TRUE);
}

/* A server that is not the pinned platform gets no report, and that counts against none. */
static void
test_upload_wrong_certificate (Fixture *f, gconstpointer data)
{
  g_autofree char *other_cert = g_build_filename (f->dir, "other.crt", NULL);
  g_autofree char *other_key = g_build_filename (f->dir, "other.key", NULL);
  g_autoptr(GTlsCertificate) impostor = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = logged_in_sync (f, f->certificate, &error);
  g_autoptr(FfSync) misled = NULL;
  g_autoptr(FfUploadQueue) queue = NULL;
  guint failed = 0;

  g_assert_no_error (error);
  g_assert_true (ff_tls_certificate_generate (other_cert, other_key, "localhost", 2, &error));
  impostor = g_tls_certificate_new_from_file (other_cert, &error);
  g_assert_no_error (error);
  /* The session from the login is in the store; this sync pins another certificate. */
  misled = ff_sync_new (f->store, f->url, impostor, f->platform_key, SERIAL, &error);
  g_assert_no_error (error);
  queue = ff_upload_queue_new (f->store, misled);
  queue_report (f, "DTU0001");
  g_assert_false (flush_queue (queue, &failed, &error));
  g_assert_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CERTIFICATE);
  g_assert_cmpuint (failed, ==, 0);
  g_assert_cmpuint (f->uploads, ==, 0);
  assert_pending (f, 1, 0, FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/sync/refusals", Fixture, NULL, fixture_set_up, test_refusals, fixture_tear_down);
  g_test_add ("/sync/refused-task-leaves-nothing", Fixture, NULL, fixture_set_up,
              test_refused_task_leaves_nothing, fixture_tear_down);
  g_test_add ("/sync/resume", Fixture, NULL, fixture_set_up, test_resume, fixture_tear_down);
  g_test_add ("/sync/wrong-part", Fixture, NULL, fixture_set_up, test_wrong_part,
              fixture_tear_down);
  g_test_add ("/sync/damaged-partial-downloaded-again", Fixture, NULL, fixture_set_up,
              test_damaged_partial_downloaded_again, fixture_tear_down);
  g_test_add ("/sync/damaged-firmware-fetched-again", Fixture, NULL, fixture_set_up,
              test_damaged_firmware_fetched_again, fixture_tear_down);
  g_test_add ("/sync/delta-patch", Fixture, NULL, fixture_set_up, test_delta_patch,
              fixture_tear_down);
  g_test_add ("/sync/foreign-technician", Fixture, NULL, fixture_set_up, test_foreign_technician,
              fixture_tear_down);
  g_test_add ("/sync/oversized-task-list", Fixture, NULL, fixture_set_up,
              test_oversized_task_list, fixture_tear_down);
  g_test_add ("/sync/oversized-task-list-chunked", Fixture, NULL, fixture_set_up,
              test_oversized_task_list_chunked, fixture_tear_down);
  g_test_add ("/sync/oversized-task-document", Fixture, NULL, fixture_set_up,
              test_oversized_task_document, fixture_tear_down);
  g_test_add ("/sync/oversized-receipt", Fixture, NULL, fixture_set_up, test_oversized_receipt,
              fixture_tear_down);
  g_test_add ("/sync/certificate-pinning", Fixture, "tls", fixture_set_up, test_certificate_pinning,
              fixture_tear_down);
  g_test_add ("/sync/upload-queue", Fixture, NULL, fixture_set_up, test_upload_queue,
              fixture_tear_down);
  g_test_add ("/sync/upload-session-expired", Fixture, NULL, fixture_set_up,
              test_upload_session_expired, fixture_tear_down);
  g_test_add ("/sync/upload-report-refused", Fixture, NULL, fixture_set_up,
              test_upload_report_refused, fixture_tear_down);
  g_test_add ("/sync/upload-wrong-certificate", Fixture, "tls", fixture_set_up,
              test_upload_wrong_certificate, fixture_tear_down);
  return g_test_run ();
}
