/* Tests of the position sources: the simulated one, and gpsd through libgps with a real gpsfake
 * replaying tests/data/shanghai-fix.nmea on 127.0.0.1, with gpsd going away and coming back.
 * Each log plays once the source is connected and gpsd has opened the receiver for its watch: the
 * source reconnects with a growing pause (up to 5 s), so when it first meets a new gpsd depends on
 * the machine's load; a log that played from gpsfake's start could end, gpsd with it, before the
 * source was there, and gpsd drops the sentences written before it opened the receiver. */
#include "config.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "ff-gps-settle.h"
#include "ff-gps-simulated.h"
#include "ff-gpsd-source.h"
#include "ff-test-fixtures.h"

/* At native speed: ff_test_deadline_s scales it under emulation. */
#define DEADLINE_SECONDS 60

typedef gboolean (*Predicate) (FfGpsSource *source);

/* Runs the main loop until @predicate holds; fails the test when the deadline passes first. */
static void
wait_until (FfGpsSource *source,
            Predicate    predicate,
            const char  *what)
{
  guint watchdog = ff_test_watchdog_add (DEADLINE_SECONDS, what);

  while (!predicate (source))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
}

static gboolean
has_fix (FfGpsSource *source)
{
  return ff_gps_source_get_fix_mode (source) >= FF_GPS_FIX_2D;
}

static gboolean
is_disconnected (FfGpsSource *source)
{
  return !ff_gps_source_get_connected (source);
}

static void
count_notify (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_simulated (void)
{
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  FfGpsSource *source = FF_GPS_SOURCE (gps);
  FfGeoPoint position;
  guint mode_notifications = 0;

  g_signal_connect (gps, "notify::fix-mode", G_CALLBACK (count_notify), &mode_notifications);
  g_assert_true (ff_gps_source_get_connected (source));
  g_assert_false (ff_gps_source_get_position (source, &position));
  g_assert_true (isinf (ff_gps_source_get_fix_age (source)));

  ff_gps_simulated_set_position (gps, -33.8688, 151.2093);
  g_assert_cmpuint (mode_notifications, ==, 1);
  g_assert_true (ff_gps_source_get_position (source, &position));
  g_assert_cmpfloat (position.latitude, ==, -33.8688);
  g_assert_cmpfloat (position.longitude, ==, 151.2093);
  g_assert_cmpfloat (ff_gps_source_get_fix_age (source), <, 60.0);

  /* Moving keeps the mode: no extra mode notification. */
  ff_gps_simulated_set_position (gps, -33.8689, 151.2093);
  g_assert_cmpuint (mode_notifications, ==, 1);

  ff_gps_simulated_lose_fix (gps);
  g_assert_cmpuint (mode_notifications, ==, 2);
  g_assert_false (ff_gps_source_get_position (source, &position));

  /* An impossible position is no fix. */
  ff_gps_simulated_set_position (gps, 95.0, 10.0);
  g_assert_cmpint (ff_gps_source_get_fix_mode (source), ==, FF_GPS_FIX_NONE);
}

static guint fixes_reported;

static void
count_fix (FfGpsSource *source,
           gpointer     user_data)
{
  fixes_reported++;
}

static gboolean
position_repeated (FfGpsSource *source)
{
  return fixes_reported >= 2;
}

/* Like a receiver, the simulated source says its position again every second, so a position given
 * once is still a fresh fix however long the workflow takes to ask (training on a slow tablet,
 * the UI tests under qemu: the fix was 204 s old at the identification). */
static void
test_simulated_repeats (void)
{
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  FfGpsSource *source = FF_GPS_SOURCE (gps);
  FfGeoPoint position;

  g_signal_connect (gps, "fix", G_CALLBACK (count_fix), NULL);
  fixes_reported = 0;
  ff_gps_simulated_set_position (gps, 1.5, 2.5);
  g_assert_cmpuint (fixes_reported, ==, 1);
  wait_until (source, position_repeated, "the simulated position said again");
  g_assert_true (ff_gps_source_get_position (source, &position));
  g_assert_cmpfloat (position.latitude, ==, 1.5);
  g_assert_cmpfloat (position.longitude, ==, 2.5);
  g_assert_cmpfloat (ff_gps_source_get_fix_age (source), <, 1.0);
}

static void
wait_fix_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;
  FfGeoPoint position;

  if (ff_gps_source_wait_fix_finish (FF_GPS_SOURCE (object), result, &position, error))
    g_assert_cmpfloat (position.latitude, ==, 1.5);
  else
    g_assert_nonnull (*error);
  g_main_context_wakeup (NULL);
}

