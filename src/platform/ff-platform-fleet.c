/* The changes to fleet data that the operator CLI's verbs and the web console both make. */
#include "config.h"

#include "ff-platform-fleet.h"

#include "ff-crypto.h"
#include "ff-document.h"
#include "ff-package.h"
#include "ff-platform-firmware-store.h"
#include "ff-platform-fleet-db.h"
#include "ff-platform-clock.h"
#include "ff-platform-state-labels.h"
#include "ff-platform-upgrade-checks.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* The longest release notes, in bytes (a package's manifest allows as much). */
#define FIRMWARE_NOTES_MAX 4096

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
  g_autoptr(FfTerminal) terminal = NULL;
  g_autoptr(GError) local_error = NULL;

  /* An entry for a device ID the ledger does not know protects nothing: it is a typo far more
   * often than a terminal blacklisted ahead of its registration, and accepted it would leave the
   * terminal meant unprotected without a word. Import the terminal first. */
  terminal = ff_platform_db_get_terminal (db, device_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (terminal == NULL)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                   _("Terminal %s is not in the ledger: check the device ID, or import the "
                     "terminal before blacklisting a version for it"), device_id);
      return FALSE;
    }
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

static gboolean
invalid (GError    **error,
         const char *message)
{
  g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID, message);
  return FALSE;
}

/* Release notes are text for people, shown by the console and the CLI, JSON in both: UTF-8 (no
 * JSON carries other bytes), lines and tabs but no other control character. */
static gboolean
notes_are_valid (const char *notes)
{
  if (notes == NULL)
    return TRUE;
  if (strlen (notes) > FIRMWARE_NOTES_MAX || !g_utf8_validate (notes, -1, NULL))
    return FALSE;
  for (const char *p = notes; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) && c != '\n' && c != '\t')
        return FALSE;
    }
  return TRUE;
}

gboolean
ff_platform_firmware_store (FfPlatformDb *db,
                            const char   *data_dir,
                            const char   *path,
                            FfFirmware   *firmware,
                            GError      **error)
{
  g_autoptr(FfFirmware) known = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!ff_name_is_safe (firmware->vendor) || !ff_name_is_safe (firmware->model))
    return invalid (error, _("Vendor and model must not contain path separators or “..”, nor be "
                             "“.”"));
  if (!ff_version_is_valid (firmware->version))
    return invalid (error, _("The version must look like V2.01"));
  if (firmware->hardware_versions == NULL || firmware->hardware_versions[0] == NULL)
    return invalid (error, _("Name at least one compatible hardware version "
                             "(--hardware HV1.0,HV1.1)"));
  if (!ff_platform_check_hardware_named_once ((const char *const *) firmware->hardware_versions,
                                              error))
    return FALSE;
  for (guint i = 0; firmware->hardware_versions[i] != NULL; i++)
    if (!ff_name_is_safe (firmware->hardware_versions[i]))
      return invalid (error, _("A hardware version is empty or not a plain name"));
  if (!notes_are_valid (firmware->notes))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("The notes must be UTF-8 text of at most %d bytes, without control "
                     "characters other than line breaks and tabs"), FIRMWARE_NOTES_MAX);
      return FALSE;
    }
  known = ff_platform_db_find_firmware (db, firmware->vendor, firmware->model, firmware->version,
                                        &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (known != NULL)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                   _("Firmware %s for %s %s was added before; versions are never replaced"),
                   firmware->version, firmware->vendor, firmware->model);
      return FALSE;
    }
  g_clear_pointer (&firmware->sha256, g_free);
  return ff_firmware_store_add (data_dir, path, &firmware->sha256, &firmware->size, error);
}

gboolean
ff_platform_package_describe (FfKey       *platform_key,
                              const char  *path,
                              const char  *name,
                              char       **vendor,
                              char       **model,
                              char       **version,
                              char       **hardware,
                              char       **notes,
                              GError     **error)
{
  g_autoptr(GError) package_error = NULL;
  g_autoptr(FfPackage) package = ff_package_open_named (path, name, platform_key,
                                                        &package_error);
  struct { char **option; const char *value; } fields[4];

  /* A file that is no package, or not one this platform signed, is the caller's input (the
   * console's upload: 400); only a file that could not be read is the platform's failure. */
  if (package == NULL && package_error->domain == FF_PACKAGE_ERROR
      && package_error->code != FF_PACKAGE_ERROR_FAILED)
    return invalid (error, package_error->message);
  if (package == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&package_error));
      return FALSE;
    }
  fields[0].option = vendor;
  fields[0].value = ff_package_get_vendor (package);
  fields[1].option = model;
  fields[1].value = ff_package_get_model (package);
  fields[2].option = version;
  fields[2].value = ff_package_get_version (package);
  fields[3].option = hardware;
  fields[3].value = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *value =
        fields[i].value != NULL
        ? g_strdup (fields[i].value)
        : g_strjoinv (",", (char **) ff_package_get_hardware_versions (package));

      if (*fields[i].option == NULL)
        *fields[i].option = g_steal_pointer (&value);
      else if (!g_str_equal (*fields[i].option, value))
        return invalid (error, _("The package's manifest says otherwise: leave out "
                                 "--vendor, --model, --version and --hardware"));
    }
  if (*notes == NULL && ff_package_get_notes (package) != NULL)
    *notes = g_strdup (ff_package_get_notes (package));
  return TRUE;
}

