/* test-iec104-link.c: link state machine: start/stop, windows, sequence wrap, t1-t3, bad input. */
#include <glib.h>
#include <string.h>

#include "iec104.h"

static const guint8 test_asdu[] = { 0x64, 0x01, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x14 };

/* Moves everything `from` wants to send into `to`; returns the bytes moved. */
static gsize
shuttle (Iec104Link *from, Iec104Link *to, guint64 now)
{
  const guint8 *data;
  gsize len = iec104_link_output (from, &data);

  if (len > 0)
    {
      iec104_link_feed (to, data, len, now);
      iec104_link_consume_output (from, len);
    }
  return len;
}

/* Takes `link`'s output into a byte array (and consumes it). */
static GByteArray *
take_output (Iec104Link *link)
{
  const guint8 *data;
  gsize len = iec104_link_output (link, &data);
  GByteArray *bytes = g_byte_array_new ();

  g_byte_array_append (bytes, data, (guint) len);
  iec104_link_consume_output (link, len);
  return bytes;
}

static gsize
count_events (Iec104Link *link, Iec104LinkEventType type, Iec104Error *last_error)
{
  Iec104LinkEvent event;
  gsize n = 0;

  while (iec104_link_poll_event (link, &event))
    if (event.type == type)
      {
        n++;
        if (last_error)
          *last_error = event.error;
      }
  return n;
}

typedef struct
{
  Iec104Link *master;
  Iec104Link *outstation;
  guint64 now;
} Pair;

static void
pair_start (Pair *pair, const Iec104LinkParams *params)
{
  pair->now = 1000;
  pair->master = iec104_link_new (params);
  pair->outstation = iec104_link_new (params);
  g_assert_nonnull (pair->master);
  g_assert_nonnull (pair->outstation);
  iec104_link_open (pair->master, pair->now);
  iec104_link_open (pair->outstation, pair->now);
  g_assert_cmpint (iec104_link_send_asdu (pair->master, test_asdu, sizeof test_asdu, pair->now),
                   ==, IEC104_ERROR_NOT_ACTIVE);
  g_assert_cmpint (iec104_link_start_dt (pair->master, pair->now), ==, IEC104_OK);
  g_assert_cmpint (iec104_link_get_state (pair->master), ==, IEC104_LINK_STATE_STARTING);
  shuttle (pair->master, pair->outstation, pair->now);
  shuttle (pair->outstation, pair->master, pair->now);
  g_assert_cmpint (iec104_link_get_state (pair->master), ==, IEC104_LINK_STATE_ACTIVE);
  g_assert_cmpint (iec104_link_get_state (pair->outstation), ==, IEC104_LINK_STATE_ACTIVE);
  g_assert_cmpuint (count_events (pair->master, IEC104_LINK_EVENT_ACTIVE, NULL), ==, 1);
  g_assert_cmpuint (count_events (pair->outstation, IEC104_LINK_EVENT_ACTIVE, NULL), ==, 1);
}

static void
pair_free (Pair *pair)
{
  iec104_link_free (pair->master);
  iec104_link_free (pair->outstation);
}

static void
test_start_stop (void)
{
  Pair pair;
  g_autoptr (GByteArray) out = NULL;

  pair_start (&pair, NULL);
  /* One unacknowledged I-frame from the outstation: STOPDT act is preceded by an S-frame. */
  g_assert_cmpint (iec104_link_send_asdu (pair.outstation, test_asdu, sizeof test_asdu, pair.now),
                   ==, IEC104_OK);
  shuttle (pair.outstation, pair.master, pair.now);
  g_assert_cmpuint (count_events (pair.master, IEC104_LINK_EVENT_ASDU, NULL), ==, 1);
  g_assert_cmpint (iec104_link_stop_dt (pair.master, pair.now), ==, IEC104_OK);
  out = take_output (pair.master);
  g_assert_cmpmem (out->data, out->len, "\x68\x04\x01\x00\x02\x00\x68\x04\x13\x00\x00\x00", 12);
  iec104_link_feed (pair.outstation, out->data, out->len, pair.now);
  shuttle (pair.outstation, pair.master, pair.now);
  g_assert_cmpint (iec104_link_get_state (pair.master), ==, IEC104_LINK_STATE_STOPPED);
  g_assert_cmpuint (count_events (pair.master, IEC104_LINK_EVENT_STOPPED, NULL), ==, 1);
  g_assert_cmpuint (count_events (pair.outstation, IEC104_LINK_EVENT_STOPPED, NULL), ==, 1);
  g_assert_cmpuint (iec104_link_get_unacked (pair.outstation), ==, 0);
  pair_free (&pair);
}

