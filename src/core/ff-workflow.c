/* The upgrade of one terminal as a persisted state machine (architecture.md §1, steps 4–9). */
#include "config.h"

#include "ff-workflow.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "ff-geo.h"
#include "ff-gps-settle.h"
#include "ff-iec104-conn.h"
#include "ff-profile.h"
#include "ff-quality.h"
#include "ff-report.h"
#include "ff-snapshot.h"
#include "ff-supervisor.h"
#include "ff-version.h"

#define DEFAULT_GPS_TIMEOUT_SECONDS 30
#define DEFAULT_GPS_SETTLE_SECONDS 5

G_DEFINE_ENUM_TYPE (FfWorkflowState, ff_workflow_state,
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_NEW, "new"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_CONNECT, "connect"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_IDENTIFY, "identify"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_IDENTITY_MISMATCH, "identity-mismatch"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_READ_VERSION, "read-version"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_SNAPSHOT_BEFORE, "snapshot-before"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_CONFIRM, "confirm"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_PUSH, "push"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_RESET, "reset"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_REBOOT_WAIT, "reboot-wait"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_VERIFY, "verify"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_SNAPSHOT_AFTER, "snapshot-after"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_REPORT, "report"),
  G_DEFINE_ENUM_VALUE (FF_WORKFLOW_STATE_DONE, "done"))

G_DEFINE_QUARK (ff-workflow-error-quark, ff_workflow_error)

const char *
ff_workflow_state_to_string (FfWorkflowState state)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (FF_TYPE_WORKFLOW_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);

  return value != NULL ? value->value_nick : NULL;
}

static gboolean
state_from_string (const char *text, FfWorkflowState *state)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (FF_TYPE_WORKFLOW_STATE);
  GEnumValue *value = text != NULL ? g_enum_get_value_by_nick (klass, text) : NULL;

  if (value == NULL)
    return FALSE;
  *state = value->value;
  return TRUE;
}

typedef struct
{
  gint64  time;
  char   *step;
  char   *message;
} Event;

static void
event_free (Event *event)
{
  g_free (event->step);
  g_free (event->message);
  g_free (event);
}

/* Everything the report will need, gathered step by step and persisted with each state. */
typedef struct
{
  GPtrArray  *events;
  gboolean    identity_present;
  char       *device_id_read;
  char       *hardware_read;    /* 0x8004, checked against the target firmware's hardware */
  double      fix_latitude;     /* the median of the settled fixes */
  double      fix_longitude;
  int         fix_mode;
  double      fix_age;
  GArray     *gps_fixes;        /* of FfGpsFix: the settled fixes the identity check used */
  guint       measurements;     /* settling periods run: 1 + each "Measure again" */
  double      settle_seconds;   /* the settling period they were measured with */
  char       *override_by;
  char       *override_reason;
  char       *version_before;
  char       *checksum_before;
  char       *version_after;
  char       *checksum_after;
  FfSnapshot  before;
  FfSnapshot  after;
  gboolean    transferred;
  guint       push_attempts;    /* transfers of the wanted image begun, cut short ones too */
  gboolean    finish_sent;      /* the image is written and its 211 finish may have gone out */
  gboolean    probing_staged;   /* restarted to see whether an image staged before a stop takes */
  gint64      transfer_bytes;
  guint       transfer_segments;
  double      transfer_seconds;
  char       *failure_reason;
  char       *failure_step;
  gboolean    rolling_back;
  char       *outcome;
  char       *report_id;
  gint64      created_at;
  char       *follows;          /* a reopened visit: the earlier visit's report, and */
  char       *reopened_by;      /* the supervisor who reopened it */
} Context;

/* A new visit's context: nothing read yet. */
static void
context_init (Context *ctx)
{
  memset (ctx, 0, sizeof *ctx);
  ctx->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  ctx->gps_fixes = g_array_new (FALSE, FALSE, sizeof (FfGpsFix));
}

static void
context_clear (Context *ctx)
{
  g_clear_pointer (&ctx->events, g_ptr_array_unref);
  g_clear_pointer (&ctx->gps_fixes, g_array_unref);
  g_free (ctx->device_id_read);
  g_free (ctx->hardware_read);
  g_free (ctx->override_by);
  g_free (ctx->override_reason);
  g_free (ctx->version_before);
  g_free (ctx->checksum_before);
  g_free (ctx->version_after);
  g_free (ctx->checksum_after);
  g_free (ctx->failure_reason);
  g_free (ctx->failure_step);
  g_free (ctx->outcome);
  g_free (ctx->report_id);
  g_free (ctx->follows);
  g_free (ctx->reopened_by);
  memset (ctx, 0, sizeof *ctx);
}

struct _FfWorkflow
{
  GObject          parent_instance;

  FfStore         *store;
  FfGpsSource     *gps;
  FfKey           *tablet_key;
  FfTask          *task;            /* a private copy, parsed from the document */
  FfTaskItem      *item;            /* borrowed from task */
  char            *tablet_serial;
  FfProfile       *profile;
  FfIec104Conn    *conn;

  FfWorkflowState  state;
  gboolean         advancing;       /* the next state is being written: take no decision now */
  Context          ctx;
  GTask           *run;             /* the run in progress, or NULL */
  gulong           cancelled_id;
  guint            cancelled_idle_id;
  GBytes          *image;           /* the image being pushed */
  gint64           push_started_us;
  gboolean         transferring;    /* this run has a transfer to the terminal under way */
  gboolean         stop_explained;  /* a stopped push already said what it left behind */

  char            *message;
  guint64          bytes_sent;
  guint64          bytes_total;
  double           bytes_per_second;
  double           eta_seconds;
  gint64           reboot_remaining_ms;
  guint            reconnect_attempts;
  guint            gps_timeout_seconds;
  double           gps_settle_seconds;
  FfGpsSettle     *settle;          /* identify's settling period while it runs */
};

G_DEFINE_FINAL_TYPE (FfWorkflow, ff_workflow, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STATE,
  PROP_DEVICE_ID,
  PROP_MESSAGE,
  PROP_FAILURE,
  PROP_BYTES_SENT,
  PROP_BYTES_TOTAL,
  PROP_BYTES_PER_SECOND,
  PROP_ETA_SECONDS,
  PROP_REBOOT_REMAINING_MS,
  PROP_OUTCOME,
  PROP_REPORT_ID,
  PROP_GPS_TIMEOUT,
  PROP_GPS_SETTLE_SECONDS,
  PROP_SETTLE_PROGRESS,
  N_PROPS
};

enum
{
  SIGNAL_EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef void (*Continuation) (FfWorkflow *self);

static void advance (FfWorkflow *self, FfWorkflowState next);
static void run_state (FfWorkflow *self);
static void stop_push (FfWorkflow *self);
static void settle_failure (FfWorkflow *self);

/* ---- persistence of the context ------------------------------------------------------------ */

static void
dict_put_string (GVariantDict *dict, const char *key, const char *value)
{
  if (value != NULL)
    g_variant_dict_insert (dict, key, "s", value);
}

static char *
dict_get_string (GVariantDict *dict, const char *key)
{
  char *value = NULL;

  g_variant_dict_lookup (dict, key, "s", &value);
  return value;
}

static void
dict_put_snapshot (GVariantDict *dict, const char *key, const FfSnapshot *snapshot)
{
  GVariantBuilder builder;
  g_autofree char *quality_key = NULL;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(bu)"));
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    {
      guint32 bits;

      memcpy (&bits, &snapshot->values[s], sizeof bits);
      g_variant_builder_add (&builder, "(bu)", snapshot->present[s], bits);
    }
  g_variant_dict_insert_value (dict, key, g_variant_builder_end (&builder));
  /* Under a key of its own, so a state saved before qualities were kept still reads (as good). */
  quality_key = g_strconcat (key, "-quality", NULL);
  g_variant_dict_insert_value (dict, quality_key,
                               g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, snapshot->quality,
                                                          FF_N_SIGNALS, 1));
}

static void
dict_get_snapshot (GVariantDict *dict, const char *key, FfSnapshot *snapshot)
{
  g_autoptr(GVariantIter) iter = NULL;
  g_autoptr(GVariant) quality = NULL;
  g_autofree char *quality_key = g_strconcat (key, "-quality", NULL);
  gboolean present;
  guint32 bits;
  guint s = 0;

  memset (snapshot, 0, sizeof *snapshot);
  if (!g_variant_dict_lookup (dict, key, "a(bu)", &iter))
    return;
  while (s < FF_N_SIGNALS && g_variant_iter_next (iter, "(bu)", &present, &bits))
    {
      snapshot->present[s] = present;
      memcpy (&snapshot->values[s], &bits, sizeof bits);
      s++;
    }
  quality = g_variant_dict_lookup_value (dict, quality_key, G_VARIANT_TYPE_BYTESTRING);
  if (quality != NULL)
    {
      gsize n;
      const guint8 *flags = g_variant_get_fixed_array (quality, &n, 1);

      memcpy (snapshot->quality, flags, MIN (n, (gsize) FF_N_SIGNALS));
    }
}

