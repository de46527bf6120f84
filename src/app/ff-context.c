/* FfContext: owns the settings and the core objects the pages present (GPS source, store, task), so
 * no page reaches for globals. On the real tablet they come from its FfTablet (store, platform
 * client, the task synced last); in training mode from the FfTraining session. */
#include "config.h"

#include "ff-context.h"

#include <glib/gi18n-lib.h>

#include "ff-crypto.h"
#include "ff-gpsd-source.h"

struct _FfContext
{
  GObject parent_instance;

  GSettings   *settings;
  FfGpsSource *gps;
  FfTraining  *training;
  FfTablet    *tablet;    /* the real tablet, NULL until opened */
  FfSync      *sync;      /* made on first use from the tablet's enrolment */
  FfTask      *task;      /* the real task being worked on, NULL before a sync */
  char        *tablet_error;  /* why the real tablet could not be opened (in use by …) */
};

G_DEFINE_FINAL_TYPE (FfContext, ff_context, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_SETTINGS,
  PROP_GPS,
  PROP_TRAINING,
  PROP_TABLET,
  PROP_TASK_ID,
  PROP_TABLET_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ff_context_dispose (GObject *object)
{
  FfContext *self = FF_CONTEXT (object);

  g_clear_object (&self->training);
  g_clear_object (&self->sync);
  g_clear_object (&self->tablet);
  g_clear_pointer (&self->task, ff_task_free);
  g_clear_pointer (&self->tablet_error, g_free);
  g_clear_object (&self->gps);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ff_context_parent_class)->dispose (object);
}

static void
ff_context_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  FfContext *self = FF_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_GPS:
      g_value_set_object (value, self->gps);
      break;
    case PROP_TRAINING:
      g_value_set_object (value, self->training);
      break;
    case PROP_TABLET:
      g_value_set_object (value, self->tablet);
      break;
    case PROP_TASK_ID:
      g_value_set_string (value, self->task != NULL ? self->task->task_id : NULL);
      break;
    case PROP_TABLET_ERROR:
      g_value_set_string (value, self->tablet_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_context_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  FfContext *self = FF_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_GPS:
      self->gps = g_value_dup_object (value);
      break;
    case PROP_TRAINING:
      ff_context_set_training (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_context_class_init (FfContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ff_context_dispose;
  object_class->get_property = ff_context_get_property;
  object_class->set_property = ff_context_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GPS] =
    g_param_spec_object ("gps", NULL, NULL, FF_TYPE_GPS_SOURCE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY
                         | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRAINING] =
    g_param_spec_object ("training", NULL, NULL, FF_TYPE_TRAINING,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TABLET] =
    g_param_spec_object ("tablet", NULL, NULL, FF_TYPE_TABLET,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The real task being worked on (the training task is the training session's). */
  properties[PROP_TASK_ID] =
    g_param_spec_string ("task-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Why the real tablet is not open, for the technician to read: another program has it (the
   * message names which), or its directory cannot be used. NULL while it is open or untried. */
  properties[PROP_TABLET_ERROR] =
    g_param_spec_string ("tablet-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ff_context_init (FfContext *self)
{
}

FfContext *
ff_context_new (GSettings   *settings,
                FfGpsSource *gps)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (FF_IS_GPS_SOURCE (gps), NULL);

  return g_object_new (FF_TYPE_CONTEXT, "settings", settings, "gps", gps, NULL);
}

/* The context of the real tablet: fixes come from the gpsd named in the preferences. */
FfContext *
ff_context_new_for_settings (GSettings  *settings,
                             GError    **error)
{
  g_autofree char *address = g_settings_get_string (settings, "gpsd-address");
  g_autofree char *host = NULL;
  g_autofree char *port = NULL;
  g_autoptr(FfGpsdSource) gps = NULL;

  if (!ff_gpsd_source_parse_address (address, &host, &port, error))
    return NULL;

  gps = ff_gpsd_source_new (host, port);
  return ff_context_new (settings, FF_GPS_SOURCE (gps));
}

GSettings *
ff_context_get_settings (FfContext *self)
{
  g_return_val_if_fail (FF_IS_CONTEXT (self), NULL);

  return self->settings;
}

FfGpsSource *
ff_context_get_gps (FfContext *self)
{
  g_return_val_if_fail (FF_IS_CONTEXT (self), NULL);

  return self->gps;
}

FfTraining *
ff_context_get_training (FfContext *self)
{
  g_return_val_if_fail (FF_IS_CONTEXT (self), NULL);

  return self->training;
}

/* Training mode: the session's simulated GPS, store and task replace the real ones. */
void
ff_context_set_training (FfContext  *self,
                         FfTraining *training)
{
  g_return_if_fail (FF_IS_CONTEXT (self));
  g_return_if_fail (training == NULL || FF_IS_TRAINING (training));

  if (!g_set_object (&self->training, training))
    return;

  if (training != NULL)
    {
      g_set_object (&self->gps, FF_GPS_SOURCE (ff_training_get_gps (training)));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GPS]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAINING]);
}

/* The training session's store, else the tablet's; NULL when there is neither. */
FfStore *
ff_context_get_store (FfContext *self)
{
  g_return_val_if_fail (FF_IS_CONTEXT (self), NULL);

  if (self->training != NULL)
    return ff_training_get_store (self->training);
  return self->tablet != NULL ? ff_tablet_get_store (self->tablet) : NULL;
}

const FfTask *
ff_context_get_task (FfContext *self)
{
  g_return_val_if_fail (FF_IS_CONTEXT (self), NULL);

  return self->training != NULL ? ff_training_get_task (self->training) : self->task;
}

static void
set_tablet_error (FfContext    *self,
                  const GError *error)
{
  const char *message = error != NULL ? error->message : NULL;

  if (g_strcmp0 (self->tablet_error, message) == 0)
    return;
  g_free (self->tablet_error);
  self->tablet_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TABLET_ERROR]);
}

