/* The four signals read before and after an upgrade, and the judgement "after agrees with before". */
#include "config.h"

#include "ff-snapshot.h"

#include <glib/gi18n-lib.h>
#include <math.h>

typedef struct
{
  const char *key;
  const char *label;
  /* Near zero a relative error explodes (0.01 A → 0.02 A is "100 %"), so the denominator never drops
   * below this floor: a before-value smaller than the floor is judged against an absolute band of
   * 10 % of the floor (1 V, 0.1 A, 0.1 V, 0.5 °C). */
  double      zero_floor;
} SignalInfo;

static const SignalInfo signal_info[FF_SIGNAL_COUNT] = {
  [FF_SIGNAL_LINE_VOLTAGE] = { "line_voltage", N_("Line voltage"), 10.0 },
  [FF_SIGNAL_CURRENT] = { "current", N_("Current"), 1.0 },
  [FF_SIGNAL_BATTERY_VOLTAGE] = { "battery_voltage", N_("Battery voltage"), 1.0 },
  [FF_SIGNAL_TEMPERATURE] = { "ambient_temperature", N_("Ambient temperature"), 5.0 },
};

const char *
ff_signal_get_key (FfSignal signal)
{
  g_return_val_if_fail (signal < FF_SIGNAL_COUNT, NULL);
  return signal_info[signal].key;
}

const char *
ff_signal_get_label (FfSignal signal)
{
  g_return_val_if_fail (signal < FF_SIGNAL_COUNT, NULL);
  return _(signal_info[signal].label);
}

double
ff_signal_get_zero_floor (FfSignal signal)
{
  g_return_val_if_fail (signal < FF_SIGNAL_COUNT, 0);
  return signal_info[signal].zero_floor;
}

/* The relative deviation of @after from @before; NAN when either is not a number. */
double
ff_snapshot_deviation (FfSignal signal,
                       float    before,
                       float    after)
{
  double denominator = MAX (fabs ((double) before), ff_signal_get_zero_floor (signal));

  if (!isfinite (before) || !isfinite (after))
    return NAN;
  return fabs ((double) after - (double) before) / denominator;
}

/* Fills @judgement signal by signal; TRUE only when both snapshots are there and every deviation
 * is below FF_SNAPSHOT_MAX_DEVIATION. A deviation that is not a number fails and is written as
 * the largest double so the report stays valid JSON. */
gboolean
ff_snapshot_judge (const FfReportSnapshot *before,
                   const FfReportSnapshot *after,
                   FfReportJudgement      *judgement)
{
  gboolean all_passed = TRUE;

  judgement->present = before->present && after->present;
  if (!judgement->present)
    return FALSE;
  for (guint s = 0; s < FF_SIGNAL_COUNT; s++)
    {
      double deviation = ff_snapshot_deviation (s, before->values[s], after->values[s]);

      judgement->pass[s] = isfinite (deviation) && deviation < FF_SNAPSHOT_MAX_DEVIATION;
      judgement->deviation[s] = isfinite (deviation) ? deviation : G_MAXDOUBLE;
      all_passed = all_passed && judgement->pass[s];
    }
  return all_passed;
}
