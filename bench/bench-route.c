/* The route of a task on the Task page: ff_geo_visiting_order() over N stops spread over a city
 * (about 20 km across), timed; run by hand: bench/bench-route [N …] (default 1000 10000 100000). */
#include "config.h"

#include <glib.h>

#include "ff-geo.h"

static double
time_order (guint n_stops)
{
  g_autofree FfGeoPoint *stops = g_new (FfGeoPoint, n_stops);
  g_autoptr(GRand) rand = g_rand_new_with_seed (n_stops);
  g_autoptr(GArray) order = NULL;
  FfGeoPoint start = { 30.27, 120.15 };
  gint64 began;

  for (guint i = 0; i < n_stops; i++)
    stops[i] = (FfGeoPoint) { g_rand_double_range (rand, 30.18, 30.36),
                              g_rand_double_range (rand, 120.05, 120.25) };
  began = g_get_monotonic_time ();
  order = ff_geo_visiting_order (&start, stops, n_stops);
  g_assert_cmpuint (order->len, ==, n_stops);
  return (double) (g_get_monotonic_time () - began) / G_USEC_PER_SEC;
}

int
main (int argc, char **argv)
{
  static const char *defaults[] = { "1000", "10000", "100000", NULL };
  const char **sizes = argc > 1 ? (const char **) argv + 1 : defaults;

  for (guint i = 0; sizes[i] != NULL; i++)
    {
      guint n_stops = (guint) g_ascii_strtoull (sizes[i], NULL, 10);

      g_print ("%7u stops: %.3f s\n", n_stops, time_order (n_stops));
    }
  return 0;
}
