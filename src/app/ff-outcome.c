/* How the app words a report's outcome (the report format's identifiers) for the technician. */
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

/* Whether the terminal ended where the task wanted it: on the target version. */
gboolean
ff_outcome_is_successful (const char *text)
{
  FfReportOutcome outcome;

  return ff_report_outcome_from_string (text, &outcome)
         && (outcome == FF_REPORT_OUTCOME_UPGRADED || outcome == FF_REPORT_OUTCOME_ALREADY_CURRENT);
}
