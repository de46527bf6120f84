/* fieldflash-agent: package downloads over HTTPS from a local libsoup server — the pinned
 * certificate, the FF-Terminal signature, Range resume with If-Range after a cut, digests. */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "ff-agent-config.h"
#include "ff-agent-https.h"
#include "ff-agent-query.h"
#include "ff-document.h"
#include "ff-crypto.h"
#include "ff-test-fixtures.h"
#include "test-agent-util.h"

/* LeakSanitizer crashes scanning the dynamic TLS of glib-networking's dlopen()ed GnuTLS in a
 * process that ran TLS handshakes; not tracking __tls_get_addr avoids that while leak checking
 * stays on (as the sync tests, ff-test-sync-platform.c). Only sanitizer builds call this. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "intercept_tls_get_addr=0";
}

#define PACKAGE_SIZE (1024 * 1024 + 4321)
/* A download of the package takes well under a second here (ff_test_deadline_s scales it). */
#define LOOP_DEADLINE_S 60

typedef struct
{
  char *root;
  SoupServer *server;
  char *base;
  char *url;
  GTlsCertificate *certificate;
  GBytes *answer;
  FfKey *terminal_key;
  FfAgentHttps *https;
  GBytes *content;
  char *etag;
  /* What the server saw. */
  guint requests;
  gint64 last_range_start;     /* -1: no Range */
  gint64 range_starts[4];      /* the same for each of the first requests */
  gboolean last_if_range_matched;
  gint64 bytes_sent;
  gboolean signature_ok;
  /* The client's cut. */
  GCancellable *cancellable;
  gint64 cut_at;
  gboolean cancel_at_end;
  GMainLoop *loop;
  GError *error;
} Fixture;

