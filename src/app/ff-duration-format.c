/* ff_duration_format: a duration in whole seconds, with minutes from one minute up ("2 min 05 s"),
 * for the push's time left and the restart's waits. */
#include "config.h"

#include "ff-duration-format.h"

#include <glib/gi18n-lib.h>

char *
ff_duration_format (double seconds)
{
  guint whole = (guint) (MAX (seconds, 0) + 0.5);

  if (whole < 60)
    /* Translators: a duration in seconds. */
    return g_strdup_printf (_("%u s"), whole);
  /* Translators: a duration in minutes and seconds. */
  return g_strdup_printf (_("%u min %02u s"), whole / 60, whole % 60);
}
