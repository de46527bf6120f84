/* A campaign's tablet-only terminal: `campaigns tasks` makes its signed task once its wave started,
 * the tablet's uploaded report moves it to succeeded in the ingest's own transaction, and the
 * engine of the next `serve` completes the wave and the campaign. `tasks cancel` and a cancelled
 * campaign withdraw that work: no tablet gets it again, and a report uploaded after is stored but
 * counts toward nothing. The report's upload is what wakes the engine: the next wave starts on it.
 * A campaign paused by hand and resumed counts its failures from before the pause still. */
#include "config.h"

#include "platform-harness.h"

#include <json-glib/json-glib.h>

#define LEDGER_DTU0009 \
  "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version," \
  "software_checksum,host,port,common_address,profile,link\n" \
  "DTU0009,Ring main unit 9,39.915,116.404,Acme,DTU-3000,HV1.0,V1.00,A1B2,127.0.0.1,2409,9," \
  "state-grid,offline\n"
#define DTU0010 \
  "DTU0010,Ring main unit 10,39.916,116.405,Acme,DTU-3000,HV1.0,V1.00,A1B2,127.0.0.1,2410,10," \
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

/* Terminal @index of the first wave of @campaign. */
static JsonObject *
wave_terminal (JsonObject *campaign,
               guint       index)
{
  JsonObject *wave = json_array_get_object_element (
    json_object_get_array_member (campaign, "wave_list"), 0);

  return json_array_get_object_element (json_object_get_array_member (wave, "terminal_list"),
                                        index);
}

/* The harness's world with tablet TAB-0003 (its key in @tablet), the terminals of @ledger and
 * a draft campaign C1 of @terminals in @waves, halting at @max_failures. */
static Harness *
create_campaign_in_waves (FfKey      *tablet,
                          const char *ledger,
                          const char *terminals,
                          const char *waves,
                          const char *max_failures)
{
  Harness *h = harness_new ();
  g_autofree char *pem = ff_key_get_public_pem (tablet);
  g_autofree char *pem_path = NULL, *ledger_path = NULL;

  harness_setup_world (h);
  pem_path = harness_write (h, "tab-c.pub.pem", pem, -1);
  ledger_path = harness_write (h, "tablet-only.csv", ledger, -1);
  g_free (harness_run_ok (h, "terminals", "import", ledger_path, NULL));
  g_free (harness_run_ok (h, "handhelds", "add", "TAB-0003", "--pubkey", pem_path, NULL));
  g_free (harness_run_ok (h, "campaigns", "create", "--firmware", "V2.01", "--terminals",
                          terminals, "--waves", waves, "--max-failures", max_failures, NULL));
  return h;
}

/* The same in one wave. */
static Harness *
create_campaign (FfKey      *tablet,
                 const char *ledger,
                 const char *terminals)
{
  return create_campaign_in_waves (tablet, ledger, terminals, "100%", "1");
}

