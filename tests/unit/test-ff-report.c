/* Tests for ff-report: the upgrade report codec, its validation rules and the tablet signature. */
#include "config.h"

#include <math.h>

#include "ff-report.h"
#include "ff-test-fixtures.h"
#include "iec104-asdu.h"

#define CREATED 1795255200   /* 2026-11-21T10:00:00Z */

static FfReport *
sample_report (void)
{
  FfReport *report = ff_test_report_new ("13800138000-20261121", "DTU0001", FF_TEST_SERIAL,
                                         FF_TEST_PHONE);
  static const float before[] = { 230.1f, 12.5f, 24.0f, 21.5f };
  static const float after[] = { 229.8f, 12.4f, 24.1f, 21.75f };

  g_free (report->report_id);
  report->report_id = g_strdup ("0f8fad5b-d9cb-469f-a165-70867728950e");
  report->created_at = CREATED;
  report->identity.fix_age_s = 0.8;
  report->identity.has_gps = TRUE;
  report->identity.settle_seconds = 5;
  report->identity.measurements = 2;
  report->identity.gps_fixes = g_array_new (FALSE, FALSE, sizeof (FfReportGpsFix));
  g_array_append_vals (report->identity.gps_fixes, (FfReportGpsFix[]) {
    { CREATED - 125, 39.91506, 116.40401, 3, 17.1 },
    { CREATED - 124, 39.91504, 116.40403, 2, NAN },
  }, 2);
  report->versions.before_checksum = g_strdup ("A1B2");
  report->versions.after_checksum = g_strdup ("C3D4");
  report->before.present = report->after.present = report->judgement.present = TRUE;
  for (FfSignal s = 0; s < FF_SIGNAL_COUNT; s++)
    {
      report->before.values[s] = before[s];
      report->after.values[s] = after[s];
      report->judgement.deviation[s] = ABS (after[s] - before[s]) / ABS (before[s]);
      report->judgement.pass[s] = TRUE;
    }
  report->transfer.present = TRUE;
  report->transfer.file_name = g_strdup ("UpdateProgram.bin");
  report->transfer.bytes = 65536;
  report->transfer.segments = 288;
  report->transfer.seconds = 41.5;
  report->transfer.bytes_per_second = 65536 / 41.5;
  report->transfer.retries = 1;
  report->transfer.delta = TRUE;
  report->transfer.sha256 = g_strdup ("f2cc5bd1c1d0b5a4b8d6c0c1b1bd0d4e"
                                      "7e0b7f1f6c0a9b3c2d1e0f9a8b7c6d5e");
  report->transfer.wire_bytes = 4432;
  ff_report_add_event (report, CREATED - 120, "identify", "DTU0001 at 0.18\" / 0.07\"");
  ff_report_add_event (report, CREATED - 60, "push", "288 segments written");
  report->firmware_sha256 = g_strdup ("2c26b46b68ffc68ff99b453c1d304134"
                                      "13422d706483bfa0f98a5e886266e7ae");
  return report;
}

static void
test_new (void)
{
  g_autoptr(FfReport) report = ff_report_new ("13800138000-20261121", "DTU0001", "TAB-1",
                                              "13800138000");
  g_autoptr(FfReport) other = ff_report_new ("13800138000-20261121", "DTU0001", "TAB-1",
                                             "13800138000");
  g_autoptr(GError) error = NULL;

  g_assert_true (g_uuid_string_is_valid (report->report_id));
  g_assert_cmpstr (report->report_id, !=, other->report_id);
  g_assert_cmpint (report->format_version, ==, FF_REPORT_FORMAT_VERSION);
  /* A bare report has no outcome evidence yet: "upgraded" needs versions and identity. */
  g_assert_false (ff_report_validate (report, &error));
  g_clear_error (&error);
  report->outcome = FF_REPORT_OUTCOME_ABORTED;
  ff_report_set_failure (report, "navigate", "Technician cancelled");
  g_assert_true (ff_report_validate (report, &error));
  g_assert_no_error (error);
}

