/* The .ffpkg package of a networked terminal's upgrade: a tar (read and written with libarchive)
 * holding a manifest, its Ed25519 signature by the platform, and the payloads it names. */
#pragma once

#include "ff-crypto.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define FF_PACKAGE_ERROR (ff_package_error_quark ())

typedef enum
{
  FF_PACKAGE_ERROR_FAILED,         /* reading or writing failed */
  FF_PACKAGE_ERROR_INVALID,        /* not a package, a refused entry, an invalid manifest */
  FF_PACKAGE_ERROR_SIGNATURE,      /* the manifest's signature does not verify */
  FF_PACKAGE_ERROR_PAYLOAD,        /* a payload's size or SHA-256 differs from the manifest */
} FfPackageError;

#define FF_PACKAGE_MANIFEST_MAX_SIZE (64 * 1024)
#define FF_PACKAGE_MAX_PAYLOADS 4

GQuark ff_package_error_quark (void);

/* The payload kinds: "kernel", "rootfs", "main-program", "updater" (networked terminals) and
 * "meter-app" (a smart meter's app image: the manifest's model names the app, docs/meters.md). */
gboolean ff_package_kind_is_valid (const char *kind);

typedef struct
{
  char   *kind;
  char   *file;                    /* "payloads/NAME" */
  char   *version;
  gint64  size;
  char   *sha256;
  char   *min_installed_version;   /* NULL: any installed version */
  char   *delta_from;              /* NULL, or the SHA-256 of the installed image an ffdelta1 patches */
} FfPackagePayload;

typedef struct _FfPackage FfPackage;

/* Reads the manifest and its signature, verifies both with @platform_key, and checks every entry
 * of the tar (names, types, no duplicates, no entry the manifest does not name, each payload
 * present with the size the manifest says). Nothing is extracted. */
FfPackage              *ff_package_open                (const char       *path,
                                                        FfKey            *platform_key,
                                                        GError          **error);
/* As ff_package_open(), its errors calling it @name instead of naming @path: a file the caller
 * only holds for someone else (an upload in a temporary file), whose path is no one's business. */
FfPackage              *ff_package_open_named          (const char       *path,
                                                        const char       *name,
                                                        FfKey            *platform_key,
                                                        GError          **error);
void                    ff_package_free                (FfPackage        *package);

const char             *ff_package_get_vendor          (FfPackage        *package);
const char             *ff_package_get_model           (FfPackage        *package);
const char *const      *ff_package_get_hardware_versions (FfPackage      *package);
const char             *ff_package_get_version         (FfPackage        *package);
/* NULL when the manifest has none. */
const char             *ff_package_get_notes           (FfPackage        *package);
/* The manifest's exact bytes (the signature covers these). */
GBytes                 *ff_package_get_manifest_bytes  (FfPackage        *package);
const FfPackagePayload *ff_package_get_payloads        (FfPackage        *package,
                                                        guint            *n_payloads);
/* NULL when the package has no payload of @kind. */
const FfPackagePayload *ff_package_find_payload        (FfPackage        *package,
                                                        const char       *kind);
gboolean                ff_package_fits_hardware       (FfPackage        *package,
                                                        const char       *hardware_version);

/* Called with each piece of a payload's bytes, in order; FALSE with @error stops the reading. */
typedef gboolean (*FfPackageChunkFunc)                 (const guint8     *data,
                                                        gsize             length,
                                                        gpointer          user_data,
                                                        GError          **error);

/* Streams the payload of @kind through @func (NULL: the payload is only checked), verifying its
 * size and SHA-256 on the way; the manifest is read again and must be the one ff_package_open()
 * verified, and the whole tar is checked again. @func sees the bytes before the digest is known:
 * what it made of them may be used only when this returns TRUE (a mismatch is
 * FF_PACKAGE_ERROR_PAYLOAD). */
gboolean                ff_package_read_payload        (FfPackage        *package,
                                                        const char       *kind,
                                                        FfPackageChunkFunc func,
                                                        gpointer          user_data,
                                                        GError          **error);
/* Streams the payload of @kind to @dest_path (temp file beside it, fsync, rename), verifying its
 * size and SHA-256 on the way; on any mismatch nothing is left at @dest_path or beside it. The
 * manifest is read again and must be the one ff_package_open() verified. */
gboolean                ff_package_extract_payload     (FfPackage        *package,
                                                        const char       *kind,
                                                        const char       *dest_path,
                                                        GError          **error);

/* Writes a package to @out_path (temp file beside it, fsync, rename). @manifest has the members of
 * a manifest except that its "payloads" objects carry only "kind", "version" and optionally
 * "min_installed_version" and "delta_from"; @payload_paths (NULL-terminated) names the file of each,
 * in the same order. The payloads' "file", "size" and "sha256" are computed; the manifest is checked
 * as ff_package_open() checks it, and signed with @platform_key. */
gboolean                ff_package_build               (const char       *out_path,
                                                        FfKey            *platform_key,
                                                        JsonObject       *manifest,
                                                        const char *const *payload_paths,
                                                        GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfPackage, ff_package_free)

G_END_DECLS