const char *
ff_context_get_tablet_error (FfContext *self)
{
  g_return_val_if_fail (FF_IS_CONTEXT (self), NULL);

  return self->tablet_error;
}

static void
set_tablet (FfContext *self,
            FfTablet  *tablet)
{
  set_tablet_error (self, NULL);
  g_clear_object (&self->sync);
  g_set_object (&self->tablet, tablet);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TABLET]);
}

/* The real tablet: its data directory is @data_dir, or the default one when NULL, set up on first
 * use (the app's Log In page enrols a new tablet). Blocks on files and sqlite: the app opens it
 * with ff_context_open_tablet_async. */
gboolean
ff_context_open_tablet (FfContext   *self,
                        const char  *data_dir,
                        GError     **error)
{
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (FF_IS_CONTEXT (self), FALSE);

  tablet = ff_tablet_open (data_dir, NULL, FF_TABLET_OPEN_OR_SET_UP, &local_error);
  if (tablet == NULL)
    {
      set_tablet_error (self, local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  set_tablet (self, tablet);
  return TRUE;
}

static void
open_tablet_in_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  GError *error = NULL;
  FfTablet *tablet = ff_tablet_open (task_data, NULL, FF_TABLET_OPEN_OR_SET_UP, &error);

  if (tablet == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, tablet, g_object_unref);
}

/* Opens (on first use: creates, with its key pair) the real tablet's data directory in a worker
 * thread; "tablet" notifies once it is open. */
void
ff_context_open_tablet_async (FfContext           *self,
                              const char          *data_dir,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FF_IS_CONTEXT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ff_context_open_tablet_async);
  g_task_set_task_data (task, g_strdup (data_dir), g_free);
  ff_crypto_run_in_thread (task, open_tablet_in_thread);
}

gboolean
ff_context_open_tablet_finish (FfContext     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  tablet = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (tablet == NULL)
    {
      set_tablet_error (self, local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  set_tablet (self, tablet);
  return TRUE;
}

FfTablet *
ff_context_get_tablet (FfContext *self)
{
  g_return_val_if_fail (FF_IS_CONTEXT (self), NULL);

  return self->tablet;
}

typedef struct
{
  char *url;
  char *key_pem;
  char *cert_pem;
} PinnedPlatform;

static void
pinned_platform_free (PinnedPlatform *platform)
{
  g_free (platform->url);
  g_free (platform->key_pem);
  g_free (platform->cert_pem);
  g_free (platform);
}

static void
read_platform_in_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  FfTablet *tablet = task_data;
  PinnedPlatform *platform = g_new0 (PinnedPlatform, 1);

  platform->url = ff_tablet_get_platform_url (tablet);
  platform->key_pem = ff_tablet_get_platform_key_pem (tablet);
  platform->cert_pem = ff_tablet_get_platform_cert_pem (tablet);
  g_task_return_pointer (task, platform, (GDestroyNotify) pinned_platform_free);
}

/* Runs @func in a worker with the tablet as its task data (and @request, if any, as the task's
 * "request"); without a tablet it fails at once. */
static void
run_on_tablet (FfContext           *self,
               gpointer             source_tag,
               GTaskThreadFunc      func,
               gpointer             request,
               GDestroyNotify       request_free,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  if (request != NULL)
    g_object_set_data_full (G_OBJECT (task), "request", request, request_free);
  if (self->tablet == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("This tablet’s data directory could not be opened."));
      return;
    }
  g_task_set_task_data (task, g_object_ref (self->tablet), g_object_unref);
  ff_crypto_run_in_thread (task, func);
}