/* IEC 60870-5-104 ed. 2: I-frames the outstation sent as the master's STOPDT act was on its way.
 * The outstation holds its STOPDT con until they are acknowledged, and the master, stopping,
 * acknowledges them at once instead of after w frames or t2. */
static void
test_stop_with_frames_in_flight (void)
{
  Pair pair;
  g_autoptr (GByteArray) stop_act = NULL;
  g_autoptr (GByteArray) crossing = NULL;
  g_autoptr (GByteArray) master_answer = NULL;
  g_autoptr (GByteArray) con = NULL;

  pair_start (&pair, NULL);
  g_assert_cmpint (iec104_link_stop_dt (pair.master, pair.now), ==, IEC104_OK);
  stop_act = take_output (pair.master);
  g_assert_cmpmem (stop_act->data, stop_act->len, "\x68\x04\x13\x00\x00\x00", 6);
  for (int i = 0; i < 2; i++)
    g_assert_cmpint (iec104_link_send_asdu (pair.outstation, test_asdu, sizeof test_asdu,
                                            pair.now), ==, IEC104_OK);
  crossing = take_output (pair.outstation);

  /* The outstation gets STOPDT act with two frames unacknowledged: no con yet, no more I-frames,
   * and the frames are still guarded by t1. */
  iec104_link_feed (pair.outstation, stop_act->data, stop_act->len, pair.now + 5);
  g_assert_cmpuint (iec104_link_output (pair.outstation, &(const guint8 *) { NULL }), ==, 0);
  g_assert_cmpint (iec104_link_get_state (pair.outstation), ==, IEC104_LINK_STATE_STOPPING);
  g_assert_false (iec104_link_can_send (pair.outstation));
  g_assert_cmpint (iec104_link_send_asdu (pair.outstation, test_asdu, sizeof test_asdu,
                                          pair.now + 5), ==, IEC104_ERROR_NOT_ACTIVE);
  g_assert_cmpuint (count_events (pair.outstation, IEC104_LINK_EVENT_STOPPED, NULL), ==, 0);

  /* The master, stopping, acknowledges both at once: one S-frame N(R) 2. */
  iec104_link_feed (pair.master, crossing->data, crossing->len, pair.now + 10);
  iec104_link_input_drained (pair.master);
  master_answer = take_output (pair.master);
  g_assert_cmpmem (master_answer->data, master_answer->len, "\x68\x04\x01\x00\x04\x00", 6);
  g_assert_cmpuint (count_events (pair.master, IEC104_LINK_EVENT_ASDU, NULL), ==, 2);

  /* Acknowledged: now the con, and both ends stop. */
  iec104_link_feed (pair.outstation, master_answer->data, master_answer->len, pair.now + 15);
  con = take_output (pair.outstation);
  g_assert_cmpmem (con->data, con->len, "\x68\x04\x23\x00\x00\x00", 6);
  g_assert_cmpint (iec104_link_get_state (pair.outstation), ==, IEC104_LINK_STATE_STOPPED);
  g_assert_cmpuint (count_events (pair.outstation, IEC104_LINK_EVENT_STOPPED, NULL), ==, 1);
  iec104_link_feed (pair.master, con->data, con->len, pair.now + 20);
  g_assert_cmpint (iec104_link_get_state (pair.master), ==, IEC104_LINK_STATE_STOPPED);
  g_assert_cmpuint (count_events (pair.master, IEC104_LINK_EVENT_STOPPED, NULL), ==, 1);
  pair_free (&pair);
}

