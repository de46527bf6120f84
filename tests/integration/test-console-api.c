/* The operator console's JSON API (docs/api.md, "Console API (operators)") against a real server
 * process on 127.0.0.1 with a real database: operator accounts, sessions in cookies, the CSRF
 * token, roles, the audit log and its CSV, the terminal filters in version order and paging, the
 * blacklist through the API and the CLI, a dispatch and campaigns. */
#include "config.h"

#include "platform-harness.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#define ADMIN_PASSWORD "correct horse battery"
#define OPERATOR_PASSWORD "operator password 1"
#define AUDITOR_PASSWORD "auditor password 1"

/* 40 more terminals of the same model, none in a task: 12 at V1.00, 6 at V1.9, 6 at V1.10, 16 at
 * V2.01, spread over 0.4 degrees of latitude going north with their number. */
#define EXTRA_TERMINALS 40
/* The name of the last of them, as an asset system might export it. */
#define XSS_NAME "<script>alert(1)</script>"

typedef struct
{
  Harness *h;
} Fixture;

/* A logged-in operator. */
typedef struct
{
  char *cookie;       /* "ff_console=…" */
  char *csrf;
} Login;

static void
login_clear (Login *login)
{
  g_clear_pointer (&login->cookie, g_free);
  g_clear_pointer (&login->csrf, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Login, login_clear)

static const char *
extra_version (guint i)
{
  return i < 12 ? "V1.00" : i < 18 ? "V1.9" : i < 24 ? "V1.10" : "V2.01";
}

static void
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

static void
set_up (Fixture      *fixture,
        gconstpointer data)
{
  Harness *h = fixture->h = harness_new ();

  harness_setup_copy (h, "console", build_console_world);
  harness_start (h, FALSE);
}

static void
tear_down (Fixture      *fixture,
           gconstpointer data)
{
  harness_free (fixture->h);
}

/* Sends a console request with @login's cookie and (when @with_csrf) its CSRF token. */
static guint
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

static JsonObject *
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

/* Logs in; returns the status, and on 200 fills @login and @set_cookie (the whole header). */
static guint
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

static void
log_in_ok (Harness    *h,
           const char *name,
           const char *password,
           Login      *login)
{
  g_assert_cmpuint (log_in (h, name, password, login, NULL, NULL), ==, 200);
}

static char *
error_text (GBytes *body)
{
  return harness_error_text (body);
}

/* Sessions */

static void
test_login_and_cookie (Fixture      *fixture,
                       gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_auto(Login) stranger = { .cookie = g_strdup ("ff_console=00112233445566778899aabbccddeeff"
                                                 "00112233445566778899aabbccddeeff"),
                             .csrf = g_strdup ("x") };
  g_autofree char *set_cookie = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;

  g_assert_cmpuint (log_in (h, "olga", "not the password", &login, NULL, NULL), ==, 401);
  g_assert_cmpuint (log_in (h, "nobody", OPERATOR_PASSWORD, &login, NULL, NULL), ==, 401);
  g_assert_cmpuint (log_in (h, "olga", OPERATOR_PASSWORD, &login, &set_cookie, NULL), ==, 200);
  /* The cookie is for the console's pages alone, never readable by scripts nor sent by other
   * sites, and only over HTTPS. */
  g_assert_true (g_str_has_prefix (set_cookie, "ff_console="));
  g_assert_nonnull (strstr (set_cookie, "; HttpOnly"));
  g_assert_nonnull (strstr (set_cookie, "; Secure"));
  g_assert_nonnull (strstr (set_cookie, "; SameSite=Strict"));
  g_assert_nonnull (strstr (set_cookie, "; Path=/console"));
  g_assert_cmpuint (strlen (login.cookie), ==, strlen ("ff_console=") + 64);

  g_assert_cmpuint (call (h, "GET", "/console/api/session", &login, FALSE, NULL, &body, NULL),
                    ==, 200);
  root = parse_object (body, parser);
  g_assert_cmpstr (json_object_get_string_member (root, "name"), ==, "olga");
  g_assert_cmpstr (json_object_get_string_member (root, "role"), ==, "operator");
  g_assert_cmpstr (json_object_get_string_member (root, "csrf_token"), ==, login.csrf);
  g_assert_cmpint (json_object_get_int_member (root, "idle_timeout_seconds"), ==, 30 * 60);

  /* No cookie, or one the platform never gave: not logged in. */
  g_assert_cmpuint (call (h, "GET", "/console/api/session", NULL, FALSE, NULL, NULL, NULL), ==,
                    401);
  g_assert_cmpuint (call (h, "GET", "/console/api/fleet", &stranger, FALSE, NULL, NULL, NULL), ==,
                    401);

  /* Logging out ends the session on the server, not only in the browser. */
  g_assert_cmpuint (call (h, "POST", "/console/api/logout", &login, FALSE, NULL, NULL, NULL), ==,
                    403);
  g_assert_cmpuint (call (h, "POST", "/console/api/logout", &login, TRUE, NULL, NULL, NULL), ==,
                    200);
  g_assert_cmpuint (call (h, "GET", "/console/api/session", &login, FALSE, NULL, NULL, NULL), ==,
                    401);
}

/* A disabled operator's sessions end at once. */
static void
test_disabled_operator (Fixture      *fixture,
                        gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autofree char *out = NULL;

  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  out = harness_run_ok (h, "operators", "disable", "olga", NULL);
  g_assert_cmpuint (call (h, "GET", "/console/api/session", &login, FALSE, NULL, NULL, NULL), ==,
                    401);
  g_assert_cmpuint (log_in (h, "olga", OPERATOR_PASSWORD, &login, NULL, NULL), ==, 401);
  g_clear_pointer (&out, g_free);
  out = harness_run_ok (h, "operators", "list", "--json", NULL);
  g_assert_nonnull (strstr (out, "\"enabled\" : false"));
  g_assert_null (strstr (out, "scrypt"));
}

/* Changes platform.db with @sql (as time would, or as the MQTT broker would), which must change
 * @changes rows. */
static void
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

/* A session ends 30 minutes after its last request, and 12 hours after the login whatever the
 * activity; a request within them keeps it. */
static void
test_session_timeouts (Fixture      *fixture,
                       gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) idle = { 0 };
  g_auto(Login) old = { 0 };

  log_in_ok (h, "olga", OPERATOR_PASSWORD, &idle);
  write_database (h, "UPDATE console_sessions SET last_seen_at = last_seen_at - 29 * 60,"
                     " created_at = created_at - 29 * 60", 1);
  g_assert_cmpuint (call (h, "GET", "/console/api/session", &idle, FALSE, NULL, NULL, NULL), ==,
                    200);
  /* That request, 29 minutes after the last, was activity: 29 more minutes are fine too. */
  write_database (h, "UPDATE console_sessions SET last_seen_at = last_seen_at - 29 * 60", 1);
  g_assert_cmpuint (call (h, "GET", "/console/api/session", &idle, FALSE, NULL, NULL, NULL), ==,
                    200);
  write_database (h, "UPDATE console_sessions SET last_seen_at = last_seen_at - 31 * 60", 1);
  g_assert_cmpuint (call (h, "GET", "/console/api/session", &idle, FALSE, NULL, NULL, NULL), ==,
                    401);

  log_in_ok (h, "admin", ADMIN_PASSWORD, &old);
  write_database (h, "UPDATE console_sessions SET expires_at = strftime ('%s', 'now') - 1"
                     " WHERE operator = 'admin'", 1);
  g_assert_cmpuint (call (h, "GET", "/console/api/session", &old, FALSE, NULL, NULL, NULL), ==,
                    401);
}

/* As for technicians: after 3 wrong passwords even the right one waits, and so does a name that
 * is no operator's (a 429 must not tell which names exist). */
