/* iec104-error.h: the error codes every libiec104 call reports, and their English descriptions. */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/* Every fallible call returns one of these; IEC104_OK is zero so `if (err)` reads naturally.
 * The strings from iec104_strerror() are English and meant for logs: GUI programs map the enum
 * to their own translated messages. */
typedef enum
{
  IEC104_OK = 0,
  IEC104_ERROR_INVALID_ARGUMENT,  /* a NULL pointer, a value out of range, a name too long */
  IEC104_ERROR_NO_MEMORY,
  IEC104_ERROR_TRUNCATED,         /* the input ends before the layout does */
  IEC104_ERROR_BAD_START_BYTE,    /* an APDU does not begin with 0x68 */
  IEC104_ERROR_BAD_LENGTH,        /* APDU length outside 4..253, or an S/U frame with an ASDU */
  IEC104_ERROR_BAD_CONTROL_FIELD, /* an unknown U-frame function or a malformed control field */
  IEC104_ERROR_TOO_LONG,          /* the encoded ASDU would exceed 249 bytes */
  IEC104_ERROR_MALFORMED_ASDU,    /* an ASDU whose content does not match its type */
  IEC104_ERROR_UNSUPPORTED_TYPE,  /* a type identification this library does not decode */
  IEC104_ERROR_SEQUENCE,          /* N(S) out of order, or N(R) acknowledging frames never sent */
  IEC104_ERROR_T1_TIMEOUT,        /* a sent I-frame or U-frame act was not confirmed within t1 */
  IEC104_ERROR_WINDOW_FULL,       /* k I-frames are unacknowledged; wait for a window event */
  IEC104_ERROR_NOT_ACTIVE,        /* data transfer not started (no STARTDT), or the link closed */
  IEC104_ERROR_CONNECTION_LOST,   /* the adapter reported that the TCP connection ended */
  IEC104_ERROR_BUSY,              /* a master request is already running */
  IEC104_ERROR_TIMEOUT,           /* the peer did not answer a request within the profile's wait */
  IEC104_ERROR_UNKNOWN_TYPE,      /* negative confirmation, COT 44: unknown type identification */
  IEC104_ERROR_UNKNOWN_COT,       /* negative confirmation, COT 45: unknown cause of transmission */
  IEC104_ERROR_UNKNOWN_CA,        /* negative confirmation, COT 46: unknown common address */
  IEC104_ERROR_UNKNOWN_IOA,       /* negative confirmation, COT 47: unknown IOA (also "refused") */
  IEC104_ERROR_NEGATIVE_CONFIRM,  /* negative confirmation: the P/N bit set with another COT */
  IEC104_ERROR_TERMINATED,        /* activation termination (COT 10) where a confirmation was due */
  IEC104_ERROR_FILE_RESULT,       /* a file operation confirm carried a non-zero result code */
  IEC104_ERROR_CHECKSUM,          /* a received file segment's sum-8 checksum does not match */
  IEC104_ERROR_UNEXPECTED_REPLY,  /* a reply that does not fit the running request */
  IEC104_ERROR_CANCELLED,         /* the request was cancelled by the caller */
} Iec104Error;

/* Returns a static English description of `error`; never NULL, also for unknown values. */
const char *iec104_strerror (Iec104Error error);

/* Maps the cause of transmission of a negative reply (COT 44-47, or any COT with P/N = 1, or
 * COT 10) to the matching error above. */
Iec104Error iec104_error_from_negative_cot (unsigned cot, int negative_bit);

#ifdef __cplusplus
}
#endif
