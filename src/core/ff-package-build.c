/* Building a .ffpkg package (the platform's packages build): the manifest completed with each
 * payload's size and SHA-256, signed, and written with the payloads as a tar with libarchive. Apart
 * from the reader (ff-package.c): a program that only reads packages (the terminal's agent) links
 * none of libarchive's writers. */
#include "config.h"

#include "ff-package-private.h"

#include "ff-document.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static const char *const build_payload_members[] = {
  "kind", "version", "min_installed_version", "delta_from", NULL
};

static gboolean
build_payload_is_valid (JsonObject *payload)
{
  g_autoptr(GList) members = payload != NULL ? json_object_get_members (payload) : NULL;

  if (payload == NULL)
    return FALSE;
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (build_payload_members, l->data))
      return FALSE;
  return TRUE;
}

/* Copies the optional nullable string @member of @from into the builder (null when absent). */
static void
copy_optional_string (JsonBuilder *builder,
                      JsonObject  *from,
                      const char  *member)
{
  json_builder_set_member_name (builder, member);
  if (json_object_has_member (from, member))
    json_builder_add_value (builder, json_node_copy (json_object_get_member (from, member)));
  else
    json_builder_add_null_value (builder);
}

/* The full manifest: @manifest with each payload's file, size and digest. */
static GBytes *
complete_manifest (JsonObject        *manifest,
                   const char *const *payload_paths,
                   GError           **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  JsonArray *payloads = json_object_has_member (manifest, "payloads")
                        ? json_object_get_array_member (manifest, "payloads") : NULL;
  guint n = payloads != NULL ? json_array_get_length (payloads) : 0;

  if (payloads == NULL || n != g_strv_length ((char **) payload_paths))
    {
      g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
                   _("The manifest must list one payload per file"));
      return NULL;
    }
  json_builder_begin_object (builder);
  ff_builder_add_int (builder, "format_version", 1);
  for (guint m = 0; ff_package_manifest_members[m] != NULL; m++)
    if (strcmp (ff_package_manifest_members[m], "payloads") != 0
        && strcmp (ff_package_manifest_members[m], "format_version") != 0)
      copy_optional_string (builder, manifest, ff_package_manifest_members[m]);
  json_builder_set_member_name (builder, "payloads");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *in = json_array_get_object_element (payloads, i);
      g_autofree char *sha256 = NULL;
      g_autofree char *file = NULL;
      goffset size = 0;

      if (!build_payload_is_valid (in))
        {
          g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
                       _("payloads[%u] may only have kind, version, min_installed_version and "
                         "delta_from"), i);
          return NULL;
        }
      sha256 = ff_sha256_file_hex (payload_paths[i], &size, error);
      if (sha256 == NULL)
        return NULL;
      json_builder_begin_object (builder);
      copy_optional_string (builder, in, "kind");
      file = g_strconcat (PAYLOAD_DIR, json_object_get_string_member_with_default (in, "kind", ""),
                          NULL);
      ff_builder_add_string (builder, "file", file);
      copy_optional_string (builder, in, "version");
      ff_builder_add_int (builder, "size", size);
      ff_builder_add_string (builder, "sha256", sha256);
      copy_optional_string (builder, in, "min_installed_version");
      copy_optional_string (builder, in, "delta_from");
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return ff_document_serialize (builder);
}

static struct archive_entry *
new_file_entry (const char *name,
                gint64      size)
{
  struct archive_entry *entry = archive_entry_new ();

  archive_entry_set_pathname (entry, name);
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, size);
  archive_entry_set_mtime (entry, g_get_real_time () / G_USEC_PER_SEC, 0);
  return entry;
}

static gboolean
write_bytes_entry (struct archive *archive,
                   const char     *name,
                   GBytes         *bytes)
{
  struct archive_entry *entry = new_file_entry (name, g_bytes_get_size (bytes));
  gboolean ok = archive_write_header (archive, entry) == ARCHIVE_OK
                && archive_write_data (archive, g_bytes_get_data (bytes, NULL),
                                       g_bytes_get_size (bytes))
                   == (la_ssize_t) g_bytes_get_size (bytes);

  archive_entry_free (entry);
  return ok;
}

