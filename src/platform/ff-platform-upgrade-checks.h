/* The lists an operator types ("DTU0001, DTU0002") and the refusals that firmware, tasks, campaigns
 * and remote upgrades share, one wording for all of them. */
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

/* The items of a comma-separated list as typed (--terminals, --handheld, --hardware, a query's
 * hardware), each trimmed of spaces; an item of spaces only is empty, for the checks to refuse. */
char      **ff_platform_split_list           (const char           *text);

/* FALSE with FF_PLATFORM_ERROR_REFUSED when @device_ids hold an empty one ("DTU0001," on a command
 * line) or name a terminal twice (naming the first such). A repeat is refused, not merged: it is
 * more often a mistyped other device ID than a terminal meant twice. */
gboolean    ff_platform_check_named_once     (const char *const    *device_ids,
                                              GError              **error);

/* The same for the serial numbers of the tablets a task is checked out to. */
gboolean    ff_platform_check_tablets_named_once (const char *const *serials,
                                                  GError           **error);

/* FALSE with FF_PLATFORM_ERROR_INVALID when @hardware_versions (a firmware's or a package's)
 * hold an empty one or name one twice. */
gboolean    ff_platform_check_hardware_named_once (const char *const *hardware_versions,
                                                   GError           **error);

G_END_DECLS
