/* FfNavigatePage: follows the GPS source and shows the distance and bearing to the target terminal
 * (an arrow on a north-up ring, and in words; "You are here" at the terminal), with the fix's
 * kind, age and accuracy refreshed every second while the page is on screen — a stale or coarse
 * fix flagged in colour and words. */
#include "config.h"

#include "ff-navigate-page.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "ff-bearing-arrow.h"
#include "ff-fold-box.h"
#include "ff-geo.h"

/* Within this of the terminal the technician is there: no arrow, "You are here". */
#define FF_NAVIGATE_ARRIVED_M 10.0
/* A fix coarser than this cannot tell two poles of a street apart: flagged. */
#define FF_NAVIGATE_COARSE_FIX_M 15.0
#if HAVE_SHUMATE
#include "ff-tile-directory.h"

/* Close enough to tell the poles of one street apart. */
#define FF_MAP_ZOOM_LEVEL 17
#define FF_MAP_MAX_ZOOM_LEVEL 19
#define FF_MAP_TILE_SIZE 256

/* What the map is moved to show: the fix (if any), the terminal (if any) and the map's size, which
 * the zoom is fitted to. */
typedef struct
{
  gboolean   has_fix;
  FfGeoPoint here;
  gboolean   has_target;
  FfGeoPoint target;
  int        width;
  int        height;
} FfMapView;
#endif

struct _FfNavigatePage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack       *stack;
  FfBearingArrow *arrow;
  GtkLabel       *distance_label;
  GtkLabel       *bearing_label;
  GtkLabel       *name_label;
  GtkLabel       *device_label;
  AdwActionRow   *fix_row;
  GtkWidget      *fix_warning;
  AdwActionRow   *source_row;
  GtkWidget      *walk_button;
  GtkWidget      *details;
  GtkBox         *map_box;

  /* owned */
  FfGpsSource *gps;
  char        *target_device_id;
  FfGeoPoint   target;
  gboolean     has_target;
  guint        tick_id;
#if HAVE_SHUMATE
  guint             follow_id;   /* the map's move to the latest fix, queued */
  ShumateSimpleMap *map;         /* NULL until there are tiles */
  char             *tile_path;
  ShumateMarker    *terminal_marker;
  ShumateMarker    *tablet_marker;
  ShumatePathLayer *walk;        /* the straight line from the tablet to the terminal */
  FfMapView         shown;       /* what the map was last moved to show */
#endif
};