static void
test_login_backoff (Fixture      *fixture,
                    gconstpointer data)
{
  Harness *h = fixture->h;
  const char *names[] = { "olga", "nobody" };

  for (gsize n = 0; n < G_N_ELEMENTS (names); n++)
    {
      g_auto(Login) login = { 0 };
      g_autofree char *retry_after = NULL;
      guint64 seconds = 0;

      for (guint i = 0; i < 3; i++)
        g_assert_cmpuint (log_in (h, names[n], "wrong password", &login, NULL, NULL), ==, 401);
      g_assert_cmpuint (log_in (h, names[n], OPERATOR_PASSWORD, &login, NULL, &retry_after), ==,
                        429);
      g_assert_nonnull (retry_after);
      g_assert_true (g_ascii_string_to_unsigned (retry_after, 10, 1, 30, &seconds, NULL));
    }
}

/* Every change needs the session's CSRF token; without it, or with another, nothing changes. */
static void
test_csrf (Fixture      *fixture,
           gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_auto(Login) forged = { 0 };
  g_autofree char *before = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GBytes) body = NULL;
  const char *entry = "{\"version\": \"V2.01\", \"device_id\": \"X000\"}";

  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  forged.cookie = g_strdup (login.cookie);
  forged.csrf = g_strdup ("0000000000000000000000000000000000000000000000000000000000000000");
  before = harness_dump_database (h);
  g_assert_cmpuint (call (h, "POST", "/console/api/blacklist", &login, FALSE, entry, &body, NULL),
                    ==, 403);
  message = error_text (body);
  g_assert_nonnull (strstr (message, "X-CSRF-Token"));
  g_assert_cmpuint (call (h, "POST", "/console/api/blacklist", &forged, TRUE, entry, NULL, NULL),
                    ==, 403);
  harness_assert_database_unchanged (h, before);
  g_assert_cmpuint (call (h, "POST", "/console/api/blacklist", &login, TRUE, entry, NULL, NULL),
                    ==, 201);
}

/* Roles */

/* Every route that changes something, with a body that would be accepted from an operator. */
static const struct
{
  const char *method;
  const char *path;
  const char *body;
  gboolean    admin;
} changes[] = {
  { "POST", "/console/api/blacklist", "{\"version\": \"V2.01\", \"device_id\": \"X000\"}", FALSE },
  { "DELETE", "/console/api/blacklist?version=V2.01&device_id=X001", NULL, FALSE },
  { "POST", "/console/api/firmware/V2.01/withdraw", NULL, FALSE },
  { "POST", "/console/api/firmware?vendor=Acme&model=DTU-3000&version=V3.00&hardware=HV1.0",
    "an image", FALSE },
  { "POST", "/console/api/tablets", "{\"serial\": \"TAB-0009\", \"public_key_pem\": \"x\"}",
    FALSE },
  { "POST", "/console/api/tablets/TAB-0001/retire", NULL, FALSE },
  { "POST", "/console/api/tasks/preview",
    "{\"technician\": \"13800138000\", \"tablets\": [\"TAB-0003\"], \"terminals\": [\"X000\"],"
    " \"firmware\": \"V2.01\"}", FALSE },
  { "POST", "/console/api/tasks",
    "{\"technician\": \"13800138000\", \"tablets\": [\"TAB-0003\"], \"terminals\": [\"X000\"],"
    " \"firmware\": \"V2.01\"}", FALSE },
  { "POST", "/console/api/technicians",
    "{\"phone\": \"13700137000\", \"name\": \"Li Na\", \"pin\": \"123456\"}", FALSE },
  { "POST", "/console/api/campaigns",
    "{\"firmware\": \"V2.01\", \"running_version\": \"V1.00\", \"waves\": \"100%\","
    " \"max_failures\": \"1\"}", FALSE },
  { "POST", "/console/api/campaigns/C1/start", NULL, FALSE },
  { "POST", "/console/api/campaigns/C1/pause", NULL, FALSE },
  { "POST", "/console/api/campaigns/C1/resume", NULL, FALSE },
  { "POST", "/console/api/campaigns/C1/cancel", NULL, FALSE },
  { "POST", "/console/api/operators",
    "{\"name\": \"eve\", \"role\": \"admin\", \"password\": \"a long password\"}", TRUE },
  { "POST", "/console/api/operators/olga/disable", NULL, TRUE },
};

static void
test_auditor_changes_nothing (Fixture      *fixture,
                              gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) auditor = { 0 };
  g_auto(Login) operator = { 0 };
  g_autofree char *before = NULL;

  log_in_ok (h, "audrey", AUDITOR_PASSWORD, &auditor);
  log_in_ok (h, "olga", OPERATOR_PASSWORD, &operator);
  before = harness_dump_database (h);
  for (gsize i = 0; i < G_N_ELEMENTS (changes); i++)
    {
      g_autoptr(GBytes) body = NULL;
      g_autofree char *message = NULL;

      g_test_message ("%s %s", changes[i].method, changes[i].path);
      g_assert_cmpuint (call (h, changes[i].method, changes[i].path, &auditor, TRUE,
                              changes[i].body, &body, NULL), ==, 403);
      message = error_text (body);
      g_assert_nonnull (strstr (message, "auditor"));
      if (changes[i].admin)
        g_assert_cmpuint (call (h, changes[i].method, changes[i].path, &operator, TRUE,
                                changes[i].body, NULL, NULL), ==, 403);
    }
  harness_assert_database_unchanged (h, before);
  /* …and reads everything. */
  g_assert_cmpuint (call (h, "GET", "/console/api/audit", &auditor, FALSE, NULL, NULL, NULL), ==,
                    200);
  g_assert_cmpuint (call (h, "GET", "/console/api/operators", &auditor, FALSE, NULL, NULL, NULL),
                    ==, 200);
}

/* The audit log and the blacklist */

static JsonArray *
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

static void
test_blacklist_and_audit (Fixture      *fixture,
                          gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) before_parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autoptr(GBytes) body = NULL;
  JsonArray *entries;
  JsonObject *entry;

  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  g_assert_cmpuint (call (h, "POST", "/console/api/blacklist", &login, TRUE,
                          "{\"version\": \"V2.01\", \"device_id\": \"X003\"}", NULL, NULL), ==,
                    201);
  /* Once is enough: a second time is a conflict, and changes nothing. */
  g_assert_cmpuint (call (h, "POST", "/console/api/blacklist", &login, TRUE,
                          "{\"version\": \"V2.01\", \"device_id\": \"X003\"}", NULL, NULL), ==,
                    409);
  /* A device ID the ledger does not know (a typo) is refused, and changes nothing. */
  g_assert_cmpuint (call (h, "POST", "/console/api/blacklist", &login, TRUE,
                          "{\"version\": \"V2.01\", \"device_id\": \"X0O3\", \"vendor\": "
                          "\"Acme\", \"model\": \"DTU-3000\"}", &body, NULL), ==, 404);
  out = error_text (body);
  g_assert_nonnull (strstr (out, "Terminal X0O3 is not in the ledger"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&body, g_bytes_unref);
  out = harness_run_ok (h, "blacklist", "list", "--device", "X003", NULL);
  g_assert_nonnull (strstr (out, "X003\tAcme DTU-3000 V2.01"));
  entries = get_array (h, &login, "/console/api/terminals/X003", "blacklist", parser);
  g_assert_cmpuint (json_array_get_length (entries), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0),
                                                  "version"), ==, "V2.01");

  g_assert_cmpuint (call (h, "DELETE", "/console/api/blacklist?version=V2.01&device_id=X003",
                          &login, TRUE, NULL, NULL, NULL), ==, 200);
  g_assert_cmpuint (call (h, "DELETE", "/console/api/blacklist?version=V2.01&device_id=X003",
                          &login, TRUE, NULL, &body, NULL), ==, 404);
  g_clear_pointer (&out, g_free);
  out = harness_run_ok (h, "blacklist", "list", "--json", NULL);
  g_assert_null (strstr (out, "X003"));

  /* Newest first: the removal with the entry before and nothing after, then the addition. The
   * refused attempts left no record. */
  entries = get_array (h, &login, "/console/api/audit", "entries", parser);
  g_assert_cmpuint (json_array_get_length (entries), ==, 2);
  entry = json_array_get_object_element (entries, 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "operator"), ==, "olga");
  g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, "blacklist.remove");
  g_assert_true (json_object_get_null_member (entry, "after"));
  g_assert_true (json_parser_load_from_data (before_parser,
                                             json_object_get_string_member (entry, "before"), -1,
                                             NULL));
  g_assert_cmpstr (json_object_get_string_member (
                     json_node_get_object (json_parser_get_root (before_parser)), "device_id"),
                   ==, "X003");
  entry = json_array_get_object_element (entries, 1);
  g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, "blacklist.add");
  g_assert_true (json_object_get_null_member (entry, "before"));
  g_assert_nonnull (strstr (json_object_get_string_member (entry, "after"), "\"X003\""));

  /* The CLI's new verbs on the same entries. */
  g_clear_pointer (&out, g_free);
  out = harness_run_ok (h, "blacklist", "add", "V2.01", "X004", NULL);
  g_clear_pointer (&out, g_free);
  out = harness_run_ok (h, "blacklist", "list", "--firmware", "v2.1", NULL);
  g_assert_nonnull (strstr (out, "X004"));
  g_clear_pointer (&out, g_free);
  out = harness_run_ok (h, "blacklist", "remove", "V2.01", "X004", NULL);
  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "blacklist", "remove", "V2.01", "X004",
                                NULL), ==, 1);
  g_clear_pointer (&out, g_free);
  out = harness_run_ok (h, "blacklist", "list", NULL);
  g_assert_null (strstr (out, "X004"));
}

