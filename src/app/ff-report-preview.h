/* FfReportPreview: a picture of the report's printed page, as wide as it is given. */
#pragma once

#include <gtk/gtk.h>

#include "ff-report.h"

G_BEGIN_DECLS

#define FF_TYPE_REPORT_PREVIEW (ff_report_preview_get_type ())
G_DECLARE_FINAL_TYPE (FfReportPreview, ff_report_preview, FF, REPORT_PREVIEW, GtkWidget)

GtkWidget *ff_report_preview_new        (void);
/* @report is borrowed until the next call (its owner calls again before freeing it); NULL shows a
 * blank page. */
void       ff_report_preview_set_report (FfReportPreview *self,
                                         const FfReport  *report);

G_END_DECLS