static char *
context_serialize (const Context *ctx)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  GVariantBuilder events;
  g_autoptr(GVariant) variant = NULL;

  g_variant_builder_init (&events, G_VARIANT_TYPE ("a(xss)"));
  for (guint i = 0; i < ctx->events->len; i++)
    {
      Event *event = ctx->events->pdata[i];
      g_variant_builder_add (&events, "(xss)", event->time, event->step, event->message);
    }
  g_variant_dict_insert_value (&dict, "events", g_variant_builder_end (&events));
  g_variant_dict_insert (&dict, "identity", "b", ctx->identity_present);
  dict_put_string (&dict, "device-id-read", ctx->device_id_read);
  dict_put_string (&dict, "hardware-read", ctx->hardware_read);
  g_variant_dict_insert (&dict, "fix", "(ddid)", ctx->fix_latitude, ctx->fix_longitude,
                         ctx->fix_mode, ctx->fix_age);
  g_variant_dict_insert_value (&dict, "gps-fixes",
                               ff_gps_fixes_to_variant ((const FfGpsFix *) ctx->gps_fixes->data,
                                                        ctx->gps_fixes->len));
  g_variant_dict_insert (&dict, "gps-settling", "(ud)", ctx->measurements, ctx->settle_seconds);
  dict_put_string (&dict, "override-by", ctx->override_by);
  dict_put_string (&dict, "override-reason", ctx->override_reason);
  dict_put_string (&dict, "version-before", ctx->version_before);
  dict_put_string (&dict, "checksum-before", ctx->checksum_before);
  dict_put_string (&dict, "version-after", ctx->version_after);
  dict_put_string (&dict, "checksum-after", ctx->checksum_after);
  dict_put_snapshot (&dict, "before", &ctx->before);
  dict_put_snapshot (&dict, "after", &ctx->after);
  g_variant_dict_insert (&dict, "transfer", "(bxud)", ctx->transferred, ctx->transfer_bytes,
                         ctx->transfer_segments, ctx->transfer_seconds);
  g_variant_dict_insert (&dict, "push-attempts", "u", ctx->push_attempts);
  g_variant_dict_insert (&dict, "finish-sent", "b", ctx->finish_sent);
  g_variant_dict_insert (&dict, "probing-staged", "b", ctx->probing_staged);
  dict_put_string (&dict, "failure-reason", ctx->failure_reason);
  dict_put_string (&dict, "failure-step", ctx->failure_step);
  g_variant_dict_insert (&dict, "rolling-back", "b", ctx->rolling_back);
  dict_put_string (&dict, "outcome", ctx->outcome);
  dict_put_string (&dict, "report-id", ctx->report_id);
  g_variant_dict_insert (&dict, "created-at", "x", ctx->created_at);
  dict_put_string (&dict, "follows", ctx->follows);
  dict_put_string (&dict, "reopened-by", ctx->reopened_by);
  variant = g_variant_ref_sink (g_variant_dict_end (&dict));
  return g_variant_print (variant, TRUE);
}

static gboolean
context_parse (const char *text, Context *ctx)
{
  g_autoptr(GVariant) variant = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL, NULL);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GVariantIter) events = NULL;
  gint64 time;
  char *step, *message;

  if (variant == NULL)
    return FALSE;
  g_variant_dict_init (&dict, variant);
  ctx->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  if (g_variant_dict_lookup (&dict, "events", "a(xss)", &events))
    while (g_variant_iter_next (events, "(xss)", &time, &step, &message))
      {
        Event *event = g_new0 (Event, 1);

        event->time = time;
        event->step = step;
        event->message = message;
        g_ptr_array_add (ctx->events, event);
      }
  g_variant_dict_lookup (&dict, "identity", "b", &ctx->identity_present);
  ctx->device_id_read = dict_get_string (&dict, "device-id-read");
  ctx->hardware_read = dict_get_string (&dict, "hardware-read");
  g_variant_dict_lookup (&dict, "fix", "(ddid)", &ctx->fix_latitude, &ctx->fix_longitude,
                         &ctx->fix_mode, &ctx->fix_age);
  {
    g_autoptr(GVariant) fixes = g_variant_dict_lookup_value (&dict, "gps-fixes", NULL);

    ctx->gps_fixes = ff_gps_fixes_from_variant (fixes);
  }
  g_variant_dict_lookup (&dict, "gps-settling", "(ud)", &ctx->measurements, &ctx->settle_seconds);
  ctx->override_by = dict_get_string (&dict, "override-by");
  ctx->override_reason = dict_get_string (&dict, "override-reason");
  ctx->version_before = dict_get_string (&dict, "version-before");
  ctx->checksum_before = dict_get_string (&dict, "checksum-before");
  ctx->version_after = dict_get_string (&dict, "version-after");
  ctx->checksum_after = dict_get_string (&dict, "checksum-after");
  dict_get_snapshot (&dict, "before", &ctx->before);
  dict_get_snapshot (&dict, "after", &ctx->after);
  g_variant_dict_lookup (&dict, "transfer", "(bxud)", &ctx->transferred, &ctx->transfer_bytes,
                         &ctx->transfer_segments, &ctx->transfer_seconds);
  g_variant_dict_lookup (&dict, "push-attempts", "u", &ctx->push_attempts);
  g_variant_dict_lookup (&dict, "finish-sent", "b", &ctx->finish_sent);
  g_variant_dict_lookup (&dict, "probing-staged", "b", &ctx->probing_staged);
  ctx->failure_reason = dict_get_string (&dict, "failure-reason");
  ctx->failure_step = dict_get_string (&dict, "failure-step");
  g_variant_dict_lookup (&dict, "rolling-back", "b", &ctx->rolling_back);
  ctx->outcome = dict_get_string (&dict, "outcome");
  ctx->report_id = dict_get_string (&dict, "report-id");
  g_variant_dict_lookup (&dict, "created-at", "x", &ctx->created_at);
  ctx->follows = dict_get_string (&dict, "follows");
  ctx->reopened_by = dict_get_string (&dict, "reopened-by");
  return TRUE;
}

/* ---- presentation helpers ------------------------------------------------------------------- */

static void
set_message (FfWorkflow *self, const char *message)
{
  if (g_strcmp0 (self->message, message) == 0)
    return;
  g_free (self->message);
  self->message = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

static void
record_event (FfWorkflow *self, const char *step, const char *message)
{
  Event *event = g_new0 (Event, 1);

  event->time = g_get_real_time () / G_USEC_PER_SEC;
  event->step = g_strdup (step);
  event->message = g_strdup (message);
  g_ptr_array_add (self->ctx.events, event);
  set_message (self, message);
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, step, message);
}

static void G_GNUC_PRINTF (3, 4)
record_eventf (FfWorkflow *self, const char *step, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  record_event (self, step, message);
}

static void
set_outcome (FfWorkflow *self, const char *outcome)
{
  g_free (self->ctx.outcome);
  self->ctx.outcome = g_strdup (outcome);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTCOME]);
}

static void
set_failure (FfWorkflow *self, const char *step, const char *reason)
{
  char *new_step = g_strdup (step);
  char *new_reason = g_strdup (reason);

  /* @step may be the current failure step itself. */
  g_free (self->ctx.failure_step);
  g_free (self->ctx.failure_reason);
  self->ctx.failure_step = new_step;
  self->ctx.failure_reason = new_reason;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILURE]);
}

static const char *
current_step (FfWorkflow *self)
{
  return ff_workflow_state_to_string (self->state);
}

/* What the terminal should run in the end: the target, or the previous firmware in a rollback. */
static const FfFirmwareRef *
wanted_firmware (FfWorkflow *self)
{
  return self->ctx.rolling_back ? self->item->previous : &self->item->target;
}

/* ---- running -------------------------------------------------------------------------------- */

