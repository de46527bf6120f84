/* The .ffpkg package of a networked terminal's upgrade: a tar (read with libarchive) holding a
 * manifest, its Ed25519 signature by the platform, and the payloads it names. The platform builds
 * one in ff-package-build.c. */
#include "config.h"

#include "ff-package-private.h"

#include "ff-document.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#define MAX_PAYLOAD_SIZE ((gint64) 1 << 40)
#define MAX_NOTES_LENGTH 4096


G_DEFINE_QUARK (ff-package-error-quark, ff_package_error)

static const char *const payload_kinds[] = { "kernel", "rootfs", "main-program", "updater",
                                              "meter-app", NULL };

gboolean
ff_package_kind_is_valid (const char *kind)
{
  return kind != NULL && g_strv_contains (payload_kinds, kind);
}

static void
payload_clear (FfPackagePayload *payload)
{
  g_free (payload->kind);
  g_free (payload->file);
  g_free (payload->version);
  g_free (payload->sha256);
  g_free (payload->min_installed_version);
  g_free (payload->delta_from);
}

void
ff_package_free (FfPackage *package)
{
  if (package == NULL)
    return;
  g_free (package->path);
  g_free (package->name);
  g_clear_pointer (&package->manifest_bytes, g_bytes_unref);
  g_free (package->vendor);
  g_free (package->model);
  g_strfreev (package->hardware_versions);
  g_free (package->version);
  g_free (package->notes);
  for (guint i = 0; i < package->n_payloads; i++)
    payload_clear (&package->payloads[i]);
  g_free (package);
}

/* ---- the manifest ---- */

const char *const ff_package_manifest_members[] = {
  "format_version", "vendor", "model", "hardware_versions", "version", "notes", "payloads", NULL
};
static const char *const payload_members[] = {
  "kind", "file", "version", "size", "sha256", "min_installed_version", "delta_from", NULL
};

static gboolean
parse_payload (JsonObject       *object,
               const char       *where,
               FfPackagePayload *payload,
               GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *kind, *file, *version, *sha256, *min_installed, *delta_from;

  if (!ff_document_check_members (object, where, payload_members, error)
      || (kind = ff_document_get_string (object, where, "kind", FALSE, 32, error)) == NULL
      || (file = ff_document_get_string (object, where, "file", FALSE,
                                         strlen (PAYLOAD_DIR) + FF_NAME_MAX_LENGTH, error)) == NULL
      || (version = ff_document_get_version (object, where, "version", FALSE, error)) == NULL
      || !ff_document_get_int (object, where, "size", 0, MAX_PAYLOAD_SIZE, &payload->size, error)
      || (sha256 = ff_document_get_sha256 (object, where, "sha256", error)) == NULL)
    return FALSE;
  min_installed = ff_document_get_version (object, where, "min_installed_version", TRUE,
                                           &local_error);
  if (local_error == NULL && json_object_get_null_member (object, "delta_from"))
    delta_from = NULL;
  else if (local_error == NULL)
    delta_from = ff_document_get_sha256 (object, where, "delta_from", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!ff_package_kind_is_valid (kind))
    {
      ff_document_invalid (error, where, "kind",
                           _("must be kernel, rootfs, main-program, updater or meter-app"));
      return FALSE;
    }
  if (!g_str_has_prefix (file, PAYLOAD_DIR) || !ff_name_is_safe (file + strlen (PAYLOAD_DIR)))
    {
      ff_document_invalid (error, where, "file", _("must be payloads/ followed by a file name"));
      return FALSE;
    }
  payload->kind = g_strdup (kind);
  payload->file = g_strdup (file);
  payload->version = g_strdup (version);
  payload->sha256 = g_strdup (sha256);
  payload->min_installed_version = g_strdup (min_installed);
  payload->delta_from = g_strdup (delta_from);
  return TRUE;
}

