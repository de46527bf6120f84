/* The technician's decisions: confirm, override, measure again, reopen, roll back, close. */
#include "config.h"

#include "ff-workflow-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "ff-supervisor.h"

/* ---- decisions ------------------------------------------------------------------------------ */

static gboolean
expect_state (FfWorkflow *self, FfWorkflowState state, GError **error)
{
  /* A decision already taken moves the state only once the store has it; a second tap or a
   * second prompt answered in that window must not take it again (it would push twice). */
  if (self->state == state && self->run != NULL && !self->advancing)
    return TRUE;
  g_set_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION,
               _("The workflow of %s is at “%s” and is not waiting for this decision."),
               self->item->device_id, ff_workflow_current_step (self));
  return FALSE;
}

gboolean
ff_workflow_confirm_push (FfWorkflow  *self,
                          GError     **error)
{
  if (!expect_state (self, FF_WORKFLOW_STATE_CONFIRM, error))
    return FALSE;
  ff_workflow_record_eventf (self, "confirm", _("The technician confirmed the push of %s."),
                             self->item->target.version);
  ff_workflow_advance (self, FF_WORKFLOW_STATE_PUSH);
  return TRUE;
}

/* The failed PINs of one visit count together, whatever page or program asked. */
static char *
visit_key (FfWorkflow *self)
{
  if (self->ctx.follows != NULL)
    return g_strdup_printf ("%s/%s/%s", self->task->task_id, self->item->device_id,
                            self->ctx.follows);
  return g_strdup_printf ("%s/%s", self->task->task_id, self->item->device_id);
}

static char *
clean_text (const char *text)
{
  return g_strstrip (g_strdup (text != NULL ? text : ""));
}

static gboolean
check_override (FfWorkflow  *self,
                const char  *supervisor,
                const char  *reason,
                GError     **error)
{
  g_autofree char *clean_reason = clean_text (reason);
  g_autofree char *clean_by = clean_text (supervisor);

  if (!expect_state (self, FF_WORKFLOW_STATE_IDENTITY_MISMATCH, error))
    return FALSE;
  if (*clean_reason == '\0' || *clean_by == '\0')
    {
      g_set_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION,
                   _("An override needs a supervisor, the supervisor’s PIN and a typed reason."));
      return FALSE;
    }
  return TRUE;
}

/* After ff_supervisor_authorize() accepted the supervisor's PIN. */
static gboolean
apply_override (FfWorkflow  *self,
                const char  *supervisor,
                const char  *reason,
                GError     **error)
{
  if (!check_override (self, supervisor, reason, error))
    return FALSE;
  g_free (self->ctx.override_by);
  self->ctx.override_by = clean_text (supervisor);
  g_free (self->ctx.override_reason);
  self->ctx.override_reason = clean_text (reason);
  ff_workflow_set_failure (self, NULL, NULL);
  ff_workflow_record_eventf (self, "identify", _("Identity overridden by supervisor %s: %s"),
                             self->ctx.override_by, self->ctx.override_reason);
  if (!ff_workflow_refuse_other_hardware (self))
    ff_workflow_advance (self, FF_WORKFLOW_STATE_READ_VERSION);
  return TRUE;
}

gboolean
ff_workflow_override_identity (FfWorkflow  *self,
                               const char  *supervisor,
                               const char  *pin,
                               const char  *reason,
                               GError     **error)
{
  g_autofree char *visit = visit_key (self);
  g_autofree char *clean_by = clean_text (supervisor);

  return check_override (self, supervisor, reason, error)
         && ff_supervisor_authorize (self->store, self->task, visit, clean_by, pin, error)
         && apply_override (self, supervisor, reason, error);
}

typedef struct
{
  FfWorkflow *self;
  char       *visit;
  char       *supervisor;
  char       *pin;
  char       *reason;
} Authorization;

static void
authorization_free (Authorization *authorization)
{
  g_object_unref (authorization->self);
  g_free (authorization->visit);
  g_free (authorization->supervisor);
  if (authorization->pin != NULL)
    memset (authorization->pin, 0, strlen (authorization->pin));
  g_free (authorization->pin);
  g_free (authorization->reason);
  g_free (authorization);
}

/* In a worker: the task is never changed after ff_workflow_new(), so reading it here is safe. */
static gboolean
authorize_job (FfStore   *store,
               gpointer   data,
               GError   **error)
{
  Authorization *authorization = data;

  return ff_supervisor_authorize (store, authorization->self->task, authorization->visit,
                                  authorization->supervisor, authorization->pin, error);
}

