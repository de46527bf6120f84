/* FfAfterPage: the four signals after the upgrade against those before, and rollback on failure. */
#pragma once

#include <adwaita.h>

#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_AFTER_PAGE (ff_after_page_get_type ())
G_DECLARE_FINAL_TYPE (FfAfterPage, ff_after_page, FF, AFTER_PAGE, AdwBin)

FfWorkflow *ff_after_page_get_workflow (FfAfterPage *self);
void        ff_after_page_set_workflow (FfAfterPage *self,
                                        FfWorkflow  *workflow);

G_END_DECLS
