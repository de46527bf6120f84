/* test-meter-download.c: meter/'s side of the seed-004 download, driven by a platform in memory:
 * a whole image and an ffdelta1 patch installed, resume after a break without fetching a packet
 * twice, sleep after three failed requests, a bad packet asked for again, a wrong file checksum
 * never installed, a version that is not newer never fetched, a cut at every progress write, a
 * package switched while a download was broken off fetched anew from its first packet, a download
 * whose version was withdrawn forgotten. */
#include <glib.h>
#include <string.h>

#include "ff-delta.h"
#include "ffmeter-download.h"
#include "test-meter-flash.h"

#define APP 4
#define SLOTS 3
#define SLOT_MAX 40000
#define MAX_PACKETS 1024

typedef struct
{
  /* The meter. */
  TestFlash table_flash, progress_flash;
  FfMeterHooks hooks;
  FfMeterTransport transport;
  FfMeterScheduler scheduler;
  FfMeterDownload download;
  uint8_t staging[SLOT_MAX];
  uint8_t slots[SLOTS][SLOT_MAX];
  unsigned applies, releases;
  GChecksum *checksum;
  /* The platform: the package it offers and what it saw. */
  GBytes *package;
  FfMeterMessage start;
  unsigned fetched[MAX_PACKETS];   /* packets delivered, by number */
  unsigned requests;
  bool request_pending;
  uint16_t requested;
  uint8_t requested_etag[FFMETER_ETAG_SIZE];
  unsigned reports;
  FfMeterMessage report;
  unsigned switches_seen;          /* requests that named a package no longer offered */
} Meter;

static void
hook_release (void *user, const FfMeterApp *app)
{
  ((Meter *) user)->releases++;
}

static int
meter_send (void *user, const uint8_t *data, size_t len)
{
  Meter *m = user;
  FfMeterMessage message;

  g_assert_cmpint (ffmeter_message_parse (data, len, &message), ==, FFMETER_PARSE_OK);
  if (message.type == FFMETER_MSG_REQUEST)
    {
      g_assert_cmpuint (message.app_id, ==, m->start.app_id);
      g_assert_cmpuint (message.version, ==, m->start.version);
      m->requests++;
      m->request_pending = true;
      m->requested = message.seq;
      memcpy (m->requested_etag, message.etag, FFMETER_ETAG_SIZE);
    }
  else
    {
      g_assert_cmpuint (message.type, ==, FFMETER_MSG_REPORT);
      m->reports++;
      m->report = message;
    }
  return 0;
}

static int
meter_write_package (void *user, uint32_t offset, const uint8_t *data, size_t len)
{
  Meter *m = user;

  g_assert_cmpuint (offset + len, <=, SLOT_MAX);
  memcpy (m->staging + offset, data, len);
  return 0;
}

/* The slot no row of the table names. */
static uint32_t
free_slot (Meter *m)
{
  for (uint32_t slot = 0; slot < SLOTS; slot++)
    {
      bool used = false;

      for (unsigned i = 0; i < FFMETER_MAX_APPS; i++)
        used |= m->scheduler.apps[i].state != FFMETER_APP_FREE
                && m->scheduler.apps[i].state != FFMETER_APP_UNINSTALLED
                && m->scheduler.apps[i].slot == slot;
      if (!used)
        return slot;
    }
  g_assert_not_reached ();
}

/* The patcher's storage: the running version's slot, the new slot, SHA-256 from GLib. */
typedef struct
{
  Meter *m;
  uint32_t old_slot, new_slot;
} Patch;

static int
patch_read_old (void *user, uint32_t offset, uint8_t *buf, size_t len)
{
  Patch *p = user;

  g_assert_cmpuint (offset + len, <=, SLOT_MAX);
  memcpy (buf, p->m->slots[p->old_slot] + offset, len);
  return 0;
}

static int
patch_write_new (void *user, uint32_t offset, const uint8_t *buf, size_t len)
{
  Patch *p = user;

  g_assert_cmpuint (offset + len, <=, SLOT_MAX);
  memcpy (p->m->slots[p->new_slot] + offset, buf, len);
  return 0;
}

static int
patch_read_new (void *user, uint32_t offset, uint8_t *buf, size_t len)
{
  Patch *p = user;

  g_assert_cmpuint (offset + len, <=, SLOT_MAX);
  memcpy (buf, p->m->slots[p->new_slot] + offset, len);
  return 0;
}

static void
patch_digest_begin (void *user)
{
  Patch *p = user;

  g_clear_pointer (&p->m->checksum, g_checksum_free);
  p->m->checksum = g_checksum_new (G_CHECKSUM_SHA256);
}

static void
patch_digest_update (void *user, const uint8_t *data, size_t len)
{
  g_checksum_update (((Patch *) user)->m->checksum, data, len);
}