static void
test_round_trip (void)
{
  g_autoptr(FfReport) report = sample_report ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = ff_report_serialize (report);
  g_autoptr(FfReport) parsed = ff_report_parse (bytes, &error);
  g_autoptr(GBytes) again = NULL;
  g_autofree char *hex = ff_float_to_hex (230.1f);

  g_assert_no_error (error);
  again = ff_report_serialize (parsed);
  g_assert_true (g_bytes_equal (bytes, again));
  g_assert_cmpstr (hex, ==, "4366199A");
  g_assert_nonnull (strstr (g_bytes_get_data (bytes, NULL), "\"hex\" : \"4366199A\""));
  g_assert_cmpfloat (parsed->before.values[FF_SIGNAL_LINE_VOLTAGE], ==, 230.1f);
  g_assert_cmpint (parsed->outcome, ==, FF_REPORT_OUTCOME_UPGRADED);
  g_assert_cmpuint (parsed->events->len, ==, 2);
  g_assert_cmpstr (((FfReportEvent *) g_ptr_array_index (parsed->events, 1))->step, ==, "push");
  g_assert_null (parsed->identity.override_by);
  g_assert_cmpuint (parsed->transfer.segments, ==, 288);
  g_assert_true (parsed->identity.has_gps);
  g_assert_cmpfloat (parsed->identity.settle_seconds, ==, 5);
  g_assert_cmpuint (parsed->identity.measurements, ==, 2);
  g_assert_cmpuint (parsed->identity.gps_fixes->len, ==, 2);
  g_assert_cmpint (g_array_index (parsed->identity.gps_fixes, FfReportGpsFix, 0).time, ==,
                   CREATED - 125);
  g_assert_cmpfloat (g_array_index (parsed->identity.gps_fixes, FfReportGpsFix, 0).accuracy_m, ==,
                     17.1);
  g_assert_cmpint (g_array_index (parsed->identity.gps_fixes, FfReportGpsFix, 1).mode, ==, 2);
  g_assert_true (isnan (g_array_index (parsed->identity.gps_fixes, FfReportGpsFix, 1).accuracy_m));
  g_assert_nonnull (strstr (g_bytes_get_data (bytes, NULL), "\"accuracy_m\" : null"));
}

/* A report written before format 2 has no GPS evidence and still reads; format 2 writes it. */
static void
test_format_1 (void)
{
  g_autoptr(FfReport) report = sample_report ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) current = ff_report_serialize (report);
  g_autoptr(GBytes) old = NULL;
  g_autoptr(FfReport) parsed = NULL;

  report->format_version = 1;
  old = ff_report_serialize (report);
  g_assert_null (strstr (g_bytes_get_data (old, NULL), "\"gps\""));
  parsed = ff_report_parse (old, &error);
  g_assert_no_error (error);
  g_assert_cmpint (parsed->format_version, ==, 1);
  g_assert_false (parsed->identity.has_gps);
  g_assert_null (parsed->identity.gps_fixes);

  g_assert_nonnull (strstr (g_bytes_get_data (current, NULL), "\"gps\" : {"));
}

/* Format 2 says what the push sent: the image or the task's delta patch, its digest and the bytes
 * on the link; format 1, written before, has no such member and still reads. */
static void
test_transfer_sent (void)
{
  g_autoptr(FfReport) report = sample_report ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = ff_report_serialize (report);
  g_autoptr(GBytes) format_1 = NULL;
  g_autoptr(FfReport) parsed = ff_report_parse (bytes, &error);
  g_autoptr(FfReport) old = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (strstr (g_bytes_get_data (bytes, NULL), "\"kind\" : \"delta\""));
  g_assert_true (parsed->transfer.delta);
  g_assert_cmpstr (parsed->transfer.sha256, ==, report->transfer.sha256);
  g_assert_cmpint (parsed->transfer.wire_bytes, ==, 4432);

  report->transfer.delta = FALSE;
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = ff_report_serialize (report);
  g_assert_nonnull (strstr (g_bytes_get_data (bytes, NULL), "\"kind\" : \"image\""));

  /* An image sent is the firmware named; a patch is not. */
  g_assert_false (ff_report_validate (report, &error));
  g_assert_nonnull (strstr (error->message, "transfer.sent.sha256"));
  g_clear_error (&error);
  g_free (report->transfer.sha256);
  report->transfer.sha256 = g_strdup (report->firmware_sha256);
  g_assert_true (ff_report_validate (report, &error));
  report->transfer.delta = TRUE;
  g_assert_false (ff_report_validate (report, &error));
  g_assert_nonnull (strstr (error->message, "transfer.sent.sha256"));
  g_clear_error (&error);
  report->transfer.delta = FALSE;

  report->format_version = 1;
  format_1 = ff_report_serialize (report);
  g_assert_null (strstr (g_bytes_get_data (format_1, NULL), "\"sent\""));
  old = ff_report_parse (format_1, &error);
  g_assert_no_error (error);
  g_assert_null (old->transfer.sha256);
}

