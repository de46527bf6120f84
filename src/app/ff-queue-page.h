/* FfQueuePage: reports waiting to upload and those uploaded. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FF_TYPE_QUEUE_PAGE (ff_queue_page_get_type ())
G_DECLARE_FINAL_TYPE (FfQueuePage, ff_queue_page, FF, QUEUE_PAGE, AdwBin)

G_END_DECLS
