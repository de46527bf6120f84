/* Unit tests of ff-snapshot: the before/after judgement, including zero, near-zero and negative
 * values, the exact 10 % boundary and values that are not numbers. */
#include "config.h"

#include <math.h>

#include "ff-snapshot.h"

static FfReportSnapshot
snapshot_of (float line, float current, float battery, float temperature)
{
  FfReportSnapshot s = { TRUE, { line, current, battery, temperature } };
  return s;
}

static void
test_judge_within_and_beyond (void)
{
  FfReportSnapshot before = snapshot_of (220.0f, 100.0f, 24.0f, 25.0f);
  FfReportSnapshot good = snapshot_of (230.0f, 91.0f, 25.0f, 27.0f);
  FfReportSnapshot bad_current = snapshot_of (220.0f, 111.0f, 24.0f, 25.0f);
  FfReportJudgement j;

  g_assert_true (ff_snapshot_judge (&before, &good, &j));
  g_assert_true (j.present);
  for (guint i = 0; i < FF_SIGNAL_COUNT; i++)
    g_assert_true (j.pass[i]);
  g_assert_cmpfloat_with_epsilon (j.deviation[FF_SIGNAL_LINE_VOLTAGE], 10.0 / 220.0, 1e-6);

  g_assert_false (ff_snapshot_judge (&before, &bad_current, &j));
  g_assert_false (j.pass[FF_SIGNAL_CURRENT]);
  g_assert_true (j.pass[FF_SIGNAL_LINE_VOLTAGE]);
  g_assert_cmpfloat_with_epsilon (j.deviation[FF_SIGNAL_CURRENT], 0.11, 1e-6);
}

static void
test_judge_exactly_ten_percent_fails (void)
{
  /* "below 10 %": the boundary itself fails. 200 → 220 and 200 → 180 are exact in binary32. */
  FfReportSnapshot before = snapshot_of (200.0f, 100.0f, 24.0f, 25.0f);
  FfReportSnapshot up = snapshot_of (220.0f, 100.0f, 24.0f, 25.0f);
  FfReportSnapshot down = snapshot_of (180.0f, 100.0f, 24.0f, 25.0f);
  FfReportJudgement j;

  g_assert_false (ff_snapshot_judge (&before, &up, &j));
  g_assert_false (j.pass[FF_SIGNAL_LINE_VOLTAGE]);
  g_assert_false (ff_snapshot_judge (&before, &down, &j));
  g_assert_false (j.pass[FF_SIGNAL_LINE_VOLTAGE]);
}

static void
test_judge_zero_before (void)
{
  /* No load: 0 A before. Without the floor any after-value would be an infinite error. */
  FfReportSnapshot before = snapshot_of (220.0f, 0.0f, 24.0f, 0.0f);
  FfReportSnapshot small = snapshot_of (220.0f, 0.05f, 24.0f, 0.4f);
  FfReportSnapshot large = snapshot_of (220.0f, 0.2f, 24.0f, 0.4f);
  FfReportSnapshot both_zero = snapshot_of (220.0f, 0.0f, 24.0f, -0.0f);
  FfReportJudgement j;

  g_assert_true (ff_snapshot_judge (&before, &small, &j));
  g_assert_cmpfloat_with_epsilon (j.deviation[FF_SIGNAL_CURRENT], 0.05, 1e-6);
  g_assert_cmpfloat_with_epsilon (j.deviation[FF_SIGNAL_TEMPERATURE], 0.08, 1e-6);
  g_assert_false (ff_snapshot_judge (&before, &large, &j));
  g_assert_false (j.pass[FF_SIGNAL_CURRENT]);
  g_assert_true (ff_snapshot_judge (&before, &both_zero, &j));
  g_assert_cmpfloat (j.deviation[FF_SIGNAL_CURRENT], ==, 0.0);
  g_assert_cmpfloat (j.deviation[FF_SIGNAL_TEMPERATURE], ==, 0.0);
}

static void
test_judge_negative_values (void)
{
  /* Winter: −20 °C; reverse power flow: negative current. The magnitude is what counts. */
  FfReportSnapshot before = snapshot_of (220.0f, -50.0f, 24.0f, -20.0f);
  FfReportSnapshot close = snapshot_of (220.0f, -54.0f, 24.0f, -21.5f);
  FfReportSnapshot flipped = snapshot_of (220.0f, 50.0f, 24.0f, -20.0f);
  FfReportJudgement j;

  g_assert_true (ff_snapshot_judge (&before, &close, &j));
  g_assert_cmpfloat_with_epsilon (j.deviation[FF_SIGNAL_CURRENT], 0.08, 1e-6);
  g_assert_cmpfloat_with_epsilon (j.deviation[FF_SIGNAL_TEMPERATURE], 0.075, 1e-6);
  g_assert_false (ff_snapshot_judge (&before, &flipped, &j));
  g_assert_cmpfloat_with_epsilon (j.deviation[FF_SIGNAL_CURRENT], 2.0, 1e-6);
}

static void
test_judge_not_a_number_or_missing (void)
{
  FfReportSnapshot before = snapshot_of (220.0f, 10.0f, 24.0f, 25.0f);
  FfReportSnapshot after = snapshot_of (220.0f, 10.0f, 24.0f, NAN);
  FfReportSnapshot missing = { FALSE };
  FfReportJudgement j;

  g_assert_false (ff_snapshot_judge (&before, &after, &j));
  g_assert_false (j.pass[FF_SIGNAL_TEMPERATURE]);
  g_assert_true (isfinite (j.deviation[FF_SIGNAL_TEMPERATURE]));
  g_assert_true (j.pass[FF_SIGNAL_LINE_VOLTAGE]);
  g_assert_false (ff_snapshot_judge (&before, &missing, &j));
  g_assert_false (j.present);
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/snapshot/judge/within-and-beyond", test_judge_within_and_beyond);
  g_test_add_func ("/snapshot/judge/ten-percent-fails", test_judge_exactly_ten_percent_fails);
  g_test_add_func ("/snapshot/judge/zero-before", test_judge_zero_before);
  g_test_add_func ("/snapshot/judge/negative", test_judge_negative_values);
  g_test_add_func ("/snapshot/judge/not-a-number-or-missing", test_judge_not_a_number_or_missing);
  g_test_add_func ("/snapshot/floors", test_floors_documented);
  return g_test_run ();
}