static void
test_tablet_report (void)
{
  g_autoptr(FfKey) tablet = ff_key_generate (NULL);
  Harness *h = create_campaign (tablet, LEDGER_DTU0009, "DTU0009");
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *token = NULL, *task_id = NULL;
  g_autoptr(JsonParser) before = json_parser_new ();
  g_autoptr(JsonParser) after = json_parser_new ();
  g_autoptr(JsonParser) done = json_parser_new ();
  g_autoptr(FfReport) report = NULL;
  JsonObject *campaign;
  char *end;

  /* Before its wave started there is no tablet work. */
  g_assert_cmpint (harness_run (h, NULL, NULL, &err, "campaigns", "tasks", "C1", "--technician",
                                HARNESS_PHONE_A, "--handheld", "TAB-0003", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "only a running campaign"));
  g_free (harness_run_ok (h, "campaigns", "start", "C1", NULL));
  /* serve's engine looks at the running campaigns as it starts: wave 1 has started (no command:
   * its only terminal is tablet work) before it listens. */
  harness_start (h, TRUE);
  /* A tablet named twice is refused in words (it was the database's "already exists"), and the
   * refusal leaves the terminal's work to the next try. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (harness_run (h, NULL, NULL, &err, "campaigns", "tasks", "C1", "--technician",
                                HARNESS_PHONE_A, "--handheld", "TAB-0003", "--handheld",
                                "TAB-0003", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "Tablet TAB-0003 is named twice"));
  out = harness_run_ok (h, "campaigns", "tasks", "C1", "--technician", HARNESS_PHONE_A,
                        "--handheld", "TAB-0003", NULL);
  g_assert_true (g_str_has_prefix (out, "Created task "));
  task_id = g_strdup (out + strlen ("Created task "));
  end = strchr (task_id, ' ');
  *end = '\0';
  campaign = show (h, before);
  g_assert_cmpstr (json_object_get_string_member (wave_terminal (campaign, 0), "state"), ==, "sent");
  g_assert_cmpstr (json_object_get_string_member (wave_terminal (campaign, 0), "task_id"), ==,
                   task_id);

  token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0003");
  report = harness_report (task_id, "DTU0009", "TAB-0003", HARNESS_PHONE_A);
  g_assert_cmpuint (harness_upload_report (h, token, report, tablet, NULL), ==, 201);
  /* The report's own transaction moved the terminal. */
  campaign = show (h, after);
  g_assert_cmpstr (json_object_get_string_member (wave_terminal (campaign, 0), "state"), ==,
                   "succeeded");
  /* The engine of the next serve, at its start, completes the wave and the campaign. */
  harness_stop (h);
  harness_start (h, TRUE);
  campaign = show (h, done);
  g_assert_cmpstr (json_object_get_string_member (campaign, "state"), ==, "complete");
  harness_stop (h);
  harness_free (h);
}

/* The task ID that `campaigns tasks C1` printed. */
static char *
make_tablet_work (Harness *h)
{
  g_autofree char *out = harness_run_ok (h, "campaigns", "tasks", "C1", "--technician",
                                         HARNESS_PHONE_A, "--handheld", "TAB-0003", NULL);
  char *task_id;

  g_assert_true (g_str_has_prefix (out, "Created task "));
  task_id = g_strdup (out + strlen ("Created task "));
  *strchr (task_id, ' ') = '\0';
  return task_id;
}

/* Whether GET /tasks, as the tablet logged in with @token, lists @task_id. */
static gboolean
tablet_lists (Harness    *h,
              const char *token,
              const char *task_id)
{
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/tasks", token, NULL, NULL, &body, NULL), ==,
                    200);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return strstr (text, task_id) != NULL;
}

/* The state and task of terminal @index of the only wave of C1. */
static void
assert_terminal (Harness    *h,
                 guint       index,
                 const char *state,
                 const char *task_id)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *terminal = wave_terminal (show (h, parser), index);

  g_assert_cmpstr (json_object_get_string_member (terminal, "state"), ==, state);
  g_assert_cmpstr (json_object_get_string_member (terminal, "task_id"), ==, task_id);
}

/* C1's current wave, from `campaigns show`. */
static gint64
current_wave (Harness *h)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  return json_object_get_int_member (show (h, parser), "current_wave");
}

/* C1 over DTU0009 and DTU0010 in @waves, halting at @max_failures, started under serve, with its
 * tablet work of wave 1 in *@task_id and TAB-0003 logged in with *@token. */
static Harness *
start_tablet_work (FfKey      *tablet,
                   const char *waves,
                   const char *max_failures,
                   char      **task_id,
                   char      **token)
{
  Harness *h = create_campaign_in_waves (tablet, LEDGER_DTU0009 DTU0010, "DTU0009,DTU0010",
                                         waves, max_failures);

  g_free (harness_run_ok (h, "campaigns", "start", "C1", NULL));
  harness_start (h, TRUE);
  *task_id = make_tablet_work (h);
  *token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0003");
  return h;
}

