/* The Navigate page: the bearing and distance to the terminal from the GPS, its fix flagged when
 * stale or coarse, a long name wrapped; and the offline map beside them, read from a tile
 * directory, drawing the training tiles with the tablet, the terminal and the walk between. */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "ff-bearing-arrow.h"
#include "ff-geo.h"
#include "ff-gps-simulated.h"
#include "ff-navigate-page.h"
#include "ff-training.h"
#include "ff-ui-test.h"
#if HAVE_SHUMATE
#include "ff-tile-directory.h"
#endif

/* A bearing reads as the nearest of the eight compass points and whole degrees. */
static void
test_bearing_reads_as_compass_point (void)
{
  static const struct
  {
    double      bearing;
    const char *text;
  } cases[] = {
    { 0.0, "N 0°" }, { 22.4, "N 22°" }, { 22.6, "NE 23°" }, { 45.0, "NE 45°" },
    { 180.0, "S 180°" }, { 292.5, "NW 293°" }, { 337.4, "NW 337°" }, { 359.6, "N 0°" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = ff_bearing_format (cases[i].bearing);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static gboolean
is_image_named (GtkWidget     *widget,
                gconstpointer  icon_name)
{
  return GTK_IS_IMAGE (widget)
         && g_strcmp0 (gtk_image_get_icon_name (GTK_IMAGE (widget)), icon_name) == 0;
}

/* A name as long as the ledger takes (128 bytes) without a space wraps on the 360 px phone layout:
 * it does not make the page wider than the screen. */
static void
test_navigate_page_wraps_long_name (void)
{
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  GtkWidget *page = g_object_ref_sink (g_object_new (FF_TYPE_NAVIGATE_PAGE, "gps", gps, NULL));
  g_autoptr(FfTaskItem) item = ff_task_item_new ();
  g_autofree char *name = g_strnfill (128, 'W');
  int minimum = 0;

  item->device_id = g_strdup ("DTU-0001");
  item->name = g_strdup (name);
  item->latitude = 31.2310;
  item->longitude = 121.4710;
  ff_navigate_page_set_target (FF_NAVIGATE_PAGE (page), item);
  g_assert_true (gtk_widget_get_visible (ff_ui_test_find (page, ff_ui_test_is_label, name)));
  gtk_widget_measure (page, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  g_assert_finalize_object (page);
}

static void
test_navigate_page_follows_gps (void)
{
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  GtkWidget *page = g_object_ref_sink (g_object_new (FF_TYPE_NAVIGATE_PAGE, "gps", gps, NULL));
  FfBearingArrow *arrow = FF_BEARING_ARROW (ff_ui_test_find_type (page, FF_TYPE_BEARING_ARROW));
  g_autoptr(FfTaskItem) item = ff_task_item_new ();
  FfGeoPoint here = { 31.2300, 121.4700 };
  FfGeoPoint there = { 31.2310, 121.4710 };
  FfGpsFix coarse = { 0, FF_GPS_FIX_3D, FF_GPS_STATUS_GPS, { 31.2300, 121.4700 }, 40 };
  g_autofree char *direction = NULL;
  GtkWidget *fix_row;

  item->device_id = g_strdup ("DTU-0001");
  item->name = g_strdup ("Ring main unit 7");
  item->latitude = there.latitude;
  item->longitude = there.longitude;

  g_assert_cmpstr (ff_ui_test_visible_stack_child (page), ==, "empty");
  ff_navigate_page_set_target (FF_NAVIGATE_PAGE (page), item);
  g_assert_cmpstr (ff_ui_test_visible_stack_child (page), ==, "target");

  /* No fix yet: no arrow. */
  g_assert_false (ff_bearing_arrow_get_known (arrow));

  ff_gps_simulated_set_position (gps, here.latitude, here.longitude);
  g_assert_true (ff_bearing_arrow_get_known (arrow));
  g_assert_cmpfloat_with_epsilon (ff_bearing_arrow_get_bearing (arrow),
                                  ff_geo_bearing_deg (&here, &there), 1e-9);
  /* The same bearing in words, under the distance: the terminal lies north-east. */
  direction = ff_bearing_format (ff_geo_bearing_deg (&here, &there));
  g_assert_true (g_str_has_prefix (direction, "NE "));
  g_assert_true (gtk_widget_get_visible (ff_ui_test_find (page, ff_ui_test_is_label, direction)));
  fix_row = ff_ui_test_find (page, ff_ui_test_is_row_titled, "Fix");
  g_assert_true (g_str_has_suffix (ff_ui_test_row_subtitle (page, "Fix"), " s old, accuracy not reported"));
  g_assert_false (gtk_widget_has_css_class (fix_row, "warning"));

  /* A 98 s old fix does not look like a fresh one: flagged in colour, icon and words. */
  ff_gps_source_report_old_fix (FF_GPS_SOURCE (gps), FF_GPS_FIX_3D, here.latitude, here.longitude,
                                98);
  g_assert_true (g_str_has_prefix (ff_ui_test_row_subtitle (page, "Fix"), "Stale: 3D fix, 98 s old"));
  g_assert_true (gtk_widget_has_css_class (fix_row, "warning"));
  g_assert_true (gtk_widget_get_visible (ff_ui_test_find (fix_row, is_image_named,
                                                          "dialog-warning-symbolic")));
  /* Nor does a coarse one. */
  ff_gps_source_report (FF_GPS_SOURCE (gps), &coarse);
  g_assert_true (g_str_has_prefix (ff_ui_test_row_subtitle (page, "Fix"), "Low accuracy: 3D fix, 0 s old, ±40 m"));
  g_assert_true (gtk_widget_has_css_class (fix_row, "warning"));

  /* At the terminal: no arrow and no "N 0°", but where the technician is. */
  ff_gps_simulated_set_position (gps, there.latitude, there.longitude);
  g_assert_true (gtk_widget_get_visible (ff_ui_test_find (page, ff_ui_test_is_label,
                                                          "You are here")));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (arrow)));
  g_assert_null (ff_ui_test_find (page, ff_ui_test_is_label, "N 0°"));
  g_assert_false (gtk_widget_has_css_class (fix_row, "warning"));

  ff_gps_simulated_lose_fix (gps);
  g_assert_false (ff_bearing_arrow_get_known (arrow));

  g_assert_finalize_object (page);
  g_assert_finalize_object (g_steal_pointer (&gps));
}

#if HAVE_SHUMATE
typedef struct
{
  GBytes *bytes;
  GError *error;
  gboolean done;
} TileRead;

static void
tile_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  TileRead *read = user_data;

  read->bytes = shumate_data_source_get_tile_data_finish (SHUMATE_DATA_SOURCE (source), result,
                                                          &read->error);
  read->done = TRUE;
}

/* A tile read from the files on disk, at native speed (ff_test_deadline_s scales it). */
#define TILE_READ_DEADLINE_S 60

static TileRead
read_tile (FfTileDirectory *tiles,
           int              x,
           int              y,
           int              zoom_level)
{
  TileRead read = { 0 };
  guint watchdog = ff_test_watchdog_add (TILE_READ_DEADLINE_S, "a tile's data");

  shumate_data_source_get_tile_data_async (SHUMATE_DATA_SOURCE (tiles), x, y, zoom_level, NULL,
                                           tile_read, &read);
  while (!read.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
  return read;
}

/* A tile directory with one tile, 17/109742/53548.png; the bytes need not be a real picture. */
static char *
make_tile_directory (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("ff-tiles-XXXXXX", &error);
  g_autofree char *column = g_build_filename (dir, "17", "109742", NULL);
  g_autofree char *tile = g_build_filename (column, "53548.png", NULL);

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (column, 0755), ==, 0);
  g_assert_true (g_file_set_contents (tile, "tile 17/109742/53548", -1, &error));
  return dir;
}

static void
remove_tile_directory (const char *dir)
{
  g_autofree char *tile = g_build_filename (dir, "17", "109742", "53548.png", NULL);
  g_autofree char *column = g_build_filename (dir, "17", "109742", NULL);
  g_autofree char *zoom = g_build_filename (dir, "17", NULL);

  g_assert_cmpint (g_remove (tile), ==, 0);
  g_assert_cmpint (g_rmdir (column), ==, 0);
  g_assert_cmpint (g_rmdir (zoom), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
count_received (ShumateDataSource *source,
                int                x,
                int                y,
                int                zoom_level,
                GBytes            *bytes,
                guint             *received)
{
  g_assert_cmpint (x, ==, 109742);
  g_assert_cmpint (y, ==, 53548);
  g_assert_cmpint (zoom_level, ==, 17);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, strlen ("tile 17/109742/53548"));
  (*received)++;
}

/* A tile read is also announced on "received-data": libshumate 1.0's raster renderer draws only
 * what it hears there. */
static void
test_tile_directory_reads_tiles (void)
{
  g_autofree char *dir = make_tile_directory ();
  FfTileDirectory *tiles = ff_tile_directory_new (dir);
  guint received = 0;
  TileRead present, missing;

  g_signal_connect (tiles, "received-data", G_CALLBACK (count_received), &received);
  present = read_tile (tiles, 109742, 53548, 17);
  missing = read_tile (tiles, 109743, 53548, 17);
  g_assert_cmpuint (received, ==, 1);
  g_assert_no_error (present.error);
  g_assert_cmpmem (g_bytes_get_data (present.bytes, NULL), g_bytes_get_size (present.bytes),
                   "tile 17/109742/53548", strlen ("tile 17/109742/53548"));
  g_assert_null (missing.bytes);
  g_assert_error (missing.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  g_bytes_unref (present.bytes);
  g_error_free (missing.error);
  g_assert_finalize_object (tiles);
  remove_tile_directory (dir);
}

static void
test_navigate_page_map (void)
{
  g_autofree char *dir = make_tile_directory ();
  GtkWidget *without = g_object_ref_sink (g_object_new (FF_TYPE_NAVIGATE_PAGE, NULL));
  GtkWidget *page = g_object_ref_sink (g_object_new (FF_TYPE_NAVIGATE_PAGE, NULL));
  g_autoptr(FfTaskItem) item = ff_task_item_new ();
  GtkWidget *map;
  ShumateViewport *viewport;

  /* No tiles, no map: the arrow and the distance do the guiding. */
  g_assert_null (ff_ui_test_find_type (without, SHUMATE_TYPE_SIMPLE_MAP));

  item->device_id = g_strdup ("DTU0001");
  item->name = g_strdup ("Ring main unit 7");
  item->latitude = 31.2310;
  item->longitude = 121.4710;
  ff_navigate_page_set_tile_directory (FF_NAVIGATE_PAGE (page), dir);
  ff_navigate_page_set_target (FF_NAVIGATE_PAGE (page), item);
  map = ff_ui_test_find_type (page, SHUMATE_TYPE_SIMPLE_MAP);
  g_assert_nonnull (map);
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_parent (map)));
  viewport = shumate_simple_map_get_viewport (SHUMATE_SIMPLE_MAP (map));
  g_assert_cmpfloat_with_epsilon (shumate_location_get_latitude (SHUMATE_LOCATION (viewport)),
                                  item->latitude, 1e-6);
  g_assert_cmpfloat_with_epsilon (shumate_location_get_longitude (SHUMATE_LOCATION (viewport)),
                                  item->longitude, 1e-6);

  g_assert_finalize_object (page);
  g_assert_finalize_object (without);
  remove_tile_directory (dir);
}
/* The fraction of the pixels in @area (window coordinates) that differ between two renderings of
 * the same window size by more than a faint shade. */
static double
fraction_changed (GdkTexture            *a,
                  GdkTexture            *b,
                  const graphene_rect_t *area)
{
  int width = gdk_texture_get_width (a);
  int height = gdk_texture_get_height (a);
  gsize stride = (gsize) width * 4;
  g_autofree guchar *pixels_a = g_malloc (stride * height);
  g_autofree guchar *pixels_b = g_malloc (stride * height);
  guint changed = 0, total = 0;

  g_assert_cmpint (gdk_texture_get_width (b), ==, width);
  g_assert_cmpint (gdk_texture_get_height (b), ==, height);
  gdk_texture_download (a, pixels_a, stride);
  gdk_texture_download (b, pixels_b, stride);
  for (int y = MAX (0, (int) area->origin.y); y < MIN (height, (int) (area->origin.y
                                                                       + area->size.height)); y++)
    for (int x = MAX (0, (int) area->origin.x); x < MIN (width, (int) (area->origin.x
                                                                        + area->size.width)); x++)
      {
        const guchar *pa = pixels_a + y * stride + x * 4;
        const guchar *pb = pixels_b + y * stride + x * 4;

        total++;
        for (int c = 0; c < 3; c++)
          if (ABS (pa[c] - pb[c]) > 12)
            {
              changed++;
              break;
            }
      }
  g_assert_cmpuint (total, >, 0);
  return (double) changed / total;
}

typedef struct
{
  GtkWidget       *drawn;   /* a window whose map has the training tiles */
  GtkWidget       *blank;   /* the same with an empty tile directory */
  graphene_rect_t  area;    /* the map, in window coordinates */
  double           changed;
} MapComparison;

static gboolean
map_drawn (gpointer data)
{
  MapComparison *comparison = data;
  g_autoptr(GdkTexture) drawn = ff_ui_test_render (comparison->drawn);
  g_autoptr(GdkTexture) blank = ff_ui_test_render (comparison->blank);

  comparison->changed = fraction_changed (drawn, blank, &comparison->area);
  /* Streets on a tinted ground cover the whole map once every tile is in. */
  return comparison->changed > 0.6;
}

static GtkWidget *
map_window (const char     *tile_dir,
            FfGpsSource    *gps,
            const FfTaskItem *item)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = g_object_new (FF_TYPE_NAVIGATE_PAGE, "gps", gps, NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), page);
  ff_navigate_page_set_tile_directory (FF_NAVIGATE_PAGE (page), tile_dir);
  ff_navigate_page_set_target (FF_NAVIGATE_PAGE (page), item);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static gboolean
