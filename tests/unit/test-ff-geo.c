/* Unit tests of ff-geo: the 1″ identity rule on both sides of the boundary and in every hemisphere,
 * distance, bearing and the visiting order. */
#include "config.h"

#include <math.h>

#include "ff-geo.h"

#define ARCSEC (1.0 / 3600.0)

static const FfGeoPoint places[] = {
  { 39.9042, 116.4074 },    /* Beijing: north, east */
  { -33.8688, 151.2093 },   /* Sydney: south, east */
  { 40.7128, -74.0060 },    /* New York: north, west */
  { -34.6037, -58.3816 },   /* Buenos Aires: south, west */
  { 0.0, 0.0 },             /* both signs meet */
};

static void
test_identity_boundary (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (places); i++)
    {
      const FfGeoPoint *recorded = &places[i];
      const double inside[] = { 0.0, 0.5 * ARCSEC, 1.0 * ARCSEC };
      const double outside[] = { 1.01 * ARCSEC, 1.5 * ARCSEC, 10 * ARCSEC };

      for (guint k = 0; k < G_N_ELEMENTS (inside); k++)
        for (int sign = -1; sign <= 1; sign += 2)
          {
            FfGeoPoint lat_moved = { recorded->latitude + sign * inside[k], recorded->longitude };
            FfGeoPoint lon_moved = { recorded->latitude, recorded->longitude + sign * inside[k] };
            FfGeoPoint both_moved = { lat_moved.latitude, lon_moved.longitude };

            g_assert_true (ff_geo_same_place (&lat_moved, recorded));
            g_assert_true (ff_geo_same_place (&lon_moved, recorded));
            g_assert_true (ff_geo_same_place (&both_moved, recorded));
          }
      for (guint k = 0; k < G_N_ELEMENTS (outside); k++)
        for (int sign = -1; sign <= 1; sign += 2)
          {
            FfGeoPoint lat_moved = { recorded->latitude + sign * outside[k], recorded->longitude };
            FfGeoPoint lon_moved = { recorded->latitude, recorded->longitude + sign * outside[k] };

            g_assert_false (ff_geo_same_place (&lat_moved, recorded));
            g_assert_false (ff_geo_same_place (&lon_moved, recorded));
          }
    }
}

static void
test_identity_mirrored_hemisphere (void)
{
  /* Same magnitude, other hemisphere: a sign slip must never pass as "here". */
  FfGeoPoint recorded = { 31.2304, 121.4737 };
  FfGeoPoint south = { -31.2304, 121.4737 };
  FfGeoPoint west = { 31.2304, -121.4737 };

  g_assert_false (ff_geo_same_place (&south, &recorded));
  g_assert_false (ff_geo_same_place (&west, &recorded));
}

static void
test_identity_antimeridian (void)
{
  FfGeoPoint recorded = { -16.5, 180.0 };
  FfGeoPoint fix = { -16.5, -180.0 + 0.5 * ARCSEC };
  FfGeoPoint far = { -16.5, -180.0 + 2 * ARCSEC };

  g_assert_true (ff_geo_same_place (&fix, &recorded));
  g_assert_false (ff_geo_same_place (&far, &recorded));
}

static void
test_identity_invalid (void)
{
  FfGeoPoint recorded = { 10.0, 10.0 };
  FfGeoPoint nan_fix = { NAN, 10.0 };
  FfGeoPoint off_globe = { 91.0, 10.0 };

  g_assert_false (ff_geo_same_place (&nan_fix, &recorded));
  g_assert_false (ff_geo_same_place (&off_globe, &recorded));
}

