/* ffdelta: the streaming patcher, a state machine over patch chunks of any size. */
#include "ffdelta.h"

#include <string.h>

#define PATCHER_MAGIC 0x46464450u   /* marks an initialised patcher, and a record's struct */
#define MAX_IMAGE_SIZE 0x7FFFFFFFu

enum
{
  PHASE_HEADER,
  PHASE_DIFF_RUN,
  PHASE_EXACT_FLAG,
  PHASE_DIFF_BYTES,
  PHASE_EXACT_BYTES,
  PHASE_LITERAL_RUN,
  PHASE_LITERAL_BYTES,
  PHASE_SEEK,
  PHASE_DONE,
};

const char *
ffdelta_strerror (FfDeltaResult result)
{
  switch (result)
    {
    case FFDELTA_OK: return "no error";
    case FFDELTA_NEED_MORE: return "more patch bytes are needed";
    case FFDELTA_DONE: return "the new image is complete";
    case FFDELTA_ERROR_BAD_MAGIC: return "not an ffdelta patch";
    case FFDELTA_ERROR_BAD_VERSION: return "a patch format this patcher does not know";
    case FFDELTA_ERROR_BAD_HEADER: return "the patch header is damaged";
    case FFDELTA_ERROR_WRONG_OLD: return "the patch was made for another old image";
    case FFDELTA_ERROR_MALFORMED: return "the patch body is damaged";
    case FFDELTA_ERROR_TOO_LONG: return "more patch bytes than the header declares";
    case FFDELTA_ERROR_WRONG_NEW: return "the new image does not have the declared digest";
    case FFDELTA_ERROR_IO: return "reading or writing an image failed";
    case FFDELTA_ERROR_BAD_RECORD: return "the saved patcher state is damaged or from another build";
    case FFDELTA_ERROR_STATE: return "the patcher is not in a state for this call";
    }
  return "unknown error";
}

/* CRC-32 (IEEE), a nibble at a time: a 64-byte table instead of 1 KB, four times the bitwise speed. */
static uint32_t
crc32_update (uint32_t crc, const uint8_t *data, size_t len)
{
  static const uint32_t table[16] = {
    0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
    0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C, 0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
  };

  crc = ~crc;
  while (len-- > 0)
    {
      crc ^= *data++;
      crc = (crc >> 4) ^ table[crc & 15];
      crc = (crc >> 4) ^ table[crc & 15];
    }
  return ~crc;
}

static uint32_t
get_le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static void
put_le32 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
  p[2] = (uint8_t) (v >> 16);
  p[3] = (uint8_t) (v >> 24);
}

/* Header: magic, version, flags (0), 2 reserved zero bytes, old size, new size, body size, old and
 * new SHA-256, CRC-32 of everything before it. */
FfDeltaResult
ffdelta_header_parse (const uint8_t *data, size_t len, FfDeltaHeader *header)
{
  if (len < 4 || memcmp (data, FFDELTA_MAGIC, 4) != 0)
    return FFDELTA_ERROR_BAD_MAGIC;
  if (len < FFDELTA_HEADER_SIZE)
    return FFDELTA_ERROR_BAD_HEADER;
  if (data[4] != FFDELTA_FORMAT_VERSION || data[5] != 0)
    return FFDELTA_ERROR_BAD_VERSION;
  if (data[6] != 0 || data[7] != 0
      || crc32_update (0, data, FFDELTA_HEADER_SIZE - 4) != get_le32 (data + FFDELTA_HEADER_SIZE - 4))
    return FFDELTA_ERROR_BAD_HEADER;
  header->version = data[4];
  header->old_size = get_le32 (data + 8);
  header->new_size = get_le32 (data + 12);
  header->body_size = get_le32 (data + 16);
  if (header->old_size > MAX_IMAGE_SIZE || header->new_size > MAX_IMAGE_SIZE
      || header->body_size < 5)
    return FFDELTA_ERROR_BAD_HEADER;
  memcpy (header->old_digest, data + 20, FFDELTA_DIGEST_SIZE);
  memcpy (header->new_digest, data + 52, FFDELTA_DIGEST_SIZE);
  return FFDELTA_OK;
}

