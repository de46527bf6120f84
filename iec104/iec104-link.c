/* iec104-link.c: the link state machine: data transfer control, sequence numbers, k/w, timers. */
#include "iec104-link.h"

#include <stdlib.h>
#include <string.h>

#include "iec104-queue-private.h"

struct Iec104Link
{
  Iec104LinkParams params;
  Iec104LinkState state;
  Iec104Error close_reason;
  Iec104Reassembler *reassembler;
  Iec104ByteStream output;
  Iec104Queue events;
  Iec104LinkEvent *polled;   /* the event iec104_link_next_event() handed out last */

  uint16_t send_state;       /* V(S): N(S) of the next I-frame we send */
  uint16_t recv_state;       /* V(R): N(S) we expect next */
  uint16_t oldest_unacked;   /* N(S) of our oldest unacknowledged I-frame */
  unsigned unacked;          /* I-frames sent and not yet acknowledged, <= k */
  uint64_t *send_times;      /* ring of k send times, oldest_unacked's at send_times_head */
  unsigned send_times_head;
  uint64_t sent_total;
  uint64_t acked_total;
  uint64_t i_frame_bytes;    /* of every I-frame framed since the link was created */
  bool window_was_full;

  unsigned received_unacked; /* I-frames received since we last sent our N(R) */
  uint16_t acknowledged_recv; /* the N(R) we last sent: frozen while acks are suppressed */
  uint64_t first_unacked_receive_time;
  uint64_t last_receive_time;

  bool stop_con_held;        /* controlled station: STOPDT act received, con waits for the
                              * acknowledgement of our I-frames (STOPPING) */
  bool u_pending;            /* a STARTDT/STOPDT/TESTFR act waits for its con */
  Iec104UFunction u_pending_function;
  uint64_t u_sent_time;
};

void
iec104_link_params_init_default (Iec104LinkParams *params)
{
  Iec104Profile state_grid;

  iec104_profile_init_state_grid (&state_grid);
  iec104_link_params_from_profile (params, &state_grid);
}

void
iec104_link_params_from_profile (Iec104LinkParams *params, const Iec104Profile *profile)
{
  memset (params, 0, sizeof *params);
  params->k = profile->k;
  params->w = profile->w;
  params->t1_ms = profile->t1_ms;
  params->t2_ms = profile->t2_ms;
  params->t3_ms = profile->t3_ms;
  params->ack_when_drained = profile->ack_when_drained;
}

Iec104Link *
iec104_link_new (const Iec104LinkParams *params)
{
  Iec104Link *link;
  Iec104LinkParams defaults;

  if (params == NULL)
    {
      iec104_link_params_init_default (&defaults);
      params = &defaults;
    }
  if (params->k == 0 || params->k >= IEC104_SEQ_MODULO || params->w == 0 || params->w > params->k)
    return NULL;
  link = calloc (1, sizeof *link);
  if (link == NULL)
    return NULL;
  link->params = *params;
  link->state = IEC104_LINK_STATE_CLOSED;
  link->reassembler = iec104_reassembler_new ();
  link->send_times = calloc (params->k, sizeof *link->send_times);
  link->polled = malloc (sizeof *link->polled);
  if (link->reassembler == NULL || link->send_times == NULL || link->polled == NULL)
    {
      iec104_link_free (link);
      return NULL;
    }
  iec104_byte_stream_init (&link->output);
  iec104_queue_init (&link->events, sizeof (Iec104LinkEvent));
  return link;
}

void
iec104_link_free (Iec104Link *link)
{
  if (link == NULL)
    return;
  iec104_reassembler_free (link->reassembler);
  iec104_byte_stream_destroy (&link->output);
  iec104_queue_destroy (&link->events);
  free (link->send_times);
  free (link->polled);
  free (link);
}

Iec104LinkState
iec104_link_get_state (const Iec104Link *link)
{
  return link->state;
}

void
iec104_link_set_suppress_acks (Iec104Link *link, bool suppress_acks)
{
  link->params.suppress_acks = suppress_acks;
}

void
iec104_link_set_ack_when_drained (Iec104Link *link, bool ack_when_drained)
{
  link->params.ack_when_drained = ack_when_drained;
}

static void
push_event (Iec104Link *link, Iec104LinkEventType type, Iec104Error error, const uint8_t *asdu,
            size_t asdu_len)
{
  Iec104LinkEvent event;

  event.type = type;
  event.error = error;
  event.asdu_len = asdu_len;
  if (asdu_len > 0)
    memcpy (event.asdu, asdu, asdu_len);
  if (!iec104_queue_push (&link->events, &event) && type != IEC104_LINK_EVENT_CLOSED)
    iec104_link_close (link, IEC104_ERROR_NO_MEMORY);
}