static void
test_distance_bearing (void)
{
  FfGeoPoint origin = { 0.0, 0.0 };
  FfGeoPoint north = { 1.0, 0.0 };
  FfGeoPoint east = { 0.0, 1.0 };
  FfGeoPoint south = { -1.0, 0.0 };
  FfGeoPoint west = { 0.0, -1.0 };
  FfGeoPoint beijing = places[0], shanghai = { 31.2304, 121.4737 };

  /* One degree of a great circle on the mean sphere. */
  g_assert_cmpfloat_with_epsilon (ff_geo_distance_m (&origin, &north), 111195.1, 1.0);
  g_assert_cmpfloat_with_epsilon (ff_geo_distance_m (&origin, &east), 111195.1, 1.0);
  g_assert_cmpfloat_with_epsilon (ff_geo_bearing_deg (&origin, &north), 0.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ff_geo_bearing_deg (&origin, &east), 90.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ff_geo_bearing_deg (&origin, &south), 180.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ff_geo_bearing_deg (&origin, &west), 270.0, 1e-9);
  /* Beijing–Shanghai is about 1067 km, heading south-south-east. */
  g_assert_cmpfloat_with_epsilon (ff_geo_distance_m (&beijing, &shanghai) / 1000.0, 1067.0, 5.0);
  g_assert_cmpfloat (ff_geo_bearing_deg (&beijing, &shanghai), >, 135.0);
  g_assert_cmpfloat (ff_geo_bearing_deg (&beijing, &shanghai), <, 180.0);
}

static double
walk_length (const FfGeoPoint *start, const FfGeoPoint *stops, GArray *order)
{
  const FfGeoPoint *here = start;
  double total = 0;

  for (guint i = 0; i < order->len; i++)
    {
      const FfGeoPoint *next = &stops[g_array_index (order, guint, i)];
      total += ff_geo_distance_m (here, next);
      here = next;
    }
  return total;
}

static void
test_visiting_order_nearest_first (void)
{
  FfGeoPoint start = { 30.0, 120.0 };
  FfGeoPoint stops[] = { { 30.03, 120.0 }, { 30.01, 120.0 }, { 30.02, 120.0 } };
  g_autoptr(GArray) order = ff_geo_visiting_order (&start, stops, G_N_ELEMENTS (stops));

  g_assert_cmpuint (order->len, ==, 3);
  g_assert_cmpuint (g_array_index (order, guint, 0), ==, 1);
  g_assert_cmpuint (g_array_index (order, guint, 1), ==, 2);
  g_assert_cmpuint (g_array_index (order, guint, 2), ==, 0);
}

static void
test_visiting_order_two_opt (void)
{
  /* Along the equator from 0: nearest neighbour goes +1 km, back to −1.5 km, then out to +5 km
   * (10 km); 2-opt turns the first two round (−1.5, +1, +5: 8 km). */
  FfGeoPoint start = { 0.0, 0.0 };
  FfGeoPoint stops[] = { { 0.0, 0.009 }, { 0.0, -0.0135 }, { 0.0, 0.045 } };
  guint greedy[] = { 0, 1, 2 };
  GArray greedy_order = { .data = (char *) greedy, .len = G_N_ELEMENTS (greedy) };
  g_autoptr(GArray) order = ff_geo_visiting_order (&start, stops, G_N_ELEMENTS (stops));

  g_assert_cmpuint (order->len, ==, 3);
  g_assert_cmpuint (g_array_index (order, guint, 0), ==, 1);
  g_assert_cmpuint (g_array_index (order, guint, 1), ==, 0);
  g_assert_cmpuint (g_array_index (order, guint, 2), ==, 2);
  g_assert_cmpfloat (walk_length (&start, stops, order), <,
                     walk_length (&start, stops, &greedy_order) - 1000.0);
}

/* A campaign's task can carry thousands of terminals, and 2-opt looks at every pair of them at each
 * pass (4,000 stops took 23 s on the app's main thread): past its budget the walk stays nearest
 * neighbour's. The first three stops are the two-opt test's, which 2-opt would turn round; 1,500
 * more lie in a row 110 km east. */