/* The report's upload alone tells serve's engine: it completes wave 1 and starts wave 2 at once.
 * Nothing else wakes it meanwhile — `campaigns tasks` leaves campaigns.changed alone, and its one
 * timer is wave 1's offline deadline, a day away. */
static void
test_tablet_report_starts_next_wave (void)
{
  g_autoptr(FfKey) tablet = ff_key_generate (NULL);
  g_autofree char *out = NULL, *token = NULL, *task_id = NULL, *device_id = NULL;
  Harness *h = start_tablet_work (tablet, "50%,100%", "1", &task_id, &token);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(FfReport) report = NULL;
  gint64 until;

  g_assert_cmpint (current_wave (h), ==, 1);
  device_id = g_strdup (json_object_get_string_member (wave_terminal (show (h, parser), 0),
                                                       "device_id"));
  report = harness_report (task_id, device_id, "TAB-0003", HARNESS_PHONE_A);
  g_assert_cmpuint (harness_upload_report (h, token, report, tablet, NULL), ==, 201);
  /* The engine moves once serve's main loop is idle after the upload's answer. */
  until = g_get_monotonic_time () + ff_test_deadline_s (30) * G_USEC_PER_SEC;
  while (current_wave (h) < 2)
    if (g_get_monotonic_time () > until)
      g_error ("wave 2 had not started %u s after the report's upload", ff_test_deadline_s (30));
  out = harness_run_ok (h, "campaigns", "show", "C1", NULL);
  g_test_message ("%s", out);
  assert_terminal (h, 0, "succeeded", task_id);
  harness_stop (h);
  harness_free (h);
}

static void
test_cancel_withdraws_tablet_work (void)
{
  g_autoptr(FfKey) tablet = ff_key_generate (NULL);
  Harness *h = create_campaign (tablet, LEDGER_DTU0009 DTU0010, "DTU0009,DTU0010");
  g_autofree char *err = NULL, *token = NULL;
  g_autofree char *first = NULL, *second = NULL, *document = NULL, *handhelds = NULL;
  g_autofree char *tasks = NULL, *line = NULL, *terminal = NULL, *answer_text = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(FfReport) report = NULL;

  g_free (harness_run_ok (h, "campaigns", "start", "C1", NULL));
  harness_start (h, TRUE);
  first = make_tablet_work (h);
  token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0003");
  g_assert_true (tablet_lists (h, token, first));

  /* `tasks cancel`: the campaign runs on, its terminals pending again and free for new work. */
  g_free (harness_run_ok (h, "tasks", "cancel", first, NULL));
  assert_terminal (h, 0, "pending", NULL);
  assert_terminal (h, 1, "pending", NULL);
  g_assert_false (tablet_lists (h, token, first));
  document = g_strdup_printf ("/api/v1/tasks/%s/document", first);
  g_assert_cmpuint (harness_request (h, "GET", document, token, NULL, NULL, NULL, NULL), ==, 410);
  handhelds = harness_run_ok (h, "handhelds", "list", NULL);
  g_assert_nonnull (strstr (handhelds, "TAB-0003\tin stock"));
  g_assert_cmpint (harness_run (h, NULL, NULL, &err, "tasks", "cancel", first, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "only an open task can be cancelled"));
  second = make_tablet_work (h);
  assert_terminal (h, 0, "sent", second);

  /* The campaign's cancel withdraws its open task in the same transaction. */
  g_free (harness_run_ok (h, "campaigns", "cancel", "C1", NULL));
  assert_terminal (h, 0, "pending", NULL);
  assert_terminal (h, 1, "pending", NULL);
  g_assert_false (tablet_lists (h, token, second));
  tasks = harness_run_ok (h, "tasks", "list", NULL);
  line = g_strdup_printf ("%s\t", second);
  g_assert_nonnull (strstr (tasks, line));
  g_assert_nonnull (strstr (strstr (tasks, line), "\tcancelled\t0/2"));

  /* A tablet that had the task before the cancel uploads its report later: stored, and the
   * ledger takes the version the terminal runs, but it closes no item and moves no campaign. */
  report = harness_report (second, "DTU0009", "TAB-0003", HARNESS_PHONE_A);
  g_assert_cmpuint (harness_upload_report (h, token, report, tablet, &answer), ==, 201);
  answer_text = g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  g_assert_nonnull (strstr (answer_text, "\"task_state\":\"cancelled\""));
  assert_terminal (h, 0, "pending", NULL);
  g_free (tasks);
  tasks = harness_run_ok (h, "tasks", "list", NULL);
  g_assert_nonnull (strstr (strstr (tasks, line), "\tcancelled\t0/2"));
  terminal = harness_run_ok (h, "terminals", "list", NULL);
  g_assert_nonnull (strstr (terminal, "V2.01"));
  harness_stop (h);
  harness_free (h);
}

