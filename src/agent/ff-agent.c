/* fieldflash-agent: the daemon — commands in (MQTT push or the scheduled query), the persisted
 * state machine driven step by step, state/progress/results out (see ff-agent.h). */
#include "config.h"

#include "ff-agent-private.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <errno.h>
#include <glib/gstdio.h>

#include "ff-agent-files.h"
#include "ff-agent-programs.h"
#include "ff-document.h"
#include "ff-files.h"
#include "ff-remote-doc.h"
#include "ff-version.h"

/* Unacknowledged results are published again this often. */
#define REPUBLISH_SECONDS 60
#define PROGRESS_INTERVAL_USEC (250 * 1000)
#define DOWNLOAD_ATTEMPTS 8
#define DOWNLOAD_RETRY_MAX_SECONDS 60

static void continue_steps (FfAgent *agent);

char *
ff_agent_package_path (FfAgent *agent)
{
  g_autofree char *name = g_strconcat (agent->state->package_sha256, ".ffpkg", NULL);

  return ff_agent_config_data_file (agent->config, "packages", name, NULL);
}

char *
ff_agent_staging_path (FfAgent *agent, const char *kind)
{
  return ff_agent_config_data_file (agent->config, "staging", kind, NULL);
}

char *
ff_agent_slot_backup_path (FfAgent *agent, const char *kind)
{
  return ff_agent_config_data_file (agent->config, "slot-backup", kind, NULL);
}

FfAgentStateName
ff_agent_fail (FfAgent *agent, const char *outcome, const char *step, const GError *error,
               FfAgentStateName next)
{
  g_message ("%s at %s: %s", outcome, step, error->message);
  ff_agent_state_set_outcome (agent->state, outcome, step, error->message);
  return next;
}

void
ff_agent_exit (FfAgent *agent, int exit_code)
{
  agent->exit_code = exit_code;
  if (agent->loop != NULL)
    g_main_loop_quit (agent->loop);
}

GPtrArray *
ff_agent_planned_images (FfAgent *agent)
{
  GPtrArray *kinds = g_ptr_array_new ();

  for (guint i = 0; i < FF_AGENT_N_IMAGES; i++)
    if (g_hash_table_contains (agent->state->target_versions, ff_agent_image_name (i)))
      g_ptr_array_add (kinds, (gpointer) ff_agent_image_name (i));
  return kinds;
}

GPtrArray *
ff_agent_planned_programs (FfAgent *agent)
{
  GPtrArray *kinds = g_ptr_array_new ();

  for (guint i = 0; i < FF_AGENT_N_PROGRAMS; i++)
    if (g_hash_table_contains (agent->state->target_versions, ff_agent_program_name (i))
        || g_strcmp0 (agent->state->rollback_program, ff_agent_program_name (i)) == 0)
      g_ptr_array_add (kinds, (gpointer) ff_agent_program_name (i));
  return kinds;
}

gboolean
ff_agent_check_health (FfAgent *agent, GError **error)
{
  FfAgentState *state = agent->state;
  g_autoptr(GHashTable) running = NULL;
  GHashTableIter iter;
  gpointer kind, version;

  /* Parameters first: an upgrade must not lose them, and they are restored when it did. */
  if (!ff_agent_params_intact (agent->config, NULL)
      && (!ff_agent_params_restore (agent->config, error)
          || !ff_agent_params_intact (agent->config, error)))
    return FALSE;
  running = ff_agent_running_versions (agent->config);
  g_hash_table_iter_init (&iter, state->target_versions);
  while (g_hash_table_iter_next (&iter, &kind, &version))
    {
      const char *now = g_hash_table_lookup (running, kind);

      if (now == NULL || ff_version_compare (now, version) != 0)
        {
          g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                       _("The %s runs version %s, not %s."), (const char *) kind,
                       now != NULL ? now : "?", (const char *) version);
          return FALSE;
        }
    }
  if (!g_hash_table_contains (running, "main-program"))
    {
      g_autoptr(GError) version_error = NULL;
      g_autofree char *unused = ff_agent_program_version (
        agent->config, agent->config->programs[FF_AGENT_PROGRAM_MAIN], &version_error);

      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                   _("The main program does not start: %s"), version_error->message);
      return FALSE;
    }
  return TRUE;
}

