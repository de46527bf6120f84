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

/* How the receiver got its fix: gpsd's fix.status, the same values as the STATUS_* of gpsd 3.22's
 * gps.h. */
typedef enum
{
  FF_GPS_STATUS_UNKNOWN     = 0,  /* not said (gpsd's JSON leaves it out for a plain fix) */
  FF_GPS_STATUS_GPS         = 1,
  FF_GPS_STATUS_DGPS        = 2,
  FF_GPS_STATUS_RTK_FIXED   = 3,
  FF_GPS_STATUS_RTK_FLOAT   = 4,
  FF_GPS_STATUS_DR          = 5,  /* dead reckoning: no satellites behind it */
  FF_GPS_STATUS_GNSS_DR     = 6,  /* satellites and dead reckoning: estimated */
  FF_GPS_STATUS_TIME        = 7,  /* a position typed in or surveyed, time only */
  FF_GPS_STATUS_SIMULATED   = 8,  /* the receiver's simulator mode */
  FF_GPS_STATUS_PPS         = 9,
} FfGpsFixStatus;

/* One position report as it arrived. */
typedef struct
{
  gint64          time;        /* Unix microseconds on the tablet's clock when it arrived */
  FfGpsFixMode    mode;
  FfGpsFixStatus  status;
  FfGeoPoint      position;    /* valid for a 2D or 3D fix */
  double          accuracy_m;  /* horizontal error estimate (gpsd's eph, from HDOP when the
                                * receiver gives no estimate of its own); NAN: not reported */
} FfGpsFix;

/* Why a fix with this status is not a position of the tablet (translated), or NULL when it is one:
 * dead-reckoned, estimated, typed-in and simulated fixes are refused. */
const char   *ff_gps_fix_status_refusal   (FfGpsFixStatus  status);

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
  /* TRUE for a source whose fixes never wander (the simulated one, which reports a position
   * once): identify takes its first fix as settled instead of collecting a settling period. */
  gboolean steady;

  gpointer padding[7];
};

GQuark        ff_gps_error_quark          (void);

FfGpsFixMode  ff_gps_source_get_fix_mode  (FfGpsSource  *self);
gboolean      ff_gps_source_get_connected (FfGpsSource  *self);
/* The last 2D or 3D fix reported, whatever its status; FALSE when the receiver has none. */
gboolean      ff_gps_source_get_fix       (FfGpsSource  *self,
                                           FfGpsFix     *fix);
/* Why the receiver's current fix is refused (ff_gps_fix_status_refusal()), or NULL. */
const char   *ff_gps_source_get_refusal   (FfGpsSource  *self);
/* The position of the current fix, when it is one the tablet accepts (2D or 3D, status not
 * refused); get_fix_age() is infinite otherwise. */
gboolean      ff_gps_source_get_position  (FfGpsSource  *self,
                                           FfGeoPoint   *position);
double        ff_gps_source_get_fix_age   (FfGpsSource  *self);
char         *ff_gps_source_describe      (FfGpsSource  *self);

/* Completes as soon as the source has an accepted fix of at most FF_GPS_MAX_FIX_AGE_S seconds
 * (2D or 3D), or with FF_GPS_ERROR_NO_FIX after @timeout_seconds without one (saying why a
 * refused fix was refused). */
void          ff_gps_source_wait_fix_async  (FfGpsSource         *self,
                                             guint                timeout_seconds,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean      ff_gps_source_wait_fix_finish (FfGpsSource         *self,
                                             GAsyncResult        *result,
                                             FfGeoPoint          *position,
                                             GError             **error);

/* FF_GPS_ERROR_NO_FIX saying why the source has no fresh accepted fix now (refused, stale,
 * none). */
GError       *ff_gps_source_explain_no_fix   (FfGpsSource         *self);

/* For implementations: publish what the receiver says, one call per position report (signal "fix"
 * for each 2D or 3D fix, refused ones too). @fix->time is filled in by the source. */
void          ff_gps_source_report           (FfGpsSource    *self,
                                              const FfGpsFix *fix);
/* A fix of unknown status and accuracy (simulated sources). */
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