is_exactly (GtkWidget     *widget,
            gconstpointer  type)
{
  return G_OBJECT_TYPE (widget) == GPOINTER_TO_SIZE (type);
}

static gboolean
is_point_inside (GtkWidget *marker,
                 GtkWidget *map)
{
  graphene_point_t point;

  g_assert_true (gtk_widget_compute_point (marker, map, &GRAPHENE_POINT_INIT (0, 0), &point));
  return point.x >= 0 && point.y >= 0 && point.x < gtk_widget_get_width (map)
         && point.y < gtk_widget_get_height (map);
}

/* A paint of the window that takes longer (@user_data, in ms) than the second between two fixes,
 * as on a slow tablet or under emulation. It stands for the machine's slowness, it synchronises
 * nothing. */
static void
paint_slowly (GdkFrameClock *frame_clock,
              gpointer       user_data)
{
  g_usleep (GPOINTER_TO_UINT (user_data) * G_TIME_SPAN_MILLISECOND);
}

/* The tablet at the training depot and @item the first training terminal, 460 m apart. */
static void
stand_at_depot (FfGpsSimulated *gps,
                FfTaskItem     *item)
{
  ff_gps_simulated_set_position (gps, 31.2290, 121.4745);
  item->device_id = g_strdup ("DTU0101");
  item->name = g_strdup ("Ring main unit 1, Renmin Road");
  item->latitude = 31.2331;
  item->longitude = 121.4752;
}

