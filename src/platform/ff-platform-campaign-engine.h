/* The daemon's campaign engine (`serve`): starts each running campaign's waves (inside their
 * window) by recording their commands through the remote path, completes a wave when each of its
 * terminals has a result or is offline past the timeout, halts a campaign whose failures reach its
 * threshold, and completes it. Event-driven: woken by the terminals' results, reports and
 * progress, by the operator's CLI (DATA/campaigns.changed) and by a timer to the next deadline. */
#pragma once

#include "ff-crypto.h"
#include "ff-platform-db.h"
#include "ff-platform-remote-service.h"

G_BEGIN_DECLS

typedef struct _FfCampaignEngine FfCampaignEngine;

/* Runs in the thread-default main context. @remote (NULL when the platform has no broker) sends
 * the commands the engine records. */
FfCampaignEngine *ff_campaign_engine_new  (FfPlatformDb    *db,
                                           const char      *data_dir,
                                           FfKey           *platform_key,
                                           FfRemoteService *remote,
                                           GError         **error);
void              ff_campaign_engine_free (FfCampaignEngine *engine);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfCampaignEngine, ff_campaign_engine_free)

G_END_DECLS
