/* The file push to a terminal: the file write request (its data and progress) and the push in
 * three steps built on it, send the image, commit it and restart the terminal. */
#include "config.h"

#include "ff-iec104-conn-private.h"

#define PROGRESS_INTERVAL_US (100 * 1000)

/* ---- the file write ------------------------------------------------------------------------ */

void
ff_iec104_conn_report_progress (FfIec104Conn             *conn,
                                const Iec104MasterEvent *event,
                                gboolean                 final)
{
  gint64 now = g_get_monotonic_time ();
  double seconds = (now - conn->write_started_us) / (double) G_USEC_PER_SEC;

  if (conn->progress == NULL || (!final && now - conn->last_progress_us < PROGRESS_INTERVAL_US))
    return;
  conn->last_progress_us = now;
  conn->progress (event->bytes_sent, event->bytes_acked, g_bytes_get_size (conn->file_data),
                  seconds > 0 ? event->bytes_acked / seconds : 0.0, conn->progress_data);
}

void
ff_iec104_conn_clear_file_write (FfIec104Conn *conn)
{
  g_clear_pointer (&conn->file_data, g_bytes_unref);
  if (conn->progress_destroy != NULL)
    conn->progress_destroy (conn->progress_data);
  conn->progress = NULL;
  conn->progress_data = NULL;
  conn->progress_destroy = NULL;
}

Iec104Error
ff_iec104_conn_start_file_write (FfIec104Conn *conn,
                                 guint64       now_ms)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (conn->file_data, &size);
  const char *name = g_task_get_task_data (conn->task);

  conn->write_started_us = conn->last_progress_us = g_get_monotonic_time ();
  return iec104_master_file_write (conn->master, name, data, size, now_ms);
}

void
ff_iec104_conn_write_file_async (FfIec104Conn         *conn,
                                 const char           *name,
                                 GBytes               *data,
                                 FfIec104ProgressFunc  progress,
                                 gpointer              progress_data,
                                 GDestroyNotify        progress_destroy,
                                 GCancellable         *cancellable,
                                 GAsyncReadyCallback   callback,
                                 gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (conn, cancellable, callback, user_data);

  g_task_set_source_tag (task, ff_iec104_conn_write_file_async);
  g_task_set_task_data (task, g_strdup (name), g_free);
  if (conn->task != NULL)
    {
      /* Keep the running write's data and progress; this request only fails. */
      if (progress_destroy != NULL)
        progress_destroy (progress_data);
      g_task_return_error (task, ff_iec104_conn_busy_error ());
      return;
    }
  ff_iec104_conn_clear_file_write (conn);
  conn->file_data = g_bytes_ref (data);
  conn->progress = progress;
  conn->progress_data = progress_data;
  conn->progress_destroy = progress_destroy;
  ff_iec104_conn_run_request (conn, task, OP_WRITE_FILE);
  if (conn->task != task)
    ff_iec104_conn_clear_file_write (conn);
}

gboolean
ff_iec104_conn_write_file_finish (FfIec104Conn  *conn,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the push in three steps ---------------------------------------------------------------- */

/* The bytes of the I-frames the master sent, over all connections so far: its requests' own, not
 * the acknowledgements and tests of the link, whose number depends on timing. */
static guint64
bytes_sent (FfIec104Conn *conn)
{
  FfIec104Pump *locked = ff_iec104_conn_lock_master (conn);
  guint64 bytes = iec104_link_get_i_frame_bytes (iec104_master_get_link (conn->master));

  ff_iec104_conn_unlock_master (locked);
  return bytes;
}

typedef struct
{
  char                 *name;
  GBytes               *image;
  FfIec104ProgressFunc  progress;
  gpointer              progress_data;
  GDestroyNotify        progress_destroy;
  guint64               sent_before;   /* the master's I-frame bytes when the send began */
  guint64               wire_bytes;    /* the I-frames the send put on the link */
} ImageSend;

static void
image_send_free (ImageSend *send)
{
  g_free (send->name);
  g_bytes_unref (send->image);
  if (send->progress_destroy != NULL)
    send->progress_destroy (send->progress_data);
  g_free (send);
}

static void
image_written (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FfIec104Conn *conn = FF_IEC104_CONN (source);
  ImageSend *send = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ff_iec104_conn_write_file_finish (conn, result, &error))
    g_task_return_error (task, error);
  else
    {
      send->wire_bytes = bytes_sent (conn) - send->sent_before;
      g_task_return_boolean (task, TRUE);
    }
}

static void
image_write (GTask *task)
{
  FfIec104Conn *conn = g_task_get_source_object (task);
  ImageSend *send = g_task_get_task_data (task);

  /* The progress callback stays ours: it is released with the send, not by the write. */
  ff_iec104_conn_write_file_async (conn, send->name, send->image, send->progress,
                                   send->progress_data, NULL, g_task_get_cancellable (task),
                                   image_written, task);
}

