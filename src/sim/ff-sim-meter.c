/* ff-sim-meter.c: a simulated smart meter (ff-sim-meter.h). Its flash is a directory: the two
 * copies of the app table and of the download progress, the staging area and one file per image
 * slot. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "ff-delta.h"
#include "ff-meter-seal.h"
#include "ff-sim-error.h"
#include "ff-sim-meter.h"

#define SLOTS 4

typedef struct
{
  FfSimMeter *meter;
  const char *name;     /* "table" or "progress" */
} Area;

struct _FfSimMeter
{
  char *id;
  char *dir;
  guint16 app_id;
  FfMeterStore table_store, progress_store;
  Area table_area, progress_area;
  FfMeterTransport transport;
  FfMeterScheduler scheduler;
  FfMeterDownload download;
  FfMeterCoapClient *client;
  FfKey *platform_key;       /* packages must carry its seal; NULL: none is checked */
  guint wakeups;
  gint64 radio_on_since;     /* monotonic µs, 0 when off */
  guint64 received_at_wake;  /* bytes received before this cycle's wake-up */
  gint64 radio_on_us;
};

static char *
area_path (const Area *area, unsigned copy)
{
  g_autofree char *name = g_strdup_printf ("%s.%u", area->name, copy);

  return g_build_filename (area->meter->dir, name, NULL);
}

/* A copy that is missing or of another size reads as damaged, as erased flash would. */
static int
store_read (void *user, unsigned copy, uint8_t *buf, size_t len)
{
  g_autofree char *path = area_path (user, copy);
  g_autofree char *contents = NULL;
  gsize size;

  if (!g_file_get_contents (path, &contents, &size, NULL) || size != len)
    return -1;
  memcpy (buf, contents, len);
  return 0;
}

static int
store_write (void *user, unsigned copy, const uint8_t *buf, size_t len)
{
  g_autofree char *path = area_path (user, copy);

  return g_file_set_contents_full (path, (const char *) buf, (gssize) len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, NULL) ? 0 : -1;
}

static char *
meter_file (FfSimMeter *meter, const char *name)
{
  return g_build_filename (meter->dir, name, NULL);
}

static char *
slot_path (FfSimMeter *meter, guint32 slot)
{
  g_autofree char *name = g_strdup_printf ("slot-%u", slot);

  return meter_file (meter, name);
}

static int
meter_send (void *user, const uint8_t *data, size_t len)
{
  return ff_meter_coap_client_send (((FfSimMeter *) user)->client, data, len);
}

static int
meter_write_package (void *user, uint32_t offset, const uint8_t *data, size_t len)
{
  g_autofree char *path = meter_file (user, "staging");
  int fd = g_open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  gboolean ok;

  if (fd < 0)
    return -1;
  ok = pwrite (fd, data, len, offset) == (ssize_t) len && fsync (fd) == 0;
  return close (fd) == 0 && ok ? 0 : -1;
}

static GBytes *
read_file (const char *path, gsize limit)
{
  char *contents;
  gsize size;

  if (!g_file_get_contents (path, &contents, &size, NULL))
    return NULL;
  return g_bytes_new_take (contents, MIN (size, limit));
}

