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
  guint8   quality[FF_N_SIGNALS]; /* IEC104_QUALITY_* bits as sent; 0 is a plain measurement */
} FfSnapshot;

typedef struct
{
  double   relative_error;  /* NAN when a value is missing or not a number */
  gboolean passed;
  guint8   quality_before;  /* the readings' quality: a flag set on either side fails */
  guint8   quality_after;
} FfSignalJudgement;

char       *ff_snapshot_value_to_hex   (float             value);
/* A reading for people, translated: the value with its unit and, when a quality flag is set, the
 * flag ("120.3 A — invalid (IV)"), so a flagged reading never looks like a normal one. NULL when
 * the signal is absent. */
char       *ff_snapshot_format_reading (const FfSnapshot *snapshot,
                                        FfSignal          signal);
gboolean    ff_snapshot_is_complete    (const FfSnapshot *snapshot);
/* The first signal whose reading carries a quality flag (ff_quality_is_good), or FF_N_SIGNALS
 * when every present one is a plain measurement. */
FfSignal    ff_snapshot_find_bad_quality (const FfSnapshot *snapshot);
double      ff_snapshot_relative_error (FfSignal          signal,
                                        float             before,
                                        float             after);
/* TRUE when every signal passed: present on both sides, a plain measurement on both sides (an
 * invalid, not topical, substituted, blocked or overflowing reading cannot pass, whatever its
 * value) and a relative error below FF_SNAPSHOT_MAX_RELATIVE_ERROR. */
gboolean    ff_snapshot_judge          (const FfSnapshot *before,
                                        const FfSnapshot *after,
                                        FfSignalJudgement judgements[FF_N_SIGNALS]);
/* Why a signal passed or not, translated, for the gauge and the workflow's failure text:
 * "Changed 2.1 %, within 10 %", "Not a valid reading after the upgrade: invalid (IV)"… */
char       *ff_snapshot_judgement_describe (const FfSignalJudgement *judgement);

/* From the report's form, for showing a report's readings as the workflow's. */
void        ff_snapshot_from_report    (const FfReportSnapshot *report_snapshot,
                                        FfSnapshot             *snapshot);
/* Into the report's form; FALSE (report snapshot absent) unless every signal is present. */
gboolean    ff_snapshot_to_report      (const FfSnapshot  *snapshot,
                                        FfReportSnapshot  *report_snapshot);
void        ff_snapshot_judgement_to_report (const FfSignalJudgement  judgements[FF_N_SIGNALS],
                                             FfReportJudgement       *report_judgement);

G_END_DECLS
