/* FfReportPage: the terminal's report: summary and the way to the next terminal. */
#pragma once

#include <adwaita.h>

#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_REPORT_PAGE (ff_report_page_get_type ())
G_DECLARE_FINAL_TYPE (FfReportPage, ff_report_page, FF, REPORT_PAGE, AdwBin)

FfWorkflow *ff_report_page_get_workflow (FfReportPage *self);
void        ff_report_page_set_workflow (FfReportPage *self,
                                        FfWorkflow *workflow);

G_END_DECLS
