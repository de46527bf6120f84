/* FfQueuePage: reports waiting to upload and those uploaded. */
#pragma once

#include <adwaita.h>

#include "ff-context.h"

G_BEGIN_DECLS

#define FF_TYPE_QUEUE_PAGE (ff_queue_page_get_type ())
G_DECLARE_FINAL_TYPE (FfQueuePage, ff_queue_page, FF, QUEUE_PAGE, AdwBin)

void ff_queue_page_set_context (FfQueuePage *self,
                                FfContext   *context);
void ff_queue_page_refresh     (FfQueuePage *self);

G_END_DECLS
