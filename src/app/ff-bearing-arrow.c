/* FfBearingArrow: draws a compass ring with an arrow rotated to the bearing, or a plain ring while
 * the bearing is unknown (no fix), in the widget's foreground colour so it follows the style. */
#include "config.h"

#include "ff-bearing-arrow.h"

#include <math.h>

#define FF_BEARING_ARROW_MIN_SIZE 96
#define FF_BEARING_ARROW_NATURAL_SIZE 160

struct _FfBearingArrow
{
  GtkWidget parent_instance;

  double   bearing;
  gboolean known;
};

G_DEFINE_FINAL_TYPE (FfBearingArrow, ff_bearing_arrow, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_BEARING,
  PROP_KNOWN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ff_bearing_arrow_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = FF_BEARING_ARROW_MIN_SIZE;
  *natural = FF_BEARING_ARROW_NATURAL_SIZE;
}

static void
ff_bearing_arrow_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  FfBearingArrow *self = FF_BEARING_ARROW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double radius = MIN (width, height) / 2.0 - 4;
  GdkRGBA color;
  cairo_t *cr;

  if (radius <= 0)
    return;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_translate (cr, width / 2.0, height / 2.0);

  gdk_cairo_set_source_rgba (cr, &color);
  cairo_set_line_width (cr, 3);
  cairo_arc (cr, 0, 0, radius, 0, 2 * G_PI);
  cairo_stroke (cr);

  if (self->known)
    {
      /* Screen y grows downwards, so a bearing of 0° (north) points up. */
      cairo_rotate (cr, self->bearing * G_PI / 180.0);
      cairo_move_to (cr, 0, -radius * 0.85);
      cairo_line_to (cr, radius * 0.45, radius * 0.55);
      cairo_line_to (cr, 0, radius * 0.3);
      cairo_line_to (cr, -radius * 0.45, radius * 0.55);
      cairo_close_path (cr);
      cairo_fill (cr);
    }

  cairo_destroy (cr);
}

static void
ff_bearing_arrow_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FfBearingArrow *self = FF_BEARING_ARROW (object);

  switch (prop_id)
    {
    case PROP_BEARING:
      g_value_set_double (value, self->bearing);
      break;
    case PROP_KNOWN:
      g_value_set_boolean (value, self->known);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_bearing_arrow_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  FfBearingArrow *self = FF_BEARING_ARROW (object);

  switch (prop_id)
    {
    case PROP_BEARING:
      ff_bearing_arrow_set_bearing (self, g_value_get_double (value));
      break;
    case PROP_KNOWN:
      ff_bearing_arrow_set_known (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_bearing_arrow_class_init (FfBearingArrowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ff_bearing_arrow_get_property;
  object_class->set_property = ff_bearing_arrow_set_property;
  widget_class->measure = ff_bearing_arrow_measure;
  widget_class->snapshot = ff_bearing_arrow_snapshot;

  properties[PROP_BEARING] =
    g_param_spec_double ("bearing", NULL, NULL, 0, 360, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KNOWN] =
    g_param_spec_boolean ("known", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "bearing-arrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ff_bearing_arrow_init (FfBearingArrow *self)
{
}

GtkWidget *
ff_bearing_arrow_new (void)
{
  return g_object_new (FF_TYPE_BEARING_ARROW, NULL);
}

double
ff_bearing_arrow_get_bearing (FfBearingArrow *self)
{
  g_return_val_if_fail (FF_IS_BEARING_ARROW (self), 0);

  return self->bearing;
}

void
ff_bearing_arrow_set_bearing (FfBearingArrow *self,
                              double          bearing)
{
  g_return_if_fail (FF_IS_BEARING_ARROW (self));

  bearing = CLAMP (bearing, 0, 360);
  if (self->bearing == bearing)
    return;

  self->bearing = bearing;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BEARING]);
}

gboolean
ff_bearing_arrow_get_known (FfBearingArrow *self)
{
  g_return_val_if_fail (FF_IS_BEARING_ARROW (self), FALSE);

  return self->known;
}

void
ff_bearing_arrow_set_known (FfBearingArrow *self,
                            gboolean        known)
{
  g_return_if_fail (FF_IS_BEARING_ARROW (self));

  known = !!known;
  if (self->known == known)
    return;

  self->known = known;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KNOWN]);
}
