/* Writing an image into a slot (a block device or, simulated, a file) with read-back verification,
 * and the slot's digest file beside it (SLOT.sha256) that the bootloader checks before booting it. */
#pragma once

#include "ff-package.h"

G_BEGIN_DECLS

/* Writes @image_path into @slot_path in place, fsyncs, reads the slot back and compares its
 * SHA-256 with @expected_sha256 (the image's), then writes SLOT.sha256. A failure leaves the
 * slot's old digest file, which no longer matches a torn slot. */
gboolean ff_agent_slot_write       (const char  *slot_path,
                                    const char  *image_path,
                                    const char  *expected_sha256,
                                    GError     **error);
/* The same, the image streamed from the payload of @kind in @package (ff_package_read_payload:
 * its size and SHA-256 checked too), without a copy of it on the data partition. */
gboolean ff_agent_slot_write_payload (const char  *slot_path,
                                      FfPackage   *package,
                                      const char  *kind,
                                      const char  *expected_sha256,
                                      GError     **error);
/* TRUE when the slot's bytes, read back, have @expected_sha256; SLOT.sha256 is then written
 * unless it says so already. FALSE with @error otherwise (nothing is changed). */
gboolean ff_agent_slot_holds       (const char  *slot_path,
                                    const char  *expected_sha256,
                                    GError     **error);
/* The slot's SHA-256 computed from its bytes. */
char    *ff_agent_slot_sha256      (const char  *slot_path,
                                    GError     **error);

G_END_DECLS