void
iec104_link_close (Iec104Link *link, Iec104Error reason)
{
  if (link->state == IEC104_LINK_STATE_CLOSED)
    return;
  link->state = IEC104_LINK_STATE_CLOSED;
  link->close_reason = reason;
  push_event (link, IEC104_LINK_EVENT_CLOSED, reason, NULL, 0);
}

void
iec104_link_open (Iec104Link *link, uint64_t now_ms)
{
  link->state = IEC104_LINK_STATE_STOPPED;
  /* Events belong to the connection that raised them: a CLOSED left over from the previous
   * one must not close this one. */
  iec104_queue_clear (&link->events);
  iec104_reassembler_reset (link->reassembler);
  iec104_byte_stream_clear (&link->output);
  link->send_state = 0;
  link->recv_state = 0;
  link->acknowledged_recv = 0;
  link->oldest_unacked = 0;
  link->unacked = 0;
  link->send_times_head = 0;
  link->sent_total = 0;
  link->acked_total = 0;
  link->window_was_full = false;
  link->received_unacked = 0;
  link->last_receive_time = now_ms;
  link->stop_con_held = false;
  link->u_pending = false;
}

void
iec104_link_connection_lost (Iec104Link *link)
{
  iec104_byte_stream_clear (&link->output);
  iec104_link_close (link, IEC104_ERROR_CONNECTION_LOST);
}

/* Appends a frame to the output; running out of memory closes the link. */
static void
emit (Iec104Link *link, const uint8_t *frame, size_t len)
{
  if (!iec104_byte_stream_append (&link->output, frame, len))
    iec104_link_close (link, IEC104_ERROR_NO_MEMORY);
}

static void
send_s_frame (Iec104Link *link)
{
  uint8_t frame[IEC104_APCI_SIZE];

  emit (link, frame, iec104_frame_encode_s (frame, link->recv_state));
  link->received_unacked = 0;
  link->acknowledged_recv = link->recv_state;
}

static void
send_u_frame (Iec104Link *link, Iec104UFunction function, uint64_t now_ms)
{
  uint8_t frame[IEC104_APCI_SIZE];

  emit (link, frame, iec104_frame_encode_u (frame, function));
  if (function == IEC104_U_STARTDT_ACT || function == IEC104_U_STOPDT_ACT
      || function == IEC104_U_TESTFR_ACT)
    {
      link->u_pending = true;
      link->u_pending_function = function;
      link->u_sent_time = now_ms;
    }
}

static void set_active (Iec104Link *link, bool active);

/* Controlled station: STOPDT con, and data transfer stops. */
static void
confirm_stop (Iec104Link *link)
{
  link->stop_con_held = false;
  send_u_frame (link, IEC104_U_STOPDT_CON, 0);
  set_active (link, false);
}

/* Applies a received N(R); false when it acknowledges frames we never sent. */
static bool
acknowledge (Iec104Link *link, uint16_t recv_seq)
{
  unsigned newly_acked = iec104_seq_distance (link->oldest_unacked, recv_seq);

  if (newly_acked > link->unacked)
    return false;
  if (newly_acked == 0)
    return true;
  link->oldest_unacked = recv_seq;
  link->unacked -= newly_acked;
  link->acked_total += newly_acked;
  link->send_times_head = (link->send_times_head + newly_acked) % link->params.k;
  if (link->window_was_full && link->state == IEC104_LINK_STATE_ACTIVE)
    {
      link->window_was_full = false;
      push_event (link, IEC104_LINK_EVENT_WINDOW_OPEN, IEC104_OK, NULL, 0);
    }
  if (link->stop_con_held && link->unacked == 0)
    confirm_stop (link);
  return true;
}

static void
set_active (Iec104Link *link, bool active)
{
  Iec104LinkState new_state = active ? IEC104_LINK_STATE_ACTIVE : IEC104_LINK_STATE_STOPPED;

  if (link->state == new_state)
    return;
  link->state = new_state;
  push_event (link, active ? IEC104_LINK_EVENT_ACTIVE : IEC104_LINK_EVENT_STOPPED, IEC104_OK,
              NULL, 0);
}

static Iec104UFunction
act_of_con (Iec104UFunction con)
{
  switch (con)
    {
    case IEC104_U_STARTDT_CON: return IEC104_U_STARTDT_ACT;
    case IEC104_U_STOPDT_CON: return IEC104_U_STOPDT_ACT;
    default: return IEC104_U_TESTFR_ACT;
    }
}

