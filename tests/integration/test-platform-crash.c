/* Crash safety: kill -9 the platform while reports stream in, restart it, upload everything again,
 * and every report is ingested exactly once; what a killed upload or init left is removed at the
 * restart. */
#include "config.h"

#include "platform-harness.h"

#define N_TERMINALS 60
#define KILL_AFTER 15

typedef struct
{
  Harness    *h;
  GPtrArray  *bytes;        /* of GBytes: signed report bodies */
  GPtrArray  *signatures;
  guint       answered;
} Stream;

static char *
ledger_text (void)
{
  GString *text = g_string_new ("device_id,name,latitude,longitude,vendor,model,hardware_version,"
                                "software_version,software_checksum,host,port,common_address,"
                                "profile\n");

  for (guint i = 0; i < N_TERMINALS; i++)
    g_string_append_printf (text, "CRASH%04u,Site %u,39.%04u,116.%04u,Acme,DTU-3000,HV1.0,V1.00,,"
                            "127.0.0.1,2404,%u,state-grid\n", i, i, i, i, i + 1);
  return g_string_free (text, FALSE);
}

static void
uploaded (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Stream *stream = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);

  /* Uploads still in flight when the server dies fail; that is the point of the test. */
  stream->answered++;
}

static guint
count_lines_with (const char *text,
                  const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
test_crash_and_replay (void)
{
  Harness *h = harness_new ();
  g_autofree char *ledger = ledger_text ();
  g_autofree char *ledger_path = NULL, *terminals = NULL, *task_out = NULL, *token = NULL;
  g_autofree char *reports = NULL, *handhelds = NULL, *task_id = NULL, *key_path = NULL;
  g_autoptr(GString) ids = g_string_new (NULL);
  Stream stream = { h, g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref),
                    g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref), 0 };
  guint created = 0, duplicates = 0;
  g_autoptr(FfKey) tablet = ff_key_generate (NULL);
  g_autofree char *tablet_pem = ff_key_get_public_pem (tablet);

  harness_setup_world (h);
  ledger_path = harness_write (h, "crash.csv", ledger, -1);
  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "terminals", "import", ledger_path, NULL), ==,
                   0);
  for (guint i = 0; i < N_TERMINALS; i++)
    g_string_append_printf (ids, "%sCRASH%04u", i ? "," : "", i);
  key_path = harness_write (h, "tab-9.pub.pem", tablet_pem, -1);
  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "handhelds", "add", "TAB-0009", "--pubkey",
                                key_path, NULL), ==, 0);
  g_assert_cmpint (harness_run (h, NULL, &task_out, NULL, "tasks", "create", "--technician",
                                HARNESS_PHONE_A, "--handheld", "TAB-0009", "--terminals", ids->str,
                                "--firmware", "V2.01", NULL), ==, 0);
  task_id = g_strndup (strstr (task_out, HARNESS_PHONE_A "-"),
                       strcspn (strstr (task_out, HARNESS_PHONE_A "-"), " "));

  /* TAB-0009's own key pair signs its reports (a key identifies one tablet). */
  for (guint i = 0; i < N_TERMINALS; i++)
    {
      g_autofree char *device = g_strdup_printf ("CRASH%04u", i);
      g_autoptr(FfReport) report = harness_report (task_id, device, "TAB-0009", HARNESS_PHONE_A);
      GBytes *bytes = NULL;
      GBytes *signature = ff_report_sign (report, tablet, &bytes, NULL);

      g_ptr_array_add (stream.bytes, bytes);
      g_ptr_array_add (stream.signatures, signature);
    }

  harness_start (h, FALSE);
  token = harness_login (h, HARNESS_PHONE_A, HARNESS_PIN_A, "TAB-0009");
  for (guint i = 0; i < N_TERMINALS; i++)
    {
      g_autofree char *url = g_strconcat (h->base_url, "/api/v1/reports", NULL);
      g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
      g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
      GBytes *signature = g_ptr_array_index (stream.signatures, i);
      g_autofree char *encoded = g_base64_encode (g_bytes_get_data (signature, NULL), 64);
      SoupMessageHeaders *headers = soup_message_get_request_headers (message);

      soup_message_headers_replace (headers, "Authorization", bearer);
      soup_message_headers_replace (headers, "Fieldflash-Signature", encoded);
      soup_message_set_request_body_from_bytes (message, "application/json",
                                                g_ptr_array_index (stream.bytes, i));
      soup_session_send_and_read_async (h->session, message, G_PRIORITY_DEFAULT, NULL, uploaded,
                                        &stream);
    }
  while (stream.answered < KILL_AFTER)
    g_main_context_iteration (NULL, TRUE);
  harness_kill (h);
  while (stream.answered < N_TERMINALS)
    g_main_context_iteration (NULL, TRUE);

  /* Restart and upload everything again, in order, until each one is acknowledged. */
  harness_start (h, FALSE);
  for (guint i = 0; i < N_TERMINALS; i++)
    {
      guint status = harness_upload (h, token, g_ptr_array_index (stream.bytes, i),
                                     g_ptr_array_index (stream.signatures, i), NULL);

      g_assert_true (status == 200 || status == 201);
      created += status == 201;
      duplicates += status == 200;
    }
  g_test_message ("after restart: %u ingested, %u already there", created, duplicates);
  g_assert_cmpuint (created + duplicates, ==, N_TERMINALS);

  g_assert_cmpint (harness_run (h, NULL, &reports, NULL, "reports", "list", "--task", task_id,
                                NULL), ==, 0);
  g_assert_cmpuint (count_lines_with (reports, "\tupgraded"), ==, N_TERMINALS);
  for (guint i = 0; i < N_TERMINALS; i++)
    {
      g_autofree char *device = g_strdup_printf ("CRASH%04u", i);
      g_autofree char *history = NULL;

      g_assert_cmpint (harness_run (h, NULL, &history, NULL, "history", device, NULL), ==, 0);
      /* One row from the ledger, exactly one from the report. */
      g_assert_cmpuint (count_lines_with (history, "\treport\t"), ==, 1);
      g_assert_cmpuint (count_lines_with (history, "V1.00 → V2.01"), ==, 1);
    }
  g_assert_cmpint (harness_run (h, NULL, &handhelds, NULL, "handhelds", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (handhelds, "TAB-0009\tin stock"));

  g_ptr_array_unref (stream.bytes);
  g_ptr_array_unref (stream.signatures);
  harness_free (h);
}

