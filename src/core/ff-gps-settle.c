/* Identify's settling period: consecutive accepted GPS fixes collected for a while and judged by
 * their median, because a receiver's first fixes after acquisition wander. */
#include "config.h"

#include "ff-gps-settle.h"

#include <glib/gi18n-lib.h>
#include <math.h>

struct _FfGpsSettle
{
  GObject      parent_instance;

  FfGpsSource *source;
  double       settle_seconds;
  GArray      *fixes;          /* of FfGpsFix: the current run of consecutive accepted fixes */
  gint64       first_us;       /* monotonic arrival of the run's first and last fix */
  gint64       last_us;
  char        *broken;         /* why the run last started over, for a timeout to say */
  guint        timeout_seconds;

  GTask       *task;           /* the run in progress */
  gulong       fix_id;
  gulong       mode_id;
  guint        timeout_id;
  GSource     *cancelled_source;
};

G_DEFINE_FINAL_TYPE (FfGpsSettle, ff_gps_settle, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median_of (double *values,
           guint   n)
{
  qsort (values, n, sizeof *values, compare_doubles);
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* @degrees in [-180, 180]. */
static double
wrap_degrees (double degrees)
{
  if (degrees > 180.0)
    return degrees - 360.0;
  if (degrees < -180.0)
    return degrees + 360.0;
  return degrees;
}

void
ff_gps_fixes_median (const FfGpsFix *fixes,
                     guint           n_fixes,
                     FfGeoPoint     *median)
{
  g_autofree double *latitudes = g_new (double, n_fixes);
  g_autofree double *longitudes = g_new (double, n_fixes);

  g_return_if_fail (n_fixes > 0);
  /* Longitudes as offsets from the first fix's, so that fixes either side of the antimeridian
   * stay neighbours (179.9999° and -179.9999° would otherwise average to 0°). */
  for (guint i = 0; i < n_fixes; i++)
    {
      latitudes[i] = fixes[i].position.latitude;
      longitudes[i] = wrap_degrees (fixes[i].position.longitude - fixes[0].position.longitude);
    }
  median->latitude = median_of (latitudes, n_fixes);
  median->longitude = wrap_degrees (fixes[0].position.longitude + median_of (longitudes, n_fixes));
}

GVariant *
ff_gps_fixes_to_variant (const FfGpsFix *fixes,
                         guint           n_fixes)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(xiiddd)"));
  /* -1 for an accuracy not reported: GVariant's text form has no NAN. */
  for (guint i = 0; i < n_fixes; i++)
    g_variant_builder_add (&builder, "(xiiddd)", fixes[i].time, fixes[i].mode, fixes[i].status,
                           fixes[i].position.latitude, fixes[i].position.longitude,
                           isfinite (fixes[i].accuracy_m) ? fixes[i].accuracy_m : -1);
  return g_variant_builder_end (&builder);
}

GArray *
ff_gps_fixes_from_variant (GVariant *variant)
{
  GArray *fixes = g_array_new (FALSE, FALSE, sizeof (FfGpsFix));
  GVariantIter iter;
  FfGpsFix fix;
  int mode, status;

  if (variant == NULL || !g_variant_is_of_type (variant, G_VARIANT_TYPE ("a(xiiddd)")))
    return fixes;
  g_variant_iter_init (&iter, variant);
  while (g_variant_iter_next (&iter, "(xiiddd)", &fix.time, &mode, &status,
                              &fix.position.latitude, &fix.position.longitude, &fix.accuracy_m))
    {
      fix.mode = mode;
      fix.status = status;
      if (fix.accuracy_m < 0)
        fix.accuracy_m = NAN;
      g_array_append_val (fixes, fix);
    }
  return fixes;
}

static void
start_over (FfGpsSettle *self,
            char        *reason)
{
  g_debug ("settling starts over after %u fixes: %s", self->fixes->len, reason);
  g_free (self->broken);
  self->broken = reason;
  if (self->fixes->len == 0)
    return;
  g_array_set_size (self->fixes, 0);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static gboolean
is_settled (FfGpsSettle *self)
{
  if (FF_GPS_SOURCE_GET_CLASS (self->source)->steady)
    return self->fixes->len > 0;
  return self->fixes->len >= FF_GPS_SETTLE_MIN_FIXES
         && self->last_us - self->first_us >= self->settle_seconds * G_USEC_PER_SEC;
}

static void
finish (FfGpsSettle *self,
        GError      *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);
  FfGeoPoint *median;

  g_clear_signal_handler (&self->fix_id, self->source);
  g_clear_signal_handler (&self->mode_id, self->source);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->cancelled_source != NULL)
    g_source_destroy (self->cancelled_source);
  g_clear_pointer (&self->cancelled_source, g_source_unref);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  median = g_new (FfGeoPoint, 1);
  ff_gps_fixes_median ((const FfGpsFix *) self->fixes->data, self->fixes->len, median);
  g_task_return_pointer (task, median, g_free);
}

static void
fix_arrived (FfGpsSource *source,
             FfGpsSettle *self)
{
  gint64 now = g_get_monotonic_time ();
  const char *refusal;
  FfGpsFix fix;

  if (!ff_gps_source_get_fix (source, &fix))
    return;
  refusal = ff_gps_fix_status_refusal (fix.status);
  if (refusal != NULL)
    {
      start_over (self, g_strdup (refusal));
      return;
    }
  if (isfinite (fix.accuracy_m) && fix.accuracy_m > FF_GPS_SETTLE_MAX_ACCURACY_M)
    {
      start_over (self, g_strdup_printf (_("a fix was accurate to %.0f m only, more than %.0f m"),
                                         fix.accuracy_m, FF_GPS_SETTLE_MAX_ACCURACY_M));
      return;
    }
  if (self->fixes->len > 0 && now - self->last_us > FF_GPS_SETTLE_MAX_GAP_S * G_USEC_PER_SEC)
    start_over (self, g_strdup_printf (_("the fixes stopped for %.0f s"),
                                       (now - self->last_us) / (double) G_USEC_PER_SEC));
  if (self->fixes->len == 0)
    self->first_us = now;
  self->last_us = now;
  g_array_append_val (self->fixes, fix);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  if (self->task != NULL && is_settled (self))
    finish (self, NULL);
}

