/* fuzz-meter-message.c: libFuzzer target: meter/'s download messages. Input: any number of
 * messages, each a length byte then its bytes. Each one is parsed (a message that parses must
 * write back to the same bytes) and fed to a meter's download state machine, which must never
 * write outside its staging area or read outside the message, whatever arrives in any order. */
#include <stdlib.h>
#include <string.h>

#include "ffmeter-download.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define STAGING 4096

static uint8_t records[2][2][FFMETER_TABLE_COPY_SIZE];
static uint8_t staging[STAGING];

static int
store_read (void *user, unsigned copy, uint8_t *buf, size_t len)
{
  uint8_t (*area)[FFMETER_TABLE_COPY_SIZE] = user;

  if (copy > 1 || len > FFMETER_TABLE_COPY_SIZE)
    abort ();
  memcpy (buf, area[copy], len);
  return 0;
}

static int
store_write (void *user, unsigned copy, const uint8_t *buf, size_t len)
{
  uint8_t (*area)[FFMETER_TABLE_COPY_SIZE] = user;

  if (copy > 1 || len > FFMETER_TABLE_COPY_SIZE)
    abort ();
  memcpy (area[copy], buf, len);
  return 0;
}

static int
send_message (void *user, const uint8_t *data, size_t len)
{
  FfMeterMessage m;

  /* What the meter sends always parses. */
  if (ffmeter_message_parse (data, len, &m) != FFMETER_PARSE_OK)
    abort ();
  return 0;
}

static int
write_package (void *user, uint32_t offset, const uint8_t *data, size_t len)
{
  /* Packets beyond the staging area are refused as a full flash would refuse them. */
  if (offset > STAGING || len > STAGING - offset)
    return -1;
  memcpy (staging + offset, data, len);
  return 0;
}

static int
apply (void *user, uint8_t kind, uint16_t app_id, uint32_t version, uint32_t package_size,
       uint32_t *slot, uint32_t *size)
{
  if (package_size > STAGING)
    abort ();   /* all its packets were stored, so they fit */
  *slot = 1;
  *size = package_size;
  return 0;
}

static const FfMeterStore table_store = { store_read, store_write, records[0] };
static const FfMeterStore progress_store = { store_read, store_write, records[1] };
static const FfMeterTransport transport = { send_message, write_package, apply, NULL };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static FfMeterScheduler scheduler;
  static FfMeterDownload download;
  uint8_t out[FFMETER_PACKET_OVERHEAD + FFMETER_MAX_PACKET_DATA];

  memset (records, 0xff, sizeof records);
  ffmeter_scheduler_power_on (&scheduler, &table_store, NULL);
  ffmeter_download_init (&download, &scheduler, &transport, &progress_store);
  while (size > 0)
    {
      size_t len = data[0] < size - 1 ? data[0] : size - 1;
      const uint8_t *message = data + 1;
      FfMeterMessage m;

      if (ffmeter_message_parse (message, len, &m) == FFMETER_PARSE_OK
          && (ffmeter_message_write (&m, out, sizeof out) != len
              || memcmp (out, message, len) != 0))
        abort ();
      ffmeter_download_message (&download, message, len);
      /* The length byte's low bits also stand for the other events. */
      if ((data[0] & 3) == 1)
        ffmeter_download_timeout (&download);
      else if ((data[0] & 3) == 2)
        ffmeter_download_wake (&download);
      data += 1 + len;
      size -= 1 + len;
    }
  return 0;
}
