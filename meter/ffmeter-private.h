/* ffmeter-private.h: what the parts of meter/ share: little-endian fields, the two-copy record. */
#pragma once

#include "ffmeter.h"

/* The format of each record's copies: a copy of another format is not valid (as none). */
#define FFMETER_TABLE_FORMAT 1
#define FFMETER_PROGRESS_FORMAT 2   /* 1 had no ETag */
#define FFMETER_RECORD_HEADER 12

static inline void
ffmeter_put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
}

static inline void
ffmeter_put32 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
  p[2] = (uint8_t) (v >> 16);
  p[3] = (uint8_t) (v >> 24);
}

static inline uint16_t
ffmeter_get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | p[1] << 8);
}

static inline uint32_t
ffmeter_get32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* Reads the newer of the two copies whose magic, format and CRC are right into buf (copy_size
 * bytes; the payload starts at FFMETER_RECORD_HEADER). Returns false when neither is: then
 * *sequence is 0 and the first save goes to copy 0. */
bool ffmeter_record_load (const FfMeterStore *store, const char magic[4], uint8_t format,
                          uint8_t *buf, size_t copy_size, uint32_t *sequence, uint8_t *copy);
/* Writes the payload already in buf as the next sequence into the copy that does not hold the
 * current one, so the current one survives a cut. On success updates *sequence and *copy; on a
 * failed write changes neither and returns non-zero. */
int ffmeter_record_save (const FfMeterStore *store, const char magic[4], uint8_t format,
                         uint8_t *buf, size_t copy_size, uint32_t *sequence, uint8_t *copy);
