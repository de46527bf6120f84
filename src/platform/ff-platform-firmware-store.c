/* The content-addressed firmware store: DATA/firmware/ab/cdef… by SHA-256, written atomically. */
#include "config.h"

#include "ff-platform-firmware-store.h"

#include "ff-crypto.h"
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

gboolean
ff_firmware_store_add (const char *data_dir,
                       const char *source,
                       char      **sha256,
                       gint64     *size,
                       GError    **error)
{
  g_autoptr(GMappedFile) file = g_mapped_file_new (source, FALSE, error);
  g_autofree char *digest = NULL;
  g_autofree char *path = NULL;
  g_autofree char *directory = NULL;
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
  digest = ff_sha256_hex (g_mapped_file_get_contents (file), length);
  path = ff_firmware_store_path (data_dir, digest);
  directory = g_path_get_dirname (path);
  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create %s: %s"), directory, g_strerror (saved_errno));
      return FALSE;
    }
  /* Same digest, same bytes: an image already stored is never rewritten. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS)
      && !g_file_set_contents_full (path, g_mapped_file_get_contents (file), length,
                                    G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                    0600, error))
    return FALSE;
  *sha256 = g_steal_pointer (&digest);
  *size = (gint64) length;
  return TRUE;
}
