/* The daemon's campaign engine: waves, the failure threshold, offline terminals and the window. */
#include "config.h"

#include "ff-platform-campaign-engine.h"

#include "ff-platform-campaign-meters.h"
#include "ff-platform-campaigns.h"
#include "ff-platform-clock.h"
#include "ff-platform-db-private.h"
#include "ff-platform-mqtt.h"
#include "ff-platform-remote.h"
#include "ff-platform-tasks.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>

struct _FfCampaignEngine
{
  FfPlatformDb    *db;
  char            *data_dir;
  FfKey           *platform_key;
  FfRemoteService *remote;
  GMainContext    *context;
  GFileMonitor    *monitor;
  GMutex           lock;          /* idle_id: the observer runs in whichever thread ingests */
  guint            idle_id;
  guint            timer_id;
  GHashTable      *waiting;       /* campaign ID -> the wave told to wait for its window */
  GCancellable    *cancellable;   /* of the delta packages being made (cancelled: engine gone) */
  gboolean         making;        /* delta packages are being made: no wave starts meanwhile */
  /* Under lock: the worker making them has not ended its work yet (its end is waited for before
   * the engine goes, so that it never uses OpenSSL while the process exits). */
  gboolean         maker_running;
  GCond            maker_ended;
  GHashTable       *failed;       /* IDs of the delta packages that could not be made */
  /* An operator changed a campaign (the CLI's or the console's signal): a resumed one's commands
   * held while it was paused are published at the next look. */
  gboolean         operator_acted;
};

/* Whether failures since the last resume reached the threshold; @reason then says so. */
static gboolean
threshold_reached (const FfCampaign *c,
                   char            **reason)
{
  gint64 all_failures = c->counts[FF_CAMPAIGN_TERMINAL_FAILED]
                        + c->counts[FF_CAMPAIGN_TERMINAL_ROLLED_BACK];
  gint64 failures = all_failures - c->accepted_failures;
  gint64 finished = all_failures + c->counts[FF_CAMPAIGN_TERMINAL_SUCCEEDED]
                    - c->accepted_finished;

  if (failures == 0)
    return FALSE;
  if (c->max_failures_percent ? failures * 100 < c->max_failures * finished
                              : failures < c->max_failures)
    return FALSE;
  /* Counts of one campaign fit an int (the ledger is far smaller). */
  if (c->max_failures_percent)
    *reason = c->meter_app != NULL
              ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%d of %d meter that finished failed, "
                                              "the threshold is %d%%",
                                              "%d of %d meters that finished failed, "
                                              "the threshold is %d%%",
                                              (gulong) finished),
                                 (int) failures, (int) finished, (int) c->max_failures)
              : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%d of %d terminal that finished failed, "
                                              "the threshold is %d%%",
                                              "%d of %d terminals that finished failed, "
                                              "the threshold is %d%%",
                                              (gulong) finished),
                                 (int) failures, (int) finished, (int) c->max_failures);
  else
    *reason = c->meter_app != NULL
              ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%d meter failed, the threshold is %d",
                                              "%d meters failed, the threshold is %d",
                                              (gulong) failures),
                                 (int) failures, (int) c->max_failures)
              : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%d terminal failed, the threshold is %d",
                                              "%d terminals failed, the threshold is %d",
                                              (gulong) failures),
                                 (int) failures, (int) c->max_failures);
  return TRUE;
}

/* Transactions */

typedef struct
{
  FfCampaignEngine *engine;
  const FfCampaign *campaign;
  const char       *platform_url;
  FfPackageCache   *packages;     /* a wave's start: its packages, opened once for its commands */
  gint64            wave;
  gint64            now;
  const char       *reason;
  guint             recorded;
  char             *halt_reason;
} Step;

/* *@firmware: the record of @c's firmware for @terminal's vendor and model (NULL: there is none),
 * read once per vendor and model into @read (of FfFirmware *, keyed by both): a wave's
 * terminals share a few. FALSE on a database error. */