static gboolean
parse_payloads (JsonObject *root,
                FfPackage  *package,
                GError    **error)
{
  JsonArray *array = ff_document_get_array (root, "", "payloads", error);
  guint n = array != NULL ? json_array_get_length (array) : 0;

  if (array == NULL)
    return FALSE;
  if (n == 0 || n > FF_PACKAGE_MAX_PAYLOADS)
    {
      ff_document_invalid (error, "", "payloads", _("must list 1 to 4 payloads"));
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *where = g_strdup_printf ("payloads[%u]", i);
      JsonObject *object = ff_document_array_get_object (array, i, where, error);
      FfPackagePayload *payload = &package->payloads[i];

      if (object == NULL)
        return FALSE;
      if (!parse_payload (object, where, payload, error))
        {
          payload_clear (payload);
          return FALSE;
        }
      package->n_payloads = i + 1;
      for (guint j = 0; j < i; j++)
        if (strcmp (package->payloads[j].kind, payload->kind) == 0
            || strcmp (package->payloads[j].file, payload->file) == 0)
          {
            ff_document_invalid (error, where, NULL,
                                 _("names a kind or a file another payload names already"));
            return FALSE;
          }
    }
  return TRUE;
}

/* Checks @bytes as a manifest and fills @package's members from it. */
gboolean
ff_package_parse_manifest (GBytes    *bytes,
                           FfPackage *package,
                           GError   **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *root = NULL;
  const char *vendor, *model, *version, *notes;
  gint64 format_version = 0;

  parser = ff_document_parse_object (bytes, &root, error);
  if (parser == NULL
      || !ff_document_check_members (root, "", ff_package_manifest_members, error)
      || !ff_document_get_int (root, "", "format_version", 1, 1, &format_version, error)
      || (vendor = ff_document_get_name (root, "", "vendor", error)) == NULL
      || (model = ff_document_get_name (root, "", "model", error)) == NULL
      || (version = ff_document_get_version (root, "", "version", FALSE, error)) == NULL
      || (package->hardware_versions = ff_document_get_hardware_versions (root, "",
                                                                          error)) == NULL)
    return FALSE;
  notes = ff_document_get_string (root, "", "notes", TRUE, MAX_NOTES_LENGTH, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  package->vendor = g_strdup (vendor);
  package->model = g_strdup (model);
  package->version = g_strdup (version);
  package->notes = g_strdup (notes);
  return parse_payloads (root, package, error);
}

/* ---- reading the tar ---- */

static void
set_archive_error (GError        **error,
                   struct archive *archive,
                   const char     *path)
{
  g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
               _("The package %s cannot be read as a tar: %s"), path,
               archive_error_string (archive) != NULL ? archive_error_string (archive) : "?");
}

static void
set_refused_entry (GError    **error,
                   const char *path,
                   const char *entry,
                   const char *why)
{
  g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
               _("The package %s has a refused entry “%s”: %s"), path,
               entry != NULL ? entry : "?", why);
}

/* Why the tar entry @entry may not be in a package whatever its name, or NULL. */
static const char *
entry_refusal (struct archive_entry *entry)
{
  const char *name = archive_entry_pathname (entry);
  g_auto(GStrv) components = NULL;

  if (name == NULL || *name == '\0')
    return _("its name is empty or not valid");
  if (name[0] == '/')
    return _("it is an absolute path");
  components = g_strsplit (name, "/", -1);
  for (guint i = 0; components[i] != NULL; i++)
    if (strcmp (components[i], "..") == 0)
      return _("its path has a “..” component");
  if (archive_entry_hardlink (entry) != NULL || archive_entry_symlink (entry) != NULL)
    return _("it is a link");
  switch (archive_entry_filetype (entry))
    {
    case AE_IFREG:
    case AE_IFDIR:
      return NULL;
    case AE_IFLNK:
      return _("it is a link");
    case AE_IFCHR:
    case AE_IFBLK:
      return _("it is a device");
    case AE_IFIFO:
      return _("it is a FIFO");
    default:
      return _("it is not a regular file");
    }
}

