/* Security: hostile input to the web console's API (docs/api.md, "Console API") from a logged-in
 * operator, against the real platform daemon on 127.0.0.1. Each refusal is a 4xx with a JSON
 * error that is UTF-8, and leaves the database as it was. */
#include "config.h"

#include "platform-harness.h"

#include <sqlite3.h>

#define ADMIN_PASSWORD "a long admin password"

typedef struct
{
  Harness *h;
  char    *cookie;     /* "__Host-ff_console=TOKEN" */
  char    *csrf;
} Fixture;

static void
set_up (Fixture      *fixture,
        gconstpointer data)
{
  Harness *h = fixture->h = harness_new ();
  const char *login = "{\"name\": \"olga\", \"password\": \"" ADMIN_PASSWORD "\"}";
  g_autoptr(GBytes) body = g_bytes_new_static (login, strlen (login));
  g_autoptr(GBytes) response = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *set_cookie;

  /* @data: TRUE for a test whose report is drawn with a CJK font, on which cairo 1.16 leaks
   * (tests/lsan.supp; the suppression matches only a slowly unwound stack). */
  h->unwind_slowly = GPOINTER_TO_INT (data);
  harness_setup_world (h);
  g_assert_cmpint (harness_run (h, ADMIN_PASSWORD "\n", NULL, NULL, "operators", "add", "--name",
                                "olga", "--role", "admin", "--password-stdin", NULL), ==, 0);
  harness_start (h, FALSE);
  g_assert_cmpuint (harness_request (h, "POST", "/console/api/login", NULL, body, NULL, &response,
                                     &headers), ==, 200);
  set_cookie = soup_message_headers_get_one (headers, "Set-Cookie");
  g_assert_nonnull (set_cookie);
  fixture->cookie = g_strndup (set_cookie, strcspn (set_cookie, ";"));
  json_parser_load_from_data (parser, g_bytes_get_data (response, NULL),
                              g_bytes_get_size (response), &error);
  g_assert_no_error (error);
  fixture->csrf = g_strdup (json_object_get_string_member (
    json_node_get_object (json_parser_get_root (parser)), "csrf_token"));
}

static void
tear_down (Fixture      *fixture,
           gconstpointer data)
{
  g_free (fixture->cookie);
  g_free (fixture->csrf);
  harness_free (fixture->h);
}

/* Sends @method @path (with @body as JSON, unless NULL) in the operator's session; returns the
 * status and sets @message to the answer's error, after checking that the answer is a JSON
 * object in UTF-8. */
static guint
call (Fixture     *fixture,
      const char  *method,
      const char  *path,
      const char  *body,
      char       **message)
{
  const char *headers[] = { "Cookie", fixture->cookie, "X-CSRF-Token", fixture->csrf, NULL };
  g_autoptr(GBytes) bytes = body != NULL ? g_bytes_new (body, strlen (body)) : NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *text;
  gsize length;
  guint status;

  status = harness_request (fixture->h, method, path, NULL, bytes, headers, &response, NULL);
  text = g_bytes_get_data (response, &length);
  g_test_message ("%s %s → %u %.*s", method, path, status, (int) length, text);
  g_assert_true (g_utf8_validate (text, length, NULL));
  json_parser_load_from_data (parser, text, length, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  if (message != NULL)
    *message = status >= 400 ? harness_error_text (response) : NULL;
  return status;
}

/* Expects @status for @method @path with @body and an error naming @fragment, and an unchanged
 * database. */
static void
expect_refused (Fixture    *fixture,
                const char *method,
                const char *path,
                const char *body,
                guint       status,
                const char *fragment)
{
  g_autofree char *before = harness_dump_database (fixture->h);
  g_autofree char *message = NULL;

  g_assert_cmpuint (call (fixture, method, path, body, &message), ==, status);
  g_assert_nonnull (strstr (message, fragment));
  harness_assert_database_unchanged (fixture->h, before);
}

/* A tablet's key that is no Ed25519 public key in PEM (text, a private key's armour, another
 * algorithm) was the platform's failure: 500. It is the request's: 400. */
static void
test_tablet_key (Fixture      *fixture,
                 gconstpointer data)
{
  static const char *const keys[] = {
    "junk",
    "-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIDYUKjlJk1KjSORYgMIuUK6h/MYBqZU/vJV8OSch+A9Q"
    "\\n-----END PRIVATE KEY-----\\n",
    /* An X25519 public key: the right PEM, the wrong algorithm. */
    "-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VuAyEASnE8KAwAH8ctqxZGmVnc3ChgNKWQWsfW5OgUT+KsAF4="
    "\\n-----END PUBLIC KEY-----\\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"serial\": \"TAB-0009\", "
                                               "\"public_key_pem\": \"%s\"}", keys[i]);

      expect_refused (fixture, "POST", "/console/api/tablets", body, 400, "Ed25519");
    }
}

