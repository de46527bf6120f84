/* Where the tablet is: the position source the workflow and the UI watch (gpsd or simulated). */
#include "config.h"

#include "ff-gps-source.h"

#include <glib/gi18n-lib.h>
#include <math.h>

typedef struct
{
  FfGpsFixMode mode;
  gboolean     connected;
  FfGpsFix     fix;              /* the last 2D or 3D fix */
  gint64       fix_received_us;  /* monotonic: a replayed or stale GPS clock never looks fresh */
} FfGpsSourcePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (FfGpsSource, ff_gps_source, G_TYPE_OBJECT)
G_DEFINE_QUARK (ff-gps-error-quark, ff_gps_error)

enum
{
  PROP_0,
  PROP_FIX_MODE,
  PROP_FIX_STATUS,
  PROP_CONNECTED,
  PROP_LATITUDE,
  PROP_LONGITUDE,
  N_PROPS
};

enum
{
  SIGNAL_FIX,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
ff_gps_source_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  FfGpsSourcePrivate *priv = ff_gps_source_get_instance_private (FF_GPS_SOURCE (object));

  switch (prop_id)
    {
    case PROP_FIX_MODE:
      g_value_set_int (value, priv->mode);
      break;
    case PROP_FIX_STATUS:
      g_value_set_int (value, priv->fix.status);
      break;
    case PROP_CONNECTED:
      g_value_set_boolean (value, priv->connected);
      break;
    case PROP_LATITUDE:
      g_value_set_double (value, priv->fix.position.latitude);
      break;
    case PROP_LONGITUDE:
      g_value_set_double (value, priv->fix.position.longitude);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_gps_source_class_init (FfGpsSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = ff_gps_source_get_property;

  properties[PROP_FIX_MODE] = g_param_spec_int ("fix-mode", NULL, NULL, FF_GPS_FIX_NOT_SEEN,
                                                FF_GPS_FIX_3D, FF_GPS_FIX_NOT_SEEN, flags);
  /* The status of the last 2D or 3D fix (FfGpsFixStatus): a refused one explains a missing
   * position. */
  properties[PROP_FIX_STATUS] = g_param_spec_int ("fix-status", NULL, NULL, FF_GPS_STATUS_UNKNOWN,
                                                  FF_GPS_STATUS_PPS, FF_GPS_STATUS_UNKNOWN, flags);
  properties[PROP_CONNECTED] = g_param_spec_boolean ("connected", NULL, NULL, FALSE, flags);
  properties[PROP_LATITUDE] = g_param_spec_double ("latitude", NULL, NULL, -90, 90, 0, flags);
  properties[PROP_LONGITUDE] = g_param_spec_double ("longitude", NULL, NULL, -180, 180, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  /* Every 2D or 3D fix as it arrives, also one that repeats the position (no notify then) and
   * one whose status is refused. */
  signals[SIGNAL_FIX] = g_signal_new ("fix", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                      NULL, NULL, G_TYPE_NONE, 0);
}

static void
ff_gps_source_init (FfGpsSource *self)
{
}

FfGpsFixMode
ff_gps_source_get_fix_mode (FfGpsSource *self)
{
  FfGpsSourcePrivate *priv = ff_gps_source_get_instance_private (self);

  return priv->mode;
}

gboolean
ff_gps_source_get_connected (FfGpsSource *self)
{
  FfGpsSourcePrivate *priv = ff_gps_source_get_instance_private (self);

  return priv->connected;
}

const char *
ff_gps_fix_status_refusal (FfGpsFixStatus status)
{
  switch (status)
    {
    case FF_GPS_STATUS_DR:
      return _("the receiver reports a dead-reckoning fix, not one from satellites");
    case FF_GPS_STATUS_GNSS_DR:
      return _("the receiver reports an estimated fix (satellites with dead reckoning)");
    case FF_GPS_STATUS_TIME:
      return _("the receiver reports a fixed, typed-in position (time-only mode)");
    case FF_GPS_STATUS_SIMULATED:
      return _("the receiver is in simulator mode: its fix is simulated");
    default:
      return NULL;
    }
}

gboolean
ff_gps_source_get_fix (FfGpsSource *self,
                       FfGpsFix    *fix)
{
  FfGpsSourcePrivate *priv = ff_gps_source_get_instance_private (self);

  if (priv->mode < FF_GPS_FIX_2D)
    return FALSE;
  *fix = priv->fix;
  return TRUE;
}

const char *
ff_gps_source_get_refusal (FfGpsSource *self)
{
  FfGpsSourcePrivate *priv = ff_gps_source_get_instance_private (self);

  return priv->mode >= FF_GPS_FIX_2D ? ff_gps_fix_status_refusal (priv->fix.status) : NULL;
}

static gboolean
has_accepted_fix (FfGpsSource *self)
{
  FfGpsSourcePrivate *priv = ff_gps_source_get_instance_private (self);

  return priv->mode >= FF_GPS_FIX_2D && ff_gps_fix_status_refusal (priv->fix.status) == NULL;
}

gboolean
ff_gps_source_get_position (FfGpsSource *self,
                            FfGeoPoint  *position)
{
  FfGpsSourcePrivate *priv = ff_gps_source_get_instance_private (self);

  if (!has_accepted_fix (self))
    return FALSE;
  *position = priv->fix.position;
  return TRUE;
}

/* Seconds since the last accepted fix arrived; infinite when there is none. */
double
ff_gps_source_get_fix_age (FfGpsSource *self)
{
  FfGpsSourcePrivate *priv = ff_gps_source_get_instance_private (self);

  if (!has_accepted_fix (self))
    return INFINITY;
  return (g_get_monotonic_time () - priv->fix_received_us) / (double) G_USEC_PER_SEC;
}

char *
ff_gps_source_describe (FfGpsSource *self)
{
  return FF_GPS_SOURCE_GET_CLASS (self)->describe (self);
}

/* Publishes @fix as one that arrived @age_seconds ago. */
static void
publish (FfGpsSource    *self,
         const FfGpsFix *fix,
         double          age_seconds)
{
  FfGpsSourcePrivate *priv = ff_gps_source_get_instance_private (self);
  FfGpsFixMode mode = fix->mode;
  FfGpsFixMode previous_mode = priv->mode;
  FfGpsFix previous = priv->fix;
  gint64 age_us = (gint64) (age_seconds * G_USEC_PER_SEC);

  if (mode >= FF_GPS_FIX_2D && !ff_geo_point_is_valid (&fix->position))
    mode = FF_GPS_FIX_NONE;

  g_object_freeze_notify (G_OBJECT (self));
  priv->mode = mode;
  if (mode >= FF_GPS_FIX_2D)
    {
      priv->fix = *fix;
      priv->fix.mode = mode;
      priv->fix.time = g_get_real_time () - age_us;
      priv->fix_received_us = g_get_monotonic_time () - age_us;
      if (previous.position.latitude != fix->position.latitude)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LATITUDE]);
      if (previous.position.longitude != fix->position.longitude)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LONGITUDE]);
      if (previous.status != fix->status)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIX_STATUS]);
    }
  if (previous_mode != mode)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIX_MODE]);
  g_object_thaw_notify (G_OBJECT (self));
  if (mode >= FF_GPS_FIX_2D)
    g_signal_emit (self, signals[SIGNAL_FIX], 0);
}

