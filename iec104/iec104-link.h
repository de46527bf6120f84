/* iec104-link.h: the sans-I/O link state machine: STARTDT/STOPDT/TESTFR, N(S)/N(R), k/w, t1-t3. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iec104-apci.h"
#include "iec104-error.h"
#include "iec104-profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "No timer armed": the value of iec104_link_next_deadline() when nothing is pending. */
#define IEC104_NO_DEADLINE UINT64_MAX

typedef struct
{
  uint16_t k;
  uint16_t w;
  uint32_t t1_ms;
  uint32_t t2_ms;
  uint32_t t3_ms;
  /* Fault injection for simulators: acknowledge nothing any more: no S-frames, and our own
   * I-frames repeat the last N(R) already sent instead of advancing it. The peer's t1 expires
   * once it has sent an I-frame. */
  bool suppress_acks;
  /* Receive policy: acknowledge as soon as the received input is drained, see
   * iec104_link_input_drained(). Off: only w and t2 (and own I-frames) acknowledge. */
  bool ack_when_drained;
} Iec104LinkParams;

/* The State Grid profile's (IEC default) values: k 12, w 8, t1 15 s, t2 10 s, t3 20 s, acks on,
 * ack_when_drained off. */
void iec104_link_params_init_default (Iec104LinkParams *params);
/* k, w, t1-t3 and ack_when_drained from a profile, acks on. */
void iec104_link_params_from_profile (Iec104LinkParams *params, const Iec104Profile *profile);

typedef enum
{
  IEC104_LINK_STATE_CLOSED,   /* before iec104_link_open() or after a close */
  IEC104_LINK_STATE_STOPPED,  /* connected, data transfer not started */
  IEC104_LINK_STATE_STARTING, /* master: STARTDT act sent, waiting for con */
  IEC104_LINK_STATE_ACTIVE,   /* data transfer started: I-frames allowed */
  IEC104_LINK_STATE_STOPPING, /* master: STOPDT act sent, waiting for con; controlled station:
                               * STOPDT act received, con held until its I-frames are
                               * acknowledged. Received I-frames are acknowledged as soon as
                               * the input is drained (iec104_link_input_drained). */
} Iec104LinkState;

typedef enum
{
  IEC104_LINK_EVENT_ACTIVE,      /* data transfer started (STARTDT con received / act answered) */
  IEC104_LINK_EVENT_STOPPED,     /* data transfer stopped (STOPDT con received / act answered) */
  IEC104_LINK_EVENT_ASDU,        /* an I-frame arrived: asdu/asdu_len */
  IEC104_LINK_EVENT_WINDOW_OPEN, /* the k window was full and now has room again */
  IEC104_LINK_EVENT_CLOSED,      /* the link closed itself or was told so: `error` says why.
                                  * The adapter sends what output is left, then closes TCP. */
} Iec104LinkEventType;

typedef struct
{
  Iec104LinkEventType type;
  Iec104Error error;              /* CLOSED: the reason */
  size_t asdu_len;                /* ASDU */
  uint8_t asdu[IEC104_ASDU_MAX];  /* ASDU: a copy owned by the event */
} Iec104LinkEvent;

typedef struct Iec104Link Iec104Link;

/* One link serves either role: the controlling station (master, TCP client) is the side that
 * calls iec104_link_start_dt/_stop_dt, the controlled station answers them. params NULL gives the
 * IEC defaults. Returns NULL when out of memory or params are invalid (k 0 or above 32767, w 0 or
 * above k). */
Iec104Link *iec104_link_new (const Iec104LinkParams *params);
void iec104_link_free (Iec104Link *link);

Iec104LinkState iec104_link_get_state (const Iec104Link *link);
void iec104_link_set_suppress_acks (Iec104Link *link, bool suppress_acks);
void iec104_link_set_ack_when_drained (Iec104Link *link, bool ack_when_drained);

/* A TCP connection was established at now_ms: resets sequence numbers, counters, output, the
 * reassembler and the events (unpolled events of a previous connection are dropped), and starts
 * t3. State becomes STOPPED. */
