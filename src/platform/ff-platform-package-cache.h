/* The firmware store's packages opened once for a piece of work (a campaign wave's commands)
 * instead of once per command: opening one checks its signature and hashes every payload. */
#pragma once

#include "ff-crypto.h"
#include "ff-package.h"
#include "ff-platform-db.h"

G_BEGIN_DECLS

/* Reference counted: a delta job in a worker thread keeps the packages it reads. The packages
 * are only read once opened, so a worker may read them while the main loop does; opening (and
 * the cache itself) belongs to one thread. */
typedef struct _FfPackageCache FfPackageCache;

FfPackageCache *ff_package_cache_new   (const char     *data_dir,
                                        FfKey          *platform_key);
FfPackageCache *ff_package_cache_ref   (FfPackageCache *cache);
void            ff_package_cache_unref (FfPackageCache *cache);

const char     *ff_package_cache_get_data_dir     (FfPackageCache *cache);
FfKey          *ff_package_cache_get_platform_key (FfPackageCache *cache);

/* The package stored under @sha256, verified with the platform key, opened at the first call and
 * kept: NULL with @error the first call's (a plain image, another key's package) every time. */
FfPackage      *ff_package_cache_open  (FfPackageCache *cache,
                                        const char     *sha256,
                                        GError        **error);

/* Every firmware record (ff_platform_db_list_firmware()), listed at the first call and kept (owned
 * by @cache): choosing the package of each command of a wave lists them once, not per command. */
GPtrArray      *ff_package_cache_list_firmware (FfPackageCache *cache,
                                                FfPlatformDb   *db,
                                                GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfPackageCache, ff_package_cache_unref)

G_END_DECLS
