/* One simulated terminal: an IEC 104 outstation on its own TCP port with measurements, an upgrade
 * path that reboots into the new image, persisted state and injectable faults. */
#pragma once

#include <gio/gio.h>

#include "ff-profile.h"
#include "ff-sim-scenario.h"

G_BEGIN_DECLS

/* What a terminal is; strings are copied by ff_sim_terminal_new. NULL strings take defaults. */
typedef struct
{
  const char *device_id;         /* required: 0x8009 */
  const char *version;           /* "V1.00": 0x8005 of the image it starts with */
  const char *vendor;            /* 0x8003 */
  const char *model;             /* 0x8008 */
  const char *type;              /* 0x8001: "DTU" */
  const char *hardware_version;  /* 0x8004: "HV1.0" */
  double      latitude;          /* the position recorded for it (degrees) */
  double      longitude;
  const char *host;              /* "127.0.0.1" */
  guint16     port;              /* 0: any free port */
  FfProfile  *profile;           /* required; a reference is taken */
  gint        boot_time_ms;      /* < 0: the profile's reboot time */
  guint       spontaneous_ms;    /* mean interval of spontaneous measurements; 0: none */
  const char *state_dir;         /* NULL: nothing persists */
} FfSimTerminalConfig;

#define FF_TYPE_SIM_TERMINAL (ff_sim_terminal_get_type ())
G_DECLARE_FINAL_TYPE (FfSimTerminal, ff_sim_terminal, FF, SIM_TERMINAL, GObject)

/* Loads the terminal's persisted state (installed image, version, parameters) when there is one.
 *
 * Signal "log" (const char *line): one line for the trainer, e.g. "terminal DTU-0001: upgrade
 * image V2.00 staged". When it starts listening the line is exactly
 * "terminal ID listening on HOST:PORT (true position LAT,LON)" (degrees, 7 decimals). */
FfSimTerminal *ff_sim_terminal_new              (const FfSimTerminalConfig *config,
                                                 GError                   **error);
/* Starts listening in the thread-default main context. */
gboolean       ff_sim_terminal_start            (FfSimTerminal            *terminal,
                                                 GError                  **error);
/* Closes the listener and any connection. */
void           ff_sim_terminal_stop             (FfSimTerminal            *terminal);

const char    *ff_sim_terminal_get_device_id    (FfSimTerminal            *terminal);
/* The port it listens on (after start; the real one when 0 was asked for). */
guint16        ff_sim_terminal_get_port         (FfSimTerminal            *terminal);
/* The version of the running image (0x8005). */
const char    *ff_sim_terminal_get_version      (FfSimTerminal            *terminal);
/* Where a GPS receiver standing at the terminal reads: the recorded position moved by a
 * "gps-offset" scenario. */
void           ff_sim_terminal_get_true_position (FfSimTerminal           *terminal,
                                                  double                  *latitude,
                                                  double                  *longitude);
/* Switches the fault scenario at once (copied) and logs its explanation. */
void           ff_sim_terminal_set_scenario     (FfSimTerminal            *terminal,
                                                 const FfSimScenario      *scenario);

G_END_DECLS
