/* test-ff-meter-coap.c: meter/'s download over real CoAP on 127.0.0.1: the platform's endpoint and
 * a meter's client install an app through a lossy link, and a download broken until the meter
 * sleeps resumes at its next wake without a packet being sent twice. */
#include <coap3/coap.h>
#include <gio/gio.h>
#include <string.h>

#include "ff-delta.h"
#include "ff-meter-coap.h"
#include "ff-test-fixtures.h"
#include "ff-test-udp-relay.h"
#include "test-meter-flash.h"

#define APP 2
#define IMAGE_MAX 8192
#define BLOCK 64
#define PACKET FFMETER_BLOCK_PACKET_DATA (BLOCK)
#define MAX_WAKES 10   /* a download that needs more cycles is stuck */

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
  guint polls;             /* seen by the platform */
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

/* A whole image, or the image an ffdelta1 patch makes of the running one, into the slot the
 * running version does not use. */
static int
meter_apply (void *user, uint8_t kind, uint16_t app_id, uint32_t version, uint32_t package_size,
             uint32_t *slot, uint32_t *size)
{
  Fixture *f = user;
  const FfMeterApp *running = ffmeter_scheduler_find (&f->scheduler, app_id, 0);
  g_autoptr(GBytes) image = NULL;

  *slot = running->slot ^ 1;
  if (kind == FFMETER_KIND_IMAGE)
    image = g_bytes_new (f->staging, package_size);
  else
    {
      g_autoptr(GBytes) old = g_bytes_new (f->slots[running->slot], running->size);
      g_autoptr(GBytes) patch = g_bytes_new (f->staging, package_size);

      if (!(image = ff_delta_apply (old, patch, NULL)))
        return -1;
    }
  *size = (uint32_t) g_bytes_get_size (image);
  g_assert_cmpuint (*size, <=, IMAGE_MAX);
  memcpy (f->slots[*slot], g_bytes_get_data (image, NULL), *size);
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
  ff_meter_coap_client_set_block_size (f->client, BLOCK);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  ff_meter_coap_client_free (f->client);
  ff_meter_coap_server_free (f->server);
}

static GBytes *
make_image (gsize size)
{
  guint8 *image = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    image[i] = (guint8) (i * 31 + (i >> 7));
  return g_bytes_new_take (image, size);
}

