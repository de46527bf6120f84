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

FfWorkflow *
ff_context_create_workflow (FfContext   *self,
                            const char  *device_id,
                            GError     **error)
{
  g_return_val_if_fail (FF_IS_CONTEXT (self), NULL);

  if (self->training == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                   _("There is no task on this tablet yet: log in and sync first."));
      return NULL;
    }
  return ff_training_create_workflow (self->training, device_id, error);
}
