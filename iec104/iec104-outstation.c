/* iec104-outstation.c: controlled-station services: answers master requests through callbacks. */
#include "iec104-outstation.h"

#include <stdlib.h>
#include <string.h>

#include "iec104-bytes-private.h"
#include "iec104-queue-private.h"
#include "iec104-segment-private.h"

struct Iec104Outstation
{
  Iec104Profile profile;
  Iec104OutstationCallbacks callbacks;
  void *user_data;
  Iec104Link *link;
  Iec104Queue events;       /* Iec104OutstationEvent */
  Iec104Queue outgoing;     /* Iec104Asdu waiting for room in the k window */

  /* Station interrogation being streamed: points, then the termination. */
  Iec104Point *gi_points;
  size_t gi_n_points;
  size_t gi_next;
  bool gi_running;
  Iec104Asdu gi_termination;

  /* 203 preset waiting for execute or cancel. */
  Iec104Param *preset;
  size_t n_preset;
  uint16_t preset_sn;

  /* File read being streamed (OP5). */
  uint8_t *read_data;
  size_t read_size;
  size_t read_offset;
  uint32_t read_segment_index;
  uint32_t read_file_id;
  bool reading;

  /* File write being received (OP9). */
  bool writing;
  bool write_aborted;            /* segments still in flight after an error OP10 are dropped */
  uint32_t write_file_id;
  uint32_t write_size;
  uint32_t write_received;
  uint32_t write_segment_index;

  bool upgrade_started;
  Iec104FileMessage *file_message; /* scratch for decoding requests and encoding segments */
};

Iec104Outstation *
iec104_outstation_new (const Iec104Profile *profile, const Iec104OutstationCallbacks *callbacks,
                       void *user_data)
{
  Iec104Outstation *outstation;
  Iec104LinkParams params;

  if (profile == NULL || callbacks == NULL || iec104_profile_validate (profile) != IEC104_OK)
    return NULL;
  outstation = calloc (1, sizeof *outstation);
  if (outstation == NULL)
    return NULL;
  outstation->profile = *profile;
  outstation->callbacks = *callbacks;
  outstation->user_data = user_data;
  iec104_link_params_from_profile (&params, profile);
  outstation->link = iec104_link_new (&params);
  outstation->file_message = malloc (sizeof *outstation->file_message);
  if (outstation->link == NULL || outstation->file_message == NULL)
    {
      iec104_link_free (outstation->link);
      free (outstation->file_message);
      free (outstation);
      return NULL;
    }
  iec104_queue_init (&outstation->events, sizeof (Iec104OutstationEvent));
  iec104_queue_init (&outstation->outgoing, sizeof (Iec104Asdu));
  return outstation;
}

/* Forgets every running transaction (a new connection, or the old one ended). */
static void
reset_transactions (Iec104Outstation *outstation)
{
  if (outstation->writing && outstation->callbacks.abort_write)
    outstation->callbacks.abort_write (outstation->user_data);
  outstation->writing = false;
  outstation->write_aborted = false;
  free (outstation->gi_points);
  outstation->gi_points = NULL;
  outstation->gi_running = false;
  free (outstation->preset);
  outstation->preset = NULL;
  outstation->n_preset = 0;
  free (outstation->read_data);
  outstation->read_data = NULL;
  outstation->reading = false;
  iec104_queue_clear (&outstation->outgoing);
}

void
iec104_outstation_free (Iec104Outstation *outstation)
{
  if (outstation == NULL)
    return;
  reset_transactions (outstation);
  iec104_queue_destroy (&outstation->events);
  iec104_queue_destroy (&outstation->outgoing);
  iec104_link_free (outstation->link);
  free (outstation->file_message);
  free (outstation);
}

Iec104Link *
iec104_outstation_get_link (Iec104Outstation *outstation)
{
  return outstation->link;
}

static void
push_event (Iec104Outstation *outstation, Iec104OutstationEventType type, Iec104Error error)
{
  Iec104OutstationEvent event = { .type = type, .error = error };

  if (!iec104_queue_push (&outstation->events, &event))
    iec104_link_close (outstation->link, IEC104_ERROR_NO_MEMORY);
}

bool
iec104_outstation_poll_event (Iec104Outstation *outstation, Iec104OutstationEvent *event)
{
  return iec104_queue_pop (&outstation->events, event);
}

/* ---- sending ---- */

static void
queue_asdu (Iec104Outstation *outstation, const Iec104Asdu *asdu)
{
  if (!iec104_queue_push (&outstation->outgoing, asdu))
    iec104_link_close (outstation->link, IEC104_ERROR_NO_MEMORY);
}

