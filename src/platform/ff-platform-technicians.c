/* Registering a technician: the checks and the PIN's hash `technicians add` and the console's
 * route share. */
#include "config.h"

#include "ff-platform-technicians.h"

#include "ff-crypto.h"
#include "ff-document.h"
#include "ff-platform-error.h"

#include <glib/gi18n-lib.h>

static gboolean
pin_is_valid (const char *pin)
{
  gsize length = pin != NULL ? strlen (pin) : 0;

  if (length < FF_TECHNICIAN_PIN_MIN_DIGITS || length > FF_TECHNICIAN_PIN_MAX_DIGITS)
    return FALSE;
  for (const char *p = pin; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static gboolean
invalid (GError    **error,
         const char *message)
{
  g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID, message);
  return FALSE;
}

gboolean
ff_platform_technician_check (const char  *phone,
                              const char  *name,
                              GError     **error)
{
  if (phone == NULL || !ff_phone_is_valid (phone))
    return invalid (error, _("The phone number must have 11 digits and start with 1"));
  /* The name is printed by the CLI's lists and signed into tasks a tablet shows: no control
   * characters (escape sequences, line breaks), as for operators' names and the ledger. */
  if (!ff_display_name_is_valid (name))
    return invalid (error, _("The name must have 1 to 128 bytes of UTF-8 without control "
                             "characters"));
  return TRUE;
}

gboolean
ff_platform_technician_add (FfPlatformDb *db,
                            const char   *phone,
                            const char   *name,
                            const char   *pin,
                            gint64        now,
                            GError      **error)
{
  g_autofree char *hash = NULL;

  if (!ff_platform_technician_check (phone, name, error))
    return FALSE;
  if (!pin_is_valid (pin))
    return invalid (error, _("The PIN must have 4 to 12 digits"));
  hash = ff_pin_hash (pin, error);
  return hash != NULL && ff_platform_db_insert_technician (db, phone, name, hash, now, error);
}
