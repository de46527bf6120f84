/* Process-wide settings the app makes before its first window. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void ff_runtime_init (void);

G_END_DECLS