/* Answers with the request itself, its COT replaced: the usual confirmation form. */
static void
reply_mirror (Iec104Outstation *outstation, const uint8_t *request, size_t len, uint8_t cot,
              bool negative)
{
  Iec104Asdu asdu;

  memcpy (asdu.bytes, request, len);
  asdu.len = len;
  asdu.bytes[2] = (uint8_t) ((cot & 0x3F) | (negative ? 0x40 : 0));
  queue_asdu (outstation, &asdu);
}

static void
refuse (Iec104Outstation *outstation, const uint8_t *request, size_t len)
{
  reply_mirror (outstation, request, len, IEC104_COT_UNKNOWN_IOA, true);
}

static void
queue_file_message (Iec104Outstation *outstation, uint8_t cot, const Iec104FileMessage *message)
{
  Iec104Asdu asdu;

  if (iec104_asdu_encode_file (&asdu, outstation->profile.common_address, cot, message)
      == IEC104_OK)
    queue_asdu (outstation, &asdu);
}

static bool
follows (const Iec104Point *point, const Iec104Point *previous)
{
  return point->type_id == previous->type_id && point->ioa == previous->ioa + 1;
}

/* Encodes the first points of `points` (n > 0) into one ASDU and stores how many went in. Points
 * of one type share an ASDU. With the profile's sq_blocks, a run of consecutive IOAs goes as an
 * SQ = 1 block, and points between such runs go together with SQ = 0. */
static Iec104Error
encode_next_points (const Iec104Outstation *outstation, uint8_t cot, const Iec104Point *points,
                    size_t n, Iec104Asdu *asdu, size_t *encoded)
{
  size_t same_type = 1;
  size_t run = 1;
  bool sq = false;

  while (same_type < n && points[same_type].type_id == points[0].type_id)
    same_type++;
  if (!outstation->profile.sq_blocks)
    run = same_type;
  else if (same_type > 1 && follows (&points[1], &points[0]))
    {
      sq = true;
      while (run < same_type && follows (&points[run], &points[run - 1]))
        run++;
    }
  else
    while (run < same_type && !(run + 1 < same_type && follows (&points[run + 1], &points[run])))
      run++;
  return iec104_asdu_encode_points (asdu, outstation->profile.common_address, cot,
                                    points[0].type_id, sq, points, run, encoded);
}

/* Encodes the next interrogation points, or the termination after the last. */
static bool
next_interrogation_asdu (Iec104Outstation *outstation, Iec104Asdu *asdu)
{
  size_t encoded;

  if (outstation->gi_next >= outstation->gi_n_points)
    {
      *asdu = outstation->gi_termination;
      outstation->gi_running = false;
      return true;
    }
  if (encode_next_points (outstation, IEC104_COT_INTERROGATED_BY_STATION,
                          outstation->gi_points + outstation->gi_next,
                          outstation->gi_n_points - outstation->gi_next, asdu, &encoded))
    {
      /* A point the embedder filled wrongly cannot be sent: skip it, keep the rest. */
      outstation->gi_next++;
      return false;
    }
  outstation->gi_next += encoded;
  return true;
}

static bool
next_read_segment (Iec104Outstation *outstation, Iec104Asdu *asdu)
{
  Iec104FileMessage *message = outstation->file_message;
  size_t remaining = outstation->read_size - outstation->read_offset;
  size_t chunk = remaining < outstation->profile.segment_size ? remaining
                                                              : outstation->profile.segment_size;
  bool ok;

  message->n_entries = 0;
  message->op = IEC104_FILE_OP_READ_DATA;
  message->pkt = outstation->profile.file_pkt;
  message->file_id = outstation->read_file_id;
  message->segment = iec104_segment_number (&outstation->profile, outstation->read_offset,
                                            outstation->read_segment_index);
  message->follow = outstation->read_offset + chunk < outstation->read_size;
  message->data = outstation->read_data + outstation->read_offset;
  message->data_len = chunk;
  ok = iec104_asdu_encode_file (asdu, outstation->profile.common_address,
                                outstation->profile.cot_read_data, message) == IEC104_OK;
  outstation->read_offset += chunk;
  outstation->read_segment_index++;
  if (!ok || outstation->read_offset == outstation->read_size)
    {
      free (outstation->read_data);
      outstation->read_data = NULL;
      outstation->reading = false;
    }
  return ok;
}

