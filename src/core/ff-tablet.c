/* FfTablet: the tablet's data directory as one object — who the tablet is (key pair, serial), which
 * platform it trusts (URL, public key, TLS certificate) and what work it holds (tasks, visits). */
#include "config.h"

#include "ff-tablet.h"

#include <glib/gi18n-lib.h>

#include "ff-document.h"
#include "ff-files.h"
#include "ff-tablet-lock.h"

#define KEY_FILE "tablet.key"
#define SERIAL_FILE "serial"
#define PLATFORM_KEY_FILE "platform.pem"
#define PLATFORM_CERT_FILE "platform.crt"
#define SETTING_PLATFORM_URL "platform-url"

struct _FfTablet
{
  GObject  parent_instance;

  char         *data_dir;
  char         *serial;
  FfTabletLock *lock;
  FfStore      *store;
  FfKey        *key;
};

G_DEFINE_FINAL_TYPE (FfTablet, ff_tablet, G_TYPE_OBJECT)
G_DEFINE_QUARK (ff-tablet-error-quark, ff_tablet_error)

static void
ff_tablet_finalize (GObject *object)
{
  FfTablet *self = FF_TABLET (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->key, ff_key_unref);
  /* Last: the store is closed before another program may open it. */
  g_clear_pointer (&self->lock, ff_tablet_lock_release);
  g_free (self->data_dir);
  g_free (self->serial);

  G_OBJECT_CLASS (ff_tablet_parent_class)->finalize (object);
}

static void
ff_tablet_class_init (FfTabletClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ff_tablet_finalize;
}

static void
ff_tablet_init (FfTablet *self)
{
}

static char *
data_file (FfTablet *self, const char *name)
{
  return g_build_filename (self->data_dir, name, NULL);
}

static gboolean
write_file (FfTablet *self, const char *name, const char *contents, int mode, GError **error)
{
  g_autofree char *path = data_file (self, name);

  return ff_file_replace (path, contents, -1, mode, error);
}

static char *
read_file (FfTablet *self, const char *name)
{
  g_autofree char *path = data_file (self, name);
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, NULL);
  return contents;
}

char *
ff_tablet_get_default_data_dir (void)
{
  const char *env = g_getenv ("FIELDFLASH_TABLET_DIR");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "fieldflash", "tablet", NULL);
}

/* The key pair is made on first use and never leaves the data directory. */
static gboolean
load_key (FfTablet *self, GError **error)
{
  g_autofree char *path = data_file (self, KEY_FILE);
  g_autofree char *serial_path = data_file (self, SERIAL_FILE);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    self->key = ff_key_load_private (path, error);
  /* The key is made before the serial is given: a tablet with a serial and no key lost its key,
   * and a new one would sign reports the platform refuses, as it knows the old one. */
  else if (g_file_test (serial_path, G_FILE_TEST_EXISTS))
    g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_KEY_LOST,
                 _("The tablet's key %s is missing, but the tablet was set up (it has a serial): "
                   "a new key would sign reports the platform refuses. Restore the key, or "
                   "remove the tablet's data and register it again; nothing was changed."), path);
  else if ((self->key = ff_key_generate (error)) != NULL
           && !ff_key_save_private (self->key, path, error))
    g_clear_pointer (&self->key, ff_key_unref);
  return self->key != NULL;
}

static gboolean
load_serial (FfTablet *self, const char *serial, GError **error)
{
  g_autofree char *stored = read_file (self, SERIAL_FILE);

  if (stored != NULL)
    g_strstrip (stored);
  /* The file is written atomically; an empty or unsafe one was damaged outside the programs (a
   * disk fault, a hand edit): never work, sign or log in under it. */
  if (stored != NULL && !ff_name_is_safe (stored))
    {
      g_autofree char *path = data_file (self, SERIAL_FILE);

      g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_SERIAL,
                   _("The tablet's serial file %s is damaged: it holds no valid serial. Write "
                     "the serial on the tablet's label into it; nothing was changed."), path);
      return FALSE;
    }
  if (stored != NULL && serial != NULL && !g_str_equal (stored, serial))
    {
      g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_SERIAL,
                   _("This tablet is already %s; it cannot become %s."), stored, serial);
      return FALSE;
    }
  if (stored == NULL && serial != NULL)
    {
      g_autofree char *line = g_strconcat (serial, "\n", NULL);

      if (!ff_name_is_safe (serial))
        {
          g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_SERIAL,
                       _("“%s” is not a valid tablet serial."), serial);
          return FALSE;
        }
      if (!write_file (self, SERIAL_FILE, line, 0600, error))
        return FALSE;
      stored = g_strdup (serial);
    }
  self->serial = g_steal_pointer (&stored);
  return TRUE;
}

