/* test-iec104-harness.c: in-memory loopback of master and outstation on a simulated clock. */
#include "test-iec104-harness.h"

#include <stdlib.h>
#include <string.h>

/* ---- simulated terminal ---- */

void
harness_terminal_init (HarnessTerminal *terminal)
{
  static const char *const info[] = {
    "DTU", "Linux", "Fieldflash Test", "HV1.0", "V2.01", "A1B2", "DL/T634.5104",
    "FF-DTU-1", "DTU0001", "00:11:22:33:44:55",
  };

  memset (terminal, 0, sizeof *terminal);
  for (size_t i = 0; i < 10; i++)
    {
      /* Zero-padded to 24 bytes like SOJO terminals: ten of them need two 202 reply frames. */
      uint8_t padded[24] = { 0 };

      memcpy (padded, info[i], strlen (info[i]));
      iec104_param_set_bytes (&terminal->params[terminal->n_params++], 0x8001 + (uint32_t) i,
                              IEC104_TAG_STRING, padded, sizeof padded);
    }
  iec104_param_set_float (&terminal->params[terminal->n_params++], 0x8020, IEC104_TAG_FLOAT32,
                          10.5);
  iec104_param_set_int (&terminal->params[terminal->n_params++], 0x8021, IEC104_TAG_INT16, -300);
  iec104_point_init_single (&terminal->points[terminal->n_points++], 0x0001, true, 0);
  iec104_point_init_single (&terminal->points[terminal->n_points++], 0x0002, false, 0);
  iec104_point_init_double (&terminal->points[terminal->n_points++], 0x0010, IEC104_DPI_ON, 0);
  iec104_point_init_normalized (&terminal->points[terminal->n_points++], 0x4005, 16384, 0);
  iec104_point_init_scaled (&terminal->points[terminal->n_points++], 0x4006, -1234, 0);
  iec104_point_init_float (&terminal->points[terminal->n_points++], 0x4001, 220.5f, 0);
  iec104_point_init_float (&terminal->points[terminal->n_points++], 0x4002, 10.25f, 0);
  iec104_point_init_float (&terminal->points[terminal->n_points++], 0x4003, 24.1f, 0);
  iec104_point_init_float (&terminal->points[terminal->n_points++], 0x4004, 31.0f,
                           IEC104_QUALITY_INVALID);
  terminal->clock = (Iec104Cp56Time) { .milliseconds = 30500, .minute = 15, .hour = 21,
                                       .day = 21, .weekday = 6, .month = 11, .year = 26 };
  for (size_t i = 0; i < 40; i++)
    {
      snprintf (terminal->entries[i].name, sizeof terminal->entries[i].name, "soe%02zu.msg", i);
      terminal->entries[i].size = 100 + (uint32_t) i;
      terminal->entries[i].time = terminal->clock;
    }
  terminal->n_entries = 40;
  terminal->checksum_error_at_segment = -1;
  terminal->check_file_bytes = true;
  terminal->area = (Iec104SettingArea) { .current = 1, .minimum = 1, .maximum = 4 };
}

void
harness_terminal_clear (HarnessTerminal *terminal)
{
  free (terminal->written);
  terminal->written = NULL;
}

static size_t
terminal_interrogation_points (void *user_data, const Iec104Point **points)
{
  HarnessTerminal *terminal = user_data;

  *points = terminal->points;
  return terminal->n_points;
}

static bool
terminal_read_param (void *user_data, uint16_t sn, uint32_t ioa, Iec104Param *param)
{
  HarnessTerminal *terminal = user_data;

  for (size_t i = 0; i < terminal->n_params; i++)
    if (terminal->params[i].ioa == ioa)
      {
        *param = terminal->params[i];
        return true;
      }
  return false;
}

static size_t
terminal_list_params (void *user_data, uint16_t sn, uint32_t *ioas, size_t capacity)
{
  HarnessTerminal *terminal = user_data;
  size_t n = terminal->n_params < capacity ? terminal->n_params : capacity;

  for (size_t i = 0; i < n; i++)
    ioas[i] = terminal->params[i].ioa;
  return n;
}