void
ff_gps_source_report (FfGpsSource    *self,
                      const FfGpsFix *fix)
{
  publish (self, fix, 0);
}

void
ff_gps_source_report_fix (FfGpsSource  *self,
                          FfGpsFixMode  mode,
                          double        latitude,
                          double        longitude)
{
  ff_gps_source_report_old_fix (self, mode, latitude, longitude, 0);
}

void
ff_gps_source_report_old_fix (FfGpsSource  *self,
                              FfGpsFixMode  mode,
                              double        latitude,
                              double        longitude,
                              double        age_seconds)
{
  FfGpsFix fix = {
    .mode = mode, .status = FF_GPS_STATUS_UNKNOWN, .position = { latitude, longitude },
    .accuracy_m = NAN,
  };

  publish (self, &fix, age_seconds);
}

void
ff_gps_source_report_connected (FfGpsSource *self,
                                gboolean     connected)
{
  FfGpsSourcePrivate *priv = ff_gps_source_get_instance_private (self);

  connected = !!connected;
  if (priv->connected == connected)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  priv->connected = connected;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  /* Without a receiver there is no current fix, whatever the last one said. */
  if (!connected)
    ff_gps_source_report_fix (self, FF_GPS_FIX_NOT_SEEN, 0, 0);
  g_object_thaw_notify (G_OBJECT (self));
}