static void
handle_u_frame (Iec104Link *link, Iec104UFunction function, uint64_t now_ms)
{
  switch (function)
    {
    case IEC104_U_STARTDT_ACT:
      send_u_frame (link, IEC104_U_STARTDT_CON, now_ms);
      set_active (link, true);
      break;
    case IEC104_U_STOPDT_ACT:
      /* As IEC 60870-5-104 ed. 2 asks: no new I-frames after STOPDT act, and the con only once
       * every I-frame we sent is acknowledged (t1 still guards them). */
      if (link->state == IEC104_LINK_STATE_ACTIVE && link->unacked > 0)
        {
          link->state = IEC104_LINK_STATE_STOPPING;
          link->stop_con_held = true;
        }
      else if (!link->stop_con_held)
        confirm_stop (link);
      break;
    case IEC104_U_TESTFR_ACT:
      send_u_frame (link, IEC104_U_TESTFR_CON, now_ms);
      break;
    case IEC104_U_STARTDT_CON:
    case IEC104_U_STOPDT_CON:
    case IEC104_U_TESTFR_CON:
      /* A con without a matching act is harmless: ignore it. */
      if (!link->u_pending || link->u_pending_function != act_of_con (function))
        break;
      link->u_pending = false;
      if (function == IEC104_U_STARTDT_CON)
        set_active (link, true);
      else if (function == IEC104_U_STOPDT_CON)
        set_active (link, false);
      break;
    }
}

static void
handle_frame (Iec104Link *link, const Iec104Frame *frame, uint64_t now_ms)
{
  link->last_receive_time = now_ms;
  switch (frame->format)
    {
    case IEC104_FRAME_I:
      if (frame->send_seq != link->recv_state || !acknowledge (link, frame->recv_seq))
        {
          iec104_link_close (link, IEC104_ERROR_SEQUENCE);
          return;
        }
      link->recv_state = iec104_seq_add (link->recv_state, 1);
      if (link->received_unacked++ == 0)
        link->first_unacked_receive_time = now_ms;
      push_event (link, IEC104_LINK_EVENT_ASDU, IEC104_OK, frame->asdu, frame->asdu_len);
      if (link->received_unacked >= link->params.w && !link->params.suppress_acks)
        send_s_frame (link);
      break;
    case IEC104_FRAME_S:
      if (!acknowledge (link, frame->recv_seq))
        iec104_link_close (link, IEC104_ERROR_SEQUENCE);
      break;
    case IEC104_FRAME_U:
      handle_u_frame (link, frame->u_function, now_ms);
      break;
    }
}

Iec104Error
iec104_link_feed (Iec104Link *link, const uint8_t *data, size_t len, uint64_t now_ms)
{
  size_t offset = 0;

  if (link->state == IEC104_LINK_STATE_CLOSED)
    return IEC104_ERROR_NOT_ACTIVE;
  /* now_ms is when the caller got round to reading, not when these bytes arrived: they were
   * already there, so they count first, and only then may t1 and t3 expire (a caller stalled
   * longer than t1 must not close a link whose peer answered in time). */
  while (offset < len && link->state != IEC104_LINK_STATE_CLOSED)
    {
      size_t consumed;
      bool frame_ready;
      Iec104Frame frame;
      Iec104Error error = iec104_reassembler_push (link->reassembler, data + offset,
                                                   len - offset, &consumed, &frame_ready,
                                                   &frame);

      offset += consumed;
      if (error)
        {
          iec104_link_close (link, error);
          return error;
        }
      if (frame_ready)
        handle_frame (link, &frame, now_ms);
    }
  iec104_link_tick (link, now_ms);
  return link->state == IEC104_LINK_STATE_CLOSED ? link->close_reason : IEC104_OK;
}

void
iec104_link_input_drained (Iec104Link *link)
{
  /* While stopping, acknowledge at once whatever the policy: the peer holds its STOPDT con until
   * its I-frames are acknowledged, which would otherwise take until w frames or t2. */
  bool stopping = link->state == IEC104_LINK_STATE_STOPPING;

  if ((link->params.ack_when_drained || stopping) && !link->params.suppress_acks
      && link->received_unacked > 0 && link->state != IEC104_LINK_STATE_CLOSED)
    send_s_frame (link);
}

uint64_t
iec104_link_next_deadline (const Iec104Link *link)
{
  uint64_t deadline = IEC104_NO_DEADLINE;
  uint64_t candidate;

  if (link->state == IEC104_LINK_STATE_CLOSED)
    return IEC104_NO_DEADLINE;
  if (link->unacked > 0)
    {
      candidate = link->send_times[link->send_times_head] + link->params.t1_ms;
      deadline = candidate < deadline ? candidate : deadline;
    }
  if (link->u_pending)
    {
      candidate = link->u_sent_time + link->params.t1_ms;
      deadline = candidate < deadline ? candidate : deadline;
    }
  else
    {
      candidate = link->last_receive_time + link->params.t3_ms;
      deadline = candidate < deadline ? candidate : deadline;
    }
  if (link->received_unacked > 0 && !link->params.suppress_acks)
    {
      candidate = link->first_unacked_receive_time + link->params.t2_ms;
      deadline = candidate < deadline ? candidate : deadline;
    }
  return deadline;
}

