/* Moves bytes and time between a TCP connection and a sans-I/O iec104 master or outstation. */
#pragma once

#include <gio/gio.h>

#include "iec104-master.h"
#include "iec104-outstation.h"

G_BEGIN_DECLS

/* Runs after each batch of bytes or timer tick, and after a lost connection: the owner drains
 * its protocol object's events there. */
typedef void (*FfIec104PumpStepFunc) (gpointer owner);

#define FF_TYPE_IEC104_PUMP (ff_iec104_pump_get_type ())
G_DECLARE_FINAL_TYPE (FfIec104Pump, ff_iec104_pump, FF, IEC104_PUMP, GObject)

/* The protocol clock: monotonic milliseconds. */
guint64       ff_iec104_now_ms                 (void);

/* Starts pumping at once in the thread-default main context, driving `master` (a tablet) or
 * `outstation` (a simulated terminal): exactly one of the two is non-NULL. Neither it nor `owner`
 * is referenced: the owner must call ff_iec104_pump_close (or _close_when_flushed) before they go
 * away. after_step runs in that context. */
FfIec104Pump *ff_iec104_pump_new               (GIOStream               *stream,
                                                Iec104Master            *master,
                                                Iec104Outstation        *outstation,
                                                FfIec104PumpStepFunc     after_step,
                                                gpointer                 owner);
/* The same for a master, pumped on a thread of its own so that the link keeps being read,
 * acknowledged and timed while the thread-default main context is held up; after_step still runs
 * in that context. While the pump is open, the owner calls the master only between
 * ff_iec104_pump_lock and _unlock; once ff_iec104_pump_close returned, the worker has ended. */
FfIec104Pump *ff_iec104_pump_new_on_thread     (GIOStream               *stream,
                                                Iec104Master            *master,
                                                FfIec104PumpStepFunc     after_step,
                                                gpointer                 owner);
/* Guard the owner's calls to the protocol object (recursive; NULL: nothing to guard). */
void          ff_iec104_pump_lock              (FfIec104Pump            *pump);
void          ff_iec104_pump_unlock            (FfIec104Pump            *pump);
/* Call after starting a request on the protocol object: writes its output, re-arms the timer. */
void          ff_iec104_pump_flush             (FfIec104Pump            *pump);
/* Emulates a slow link in user space, in both directions: each byte is delayed by rtt_ms / 2 and
 * the throughput is limited to bytes_per_second (0: unlimited). rtt_ms 0 and bytes_per_second 0
 * turn the emulation off. */
void          ff_iec104_pump_set_link_emulation (FfIec104Pump           *pump,
                                                guint64                  bytes_per_second,
                                                guint                    rtt_ms);
/* Holds what the protocol sends back for @ms from now (what it receives is not delayed): it goes
 * out, in order, when the time is over. The protocol's own timers run as if it had been sent. */
void          ff_iec104_pump_hold_output       (FfIec104Pump            *pump,
                                                guint                    ms);
/* Stops reading and closes the connection once the protocol's pending output (taken over by the
 * pump right now) has been written: "confirm, then drop the link". The owner is not called
 * again. */
void          ff_iec104_pump_close_when_flushed (FfIec104Pump           *pump);
/* Closes the connection now; the owner is not called again. Idempotent. */
void          ff_iec104_pump_close             (FfIec104Pump            *pump);

G_END_DECLS
