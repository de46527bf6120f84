/* The GIO adapter that drives the sans-I/O iec104 master over TCP: connects with GSocketClient,
 * runs one request at a time as a GTask, and turns the master's results into values and GErrors.
 * The file push is in ff-iec104-conn-push.c, the reconnect in ff-iec104-conn-reconnect.c.
 *
 * The link is pumped on a thread of its own (ff_iec104_pump_new_on_thread): the master reads,
 * acknowledges and keeps its timers while the caller's main loop (the UI's) is held up, since a
 * terminal closes the link when it is not acknowledged within t1. Everything else here runs in
 * the caller's context; while a pump is open, each call to the master is made under its lock
 * (ff_iec104_conn_lock_master), never across a callback or a close. */
#include "config.h"

#include "ff-iec104-conn.h"

#include "ff-iec104-conn-private.h"

#include <glib/gi18n-lib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#define INFO_FIRST_IOA 0x8001
#define INFO_COUNT 10

G_DEFINE_QUARK (ff-iec104-error-quark, ff_iec104_error)

G_DEFINE_FINAL_TYPE (FfIec104Conn, ff_iec104_conn, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_CONNECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
guint ff_iec104_conn_signals[N_SIGNALS];

static void start_connect (FfIec104Conn *conn, guint timeout_ms);

/* The pump (if any) whose lock guards the master until ff_iec104_conn_unlock_master. */
FfIec104Pump *
ff_iec104_conn_lock_master (FfIec104Conn *conn)
{
  FfIec104Pump *pump = conn->pump != NULL ? g_object_ref (conn->pump) : NULL;

  ff_iec104_pump_lock (pump);
  return pump;
}

void
ff_iec104_conn_unlock_master (FfIec104Pump *pump)
{
  if (pump == NULL)
    return;
  ff_iec104_pump_unlock (pump);
  g_object_unref (pump);
}

/* ---- errors -------------------------------------------------------------------------------- */

gboolean
ff_iec104_error_is_refusal (const GError *error)
{
  if (error == NULL || error->domain != FF_IEC104_ERROR)
    return FALSE;
  switch ((FfIec104Error) error->code)
    {
    case FF_IEC104_ERROR_REFUSED:
    case FF_IEC104_ERROR_FILE_NAME_REFUSED:
    case FF_IEC104_ERROR_FILE_TOO_LARGE:
    case FF_IEC104_ERROR_FILE_CHECKSUM:
    case FF_IEC104_ERROR_FILE_LENGTH:
    case FF_IEC104_ERROR_FILE_FAILED:
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
ff_iec104_error_is_connection (const GError *error)
{
  if (error == NULL || error->domain != FF_IEC104_ERROR)
    return FALSE;
  switch ((FfIec104Error) error->code)
    {
    case FF_IEC104_ERROR_CONNECT_FAILED:
    case FF_IEC104_ERROR_CONNECT_TIMEOUT:
    case FF_IEC104_ERROR_T1_EXPIRED:
    case FF_IEC104_ERROR_LINK_LOST:
    case FF_IEC104_ERROR_TIMEOUT:
    case FF_IEC104_ERROR_REBOOTED_EARLY:
    case FF_IEC104_ERROR_NOT_BACK:
    case FF_IEC104_ERROR_NOT_CONNECTED:
      return TRUE;
    default:
      return FALSE;
    }
}

static const char *
operation_label (Operation operation)
{
  switch (operation)
    {
    case OP_CONNECT: return _("starting data transfer");
    case OP_READ_INFO: return _("reading the terminal information");
    case OP_INTERROGATE: return _("the general interrogation");
    case OP_WRITE_FILE: return _("the file transfer");
    case OP_UPGRADE_START: return _("the upgrade start");
    case OP_UPGRADE_FINISH: return _("the upgrade finish");
    case OP_UPGRADE_CANCEL: return _("the upgrade cancel");
    case OP_RESET: return _("the reset");
    case OP_NONE: break;
    }
  return "";
}

/* The 1-based ordinal of a segment, whichever way the profile numbers them. */
static guint
segment_ordinal (FfIec104Conn *conn,
                 guint32       segment)
{
  if (conn->iec104.segment_numbering == IEC104_SEGMENT_NUMBER_OFFSET)
    return segment / conn->iec104.segment_size + 1;
  return segment + 1;
}

static GError *
file_result_error (FfIec104Conn             *conn,
                   const Iec104MasterEvent *event)
{
  if (event->bytes_sent == 0)
    {
      /* Nothing was sent yet: the write activation (OP8) said no. */
      switch (event->file_result)
        {
        case IEC104_WRITE_ACT_NAME_NOT_SUPPORTED:
          return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_FILE_NAME_REFUSED,
                              _("The terminal refused the file name “%s”"),
                              conn->iec104.upgrade_file_name);
        case IEC104_WRITE_ACT_LENGTH_OUT_OF_RANGE:
          return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_FILE_TOO_LARGE,
                              _("The terminal refused a file of %llu bytes"),
                              (unsigned long long) event->file_size);
        default:
          return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_FILE_FAILED,
                              _("The terminal refused the file transfer (result %u)"),
                              event->file_result);
        }
    }
  switch (event->file_result)
    {
    case IEC104_WRITE_DATA_CHECKSUM_ERROR:
      return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_FILE_CHECKSUM,
                          _("The terminal reported a checksum error at segment %u"),
                          segment_ordinal (conn, event->file_segment));
    case IEC104_WRITE_DATA_LENGTH_MISMATCH:
      return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_FILE_LENGTH,
                          _("The terminal reported a file length mismatch"));
    default:
      return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_FILE_FAILED,
                          _("The terminal reported an error at segment %u (result %u)"),
                          segment_ordinal (conn, event->file_segment), event->file_result);
    }
}