static gboolean
campaign_firmware (FfPlatformDb      *db,
                   const FfCampaign  *c,
                   const FfTerminal  *terminal,
                   GHashTable        *read,
                   const FfFirmware **firmware,
                   GError           **error)
{
  g_autofree char *key = g_strdup_printf ("%zu:%s%s", strlen (terminal->vendor), terminal->vendor,
                                          terminal->model);
  g_autoptr(GError) local_error = NULL;
  FfFirmware *found;

  if (g_hash_table_lookup_extended (read, key, NULL, (gpointer *) firmware))
    return TRUE;
  found = ff_platform_db_find_firmware (db, terminal->vendor, terminal->model,
                                        c->firmware_version, &local_error);
  *firmware = found;
  if (local_error != NULL)
    return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
  g_hash_table_insert (read, g_steal_pointer (&key), found);
  return TRUE;
}

/* A table for campaign_firmware(). */
static GHashTable *
firmware_read_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) ff_firmware_free);
}

/* Whether the campaign is still as the engine read it (the operator may have acted since). */
static gboolean
still_current (FfPlatformDb *db,
               const Step   *step,
               gboolean     *current,
               GError      **error)
{
  g_autoptr(FfCampaign) now = ff_platform_db_require_campaign (db, step->campaign->campaign_id,
                                                                error);

  if (now == NULL)
    return FALSE;
  *current = g_str_equal (now->state, FF_CAMPAIGN_RUNNING)
             && now->current_wave == step->campaign->current_wave;
  return TRUE;
}

static gboolean
halt_in_transaction (FfPlatformDb *db,
                     gpointer      user_data,
                     GError      **error)
{
  Step *step = user_data;

  /* The meters not offered their install yet get none: the halt stops the rollout there too. */
  return ff_platform_db_run (db, ff_platform_db_bind (db,
    "UPDATE campaigns SET state = 'paused', halt_reason = ?2"
    " WHERE campaign_id = ?1 AND state = 'running'", error, "ss", step->campaign->campaign_id,
    step->reason), error)
    && ff_campaign_withdraw_meter_installs (db, step->campaign, step->now, error);
}

static gboolean
complete_in_transaction (FfPlatformDb *db,
                         gpointer      user_data,
                         GError      **error)
{
  Step *step = user_data;

  return ff_platform_db_run (db, ff_platform_db_bind (db,
    "UPDATE campaigns SET state = 'complete', finished_at = ?2"
    " WHERE campaign_id = ?1 AND state = 'running'", error, "si", step->campaign->campaign_id,
    step->now), error);
}

static gboolean
offline_in_transaction (FfPlatformDb *db,
                        gpointer      user_data,
                        GError      **error)
{
  Step *step = user_data;

  return ff_platform_db_run (db, ff_platform_db_bind (db,
    "UPDATE campaign_terminals SET state = 'offline', updated_at = ?3"
    " WHERE campaign_id = ?1 AND wave = ?2"
    " AND state IN ('pending', 'sent', 'downloading', 'installing')", error, "sii",
    step->campaign->campaign_id, step->wave, step->now), error);
}

static gboolean
set_terminal (FfPlatformDb *db,
              const Step   *step,
              const char   *device_id,
              const char   *state,
              const char   *command_id,
              const char   *reason,
              GError      **error)
{
  return ff_platform_db_run (db, ff_platform_db_bind (db,
    "UPDATE campaign_terminals SET state = ?3, command_id = ?4, reason = ?5, updated_at = ?6"
    " WHERE campaign_id = ?1 AND device_id = ?2", error, "sssssi", step->campaign->campaign_id,
    device_id, state, command_id, reason, step->now), error);
}

/* A terminal @refusal keeps from its command: @state with the refusal as its reason. A database
 * error instead (not a refusal) is the wave's error. */
static gboolean
set_refused (FfPlatformDb *db,
             const Step   *step,
             const char   *device_id,
             const char   *state,
             GError      **refusal,
             GError      **error)
{
  if (!g_error_matches (*refusal, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED))
    {
      g_propagate_error (error, g_steal_pointer (refusal));
      return FALSE;
    }
  return set_terminal (db, step, device_id, state, NULL, (*refusal)->message, error);
}

/* Whether the rules of a campaign's selection that can change after it was made still let
 * @firmware reach @terminal; else @refusal says which does not (or holds a database error). */
static gboolean
still_selected (FfPlatformDb     *db,
                const FfTerminal *terminal,
                const FfFirmware *firmware,
                gint64            now,
                GError          **refusal)
{
  return ff_platform_check_selectable (db, terminal, firmware, refusal)
         && ff_platform_remote_check_none_out (db, terminal, firmware, now, refusal);
}