static gboolean
is_cancelled (GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* What a stop leaves the terminal in, for people, by the step it stopped in. */
static const char *
stopped_message (FfWorkflow *self)
{
  if (self->state < FF_WORKFLOW_STATE_PUSH && !self->ctx.rolling_back)
    return _("Stopped before anything was written: the terminal runs its firmware unchanged. "
             "The visit goes on from this step.");
  if (self->state == FF_WORKFLOW_STATE_PUSH && self->ctx.push_attempts == 0)
    return _("Stopped before a transfer began: nothing was written to the terminal in this "
             "step. The visit goes on from this step.");
  if (self->state == FF_WORKFLOW_STATE_REPORT)
    return _("Stopped while the report was being written: the visit goes on and saves it.");
  return _("Stopped after the firmware was sent: the terminal may be restarting or already "
           "running it. The visit goes on from this step and checks its version.");
}

static void
finish_run (FfWorkflow *self, GError *error)
{
  g_autoptr(GTask) run = g_steal_pointer (&self->run);

  if (run != NULL && is_cancelled (error) && !self->stop_explained)
    set_message (self, stopped_message (self));

  if (run == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (self->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (run), self->cancelled_id);
  self->cancelled_id = 0;
  g_clear_handle_id (&self->cancelled_idle_id, g_source_remove);
  if (error != NULL)
    g_task_return_error (run, error);
  else
    g_task_return_boolean (run, TRUE);
}

static GCancellable *
run_cancellable (FfWorkflow *self)
{
  return self->run != NULL ? g_task_get_cancellable (self->run) : NULL;
}

/* Something went wrong in the current step. Before anything was written to the terminal the visit
 * simply ends (aborted): also in push, until a transfer has begun. Once one has, the terminal is
 * asked what it runs now (settle_failure), and only then is a rollback offered. Cancellation
 * stops the run and leaves the persisted state for a resume; a push stopped half way first tells
 * the terminal (whatever else went wrong as the technician stopped it). */
static void
step_failed (FfWorkflow *self, GError *error)
{
  const char *step = current_step (self);
  gboolean firmware_touched = self->state > FF_WORKFLOW_STATE_PUSH || self->ctx.rolling_back
                              || (self->state == FF_WORKFLOW_STATE_PUSH
                                  && self->ctx.push_attempts > 0);
  gboolean transfer_cut = self->transferring;

  self->transferring = FALSE;
  if (transfer_cut
      && (is_cancelled (error) || g_cancellable_is_cancelled (run_cancellable (self))))
    {
      g_error_free (error);
      stop_push (self);
      return;
    }
  if (is_cancelled (error))
    {
      finish_run (self, error);
      return;
    }
  record_event (self, step, error->message);
  if (!firmware_touched)
    {
      if (self->state == FF_WORKFLOW_STATE_PUSH)
        record_eventf (self, step, _("Nothing was written to %s: it runs its firmware unchanged, "
                                     "and the visit ends without an upgrade."),
                       self->item->device_id);
      set_failure (self, step, error->message);
      set_outcome (self, "aborted");
      advance (self, FF_WORKFLOW_STATE_REPORT);
    }
  else if (self->ctx.rolling_back)
    {
      /* The rollback failed too: report the first failure and this one. */
      g_autofree char *reason = g_strdup_printf (_("%s; the rollback failed: %s"),
                                                 self->ctx.failure_reason, error->message);

      set_failure (self, self->ctx.failure_step, reason);
      set_outcome (self, "failed");
      settle_failure (self);
    }
  else
    {
      set_failure (self, step, error->message);
      set_outcome (self, "failed");
      settle_failure (self);
    }
  g_error_free (error);
}

static void
step_failed_literal (FfWorkflow *self, GQuark domain, int code, const char *message)
{
  step_failed (self, g_error_new_literal (domain, code, message));
}

typedef struct
{
  FfWorkflow      *self;
  FfWorkflowState  state;
  char            *data;
  char            *final_data;   /* REPORT: the context after the report */
  GBytes          *report;
  GBytes          *signature;
  char            *report_id;
  char            *outcome;
  gint64           created_at;
  Continuation     then;          /* a save within the state goes on with this, not run_state */
} Persist;

static void
persist_free (Persist *persist)
{
  g_object_unref (persist->self);
  g_free (persist->data);
  g_free (persist->final_data);
  g_clear_pointer (&persist->report, g_bytes_unref);
  g_clear_pointer (&persist->signature, g_bytes_unref);
  g_free (persist->report_id);
  g_free (persist->outcome);
  g_free (persist);
}

static gboolean
persist_job (FfStore *store, gpointer data, GError **error)
{
  Persist *persist = data;
  FfWorkflow *self = persist->self;

  if (persist->report != NULL)
    return ff_store_save_report (store, persist->report_id, self->task->task_id,
                                 self->item->device_id, persist->outcome, persist->created_at,
                                 persist->report, persist->signature,
                                 ff_workflow_state_to_string (FF_WORKFLOW_STATE_DONE),
                                 persist->final_data, error);
  return ff_store_save_workflow (store, self->task->task_id, self->item->device_id,
                                 ff_workflow_state_to_string (persist->state), persist->data,
                                 error);
}

/* @user_data is the Persist, alive until the store's task is done with this callback. */
static void
persisted (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Persist *persist = user_data;
  FfWorkflow *self = persist->self;
  FfWorkflowState next;
  GError *error = NULL;

  self->advancing = FALSE;
  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    {
      /* Storage full or broken: the previous state stays the persisted one, and the run stops
       * so nothing happens that the store does not know about. */
      finish_run (self, error);
      return;
    }
  next = persist->report != NULL ? FF_WORKFLOW_STATE_DONE : persist->state;
  if (self->state != next)
    {
      self->state = next;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (persist->then != NULL && !g_cancellable_is_cancelled (run_cancellable (self)))
    persist->then (self);
  else
    run_state (self);
}

/* Not cancellable: once asked, the write completes, so the store never lags the terminal. */
static void
persist_async (FfWorkflow *self, Persist *persist)
{
  persist->self = g_object_ref (self);
  self->advancing = TRUE;
  ff_store_run_async (self->store, persist_job, persist, (GDestroyNotify) persist_free, NULL,
                      persisted, persist);
}

/* Writes @next with the context, then runs it. */
static void
advance (FfWorkflow *self, FfWorkflowState next)
{
  Persist *persist = g_new0 (Persist, 1);

  persist->state = next;
  persist->data = context_serialize (&self->ctx);
  persist_async (self, persist);
}

/* Writes the context within the current state, then goes on with @then. */
static void
save_then (FfWorkflow *self, Continuation then)
{
  Persist *persist = g_new0 (Persist, 1);

  persist->state = self->state;
  persist->data = context_serialize (&self->ctx);
  persist->then = then;
  persist_async (self, persist);
}

/* ---- connecting ----------------------------------------------------------------------------- */

static void
connected (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  FfWorkflow *self = user_data;
  Continuation then = g_object_steal_data (G_OBJECT (self), "after-connect");
  GError *error = NULL;

  if (!ff_iec104_conn_connect_finish (FF_IEC104_CONN (object), result, &error))
    {
      g_object_unref (self);
      step_failed (self, error);
      return;
    }
  then (self);
  g_object_unref (self);
}

static void
with_connection (FfWorkflow *self, Continuation then)
{
  if (ff_iec104_conn_is_connected (self->conn))
    {
      then (self);
      return;
    }
  set_message (self, _("Connecting to the terminal…"));
  g_object_set_data (G_OBJECT (self), "after-connect", then);
  ff_iec104_conn_connect_async (self->conn, self->item->host, self->item->port,
                                run_cancellable (self), connected, g_object_ref (self));
}

static void
back_after_backoff (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  FfWorkflow *self = user_data;
  Continuation then = g_object_steal_data (G_OBJECT (self), "after-restart");
  GError *error = NULL;

  if (!ff_iec104_conn_reconnect_finish (FF_IEC104_CONN (object), result, &error))
    step_failed (self, error);
  else
    then (self);
  g_object_unref (self);
}

static void
back_at_first_try (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  FfWorkflow *self = user_data;
  g_autoptr(GError) error = NULL;

  if (ff_iec104_conn_connect_finish (FF_IEC104_CONN (object), result, &error))
    {
      Continuation then = g_object_steal_data (G_OBJECT (self), "after-restart");

      then (self);
      g_object_unref (self);
      return;
    }
  if (is_cancelled (error))
    {
      g_object_set_data (G_OBJECT (self), "after-restart", NULL);
      finish_run (self, g_steal_pointer (&error));
      g_object_unref (self);
      return;
    }
  /* Still booting: keep trying with the adapter's back-off until the profile's limit. */
  ff_iec104_conn_reconnect_async (self->conn, 0, run_cancellable (self), back_after_backoff, self);
}

/* Like with_connection, for a terminal that may be restarting: a first direct try (which also
 * tells the connection where to reconnect after a resume), then retries until the profile's
 * reboot wait is over. */
static void
with_restarting_terminal (FfWorkflow *self, Continuation then)
{
  if (ff_iec104_conn_is_connected (self->conn))
    {
      then (self);
      return;
    }
  g_object_set_data (G_OBJECT (self), "after-restart", then);
  ff_iec104_conn_connect_async (self->conn, self->item->host, self->item->port,
                                run_cancellable (self), back_at_first_try, g_object_ref (self));
}

/* ---- what the terminal runs --------------------------------------------------------------- */

/* Whether @info is of the terminal of this visit; otherwise the step fails saying who answers. */
static gboolean
is_this_terminal (FfWorkflow *self, const FfTerminalInfo *info)
{
  g_autofree char *message = NULL;

  if (g_strcmp0 (info->device_id, self->item->device_id) == 0)
    return TRUE;
  message = g_strdup_printf (_("Another terminal (%s) answers at %s."), info->device_id,
                             self->item->host);
  step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED, message);
  return FALSE;
}

/* Whether the terminal runs the image this visit wants on it (self->image): version and the
 * checksum the profile computes from the image. */
static gboolean
runs_wanted (FfWorkflow *self, const FfTerminalInfo *info)
{
  g_autofree char *expected_checksum = ff_profile_compute_checksum (self->profile, self->image);

  return info->software_version != NULL && ff_version_is_valid (info->software_version)
         && ff_version_compare (info->software_version, wanted_firmware (self)->version) == 0
         && g_strcmp0 (info->checksum, expected_checksum) == 0;
}

/* The report's versions afterwards are what the terminal said last, never what it should run. */
static void
keep_running_version (FfWorkflow *self, const FfTerminalInfo *info)
{
  g_free (self->ctx.version_after);
  self->ctx.version_after = g_strdup (info != NULL ? info->software_version : NULL);
  g_free (self->ctx.checksum_after);
  self->ctx.checksum_after = g_strdup (info != NULL ? info->checksum : NULL);
}

/* ---- after a failure ------------------------------------------------------------------------ */

/* A rollback is offered only where it can help: the terminal answers and runs something other
 * than the previous firmware. @info is NULL when it did not answer. */
static void
failure_settled (FfWorkflow *self, const FfTerminalInfo *info)
{
  const FfFirmwareRef *previous = self->item->previous;
  gboolean answered = info != NULL && g_strcmp0 (info->device_id, self->item->device_id) == 0;
  const char *step = current_step (self);

  keep_running_version (self, answered ? info : NULL);
  if (!answered)
    record_eventf (self, step, _("%s does not answer: what it runs now is unknown."),
                   self->item->device_id);
  else
    record_eventf (self, step, _("%s runs %s (checksum %s) now."), self->item->device_id,
                   info->software_version != NULL ? info->software_version : "?",
                   info->checksum != NULL ? info->checksum : "?");
  if (!ff_workflow_can_roll_back (self))
    {
      advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  if (!answered)
    {
      record_event (self, step, _("No rollback is offered: nothing can be pushed to a terminal "
                                  "that does not answer."));
      advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  if (info->software_version != NULL
      && ff_version_compare (info->software_version, previous->version) == 0)
    {
      record_eventf (self, step, _("No rollback is offered: %s runs %s, the previous firmware, "
                                   "already."), self->item->device_id, previous->version);
      advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  advance (self, FF_WORKFLOW_STATE_FAILED);
}

static void
failure_info_read (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTerminalInfo) info = ff_iec104_conn_read_info_finish (FF_IEC104_CONN (object), result,
                                                                    &error);

  if (is_cancelled (error))
    finish_run (self, g_steal_pointer (&error));
  else
    failure_settled (self, info);
}

static void
failure_connected (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (ff_iec104_conn_connect_finish (FF_IEC104_CONN (object), result, &error))
    ff_iec104_conn_read_info_async (self->conn, run_cancellable (self), failure_info_read,
                                    g_object_ref (self));
  else if (is_cancelled (error))
    finish_run (self, g_steal_pointer (&error));
  else
    failure_settled (self, NULL);
}

/* After a failure once the firmware was touched: asks the terminal what it runs now, with one
 * connection attempt (a terminal that has just failed a step is not waited for again), so that
 * the report says what it runs and a rollback is offered only where it can help. */
static void
settle_failure (FfWorkflow *self)
{
  set_message (self, _("Checking what the terminal runs now…"));
  if (ff_iec104_conn_is_connected (self->conn))
    ff_iec104_conn_read_info_async (self->conn, run_cancellable (self), failure_info_read,
                                    g_object_ref (self));
  else
    ff_iec104_conn_connect_async (self->conn, self->item->host, self->item->port,
                                  run_cancellable (self), failure_connected, g_object_ref (self));
}

static void
connect_done (FfWorkflow *self)
{
  record_eventf (self, "connect", _("Connected to %s:%u."), self->item->host, self->item->port);
  advance (self, FF_WORKFLOW_STATE_IDENTIFY);
}

/* ---- identify ------------------------------------------------------------------------------- */

static const char *
fix_mode_name (int mode)
{
  return mode >= FF_GPS_FIX_3D ? "3d" : mode == FF_GPS_FIX_2D ? "2d" : "none";
}

/* The firmware is only for the hardware its task names: a terminal reporting other hardware (the
 * ledger may be wrong) ends the visit before anything is written, whoever vouches for its identity.
 * TRUE when it did. */
static gboolean
refuse_other_hardware (FfWorkflow *self)
{
  const char *hardware = self->ctx.hardware_read;
  g_autofree char *accepted = NULL;
  g_autofree char *reason = NULL;

  if (ff_task_item_fits_hardware (self->item, hardware))
    return FALSE;
  accepted = g_strjoinv (", ", self->item->target.hardware_versions);
  if (hardware == NULL || *hardware == '\0')
    reason = g_strdup_printf (_("The terminal did not report its hardware version; firmware %s is "
                                "for hardware %s only. Nothing was written."),
                              self->item->target.version, accepted);
  else
    reason = g_strdup_printf (_("The terminal reports hardware %s; firmware %s is for hardware %s "
                                "only. Nothing was written."),
                              hardware, self->item->target.version, accepted);
  step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED, reason);
  return TRUE;
}

static void
end_settling (FfWorkflow *self)
{
  if (self->settle == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->settle, self);
  g_clear_object (&self->settle);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTLE_PROGRESS]);
}

static void
identify_with_fix (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  FfGeoPoint recorded = { self->item->latitude, self->item->longitude };
  FfGeoPoint fix = { NAN, NAN };
  g_autoptr(GError) gps_error = NULL;
  g_autoptr(GString) mismatch = g_string_new (NULL);
  const FfGpsFix *fixes;
  guint n_fixes;

  if (!ff_gps_settle_run_finish (FF_GPS_SETTLE (object), result, &fix, &gps_error)
      && is_cancelled (gps_error))
    {
      end_settling (self);
      finish_run (self, g_steal_pointer (&gps_error));
      return;
    }
  /* The evidence is the fixes the judgement used: none when the fix never settled. */
  fixes = ff_gps_settle_get_fixes (FF_GPS_SETTLE (object), &n_fixes);
  g_array_set_size (self->ctx.gps_fixes, 0);
  if (gps_error == NULL)
    g_array_append_vals (self->ctx.gps_fixes, fixes, n_fixes);
  self->ctx.measurements++;
  self->ctx.settle_seconds = self->gps_settle_seconds;
  self->ctx.identity_present = TRUE;
  self->ctx.fix_latitude = fix.latitude;
  self->ctx.fix_longitude = fix.longitude;
  self->ctx.fix_mode = gps_error == NULL ? fixes[n_fixes - 1].mode : FF_GPS_FIX_NONE;
  self->ctx.fix_age = gps_error == NULL
                      ? (g_get_real_time () - fixes[n_fixes - 1].time) / (double) G_USEC_PER_SEC
                      : 0;
  end_settling (self);

  if (!g_str_equal (self->ctx.device_id_read, self->item->device_id))
    g_string_append_printf (mismatch,
                            _("The terminal reports device ID “%s”, the task expects “%s”."),
                            self->ctx.device_id_read, self->item->device_id);
  if (gps_error != NULL)
    g_string_append_printf (mismatch, "%s%s", mismatch->len > 0 ? " " : "", gps_error->message);
  else if (!ff_geo_same_place (&fix, &recorded))
    g_string_append_printf (mismatch,
                            _("%sThe tablet is %.1f m from the recorded position (Δlat %.2f″, "
                              "Δlon %.2f″; at most 1″ each)."),
                            mismatch->len > 0 ? " " : "", ff_geo_distance_m (&fix, &recorded),
                            ff_geo_delta_latitude_arcsec (&fix, &recorded),
                            ff_geo_delta_longitude_arcsec (&fix, &recorded));

  if (mismatch->len > 0)
    {
      record_event (self, "identify", mismatch->str);
      set_failure (self, "identify", mismatch->str);
      advance (self, FF_WORKFLOW_STATE_IDENTITY_MISMATCH);
      return;
    }
  record_eventf (self, "identify", _("%s at Δlat %.2f″, Δlon %.2f″ (median of %u GPS fixes); "
                                     "running %s (checksum %s)."),
                 self->ctx.device_id_read, ff_geo_delta_latitude_arcsec (&fix, &recorded),
                 ff_geo_delta_longitude_arcsec (&fix, &recorded), n_fixes,
                 self->ctx.version_before,
                 self->ctx.checksum_before != NULL ? self->ctx.checksum_before : "-");
  if (!refuse_other_hardware (self))
    advance (self, FF_WORKFLOW_STATE_READ_VERSION);
}

static void
settle_changed (FfGpsSettle *settle,
                FfWorkflow  *self)
{
  guint n_fixes;
  g_autofree char *message = NULL;

  ff_gps_settle_get_fixes (settle, &n_fixes);
  message = g_strdup_printf (_("Measuring the position: %u GPS fixes, %.0f %% of the settling "
                               "period…"), n_fixes, 100 * ff_gps_settle_get_progress (settle));
  set_message (self, message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTLE_PROGRESS]);
}

