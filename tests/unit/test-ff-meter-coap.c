/* test-ff-meter-coap.c: meter/'s download over real CoAP on 127.0.0.1: the platform's endpoint and
 * a meter's client install an app through a lossy link, and a download broken until the meter
 * sleeps resumes at its next wake without a packet being sent twice. */
#include <gio/gio.h>
#include <string.h>

#include "ff-meter-coap.h"
#include "test-meter-flash.h"

#define APP 2
#define IMAGE_MAX 8192

typedef struct
{
  TestFlash table_flash, progress_flash;
  FfMeterTransport transport;
  FfMeterScheduler scheduler;
  FfMeterDownload download;
  FfMeterCoapServer *server;
  FfMeterCoapClient *client;
  uint8_t staging[IMAGE_MAX];
  uint8_t slots[2][IMAGE_MAX];
  gboolean reported;
  FfMeterMessage report;
  guint wakes;
} Fixture;

static int
meter_send (void *user, const uint8_t *data, size_t len)
{
  return ff_meter_coap_client_send (((Fixture *) user)->client, data, len);
}

static int
meter_write_package (void *user, uint32_t offset, const uint8_t *data, size_t len)
{
  g_assert_cmpuint (offset + len, <=, IMAGE_MAX);
  memcpy (((Fixture *) user)->staging + offset, data, len);
  return 0;
}

/* A whole image, into the slot the running version does not use. */
static int
meter_apply (void *user, uint8_t kind, uint16_t app_id, uint32_t version, uint32_t package_size,
             uint32_t *slot, uint32_t *size)
{
  Fixture *f = user;

  g_assert_cmpuint (kind, ==, FFMETER_KIND_IMAGE);
  *slot = ffmeter_scheduler_find (&f->scheduler, app_id, 0)->slot ^ 1;
  *size = package_size;
  memcpy (f->slots[*slot], f->staging, package_size);
  return 0;
}

static void
on_report (const char *meter_id, const FfMeterMessage *report, gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_cmpstr (meter_id, ==, "M-7");
  f->reported = TRUE;
  f->report = *report;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  test_flash_init (&f->table_flash);
  test_flash_init (&f->progress_flash);
  f->transport = (FfMeterTransport) { meter_send, meter_write_package, meter_apply, f };
  ffmeter_scheduler_power_on (&f->scheduler, &f->table_flash.store, NULL);
  g_assert_cmpint (ffmeter_scheduler_download (&f->scheduler, APP, 1, 0, 0, 100), ==, FFMETER_OK);
  g_assert_cmpint (ffmeter_scheduler_command (&f->scheduler, FFMETER_OP_INSTALL, APP, 0), ==, 0);
  g_assert_cmpint (ffmeter_scheduler_command (&f->scheduler, FFMETER_OP_INIT, APP, 0), ==, 0);
  ffmeter_download_init (&f->download, &f->scheduler, &f->transport, &f->progress_flash.store);

  f->server = ff_meter_coap_server_new ("127.0.0.1", 0, &error);
  g_assert_no_error (error);
  ff_meter_coap_server_set_report_func (f->server, on_report, f);
  f->client = ff_meter_coap_client_new (&f->download, "M-7", "127.0.0.1",
                                        ff_meter_coap_server_get_port (f->server), 1000, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  ff_meter_coap_client_free (f->client);
  ff_meter_coap_server_free (f->server);
}

static GBytes *
offer_image (Fixture *f, gsize size)
{
  guint8 *image = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    image[i] = (guint8) (i * 31 + (i >> 7));
  g_autoptr(GBytes) bytes = g_bytes_new_take (image, size);
  ff_meter_coap_server_offer (f->server, APP, 2, FFMETER_KIND_IMAGE, FFMETER_APP_RESIDENT, bytes,
                              64);
  return g_steal_pointer (&bytes);
}

/* Runs the main context until stop() holds; a meter that went to sleep is woken, as its next cycle
 * would. */
static void
run_until (Fixture *f, gboolean (*stop) (Fixture *))
{
  while (!stop (f))
    {
      if (ffmeter_download_state (&f->download) == FFMETER_DOWNLOAD_SLEEPING)
        {
          f->wakes++;
          ffmeter_download_wake (&f->download);
          continue;
        }
      g_main_context_iteration (NULL, TRUE);
    }
}

/* The meter is done: the new version is installed and nothing is under way. */
static gboolean
installed (Fixture *f)
{
  return ffmeter_scheduler_installed_version (&f->scheduler, APP) == 2
         && ffmeter_download_state (&f->download) == FFMETER_DOWNLOAD_IDLE;
}

static gboolean
reported (Fixture *f)
{
  return f->reported;
}

static void
assert_installed (Fixture *f, GBytes *image)
{
  const FfMeterApp *app = ffmeter_scheduler_find (&f->scheduler, APP, 0);
  guint packets = (guint) ((g_bytes_get_size (image) + 63) / 64);

  g_assert_cmpuint (app->version, ==, 2);
  g_assert_cmpuint (app->flags, ==, FFMETER_APP_RESIDENT);
  g_assert_cmpmem (f->slots[app->slot], app->size, g_bytes_get_data (image, NULL),
                   g_bytes_get_size (image));
  /* Requests were lost, never answers: no packet crossed the air twice. */
  for (guint seq = 0; seq < packets; seq++)
    g_assert_cmpuint (ff_meter_coap_server_get_packet_count (f->server, APP, (guint16) seq), ==, 1);
}

static void
test_install_with_loss (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) image = offer_image (f, 2000);

  ff_meter_coap_client_set_loss (f->client, 0.2, 7);
  /* The poll itself may be lost: the meter asks again at its next cycle. */
  while (ffmeter_download_state (&f->download) == FFMETER_DOWNLOAD_IDLE)
    {
      ff_meter_coap_client_poll (f->client, APP);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  /* Its report may be lost too (the platform learns the version at the meter's next contact). */
  run_until (f, installed);
  assert_installed (f, image);
  g_assert_cmpuint (ff_meter_coap_client_get_bytes_received (f->client), >=, 2000);
}

/* A slow link: every answer reaches the meter 100 ms late, within its reply timeout, so the
 * download takes at least that long for each of its 33 answers and nothing is asked twice. */
static void
test_slow_link (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) image = offer_image (f, 2000);
  gint64 start = g_get_monotonic_time ();

  ff_meter_coap_client_set_delay (f->client, 100);
  ff_meter_coap_client_poll (f->client, APP);
  run_until (f, installed);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 33 * 100 * G_TIME_SPAN_MILLISECOND);
  assert_installed (f, image);
}