static GError *
error_from_event (FfIec104Conn             *conn,
                  const Iec104MasterEvent *event)
{
  const char *what = operation_label (conn->operation);

  switch (event->error)
    {
    case IEC104_ERROR_CANCELLED:
      return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
    case IEC104_ERROR_CONNECTION_LOST:
      if (conn->closing_locally)
        return g_error_new_literal (FF_IEC104_ERROR, FF_IEC104_ERROR_NOT_CONNECTED,
                                    _("The connection was closed"));
      if (conn->operation == OP_RESET)
        return g_error_new_literal (FF_IEC104_ERROR, FF_IEC104_ERROR_REBOOTED_EARLY,
                                    _("The terminal dropped the link before confirming the reset: "
                                      "it rebooted early or the link was lost"));
      if (conn->operation == OP_UPGRADE_START || conn->operation == OP_UPGRADE_FINISH
          || conn->operation == OP_UPGRADE_CANCEL)
        return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_REBOOTED_EARLY,
                            _("The terminal dropped the link during %s: it rebooted early"),
                            what);
      if (conn->operation == OP_WRITE_FILE)
        return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_LINK_LOST,
                            _("The terminal dropped the link during the file transfer after "
                              "%llu bytes"), (unsigned long long) event->bytes_acked);
      return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_LINK_LOST,
                          _("The terminal dropped the link during %s"), what);
    case IEC104_ERROR_T1_TIMEOUT:
      return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_T1_EXPIRED,
                          _("t1 expired during %s: the terminal stopped acknowledging frames"),
                          what);
    case IEC104_ERROR_TIMEOUT:
      return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_TIMEOUT,
                          _("The terminal did not answer %s in time"), what);
    case IEC104_ERROR_UNKNOWN_TYPE:
    case IEC104_ERROR_UNKNOWN_COT:
    case IEC104_ERROR_UNKNOWN_CA:
    case IEC104_ERROR_UNKNOWN_IOA:
    case IEC104_ERROR_NEGATIVE_CONFIRM:
    case IEC104_ERROR_TERMINATED:
      return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_REFUSED,
                          _("The terminal refused %s (cause of transmission %u)"), what,
                          event->cot);
    case IEC104_ERROR_FILE_RESULT:
      return file_result_error (conn, event);
    default:
      return g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_PROTOCOL,
                          _("Protocol error during %s: %s"), what,
                          iec104_strerror (event->error));
    }
}

GError *
ff_iec104_conn_busy_error (void)
{
  return g_error_new_literal (FF_IEC104_ERROR, FF_IEC104_ERROR_BUSY,
                              _("Another request to the terminal is still running"));
}

