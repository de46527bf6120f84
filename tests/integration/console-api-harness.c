/* The console API tests' fixture (console-api-harness.h). */
#include "config.h"

#include "console-api-harness.h"

#include <sqlite3.h>

void
login_clear (Login *login)
{
  g_clear_pointer (&login->cookie, g_free);
  g_clear_pointer (&login->csrf, g_free);
}

static const char *
extra_version (guint i)
{
  return i < 12 ? "V1.00" : i < 18 ? "V1.9" : i < 24 ? "V1.10" : "V2.01";
}

void
add_operator (Harness    *h,
              const char *name,
              const char *role,
              const char *password)
{
  g_autofree char *input = g_strconcat (password, "\n", NULL);
  g_autofree char *err = NULL;

  g_assert_cmpint (harness_run (h, input, NULL, &err, "operators", "add", "--name", name, "--role",
                                role, "--password-stdin", NULL), ==, 0);
}

/* The harness's world with the extra terminals and three operators, one of each role. */
static void
build_console_world (Harness *h)
{
  g_autoptr(GString) ledger = g_string_new ("device_id,name,latitude,longitude,vendor,model,"
                                            "hardware_version,software_version,"
                                            "software_checksum,host,port,common_address,"
                                            "profile\r\n");
  g_autofree char *path = NULL;

  harness_setup_world (h);
  for (guint i = 0; i < EXTRA_TERMINALS; i++)
    g_string_append_printf (ledger, "X%03u,%s %u,%.3f,116.5,Acme,DTU-3000,HV1.0,%s,,"
                            "127.0.0.1,%u,%u,state-grid\r\n", i,
                            i == EXTRA_TERMINALS - 1 ? XSS_NAME : "Extra", i, 30.0 + i * 0.01,
                            extra_version (i), 3000 + i, 10 + i);
  path = harness_write (h, "extra.csv", ledger->str, -1);
  g_free (harness_run_ok (h, "terminals", "import", path, NULL));
  add_operator (h, "admin", "admin", ADMIN_PASSWORD);
  add_operator (h, "olga", "operator", OPERATOR_PASSWORD);
  add_operator (h, "audrey", "auditor", AUDITOR_PASSWORD);
}

void
console_api_set_up (Fixture      *fixture,
                    gconstpointer data)
{
  Harness *h = fixture->h = harness_new ();

  harness_setup_copy (h, "console", build_console_world);
  harness_start (h, FALSE);
}

void
console_api_tear_down (Fixture      *fixture,
                       gconstpointer data)
{
  harness_free (fixture->h);
}

guint
call (Harness     *h,
      const char  *method,
      const char  *path,
      const Login *login,
      gboolean     with_csrf,
      const char  *body,
      GBytes     **response,
      SoupMessageHeaders **response_headers)
{
  g_autoptr(GBytes) bytes = body != NULL ? g_bytes_new (body, strlen (body)) : NULL;
  const char *headers[7] = { NULL };
  guint n = 0;

  if (login != NULL && login->cookie != NULL)
    {
      headers[n++] = "Cookie";
      headers[n++] = login->cookie;
    }
  if (login != NULL && with_csrf)
    {
      headers[n++] = "X-CSRF-Token";
      headers[n++] = login->csrf;
    }
  if (body != NULL)
    {
      headers[n++] = "Content-Type";
      headers[n++] = "application/json";
    }
  return harness_request (h, method, path, NULL, bytes, headers, response, response_headers);
}

JsonObject *
parse_object (GBytes     *body,
              JsonParser *parser)
{
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (body);
  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                              (gssize) g_bytes_get_size (body), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

guint
log_in (Harness     *h,
        const char  *name,
        const char  *password,
        Login       *login,
        char       **set_cookie,
        char       **retry_after)
{
  g_autofree char *body = g_strdup_printf ("{\"name\": \"%s\", \"password\": \"%s\"}", name,
                                           password);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint status = call (h, "POST", "/console/api/login", NULL, FALSE, body, &response, &headers);
  const char *cookie;
  JsonObject *root;

  if (retry_after != NULL)
    *retry_after = g_strdup (soup_message_headers_get_one (headers, "Retry-After"));
  if (status != 200)
    return status;
  cookie = soup_message_headers_get_one (headers, "Set-Cookie");
  g_assert_nonnull (cookie);
  if (set_cookie != NULL)
    *set_cookie = g_strdup (cookie);
  login->cookie = g_strndup (cookie, strcspn (cookie, ";"));
  root = parse_object (response, parser);
  login->csrf = g_strdup (json_object_get_string_member (root, "csrf_token"));
  g_assert_cmpuint (strlen (login->csrf), ==, 64);
  return status;
}

void
log_in_ok (Harness    *h,
           const char *name,
           const char *password,
           Login      *login)
{
  g_assert_cmpuint (log_in (h, name, password, login, NULL, NULL), ==, 200);
}

JsonArray *
get_array (Harness     *h,
           const Login *login,
           const char  *path,
           const char  *member,
           JsonParser  *parser)
{
  g_autoptr(GBytes) body = NULL;

  g_assert_cmpuint (call (h, "GET", path, login, FALSE, NULL, &body, NULL), ==, 200);
  return json_object_get_array_member (parse_object (body, parser), member);
}

void
write_database (Harness    *h,
                const char *sql,
                int         changes)
{
  g_autofree char *path = g_build_filename (h->data_dir, "platform.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_changes (db), ==, changes);
  sqlite3_close (db);
}
