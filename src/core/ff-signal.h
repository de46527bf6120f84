/* The four signals read from a terminal before and after an upgrade: what each is called in
 * reports, in vendor profiles and to people, its unit, and the floor of its judgement. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* In report order. */
typedef enum
{
  FF_SIGNAL_LINE_VOLTAGE,
  FF_SIGNAL_CURRENT,
  FF_SIGNAL_BATTERY_VOLTAGE,
  FF_SIGNAL_TEMPERATURE,
  FF_SIGNAL_COUNT
} FfSignal;

/* The member name in a report ("temperature"). */
const char *ff_signal_get_name       (FfSignal signal);
const char *ff_signal_get_unit       (FfSignal signal);
/* The key in a vendor profile's measurement map ("ambient_temperature"). */
const char *ff_signal_get_key        (FfSignal signal);
/* Translated, for people ("Ambient temperature"). */
const char *ff_signal_get_label      (FfSignal signal);
/* Near zero a relative error explodes (0.01 A → 0.02 A is "100 %"), so the judgement's
 * denominator never drops below this floor: a before-value smaller than the floor is judged
 * against an absolute band of 10 % of the floor (1 V, 0.1 A, 0.1 V, 0.5 °C). */
double      ff_signal_get_zero_floor (FfSignal signal);
/* The value with its unit for people, volts and amperes in kilo from 1000 up, so a 10 kV feeder
 * reads "10.50 kV" and not "10500.54 V". */
char       *ff_signal_format_value   (FfSignal signal,
                                      double   value);

G_END_DECLS
