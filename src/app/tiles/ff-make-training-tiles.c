/* ff-make-training-tiles OUTPUT-DIR: renders the training map as {z}/{x}/{y}.png web-mercator
 * tiles of 256 px, with cairo: a street grid of our own making over the training area
 * (ff-training-area.h), no third-party map data. Run by the build (a meson custom_target). */
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ff-training-area.h"

#define TILE_SIZE 256
/* Streets every ~130 m east-west and north-south, as in an old town grid. */
#define STREET_STEP_LAT 0.0012
#define STREET_STEP_LON 0.0014

typedef struct
{
  double x;   /* pixels at the zoom level, from the antimeridian and the north edge */
  double y;
} Pixel;

static Pixel
project (double latitude, double longitude, int zoom)
{
  double scale = TILE_SIZE * (double) (1 << zoom);
  double phi = latitude * M_PI / 180;

  return (Pixel) { (longitude + 180) / 360 * scale,
                   (1 - log (tan (phi) + 1 / cos (phi)) / M_PI) / 2 * scale };
}

static void
street (cairo_t *cr, int zoom, double lat1, double lon1, double lat2, double lon2, double width)
{
  Pixel a = project (lat1, lon1, zoom);
  Pixel b = project (lat2, lon2, zoom);
  /* A street is a line: grey casing, then the pavement, wider the closer the zoom. */
  double scale = pow (2, zoom - 17);

  cairo_move_to (cr, a.x, a.y);
  cairo_line_to (cr, b.x, b.y);
  cairo_set_source_rgb (cr, 0.62, 0.60, 0.56);
  cairo_set_line_width (cr, (width + 3) * scale);
  cairo_stroke_preserve (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_set_line_width (cr, width * scale);
  cairo_stroke (cr);
}

static void
draw_streets (cairo_t *cr, int zoom)
{
  int row = 0;

  /* City blocks in a warm grey, so the streets stand out in sunlight. */
  cairo_set_source_rgb (cr, 0.88, 0.86, 0.81);
  cairo_paint (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  for (double lat = FF_TRAINING_AREA_SOUTH; lat <= FF_TRAINING_AREA_NORTH; lat += STREET_STEP_LAT)
    street (cr, zoom, lat, FF_TRAINING_AREA_WEST, lat, FF_TRAINING_AREA_EAST,
            row++ % 3 == 0 ? 12 : 7);
  row = 0;
  for (double lon = FF_TRAINING_AREA_WEST; lon <= FF_TRAINING_AREA_EAST; lon += STREET_STEP_LON)
    street (cr, zoom, FF_TRAINING_AREA_SOUTH, lon, FF_TRAINING_AREA_NORTH, lon,
            row++ % 3 == 0 ? 12 : 7);
  /* One avenue across the grid, so no two tiles look alike. */
  street (cr, zoom, FF_TRAINING_AREA_SOUTH, FF_TRAINING_AREA_WEST, FF_TRAINING_AREA_NORTH,
          FF_TRAINING_AREA_EAST, 14);
}

static int
make_dir (const char *path)
{
  if (mkdir (path, 0755) != 0 && errno != EEXIST)
    {
      fprintf (stderr, "ff-make-training-tiles: %s: %s\n", path, strerror (errno));
      return -1;
    }
  return 0;
}

static int
render_tile (const char *out_dir, int zoom, int x, int y)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, TILE_SIZE, TILE_SIZE);
  cairo_t *cr = cairo_create (surface);
  char path[4096];
  cairo_status_t status;

  cairo_translate (cr, -(double) x * TILE_SIZE, -(double) y * TILE_SIZE);
  draw_streets (cr, zoom);
  cairo_destroy (cr);
  snprintf (path, sizeof path, "%s/%d/%d/%d.png", out_dir, zoom, x, y);
  status = cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      fprintf (stderr, "ff-make-training-tiles: %s: %s\n", path, cairo_status_to_string (status));
      return -1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  char path[4096];

  if (argc != 2)
    {
      fprintf (stderr, "usage: ff-make-training-tiles OUTPUT-DIR\n");
      return 2;
    }
  if (make_dir (argv[1]) != 0)
    return 1;
  for (int zoom = FF_TRAINING_AREA_MIN_ZOOM; zoom <= FF_TRAINING_AREA_MAX_ZOOM; zoom++)
    {
      Pixel north_west = project (FF_TRAINING_AREA_NORTH, FF_TRAINING_AREA_WEST, zoom);
      Pixel south_east = project (FF_TRAINING_AREA_SOUTH, FF_TRAINING_AREA_EAST, zoom);

      snprintf (path, sizeof path, "%s/%d", argv[1], zoom);
      if (make_dir (path) != 0)
        return 1;
      for (int x = (int) (north_west.x / TILE_SIZE); x <= (int) (south_east.x / TILE_SIZE); x++)
        {
          snprintf (path, sizeof path, "%s/%d/%d", argv[1], zoom, x);
          if (make_dir (path) != 0)
            return 1;
          for (int y = (int) (north_west.y / TILE_SIZE); y <= (int) (south_east.y / TILE_SIZE);
               y++)
            if (render_tile (argv[1], zoom, x, y) != 0)
              return 1;
        }
    }
  return 0;
}