static GBytes *
offer_image (Fixture *f, gsize size)
{
  GBytes *image = make_image (size);

  ff_meter_coap_server_offer (f->server, APP, 2, FFMETER_KIND_IMAGE, FFMETER_APP_RESIDENT, image);
  return image;
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
          g_assert_cmpuint (++f->wakes, <=, MAX_WAKES);
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
assert_installed_blocks (Fixture *f, GBytes *image, guint block)
{
  const FfMeterApp *app = ffmeter_scheduler_find (&f->scheduler, APP, 0);
  guint packet = FFMETER_BLOCK_PACKET_DATA (block);
  guint packets = (guint) ((g_bytes_get_size (image) + packet - 1) / packet);

  g_assert_cmpuint (app->version, ==, 2);
  g_assert_cmpuint (app->flags, ==, FFMETER_APP_RESIDENT);
  g_assert_cmpmem (f->slots[app->slot], app->size, g_bytes_get_data (image, NULL),
                   g_bytes_get_size (image));
  /* Requests were lost, never answers: no packet crossed the air twice. */
  for (guint seq = 0; seq < packets; seq++)
    g_assert_cmpuint (ff_meter_coap_server_get_packet_count (f->server, APP, block, (guint16) seq),
                      ==, 1);
}

static void
assert_installed (Fixture *f, GBytes *image)
{
  assert_installed_blocks (f, image, BLOCK);
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
 * download takes at least that long for each of its answers (the start and 37 packets) and nothing
 * is asked twice. */
static void
test_slow_link (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) image = offer_image (f, 2000);
  gint64 start = g_get_monotonic_time ();

  ff_meter_coap_client_set_delay (f->client, 100);
  ff_meter_coap_client_poll (f->client, APP);
  run_until (f, installed);
  g_assert_cmpint (g_get_monotonic_time () - start, >=,
                   (1 + (2000 + PACKET - 1) / PACKET) * 100 * G_TIME_SPAN_MILLISECOND);
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
  g_assert_cmpuint (stored, <, (3000 + PACKET - 1) / PACKET);
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

/* The platform's offer changes while a meter's download is broken off: the same version as a
 * patch instead of the image, or as the image instead of a patch. The meter resumes, notices the
 * change at its first request (the package's ETag), fetches the new package from block 0, each
 * block once, and installs the version: no BAD_CHECKSUM, no block of the new package wasted. */
static void
assert_switch_while_broken (Fixture *f, FfMeterPackageKind first_kind, GBytes *first,
                            FfMeterPackageKind second_kind, GBytes *second, GBytes *image)
{
  guint packets = (guint) ((g_bytes_get_size (second) + PACKET - 1) / PACKET);
  const FfMeterApp *app;

  ff_meter_coap_server_offer (f->server, APP, 2, first_kind, FFMETER_APP_RESIDENT, first);
  ff_meter_coap_client_poll (f->client, APP);
  run_until (f, ten_packets_in);
  ff_meter_coap_client_set_loss (f->client, 1.0, 1);
  run_until (f, sleeping);
  /* The offer this meter's next wake-up finds replaces the one whose blocks it holds. */
  ff_meter_coap_server_offer (f->server, APP, 2, second_kind, FFMETER_APP_RESIDENT, second);
  ff_meter_coap_client_set_loss (f->client, 0, 1);
  run_until (f, reported);
  g_assert_cmpuint (f->report.status, ==, FFMETER_REPORT_READY);
  g_assert_cmpuint (f->wakes, ==, 1);
  app = ffmeter_scheduler_find (&f->scheduler, APP, 0);
  g_assert_cmpuint (app->version, ==, 2);
  g_assert_cmpmem (f->slots[app->slot], app->size, g_bytes_get_data (image, NULL),
                   g_bytes_get_size (image));
  /* Every block sent after the switch is one of the new package's, each sent once. */
  for (guint seq = 0; seq < packets; seq++)
    g_assert_cmpuint (ff_meter_coap_server_get_packet_count (f->server, APP, BLOCK, (guint16) seq),
                      ==, 1);
}

/* The running version 1 (100 bytes of zeros) and its patch to the image of version 2. */
static GBytes *
make_patch (GBytes *image)
{
  g_autoptr(GBytes) old = g_bytes_new_take (g_malloc0 (100), 100);
  g_autoptr(GError) error = NULL;
  GBytes *patch = ff_delta_make (old, image, &error);

  g_assert_no_error (error);
  return patch;
}

static void
test_image_switched_to_patch (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) image = make_image (3000);
  g_autoptr(GBytes) patch = make_patch (image);

  assert_switch_while_broken (f, FFMETER_KIND_IMAGE, image, FFMETER_KIND_FFDELTA1, patch, image);
}

static void
test_patch_switched_to_image (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) image = make_image (3000);
  g_autoptr(GBytes) patch = make_patch (image);

  assert_switch_while_broken (f, FFMETER_KIND_FFDELTA1, patch, FFMETER_KIND_IMAGE, image, image);
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

/* ---- On the wire: a UDP relay between the meter and the platform parses every datagram with
 * libcoap and keeps each one's Block2 option. */

typedef struct
{
  gboolean request;        /* meter → platform */
  char path[16];           /* Uri-Path after "ffm/" ("" for ffm itself) */
  gboolean has_block;
  coap_block_t block;
  guint8 if_match[FFMETER_ETAG_SIZE], etag[FFMETER_ETAG_SIZE];   /* the options, when there */
  gsize if_match_len, etag_len;
  guint8 payload[FFMETER_PACKET_OVERHEAD + FFMETER_MAX_PACKET_DATA];
  gsize payload_len;
} WireMessage;

/* Records each datagram (seen: a GArray of WireMessage). */
static void
wire_record (gboolean request, const guint8 *data, gsize len, gpointer seen)
{
  coap_pdu_t *pdu = coap_pdu_init (COAP_MESSAGE_CON, 0, 0, 1500);
  WireMessage message = { .request = request };
  coap_opt_iterator_t iterator;
  coap_opt_t *option;
  const uint8_t *payload;
  size_t payload_len;
  guint paths = 0;

  g_assert_true (coap_pdu_parse (COAP_PROTO_UDP, data, len, pdu));
  coap_option_iterator_init (pdu, &iterator, COAP_OPT_ALL);
  while ((option = coap_option_next (&iterator)))
    if (iterator.number == COAP_OPTION_URI_PATH && paths++ == 1)
      g_strlcpy (message.path, (const char *) coap_opt_value (option),
                 MIN (sizeof message.path, coap_opt_length (option) + 1u));
    else if (iterator.number == COAP_OPTION_IF_MATCH || iterator.number == COAP_OPTION_ETAG)
      {
        gboolean if_match = iterator.number == COAP_OPTION_IF_MATCH;
        gsize *len = if_match ? &message.if_match_len : &message.etag_len;

        *len = MIN (coap_opt_length (option), (guint) FFMETER_ETAG_SIZE);
        memcpy (if_match ? message.if_match : message.etag, coap_opt_value (option), *len);
      }
  message.has_block = coap_get_block (pdu, COAP_OPTION_BLOCK2, &message.block);
  if (coap_get_data (pdu, &payload_len, &payload))
    {
      g_assert_cmpuint (payload_len, <=, sizeof message.payload);
      memcpy (message.payload, payload, payload_len);
      message.payload_len = payload_len;
    }
  g_array_append_val ((GArray *) seen, message);
  coap_delete_pdu (pdu);
}

/* The meter fetches the package block-wise (RFC 7959): its poll names its block size (Block2
 * NUM 0, SZX 3: 128 bytes), each request is a GET of ffm/pkg with Block2 NUM = the packet's
 * sequence and that SZX and If-Match with the package's ETag (the first 8 bytes of its SHA-256),
 * and each answer carries that ETag and Block2 with the same NUM and SZX, M set but on the last,
 * and a payload of one block: the packet framed with its sequence and CRC-32. */
static void
test_block2_on_the_wire (Fixture *f, gconstpointer data)
{
  enum { SIZE = 1000, WIRE_BLOCK = 128, WIRE_PACKET = FFMETER_BLOCK_PACKET_DATA (WIRE_BLOCK) };
  g_autoptr(GBytes) image = offer_image (f, SIZE);
  g_autoptr(GError) error = NULL;
  guint packets = (SIZE + WIRE_PACKET - 1) / WIRE_PACKET, requests = 0, blocks = 0;
  g_autoptr(FfTestUdpRelay) relay = NULL;
  g_autoptr(GArray) seen = g_array_new (FALSE, TRUE, sizeof (WireMessage));
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_checksum_update (checksum, g_bytes_get_data (image, NULL), SIZE);
  g_checksum_get_digest (checksum, digest, &digest_len);

  relay = ff_test_udp_relay_new (ff_meter_coap_server_get_port (f->server));
  ff_test_udp_relay_set_watch (relay, wire_record, seen);
  ff_meter_coap_client_free (f->client);
  f->client = ff_meter_coap_client_new (&f->download, "M-7", "127.0.0.1",
                                        ff_test_udp_relay_get_port (relay), 1000, &error);
  g_assert_no_error (error);
  ff_meter_coap_client_set_block_size (f->client, WIRE_BLOCK);
  ff_meter_coap_client_poll (f->client, APP);
  run_until (f, installed);
  run_until (f, reported);

  for (guint i = 0; i < seen->len; i++)
    {
      const WireMessage *m = &g_array_index (seen, WireMessage, i);

      if (m->request && g_str_equal (m->path, "start"))
        {
          g_assert_true (m->has_block);
          g_assert_cmpuint (m->block.num, ==, 0);
          g_assert_cmpuint (m->block.szx, ==, 3);
        }
      else if (m->request && g_str_equal (m->path, "pkg"))
        {
          g_assert_true (m->has_block);
          g_assert_cmpuint (m->block.num, ==, requests);
          g_assert_cmpuint (m->block.m, ==, 0);
          g_assert_cmpuint (m->block.szx, ==, 3);
          g_assert_cmpuint (m->payload_len, ==, 0);
          g_assert_cmpmem (m->if_match, m->if_match_len, digest, FFMETER_ETAG_SIZE);
          requests++;
        }
      else if (!m->request && m->payload_len && m->payload[0] == FFMETER_MSG_PACKET)
        {
          gsize expected = blocks + 1 < packets ? WIRE_BLOCK
                           : FFMETER_PACKET_OVERHEAD + SIZE - (packets - 1) * WIRE_PACKET;

          g_assert_true (m->has_block);
          g_assert_cmpuint (m->block.num, ==, blocks);
          g_assert_cmpuint (m->block.m, ==, blocks + 1 < packets);
          g_assert_cmpuint (m->block.szx, ==, 3);
          g_assert_cmpuint (m->payload_len, ==, expected);
          g_assert_cmpmem (m->etag, m->etag_len, digest, FFMETER_ETAG_SIZE);
          g_assert_cmpuint (m->payload[1] | m->payload[2] << 8, ==, blocks);   /* its sequence */
          blocks++;
        }
    }
  g_assert_cmpuint (requests, ==, packets);
  g_assert_cmpuint (blocks, ==, packets);
  assert_installed_blocks (f, image, WIRE_BLOCK);
}

/* ---- DTLS with a pre-shared key per meter */

static const guint8 key_m7[16] = "M-7's own key!!";
static const guint8 key_m8[16] = "M-8's own key!!";

/* The platform's keys: M-7 and M-8 have one (DTLS only); every other meter has none. */
static GBytes *
meter_key (const char *meter_id, gpointer user_data)
{
  if (g_str_equal (meter_id, "M-7"))
    return g_bytes_new_static (key_m7, sizeof key_m7);
  if (g_str_equal (meter_id, "M-8"))
    return g_bytes_new_static (key_m8, sizeof key_m8);
  return NULL;
}

static void
count_poll (FfMeterCoapServer *server, const char *meter_id, guint16 app_id, gpointer user_data)
{
  ((Fixture *) user_data)->polls++;
}

/* The meter's client goes over DTLS (psk) or plain CoAP (psk NULL) to the matching port. */
static void
dtls_client (Fixture *f, const guint8 *psk)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = psk ? g_bytes_new_static (psk, 16) : NULL;

  ff_meter_coap_server_set_key_func (f->server, meter_key, NULL);
  if (!ff_meter_coap_server_get_dtls_port (f->server))
    g_assert_true (ff_meter_coap_server_listen_dtls (f->server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  ff_meter_coap_client_free (f->client);
  f->client = ff_meter_coap_client_new_psk (&f->download, "M-7", "127.0.0.1",
                                            psk ? ff_meter_coap_server_get_dtls_port (f->server)
                                                : ff_meter_coap_server_get_port (f->server),
                                            1000, key, &error);
  g_assert_no_error (error);
  ff_meter_coap_client_set_block_size (f->client, BLOCK);
}

/* The platform refused the meter, or served its poll. */
static gboolean
refused_or_polled (Fixture *f)
{
  return ff_meter_coap_client_get_refusals (f->client) > 0 || f->polls > 0;
}

/* A meter with its key installs over DTLS, its report reaching the platform. */
static void
test_dtls_install (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) image = offer_image (f, 2000);

  dtls_client (f, key_m7);
  ff_meter_coap_client_poll (f->client, APP);
  run_until (f, installed);
  assert_installed (f, image);
  run_until (f, reported);
  g_assert_cmpuint (f->report.status, ==, FFMETER_REPORT_READY);
  g_assert_cmpuint (ff_meter_coap_client_get_refusals (f->client), ==, 0);
}

static gboolean
poll_timed_out (Fixture *f)
{
  return ff_meter_coap_client_get_timeouts (f->client) > 0;
}

/* A link (or a CPU) so slow that the DTLS handshake's three round trips and the poll's take longer
 * than the meter's reply timeout, each of them well within it: every new handshake message is an
 * answer, so the poll is answered in time and the meter installs with nothing unanswered. */
static void
test_dtls_slow_handshake (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) image = offer_image (f, 3 * PACKET);
  g_autoptr(GBytes) key = g_bytes_new_static (key_m7, sizeof key_m7);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTestUdpRelay) relay = NULL;

  dtls_client (f, key_m7);
  relay = ff_test_udp_relay_new (ff_meter_coap_server_get_dtls_port (f->server));
  ff_test_udp_relay_set_delay (relay, 400);
  ff_meter_coap_client_free (f->client);
  f->client = ff_meter_coap_client_new_psk (&f->download, "M-7", "127.0.0.1",
                                            ff_test_udp_relay_get_port (relay), 1000, key,
                                            &error);
  g_assert_no_error (error);
  ff_meter_coap_client_set_block_size (f->client, BLOCK);
  ff_meter_coap_client_poll (f->client, APP);
  g_assert_true (ff_meter_coap_client_waiting (f->client));
  run_until (f, installed);
  assert_installed (f, image);
  g_assert_cmpuint (ff_meter_coap_client_get_timeouts (f->client), ==, 0);
  g_assert_cmpuint (f->wakes, ==, 0);
  g_assert_false (ff_meter_coap_client_waiting (f->client));
}