static void
test_window_k_and_w (void)
{
  Iec104LinkParams params;
  Pair pair;
  Iec104LinkEvent event;
  gsize asdus = 0;

  iec104_link_params_init_default (&params);
  params.k = 4;
  params.w = 3;
  pair_start (&pair, &params);
  for (int i = 0; i < 4; i++)
    g_assert_cmpint (iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now),
                     ==, IEC104_OK);
  g_assert_false (iec104_link_can_send (pair.master));
  g_assert_cmpint (iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now), ==,
                   IEC104_ERROR_WINDOW_FULL);
  shuttle (pair.master, pair.outstation, pair.now);
  while (iec104_link_poll_event (pair.outstation, &event))
    {
      g_assert_cmpint (event.type, ==, IEC104_LINK_EVENT_ASDU);
      g_assert_cmpmem (event.asdu, event.asdu_len, test_asdu, sizeof test_asdu);
      asdus++;
    }
  g_assert_cmpuint (asdus, ==, 4);
  /* After w = 3 frames the outstation acknowledged at once; the 4th waits for t2. */
  {
    g_autoptr (GByteArray) out = take_output (pair.outstation);
    g_assert_cmpmem (out->data, out->len, "\x68\x04\x01\x00\x06\x00", 6);
    iec104_link_feed (pair.master, out->data, out->len, pair.now);
  }
  g_assert_cmpuint (iec104_link_get_unacked (pair.master), ==, 1);
  g_assert_cmpuint (iec104_link_get_acked_total (pair.master), ==, 3);
  g_assert_cmpuint (count_events (pair.master, IEC104_LINK_EVENT_WINDOW_OPEN, NULL), ==, 1);
  g_assert_true (iec104_link_can_send (pair.master));
  pair_free (&pair);
}

/* ack_when_drained: two frames fed in one batch are acknowledged at the end of the batch (w 8
 * alone would wait for t2); without the policy nothing is sent. */
static void
test_ack_when_drained (void)
{
  Iec104LinkParams params;
  Pair pair;
  const guint8 *data;

  iec104_link_params_init_default (&params);
  pair_start (&pair, &params);
  iec104_link_set_ack_when_drained (pair.outstation, true);
  for (int i = 0; i < 2; i++)
    g_assert_cmpint (iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now),
                     ==, IEC104_OK);
  shuttle (pair.master, pair.outstation, pair.now);
  g_assert_cmpuint (iec104_link_output (pair.outstation, &data), ==, 0);
  iec104_link_input_drained (pair.outstation);
  {
    g_autoptr (GByteArray) out = take_output (pair.outstation);
    g_assert_cmpmem (out->data, out->len, "\x68\x04\x01\x00\x04\x00", 6);
    iec104_link_feed (pair.master, out->data, out->len, pair.now);
  }
  g_assert_cmpuint (iec104_link_get_unacked (pair.master), ==, 0);
  /* Nothing new received: no second S-frame. */
  iec104_link_input_drained (pair.outstation);
  g_assert_cmpuint (iec104_link_output (pair.outstation, &data), ==, 0);

  /* The default policy leaves the ack to w and t2. */
  iec104_link_set_ack_when_drained (pair.outstation, false);
  g_assert_cmpint (iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now), ==,
                   IEC104_OK);
  shuttle (pair.master, pair.outstation, pair.now);
  iec104_link_input_drained (pair.outstation);
  g_assert_cmpuint (iec104_link_output (pair.outstation, &data), ==, 0);
  pair_free (&pair);
}

/* The I-frame byte counter counts the link's user's own frames, APCI and ASDU, and nothing of the
 * link's upkeep: not STARTDT, not the S-frames of w, t2 or ack_when_drained, not TESTFR act or con.
 * It runs over connections: a new one does not reset it. */
