/* The package a remote upgrade names (issue 15): the firmware's own, or — when the platform knows
 * which images the terminal runs and holds the packages they came from — a package derived from
 * it whose payloads are ffdelta1 patches of those images, when that one is smaller. */
#pragma once

#include "ff-crypto.h"
#include "ff-package.h"
#include "ff-platform-package-cache.h"
#include "ff-platform-remote-db.h"
#include "ff-remote-doc.h"

G_BEGIN_DECLS

/* One remote upgrade: @terminal to @firmware, whose package is @package, from @packages (which
 * also gives the other packages the payloads may be patches from), with @versions naming the
 * versions the terminal runs (NULL: nothing is known, the full package it is). */
typedef struct
{
  FfPlatformDb           *db;
  FfPackageCache         *packages;
  const FfTerminal       *terminal;
  const FfFirmware       *firmware;
  FfPackage              *package;
  const FfRemoteVersions *versions;
} FfRemoteUpgrade;

/* Chooses the package for @upgrade: each payload of a kind whose installed version is the
 * version of that kind in one package of the terminal's vendor and model the platform holds
 * becomes a patch from that package's payload (delta_from: its SHA-256), unless the patch is no
 * smaller. The derived package, signed with the platform key, is made once per target and
 * installed images and kept in the firmware store; it is chosen only when smaller than the
 * firmware. Anything unknown, or a failure making it, chooses the firmware (a failure is logged);
 * so does a derived package not made yet unless @make (making it takes seconds for large images:
 * the daemon's main loop makes it with a job instead). FALSE only on a database error. */
gboolean ff_platform_remote_choose_package (const FfRemoteUpgrade  *upgrade,
                                            gboolean                make,
                                            gint64                  now,
                                            char                  **sha256,
                                            gint64                 *size,
                                            gboolean               *delta,
                                            GError                **error);

/* The versions in @link's retained state into @versions (cleared with ff_remote_versions_clear);
 * FALSE when there is none or it does not say (its last will, a state the platform cannot read):
 * then nothing is known. */
gboolean ff_platform_remote_link_versions  (const FfTerminalLink   *link,
                                            FfRemoteVersions       *versions);

/* A derived package to make outside the main loop: created there, run in a worker thread (no
 * database), recorded back on the main loop. */
typedef struct _FfRemoteDeltaJob FfRemoteDeltaJob;

/* *@job: the job making the derived package that @upgrade (its versions, its retained state's)
 * would name (the job keeps its packages), or NULL when there is none to make (nothing known, or
 * made already). FALSE on a database error. */
gboolean    ff_platform_remote_delta_job_new (const FfRemoteUpgrade  *upgrade,
                                              FfRemoteDeltaJob      **job,
                                              GError                **error);
/* Target package and installed images: jobs with one ID make the same package. */
const char *ff_remote_delta_job_get_id       (const FfRemoteDeltaJob *job);
/* Makes and stores the package (in any thread); a failure is kept for the record. */
void        ff_remote_delta_job_run          (FfRemoteDeltaJob *job);
/* Records what the job made (the full package is as good when it is no smaller); FALSE with
 * @error when making it failed (logged: the terminals get the full package) or on a database
 * error. */
gboolean    ff_remote_delta_job_record       (FfPlatformDb     *db,
                                              FfRemoteDeltaJob *job,
                                              gint64            now,
                                              GError          **error);
void        ff_remote_delta_job_free         (FfRemoteDeltaJob *job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfRemoteDeltaJob, ff_remote_delta_job_free)

G_END_DECLS