/* Sends what the k window allows: queued replies first, then interrogation data, then file data. */
static void
pump (Iec104Outstation *outstation, uint64_t now_ms)
{
  while (iec104_link_can_send (outstation->link))
    {
      Iec104Asdu asdu;

      if (iec104_queue_pop (&outstation->outgoing, &asdu))
        ;
      else if (outstation->gi_running)
        {
          if (!next_interrogation_asdu (outstation, &asdu))
            continue;
        }
      else if (outstation->reading)
        {
          if (!next_read_segment (outstation, &asdu))
            continue;
        }
      else
        break;
      if (iec104_link_send_asdu (outstation->link, asdu.bytes, asdu.len, now_ms))
        break;
    }
}

/* ---- requests ---- */

static void
handle_interrogation (Iec104Outstation *outstation, const uint8_t *request, size_t len,
                      const Iec104AsduHeader *header)
{
  const Iec104Point *points = NULL;
  size_t n = 0;

  if (header->cot != IEC104_COT_ACTIVATION)
    {
      reply_mirror (outstation, request, len, IEC104_COT_UNKNOWN_COT, true);
      return;
    }
  reply_mirror (outstation, request, len, IEC104_COT_ACTIVATION_CON, false);
  if (outstation->callbacks.interrogation_points)
    n = outstation->callbacks.interrogation_points (outstation->user_data, &points);
  free (outstation->gi_points);
  outstation->gi_points = NULL;
  outstation->gi_n_points = 0;
  if (n > 0 && points != NULL)
    {
      outstation->gi_points = malloc (n * sizeof *points);
      if (outstation->gi_points == NULL)
        {
          iec104_link_close (outstation->link, IEC104_ERROR_NO_MEMORY);
          return;
        }
      memcpy (outstation->gi_points, points, n * sizeof *points);
      outstation->gi_n_points = n;
    }
  outstation->gi_next = 0;
  memcpy (outstation->gi_termination.bytes, request, len);
  outstation->gi_termination.len = len;
  outstation->gi_termination.bytes[2] = IEC104_COT_ACTIVATION_TERM;
  outstation->gi_running = true;
}

static void
handle_clock (Iec104Outstation *outstation, const uint8_t *request, size_t len,
              const Iec104AsduHeader *header)
{
  const Iec104OutstationCallbacks *cb = &outstation->callbacks;
  Iec104Cp56Time time;
  Iec104Asdu asdu;

  if (iec104_asdu_decode_clock (request, len, &time))
    refuse (outstation, request, len);
  else if (header->cot == IEC104_COT_REQUEST && cb->clock_read)
    {
      cb->clock_read (outstation->user_data, &time);
      if (iec104_asdu_encode_clock (&asdu, outstation->profile.common_address,
                                    IEC104_COT_REQUEST, false, &time) == IEC104_OK)
        queue_asdu (outstation, &asdu);
    }
  else if (header->cot == IEC104_COT_ACTIVATION && cb->clock_set)
    {
      /* A refused setting gets a negative confirmation: the standard's form for a refused
       * command. */
      bool accepted = cb->clock_set (outstation->user_data, &time);

      reply_mirror (outstation, request, len, IEC104_COT_ACTIVATION_CON, !accepted);
    }
  else if (header->cot == IEC104_COT_ACTIVATION)
    refuse (outstation, request, len);
  else
    {
      /* COT 5 without clock_read: the Chinese clock read, unknown to a standard terminal. */
      reply_mirror (outstation, request, len, IEC104_COT_UNKNOWN_COT, true);
    }
}

static void
handle_reset (Iec104Outstation *outstation, const uint8_t *request, size_t len,
              const Iec104AsduHeader *header)
{
  uint32_t ioa;
  uint8_t qrp;

  if (header->cot == IEC104_COT_ACTIVATION
      && iec104_asdu_decode_qualifier (request, len, &ioa, &qrp) == IEC104_OK
      && outstation->callbacks.reset_process
      && outstation->callbacks.reset_process (outstation->user_data, qrp))
    {
      reply_mirror (outstation, request, len, IEC104_COT_ACTIVATION_CON, false);
      push_event (outstation, IEC104_OUTSTATION_EVENT_RESET, IEC104_OK);
    }
  else
    refuse (outstation, request, len);
}

