/* ff_workflow_watch: moves a page's handlers from the workflow it showed to the next one. */
#pragma once

#include <glib-object.h>

#include "ff-workflow.h"

G_BEGIN_DECLS

/* One signal of the workflow and the page's handler for it (called with the page first). */
typedef struct
{
  const char *signal;
  GCallback   handler;
} FfWorkflowWatch;

gboolean ff_workflow_watch (gpointer               page,
                            FfWorkflow           **slot,
                            FfWorkflow            *workflow,
                            const FfWorkflowWatch *watches,
                            gsize                  n_watches);

G_END_DECLS
