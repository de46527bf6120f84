/* A supervisor's authority on the tablet, offline: the PIN checked against the hash the signed task
 * carries, three attempts per visit, then no override on this tablet until the next sync. */
#pragma once

#include "ff-store.h"
#include "ff-task.h"

G_BEGIN_DECLS

#define FF_SUPERVISOR_ERROR (ff_supervisor_error_quark ())

typedef enum
{
  FF_SUPERVISOR_ERROR_UNKNOWN,    /* the task names no such supervisor */
  FF_SUPERVISOR_ERROR_WRONG_PIN,  /* counted: the message says how many attempts are left */
  FF_SUPERVISOR_ERROR_LOCKED,     /* the attempts are used up: locked until the next sync */
} FfSupervisorError;

#define FF_SUPERVISOR_PIN_MIN_DIGITS 8
#define FF_SUPERVISOR_PIN_MAX_DIGITS 16
#define FF_SUPERVISOR_ATTEMPTS 3

GQuark   ff_supervisor_error_quark      (void);

/* FF_SUPERVISOR_PIN_MIN_DIGITS to _MAX_DIGITS digits: the rule `supervisors add` enforces. */
gboolean ff_supervisor_pin_is_valid     (const char    *pin);

/* Checks @pin against @name's hash in @task. A wrong PIN counts against @visit (any string that
 * names one visit); the FF_SUPERVISOR_ATTEMPTS-th locks overrides on the whole tablet, in @store,
 * so a restart does not reset it. Blocking (scrypt and sqlite): call it from a worker in a UI. */
gboolean ff_supervisor_authorize        (FfStore       *store,
                                         const FfTask  *task,
                                         const char    *visit,
                                         const char    *name,
                                         const char    *pin,
                                         GError       **error);
gboolean ff_supervisor_overrides_locked (FfStore       *store);
/* Attempts @visit has left (0 when locked). */
guint    ff_supervisor_attempts_left    (FfStore       *store,
                                         const char    *visit);
/* A successful sync lifts the lock and forgets the attempts. */
gboolean ff_supervisor_unlock           (FfStore       *store,
                                         GError       **error);

G_END_DECLS
