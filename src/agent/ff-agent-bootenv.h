/* The U-Boot environment through libubootenv (redundant: two copies, so a torn write leaves the
 * other one valid). Every step writes all its variables in one store. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FfAgentBootEnv FfAgentBootEnv;

/* Opens the environment libubootenv's @config_path (fw_env.config) names. An environment with
 * no valid copy yet opens empty. libubootenv holds a lock while it is open: open it for one step
 * and close it. */
FfAgentBootEnv *ff_agent_bootenv_open  (const char      *config_path,
                                        GError         **error);
void            ff_agent_bootenv_close (FfAgentBootEnv  *env);
/* The variable's value, or NULL when it is not set. */
char           *ff_agent_bootenv_get   (FfAgentBootEnv  *env,
                                        const char      *name);
/* Sets every NAME, VALUE pair (a NULL VALUE deletes NAME) and stores the environment once. */
gboolean        ff_agent_bootenv_store (FfAgentBootEnv  *env,
                                        GError         **error,
                                        const char      *first_name,
                                        ...) G_GNUC_NULL_TERMINATED;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfAgentBootEnv, ff_agent_bootenv_close)

G_END_DECLS