static void
test_failure_round_trip (void)
{
  g_autoptr(FfReport) report = sample_report ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(FfReport) parsed = NULL;

  report->outcome = FF_REPORT_OUTCOME_ROLLED_BACK;
  ff_report_set_failure (report, "verify", "0x8005 reads V1.00 after reboot");
  report->identity.override_by = g_strdup ("13800138000");
  report->identity.override_reason = g_strdup ("Pole moved 30 m in 2025");
  report->after.present = report->judgement.present = FALSE;
  report->transfer.present = FALSE;
  bytes = ff_report_serialize (report);
  parsed = ff_report_parse (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpint (parsed->outcome, ==, FF_REPORT_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (parsed->failure_step, ==, "verify");
  g_assert_cmpstr (parsed->identity.override_reason, ==, "Pole moved 30 m in 2025");
  g_assert_false (parsed->after.present);
  g_assert_false (parsed->transfer.present);
}

static void
test_outcome_names (void)
{
  for (FfReportOutcome o = FF_REPORT_OUTCOME_UPGRADED; o <= FF_REPORT_OUTCOME_ABORTED; o++)
    {
      FfReportOutcome back;

      g_assert_true (ff_report_outcome_from_string (ff_report_outcome_to_string (o), &back));
      g_assert_cmpint (back, ==, o);
    }
  g_assert_cmpstr (ff_report_outcome_to_string (FF_REPORT_OUTCOME_IDENTITY_MISMATCH), ==,
                   "identity-mismatch");
  g_assert_cmpstr (ff_signal_get_unit (FF_SIGNAL_TEMPERATURE), ==, "°C");
}

/* One wording per outcome for people, translated like every other string. */
static void
test_outcome_descriptions (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (FfReportOutcome o = FF_REPORT_OUTCOME_UPGRADED; o <= FF_REPORT_OUTCOME_ABORTED; o++)
    {
      const char *description = ff_report_outcome_describe (o);

      g_assert_cmpstr (description, !=, "");
      g_assert_true (g_hash_table_add (seen, (gpointer) description));
    }
  g_assert_cmpstr (ff_report_outcome_describe (FF_REPORT_OUTCOME_IDENTITY_MISMATCH), ==,
                   "Wrong terminal: not upgraded");

  /* A report says which identity check failed: the device ID, or (with the right ID) the
   * position. */
  {
    g_autoptr(FfReport) report = sample_report ();

    report->outcome = FF_REPORT_OUTCOME_IDENTITY_MISMATCH;
    report->identity.present = TRUE;
    g_free (report->identity.device_id_read);
    report->identity.device_id_read = g_strdup ("DTU0001");
    g_assert_cmpstr (ff_report_describe (report), ==, "Position check failed: not upgraded");
    g_free (report->identity.device_id_read);
    report->identity.device_id_read = g_strdup ("DTU0999");
    g_assert_cmpstr (ff_report_describe (report), ==, "Wrong device ID: not upgraded");
    report->outcome = FF_REPORT_OUTCOME_UPGRADED;
    g_assert_cmpstr (ff_report_describe (report), ==, "Upgraded");
  }

  ff_test_use_language ("zh_CN");
  g_assert_cmpstr (ff_report_outcome_describe (FF_REPORT_OUTCOME_UPGRADED), ==, "已升级");
  ff_test_use_language (NULL);
  g_assert_cmpstr (ff_report_outcome_describe (FF_REPORT_OUTCOME_UPGRADED), ==, "Upgraded");
}

/* Format 2 keeps each reading's quality (issue 10 item 12); format 1 reports, written before,
 * still read (as plain measurements), and a flagged reading cannot pass the judgement. */
static void
test_quality (void)
{
  g_autoptr(FfReport) report = sample_report ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(FfReport) parsed = NULL;
  g_autoptr(FfReport) old = NULL;
  g_autoptr(GBytes) format_1 = NULL;
  g_autoptr(GString) text = NULL;

  report->outcome = FF_REPORT_OUTCOME_FAILED;
  ff_report_set_failure (report, "snapshot-after", "Current: invalid (IV)");
  report->after.quality[FF_SIGNAL_CURRENT] = IEC104_QUALITY_INVALID | IEC104_QUALITY_SUBSTITUTED;
  report->judgement.pass[FF_SIGNAL_CURRENT] = FALSE;
  bytes = ff_report_serialize (report);
  g_assert_nonnull (strstr (g_bytes_get_data (bytes, NULL),
                            "\"quality\" : [\n        \"invalid\",\n        \"substituted\"\n"
                            "      ]"));
  g_assert_nonnull (strstr (g_bytes_get_data (bytes, NULL), "\"quality\" : []"));
  parsed = ff_report_parse (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parsed->after.quality[FF_SIGNAL_CURRENT], ==,
                    IEC104_QUALITY_INVALID | IEC104_QUALITY_SUBSTITUTED);
  g_assert_cmpuint (parsed->after.quality[FF_SIGNAL_LINE_VOLTAGE], ==, 0);
  g_assert_cmpuint (parsed->before.quality[FF_SIGNAL_CURRENT], ==, 0);

  /* A pass for the flagged reading is refused. */
  report->judgement.pass[FF_SIGNAL_CURRENT] = TRUE;
  g_assert_false (ff_report_validate (report, &error));
  g_assert_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "judgement.current"));
  g_clear_error (&error);

  /* Format 1: no quality members, read as plain measurements. */
  report->judgement.pass[FF_SIGNAL_CURRENT] = FALSE;
  report->after.quality[FF_SIGNAL_CURRENT] = 0;
  report->format_version = 1;
  format_1 = ff_report_serialize (report);
  g_assert_null (strstr (g_bytes_get_data (format_1, NULL), "quality"));
  old = ff_report_parse (format_1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (old->format_version, ==, 1);
  g_assert_cmpuint (old->after.quality[FF_SIGNAL_CURRENT], ==, 0);
  /* …and a format 1 report does not carry them. */
  text = g_string_new_len (g_bytes_get_data (format_1, NULL), g_bytes_get_size (format_1));
  g_string_replace (text, "\"unit\" : \"A\"", "\"unit\" : \"A\", \"quality\" : []", 1);
  g_clear_pointer (&format_1, g_bytes_unref);
  format_1 = g_string_free_to_bytes (g_steal_pointer (&text));
  g_assert_null (ff_report_parse (format_1, &error));
  g_assert_nonnull (error);
}

static void
test_validation (void)
{
  static const FfTestMutation cases[] = {
    { "\"report_id\" : \"0f8fad5b", "\"report_id\" : \"xf8fad5b", "report_id" },
    { "\"task_id\" : \"13800138000-20261121\"", "\"task_id\" : \"../x\"", "task_id" },
    { "\"device_id\" : \"DTU0001\"", "\"device_id\" : \"DTU/0001\"", "device_id" },
    { "\"tablet_serial\" : \"TAB-0001\"", "\"tablet_serial\" : \"..\"", "tablet_serial" },
    { "\"technician_phone\" : \"13800138000\"", "\"technician_phone\" : \"138\"",
      "technician_phone" },
    { "\"created_at\" : \"2026-11-21T10:00:00Z\"", "\"created_at\" : 1795255200", "created_at" },
    { "\"outcome\" : \"upgraded\"", "\"outcome\" : \"done\"", "outcome" },
    { "\"outcome\" : \"upgraded\"", "\"outcome\" : \"failed\"", "failure" },
    { "\"failure\" : null", "\"failure\" : {\"reason\" : \"x\", \"step\" : \"push\"}",
      "failure" },
    { "\"identity\" : {", "\"identity\" : null, \"x\" : {", "x" },
    { "\"lat\" : 39.915050000000001", "\"lat\" : -90.1", "identity.tablet_fix.lat" },
    { "\"fix_mode\" : \"3d\"", "\"fix_mode\" : \"4d\"", "identity.fix_mode" },
    { "\"fix_age_s\" : 0.80000000000000004", "\"fix_age_s\" : -1", "identity.fix_age_s" },
    { "\"fix_mode\" : \"2d\"", "\"fix_mode\" : \"none\"", "identity.gps.fixes[1].fix_mode" },
    { "\"accuracy_m\" : 17.1", "\"accuracy_m\" : -1", "identity.gps.fixes[0].accuracy_m" },
    { "\"measurements\" : 2", "\"measurements\" : \"2\"", "identity.gps.measurements" },
    { "\"fixes\" : [", "\"fixes\" : 1, \"x\" : [", "identity.gps" },
    { "\"after\" : \"V2.01\"", "\"after\" : \"V1.00\"", "versions" },
    { "\"after\" : \"V2.01\"", "\"after\" : \"V2/01\"", "versions.after" },
    { "\"hex\" : \"4366199A\"", "\"hex\" : \"43661999\"", "snapshot_before.line_voltage.value" },
    { "\"hex\" : \"4366199A\"", "\"hex\" : \"4366199\"", "snapshot_before.line_voltage.hex" },
    { "\"hex\" : \"4366199A\"", "\"hex\" : \"43661g99\"", "snapshot_before.line_voltage.hex" },
    { "\"unit\" : \"V\"", "\"unit\" : \"kV\"", "snapshot_before.line_voltage.unit" },
    { "\"snapshot_after\" : {", "\"snapshot_after\" : null, \"y\" : {", "y" },
    { "\"pass\" : true", "\"pass\" : 1", "judgement.line_voltage.pass" },
    { "\"quality\" : []", "\"quality\" : [\"bad\"]", "snapshot_before.line_voltage.quality" },
    { "\"quality\" : []", "\"quality\" : [\"invalid\", \"invalid\"]",
      "snapshot_before.line_voltage.quality" },
    { "\"quality\" : []", "\"quality\" : 128", "snapshot_before.line_voltage.quality" },
    { "\"quality\" : []", "\"qualities\" : []", "snapshot_before.line_voltage" },
    { "\"file_name\" : \"UpdateProgram.bin\"", "\"file_name\" : \"a/../b\"",
      "transfer.file_name" },
    { "\"retries\" : 1", "\"retries\" : -1", "transfer.retries" },
    { "\"step\" : \"push\"", "\"step\" : 3", "events[1].step" },
    { "\"events\" : [", "\"events\" : [ 7,", "events[0]: must be an object" },
    { "\"fixes\" : [", "\"fixes\" : [ null,", "identity.gps.fixes[0]: must be an object" },
    { "\"sha256\" : \"2c26", "\"sha256\" : \"zz26", "firmware.sha256" },
    { "\"kind\" : \"delta\"", "\"kind\" : \"bsdiff\"", "transfer.sent.kind" },
    { "\"sha256\" : \"f2cc", "\"sha256\" : \"F2CC", "transfer.sent.sha256" },
    { "\"wire_bytes\" : 4432", "\"wire_bytes\" : -1", "transfer.sent.wire_bytes" },
  };
  g_autoptr(FfReport) report = sample_report ();
  g_autoptr(GBytes) bytes = ff_report_serialize (report);

  ff_test_assert_mutations_refused (bytes, cases, G_N_ELEMENTS (cases),
                                    (FfTestParseFunc) ff_report_parse);
}

/* What json-glib cannot be trusted with is refused before it parses: nesting deeper than
 * FF_DOCUMENT_MAX_DEPTH (deep enough overflows the stack) and a \u0000 escape (it cuts the
 * string there). An escaped backslash before "u0000" is text like any other. json-glib also
 * reads comments, single-quoted strings and hex numbers; a '"' in the first two hid the brackets
 * after it from the depth scan, so none of them is read. */
static void
test_json_bounds (void)
{
  g_autoptr(GString) deep = g_string_new ("\"failure\" : ");
  FfTestMutation cases[] = {
    { "\"device_id\" : \"DTU0001\"", "\"device_id\" : \"DTU0001\\u0000x\"", "NUL" },
    { "\"technician_phone\" : \"13800138000\"",
      "\"technician_phone\" : \"13800138000\\u0000\"", "NUL" },
    { "\"failure\" : null", NULL, "deeper than 32 levels" },
    { "\"failure\" : null", "\"failure\" : /* \" */ null", "strict JSON" },
    { "\"device_id\" : \"DTU0001\"", "\"device_id\" : 'DTU0001'", "strict JSON" },
    { "\"fix_age_s\" : ", "\"fix_age_s\" : 0x0", "strict JSON" },
  };
  g_autoptr(FfReport) report = sample_report ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(FfReport) parsed = NULL;
  g_autoptr(GError) error = NULL;
  FfReportEvent *event;

  for (guint i = 0; i <= FF_DOCUMENT_MAX_DEPTH; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i <= FF_DOCUMENT_MAX_DEPTH; i++)
    g_string_append_c (deep, ']');
  cases[2].to = deep->str;
  ff_report_add_event (report, report->created_at, "verify", "read \\u0000 from C:\\u0000");
  bytes = ff_report_serialize (report);
  ff_test_assert_mutations_refused (bytes, cases, G_N_ELEMENTS (cases),
                                    (FfTestParseFunc) ff_report_parse);
  parsed = ff_report_parse (bytes, &error);
  g_assert_no_error (error);
  event = g_ptr_array_index (parsed->events, parsed->events->len - 1);
  g_assert_cmpstr (event->message, ==, "read \\u0000 from C:\\u0000");
}

/* json-glib read a document's first value and ignored what followed it; and it quoted an unpaired
 * surrogate escape it could not read as bytes that are not UTF-8, which went into the platform's
 * (UTF-8) answers. */
static void
test_json_end (void)
{
  g_autoptr(FfReport) report = sample_report ();
  g_autoptr(GBytes) bytes = ff_report_serialize (report);
  g_autoptr(GString) text = g_string_new_len (g_bytes_get_data (bytes, NULL),
                                              g_bytes_get_size (bytes));
  g_autoptr(GBytes) two = NULL;
  g_autoptr(GBytes) surrogate = NULL;
  g_autoptr(GError) error = NULL;
  FfReport *parsed;

  g_string_append (text, "\n{}\n");
  two = g_bytes_new (text->str, text->len);
  parsed = ff_report_parse (two, &error);
  g_assert_null (parsed);
  g_assert_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "goes on after its end"));
  g_clear_error (&error);

  g_assert_cmpuint (g_string_replace (text, "\"TAB-0001\",", "\"TAB-0001\\ud800\",", 1), ==, 1);
  surrogate = g_bytes_new (text->str, text->len - strlen ("{}\n"));
  parsed = ff_report_parse (surrogate, &error);
  g_assert_null (parsed);
  g_assert_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
