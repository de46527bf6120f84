/* The agent's persisted record (data/state.json): the state it is in, the command it works on, what
 * it will report, and the IDs of the commands it has executed. Saved (temp + fsync + rename) before
 * each state starts, so after a power cut the agent resumes the state it was in. */
#pragma once

#include <glib.h>

#include "ff-agent-config.h"

G_BEGIN_DECLS

typedef enum
{
  FF_AGENT_STATE_IDLE,
  FF_AGENT_STATE_DOWNLOADING,
  FF_AGENT_STATE_VERIFYING,
  FF_AGENT_STATE_BACKING_UP,
  FF_AGENT_STATE_WRITING_SLOT,
  FF_AGENT_STATE_SETTING_BOOT,
  FF_AGENT_STATE_REBOOTING,
  FF_AGENT_STATE_RECOVERY_VERIFYING,
  FF_AGENT_STATE_RECOVERY_WRITING,
  FF_AGENT_STATE_RECOVERY_RESTORING,
  FF_AGENT_STATE_RECOVERY_DONE,
  FF_AGENT_STATE_HEALTH_CHECK,
  FF_AGENT_STATE_INSTALLING_PROGRAM,
  FF_AGENT_STATE_RESTORING_BACKUP,
  FF_AGENT_STATE_REPORTING,
  FF_AGENT_N_STATES,
} FfAgentStateName;

/* How many handled command IDs are remembered (executed or refused; the broker's retained copy of
 * a command is replaced by the platform's ack of its result, and replays of older ones fail their
 * not-after). */
#define FF_AGENT_EXECUTED_MAX 256

/* The record's format_version: a record of another one is not read (see
 * ff_agent_state_load_or_reset()). */
#define FF_AGENT_STATE_FORMAT_VERSION 1

typedef struct
{
  FfAgentStateName state;

  /* The command in progress (NULL when idle). */
  char *command_id;
  char *command_kind;          /* "upgrade" or "rollback" */
  char *campaign_id;
  gint64 wave;                 /* -1: none */
  char *package_sha256;
  gint64 package_size;
  char *package_url;
  gboolean allow_downgrade;    /* a signed rollback with a package */
  char *rollback_program;      /* a rollback that restores this program's backup */

  /* What the verified package installs: payload kind → version (kernel, rootfs, main-program,
   * updater), and payload kind → the SHA-256 of the image it makes. */
  GHashTable *target_versions;
  GHashTable *target_sha256;
  /* Recovery layout: the SHA-256 of each slot image backed up before it is overwritten. */
  GHashTable *backup_sha256;
  /* A/B: the slot the upgrade writes and boots ('a'/'b'); the slot it came from. */
  char target_slot;
  char previous_slot;
  /* The upgrade is being undone: the recovery system writes the backed-up images back, or the A/B
   * layout boots the previous slot again. */
  gboolean falling_back;

  /* What "reporting" will report, and the ID of its result (chosen and persisted once, so a
   * report repeated after a power cut sends the same result). */
  char *result_id;
  char *outcome;
  char *step;
  char *reason;

  /* Executed command IDs, oldest first. */
  GPtrArray *executed;
} FfAgentState;

const char   *ff_agent_state_name_to_string (FfAgentStateName  state);

FfAgentState *ff_agent_state_new        (void);
void          ff_agent_state_free       (FfAgentState     *state);
/* Reads data/state.json; a missing file is a fresh idle record. A record that cannot be read
 * (not JSON, another format_version, a member or state this agent does not know) is an
 * FF_AGENT_ERROR_DAMAGED error. */
FfAgentState *ff_agent_state_load       (const char       *path,
                                         GError          **error);
/* As ff_agent_state_load(), but a damaged record does not stop the terminal: it is renamed to
 * PATH.damaged-TIME (durably) and replaced by a fresh record, saved, and @reset_reason says why
 * (else it is NULL). When the damaged record still names its command, the fresh record reports
 * that command failed (state "reporting", no step); otherwise it is idle. Only what
 * cannot be read or written (an I/O error) is an error. */
FfAgentState *ff_agent_state_load_or_reset (const char    *path,
                                            char         **reset_reason,
                                            GError       **error);
/* Sets @state->state to @name, writes the whole record atomically and durably, then runs the
 * power-cut fault hook for @name. */
gboolean      ff_agent_state_enter      (FfAgentState     *state,
                                         const char       *path,
                                         FfAgentStateName  name,
                                         GError          **error);
/* Writes the record as it is, atomically and durably (no state change, no fault hook). */
gboolean      ff_agent_state_save       (FfAgentState     *state,
                                         const char       *path,
                                         GError          **error);
/* Forgets the command in progress (back to an idle record) and remembers its ID as executed. */
void          ff_agent_state_finish_command (FfAgentState *state);
/* Remembers @command_id as handled (a command refused before it started), not saved yet. */
void          ff_agent_state_remember_executed (FfAgentState *state,
                                                const char   *command_id);
gboolean      ff_agent_state_was_executed   (FfAgentState *state,
                                             const char   *command_id);
/* Sets what "reporting" will say; @step and @reason may be NULL. */
void          ff_agent_state_set_outcome    (FfAgentState *state,
                                             const char   *outcome,
                                             const char   *step,
                                             const char   *reason);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfAgentState, ff_agent_state_free)

G_END_DECLS
