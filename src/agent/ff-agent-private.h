/* What the parts of fieldflash-agent's state machine share: the instance and the step helpers.
 * ff-agent.c drives the steps and talks to the platform; ff-agent-verify.c checks packages,
 * ff-agent-system.c runs system upgrades, ff-agent-program.c program upgrades. */
#pragma once

#include "ff-agent.h"
#include "ff-agent-https.h"
#include "ff-agent-mqtt.h"
#include "ff-agent-outbox.h"
#include "ff-agent-query.h"
#include "ff-agent-state.h"
#include "ff-crypto.h"
#include "ff-package.h"

G_BEGIN_DECLS

struct _FfAgent
{
  FfAgentConfig *config;
  gboolean recovery_mode;
  char *state_path;
  FfAgentState *state;
  /* Why this run started from a fresh record (its record could not be read), else NULL. */
  char *state_reset;
  /* Recovery system: why the terminal stays in it (it started too often in a row), else NULL. */
  char *stranded;
  FfKey *platform_key;
  FfKey *terminal_key;

  /* Normal mode only (MQTT also in a recovery system that stays, to report). */
  FfAgentHttps *https;
  FfAgentMqtt *mqtt;
  FfAgentOutbox *outbox;
  FfAgentQuery *query;
  GCancellable *cancellable;
  guint republish_timer;
  guint download_retry_timer;
  guint download_attempts;
  gint64 last_progress_time;
  /* The running versions the state documents carry, and what they were read from. */
  GHashTable *state_versions;
  char *state_versions_stamp;

  GMainLoop *loop;
  /* The step that set the boot environment asks for the reboot once "rebooting" is persisted. */
  gboolean reboot_after_persist;
  int exit_code;                 /* -1 while running */
};

/* A file in the data partition. */
char    *ff_agent_package_path   (FfAgent           *agent);
char    *ff_agent_staging_path   (FfAgent           *agent,
                                  const char        *kind);
char    *ff_agent_slot_backup_path (FfAgent         *agent,
                                    const char      *kind);

/* Ends the step with @outcome ("failed", "refused", "rolled-back") at @step, saying @error's
 * message. Returns @next, for "return ff_agent_fail (…)". */
FfAgentStateName ff_agent_fail   (FfAgent           *agent,
                                  const char        *outcome,
                                  const char        *step,
                                  const GError      *error,
                                  FfAgentStateName   next);
/* Stops the agent with @exit_code (FF_AGENT_EXIT_REBOOT, FF_AGENT_EXIT_FAILED). */
void     ff_agent_exit           (FfAgent           *agent,
                                  int                exit_code);

/* The image kinds ("kernel", "rootfs") and program kinds the command in progress installs, in
 * FfAgentImage / FfAgentProgram order. */
GPtrArray *ff_agent_planned_images   (FfAgent *agent);
GPtrArray *ff_agent_planned_programs (FfAgent *agent);

/* ff-agent-verify.c: the package of the command in progress, verified for this terminal and its
 * images staged in data/staging (deltas applied); its target versions and digests recorded in
 * the state. An error in FF_AGENT_ERROR_REFUSED is a refusal, anything else a failure. With
 * @running_already (not NULL), a package whose every payload already runs (no rollback) is
 * neither staged nor recorded: TRUE with *@running_already a sentence that says so. */
gboolean ff_agent_verify_package (FfAgent           *agent,
                                  char             **running_already,
                                  GError           **error);
/* The package of the command in progress, its signature and tar checked again; NULL with @error
 * (FF_AGENT_ERROR_REFUSED when it does not verify). */
FfPackage *ff_agent_open_package (FfAgent           *agent,
                                  GError           **error);
/* The SHA-256 that names the one package on the data partition (DATA/packages/SHA256.ffpkg; a
 * command's package stays there until its result is in the outbox), when its record is lost.
 * NULL with @error when there is none, or more than one. */
char      *ff_agent_find_stored_package (FfAgent *agent,
                                         GError **error);
/* TRUE for a payload written into its slot straight from the package (A/B, not a delta), which
 * is not staged on the data partition. */
gboolean ff_agent_writes_from_package (FfAgent                *agent,
                                       const FfPackagePayload *payload);
/* The recovery system's check before writing: the package's signature again, each staged image's
 * digest (or each backed-up image's, when falling back). */
gboolean ff_agent_verify_staged  (FfAgent           *agent,
                                  GError           **error);

/* ff-agent-system.c: the steps of kernel and rootfs upgrades. Each returns the next state. */
FfAgentStateName ff_agent_system_back_up        (FfAgent *agent);
FfAgentStateName ff_agent_system_write_slot     (FfAgent *agent);
FfAgentStateName ff_agent_system_set_boot       (FfAgent *agent);
FfAgentStateName ff_agent_system_after_reboot   (FfAgent *agent);
FfAgentStateName ff_agent_system_recovery_verify  (FfAgent *agent);
FfAgentStateName ff_agent_system_recovery_write   (FfAgent *agent);
FfAgentStateName ff_agent_system_recovery_restore (FfAgent *agent);
FfAgentStateName ff_agent_system_recovery_done    (FfAgent *agent);
FfAgentStateName ff_agent_system_health_check   (FfAgent *agent);
/* After a record that could not be read (A/B layout): an upgraded slot not confirmed yet is
 * given up — the boot environment goes back to the other slot and a reboot is asked for. */
void             ff_agent_system_give_up_unconfirmed (FfAgent *agent);

/* What the planned images make of the boot environment's ff_upgrade: "kernel", "rootfs" or
 * "kernel+rootfs". */
char            *ff_agent_system_upgrade_kind   (FfAgent *agent);

/* ff-agent-recovery.c (recovery layout). Counts this boot: the recovery system's boots in a row
 * in the boot environment (ff_recovery_boots), cleared by the normal system's; past a few, sets
 * agent->stranded. */
void             ff_agent_recovery_count_boot   (FfAgent *agent);
/* A stranded recovery system: the command in progress goes to "reporting", failed at
 * "recovery" with why (a result already signed is kept as it is). */
void             ff_agent_recovery_strand       (FfAgent *agent);
/* Recovery system: TRUE when the record names no step of an upgrade (idle, or reporting — a
 * record that could not be read is replaced by one of those) while the boot environment's
 * ff_upgrade says the recovery system has one to write. */
gboolean         ff_agent_recovery_record_lost  (FfAgent *agent);
/* After ff_agent_recovery_record_lost(): the one package on the data partition, verified again
 * and staged, makes the record again and the slots are written from the start
 * (recovery-writing); otherwise the command fails at "recovery" (recovery-done). */
FfAgentStateName ff_agent_recovery_from_package (FfAgent *agent);

/* ff-agent-program.c: the steps of updater and main program upgrades. */
FfAgentStateName ff_agent_program_back_up       (FfAgent *agent);
FfAgentStateName ff_agent_program_install_step  (FfAgent *agent);
FfAgentStateName ff_agent_program_health_check  (FfAgent *agent);
FfAgentStateName ff_agent_program_restore_step  (FfAgent *agent);
/* After a record that could not be read: a program the package on the data partition installs
 * that is in place (the staged file's bytes) but was never checked gets its backup back — made by
 * the same command before the install — and the command the record names is reported rolled back. */
void             ff_agent_program_undo_unchecked (FfAgent *agent);

/* The health check both share: parameters present and equal to their backup (restored when
 * not), each target version running, the main program starting. */
gboolean ff_agent_check_health   (FfAgent           *agent,
                                  GError           **error);

G_END_DECLS