/* The training map is drawn: the map area differs from the same page over no tiles, and it shows
 * the tablet and the terminal together, with the walking line between them. With @slow_frames
 * each frame of the map takes longer than the interval of the GPS fixes. */
static void
check_training_map_drawn (gboolean slow_frames)
{
  g_autofree char *tiles = ff_training_get_tile_directory ();
  g_autofree char *empty = g_dir_make_tmp ("ff-no-tiles-XXXXXX", NULL);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfTaskItem) item = ff_task_item_new ();
  MapComparison comparison = { 0 };
  GtkWidget *map;
  GtkWidget *path;
  GList *nodes;

  g_assert_true (g_file_test (tiles, G_FILE_TEST_IS_DIR));
  stand_at_depot (gps, item);
  comparison.drawn = map_window (tiles, FF_GPS_SOURCE (gps), item);
  comparison.blank = map_window (empty, FF_GPS_SOURCE (gps), item);
  if (slow_frames)
    g_signal_connect (gtk_widget_get_frame_clock (comparison.drawn), "paint",
                      G_CALLBACK (paint_slowly), GUINT_TO_POINTER (1200));
  ff_ui_test_wait_for_frame (comparison.drawn);
  map = ff_ui_test_find_type (comparison.drawn, SHUMATE_TYPE_SIMPLE_MAP);
  g_assert_nonnull (map);
  g_assert_true (gtk_widget_compute_bounds (map, comparison.drawn, &comparison.area));
  g_assert_cmpfloat (comparison.area.size.width, >, 100);
  g_assert_cmpfloat (comparison.area.size.height, >, 100);

  ff_ui_test_wait_until_settled (map_drawn, &comparison, "the training tiles to be drawn");
  g_test_message ("map pixels changed by the tiles: %.0f %%", comparison.changed * 100);
  ff_ui_test_save_screenshot (comparison.drawn, "navigate-training-map.png");

  /* Both ends of the walk are on the map, joined by the line, and the scale is metric. */
  g_assert_true (is_point_inside (ff_ui_test_find_type (map, SHUMATE_TYPE_POINT), map));
  g_assert_true (is_point_inside (ff_ui_test_find (map, is_exactly,
                                                   GSIZE_TO_POINTER (SHUMATE_TYPE_MARKER)), map));
  path = ff_ui_test_find_type (map, SHUMATE_TYPE_PATH_LAYER);
  g_assert_nonnull (path);
  nodes = shumate_path_layer_get_nodes (SHUMATE_PATH_LAYER (path));
  g_assert_cmpuint (g_list_length (nodes), ==, 2);
  g_list_free (nodes);
  g_assert_cmpint (shumate_scale_get_unit (shumate_simple_map_get_scale (SHUMATE_SIMPLE_MAP (map))),
                   ==, SHUMATE_UNIT_METRIC);

  gtk_window_destroy (GTK_WINDOW (comparison.drawn));
  gtk_window_destroy (GTK_WINDOW (comparison.blank));
  g_assert_cmpint (g_rmdir (empty), ==, 0);
}

