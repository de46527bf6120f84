/* How the app words a report's outcome for the technician, and what it means for the day's list:
 * the app's one place for both. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  FF_OUTCOME_SUCCEEDED,  /* the terminal runs the target version */
  FF_OUTCOME_FAILED,     /* it does not, though the visit tried (or found the wrong terminal) */
  FF_OUTCOME_SKIPPED,    /* the visit stopped before anything was pushed */
} FfOutcomeKind;

const char    *ff_outcome_describe (const char *outcome);
FfOutcomeKind  ff_outcome_get_kind (const char *outcome);

G_END_DECLS
