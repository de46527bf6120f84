/* A position source that says what it is told: training mode and tests without a receiver. */
#include "config.h"

#include "ff-gps-simulated.h"

#include <glib/gi18n-lib.h>

struct _FfGpsSimulated
{
  FfGpsSource parent_instance;
};

G_DEFINE_FINAL_TYPE (FfGpsSimulated, ff_gps_simulated, FF_TYPE_GPS_SOURCE)

static char *
ff_gps_simulated_describe (FfGpsSource *source)
{
  return g_strdup (_("the simulated GPS"));
}

static void
ff_gps_simulated_class_init (FfGpsSimulatedClass *klass)
{
  FF_GPS_SOURCE_CLASS (klass)->describe = ff_gps_simulated_describe;
  /* It says a position once and it never wanders: nothing to settle. */
  FF_GPS_SOURCE_CLASS (klass)->steady = TRUE;
}

static void
ff_gps_simulated_init (FfGpsSimulated *self)
{
  ff_gps_source_report_connected (FF_GPS_SOURCE (self), TRUE);
}

FfGpsSimulated *
ff_gps_simulated_new (void)
{
  return g_object_new (FF_TYPE_GPS_SIMULATED, NULL);
}

void
ff_gps_simulated_set_position (FfGpsSimulated *self,
                               double          latitude,
                               double          longitude)
{
  g_return_if_fail (FF_IS_GPS_SIMULATED (self));
  ff_gps_source_report_fix (FF_GPS_SOURCE (self), FF_GPS_FIX_3D, latitude, longitude);
}

void
ff_gps_simulated_set_stale_position (FfGpsSimulated *self,
                                     double          latitude,
                                     double          longitude,
                                     double          age_seconds)
{
  g_return_if_fail (FF_IS_GPS_SIMULATED (self));
  ff_gps_source_report_old_fix (FF_GPS_SOURCE (self), FF_GPS_FIX_3D, latitude, longitude,
                                age_seconds);
}

void
ff_gps_simulated_lose_fix (FfGpsSimulated *self)
{
  g_return_if_fail (FF_IS_GPS_SIMULATED (self));
  ff_gps_source_report_fix (FF_GPS_SOURCE (self), FF_GPS_FIX_NONE, 0, 0);
}
