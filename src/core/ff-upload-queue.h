/* Delivers the queued reports to the platform: each until the platform has it, retrying a lost link
 * with back-off, never dropping or repeating one. */
#pragma once

#include "ff-store.h"
#include "ff-sync.h"

G_BEGIN_DECLS

#define FF_TYPE_UPLOAD_QUEUE (ff_upload_queue_get_type ())
G_DECLARE_FINAL_TYPE (FfUploadQueue, ff_upload_queue, FF, UPLOAD_QUEUE, GObject)

/* Properties: "pending" (guint, reports not yet delivered, as of the last flush), "delivered"
 * (guint, in this flush).
 * Signal "report-failed" (const char *report_id, const char *message): the platform refused one;
 * it stays queued with the reason. */
FfUploadQueue *ff_upload_queue_new          (FfStore             *store,
                                             FfSync              *sync);
guint          ff_upload_queue_get_pending  (FfUploadQueue       *self);

/* Tries every pending report once in order (a lost link or a failing platform is retried
 * @max_attempts times with doubling pauses from @first_pause_ms). Only a report the platform
 * refuses (4xx) is recorded with the reason and counts as an attempt of that report. Completes
 * with an error, leaving the rest queued as it was, when the platform could not be reached, is not
 * the pinned one (FF_SYNC_ERROR_CERTIFICATE), or no longer accepts the session
 * (FF_SYNC_ERROR_UNAUTHORIZED: log in again); what was delivered before stays delivered. */
void           ff_upload_queue_flush_async  (FfUploadQueue       *self,
                                             guint                max_attempts,
                                             guint                first_pause_ms,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       ff_upload_queue_flush_finish (FfUploadQueue       *self,
                                             GAsyncResult        *result,
                                             GError             **error);

G_END_DECLS