/* A console upload goes into DATA/uploads as it arrives (up to 256 MiB) and is removed after its
 * answer; one that was coming in when the daemon was killed stayed for good, each such kill
 * another. The next serve removes it. The leftover is written here as the killed daemon leaves
 * it: no request can be relied on to be half-read at the moment of a kill. */
static void
test_upload_leftovers (void)
{
  Harness *h = harness_new ();
  g_autofree char *uploads = g_build_filename (h->data_dir, "uploads", NULL);
  g_autofree char *leftover = g_build_filename (uploads, "upload-K1LLED", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "init", NULL), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (uploads, 0700), ==, 0);
  g_file_set_contents (leftover, "the first megabytes of an image", -1, &error);
  g_assert_no_error (error);
  harness_start (h, FALSE);
  g_assert_false (g_file_test (leftover, G_FILE_TEST_EXISTS));
  harness_free (h);
}

/* init writes its keys and certificate each through a temporary NAME.XXXXXX (mode 0600) renamed
 * into place; a killed init left that file, a private key among them, for good. The next init
 * removes them; a file of another name stays, and so does every such name once the directory is
 * initialised (serve removes only the uploads: "tls.key.backup" is an operator's copy). */
static void
test_init_leftovers (void)
{
  Harness *h = harness_new ();
  const char *const leftovers[] = { "tls.key.K1LLED", "platform-key.pem.a8Zq0x", "tls.crt.000000",
                                    "platform-key.pub.pem.QQQQQQ" };
  g_autofree char *kept = g_build_filename (h->data_dir, "tls.key.orig", NULL);

  g_assert_cmpint (g_mkdir_with_parents (h->data_dir, 0700), ==, 0);
  for (int round = 0; round < 2; round++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (leftovers); i++)
        {
          g_autofree char *path = g_build_filename (h->data_dir, leftovers[i], NULL);
          g_autoptr(GError) error = NULL;

          g_file_set_contents_full (path, "-----BEGIN PRIVATE KEY-----\n", -1,
                                    G_FILE_SET_CONTENTS_NONE, 0600, &error);
          g_assert_no_error (error);
        }
      /* The first round as a killed init leaves them: the next init removes them. The second
       * with the directory initialised: such names are the operator's then, and serve keeps them. */
      if (round == 0)
        {
          g_assert_true (g_file_set_contents (kept, "an operator's copy", -1, NULL));
          g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "init", NULL), ==, 0);
        }
      else
        harness_start (h, FALSE);
      for (guint i = 0; i < G_N_ELEMENTS (leftovers); i++)
        {
          g_autofree char *path = g_build_filename (h->data_dir, leftovers[i], NULL);

          g_test_message ("round %d: %s", round, leftovers[i]);
          g_assert_cmpint (g_file_test (path, G_FILE_TEST_EXISTS), ==, round == 1);
        }
      g_assert_true (g_file_test (kept, G_FILE_TEST_IS_REGULAR));
    }
  harness_free (h);
}

/* A supervisor may stop serve as soon as it says it listens. Its SIGTERM handler used to come
 * after that line, and such a SIGTERM killed it more often than not: each start here is stopped
 * at once, and harness_stop asserts a clean exit (status 0, not a signal). */
static void
test_stop_at_once (void)
{
  Harness *h = harness_new ();

  g_assert_cmpint (harness_run (h, NULL, NULL, NULL, "init", NULL), ==, 0);
  for (int i = 0; i < 8; i++)
    {
      harness_start (h, FALSE);
      harness_stop (h);
    }
  harness_free (h);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/platform/crash/kill-during-uploads", test_crash_and_replay);
  g_test_add_func ("/platform/crash/upload-leftovers", test_upload_leftovers);
  g_test_add_func ("/platform/crash/init-leftovers", test_init_leftovers);
  g_test_add_func ("/platform/crash/stop-at-once", test_stop_at_once);
  return g_test_run ();
}
