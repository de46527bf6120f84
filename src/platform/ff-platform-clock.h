/* The platform's clock: every time it stores, signs or compares is in whole Unix seconds (UTC).
 * FIELDFLASH_PLATFORM_TIME=SECONDS (a test hook) starts it at that Unix time, from where it runs
 * on with the real clock: a test of a maintenance window sets the time of day instead of waiting
 * for it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads FIELDFLASH_PLATFORM_TIME, once, before the clock is read; FALSE with @error when it is not
 * a number of seconds. */
gboolean ff_platform_clock_init (GError **error);
gint64   ff_platform_now        (void);

G_END_DECLS