FfTablet *
ff_tablet_open (const char       *data_dir,
                const char       *serial,
                FfTabletOpening   how,
                GError          **error)
{
  g_autoptr(FfTablet) self = g_object_new (FF_TYPE_TABLET, NULL);
  g_autofree char *db_path = NULL;

  self->data_dir = data_dir != NULL ? g_strdup (data_dir) : ff_tablet_get_default_data_dir ();
  /* The store is made at a tablet's first opening, before its key: a directory without it holds
   * no tablet (a mistyped --data-dir), and the lock below would create it. */
  db_path = data_file (self, FF_STORE_FILE);
  if (how == FF_TABLET_OPEN_EXISTING && !g_file_test (db_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_NOT_SET_UP,
                   _("There is no tablet in %s: check the directory's name (--data-dir, "
                     "$FIELDFLASH_TABLET_DIR). A new tablet is set up with “key --serial” or "
                     "“login”; nothing was created."), self->data_dir);
      return NULL;
    }
  self->lock = ff_tablet_lock_acquire (self->data_dir, error);
  if (self->lock == NULL)
    return NULL;
  self->store = ff_store_open (self->data_dir, error);
  if (self->store == NULL || !load_key (self, error) || !load_serial (self, serial, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
ff_tablet_get_data_dir (FfTablet *self)
{
  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  return self->data_dir;
}

const char *
ff_tablet_get_serial (FfTablet *self)
{
  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  return self->serial;
}

FfKey *
ff_tablet_get_key (FfTablet *self)
{
  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  return self->key;
}

FfStore *
ff_tablet_get_store (FfTablet *self)
{
  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  return self->store;
}

char *
ff_tablet_get_session_phone (FfTablet *self)
{
  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  return ff_store_get_setting (self->store, FF_SETTING_SESSION_PHONE);
}

/* ---- the pinned platform -------------------------------------------------------------------- */

char *
ff_tablet_get_platform_url (FfTablet *self)
{
  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  return ff_store_get_setting (self->store, SETTING_PLATFORM_URL);
}

char *
ff_tablet_get_platform_key_pem (FfTablet *self)
{
  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  return read_file (self, PLATFORM_KEY_FILE);
}

char *
ff_tablet_get_platform_cert_pem (FfTablet *self)
{
  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  return read_file (self, PLATFORM_CERT_FILE);
}

static gboolean
check_url (const char *url, GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  if (uri != NULL && g_strcmp0 (g_uri_get_scheme (uri), "https") == 0
      && g_uri_get_host (uri) != NULL && g_uri_get_host (uri)[0] != '\0')
    return TRUE;
  g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_BAD_PLATFORM,
               _("“%s” is not a platform address: it must be https://HOST or https://HOST:PORT."),
               url);
  return FALSE;
}

static gboolean
check_key (const char *pem, GError **error)
{
  g_autoptr(GError) cause = NULL;
  g_autoptr(FfKey) key = ff_key_load_public (pem, strlen (pem), &cause);

  if (key != NULL)
    return TRUE;
  g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_BAD_PLATFORM,
               _("The platform key is not a PEM public key: %s"), cause->message);
  return FALSE;
}

static gboolean
check_certificate (const char *pem, GError **error)
{
  g_autoptr(GError) cause = NULL;
  g_autoptr(GTlsCertificate) certificate = g_tls_certificate_new_from_pem (pem, -1, &cause);

  if (certificate != NULL)
    return TRUE;
  g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_BAD_PLATFORM,
               _("The platform certificate is not a PEM TLS certificate: %s"), cause->message);
  return FALSE;
}

