/* fieldflash-agent: the steps of an updater or main program upgrade (seed 002): each program is
 * backed up into its own storage space before it is replaced, and its backup restored when the
 * install or the health check fails, or when a signed rollback command asks for it. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ff-agent-private.h"
#include "ff-agent-programs.h"
#include "ff-crypto.h"

FfAgentStateName
ff_agent_program_back_up (FfAgent *agent)
{
  g_autoptr(GPtrArray) programs = ff_agent_planned_programs (agent);
  g_autoptr(GError) error = NULL;

  /* The parameters too: the health check finds them equal to this backup, or restores it. */
  if (!ff_agent_params_backup (agent->config, &error))
    return ff_agent_fail (agent, "failed", "backup", error, FF_AGENT_STATE_REPORTING);
  for (guint i = 0; i < programs->len; i++)
    {
      FfAgentProgram program;

      ff_agent_program_from_name (g_ptr_array_index (programs, i), &program);
      /* A program not installed yet has nothing to back up. */
      if (g_file_test (agent->config->programs[program], G_FILE_TEST_EXISTS)
          && !ff_agent_program_backup (agent->config, program, &error))
        return ff_agent_fail (agent, "failed", "backup", error, FF_AGENT_STATE_REPORTING);
    }
  return FF_AGENT_STATE_INSTALLING_PROGRAM;
}

FfAgentStateName
ff_agent_program_install_step (FfAgent *agent)
{
  g_autoptr(GPtrArray) programs = ff_agent_planned_programs (agent);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < programs->len; i++)
    {
      const char *kind = g_ptr_array_index (programs, i);
      g_autofree char *staged = ff_agent_staging_path (agent, kind);
      FfAgentProgram program;

      ff_agent_program_from_name (kind, &program);
      if (!ff_agent_program_install (agent->config, program, staged, &error))
        return ff_agent_fail (agent, "rolled-back", "install-program", error,
                              FF_AGENT_STATE_RESTORING_BACKUP);
    }
  return FF_AGENT_STATE_HEALTH_CHECK;
}

FfAgentStateName
ff_agent_program_health_check (FfAgent *agent)
{
  g_autoptr(GError) error = NULL;

  if (!ff_agent_check_health (agent, &error))
    return ff_agent_fail (agent, "rolled-back", "health-check", error,
                          FF_AGENT_STATE_RESTORING_BACKUP);
  ff_agent_state_set_outcome (agent->state, "succeeded", NULL, NULL);
  return FF_AGENT_STATE_REPORTING;
}

FfAgentStateName
ff_agent_program_restore_step (FfAgent *agent)
{
  g_autoptr(GPtrArray) programs = ff_agent_planned_programs (agent);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < programs->len; i++)
    {
      FfAgentProgram program;

      ff_agent_program_from_name (g_ptr_array_index (programs, i), &program);
      if (!ff_agent_program_restore (agent->config, program, &error))
        return ff_agent_fail (agent, "failed", "rollback", error, FF_AGENT_STATE_REPORTING);
    }
  /* A rollback command: restoring was the whole job. */
  if (agent->state->outcome == NULL)
    ff_agent_state_set_outcome (agent->state, "rolled-back", "rollback", NULL);
  return FF_AGENT_STATE_REPORTING;
}

void
ff_agent_program_undo_unchecked (FfAgent *agent)
{
  FfAgentState *state = agent->state;
  g_autoptr(GError) error = NULL;
  g_autofree char *sha256 = ff_agent_find_stored_package (agent, NULL);
  g_autoptr(FfPackage) package = NULL;
  guint restored = 0;
  char *recorded;

  if (sha256 == NULL)
    return;
  /* Opened by the name it was downloaded under; the record keeps what it had. */
  recorded = state->package_sha256;
  state->package_sha256 = sha256;
  package = ff_agent_open_package (agent, &error);
  state->package_sha256 = recorded;
  if (package == NULL)
    {
      g_message ("%s", error->message);
      return;
    }
  for (guint i = 0; i < FF_AGENT_N_PROGRAMS; i++)
    {
      const char *kind = ff_agent_program_name (i);
      g_autofree char *staged = ff_agent_staging_path (agent, kind);
      g_autofree char *staged_sha256 = NULL, *installed_sha256 = NULL;

      if (ff_package_find_payload (package, kind) == NULL
          || (staged_sha256 = ff_sha256_file_hex (staged, NULL, NULL)) == NULL
          || (installed_sha256 = ff_sha256_file_hex (agent->config->programs[i], NULL,
                                                     NULL)) == NULL
          || !g_str_equal (staged_sha256, installed_sha256))
        continue;
      /* Put in place by this command (after its backup), and its health check is what the lost
       * record would have run. */
      if (!ff_agent_program_restore (agent->config, i, &error))
        {
          g_message ("%s", error->message);
          g_clear_error (&error);
          continue;
        }
      g_message ("the %s put in place was never checked: its backup is back", kind);
      restored++;
    }
  if (restored == 0 || state->command_id == NULL)
    return;
  ff_agent_state_set_outcome (state, "rolled-back", NULL, agent->state_reset);
  if (!ff_agent_state_save (state, agent->state_path, &error))
    g_message ("%s", error->message);
}
