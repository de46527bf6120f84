/* The daemon's side of remote upgrades: its MQTT session (`serve`) sends the commands not yet
 * sent, ingests the terminals' results and acknowledges them, and keeps their retained state. */
#pragma once

#include "ff-crypto.h"
#include "ff-platform-db.h"
#include "ff-platform-metrics.h"

G_BEGIN_DECLS

typedef struct _FfRemoteService FfRemoteService;

/* Connects to the broker `mqtt config` named (retrying while it is away) in the thread-default
 * main context, counting in @metrics (which must outlive the service). NULL without an error
 * when the platform has no broker configured. */
FfRemoteService *ff_remote_service_start (FfPlatformDb      *db,
                                          const char        *data_dir,
                                          FfKey             *platform_key,
                                          FfPlatformMetrics *metrics,
                                          GError           **error);
void             ff_remote_service_free  (FfRemoteService *service);
/* Publishes the commands recorded since (by a campaign's wave); when the broker is away they go
 * when it is back. */
void             ff_remote_service_send_pending (FfRemoteService *service);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfRemoteService, ff_remote_service_free)

G_END_DECLS
