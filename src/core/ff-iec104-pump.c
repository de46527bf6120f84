/* Moves bytes and time between a TCP connection and a sans-I/O iec104 master or outstation: reads
 * with a pollable source, writes without blocking, and keeps ONE timer at the next deadline.
 *
 * Threads. A pump made with ff_iec104_pump_new() runs its sources in the thread-default main
 * context and calls its owner from there (the simulated terminal). One made with
 * ff_iec104_pump_new_on_thread() (the tablet's connection) runs them on a thread of its own, with
 * its own GMainContext, so that reading, acknowledging, answering TESTFR and the protocol's timers
 * go on while the owner's main loop (the UI's) is held up by a long frame: a terminal closes the
 * link when the master does not acknowledge within t1. The rules that keep it thread-safe:
 * - `lock` guards all of the pump's state and the protocol object, which is not thread-safe. The
 *   worker holds it while it reads, feeds, ticks and writes; the owner takes it (ff_iec104_pump_lock)
 *   around its own calls to the protocol object, and every public function takes it.
 * - The owner is never called on the worker: after a step the worker queues one call on the
 *   owner's context (the one the pump was made in, at the default priority, as the socket source
 *   had there), which runs after_step unless the owner has let go of the pump (close or
 *   close_when_flushed) meanwhile.
 * - ff_iec104_pump_close, on the owner's thread, closes the connection under the lock, then stops
 *   and joins the worker: after it returns nothing runs on the worker, so the owner may free the
 *   protocol object. close_when_flushed leaves the worker to write the last bytes (it touches
 *   nothing of the protocol's then) and hands the pump back to the owner's context to be joined.
 * The lock is recursive: in single-context mode after_step runs under it and may call back. */
#include "config.h"

#include "ff-iec104-pump.h"

#include <errno.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "iec104-link.h"

#define READ_CHUNK 65536
/* Reads per wakeup, so a fast peer cannot starve the rest of the main loop. */
#define READS_PER_WAKEUP 16

typedef struct
{
  gint64  release_us;  /* monotonic time at which the emulated link delivers the bytes */
  GBytes *bytes;
} DelayedChunk;

struct _FfIec104Pump
{
  GObject                  parent_instance;

  GRecMutex                lock;
  GMainContext            *context;        /* where the sources run: the owner's or the worker's */
  GMainContext            *owner_context;  /* with a worker only: where after_step runs */
  gboolean                 threaded;       /* made by ff_iec104_pump_new_on_thread */
  GThread                 *worker;         /* until joined */
  gint                     stopping;       /* atomic: the worker's loop ends */
  gboolean                 step_queued;    /* an after_step idle waits on the owner's context */
  gboolean                 released;       /* the owner let go: it is not called again */

  GIOStream               *stream;
  GPollableInputStream    *input;
  GPollableOutputStream   *output;
  Iec104Master            *master;       /* borrowed, like the outstation and the owner: the */
  Iec104Outstation        *outstation;   /* owner closes the pump before they go */
  FfIec104PumpStepFunc     after_step;
  gpointer                 owner;

  GSource                 *read_source;
  GSource                 *write_source;
  GSource                 *timer_source;
  int                      timer_fd;
  gint64                   timer_armed_us;  /* G_MAXINT64: nothing armed */
  gboolean                 closed;
  gboolean                 close_when_flushed;  /* holds a reference until the last byte is out */

  /* Bytes taken from the protocol (emulated link or close_when_flushed) not yet written. */
  GByteArray              *unsent;

  /* Slow-link emulation. */
  guint64                  bytes_per_second;
  guint                    rtt_ms;
  GQueue                   incoming;     /* DelayedChunk */
  GQueue                   outgoing;     /* DelayedChunk */
  gint64                   incoming_free_us;
  gint64                   outgoing_free_us;
  /* Held output: nothing goes out before this monotonic time (0: never held). */
  gint64                   output_held_until_us;
};

G_DEFINE_FINAL_TYPE (FfIec104Pump, ff_iec104_pump, G_TYPE_OBJECT)

static void pump_step (FfIec104Pump *pump);
static void pump_write (FfIec104Pump *pump);
static void pump_rearm (FfIec104Pump *pump);
static void pump_shut (FfIec104Pump *pump);
static void flush_done (FfIec104Pump *pump);