static bool
terminal_write_params (void *user_data, uint16_t sn, const Iec104Param *params, size_t n_params)
{
  HarnessTerminal *terminal = user_data;

  for (size_t i = 0; i < n_params; i++)
    for (size_t j = 0; j < terminal->n_params; j++)
      if (terminal->params[j].ioa == params[i].ioa)
        terminal->params[j] = params[i];
  terminal->executes++;
  return true;
}

static void
terminal_clock_read (void *user_data, Iec104Cp56Time *time)
{
  *time = ((HarnessTerminal *) user_data)->clock;
}

static bool
terminal_clock_set (void *user_data, const Iec104Cp56Time *time)
{
  HarnessTerminal *terminal = user_data;

  if (terminal->refuse_clock_set)
    return false;
  terminal->clock = *time;
  return true;
}

static bool
terminal_reset_process (void *user_data, uint8_t qrp)
{
  ((HarnessTerminal *) user_data)->resets++;
  return qrp == IEC104_QRP_GENERAL_RESET;
}

static bool
terminal_list_directory (void *user_data, const char *dir_name, const Iec104DirEntry **entries,
                         size_t *n_entries)
{
  HarnessTerminal *terminal = user_data;

  if (strcmp (dir_name, "HISTORY/SOE") != 0)
    return false;
  *entries = terminal->entries;
  *n_entries = terminal->n_entries;
  return true;
}

static bool
terminal_open_read (void *user_data, const char *name, const uint8_t **data, size_t *size)
{
  HarnessTerminal *terminal = user_data;

  if (strcmp (name, "missing") == 0)
    return false;
  *data = terminal->read_file;
  *size = terminal->read_file_size;
  return true;
}

static uint8_t
terminal_begin_write (void *user_data, const char *name, uint32_t file_id, uint32_t size)
{
  HarnessTerminal *terminal = user_data;

  if (terminal->accepted_name_part && strstr (name, terminal->accepted_name_part) == NULL)
    return IEC104_WRITE_ACT_NAME_NOT_SUPPORTED;
  free (terminal->written);
  terminal->written = terminal->check_file_bytes ? malloc (size ? size : 1) : NULL;
  terminal->written_size = 0;
  terminal->write_complete = false;
  terminal->segments_received = 0;
  snprintf (terminal->written_name, sizeof terminal->written_name, "%s", name);
  return IEC104_WRITE_ACT_OK;
}

static uint8_t
terminal_write_segment (void *user_data, uint32_t segment, uint32_t offset, const uint8_t *data,
                        size_t len)
{
  HarnessTerminal *terminal = user_data;

  if ((long) terminal->segments_received++ == terminal->checksum_error_at_segment)
    return IEC104_WRITE_DATA_CHECKSUM_ERROR;
  if (terminal->written)
    memcpy (terminal->written + offset, data, len);
  terminal->written_size = offset + len;
  return IEC104_WRITE_DATA_OK;
}

static uint8_t
terminal_end_write (void *user_data)
{
  ((HarnessTerminal *) user_data)->write_complete = true;
  return IEC104_WRITE_DATA_OK;
}

static bool
terminal_upgrade_start (void *user_data)
{
  ((HarnessTerminal *) user_data)->upgrade_started = true;
  return true;
}

static bool
terminal_upgrade_finish (void *user_data)
{
  HarnessTerminal *terminal = user_data;

  terminal->upgrade_finished = terminal->upgrade_started && terminal->write_complete;
  return terminal->upgrade_finished;
}

static bool
terminal_upgrade_cancel (void *user_data)
{
  ((HarnessTerminal *) user_data)->upgrade_started = false;
  return true;
}

static bool
terminal_switch_area (void *user_data, uint16_t sn)
{
  HarnessTerminal *terminal = user_data;

  if (sn < terminal->area.minimum || sn > terminal->area.maximum)
    return false;
  terminal->area.current = sn;
  return true;
}

static void
terminal_read_area (void *user_data, Iec104SettingArea *area)
{
  *area = ((HarnessTerminal *) user_data)->area;
}

