/* The package a remote upgrade names (issue 15): the firmware's own, or a package derived from it
 * whose payloads are ffdelta1 patches of the images the terminal runs, made once, kept
 * content-addressed in the firmware store beside the images, and named only when smaller. */
#include "config.h"

#include "ff-platform-remote-delta.h"

#include "ff-document.h"
#include "ff-files.h"
#include "ff-platform-deltas.h"
#include "ff-platform-fault.h"
#include "ff-platform-firmware-store.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

gboolean
ff_platform_remote_link_versions (const FfTerminalLink *link,
                                  FfRemoteVersions     *versions)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root = NULL;

  if (link->state == NULL
      || (parser = ff_document_parse_object (link->state, &root, NULL)) == NULL
      || !json_object_has_member (root, "versions"))
    return FALSE;
  return ff_remote_versions_parse (root, "state", "versions", versions, NULL);
}

/* What the patch of one target payload is made from. */
typedef struct
{
  const FfPackagePayload *target;
  FfPackage              *source;      /* the package holding the installed image, or NULL */
  const char             *from_sha256; /* its SHA-256, or NULL */
} Source;

/* For each payload of @upgrade's package, the package of its terminal's vendor and model holding
 * the image the terminal runs (same kind, the installed version), from its packages. Two
 * different images of that kind and version make it unknown. */
static void
find_sources (const FfRemoteUpgrade *upgrade,
              Source                *sources,
              guint                  n,
              GError               **error)
{
  const FfTerminal *terminal = upgrade->terminal;
  GPtrArray *all = ff_package_cache_list_firmware (upgrade->packages, upgrade->db, error);
  gboolean ambiguous[FF_PACKAGE_MAX_PAYLOADS] = { FALSE };

  for (guint f = 0; all != NULL && f < all->len; f++)
    {
      FfFirmware *fw = g_ptr_array_index (all, f);
      FfPackage *candidate;

      if (fw->id == upgrade->firmware->id || !g_str_equal (fw->vendor, terminal->vendor)
          || !g_str_equal (fw->model, terminal->model))
        continue;
      /* A plain image or a package another key signed holds nothing a terminal runs from us. */
      candidate = ff_package_cache_open (upgrade->packages, fw->sha256, NULL);
      if (candidate == NULL)
        continue;
      for (guint i = 0; i < n; i++)
        {
          const char *installed = ff_remote_versions_get (upgrade->versions,
                                                          sources[i].target->kind);
          const FfPackagePayload *payload = ff_package_find_payload (candidate,
                                                                     sources[i].target->kind);

          if (installed == NULL || payload == NULL || payload->delta_from != NULL
              || !g_str_equal (payload->version, installed))
            continue;
          if (sources[i].from_sha256 != NULL)
            ambiguous[i] |= !g_str_equal (sources[i].from_sha256, payload->sha256);
          else
            {
              sources[i].source = candidate;
              sources[i].from_sha256 = payload->sha256;
            }
        }
    }
  for (guint i = 0; i < n; i++)
    if (ambiguous[i])
      sources[i] = (Source) { sources[i].target, NULL, NULL };
}

/* The derived package's key: the installed SHA-256 of each target payload, "-" for none. */
static char *
from_key (const Source *sources,
          guint         n)
{
  g_autoptr(GString) key = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (key, "%s%s", i > 0 ? "," : "",
                            sources[i].from_sha256 != NULL ? sources[i].from_sha256 : "-");
  return g_string_free (g_steal_pointer (&key), FALSE);
}

/* Extracts @kind of @package into @dir and loads it; the file is left for the caller to remove
 * with @dir. */