/* Paging the audit log: pages of two, newest first, until next_before is null. */
static void
test_audit_paging (Fixture      *fixture,
                   gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autofree char *path = g_strdup ("/console/api/audit?limit=2");
  gint64 last_id = G_MAXINT64;
  guint seen = 0;

  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *entry = g_strdup_printf ("{\"version\": \"V2.01\", \"device_id\": "
                                                "\"X0%02u\"}", 30 + i);

      g_assert_cmpuint (call (h, "POST", "/console/api/blacklist", &login, TRUE, entry, NULL,
                              NULL), ==, 201);
    }
  while (path != NULL)
    {
      g_autoptr(GBytes) body = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *root;
      JsonArray *entries;

      g_assert_cmpuint (call (h, "GET", path, &login, FALSE, NULL, &body, NULL), ==, 200);
      root = parse_object (body, parser);
      entries = json_object_get_array_member (root, "entries");
      for (guint i = 0; i < json_array_get_length (entries); i++)
        {
          gint64 id = json_object_get_int_member (json_array_get_object_element (entries, i), "id");

          g_assert_cmpint (id, <, last_id);
          last_id = id;
          seen++;
        }
      g_clear_pointer (&path, g_free);
      if (!json_object_get_null_member (root, "next_before"))
        path = g_strdup_printf ("/console/api/audit?limit=2&before=%" G_GINT64_FORMAT,
                                json_object_get_int_member (root, "next_before"));
    }
  g_assert_cmpuint (seen, ==, 5);
}

/* The CSV export quotes every cell, doubles quotes, keeps line breaks inside cells, and keeps a
 * spreadsheet from running any cell as a formula. */
static void
test_audit_csv (Fixture      *fixture,
                gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  const char *text;

  add_operator (h, "=HYPERLINK(\"x.example\")", "operator", OPERATOR_PASSWORD);
  log_in_ok (h, "=HYPERLINK(\\\"x.example\\\")", OPERATOR_PASSWORD, &login);
  g_assert_cmpuint (call (h, "POST", "/console/api/blacklist", &login, TRUE,
                          "{\"version\": \"V2.01\", \"device_id\": \"X005\"}", NULL, NULL), ==,
                    201);
  g_assert_cmpuint (call (h, "GET", "/console/api/audit.csv", &login, FALSE, NULL, &body,
                          &headers), ==, 200);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (headers, NULL),
                                   "text/csv"));
  text = g_bytes_get_data (body, NULL);
  g_assert_true (g_str_has_prefix (text, "\"id\",\"at\",\"operator\",\"action\",\"target\","
                                         "\"before\",\"after\"\r\n"));
  /* The name as text: an apostrophe first, its quotes doubled. */
  g_assert_nonnull (g_strstr_len (text, (gssize) g_bytes_get_size (body),
                                  ",\"'=HYPERLINK(\"\"x.example\"\")\",\"blacklist.add\","));
  /* The JSON after the change, quoted with its quotes doubled. */
  g_assert_nonnull (g_strstr_len (text, (gssize) g_bytes_get_size (body),
                                  "\"{\"\"device_id\"\":\"\"X005\"\""));
}

/* Terminals */

static gint64
terminals_total (Harness     *h,
                 const Login *login,
                 const char  *query,
                 JsonArray  **terminals,
                 JsonParser  *parser)
{
  g_autofree char *path = g_strconcat ("/console/api/terminals?", query, NULL);
  g_autoptr(GBytes) body = NULL;
  JsonObject *root;

  g_assert_cmpuint (call (h, "GET", path, login, FALSE, NULL, &body, NULL), ==, 200);
  root = parse_object (body, parser);
  if (terminals != NULL)
    *terminals = json_object_get_array_member (root, "terminals");
  return json_object_get_int_member (root, "total");
}

static void
test_terminal_filters (Fixture      *fixture,
                       gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) body = NULL;
  JsonArray *terminals;
  JsonObject *root;

  log_in_ok (h, "audrey", AUDITOR_PASSWORD, &login);
  /* Version order, not text: V1.9 is below V1.10, and V1.00 (3 + 12 terminals) below both. */
  g_assert_cmpint (terminals_total (h, &login, "below=V1.10", NULL, parser), ==, 3 + 12 + 6);
  g_assert_cmpint (terminals_total (h, &login, "version=V1.9", NULL, parser), ==, 6);
  g_assert_cmpint (terminals_total (h, &login, "version=v1.09", NULL, parser), ==, 6);
  g_assert_cmpint (terminals_total (h, &login, "at_least=V1.10", NULL, parser), ==, 6 + 16);
  g_assert_cmpint (terminals_total (h, &login, "model=DTU-3000&version=V1.00&vendor=Acme",
                                    &terminals, parser), ==, 15);
  g_assert_cmpuint (json_array_get_length (terminals), ==, 15);
  g_assert_cmpint (terminals_total (h, &login, "model=FTU-9", NULL, parser), ==, 0);
  g_assert_cmpint (terminals_total (h, &login, "profile=state-grid", NULL, parser), ==, 43);
  /* Terminals upgraded over MQTT, and the others (offline is the default link). */
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("X%03u", i);

      g_free (harness_run_ok (h, "terminals", "set-link", id, "mqtt", NULL));
    }
  g_assert_cmpint (terminals_total (h, &login, "link=mqtt", NULL, parser), ==, 5);
  g_assert_cmpint (terminals_total (h, &login, "link=offline&version=V1.00", NULL, parser), ==,
                   3 + 12 - 5);
  g_assert_cmpuint (call (h, "GET", "/console/api/terminals?link=wifi", &login, FALSE, NULL, NULL,
                          NULL), ==, 400);
  /* The CLI lists the same: it is the same query. */
  {
    g_autofree char *out = harness_run_ok (h, "terminals", "list", "--link", "mqtt", NULL);

    g_assert_nonnull (strstr (out, "X004\t"));
    g_assert_null (strstr (out, "X005\t"));
  }
  /* Their last retained states, as the broker delivered them: X000 and X004 online, X001 gone
   * offline, X002's unreadable, X003 without one; every other terminal has none: offline. */
  write_database (h, "UPDATE terminal_links SET state_at = 1, state = CAST (CASE device_id"
                     " WHEN 'X001' THEN '{\"online\":false}' WHEN 'X002' THEN '{\"online\":tru'"
                     " ELSE '{\"online\":true,\"agent_state\":\"idle\"}' END AS BLOB)"
                     " WHERE device_id IN ('X000', 'X001', 'X002', 'X004')", 4);
  g_assert_cmpint (terminals_total (h, &login, "online=true", &terminals, parser), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (terminals, 1),
                                                  "device_id"), ==, "X004");
  g_assert_cmpint (terminals_total (h, &login, "online=false&link=mqtt", NULL, parser), ==, 3);
  g_assert_cmpint (terminals_total (h, &login, "online=false", NULL, parser), ==, 43 - 2);
  g_assert_cmpuint (call (h, "GET", "/console/api/terminals?online=yes", &login, FALSE, NULL,
                          NULL, NULL), ==, 400);
  {
    g_autofree char *out = harness_run_ok (h, "terminals", "list", "--online", "true", NULL);

    g_assert_nonnull (strstr (out, "X000\t"));
    g_assert_nonnull (strstr (out, "X004\t"));
    g_assert_null (strstr (out, "X001\t"));
  }
  /* X000…X009 lie from 30.00 to 30.09 degrees north. */
  g_assert_cmpint (terminals_total (h, &login, "area=29.995,116,30.095,117", &terminals, parser),
                   ==, 10);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (terminals, 0),
                                                  "device_id"), ==, "X000");
  g_assert_cmpuint (call (h, "GET", "/console/api/terminals?below=V2%2B1", &login, FALSE, NULL, NULL,
                          NULL), ==, 400);
  g_assert_cmpuint (call (h, "GET", "/console/api/terminals?area=31,116,30,117", &login, FALSE,
                          NULL, NULL, NULL), ==, 400);

  /* The map's points of the same selection. */
  g_assert_cmpuint (call (h, "GET", "/console/api/terminals/points?version=V1.9", &login, FALSE,
                          NULL, &body, NULL), ==, 200);
  root = parse_object (body, parser);
  g_assert_cmpint (json_object_get_int_member (root, "total"), ==, 6);
  g_assert_false (json_object_get_boolean_member (root, "capped"));
  terminals = json_object_get_array_member (root, "points");
  g_assert_cmpuint (json_array_get_length (terminals), ==, 6);
  g_assert_cmpstr (json_array_get_string_element (json_array_get_array_element (terminals, 0), 0),
                   ==, "X012");
  g_assert_cmpstr (json_array_get_string_element (json_array_get_array_element (terminals, 0), 3),
                   ==, "V1.9");
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (call (h, "GET", "/console/api/terminals/points?online=true", &login, FALSE,
                          NULL, &body, NULL), ==, 200);
  g_assert_cmpint (json_object_get_int_member (parse_object (body, parser), "total"), ==, 2);
}

