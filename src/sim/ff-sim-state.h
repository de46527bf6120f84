/* The state directory of the simulator: each terminal's installed image and written parameters, so
 * a restart keeps what was upgraded. */
#pragma once

#include <glib.h>

#include "iec104-asdu.h"

G_BEGIN_DECLS

/* DIR/ID.img: the running image. Returns NULL without an error when none was saved yet. */
GBytes  *ff_sim_state_load_image  (const char        *dir,
                                   const char        *device_id,
                                   GError           **error);
gboolean ff_sim_state_save_image  (const char        *dir,
                                   const char        *device_id,
                                   GBytes            *image,
                                   GError           **error);
/* DIR/ID.ini, group [parameters]: "0x8020=TAG:HEXBYTES". Loaded parameters are appended to
 * `params` (an array of Iec104Param). */
gboolean ff_sim_state_load_params (const char        *dir,
                                   const char        *device_id,
                                   GArray            *params,
                                   GError           **error);
gboolean ff_sim_state_save_params (const char        *dir,
                                   const char        *device_id,
                                   const Iec104Param *params,
                                   guint              n_params,
                                   GError           **error);

G_END_DECLS
