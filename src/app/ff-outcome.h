/* A report's outcome as the app presents it: the core's wording of a stored identifier, and what
 * the outcome means for the day's list (the app's one place for that). */
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