/* A terminal's page: its ledger record with every stored text as a JSON string (a name with
 * markup stays text for the page to show), its reports with their printout, its task. */
static void
test_terminal_page (Fixture      *fixture,
                    gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(FfReport) report = NULL;
  g_autofree char *token = NULL, *pdf_path = NULL;
  const char *report_id;
  JsonObject *root;
  JsonArray *reports, *items, *history;

  log_in_ok (h, "audrey", AUDITOR_PASSWORD, &login);
  g_assert_cmpuint (call (h, "GET", "/console/api/terminals/X039", &login, FALSE, NULL, &body,
                          &headers), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "application/json");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Content-Type-Options"), ==,
                   "nosniff");
  root = json_object_get_object_member (parse_object (body, parser), "terminal");
  g_assert_cmpstr (json_object_get_string_member (root, "name"), ==, XSS_NAME " 39");
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (call (h, "GET", "/console/api/terminals/NOPE", &login, FALSE, NULL, NULL,
                          NULL), ==, 404);

  token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
  report = harness_report (h->task_a, "DTU0001", "TAB-0001", HARNESS_PHONE_A);
  g_assert_cmpuint (harness_upload_report (h, token, report, h->tablet_a, NULL), ==, 201);
  g_assert_cmpuint (call (h, "GET", "/console/api/terminals/DTU0001", &login, FALSE, NULL, &body,
                          NULL), ==, 200);
  root = parse_object (body, parser);
  g_assert_null (json_object_get_string_member (root, "open_task"));
  reports = json_object_get_array_member (root, "reports");
  g_assert_cmpuint (json_array_get_length (reports), ==, 1);
  report_id = json_object_get_string_member (json_array_get_object_element (reports, 0),
                                             "report_id");
  /* The version history: imported from the ledger, then changed by the report. */
  history = json_object_get_array_member (root, "history");
  g_assert_cmpuint (json_array_get_length (history), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (history, 1),
                                                  "source"), ==, "report");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (history, 1),
                                                  "to"), ==, "V2.01");
  pdf_path = g_strdup_printf ("/console/api/reports/%s/pdf", report_id);
  g_clear_pointer (&body, g_bytes_unref);
  g_clear_pointer (&headers, soup_message_headers_unref);
  g_assert_cmpuint (call (h, "GET", pdf_path, &login, FALSE, NULL, &body, &headers), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "application/pdf");
  g_assert_true (g_str_has_prefix (g_bytes_get_data (body, NULL), "%PDF-"));
  g_assert_cmpuint (call (h, "GET", "/console/api/reports/NOPE/pdf", &login, FALSE, NULL, NULL,
                          NULL), ==, 404);
  /* A smart meter's finished install prints as a report too (docs/meters.md). */
  write_database (h, "INSERT INTO meters VALUES ('M0001', 'Flat 1', 'Acme', 'DDZY-1', 0, NULL);"
                     "INSERT INTO meter_packages VALUES (1, 'relay', 7, 131072, 1, 'Acme',"
                     " 'ab', 10, 0);"
                     "INSERT INTO meter_commands VALUES (1, 'M0001', 'relay', 'install', 1, 0, 1,"
                     " 'image', 2, 'ready', 0);", 1);
  g_clear_pointer (&body, g_bytes_unref);
  g_clear_pointer (&headers, soup_message_headers_unref);
  g_assert_cmpuint (call (h, "GET", "/console/api/reports/meter-1/pdf", &login, FALSE, NULL,
                          &body, &headers), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "application/pdf");
  g_assert_true (g_str_has_prefix (g_bytes_get_data (body, NULL), "%PDF-"));
  g_assert_cmpuint (call (h, "GET", "/console/api/reports/meter-2/pdf", &login, FALSE, NULL, NULL,
                          NULL), ==, 404);

  /* The task shows the item closed by that report, the other still open. */
  g_clear_pointer (&pdf_path, g_free);
  pdf_path = g_strdup_printf ("/console/api/tasks/%s", h->task_a);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (call (h, "GET", pdf_path, &login, FALSE, NULL, &body, NULL), ==, 200);
  root = parse_object (body, parser);
  items = json_object_get_array_member (root, "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 0),
                                                  "device_id"), ==, "DTU0001");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 0),
                                                  "state"), ==, "closed");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 1),
                                                  "state"), ==, "open");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (root, "tablets"),
                                                  0), ==, "TAB-0001");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "reports")), ==,
                    1);
}

/* Pages of 7 of the 15 terminals at V1.00: every one once, in device ID order. */
static void
test_terminal_paging (Fixture      *fixture,
                      gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autofree char *after = NULL;
  g_autofree char *previous = g_strdup ("");
  guint pages = 0, seen = 0;

  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  do
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GBytes) body = NULL;
      g_autofree char *path = NULL;
      JsonObject *root;
      JsonArray *terminals;

      path = after == NULL
             ? g_strdup ("/console/api/terminals?model=DTU-3000&version=V1.00&limit=7")
             : g_strdup_printf ("/console/api/terminals?model=DTU-3000&version=V1.00&limit=7"
                                "&after=%s", after);
      g_assert_cmpuint (call (h, "GET", path, &login, FALSE, NULL, &body, NULL), ==, 200);
      root = parse_object (body, parser);
      g_assert_cmpint (json_object_get_int_member (root, "total"), ==, 15);
      terminals = json_object_get_array_member (root, "terminals");
      for (guint i = 0; i < json_array_get_length (terminals); i++)
        {
          const char *id = json_object_get_string_member (
            json_array_get_object_element (terminals, i), "device_id");

          g_assert_cmpstr (id, >, previous);
          g_free (previous);
          previous = g_strdup (id);
          seen++;
        }
      g_clear_pointer (&after, g_free);
      if (!json_object_get_null_member (root, "next_after"))
        after = g_strdup (json_object_get_string_member (root, "next_after"));
      pages++;
    }
  while (after != NULL);
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (seen, ==, 15);
  g_assert_cmpuint (call (h, "GET", "/console/api/terminals?limit=0", &login, FALSE, NULL, NULL,
                          NULL), ==, 400);
}

