/* FfReportPage: a terminal's report — summary, the four signals, a preview of the printed page, PDF
 * export, and the way on. */
#pragma once

#include <adwaita.h>

#include "ff-context.h"
#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_REPORT_PAGE (ff_report_page_get_type ())
G_DECLARE_FINAL_TYPE (FfReportPage, ff_report_page, FF, REPORT_PAGE, AdwBin)

FfWorkflow *ff_report_page_get_workflow (FfReportPage *self);
void        ff_report_page_set_workflow (FfReportPage *self,
                                         FfWorkflow   *workflow);
void        ff_report_page_set_context  (FfReportPage *self,
                                         FfContext    *context);
void        ff_report_page_open_report  (FfReportPage *self,
                                         const char   *report_id);
void        ff_report_page_save_pdf_async  (FfReportPage        *self,
                                            GFile               *file,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean    ff_report_page_save_pdf_finish (FfReportPage        *self,
                                            GAsyncResult        *result,
                                            GError             **error);

G_END_DECLS