/* ---- what the agent publishes ---- */

static void
versions_from_table (FfRemoteVersions *versions, GHashTable *running)
{
  static const char *const kinds[] = { "kernel", "rootfs", "main-program", "updater" };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    ff_remote_versions_set (versions, kinds[i], g_hash_table_lookup (running, kinds[i]));
}

static void
add_nullable (JsonBuilder *builder, const char *member, const char *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* The running versions for the (informative) state document, read again only when a program or
 * the bootloader's key file changed: running each program's version command at every state
 * change cost tens of milliseconds per state. */
static GHashTable *
state_versions (FfAgent *agent)
{
  g_autofree char *stamp = ff_agent_running_versions_stamp (agent->config);

  if (agent->state_versions == NULL || g_strcmp0 (stamp, agent->state_versions_stamp) != 0)
    {
      g_clear_pointer (&agent->state_versions, g_hash_table_unref);
      agent->state_versions = ff_agent_running_versions (agent->config);
      g_free (agent->state_versions_stamp);
      agent->state_versions_stamp = g_steal_pointer (&stamp);
    }
  return g_hash_table_ref (agent->state_versions);
}

/* The retained state document; @online FALSE is the last will and the goodbye. */
static GBytes *
state_document (FfAgent *agent, gboolean online)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GHashTable) running = NULL;
  FfRemoteVersions versions = { 0 };
  g_autofree char *time = ff_timestamp_format (g_get_real_time () / G_USEC_PER_SEC);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format_version");
  json_builder_add_int_value (builder, 1);
  add_nullable (builder, "device_id", agent->config->device_id);
  json_builder_set_member_name (builder, "online");
  json_builder_add_boolean_value (builder, online);
  if (online)
    {
      running = state_versions (agent);
      versions_from_table (&versions, running);
      add_nullable (builder, "agent_state", ff_agent_state_name_to_string (agent->state->state));
      add_nullable (builder, "command_id", agent->state->command_id);
      add_nullable (builder, "layout",
                    agent->config->layout == FF_AGENT_LAYOUT_AB ? "ab" : "recovery");
      add_nullable (builder, "slot", agent->config->layout == FF_AGENT_LAYOUT_AB
                                     ? g_hash_table_lookup (running, "slot") : NULL);
      ff_remote_versions_add (builder, "versions", &versions);
      add_nullable (builder, "time", time);
      if (agent->state_reset != NULL)
        add_nullable (builder, "state_reset", agent->state_reset);
      if (agent->stranded != NULL)
        add_nullable (builder, "stranded", agent->stranded);
      ff_remote_versions_clear (&versions);
    }
  json_builder_end_object (builder);
  return ff_document_serialize (builder);
}

static void
publish_state (FfAgent *agent)
{
  g_autoptr(GBytes) document = NULL;

  if (agent->mqtt == NULL || !ff_agent_mqtt_is_connected (agent->mqtt))
    return;
  document = state_document (agent, TRUE);
  ff_agent_mqtt_publish (agent->mqtt, "state", document, 1, TRUE);
}

static void
publish_outbox (FfAgent *agent)
{
  g_autoptr(GPtrArray) envelopes = NULL;

  if (agent->mqtt == NULL || !ff_agent_mqtt_is_connected (agent->mqtt))
    return;
  envelopes = ff_agent_outbox_list (agent->outbox);
  for (guint i = 0; i < envelopes->len; i++)
    ff_agent_mqtt_publish (agent->mqtt, "result", g_ptr_array_index (envelopes, i), 1, FALSE);
}

static gboolean
on_republish_timer (gpointer user_data)
{
  FfAgent *agent = user_data;
  g_autoptr(GPtrArray) envelopes = ff_agent_outbox_list (agent->outbox);

  if (envelopes->len == 0)
    {
      agent->republish_timer = 0;
      return G_SOURCE_REMOVE;
    }
  publish_outbox (agent);
  return G_SOURCE_CONTINUE;
}

