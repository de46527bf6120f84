/* ffmeter-wire.c: the protocol's five messages, byte by byte (docs/meters.md). */
#include <string.h>

#include "ffmeter-download.h"
#include "ffmeter-private.h"

static FfMeterParse
check_size (size_t len, size_t need)
{
  if (len < need)
    return FFMETER_PARSE_TRUNCATED;
  return len > need ? FFMETER_PARSE_TRAILING : FFMETER_PARSE_OK;
}

/* A start message describes a package only when its packets add up to its size. */
static bool
start_consistent (const FfMeterMessage *m)
{
  uint32_t full = (uint32_t) (m->total_packets - 1) * m->packet_size;

  return m->app_id != 0 && m->version != 0 && m->kind <= FFMETER_KIND_FFDELTA1
         && (m->app_flags & ~FFMETER_APP_RESIDENT) == 0 && m->total_packets != 0
         && m->packet_size != 0 && m->packet_size <= FFMETER_MAX_PACKET_DATA
         && m->total_size > full && m->total_size - full <= m->packet_size;
}

FfMeterParse
ffmeter_message_parse (const uint8_t *data, size_t len, FfMeterMessage *m)
{
  FfMeterParse parse;

  memset (m, 0, sizeof *m);
  if (len < 1)
    return FFMETER_PARSE_TRUNCATED;
  m->type = data[0];
  switch (data[0])
    {
    case FFMETER_MSG_START:
      if ((parse = check_size (len, FFMETER_START_SIZE)) != FFMETER_PARSE_OK)
        return parse;
      m->kind = data[1];
      m->app_id = ffmeter_get16 (data + 2);
      m->version = ffmeter_get32 (data + 4);
      m->total_packets = ffmeter_get16 (data + 8);
      m->packet_size = ffmeter_get16 (data + 10);
      m->total_size = ffmeter_get32 (data + 12);
      m->total_crc = ffmeter_get32 (data + 16);
      m->app_flags = data[20];
      memcpy (m->etag, data + 21, FFMETER_ETAG_SIZE);
      return start_consistent (m) ? FFMETER_PARSE_OK : FFMETER_PARSE_BAD_VALUE;
    case FFMETER_MSG_PACKET:
      if (len < FFMETER_PACKET_OVERHEAD)
        return FFMETER_PARSE_TRUNCATED;
      m->seq = ffmeter_get16 (data + 1);
      m->data_len = ffmeter_get16 (data + 3);
      if ((parse = check_size (len, FFMETER_PACKET_OVERHEAD + (size_t) m->data_len))
          != FFMETER_PARSE_OK)
        return parse;
      m->data = data + 5;
      return ffmeter_get32 (data + len - 4) == ffmeter_crc32 (0, data, len - 4)
             ? FFMETER_PARSE_OK : FFMETER_PARSE_BAD_CHECKSUM;
    case FFMETER_MSG_COMMAND:
      if ((parse = check_size (len, FFMETER_COMMAND_SIZE)) != FFMETER_PARSE_OK)
        return parse;
      m->op = data[1];
      m->app_id = ffmeter_get16 (data + 2);
      m->version = ffmeter_get32 (data + 4);
      return m->op < FFMETER_OP_COUNT && m->app_id != 0 ? FFMETER_PARSE_OK : FFMETER_PARSE_BAD_VALUE;
    case FFMETER_MSG_REQUEST:
      if ((parse = check_size (len, FFMETER_REQUEST_SIZE)) != FFMETER_PARSE_OK)
        return parse;
      m->app_id = ffmeter_get16 (data + 1);
      m->version = ffmeter_get32 (data + 3);
      m->seq = ffmeter_get16 (data + 7);
      memcpy (m->etag, data + 9, FFMETER_ETAG_SIZE);
      return FFMETER_PARSE_OK;
    case FFMETER_MSG_REPORT:
      if ((parse = check_size (len, FFMETER_REPORT_SIZE)) != FFMETER_PARSE_OK)
        return parse;
      m->app_id = ffmeter_get16 (data + 1);
      m->version = ffmeter_get32 (data + 3);
      m->status = data[7];
      m->detail = data[8];
      return FFMETER_PARSE_OK;
    }
  return FFMETER_PARSE_UNKNOWN_TYPE;
}

size_t
ffmeter_message_write (const FfMeterMessage *m, uint8_t *out, size_t len)
{
  size_t size;

  switch (m->type)
    {
    case FFMETER_MSG_START:
      if (len < FFMETER_START_SIZE)
        return 0;
      out[0] = m->type;
      out[1] = m->kind;
      ffmeter_put16 (out + 2, m->app_id);
      ffmeter_put32 (out + 4, m->version);
      ffmeter_put16 (out + 8, m->total_packets);
      ffmeter_put16 (out + 10, m->packet_size);
      ffmeter_put32 (out + 12, m->total_size);
      ffmeter_put32 (out + 16, m->total_crc);
      out[20] = m->app_flags;
      memcpy (out + 21, m->etag, FFMETER_ETAG_SIZE);
      return FFMETER_START_SIZE;
    case FFMETER_MSG_PACKET:
      size = FFMETER_PACKET_OVERHEAD + (size_t) m->data_len;
      if (len < size)
        return 0;
      out[0] = m->type;
      ffmeter_put16 (out + 1, m->seq);
      ffmeter_put16 (out + 3, m->data_len);
      if (m->data_len)
        memmove (out + 5, m->data, m->data_len);
      ffmeter_put32 (out + size - 4, ffmeter_crc32 (0, out, size - 4));
      return size;
    case FFMETER_MSG_COMMAND:
      if (len < FFMETER_COMMAND_SIZE)
        return 0;
      out[0] = m->type;
      out[1] = m->op;
      ffmeter_put16 (out + 2, m->app_id);
      ffmeter_put32 (out + 4, m->version);
      return FFMETER_COMMAND_SIZE;
    case FFMETER_MSG_REQUEST:
    case FFMETER_MSG_REPORT:
      size = m->type == FFMETER_MSG_REQUEST ? FFMETER_REQUEST_SIZE : FFMETER_REPORT_SIZE;
      if (len < size)
        return 0;
      out[0] = m->type;
      ffmeter_put16 (out + 1, m->app_id);
      ffmeter_put32 (out + 3, m->version);
      if (m->type == FFMETER_MSG_REQUEST)
        {
          ffmeter_put16 (out + 7, m->seq);
          memcpy (out + 9, m->etag, FFMETER_ETAG_SIZE);
        }
      else
        {
          out[7] = m->status;
          out[8] = m->detail;
        }
      return size;
    }
  return 0;
}
