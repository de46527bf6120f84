/* The operator console's JSON API (docs/api.md, "Console API (operators)") against a real server
 * process on 127.0.0.1 with a real database (console-api-harness.h): the terminal filters in
 * version order, a terminal's page and the pages of the terminal list. */
#include "config.h"

#include "console-api-harness.h"

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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  CONSOLE_API_ADD ("terminal-filters", test_terminal_filters);
  CONSOLE_API_ADD ("terminal-page", test_terminal_page);
  CONSOLE_API_ADD ("terminal-paging", test_terminal_paging);
  return g_test_run ();
}