/* libsoup hands the path over percent-decoded; the IDs in it are not UTF-8 then, and the errors
 * that named them were not UTF-8 either (no JSON a browser reads). */
static void
test_non_utf8_ids (Fixture      *fixture,
                   gconstpointer data)
{
  expect_refused (fixture, "GET", "/console/api/terminals/X%ff%fe", NULL, 404, "X\xef\xbf\xbd");
  expect_refused (fixture, "GET", "/console/api/campaigns/C%ff", NULL, 404, "C\xef\xbf\xbd");
}

/* The console encodes an ID once (encodeURIComponent); the server decoded it twice, so terminal
 * "DTU%41" opened terminal "DTUA", and an operator named "a/b" could not be addressed at all. */
static void
test_encoded_ids (Fixture      *fixture,
                  gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *ledger = harness_write (h, "percent.csv",
    "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,"
    "software_checksum,host,port,common_address,profile\n"
    "DTU%41,Percent,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,7,state-grid\n"
    "DTUA,Letter,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,8,state-grid\n", -1);
  g_autoptr(GBytes) response = NULL;
  const char *headers[] = { "Cookie", fixture->cookie, NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *terminal;

  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "terminals", "import", ledger, NULL), ==, 0);
  g_assert_cmpuint (harness_request (h, "GET", "/console/api/terminals/DTU%2541", NULL, NULL,
                                     headers, &response, NULL), ==, 200);
  json_parser_load_from_data (parser, g_bytes_get_data (response, NULL),
                              g_bytes_get_size (response), &error);
  g_assert_no_error (error);
  terminal = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                            "terminal");
  g_assert_cmpstr (json_object_get_string_member (terminal, "device_id"), ==, "DTU%41");
  g_assert_cmpstr (json_object_get_string_member (terminal, "name"), ==, "Percent");

  /* A name with '/' cannot be a path segment: refused when the operator is made. */
  expect_refused (fixture, "POST", "/console/api/operators",
                  "{\"name\": \"a/b\", \"role\": \"auditor\", \"password\": \"a long password\"}",
                  400, "/");
}

/* A technician's name with a line break or an escape sequence was stored (and printed raw by
 * "technicians list", signed into tasks): refused like operators' names and the ledger's. So is
 * a bidirectional override or isolate, which shows the name in another order than stored. */
static void
test_technician_name (Fixture      *fixture,
                      gconstpointer data)
{
  static const char *const names[] = { "Li\\nNa", "Li \\u001b[2J", "Li\\u0085Na", "Li\\u007f",
                                       "Li\\u202eaN", "Li\\u2067Na" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"phone\": \"13700137000\", \"name\": \"%s\", "
                                               "\"pin\": \"123456\"}", names[i]);

      expect_refused (fixture, "POST", "/console/api/technicians", body, 400, "control");
    }
}

/* An upload of a package (format=ffpkg) that is no tar, or a tar without a manifest, was the
 * platform's failure: 500. It is the request's: 400, and nothing is stored. */
