/* The upgrade of one terminal as a persisted state machine (architecture.md §1, steps 4–9): what
 * the workflow does, separated from what the technician decides. A UI presents its properties and
 * calls the decision methods; nothing here needs a display. */
#pragma once

#include <gio/gio.h>

#include "ff-crypto.h"
#include "ff-geo.h"
#include "ff-gps-source.h"
#include "ff-snapshot.h"
#include "ff-store.h"
#include "ff-task.h"

G_BEGIN_DECLS

/* Each state is written to the store before it starts, so a restarted workflow resumes there. The
 * states marked "decision" wait for the technician. */
typedef enum
{
  FF_WORKFLOW_STATE_NEW,
  FF_WORKFLOW_STATE_CONNECT,
  FF_WORKFLOW_STATE_IDENTIFY,
  FF_WORKFLOW_STATE_IDENTITY_MISMATCH,  /* decision: measure again, a supervisor's override, or
                                         * close */
  FF_WORKFLOW_STATE_READ_VERSION,
  FF_WORKFLOW_STATE_SNAPSHOT_BEFORE,
  FF_WORKFLOW_STATE_CONFIRM,            /* decision: confirm the push, or close */
  FF_WORKFLOW_STATE_PUSH,
  FF_WORKFLOW_STATE_RESET,
  FF_WORKFLOW_STATE_REBOOT_WAIT,
  FF_WORKFLOW_STATE_VERIFY,
  FF_WORKFLOW_STATE_SNAPSHOT_AFTER,
  FF_WORKFLOW_STATE_FAILED,             /* decision: roll back to the previous firmware, or close;
                                         * reached only when the terminal answered after the
                                         * failure and runs something other than that firmware */
  FF_WORKFLOW_STATE_REPORT,
  FF_WORKFLOW_STATE_DONE,
} FfWorkflowState;

#define FF_TYPE_WORKFLOW_STATE (ff_workflow_state_get_type ())
GType       ff_workflow_state_get_type    (void);
const char *ff_workflow_state_to_string   (FfWorkflowState state);

#define FF_WORKFLOW_ERROR (ff_workflow_error_quark ())

typedef enum
{
  FF_WORKFLOW_ERROR_NOT_IN_TASK,    /* the terminal is not an item of the task */
  FF_WORKFLOW_ERROR_CHECK_FAILED,   /* the terminal's answers fail a check (version, signals…) */
  FF_WORKFLOW_ERROR_BAD_DECISION,   /* a decision the current state does not take */
  FF_WORKFLOW_ERROR_DAMAGED_STATE,  /* the persisted state cannot be read */
} FfWorkflowError;

GQuark      ff_workflow_error_quark       (void);

#define FF_TYPE_WORKFLOW (ff_workflow_get_type ())
G_DECLARE_FINAL_TYPE (FfWorkflow, ff_workflow, FF, WORKFLOW, GObject)

/* A new visit needs an unexpired task (FF_DOCUMENT_ERROR_EXPIRED otherwise); a visit already
 * under way is resumed whatever the time.
 * Properties (read-only, notifying): "state" (FfWorkflowState), "device-id", "message" (what is
 * happening, for people), "failure" (why it stopped, or NULL), "bytes-sent", "bytes-total",
 * "bytes-per-second", "eta-seconds" (-1 unknown), "reboot-remaining-ms", "outcome" (report
 * outcome once decided, or NULL), "report-id", "settle-progress" (0 to 1: how far identify's
 * settling period is; notifies with each fix). Read-write: "gps-timeout" (seconds identify waits
 * for a settled fix; 30), "gps-settle-seconds" (identify's settling period; 5).
 * Signal "event" (const char *step, const char *message): one line of the report's event log, as
 * it is recorded. */
FfWorkflow     *ff_workflow_new               (FfStore       *store,
                                               FfGpsSource   *gps,
                                               GBytes        *task_document,
                                               const char    *device_id,
                                               const char    *tablet_serial,
                                               FfKey         *tablet_key,
                                               GError       **error);

FfWorkflowState ff_workflow_get_state         (FfWorkflow    *self);
const char     *ff_workflow_get_device_id     (FfWorkflow    *self);
const char     *ff_workflow_get_message       (FfWorkflow    *self);
const char     *ff_workflow_get_failure       (FfWorkflow    *self);
const char     *ff_workflow_get_outcome       (FfWorkflow    *self);
const char     *ff_workflow_get_report_id     (FfWorkflow    *self);
const FfTaskItem *ff_workflow_get_item        (FfWorkflow    *self);
const FfTask   *ff_workflow_get_task          (FfWorkflow    *self);
gboolean        ff_workflow_can_roll_back     (FfWorkflow    *self);
/* TRUE once a rollback was decided, until the visit is done (a resumed run goes on with it). */
gboolean        ff_workflow_is_rolling_back   (FfWorkflow    *self);

