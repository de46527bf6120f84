/* ffdelta: the Fieldflash delta format's patcher, small enough for a meter (libc only, no allocation). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The patch layout (docs/formats.md, "Delta patch"): a fixed header, then one range-coded body. */
#define FFDELTA_MAGIC "FFDL"
#define FFDELTA_FORMAT_VERSION 1
#define FFDELTA_HEADER_SIZE 88
#define FFDELTA_DIGEST_SIZE 32
/* The whole patcher, models and buffers included, fits in this many bytes (a test checks sizeof). */
#define FFDELTA_PATCHER_BUDGET 4096

typedef enum
{
  FFDELTA_OK = 0,
  FFDELTA_NEED_MORE,          /* feed more patch bytes */
  FFDELTA_DONE,               /* the new image is written and its digest checked */
  FFDELTA_ERROR_BAD_MAGIC,
  FFDELTA_ERROR_BAD_VERSION,  /* a format this patcher does not know */
  FFDELTA_ERROR_BAD_HEADER,
  FFDELTA_ERROR_WRONG_OLD,    /* the old image is not the one the patch was made for */
  FFDELTA_ERROR_MALFORMED,    /* the body does not decode into the declared image */
  FFDELTA_ERROR_TOO_LONG,     /* more patch bytes than the header declares */
  FFDELTA_ERROR_WRONG_NEW,    /* the image written does not have the declared digest */
  FFDELTA_ERROR_IO,           /* a callback failed */
  FFDELTA_ERROR_BAD_RECORD,   /* a saved state that is damaged or from another build */
  FFDELTA_ERROR_STATE,        /* a call that does not fit the patcher's state */
} FfDeltaResult;

const char *ffdelta_strerror (FfDeltaResult result);

typedef struct
{
  uint8_t  version;
  uint32_t old_size;
  uint32_t new_size;
  uint32_t body_size;
  uint8_t  old_digest[FFDELTA_DIGEST_SIZE];   /* SHA-256 */
  uint8_t  new_digest[FFDELTA_DIGEST_SIZE];
} FfDeltaHeader;

/* Reads the fixed header from its first FFDELTA_HEADER_SIZE bytes. */
FfDeltaResult ffdelta_header_parse (const uint8_t *data, size_t len, FfDeltaHeader *header);
void ffdelta_header_write (const FfDeltaHeader *header, uint8_t out[FFDELTA_HEADER_SIZE]);

/* The device's storage and digest. Callbacks return 0 on success. The old image is read at random
 * offsets; the new image is written in order (a write may repeat after a restore: same offset, same
 * bytes) and read back once at the end to check its digest. The digest is SHA-256, computed by the
 * device's own implementation (its crypto library or hardware), never by this library. */
typedef struct
{
  int  (*read_old)      (void *user, uint32_t offset, uint8_t *buf, size_t len);
  int  (*write_new)     (void *user, uint32_t offset, const uint8_t *buf, size_t len);
  int  (*read_new)      (void *user, uint32_t offset, uint8_t *buf, size_t len);
  void (*digest_begin)  (void *user);
  void (*digest_update) (void *user, const uint8_t *data, size_t len);
  void (*digest_end)    (void *user, uint8_t digest[FFDELTA_DIGEST_SIZE]);
  void *user;
} FfDeltaIo;

#include "ffdelta-model.h"

/* The patcher's whole state: the caller owns the storage (static or on its stack). */
typedef struct
{
  uint32_t     magic;
  uint8_t      phase;
  uint8_t      failed;          /* an FfDeltaResult once it failed, else 0 */
  uint8_t      header_have;
  union
    {
      uint8_t       header_bytes[FFDELTA_HEADER_SIZE];   /* until the header is complete */
      FfDeltaHeader header;                              /* from then on */
    };
  uint32_t     body_fed;        /* body bytes taken in so far */
  uint32_t     new_pos;         /* bytes of the new image decoded */
  uint32_t     written;         /* bytes of the new image handed to write_new */
  int64_t      old_pos;
  uint32_t     run_left;        /* bytes left in the current diff or literal run */
  FfDeltaDecoder decoder;
  FfDeltaModel model;
  uint8_t      in[FFDELTA_LOOKAHEAD * 2];   /* body bytes not decoded yet */
  uint16_t     in_len;
  uint16_t     in_pos;
  uint8_t      out[64];        /* new image bytes not written yet */
  uint16_t     out_len;
  uint8_t      old_cache[32];   /* old image bytes read ahead */
  uint32_t     old_cache_offset;
  uint8_t      old_cache_len;
  FfDeltaHistory history;
  const FfDeltaIo *io;
} FfDeltaPatcher;

_Static_assert (sizeof (FfDeltaPatcher) <= FFDELTA_PATCHER_BUDGET, "the patcher exceeds its RAM budget");

void ffdelta_patcher_init (FfDeltaPatcher *patcher, const FfDeltaIo *io);
/* Takes the next patch bytes, any number at a time. Before the first byte of the new image is written
 * the old image is read whole and its digest compared with the header's; after the last, the new
 * image is read back and its digest compared. Returns FFDELTA_NEED_MORE, FFDELTA_DONE or an error;
 * after an error every further call returns it again. */
FfDeltaResult ffdelta_patcher_feed (FfDeltaPatcher *patcher, const uint8_t *data, size_t len);
/* How many patch bytes the patcher has taken so far (header included): where a resumed download
 * continues after ffdelta_patcher_restore(). */
uint32_t ffdelta_patcher_offset (const FfDeltaPatcher *patcher);

/* Saving: between any two feed calls the state can be kept as a record of FFDELTA_RECORD_SIZE bytes
 * (with a CRC) in flash or EEPROM, and restored into a fresh patcher after a power loss or sleep.
 * A record is for the build that wrote it (the struct layout of that compiler and target). */
#define FFDELTA_RECORD_SIZE (sizeof (FfDeltaPatcher) + 4)
void ffdelta_patcher_save (const FfDeltaPatcher *patcher, uint8_t *record);
FfDeltaResult ffdelta_patcher_restore (FfDeltaPatcher *patcher, const uint8_t *record,
                                       const FfDeltaIo *io);

#ifdef __cplusplus
}
#endif