static gboolean
ten_packets_in (Fixture *f)
{
  return ffmeter_download_progress (&f->download)->next_seq >= 10;
}

static gboolean
sleeping (Fixture *f)
{
  return ffmeter_download_state (&f->download) == FFMETER_DOWNLOAD_SLEEPING;
}

static void
test_broken_download_resumes (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) image = offer_image (f, 3000);
  guint16 stored;

  ff_meter_coap_client_poll (f->client, APP);
  run_until (f, ten_packets_in);
  /* The link goes: three requests unanswered and the meter sleeps. */
  ff_meter_coap_client_set_loss (f->client, 1.0, 1);
  run_until (f, sleeping);
  stored = ffmeter_download_progress (&f->download)->next_seq;
  g_assert_cmpuint (stored, <, 47);
  /* The next cycle: the link is back, the meter resumes where it broke. */
  ff_meter_coap_client_set_loss (f->client, 0, 1);
  run_until (f, installed);
  g_assert_cmpuint (f->wakes, ==, 1);
  assert_installed (f, image);
  /* On a link that loses nothing its report reaches the platform. */
  run_until (f, reported);
  g_assert_cmpuint (f->report.status, ==, FFMETER_REPORT_READY);
  g_assert_cmpuint (f->report.version, ==, 2);
}

/* The platform's operations reach the meter at its next poll; uninstalling its running app is
 * refused until it is stopped. */
static void
test_commands (Fixture *f, gconstpointer data)
{
  static const struct { FfMeterOp op; FfMeterResult result; FfMeterAppState state; } steps[] = {
    { FFMETER_OP_UNINSTALL, FFMETER_ERROR_STOP_FIRST, FFMETER_APP_RUNNING },
    { FFMETER_OP_STOP, FFMETER_OK, FFMETER_APP_STOPPED },
    { FFMETER_OP_UNINSTALL, FFMETER_OK, FFMETER_APP_UNINSTALLED },
  };

  g_assert_cmpint (ffmeter_scheduler_command (&f->scheduler, FFMETER_OP_RUN, APP, 0), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      ff_meter_coap_server_command (f->server, "M-7", steps[i].op, APP, 0);
      f->reported = FALSE;
      ff_meter_coap_client_poll (f->client, APP);
      run_until (f, reported);
      g_assert_cmpuint (f->report.status, ==, FFMETER_REPORT_COMMAND);
      g_assert_cmpuint (f->report.detail, ==, steps[i].result);
      g_assert_cmpint (ffmeter_scheduler_find (&f->scheduler, APP, 0)->state, ==, steps[i].state);
    }
}

static void
test_bad_address (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (ff_meter_coap_server_new ("meter.example", 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/meter-coap/install-with-loss", Fixture, NULL, fixture_set_up,
              test_install_with_loss, fixture_tear_down);
  g_test_add ("/meter-coap/broken-download-resumes", Fixture, NULL, fixture_set_up,
              test_broken_download_resumes, fixture_tear_down);
  g_test_add ("/meter-coap/slow-link", Fixture, NULL, fixture_set_up, test_slow_link,
              fixture_tear_down);
  g_test_add ("/meter-coap/commands", Fixture, NULL, fixture_set_up, test_commands,
              fixture_tear_down);
  g_test_add_func ("/meter-coap/bad-address", test_bad_address);
  return g_test_run ();
}
