/* The status of each terminal's visit in one task: the visit's persisted workflow state (what
 * fieldflash-cli lists), and for a finished visit the outcome of its report in that same task, so
 * a report from another task never marks today's terminal; in a task the platform withdrew, a
 * visit not started is withdrawn (the workflow refuses it). Read in a worker thread: sqlite. */
#include "config.h"

#include "ff-visit-status.h"

#include <glib/gi18n-lib.h>

#include "ff-outcome.h"
#include "ff-workflow.h"

const char *
ff_visit_status_describe (FfVisitStatus status)
{
  switch (status)
    {
    case FF_VISIT_TO_DO:
      return _("To do");
    case FF_VISIT_IN_PROGRESS:
      return _("In progress");
    case FF_VISIT_WAITING:
      return _("Waiting for you");
    case FF_VISIT_DONE:
      return _("Done");
    case FF_VISIT_FAILED:
      return _("Failed");
    case FF_VISIT_SKIPPED:
      return _("Skipped");
    case FF_VISIT_WITHDRAWN:
      return _("Withdrawn by the platform");
    default:
      g_return_val_if_reached (NULL);
    }
}

/* A finished visit has its report, a withdrawn one never begins; the others are still work for
 * today. */
gboolean
ff_visit_status_is_finished (FfVisitStatus status)
{
  return status == FF_VISIT_DONE || status == FF_VISIT_FAILED || status == FF_VISIT_SKIPPED
         || status == FF_VISIT_WITHDRAWN;
}

static FfVisitStatus
status_of_finished_visit (const char *outcome)
{
  switch (ff_outcome_get_kind (outcome))
    {
    case FF_OUTCOME_SUCCEEDED:
      return FF_VISIT_DONE;
    case FF_OUTCOME_SKIPPED:
      return FF_VISIT_SKIPPED;
    case FF_OUTCOME_FAILED:
    default:
      return FF_VISIT_FAILED;
    }
}

/* @state is the name the store keeps (ff_workflow_state_to_string); NULL: never begun. */
static FfVisitStatus
status_of_visit (const char *state,
                 const char *outcome,
                 gboolean    task_withdrawn)
{
  g_autoptr(GEnumClass) states = g_type_class_ref (FF_TYPE_WORKFLOW_STATE);
  GEnumValue *value = state != NULL ? g_enum_get_value_by_nick (states, state) : NULL;
  FfVisitStatus not_started = task_withdrawn ? FF_VISIT_WITHDRAWN : FF_VISIT_TO_DO;

  if (value == NULL)
    return not_started;

  switch ((FfWorkflowState) value->value)
    {
    case FF_WORKFLOW_STATE_NEW:
      return not_started;
    case FF_WORKFLOW_STATE_DONE:
      return status_of_finished_visit (outcome);
    case FF_WORKFLOW_STATE_IDENTITY_MISMATCH:
    case FF_WORKFLOW_STATE_CONFIRM:
    case FF_WORKFLOW_STATE_FAILED:
      return FF_VISIT_WAITING;
    default:
      return FF_VISIT_IN_PROGRESS;
    }
}

typedef struct
{
  FfStore *store;
  char    *task_id;
  GStrv    device_ids;
} ReadJob;

typedef struct
{
  GHashTable *statuses;
  gboolean    task_withdrawn;
} ReadResult;

static void
read_result_free (ReadResult *result)
{
  g_hash_table_unref (result->statuses);
  g_free (result);
}

static void
read_job_free (ReadJob *job)
{
  g_object_unref (job->store);
  g_free (job->task_id);
  g_strfreev (job->device_ids);
  g_free (job);
}

static void
read_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ReadJob *job = task_data;
  GError *error = NULL;
  g_autoptr(GPtrArray) reports = ff_store_list_reports (job->store, FALSE, &error);
  g_autoptr(GHashTable) outcomes = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTable *statuses;
  ReadResult *read;
  gboolean task_withdrawn = FALSE;

  if (reports == NULL
      || !ff_store_task_is_withdrawn (job->store, job->task_id, &task_withdrawn, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* Oldest first: the latest report of the visit decides. */
  for (guint i = 0; i < reports->len; i++)
    {
      FfStoredReport *report = reports->pdata[i];

      if (g_str_equal (report->task_id, job->task_id))
        g_hash_table_insert (outcomes, report->device_id, report->outcome);
    }

  statuses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; job->device_ids[i] != NULL; i++)
    {
      g_autofree char *state = NULL;
      g_autofree char *data = NULL;

      if (!ff_store_load_workflow (job->store, job->task_id, job->device_ids[i], &state, &data,
                                   &error)
          && error != NULL)
        {
          g_hash_table_unref (statuses);
          g_task_return_error (task, error);
          return;
        }
      g_hash_table_insert (statuses, g_strdup (job->device_ids[i]),
                           GINT_TO_POINTER (status_of_visit (state,
                                                             g_hash_table_lookup (
                                                               outcomes, job->device_ids[i]),
                                                             task_withdrawn)));
    }
  read = g_new (ReadResult, 1);
  read->statuses = statuses;
  read->task_withdrawn = task_withdrawn;
  g_task_return_pointer (task, read, (GDestroyNotify) read_result_free);
}

void
ff_visit_status_read_async (FfStore             *store,
                            const FfTask        *task,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;
  g_autoptr(GStrvBuilder) device_ids = g_strv_builder_new ();
  ReadJob *job;

  g_return_if_fail (FF_IS_STORE (store));
  g_return_if_fail (task != NULL);

  for (guint i = 0; i < task->items->len; i++)
    g_strv_builder_add (device_ids, ((FfTaskItem *) task->items->pdata[i])->device_id);
  job = g_new0 (ReadJob, 1);
  job->store = g_object_ref (store);
  job->task_id = g_strdup (task->task_id);
  job->device_ids = g_strv_builder_end (device_ids);

  gtask = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (gtask, ff_visit_status_read_async);
  g_task_set_task_data (gtask, job, (GDestroyNotify) read_job_free);
  g_task_run_in_thread (gtask, read_in_thread);
}

GHashTable *
ff_visit_status_read_finish (GAsyncResult  *result,
                             gboolean      *task_withdrawn,
                             GError       **error)
{
  ReadResult *read;
  GHashTable *statuses;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (task_withdrawn != NULL, NULL);

  read = g_task_propagate_pointer (G_TASK (result), error);
  if (read == NULL)
    return NULL;
  *task_withdrawn = read->task_withdrawn;
  statuses = g_steal_pointer (&read->statuses);
  g_free (read);
  return statuses;
}
