/* The simulated terminal's bootloader: at each boot it plays U-Boot (reads the environment, counts
 * boots of an unconfirmed A/B slot, falls back, refuses a torn slot), then starts the real
 * fieldflash-agent in normal or recovery mode and "reboots" when it asks for it or dies. */
#pragma once

#include <glib.h>

#include "ff-sim-netdevice.h"

G_BEGIN_DECLS

typedef enum
{
  FF_SIM_BOOT_NORMAL,
  FF_SIM_BOOT_RECOVERY,
  FF_SIM_BOOT_BRICKED,    /* no slot can be booted: what must never happen */
} FfSimBootMode;

typedef struct
{
  FfSimBootMode  mode;
  gint           slot;            /* A/B layout: 0 (a) or 1 (b); -1 in the recovery layout */
  char          *kernel_version;  /* of the booted (or, in recovery, the installed) slots; NULL */
  char          *rootfs_version;  /* when that slot is torn */
  gboolean       healthy;         /* FALSE when a booted image is marked health=fails */
  GPtrArray     *events;          /* what U-Boot did and saw, one sentence each, for sim.log */
} FfSimBoot;

/* The bootloader's decision for one boot: reads the environment, writes back what U-Boot writes
 * (bootcount, a fallback's boot_slot and upgrade_available, the default environment) in one store,
 * and checks the slots it boots. FALSE only when the environment cannot be read or written. */
gboolean ff_sim_boot_decide          (FfSimNetdevice *device,
                                      FfSimBoot      *boot,
                                      GError        **error);
/* ROOT/run/versions: [versions] kernel=, rootfs=, slot= (A/B), mode=, healthy= (temp + rename). */
gboolean ff_sim_boot_write_versions  (FfSimNetdevice *device,
                                      const FfSimBoot *boot,
                                      GError        **error);
/* "boot N mode=normal slot=a kernel=V1.00 rootfs=V1.00" */
char    *ff_sim_boot_describe        (const FfSimBoot *boot,
                                      guint64          number);
void     ff_sim_boot_clear           (FfSimBoot      *boot);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FfSimBoot, ff_sim_boot_clear)

/* Exit codes of the bootloader loop (and of `fieldflash-sim networked run`). */
enum
{
  FF_SIM_BOOTLOADER_STOPPED = 0,    /* the agent stopped on SIGTERM: the terminal was shut down */
  FF_SIM_BOOTLOADER_FAILED = 1,     /* the root or its environment cannot be used */
  FF_SIM_BOOTLOADER_POWER_CUT = 3,  /* a power-cut fault struck: the terminal is off */
  FF_SIM_BOOTLOADER_BRICKED = 4,    /* no slot could be booted */
  FF_SIM_BOOTLOADER_HALTED = 5,     /* the agent crashed 10 times in a row */
};

typedef struct
{
  const char * const *agent_argv;    /* the agent program (after an emulator, in a cross build) */
  const char         *agent_fault;   /* FIELDFLASH_AGENT_FAULT for the agent, or NULL */
  const char         *agent_config;  /* NULL: ROOT/agent.conf */
  /* The bootloader's own power cut, at its first environment write: "boot-cut-in=env-write" (the
   * copy it writes torn half way) or "boot-cut-at=env-written" (right after the write, before
   * run/versions and the agent); NULL: none. The loop then stops itself (SIGSTOP) for the test
   * to cut the power from outside (SIGKILL). */
  const char         *boot_fault;
} FfSimBootloaderOptions;

/* Boots the device until the agent stops, a power cut strikes or nothing boots; logs each boot
 * and each event to ROOT/sim.log and stdout. Returns one of the exit codes above. */
int      ff_sim_bootloader_run       (FfSimNetdevice               *device,
                                      const FfSimBootloaderOptions *options);

G_END_DECLS