const Iec104OutstationCallbacks harness_terminal_callbacks = {
  .interrogation_points = terminal_interrogation_points,
  .read_param = terminal_read_param,
  .list_params = terminal_list_params,
  .write_params = terminal_write_params,
  .clock_read = terminal_clock_read,
  .clock_set = terminal_clock_set,
  .reset_process = terminal_reset_process,
  .list_directory = terminal_list_directory,
  .open_read = terminal_open_read,
  .begin_write = terminal_begin_write,
  .write_segment = terminal_write_segment,
  .end_write = terminal_end_write,
  .upgrade_start = terminal_upgrade_start,
  .upgrade_finish = terminal_upgrade_finish,
  .upgrade_cancel = terminal_upgrade_cancel,
  .switch_area = terminal_switch_area,
  .read_area = terminal_read_area,
};

/* ---- pcap ---- */

static void
put_le32 (FILE *file, uint32_t v)
{
  uint8_t b[4] = { (uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16), (uint8_t) (v >> 24) };
  fwrite (b, 1, 4, file);
}

void
harness_pcap_begin (FILE *file)
{
  put_le32 (file, 0xa1b2c3d4);
  put_le32 (file, 0x00040002); /* version 2.4 */
  put_le32 (file, 0);
  put_le32 (file, 0);
  put_le32 (file, 65535);
  put_le32 (file, 1);          /* Ethernet */
}

static uint16_t
ip_checksum (const uint8_t *header, size_t len)
{
  uint32_t sum = 0;

  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t) (header[i] << 8 | header[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xFFFF) + (sum >> 16);
  return (uint16_t) ~sum;
}

/* One TCP segment from the master (127.0.0.1:40000) or the outstation (127.0.0.2:2404). The TCP
 * checksum is left 0, which tshark does not verify by default. */
static void
pcap_write_segment (FILE *file, uint64_t now_ms, bool from_master, uint32_t seq, uint32_t ack,
                    const uint8_t *data, size_t len)
{
  uint8_t frame[14 + 20 + 20];
  uint8_t *ip = frame + 14;
  uint8_t *tcp = ip + 20;
  uint16_t ip_len = (uint16_t) (20 + 20 + len);
  uint16_t checksum;

  memset (frame, 0, sizeof frame);
  frame[12] = 0x08; /* IPv4 */
  ip[0] = 0x45;
  ip[2] = (uint8_t) (ip_len >> 8);
  ip[3] = (uint8_t) ip_len;
  ip[8] = 64;
  ip[9] = 6;
  ip[12] = 127;
  ip[15] = from_master ? 1 : 2;
  ip[16] = 127;
  ip[19] = from_master ? 2 : 1;
  checksum = ip_checksum (ip, 20);
  ip[10] = (uint8_t) (checksum >> 8);
  ip[11] = (uint8_t) checksum;
  uint16_t sport = from_master ? 40000 : 2404;
  uint16_t dport = from_master ? 2404 : 40000;
  tcp[0] = (uint8_t) (sport >> 8);
  tcp[1] = (uint8_t) sport;
  tcp[2] = (uint8_t) (dport >> 8);
  tcp[3] = (uint8_t) dport;
  for (int i = 0; i < 4; i++)
    {
      tcp[4 + i] = (uint8_t) (seq >> (24 - 8 * i));
      tcp[8 + i] = (uint8_t) (ack >> (24 - 8 * i));
    }
  tcp[12] = 0x50;
  tcp[13] = 0x18; /* PSH, ACK */
  tcp[14] = 0xFF;
  tcp[15] = 0xFF;

  put_le32 (file, (uint32_t) (now_ms / 1000));
  put_le32 (file, (uint32_t) (now_ms % 1000) * 1000);
  put_le32 (file, (uint32_t) (sizeof frame + len));
  put_le32 (file, (uint32_t) (sizeof frame + len));
  fwrite (frame, 1, sizeof frame, file);
  fwrite (data, 1, len, file);
}

/* ---- the loop ---- */

static uint64_t
next_random (Harness *harness)
{
  /* xorshift64*: deterministic for a seed, good enough to cut streams. */
  harness->rng ^= harness->rng >> 12;
  harness->rng ^= harness->rng << 25;
  harness->rng ^= harness->rng >> 27;
  return harness->rng * UINT64_C (2685821657736338717);
}