static void
test_visiting_order_many_stops (void)
{
  const guint n = 1503;
  FfGeoPoint start = { 0.0, 0.0 };
  g_autofree FfGeoPoint *stops = g_new (FfGeoPoint, n);
  g_autoptr(GArray) order = NULL;

  stops[0] = (FfGeoPoint) { 0.0, 0.009 };
  stops[1] = (FfGeoPoint) { 0.0, -0.0135 };
  stops[2] = (FfGeoPoint) { 0.0, 0.045 };
  for (guint i = 3; i < n; i++)
    stops[i] = (FfGeoPoint) { 0.0, 1.0 + i * 0.0001 };
  order = ff_geo_visiting_order (&start, stops, n);
  g_assert_cmpuint (order->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (g_array_index (order, guint, i), ==, i);
}

/* A task may hold 100,000 terminals, and nearest neighbour looks at every stop left at each step
 * (minutes for 100,000): past its budget the stops are walked along a curve, still a walk from
 * neighbour to neighbour. A 250 × 400 grid of stops 0.001° (111 m) apart, listed shuffled. */
static void
test_visiting_order_hundred_thousand (void)
{
  const guint rows = 250, columns = 400, n = rows * columns;
  const double spacing_m = 111.2;
  FfGeoPoint start = { 30.0, 120.0 };
  g_autofree FfGeoPoint *stops = g_new (FfGeoPoint, n);
  g_autofree gboolean *seen = g_new0 (gboolean, n);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(GArray) order = NULL;
  guint within_two_cells = 0;

  for (guint i = 0; i < n; i++)
    stops[i] = (FfGeoPoint) { 30.0 + (i / columns) * 0.001, 120.0 + (i % columns) * 0.001 };
  for (guint i = n - 1; i > 0; i--)
    {
      guint j = (guint) g_rand_int_range (rand, 0, (gint32) i + 1);
      FfGeoPoint swap = stops[i];

      stops[i] = stops[j];
      stops[j] = swap;
    }
  order = ff_geo_visiting_order (&start, stops, n);
  g_assert_cmpuint (order->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      guint stop = g_array_index (order, guint, i);

      g_assert_cmpuint (stop, <, n);
      g_assert_false (seen[stop]);
      seen[stop] = TRUE;
    }
  /* The walk starts at the corner by the tablet and goes on from neighbour to neighbour. */
  g_assert_cmpfloat (ff_geo_distance_m (&start, &stops[g_array_index (order, guint, 0)]), <,
                     2 * spacing_m);
  for (guint i = 1; i < n; i++)
    if (ff_geo_distance_m (&stops[g_array_index (order, guint, i - 1)],
                           &stops[g_array_index (order, guint, i)]) < 2.5 * spacing_m)
      within_two_cells++;
  g_assert_cmpuint (within_two_cells, >=, n - 1 - n / 100);
  g_assert_cmpfloat (walk_length (&start, stops, order), <, 1.5 * n * spacing_m);
}

static void
test_visiting_order_empty (void)
{
  FfGeoPoint start = { 0.0, 0.0 };
  g_autoptr(GArray) order = ff_geo_visiting_order (&start, NULL, 0);

  g_assert_cmpuint (order->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/geo/identity/boundary", test_identity_boundary);
  g_test_add_func ("/geo/identity/mirrored-hemisphere", test_identity_mirrored_hemisphere);
  g_test_add_func ("/geo/identity/antimeridian", test_identity_antimeridian);
  g_test_add_func ("/geo/identity/invalid", test_identity_invalid);
  g_test_add_func ("/geo/distance-bearing", test_distance_bearing);
  g_test_add_func ("/geo/order/nearest-first", test_visiting_order_nearest_first);
  g_test_add_func ("/geo/order/two-opt", test_visiting_order_two_opt);
  g_test_add_func ("/geo/order/many-stops", test_visiting_order_many_stops);
  g_test_add_func ("/geo/order/hundred-thousand", test_visiting_order_hundred_thousand);
  g_test_add_func ("/geo/order/empty", test_visiting_order_empty);
  return g_test_run ();
}
