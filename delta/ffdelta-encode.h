/* ffdelta: the encoder of a patch body (libc only): the generator hands it the matched runs. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ffdelta.h"

typedef int (*FfDeltaSink) (void *user, const uint8_t *data, size_t len);

typedef struct
{
  FfDeltaModel model;
  uint64_t     low;
  uint32_t     range;
  uint8_t      cache;
  uint64_t     cache_size;
  FfDeltaHistory history;
  uint8_t      buf[4096];
  size_t       buf_len;
  uint64_t     body_size;
  int          failed;
  FfDeltaSink  sink;
  void        *user;
} FfDeltaEncoder;

void ffdelta_encoder_init (FfDeltaEncoder *encoder, FfDeltaSink sink, void *user);
/* One step of the new image: diff_run bytes as old[old_pos…] plus differences, then literal_run
 * bytes of new code, then (unless the image ends there) the old position moves by `seek`. The new
 * image's bytes are new_data[new_pos…]. Returns 0, or -1 once the sink failed. */
int ffdelta_encoder_add (FfDeltaEncoder *encoder, const uint8_t *old, const uint8_t *new_data,
                         uint32_t new_pos, uint32_t old_pos, uint32_t diff_run,
                         uint32_t literal_run, int64_t seek, int last);
/* Flushes the coder; the body is then encoder->body_size bytes long. */
int ffdelta_encoder_finish (FfDeltaEncoder *encoder);
