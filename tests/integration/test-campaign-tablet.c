/* A campaign's tablet-only terminal: `campaigns tasks` makes its signed task once its wave started,
 * the tablet's uploaded report moves it to succeeded in the ingest's own transaction, and the
 * engine of the next `serve` completes the wave and the campaign. */
#include "config.h"

#include "platform-harness.h"

#include <json-glib/json-glib.h>

#define LEDGER_DTU0009 \
  "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version," \
  "software_checksum,host,port,common_address,profile,link\n" \
  "DTU0009,Ring main unit 9,39.915,116.404,Acme,DTU-3000,HV1.0,V1.00,A1B2,127.0.0.1,2409,9," \
  "state-grid,offline\n"

/* `campaigns show C1 --json` parsed. */
static JsonObject *
show (Harness    *h,
      JsonParser *parser)
{
  g_autofree char *out = harness_run_ok (h, "campaigns", "show", "C1", "--json", NULL);
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static JsonObject *
only_terminal (JsonObject *campaign)
{
  JsonObject *wave = json_array_get_object_element (
    json_object_get_array_member (campaign, "wave_list"), 0);

  return json_array_get_object_element (json_object_get_array_member (wave, "terminal_list"), 0);
}

static void
test_tablet_report (void)
{
  Harness *h = harness_new ();
  g_autoptr(FfKey) tablet = ff_key_generate (NULL);
  g_autofree char *pem = ff_key_get_public_pem (tablet);
  g_autofree char *pem_path = NULL, *ledger_path = NULL, *out = NULL, *err = NULL;
  g_autofree char *token = NULL, *task_id = NULL;
  g_autoptr(JsonParser) before = json_parser_new ();
  g_autoptr(JsonParser) after = json_parser_new ();
  g_autoptr(JsonParser) done = json_parser_new ();
  g_autoptr(FfReport) report = NULL;
  JsonObject *campaign;
  char *end;

  harness_setup_world (h);
  pem_path = harness_write (h, "tab-c.pub.pem", pem, -1);
  ledger_path = harness_write (h, "dtu0009.csv", LEDGER_DTU0009, -1);
  g_free (harness_run_ok (h, "terminals", "import", ledger_path, NULL));
  g_free (harness_run_ok (h, "handhelds", "add", "TAB-0003", "--pubkey", pem_path, NULL));
  g_free (harness_run_ok (h, "campaigns", "create", "--firmware", "V2.01", "--terminals",
                          "DTU0009", "--waves", "100%", "--max-failures", "1", NULL));
  /* Before its wave started there is no tablet work. */
  g_assert_cmpint (harness_run (h, NULL, NULL, &err, "campaigns", "tasks", "C1", "--technician",
                                HARNESS_PHONE_A, "--handheld", "TAB-0003", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "only a running campaign"));
  g_free (harness_run_ok (h, "campaigns", "start", "C1", NULL));
  /* serve's engine looks at the running campaigns as it starts: wave 1 has started (no command:
   * its only terminal is tablet work) before it listens. */
  harness_start (h, TRUE);
  out = harness_run_ok (h, "campaigns", "tasks", "C1", "--technician", HARNESS_PHONE_A,
                        "--handheld", "TAB-0003", NULL);
  g_assert_true (g_str_has_prefix (out, "Created task "));
  task_id = g_strdup (out + strlen ("Created task "));
  end = strchr (task_id, ' ');
  *end = '\0';
  campaign = show (h, before);
  g_assert_cmpstr (json_object_get_string_member (only_terminal (campaign), "state"), ==, "sent");
  g_assert_cmpstr (json_object_get_string_member (only_terminal (campaign), "task_id"), ==,
                   task_id);

  token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0003");
  report = harness_report (task_id, "DTU0009", "TAB-0003", HARNESS_PHONE_A);
  g_assert_cmpuint (harness_upload_report (h, token, report, tablet, NULL), ==, 201);
  /* The report's own transaction moved the terminal. */
  campaign = show (h, after);
  g_assert_cmpstr (json_object_get_string_member (only_terminal (campaign), "state"), ==,
                   "succeeded");
  /* The engine of the next serve, at its start, completes the wave and the campaign. */
  harness_stop (h);
  harness_start (h, TRUE);
  campaign = show (h, done);
  g_assert_cmpstr (json_object_get_string_member (campaign, "state"), ==, "complete");
  harness_stop (h);
  harness_free (h);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/campaigns/tablet-report", test_tablet_report);
  return g_test_run ();
}
