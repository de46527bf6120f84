/* FfBeforePage: the identity check, the terminal's running version against the target, and its
 * four signals before, as the workflow read them. */
#pragma once

#include <adwaita.h>

#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_BEFORE_PAGE (ff_before_page_get_type ())
G_DECLARE_FINAL_TYPE (FfBeforePage, ff_before_page, FF, BEFORE_PAGE, AdwBin)

FfWorkflow *ff_before_page_get_workflow (FfBeforePage *self);
void        ff_before_page_set_workflow (FfBeforePage *self,
                                         FfWorkflow   *workflow);

G_END_DECLS