static void
patch_digest_end (void *user, uint8_t digest[FFDELTA_DIGEST_SIZE])
{
  Patch *p = user;
  gsize len = FFDELTA_DIGEST_SIZE;

  g_checksum_get_digest (p->m->checksum, digest, &len);
  g_clear_pointer (&p->m->checksum, g_checksum_free);
}

/* The firmware's apply step, wiring meter/ to delta/ as a meter's firmware would: a whole image is
 * copied into a free slot, a patch is applied from the running version's slot into one. */
static int
meter_apply (void *user, uint8_t kind, uint16_t app_id, uint32_t version, uint32_t package_size,
             uint32_t *slot, uint32_t *size)
{
  Meter *m = user;
  uint32_t new_slot = free_slot (m);

  m->applies++;
  if (kind == FFMETER_KIND_IMAGE)
    {
      memcpy (m->slots[new_slot], m->staging, package_size);
      *size = package_size;
    }
  else
    {
      Patch p = { m, ffmeter_scheduler_find (&m->scheduler, app_id, 0)->slot, new_slot };
      FfDeltaIo io = { patch_read_old, patch_write_new, patch_read_new, patch_digest_begin,
                       patch_digest_update, patch_digest_end, &p };
      FfDeltaPatcher patcher;
      FfDeltaHeader header;

      if (ffdelta_header_parse (m->staging, package_size, &header) != FFDELTA_OK
          || header.new_size > SLOT_MAX)
        return -1;
      ffdelta_patcher_init (&patcher, &io);
      if (ffdelta_patcher_feed (&patcher, m->staging, package_size) != FFDELTA_DONE)
        return -1;
      *size = header.new_size;
    }
  *slot = new_slot;
  return 0;
}

/* A meter whose app APP runs version 1 (image v1 in slot 0), resident. */
static Meter *
meter_new (GBytes *v1)
{
  Meter *m = g_new0 (Meter, 1);

  test_flash_init (&m->table_flash);
  test_flash_init (&m->progress_flash);
  m->hooks = (FfMeterHooks) { NULL, NULL, NULL, hook_release, m };
  m->transport = (FfMeterTransport) { meter_send, meter_write_package, meter_apply, m };
  memcpy (m->slots[0], g_bytes_get_data (v1, NULL), g_bytes_get_size (v1));
  ffmeter_scheduler_power_on (&m->scheduler, &m->table_flash.store, &m->hooks);
  g_assert_cmpint (ffmeter_scheduler_download (&m->scheduler, APP, 1, FFMETER_APP_RESIDENT, 0,
                                               (uint32_t) g_bytes_get_size (v1)), ==, FFMETER_OK);
  g_assert_cmpint (ffmeter_scheduler_command (&m->scheduler, FFMETER_OP_INSTALL, APP, 0), ==, 0);
  g_assert_cmpint (ffmeter_scheduler_command (&m->scheduler, FFMETER_OP_INIT, APP, 0), ==, 0);
  g_assert_cmpint (ffmeter_scheduler_command (&m->scheduler, FFMETER_OP_RUN, APP, 0), ==, 0);
  ffmeter_download_init (&m->download, &m->scheduler, &m->transport, &m->progress_flash.store);
  return m;
}

static void
meter_free (Meter *m)
{
  g_clear_pointer (&m->package, g_bytes_unref);
  g_clear_pointer (&m->checksum, g_checksum_free);
  g_free (m);
}

/* The power goes and comes back: RAM is lost, flash stays. */
static void
meter_reboot (Meter *m)
{
  test_flash_power_up (&m->table_flash);
  test_flash_power_up (&m->progress_flash);
  memset (&m->scheduler, 0, sizeof m->scheduler);
  memset (&m->download, 0, sizeof m->download);
  m->request_pending = false;
  ffmeter_scheduler_power_on (&m->scheduler, &m->table_flash.store, &m->hooks);
  ffmeter_download_init (&m->download, &m->scheduler, &m->transport, &m->progress_flash.store);
}

/* The platform offers a package for version 2. */
static void
offer (Meter *m, GBytes *package, uint8_t kind, uint32_t version, uint16_t packet_size)
{
  gsize size;
  const uint8_t *data = g_bytes_get_data (package, &size);

  if (m->package != package)
    {
      g_clear_pointer (&m->package, g_bytes_unref);
      m->package = g_bytes_ref (package);
    }
  m->start = (FfMeterMessage) {
    .type = FFMETER_MSG_START, .kind = kind, .app_flags = FFMETER_APP_RESIDENT, .app_id = APP,
    .version = version, .total_packets = (uint16_t) ((size + packet_size - 1) / packet_size),
    .packet_size = packet_size, .total_size = (uint32_t) size,
    .total_crc = ffmeter_crc32 (0, data, size),
  };
  /* Its ETag: the first bytes of its SHA-256, as the platform makes it. */
  {
    g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
    uint8_t digest[32];
    gsize digest_len = sizeof digest;

    g_checksum_update (checksum, data, size);
    g_checksum_get_digest (checksum, digest, &digest_len);
    memcpy (m->start.etag, digest, FFMETER_ETAG_SIZE);
  }
}

