/* Security: reports and tasks a tablet may not touch, against the real platform daemon on
 * 127.0.0.1. Each case checks the answer and that the database did not change. */
#include "config.h"

#include "platform-harness.h"

typedef struct
{
  Harness *h;
  char    *token;      /* technician A on TAB-0001 */
} Fixture;

static void
set_up (Fixture      *fixture,
        gconstpointer data)
{
  fixture->h = harness_new ();
  harness_setup_world (fixture->h);
  harness_start (fixture->h, FALSE);
  fixture->token = harness_login (fixture->h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");
}

static void
tear_down (Fixture      *fixture,
           gconstpointer data)
{
  g_free (fixture->token);
  harness_free (fixture->h);
}

/* Uploads @bytes with @signature and asserts @status, @error_fragment in the answer (unless NULL)
 * and an unchanged database. */
static void
expect_refused_upload (Harness    *h,
                       const char *token,
                       GBytes     *bytes,
                       GBytes     *signature,
                       guint       status,
                       const char *error_fragment)
{
  g_autofree char *before = harness_dump_database (h);

  harness_expect_upload (h, token, bytes, signature, status, error_fragment);
  harness_assert_database_unchanged (h, before);
}

/* A signature by another key, or over other bytes, or by another registered tablet. */
static void
test_forged_reports (Fixture      *fixture,
                     gconstpointer data)
{
  Harness *h = fixture->h;
  g_autoptr(FfReport) report = harness_report (h->task_a, "DTU0001", "TAB-0001", HARNESS_PHONE_A);
  g_autoptr(FfKey) rogue = ff_key_generate (NULL);
  g_autoptr(GBytes) bytes = NULL, signature = NULL, forged = NULL, by_b = NULL, flipped = NULL;
  g_autofree char *copy = NULL;

  signature = harness_sign_report (report, h->tablet_a, &bytes);
  forged = ff_key_sign (rogue, bytes, NULL);
  by_b = ff_key_sign (h->tablet_b, bytes, NULL);
  copy = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  strstr (copy, "0x8005 reads")[0] = '1';   /* still a valid report, not the bytes signed */
  flipped = g_bytes_new (copy, g_bytes_get_size (bytes));

  expect_refused_upload (h, fixture->token, bytes, forged, 403, "signature");
  expect_refused_upload (h, fixture->token, bytes, by_b, 403, "signature");
  expect_refused_upload (h, fixture->token, flipped, signature, 403, "signature");
  expect_refused_upload (h, NULL, bytes, signature, 401, NULL);
}

/* A report is ingested once: a repeat changes nothing, even from another session of its tablet;
 * another tablet cannot replay it, and its ID with other contents is a conflict. */
static void
test_replayed_reports (Fixture      *fixture,
                       gconstpointer data)
{
  Harness *h = fixture->h;
  g_autoptr(FfReport) report = harness_report (h->task_a, "DTU0001", "TAB-0001", HARNESS_PHONE_A);
  g_autoptr(GBytes) bytes = NULL, signature = NULL, altered = NULL, altered_signature = NULL;
  g_autofree char *token_b = harness_login (h, HARNESS_PHONE_B, HARNESS_PIN_B, "TAB-0002");
  g_autofree char *again = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0001");

  signature = harness_sign_report (report, h->tablet_a, &bytes);
  g_assert_cmpuint (harness_upload (h, fixture->token, bytes, signature, NULL), ==, 201);
  expect_refused_upload (h, fixture->token, bytes, signature, 200, NULL);
  expect_refused_upload (h, again, bytes, signature, 200, NULL);
  expect_refused_upload (h, token_b, bytes, signature, 403, NULL);
  g_free (report->versions.after_checksum);
  report->versions.after_checksum = g_strdup ("FFFF");
  altered_signature = harness_sign_report (report, h->tablet_a, &altered);
  expect_refused_upload (h, fixture->token, altered, altered_signature, 409, NULL);
}

/* Another technician's task: its files and its items are out of reach. */
static void
test_other_technicians_task (Fixture      *fixture,
                             gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *document = g_strdup_printf ("/api/v1/tasks/%s/document", h->task_b);
  g_autofree char *signature_path = g_strdup_printf ("/api/v1/tasks/%s/signature", h->task_b);
  g_autofree char *before = harness_dump_database (h);
  g_autoptr(FfReport) stranger = harness_report (h->task_b, "DTU0003", "TAB-0001",
                                                 HARNESS_PHONE_A);
  g_autoptr(FfReport) posing = harness_report (h->task_b, "DTU0003", "TAB-0002", HARNESS_PHONE_B);
  g_autoptr(GBytes) bytes = NULL, signature = NULL, posing_bytes = NULL, posing_signature = NULL;
  g_autoptr(GBytes) list = NULL;

  g_assert_cmpuint (harness_request (h, "GET", document, fixture->token, NULL, NULL, NULL, NULL),
                    ==, 403);
  g_assert_cmpuint (harness_request (h, "GET", signature_path, fixture->token, NULL, NULL, NULL,
                                     NULL), ==, 403);
  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/tasks", fixture->token, NULL, NULL, &list,
                                     NULL), ==, 200);
  g_assert_null (g_strstr_len (g_bytes_get_data (list, NULL), g_bytes_get_size (list),
                               h->task_b));
  harness_assert_database_unchanged (h, before);

  signature = harness_sign_report (stranger, h->tablet_a, &bytes);
  expect_refused_upload (h, fixture->token, bytes, signature, 403, "another technician");
  /* Written as if by technician B on TAB-0002, but signed and sent by A's tablet. */
  posing_signature = harness_sign_report (posing, h->tablet_a, &posing_bytes);
  expect_refused_upload (h, fixture->token, posing_bytes, posing_signature, 403, NULL);
}

