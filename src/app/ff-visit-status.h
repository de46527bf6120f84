/* The status of each terminal's visit in one task, as the day's list shows it. */
#pragma once

#include <gio/gio.h>

#include "ff-store.h"
#include "ff-task.h"

G_BEGIN_DECLS

typedef enum
{
  FF_VISIT_TO_DO,
  FF_VISIT_IN_PROGRESS,
  FF_VISIT_WAITING,      /* stopped where the technician decides how it goes on */
  FF_VISIT_DONE,
  FF_VISIT_FAILED,
  FF_VISIT_SKIPPED,
  FF_VISIT_WITHDRAWN,    /* not started, and the platform withdrew the task: not to be done */
} FfVisitStatus;

const char *ff_visit_status_describe    (FfVisitStatus        status);
gboolean    ff_visit_status_is_finished (FfVisitStatus        status);

/* Reads the status of every terminal of @task from @store in a worker thread (the task's ID and
 * device IDs are copied in). The result maps each device ID to its FfVisitStatus; @task_withdrawn
 * says whether the platform withdrew the task. */
void        ff_visit_status_read_async  (FfStore             *store,
                                         const FfTask        *task,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
GHashTable *ff_visit_status_read_finish (GAsyncResult        *result,
                                         gboolean            *task_withdrawn,
                                         GError             **error);

G_END_DECLS
