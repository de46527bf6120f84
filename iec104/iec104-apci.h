/* iec104-apci.h: the APCI frame codec (I, S and U frames) and a reassembler for TCP chunks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iec104-error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IEC104_TCP_PORT         2404 /* the registered port of IEC 60870-5-104 */
#define IEC104_START_BYTE       0x68
#define IEC104_APCI_SIZE        6    /* start byte, length byte, four control bytes */
#define IEC104_APDU_LENGTH_MIN  4    /* the length byte counts the control field and the ASDU */
#define IEC104_APDU_LENGTH_MAX  253
#define IEC104_APDU_MAX         255  /* a whole APDU: 2 + 253 */
#define IEC104_ASDU_MAX         249  /* 253 - 4 control bytes */
#define IEC104_SEQ_MODULO       32768 /* N(S) and N(R) are 15-bit counters */

typedef enum
{
  IEC104_FRAME_I, /* numbered information transfer, carries one ASDU */
  IEC104_FRAME_S, /* numbered supervisory acknowledgement */
  IEC104_FRAME_U, /* unnumbered control function */
} Iec104FrameFormat;

/* The first control byte of a U frame. */
typedef enum
{
  IEC104_U_STARTDT_ACT = 0x07,
  IEC104_U_STARTDT_CON = 0x0B,
  IEC104_U_STOPDT_ACT = 0x13,
  IEC104_U_STOPDT_CON = 0x23,
  IEC104_U_TESTFR_ACT = 0x43,
  IEC104_U_TESTFR_CON = 0x83,
} Iec104UFunction;

/* A decoded APDU. `asdu` points into the buffer that was decoded and is only valid as long as
 * that buffer is. */
typedef struct
{
  Iec104FrameFormat format;
  uint16_t send_seq;          /* N(S): I frames only */
  uint16_t recv_seq;          /* N(R): I and S frames */
  Iec104UFunction u_function; /* U frames only */
  const uint8_t *asdu;        /* I frames only, else NULL */
  size_t asdu_len;
} Iec104Frame;

/* Decodes exactly one APDU of `len` bytes (start byte included). Checks the start byte, that the
 * length byte equals len - 2 and lies in 4..253, that S and U frames carry no ASDU, that an I
 * frame carries one, and that a U frame names exactly one known function. */
Iec104Error iec104_frame_decode (const uint8_t *apdu, size_t len, Iec104Frame *frame);

/* Encoders write into `out` (IEC104_APDU_MAX bytes are always enough) and return the number of
 * bytes written. iec104_frame_encode_i returns 0 when asdu_len is 0 or above IEC104_ASDU_MAX.
 * Sequence numbers are taken modulo 32768. */
size_t iec104_frame_encode_i (uint8_t *out, uint16_t send_seq, uint16_t recv_seq,
                              const uint8_t *asdu, size_t asdu_len);
size_t iec104_frame_encode_s (uint8_t *out, uint16_t recv_seq);
size_t iec104_frame_encode_u (uint8_t *out, Iec104UFunction function);

/* Reassembles APDUs from a byte stream cut at arbitrary points. */
typedef struct Iec104Reassembler Iec104Reassembler;

Iec104Reassembler *iec104_reassembler_new (void);
void iec104_reassembler_free (Iec104Reassembler *reassembler);
/* Forgets a partial APDU (for a new TCP connection). */
void iec104_reassembler_reset (Iec104Reassembler *reassembler);

/* Consumes bytes from `data` until one APDU is complete or `len` bytes are used up, and stores
 * the number of bytes used in *consumed. When an APDU is complete, *frame_ready is true and
 * *frame describes it; frame->asdu points into the reassembler and stays valid until the next
 * call. Call again with the remaining bytes to get further frames. A bad start byte, length or
 * control field returns the error: the stream cannot be resynchronised, so close the connection. */
Iec104Error iec104_reassembler_push (Iec104Reassembler *reassembler, const uint8_t *data,
                                     size_t len, size_t *consumed, bool *frame_ready,
                                     Iec104Frame *frame);

/* Sequence number arithmetic modulo 32768. */
static inline uint16_t
iec104_seq_add (uint16_t seq, unsigned n)
{
  return (uint16_t) ((seq + n) % IEC104_SEQ_MODULO);
}

/* How far `to` is ahead of `from`, 0..32767. */
static inline unsigned
iec104_seq_distance (uint16_t from, uint16_t to)
{
  return (unsigned) ((to + IEC104_SEQ_MODULO - from) % IEC104_SEQ_MODULO);
}

#ifdef __cplusplus
}
#endif
