/* fieldflash-agent: the steps of a system (kernel, rootfs) upgrade, through the recovery system or
 * A/B slots (see ff-agent-private.h and docs/agent.md for the states). */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ff-agent-bootenv.h"
#include "ff-agent-files.h"
#include "ff-agent-private.h"
#include "ff-agent-programs.h"
#include "ff-agent-slot.h"

#define SLOT_WRITE_ATTEMPTS 3

static guint
slot_index (char slot)
{
  return slot == 'b' ? 1 : 0;
}

static const char *
slot_path (FfAgent *agent, const char *kind, char slot)
{
  FfAgentImage image;

  ff_agent_image_from_name (kind, &image);
  return agent->config->slots[image][slot_index (slot)];
}

FfAgentStateName
ff_agent_system_back_up (FfAgent *agent)
{
  g_autoptr(GPtrArray) images = ff_agent_planned_images (agent);
  g_autoptr(GError) error = NULL;

  if (!ff_agent_params_backup (agent->config, &error))
    return ff_agent_fail (agent, "failed", "backup", error, FF_AGENT_STATE_REPORTING);
  if (agent->config->layout == FF_AGENT_LAYOUT_AB)
    return FF_AGENT_STATE_WRITING_SLOT;

  /* The recovery layout overwrites its only slots: their images are kept so a failed write or
   * an unhealthy boot can be undone. */
  for (guint i = 0; i < images->len; i++)
    {
      const char *kind = g_ptr_array_index (images, i);
      g_autofree char *backup = ff_agent_slot_backup_path (agent, kind);
      g_autofree char *digest = NULL;

      if (!ff_agent_copy_file (slot_path (agent, kind, 'a'), backup, 0600, &error)
          || (digest = ff_sha256_file_hex (backup, NULL, &error)) == NULL)
        return ff_agent_fail (agent, "failed", "backup", error, FF_AGENT_STATE_REPORTING);
      g_hash_table_insert (agent->state->backup_sha256, g_strdup (kind), g_steal_pointer (&digest));
    }
  return FF_AGENT_STATE_SETTING_BOOT;
}

/* Writes @slot from the payload of @kind in @package when it is given, else from the file
 * @image. */
static gboolean
write_with_retries (const char *slot, FfPackage *package, const char *kind, const char *image,
                    const char *sha256, GError **error)
{
  for (guint attempt = 1; ; attempt++)
    {
      g_autoptr(GError) local_error = NULL;

      if (package != NULL
          ? ff_agent_slot_write_payload (slot, package, kind, sha256, &local_error)
          : ff_agent_slot_write (slot, image, sha256, &local_error))
        return TRUE;
      g_message ("%s (attempt %u of %u)", local_error->message, attempt, SLOT_WRITE_ATTEMPTS);
      if (attempt == SLOT_WRITE_ATTEMPTS)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
}

/* A/B: both images of the inactive slot, so the pair boots together: the new image where the
 * package has one — streamed from the package, or the staged result of a delta — else a copy of
 * the running one. */
FfAgentStateName
ff_agent_system_write_slot (FfAgent *agent)
{
  FfAgentState *state = agent->state;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfPackage) package = ff_agent_open_package (agent, &error);

  if (package == NULL)
    return ff_agent_fail (agent, "failed", "write-slot", error, FF_AGENT_STATE_REPORTING);
  for (guint i = 0; i < FF_AGENT_N_IMAGES; i++)
    {
      const char *kind = ff_agent_image_name (i);
      const char *target = slot_path (agent, kind, state->target_slot);
      const char *new_sha256 = g_hash_table_lookup (state->target_sha256, kind);
      const FfPackagePayload *payload = ff_package_find_payload (package, kind);
      gboolean from_package = FALSE;
      g_autofree char *source = NULL;
      g_autofree char *sha256 = NULL;

      if (new_sha256 != NULL)
        {
          from_package = payload != NULL && ff_agent_writes_from_package (agent, payload);
          source = ff_agent_staging_path (agent, kind);
          sha256 = g_strdup (new_sha256);
        }
      else
        {
          source = g_strdup (slot_path (agent, kind, state->previous_slot));
          sha256 = ff_sha256_file_hex (source, NULL, &error);
          /* The inactive slot often holds the running image already (both slots hold the
           * factory images; the last upgrade changed the other image only): read back, it is
           * not written again. */
          if (sha256 != NULL && ff_agent_slot_holds (target, sha256, NULL))
            continue;
        }
      if (sha256 == NULL
          || !write_with_retries (target, from_package ? package : NULL, kind, source, sha256,
                                  &error))
        return ff_agent_fail (agent, "failed", "write-slot", error, FF_AGENT_STATE_REPORTING);
    }
  return FF_AGENT_STATE_SETTING_BOOT;
}

char *
ff_agent_system_upgrade_kind (FfAgent *agent)
{
  g_autoptr(GPtrArray) images = ff_agent_planned_images (agent);

  g_ptr_array_add (images, NULL);
  return g_strjoinv ("+", (char **) images->pdata);
}

