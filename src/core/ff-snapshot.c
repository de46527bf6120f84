/* The four signals read before and after an upgrade, and the judgement of after against before. */
#include "config.h"

#include "ff-snapshot.h"

#include <math.h>

/* The report's hex form ("435C8000" for 220.5), for showing next to the value. */
char *
ff_snapshot_value_to_hex (float value)
{
  return ff_float_to_hex (value);
}

gboolean
ff_snapshot_is_complete (const FfSnapshot *snapshot)
{
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    if (!snapshot->present[s] || !isfinite (snapshot->values[s]))
      return FALSE;
  return TRUE;
}

/* |after − before| / max(|before|, floor); NAN when either is not a number. */
double
ff_snapshot_relative_error (FfSignal signal,
                            float    before,
                            float    after)
{
  double denominator = MAX (fabs ((double) before), ff_signal_get_zero_floor (signal));

  if (!isfinite (before) || !isfinite (after))
    return NAN;
  return fabs ((double) after - (double) before) / denominator;
}

/* Fills one judgement per signal; TRUE only when every signal is present on both sides and its
 * relative error is below FF_SNAPSHOT_MAX_RELATIVE_ERROR. */
gboolean
ff_snapshot_judge (const FfSnapshot *before,
                   const FfSnapshot *after,
                   FfSignalJudgement judgements[FF_N_SIGNALS])
{
  gboolean all_passed = TRUE;

  for (guint s = 0; s < FF_N_SIGNALS; s++)
    {
      FfSignalJudgement *j = &judgements[s];

      if (before->present[s] && after->present[s])
        j->relative_error = ff_snapshot_relative_error (s, before->values[s], after->values[s]);
      else
        j->relative_error = NAN;
      j->passed = isfinite (j->relative_error)
                  && j->relative_error < FF_SNAPSHOT_MAX_RELATIVE_ERROR;
      all_passed = all_passed && j->passed;
    }
  return all_passed;
}

gboolean
ff_snapshot_to_report (const FfSnapshot *snapshot,
                       FfReportSnapshot *report_snapshot)
{
  report_snapshot->present = ff_snapshot_is_complete (snapshot);
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    report_snapshot->values[s] = report_snapshot->present ? snapshot->values[s] : 0.0f;
  return report_snapshot->present;
}

/* A deviation that is not a number (a missing signal) is written as the largest double, failed,
 * so the report stays valid JSON and still says "no". */
void
ff_snapshot_judgement_to_report (const FfSignalJudgement  judgements[FF_N_SIGNALS],
                                 FfReportJudgement       *report_judgement)
{
  report_judgement->present = TRUE;
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    {
      double deviation = judgements[s].relative_error;

      report_judgement->deviation[s] = isfinite (deviation) ? deviation : G_MAXDOUBLE;
      report_judgement->pass[s] = judgements[s].passed;
    }
}
