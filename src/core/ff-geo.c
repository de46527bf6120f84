/* Field geography: the 1-arcsecond identity rule, distance, bearing and the visiting order. */
#include "config.h"

#include "ff-geo.h"

#include <math.h>
#include <stdlib.h>

/* IUGG mean radius; the sphere's error of a few metres per km does not matter on foot. */
#define EARTH_RADIUS_M 6371008.8
#define ARCSEC_PER_DEGREE 3600.0
/* Coordinates arrive as decimal degrees with ~1e-7° resolution; without this slack a difference of
 * exactly 1″ could land on either side of the rule depending on rounding of the decimal input. */
#define IDENTITY_ROUNDING_SLACK_ARCSEC 1e-6

gboolean
ff_geo_point_is_valid (const FfGeoPoint *point)
{
  return isfinite (point->latitude) && isfinite (point->longitude)
         && fabs (point->latitude) <= 90.0 && fabs (point->longitude) <= 180.0;
}

/* A decimal number as people and asset systems write one: an optional sign, digits, and an
 * optional fraction ("39.915", "-116.4"). g_ascii_strtod() alone would also read "0x1p4", "inf",
 * "1e2" and leading spaces. */
static gboolean
is_decimal (const char *text)
{
  const char *p = text + (*text == '-' || *text == '+');

  if (!g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '.')
    {
      if (!g_ascii_isdigit (*++p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  return *p == '\0';
}

/* Degrees written as a plain decimal number, from -@limit to @limit (90 for a latitude, 180 for a
 * longitude). */
gboolean
ff_geo_parse_degrees (const char *text,
                      double      limit,
                      double     *value)
{
  char *end = NULL;

  if (!is_decimal (text))
    return FALSE;
  *value = g_ascii_strtod (text, &end);
  return *end == '\0' && isfinite (*value) && *value >= -limit && *value <= limit;
}

double
ff_geo_delta_latitude_arcsec (const FfGeoPoint *fix,
                              const FfGeoPoint *recorded)
{
  return fabs (fix->latitude - recorded->latitude) * ARCSEC_PER_DEGREE;
}

double
ff_geo_delta_longitude_arcsec (const FfGeoPoint *fix,
                               const FfGeoPoint *recorded)
{
  double delta = fabs (fix->longitude - recorded->longitude);

  /* Across the antimeridian 179.9999° and -179.9999° are neighbours. */
  if (delta > 180.0)
    delta = 360.0 - delta;
  return delta * ARCSEC_PER_DEGREE;
}

gboolean
ff_geo_same_place (const FfGeoPoint *fix,
                   const FfGeoPoint *recorded)
{
  const double limit = FF_GEO_IDENTITY_TOLERANCE_ARCSEC + IDENTITY_ROUNDING_SLACK_ARCSEC;

  if (!ff_geo_point_is_valid (fix) || !ff_geo_point_is_valid (recorded))
    return FALSE;
  return ff_geo_delta_latitude_arcsec (fix, recorded) <= limit
         && ff_geo_delta_longitude_arcsec (fix, recorded) <= limit;
}

static double
radians (double degrees)
{
  return degrees * G_PI / 180.0;
}

double
ff_geo_distance_m (const FfGeoPoint *from,
                   const FfGeoPoint *to)
{
  double lat1 = radians (from->latitude), lat2 = radians (to->latitude);
  double dlat = lat2 - lat1, dlon = radians (to->longitude - from->longitude);
  double h = sin (dlat / 2) * sin (dlat / 2)
             + cos (lat1) * cos (lat2) * sin (dlon / 2) * sin (dlon / 2);

  return 2 * EARTH_RADIUS_M * asin (sqrt (MIN (1.0, h)));
}

double
ff_geo_bearing_deg (const FfGeoPoint *from,
                    const FfGeoPoint *to)
{
  double lat1 = radians (from->latitude), lat2 = radians (to->latitude);
  double dlon = radians (to->longitude - from->longitude);
  double y = sin (dlon) * cos (lat2);
  double x = cos (lat1) * sin (lat2) - sin (lat1) * cos (lat2) * cos (dlon);
  double bearing = atan2 (y, x) * 180.0 / G_PI;

  return fmod (bearing + 360.0, 360.0);
}

static double
leg (const FfGeoPoint *start, const FfGeoPoint *stops, const guint *order, int from, int to)
{
  const FfGeoPoint *a = from < 0 ? start : &stops[order[from]];

  return ff_geo_distance_m (a, &stops[order[to]]);
}

/* The pairs of stops 2-opt may look at for one walk: about a second on a tablet. */
#define TWO_OPT_BUDGET_PAIRS 1000000

/* Nearest neighbour looks at every stop left at each step: 10,000 stops took 3 s and 30,000 26 s
 * on the app's main thread (bench/bench-route), and a task may hold 100,000. Past this many pairs
 * (4,000 stops, half a second) the stops are walked along a Hilbert curve instead. */
#define NEAREST_FIRST_BUDGET_PAIRS 8000000
#define HILBERT_SIDE 65536

/* The position on a Hilbert curve over a HILBERT_SIDE² grid of the cell (@x, @y): cells near on the
 * curve are near on the grid. */
static guint64
hilbert_index (guint32 x, guint32 y)
{
  guint64 index = 0;

  for (guint32 half = HILBERT_SIDE / 2; half > 0; half /= 2)
    {
      guint32 rx = (x & half) != 0, ry = (y & half) != 0;

      index += (guint64) half * half * ((3 * rx) ^ ry);
      if (ry == 0)
        {
          guint32 swap;

          if (rx == 1)
            {
              x = HILBERT_SIDE - 1 - x;
              y = HILBERT_SIDE - 1 - y;
            }
          swap = x;
          x = y;
          y = swap;
        }
    }
  return index;
}

typedef struct
{
  guint64 key;
  guint   stop;
} CurveStop;

static int
compare_curve_stops (gconstpointer a, gconstpointer b)
{
  const CurveStop *left = a, *right = b;

  return left->key < right->key ? -1 : left->key > right->key;
}

/* The stops in their order along a Hilbert curve over their bounding box (n log n), walked from the
 * end nearer @start. Degrees stand for distances: a task's terminals lie in one district. */
static void
order_along_curve (const FfGeoPoint *start, const FfGeoPoint *stops, guint n_stops, GArray *order)
{
  g_autofree CurveStop *curve = g_new (CurveStop, n_stops);
  double south = stops[0].latitude, north = south, west = stops[0].longitude, east = west;
  double scale;

  for (guint k = 1; k < n_stops; k++)
    {
      south = MIN (south, stops[k].latitude);
      north = MAX (north, stops[k].latitude);
      west = MIN (west, stops[k].longitude);
      east = MAX (east, stops[k].longitude);
    }
  /* One scale for both axes keeps the cells square. */
  scale = (HILBERT_SIDE - 1) / MAX (MAX (north - south, east - west), 1e-9);
  for (guint k = 0; k < n_stops; k++)
    curve[k] = (CurveStop) { hilbert_index ((guint32) ((stops[k].longitude - west) * scale),
                                            (guint32) ((stops[k].latitude - south) * scale)), k };
  qsort (curve, n_stops, sizeof *curve, compare_curve_stops);
  if (ff_geo_distance_m (start, &stops[curve[n_stops - 1].stop])
      < ff_geo_distance_m (start, &stops[curve[0].stop]))
    for (guint k = 0; k < n_stops; k++)
      g_array_append_val (order, curve[n_stops - 1 - k].stop);
  else
    for (guint k = 0; k < n_stops; k++)
      g_array_append_val (order, curve[k].stop);
}

/* 2-opt on an open path that starts at the tablet: reversing order[i..j] replaces the legs
 * (i-1 → i) and (j → j+1) with (i-1 → j) and (i → j+1); the last stop has no onward leg. */
static gboolean
improve_once (const FfGeoPoint *start, const FfGeoPoint *stops, guint *order, guint n)
{
  gboolean improved = FALSE;

  for (guint i = 0; i + 1 < n; i++)
    for (guint j = i + 1; j < n; j++)
      {
        double before = leg (start, stops, order, (int) i - 1, i);
        double after = leg (start, stops, order, (int) i - 1, j);

        if (j + 1 < n)
          {
            before += leg (start, stops, order, j, j + 1);
            after += ff_geo_distance_m (&stops[order[i]], &stops[order[j + 1]]);
          }
        if (after + 1e-6 < before)
          {
            for (guint a = i, b = j; a < b; a++, b--)
              {
                guint swap = order[a];
                order[a] = order[b];
                order[b] = swap;
              }
            improved = TRUE;
          }
      }
  return improved;
}

/* Returns the indices of @stops (guint) in the order to visit them from @start: nearest neighbour
 * first, then 2-opt until no reversal shortens the walk or its budget is spent; past nearest
 * neighbour's budget, along a Hilbert curve. */
GArray *
ff_geo_visiting_order (const FfGeoPoint *start,
                       const FfGeoPoint *stops,
                       guint             n_stops)
{
  GArray *order = g_array_sized_new (FALSE, FALSE, sizeof (guint), n_stops);
  g_autofree gboolean *visited = g_new0 (gboolean, n_stops);
  FfGeoPoint here = *start;
  guint64 pairs_per_pass = n_stops > 1 ? (guint64) n_stops * (n_stops - 1) / 2 : 0;

  if (pairs_per_pass > NEAREST_FIRST_BUDGET_PAIRS)
    {
      order_along_curve (start, stops, n_stops, order);
      return order;
    }
  for (guint step = 0; step < n_stops; step++)
    {
      guint best = G_MAXUINT;
      double best_distance = INFINITY;

      for (guint k = 0; k < n_stops; k++)
        {
          double d;

          if (visited[k])
            continue;
          d = ff_geo_distance_m (&here, &stops[k]);
          if (d < best_distance || best == G_MAXUINT)
            {
              best = k;
              best_distance = d;
            }
        }
      visited[best] = TRUE;
      g_array_append_val (order, best);
      here = stops[best];
    }

  /* 2-opt looks at every pair of stops at each pass, and a campaign's task can carry thousands
   * of terminals (4,000 took 23 s on the app's main thread): it improves the walk only while a
   * whole pass fits in the budget, and a larger task keeps the nearest-neighbour walk. */
  for (guint64 looked = pairs_per_pass; looked > 0 && looked <= TWO_OPT_BUDGET_PAIRS;
       looked += pairs_per_pass)
    if (!improve_once (start, stops, (guint *) order->data, n_stops))
      break;
  return order;
}
