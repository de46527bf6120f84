/* Signed results waiting for the platform's acknowledgement: one file per result in data/outbox/,
 * kept across restarts until a signed ack names it (the broker's PUBACK is not the platform's). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FfAgentOutbox FfAgentOutbox;

FfAgentOutbox *ff_agent_outbox_new     (const char     *dir);
void           ff_agent_outbox_free    (FfAgentOutbox  *outbox);
/* Stores @envelope (the sealed result) durably under @result_id. */
gboolean       ff_agent_outbox_add     (FfAgentOutbox  *outbox,
                                        const char     *result_id,
                                        GBytes         *envelope,
                                        GError        **error);
/* Forgets @result_id; FALSE when it was not there. */
gboolean       ff_agent_outbox_remove  (FfAgentOutbox  *outbox,
                                        const char     *result_id);
/* Every stored envelope, oldest first. */
GPtrArray     *ff_agent_outbox_list    (FfAgentOutbox  *outbox);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfAgentOutbox, ff_agent_outbox_free)

G_END_DECLS
