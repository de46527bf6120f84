/* What the package's reader (ff-package.c) and its builder (ff-package-build.c) share. */
#pragma once

#include "ff-package.h"

G_BEGIN_DECLS

#define MANIFEST_NAME "manifest.json"
#define SIGNATURE_NAME "manifest.sig"
#define PAYLOAD_DIR "payloads/"
#define BLOCK_SIZE (64 * 1024)

struct _FfPackage
{
  char             *path;
  char             *name;             /* what its errors call it: @path, unless told otherwise */
  GBytes           *manifest_bytes;
  char             *vendor;
  char             *model;
  char            **hardware_versions;
  char             *version;
  char             *notes;
  FfPackagePayload  payloads[FF_PACKAGE_MAX_PAYLOADS];
  guint             n_payloads;
};

/* The manifest's members, in the order the builder writes them. */
extern const char *const ff_package_manifest_members[];

gboolean ff_package_parse_manifest  (GBytes      *bytes,
                                     FfPackage   *package,
                                     GError     **error);
void     ff_package_set_write_error (GError     **error,
                                     const char  *path,
                                     int          saved_errno);

G_END_DECLS
