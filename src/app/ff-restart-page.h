/* FfRestartPage: the terminal's reboot: countdown, reconnect attempts and the version it comes back
 * with. */
#pragma once

#include <adwaita.h>

#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_RESTART_PAGE (ff_restart_page_get_type ())
G_DECLARE_FINAL_TYPE (FfRestartPage, ff_restart_page, FF, RESTART_PAGE, AdwBin)

FfWorkflow *ff_restart_page_get_workflow (FfRestartPage *self);
void        ff_restart_page_set_workflow (FfRestartPage *self,
                                         FfWorkflow *workflow);

G_END_DECLS