/* Reads the tablet's pinned platform (sqlite and files) in a worker thread. */
void
ff_context_read_platform_async (FfContext           *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (FF_IS_CONTEXT (self));

  run_on_tablet (self, ff_context_read_platform_async, read_platform_in_thread, NULL, NULL,
                 cancellable, callback, user_data);
}

/* The platform's address, signing key and certificate (PEM), each NULL until enrolment. */
gboolean
ff_context_read_platform_finish (FfContext     *self,
                                 GAsyncResult  *result,
                                 char         **url,
                                 char         **key_pem,
                                 char         **cert_pem,
                                 GError       **error)
{
  PinnedPlatform *platform;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  platform = g_task_propagate_pointer (G_TASK (result), error);
  if (platform == NULL)
    return FALSE;
  *url = g_steal_pointer (&platform->url);
  *key_pem = g_steal_pointer (&platform->key_pem);
  *cert_pem = g_steal_pointer (&platform->cert_pem);
  pinned_platform_free (platform);
  return TRUE;
}

static void
sync_platform_read (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FfContext *self = FF_CONTEXT (source);
  g_autofree char *url = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *cert_pem = NULL;
  GError *error = NULL;

  if (!ff_context_read_platform_finish (self, result, &url, &key_pem, &cert_pem, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* Another caller may have made it while this one read. */
  if (self->sync == NULL)
    self->sync = ff_tablet_create_sync_from (self->tablet, url, key_pem, cert_pem, &error);
  if (self->sync == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_object_ref (self->sync), g_object_unref);
}

/* The platform client of the tablet, made once from its enrolment: the enrolment is read in a
 * worker, the client is built here, in the caller's main context, which it belongs to. */
void
ff_context_get_sync_async (FfContext           *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FF_IS_CONTEXT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ff_context_get_sync_async);
  if (self->sync != NULL)
    {
      g_task_return_pointer (task, g_object_ref (self->sync), g_object_unref);
      return;
    }
  ff_context_read_platform_async (self, cancellable, sync_platform_read, g_steal_pointer (&task));
}

/* A new reference to the client, or NULL with @error. */
FfSync *
ff_context_get_sync_finish (FfContext     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
set_platform_in_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  PinnedPlatform *platform = g_object_get_data (G_OBJECT (task), "request");
  GError *error = NULL;

  if (!ff_tablet_set_platform (task_data, platform->url, platform->key_pem, platform->cert_pem,
                               &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Changes the tablet's platform (see ff_tablet_set_platform: NULL keeps a setting) in a worker
 * thread; the next sync uses it. */
void
ff_context_set_platform_async (FfContext           *self,
                               const char          *url,
                               const char          *key_pem,
                               const char          *cert_pem,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  PinnedPlatform *platform;

  g_return_if_fail (FF_IS_CONTEXT (self));

  platform = g_new0 (PinnedPlatform, 1);
  platform->url = g_strdup (url);
  platform->key_pem = g_strdup (key_pem);
  platform->cert_pem = g_strdup (cert_pem);
  run_on_tablet (self, ff_context_set_platform_async, set_platform_in_thread, platform,
                 (GDestroyNotify) pinned_platform_free, cancellable, callback, user_data);
}

gboolean
ff_context_set_platform_finish (FfContext     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  /* The session talks to the platform it was made for: the next sync makes a new one. */
  g_clear_object (&self->sync);
  return TRUE;
}

static void
set_task (FfContext *self,
          FfTask    *task)
{
  g_clear_pointer (&self->task, ff_task_free);
  self->task = task;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TASK_ID]);
}

static void
load_task_in_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  FfTablet *tablet = task_data;
  GError *error = NULL;
  g_autofree char *task_id = ff_tablet_find_current_task (tablet, &error);
  FfTask *loaded = NULL;

  if (task_id != NULL)
    loaded = ff_tablet_load_task (tablet, task_id, NULL, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, loaded, (GDestroyNotify) ff_task_free);
}

/* Reads the task to work on from the tablet's store (after a sync), in a worker thread. */
void
ff_context_load_task_async (FfContext           *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (FF_IS_CONTEXT (self));

  run_on_tablet (self, ff_context_load_task_async, load_task_in_thread, NULL, NULL, cancellable,
                 callback, user_data);
}

/* Makes the task read the current one ("task-id" notifies). FALSE on error; TRUE also when the
 * store holds no task. */
gboolean
ff_context_load_task_finish (FfContext     *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  GError *local_error = NULL;
  FfTask *loaded;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  loaded = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  set_task (self, loaded);
  return TRUE;
}

typedef struct
{
  FfTask     *task;
  FfWorkflow *workflow;
} Resumed;

static void
resumed_free (Resumed *resumed)
{
  g_clear_pointer (&resumed->task, ff_task_free);
  g_clear_object (&resumed->workflow);
  g_free (resumed);
}

static void
find_resumable_in_thread (GTask        *task,
                          gpointer      source_object,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  FfTablet *tablet = task_data;
  FfGpsSource *gps = g_object_get_data (G_OBJECT (task), "gps");
  g_autofree char *task_id = NULL;
  g_autofree char *device_id = NULL;
  Resumed *resumed;
  GError *error = NULL;

  if (!ff_tablet_find_visit_in_progress (tablet, &task_id, &device_id, &error))
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, NULL, NULL);
      return;
    }
  resumed = g_new0 (Resumed, 1);
  resumed->task = ff_tablet_load_task (tablet, task_id, NULL, &error);
  if (resumed->task != NULL)
    resumed->workflow = ff_tablet_create_workflow (tablet, gps, task_id, device_id, &error);
  if (resumed->workflow == NULL)
    {
      resumed_free (resumed);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, resumed, (GDestroyNotify) resumed_free);
}

