/* The lists an operator types ("DTU0001, DTU0002") and the refusals that firmware, tasks, campaigns
 * and remote upgrades share, one wording for all of them. */
#include "config.h"

#include "ff-platform-upgrade-checks.h"

#include "ff-platform-error.h"

#include <glib/gi18n-lib.h>


FfFirmware *
ff_platform_require_firmware (FfPlatformDb     *db,
                              const FfTerminal *terminal,
                              const char       *version,
                              GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  FfFirmware *firmware = ff_platform_db_find_firmware (db, terminal->vendor, terminal->model,
                                                       version, &local_error);

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (firmware == NULL)
    ff_platform_refuse (error, _("There is no firmware %s for %s %s (terminal %s)"), version,
                        terminal->vendor, terminal->model, terminal->device_id);
  return firmware;
}

gboolean
ff_platform_check_credentials (const FfTerminalLink *link,
                               GError              **error)
{
  if (link->public_key_pem != NULL)
    return TRUE;
  return ff_platform_refuse (error,
                             _("Terminal %s has no credentials; issue them with "
                               "“fieldflash-platform terminals credentials”"),
                             link->device_id);
}

/* The first item of @names that is empty or that an earlier one names already; NULL when none is. */
static const char *
first_empty_or_repeated (const char *const *names)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    if (*names[i] == '\0' || !g_hash_table_add (seen, (gpointer) names[i]))
      return names[i];
  return NULL;
}

char **
ff_platform_split_list (const char *text)
{
  char **items = g_strsplit (text, ",", -1);

  /* "DTU1, DTU2" as typed; an item empty once trimmed stays empty, for the checks to refuse. */
  for (guint i = 0; items[i] != NULL; i++)
    g_strstrip (items[i]);
  return items;
}

gboolean
ff_platform_check_named_once (const char *const *device_ids,
                              GError           **error)
{
  const char *bad = first_empty_or_repeated (device_ids);

  if (bad == NULL)
    return TRUE;
  if (*bad == '\0')
    return ff_platform_refuse (error, _("The list of terminals has an empty device ID (a comma "
                                        "too many?)"));
  return ff_platform_refuse (error, _("Terminal %s is named twice"), bad);
}

gboolean
ff_platform_check_tablets_named_once (const char *const *serials,
                                      GError           **error)
{
  const char *bad = first_empty_or_repeated (serials);

  if (bad == NULL)
    return TRUE;
  if (*bad == '\0')
    return ff_platform_refuse (error, _("A tablet's serial number is empty"));
  return ff_platform_refuse (error, _("Tablet %s is named twice"), bad);
}

gboolean
ff_platform_check_hardware_named_once (const char *const *hardware_versions,
                                       GError           **error)
{
  const char *bad = first_empty_or_repeated (hardware_versions);

  if (bad == NULL)
    return TRUE;
  if (*bad == '\0')
    g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                         _("The list of hardware versions has an empty item (a comma too many?)"));
  else
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                 _("Hardware version %s is named twice"), bad);
  return FALSE;
}