void
iec104_link_tick (Iec104Link *link, uint64_t now_ms)
{
  if (link->state == IEC104_LINK_STATE_CLOSED)
    return;
  if ((link->unacked > 0
       && now_ms >= link->send_times[link->send_times_head] + link->params.t1_ms)
      || (link->u_pending && now_ms >= link->u_sent_time + link->params.t1_ms))
    {
      iec104_link_close (link, IEC104_ERROR_T1_TIMEOUT);
      return;
    }
  if (link->received_unacked > 0 && !link->params.suppress_acks
      && now_ms >= link->first_unacked_receive_time + link->params.t2_ms)
    send_s_frame (link);
  if (!link->u_pending && now_ms >= link->last_receive_time + link->params.t3_ms)
    send_u_frame (link, IEC104_U_TESTFR_ACT, now_ms);
}

size_t
iec104_link_output (const Iec104Link *link, const uint8_t **data)
{
  return iec104_byte_stream_peek (&link->output, data);
}

void
iec104_link_consume_output (Iec104Link *link, size_t n)
{
  iec104_byte_stream_consume (&link->output, n);
}

Iec104Error
iec104_link_start_dt (Iec104Link *link, uint64_t now_ms)
{
  if (link->state == IEC104_LINK_STATE_CLOSED)
    return IEC104_ERROR_NOT_ACTIVE;
  if (link->state != IEC104_LINK_STATE_STOPPED)
    return IEC104_ERROR_INVALID_ARGUMENT;
  link->state = IEC104_LINK_STATE_STARTING;
  send_u_frame (link, IEC104_U_STARTDT_ACT, now_ms);
  return IEC104_OK;
}

Iec104Error
iec104_link_stop_dt (Iec104Link *link, uint64_t now_ms)
{
  if (link->state != IEC104_LINK_STATE_ACTIVE)
    return IEC104_ERROR_NOT_ACTIVE;
  if (link->received_unacked > 0 && !link->params.suppress_acks)
    send_s_frame (link);
  link->state = IEC104_LINK_STATE_STOPPING;
  send_u_frame (link, IEC104_U_STOPDT_ACT, now_ms);
  return IEC104_OK;
}

bool
iec104_link_can_send (const Iec104Link *link)
{
  return link->state == IEC104_LINK_STATE_ACTIVE && link->unacked < link->params.k;
}

unsigned
iec104_link_get_unacked (const Iec104Link *link)
{
  return link->unacked;
}

uint64_t
iec104_link_get_sent_total (const Iec104Link *link)
{
  return link->sent_total;
}

uint64_t
iec104_link_get_acked_total (const Iec104Link *link)
{
  return link->acked_total;
}

uint64_t
iec104_link_get_i_frame_bytes (const Iec104Link *link)
{
  return link->i_frame_bytes;
}

Iec104Error
iec104_link_send_asdu (Iec104Link *link, const uint8_t *asdu, size_t len, uint64_t now_ms)
{
  uint8_t frame[IEC104_APDU_MAX];
  size_t frame_len;

  if (asdu == NULL || len == 0 || len > IEC104_ASDU_MAX)
    return IEC104_ERROR_INVALID_ARGUMENT;
  if (link->state != IEC104_LINK_STATE_ACTIVE)
    return IEC104_ERROR_NOT_ACTIVE;
  if (link->unacked >= link->params.k)
    {
      link->window_was_full = true;
      return IEC104_ERROR_WINDOW_FULL;
    }
  /* With acks suppressed, our I-frames repeat the last N(R) instead of acknowledging more. */
  if (!link->params.suppress_acks)
    {
      link->acknowledged_recv = link->recv_state;
      link->received_unacked = 0;
    }
  frame_len = iec104_frame_encode_i (frame, link->send_state, link->acknowledged_recv, asdu, len);
  emit (link, frame, frame_len);
  if (link->state == IEC104_LINK_STATE_CLOSED)
    return IEC104_ERROR_NO_MEMORY;
  link->send_times[(link->send_times_head + link->unacked) % link->params.k] = now_ms;
  link->send_state = iec104_seq_add (link->send_state, 1);
  link->unacked++;
  link->sent_total++;
  link->i_frame_bytes += frame_len;
  if (link->unacked == link->params.k)
    link->window_was_full = true;
  return IEC104_OK;
}

bool
iec104_link_poll_event (Iec104Link *link, Iec104LinkEvent *event)
{
  return iec104_queue_pop (&link->events, event);
}

const Iec104LinkEvent *
iec104_link_next_event (Iec104Link *link)
{
  return iec104_queue_pop (&link->events, link->polled) ? link->polled : NULL;
}
