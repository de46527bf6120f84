/* ff_duration_format: a duration as the app writes it for people, in one place. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *ff_duration_format (double seconds);

G_END_DECLS