static void
handle_upgrade (Iec104Outstation *outstation, const uint8_t *request, size_t len,
                const Iec104AsduHeader *header)
{
  const Iec104OutstationCallbacks *cb = &outstation->callbacks;
  uint32_t ioa;
  uint8_t ctype;

  if (iec104_asdu_decode_qualifier (request, len, &ioa, &ctype))
    refuse (outstation, request, len);
  else if (header->cot == IEC104_COT_ACTIVATION && (ctype & 0x80))
    {
      if (cb->upgrade_start && cb->upgrade_start (outstation->user_data))
        {
          outstation->upgrade_started = true;
          reply_mirror (outstation, request, len, IEC104_COT_ACTIVATION_CON, false);
        }
      else
        refuse (outstation, request, len);
    }
  else if (header->cot == IEC104_COT_ACTIVATION)
    {
      if (cb->upgrade_finish && cb->upgrade_finish (outstation->user_data))
        {
          outstation->upgrade_started = false;
          reply_mirror (outstation, request, len, IEC104_COT_ACTIVATION_CON, false);
          push_event (outstation, IEC104_OUTSTATION_EVENT_UPGRADE_FINISHED, IEC104_OK);
        }
      else
        refuse (outstation, request, len);
    }
  else if (header->cot == IEC104_COT_DEACTIVATION)
    {
      /* Without a started upgrade there is nothing to cancel: terminate, as GB104S does. */
      if (outstation->upgrade_started && cb->upgrade_cancel
          && cb->upgrade_cancel (outstation->user_data))
        {
          outstation->upgrade_started = false;
          reply_mirror (outstation, request, len, IEC104_COT_DEACTIVATION_CON, false);
        }
      else
        reply_mirror (outstation, request, len, IEC104_COT_ACTIVATION_TERM, false);
    }
  else
    reply_mirror (outstation, request, len, IEC104_COT_UNKNOWN_COT, true);
}

static void
handle_setting_area (Iec104Outstation *outstation, const uint8_t *request, size_t len,
                     const Iec104AsduHeader *header)
{
  Iec104SettingArea area;
  Iec104Asdu asdu;
  uint16_t sn;
  bool has_area;

  if (header->cot != IEC104_COT_ACTIVATION)
    reply_mirror (outstation, request, len, IEC104_COT_UNKNOWN_COT, true);
  else if (header->type_id == IEC104_TI_C_SR_NA_1)
    {
      if (iec104_asdu_decode_switch_area (request, len, &sn) == IEC104_OK
          && outstation->callbacks.switch_area
          && outstation->callbacks.switch_area (outstation->user_data, sn))
        reply_mirror (outstation, request, len, IEC104_COT_ACTIVATION_CON, false);
      else
        refuse (outstation, request, len);
    }
  else if (iec104_asdu_decode_read_area (request, len, &has_area, &area) == IEC104_OK
           && outstation->callbacks.read_area)
    {
      outstation->callbacks.read_area (outstation->user_data, &area);
      if (iec104_asdu_encode_read_area (&asdu, outstation->profile.common_address,
                                        IEC104_COT_ACTIVATION_CON, false, &area) == IEC104_OK)
        queue_asdu (outstation, &asdu);
    }
  else
    refuse (outstation, request, len);
}

static void
handle_param_read (Iec104Outstation *outstation, const uint8_t *request, size_t len)
{
  uint32_t requested[IEC104_MAX_OBJECTS];
  uint32_t *ioas = requested;
  size_t n_ioas;
  uint16_t sn;
  Iec104Param *params = NULL;
  size_t done = 0;

  if (iec104_asdu_decode_param_read (request, len, &sn, requested, &n_ioas)
      || outstation->callbacks.read_param == NULL)
    {
      refuse (outstation, request, len);
      return;
    }
  if (n_ioas == 0)
    {
      /* "Read all": as many IOAs as the embedder lists (parameters are at most 0xFFFF). */
      size_t capacity = 0x10000;

      ioas = malloc (capacity * sizeof *ioas);
      if (ioas == NULL || outstation->callbacks.list_params == NULL)
        goto refused;
      n_ioas = outstation->callbacks.list_params (outstation->user_data, sn, ioas, capacity);
      if (n_ioas > capacity)
        n_ioas = capacity;
    }
  params = malloc ((n_ioas ? n_ioas : 1) * sizeof *params);
  if (params == NULL)
    goto refused;
  for (size_t i = 0; i < n_ioas; i++)
    if (!outstation->callbacks.read_param (outstation->user_data, sn, ioas[i], &params[i]))
      goto refused;
    else
      params[i].ioa = ioas[i];

  do
    {
      Iec104Asdu asdu;
      size_t n;

      if (iec104_asdu_encode_params (&asdu, IEC104_TI_C_RS_NA_1, outstation->profile.common_address,
                                     IEC104_COT_ACTIVATION_CON, false, sn, IEC104_PI_CONT,
                                     params + done, n_ioas - done, &n))
        goto refused;
      done += n;
      if (done == n_ioas)
        asdu.bytes[IEC104_ASDU_HEADER_SIZE + 2] = 0;
      queue_asdu (outstation, &asdu);
    }
  while (done < n_ioas);
  goto cleanup;

refused:
  refuse (outstation, request, len);
cleanup:
  free (params);
  if (ioas != requested)
    free (ioas);
}