static gboolean
signature_verifies (Fixture *fixture, SoupServerMessage *message)
{
  const char *header = soup_message_headers_get_one (
    soup_server_message_get_request_headers (message), "Authorization");
  g_autofree char *device = NULL, *time_text = NULL, *signature_text = NULL;
  g_autofree char *signed_text = NULL, *body_sha = NULL;
  g_autoptr(GBytes) body = soup_message_body_flatten (
    soup_server_message_get_request_body (message));
  g_autoptr(GBytes) data = NULL, signature = NULL;
  g_autoptr(GRegex) regex = g_regex_new ("^FF-Terminal device=\"([^\"]+)\", time=\"([0-9]+)\", "
                                         "signature=\"([A-Za-z0-9+/=]+)\"$", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  guchar *raw;
  gsize raw_length;
  gint64 time;

  if (header == NULL || !g_regex_match (regex, header, 0, &match))
    return FALSE;
  device = g_match_info_fetch (match, 1);
  time_text = g_match_info_fetch (match, 2);
  signature_text = g_match_info_fetch (match, 3);
  time = g_ascii_strtoll (time_text, NULL, 10);
  if (!g_str_equal (device, "DTU-0001") || ABS (time - g_get_real_time () / G_USEC_PER_SEC) > 300)
    return FALSE;
  body_sha = ff_sha256_hex (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  signed_text = g_strdup_printf ("%s\n%s\n%s\n%s", soup_server_message_get_method (message),
                                 g_uri_get_path (soup_server_message_get_uri (message)),
                                 time_text, body_sha);
  data = g_bytes_new (signed_text, strlen (signed_text));
  raw = g_base64_decode (signature_text, &raw_length);
  signature = g_bytes_new_take (raw, raw_length);
  return ff_key_verify (fixture->terminal_key, data, signature, NULL);
}

static void
serve_package (SoupServer *server, SoupServerMessage *message, const char *path,
               GHashTable *query, gpointer user_data)
{
  Fixture *fixture = user_data;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (message);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (message);
  gsize size = g_bytes_get_size (fixture->content);
  const char *if_range = soup_message_headers_get_one (request, "If-Range");
  SoupRange *ranges = NULL;
  int n_ranges = 0;
  g_autoptr(GBytes) body = NULL;

  fixture->requests++;
  fixture->signature_ok = signature_verifies (fixture, message);
  if (!fixture->signature_ok)
    {
      soup_server_message_set_status (message, SOUP_STATUS_UNAUTHORIZED, NULL);
      return;
    }
  soup_message_headers_replace (response, "ETag", fixture->etag);
  fixture->last_range_start = -1;
  fixture->last_if_range_matched = g_strcmp0 (if_range, fixture->etag) == 0;
  if (fixture->last_if_range_matched
      && soup_message_headers_get_ranges (request, size, &ranges, &n_ranges) && n_ranges == 1)
    {
      gint64 start = ranges[0].start, end = ranges[0].end;

      fixture->last_range_start = start;
      body = g_bytes_new_from_bytes (fixture->content, start, end - start + 1);
      soup_message_headers_set_content_range (response, start, end, size);
      soup_server_message_set_status (message, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      soup_message_headers_free_ranges (request, ranges);
    }
  else
    {
      /* SoupServer turns a 200 into a 206 for a Range header on its own, If-Range or not. */
      soup_message_headers_remove (request, "Range");
      body = g_bytes_ref (fixture->content);
      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
    }
  if (fixture->requests <= G_N_ELEMENTS (fixture->range_starts))
    fixture->range_starts[fixture->requests - 1] = fixture->last_range_start;
  if (fixture->cut_at >= 0 && fixture->cut_at < (gint64) g_bytes_get_size (body))
    {
      /* A cut: the first cut_at bytes of the body, then nothing more (the body is never
       * completed) until the client, having read them all, cancels (on_progress). */
      soup_message_headers_set_content_length (response, g_bytes_get_size (body));
      soup_message_headers_replace (response, "Content-Type", "application/octet-stream");
      soup_message_body_append (soup_server_message_get_response_body (message),
                                SOUP_MEMORY_COPY, g_bytes_get_data (body, NULL),
                                fixture->cut_at);
      fixture->bytes_sent += fixture->cut_at;
      return;
    }
  fixture->bytes_sent += g_bytes_get_size (body);
  soup_server_message_set_response (message, "application/octet-stream", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

/* The version query: "nothing new" for a terminal on V2.0, else a command envelope. */
static void
serve_query (SoupServer *server, SoupServerMessage *message, const char *path,
             GHashTable *query, gpointer user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(GBytes) body = soup_message_body_flatten (
    soup_server_message_get_request_body (message));
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root, *versions;
  const char *answer;

  fixture->requests++;
  fixture->signature_ok = signature_verifies (fixture, message);
  parser = ff_document_parse_object (body, &root, NULL);
  g_assert_nonnull (parser);
  g_assert_cmpstr (json_object_get_string_member (root, "device_id"), ==, "DTU-0001");
  versions = json_object_get_object_member (root, "versions");
  if (g_strcmp0 (json_object_get_string_member (versions, "main-program"), "V9.0") == 0)
    {
      /* "Nothing new", padded to 1 MiB: an answer no platform sends. */
      g_autoptr(GString) huge = g_string_new ("{\"format_version\":1,\"update\":false,\"x\":\"");

      while (huge->len < 1024 * 1024)
        g_string_append (huge, "                ");
      g_string_append (huge, "\"}");
      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, huge->str,
                                        huge->len);
      return;
    }
  if (g_strcmp0 (json_object_get_string_member (versions, "main-program"), "V2.0") == 0)
    answer = "{\"format_version\":1,\"update\":false}";
  else
    answer = "{\"format_version\":1,\"update\":true,"
             "\"command\":{\"document\":\"e30=\",\"signature\":\"AA==\"}}";
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, answer,
                                    strlen (answer));
}

static GBytes *
make_content (guint seed)
{
  guint8 *data = g_malloc (PACKAGE_SIZE);

  for (gsize i = 0; i < PACKAGE_SIZE; i++)
    data[i] = (guint8) ((i * 31 + seed) ^ (i >> 9));
  return g_bytes_new_take (data, PACKAGE_SIZE);
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = NULL, *key = NULL;
  g_autoptr(GSList) uris = NULL;
  fixture->root = agent_test_root_new ();
  cert = g_build_filename (fixture->root, "platform.crt", NULL);
  key = g_build_filename (fixture->root, "platform.key", NULL);
  g_assert_true (ff_tls_certificate_generate (cert, key, "localhost", 2, &error));
  fixture->certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  fixture->server = soup_server_new ("tls-certificate", fixture->certificate, NULL);
  soup_server_add_handler (fixture->server, "/api/v1/agent/packages", serve_package, fixture,
                           NULL);
  soup_server_add_handler (fixture->server, "/api/v1/agent/query", serve_query, fixture, NULL);
  g_assert_true (soup_server_listen_local (fixture->server, 0,
                                           SOUP_SERVER_LISTEN_IPV4_ONLY
                                           | SOUP_SERVER_LISTEN_HTTPS, &error));
  uris = soup_server_get_uris (fixture->server);
  fixture->base = g_uri_to_string (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  fixture->url = g_strconcat (fixture->base, "api/v1/agent/packages/abc", NULL);
  fixture->terminal_key = ff_key_generate (&error);
  g_assert_no_error (error);
  fixture->https = ff_agent_https_new (fixture->base, cert, fixture->terminal_key, "DTU-0001",
                                       &error);
  g_assert_no_error (error);
  fixture->content = make_content (1);
  fixture->etag = g_strdup ("\"v1\"");
  fixture->cut_at = -1;
  fixture->loop = g_main_loop_new (NULL, FALSE);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  ff_agent_https_free (fixture->https);
  soup_server_disconnect (fixture->server);
  g_object_unref (fixture->server);
  g_object_unref (fixture->certificate);
  ff_key_unref (fixture->terminal_key);
  g_bytes_unref (fixture->content);
  g_free (fixture->etag);
  g_free (fixture->url);
  g_free (fixture->base);
  g_clear_pointer (&fixture->answer, g_bytes_unref);
  g_clear_object (&fixture->cancellable);
  g_clear_error (&fixture->error);
  g_main_loop_unref (fixture->loop);
  agent_test_root_free (fixture->root);
}

static void
on_progress (gint64 bytes, gint64 total, gpointer user_data)
{
  Fixture *fixture = user_data;

  g_assert_cmpint (total, ==, PACKAGE_SIZE);
  /* The last count comes before the result: a stop (SIGTERM) as the download completes. */
  if ((fixture->cut_at >= 0 && bytes >= fixture->cut_at)
      || (fixture->cancel_at_end && bytes == total))
    g_cancellable_cancel (fixture->cancellable);
}

static void
on_downloaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *fixture = user_data;

  g_clear_error (&fixture->error);
  ff_agent_https_download_finish (fixture->https, result, &fixture->error);
  g_main_loop_quit (fixture->loop);
}

/* Runs the main loop until a callback quits it; a download or query that never ends fails the
 * test, naming @what. */
static void
run_loop (Fixture *fixture, const char *what)
{
  guint watchdog = ff_test_watchdog_add (LOOP_DEADLINE_S, what);

  g_main_loop_run (fixture->loop);
  g_source_remove (watchdog);
}

/* Downloads to ROOT/data/package.ffpkg expecting @sha256; cut once @cut_at bytes are in (-1:
 * not): the server stops sending there, and the client cancels once it has read them (the body
 * is read in a worker thread, so a cancellation from the progress report is not in step with the
 * reads on its own). */
static char *
download (Fixture *fixture, const char *sha256, gint64 cut_at)
{
  char *dest = g_build_filename (fixture->root, "data", "package.ffpkg", NULL);

  g_clear_object (&fixture->cancellable);
  fixture->cancellable = g_cancellable_new ();
  fixture->cut_at = cut_at;
  ff_agent_https_download_async (fixture->https, fixture->url, dest, PACKAGE_SIZE, sha256,
                                 on_progress, fixture, fixture->cancellable, on_downloaded,
                                 fixture);
  run_loop (fixture, "the download's end");
  return dest;
}

static gint64
file_size (const char *path)
{
  GStatBuf info;

  return g_stat (path, &info) == 0 ? info.st_size : -1;
}

static char *
content_sha256 (GBytes *content)
{
  return ff_sha256_hex (g_bytes_get_data (content, NULL), g_bytes_get_size (content));
}

static void
assert_downloaded (const char *dest, GBytes *content)
{
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  g_autofree char *data = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (dest, &data, &length, NULL));
  g_assert_cmpmem (data, length, g_bytes_get_data (content, NULL), g_bytes_get_size (content));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

static void
test_whole (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sha = content_sha256 (fixture->content);
  g_autofree char *dest = download (fixture, sha, -1);

  g_assert_no_error (fixture->error);
  g_assert_true (fixture->signature_ok);
  g_assert_cmpint (fixture->last_range_start, ==, -1);
  assert_downloaded (dest, fixture->content);
}

/* Cut after ~400 kB: the second download asks for exactly the rest (If-Range with the ETag), so
 * nothing already on disk is fetched again. */
static void
test_resume (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sha = content_sha256 (fixture->content);
  g_autofree char *dest = download (fixture, sha, 400000);
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  gint64 kept = file_size (part);

  g_assert_error (fixture->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (kept, >=, 400000);
  g_assert_cmpint (kept, <, PACKAGE_SIZE);
  g_free (download (fixture, sha, -1));
  g_assert_no_error (fixture->error);
  g_assert_cmpint (fixture->requests, ==, 2);
  g_assert_true (fixture->last_if_range_matched);
  g_assert_cmpint (fixture->last_range_start, ==, kept);
  assert_downloaded (dest, fixture->content);
}

/* The file changed on the platform between the two tries: If-Range fails, the whole new file
 * comes and replaces the part. */
static void
test_resume_changed (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sha = content_sha256 (fixture->content);
  g_autofree char *dest = download (fixture, sha, 300000);
  g_autofree char *new_sha = NULL;

  g_assert_error (fixture->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_bytes_unref (fixture->content);
  fixture->content = make_content (2);
  g_free (fixture->etag);
  fixture->etag = g_strdup ("\"v2\"");
  new_sha = content_sha256 (fixture->content);
  g_free (download (fixture, new_sha, -1));
  g_assert_no_error (fixture->error);
  g_assert_false (fixture->last_if_range_matched);
  g_assert_cmpint (fixture->last_range_start, ==, -1);
  assert_downloaded (dest, fixture->content);
}

/* Cuts the download after ~400 kB, then zeros the part file's last 64 KiB as a power cut can
 * (the file system kept the size, not the data); returns the package's path. */
static char *
download_and_damage_part (Fixture *fixture, const char *sha, gint64 *kept)
{
  char *dest = download (fixture, sha, 400000);
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  g_autofree char *bytes = NULL;
  gsize length;

  g_assert_error (fixture->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (g_file_get_contents (part, &bytes, &length, NULL));
  g_assert_cmpuint (length, >=, 400000);
  memset (bytes + length - 65536, 0, 65536);
  g_assert_true (g_file_set_contents (part, bytes, length, NULL));
  *kept = length;
  return dest;
}

/* A resumed download hashes what the part file already holds: damaged on disk before the
 * resume, the whole does not match, and the package is downloaded once more from its start in
 * the same try (the Range request, then one from byte 0): the command goes on. */
static void
test_resume_damaged_part (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sha = content_sha256 (fixture->content);
  gint64 kept;
  g_autofree char *dest = download_and_damage_part (fixture, sha, &kept);

  g_free (download (fixture, sha, -1));
  g_assert_no_error (fixture->error);
  g_assert_cmpint (fixture->requests, ==, 3);
  g_assert_cmpint (fixture->range_starts[1], ==, kept);
  g_assert_cmpint (fixture->range_starts[2], ==, -1);
  assert_downloaded (dest, fixture->content);
}

/* The same, but the platform's bytes are not the command's package either: after exactly one
 * download from byte 0 the command is refused, and nothing of it is kept. */
static void
test_resume_damaged_part_and_tampered (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sha = content_sha256 (fixture->content);
  guint8 *tampered = g_memdup2 (g_bytes_get_data (fixture->content, NULL), PACKAGE_SIZE);
  gint64 kept;
  g_autofree char *dest = NULL;
  g_autofree char *part = NULL;

  tampered[PACKAGE_SIZE - 10] ^= 1;
  g_bytes_unref (fixture->content);
  fixture->content = g_bytes_new_take (tampered, PACKAGE_SIZE);
  dest = download_and_damage_part (fixture, sha, &kept);
  part = g_strconcat (dest, ".part", NULL);
  g_free (download (fixture, sha, -1));
  g_assert_error (fixture->error, FF_AGENT_ERROR, FF_AGENT_ERROR_REFUSED);
  g_assert_cmpint (fixture->requests, ==, 3);
  g_assert_cmpint (fixture->range_starts[1], ==, kept);
  g_assert_cmpint (fixture->range_starts[2], ==, -1);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

/* A part file complete before a power cut (the rename not done) becomes the package without a
 * request, checked against the digest; a damaged complete part (its end zeros) is downloaded
 * once more from its start. */
static void
test_complete_part (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sha = content_sha256 (fixture->content);
  g_autofree char *dest = g_build_filename (fixture->root, "data", "package.ffpkg", NULL);
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  g_autofree char *dir = g_path_get_dirname (dest);
  g_autofree guint8 *damaged = g_memdup2 (g_bytes_get_data (fixture->content, NULL),
                                          PACKAGE_SIZE);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (part, g_bytes_get_data (fixture->content, NULL),
                                      PACKAGE_SIZE, NULL));
  g_free (download (fixture, sha, -1));
  g_assert_no_error (fixture->error);
  g_assert_cmpint (fixture->requests, ==, 0);
  assert_downloaded (dest, fixture->content);

  g_unlink (dest);
  memset (damaged + PACKAGE_SIZE - 4096, 0, 4096);
  g_assert_true (g_file_set_contents (part, (char *) damaged, PACKAGE_SIZE, NULL));
  g_free (download (fixture, sha, -1));
  g_assert_no_error (fixture->error);
  g_assert_cmpint (fixture->requests, ==, 1);
  g_assert_cmpint (fixture->range_starts[0], ==, -1);
  assert_downloaded (dest, fixture->content);
}

/* The package already in place with the command's digest (the agent stopped or lost power after
 * the rename, its record still at downloading) is used without a request; a damaged one there is
 * downloaded again. */
static void
test_package_in_place (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sha = content_sha256 (fixture->content);
  g_autofree char *dest = g_build_filename (fixture->root, "data", "package.ffpkg", NULL);
  g_autofree char *dir = g_path_get_dirname (dest);
  g_autofree guint8 *damaged = g_memdup2 (g_bytes_get_data (fixture->content, NULL),
                                          PACKAGE_SIZE);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (dest, g_bytes_get_data (fixture->content, NULL),
                                      PACKAGE_SIZE, NULL));
  g_free (download (fixture, sha, -1));
  g_assert_no_error (fixture->error);
  g_assert_cmpint (fixture->requests, ==, 0);
  assert_downloaded (dest, fixture->content);

  damaged[PACKAGE_SIZE / 3] ^= 1;
  g_assert_true (g_file_set_contents (dest, (char *) damaged, PACKAGE_SIZE, NULL));
  g_free (download (fixture, sha, -1));
  g_assert_no_error (fixture->error);
  g_assert_cmpint (fixture->requests, ==, 1);
  g_assert_cmpint (fixture->bytes_sent, ==, PACKAGE_SIZE);
  assert_downloaded (dest, fixture->content);
}

/* A stop as the download completes (the last bytes counted, the result not yet taken) leaves the
 * package in place and the download succeeded, not "cancelled". */
static void
test_stop_at_end (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sha = content_sha256 (fixture->content);
  g_autofree char *dest = NULL;

  fixture->cancel_at_end = TRUE;
  dest = download (fixture, sha, -1);
  g_assert_true (g_cancellable_is_cancelled (fixture->cancellable));
  g_assert_no_error (fixture->error);
  g_assert_cmpint (fixture->requests, ==, 1);
  assert_downloaded (dest, fixture->content);
}

/* Bytes that are not the command's package are refused and deleted, so nothing of them stays. */
static void
test_tampered (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sha = content_sha256 (fixture->content);
  g_autofree char *dest = NULL;
  g_autofree char *part = NULL;
  guint8 *tampered = g_memdup2 (g_bytes_get_data (fixture->content, NULL), PACKAGE_SIZE);

  tampered[PACKAGE_SIZE / 2] ^= 1;
  g_bytes_unref (fixture->content);
  fixture->content = g_bytes_new_take (tampered, PACKAGE_SIZE);
  dest = download (fixture, sha, -1);
  part = g_strconcat (dest, ".part", NULL);
  g_assert_error (fixture->error, FF_AGENT_ERROR, FF_AGENT_ERROR_REFUSED);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

/* A server with another certificate than the pinned one gets no request. */
static void
test_other_certificate (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sha = content_sha256 (fixture->content);
  g_autofree char *cert = g_build_filename (fixture->root, "other.crt", NULL);
  g_autofree char *key = g_build_filename (fixture->root, "other.key", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dest = NULL;

  g_assert_true (ff_tls_certificate_generate (cert, key, "localhost", 2, &error));
  ff_agent_https_free (fixture->https);
  fixture->https = ff_agent_https_new ("https://127.0.0.1/", cert, fixture->terminal_key,
                                       "DTU-0001", &error);
  g_assert_no_error (error);
  dest = download (fixture, sha, -1);
  g_assert_nonnull (fixture->error);
  g_assert_cmpuint (fixture->requests, ==, 0);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
}

static void
on_query_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *fixture = user_data;

  g_clear_error (&fixture->error);
  g_clear_pointer (&fixture->answer, g_bytes_unref);
  fixture->answer = ff_agent_query_ask_finish (result, &fixture->error);
  g_main_loop_quit (fixture->loop);
}

static void
ask (Fixture *fixture, const char *main_program_version)
{
  FfRemoteVersions versions = { 0 };

  ff_remote_versions_set (&versions, "main-program", main_program_version);
  ff_remote_versions_set (&versions, "updater", "U1.0");
  ff_agent_query_ask_async (fixture->https, fixture->base, "DTU-0001", &versions, NULL,
                            on_query_answer, fixture);
  ff_remote_versions_clear (&versions);
  run_loop (fixture, "the version query's answer");
}

/* The signed version query: "nothing new" is no command; an update hands over the envelope. */
static void
test_query (Fixture *fixture, gconstpointer data)
{
  ask (fixture, "V2.0");
  g_assert_no_error (fixture->error);
  g_assert_true (fixture->signature_ok);
  g_assert_null (fixture->answer);
  ask (fixture, "V1.0");
  g_assert_no_error (fixture->error);
  g_assert_nonnull (fixture->answer);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (fixture->answer, NULL),
                                  g_bytes_get_size (fixture->answer), "\"signature\":\"AA==\""));
  g_assert_cmpuint (fixture->requests, ==, 2);
}

/* An answer larger than any command is not read to its end (it was read whole, whatever its
 * length: a platform answering without end took the terminal's memory), and says why. */
static void
test_query_too_large (Fixture *fixture, gconstpointer data)
{
  ask (fixture, "V9.0");
  g_assert_error (fixture->error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED);
  g_assert_nonnull (strstr (fixture->error->message, "larger than"));
  g_assert_null (fixture->answer);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/agent/download/whole", Fixture, NULL, fixture_set_up, test_whole,
              fixture_tear_down);
  g_test_add ("/agent/download/resume", Fixture, NULL, fixture_set_up, test_resume,
              fixture_tear_down);
  g_test_add ("/agent/download/resume-changed", Fixture, NULL, fixture_set_up,
              test_resume_changed, fixture_tear_down);
  g_test_add ("/agent/download/resume-damaged-part", Fixture, NULL, fixture_set_up,
              test_resume_damaged_part, fixture_tear_down);
  g_test_add ("/agent/download/resume-damaged-part-and-tampered", Fixture, NULL, fixture_set_up,
              test_resume_damaged_part_and_tampered, fixture_tear_down);
  g_test_add ("/agent/download/complete-part", Fixture, NULL, fixture_set_up, test_complete_part,
              fixture_tear_down);
  g_test_add ("/agent/download/package-in-place", Fixture, NULL, fixture_set_up,
              test_package_in_place, fixture_tear_down);
  g_test_add ("/agent/download/stop-at-end", Fixture, NULL, fixture_set_up, test_stop_at_end,
              fixture_tear_down);
  g_test_add ("/agent/download/tampered", Fixture, NULL, fixture_set_up, test_tampered,
              fixture_tear_down);
  g_test_add ("/agent/download/other-certificate", Fixture, NULL, fixture_set_up,
              test_other_certificate, fixture_tear_down);
  g_test_add ("/agent/query/ask", Fixture, NULL, fixture_set_up, test_query, fixture_tear_down);
  g_test_add ("/agent/query/too-large", Fixture, NULL, fixture_set_up, test_query_too_large,
              fixture_tear_down);
  return g_test_run ();
}
