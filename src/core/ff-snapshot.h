/* The four signals read before and after an upgrade, and the judgement "after agrees with before". */
#pragma once

#include "ff-report.h"

G_BEGIN_DECLS

/* The rule: |after − before| / max(|before|, floor) must stay below this for every signal. */
#define FF_SNAPSHOT_MAX_DEVIATION 0.10

/* Earlier name of FF_SIGNAL_COUNT, still used by ff-profile. */
#define FF_N_SIGNALS FF_SIGNAL_COUNT

/* The signal's key in a vendor profile's measurement map ("ambient_temperature"). */
const char *ff_signal_get_key         (FfSignal                 signal);
const char *ff_signal_get_label       (FfSignal                 signal);
double      ff_signal_get_zero_floor  (FfSignal                 signal);

double      ff_snapshot_deviation     (FfSignal                 signal,
                                       float                    before,
                                       float                    after);
gboolean    ff_snapshot_judge         (const FfReportSnapshot  *before,
                                       const FfReportSnapshot  *after,
                                       FfReportJudgement       *judgement);

G_END_DECLS
