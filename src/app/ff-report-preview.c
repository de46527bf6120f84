/* FfReportPreview: draws the report as the page the PDF export prints — white A4, a table of the
 * facts and the four signals judged against the 10 % line — scaled to the width it gets.
 *
 * The PDF's own drawing (ff-report-pdf.c) only writes a file; until the core lets a caller draw
 * that page onto a cairo_t, this draws the facts of the summary in the page's proportions. */
#include "config.h"

#include "ff-report-preview.h"

#include <glib/gi18n-lib.h>


/* A4 in points, the PDF's page. */
#define PAGE_WIDTH 595.0
#define PAGE_HEIGHT 842.0
#define MARGIN 40.0
#define ROW_HEIGHT 30.0
#define LABEL_WIDTH 170.0
#define TEXT_SIZE 14.0
#define TITLE_SIZE 24.0
#define MIN_WIDTH 200
#define NATURAL_WIDTH 480

struct _FfReportPreview
{
  GtkWidget parent_instance;

  const FfReport *report;   /* borrowed, NULL for a blank page */
};

G_DEFINE_FINAL_TYPE (FfReportPreview, ff_report_preview, GTK_TYPE_WIDGET)

static void
show_text (cairo_t    *cr,
           double      x,
           double      y,
           double      width,
           double      size,
           gboolean    bold,
           const char *text)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string ("Sans");
  cairo_font_options_t *options = cairo_font_options_create ();

  /* Glyphs hinted for the screen's pixels would not line up once the page is scaled. */
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options (pango_layout_get_context (layout), options);
  pango_layout_context_changed (layout);
  cairo_font_options_destroy (options);

  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  pango_font_description_set_weight (font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_width (layout, width * PANGO_SCALE);
  /* Long texts (failure reasons) are cut to the column, as on paper. */
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_text (layout, text, -1);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static double
table_row (cairo_t    *cr,
           double      y,
           const char *label,
           const char *value)
{
  double value_width = PAGE_WIDTH - 2 * MARGIN - LABEL_WIDTH - 12;

  cairo_set_source_rgb (cr, 0.93, 0.93, 0.93);
  cairo_rectangle (cr, MARGIN, y, LABEL_WIDTH, ROW_HEIGHT);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0.6, 0.6, 0.6);
  cairo_set_line_width (cr, 1);
  cairo_rectangle (cr, MARGIN, y, PAGE_WIDTH - 2 * MARGIN, ROW_HEIGHT);
  cairo_stroke (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  show_text (cr, MARGIN + 6, y + 6, LABEL_WIDTH - 12, TEXT_SIZE, TRUE, label);
  show_text (cr, MARGIN + LABEL_WIDTH + 6, y + 6, value_width, TEXT_SIZE, FALSE,
             value != NULL ? value : "—");
  return y + ROW_HEIGHT;
}

/* One line per signal: before → after, the change, and the verdict in green or red. */
static double
signal_row (cairo_t        *cr,
            double          y,
            FfSignal        signal,
            const FfReport *report)
{
  g_autofree char *before = ff_signal_format_value (signal, report->before.values[signal]);
  g_autofree char *after = ff_signal_format_value (signal, report->after.values[signal]);
  g_autofree char *values = NULL;
  gboolean passed = report->judgement.pass[signal];

  /* Translators: a signal before and after the upgrade, then the change, e.g.
   * "10.52 kV → 10.49 kV (0.3 %)". */
  values = g_strdup_printf (_("%s → %s (%.1f %%)"), before, after,
                            report->judgement.deviation[signal] * 100);
  y = table_row (cr, y, ff_signal_get_label (signal), values);
  if (passed)
    cairo_set_source_rgb (cr, 0x26 / 255.0, 0xa2 / 255.0, 0x69 / 255.0);
  else
    cairo_set_source_rgb (cr, 0xe0 / 255.0, 0x1b / 255.0, 0x24 / 255.0);
  cairo_rectangle (cr, PAGE_WIDTH - MARGIN - 8, y - ROW_HEIGHT, 8, ROW_HEIGHT);
  cairo_fill (cr);
  return y;
}

static void
draw_page (cairo_t        *cr,
           const FfReport *report)
{
  const FfReportVersions *versions = &report->versions;
  g_autofree char *created = ff_timestamp_format (report->created_at);
  double y = MARGIN;

  cairo_set_source_rgb (cr, 0, 0, 0);
  show_text (cr, MARGIN, y, PAGE_WIDTH - 2 * MARGIN, TITLE_SIZE, TRUE,
             _("Fieldflash upgrade report"));
  y += TITLE_SIZE * 2;
  y = table_row (cr, y, _("Terminal"), report->device_id);
  y = table_row (cr, y, _("Task"), report->task_id);
  y = table_row (cr, y, _("Outcome"), ff_report_outcome_describe (report->outcome));
  y = table_row (cr, y, _("Closed at (UTC)"), created);
  y = table_row (cr, y, _("Version before"), versions->before);
  y = table_row (cr, y, _("Target version"), versions->target);
  y = table_row (cr, y, _("Version after"), versions->after);
  if (report->failure_reason != NULL)
    y = table_row (cr, y, _("Failure"), report->failure_reason);
  y = table_row (cr, y, _("Report ID"), report->report_id);

  if (!report->before.present || !report->after.present || !report->judgement.present)
    return;
  y += ROW_HEIGHT;
  show_text (cr, MARGIN, y, PAGE_WIDTH - 2 * MARGIN, TEXT_SIZE * 1.2, TRUE,
             _("Signals after against before (limit 10 %)"));
  y += ROW_HEIGHT * 1.2;
  for (guint signal = 0; signal < FF_SIGNAL_COUNT; signal++)
    y = signal_row (cr, y, signal, report);
}

static void
ff_report_preview_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  FfReportPreview *self = FF_REPORT_PREVIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double scale = MIN (width / PAGE_WIDTH, height / PAGE_HEIGHT);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* Paper stays white in every style: it is what the printer makes of it. */
  cairo_scale (cr, scale, scale);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, 0, 0, PAGE_WIDTH, PAGE_HEIGHT);
  cairo_fill_preserve (cr);
  cairo_set_source_rgb (cr, 0.6, 0.6, 0.6);
  cairo_set_line_width (cr, 1 / scale);
  cairo_stroke (cr);
  if (self->report != NULL)
    draw_page (cr, self->report);
  cairo_destroy (cr);
}

/* The page keeps its proportions: as tall as the width it is given asks for. */
static GtkSizeRequestMode
ff_report_preview_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
ff_report_preview_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = MIN_WIDTH;
      *natural = NATURAL_WIDTH;
      return;
    }
  *minimum = *natural = (for_size < 0 ? NATURAL_WIDTH : for_size) * PAGE_HEIGHT / PAGE_WIDTH;
}

static void
ff_report_preview_class_init (FfReportPreviewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = ff_report_preview_snapshot;
  widget_class->get_request_mode = ff_report_preview_get_request_mode;
  widget_class->measure = ff_report_preview_measure;

  gtk_widget_class_set_css_name (widget_class, "ff-report-preview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ff_report_preview_init (FfReportPreview *self)
{
}

GtkWidget *
ff_report_preview_new (void)
{
  return g_object_new (FF_TYPE_REPORT_PREVIEW, NULL);
}

void
ff_report_preview_set_report (FfReportPreview *self,
                              const FfReport  *report)
{
  g_return_if_fail (FF_IS_REPORT_PREVIEW (self));

  self->report = report;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
