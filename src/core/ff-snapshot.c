/* The four signals read before and after an upgrade, and the judgement of after against before. */
#include "config.h"

#include "ff-snapshot.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "ff-quality.h"

/* The report's hex form ("435C8000" for 220.5), for showing next to the value. */
char *
ff_snapshot_value_to_hex (float value)
{
  return ff_float_to_hex (value);
}

char *
ff_snapshot_format_reading (const FfSnapshot *snapshot,
                            FfSignal          signal)
{
  g_autofree char *value = NULL;
  g_autofree char *quality = NULL;

  if (!snapshot->present[signal])
    return NULL;
  value = ff_signal_format_value (signal, snapshot->values[signal]);
  if (ff_quality_is_good (snapshot->quality[signal]))
    return g_steal_pointer (&value);
  quality = ff_quality_describe (snapshot->quality[signal]);
  /* Translators: a reading with a quality flag: the value, then the flag ("invalid (IV)"). */
  return g_strdup_printf (_("%s — %s"), value, quality);
}

gboolean
ff_snapshot_is_complete (const FfSnapshot *snapshot)
{
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    if (!snapshot->present[s] || !isfinite (snapshot->values[s]))
      return FALSE;
  return TRUE;
}

FfSignal
ff_snapshot_find_bad_quality (const FfSnapshot *snapshot)
{
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    if (snapshot->present[s] && !ff_quality_is_good (snapshot->quality[s]))
      return s;
  return FF_N_SIGNALS;
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

/* Fills one judgement per signal. */
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
      j->quality_before = before->present[s] ? before->quality[s] : 0;
      j->quality_after = after->present[s] ? after->quality[s] : 0;
      j->passed = isfinite (j->relative_error)
                  && j->relative_error < FF_SNAPSHOT_MAX_RELATIVE_ERROR
                  && ff_quality_is_good (j->quality_before)
                  && ff_quality_is_good (j->quality_after);
      all_passed = all_passed && j->passed;
    }
  return all_passed;
}

char *
ff_snapshot_judgement_describe (const FfSignalJudgement *judgement)
{
  g_autofree char *quality = NULL;

  if (isnan (judgement->relative_error))
    return g_strdup (_("Cannot compare: a value is missing"));
  if (!ff_quality_is_good (judgement->quality_after))
    {
      quality = ff_quality_describe (judgement->quality_after);
      /* Translators: %s is the reading's quality, e.g. "invalid (IV)". */
      return g_strdup_printf (_("Not a valid reading after the upgrade: %s"), quality);
    }
  if (!ff_quality_is_good (judgement->quality_before))
    {
      quality = ff_quality_describe (judgement->quality_before);
      /* Translators: %s is the reading's quality, e.g. "invalid (IV)". */
      return g_strdup_printf (_("Not a valid reading before the upgrade: %s"), quality);
    }
  if (judgement->passed)
    /* Translators: the first %.1f is the change in percent, the second the limit (10). */
    return g_strdup_printf (_("Changed %.1f %%, within %.0f %%"), judgement->relative_error * 100,
                            FF_SNAPSHOT_MAX_RELATIVE_ERROR * 100);
  return g_strdup_printf (_("Changed %.1f %%, over %.0f %%"), judgement->relative_error * 100,
                          FF_SNAPSHOT_MAX_RELATIVE_ERROR * 100);
}

void
ff_snapshot_from_report (const FfReportSnapshot *report_snapshot,
                         FfSnapshot             *snapshot)
{
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    {
      snapshot->values[s] = report_snapshot->values[s];
      snapshot->present[s] = report_snapshot->present;
      snapshot->quality[s] = report_snapshot->quality[s];
    }
}

gboolean
ff_snapshot_to_report (const FfSnapshot *snapshot,
                       FfReportSnapshot *report_snapshot)
{
  report_snapshot->present = ff_snapshot_is_complete (snapshot);
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    {
      report_snapshot->values[s] = report_snapshot->present ? snapshot->values[s] : 0.0f;
      report_snapshot->quality[s] = report_snapshot->present ? snapshot->quality[s] : 0;
    }
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
