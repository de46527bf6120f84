/* The GIO adapter driving the sans-I/O iec104 master over TCP: the tablet's link to a terminal. */
#pragma once

#include <gio/gio.h>

#include "ff-profile.h"
#include "ff-snapshot.h"
#include "iec104-asdu.h"

G_BEGIN_DECLS

#define FF_IEC104_ERROR (ff_iec104_error_quark ())

/* Every failure of a connection call is a GError in this domain (or G_IO_ERROR_CANCELLED when
 * the caller cancelled). Messages are translated and name the cause, e.g. "The terminal reported
 * a checksum error at segment 3". */
typedef enum
{
  FF_IEC104_ERROR_CONNECT_FAILED,     /* TCP connect refused or unreachable */
  FF_IEC104_ERROR_CONNECT_TIMEOUT,    /* no TCP connection within t0 */
  FF_IEC104_ERROR_T1_EXPIRED,         /* the terminal did not acknowledge within t1 (link closed) */
  FF_IEC104_ERROR_LINK_LOST,          /* the terminal closed the connection unexpectedly */
  FF_IEC104_ERROR_PROTOCOL,           /* malformed frame, sequence error or unexpected reply */
  FF_IEC104_ERROR_TIMEOUT,            /* no answer within the profile's reply timeout */
  FF_IEC104_ERROR_REFUSED,            /* negative confirmation (COT 44-47, P/N bit, COT 10) */
  FF_IEC104_ERROR_FILE_NAME_REFUSED,  /* write activation: "file name not supported" */
  FF_IEC104_ERROR_FILE_TOO_LARGE,     /* write activation: "length out of range" */
  FF_IEC104_ERROR_FILE_CHECKSUM,      /* write confirm: checksum error (the message names the
                                       * segment) */
  FF_IEC104_ERROR_FILE_LENGTH,        /* write confirm: file length mismatch */
  FF_IEC104_ERROR_FILE_FAILED,        /* write activation/confirm: any other non-zero result */
  FF_IEC104_ERROR_REBOOTED_EARLY,     /* the link dropped where a confirmation was due */
  FF_IEC104_ERROR_NOT_BACK,           /* reconnect: the terminal was not back before the deadline */
  FF_IEC104_ERROR_NOT_CONNECTED,      /* a request on a closed connection */
  FF_IEC104_ERROR_BUSY,               /* a request while another one runs (one at a time) */
} FfIec104Error;

GQuark   ff_iec104_error_quark             (void);
/* TRUE for errors where the terminal answered and said no (REFUSED, FILE_*): a CLI maps them to
 * FF_CLI_EXIT_REFUSED, a UI shows them as "the terminal refused". */
gboolean ff_iec104_error_is_refusal        (const GError *error);
/* TRUE for errors about reaching or keeping the link (CONNECT_*, T1_EXPIRED, LINK_LOST,
 * REBOOTED_EARLY, NOT_BACK, TIMEOUT, NOT_CONNECTED). */
gboolean ff_iec104_error_is_connection     (const GError *error);

/* The fixed terminal information parameters 0x8001..0x800A (strings with padding removed; NULL
 * when the terminal did not report one). */
typedef struct
{
  char *type;              /* 0x8001 */
  char *os;                /* 0x8002 */
  char *manufacturer;      /* 0x8003 */
  char *hardware_version;  /* 0x8004 */
  char *software_version;  /* 0x8005 */
  char *checksum;          /* 0x8006 */
  char *protocol;          /* 0x8007 */
  char *model;             /* 0x8008 */
  char *device_id;         /* 0x8009 */
  char *mac;               /* 0x800A */
} FfTerminalInfo;

void ff_terminal_info_free (FfTerminalInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTerminalInfo, ff_terminal_info_free)

/* One point of an interrogation or a spontaneous report. */
typedef struct
{
  guint32        ioa;
  guint8         type_id;    /* Iec104TypeId: 1, 3, 9, 11, 13, 30, 31, 36 */
  guint8         quality;    /* IEC104_QUALITY_* bits */
  double         value;      /* engineering value (state 0/1 or 0..3 for status points) */
  float          raw_float;  /* for 13/36 the float exactly as sent (for the hex snapshot) */
  gboolean       has_time;
  Iec104Cp56Time time;
} FfIec104Point;

/* Fills `snapshot` from the measured values (types 9, 11, 13, 36) among points using the profile's
 * IOA map (signals not found, or sent as status points, stay absent), each with its value and
 * quality. */