static void
test_i_frame_bytes (void)
{
  const guint64 frame_bytes = IEC104_APCI_SIZE + sizeof test_asdu;
  Pair pair;

  pair_start (&pair, NULL);
  g_assert_cmpuint (iec104_link_get_i_frame_bytes (pair.master), ==, 0);
  g_assert_cmpuint (iec104_link_get_i_frame_bytes (pair.outstation), ==, 0);
  iec104_link_set_ack_when_drained (pair.master, true);
  for (int i = 0; i < 2; i++)
    g_assert_cmpint (iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now),
                     ==, IEC104_OK);
  g_assert_cmpuint (iec104_link_get_i_frame_bytes (pair.master), ==, 2 * frame_bytes);

  /* The outstation's S-frame at t2, then three answers, each acknowledged by the master at once
   * with an S-frame of its own, and a TESTFR exchange at t3 that each side starts. */
  shuttle (pair.master, pair.outstation, pair.now);
  pair.now += 10000;
  iec104_link_tick (pair.outstation, pair.now);
  g_assert_cmpuint (shuttle (pair.outstation, pair.master, pair.now), ==, IEC104_APCI_SIZE);
  for (int i = 0; i < 3; i++)
    {
      g_assert_cmpint (iec104_link_send_asdu (pair.outstation, test_asdu, sizeof test_asdu,
                                              pair.now), ==, IEC104_OK);
      shuttle (pair.outstation, pair.master, pair.now);
      iec104_link_input_drained (pair.master);
      g_assert_cmpuint (shuttle (pair.master, pair.outstation, pair.now), ==, IEC104_APCI_SIZE);
    }
  pair.now += 30000;
  iec104_link_tick (pair.master, pair.now);
  iec104_link_tick (pair.outstation, pair.now);
  g_assert_cmpuint (shuttle (pair.master, pair.outstation, pair.now), >, 0);
  g_assert_cmpuint (shuttle (pair.outstation, pair.master, pair.now), >, 0);
  g_assert_cmpuint (shuttle (pair.master, pair.outstation, pair.now), >, 0);
  g_assert_cmpint (iec104_link_get_state (pair.master), ==, IEC104_LINK_STATE_ACTIVE);
  g_assert_cmpuint (iec104_link_get_i_frame_bytes (pair.master), ==, 2 * frame_bytes);
  g_assert_cmpuint (iec104_link_get_i_frame_bytes (pair.outstation), ==, 3 * frame_bytes);

  /* A new connection: STARTDT again, one more I-frame, added to the count. */
  iec104_link_connection_lost (pair.master);
  iec104_link_open (pair.master, pair.now);
  g_assert_cmpint (iec104_link_start_dt (pair.master, pair.now), ==, IEC104_OK);
  iec104_link_connection_lost (pair.outstation);
  iec104_link_open (pair.outstation, pair.now);
  shuttle (pair.master, pair.outstation, pair.now);
  shuttle (pair.outstation, pair.master, pair.now);
  g_assert_cmpint (iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now), ==,
                   IEC104_OK);
  g_assert_cmpuint (iec104_link_get_i_frame_bytes (pair.master), ==, 3 * frame_bytes);
  pair_free (&pair);
}

static void
test_t2_sends_s_frame (void)
{
  Pair pair;
  g_autoptr (GByteArray) out = NULL;

  pair_start (&pair, NULL);
  iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now);
  shuttle (pair.master, pair.outstation, pair.now);
  g_assert_cmpuint (iec104_link_next_deadline (pair.outstation), ==, pair.now + 10000);
  iec104_link_tick (pair.outstation, pair.now + 9999);
  g_assert_cmpuint (iec104_link_output (pair.outstation, &(const guint8 *) { NULL }), ==, 0);
  iec104_link_tick (pair.outstation, pair.now + 10000);
  out = take_output (pair.outstation);
  g_assert_cmpmem (out->data, out->len, "\x68\x04\x01\x00\x02\x00", 6);
  iec104_link_feed (pair.master, out->data, out->len, pair.now + 10000);
  g_assert_cmpuint (iec104_link_get_unacked (pair.master), ==, 0);
  g_assert_cmpint (iec104_link_get_state (pair.master), ==, IEC104_LINK_STATE_ACTIVE);
  pair_free (&pair);
}

static void
test_t1_expiry_closes (void)
{
  Pair pair;
  Iec104Error reason = IEC104_OK;

  pair_start (&pair, NULL);
  /* The fault the simulator injects: an outstation that never sends S-frames. */
  iec104_link_set_suppress_acks (pair.outstation, true);
  iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now);
  shuttle (pair.master, pair.outstation, pair.now);
  /* Its own I-frames do not acknowledge either: N(R) stays 0. */
  iec104_link_send_asdu (pair.outstation, test_asdu, sizeof test_asdu, pair.now);
  {
    g_autoptr (GByteArray) out = take_output (pair.outstation);
    g_assert_cmpmem (out->data, 6, "\x68\x0E\x00\x00\x00\x00", 6);
    iec104_link_feed (pair.master, out->data, out->len, pair.now);
  }
  g_assert_cmpuint (iec104_link_get_unacked (pair.master), ==, 1);
  g_assert_cmpuint (iec104_link_next_deadline (pair.master), ==, pair.now + 10000); /* its t2 */
  iec104_link_tick (pair.master, pair.now + 10000);
  shuttle (pair.master, pair.outstation, pair.now + 10000);
  g_assert_cmpuint (iec104_link_next_deadline (pair.master), ==, pair.now + 15000);
  iec104_link_tick (pair.outstation, pair.now + 14999);
  g_assert_cmpuint (shuttle (pair.outstation, pair.master, pair.now + 14999), ==, 0);
  iec104_link_tick (pair.master, pair.now + 14999);
  g_assert_cmpint (iec104_link_get_state (pair.master), ==, IEC104_LINK_STATE_ACTIVE);
  iec104_link_tick (pair.master, pair.now + 15000);
  g_assert_cmpint (iec104_link_get_state (pair.master), ==, IEC104_LINK_STATE_CLOSED);
  g_assert_cmpuint (count_events (pair.master, IEC104_LINK_EVENT_CLOSED, &reason), ==, 1);
  g_assert_cmpint (reason, ==, IEC104_ERROR_T1_TIMEOUT);
  g_assert_cmpuint (iec104_link_next_deadline (pair.master), ==, IEC104_NO_DEADLINE);
  pair_free (&pair);
}