test_signature (void)
{
  g_autoptr(FfReport) report = sample_report ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FfKey) tablet = ff_key_generate (&error);
  g_autoptr(FfKey) other = ff_key_generate (&error);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) signature = ff_report_sign (report, tablet, &bytes, &error);
  g_autoptr(FfReport) loaded = NULL;
  g_autoptr(GBytes) flipped = NULL;
  g_autofree char *copy = NULL;
  FfReport *refused;

  g_assert_no_error (error);
  loaded = ff_report_load_signed (bytes, signature, tablet, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->report_id, ==, report->report_id);

  refused = ff_report_load_signed (bytes, signature, other, &error);
  g_assert_null (refused);
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  copy = g_memdup2 (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  copy[g_bytes_get_size (bytes) / 2] ^= 0x01;
  flipped = g_bytes_new (copy, g_bytes_get_size (bytes));
  refused = ff_report_load_signed (flipped, signature, tablet, &error);
  g_assert_null (refused);
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_SIGNATURE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report/new", test_new);
  g_test_add_func ("/report/round-trip", test_round_trip);
  g_test_add_func ("/report/failure-round-trip", test_failure_round_trip);
  g_test_add_func ("/report/format-1", test_format_1);
  g_test_add_func ("/report/transfer-sent", test_transfer_sent);
  g_test_add_func ("/report/outcome-names", test_outcome_names);
  g_test_add_func ("/report/outcome-descriptions", test_outcome_descriptions);
  g_test_add_func ("/report/quality", test_quality);
  g_test_add_func ("/report/validation", test_validation);
  g_test_add_func ("/report/json-bounds", test_json_bounds);
  g_test_add_func ("/report/json-end", test_json_end);
  g_test_add_func ("/report/signature", test_signature);
  return g_test_run ();
}
