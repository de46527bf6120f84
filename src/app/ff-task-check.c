/* Checks a stored task the way a sync accepted it — signature against the pinned platform key,
 * every firmware file (images and delta patches) against its SHA-256 — so the Sync page shows verdicts about what the tablet
 * holds now, not what it was told. Reads sqlite and whole files: always in a worker thread. */
#include "config.h"

#include "ff-task-check.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ff-crypto.h"

static void
firmware_check_free (FfFirmwareCheck *check)
{
  g_free (check->version);
  g_free (check->from_version);
  g_free (check);
}

void
ff_task_check_free (FfTaskCheck *check)
{
  g_free (check->task_id);
  g_free (check->signature_problem);
  g_clear_pointer (&check->firmware, g_ptr_array_unref);
  g_free (check);
}

static void
check_signature (FfTablet     *tablet,
                 GBytes       *document,
                 GBytes       *signature,
                 FfTaskCheck  *check)
{
  g_autofree char *key_pem = ff_tablet_get_platform_key_pem (tablet);
  g_autoptr(FfKey) key = NULL;
  g_autoptr(GError) error = NULL;

  if (key_pem == NULL)
    {
      check->signature_problem = g_strdup (_("No platform key is pinned on this tablet."));
      return;
    }
  key = ff_key_load_public (key_pem, strlen (key_pem), &error);
  check->signature_valid = key != NULL
                           && ff_task_verify_signature (document, signature, key, &error);
  if (!check->signature_valid)
    check->signature_problem = g_strdup (error->message);
}

/* An image (@from_version NULL) or a delta patch from @from_version to @version. */
static FfFirmwareCheck *
check_firmware (FfStore    *store,
                const char *version,
                const char *from_version,
                const char *sha256,
                gint64      size)
{
  FfFirmwareCheck *check = g_new0 (FfFirmwareCheck, 1);
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *partial = NULL;
  GStatBuf st;

  check->version = g_strdup (version);
  check->from_version = g_strdup (from_version);
  check->size = size;
  if (!ff_store_has_firmware (store, sha256))
    {
      /* A download that stopped resumes from its partial file. */
      partial = ff_store_get_partial_path (store, sha256);
      check->bytes_on_tablet = g_stat (partial, &st) == 0 ? MIN (st.st_size, size) : 0;
      check->verdict = FF_FIRMWARE_MISSING;
      return check;
    }
  image = ff_store_read_firmware (store, sha256, &error);
  check->bytes_on_tablet = size;
  check->verdict = image != NULL ? FF_FIRMWARE_VERIFIED : FF_FIRMWARE_DAMAGED;
  return check;
}

static void
add_firmware (FfStore     *store,
              FfTaskCheck *check,
              GHashTable  *seen,
              const char  *version,
              const char  *from_version,
              const char  *sha256,
              gint64       size)
{
  if (g_hash_table_add (seen, (gpointer) sha256))
    g_ptr_array_add (check->firmware, check_firmware (store, version, from_version, sha256, size));
}

static void
check_in_thread (GTask        *gtask,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  FfTablet *tablet = g_object_get_data (G_OBJECT (gtask), "tablet");
  FfStore *store = ff_tablet_get_store (tablet);
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(FfTask) task = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GError *error = NULL;
  FfTaskCheck *check;

  if (!ff_store_load_task (store, task_data, &document, &signature, &error)
      || (task = ff_task_parse (document, &error)) == NULL)
    {
      g_task_return_error (gtask, error);
      return;
    }
  check = g_new0 (FfTaskCheck, 1);
  check->task_id = g_strdup (task_data);
  check->firmware = g_ptr_array_new_with_free_func ((GDestroyNotify) firmware_check_free);
  check_signature (tablet, document, signature, check);
  for (guint i = 0; i < task->items->len; i++)
    {
      const FfTaskItem *item = task->items->pdata[i];

      add_firmware (store, check, seen, item->target.version, NULL, item->target.sha256,
                    item->target.size);
      if (item->previous != NULL)
        add_firmware (store, check, seen, item->previous->version, NULL, item->previous->sha256,
                      item->previous->size);
      /* A task with a patch has its previous image (ff_task_parse checks). */
      if (item->delta != NULL)
        add_firmware (store, check, seen, item->target.version, item->previous->version,
                      item->delta->sha256, item->delta->size);
    }
  g_task_return_pointer (gtask, check, (GDestroyNotify) ff_task_check_free);
}

void
ff_task_check_async (FfTablet            *tablet,
                     const char          *task_id,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;

  g_return_if_fail (FF_IS_TABLET (tablet));
  g_return_if_fail (task_id != NULL);

  gtask = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (gtask, ff_task_check_async);
  g_task_set_task_data (gtask, g_strdup (task_id), g_free);
  g_object_set_data_full (G_OBJECT (gtask), "tablet", g_object_ref (tablet), g_object_unref);
  ff_crypto_run_in_thread (gtask, check_in_thread);
}

FfTaskCheck *
ff_task_check_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
