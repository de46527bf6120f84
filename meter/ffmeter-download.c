/* ffmeter-download.c: the meter side of seed 004's download: start, packets one by one with their
 * sequence and checksum checked, progress recorded after each so a later cycle resumes, sleep after
 * three failed requests in a row, then the whole file's checksum, the apply step and a report. */
#include <string.h>

#include "ffmeter-download.h"
#include "ffmeter-private.h"

static const char progress_magic[4] = { 'F', 'F', 'M', 'D' };

static void
progress_encode (const FfMeterProgress *p, uint8_t *out)
{
  out[0] = p->active;
  out[1] = p->kind;
  ffmeter_put16 (out + 2, p->app_id);
  ffmeter_put32 (out + 4, p->version);
  ffmeter_put16 (out + 8, p->total_packets);
  ffmeter_put16 (out + 10, p->packet_size);
  ffmeter_put32 (out + 12, p->total_size);
  ffmeter_put32 (out + 16, p->total_crc);
  ffmeter_put16 (out + 20, p->next_seq);
  out[22] = p->app_flags;
  out[23] = 0;
  ffmeter_put32 (out + 24, p->crc_so_far);
  memcpy (out + 28, p->etag, FFMETER_ETAG_SIZE);
}

static void
progress_decode (FfMeterProgress *p, const uint8_t *in)
{
  p->active = in[0] != 0;
  p->kind = in[1];
  p->app_id = ffmeter_get16 (in + 2);
  p->version = ffmeter_get32 (in + 4);
  p->total_packets = ffmeter_get16 (in + 8);
  p->packet_size = ffmeter_get16 (in + 10);
  p->total_size = ffmeter_get32 (in + 12);
  p->total_crc = ffmeter_get32 (in + 16);
  p->next_seq = ffmeter_get16 (in + 20);
  p->app_flags = in[22];
  p->crc_so_far = ffmeter_get32 (in + 24);
  memcpy (p->etag, in + 28, FFMETER_ETAG_SIZE);
  if (p->next_seq > p->total_packets)
    p->active = 0;
}

/* Records progress; only once it is stored does RAM move on, so RAM never runs ahead of storage. */
static int
progress_save (FfMeterDownload *d, const FfMeterProgress *next)
{
  progress_encode (next, d->buf + FFMETER_RECORD_HEADER);
  if (ffmeter_record_save (d->store, progress_magic, FFMETER_PROGRESS_FORMAT, d->buf, sizeof d->buf,
                           &d->sequence, &d->copy) != 0)
    return -1;
  d->progress = *next;
  return 0;
}

void
ffmeter_download_init (FfMeterDownload *d, FfMeterScheduler *scheduler,
                       const FfMeterTransport *transport, const FfMeterStore *store)
{
  memset (d, 0, sizeof *d);
  d->scheduler = scheduler;
  d->transport = transport;
  d->store = store;
  /* A copy of an older format (no ETag) is none: a download it recorded starts again whole. */
  if (ffmeter_record_load (store, progress_magic, FFMETER_PROGRESS_FORMAT, d->buf, sizeof d->buf,
                           &d->sequence, &d->copy))
    progress_decode (&d->progress, d->buf + FFMETER_RECORD_HEADER);
  d->state = FFMETER_DOWNLOAD_IDLE;
}

FfMeterDownloadState
ffmeter_download_state (const FfMeterDownload *d)
{
  return (FfMeterDownloadState) d->state;
}

const FfMeterProgress *
ffmeter_download_progress (const FfMeterDownload *d)
{
  return &d->progress;
}

static void
send_message (FfMeterDownload *d, const FfMeterMessage *m)
{
  uint8_t out[FFMETER_REQUEST_SIZE];
  size_t n = ffmeter_message_write (m, out, sizeof out);

  /* A send that fails is a request with no answer: the reply timer finds it. */
  (void) d->transport->send (d->transport->user, out, n);
}

static void
report (FfMeterDownload *d, uint16_t app_id, uint32_t version, FfMeterReportStatus status,
        uint8_t detail)
{
  FfMeterMessage m = { .type = FFMETER_MSG_REPORT, .app_id = app_id, .version = version,
                       .status = (uint8_t) status, .detail = detail };

  send_message (d, &m);
}

static void
request_next (FfMeterDownload *d)
{
  FfMeterMessage m = { .type = FFMETER_MSG_REQUEST, .app_id = d->progress.app_id,
                       .version = d->progress.version, .seq = d->progress.next_seq };

  /* The platform sends a packet only of the package this ETag names; when it offers another one
   * now it answers with that one's start (over CoAP: 4.12, and the meter polls at once). */
  memcpy (m.etag, d->progress.etag, FFMETER_ETAG_SIZE);
  d->state = FFMETER_DOWNLOAD_RECEIVING;
  send_message (d, &m);
}

