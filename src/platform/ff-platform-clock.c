/* The platform's clock (see ff-platform-clock.h). */
#include "config.h"

#include "ff-platform-clock.h"

#include "ff-platform-error.h"

#include <glib/gi18n-lib.h>

/* Seconds added to the real clock: 0 unless FIELDFLASH_PLATFORM_TIME set another time. */
static gint64 offset;

static gint64
real_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

gboolean
ff_platform_clock_init (GError **error)
{
  const char *value = g_getenv ("FIELDFLASH_PLATFORM_TIME");
  guint64 seconds = 0;

  if (value == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT32 * (guint64) 4, &seconds, NULL))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("FIELDFLASH_PLATFORM_TIME: “%s” is not a Unix time in seconds"), value);
      return FALSE;
    }
  offset = (gint64) seconds - real_now ();
  return TRUE;
}

gint64
ff_platform_now (void)
{
  return real_now () + offset;
}