/* ---- the running request ------------------------------------------------------------------- */

static GTask *
take_task (FfIec104Conn *conn)
{
  if (conn->cancel_source != NULL)
    {
      g_source_destroy (conn->cancel_source);
      g_clear_pointer (&conn->cancel_source, g_source_unref);
    }
  g_clear_handle_id (&conn->wait_drop_source, g_source_remove);
  conn->operation = OP_NONE;
  return g_steal_pointer (&conn->task);
}

static void
return_error (FfIec104Conn *conn,
              GError       *error)
{
  g_autoptr(GTask) task = take_task (conn);

  g_task_return_error (task, error);
}

/* Forgets the TCP connection; `flush` lets the link's last frames (e.g. the S-frame before a
 * close) go out first. */
static void
drop_pump (FfIec104Conn *conn,
           gboolean      flush)
{
  if (conn->pump == NULL)
    return;
  if (flush)
    ff_iec104_pump_close_when_flushed (conn->pump);
  else
    ff_iec104_pump_close (conn->pump);
  g_clear_object (&conn->pump);
  g_object_notify_by_pspec (G_OBJECT (conn), properties[PROP_CONNECTED]);
}

static FfTerminalInfo *
terminal_info_from_params (const Iec104Param *params,
                           gsize              n_params)
{
  FfTerminalInfo *info = g_new0 (FfTerminalInfo, 1);
  char **fields[INFO_COUNT] = {
    &info->type, &info->os, &info->manufacturer, &info->hardware_version,
    &info->software_version, &info->checksum, &info->protocol, &info->model, &info->device_id,
    &info->mac,
  };

  for (gsize i = 0; i < n_params; i++)
    {
      guint32 index = params[i].ioa - INFO_FIRST_IOA;
      char text[IEC104_PARAM_VALUE_MAX + 1];
      g_autofree char *gbk = NULL;

      if (params[i].ioa < INFO_FIRST_IOA || index >= INFO_COUNT)
        continue;
      iec104_param_get_string (&params[i], text, sizeof text);
      g_free (*fields[index]);
      /* Some vendors' terminals answer in GBK: text that is not UTF-8 is read as GB18030 (GBK's
       * superset) where it is that. The persisted state, the report and the screen take UTF-8 only,
       * so bytes that are neither are shown as U+FFFD (a GBK ID still differs from the task's, as
       * it should), and so are control characters: an escape sequence or a line break in a device
       * ID would rewrite the technician's terminal or fake a line of the cli's. */
      gbk = g_utf8_validate (text, -1, NULL) ? NULL
            : g_convert (text, -1, "UTF-8", "GB18030", NULL, NULL, NULL);
      *fields[index] = ff_text_make_printable (gbk != NULL ? gbk : text);
    }
  return info;
}

static void
point_from_iec104 (const Iec104Point *in,
                   FfIec104Point     *out)
{
  out->ioa = in->ioa;
  out->type_id = in->type_id;
  out->quality = in->quality;
  out->value = in->value;
  out->raw_float = in->value;
  out->has_time = in->has_time;
  out->time = in->time;
}

static GArray *
points_array (const Iec104Point *points,
              gsize              n_points)
{
  GArray *array = g_array_sized_new (FALSE, FALSE, sizeof (FfIec104Point), (guint) n_points);

  for (gsize i = 0; i < n_points; i++)
    {
      FfIec104Point point;

      point_from_iec104 (&points[i], &point);
      g_array_append_val (array, point);
    }
  return array;
}

static gboolean
on_drop_wait_over (gpointer user_data)
{
  FfIec104Conn *conn = user_data;
  g_autoptr(GTask) task = NULL;
  Operation operation = conn->operation;

  conn->wait_drop_source = 0;
  task = take_task (conn);
  if (operation == OP_RESET)
    {
      /* Confirmed but still connected: close our side, the terminal is restarting. */
      ff_iec104_conn_close (conn);
      g_task_return_boolean (task, TRUE);
    }
  else
    {
      g_task_set_task_data (task, GINT_TO_POINTER (FALSE), NULL);
      g_task_return_boolean (task, TRUE);
    }
  return G_SOURCE_REMOVE;
}

