/* Reads the tablet store's report list in a worker thread: the store is thread-safe, and sqlite
 * calls must not stall the main loop. */
#include "config.h"

#include "ff-store-reader.h"

static void
list_reports_in_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *reports = ff_store_list_reports (FF_STORE (task_data), FALSE, &error);

  if (reports == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reports, (GDestroyNotify) g_ptr_array_unref);
}

/* All reports, oldest first (FfStoredReport *), uploaded or not. */
void
ff_store_reader_list_reports_async (FfStore             *store,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FF_IS_STORE (store));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ff_store_reader_list_reports_async);
  g_task_set_task_data (task, g_object_ref (store), g_object_unref);
  g_task_run_in_thread (task, list_reports_in_thread);
}

GPtrArray *
ff_store_reader_list_reports_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
