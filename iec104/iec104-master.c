/* iec104-master.c: controlling-station services on top of the link, one request at a time. */
#include "iec104-master.h"

#include <stdlib.h>
#include <string.h>

#include "iec104-queue-private.h"
#include "iec104-segment-private.h"

/* A queued event and the memory its pointers refer to. */
typedef struct
{
  Iec104MasterEvent event;
  void *owned;
} MasterEventRecord;

typedef enum
{
  FILE_PHASE_ACTIVATING, /* OP3/OP7 sent, waiting for OP4/OP8 */
  FILE_PHASE_STREAMING,  /* read: receiving OP5; write: sending OP9 */
  FILE_PHASE_CONFIRMING, /* write: all OP9 sent, waiting for the final OP10 */
} FilePhase;

/* Which byte of a file write an I-frame finished, so acks map back onto bytes. */
typedef struct
{
  uint64_t frame_index;
  uint64_t end_offset;
} FrameMark;

struct Iec104Master
{
  Iec104Profile profile;
  Iec104Link *link;
  Iec104Queue events;            /* MasterEventRecord */
  MasterEventRecord polled;      /* the last event handed out, alive until the next poll */

  Iec104MasterRequest request;
  uint8_t request_type;          /* type identification of the running request */
  uint8_t expected_cot;          /* COT of the positive confirmation */
  uint64_t deadline;
  Iec104Queue outgoing;          /* Iec104Asdu waiting for room in the k window */
  unsigned confirms_missing;     /* 203 preset: one mirror per frame sent */

  Iec104Param *params;
  size_t n_params;
  size_t params_capacity;
  uint16_t sn;
  Iec104Point *points;
  size_t n_points;
  size_t points_capacity;
  Iec104DirEntry *entries;
  size_t n_entries;
  size_t entries_capacity;
  Iec104Cp56Time time;
  Iec104SettingArea area;

  FilePhase file_phase;
  uint32_t file_id;
  uint64_t file_size;
  const uint8_t *write_data;
  uint64_t bytes_sent;
  uint64_t bytes_acked;
  uint64_t bytes_reported_sent;
  uint64_t bytes_reported_acked;
  uint32_t segment_index;
  Iec104Queue frame_marks;       /* FrameMark of each OP9 not yet acknowledged */
  Iec104FileMessage *file_message; /* scratch for encoding and decoding 210 ASDUs */
  uint8_t file_result;
  uint32_t file_segment;

  uint64_t foreign_replies;      /* ASDUs with another common address, since open() */
  uint16_t foreign_common_address;
};

Iec104Master *
iec104_master_new (const Iec104Profile *profile)
{
  Iec104Master *master;
  Iec104LinkParams params;

  if (profile == NULL || iec104_profile_validate (profile) != IEC104_OK)
    return NULL;
  master = calloc (1, sizeof *master);
  if (master == NULL)
    return NULL;
  master->profile = *profile;
  iec104_link_params_from_profile (&params, profile);
  master->link = iec104_link_new (&params);
  master->file_message = calloc (1, sizeof *master->file_message);
  if (master->link == NULL || master->file_message == NULL)
    {
      iec104_link_free (master->link);
      free (master->file_message);
      free (master);
      return NULL;
    }
  iec104_queue_init (&master->events, sizeof (MasterEventRecord));
  iec104_queue_init (&master->outgoing, sizeof (Iec104Asdu));
  iec104_queue_init (&master->frame_marks, sizeof (FrameMark));
  master->deadline = IEC104_NO_DEADLINE;
  return master;
}

static void
clear_results (Iec104Master *master)
{
  free (master->params);
  free (master->points);
  free (master->entries);
  master->params = NULL;
  master->points = NULL;
  master->entries = NULL;
  master->n_params = master->params_capacity = 0;
  master->n_points = master->points_capacity = 0;
  master->n_entries = master->entries_capacity = 0;
}

void
iec104_master_free (Iec104Master *master)
{
  MasterEventRecord record;

  if (master == NULL)
    return;
  while (iec104_queue_pop (&master->events, &record))
    free (record.owned);
  free (master->polled.owned);
  iec104_queue_destroy (&master->events);
  iec104_queue_destroy (&master->outgoing);
  iec104_queue_destroy (&master->frame_marks);
  clear_results (master);
  iec104_link_free (master->link);
  free (master->file_message);
  free (master);
}

Iec104Link *
iec104_master_get_link (Iec104Master *master)
{
  return master->link;
}

Iec104MasterRequest
iec104_master_get_request (const Iec104Master *master)
{
  return master->request;
}

uint64_t
iec104_master_get_foreign_replies (const Iec104Master *master, uint16_t *last_common_address)
{
  if (last_common_address != NULL)
    *last_common_address = master->foreign_common_address;
  return master->foreign_replies;
}

/* ---- events ---- */

static void
push_event (Iec104Master *master, const Iec104MasterEvent *event, void *owned)
{
  MasterEventRecord record = { .event = *event, .owned = owned };

  if (!iec104_queue_push (&master->events, &record))
    {
      free (owned);
      iec104_link_close (master->link, IEC104_ERROR_NO_MEMORY);
    }
}

