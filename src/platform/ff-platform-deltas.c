/* Delta patches on the platform: made from two stored images, kept only when smaller than the new
 * image, stored content-addressed beside the images and recorded in the database. */
#include "config.h"

#include "ff-platform-deltas.h"

#include "ff-delta.h"
#include "ff-platform-firmware-store.h"

#include <glib/gi18n-lib.h>

static FfFirmwareDelta *
find_recorded (FfPlatformDb      *db,
               const FfFirmware  *from,
               const FfFirmware  *to,
               GError           **error)
{
  g_autoptr(GPtrArray) deltas = ff_platform_db_list_deltas (db, to, error);

  for (guint i = 0; deltas != NULL && i < deltas->len; i++)
    {
      FfFirmwareDelta *delta = g_ptr_array_index (deltas, i);

      if (g_str_equal (delta->from_sha256, from->sha256))
        return g_ptr_array_steal_index (deltas, i);
    }
  return NULL;
}

GBytes *
ff_platform_delta_make_checked (GBytes  *old_image,
                                GBytes  *new_image,
                                GError **error)
{
  g_autoptr(GBytes) patch = ff_delta_make (old_image, new_image, error);
  g_autoptr(GBytes) rebuilt = NULL;

  if (patch == NULL || (rebuilt = ff_delta_apply (old_image, patch, error)) == NULL)
    return NULL;
  if (!g_bytes_equal (rebuilt, new_image))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                   _("The delta patch made does not rebuild the new image"));
      return NULL;
    }
  return g_steal_pointer (&patch);
}

gboolean
ff_platform_delta_make (FfPlatformDb      *db,
                        const char        *data_dir,
                        const FfFirmware  *from,
                        const FfFirmware  *to,
                        gint64             now,
                        FfDeltaOutcome    *outcome,
                        FfFirmwareDelta  **delta,
                        GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) old_image = NULL;
  g_autoptr(GBytes) new_image = NULL;
  g_autoptr(GBytes) patch = NULL;
  g_autoptr(FfFirmwareDelta) made = NULL;

  *delta = find_recorded (db, from, to, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (*delta != NULL)
    {
      *outcome = FF_DELTA_KNOWN;
      return TRUE;
    }
  if ((old_image = ff_firmware_store_load (data_dir, from->sha256, error)) == NULL
      || (new_image = ff_firmware_store_load (data_dir, to->sha256, error)) == NULL
      || (patch = ff_platform_delta_make_checked (old_image, new_image, error)) == NULL)
    return FALSE;
  /* A patch no smaller than the image saves nothing and costs the terminal the patching. */
  if (g_bytes_get_size (patch) >= g_bytes_get_size (new_image))
    {
      *outcome = FF_DELTA_NOT_SMALLER;
      return TRUE;
    }
  made = g_new0 (FfFirmwareDelta, 1);
  made->from_sha256 = g_strdup (from->sha256);
  made->to_sha256 = g_strdup (to->sha256);
  made->size = (gint64) g_bytes_get_size (patch);
  made->made_at = now;
  made->from_version = g_strdup (from->version);
  /* The file first: a record never names a patch that is not in the store. */
  if (!ff_firmware_store_add_bytes (data_dir, patch, &made->sha256, error)
      || !ff_platform_db_insert_delta (db, made, now, error))
    return FALSE;
  *outcome = FF_DELTA_MADE;
  *delta = g_steal_pointer (&made);
  return TRUE;
}