/* Reads the current entry's data, refusing more than @max bytes. */
static GBytes *
read_small_entry (struct archive *archive,
                  const char     *path,
                  gsize           max,
                  GError        **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buffer[4096];
  la_ssize_t n;

  while ((n = archive_read_data (archive, buffer, sizeof buffer)) > 0)
    {
      if (data->len + (gsize) n > max)
        return NULL;
      g_byte_array_append (data, buffer, n);
    }
  if (n < 0)
    {
      set_archive_error (error, archive, path);
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

/* Moves to the next entry, which must be the regular file @name; returns its data (≤ @max). */
static GBytes *
read_named_entry (struct archive *archive,
                  const char     *path,
                  const char     *name,
                  gsize           max,
                  GError        **error)
{
  struct archive_entry *entry = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *refusal;
  GBytes *bytes;
  int status = archive_read_next_header (archive, &entry);

  if (status == ARCHIVE_EOF)
    {
      g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
                   _("The package %s has no %s"), path, name);
      return NULL;
    }
  if (status < ARCHIVE_WARN)
    {
      set_archive_error (error, archive, path);
      return NULL;
    }
  refusal = entry_refusal (entry);
  if (refusal == NULL && g_strcmp0 (archive_entry_pathname (entry), name) != 0)
    refusal = strcmp (name, MANIFEST_NAME) == 0 ? _("the package must begin with manifest.json")
                                                : _("manifest.sig must follow manifest.json");
  if (refusal == NULL && archive_entry_filetype (entry) != AE_IFREG)
    refusal = _("it is not a regular file");
  if (refusal != NULL)
    {
      set_refused_entry (error, path, archive_entry_pathname (entry), refusal);
      return NULL;
    }
  if ((archive_entry_size_is_set (entry) && archive_entry_size (entry) > (la_int64_t) max)
      || (bytes = read_small_entry (archive, path, max, &local_error)) == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
                     _("The package %s has a %s larger than %zu bytes"), path, name, max);
      return NULL;
    }
  return bytes;
}

/* Called on the tar entry of each payload (the archive is positioned at its data). */
typedef gboolean (*PayloadFunc) (struct archive         *archive,
                                 const FfPackagePayload *payload,
                                 gpointer                user_data,
                                 GError                **error);

static const FfPackagePayload *
find_payload_by_file (FfPackage  *package,
                      const char *file)
{
  for (guint i = 0; i < package->n_payloads; i++)
    if (strcmp (package->payloads[i].file, file) == 0)
      return &package->payloads[i];
  return NULL;
}

/* Checks every entry after the signature against @package's manifest; @func sees each payload. */
static gboolean
walk_payloads (struct archive *archive,
               FfPackage      *package,
               PayloadFunc     func,
               gpointer        user_data,
               GError        **error)
{
  gboolean seen[FF_PACKAGE_MAX_PAYLOADS] = { FALSE };
  gboolean seen_directory = FALSE;
  struct archive_entry *entry;
  int status;

  while ((status = archive_read_next_header (archive, &entry)) != ARCHIVE_EOF)
    {
      const char *name, *refusal;
      const FfPackagePayload *payload;
      guint index;

      if (status < ARCHIVE_WARN)
        {
          set_archive_error (error, archive, package->name);
          return FALSE;
        }
      name = archive_entry_pathname (entry);
      refusal = entry_refusal (entry);
      if (refusal == NULL && archive_entry_filetype (entry) == AE_IFDIR)
        {
          if (seen_directory || (strcmp (name, PAYLOAD_DIR) != 0 && strcmp (name, "payloads") != 0))
            refusal = _("the only directory a package may hold is payloads/, once");
          seen_directory = TRUE;
          if (refusal == NULL)
            continue;
        }
      payload = refusal == NULL ? find_payload_by_file (package, name) : NULL;
      if (refusal == NULL && payload == NULL)
        refusal = _("the manifest names no such payload");
      index = payload != NULL ? (guint) (payload - package->payloads) : 0;
      if (refusal == NULL && seen[index])
        refusal = _("it is in the package twice");
      if (refusal == NULL && archive_entry_size_is_set (entry)
          && archive_entry_size (entry) != payload->size)
        refusal = _("its size is not the one the manifest gives");
      if (refusal != NULL)
        {
          set_refused_entry (error, package->name, name, refusal);
          return FALSE;
        }
      seen[index] = TRUE;
      if (func != NULL && !func (archive, payload, user_data, error))
        return FALSE;
    }
  for (guint i = 0; i < package->n_payloads; i++)
    if (!seen[i])
      {
        g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
                     _("The package %s lacks the payload %s its manifest names"), package->name,
                     package->payloads[i].file);
        return FALSE;
      }
  return TRUE;
}

/* Opens the tar at @path; errors call it @name. */
static struct archive *
archive_open_for_reading (const char *path,
                          const char *name,
                          GError    **error)
{
  struct archive *archive = archive_read_new ();

  archive_read_support_format_tar (archive);
  if (archive_read_open_filename (archive, path, BLOCK_SIZE) != ARCHIVE_OK)
    {
      /* The archive's errno, not the thread's: a file that is no tar also fails here, and errno
       * then still holds whatever an earlier call left (ENOENT: "does not exist"). */
      if (archive_errno (archive) == ENOENT)
        g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_FAILED,
                     _("The package %s does not exist"), name);
      else
        set_archive_error (error, archive, name);
      archive_read_free (archive);
      return NULL;
    }
  return archive;
}

