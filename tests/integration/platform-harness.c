/* Test harness for fieldflash-platform: a data directory in a temp dir, the CLI run as a real
 * process, the server started on 127.0.0.1 port 0, and a libsoup client for its API. */
#include "config.h"

#include "platform-harness.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/prctl.h>

/* At native speed (ff_test_deadline_s scales them under emulation); the stop includes the
 * sanitizer's leak check at exit. */
#define SERVER_START_SECONDS 30
#define SERVER_STOP_SECONDS 60
/* One run of the command line, and the longest silence of an HTTP exchange: the session's
 * timeout, so that a server that stops answering fails the test instead of hanging it. */
#define CLI_RUN_SECONDS 120
#define HTTP_SILENCE_SECONDS 60
#define FIRMWARE_V1_SIZE (100 * 1024)
#define FIRMWARE_V2_SIZE (300 * 1024 - 1)

static const char ledger[] =
  "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,"
  "software_checksum,host,port,common_address,profile\r\n"
  "DTU0001,\"Ring main unit 1, north\",39.915,116.404,Acme,DTU-3000,HV1.0,V1.00,A1B2,"
  "127.0.0.1,2404,1,state-grid\r\n"
  "FTU0002,Pole switch 2,39.9162,116.4101,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2405,2,"
  "state-grid\r\n"
  "DTU0003,Substation 3,39.92,116.41,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2406,3,state-grid\r\n";

Harness *
harness_new (void)
{
  Harness *h = g_new0 (Harness, 1);
  const char *build = g_getenv ("FIELDFLASH_BUILDDIR");

  g_assert_nonnull (build);
  h->dir = g_dir_make_tmp ("ff-platform-XXXXXX", NULL);
  g_assert_nonnull (h->dir);
  h->data_dir = g_build_filename (h->dir, "data", NULL);
  h->binary = g_build_filename (build, "src", "platform", "fieldflash-platform", NULL);
  h->session = soup_session_new_with_options ("timeout",
                                               ff_test_deadline_s (HTTP_SILENCE_SECONDS), NULL);
  return h;
}


void
harness_free (Harness *h)
{
  if (h->server != NULL)
    harness_stop (h);
  ff_test_remove_tree (h->dir);
  g_free (h->dir);
  g_free (h->data_dir);
  g_free (h->binary);
  g_free (h->base_url);
  g_object_unref (h->session);
  g_clear_object (&h->pinned);
  g_clear_pointer (&h->tablet_a, ff_key_unref);
  g_clear_pointer (&h->tablet_b, ff_key_unref);
  g_free (h->task_a);
  g_free (h->task_b);
  g_free (h->firmware_v1);
  g_free (h->firmware_v2);
  g_clear_pointer (&h->firmware_v2_bytes, g_bytes_unref);
  g_free (h);
}