/* After a crash or a flat battery: finds the visit the tablet was in the middle of. */
void
ff_context_find_resumable_async (FfContext           *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FF_IS_CONTEXT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ff_context_find_resumable_async);
  if (self->tablet == NULL || self->training != NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  g_task_set_task_data (task, g_object_ref (self->tablet), g_object_unref);
  g_object_set_data_full (G_OBJECT (task), "gps", g_object_ref (self->gps), g_object_unref);
  ff_crypto_run_in_thread (task, find_resumable_in_thread);
}

/* The workflow of the unfinished visit at its persisted state, its task made the current one; NULL
 * without error when no visit is unfinished. */
FfWorkflow *
ff_context_find_resumable_finish (FfContext     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  Resumed *resumed;
  FfWorkflow *workflow;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  resumed = g_task_propagate_pointer (G_TASK (result), error);
  if (resumed == NULL)
    return NULL;
  set_task (self, g_steal_pointer (&resumed->task));
  workflow = g_steal_pointer (&resumed->workflow);
  resumed_free (resumed);
  return workflow;
}

static void
create_workflow_in_thread (GTask        *task,
                           gpointer      source_object,
                           gpointer      task_data,
                           GCancellable *cancellable)
{
  FfTraining *training = g_object_get_data (G_OBJECT (task), "training");
  FfTablet *tablet = g_object_get_data (G_OBJECT (task), "tablet");
  GError *error = NULL;
  FfWorkflow *workflow;

  if (training != NULL)
    workflow = ff_training_create_workflow (training, task_data, &error);
  else
    workflow = ff_tablet_create_workflow (tablet, g_object_get_data (G_OBJECT (task), "gps"),
                                          g_object_get_data (G_OBJECT (task), "task-id"),
                                          task_data, &error);

  if (workflow == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, workflow, g_object_unref);
}

/* The workflow reads its task, its vendor profile and its saved state (sqlite): in a worker thread.
 * It attaches nothing to a main context until it runs, so the main thread may run it. */
void
ff_context_create_workflow_async (FfContext           *self,
                                  const char          *device_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FF_IS_CONTEXT (self));
  g_return_if_fail (device_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ff_context_create_workflow_async);
  if (self->training == NULL && (self->tablet == NULL || self->task == NULL))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("There is no task on this tablet yet: log in and sync first."));
      return;
    }
  g_task_set_task_data (task, g_strdup (device_id), g_free);
  if (self->training != NULL)
    {
      g_object_set_data_full (G_OBJECT (task), "training", g_object_ref (self->training),
                              g_object_unref);
    }
  else
    {
      g_object_set_data_full (G_OBJECT (task), "tablet", g_object_ref (self->tablet),
                              g_object_unref);
      g_object_set_data_full (G_OBJECT (task), "gps", g_object_ref (self->gps), g_object_unref);
      g_object_set_data_full (G_OBJECT (task), "task-id", g_strdup (self->task->task_id), g_free);
    }
  ff_crypto_run_in_thread (task, create_workflow_in_thread);
}

FfWorkflow *
ff_context_create_workflow_finish (FfContext     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