static void
wait_for_drop (FfIec104Conn *conn)
{
  conn->wait_drop_source = g_timeout_add (conn->iec104.reply_timeout_ms, on_drop_wait_over, conn);
}

static void
request_done (FfIec104Conn             *conn,
              const Iec104MasterEvent *event)
{
  g_autoptr(GTask) task = NULL;
  gboolean expected_drop = event->error == IEC104_ERROR_CONNECTION_LOST && !conn->closing_locally;

  if (conn->task == NULL)
    return;

  if (conn->operation == OP_WRITE_FILE)
    {
      ff_iec104_conn_report_progress (conn, event, TRUE);
      ff_iec104_conn_clear_file_write (conn);
    }
  /* A drop instead of the 105 confirmation is the restart itself only for a terminal that
   * restarts by itself anyway; for others it is a lost link (error_from_event). */
  if (conn->operation == OP_RESET
      && (event->error == IEC104_OK
          || (expected_drop && conn->iec104.reboots_after_upgrade_finish)))
    {
      if (event->error == IEC104_OK)
        {
          wait_for_drop (conn);
          return;
        }
      task = take_task (conn);
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (conn->operation == OP_UPGRADE_FINISH && conn->iec104.reboots_after_upgrade_finish
      && (event->error == IEC104_OK || expected_drop))
    {
      if (event->error == IEC104_OK && !conn->iec104.reset_after_upgrade_finish)
        {
          wait_for_drop (conn);
          return;
        }
      task = take_task (conn);
      g_task_set_task_data (task, GINT_TO_POINTER (event->error != IEC104_OK), NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (event->error != IEC104_OK)
    {
      Operation operation = conn->operation;
      GError *error = error_from_event (conn, event);

      if (operation == OP_CONNECT)
        ff_iec104_conn_close (conn);
      return_error (conn, error);
      return;
    }

  task = take_task (conn);
  switch (event->request)
    {
    case IEC104_MASTER_REQUEST_READ_PARAMS:
      g_task_return_pointer (task, terminal_info_from_params (event->params, event->n_params),
                             (GDestroyNotify) ff_terminal_info_free);
      break;
    case IEC104_MASTER_REQUEST_INTERROGATION:
      g_task_return_pointer (task, points_array (event->points, event->n_points),
                             (GDestroyNotify) g_array_unref);
      break;
    default:
      g_task_return_boolean (task, TRUE);
      break;
    }
}

/* The signal @point measures: a measured value (normalised, scaled, short float) at one of the
 * profile's signal IOAs. A status point there is no reading of it, whatever its state reads as. */
static gboolean
signal_of_point (const FfProfile     *profile,
                 const FfIec104Point *point,
                 FfSignal            *signal)
{
  switch (point->type_id)
    {
    case IEC104_TI_M_ME_NA_1:
    case IEC104_TI_M_ME_NB_1:
    case IEC104_TI_M_ME_NC_1:
    case IEC104_TI_M_ME_TF_1:
      return ff_profile_signal_for_ioa (profile, point->ioa, signal);
    default:
      return FALSE;
    }
}

static void
emit_points (FfIec104Conn             *conn,
             const Iec104MasterEvent *event)
{
  for (gsize i = 0; i < event->n_points; i++)
    {
      FfIec104Point point;
      FfSignal signal;
      gint signal_index = -1;

      point_from_iec104 (&event->points[i], &point);
      if (signal_of_point (conn->profile, &point, &signal))
        signal_index = (gint) signal;
      g_signal_emit (conn, ff_iec104_conn_signals[SIGNAL_MEASUREMENT], 0, &point, signal_index);
    }
}

static void
link_closed (FfIec104Conn *conn,
             Iec104Error   reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfIec104Conn) hold = g_object_ref (conn);

  drop_pump (conn, reason != IEC104_ERROR_CONNECTION_LOST);
  if (!conn->closing_locally)
    error = g_error_new (FF_IEC104_ERROR, reason == IEC104_ERROR_T1_TIMEOUT
                                            ? FF_IEC104_ERROR_T1_EXPIRED
                                            : FF_IEC104_ERROR_LINK_LOST,
                         _("The link to the terminal closed: %s"), iec104_strerror (reason));
  g_signal_emit (conn, ff_iec104_conn_signals[SIGNAL_CLOSED], 0, error);

  /* Waiting for exactly this: the terminal restarting after 105 or 211 finish. */
  if (conn->wait_drop_source != 0)
    {
      Operation operation = conn->operation;
      g_autoptr(GTask) task = take_task (conn);

      if (operation == OP_UPGRADE_FINISH)
        g_task_set_task_data (task, GINT_TO_POINTER (TRUE), NULL);
      g_task_return_boolean (task, TRUE);
    }
}

/* The master ignores (and counts) replies with another common address; say so once, since a
 * request that then times out looks like a silent terminal otherwise. */
static void
log_foreign_replies (FfIec104Conn *conn)
{
  guint16 foreign_ca;
  guint64 foreign;
  FfIec104Pump *locked;

  if (conn->foreign_ca_logged || conn->master == NULL)
    return;
  locked = ff_iec104_conn_lock_master (conn);
  foreign = iec104_master_get_foreign_replies (conn->master, &foreign_ca);
  ff_iec104_conn_unlock_master (locked);
  if (foreign == 0)
    return;
  conn->foreign_ca_logged = TRUE;
  g_message (_("Ignoring replies from common address %u at %s:%u: this connection is for the "
               "terminal at common address %u"), foreign_ca, conn->host, conn->port,
             conn->iec104.common_address);
}

/* The master's next event; its pointers stay valid until the next poll, which only this thread
 * makes. */
static gboolean
poll_event (FfIec104Conn      *conn,
            Iec104MasterEvent *event)
{
  FfIec104Pump *locked;
  gboolean polled;

  if (conn->master == NULL)
    return FALSE;
  locked = ff_iec104_conn_lock_master (conn);
  polled = iec104_master_poll_event (conn->master, event);
  ff_iec104_conn_unlock_master (locked);
  return polled;
}

static void
drain_events (FfIec104Conn *conn)
{
  Iec104MasterEvent event;

  log_foreign_replies (conn);

  while (poll_event (conn, &event))
    switch (event.type)
      {
      case IEC104_MASTER_EVENT_DONE:
        request_done (conn, &event);
        break;
      case IEC104_MASTER_EVENT_POINTS:
        emit_points (conn, &event);
        break;
      case IEC104_MASTER_EVENT_FILE_PROGRESS:
        if (conn->operation == OP_WRITE_FILE)
          ff_iec104_conn_report_progress (conn, &event, FALSE);
        break;
      case IEC104_MASTER_EVENT_FILE_DATA:
      case IEC104_MASTER_EVENT_END_OF_INIT:
        break;
      case IEC104_MASTER_EVENT_CLOSED:
        link_closed (conn, event.error);
        break;
      }
}

/* ---- the pump ------------------------------------------------------------------------------ */

static void
pump_after_step (gpointer owner)
{
  drain_events (FF_IEC104_CONN (owner));
}

/* ---- starting requests --------------------------------------------------------------------- */

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  FfIec104Conn *conn = user_data;
  FfIec104Pump *locked;

  if (conn->task == NULL)
    return G_SOURCE_REMOVE;
  if (conn->wait_drop_source != 0 || conn->pump == NULL)
    {
      /* Nothing runs in the master: our own wait for a drop, or a TCP connect in progress (which
       * GSocketClient abandons by itself). */
      if (conn->operation == OP_CONNECT)
        ff_iec104_conn_close (conn);
      return_error (conn, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled")));
      return G_SOURCE_REMOVE;
    }
  locked = ff_iec104_conn_lock_master (conn);
  iec104_master_cancel (conn->master);
  ff_iec104_conn_unlock_master (locked);
  drain_events (conn);
  if (conn->pump != NULL)
    ff_iec104_pump_flush (conn->pump);
  return G_SOURCE_REMOVE;
}

/* Makes `task` the running request; FALSE (and the task returned) when another one runs. */
static gboolean
begin_operation (FfIec104Conn *conn,
                 GTask        *task,
                 Operation     operation)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (conn->task != NULL)
    {
      g_task_return_error (task, ff_iec104_conn_busy_error ());
      return FALSE;
    }
  conn->task = g_object_ref (task);
  conn->operation = operation;
  if (cancellable != NULL)
    {
      conn->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (conn->cancel_source, G_SOURCE_FUNC (on_cancelled), conn, NULL);
      g_source_attach (conn->cancel_source, g_main_context_get_thread_default ());
    }
  return TRUE;
}

static Iec104Error
start_read_info (FfIec104Conn *conn,
                 guint64       now_ms)
{
  guint32 ioas[INFO_COUNT];

  for (guint i = 0; i < INFO_COUNT; i++)
    ioas[i] = INFO_FIRST_IOA + i;
  return iec104_master_read_params (conn->master, conn->iec104.param_sn, ioas, INFO_COUNT,
                                    now_ms);
}

static Iec104Error
start_operation (FfIec104Conn *conn,
                 guint64       now_ms)
{
  switch (conn->operation)
    {
    case OP_READ_INFO: return start_read_info (conn, now_ms);
    case OP_INTERROGATE: return iec104_master_interrogate (conn->master, now_ms);
    case OP_WRITE_FILE: return ff_iec104_conn_start_file_write (conn, now_ms);
    case OP_UPGRADE_START: return iec104_master_upgrade_start (conn->master, now_ms);
    case OP_UPGRADE_FINISH: return iec104_master_upgrade_finish (conn->master, now_ms);
    case OP_UPGRADE_CANCEL: return iec104_master_upgrade_cancel (conn->master, now_ms);
    case OP_RESET:
      return iec104_master_reset_process (conn->master, IEC104_QRP_GENERAL_RESET, now_ms);
    case OP_NONE:
    case OP_CONNECT:
      break;
    }
  g_return_val_if_reached (IEC104_ERROR_INVALID_ARGUMENT);
}

void
ff_iec104_conn_run_request (FfIec104Conn *conn,
                            GTask        *task,
                            Operation     operation)
{
  Iec104Error error;
  FfIec104Pump *locked;

  if (conn->pump == NULL)
    {
      g_task_return_new_error (task, FF_IEC104_ERROR, FF_IEC104_ERROR_NOT_CONNECTED,
                               _("Not connected to the terminal"));
      return;
    }
  if (!begin_operation (conn, task, operation))
    return;
  locked = ff_iec104_conn_lock_master (conn);
  error = start_operation (conn, ff_iec104_now_ms ());
  ff_iec104_conn_unlock_master (locked);
  if (error != IEC104_OK)
    {
      Iec104MasterEvent event = { .error = error };

      return_error (conn, error == IEC104_ERROR_BUSY ? ff_iec104_conn_busy_error ()
                                                     : error_from_event (conn, &event));
      return;
    }
  ff_iec104_pump_flush (conn->pump);
}

/* The _async of a request that needs nothing but its operation. */
static void
request_async (FfIec104Conn        *conn,
               Operation            operation,
               gpointer             source_tag,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (conn, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  ff_iec104_conn_run_request (conn, task, operation);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  FfIec104Conn *conn = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  FfIec104Pump *locked;
  Iec104Error started;

  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (conn->task == NULL)
    return;  /* cancelled meanwhile; the connection (if any) is dropped */
  if (connection == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return_error (conn, g_steal_pointer (&error));
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        return_error (conn, g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_CONNECT_TIMEOUT,
                                         _("No connection to %s:%u within t0"), conn->host,
                                         conn->port));
      else
        return_error (conn, g_error_new (FF_IEC104_ERROR, FF_IEC104_ERROR_CONNECT_FAILED,
                                         _("Cannot connect to the terminal at %s:%u: %s"),
                                         conn->host, conn->port, error->message));
      return;
    }

  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, 1,
                       NULL);
  iec104_master_open (conn->master, ff_iec104_now_ms ());
  conn->pump = ff_iec104_pump_new_on_thread (G_IO_STREAM (connection), conn->master,
                                             pump_after_step, conn);
  g_object_notify_by_pspec (G_OBJECT (conn), properties[PROP_CONNECTED]);
  locked = ff_iec104_conn_lock_master (conn);
  started = iec104_master_start_dt (conn->master, ff_iec104_now_ms ());
  ff_iec104_conn_unlock_master (locked);
  if (started != IEC104_OK)
    {
      Iec104MasterEvent event = { .error = started };

      ff_iec104_conn_close (conn);
      return_error (conn, error_from_event (conn, &event));
      return;
    }
  ff_iec104_pump_flush (conn->pump);
}

