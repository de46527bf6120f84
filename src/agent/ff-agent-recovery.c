/* fieldflash-agent: the recovery layout's safety net — the recovery system's boots in a row
 * counted in the boot environment, a record lost while the recovery system had an upgrade to
 * write, and the terminal that stays in its recovery system (docs/agent.md, "The recovery system
 * without its record"). */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ff-agent-bootenv.h"
#include "ff-agent-private.h"

/* The recovery system's boots with no boot of the normal system in between: one per upgrade,
 * one more per power cut in it. Past this, the terminal stays in its recovery system. */
#define RECOVERY_BOOTS_MAX 3
#define RECOVERY_BOOTS_VARIABLE "ff_recovery_boots"

void
ff_agent_recovery_count_boot (FfAgent *agent)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentBootEnv) env = NULL;
  g_autofree char *count_text = NULL;
  guint64 count;
  char stored[24];

  if (agent->config->layout != FF_AGENT_LAYOUT_RECOVERY)
    return;
  env = ff_agent_bootenv_open (agent->config->env_config, &error);
  if (env == NULL)
    {
      g_message ("%s", error->message);
      return;
    }
  count_text = ff_agent_bootenv_get (env, RECOVERY_BOOTS_VARIABLE);
  if (!agent->recovery_mode)
    {
      /* The normal system booted: its slots are good. */
      if (count_text != NULL
          && !ff_agent_bootenv_store (env, &error, RECOVERY_BOOTS_VARIABLE, NULL, NULL))
        g_message ("%s", error->message);
      return;
    }
  count = (count_text != NULL ? g_ascii_strtoull (count_text, NULL, 10) : 0) + 1;
  g_snprintf (stored, sizeof stored, "%" G_GUINT64_FORMAT, count);
  if (!ff_agent_bootenv_store (env, &error, RECOVERY_BOOTS_VARIABLE, stored, NULL))
    g_message ("%s", error->message);
  if (count <= RECOVERY_BOOTS_MAX)
    return;
  /* Rebooting again would only start the recovery system again: the slots it has to leave do
   * not boot, and it has nothing it may write into them. */
  agent->stranded = g_strdup_printf (_("The terminal stays in its recovery system: it started "
                                        "it %s times in a row without booting the normal "
                                        "system."), stored);
  g_message ("%s", agent->stranded);
}

void
ff_agent_recovery_strand (FfAgent *agent)
{
  FfAgentState *state = agent->state;
  g_autoptr(GError) error = NULL;

  if (state->state == FF_AGENT_STATE_IDLE || state->command_id == NULL)
    return;
  /* A result already signed is repeated as it is; otherwise the command in progress is reported
   * failed, with why it stopped where it did. */
  if (state->result_id == NULL)
    {
      g_autofree char *reason = state->reason != NULL
                                ? g_strdup_printf ("%s %s", agent->stranded, state->reason)
                                : g_strdup (agent->stranded);

      ff_agent_state_set_outcome (state, "failed", "recovery", reason);
    }
  if (!ff_agent_state_enter (state, agent->state_path, FF_AGENT_STATE_REPORTING, &error))
    g_message ("%s", error->message);
}

gboolean
ff_agent_recovery_record_lost (FfAgent *agent)
{
  g_autoptr(FfAgentBootEnv) env = NULL;
  g_autofree char *upgrade = NULL;

  /* A result already signed belongs to a record that was read: it is not made again. */
  if ((agent->state->state != FF_AGENT_STATE_IDLE
       && agent->state->state != FF_AGENT_STATE_REPORTING)
      || agent->state->result_id != NULL)
    return FALSE;
  env = ff_agent_bootenv_open (agent->config->env_config, NULL);
  upgrade = env != NULL ? ff_agent_bootenv_get (env, "ff_upgrade") : NULL;
  return upgrade != NULL;
}

/* The package found again, checked as at "verifying" (its digest, the platform's signature, this
 * terminal, anti-rollback) and its images staged; TRUE when it installs what the boot flag says. */
static gboolean
take_package_again (FfAgent *agent, const char *upgrade, GError **error)
{
  FfAgentState *state = agent->state;
  g_autofree char *sha256 = ff_agent_find_stored_package (agent, error);
  g_autofree char *path = NULL, *actual = NULL, *planned = NULL;
  goffset size;

  if (sha256 == NULL)
    return FALSE;
  g_free (state->package_sha256);
  state->package_sha256 = g_steal_pointer (&sha256);
  path = ff_agent_package_path (agent);
  actual = ff_sha256_file_hex (path, &size, error);
  if (actual == NULL)
    return FALSE;
  if (!g_str_equal (actual, state->package_sha256))
    {
      g_message ("%s: SHA-256 %s", path, actual);
      g_set_error_literal (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                           _("The package on the data partition is damaged: its SHA-256 is not "
                             "the one it was downloaded with."));
      return FALSE;
    }
  state->package_size = size;
  /* Its permission to downgrade was the signed command, which the record held. */
  state->allow_downgrade = FALSE;
  if (!ff_agent_verify_package (agent, NULL, error))
    return FALSE;
  planned = ff_agent_system_upgrade_kind (agent);
  if (!g_str_equal (planned, upgrade))
    return g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                        _("The package installs %s, but the boot environment says the upgrade "
                          "is %s."), planned, upgrade), FALSE;
  return TRUE;
}

FfAgentStateName
ff_agent_recovery_from_package (FfAgent *agent)
{
  FfAgentState *state = agent->state;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentBootEnv) env = ff_agent_bootenv_open (agent->config->env_config, &error);
  g_autofree char *upgrade = env != NULL ? ff_agent_bootenv_get (env, "ff_upgrade") : NULL;

  g_clear_pointer (&env, ff_agent_bootenv_close);
  g_message ("the record of the upgrade (%s) is lost: looking for its package again",
             upgrade != NULL ? upgrade : "?");
  /* What the lost record said is not guessed: only the package and what it installs. */
  state->falling_back = FALSE;
  g_clear_pointer (&state->result_id, g_free);
  ff_agent_state_set_outcome (state, NULL, NULL, NULL);
  g_hash_table_remove_all (state->backup_sha256);
  if (upgrade == NULL || !take_package_again (agent, upgrade, &error))
    {
      g_autofree char *reason = g_strdup_printf (
        _("The state record was lost during the recovery, and its package cannot be written "
          "again: %s"),
        error != NULL ? error->message : "ff_upgrade");
      g_autoptr(GError) failure = g_error_new_literal (FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                                                       reason);

      /* The normal system boots if its slots were not touched yet; if they were, the bootloader
       * starts the recovery system again, and its boots in a row are counted. */
      return ff_agent_fail (agent, "failed", "recovery", failure, FF_AGENT_STATE_RECOVERY_DONE);
    }
  /* Writes are idempotent, each read back: the slots are written from the start. The backed-up
   * images' digests were in the record: a write that fails now is reported, not undone. */
  return FF_AGENT_STATE_RECOVERY_WRITING;
}