bool
harness_init_terminal (Harness *harness, const Iec104Profile *master_profile,
                       const Iec104Profile *terminal_profile,
                       const Iec104OutstationCallbacks *callbacks, uint64_t seed)
{
  memset (harness, 0, sizeof *harness);
  harness->rng = seed ? seed : 1;
  harness_terminal_init (&harness->terminal);
  harness->master = iec104_master_new (master_profile);
  harness->outstation = iec104_outstation_new (terminal_profile, callbacks, &harness->terminal);
  harness->master_tap = iec104_reassembler_new ();
  harness->now = 1000;
  return harness->master && harness->outstation && harness->master_tap;
}

bool
harness_init (Harness *harness, const Iec104Profile *profile, uint64_t seed)
{
  return harness_init_terminal (harness, profile, profile, &harness_terminal_callbacks, seed);
}

static void
pipe_clear (HarnessPipe *pipe)
{
  for (size_t i = 0; i < pipe->count; i++)
    free (pipe->chunks[(pipe->head + i) % pipe->capacity].data);
  pipe->head = 0;
  pipe->count = 0;
}

void
harness_clear (Harness *harness)
{
  pipe_clear (&harness->to_master);
  pipe_clear (&harness->to_outstation);
  free (harness->to_master.chunks);
  free (harness->to_outstation.chunks);
  iec104_master_free (harness->master);
  iec104_outstation_free (harness->outstation);
  iec104_reassembler_free (harness->master_tap);
  harness_terminal_clear (&harness->terminal);
  free (harness->read_back);
}

void
harness_connect (Harness *harness)
{
  iec104_outstation_open (harness->outstation, harness->now);
  iec104_master_open (harness->master, harness->now);
  iec104_reassembler_reset (harness->master_tap);
  harness->connected = true;
  harness->master_closed = false;
  harness->outstation_closed = false;
  harness->outstation_reset = false;
}

void
harness_disconnect (Harness *harness)
{
  pipe_clear (&harness->to_master);
  pipe_clear (&harness->to_outstation);
  iec104_master_connection_lost (harness->master);
  iec104_outstation_connection_lost (harness->outstation);
  harness->connected = false;
}

static void
pipe_push (Harness *harness, HarnessPipe *pipe, uint32_t latency_ms, const uint8_t *data,
           size_t len)
{
  uint64_t last_arrival = harness->now;

  if (pipe->count > 0)
    last_arrival = pipe->chunks[(pipe->head + pipe->count - 1) % pipe->capacity].arrival_ms;
  while (len > 0)
    {
      size_t chunk = harness->max_chunk ? 1 + next_random (harness) % harness->max_chunk : len;
      uint64_t arrival = harness->now + latency_ms
                         + (harness->jitter_ms ? next_random (harness) % (harness->jitter_ms + 1)
                                               : 0);
      HarnessChunk *slot;

      if (chunk > len)
        chunk = len;
      if (arrival < last_arrival)
        arrival = last_arrival; /* TCP keeps order */
      if (pipe->count == pipe->capacity)
        {
          size_t new_capacity = pipe->capacity ? pipe->capacity * 2 : 64;
          HarnessChunk *chunks = malloc (new_capacity * sizeof *chunks);

          for (size_t i = 0; i < pipe->count; i++)
            chunks[i] = pipe->chunks[(pipe->head + i) % pipe->capacity];
          free (pipe->chunks);
          pipe->chunks = chunks;
          pipe->capacity = new_capacity;
          pipe->head = 0;
        }
      slot = &pipe->chunks[(pipe->head + pipe->count) % pipe->capacity];
      slot->data = malloc (chunk);
      memcpy (slot->data, data, chunk);
      slot->len = chunk;
      slot->arrival_ms = arrival;
      pipe->count++;
      last_arrival = arrival;
      data += chunk;
      len -= chunk;
    }
}

/* Moves both ends' pending output into the pipes. */
static void
collect_output (Harness *harness)
{
  const uint8_t *data;
  size_t len;

  if (!harness->connected)
    return;
  len = iec104_master_output (harness->master, &data);
  if (len > 0)
    {
      pipe_push (harness, &harness->to_outstation, harness->latency_ms, data, len);
      iec104_master_consume_output (harness->master, len);
    }
  len = iec104_outstation_output (harness->outstation, &data);
  if (len > 0)
    {
      pipe_push (harness, &harness->to_master, harness->return_latency_ms, data, len);
      iec104_outstation_consume_output (harness->outstation, len);
    }
}

