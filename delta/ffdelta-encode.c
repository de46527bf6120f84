/* ffdelta: the range encoder and the body's structure, the mirror of ffdelta-patch.c. */
#include "ffdelta-encode.h"

#include <string.h>

static void
emit (FfDeltaEncoder *enc, uint8_t byte)
{
  if (enc->buf_len == sizeof enc->buf)
    {
      if (!enc->failed && enc->sink (enc->user, enc->buf, enc->buf_len) != 0)
        enc->failed = 1;
      enc->buf_len = 0;
    }
  enc->buf[enc->buf_len++] = byte;
  enc->body_size++;
}

static void
shift_low (FfDeltaEncoder *enc)
{
  if ((uint32_t) enc->low < 0xFF000000u || (enc->low >> 32) != 0)
    {
      uint8_t carry = (uint8_t) (enc->low >> 32);
      uint8_t temp = enc->cache;

      do
        {
          emit (enc, (uint8_t) (temp + carry));
          temp = 0xFF;
        }
      while (--enc->cache_size != 0);
      enc->cache = (uint8_t) (enc->low >> 24);
    }
  enc->cache_size++;
  enc->low = (enc->low & 0x00FFFFFFu) << 8;
}

static void
encode_bit (FfDeltaEncoder *enc, FfDeltaProb *prob, unsigned bit)
{
  uint32_t bound = (enc->range >> FFDELTA_PROB_BITS) * ffdelta_prob_zero (*prob);

  if (bit == 0)
    enc->range = bound;
  else
    {
      enc->low += bound;
      enc->range -= bound;
    }
  ffdelta_prob_update (prob, bit);
  if (enc->range < (1u << 24))
    {
      enc->range <<= 8;
      shift_low (enc);
    }
}

static void
encode_direct (FfDeltaEncoder *enc, unsigned bit)
{
  enc->range >>= 1;
  if (bit)
    enc->low += enc->range;
  if (enc->range < (1u << 24))
    {
      enc->range <<= 8;
      shift_low (enc);
    }
}

static void
encode_tree (FfDeltaEncoder *enc, FfDeltaProb *probs, unsigned bits, unsigned symbol)
{
  unsigned node = 1;

  for (unsigned i = bits; i-- > 0;)
    {
      unsigned bit = (symbol >> i) & 1;
      encode_bit (enc, &probs[node], bit);
      node = node << 1 | bit;
    }
}

static void
encode_number (FfDeltaEncoder *enc, FfDeltaNumberModel *model, uint32_t value)
{
  unsigned length = 0;

  while (length < 32 && (value >> length) != 0)
    length++;
  encode_tree (enc, model->length, 6, length);
  if (length >= 2)
    encode_bit (enc, &model->second[length], (value >> (length - 2)) & 1);
  for (unsigned i = length >= 2 ? length - 2 : 0; i-- > 0;)
    encode_direct (enc, (value >> i) & 1);
}

void
ffdelta_encoder_init (FfDeltaEncoder *enc, FfDeltaSink sink, void *user)
{
  memset (enc, 0, sizeof *enc);
  ffdelta_model_init (&enc->model);
  enc->range = 0xFFFFFFFFu;
  enc->cache_size = 1;
  enc->sink = sink;
  enc->user = user;
}

/* One step as the patcher reads it: the diff run (flagged exact when nothing in it changed), the
 * literal run, and where the old position goes next. */
