/* FIELDFLASH_AGENT_FAULT: the test hook that simulates a power cut (SIGKILL) or an I/O error at a
 * named point. It never changes what the agent accepts: every check runs as without it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads FIELDFLASH_AGENT_FAULT ("power-cut-at=STATE", "stop-at=STATE",
 * "power-cut-in=write-slot:BYTES", "power-cut-in=download:BYTES", "power-cut-in=download-rename",
 * "power-cut-in=env-write", "slot-write-error", "corrupt-download[=recovery]", comma-separated).
 * FALSE with @error for a value it does not know, so a mistyped fault is not a silent no-op. */
gboolean ff_agent_fault_init                (GError     **error);

/* Dies as a power cut would when the fault names @state (called once @state is persisted); with
 * "stop-at" stops instead, for the test to cut the whole terminal's power from outside. */
void     ff_agent_fault_after_state         (const char  *state);
/* Bytes of a slot write after which the power is cut, or -1. */
gint64   ff_agent_fault_slot_cut_bytes      (void);
/* Bytes of the package in its part file after which the power is cut (a download's worker thread
 * dies with the process, as in a power cut), or -1. */
gint64   ff_agent_fault_download_cut_bytes  (void);
/* Dies as a power cut would with "power-cut-in=download-rename" (called once the downloaded
 * package is renamed into place, before the agent's record leaves "downloading"). */
void     ff_agent_fault_download_renamed    (void);
/* TRUE once per run when "slot-write-error" is set: the next slot write fails. */
gboolean ff_agent_fault_take_slot_write_error (void);
gboolean ff_agent_fault_env_write_cut       (void);
/* "corrupt-download" damages the stored package before the first verification,
 * "corrupt-download=recovery" the first staged image before the recovery system checks it. */
gboolean ff_agent_fault_corrupt_package     (gboolean     in_recovery);
void     ff_agent_fault_power_cut           (void) G_GNUC_NORETURN;

G_END_DECLS