bool
iec104_master_poll_event (Iec104Master *master, Iec104MasterEvent *event)
{
  free (master->polled.owned);
  master->polled.owned = NULL;
  if (!iec104_queue_pop (&master->events, &master->polled))
    return false;
  *event = master->polled.event;
  return true;
}

/* Grows *array (of elem_size items) to hold `needed`; false when out of memory. */
static bool
reserve (void **array, size_t *capacity, size_t needed, size_t elem_size)
{
  size_t new_capacity;
  void *grown;

  /* Always leave an array behind, so copying zero items into it is well-defined. */
  if (needed == 0)
    needed = 1;
  if (needed <= *capacity)
    return true;
  new_capacity = *capacity ? *capacity * 2 : 64;
  while (new_capacity < needed)
    new_capacity *= 2;
  grown = realloc (*array, new_capacity * elem_size);
  if (grown == NULL)
    return false;
  *array = grown;
  *capacity = new_capacity;
  return true;
}

static void
finish_request (Iec104Master *master, Iec104Error error, uint8_t cot)
{
  Iec104MasterEvent event = {
    .type = IEC104_MASTER_EVENT_DONE,
    .request = master->request,
    .error = error,
    .cot = cot,
    .sn = master->sn,
    .time = master->time,
    .file_size = master->file_size,
    .bytes_sent = master->bytes_sent,
    .bytes_acked = master->bytes_acked,
    .file_result = master->file_result,
    .file_segment = master->file_segment,
    .area = master->area,
  };
  void *owned = NULL;

  if (master->request == IEC104_MASTER_REQUEST_NONE)
    return;
  /* The collected results move into the event; only one kind is ever filled. */
  if (master->n_params > 0)
    {
      event.params = master->params;
      event.n_params = master->n_params;
      owned = master->params;
      master->params = NULL;
    }
  else if (master->n_points > 0)
    {
      event.points = master->points;
      event.n_points = master->n_points;
      owned = master->points;
      master->points = NULL;
    }
  else if (master->n_entries > 0)
    {
      event.entries = master->entries;
      event.n_entries = master->n_entries;
      owned = master->entries;
      master->entries = NULL;
    }
  clear_results (master);
  master->request = IEC104_MASTER_REQUEST_NONE;
  master->request_type = 0; /* not a type identification: no late reply matches it */
  master->deadline = IEC104_NO_DEADLINE;
  master->write_data = NULL;
  /* A failed request's unsent frames are dropped; a finished read still owes its OP6. */
  if (error != IEC104_OK)
    iec104_queue_clear (&master->outgoing);
  iec104_queue_clear (&master->frame_marks);
  push_event (master, &event, owned);
}

/* ---- sending ---- */

static void
report_progress (Iec104Master *master)
{
  Iec104MasterEvent event = {
    .type = IEC104_MASTER_EVENT_FILE_PROGRESS,
    .request = IEC104_MASTER_REQUEST_FILE_WRITE,
    .file_size = master->file_size,
    .bytes_sent = master->bytes_sent,
    .bytes_acked = master->bytes_acked,
  };

  if (master->bytes_sent == master->bytes_reported_sent
      && master->bytes_acked == master->bytes_reported_acked)
    return;
  master->bytes_reported_sent = master->bytes_sent;
  master->bytes_reported_acked = master->bytes_acked;
  push_event (master, &event, NULL);
}

static void
update_acked_bytes (Iec104Master *master)
{
  uint64_t acked_frames = iec104_link_get_acked_total (master->link);
  FrameMark *mark;

  while ((mark = iec104_queue_peek (&master->frame_marks)) && mark->frame_index < acked_frames)
    {
      master->bytes_acked = mark->end_offset;
      iec104_queue_pop (&master->frame_marks, &(FrameMark) { 0 });
    }
}

static bool
send_next_segment (Iec104Master *master, uint64_t now_ms)
{
  Iec104FileMessage *message = master->file_message;
  Iec104Asdu asdu;
  uint64_t remaining = master->file_size - master->bytes_sent;
  size_t chunk = remaining < master->profile.segment_size ? (size_t) remaining
                                                            : master->profile.segment_size;
  FrameMark mark = { iec104_link_get_sent_total (master->link), master->bytes_sent + chunk };

  message->op = IEC104_FILE_OP_WRITE_DATA;
  message->pkt = master->profile.file_pkt;
  message->file_id = master->file_id;
  message->segment = iec104_segment_number (&master->profile, master->bytes_sent,
                                            master->segment_index);
  message->follow = master->bytes_sent + chunk < master->file_size;
  message->data = master->write_data + master->bytes_sent;
  message->data_len = chunk;
  message->n_entries = 0;
  if (iec104_asdu_encode_file (&asdu, master->profile.common_address,
                               master->profile.cot_write_data, message)
      || iec104_link_send_asdu (master->link, asdu.bytes, asdu.len, now_ms)
      || !iec104_queue_push (&master->frame_marks, &mark))
    return false;
  master->bytes_sent += chunk;
  master->segment_index++;
  if (master->bytes_sent == master->file_size)
    {
      master->file_phase = FILE_PHASE_CONFIRMING;
      master->deadline = now_ms + master->profile.file_confirm_timeout_ms;
    }
  return true;
}