/* Firmware */

/* An upload stores and records the image as "firmware add" does, audited; withdrawing it too. */
static void
test_firmware_upload_and_withdraw (Fixture      *fixture,
                                   gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL, *sha256 = NULL, *stored = NULL, *message = NULL;
  g_autofree guint8 *bytes = g_malloc (300 * 1024);
  const char *headers[] = { "Cookie", NULL, "X-CSRF-Token", NULL,
                            "Content-Type", "application/octet-stream", NULL };
  const char *path = "/console/api/firmware?vendor=Acme&model=DTU-3000&version=V3.00"
                     "&hardware=HV1.0,HV1.1&notes=%3Cscript%3Ealert(1)%3C%2Fscript%3E";
  JsonArray *entries;
  JsonObject *firmware;

  for (gsize i = 0; i < 300 * 1024; i++)
    bytes[i] = (guint8) (i * 7 + (i >> 10));
  image = g_bytes_new (bytes, 300 * 1024);
  sha256 = ff_sha256_hex (bytes, 300 * 1024);
  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  headers[1] = login.cookie;
  headers[3] = "not the token";
  g_assert_cmpuint (harness_request (h, "POST", path, NULL, image, headers, &body, NULL), ==, 403);
  headers[3] = login.csrf;
  g_assert_cmpuint (harness_request (h, "POST", "/console/api/firmware?vendor=Acme", NULL, image,
                                     headers, NULL, NULL), ==, 400);
  g_assert_cmpuint (harness_request (h, "POST", path, NULL, image, headers, &body, NULL), ==, 201);
  firmware = json_object_get_object_member (parse_object (body, parser), "firmware");
  g_assert_cmpstr (json_object_get_string_member (firmware, "sha256"), ==, sha256);
  g_assert_cmpstr (json_object_get_string_member (firmware, "notes"), ==,
                   "<script>alert(1)</script>");
  stored = g_strdup_printf ("%s/firmware/%.2s/%s", h->data_dir, sha256, sha256 + 2);
  g_assert_true (g_file_test (stored, G_FILE_TEST_IS_REGULAR));
  out = harness_run_ok (h, "firmware", "show", "V3.00", "--json", NULL);
  g_assert_nonnull (strstr (out, sha256));
  /* Versions are never replaced. */
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "POST", path, NULL, image, headers, &body, NULL), ==, 409);

  g_assert_cmpuint (call (h, "POST", "/console/api/firmware/V3.00/withdraw", &login, TRUE, NULL,
                          NULL, NULL), ==, 200);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (call (h, "POST", "/console/api/firmware/V3.00/withdraw", &login, TRUE, NULL,
                          &body, NULL), ==, 409);
  message = error_text (body);
  g_assert_nonnull (strstr (message, "V3.00"));
  entries = get_array (h, &login, "/console/api/audit", "entries", parser);
  g_assert_cmpuint (json_array_get_length (entries), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0),
                                                  "action"), ==, "firmware.withdraw");
  g_assert_nonnull (strstr (json_object_get_string_member (
                              json_array_get_object_element (entries, 0), "before"),
                            "\"withdrawn\":false"));
  g_assert_nonnull (strstr (json_object_get_string_member (
                              json_array_get_object_element (entries, 0), "after"),
                            "\"withdrawn\":true"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 1),
                                                  "action"), ==, "firmware.add");
  /* Nothing of the uploads is left behind but the image in the store. */
  g_clear_pointer (&out, g_free);
  out = g_build_filename (h->data_dir, "uploads", NULL);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_DIR));
  {
    g_autoptr(GDir) dir = g_dir_open (out, 0, NULL);

    g_assert_null (g_dir_read_name (dir));
  }
}

/* A package for networked terminals describes itself, as for "firmware add FILE.ffpkg". */
static void
test_firmware_package_upload (Fixture      *fixture,
                              gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autofree char *program = harness_write (h, "main-program", "#!/bin/sh\necho V4.00\n", -1);
  g_autofree char *package_path = g_build_filename (h->dir, "v4.ffpkg", NULL);
  g_autofree char *contents = NULL, *out = NULL, *message = NULL;
  g_autoptr(GBytes) package = NULL;
  g_autoptr(GBytes) junk = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *headers[] = { "Cookie", NULL, "X-CSRF-Token", NULL,
                            "Content-Type", "application/octet-stream", NULL };
  JsonObject *firmware;
  gsize length = 0;

  g_free (harness_run_ok (h, "packages", "build", "--vendor", "Acme", "--model", "DTU-3000",
                          "--hardware", "HV1.0", "--version", "V4.00", "--notes", "Remote fix",
                          "--main-program", program, "--main-program-version", "V4.00", "-o",
                          package_path, NULL));
  g_assert_true (g_file_get_contents (package_path, &contents, &length, NULL));
  package = g_bytes_new_take (g_steal_pointer (&contents), length);
  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  headers[1] = login.cookie;
  headers[3] = login.csrf;
  /* A version the manifest does not say is refused. */
  g_assert_cmpuint (harness_request (h, "POST", "/console/api/firmware?format=ffpkg&version=V4.01",
                                     NULL, package, headers, &body, NULL), ==, 400);
  message = error_text (body);
  g_assert_nonnull (strstr (message, "manifest"));
  g_clear_pointer (&body, g_bytes_unref);
  g_clear_pointer (&message, g_free);
  /* What is wrong with a package is said, never where the server keeps the upload. */
  junk = g_bytes_new_static ("not a tar at all", 16);
  g_assert_cmpuint (harness_request (h, "POST", "/console/api/firmware?format=ffpkg", NULL, junk,
                                     headers, &body, NULL), ==, 400);
  message = error_text (body);
  g_assert_nonnull (strstr (message, "The package you uploaded "));
  g_assert_null (strstr (message, h->data_dir));
  g_assert_null (strstr (message, "upload-"));
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "POST", "/console/api/firmware?format=ffpkg", NULL,
                                     package, headers, &body, NULL), ==, 201);
  firmware = json_object_get_object_member (parse_object (body, parser), "firmware");
  g_assert_cmpstr (json_object_get_string_member (firmware, "version"), ==, "V4.00");
  g_assert_cmpstr (json_object_get_string_member (firmware, "hardware_versions"), ==, "HV1.0");
  g_assert_cmpstr (json_object_get_string_member (firmware, "notes"), ==, "Remote fix");
  out = harness_run_ok (h, "firmware", "list", NULL);
  g_assert_nonnull (strstr (out, "Acme DTU-3000 V4.00"));
}

/* A failure of the platform's own (here: the firmware store cannot make the image's directory)
 * is a 500 that tells the client nothing of the server's files; the detail is in the log. */
static void
test_firmware_store_failure (Fixture      *fixture,
                             gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(GBytes) image = g_bytes_new_static ("an image the store cannot take", 30);
  g_autoptr(GBytes) body = NULL;
  g_autofree char *sha256 = ff_sha256_hex (g_bytes_get_data (image, NULL), 30);
  g_autofree char *prefix = g_strndup (sha256, 2);
  g_autofree char *blocker = g_build_filename (h->data_dir, "firmware", prefix, NULL);
  g_autofree char *message = NULL, *out = NULL;
  const char *headers[] = { "Cookie", NULL, "X-CSRF-Token", NULL,
                            "Content-Type", "application/octet-stream", NULL };

  /* A file where the image's directory must go: mkdir fails, even for root. */
  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));
  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  headers[1] = login.cookie;
  headers[3] = login.csrf;
  g_assert_cmpuint (harness_request (h, "POST", "/console/api/firmware?vendor=Acme&model=DTU-3000"
                                     "&version=V3.10&hardware=HV1.0", NULL, image, headers,
                                     &body, NULL), ==, 500);
  message = error_text (body);
  g_assert_nonnull (strstr (message, "its log says why"));
  g_assert_null (strstr (message, h->data_dir));
  g_assert_null (strstr (message, "firmware/"));
  out = harness_run_ok (h, "firmware", "list", NULL);
  g_assert_null (strstr (out, "V3.10"));
}

