/* The changes to fleet data that the operator CLI's verbs and the web console both make. */
#include "config.h"

#include "ff-platform-fleet.h"

#include "ff-crypto.h"
#include "ff-document.h"
#include "ff-platform-fleet-db.h"

#include <glib/gi18n-lib.h>

GPtrArray *
ff_platform_firmware_rows (FfPlatformDb *db,
                           GPtrArray    *firmware,
                           GError      **error)
{
  g_autoptr(GPtrArray) rows =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ff_firmware_row_free);

  for (guint i = 0; i < firmware->len; i++)
    {
      FfFirmwareRow *row = g_new0 (FfFirmwareRow, 1);

      /* The array frees what is left in it, and ff_firmware_free (NULL) does nothing. */
      row->firmware = g_steal_pointer (&firmware->pdata[i]);
      g_ptr_array_add (rows, row);
      if ((row->deltas = ff_platform_db_list_deltas (db, row->firmware, error)) == NULL)
        return NULL;
    }
  return g_steal_pointer (&rows);
}

void
ff_firmware_row_free (FfFirmwareRow *row)
{
  ff_firmware_free (row->firmware);
  g_clear_pointer (&row->deltas, g_ptr_array_unref);
  g_free (row);
}

FfFirmware *
ff_platform_resolve_firmware (FfPlatformDb *db,
                              const char   *version,
                              const char   *vendor,
                              const char   *model,
                              GError      **error)
{
  g_autoptr(GPtrArray) list = ff_platform_db_list_firmware (db, version, error);
  guint found = 0, matches = 0;

  if (list == NULL)
    return NULL;
  for (guint i = 0; i < list->len; i++)
    {
      FfFirmware *fw = g_ptr_array_index (list, i);

      if ((vendor == NULL || g_str_equal (vendor, fw->vendor))
          && (model == NULL || g_str_equal (model, fw->model)))
        {
          found = i;
          matches++;
        }
    }
  if (matches == 0)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                   _("There is no firmware %s (for that vendor and model)"), version);
      return NULL;
    }
  if (matches > 1)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("Several models have firmware %s; add --vendor and --model"), version);
      return NULL;
    }
  return g_ptr_array_steal_index (list, found);
}

FfFirmware *
ff_platform_blacklist_firmware (FfPlatformDb *db,
                                const char   *version,
                                const char   *device_id,
                                const char   *vendor,
                                const char   *model,
                                GError      **error)
{
  g_autoptr(FfTerminal) terminal = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!ff_name_is_safe (device_id))
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                           _("That is not a device ID"));
      return NULL;
    }
  terminal = ff_platform_db_get_terminal (db, device_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return ff_platform_resolve_firmware (db, version,
                                       vendor ? vendor : terminal ? terminal->vendor : NULL,
                                       model ? model : terminal ? terminal->model : NULL, error);
}

gboolean
ff_platform_blacklist_add (FfPlatformDb     *db,
                           const FfFirmware *firmware,
                           const char       *device_id,
                           gint64            now,
                           GError          **error)
{
  g_autoptr(GError) local_error = NULL;

  if (ff_platform_db_add_blacklist (db, firmware->id, device_id, now, &local_error))
    return TRUE;
  if (g_error_matches (local_error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT))
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                 _("Firmware %s for %s %s is already kept away from %s"), firmware->version,
                 firmware->vendor, firmware->model, device_id);
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

gboolean
ff_platform_blacklist_remove (FfPlatformDb     *db,
                              const FfFirmware *firmware,
                              const char       *device_id,
                              GError          **error)
{
  gboolean removed = FALSE;

  if (!ff_platform_db_remove_blacklist (db, firmware->id, device_id, &removed, error))
    return FALSE;
  if (!removed)
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                 _("Firmware %s for %s %s is not blacklisted for %s"), firmware->version,
                 firmware->vendor, firmware->model, device_id);
  return removed;
}

gboolean
ff_platform_firmware_withdraw (FfPlatformDb     *db,
                               const FfFirmware *firmware,
                               gint64            now,
                               GError          **error)
{
  gboolean withdrawn = FALSE;

  if (!ff_platform_db_withdraw_firmware (db, firmware->id, now, &withdrawn, error))
    return FALSE;
  if (!withdrawn)
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                 _("Firmware %s for %s %s was withdrawn before; nothing changed"),
                 firmware->version, firmware->vendor, firmware->model);
  return withdrawn;
}

gboolean
ff_platform_handheld_add (FfPlatformDb *db,
                          const char   *serial,
                          const char   *public_key_pem,
                          gint64        now,
                          GError      **error)
{
  g_autoptr(FfKey) key = NULL;
  g_autofree char *pem = NULL;

  if (!ff_name_is_safe (serial))
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                           _("The serial number must not contain path separators or “..”"));
      return FALSE;
    }
  key = ff_key_load_public (public_key_pem, strlen (public_key_pem), error);
  if (key == NULL)
    return FALSE;
  pem = ff_key_get_public_pem (key);
  return ff_platform_db_insert_handheld (db, serial, pem, now, error);
}

gboolean
ff_platform_handheld_retire (FfPlatformDb *db,
                             const char   *serial,
                             GError      **error)
{
  g_autoptr(FfHandheld) handheld = ff_platform_db_require_handheld (db, serial, error);

  if (handheld == NULL)
    return FALSE;
  if (g_str_equal (handheld->state, FF_HANDHELD_RETIRED))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                   _("Tablet %s was retired before; nothing changed"), serial);
      return FALSE;
    }
  return ff_platform_db_set_handheld_state (db, serial, FF_HANDHELD_RETIRED, NULL, error);
}