void
ffdelta_header_write (const FfDeltaHeader *header, uint8_t out[FFDELTA_HEADER_SIZE])
{
  memcpy (out, FFDELTA_MAGIC, 4);
  out[4] = FFDELTA_FORMAT_VERSION;
  out[5] = out[6] = out[7] = 0;
  put_le32 (out + 8, header->old_size);
  put_le32 (out + 12, header->new_size);
  put_le32 (out + 16, header->body_size);
  memcpy (out + 20, header->old_digest, FFDELTA_DIGEST_SIZE);
  memcpy (out + 52, header->new_digest, FFDELTA_DIGEST_SIZE);
  put_le32 (out + FFDELTA_HEADER_SIZE - 4, crc32_update (0, out, FFDELTA_HEADER_SIZE - 4));
}

void
ffdelta_patcher_init (FfDeltaPatcher *patcher, const FfDeltaIo *io)
{
  memset (patcher, 0, sizeof *patcher);
  patcher->magic = PATCHER_MAGIC;
  patcher->phase = PHASE_HEADER;
  patcher->io = io;
  ffdelta_model_init (&patcher->model);
}

uint32_t
ffdelta_patcher_offset (const FfDeltaPatcher *patcher)
{
  return patcher->header_have + patcher->body_fed;
}

static FfDeltaResult
fail (FfDeltaPatcher *patcher, FfDeltaResult result)
{
  patcher->failed = (uint8_t) result;
  return result;
}

/* Streams an image through the device's digest and compares it with the expected one. */
static int
image_has_digest (FfDeltaPatcher *patcher,
                  int (*read) (void *, uint32_t, uint8_t *, size_t),
                  uint32_t size, const uint8_t expected[FFDELTA_DIGEST_SIZE], int *io_failed)
{
  const FfDeltaIo *io = patcher->io;
  uint8_t digest[FFDELTA_DIGEST_SIZE];
  uint8_t *buf = patcher->out;   /* free whenever a whole image is checked */

  io->digest_begin (io->user);
  for (uint32_t offset = 0; offset < size;)
    {
      size_t n = size - offset < sizeof patcher->out ? size - offset : sizeof patcher->out;

      if (read (io->user, offset, buf, n) != 0)
        {
          *io_failed = 1;
          io->digest_end (io->user, digest);
          return 0;
        }
      io->digest_update (io->user, buf, n);
      offset += (uint32_t) n;
    }
  io->digest_end (io->user, digest);
  return memcmp (digest, expected, FFDELTA_DIGEST_SIZE) == 0;
}

static int
flush_output (FfDeltaPatcher *patcher)
{
  if (patcher->out_len == 0)
    return 0;
  if (patcher->io->write_new (patcher->io->user, patcher->written, patcher->out, patcher->out_len)
      != 0)
    return -1;
  patcher->written += patcher->out_len;
  patcher->out_len = 0;
  return 0;
}

static int
put_byte (FfDeltaPatcher *patcher, uint8_t byte)
{
  if (patcher->out_len == sizeof patcher->out && flush_output (patcher) != 0)
    return -1;
  patcher->out[patcher->out_len++] = byte;
  patcher->new_pos++;
  return 0;
}

static int
old_byte (FfDeltaPatcher *patcher, uint32_t offset, uint8_t *byte)
{
  if (offset < patcher->old_cache_offset
      || offset >= patcher->old_cache_offset + patcher->old_cache_len)
    {
      uint32_t left = patcher->header.old_size - offset;
      uint8_t n = left < sizeof patcher->old_cache ? (uint8_t) left : sizeof patcher->old_cache;

      if (patcher->io->read_old (patcher->io->user, offset, patcher->old_cache, n) != 0)
        return -1;
      patcher->old_cache_offset = offset;
      patcher->old_cache_len = n;
    }
  *byte = patcher->old_cache[offset - patcher->old_cache_offset];
  return 0;
}

