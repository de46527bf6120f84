/* Tests for ff-task: the task document codec, its validation rules, signature and expiry. */
#include "config.h"

#include "ff-task.h"
#include "ff-test-fixtures.h"

#define ISSUED 1795248000   /* 2026-11-21T08:00:00Z */

static FfTask *
sample_task (void)
{
  FfTask *task = ff_test_task_new (ISSUED, 7 * 24 * 3600, "张伟");
  FfTaskItem *item = ff_test_task_item_new ("DTU0001", "Ring main unit 1 / north", 39.915, 116.404,
                                            "127.0.1.100", 2404);

  item->target.version = g_strdup ("V2.01");
  item->target.sha256 = g_strdup ("2c26b46b68ffc68ff99b453c1d304134"
                                  "13422d706483bfa0f98a5e886266e7ae");
  item->target.size = 65536;
  item->target.file_name = g_strdup ("UpdateProgram.bin");
  item->previous = ff_firmware_ref_new ();
  item->previous->version = g_strdup ("V1.00");
  item->previous->sha256 = g_strdup ("fcde2b2edba56bf408601fb721fe9b5c"
                                     "338d10ee429ea04fae5511b68fbf8fb9");
  item->previous->size = 60000;
  g_ptr_array_add (task->items, item);
  return task;
}

static void
test_make_id (void)
{
  g_autofree char *first = ff_task_make_id ("13800138000", ISSUED, 1);
  g_autofree char *third = ff_task_make_id ("13800138000", ISSUED, 3);

  g_assert_cmpstr (first, ==, "13800138000-20261121");
  g_assert_cmpstr (third, ==, "13800138000-20261121-3");
  g_assert_true (ff_task_id_is_valid (first));
  g_assert_true (ff_task_id_is_valid (third));
  g_assert_false (ff_task_id_is_valid ("13800138000-20261121-1"));
  g_assert_false (ff_task_id_is_valid ("13800138000-20261121-02"));
  g_assert_false (ff_task_id_is_valid ("23800138000-20261121"));
  g_assert_false (ff_task_id_is_valid ("13800138000-2026112"));
  g_assert_false (ff_task_id_is_valid ("13800138000-20261121-2-2"));
  g_assert_false (ff_task_id_is_valid ("../etc/passwd"));
}

static void
test_round_trip (void)
{
  g_autoptr(FfTask) task = sample_task ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = ff_task_serialize (task);
  g_autoptr(FfTask) parsed = ff_task_parse (bytes, &error);
  g_autoptr(GBytes) again = NULL;
  FfTaskItem *item;

  g_assert_no_error (error);
  g_assert_true (ff_task_validate (task, &error));
  again = ff_task_serialize (parsed);
  g_assert_true (g_bytes_equal (bytes, again));
  g_assert_cmpstr (parsed->task_id, ==, "13800138000-20261121");
  g_assert_cmpstr (parsed->technician_name, ==, "张伟");
  g_assert_false (parsed->rollback);
  item = ff_task_find_item (parsed, "DTU0001");
  g_assert_nonnull (item);
  g_assert_cmpfloat (item->latitude, ==, 39.915);
  g_assert_cmpstr (item->target.file_name, ==, "UpdateProgram.bin");
  g_assert_cmpint (item->previous->size, ==, 60000);
  g_assert_cmpstrv (item->target.hardware_versions, ((const char *[]) { "HV1.0", NULL }));
  g_assert_null (ff_task_find_item (parsed, "DTU0002"));
}

/* A target older than the version the ledger expects is a downgrade: without a rollback member the
 * document is refused, whatever else is right in it. */
static void
test_downgrade_needs_rollback (void)
{
  g_autoptr(FfTask) task = sample_task ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(FfTask) parsed = NULL;
  FfTaskItem *item = g_ptr_array_index (task->items, 0);

  g_free (item->expected_version);
  item->expected_version = g_strdup ("V3.00");
  bytes = ff_task_serialize (task);
  parsed = ff_task_parse (bytes, &error);
  g_assert_null (parsed);
  g_assert_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "items[0].target.version"));
  g_assert_nonnull (strstr (error->message, "V3.00"));
  g_assert_nonnull (strstr (error->message, "rollback"));
  g_clear_error (&error);

  /* Numbers compare as numbers: V10.0 is newer than V9.9, so this is no downgrade. */
  g_free (item->expected_version);
  item->expected_version = g_strdup ("V1.9");
  g_free (item->target.version);
  item->target.version = g_strdup ("V1.10");
  g_assert_true (ff_task_validate (task, &error));
  g_assert_no_error (error);

  /* With its reason the same downgrade is a rollback task. */
  g_free (item->expected_version);
  item->expected_version = g_strdup ("V3.00");
  task->rollback = TRUE;
  task->rollback_reason = g_strdup ("V3.00 trips the breaker");
  g_assert_true (ff_task_validate (task, &error));
  g_assert_no_error (error);
}