/* The download is over, one way or the other: report, forget it, wait for the next start. A wrong
 * file is forgotten too, so the next start fetches it whole. */
static void
finish (FfMeterDownload *d, FfMeterReportStatus status, uint8_t detail)
{
  FfMeterProgress done = { 0 };

  report (d, d->progress.app_id, d->progress.version, status, detail);
  if (status != FFMETER_REPORT_STORAGE)
    (void) progress_save (d, &done);
  d->state = FFMETER_DOWNLOAD_IDLE;
  d->failures = 0;
}

/* A request that got no answer, or a bad one: ask again, or after the third in a row sleep until
 * the next cycle, to spare the battery. */
static void
request_failed (FfMeterDownload *d)
{
  if (++d->failures >= FFMETER_MAX_FAILURES)
    {
      d->state = FFMETER_DOWNLOAD_SLEEPING;
      return;
    }
  request_next (d);
}

/* All packets are in. Each step is skipped when a cut after it already happened last time: the
 * scheduler's row of this version says how far it got. */
static void
complete (FfMeterDownload *d)
{
  const FfMeterProgress *p = &d->progress;
  const FfMeterApp *app;
  FfMeterResult result = FFMETER_OK;

  if (p->crc_so_far != p->total_crc)
    {
      finish (d, FFMETER_REPORT_BAD_CHECKSUM, 0);
      return;
    }
  app = ffmeter_scheduler_find (d->scheduler, p->app_id, p->version);
  if (!app)
    {
      uint32_t slot = 0, size = 0;

      if (d->transport->apply (d->transport->user, p->kind, p->app_id, p->version, p->total_size,
                               &slot, &size) != 0)
        {
          finish (d, FFMETER_REPORT_APPLY_FAILED, 0);
          return;
        }
      result = ffmeter_scheduler_download (d->scheduler, p->app_id, p->version, p->app_flags,
                                           slot, size);
      app = ffmeter_scheduler_find (d->scheduler, p->app_id, p->version);
    }
  if (result == FFMETER_OK && app->state == FFMETER_APP_DOWNLOADED)
    result = ffmeter_scheduler_command (d->scheduler, FFMETER_OP_INSTALL, p->app_id, p->version);
  if (result == FFMETER_OK && app->state == FFMETER_APP_INSTALLED)
    result = ffmeter_scheduler_command (d->scheduler, FFMETER_OP_INIT, p->app_id, p->version);
  if (result == FFMETER_OK && app->state != FFMETER_APP_READY && app->state != FFMETER_APP_RUNNING)
    result = FFMETER_ERROR_NOT_INSTALLED;   /* a row of this version that is stopped or gone */
  if (result == FFMETER_OK)
    finish (d, FFMETER_REPORT_READY, 0);
  else
    finish (d, FFMETER_REPORT_REFUSED, (uint8_t) result);
}

/* Resumes the recorded download, or finishes it when every packet was in before a cut. */
static void
continue_download (FfMeterDownload *d)
{
  d->failures = 0;
  if (d->progress.next_seq == d->progress.total_packets)
    complete (d);
  else
    request_next (d);
}

static bool
same_package (const FfMeterProgress *p, const FfMeterMessage *m)
{
  return p->active && p->app_id == m->app_id && p->version == m->version && p->kind == m->kind
         && p->app_flags == m->app_flags && p->total_packets == m->total_packets
         && p->packet_size == m->packet_size && p->total_size == m->total_size
         && p->total_crc == m->total_crc && memcmp (p->etag, m->etag, FFMETER_ETAG_SIZE) == 0;
}

/* The seed's three-way decision: a version not newer stops at once; the package this meter has
 * part of resumes; anything else is received from the first packet. */