/* The header is complete: check it and the old image before anything is written. */
static FfDeltaResult
start_body (FfDeltaPatcher *patcher)
{
  FfDeltaHeader header;   /* parsed aside: it replaces the bytes it is parsed from */
  FfDeltaResult result = ffdelta_header_parse (patcher->header_bytes, FFDELTA_HEADER_SIZE, &header);
  int io_failed = 0;

  if (result != FFDELTA_OK)
    return result;
  patcher->header = header;
  if (!image_has_digest (patcher, patcher->io->read_old, patcher->header.old_size,
                         patcher->header.old_digest, &io_failed))
    return io_failed ? FFDELTA_ERROR_IO : FFDELTA_ERROR_WRONG_OLD;
  patcher->phase = PHASE_DIFF_RUN;
  return FFDELTA_OK;
}

/* A run length or seek decoded: move to the next phase, refusing anything out of bounds. A step
 * that makes no byte is allowed (it only moves the old position); it still costs body bits, so a
 * finite body cannot keep the patcher busy for ever. */
static FfDeltaResult
after_number (FfDeltaPatcher *patcher, uint32_t value)
{
  const FfDeltaHeader *h = &patcher->header;

  switch (patcher->phase)
    {
    case PHASE_DIFF_RUN:
      if (value > h->new_size - patcher->new_pos || patcher->old_pos + value > h->old_size)
        return FFDELTA_ERROR_MALFORMED;
      patcher->run_left = value;
      patcher->phase = value > 0 ? PHASE_EXACT_FLAG : PHASE_LITERAL_RUN;
      break;
    case PHASE_LITERAL_RUN:
      if (value > h->new_size - patcher->new_pos)
        return FFDELTA_ERROR_MALFORMED;
      patcher->run_left = value;
      patcher->phase = value > 0 ? PHASE_LITERAL_BYTES : PHASE_SEEK;
      break;
    case PHASE_SEEK:
      patcher->old_pos += ffdelta_unzigzag (value);
      if (patcher->old_pos < 0 || patcher->old_pos > h->old_size)
        return FFDELTA_ERROR_MALFORMED;
      ffdelta_offset_use (&patcher->history, FFDELTA_OFFSET_SEEK,
                          patcher->old_pos - patcher->new_pos);
      patcher->phase = PHASE_DIFF_RUN;
      break;
    default:
      return FFDELTA_ERROR_STATE;
    }
  return FFDELTA_OK;
}

