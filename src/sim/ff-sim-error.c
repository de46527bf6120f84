/* The error domain of the simulator library. */
#include "config.h"

#include "ff-sim-error.h"

G_DEFINE_QUARK (ff-sim-error-quark, ff_sim_error)
