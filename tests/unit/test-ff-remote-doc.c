/* Tests for ff-remote-doc: the signed envelope, the command and result documents of networked
 * terminals (round trips, forged and tampered envelopes, the rules of each document). */
#include "config.h"

#include "ff-document.h"
#include "ff-remote-doc.h"
#include "ff-test-fixtures.h"

#include <string.h>

#define ISSUED 1795248000   /* 2026-11-21T08:00:00Z */
#define COMMAND_ID "0123456789abcdef0123456789abcdef"
#define RESULT_ID "fedcba9876543210fedcba9876543210"
#define PACKAGE_SHA "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"

static FfRemoteCommand *
sample_command (void)
{
  FfRemoteCommand *command = ff_remote_command_new ();

  command->kind = FF_REMOTE_COMMAND_UPGRADE;
  command->command_id = g_strdup (COMMAND_ID);
  command->device_id = g_strdup ("DTU-0001");
  command->issued_at = ISSUED;
  command->not_after = ISSUED + 3600;
  command->package_sha256 = g_strdup (PACKAGE_SHA);
  command->package_size = 4096;
  command->package_url = g_strdup ("https://127.0.0.1:8443/api/v1/agent/packages/" PACKAGE_SHA);
  return command;
}

static FfRemoteResult *
sample_result (void)
{
  FfRemoteResult *result = ff_remote_result_new ();

  result->result_id = g_strdup (RESULT_ID);
  result->command_id = g_strdup (COMMAND_ID);
  result->device_id = g_strdup ("DTU-0001");
  result->outcome = FF_REMOTE_OUTCOME_FAILED;
  result->step = g_strdup ("health-check");
  result->reason = g_strdup ("The main program did not start");
  ff_remote_versions_set (&result->versions, "kernel", "5.10.1");
  ff_remote_versions_set (&result->versions, "main-program", "V2.01");
  result->finished_at = ISSUED + 60;
  return result;
}

static void
test_ids_and_topics (void)
{
  g_autofree char *id = ff_remote_id_new ();
  g_autofree char *topic = ff_remote_topic ("DTU-0001", "result");
  g_autofree char *device = ff_remote_topic_device (topic, "result");
  g_autofree char *not_result = ff_remote_topic_device (topic, "state");

  g_assert_true (ff_remote_id_is_valid (id));
  g_assert_false (ff_remote_id_is_valid ("0123456789ABCDEF0123456789ABCDEF"));
  g_assert_false (ff_remote_id_is_valid ("0123"));
  g_assert_cmpstr (topic, ==, "ff/v1/t/DTU-0001/result");
  g_assert_cmpstr (device, ==, "DTU-0001");
  g_assert_null (not_result);
  g_assert_true (ff_remote_device_id_is_valid ("DTU-0001"));
  g_assert_false (ff_remote_device_id_is_valid ("DTU+1"));
  g_assert_false (ff_remote_device_id_is_valid ("DTU#1"));
  g_assert_false (ff_remote_device_id_is_valid ("DTU/1"));
  /* The agent's requests carry it as device="…": a quote in it ended the parameter there. */
  g_assert_false (ff_remote_device_id_is_valid ("DTU\"1"));
  g_assert_false (ff_remote_device_id_is_valid (""));
}

static void
test_command_round_trip (void)
{
  g_autoptr(FfRemoteCommand) command = sample_command ();
  g_autoptr(FfKey) key = ff_key_generate (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) envelope = ff_remote_command_seal (command, key, &error);
  g_autoptr(FfRemoteCommand) loaded = NULL;
  g_autoptr(GBytes) again = NULL;

  g_assert_no_error (error);
  loaded = ff_remote_command_load (envelope, key, "DTU-0001", ISSUED + 10, &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->kind, ==, FF_REMOTE_COMMAND_UPGRADE);
  g_assert_cmpstr (loaded->command_id, ==, COMMAND_ID);
  g_assert_cmpint (loaded->not_after, ==, ISSUED + 3600);
  g_assert_cmpstr (loaded->package_sha256, ==, PACKAGE_SHA);
  g_assert_cmpint (loaded->package_size, ==, 4096);
  g_assert_null (loaded->campaign_id);
  g_assert_cmpint (loaded->wave, ==, -1);
  again = ff_remote_command_serialize (loaded);
  {
    g_autoptr(GBytes) first = ff_remote_command_serialize (command);
    g_assert_true (g_bytes_equal (again, first));
  }
}

