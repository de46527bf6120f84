/* FfReportPreview: the report's printed page, drawn by the same code as the PDF export and scaled
 * to the width it gets. */
#include "config.h"

#include "ff-report-preview.h"

#include "ff-report-pdf.h"

#define PAGE_WIDTH FF_REPORT_PAGE_WIDTH
#define PAGE_HEIGHT FF_REPORT_PAGE_HEIGHT
#define MIN_WIDTH 200
#define NATURAL_WIDTH 480

struct _FfReportPreview
{
  GtkWidget parent_instance;

  const FfReport *report;   /* borrowed, NULL for a blank page */
};

G_DEFINE_FINAL_TYPE (FfReportPreview, ff_report_preview, GTK_TYPE_WIDGET)

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
    ff_report_draw_page (self->report, cr);
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
