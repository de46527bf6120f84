/* Creating a task: terminals and firmware, the dispatch rules, signing, checking tablets out. */
#include "config.h"

#include "ff-platform-tasks.h"

#include "ff-files.h"
#include "ff-platform-campaigns.h"
#include "ff-platform-error.h"
#include "ff-platform-fleet.h"
#include "ff-platform-state-labels.h"
#include "ff-profile.h"
#include "ff-platform-upgrade-checks.h"
#include "ff-task.h"
#include "ff-version.h"

#include <errno.h>
#include <glib/gi18n-lib.h>


typedef struct
{
  const FfTaskRequest *request;
  FfKey               *key;
  char                *task_id;
} Creation;

static GPtrArray *
select_terminals (FfPlatformDb        *db,
                  const FfTaskRequest *request,
                  GError             **error)
{
  g_autoptr(GPtrArray) terminals = NULL;

  if (request->device_ids == NULL)
    {
      FfTerminalFilter filter = { .vendor = request->vendor, .model = request->model,
                                  .version = request->running_version };

      terminals = ff_platform_db_find_terminals (db, &filter, error);
      if (terminals != NULL && terminals->len == 0)
        {
          ff_platform_refuse (error,
                              _("No terminal runs version %s (with the given vendor and model)"),
                              request->running_version);
          return NULL;
        }
      return g_steal_pointer (&terminals);
    }
  if (!ff_platform_check_named_once (request->device_ids, error))
    return NULL;
  terminals = g_ptr_array_new_with_free_func ((GDestroyNotify) ff_terminal_free);
  for (guint i = 0; request->device_ids[i] != NULL; i++)
    {
      FfTerminal *terminal = ff_platform_db_require_terminal (db, request->device_ids[i], error);

      if (terminal == NULL)
        return NULL;
      g_ptr_array_add (terminals, terminal);
      if ((request->vendor != NULL && !g_str_equal (request->vendor, terminal->vendor))
          || (request->model != NULL && !g_str_equal (request->model, terminal->model)))
        {
          ff_platform_refuse (error,
                              _("Terminal %s is a %s %s, not the vendor and model asked for"),
                              terminal->device_id, terminal->vendor, terminal->model);
          return NULL;
        }
    }
  if (terminals->len == 0)
    {
      ff_platform_refuse (error, _("No terminal was named"));
      return NULL;
    }
  return g_steal_pointer (&terminals);
}

gboolean
ff_platform_check_selectable (FfPlatformDb     *db,
                              const FfTerminal *terminal,
                              const FfFirmware *target,
                              GError          **error)
{
  gboolean blacklisted = FALSE;

  if (!g_strv_contains ((const char *const *) target->hardware_versions,
                        terminal->hardware_version))
    return ff_platform_refuse (error,
                               _("Firmware %s is not compatible with hardware %s of terminal %s"),
                               target->version, terminal->hardware_version, terminal->device_id);
  if (!ff_platform_db_is_blacklisted (db, target->id, terminal->device_id, &blacklisted, error))
    return FALSE;
  if (blacklisted)
    return ff_platform_refuse (error, _("Terminal %s is blacklisted for firmware %s"),
                               terminal->device_id, target->version);
  return TRUE;
}

gboolean
ff_platform_check_target (FfPlatformDb     *db,
                          const FfTerminal *terminal,
                          const FfFirmware *target,
                          gboolean          rollback,
                          const char       *campaign_id,
                          GError          **error)
{
  g_autofree char *open_task = NULL;
  g_autofree char *open_campaign = NULL;
  int order;

  if (target->withdrawn_at != 0)
    return ff_platform_refuse (error, _("Firmware %s for %s %s is withdrawn"), target->version,
                               target->vendor, target->model);
  if (!ff_platform_check_selectable (db, terminal, target, error))
    return FALSE;
  order = ff_version_compare (target->version, terminal->software_version);
  if (order == 0)
    return ff_platform_refuse (error, _("Terminal %s already runs %s"), terminal->device_id,
                               target->version);
  if (order < 0 && !rollback)
    return ff_platform_refuse (error,
                               _("Firmware %s is older than %s on terminal %s: a downgrade needs "
                                 "--rollback REASON"),
                               target->version, terminal->software_version, terminal->device_id);
  if (order > 0 && rollback)
    return ff_platform_refuse (error,
                               _("Firmware %s is newer than %s on terminal %s: a rollback task "
                                 "only downgrades"),
                               target->version, terminal->software_version, terminal->device_id);
  if (!ff_platform_db_terminal_in_open_task (db, terminal->device_id, &open_task, error))
    return FALSE;
  if (open_task != NULL)
    return ff_platform_refuse (error, _("Terminal %s is already in open task %s"),
                               terminal->device_id, open_task);
  if (!ff_platform_db_terminal_in_open_campaign (db, terminal->device_id, campaign_id,
                                                 &open_campaign, error))
    return FALSE;
  if (open_campaign != NULL)
    return ff_platform_refuse (error, _("Terminal %s is already in campaign %s"),
                               terminal->device_id, open_campaign);
  return TRUE;
}