/* Decodes one unit (a number or a byte) from the lookahead buffer. */
static FfDeltaResult
decode_unit (FfDeltaPatcher *patcher, FfDeltaInput *input)
{
  FfDeltaModel *model = &patcher->model;
  FfDeltaDecoder *dec = &patcher->decoder;
  uint8_t byte;

  switch (patcher->phase)
    {
    case PHASE_DIFF_RUN:
      return after_number (patcher, ffdelta_decode_number (dec, input,
                                                           &model->numbers[FFDELTA_NUMBER_DIFF_RUN]));
    case PHASE_LITERAL_RUN:
      return after_number (patcher,
                           ffdelta_decode_number (dec, input,
                                                  &model->numbers[FFDELTA_NUMBER_LITERAL_RUN]));
    case PHASE_SEEK:
      {
        unsigned place = ffdelta_decode_tree (dec, input, model->offset_choice, 3);
        int64_t old_pos;

        if (place == FFDELTA_OFFSET_SEEK)
          return after_number (patcher,
                               ffdelta_decode_number (dec, input,
                                                      &model->numbers[FFDELTA_NUMBER_SEEK]));
        old_pos = (int64_t) patcher->new_pos + patcher->history.offsets[place % FFDELTA_RECENT_OFFSETS];
        if (place > FFDELTA_OFFSET_SEEK || old_pos < 0 || old_pos > patcher->header.old_size)
          return FFDELTA_ERROR_MALFORMED;
        patcher->old_pos = old_pos;
        ffdelta_offset_use (&patcher->history, place, old_pos - patcher->new_pos);
        patcher->phase = PHASE_DIFF_RUN;
        return FFDELTA_OK;
      }
    case PHASE_EXACT_FLAG:
      patcher->phase = ffdelta_decode_bit (dec, input, &model->exact_run) ? PHASE_EXACT_BYTES
                                                                          : PHASE_DIFF_BYTES;
      return FFDELTA_OK;
    case PHASE_EXACT_BYTES:
      /* No input is read: copy as much as the output buffer takes. */
      do
        {
          if (old_byte (patcher, (uint32_t) patcher->old_pos, &byte) != 0
              || put_byte (patcher, byte) != 0)
            return FFDELTA_ERROR_IO;
          patcher->old_pos++;
        }
      while (--patcher->run_left > 0 && patcher->out_len < sizeof patcher->out);
      if (patcher->run_left == 0)
        {
          ffdelta_history_exact (&patcher->history, byte);
          patcher->phase = PHASE_LITERAL_RUN;
        }
      return FFDELTA_OK;
    case PHASE_DIFF_BYTES:
      {
        FfDeltaHistory *history = &patcher->history;
        unsigned slot, after_change = ffdelta_after_change (history);
        uint8_t guess, diff = 0;

        if (old_byte (patcher, (uint32_t) patcher->old_pos, &byte) != 0)
          return FFDELTA_ERROR_IO;
        slot = ffdelta_guess_slot (history, byte);
        guess = model->diff_guess[slot];
        if (guess != 0 && ffdelta_decode_bit (dec, input, &model->diff_hit[after_change]))
          diff = guess;
        else if (ffdelta_decode_bit (dec, input,
                                     &model->diff_zero[ffdelta_zero_context (history, byte)]))
          diff = (uint8_t) ffdelta_decode_tree (dec, input, model->diff_value[after_change], 8);
        model->diff_guess[slot] = diff;
        ffdelta_history_diff (history, byte, diff);
        if (put_byte (patcher, (uint8_t) (byte + diff)) != 0)
          return FFDELTA_ERROR_IO;
        patcher->old_pos++;
        if (--patcher->run_left == 0)
          patcher->phase = PHASE_LITERAL_RUN;
        return FFDELTA_OK;
      }
    case PHASE_LITERAL_BYTES:
      byte = (uint8_t) ffdelta_decode_tree (dec, input,
                                            model->literal[ffdelta_literal_context (&patcher->history)],
                                            8);
      ffdelta_history_literal (&patcher->history, byte);
      if (put_byte (patcher, byte) != 0)
        return FFDELTA_ERROR_IO;
      if (--patcher->run_left == 0)
        patcher->phase = PHASE_SEEK;
      return FFDELTA_OK;
    default:
      return FFDELTA_ERROR_STATE;
    }
}

/* The last byte is decoded: every body byte must have been used, then the written image must
 * have the declared digest. */
static FfDeltaResult
finish (FfDeltaPatcher *patcher)
{
  int io_failed = 0;

  if (patcher->body_fed != patcher->header.body_size || patcher->in_pos != patcher->in_len)
    return FFDELTA_ERROR_MALFORMED;
  if (flush_output (patcher) != 0)
    return FFDELTA_ERROR_IO;
  if (!image_has_digest (patcher, patcher->io->read_new, patcher->header.new_size,
                         patcher->header.new_digest, &io_failed))
    return io_failed ? FFDELTA_ERROR_IO : FFDELTA_ERROR_WRONG_NEW;
  patcher->phase = PHASE_DONE;
  return FFDELTA_DONE;
}