/* A meter with a wrong key (here another meter's): the handshake cannot finish (DTLS drops what it
 * cannot authenticate), the poll goes unanswered, the platform never sees it, nothing is fetched. */
static void
test_dtls_wrong_key (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) image = offer_image (f, 2000);

  ff_meter_coap_server_set_poll_func (f->server, count_poll, f);
  dtls_client (f, key_m8);
  ff_meter_coap_client_poll (f->client, APP);
  run_until (f, poll_timed_out);
  g_assert_cmpuint (f->polls, ==, 0);
  g_assert_cmpint (ffmeter_download_state (&f->download), ==, FFMETER_DOWNLOAD_IDLE);
  g_assert_cmpuint (ff_meter_coap_server_get_packet_count (f->server, APP, BLOCK, 0), ==, 0);
}

/* A meter the platform has a key for is not served over plain CoAP: 4.01, its poll not seen. */
static void
test_dtls_meter_over_plain_coap (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) image = offer_image (f, 2000);

  ff_meter_coap_server_set_poll_func (f->server, count_poll, f);
  dtls_client (f, NULL);
  ff_meter_coap_client_poll (f->client, APP);
  run_until (f, refused_or_polled);
  g_assert_cmpuint (f->polls, ==, 0);
  g_assert_cmpuint (ff_meter_coap_client_get_refusals (f->client), ==, 1);
  g_assert_cmpint (ffmeter_download_state (&f->download), ==, FFMETER_DOWNLOAD_IDLE);
}