/* What the visit has read so far, for a UI to show; borrowed from the workflow. Each member is
 * NULL (or, for a snapshot, has no signal present) until the step that reads it has run, and is
 * set before "state" announces the next step, so a page refreshes on notify::state. */
typedef struct
{
  const char       *device_id_read;   /* 0x8009 as the terminal answered */
  gboolean          has_fix;          /* FALSE: identify found no GPS fix */
  FfGeoPoint        fix;              /* the fix the identity check used */
  FfGeoPoint        recorded;         /* the task's position of the terminal */
  gboolean          same_place;       /* the 1″ rule on fix and recorded */
  const char       *version_before;
  const char       *checksum_before;
  const char       *version_wanted;   /* the target, or the previous firmware while rolling back */
  const char       *version_after;
  const char       *checksum_after;
  const FfSnapshot *before;
  const FfSnapshot *after;
  guint             reboot_expected_ms;  /* how long the terminal's profile says a boot takes */
  guint             reconnect_attempts;  /* in this reboot wait, as "reboot-remaining-ms" ticks */
  /* identify's GPS evidence: while it measures (settling), the fixes of the period so far; after,
   * those the identity check used (fix is their median), none when the fix never settled. */
  gboolean          settling;
  double            settle_progress;     /* 0 to 1, as "settle-progress" */
  const FfGpsFix   *gps_fixes;
  guint             n_gps_fixes;
  guint             measurements;        /* settling periods run: 1 + each "Measure again" */
  gboolean          can_measure_again;   /* ff_workflow_measure_again() would be taken */
} FfWorkflowReadings;

void            ff_workflow_get_readings      (FfWorkflow          *self,
                                               FfWorkflowReadings  *readings);
double          ff_workflow_get_settle_progress (FfWorkflow        *self);

/* Runs from the persisted state until DONE (the report is saved and queued). Completes with an
 * error only when the workflow could not go on at all (storage full, cancelled); everything that
 * happens to the terminal ends in a report instead. */
void            ff_workflow_run_async         (FfWorkflow          *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean        ff_workflow_run_finish        (FfWorkflow          *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* The technician's decisions. Each returns FALSE with FF_WORKFLOW_ERROR_BAD_DECISION when the
 * workflow is not waiting for it. */
gboolean        ff_workflow_confirm_push      (FfWorkflow    *self,
                                               GError       **error);
/* An identity override needs a supervisor the task names and that supervisor's PIN, checked by
 * ff_supervisor_authorize() (three wrong PINs lock overrides until the next sync), and a reason.
 * The blocking form runs scrypt and sqlite on the calling thread (the cli); a UI uses the async
 * form, which checks in a worker. */
gboolean        ff_workflow_override_identity (FfWorkflow    *self,
                                               const char    *supervisor,
                                               const char    *pin,
                                               const char    *reason,
                                               GError       **error);
void            ff_workflow_override_identity_async  (FfWorkflow          *self,
                                                      const char          *supervisor,
                                                      const char          *pin,
                                                      const char          *reason,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        ff_workflow_override_identity_finish (FfWorkflow          *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
/* The rollback's push waits for a restarting terminal and asks it first: one that runs the
 * previous firmware already is not pushed to, and the visit closes as failed saying so. */
gboolean        ff_workflow_roll_back         (FfWorkflow    *self,
                                               GError       **error);
/* In identity-mismatch, when the terminal answered with the task's device ID (a position
 * mismatch or no settled fix): a new settling period, then the identity check again. */
gboolean        ff_workflow_can_measure_again (FfWorkflow    *self);
gboolean        ff_workflow_measure_again     (FfWorkflow    *self,
                                               GError       **error);
/* While the terminal restarts: the next reconnect try now, not after the pause. */
gboolean        ff_workflow_reconnect_now     (FfWorkflow    *self,
                                               GError       **error);
/* Reopens a finished visit (DONE) for a new visit of the same task item, e.g. to try again after a
 * failure: a supervisor the task names and that supervisor's PIN (as for an override; a wrong PIN
 * counts against the finished visit), and an unexpired task. The new visit starts at NEW; run it
 * with ff_workflow_run_async(). Its report names the earlier one ("follows") and the supervisor;
 * the earlier report stays stored and queued as it was. */
gboolean        ff_workflow_reopen            (FfWorkflow          *self,
                                               const char          *supervisor,
                                               const char          *pin,
                                               GError             **error);
void            ff_workflow_reopen_async      (FfWorkflow          *self,
                                               const char          *supervisor,
                                               const char          *pin,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean        ff_workflow_reopen_finish     (FfWorkflow          *self,
                                               GAsyncResult        *result,
                                               GError             **error);
/* Ends a waiting workflow without going further: the report says identity-mismatch (aborted when
 * there was simply no GPS fix), aborted or failed, depending on where it stopped. */
gboolean        ff_workflow_close             (FfWorkflow    *self,
                                               GError       **error);

G_END_DECLS
