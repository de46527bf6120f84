/* fieldflash-agent's key file: read once at start, every path checked to be absolute, so the agent
 * never writes anywhere its configuration does not name. */
#include "config.h"

#include "ff-agent-config.h"

#include <glib/gi18n-lib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ff-document.h"

G_DEFINE_QUARK (ff-agent-error-quark, ff_agent_error)

static const char *const image_names[FF_AGENT_N_IMAGES] = { "kernel", "rootfs" };
static const char *const program_names[FF_AGENT_N_PROGRAMS] = { "main-program", "updater" };

const char *
ff_agent_image_name (FfAgentImage image)
{
  return image_names[image];
}

const char *
ff_agent_program_name (FfAgentProgram program)
{
  return program_names[program];
}

gboolean
ff_agent_image_from_name (const char *name, FfAgentImage *image)
{
  for (guint i = 0; i < FF_AGENT_N_IMAGES; i++)
    if (g_strcmp0 (name, image_names[i]) == 0)
      {
        *image = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
ff_agent_program_from_name (const char *name, FfAgentProgram *program)
{
  for (guint i = 0; i < FF_AGENT_N_PROGRAMS; i++)
    if (g_strcmp0 (name, program_names[i]) == 0)
      {
        *program = i;
        return TRUE;
      }
  return FALSE;
}

void
ff_agent_config_free (FfAgentConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->device_id);
  g_free (config->vendor);
  g_free (config->model);
  g_free (config->hardware_version);
  g_free (config->broker_host);
  g_free (config->platform_url);
  g_free (config->credentials);
  g_free (config->data);
  g_clear_pointer (&config->query_times, g_array_unref);
  g_free (config->env_config);
  for (guint i = 0; i < FF_AGENT_N_IMAGES; i++)
    for (guint s = 0; s < 2; s++)
      g_free (config->slots[i][s]);
  g_free (config->running_versions);
  for (guint i = 0; i < FF_AGENT_N_PROGRAMS; i++)
    {
      g_free (config->programs[i]);
      g_free (config->program_backups[i]);
    }
  g_free (config->version_command);
  g_strfreev (config->parameter_files);
  g_free (config->parameter_backup);
  g_free (config);
}

char *
ff_agent_config_data_file (FfAgentConfig *config, const char *first_element, ...)
{
  va_list args;
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();

  g_ptr_array_add (parts, config->data);
  va_start (args, first_element);
  for (const char *part = first_element; part != NULL; part = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) part);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

static gboolean
config_error (GError **error, const char *group, const char *key, const char *why)
{
  g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_CONFIG,
               /* TRANSLATORS: "[boot] layout: must be recovery or ab" */
               _("[%s] %s: %s"), group, key, why);
  return FALSE;
}

static char *
get_string (GKeyFile *file, const char *group, const char *key, gboolean required, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = g_key_file_get_string (file, group, key, &local_error);

  if (value != NULL && *g_strstrip (value) != '\0')
    return g_steal_pointer (&value);
  if (required)
    config_error (error, group, key, _("missing"));
  return NULL;
}

/* An absolute path. With @required FALSE a missing key gives NULL and no error. */
static char *
get_path (GKeyFile *file, const char *group, const char *key, gboolean required, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = get_string (file, group, key, required, &local_error);

  if (value == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!g_path_is_absolute (value))
    {
      config_error (error, group, key, _("must be an absolute path"));
      return NULL;
    }
  return g_canonicalize_filename (value, NULL);
}

static int
compare_minutes (gconstpointer a, gconstpointer b)
{
  return *(const int *) a - *(const int *) b;
}

static gboolean
parse_query_times (const char *text, GArray *times, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ";", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint hour, minute;
      char end;
      int minutes;

      if (*g_strstrip (parts[i]) == '\0')
        continue;
      if (sscanf (parts[i], "%2u:%2u%c", &hour, &minute, &end) != 2 || hour > 23 || minute > 59
          || strlen (parts[i]) != 5)
        return config_error (error, "agent", "query-times",
                             _("times must be HH:MM separated by ';' (for example 02:30;14:30)"));
      minutes = hour * 60 + minute;
      for (guint j = 0; j < times->len; j++)
        if (g_array_index (times, int, j) == minutes)
          return config_error (error, "agent", "query-times", _("a time is named twice"));
      g_array_append_val (times, minutes);
    }
  g_array_sort (times, compare_minutes);
  return TRUE;
}

