/* Position from gpsd through libgps: non-blocking reads in the main loop, reconnection when gpsd
 * restarts. */
#pragma once

#include "ff-gps-source.h"

G_BEGIN_DECLS

#define FF_TYPE_GPSD_SOURCE (ff_gpsd_source_get_type ())
G_DECLARE_FINAL_TYPE (FfGpsdSource, ff_gpsd_source, FF, GPSD_SOURCE, FfGpsSource)

FfGpsdSource *ff_gpsd_source_new         (const char *host,
                                          const char *port);
gboolean      ff_gpsd_source_parse_address (const char  *address,
                                            char       **host,
                                            char       **port,
                                            GError     **error);

G_END_DECLS