/* Sends what the k window allows: queued ASDUs, then file segments. */
static void
pump (Iec104Master *master, uint64_t now_ms)
{
  Iec104Asdu *asdu;

  while ((asdu = iec104_queue_peek (&master->outgoing)) && iec104_link_can_send (master->link))
    {
      if (iec104_link_send_asdu (master->link, asdu->bytes, asdu->len, now_ms))
        break;
      iec104_queue_pop (&master->outgoing, &(Iec104Asdu) { 0 });
    }
  if (master->request != IEC104_MASTER_REQUEST_FILE_WRITE)
    return;
  update_acked_bytes (master);
  while (master->file_phase == FILE_PHASE_STREAMING && iec104_link_can_send (master->link))
    if (!send_next_segment (master, now_ms))
      {
        finish_request (master, IEC104_ERROR_NO_MEMORY, 0);
        return;
      }
  report_progress (master);
}

/* ---- receiving ---- */

static bool
append_points (Iec104Master *master, const Iec104Point *points, size_t n)
{
  if (!reserve ((void **) &master->points, &master->points_capacity, master->n_points + n,
                sizeof *points))
    return false;
  memcpy (master->points + master->n_points, points, n * sizeof *points);
  master->n_points += n;
  return true;
}

static void
handle_points (Iec104Master *master, const Iec104AsduHeader *header, const uint8_t *asdu,
               size_t len)
{
  Iec104Point points[IEC104_MAX_OBJECTS];
  size_t n;
  Iec104Point *copy;

  bool interrogated = master->request == IEC104_MASTER_REQUEST_INTERROGATION
                      && header->cot == IEC104_COT_INTERROGATED_BY_STATION;

  if (iec104_asdu_decode_points (asdu, len, points, &n))
    {
      /* Interrogation data belongs to the running GI, which cannot be complete without it;
       * other malformed monitoring data belongs to no request and is dropped. */
      if (interrogated)
        finish_request (master, IEC104_ERROR_MALFORMED_ASDU, header->cot);
      return;
    }
  if (interrogated)
    {
      if (!append_points (master, points, n))
        finish_request (master, IEC104_ERROR_NO_MEMORY, 0);
      return;
    }
  copy = malloc (n * sizeof *copy);
  if (copy == NULL)
    return;
  memcpy (copy, points, n * sizeof *copy);
  push_event (master, &(Iec104MasterEvent) { .type = IEC104_MASTER_EVENT_POINTS,
                                              .cot = header->cot, .points = copy,
                                              .n_points = n },
              copy);
}

static void
handle_param_reply (Iec104Master *master, const uint8_t *asdu, size_t len)
{
  Iec104Param params[IEC104_MAX_OBJECTS];
  size_t n;
  uint8_t pi;
  Iec104Error error = iec104_asdu_decode_params (asdu, len, &master->sn, &pi, params, &n);

  if (error)
    {
      finish_request (master, error, 0);
      return;
    }
  if (!reserve ((void **) &master->params, &master->params_capacity, master->n_params + n,
                sizeof *params))
    {
      finish_request (master, IEC104_ERROR_NO_MEMORY, 0);
      return;
    }
  memcpy (master->params + master->n_params, params, n * sizeof *params);
  master->n_params += n;
  if ((pi & IEC104_PI_CONT) == 0)
    finish_request (master, IEC104_OK, 0);
}

static void
send_read_data_con (Iec104Master *master, const Iec104FileMessage *segment)
{
  Iec104FileMessage *message = calloc (1, sizeof *message);
  Iec104Asdu asdu;

  if (message == NULL)
    return;
  message->op = IEC104_FILE_OP_READ_DATA_CON;
  message->pkt = master->profile.file_pkt;
  message->file_id = master->file_id;
  message->segment = segment->segment;
  message->follow = false;
  if (iec104_asdu_encode_file (&asdu, master->profile.common_address,
                               master->profile.cot_read_data_con, message) == IEC104_OK)
    iec104_queue_push (&master->outgoing, &asdu);
  free (message);
}

static void
handle_file_read (Iec104Master *master, const Iec104FileMessage *message)
{
  uint32_t expected_segment;
  uint8_t *copy;

  if (message->op == IEC104_FILE_OP_READ_ACT_CON && master->file_phase == FILE_PHASE_ACTIVATING)
    {
      if (message->result != 0)
        {
          master->file_result = message->result;
          finish_request (master, IEC104_ERROR_FILE_RESULT, 0);
          return;
        }
      master->file_id = message->file_id;
      master->file_size = message->file_size;
      master->file_phase = FILE_PHASE_STREAMING;
      return;
    }
  if (message->op != IEC104_FILE_OP_READ_DATA || master->file_phase != FILE_PHASE_STREAMING)
    return;
  expected_segment = iec104_segment_number (&master->profile, master->bytes_sent,
                                            master->segment_index);
  if (iec104_checksum_sum8 (message->data, message->data_len) != message->checksum)
    {
      master->file_segment = message->segment;
      finish_request (master, IEC104_ERROR_CHECKSUM, 0);
      return;
    }
  if (message->segment != expected_segment || message->file_id != master->file_id
      || master->bytes_sent + message->data_len > master->file_size)
    {
      master->file_segment = message->segment;
      finish_request (master, IEC104_ERROR_UNEXPECTED_REPLY, 0);
      return;
    }
  copy = malloc (message->data_len ? message->data_len : 1);
  if (copy == NULL)
    {
      finish_request (master, IEC104_ERROR_NO_MEMORY, 0);
      return;
    }
  memcpy (copy, message->data, message->data_len);
  push_event (master, &(Iec104MasterEvent) { .type = IEC104_MASTER_EVENT_FILE_DATA,
                                              .request = IEC104_MASTER_REQUEST_FILE_READ,
                                              .file_size = master->file_size,
                                              .file_offset = master->bytes_sent,
                                              .file_data = copy,
                                              .file_data_len = message->data_len },
              copy);
  master->bytes_sent += message->data_len;
  master->segment_index++;
  if (message->follow)
    return;
  send_read_data_con (master, message);
  finish_request (master, master->bytes_sent == master->file_size
                            ? IEC104_OK : IEC104_ERROR_UNEXPECTED_REPLY, 0);
}

