/* Demo firmware images for training and tests: a "[fieldflash-firmware]" key-file header carrying
 * the version marker, a NUL byte, then a pseudo-random payload guarded by its size and CRC-32. */
#include "config.h"

#include "ff-sim-firmware.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <zlib.h>

#include "ff-sim-error.h"

#define GROUP "fieldflash-firmware"
#define FORMAT_VERSION 1
/* The header must sit at the start of the image; a NUL within this many bytes ends it. */
#define HEADER_MAX 4096

static guint32
payload_crc32 (const guint8 *data,
               gsize         len)
{
  uLong crc = crc32 (0L, Z_NULL, 0);

  for (gsize done = 0; done < len;)
    {
      uInt chunk = (uInt) MIN (len - done, (gsize) G_MAXUINT32);

      crc = crc32 (crc, data + done, chunk);
      done += chunk;
    }
  return (guint32) crc;
}

static char *
make_header (const char *vendor,
             const char *model,
             const char *version,
             gsize       payload_size,
             guint32     crc)
{
  g_autoptr(GKeyFile) header = g_key_file_new ();

  g_key_file_set_integer (header, GROUP, "format", FORMAT_VERSION);
  g_key_file_set_string (header, GROUP, "vendor", vendor);
  g_key_file_set_string (header, GROUP, "model", model);
  g_key_file_set_string (header, GROUP, "version", version);
  g_key_file_set_uint64 (header, GROUP, "payload-size", payload_size);
  g_autofree char *crc_text = g_strdup_printf ("%08X", crc);
  g_key_file_set_string (header, GROUP, "payload-crc32", crc_text);
  return g_key_file_to_data (header, NULL, NULL);
}

GBytes *
ff_sim_firmware_make (const char  *vendor,
                      const char  *model,
                      const char  *version,
                      gsize        size,
                      GError     **error)
{
  /* The header's length depends on the payload size and CRC only through fixed-width or short
   * fields, so measure it with placeholders of the final width. */
  g_autofree char *probe = make_header (vendor, model, version, size, 0);
  gsize header_len = strlen (probe) + 1;
  gsize payload_size;
  g_autoptr(GRand) rand = NULL;
  g_autofree char *header = NULL;
  guint8 *image;

  if (size < header_len + 1)
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FIRMWARE,
                   _("An image of %llu bytes cannot hold its %llu-byte header"),
                   (unsigned long long) size, (unsigned long long) header_len);
      return NULL;
    }
  payload_size = size - header_len;
  image = g_malloc (size);
  rand = g_rand_new_with_seed (g_str_hash (version) ^ (guint32) size);
  for (gsize i = 0; i < payload_size; i++)
    image[header_len + i] = (guint8) g_rand_int (rand);

  header = make_header (vendor, model, version, payload_size,
                        payload_crc32 (image + header_len, payload_size));
  /* The size field may have fewer digits than the probe: pad the header with newlines, which the
   * key-file reader skips, so the payload stays where it was measured to start. */
  memset (image, '\n', header_len - 1);
  g_assert (strlen (header) <= header_len - 1);
  memcpy (image, header, strlen (header));
  image[header_len - 1] = '\0';
  return g_bytes_new_take (image, size);
}

static gboolean
fail (GError     **error,
      const char  *reason)
{
  g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FIRMWARE,
               _("Not a valid firmware image: %s"), reason);
  return FALSE;
}

gboolean
ff_sim_firmware_inspect (GBytes            *image,
                         FfSimFirmwareInfo *info,
                         GError           **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (image, &size);
  const guint8 *end = memchr (data, '\0', MIN (size, HEADER_MAX));
  g_autoptr(GKeyFile) header = g_key_file_new ();
  g_autofree char *crc_text = NULL;
  g_autofree char *expected_crc = NULL;
  gsize header_len;
  guint64 payload_size;

  if (end == NULL)
    return fail (error, _("no version marker at the start"));
  header_len = (gsize) (end - data) + 1;
  if (!g_key_file_load_from_data (header, (const char *) data, header_len - 1, G_KEY_FILE_NONE,
                                  NULL)
      || !g_key_file_has_group (header, GROUP))
    return fail (error, _("no version marker at the start"));
  if (g_key_file_get_integer (header, GROUP, "format", NULL) != FORMAT_VERSION)
    return fail (error, _("unknown format version"));

  payload_size = g_key_file_get_uint64 (header, GROUP, "payload-size", NULL);
  if (payload_size != size - header_len)
    return fail (error, _("the image is truncated or too long"));
  crc_text = g_key_file_get_string (header, GROUP, "payload-crc32", NULL);
  expected_crc = g_strdup_printf ("%08X", payload_crc32 (data + header_len, payload_size));
  if (g_strcmp0 (crc_text, expected_crc) != 0)
    return fail (error, _("the payload checksum does not match"));

  info->vendor = g_key_file_get_string (header, GROUP, "vendor", NULL);
  info->model = g_key_file_get_string (header, GROUP, "model", NULL);
  info->version = g_key_file_get_string (header, GROUP, "version", NULL);
  if (info->version == NULL || info->version[0] == '\0' || info->vendor == NULL
      || info->model == NULL)
    {
      ff_sim_firmware_info_clear (info);
      return fail (error, _("the header lacks the vendor, model or version"));
    }
  return TRUE;
}

void
ff_sim_firmware_info_clear (FfSimFirmwareInfo *info)
{
  g_clear_pointer (&info->vendor, g_free);
  g_clear_pointer (&info->model, g_free);
  g_clear_pointer (&info->version, g_free);
}