/* Dispatch */

/* The one tablet of the task at @path as its progress lists it. */
static JsonObject *
tablet_progress (Harness     *h,
                 const Login *login,
                 const char  *path,
                 JsonParser  *parser)
{
  g_autoptr(GBytes) body = NULL;
  JsonArray *tablets;

  g_assert_cmpuint (call (h, "GET", path, login, FALSE, NULL, &body, NULL), ==, 200);
  tablets = json_object_get_array_member (parse_object (body, parser), "tablet_progress");
  g_assert_cmpuint (json_array_get_length (tablets), ==, 1);
  return json_array_get_object_element (tablets, 0);
}

static void
test_dispatch (Fixture      *fixture,
               gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfKey) key = ff_key_generate (&error);
  g_autofree char *pem = ff_key_get_public_pem (key);
  g_autofree char *escaped = g_strescape (pem, NULL);
  g_autofree char *tablet = g_strdup_printf ("{\"serial\": \"TAB-0003\", \"public_key_pem\": "
                                             "\"%s\"}", escaped);
  const char *request = "{\"technician\": \"13800138000\", \"tablets\": [\"TAB-0003\"],"
                        " \"terminals\": [\"X000\", \"X001\"], \"firmware\": \"V2.01\","
                        " \"valid_days\": 3}";
  g_autofree char *before = NULL, *out = NULL, *document_path = NULL;
  g_autofree char *task_path = NULL, *token = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) task_parser = json_parser_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(FfReport) report = NULL;
  JsonObject *root, *progress;
  JsonArray *tablets;

  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  g_assert_cmpuint (call (h, "POST", "/console/api/tablets", &login, TRUE, tablet, NULL, NULL),
                    ==, 201);
  /* A key identifies one tablet: the same key under another serial is a conflict. */
  {
    g_autofree char *again = g_strdup_printf ("{\"serial\": \"TAB-0004\", \"public_key_pem\": "
                                              "\"%s\"}", escaped);
    g_autoptr(GBytes) refusal = NULL;
    g_autofree char *text = NULL;

    g_assert_cmpuint (call (h, "POST", "/console/api/tablets", &login, TRUE, again, &refusal,
                            NULL), ==, 409);
    text = error_text (refusal);
    g_assert_nonnull (strstr (text, "registered already to tablet TAB-0003"));
  }
  /* A preview shows the task and its message and stores nothing. */
  before = harness_dump_database (h);
  g_assert_cmpuint (call (h, "POST", "/console/api/tasks/preview", &login, TRUE, request, &body,
                          NULL), ==, 200);
  harness_assert_database_unchanged (h, before);
  root = parse_object (body, parser);
  g_assert_true (json_object_get_boolean_member (root, "preview"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_object_get_object_member (root, "document"), "items")), ==, 2);
  g_assert_nonnull (strstr (json_object_get_string_member (
                              json_object_get_object_member (root, "task"), "dispatch_message"),
                            "V2.01"));
  g_clear_pointer (&body, g_bytes_unref);

  g_assert_cmpuint (call (h, "POST", "/console/api/tasks", &login, TRUE, request, &body, NULL),
                    ==, 201);
  root = parse_object (body, parser);
  root = json_object_get_object_member (root, "task");
  g_assert_cmpint (json_object_get_int_member (root, "items"), ==, 2);
  /* Signed and written out as "tasks create" does. */
  document_path = g_strdup_printf ("%s/tasks/%s.json", h->data_dir,
                                   json_object_get_string_member (root, "task_id"));
  g_assert_true (g_file_test (document_path, G_FILE_TEST_EXISTS));
  out = harness_run_ok (h, "handhelds", "list", NULL);
  g_assert_nonnull (strstr (out, "TAB-0003\tchecked out"));
  /* Refused like the CLI refuses: the terminals are in an open task now. */
  g_assert_cmpuint (call (h, "POST", "/console/api/tasks", &login, TRUE, request, NULL, NULL),
                    ==, 403);

  /* The tablet's progress: nothing seen of it yet, then its login and a report for one item. */
  task_path = g_strdup_printf ("/console/api/tasks/%s",
                               json_object_get_string_member (root, "task_id"));
  progress = tablet_progress (h, &login, task_path, task_parser);
  g_assert_cmpstr (json_object_get_string_member (progress, "serial"), ==, "TAB-0003");
  g_assert_cmpint (json_object_get_int_member (progress, "reports"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (progress, "items_reported"), ==, 0);
  g_assert_false (json_object_has_member (progress, "last_report_at"));
  g_assert_false (json_object_has_member (progress, "last_login_at"));
  token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0003");
  report = harness_report (json_object_get_string_member (root, "task_id"), "X001", "TAB-0003",
                           HARNESS_PHONE_A);
  g_assert_cmpuint (harness_upload_report (h, token, report, key, NULL), ==, 201);
  progress = tablet_progress (h, &login, task_path, task_parser);
  g_assert_cmpint (json_object_get_int_member (progress, "reports"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (progress, "items_reported"), ==, 1);
  g_assert_true (json_object_has_member (progress, "last_report_at"));
  g_assert_true (json_object_has_member (progress, "last_login_at"));
  tablets = get_array (h, &login, "/console/api/audit", "entries", parser);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tablets, 0),
                                                  "action"), ==, "task.create");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tablets, 1),
                                                  "action"), ==, "tablet.add");
}

/* Campaigns */

#define CAMPAIGN_REQUEST "{\"firmware\": \"V2.01\", \"vendor\": \"Acme\", \"model\": \"DTU-3000\"," \
                         " \"running_version\": \"V1.00\", \"waves\": \"50%,100%\"," \
                         " \"max_failures\": \"2\", \"window\": \"22:00-04:00\"," \
                         " \"name\": \"V1.00 is faulty\"}"

/* Bodies of campaigns that are refused, each for its own reason. */
static const char *const bad_campaigns[] = {
  "{\"firmware\": \"V2.01\", \"running_version\": \"V1.00\", \"waves\": \"10%,5%,100%\","
  " \"max_failures\": \"1\"}",
  "{\"firmware\": \"V2.01\", \"running_version\": \"V1.00\", \"waves\": \"50%\","
  " \"max_failures\": \"1\"}",
  "{\"firmware\": \"V2.01\", \"running_version\": \"V1.00\", \"waves\": \"100%\","
  " \"max_failures\": \"0\"}",
  "{\"firmware\": \"V2.01\", \"running_version\": \"V1.00\", \"waves\": \"100%\","
  " \"max_failures\": \"101%\"}",
  "{\"firmware\": \"V2.01\", \"running_version\": \"V1.00\", \"waves\": \"100%\","
  " \"max_failures\": \"1\", \"window\": \"1:00-5:00\"}",
  "{\"firmware\": \"V2.01\", \"running_version\": \"V1.00\", \"waves\": \"100%\","
  " \"max_failures\": \"1\", \"offline_after\": 0}",
  "{\"firmware\": \"version two\", \"running_version\": \"V1.00\", \"waves\": \"100%\","
  " \"max_failures\": \"1\"}",
  /* no selection, both selections, an empty list, an unknown member, not an object */
  "{\"firmware\": \"V2.01\", \"waves\": \"100%\", \"max_failures\": \"1\"}",
  "{\"firmware\": \"V2.01\", \"running_version\": \"V1.00\", \"terminals\": [\"X000\"],"
  " \"waves\": \"100%\", \"max_failures\": \"1\"}",
  "{\"firmware\": \"V2.01\", \"terminals\": [], \"waves\": \"100%\", \"max_failures\": \"1\"}",
  "{\"firmware\": \"V2.01\", \"running_version\": \"V1.00\", \"waves\": \"100%\","
  " \"max_failures\": \"1\", \"wave\": 3}",
  "[]",
};