void ff_iec104_points_to_snapshot (const FfProfile     *profile,
                                   const FfIec104Point *points,
                                   guint                n_points,
                                   FfSnapshot          *snapshot);

/* Progress of a file write: I-frames are acknowledged by the terminal through the k window, so
 * `acked` trails `sent` by at most k segments. Rate is the acknowledged bytes per second. Called
 * in the connection's main context, at most every 100 ms and once at the end. */
typedef void (*FfIec104ProgressFunc) (guint64  sent,
                                      guint64  acked,
                                      guint64  total,
                                      double   bytes_per_second,
                                      gpointer user_data);

#define FF_TYPE_IEC104_CONN (ff_iec104_conn_get_type ())
G_DECLARE_FINAL_TYPE (FfIec104Conn, ff_iec104_conn, FF, IEC104_CONN, GObject)

/* A connection to one terminal with `profile` (a reference is taken). common_address 0 means the
 * profile's. All calls run in the thread-default main context of the caller of _new. One request
 * runs at a time (FF_IEC104_ERROR_BUSY otherwise).
 *
 * Signals:
 *   "measurement" (const FfIec104Point *point, gint signal): spontaneous or periodic data
 *                 (COT 1/3); signal is an FfSignal, or -1 when the IOA is none of the four.
 *   "reconnect-attempt" (guint attempt, gint64 remaining_ms): before each try of _reconnect_async,
 *                 for a countdown.
 *   "closed" (const GError *reason): the link ended (reason NULL after ff_iec104_conn_close).
 * Property: "connected" (boolean, read-only, notified). */
FfIec104Conn   *ff_iec104_conn_new                   (FfProfile           *profile,
                                                      guint16              common_address);
gboolean        ff_iec104_conn_is_connected          (FfIec104Conn        *conn);

/* TCP connect within t0, then STARTDT act/con. host is a name or address literal; port 0 means
 * 2404. Remembered for _reconnect_async. */
