/* test-ff-iec104-pump.c: the pump between a TCP connection on 127.0.0.1 and a sans-I/O master or
 * outstation, against a peer this test plays frame by frame: a main loop held up past t1 while the
 * peer answered in time keeps its link; a peer that does not answer still runs out of t1. */
#include "config.h"

#include <string.h>

#include "ff-iec104-pump.h"
#include "ff-test-fixtures.h"
#include "iec104.h"

static const guint8 startdt_act[] = { 0x68, 0x04, 0x07, 0x00, 0x00, 0x00 };
static const guint8 startdt_con[] = { 0x68, 0x04, 0x0B, 0x00, 0x00, 0x00 };

typedef struct
{
  GSocketConnection *connection;   /* the pump's end */
  GSocket           *peer;         /* the test's end: blocking, within a bound */
  Iec104Master      *master;       /* exactly one of the two */
  Iec104Outstation  *outstation;
  FfIec104Pump      *pump;
  guint              t1_ms;
  gboolean           active;       /* STARTDT done (master) or confirmed (outstation) */
  gboolean           acked;        /* the first I-frame sent is acknowledged */
  gboolean           points;       /* the master took spontaneous points */
  gboolean           closed;
  Iec104Error        close_reason;

  /* Another source of the same main loop, ahead of the pump's: once armed, it runs in the same
   * iteration as the master's next timer, sends the peer's answer and holds the loop up. */
  GSource           *staller;
  gboolean           stall_armed;
  GBytes            *stall_answer;
  guint64            stall_until_ms;
} Rig;

typedef struct
{
  GSource  source;
  Rig     *rig;
} StallSource;

static Iec104Link *
rig_link (Rig *rig)
{
  return rig->master != NULL ? iec104_master_get_link (rig->master)
                             : iec104_outstation_get_link (rig->outstation);
}

static void
rig_after_step (gpointer owner)
{
  Rig *rig = owner;
  Iec104MasterEvent master_event;
  Iec104OutstationEvent outstation_event;

  while (rig->master != NULL && iec104_master_poll_event (rig->master, &master_event))
    if (master_event.type == IEC104_MASTER_EVENT_DONE
        && master_event.request == IEC104_MASTER_REQUEST_START_DT)
      rig->active = master_event.error == IEC104_OK;
    else if (master_event.type == IEC104_MASTER_EVENT_POINTS)
      rig->points = TRUE;
    else if (master_event.type == IEC104_MASTER_EVENT_CLOSED)
      {
        rig->closed = TRUE;
        rig->close_reason = master_event.error;
      }
  while (rig->outstation != NULL && iec104_outstation_poll_event (rig->outstation,
                                                                   &outstation_event))
    if (outstation_event.type == IEC104_OUTSTATION_EVENT_ACTIVE)
      rig->active = TRUE;
    else if (outstation_event.type == IEC104_OUTSTATION_EVENT_CLOSED)
      {
        rig->closed = TRUE;
        rig->close_reason = outstation_event.error;
      }
  rig->acked = iec104_link_get_acked_total (rig_link (rig)) > 0;
}

static void
peer_send (Rig          *rig,
           const guint8 *bytes,
           gsize         len)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_socket_send (rig->peer, (const char *) bytes, len, NULL, &error), ==,
                   (gssize) len);
  g_assert_no_error (error);
}