/* Reads the manifest and signature at the start of @archive. With @platform_key, verifies and
 * parses them into @package; otherwise they must be @package's manifest, byte for byte. */
static gboolean
read_manifest (struct archive *archive,
               FfPackage      *package,
               FfKey          *platform_key,
               GError        **error)
{
  g_autoptr(GBytes) manifest = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) local_error = NULL;

  manifest = read_named_entry (archive, package->name, MANIFEST_NAME,
                               FF_PACKAGE_MANIFEST_MAX_SIZE, error);
  if (manifest == NULL)
    return FALSE;
  signature = read_named_entry (archive, package->name, SIGNATURE_NAME, FF_SIGNATURE_SIZE, error);
  if (signature == NULL)
    return FALSE;
  if (platform_key == NULL)
    {
      if (g_bytes_equal (manifest, package->manifest_bytes))
        return TRUE;
      g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
                   _("The package %s changed since it was verified"), package->name);
      return FALSE;
    }
  if (!ff_key_verify (platform_key, manifest, signature, &local_error))
    {
      g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_SIGNATURE,
                   _("The package %s is not signed by the platform: %s"), package->name,
                   local_error->message);
      return FALSE;
    }
  if (!ff_package_parse_manifest (manifest, package, &local_error))
    {
      g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
                   _("The manifest of the package %s is not valid: %s"), package->name,
                   local_error->message);
      return FALSE;
    }
  package->manifest_bytes = g_steal_pointer (&manifest);
  return TRUE;
}

FfPackage *
ff_package_open (const char *path,
                 FfKey      *platform_key,
                 GError    **error)
{
  return ff_package_open_named (path, path, platform_key, error);
}

FfPackage *
ff_package_open_named (const char *path,
                       const char *name,
                       FfKey      *platform_key,
                       GError    **error)
{
  g_autoptr(FfPackage) package = g_new0 (FfPackage, 1);
  struct archive *archive;
  gboolean ok;

  g_return_val_if_fail (platform_key != NULL, NULL);

  package->path = g_strdup (path);
  package->name = g_strdup (name);
  archive = archive_open_for_reading (path, name, error);
  if (archive == NULL)
    return NULL;
  ok = read_manifest (archive, package, platform_key, error)
       && walk_payloads (archive, package, NULL, NULL, error);
  archive_read_free (archive);
  return ok ? g_steal_pointer (&package) : NULL;
}

const char *
ff_package_get_vendor (FfPackage *package)
{
  return package->vendor;
}

const char *
ff_package_get_model (FfPackage *package)
{
  return package->model;
}

const char *const *
ff_package_get_hardware_versions (FfPackage *package)
{
  return (const char *const *) package->hardware_versions;
}

const char *
ff_package_get_version (FfPackage *package)
{
  return package->version;
}

const char *
ff_package_get_notes (FfPackage *package)
{
  return package->notes;
}

GBytes *
ff_package_get_manifest_bytes (FfPackage *package)
{
  return package->manifest_bytes;
}

const FfPackagePayload *
ff_package_get_payloads (FfPackage *package,
                         guint     *n_payloads)
{
  *n_payloads = package->n_payloads;
  return package->payloads;
}

const FfPackagePayload *
ff_package_find_payload (FfPackage  *package,
                         const char *kind)
{
  for (guint i = 0; i < package->n_payloads; i++)
    if (strcmp (package->payloads[i].kind, kind) == 0)
      return &package->payloads[i];
  return NULL;
}

gboolean
ff_package_fits_hardware (FfPackage  *package,
                          const char *hardware_version)
{
  return hardware_version != NULL
         && g_strv_contains ((const char *const *) package->hardware_versions, hardware_version);
}

/* ---- extracting a payload ---- */

