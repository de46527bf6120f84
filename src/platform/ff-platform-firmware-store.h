/* The content-addressed firmware store: DATA/firmware/ab/cdef… by SHA-256, written atomically:
 * the images and the delta patches between them. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FF_FIRMWARE_MAX_SIZE ((gsize) 256 * 1024 * 1024)

/* Where the image with @sha256 lives (it may not exist). @sha256 must be valid. */
char     *ff_firmware_store_path (const char  *data_dir,
                                  const char  *sha256);
/* Copies @source into the store (once per digest) and returns its digest and size. */
gboolean  ff_firmware_store_add  (const char  *data_dir,
                                  const char  *source,
                                  char       **sha256,
                                  gint64      *size,
                                  GError     **error);

/* Stores @contents (a delta patch) under its digest, once per digest. */
gboolean  ff_firmware_store_add_bytes (const char  *data_dir,
                                       GBytes      *contents,
                                       char       **sha256,
                                       GError     **error);
/* The stored file @sha256, checked against its name. */
GBytes   *ff_firmware_store_load      (const char  *data_dir,
                                       const char  *sha256,
                                       GError     **error);

G_END_DECLS