/* A task of format 1, issued before the hardware list: still read, and the item's hardware
 * version (the ledger's, checked by the platform at issue) is the one hardware it accepts. */
static void
test_format_1_hardware (void)
{
  g_autoptr(FfTask) task = sample_task ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(FfTask) parsed = NULL;
  FfTaskItem *item = g_ptr_array_index (task->items, 0);

  g_strfreev (item->target.hardware_versions);
  item->target.hardware_versions = g_strsplit ("HV2.0,HV2.1", ",", -1);
  g_assert_true (ff_task_item_fits_hardware (item, "HV2.1"));
  g_assert_false (ff_task_item_fits_hardware (item, "HV1.0"));
  g_assert_false (ff_task_item_fits_hardware (item, NULL));

  task->format_version = 1;
  bytes = ff_task_serialize (task);
  g_assert_null (strstr (g_bytes_get_data (bytes, NULL), "hardware_versions"));
  parsed = ff_task_parse (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpint (parsed->format_version, ==, 1);
  item = g_ptr_array_index (parsed->items, 0);
  g_assert_true (ff_task_item_fits_hardware (item, "HV1.0"));
  g_assert_false (ff_task_item_fits_hardware (item, "HV2.0"));
}

static void
test_rollback_round_trip (void)
{
  g_autoptr(FfTask) task = sample_task ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(FfTask) parsed = NULL;
  FfTaskItem *item = g_ptr_array_index (task->items, 0);

  task->rollback = TRUE;
  task->rollback_reason = g_strdup ("V2.01 trips the breaker");
  g_free (item->target.version);
  item->target.version = g_strdup ("V0.90");
  ff_firmware_ref_free (g_steal_pointer (&item->previous));
  bytes = ff_task_serialize (task);
  parsed = ff_task_parse (bytes, &error);
  g_assert_no_error (error);
  g_assert_true (parsed->rollback);
  g_assert_cmpstr (parsed->rollback_reason, ==, "V2.01 trips the breaker");
  g_assert_null (((FfTaskItem *) g_ptr_array_index (parsed->items, 0))->previous);

  g_clear_pointer (&task->rollback_reason, g_free);
  g_assert_false (ff_task_validate (task, &error));
  g_assert_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID);
}