/* Signs a result, keeps it in the outbox until the platform acknowledges it, publishes it. */
static void
send_result (FfAgent *agent, const char *result_id, const char *command_id, const char *outcome,
             const char *step, const char *reason, const char *campaign_id, gint64 wave)
{
  g_autoptr(FfRemoteResult) result = ff_remote_result_new ();
  g_autoptr(GHashTable) running = ff_agent_running_versions (agent->config);
  g_autoptr(GBytes) envelope = NULL;
  g_autoptr(GError) error = NULL;

  result->result_id = result_id != NULL ? g_strdup (result_id) : ff_remote_id_new ();
  result->command_id = g_strdup (command_id);
  result->device_id = g_strdup (agent->config->device_id);
  ff_remote_outcome_from_string (outcome, &result->outcome);
  result->step = g_strdup (step);
  /* A reason longer than a result may carry is cut on a character boundary. */
  if (reason != NULL)
    result->reason = g_utf8_substring (reason, 0, MIN (g_utf8_strlen (reason, -1),
                                                       FF_REMOTE_REASON_MAX_LENGTH / 4));
  versions_from_table (&result->versions, running);
  result->finished_at = g_get_real_time () / G_USEC_PER_SEC;
  result->campaign_id = g_strdup (campaign_id);
  result->wave = wave;
  envelope = ff_remote_result_seal (result, agent->terminal_key, &error);
  if (envelope == NULL || !ff_agent_outbox_add (agent->outbox, result->result_id, envelope,
                                                &error))
    {
      g_warning ("The result of command %s could not be kept: %s",
                 command_id != NULL ? command_id : "(none)", error->message);
      return;
    }
  g_message ("result %s: %s%s%s", result->result_id, outcome, reason != NULL ? ": " : "",
             reason != NULL ? reason : "");
  if (agent->mqtt != NULL)
    {
      ff_agent_mqtt_publish (agent->mqtt, "result", envelope, 1, FALSE);
      if (agent->republish_timer == 0)
        agent->republish_timer = g_timeout_add_seconds (REPUBLISH_SECONDS, on_republish_timer,
                                                        agent);
    }
}

static void
on_download_progress (gint64 bytes, gint64 total, gpointer user_data)
{
  FfAgent *agent = user_data;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GBytes) document = NULL;
  gint64 now = g_get_monotonic_time ();

  if (bytes < total && now - agent->last_progress_time < PROGRESS_INTERVAL_USEC)
    return;
  agent->last_progress_time = now;
  if (agent->mqtt == NULL || !ff_agent_mqtt_is_connected (agent->mqtt))
    return;
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format_version");
  json_builder_add_int_value (builder, 1);
  add_nullable (builder, "device_id", agent->config->device_id);
  add_nullable (builder, "command_id", agent->state->command_id);
  add_nullable (builder, "step", "download");
  json_builder_set_member_name (builder, "bytes");
  json_builder_add_int_value (builder, bytes);
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, total);
  json_builder_end_object (builder);
  document = ff_document_serialize (builder);
  ff_agent_mqtt_publish (agent->mqtt, "progress", document, 0, FALSE);
}

/* ---- the steps ---- */

static void start_download (FfAgent *agent);

static gboolean
on_download_retry (gpointer user_data)
{
  FfAgent *agent = user_data;

  agent->download_retry_timer = 0;
  start_download (agent);
  return G_SOURCE_REMOVE;
}

static gboolean
enter (FfAgent *agent, FfAgentStateName next)
{
  g_autoptr(GError) error = NULL;

  if (!ff_agent_state_enter (agent->state, agent->state_path, next, &error))
    {
      /* Without its record the agent cannot promise anything: stop as a crash would. */
      g_critical ("%s", error->message);
      ff_agent_exit (agent, FF_AGENT_EXIT_FAILED);
      return FALSE;
    }
  publish_state (agent);
  return TRUE;
}

