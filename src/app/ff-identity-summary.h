/* FfIdentitySummary: the identity check of a visit — device ID read against the task, and the GPS
 * fix against the recorded position — as the workflow read it. */
#pragma once

#include <adwaita.h>

#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_IDENTITY_SUMMARY (ff_identity_summary_get_type ())
G_DECLARE_FINAL_TYPE (FfIdentitySummary, ff_identity_summary, FF, IDENTITY_SUMMARY, AdwBin)

FfWorkflow *ff_identity_summary_get_workflow (FfIdentitySummary *self);
void        ff_identity_summary_set_workflow (FfIdentitySummary *self,
                                              FfWorkflow        *workflow);

G_END_DECLS