FfAgentStateName
ff_agent_system_set_boot (FfAgent *agent)
{
  FfAgentState *state = agent->state;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentBootEnv) env = ff_agent_bootenv_open (agent->config->env_config, &error);
  g_autofree char *kind = ff_agent_system_upgrade_kind (agent);
  char slot[2] = { 0, 0 };
  gboolean stored;

  if (env == NULL)
    stored = FALSE;
  else if (agent->config->layout == FF_AGENT_LAYOUT_RECOVERY)
    stored = ff_agent_bootenv_store (env, &error, "ff_mode", "recovery", "ff_upgrade", kind, NULL);
  else
    {
      slot[0] = state->falling_back ? state->previous_slot : state->target_slot;
      stored = ff_agent_bootenv_store (env, &error, "boot_slot", slot,
                                       "upgrade_available", state->falling_back ? "0" : "1",
                                       "bootcount", "0", NULL);
    }
  if (!stored)
    {
      if (state->falling_back)
        {
          /* Going back must happen: a reboot tries again. */
          g_message ("%s", error->message);
          ff_agent_exit (agent, FF_AGENT_EXIT_FAILED);
          return FF_AGENT_STATE_SETTING_BOOT;
        }
      return ff_agent_fail (agent, "failed", "set-boot", error, FF_AGENT_STATE_REPORTING);
    }
  agent->reboot_after_persist = TRUE;
  return FF_AGENT_STATE_REBOOTING;
}

static FfAgentStateName
fail_with (FfAgent *agent, const char *outcome, const char *step, FfAgentStateName next,
           const char *format, ...) G_GNUC_PRINTF (5, 6);

static FfAgentStateName
fail_with (FfAgent *agent, const char *outcome, const char *step, FfAgentStateName next,
           const char *format, ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  error = g_error_new_literal (FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED, message);
  return ff_agent_fail (agent, outcome, step, error, next);
}

/* The agent starts in "rebooting": the reboot it asked for happened (or the power was cut after
 * it was asked for). */
FfAgentStateName
ff_agent_system_after_reboot (FfAgent *agent)
{
  FfAgentState *state = agent->state;
  g_autoptr(GHashTable) running = NULL;
  const char *slot;

  if (agent->recovery_mode)
    return FF_AGENT_STATE_RECOVERY_VERIFYING;
  if (agent->config->layout == FF_AGENT_LAYOUT_RECOVERY)
    {
      g_autoptr(FfAgentBootEnv) env = ff_agent_bootenv_open (agent->config->env_config, NULL);
      g_autofree char *mode = env != NULL ? ff_agent_bootenv_get (env, "ff_mode") : NULL;

      if (g_strcmp0 (mode, "recovery") == 0)
        {
          /* The boot flag is set but this is the normal system: reboot into recovery. */
          ff_agent_exit (agent, FF_AGENT_EXIT_REBOOT);
          return FF_AGENT_STATE_REBOOTING;
        }
      return fail_with (agent, "failed", "set-boot", FF_AGENT_STATE_REPORTING,
                        _("The terminal started its normal system instead of the recovery "
                          "system."));
    }
  if (state->falling_back)
    return FF_AGENT_STATE_REPORTING;
  running = ff_agent_running_versions (agent->config);
  slot = g_hash_table_lookup (running, "slot");
  if (slot != NULL && slot[0] == state->target_slot && slot[1] == '\0')
    return FF_AGENT_STATE_HEALTH_CHECK;
  return fail_with (agent, "rolled-back", "health-check", FF_AGENT_STATE_REPORTING,
                    _("Slot %c did not boot; the bootloader went back to slot %s."),
                    state->target_slot, slot != NULL ? slot : "?");
}

FfAgentStateName
ff_agent_system_recovery_verify (FfAgent *agent)
{
  g_autoptr(GError) error = NULL;

  if (!ff_agent_verify_staged (agent, &error))
    return ff_agent_fail (agent, "failed", "recovery", error, FF_AGENT_STATE_RECOVERY_DONE);
  return FF_AGENT_STATE_RECOVERY_WRITING;
}

FfAgentStateName
ff_agent_system_recovery_write (FfAgent *agent)
{
  FfAgentState *state = agent->state;
  g_autoptr(GPtrArray) images = ff_agent_planned_images (agent);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < images->len; i++)
    {
      const char *kind = g_ptr_array_index (images, i);
      g_autofree char *source = state->falling_back ? ff_agent_slot_backup_path (agent, kind)
                                                    : ff_agent_staging_path (agent, kind);
      const char *sha256 = g_hash_table_lookup (state->falling_back ? state->backup_sha256
                                                                    : state->target_sha256, kind);

      if (write_with_retries (slot_path (agent, kind, 'a'), NULL, kind, source, sha256, &error))
        continue;
      if (state->falling_back)
        {
          /* The old images cannot go back either: stay in the recovery system and try again
           * after the reboot; the bootloader does not boot a slot whose digest fails. */
          g_message ("%s", error->message);
          ff_agent_exit (agent, FF_AGENT_EXIT_FAILED);
          return FF_AGENT_STATE_RECOVERY_WRITING;
        }
      /* A record made again from the package has no digests of the backed-up images: what
       * cannot be checked is not written back (ff-agent-recovery.c). */
      if (g_hash_table_size (state->backup_sha256) == 0)
        return ff_agent_fail (agent, "failed", "write-slot", error,
                              FF_AGENT_STATE_RECOVERY_DONE);
      state->falling_back = TRUE;
      return ff_agent_fail (agent, "failed", "write-slot", error,
                            FF_AGENT_STATE_RECOVERY_WRITING);
    }
  return FF_AGENT_STATE_RECOVERY_RESTORING;
}

