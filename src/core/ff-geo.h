/* Field geography: the 1-arcsecond identity rule, distance, bearing and the visiting order. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The tolerance of the identity rule: a terminal is "here" when both latitude and longitude of the
 * tablet's fix are within this many arcseconds of the recorded position. */
#define FF_GEO_IDENTITY_TOLERANCE_ARCSEC 1.0

typedef struct
{
  double latitude;   /* degrees, north positive */
  double longitude;  /* degrees, east positive */
} FfGeoPoint;

gboolean ff_geo_point_is_valid       (const FfGeoPoint *point);
gboolean ff_geo_parse_degrees        (const char       *text,
                                      double            limit,
                                      double           *value);
double   ff_geo_delta_latitude_arcsec  (const FfGeoPoint *fix,
                                        const FfGeoPoint *recorded);
double   ff_geo_delta_longitude_arcsec (const FfGeoPoint *fix,
                                        const FfGeoPoint *recorded);
gboolean ff_geo_same_place           (const FfGeoPoint *fix,
                                      const FfGeoPoint *recorded);
double   ff_geo_distance_m           (const FfGeoPoint *from,
                                      const FfGeoPoint *to);
double   ff_geo_bearing_deg          (const FfGeoPoint *from,
                                      const FfGeoPoint *to);
GArray  *ff_geo_visiting_order       (const FfGeoPoint *start,
                                      const FfGeoPoint *stops,
                                      guint             n_stops);

G_END_DECLS