static void
handle_param_write (Iec104Outstation *outstation, const uint8_t *request, size_t len,
                    const Iec104AsduHeader *header)
{
  Iec104Param *params = malloc (IEC104_MAX_OBJECTS * sizeof *params);
  Iec104Param probe;
  Iec104Param *grown;
  size_t n;
  uint16_t sn;
  uint8_t pi;

  if (params == NULL || iec104_asdu_decode_params (request, len, &sn, &pi, params, &n))
    goto refused;
  if (header->cot == IEC104_COT_DEACTIVATION && (pi & IEC104_PI_CR))
    {
      free (outstation->preset);
      outstation->preset = NULL;
      outstation->n_preset = 0;
      reply_mirror (outstation, request, len, IEC104_COT_DEACTIVATION_CON, false);
    }
  else if (header->cot == IEC104_COT_ACTIVATION && (pi & IEC104_PI_SE))
    {
      if (outstation->n_preset > 0 && sn != outstation->preset_sn)
        goto refused;
      for (size_t i = 0; i < n; i++)
        if (outstation->callbacks.read_param == NULL
            || !outstation->callbacks.read_param (outstation->user_data, sn, params[i].ioa,
                                                  &probe))
          goto refused;
      grown = realloc (outstation->preset, (outstation->n_preset + n + 1) * sizeof *grown);
      if (grown == NULL)
        goto refused;
      memcpy (grown + outstation->n_preset, params, n * sizeof *params);
      outstation->preset = grown;
      outstation->n_preset += n;
      outstation->preset_sn = sn;
      reply_mirror (outstation, request, len, IEC104_COT_ACTIVATION_CON, false);
    }
  else if (header->cot == IEC104_COT_ACTIVATION && n == 0 && outstation->n_preset > 0
           && sn == outstation->preset_sn && outstation->callbacks.write_params
           && outstation->callbacks.write_params (outstation->user_data, sn, outstation->preset,
                                                  outstation->n_preset))
    {
      free (outstation->preset);
      outstation->preset = NULL;
      outstation->n_preset = 0;
      reply_mirror (outstation, request, len, IEC104_COT_ACTIVATION_CON, false);
    }
  else
    goto refused;
  free (params);
  return;

refused:
  free (params);
  refuse (outstation, request, len);
}

/* ---- file service ---- */

static void
handle_dir_call (Iec104Outstation *outstation, const Iec104FileMessage *request)
{
  const Iec104DirEntry *entries = NULL;
  size_t n_entries = 0;
  size_t done = 0;
  Iec104FileMessage *reply = calloc (1, sizeof *reply);
  bool found;

  if (reply == NULL)
    return;
  found = outstation->callbacks.list_directory
          && outstation->callbacks.list_directory (outstation->user_data, request->name,
                                                   &entries, &n_entries);
  reply->op = IEC104_FILE_OP_DIR_CONFIRM;
  reply->pkt = outstation->profile.file_pkt;
  reply->dir_id = request->dir_id;
  reply->result = found ? 0 : 1;
  do
    {
      /* Fixed part of OP2, then entries while they fit. */
      size_t used = IEC104_ASDU_HEADER_SIZE + IEC104_IOA_SIZE + 2 + 1 + 4 + 1 + 1;

      reply->n_entries = 0;
      while (found && done < n_entries && reply->n_entries < IEC104_DIR_ENTRIES_MAX)
        {
          size_t name_len = iec104_bounded_strlen (entries[done].name, IEC104_FILE_NAME_MAX);
          size_t entry_size = 1 + name_len + 1 + 4 + IEC104_CP56_SIZE;

          if (used + entry_size > IEC104_ASDU_MAX)
            break;
          reply->entries[reply->n_entries] = entries[done];
          reply->entries[reply->n_entries].name[name_len] = '\0';
          reply->n_entries++;
          used += entry_size;
          done++;
        }
      if (found && reply->n_entries == 0 && done < n_entries)
        done++; /* an entry too long for any frame is left out */
      reply->follow = found && done < n_entries;
      queue_file_message (outstation, outstation->profile.cot_dir_confirm, reply);
    }
  while (reply->follow);
  free (reply);
}

