/* A meter app's install or upgrade result as a report: in `reports list` beside the tablets'
 * reports, and printed as their PDF is (docs/meters.md, "Results in reports"). */
#pragma once

#include "ff-platform-db.h"
#include "ff-report.h"

G_BEGIN_DECLS

/* Meter results are named "meter-" and their command's number. */
#define FF_METER_RESULT_PREFIX "meter-"

typedef struct
{
  gint64   command_id;
  char    *meter_id;
  char    *meter_name;
  char    *app;
  guint32  from_version;   /* the version the install replaced; 0 when none was recorded */
  guint32  version;        /* the version installed */
  char    *outcome;        /* the meter's report: ready, up-to-date, apply-failed … */
  gint     detail;
  gint64   finished_at;
} FfMeterInstallResult;

void                  ff_meter_install_result_free (FfMeterInstallResult *result);
/* Every finished install, in the order they finished. */
GPtrArray            *ff_platform_db_list_meter_results (FfPlatformDb  *db,
                                                         GError       **error);
/* The result named @report_id ("meter-N"); NULL with @error set when there is none. */
FfMeterInstallResult *ff_platform_db_get_meter_result   (FfPlatformDb  *db,
                                                         const char    *report_id,
                                                         GError       **error);
/* Its row in a report list (no task, no tablet, no document). */
FfReportRecord       *ff_meter_result_record (const FfMeterInstallResult *result);
/* It as a report (for its printout): the meter as the terminal, the app's versions before,
 * targeted and after, the outcome (ready is upgraded, up-to-date already current, anything else
 * failed, with the meter's reason). */
FfReport             *ff_meter_result_report (const FfMeterInstallResult *result);
/* Why an install with the meter's report @outcome (and the scheduler's @detail for "refused")
 * failed, as an operator reads it. */
char                 *ff_meter_install_failure (const char *outcome,
                                                gint        detail);

/* A tablet's report (parsed from its document) or a meter result, by its ID; NULL with @error set
 * (FF_PLATFORM_ERROR_NOT_FOUND when there is none). */
FfReport             *ff_platform_get_any_report (FfPlatformDb  *db,
                                                  const char    *report_id,
                                                  GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfMeterInstallResult, ff_meter_install_result_free)

G_END_DECLS