G_DEFINE_FINAL_TYPE (FfNavigatePage, ff_navigate_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_GPS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_distance (double metres)
{
  if (metres < 1000)
    /* Translators: a distance in metres. */
    return g_strdup_printf (_("%.0f m"), metres);
  /* Translators: a distance in kilometres. */
  return g_strdup_printf (_("%.1f km"), metres / 1000);
}

static const char *
describe_fix_mode (FfGpsFixMode mode)
{
  switch (mode)
    {
    case FF_GPS_FIX_NOT_SEEN:
      return _("No receiver seen");
    case FF_GPS_FIX_NONE:
      return _("No fix");
    case FF_GPS_FIX_2D:
      return _("2D fix");
    case FF_GPS_FIX_3D:
      return _("3D fix");
    default:
      g_return_val_if_reached (NULL);
    }
}

#if HAVE_SHUMATE
/* The largest zoom level, up to FF_MAP_ZOOM_LEVEL, at which @a and @b both fit in the map with a
 * margin, so the technician sees where they stand and where the terminal is at once. */
static double
zoom_to_fit (FfNavigatePage   *self,
             const FfGeoPoint *a,
             const FfGeoPoint *b)
{
  ShumateMapSource *source = shumate_simple_map_get_map_source (self->map);
  int width = gtk_widget_get_width (GTK_WIDGET (self->map));
  int height = gtk_widget_get_height (GTK_WIDGET (self->map));
  /* Before the first layout the map has no size: take the smallest the page gives it. */
  double room_x = (width > 0 ? width : 300) * 0.85;
  double room_y = (height > 0 ? height : 200) * 0.85;
  double zoom;

  for (zoom = FF_MAP_ZOOM_LEVEL; zoom > 1; zoom--)
    {
      double dx = fabs (shumate_map_source_get_x (source, zoom, a->longitude)
                        - shumate_map_source_get_x (source, zoom, b->longitude));
      double dy = fabs (shumate_map_source_get_y (source, zoom, a->latitude)
                        - shumate_map_source_get_y (source, zoom, b->latitude));

      if (dx <= room_x && dy <= room_y)
        break;
    }
  return zoom;
}

static gboolean
same_point (const FfGeoPoint *a,
            const FfGeoPoint *b)
{
  return a->latitude == b->latitude && a->longitude == b->longitude;
}

static gboolean
same_view (const FfMapView *a,
           const FfMapView *b)
{
  return a->has_fix == b->has_fix && (!a->has_fix || same_point (&a->here, &b->here))
         && a->has_target == b->has_target
         && (!a->has_target || same_point (&a->target, &b->target))
         && a->width == b->width && a->height == b->height;
}

/* The next update moves the map, whatever it shows. */
static void
forget_shown_view (FfNavigatePage *self)
{
  self->shown.width = -1;
}

/* The tablet's fix (NULL: none), the terminal, and the walking line between them. Only when one
 * of them or the map's size changed: moving the map redraws all of it, a frame of seconds on a
 * slow tablet, and a fix repeated every second while the technician stands still would keep the
 * map redrawing for nothing — each of those frames throws away the one before, tiles and all. */
static void
update_map (FfNavigatePage   *self,
            const FfGeoPoint *here)
{
  ShumateViewport *viewport;
  FfMapView view = { 0 };

  if (self->map == NULL)
    return;
  view.has_fix = here != NULL;
  if (here != NULL)
    view.here = *here;
  view.has_target = self->has_target;
  view.target = self->target;
  view.width = gtk_widget_get_width (GTK_WIDGET (self->map));
  view.height = gtk_widget_get_height (GTK_WIDGET (self->map));
  if (same_view (&view, &self->shown))
    return;
  self->shown = view;
  viewport = shumate_simple_map_get_viewport (self->map);
  gtk_widget_set_visible (GTK_WIDGET (self->tablet_marker), here != NULL);
  shumate_path_layer_remove_all (self->walk);
  if (self->has_target)
    shumate_location_set_location (SHUMATE_LOCATION (self->terminal_marker),
                                   self->target.latitude, self->target.longitude);
  if (here == NULL || !self->has_target)
    return;
  shumate_location_set_location (SHUMATE_LOCATION (self->tablet_marker), here->latitude,
                                 here->longitude);
  shumate_path_layer_add_node (self->walk, SHUMATE_LOCATION (self->tablet_marker));
  shumate_path_layer_add_node (self->walk, SHUMATE_LOCATION (self->terminal_marker));
  shumate_viewport_set_zoom_level (viewport, zoom_to_fit (self, here, &self->target));
  shumate_map_center_on (shumate_simple_map_get_map (self->map),
                         (here->latitude + self->target.latitude) / 2,
                         (here->longitude + self->target.longitude) / 2);
}

static gboolean
follow_fix (gpointer user_data)
{
  FfNavigatePage *self = user_data;
  FfGeoPoint here;
  gboolean have_fix = self->gps != NULL && ff_gps_source_get_position (self->gps, &here);

  self->follow_id = 0;
  update_map (self, have_fix ? &here : NULL);
  return G_SOURCE_REMOVE;
}

/* The map follows the fix below the priority of GLib's idle callbacks, where libshumate asks for
 * the tiles a move uncovers: a fix comes every second, and on a machine where laying out and
 * drawing the map takes longer than that (a slow tablet, an emulated one), moving the map at each
 * fix kept the main loop busy above that idle, and the map never asked for a single tile. Queued
 * once: a later fix moves the map to where the tablet is by then. */
static void
queue_follow_fix (FfNavigatePage *self)
{
  if (self->map != NULL && self->follow_id == 0)
    self->follow_id = g_idle_add_full (G_PRIORITY_LOW, follow_fix, self, NULL);
}
#endif

/* What the fix is worth, in words: its kind, age and accuracy, and whether it can be trusted to
 * walk by. Returns whether it is flagged (stale or coarse). */
static gboolean
describe_fix (FfNavigatePage  *self,
              char           **text)
{
  FfGpsFix fix;
  double age = ff_gps_source_get_fix_age (self->gps);
  const char *mode = describe_fix_mode (ff_gps_source_get_fix_mode (self->gps));
  g_autofree char *accuracy = NULL;
  gboolean stale = age > FF_GPS_MAX_FIX_AGE_S;
  gboolean coarse;

  ff_gps_source_get_fix (self->gps, &fix);
  coarse = isfinite (fix.accuracy_m) && fix.accuracy_m > FF_NAVIGATE_COARSE_FIX_M;
  /* Translators: a fix's horizontal accuracy, e.g. "±5 m". */
  accuracy = isfinite (fix.accuracy_m) ? g_strdup_printf (_("±%.0f m"), fix.accuracy_m)
                                       : g_strdup (_("accuracy not reported"));
  if (stale)
    /* Translators: a stale fix: its kind, its age in seconds, its accuracy. */
    *text = g_strdup_printf (_("Stale: %s, %.0f s old, %s. Step into open sky and wait for a "
                               "fresh fix before trusting the arrow."),
                             mode, floor (age), accuracy);
  else if (coarse)
    /* Translators: a coarse fix: its kind, its age in seconds, its accuracy. */
    *text = g_strdup_printf (_("Low accuracy: %s, %.0f s old, %s. The arrow may be off by that "
                               "much."), mode, floor (age), accuracy);
  else
    /* Translators: the fix quality, its age in seconds, its accuracy. */
    *text = g_strdup_printf (_("%s, %.0f s old, %s"), mode, floor (age), accuracy);
  return stale || coarse;
}

/* Colour and icon both, as for every status. */
static void
flag_fix (FfNavigatePage *self,
          gboolean        flagged)
{
  if (flagged)
    gtk_widget_add_css_class (GTK_WIDGET (self->fix_row), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->fix_row), "warning");
  gtk_widget_set_visible (self->fix_warning, flagged);
}