/* Decodes as long as a whole unit's worth of input is buffered (or the body is all in). */
static FfDeltaResult
decode_available (FfDeltaPatcher *patcher)
{
  int body_complete = patcher->body_fed == patcher->header.body_size;

  for (;;)
    {
      uint32_t available = patcher->in_len - patcher->in_pos;
      FfDeltaInput input = { patcher->in, patcher->in_len, patcher->in_pos };
      FfDeltaResult result;

      if (available < FFDELTA_LOOKAHEAD && !body_complete)
        return FFDELTA_NEED_MORE;
      if (!patcher->decoder.started)
        {
          if (available < 5)
            return FFDELTA_ERROR_MALFORMED;
          patcher->decoder.range = 0xFFFFFFFFu;
          for (int i = 0; i < 5; i++)
            patcher->decoder.code = patcher->decoder.code << 8 | ffdelta_input_byte (&input);
          patcher->decoder.started = 1;
        }
      else if ((result = decode_unit (patcher, &input)) != FFDELTA_OK)
        return result;
      if (input.pos > input.len)
        return FFDELTA_ERROR_MALFORMED;   /* it needed bytes past the end of the body */
      patcher->in_pos = (uint16_t) input.pos;
      /* The image ends without a seek after its last run (an empty one has no run at all). */
      if (patcher->new_pos == patcher->header.new_size
          && (patcher->phase == PHASE_SEEK || patcher->header.new_size == 0))
        break;
    }
  return finish (patcher);
}

FfDeltaResult
ffdelta_patcher_feed (FfDeltaPatcher *patcher, const uint8_t *data, size_t len)
{
  FfDeltaResult result;

  if (patcher->magic != PATCHER_MAGIC)
    return FFDELTA_ERROR_STATE;
  if (patcher->failed)
    return (FfDeltaResult) patcher->failed;
  if (patcher->phase == PHASE_DONE)
    return len == 0 ? FFDELTA_DONE : fail (patcher, FFDELTA_ERROR_TOO_LONG);

  while (patcher->phase == PHASE_HEADER)
    {
      size_t n = FFDELTA_HEADER_SIZE - patcher->header_have;

      if (n > len)
        n = len;
      memcpy (patcher->header_bytes + patcher->header_have, data, n);
      patcher->header_have += (uint8_t) n;
      data += n;
      len -= n;
      if (patcher->header_have < FFDELTA_HEADER_SIZE)
        return FFDELTA_NEED_MORE;
      if ((result = start_body (patcher)) != FFDELTA_OK)
        return fail (patcher, result);
    }

  do
    {
      size_t room, n;

      /* Keep what is not decoded yet at the front of the buffer, then fill it up. */
      memmove (patcher->in, patcher->in + patcher->in_pos, patcher->in_len - patcher->in_pos);
      patcher->in_len -= patcher->in_pos;
      patcher->in_pos = 0;
      room = sizeof patcher->in - patcher->in_len;
      n = len < room ? len : room;
      if (n > patcher->header.body_size - patcher->body_fed)
        return fail (patcher, FFDELTA_ERROR_TOO_LONG);
      memcpy (patcher->in + patcher->in_len, data, n);
      patcher->in_len += (uint16_t) n;
      patcher->body_fed += (uint32_t) n;
      data += n;
      len -= n;

      result = decode_available (patcher);
      if (result != FFDELTA_NEED_MORE && result != FFDELTA_DONE)
        return fail (patcher, result);
      if (result == FFDELTA_DONE && len > 0)
        return fail (patcher, FFDELTA_ERROR_TOO_LONG);
    }
  while (len > 0);
  return result;
}

void
ffdelta_patcher_save (const FfDeltaPatcher *patcher, uint8_t *record)
{
  FfDeltaPatcher copy = *patcher;

  copy.io = NULL;
  memcpy (record, &copy, sizeof copy);
  put_le32 (record + sizeof copy, crc32_update (0, record, sizeof copy));
}

FfDeltaResult
ffdelta_patcher_restore (FfDeltaPatcher *patcher, const uint8_t *record, const FfDeltaIo *io)
{
  FfDeltaPatcher copy;

  if (crc32_update (0, record, sizeof copy) != get_le32 (record + sizeof copy))
    return FFDELTA_ERROR_BAD_RECORD;
  memcpy (&copy, record, sizeof copy);
  if (copy.magic != PATCHER_MAGIC || copy.phase > PHASE_DONE || copy.in_pos > copy.in_len
      || copy.in_len > sizeof copy.in || copy.out_len > sizeof copy.out
      || copy.header_have > FFDELTA_HEADER_SIZE)
    return FFDELTA_ERROR_BAD_RECORD;
  *patcher = copy;
  patcher->io = io;
  return FFDELTA_OK;
}