/* C1's state from `campaigns show`, once it is not @state any more (serve's engine moves it
 * once its main loop is idle after an upload's answer). */
static char *
state_after (Harness    *h,
             const char *state)
{
  gint64 until = g_get_monotonic_time () + ff_test_deadline_s (30) * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      const char *now = json_object_get_string_member (show (h, parser), "state");

      if (!g_str_equal (now, state))
        return g_strdup (now);
      if (g_get_monotonic_time () > until)
        g_error ("C1 was still %s %u s later", state, ff_test_deadline_s (30));
    }
}

/* A tablet's report that DTU-@device_id's upgrade of @task_id failed, uploaded. */
static void
upload_failure (Harness    *h,
                const char *token,
                FfKey      *tablet,
                const char *task_id,
                const char *device_id)
{
  g_autoptr(FfReport) report = harness_report (task_id, device_id, "TAB-0003", HARNESS_PHONE_A);

  report->outcome = FF_REPORT_OUTCOME_FAILED;
  ff_report_set_failure (report, "verify", "The terminal runs the wrong version");
  g_free (report->versions.after);
  report->versions.after = g_strdup ("V1.00");
  g_assert_cmpuint (harness_upload_report (h, token, report, tablet, NULL), ==, 201);
}

/* Only resuming a halted campaign accepts the failures so far (the operator looked at them): a
 * pause by hand and a resume left the threshold counting from zero again, so a campaign that
 * halts at 2 failures had one before the pause and one after, and completed. */
static void
test_pause_keeps_failures (void)
{
  g_autoptr(FfKey) tablet = ff_key_generate (NULL);
  g_autofree char *token = NULL, *task_id = NULL, *state = NULL;
  Harness *h = start_tablet_work (tablet, "100%", "2", &task_id, &token);
  g_autoptr(JsonParser) halted = json_parser_new ();

  upload_failure (h, token, tablet, task_id, "DTU0009");
  assert_terminal (h, 0, "failed", task_id);
  g_free (harness_run_ok (h, "campaigns", "pause", "C1", NULL));
  g_free (harness_run_ok (h, "campaigns", "resume", "C1", NULL));
  upload_failure (h, token, tablet, task_id, "DTU0010");
  state = state_after (h, "running");
  g_assert_cmpstr (state, ==, "paused");
  g_assert_cmpstr (json_object_get_string_member (show (h, halted), "halt_reason"), ==,
                   "2 terminals failed, the threshold is 2");
  harness_stop (h);
  harness_free (h);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/campaigns/tablet-report", test_tablet_report);
  g_test_add_func ("/campaigns/cancel-withdraws-tablet-work", test_cancel_withdraws_tablet_work);
  g_test_add_func ("/campaigns/tablet-report-starts-next-wave",
                   test_tablet_report_starts_next_wave);
  g_test_add_func ("/campaigns/pause-keeps-failures", test_pause_keeps_failures);
  return g_test_run ();
}