void            ff_iec104_conn_connect_async         (FfIec104Conn        *conn,
                                                      const char          *host,
                                                      guint16              port,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        ff_iec104_conn_connect_finish        (FfIec104Conn        *conn,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* 202 read of 0x8001..0x800A with the profile's SN. */
void            ff_iec104_conn_read_info_async       (FfIec104Conn        *conn,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
FfTerminalInfo *ff_iec104_conn_read_info_finish      (FfIec104Conn        *conn,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* Station interrogation (100, QOI 20) until activation termination. Returns a GArray of
 * FfIec104Point in the order received. */
void            ff_iec104_conn_interrogate_async     (FfIec104Conn        *conn,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
GArray         *ff_iec104_conn_interrogate_finish    (FfIec104Conn        *conn,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* 210 write: OP7 activation with `name` (NULL: the profile's upgrade file name), OP9 segments
 * paced by the k window, then the final OP10. An early OP10 with a non-zero result aborts with
 * the matching FF_IEC104_ERROR_FILE_* error. progress may be NULL. */
void            ff_iec104_conn_write_file_async      (FfIec104Conn        *conn,
                                                      const char          *name,
                                                      GBytes              *data,
                                                      FfIec104ProgressFunc progress,
                                                      gpointer             progress_data,
                                                      GDestroyNotify       progress_destroy,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        ff_iec104_conn_write_file_finish     (FfIec104Conn        *conn,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* 211 start (COT 6, CTYPE 0x80). */
void            ff_iec104_conn_upgrade_start_async   (FfIec104Conn        *conn,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        ff_iec104_conn_upgrade_start_finish  (FfIec104Conn        *conn,
                                                      GAsyncResult        *result,
                                                      GError             **error);
/* 211 finish (COT 6, CTYPE 0x00). When the profile says the terminal reboots by itself after
 * finish, a link drop after the confirmation is the expected outcome (the connection is then
 * closed and *rebooting is TRUE); otherwise the link stays up and *rebooting is FALSE. */
void            ff_iec104_conn_upgrade_finish_async  (FfIec104Conn        *conn,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        ff_iec104_conn_upgrade_finish_finish (FfIec104Conn        *conn,
                                                      GAsyncResult        *result,
                                                      gboolean            *rebooting,
                                                      GError             **error);
/* 211 cancel (COT 8) → COT 9. */
void            ff_iec104_conn_upgrade_cancel_async  (FfIec104Conn        *conn,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        ff_iec104_conn_upgrade_cancel_finish (FfIec104Conn        *conn,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* 105 reset process (QRP 1). Succeeds when the terminal confirms and then drops the link (or
 * keeps it for reply_timeout_ms, then we close it). A drop instead of the confirmation succeeds
 * only for a profile whose terminal restarts by itself (reboots_after_upgrade_finish); otherwise
 * it fails with FF_IEC104_ERROR_REBOOTED_EARLY. The connection is closed afterwards either way. */
void            ff_iec104_conn_reset_async           (FfIec104Conn        *conn,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        ff_iec104_conn_reset_finish          (FfIec104Conn        *conn,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* The first step of a push, the image's transfer as the profile wants it: 211 start, then the
 * file write (name NULL: the profile's upgrade file name; progress as in write_file) — without
 * the 211 start when the profile's upgrade_start_before_write is false. Fails with the first
 * step's error. The terminal then holds the complete file, not yet applied. *wire_bytes (may be
 * NULL) is what the send put on the link: its own I-frames (APCI and ASDU), from the 211 start to
 * the last segment, without the S- and U-frames of the link (acknowledgements, TESTFR). */
void            ff_iec104_conn_send_image_async      (FfIec104Conn         *conn,
                                                      const char           *name,
                                                      GBytes               *image,
                                                      FfIec104ProgressFunc  progress,
                                                      gpointer              progress_data,
                                                      GDestroyNotify        progress_destroy,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        ff_iec104_conn_send_image_finish     (FfIec104Conn         *conn,
                                                      GAsyncResult         *result,
                                                      guint64              *wire_bytes,
                                                      GError              **error);

/* The second step: 211 finish, after which the terminal applies the image (nothing is sent
 * without the 211 bracket). Separate from the send so that a caller can record that the finish
 * may have reached the terminal before it goes out. *restarting is TRUE when the terminal dropped
 * the link after the finish to restart by itself (see upgrade_finish): the restart then has
 * nothing to do. */
void            ff_iec104_conn_commit_image_async    (FfIec104Conn         *conn,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        ff_iec104_conn_commit_image_finish   (FfIec104Conn         *conn,
                                                      GAsyncResult         *result,
                                                      gboolean             *restarting,
                                                      GError              **error);

/* The third step, the restart into the new image: 105 as reset_async when the
 * profile's reset_after_upgrade_finish says so (a drop instead of its confirmation is success only
 * for a terminal that restarts by itself); otherwise nothing is sent and it succeeds at once. */
void            ff_iec104_conn_restart_async         (FfIec104Conn         *conn,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        ff_iec104_conn_restart_finish        (FfIec104Conn         *conn,
                                                      GAsyncResult         *result,
                                                      GError              **error);

/* The whole push: send, commit, then restart unless the terminal is already restarting. Fails with the
 * first step's error. The caller reconnects afterwards. */
void            ff_iec104_conn_push_async            (FfIec104Conn         *conn,
                                                      const char           *name,
                                                      GBytes               *image,
                                                      FfIec104ProgressFunc  progress,
                                                      gpointer              progress_data,
                                                      GDestroyNotify        progress_destroy,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        ff_iec104_conn_push_finish           (FfIec104Conn         *conn,
                                                      GAsyncResult         *result,
                                                      GError              **error);

/* After a reboot: retries connect (and STARTDT) to the last host/port with a growing backoff
 * (50 ms, ×1.5, at most 2 s) until it succeeds or timeout_ms pass (0: the profile's
 * reboot_wait_ms). Emits "reconnect-attempt" before each try. Fails with
 * FF_IEC104_ERROR_NOT_BACK. */
void            ff_iec104_conn_reconnect_async       (FfIec104Conn        *conn,
                                                      guint                timeout_ms,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        ff_iec104_conn_reconnect_finish      (FfIec104Conn        *conn,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* While a reconnect waits between two tries: tries at once, and from then on at the first backoff
 * again (the technician has just fixed a cable, say). Returns FALSE, changing nothing, when no
 * reconnect is waiting. */
gboolean        ff_iec104_conn_reconnect_now         (FfIec104Conn        *conn);

/* Closes the TCP connection now (STOPDT is not awaited); a running request fails with
 * NOT_CONNECTED. Safe to call when already closed. */
void            ff_iec104_conn_close                 (FfIec104Conn        *conn);

G_END_DECLS