static void
identify_info_read (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  GError *error = NULL;
  g_autoptr(FfTerminalInfo) info = ff_iec104_conn_read_info_finish (FF_IEC104_CONN (object), result,
                                                                    &error);

  if (info == NULL)
    {
      step_failed (self, error);
      return;
    }
  g_free (self->ctx.device_id_read);
  self->ctx.device_id_read = g_strdup (info->device_id != NULL ? info->device_id : "");
  g_free (self->ctx.hardware_read);
  self->ctx.hardware_read = g_strdup (info->hardware_version);
  g_free (self->ctx.version_before);
  self->ctx.version_before = g_strdup (info->software_version);
  g_free (self->ctx.checksum_before);
  self->ctx.checksum_before = g_strdup (info->checksum);
  set_message (self, _("Waiting for a GPS fix…"));
  /* A new settling period each time: its fixes are measured now, never remembered. */
  self->settle = ff_gps_settle_new (self->gps, self->gps_settle_seconds);
  g_signal_connect (self->settle, "changed", G_CALLBACK (settle_changed), self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTLE_PROGRESS]);
  ff_gps_settle_run_async (self->settle, self->gps_timeout_seconds, run_cancellable (self),
                           identify_with_fix, g_object_ref (self));
}

static void
identify (FfWorkflow *self)
{
  set_message (self, _("Reading the terminal’s information…"));
  ff_iec104_conn_read_info_async (self->conn, run_cancellable (self), identify_info_read,
                                  g_object_ref (self));
}

/* ---- read version --------------------------------------------------------------------------- */

static void
read_version (FfWorkflow *self)
{
  const char *running = self->ctx.version_before;
  const char *target = self->item->target.version;

  if (running == NULL || !ff_version_is_valid (running))
    {
      step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED,
                           _("The terminal did not report a software version."));
      return;
    }
  if (ff_version_compare (running, target) == 0)
    {
      record_eventf (self, "read-version", _("Already running %s: nothing to push."), running);
      set_outcome (self, "already-current");
      advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  /* Whatever the ledger said: only a rollback task takes a terminal to an older version. */
  if (ff_version_compare (running, target) > 0 && !self->task->rollback)
    {
      g_autofree char *reason = NULL;

      reason = g_strdup_printf (_("The terminal runs %s, newer than the target %s: it is not "
                                  "downgraded without a rollback task. Nothing was written."),
                                running, target);
      step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED, reason);
      return;
    }
  if (ff_version_compare (running, self->item->expected_version) != 0)
    record_eventf (self, "read-version", _("Running %s, the ledger says %s."), running,
                   self->item->expected_version);
  else
    record_eventf (self, "read-version", _("Running %s; target %s."), running, target);
  advance (self, FF_WORKFLOW_STATE_SNAPSHOT_BEFORE);
}

/* ---- snapshots ------------------------------------------------------------------------------ */