guint64
ff_iec104_now_ms (void)
{
  return (guint64) (g_get_monotonic_time () / 1000);
}

/* ---- the protocol object: a master or an outstation, driven the same way ---- */

static Iec104Error
protocol_feed (FfIec104Pump *pump,
               const guint8 *data,
               gsize         len)
{
  guint64 now_ms = ff_iec104_now_ms ();

  if (pump->master != NULL)
    return iec104_master_feed (pump->master, data, len, now_ms);
  return iec104_outstation_feed (pump->outstation, data, len, now_ms);
}

static void
protocol_tick (FfIec104Pump *pump)
{
  if (pump->master != NULL)
    iec104_master_tick (pump->master, ff_iec104_now_ms ());
  else
    iec104_outstation_tick (pump->outstation, ff_iec104_now_ms ());
}

static guint64
protocol_next_deadline (FfIec104Pump *pump)
{
  if (pump->master != NULL)
    return iec104_master_next_deadline (pump->master);
  return iec104_outstation_next_deadline (pump->outstation);
}

static gsize
protocol_output (FfIec104Pump  *pump,
                 const guint8 **data)
{
  if (pump->master != NULL)
    return iec104_master_output (pump->master, data);
  return iec104_outstation_output (pump->outstation, data);
}

static void
protocol_consume_output (FfIec104Pump *pump,
                         gsize         n)
{
  if (pump->master != NULL)
    iec104_master_consume_output (pump->master, n);
  else
    iec104_outstation_consume_output (pump->outstation, n);
}

static void
protocol_connection_lost (FfIec104Pump *pump)
{
  if (pump->master != NULL)
    iec104_master_connection_lost (pump->master);
  else
    iec104_outstation_connection_lost (pump->outstation);
}

static void
delayed_chunk_free (gpointer data)
{
  DelayedChunk *chunk = data;

  g_bytes_unref (chunk->bytes);
  g_free (chunk);
}

static gboolean
emulating (FfIec104Pump *pump)
{
  return pump->bytes_per_second != 0 || pump->rtt_ms != 0;
}

/* When bytes handed to the emulated link now arrive at the other end: after the link finished
 * sending the earlier ones and this chunk (bandwidth), plus half the round trip (propagation). */
static void
enqueue_delayed (FfIec104Pump *pump,
                 GQueue       *queue,
                 gint64       *free_us,
                 gint64        not_before_us,
                 const guint8 *data,
                 gsize         len)
{
  DelayedChunk *chunk = g_new0 (DelayedChunk, 1);
  gint64 now = g_get_monotonic_time ();
  gint64 sent = MAX (now, *free_us);

  if (pump->bytes_per_second != 0)
    sent += (gint64) (len * G_USEC_PER_SEC / pump->bytes_per_second);
  *free_us = sent;
  chunk->release_us = MAX (sent + (gint64) pump->rtt_ms * 1000 / 2, not_before_us);
  chunk->bytes = g_bytes_new (data, len);
  g_queue_push_tail (queue, chunk);
}

static gboolean
on_owner_step (gpointer user_data)
{
  FfIec104Pump *pump = user_data;
  gboolean released;

  g_rec_mutex_lock (&pump->lock);
  pump->step_queued = FALSE;
  released = pump->released;
  g_rec_mutex_unlock (&pump->lock);
  /* Only the owner's thread sets `released`, and this is it: it cannot change before the call. */
  if (!released)
    pump->after_step (pump->owner);
  return G_SOURCE_REMOVE;
}

/* Runs `func` once in the owner's context at the default priority, the socket source's in
 * single-context mode: an idle's own priority would wait behind GTK's redraw (120), which on a
 * slow tablet is due again before the last frame ended, for ever. */
static void
invoke_on_owner (FfIec104Pump *pump,
                 GSourceFunc   func)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, pump, g_object_unref);
  g_source_attach (source, pump->owner_context);
  g_source_unref (source);
}

/* Lets the owner drain its protocol object's events: at once in single-context mode, in one call
 * on the owner's context (however many steps the worker makes before it runs) otherwise. */
static void
notify_owner (FfIec104Pump *pump)
{
  if (pump->released)
    return;
  if (!pump->threaded)
    {
      pump->after_step (pump->owner);
      return;
    }
  if (pump->step_queued)
    return;
  pump->step_queued = TRUE;
  invoke_on_owner (g_object_ref (pump), on_owner_step);
}

