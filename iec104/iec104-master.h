/* iec104-master.h: the controlling station (tablet) services, one request at a time, sans-I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iec104-asdu.h"
#include "iec104-error.h"
#include "iec104-link.h"
#include "iec104-profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How an adapter drives a master (the same loop drives an outstation):
 *   on TCP connect:          iec104_master_open (m, now); iec104_master_start_dt (m, now);
 *   on bytes from TCP:       iec104_master_feed (m, buf, n, now);
 *   when the timer fires:    iec104_master_tick (m, now);
 *   after each of the above: write iec104_master_output() to TCP and consume what was written,
 *                            drain iec104_master_poll_event(), and re-arm one timer for
 *                            iec104_master_next_deadline();
 *   on TCP close/error:      iec104_master_connection_lost (m);
 * Requests are started with the verbs below; each ends with exactly one DONE event (unless the
 * master is freed), whose `error` is IEC104_OK on success. */

typedef enum
{
  IEC104_MASTER_REQUEST_NONE,
  IEC104_MASTER_REQUEST_START_DT,
  IEC104_MASTER_REQUEST_STOP_DT,
  IEC104_MASTER_REQUEST_INTERROGATION,
  IEC104_MASTER_REQUEST_CLOCK_SYNC,
  IEC104_MASTER_REQUEST_CLOCK_READ,
  IEC104_MASTER_REQUEST_RESET_PROCESS,
  IEC104_MASTER_REQUEST_READ_PARAMS,
  IEC104_MASTER_REQUEST_WRITE_PARAMS,   /* 203 preset */
  IEC104_MASTER_REQUEST_EXECUTE_PARAMS, /* 203 solidify */
  IEC104_MASTER_REQUEST_CANCEL_PARAMS,  /* 203 cancel preset */
  IEC104_MASTER_REQUEST_FILE_DIRECTORY,
  IEC104_MASTER_REQUEST_FILE_READ,
  IEC104_MASTER_REQUEST_FILE_WRITE,
  IEC104_MASTER_REQUEST_UPGRADE_START,
  IEC104_MASTER_REQUEST_UPGRADE_FINISH,
  IEC104_MASTER_REQUEST_UPGRADE_CANCEL,
  IEC104_MASTER_REQUEST_SWITCH_AREA,    /* 200 */
  IEC104_MASTER_REQUEST_READ_AREA,      /* 201 */
} Iec104MasterRequest;

typedef enum
{
  IEC104_MASTER_EVENT_DONE,          /* the running request ended: request, error, results */
  IEC104_MASTER_EVENT_POINTS,        /* monitoring data outside an interrogation (COT 1, 3, ...) */
  IEC104_MASTER_EVENT_FILE_PROGRESS, /* file write: bytes_sent and bytes_acked changed */
  IEC104_MASTER_EVENT_FILE_DATA,     /* file read: one verified segment at file_offset */
  IEC104_MASTER_EVENT_END_OF_INIT,   /* the terminal sent M_EI_NA_1 */
  IEC104_MASTER_EVENT_CLOSED,        /* the link closed: error is the reason. A running request
                                      * got its DONE event (error CONNECTION_LOST or the reason)
                                      * just before. */
} Iec104MasterEventType;

/* Pointers in an event stay valid until the next iec104_master_poll_event() or _free(). */
typedef struct
{
  Iec104MasterEventType type;
  Iec104MasterRequest request;   /* DONE: which request ended */
  Iec104Error error;             /* DONE, CLOSED */
  uint8_t cot;                   /* DONE with a negative error: the COT of the refusing reply;
                                  * POINTS: the COT of the data */

  /* READ_PARAMS: every parameter received, in order, across all reply frames. */
  const Iec104Param *params;
  size_t n_params;
  uint16_t sn;                   /* READ_PARAMS: SN of the reply */

  /* INTERROGATION (DONE): every point received with COT 20 until COT 10; POINTS: the data. */
  const Iec104Point *points;
  size_t n_points;

  /* CLOCK_READ: the terminal's time. */
  Iec104Cp56Time time;

  /* FILE_DIRECTORY: every entry across all OP2 frames. */
  const Iec104DirEntry *entries;
  size_t n_entries;

  /* File transfer. */
  uint64_t file_size;            /* FILE_READ: size from OP4; FILE_WRITE: size being written */
  uint64_t file_offset;          /* FILE_DATA: byte offset of `file_data` */
  const uint8_t *file_data;      /* FILE_DATA */
  size_t file_data_len;
  uint64_t bytes_sent;           /* FILE_WRITE progress and DONE */
  uint64_t bytes_acked;          /* bytes in I-frames the terminal acknowledged (S/I N(R)) */
  uint8_t file_result;           /* FILE_*: non-zero result code of OP2/OP4/OP8/OP10 */
  uint32_t file_segment;         /* FILE_WRITE: segment number reported by an OP10 */

  /* READ_AREA: the terminal's current, minimum and maximum setting area. */
  Iec104SettingArea area;
} Iec104MasterEvent;

typedef struct Iec104Master Iec104Master;

/* The profile is copied. Returns NULL when out of memory or the profile is invalid. */
Iec104Master *iec104_master_new (const Iec104Profile *profile);
void iec104_master_free (Iec104Master *master);
/* The underlying link (for its state, or fault-injection knobs in tests). */
Iec104Link *iec104_master_get_link (Iec104Master *master);
/* The request being run, or IEC104_MASTER_REQUEST_NONE. */
Iec104MasterRequest iec104_master_get_request (const Iec104Master *master);
/* ASDUs ignored since open() because their common address was not the profile's (a gateway
 * answering for another terminal), and the CA of the last of them (if not NULL). Such an ASDU
 * never ends, feeds or restarts a request: the request times out as without it. */
