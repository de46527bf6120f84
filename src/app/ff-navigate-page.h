/* FfNavigatePage: the way to the next terminal — distance and bearing from the GPS fix. */
#pragma once

#include <adwaita.h>

#include "ff-gps-source.h"
#include "ff-task.h"

G_BEGIN_DECLS

#define FF_TYPE_NAVIGATE_PAGE (ff_navigate_page_get_type ())
G_DECLARE_FINAL_TYPE (FfNavigatePage, ff_navigate_page, FF, NAVIGATE_PAGE, AdwBin)

FfGpsSource *ff_navigate_page_get_gps    (FfNavigatePage   *self);
void         ff_navigate_page_set_gps    (FfNavigatePage   *self,
                                          FfGpsSource      *gps);
void         ff_navigate_page_set_target (FfNavigatePage   *self,
                                          const FfTaskItem *item);
const char  *ff_navigate_page_get_target_device_id (FfNavigatePage *self);
void         ff_navigate_page_set_training (FfNavigatePage *self,
                                            gboolean        training);
/* Only in builds with libshumate (HAVE_SHUMATE): shows a map drawn from the tiles under @path. */
void         ff_navigate_page_set_tile_directory (FfNavigatePage *self,
                                                  const char     *path);

G_END_DECLS