static GBytes *
extract (FfPackage   *package,
         const char  *kind,
         const char  *dir,
         const char  *prefix,
         GError     **error)
{
  g_autofree char *name = g_strconcat (prefix, kind, NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *contents = NULL;
  gsize length = 0;

  if (!ff_package_extract_payload (package, kind, path, error)
      || !g_file_get_contents (path, &contents, &length, error))
    return NULL;
  return g_bytes_new_take (contents, length);
}

/* Builds the derived package in @dir: each payload with a source a patch (when smaller than the
 * image), the rest whole; the manifest otherwise @package's. Its path, or NULL: with @error set on
 * a failure, without when no patch is smaller than its image (then there is nothing to derive). */
static char *
build_derived (FfKey       *platform_key,
               FfPackage   *package,
               Source      *sources,
               guint        n,
               const char  *dir,
               GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = g_build_filename (dir, "package.ffpkg", NULL);
  JsonObject *manifest = NULL;
  JsonArray *payloads = json_array_new ();
  gboolean patched = FALSE;

  parser = ff_document_parse_object (ff_package_get_manifest_bytes (package), &manifest, error);
  if (parser == NULL)
    return json_array_unref (payloads), NULL;
  for (guint i = 0; i < n; i++)
    {
      const FfPackagePayload *target = sources[i].target;
      g_autoptr(GBytes) new_image = extract (package, target->kind, dir, "new-", error);
      g_autoptr(GBytes) old_image = NULL;
      g_autoptr(GBytes) patch = NULL;
      g_autofree char *patch_path = NULL;
      JsonObject *entry = json_object_new ();

      json_array_add_object_element (payloads, entry);
      if (new_image == NULL)
        return json_array_unref (payloads), NULL;
      json_object_set_string_member (entry, "kind", target->kind);
      json_object_set_string_member (entry, "version", target->version);
      if (target->min_installed_version != NULL)
        json_object_set_string_member (entry, "min_installed_version",
                                       target->min_installed_version);
      if (sources[i].source != NULL)
        {
          old_image = extract (sources[i].source, target->kind, dir, "old-", error);
          if (old_image == NULL
              || (patch = ff_platform_delta_make_checked (old_image, new_image, error)) == NULL)
            return json_array_unref (payloads), NULL;
        }
      /* A patch no smaller than its image only costs the terminal the patching. */
      if (patch == NULL || g_bytes_get_size (patch) >= g_bytes_get_size (new_image))
        {
          g_ptr_array_add (paths, g_strdup_printf ("%s/new-%s", dir, target->kind));
          continue;
        }
      patch_path = g_strdup_printf ("%s/patch-%s", dir, target->kind);
      if (!g_file_set_contents (patch_path, g_bytes_get_data (patch, NULL),
                                (gssize) g_bytes_get_size (patch), error))
        return json_array_unref (payloads), NULL;
      json_object_set_string_member (entry, "delta_from", sources[i].from_sha256);
      g_ptr_array_add (paths, g_steal_pointer (&patch_path));
      patched = TRUE;
    }
  g_ptr_array_add (paths, NULL);
  json_object_set_array_member (manifest, "payloads", payloads);
  if (!patched)
    return NULL;
  if (!ff_package_build (out, platform_key, manifest, (const char *const *) paths->pdata, error))
    return NULL;
  return g_steal_pointer (&out);
}

/* Makes the derived package and stores it when smaller than the target package (@to_size bytes):
 * @made says which (sha256 NULL: not smaller). No database: it runs in a worker thread too. */
static gboolean
build_stored (FfPackageCache        *packages,
              gint64                 to_size,
              FfPackage             *package,
              Source                *sources,
              guint                  n,
              FfRemotePackageDelta **made,
              GError               **error)
{
  g_autoptr(FfRemotePackageDelta) delta = g_new0 (FfRemotePackageDelta, 1);
  g_autofree char *dir = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GError) local_error = NULL;
  GStatBuf info;
  gboolean ok;

  ff_platform_fault_delta_gate ();
  dir = g_dir_make_tmp ("ff-remote-delta-XXXXXX", error);
  if (dir == NULL)
    return FALSE;
  out = build_derived (ff_package_cache_get_platform_key (packages), package, sources, n, dir,
                       &local_error);
  /* Kept only when smaller: the full package is as good otherwise, and the record says so. */
  ok = out == NULL ? local_error == NULL
       : g_stat (out, &info) != 0 || info.st_size >= to_size
         || ff_firmware_store_add (ff_package_cache_get_data_dir (packages), out, &delta->sha256,
                                   &delta->size, &local_error);
  ff_remove_tree (dir);
  if (!ok)
    return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
  *made = g_steal_pointer (&delta);
  return TRUE;
}

/* What the command of @upgrade may be derived from: for each payload, the package holding the
 * image the terminal runs (its versions; NULL: nothing is known), from its packages. *@key is the
 * derived package's key, NULL when nothing is known (then the full package it is). */
static gboolean
plan (const FfRemoteUpgrade  *upgrade,
      Source                 *sources,
      guint                  *n,
      char                  **key,
      GError                **error)
{
  g_autoptr(GError) local_error = NULL;
  const FfPackagePayload *payloads;
  gboolean known = FALSE;

  *key = NULL;
  *n = 0;
  if (upgrade->versions == NULL)
    return TRUE;
  payloads = ff_package_get_payloads (upgrade->package, n);
  for (guint i = 0; i < *n; i++)
    sources[i] = (Source) { &payloads[i], NULL, NULL };
  find_sources (upgrade, sources, *n, &local_error);
  if (local_error != NULL)
    return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
  for (guint i = 0; i < *n; i++)
    known |= sources[i].from_sha256 != NULL;
  if (known)
    *key = from_key (sources, *n);
  return TRUE;
}

static void
no_delta (const FfFirmware *firmware,
          const char       *device_id,
          const char       *why)
{
  g_message (_("No delta package of %s %s %s for %s: %s; it gets the full package"),
             firmware->vendor, firmware->model, firmware->version, device_id, why);
}

/* The fields of a firmware record a job keeps. */
static FfFirmware *
copy_firmware (const FfFirmware *firmware)
{
  FfFirmware *copy = g_new0 (FfFirmware, 1);

  copy->vendor = g_strdup (firmware->vendor);
  copy->model = g_strdup (firmware->model);
  copy->version = g_strdup (firmware->version);
  copy->sha256 = g_strdup (firmware->sha256);
  copy->size = firmware->size;
  return copy;
}