FfAgentStateName
ff_agent_system_recovery_restore (FfAgent *agent)
{
  g_autoptr(GError) error = NULL;

  if (!ff_agent_params_restore (agent->config, &error))
    {
      g_message ("%s", error->message);
      ff_agent_exit (agent, FF_AGENT_EXIT_FAILED);
      return FF_AGENT_STATE_RECOVERY_RESTORING;
    }
  return FF_AGENT_STATE_RECOVERY_DONE;
}

FfAgentStateName
ff_agent_system_recovery_done (FfAgent *agent)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentBootEnv) env = NULL;

  if (!agent->recovery_mode)
    return agent->state->outcome != NULL ? FF_AGENT_STATE_REPORTING : FF_AGENT_STATE_HEALTH_CHECK;
  env = ff_agent_bootenv_open (agent->config->env_config, &error);
  if (env == NULL
      || !ff_agent_bootenv_store (env, &error, "ff_mode", "normal", "ff_upgrade", NULL, NULL))
    {
      g_message ("%s", error->message);
      ff_agent_exit (agent, FF_AGENT_EXIT_FAILED);
      return FF_AGENT_STATE_RECOVERY_DONE;
    }
  ff_agent_exit (agent, FF_AGENT_EXIT_REBOOT);
  return FF_AGENT_STATE_RECOVERY_DONE;
}

FfAgentStateName
ff_agent_system_health_check (FfAgent *agent)
{
  FfAgentState *state = agent->state;
  g_autoptr(GError) error = NULL;

  if (!ff_agent_check_health (agent, &error))
    {
      state->falling_back = TRUE;
      return ff_agent_fail (agent, "rolled-back", "health-check", error,
                            FF_AGENT_STATE_SETTING_BOOT);
    }
  if (agent->config->layout == FF_AGENT_LAYOUT_AB)
    {
      g_autoptr(FfAgentBootEnv) env = ff_agent_bootenv_open (agent->config->env_config, &error);

      /* Confirmed: the bootloader stops counting boots of the new slot. */
      if (env == NULL
          || !ff_agent_bootenv_store (env, &error, "upgrade_available", "0", "bootcount", "0",
                                      NULL))
        return ff_agent_fail (agent, "failed", "set-boot", error, FF_AGENT_STATE_REPORTING);
    }
  ff_agent_state_set_outcome (state, "succeeded", NULL, NULL);
  return FF_AGENT_STATE_REPORTING;
}

void
ff_agent_system_give_up_unconfirmed (FfAgent *agent)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentBootEnv) env = ff_agent_bootenv_open (agent->config->env_config, &error);
  g_autofree char *available = NULL, *boot_slot = NULL;
  char previous[2] = { 0, 0 };

  if (env != NULL)
    {
      available = ff_agent_bootenv_get (env, "upgrade_available");
      boot_slot = ff_agent_bootenv_get (env, "boot_slot");
    }
  if (g_strcmp0 (available, "1") != 0)
    {
      if (error != NULL)
        g_message ("%s", error->message);
      return;
    }
  /* The health check that would confirm the slot checks what the lost record described: the
   * bootloader would count boots of this slot and fall back to the other at some later reboot,
   * weeks later perhaps, silently. Falling back now keeps the terminal on the slot it ran
   * confirmed, and says so at once. */
  previous[0] = g_strcmp0 (boot_slot, "b") == 0 ? 'a' : 'b';
  if (!ff_agent_bootenv_store (env, &error, "boot_slot", previous, "upgrade_available", "0",
                               "bootcount", "0", NULL))
    {
      /* Left to the bootloader's own fallback. */
      g_message ("%s", error->message);
      return;
    }
  g_message ("slot %s was not confirmed: booting slot %s again", boot_slot, previous);
  if (agent->state->command_id != NULL)
    {
      /* The command the record still names is reported after the reboot, as undone. */
      ff_agent_state_set_outcome (agent->state, "rolled-back", NULL, agent->state_reset);
      if (!ff_agent_state_save (agent->state, agent->state_path, &error))
        g_message ("%s", error->message);
    }
  ff_agent_exit (agent, FF_AGENT_EXIT_REBOOT);
}