/* A meter of the wave: its install queued in the ledger for its next poll (meters poll, nothing
 * is pushed), in the wave's transaction; a refusal of the ledger fails it. */
static gboolean
queue_meter (FfPlatformDb             *db,
             Step                     *step,
             const FfCampaignTerminal *t,
             GError                  **error)
{
  gboolean queued = FALSE;

  if (!ff_campaign_queue_meter_install (db, step->campaign, t->device_id, step->now, &queued,
                                        error))
    return FALSE;
  step->recorded += queued;
  return TRUE;
}

/* The pending networked terminals of the wave (each NULL where @terminals has another), and
 * into *@withdrawn the first withdrawn firmware one of them would get (NULL: none). Read before
 * anything of the wave is recorded: a withdrawn firmware of the wave's last vendor and model
 * would otherwise leave the commands of the terminals before it recorded by the halt's commit. */
static GPtrArray *
read_wave_targets (FfPlatformDb      *db,
                   const Step        *step,
                   GPtrArray         *terminals,
                   GHashTable        *firmware_read,
                   const FfFirmware **withdrawn,
                   GError           **error)
{
  g_autoptr(GPtrArray) targets =
    g_ptr_array_new_full (terminals->len, (GDestroyNotify) ff_terminal_free);

  *withdrawn = NULL;
  for (guint i = 0; i < terminals->len; i++)
    {
      const FfCampaignTerminal *t = g_ptr_array_index (terminals, i);
      FfTerminal *terminal = NULL;
      const FfFirmware *firmware = NULL;

      if (g_str_equal (t->state, "pending") && g_str_equal (t->link, FF_LINK_MQTT))
        {
          terminal = ff_platform_db_require_terminal (db, t->device_id, error);
          if (terminal == NULL)
            return NULL;
          if (!campaign_firmware (db, step->campaign, terminal, firmware_read, &firmware, error))
            {
              ff_terminal_free (terminal);
              return NULL;
            }
          if (firmware != NULL && firmware->withdrawn_at != 0 && *withdrawn == NULL)
            *withdrawn = firmware;
        }
      g_ptr_array_add (targets, terminal);
    }
  return g_steal_pointer (&targets);
}

/* Records the command of each networked terminal of the next wave (through the remote path, with
 * the campaign and wave in it), queues the install of each of its meters, and the wave's start,
 * all in this one transaction: a daemon killed after it sends what it recorded, and nothing
 * twice. A withdrawn firmware halts the campaign
 * instead (nothing of the wave is recorded); another refusal fails that terminal. */