GError *
ff_gps_source_explain_no_fix (FfGpsSource *self)
{
  g_autofree char *origin = ff_gps_source_describe (self);
  const char *refusal = ff_gps_source_get_refusal (self);
  FfGeoPoint position;

  if (refusal != NULL)
    return g_error_new (FF_GPS_ERROR, FF_GPS_ERROR_NO_FIX, _("No usable GPS fix from %s: %s."),
                        origin, refusal);
  if (ff_gps_source_get_position (self, &position))
    return g_error_new (FF_GPS_ERROR, FF_GPS_ERROR_NO_FIX,
                        _("No fresh GPS fix from %s: the last one is %.0f s old, more than %.0f s."),
                        origin, ff_gps_source_get_fix_age (self), FF_GPS_MAX_FIX_AGE_S);
  return g_error_new (FF_GPS_ERROR, FF_GPS_ERROR_NO_FIX, _("No GPS fix from %s."), origin);
}

/* The position of a fix recent enough to say where the tablet is. */
static gboolean
get_fresh_position (FfGpsSource *self,
                    FfGeoPoint  *position)
{
  return ff_gps_source_get_fix_age (self) <= FF_GPS_MAX_FIX_AGE_S
         && ff_gps_source_get_position (self, position);
}

typedef struct
{
  gboolean done;
  gulong   fix_id;
  guint    timeout_id;
  gulong   cancelled_id;
} WaitFix;

/* The first of fix, timeout and cancellation to arrive settles the task and drops the reference the
 * wait holds; the later ones find it done. */
static void
wait_fix_settle (GTask *task)
{
  FfGpsSource *self = g_task_get_source_object (task);
  WaitFix *wait = g_task_get_task_data (task);
  FfGeoPoint position;

  if (wait->done)
    return;
  wait->done = TRUE;
  g_clear_signal_handler (&wait->fix_id, self);
  g_clear_handle_id (&wait->timeout_id, g_source_remove);
  if (wait->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (task), wait->cancelled_id);
  wait->cancelled_id = 0;

  if (g_task_return_error_if_cancelled (task))
    ;
  else if (get_fresh_position (self, &position))
    g_task_return_pointer (task, g_memdup2 (&position, sizeof position), g_free);
  else
    g_task_return_error (task, ff_gps_source_explain_no_fix (self));
  g_object_unref (task);
}

static void
wait_fix_arrived (FfGpsSource *self,
                  GTask       *task)
{
  FfGeoPoint position;

  if (get_fresh_position (self, &position))
    wait_fix_settle (task);
}

static gboolean
wait_fix_timed_out (gpointer user_data)
{
  GTask *task = user_data;
  WaitFix *wait = g_task_get_task_data (task);

  wait->timeout_id = 0;
  wait_fix_settle (task);
  return G_SOURCE_REMOVE;
}

static gboolean
wait_fix_cancelled_idle (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;

  wait_fix_settle (task);
  return G_SOURCE_REMOVE;
}

static void
wait_fix_cancelled (GCancellable *cancellable,
                    GTask        *task)
{
  /* Runs inside g_cancellable_cancel(), where disconnecting would deadlock: settle from an idle. */
  g_idle_add (wait_fix_cancelled_idle, g_object_ref (task));
}

void
ff_gps_source_wait_fix_async (FfGpsSource         *self,
                              guint                timeout_seconds,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  WaitFix *wait = g_new0 (WaitFix, 1);
  FfGeoPoint position;

  g_task_set_source_tag (task, ff_gps_source_wait_fix_async);
  g_task_set_task_data (task, wait, g_free);
  if (get_fresh_position (self, &position))
    {
      wait_fix_settle (task);
      return;
    }
  wait->fix_id = g_signal_connect (self, "fix", G_CALLBACK (wait_fix_arrived), task);
  wait->timeout_id = g_timeout_add_seconds (timeout_seconds, wait_fix_timed_out, task);
  if (cancellable != NULL)
    wait->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (wait_fix_cancelled), task,
                                                NULL);
}

gboolean
ff_gps_source_wait_fix_finish (FfGpsSource   *self,
                               GAsyncResult  *result,
                               FfGeoPoint    *position,
                               GError       **error)
{
  g_autofree FfGeoPoint *found = g_task_propagate_pointer (G_TASK (result), error);

  if (found == NULL)
    return FALSE;
  if (position != NULL)
    *position = *found;
  return TRUE;
}