static void
handle_read_act (Iec104Outstation *outstation, const Iec104FileMessage *request)
{
  Iec104FileMessage *reply = calloc (1, sizeof *reply);
  const uint8_t *data = NULL;
  size_t size = 0;
  bool found;

  if (reply == NULL)
    return;
  found = outstation->callbacks.open_read
          && outstation->callbacks.open_read (outstation->user_data, request->name, &data, &size)
          && size <= UINT32_MAX;
  reply->op = IEC104_FILE_OP_READ_ACT_CON;
  reply->pkt = outstation->profile.file_pkt;
  strcpy (reply->name, request->name);
  reply->result = 1;
  if (found)
    {
      free (outstation->read_data);
      outstation->read_data = malloc (size ? size : 1);
      if (outstation->read_data)
        {
          if (size > 0)
            memcpy (outstation->read_data, data, size);
          /* The terminal picks the ID; SOJO uses the sum of the name's characters. */
          outstation->read_file_id = 0;
          for (const char *c = request->name; *c; c++)
            outstation->read_file_id += (uint8_t) *c;
          outstation->read_size = size;
          outstation->read_offset = 0;
          outstation->read_segment_index = 0;
          outstation->reading = true;
          reply->result = 0;
          reply->file_id = outstation->read_file_id;
          reply->file_size = (uint32_t) size;
        }
    }
  queue_file_message (outstation, outstation->profile.cot_read_act_con, reply);
  free (reply);
}

static void
handle_write_act (Iec104Outstation *outstation, const Iec104FileMessage *request)
{
  Iec104FileMessage *reply = calloc (1, sizeof *reply);
  uint8_t result = IEC104_WRITE_ACT_UNKNOWN_ERROR;

  if (reply == NULL)
    return;
  if (outstation->writing && outstation->callbacks.abort_write)
    outstation->callbacks.abort_write (outstation->user_data);
  outstation->writing = false;
  outstation->write_aborted = false;
  if (outstation->callbacks.begin_write)
    result = outstation->callbacks.begin_write (outstation->user_data, request->name,
                                                request->file_id, request->file_size);
  if (result == IEC104_WRITE_ACT_OK)
    {
      outstation->writing = true;
      outstation->write_file_id = request->file_id;
      outstation->write_size = request->file_size;
      outstation->write_received = 0;
      outstation->write_segment_index = 0;
    }
  *reply = *request;
  reply->op = IEC104_FILE_OP_WRITE_ACT_CON;
  reply->pkt = outstation->profile.file_pkt;
  reply->result = result;
  queue_file_message (outstation, outstation->profile.cot_write_act_con, reply);
  free (reply);
}

static void
send_write_data_con (Iec104Outstation *outstation, uint32_t segment, uint8_t result)
{
  Iec104FileMessage *reply = calloc (1, sizeof *reply);

  if (reply == NULL)
    return;
  reply->op = IEC104_FILE_OP_WRITE_DATA_CON;
  reply->pkt = outstation->profile.file_pkt;
  reply->file_id = outstation->write_file_id;
  reply->segment = segment;
  reply->result = result;
  queue_file_message (outstation, outstation->profile.cot_write_data_con, reply);
  free (reply);
}

/* Checks one OP9 against the activation (ID, checksum, numbering, bounds) per profile §5.2.4. */
static uint8_t
check_write_segment (const Iec104Outstation *outstation, const Iec104FileMessage *segment)
{
  uint32_t expected = iec104_segment_number (&outstation->profile, outstation->write_received,
                                             outstation->write_segment_index);

  if (segment->file_id != outstation->write_file_id)
    return IEC104_WRITE_DATA_FILE_ID_MISMATCH;
  if (iec104_checksum_sum8 (segment->data, segment->data_len) != segment->checksum)
    return IEC104_WRITE_DATA_CHECKSUM_ERROR;
  if (segment->segment != expected
      || segment->data_len > outstation->write_size - outstation->write_received)
    return IEC104_WRITE_DATA_LENGTH_MISMATCH;
  return IEC104_WRITE_DATA_OK;
}

