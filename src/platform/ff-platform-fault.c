/* FIELDFLASH_PLATFORM_FAULT, parsed once: see ff-platform-fault.h. */
#include "config.h"

#include "ff-platform-fault.h"

#include "ff-platform-error.h"

#include <glib/gi18n-lib.h>

static struct
{
  guint kill_after_puback;
} faults;

gboolean
ff_platform_fault_init (GError **error)
{
  const char *value = g_getenv ("FIELDFLASH_PLATFORM_FAULT");
  g_auto(GStrv) parts = NULL;

  if (value == NULL)
    return TRUE;
  parts = g_strsplit (value, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *fault = g_strstrip (parts[i]);
      guint64 n = 0;

      if (*fault == '\0')
        continue;
      if (g_str_has_prefix (fault, "kill-after-puback=")
          && g_ascii_string_to_unsigned (fault + strlen ("kill-after-puback="), 10, 1, G_MAXUINT,
                                         &n, NULL))
        faults.kill_after_puback = (guint) n;
      else
        {
          g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                       _("FIELDFLASH_PLATFORM_FAULT: unknown fault “%s”"), fault);
          return FALSE;
        }
    }
  return TRUE;
}

guint
ff_platform_fault_kill_after_puback (void)
{
  return faults.kill_after_puback;
}
