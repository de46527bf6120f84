/* Position from gpsd through libgps: non-blocking reads in the main loop, reconnection when gpsd
 * restarts. */
#include "config.h"

#include "ff-gpsd-source.h"

#include "ff-address.h"

#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <gps.h>
#include <math.h>

#define RECONNECT_FIRST_MS 200
#define RECONNECT_MAX_MS   5000

struct _FfGpsdSource
{
  FfGpsSource        parent_instance;

  char              *host;
  char              *port;
  struct gps_data_t *gps;           /* NULL while not connected */
  guint              watch_id;
  guint              reconnect_id;
  guint              reconnect_delay_ms;
  GCancellable      *cancellable;   /* the connect attempt in flight */
};

G_DEFINE_FINAL_TYPE (FfGpsdSource, ff_gpsd_source, FF_TYPE_GPS_SOURCE)

static void start_connect (FfGpsdSource *self);

static void
free_gps (struct gps_data_t *gps)
{
  gps_close (gps);
  g_free (gps);
}

static void
close_connection (FfGpsdSource *self)
{
  g_clear_handle_id (&self->watch_id, g_source_remove);
  g_clear_pointer (&self->gps, free_gps);
}

static gboolean
reconnect_due (gpointer user_data)
{
  FfGpsdSource *self = user_data;

  self->reconnect_id = 0;
  start_connect (self);
  return G_SOURCE_REMOVE;
}

/* gpsd restarts (a receiver replugged, a service restart) are routine in the field; keep trying
 * with a growing pause so a dead gpsd costs nothing. */
static void
schedule_reconnect (FfGpsdSource *self)
{
  close_connection (self);
  ff_gps_source_report_connected (FF_GPS_SOURCE (self), FALSE);
  self->reconnect_id = g_timeout_add (self->reconnect_delay_ms, reconnect_due, self);
  self->reconnect_delay_ms = MIN (self->reconnect_delay_ms * 2, RECONNECT_MAX_MS);
}

/* One report read: only a TPV carries a position (MODE_SET). libgps leaves gps->set as the last
 * report left it, so gpsd_readable() clears it before each read; otherwise every SKY or DEVICE
 * report would publish the last TPV's position again as if it had just arrived. */
static void
publish (FfGpsdSource *self)
{
  struct gps_data_t *gps = self->gps;
  FfGpsFix fix = {
    .mode = gps->fix.mode,
    /* gpsd's JSON leaves "status" out for a plain fix; libgps then reads 0, "unknown". */
    .status = (gps->set & STATUS_SET) ? gps->fix.status : FF_GPS_STATUS_UNKNOWN,
    .position = { gps->fix.latitude, gps->fix.longitude },
    /* libgps sets no HERR_SET for a TPV's eph; a TPV without one reads NAN. */
    .accuracy_m = isfinite (gps->fix.eph) ? gps->fix.eph : NAN,
  };

  if (!(gps->set & MODE_SET))
    return;
  if (gps->fix.mode >= MODE_2D && !(gps->set & LATLON_SET))
    return;
  if (fix.mode < FF_GPS_FIX_2D)
    fix.position = (FfGeoPoint) { 0, 0 };
  if (fix.status > FF_GPS_STATUS_PPS)
    fix.status = FF_GPS_STATUS_UNKNOWN;
  ff_gps_source_report (FF_GPS_SOURCE (self), &fix);
}

static gboolean
gpsd_readable (int          fd,
               GIOCondition condition,
               gpointer     user_data)
{
  FfGpsdSource *self = user_data;

  /* Drain everything already received: libgps buffers whole lines, so more reports may be waiting
   * inside it without the socket becoming readable again. gps_waiting() checks both. */
  while (gps_waiting (self->gps, 0))
    {
      self->gps->set = 0;
      if (gps_read (self->gps, NULL, 0) < 0)
        {
          g_debug ("gpsd at %s:%s went away", self->host, self->port);
          self->watch_id = 0;
          schedule_reconnect (self);
          return G_SOURCE_REMOVE;
        }
      publish (self);
    }
  if (condition & (G_IO_HUP | G_IO_ERR))
    {
      self->watch_id = 0;
      schedule_reconnect (self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  char *host;
  char *port;
} Address;

static void
address_free (Address *address)
{
  g_free (address->host);
  g_free (address->port);
  g_free (address);
}

/* gps_open() connects with a blocking connect(); keep it off the main loop. */
static void
connect_in_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Address *address = task_data;
  struct gps_data_t *gps = g_new0 (struct gps_data_t, 1);

  if (gps_open (address->host, address->port, gps) != 0)
    {
      g_free (gps);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                               _("Cannot connect to gpsd at %s:%s."), address->host, address->port);
      return;
    }
  if (gps_stream (gps, WATCH_ENABLE | WATCH_JSON, NULL) != 0)
    {
      free_gps (gps);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                               _("gpsd at %s:%s did not accept the watch request."),
                               address->host, address->port);
      return;
    }
  g_task_return_pointer (task, gps, (GDestroyNotify) free_gps);
}

