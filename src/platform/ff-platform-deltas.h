/* Delta patches on the platform: made from two stored images, kept only when smaller than the new
 * image, stored content-addressed beside the images and recorded in the database. */
#pragma once

#include "ff-platform-db.h"

G_BEGIN_DECLS

typedef enum
{
  FF_DELTA_MADE,          /* made, stored and recorded now */
  FF_DELTA_KNOWN,         /* recorded before: nothing was made */
  FF_DELTA_NOT_SMALLER,   /* no smaller than the new image: nothing is kept */
} FfDeltaOutcome;

/* The ffdelta1 patch for @old_image → @new_image, checked by applying it as a terminal or a meter
 * will. */
GBytes  *ff_platform_delta_make_checked (GBytes   *old_image,
                                         GBytes   *new_image,
                                         GError  **error);

/* Makes the delta from @from's image to @to's (both in the store) unless one is recorded. *@delta
 * is the record, NULL when FF_DELTA_NOT_SMALLER. */
gboolean ff_platform_delta_make (FfPlatformDb      *db,
                                 const char        *data_dir,
                                 const FfFirmware  *from,
                                 const FfFirmware  *to,
                                 gint64             now,
                                 FfDeltaOutcome    *outcome,
                                 FfFirmwareDelta  **delta,
                                 GError           **error);

G_END_DECLS