typedef struct
{
  const char             *package_name;     /* what errors call the package */
  const FfPackagePayload *wanted;
  FfPackageChunkFunc      func;
  gpointer                func_data;
} Extraction;

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         length)
{
  while (length > 0)
    {
      gssize n = write (fd, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= n;
    }
  return TRUE;
}

static char *
digest_hex (EVP_MD_CTX *ctx)
{
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  GString *hex = g_string_new (NULL);

  EVP_DigestFinal_ex (ctx, digest, &length);
  for (guint i = 0; i < length; i++)
    g_string_append_printf (hex, "%02x", digest[i]);
  return g_string_free (hex, FALSE);
}

void
ff_package_set_write_error (GError    **error,
                            const char *path,
                            int         saved_errno)
{
  g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_FAILED, _("Could not write %s: %s"),
               path, g_strerror (saved_errno));
}

/* Streams the wanted payload's data through the caller's function, checking its size and
 * digest. */
static gboolean
copy_verified (struct archive         *archive,
               const FfPackagePayload *payload,
               gpointer                user_data,
               GError                **error)
{
  Extraction *extraction = user_data;
  g_autofree guint8 *buffer = NULL;
  g_autofree char *actual = NULL;
  EVP_MD_CTX *ctx;
  gint64 total = 0;
  la_ssize_t n;

  if (payload != extraction->wanted)
    return TRUE;
  buffer = g_malloc (BLOCK_SIZE);
  ctx = EVP_MD_CTX_new ();
  EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL);
  while ((n = archive_read_data (archive, buffer, BLOCK_SIZE)) > 0)
    {
      EVP_DigestUpdate (ctx, buffer, n);
      total += n;
      if (total > payload->size)
        break;
      if (extraction->func != NULL && !extraction->func (buffer, n, extraction->func_data, error))
        {
          EVP_MD_CTX_free (ctx);
          return FALSE;
        }
    }
  actual = digest_hex (ctx);
  EVP_MD_CTX_free (ctx);
  if (n < 0)
    {
      set_archive_error (error, archive, extraction->package_name);
      return FALSE;
    }
  if (total != payload->size || strcmp (actual, payload->sha256) != 0)
    {
      g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_PAYLOAD,
                   _("The payload %s of the package %s does not match its manifest (its size or "
                     "SHA-256 differs)"), payload->file, extraction->package_name);
      return FALSE;
    }
  return TRUE;
}

gboolean
ff_package_read_payload (FfPackage         *package,
                         const char        *kind,
                         FfPackageChunkFunc func,
                         gpointer           user_data,
                         GError           **error)
{
  Extraction extraction = { package->name, ff_package_find_payload (package, kind), func,
                            user_data };
  struct archive *archive;
  gboolean ok;

  if (extraction.wanted == NULL)
    {
      g_set_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID,
                   _("The package %s has no %s payload"), package->name, kind);
      return FALSE;
    }
  archive = archive_open_for_reading (package->path, package->name, error);
  if (archive == NULL)
    return FALSE;
  /* The whole tar is checked again: a payload is only used from a package that is still
   * entirely valid. */
  ok = read_manifest (archive, package, NULL, error)
       && walk_payloads (archive, package, copy_verified, &extraction, error);
  archive_read_free (archive);
  return ok;
}

typedef struct
{
  int         fd;
  const char *path;
} FileSink;

static gboolean
write_to_file (const guint8 *data,
               gsize         length,
               gpointer      user_data,
               GError      **error)
{
  FileSink *sink = user_data;

  if (write_all (sink->fd, data, length))
    return TRUE;
  ff_package_set_write_error (error, sink->path, errno);
  return FALSE;
}

gboolean
ff_package_extract_payload (FfPackage  *package,
                            const char *kind,
                            const char *dest_path,
                            GError    **error)
{
  g_autofree char *temp_path = g_strconcat (dest_path, ".XXXXXX", NULL);
  FileSink sink = { -1, dest_path };
  gboolean ok;

  if (ff_package_find_payload (package, kind) == NULL)
    return ff_package_read_payload (package, kind, NULL, NULL, error);
  sink.fd = g_mkstemp_full (temp_path, O_WRONLY | O_CLOEXEC, 0644);
  if (sink.fd < 0)
    {
      ff_package_set_write_error (error, temp_path, errno);
      return FALSE;
    }
  ok = ff_package_read_payload (package, kind, write_to_file, &sink, error);
  if (ok && (fsync (sink.fd) != 0 || close (sink.fd) != 0
             || g_rename (temp_path, dest_path) != 0))
    {
      ff_package_set_write_error (error, dest_path, errno);
      g_unlink (temp_path);
      return FALSE;
    }
  if (!ok)
    {
      close (sink.fd);
      g_unlink (temp_path);
    }
  return ok;
}
