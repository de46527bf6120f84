/* Delta patches: making one from two images (suffix sorting, approximate matches), applying and
 * describing one, with delta/'s patcher doing the applying as a device would. */
#pragma once

#include <glib.h>

#include "ffdelta.h"

G_BEGIN_DECLS

#define FF_DELTA_ERROR (ff_delta_error_quark ())
GQuark ff_delta_error_quark (void);

/* The codes are delta/'s FfDeltaResult errors, and these: */
#define FF_DELTA_ERROR_TOO_LARGE 100   /* an image over the format's 2 GiB - 1 */

GBytes   *ff_delta_make     (GBytes         *old_image,
                             GBytes         *new_image,
                             GError        **error);
GBytes   *ff_delta_apply    (GBytes         *old_image,
                             GBytes         *patch,
                             GError        **error);
gboolean  ff_delta_describe (GBytes         *patch,
                             FfDeltaHeader  *header,
                             GError        **error);
/* The translated sentence for a patcher's result. */
const char *ff_delta_result_describe (FfDeltaResult result);

G_END_DECLS
