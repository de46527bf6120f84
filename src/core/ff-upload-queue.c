/* Delivers the queued reports to the platform: each until the platform has it, retrying a lost link
 * with back-off, never dropping or repeating one. */
#include "config.h"

#include "ff-upload-queue.h"

#include <glib/gi18n-lib.h>

struct _FfUploadQueue
{
  GObject  parent_instance;

  FfStore *store;
  FfSync  *sync;
  guint    pending;
  guint    delivered;
};

G_DEFINE_FINAL_TYPE (FfUploadQueue, ff_upload_queue, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_PENDING,
  PROP_DELIVERED,
  N_PROPS
};

enum
{
  SIGNAL_REPORT_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* One flush; the store is only touched from worker threads, through the fields marked "worker". */
typedef struct
{
  GPtrArray *reports;       /* FfStoredReport * pending at the start */
  guint      index;
  guint      attempt;
  guint      max_attempts;
  guint      pause_ms;
  guint      first_pause_ms;
  guint      pause_id;
  GBytes    *document;      /* worker: the report being sent */
  GBytes    *signature;
  char      *failure;       /* worker: the reason to record, or NULL for "delivered" */
} Flush;

static void
flush_free (Flush *flush)
{
  g_clear_handle_id (&flush->pause_id, g_source_remove);
  g_clear_pointer (&flush->reports, g_ptr_array_unref);
  g_clear_pointer (&flush->document, g_bytes_unref);
  g_clear_pointer (&flush->signature, g_bytes_unref);
  g_free (flush->failure);
  g_free (flush);
}

static FfStoredReport *
current_report (Flush *flush)
{
  return flush->reports->pdata[flush->index];
}

static void
set_counts (FfUploadQueue *self, guint pending, guint delivered)
{
  if (self->pending != pending)
    {
      self->pending = pending;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
    }
  if (self->delivered != delivered)
    {
      self->delivered = delivered;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DELIVERED]);
    }
}

static gboolean
load_current (FfStore *store, gpointer data, GError **error)
{
  Flush *flush = data;

  g_clear_pointer (&flush->document, g_bytes_unref);
  g_clear_pointer (&flush->signature, g_bytes_unref);
  return ff_store_load_report (store, current_report (flush)->report_id, &flush->document,
                               &flush->signature, error);
}

static gboolean
save_outcome (FfStore *store, gpointer data, GError **error)
{
  Flush *flush = data;
  const char *report_id = current_report (flush)->report_id;

  if (flush->failure != NULL)
    return ff_store_mark_upload_failed (store, report_id, flush->failure, error);
  return ff_store_mark_uploaded (store, report_id, g_get_real_time () / G_USEC_PER_SEC, error);
}

static void upload_next (GTask *task);