char *
harness_write (Harness    *h,
               const char *name,
               const char *contents,
               gssize      length)
{
  char *path = g_build_filename (h->dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  return path;
}

/* harness_run() with the arguments as a va_list. */
static int
harness_run_valist (Harness     *h,
                    const char  *stdin_text,
                    char       **out,
                    char       **err,
                    const char  *first_arg,
                    va_list      args)
{
  g_autoptr(GPtrArray) argv = ff_test_command (h->binary, NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, h->data_dir);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  ff_test_subprocess_communicate (process, stdin_text ? stdin_text : "", CLI_RUN_SECONDS,
                                  "fieldflash-platform's command", &stdout_text, &stderr_text);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_test_message ("fieldflash-platform %s → %d\n%s%s", first_arg,
                  g_subprocess_get_exit_status (process), stdout_text, stderr_text);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  if (err != NULL)
    *err = g_steal_pointer (&stderr_text);
  return g_subprocess_get_exit_status (process);
}

int
harness_run (Harness     *h,
             const char  *stdin_text,
             char       **out,
             char       **err,
             const char  *first_arg,
             ...)
{
  va_list args;
  int status;

  va_start (args, first_arg);
  status = harness_run_valist (h, stdin_text, out, err, first_arg, args);
  va_end (args);
  return status;
}

char *
harness_run_ok (Harness    *h,
                const char *first_arg,
                ...)
{
  char *out = NULL;
  va_list args;
  int status;

  va_start (args, first_arg);
  status = harness_run_valist (h, NULL, &out, NULL, first_arg, args);
  va_end (args);
  g_assert_cmpint (status, ==, 0);
  return out;
}

void
harness_fixture_set_up (HarnessFixture *fixture,
                        gconstpointer   data)
{
  fixture->h = harness_new ();
  harness_setup_world (fixture->h);
}

void
harness_fixture_tear_down (HarnessFixture *fixture,
                           gconstpointer   data)
{
  harness_free (fixture->h);
}

/* The images of V1.00 (its first FIRMWARE_V1_SIZE bytes) and V2.01 (from its second byte on). */
static GBytes *
firmware_image (void)
{
  guint8 *image = g_malloc (FIRMWARE_V2_SIZE + 1);

  for (gsize i = 0; i < FIRMWARE_V2_SIZE + 1; i++)
    image[i] = (guint8) (i * 31 + (i >> 9));
  return g_bytes_new_take (image, FIRMWARE_V2_SIZE + 1);
}

static char *
save_tablet_key (Harness    *h,
                 FfKey      *key,
                 const char *name)
{
  g_autofree char *pem = ff_key_get_public_pem (key);

  return harness_write (h, name, pem, -1);
}

static char *
create_task (Harness    *h,
             const char *phone,
             const char *serial,
             const char *terminals)
{
  g_autofree char *out = NULL;
  g_autofree char *task_id = NULL;
  const char *start;

  g_assert_cmpint (harness_run (h, NULL, &out, NULL, "tasks", "create", "--technician", phone,
                                "--handheld", serial, "--terminals", terminals, "--firmware",
                                "V2.01", NULL), ==, 0);
  start = strstr (out, phone);
  g_assert_nonnull (start);
  task_id = g_strndup (start, strcspn (start, " ("));
  g_assert_true (g_str_has_prefix (task_id, phone));
  return g_steal_pointer (&task_id);
}

static void
build_world (Harness *h)
{
  g_autofree char *ledger_path = harness_write (h, "ledger.csv", ledger, -1);
  g_autofree char *fw1_path = NULL;
  g_autofree char *fw2_path = NULL;
  g_autofree char *key_a_path = NULL;
  g_autofree char *key_b_path = NULL;
  g_autofree char *cert_path = NULL;
  g_autoptr(GBytes) image = firmware_image ();
  const char *data = g_bytes_get_data (image, NULL);
  g_autoptr(GError) error = NULL;

  fw1_path = harness_write (h, "fw-v1.bin", data, FIRMWARE_V1_SIZE);
  fw2_path = harness_write (h, "fw-v2.bin", data + 1, FIRMWARE_V2_SIZE);
  h->firmware_v2_bytes = g_bytes_new_from_bytes (image, 1, FIRMWARE_V2_SIZE);
  h->firmware_v1 = ff_sha256_hex (data, FIRMWARE_V1_SIZE);
  h->firmware_v2 = ff_sha256_hex (data + 1, FIRMWARE_V2_SIZE);
  h->tablet_a = ff_key_generate (&error);
  h->tablet_b = ff_key_generate (&error);
  key_a_path = save_tablet_key (h, h->tablet_a, "tab-a.pub.pem");
  key_b_path = save_tablet_key (h, h->tablet_b, "tab-b.pub.pem");

  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "init", NULL), ==, 0);
  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "terminals", "import", ledger_path, NULL), ==,
                   0);
  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "firmware", "add", fw1_path, "--vendor",
                                "Acme", "--model", "DTU-3000", "--version", "V1.00", "--hardware",
                                "HV1.0", NULL), ==, 0);
  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "firmware", "add", fw2_path, "--vendor",
                                "Acme", "--model", "DTU-3000", "--version", "V2.01", "--hardware",
                                "HV1.0,HV1.1", "--notes", "Fixes the breaker trip", NULL), ==, 0);
  g_assert_cmpint (harness_run (h, HARNESS_PIN_A "\n", NULL, NULL, "technicians", "add",
                                "--phone", HARNESS_PHONE_A, "--name", "张伟", NULL), ==, 0);
  g_assert_cmpint (harness_run (h, HARNESS_PIN_B "\n", NULL, NULL, "technicians", "add",
                                "--phone", HARNESS_PHONE_B, "--name", "李娜", NULL), ==, 0);
  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "handhelds", "add", "TAB-0001", "--pubkey",
                                key_a_path, NULL), ==, 0);
  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "handhelds", "add", "TAB-0002", "--pubkey",
                                key_b_path, NULL), ==, 0);
  h->task_a = create_task (h, HARNESS_PHONE_A, "TAB-0001", "DTU0001,FTU0002");
  h->task_b = create_task (h, HARNESS_PHONE_B, "TAB-0002", "DTU0003");
  cert_path = g_build_filename (h->data_dir, "tls.crt", NULL);
  h->pinned = g_tls_certificate_new_from_file (cert_path, &error);
  g_assert_no_error (error);
}