static void
mode_changed (FfGpsSource *source,
              GParamSpec  *pspec,
              FfGpsSettle *self)
{
  if (ff_gps_source_get_fix_mode (source) < FF_GPS_FIX_2D)
    start_over (self, g_strdup (_("the receiver lost its fix")));
}

static gboolean
timed_out (gpointer user_data)
{
  FfGpsSettle *self = user_data;
  FfGeoPoint position;
  g_autofree char *origin = NULL;

  self->timeout_id = 0;
  /* No accepted fresh fix at all: the source says why (none, refused, stale). */
  if (!ff_gps_source_get_position (self->source, &position)
      || ff_gps_source_get_fix_age (self->source) > FF_GPS_MAX_FIX_AGE_S)
    {
      finish (self, ff_gps_source_explain_no_fix (self->source));
      return G_SOURCE_REMOVE;
    }
  origin = ff_gps_source_describe (self->source);
  finish (self, g_error_new (FF_GPS_ERROR, FF_GPS_ERROR_NO_FIX,
                             _("The GPS fix from %s did not settle within %u s: %s."), origin,
                             self->timeout_seconds,
                             self->broken != NULL ? self->broken
                                                  : _("too few consecutive fixes")));
  return G_SOURCE_REMOVE;
}

static gboolean
cancelled (GCancellable *cancellable,
           gpointer      user_data)
{
  FfGpsSettle *self = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  finish (self, error);
  return G_SOURCE_REMOVE;
}

static void
steady_fix (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(FfGpsSettle) self = user_data;
  GError *error = NULL;
  FfGpsFix fix;

  if (!ff_gps_source_wait_fix_finish (self->source, result, NULL, &error))
    {
      finish (self, error);
      return;
    }
  ff_gps_source_get_fix (self->source, &fix);
  g_array_append_val (self->fixes, fix);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  finish (self, NULL);
}

void
ff_gps_settle_run_async (FfGpsSettle         *self,
                         guint                timeout_seconds,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (self->task == NULL);
  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, ff_gps_settle_run_async);
  self->timeout_seconds = timeout_seconds;
  /* A steady source's fix is as good as it gets: the plain fresh-fix check. */
  if (FF_GPS_SOURCE_GET_CLASS (self->source)->steady)
    {
      ff_gps_source_wait_fix_async (self->source, timeout_seconds, cancellable, steady_fix,
                                    g_object_ref (self));
      return;
    }
  /* Only fixes that arrive from now on: the period is measured, not remembered. */
  self->fix_id = g_signal_connect (self->source, "fix", G_CALLBACK (fix_arrived), self);
  self->mode_id = g_signal_connect (self->source, "notify::fix-mode", G_CALLBACK (mode_changed),
                                    self);
  self->timeout_id = g_timeout_add_seconds (timeout_seconds, timed_out, self);
  if (cancellable != NULL)
    {
      self->cancelled_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancelled_source, G_SOURCE_FUNC (cancelled), self, NULL);
      g_source_attach (self->cancelled_source, g_main_context_get_thread_default ());
    }
}

gboolean
ff_gps_settle_run_finish (FfGpsSettle   *self,
                          GAsyncResult  *result,
                          FfGeoPoint    *median,
                          GError       **error)
{
  g_autofree FfGeoPoint *found = g_task_propagate_pointer (G_TASK (result), error);

  if (found == NULL)
    return FALSE;
  if (median != NULL)
    *median = *found;
  return TRUE;
}

const FfGpsFix *
ff_gps_settle_get_fixes (FfGpsSettle *self,
                         guint       *n_fixes)
{
  *n_fixes = self->fixes->len;
  return (const FfGpsFix *) self->fixes->data;
}

double
ff_gps_settle_get_progress (FfGpsSettle *self)
{
  if (is_settled (self))
    return 1;
  if (self->fixes->len == 0 || self->settle_seconds <= 0)
    return 0;
  return MIN (0.99, (self->last_us - self->first_us) / (self->settle_seconds * G_USEC_PER_SEC));
}

static void
ff_gps_settle_dispose (GObject *object)
{
  FfGpsSettle *self = FF_GPS_SETTLE (object);

  /* A run holds a reference through its task, so none is in progress here. */
  g_clear_object (&self->source);
  G_OBJECT_CLASS (ff_gps_settle_parent_class)->dispose (object);
}

static void
ff_gps_settle_finalize (GObject *object)
{
  FfGpsSettle *self = FF_GPS_SETTLE (object);

  g_array_unref (self->fixes);
  g_free (self->broken);
  G_OBJECT_CLASS (ff_gps_settle_parent_class)->finalize (object);
}

static void
ff_gps_settle_class_init (FfGpsSettleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ff_gps_settle_dispose;
  object_class->finalize = ff_gps_settle_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ff_gps_settle_init (FfGpsSettle *self)
{
  self->fixes = g_array_new (FALSE, FALSE, sizeof (FfGpsFix));
}

FfGpsSettle *
ff_gps_settle_new (FfGpsSource *source,
                   double       settle_seconds)
{
  FfGpsSettle *self = g_object_new (FF_TYPE_GPS_SETTLE, NULL);

  self->source = g_object_ref (source);
  self->settle_seconds = settle_seconds;
  return self;
}
