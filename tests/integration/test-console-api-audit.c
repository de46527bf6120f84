/* The operator console's JSON API (docs/api.md, "Console API (operators)") against a real server
 * process on 127.0.0.1 with a real database (console-api-harness.h): the blacklist through the API
 * and the CLI, the audit log, its pages and its CSV. */
#include "config.h"

#include "console-api-harness.h"

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
  out = harness_error_text (body);
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  CONSOLE_API_ADD ("blacklist-and-audit", test_blacklist_and_audit);
  CONSOLE_API_ADD ("audit-paging", test_audit_paging);
  CONSOLE_API_ADD ("audit-csv", test_audit_csv);
  return g_test_run ();
}
