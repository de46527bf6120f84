/* The platform's HTTP API against a real server process on 127.0.0.1 with a real database. */
#include "config.h"

#include "platform-harness.h"

#include "ff-task.h"

/* The body limits of docs/api.md. */
/* A run of the openssl tool, at native speed (ff_test_deadline_s scales it). */
#define OPENSSL_TOOL_SECONDS 60
#define LOGIN_MAX_BODY 4096
#define REPORT_MAX_BODY (1024 * 1024)

typedef struct
{
  Harness *h;
} Fixture;

static void
set_up (Fixture      *fixture,
        gconstpointer https)
{
  fixture->h = harness_new ();
  harness_setup_world (fixture->h);
  harness_start (fixture->h, GPOINTER_TO_INT (https));
}

static void
tear_down (Fixture      *fixture,
           gconstpointer data)
{
  harness_free (fixture->h);
}

static guint
post_json (Harness    *h,
           const char *path,
           const char *text,
           GBytes    **response)
{
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));

  return harness_request (h, "POST", path, NULL, body, NULL, response, NULL);
}

static guint
login_status (Harness    *h,
              const char *phone,
              const char *pin,
              const char *serial,
              char      **error_text,
              char      **retry_after)
{
  g_autofree char *text = g_strdup_printf ("{\"phone\": \"%s\", \"pin\": \"%s\", "
                                           "\"tablet_serial\": \"%s\"}", phone, pin, serial);
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));
  g_autoptr(GBytes) response = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  guint status = harness_request (h, "POST", "/api/v1/login", NULL, body, NULL, &response,
                                  &headers);

  if (error_text != NULL && status != 200)
    *error_text = harness_error_text (response);
  if (retry_after != NULL)
    *retry_after = g_strdup (soup_message_headers_get_one (headers, "Retry-After"));
  return status;
}

static void
test_health_and_key (Fixture      *fixture,
                     gconstpointer data)
{
  Harness *h = fixture->h;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *exported = NULL;

  g_assert_cmpuint (harness_request (h, "GET", "/healthz", NULL, NULL, NULL, &body, NULL), ==, 200);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                  "\"ok\""));
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/platform-key", NULL, NULL, NULL, &body,
                                     NULL), ==, 200);
  g_assert_cmpint (harness_run (h, NULL, &exported, NULL, "export-key", NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), exported,
                   strlen (exported));
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "GET", "/nowhere", NULL, NULL, NULL, &body, NULL), ==, 404);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "DELETE", "/healthz", NULL, NULL, NULL, &body, NULL), ==,
                    405);
}

/* A 405 says which methods the route accepts (RFC 9110's Allow): the tablets' API, the console's
 * pages and its API, HEAD with GET. */
static void
test_not_allowed_lists_methods (Fixture      *fixture,
                                gconstpointer data)
{
  static const struct
  {
    const char *method;
    const char *path;
    gboolean    with_token;
    const char *allow;
  } cases[] = {
    { "DELETE", "/healthz", FALSE, "GET, HEAD" },
    { "POST", "/metrics", FALSE, "GET, HEAD" },
    { "GET", "/api/v1/login", FALSE, "POST" },
    { "POST", "/api/v1/tasks", TRUE, "GET, HEAD" },
    { "GET", "/api/v1/reports", TRUE, "POST" },
    { "GET", "/api/v1/agent/query", FALSE, "POST" },
    { "POST", "/api/v1/agent/packages/0123", FALSE, "GET, HEAD" },
    { "POST", "/console/index.html", FALSE, "GET, HEAD" },
    { "GET", "/console/api/login", FALSE, "POST" },
    { "PUT", "/console/api/blacklist", FALSE, "GET, HEAD, POST, DELETE" },
    { "DELETE", "/console/api/tasks/T1", FALSE, "GET, HEAD" },
  };
  Harness *h = fixture->h;
  g_autofree char *token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SoupMessageHeaders) headers = NULL;

      g_test_message ("%s %s", cases[i].method, cases[i].path);
      g_assert_cmpuint (harness_request (h, cases[i].method, cases[i].path,
                                         cases[i].with_token ? token : NULL, NULL, NULL, NULL,
                                         &headers), ==, 405);
      g_assert_cmpstr (soup_message_headers_get_one (headers, "Allow"), ==, cases[i].allow);
    }
}