static void
test_command_refused (void)
{
  g_autoptr(FfRemoteCommand) command = sample_command ();
  g_autoptr(FfKey) key = ff_key_generate (NULL);
  g_autoptr(FfKey) other = ff_key_generate (NULL);
  g_autoptr(GBytes) envelope = ff_remote_command_seal (command, key, NULL);
  g_autoptr(GError) error = NULL;

  /* Forged: signed by another key. */
  g_assert_null (ff_remote_command_load (envelope, other, "DTU-0001", ISSUED, &error));
  g_assert_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_SIGNATURE);
  g_clear_error (&error);
  /* For another device. */
  g_assert_null (ff_remote_command_load (envelope, key, "DTU-0002", ISSUED, &error));
  g_assert_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_WRONG_DEVICE);
  g_clear_error (&error);
  /* Expired. */
  g_assert_null (ff_remote_command_load (envelope, key, "DTU-0001", ISSUED + 3601, &error));
  g_assert_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_EXPIRED);
  g_clear_error (&error);
  /* Tampered: another document under the first one's signature. */
  {
    g_autoptr(GBytes) signature = NULL;
    g_autoptr(GBytes) document = ff_remote_envelope_unwrap (envelope, &signature, &error);
    g_autoptr(GString) changed = NULL;
    g_autofree char *document_base64 = NULL;
    g_autofree char *signature_base64 = NULL;
    g_autofree char *forged_text = NULL;
    g_autoptr(GBytes) forged = NULL;

    g_assert_no_error (error);
    changed = g_string_new_len (g_bytes_get_data (document, NULL), g_bytes_get_size (document));
    g_assert_cmpuint (g_string_replace (changed, "DTU-0001", "DTU-0002", 1), ==, 1);
    document_base64 = g_base64_encode ((const guchar *) changed->str, changed->len);
    signature_base64 = g_base64_encode (g_bytes_get_data (signature, NULL), 64);
    forged_text = g_strdup_printf ("{\"document\":\"%s\",\"signature\":\"%s\"}", document_base64,
                                   signature_base64);
    forged = g_bytes_new (forged_text, strlen (forged_text));
    g_assert_null (ff_remote_command_load (forged, key, "DTU-0002", ISSUED, &error));
    g_assert_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_SIGNATURE);
    g_clear_error (&error);
  }
  /* Not an envelope at all. */
  {
    static const char *const bad[] = {
      "{\"document\":\"e30=\"}",
      "{\"document\":\"e30=\",\"signature\":\"!!!\"}",
      "[1]",
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(GBytes) bytes = g_bytes_new_static (bad[i], strlen (bad[i]));

        g_assert_null (ff_remote_command_load (bytes, key, "DTU-0001", ISSUED, &error));
        g_assert_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_INVALID);
        g_clear_error (&error);
      }
  }
  /* Too large to be an envelope. */
  {
    g_autofree char *big = g_strnfill (FF_REMOTE_ENVELOPE_MAX_SIZE + 1, ' ');
    g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&big),
                                                FF_REMOTE_ENVELOPE_MAX_SIZE + 1);

    g_assert_null (ff_remote_envelope_open (bytes, key, &error));
    g_assert_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_INVALID);
  }
}

static gpointer
parse_command (GBytes  *bytes,
               GError **error)
{
  return ff_remote_command_parse (bytes, error);
}

static void
test_command_rules (void)
{
  g_autoptr(FfRemoteCommand) command = sample_command ();
  g_autoptr(GBytes) document = ff_remote_command_serialize (command);
  static const FfTestMutation mutations[] = {
    { "\"format_version\" : 1", "\"format_version\" : 2", "format_version" },
    { "\"upgrade\"", "\"reboot\"", "kind" },
    { "\"upgrade\"", "\"ack\"", "ack" },
    { COMMAND_ID, "0123", "command_id" },
    { "\"DTU-0001\"", "\"DTU+0001\"", "device_id" },
    { "2026-11-21T09:00:00Z", "2026-11-21T07:00:00Z", "not_after" },
    { "\"https://", "\"http://", "url" },
    { "\"size\" : 4096", "\"size\" : 0", "size" },
    { "\"format_version\"", "\"extra\" : 1, \"format_version\"", "extra" },
    { "\"package\" : {", "\"program\" : \"updater\", \"package\" : {", "package" },
  };

  ff_test_assert_mutations_refused (document, mutations, G_N_ELEMENTS (mutations), parse_command);
}

static void
test_rollback_and_ack (void)
{
  g_autoptr(FfKey) key = ff_key_generate (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfRemoteCommand) rollback = sample_command ();
  g_autoptr(FfRemoteCommand) ack = sample_command ();
  g_autoptr(GBytes) envelope = NULL;
  g_autoptr(FfRemoteCommand) loaded = NULL;

  rollback->kind = FF_REMOTE_COMMAND_ROLLBACK;
  g_clear_pointer (&rollback->package_sha256, g_free);
  rollback->program = g_strdup ("updater");
  envelope = ff_remote_command_seal (rollback, key, &error);
  g_assert_no_error (error);
  loaded = ff_remote_command_load (envelope, key, "DTU-0001", ISSUED, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->program, ==, "updater");
  g_assert_null (loaded->package_sha256);
  g_clear_pointer (&envelope, g_bytes_unref);
  g_clear_pointer (&loaded, ff_remote_command_free);

  /* An ack with a package is refused before it is signed. */
  ack->kind = FF_REMOTE_COMMAND_ACK;
  ack->result_id = g_strdup (RESULT_ID);
  g_assert_null (ff_remote_command_seal (ack, key, &error));
  g_assert_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&ack->package_sha256, g_free);
  envelope = ff_remote_command_seal (ack, key, &error);
  g_assert_no_error (error);
  loaded = ff_remote_command_load (envelope, key, "DTU-0001", ISSUED, &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->kind, ==, FF_REMOTE_COMMAND_ACK);
  g_assert_cmpstr (loaded->result_id, ==, RESULT_ID);
}