static void
start_connect (FfIec104Conn *conn,
               guint         timeout_ms)
{
  /* GSocketClient counts whole seconds; round t0 up so it is never shorter. */
  g_socket_client_set_timeout (conn->client, MAX (1, (timeout_ms + 999) / 1000));
  g_socket_client_connect_to_host_async (conn->client, conn->host, conn->port,
                                         g_task_get_cancellable (conn->task), on_connected, conn);
}

/* ---- public -------------------------------------------------------------------------------- */

FfIec104Conn *
ff_iec104_conn_new (FfProfile *profile,
                    guint16    common_address)
{
  FfIec104Conn *conn = g_object_new (FF_TYPE_IEC104_CONN, NULL);

  conn->profile = ff_profile_ref (profile);
  conn->iec104 = profile->iec104;
  if (common_address != 0)
    conn->iec104.common_address = common_address;
  /* The tablet acknowledges what it has read at once, whatever the profile's w and t2, so the
   * terminal's t1 (t2 + 5 s in state-grid) never waits on the tablet's t2. Acknowledging sooner
   * than w and t2 ask is within the standard. */
  conn->iec104.ack_when_drained = TRUE;
  conn->master = iec104_master_new (&conn->iec104);
  /* Profiles are validated when loaded, so only memory can fail here. */
  g_assert (conn->master != NULL);
  return conn;
}