/* The harnesses harness_setup_copy() made, by name, kept to the end of the program. */
static GHashTable *templates;

/* At exit only their directories go: their keys and certificate would be freed after OpenSSL's
 * own exit handler (registered after this one, so run before it) has cleaned up. */
static void
remove_templates (void)
{
  GHashTableIter iter;
  Harness *template;

  g_hash_table_iter_init (&iter, templates);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &template))
    ff_test_remove_tree (template->dir);
}

void
harness_setup_copy (Harness    *h,
                    const char *name,
                    void      (*build) (Harness *h))
{
  Harness *template;

  if (templates == NULL)
    {
      templates = g_hash_table_new (g_str_hash, g_str_equal);
      atexit (remove_templates);
    }
  template = g_hash_table_lookup (templates, name);
  if (template == NULL)
    {
      template = harness_new ();
      build (template);
      g_assert_null (template->server);
      g_hash_table_insert (templates, g_strdup (name), template);
    }
  ff_test_copy_tree (template->dir, h->dir);
  h->tablet_a = ff_key_ref (template->tablet_a);
  h->tablet_b = ff_key_ref (template->tablet_b);
  h->task_a = g_strdup (template->task_a);
  h->task_b = g_strdup (template->task_b);
  h->firmware_v1 = g_strdup (template->firmware_v1);
  h->firmware_v2 = g_strdup (template->firmware_v2);
  h->firmware_v2_bytes = g_bytes_ref (template->firmware_v2_bytes);
  h->pinned = g_object_ref (template->pinned);
}

void
harness_setup_world (Harness *h)
{
  harness_setup_copy (h, "world", build_world);
}

/* In the server's child process: a test that fails (aborts) takes its server with it, instead of
 * leaving it to hold the output pipe open until meson's timeout. */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  char **line = user_data;
  g_autoptr(GError) error = NULL;

  *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                    &error);
  g_assert_no_error (error);
  g_assert_nonnull (*line);
}

void
harness_start (Harness  *h,
               gboolean  https)
{
  harness_start_with (h, https, NULL);
}

void
harness_start_with (Harness           *h,
                    gboolean           https,
                    const char *const *serve_args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *asan_options = NULL;
  g_autofree char *line = NULL;
  guint deadline;
  const char *args[] = { "--data-dir", h->data_dir, "serve", "--listen", "127.0.0.1:0", NULL };
  g_autoptr(GPtrArray) argv = ff_test_command (h->binary, args);

  if (!https)
    g_ptr_array_add (argv, "--insecure-http");
  for (gsize i = 0; serve_args != NULL && serve_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) serve_args[i]);
  g_ptr_array_add (argv, NULL);

  g_assert_null (h->server);
  /* LeakSanitizer's tracer crashes scanning the dynamic TLS of the GnuTLS that glib-networking
   * dlopen()s; not tracking __tls_get_addr avoids that while leak checks stay on. */
  asan_options = g_strconcat (g_getenv ("ASAN_OPTIONS") ? g_getenv ("ASAN_OPTIONS") : "",
                              ":intercept_tls_get_addr=0",
                              h->unwind_slowly ? ":fast_unwind_on_malloc=0" : "", NULL);
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan_options, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  h->server = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (h->server));
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, line_read, &line);
  deadline = ff_test_watchdog_add (SERVER_START_SECONDS, "the platform server saying it listens");
  while (line == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
  g_assert_true (g_str_has_prefix (line, https ? "listening on https://127.0.0.1:"
                                               : "listening on http://127.0.0.1:"));
  g_free (h->base_url);
  h->base_url = g_strdup (line + strlen ("listening on "));
}