static JsonObject *
get_object (Harness     *h,
            const Login *login,
            const char  *path,
            JsonParser  *parser)
{
  g_autoptr(GBytes) body = NULL;

  g_assert_cmpuint (call (h, "GET", path, login, FALSE, NULL, &body, NULL), ==, 200);
  return parse_object (body, parser);
}

/* @action of campaign C1; returns the status and checks the state after a success. */
static guint
campaign_act (Harness     *h,
              const Login *login,
              const char  *action,
              const char  *state)
{
  g_autofree char *path = g_strdup_printf ("/console/api/campaigns/C1/%s", action);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint status = call (h, "POST", path, login, TRUE, NULL, &body, NULL);

  if (status == 200)
    g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (parse_object (body, parser), "campaign"),
                       "state"), ==, state);
  return status;
}

/* A campaign of meters from the console: meter_app and version, as `campaigns create --meter-app
 * APP --version V` takes them, select the meters whose app is below V and the campaign's members
 * say so (as the CLI's show does); version without meter_app, or meter_app without version or
 * with firmware, change nothing. */
static void
test_meter_campaign (Fixture      *fixture,
                     gconstpointer data)
{
  static const char *const bad[] = {
    "{\"meter_app\": \"relay\", \"waves\": \"100%\", \"max_failures\": \"1\"}",
    "{\"version\": \"2.0.0\", \"waves\": \"100%\", \"max_failures\": \"1\"}",
    "{\"meter_app\": \"relay\", \"version\": \"2.0.0\", \"firmware\": \"V2.01\","
    " \"waves\": \"100%\", \"max_failures\": \"1\"}",
    "{\"meter_app\": \"relay\", \"version\": \"two\", \"waves\": \"100%\","
    " \"max_failures\": \"1\"}",
  };
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) body = NULL;
  g_autofree char *image = harness_write (h, "relay.bin", "the relay app, 2.0.0", -1);
  g_autofree char *package = g_build_filename (h->dir, "relay.ffpkg", NULL);
  g_autofree char *before = NULL, *out = NULL;
  JsonObject *campaign;

  g_free (harness_run_ok (h, "packages", "build", "--vendor", "Acme", "--model", "relay",
                          "--hardware", "DDZY-1", "--version", "2.0.0", "--meter-app", image,
                          "--meter-app-version", "2.0.0", "-o", package, NULL));
  g_free (harness_run_ok (h, "meters", "apps", "add-package", package, "--app-id", "7", NULL));
  g_free (harness_run_ok (h, "meters", "add", "M0001", "--vendor", "Acme", "--model", "DDZY-1",
                          "--app", "relay=1.0.0", NULL));
  g_free (harness_run_ok (h, "meters", "add", "M0002", "--vendor", "Acme", "--model", "DDZY-1",
                          "--app", "relay=2.0.0", NULL));
  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  before = harness_dump_database (h);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("%s", bad[i]);
      g_assert_cmpuint (call (h, "POST", "/console/api/campaigns", &login, TRUE, bad[i], NULL,
                              NULL), ==, 400);
    }
  harness_assert_database_unchanged (h, before);

  g_assert_cmpuint (call (h, "POST", "/console/api/campaigns", &login, TRUE,
                          "{\"meter_app\": \"relay\", \"version\": \"2.0.0\","
                          " \"waves\": \"100%\", \"max_failures\": \"1\"}", &body, NULL),
                    ==, 201);
  campaign = json_object_get_object_member (parse_object (body, parser), "campaign");
  g_assert_cmpstr (json_object_get_string_member (campaign, "meter_app"), ==, "relay");
  g_assert_cmpstr (json_object_get_string_member (campaign, "firmware_version"), ==, "2.0.0");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (campaign,
                                                                              "terminals"),
                                               "pending"), ==, 1);
  out = harness_run_ok (h, "campaigns", "show", "C1", NULL);
  g_assert_nonnull (strstr (out, "Campaign C1: meter app relay 2.0.0, draft, wave 0 of 1\n"
                                 "Meters: pending 1\n"));
  g_assert_nonnull (strstr (out, "  M0001\tcoap\tpending\t"));
}

/* A campaign created from a selection as `campaigns create` makes it (the same terminals in the
 * same waves), started, paused and resumed, each change in the audit log with the campaign before
 * and after; bad options, an empty selection, a change without the CSRF token and a change the
 * state does not allow change nothing. */
