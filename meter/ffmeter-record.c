/* ffmeter-record.c: CRC-32 and the record kept as two copies with a sequence number, so a power cut
 * during a write leaves the previous copy whole. */
#include <string.h>

#include "ffmeter-private.h"

/* A nibble table: 64 bytes of flash instead of 1 KiB, fast enough for packets of a few hundred
 * bytes on a Cortex-M0+. Same polynomial and result as zlib's crc32. */
static const uint32_t crc_nibble[16] = {
  0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
  0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t
ffmeter_crc32 (uint32_t crc, const uint8_t *data, size_t len)
{
  crc = ~crc;
  for (size_t i = 0; i < len; i++)
    {
      crc ^= data[i];
      crc = (crc >> 4) ^ crc_nibble[crc & 15];
      crc = (crc >> 4) ^ crc_nibble[crc & 15];
    }
  return ~crc;
}

static bool
copy_valid (const char magic[4], uint8_t format, const uint8_t *buf, size_t copy_size)
{
  return memcmp (buf, magic, 4) == 0 && buf[4] == format
         && ffmeter_get32 (buf + copy_size - 4) == ffmeter_crc32 (0, buf, copy_size - 4);
}

bool
ffmeter_record_load (const FfMeterStore *store, const char magic[4], uint8_t format,
                     uint8_t *buf, size_t copy_size, uint32_t *sequence, uint8_t *copy)
{
  bool found = false;
  unsigned best = 0, last_read = 0;
  uint32_t best_sequence = 0;

  for (unsigned c = 0; c < 2; c++)
    {
      last_read = c;
      if (store->read (store->user, c, buf, copy_size) != 0 || !copy_valid (magic, format, buf, copy_size))
        continue;
      uint32_t s = ffmeter_get32 (buf + 8);
      /* Serial-number order, so the sequence may wrap. */
      if (!found || (int32_t) (s - best_sequence) > 0)
        {
          found = true;
          best = c;
          best_sequence = s;
        }
    }
  if (!found)
    {
      *sequence = 0;
      *copy = 1;
      return false;
    }
  if (best != last_read
      && (store->read (store->user, best, buf, copy_size) != 0
          || !copy_valid (magic, format, buf, copy_size)))
    {
      /* It read well a moment ago: storage that changes under us is as good as none. */
      *sequence = 0;
      *copy = 1;
      return false;
    }
  *sequence = best_sequence;
  *copy = (uint8_t) best;
  return true;
}

int
ffmeter_record_save (const FfMeterStore *store, const char magic[4], uint8_t format,
                     uint8_t *buf, size_t copy_size, uint32_t *sequence, uint8_t *copy)
{
  unsigned target = *copy ^ 1u;
  uint32_t next = *sequence + 1;

  memcpy (buf, magic, 4);
  buf[4] = format;
  buf[5] = buf[6] = buf[7] = 0;
  ffmeter_put32 (buf + 8, next);
  ffmeter_put32 (buf + copy_size - 4, ffmeter_crc32 (0, buf, copy_size - 4));
  if (store->write (store->user, target, buf, copy_size) != 0)
    return -1;
  *sequence = next;
  *copy = (uint8_t) target;
  return 0;
}