static void
send_start (Meter *m)
{
  uint8_t out[FFMETER_START_SIZE];

  g_assert_cmpuint (ffmeter_message_write (&m->start, out, sizeof out), ==, sizeof out);
  ffmeter_download_message (&m->download, out, sizeof out);
}

/* Answers the meter's pending request with its packet; corrupt flips one byte of the data. A
 * request that names another package than the one offered now is answered with its start. */
static void
deliver (Meter *m, bool corrupt)
{
  const uint8_t *data = g_bytes_get_data (m->package, NULL);
  uint16_t seq = m->requested;
  uint32_t offset = (uint32_t) seq * m->start.packet_size;
  uint32_t len = MIN (m->start.packet_size, m->start.total_size - offset);
  FfMeterMessage packet = { .type = FFMETER_MSG_PACKET, .seq = seq, .data_len = (uint16_t) len,
                            .data = data + offset };
  uint8_t out[FFMETER_PACKET_OVERHEAD + FFMETER_MAX_PACKET_DATA];
  size_t n = ffmeter_message_write (&packet, out, sizeof out);

  g_assert_true (m->request_pending);
  m->request_pending = false;
  if (memcmp (m->requested_etag, m->start.etag, FFMETER_ETAG_SIZE) != 0)
    {
      m->switches_seen++;
      send_start (m);
      return;
    }
  if (corrupt)
    out[5 + len / 2] ^= 0x20;
  else
    m->fetched[seq]++;
  ffmeter_download_message (&m->download, out, n);
}

/* The radio link: the nth request (counting from 1) is lost when drop says so. */
static void
run_link (Meter *m, bool (*drop) (unsigned n))
{
  while (ffmeter_download_state (&m->download) == FFMETER_DOWNLOAD_RECEIVING)
    {
      g_assert_true (m->request_pending);
      if (drop && drop (m->requests))
        {
          m->request_pending = false;
          ffmeter_download_timeout (&m->download);
        }
      else
        deliver (m, false);
    }
}

/* The meter gets @packets packets of what it asked for, then no answer to its requests until it
 * sleeps: a download broken off. */
static void
break_off_after (Meter *m, unsigned packets)
{
  for (unsigned i = 0; i < packets; i++)
    deliver (m, false);
  for (unsigned i = 0; i < FFMETER_MAX_FAILURES; i++)
    {
      m->request_pending = false;
      ffmeter_download_timeout (&m->download);
    }
  g_assert_cmpint (ffmeter_download_state (&m->download), ==, FFMETER_DOWNLOAD_SLEEPING);
}

static GBytes *
test_image (guint32 seed, gsize size)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i % 7 == 0 ? g_rand_int (rand) : i * 13);
  g_rand_free (rand);
  return g_bytes_new_take (data, size);
}

static void
assert_installed (Meter *m, GBytes *image, uint32_t version)
{
  const FfMeterApp *app = ffmeter_scheduler_find (&m->scheduler, APP, 0);

  g_assert_cmpuint (m->report.status, ==, FFMETER_REPORT_READY);
  g_assert_cmpuint (m->report.version, ==, version);
  g_assert_cmpuint (app->version, ==, version);
  g_assert_cmpint (app->state, ==, FFMETER_APP_READY);
  g_assert_cmpuint (app->size, ==, g_bytes_get_size (image));
  g_assert_true (memcmp (m->slots[app->slot], g_bytes_get_data (image, NULL),
                         g_bytes_get_size (image)) == 0);
  g_assert_false (ffmeter_download_progress (&m->download)->active);
  g_assert_cmpint (ffmeter_download_state (&m->download), ==, FFMETER_DOWNLOAD_IDLE);
}

static void
assert_each_fetched_once (Meter *m)
{
  for (unsigned seq = 0; seq < m->start.total_packets; seq++)
    g_assert_cmpuint (m->fetched[seq], ==, 1);
}

static void
test_image_installed (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  g_autoptr(GBytes) v2 = test_image (2, 5003);
  Meter *m = meter_new (v1);

  offer (m, v2, FFMETER_KIND_IMAGE, 2, 64);
  send_start (m);
  g_assert_cmpuint (m->requested, ==, 0);
  run_link (m, NULL);
  assert_installed (m, v2, 2);
  assert_each_fetched_once (m);
  g_assert_cmpuint (m->requests, ==, 79);
  g_assert_cmpuint (m->reports, ==, 1);
  /* The running version was kept beside the new one until it was ready, then released. */
  g_assert_cmpuint (m->releases, ==, 1);
  g_assert_cmpuint (ffmeter_scheduler_find (&m->scheduler, APP, 0)->slot, !=, 0);
  meter_free (m);
}