static void
snapshot_read (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  gboolean after = self->state == FF_WORKFLOW_STATE_SNAPSHOT_AFTER;
  FfSnapshot *snapshot = after ? &self->ctx.after : &self->ctx.before;
  GError *error = NULL;
  g_autoptr(GArray) points = ff_iec104_conn_interrogate_finish (FF_IEC104_CONN (object), result,
                                                                &error);
  g_autoptr(GString) text = g_string_new (NULL);

  if (points == NULL)
    {
      step_failed (self, error);
      return;
    }
  ff_iec104_points_to_snapshot (self->profile, (const FfIec104Point *) points->data, points->len,
                                snapshot);
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    {
      g_autofree char *hex = ff_snapshot_value_to_hex (snapshot->values[s]);

      if (!snapshot->present[s])
        {
          g_autofree char *message = g_strdup_printf (_("The terminal did not report %s."),
                                                      ff_signal_get_label (s));
          step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED, message);
          return;
        }
      g_string_append_printf (text, "%s%s %.3f %s (%s)", s > 0 ? ", " : "", ff_signal_get_label (s),
                              snapshot->values[s], ff_signal_get_unit (s), hex);
      if (!ff_quality_is_good (snapshot->quality[s]))
        {
          g_autofree char *quality = ff_quality_describe (snapshot->quality[s]);

          g_string_append_printf (text, " %s", quality);
        }
    }
  record_event (self, ff_workflow_state_to_string (self->state), text->str);
  if (!after)
    {
      FfSignal bad = ff_snapshot_find_bad_quality (snapshot);

      /* A flagged reading is no baseline: the after-upgrade check could never pass, so the visit
       * stops here, before anything is written (docs/tablet.md). */
      if (bad < FF_N_SIGNALS)
        {
          g_autofree char *quality = ff_quality_describe (snapshot->quality[bad]);
          g_autofree char *message =
            g_strdup_printf (_("The terminal reports %s as %s: without a valid reading before "
                               "the upgrade there is nothing to check the upgrade against, so "
                               "nothing was written."), ff_signal_get_label (bad), quality);

          step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED, message);
          return;
        }
      advance (self, FF_WORKFLOW_STATE_CONFIRM);
      return;
    }
  if (self->ctx.rolling_back)
    {
      set_outcome (self, "rolled-back");
      advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  {
    FfSignalJudgement judgements[FF_N_SIGNALS];
    g_autoptr(GString) deviations = g_string_new (NULL);

    if (ff_snapshot_judge (&self->ctx.before, &self->ctx.after, judgements))
      {
        set_outcome (self, "upgraded");
        advance (self, FF_WORKFLOW_STATE_REPORT);
        return;
      }
    for (guint s = 0; s < FF_N_SIGNALS; s++)
      if (!judgements[s].passed)
        {
          g_autofree char *why = ff_snapshot_judgement_describe (&judgements[s]);

          /* Translators: one failed signal: its name, then why, e.g. "Current: Changed 12.0 %,
           * over 10 %"; several are joined with "; ". */
          g_string_append_printf (deviations, deviations->len > 0 ? _("; %s: %s") : _("%s: %s"),
                                  ff_signal_get_label (s), why);
        }
    {
      g_autofree char *message =
        g_strdup_printf (_("After the upgrade these signals fail the check: %s."),
                         deviations->str);
      step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED, message);
    }
  }
}

static void
take_snapshot (FfWorkflow *self)
{
  set_message (self, _("Reading the four signals…"));
  ff_iec104_conn_interrogate_async (self->conn, run_cancellable (self), snapshot_read,
                                    g_object_ref (self));
}

/* ---- push ----------------------------------------------------------------------------------- */

static void
set_transfer_progress (FfWorkflow *self, guint64 sent, guint64 total, double rate)
{
  double eta = rate > 0 ? (total - sent) / rate : -1;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->bytes_sent != sent)
    {
      self->bytes_sent = sent;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_SENT]);
    }
  if (self->bytes_total != total)
    {
      self->bytes_total = total;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_TOTAL]);
    }
  if (self->bytes_per_second != rate)
    {
      self->bytes_per_second = rate;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_PER_SECOND]);
    }
  if (self->eta_seconds != eta)
    {
      self->eta_seconds = eta;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ETA_SECONDS]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
push_progress (guint64 sent, guint64 acked, guint64 total, double bytes_per_second, gpointer data)
{
  set_transfer_progress (FF_WORKFLOW (data), acked, total, bytes_per_second);
}

static void
image_committed (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  gboolean restarting = FALSE;
  GError *error = NULL;

  if (!ff_iec104_conn_commit_image_finish (FF_IEC104_CONN (object), result, &restarting, &error))
    {
      step_failed (self, error);
      return;
    }
  self->transferring = FALSE;
  self->ctx.transferred = TRUE;
  record_eventf (self, "push", _("%s written: %lld bytes in %.1f s."),
                 wanted_firmware (self)->version, (long long) self->ctx.transfer_bytes,
                 self->ctx.transfer_seconds);
  /* A terminal that restarts by itself after the finish is already on its way. */
  advance (self, restarting ? FF_WORKFLOW_STATE_REBOOT_WAIT : FF_WORKFLOW_STATE_RESET);
}

static void
commit_image (FfWorkflow *self)
{
  ff_iec104_conn_commit_image_async (self->conn, run_cancellable (self), image_committed,
                                     g_object_ref (self));
}

static void
image_sent (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  guint segment_size = MAX (self->profile->iec104.segment_size, 1);
  GError *error = NULL;

  if (!ff_iec104_conn_send_image_finish (FF_IEC104_CONN (object), result, &error))
    {
      step_failed (self, error);
      return;
    }
  self->ctx.transfer_bytes = g_bytes_get_size (self->image);
  self->ctx.transfer_segments = (self->ctx.transfer_bytes + segment_size - 1) / segment_size;
  self->ctx.transfer_seconds =
    (g_get_monotonic_time () - self->push_started_us) / (double) G_USEC_PER_SEC;
  /* Saved before the 211 finish goes out: from here on a stopped run cannot know whether the
   * terminal took the finish, and its resume asks the terminal before it sends anything again. */
  self->ctx.finish_sent = TRUE;
  save_then (self, commit_image);
}

static void
transfer_image (FfWorkflow *self)
{
  set_message (self, self->ctx.rolling_back ? _("Pushing the previous firmware back…")
                                            : _("Pushing the new firmware…"));
  self->push_started_us = g_get_monotonic_time ();
  self->transferring = TRUE;
  set_transfer_progress (self, 0, g_bytes_get_size (self->image), 0);
  ff_iec104_conn_send_image_async (self->conn, self->item->target.file_name, self->image,
                                   push_progress, g_object_ref (self), g_object_unref,
                                   run_cancellable (self), image_sent, g_object_ref (self));
}

static void
push_connected (FfWorkflow *self)
{
  /* Counted and saved before anything goes out, so a transfer a crash cut short counts too. */
  self->ctx.push_attempts++;
  self->ctx.finish_sent = FALSE;
  self->ctx.probing_staged = FALSE;
  save_then (self, transfer_image);
}

/* What a push that began before (in a run that stopped) or a rollback finds at the terminal. */
static void
push_probed (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  const char *device_id = self->item->device_id;
  const char *wanted = wanted_firmware (self)->version;
  GError *error = NULL;
  g_autoptr(FfTerminalInfo) info = ff_iec104_conn_read_info_finish (FF_IEC104_CONN (object), result,
                                                                    &error);

  if (info == NULL)
    {
      step_failed (self, error);
      return;
    }
  if (!is_this_terminal (self, info))
    return;
  if (runs_wanted (self, info) && self->ctx.push_attempts == 0)
    {
      /* Only a rollback gets here without a transfer of its own begun. */
      keep_running_version (self, info);
      record_eventf (self, "push", _("%s runs %s, the previous firmware, already: the rollback "
                                     "is refused and nothing was pushed."), device_id, wanted);
      set_outcome (self, "failed");
      advance (self, FF_WORKFLOW_STATE_REPORT);
      return;
    }
  if (runs_wanted (self, info))
    {
      record_eventf (self, "push", _("%s runs %s (checksum %s) already: the transfer before the "
                                     "stop went through; nothing is sent again."),
                     device_id, wanted, info->checksum);
      advance (self, FF_WORKFLOW_STATE_VERIFY);
      return;
    }
  /* A terminal that waits for the 105 may hold the image staged from a finish that went out
   * before the stop: the restart shows it (verify pushes again if it comes back unchanged). */
  if (self->ctx.finish_sent && !self->ctx.probing_staged
      && self->profile->iec104.reset_after_upgrade_finish)
    {
      record_eventf (self, "push", _("%s still runs %s, but it may hold %s from the transfer "
                                     "before the stop: it is restarted to find out."),
                     device_id, info->software_version != NULL ? info->software_version : "?",
                     wanted);
      self->ctx.probing_staged = TRUE;
      advance (self, FF_WORKFLOW_STATE_RESET);
      return;
    }
  push_connected (self);
}

static void
push_probe (FfWorkflow *self)
{
  set_message (self, _("Checking what the terminal runs…"));
  ff_iec104_conn_read_info_async (self->conn, run_cancellable (self), push_probed,
                                  g_object_ref (self));
}

static void
push_cancelled (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  g_autoptr(GError) error = NULL;
  const char *device_id = self->item->device_id;
  /* What the terminal ran before this push: its old version, or in a rollback what it came back
   * with (unknown when it never came back). */
  const char *running = self->ctx.rolling_back ? self->ctx.version_after
                                               : self->ctx.version_before;

  if (!ff_iec104_conn_upgrade_cancel_finish (FF_IEC104_CONN (object), result, &error))
    record_eventf (self, "push",
                   _("Push stopped, but %s could not be told to discard the partly written file "
                     "(%s): what it runs now is unknown. Check its version before going on."),
                   device_id, error->message);
  else
    {
      /* A finish that went out is void now: the terminal dropped what it held. */
      self->ctx.finish_sent = FALSE;
      if (running != NULL)
        record_eventf (self, "push",
                       _("Push stopped: %s discarded the partly written file and still runs %s."),
                       device_id, running);
      else
        record_eventf (self, "push",
                       _("Push stopped: %s discarded the partly written file and still runs the "
                         "firmware it ran before this push."), device_id);
    }
  /* Saves the event for the report; the run then ends in push, which starts over on resume. */
  self->stop_explained = TRUE;
  advance (self, FF_WORKFLOW_STATE_PUSH);
}

/* The technician stopped a transfer under way: a terminal left with half a file would keep it
 * staged, so it is told to drop it (211 cancel). Not cancellable, but bounded: a link that is gone
 * fails at once, a silent terminal after the profile's reply timeout (or t1). */
static void
stop_push (FfWorkflow *self)
{
  set_message (self, _("Stopping the push…"));
  ff_iec104_conn_upgrade_cancel_async (self->conn, NULL, push_cancelled, g_object_ref (self));
}

typedef struct
{
  FfWorkflow   *self;
  char         *sha256;
  GBytes       *image;
  Continuation  then;
} ImageLoad;

static void
image_load_free (ImageLoad *load)
{
  g_object_unref (load->self);
  g_free (load->sha256);
  g_clear_pointer (&load->image, g_bytes_unref);
  g_free (load);
}

