/* The workflow's choice of what to push: the target image, or the delta patch the task names for
 * it, when the terminal's profile takes patches and the terminal runs exactly the image the patch
 * applies to (its 0x8006 checksum before the push is that image's). */
#include "config.h"

#include "ff-workflow-private.h"

#include <glib/gi18n-lib.h>

typedef struct
{
  FfWorkflow   *self;
  FfProfile    *profile;
  char         *old_sha256;
  char         *patch_sha256;
  char         *checksum_before;
  char         *old_checksum;   /* out: what a terminal running the old image reports */
  GBytes       *patch;          /* out: NULL when the terminal runs another image */
  Continuation  then;
} PayloadChoice;

static void
payload_choice_free (PayloadChoice *choice)
{
  g_object_unref (choice->self);
  ff_profile_unref (choice->profile);
  g_free (choice->old_sha256);
  g_free (choice->patch_sha256);
  g_free (choice->checksum_before);
  g_free (choice->old_checksum);
  g_clear_pointer (&choice->patch, g_bytes_unref);
  g_free (choice);
}

/* In a worker: the old image's checksum as the terminal computes it, and the patch when it
 * matches. Both files are read with their SHA-256 checked, so a damaged patch never goes out. */
static gboolean
read_patch_job (FfStore *store, gpointer data, GError **error)
{
  PayloadChoice *choice = data;
  g_autoptr(GBytes) old_image = ff_store_read_firmware (store, choice->old_sha256, error);

  if (old_image == NULL)
    return FALSE;
  choice->old_checksum = ff_profile_compute_checksum (choice->profile, old_image);
  if (g_strcmp0 (choice->old_checksum, choice->checksum_before) != 0)
    return TRUE;
  choice->patch = ff_store_read_firmware (store, choice->patch_sha256, error);
  return choice->patch != NULL;
}

static void
set_payload (FfWorkflow *self, GBytes *payload, gboolean delta, const char *sha256)
{
  g_clear_pointer (&self->payload, g_bytes_unref);
  self->payload = g_bytes_ref (payload);
  self->ctx.sent_delta = delta;
  g_free (self->ctx.sent_sha256);
  self->ctx.sent_sha256 = g_strdup (sha256);
}

static void
patch_read (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  PayloadChoice *choice = user_data;
  FfWorkflow *self = choice->self;
  const FfDeltaRef *delta = self->item->delta;
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    {
      ff_workflow_step_failed (self, error);
      return;
    }
  if (choice->patch != NULL)
    {
      ff_workflow_record_eventf (self, "push",
                                 _("%s runs the image the delta patch applies to (checksum %s): "
                                   "the patch (%lld bytes) is sent instead of the image (%lld "
                                   "bytes)."),
                                 self->item->device_id, choice->old_checksum,
                                 (long long) delta->size,
                                 (long long) g_bytes_get_size (self->image));
      set_payload (self, choice->patch, TRUE, delta->sha256);
    }
  else
    {
      ff_workflow_record_eventf (self, "push",
                                 _("%s reports checksum %s, not %s of the image the delta patch "
                                   "applies to: the whole image is sent."),
                                 self->item->device_id,
                                 self->ctx.checksum_before != NULL ? self->ctx.checksum_before
                                                                   : "?",
                                 choice->old_checksum);
      set_payload (self, self->image, FALSE, ff_workflow_wanted_firmware (self)->sha256);
    }
  choice->then (self);
}

/* After ff_workflow_with_image: sets self->payload, the bytes to push, then continues. A rollback
 * pushes the previous image whole; so does a visit to a terminal that does not take patches. */
void
ff_workflow_choose_payload (FfWorkflow *self, Continuation then)
{
  const FfDeltaRef *delta = self->item->delta;
  PayloadChoice *choice;

  if (delta == NULL || self->ctx.rolling_back)
    {
      set_payload (self, self->image, FALSE, ff_workflow_wanted_firmware (self)->sha256);
      then (self);
      return;
    }
  if (self->profile->delta != FF_DELTA_FORMAT_FFDELTA1)
    {
      ff_workflow_record_eventf (self, "push",
                                 _("Profile %s does not take delta patches: the whole image is "
                                   "sent."),
                                 self->item->profile);
      set_payload (self, self->image, FALSE, ff_workflow_wanted_firmware (self)->sha256);
      then (self);
      return;
    }
  choice = g_new0 (PayloadChoice, 1);
  choice->self = g_object_ref (self);
  choice->profile = ff_profile_ref (self->profile);
  choice->old_sha256 = g_strdup (delta->old_sha256);
  choice->patch_sha256 = g_strdup (delta->sha256);
  choice->checksum_before = g_strdup (self->ctx.checksum_before);
  choice->then = then;
  ff_store_run_async (self->store, read_patch_job, choice, (GDestroyNotify) payload_choice_free,
                      NULL, patch_read, choice);
}
