/* bench-meter.c: what one app upgrade costs a battery meter on NB-IoT with meter/'s download:
 * bytes over the air and radio-on time for a whole image and for an ffdelta1 patch at 0 %, 10 % and
 * 30 % loss, and the packets sent twice after a broken download. The link is a model (below), so
 * the figures are exact counts of the protocol's messages priced by that model, not timings of
 * this machine. Usage: bench-meter [OLD NEW [RUNS]] (default: the repository's Cortex-M0+ pair). */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "ff-delta.h"
#include "ffmeter-download.h"
#include "test-meter-flash.h"

/* The link model: NB-IoT in normal coverage. Every message carries IPv4 + UDP + CoAP (header,
 * 8-byte token, the path ffm and the meter's identity) around its payload; an exchange keeps the
 * radio on for the network's latency plus both messages' airtime; a message lost keeps it on until
 * the reply timeout. The options of ff-meter-coap's requests and answers beyond those are counted
 * with the payload (below). */
#define OVERHEAD_BYTES 45
#define UPLINK_BITS_S 16000.0
#define DOWNLINK_BITS_S 24000.0
#define LATENCY_S 0.5
#define REPLY_TIMEOUT_S 4.0
#define BLOCK_SIZE 256          /* CoAP Block2 SZX 4: one packet a block */
#define BLOCK_SZX 4
#define PACKET_SIZE FFMETER_BLOCK_PACKET_DATA (BLOCK_SIZE)
#define APP 1
#define VERSION 2

typedef struct
{
  TestFlash table_flash, progress_flash;
  FfMeterScheduler scheduler;
  FfMeterDownload download;
  FfMeterTransport transport;
  GBytes *old_image, *package;
  FfMeterPackageKind kind;
  guint8 *staging;
  GBytes *installed;
  GRand *rand;
  double loss;
  gboolean broken;           /* the link is down (both ways) until the meter sleeps */
  guint break_at;            /* packets served before the break; 0: none */
  guint8 out[FFMETER_REQUEST_SIZE];
  gsize out_len;
  guint *served;
  guint packets;
  /* the account */
  guint64 up_bytes, down_bytes;
  guint messages, timeouts, wakeups;
  double radio_s;
} Meter;

static int
meter_send (void *user, const uint8_t *data, size_t len)
{
  Meter *m = user;

  g_assert (len <= sizeof m->out);
  memcpy (m->out, data, len);
  m->out_len = len;
  return 0;
}

static int
meter_write_package (void *user, uint32_t offset, const uint8_t *data, size_t len)
{
  memcpy (((Meter *) user)->staging + offset, data, len);
  return 0;
}

static int
meter_apply (void *user, uint8_t kind, uint16_t app_id, uint32_t version, uint32_t package_size,
             uint32_t *slot, uint32_t *size)
{
  Meter *m = user;
  g_autoptr(GBytes) package = g_bytes_new (m->staging, package_size);

  m->installed = kind == FFMETER_KIND_IMAGE ? g_bytes_ref (package)
                                            : ff_delta_apply (m->old_image, package, NULL);
  if (!m->installed)
    return -1;
  *slot = 1;
  *size = (uint32_t) g_bytes_get_size (m->installed);
  return 0;
}

static gboolean
lost (Meter *m)
{
  return m->broken || (m->loss > 0 && g_rand_double (m->rand) < m->loss);
}

static double
airtime (gsize payload, double bits_s)
{
  return (double) (payload + OVERHEAD_BYTES) * 8 / bits_s;
}

/* A CoAP option's bytes: one byte of header (every delta and length here is below 13) and the
 * value. */
static gsize
option_size (gsize value_len)
{
  return 1 + value_len;
}

/* A Block2 option for block num of BLOCK_SZX (M set or not: the same length). */
static gsize
block2_size (guint num)
{
  guint value = num << 4 | 0x08 | BLOCK_SZX;

  return option_size (value < 0x100 ? 1 : value < 0x10000 ? 2 : 3);
}

/* The poll, GET ffm/start?app=N with Block2 NUM 0 (the meter's block size), has no payload. */
static gsize
poll_size (void)
{
  g_autofree char *app = g_strdup_printf ("app=%u", APP);

  return option_size (strlen ("start")) + option_size (strlen (app)) + block2_size (0);
}

/* A request for packet seq, GET ffm/pkg?app=N&v=V with If-Match (the package's ETag) and Block2
 * NUM seq, has no payload. */
static gsize
request_size (guint16 seq)
{
  g_autofree char *app = g_strdup_printf ("app=%u", APP);
  g_autofree char *version = g_strdup_printf ("v=%u", VERSION);

  return option_size (FFMETER_ETAG_SIZE) + option_size (strlen ("pkg"))
         + option_size (strlen (app)) + option_size (strlen (version)) + block2_size (seq);
}

