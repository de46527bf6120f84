/* `fieldflash-sim networked …`: simulated networked terminals that run the real fieldflash-agent. */
#pragma once

int ff_sim_networked_main (int    argc,
                           char **argv);
