/* FfSyncPage: tasks and firmware being fetched from the platform, with their verdicts. */
#pragma once

#include <adwaita.h>

#include "ff-context.h"

G_BEGIN_DECLS

#define FF_TYPE_SYNC_PAGE (ff_sync_page_get_type ())
G_DECLARE_FINAL_TYPE (FfSyncPage, ff_sync_page, FF, SYNC_PAGE, AdwBin)

void ff_sync_page_set_context (FfSyncPage *self,
                               FfContext  *context);

G_END_DECLS