static void
handle_write_data (Iec104Outstation *outstation, const Iec104FileMessage *segment)
{
  uint8_t result;

  if (!outstation->writing)
    {
      if (!outstation->write_aborted)
        send_write_data_con (outstation, segment->segment, IEC104_WRITE_DATA_UNKNOWN_ERROR);
      return;
    }
  result = check_write_segment (outstation, segment);
  if (result == IEC104_WRITE_DATA_OK && outstation->callbacks.write_segment)
    result = outstation->callbacks.write_segment (outstation->user_data, segment->segment,
                                                  outstation->write_received, segment->data,
                                                  segment->data_len);
  if (result == IEC104_WRITE_DATA_OK)
    {
      outstation->write_received += (uint32_t) segment->data_len;
      outstation->write_segment_index++;
      if (segment->follow)
        return; /* intermediate segments get no reply: the k window paces the master */
      if (outstation->write_received != outstation->write_size)
        result = IEC104_WRITE_DATA_LENGTH_MISMATCH;
      else if (outstation->callbacks.end_write)
        result = outstation->callbacks.end_write (outstation->user_data);
    }
  outstation->writing = false;
  outstation->write_aborted = result != IEC104_WRITE_DATA_OK;
  if (result != IEC104_WRITE_DATA_OK && outstation->callbacks.abort_write)
    outstation->callbacks.abort_write (outstation->user_data);
  send_write_data_con (outstation, segment->segment, result);
  if (result == IEC104_WRITE_DATA_OK)
    push_event (outstation, IEC104_OUTSTATION_EVENT_FILE_WRITTEN, IEC104_OK);
}

static void
handle_file (Iec104Outstation *outstation, const uint8_t *request, size_t len)
{
  Iec104FileMessage *message = outstation->file_message;

  if (iec104_asdu_decode_file (request, len, message))
    {
      refuse (outstation, request, len);
      return;
    }
  switch (message->op)
    {
    case IEC104_FILE_OP_DIR_CALL:
      handle_dir_call (outstation, message);
      break;
    case IEC104_FILE_OP_READ_ACT:
      handle_read_act (outstation, message);
      break;
    case IEC104_FILE_OP_READ_DATA_CON:
      break; /* the master confirms the end of a read; nothing is owed */
    case IEC104_FILE_OP_WRITE_ACT:
      handle_write_act (outstation, message);
      break;
    case IEC104_FILE_OP_WRITE_DATA:
      handle_write_data (outstation, message);
      break;
    default:
      refuse (outstation, request, len);
      break;
    }
}

/* False for a type whose service has no callback at all: the embedder's terminal does not know
 * it, as a standard IEC 104 outstation does not know the Chinese 200-211. */
static bool
serves_type (const Iec104OutstationCallbacks *cb, uint8_t type_id)
{
  switch (type_id)
    {
    case IEC104_TI_C_IC_NA_1:
      return cb->interrogation_points != NULL;
    case IEC104_TI_C_CS_NA_1:
      return cb->clock_read != NULL || cb->clock_set != NULL;
    case IEC104_TI_C_RP_NA_1:
      return cb->reset_process != NULL;
    case IEC104_TI_C_SR_NA_1:
      return cb->switch_area != NULL;
    case IEC104_TI_C_RR_NA_1:
      return cb->read_area != NULL;
    case IEC104_TI_C_RS_NA_1:
      return cb->read_param != NULL;
    case IEC104_TI_C_WS_NA_1:
      return cb->write_params != NULL;
    case IEC104_TI_FILE_210:
      return cb->list_directory != NULL || cb->open_read != NULL || cb->begin_write != NULL;
    case IEC104_TI_UPGRADE_211:
      return cb->upgrade_start != NULL || cb->upgrade_finish != NULL
             || cb->upgrade_cancel != NULL;
    default:
      return false;
    }
}

static void
handle_asdu (Iec104Outstation *outstation, const uint8_t *request, size_t len)
{
  Iec104AsduHeader header;

  if (iec104_asdu_header_decode (request, len, &header))
    return; /* too short to mirror: nothing sensible to answer */
  if (header.common_address != outstation->profile.common_address
      && header.common_address != IEC104_CA_BROADCAST)
    {
      reply_mirror (outstation, request, len, IEC104_COT_UNKNOWN_CA, true);
      return;
    }
  if (!serves_type (&outstation->callbacks, header.type_id))
    {
      reply_mirror (outstation, request, len, IEC104_COT_UNKNOWN_TYPE, true);
      return;
    }
  switch (header.type_id)
    {
    case IEC104_TI_C_IC_NA_1:
      handle_interrogation (outstation, request, len, &header);
      break;
    case IEC104_TI_C_CS_NA_1:
      handle_clock (outstation, request, len, &header);
      break;
    case IEC104_TI_C_RP_NA_1:
      handle_reset (outstation, request, len, &header);
      break;
    case IEC104_TI_C_SR_NA_1:
    case IEC104_TI_C_RR_NA_1:
      handle_setting_area (outstation, request, len, &header);
      break;
    case IEC104_TI_C_RS_NA_1:
      if (header.cot == IEC104_COT_ACTIVATION)
        handle_param_read (outstation, request, len);
      else
        reply_mirror (outstation, request, len, IEC104_COT_UNKNOWN_COT, true);
      break;
    case IEC104_TI_C_WS_NA_1:
      handle_param_write (outstation, request, len, &header);
      break;
    case IEC104_TI_FILE_210:
      handle_file (outstation, request, len);
      break;
    case IEC104_TI_UPGRADE_211:
      handle_upgrade (outstation, request, len, &header);
      break;
    }
}