static void
test_startdt_unanswered (void)
{
  Iec104Link *master = iec104_link_new (NULL);
  Iec104Error reason = IEC104_OK;

  iec104_link_open (master, 0);
  iec104_link_start_dt (master, 0);
  g_assert_cmpuint (iec104_link_next_deadline (master), ==, 15000);
  iec104_link_tick (master, 15000);
  g_assert_cmpuint (count_events (master, IEC104_LINK_EVENT_CLOSED, &reason), ==, 1);
  g_assert_cmpint (reason, ==, IEC104_ERROR_T1_TIMEOUT);
  iec104_link_free (master);
}

static void
test_t3_sends_testfr (void)
{
  Pair pair;
  g_autoptr (GByteArray) out = NULL;

  pair_start (&pair, NULL);
  g_assert_cmpuint (iec104_link_next_deadline (pair.master), ==, pair.now + 20000);
  iec104_link_tick (pair.master, pair.now + 20000);
  out = take_output (pair.master);
  g_assert_cmpmem (out->data, out->len, "\x68\x04\x43\x00\x00\x00", 6);
  iec104_link_feed (pair.outstation, out->data, out->len, pair.now + 20000);
  {
    /* The outstation was idle for t3 too, but the master's TESTFR act is a frame received: it
     * answers with the con and needs no test frame of its own. */
    g_autoptr (GByteArray) con = take_output (pair.outstation);
    g_assert_cmpmem (con->data, con->len, "\x68\x04\x83\x00\x00\x00", 6);
    iec104_link_feed (pair.master, con->data, con->len, pair.now + 20001);
  }
  /* Answered: the next test frame is due t3 after the con. */
  g_assert_cmpuint (iec104_link_next_deadline (pair.master), ==, pair.now + 40001);
  /* Unanswered: t1 after the next TESTFR act the link closes. */
  iec104_link_tick (pair.master, pair.now + 40001);
  g_assert_cmpuint (iec104_link_next_deadline (pair.master), ==, pair.now + 55001);
  iec104_link_tick (pair.master, pair.now + 55001);
  g_assert_cmpint (iec104_link_get_state (pair.master), ==, IEC104_LINK_STATE_CLOSED);
  pair_free (&pair);
}

/* Closes unless frames fed after a stall longer than t1 answer in time: the bytes fed were
 * received before the call, so they count before the timers run. */
static void
assert_open_after_late_feed (Iec104Link *link, const GByteArray *answer, guint64 now)
{
  g_assert_cmpint (iec104_link_feed (link, answer->data, answer->len, now), ==, IEC104_OK);
  g_assert_cmpint (iec104_link_get_state (link), ==, IEC104_LINK_STATE_ACTIVE);
  g_assert_cmpuint (count_events (link, IEC104_LINK_EVENT_CLOSED, NULL), ==, 0);
  g_assert_cmpuint (iec104_link_get_unacked (link), ==, 0);
}