static void
test_campaigns (Fixture      *fixture,
                gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) cli_parser = json_parser_new ();
  g_autoptr(JsonParser) before_parser = json_parser_new ();
  g_autoptr(GBytes) body = NULL;
  g_autofree char *before = NULL, *message = NULL, *out = NULL;
  JsonObject *root, *campaign, *cli, *entry;
  JsonArray *waves, *cli_waves, *entries;

  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  before = harness_dump_database (h);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_campaigns); i++)
    {
      g_test_message ("%s", bad_campaigns[i]);
      g_assert_cmpuint (call (h, "POST", "/console/api/campaigns", &login, TRUE, bad_campaigns[i],
                              NULL, NULL), ==, 400);
    }
  /* An empty selection is refused, with the reason. */
  g_assert_cmpuint (call (h, "POST", "/console/api/campaigns", &login, TRUE,
                          "{\"firmware\": \"V2.01\", \"running_version\": \"V9.00\","
                          " \"waves\": \"100%\", \"max_failures\": \"1\"}", &body, NULL), ==, 403);
  message = error_text (body);
  g_assert_nonnull (strstr (message, "No terminal can be upgraded to V2.01"));
  g_assert_cmpuint (call (h, "POST", "/console/api/campaigns", &login, FALSE, CAMPAIGN_REQUEST,
                          NULL, NULL), ==, 403);
  harness_assert_database_unchanged (h, before);

  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (call (h, "POST", "/console/api/campaigns", &login, TRUE, CAMPAIGN_REQUEST,
                          &body, NULL), ==, 201);
  root = parse_object (body, parser);
  campaign = json_object_get_object_member (root, "campaign");
  g_assert_cmpstr (json_object_get_string_member (campaign, "campaign_id"), ==, "C1");
  g_assert_cmpstr (json_object_get_string_member (campaign, "state"), ==, "draft");
  g_assert_cmpstr (json_object_get_string_member (campaign, "name"), ==, "V1.00 is faulty");
  g_assert_cmpint (json_object_get_int_member (campaign, "waves"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (campaign,
                                                                              "terminals"),
                                               "pending"), ==, 12);

  /* The console's show is the CLI's. */
  out = harness_run_ok (h, "campaigns", "show", "C1", "--json", NULL);
  g_assert_true (json_parser_load_from_data (cli_parser, out, -1, NULL));
  cli = json_node_get_object (json_parser_get_root (cli_parser));
  root = get_object (h, &login, "/console/api/campaigns/C1", parser);
  waves = json_object_get_array_member (root, "wave_list");
  cli_waves = json_object_get_array_member (cli, "wave_list");
  g_assert_cmpuint (json_array_get_length (waves), ==, 2);
  g_assert_cmpuint (json_array_get_length (waves), ==, json_array_get_length (cli_waves));
  for (guint w = 0; w < 2; w++)
    {
      JsonArray *terminals = json_object_get_array_member (
        json_array_get_object_element (waves, w), "terminal_list");
      JsonArray *cli_terminals = json_object_get_array_member (
        json_array_get_object_element (cli_waves, w), "terminal_list");

      g_assert_cmpuint (json_array_get_length (terminals), ==, 6);
      g_assert_cmpuint (json_array_get_length (terminals), ==,
                        json_array_get_length (cli_terminals));
      for (guint i = 0; i < json_array_get_length (terminals); i++)
        g_assert_cmpstr (json_object_get_string_member (
                           json_array_get_object_element (terminals, i), "device_id"), ==,
                         json_object_get_string_member (
                           json_array_get_object_element (cli_terminals, i), "device_id"));
    }
  g_assert_cmpuint (call (h, "GET", "/console/api/campaigns/C9", &login, FALSE, NULL, NULL,
                          NULL), ==, 404);

  /* A change the state does not allow changes nothing. */
  g_clear_pointer (&before, g_free);
  before = harness_dump_database (h);
  g_assert_cmpuint (campaign_act (h, &login, "pause", NULL), ==, 409);
  g_assert_cmpuint (campaign_act (h, &login, "resume", NULL), ==, 409);
  g_assert_cmpuint (call (h, "POST", "/console/api/campaigns/C1/start", &login, FALSE, NULL, NULL,
                          NULL), ==, 403);
  harness_assert_database_unchanged (h, before);

  g_assert_cmpuint (campaign_act (h, &login, "start", "running"), ==, 200);
  g_assert_cmpuint (campaign_act (h, &login, "start", NULL), ==, 409);
  g_assert_cmpuint (campaign_act (h, &login, "pause", "paused"), ==, 200);
  g_assert_cmpuint (campaign_act (h, &login, "resume", "running"), ==, 200);
  g_clear_pointer (&out, g_free);
  out = harness_run_ok (h, "campaigns", "list", NULL);
  g_assert_nonnull (strstr (out, "C1\t"));
  g_assert_nonnull (strstr (out, "\trunning\tV2.01\t"));
  root = get_object (h, &login, "/console/api/campaigns", parser);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "campaigns")), ==,
                    1);

  /* Newest first: resume, pause, start, create; each with the campaign before and after. */
  entries = get_array (h, &login, "/console/api/audit", "entries", parser);
  g_assert_cmpuint (json_array_get_length (entries), ==, 4);
  entry = json_array_get_object_element (entries, 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, "campaign.resume");
  g_assert_cmpstr (json_object_get_string_member (entry, "target"), ==, "C1");
  g_assert_cmpstr (json_object_get_string_member (entry, "operator"), ==, "olga");
  g_assert_true (json_parser_load_from_data (before_parser,
                                             json_object_get_string_member (entry, "before"), -1,
                                             NULL));
  g_assert_cmpstr (json_object_get_string_member (
                     json_node_get_object (json_parser_get_root (before_parser)), "state"), ==,
                   "paused");
  g_assert_nonnull (strstr (json_object_get_string_member (entry, "after"),
                            "\"state\":\"running\""));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 1),
                                                  "action"), ==, "campaign.pause");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 2),
                                                  "action"), ==, "campaign.start");
  entry = json_array_get_object_element (entries, 3);
  g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, "campaign.create");
  g_assert_true (json_object_get_null_member (entry, "before"));
  g_assert_nonnull (strstr (json_object_get_string_member (entry, "after"), "\"draft\""));

  /* Its terminals are in an open campaign now: the same selection again is refused. */
  g_assert_cmpuint (call (h, "POST", "/console/api/campaigns", &login, TRUE, CAMPAIGN_REQUEST,
                          NULL, NULL), ==, 403);
  g_assert_cmpuint (campaign_act (h, &login, "cancel", "cancelled"), ==, 200);
}

/* Technicians */

static const char *const bad_technicians[] = {
  "{\"phone\": \"2370013700\", \"name\": \"Li Na\", \"pin\": \"123456\"}",
  "{\"phone\": \"1370013700x\", \"name\": \"Li Na\", \"pin\": \"123456\"}",
  "{\"phone\": \"13700137000\", \"name\": \"\", \"pin\": \"123456\"}",
  "{\"phone\": \"13700137000\", \"name\": \"Li Na\", \"pin\": \"123\"}",
  "{\"phone\": \"13700137000\", \"name\": \"Li Na\", \"pin\": \"12ab56\"}",
  "{\"phone\": \"13700137000\", \"name\": \"Li Na\"}",
  "{\"phone\": \"13700137000\", \"name\": \"Li Na\", \"pin\": \"123456\", \"role\": \"x\"}",
};

/* A technician added as `technicians add` does: listed by the CLI, able to log in on a tablet
 * with the PIN, in the audit log without the PIN or its hash; bad input and a phone registered
 * before change nothing. */
static void
test_technicians (Fixture      *fixture,
                  gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) body = NULL;
  g_autofree char *before = NULL, *out = NULL, *token = NULL;
  const char *added = "{\"phone\": \"13700137000\", \"name\": \"李娜\", \"pin\": \"246810\"}";
  JsonObject *root, *entry;

  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  before = harness_dump_database (h);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_technicians); i++)
    {
      g_test_message ("%s", bad_technicians[i]);
      g_assert_cmpuint (call (h, "POST", "/console/api/technicians", &login, TRUE,
                              bad_technicians[i], NULL, NULL), ==, 400);
    }
  g_assert_cmpuint (call (h, "POST", "/console/api/technicians", &login, FALSE, added, NULL,
                          NULL), ==, 403);
  harness_assert_database_unchanged (h, before);

  g_assert_cmpuint (call (h, "POST", "/console/api/technicians", &login, TRUE, added, &body,
                          NULL), ==, 201);
  root = json_object_get_object_member (parse_object (body, parser), "technician");
  g_assert_cmpstr (json_object_get_string_member (root, "phone"), ==, "13700137000");
  g_assert_cmpstr (json_object_get_string_member (root, "name"), ==, "李娜");
  out = harness_run_ok (h, "technicians", "list", NULL);
  g_assert_nonnull (strstr (out, "13700137000\t李娜"));
  /* The PIN is the one given: the technician logs in on a tablet with it. */
  token = harness_login (h, "13700137000", "246810", "TAB-0001");
  g_assert_nonnull (token);

  /* Once: the same phone again is refused and changes nothing. */
  g_clear_pointer (&before, g_free);
  before = harness_dump_database (h);
  g_assert_cmpuint (call (h, "POST", "/console/api/technicians", &login, TRUE, added, NULL,
                          NULL), ==, 409);
  harness_assert_database_unchanged (h, before);

  entry = json_array_get_object_element (get_array (h, &login, "/console/api/audit", "entries",
                                                    parser), 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, "technician.add");
  g_assert_cmpstr (json_object_get_string_member (entry, "target"), ==, "13700137000");
  g_assert_true (json_object_get_null_member (entry, "before"));
  g_assert_null (strstr (json_object_get_string_member (entry, "after"), "246810"));
  g_assert_null (strstr (json_object_get_string_member (entry, "after"), "scrypt"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, function) \
  g_test_add ("/console/api/" name, Fixture, NULL, set_up, function, tear_down)
  ADD ("login-and-cookie", test_login_and_cookie);
  ADD ("session-timeouts", test_session_timeouts);
  ADD ("disabled-operator", test_disabled_operator);
  ADD ("login-backoff", test_login_backoff);
  ADD ("csrf", test_csrf);
  ADD ("auditor-changes-nothing", test_auditor_changes_nothing);
  ADD ("blacklist-and-audit", test_blacklist_and_audit);
  ADD ("audit-paging", test_audit_paging);
  ADD ("audit-csv", test_audit_csv);
  ADD ("terminal-filters", test_terminal_filters);
  ADD ("terminal-page", test_terminal_page);
  ADD ("terminal-paging", test_terminal_paging);
  ADD ("firmware-upload-and-withdraw", test_firmware_upload_and_withdraw);
  ADD ("firmware-package-upload", test_firmware_package_upload);
  ADD ("firmware-store-failure", test_firmware_store_failure);
  ADD ("dispatch", test_dispatch);
  ADD ("campaigns", test_campaigns);
  ADD ("meter-campaign", test_meter_campaign);
  ADD ("technicians", test_technicians);
#undef ADD
  return g_test_run ();
}