static void
encode_step (FfDeltaEncoder *enc, const uint8_t *old, const uint8_t *new_data, uint32_t new_pos,
             uint32_t old_pos, uint32_t diff_run, uint32_t literal_run, int64_t seek, int last)
{
  FfDeltaModel *model = &enc->model;
  FfDeltaHistory *history = &enc->history;
  int exact = diff_run > 0 && memcmp (old + old_pos, new_data + new_pos, diff_run) == 0;

  encode_number (enc, &model->numbers[FFDELTA_NUMBER_DIFF_RUN], diff_run);
  if (diff_run > 0)
    encode_bit (enc, &model->exact_run, exact);
  if (exact)
    ffdelta_history_exact (history, old[old_pos + diff_run - 1]);
  for (uint32_t i = 0; i < diff_run && !exact; i++)
    {
      uint8_t old_byte = old[old_pos + i];
      uint8_t diff = (uint8_t) (new_data[new_pos + i] - old_byte);
      unsigned slot = ffdelta_guess_slot (history, old_byte);
      uint8_t guess = model->diff_guess[slot];
      unsigned after_change = ffdelta_after_change (history);

      if (guess != 0)
        encode_bit (enc, &model->diff_hit[after_change], diff == guess);
      if (guess == 0 || diff != guess)
        {
          encode_bit (enc, &model->diff_zero[ffdelta_zero_context (history, old_byte)], diff != 0);
          if (diff != 0)
            encode_tree (enc, model->diff_value[after_change], 8, diff);
        }
      model->diff_guess[slot] = diff;
      ffdelta_history_diff (history, old_byte, diff);
    }
  new_pos += diff_run;

  encode_number (enc, &model->numbers[FFDELTA_NUMBER_LITERAL_RUN], literal_run);
  for (uint32_t i = 0; i < literal_run; i++)
    {
      uint8_t byte = new_data[new_pos + i];

      encode_tree (enc, model->literal[ffdelta_literal_context (history)], 8, byte);
      ffdelta_history_literal (history, byte);
    }

  if (!last)
    {
      int64_t offset = (int64_t) old_pos + diff_run + seek - (new_pos + literal_run);
      unsigned place = ffdelta_offset_find (history, offset);

      encode_tree (enc, model->offset_choice, 3, place);
      if (place == FFDELTA_OFFSET_SEEK)
        encode_number (enc, &model->numbers[FFDELTA_NUMBER_SEEK], ffdelta_zigzag (seek));
      ffdelta_offset_use (history, place, offset);
    }
}

/* An unchanged stretch at least this long becomes an exact run of its own: a step costs about a
 * dozen bits, a flag per unchanged byte a few thousandths of one. */
#define EXACT_STRETCH_MIN 512

int
ffdelta_encoder_add (FfDeltaEncoder *enc, const uint8_t *old, const uint8_t *new_data,
                     uint32_t new_pos, uint32_t old_pos, uint32_t diff_run, uint32_t literal_run,
                     int64_t seek, int last)
{
  uint32_t start = 0, zeros = 0;

  /* Cut long unchanged stretches out of the diff run; the pieces keep the alignment (no seek). */
  for (uint32_t i = 0; i <= diff_run; i++)
    {
      if (i < diff_run && old[old_pos + i] == new_data[new_pos + i])
        {
          zeros++;
          continue;
        }
      if (zeros >= EXACT_STRETCH_MIN)
        {
          uint32_t stretch = i - zeros;

          if (stretch > start)
            encode_step (enc, old, new_data, new_pos + start, old_pos + start, stretch - start, 0,
                         0, 0);
          start = stretch;
          if (i < diff_run)   /* else the last step below is this stretch */
            {
              encode_step (enc, old, new_data, new_pos + stretch, old_pos + stretch, zeros, 0, 0, 0);
              start = i;
            }
        }
      zeros = 0;
    }
  encode_step (enc, old, new_data, new_pos + start, old_pos + start, diff_run - start, literal_run,
               seek, last);
  return enc->failed ? -1 : 0;
}

int
ffdelta_encoder_finish (FfDeltaEncoder *enc)
{
  for (int i = 0; i < 5; i++)
    shift_low (enc);
  if (!enc->failed && enc->buf_len > 0 && enc->sink (enc->user, enc->buf, enc->buf_len) != 0)
    enc->failed = 1;
  enc->buf_len = 0;
  return enc->failed ? -1 : 0;
}
