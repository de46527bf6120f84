/* ff-meter-seal.c: the platform's seal on a meter's package (ff-meter-seal.h). */
#include "config.h"

#include "ff-meter-seal.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define SEAL_MAGIC "FFMS"
#define SEALED_HEADER 46

static void
put_le (guint8 *out, guint64 value, guint n)
{
  for (guint i = 0; i < n; i++)
    out[i] = (guint8) (value >> (8 * i));
}

static guint64
get_le (const guint8 *in, guint n)
{
  guint64 value = 0;

  for (guint i = n; i > 0; i--)
    value = value << 8 | in[i - 1];
  return value;
}

static void
sha256_raw (GBytes *data, guint8 out[32])
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = 32;

  g_checksum_update (checksum, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
  g_checksum_get_digest (checksum, out, &len);
}

GBytes *
ff_meter_seal (FfKey    *key,
               guint16   app_id,
               guint32   version,
               GBytes   *image,
               GBytes   *payload,
               GError  **error)
{
  guint8 header[SEALED_HEADER];
  g_autoptr(GBytes) signed_part = NULL;
  g_autoptr(GBytes) signature = NULL;
  GByteArray *out;

  memcpy (header, SEAL_MAGIC, 4);
  put_le (header + 4, app_id, 2);
  put_le (header + 6, version, 4);
  put_le (header + 10, g_bytes_get_size (image), 4);
  sha256_raw (image, header + 14);
  signed_part = g_bytes_new (header, sizeof header);
  if ((signature = ff_key_sign (key, signed_part, error)) == NULL)
    return NULL;
  out = g_byte_array_sized_new (g_bytes_get_size (payload) + FF_METER_SEAL_SIZE);
  g_byte_array_append (out, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  g_byte_array_append (out, header, sizeof header);
  g_byte_array_append (out, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  return g_byte_array_free_to_bytes (out);
}

GBytes *
ff_meter_unseal (FfKey    *key,
                 GBytes   *sealed,
                 guint16   app_id,
                 guint32   version,
                 gsize    *image_size,
                 char    **image_sha256,
                 GError  **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (sealed, &size);
  const guint8 *seal = size >= FF_METER_SEAL_SIZE ? data + size - FF_METER_SEAL_SIZE : NULL;
  g_autoptr(GBytes) signed_part = NULL;
  g_autoptr(GBytes) signature = NULL;
  GString *hex;

  if (seal == NULL || memcmp (seal, SEAL_MAGIC, 4) != 0)
    {
      g_set_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_FAILED,
                   _("The package carries no seal of the platform"));
      return NULL;
    }
  signed_part = g_bytes_new (seal, SEALED_HEADER);
  signature = g_bytes_new (seal + SEALED_HEADER, FF_METER_SEAL_SIZE - SEALED_HEADER);
  if (!ff_key_verify (key, signed_part, signature, error))
    return NULL;
  if (get_le (seal + 4, 2) != app_id || get_le (seal + 6, 4) != version)
    {
      g_set_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_FAILED,
                   _("The platform's seal is for another app or version"));
      return NULL;
    }
  *image_size = (gsize) get_le (seal + 10, 4);
  hex = g_string_sized_new (64);
  for (guint i = 0; i < 32; i++)
    g_string_append_printf (hex, "%02x", seal[14 + i]);
  *image_sha256 = g_string_free (hex, FALSE);
  return g_bytes_new_from_bytes (sealed, 0, size - FF_METER_SEAL_SIZE);
}