static void
connect_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  FfGpsdSource *self = FF_GPSD_SOURCE (object);
  g_autoptr(GError) error = NULL;
  struct gps_data_t *gps = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_pointer (&gps, free_gps);
      return;
    }
  g_clear_object (&self->cancellable);
  if (gps == NULL)
    {
      g_debug ("%s", error->message);
      schedule_reconnect (self);
      return;
    }
  self->gps = gps;
  self->reconnect_delay_ms = RECONNECT_FIRST_MS;
  self->watch_id = g_unix_fd_add (gps->gps_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, gpsd_readable, self);
  ff_gps_source_report_connected (FF_GPS_SOURCE (self), TRUE);
}

static void
start_connect (FfGpsdSource *self)
{
  g_autoptr(GTask) task = NULL;
  Address *address = g_new0 (Address, 1);

  address->host = g_strdup (self->host);
  address->port = g_strdup (self->port);
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, connect_done, NULL);
  g_task_set_source_tag (task, start_connect);
  g_task_set_task_data (task, address, (GDestroyNotify) address_free);
  /* A connect result that arrives after cancellation still carries an open gps_data_t: free it. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, connect_in_thread);
}

static char *
ff_gpsd_source_describe (FfGpsSource *source)
{
  FfGpsdSource *self = FF_GPSD_SOURCE (source);

  return g_strdup_printf (_("gpsd at %s:%s"), self->host, self->port);
}

static void
ff_gpsd_source_dispose (GObject *object)
{
  FfGpsdSource *self = FF_GPSD_SOURCE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  close_connection (self);
  G_OBJECT_CLASS (ff_gpsd_source_parent_class)->dispose (object);
}

static void
ff_gpsd_source_finalize (GObject *object)
{
  FfGpsdSource *self = FF_GPSD_SOURCE (object);

  g_free (self->host);
  g_free (self->port);
  G_OBJECT_CLASS (ff_gpsd_source_parent_class)->finalize (object);
}

static void
ff_gpsd_source_class_init (FfGpsdSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ff_gpsd_source_dispose;
  object_class->finalize = ff_gpsd_source_finalize;
  FF_GPS_SOURCE_CLASS (klass)->describe = ff_gpsd_source_describe;
}

static void
ff_gpsd_source_init (FfGpsdSource *self)
{
  self->reconnect_delay_ms = RECONNECT_FIRST_MS;
}

/* Starts connecting at once; watch the "connected" and "fix-mode" properties. */
FfGpsdSource *
ff_gpsd_source_new (const char *host,
                    const char *port)
{
  FfGpsdSource *self = g_object_new (FF_TYPE_GPSD_SOURCE, NULL);

  self->host = g_strdup (host);
  self->port = g_strdup (port);
  start_connect (self);
  return self;
}

/* "HOST:PORT", "[IPv6]:PORT" or "HOST" (gpsd's port 2947). */
gboolean
ff_gpsd_source_parse_address (const char  *address,
                              char       **host,
                              char       **port,
                              GError     **error)
{
  guint16 number;

  if (!ff_address_parse (address, 2947, host, &number, NULL))
    {
      g_set_error (error, FF_GPS_ERROR, FF_GPS_ERROR_BAD_ADDRESS,
                   _("“%s” is not a gpsd address (HOST:PORT)."), address);
      return FALSE;
    }
  *port = g_strdup_printf ("%u", number);
  return TRUE;
}
