/* Identify's settling period: consecutive accepted GPS fixes collected for a while and judged by
 * their median, because a receiver's first fixes after acquisition wander. */
#pragma once

#include "ff-gps-source.h"

G_BEGIN_DECLS

/* A fix whose horizontal error estimate (gpsd's eph) is worse than this starts the period over:
 * about HDOP 2 with gpsd's NMEA error model, and close to the 1″ rule (≈ 31 m of latitude). */
#define FF_GPS_SETTLE_MAX_ACCURACY_M 40.0
/* Fixes further apart than this are not consecutive (a receiver reports once a second). */
#define FF_GPS_SETTLE_MAX_GAP_S 3.0
/* However short the period, its median is taken over at least this many fixes. */
#define FF_GPS_SETTLE_MIN_FIXES 3

#define FF_TYPE_GPS_SETTLE (ff_gps_settle_get_type ())
G_DECLARE_FINAL_TYPE (FfGpsSettle, ff_gps_settle, FF, GPS_SETTLE, GObject)

/* Settles on @source over @settle_seconds of consecutive 2D/3D fixes, each of an accepted status and
 * within FF_GPS_SETTLE_MAX_ACCURACY_M where the receiver reports an accuracy. A steady source
 * (FfGpsSourceClass.steady) settles on its first fresh fix.
 * Signal "changed": a fix joined the period, or the period started over. */
FfGpsSettle    *ff_gps_settle_new          (FfGpsSource          *source,
                                            double                settle_seconds);

/* The fixes of the current period, oldest first; borrowed, valid until the next "changed". */
const FfGpsFix *ff_gps_settle_get_fixes    (FfGpsSettle          *self,
                                            guint                *n_fixes);
/* How far the period is, 0 to 1. */
double          ff_gps_settle_get_progress (FfGpsSettle          *self);

/* Completes when the fixes have settled, with their median, or with FF_GPS_ERROR_NO_FIX after
 * @timeout_seconds (saying why: no fix, refused, stale, or not settled). One run per object. */
void            ff_gps_settle_run_async    (FfGpsSettle          *self,
                                            guint                 timeout_seconds,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean        ff_gps_settle_run_finish   (FfGpsSettle          *self,
                                            GAsyncResult         *result,
                                            FfGeoPoint           *median,
                                            GError              **error);

/* The component-wise median of @n_fixes fixes (n ≥ 1): latitude and longitude each. */
void            ff_gps_fixes_median        (const FfGpsFix       *fixes,
                                            guint                 n_fixes,
                                            FfGeoPoint           *median);

/* The fixes as a GVariant "a(xiiddd)" (time, mode, status, latitude, longitude, accuracy or -1),
 * for a persisted workflow, and back (an array of FfGpsFix, empty for NULL). */
GVariant       *ff_gps_fixes_to_variant    (const FfGpsFix       *fixes,
                                            guint                 n_fixes);
GArray         *ff_gps_fixes_from_variant  (GVariant             *variant);

G_END_DECLS