static void
test_broken_package (Fixture      *fixture,
                     gconstpointer data)
{
  static const char not_a_tar[] = "no tar at all, only text that goes on for a while";
  g_autofree char *zeros = g_malloc0 (10240);   /* a tar's end: no entry, so no manifest */
  const struct
  {
    const char *bytes;
    gsize       length;
  } bodies[] = { { not_a_tar, sizeof not_a_tar - 1 }, { zeros, 10240 } };

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      const char *headers[] = { "Cookie", fixture->cookie, "X-CSRF-Token", fixture->csrf, NULL };
      g_autoptr(GBytes) body = g_bytes_new (bodies[i].bytes, bodies[i].length);
      g_autoptr(GBytes) response = NULL;
      g_autofree char *before = harness_dump_database (fixture->h);
      g_autofree char *message = NULL;

      g_assert_cmpuint (harness_request (fixture->h, "POST", "/console/api/firmware?format=ffpkg",
                                         NULL, body, headers, &response, NULL), ==, 400);
      message = harness_error_text (response);
      g_test_message ("%s", message);
      g_assert_nonnull (strstr (message, "package"));
      harness_assert_database_unchanged (fixture->h, before);
    }
}

/* A name of "." or ".." is a dot segment of the console's paths, which the URL loses: an operator
 * named "..", or a tablet serial ".", was made and could never be disabled or retired from the
 * console (operators/../disable is operators/disable). Refused when made. */
static void
test_dot_names (Fixture      *fixture,
                gconstpointer data)
{
  static const char *const operators[] = { ".", ".." };
  g_autofree char *key_path = g_build_filename (fixture->h->data_dir, "platform-key.pub.pem",
                                                NULL);
  g_autofree char *pem = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *tablet = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (operators); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"name\": \"%s\", \"role\": \"auditor\", "
                                               "\"password\": \"a long password\"}",
                                               operators[i]);

      expect_refused (fixture, "POST", "/console/api/operators", body, 400, "“..”");
    }
  /* Any Ed25519 public key will do: the serial is refused first. */
  g_file_get_contents (key_path, &pem, NULL, &error);
  g_assert_no_error (error);
  escaped = g_strescape (pem, NULL);
  tablet = g_strdup_printf ("{\"serial\": \".\", \"public_key_pem\": \"%s\"}", escaped);
  expect_refused (fixture, "POST", "/console/api/tablets", tablet, 400, "“.”");
  /* The CLI checks the same way. */
  g_assert_cmpint (harness_run (fixture->h, "a long password\n", NULL, &err, "operators", "add",
                                "--name", "..", "--role", "auditor", "--password-stdin", NULL),
                   ==, 1);
  g_assert_nonnull (strstr (err, "“..”"));
}

/* Release notes that are not UTF-8 were stored and came back raw in every firmware answer (no
 * JSON a browser or a script reads); an escape sequence came back too. Refused with the upload,
 * from the CLI too, and nothing is stored. A query that is not UTF-8 is refused from the request's
 * head, as every query that is not plain name=value text. */
static void
test_firmware_notes (Fixture      *fixture,
                     gconstpointer data)
{
  static const char *const notes[] = { "caf%E9", "red%1B%5B31m", "beep%07" };
  const char *headers[] = { "Cookie", fixture->cookie, "X-CSRF-Token", fixture->csrf, NULL };
  g_autofree char *image = harness_write (fixture->h, "v3.bin", "a small image", -1);
  g_autofree char *err = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (notes); i++)
    {
      g_autofree char *path = g_strdup_printf ("/console/api/firmware?vendor=Acme&model=DTU-3000"
                                               "&version=V3.00&hardware=HV1.0&notes=%s", notes[i]);
      g_autoptr(GBytes) body = g_bytes_new_static ("a small image", 13);
      g_autoptr(GBytes) response = NULL;
      g_autofree char *before = harness_dump_database (fixture->h);
      g_autofree char *message = NULL;

      g_assert_cmpuint (harness_request (fixture->h, "POST", path, NULL, body, headers, &response,
                                         NULL), ==, 400);
      g_assert_true (g_utf8_validate (g_bytes_get_data (response, NULL),
                                      g_bytes_get_size (response), NULL));
      message = harness_error_text (response);
      g_test_message ("%s", message);
      g_assert_nonnull (strstr (message, i == 0 ? "query is not name=value pairs of UTF-8"
                                                : "notes"));
      harness_assert_database_unchanged (fixture->h, before);
    }
  g_assert_cmpint (harness_run (fixture->h, NULL, NULL, &err, "firmware", "add", image, "--vendor",
                                "Acme", "--model", "DTU-3000", "--version", "V3.00", "--hardware",
                                "HV1.0", "--notes", "red\033[31m", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "notes"));
}