static void
on_downloaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FfAgent *agent = user_data;
  g_autoptr(GError) error = NULL;

  if (ff_agent_https_download_finish (agent->https, result, &error))
    {
      agent->download_attempts = 0;
      if (enter (agent, FF_AGENT_STATE_VERIFYING))
        continue_steps (agent);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_message ("download: %s", error->message);
  /* The wrong bytes are not retried; a broken connection is, with growing pauses (each try
   * resumes where the last stopped). */
  if (g_error_matches (error, FF_AGENT_ERROR, FF_AGENT_ERROR_REFUSED)
      || ++agent->download_attempts >= DOWNLOAD_ATTEMPTS)
    {
      agent->download_attempts = 0;
      ff_agent_fail (agent, "failed", "download", error, FF_AGENT_STATE_REPORTING);
      if (enter (agent, FF_AGENT_STATE_REPORTING))
        continue_steps (agent);
      return;
    }
  agent->download_retry_timer = g_timeout_add_seconds (
    MIN (1u << agent->download_attempts, DOWNLOAD_RETRY_MAX_SECONDS), on_download_retry, agent);
}

static void
start_download (FfAgent *agent)
{
  g_autofree char *path = ff_agent_package_path (agent);

  agent->last_progress_time = 0;
  ff_agent_https_download_async (agent->https, agent->state->package_url, path,
                                 agent->state->package_size, agent->state->package_sha256,
                                 on_download_progress, agent, agent->cancellable, on_downloaded,
                                 agent);
}

static FfAgentStateName
step_verify (FfAgent *agent)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *running_already = NULL;

  if (!ff_agent_verify_package (agent, &running_already, &error))
    return ff_agent_fail (agent,
                          g_error_matches (error, FF_AGENT_ERROR, FF_AGENT_ERROR_REFUSED)
                          ? "refused" : "failed", "verify-package", error,
                          FF_AGENT_STATE_REPORTING);
  /* Nothing to install: no backup, no write, no reboot for a terminal on a live feeder. */
  if (running_already != NULL)
    {
      g_message ("already-current at verify-package: %s", running_already);
      ff_agent_state_set_outcome (agent->state, "already-current", "verify-package",
                                  running_already);
      return FF_AGENT_STATE_REPORTING;
    }
  return FF_AGENT_STATE_BACKING_UP;
}

/* The result goes into the outbox, then the command is done; nothing it downloaded is kept —
 * except by a recovery system that stays: the package, the staged and the backed-up images are
 * left for the technician. A command the record no longer names (lost with it) has no result:
 * the platform would refuse one for no command it sent. */
static FfAgentStateName
step_report (FfAgent *agent)
{
  FfAgentState *state = agent->state;
  g_autofree char *packages = ff_agent_config_data_file (agent->config, "packages", NULL);
  g_autofree char *staging = ff_agent_config_data_file (agent->config, "staging", NULL);
  g_autofree char *slot_backup = ff_agent_config_data_file (agent->config, "slot-backup", NULL);
  g_autoptr(GError) error = NULL;

  /* One result per command, even when a power cut repeats this step. */
  if (state->result_id == NULL)
    {
      state->result_id = ff_remote_id_new ();
      if (!ff_agent_state_save (state, agent->state_path, &error))
        {
          g_critical ("%s", error->message);
          ff_agent_exit (agent, FF_AGENT_EXIT_FAILED);
          return FF_AGENT_STATE_REPORTING;
        }
    }
  if (state->command_id != NULL)
    send_result (agent, state->result_id, state->command_id,
                 state->outcome != NULL ? state->outcome : "failed", state->step, state->reason,
                 state->campaign_id, state->wave);
  if (!agent->recovery_mode)
    {
      ff_remove_tree (packages);
      ff_remove_tree (staging);
      ff_remove_tree (slot_backup);
    }
  ff_agent_state_finish_command (state);
  return FF_AGENT_STATE_IDLE;
}

