/* Registering a technician, as `technicians add` and the console do it. */
#pragma once

#include "ff-platform-db.h"

G_BEGIN_DECLS

#define FF_TECHNICIAN_PIN_MIN_DIGITS 4
#define FF_TECHNICIAN_PIN_MAX_DIGITS 12

/* FF_PLATFORM_ERROR_INVALID with the reason unless @phone has 11 digits from 1 and @name 1 to
 * FF_NAME_MAX_LENGTH bytes of UTF-8 (so a CLI can refuse them before it asks for the PIN). */
gboolean ff_platform_technician_check (const char  *phone,
                                       const char  *name,
                                       GError     **error);
/* Checks @phone, @name (ff_platform_technician_check()) and @pin (4 to 12 digits;
 * FF_PLATFORM_ERROR_INVALID with the reason otherwise), then stores the technician with the PIN's
 * scrypt hash; a phone registered before is an error too. */
gboolean ff_platform_technician_add (FfPlatformDb *db,
                                     const char   *phone,
                                     const char   *name,
                                     const char   *pin,
                                     gint64        now,
                                     GError      **error);

G_END_DECLS
