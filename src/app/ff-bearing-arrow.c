/* FfBearingArrow: draws a compass ring, north up with an N mark above it, and an arrow rotated to
 * the bearing, or a plain ring while the bearing is unknown (no fix), in the widget's foreground
 * colour so it follows the style. A tablet does not know which way it faces: the ring is a map's,
 * not a compass needle, and ff_bearing_format() gives the same bearing in words. */
#include "config.h"

#include "ff-bearing-arrow.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#define FF_BEARING_ARROW_MIN_SIZE 160
#define FF_BEARING_ARROW_NATURAL_SIZE 192
/* Between the N mark and the ring. */
#define FF_BEARING_ARROW_MARK_GAP 4

/* The eight points of the compass, clockwise from north. */
static const char *const compass_points[] = {
  /* Translators: compass points, as on a map: north, north-east, east… */
  N_("N"), N_("NE"), N_("E"), N_("SE"), N_("S"), N_("SW"), N_("W"), N_("NW"),
};

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
update_accessible_label (FfBearingArrow *self)
{
  g_autofree char *bearing = self->known ? ff_bearing_format (self->bearing) : NULL;

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  bearing != NULL ? bearing : _("Direction unknown"), -1);
}

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

/* The N mark above the ring: bold, a little larger than the text around it. */
static PangoLayout *
create_north_mark (GtkWidget *widget)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, _(compass_points[0]));
  g_autoptr(PangoAttrList) attributes = pango_attr_list_new ();

  pango_attr_list_insert (attributes, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_attr_list_insert (attributes, pango_attr_scale_new (1.2));
  pango_layout_set_attributes (layout, attributes);
  return layout;
}

static void
ff_bearing_arrow_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  FfBearingArrow *self = FF_BEARING_ARROW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr(PangoLayout) mark = create_north_mark (widget);
  int mark_width, mark_height;
  double radius, top;
  GdkRGBA color;
  cairo_t *cr;

  pango_layout_get_pixel_size (mark, &mark_width, &mark_height);
  /* The ring fills what the mark leaves, and the two sit in the middle together. */
  radius = MIN (width, height - mark_height - FF_BEARING_ARROW_MARK_GAP) / 2.0 - 4;
  if (radius <= 0)
    return;
  top = (height - mark_height - FF_BEARING_ARROW_MARK_GAP - 2 * (radius + 4)) / 2;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_cairo_set_source_rgba (cr, &color);
  cairo_move_to (cr, (width - mark_width) / 2.0, top);
  pango_cairo_show_layout (cr, mark);

  cairo_new_path (cr);
  cairo_translate (cr, width / 2.0, top + mark_height + FF_BEARING_ARROW_MARK_GAP + radius + 4);
  cairo_set_line_width (cr, 3);
  cairo_arc (cr, 0, 0, radius, 0, 2 * G_PI);
  cairo_stroke (cr);

  /* North on the ring itself: a notch pointing in from the top. */
  cairo_move_to (cr, -radius * 0.12, -radius);
  cairo_line_to (cr, radius * 0.12, -radius);
  cairo_line_to (cr, 0, -radius * 0.82);
  cairo_close_path (cr);
  cairo_fill (cr);

  if (self->known)
    {
      /* Screen y grows downwards, so a bearing of 0° (north) points up. */
      /* A shaft with a triangular head, not a kite: which end leads is plain at a glance, even
       * in glare (a kite's wide tail reads as a head). */
      cairo_rotate (cr, self->bearing * G_PI / 180.0);
      cairo_rectangle (cr, -radius * 0.09, -radius * 0.25, radius * 0.18, radius * 0.9);
      cairo_fill (cr);
      cairo_move_to (cr, 0, -radius * 0.8);
      cairo_line_to (cr, radius * 0.38, -radius * 0.2);
      cairo_line_to (cr, -radius * 0.38, -radius * 0.2);
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
  update_accessible_label (self);
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
  update_accessible_label (self);
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
  update_accessible_label (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KNOWN]);
}

/* @bearing in degrees from north as a person reads it: the nearest of the eight compass points and
 * the whole degrees ("NE 45°"). */
char *
ff_bearing_format (double bearing)
{
  /* 359.6° reads 0°, north. */
  guint degrees = (guint) lround (bearing) % 360;
  guint point = (degrees * 2 + 45) / 90 % G_N_ELEMENTS (compass_points);

  /* Translators: a compass point, then the bearing in degrees from north. */
  return g_strdup_printf (_("%s %u°"), _(compass_points[point]), degrees);
}
