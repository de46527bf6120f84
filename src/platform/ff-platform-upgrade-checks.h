/* The refusals that tasks, campaigns and remote upgrades share, one wording for all of them. */
#pragma once

#include "ff-platform-db.h"
#include "ff-platform-remote-db.h"

G_BEGIN_DECLS

/* The firmware @version for @terminal's vendor and model; NULL with FF_PLATFORM_ERROR_REFUSED when
 * there is none (or with the database's error). */
FfFirmware *ff_platform_require_firmware     (FfPlatformDb         *db,
                                              const FfTerminal     *terminal,
                                              const char           *version,
                                              GError              **error);

/* FALSE with FF_PLATFORM_ERROR_REFUSED when the terminal of @link has no credentials: the platform
 * could neither address a command to it nor check what it reports. */
gboolean    ff_platform_check_credentials    (const FfTerminalLink *link,
                                              GError              **error);

/* FALSE with FF_PLATFORM_ERROR_REFUSED when @device_ids hold an empty one ("DTU0001," on a command
 * line) or name a terminal twice (naming the first such). A repeat is refused, not merged: it is
 * more often a mistyped other device ID than a terminal meant twice. */
gboolean    ff_platform_check_named_once     (const char *const    *device_ids,
                                              GError              **error);

/* The same for the serial numbers of the tablets a task is checked out to. */
gboolean    ff_platform_check_tablets_named_once (const char *const *serials,
                                                  GError           **error);

G_END_DECLS
