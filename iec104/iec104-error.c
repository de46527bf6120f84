/* iec104-error.c: English descriptions of Iec104Error and the mapping of negative replies. */
#include "iec104-error.h"

const char *
iec104_strerror (Iec104Error error)
{
  switch (error)
    {
    case IEC104_OK: return "success";
    case IEC104_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case IEC104_ERROR_NO_MEMORY: return "out of memory";
    case IEC104_ERROR_TRUNCATED: return "truncated data";
    case IEC104_ERROR_BAD_START_BYTE: return "frame does not start with 0x68";
    case IEC104_ERROR_BAD_LENGTH: return "invalid APDU length";
    case IEC104_ERROR_BAD_CONTROL_FIELD: return "invalid control field";
    case IEC104_ERROR_TOO_LONG: return "ASDU too long";
    case IEC104_ERROR_MALFORMED_ASDU: return "malformed ASDU";
    case IEC104_ERROR_UNSUPPORTED_TYPE: return "unsupported type identification";
    case IEC104_ERROR_SEQUENCE: return "sequence number error";
    case IEC104_ERROR_T1_TIMEOUT: return "no acknowledgement within t1";
    case IEC104_ERROR_WINDOW_FULL: return "send window full";
    case IEC104_ERROR_NOT_ACTIVE: return "data transfer not started";
    case IEC104_ERROR_CONNECTION_LOST: return "connection lost";
    case IEC104_ERROR_BUSY: return "another request is running";
    case IEC104_ERROR_TIMEOUT: return "no reply from the terminal";
    case IEC104_ERROR_UNKNOWN_TYPE: return "terminal refused: unknown type identification";
    case IEC104_ERROR_UNKNOWN_COT: return "terminal refused: unknown cause of transmission";
    case IEC104_ERROR_UNKNOWN_CA: return "terminal refused: unknown common address";
    case IEC104_ERROR_UNKNOWN_IOA: return "terminal refused: unknown information object address";
    case IEC104_ERROR_NEGATIVE_CONFIRM: return "terminal refused: negative confirmation";
    case IEC104_ERROR_TERMINATED: return "terminal terminated the activation";
    case IEC104_ERROR_FILE_RESULT: return "terminal reported a file transfer error";
    case IEC104_ERROR_CHECKSUM: return "file segment checksum mismatch";
    case IEC104_ERROR_UNEXPECTED_REPLY: return "unexpected reply";
    case IEC104_ERROR_CANCELLED: return "cancelled";
    }
  return "unknown error";
}

Iec104Error
iec104_error_from_negative_cot (unsigned cot, int negative_bit)
{
  switch (cot)
    {
    case 44: return IEC104_ERROR_UNKNOWN_TYPE;
    case 45: return IEC104_ERROR_UNKNOWN_COT;
    case 46: return IEC104_ERROR_UNKNOWN_CA;
    case 47: return IEC104_ERROR_UNKNOWN_IOA;
    case 10: return negative_bit ? IEC104_ERROR_NEGATIVE_CONFIRM : IEC104_ERROR_TERMINATED;
    default: return negative_bit ? IEC104_ERROR_NEGATIVE_CONFIRM : IEC104_ERROR_UNEXPECTED_REPLY;
    }
}
