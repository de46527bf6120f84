/* FfTraining: training mode — simulated terminals in-process, a simulated GPS, a bundled task with
 * demo firmware, and a throwaway store; no platform, network or hardware. */
#pragma once

#include <gio/gio.h>

#include "ff-gps-simulated.h"
#include "ff-sim-fleet.h"
#include "ff-store.h"
#include "ff-task.h"
#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_TRAINING (ff_training_get_type ())
G_DECLARE_FINAL_TYPE (FfTraining, ff_training, FF, TRAINING, GObject)

/* The scenario cards a trainer can deal: (name shown, sim scenario words). */
typedef struct
{
  const char *title;
  const char *scenario;
} FfTrainingCard;

const FfTrainingCard *ff_training_get_cards        (guint         *n_cards);

/* The training area's map tiles ({z}/{x}/{y}.png, ff-training-area.h): installed with the app, or
 * where the build rendered them. */
char                 *ff_training_get_tile_directory (void);

/* The size of the training task's new firmware: big enough to watch the progress, small enough not
 * to bore a trainee. */
#define FF_TRAINING_IMAGE_SIZE (256 * 1024)
/* The supervisor the training task names, and the PIN a trainer gives out for overrides. */
#define FF_TRAINING_SUPERVISOR "Li Na"
#define FF_TRAINING_SUPERVISOR_PIN "12345678"

/* @scenario (sim scenario words, e.g. "checksum-error segment=3", or NULL) is dealt to the second
 * terminal of the task; the first one is always healthy. */
void            ff_training_new_async        (const char          *scenario,
                                              gsize                image_size,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
FfTraining     *ff_training_new_finish       (GAsyncResult        *result,
                                              GError             **error);

/* The simulated terminals run in a thread of their own; these calls are made from the main context
 * the session was made in, and the ones that reach the terminals wait for that thread to answer.
 * Signal "terminal-log" (const char *line): every line of every terminal (see ff-sim-terminal.h),
 * emitted in that main context. The simulated GPS is the tablet's own receiver: it runs in that
 * main context as a real receiver's client does. */
FfGpsSimulated *ff_training_get_gps          (FfTraining          *self);
FfStore        *ff_training_get_store        (FfTraining          *self);
const FfTask   *ff_training_get_task         (FfTraining          *self);
const char     *ff_training_get_scenario     (FfTraining          *self,
                                              const char          *device_id);
gboolean        ff_training_set_scenario     (FfTraining          *self,
                                              const char          *device_id,
                                              const char          *scenario,
                                              GError             **error);
/* Moves the simulated GPS to where a receiver standing at the terminal reads. */
void            ff_training_walk_to          (FfTraining          *self,
                                              const char          *device_id);
FfWorkflow     *ff_training_create_workflow  (FfTraining          *self,
                                              const char          *device_id,
                                              GError             **error);

G_END_DECLS
