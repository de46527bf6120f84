/* fieldflash-agent: the daemon of a networked terminal. It takes signed commands (MQTT, or the
 * scheduled query), runs the persisted state machine of an upgrade and reports signed results. */
#pragma once

#include <glib.h>

#include "ff-agent-config.h"

G_BEGIN_DECLS

/* Exit statuses of fieldflash-agent. */
#define FF_AGENT_EXIT_STOPPED 0      /* SIGTERM or SIGINT */
#define FF_AGENT_EXIT_FAILED 1       /* could not start or keep its record: a crash */
#define FF_AGENT_EXIT_REBOOT 10      /* a reboot is requested */

typedef struct _FfAgent FfAgent;

/* Takes @config. In @recovery_mode the agent runs as the recovery system: no network, only the
 * recovery steps of the upgrade in progress. */
FfAgent *ff_agent_new   (FfAgentConfig  *config,
                         gboolean        recovery_mode,
                         GError        **error);
void     ff_agent_free  (FfAgent        *agent);
/* Runs until stopped or a reboot is requested; returns the exit status. */
int      ff_agent_run   (FfAgent        *agent);
void     ff_agent_stop  (FfAgent        *agent);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfAgent, ff_agent_free)

G_END_DECLS