static void
test_login (Fixture      *fixture,
            gconstpointer data)
{
  Harness *h = fixture->h;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *message = NULL;
  g_autofree char *token = NULL;
  g_autofree char *out = NULL;

  g_assert_cmpuint (login_status (h, HARNESS_PHONE_A, "000000", "TAB-0001", &message, NULL), ==,
                    401);
  g_assert_nonnull (strstr (message, "PIN"));
  g_clear_pointer (&message, g_free);
  g_assert_cmpuint (login_status (h, "13700000000", "000000", "TAB-0001", NULL, NULL), ==, 401);
  g_assert_cmpuint (login_status (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-9999", &message, NULL),
                    ==, 403);
  g_clear_pointer (&message, g_free);
  g_assert_cmpuint (login_status (h, "1380013800", HARNESS_PIN_A, "TAB-0001", NULL, NULL), ==, 400);
  g_assert_cmpuint (login_status (h, HARNESS_PHONE_A, HARNESS_PIN_A, "../TAB", NULL, NULL), ==,
                    400);
  g_assert_cmpuint (post_json (h, "/api/v1/login", "{\"phone\": ", &response), ==, 400);
  g_clear_pointer (&response, g_bytes_unref);
  g_assert_cmpuint (post_json (h, "/api/v1/login", "{\"phone\": 13800138000, \"pin\": \"1\", "
                               "\"tablet_serial\": \"TAB-0001\"}", &response), ==, 400);
  g_clear_pointer (&response, g_bytes_unref);

  token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  g_assert_cmpuint (strlen (token), ==, 64);
  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/tasks", token, NULL, NULL, NULL, NULL), ==,
                    200);
  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/tasks", NULL, NULL, NULL, NULL, NULL), ==,
                    401);
  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/tasks",
                                     "00000000000000000000000000000000"
                                     "00000000000000000000000000000000",
                                     NULL, NULL, NULL, NULL), ==, 401);

  /* A retired tablet can neither log in nor use a session it already has. */
  g_assert_cmpint (harness_run (h, NULL, &out, NULL, "handhelds", "retire", "TAB-0001", NULL), ==,
                   0);
  g_assert_cmpuint (login_status (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001", NULL, NULL), ==,
                    403);
  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/tasks", token, NULL, NULL, NULL, NULL), ==,
                    403);
}

/* The status line's reason phrase of a login with a wrong PIN. */
static char *
wrong_login_reason (Harness    *h,
                    const char *phone,
                    const char *serial)
{
  g_autofree char *url = g_strconcat (h->base_url, "/api/v1/login", NULL);
  g_autofree char *text = g_strdup_printf ("{\"phone\": \"%s\", \"pin\": \"999999\", "
                                           "\"tablet_serial\": \"%s\"}", phone, serial);
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body_from_bytes (message, "application/json", body);
  response = soup_session_send_and_read (h->session, message, NULL, &error);
  g_assert_no_error (error);
  return g_strdup (soup_message_get_reason_phrase (message));
}

static void
test_login_backoff (Fixture      *fixture,
                    gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *retry_after = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GBytes) metrics = NULL;

  for (int i = 0; i < 3; i++)
    g_assert_cmpuint (login_status (h, HARNESS_PHONE_B, "999999", "TAB-0002", NULL, NULL), ==, 401);
  /* After three failures even the right PIN waits. */
  g_assert_cmpuint (login_status (h, HARNESS_PHONE_B, HARNESS_PIN_B, "TAB-0002", &message,
                                  &retry_after), ==, 429);
  g_assert_nonnull (retry_after);
  g_assert_cmpint (atoi (retry_after), >, 0);
  g_assert_cmpint (atoi (retry_after), <=, 30);
  /* Another technician is not held back. */
  g_free (harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001"));
  g_assert_cmpuint (harness_request (h, "GET", "/metrics", NULL, NULL, NULL, &metrics, NULL), ==,
                    200);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (metrics, NULL), g_bytes_get_size (metrics),
                                  "fieldflash_login_failures_total 3\n"));
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (metrics, NULL), g_bytes_get_size (metrics),
                                  "fieldflash_http_requests_total"
                                  "{route=\"login\",code=\"429\"} 1"));
  {
    g_autofree char *reason = wrong_login_reason (h, HARNESS_PHONE_B, "TAB-0002");
    g_assert_cmpstr (reason, ==, "Too Many Requests");
  }
}

#define N_GUESSES 30

typedef struct
{
  guint answered;
  guint unauthorized;
  guint too_many;
} Guesses;

static void
guess_answered (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Guesses *guesses = user_data;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);

  g_assert_no_error (error);
  if (soup_message_get_status (message) == 401)
    guesses->unauthorized++;
  else if (soup_message_get_status (message) == 429)
    guesses->too_many++;
  guesses->answered++;
}

/* Wrong PINs sent all at once are each counted before their PIN check: only the free attempts
 * reach one, the rest wait, and so does the right PIN afterwards. */
static void
test_login_parallel_guesses (Fixture      *fixture,
                             gconstpointer data)
{
  Harness *h = fixture->h;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns", N_GUESSES,
                                                                  "max-conns-per-host", N_GUESSES,
                                                                  NULL);
  g_autofree char *url = g_strconcat (h->base_url, "/api/v1/login", NULL);
  g_autofree char *retry_after = NULL;
  g_autoptr(GBytes) metrics = NULL;
  Guesses guesses = { 0 };
  const char *wrong_pin = "{\"phone\": \"" HARNESS_PHONE_B "\", \"pin\": \"999999\", "
                          "\"tablet_serial\": \"TAB-0002\"}";

  for (int i = 0; i < N_GUESSES; i++)
    {
      g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
      g_autoptr(GBytes) body = g_bytes_new_static (wrong_pin, strlen (wrong_pin));

      soup_message_set_request_body_from_bytes (message, "application/json", body);
      soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL,
                                        guess_answered, &guesses);
    }
  while (guesses.answered < N_GUESSES)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (guesses.unauthorized, ==, 3);
  g_assert_cmpuint (guesses.too_many, ==, N_GUESSES - 3);
  g_assert_cmpuint (login_status (h, HARNESS_PHONE_B, HARNESS_PIN_B, "TAB-0002", NULL,
                                  &retry_after), ==, 429);
  g_assert_cmpint (atoi (retry_after), >, 0);
  g_assert_cmpuint (harness_request (h, "GET", "/metrics", NULL, NULL, NULL, &metrics, NULL), ==,
                    200);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (metrics, NULL), g_bytes_get_size (metrics),
                                  "fieldflash_login_failures_total 3\n"));
}