gboolean
ff_platform_firmware_record (FfPlatformDb *db,
                             FfFirmware   *firmware,
                             gint64        now,
                             GError      **error)
{
  g_autoptr(GError) local_error = NULL;

  firmware->added_at = now;
  if (ff_platform_db_insert_firmware (db, firmware, &local_error))
    return TRUE;
  /* Added meanwhile, by another operator: the same refusal as before the image was stored. */
  if (g_error_matches (local_error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT))
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                 _("Firmware %s for %s %s was added before; versions are never replaced"),
                 firmware->version, firmware->vendor, firmware->model);
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

gboolean
ff_platform_make_deltas (FfPlatformDb     *db,
                         const char       *data_dir,
                         GPtrArray        *sources,
                         const FfFirmware *to,
                         FfDeltaMade       made,
                         gpointer          user_data,
                         GError          **error)
{
  for (guint i = 0; i < sources->len; i++)
    {
      const FfFirmware *from = g_ptr_array_index (sources, i);
      g_autoptr(FfFirmwareDelta) delta = NULL;
      FfDeltaOutcome outcome;

      if (!ff_platform_delta_make (db, data_dir, from, to, ff_platform_now (), &outcome, &delta,
                                   error))
        {
          g_prefix_error (error, _("Delta %s → %s: "), from->version, to->version);
          return FALSE;
        }
      if (made != NULL)
        made (from, to, outcome, delta, user_data);
    }
  return TRUE;
}

gboolean
ff_platform_make_field_deltas (FfPlatformDb     *db,
                               const char       *data_dir,
                               const FfFirmware *to,
                               FfDeltaMade       made,
                               gpointer          user_data,
                               GError          **error)
{
  g_autoptr(GPtrArray) sources = ff_platform_db_list_field_sources (db, to, error);

  return sources != NULL && ff_platform_make_deltas (db, data_dir, sources, to, made, user_data,
                                                     error);
}

typedef struct
{
  const char *serial;
  const char *public_key_pem;
  gint64      now;
} HandheldAdd;

/* A tablet's key identifies it: a report it signs names one tablet only, so a key registered to
 * another tablet (retired too: its key may have left with it) is refused. Inserted (a serial
 * registered before is refused as such) and checked in one transaction, so two registrations at
 * once cannot both take one key. */
static gboolean
add_handheld (FfPlatformDb *db,
              gpointer      user_data,
              GError      **error)
{
  HandheldAdd *add = user_data;
  g_autoptr(FfHandheld) holder = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!ff_platform_db_insert_handheld (db, add->serial, add->public_key_pem, add->now, error))
    return FALSE;
  holder = ff_platform_db_get_handheld_by_key (db, add->public_key_pem, add->serial,
                                               &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (holder != NULL)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                   _("This public key is registered already to tablet %s; each tablet needs a "
                     "key of its own"), holder->serial);
      return FALSE;
    }
  return TRUE;
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
  g_autoptr(GError) key_error = NULL;
  HandheldAdd add;

  if (!ff_name_is_safe (serial))
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                           _("The serial number must not contain path separators or “..”, nor "
                             "be “.”"));
      return FALSE;
    }
  /* The key is the caller's input (the console's body, the CLI's file): a bad one is refused as
   * such (400), not reported as the platform's failure. */
  key = ff_key_load_public (public_key_pem, strlen (public_key_pem), &key_error);
  if (key == NULL)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("The tablet’s public key must be an Ed25519 public key in PEM: %s"),
                   key_error->message);
      return FALSE;
    }
  add.serial = serial;
  add.public_key_pem = pem = ff_key_get_public_pem (key);
  add.now = now;
  return ff_platform_db_transaction (db, add_handheld, &add, error);
}

const char *
ff_handheld_state_display (const char *state)
{
  /* The words the console shows for them too (console/js/widgets.js, stateName). */
  static const FfStateLabel labels[] = {
    { FF_HANDHELD_IN_STOCK, N_("in stock") },
    { FF_HANDHELD_CHECKED_OUT, N_("checked out") },
    { FF_HANDHELD_RETIRED, N_("retired") },
  };
  const char *label = ff_state_label (labels, G_N_ELEMENTS (labels), NULL, state);

  return label != NULL ? label : state;
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