static void
handle_file (Iec104Master *master, const Iec104AsduHeader *header, const uint8_t *asdu,
             size_t len)
{
  Iec104FileMessage *message = master->file_message;
  Iec104Error error = iec104_asdu_decode_file (asdu, len, message);

  if (error)
    finish_request (master, error, 0);
  else if (master->request == IEC104_MASTER_REQUEST_FILE_DIRECTORY
           && message->op == IEC104_FILE_OP_DIR_CONFIRM)
    {
      if ((master->profile.accepted_cots_dir_confirm & IEC104_COT_BIT (header->cot)) == 0)
        finish_request (master, iec104_error_from_negative_cot (header->cot, 1), header->cot);
      else if (message->result != 0)
        {
          master->file_result = message->result;
          finish_request (master, IEC104_ERROR_FILE_RESULT, header->cot);
        }
      else if (!reserve ((void **) &master->entries, &master->entries_capacity,
                         master->n_entries + message->n_entries, sizeof (Iec104DirEntry)))
        finish_request (master, IEC104_ERROR_NO_MEMORY, 0);
      else
        {
          memcpy (master->entries + master->n_entries, message->entries,
                  message->n_entries * sizeof (Iec104DirEntry));
          master->n_entries += message->n_entries;
          if (!message->follow)
            finish_request (master, IEC104_OK, 0);
        }
    }
  else if (master->request == IEC104_MASTER_REQUEST_FILE_READ)
    handle_file_read (master, message);
  else if (master->request == IEC104_MASTER_REQUEST_FILE_WRITE
           && message->op == IEC104_FILE_OP_WRITE_ACT_CON
           && master->file_phase == FILE_PHASE_ACTIVATING)
    {
      if (message->result != 0)
        {
          master->file_result = message->result;
          finish_request (master, IEC104_ERROR_FILE_RESULT, header->cot);
        }
      else
        {
          master->file_phase = FILE_PHASE_STREAMING;
          master->deadline = IEC104_NO_DEADLINE; /* t1 guards the segments from here */
        }
    }
  else if (master->request == IEC104_MASTER_REQUEST_FILE_WRITE
           && message->op == IEC104_FILE_OP_WRITE_DATA_CON)
    {
      master->file_segment = message->segment;
      if ((master->profile.accepted_cots_write_data_con & IEC104_COT_BIT (header->cot)) == 0)
        finish_request (master, iec104_error_from_negative_cot (header->cot, 1), header->cot);
      else if (message->result != 0)
        {
          /* An early non-zero OP10 aborts the transfer: stop streaming at once. */
          master->file_result = message->result;
          finish_request (master, IEC104_ERROR_FILE_RESULT, header->cot);
        }
      else if (master->file_phase == FILE_PHASE_CONFIRMING)
        {
          update_acked_bytes (master);
          finish_request (master, IEC104_OK, header->cot);
        }
    }
}

/* True when the reply refuses the running request. */
static bool
is_negative (const Iec104Master *master, const Iec104AsduHeader *header)
{
  if (header->negative || (header->cot >= IEC104_COT_UNKNOWN_TYPE
                           && header->cot <= IEC104_COT_UNKNOWN_IOA))
    return true;
  return header->cot == IEC104_COT_ACTIVATION_TERM
         && master->expected_cot != IEC104_COT_ACTIVATION_TERM
         && master->request != IEC104_MASTER_REQUEST_INTERROGATION;
}

