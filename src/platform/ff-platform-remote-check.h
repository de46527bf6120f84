/* After a restart, asks the broker which of the commands a killed daemon claimed (recorded as
 * published) it holds: each command is published retained, so the broker holds the last one of
 * each terminal's command topic (docs/platform.md, "Sending"). */
#pragma once

#include "ff-platform-mqtt-setup.h"

G_BEGIN_DECLS

typedef struct _FfRemoteCheck FfRemoteCheck;

/* @found: the envelopes (GBytes) of the records the broker holds as its retained message on their
 * terminal's command topic; NULL when the broker could not be asked (a refused subscription, no
 * answer within a minute: an ACL that drops the marker). */
typedef void (*FfRemoteCheckDone) (GPtrArray  *records,
                                   GHashTable *found,
                                   gpointer    user_data);

/* Starts the check of @records (FfRemoteCommandRecords, kept by reference) on a connection of its
 * own in the thread-default main context; @done runs once, from the main loop, and may free the
 * check. */
FfRemoteCheck *ff_remote_check_start (const FfMqttSettings *settings,
                                      GPtrArray            *records,
                                      FfRemoteCheckDone     done,
                                      gpointer              user_data,
                                      GError              **error);
void           ff_remote_check_free  (FfRemoteCheck        *check);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfRemoteCheck, ff_remote_check_free)

G_END_DECLS
