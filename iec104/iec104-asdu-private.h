/* iec104-asdu-private.h: helpers the ASDU codec files share (header writing and checking). */
#pragma once

#include "iec104-asdu.h"
#include "iec104-bytes-private.h"

/* Starts `asdu` with a header and returns a writer positioned after it. */
void iec104_asdu_begin (Iec104Asdu *asdu, Iec104Writer *writer, uint8_t type_id, bool sq,
                        uint8_t count, uint8_t cot, bool negative, uint16_t common_address);
/* Finishes `asdu` from the writer: IEC104_ERROR_TOO_LONG when anything did not fit. */
Iec104Error iec104_asdu_end (Iec104Asdu *asdu, const Iec104Writer *writer);
/* Decodes the header, checks the type, and returns a reader positioned after the header. */
Iec104Error iec104_asdu_open (const uint8_t *asdu, size_t len, uint8_t type_id,
                              Iec104AsduHeader *header, Iec104Reader *reader);
/* IEC104_OK when the reader consumed exactly everything, else IEC104_ERROR_MALFORMED_ASDU. */
Iec104Error iec104_asdu_close (const Iec104Reader *reader);