static void
handle_asdu (Iec104Master *master, const uint8_t *asdu, size_t len, uint64_t now_ms)
{
  Iec104AsduHeader header;
  Iec104Cp56Time time;
  bool has_area;

  if (iec104_asdu_header_decode (asdu, len, &header))
    {
      /* Too short for a header: only the type byte says whom it was for. If it is the running
       * request's type, it may be the very reply the request waits for, so end the request
       * rather than let it run into its timeout. */
      if (master->request != IEC104_MASTER_REQUEST_NONE && len > 0
          && asdu[0] == master->request_type)
        finish_request (master, IEC104_ERROR_MALFORMED_ASDU, 0);
      return;
    }
  /* A gateway hosting several terminals answers for each under its own CA: what another CA
   * says is not about our terminal, so it is ignored and the request waits on as without it. */
  if (header.common_address != master->profile.common_address)
    {
      master->foreign_replies++;
      master->foreign_common_address = header.common_address;
      return;
    }
  if (iec104_type_is_point (header.type_id))
    {
      handle_points (master, &header, asdu, len);
      return;
    }
  if (header.type_id == IEC104_TI_M_EI_NA_1)
    {
      push_event (master, &(Iec104MasterEvent) { .type = IEC104_MASTER_EVENT_END_OF_INIT },
                  NULL);
      return;
    }
  if (master->request == IEC104_MASTER_REQUEST_NONE || header.type_id != master->request_type)
    return;

  /* Every reply of the running request restarts the wait for the next one. */
  if (master->deadline != IEC104_NO_DEADLINE)
    master->deadline = now_ms + (master->file_phase == FILE_PHASE_CONFIRMING
                                   && master->request == IEC104_MASTER_REQUEST_FILE_WRITE
                                   ? master->profile.file_confirm_timeout_ms
                                   : master->profile.reply_timeout_ms);
  if (is_negative (master, &header))
    {
      finish_request (master, iec104_error_from_negative_cot (header.cot, header.negative),
                      header.cot);
      return;
    }

  switch (master->request)
    {
    case IEC104_MASTER_REQUEST_INTERROGATION:
      if (header.cot == IEC104_COT_ACTIVATION_TERM)
        finish_request (master, IEC104_OK, header.cot);
      break;
    case IEC104_MASTER_REQUEST_CLOCK_READ:
      if (header.cot != IEC104_COT_REQUEST)
        break;
      if (iec104_asdu_decode_clock (asdu, len, &time))
        finish_request (master, IEC104_ERROR_MALFORMED_ASDU, header.cot);
      else
        {
          master->time = time;
          finish_request (master, IEC104_OK, header.cot);
        }
      break;
    case IEC104_MASTER_REQUEST_READ_PARAMS:
      if (header.cot == IEC104_COT_ACTIVATION_CON)
        handle_param_reply (master, asdu, len);
      break;
    case IEC104_MASTER_REQUEST_READ_AREA:
      if (header.cot != IEC104_COT_ACTIVATION_CON)
        break;
      if (iec104_asdu_decode_read_area (asdu, len, &has_area, &master->area) || !has_area)
        finish_request (master, IEC104_ERROR_MALFORMED_ASDU, header.cot);
      else
        finish_request (master, IEC104_OK, header.cot);
      break;
    case IEC104_MASTER_REQUEST_WRITE_PARAMS:
      if (header.cot == IEC104_COT_ACTIVATION_CON && --master->confirms_missing == 0)
        finish_request (master, IEC104_OK, header.cot);
      break;
    case IEC104_MASTER_REQUEST_FILE_DIRECTORY:
    case IEC104_MASTER_REQUEST_FILE_READ:
    case IEC104_MASTER_REQUEST_FILE_WRITE:
      handle_file (master, &header, asdu, len);
      break;
    default:
      if (header.cot == master->expected_cot)
        finish_request (master, IEC104_OK, header.cot);
      break;
    }
}

static void
process_link_events (Iec104Master *master, uint64_t now_ms)
{
  const Iec104LinkEvent *event;

  while ((event = iec104_link_next_event (master->link)) != NULL)
    {
      switch (event->type)
        {
        case IEC104_LINK_EVENT_ACTIVE:
          if (master->request == IEC104_MASTER_REQUEST_START_DT)
            finish_request (master, IEC104_OK, 0);
          break;
        case IEC104_LINK_EVENT_STOPPED:
          if (master->request == IEC104_MASTER_REQUEST_STOP_DT)
            finish_request (master, IEC104_OK, 0);
          break;
        case IEC104_LINK_EVENT_ASDU:
          handle_asdu (master, event->asdu, event->asdu_len, now_ms);
          break;
        case IEC104_LINK_EVENT_WINDOW_OPEN:
          break;
        case IEC104_LINK_EVENT_CLOSED:
          update_acked_bytes (master);
          finish_request (master, event->error, 0);
          push_event (master, &(Iec104MasterEvent) { .type = IEC104_MASTER_EVENT_CLOSED,
                                                      .error = event->error },
                      NULL);
          break;
        }
    }
}

/* ---- driving ---- */

/* Drops the unpolled events of the previous connection except DONE: every request ends with
 * exactly one DONE, even one polled after the reconnect (a 105 cut short by the reboot). */
static void
drop_stale_events (Iec104Master *master)
{
  size_t stale = master->events.count;
  MasterEventRecord record;

  while (stale-- > 0 && iec104_queue_pop (&master->events, &record))
    {
      if (record.event.type != IEC104_MASTER_EVENT_DONE)
        free (record.owned);
      else if (!iec104_queue_push (&master->events, &record))
        free (record.owned);
    }
}

void
iec104_master_open (Iec104Master *master, uint64_t now_ms)
{
  drop_stale_events (master);
  /* A request cannot survive a new connection, even if the old one's loss was not reported. */
  finish_request (master, IEC104_ERROR_CONNECTION_LOST, 0);
  master->foreign_replies = 0;
  master->foreign_common_address = 0;
  iec104_link_open (master->link, now_ms);
}

