/* A simulated networked terminal's root directory: file-backed slots, a redundant U-Boot
 * environment, the data partition, parameter files, the main program and the updater, and the
 * agent.conf that points the real fieldflash-agent at all of it (docs/simulator.md). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  FF_SIM_LAYOUT_RECOVERY,  /* one kernel and one rootfs slot, upgraded from the recovery system */
  FF_SIM_LAYOUT_AB,        /* kernel and rootfs in slot a and slot b, switched with a boot counter */
} FfSimLayout;

typedef struct
{
  const char  *root;
  const char  *device_id;
  const char  *vendor;                /* NULL: Acme; the agent refuses packages for another */
  const char  *model;                 /* NULL: DTU-3000 */
  const char  *hardware_version;      /* NULL: HV1.0 */
  FfSimLayout  layout;
  const char  *credentials;           /* a directory from `terminals credentials`, copied in */
  const char  *broker_host;           /* NULL: 127.0.0.1 */
  guint        broker_port;
  const char  *platform_url;          /* https://HOST:PORT */
  const char  *kernel_version;        /* NULL: V1.00, and so on */
  const char  *rootfs_version;
  const char  *main_program_version;
  const char  *updater_version;
  gsize        image_size;            /* body of each slot image; 0: 64 KiB */
  const char  *query_times;           /* NULL: no scheduled query */
} FfSimNetdeviceConfig;

typedef struct
{
  char        *root;
  char        *agent_config;          /* ROOT/agent.conf */
  GKeyFile    *settings;              /* its contents */
  FfSimLayout  layout;
  char        *env_config;
  char        *running_versions;
  char        *log;                   /* ROOT/sim.log */
  /* The slot files: [0] slot a (or the only slot of the recovery layout), [1] slot b. */
  char        *kernel[2];
  char        *rootfs[2];
} FfSimNetdevice;

gboolean        ff_sim_netdevice_init     (const FfSimNetdeviceConfig *config,
                                           GError                    **error);
/* Reads ROOT/agent.conf (FF_SIM_ERROR_DEVICE when it is missing or lacks the boot settings). */
FfSimNetdevice *ff_sim_netdevice_load     (const char                 *root,
                                           GError                    **error);
void            ff_sim_netdevice_free     (FfSimNetdevice             *device);
/* A simulated program (a small shell script): `PROGRAM --version` prints `version`. A program made
 * unhealthy fails to start; a healthy one also fails when the system booted an image marked
 * health=fails (ROOT/run/versions says healthy=false), as a real one fails on a broken system. */
char           *ff_sim_netdevice_program  (const char                 *kind,
                                           const char                 *version,
                                           gboolean                    healthy);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfSimNetdevice, ff_sim_netdevice_free)

G_END_DECLS