static void
pump_lost (FfIec104Pump *pump)
{
  g_autoptr(FfIec104Pump) hold = g_object_ref (pump);
  gboolean was_closed = pump->closed;

  pump_shut (pump);
  if (!was_closed && pump->close_when_flushed)
    flush_done (pump);
  if (was_closed || pump->released)
    return;
  protocol_connection_lost (pump);
  notify_owner (pump);
}

static void
deliver_incoming (FfIec104Pump *pump,
                  const guint8 *data,
                  gsize         len)
{
  if (emulating (pump))
    enqueue_delayed (pump, &pump->incoming, &pump->incoming_free_us, 0, data, len);
  else
    protocol_feed (pump, data, len);
}

/* Reads and delivers what the socket holds, at most READS_PER_WAKEUP chunks; TRUE once it has
 * nothing more to read. A peer that keeps to k has far less than one chunk outstanding, so the
 * protocol's timers, which run at the end of each feed, see all of its answers together. */
static gboolean
drain_input (FfIec104Pump *pump)
{
  guint8 buffer[READ_CHUNK];

  for (guint i = 0; i < READS_PER_WAKEUP && !pump->closed && !pump->close_when_flushed; i++)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_input_stream_read_nonblocking (pump->input, buffer, sizeof buffer,
                                                           NULL, &error);

      if (n > 0)
        {
          deliver_incoming (pump, buffer, (gsize) n);
          continue;
        }
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return TRUE;
      /* End of stream or a socket error: the peer is gone either way. */
      pump_lost (pump);
      return FALSE;
    }
  return FALSE;
}

static gboolean
on_readable (GObject  *stream,
             gpointer  user_data)
{
  FfIec104Pump *pump = user_data;
  g_autoptr(FfIec104Pump) hold = g_object_ref (pump);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&pump->lock);

  /* The owner may have closed it while this callback waited for the lock. */
  if (pump->closed || pump->close_when_flushed)
    return G_SOURCE_REMOVE;
  drain_input (pump);
  if (pump->closed)
    return G_SOURCE_REMOVE;
  pump_step (pump);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_writable (GObject  *stream,
             gpointer  user_data)
{
  FfIec104Pump *pump = user_data;
  g_autoptr(FfIec104Pump) hold = g_object_ref (pump);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&pump->lock);

  if (pump->closed)
    return G_SOURCE_REMOVE;
  g_clear_pointer (&pump->write_source, g_source_destroy);
  pump_write (pump);
  if (!pump->closed && !pump->close_when_flushed)
    pump_rearm (pump);
  return G_SOURCE_REMOVE;
}

static void
wait_writable (FfIec104Pump *pump)
{
  if (pump->write_source != NULL)
    return;
  pump->write_source = g_pollable_output_stream_create_source (pump->output, NULL);
  g_source_set_callback (pump->write_source, G_SOURCE_FUNC (on_writable), pump, NULL);
  g_source_attach (pump->write_source, pump->context);
  g_source_unref (pump->write_source);
}

/* Writes without blocking; FALSE when the socket is full (a write source then continues) or the
 * connection failed. */
static gboolean
write_some (FfIec104Pump *pump,
            const guint8 *data,
            gsize         len,
            gsize        *written)
{
  g_autoptr(GError) error = NULL;
  gssize n = g_pollable_output_stream_write_nonblocking (pump->output, data, len, NULL, &error);

  if (n >= 0)
    {
      *written = (gsize) n;
      return TRUE;
    }
  *written = 0;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    wait_writable (pump);
  else
    pump_lost (pump);
  return FALSE;
}

static void
take_protocol_output (FfIec104Pump *pump)
{
  const guint8 *data;
  gsize n;

  while (!pump->closed && (n = protocol_output (pump, &data)) > 0)
    {
      enqueue_delayed (pump, &pump->outgoing, &pump->outgoing_free_us,
                       pump->output_held_until_us, data, n);
      protocol_consume_output (pump, n);
    }
}

static void
write_unsent (FfIec104Pump *pump)
{
  while (!pump->closed && pump->unsent->len > 0)
    {
      gsize written;

      if (!write_some (pump, pump->unsent->data, pump->unsent->len, &written))
        return;
      g_byte_array_remove_range (pump->unsent, 0, (guint) written);
    }
}

