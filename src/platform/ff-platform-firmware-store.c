/* The content-addressed firmware store: DATA/firmware/ab/cdef… by SHA-256, written atomically. */
#include "config.h"

#include "ff-platform-firmware-store.h"

#include "ff-crypto.h"
#include "ff-files.h"
#include "ff-platform-error.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

char *
ff_firmware_store_path (const char *data_dir,
                        const char *sha256)
{
  char prefix[3] = { sha256[0], sha256[1], '\0' };

  g_return_val_if_fail (ff_sha256_hex_is_valid (sha256), NULL);
  return g_build_filename (data_dir, "firmware", prefix, sha256 + 2, NULL);
}

/* Stores @length bytes at @data under their digest (once per digest). */
static gboolean
store_contents (const char  *data_dir,
                const void  *data,
                gsize        length,
                char       **sha256,
                GError     **error)
{
  g_autofree char *digest = ff_sha256_hex (data, length);
  g_autofree char *path = ff_firmware_store_path (data_dir, digest);
  g_autofree char *directory = g_path_get_dirname (path);

  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create %s: %s"), directory, g_strerror (saved_errno));
      return FALSE;
    }
  /* Same digest, same bytes: an image already stored is never rewritten. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS)
      && !ff_file_replace (path, data, length, 0600, error))
    return FALSE;
  *sha256 = g_steal_pointer (&digest);
  return TRUE;
}

gboolean
ff_firmware_store_add (const char *data_dir,
                       const char *source,
                       char      **sha256,
                       gint64     *size,
                       GError    **error)
{
  g_autoptr(GMappedFile) file = g_mapped_file_new (source, FALSE, error);
  gsize length;

  if (file == NULL)
    return FALSE;
  length = g_mapped_file_get_length (file);
  if (length == 0 || length > FF_FIRMWARE_MAX_SIZE)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("%s is empty or larger than 256 MiB"), source);
      return FALSE;
    }
  if (!store_contents (data_dir, g_mapped_file_get_contents (file), length, sha256, error))
    return FALSE;
  *size = (gint64) length;
  return TRUE;
}

gboolean
ff_firmware_store_add_bytes (const char  *data_dir,
                             GBytes      *contents,
                             char       **sha256,
                             GError     **error)
{
  gsize length;
  const void *data = g_bytes_get_data (contents, &length);

  return store_contents (data_dir, data, length, sha256, error);
}

GBytes *
ff_firmware_store_load (const char  *data_dir,
                        const char  *sha256,
                        GError     **error)
{
  g_autofree char *path = ff_firmware_store_path (data_dir, sha256);
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, error);
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *digest = NULL;

  if (file == NULL)
    return NULL;
  contents = g_mapped_file_get_bytes (file);
  digest = ff_sha256_hex (g_bytes_get_data (contents, NULL), g_bytes_get_size (contents));
  /* A stored file changed behind the platform's back must not become the base of a patch. */
  if (!g_str_equal (digest, sha256))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                   _("The stored image %s is damaged (its SHA-256 is %s)"), path, digest);
      return NULL;
    }
  return g_steal_pointer (&contents);
}
