/* What the parts of the connection (ff-iec104-conn*.c) share: the instance, the running
 * request and the file write. Not for use outside them. */
#pragma once

#include "ff-iec104-conn.h"

#include "ff-iec104-pump.h"
#include "iec104.h"

G_BEGIN_DECLS

typedef enum
{
  OP_NONE,
  OP_CONNECT,
  OP_READ_INFO,
  OP_INTERROGATE,
  OP_WRITE_FILE,
  OP_UPGRADE_START,
  OP_UPGRADE_FINISH,
  OP_UPGRADE_CANCEL,
  OP_RESET,
} Operation;

struct _FfIec104Conn
{
  GObject               parent_instance;

  FfProfile            *profile;
  Iec104Profile         iec104;      /* the profile's, with the common address applied */
  Iec104Master         *master;
  GSocketClient        *client;
  FfIec104Pump         *pump;
  char                 *host;
  guint16               port;
  gboolean              closing_locally;
  gboolean              foreign_ca_logged;  /* a gateway's other terminals: said once */

  /* The running request. */
  GTask                *task;
  Operation             operation;
  GSource              *cancel_source;
  guint                 wait_drop_source;  /* after 105 or a self-rebooting 211 finish */

  /* File write. */
  GBytes               *file_data;
  FfIec104ProgressFunc  progress;
  gpointer              progress_data;
  GDestroyNotify        progress_destroy;
  gint64                write_started_us;
  gint64                last_progress_us;

  /* Reconnect. */
  gint64                reconnect_deadline_us;
  guint                 reconnect_attempt;
  guint                 reconnect_delay_ms;
  GTask                *reconnect_task;
  guint                 reconnect_source;         /* the pause between two attempts */
  GSource              *reconnect_cancel_source;  /* watches the cancellable during the pause */
  GError               *reconnect_last_error;
};

enum
{
  SIGNAL_MEASUREMENT,
  SIGNAL_RECONNECT_ATTEMPT,
  SIGNAL_CLOSED,
  N_SIGNALS
};

extern guint ff_iec104_conn_signals[N_SIGNALS];

/* ff-iec104-conn.c: the master's guard while a pump runs it on its thread. Lock, call the master,
 * unlock with what lock returned; no callback and no close in between. */
FfIec104Pump *ff_iec104_conn_lock_master      (FfIec104Conn             *conn);
void          ff_iec104_conn_unlock_master    (FfIec104Pump             *locked);

/* ff-iec104-conn.c: running one request at a time */
GError      *ff_iec104_conn_busy_error        (void);
/* Starts the master request of `operation` unless not connected, busy, or refused at once. */
void         ff_iec104_conn_run_request       (FfIec104Conn             *conn,
                                               GTask                    *task,
                                               Operation                 operation);

/* ff-iec104-conn-push.c: the file write's data and progress */
void         ff_iec104_conn_report_progress   (FfIec104Conn             *conn,
                                               const Iec104MasterEvent *event,
                                               gboolean                 final);
void         ff_iec104_conn_clear_file_write  (FfIec104Conn             *conn);
Iec104Error  ff_iec104_conn_start_file_write  (FfIec104Conn             *conn,
                                               guint64                   now_ms);

/* ff-iec104-conn-reconnect.c */
/* Ends the pause between two attempts (and the watch on its cancellable). */
void         ff_iec104_conn_reconnect_stop_waiting (FfIec104Conn *conn);

G_END_DECLS
