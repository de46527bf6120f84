/* Program backups and installs, parameter backups, running versions (see ff-agent-programs.h). */
#include "config.h"

#include "ff-agent-programs.h"

#include <gio/gio.h>
#include <stdint.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>

#include "ff-agent-files.h"

#define VERSION_TIMEOUT_SECONDS 10

typedef struct
{
  gboolean done;
  gboolean timed_out;
} VersionRun;

static void
on_version_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VersionRun *run = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  run->done = TRUE;
}

static gboolean
on_version_timeout (gpointer user_data)
{
  VersionRun *run = user_data;

  run->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

char *
ff_agent_program_version (FfAgentConfig *config, const char *program_path, GError **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autoptr(GBytes) output = NULL;
  GInputStream *stdout_pipe;
  VersionRun run = { FALSE, FALSE };
  gsize length;
  char *text;

  g_main_context_push_thread_default (context);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                              error, program_path, config->version_command, NULL);
  if (process == NULL)
    {
      g_main_context_pop_thread_default (context);
      return NULL;
    }
  g_subprocess_wait_async (process, NULL, on_version_exited, &run);
  timeout = g_timeout_source_new_seconds (VERSION_TIMEOUT_SECONDS);
  g_source_set_callback (timeout, on_version_timeout, &run, NULL);
  g_source_attach (timeout, context);
  while (!run.done && !run.timed_out)
    g_main_context_iteration (context, TRUE);
  if (!run.done)
    {
      g_subprocess_force_exit (process);
      while (!run.done)
        g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);

  if (run.timed_out || !g_subprocess_get_if_exited (process)
      || g_subprocess_get_exit_status (process) != 0)
    {
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                   _("%s %s did not exit with status 0."), program_path, config->version_command);
      return NULL;
    }
  stdout_pipe = g_subprocess_get_stdout_pipe (process);
  output = g_input_stream_read_bytes (stdout_pipe, 4096, NULL, error);
  if (output == NULL)
    return NULL;
  text = g_strstrip (g_strndup (g_bytes_get_data (output, &length), g_bytes_get_size (output)));
  if (*text == '\0' || !g_utf8_validate (text, -1, NULL))
    {
      g_free (text);
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                   _("%s %s printed no version."), program_path, config->version_command);
      return NULL;
    }
  return text;
}

char *
ff_agent_program_backup_path (FfAgentConfig *config, FfAgentProgram program)
{
  g_autofree char *name = g_path_get_basename (config->programs[program]);

  return g_build_filename (config->program_backups[program], name, NULL);
}

gboolean
ff_agent_program_backup (FfAgentConfig *config, FfAgentProgram program, GError **error)
{
  g_autofree char *backup = ff_agent_program_backup_path (config, program);

  return ff_agent_copy_file (config->programs[program], backup, 0755, error);
}

gboolean
ff_agent_program_install (FfAgentConfig *config, FfAgentProgram program, const char *staged_path,
                          GError **error)
{
  return ff_agent_copy_file (staged_path, config->programs[program], 0755, error);
}

gboolean
ff_agent_program_restore (FfAgentConfig *config, FfAgentProgram program, GError **error)
{
  g_autofree char *backup = ff_agent_program_backup_path (config, program);

  if (!g_file_test (backup, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                   _("There is no backup of the %s to restore."),
                   ff_agent_program_name (program));
      return FALSE;
    }
  return ff_agent_copy_file (backup, config->programs[program], 0755, error);
}

static char *
params_backup_path (FfAgentConfig *config, const char *file)
{
  g_autofree char *name = g_path_get_basename (file);

  return g_build_filename (config->parameter_backup, name, NULL);
}

gboolean
ff_agent_params_backup (FfAgentConfig *config, GError **error)
{
  for (guint i = 0; config->parameter_files[i] != NULL; i++)
    {
      g_autofree char *backup = params_backup_path (config, config->parameter_files[i]);

      if (!ff_agent_copy_file (config->parameter_files[i], backup, 0600, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
ff_agent_params_restore (FfAgentConfig *config, GError **error)
{
  for (guint i = 0; config->parameter_files[i] != NULL; i++)
    {
      g_autofree char *backup = params_backup_path (config, config->parameter_files[i]);

      /* Copy only what differs, so a restore after a power cut does not rewrite good files. */
      if (!ff_agent_files_equal (backup, config->parameter_files[i])
          && !ff_agent_copy_file (backup, config->parameter_files[i], 0644, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
ff_agent_params_intact (FfAgentConfig *config, GError **error)
{
  for (guint i = 0; config->parameter_files[i] != NULL; i++)
    {
      g_autofree char *backup = params_backup_path (config, config->parameter_files[i]);

      if (!ff_agent_files_equal (backup, config->parameter_files[i]))
        {
          g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                       _("The parameter file %s is missing or differs from its backup."),
                       config->parameter_files[i]);
          return FALSE;
        }
    }
  return TRUE;
}

char *
ff_agent_running_versions_stamp (FfAgentConfig *config)
{
  GString *stamp = g_string_new (NULL);
  const char *paths[FF_AGENT_N_PROGRAMS + 1];

  paths[0] = config->running_versions;
  for (guint i = 0; i < FF_AGENT_N_PROGRAMS; i++)
    paths[i + 1] = config->programs[i];
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      struct stat info;

      if (stat (paths[i], &info) != 0)
        g_string_append (stamp, "-;");
      else
        g_string_append_printf (stamp, "%ju:%ju:%jd:%jd.%09ld;", (uintmax_t) info.st_dev,
                                (uintmax_t) info.st_ino, (intmax_t) info.st_size,
                                (intmax_t) info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
    }
  return g_string_free (stamp, FALSE);
}

GHashTable *
ff_agent_running_versions (FfAgentConfig *config)
{
  GHashTable *versions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GKeyFile) running = g_key_file_new ();

  if (g_key_file_load_from_file (running, config->running_versions, G_KEY_FILE_NONE, NULL))
    for (guint i = 0; i < 3; i++)
      {
        static const char *const keys[] = { "kernel", "rootfs", "slot" };
        char *value = g_key_file_get_string (running, "versions", keys[i], NULL);

        if (value != NULL)
          g_hash_table_insert (versions, g_strdup (keys[i]), value);
      }
  for (guint i = 0; i < FF_AGENT_N_PROGRAMS; i++)
    {
      char *version = ff_agent_program_version (config, config->programs[i], NULL);

      if (version != NULL)
        g_hash_table_insert (versions, g_strdup (ff_agent_program_name (i)), version);
    }
  return versions;
}
