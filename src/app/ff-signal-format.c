/* ff_signal_format_value: writes a signal's value with its unit, moving volts and amperes to kilo
 * from 1000 up, so a 10 kV feeder reads "10.50 kV" and not "10500.54 V". */
#include "config.h"

#include "ff-signal-format.h"

#include <math.h>

/* The units that take an SI prefix; a temperature in °C does not. */
static gboolean
unit_takes_prefix (const char *unit)
{
  return g_str_equal (unit, "V") || g_str_equal (unit, "A");
}

char *
ff_signal_format_value (FfSignal signal,
                        double   value)
{
  const char *unit = ff_signal_get_unit (signal);

  g_return_val_if_fail (unit != NULL, NULL);

  if (fabs (value) >= 1000 && unit_takes_prefix (unit))
    return g_strdup_printf ("%.2f k%s", value / 1000, unit);
  return g_strdup_printf ("%.2f %s", value, unit);
}