static void
on_start (FfMeterDownload *d, const FfMeterMessage *m)
{
  const FfMeterApp *current = ffmeter_scheduler_find (d->scheduler, m->app_id, 0);

  if ((current && current->state != FFMETER_APP_UNINSTALLED && m->version <= current->version)
      || ffmeter_scheduler_find (d->scheduler, m->app_id, m->version))
    {
      if (!same_package (&d->progress, m))
        {
          /* What this app's broken download was for is offered no more (withdrawn, or what
           * runs is current again): forgotten, or each wake-up would ask for it in vain. */
          if (d->progress.active && d->progress.app_id == m->app_id)
            {
              FfMeterProgress none = { 0 };

              (void) progress_save (d, &none);
              d->state = FFMETER_DOWNLOAD_IDLE;
              d->failures = 0;
            }
          report (d, m->app_id, m->version, FFMETER_REPORT_UP_TO_DATE, 0);
          return;
        }
    }
  if (same_package (&d->progress, m) && d->state == FFMETER_DOWNLOAD_RECEIVING)
    return;   /* a repeated start while its request is out: the answer is on its way */
  if (!same_package (&d->progress, m))
    {
      FfMeterProgress fresh = {
        .active = 1, .kind = m->kind, .app_flags = m->app_flags, .app_id = m->app_id,
        .version = m->version, .total_packets = m->total_packets, .packet_size = m->packet_size,
        .total_size = m->total_size, .total_crc = m->total_crc,
      };

      memcpy (fresh.etag, m->etag, FFMETER_ETAG_SIZE);

      if (progress_save (d, &fresh) != 0)
        {
          report (d, m->app_id, m->version, FFMETER_REPORT_STORAGE, 0);
          d->state = FFMETER_DOWNLOAD_IDLE;
          return;
        }
    }
  continue_download (d);
}

static void
on_packet (FfMeterDownload *d, const FfMeterMessage *m)
{
  const FfMeterProgress *p = &d->progress;
  uint16_t last = (uint16_t) (p->total_packets - 1);
  uint32_t offset = (uint32_t) m->seq * p->packet_size;
  uint32_t expected = m->seq == last ? p->total_size - (uint32_t) last * p->packet_size
                                     : p->packet_size;
  FfMeterProgress next = *p;

  if (m->seq != p->next_seq)
    return;   /* a late answer to an earlier request: its packet is stored already */
  if (m->data_len != expected)
    {
      request_failed (d);
      return;
    }
  /* The packet goes to flash before the progress that names it: after a cut in between it is
   * simply asked for and written again (same offset, same bytes). */
  next.next_seq++;
  next.crc_so_far = ffmeter_crc32 (p->crc_so_far, m->data, m->data_len);
  if (d->transport->write_package (d->transport->user, offset, m->data, m->data_len) != 0
      || progress_save (d, &next) != 0)
    {
      report (d, p->app_id, p->version, FFMETER_REPORT_STORAGE, 0);
      d->state = FFMETER_DOWNLOAD_IDLE;
      return;
    }
  continue_download (d);
}

/* An operation the platform asks for (run, stop, uninstall …): the scheduler decides, by the seed's
 * rules, whatever the download is doing; the meter reports the outcome. */
static void
on_command (FfMeterDownload *d, const FfMeterMessage *m, FfMeterParse parse)
{
  FfMeterResult result = parse == FFMETER_PARSE_OK
                         ? ffmeter_scheduler_command (d->scheduler, (FfMeterOp) m->op, m->app_id,
                                                      m->version)
                         : FFMETER_ERROR_INVALID;

  report (d, m->app_id, m->version, FFMETER_REPORT_COMMAND, (uint8_t) result);
}

void
ffmeter_download_message (FfMeterDownload *d, const uint8_t *data, size_t len)
{
  FfMeterMessage m;
  FfMeterParse parse = ffmeter_message_parse (data, len, &m);

  if (m.type == FFMETER_MSG_COMMAND && (parse == FFMETER_PARSE_OK
                                        || parse == FFMETER_PARSE_BAD_VALUE))
    on_command (d, &m, parse);
  else if (m.type == FFMETER_MSG_START && parse == FFMETER_PARSE_BAD_VALUE)
    report (d, m.app_id, m.version, FFMETER_REPORT_BAD_START, 0);
  else if (parse == FFMETER_PARSE_OK && m.type == FFMETER_MSG_START)
    on_start (d, &m);
  else if (d->state != FFMETER_DOWNLOAD_RECEIVING)
    return;   /* nothing asked for: a stray or late message */
  else if (parse == FFMETER_PARSE_OK && m.type == FFMETER_MSG_PACKET)
    on_packet (d, &m);
  else if (parse != FFMETER_PARSE_OK)
    request_failed (d);   /* a damaged answer is as good as none */
}

void
ffmeter_download_timeout (FfMeterDownload *d)
{
  if (d->state == FFMETER_DOWNLOAD_RECEIVING)
    request_failed (d);
}

void
ffmeter_download_wake (FfMeterDownload *d)
{
  if (d->progress.active)
    continue_download (d);
  else
    d->state = FFMETER_DOWNLOAD_IDLE;
}
