/* The printed report for paper filing: a table of the facts, the four gauges and the signature
 * lines, on as many A4 pages as the facts need (nothing is cut short). */
#include "config.h"

#include "ff-report-pdf.h"

#include <cairo-pdf.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <pango/pangocairo.h>

#include "ff-files.h"
#include "ff-snapshot.h"

#define PAGE_WIDTH FF_REPORT_PAGE_WIDTH
#define PAGE_HEIGHT FF_REPORT_PAGE_HEIGHT
#define MARGIN 48.0
#define CONTENT_WIDTH (PAGE_WIDTH - 2 * MARGIN)
/* Kept free at the foot of every page for the "continued" note. */
#define FOOTER_HEIGHT 20.0
#define TEXT_SIZE 9.0
#define CELL_PADDING 4.0
#define LABEL_WIDTH 125.0
#define GAUGE_RADIUS 50.0
/* Under a gauge's centre: the signal, the verdict and the readings, each wrapped in its column. */
#define GAUGE_TEXT_HEIGHT 75.0
#define GAUGE_TITLE_HEIGHT 24.0
#define SIGNATURE_SPACE 40.0
#define SIGNATURE_BLOCK_HEIGHT (SIGNATURE_SPACE + 24.0)
/* The gauges run from 0 to twice the limit, so the 10 % line sits straight up. */
#define GAUGE_FULL_SCALE (2 * FF_SNAPSHOT_MAX_RELATIVE_ERROR)
/* Pango finds a font for every script from here (Chinese labels and reasons included). */
#define FONT_FAMILY "Sans"

/* Where the drawing stands: the PDF breaks to a new page when one is full, a preview draws the
 * first page only. */
typedef struct
{
  cairo_t  *cr;
  double    y;
  gboolean  first_page_only;
  gboolean  ended;             /* the preview's page is full: nothing more is drawn */
} Page;

static cairo_status_t
append_to_array (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* @text at @size points, wrapped at @width (0: one line) between words, or inside a word too long
 * for a line (a SHA-256), never shortened. */
static PangoLayout *
text_layout (cairo_t *cr, const char *text, double size, gboolean bold, double width,
             PangoAlignment alignment)
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
  if (width > 0)
    {
      pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
      pango_layout_set_alignment (layout, alignment);
    }
  return layout;
}

static double
layout_height (PangoLayout *layout)
{
  PangoRectangle logical;

  pango_layout_get_extents (layout, NULL, &logical);
  return logical.height / (double) PANGO_SCALE;
}

/* Draws @layout with its top left at (@x, @y). */
static void
draw_layout (cairo_t *cr, PangoLayout *layout, double x, double y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
  /* The next shape must not start with a line from here. */
  cairo_new_path (cr);
}

/* Draws @text wrapped in @width from (@x, @y); returns its height. */
static double
show_text (cairo_t *cr, double x, double y, double width, double size, gboolean bold,
           PangoAlignment alignment, const char *text)
{
  g_autoptr(PangoLayout) layout = text_layout (cr, text, size, bold, width, alignment);

  draw_layout (cr, layout, x, y);
  return layout_height (layout);
}

/* Makes room for @height points: on a full page the PDF goes on to the next one, saying so at
 * the foot; a preview ends there. FALSE when nothing more is to be drawn. */
static gboolean
make_room (Page *page, double height)
{
  if (page->ended)
    return FALSE;
  if (page->y + height <= PAGE_HEIGHT - MARGIN - FOOTER_HEIGHT)
    return TRUE;
  cairo_set_source_rgb (page->cr, 0.3, 0.3, 0.3);
  show_text (page->cr, MARGIN, PAGE_HEIGHT - MARGIN - FOOTER_HEIGHT + 6, CONTENT_WIDTH, 8, FALSE,
             PANGO_ALIGN_RIGHT, _("Continued on the next page"));
  cairo_set_source_rgb (page->cr, 0, 0, 0);
  if (page->first_page_only)
    {
      page->ended = TRUE;
      return FALSE;
    }
  cairo_show_page (page->cr);
  page->y = MARGIN;
  return TRUE;
}

