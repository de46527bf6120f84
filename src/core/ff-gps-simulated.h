/* A position source that says what it is told: training mode and tests without a receiver. */
#pragma once

#include "ff-gps-source.h"

G_BEGIN_DECLS

#define FF_TYPE_GPS_SIMULATED (ff_gps_simulated_get_type ())
G_DECLARE_FINAL_TYPE (FfGpsSimulated, ff_gps_simulated, FF, GPS_SIMULATED, FfGpsSource)

FfGpsSimulated *ff_gps_simulated_new                (void);
/* A fresh fix at this position, repeated every second from the default main context, as a receiver
 * repeats it, until the next position, a stale one or a lost fix. */
void            ff_gps_simulated_set_position       (FfGpsSimulated *self,
                                                     double          latitude,
                                                     double          longitude);
/* A fix taken @age_seconds ago, as from a receiver that stopped updating. */
void            ff_gps_simulated_set_stale_position (FfGpsSimulated *self,
                                                     double          latitude,
                                                     double          longitude,
                                                     double          age_seconds);
void            ff_gps_simulated_lose_fix           (FfGpsSimulated *self);

G_END_DECLS
