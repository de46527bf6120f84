/* The swarm's journal: what each of its terminals executed, so that a swarm killed (kill -9, power
 * cut) and started again neither executes a command twice nor loses a result the platform has not
 * acknowledged — the agent's state file, for thousands of terminals in one append-only file. */
#pragma once

#include <glib.h>

typedef struct _FfSimSwarmJournal FfSimSwarmJournal;

/* A swarm compacts the journal once it has appended this many lines, or as many as the last
 * compaction kept if that is more. */
#define FF_SIM_SWARM_JOURNAL_COMPACT_MIN 1024

/* A line read back at open: @device_id executed @command_id and sealed the result @result_id
 * (@result, the envelope it publishes); both NULL when the result was acknowledged and the
 * journal compacted since (the command is remembered, its result no longer). */
typedef void (*FfSimSwarmJournalExecutedFunc) (const char *device_id,
                                               const char *command_id,
                                               const char *result_id,
                                               GBytes     *result,
                                               gpointer    user_data);
/* A line read back at open: the platform acknowledged @device_id's result @result_id. */
typedef void (*FfSimSwarmJournalAckedFunc) (const char *device_id,
                                            const char *result_id,
                                            gpointer    user_data);

/* Opens (creates) the journal at @path, replays its lines in order to @executed and @acked, and
 * compacts it. */
FfSimSwarmJournal *ff_sim_swarm_journal_open (const char                   *path,
                                              FfSimSwarmJournalExecutedFunc executed,
                                              FfSimSwarmJournalAckedFunc    acked,
                                              gpointer                      user_data,
                                              GError                      **error);
void ff_sim_swarm_journal_free (FfSimSwarmJournal *journal);

/* Queue a line; ff_sim_swarm_journal_sync() writes the queued lines. */
void ff_sim_swarm_journal_add_executed (FfSimSwarmJournal *journal,
                                        const char        *device_id,
                                        const char        *command_id,
                                        const char        *result_id,
                                        GBytes            *result);
void ff_sim_swarm_journal_add_acked (FfSimSwarmJournal *journal,
                                     const char        *device_id,
                                     const char        *result_id);

/* Appends the queued lines in one write; with an execution among them, waits until they are on
 * disk (an acknowledgement lost in a crash only makes the result go out once more). Compacts the
 * journal when enough lines were appended since the last compaction. */
gboolean ff_sim_swarm_journal_sync (FfSimSwarmJournal *journal,
                                    GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfSimSwarmJournal, ff_sim_swarm_journal_free)
