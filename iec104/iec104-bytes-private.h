/* iec104-bytes-private.h: little-endian field access shared by the codecs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t
iec104_get_u16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | (p[1] << 8));
}

static inline uint32_t
iec104_get_u24 (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16);
}

static inline uint32_t
iec104_get_u32 (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16)
         | ((uint32_t) p[3] << 24);
}

static inline uint64_t
iec104_get_u64 (const uint8_t *p)
{
  return (uint64_t) iec104_get_u32 (p) | ((uint64_t) iec104_get_u32 (p + 4) << 32);
}

static inline void
iec104_put_u16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
}

static inline void
iec104_put_u24 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
  p[2] = (uint8_t) (v >> 16);
}

static inline void
iec104_put_u32 (uint8_t *p, uint32_t v)
{
  iec104_put_u16 (p, (uint16_t) v);
  iec104_put_u16 (p + 2, (uint16_t) (v >> 16));
}

static inline void
iec104_put_u64 (uint8_t *p, uint64_t v)
{
  iec104_put_u32 (p, (uint32_t) v);
  iec104_put_u32 (p + 4, (uint32_t) (v >> 32));
}

/* strlen that looks at no more than max bytes (strnlen is POSIX, not C11). */
static inline size_t
iec104_bounded_strlen (const char *text, size_t max)
{
  size_t len = 0;

  while (len < max && text[len] != '\0')
    len++;
  return len;
}

static inline uint32_t
iec104_float_bits (float value)
{
  uint32_t bits;
  memcpy (&bits, &value, sizeof bits);
  return bits;
}

static inline float
iec104_float_from_bits (uint32_t bits)
{
  float value;
  memcpy (&value, &bits, sizeof value);
  return value;
}

/* Bounds-checked sequential reading: after any overrun `failed` stays true and reads return 0,
 * so a decoder checks once at the end. */
typedef struct
{
  const uint8_t *data;
  size_t len;
  size_t pos;
  bool failed;
} Iec104Reader;

static inline void
iec104_reader_init (Iec104Reader *reader, const uint8_t *data, size_t len)
{
  reader->data = data;
  reader->len = len;
  reader->pos = 0;
  reader->failed = false;
}

static inline size_t
iec104_reader_remaining (const Iec104Reader *reader)
{
  return reader->failed ? 0 : reader->len - reader->pos;
}

/* Returns a pointer to the next n bytes, or NULL (and failed) when fewer remain. */
static inline const uint8_t *
iec104_reader_take (Iec104Reader *reader, size_t n)
{
  const uint8_t *p;

  if (reader->failed || reader->len - reader->pos < n)
    {
      reader->failed = true;
      return NULL;
    }
  p = reader->data + reader->pos;
  reader->pos += n;
  return p;
}

static inline uint8_t
iec104_reader_u8 (Iec104Reader *reader)
{
  const uint8_t *p = iec104_reader_take (reader, 1);
  return p ? p[0] : 0;
}

static inline uint16_t
iec104_reader_u16 (Iec104Reader *reader)
{
  const uint8_t *p = iec104_reader_take (reader, 2);
  return p ? iec104_get_u16 (p) : 0;
}

static inline uint32_t
iec104_reader_u24 (Iec104Reader *reader)
{
  const uint8_t *p = iec104_reader_take (reader, 3);
  return p ? iec104_get_u24 (p) : 0;
}

static inline uint32_t
iec104_reader_u32 (Iec104Reader *reader)
{
  const uint8_t *p = iec104_reader_take (reader, 4);
  return p ? iec104_get_u32 (p) : 0;
}

/* Bounds-checked sequential writing with the same `failed` convention. */
typedef struct
{
  uint8_t *data;
  size_t capacity;
  size_t pos;
  bool failed;
} Iec104Writer;

static inline void
iec104_writer_init (Iec104Writer *writer, uint8_t *data, size_t capacity)
{
  writer->data = data;
  writer->capacity = capacity;
  writer->pos = 0;
  writer->failed = false;
}

/* Returns where the next n bytes go, or NULL (and failed) when they do not fit. */
static inline uint8_t *
iec104_writer_reserve (Iec104Writer *writer, size_t n)
{
  uint8_t *p;

  if (writer->failed || writer->capacity - writer->pos < n)
    {
      writer->failed = true;
      return NULL;
    }
  p = writer->data + writer->pos;
  writer->pos += n;
  return p;
}

static inline void
iec104_writer_bytes (Iec104Writer *writer, const void *bytes, size_t n)
{
  uint8_t *p = iec104_writer_reserve (writer, n);
  if (p && n > 0)
    memcpy (p, bytes, n);
}

static inline void
iec104_writer_u8 (Iec104Writer *writer, uint8_t v)
{
  iec104_writer_bytes (writer, &v, 1);
}

static inline void
iec104_writer_u16 (Iec104Writer *writer, uint16_t v)
{
  uint8_t *p = iec104_writer_reserve (writer, 2);
  if (p)
    iec104_put_u16 (p, v);
}

static inline void
iec104_writer_u24 (Iec104Writer *writer, uint32_t v)
{
  uint8_t *p = iec104_writer_reserve (writer, 3);
  if (p)
    iec104_put_u24 (p, v);
}

static inline void
iec104_writer_u32 (Iec104Writer *writer, uint32_t v)
{
  uint8_t *p = iec104_writer_reserve (writer, 4);
  if (p)
    iec104_put_u32 (p, v);
}