/* Each case replaces a fragment of the canonical sample and expects a refusal naming the field. */
static void
test_validation (void)
{
  static const FfTestMutation cases[] = {
    { "\"format_version\" : 2", "\"format_version\" : 3", "format_version" },
    { "\"format_version\" : 2", "\"format_version\" : 0", "format_version" },
    { "\"format_version\" : 2", "\"format_version\" : \"2\"", "format_version" },
    /* Format 1 had no hardware list: a document that says 1 and carries one is not format 1. */
    { "\"format_version\" : 2", "\"format_version\" : 1", "items[0].target.hardware_versions" },
    { "\"hardware_versions\" : [\n          \"HV1.0\"\n        ]",
      "\"hardware_versions\" : \"HV1.0\"", "items[0].target.hardware_versions" },
    { "\"hardware_versions\" : [\n          \"HV1.0\"\n        ]", "\"hardware_versions\" : []",
      "items[0].target.hardware_versions" },
    { "\"hardware_versions\" : [", "\"hardware_versions\" : [ 1, ",
      "items[0].target.hardware_versions[0]" },
    { "\"hardware_versions\" : [", "\"hardware_versions\" : [ \"HV/1\", ",
      "items[0].target.hardware_versions[0]" },
    { "\"task_id\" : \"13800138000-20261121\"", "\"task_id\" : \"13800138000-2026\"", "task_id" },
    { "\"task_id\" : \"13800138000-20261121\"", "\"task_id\" : \"13900139000-20261121\"",
      "task_id" },
    { "\"issued_at\" : \"2026-11-21T08:00:00Z\"", "\"issued_at\" : \"2026-11-21 08:00\"",
      "issued_at" },
    { "\"issued_at\" : \"2026-11-21T08:00:00Z\"", "\"issued_at\" : \"2026-02-30T08:00:00Z\"",
      "issued_at" },
    { "\"expires_at\" : \"2026-11-28T08:00:00Z\"", "\"expires_at\" : \"2026-11-20T08:00:00Z\"",
      "expires_at" },
    { "\"phone\" : \"13800138000\"", "\"phone\" : \"1380013800\"", "technician.phone" },
    { "\"phone\" : \"13800138000\"", "\"phone\" : \"23800138000\"", "technician.phone" },
    { "\"name\" : \"张伟\"", "\"name\" : \"\"", "technician.name" },
    { "\"TAB-0001\"", "\"../TAB\"", "tablets[0]" },
    { "\"TAB-0001\"", "42", "tablets[0]" },
    { "\"items\" : [", "\"items\" : [ \"DTU0001\",", "items[0]: must be an object" },
    { "\"device_id\" : \"DTU0001\"", "\"device_id\" : \"a/b\"", "items[0].device_id" },
    { "\"device_id\" : \"DTU0001\"", "\"device_id\" : \"..\"", "items[0].device_id" },
    { "\"lat\" : 39.914999999999999", "\"lat\" : 90.5", "items[0].position.lat" },
    { "\"lat\" : 39.914999999999999", "\"lat\" : \"39.9\"", "items[0].position.lat" },
    { "\"lon\" : 116.404", "\"lon\" : -180.01", "items[0].position.lon" },
    { "\"port\" : 2404", "\"port\" : 0", "items[0].address.port" },
    { "\"port\" : 2404", "\"port\" : 65536", "items[0].address.port" },
    { "\"port\" : 2404", "\"port\" : 2404.5", "items[0].address.port" },
    { "\"common_address\" : 1", "\"common_address\" : 65536", "items[0].address.common_address" },
    { "\"common_address\" : 1", "\"common_address\" : -1", "items[0].address.common_address" },
    { "\"host\" : \"127.0.1.100\"", "\"host\" : \"a b\"", "items[0].address.host" },
    { "\"profile\" : \"state-grid\"", "\"profile\" : \"../../etc\"", "items[0].profile" },
    { "\"expected_version\" : \"V1.00\"", "\"expected_version\" : \"V 1\"",
      "items[0].expected_version" },
    { "\"sha256\" : \"2c26", "\"sha256\" : \"2C26", "items[0].target.sha256" },
    { "\"size\" : 65536", "\"size\" : 0", "items[0].target.size" },
    { "\"file_name\" : \"UpdateProgram.bin\"", "\"file_name\" : \"/sojo/UpdateProgram.bin\"",
      "items[0].target.file_name" },
    { "\"file_name\" : \"UpdateProgram.bin\"", "\"file_name\" : \"..\\\\x.bin\"",
      "items[0].target.file_name" },
    { "\"rollback\" : null", "\"rollback\" : true", "rollback" },
    { "\"rollback\" : null", "\"rollback\" : {}", "rollback.reason" },
    { "\"rollback\" : null", "\"rollback\" : null, \"extra\" : 1", "extra" },
    { "\"previous\" : {", "\"previous\" : null, \"x\" : {", "items[0].x" },
    { "\"tablets\" : [\n    \"TAB-0001\"\n  ]", "\"tablets\" : []", "tablets" },
  };
  g_autoptr(FfTask) task = sample_task ();
  g_autoptr(GBytes) bytes = ff_task_serialize (task);

  ff_test_assert_mutations_refused (bytes, cases, G_N_ELEMENTS (cases),
                                    (FfTestParseFunc) ff_task_parse);
}

/* The optional delta member: the patch from the previous firmware to the target. An item without
 * one keeps the bytes it always had; one that names another old image, or a patch no smaller than
 * the image, is refused. */
static void
test_delta (void)
{
  static const FfTestMutation cases[] = {
    { "\"old_sha256\" : \"fcde", "\"old_sha256\" : \"2c26", "items[0].delta.old_sha256" },
    { "\"size\" : 3666", "\"size\" : 65536", "items[0].delta.size" },
    { "\"size\" : 3666", "\"size\" : 0", "items[0].delta.size" },
    { "\"sha256\" : \"f2cc", "\"sha256\" : \"F2CC", "items[0].delta.sha256" },
    { "\"size\" : 3666", "\"size\" : 3666, \"format\" : 1", "items[0].delta.format" },
  };
  g_autoptr(FfTask) task = sample_task ();
  g_autoptr(GBytes) without = ff_task_serialize (task);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(FfTask) parsed = NULL;
  g_autoptr(GError) error = NULL;
  FfTaskItem *item = g_ptr_array_index (task->items, 0);
  g_autoptr(GString) text = NULL;

  g_assert_null (strstr (g_bytes_get_data (without, NULL), "delta"));
  item->delta = ff_delta_ref_new ("f2cc5bd1c1d0b5a4b8d6c0c1b1bd0d4e7e0b7f1f6c0a9b3c2d1e0f9a8b7c6d5e",
                                  3666, item->previous->sha256);
  bytes = ff_task_serialize (task);
  parsed = ff_task_parse (bytes, &error);
  g_assert_no_error (error);
  again = ff_task_serialize (parsed);
  g_assert_true (g_bytes_equal (bytes, again));
  item = g_ptr_array_index (parsed->items, 0);
  g_assert_cmpint (item->delta->size, ==, 3666);
  g_assert_cmpstr (item->delta->old_sha256, ==, item->previous->sha256);
  ff_test_assert_mutations_refused (bytes, cases, G_N_ELEMENTS (cases),
                                    (FfTestParseFunc) ff_task_parse);

  /* Without the image it applies to, the tablet could not tell whether the terminal runs it. */
  text = g_string_new_len (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_assert_cmpuint (g_string_replace (text, "\"previous\" : {\n        \"version\" : \"V1.00\",\n"
                                      "        \"sha256\" : \"fcde2b2edba56bf408601fb721fe9b5c"
                                      "338d10ee429ea04fae5511b68fbf8fb9\",\n"
                                      "        \"size\" : 60000\n      }",
                                      "\"previous\" : null", 1), ==, 1);
  g_clear_pointer (&parsed, ff_task_free);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = g_string_free_to_bytes (g_steal_pointer (&text));
  parsed = ff_task_parse (bytes, &error);
  g_assert_null (parsed);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "items[0].delta.old_sha256"));
}