void
iec104_master_connection_lost (Iec104Master *master)
{
  iec104_link_connection_lost (master->link);
  process_link_events (master, 0);
}

Iec104Error
iec104_master_feed (Iec104Master *master, const uint8_t *data, size_t len, uint64_t now_ms)
{
  Iec104Error error = iec104_link_feed (master->link, data, len, now_ms);

  process_link_events (master, now_ms);
  pump (master, now_ms);
  iec104_link_input_drained (master->link);
  return error;
}

void
iec104_master_tick (Iec104Master *master, uint64_t now_ms)
{
  iec104_link_tick (master->link, now_ms);
  process_link_events (master, now_ms);
  if (master->request != IEC104_MASTER_REQUEST_NONE && now_ms >= master->deadline)
    finish_request (master, IEC104_ERROR_TIMEOUT, 0);
  pump (master, now_ms);
}

uint64_t
iec104_master_next_deadline (const Iec104Master *master)
{
  uint64_t link_deadline = iec104_link_next_deadline (master->link);

  return link_deadline < master->deadline ? link_deadline : master->deadline;
}

size_t
iec104_master_output (const Iec104Master *master, const uint8_t **data)
{
  return iec104_link_output (master->link, data);
}

void
iec104_master_consume_output (Iec104Master *master, size_t n)
{
  iec104_link_consume_output (master->link, n);
}

/* ---- requests ---- */

static Iec104Error
begin_request (Iec104Master *master, Iec104MasterRequest request, uint8_t type_id,
               uint8_t expected_cot, uint64_t now_ms)
{
  if (master->request != IEC104_MASTER_REQUEST_NONE)
    return IEC104_ERROR_BUSY;
  if (iec104_link_get_state (master->link) != IEC104_LINK_STATE_ACTIVE)
    return IEC104_ERROR_NOT_ACTIVE;
  clear_results (master);
  iec104_queue_clear (&master->outgoing);
  iec104_queue_clear (&master->frame_marks);
  master->request = request;
  master->request_type = type_id;
  master->expected_cot = expected_cot;
  master->deadline = now_ms + master->profile.reply_timeout_ms;
  master->confirms_missing = 0;
  master->sn = 0;
  memset (&master->time, 0, sizeof master->time);
  memset (&master->area, 0, sizeof master->area);
  master->file_phase = FILE_PHASE_ACTIVATING;
  master->file_id = 0;
  master->file_size = 0;
  master->write_data = NULL;
  master->bytes_sent = master->bytes_acked = 0;
  master->bytes_reported_sent = master->bytes_reported_acked = 0;
  master->segment_index = 0;
  master->file_result = 0;
  master->file_segment = 0;
  return IEC104_OK;
}

/* Queues the request's first ASDU and sends it if the window allows. */
static Iec104Error
send_request (Iec104Master *master, const Iec104Asdu *asdu, uint64_t now_ms)
{
  if (!iec104_queue_push (&master->outgoing, asdu))
    {
      master->request = IEC104_MASTER_REQUEST_NONE;
      master->deadline = IEC104_NO_DEADLINE;
      return IEC104_ERROR_NO_MEMORY;
    }
  pump (master, now_ms);
  return IEC104_OK;
}

/* Starts a request whose ASDU was encoded into asdu by the caller. */
static Iec104Error
start_simple (Iec104Master *master, Iec104MasterRequest request, uint8_t expected_cot,
              Iec104Error encode_error, const Iec104Asdu *asdu, uint64_t now_ms)
{
  Iec104Error error;

  if (encode_error)
    return encode_error;
  error = begin_request (master, request, asdu->bytes[0], expected_cot, now_ms);
  if (error)
    return error;
  return send_request (master, asdu, now_ms);
}

Iec104Error
iec104_master_start_dt (Iec104Master *master, uint64_t now_ms)
{
  Iec104Error error;

  if (master->request != IEC104_MASTER_REQUEST_NONE)
    return IEC104_ERROR_BUSY;
  error = iec104_link_start_dt (master->link, now_ms);
  if (error)
    return error;
  master->request = IEC104_MASTER_REQUEST_START_DT;
  master->deadline = IEC104_NO_DEADLINE; /* t1 guards the STARTDT con */
  return IEC104_OK;
}

Iec104Error
iec104_master_stop_dt (Iec104Master *master, uint64_t now_ms)
{
  Iec104Error error;

  if (master->request != IEC104_MASTER_REQUEST_NONE)
    return IEC104_ERROR_BUSY;
  error = iec104_link_stop_dt (master->link, now_ms);
  if (error)
    return error;
  master->request = IEC104_MASTER_REQUEST_STOP_DT;
  master->deadline = IEC104_NO_DEADLINE;
  return IEC104_OK;
}

Iec104Error
iec104_master_interrogate (Iec104Master *master, uint64_t now_ms)
{
  Iec104Asdu asdu;
  Iec104Error error = iec104_asdu_encode_qualifier (&asdu, IEC104_TI_C_IC_NA_1,
                                                    master->profile.common_address,
                                                    IEC104_COT_ACTIVATION, false,
                                                    IEC104_QOI_STATION);

  return start_simple (master, IEC104_MASTER_REQUEST_INTERROGATION, IEC104_COT_ACTIVATION_TERM,
                       error, &asdu, now_ms);
}