static FfTaskItem *
build_item (const FfTerminal *terminal,
            const FfFirmware *target,
            const FfFirmware *previous,
            const char       *file_name)
{
  FfTaskItem *item = ff_task_item_new ();

  item->device_id = g_strdup (terminal->device_id);
  item->name = g_strdup (terminal->name);
  item->latitude = terminal->latitude;
  item->longitude = terminal->longitude;
  item->host = g_strdup (terminal->host);
  item->port = terminal->port;
  item->common_address = terminal->common_address;
  item->profile = g_strdup (terminal->profile);
  item->vendor = g_strdup (terminal->vendor);
  item->model = g_strdup (terminal->model);
  item->hardware_version = g_strdup (terminal->hardware_version);
  item->expected_version = g_strdup (terminal->software_version);
  item->target.version = g_strdup (target->version);
  item->target.sha256 = g_strdup (target->sha256);
  item->target.size = target->size;
  item->target.file_name = g_strdup (file_name);
  /* The tablet checks the terminal's own 0x8004 against these: the ledger may be wrong. */
  item->target.hardware_versions = g_strdupv (target->hardware_versions);
  if (previous != NULL)
    {
      item->previous = ff_firmware_ref_new ();
      item->previous->version = g_strdup (previous->version);
      item->previous->sha256 = g_strdup (previous->sha256);
      item->previous->size = previous->size;
    }
  return item;
}

/* The vendor profile @name, loaded once per task. */
static const FfProfile *
load_profile (GHashTable *profiles,
              const char *name,
              GError    **error)
{
  FfProfile *profile = g_hash_table_lookup (profiles, name);

  if (profile == NULL)
    {
      profile = ff_profile_load (name, error);
      if (profile == NULL)
        return NULL;
      g_hash_table_insert (profiles, g_strdup (name), profile);
    }
  return profile;
}

/* The stored patch from the image the ledger says the terminal runs to the target, for a terminal
 * whose profile takes patches, when it is smaller than the image; FALSE only on a database error
 * (*delta stays NULL when there is none to send). */
static gboolean
choose_delta (FfPlatformDb     *db,
              const FfProfile  *profile,
              const FfFirmware *previous,
              const FfFirmware *target,
              FfDeltaRef      **delta,
              GError          **error)
{
  g_autoptr(GPtrArray) deltas = NULL;

  *delta = NULL;
  if (profile->delta != FF_DELTA_FORMAT_FFDELTA1 || previous == NULL)
    return TRUE;
  deltas = ff_platform_db_list_deltas (db, target, error);
  if (deltas == NULL)
    return FALSE;
  for (guint i = 0; i < deltas->len; i++)
    {
      const FfFirmwareDelta *stored = g_ptr_array_index (deltas, i);

      if (g_str_equal (stored->from_sha256, previous->sha256) && stored->size < target->size)
        *delta = ff_delta_ref_new (stored->sha256, stored->size, previous->sha256);
    }
  return TRUE;
}

static gboolean
check_handhelds (FfPlatformDb      *db,
                 FfTask            *task,
                 const char *const *serials,
                 GError           **error)
{
  if (!ff_platform_check_tablets_named_once (serials, error))
    return FALSE;
  for (guint i = 0; serials[i] != NULL; i++)
    {
      g_autoptr(FfHandheld) handheld = ff_platform_db_require_handheld (db, serials[i], error);

      if (handheld == NULL)
        return FALSE;
      if (!g_str_equal (handheld->state, FF_HANDHELD_IN_STOCK))
        return ff_platform_refuse (error, _("Tablet %s is not in stock (it is %s)"), serials[i],
                                   ff_handheld_state_display (handheld->state));
      g_ptr_array_add (task->tablets, g_strdup (serials[i]));
    }
  return TRUE;
}