static void
test_not_newer_stops (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  Meter *m = meter_new (v1);

  offer (m, v1, FFMETER_KIND_IMAGE, 1, 64);
  send_start (m);
  g_assert_cmpuint (m->requests, ==, 0);
  g_assert_cmpuint (m->reports, ==, 1);
  g_assert_cmpuint (m->report.status, ==, FFMETER_REPORT_UP_TO_DATE);
  g_assert_cmpint (ffmeter_download_state (&m->download), ==, FFMETER_DOWNLOAD_IDLE);
  g_assert_false (ffmeter_download_progress (&m->download)->active);
  g_assert_cmpuint (m->progress_flash.writes, ==, 0);
  meter_free (m);
}

static void
test_bad_start (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  Meter *m = meter_new (v1);

  /* Packets that do not add up to the size. */
  offer (m, v1, FFMETER_KIND_IMAGE, 2, 64);
  m->start.total_packets++;
  send_start (m);
  g_assert_cmpuint (m->requests, ==, 0);
  g_assert_cmpuint (m->report.status, ==, FFMETER_REPORT_BAD_START);
  meter_free (m);
}

static void
test_three_failures_sleep (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  g_autoptr(GBytes) v2 = test_image (2, 3000);
  Meter *m = meter_new (v1);

  offer (m, v2, FFMETER_KIND_IMAGE, 2, 100);
  send_start (m);
  for (unsigned i = 0; i < 5; i++)
    deliver (m, false);
  /* Each timeout asks again, the third in a row sends the meter to sleep. */
  ffmeter_download_timeout (&m->download);
  ffmeter_download_timeout (&m->download);
  g_assert_cmpint (ffmeter_download_state (&m->download), ==, FFMETER_DOWNLOAD_RECEIVING);
  g_assert_cmpuint (m->requests, ==, 5 + 3);
  ffmeter_download_timeout (&m->download);
  g_assert_cmpint (ffmeter_download_state (&m->download), ==, FFMETER_DOWNLOAD_SLEEPING);
  g_assert_cmpuint (m->requests, ==, 8);
  /* Asleep, nothing is sent, whatever comes. */
  ffmeter_download_timeout (&m->download);
  m->request_pending = true;
  deliver (m, false);
  g_assert_cmpuint (m->requests, ==, 8);
  g_assert_cmpuint (m->requested, ==, 5);
  m->fetched[5] = 0;
  /* A success resets the count: two failures, a packet, two failures do not sleep. */
  ffmeter_download_wake (&m->download);
  g_assert_cmpuint (m->requested, ==, 5);
  ffmeter_download_timeout (&m->download);
  ffmeter_download_timeout (&m->download);
  deliver (m, false);
  ffmeter_download_timeout (&m->download);
  ffmeter_download_timeout (&m->download);
  g_assert_cmpint (ffmeter_download_state (&m->download), ==, FFMETER_DOWNLOAD_RECEIVING);
  run_link (m, NULL);
  assert_installed (m, v2, 2);
  assert_each_fetched_once (m);
  meter_free (m);
}

static void
test_resume_after_break (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  g_autoptr(GBytes) v2 = test_image (2, 7000);

  /* Broken, then resumed at the next wake after a power cut, or by the platform's next start. */
  for (int by_start = 0; by_start < 2; by_start++)
    {
      Meter *m = meter_new (v1);

      offer (m, v2, FFMETER_KIND_IMAGE, 2, 128);
      send_start (m);
      break_off_after (m, 30);
      meter_reboot (m);
      g_assert_cmpuint (ffmeter_download_progress (&m->download)->next_seq, ==, 30);
      if (by_start)
        send_start (m);
      else
        ffmeter_download_wake (&m->download);
      g_assert_true (m->request_pending);
      g_assert_cmpuint (m->requested, ==, 30);
      run_link (m, NULL);
      assert_installed (m, v2, 2);
      assert_each_fetched_once (m);
      meter_free (m);
    }
}

/* The platform's start again while the meter's request is out (a retransmission, a second poll's
 * answer): nothing is asked twice. */
static void
test_repeated_start (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  g_autoptr(GBytes) v2 = test_image (2, 3000);
  Meter *m = meter_new (v1);

  offer (m, v2, FFMETER_KIND_IMAGE, 2, 100);
  send_start (m);
  deliver (m, false);
  deliver (m, false);
  g_assert_cmpuint (m->requests, ==, 3);
  send_start (m);
  g_assert_cmpuint (m->requests, ==, 3);
  g_assert_cmpuint (m->requested, ==, 2);
  run_link (m, NULL);
  assert_installed (m, v2, 2);
  assert_each_fetched_once (m);
  meter_free (m);
}