static void
handle_master_events (Harness *harness)
{
  Iec104MasterEvent event;

  while (iec104_master_poll_event (harness->master, &event))
    switch (event.type)
      {
      case IEC104_MASTER_EVENT_DONE:
        harness->last_done = event;
        harness->have_done = true;
        /* The event's arrays die at the next poll: keep copies. */
        harness->last_done.n_points = event.n_points < HARNESS_MAX_POINTS ? event.n_points
                                                                          : HARNESS_MAX_POINTS;
        if (event.n_points > 0)
          memcpy (harness->done_points, event.points,
                  harness->last_done.n_points * sizeof (Iec104Point));
        harness->last_done.points = harness->done_points;
        harness->last_done.n_params = event.n_params < HARNESS_MAX_PARAMS ? event.n_params
                                                                          : HARNESS_MAX_PARAMS;
        if (event.n_params > 0)
          memcpy (harness->done_params, event.params,
                  harness->last_done.n_params * sizeof (Iec104Param));
        harness->last_done.params = harness->done_params;
        harness->last_done.n_entries = event.n_entries < 40 ? event.n_entries : 40;
        if (event.n_entries > 0)
          memcpy (harness->done_entries, event.entries,
                  harness->last_done.n_entries * sizeof (Iec104DirEntry));
        harness->last_done.entries = harness->done_entries;
        break;
      case IEC104_MASTER_EVENT_POINTS:
        harness->spontaneous_points += event.n_points;
        break;
      case IEC104_MASTER_EVENT_FILE_PROGRESS:
        if (harness->progress_events++ == 0)
          harness->first_progress_ms = harness->now;
        /* Acknowledged bytes never go back and never pass the bytes sent. */
        if (event.bytes_acked < harness->last_bytes_acked || event.bytes_acked > event.bytes_sent)
          abort ();
        harness->last_bytes_acked = event.bytes_acked;
        harness->last_bytes_sent = event.bytes_sent;
        harness->last_file_size = event.file_size;
        break;
      case IEC104_MASTER_EVENT_FILE_DATA:
        if (event.file_offset != harness->read_back_len)
          abort ();
        harness->read_back = realloc (harness->read_back,
                                      harness->read_back_len + event.file_data_len + 1);
        memcpy (harness->read_back + harness->read_back_len, event.file_data,
                event.file_data_len);
        harness->read_back_len += event.file_data_len;
        break;
      case IEC104_MASTER_EVENT_END_OF_INIT:
        break;
      case IEC104_MASTER_EVENT_CLOSED:
        harness->master_closed = true;
        harness->master_close_reason = event.error;
        break;
      }
}

static void
handle_outstation_events (Harness *harness)
{
  Iec104OutstationEvent event;

  while (iec104_outstation_poll_event (harness->outstation, &event))
    if (event.type == IEC104_OUTSTATION_EVENT_RESET)
      harness->outstation_reset = true;
    else if (event.type == IEC104_OUTSTATION_EVENT_CLOSED)
      harness->outstation_closed = true;
}

static uint64_t
earliest (uint64_t a, uint64_t b)
{
  return a < b ? a : b;
}

static uint64_t
pipe_next_arrival (const HarnessPipe *pipe)
{
  return pipe->count ? pipe->chunks[pipe->head].arrival_ms : IEC104_NO_DEADLINE;
}

/* Looks at what the master is fed, as a capture would. */
static void
tap_master_input (Harness *harness, const uint8_t *data, size_t len)
{
  while (len > 0)
    {
      Iec104Frame frame;
      size_t consumed;
      bool ready;

      if (iec104_reassembler_push (harness->master_tap, data, len, &consumed, &ready, &frame))
        return; /* the master itself sees and reports the broken stream */
      if (ready && frame.format == IEC104_FRAME_I && (frame.asdu[1] & 0x80))
        harness->sq_asdus_to_master++;
      data += consumed;
      len -= consumed;
    }
}