/* A message goes up (airtime); a lost one keeps the radio on until the reply timeout. */
static void
uplink (Meter *m, gsize payload)
{
  m->up_bytes += payload + OVERHEAD_BYTES;
  m->messages++;
  m->radio_s += airtime (payload, UPLINK_BITS_S);
}

/* The platform's answers: the start message, and the packet a request names. */
static gsize
platform_start (Meter *m, guint16 seq, guint8 *out)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (m->package, &size);
  FfMeterMessage start = {
    .type = FFMETER_MSG_START, .kind = (guint8) m->kind, .app_id = APP, .version = VERSION,
    .total_packets = (guint16) m->packets, .packet_size = PACKET_SIZE, .total_size = (guint32) size,
    .total_crc = ffmeter_crc32 (0, data, size),
  };

  return ffmeter_message_write (&start, out, FFMETER_START_SIZE);
}

static gsize
platform_packet (Meter *m, guint16 seq, guint8 *out)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (m->package, &size);
  FfMeterMessage packet = {
    .type = FFMETER_MSG_PACKET, .seq = seq, .data = data + (gsize) seq * PACKET_SIZE,
    .data_len = (guint16) MIN (PACKET_SIZE, size - (gsize) seq * PACKET_SIZE),
  };

  m->served[seq]++;
  if (m->break_at && m->served[seq] == 1 && seq + 1u == m->break_at)
    m->broken = TRUE;   /* the link breaks with this packet in flight */
  return ffmeter_message_write (&packet, out, FFMETER_PACKET_OVERHEAD + FFMETER_MAX_PACKET_DATA);
}

/* A message up and, when it arrives, the platform's answer (made by answer_with) down, with a Block2
 * option for block seq (and a packet with the package's ETag). Returns the answer's payload length,
 * or 0 when either was lost: the radio then stayed on until the reply timeout. */
static gsize
exchange (Meter *m, gsize up, gsize (*answer_with) (Meter *, guint16, guint8 *), guint16 seq,
          guint8 *answer)
{
  gsize down, payload;

  uplink (m, up);
  if (lost (m))
    goto timeout;
  payload = answer_with (m, seq, answer);
  down = payload + block2_size (seq)
         + (answer_with == platform_packet ? option_size (FFMETER_ETAG_SIZE) : 0);
  m->down_bytes += down + OVERHEAD_BYTES;
  m->messages++;
  if (lost (m))
    goto timeout;
  m->radio_s += LATENCY_S + airtime (down, DOWNLINK_BITS_S);
  return payload;
timeout:
  m->timeouts++;
  m->radio_s += REPLY_TIMEOUT_S;
  return 0;
}

/* One wake-up: a download under way resumes, else the meter polls; then requests and packets until
 * the meter is done or asleep. */
static void
cycle (Meter *m)
{
  guint8 answer[FFMETER_PACKET_OVERHEAD + FFMETER_MAX_PACKET_DATA];

  m->wakeups++;
  m->out_len = 0;
  if (ffmeter_download_progress (&m->download)->active)
    ffmeter_download_wake (&m->download);
  else
    {
      gsize n = exchange (m, poll_size (), platform_start, 0, answer);

      if (n)
        ffmeter_download_message (&m->download, answer, n);
    }
  while (m->out_len)
    {
      FfMeterMessage message;
      gsize up = m->out_len, n;

      m->out_len = 0;
      g_assert (ffmeter_message_parse (m->out, up, &message) == FFMETER_PARSE_OK);
      if (message.type == FFMETER_MSG_REPORT)
        {
          uplink (m, up);   /* non-confirmable: nothing comes back */
          continue;
        }
      n = exchange (m, request_size (message.seq), platform_packet, message.seq, answer);
      if (n)
        ffmeter_download_message (&m->download, answer, n);
      else
        ffmeter_download_timeout (&m->download);
    }
  if (ffmeter_download_state (&m->download) == FFMETER_DOWNLOAD_SLEEPING)
    m->broken = FALSE;   /* by the next cycle the link is back */
}

/* Upgrades app APP from old to new with this package; returns the meter's account. */
static Meter *
upgrade (GBytes *old_image, GBytes *new_image, GBytes *package, FfMeterPackageKind kind,
         double loss, guint32 seed, guint break_at)
{
  Meter *m = g_new0 (Meter, 1);
  gsize size = g_bytes_get_size (package);

  test_flash_init (&m->table_flash);
  test_flash_init (&m->progress_flash);
  m->transport = (FfMeterTransport) { meter_send, meter_write_package, meter_apply, m };
  m->old_image = old_image;
  m->package = package;
  m->kind = kind;
  m->staging = g_malloc (size);
  m->rand = g_rand_new_with_seed (seed);
  m->loss = loss;
  m->break_at = break_at;
  m->packets = (guint) ((size + PACKET_SIZE - 1) / PACKET_SIZE);
  m->served = g_new0 (guint, m->packets);
  ffmeter_scheduler_power_on (&m->scheduler, &m->table_flash.store, NULL);
  ffmeter_scheduler_download (&m->scheduler, APP, 1, FFMETER_APP_RESIDENT, 0,
                              (uint32_t) g_bytes_get_size (old_image));
  ffmeter_scheduler_command (&m->scheduler, FFMETER_OP_INSTALL, APP, 0);
  ffmeter_scheduler_command (&m->scheduler, FFMETER_OP_INIT, APP, 0);
  ffmeter_download_init (&m->download, &m->scheduler, &m->transport, &m->progress_flash.store);
  while (ffmeter_scheduler_installed_version (&m->scheduler, APP) != VERSION)
    {
      g_assert (m->wakeups < 10000);
      cycle (m);
    }
  g_assert (g_bytes_equal (m->installed, new_image));
  return m;
}

