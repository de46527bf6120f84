/* The printed report for paper filing: a table of the facts, the four gauges and the signature
 * lines, on as many A4 pages as the facts need. */
#pragma once

#include <cairo.h>
#include <gio/gio.h>

#include "ff-report.h"

G_BEGIN_DECLS

/* The page, in points (A4). */
#define FF_REPORT_PAGE_WIDTH 595.0
#define FF_REPORT_PAGE_HEIGHT 842.0

/* Draws the first page onto @cr, in points from its top left, as the PDF prints it: a preview
 * scales it. When the facts go on, the page says so at its foot. */
void     ff_report_draw_page     (const FfReport  *report,
                                  cairo_t         *cr);

/* Renders @report on as many pages as it needs (long values wrap, nothing is cut short) and
 * writes it to @path atomically (temp file, fsync, rename). */
gboolean ff_report_render_pdf    (const FfReport  *report,
                                  const char      *path,
                                  GError         **error);

/* The name a printout is saved under: DEVICEID-YYYYMMDD-outcome.pdf, the day the report was
 * closed in UTC (as the page prints it), e.g. "DTU0001-20261121-upgraded.pdf". */
char    *ff_report_pdf_file_name (const FfReport  *report);

G_END_DECLS