gboolean
ff_platform_remote_choose_package (const FfRemoteUpgrade  *upgrade,
                                   gboolean                make,
                                   gint64                  now,
                                   char                  **sha256,
                                   gint64                 *size,
                                   gboolean               *delta,
                                   GError                **error)
{
  const FfFirmware *firmware = upgrade->firmware;
  const char *device_id = upgrade->terminal->device_id;
  g_autoptr(FfRemotePackageDelta) derived = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *key = NULL;
  Source sources[FF_PACKAGE_MAX_PAYLOADS] = { { 0 } };
  guint n = 0;

  *sha256 = g_strdup (firmware->sha256);
  *size = firmware->size;
  *delta = FALSE;
  if (!plan (upgrade, sources, &n, &key, error))
    return FALSE;
  if (key == NULL)
    return TRUE;
  if (!ff_platform_db_find_package_delta (upgrade->db, firmware->sha256, key, &derived, error))
    return FALSE;
  if (derived == NULL && !make)
    {
      no_delta (firmware, device_id, _("it is not made yet"));
      return TRUE;
    }
  if (derived == NULL
      && (!build_stored (upgrade->packages, firmware->size, upgrade->package, sources, n,
                         &derived, &local_error)
          || !ff_platform_db_insert_package_delta (upgrade->db, firmware->sha256, key, derived,
                                                   now, &local_error)))
    {
      no_delta (firmware, device_id, local_error->message);
      return TRUE;
    }
  if (derived->sha256 == NULL)
    return TRUE;
  g_free (*sha256);
  *sha256 = g_strdup (derived->sha256);
  *size = derived->size;
  *delta = TRUE;
  return TRUE;
}

/* Jobs */

struct _FfRemoteDeltaJob
{
  FfPackageCache       *packages;     /* holds package and the sources' packages */
  FfFirmware           *firmware;
  FfPackage            *package;
  Source                sources[FF_PACKAGE_MAX_PAYLOADS];
  guint                 n;
  char                 *key;
  char                 *id;
  char                 *device_id;    /* the first terminal it is for, for the log */
  FfRemotePackageDelta *made;
  GError               *error;
};

void
ff_remote_delta_job_free (FfRemoteDeltaJob *job)
{
  if (job == NULL)
    return;
  g_clear_pointer (&job->packages, ff_package_cache_unref);
  g_clear_pointer (&job->firmware, ff_firmware_free);
  g_free (job->key);
  g_free (job->id);
  g_free (job->device_id);
  g_clear_pointer (&job->made, ff_remote_package_delta_free);
  g_clear_error (&job->error);
  g_free (job);
}

gboolean
ff_platform_remote_delta_job_new (const FfRemoteUpgrade  *upgrade,
                                  FfRemoteDeltaJob      **job,
                                  GError                **error)
{
  const FfFirmware *firmware = upgrade->firmware;
  g_autoptr(FfRemoteDeltaJob) self = g_new0 (FfRemoteDeltaJob, 1);
  g_autoptr(FfRemotePackageDelta) derived = NULL;

  *job = NULL;
  self->package = upgrade->package;
  if (!plan (upgrade, self->sources, &self->n, &self->key, error))
    return FALSE;
  if (self->key == NULL)
    return TRUE;
  if (!ff_platform_db_find_package_delta (upgrade->db, firmware->sha256, self->key, &derived,
                                          error))
    return FALSE;
  if (derived != NULL)
    return TRUE;
  self->packages = ff_package_cache_ref (upgrade->packages);
  self->firmware = copy_firmware (firmware);
  self->id = g_strconcat (firmware->sha256, "/", self->key, NULL);
  self->device_id = g_strdup (upgrade->terminal->device_id);
  *job = g_steal_pointer (&self);
  return TRUE;
}

const char *
ff_remote_delta_job_get_id (const FfRemoteDeltaJob *job)
{
  return job->id;
}

void
ff_remote_delta_job_run (FfRemoteDeltaJob *job)
{
  build_stored (job->packages, job->firmware->size, job->package, job->sources, job->n,
                &job->made, &job->error);
}

gboolean
ff_remote_delta_job_record (FfPlatformDb     *db,
                            FfRemoteDeltaJob *job,
                            gint64            now,
                            GError          **error)
{
  if (job->error != NULL)
    {
      no_delta (job->firmware, job->device_id, job->error->message);
      g_propagate_error (error, g_steal_pointer (&job->error));
      return FALSE;
    }
  if (!ff_platform_db_insert_package_delta (db, job->firmware->sha256, job->key, job->made, now,
                                            error))
    return FALSE;
  if (job->made->sha256 != NULL)
    g_message ("Delta package %s of %s %s %s made: %" G_GINT64_FORMAT " bytes", job->made->sha256,
               job->firmware->vendor, job->firmware->model, job->firmware->version,
               job->made->size);
  else
    g_message ("No delta package of %s %s %s is smaller than the full package",
               job->firmware->vendor, job->firmware->model, job->firmware->version);
  return TRUE;
}
