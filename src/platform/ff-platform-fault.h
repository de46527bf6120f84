/* FIELDFLASH_PLATFORM_FAULT, the platform's test hook: faults a test makes `serve` run into at the
 * worst moment (docs/platform.md, "Test hooks"). Comma-separated:
 *   kill-after-puback=N    SIGKILL when the broker's acknowledgement (PUBACK) of the Nth command
 *                          arrives, before it is stored: the broker has the command, the
 *                          platform's record does not say so
 *   kill-after-claim=N     SIGKILL once N commands are claimed (recorded as published), after
 *                          the claim's commit and before that round is published: the record
 *                          says published, the broker never got them
 *   kill-in-credentials=N  SIGKILL once the Nth file of `terminals credentials` is written
 *                          and synced, before the next one (a fleet's issue cut off midway)
 *   check-timeout=SECONDS  the check after a restart gives up on the broker after SECONDS, not
 *                          a minute (a test of a broker that drops the check's marker)
 *   kill-before-commit=N   SIGKILL once N results have passed their checks, before the commit of
 *                          the batch holding the Nth: checked, neither stored nor acknowledged
 *   kill-after-commit=N    SIGKILL once the batch holding the Nth result that passed its checks
 *                          is committed, before its acks are published: stored, not acknowledged
 *   delta-gate=PATH        making a delta package first opens PATH (a FIFO) for reading and reads
 *                          it to its end: it waits there until the test writes to it */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads FIELDFLASH_PLATFORM_FAULT once, at start; FALSE with @error on an unknown fault. */
gboolean ff_platform_fault_init               (GError **error);
/* N of kill-after-puback=N, 0 without it. */
guint    ff_platform_fault_kill_after_puback (void);
/* N of kill-after-claim=N, 0 without it. */
guint    ff_platform_fault_kill_after_claim  (void);
/* N of kill-in-credentials=N, 0 without it. */
guint    ff_platform_fault_kill_in_credentials (void);
/* SECONDS of check-timeout=SECONDS, 0 without it. */
guint    ff_platform_fault_check_timeout     (void);

/* N of kill-before-commit=N, 0 without it. */
guint    ff_platform_fault_kill_before_commit (void);
/* N of kill-after-commit=N, 0 without it. */
guint    ff_platform_fault_kill_after_commit  (void);

/* With delta-gate=PATH: waits until PATH is opened for writing and closed again. */
void     ff_platform_fault_delta_gate         (void);

G_END_DECLS
