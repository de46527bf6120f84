/* ff_workflow_watch: the one way a page follows the workflow it presents, so that no page keeps
 * listening to the workflow of the terminal before. */
#include "config.h"

#include "ff-workflow-watch.h"

/* Disconnects @page from the workflow in *@slot, stores @workflow there and connects each of
 * @watches to it, swapped so each handler receives @page. Returns FALSE, touching nothing, when
 * *@slot already holds @workflow. */
gboolean
ff_workflow_watch (gpointer               page,
                   FfWorkflow           **slot,
                   FfWorkflow            *workflow,
                   const FfWorkflowWatch *watches,
                   gsize                  n_watches)
{
  g_return_val_if_fail (G_IS_OBJECT (page), FALSE);
  g_return_val_if_fail (workflow == NULL || FF_IS_WORKFLOW (workflow), FALSE);

  if (*slot == workflow)
    return FALSE;

  if (*slot != NULL)
    g_signal_handlers_disconnect_by_data (*slot, page);
  g_set_object (slot, workflow);

  for (gsize i = 0; workflow != NULL && i < n_watches; i++)
    g_signal_connect_object (workflow, watches[i].signal, watches[i].handler, page,
                             G_CONNECT_SWAPPED);
  return TRUE;
}
