/* Simulated slot images: a header line naming kind, version, body size and health, and the
 * SHA-256 of all that and the body, then the body. The bootloader checks all of it at every boot, so a slot torn by a power cut is seen. */
#include "config.h"

#include "ff-sim-image.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "ff-sim-error.h"

#define MAGIC "FFSIM-IMAGE"
/* A header longer than this is not one: the reader never buffers more of a damaged slot. */
#define HEADER_MAX 512

static gboolean
valid_word (const char *text)
{
  if (text == NULL || text[0] == '\0' || strlen (text) > 64)
    return FALSE;
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr ("._-+~", *c) == NULL)
      return FALSE;
  return TRUE;
}

gboolean
ff_sim_image_check_version (const char  *version,
                            GError     **error)
{
  if (valid_word (version))
    return TRUE;
  g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_DEVICE,
               _("“%s” is not a valid version (1 to 64 letters, digits and . _ - + ~)"),
               version != NULL ? version : "");
  return FALSE;
}

GBytes *
ff_sim_image_make (const char  *kind,
                   const char  *version,
                   gsize        body_size,
                   gboolean     healthy,
                   GError     **error)
{
  g_autoptr(GRand) rand = NULL;
  g_autofree guint8 *body = NULL;
  g_autofree char *fields = NULL;
  g_autofree char *header = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  GByteArray *image;

  if (g_strcmp0 (kind, "kernel") != 0 && g_strcmp0 (kind, "rootfs") != 0)
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_DEVICE,
                   _("An image is a kernel or a rootfs, not “%s”"), kind);
      return NULL;
    }
  if (!ff_sim_image_check_version (version, error))
    return NULL;
  body = g_malloc (MAX (body_size, 1));
  rand = g_rand_new_with_seed (g_str_hash (kind) ^ g_str_hash (version) ^ (guint32) body_size);
  for (gsize i = 0; i < body_size; i++)
    body[i] = (guint8) g_rand_int (rand);
  /* The digest covers the header's fields too: a torn write of a new header over an old body
   * (only the version differing) must not pass as the new image. */
  fields = g_strdup_printf (MAGIC " kind=%s version=%s size=%" G_GSIZE_FORMAT " health=%s", kind,
                            version, body_size, healthy ? "ok" : "fails");
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guint8 *) fields, (gssize) strlen (fields));
  g_checksum_update (checksum, body, body_size);
  header = g_strdup_printf ("%s sha256=%s\n", fields, g_checksum_get_string (checksum));
  image = g_byte_array_sized_new (strlen (header) + body_size);
  g_byte_array_append (image, (const guint8 *) header, strlen (header));
  g_byte_array_append (image, body, body_size);
  return g_byte_array_free_to_bytes (image);
}

static gboolean
fail (GError     **error,
      const char  *path,
      const char  *reason)
{
  g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_SLOT, _("Slot %s: %s"), path, reason);
  return FALSE;
}

/* The value of "name=" among the header's space-separated fields, or NULL. */
static const char *
field (char       **fields,
       const char  *name)
{
  gsize len = strlen (name);

  for (char **f = fields; *f != NULL; f++)
    if (strncmp (*f, name, len) == 0 && (*f)[len] == '=')
      return *f + len + 1;
  return NULL;
}

gboolean
ff_sim_image_inspect (const char     *path,
                      FfSimImageInfo *info,
                      GError        **error)
{
  FILE *file = g_fopen (path, "rb");
  char line[HEADER_MAX + 1];
  g_auto(GStrv) fields = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 buffer[65536];
  guint64 expected_size, body_size = 0;
  const char *kind, *version, *size_text, *digest, *health, *digest_field;
  char *end;
  gsize n;

  if (file == NULL)
    {
      int saved = errno;
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_SLOT, _("Slot %s cannot be read: %s"), path,
                   g_strerror (saved));
      return FALSE;
    }
  if (fgets (line, sizeof line, file) == NULL || strchr (line, '\n') == NULL
      || !g_str_has_prefix (line, MAGIC " "))
    {
      fclose (file);
      return fail (error, path, _("no image header (never written, or torn at its start)"));
    }
  *strchr (line, '\n') = '\0';
  /* The digest covers the header up to its own field, then the body. */
  digest_field = strstr (line, " sha256=");
  if (digest_field != NULL)
    g_checksum_update (checksum, (const guint8 *) line, digest_field - line);
  fields = g_strsplit (line, " ", -1);
  kind = field (fields, "kind");
  version = field (fields, "version");
  size_text = field (fields, "size");
  digest = field (fields, "sha256");
  health = field (fields, "health");
  if (digest_field == NULL || kind == NULL || !valid_word (version) || size_text == NULL
      || digest == NULL
      || health == NULL || !g_ascii_isdigit (size_text[0]))
    {
      fclose (file);
      return fail (error, path, _("the image header is damaged"));
    }
  expected_size = g_ascii_strtoull (size_text, &end, 10);
  if (*end != '\0')
    {
      fclose (file);
      return fail (error, path, _("the image header is damaged"));
    }
  while ((n = fread (buffer, 1, sizeof buffer, file)) > 0)
    {
      g_checksum_update (checksum, buffer, n);
      body_size += n;
    }
  if (ferror (file))
    {
      fclose (file);
      return fail (error, path, g_strerror (EIO));
    }
  fclose (file);
  if (body_size != expected_size)
    return fail (error, path, _("torn: its body is not as long as its header says"));
  if (g_ascii_strcasecmp (g_checksum_get_string (checksum), digest) != 0)
    return fail (error, path, _("corrupted or torn: it does not match the SHA-256 in its header"));

  info->kind = g_strdup (kind);
  info->version = g_strdup (version);
  info->healthy = g_str_equal (health, "ok");
  return TRUE;
}

void
ff_sim_image_info_clear (FfSimImageInfo *info)
{
  g_clear_pointer (&info->kind, g_free);
  g_clear_pointer (&info->version, g_free);
}