static void
test_late_feed_of_timely_answers (void)
{
  Iec104Link *master = iec104_link_new (NULL);
  Iec104Link *outstation = iec104_link_new (NULL);
  Pair pair;
  g_autoptr (GByteArray) start_act = NULL;
  g_autoptr (GByteArray) start_con = NULL;
  g_autoptr (GByteArray) s_frame = NULL;
  g_autoptr (GByteArray) partial_ack = NULL;
  g_autoptr (GByteArray) test_act = NULL;
  g_autoptr (GByteArray) test_con = NULL;
  Iec104Error reason = IEC104_OK;

  /* STARTDT con answered at once, read 16 s later (t1 15 s). */
  iec104_link_open (master, 0);
  iec104_link_open (outstation, 0);
  iec104_link_start_dt (master, 0);
  start_act = take_output (master);
  iec104_link_feed (outstation, start_act->data, start_act->len, 10);
  start_con = take_output (outstation);
  assert_open_after_late_feed (master, start_con, 16000);
  iec104_link_free (master);
  iec104_link_free (outstation);

  /* Three I-frames acknowledged by the outstation's t2 S-frame, read 6 s after their t1. */
  pair_start (&pair, NULL);
  for (int i = 0; i < 3; i++)
    iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now);
  shuttle (pair.master, pair.outstation, pair.now);
  iec104_link_tick (pair.outstation, pair.now + 10000);
  s_frame = take_output (pair.outstation);
  g_assert_cmpmem (s_frame->data, s_frame->len, "\x68\x04\x01\x00\x06\x00", 6);
  assert_open_after_late_feed (pair.master, s_frame, pair.now + 21000);

  /* The TESTFR act after t3 of silence, its con read 16 s later. */
  g_assert_cmpuint (iec104_link_next_deadline (pair.master), ==, pair.now + 41000);
  iec104_link_tick (pair.master, pair.now + 41000);
  test_act = take_output (pair.master);
  g_assert_cmpmem (test_act->data, test_act->len, "\x68\x04\x43\x00\x00\x00", 6);
  iec104_link_feed (pair.outstation, test_act->data, test_act->len, pair.now + 41010);
  test_con = take_output (pair.outstation);
  assert_open_after_late_feed (pair.master, test_con, pair.now + 57000);

  /* What the late bytes leave unacknowledged still runs out of t1: of two I-frames, N(R) 4
   * acknowledges only the first, read at their t1. */
  for (int i = 0; i < 2; i++)
    iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now + 60000);
  partial_ack = g_byte_array_new ();
  g_byte_array_append (partial_ack, (const guint8 *) "\x68\x04\x01\x00\x08\x00", 6);
  g_assert_cmpint (iec104_link_feed (pair.master, partial_ack->data, partial_ack->len,
                                     pair.now + 75000), ==, IEC104_ERROR_T1_TIMEOUT);
  g_assert_cmpuint (iec104_link_get_unacked (pair.master), ==, 1);
  g_assert_cmpuint (count_events (pair.master, IEC104_LINK_EVENT_CLOSED, &reason), ==, 1);
  g_assert_cmpint (reason, ==, IEC104_ERROR_T1_TIMEOUT);
  pair_free (&pair);
}

static void
test_sequence_wraps (void)
{
  Pair pair;
  Iec104LinkEvent event;

  pair_start (&pair, NULL);
  /* 70000 frames each way: N(S) and N(R) wrap twice. */
  for (int i = 0; i < 70000; i++)
    {
      g_assert_cmpint (iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now),
                       ==, IEC104_OK);
      g_assert_cmpint (iec104_link_send_asdu (pair.outstation, test_asdu, sizeof test_asdu,
                                              pair.now), ==, IEC104_OK);
      shuttle (pair.master, pair.outstation, pair.now);
      shuttle (pair.outstation, pair.master, pair.now);
      while (iec104_link_poll_event (pair.master, &event))
        g_assert_cmpint (event.type, ==, IEC104_LINK_EVENT_ASDU);
      while (iec104_link_poll_event (pair.outstation, &event))
        g_assert_cmpint (event.type, ==, IEC104_LINK_EVENT_ASDU);
    }
  g_assert_cmpint (iec104_link_get_state (pair.master), ==, IEC104_LINK_STATE_ACTIVE);
  g_assert_cmpint (iec104_link_get_state (pair.outstation), ==, IEC104_LINK_STATE_ACTIVE);
  g_assert_cmpuint (iec104_link_get_sent_total (pair.master), ==, 70000);
  g_assert_cmpuint (iec104_link_get_unacked (pair.master), <=, 1);
  pair_free (&pair);
}