static gboolean
read_image_job (FfStore *store, gpointer data, GError **error)
{
  ImageLoad *load = data;

  load->image = ff_store_read_firmware (store, load->sha256, error);
  return load->image != NULL;
}

static void
image_read (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  ImageLoad *load = user_data;
  FfWorkflow *self = load->self;
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    {
      step_failed (self, error);
      return;
    }
  g_clear_pointer (&self->image, g_bytes_unref);
  self->image = g_steal_pointer (&load->image);
  load->then (self);
}

/* Reads the image to push or to check against from the store (SHA-256 checked again there, so a
 * file damaged on the tablet never reaches a terminal), then continues. */
static void
with_image (FfWorkflow *self, Continuation then)
{
  ImageLoad *load = g_new0 (ImageLoad, 1);

  load->self = g_object_ref (self);
  load->sha256 = g_strdup (wanted_firmware (self)->sha256);
  load->then = then;
  ff_store_run_async (self->store, read_image_job, load, (GDestroyNotify) image_load_free, NULL,
                      image_read, load);
}

static void
push_with_image (FfWorkflow *self)
{
  /* After a transfer that began in a run that stopped, the terminal may be restarting into the
   * image, or run it already; a rollback meets a terminal that may be restarting too. Both wait
   * for it and ask it first. A first push that cannot connect has written nothing. */
  if (self->ctx.push_attempts > 0 || self->ctx.rolling_back)
    {
      set_message (self, _("Waiting for the terminal…"));
      with_restarting_terminal (self, push_probe);
    }
  else
    with_connection (self, push_connected);
}

static void
push (FfWorkflow *self)
{
  with_image (self, push_with_image);
}

/* ---- reset, reboot, verify ------------------------------------------------------------------ */

static void
restarted (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  GError *error = NULL;

  if (ff_iec104_conn_restart_finish (FF_IEC104_CONN (object), result, &error))
    record_event (self, "reset", _("The terminal restarts."));
  else if (g_error_matches (error, FF_IEC104_ERROR, FF_IEC104_ERROR_REBOOTED_EARLY))
    {
      /* It restarted without confirming the 105: what it runs is known once it is back. */
      record_event (self, "reset", _("The terminal dropped the link instead of confirming the "
                                     "restart: it is taken to be restarting, and its version is "
                                     "checked when it is back."));
      g_error_free (error);
    }
  else
    {
      step_failed (self, error);
      return;
    }
  advance (self, FF_WORKFLOW_STATE_REBOOT_WAIT);
}

/* Resumed in reset, the 105 may have gone out before the stop and the terminal be restarting or
 * back on the image already: then it is verified, not restarted again. */
static void
reset_probed (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  GError *error = NULL;
  g_autoptr(FfTerminalInfo) info = ff_iec104_conn_read_info_finish (FF_IEC104_CONN (object), result,
                                                                    &error);

  if (info == NULL)
    {
      step_failed (self, error);
      return;
    }
  if (!is_this_terminal (self, info))
    return;
  if (runs_wanted (self, info))
    {
      record_eventf (self, "reset", _("%s runs %s already: it has restarted, and is not restarted "
                                      "again."), self->item->device_id,
                     wanted_firmware (self)->version);
      advance (self, FF_WORKFLOW_STATE_VERIFY);
      return;
    }
  ff_iec104_conn_restart_async (self->conn, run_cancellable (self), restarted,
                                g_object_ref (self));
}

static void
reset_probe (FfWorkflow *self)
{
  ff_iec104_conn_read_info_async (self->conn, run_cancellable (self), reset_probed,
                                  g_object_ref (self));
}

static void
reset_with_image (FfWorkflow *self)
{
  with_restarting_terminal (self, reset_probe);
}

static void
reconnect_attempt (FfIec104Conn *conn,
                   guint         attempt,
                   gint64        remaining_ms,
                   FfWorkflow   *self)
{
  self->reboot_remaining_ms = remaining_ms;
  self->reconnect_attempts = attempt;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REBOOT_REMAINING_MS]);
}

static void
terminal_back (FfWorkflow *self)
{
  record_event (self, "reboot-wait", _("The terminal is back."));
  advance (self, FF_WORKFLOW_STATE_VERIFY);
}

static void
reboot_wait (FfWorkflow *self)
{
  set_message (self, _("Waiting for the terminal to restart…"));
  self->reconnect_attempts = 0;
  ff_iec104_conn_close (self->conn);
  with_restarting_terminal (self, terminal_back);
}

static void
verified_info (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FfWorkflow) self = user_data;
  const FfFirmwareRef *wanted = wanted_firmware (self);
  GError *error = NULL;
  g_autoptr(FfTerminalInfo) info = ff_iec104_conn_read_info_finish (FF_IEC104_CONN (object), result,
                                                                    &error);
  g_autofree char *expected_checksum = NULL;
  g_autofree char *message = NULL;

  if (info == NULL)
    {
      step_failed (self, error);
      return;
    }
  if (!is_this_terminal (self, info))
    return;
  keep_running_version (self, info);
  if (runs_wanted (self, info))
    {
      /* A transfer whose finish went out before a stop took: the report counts it. */
      if (self->ctx.finish_sent)
        self->ctx.transferred = TRUE;
      record_eventf (self, "verify", _("Running %s, checksum %s as expected."),
                     info->software_version, info->checksum);
      advance (self, FF_WORKFLOW_STATE_SNAPSHOT_AFTER);
      return;
    }
  if (self->ctx.probing_staged)
    {
      /* The restart showed that the transfer before the stop had not been taken. */
      record_eventf (self, "verify", _("%s came back running %s: the transfer before the stop did "
                                       "not take, and the image is pushed again."),
                     self->item->device_id,
                     info->software_version != NULL ? info->software_version : "?");
      self->ctx.probing_staged = FALSE;
      self->ctx.finish_sent = FALSE;
      advance (self, FF_WORKFLOW_STATE_PUSH);
      return;
    }
  expected_checksum = ff_profile_compute_checksum (self->profile, self->image);
  message = g_strdup_printf (_("After the restart the terminal runs %s (checksum %s); expected %s "
                               "(checksum %s)."),
                             info->software_version != NULL ? info->software_version : "?",
                             info->checksum != NULL ? info->checksum : "?", wanted->version,
                             expected_checksum);
  step_failed_literal (self, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_CHECK_FAILED, message);
}

static void
verify_connected (FfWorkflow *self)
{
  set_message (self, _("Checking the version…"));
  ff_iec104_conn_read_info_async (self->conn, run_cancellable (self), verified_info,
                                  g_object_ref (self));
}

static void
verify_with_image (FfWorkflow *self)
{
  with_restarting_terminal (self, verify_connected);
}

/* ---- report --------------------------------------------------------------------------------- */

static FfReport *
build_report (FfWorkflow *self)
{
  Context *ctx = &self->ctx;
  FfReport *report = ff_report_new (self->task->task_id, self->item->device_id, self->tablet_serial,
                                    self->task->technician_phone);
  FfReportOutcome outcome = FF_REPORT_OUTCOME_ABORTED;
  FfSignalJudgement judgements[FF_N_SIGNALS];

  g_free (report->report_id);
  report->report_id = g_strdup (ctx->report_id);
  /* The names, so the printed report stands on its own after the task is gone. */
  report->technician_name = g_strdup (self->task->technician_name);
  report->terminal_name = g_strdup (self->item->name);
  report->follows = g_strdup (ctx->follows);
  report->reopened_by = g_strdup (ctx->reopened_by);
  report->created_at = ctx->created_at;
  ff_report_outcome_from_string (ctx->outcome, &outcome);
  report->outcome = outcome;
  if (outcome != FF_REPORT_OUTCOME_UPGRADED && outcome != FF_REPORT_OUTCOME_ALREADY_CURRENT)
    ff_report_set_failure (report, ctx->failure_step != NULL ? ctx->failure_step : "report",
                           ctx->failure_reason != NULL ? ctx->failure_reason : ctx->outcome);

  if (ctx->identity_present)
    {
      FfReportIdentity *identity = &report->identity;
      FfGeoPoint fix = { ctx->fix_latitude, ctx->fix_longitude };
      FfGeoPoint recorded = { self->item->latitude, self->item->longitude };
      gboolean have_fix = ff_geo_point_is_valid (&fix);

      identity->present = TRUE;
      identity->device_id_read = g_strdup (ctx->device_id_read);
      /* Without a fix the evidence says so: mode "none", the recorded position as the fix. */
      identity->fix_latitude = have_fix ? fix.latitude : recorded.latitude;
      identity->fix_longitude = have_fix ? fix.longitude : recorded.longitude;
      identity->recorded_latitude = recorded.latitude;
      identity->recorded_longitude = recorded.longitude;
      identity->delta_latitude_arcsec =
        have_fix ? ff_geo_delta_latitude_arcsec (&fix, &recorded) : 0;
      identity->delta_longitude_arcsec =
        have_fix ? ff_geo_delta_longitude_arcsec (&fix, &recorded) : 0;
      identity->distance_m = have_fix ? ff_geo_distance_m (&fix, &recorded) : 0;
      identity->fix_mode = g_strdup (have_fix ? fix_mode_name (ctx->fix_mode) : "none");
      identity->fix_age_s = have_fix && isfinite (ctx->fix_age) ? ctx->fix_age : 0;
      identity->override_by = g_strdup (ctx->override_by);
      identity->override_reason = g_strdup (ctx->override_reason);
      identity->has_gps = TRUE;
      identity->settle_seconds = ctx->settle_seconds;
      identity->measurements = ctx->measurements;
      identity->gps_fixes = g_array_sized_new (FALSE, FALSE, sizeof (FfReportGpsFix),
                                               ctx->gps_fixes->len);
      for (guint i = 0; i < ctx->gps_fixes->len; i++)
        {
          const FfGpsFix *used = &g_array_index (ctx->gps_fixes, FfGpsFix, i);
          FfReportGpsFix evidence = {
            .time = used->time / G_USEC_PER_SEC, .latitude = used->position.latitude,
            .longitude = used->position.longitude, .mode = used->mode,
            .accuracy_m = used->accuracy_m,
          };

          g_array_append_val (identity->gps_fixes, evidence);
        }
    }
  report->versions.before = g_strdup (ctx->version_before);
  report->versions.before_checksum = g_strdup (ctx->checksum_before);
  report->versions.target = g_strdup (self->item->target.version);
  report->versions.after = g_strdup (ctx->version_after);
  report->versions.after_checksum = g_strdup (ctx->checksum_after);
  ff_snapshot_to_report (&ctx->before, &report->before);
  ff_snapshot_to_report (&ctx->after, &report->after);
  if (report->before.present && report->after.present)
    {
      ff_snapshot_judge (&ctx->before, &ctx->after, judgements);
      ff_snapshot_judgement_to_report (judgements, &report->judgement);
    }
  if (ctx->transferred)
    {
      report->transfer.present = TRUE;
      report->transfer.file_name = g_strdup (self->item->target.file_name);
      report->transfer.bytes = ctx->transfer_bytes;
      report->transfer.segments = ctx->transfer_segments;
      report->transfer.seconds = ctx->transfer_seconds;
      report->transfer.bytes_per_second = ctx->transfer_seconds > 0
                                          ? ctx->transfer_bytes / ctx->transfer_seconds : 0;
      report->transfer.retries = ctx->push_attempts > 1 ? ctx->push_attempts - 1 : 0;
      report->firmware_version = g_strdup (wanted_firmware (self)->version);
      report->firmware_sha256 = g_strdup (wanted_firmware (self)->sha256);
    }
  for (guint i = 0; i < ctx->events->len; i++)
    {
      Event *event = ctx->events->pdata[i];
      ff_report_add_event (report, event->time, event->step, event->message);
    }
  return report;
}

