/* iec104-outstation.h: the controlled station (terminal) services, answering through callbacks. */
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

/* The embedding program (the simulator) answers requests through these callbacks. Any callback
 * may be NULL: the matching request is then refused with COT 47 (or, for files, result 1). A type
 * whose callbacks are all NULL is unknown to the terminal: its requests come back with COT 44,
 * which is what a standard IEC 104 outstation answers to the Chinese 200-211. Every refusal
 * carries the P/N bit. Data handed to the outstation is copied before the callback returns. */
typedef struct
{
  /* 100: the points a station interrogation reports (types 1/3/9/11/13 with COT 20; neighbours
   * of one type share an ASDU, runs of consecutive IOAs as SQ = 1 blocks with the profile's
   * sq_blocks). Set *points to an array that stays valid until the call returns. */
  size_t (*interrogation_points) (void *user_data, const Iec104Point **points);

  /* 202: one parameter by IOA; false means unknown (the reply is COT 47 negative). */
  bool (*read_param) (void *user_data, uint16_t sn, uint32_t ioa, Iec104Param *param);
  /* 202 "read all": the IOAs to report for SN, stored into ioas (capacity entries). */
  size_t (*list_params) (void *user_data, uint16_t sn, uint32_t *ioas, size_t capacity);
  /* 203 execute: applies the preset parameters (collected across preset frames). False refuses
   * (COT 47 negative). A preset for an IOA that read_param does not know is refused at once. */
  bool (*write_params) (void *user_data, uint16_t sn, const Iec104Param *params, size_t n_params);

  /* 103 COT 5: the current time; without it a read gets COT 45 (a standard terminal knows only
   * COT 6 on 103). 103 COT 6: set it; false refuses with a negative confirmation (COT 7, P/N),
   * the standard's form for a refused command. */
  void (*clock_read) (void *user_data, Iec104Cp56Time *time);
  bool (*clock_set) (void *user_data, const Iec104Cp56Time *time);

  /* 105: true accepts (confirmation, then a RESET event so the embedder can drop the link). */
  bool (*reset_process) (void *user_data, uint8_t qrp);

  /* 210 OP1: the entries of dir_name; false means no such directory (OP2 result 1). */
  bool (*list_directory) (void *user_data, const char *dir_name, const Iec104DirEntry **entries,
                          size_t *n_entries);
  /* 210 OP3: the file's bytes (copied); false means no such file (OP4 result 1). */
  bool (*open_read) (void *user_data, const char *name, const uint8_t **data, size_t *size);
  /* 210 OP7: an Iec104WriteActResult (0 accepts; 2 name not supported; 3 length out of range). */
  uint8_t (*begin_write) (void *user_data, const char *name, uint32_t file_id, uint32_t size);
  /* 210 OP9, after the outstation verified the checksum, file ID and bounds: store len bytes at
   * byte `offset` (segment is the number as received). Return an Iec104WriteDataResult: non-zero
   * (e.g. an injected checksum error) is answered at once with an early OP10 and ends the write. */
  uint8_t (*write_segment) (void *user_data, uint32_t segment, uint32_t offset,
                            const uint8_t *data, size_t len);
  /* After the last segment (follow 0) with all bytes received: the result of the final OP10. */
  uint8_t (*end_write) (void *user_data);
  /* A write ended without success (error OP10 sent, or link closed): discard the partial file. */
  void (*abort_write) (void *user_data);

  /* 211: start (0x80, COT 6), finish (0x00, COT 6), cancel (COT 8). False refuses (COT 47
   * negative for start/finish; COT 10 for a cancel without a started upgrade). */
  bool (*upgrade_start) (void *user_data);
  bool (*upgrade_finish) (void *user_data);
  bool (*upgrade_cancel) (void *user_data);

  /* 200: switch to setting area sn; false refuses. 201: the current, minimum and maximum SN. */
  bool (*switch_area) (void *user_data, uint16_t sn);
  void (*read_area) (void *user_data, Iec104SettingArea *area);
} Iec104OutstationCallbacks;

typedef enum
{
  IEC104_OUTSTATION_EVENT_ACTIVE,   /* the master started data transfer */
  IEC104_OUTSTATION_EVENT_STOPPED,  /* the master stopped data transfer */
  IEC104_OUTSTATION_EVENT_RESET,    /* a 105 was confirmed: flush output, then close and restart */
  IEC104_OUTSTATION_EVENT_UPGRADE_FINISHED, /* a 211 finish was confirmed: the embedder may reboot
                                             * if its profile says so */
  IEC104_OUTSTATION_EVENT_FILE_WRITTEN, /* a file write ended with a final OP10 result 0 */
  IEC104_OUTSTATION_EVENT_CLOSED,   /* the link closed: error is the reason */
} Iec104OutstationEventType;

typedef struct
{
  Iec104OutstationEventType type;
  Iec104Error error;               /* CLOSED */
} Iec104OutstationEvent;

typedef struct Iec104Outstation Iec104Outstation;

/* The profile and callbacks are copied; user_data is passed to every callback. Link parameters
 * come from the profile; use iec104_link_set_suppress_acks (iec104_outstation_get_link (o), true)
 * for the "never acknowledge" fault. Returns NULL when out of memory or the profile is invalid. */
Iec104Outstation *iec104_outstation_new (const Iec104Profile *profile,
                                         const Iec104OutstationCallbacks *callbacks,
                                         void *user_data);
void iec104_outstation_free (Iec104Outstation *outstation);
Iec104Link *iec104_outstation_get_link (Iec104Outstation *outstation);

/* Driving: the same loop as the master (see iec104-master.h). open() starts a new connection
 * clean: transactions and unpolled events of the previous one are dropped. */
void iec104_outstation_open (Iec104Outstation *outstation, uint64_t now_ms);
void iec104_outstation_connection_lost (Iec104Outstation *outstation);
Iec104Error iec104_outstation_feed (Iec104Outstation *outstation, const uint8_t *data, size_t len,
                                    uint64_t now_ms);
void iec104_outstation_tick (Iec104Outstation *outstation, uint64_t now_ms);
uint64_t iec104_outstation_next_deadline (const Iec104Outstation *outstation);
size_t iec104_outstation_output (const Iec104Outstation *outstation, const uint8_t **data);
void iec104_outstation_consume_output (Iec104Outstation *outstation, size_t n);
bool iec104_outstation_poll_event (Iec104Outstation *outstation, Iec104OutstationEvent *event);

/* Queues monitoring points with `cot` (IEC104_COT_SPONTANEOUS, PERIODIC...), packed into ASDUs
 * as interrogation data is; they are sent as the k window allows. IEC104_ERROR_NOT_ACTIVE before
 * STARTDT. */
Iec104Error iec104_outstation_send_points (Iec104Outstation *outstation, uint8_t cot,
                                           const Iec104Point *points, size_t n_points,
                                           uint64_t now_ms);
/* Queues M_EI_NA_1 (COI 0) with COT 4. */
Iec104Error iec104_outstation_send_end_of_init (Iec104Outstation *outstation, uint64_t now_ms);

#ifdef __cplusplus
}
#endif