/* A right PIN clears the failures before it: three more wrong ones are needed for a back-off. */
static void
test_login_success_clears_failures (Fixture      *fixture,
                                    gconstpointer data)
{
  Harness *h = fixture->h;

  for (int i = 0; i < 2; i++)
    g_assert_cmpuint (login_status (h, HARNESS_PHONE_A, "000000", "TAB-0001", NULL, NULL), ==, 401);
  g_free (harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001"));
  for (int i = 0; i < 3; i++)
    g_assert_cmpuint (login_status (h, HARNESS_PHONE_A, "000000", "TAB-0001", NULL, NULL), ==, 401);
  g_assert_cmpuint (login_status (h, HARNESS_PHONE_A, "000000", "TAB-0001", NULL, NULL), ==, 429);
}

static void
save_bytes (Harness    *h,
            const char *name,
            GBytes     *bytes,
            char      **path)
{
  *path = harness_write (h, name, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
test_tasks (Fixture      *fixture,
            gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  g_autofree char *document_path = g_strdup_printf ("/api/v1/tasks/%s/document", h->task_a);
  g_autofree char *signature_path = g_strdup_printf ("/api/v1/tasks/%s/signature", h->task_a);
  g_autofree char *other_path = g_strdup_printf ("/api/v1/tasks/%s/document", h->task_b);
  g_autofree char *pem = NULL, *pem_file = NULL, *doc_file = NULL, *sig_file = NULL;
  g_autoptr(GBytes) list = NULL, document = NULL, signature = NULL, body = NULL;
  g_autoptr(FfKey) platform_key = NULL;
  g_autoptr(FfTask) task = NULL;
  g_autoptr(GSubprocess) openssl = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/tasks", token, NULL, NULL, &list, NULL), ==,
                    200);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (list, NULL), g_bytes_get_size (list),
                                  h->task_a));
  g_assert_null (g_strstr_len (g_bytes_get_data (list, NULL), g_bytes_get_size (list), h->task_b));
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (list, NULL), g_bytes_get_size (list),
                                  "terminals to upgrade: 2, target version V2.01"));

  g_assert_cmpuint (harness_request (h, "GET", document_path, token, NULL, NULL, &document, NULL),
                    ==, 200);
  g_assert_cmpuint (harness_request (h, "GET", signature_path, token, NULL, NULL, &signature,
                                     NULL), ==, 200);
  g_assert_cmpuint (g_bytes_get_size (signature), ==, 64);

  /* The tablet's own check: pinned key, signature, parse, expiry. */
  g_assert_cmpint (harness_run (h, NULL, &pem, NULL, "export-key", NULL), ==, 0);
  platform_key = ff_key_load_public (pem, strlen (pem), &error);
  g_assert_no_error (error);
  task = ff_task_load_signed (document, signature, platform_key,
                              g_get_real_time () / G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (task->items->len, ==, 2);
  g_assert_cmpstr (((FfTaskItem *) g_ptr_array_index (task->items, 0))->target.sha256, ==,
                   h->firmware_v2);
  g_assert_nonnull (((FfTaskItem *) g_ptr_array_index (task->items, 0))->previous);
  g_assert_cmpstr (((FfTaskItem *) g_ptr_array_index (task->items, 0))->target.file_name, !=, "");

  /* And OpenSSL agrees, with the exported key. */
  pem_file = harness_write (h, "platform.pub.pem", pem, -1);
  save_bytes (h, "task.json", document, &doc_file);
  save_bytes (h, "task.sig", signature, &sig_file);
  openssl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, "openssl", "pkeyutl",
                              "-verify", "-pubin", "-inkey", pem_file, "-rawin", "-in", doc_file,
                              "-sigfile", sig_file, NULL);
  g_assert_no_error (error);
  ff_test_subprocess_wait (openssl, OPENSSL_TOOL_SECONDS, "openssl pkeyutl -verify");
  g_assert_true (g_subprocess_get_successful (openssl));

  /* Another technician's task, a malformed ID, an unknown task. */
  g_assert_cmpuint (harness_request (h, "GET", other_path, token, NULL, NULL, &body, NULL), ==,
                    403);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/tasks/..%2Fetc/document", token, NULL,
                                     NULL, &body, NULL), ==, 400);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/tasks/13800138000-20000101/document",
                                     token, NULL, NULL, &body, NULL), ==, 404);
}