gboolean
ff_iec104_conn_is_connected (FfIec104Conn *conn)
{
  return conn->pump != NULL;
}

void
ff_iec104_conn_connect_async (FfIec104Conn        *conn,
                              const char          *host,
                              guint16              port,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (conn, cancellable, callback, user_data);

  g_task_set_source_tag (task, ff_iec104_conn_connect_async);
  if (conn->pump != NULL)
    {
      g_task_return_new_error (task, FF_IEC104_ERROR, FF_IEC104_ERROR_BUSY,
                               _("Already connected to the terminal"));
      return;
    }
  if (!begin_operation (conn, task, OP_CONNECT))
    return;
  if (host != conn->host)  /* a reconnect passes conn->host itself */
    {
      g_free (conn->host);
      conn->host = g_strdup (host);
    }
  conn->port = port != 0 ? port : IEC104_TCP_PORT;
  conn->closing_locally = FALSE;
  start_connect (conn, conn->iec104.t0_ms);
}

gboolean
ff_iec104_conn_connect_finish (FfIec104Conn  *conn,
                               GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ff_iec104_conn_read_info_async (FfIec104Conn        *conn,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  request_async (conn, OP_READ_INFO, ff_iec104_conn_read_info_async, cancellable, callback,
                 user_data);
}

FfTerminalInfo *
ff_iec104_conn_read_info_finish (FfIec104Conn  *conn,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ff_iec104_conn_interrogate_async (FfIec104Conn        *conn,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  request_async (conn, OP_INTERROGATE, ff_iec104_conn_interrogate_async, cancellable, callback,
                 user_data);
}

GArray *
ff_iec104_conn_interrogate_finish (FfIec104Conn  *conn,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ff_iec104_conn_upgrade_start_async (FfIec104Conn        *conn,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  request_async (conn, OP_UPGRADE_START, ff_iec104_conn_upgrade_start_async, cancellable, callback,
                 user_data);
}

gboolean
ff_iec104_conn_upgrade_start_finish (FfIec104Conn  *conn,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ff_iec104_conn_upgrade_finish_async (FfIec104Conn        *conn,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  request_async (conn, OP_UPGRADE_FINISH, ff_iec104_conn_upgrade_finish_async,
                 cancellable, callback, user_data);
}

gboolean
ff_iec104_conn_upgrade_finish_finish (FfIec104Conn  *conn,
                                      GAsyncResult  *result,
                                      gboolean      *rebooting,
                                      GError       **error)
{
  gboolean ok = g_task_propagate_boolean (G_TASK (result), error);

  if (rebooting != NULL)
    *rebooting = ok && GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));
  return ok;
}

void
ff_iec104_conn_upgrade_cancel_async (FfIec104Conn        *conn,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  request_async (conn, OP_UPGRADE_CANCEL, ff_iec104_conn_upgrade_cancel_async,
                 cancellable, callback, user_data);
}

gboolean
ff_iec104_conn_upgrade_cancel_finish (FfIec104Conn  *conn,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ff_iec104_conn_reset_async (FfIec104Conn        *conn,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  request_async (conn, OP_RESET, ff_iec104_conn_reset_async, cancellable, callback,
                 user_data);
}

gboolean
ff_iec104_conn_reset_finish (FfIec104Conn  *conn,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ff_iec104_conn_close (FfIec104Conn *conn)
{
  g_autoptr(FfIec104Conn) hold = g_object_ref (conn);

  if (conn->pump == NULL)
    return;
  conn->closing_locally = TRUE;
  drop_pump (conn, FALSE);
  iec104_master_connection_lost (conn->master);
  drain_events (conn);
}

void
ff_terminal_info_free (FfTerminalInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->type);
  g_free (info->os);
  g_free (info->manufacturer);
  g_free (info->hardware_version);
  g_free (info->software_version);
  g_free (info->checksum);
  g_free (info->protocol);
  g_free (info->model);
  g_free (info->device_id);
  g_free (info->mac);
  g_free (info);
}

void
ff_iec104_points_to_snapshot (const FfProfile     *profile,
                              const FfIec104Point *points,
                              guint                n_points,
                              FfSnapshot          *snapshot)
{
  memset (snapshot, 0, sizeof *snapshot);
  for (guint i = 0; i < n_points; i++)
    {
      FfSignal signal;

      if (!signal_of_point (profile, &points[i], &signal))
        continue;
      snapshot->values[signal] = points[i].type_id == IEC104_TI_M_ME_NC_1
                                 || points[i].type_id == IEC104_TI_M_ME_TF_1
                                 ? points[i].raw_float : (float) points[i].value;
      snapshot->present[signal] = TRUE;
      snapshot->quality[signal] = points[i].quality;
    }
}

static void
ff_iec104_conn_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FfIec104Conn *conn = FF_IEC104_CONN (object);

  switch (prop_id)
    {
    case PROP_CONNECTED:
      g_value_set_boolean (value, conn->pump != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_iec104_conn_dispose (GObject *object)
{
  FfIec104Conn *conn = FF_IEC104_CONN (object);

  ff_iec104_conn_reconnect_stop_waiting (conn);
  if (conn->pump != NULL)
    {
      conn->closing_locally = TRUE;
      ff_iec104_pump_close (conn->pump);
      g_clear_object (&conn->pump);
    }
  G_OBJECT_CLASS (ff_iec104_conn_parent_class)->dispose (object);
}

static void
ff_iec104_conn_finalize (GObject *object)
{
  FfIec104Conn *conn = FF_IEC104_CONN (object);

  ff_iec104_conn_clear_file_write (conn);
  g_clear_pointer (&conn->master, iec104_master_free);
  g_clear_object (&conn->client);
  g_clear_pointer (&conn->profile, ff_profile_unref);
  g_clear_error (&conn->reconnect_last_error);
  g_free (conn->host);
  G_OBJECT_CLASS (ff_iec104_conn_parent_class)->finalize (object);
}

static void
ff_iec104_conn_class_init (FfIec104ConnClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ff_iec104_conn_get_property;
  object_class->dispose = ff_iec104_conn_dispose;
  object_class->finalize = ff_iec104_conn_finalize;

  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  ff_iec104_conn_signals[SIGNAL_MEASUREMENT] =
    g_signal_new ("measurement", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_INT);
  ff_iec104_conn_signals[SIGNAL_RECONNECT_ATTEMPT] =
    g_signal_new ("reconnect-attempt", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_INT64);
  ff_iec104_conn_signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
ff_iec104_conn_init (FfIec104Conn *conn)
{
  conn->client = g_socket_client_new ();
}