static void
test_bad_packet_asked_again (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  g_autoptr(GBytes) v2 = test_image (2, 3000);
  Meter *m = meter_new (v1);
  uint8_t late[FFMETER_PACKET_OVERHEAD + 100];
  FfMeterMessage packet;
  size_t n;

  offer (m, v2, FFMETER_KIND_IMAGE, 2, 100);
  send_start (m);
  deliver (m, false);
  deliver (m, false);
  /* A damaged packet: asked for again at once. */
  deliver (m, true);
  g_assert_true (m->request_pending);
  g_assert_cmpuint (m->requested, ==, 2);
  g_assert_cmpuint (m->requests, ==, 4);
  g_assert_cmpuint (ffmeter_download_progress (&m->download)->next_seq, ==, 2);
  /* A late copy of packet 1 is not a failure and not stored again. */
  packet = (FfMeterMessage) { .type = FFMETER_MSG_PACKET, .seq = 1, .data_len = 100,
                              .data = (const uint8_t *) g_bytes_get_data (v2, NULL) + 100 };
  n = ffmeter_message_write (&packet, late, sizeof late);
  m->request_pending = false;
  ffmeter_download_message (&m->download, late, n);
  g_assert_false (m->request_pending);
  g_assert_cmpuint (ffmeter_download_progress (&m->download)->next_seq, ==, 2);
  m->request_pending = true;
  /* Three damaged in a row: asleep. */
  deliver (m, true);
  deliver (m, true);
  g_assert_cmpint (ffmeter_download_state (&m->download), ==, FFMETER_DOWNLOAD_SLEEPING);
  ffmeter_download_wake (&m->download);
  run_link (m, NULL);
  assert_installed (m, v2, 2);
  assert_each_fetched_once (m);
  meter_free (m);
}

static void
test_wrong_total_checksum_never_installs (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  g_autoptr(GBytes) v2 = test_image (2, 3000);
  Meter *m = meter_new (v1);

  offer (m, v2, FFMETER_KIND_IMAGE, 2, 100);
  m->start.total_crc ^= 1;
  send_start (m);
  run_link (m, NULL);
  g_assert_cmpuint (m->report.status, ==, FFMETER_REPORT_BAD_CHECKSUM);
  g_assert_cmpuint (m->applies, ==, 0);
  g_assert_null (ffmeter_scheduler_find (&m->scheduler, APP, 2));
  g_assert_cmpuint (ffmeter_scheduler_installed_version (&m->scheduler, APP), ==, 1);
  g_assert_cmpint (ffmeter_scheduler_find (&m->scheduler, APP, 0)->state, ==, FFMETER_APP_RUNNING);
  /* Forgotten: the next start fetches the file whole. */
  g_assert_false (ffmeter_download_progress (&m->download)->active);
  memset (m->fetched, 0, sizeof m->fetched);
  offer (m, v2, FFMETER_KIND_IMAGE, 2, 100);
  send_start (m);
  g_assert_cmpuint (m->requested, ==, 0);
  run_link (m, NULL);
  assert_installed (m, v2, 2);
  meter_free (m);
}

static GBytes *
load (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, &error);

  g_assert_no_error (error);
  return g_mapped_file_get_bytes (file);
}

static bool
every_tenth (unsigned n)
{
  return n % 10 == 0;
}

static const char *old_path, *new_path;

/* The repository's pair of images (the command line's) and the patch from one to the other. */
static GBytes *
load_pair_patch (GBytes **v1, GBytes **v2)
{
  g_autoptr(GError) error = NULL;
  GBytes *patch;

  *v1 = load (old_path);
  *v2 = load (new_path);
  patch = ff_delta_make (*v1, *v2, &error);
  g_assert_no_error (error);
  return patch;
}

static void
test_delta_installed_with_loss (void)
{
  g_autoptr(GBytes) v1 = NULL;
  g_autoptr(GBytes) v2 = NULL;
  g_autoptr(GBytes) patch = load_pair_patch (&v1, &v2);
  Meter *m;

  m = meter_new (v1);
  offer (m, patch, FFMETER_KIND_FFDELTA1, 2, 256);
  send_start (m);
  run_link (m, every_tenth);
  assert_installed (m, v2, 2);
  assert_each_fetched_once (m);
  g_assert_cmpuint (m->applies, ==, 1);
  meter_free (m);

  /* A patch for another old image is refused by the apply step: the old version keeps running. */
  m = meter_new (v2);
  offer (m, patch, FFMETER_KIND_FFDELTA1, 2, 256);
  send_start (m);
  run_link (m, NULL);
  g_assert_cmpuint (m->report.status, ==, FFMETER_REPORT_APPLY_FAILED);
  g_assert_cmpuint (ffmeter_scheduler_installed_version (&m->scheduler, APP), ==, 1);
  g_assert_null (ffmeter_scheduler_find (&m->scheduler, APP, 2));
  meter_free (m);
}

