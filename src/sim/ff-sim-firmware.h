/* Demo firmware images: a small key-file header with the version marker, then a checked payload. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *vendor;
  char *model;
  char *version;  /* what a terminal running the image reports in 0x8005 */
} FfSimFirmwareInfo;

/* A demo image of exactly `size` bytes (see docs/formats.md, "Demo firmware images"). The payload
 * is pseudo-random but the same for the same arguments. Fails when size cannot hold the header. */
GBytes  *ff_sim_firmware_make      (const char        *vendor,
                                    const char        *model,
                                    const char        *version,
                                    gsize              size,
                                    GError           **error);
/* Reads the header and checks the payload's size and CRC-32 (FF_SIM_ERROR_FIRMWARE if not). */
gboolean ff_sim_firmware_inspect   (GBytes            *image,
                                    FfSimFirmwareInfo *info,
                                    GError           **error);
void     ff_sim_firmware_info_clear (FfSimFirmwareInfo *info);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FfSimFirmwareInfo, ff_sim_firmware_info_clear)

G_END_DECLS
