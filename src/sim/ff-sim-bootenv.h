/* The simulated terminal's U-Boot environment: two files named by a fw_env.config (a redundant
 * environment), read and written with libubootenv exactly as the agent does. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FfSimBootEnv FfSimBootEnv;

/* Size of each copy of the environment the simulator creates (fw_env.config's third column). */
#define FF_SIM_BOOT_ENV_SIZE 0x4000

/* Writes `config` naming `copy0` and `copy1`, creates both copies with the variables of
 * `assignments` ("name=value" each) and stores them twice, so both copies are valid. */
gboolean      ff_sim_boot_env_create (const char         *config,
                                      const char         *copy0,
                                      const char         *copy1,
                                      const char * const *assignments,
                                      GError            **error);
/* Loads the newest valid copy. When neither copy is valid it returns an empty environment and
 * sets *valid to FALSE: U-Boot then runs on its built-in default environment. */
FfSimBootEnv *ff_sim_boot_env_open   (const char         *config,
                                      gboolean           *valid,
                                      GError            **error);
/* The value of `name` (a new string), or NULL when it is not set. */
char         *ff_sim_boot_env_get    (FfSimBootEnv       *env,
                                      const char         *name);
/* An unsigned number from the environment; `fallback` when it is not set or not a number. */
guint64       ff_sim_boot_env_get_number (FfSimBootEnv   *env,
                                          const char     *name,
                                          guint64         fallback);
void          ff_sim_boot_env_set    (FfSimBootEnv       *env,
                                      const char         *name,
                                      const char         *value);
/* One libubootenv store: writes the other copy and makes it the current one. */
gboolean      ff_sim_boot_env_store  (FfSimBootEnv       *env,
                                      GError            **error);
void          ff_sim_boot_env_free   (FfSimBootEnv       *env);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfSimBootEnv, ff_sim_boot_env_free)

G_END_DECLS
