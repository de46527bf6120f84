/* The four signals read from a terminal: their names, units, labels and judgement floors. */
#include "config.h"

#include "ff-signal.h"

#include <glib/gi18n-lib.h>
#include <math.h>

static const struct
{
  const char *name;
  const char *unit;
  const char *key;
  const char *label;
  double      zero_floor;
} signals[FF_SIGNAL_COUNT] = {
  [FF_SIGNAL_LINE_VOLTAGE] = { "line_voltage", "V", "line_voltage", N_("Line voltage"), 10.0 },
  [FF_SIGNAL_CURRENT] = { "current", "A", "current", N_("Current"), 1.0 },
  [FF_SIGNAL_BATTERY_VOLTAGE] = { "battery_voltage", "V", "battery_voltage",
                                  N_("Battery voltage"), 1.0 },
  [FF_SIGNAL_TEMPERATURE] = { "temperature", "°C", "ambient_temperature",
                              N_("Ambient temperature"), 5.0 },
};

const char *
ff_signal_get_name (FfSignal signal)
{
  g_return_val_if_fail (signal < FF_SIGNAL_COUNT, NULL);
  return signals[signal].name;
}

const char *
ff_signal_get_unit (FfSignal signal)
{
  g_return_val_if_fail (signal < FF_SIGNAL_COUNT, NULL);
  return signals[signal].unit;
}

const char *
ff_signal_get_key (FfSignal signal)
{
  g_return_val_if_fail (signal < FF_SIGNAL_COUNT, NULL);
  return signals[signal].key;
}

const char *
ff_signal_get_label (FfSignal signal)
{
  g_return_val_if_fail (signal < FF_SIGNAL_COUNT, NULL);
  return _(signals[signal].label);
}

double
ff_signal_get_zero_floor (FfSignal signal)
{
  g_return_val_if_fail (signal < FF_SIGNAL_COUNT, 0);
  return signals[signal].zero_floor;
}

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