static coap_response_t
on_raw_response (coap_session_t *session, const coap_pdu_t *sent, const coap_pdu_t *received,
                 const coap_mid_t mid)
{
  *(coap_pdu_code_t *) coap_session_get_app_data (session) = coap_pdu_get_code (received);
  return COAP_RESPONSE_OK;
}

/* The code the server answers a GET ffm/start with the URI queries @queries (NULL-terminated) on
 * its @proto port, over a session made with @setup (NULL: plain CoAP). A raw client: the meter's
 * own never sends a malformed request or speaks for another meter. */
static coap_pdu_code_t
raw_start (Fixture *f, coap_proto_t proto, coap_dtls_cpsk_t *setup, const char *const *queries)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = NULL;
  coap_context_t *ctx = coap_new_context (NULL);
  coap_address_t server;
  coap_session_t *session;
  coap_pdu_t *pdu;
  coap_pdu_code_t code = 0;
  guint watchdog;

  address = g_inet_socket_address_new (loopback, proto == COAP_PROTO_DTLS
                                       ? ff_meter_coap_server_get_dtls_port (f->server)
                                       : ff_meter_coap_server_get_port (f->server));
  coap_address_init (&server);
  g_assert_true (g_socket_address_to_native (address, &server.addr, sizeof server.addr, &error));
  server.size = (socklen_t) g_socket_address_get_native_size (address);
  coap_register_response_handler (ctx, on_raw_response);
  session = setup ? coap_new_client_session_psk2 (ctx, NULL, &server, proto, setup)
                  : coap_new_client_session (ctx, NULL, &server, proto);
  g_assert_nonnull (session);
  coap_session_set_app_data (session, &code);
  pdu = coap_pdu_init (COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, coap_new_message_id (session),
                       coap_session_max_pdu_size (session));
  coap_add_option (pdu, COAP_OPTION_URI_PATH, 3, (const uint8_t *) "ffm");
  coap_add_option (pdu, COAP_OPTION_URI_PATH, 5, (const uint8_t *) "start");
  for (guint i = 0; queries[i]; i++)
    coap_add_option (pdu, COAP_OPTION_URI_QUERY, strlen (queries[i]),
                     (const uint8_t *) queries[i]);
  g_assert_cmpint (coap_send (session, pdu), !=, COAP_INVALID_MID);
  /* Both contexts run here: the server's from the main context, the raw client's by hand. */
  watchdog = ff_test_watchdog_add (10, "the answer to a raw request");
  while (!code)
    {
      coap_io_process (ctx, 10);
      g_main_context_iteration (NULL, FALSE);
    }
  g_source_remove (watchdog);
  coap_session_release (session);
  coap_free_context (ctx);
  return code;
}

