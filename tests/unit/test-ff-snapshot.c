/* Unit tests of ff-snapshot: the before/after judgement, including zero, near-zero and negative
 * values, the exact 10 % boundary and values that are not numbers. */
#include "config.h"

#include <math.h>

#include "ff-snapshot.h"
#include "iec104-asdu.h"

static FfSnapshot
snapshot_of (float line, float current, float battery, float temperature)
{
  FfSnapshot s = { { line, current, battery, temperature }, { TRUE, TRUE, TRUE, TRUE } };
  return s;
}

static void
test_hex (void)
{
  /* The iec104 profile's example frame carries 220.5 (00 80 5C 43 little-endian). */
  g_autofree char *a = ff_snapshot_value_to_hex (220.5f);
  g_autofree char *minus_zero = ff_snapshot_value_to_hex (-0.0f);

  g_assert_cmpstr (a, ==, "435C8000");
  g_assert_cmpstr (minus_zero, ==, "80000000");
}

static void
test_judge_within_and_beyond (void)
{
  FfSnapshot before = snapshot_of (220.0f, 100.0f, 24.0f, 25.0f);
  FfSnapshot good = snapshot_of (230.0f, 91.0f, 25.0f, 27.0f);
  FfSnapshot bad_current = snapshot_of (220.0f, 111.0f, 24.0f, 25.0f);
  FfSignalJudgement j[FF_N_SIGNALS];

  g_assert_true (ff_snapshot_judge (&before, &good, j));
  for (guint i = 0; i < FF_SIGNAL_COUNT; i++)
    g_assert_true (j[i].passed);
  g_assert_cmpfloat_with_epsilon (j[FF_SIGNAL_LINE_VOLTAGE].relative_error, 10.0 / 220.0, 1e-6);

  g_assert_false (ff_snapshot_judge (&before, &bad_current, j));
  g_assert_false (j[FF_SIGNAL_CURRENT].passed);
  g_assert_true (j[FF_SIGNAL_LINE_VOLTAGE].passed);
  g_assert_cmpfloat_with_epsilon (j[FF_SIGNAL_CURRENT].relative_error, 0.11, 1e-6);
}

static void
test_judge_exactly_ten_percent_fails (void)
{
  /* "below 10 %": the boundary itself fails. 200 → 220 and 200 → 180 are exact in binary32. */
  FfSnapshot before = snapshot_of (200.0f, 100.0f, 24.0f, 25.0f);
  FfSnapshot up = snapshot_of (220.0f, 100.0f, 24.0f, 25.0f);
  FfSnapshot down = snapshot_of (180.0f, 100.0f, 24.0f, 25.0f);
  FfSignalJudgement j[FF_N_SIGNALS];

  g_assert_false (ff_snapshot_judge (&before, &up, j));
  g_assert_false (j[FF_SIGNAL_LINE_VOLTAGE].passed);
  g_assert_false (ff_snapshot_judge (&before, &down, j));
  g_assert_false (j[FF_SIGNAL_LINE_VOLTAGE].passed);
}

static void
test_judge_zero_before (void)
{
  /* No load: 0 A before. Without the floor any after-value would be an infinite error. */
  FfSnapshot before = snapshot_of (220.0f, 0.0f, 24.0f, 0.0f);
  FfSnapshot small = snapshot_of (220.0f, 0.05f, 24.0f, 0.4f);
  FfSnapshot large = snapshot_of (220.0f, 0.2f, 24.0f, 0.4f);
  FfSnapshot both_zero = snapshot_of (220.0f, 0.0f, 24.0f, -0.0f);
  FfSignalJudgement j[FF_N_SIGNALS];

  g_assert_true (ff_snapshot_judge (&before, &small, j));
  g_assert_cmpfloat_with_epsilon (j[FF_SIGNAL_CURRENT].relative_error, 0.05, 1e-6);
  g_assert_cmpfloat_with_epsilon (j[FF_SIGNAL_TEMPERATURE].relative_error, 0.08, 1e-6);
  g_assert_false (ff_snapshot_judge (&before, &large, j));
  g_assert_false (j[FF_SIGNAL_CURRENT].passed);
  g_assert_true (ff_snapshot_judge (&before, &both_zero, j));
  g_assert_cmpfloat (j[FF_SIGNAL_CURRENT].relative_error, ==, 0.0);
  g_assert_cmpfloat (j[FF_SIGNAL_TEMPERATURE].relative_error, ==, 0.0);
}

