/* FfBeforePage: the terminal's running version against the target, and its four signals before. */
#pragma once

#include <adwaita.h>

#include "ff-snapshot.h"

G_BEGIN_DECLS

#define FF_TYPE_BEFORE_PAGE (ff_before_page_get_type ())
G_DECLARE_FINAL_TYPE (FfBeforePage, ff_before_page, FF, BEFORE_PAGE, AdwBin)

void ff_before_page_show          (FfBeforePage     *self,
                                  const char       *running_version,
                                  const char       *target_version,
                                  const FfSnapshot *snapshot);
void ff_before_page_show_reading  (FfBeforePage     *self,
                                  const char       *message);

G_END_DECLS
