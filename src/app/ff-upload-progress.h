/* How a page runs the tablet's upload queue and words its progress: the same for Sync and the
 * queue's Upload Now. */
#pragma once

#include "ff-upload-queue.h"

G_BEGIN_DECLS

/* A lost link is tried this often, with pauses doubling from the first. */
#define FF_UPLOAD_ATTEMPTS 4
#define FF_UPLOAD_FIRST_PAUSE_MS 500

char *ff_upload_progress_describe (FfUploadQueue *queue,
                                   double        *fraction);
char *ff_upload_progress_refusal  (const char    *report_id,
                                   const char    *message);

G_END_DECLS