static void
test_navigate_map_draws_training_tiles (void)
{
  check_training_map_drawn (FALSE);
}

/* A map that takes longer to draw than the GPS takes to report still asks for its tiles. */
static void
test_navigate_map_draws_tiles_slowly (void)
{
  check_training_map_drawn (TRUE);
}

/* Where the tablet stands still, on a tablet whose frames each outlast two fixes, the map is drawn
 * whole (app-screenshots's demand at 1280×800): the walk's two ends and more than 99 % of the map
 * covered by tiles. It was moved to the same place at every fix, and each move threw away the
 * frame that had drawn its tiles, so the map drawn was always the one being redrawn. */
static void
test_navigate_map_stays_drawn_slow_frames (void)
{
  g_autofree char *tiles = ff_training_get_tile_directory ();
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfTaskItem) item = ff_task_item_new ();
  GtkWidget *window;
  GtkWidget *map;

  stand_at_depot (gps, item);
  window = map_window (tiles, FF_GPS_SOURCE (gps), item);
  g_signal_connect (gtk_widget_get_frame_clock (window), "paint", G_CALLBACK (paint_slowly),
                    GUINT_TO_POINTER (2500));
  map = ff_ui_test_find_type (window, SHUMATE_TYPE_SIMPLE_MAP);
  g_assert_nonnull (map);
  ff_ui_test_wait_until_settled (ff_ui_test_map_shows_way, map,
                                 "the map drawn whole with the way to the terminal");
  gtk_window_destroy (GTK_WINDOW (window));
}
#endif

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/bearing/format", test_bearing_reads_as_compass_point);
  g_test_add_func ("/app/navigate/gps", test_navigate_page_follows_gps);
  g_test_add_func ("/app/navigate/long-name", test_navigate_page_wraps_long_name);
#if HAVE_SHUMATE
  g_test_add_func ("/app/map/tile-directory", test_tile_directory_reads_tiles);
  g_test_add_func ("/app/map/navigate", test_navigate_page_map);
  g_test_add_func ("/app/map/training-tiles-drawn", test_navigate_map_draws_training_tiles);
  g_test_add_func ("/app/map/tiles-drawn-slow-frames", test_navigate_map_draws_tiles_slowly);
  g_test_add_func ("/app/map/stays-drawn-slow-frames", test_navigate_map_stays_drawn_slow_frames);
#endif
  return g_test_run ();
}
