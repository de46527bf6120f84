/* FfConnectPage: cable hint and connection progress, then the identity check against the task. */
#pragma once

#include <adwaita.h>

#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_CONNECT_PAGE (ff_connect_page_get_type ())
G_DECLARE_FINAL_TYPE (FfConnectPage, ff_connect_page, FF, CONNECT_PAGE, AdwBin)

FfWorkflow *ff_connect_page_get_workflow (FfConnectPage *self);
void        ff_connect_page_set_workflow (FfConnectPage *self,
                                          FfWorkflow    *workflow);

G_END_DECLS