Iec104Error
iec104_master_clock_sync (Iec104Master *master, const Iec104Cp56Time *time, uint64_t now_ms)
{
  Iec104Asdu asdu;

  if (time == NULL)
    return IEC104_ERROR_INVALID_ARGUMENT;
  return start_simple (master, IEC104_MASTER_REQUEST_CLOCK_SYNC, IEC104_COT_ACTIVATION_CON,
                       iec104_asdu_encode_clock (&asdu, master->profile.common_address,
                                                 IEC104_COT_ACTIVATION, false, time),
                       &asdu, now_ms);
}

Iec104Error
iec104_master_clock_read (Iec104Master *master, uint64_t now_ms)
{
  Iec104Asdu asdu;
  Iec104Cp56Time zero = { 0 };

  return start_simple (master, IEC104_MASTER_REQUEST_CLOCK_READ, IEC104_COT_REQUEST,
                       iec104_asdu_encode_clock (&asdu, master->profile.common_address,
                                                 IEC104_COT_REQUEST, false, &zero),
                       &asdu, now_ms);
}

Iec104Error
iec104_master_reset_process (Iec104Master *master, uint8_t qrp, uint64_t now_ms)
{
  Iec104Asdu asdu;

  return start_simple (master, IEC104_MASTER_REQUEST_RESET_PROCESS, IEC104_COT_ACTIVATION_CON,
                       iec104_asdu_encode_qualifier (&asdu, IEC104_TI_C_RP_NA_1,
                                                     master->profile.common_address,
                                                     IEC104_COT_ACTIVATION, false, qrp),
                       &asdu, now_ms);
}

Iec104Error
iec104_master_read_params (Iec104Master *master, uint16_t sn, const uint32_t *ioas,
                           size_t n_ioas, uint64_t now_ms)
{
  Iec104Asdu asdu;

  return start_simple (master, IEC104_MASTER_REQUEST_READ_PARAMS, IEC104_COT_ACTIVATION_CON,
                       iec104_asdu_encode_param_read (&asdu, master->profile.common_address, sn,
                                                      ioas, n_ioas),
                       &asdu, now_ms);
}

Iec104Error
iec104_master_write_params (Iec104Master *master, uint16_t sn, const Iec104Param *params,
                            size_t n_params, uint64_t now_ms)
{
  Iec104Asdu asdu;
  size_t done = 0;
  Iec104Error error;

  if (params == NULL || n_params == 0)
    return IEC104_ERROR_INVALID_ARGUMENT;
  error = begin_request (master, IEC104_MASTER_REQUEST_WRITE_PARAMS, IEC104_TI_C_WS_NA_1,
                         IEC104_COT_ACTIVATION_CON, now_ms);
  if (error)
    return error;
  while (done < n_params)
    {
      size_t n;
      /* Preset frames all carry S/E; CONT tells the terminal more preset frames follow. */
      error = iec104_asdu_encode_params (&asdu, IEC104_TI_C_WS_NA_1,
                                         master->profile.common_address, IEC104_COT_ACTIVATION,
                                         false, sn, IEC104_PI_SE | IEC104_PI_CONT,
                                         params + done, n_params - done, &n);
      if (error == IEC104_OK && done + n == n_params)
        asdu.bytes[IEC104_ASDU_HEADER_SIZE + 2] = IEC104_PI_SE;
      if (error || !iec104_queue_push (&master->outgoing, &asdu))
        {
          master->request = IEC104_MASTER_REQUEST_NONE;
          master->deadline = IEC104_NO_DEADLINE;
          iec104_queue_clear (&master->outgoing);
          return error ? error : IEC104_ERROR_NO_MEMORY;
        }
      done += n;
      master->confirms_missing++;
    }
  master->sn = sn;
  pump (master, now_ms);
  return IEC104_OK;
}

static Iec104Error
encode_param_control (Iec104Master *master, Iec104Asdu *asdu, uint8_t cot, uint16_t sn,
                      uint8_t pi)
{
  size_t n;

  return iec104_asdu_encode_params (asdu, IEC104_TI_C_WS_NA_1, master->profile.common_address,
                                    cot, false, sn, pi, NULL, 0, &n);
}

Iec104Error
iec104_master_execute_params (Iec104Master *master, uint16_t sn, uint64_t now_ms)
{
  Iec104Asdu asdu;

  return start_simple (master, IEC104_MASTER_REQUEST_EXECUTE_PARAMS, IEC104_COT_ACTIVATION_CON,
                       encode_param_control (master, &asdu, IEC104_COT_ACTIVATION, sn, 0),
                       &asdu, now_ms);
}

Iec104Error
iec104_master_cancel_params (Iec104Master *master, uint16_t sn, uint64_t now_ms)
{
  Iec104Asdu asdu;

  return start_simple (master, IEC104_MASTER_REQUEST_CANCEL_PARAMS,
                       IEC104_COT_DEACTIVATION_CON,
                       encode_param_control (master, &asdu, IEC104_COT_DEACTIVATION, sn,
                                             IEC104_PI_CR),
                       &asdu, now_ms);
}