static void
test_result_round_trip (void)
{
  g_autoptr(FfRemoteResult) result = sample_result ();
  g_autoptr(FfKey) key = ff_key_generate (NULL);
  g_autoptr(FfKey) other = ff_key_generate (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) envelope = ff_remote_result_seal (result, key, &error);
  g_autoptr(FfRemoteResult) loaded = NULL;

  g_assert_no_error (error);
  loaded = ff_remote_result_load (envelope, key, "DTU-0001", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->result_id, ==, RESULT_ID);
  g_assert_cmpint (loaded->outcome, ==, FF_REMOTE_OUTCOME_FAILED);
  g_assert_cmpstr (loaded->step, ==, "health-check");
  g_assert_cmpstr (loaded->reason, ==, "The main program did not start");
  g_assert_cmpstr (loaded->versions.kernel, ==, "5.10.1");
  g_assert_cmpstr (loaded->versions.main_program, ==, "V2.01");
  g_assert_null (loaded->versions.rootfs);
  g_assert_cmpint (loaded->finished_at, ==, ISSUED + 60);

  g_assert_null (ff_remote_result_load (envelope, other, "DTU-0001", &error));
  g_assert_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_SIGNATURE);
  g_clear_error (&error);
  /* Published on another terminal's topic. */
  g_assert_null (ff_remote_result_load (envelope, key, "DTU-0002", &error));
  g_assert_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_WRONG_DEVICE);
}

/* A document parsed before its check (ff_remote_result_load_parsed) is still refused for its
 * signature first, and a signed document that is no result for what it breaks. */
static void
test_result_parsed_before_check (void)
{
  g_autoptr(FfKey) key = ff_key_generate (NULL);
  g_autoptr(FfKey) other = ff_key_generate (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) not_result = g_bytes_new_static ("{\"result_id\":7}", 15);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) envelope = NULL;

  envelope = ff_remote_envelope_seal (not_result, key, &error);
  g_assert_no_error (error);
  document = ff_remote_envelope_unwrap (envelope, &signature, &error);
  g_assert_no_error (error);
  g_assert_null (ff_remote_result_load_parsed (document, signature, NULL, other, "DTU-0001",
                                               &error));
  g_assert_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_SIGNATURE);
  g_clear_error (&error);
  g_assert_null (ff_remote_result_load_parsed (document, signature, NULL, key, "DTU-0001",
                                               &error));
  g_assert_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID);
  g_clear_error (&error);

  /* A result parsed before its check, signed with another key: refused, and freed. */
  g_clear_pointer (&envelope, g_bytes_unref);
  g_clear_pointer (&document, g_bytes_unref);
  g_clear_pointer (&signature, g_bytes_unref);
  {
    g_autoptr(FfRemoteResult) result = sample_result ();

    envelope = ff_remote_result_seal (result, other, &error);
    g_assert_no_error (error);
  }
  document = ff_remote_envelope_unwrap (envelope, &signature, &error);
  g_assert_no_error (error);
  g_assert_null (ff_remote_result_load_parsed (document, signature,
                                               ff_remote_result_parse (document, NULL), key,
                                               "DTU-0001", &error));
  g_assert_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_SIGNATURE);
}

static gpointer
parse_result (GBytes  *bytes,
              GError **error)
{
  return ff_remote_result_parse (bytes, error);
}

static void
test_result_rules (void)
{
  g_autoptr(FfRemoteResult) result = sample_result ();
  g_autoptr(GBytes) document = ff_remote_result_serialize (result);
  static const FfTestMutation mutations[] = {
    { "\"failed\"", "\"maybe\"", "outcome" },
    { "\"health-check\"", "\"reboot\"", "step" },
    { RESULT_ID, "xyz", "result_id" },
    { "\"5.10.1\"", "\"5 10\"", "kernel" },
    { "\"kernel\"", "\"bootloader\"", "versions" },
    { "\"finished_at\"", "\"ended\"", "ended" },
  };

  ff_test_assert_mutations_refused (document, mutations, G_N_ELEMENTS (mutations), parse_result);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/remote-doc/ids-and-topics", test_ids_and_topics);
  g_test_add_func ("/remote-doc/command-round-trip", test_command_round_trip);
  g_test_add_func ("/remote-doc/command-refused", test_command_refused);
  g_test_add_func ("/remote-doc/command-rules", test_command_rules);
  g_test_add_func ("/remote-doc/rollback-and-ack", test_rollback_and_ack);
  g_test_add_func ("/remote-doc/result-round-trip", test_result_round_trip);
  g_test_add_func ("/remote-doc/result-rules", test_result_rules);
  g_test_add_func ("/remote-doc/result-parsed-before-check", test_result_parsed_before_check);
  return g_test_run ();
}