/* The platform's offer of version 2 changes while the meter's download of it is broken off (an
 * image instead of the patch, or the other way round): the meter's first request after its wake
 * names the package it has packets of, the platform answers with the start of the one it offers
 * now, and the meter fetches that one from its first packet, each packet once, and installs. */
static void
assert_switch_while_broken (GBytes *v1, GBytes *v2, GBytes *first, uint8_t first_kind,
                            GBytes *second, uint8_t second_kind)
{
  Meter *m = meter_new (v1);

  offer (m, first, first_kind, 2, 64);
  send_start (m);
  break_off_after (m, 10);
  offer (m, second, second_kind, 2, 64);
  memset (m->fetched, 0, sizeof m->fetched);
  meter_reboot (m);
  ffmeter_download_wake (&m->download);
  g_assert_cmpuint (m->requested, ==, 10);
  run_link (m, NULL);
  g_assert_cmpuint (m->switches_seen, ==, 1);
  assert_installed (m, v2, 2);
  assert_each_fetched_once (m);
  g_assert_cmpuint (m->reports, ==, 1);
  g_assert_cmpuint (m->applies, ==, 1);
  meter_free (m);
}

static void
test_offer_switched_while_broken (void)
{
  g_autoptr(GBytes) v1 = NULL;
  g_autoptr(GBytes) v2 = NULL;
  g_autoptr(GBytes) patch = load_pair_patch (&v1, &v2);

  assert_switch_while_broken (v1, v2, v2, FFMETER_KIND_IMAGE, patch, FFMETER_KIND_FFDELTA1);
  assert_switch_while_broken (v1, v2, patch, FFMETER_KIND_FFDELTA1, v2, FFMETER_KIND_IMAGE);
}

/* The platform withdrew the version a broken download was for and offers what the meter runs:
 * the meter forgets that download at once instead of asking for it again at every wake-up. */
static void
test_withdrawn_while_broken_forgotten (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  g_autoptr(GBytes) v2 = test_image (2, 7000);
  Meter *m = meter_new (v1);
  unsigned requests;

  offer (m, v2, FFMETER_KIND_IMAGE, 2, 128);
  send_start (m);
  break_off_after (m, 10);
  meter_reboot (m);
  ffmeter_download_wake (&m->download);
  g_assert_cmpuint (m->requested, ==, 10);
  /* Answered 4.12 (the ETag is offered no more); the poll's start names version 1. */
  m->request_pending = false;
  offer (m, v1, FFMETER_KIND_IMAGE, 1, 128);
  send_start (m);
  g_assert_cmpuint (m->report.status, ==, FFMETER_REPORT_UP_TO_DATE);
  g_assert_cmpuint (m->report.version, ==, 1);
  g_assert_false (ffmeter_download_progress (&m->download)->active);
  g_assert_cmpint (ffmeter_download_state (&m->download), ==, FFMETER_DOWNLOAD_IDLE);
  /* The next cycle asks for nothing, also after a power cut. */
  requests = m->requests;
  meter_reboot (m);
  ffmeter_download_wake (&m->download);
  g_assert_false (m->request_pending);
  g_assert_cmpuint (m->requests, ==, requests);
  g_assert_cmpuint (ffmeter_scheduler_find (&m->scheduler, APP, 0)->version, ==, 1);
  meter_free (m);
}

/* A progress record of format 1 (before the ETag), valid in every other way and naming a download
 * under way, is no download: the meter fetches the next start's package from its first packet. */
static void
test_old_progress_record_reset (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  g_autoptr(GBytes) v2 = test_image (2, 3000);
  Meter *m = meter_new (v1);
  uint8_t *copy = m->progress_flash.copy[0];

  offer (m, v2, FFMETER_KIND_IMAGE, 2, 100);
  /* Format 1: magic, format, 3 reserved, sequence, then 28 bytes of payload and the CRC-32. */
  memset (copy, 0, 44);
  memcpy (copy, "FFMD", 4);
  copy[4] = 1;
  copy[8] = 5;
  copy[12] = 1;                                          /* active */
  copy[14] = APP;
  copy[16] = 2;                                          /* version */
  copy[20] = 30;                                         /* packets */
  copy[22] = 100;                                        /* packet size */
  memcpy (copy + 24, (const uint8_t[]) { 0xb8, 0x0b }, 2);   /* 3000 bytes */
  memcpy (copy + 28, &m->start.total_crc, 4);             /* little-endian here too */
  copy[32] = 12;                                         /* packets stored */
  copy[34] = FFMETER_APP_RESIDENT;
  {
    uint32_t crc = ffmeter_crc32 (0, copy, 40);

    memcpy (copy + 40, &crc, 4);
  }
  ffmeter_download_init (&m->download, &m->scheduler, &m->transport, &m->progress_flash.store);
  g_assert_false (ffmeter_download_progress (&m->download)->active);
  ffmeter_download_wake (&m->download);
  g_assert_cmpuint (m->requests, ==, 0);
  send_start (m);
  g_assert_cmpuint (m->requested, ==, 0);
  run_link (m, NULL);
  assert_installed (m, v2, 2);
  assert_each_fetched_once (m);
  meter_free (m);
}

