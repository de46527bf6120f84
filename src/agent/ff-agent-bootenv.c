/* The U-Boot environment through libubootenv (see ff-agent-bootenv.h), and the power cut in the
 * middle of its write that the fault hook simulates. */
#include "config.h"

#include "ff-agent-bootenv.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <libuboot.h>
#include <stdarg.h>

#include "ff-agent-config.h"
#include "ff-agent-fault.h"
#include "ff-agent-files.h"
#include "ff-env-tear.h"

struct _FfAgentBootEnv
{
  struct uboot_ctx *ctx;
  char *config_path;
};

static gboolean
env_error (GError **error, const char *what, int code)
{
  g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_IO,
               /* TRANSLATORS: "Boot environment (/root/fw_env.config): cannot store: I/O error" */
               _("Boot environment: %s: %s"), what, g_strerror (code < 0 ? -code : code));
  return FALSE;
}

FfAgentBootEnv *
ff_agent_bootenv_open (const char *config_path, GError **error)
{
  g_autoptr(FfAgentBootEnv) env = g_new0 (FfAgentBootEnv, 1);
  int result;

  env->config_path = g_strdup (config_path);
  result = libuboot_initialize (&env->ctx, NULL);
  if (result < 0)
    return env_error (error, config_path, result), NULL;
  result = libuboot_read_config (env->ctx, config_path);
  if (result < 0)
    return env_error (error, config_path, result), NULL;
  /* -ENODATA: no copy has a valid CRC yet; the environment starts empty and the first store
   * makes one. */
  result = libuboot_open (env->ctx);
  if (result < 0 && result != -ENODATA)
    return env_error (error, config_path, result), NULL;
  return g_steal_pointer (&env);
}

void
ff_agent_bootenv_close (FfAgentBootEnv *env)
{
  if (env == NULL)
    return;
  if (env->ctx != NULL)
    {
      libuboot_close (env->ctx);
      libuboot_exit (env->ctx);
    }
  g_free (env->config_path);
  g_free (env);
}

char *
ff_agent_bootenv_get (FfAgentBootEnv *env, const char *name)
{
  char *value = libuboot_get_env (env->ctx, name);
  char *copy = g_strdup (value);

  free (value);
  return copy;
}

gboolean
ff_agent_bootenv_store (FfAgentBootEnv *env, GError **error, const char *first_name, ...)
{
  g_autoptr(FfEnvTear) tear = NULL;
  va_list args;
  int result = 0;

  va_start (args, first_name);
  for (const char *name = first_name; name != NULL && result == 0;
       name = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      result = libuboot_set_env (env->ctx, name, value);
      if (result < 0)
        g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_IO,
                     _("Boot environment: cannot set %s: %s"), name, g_strerror (-result));
    }
  va_end (args);
  if (result < 0)
    return FALSE;

  if (ff_agent_fault_env_write_cut ())
    tear = ff_env_tear_before_store (env->config_path);
  result = libuboot_env_store (env->ctx);
  if (result < 0)
    return env_error (error, _("cannot store"), result);
  if (tear != NULL)
    {
      /* The power goes off while libubootenv writes the copy that changed. */
      ff_env_tear_changed_copy (tear);
      ff_agent_fault_power_cut ();
    }
  return TRUE;
}
