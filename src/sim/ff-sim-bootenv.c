/* The simulated U-Boot environment through libubootenv, the library the agent uses on the other
 * side: the bootloader loop reads and writes the very bytes the agent does. */
#include "config.h"

#include "ff-sim-bootenv.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <libuboot.h>
#include <stdlib.h>

#include "ff-sim-error.h"

struct _FfSimBootEnv
{
  struct uboot_ctx *ctx;
  char             *config;
};

static gboolean
uboot_failed (GError     **error,
              const char  *config,
              int          status)
{
  g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_DEVICE,
               _("The boot environment of %s cannot be used: %s"), config,
               g_strerror (status < 0 ? -status : EIO));
  return FALSE;
}

FfSimBootEnv *
ff_sim_boot_env_open (const char  *config,
                      gboolean    *valid,
                      GError     **error)
{
  FfSimBootEnv *env = g_new0 (FfSimBootEnv, 1);
  int status;

  env->config = g_strdup (config);
  status = libuboot_initialize (&env->ctx, NULL);
  if (status == 0)
    status = libuboot_read_config (env->ctx, config);
  if (status != 0)
    {
      uboot_failed (error, config, status);
      ff_sim_boot_env_free (env);
      return NULL;
    }
  /* A failed open leaves an empty environment that can still be set and stored: that is how U-Boot
   * goes on with its default environment when both copies are damaged. */
  *valid = libuboot_open (env->ctx) == 0;
  return env;
}

char *
ff_sim_boot_env_get (FfSimBootEnv *env,
                     const char   *name)
{
  char *value = libuboot_get_env (env->ctx, name);
  char *copy = g_strdup (value);

  free (value);
  return copy;
}

guint64
ff_sim_boot_env_get_number (FfSimBootEnv *env,
                            const char   *name,
                            guint64       fallback)
{
  g_autofree char *text = ff_sim_boot_env_get (env, name);
  guint64 number;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &number, NULL))
    return fallback;
  return number;
}

void
ff_sim_boot_env_set (FfSimBootEnv *env,
                     const char   *name,
                     const char   *value)
{
  libuboot_set_env (env->ctx, name, value);
}

gboolean
ff_sim_boot_env_store (FfSimBootEnv  *env,
                       GError       **error)
{
  int status = libuboot_env_store (env->ctx);

  return status == 0 || uboot_failed (error, env->config, status);
}

void
ff_sim_boot_env_free (FfSimBootEnv *env)
{
  if (env->ctx != NULL)
    {
      libuboot_close (env->ctx);
      libuboot_exit (env->ctx);
    }
  g_free (env->config);
  g_free (env);
}

static gboolean
create_copy (const char  *path,
             GError     **error)
{
  /* libubootenv writes into an existing file of the environment's size; zeros are no valid copy. */
  g_autofree char *zeros = g_malloc0 (FF_SIM_BOOT_ENV_SIZE);

  return g_file_set_contents_full (path, zeros, FF_SIM_BOOT_ENV_SIZE,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

gboolean
ff_sim_boot_env_create (const char         *config,
                        const char         *copy0,
                        const char         *copy1,
                        const char * const *assignments,
                        GError            **error)
{
  g_autofree char *text = g_strdup_printf ("# fieldflash-sim: a redundant U-Boot environment in two "
                                           "files\n%s 0x0 0x%x\n%s 0x0 0x%x\n",
                                           copy0, FF_SIM_BOOT_ENV_SIZE,
                                           copy1, FF_SIM_BOOT_ENV_SIZE);
  g_autoptr(FfSimBootEnv) env = NULL;
  gboolean valid;

  if (!g_file_set_contents_full (config, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error)
      || !create_copy (copy0, error) || !create_copy (copy1, error))
    return FALSE;
  env = ff_sim_boot_env_open (config, &valid, error);
  if (env == NULL)
    return FALSE;
  for (const char * const *a = assignments; *a != NULL; a++)
    {
      g_auto(GStrv) pair = g_strsplit (*a, "=", 2);

      ff_sim_boot_env_set (env, pair[0], pair[1]);
    }
  /* Twice: each store writes one copy. */
  return ff_sim_boot_env_store (env, error) && ff_sim_boot_env_store (env, error);
}