/* A row of the facts table: the label in the grey column, the value beside it, each wrapped in
 * its column, the row as tall as the taller of the two. */
static void
table_row (Page *page, const char *label, const char *value)
{
  cairo_t *cr = page->cr;
  double value_width = CONTENT_WIDTH - LABEL_WIDTH - 2 * CELL_PADDING;
  g_autoptr(PangoLayout) label_layout = text_layout (cr, label, TEXT_SIZE, TRUE,
                                                     LABEL_WIDTH - 2 * CELL_PADDING,
                                                     PANGO_ALIGN_LEFT);
  g_autoptr(PangoLayout) value_layout = text_layout (cr, value != NULL ? value : "—", TEXT_SIZE,
                                                     FALSE, value_width, PANGO_ALIGN_LEFT);
  double height = MAX (layout_height (label_layout), layout_height (value_layout))
                  + 2 * CELL_PADDING;

  if (!make_room (page, height))
    return;
  cairo_set_source_rgb (cr, 0.93, 0.93, 0.93);
  cairo_rectangle (cr, MARGIN, page->y, LABEL_WIDTH, height);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0.6, 0.6, 0.6);
  cairo_set_line_width (cr, 0.5);
  cairo_rectangle (cr, MARGIN, page->y, CONTENT_WIDTH, height);
  cairo_stroke (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  draw_layout (cr, label_layout, MARGIN + CELL_PADDING, page->y + CELL_PADDING);
  draw_layout (cr, value_layout, MARGIN + LABEL_WIDTH + CELL_PADDING, page->y + CELL_PADDING);
  page->y += height;
}

