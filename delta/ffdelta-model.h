/* ffdelta: the adaptive binary models and the range coder that the encoder and the patcher share.
 * One definition of every context keeps the two sides from drifting apart. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A model is one 16-bit word: a 12-bit probability of a 0 and a 4-bit count of the bits it has
 * seen, so a fresh model learns fast (rate 1/(n+1.5)) and a seasoned one settles (rate 1/16.5). */
#define FFDELTA_PROB_BITS 12
#define FFDELTA_PROB_ONE (1u << FFDELTA_PROB_BITS)
#define FFDELTA_PROB_INIT ((FFDELTA_PROB_ONE / 2) << 4)
/* The most body bytes one decoding unit (a byte or a number) can consume: one per coded bit. */
#define FFDELTA_LOOKAHEAD 40

typedef uint16_t FfDeltaProb;

static inline uint32_t
ffdelta_prob_zero (FfDeltaProb model)
{
  return model >> 4;
}

static inline void
ffdelta_prob_update (FfDeltaProb *model, unsigned bit)
{
  /* 65536 / (n + 1.5), down to the settled rate */
  static const uint16_t rate[16] = { 43690, 26214, 18724, 14563, 11915, 10082, 8738, 7710,
                                     6898, 6241, 5698, 5242, 4854, 4519, 4228, 3971 };
  uint32_t p = *model >> 4, n = *model & 15;

  if (bit == 0)
    p += ((FFDELTA_PROB_ONE - p) * rate[n]) >> 16;
  else
    p -= (p * rate[n]) >> 16;
  if (p < 16)
    p = 16;
  else if (p > FFDELTA_PROB_ONE - 16)
    p = FFDELTA_PROB_ONE - 16;
  *model = (FfDeltaProb) (p << 4 | (n < 15 ? n + 1 : 15));
}

/* A number (a run length or a seek): its bit length through a 6-bit tree, the bit below the top
 * through a model per length, the rest as direct bits. */
typedef struct
{
  FfDeltaProb length[64];
  FfDeltaProb second[33];
} FfDeltaNumberModel;

typedef enum
{
  FFDELTA_NUMBER_DIFF_RUN,    /* bytes of the next run patched against the old image */
  FFDELTA_NUMBER_LITERAL_RUN, /* bytes of new code after it */
  FFDELTA_NUMBER_SEEK,        /* the old position's move after the two runs, zigzag-coded,
                               * when it is none of the recent offsets */
  FFDELTA_NUMBER_KINDS
} FfDeltaNumberKind;

/* A diff run is flagged exact when none of its bytes changed (long unchanged stretches then cost a
 * few bits instead of a flag per byte). Otherwise each diff byte is coded as: "the byte this context had last time" (when that was not zero), else
 * zero or not, else its value. Contexts: the old byte under it, the one before, and whether the
 * diff before was zero (the byte after a changed one often carries). */
#define FFDELTA_ZERO_CONTEXTS 256
#define FFDELTA_GUESS_SLOTS 512
#define FFDELTA_LITERAL_CONTEXTS 2

typedef struct
{
  FfDeltaProb diff_zero[FFDELTA_ZERO_CONTEXTS];
  FfDeltaProb diff_hit[2];
  FfDeltaProb diff_value[2][256];                     /* bit by bit */
  FfDeltaProb literal[FFDELTA_LITERAL_CONTEXTS][256]; /* by the top bit of the byte before */
  FfDeltaNumberModel numbers[FFDELTA_NUMBER_KINDS];
  FfDeltaProb offset_choice[8];                       /* a recent offset (0-3) or a seek (4) */
  FfDeltaProb exact_run;                              /* a diff run without a single change */
  uint8_t     diff_guess[FFDELTA_GUESS_SLOTS];        /* the diff byte each context had last */
} FfDeltaModel;

/* Where the old image lines up with the new one: old position minus new position. A step often goes
 * back to an alignment used shortly before (after a changed function, the code around it lines up
 * as it did), so the four most recent ones are coded by their place in this list. */
#define FFDELTA_RECENT_OFFSETS 4
#define FFDELTA_OFFSET_SEEK FFDELTA_RECENT_OFFSETS

/* What both sides remember of the bytes coded so far. */
typedef struct
{
  int32_t offsets[FFDELTA_RECENT_OFFSETS];   /* most recent first */
  uint8_t prev_diff;   /* the last diff byte */
  uint8_t prev_old;    /* the old byte under it */
  uint8_t prev_byte;   /* the last byte of the new image */
} FfDeltaHistory;

/* The place of @offset among the recent ones, or FFDELTA_OFFSET_SEEK. */
static inline unsigned
ffdelta_offset_find (const FfDeltaHistory *history, int64_t offset)
{
  for (unsigned i = 0; i < FFDELTA_RECENT_OFFSETS; i++)
    if (history->offsets[i] == offset)
      return i;
  return FFDELTA_OFFSET_SEEK;
}

/* Moves @offset (found at @place, or new) to the front. */
static inline void
ffdelta_offset_use (FfDeltaHistory *history, unsigned place, int64_t offset)
{
  if (place >= FFDELTA_RECENT_OFFSETS)
    place = FFDELTA_RECENT_OFFSETS - 1;
  for (; place > 0; place--)
    history->offsets[place] = history->offsets[place - 1];
  history->offsets[0] = (int32_t) offset;
}