/* A DTLS session made with M-7's key cannot speak for M-8: 4.03, M-8's poll not seen. */
static void
test_dtls_other_meter_id (Fixture *f, gconstpointer data)
{
  static const char identity[] = "M-7";
  static const char *const queries[] = { "meter=M-8", "app=2", NULL };
  coap_dtls_cpsk_t setup = {
    .version = COAP_DTLS_CPSK_SETUP_VERSION,
    .psk_info = { .identity = { strlen (identity), (const uint8_t *) identity },
                  .key = { sizeof key_m7, key_m7 } },
  };

  dtls_client (f, key_m7);
  ff_meter_coap_server_set_poll_func (f->server, count_poll, f);
  g_assert_cmpint (raw_start (f, COAP_PROTO_DTLS, &setup, queries), ==,
                   COAP_RESPONSE_CODE_FORBIDDEN);
  g_assert_cmpuint (f->polls, ==, 0);
}

/* A malformed poll (an empty or missing meter ID, an app that is no number) is 4.00 Bad Request,
 * never seen as a poll; 4.04 is only for a well-formed one with nothing offered. */
static void
test_malformed_start (Fixture *f, gconstpointer data)
{
  static const char *const empty_meter[] = { "meter=", "app=7", NULL };
  static const char *const no_meter[] = { "app=7", NULL };
  static const char *const empty_app[] = { "meter=M-7", "app=", NULL };
  static const char *const nothing_offered[] = { "meter=M-7", "app=7", NULL };

  ff_meter_coap_server_set_poll_func (f->server, count_poll, f);
  g_assert_cmpint (raw_start (f, COAP_PROTO_UDP, NULL, empty_meter), ==,
                   COAP_RESPONSE_CODE_BAD_REQUEST);
  g_assert_cmpint (raw_start (f, COAP_PROTO_UDP, NULL, no_meter), ==,
                   COAP_RESPONSE_CODE_BAD_REQUEST);
  g_assert_cmpint (raw_start (f, COAP_PROTO_UDP, NULL, empty_app), ==,
                   COAP_RESPONSE_CODE_BAD_REQUEST);
  g_assert_cmpuint (f->polls, ==, 0);
  g_assert_cmpint (raw_start (f, COAP_PROTO_UDP, NULL, nothing_offered), ==,
                   COAP_RESPONSE_CODE_NOT_FOUND);
  g_assert_cmpuint (f->polls, ==, 1);
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
  g_test_add ("/meter-coap/image-switched-to-patch", Fixture, NULL, fixture_set_up,
              test_image_switched_to_patch, fixture_tear_down);
  g_test_add ("/meter-coap/patch-switched-to-image", Fixture, NULL, fixture_set_up,
              test_patch_switched_to_image, fixture_tear_down);
  g_test_add ("/meter-coap/commands", Fixture, NULL, fixture_set_up, test_commands,
              fixture_tear_down);
  g_test_add ("/meter-coap/block2-on-the-wire", Fixture, NULL, fixture_set_up,
              test_block2_on_the_wire, fixture_tear_down);
  g_test_add ("/meter-coap/dtls-install", Fixture, NULL, fixture_set_up, test_dtls_install,
              fixture_tear_down);
  g_test_add ("/meter-coap/dtls-slow-handshake", Fixture, NULL, fixture_set_up,
              test_dtls_slow_handshake, fixture_tear_down);
  g_test_add ("/meter-coap/dtls-wrong-key", Fixture, NULL, fixture_set_up, test_dtls_wrong_key,
              fixture_tear_down);
  g_test_add ("/meter-coap/dtls-meter-over-plain-coap", Fixture, NULL, fixture_set_up,
              test_dtls_meter_over_plain_coap, fixture_tear_down);
  g_test_add ("/meter-coap/dtls-other-meter-id", Fixture, NULL, fixture_set_up,
              test_dtls_other_meter_id, fixture_tear_down);
  g_test_add ("/meter-coap/malformed-start", Fixture, NULL, fixture_set_up, test_malformed_start,
              fixture_tear_down);
  g_test_add_func ("/meter-coap/bad-address", test_bad_address);
  return g_test_run ();
}
