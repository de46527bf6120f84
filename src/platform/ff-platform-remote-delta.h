/* The package a remote upgrade names (issue 15): the firmware's own, or — when the platform knows
 * which images the terminal runs and holds the packages they came from — a package derived from
 * it whose payloads are ffdelta1 patches of those images, when that one is smaller. */
#pragma once

#include "ff-crypto.h"
#include "ff-package.h"
#include "ff-platform-remote-db.h"
#include "ff-remote-doc.h"

G_BEGIN_DECLS

/* Chooses the package for upgrading @terminal to @firmware (its package @package): with
 * @versions, or the terminal's retained state when NULL, naming the versions it runs, each
 * payload of a kind whose installed version is the version of that kind in one package of the
 * terminal's vendor and model the platform holds becomes a patch from that package's payload
 * (delta_from: its SHA-256), unless the patch is no smaller. The derived package, signed with
 * @platform_key, is made once per target and installed images and kept in the firmware store; it
 * is chosen only when smaller than @firmware. Anything unknown, or a failure making it, chooses
 * @firmware (a failure is logged). FALSE only on a database error. */
gboolean ff_platform_remote_choose_package (FfPlatformDb           *db,
                                            const char             *data_dir,
                                            FfKey                  *platform_key,
                                            const FfTerminal       *terminal,
                                            const FfFirmware       *firmware,
                                            FfPackage              *package,
                                            const FfRemoteVersions *versions,
                                            gint64                  now,
                                            char                  **sha256,
                                            gint64                 *size,
                                            gboolean               *delta,
                                            GError                **error);

G_END_DECLS