static void
authorized (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Authorization *authorization = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (source), result, &error)
      || !apply_override (authorization->self, authorization->supervisor, authorization->reason,
                          &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
ff_workflow_override_identity_async (FfWorkflow          *self,
                                     const char          *supervisor,
                                     const char          *pin,
                                     const char          *reason,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Authorization *authorization;
  GError *error = NULL;

  g_task_set_source_tag (task, ff_workflow_override_identity_async);
  if (!check_override (self, supervisor, reason, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  authorization = g_new0 (Authorization, 1);
  authorization->self = g_object_ref (self);
  authorization->visit = visit_key (self);
  authorization->supervisor = clean_text (supervisor);
  authorization->pin = g_strdup (pin != NULL ? pin : "");
  authorization->reason = g_strdup (reason);
  g_task_set_task_data (task, authorization, (GDestroyNotify) authorization_free);
  /* The store job borrows the data the GTask owns, and the GTask outlives the job. */
  ff_store_run_async (self->store, authorize_job, authorization, NULL, cancellable, authorized,
                      task);
}

gboolean
ff_workflow_override_identity_finish (FfWorkflow    *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- reopening a finished visit ---------------------------------------------------------- */

typedef struct
{
  FfWorkflow *self;
  char       *visit;       /* the finished visit, whose attempts a wrong PIN counts against */
  char       *supervisor;
  char       *pin;
  Context     next;        /* the new visit's context, written as its "new" state */
  char       *next_data;
} Reopening;

static void
reopening_free (Reopening *reopening)
{
  g_object_unref (reopening->self);
  g_free (reopening->visit);
  g_free (reopening->supervisor);
  if (reopening->pin != NULL)
    memset (reopening->pin, 0, strlen (reopening->pin));
  g_free (reopening->pin);
  ff_workflow_context_clear (&reopening->next);
  g_free (reopening->next_data);
  g_free (reopening);
}

static gboolean
check_reopen (FfWorkflow  *self,
              const char  *supervisor,
              GError     **error)
{
  g_autofree char *clean_by = clean_text (supervisor);

  if (self->state != FF_WORKFLOW_STATE_DONE || self->run != NULL)
    {
      g_set_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION,
                   _("The visit of %s is at “%s”: only a finished visit can be reopened."),
                   self->item->device_id, ff_workflow_current_step (self));
      return FALSE;
    }
  if (*clean_by == '\0')
    {
      g_set_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION,
                   _("Reopening a visit needs a supervisor and the supervisor’s PIN."));
      return FALSE;
    }
  /* An expired task starts no new visit, reopened or not (nor a withdrawn one: reopen_job). */
  return ff_task_check_expiry (self->task, g_get_real_time () / G_USEC_PER_SEC, error);
}

static Reopening *
reopening_new (FfWorkflow *self,
               const char *supervisor,
               const char *pin)
{
  Reopening *reopening = g_new0 (Reopening, 1);
  g_autofree char *message = NULL;
  Event *event = g_new0 (Event, 1);

  reopening->self = g_object_ref (self);
  reopening->visit = visit_key (self);
  reopening->supervisor = clean_text (supervisor);
  reopening->pin = g_strdup (pin != NULL ? pin : "");
  ff_workflow_context_init (&reopening->next);
  reopening->next.follows = g_strdup (self->ctx.report_id);
  reopening->next.reopened_by = g_strdup (reopening->supervisor);
  event->time = g_get_real_time () / G_USEC_PER_SEC;
  event->step = g_strdup ("new");
  event->message = g_strdup_printf (_("Visit reopened by supervisor %s; it follows report %s."),
                                    reopening->supervisor, self->ctx.report_id);
  g_ptr_array_add (reopening->next.events, event);
  reopening->next_data = ff_workflow_context_serialize (&reopening->next);
  return reopening;
}

/* In a worker, or on the caller's thread for the blocking form: the PIN, then the new visit's
 * state, which replaces the finished one's (its report stays stored and queued). */
static gboolean
reopen_job (FfStore   *store,
            gpointer   data,
            GError   **error)
{
  Reopening *reopening = data;
  FfWorkflow *self = reopening->self;

  /* Asked before the PIN, so that a withdrawn task costs no attempt. */
  return ff_store_check_task_not_withdrawn (store, self->task->task_id, error)
         && ff_supervisor_authorize (store, self->task, reopening->visit, reopening->supervisor,
                                     reopening->pin, error)
         && ff_store_save_workflow (store, self->task->task_id, self->item->device_id,
                                    ff_workflow_state_to_string (FF_WORKFLOW_STATE_NEW),
                                    reopening->next_data, error);
}

static void
apply_reopen (Reopening *reopening)
{
  FfWorkflow *self = reopening->self;
  Event *event = g_ptr_array_index (reopening->next.events, 0);

  ff_workflow_context_clear (&self->ctx);
  self->ctx = reopening->next;
  memset (&reopening->next, 0, sizeof reopening->next);
  ff_workflow_set_failure (self, NULL, NULL);
  ff_workflow_set_message (self, event->message);
  g_signal_emit (self, ff_workflow_signals[SIGNAL_EVENT], 0, event->step, event->message);
  self->state = FF_WORKFLOW_STATE_NEW;
  g_object_notify_by_pspec (G_OBJECT (self), ff_workflow_properties[PROP_STATE]);
}

gboolean
ff_workflow_reopen (FfWorkflow  *self,
                    const char  *supervisor,
                    const char  *pin,
                    GError     **error)
{
  Reopening *reopening;
  gboolean ok;

  if (!check_reopen (self, supervisor, error))
    return FALSE;
  reopening = reopening_new (self, supervisor, pin);
  ok = reopen_job (self->store, reopening, error);
  if (ok)
    apply_reopen (reopening);
  reopening_free (reopening);
  return ok;
}

static void
reopened (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Reopening *reopening = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  apply_reopen (reopening);
  g_task_return_boolean (task, TRUE);
}

void
ff_workflow_reopen_async (FfWorkflow          *self,
                          const char          *supervisor,
                          const char          *pin,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Reopening *reopening;
  GError *error = NULL;

  g_task_set_source_tag (task, ff_workflow_reopen_async);
  if (!check_reopen (self, supervisor, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  reopening = reopening_new (self, supervisor, pin);
  g_task_set_task_data (task, reopening, (GDestroyNotify) reopening_free);
  /* Not cancellable once asked, like every state write: the store never lags the workflow. */
  ff_store_run_async (self->store, reopen_job, reopening, NULL, NULL, reopened, task);
}

gboolean
ff_workflow_reopen_finish (FfWorkflow    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
ff_workflow_can_measure_again (FfWorkflow *self)
{
  return self->state == FF_WORKFLOW_STATE_IDENTITY_MISMATCH
         && g_strcmp0 (self->ctx.device_id_read, self->item->device_id) == 0;
}

gboolean
ff_workflow_measure_again (FfWorkflow  *self,
                           GError     **error)
{
  if (!expect_state (self, FF_WORKFLOW_STATE_IDENTITY_MISMATCH, error))
    return FALSE;
  if (!ff_workflow_can_measure_again (self))
    {
      g_set_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION,
                   _("The terminal reports device ID “%s”, the task expects “%s”: measuring the "
                     "position again cannot change that."),
                   self->ctx.device_id_read, self->item->device_id);
      return FALSE;
    }
  ff_workflow_set_failure (self, NULL, NULL);
  ff_workflow_record_event (self, "identify", _("The technician measures the position again."));
  ff_workflow_advance (self, FF_WORKFLOW_STATE_IDENTIFY);
  return TRUE;
}

gboolean
ff_workflow_can_roll_back (FfWorkflow *self)
{
  return self->item->previous != NULL && !self->ctx.rolling_back;
}

gboolean
ff_workflow_is_rolling_back (FfWorkflow *self)
{
  return self->ctx.rolling_back && self->state != FF_WORKFLOW_STATE_DONE;
}

gboolean
ff_workflow_roll_back (FfWorkflow  *self,
                       GError     **error)
{
  if (!expect_state (self, FF_WORKFLOW_STATE_FAILED, error))
    return FALSE;
  self->ctx.rolling_back = TRUE;
  /* The report's transfer is the rollback's from now on: its retries count afresh. */
  self->ctx.push_attempts = 0;
  self->ctx.transferred = FALSE;
  self->ctx.finish_sent = FALSE;
  self->ctx.probing_staged = FALSE;
  ff_workflow_record_eventf (self, "failed", _("The technician chose to roll back to %s."),
                             self->item->previous->version);
  ff_workflow_advance (self, FF_WORKFLOW_STATE_PUSH);
  return TRUE;
}

gboolean
ff_workflow_close (FfWorkflow  *self,
                   GError     **error)
{
  gboolean have_fix = isfinite (self->ctx.fix_latitude);
  gboolean same_device = g_strcmp0 (self->ctx.device_id_read, self->item->device_id) == 0;

  if (self->run == NULL || self->advancing
      || (self->state != FF_WORKFLOW_STATE_IDENTITY_MISMATCH
          && self->state != FF_WORKFLOW_STATE_CONFIRM && self->state != FF_WORKFLOW_STATE_FAILED))
    return expect_state (self, FF_WORKFLOW_STATE_CONFIRM, error);
  switch (self->state)
    {
    case FF_WORKFLOW_STATE_IDENTITY_MISMATCH:
      /* Without a GPS fix nothing says this is the wrong terminal: the visit is only cut short,
       * and the platform keeps the item open for another try. */
      ff_workflow_set_outcome (self, have_fix || !same_device ? "identity-mismatch" : "aborted");
      break;
    case FF_WORKFLOW_STATE_CONFIRM:
      ff_workflow_set_failure (self, "confirm", _("The technician did not confirm the push."));
      ff_workflow_set_outcome (self, "aborted");
      break;
    default:
      ff_workflow_set_outcome (self, "failed");
      break;
    }
  ff_workflow_record_event (self, ff_workflow_current_step (self),
                            _("The technician closed the visit here."));
  ff_workflow_advance (self, FF_WORKFLOW_STATE_REPORT);
  return TRUE;
}

gboolean
ff_workflow_reconnect_now (FfWorkflow  *self,
                           GError     **error)
{
  g_return_val_if_fail (FF_IS_WORKFLOW (self), FALSE);

  if (self->state != FF_WORKFLOW_STATE_REBOOT_WAIT || self->run == NULL)
    return expect_state (self, FF_WORKFLOW_STATE_REBOOT_WAIT, error);
  /* Between two tries it tries at once; during a try there is nothing to hurry. */
  ff_iec104_conn_reconnect_now (self->conn);
  return TRUE;
}