/* Encodes a file request into asdu; message is heap memory because of its entry array. */
static Iec104Error
encode_file_request (Iec104Master *master, Iec104Asdu *asdu, Iec104FileOp op, uint8_t cot,
                     const char *name, uint32_t file_id, uint32_t file_size)
{
  Iec104FileMessage *message;
  Iec104Error error;

  if (name == NULL || strlen (name) > IEC104_FILE_NAME_MAX)
    return IEC104_ERROR_INVALID_ARGUMENT;
  message = calloc (1, sizeof *message);
  if (message == NULL)
    return IEC104_ERROR_NO_MEMORY;
  message->op = op;
  message->pkt = master->profile.file_pkt;
  strcpy (message->name, name);
  message->file_id = file_id;
  message->file_size = file_size;
  error = iec104_asdu_encode_file (asdu, master->profile.common_address, cot, message);
  free (message);
  return error;
}

Iec104Error
iec104_master_file_directory (Iec104Master *master, const char *dir_name, uint64_t now_ms)
{
  Iec104Asdu asdu;

  return start_simple (master, IEC104_MASTER_REQUEST_FILE_DIRECTORY, IEC104_COT_REQUEST,
                       encode_file_request (master, &asdu, IEC104_FILE_OP_DIR_CALL,
                                            master->profile.cot_dir_call,
                                            dir_name ? dir_name : master->profile.directory_name,
                                            0, 0),
                       &asdu, now_ms);
}

Iec104Error
iec104_master_file_read (Iec104Master *master, const char *name, uint64_t now_ms)
{
  Iec104Asdu asdu;

  return start_simple (master, IEC104_MASTER_REQUEST_FILE_READ, IEC104_COT_ACTIVATION_CON,
                       encode_file_request (master, &asdu, IEC104_FILE_OP_READ_ACT,
                                            master->profile.cot_read_act, name, 0, 0),
                       &asdu, now_ms);
}

Iec104Error
iec104_master_file_write (Iec104Master *master, const char *name, const uint8_t *data,
                          size_t size, uint64_t now_ms)
{
  Iec104Asdu asdu;
  Iec104Error error;

  if ((data == NULL && size > 0) || size > UINT32_MAX)
    return IEC104_ERROR_INVALID_ARGUMENT;
  error = encode_file_request (master, &asdu, IEC104_FILE_OP_WRITE_ACT,
                               master->profile.cot_write_act,
                               name ? name : master->profile.upgrade_file_name,
                               master->profile.write_file_id, (uint32_t) size);
  if (error)
    return error;
  error = begin_request (master, IEC104_MASTER_REQUEST_FILE_WRITE, IEC104_TI_FILE_210,
                         IEC104_COT_ACTIVATION_CON, now_ms);
  if (error)
    return error;
  master->file_id = master->profile.write_file_id;
  master->file_size = size;
  master->write_data = data;
  return send_request (master, &asdu, now_ms);
}

Iec104Error
iec104_master_switch_area (Iec104Master *master, uint16_t sn, uint64_t now_ms)
{
  Iec104Asdu asdu;

  return start_simple (master, IEC104_MASTER_REQUEST_SWITCH_AREA, IEC104_COT_ACTIVATION_CON,
                       iec104_asdu_encode_switch_area (&asdu, master->profile.common_address,
                                                       IEC104_COT_ACTIVATION, false, sn),
                       &asdu, now_ms);
}

Iec104Error
iec104_master_read_area (Iec104Master *master, uint64_t now_ms)
{
  Iec104Asdu asdu;

  return start_simple (master, IEC104_MASTER_REQUEST_READ_AREA, IEC104_COT_ACTIVATION_CON,
                       iec104_asdu_encode_read_area (&asdu, master->profile.common_address,
                                                     IEC104_COT_ACTIVATION, false, NULL),
                       &asdu, now_ms);
}

static Iec104Error
start_upgrade (Iec104Master *master, Iec104MasterRequest request, uint8_t cot, uint8_t ctype,
               uint64_t now_ms)
{
  Iec104Asdu asdu;

  return start_simple (master, request, cot + 1,
                       iec104_asdu_encode_qualifier (&asdu, IEC104_TI_UPGRADE_211,
                                                     master->profile.common_address, cot, false,
                                                     ctype),
                       &asdu, now_ms);
}

Iec104Error
iec104_master_upgrade_start (Iec104Master *master, uint64_t now_ms)
{
  return start_upgrade (master, IEC104_MASTER_REQUEST_UPGRADE_START, IEC104_COT_ACTIVATION,
                        IEC104_UPGRADE_START, now_ms);
}

Iec104Error
iec104_master_upgrade_finish (Iec104Master *master, uint64_t now_ms)
{
  return start_upgrade (master, IEC104_MASTER_REQUEST_UPGRADE_FINISH, IEC104_COT_ACTIVATION,
                        IEC104_UPGRADE_FINISH, now_ms);
}

Iec104Error
iec104_master_upgrade_cancel (Iec104Master *master, uint64_t now_ms)
{
  return start_upgrade (master, IEC104_MASTER_REQUEST_UPGRADE_CANCEL, IEC104_COT_DEACTIVATION,
                        IEC104_UPGRADE_FINISH, now_ms);
}

void
iec104_master_cancel (Iec104Master *master)
{
  finish_request (master, IEC104_ERROR_CANCELLED, 0);
}