static inline void
ffdelta_model_init (FfDeltaModel *model)
{
  FfDeltaProb *probs = (FfDeltaProb *) model;

  for (unsigned i = 0; i < offsetof (FfDeltaModel, diff_guess) / sizeof (FfDeltaProb); i++)
    probs[i] = FFDELTA_PROB_INIT;
  for (unsigned i = 0; i < FFDELTA_GUESS_SLOTS; i++)
    model->diff_guess[i] = 0;
}

static inline unsigned
ffdelta_zero_context (const FfDeltaHistory *history, uint8_t old_byte)
{
  return (unsigned) (old_byte >> 1) << 1 | (history->prev_diff != 0);
}

static inline unsigned
ffdelta_guess_slot (const FfDeltaHistory *history, uint8_t old_byte)
{
  return (((uint32_t) history->prev_old << 8 | old_byte) * 2654435761u) >> 23;
}

static inline unsigned
ffdelta_after_change (const FfDeltaHistory *history)
{
  return history->prev_diff != 0;
}

static inline unsigned
ffdelta_literal_context (const FfDeltaHistory *history)
{
  return history->prev_byte >> 7;
}

static inline void
ffdelta_history_diff (FfDeltaHistory *history, uint8_t old_byte, uint8_t diff)
{
  history->prev_diff = diff;
  history->prev_old = old_byte;
  history->prev_byte = (uint8_t) (old_byte + diff);
}

/* After a diff run without changes: only its last byte is remembered. */
static inline void
ffdelta_history_exact (FfDeltaHistory *history, uint8_t last_old_byte)
{
  history->prev_diff = 0;
  history->prev_old = last_old_byte;
  history->prev_byte = last_old_byte;
}

static inline void
ffdelta_history_literal (FfDeltaHistory *history, uint8_t byte)
{
  history->prev_byte = byte;
}

static inline uint32_t
ffdelta_zigzag (int64_t value)
{
  return value >= 0 ? (uint32_t) value << 1 : ((uint32_t) (-value) << 1) - 1;
}

static inline int64_t
ffdelta_unzigzag (uint32_t value)
{
  return (value & 1) ? -(int64_t) ((value >> 1) + 1) : (int64_t) (value >> 1);
}

/* The range decoder (the LZMA construction): 32-bit range, 32-bit code. */
typedef struct
{
  uint32_t range;
  uint32_t code;
  uint8_t  started;   /* the first five bytes are in */
} FfDeltaDecoder;

/* Input for the decoder: the caller guarantees FFDELTA_LOOKAHEAD bytes or the end of the body;
 * past the end it reads zeros, which the patcher's bounds checks then catch. */
typedef struct
{
  const uint8_t *data;
  uint32_t len;
  uint32_t pos;
} FfDeltaInput;

static inline uint8_t
ffdelta_input_byte (FfDeltaInput *input)
{
  return input->pos < input->len ? input->data[input->pos++] : (input->pos++, 0);
}

static inline unsigned
ffdelta_decode_bit (FfDeltaDecoder *dec, FfDeltaInput *input, FfDeltaProb *prob)
{
  uint32_t bound = (dec->range >> FFDELTA_PROB_BITS) * ffdelta_prob_zero (*prob);
  unsigned bit;

  if (dec->code < bound)
    {
      dec->range = bound;
      bit = 0;
    }
  else
    {
      dec->code -= bound;
      dec->range -= bound;
      bit = 1;
    }
  ffdelta_prob_update (prob, bit);
  if (dec->range < (1u << 24))
    {
      dec->range <<= 8;
      dec->code = dec->code << 8 | ffdelta_input_byte (input);
    }
  return bit;
}

static inline unsigned
ffdelta_decode_direct (FfDeltaDecoder *dec, FfDeltaInput *input)
{
  unsigned bit = 0;

  dec->range >>= 1;
  if (dec->code >= dec->range)
    {
      dec->code -= dec->range;
      bit = 1;
    }
  if (dec->range < (1u << 24))
    {
      dec->range <<= 8;
      dec->code = dec->code << 8 | ffdelta_input_byte (input);
    }
  return bit;
}

/* A symbol of `bits` bits through a binary tree of models (probs has 1 << bits entries). */
static inline unsigned
ffdelta_decode_tree (FfDeltaDecoder *dec, FfDeltaInput *input, FfDeltaProb *probs, unsigned bits)
{
  unsigned node = 1;

  for (unsigned i = 0; i < bits; i++)
    node = node << 1 | ffdelta_decode_bit (dec, input, &probs[node]);
  return node - (1u << bits);
}

static inline uint32_t
ffdelta_decode_number (FfDeltaDecoder *dec, FfDeltaInput *input, FfDeltaNumberModel *model)
{
  unsigned length = ffdelta_decode_tree (dec, input, model->length, 6);
  uint32_t value;

  if (length == 0)
    return 0;
  if (length > 32)
    length = 32;   /* malformed; the patcher's bounds checks refuse the value */
  value = 1;
  if (length >= 2)
    value = value << 1 | ffdelta_decode_bit (dec, input, &model->second[length]);
  for (unsigned i = 2; i < length; i++)
    value = value << 1 | ffdelta_decode_direct (dec, input);
  return value;
}
