/* The four signals read before and after an upgrade, and the judgement of after against before. */
#pragma once

#include "ff-report.h"

G_BEGIN_DECLS

/* The rule: |after − before| / max(|before|, floor) must stay below this for every signal. */
#define FF_SNAPSHOT_MAX_RELATIVE_ERROR 0.10

/* FfSignal comes from ff-signal.h (through ff-report.h); this is the count under the name the UI
 * and the adapter use. */
#define FF_N_SIGNALS FF_SIGNAL_COUNT

/* What a reading produced: a terminal may leave out a signal, so presence is per signal. */
typedef struct
{
  float    values[FF_N_SIGNALS];  /* as the terminal sent them: binary32 */
  gboolean present[FF_N_SIGNALS];
} FfSnapshot;

typedef struct
{
  double   relative_error;  /* NAN when a value is missing or not a number */
  gboolean passed;
} FfSignalJudgement;

char       *ff_snapshot_value_to_hex   (float             value);
gboolean    ff_snapshot_is_complete    (const FfSnapshot *snapshot);
double      ff_snapshot_relative_error (FfSignal          signal,
                                        float             before,
                                        float             after);
gboolean    ff_snapshot_judge          (const FfSnapshot *before,
                                        const FfSnapshot *after,
                                        FfSignalJudgement judgements[FF_N_SIGNALS]);

/* Into the report's form; FALSE (report snapshot absent) unless every signal is present. */
gboolean    ff_snapshot_to_report      (const FfSnapshot  *snapshot,
                                        FfReportSnapshot  *report_snapshot);
void        ff_snapshot_judgement_to_report (const FfSignalJudgement  judgements[FF_N_SIGNALS],
                                             FfReportJudgement       *report_judgement);

G_END_DECLS
