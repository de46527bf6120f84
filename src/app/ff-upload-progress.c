/* How a page words the upload queue's progress: reports delivered in this run against those still
 * waiting (a refused report keeps waiting, so the bar may end short of full). */
#include "config.h"

#include "ff-upload-progress.h"

#include <glib/gi18n-lib.h>

/* The text for people, and the share delivered in *@fraction. */
char *
ff_upload_progress_describe (FfUploadQueue *queue,
                             double        *fraction)
{
  guint delivered, pending;

  g_return_val_if_fail (FF_IS_UPLOAD_QUEUE (queue), NULL);

  g_object_get (queue, "delivered", &delivered, "pending", &pending, NULL);
  *fraction = delivered + pending > 0 ? (double) delivered / (delivered + pending) : 1.0;
  /* Translators: reports uploaded in this run, and reports still waiting. */
  return g_strdup_printf (_("%u delivered, %u still waiting"), delivered, pending);
}

char *
ff_upload_progress_refusal (const char *report_id,
                            const char *message)
{
  /* Translators: a report the platform refused, and its reason. */
  return g_strdup_printf (_("Report %s refused: %s"), report_id, message);
}