static void
test_judge_negative_values (void)
{
  /* Winter: −20 °C; reverse power flow: negative current. The magnitude is what counts. */
  FfSnapshot before = snapshot_of (220.0f, -50.0f, 24.0f, -20.0f);
  FfSnapshot close = snapshot_of (220.0f, -54.0f, 24.0f, -21.5f);
  FfSnapshot flipped = snapshot_of (220.0f, 50.0f, 24.0f, -20.0f);
  FfSignalJudgement j[FF_N_SIGNALS];

  g_assert_true (ff_snapshot_judge (&before, &close, j));
  g_assert_cmpfloat_with_epsilon (j[FF_SIGNAL_CURRENT].relative_error, 0.08, 1e-6);
  g_assert_cmpfloat_with_epsilon (j[FF_SIGNAL_TEMPERATURE].relative_error, 0.075, 1e-6);
  g_assert_false (ff_snapshot_judge (&before, &flipped, j));
  g_assert_cmpfloat_with_epsilon (j[FF_SIGNAL_CURRENT].relative_error, 2.0, 1e-6);
}

static void
test_judge_not_a_number_or_missing (void)
{
  FfSnapshot before = snapshot_of (220.0f, 10.0f, 24.0f, 25.0f);
  FfSnapshot after = snapshot_of (220.0f, 10.0f, 24.0f, NAN);
  FfSnapshot partial = snapshot_of (220.0f, 10.0f, 24.0f, 25.0f);
  FfSignalJudgement j[FF_N_SIGNALS];
  FfReportSnapshot in_report;
  FfReportJudgement report_judgement;

  g_assert_false (ff_snapshot_judge (&before, &after, j));
  g_assert_false (j[FF_SIGNAL_TEMPERATURE].passed);
  g_assert_true (isnan (j[FF_SIGNAL_TEMPERATURE].relative_error));
  g_assert_true (j[FF_SIGNAL_LINE_VOLTAGE].passed);

  /* In the report a deviation that is not a number becomes a failed, finite one. */
  ff_snapshot_judgement_to_report (j, &report_judgement);
  g_assert_false (report_judgement.pass[FF_SIGNAL_TEMPERATURE]);
  g_assert_true (isfinite (report_judgement.deviation[FF_SIGNAL_TEMPERATURE]));
  g_assert_true (report_judgement.pass[FF_SIGNAL_LINE_VOLTAGE]);

  partial.present[FF_SIGNAL_BATTERY_VOLTAGE] = FALSE;
  g_assert_false (ff_snapshot_is_complete (&partial));
  g_assert_false (ff_snapshot_to_report (&partial, &in_report));
  g_assert_false (in_report.present);
  g_assert_false (ff_snapshot_judge (&before, &partial, j));
  g_assert_false (j[FF_SIGNAL_BATTERY_VOLTAGE].passed);
  g_assert_true (ff_snapshot_to_report (&before, &in_report));
  g_assert_cmpfloat (in_report.values[FF_SIGNAL_CURRENT], ==, 10.0f);
}

/* issue 10 item 12: a reading with IV, NT, SB (or BL, OV) cannot pass, whatever its value, on
 * either side; the judgement says which side and which flag, and the reading never reads as a
 * normal one. */
