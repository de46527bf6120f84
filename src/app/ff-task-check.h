/* What the tablet holds of a stored task, checked again: its signature and its firmware files. */
#pragma once

#include <gio/gio.h>

#include "ff-tablet.h"

G_BEGIN_DECLS

typedef enum
{
  FF_FIRMWARE_VERIFIED,   /* on the tablet and matching its SHA-256 */
  FF_FIRMWARE_MISSING,    /* not (or only partly) downloaded */
  FF_FIRMWARE_DAMAGED,    /* on the tablet, but no longer matching its SHA-256 */
} FfFirmwareVerdict;

typedef struct
{
  char              *version;
  char              *from_version;      /* a delta patch's old version; NULL for an image */
  gint64             size;
  gint64             bytes_on_tablet;   /* the whole size once downloaded */
  FfFirmwareVerdict  verdict;
} FfFirmwareCheck;

typedef struct
{
  char      *task_id;
  gboolean   signature_valid;
  char      *signature_problem;   /* why the signature does not hold, NULL when it does */
  GPtrArray *firmware;            /* FfFirmwareCheck *, in the task's order, each file once:
                                   * images and delta patches */
} FfTaskCheck;

void ff_task_check_free (FfTaskCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTaskCheck, ff_task_check_free)

/* Checks @task_id as stored on @tablet in a worker thread: the signature against the pinned
 * platform key, each firmware file (target, previous and delta patch) against its SHA-256. */
void         ff_task_check_async  (FfTablet            *tablet,
                                   const char          *task_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
FfTaskCheck *ff_task_check_finish (GAsyncResult        *result,
                                   GError             **error);

G_END_DECLS