static void
release_outgoing (FfIec104Pump *pump,
                  gint64        now_us)
{
  DelayedChunk *chunk;

  while ((chunk = g_queue_peek_head (&pump->outgoing)) != NULL && chunk->release_us <= now_us)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (chunk->bytes, &len);

      g_byte_array_append (pump->unsent, data, (guint) len);
      delayed_chunk_free (g_queue_pop_head (&pump->outgoing));
    }
}

static void
release_incoming (FfIec104Pump *pump,
                  gint64        now_us)
{
  DelayedChunk *chunk;

  while (!pump->closed && (chunk = g_queue_peek_head (&pump->incoming)) != NULL
         && chunk->release_us <= now_us)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (chunk->bytes, &len);

      protocol_feed (pump, data, len);
      delayed_chunk_free (g_queue_pop_head (&pump->incoming));
    }
}

static void
pump_write (FfIec104Pump *pump)
{
  if (pump->closed)
    return;

  if (pump->close_when_flushed)
    {
      release_outgoing (pump, G_MAXINT64);
      write_unsent (pump);
      if (!pump->closed && pump->unsent->len == 0)
        {
          pump_shut (pump);
          flush_done (pump);
        }
      return;
    }

  if (emulating (pump) || pump->output_held_until_us != 0 || pump->unsent->len > 0)
    {
      write_unsent (pump);
      if (pump->unsent->len > 0)
        return;
      take_protocol_output (pump);
      release_outgoing (pump, g_get_monotonic_time ());
      write_unsent (pump);
      return;
    }

  /* The common case writes straight from the protocol's buffer. */
  while (!pump->closed && pump->write_source == NULL)
    {
      const guint8 *data;
      gsize n = protocol_output (pump, &data);
      gsize written;

      if (n == 0)
        break;
      if (!write_some (pump, data, n, &written))
        break;
      protocol_consume_output (pump, written);
    }
}

static gint64
next_wakeup_us (FfIec104Pump *pump)
{
  guint64 deadline_ms = protocol_next_deadline (pump);
  gint64 wakeup = -1;
  DelayedChunk *chunk;

  if (deadline_ms != IEC104_NO_DEADLINE)
    wakeup = (gint64) deadline_ms * 1000;
  if ((chunk = g_queue_peek_head (&pump->incoming)) != NULL)
    wakeup = wakeup < 0 ? chunk->release_us : MIN (wakeup, chunk->release_us);
  if ((chunk = g_queue_peek_head (&pump->outgoing)) != NULL)
    wakeup = wakeup < 0 ? chunk->release_us : MIN (wakeup, chunk->release_us);
  return wakeup;
}

/* Arms the timer lazily: only when the wanted time is earlier than the armed one. A timer that
 * fires early (the deadline moved later meanwhile) just re-arms, which costs far less than a
 * system call after every frame. */
static void
pump_rearm (FfIec104Pump *pump)
{
  gint64 wanted;
  struct itimerspec spec = { { 0, 0 }, { 0, 0 } };

  if (pump->closed || pump->close_when_flushed)
    return;
  wanted = next_wakeup_us (pump);
  if (wanted < 0 || wanted >= pump->timer_armed_us)
    return;
  /* An all-zero it_value would disarm: a time in the past fires at once instead. */
  wanted = MAX (wanted, 1);
  spec.it_value.tv_sec = wanted / G_USEC_PER_SEC;
  spec.it_value.tv_nsec = (wanted % G_USEC_PER_SEC) * 1000;
  if (timerfd_settime (pump->timer_fd, TFD_TIMER_ABSTIME, &spec, NULL) == 0)
    pump->timer_armed_us = wanted;
}

static void
pump_step (FfIec104Pump *pump)
{
  g_autoptr(FfIec104Pump) hold = g_object_ref (pump);

  if (pump->closed || pump->close_when_flushed)
    return;
  pump_write (pump);
  if (pump->closed)
    return;
  notify_owner (pump);
  if (pump->closed || pump->close_when_flushed)
    return;
  pump_write (pump);
  pump_rearm (pump);
}

