/* The operator console's JSON API (docs/api.md, "Console API (operators)") against a real server
 * process on 127.0.0.1 with a real database (console-api-harness.h): campaigns of terminals and of
 * meters. */
#include "config.h"

#include "console-api-harness.h"

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

/* Queries of a page of campaign C1's terminals that are refused (C1 has 2 waves), and why. */
static const struct
{
  const char *query;
  const char *message;
} bad_pages[] = {
  { "limit=2", "The wave must be a number from 1 to 2" },
  { "wave=0", "The wave must be a number from 1 to 2" },
  { "wave=3", "The wave must be a number from 1 to 2" },
  { "wave=one", "The wave must be a number from 1 to 2" },
  { "wave=1&limit=0", "The limit must be a number from 1 to 1000" },
  { "wave=1&limit=1001", "The limit must be a number from 1 to 1000" },
  { "wave=1&after=-1", "The page must start after a terminal’s position in the campaign, "
                       "a number from 0" },
  { "wave=1&after=NTU00001", "The page must start after a terminal’s position in the campaign, "
                             "a number from 0" },
};

static void
assert_same_counts (JsonObject *counts,
                    JsonObject *expected)
{
  g_autoptr(GList) states = json_object_get_members (expected);

  g_assert_cmpuint (json_object_get_size (counts), ==, json_object_get_size (expected));
  for (GList *l = states; l != NULL; l = l->next)
    g_assert_cmpint (json_object_get_int_member (counts, l->data), ==,
                     json_object_get_int_member (expected, l->data));
}

/* Pages wave @wave of campaign C1 two terminals at a time: together they are @expected (the
 * CLI's terminals of the wave), each page tells the wave's total and where the next starts. */
static void
assert_wave_pages (Harness     *h,
                   const Login *login,
                   guint        wave,
                   JsonArray   *expected)
{
  guint n_expected = json_array_get_length (expected), seen = 0, pages = 0;
  g_autofree char *after = g_strdup ("");

  while (TRUE)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *path = g_strdup_printf ("/console/api/campaigns/C1/terminals?wave=%u"
                                               "&limit=2%s", wave, after);
      JsonObject *page = get_object (h, login, path, parser);
      JsonArray *terminals = json_object_get_array_member (page, "terminals");
      JsonNode *next = json_object_get_member (page, "next_after");

      g_assert_cmpint (json_object_get_int_member (page, "total"), ==, n_expected);
      g_assert_cmpuint (json_array_get_length (terminals), <=, 2);
      for (guint i = 0; i < json_array_get_length (terminals); i++, seen++)
        {
          JsonObject *terminal = json_array_get_object_element (terminals, i);
          JsonObject *cli_terminal = json_array_get_object_element (expected, seen);

          g_assert_cmpuint (seen, <, n_expected);
          g_assert_cmpstr (json_object_get_string_member (terminal, "device_id"), ==,
                           json_object_get_string_member (cli_terminal, "device_id"));
          g_assert_cmpstr (json_object_get_string_member (terminal, "state"), ==, "pending");
          g_assert_cmpint (json_object_get_int_member (terminal, "position"), ==,
                           json_object_get_int_member (cli_terminal, "position"));
        }
      pages++;
      if (json_node_is_null (next))
        break;
      g_assert_cmpuint (json_array_get_length (terminals), ==, 2);
      g_free (after);
      after = g_strdup_printf ("&after=%" G_GINT64_FORMAT, json_node_get_int (next));
    }
  g_assert_cmpuint (seen, ==, n_expected);
  g_assert_cmpuint (pages, ==, (n_expected + 1) / 2);
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
  message = harness_error_text (body);
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

  /* The console's show is the CLI's without the terminals: the waves with their counts. */
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
      JsonObject *wave = json_array_get_object_element (waves, w);
      JsonObject *cli_wave = json_array_get_object_element (cli_waves, w);
      JsonArray *cli_terminals = json_object_get_array_member (cli_wave, "terminal_list");

      g_assert_false (json_object_has_member (wave, "terminal_list"));
      g_assert_cmpint (json_object_get_int_member (wave, "wave"), ==, w + 1);
      g_assert_cmpuint (json_array_get_length (cli_terminals), ==, 6);
      g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (wave,
                                                                                  "terminals"),
                                                   "pending"), ==, 6);
      assert_same_counts (json_object_get_object_member (wave, "terminals"),
                          json_object_get_object_member (cli_wave, "terminals"));
      /* A wave a page at a time, 2 terminals a page: the CLI's terminals in their order. */
      assert_wave_pages (h, &login, w + 1, cli_terminals);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad_pages); i++)
    {
      g_autofree char *path = g_strdup_printf ("/console/api/campaigns/C1/terminals?%s",
                                               bad_pages[i].query);
      g_autofree char *text = NULL;

      g_test_message ("%s", path);
      g_clear_pointer (&body, g_bytes_unref);
      g_assert_cmpuint (call (h, "GET", path, &login, FALSE, NULL, &body, NULL), ==, 400);
      text = harness_error_text (body);
      g_assert_cmpstr (text, ==, bad_pages[i].message);
    }
  g_assert_cmpuint (call (h, "GET", "/console/api/campaigns/C9/terminals?wave=1", &login, FALSE,
                          NULL, NULL, NULL), ==, 404);
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  CONSOLE_API_ADD ("campaigns", test_campaigns);
  CONSOLE_API_ADD ("meter-campaign", test_meter_campaign);
  return g_test_run ();
}