static void
test_firmware (Fixture      *fixture,
               gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  g_autofree char *path = g_strdup_printf ("/api/v1/firmware/%s", h->firmware_v2);
  g_autofree char *etag = g_strdup_printf ("\"%s\"", h->firmware_v2);
  g_autofree char *unknown = g_strdup_printf ("/api/v1/firmware/%064d", 0);
  gsize size = g_bytes_get_size (h->firmware_v2_bytes);
  g_autoptr(GBytes) whole = NULL, part = NULL, body = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(GByteArray) resumed = g_byte_array_new ();
  g_autofree char *digest = NULL;
  const char *range[] = { "Range", "bytes=1000-", NULL };
  const char *beyond[] = { "Range", "bytes=999999999-", NULL };
  const char *not_modified[] = { "If-None-Match", etag, NULL };

  g_assert_cmpuint (harness_request (h, "GET", path, token, NULL, NULL, &whole, &headers), ==, 200);
  g_assert_true (g_bytes_equal (whole, h->firmware_v2_bytes));
  g_assert_cmpstr (soup_message_headers_get_one (headers, "ETag"), ==, etag);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Accept-Ranges"), ==, "bytes");
  g_clear_pointer (&headers, soup_message_headers_unref);

  /* Resume after the first 1000 bytes. */
  g_assert_cmpuint (harness_request (h, "GET", path, token, NULL, range, &part, &headers), ==, 206);
  g_byte_array_append (resumed, g_bytes_get_data (whole, NULL), 1000);
  g_byte_array_append (resumed, g_bytes_get_data (part, NULL), g_bytes_get_size (part));
  digest = ff_sha256_hex (resumed->data, resumed->len);
  g_assert_cmpstr (digest, ==, h->firmware_v2);
  {
    g_autofree char *expected = g_strdup_printf ("bytes 1000-%zu/%zu", size - 1, size);
    g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Range"), ==, expected);
  }
  g_clear_pointer (&headers, soup_message_headers_unref);

  g_assert_cmpuint (harness_request (h, "GET", path, token, NULL, beyond, &body, NULL), ==, 416);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "GET", path, token, NULL, not_modified, &body, NULL), ==,
                    304);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "GET", unknown, token, NULL, NULL, &body, NULL), ==, 404);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/firmware/ABC", token, NULL, NULL, &body,
                                     NULL), ==, 400);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "GET", path, NULL, NULL, NULL, &body, NULL), ==, 401);
}

/* The digest of the one delta patch to @version from @from_sha256, as `firmware show` lists it. */
static char *
delta_patch_to (Harness    *h,
                const char *version,
                const char *from_sha256)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *deltas;
  JsonObject *delta;

  g_assert_cmpint (harness_run (h, NULL, &out, NULL, "firmware", "show", version, "--json", NULL),
                   ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  deltas = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                         "deltas");
  g_assert_cmpuint (json_array_get_length (deltas), ==, 1);
  delta = json_array_get_object_element (deltas, 0);
  g_assert_cmpstr (json_object_get_string_member (delta, "from_sha256"), ==, from_sha256);
  return g_strdup (json_object_get_string_member (delta, "sha256"));
}

/* A delta patch is served like an image, resume included, to the tablets of a task with an item
 * going from its old image to its new one; a patch between other images is not (404). */
static void
test_firmware_delta (Fixture      *fixture,
                     gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  g_autoptr(GBytes) image = g_bytes_new_from_bytes (h->firmware_v2_bytes, 1, 200 * 1024);
  g_autofree char *v3_path = harness_write (h, "fw-v3.bin", g_bytes_get_data (image, NULL),
                                            g_bytes_get_size (image));
  g_autofree char *patch = delta_patch_to (h, "V2.01", h->firmware_v1);
  g_autofree char *other = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/firmware/%s", patch);
  g_autofree char *other_path = NULL;
  g_autofree char *digest = NULL;
  g_autoptr(GBytes) whole = NULL, part = NULL, body = NULL;
  g_autoptr(GByteArray) resumed = g_byte_array_new ();
  const char *range[] = { "Range", "bytes=10-", NULL };

  g_assert_cmpuint (harness_request (h, "GET", path, token, NULL, NULL, &whole, NULL), ==, 200);
  digest = ff_sha256_hex (g_bytes_get_data (whole, NULL), g_bytes_get_size (whole));
  g_assert_cmpstr (digest, ==, patch);
  g_assert_cmpuint (harness_request (h, "GET", path, token, NULL, range, &part, NULL), ==, 206);
  g_byte_array_append (resumed, g_bytes_get_data (whole, NULL), 10);
  g_byte_array_append (resumed, g_bytes_get_data (part, NULL), g_bytes_get_size (part));
  g_clear_pointer (&digest, g_free);
  digest = ff_sha256_hex (resumed->data, resumed->len);
  g_assert_cmpstr (digest, ==, patch);

  /* V2.02 gets its patch from V1.00 too, but no task of this tablet goes there. */
  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "firmware", "add", v3_path, "--vendor",
                                "Acme", "--model", "DTU-3000", "--version", "V2.02", "--hardware",
                                "HV1.0", NULL), ==, 0);
  other = delta_patch_to (h, "V2.02", h->firmware_v1);
  other_path = g_strdup_printf ("/api/v1/firmware/%s", other);
  g_assert_cmpuint (harness_request (h, "GET", other_path, token, NULL, NULL, &body, NULL), ==,
                    404);
}

/* Downloads the firmware with @headers (name, value, …) and checks the status and that the body is
 * bytes @start to @end of the file (all of it when @start is -1), and an empty body for HEAD. */
static void
expect_download (Harness           *h,
                 const char        *method,
                 const char        *token,
                 const char *const *headers,
                 guint              status,
                 gssize             start,
                 gssize             end)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/firmware/%s", h->firmware_v2);
  gsize size = g_bytes_get_size (h->firmware_v2_bytes);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(SoupMessageHeaders) response_headers = NULL;

  g_assert_cmpuint (harness_request (h, method, path, token, NULL, headers, &body,
                                     &response_headers), ==, status);
  if (start < 0)
    expected = g_bytes_ref (h->firmware_v2_bytes);
  else
    expected = g_bytes_new_from_bytes (h->firmware_v2_bytes, start, end - start + 1);
  if (g_str_equal (method, "HEAD"))
    {
      g_assert_cmpuint (g_bytes_get_size (body), ==, 0);
      g_assert_cmpint (soup_message_headers_get_content_length (response_headers), ==, size);
    }
  else
    g_assert_true (g_bytes_equal (body, expected));
  if (status == 206)
    {
      g_autofree char *content_range = g_strdup_printf ("bytes %zd-%zd/%zu", start, end, size);
      g_assert_cmpstr (soup_message_headers_get_one (response_headers, "Content-Range"), ==,
                       content_range);
    }
  else
    g_assert_null (soup_message_headers_get_one (response_headers, "Content-Range"));
}