uint64_t iec104_master_get_foreign_replies (const Iec104Master *master,
                                            uint16_t *last_common_address);

/* Driving, as described at the top. open() starts a new connection clean: unpolled events of the
 * previous one are dropped, except DONE (every request ends with exactly one DONE), and a request
 * still running ends with DONE CONNECTION_LOST. */
void iec104_master_open (Iec104Master *master, uint64_t now_ms);
void iec104_master_connection_lost (Iec104Master *master);
Iec104Error iec104_master_feed (Iec104Master *master, const uint8_t *data, size_t len,
                                uint64_t now_ms);
void iec104_master_tick (Iec104Master *master, uint64_t now_ms);
uint64_t iec104_master_next_deadline (const Iec104Master *master);
size_t iec104_master_output (const Iec104Master *master, const uint8_t **data);
void iec104_master_consume_output (Iec104Master *master, size_t n);
bool iec104_master_poll_event (Iec104Master *master, Iec104MasterEvent *event);

/* Requests. Each returns IEC104_OK when started (a DONE event follows), or IEC104_ERROR_BUSY,
 * IEC104_ERROR_NOT_ACTIVE (no STARTDT yet; START_DT itself needs an open link) or
 * IEC104_ERROR_INVALID_ARGUMENT without side effects. */
Iec104Error iec104_master_start_dt (Iec104Master *master, uint64_t now_ms);
Iec104Error iec104_master_stop_dt (Iec104Master *master, uint64_t now_ms);
/* 100, QOI 20: collects points with COT 20 until COT 10. */
Iec104Error iec104_master_interrogate (Iec104Master *master, uint64_t now_ms);
/* 103 COT 6 with `time`; the confirmation is COT 7. */
Iec104Error iec104_master_clock_sync (Iec104Master *master, const Iec104Cp56Time *time,
                                      uint64_t now_ms);
/* 103 COT 5; the reply's time is in DONE's `time`. */
Iec104Error iec104_master_clock_read (Iec104Master *master, uint64_t now_ms);
/* 105 with qrp (IEC104_QRP_GENERAL_RESET). Terminals may close the connection instead of (or
 * right after) confirming: DONE then reports IEC104_ERROR_CONNECTION_LOST, which callers treat as
 * the expected restart. */
Iec104Error iec104_master_reset_process (Iec104Master *master, uint8_t qrp, uint64_t now_ms);
/* 202 with SN and the IOAs (n_ioas 1..127), or n_ioas 0 to read all. Collects multi-frame replies
 * (PI CONT). */
Iec104Error iec104_master_read_params (Iec104Master *master, uint16_t sn, const uint32_t *ioas,
                                       size_t n_ioas, uint64_t now_ms);
/* 203 preset of params (copied; may span several frames), execute, cancel. */
Iec104Error iec104_master_write_params (Iec104Master *master, uint16_t sn,
                                        const Iec104Param *params, size_t n_params,
                                        uint64_t now_ms);
Iec104Error iec104_master_execute_params (Iec104Master *master, uint16_t sn, uint64_t now_ms);
Iec104Error iec104_master_cancel_params (Iec104Master *master, uint16_t sn, uint64_t now_ms);
/* 210 OP1 for all files of dir_name (NULL: the profile's directory_name). */
Iec104Error iec104_master_file_directory (Iec104Master *master, const char *dir_name,
                                          uint64_t now_ms);
/* 210 OP3, then OP5 segments come as FILE_DATA events; OP6 is sent after the last. A bad
 * checksum ends the request with IEC104_ERROR_CHECKSUM. */
Iec104Error iec104_master_file_read (Iec104Master *master, const char *name, uint64_t now_ms);
/* 210 OP7 with name (NULL: the profile's upgrade_file_name), the profile's file ID and size,
 * then OP9 segments straight from `data` whenever the k window has room, then waits for the
 * final OP10. `data` is the caller's and must stay valid and unchanged until DONE. An OP8 or
 * OP10 with a non-zero result ends the request with IEC104_ERROR_FILE_RESULT (file_result,
 * file_segment say which). */
Iec104Error iec104_master_file_write (Iec104Master *master, const char *name, const uint8_t *data,
                                      size_t size, uint64_t now_ms);
/* 200 switch to setting area sn (COT 6 -> 7); 201 read the setting areas (DONE's `area`). */
Iec104Error iec104_master_switch_area (Iec104Master *master, uint16_t sn, uint64_t now_ms);
Iec104Error iec104_master_read_area (Iec104Master *master, uint64_t now_ms);
/* 211 start (COT 6, 0x80), finish (COT 6, 0x00), cancel (COT 8, 0x00 -> COT 9). */
Iec104Error iec104_master_upgrade_start (Iec104Master *master, uint64_t now_ms);
Iec104Error iec104_master_upgrade_finish (Iec104Master *master, uint64_t now_ms);
Iec104Error iec104_master_upgrade_cancel (Iec104Master *master, uint64_t now_ms);
/* Gives up the running request locally: DONE with IEC104_ERROR_CANCELLED. Replies still in flight
 * are ignored. A cancelled file write stops sending segments. */
void iec104_master_cancel (Iec104Master *master);

#ifdef __cplusplus
}
#endif
