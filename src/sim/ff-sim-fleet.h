/* A fleet of simulated terminals in one main context: the public API of libfieldflash-sim that the
 * fieldflash-sim program and the app's training mode use. */
#pragma once

#include <gio/gio.h>

#include "ff-sim-scenario.h"
#include "ff-sim-terminal.h"

G_BEGIN_DECLS

#define FF_TYPE_SIM_FLEET (ff_sim_fleet_get_type ())
G_DECLARE_FINAL_TYPE (FfSimFleet, ff_sim_fleet, FF, SIM_FLEET, GObject)

/* Signal "log" (const char *line): every line of every terminal (see ff-sim-terminal.h), for the
 * trainer's view. */
FfSimFleet    *ff_sim_fleet_new                (void);
/* Settings that apply to terminals added afterwards. */
void           ff_sim_fleet_set_state_dir      (FfSimFleet                *fleet,
                                                const char                *state_dir);
/* Boot time of every terminal in ms; < 0 (the default) uses each profile's reboot time. */
void           ff_sim_fleet_set_boot_time      (FfSimFleet                *fleet,
                                                gint                       boot_time_ms);
/* Mean interval of spontaneous measurements in ms; 0 turns them off. Default 5000. */
void           ff_sim_fleet_set_spontaneous_interval (FfSimFleet          *fleet,
                                                      guint                interval_ms);

/* Adds the terminals of a fleet file (docs/formats.md, "Fleet files"). Nothing is added when
 * the file has an error. */
gboolean       ff_sim_fleet_load_file          (FfSimFleet                *fleet,
                                                const char                *path,
                                                GError                   **error);
/* config->state_dir, boot time and spontaneous interval are taken from the fleet settings. */
FfSimTerminal *ff_sim_fleet_add_terminal       (FfSimFleet                *fleet,
                                                const FfSimTerminalConfig *config,
                                                GError                   **error);
/* Adds the terminals of the command-line flags: one per device ID (at least one), each like
 * `config` otherwise. The n-th listens on listens[n] ("HOST:PORT", NULL-terminated, may be NULL)
 * when there is one, else on the host of the terminal before it and the next port; the first on
 * 127.0.0.1:2404. Port 0 stays 0: any free port for each. More addresses than device IDs is an
 * error; nothing is added when there is one. */
gboolean       ff_sim_fleet_add_terminals      (FfSimFleet                *fleet,
                                                const FfSimTerminalConfig *config,
                                                const char * const        *device_ids,
                                                const char * const        *listens,
                                                GError                   **error);
/* Starts every terminal listening; stops them all again if one cannot. */
gboolean       ff_sim_fleet_start              (FfSimFleet                *fleet,
                                                GError                   **error);
void           ff_sim_fleet_stop               (FfSimFleet                *fleet);

FfSimTerminal *ff_sim_fleet_get_terminal       (FfSimFleet                *fleet,
                                                const char                *device_id);
/* Applies a scenario file (docs/formats.md, "Scenario files") to every terminal. */
gboolean       ff_sim_fleet_load_scenario_file (FfSimFleet                *fleet,
                                                const char                *path,
                                                GError                   **error);
gboolean       ff_sim_fleet_set_scenario       (FfSimFleet                *fleet,
                                                const char                *device_id,
                                                const FfSimScenario       *scenario,
                                                GError                   **error);
/* Runs one trainer command: "scenario ID NAME [KEY=VALUE…]". */
gboolean       ff_sim_fleet_run_command        (FfSimFleet                *fleet,
                                                const char                *line,
                                                GError                   **error);

G_END_DECLS
