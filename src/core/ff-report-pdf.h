/* The one-page PDF of a report for paper filing: a table of the facts and the four gauges. */
#pragma once

#include <gio/gio.h>

#include "ff-report.h"

G_BEGIN_DECLS

/* Renders @report and writes it to @path atomically (temp file, fsync, rename). */
gboolean ff_report_render_pdf (const FfReport  *report,
                               const char      *path,
                               GError         **error);

G_END_DECLS