static void
write_report (FfWorkflow *self)
{
  g_autoptr(FfReport) report = NULL;
  Persist *persist;
  GError *error = NULL;

  /* The ID and time are fixed when the report is first built, so a resumed build is the same
   * report; the store refuses a second copy of an ID. */
  if (self->ctx.report_id == NULL)
    {
      self->ctx.report_id = g_uuid_string_random ();
      self->ctx.created_at = g_get_real_time () / G_USEC_PER_SEC;
    }
  report = build_report (self);
  persist = g_new0 (Persist, 1);
  persist->signature = ff_report_sign (report, self->tablet_key, &persist->report, &error);
  if (persist->signature == NULL)
    {
      persist->self = g_object_ref (self);
      persist_free (persist);
      finish_run (self, error);
      return;
    }
  persist->report_id = g_strdup (self->ctx.report_id);
  persist->outcome = g_strdup (self->ctx.outcome);
  persist->created_at = self->ctx.created_at;
  persist->final_data = context_serialize (&self->ctx);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPORT_ID]);
  persist_async (self, persist);
}

/* ---- the dispatcher ------------------------------------------------------------------------- */

static void
run_state (FfWorkflow *self)
{
  if (self->run == NULL)
    return;
  if (g_cancellable_is_cancelled (run_cancellable (self)))
    {
      finish_run (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                             _("The workflow was stopped.")));
      return;
    }
  switch (self->state)
    {
    case FF_WORKFLOW_STATE_NEW:
      advance (self, FF_WORKFLOW_STATE_CONNECT);
      break;
    case FF_WORKFLOW_STATE_CONNECT:
      with_connection (self, connect_done);
      break;
    case FF_WORKFLOW_STATE_IDENTIFY:
      with_connection (self, identify);
      break;
    case FF_WORKFLOW_STATE_READ_VERSION:
      read_version (self);
      break;
    case FF_WORKFLOW_STATE_SNAPSHOT_BEFORE:
    case FF_WORKFLOW_STATE_SNAPSHOT_AFTER:
      with_connection (self, take_snapshot);
      break;
    case FF_WORKFLOW_STATE_PUSH:
      push (self);
      break;
    case FF_WORKFLOW_STATE_RESET:
      set_message (self, _("Restarting the terminal…"));
      with_image (self, reset_with_image);
      break;
    case FF_WORKFLOW_STATE_REBOOT_WAIT:
      reboot_wait (self);
      break;
    case FF_WORKFLOW_STATE_VERIFY:
      with_image (self, verify_with_image);
      break;
    case FF_WORKFLOW_STATE_IDENTITY_MISMATCH:
    case FF_WORKFLOW_STATE_CONFIRM:
    case FF_WORKFLOW_STATE_FAILED:
      if (self->ctx.failure_reason != NULL && self->state != FF_WORKFLOW_STATE_CONFIRM)
        set_message (self, self->ctx.failure_reason);
      else
        set_message (self, _("Waiting for the technician."));
      break;
    case FF_WORKFLOW_STATE_REPORT:
      write_report (self);
      break;
    case FF_WORKFLOW_STATE_DONE:
      ff_iec104_conn_close (self->conn);
      set_message (self, _("Report saved and queued for upload."));
      finish_run (self, NULL);
      break;
    }
}

static gboolean
is_decision_state (FfWorkflowState state)
{
  return state == FF_WORKFLOW_STATE_IDENTITY_MISMATCH || state == FF_WORKFLOW_STATE_CONFIRM
         || state == FF_WORKFLOW_STATE_FAILED;
}

static gboolean
stop_waiting (gpointer user_data)
{
  FfWorkflow *self = user_data;

  self->cancelled_idle_id = 0;
  if (is_decision_state (self->state))
    finish_run (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           _("The workflow was stopped.")));
  return G_SOURCE_REMOVE;
}

/* Steps in flight see the cancellation themselves; a workflow waiting for the technician has
 * nothing in flight, so it stops here (its state stays persisted for later). */
static void
run_cancelled (GCancellable *cancellable,
               FfWorkflow   *self)
{
  if (self->cancelled_idle_id == 0)
    self->cancelled_idle_id = g_idle_add (stop_waiting, self);
}

void
ff_workflow_run_async (FfWorkflow          *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (self->run == NULL);
  self->run = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->run, ff_workflow_run_async);
  self->stop_explained = FALSE;
  self->transferring = FALSE;
  if (cancellable != NULL)
    self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (run_cancelled), self,
                                                NULL);
  run_state (self);
}

gboolean
ff_workflow_run_finish (FfWorkflow    *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

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
               self->item->device_id, current_step (self));
  return FALSE;
}

gboolean
ff_workflow_confirm_push (FfWorkflow  *self,
                          GError     **error)
{
  if (!expect_state (self, FF_WORKFLOW_STATE_CONFIRM, error))
    return FALSE;
  record_eventf (self, "confirm", _("The technician confirmed the push of %s."),
                 self->item->target.version);
  advance (self, FF_WORKFLOW_STATE_PUSH);
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
  set_failure (self, NULL, NULL);
  record_eventf (self, "identify", _("Identity overridden by supervisor %s: %s"),
                 self->ctx.override_by, self->ctx.override_reason);
  if (!refuse_other_hardware (self))
    advance (self, FF_WORKFLOW_STATE_READ_VERSION);
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
  context_clear (&reopening->next);
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
                   self->item->device_id, current_step (self));
      return FALSE;
    }
  if (*clean_by == '\0')
    {
      g_set_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION,
                   _("Reopening a visit needs a supervisor and the supervisor’s PIN."));
      return FALSE;
    }
  /* An expired task starts no new visit, reopened or not. */
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
  context_init (&reopening->next);
  reopening->next.follows = g_strdup (self->ctx.report_id);
  reopening->next.reopened_by = g_strdup (reopening->supervisor);
  event->time = g_get_real_time () / G_USEC_PER_SEC;
  event->step = g_strdup ("new");
  event->message = g_strdup_printf (_("Visit reopened by supervisor %s; it follows report %s."),
                                    reopening->supervisor, self->ctx.report_id);
  g_ptr_array_add (reopening->next.events, event);
  reopening->next_data = context_serialize (&reopening->next);
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

  return ff_supervisor_authorize (store, self->task, reopening->visit, reopening->supervisor,
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

  context_clear (&self->ctx);
  self->ctx = reopening->next;
  memset (&reopening->next, 0, sizeof reopening->next);
  set_failure (self, NULL, NULL);
  set_message (self, event->message);
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event->step, event->message);
  self->state = FF_WORKFLOW_STATE_NEW;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
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
  set_failure (self, NULL, NULL);
  record_event (self, "identify", _("The technician measures the position again."));
  advance (self, FF_WORKFLOW_STATE_IDENTIFY);
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
  record_eventf (self, "failed", _("The technician chose to roll back to %s."),
                 self->item->previous->version);
  advance (self, FF_WORKFLOW_STATE_PUSH);
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
      set_outcome (self, have_fix || !same_device ? "identity-mismatch" : "aborted");
      break;
    case FF_WORKFLOW_STATE_CONFIRM:
      set_failure (self, "confirm", _("The technician did not confirm the push."));
      set_outcome (self, "aborted");
      break;
    default:
      set_outcome (self, "failed");
      break;
    }
  record_event (self, current_step (self), _("The technician closed the visit here."));
  advance (self, FF_WORKFLOW_STATE_REPORT);
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

/* ---- object --------------------------------------------------------------------------------- */

FfWorkflowState
ff_workflow_get_state (FfWorkflow *self)
{
  return self->state;
}

const char *
ff_workflow_get_device_id (FfWorkflow *self)
{
  return self->item->device_id;
}

const char *
ff_workflow_get_message (FfWorkflow *self)
{
  return self->message;
}

const char *
ff_workflow_get_failure (FfWorkflow *self)
{
  return self->ctx.failure_reason;
}

const char *
ff_workflow_get_outcome (FfWorkflow *self)
{
  return self->ctx.outcome;
}

const char *
ff_workflow_get_report_id (FfWorkflow *self)
{
  return self->ctx.report_id;
}

