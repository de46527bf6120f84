/* Simulated kernel and rootfs images of a networked terminal's slots: one header line that names
 * the image and guards its body (size and SHA-256), so the simulated bootloader sees a torn or
 * corrupted slot instead of booting it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char     *kind;     /* "kernel" or "rootfs" */
  char     *version;
  gboolean  healthy;  /* FALSE: the system boots but fails its health check (health=fails) */
} FfSimImageInfo;

/* An image of `kind` and `version` whose body is `body_size` pseudo-random bytes (the same for the
 * same arguments): "FFSIM-IMAGE kind=K version=V size=N health=ok|fails sha256=HEX\n" + body,
 * HEX the SHA-256 of the header up to " sha256=" followed by the body. */
GBytes  *ff_sim_image_make       (const char     *kind,
                                  const char     *version,
                                  gsize           body_size,
                                  gboolean        healthy,
                                  GError        **error);
/* Reads the slot file at `path` and checks its header and body (FF_SIM_ERROR_SLOT: missing, no
 * header, torn — shorter or longer than its header says —, or a SHA-256 that differs). */
gboolean ff_sim_image_inspect    (const char     *path,
                                  FfSimImageInfo *info,
                                  GError        **error);
void     ff_sim_image_info_clear (FfSimImageInfo *info);
/* A version of an image or a program: 1 to 64 letters, digits and . _ - + ~ (FF_SIM_ERROR_DEVICE). */
gboolean ff_sim_image_check_version (const char  *version,
                                     GError     **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FfSimImageInfo, ff_sim_image_info_clear)

G_END_DECLS