static gboolean
start_wave_in_transaction (FfPlatformDb *db,
                           gpointer      user_data,
                           GError      **error)
{
  Step *step = user_data;
  /* The packages the commands name were made before (deltas_ready): a transaction on the main
   * loop makes none. */
  FfRemoteContext context = { db, step->engine->data_dir, step->engine->platform_key,
                              step->platform_url, FALSE, TRUE, step->packages };
  g_autoptr(GPtrArray) terminals = NULL;
  g_autoptr(GPtrArray) targets = NULL;
  g_autoptr(GHashTable) firmware_read = firmware_read_new ();
  const FfFirmware *withdrawn = NULL;
  gboolean current = FALSE;

  if (!still_current (db, step, &current, error))
    return FALSE;
  if (!current)
    return TRUE;
  terminals = ff_platform_db_list_campaign_terminals (db, step->campaign->campaign_id,
                                                      step->wave, error);
  if (terminals == NULL
      || (targets = read_wave_targets (db, step, terminals, firmware_read, &withdrawn,
                                       error)) == NULL)
    return FALSE;
  if (withdrawn != NULL)
    {
      step->halt_reason = g_strdup_printf (_("Firmware %s for %s %s was withdrawn"),
                                           withdrawn->version, withdrawn->vendor,
                                           withdrawn->model);
      step->reason = step->halt_reason;
      return halt_in_transaction (db, step, error);
    }
  for (guint i = 0; i < terminals->len; i++)
    {
      const FfCampaignTerminal *t = g_ptr_array_index (terminals, i);
      FfTerminal *terminal = g_ptr_array_index (targets, i);
      const FfFirmware *firmware = NULL;
      g_autoptr(FfRemoteCommandRecord) record = NULL;
      g_autoptr(GError) refusal = NULL;
      gint64 firmware_id = 0;

      if (!g_str_equal (t->state, "pending"))
        continue;
      if (g_str_equal (t->link, FF_LINK_COAP))
        {
          if (!queue_meter (db, step, t, error))
            return FALSE;
          continue;
        }
      if (terminal == NULL)
        continue;
      /* Read by read_wave_targets(): found in the table. */
      if (!campaign_firmware (db, step->campaign, terminal, firmware_read, &firmware, error))
        return FALSE;
      /* It got there since the campaign was made (the result of a cancelled campaign's command
       * that was out already, a ledger update): done, as a tablet's "already-current" is, not a
       * refused command that counts toward the failure threshold. */
      if (ff_version_compare (step->campaign->firmware_version, terminal->software_version) == 0)
        {
          g_autofree char *current = g_strdup_printf (_("Terminal %s already runs %s"),
                                                      terminal->device_id,
                                                      terminal->software_version);

          if (!set_terminal (db, step, t->device_id, "succeeded", NULL, current, error))
            return FALSE;
          continue;
        }
      /* The operator took it out since the campaign was made (a blacklist, a command of its
       * own out): left out with the reason, finished for the wave but no failure. */
      if (firmware != NULL && !still_selected (db, terminal, firmware, step->now, &refusal))
        {
          if (!set_refused (db, step, t->device_id, "left-out", &refusal, error))
            return FALSE;
          continue;
        }
      if (step->platform_url == NULL)
        g_set_error_literal (&refusal, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED,
                             _("The platform has no MQTT broker (“fieldflash-platform mqtt "
                               "config”)"));
      else
        record = ff_platform_remote_prepare (&context, terminal, step->campaign->firmware_version,
                                             FALSE, step->campaign->campaign_id, step->wave,
                                             FF_REMOTE_DEFAULT_VALID_SECONDS, step->now,
                                             firmware, &firmware_id, &refusal);
      if (record == NULL)
        {
          if (!set_refused (db, step, t->device_id, "failed", &refusal, error))
            return FALSE;
          continue;
        }
      if (!ff_platform_db_insert_command (db, record, firmware_id, error)
          || !set_terminal (db, step, t->device_id, "sent", record->command_id, NULL, error))
        return FALSE;
      step->recorded++;
    }
  return ff_platform_db_run (db, ff_platform_db_bind (db,
    "UPDATE campaigns SET current_wave = ?2, wave_started_at = ?3 WHERE campaign_id = ?1",
    error, "sii", step->campaign->campaign_id, step->wave, step->now), error);
}

/* Delta packages */

static void wake (gpointer user_data);

/* The delta packages a worker makes, and the engine that waits for its end. */
typedef struct
{
  FfCampaignEngine *engine;
  GPtrArray        *jobs;
} Making;

static void
making_free (Making *making)
{
  g_ptr_array_unref (making->jobs);
  g_free (making);
}

static void
make_in_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Making *making = task_data;
  FfCampaignEngine *self = making->engine;

  for (guint i = 0; i < making->jobs->len && !g_cancellable_is_cancelled (cancellable); i++)
    ff_remote_delta_job_run (g_ptr_array_index (making->jobs, i));
  ff_crypto_thread_done ();
  /* The engine may be gone once this is said: the task's callback, cancelled, does not use it. */
  g_mutex_lock (&self->lock);
  self->maker_running = FALSE;
  g_cond_signal (&self->maker_ended);
  g_mutex_unlock (&self->lock);
  g_task_return_boolean (task, TRUE);
}

/* Back on the main loop: records what the worker made, and looks at the campaigns again. */
static void
made (GObject      *source,
      GAsyncResult *result,
      gpointer      user_data)
{
  FfCampaignEngine *self = user_data;
  Making *making = g_task_get_task_data (G_TASK (result));
  GPtrArray *jobs = making->jobs;
  gint64 now = ff_platform_now ();

  /* Cancelled: the engine is gone. */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  for (guint i = 0; i < jobs->len; i++)
    {
      FfRemoteDeltaJob *job = g_ptr_array_index (jobs, i);
      g_autoptr(GError) error = NULL;

      /* One that failed is not tried again: its terminals get the full package. */
      if (!ff_remote_delta_job_record (self->db, job, now, &error))
        g_hash_table_add (self->failed, g_strdup (ff_remote_delta_job_get_id (job)));
    }
  self->making = FALSE;
  wake (self);
}