static gboolean
on_timer (gpointer user_data)
{
  FfIec104Pump *pump = user_data;
  g_autoptr(FfIec104Pump) hold = g_object_ref (pump);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&pump->lock);
  gint64 now_us = g_get_monotonic_time ();
  guint64 deadline_ms;
  guint64 expirations;
  gboolean drained;

  if (pump->closed || pump->close_when_flushed)
    return G_SOURCE_REMOVE;
  while (read (pump->timer_fd, &expirations, sizeof expirations) < 0 && errno == EINTR)
    ;
  pump->timer_armed_us = G_MAXINT64;
  /* What the peer sent while this loop was held up arrived before now: it counts before any
   * timer expires. Input left over (more than READS_PER_WAKEUP chunks) defers the tick: the read
   * source takes the rest and the timer, re-armed at the passed deadline, fires again. */
  drained = drain_input (pump);
  if (pump->closed)
    return G_SOURCE_CONTINUE;
  release_incoming (pump, now_us);
  if (pump->closed)
    return G_SOURCE_CONTINUE;
  deadline_ms = protocol_next_deadline (pump);
  if (drained && deadline_ms != IEC104_NO_DEADLINE && deadline_ms <= (guint64) now_us / 1000)
    protocol_tick (pump);
  pump_step (pump);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs timer_funcs = {
  .dispatch = timer_dispatch,
};

static FfIec104Pump *
pump_new (GIOStream            *stream,
          Iec104Master         *master,
          Iec104Outstation     *outstation,
          FfIec104PumpStepFunc  after_step,
          gpointer              owner,
          GMainContext         *context)  /* taken */
{
  FfIec104Pump *pump;

  g_return_val_if_fail ((master == NULL) != (outstation == NULL), NULL);
  pump = g_object_new (FF_TYPE_IEC104_PUMP, NULL);
  pump->context = context;
  pump->stream = g_object_ref (stream);
  pump->input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  pump->output = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  pump->master = master;
  pump->outstation = outstation;
  pump->after_step = after_step;
  pump->owner = owner;

  pump->read_source = g_pollable_input_stream_create_source (pump->input, NULL);
  g_source_set_callback (pump->read_source, G_SOURCE_FUNC (on_readable), pump, NULL);
  g_source_attach (pump->read_source, context);
  g_source_unref (pump->read_source);

  /* A timerfd on the clock of g_get_monotonic_time(): poll timeouts only have millisecond
   * resolution, which would turn an emulated 1 ms round trip into 2 ms or more. */
  pump->timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  g_assert (pump->timer_fd >= 0);
  pump->timer_armed_us = G_MAXINT64;
  pump->timer_source = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_add_unix_fd (pump->timer_source, pump->timer_fd, G_IO_IN);
  g_source_set_callback (pump->timer_source, on_timer, pump, NULL);
  g_source_attach (pump->timer_source, context);
  g_source_unref (pump->timer_source);
  return pump;
}

FfIec104Pump *
ff_iec104_pump_new (GIOStream            *stream,
                    Iec104Master         *master,
                    Iec104Outstation     *outstation,
                    FfIec104PumpStepFunc  after_step,
                    gpointer              owner)
{
  return pump_new (stream, master, outstation, after_step, owner,
                   g_main_context_ref_thread_default ());
}

static gpointer
worker_run (gpointer data)
{
  FfIec104Pump *pump = data;

  g_main_context_push_thread_default (pump->context);
  while (!g_atomic_int_get (&pump->stopping))
    g_main_context_iteration (pump->context, TRUE);
  g_main_context_pop_thread_default (pump->context);
  return NULL;
}

FfIec104Pump *
ff_iec104_pump_new_on_thread (GIOStream            *stream,
                              Iec104Master         *master,
                              FfIec104PumpStepFunc  after_step,
                              gpointer              owner)
{
  FfIec104Pump *pump = pump_new (stream, master, NULL, after_step, owner,
                                 g_main_context_new ());

  pump->threaded = TRUE;
  pump->owner_context = g_main_context_ref_thread_default ();
  /* The pump outlives the worker (ff_iec104_pump_close joins it), so it lends it no reference. */
  pump->worker = g_thread_new ("iec104-pump", worker_run, pump);
  return pump;
}

void
ff_iec104_pump_lock (FfIec104Pump *pump)
{
  if (pump != NULL)
    g_rec_mutex_lock (&pump->lock);
}

void
ff_iec104_pump_unlock (FfIec104Pump *pump)
{
  if (pump != NULL)
    g_rec_mutex_unlock (&pump->lock);
}

