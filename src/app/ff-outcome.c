/* How the app words a report's outcome (the report format's identifiers) for the technician, and
 * what the outcome means for the day's list. */
#include "config.h"

#include "ff-outcome.h"

#include <glib/gi18n-lib.h>

#include "ff-report.h"

/* An identifier the app does not know is shown as it is. */
const char *
ff_outcome_describe (const char *text)
{
  FfReportOutcome outcome;

  if (!ff_report_outcome_from_string (text, &outcome))
    return text;

  switch (outcome)
    {
    case FF_REPORT_OUTCOME_UPGRADED:
      return _("Upgraded");
    case FF_REPORT_OUTCOME_ALREADY_CURRENT:
      return _("Already current");
    case FF_REPORT_OUTCOME_FAILED:
      return _("Upgrade failed");
    case FF_REPORT_OUTCOME_ROLLED_BACK:
      return _("Rolled back to the previous firmware");
    case FF_REPORT_OUTCOME_IDENTITY_MISMATCH:
      return _("Wrong terminal: not upgraded");
    case FF_REPORT_OUTCOME_ABORTED:
      return _("Stopped before the upgrade");
    default:
      return text;
    }
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