static gboolean
write_slot (FfSimMeter *meter, guint32 slot, GBytes *image, GError **error)
{
  g_autofree char *path = slot_path (meter, slot);

  return g_file_set_contents_full (path, g_bytes_get_data (image, NULL),
                                   (gssize) g_bytes_get_size (image),
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* A slot no row of the table names (so not the running version's). */
static guint32
free_slot (FfSimMeter *meter)
{
  for (guint32 slot = 0; slot < SLOTS; slot++)
    {
      gboolean used = FALSE;

      for (unsigned i = 0; i < FFMETER_MAX_APPS; i++)
        {
          const FfMeterApp *app = &meter->scheduler.apps[i];

          used |= app->state != FFMETER_APP_FREE && app->state != FFMETER_APP_UNINSTALLED
                  && app->slot == slot;
        }
      if (!used)
        return slot;
    }
  return G_MAXUINT32;
}

/* The image a sealed package makes must be the one the platform sealed. */
static gboolean
image_matches_seal (GBytes *image, gsize size, const char *sha256)
{
  g_autofree char *actual = ff_sha256_hex (g_bytes_get_data (image, NULL),
                                           g_bytes_get_size (image));

  return g_bytes_get_size (image) == size && g_str_equal (actual, sha256);
}

/* The firmware's apply step: with the platform's key, the package's seal is checked first (a
 * package it did not seal is never applied) and the payload before it used; a whole image as it
 * is, a patch through delta/'s patcher (with GLib's SHA-256, ff_delta_apply) from the running
 * version's slot; then the image is checked against the sealed digest and goes into a free slot. */
static int
meter_apply (void *user, uint8_t kind, uint16_t app_id, uint32_t version, uint32_t package_size,
             uint32_t *slot, uint32_t *size)
{
  FfSimMeter *meter = user;
  g_autofree char *staging_path = meter_file (meter, "staging");
  g_autoptr(GBytes) package = read_file (staging_path, package_size);
  g_autoptr(GBytes) image = NULL;
  g_autofree char *sealed_sha256 = NULL;
  gsize sealed_size = 0;
  guint32 new_slot = free_slot (meter);

  if (!package || g_bytes_get_size (package) != package_size || new_slot == G_MAXUINT32)
    return -1;
  if (meter->platform_key)
    {
      g_autoptr(GBytes) payload = ff_meter_unseal (meter->platform_key, package, app_id, version,
                                                   &sealed_size, &sealed_sha256, NULL);

      if (!payload)
        return -1;
      g_bytes_unref (package);
      package = g_steal_pointer (&payload);
    }
  if (kind == FFMETER_KIND_IMAGE)
    image = g_bytes_ref (package);
  else
    {
      const FfMeterApp *current = ffmeter_scheduler_find (&meter->scheduler, app_id, 0);
      g_autofree char *old_path = current ? slot_path (meter, current->slot) : NULL;
      g_autoptr(GBytes) old = old_path ? read_file (old_path, current->size) : NULL;

      if (!old || !(image = ff_delta_apply (old, package, NULL)))
        return -1;
    }
  if ((sealed_sha256 && !image_matches_seal (image, sealed_size, sealed_sha256))
      || !write_slot (meter, new_slot, image, NULL))
    return -1;
  *slot = new_slot;
  *size = (uint32_t) g_bytes_get_size (image);
  return 0;
}

/* A new meter leaves the factory with its app installed and running. */
static gboolean
install_factory_app (FfSimMeter *meter, guint32 version, GBytes *image, GError **error)
{
  guint32 size = (guint32) g_bytes_get_size (image);
  FfMeterResult result;

  if (!write_slot (meter, 0, image, error))
    return FALSE;
  result = ffmeter_scheduler_download (&meter->scheduler, meter->app_id, version,
                                       FFMETER_APP_RESIDENT, 0, size);
  if (result == FFMETER_OK)
    result = ffmeter_scheduler_command (&meter->scheduler, FFMETER_OP_INSTALL, meter->app_id, 0);
  if (result == FFMETER_OK)
    result = ffmeter_scheduler_command (&meter->scheduler, FFMETER_OP_INIT, meter->app_id, 0);
  if (result != FFMETER_OK)
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_STATE, _("Meter %s: %s"), meter->id,
                   ffmeter_strerror (result));
      return FALSE;
    }
  return TRUE;
}

FfSimMeter *
ff_sim_meter_open (const char *id, const char *dir, const FfSimMeterLink *link, guint16 app_id,
                   guint32 version, GBytes *image, GError **error)
{
  g_autoptr(FfSimMeter) meter = g_new0 (FfSimMeter, 1);

  meter->id = g_strdup (id);
  meter->dir = g_strdup (dir);
  meter->app_id = app_id;
  meter->platform_key = link->platform_key ? ff_key_ref (link->platform_key) : NULL;
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_STATE, _("Cannot create %s: %s"), dir,
                   g_strerror (saved));
      return NULL;
    }
  meter->table_area = (Area) { meter, "table" };
  meter->progress_area = (Area) { meter, "progress" };
  meter->table_store = (FfMeterStore) { store_read, store_write, &meter->table_area };
  meter->progress_store = (FfMeterStore) { store_read, store_write, &meter->progress_area };
  meter->transport = (FfMeterTransport) { meter_send, meter_write_package, meter_apply, meter };
  if (ffmeter_scheduler_power_on (&meter->scheduler, &meter->table_store, NULL)
      == FFMETER_POWER_ON_WAITING
      && !install_factory_app (meter, version, image, error))
    return NULL;
  ffmeter_download_init (&meter->download, &meter->scheduler, &meter->transport,
                         &meter->progress_store);
  meter->client = ff_meter_coap_client_new_psk (&meter->download, id, link->platform_address,
                                                link->platform_port, link->reply_timeout_ms,
                                                link->psk, error);
  if (!meter->client)
    return NULL;
  ff_meter_coap_client_set_loss (meter->client, link->loss, link->seed);
  ff_meter_coap_client_set_delay (meter->client, link->delay_ms);
  if (link->block_size)
    ff_meter_coap_client_set_block_size (meter->client, link->block_size);
  ff_sim_meter_settle (meter, FALSE);   /* power-on made the app ready: it runs */
  return g_steal_pointer (&meter);
}