static gboolean
is_system_upgrade (FfAgent *agent)
{
  g_autoptr(GPtrArray) images = ff_agent_planned_images (agent);

  return images->len > 0;
}

/* The recovery system's step when its record names none of the recovery steps: the record lost
 * (made again from the package), or nothing to do there (the flag cleared and a reboot asked
 * for: FALSE). A recovery system that stays (agent->stranded) reports the command it was on,
 * then waits online (FALSE once idle). */
static gboolean
recovery_step (FfAgent *agent, FfAgentStateName *next)
{
  FfAgentState *state = agent->state;

  if (agent->stranded != NULL)
    {
      if (state->state != FF_AGENT_STATE_REPORTING)
        return FALSE;
      *next = step_report (agent);
      return TRUE;
    }
  if (ff_agent_recovery_record_lost (agent))
    {
      *next = ff_agent_recovery_from_package (agent);
      return TRUE;
    }
  ff_agent_system_recovery_done (agent);
  return FALSE;
}

/* Runs the step of the persisted state; FALSE when there is none to run now (idle, a download
 * started, a reboot asked for). */
static gboolean
run_step (FfAgent *agent, FfAgentStateName *next)
{
  switch (agent->state->state)
    {
    case FF_AGENT_STATE_IDLE:
      return FALSE;
    case FF_AGENT_STATE_DOWNLOADING:
      start_download (agent);
      return FALSE;
    case FF_AGENT_STATE_VERIFYING:
      *next = step_verify (agent);
      break;
    case FF_AGENT_STATE_BACKING_UP:
      *next = is_system_upgrade (agent) ? ff_agent_system_back_up (agent)
                                        : ff_agent_program_back_up (agent);
      break;
    case FF_AGENT_STATE_WRITING_SLOT:
      *next = ff_agent_system_write_slot (agent);
      break;
    case FF_AGENT_STATE_SETTING_BOOT:
      *next = ff_agent_system_set_boot (agent);
      break;
    case FF_AGENT_STATE_REBOOTING:
      if (agent->reboot_after_persist)
        {
          ff_agent_exit (agent, FF_AGENT_EXIT_REBOOT);
          return FALSE;
        }
      *next = ff_agent_system_after_reboot (agent);
      break;
    case FF_AGENT_STATE_RECOVERY_VERIFYING:
      *next = ff_agent_system_recovery_verify (agent);
      break;
    case FF_AGENT_STATE_RECOVERY_WRITING:
      *next = ff_agent_system_recovery_write (agent);
      break;
    case FF_AGENT_STATE_RECOVERY_RESTORING:
      *next = ff_agent_system_recovery_restore (agent);
      break;
    case FF_AGENT_STATE_RECOVERY_DONE:
      *next = ff_agent_system_recovery_done (agent);
      break;
    case FF_AGENT_STATE_HEALTH_CHECK:
      *next = is_system_upgrade (agent) ? ff_agent_system_health_check (agent)
                                        : ff_agent_program_health_check (agent);
      break;
    case FF_AGENT_STATE_INSTALLING_PROGRAM:
      *next = ff_agent_program_install_step (agent);
      break;
    case FF_AGENT_STATE_RESTORING_BACKUP:
      *next = ff_agent_program_restore_step (agent);
      break;
    case FF_AGENT_STATE_REPORTING:
      *next = step_report (agent);
      break;
    case FF_AGENT_N_STATES:
    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

/* Runs the steps from the persisted state on, each persisted before it starts, until the agent
 * is idle, waits for a download, or stops (reboot, crash). */
static void
continue_steps (FfAgent *agent)
{
  while (agent->exit_code < 0)
    {
      FfAgentStateName state = agent->state->state;
      FfAgentStateName next;
      gboolean in_recovery_steps = state == FF_AGENT_STATE_REBOOTING
                                   || (state >= FF_AGENT_STATE_RECOVERY_VERIFYING
                                       && state <= FF_AGENT_STATE_RECOVERY_DONE);

      if (agent->recovery_mode && (agent->stranded != NULL || !in_recovery_steps)
          ? !recovery_step (agent, &next)
          : !run_step (agent, &next))
        return;
      if (agent->exit_code >= 0 || !enter (agent, next))
        return;
    }
}

/* ---- commands ---- */

/* A command refused before it started: a result saying why, nothing else changes. Its ID (when
 * it has one) is remembered as handled once the result is in the outbox: the broker delivers the
 * retained command again at every subscription, and it is refused once. */
static void
refuse_command (FfAgent *agent, const FfRemoteCommand *command, const char *reason)
{
  g_autoptr(GError) error = NULL;

  send_result (agent, NULL, command != NULL ? command->command_id : NULL, "refused",
               "verify-command", reason, command != NULL ? command->campaign_id : NULL,
               command != NULL ? command->wave : -1);
  if (command == NULL || command->command_id == NULL)
    return;
  ff_agent_state_remember_executed (agent->state, command->command_id);
  if (!ff_agent_state_save (agent->state, agent->state_path, &error))
    g_warning ("%s", error->message);
}

/* For a command that verified but is refused (another device, expired): its ID, for the result. */
static FfRemoteCommand *
read_verified_command (FfAgent *agent, GBytes *envelope)
{
  g_autoptr(GBytes) document = ff_remote_envelope_open (envelope, agent->platform_key, NULL);

  return document != NULL ? ff_remote_command_parse (document, NULL) : NULL;
}

static void
accept_command (FfAgent *agent, const FfRemoteCommand *command)
{
  FfAgentState *state = agent->state;

  state->command_id = g_strdup (command->command_id);
  state->command_kind = g_strdup (ff_remote_command_kind_to_string (command->kind));
  state->campaign_id = g_strdup (command->campaign_id);
  state->wave = command->wave;
  g_message ("command %s: %s", command->command_id, state->command_kind);
  if (command->package_sha256 == NULL)
    {
      /* A rollback without a package: restore the named program's backup. */
      state->rollback_program = g_strdup (command->program);
      if (enter (agent, FF_AGENT_STATE_RESTORING_BACKUP))
        continue_steps (agent);
      return;
    }
  state->package_sha256 = g_strdup (command->package_sha256);
  state->package_size = command->package_size;
  state->package_url = g_strdup (command->package_url);
  state->allow_downgrade = command->kind == FF_REMOTE_COMMAND_ROLLBACK;
  if (enter (agent, FF_AGENT_STATE_DOWNLOADING))
    continue_steps (agent);
}

/* A command ID is handled once. The broker delivers the retained command again at every
 * subscription (each reconnection, each boot) until the platform's ack of its result replaces it,
 * and a QoS 1 message again when its acknowledgement was lost: the command in progress carries
 * on, one executed or refused already is ignored — a result for it would be a second one in the
 * platform's history. */
static gboolean
handled_already (FfAgent *agent, const FfRemoteCommand *command)
{
  if (!ff_agent_state_was_executed (agent->state, command->command_id))
    return FALSE;
  g_message ("command %s: handled already, ignored", command->command_id);
  return TRUE;
}

static void
handle_envelope (FfAgent *agent, GBytes *envelope)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfRemoteCommand) command =
    ff_remote_command_load (envelope, agent->platform_key, agent->config->device_id,
                            g_get_real_time () / G_USEC_PER_SEC, &error);
  g_autofree char *reason = NULL;

  if (command == NULL)
    {
      g_autoptr(FfRemoteCommand) verified = read_verified_command (agent, envelope);

      /* An ack that cannot be verified is ignored: a result stays until a real one. */
      if (verified != NULL
          && (verified->kind == FF_REMOTE_COMMAND_ACK || handled_already (agent, verified)))
        return;
      reason = g_strdup_printf (_("The command is refused: %s"), error->message);
      refuse_command (agent, verified, reason);
      return;
    }
  if (command->kind == FF_REMOTE_COMMAND_ACK)
    {
      if (ff_agent_outbox_remove (agent->outbox, command->result_id))
        g_message ("result %s acknowledged", command->result_id);
      return;
    }
  if (handled_already (agent, command))
    return;
  if (agent->recovery_mode)
    {
      /* It has no network for downloads, and what a technician should find is kept as it is. */
      reason = g_strdup_printf (_("The command is refused: %s"), agent->stranded);
      refuse_command (agent, command, reason);
      return;
    }
  if (agent->state->state != FF_AGENT_STATE_IDLE)
    {
      reason = g_strdup_printf (_("The command is refused: command %s is in progress."),
                                agent->state->command_id);
      refuse_command (agent, command, reason);
      return;
    }
  accept_command (agent, command);
}