static void
meter_free (Meter *m)
{
  g_clear_pointer (&m->installed, g_bytes_unref);
  g_rand_free (m->rand);
  g_free (m->staging);
  g_free (m->served);
  g_free (m);
}

static guint
sent_twice (const Meter *m)
{
  guint twice = 0;

  for (guint i = 0; i < m->packets; i++)
    twice += m->served[i] > 1 ? m->served[i] - 1 : 0;
  return twice;
}

static GBytes *
load (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, &error);

  if (!file)
    g_error ("%s", error->message);
  return g_mapped_file_get_bytes (file);
}

int
main (int argc, char **argv)
{
  const char *old_path = argc > 2 ? argv[1] : DELTA_DATA_DIR "/iec104-cortex-m0plus-7f1cb25.bin";
  const char *new_path = argc > 2 ? argv[2] : DELTA_DATA_DIR "/iec104-cortex-m0plus-71ba842.bin";
  guint runs = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10) : 20;
  g_autoptr(GBytes) old_image = load (old_path), new_image = load (new_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) patch = ff_delta_make (old_image, new_image, &error);
  const double losses[] = { 0, 0.1, 0.3 };
  struct { const char *name; GBytes *package; FfMeterPackageKind kind; } packages[] = {
    { "whole image", new_image, FFMETER_KIND_IMAGE },
    { "ffdelta1 patch", patch, FFMETER_KIND_FFDELTA1 },
  };

  if (!patch)
    g_error ("%s", error->message);
  runs = MAX (runs, 1);
  printf ("app %s (%zu bytes) -> %s (%zu bytes), %d-byte CoAP blocks (%d-byte packets), "
          "%u runs each\n", old_path, g_bytes_get_size (old_image), new_path,
          g_bytes_get_size (new_image), BLOCK_SIZE, PACKET_SIZE, runs);
  printf ("link model: %d bytes of IPv4+UDP+CoAP a message, %.0f/%.0f bit/s up/down, "
          "%.1f s latency, %.1f s reply timeout\n\n", OVERHEAD_BYTES, UPLINK_BITS_S,
          DOWNLINK_BITS_S, LATENCY_S, REPLY_TIMEOUT_S);
  printf ("| package | bytes | loss | bytes up | bytes down | messages | timeouts | wake-ups |"
          " radio on (s) | packets sent twice |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (guint p = 0; p < G_N_ELEMENTS (packages); p++)
    for (guint l = 0; l < G_N_ELEMENTS (losses); l++)
      {
        double up = 0, down = 0, messages = 0, timeouts = 0, wakeups = 0, radio = 0, twice = 0;

        for (guint run = 0; run < runs; run++)
          {
            Meter *m = upgrade (old_image, new_image, packages[p].package, packages[p].kind,
                                losses[l], run + 1, 0);

            up += m->up_bytes;
            down += m->down_bytes;
            messages += m->messages;
            timeouts += m->timeouts;
            wakeups += m->wakeups;
            radio += m->radio_s;
            twice += sent_twice (m);
            meter_free (m);
          }
        printf ("| %s | %zu | %.0f %% | %.0f | %.0f | %.0f | %.1f | %.1f | %.1f | %.1f |\n",
                packages[p].name, g_bytes_get_size (packages[p].package), losses[l] * 100,
                up / runs, down / runs, messages / runs, timeouts / runs, wakeups / runs,
                radio / runs, twice / runs);
      }
  {
    /* The link breaks (both ways) half way with a packet in flight; the meter sleeps after three
     * requests and resumes at its next wake-up. */
    Meter *m = upgrade (old_image, new_image, new_image, FFMETER_KIND_IMAGE, 0, 1,
                        (guint) (g_bytes_get_size (new_image) / PACKET_SIZE / 2));

    printf ("\nbroken download (whole image, the link down half way until the meter sleeps): "
            "%u wake-ups, %u timeouts, packets sent twice: %u\n", m->wakeups, m->timeouts,
            sent_twice (m));
    meter_free (m);
  }
  printf ("RAM on this machine: FfMeterScheduler %zu bytes, FfMeterDownload %zu bytes "
          "(Cortex-M0+: build-aux/cross-build cortex-m0plus)\n", sizeof (FfMeterScheduler),
          sizeof (FfMeterDownload));
  return 0;
}