static void
wait_server (Harness *h)
{
  ff_test_subprocess_wait (h->server, SERVER_STOP_SECONDS, "the killed platform server");
  g_clear_object (&h->server);
}

/* A clean exit also means LeakSanitizer found nothing, in the sanitizer build. */
void
harness_stop (Harness *h)
{
  gboolean clean;

  g_subprocess_send_signal (h->server, SIGTERM);
  ff_test_subprocess_wait (h->server, SERVER_STOP_SECONDS, "the platform server's stop (SIGTERM)");
  clean = g_subprocess_get_if_exited (h->server) && g_subprocess_get_exit_status (h->server) == 0;
  g_clear_object (&h->server);
  g_assert_true (clean);
}

void
harness_kill (Harness *h)
{
  g_subprocess_force_exit (h->server);
  wait_server (h);
}

static gboolean
accept_pinned (SoupMessage         *message,
               GTlsCertificate     *certificate,
               GTlsCertificateFlags errors,
               gpointer             user_data)
{
  Harness *h = user_data;

  /* The tablet trusts exactly the certificate it was given, not a CA. */
  return g_tls_certificate_is_same (certificate, h->pinned);
}

static SoupMessage *
new_message (Harness           *h,
             const char        *method,
             const char        *path,
             const char        *token,
             const char *const *headers)
{
  g_autofree char *url = g_strconcat (h->base_url, path, NULL);
  SoupMessage *message = soup_message_new (method, url);
  SoupMessageHeaders *request_headers;

  g_assert_nonnull (message);
  request_headers = soup_message_get_request_headers (message);
  g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_pinned), h);
  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (request_headers, "Authorization", value);
    }
  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    soup_message_headers_replace (request_headers, headers[i], headers[i + 1]);
  return message;
}

static guint
send_message (Harness             *h,
              SoupMessage         *message,
              GBytes             **response,
              SoupMessageHeaders **response_headers)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) received = soup_session_send_and_read (h->session, message, NULL, &error);

  g_assert_no_error (error);
  if (response != NULL)
    *response = g_steal_pointer (&received);
  if (response_headers != NULL)
    *response_headers = soup_message_headers_ref (soup_message_get_response_headers (message));
  return soup_message_get_status (message);
}

guint
harness_request (Harness             *h,
                 const char          *method,
                 const char          *path,
                 const char          *token,
                 GBytes              *body,
                 const char *const   *headers,
                 GBytes             **response,
                 SoupMessageHeaders **response_headers)
{
  g_autoptr(SoupMessage) message = new_message (h, method, path, token, headers);

  if (body != NULL)
    soup_message_set_request_body_from_bytes (message, "application/json", body);
  return send_message (h, message, response, response_headers);
}

guint
harness_post_chunked (Harness    *h,
                      const char *path,
                      const char *token,
                      GBytes     *body,
                      GBytes    **response)
{
  g_autoptr(SoupMessage) message = new_message (h, "POST", path, token, NULL);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (body);

  /* An unknown length (-1) makes libsoup send the body chunked. */
  soup_message_set_request_body (message, "application/json", stream, -1);
  return send_message (h, message, response, NULL);
}