static void
on_command (GBytes *payload, gpointer user_data)
{
  handle_envelope (user_data, payload);
}

static void
on_connected (gpointer user_data)
{
  FfAgent *agent = user_data;

  publish_state (agent);
  publish_outbox (agent);
}

static void
on_query_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FfAgent *agent = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) envelope = ff_agent_query_ask_finish (result, &error);

  if (envelope != NULL)
    handle_envelope (agent, envelope);
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("version query: %s", error->message);
  else if (error == NULL)
    g_message ("version query: nothing new");
}

static void
on_query_due (gpointer user_data)
{
  FfAgent *agent = user_data;
  g_autoptr(GHashTable) running = NULL;
  FfRemoteVersions versions = { 0 };

  if (agent->state->state != FF_AGENT_STATE_IDLE || agent->https == NULL)
    return;
  running = ff_agent_running_versions (agent->config);
  versions_from_table (&versions, running);
  ff_agent_query_ask_async (agent->https, agent->config->platform_url,
                            agent->config->device_id, &versions, agent->cancellable,
                            on_query_answer, agent);
  ff_remote_versions_clear (&versions);
}

/* ---- the instance ---- */

static gboolean
on_quit_signal (gpointer user_data)
{
  FfAgent *agent = user_data;

  ff_agent_stop (agent);
  return G_SOURCE_CONTINUE;
}