/* Whether the delta packages the commands of @c's wave @wave may name are made; if not, a worker
 * thread starts making them (seconds for large images, which the main loop does not wait for:
 * the results of other terminals, the API and the console go on) and the wave starts after. */
static gboolean
deltas_ready (FfCampaignEngine *self,
              const FfCampaign *c,
              gint64            wave,
              const char       *platform_url,
              FfPackageCache   *packages)
{
  FfRemoteContext context = { self->db, self->data_dir, self->platform_key, platform_url, FALSE,
                              FALSE, packages };
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                              ff_remote_delta_job_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) firmware_read = firmware_read_new ();
  g_autoptr(GPtrArray) terminals = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  Making *making;

  if (self->making)
    return FALSE;
  terminals = ff_platform_db_list_campaign_terminals (self->db, c->campaign_id, wave, &error);
  for (guint i = 0; terminals != NULL && i < terminals->len; i++)
    {
      const FfCampaignTerminal *t = g_ptr_array_index (terminals, i);
      g_autoptr(FfTerminal) terminal = NULL;
      const FfFirmware *firmware = NULL;
      FfRemoteDeltaJob *job = NULL;

      if (!g_str_equal (t->link, "mqtt") || !g_str_equal (t->state, "pending"))
        continue;
      terminal = ff_platform_db_require_terminal (self->db, t->device_id, &error);
      if (terminal == NULL
          || !campaign_firmware (self->db, c, terminal, firmware_read, &firmware, &error)
          || !ff_platform_remote_delta_job_for (&context, terminal, firmware, &job, &error))
        break;
      if (job == NULL)
        continue;
      if (g_hash_table_contains (seen, ff_remote_delta_job_get_id (job))
          || g_hash_table_contains (self->failed, ff_remote_delta_job_get_id (job)))
        {
          ff_remote_delta_job_free (job);
          continue;
        }
      g_hash_table_add (seen, (gpointer) ff_remote_delta_job_get_id (job));
      g_ptr_array_add (jobs, job);
    }
  if (error != NULL)
    {
      /* The wave's own transaction meets the same error and says so. */
      g_warning ("Campaign %s: %s", c->campaign_id, error->message);
      return TRUE;
    }
  if (jobs->len == 0)
    return TRUE;
  g_message ("Campaign %s: wave %u waits for %u delta packages", c->campaign_id, (guint) wave,
             jobs->len);
  self->making = TRUE;
  making = g_new0 (Making, 1);
  making->engine = self;
  making->jobs = g_steal_pointer (&jobs);
  g_mutex_lock (&self->lock);
  self->maker_running = TRUE;
  g_mutex_unlock (&self->lock);
  task = g_task_new (NULL, self->cancellable, made, self);
  g_task_set_task_data (task, making, (GDestroyNotify) making_free);
  g_task_run_in_thread (task, make_in_thread);
  return FALSE;
}

/* One campaign */

typedef enum
{
  STEP_WAIT,        /* nothing to do before *deadline (0: before an event) */
  STEP_AGAIN,       /* it changed: look at it again */
} StepResult;

static gboolean
run_step (FfCampaignEngine *self,
          FfPlatformDbWork  work,
          Step             *step)
{
  g_autoptr(GError) error = NULL;

  if (ff_platform_db_transaction (self->db, work, step, &error))
    return TRUE;
  g_warning ("Campaign %s: %s", step->campaign->campaign_id, error->message);
  return FALSE;
}