/* Range and If-Range as RFC 9110 has them, answered by the platform alone (libsoup must not cut
 * a whole-file answer again). */
static void
test_firmware_ranges (Fixture      *fixture,
                      gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  g_autofree char *etag = g_strdup_printf ("\"%s\"", h->firmware_v2);
  gssize last = (gssize) g_bytes_get_size (h->firmware_v2_bytes) - 1;
  const char *middle[] = { "Range", "bytes=100-199", NULL };
  const char *resume_same[] = { "Range", "bytes=1000-", "If-Range", etag, NULL };
  const char *resume_other[] = { "Range", "bytes=1000-", "If-Range", "\"0000\"", NULL };
  const char *garbage[] = { "Range", "bytes=abc", NULL };
  const char *several[] = { "Range", "bytes=0-9,20-29", NULL };
  const char *past_end[] = { "Range", "bytes=10-999999999", NULL };
  const char *suffix[] = { "Range", "bytes=-100", NULL };
  const char *long_suffix[] = { "Range", "bytes=-999999999", NULL };

  expect_download (h, "HEAD", token, NULL, 200, -1, -1);
  expect_download (h, "HEAD", token, middle, 200, -1, -1);
  expect_download (h, "GET", token, middle, 206, 100, 199);
  expect_download (h, "GET", token, resume_same, 206, 1000, last);
  /* The file behind the tag changed (as far as the client knows): all of it, once. */
  expect_download (h, "GET", token, resume_other, 200, -1, -1);
  /* Invalid syntax is ignored, several ranges get the whole file (the API serves one). */
  expect_download (h, "GET", token, garbage, 200, -1, -1);
  expect_download (h, "GET", token, several, 200, -1, -1);
  expect_download (h, "GET", token, past_end, 206, 10, last);
  expect_download (h, "GET", token, suffix, 206, last - 99, last);
  expect_download (h, "GET", token, long_suffix, 206, 0, last);
}

static gint64
count_reports (Harness *h)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (harness_run (h, NULL, &out, NULL, "reports", "list", "--json", NULL), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  return json_array_get_length (json_node_get_array (json_parser_get_root (parser)));
}

static GBytes *
filler (gsize size)
{
  return g_bytes_new_take (g_strnfill (size, 'x'), size);
}

/* Sends a chunked login body larger than the limit and never ends it; returns the status line. A
 * server that read the whole body before answering would never answer. */
static char *
post_endless_chunked_login (Harness *h)
{
  const char *host_port = h->base_url + strlen ("http://");
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *chunk = g_strnfill (LOGIN_MAX_BODY * 2, 'x');
  g_autofree char *request = g_strdup_printf ("POST /api/v1/login HTTP/1.1\r\n"
                                              "Host: %s\r\n"
                                              "Content-Type: application/json\r\n"
                                              "Transfer-Encoding: chunked\r\n"
                                              "\r\n"
                                              "%x\r\n%s\r\n",
                                              host_port, LOGIN_MAX_BODY * 2, chunk);
  char *status_line;

  connection = g_socket_client_connect_to_host (client, host_port, 0, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  status_line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (status_line);
  return status_line;
}

/* A chunked body has no Content-Length to be refused by: it is refused at the chunk that passes
 * the limit of its route, and the server reads no further. */
static void
test_chunked_body_limit (Fixture      *fixture,
                         gconstpointer https)
{
  Harness *h = fixture->h;
  g_autofree char *token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  const char *login_text = "{\"phone\": \"" HARNESS_PHONE_A "\", \"pin\": \"" HARNESS_PIN_A "\", "
                           "\"tablet_serial\": \"TAB-0001\"}";
  g_autoptr(GBytes) login = g_bytes_new_static (login_text, strlen (login_text));
  g_autoptr(GBytes) big_login = filler (LOGIN_MAX_BODY + 1);
  g_autoptr(GBytes) big_report = filler (REPORT_MAX_BODY + 1);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GBytes) metrics = NULL;

  /* Within the limit a chunked body is read like any other. */
  g_assert_cmpuint (harness_post_chunked (h, "/api/v1/login", NULL, login, NULL), ==, 200);
  g_assert_cmpuint (harness_post_chunked (h, "/api/v1/login", NULL, big_login, &response), ==,
                    413);
  g_clear_pointer (&response, g_bytes_unref);
  g_assert_cmpuint (harness_post_chunked (h, "/api/v1/reports", token, big_report, &response),
                    ==, 413);
  {
    g_autofree char *message = harness_error_text (response);
    g_assert_nonnull (strstr (message, "too large"));
  }
  if (!GPOINTER_TO_INT (https))
    {
      g_autofree char *status_line = post_endless_chunked_login (h);
      g_assert_true (g_str_has_prefix (status_line, "HTTP/1.1 413 "));
    }
  g_assert_cmpuint (harness_request (h, "GET", "/metrics", NULL, NULL, NULL, &metrics, NULL), ==,
                    200);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (metrics, NULL), g_bytes_get_size (metrics),
                                  "fieldflash_http_requests_total"
                                  "{route=\"reports\",code=\"413\"} 1"));
  g_assert_cmpint (count_reports (h), ==, 0);
}