/* SIGUSR1: the version query now, as at a query time (an operator on the terminal asking after
 * a maintenance window, without waiting for the next one). */
static gboolean
on_query_signal (gpointer user_data)
{
  on_query_due (user_data);
  return G_SOURCE_CONTINUE;
}

/* The MQTT client, its last will the offline state. */
static gboolean
make_mqtt (FfAgent *agent, GError **error)
{
  g_autoptr(GBytes) will = state_document (agent, FALSE);

  agent->mqtt = ff_agent_mqtt_new (agent->config, will, on_connected, on_command, agent, error);
  return agent->mqtt != NULL;
}

FfAgent *
ff_agent_new (FfAgentConfig *config, gboolean recovery_mode, GError **error)
{
  g_autoptr(FfAgent) agent = g_new0 (FfAgent, 1);
  g_autofree char *terminal_key = g_build_filename (config->credentials, "terminal.key", NULL);
  g_autofree char *platform_key = g_build_filename (config->credentials, "platform.pub.pem",
                                                    NULL);
  g_autofree char *platform_cert = g_build_filename (config->credentials, "platform.crt", NULL);
  g_autofree char *outbox = ff_agent_config_data_file (config, "outbox", NULL);

  agent->config = config;
  agent->recovery_mode = recovery_mode;
  agent->exit_code = -1;
  agent->state_path = ff_agent_config_data_file (config, "state.json", NULL);
  if (g_mkdir_with_parents (config->data, 0700) != 0)
    return g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_IO, "%s: %s", config->data,
                        g_strerror (errno)), NULL;
  agent->state = ff_agent_state_load_or_reset (agent->state_path, &agent->state_reset, error);
  if (agent->state == NULL
      || (agent->platform_key = ff_key_load_public_file (platform_key, error)) == NULL
      || (agent->terminal_key = ff_key_load_private (terminal_key, error)) == NULL)
    return NULL;
  agent->outbox = ff_agent_outbox_new (outbox);
  if (recovery_mode)
    return g_steal_pointer (&agent);

  /* Pinned by its DER bytes, read with OpenSSL: a GTlsCertificate would load glib-networking and
   * GnuTLS (some 3 MB resident) in an agent that may go months without an HTTPS request. */
  agent->https = ff_agent_https_new (config->platform_url, platform_cert, agent->terminal_key,
                                     config->device_id, error);
  if (agent->https == NULL)
    return NULL;
  agent->cancellable = g_cancellable_new ();
  if (!make_mqtt (agent, error))
    return NULL;
  return g_steal_pointer (&agent);
}