char *
harness_login (Harness    *h,
               const char *phone,
               const char *pin,
               const char *serial)
{
  g_autofree char *text = g_strdup_printf ("{\"phone\": \"%s\", \"pin\": \"%s\", "
                                           "\"tablet_serial\": \"%s\"}", phone, pin, serial);
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;

  g_assert_cmpuint (harness_request (h, "POST", "/api/v1/login", NULL, body, NULL, &response,
                                     NULL), ==, 200);
  json_parser_load_from_data (parser, g_bytes_get_data (response, NULL),
                              g_bytes_get_size (response), &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  return g_strdup (json_object_get_string_member (root, "token"));
}

FfReport *
harness_report (const char *task_id,
                const char *device_id,
                const char *serial,
                const char *phone)
{
  FfReport *report = ff_test_report_new (task_id, device_id, serial, phone);
  g_autoptr(GBytes) image = firmware_image ();

  report->identity.fix_age_s = 1;
  report->versions.after_checksum = g_strdup ("C3D4");
  report->firmware_sha256 = ff_sha256_hex ((const char *) g_bytes_get_data (image, NULL) + 1,
                                           FIRMWARE_V2_SIZE);
  ff_report_add_event (report, report->created_at, "verify", "0x8005 reads V2.01");
  return report;
}

GBytes *
harness_sign_report (FfReport *report,
                     FfKey    *key,
                     GBytes  **bytes)
{
  g_autoptr(GError) error = NULL;
  GBytes *signature = ff_report_sign (report, key, bytes, &error);

  g_assert_no_error (error);
  return signature;
}

guint
harness_upload (Harness    *h,
                const char *token,
                GBytes     *bytes,
                GBytes     *signature,
                GBytes    **response)
{
  g_autofree char *encoded = g_base64_encode (g_bytes_get_data (signature, NULL),
                                              g_bytes_get_size (signature));
  const char *headers[] = { "Fieldflash-Signature", encoded, NULL };

  return harness_request (h, "POST", "/api/v1/reports", token, bytes, headers, response, NULL);
}

void
harness_expect_upload (Harness    *h,
                       const char *token,
                       GBytes     *bytes,
                       GBytes     *signature,
                       guint       status,
                       const char *error_fragment)
{
  g_autoptr(GBytes) response = NULL;
  guint actual = harness_upload (h, token, bytes, signature, &response);

  g_test_message ("upload → %u %.*s", actual, (int) g_bytes_get_size (response),
                  (const char *) g_bytes_get_data (response, NULL));
  g_assert_cmpuint (actual, ==, status);
  if (error_fragment != NULL)
    {
      g_autofree char *text = harness_error_text (response);
      g_assert_nonnull (strstr (text, error_fragment));
    }
}

guint
harness_upload_report (Harness    *h,
                       const char *token,
                       FfReport   *report,
                       FfKey      *key,
                       GBytes    **response)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) signature = harness_sign_report (report, key, &bytes);

  return harness_upload (h, token, bytes, signature, response);
}

char *
harness_error_text (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                              &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return g_strdup (json_object_get_string_member (json_node_get_object (root), "error"));
}

/* The raw exchange's TLS client trusts the platform's own certificate only. */
static gboolean
accept_pinned_raw (GTlsConnection       *connection,
                   GTlsCertificate      *certificate,
                   GTlsCertificateFlags  errors,
                   Harness              *h)
{
  return g_tls_certificate_is_same (certificate, h->pinned);
}

char *
harness_exchange_raw (Harness    *h,
                      const char *request,
                      gssize      length)
{
  gboolean https = g_str_has_prefix (h->base_url, "https://");
  const char *host_port = h->base_url + strlen (https ? "https://" : "http://");
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GByteArray) received = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  GInputStream *input;
  guint8 buffer[16384];
  gssize n;

  connection = g_socket_client_connect_to_host (client, host_port, 0, NULL, &error);
  g_assert_no_error (error);
  if (https)
    {
      stream = g_tls_client_connection_new (G_IO_STREAM (connection), NULL, &error);
      g_assert_no_error (error);
      /* The server closes after "Connection: close" without waiting for a close_notify. */
      g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (stream), FALSE);
      g_signal_connect (stream, "accept-certificate", G_CALLBACK (accept_pinned_raw), h);
      g_tls_connection_handshake (G_TLS_CONNECTION (stream), NULL, &error);
      g_assert_no_error (error);
    }
  else
    stream = G_IO_STREAM (g_object_ref (connection));
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), request,
                             length < 0 ? strlen (request) : (gsize) length, NULL, NULL, &error);
  g_assert_no_error (error);
  /* Nothing more comes: a server that refused the request early stops waiting for the rest
   * (over TLS a half-closed socket would cut the TLS stream: "Connection: close" ends it). */
  if (!https)
    g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, &error);
  g_assert_no_error (error);
  input = g_io_stream_get_input_stream (stream);
  /* A reset after the answers (the server closing with unread input) ends the exchange too. */
  while ((n = g_input_stream_read (input, buffer, sizeof buffer, NULL, &error)) > 0)
    g_byte_array_append (received, buffer, (guint) n);
  if (error != NULL)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  g_byte_array_append (received, (const guint8 *) "", 1);
  return (char *) g_byte_array_free (g_steal_pointer (&received), FALSE);
}