/* A member named twice in one object: json-glib kept the last ({"phone": A, …, "phone": B}
 * registered B), where a proxy or a log in front may read the first; the second spelled with an
 * escape ("\u0070hone") too. Refused, nothing stored. */
static void
test_duplicate_members (Fixture      *fixture,
                        gconstpointer data)
{
  static const char *const bodies[] = {
    "{\"phone\": \"13700137000\", \"name\": \"Li\", \"pin\": \"123456\", \"phone\": \"13700137001\"}",
    "{\"phone\": \"13700137000\", \"name\": \"Li\", \"pin\": \"123456\", "
    "\"\\u0070hone\": \"13700137001\"}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    expect_refused (fixture, "POST", "/console/api/technicians", bodies[i], 400, "“phone” twice");
}

/* A report's PDF is named after its device ("ID-DAY-OUTCOME.pdf"), and the name went into
 * Content-Disposition between quotes as it was: an ID with '"' ended the parameter early, and what
 * followed it could add another (an ID ending in '"; filename*=UTF-8''page.html' named the file).
 * A smart meter's ID is its maker's (a quote, a semicolon, Chinese text are all allowed), and its
 * install result prints as a report. The name must come back whole, as the ID spells it. */
static void
test_report_file_name (Fixture      *fixture,
                       gconstpointer data)
{
  static const char meter_id[] = "\xe7\x94\xb5\xe8\xa1\xa8\"7; name";   /* 电表"7; name */
  const char *headers[] = { "Cookie", fixture->cookie, NULL };
  g_autofree char *path = g_build_filename (fixture->h->data_dir, "platform.db", NULL);
  g_autofree char *expected = g_strdup_printf ("%s-19700101-upgraded.pdf", meter_id);
  g_autoptr(SoupMessageHeaders) answer_headers = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *disposition = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO meter_packages VALUES (1, 'relay', 7, 131072, 1,"
                                     " 'Acme', 'ab', 10, 0);", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO meters VALUES (?1, 'Flat 7', 'Acme',"
                                           " 'DDZY-1', 0, NULL);"
                                           , -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, meter_id, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO meter_commands VALUES (1, ?1, 'relay',"
                                           " 'install', 1, 0, 1, 'image', 2, 'ready', 0);",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, meter_id, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  g_assert_cmpuint (harness_request (fixture->h, "GET", "/console/api/reports/meter-1/pdf", NULL,
                                     NULL, headers, &response, &answer_headers), ==, 200);
  g_test_message ("Content-Disposition: %s",
                  soup_message_headers_get_one (answer_headers, "Content-Disposition"));
  g_assert_true (soup_message_headers_get_content_disposition (answer_headers, &disposition,
                                                               &params));
  g_assert_cmpstr (disposition, ==, "inline");
  g_assert_cmpstr (g_hash_table_lookup (params, "filename"), ==, expected);
  g_assert_cmpuint (g_hash_table_size (params), ==, 1);
  /* Percent-encoded as RFC 5987 asks (a reader that splits at ';' first finds it whole), with a
   * plain-ASCII name beside it. */
  g_assert_cmpstr (soup_message_headers_get_one (answer_headers, "Content-Disposition"), ==,
                   "inline; filename=\"___7__name-19700101-upgraded.pdf\"; "
                   "filename*=UTF-8''%E7%94%B5%E8%A1%A8%227%3B%20name-19700101-upgraded.pdf");
}

/* The harness's certificate, for a request made here (the harness's own set the Content-Type). */
static gboolean
accept_pinned (SoupMessage         *message,
               GTlsCertificate     *certificate,
               GTlsCertificateFlags errors,
               gpointer             user_data)
{
  return g_tls_certificate_is_same (certificate, ((Harness *) user_data)->pinned);
}

/* The login needs no session and no CSRF token, so another site's page could log the operator's
 * browser in to a session of the attacker's (login CSRF: what the operator then does is done as
 * the attacker, and the attacker reads it in the audit log): a form posts the JSON as text/plain
 * (enctype="text/plain") without a preflight, and fetch() in no-cors mode a Blob without any
 * Content-Type. A login is JSON (Content-Type: application/json, which no form sends and fetch
 * sends cross-site only after a preflight the platform does not grant), and a browser's
 * Sec-Fetch-Site must say the console's own page sent it. Refused before the password is checked:
 * no cookie, no session, no attempt counted. */
static void
test_login_from_another_site (Fixture      *fixture,
                              gconstpointer data)
{
  static const char login[] = "{\"name\": \"olga\", \"password\": \"" ADMIN_PASSWORD "\"}";
  static const struct
  {
    const char *content_type;   /* NULL: none */
    const char *fetch_site;     /* NULL: no Sec-Fetch-Site (not a browser, or an old one) */
    guint       status;
  } cases[] = {
    { "text/plain", NULL, 415 },
    { "application/x-www-form-urlencoded", NULL, 415 },
    { NULL, NULL, 415 },
    { "application/json", "cross-site", 403 },
    { "application/json", "same-site", 403 },
    { "application/json; charset=utf-8", "same-origin", 200 },
    { "application/json", NULL, 200 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *url = g_strdup_printf ("%s/console/api/login", fixture->h->base_url);
      g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
      g_autoptr(GBytes) body = g_bytes_new_static (login, strlen (login));
      g_autoptr(GBytes) response = NULL;
      g_autofree char *before = harness_dump_database (fixture->h);
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      guint status;

      g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_pinned), fixture->h);
      soup_message_set_request_body_from_bytes (message, NULL, body);
      if (cases[i].content_type != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (message), "Content-Type",
                                      cases[i].content_type);
      if (cases[i].fetch_site != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (message), "Sec-Fetch-Site",
                                      cases[i].fetch_site);
      response = soup_session_send_and_read (fixture->h->session, message, NULL, &error);
      g_assert_no_error (error);
      status = soup_message_get_status (message);
      g_test_message ("Content-Type %s, Sec-Fetch-Site %s → %u %.*s", cases[i].content_type,
                      cases[i].fetch_site, status, (int) g_bytes_get_size (response),
                      (const char *) g_bytes_get_data (response, NULL));
      g_assert_cmpuint (status, ==, cases[i].status);
      if (status == 200)
        continue;
      g_assert_null (soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                   "Set-Cookie"));
      text = harness_error_text (response);
      g_assert_nonnull (strstr (text, "login"));
      harness_assert_database_unchanged (fixture->h, before);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/security/console/tablet-key", Fixture, NULL, set_up, test_tablet_key, tear_down);
  g_test_add ("/security/console/non-utf8-ids", Fixture, NULL, set_up, test_non_utf8_ids,
              tear_down);
  g_test_add ("/security/console/encoded-ids", Fixture, NULL, set_up, test_encoded_ids,
              tear_down);
  g_test_add ("/security/console/technician-name", Fixture, NULL, set_up, test_technician_name,
              tear_down);
  g_test_add ("/security/console/broken-package", Fixture, NULL, set_up, test_broken_package,
              tear_down);
  g_test_add ("/security/console/dot-names", Fixture, NULL, set_up, test_dot_names, tear_down);
  g_test_add ("/security/console/firmware-notes", Fixture, NULL, set_up, test_firmware_notes,
              tear_down);
  g_test_add ("/security/console/duplicate-members", Fixture, NULL, set_up,
              test_duplicate_members, tear_down);
  g_test_add ("/security/console/login-from-another-site", Fixture, NULL, set_up,
              test_login_from_another_site, tear_down);
  g_test_add ("/security/console/report-file-name", Fixture, GINT_TO_POINTER (TRUE), set_up,
              test_report_file_name, tear_down);
  return g_test_run ();
}
