/* FfSignalGauge: shows a signal's before and after values and draws its relative error as a bar on
 * a scale up to twice the limit, with the limit marked, green when it passed and red when it did
 * not. */
#include "config.h"

#include "ff-signal-gauge.h"

#include <glib/gi18n-lib.h>
#include <math.h>


/* The bar's full length, as a multiple of the limit, so the limit line sits in the middle. */
#define FF_GAUGE_SCALE_LIMITS 2.0
/* Even no change at all shows its colour: green or red is the gauge's answer at a glance. */
#define FF_GAUGE_MIN_BAR_WIDTH 8

struct _FfSignalGauge
{
  AdwBin parent_instance;

  /* template widgets */
  GtkLabel       *name_label;
  GtkLabel       *before_label;
  GtkLabel       *after_label;
  GtkDrawingArea *bar;
  GtkLabel       *verdict_label;

  double   relative_error;
  gboolean passed;
};

G_DEFINE_FINAL_TYPE (FfSignalGauge, ff_signal_gauge, ADW_TYPE_BIN)

static char *
format_value (FfSignal          signal,
              const FfSnapshot *snapshot)
{
  if (snapshot == NULL || !snapshot->present[signal])
    return g_strdup (_("missing"));
  return ff_snapshot_format_reading (snapshot, signal);
}

static void
draw_bar (GtkDrawingArea *area,
          cairo_t        *cr,
          int             width,
          int             height,
          gpointer        user_data)
{
  FfSignalGauge *self = FF_SIGNAL_GAUGE (user_data);
  double scale = FF_SNAPSHOT_MAX_RELATIVE_ERROR * FF_GAUGE_SCALE_LIMITS;
  double limit_x = width * FF_SNAPSHOT_MAX_RELATIVE_ERROR / scale;
  GdkRGBA color;

  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (area)), &color);

  /* The track. */
  cairo_set_source_rgba (cr, color.red, color.green, color.blue, 0.15);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);

  if (!isnan (self->relative_error))
    {
      double fraction = MIN (self->relative_error / scale, 1.0);

      /* The libadwaita success and error colours, readable on light and dark surfaces. */
      if (self->passed)
        cairo_set_source_rgb (cr, 0x26 / 255.0, 0xa2 / 255.0, 0x69 / 255.0);
      else
        cairo_set_source_rgb (cr, 0xe0 / 255.0, 0x1b / 255.0, 0x24 / 255.0);
      cairo_rectangle (cr, 0, 0, MAX (width * fraction, FF_GAUGE_MIN_BAR_WIDTH), height);
      cairo_fill (cr);
    }

  /* The 10 % line. */
  gdk_cairo_set_source_rgba (cr, &color);
  cairo_set_line_width (cr, 3);
  cairo_move_to (cr, limit_x, 0);
  cairo_line_to (cr, limit_x, height);
  cairo_stroke (cr);
}

static void
ff_signal_gauge_class_init (FfSignalGaugeClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-signal-gauge.ui");
  gtk_widget_class_bind_template_child (widget_class, FfSignalGauge, name_label);
  gtk_widget_class_bind_template_child (widget_class, FfSignalGauge, before_label);
  gtk_widget_class_bind_template_child (widget_class, FfSignalGauge, after_label);
  gtk_widget_class_bind_template_child (widget_class, FfSignalGauge, bar);
  gtk_widget_class_bind_template_child (widget_class, FfSignalGauge, verdict_label);
}

static void
ff_signal_gauge_init (FfSignalGauge *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->relative_error = NAN;
  gtk_drawing_area_set_draw_func (self->bar, draw_bar, self, NULL);
}

GtkWidget *
ff_signal_gauge_new (void)
{
  return g_object_new (FF_TYPE_SIGNAL_GAUGE, NULL);
}

/* Presents @signal of the two snapshots with the judgement ff_snapshot_judge() made of it. */
void
ff_signal_gauge_show (FfSignalGauge           *self,
                      FfSignal                 signal,
                      const FfSnapshot        *before,
                      const FfSnapshot        *after,
                      const FfSignalJudgement *judgement)
{
  g_autofree char *before_text = NULL;
  g_autofree char *after_text = NULL;
  g_autofree char *verdict = NULL;

  g_return_if_fail (FF_IS_SIGNAL_GAUGE (self));
  g_return_if_fail (signal < FF_N_SIGNALS);
  g_return_if_fail (judgement != NULL);

  self->relative_error = judgement->relative_error;
  self->passed = judgement->passed;

  before_text = format_value (signal, before);
  after_text = format_value (signal, after);
  gtk_label_set_label (self->name_label, ff_signal_get_label (signal));
  gtk_label_set_label (self->before_label, before_text);
  gtk_label_set_label (self->after_label, after_text);

  verdict = ff_snapshot_judgement_describe (judgement);
  gtk_label_set_label (self->verdict_label, verdict);

  if (judgement->passed)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->verdict_label), "success");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_label), "success");
      gtk_widget_add_css_class (GTK_WIDGET (self->verdict_label), "error");
    }
  gtk_widget_queue_draw (GTK_WIDGET (self->bar));
}

gboolean
ff_signal_gauge_get_passed (FfSignalGauge *self)
{
  g_return_val_if_fail (FF_IS_SIGNAL_GAUGE (self), FALSE);

  return self->passed;
}