static void
test_reports (Fixture      *fixture,
              gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  g_autofree char *token_b = harness_login (h, HARNESS_PHONE_B, HARNESS_PIN_B, "TAB-0002");
  g_autoptr(FfReport) first = harness_report (h->task_a, "DTU0001", "TAB-0001", HARNESS_PHONE_A);
  g_autoptr(FfReport) outsider = harness_report (h->task_a, "DTU0003", "TAB-0001", HARNESS_PHONE_A);
  g_autoptr(FfReport) stranger = harness_report (h->task_b, "DTU0003", "TAB-0001", HARNESS_PHONE_A);
  g_autoptr(FfReport) second = harness_report (h->task_a, "FTU0002", "TAB-0001", HARNESS_PHONE_A);
  g_autoptr(GBytes) bytes = NULL, signature = NULL, forged = NULL, outsider_bytes = NULL;
  g_autoptr(GBytes) outsider_sig = NULL, stranger_bytes = NULL, stranger_sig = NULL;
  g_autoptr(GBytes) altered = NULL, altered_sig = NULL, second_bytes = NULL, second_sig = NULL;
  g_autoptr(GBytes) flipped = NULL, big = NULL;
  g_autoptr(FfKey) rogue = ff_key_generate (NULL);
  g_autofree char *copy = NULL, *history = NULL, *handhelds = NULL, *tasks = NULL;
  g_autofree char *huge = g_malloc0 (REPORT_MAX_BODY + 1);
  char *at;

  signature = harness_sign_report (first, h->tablet_a, &bytes);
  forged = ff_key_sign (rogue, bytes, NULL);
  outsider_sig = harness_sign_report (outsider, h->tablet_a, &outsider_bytes);
  stranger_sig = harness_sign_report (stranger, h->tablet_a, &stranger_bytes);

  /* Refusals first: each leaves the database unchanged. */
  harness_expect_upload (h, NULL, bytes, signature, 401, NULL);
  harness_expect_upload (h, token, bytes, forged, 403, "signature");
  copy = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  at = strstr (copy, "0x8005 reads");
  at[0] = '1';   /* still valid JSON, but not the bytes that were signed */
  flipped = g_bytes_new (copy, g_bytes_get_size (bytes));
  harness_expect_upload (h, token, flipped, signature, 403, "signature");
  harness_expect_upload (h, token_b, bytes, signature, 403, NULL);   /* another tablet's session */
  harness_expect_upload (h, token, outsider_bytes, outsider_sig, 403, "not in its task");
  harness_expect_upload (h, token, stranger_bytes, stranger_sig, 403, "another technician");
  {
    /* The signature is checked first: only a body the tablet signed is parsed at all. */
    g_autoptr(GBytes) not_json = g_bytes_new_static ("{\"report_id\": ", 14);
    g_autoptr(GBytes) not_json_signature = ff_key_sign (h->tablet_a, not_json, NULL);
    harness_expect_upload (h, token, not_json, signature, 403, "signature");
    harness_expect_upload (h, token, not_json, not_json_signature, 400, NULL);
  }
  big = g_bytes_new_static (huge, REPORT_MAX_BODY + 1);
  harness_expect_upload (h, token, big, signature, 413, NULL);
  g_assert_cmpint (count_reports (h), ==, 0);

  /* Ingested once; a repeat changes nothing; the same ID with other bytes is a conflict. */
  harness_expect_upload (h, token, bytes, signature, 201, NULL);
  harness_expect_upload (h, token, bytes, signature, 200, NULL);
  g_free (first->versions.after_checksum);
  first->versions.after_checksum = g_strdup ("FFFF");
  altered_sig = harness_sign_report (first, h->tablet_a, &altered);
  harness_expect_upload (h, token, altered, altered_sig, 409, NULL);
  g_assert_cmpint (count_reports (h), ==, 1);

  g_assert_cmpint (harness_run (h, NULL, &history, NULL, "history", "DTU0001", NULL), ==, 0);
  g_assert_nonnull (strstr (history, "V1.00 → V2.01"));
  g_assert_nonnull (strstr (history, first->report_id));

  /* The last item closes the task and returns the tablet to stock. */
  g_assert_cmpint (harness_run (h, NULL, &handhelds, NULL, "handhelds", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (handhelds, "TAB-0001\tchecked out"));
  g_clear_pointer (&handhelds, g_free);
  second_sig = harness_sign_report (second, h->tablet_a, &second_bytes);
  {
    g_autoptr(GBytes) response = NULL;
    g_assert_cmpuint (harness_upload (h, token, second_bytes, second_sig, &response), ==, 201);
    g_assert_nonnull (g_strstr_len (g_bytes_get_data (response, NULL), g_bytes_get_size (response),
                                    "\"task_state\":\"complete\""));
  }
  g_assert_cmpint (harness_run (h, NULL, &handhelds, NULL, "handhelds", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (handhelds, "TAB-0001\tin stock"));
  g_assert_cmpint (harness_run (h, NULL, &tasks, NULL, "tasks", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (tasks, "complete\t2/2"));
}

/* A report of @device_id in task A, else like harness_report(): @outcome, the target version it
 * claims, the version the terminal ran afterwards and the firmware pushed (NULL: none). */
static FfReport *
report_of (Harness         *h,
           const char      *device_id,
           FfReportOutcome  outcome,
           const char      *target,
           const char      *after,
           const char      *pushed_version,
           const char      *pushed_sha256)
{
  FfReport *report = harness_report (h->task_a, device_id, "TAB-0001", HARNESS_PHONE_A);

  report->outcome = outcome;
  if (outcome != FF_REPORT_OUTCOME_UPGRADED && outcome != FF_REPORT_OUTCOME_ALREADY_CURRENT)
    ff_report_set_failure (report, "verify", "The terminal runs the wrong version");
  g_free (report->versions.target);
  report->versions.target = g_strdup (target);
  g_free (report->versions.after);
  report->versions.after = g_strdup (after);
  g_free (report->firmware_version);
  report->firmware_version = g_strdup (pushed_version);
  g_free (report->firmware_sha256);
  report->firmware_sha256 = g_strdup (pushed_sha256);
  return report;
}

static void
upload_report (Harness    *h,
               const char *token,
               FfReport   *report,
               guint       status,
               const char *error_fragment)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) signature = harness_sign_report (report, h->tablet_a, &bytes);

  harness_expect_upload (h, token, bytes, signature, status, error_fragment);
}

/* A report may only name its task item's firmware: the target, or the previous firmware in a
 * rollback (otherwise 403), and leave the terminal only at a version the item can have put there
 * (otherwise 409). Anything else is refused and changes nothing. */
static void
test_report_versions_refused (Fixture      *fixture,
                              gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  g_autofree char *other = ff_sha256_hex ("other image", 11);
  g_autofree char *history = NULL;
  g_autofree char *terminals = NULL;
  struct
  {
    FfReportOutcome  outcome;
    const char      *target, *after, *pushed_version, *pushed_sha256, *expected;
    guint            status;
  } refused[] = {
    /* An upgrade to a version the task never sent. */
    { FF_REPORT_OUTCOME_UPGRADED, "V9.99", "V9.99", "V9.99", h->firmware_v2, "V9.99", 403 },
    { FF_REPORT_OUTCOME_UPGRADED, "V2.01", "V2.01", "V2.01", other, "pushed firmware", 403 },
    { FF_REPORT_OUTCOME_UPGRADED, "V2.01", "V2.01", "V1.00", h->firmware_v1, "pushed firmware",
      403 },
    { FF_REPORT_OUTCOME_ALREADY_CURRENT, "V3.00", NULL, NULL, NULL, "V3.00", 403 },
    /* A rollback to something else than the previous firmware. */
    { FF_REPORT_OUTCOME_ROLLED_BACK, "V2.01", "V0.50", "V1.00", h->firmware_v1, "V0.50", 409 },
    { FF_REPORT_OUTCOME_ROLLED_BACK, "V2.01", "V2.01", "V2.01", h->firmware_v2,
      "pushed firmware", 403 },
    /* A failure that left the terminal at a version nobody pushed. */
    { FF_REPORT_OUTCOME_FAILED, "V2.01", "V9.99", "V2.01", h->firmware_v2, "V9.99", 409 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(FfReport) report = report_of (h, "DTU0001", refused[i].outcome, refused[i].target,
                                              refused[i].after, refused[i].pushed_version,
                                              refused[i].pushed_sha256);

      if (refused[i].outcome == FF_REPORT_OUTCOME_ALREADY_CURRENT)
        {
          g_free (report->versions.before);
          report->versions.before = g_strdup (refused[i].target);
        }
      g_test_message ("refused report %u", i);
      upload_report (h, token, report, refused[i].status, refused[i].expected);
    }
  g_assert_cmpint (count_reports (h), ==, 0);
  g_assert_cmpint (harness_run (h, NULL, &history, NULL, "history", "DTU0001", NULL), ==, 0);
  g_assert_null (strstr (history, "→ V9.99"));
  g_assert_null (strstr (history, "→ V0.50"));
  g_assert_cmpint (harness_run (h, NULL, &terminals, NULL, "terminals", "list", "--version",
                                "V1.00", NULL), ==, 0);
  g_assert_nonnull (strstr (terminals, "DTU0001"));
}

/* A report of a second visit of its task item, reopened by a supervisor after @earlier. */
static void
follow (FfReport   *report,
        const char *earlier)
{
  g_free (report->follows);
  report->follows = g_strdup (earlier);
  g_free (report->reopened_by);
  report->reopened_by = g_strdup ("Li Lei");
}

/* Every outcome a real visit can end with still ingests, and a later visit of a closed item when
 * it follows the report that closed it. */
static void
test_report_versions_accepted (Fixture      *fixture,
                               gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  g_autoptr(FfReport) aborted = report_of (h, "DTU0001", FF_REPORT_OUTCOME_ABORTED, "V2.01", NULL,
                                           NULL, NULL);
  g_autoptr(FfReport) rolled_back = report_of (h, "DTU0001", FF_REPORT_OUTCOME_ROLLED_BACK,
                                               "V2.01", "V1.00", "V1.00", h->firmware_v1);
  g_autoptr(FfReport) kept_old = report_of (h, "FTU0002", FF_REPORT_OUTCOME_FAILED, "V2.01",
                                            "V1.00", "V2.01", h->firmware_v2);
  g_autoptr(FfReport) rollback_failed = report_of (h, "FTU0002", FF_REPORT_OUTCOME_FAILED,
                                                   "V2.01", NULL, "V1.00", h->firmware_v1);
  g_autoptr(FfReport) current = report_of (h, "FTU0002", FF_REPORT_OUTCOME_ALREADY_CURRENT,
                                           "V2.01", NULL, NULL, NULL);
  g_autoptr(FfReport) upgraded = harness_report (h->task_a, "DTU0001", "TAB-0001",
                                                 HARNESS_PHONE_A);
  g_autofree char *history = NULL;

  aborted->identity.present = FALSE;
  g_free (current->versions.before);
  current->versions.before = g_strdup ("V2.01");
  upload_report (h, token, aborted, 201, NULL);
  upload_report (h, token, rolled_back, 201, NULL);
  upload_report (h, token, kept_old, 201, NULL);
  /* Once a report closed the item, a later visit (reopened on the tablet) must follow it. */
  upload_report (h, token, rollback_failed, 409, "must follow that report");
  follow (rollback_failed, kept_old->report_id);
  upload_report (h, token, rollback_failed, 201, NULL);
  follow (current, kept_old->report_id);
  upload_report (h, token, current, 409, "must follow that report");
  follow (current, rollback_failed->report_id);
  upload_report (h, token, current, 201, NULL);
  /* …and the report it follows must be here, of the same item. */
  follow (upgraded, current->report_id);
  upload_report (h, token, upgraded, 409, "has not received for this terminal");
  follow (upgraded, rolled_back->report_id);
  upload_report (h, token, upgraded, 201, NULL);
  g_assert_cmpint (count_reports (h), ==, 6);
  g_assert_cmpint (harness_run (h, NULL, &history, NULL, "history", "FTU0002", NULL), ==, 0);
  g_assert_nonnull (strstr (history, "V1.00 → V2.01"));
}

/* A tablet retired while it holds a session can upload nothing with it. */
static void
test_retired_tablet_upload (Fixture      *fixture,
                            gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  g_autoptr(FfReport) report = harness_report (h->task_a, "DTU0001", "TAB-0001", HARNESS_PHONE_A);
  g_autofree char *history = NULL;

  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "handhelds", "retire", "TAB-0001", NULL), ==,
                   0);
  upload_report (h, token, report, 403, "retired");
  g_assert_cmpint (count_reports (h), ==, 0);
  g_assert_cmpint (harness_run (h, NULL, &history, NULL, "history", "DTU0001", NULL), ==, 0);
  g_assert_null (strstr (history, "V2.01"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/platform/api/health-and-key", Fixture, GINT_TO_POINTER (FALSE), set_up,
              test_health_and_key, tear_down);
  g_test_add ("/platform/api/not-allowed-lists-methods", Fixture, GINT_TO_POINTER (FALSE), set_up,
              test_not_allowed_lists_methods, tear_down);
  g_test_add ("/platform/api/https-pinned", Fixture, GINT_TO_POINTER (TRUE), set_up,
              test_health_and_key, tear_down);
  g_test_add ("/platform/api/login", Fixture, GINT_TO_POINTER (FALSE), set_up, test_login,
              tear_down);
  g_test_add ("/platform/api/login-backoff", Fixture, GINT_TO_POINTER (FALSE), set_up,
              test_login_backoff, tear_down);
  g_test_add ("/platform/api/login-parallel-guesses", Fixture, GINT_TO_POINTER (FALSE), set_up,
              test_login_parallel_guesses, tear_down);
  g_test_add ("/platform/api/login-success-clears-failures", Fixture, GINT_TO_POINTER (FALSE),
              set_up, test_login_success_clears_failures, tear_down);
  g_test_add ("/platform/api/tasks", Fixture, GINT_TO_POINTER (TRUE), set_up, test_tasks,
              tear_down);
  g_test_add ("/platform/api/firmware-delta", Fixture, GINT_TO_POINTER (FALSE), set_up,
              test_firmware_delta, tear_down);
  g_test_add ("/platform/api/firmware", Fixture, GINT_TO_POINTER (FALSE), set_up, test_firmware,
              tear_down);
  g_test_add ("/platform/api/firmware-ranges", Fixture, GINT_TO_POINTER (FALSE), set_up,
              test_firmware_ranges, tear_down);
  g_test_add ("/platform/api/chunked-body-limit", Fixture, GINT_TO_POINTER (FALSE), set_up,
              test_chunked_body_limit, tear_down);
  g_test_add ("/platform/api/chunked-body-limit-https", Fixture, GINT_TO_POINTER (TRUE), set_up,
              test_chunked_body_limit, tear_down);
  g_test_add ("/platform/api/reports", Fixture, GINT_TO_POINTER (FALSE), set_up, test_reports,
              tear_down);
  g_test_add ("/platform/api/retired-tablet-upload", Fixture, GINT_TO_POINTER (FALSE), set_up,
              test_retired_tablet_upload, tear_down);
  g_test_add ("/platform/api/report-versions-refused", Fixture, GINT_TO_POINTER (FALSE), set_up,
              test_report_versions_refused, tear_down);
  g_test_add ("/platform/api/report-versions-accepted", Fixture, GINT_TO_POINTER (FALSE), set_up,
              test_report_versions_accepted, tear_down);
  return g_test_run ();
}
