/* What the platform's benches share: the 1,000,000-terminal ledger they measure on, and small
 * helpers for timing and failing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define N_MODELS 10
#define N_VERSIONS 8

extern const char *const vendors[3];

/* "DTU-1000" … "DTU-1009" */
const char *model_name      (guint         i);
/* "V1.00" … "V1.07" */
const char *version_name    (guint         i);
/* Terminal i: model i % 10, vendor by model, version (i / 10) % 8, so every (model, version)
 * pair holds N / 80 terminals (12,500 of 1,000,000), spread over a grid of positions. */
void        write_ledger    (const char   *path,
                             guint         n);
double      seconds_since   (gint64        start);
int         compare_doubles (gconstpointer a,
                             gconstpointer b);
/* Exits with @what and @error's message unless @ok. */
void        check           (gboolean      ok,
                             GError       *error,
                             const char   *what);

G_END_DECLS