static void
process_link_events (Iec104Outstation *outstation)
{
  const Iec104LinkEvent *event;

  while ((event = iec104_link_next_event (outstation->link)) != NULL)
    {
      switch (event->type)
        {
        case IEC104_LINK_EVENT_ACTIVE:
          push_event (outstation, IEC104_OUTSTATION_EVENT_ACTIVE, IEC104_OK);
          break;
        case IEC104_LINK_EVENT_STOPPED:
          push_event (outstation, IEC104_OUTSTATION_EVENT_STOPPED, IEC104_OK);
          break;
        case IEC104_LINK_EVENT_ASDU:
          handle_asdu (outstation, event->asdu, event->asdu_len);
          break;
        case IEC104_LINK_EVENT_WINDOW_OPEN:
          break;
        case IEC104_LINK_EVENT_CLOSED:
          reset_transactions (outstation);
          push_event (outstation, IEC104_OUTSTATION_EVENT_CLOSED, event->error);
          break;
        }
    }
}

/* ---- driving ---- */

void
iec104_outstation_open (Iec104Outstation *outstation, uint64_t now_ms)
{
  reset_transactions (outstation);
  outstation->upgrade_started = false;
  iec104_queue_clear (&outstation->events);
  iec104_link_open (outstation->link, now_ms);
}

void
iec104_outstation_connection_lost (Iec104Outstation *outstation)
{
  iec104_link_connection_lost (outstation->link);
  process_link_events (outstation);
}

Iec104Error
iec104_outstation_feed (Iec104Outstation *outstation, const uint8_t *data, size_t len,
                        uint64_t now_ms)
{
  Iec104Error error = iec104_link_feed (outstation->link, data, len, now_ms);

  process_link_events (outstation);
  pump (outstation, now_ms);
  iec104_link_input_drained (outstation->link);
  return error;
}

void
iec104_outstation_tick (Iec104Outstation *outstation, uint64_t now_ms)
{
  iec104_link_tick (outstation->link, now_ms);
  process_link_events (outstation);
  pump (outstation, now_ms);
}

uint64_t
iec104_outstation_next_deadline (const Iec104Outstation *outstation)
{
  return iec104_link_next_deadline (outstation->link);
}

size_t
iec104_outstation_output (const Iec104Outstation *outstation, const uint8_t **data)
{
  return iec104_link_output (outstation->link, data);
}

void
iec104_outstation_consume_output (Iec104Outstation *outstation, size_t n)
{
  iec104_link_consume_output (outstation->link, n);
}

Iec104Error
iec104_outstation_send_points (Iec104Outstation *outstation, uint8_t cot,
                               const Iec104Point *points, size_t n_points, uint64_t now_ms)
{
  size_t done = 0;

  if (points == NULL || n_points == 0)
    return IEC104_ERROR_INVALID_ARGUMENT;
  if (iec104_link_get_state (outstation->link) != IEC104_LINK_STATE_ACTIVE)
    return IEC104_ERROR_NOT_ACTIVE;
  while (done < n_points)
    {
      Iec104Asdu asdu;
      size_t encoded;
      Iec104Error error = encode_next_points (outstation, cot, points + done, n_points - done,
                                              &asdu, &encoded);

      if (error)
        return error;
      queue_asdu (outstation, &asdu);
      done += encoded;
    }
  pump (outstation, now_ms);
  return IEC104_OK;
}

Iec104Error
iec104_outstation_send_end_of_init (Iec104Outstation *outstation, uint64_t now_ms)
{
  Iec104Asdu asdu;
  Iec104Error error;

  if (iec104_link_get_state (outstation->link) != IEC104_LINK_STATE_ACTIVE)
    return IEC104_ERROR_NOT_ACTIVE;
  error = iec104_asdu_encode_qualifier (&asdu, IEC104_TI_M_EI_NA_1,
                                        outstation->profile.common_address,
                                        IEC104_COT_INITIALISED, false, 0);
  if (error)
    return error;
  queue_asdu (outstation, &asdu);
  pump (outstation, now_ms);
  return IEC104_OK;
}
