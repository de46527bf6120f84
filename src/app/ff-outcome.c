/* A report's outcome as the app presents it: stored identifiers in the core's words
 * (ff_report_outcome_describe), and what the outcome means for the day's list. */
#include "config.h"

#include "ff-outcome.h"

#include "ff-report.h"

/* The core's wording of a stored outcome identifier; an unknown one is shown as it is. */
const char *
ff_outcome_describe (const char *text)
{
  FfReportOutcome outcome;

  if (!ff_report_outcome_from_string (text, &outcome))
    return text;
  return ff_report_outcome_describe (outcome);
}

/* An identifier the app does not know counts as failed: nothing says the terminal is on target. */
FfOutcomeKind
ff_outcome_get_kind (const char *text)
{
  FfReportOutcome outcome;

  if (!ff_report_outcome_from_string (text, &outcome))
    return FF_OUTCOME_FAILED;

  switch (outcome)
    {
    case FF_REPORT_OUTCOME_UPGRADED:
    case FF_REPORT_OUTCOME_ALREADY_CURRENT:
      return FF_OUTCOME_SUCCEEDED;
    case FF_REPORT_OUTCOME_ABORTED:
      return FF_OUTCOME_SKIPPED;
    case FF_REPORT_OUTCOME_FAILED:
    case FF_REPORT_OUTCOME_ROLLED_BACK:
    case FF_REPORT_OUTCOME_IDENTITY_MISMATCH:
    default:
      return FF_OUTCOME_FAILED;
    }
}