static void
test_judge_quality (void)
{
  static const guint8 flags[] = {
    IEC104_QUALITY_INVALID, IEC104_QUALITY_NOT_TOPICAL, IEC104_QUALITY_SUBSTITUTED,
    IEC104_QUALITY_BLOCKED, IEC104_QUALITY_OVERFLOW,
  };
  FfSnapshot before = snapshot_of (220.0f, 100.0f, 24.0f, 25.0f);
  FfSnapshot after = snapshot_of (220.0f, 100.0f, 24.0f, 25.0f);
  FfSignalJudgement j[FF_N_SIGNALS];
  FfReportSnapshot in_report;
  g_autofree char *why = NULL;
  g_autofree char *reading = NULL;
  g_autofree char *plain = NULL;

  g_assert_true (ff_snapshot_judge (&before, &after, j));
  g_assert_cmpint (ff_snapshot_find_bad_quality (&after), ==, FF_N_SIGNALS);
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    {
      after.quality[FF_SIGNAL_CURRENT] = flags[i];
      g_assert_false (ff_snapshot_judge (&before, &after, j));
      g_assert_false (j[FF_SIGNAL_CURRENT].passed);
      g_assert_cmpfloat (j[FF_SIGNAL_CURRENT].relative_error, ==, 0.0);
      g_assert_true (j[FF_SIGNAL_LINE_VOLTAGE].passed);
      g_assert_cmpint (ff_snapshot_find_bad_quality (&after), ==, FF_SIGNAL_CURRENT);
    }

  after.quality[FF_SIGNAL_CURRENT] = IEC104_QUALITY_INVALID;
  g_assert_false (ff_snapshot_judge (&before, &after, j));
  why = ff_snapshot_judgement_describe (&j[FF_SIGNAL_CURRENT]);
  g_assert_cmpstr (why, ==, "Not a valid reading after the upgrade: invalid (IV)");
  reading = ff_snapshot_format_reading (&after, FF_SIGNAL_CURRENT);
  g_assert_cmpstr (reading, ==, "100.00 A — invalid (IV)");
  plain = ff_snapshot_format_reading (&after, FF_SIGNAL_LINE_VOLTAGE);
  g_assert_cmpstr (plain, ==, "220.00 V");
  /* The report keeps the flag. */
  g_assert_true (ff_snapshot_to_report (&after, &in_report));
  g_assert_cmpuint (in_report.quality[FF_SIGNAL_CURRENT], ==, IEC104_QUALITY_INVALID);

  /* A flagged before-reading is no baseline either. */
  after.quality[FF_SIGNAL_CURRENT] = 0;
  before.quality[FF_SIGNAL_TEMPERATURE] = IEC104_QUALITY_SUBSTITUTED;
  g_assert_false (ff_snapshot_judge (&before, &after, j));
  g_assert_false (j[FF_SIGNAL_TEMPERATURE].passed);
  g_clear_pointer (&why, g_free);
  why = ff_snapshot_judgement_describe (&j[FF_SIGNAL_TEMPERATURE]);
  g_assert_cmpstr (why, ==, "Not a valid reading before the upgrade: substituted (SB)");
}

static void
test_floors_documented (void)
{
  for (guint s = 0; s < FF_SIGNAL_COUNT; s++)
    {
      g_assert_cmpfloat (ff_signal_get_zero_floor (s), >, 0.0);
      g_assert_nonnull (ff_signal_get_label (s));
    }
}

static void
test_signal_values_read_well (void)
{
  static const struct
  {
    FfSignal    signal;
    double      value;
    const char *text;
  } cases[] = {
    { FF_SIGNAL_LINE_VOLTAGE, 10500.54, "10.50 kV" },
    { FF_SIGNAL_LINE_VOLTAGE, -10500.54, "-10.50 kV" },
    { FF_SIGNAL_LINE_VOLTAGE, 230.1, "230.10 V" },
    { FF_SIGNAL_CURRENT, 1250.0, "1.25 kA" },
    { FF_SIGNAL_CURRENT, 118.13, "118.13 A" },
    { FF_SIGNAL_BATTERY_VOLTAGE, 23.88, "23.88 V" },
    { FF_SIGNAL_TEMPERATURE, 1200.0, "1200.00 °C" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = ff_signal_format_value (cases[i].signal, cases[i].value);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/snapshot/hex", test_hex);
  g_test_add_func ("/snapshot/judge/within-and-beyond", test_judge_within_and_beyond);
  g_test_add_func ("/snapshot/judge/ten-percent-fails", test_judge_exactly_ten_percent_fails);
  g_test_add_func ("/snapshot/judge/zero-before", test_judge_zero_before);
  g_test_add_func ("/snapshot/judge/negative", test_judge_negative_values);
  g_test_add_func ("/snapshot/judge/not-a-number-or-missing", test_judge_not_a_number_or_missing);
  g_test_add_func ("/snapshot/judge/quality", test_judge_quality);
  g_test_add_func ("/snapshot/floors", test_floors_documented);
  g_test_add_func ("/signal/format", test_signal_values_read_well);
  return g_test_run ();
}