const FfTask *
ff_workflow_get_task (FfWorkflow *self)
{
  return self->task;
}

const FfTaskItem *
ff_workflow_get_item (FfWorkflow *self)
{
  return self->item;
}

double
ff_workflow_get_settle_progress (FfWorkflow *self)
{
  if (self->settle != NULL)
    return ff_gps_settle_get_progress (self->settle);
  return self->ctx.gps_fixes->len > 0 ? 1 : 0;
}

void
ff_workflow_get_readings (FfWorkflow         *self,
                          FfWorkflowReadings *readings)
{
  g_return_if_fail (FF_IS_WORKFLOW (self));
  g_return_if_fail (readings != NULL);

  *readings = (FfWorkflowReadings) {
    .device_id_read = self->ctx.device_id_read,
    .has_fix = self->ctx.identity_present && isfinite (self->ctx.fix_latitude),
    .fix = { self->ctx.fix_latitude, self->ctx.fix_longitude },
    .recorded = { self->item->latitude, self->item->longitude },
    .version_before = self->ctx.version_before,
    .checksum_before = self->ctx.checksum_before,
    .version_wanted = self->ctx.rolling_back ? self->item->previous->version
                                             : self->item->target.version,
    .version_after = self->ctx.version_after,
    .checksum_after = self->ctx.checksum_after,
    .before = &self->ctx.before,
    .after = &self->ctx.after,
    .reboot_expected_ms = self->profile->reboot_time_ms,
    .reconnect_attempts = self->reconnect_attempts,
    .settling = self->settle != NULL,
    .settle_progress = ff_workflow_get_settle_progress (self),
    .measurements = self->ctx.measurements,
    .can_measure_again = ff_workflow_can_measure_again (self),
  };
  if (self->settle != NULL)
    readings->gps_fixes = ff_gps_settle_get_fixes (self->settle, &readings->n_gps_fixes);
  else
    {
      readings->gps_fixes = (const FfGpsFix *) self->ctx.gps_fixes->data;
      readings->n_gps_fixes = self->ctx.gps_fixes->len;
    }
  readings->same_place = readings->has_fix
                         && ff_geo_same_place (&readings->fix, &readings->recorded);
}

static void
ff_workflow_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  FfWorkflow *self = FF_WORKFLOW (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, self->item->device_id);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case PROP_FAILURE:
      g_value_set_string (value, self->ctx.failure_reason);
      break;
    case PROP_BYTES_SENT:
      g_value_set_uint64 (value, self->bytes_sent);
      break;
    case PROP_BYTES_TOTAL:
      g_value_set_uint64 (value, self->bytes_total);
      break;
    case PROP_BYTES_PER_SECOND:
      g_value_set_double (value, self->bytes_per_second);
      break;
    case PROP_ETA_SECONDS:
      g_value_set_double (value, self->eta_seconds);
      break;
    case PROP_REBOOT_REMAINING_MS:
      g_value_set_int64 (value, self->reboot_remaining_ms);
      break;
    case PROP_OUTCOME:
      g_value_set_string (value, self->ctx.outcome);
      break;
    case PROP_REPORT_ID:
      g_value_set_string (value, self->ctx.report_id);
      break;
    case PROP_GPS_TIMEOUT:
      g_value_set_uint (value, self->gps_timeout_seconds);
      break;
    case PROP_GPS_SETTLE_SECONDS:
      g_value_set_double (value, self->gps_settle_seconds);
      break;
    case PROP_SETTLE_PROGRESS:
      g_value_set_double (value, ff_workflow_get_settle_progress (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_workflow_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  FfWorkflow *self = FF_WORKFLOW (object);

  switch (prop_id)
    {
    case PROP_GPS_TIMEOUT:
      if (self->gps_timeout_seconds != g_value_get_uint (value))
        {
          self->gps_timeout_seconds = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_GPS_SETTLE_SECONDS:
      if (self->gps_settle_seconds != g_value_get_double (value))
        {
          self->gps_settle_seconds = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_workflow_dispose (GObject *object)
{
  FfWorkflow *self = FF_WORKFLOW (object);

  if (self->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->conn, self);
      ff_iec104_conn_close (self->conn);
    }
  g_clear_object (&self->conn);
  if (self->settle != NULL)
    g_signal_handlers_disconnect_by_data (self->settle, self);
  g_clear_object (&self->settle);
  G_OBJECT_CLASS (ff_workflow_parent_class)->dispose (object);
}

static void
ff_workflow_finalize (GObject *object)
{
  FfWorkflow *self = FF_WORKFLOW (object);

  g_clear_object (&self->store);
  g_clear_object (&self->gps);
  g_clear_pointer (&self->tablet_key, ff_key_unref);
  g_clear_pointer (&self->task, ff_task_free);
  g_clear_pointer (&self->profile, ff_profile_unref);
  g_clear_pointer (&self->image, g_bytes_unref);
  g_free (self->tablet_serial);
  g_free (self->message);
  context_clear (&self->ctx);
  G_OBJECT_CLASS (ff_workflow_parent_class)->finalize (object);
}

static GParamSpec *
string_property (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
ff_workflow_class_init (FfWorkflowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = ff_workflow_get_property;
  object_class->set_property = ff_workflow_set_property;
  object_class->dispose = ff_workflow_dispose;
  object_class->finalize = ff_workflow_finalize;

  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, FF_TYPE_WORKFLOW_STATE,
                                              FF_WORKFLOW_STATE_NEW, flags);
  properties[PROP_DEVICE_ID] = string_property ("device-id");
  properties[PROP_MESSAGE] = string_property ("message");
  properties[PROP_FAILURE] = string_property ("failure");
  properties[PROP_BYTES_SENT] = g_param_spec_uint64 ("bytes-sent", NULL, NULL, 0, G_MAXUINT64, 0,
                                                     flags);
  properties[PROP_BYTES_TOTAL] = g_param_spec_uint64 ("bytes-total", NULL, NULL, 0, G_MAXUINT64, 0,
                                                      flags);
  properties[PROP_BYTES_PER_SECOND] = g_param_spec_double ("bytes-per-second", NULL, NULL, 0,
                                                           G_MAXDOUBLE, 0, flags);
  properties[PROP_ETA_SECONDS] = g_param_spec_double ("eta-seconds", NULL, NULL, -1, G_MAXDOUBLE,
                                                      -1, flags);
  properties[PROP_REBOOT_REMAINING_MS] = g_param_spec_int64 ("reboot-remaining-ms", NULL, NULL, 0,
                                                             G_MAXINT64, 0, flags);
  properties[PROP_OUTCOME] = string_property ("outcome");
  properties[PROP_REPORT_ID] = string_property ("report-id");
  /* How long identify waits for a GPS fix before it calls the identity unproven. */
  properties[PROP_GPS_TIMEOUT] =
    g_param_spec_uint ("gps-timeout", NULL, NULL, 1, 3600, DEFAULT_GPS_TIMEOUT_SECONDS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* How long identify collects consecutive fixes before it judges their median; tests shorten
   * it, a steady (simulated) source needs none. */
  properties[PROP_GPS_SETTLE_SECONDS] =
    g_param_spec_double ("gps-settle-seconds", NULL, NULL, 0, 600, DEFAULT_GPS_SETTLE_SECONDS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTLE_PROGRESS] = g_param_spec_double ("settle-progress", NULL, NULL, 0, 1, 0,
                                                          flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                        G_TYPE_STRING);
}

static void
ff_workflow_init (FfWorkflow *self)
{
  self->eta_seconds = -1;
  self->gps_timeout_seconds = DEFAULT_GPS_TIMEOUT_SECONDS;
  self->gps_settle_seconds = DEFAULT_GPS_SETTLE_SECONDS;
}

/* A workflow for @device_id of the task in @task_document (as stored after verification), resumed
 * from the store when it ran before. */
FfWorkflow *
ff_workflow_new (FfStore       *store,
                 FfGpsSource   *gps,
                 GBytes        *task_document,
                 const char    *device_id,
                 const char    *tablet_serial,
                 FfKey         *tablet_key,
                 GError       **error)
{
  g_autoptr(FfWorkflow) self = g_object_new (FF_TYPE_WORKFLOW, NULL);
  g_autofree char *state = NULL;
  g_autofree char *data = NULL;

  self->task = ff_task_parse (task_document, error);
  if (self->task == NULL)
    return NULL;
  self->item = ff_task_find_item (self->task, device_id);
  if (self->item == NULL)
    {
      g_set_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_NOT_IN_TASK,
                   _("Terminal %s is not in task %s."), device_id, self->task->task_id);
      return NULL;
    }
  self->profile = ff_profile_load (self->item->profile, error);
  if (self->profile == NULL)
    return NULL;
  self->store = g_object_ref (store);
  self->gps = g_object_ref (gps);
  self->tablet_key = ff_key_ref (tablet_key);
  self->tablet_serial = g_strdup (tablet_serial);
  self->conn = ff_iec104_conn_new (self->profile, self->item->common_address);
  g_signal_connect (self->conn, "reconnect-attempt", G_CALLBACK (reconnect_attempt), self);

  if (ff_store_load_workflow (store, self->task->task_id, device_id, &state, &data, error))
    {
      /* Never start over from a state that cannot be read: that could push a terminal twice. */
      if (!state_from_string (state, &self->state) || !context_parse (data, &self->ctx))
        {
          g_set_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_DAMAGED_STATE,
                       _("The saved progress of %s in task %s cannot be read; nothing was done."),
                       device_id, self->task->task_id);
          return NULL;
        }
      return g_steal_pointer (&self);
    }
  if (error != NULL && *error != NULL)
    return NULL;
  /* An expired task starts no new visit; one already under way is still finished. */
  if (!ff_task_check_expiry (self->task, g_get_real_time () / G_USEC_PER_SEC, error))
    return NULL;
  self->state = FF_WORKFLOW_STATE_NEW;
  context_init (&self->ctx);
  return g_steal_pointer (&self);
}