static gboolean
store_task (FfPlatformDb *db,
            FfTask       *task,
            const FfTaskRequest *request,
            GPtrArray    *target_ids,
            GPtrArray    *previous_ids,
            GBytes       *document,
            GBytes       *signature,
            GError      **error)
{
  g_autofree char *message = NULL;

  if (!ff_platform_db_insert_task (db, task->task_id, task->technician_phone, task->issued_at,
                                   task->expires_at, task->rollback_reason, document, signature,
                                   error))
    return FALSE;
  for (guint i = 0; i < task->items->len; i++)
    {
      FfTaskItem *item = g_ptr_array_index (task->items, i);

      if (!ff_platform_db_insert_task_item (db, task->task_id, item->device_id,
                                            GPOINTER_TO_SIZE (g_ptr_array_index (target_ids, i)),
                                            GPOINTER_TO_SIZE (g_ptr_array_index (previous_ids, i)),
                                            item->expected_version, error))
        return FALSE;
    }
  for (guint i = 0; request->handhelds[i] != NULL; i++)
    if (!ff_platform_db_insert_task_tablet (db, task->task_id, request->handhelds[i], error)
        || !ff_platform_db_set_handheld_state (db, request->handhelds[i], FF_HANDHELD_CHECKED_OUT,
                                               task->task_id, error))
      return FALSE;
  if (task->rollback_reason != NULL)
    /* Translators: a downgrade task's dispatch message: task ID, terminals, target version. */
    message = g_strdup_printf (_("Task %s: terminals to roll back: %u, target version %s. "
                                 "Collect the tablet and sync it before you leave."),
                               task->task_id, task->items->len, request->firmware_version);
  else
    /* Translators: the dispatch message for the technician: task ID, terminals, target. */
    message = g_strdup_printf (_("Task %s: terminals to upgrade: %u, target version %s. Collect "
                                 "the tablet and sync it before you leave."),
                               task->task_id, task->items->len, request->firmware_version);
  return ff_platform_db_insert_dispatch (db, task->task_id, task->technician_phone, request->now,
                                         message, error);
}

/* Every enabled supervisor may override for the task, offline: their PIN hashes are signed in. */
static gboolean
add_supervisors (FfPlatformDb *db,
                 FfTask       *task,
                 GError      **error)
{
  g_autoptr(GPtrArray) supervisors = ff_platform_db_list_supervisors (db, TRUE, error);

  if (supervisors == NULL)
    return FALSE;
  for (guint i = 0; i < supervisors->len; i++)
    {
      const FfSupervisorRecord *record = g_ptr_array_index (supervisors, i);

      g_ptr_array_add (task->supervisors, ff_supervisor_new (record->name, record->pin_hash));
    }
  return TRUE;
}

static gboolean
create_in_transaction (FfPlatformDb *db,
                       gpointer      user_data,
                       GError      **error)
{
  Creation *creation = user_data;
  const FfTaskRequest *request = creation->request;
  g_autoptr(FfTechnician) technician = NULL;
  g_autoptr(GPtrArray) terminals = NULL;
  g_autoptr(GPtrArray) target_ids = g_ptr_array_new ();
  g_autoptr(GPtrArray) previous_ids = g_ptr_array_new ();
  g_autoptr(GHashTable) profiles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                          (GDestroyNotify) ff_profile_unref);
  g_autoptr(FfTask) task = ff_task_new ();
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *prefix = NULL;
  gint64 same_day;

  technician = ff_platform_db_require_technician (db, request->technician_phone, error);
  if (technician == NULL)
    return FALSE;
  if (!check_handhelds (db, task, request->handhelds, error))
    return FALSE;
  terminals = select_terminals (db, request, error);
  if (terminals == NULL)
    return FALSE;
  for (guint i = 0; i < terminals->len; i++)
    {
      FfTerminal *terminal = g_ptr_array_index (terminals, i);
      g_autoptr(FfFirmware) target = NULL;
      g_autoptr(FfFirmware) previous = NULL;
      g_autoptr(GError) local_error = NULL;
      const FfProfile *profile;
      FfTaskItem *item;
      FfDeltaRef *delta;

      target = ff_platform_require_firmware (db, terminal, request->firmware_version, error);
      if (target == NULL
          || !ff_platform_check_target (db, terminal, target, request->rollback_reason != NULL,
                                        request->campaign_id, error))
        return FALSE;
      previous = ff_platform_db_find_firmware (db, terminal->vendor, terminal->model,
                                               terminal->software_version, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      profile = load_profile (profiles, terminal->profile, error);
      if (profile == NULL || !choose_delta (db, profile, previous, target, &delta, error))
        return FALSE;
      item = build_item (terminal, target, previous, profile->iec104.upgrade_file_name);
      item->delta = delta;
      g_ptr_array_add (task->items, item);
      g_ptr_array_add (target_ids, GSIZE_TO_POINTER (target->id));
      g_ptr_array_add (previous_ids, GSIZE_TO_POINTER (previous != NULL ? previous->id : 0));
    }

  task->issued_at = request->now;
  task->expires_at = request->now + (gint64) MAX (request->valid_days, 1) * 24 * 3600;
  task->technician_phone = g_strdup (technician->phone);
  task->technician_name = g_strdup (technician->name);
  task->rollback = request->rollback_reason != NULL;
  task->rollback_reason = g_strdup (request->rollback_reason);
  if (!add_supervisors (db, task, error))
    return FALSE;
  prefix = ff_task_make_id (technician->phone, request->now, 1);
  same_day = ff_platform_db_count_tasks_with_prefix (db, prefix, error);
  if (same_day < 0)
    return FALSE;
  task->task_id = ff_task_make_id (technician->phone, request->now, (guint) same_day + 1);
  if (!ff_task_validate (task, error))
    return FALSE;
  document = ff_task_serialize (task);
  signature = ff_key_sign (creation->key, document, error);
  if (signature == NULL
      || !store_task (db, task, request, target_ids, previous_ids, document, signature, error))
    return FALSE;
  creation->task_id = g_strdup (task->task_id);
  return TRUE;
}