static void
update_fix (FfNavigatePage *self)
{
  FfGeoPoint here;
  gboolean have_fix;
  gboolean arrived = FALSE;
  g_autofree char *fix = NULL;
  g_autofree char *origin = NULL;

  if (self->gps == NULL)
    return;

  have_fix = ff_gps_source_get_position (self->gps, &here);
  if (have_fix)
    flag_fix (self, describe_fix (self, &fix));
  else
    {
      fix = g_strdup (describe_fix_mode (ff_gps_source_get_fix_mode (self->gps)));
      flag_fix (self, FALSE);
    }
  adw_action_row_set_subtitle (self->fix_row, fix);

  origin = ff_gps_source_describe (self->gps);
  adw_action_row_set_subtitle (self->source_row, origin);

#if HAVE_SHUMATE
  queue_follow_fix (self);
#endif

  /* At the terminal a bearing means nothing (it swings with every metre of noise): say so. */
  if (have_fix && self->has_target)
    arrived = ff_geo_distance_m (&here, &self->target) <= FF_NAVIGATE_ARRIVED_M;
  ff_bearing_arrow_set_known (self->arrow, have_fix && self->has_target);
  gtk_widget_set_visible (GTK_WIDGET (self->arrow), !arrived);
  gtk_widget_set_visible (GTK_WIDGET (self->bearing_label),
                          have_fix && self->has_target && !arrived);
  if (arrived)
    gtk_label_set_label (self->distance_label, _("You are here"));
  else if (have_fix && self->has_target)
    {
      double bearing = ff_geo_bearing_deg (&here, &self->target);
      g_autofree char *distance = format_distance (ff_geo_distance_m (&here, &self->target));
      g_autofree char *direction = ff_bearing_format (bearing);

      ff_bearing_arrow_set_bearing (self->arrow, bearing);
      gtk_label_set_label (self->distance_label, distance);
      gtk_label_set_label (self->bearing_label, direction);
    }
  else
    {
      gtk_label_set_label (self->distance_label, _("Waiting for a GPS fix"));
    }
}

static gboolean
tick (gpointer user_data)
{
  update_fix (FF_NAVIGATE_PAGE (user_data));
  return G_SOURCE_CONTINUE;
}

