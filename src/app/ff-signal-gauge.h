/* FfSignalGauge: one of the four signals before and after an upgrade, against the 10 % line. */
#pragma once

#include <adwaita.h>

#include "ff-snapshot.h"

G_BEGIN_DECLS

#define FF_TYPE_SIGNAL_GAUGE (ff_signal_gauge_get_type ())
G_DECLARE_FINAL_TYPE (FfSignalGauge, ff_signal_gauge, FF, SIGNAL_GAUGE, AdwBin)

GtkWidget *ff_signal_gauge_new      (void);
void       ff_signal_gauge_show     (FfSignalGauge           *self,
                                     FfSignal                 signal,
                                     const FfSnapshot        *before,
                                     const FfSnapshot        *after,
                                     const FfSignalJudgement *judgement);
gboolean   ff_signal_gauge_get_passed (FfSignalGauge         *self);

G_END_DECLS
