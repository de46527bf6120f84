/* Delta patches: the generator (bsdiff's approximate matching over a suffix array of the old image,
 * coded by delta/'s range encoder). Applying is in ff-delta-apply.c, which needs no suffix sort. */
#include "config.h"

#include "ff-delta.h"

#include <divsufsort.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "ffdelta-encode.h"

static void
sha256 (const guint8 *data, gsize len, guint8 digest[FFDELTA_DIGEST_SIZE])
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize digest_len = FFDELTA_DIGEST_SIZE;

  g_checksum_update (checksum, data, len);
  g_checksum_get_digest (checksum, digest, &digest_len);
}

/* --- the generator ----------------------------------------------------------------------------- */

static gint64
match_length (const guint8 *old, gint64 old_len, const guint8 *new_data, gint64 new_len)
{
  gint64 i = 0;

  while (i < old_len && i < new_len && old[i] == new_data[i])
    i++;
  return i;
}

static gint64
bit_length (gint64 value)
{
  gint64 bits = 0;

  for (value = value < 0 ? -value : value; value != 0; value >>= 1)
    bits++;
  return bits;
}

/* The longest match of new_data in old, by binary search over the sorted suffixes. */
static gint64
longest_match (const saidx_t *suffixes, const guint8 *old, gint64 old_size,
               const guint8 *new_data, gint64 new_len, gint64 *position)
{
  gint64 first = 0, last = old_size - 1;

  while (last - first >= 2)
    {
      gint64 middle = first + (last - first) / 2;
      gint64 offset = suffixes[middle];
      gint64 n = MIN (old_size - offset, new_len);

      if (memcmp (old + offset, new_data, n) < 0)
        first = middle;
      else
        last = middle;
    }

  {
    gint64 a = match_length (old + suffixes[first], old_size - suffixes[first], new_data, new_len);
    gint64 b = match_length (old + suffixes[last], old_size - suffixes[last], new_data, new_len);

    *position = a > b ? suffixes[first] : suffixes[last];
    return MAX (a, b);
  }
}

typedef struct
{
  FfDeltaEncoder encoder;
  GByteArray *body;
} Generator;

static int
append_to_body (void *user, const uint8_t *data, size_t len)
{
  g_byte_array_append (((Generator *) user)->body, data, len);
  return 0;
}

/* bsdiff's scan: extend exact matches into approximate ones (more than half the bytes equal), so
 * code that moved with changed addresses becomes a run of mostly-zero differences. */
static void
generate (Generator *gen, const guint8 *old, gint64 old_size, const guint8 *new_data,
          gint64 new_size)
{
  g_autofree saidx_t *suffixes = NULL;
  gint64 scan = 0, len = 0, pos = 0, last_scan = 0, last_pos = 0, last_offset = 0;

  if (old_size == 0)
    {
      if (new_size > 0)
        ffdelta_encoder_add (&gen->encoder, old, new_data, 0, 0, 0, (uint32_t) new_size, 0, 1);
      return;
    }
  suffixes = g_new (saidx_t, old_size);
  divsufsort (old, suffixes, (saidx_t) old_size);

  while (scan < new_size)
    {
      gint64 old_score = 0, scsc;

      for (scsc = scan += len; scan < new_size; scan++)
        {
          len = longest_match (suffixes, old, old_size, new_data + scan, new_size - scan, &pos);
          for (; scsc < scan + len; scsc++)
            if (scsc + last_offset < old_size && old[scsc + last_offset] == new_data[scsc])
              old_score++;
          /* A new alignment must match more bytes than the current one by about what its seek
           * costs to code (half its bit length); bsdiff's fixed 8 suits its bzip2 control block. */
          if ((len == old_score && len != 0)
              || len > old_score + bit_length (pos - scan - last_offset) / 2)
            break;
          if (scan + last_offset < old_size && old[scan + last_offset] == new_data[scan])
            old_score--;
        }

      if (len != old_score || scan == new_size)
        {
          gint64 s = 0, best = 0, forward = 0, backward = 0, i;

          for (i = 0; last_scan + i < scan && last_pos + i < old_size;)
            {
              if (old[last_pos + i] == new_data[last_scan + i])
                s++;
              i++;
              if (s * 2 - i > best * 2 - forward)
                {
                  best = s;
                  forward = i;
                }
            }

          if (scan < new_size)
            {
              s = 0;
              best = 0;
              for (i = 1; scan >= last_scan + i && pos >= i; i++)
                {
                  if (old[pos - i] == new_data[scan - i])
                    s++;
                  if (s * 2 - i > best * 2 - backward)
                    {
                      best = s;
                      backward = i;
                    }
                }
            }

          if (last_scan + forward > scan - backward)
            {
              gint64 overlap = (last_scan + forward) - (scan - backward), split = 0;

              s = 0;
              best = 0;
              for (i = 0; i < overlap; i++)
                {
                  if (new_data[last_scan + forward - overlap + i]
                      == old[last_pos + forward - overlap + i])
                    s++;
                  if (new_data[scan - backward + i] == old[pos - backward + i])
                    s--;
                  if (s > best)
                    {
                      best = s;
                      split = i + 1;
                    }
                }
              forward += split - overlap;
              backward -= split;
            }

          {
            gint64 literal = (scan - backward) - (last_scan + forward);
            gint64 seek = (pos - backward) - (last_pos + forward);
            gboolean last = last_scan + forward + literal == new_size;

            ffdelta_encoder_add (&gen->encoder, old, new_data, (uint32_t) last_scan,
                                 (uint32_t) last_pos, (uint32_t) forward, (uint32_t) literal,
                                 seek, last);
          }

          last_scan = scan - backward;
          last_pos = pos - backward;
          last_offset = pos - scan;
        }
    }
}

GBytes *
ff_delta_make (GBytes  *old_image,
               GBytes  *new_image,
               GError **error)
{
  gsize old_size, new_size;
  const guint8 *old = g_bytes_get_data (old_image, &old_size);
  const guint8 *new_data = g_bytes_get_data (new_image, &new_size);
  g_autoptr(GByteArray) patch = g_byte_array_new ();
  FfDeltaHeader header = { .version = FFDELTA_FORMAT_VERSION };
  g_autofree Generator *gen = g_new0 (Generator, 1);
  guint8 header_bytes[FFDELTA_HEADER_SIZE] = { 0 };

  if (old_size > G_MAXINT32 || new_size > G_MAXINT32)
    {
      g_set_error_literal (error, FF_DELTA_ERROR, FF_DELTA_ERROR_TOO_LARGE,
                           _("A delta patch can only be made between images smaller than 2 GiB."));
      return NULL;
    }
  /* The header goes in front once the body's size is known. */
  g_byte_array_append (patch, header_bytes, sizeof header_bytes);
  gen->body = patch;
  ffdelta_encoder_init (&gen->encoder, append_to_body, gen);
  generate (gen, old, (gint64) old_size, new_data, (gint64) new_size);
  ffdelta_encoder_finish (&gen->encoder);

  header.old_size = (guint32) old_size;
  header.new_size = (guint32) new_size;
  header.body_size = (guint32) gen->encoder.body_size;
  sha256 (old, old_size, header.old_digest);
  sha256 (new_data, new_size, header.new_digest);
  ffdelta_header_write (&header, patch->data);
  return g_byte_array_free_to_bytes (g_steal_pointer (&patch));
}