void
ff_sim_meter_free (FfSimMeter *meter)
{
  if (!meter)
    return;
  ff_meter_coap_client_free (meter->client);
  g_clear_pointer (&meter->platform_key, ff_key_unref);
  g_free (meter->id);
  g_free (meter->dir);
  g_free (meter);
}

void
ff_sim_meter_wake (FfSimMeter *meter)
{
  meter->wakeups++;
  meter->radio_on_since = g_get_monotonic_time ();
  meter->received_at_wake = ff_meter_coap_client_get_bytes_received (meter->client);
  if (ffmeter_download_progress (&meter->download)->active)
    ffmeter_download_wake (&meter->download);
  else
    ff_meter_coap_client_poll (meter->client, meter->app_id);
}

/* A poll's wait is the meter's too: over DTLS the handshake can take longer than the cycle's
 * window, and the meter does not sleep before its answer or its reply timer's end. */
gboolean
ff_sim_meter_busy (FfSimMeter *meter)
{
  return ffmeter_download_state (&meter->download) == FFMETER_DOWNLOAD_RECEIVING
         || ff_meter_coap_client_waiting (meter->client);
}

void
ff_sim_meter_settle (FfSimMeter *meter, gboolean listening)
{
  const FfMeterApp *app = ffmeter_scheduler_find (&meter->scheduler, meter->app_id, 0);
  gboolean answered = ff_meter_coap_client_get_bytes_received (meter->client)
                      > meter->received_at_wake;

  if (ff_sim_meter_busy (meter) || (listening && !answered))
    return;
  if (meter->radio_on_since)
    {
      meter->radio_on_us += g_get_monotonic_time () - meter->radio_on_since;
      meter->radio_on_since = 0;
    }
  if (app && app->state == FFMETER_APP_READY)
    (void) ffmeter_scheduler_command (&meter->scheduler, FFMETER_OP_RUN, meter->app_id, 0);
}

static const char *
state_name (guint8 state)
{
  static const char *names[] = { "free", "downloaded", "installed", "ready", "running",
                                 "stopped", "uninstalled" };

  return state < G_N_ELEMENTS (names) ? names[state] : "?";
}

char *
ff_sim_meter_describe (FfSimMeter *meter)
{
  const FfMeterApp *app = ffmeter_scheduler_find (&meter->scheduler, meter->app_id, 0);

  return g_strdup_printf ("%s: app %u version %u %s; sent %" G_GUINT64_FORMAT " B, received %"
                          G_GUINT64_FORMAT " B, wake-ups %u, radio on %" G_GINT64_FORMAT " ms, "
                          "refused %u, unanswered %u",
                          meter->id, meter->app_id, app ? app->version : 0,
                          app ? state_name (app->state) : "absent",
                          ff_meter_coap_client_get_bytes_sent (meter->client),
                          ff_meter_coap_client_get_bytes_received (meter->client),
                          meter->wakeups, meter->radio_on_us / 1000,
                          ff_meter_coap_client_get_refusals (meter->client),
                          ff_meter_coap_client_get_timeouts (meter->client));
}