char *
ff_platform_create_task_within (FfPlatformDb        *db,
                                FfKey               *platform_key,
                                const FfTaskRequest *request,
                                GError             **error)
{
  Creation creation = { request, platform_key, NULL };

  if (request->handhelds == NULL || request->handhelds[0] == NULL)
    {
      ff_platform_refuse (error, _("A task needs at least one tablet"));
      return NULL;
    }
  if (!create_in_transaction (db, &creation, error))
    {
      g_free (creation.task_id);
      return NULL;
    }
  return creation.task_id;
}

typedef struct
{
  FfKey               *key;
  const FfTaskRequest *request;
  char                *task_id;
} Within;

static gboolean
create_within (FfPlatformDb *db,
               gpointer      user_data,
               GError      **error)
{
  Within *within = user_data;

  within->task_id = ff_platform_create_task_within (db, within->key, within->request, error);
  return within->task_id != NULL;
}

char *
ff_platform_create_task (FfPlatformDb        *db,
                         FfKey               *platform_key,
                         const FfTaskRequest *request,
                         GError             **error)
{
  Within within = { platform_key, request, NULL };

  if (!ff_platform_db_transaction (db, create_within, &within, error))
    {
      g_free (within.task_id);
      return NULL;
    }
  return within.task_id;
}

gboolean
ff_platform_cancel_task_within (FfPlatformDb *db,
                                const char   *task_id,
                                gint64        now,
                                GError      **error)
{
  g_autofree char *owner = NULL;
  g_autofree char *state = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!ff_platform_db_get_task_owner (db, task_id, &owner, &state, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                     _("There is no task %s"), task_id);
      return FALSE;
    }
  if (!g_str_equal (state, FF_TASK_OPEN))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                   _("Task %s is %s: only an open task can be cancelled"), task_id,
                   ff_task_state_display (state));
      return FALSE;
    }
  return ff_platform_db_cancel_task (db, task_id, now, error);
}

typedef struct
{
  const char *task_id;
  gint64      now;
} Cancelling;

static gboolean
cancel_in_transaction (FfPlatformDb *db,
                       gpointer      user_data,
                       GError      **error)
{
  Cancelling *cancelling = user_data;

  return ff_platform_cancel_task_within (db, cancelling->task_id, cancelling->now, error);
}

gboolean
ff_platform_cancel_task (FfPlatformDb *db,
                         const char   *task_id,
                         gint64        now,
                         GError      **error)
{
  Cancelling cancelling = { task_id, now };

  return ff_platform_db_transaction (db, cancel_in_transaction, &cancelling, error);
}

const char *
ff_task_state_display (const char *state)
{
  /* The words the console shows for them too (console/js/widgets.js, stateName). */
  static const FfStateLabel labels[] = {
    { FF_TASK_OPEN, N_("open") },
    { FF_TASK_COMPLETE, N_("complete") },
    { FF_TASK_CANCELLED, N_("cancelled") },
  };
  const char *label = ff_state_label (labels, G_N_ELEMENTS (labels), NULL, state);

  return label != NULL ? label : state;
}

gboolean
ff_platform_export_task (FfPlatformDb *db,
                         const char   *task_id,
                         const char   *directory,
                         GError      **error)
{
  g_autoptr(FfTaskRecord) record = ff_platform_db_get_task (db, task_id, error);
  g_autofree char *json_name = g_strconcat (task_id, ".json", NULL);
  g_autofree char *sig_name = g_strconcat (task_id, ".sig", NULL);
  g_autofree char *json_path = g_build_filename (directory, json_name, NULL);
  g_autofree char *sig_path = g_build_filename (directory, sig_name, NULL);
  gsize length = 0;
  const char *data;

  if (record == NULL)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                     _("There is no task %s"), task_id);
      return FALSE;
    }
  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                   _("Could not create %s: %s"), directory, g_strerror (errno));
      return FALSE;
    }
  data = g_bytes_get_data (record->document, &length);
  if (!ff_file_replace (json_path, data, length, 0600, error))
    return FALSE;
  data = g_bytes_get_data (record->signature, &length);
  return ff_file_replace (sig_path, data, length, 0600, error);
}
