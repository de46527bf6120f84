/* fuzz-ffdelta-patch.c: libFuzzer target: the streaming patcher on any patch body, fed in chunks whose
 * sizes come from the input too, with a save and restore between chunks. It must never read or
 * write outside the images, whatever the body holds. Input: 2 bytes new size (LE), 1 byte chunk
 * seed, then the body; the header is made here around it (the digests of this target's stand-in
 * digest, so the fuzzer reaches the body). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ffdelta.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define OLD_SIZE 4096
#define NEW_MAX 65535

static uint8_t old_image[OLD_SIZE];
static uint8_t new_image[NEW_MAX];
static uint32_t new_size;

static int
read_old (void *user, uint32_t offset, uint8_t *buf, size_t len)
{
  if (offset > OLD_SIZE || len > OLD_SIZE - offset)
    abort ();
  memcpy (buf, old_image + offset, len);
  return 0;
}

static int
write_new (void *user, uint32_t offset, const uint8_t *buf, size_t len)
{
  if (offset > new_size || len > new_size - offset)
    abort ();
  memcpy (new_image + offset, buf, len);
  return 0;
}

static int
read_new (void *user, uint32_t offset, uint8_t *buf, size_t len)
{
  if (offset > new_size || len > new_size - offset)
    abort ();
  memcpy (buf, new_image + offset, len);
  return 0;
}

/* A stand-in digest (all zero): the target is the decoder, not SHA-256. */
static void digest_begin (void *user) { }
static void digest_update (void *user, const uint8_t *d, size_t n) { }
static void digest_end (void *user, uint8_t digest[FFDELTA_DIGEST_SIZE])
{
  memset (digest, 0, FFDELTA_DIGEST_SIZE);
}

static const FfDeltaIo io = { read_old, write_new, read_new, digest_begin, digest_update, digest_end,
                              NULL };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static FfDeltaPatcher patcher;
  static uint8_t record[FFDELTA_RECORD_SIZE];
  uint8_t header_bytes[FFDELTA_HEADER_SIZE];
  FfDeltaHeader header = { 0 };
  FfDeltaResult result;
  unsigned chunk_seed;

  if (size < 3)
    return 0;
  for (int i = 0; i < OLD_SIZE; i++)
    old_image[i] = (uint8_t) (i * 7 + (i >> 8) * 13 + 3);
  new_size = (uint32_t) data[0] | (uint32_t) data[1] << 8;
  chunk_seed = data[2];
  data += 3;
  size -= 3;
  if (size < 5)
    return 0;
  header.version = FFDELTA_FORMAT_VERSION;
  header.old_size = OLD_SIZE;
  header.new_size = new_size;
  header.body_size = (uint32_t) size;
  ffdelta_header_write (&header, header_bytes);

  ffdelta_patcher_init (&patcher, &io);
  result = ffdelta_patcher_feed (&patcher, header_bytes, sizeof header_bytes);
  while (result == FFDELTA_NEED_MORE && size > 0)
    {
      size_t n = 1 + (chunk_seed = chunk_seed * 33 + 7) % 97;

      if (n > size)
        n = size;
      ffdelta_patcher_save (&patcher, record);
      if (ffdelta_patcher_restore (&patcher, record, &io) != FFDELTA_OK)
        abort ();
      result = ffdelta_patcher_feed (&patcher, data, n);
      data += n;
      size -= n;
    }
  return 0;
}
