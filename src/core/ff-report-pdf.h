/* The one-page PDF of a report for paper filing: a table of the facts and the four gauges. */
#pragma once

#include <cairo.h>
#include <gio/gio.h>

#include "ff-report.h"

G_BEGIN_DECLS

/* The page, in points (A4). */
#define FF_REPORT_PAGE_WIDTH 595.0
#define FF_REPORT_PAGE_HEIGHT 842.0

/* Draws the page onto @cr, in points from its top left: the PDF prints it, a preview scales it. */
void     ff_report_draw_page  (const FfReport  *report,
                               cairo_t         *cr);

/* Renders @report and writes it to @path atomically (temp file, fsync, rename). */
gboolean ff_report_render_pdf (const FfReport  *report,
                               const char      *path,
                               GError         **error);

G_END_DECLS