static StepResult
advance (FfCampaignEngine *self,
         const FfCampaign *c,
         gint64            now,
         gint64           *deadline)
{
  g_autofree char *reason = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfPackageCache) packages = NULL;
  g_autoptr(FfMqttSettings) settings = NULL;
  Step step = { self, c, NULL, NULL, c->current_wave, now, NULL, 0, NULL };
  gint64 opens_at;

  if (threshold_reached (c, &reason))
    {
      step.reason = reason;
      if (run_step (self, halt_in_transaction, &step))
        g_message ("Campaign %s halted: %s", c->campaign_id, reason);
      return STEP_WAIT;
    }
  if (c->current_wave > 0)
    {
      gint64 unfinished = ff_platform_db_count_campaign_unfinished (self->db, c->campaign_id,
                                                                    c->current_wave, &error);

      if (unfinished < 0)
        {
          g_warning ("Campaign %s: %s", c->campaign_id, error->message);
          return STEP_WAIT;
        }
      if (unfinished > 0)
        {
          if (now < c->wave_started_at + c->offline_after)
            {
              *deadline = c->wave_started_at + c->offline_after;
              return STEP_WAIT;
            }
          return run_step (self, offline_in_transaction, &step) ? STEP_AGAIN : STEP_WAIT;
        }
      g_message ("Campaign %s: wave %u complete", c->campaign_id, (guint) c->current_wave);
    }
  if (c->current_wave >= c->n_waves)
    {
      if (run_step (self, complete_in_transaction, &step))
        g_message ("Campaign %s complete", c->campaign_id);
      return STEP_WAIT;
    }
  opens_at = ff_campaign_window_opens_at (c, now);
  if (opens_at > 0)
    {
      /* Told once per wave, not at every event that wakes the engine. */
      if (GPOINTER_TO_INT (g_hash_table_lookup (self->waiting, c->campaign_id))
          != c->current_wave + 1)
        {
          g_autofree char *window = ff_campaign_window_text (c);

          g_message ("Campaign %s: wave %u waits for the window (%s UTC)", c->campaign_id,
                     (guint) c->current_wave + 1, window);
          g_hash_table_insert (self->waiting, g_strdup (c->campaign_id),
                               GINT_TO_POINTER (c->current_wave + 1));
        }
      *deadline = opens_at;
      return STEP_WAIT;
    }
  step.wave = c->current_wave + 1;
  /* Read when a wave starts, not at every pass (one per batch of results): `mqtt config` run
   * meanwhile holds for the next wave. */
  settings = ff_mqtt_settings_load (self->data_dir, NULL);
  step.platform_url = settings != NULL ? settings->platform_url : NULL;
  /* Per wave, not kept longer: a package replaced or withdrawn meanwhile is read afresh. */
  packages = ff_package_cache_new (self->data_dir, self->platform_key);
  step.packages = packages;
  if (!deltas_ready (self, c, step.wave, step.platform_url, packages))
    return STEP_WAIT;
  if (!run_step (self, start_wave_in_transaction, &step))
    return STEP_WAIT;
  if (step.halt_reason != NULL)
    {
      g_message ("Campaign %s halted: %s", c->campaign_id, step.halt_reason);
      g_free (step.halt_reason);
      return STEP_WAIT;
    }
  g_message ("Campaign %s: wave %u started, %u commands", c->campaign_id, (guint) step.wave,
             step.recorded);
  if (step.recorded > 0 && self->remote != NULL)
    ff_remote_service_send_pending (self->remote);
  return STEP_AGAIN;
}

static void schedule (FfCampaignEngine *self, gint64 deadline, gint64 now);

static void
evaluate (FfCampaignEngine *self)
{
  g_autoptr(GError) error = NULL;
  gint64 now = ff_platform_now ();
  gint64 next = 0;
  gboolean again = TRUE;

  /* A campaign that changed is read again (each pass moves it on: a wave starts, goes offline,
   * or it halts or completes), until every one waits for an event or a deadline. */
  while (again)
    {
      g_autoptr(GPtrArray) running = ff_platform_db_list_campaigns (self->db, TRUE, &error);

      again = FALSE;
      next = 0;
      if (running == NULL)
        {
          g_warning ("%s", error->message);
          return;
        }
      for (guint i = 0; i < running->len; i++)
        {
          gint64 deadline = 0;

          if (advance (self, g_ptr_array_index (running, i), now, &deadline)
              == STEP_AGAIN)
            again = TRUE;
          if (deadline > 0 && (next == 0 || deadline < next))
            next = deadline;
        }
    }
  if (self->operator_acted && self->remote != NULL)
    ff_remote_service_send_pending (self->remote);
  self->operator_acted = FALSE;
  schedule (self, next, now);
}

