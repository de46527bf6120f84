/* The U-Boot environment through libubootenv (see ff-agent-bootenv.h), and the power cut in the
 * middle of its write that the fault hook simulates. */
#include "config.h"

#include "ff-agent-bootenv.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <libuboot.h>
#include <stdarg.h>
#include <string.h>

#include "ff-agent-config.h"
#include "ff-agent-fault.h"
#include "ff-agent-files.h"

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

/* The files fw_env.config names: the first word of each line that is not a comment. */
static GPtrArray *
env_copies (const char *config_path)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_get_contents (config_path, &contents, NULL, NULL))
    return paths;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit_set (g_strstrip (lines[i]), " \t", 2);

      if (words[0] != NULL && words[0][0] != '\0' && words[0][0] != '#')
        g_ptr_array_add (paths, g_strdup (words[0]));
    }
  return paths;
}

/* Simulates the power going off while libubootenv wrote the copy that changed: that copy keeps the
 * new bytes only up to the middle of the changed range, then the process dies. */
static void
tear_changed_copy (GPtrArray *paths, GPtrArray *before)
{
  for (guint i = 0; i < paths->len; i++)
    {
      GBytes *old = g_ptr_array_index (before, i);
      g_autofree char *new_data = NULL;
      gsize new_length, old_length;
      const char *old_data = g_bytes_get_data (old, &old_length);
      gsize first = 0, last;

      if (!g_file_get_contents (g_ptr_array_index (paths, i), &new_data, &new_length, NULL)
          || new_length != old_length || memcmp (new_data, old_data, new_length) == 0)
        continue;
      while (new_data[first] == old_data[first])
        first++;
      last = new_length - 1;
      while (new_data[last] == old_data[last])
        last--;
      memcpy (new_data + (first + last + 1) / 2, old_data + (first + last + 1) / 2,
              new_length - (first + last + 1) / 2);
      g_file_set_contents_full (g_ptr_array_index (paths, i), new_data, new_length,
                                G_FILE_SET_CONTENTS_DURABLE, 0600, NULL);
    }
  ff_agent_fault_power_cut ();
}

gboolean
ff_agent_bootenv_store (FfAgentBootEnv *env, GError **error, const char *first_name, ...)
{
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GPtrArray) before = NULL;
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
    {
      copies = env_copies (env->config_path);
      before = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      for (guint i = 0; i < copies->len; i++)
        {
          char *data = NULL;
          gsize length = 0;

          g_file_get_contents (g_ptr_array_index (copies, i), &data, &length, NULL);
          g_ptr_array_add (before, g_bytes_new_take (data, length));
        }
    }
  result = libuboot_env_store (env->ctx);
  if (result < 0)
    return env_error (error, _("cannot store"), result);
  if (copies != NULL)
    tear_changed_copy (copies, before);
  return TRUE;
}