static void
table_rowf (Page *page, const char *label, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
table_rowf (Page *page, const char *label, const char *format, ...)
{
  g_autofree char *value = NULL;
  va_list args;

  va_start (args, format);
  value = g_strdup_vprintf (format, args);
  va_end (args);
  table_row (page, label, value);
}

/* "none", "2d", "3d" in words. */
static const char *
describe_fix_mode (const char *mode)
{
  if (g_strcmp0 (mode, "3d") == 0)
    return _("3D fix");
  if (g_strcmp0 (mode, "2d") == 0)
    return _("2D fix");
  return _("no fix");
}

/* A half-circle gauge in a column of @width centred on @cx: green below the 10 % line, red above,
 * the needle at the deviation; under it the signal, the verdict and the readings, wrapped in the
 * column. A reading with a quality flag says so. */
static void
gauge (cairo_t *cr, double cx, double cy, double width, FfSignal signal, const FfReport *report)
{
  const FfReportJudgement *judgement = &report->judgement;
  double limit_angle = G_PI + G_PI * (FF_SNAPSHOT_MAX_RELATIVE_ERROR / GAUGE_FULL_SCALE);
  double left = cx - width / 2;
  double y = cy + 8;
  g_autofree char *verdict = NULL;

  cairo_set_line_width (cr, 10);
  cairo_set_source_rgb (cr, 0.55, 0.8, 0.55);
  cairo_arc (cr, cx, cy, GAUGE_RADIUS, G_PI, limit_angle);
  cairo_stroke (cr);
  cairo_set_source_rgb (cr, 0.9, 0.5, 0.45);
  cairo_arc (cr, cx, cy, GAUGE_RADIUS, limit_angle, 2 * G_PI);
  cairo_stroke (cr);

  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  if (judgement->present)
    {
      double shown = MIN (judgement->deviation[signal], GAUGE_FULL_SCALE);
      double angle = G_PI + G_PI * shown / GAUGE_FULL_SCALE;

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

  cairo_set_source_rgb (cr, 0, 0, 0);
  y += show_text (cr, left, y, width, TEXT_SIZE, TRUE, PANGO_ALIGN_CENTER,
                  ff_signal_get_label (signal));
  y += show_text (cr, left, y, width, TEXT_SIZE, TRUE, PANGO_ALIGN_CENTER, verdict);
  if (report->before.present && report->after.present)
    {
      FfSnapshot before, after;
      g_autofree char *before_text = NULL;
      g_autofree char *after_text = NULL;
      g_autofree char *values = NULL;

      ff_snapshot_from_report (&report->before, &before);
      ff_snapshot_from_report (&report->after, &after);
      before_text = ff_snapshot_format_reading (&before, signal);
      after_text = ff_snapshot_format_reading (&after, signal);
      values = g_strdup_printf ("%s → %s", before_text, after_text);
      show_text (cr, left, y, width, TEXT_SIZE, FALSE, PANGO_ALIGN_CENTER, values);
    }
}

static void
draw_gauges (Page *page, const FfReport *report)
{
  double column = CONTENT_WIDTH / FF_N_SIGNALS;

  page->y += 16;
  if (!make_room (page, GAUGE_TITLE_HEIGHT + GAUGE_RADIUS + GAUGE_TEXT_HEIGHT))
    return;
  show_text (page->cr, MARGIN, page->y, CONTENT_WIDTH, 12, TRUE, PANGO_ALIGN_LEFT,
             _("Signals after against before (limit 10 %)"));
  page->y += GAUGE_TITLE_HEIGHT + GAUGE_RADIUS;
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    gauge (page->cr, MARGIN + column * (s + 0.5), page->y, column - 8, s, report);
  page->y += GAUGE_TEXT_HEIGHT;
}

/* A line to sign on, with who signs under it (and the name when the report knows it). */
static void
signature_line (cairo_t *cr, double x, double y, double width, const char *caption,
                const char *name)
{
  g_autofree char *under = name != NULL ? g_strdup_printf (_("%s: %s"), caption, name)
                                        : g_strdup (caption);

  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_line_width (cr, 0.8);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x + width, y);
  cairo_stroke (cr);
  show_text (cr, x, y + 4, width, TEXT_SIZE, FALSE, PANGO_ALIGN_LEFT, under);
}

/* The technician signs every printout; the supervisor's line names who overrode a mismatch (a
 * printout without an override leaves it for a countersignature). */
static void
draw_signatures (Page *page, const FfReport *report)
{
  double column = (CONTENT_WIDTH - 24) / 2;
  const char *technician = report->technician_name != NULL ? report->technician_name
                                                           : report->technician_phone;

  if (!make_room (page, SIGNATURE_BLOCK_HEIGHT))
    return;
  page->y += SIGNATURE_SPACE;
  signature_line (page->cr, MARGIN, page->y, column, _("Technician's signature and date"),
                  technician);
  signature_line (page->cr, MARGIN + column + 24, page->y, column,
                  _("Supervisor's signature and date"), report->identity.override_by);
  page->y += SIGNATURE_BLOCK_HEIGHT - SIGNATURE_SPACE;
}

/* A tablet's visit (every signed report names its tablet), or a device's own result the
 * platform prints in the same layout (a meter's app install): that has no task, technician,
 * signals or signatures. */
static gboolean
is_visit (const FfReport *report)
{
  return report->tablet_serial != NULL;
}

static void
draw_facts (Page *page, const FfReport *report)
{
  const FfReportVersions *v = &report->versions;
  g_autoptr(GDateTime) closed = g_date_time_new_from_unix_utc (report->created_at);
  g_autofree char *closed_text = g_date_time_format (closed, "%Y-%m-%d %H:%M:%S");

  const char *device_label = is_visit (report) ? _("Terminal") : _("Device");

  if (report->terminal_name != NULL)
    /* Translators: a name (or version) with its ID (or checksum) in brackets. */
    table_rowf (page, device_label, _("%s (%s)"), report->terminal_name, report->device_id);
  else
    table_row (page, device_label, report->device_id);
  if (is_visit (report))
    table_row (page, _("Task"), report->task_id);
  table_row (page, _("Outcome"), ff_report_describe (report));
  table_row (page, _("Closed at (UTC)"), closed_text);
  if (is_visit (report))
    {
      if (report->technician_name != NULL)
        /* Translators: the technician's name, then phone number. */
        table_rowf (page, _("Technician"), _("%s, %s"), report->technician_name,
                    report->technician_phone);
      else
        table_row (page, _("Technician"), report->technician_phone);
      table_row (page, _("Tablet"), report->tablet_serial);
    }
  table_rowf (page, _("Version before"), _("%s (%s)"), v->before != NULL ? v->before : "—",
              v->before_checksum != NULL ? v->before_checksum : "—");
  table_row (page, _("Target version"), v->target);
  table_rowf (page, _("Version after"), _("%s (%s)"), v->after != NULL ? v->after : "—",
              v->after_checksum != NULL ? v->after_checksum : "—");
  if (report->identity.present)
    {
      const FfReportIdentity *id = &report->identity;

      table_row (page, _("Device ID read"), id->device_id_read);
      /* Translators: the position check: the differences in latitude and longitude in
       * arcseconds, the distance in metres, then the kind of GPS fix ("3D fix"). */
      table_rowf (page, _("Position check"), _("Δlat %.2f″, Δlon %.2f″, %.1f m, %s"),
                  id->delta_latitude_arcsec, id->delta_longitude_arcsec, id->distance_m,
                  describe_fix_mode (id->fix_mode));
      if (id->override_by != NULL)
        {
          table_row (page, _("Override by supervisor"), id->override_by);
          table_row (page, _("Override reason"), id->override_reason);
        }
    }
  if (report->transfer.present)
    /* Translators: the transfer: file name, bytes, segments, seconds. */
    table_rowf (page, _("Transfer"), _("%s, %lld bytes in %u segments, %.1f s"),
                report->transfer.file_name, (long long) report->transfer.bytes,
                report->transfer.segments, report->transfer.seconds);
  /* Format 2 says what went over the link: the image, or the delta patch that makes it. */
  if (report->transfer.present && report->transfer.sha256 != NULL)
    table_rowf (page, _("Sent"),
                report->transfer.delta ? _("Delta patch, %lld bytes on the link")
                                       : _("Whole image, %lld bytes on the link"),
                (long long) report->transfer.wire_bytes);
  if (report->firmware_version != NULL)
    table_row (page, _("Firmware pushed"), report->firmware_version);
  if (report->firmware_sha256 != NULL)
    table_row (page, _("Firmware SHA-256"), report->firmware_sha256);
  if (report->failure_reason != NULL)
    /* Translators: a failure: the step it happened in, then the reason. */
    table_rowf (page, _("Failure"), _("%s: %s"), ff_report_step_describe (report->failure_step),
                report->failure_reason);
  table_row (page, _("Report ID"), report->report_id);
}

static void
draw_pages (const FfReport *report, cairo_t *cr, gboolean first_page_only)
{
  Page page = { .cr = cr, .y = MARGIN, .first_page_only = first_page_only };

  cairo_set_source_rgb (cr, 0, 0, 0);
  page.y += show_text (cr, MARGIN, page.y, CONTENT_WIDTH, 18, TRUE, PANGO_ALIGN_LEFT,
                       _("Fieldflash upgrade report")) + 12;
  draw_facts (&page, report);
  if (is_visit (report))
    {
      draw_gauges (&page, report);
      draw_signatures (&page, report);
    }
  if (make_room (&page, 12))
    show_text (cr, MARGIN, page.y, CONTENT_WIDTH, 8, FALSE, PANGO_ALIGN_LEFT,
               is_visit (report)
               ? _("The signed JSON report is the record; this page is its printout.")
               : _("The device's own result as the platform recorded it; no tablet signed it."));
}

void
ff_report_draw_page (const FfReport *report,
                     cairo_t        *cr)
{
  draw_pages (report, cr, TRUE);
}

char *
ff_report_pdf_file_name (const FfReport *report)
{
  g_autoptr(GDateTime) closed = g_date_time_new_from_unix_utc (report->created_at);
  g_autofree char *day = g_date_time_format (closed, "%Y%m%d");

  return g_strdup_printf ("%s-%s-%s.pdf", report->device_id, day,
                          ff_report_outcome_to_string (report->outcome));
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

  draw_pages (report, cr, FALSE);
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
  return ff_file_replace (path, (const char *) pdf->data, pdf->len, 0644, error);
}