/* The power goes in the middle of each progress write in turn; after it comes back the meter
 * resumes at its next wake and installs, fetching nothing again but the packet in flight. */
static void
test_power_cut_every_progress_write (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  g_autoptr(GBytes) v2 = test_image (2, 2000);
  unsigned writes;

  {
    Meter *m = meter_new (v1);

    offer (m, v2, FFMETER_KIND_IMAGE, 2, 100);
    send_start (m);
    run_link (m, NULL);
    writes = m->progress_flash.writes;
    meter_free (m);
  }
  g_assert_cmpuint (writes, ==, 1 + 20 + 1);   /* start, every packet, the end */
  for (unsigned cut = 0; cut < writes; cut++)
    {
      Meter *m = meter_new (v1);
      unsigned total = 0;

      m->progress_flash.budget = (long) (cut * FFMETER_PROGRESS_COPY_SIZE
                                         + FFMETER_PROGRESS_COPY_SIZE / 2);
      offer (m, v2, FFMETER_KIND_IMAGE, 2, 100);
      send_start (m);
      run_link (m, NULL);
      meter_reboot (m);
      if (cut == 0)
        send_start (m);   /* nothing was recorded: the platform's next start begins again */
      else
        ffmeter_download_wake (&m->download);
      run_link (m, NULL);
      assert_installed (m, v2, 2);
      for (unsigned seq = 0; seq < m->start.total_packets; seq++)
        {
          g_assert_cmpuint (m->fetched[seq], >=, 1);
          total += m->fetched[seq];
        }
      g_assert_cmpuint (total, <=, m->start.total_packets + 1u);
      meter_free (m);
    }
}

static void
send_command (Meter *m, FfMeterOp op, uint32_t version)
{
  FfMeterMessage command = { .type = FFMETER_MSG_COMMAND, .op = (uint8_t) op, .app_id = APP,
                             .version = version };
  uint8_t out[FFMETER_COMMAND_SIZE];

  g_assert_cmpuint (ffmeter_message_write (&command, out, sizeof out), ==, sizeof out);
  m->reports = 0;
  ffmeter_download_message (&m->download, out, sizeof out);
  g_assert_cmpuint (m->reports, ==, 1);
  g_assert_cmpuint (m->report.status, ==, FFMETER_REPORT_COMMAND);
  g_assert_cmpuint (m->report.app_id, ==, APP);
}

/* The platform's operations reach the scheduler, which keeps the seed's rules: a running app is
 * not uninstalled before it is stopped. The outcome comes back as a report. */
static void
test_commands (void)
{
  g_autoptr(GBytes) v1 = test_image (1, 5000);
  Meter *m = meter_new (v1);
  uint8_t bad[FFMETER_COMMAND_SIZE] = { FFMETER_MSG_COMMAND, FFMETER_OP_COUNT, APP, 0 };

  send_command (m, FFMETER_OP_UNINSTALL, 0);
  g_assert_cmpuint (m->report.detail, ==, FFMETER_ERROR_STOP_FIRST);
  g_assert_cmpint (ffmeter_scheduler_find (&m->scheduler, APP, 0)->state, ==, FFMETER_APP_RUNNING);
  send_command (m, FFMETER_OP_STOP, 0);
  g_assert_cmpuint (m->report.detail, ==, FFMETER_OK);
  send_command (m, FFMETER_OP_UNINSTALL, 1);
  g_assert_cmpuint (m->report.detail, ==, FFMETER_OK);
  g_assert_cmpuint (m->report.version, ==, 1);
  g_assert_cmpint (ffmeter_scheduler_find (&m->scheduler, APP, 0)->state, ==,
                   FFMETER_APP_UNINSTALLED);
  send_command (m, FFMETER_OP_RUN, 0);
  g_assert_cmpuint (m->report.detail, ==, FFMETER_ERROR_NOT_READY);
  /* An operation the meter does not know is refused as invalid, and changes nothing. */
  m->reports = 0;
  ffmeter_download_message (&m->download, bad, sizeof bad);
  g_assert_cmpuint (m->report.status, ==, FFMETER_REPORT_COMMAND);
  g_assert_cmpuint (m->report.detail, ==, FFMETER_ERROR_INVALID);
  /* No download was touched. */
  g_assert_cmpuint (m->requests, ==, 0);
  g_assert_cmpuint (m->progress_flash.writes, ==, 0);
  meter_free (m);
}

