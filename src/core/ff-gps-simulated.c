/* A position source that says what it is told: training mode and tests without a receiver. */
#include "config.h"

#include "ff-gps-simulated.h"

#include <glib/gi18n-lib.h>

/* A receiver reports its position every second; so does this one, so a position given once stays
 * fresh (FF_GPS_MAX_FIX_AGE_S) however long the technician, or a slow machine, takes after it. */
#define REPEAT_INTERVAL_S 1

struct _FfGpsSimulated
{
  FfGpsSource parent_instance;
  double      latitude;
  double      longitude;
  guint       repeat_id;  /* while it has a position to repeat */
};

G_DEFINE_FINAL_TYPE (FfGpsSimulated, ff_gps_simulated, FF_TYPE_GPS_SOURCE)

static char *
ff_gps_simulated_describe (FfGpsSource *source)
{
  return g_strdup (_("the simulated GPS"));
}

static void
stop_repeating (FfGpsSimulated *self)
{
  g_clear_handle_id (&self->repeat_id, g_source_remove);
}

static void
ff_gps_simulated_dispose (GObject *object)
{
  stop_repeating (FF_GPS_SIMULATED (object));
  G_OBJECT_CLASS (ff_gps_simulated_parent_class)->dispose (object);
}

static void
ff_gps_simulated_class_init (FfGpsSimulatedClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ff_gps_simulated_dispose;
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

static gboolean
repeat_position (gpointer user_data)
{
  FfGpsSimulated *self = user_data;

  ff_gps_source_report_fix (FF_GPS_SOURCE (self), FF_GPS_FIX_3D, self->latitude, self->longitude);
  return G_SOURCE_CONTINUE;
}

void
ff_gps_simulated_set_position (FfGpsSimulated *self,
                               double          latitude,
                               double          longitude)
{
  g_return_if_fail (FF_IS_GPS_SIMULATED (self));
  self->latitude = latitude;
  self->longitude = longitude;
  ff_gps_source_report_fix (FF_GPS_SOURCE (self), FF_GPS_FIX_3D, latitude, longitude);
  if (self->repeat_id == 0)
    self->repeat_id = g_timeout_add_seconds (REPEAT_INTERVAL_S, repeat_position, self);
}

void
ff_gps_simulated_set_stale_position (FfGpsSimulated *self,
                                     double          latitude,
                                     double          longitude,
                                     double          age_seconds)
{
  g_return_if_fail (FF_IS_GPS_SIMULATED (self));
  /* A receiver that stopped updating: nothing fresh comes after it. */
  stop_repeating (self);
  ff_gps_source_report_old_fix (FF_GPS_SOURCE (self), FF_GPS_FIX_3D, latitude, longitude,
                                age_seconds);
}

void
ff_gps_simulated_lose_fix (FfGpsSimulated *self)
{
  g_return_if_fail (FF_IS_GPS_SIMULATED (self));
  stop_repeating (self);
  ff_gps_source_report_fix (FF_GPS_SOURCE (self), FF_GPS_FIX_NONE, 0, 0);
}
