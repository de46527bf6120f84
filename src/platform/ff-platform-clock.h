/* The platform's clock: every time it stores, signs or compares is in whole Unix seconds (UTC). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

static inline gint64
ff_platform_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

G_END_DECLS
