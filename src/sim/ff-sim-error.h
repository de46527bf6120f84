/* The error domain of the simulator library: bad fleet, scenario, firmware or state files,
 * or a networked terminal's bad device root. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FF_SIM_ERROR (ff_sim_error_quark ())

typedef enum
{
  FF_SIM_ERROR_FLEET,     /* a fleet file or terminal option is missing or malformed */
  FF_SIM_ERROR_SCENARIO,  /* an unknown scenario or a bad scenario parameter */
  FF_SIM_ERROR_FIRMWARE,  /* not a demo firmware image, or a damaged one */
  FF_SIM_ERROR_STATE,     /* a state directory file cannot be read or written */
  FF_SIM_ERROR_LISTEN,    /* the listening address cannot be used */
  FF_SIM_ERROR_SLOT,      /* a networked terminal's slot image is missing, torn or corrupted */
  FF_SIM_ERROR_DEVICE,    /* a networked terminal's root, boot environment or options are bad */
} FfSimError;

GQuark ff_sim_error_quark (void);

G_END_DECLS