/* One value as text; blobs by size and SHA-256 (task documents and reports are large). */
static void
append_value (GString      *dump,
              sqlite3_stmt *stmt,
              int           column)
{
  switch (sqlite3_column_type (stmt, column))
    {
    case SQLITE_NULL:
      g_string_append (dump, "NULL");
      break;
    case SQLITE_INTEGER:
      g_string_append_printf (dump, "%lld", (long long) sqlite3_column_int64 (stmt, column));
      break;
    case SQLITE_FLOAT:
      g_string_append_printf (dump, "%.17g", sqlite3_column_double (stmt, column));
      break;
    case SQLITE_TEXT:
      {
        g_autofree char *escaped =
          g_strescape ((const char *) sqlite3_column_text (stmt, column), NULL);
        g_string_append_printf (dump, "\"%s\"", escaped);
      }
      break;
    default:
      {
        g_autofree char *digest = ff_sha256_hex (sqlite3_column_blob (stmt, column),
                                                 sqlite3_column_bytes (stmt, column));
        g_string_append_printf (dump, "blob(%d, %s)", sqlite3_column_bytes (stmt, column),
                                digest);
      }
    }
}

/* Appends every row of @sql, one line each. */
static void
append_rows (GString    *dump,
             sqlite3    *db,
             const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      for (int i = 0; i < sqlite3_column_count (stmt); i++)
        {
          if (i > 0)
            g_string_append_c (dump, '|');
          append_value (dump, stmt, i);
        }
      g_string_append_c (dump, '\n');
    }
  g_assert_cmpint (rc, ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

char *
harness_dump_database (Harness *h)
{
  g_autofree char *path = g_build_filename (h->data_dir, "platform.db", NULL);
  g_autoptr(GString) dump = g_string_new (NULL);
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db = NULL;

  /* Read-only, and inside one read transaction, so the dump is one consistent snapshot even
   * while the server writes. */
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL), ==, SQLITE_OK);
  g_string_append (dump, "schema\n");
  append_rows (dump, db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name");
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT name FROM sqlite_schema WHERE type = 'table'"
                                           " ORDER BY name", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (tables, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  for (guint i = 0; i < tables->len; i++)
    {
      char *sql = sqlite3_mprintf ("SELECT * FROM \"%w\" ORDER BY rowid",
                                   (const char *) g_ptr_array_index (tables, i));

      g_string_append_printf (dump, "table %s\n", (const char *) g_ptr_array_index (tables, i));
      append_rows (dump, db, sql);
      sqlite3_free (sql);
    }
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  return g_string_free (g_steal_pointer (&dump), FALSE);
}

void
harness_assert_database_unchanged (Harness    *h,
                                   const char *before)
{
  g_autofree char *after = harness_dump_database (h);
  g_auto(GStrv) old_lines = NULL;
  g_auto(GStrv) new_lines = NULL;
  const char *section = "schema";
  guint i;

  if (g_str_equal (before, after))
    return;
  old_lines = g_strsplit (before, "\n", -1);
  new_lines = g_strsplit (after, "\n", -1);
  for (i = 0; old_lines[i] != NULL && new_lines[i] != NULL; i++)
    {
      if (!g_str_equal (old_lines[i], new_lines[i]))
        break;
      if (g_str_has_prefix (old_lines[i], "table "))
        section = old_lines[i];
    }
  g_error ("The database changed (%s); line %u was\n  %s\nand is now\n  %s", section, i + 1,
           old_lines[i] != NULL ? old_lines[i] : "(the end)",
           new_lines[i] != NULL ? new_lines[i] : "(the end)");
}

double
harness_metric (Harness    *h,
                const char *name)
{
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_cmpuint (harness_request (h, "GET", "/metrics", NULL, NULL, NULL, &body, NULL), ==,
                    200);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], name) && lines[i][strlen (name)] == ' ')
      return g_ascii_strtod (lines[i] + strlen (name) + 1, NULL);
  g_error ("/metrics has no %s", name);
  return -1;
}