static void
test_simulated_wait_fix (void)
{
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  /* The wait completes on the fix, long before its timeout. */
  ff_gps_source_wait_fix_async (FF_GPS_SOURCE (gps), 60, NULL, wait_fix_done, &error);
  ff_gps_simulated_set_position (gps, 1.5, 2.5);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_assert_no_error (error);

  /* Cancelled while waiting: reports cancellation. */
  ff_gps_simulated_lose_fix (gps);
  ff_gps_source_wait_fix_async (FF_GPS_SOURCE (gps), 60, cancellable, wait_fix_done, &error);
  g_cancellable_cancel (cancellable);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
wait_fix_settled (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;

  if (ff_gps_source_wait_fix_finish (FF_GPS_SOURCE (object), result, NULL, error))
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "settled with a fix");
}

static void
run_pending (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

/* A fix older than FF_GPS_MAX_FIX_AGE_S counts as none: the wait goes on until a fresh one, and
 * ends without a fix when none comes. */
static void
test_simulated_stale_fix (void)
{
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  FfGpsSource *source = FF_GPS_SOURCE (gps);
  g_autoptr(GError) settled = NULL;
  g_autoptr(GError) error = NULL;

  ff_gps_simulated_set_stale_position (gps, 1.5, 2.5, FF_GPS_MAX_FIX_AGE_S + 5);
  g_assert_cmpfloat (ff_gps_source_get_fix_age (source), >, FF_GPS_MAX_FIX_AGE_S);
  ff_gps_source_wait_fix_async (source, 60, NULL, wait_fix_settled, &settled);
  run_pending ();
  g_assert_null (settled);
  /* Another stale one changes nothing; a fresh one settles the wait. */
  ff_gps_simulated_set_stale_position (gps, 1.5, 2.5, FF_GPS_MAX_FIX_AGE_S + 1);
  run_pending ();
  g_assert_null (settled);
  ff_gps_simulated_set_position (gps, 1.5, 2.5);
  run_pending ();
  g_assert_error (settled, G_IO_ERROR, G_IO_ERROR_EXISTS);

  ff_gps_simulated_set_stale_position (gps, 1.5, 2.5, 60);
  ff_gps_source_wait_fix_async (source, 1, NULL, wait_fix_done, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, FF_GPS_ERROR, FF_GPS_ERROR_NO_FIX);
  g_assert_nonnull (strstr (error->message, "No fresh GPS fix"));
}

static void
test_gpsd_dead (void)
{
  g_autofree char *port = g_strdup_printf ("%u", ff_test_closed_loopback_port ());
  g_autoptr(FfGpsdSource) gps = ff_gpsd_source_new ("127.0.0.1", port);
  g_autoptr(GError) error = NULL;

  ff_gps_source_wait_fix_async (FF_GPS_SOURCE (gps), 1, NULL, wait_fix_done, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, FF_GPS_ERROR, FF_GPS_ERROR_NO_FIX);
  g_assert_false (ff_gps_source_get_connected (FF_GPS_SOURCE (gps)));
  g_assert_cmpint (ff_gps_source_get_fix_mode (FF_GPS_SOURCE (gps)), ==, FF_GPS_FIX_NOT_SEEN);
}

static gboolean
is_connected (FfGpsSource *source)
{
  return ff_gps_source_get_connected (source);
}

/* gpsfake with @log on @port; the log plays, at @cycle_ms a sentence, once the source is connected
 * to its gpsd and gpsd has opened the receiver (ff_test_gpsfake_play asks it); gpsd stays until
 * the test ends the log. */
static FfTestGpsfake *
play_when_connected (FfGpsSource *source,
                     const char  *port,
                     const char  *log,
                     guint        cycle_ms)
{
  FfTestGpsfake *gpsfake = ff_test_gpsfake_start (port, log);

  wait_until (source, is_connected, "the source to connect to gpsfake's gpsd");
  ff_test_gpsfake_play (gpsfake, cycle_ms);
  return gpsfake;
}

static void
check_shanghai_fix (FfGpsSource *source)
{
  FfGeoPoint recorded = { 31.2304, 121.4737 };
  FfGeoPoint position;

  g_assert_true (ff_gps_source_get_position (source, &position));
  g_assert_true (ff_geo_same_place (&position, &recorded));
  g_assert_cmpfloat (ff_gps_source_get_fix_age (source), <, DEADLINE_SECONDS);
}

static void
test_gpsd_gpsfake_and_restart (void)
{
  g_autofree char *port = g_strdup_printf ("%u", ff_test_closed_loopback_port ());
  g_autoptr(FfGpsdSource) gps = ff_gpsd_source_new ("127.0.0.1", port);
  FfGpsSource *source = FF_GPS_SOURCE (gps);
  g_autoptr(FfTestGpsfake) first = NULL;
  g_autoptr(FfTestGpsfake) second = NULL;

  g_assert_false (ff_gps_source_get_connected (source));
  first = play_when_connected (source, port, "shanghai-fix.nmea", 50);
  wait_until (source, has_fix, "the first fix from gpsfake");
  g_assert_true (ff_gps_source_get_connected (source));
  check_shanghai_fix (source);

  /* The log ends, gpsfake stops gpsd: the source must say so and drop the fix. */
  ff_test_gpsfake_end (first);
  wait_until (source, is_disconnected, "gpsd to go away");
  g_assert_cmpint (ff_gps_source_get_fix_mode (source), ==, FF_GPS_FIX_NOT_SEEN);
  ff_test_gpsfake_wait (first);

  /* gpsd comes back on the same port: the source reconnects by itself. */
  second = play_when_connected (source, port, "shanghai-fix.nmea", 50);
  wait_until (source, has_fix, "a fix after gpsd restarted");
  check_shanghai_fix (source);
  ff_test_gpsfake_end (second);
  wait_until (source, is_disconnected, "the restarted gpsd to go away");
  ff_test_gpsfake_wait (second);
}

static gboolean
wake_up (gpointer user_data)
{
  guint *id = user_data;

  *id = 0;
  return G_SOURCE_REMOVE;
}

/* The receiver loses the fix and goes on sending satellite reports (GSA, GSV) in real time: none
 * of them may pass for a position, so 10 s after the last fix the fix check refuses, while gpsd is
 * still there and talking. */
static void
test_gpsd_satellites_only (void)
{
  g_autofree char *port = g_strdup_printf ("%u", ff_test_closed_loopback_port ());
  g_autoptr(FfGpsdSource) gps = ff_gpsd_source_new ("127.0.0.1", port);
  FfGpsSource *source = FF_GPS_SOURCE (gps);
  g_autoptr(FfTestGpsfake) gpsfake = NULL;
  g_autoptr(GError) error = NULL;
  guint watchdog;

  /* A third of a second between sentences: the log's 3 s of fixes and 20 s of satellites play in
   * real time. */
  gpsfake = play_when_connected (source, port, "satellite-only.nmea", 334);
  wait_until (source, has_fix, "the first fix from gpsfake");
  check_shanghai_fix (source);

  /* Wake when the last fix turns stale; a fix arriving meanwhile moves that moment on. */
  watchdog = ff_test_watchdog_add (DEADLINE_SECONDS, "the last fix to turn stale");
  while (ff_gps_source_get_connected (source)
         && ff_gps_source_get_fix_age (source) <= FF_GPS_MAX_FIX_AGE_S)
    {
      double left = FF_GPS_MAX_FIX_AGE_S - ff_gps_source_get_fix_age (source);
      guint wake_id = g_timeout_add ((guint) (left * 1000) + 100, wake_up, &wake_id);

      g_main_context_iteration (NULL, TRUE);
      g_clear_handle_id (&wake_id, g_source_remove);
    }
  g_source_remove (watchdog);
  /* gpsd still sends satellite reports (the log has 20 s of them): the fix check refuses. */
  g_assert_true (ff_gps_source_get_connected (source));
  ff_gps_source_wait_fix_async (source, 1, NULL, wait_fix_done, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, FF_GPS_ERROR, FF_GPS_ERROR_NO_FIX);
  g_assert_nonnull (strstr (error->message, "No fresh GPS fix"));
  g_assert_true (ff_gps_source_get_connected (source));
  ff_test_gpsfake_end (gpsfake);
  wait_until (source, is_disconnected, "gpsd to go away");
  ff_test_gpsfake_wait (gpsfake);
}

static gboolean
has_refused_fix (FfGpsSource *source)
{
  return ff_gps_source_get_refusal (source) != NULL;
}

/* A receiver in simulator mode (GGA quality 8) or dead reckoning (GGA quality 6, gpsd's status 5)
 * has 2D and 3D fixes, and none of them is a position: the fix check refuses and says why. */
static void
test_gpsd_refused_status (gconstpointer data)
{
  const char *log = data;
  FfGpsFixStatus expected = g_str_has_prefix (log, "simulated") ? FF_GPS_STATUS_SIMULATED
                                                                : FF_GPS_STATUS_DR;
  g_autofree char *port = g_strdup_printf ("%u", ff_test_closed_loopback_port ());
  g_autoptr(FfGpsdSource) gps = ff_gpsd_source_new ("127.0.0.1", port);
  FfGpsSource *source = FF_GPS_SOURCE (gps);
  g_autoptr(FfTestGpsfake) gpsfake = play_when_connected (source, port, log, 50);
  g_autoptr(GError) error = NULL;
  FfGeoPoint position;
  FfGpsFix fix;

  wait_until (source, has_refused_fix, "a fix from gpsfake");
  g_assert_true (ff_gps_source_get_fix (source, &fix));
  g_assert_cmpint (fix.mode, >=, FF_GPS_FIX_2D);
  g_assert_cmpint (fix.status, ==, expected);
  g_assert_false (ff_gps_source_get_position (source, &position));
  g_assert_true (isinf (ff_gps_source_get_fix_age (source)));

  ff_gps_source_wait_fix_async (source, 1, NULL, wait_fix_done, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, FF_GPS_ERROR, FF_GPS_ERROR_NO_FIX);
  g_assert_nonnull (strstr (error->message, ff_gps_fix_status_refusal (expected)));
  ff_test_gpsfake_end (gpsfake);
  wait_until (source, is_disconnected, "gpsd to go away");
  ff_test_gpsfake_wait (gpsfake);
}

/* The settling period's median is taken of the positions as they lie: four fixes a few metres
 * either side of the antimeridian have their median there, not at the prime meridian (the
 * identity rule itself counts 179.9999° and -179.9999° as neighbours). */
static void
test_median_antimeridian (void)
{
  const double longitudes[] = { 179.99999, -179.99998, 179.99997, -179.99999 };
  FfGpsFix fixes[G_N_ELEMENTS (longitudes)];
  FfGeoPoint median;

  for (guint i = 0; i < G_N_ELEMENTS (longitudes); i++)
    fixes[i] = (FfGpsFix) { .mode = FF_GPS_FIX_3D, .position = { -16.5, longitudes[i] },
                            .accuracy_m = NAN };
  ff_gps_fixes_median (fixes, G_N_ELEMENTS (fixes), &median);
  g_assert_cmpfloat_with_epsilon (median.latitude, -16.5, 1e-9);
  g_assert_cmpfloat (fabs (median.longitude), >, 179.9999);
  g_assert_cmpfloat (fabs (median.longitude), <=, 180.0);
  g_assert_cmpfloat_with_epsilon (ff_geo_delta_longitude_arcsec (&median,
                                                                &(FfGeoPoint) { -16.5, 180.0 }),
                                  0.0, 0.1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gps/median/antimeridian", test_median_antimeridian);
  g_test_add_func ("/gps/simulated/fix", test_simulated);
  g_test_add_func ("/gps/simulated/wait-fix", test_simulated_wait_fix);
  g_test_add_func ("/gps/simulated/repeats", test_simulated_repeats);
  g_test_add_func ("/gps/simulated/stale-fix", test_simulated_stale_fix);
  g_test_add_func ("/gps/gpsd/dead", test_gpsd_dead);
  g_test_add_func ("/gps/gpsd/gpsfake-and-restart", test_gpsd_gpsfake_and_restart);
  g_test_add_func ("/gps/gpsd/satellites-only", test_gpsd_satellites_only);
  g_test_add_data_func ("/gps/gpsd/simulated", "simulated-fix.nmea", test_gpsd_refused_status);
  g_test_add_data_func ("/gps/gpsd/dead-reckoning", "dead-reckoning.nmea",
                        test_gpsd_refused_status);
  return g_test_run ();
}
