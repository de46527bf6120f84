/* The connection's reconnect after the terminal restarts: attempts with a growing pause until
 * the terminal is back or the deadline passes. */
#include "config.h"

#include "ff-iec104-conn-private.h"

#include <glib/gi18n-lib.h>

#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 2000

static void reconnect_try (FfIec104Conn *conn);

void
ff_iec104_conn_reconnect_stop_waiting (FfIec104Conn *conn)
{
  g_clear_handle_id (&conn->reconnect_source, g_source_remove);
  if (conn->reconnect_cancel_source != NULL)
    {
      g_source_destroy (conn->reconnect_cancel_source);
      g_clear_pointer (&conn->reconnect_cancel_source, g_source_unref);
    }
}

static void
reconnect_return (FfIec104Conn *conn,
                  GError       *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&conn->reconnect_task);

  ff_iec104_conn_reconnect_stop_waiting (conn);
  g_clear_error (&conn->reconnect_last_error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
on_reconnect_delay_over (gpointer user_data)
{
  FfIec104Conn *conn = user_data;

  conn->reconnect_source = 0;
  reconnect_try (conn);
  return G_SOURCE_REMOVE;
}

/* Cancelled between two attempts (during an attempt the connect itself is cancelled). */
static gboolean
on_reconnect_cancelled (GCancellable *cancellable,
                        gpointer      user_data)
{
  FfIec104Conn *conn = user_data;

  reconnect_return (conn, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled")));
  return G_SOURCE_REMOVE;
}

static void
on_reconnect_attempt_done (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  FfIec104Conn *conn = user_data;
  GCancellable *cancellable = g_task_get_cancellable (conn->reconnect_task);
  g_autoptr(GError) error = NULL;
  gint64 remaining_us;

  if (ff_iec104_conn_connect_finish (conn, result, &error))
    {
      reconnect_return (conn, NULL);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      reconnect_return (conn, g_steal_pointer (&error));
      return;
    }
  g_clear_error (&conn->reconnect_last_error);
  conn->reconnect_last_error = g_steal_pointer (&error);
  remaining_us = conn->reconnect_deadline_us - g_get_monotonic_time ();
  if (remaining_us <= 0)
    {
      /* What it means for the terminal, not the socket's words: those go to the debug log. */
      g_debug ("reconnect: last attempt failed: %s", conn->reconnect_last_error->message);
      reconnect_return (conn, g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_NOT_BACK,
                                           _("The terminal did not come back after %u attempts: "
                                             "it may have no power, its cable may be out of the "
                                             "maintenance port, or it does not start with the "
                                             "new firmware."), conn->reconnect_attempt));
      return;
    }
  conn->reconnect_source = g_timeout_add (MIN ((gint64) conn->reconnect_delay_ms,
                                               remaining_us / 1000 + 1),
                                          on_reconnect_delay_over, conn);
  conn->reconnect_delay_ms = MIN (conn->reconnect_delay_ms * 3 / 2, BACKOFF_MAX_MS);
  if (cancellable != NULL)
    {
      conn->reconnect_cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (conn->reconnect_cancel_source, G_SOURCE_FUNC (on_reconnect_cancelled),
                             conn, NULL);
      g_source_attach (conn->reconnect_cancel_source, g_main_context_get_thread_default ());
    }
}

static void
reconnect_try (FfIec104Conn *conn)
{
  gint64 remaining_ms = (conn->reconnect_deadline_us - g_get_monotonic_time ()) / 1000;

  ff_iec104_conn_reconnect_stop_waiting (conn);
  conn->reconnect_attempt++;
  g_signal_emit (conn, ff_iec104_conn_signals[SIGNAL_RECONNECT_ATTEMPT], 0, conn->reconnect_attempt,
                 MAX (remaining_ms, 0));
  ff_iec104_conn_connect_async (conn, conn->host, conn->port,
                                g_task_get_cancellable (conn->reconnect_task),
                                on_reconnect_attempt_done, conn);
}

gboolean
ff_iec104_conn_reconnect_now (FfIec104Conn *conn)
{
  g_return_val_if_fail (FF_IS_IEC104_CONN (conn), FALSE);

  if (conn->reconnect_task == NULL || conn->reconnect_source == 0)
    return FALSE;
  conn->reconnect_delay_ms = BACKOFF_FIRST_MS;
  reconnect_try (conn);
  return TRUE;
}

void
ff_iec104_conn_reconnect_async (FfIec104Conn        *conn,
                                guint                timeout_ms,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (conn, cancellable, callback, user_data);

  g_task_set_source_tag (task, ff_iec104_conn_reconnect_async);
  if (conn->host == NULL)
    {
      g_task_return_new_error (task, FF_IEC104_ERROR, FF_IEC104_ERROR_NOT_CONNECTED,
                               _("Never connected: nothing to reconnect to"));
      return;
    }
  if (conn->task != NULL || conn->reconnect_task != NULL)
    {
      g_task_return_error (task, ff_iec104_conn_busy_error ());
      return;
    }
  ff_iec104_conn_close (conn);
  conn->reconnect_deadline_us = g_get_monotonic_time ()
                                + (gint64) (timeout_ms != 0 ? timeout_ms
                                            : conn->iec104.reboot_wait_ms) * 1000;
  conn->reconnect_attempt = 0;
  conn->reconnect_delay_ms = BACKOFF_FIRST_MS;
  conn->reconnect_task = g_steal_pointer (&task);
  reconnect_try (conn);
}

gboolean
ff_iec104_conn_reconnect_finish (FfIec104Conn  *conn,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
