/* FfPushPage: the firmware transfer — one confirm button, then bytes, percentage, speed and time
 * left. */
#pragma once

#include <adwaita.h>

#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_PUSH_PAGE (ff_push_page_get_type ())
G_DECLARE_FINAL_TYPE (FfPushPage, ff_push_page, FF, PUSH_PAGE, AdwBin)

FfWorkflow *ff_push_page_get_workflow (FfPushPage *self);
void        ff_push_page_set_workflow (FfPushPage *self,
                                       FfWorkflow *workflow);

G_END_DECLS
