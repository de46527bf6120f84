/* FfTaskPage: the day's terminals, nearest first, with their status and distance. */
#pragma once

#include <adwaita.h>

#include "ff-context.h"

G_BEGIN_DECLS

#define FF_TYPE_TASK_PAGE (ff_task_page_get_type ())
G_DECLARE_FINAL_TYPE (FfTaskPage, ff_task_page, FF, TASK_PAGE, AdwBin)

void        ff_task_page_set_context        (FfTaskPage *self,
                                             FfContext  *context);
void        ff_task_page_refresh            (FfTaskPage *self);
const char *ff_task_page_get_next_device_id (FfTaskPage *self);

G_END_DECLS