/* Delivers every chunk of `pipe` due by now; false if nothing was due. */
static bool
deliver (Harness *harness, HarnessPipe *pipe, bool to_master)
{
  bool delivered = false;

  while (pipe->count > 0 && pipe->chunks[pipe->head].arrival_ms <= harness->now)
    {
      HarnessChunk chunk = pipe->chunks[pipe->head];
      HarnessPipe *other = to_master ? &harness->to_outstation : &harness->to_master;

      pipe->head = (pipe->head + 1) % pipe->capacity;
      pipe->count--;
      if (harness->pcap)
        pcap_write_segment (harness->pcap, harness->now, !to_master, pipe->tcp_seq,
                            other->tcp_seq, chunk.data, chunk.len);
      pipe->tcp_seq += (uint32_t) chunk.len;
      if (to_master)
        {
          tap_master_input (harness, chunk.data, chunk.len);
          iec104_master_feed (harness->master, chunk.data, chunk.len, harness->now);
        }
      else
        iec104_outstation_feed (harness->outstation, chunk.data, chunk.len, harness->now);
      free (chunk.data);
      delivered = true;
      handle_master_events (harness);
      handle_outstation_events (harness);
      collect_output (harness);
    }
  return delivered;
}

/* A file write is streaming, has bytes left and the k window has room. */
static bool
master_idle_with_room (Harness *harness)
{
  return iec104_master_get_request (harness->master) == IEC104_MASTER_REQUEST_FILE_WRITE
         && harness->last_bytes_sent > 0 && harness->last_bytes_sent < harness->last_file_size
         && iec104_link_can_send (iec104_master_get_link (harness->master));
}

/* One step of the discrete-event loop; false when nothing can ever happen again before
 * `limit`. */
static bool
step (Harness *harness, uint64_t limit)
{
  uint64_t next;

  collect_output (harness);
  handle_master_events (harness);
  handle_outstation_events (harness);
  if (harness->outstation_reset && harness->connected)
    {
      /* The terminal confirmed 105: it sends the confirmation, then drops the link. */
      while (harness->to_master.count > 0)
        {
          uint64_t arrival = pipe_next_arrival (&harness->to_master);

          if (arrival > harness->now)
            harness->now = arrival;
          deliver (harness, &harness->to_master, true);
        }
      harness_disconnect (harness);
      handle_master_events (harness);
      handle_outstation_events (harness);
      return true;
    }
  if (!harness->connected)
    return false;
  next = earliest (pipe_next_arrival (&harness->to_master),
                   pipe_next_arrival (&harness->to_outstation));
  next = earliest (next, iec104_master_next_deadline (harness->master));
  next = earliest (next, iec104_outstation_next_deadline (harness->outstation));
  if (next == IEC104_NO_DEADLINE || next > limit)
    {
      harness->now = limit;
      return false;
    }
  if (next > harness->now)
    {
      if (master_idle_with_room (harness))
        harness->master_idle_with_room_ms += next - harness->now;
      harness->now = next;
    }
  if (!deliver (harness, &harness->to_outstation, false)
      && !deliver (harness, &harness->to_master, true))
    {
      iec104_master_tick (harness->master, harness->now);
      iec104_outstation_tick (harness->outstation, harness->now);
    }
  handle_master_events (harness);
  handle_outstation_events (harness);
  if (harness->master_closed || harness->outstation_closed)
    {
      /* One side closed: the adapter closes TCP, the other side sees it. */
      collect_output (harness);
      harness_disconnect (harness);
      handle_master_events (harness);
      handle_outstation_events (harness);
    }
  return true;
}

bool
harness_run_until_done (Harness *harness, uint64_t limit_ms)
{
  uint64_t limit = harness->now + limit_ms;

  harness->have_done = false;
  while (!harness->have_done)
    {
      if (!step (harness, limit))
        {
          handle_master_events (harness);
          return harness->have_done;
        }
      handle_master_events (harness);
    }
  return true;
}

void
harness_run_for (Harness *harness, uint64_t ms)
{
  uint64_t limit = harness->now + ms;

  while (harness->now < limit && step (harness, limit))
    ;
}