static void
ff_navigate_page_map (GtkWidget *widget)
{
  FfNavigatePage *self = FF_NAVIGATE_PAGE (widget);

  GTK_WIDGET_CLASS (ff_navigate_page_parent_class)->map (widget);

  update_fix (self);
  self->tick_id = g_timeout_add_seconds (1, tick, self);
}

static void
ff_navigate_page_unmap (GtkWidget *widget)
{
  FfNavigatePage *self = FF_NAVIGATE_PAGE (widget);

  g_clear_handle_id (&self->tick_id, g_source_remove);

  GTK_WIDGET_CLASS (ff_navigate_page_parent_class)->unmap (widget);
}

static void
ff_navigate_page_dispose (GObject *object)
{
  FfNavigatePage *self = FF_NAVIGATE_PAGE (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_object (&self->gps);
  g_clear_pointer (&self->target_device_id, g_free);
#if HAVE_SHUMATE
  g_clear_handle_id (&self->follow_id, g_source_remove);
  g_clear_pointer (&self->tile_path, g_free);
#endif

  G_OBJECT_CLASS (ff_navigate_page_parent_class)->dispose (object);
}

static void
ff_navigate_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FfNavigatePage *self = FF_NAVIGATE_PAGE (object);

  switch (prop_id)
    {
    case PROP_GPS:
      g_value_set_object (value, self->gps);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_navigate_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  FfNavigatePage *self = FF_NAVIGATE_PAGE (object);

  switch (prop_id)
    {
    case PROP_GPS:
      ff_navigate_page_set_gps (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_navigate_page_class_init (FfNavigatePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_navigate_page_dispose;
  object_class->get_property = ff_navigate_page_get_property;
  object_class->set_property = ff_navigate_page_set_property;
  widget_class->map = ff_navigate_page_map;
  widget_class->unmap = ff_navigate_page_unmap;

  properties[PROP_GPS] =
    g_param_spec_object ("gps", NULL, NULL, FF_TYPE_GPS_SOURCE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (FF_TYPE_BEARING_ARROW);
  g_type_ensure (FF_TYPE_FOLD_BOX);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-navigate-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, arrow);
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, distance_label);
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, bearing_label);
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, name_label);
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, device_label);
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, fix_row);
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, fix_warning);
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, source_row);
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, walk_button);
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, details);
  gtk_widget_class_bind_template_child (widget_class, FfNavigatePage, map_box);
}

static void
ff_navigate_page_init (FfNavigatePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

FfGpsSource *
ff_navigate_page_get_gps (FfNavigatePage *self)
{
  g_return_val_if_fail (FF_IS_NAVIGATE_PAGE (self), NULL);

  return self->gps;
}

void
ff_navigate_page_set_gps (FfNavigatePage *self,
                          FfGpsSource    *gps)
{
  g_return_if_fail (FF_IS_NAVIGATE_PAGE (self));
  g_return_if_fail (gps == NULL || FF_IS_GPS_SOURCE (gps));

  if (self->gps != NULL)
    g_signal_handlers_disconnect_by_data (self->gps, self);
  if (!g_set_object (&self->gps, gps))
    return;

  if (gps != NULL)
    {
      g_signal_connect_object (gps, "notify", G_CALLBACK (update_fix), self, G_CONNECT_SWAPPED);
      /* A report that changes no property still changes the fix's age and accuracy. */
      g_signal_connect_object (gps, "fix", G_CALLBACK (update_fix), self, G_CONNECT_SWAPPED);
    }
  update_fix (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GPS]);
}

/* Copies what it shows of @item: the page does not keep the task alive. */
void
ff_navigate_page_set_target (FfNavigatePage   *self,
                             const FfTaskItem *item)
{
  g_autofree char *device = NULL;

  g_return_if_fail (FF_IS_NAVIGATE_PAGE (self));
  g_return_if_fail (item != NULL);

  self->target = (FfGeoPoint) { item->latitude, item->longitude };
  self->has_target = TRUE;
  g_free (self->target_device_id);
  self->target_device_id = g_strdup (item->device_id);

  /* Translators: %s is the terminal's device ID. */
  device = g_strdup_printf (_("Device ID %s"), item->device_id);
  gtk_label_set_label (self->name_label, item->name);
  gtk_label_set_label (self->device_label, device);
  gtk_stack_set_visible_child_name (self->stack, "target");
#if HAVE_SHUMATE
  /* Without a fix the map shows the terminal; with one, update_fix() shows both, also where the
   * technician had moved the map away from the same terminal. */
  if (self->map != NULL)
    {
      shumate_map_center_on (shumate_simple_map_get_map (self->map), item->latitude,
                             item->longitude);
      forget_shown_view (self);
    }
#endif
  update_fix (self);
}

