/* Delivers the queued reports to the platform: each until the platform has it, retrying a lost link
 * with back-off, never dropping or repeating one. */
#include "config.h"

#include "ff-upload-queue.h"

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

typedef struct
{
  GPtrArray *reports;       /* FfStoredReport * still to try */
  guint      index;
  guint      attempt;
  guint      max_attempts;
  guint      pause_ms;
  guint      first_pause_ms;
  guint      pause_id;
} Flush;

static void
flush_free (Flush *flush)
{
  g_clear_handle_id (&flush->pause_id, g_source_remove);
  g_ptr_array_unref (flush->reports);
  g_free (flush);
}

static void
refresh_counts (FfUploadQueue *self)
{
  g_autoptr(GPtrArray) pending = ff_store_list_reports (self->store, TRUE, NULL);
  guint count = pending != NULL ? pending->len : 0;

  if (count != self->pending)
    {
      self->pending = count;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
    }
}

static void upload_next (GTask *task);

static void
uploaded (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask *task = user_data;
  FfUploadQueue *self = g_task_get_source_object (task);
  Flush *flush = g_task_get_task_data (task);
  FfStoredReport *report = flush->reports->pdata[flush->index];
  g_autoptr(GError) error = NULL;
  GError *store_error = NULL;
  gboolean duplicate = FALSE;

  if (ff_sync_upload_report_finish (FF_SYNC (object), result, &duplicate, &error))
    {
      /* A duplicate means an earlier answer was lost: the platform has it, so it is delivered. */
      if (!ff_store_mark_uploaded (self->store, report->report_id,
                                   g_get_real_time () / G_USEC_PER_SEC, &store_error))
        {
          g_task_return_error (task, store_error);
          g_object_unref (task);
          return;
        }
      self->delivered++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DELIVERED]);
      refresh_counts (self);
      flush->index++;
      flush->attempt = 0;
      flush->pause_ms = flush->first_pause_ms;
      upload_next (task);
      return;
    }
  ff_store_mark_upload_failed (self->store, report->report_id, error->message, NULL);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || (ff_sync_is_retryable_error (error) && flush->attempt + 1 >= flush->max_attempts))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  if (ff_sync_is_retryable_error (error))
    {
      flush->attempt++;
      upload_next (task);
      return;
    }
  /* The platform said no to this one: keep it queued with the reason and go on. */
  g_signal_emit (self, signals[SIGNAL_REPORT_FAILED], 0, report->report_id, error->message);
  flush->index++;
  flush->attempt = 0;
  upload_next (task);
}

static gboolean
pause_over (gpointer user_data)
{
  GTask *task = user_data;
  FfUploadQueue *self = g_task_get_source_object (task);
  Flush *flush = g_task_get_task_data (task);
  FfStoredReport *report = flush->reports->pdata[flush->index];
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) signature = NULL;
  GError *error = NULL;

  flush->pause_id = 0;
  if (!ff_store_load_report (self->store, report->report_id, &document, &signature, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  ff_sync_upload_report_async (self->sync, document, signature, g_task_get_cancellable (task),
                               uploaded, task);
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
  GError *error = NULL;

  g_task_set_source_tag (task, ff_upload_queue_flush_async);
  flush->max_attempts = MAX (max_attempts, 1);
  flush->first_pause_ms = flush->pause_ms = first_pause_ms;
  flush->reports = ff_store_list_reports (self->store, TRUE, &error);
  if (flush->reports == NULL)
    {
      flush->reports = g_ptr_array_new ();
      g_task_set_task_data (task, flush, (GDestroyNotify) flush_free);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_task_set_task_data (task, flush, (GDestroyNotify) flush_free);
  self->delivered = 0;
  refresh_counts (self);
  upload_next (task);
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
  refresh_counts (self);
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
