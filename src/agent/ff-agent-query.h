/* The scheduled version query (seed 002): at the configured local times the agent asks the
 * platform (POST /api/v1/agent/query, signed) whether there is something new for it. The timer is
 * computed to the next configured time; nothing polls in between. */
#pragma once

#include <glib.h>

#include "ff-agent-https.h"
#include "ff-remote-doc.h"

G_BEGIN_DECLS

typedef struct _FfAgentQuery FfAgentQuery;

typedef void (*FfAgentQueryDue) (gpointer user_data);

/* Seconds from @now to the next of @times (minutes after local midnight), at least 1. */
guint          ff_agent_query_seconds_until_next (GArray        *times,
                                                  GDateTime     *now);

/* Calls @due at each of @times (none: never). */
FfAgentQuery  *ff_agent_query_new     (GArray                 *times,
                                       FfAgentQueryDue         due,
                                       gpointer                user_data);
void           ff_agent_query_free    (FfAgentQuery           *query);

/* Asks @platform_url's query endpoint. The answer: NULL for "nothing new", else the signed
 * command envelope it carries (the caller verifies it as one from the command topic). */
void           ff_agent_query_ask_async   (FfAgentHttps           *https,
                                           const char             *platform_url,
                                           const char             *device_id,
                                           const FfRemoteVersions *versions,
                                           GCancellable           *cancellable,
                                           GAsyncReadyCallback     callback,
                                           gpointer                user_data);
GBytes        *ff_agent_query_ask_finish  (GAsyncResult           *result,
                                           GError                **error);

G_END_DECLS
