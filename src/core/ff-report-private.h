/* What the parts of the report (ff-report*.c) share. Not for use outside them. */
#pragma once

#include "ff-report.h"

G_BEGIN_DECLS

/* A report with every member unset and no events, for a parser to fill in. */
FfReport *ff_report_new_empty (void);

G_END_DECLS