static gboolean
evaluate_idle (gpointer user_data)
{
  FfCampaignEngine *self = user_data;

  g_mutex_lock (&self->lock);
  self->idle_id = 0;
  g_mutex_unlock (&self->lock);
  evaluate (self);
  return G_SOURCE_REMOVE;
}

static gboolean
deadline_reached (gpointer user_data)
{
  FfCampaignEngine *self = user_data;

  self->timer_id = 0;
  evaluate (self);
  return G_SOURCE_REMOVE;
}

/* One timer, to the nearest deadline of every running campaign. */
static void
schedule (FfCampaignEngine *self,
          gint64            deadline,
          gint64            now)
{
  GSource *source;

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (deadline == 0)
    return;
  source = g_timeout_source_new_seconds ((guint) CLAMP (deadline - now, 1, G_MAXUINT32 / 2));
  g_source_set_callback (source, deadline_reached, self, NULL);
  self->timer_id = g_source_attach (source, self->context);
  g_source_unref (source);
}

/* From any thread: look again once the main loop is idle (a burst of results is one look). */
static void
wake (gpointer user_data)
{
  FfCampaignEngine *self = user_data;

  g_mutex_lock (&self->lock);
  if (self->idle_id == 0)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, evaluate_idle, self, NULL);
      self->idle_id = g_source_attach (source, self->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&self->lock);
}

static void
signalled (GFileMonitor      *monitor,
           GFile             *file,
           GFile             *other,
           GFileMonitorEvent  event,
           gpointer           user_data)
{
  if (event == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT || event == G_FILE_MONITOR_EVENT_CREATED
      || event == G_FILE_MONITOR_EVENT_RENAMED || event == G_FILE_MONITOR_EVENT_MOVED_IN)
    {
      FfCampaignEngine *self = user_data;

      self->operator_acted = TRUE;
      wake (self);
    }
}

FfCampaignEngine *
ff_campaign_engine_new (FfPlatformDb    *db,
                        const char      *data_dir,
                        FfKey           *platform_key,
                        FfRemoteService *remote,
                        GError         **error)
{
  g_autoptr(FfCampaignEngine) self = g_new0 (FfCampaignEngine, 1);
  g_autofree char *path = ff_platform_campaigns_signal_path (data_dir);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  self->db = db;
  self->data_dir = g_strdup (data_dir);
  self->platform_key = ff_key_ref (platform_key);
  self->remote = remote;
  self->context = g_main_context_ref_thread_default ();
  self->waiting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->maker_ended);
  /* The CLI replaces the file (temp + rename), so it is watched through its directory. */
  self->monitor = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, error);
  if (self->monitor == NULL)
    return NULL;
  g_signal_connect (self->monitor, "changed", G_CALLBACK (signalled), self);
  ff_platform_campaigns_set_observer (wake, self);
  /* At once: what a killed daemon left (a wave to start, a deadline passed) is done before it
   * serves; commands it records go when the MQTT session connects. */
  evaluate (self);
  return g_steal_pointer (&self);
}

void
ff_campaign_engine_free (FfCampaignEngine *engine)
{
  if (engine == NULL)
    return;
  ff_platform_campaigns_set_observer (NULL, NULL);
  if (engine->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (engine->monitor, engine);
      g_object_unref (engine->monitor);
    }
  g_clear_handle_id (&engine->timer_id, g_source_remove);
  g_clear_handle_id (&engine->idle_id, g_source_remove);
  g_main_context_unref (engine->context);
  g_hash_table_unref (engine->waiting);
  /* A worker still making packages stops after the one it makes (at most seconds), and is waited
   * for: the process may exit next. Its result is not looked at. */
  g_cancellable_cancel (engine->cancellable);
  g_mutex_lock (&engine->lock);
  while (engine->maker_running)
    g_cond_wait (&engine->maker_ended, &engine->lock);
  g_mutex_unlock (&engine->lock);
  g_object_unref (engine->cancellable);
  g_hash_table_unref (engine->failed);
  g_mutex_clear (&engine->lock);
  g_cond_clear (&engine->maker_ended);
  g_clear_pointer (&engine->platform_key, ff_key_unref);
  g_free (engine->data_dir);
  g_free (engine);
}