void iec104_link_open (Iec104Link *link, uint64_t now_ms);
/* The adapter saw the TCP connection end: state CLOSED and one CLOSED event with
 * IEC104_ERROR_CONNECTION_LOST (nothing if already closed). Output is discarded. */
void iec104_link_connection_lost (Iec104Link *link);
/* Closes locally with `reason` (a CLOSED event follows); pending output is kept for flushing. */
void iec104_link_close (Iec104Link *link, Iec104Error reason);

/* Feeds bytes received from TCP, cut anywhere. Decoded frames update the state and queue events.
 * The bytes count as received before now_ms: their frames are handled first, then the timers run
 * at now_ms, so a caller that reads late does not let t1 or t3 expire on answers that came in
 * time. A malformed frame, a sequence error or a timeout closes the link (the CLOSED event carries
 * the reason) and is also returned; bytes after a close are ignored. */
Iec104Error iec104_link_feed (Iec104Link *link, const uint8_t *data, size_t len, uint64_t now_ms);
/* The adapter has fed all the input it has now (the master and outstation call this at the end of
 * their feed, after their own replies went out): with ack_when_drained, and always while
 * STOPPING, I-frames received and not yet acknowledged get an S-frame at once. */
void iec104_link_input_drained (Iec104Link *link);
/* Runs the timers: t1 expiry closes with IEC104_ERROR_T1_TIMEOUT, t2 sends an S-frame, t3 sends
 * TESTFR act. Call it at (or after) iec104_link_next_deadline(). */
void iec104_link_tick (Iec104Link *link, uint64_t now_ms);
/* The earliest time at which iec104_link_tick() has work, or IEC104_NO_DEADLINE. */
uint64_t iec104_link_next_deadline (const Iec104Link *link);

/* Bytes waiting to be written to TCP: returns their count and points *data at them (valid until
 * the next call that changes the link). Write what you can, then consume that many bytes. */
size_t iec104_link_output (const Iec104Link *link, const uint8_t **data);
void iec104_link_consume_output (Iec104Link *link, size_t n);

/* Master: send STARTDT act / STOPDT act (an S-frame acknowledging everything received goes
 * first, since terminals hold STOPDT con until they are acknowledged, and I-frames that arrive
 * while stopping are acknowledged when the input is drained). t1 guards the con. */
Iec104Error iec104_link_start_dt (Iec104Link *link, uint64_t now_ms);
Iec104Error iec104_link_stop_dt (Iec104Link *link, uint64_t now_ms);

/* True when the link is ACTIVE and fewer than k I-frames are unacknowledged. */
bool iec104_link_can_send (const Iec104Link *link);
/* Number of sent I-frames not yet acknowledged. */
unsigned iec104_link_get_unacked (const Iec104Link *link);
/* Total I-frames sent and acknowledged since open (not wrapped): lets a sender map acks back
 * onto what it sent. */
uint64_t iec104_link_get_sent_total (const Iec104Link *link);
uint64_t iec104_link_get_acked_total (const Iec104Link *link);
/* The bytes of every I-frame sent (APCI and ASDU) since the link was created, over all its
 * connections: what the link's user sent, without the S- and U-frames of the link's own upkeep
 * (acknowledgements, STARTDT/STOPDT, TESTFR), whose number depends on timing. */
uint64_t iec104_link_get_i_frame_bytes (const Iec104Link *link);
/* Sends one ASDU in an I-frame, piggy-backing N(R). IEC104_ERROR_NOT_ACTIVE or
 * IEC104_ERROR_WINDOW_FULL when not allowed now; IEC104_ERROR_INVALID_ARGUMENT for an empty or
 * oversized ASDU. */
Iec104Error iec104_link_send_asdu (Iec104Link *link, const uint8_t *asdu, size_t len,
                                   uint64_t now_ms);

/* Takes the oldest queued event; false when there is none. */
bool iec104_link_poll_event (Iec104Link *link, Iec104LinkEvent *event);
/* The same without a copy on the caller's stack (an event is ~260 bytes): the oldest queued event
 * in storage owned by the link, valid until the next call, or NULL when there is none. */
const Iec104LinkEvent *iec104_link_next_event (Iec104Link *link);

#ifdef __cplusplus
}
#endif