static void
peer_receive (Rig    *rig,
              guint8 *bytes,
              gsize   len)
{
  for (gsize got = 0; got < len;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (rig->peer, (char *) bytes + got, len - got, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      got += (gsize) n;
    }
}

/* Receives one whole APDU; returns its length. */
static gsize
peer_receive_apdu (Rig    *rig,
                   guint8  apdu[IEC104_APDU_MAX])
{
  peer_receive (rig, apdu, 2);
  g_assert_cmpuint (apdu[0], ==, 0x68);
  peer_receive (rig, apdu + 2, apdu[1]);
  return 2 + (gsize) apdu[1];
}

/* The stall under test, not a wait for anything: the main loop is held up past t1 (a long UI
 * frame, a slow or emulated tablet, the simulated terminal sharing the loop) while the peer's
 * answer, sent in time, waits in the socket. */
static void
stall_main_loop_until (guint64 until_ms)
{
  guint64 now_ms = ff_iec104_now_ms ();

  if (until_ms > now_ms)
    g_usleep ((until_ms - now_ms) * (gulong) 1000);
}

static void
stall_main_loop (Rig *rig)
{
  stall_main_loop_until (ff_iec104_now_ms () + rig->t1_ms + rig->t1_ms / 2);
}

static gboolean
staller_check (GSource *source)
{
  Rig *rig = ((StallSource *) source)->rig;

  return rig->stall_armed && ff_iec104_now_ms () >= iec104_master_next_deadline (rig->master);
}

static gboolean
staller_dispatch (GSource     *source,
                  GSourceFunc  callback,
                  gpointer     user_data)
{
  Rig *rig = ((StallSource *) source)->rig;
  gsize len;
  const guint8 *answer = g_bytes_get_data (rig->stall_answer, &len);

  rig->stall_armed = FALSE;
  peer_send (rig, answer, len);
  stall_main_loop_until (rig->stall_until_ms);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs staller_funcs = {
  .check = staller_check,
  .dispatch = staller_dispatch,
};

/* A pump for a master (TRUE) or an outstation on one end of a loopback connection, the test's
 * socket on the other. t1 is 1 s at native speed. A master's pump runs on its own thread when
 * `on_thread`; then `after_step` replaces rig_after_step, which polls without the lock. */
static Rig *
rig_new_full (gboolean             master,
              gboolean             on_thread,
              FfIec104PumpStepFunc after_step)
{
  Rig *rig = g_new0 (Rig, 1);
  Iec104Profile profile;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();

  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                           &error);
  g_assert_no_error (error);
  g_socket_set_timeout (listener, ff_test_deadline_s (10));
  g_assert_true (g_socket_bind (listener, any_port, TRUE, &error));
  g_assert_true (g_socket_listen (listener, &error));
  address = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);
  rig->connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_assert_no_error (error);
  rig->peer = g_socket_accept (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (rig->peer, TRUE);
  g_socket_set_timeout (rig->peer, ff_test_deadline_s (10));

  iec104_profile_init_state_grid (&profile);
  rig->t1_ms = 1000 * ff_test_deadline_s (1);
  profile.t1_ms = rig->t1_ms;
  profile.t2_ms = rig->t1_ms / 2;
  g_assert_cmpint (iec104_profile_validate (&profile), ==, IEC104_OK);
  rig->staller = g_source_new (&staller_funcs, sizeof (StallSource));
  ((StallSource *) rig->staller)->rig = rig;
  g_source_attach (rig->staller, NULL);
  if (master)
    {
      rig->master = iec104_master_new (&profile);
      iec104_master_open (rig->master, ff_iec104_now_ms ());
    }
  else
    {
      rig->outstation = iec104_outstation_new (&profile, &(Iec104OutstationCallbacks) { NULL },
                                               NULL);
      iec104_outstation_open (rig->outstation, ff_iec104_now_ms ());
    }
  if (on_thread)
    rig->pump = ff_iec104_pump_new_on_thread (G_IO_STREAM (rig->connection), rig->master,
                                              after_step, rig);
  else
    rig->pump = ff_iec104_pump_new (G_IO_STREAM (rig->connection), rig->master,
                                    rig->outstation, rig_after_step, rig);
  return rig;
}

static Rig *
rig_new (gboolean master)
{
  return rig_new_full (master, FALSE, NULL);
}

static void
rig_free (Rig *rig)
{
  ff_iec104_pump_close (rig->pump);
  g_clear_object (&rig->pump);
  g_source_destroy (rig->staller);
  g_source_unref (rig->staller);
  g_clear_pointer (&rig->stall_answer, g_bytes_unref);
  g_clear_object (&rig->connection);
  g_clear_object (&rig->peer);
  g_clear_pointer (&rig->master, iec104_master_free);
  g_clear_pointer (&rig->outstation, iec104_outstation_free);
  g_free (rig);
}

/* Iterates the main loop until *flag is set or the link closed, within a bound. */
static void
rig_wait (Rig        *rig,
          gboolean   *flag,
          const char *what)
{
  guint watchdog = ff_test_watchdog_add (10, what);

  while (!*flag && !rig->closed)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
}

/* A tablet: its STARTDT act is confirmed at once, but the loop reads the con only after t1. */
static void
test_master_reads_timely_con_after_stall (void)
{
  Rig *rig = rig_new (TRUE);
  guint8 apdu[IEC104_APDU_MAX];

  g_assert_cmpint (iec104_master_start_dt (rig->master, ff_iec104_now_ms ()), ==, IEC104_OK);
  ff_iec104_pump_flush (rig->pump);
  g_assert_cmpuint (peer_receive_apdu (rig, apdu), ==, sizeof startdt_act);
  g_assert_cmpmem (apdu, sizeof startdt_act, startdt_act, sizeof startdt_act);
  peer_send (rig, startdt_con, sizeof startdt_con);
  stall_main_loop (rig);
  rig_wait (rig, &rig->active, "the master's STARTDT");
  g_assert_false (rig->closed);
  g_assert_true (rig->active);
  g_assert_cmpint (iec104_link_get_state (rig_link (rig)), ==, IEC104_LINK_STATE_ACTIVE);

  /* A terminal that does not answer the interrogation still runs out of t1. */
  g_assert_cmpint (iec104_master_interrogate (rig->master, ff_iec104_now_ms ()), ==, IEC104_OK);
  ff_iec104_pump_flush (rig->pump);
  peer_receive_apdu (rig, apdu);
  rig_wait (rig, &rig->closed, "the master's t1");
  g_assert_cmpint (rig->close_reason, ==, IEC104_ERROR_T1_TIMEOUT);
  rig_free (rig);
}

/* The pump's own timer runs first: it was due (the master's t2, for spontaneous points it has not
 * acknowledged) in the iteration where another source held the loop up past the t1 of the
 * master's interrogation, whose acknowledgement came in meanwhile. */
static void
test_master_timer_after_stall_reads_first (void)
{
  Rig *rig = rig_new (TRUE);
  guint8 apdu[IEC104_APDU_MAX];
  Iec104Point point;
  Iec104Asdu asdu;
  gsize n_encoded;
  guint8 frame[IEC104_APDU_MAX];
  guint8 ack[IEC104_APCI_SIZE];
  guint64 interrogation_sent_ms;

  g_assert_cmpint (iec104_master_start_dt (rig->master, ff_iec104_now_ms ()), ==, IEC104_OK);
  ff_iec104_pump_flush (rig->pump);
  peer_receive_apdu (rig, apdu);
  peer_send (rig, startdt_con, sizeof startdt_con);
  rig_wait (rig, &rig->active, "the master's STARTDT");

  interrogation_sent_ms = ff_iec104_now_ms ();
  g_assert_cmpint (iec104_master_interrogate (rig->master, interrogation_sent_ms), ==, IEC104_OK);
  ff_iec104_pump_flush (rig->pump);
  peer_receive_apdu (rig, apdu);
  /* The terminal's spontaneous point, N(R) 0: it has not acknowledged the interrogation yet. */
  iec104_point_init_single (&point, 1, true, 0);
  g_assert_cmpint (iec104_asdu_encode_points (&asdu, 1, IEC104_COT_SPONTANEOUS,
                                              IEC104_TI_M_SP_NA_1, false, &point, 1, &n_encoded),
                   ==, IEC104_OK);
  peer_send (rig, frame, iec104_frame_encode_i (frame, 0, 0, asdu.bytes, asdu.len));
  rig_wait (rig, &rig->points, "the terminal's spontaneous point");

  rig->stall_answer = g_bytes_new (ack, iec104_frame_encode_s (ack, 1));
  rig->stall_until_ms = interrogation_sent_ms + rig->t1_ms + rig->t1_ms / 2;
  rig->stall_armed = TRUE;
  rig_wait (rig, &rig->acked, "the acknowledgement of the interrogation");
  g_assert_false (rig->stall_armed);
  g_assert_false (rig->closed);
  g_assert_cmpint (iec104_link_get_state (rig_link (rig)), ==, IEC104_LINK_STATE_ACTIVE);
  /* t2 is the master's own: its S-frame for the point just goes out late. */
  g_assert_cmpuint (peer_receive_apdu (rig, apdu), ==, IEC104_APCI_SIZE);
  g_assert_cmpmem (apdu, IEC104_APCI_SIZE, "\x68\x04\x01\x00\x02\x00", IEC104_APCI_SIZE);
  rig_free (rig);
}

/* A simulated terminal stalled the same way: its spontaneous I-frame is acknowledged at once, but
 * its loop reads the S-frame only after t1. */
static void
test_outstation_reads_timely_ack_after_stall (void)
{
  Rig *rig = rig_new (FALSE);
  guint8 apdu[IEC104_APDU_MAX];
  Iec104Point point;
  Iec104Frame frame;
  guint8 s_frame[IEC104_APCI_SIZE];

  peer_send (rig, startdt_act, sizeof startdt_act);
  rig_wait (rig, &rig->active, "the outstation's STARTDT con");
  g_assert_cmpuint (peer_receive_apdu (rig, apdu), ==, sizeof startdt_con);
  g_assert_cmpmem (apdu, sizeof startdt_con, startdt_con, sizeof startdt_con);

  iec104_point_init_single (&point, 1, true, 0);
  g_assert_cmpint (iec104_outstation_send_points (rig->outstation, IEC104_COT_SPONTANEOUS, &point,
                                                  1, ff_iec104_now_ms ()), ==, IEC104_OK);
  ff_iec104_pump_flush (rig->pump);
  g_assert_cmpint (iec104_frame_decode (apdu, peer_receive_apdu (rig, apdu), &frame), ==,
                   IEC104_OK);
  g_assert_cmpint (frame.format, ==, IEC104_FRAME_I);
  peer_send (rig, s_frame, iec104_frame_encode_s (s_frame, 1));
  stall_main_loop (rig);
  rig_wait (rig, &rig->acked, "the acknowledgement of the outstation's I-frame");
  g_assert_false (rig->closed);
  g_assert_cmpuint (iec104_link_get_unacked (rig_link (rig)), ==, 0);
  g_assert_cmpint (iec104_link_get_state (rig_link (rig)), ==, IEC104_LINK_STATE_ACTIVE);

  /* A master that does not acknowledge the next one still lets t1 run out. */
  g_assert_cmpint (iec104_outstation_send_points (rig->outstation, IEC104_COT_SPONTANEOUS, &point,
                                                  1, ff_iec104_now_ms ()), ==, IEC104_OK);
  ff_iec104_pump_flush (rig->pump);
  peer_receive_apdu (rig, apdu);
  rig_wait (rig, &rig->closed, "the outstation's t1");
  g_assert_cmpint (rig->close_reason, ==, IEC104_ERROR_T1_TIMEOUT);
  rig_free (rig);
}

static guint owner_steps;

/* A master pumped on its own thread sends STARTDT act (started under the pump's lock), and the
 * peer receives it. */
static void
start_dt_on_thread (Rig *rig)
{
  guint8 apdu[IEC104_APDU_MAX];
  Iec104Error started;

  ff_iec104_pump_lock (rig->pump);
  started = iec104_master_start_dt (rig->master, ff_iec104_now_ms ());
  ff_iec104_pump_unlock (rig->pump);
  g_assert_cmpint (started, ==, IEC104_OK);
  ff_iec104_pump_flush (rig->pump);
  g_assert_cmpuint (peer_receive_apdu (rig, apdu), ==, sizeof startdt_act);
  g_assert_cmpmem (apdu, sizeof startdt_act, startdt_act, sizeof startdt_act);
}

static void
count_owner_step (gpointer owner)
{
  owner_steps++;
}

/* A master pumped on its own thread while the test's (the owner's) main context is never
 * iterated: it confirms STARTDT and answers TESTFR, which a long frame of the UI would otherwise
 * hold up past the terminal's t1. The step it queued for the owner is dropped when the owner
 * closes the pump first: the owner is not called again once it let go, and the master it borrowed
 * may be freed at once (ASan: no use after free). */
static void
test_master_on_thread_answers_while_owner_blocked (void)
{
  static const guint8 testfr_act[] = { 0x68, 0x04, 0x43, 0x00, 0x00, 0x00 };
  static const guint8 testfr_con[] = { 0x68, 0x04, 0x83, 0x00, 0x00, 0x00 };
  Rig *rig = rig_new_full (TRUE, TRUE, count_owner_step);
  guint8 apdu[IEC104_APDU_MAX];
  guint watchdog;

  owner_steps = 0;
  start_dt_on_thread (rig);
  peer_send (rig, startdt_con, sizeof startdt_con);
  peer_send (rig, testfr_act, sizeof testfr_act);
  /* Blocking, within the peer socket's bound: only the pump's thread can answer. */
  g_assert_cmpuint (peer_receive_apdu (rig, apdu), ==, sizeof testfr_con);
  g_assert_cmpmem (apdu, sizeof testfr_con, testfr_con, sizeof testfr_con);
  g_assert_cmpuint (owner_steps, ==, 0);

  /* The worker wrote the con and queued its step for the owner under the lock: once the lock is
   * ours, that step waits on the owner's context. The owner closes and frees first. */
  ff_iec104_pump_lock (rig->pump);
  ff_iec104_pump_unlock (rig->pump);
  g_assert_true (g_main_context_pending (NULL));
  ff_iec104_pump_close (rig->pump);
  g_clear_pointer (&rig->master, iec104_master_free);
  watchdog = ff_test_watchdog_add (10, "the queued step");
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_source_remove (watchdog);
  g_assert_cmpuint (owner_steps, ==, 0);
  rig_free (rig);
}

static void
locked_rig_after_step (gpointer owner)
{
  Rig *rig = owner;

  ff_iec104_pump_lock (rig->pump);
  rig_after_step (rig);
  ff_iec104_pump_unlock (rig->pump);
}

static gboolean
busy_frame (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* The owner's loop busy with frames that are always due (a slow tablet: GTK's redraw, priority
 * 120, ready again before the last frame ended): the steps a pump on its own thread queues for
 * the owner still get their turn, as its socket source at the default priority did. */
static void
test_master_on_thread_steps_beside_busy_frames (void)
{
  Rig *rig = rig_new_full (TRUE, TRUE, locked_rig_after_step);
  GSource *frames = g_idle_source_new ();

  g_source_set_priority (frames, G_PRIORITY_HIGH_IDLE + 20);
  g_source_set_callback (frames, busy_frame, NULL, NULL);
  g_source_attach (frames, NULL);
  start_dt_on_thread (rig);
  peer_send (rig, startdt_con, sizeof startdt_con);
  rig_wait (rig, &rig->active, "the master's STARTDT beside busy frames");
  g_assert_true (rig->active);
  g_source_destroy (frames);
  g_source_unref (frames);
  rig_free (rig);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/iec104-pump/master-reads-timely-con-after-stall",
                   test_master_reads_timely_con_after_stall);
  g_test_add_func ("/iec104-pump/master-timer-after-stall-reads-first",
                   test_master_timer_after_stall_reads_first);
  g_test_add_func ("/iec104-pump/outstation-reads-timely-ack-after-stall",
                   test_outstation_reads_timely_ack_after_stall);
  g_test_add_func ("/iec104-pump/master-on-thread-answers-while-owner-blocked",
                   test_master_on_thread_answers_while_owner_blocked);
  g_test_add_func ("/iec104-pump/master-on-thread-steps-beside-busy-frames",
                   test_master_on_thread_steps_beside_busy_frames);
  return g_test_run ();
}