static void
image_upgrade_started (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!ff_iec104_conn_upgrade_start_finish (FF_IEC104_CONN (source), result, &error))
    g_task_return_error (task, error);
  else
    image_write (g_steal_pointer (&task));
}

void
ff_iec104_conn_send_image_async (FfIec104Conn         *conn,
                                 const char           *name,
                                 GBytes               *image,
                                 FfIec104ProgressFunc  progress,
                                 gpointer              progress_data,
                                 GDestroyNotify        progress_destroy,
                                 GCancellable         *cancellable,
                                 GAsyncReadyCallback   callback,
                                 gpointer              user_data)
{
  GTask *task = g_task_new (conn, cancellable, callback, user_data);
  ImageSend *send = g_new0 (ImageSend, 1);

  g_task_set_source_tag (task, ff_iec104_conn_send_image_async);
  send->name = g_strdup (name);
  send->image = g_bytes_ref (image);
  send->progress = progress;
  send->progress_data = progress_data;
  send->progress_destroy = progress_destroy;
  send->sent_before = bytes_sent (conn);
  g_task_set_task_data (task, send, (GDestroyNotify) image_send_free);
  if (conn->iec104.upgrade_start_before_write)
    ff_iec104_conn_upgrade_start_async (conn, cancellable, image_upgrade_started, task);
  else
    image_write (task);
}

gboolean
ff_iec104_conn_send_image_finish (FfIec104Conn  *conn,
                                  GAsyncResult  *result,
                                  guint64       *wire_bytes,
                                  GError       **error)
{
  ImageSend *send = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (wire_bytes != NULL)
    *wire_bytes = send->wire_bytes;
  return TRUE;
}

static void
image_committed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  gboolean restarting = FALSE;
  GError *error = NULL;

  if (!ff_iec104_conn_upgrade_finish_finish (FF_IEC104_CONN (source), result, &restarting,
                                             &error))
    g_task_return_error (task, error);
  else
    {
      g_task_set_task_data (task, GINT_TO_POINTER (restarting), NULL);
      g_task_return_boolean (task, TRUE);
    }
}

void
ff_iec104_conn_commit_image_async (FfIec104Conn        *conn,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task = g_task_new (conn, cancellable, callback, user_data);

  g_task_set_source_tag (task, ff_iec104_conn_commit_image_async);
  if (conn->iec104.upgrade_start_before_write)
    ff_iec104_conn_upgrade_finish_async (conn, cancellable, image_committed, task);
  else
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

gboolean
ff_iec104_conn_commit_image_finish (FfIec104Conn  *conn,
                                    GAsyncResult  *result,
                                    gboolean      *restarting,
                                    GError       **error)
{
  gboolean ok = g_task_propagate_boolean (G_TASK (result), error);

  if (restarting != NULL)
    *restarting = ok && GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));
  return ok;
}

void
ff_iec104_conn_restart_async (FfIec104Conn        *conn,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (conn, cancellable, callback, user_data);

  g_task_set_source_tag (task, ff_iec104_conn_restart_async);
  /* Without 105 the terminal restarts by itself (or applies the image without a restart). */
  if (!conn->iec104.reset_after_upgrade_finish)
    g_task_return_boolean (task, TRUE);
  else
    ff_iec104_conn_run_request (conn, task, OP_RESET);
}

gboolean
ff_iec104_conn_restart_finish (FfIec104Conn  *conn,
                               GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
push_restarted (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!ff_iec104_conn_restart_finish (FF_IEC104_CONN (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
push_committed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FfIec104Conn *conn = FF_IEC104_CONN (source);
  GCancellable *cancellable = g_task_get_cancellable (task);
  gboolean restarting = FALSE;
  GError *error = NULL;

  if (!ff_iec104_conn_commit_image_finish (conn, result, &restarting, &error))
    g_task_return_error (task, error);
  else if (restarting)
    g_task_return_boolean (task, TRUE);
  else
    ff_iec104_conn_restart_async (conn, cancellable, push_restarted, g_steal_pointer (&task));
}

static void
push_sent (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FfIec104Conn *conn = FF_IEC104_CONN (source);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!ff_iec104_conn_send_image_finish (conn, result, NULL, &error))
    g_task_return_error (task, error);
  else
    ff_iec104_conn_commit_image_async (conn, cancellable, push_committed,
                                       g_steal_pointer (&task));
}

void
ff_iec104_conn_push_async (FfIec104Conn         *conn,
                           const char           *name,
                           GBytes               *image,
                           FfIec104ProgressFunc  progress,
                           gpointer              progress_data,
                           GDestroyNotify        progress_destroy,
                           GCancellable         *cancellable,
                           GAsyncReadyCallback   callback,
                           gpointer              user_data)
{
  GTask *task = g_task_new (conn, cancellable, callback, user_data);

  g_task_set_source_tag (task, ff_iec104_conn_push_async);
  ff_iec104_conn_send_image_async (conn, name, image, progress, progress_data, progress_destroy,
                                   cancellable, push_sent, task);
}

gboolean
ff_iec104_conn_push_finish (FfIec104Conn  *conn,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
