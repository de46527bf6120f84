/* A power cut in the middle of a redundant U-Boot environment write, simulated for tests (the
 * agent's fault hook and the simulated bootloader's): the copies a libubootenv configuration names
 * are taken before a store; after it, the copy the store changed keeps its new bytes only up to
 * the middle of the changed range, as if the power went off half way through writing it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FfEnvTear FfEnvTear;

/* The copies named in @fw_env_config (the first word of each line that is not a comment), as
 * they are now. */
FfEnvTear *ff_env_tear_before_store (const char *fw_env_config);
/* TRUE when a copy changed since ff_env_tear_before_store() (a store happened). */
gboolean   ff_env_tear_any_changed  (FfEnvTear  *tear);
/* Tears the copy that changed since ff_env_tear_before_store() (synced); FALSE when none did. */
gboolean   ff_env_tear_changed_copy (FfEnvTear  *tear);
void       ff_env_tear_free         (FfEnvTear  *tear);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfEnvTear, ff_env_tear_free)

G_END_DECLS
