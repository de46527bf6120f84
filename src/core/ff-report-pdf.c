/* The one-page PDF of a report for paper filing: a table of the facts and the four gauges. */
#include "config.h"

#include "ff-report-pdf.h"

#include <cairo-pdf.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <pango/pangocairo.h>

#include "ff-snapshot.h"

#define PAGE_WIDTH FF_REPORT_PAGE_WIDTH
#define PAGE_HEIGHT FF_REPORT_PAGE_HEIGHT
#define MARGIN 48.0
#define ROW_HEIGHT 17.0
#define LABEL_WIDTH 150.0
#define GAUGE_RADIUS 50.0
/* The gauges run from 0 to twice the limit, so the 10 % line sits straight up. */
#define GAUGE_FULL_SCALE (2 * FF_SNAPSHOT_MAX_RELATIVE_ERROR)
/* Pango finds a font for every script from here (Chinese labels and reasons included). */
#define FONT_FAMILY "Sans"

static cairo_status_t
append_to_array (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* One line of @text at @size points; longer than @max_width (0: no limit), it ends in "…" (the
 * JSON keeps it whole). */
static PangoLayout *
text_line (cairo_t *cr, const char *text, double size, gboolean bold, double max_width)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string (FONT_FAMILY);
  cairo_font_options_t *options = cairo_font_options_create ();

  /* Glyphs hinted to a screen's pixels would not line up once a preview scales the page. */
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options (pango_layout_get_context (layout), options);
  pango_layout_context_changed (layout);
  cairo_font_options_destroy (options);

  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  pango_font_description_set_weight (font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  if (max_width > 0)
    {
      pango_layout_set_width (layout, (int) (max_width * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  return layout;
}

static double
line_width (PangoLayout *layout)
{
  PangoRectangle logical;

  pango_layout_get_extents (layout, NULL, &logical);
  return logical.width / (double) PANGO_SCALE;
}

/* Draws @layout with its baseline at @y, starting at @x. */
static void
draw_line (cairo_t *cr, PangoLayout *layout, double x, double y)
{
  cairo_move_to (cr, x, y - pango_layout_get_baseline (layout) / (double) PANGO_SCALE);
  pango_cairo_show_layout (cr, layout);
  /* The next shape must not start with a line from here. */
  cairo_new_path (cr);
}

static void
show_text (cairo_t *cr, double x, double y, double size, gboolean bold, const char *text)
{
  g_autoptr(PangoLayout) layout = text_line (cr, text, size, bold, 0);

  draw_line (cr, layout, x, y);
}

static void
show_text_centred (cairo_t *cr, double cx, double y, double size, gboolean bold, const char *text)
{
  g_autoptr(PangoLayout) layout = text_line (cr, text, size, bold, 0);

  draw_line (cr, layout, cx - line_width (layout) / 2, y);
}

static double
table_row (cairo_t *cr, double y, const char *label, const char *value)
{
  double value_width = PAGE_WIDTH - 2 * MARGIN - LABEL_WIDTH - 8;
  g_autoptr(PangoLayout) shown = text_line (cr, value != NULL ? value : "—", 9, FALSE,
                                            value_width);

  cairo_set_source_rgb (cr, 0.93, 0.93, 0.93);
  cairo_rectangle (cr, MARGIN, y, LABEL_WIDTH, ROW_HEIGHT);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0.6, 0.6, 0.6);
  cairo_set_line_width (cr, 0.5);
  cairo_rectangle (cr, MARGIN, y, PAGE_WIDTH - 2 * MARGIN, ROW_HEIGHT);
  cairo_stroke (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  show_text (cr, MARGIN + 4, y + 12, 9, TRUE, label);
  draw_line (cr, shown, MARGIN + LABEL_WIDTH + 4, y + 12);
  return y + ROW_HEIGHT;
}

static double
table_rowf (cairo_t *cr, double y, const char *label, const char *format, ...) G_GNUC_PRINTF (4, 5);

static double
table_rowf (cairo_t *cr, double y, const char *label, const char *format, ...)
{
  g_autofree char *value = NULL;
  va_list args;

  va_start (args, format);
  value = g_strdup_vprintf (format, args);
  va_end (args);
  return table_row (cr, y, label, value);
}

/* A half-circle gauge: green below the 10 % line, red above, the needle at the deviation. */
static void
gauge (cairo_t *cr, double cx, double cy, FfSignal signal, const FfReport *report)
{
  const FfReportJudgement *judgement = &report->judgement;
  double limit_angle = G_PI + G_PI * (FF_SNAPSHOT_MAX_RELATIVE_ERROR / GAUGE_FULL_SCALE);
  g_autofree char *verdict = NULL;
  g_autofree char *values = NULL;

  cairo_set_line_width (cr, 10);
  cairo_set_source_rgb (cr, 0.55, 0.8, 0.55);
  cairo_arc (cr, cx, cy, GAUGE_RADIUS, G_PI, limit_angle);
  cairo_stroke (cr);
  cairo_set_source_rgb (cr, 0.9, 0.5, 0.45);
  cairo_arc (cr, cx, cy, GAUGE_RADIUS, limit_angle, 2 * G_PI);
  cairo_stroke (cr);

  if (judgement->present)
    {
      double shown = MIN (judgement->deviation[signal], GAUGE_FULL_SCALE);
      double angle = G_PI + G_PI * shown / GAUGE_FULL_SCALE;

      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      cairo_set_line_width (cr, 2);
      cairo_move_to (cr, cx, cy);
      cairo_line_to (cr, cx + (GAUGE_RADIUS - 2) * cos (angle),
                     cy + (GAUGE_RADIUS - 2) * sin (angle));
      cairo_stroke (cr);
      verdict = g_strdup_printf ("%.2f %% %s", judgement->deviation[signal] * 100,
                                 judgement->pass[signal] ? _("pass") : _("FAIL"));
    }
  else
    verdict = g_strdup (_("not judged"));
  cairo_arc (cr, cx, cy, 3, 0, 2 * G_PI);
  cairo_fill (cr);

  /* Signal, verdict and values on lines of their own, so long labels stay in their column. */
  cairo_set_source_rgb (cr, 0, 0, 0);
  show_text_centred (cr, cx, cy + 16, 9, TRUE, ff_signal_get_label (signal));
  show_text_centred (cr, cx, cy + 28, 9, TRUE, verdict);
  if (report->before.present && report->after.present)
    {
      g_autofree char *before = ff_signal_format_value (signal, report->before.values[signal]);
      g_autofree char *after = ff_signal_format_value (signal, report->after.values[signal]);

      values = g_strdup_printf ("%s → %s", before, after);
      show_text_centred (cr, cx, cy + 40, 9, FALSE, values);
    }
}

void
ff_report_draw_page (const FfReport *report,
                     cairo_t        *cr)
{
  const FfReportVersions *v = &report->versions;
  g_autofree char *created = ff_timestamp_format (report->created_at);
  double y = MARGIN;

  cairo_set_source_rgb (cr, 0, 0, 0);
  show_text (cr, MARGIN, y + 16, 18, TRUE, _("Fieldflash upgrade report"));
  y += 34;
  y = table_row (cr, y, _("Terminal"), report->device_id);
  y = table_row (cr, y, _("Task"), report->task_id);
  y = table_row (cr, y, _("Outcome"), ff_report_outcome_describe (report->outcome));
  y = table_row (cr, y, _("Closed at (UTC)"), created);
  y = table_row (cr, y, _("Tablet"), report->tablet_serial);
  y = table_row (cr, y, _("Technician"), report->technician_phone);
  y = table_rowf (cr, y, _("Version before"), "%s (%s)", v->before != NULL ? v->before : "—",
                  v->before_checksum != NULL ? v->before_checksum : "—");
  y = table_row (cr, y, _("Target version"), v->target);
  y = table_rowf (cr, y, _("Version after"), "%s (%s)", v->after != NULL ? v->after : "—",
                  v->after_checksum != NULL ? v->after_checksum : "—");
  if (report->identity.present)
    {
      const FfReportIdentity *id = &report->identity;

      y = table_row (cr, y, _("Device ID read"), id->device_id_read);
      y = table_rowf (cr, y, _("Position check"), "Δlat %.2f″, Δlon %.2f″, %.1f m (%s)",
                      id->delta_latitude_arcsec, id->delta_longitude_arcsec, id->distance_m,
                      id->fix_mode);
      if (id->override_by != NULL)
        y = table_rowf (cr, y, _("Override"), "%s: %s", id->override_by, id->override_reason);
    }
  if (report->transfer.present)
    y = table_rowf (cr, y, _("Transfer"), "%s, %lld B, %u segments, %.1f s",
                    report->transfer.file_name, (long long) report->transfer.bytes,
                    report->transfer.segments, report->transfer.seconds);
  if (report->firmware_sha256 != NULL)
    y = table_rowf (cr, y, _("Firmware pushed"), "%s %s", report->firmware_version,
                    report->firmware_sha256);
  if (report->failure_reason != NULL)
    y = table_rowf (cr, y, _("Failure"), "[%s] %s", report->failure_step, report->failure_reason);
  y = table_row (cr, y, _("Report ID"), report->report_id);

  y += 30;
  show_text (cr, MARGIN, y, 12, TRUE, _("Signals after against before (limit 10 %)"));
  y += 20 + GAUGE_RADIUS;
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    {
      double column = (PAGE_WIDTH - 2 * MARGIN) / FF_N_SIGNALS;
      gauge (cr, MARGIN + column * (s + 0.5), y, s, report);
    }
  y += 60;
  show_text (cr, MARGIN, MIN (y + 20, PAGE_HEIGHT - MARGIN), 8, FALSE,
             _("The signed JSON report is the record; this page is its printout."));
}

gboolean
ff_report_render_pdf (const FfReport  *report,
                      const char      *path,
                      GError         **error)
{
  g_autoptr(GByteArray) pdf = g_byte_array_new ();
  cairo_surface_t *surface = cairo_pdf_surface_create_for_stream (append_to_array, pdf,
                                                                  PAGE_WIDTH, PAGE_HEIGHT);
  cairo_t *cr = cairo_create (surface);
  cairo_status_t status;

  ff_report_draw_page (report, cr);
  cairo_show_page (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot render the report PDF: %s"),
                   cairo_status_to_string (status));
      return FALSE;
    }
  return g_file_set_contents_full (path, (const char *) pdf->data, pdf->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0644, error);
}
