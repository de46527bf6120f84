/* FfWorkflowLog: the lines the workflow records for the report, for some steps, as they come. */
#pragma once

#include <adwaita.h>

#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_WORKFLOW_LOG (ff_workflow_log_get_type ())
G_DECLARE_FINAL_TYPE (FfWorkflowLog, ff_workflow_log, FF, WORKFLOW_LOG, AdwBin)

FfWorkflow *ff_workflow_log_get_workflow (FfWorkflowLog *self);
void        ff_workflow_log_set_workflow (FfWorkflowLog *self,
                                          FfWorkflow    *workflow);
void        ff_workflow_log_set_steps    (FfWorkflowLog *self,
                                          const char    *steps);

G_END_DECLS