gboolean
ff_tablet_set_platform (FfTablet    *self,
                        const char  *url,
                        const char  *key_pem,
                        const char  *cert_pem,
                        GError     **error)
{
  g_return_val_if_fail (FF_IS_TABLET (self), FALSE);

  if ((url != NULL && !check_url (url, error))
      || (key_pem != NULL && !check_key (key_pem, error))
      || (cert_pem != NULL && !check_certificate (cert_pem, error)))
    return FALSE;
  return (key_pem == NULL || write_file (self, PLATFORM_KEY_FILE, key_pem, 0644, error))
         && (cert_pem == NULL || write_file (self, PLATFORM_CERT_FILE, cert_pem, 0644, error))
         && (url == NULL || ff_store_set_setting (self->store, SETTING_PLATFORM_URL, url, error));
}

FfSync *
ff_tablet_create_sync (FfTablet  *self,
                       GError   **error)
{
  g_autofree char *url = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *cert_pem = NULL;

  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  url = ff_tablet_get_platform_url (self);
  key_pem = ff_tablet_get_platform_key_pem (self);
  cert_pem = ff_tablet_get_platform_cert_pem (self);
  return ff_tablet_create_sync_from (self, url, key_pem, cert_pem, error);
}

FfSync *
ff_tablet_create_sync_from (FfTablet    *self,
                            const char  *url,
                            const char  *key_pem,
                            const char  *cert_pem,
                            GError     **error)
{
  g_autoptr(FfKey) platform_key = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) cause = NULL;

  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  if (self->serial == NULL)
    {
      g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_SERIAL,
                   _("This tablet has no serial yet."));
      return NULL;
    }
  if (url == NULL || key_pem == NULL)
    {
      g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_NOT_ENROLLED,
                   _("This tablet is not enrolled: run “fieldflash-cli login --platform URL "
                     "--platform-key FILE” first."));
      return NULL;
    }
  platform_key = ff_key_load_public (key_pem, strlen (key_pem), &cause);
  if (platform_key == NULL
      || (cert_pem != NULL
          && (certificate = g_tls_certificate_new_from_pem (cert_pem, -1, &cause)) == NULL))
    {
      g_autofree char *path = data_file (self, platform_key == NULL ? PLATFORM_KEY_FILE
                                                                    : PLATFORM_CERT_FILE);

      g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_BAD_PLATFORM,
                   _("The tablet's copy of the platform's key or certificate (%s) is damaged "
                     "(%s): enrol it again (fieldflash-cli login --platform-key FILE "
                     "--platform-cert FILE); nothing was sent."), path, cause->message);
      return NULL;
    }
  return ff_sync_new (self->store, url, certificate, platform_key, self->serial, error);
}

/* ---- tasks and visits ----------------------------------------------------------------------- */

FfTask *
ff_tablet_load_task (FfTablet    *self,
                     const char  *task_id,
                     GBytes     **document,
                     GError     **error)
{
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) bytes = NULL;
  FfTask *task;

  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  if (!ff_store_load_task (self->store, task_id, &bytes, &signature, error))
    return NULL;
  task = ff_task_parse (bytes, error);
  if (task != NULL && document != NULL)
    *document = g_steal_pointer (&bytes);
  return task;
}

char *
ff_tablet_get_visit_state (FfTablet   *self,
                           const char *task_id,
                           const char *device_id)
{
  char *state = NULL;
  g_autofree char *data = NULL;

  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  if (!ff_store_load_workflow (self->store, task_id, device_id, &state, &data, NULL))
    return g_strdup (ff_workflow_state_to_string (FF_WORKFLOW_STATE_NEW));
  return state;
}

static gboolean
is_done (const char *state)
{
  return g_str_equal (state, ff_workflow_state_to_string (FF_WORKFLOW_STATE_DONE));
}

static gboolean
is_new (const char *state)
{
  return g_str_equal (state, ff_workflow_state_to_string (FF_WORKFLOW_STATE_NEW));
}

/* A visit still to do: not done, and, in a task the platform withdrew, already under way. */
static gboolean
is_open (const char *state,
         gboolean    withdrawn)
{
  return !is_done (state) && !(withdrawn && is_new (state));
}

gboolean
ff_tablet_task_is_withdrawn (FfTablet   *self,
                             const char *task_id)
{
  gboolean withdrawn = FALSE;

  g_return_val_if_fail (FF_IS_TABLET (self), FALSE);

  /* Unreadable counts as not withdrawn here: creating the workflow asks again and refuses. */
  return ff_store_task_is_withdrawn (self->store, task_id, &withdrawn, NULL) && withdrawn;
}