void
ff_iec104_pump_flush (FfIec104Pump *pump)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&pump->lock);

  pump_write (pump);
  pump_rearm (pump);
}

void
ff_iec104_pump_set_link_emulation (FfIec104Pump *pump,
                                   guint64       bytes_per_second,
                                   guint         rtt_ms)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&pump->lock);

  pump->bytes_per_second = bytes_per_second;
  pump->rtt_ms = rtt_ms;
  pump_rearm (pump);
}

void
ff_iec104_pump_hold_output (FfIec104Pump *pump,
                            guint         ms)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&pump->lock);

  pump->output_held_until_us = g_get_monotonic_time () + (gint64) ms * 1000;
  pump_rearm (pump);
}

/* Ends the worker's loop and waits for it; on the owner's thread, never under the lock (the
 * worker may be waiting for it). */
static void
stop_worker (FfIec104Pump *pump)
{
  if (pump->worker == NULL)
    return;
  g_atomic_int_set (&pump->stopping, TRUE);
  g_main_context_wakeup (pump->context);
  g_thread_join (g_steal_pointer (&pump->worker));
}

static gboolean
on_flushed_on_owner (gpointer user_data)
{
  stop_worker (user_data);
  return G_SOURCE_REMOVE;
}

/* The last byte after close_when_flushed is out (or the link failed): drops the reference that
 * kept the pump for it. The worker cannot join itself, so the owner's context does that. */
static void
flush_done (FfIec104Pump *pump)
{
  if (!pump->threaded)
    g_object_unref (pump);
  else
    invoke_on_owner (pump, on_flushed_on_owner);
}

void
ff_iec104_pump_close_when_flushed (FfIec104Pump *pump)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&pump->lock);

  pump->released = TRUE;
  if (pump->closed || pump->close_when_flushed)
    return;
  take_protocol_output (pump);
  pump->close_when_flushed = TRUE;
  g_object_ref (pump);
  g_clear_pointer (&pump->read_source, g_source_destroy);
  g_clear_pointer (&pump->timer_source, g_source_destroy);
  pump_write (pump);
}

/* Closes the connection and removes the sources; under the lock, on either thread. */
static void
pump_shut (FfIec104Pump *pump)
{
  if (pump->closed)
    return;
  pump->closed = TRUE;
  g_clear_pointer (&pump->read_source, g_source_destroy);
  g_clear_pointer (&pump->write_source, g_source_destroy);
  g_clear_pointer (&pump->timer_source, g_source_destroy);
  g_queue_clear_full (&pump->incoming, delayed_chunk_free);
  g_queue_clear_full (&pump->outgoing, delayed_chunk_free);
  /* Sockets close without blocking. */
  g_io_stream_close (pump->stream, NULL, NULL);
}

void
ff_iec104_pump_close (FfIec104Pump *pump)
{
  gboolean flush_pending;

  g_rec_mutex_lock (&pump->lock);
  pump->released = TRUE;
  flush_pending = pump->close_when_flushed && !pump->closed;
  pump_shut (pump);
  g_rec_mutex_unlock (&pump->lock);
  stop_worker (pump);
  if (flush_pending)
    g_object_unref (pump);
}

static void
ff_iec104_pump_finalize (GObject *object)
{
  FfIec104Pump *pump = FF_IEC104_PUMP (object);

  /* Only the owner's thread lets go of it: the worker holds no reference of its own. */
  g_assert (pump->worker == NULL || g_thread_self () != pump->worker);
  ff_iec104_pump_close (pump);
  g_clear_object (&pump->stream);
  g_byte_array_unref (pump->unsent);
  close (pump->timer_fd);
  g_clear_pointer (&pump->context, g_main_context_unref);
  g_clear_pointer (&pump->owner_context, g_main_context_unref);
  g_rec_mutex_clear (&pump->lock);
  G_OBJECT_CLASS (ff_iec104_pump_parent_class)->finalize (object);
}

static void
ff_iec104_pump_class_init (FfIec104PumpClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ff_iec104_pump_finalize;
}

static void
ff_iec104_pump_init (FfIec104Pump *pump)
{
  g_rec_mutex_init (&pump->lock);
  pump->unsent = g_byte_array_new ();
  g_queue_init (&pump->incoming);
  g_queue_init (&pump->outgoing);
}