static void
test_messages_round_trip (void)
{
  const uint8_t data[] = { 1, 2, 3 };
  FfMeterMessage in[] = {
    { .type = FFMETER_MSG_START, .kind = 1, .app_flags = 1, .app_id = 9, .version = 0x01020304,
      .total_packets = 3, .packet_size = 512, .total_size = 1030, .total_crc = 0xdeadbeef,
      .etag = { 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8 } },
    { .type = FFMETER_MSG_PACKET, .seq = 65535, .data_len = 3, .data = data },
    { .type = FFMETER_MSG_REQUEST, .app_id = 65535, .version = 7, .seq = 2,
      .etag = { 8, 7, 6, 5, 4, 3, 2, 1 } },
    { .type = FFMETER_MSG_REPORT, .app_id = 1, .version = 2, .status = 5, .detail = 14 },
    { .type = FFMETER_MSG_COMMAND, .op = FFMETER_OP_UNINSTALL, .app_id = 3, .version = 0 },
  };
  /* The start message byte by byte (docs/meters.md). */
  static const uint8_t start_bytes[FFMETER_START_SIZE] = {
    0x01, 0x01, 0x09, 0x00, 0x04, 0x03, 0x02, 0x01, 0x03, 0x00, 0x00, 0x02,
    0x06, 0x04, 0x00, 0x00, 0xef, 0xbe, 0xad, 0xde, 0x01,
    0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
  };
  uint8_t out[64];

  for (unsigned i = 0; i < G_N_ELEMENTS (in); i++)
    {
      FfMeterMessage back;
      size_t n = ffmeter_message_write (&in[i], out, sizeof out);

      g_assert_cmpuint (n, >, 0);
      if (i == 0)
        g_assert_cmpmem (out, n, start_bytes, sizeof start_bytes);
      g_assert_cmpint (ffmeter_message_parse (out, n, &back), ==, FFMETER_PARSE_OK);
      if (in[i].data)
        {
          g_assert_cmpmem (back.data, back.data_len, data, sizeof data);
          back.data = in[i].data;
        }
      g_assert_true (memcmp (&back, &in[i], sizeof back) == 0);
      /* Every shorter and one longer input is refused. */
      for (size_t cut = 0; cut < n; cut++)
        g_assert_cmpint (ffmeter_message_parse (out, cut, &back), !=, FFMETER_PARSE_OK);
      g_assert_cmpint (ffmeter_message_parse (out, n + 1, &back), !=, FFMETER_PARSE_OK);
      g_assert_cmpuint (ffmeter_message_write (&in[i], out, n - 1), ==, 0);
    }
  out[0] = 0x7f;
  g_assert_cmpint (ffmeter_message_parse (out, 9, &in[0]), ==, FFMETER_PARSE_UNKNOWN_TYPE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 3);
  old_path = argv[1];
  new_path = argv[2];
  g_test_add_func ("/meter/download/messages-round-trip", test_messages_round_trip);
  g_test_add_func ("/meter/download/image-installed", test_image_installed);
  g_test_add_func ("/meter/download/not-newer-stops", test_not_newer_stops);
  g_test_add_func ("/meter/download/bad-start", test_bad_start);
  g_test_add_func ("/meter/download/three-failures-sleep", test_three_failures_sleep);
  g_test_add_func ("/meter/download/resume-after-break", test_resume_after_break);
  g_test_add_func ("/meter/download/repeated-start", test_repeated_start);
  g_test_add_func ("/meter/download/bad-packet-asked-again", test_bad_packet_asked_again);
  g_test_add_func ("/meter/download/wrong-total-checksum-never-installs",
                   test_wrong_total_checksum_never_installs);
  g_test_add_func ("/meter/download/delta-installed-with-loss", test_delta_installed_with_loss);
  g_test_add_func ("/meter/download/commands", test_commands);
  g_test_add_func ("/meter/download/offer-switched-while-broken",
                   test_offer_switched_while_broken);
  g_test_add_func ("/meter/download/withdrawn-while-broken-forgotten",
                   test_withdrawn_while_broken_forgotten);
  g_test_add_func ("/meter/download/old-progress-record-reset", test_old_progress_record_reset);
  g_test_add_func ("/meter/download/power-cut-every-progress-write",
                   test_power_cut_every_progress_write);
  return g_test_run ();
}