static void
fail_flush (GTask *task, GError *error)
{
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* Finishes a store job of the flush; when the job failed, so does the flush. */
static gboolean
store_job_succeeded (GObject      *store,
                     GAsyncResult *result,
                     GTask        *task)
{
  GError *error = NULL;

  if (ff_store_run_finish (FF_STORE (store), result, &error))
    return TRUE;
  fail_flush (task, error);
  return FALSE;
}

static void
outcome_recorded (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  FfUploadQueue *self = g_task_get_source_object (task);
  Flush *flush = g_task_get_task_data (task);

  if (!store_job_succeeded (object, result, task))
    return;
  if (flush->failure == NULL)
    set_counts (self, self->pending - 1, self->delivered + 1);
  flush->index++;
  flush->attempt = 0;
  flush->pause_ms = flush->first_pause_ms;
  upload_next (task);
}

/* Records what the platform said about the current report (@failure NULL: it has it) and goes on
 * with the next one. */
static void
record_outcome (GTask *task, const char *failure)
{
  FfUploadQueue *self = g_task_get_source_object (task);
  Flush *flush = g_task_get_task_data (task);

  g_free (flush->failure);
  flush->failure = g_strdup (failure);
  ff_store_run_async (self->store, save_outcome, flush, NULL, NULL, outcome_recorded, task);
}

/* Only the platform refusing the report itself counts against it. An expired session, a server
 * that is not the pinned platform, or a link that stays down ends the flush and leaves the queue as
 * it was, to be tried again later. */
static void
uploaded (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask *task = user_data;
  FfUploadQueue *self = g_task_get_source_object (task);
  Flush *flush = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean duplicate = FALSE;

  /* A duplicate means an earlier answer was lost: the platform has it, so it is delivered. */
  if (ff_sync_upload_report_finish (FF_SYNC (object), result, &duplicate, &error))
    record_outcome (task, NULL);
  else if (g_error_matches (error, FF_SYNC_ERROR, FF_SYNC_ERROR_REFUSED))
    {
      /* The platform said no to this one: keep it queued with the reason and go on. */
      g_signal_emit (self, signals[SIGNAL_REPORT_FAILED], 0, current_report (flush)->report_id,
                     error->message);
      record_outcome (task, error->message);
      g_error_free (error);
    }
  else if (ff_sync_is_retryable_error (error) && flush->attempt + 1 < flush->max_attempts)
    {
      g_error_free (error);
      flush->attempt++;
      upload_next (task);
    }
  else if (g_error_matches (error, FF_SYNC_ERROR, FF_SYNC_ERROR_UNAUTHORIZED))
    {
      fail_flush (task, g_error_new (FF_SYNC_ERROR, FF_SYNC_ERROR_UNAUTHORIZED,
                                     _("The platform no longer accepts this session (%s): log in "
                                       "again. The reports stay queued."), error->message));
      g_error_free (error);
    }
  else
    fail_flush (task, error);
}

static void
report_loaded (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  FfUploadQueue *self = g_task_get_source_object (task);
  Flush *flush = g_task_get_task_data (task);

  if (store_job_succeeded (object, result, task))
    ff_sync_upload_report_async (self->sync, flush->document, flush->signature,
                                 g_task_get_cancellable (task), uploaded, task);
}

static gboolean
pause_over (gpointer user_data)
{
  GTask *task = user_data;
  FfUploadQueue *self = g_task_get_source_object (task);
  Flush *flush = g_task_get_task_data (task);

  flush->pause_id = 0;
  ff_store_run_async (self->store, load_current, flush, NULL, NULL, report_loaded, task);
  return G_SOURCE_REMOVE;
}

static void
upload_next (GTask *task)
{
  Flush *flush = g_task_get_task_data (task);

  if (flush->index >= flush->reports->len)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  if (flush->attempt == 0)
    {
      pause_over (task);
      return;
    }
  flush->pause_id = g_timeout_add (flush->pause_ms, pause_over, task);
  flush->pause_ms *= 2;
}

static void
pending_listed (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  FfUploadQueue *self = g_task_get_source_object (task);
  Flush *flush = g_task_get_task_data (task);
  GError *error = NULL;

  flush->reports = ff_store_list_reports_finish (FF_STORE (object), result, &error);
  if (flush->reports == NULL)
    {
      fail_flush (task, error);
      return;
    }
  set_counts (self, flush->reports->len, 0);
  upload_next (task);
}

void
ff_upload_queue_flush_async (FfUploadQueue       *self,
                             guint                max_attempts,
                             guint                first_pause_ms,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Flush *flush = g_new0 (Flush, 1);

  g_task_set_source_tag (task, ff_upload_queue_flush_async);
  flush->max_attempts = MAX (max_attempts, 1);
  flush->first_pause_ms = flush->pause_ms = first_pause_ms;
  g_task_set_task_data (task, flush, (GDestroyNotify) flush_free);
  ff_store_list_reports_async (self->store, TRUE, NULL, pending_listed, task);
}

gboolean
ff_upload_queue_flush_finish (FfUploadQueue  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
ff_upload_queue_get_pending (FfUploadQueue *self)
{
  return self->pending;
}

static void
ff_upload_queue_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FfUploadQueue *self = FF_UPLOAD_QUEUE (object);

  switch (prop_id)
    {
    case PROP_PENDING:
      g_value_set_uint (value, self->pending);
      break;
    case PROP_DELIVERED:
      g_value_set_uint (value, self->delivered);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_upload_queue_finalize (GObject *object)
{
  FfUploadQueue *self = FF_UPLOAD_QUEUE (object);

  g_clear_object (&self->store);
  g_clear_object (&self->sync);
  G_OBJECT_CLASS (ff_upload_queue_parent_class)->finalize (object);
}

static void
ff_upload_queue_class_init (FfUploadQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = ff_upload_queue_get_property;
  object_class->finalize = ff_upload_queue_finalize;
  properties[PROP_PENDING] = g_param_spec_uint ("pending", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_DELIVERED] = g_param_spec_uint ("delivered", NULL, NULL, 0, G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  signals[SIGNAL_REPORT_FAILED] =
    g_signal_new ("report-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
ff_upload_queue_init (FfUploadQueue *self)
{
}

FfUploadQueue *
ff_upload_queue_new (FfStore *store,
                     FfSync  *sync)
{
  FfUploadQueue *self = g_object_new (FF_TYPE_UPLOAD_QUEUE, NULL);

  self->store = g_object_ref (store);
  self->sync = g_object_ref (sync);
  return self;
}
