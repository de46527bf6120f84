/* The operator console's JSON API (docs/api.md, "Console API (operators)") against a real server
 * process on 127.0.0.1 with a real database (console-api-harness.h): logins and their cookie,
 * session timeouts, a disabled operator, the login back-off, the CSRF token and what an auditor
 * may not change. */
#include "config.h"

#include "console-api-harness.h"

static void
test_login_and_cookie (Fixture      *fixture,
                       gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_auto(Login) stranger = { .cookie = g_strdup ("__Host-ff_console="
                                                 "00112233445566778899aabbccddeeff"
                                                 "00112233445566778899aabbccddeeff"),
                             .csrf = g_strdup ("x") };
  g_autofree char *set_cookie = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;

  g_assert_cmpuint (log_in (h, "olga", "not the password", &login, NULL, NULL), ==, 401);
  g_assert_cmpuint (log_in (h, "nobody", OPERATOR_PASSWORD, &login, NULL, NULL), ==, 401);
  g_assert_cmpuint (log_in (h, "olga", OPERATOR_PASSWORD, &login, &set_cookie, NULL), ==, 200);
  /* The cookie is never readable by scripts nor sent by other sites, only over HTTPS, and a
   * "__Host-" one (Secure, Path=/, no Domain): no page of a sibling subdomain can plant it. */
  g_assert_true (g_str_has_prefix (set_cookie, "__Host-ff_console="));
  g_assert_nonnull (strstr (set_cookie, "; HttpOnly"));
  g_assert_nonnull (strstr (set_cookie, "; Secure"));
  g_assert_nonnull (strstr (set_cookie, "; SameSite=Strict"));
  g_assert_nonnull (strstr (set_cookie, "; Path=/;"));
  g_assert_null (strstr (set_cookie, "Domain"));
  g_assert_cmpuint (strlen (login.cookie), ==, strlen ("__Host-ff_console=") + 64);

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
  /* The session's own token under the cookie's earlier name, which any subdomain could set. */
  g_free (stranger.cookie);
  stranger.cookie = g_strconcat ("ff_console=", login.cookie + strlen ("__Host-ff_console="),
                                 NULL);
  g_assert_cmpuint (call (h, "GET", "/console/api/session", &stranger, FALSE, NULL, NULL, NULL),
                    ==, 401);

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
  message = harness_error_text (body);
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
      message = harness_error_text (body);
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  CONSOLE_API_ADD ("login-and-cookie", test_login_and_cookie);
  CONSOLE_API_ADD ("session-timeouts", test_session_timeouts);
  CONSOLE_API_ADD ("disabled-operator", test_disabled_operator);
  CONSOLE_API_ADD ("login-backoff", test_login_backoff);
  CONSOLE_API_ADD ("csrf", test_csrf);
  CONSOLE_API_ADD ("auditor-changes-nothing", test_auditor_changes_nothing);
  return g_test_run ();
}
