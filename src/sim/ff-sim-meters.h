/* ff-sim-meters.h: `fieldflash-sim meters` (ff-sim-meters.c). */
#pragma once

int ff_sim_meters_main (int argc, char **argv);
