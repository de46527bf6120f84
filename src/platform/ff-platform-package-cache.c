/* The firmware store's packages opened once for a piece of work (ff-platform-package-cache.h). */
#include "config.h"

#include "ff-platform-package-cache.h"

#include "ff-platform-firmware-store.h"

struct _FfPackageCache
{
  char       *data_dir;
  FfKey      *platform_key;
  GHashTable *opened;           /* SHA-256 -> Opened */
  GPtrArray  *firmware;         /* of FfFirmware *, once listed */
};

/* A package, or why it could not be opened (asked again, the answer is the same). */
typedef struct
{
  FfPackage *package;
  GError    *error;
} Opened;

static void
opened_free (Opened *opened)
{
  g_clear_pointer (&opened->package, ff_package_free);
  g_clear_error (&opened->error);
  g_free (opened);
}

static void
cache_clear (FfPackageCache *cache)
{
  g_free (cache->data_dir);
  ff_key_unref (cache->platform_key);
  g_hash_table_unref (cache->opened);
  g_clear_pointer (&cache->firmware, g_ptr_array_unref);
}

FfPackageCache *
ff_package_cache_new (const char *data_dir,
                      FfKey      *platform_key)
{
  FfPackageCache *cache = g_atomic_rc_box_new0 (FfPackageCache);

  cache->data_dir = g_strdup (data_dir);
  cache->platform_key = ff_key_ref (platform_key);
  cache->opened = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) opened_free);
  return cache;
}

FfPackageCache *
ff_package_cache_ref (FfPackageCache *cache)
{
  return g_atomic_rc_box_acquire (cache);
}

void
ff_package_cache_unref (FfPackageCache *cache)
{
  g_atomic_rc_box_release_full (cache, (GDestroyNotify) cache_clear);
}

const char *
ff_package_cache_get_data_dir (FfPackageCache *cache)
{
  return cache->data_dir;
}

FfKey *
ff_package_cache_get_platform_key (FfPackageCache *cache)
{
  return cache->platform_key;
}

FfPackage *
ff_package_cache_open (FfPackageCache *cache,
                       const char     *sha256,
                       GError        **error)
{
  Opened *opened = g_hash_table_lookup (cache->opened, sha256);

  if (opened == NULL)
    {
      g_autofree char *path = ff_firmware_store_path (cache->data_dir, sha256);

      opened = g_new0 (Opened, 1);
      opened->package = ff_package_open (path, cache->platform_key, &opened->error);
      g_hash_table_insert (cache->opened, g_strdup (sha256), opened);
    }
  if (opened->package == NULL)
    g_propagate_error (error, g_error_copy (opened->error));
  return opened->package;
}

GPtrArray *
ff_package_cache_list_firmware (FfPackageCache *cache,
                                FfPlatformDb   *db,
                                GError        **error)
{
  if (cache->firmware == NULL)
    cache->firmware = ff_platform_db_list_firmware (db, NULL, error);
  return cache->firmware;
}
