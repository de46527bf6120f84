/* `fieldflash-sim networked --swarm N`: N lightweight simulated networked terminals in one process
 * for campaigns at fleet size (docs/simulator.md, "Swarm"). */
#pragma once

int ff_sim_swarm_main (int    argc,
                       char **argv);
