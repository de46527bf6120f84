/* The operator console's JSON API (docs/api.md, "Console API (operators)") against a real server
 * process on 127.0.0.1 with a real database (console-api-harness.h): a dispatch of tablet tasks
 * and the technicians' accounts. */
#include "config.h"

#include "console-api-harness.h"

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
    text = harness_error_text (refusal);
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

  /* Cancelled as "tasks cancel" does, audited: the tablet is back in stock; once only. */
  {
    g_autofree char *cancel_path = g_strconcat (task_path, "/cancel", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GBytes) answer = NULL;

    g_assert_cmpuint (call (h, "POST", cancel_path, &login, FALSE, NULL, NULL, NULL), ==, 403);
    g_assert_cmpuint (call (h, "POST", cancel_path, &login, TRUE, NULL, &answer, NULL), ==, 200);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                       parse_object (answer, parser), "task"), "state"), ==, "cancelled");
    g_clear_pointer (&out, g_free);
    out = harness_run_ok (h, "handhelds", "list", NULL);
    g_assert_nonnull (strstr (out, "TAB-0003\tin stock"));
    tablets = get_array (h, &login, "/console/api/audit", "entries", parser);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tablets, 0),
                                                    "action"), ==, "task.cancel");
    g_clear_pointer (&answer, g_bytes_unref);
    g_free (before);
    before = harness_dump_database (h);
    g_assert_cmpuint (call (h, "POST", cancel_path, &login, TRUE, NULL, &answer, NULL), ==, 409);
    text = harness_error_text (answer);
    g_assert_nonnull (strstr (text, "only an open task can be cancelled"));
    g_assert_cmpuint (call (h, "POST", "/console/api/tasks/NO-SUCH-TASK/cancel", &login, TRUE,
                            NULL, NULL, NULL), ==, 404);
    harness_assert_database_unchanged (h, before);
  }
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
  CONSOLE_API_ADD ("dispatch", test_dispatch);
  CONSOLE_API_ADD ("technicians", test_technicians);
  return g_test_run ();
}
