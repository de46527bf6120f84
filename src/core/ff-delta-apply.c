/* Delta patches: applying and describing one, with delta/'s streaming patcher doing the applying as
 * a device would (SHA-256 from GLib). Apart from the generator, so a program that only applies
 * patches (the simulator, the tablet) does not link the suffix sort. */
#include "config.h"

#include "ff-delta.h"

#include <glib/gi18n-lib.h>
#include <string.h>

G_DEFINE_QUARK (ff-delta-error-quark, ff_delta_error)

const char *
ff_delta_result_describe (FfDeltaResult result)
{
  switch (result)
    {
    case FFDELTA_ERROR_BAD_MAGIC: return _("This is not a Fieldflash delta patch.");
    case FFDELTA_ERROR_BAD_VERSION: return _("The delta patch is of a newer format than this program reads.");
    case FFDELTA_ERROR_BAD_HEADER: return _("The delta patch's header is damaged.");
    case FFDELTA_ERROR_WRONG_OLD: return _("The delta patch was made for another old image.");
    case FFDELTA_ERROR_MALFORMED: return _("The delta patch is damaged.");
    case FFDELTA_ERROR_TOO_LONG: return _("The delta patch is longer than its header says.");
    case FFDELTA_ERROR_WRONG_NEW: return _("The image the delta patch made does not have the expected SHA-256.");
    case FFDELTA_ERROR_IO: return _("Reading or writing an image failed while applying the delta patch.");
    case FFDELTA_ERROR_BAD_RECORD: return _("The saved state of the delta patcher is damaged.");
    case FFDELTA_NEED_MORE: return _("The delta patch is cut short.");
    case FFDELTA_ERROR_STATE:
    case FFDELTA_OK:
    case FFDELTA_DONE:
      break;
    }
  return _("The delta patcher was used out of order.");
}

static gboolean
set_result_error (FfDeltaResult result, GError **error)
{
  g_set_error_literal (error, FF_DELTA_ERROR, result, ff_delta_result_describe (result));
  return FALSE;
}

/* The new image grows as the patcher writes it, up to the header's size: allocating that size up
 * front let a patch of a hundred bytes whose header declares 2 GiB abort the program (GLib's
 * allocation failure on a 32-bit terminal, or wherever the address space is limited) before the
 * body was found short. */
typedef struct
{
  const guint8 *old;
  gsize old_size;
  GByteArray *new_image;
  gsize new_size;
  GChecksum *checksum;
} MemoryImages;

static int
memory_read_old (void *user, uint32_t offset, uint8_t *buf, size_t len)
{
  MemoryImages *images = user;

  if (offset > images->old_size || len > images->old_size - offset)
    return -1;
  memcpy (buf, images->old + offset, len);
  return 0;
}

/* Writes come in order; one may repeat bytes already written (the patcher's contract). */
static int
memory_write_new (void *user, uint32_t offset, const uint8_t *buf, size_t len)
{
  MemoryImages *images = user;
  GByteArray *image = images->new_image;

  if (offset > image->len || len > images->new_size - offset)
    return -1;
  if (offset + len > image->len)
    g_byte_array_set_size (image, offset + len);
  memcpy (image->data + offset, buf, len);
  return 0;
}

static int
memory_read_new (void *user, uint32_t offset, uint8_t *buf, size_t len)
{
  MemoryImages *images = user;

  if (offset > images->new_image->len || len > images->new_image->len - offset)
    return -1;
  memcpy (buf, images->new_image->data + offset, len);
  return 0;
}

static void
memory_digest_begin (void *user)
{
  MemoryImages *images = user;

  g_clear_pointer (&images->checksum, g_checksum_free);
  images->checksum = g_checksum_new (G_CHECKSUM_SHA256);
}

static void
memory_digest_update (void *user, const uint8_t *data, size_t len)
{
  g_checksum_update (((MemoryImages *) user)->checksum, data, len);
}

static void
memory_digest_end (void *user, uint8_t digest[FFDELTA_DIGEST_SIZE])
{
  MemoryImages *images = user;
  gsize digest_len = FFDELTA_DIGEST_SIZE;

  g_checksum_get_digest (images->checksum, digest, &digest_len);
  g_clear_pointer (&images->checksum, g_checksum_free);
}

gboolean
ff_delta_describe (GBytes         *patch,
                   FfDeltaHeader  *header,
                   GError        **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (patch, &len);
  FfDeltaResult result = ffdelta_header_parse (data, len, header);

  if (result != FFDELTA_OK)
    return set_result_error (result, error);
  if (len - FFDELTA_HEADER_SIZE != header->body_size)
    return set_result_error (len - FFDELTA_HEADER_SIZE < header->body_size
                             ? FFDELTA_NEED_MORE : FFDELTA_ERROR_TOO_LONG, error);
  return TRUE;
}

GBytes *
ff_delta_apply (GBytes  *old_image,
                GBytes  *patch,
                GError **error)
{
  FfDeltaHeader header;
  MemoryImages images = { 0 };
  FfDeltaIo io = { memory_read_old, memory_write_new, memory_read_new, memory_digest_begin,
                   memory_digest_update, memory_digest_end, &images };
  g_autofree FfDeltaPatcher *patcher = g_new (FfDeltaPatcher, 1);
  g_autoptr(GByteArray) new_image = NULL;
  FfDeltaResult result;
  gsize patch_len;
  const guint8 *patch_data = g_bytes_get_data (patch, &patch_len);

  if (!ff_delta_describe (patch, &header, error))
    return NULL;
  if (header.old_size != g_bytes_get_size (old_image))
    return set_result_error (FFDELTA_ERROR_WRONG_OLD, error), NULL;

  new_image = g_byte_array_new ();
  images.old = g_bytes_get_data (old_image, &images.old_size);
  images.new_image = new_image;
  images.new_size = header.new_size;
  ffdelta_patcher_init (patcher, &io);
  result = ffdelta_patcher_feed (patcher, patch_data, patch_len);
  g_clear_pointer (&images.checksum, g_checksum_free);
  if (result != FFDELTA_DONE)
    return set_result_error (result, error), NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&new_image));
}