GPtrArray *
ff_tablet_list_open_items (FfTablet     *self,
                           const FfTask *task)
{
  GPtrArray *open_items = g_ptr_array_new ();
  gboolean withdrawn;

  g_return_val_if_fail (FF_IS_TABLET (self), open_items);

  withdrawn = ff_tablet_task_is_withdrawn (self, task->task_id);
  for (guint i = 0; i < task->items->len; i++)
    {
      FfTaskItem *item = task->items->pdata[i];
      g_autofree char *state = ff_tablet_get_visit_state (self, task->task_id, item->device_id);

      if (is_open (state, withdrawn))
        g_ptr_array_add (open_items, item);
    }
  return open_items;
}

char *
ff_tablet_find_current_task (FfTablet  *self,
                             GError   **error)
{
  g_auto(GStrv) ids = NULL;
  guint count;

  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  ids = ff_store_list_task_ids (self->store, error);
  if (ids == NULL || ids[0] == NULL)
    return NULL;
  count = g_strv_length (ids);
  /* Task IDs end in their date, so the last in order is the newest. */
  for (guint i = count; i > 0; i--)
    {
      g_autoptr(FfTask) task = ff_tablet_load_task (self, ids[i - 1], NULL, NULL);
      g_autoptr(GPtrArray) open_items = task != NULL ? ff_tablet_list_open_items (self, task)
                                                     : NULL;

      if (open_items != NULL && open_items->len > 0)
        return g_strdup (ids[i - 1]);
    }
  for (guint i = count; i > 0; i--)
    if (!ff_tablet_task_is_withdrawn (self, ids[i - 1]))
      return g_strdup (ids[i - 1]);
  return NULL;
}

char *
ff_tablet_find_task_for (FfTablet    *self,
                         const char  *device_id,
                         GError     **error)
{
  g_auto(GStrv) ids = NULL;
  char *found = NULL;

  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  ids = ff_store_list_task_ids (self->store, error);
  if (ids == NULL)
    return NULL;
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(FfTask) task = ff_tablet_load_task (self, ids[i], NULL, NULL);
      g_autofree char *state = NULL;

      if (task == NULL || ff_task_find_item (task, device_id) == NULL)
        continue;
      state = ff_tablet_get_visit_state (self, ids[i], device_id);
      /* A withdrawn task is preferred only for a visit already under way; found alone, it is
       * still named, and the visit refused in words (ff_workflow_new). */
      if (found == NULL || is_open (state, ff_tablet_task_is_withdrawn (self, ids[i])))
        {
          g_free (found);
          found = g_strdup (ids[i]);
        }
    }
  if (found == NULL)
    g_set_error (error, FF_STORE_ERROR, FF_STORE_ERROR_NOT_FOUND,
                 _("No task on this tablet lists terminal %s. Sync first."), device_id);
  return found;
}

gboolean
ff_tablet_find_visit_in_progress (FfTablet  *self,
                                  char     **task_id,
                                  char     **device_id,
                                  GError   **error)
{
  g_auto(GStrv) ids = NULL;

  g_return_val_if_fail (FF_IS_TABLET (self), FALSE);

  ids = ff_store_list_task_ids (self->store, error);
  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    {
      g_autoptr(FfTask) task = ff_tablet_load_task (self, ids[i], NULL, NULL);

      for (guint k = 0; task != NULL && k < task->items->len; k++)
        {
          FfTaskItem *item = task->items->pdata[k];
          g_autofree char *state = ff_tablet_get_visit_state (self, ids[i], item->device_id);

          if (!is_done (state) && !is_new (state))
            {
              *task_id = g_strdup (ids[i]);
              *device_id = g_strdup (item->device_id);
              return TRUE;
            }
        }
    }
  return FALSE;
}

FfWorkflow *
ff_tablet_create_workflow (FfTablet     *self,
                           FfGpsSource  *gps,
                           const char   *task_id,
                           const char   *device_id,
                           GError      **error)
{
  g_autoptr(GBytes) document = NULL;
  g_autoptr(FfTask) task = NULL;

  g_return_val_if_fail (FF_IS_TABLET (self), NULL);

  if (self->serial == NULL)
    {
      g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_SERIAL,
                   _("This tablet has no serial yet."));
      return NULL;
    }
  task = ff_tablet_load_task (self, task_id, &document, error);
  if (task == NULL)
    return NULL;
  return ff_workflow_new (self->store, gps, document, device_id, self->serial, self->key, error);
}