const char *
ff_navigate_page_get_target_device_id (FfNavigatePage *self)
{
  g_return_val_if_fail (FF_IS_NAVIGATE_PAGE (self), NULL);

  return self->target_device_id;
}

/* In training the trainee walks by telling the simulated GPS to. */
void
ff_navigate_page_set_training (FfNavigatePage *self,
                               gboolean        training)
{
  g_return_if_fail (FF_IS_NAVIGATE_PAGE (self));

  gtk_widget_set_visible (self->walk_button, training);
}

#if HAVE_SHUMATE
static void
create_map (FfNavigatePage   *self,
            ShumateMapSource *source)
{
  ShumateViewport *viewport;
  ShumateMarkerLayer *markers;
  GdkRGBA walk_colour = { 0.11, 0.44, 0.85, 1 };

  self->map = shumate_simple_map_new ();
  forget_shown_view (self);
  /* The tiles first: with no layer to go behind, libshumate puts a source's layer on top. */
  shumate_simple_map_set_map_source (self->map, source);
  viewport = shumate_simple_map_get_viewport (self->map);
  shumate_viewport_set_zoom_level (viewport, FF_MAP_ZOOM_LEVEL);
  /* Metres and kilometres only: the field works in metric. */
  shumate_scale_set_unit (shumate_simple_map_get_scale (self->map), SHUMATE_UNIT_METRIC);

  self->walk = shumate_path_layer_new (viewport);
  shumate_path_layer_set_stroke_color (self->walk, &walk_colour);
  shumate_path_layer_set_stroke_width (self->walk, 4);
  shumate_simple_map_add_overlay_layer (self->map, SHUMATE_LAYER (self->walk));

  markers = shumate_marker_layer_new (viewport);
  self->terminal_marker = shumate_marker_new ();
  shumate_marker_set_child (self->terminal_marker,
                            gtk_image_new_from_icon_name ("find-location-symbolic"));
  self->tablet_marker = shumate_point_new ();
  shumate_marker_layer_add_marker (markers, self->terminal_marker);
  shumate_marker_layer_add_marker (markers, self->tablet_marker);
  shumate_simple_map_add_overlay_layer (self->map, SHUMATE_LAYER (markers));

  gtk_widget_set_hexpand (GTK_WIDGET (self->map), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->map), TRUE);
  gtk_box_append (self->map_box, GTK_WIDGET (self->map));
  gtk_widget_set_visible (GTK_WIDGET (self->map_box), TRUE);
  /* Beside the readings, the map takes the width they leave. */
  gtk_widget_set_hexpand (self->details, FALSE);
}

/* The map appears with the first tile directory; another one (training's) replaces its tiles. */
void
ff_navigate_page_set_tile_directory (FfNavigatePage *self,
                                     const char     *path)
{
  g_autoptr(FfTileDirectory) tiles = NULL;
  g_autoptr(ShumateRasterRenderer) source = NULL;

  g_return_if_fail (FF_IS_NAVIGATE_PAGE (self));
  g_return_if_fail (path != NULL);

  if (g_strcmp0 (self->tile_path, path) == 0)
    return;
  g_free (self->tile_path);
  self->tile_path = g_strdup (path);
  tiles = ff_tile_directory_new (path);
  source = shumate_raster_renderer_new_full ("fieldflash-offline", _("Offline map"), NULL, NULL, 0,
                                             FF_MAP_MAX_ZOOM_LEVEL, FF_MAP_TILE_SIZE,
                                             SHUMATE_MAP_PROJECTION_MERCATOR,
                                             SHUMATE_DATA_SOURCE (tiles));
  if (self->map == NULL)
    create_map (self, SHUMATE_MAP_SOURCE (source));
  else
    shumate_simple_map_set_map_source (self->map, SHUMATE_MAP_SOURCE (source));
  update_fix (self);
}
#endif
