/* ff_signal_format_value: a signal's value as the app writes it for people, in one place. */
#pragma once

#include <glib.h>

#include "ff-signal.h"

G_BEGIN_DECLS

char *ff_signal_format_value (FfSignal signal,
                              double   value);

G_END_DECLS