static void
assert_closes_with (const char *bytes, gsize len, Iec104Error expected)
{
  Pair pair;
  Iec104Error reason = IEC104_OK;

  pair_start (&pair, NULL);
  g_assert_cmpint (iec104_link_feed (pair.outstation, (const guint8 *) bytes, len, pair.now), ==,
                   expected);
  g_assert_cmpint (iec104_link_get_state (pair.outstation), ==, IEC104_LINK_STATE_CLOSED);
  g_assert_cmpuint (count_events (pair.outstation, IEC104_LINK_EVENT_CLOSED, &reason), ==, 1);
  g_assert_cmpint (reason, ==, expected);
  /* Later bytes are ignored. */
  g_assert_cmpint (iec104_link_feed (pair.outstation, (const guint8 *) bytes, len, pair.now), ==,
                   IEC104_ERROR_NOT_ACTIVE);
  pair_free (&pair);
}

static void
test_bad_input_closes (void)
{
  /* N(S) 1 where 0 is expected. */
  assert_closes_with ("\x68\x0E\x02\x00\x00\x00\x64\x01\x06\x00\x01\x00\x00\x00\x00\x14", 16,
                      IEC104_ERROR_SEQUENCE);
  /* An S-frame acknowledging a frame never sent. */
  assert_closes_with ("\x68\x04\x01\x00\x02\x00", 6, IEC104_ERROR_SEQUENCE);
  assert_closes_with ("\x16\x04\x07\x00\x00\x00", 6, IEC104_ERROR_BAD_START_BYTE);
  assert_closes_with ("\x68\x02\x07\x00", 4, IEC104_ERROR_BAD_LENGTH);
  assert_closes_with ("\x68\x04\x33\x00\x00\x00", 6, IEC104_ERROR_BAD_CONTROL_FIELD);
}

static void
test_connection_lost (void)
{
  Pair pair;
  Iec104Error reason = IEC104_OK;

  pair_start (&pair, NULL);
  iec104_link_send_asdu (pair.master, test_asdu, sizeof test_asdu, pair.now);
  iec104_link_connection_lost (pair.master);
  g_assert_cmpuint (iec104_link_output (pair.master, &(const guint8 *) { NULL }), ==, 0);
  g_assert_cmpuint (count_events (pair.master, IEC104_LINK_EVENT_CLOSED, &reason), ==, 1);
  g_assert_cmpint (reason, ==, IEC104_ERROR_CONNECTION_LOST);
  /* A new connection starts from sequence number 0 again, without the old one's events. */
  iec104_link_connection_lost (pair.outstation);
  iec104_link_open (pair.outstation, pair.now);
  g_assert_cmpuint (count_events (pair.outstation, IEC104_LINK_EVENT_CLOSED, NULL), ==, 0);
  iec104_link_open (pair.master, pair.now);
  g_assert_cmpint (iec104_link_get_state (pair.master), ==, IEC104_LINK_STATE_STOPPED);
  g_assert_cmpuint (iec104_link_get_sent_total (pair.master), ==, 0);
  g_assert_null (iec104_link_new (&(Iec104LinkParams) { .k = 0, .w = 1 }));
  pair_free (&pair);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/iec104/link/start-stop", test_start_stop);
  g_test_add_func ("/iec104/link/stop-with-frames-in-flight", test_stop_with_frames_in_flight);
  g_test_add_func ("/iec104/link/window-k-w", test_window_k_and_w);
  g_test_add_func ("/iec104/link/t2-sends-s", test_t2_sends_s_frame);
  g_test_add_func ("/iec104/link/ack-when-drained", test_ack_when_drained);
  g_test_add_func ("/iec104/link/i-frame-bytes", test_i_frame_bytes);
  g_test_add_func ("/iec104/link/t1-expiry-closes", test_t1_expiry_closes);
  g_test_add_func ("/iec104/link/startdt-unanswered", test_startdt_unanswered);
  g_test_add_func ("/iec104/link/t3-sends-testfr", test_t3_sends_testfr);
  g_test_add_func ("/iec104/link/late-feed-of-timely-answers", test_late_feed_of_timely_answers);
  g_test_add_func ("/iec104/link/sequence-wraps", test_sequence_wraps);
  g_test_add_func ("/iec104/link/bad-input-closes", test_bad_input_closes);
  g_test_add_func ("/iec104/link/connection-lost", test_connection_lost);
  return g_test_run ();
}
