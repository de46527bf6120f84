/* Where the tablet is: the position source the workflow and the UI watch (gpsd or simulated). */
#pragma once

#include <gio/gio.h>

#include "ff-geo.h"

G_BEGIN_DECLS

#define FF_GPS_ERROR (ff_gps_error_quark ())

typedef enum
{
  FF_GPS_ERROR_NO_FIX,
  FF_GPS_ERROR_BAD_ADDRESS,
} FfGpsError;

/* The same values as libgps's MODE_*, so a gpsd report maps straight through. */
typedef enum
{
  FF_GPS_FIX_NOT_SEEN = 0,
  FF_GPS_FIX_NONE     = 1,
  FF_GPS_FIX_2D       = 2,
  FF_GPS_FIX_3D       = 3,
} FfGpsFixMode;

/* A fix older than this (seconds since it arrived) no longer says where the tablet is: a receiver
 * that stopped updating, or a tablet carried on since. wait_fix treats it as no fix. */
#define FF_GPS_MAX_FIX_AGE_S 10.0

#define FF_TYPE_GPS_SOURCE (ff_gps_source_get_type ())
G_DECLARE_DERIVABLE_TYPE (FfGpsSource, ff_gps_source, FF, GPS_SOURCE, GObject)

struct _FfGpsSourceClass
{
  GObjectClass parent_class;

  /* Human-readable origin of the fixes ("gpsd at 127.0.0.1:2947", "simulated"). */
  char *(*describe) (FfGpsSource *self);

  gpointer padding[8];
};

GQuark        ff_gps_error_quark          (void);

FfGpsFixMode  ff_gps_source_get_fix_mode  (FfGpsSource  *self);
gboolean      ff_gps_source_get_connected (FfGpsSource  *self);
gboolean      ff_gps_source_get_position  (FfGpsSource  *self,
                                           FfGeoPoint   *position);
double        ff_gps_source_get_fix_age   (FfGpsSource  *self);
char         *ff_gps_source_describe      (FfGpsSource  *self);

/* Completes as soon as the source has a fix of at most FF_GPS_MAX_FIX_AGE_S seconds (2D or 3D),
 * or with FF_GPS_ERROR_NO_FIX after @timeout_seconds without one. */
void          ff_gps_source_wait_fix_async  (FfGpsSource         *self,
                                             guint                timeout_seconds,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean      ff_gps_source_wait_fix_finish (FfGpsSource         *self,
                                             GAsyncResult        *result,
                                             FfGeoPoint          *position,
                                             GError             **error);

/* For implementations: publish what the receiver says (signal "fix" for each 2D or 3D fix). */
void          ff_gps_source_report_fix       (FfGpsSource  *self,
                                              FfGpsFixMode  mode,
                                              double        latitude,
                                              double        longitude);
/* The same for a fix the receiver took @age_seconds ago. */
void          ff_gps_source_report_old_fix   (FfGpsSource  *self,
                                              FfGpsFixMode  mode,
                                              double        latitude,
                                              double        longitude,
                                              double        age_seconds);
void          ff_gps_source_report_connected (FfGpsSource  *self,
                                              gboolean      connected);

G_END_DECLS