/* A retired tablet can neither log in nor use a session it got before. */
static void
test_retired_tablet (Fixture      *fixture,
                     gconstpointer data)
{
  Harness *h = fixture->h;
  g_autoptr(FfReport) report = harness_report (h->task_a, "DTU0001", "TAB-0001", HARNESS_PHONE_A);
  g_autoptr(GBytes) bytes = NULL, signature = NULL;
  g_autofree char *document = g_strdup_printf ("/api/v1/tasks/%s/document", h->task_a);
  g_autofree char *login = g_strdup_printf ("{\"phone\": \"%s\", \"pin\": \"%s\", "
                                            "\"tablet_serial\": \"TAB-0001\"}", HARNESS_PHONE_A,
                                            HARNESS_PIN_A);
  g_autoptr(GBytes) login_body = g_bytes_new (login, strlen (login));
  g_autofree char *before = NULL;

  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "handhelds", "retire", "TAB-0001", NULL), ==,
                   0);
  before = harness_dump_database (h);
  signature = harness_sign_report (report, h->tablet_a, &bytes);
  g_assert_cmpuint (harness_request (h, "GET", "/api/v1/tasks", fixture->token, NULL, NULL, NULL,
                                     NULL), ==, 403);
  g_assert_cmpuint (harness_request (h, "GET", document, fixture->token, NULL, NULL, NULL, NULL),
                    ==, 403);
  g_assert_cmpuint (harness_request (h, "POST", "/api/v1/login", NULL, login_body, NULL, NULL,
                                     NULL), ==, 403);
  harness_assert_database_unchanged (h, before);
  expect_refused_upload (h, fixture->token, bytes, signature, 403, "retired");
}

/* A "failed" report that pushed nothing and says the terminal ran @version before and after. */
static FfReport *
failed_report (Harness    *h,
               const char *device_id,
               const char *version)
{
  FfReport *report = harness_report (h->task_a, device_id, "TAB-0001", HARNESS_PHONE_A);

  report->outcome = FF_REPORT_OUTCOME_FAILED;
  ff_report_set_failure (report, "push", "The terminal refused the file");
  g_free (report->versions.before);
  report->versions.before = g_strdup (version);
  g_free (report->versions.after);
  report->versions.after = g_strdup (version);
  g_clear_pointer (&report->firmware_version, g_free);
  g_clear_pointer (&report->firmware_sha256, g_free);
  return report;
}

/* A signed report could put any version into the ledger: a "failed" one was checked against its
 * own "before". Now only the item's target, previous firmware or expected version is reachable. */
static void
test_version_rules (Fixture      *fixture,
                    gconstpointer data)
{
  Harness *h = fixture->h;
  const char *invented[] = { "V0.01", "V99.99" };
  g_autoptr(FfReport) kept = failed_report (h, "DTU0001", "v1.0");
  g_autofree char *history = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (invented); i++)
    {
      g_autoptr(FfReport) report = failed_report (h, "DTU0001", invented[i]);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GBytes) signature = harness_sign_report (report, h->tablet_a, &bytes);

      expect_refused_upload (h, fixture->token, bytes, signature, 409, invented[i]);
    }
  /* The upgrade did not take: the terminal still runs what the task expected (V1.00). */
  g_assert_cmpuint (harness_upload_report (h, fixture->token, kept, h->tablet_a, NULL), ==, 201);
  g_assert_cmpint (harness_run (h, NULL, &history, NULL, "history", "DTU0001", NULL), ==, 0);
  g_assert_null (strstr (history, "V0.01"));
  g_assert_null (strstr (history, "V99.99"));
}

/* A report may say it sent a delta patch only when its task item names that patch: this task names
 * none, so a signed report with one is refused and changes nothing. */
static void
test_unnamed_delta (Fixture      *fixture,
                    gconstpointer data)
{
  Harness *h = fixture->h;
  g_autoptr(FfReport) report = harness_report (h->task_a, "DTU0001", "TAB-0001", HARNESS_PHONE_A);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) signature = NULL;

  report->transfer.present = TRUE;
  report->transfer.file_name = g_strdup ("UpdateProgram.bin");
  report->transfer.bytes = 3666;
  report->transfer.segments = 19;
  report->transfer.seconds = 2.0;
  report->transfer.bytes_per_second = 1833;
  report->transfer.delta = TRUE;
  report->transfer.sha256 = g_strnfill (64, 'a');
  report->transfer.wire_bytes = 3666 + 27 * 19 + 59;
  signature = harness_sign_report (report, h->tablet_a, &bytes);
  expect_refused_upload (h, fixture->token, bytes, signature, 403, "delta patch");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/security/reports/forged", Fixture, NULL, set_up, test_forged_reports, tear_down);
  g_test_add ("/security/reports/replayed", Fixture, NULL, set_up, test_replayed_reports,
              tear_down);
  g_test_add ("/security/reports/other-technicians-task", Fixture, NULL, set_up,
              test_other_technicians_task, tear_down);
  g_test_add ("/security/reports/retired-tablet", Fixture, NULL, set_up, test_retired_tablet,
              tear_down);
  g_test_add ("/security/reports/version-rules", Fixture, NULL, set_up, test_version_rules,
              tear_down);
  g_test_add ("/security/reports/unnamed-delta", Fixture, NULL, set_up, test_unnamed_delta,
              tear_down);
  return g_test_run ();
}