/* One group's slot key, for both layouts: "kernel" or "kernel-a"/"kernel-b". */
static gboolean
load_slots (GKeyFile *file, FfAgentConfig *config, GError **error)
{
  for (guint i = 0; i < FF_AGENT_N_IMAGES; i++)
    {
      if (config->layout == FF_AGENT_LAYOUT_RECOVERY)
        {
          config->slots[i][0] = get_path (file, "boot", image_names[i], TRUE, error);
          if (config->slots[i][0] == NULL)
            return FALSE;
          continue;
        }
      for (guint s = 0; s < 2; s++)
        {
          g_autofree char *key = g_strdup_printf ("%s-%c", image_names[i], 'a' + s);

          config->slots[i][s] = get_path (file, "boot", key, TRUE, error);
          if (config->slots[i][s] == NULL)
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
load_parameters (GKeyFile *file, FfAgentConfig *config, GError **error)
{
  g_autofree char *files = get_string (file, "parameters", "files", FALSE, NULL);
  g_auto(GStrv) parts = files != NULL ? g_strsplit (files, ";", -1) : g_new0 (char *, 1);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *name = NULL;

      if (*g_strstrip (parts[i]) == '\0')
        continue;
      if (!g_path_is_absolute (parts[i]))
        return config_error (error, "parameters", "files", _("must be absolute paths"));
      /* The backup keeps one file per base name, so two files may not share one. */
      name = g_path_get_basename (parts[i]);
      if (!g_hash_table_add (names, g_steal_pointer (&name)))
        return config_error (error, "parameters", "files",
                             _("two parameter files have the same file name"));
      g_ptr_array_add (paths, g_canonicalize_filename (parts[i], NULL));
    }
  g_ptr_array_add (paths, NULL);
  config->parameter_files = (char **) g_ptr_array_free (g_steal_pointer (&paths), FALSE);
  config->parameter_backup = get_path (file, "parameters", "backup",
                                       config->parameter_files[0] != NULL, error);
  return config->parameter_files[0] == NULL || config->parameter_backup != NULL;
}

FfAgentConfig *
ff_agent_config_load (const char *path, GError **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(FfAgentConfig) config = g_new0 (FfAgentConfig, 1);
  g_autofree char *port = NULL;
  g_autofree char *layout = NULL;
  g_autofree char *times = NULL;
  guint64 port_number;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error))
    return NULL;

  config->device_id = get_string (file, "agent", "device-id", TRUE, error);
  if (config->device_id == NULL)
    return NULL;
  /* The ID is part of every topic name. */
  if (strpbrk (config->device_id, "/+#") != NULL || !ff_name_is_safe (config->device_id))
    return config_error (error, "agent", "device-id",
                         _("may not contain '/', '+', '#' or control characters")), NULL;
  if ((config->vendor = get_string (file, "agent", "vendor", TRUE, error)) == NULL
      || (config->model = get_string (file, "agent", "model", TRUE, error)) == NULL
      || (config->hardware_version = get_string (file, "agent", "hardware-version", TRUE,
                                                 error)) == NULL)
    return NULL;
  config->broker_host = get_string (file, "agent", "broker-host", TRUE, error);
  if (config->broker_host == NULL)
    return NULL;
  if (!ff_host_is_valid (config->broker_host))
    return config_error (error, "agent", "broker-host", _("not a host name or address")), NULL;
  port = get_string (file, "agent", "broker-port", FALSE, NULL);
  if (port == NULL)
    port_number = 8883;
  else if (!g_ascii_string_to_unsigned (port, 10, 1, 65535, &port_number, NULL))
    return config_error (error, "agent", "broker-port", _("must be a port from 1 to 65535")), NULL;
  config->broker_port = port_number;
  config->platform_url = get_string (file, "agent", "platform-url", TRUE, error);
  if (config->platform_url == NULL)
    return NULL;
  if (!g_str_has_prefix (config->platform_url, "https://")
      || !g_uri_is_valid (config->platform_url, G_URI_FLAGS_NONE, NULL))
    return config_error (error, "agent", "platform-url", _("must be an https:// address")), NULL;
  if ((config->credentials = get_path (file, "agent", "credentials", TRUE, error)) == NULL
      || (config->data = get_path (file, "agent", "data", TRUE, error)) == NULL)
    return NULL;
  config->query_times = g_array_new (FALSE, FALSE, sizeof (int));
  times = get_string (file, "agent", "query-times", FALSE, NULL);
  if (times != NULL && !parse_query_times (times, config->query_times, error))
    return NULL;

  layout = get_string (file, "boot", "layout", TRUE, error);
  if (layout == NULL)
    return NULL;
  if (g_str_equal (layout, "recovery"))
    config->layout = FF_AGENT_LAYOUT_RECOVERY;
  else if (g_str_equal (layout, "ab"))
    config->layout = FF_AGENT_LAYOUT_AB;
  else
    return config_error (error, "boot", "layout", _("must be recovery or ab")), NULL;
  if ((config->env_config = get_path (file, "boot", "env-config", TRUE, error)) == NULL
      || !load_slots (file, config, error)
      || (config->running_versions = get_path (file, "boot", "running-versions", TRUE,
                                               error)) == NULL)
    return NULL;

  for (guint i = 0; i < FF_AGENT_N_PROGRAMS; i++)
    {
      g_autofree char *backup_key = g_strconcat (program_names[i], "-backup", NULL);

      if ((config->programs[i] = get_path (file, "programs", program_names[i], TRUE,
                                           error)) == NULL
          || (config->program_backups[i] = get_path (file, "programs", backup_key, TRUE,
                                                     error)) == NULL)
        return NULL;
    }
  config->version_command = get_string (file, "programs", "version-command", FALSE, NULL);
  if (config->version_command == NULL)
    config->version_command = g_strdup ("--version");

  if (!load_parameters (file, config, error))
    return NULL;
  return g_steal_pointer (&config);
}