void
ff_agent_free (FfAgent *agent)
{
  g_autoptr(GBytes) goodbye = NULL;

  if (agent == NULL)
    return;
  if (agent->cancellable != NULL)
    g_cancellable_cancel (agent->cancellable);
  if (agent->mqtt != NULL)
    {
      goodbye = state_document (agent, FALSE);
      ff_agent_mqtt_free (agent->mqtt, goodbye);
    }
  g_clear_handle_id (&agent->republish_timer, g_source_remove);
  g_clear_handle_id (&agent->download_retry_timer, g_source_remove);
  g_clear_pointer (&agent->query, ff_agent_query_free);
  g_clear_pointer (&agent->https, ff_agent_https_free);
  g_clear_object (&agent->cancellable);
  g_clear_pointer (&agent->outbox, ff_agent_outbox_free);
  g_clear_pointer (&agent->platform_key, ff_key_unref);
  g_clear_pointer (&agent->terminal_key, ff_key_unref);
  g_clear_pointer (&agent->state, ff_agent_state_free);
  g_clear_pointer (&agent->state_versions, g_hash_table_unref);
  g_free (agent->state_versions_stamp);
  g_clear_pointer (&agent->loop, g_main_loop_unref);
  g_free (agent->state_path);
  g_free (agent->state_reset);
  g_free (agent->stranded);
  ff_agent_config_free (agent->config);
  g_free (agent);
}

void
ff_agent_stop (FfAgent *agent)
{
  ff_agent_exit (agent, FF_AGENT_EXIT_STOPPED);
}

int
ff_agent_run (FfAgent *agent)
{
  guint sigterm, sigint, sigusr1;

  g_message ("fieldflash-agent %s: %s mode, state %s", agent->config->device_id,
             agent->recovery_mode ? "recovery" : "normal",
             ff_agent_state_name_to_string (agent->state->state));
  ff_agent_recovery_count_boot (agent);
  if (agent->recovery_mode && agent->stranded == NULL)
    {
      /* The recovery system has no network: it finishes its steps and reboots. */
      continue_steps (agent);
      return agent->exit_code >= 0 ? agent->exit_code : FF_AGENT_EXIT_REBOOT;
    }
  if (agent->recovery_mode)
    {
      /* It stays: online, so the platform learns why, until it is serviced. */
      g_autoptr(GError) error = NULL;

      if (!make_mqtt (agent, &error))
        {
          g_critical ("%s", error->message);
          return FF_AGENT_EXIT_FAILED;
        }
      ff_agent_recovery_strand (agent);
    }
  agent->loop = g_main_loop_new (NULL, FALSE);
  sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, agent);
  sigint = g_unix_signal_add (SIGINT, on_quit_signal, agent);
  /* Before the first connection: a terminal seen online already takes the signal. */
  sigusr1 = g_unix_signal_add (SIGUSR1, on_query_signal, agent);
  ff_agent_mqtt_start (agent->mqtt);
  if (!agent->recovery_mode)
    agent->query = ff_agent_query_new (agent->config->query_times, on_query_due, agent);
  agent->republish_timer = g_timeout_add_seconds (REPUBLISH_SECONDS, on_republish_timer, agent);
  if (agent->state_reset != NULL)
    {
      ff_agent_program_undo_unchecked (agent);
      if (agent->config->layout == FF_AGENT_LAYOUT_AB)
        ff_agent_system_give_up_unconfirmed (agent);
    }
  continue_steps (agent);
  if (agent->exit_code < 0)
    g_main_loop_run (agent->loop);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_source_remove (sigusr1);
  return agent->exit_code;
}