/* Writes the payload file @source; it must still have the size the manifest got. */
static gboolean
write_payload_entry (struct archive         *archive,
                     const FfPackagePayload *payload,
                     const char             *source,
                     GError                **error)
{
  struct archive_entry *entry = new_file_entry (payload->file, payload->size);
  g_autofree guint8 *buffer = g_malloc (BLOCK_SIZE);
  gint64 total = 0;
  gssize n = 0;
  int fd = g_open (source, O_RDONLY | O_CLOEXEC, 0);
  gboolean ok = fd >= 0 && archive_write_header (archive, entry) == ARCHIVE_OK;

  archive_entry_free (entry);
  while (ok && (n = read (fd, buffer, BLOCK_SIZE)) > 0)
    {
      total += n;
      ok = total <= payload->size && archive_write_data (archive, buffer, n) == n;
    }
  if (fd >= 0)
    close (fd);
  if (ok && n == 0 && total == payload->size)
    return TRUE;
  g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_FAILED,
               _("Could not add %s to the package: %s"), source,
               n < 0 || fd < 0 ? g_strerror (errno)
               : total != payload->size ? _("the file changed while the package was built")
               : archive_error_string (archive));
  return FALSE;
}

gboolean
ff_package_build (const char        *out_path,
                  FfKey             *platform_key,
                  JsonObject        *manifest,
                  const char *const *payload_paths,
                  GError           **error)
{
  g_autoptr(FfPackage) package = g_new0 (FfPackage, 1);
  g_autoptr(GBytes) manifest_bytes = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *temp_path = g_strconcat (out_path, ".XXXXXX", NULL);
  struct archive *archive;
  gboolean ok;
  int fd;

  package->path = g_strdup (out_path);
  package->name = g_strdup (out_path);
  manifest_bytes = complete_manifest (manifest, payload_paths, error);
  if (manifest_bytes == NULL)
    return FALSE;
  if (g_bytes_get_size (manifest_bytes) > FF_PACKAGE_MANIFEST_MAX_SIZE)
    {
      g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
                   _("The manifest would be larger than %d bytes"), FF_PACKAGE_MANIFEST_MAX_SIZE);
      return FALSE;
    }
  if (!ff_package_parse_manifest (manifest_bytes, package, &local_error))
    {
      g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
                   _("The manifest is not valid: %s"), local_error->message);
      return FALSE;
    }
  signature = ff_key_sign (platform_key, manifest_bytes, error);
  if (signature == NULL)
    return FALSE;
  fd = g_mkstemp_full (temp_path, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      ff_package_set_write_error (error, temp_path, errno);
      return FALSE;
    }
  archive = archive_write_new ();
  ok = archive_write_set_format_pax_restricted (archive) == ARCHIVE_OK
       && archive_write_open_fd (archive, fd) == ARCHIVE_OK
       && write_bytes_entry (archive, MANIFEST_NAME, manifest_bytes)
       && write_bytes_entry (archive, SIGNATURE_NAME, signature);
  if (!ok)
    g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_FAILED, _("Could not write %s: %s"),
                 out_path, archive_error_string (archive));
  for (guint i = 0; ok && i < package->n_payloads; i++)
    ok = write_payload_entry (archive, &package->payloads[i], payload_paths[i], error);
  if (ok && archive_write_close (archive) != ARCHIVE_OK)
    {
      ok = FALSE;
      g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_FAILED, _("Could not write %s: %s"),
                   out_path, archive_error_string (archive));
    }
  archive_write_free (archive);
  if (ok && (fsync (fd) != 0 || close (fd) != 0 || g_rename (temp_path, out_path) != 0))
    {
      ff_package_set_write_error (error, out_path, errno);
      g_unlink (temp_path);
      return FALSE;
    }
  if (!ok)
    {
      close (fd);
      g_unlink (temp_path);
    }
  return ok;
}
