/* FfContext: owns the settings and the core objects the pages present (GPS source, store, task), so
 * no page reaches for globals. In training mode they all come from the FfTraining session. */
#include "config.h"

#include "ff-context.h"

#include <glib/gi18n-lib.h>

#include "ff-gpsd-source.h"

struct _FfContext
{
  GObject parent_instance;

  GSettings   *settings;
  FfGpsSource *gps;
  FfTraining  *training;
};

G_DEFINE_FINAL_TYPE (FfContext, ff_context, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_SETTINGS,
  PROP_GPS,
  PROP_TRAINING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ff_context_dispose (GObject *object)
{
  FfContext *self = FF_CONTEXT (object);

  g_clear_object (&self->training);
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

/* NULL until there is a session: training, or (later) a login with sync. */
FfStore *
ff_context_get_store (FfContext *self)
{
  g_return_val_if_fail (FF_IS_CONTEXT (self), NULL);

  return self->training != NULL ? ff_training_get_store (self->training) : NULL;
}

const FfTask *
ff_context_get_task (FfContext *self)
{
  g_return_val_if_fail (FF_IS_CONTEXT (self), NULL);

  return self->training != NULL ? ff_training_get_task (self->training) : NULL;
}

static void
create_workflow_in_thread (GTask        *task,
                           gpointer      source_object,
                           gpointer      task_data,
                           GCancellable *cancellable)
{
  FfTraining *training = g_object_get_data (G_OBJECT (task), "training");
  GError *error = NULL;
  FfWorkflow *workflow = ff_training_create_workflow (training, task_data, &error);

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
  if (self->training == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("There is no task on this tablet yet: log in and sync first."));
      return;
    }
  g_task_set_task_data (task, g_strdup (device_id), g_free);
  g_object_set_data_full (G_OBJECT (task), "training", g_object_ref (self->training),
                          g_object_unref);
  g_task_run_in_thread (task, create_workflow_in_thread);
}

FfWorkflow *
ff_context_create_workflow_finish (FfContext     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