static void
test_not_json (void)
{
  static const char *const inputs[] = { "", "[]", "{", "null", "{\"a\":\"\\u0000\"}", "\xff\xfe" };

  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = g_bytes_new (inputs[i], strlen (inputs[i]));
      g_autoptr(FfTask) task = ff_task_parse (bytes, &error);

      g_assert_null (task);
      g_assert_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID);
    }
}

static void
test_duplicate_device (void)
{
  g_autoptr(FfTask) task = sample_task ();
  g_autoptr(GError) error = NULL;
  FfTaskItem *copy = ff_task_item_new ();
  FfTaskItem *first = g_ptr_array_index (task->items, 0);

  copy->device_id = g_strdup (first->device_id);
  copy->name = g_strdup ("copy");
  copy->host = g_strdup ("127.0.1.101");
  copy->port = 2404;
  copy->profile = g_strdup ("state-grid");
  copy->vendor = g_strdup ("Acme");
  copy->model = g_strdup ("DTU-3000");
  copy->hardware_version = g_strdup ("HV1.0");
  copy->expected_version = g_strdup ("V1.00");
  copy->target.version = g_strdup ("V2.01");
  copy->target.sha256 = g_strdup (first->target.sha256);
  copy->target.size = 1;
  copy->target.file_name = g_strdup ("UpdateProgram.bin");
  copy->target.hardware_versions = g_strsplit ("HV1.0", ",", -1);
  g_ptr_array_add (task->items, copy);
  g_assert_false (ff_task_validate (task, &error));
  g_assert_nonnull (strstr (error->message, "items[1].device_id"));
}

static void
test_signature_and_expiry (void)
{
  g_autoptr(FfTask) task = sample_task ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FfKey) key = ff_key_generate (&error);
  g_autoptr(FfKey) other = ff_key_generate (&error);
  g_autoptr(GBytes) bytes = ff_task_serialize (task);
  g_autoptr(GBytes) signature = ff_key_sign (key, bytes, &error);
  g_autoptr(FfTask) loaded = NULL;
  g_autoptr(GBytes) flipped = NULL;
  g_autofree char *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  FfTask *refused;

  loaded = ff_task_load_signed (bytes, signature, key, ISSUED + 60, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->task_id, ==, task->task_id);

  refused = ff_task_load_signed (bytes, signature, other, ISSUED + 60, &error);
  g_assert_null (refused);
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  copy[20] ^= 0x01;
  flipped = g_bytes_new (copy, g_bytes_get_size (bytes));
  refused = ff_task_load_signed (flipped, signature, key, ISSUED + 60, &error);
  g_assert_null (refused);
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  refused = ff_task_load_signed (bytes, signature, key, task->expires_at, &error);
  g_assert_null (refused);
  g_assert_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_EXPIRED);
  g_clear_error (&error);
  g_assert_true (ff_task_check_expiry (task, task->expires_at - 1, &error));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/task/make-id", test_make_id);
  g_test_add_func ("/task/round-trip", test_round_trip);
  g_test_add_func ("/task/rollback-round-trip", test_rollback_round_trip);
  g_test_add_func ("/task/downgrade-needs-rollback", test_downgrade_needs_rollback);
  g_test_add_func ("/task/format-1-hardware", test_format_1_hardware);
  g_test_add_func ("/task/validation", test_validation);
  g_test_add_func ("/task/delta", test_delta);
  g_test_add_func ("/task/not-json", test_not_json);
  g_test_add_func ("/task/duplicate-device", test_duplicate_device);
  g_test_add_func ("/task/signature-and-expiry", test_signature_and_expiry);
  return g_test_run ();
}
