/* A fleet of simulated terminals: fleet files, scenario files and trainer commands, and one log
 * stream for all of them. */
#include "config.h"

#include "ff-sim-fleet.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "ff-address.h"
#include "ff-sim-error.h"
#include "iec104-apci.h"

#define DEFAULT_SPONTANEOUS_MS 5000
#define DEFAULT_HOST "127.0.0.1"
#define FLEET_GROUP "fleet"
#define TERMINAL_GROUP_PREFIX "terminal "

struct _FfSimFleet
{
  GObject    parent_instance;

  GPtrArray *terminals;   /* FfSimTerminal */
  char      *state_dir;
  gint       boot_time_ms;
  guint      spontaneous_ms;
};

G_DEFINE_FINAL_TYPE (FfSimFleet, ff_sim_fleet, G_TYPE_OBJECT)

enum
{
  SIGNAL_LOG,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
forward_log (FfSimTerminal *terminal,
             const char    *line,
             FfSimFleet    *fleet)
{
  g_signal_emit (fleet, signals[SIGNAL_LOG], 0, line);
}

FfSimFleet *
ff_sim_fleet_new (void)
{
  return g_object_new (FF_TYPE_SIM_FLEET, NULL);
}

void
ff_sim_fleet_set_state_dir (FfSimFleet *fleet,
                            const char *state_dir)
{
  g_free (fleet->state_dir);
  fleet->state_dir = g_strdup (state_dir);
}

void
ff_sim_fleet_set_boot_time (FfSimFleet *fleet,
                            gint        boot_time_ms)
{
  fleet->boot_time_ms = boot_time_ms;
}

void
ff_sim_fleet_set_spontaneous_interval (FfSimFleet *fleet,
                                       guint       interval_ms)
{
  fleet->spontaneous_ms = interval_ms;
}

/* Device IDs name the state files, so they stay plain. */
static gboolean
device_id_is_valid (const char *id)
{
  if (id == NULL || id[0] == '\0' || id[0] == '.' || strlen (id) > 64)
    return FALSE;
  for (const char *c = id; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      return FALSE;
  return TRUE;
}

FfSimTerminal *
ff_sim_fleet_add_terminal (FfSimFleet                *fleet,
                           const FfSimTerminalConfig *config,
                           GError                   **error)
{
  FfSimTerminalConfig with_fleet_settings = *config;
  FfSimTerminal *terminal;

  if (!device_id_is_valid (config->device_id))
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FLEET,
                   _("“%s” is not a valid device ID (letters, digits, “-”, “_” and “.”)"),
                   config->device_id != NULL ? config->device_id : "");
      return NULL;
    }
  if (ff_sim_fleet_get_terminal (fleet, config->device_id) != NULL)
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FLEET,
                   _("Device ID %s appears twice in the fleet"), config->device_id);
      return NULL;
    }
  if (!isfinite (config->latitude) || fabs (config->latitude) > 90.0
      || !isfinite (config->longitude) || fabs (config->longitude) > 180.0)
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FLEET,
                   _("Terminal %s: the position is out of range"), config->device_id);
      return NULL;
    }
  with_fleet_settings.state_dir = fleet->state_dir;
  with_fleet_settings.boot_time_ms = fleet->boot_time_ms;
  with_fleet_settings.spontaneous_ms = fleet->spontaneous_ms;
  terminal = ff_sim_terminal_new (&with_fleet_settings, error);
  if (terminal == NULL)
    return NULL;
  g_signal_connect_object (terminal, "log", G_CALLBACK (forward_log), fleet, 0);
  g_ptr_array_add (fleet->terminals, terminal);
  return terminal;
}

static gboolean
fleet_error (GError     **error,
             const char  *path,
             const char  *group,
             const char  *reason)
{
  g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FLEET,
               _("Fleet file %s, [%s]: %s"), path, group, reason);
  return FALSE;
}

static gboolean
get_double (GKeyFile    *file,
            const char  *group,
            const char  *key,
            double      *value,
            const char  *path,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  *value = g_key_file_get_double (file, group, key, &local_error);
  if (local_error != NULL)
    return fleet_error (error, path, group, local_error->message);
  return TRUE;
}

static gboolean
get_port (GKeyFile    *file,
          const char  *group,
          const char  *key,
          guint16      fallback,
          guint16     *port,
          const char  *path,
          GError     **error)
{
  g_autofree char *text = g_key_file_get_string (file, group, key, NULL);

  *port = fallback;
  if (text != NULL && !ff_listen_port_parse (g_strstrip (text), port))
    {
      g_autofree char *reason = g_strdup_printf (_("%s=%s is not a port number"), key, text);
      return fleet_error (error, path, group, reason);
    }
  return TRUE;
}

/* All or nothing: takes back the terminals a file or the flags added before one failed. */
static void
remove_terminals (FfSimFleet *fleet,
                  GPtrArray  *added)
{
  for (guint a = 0; a < added->len; a++)
    g_ptr_array_remove (fleet->terminals, g_ptr_array_index (added, a));
}

typedef struct
{
  FfSimTerminalConfig config;
  char               *group;
  char               *version;
  char               *vendor;
  char               *model;
  char               *type;
  char               *hardware;
  char               *host;
} FleetEntry;

static void
fleet_entry_free (gpointer data)
{
  FleetEntry *entry = data;

  g_clear_pointer (&entry->config.profile, ff_profile_unref);
  g_free (entry->group);
  g_free (entry->version);
  g_free (entry->vendor);
  g_free (entry->model);
  g_free (entry->type);
  g_free (entry->hardware);
  g_free (entry->host);
  g_free (entry);
}

gboolean
ff_sim_fleet_load_file (FfSimFleet  *fleet,
                        const char  *path,
                        GError     **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (fleet_entry_free);
  g_autoptr(GPtrArray) added = g_ptr_array_new ();
  g_auto(GStrv) groups = NULL;
  g_autofree char *default_profile = NULL;
  g_autofree char *default_host = NULL;
  guint16 first_port;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FLEET, _("Fleet file %s: %s"), path,
                   local_error->message);
      return FALSE;
    }
  default_profile = g_key_file_get_string (file, FLEET_GROUP, "profile", NULL);
  default_host = g_key_file_get_string (file, FLEET_GROUP, "host", NULL);
  if (!get_port (file, FLEET_GROUP, "first-port", IEC104_TCP_PORT, &first_port, path, error))
    return FALSE;

  groups = g_key_file_get_groups (file, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      const char *group = groups[g];
      FleetEntry *entry;
      g_autofree char *profile_name = NULL;
      guint16 fallback_port;

      if (g_str_equal (group, FLEET_GROUP))
        continue;
      if (!g_str_has_prefix (group, TERMINAL_GROUP_PREFIX))
        return fleet_error (error, path, group,
                            _("unknown group (expected [fleet] or [terminal ID])"));

      entry = g_new0 (FleetEntry, 1);
      g_ptr_array_add (entries, entry);
      entry->group = g_strdup (group + strlen (TERMINAL_GROUP_PREFIX));
      entry->config.device_id = entry->group;
      entry->version = g_key_file_get_string (file, group, "version", NULL);
      entry->vendor = g_key_file_get_string (file, group, "vendor", NULL);
      entry->model = g_key_file_get_string (file, group, "model", NULL);
      entry->type = g_key_file_get_string (file, group, "type", NULL);
      entry->hardware = g_key_file_get_string (file, group, "hardware", NULL);
      entry->host = g_key_file_get_string (file, group, "host", NULL);
      entry->config.version = entry->version;
      entry->config.vendor = entry->vendor;
      entry->config.model = entry->model;
      entry->config.type = entry->type;
      entry->config.hardware_version = entry->hardware;
      entry->config.host = entry->host != NULL ? entry->host : default_host;
      if (!get_double (file, group, "latitude", &entry->config.latitude, path, error)
          || !get_double (file, group, "longitude", &entry->config.longitude, path, error))
        return FALSE;
      /* first-port 0 gives every terminal any free port; otherwise consecutive ports. */
      fallback_port = first_port == 0 ? 0 : (guint16) (first_port + entries->len - 1);
      if (!get_port (file, group, "port", fallback_port, &entry->config.port, path, error))
        return FALSE;
      profile_name = g_key_file_get_string (file, group, "profile", NULL);
      entry->config.profile = ff_profile_load (profile_name != NULL ? profile_name
                                               : default_profile != NULL ? default_profile
                                               : FF_PROFILE_DEFAULT_NAME, &local_error);
      if (entry->config.profile == NULL)
        return fleet_error (error, path, group, local_error->message);
    }

  for (guint i = 0; i < entries->len; i++)
    {
      FleetEntry *entry = g_ptr_array_index (entries, i);
      FfSimTerminal *terminal = ff_sim_fleet_add_terminal (fleet, &entry->config, error);

      if (terminal == NULL)
        {
          remove_terminals (fleet, added);
          return FALSE;
        }
      g_ptr_array_add (added, terminal);
    }
  return TRUE;
}

/* The core's address parser, port 0 taken as any free port; a bad address is a fleet error so the
 * program answers it as a usage error, in the core's words. */
static gboolean
parse_listen (const char  *listen,
              char       **host,
              guint16     *port,
              GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!ff_listen_address_parse (listen, IEC104_TCP_PORT, host, port, &local_error))
    {
      g_set_error_literal (error, FF_SIM_ERROR, FF_SIM_ERROR_FLEET, local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
ff_sim_fleet_add_terminals (FfSimFleet                *fleet,
                            const FfSimTerminalConfig *config,
                            const char * const        *device_ids,
                            const char * const        *listens,
                            GError                   **error)
{
  guint n_listens = listens != NULL ? g_strv_length ((char **) listens) : 0;
  g_autoptr(GPtrArray) added = g_ptr_array_new ();
  g_autofree char *host = g_strdup (DEFAULT_HOST);
  guint port = IEC104_TCP_PORT;

  if (n_listens > g_strv_length ((char **) device_ids))
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FLEET,
                   _("More --listen addresses than terminals: give an --id for each --listen"));
      return FALSE;
    }
  for (guint i = 0; device_ids[i] != NULL; i++)
    {
      FfSimTerminalConfig terminal_config = *config;
      FfSimTerminal *terminal = NULL;

      if (i < n_listens)
        {
          guint16 given;

          g_clear_pointer (&host, g_free);
          if (!parse_listen (listens[i], &host, &given, error))
            goto failed;
          port = given;
        }
      else if (i > 0 && port != 0 && ++port > G_MAXUINT16)
        {
          g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FLEET,
                       _("Terminal %s has no port after 65535: give it its own --listen"),
                       device_ids[i]);
          goto failed;
        }
      terminal_config.device_id = device_ids[i];
      terminal_config.host = host;
      terminal_config.port = (guint16) port;
      terminal = ff_sim_fleet_add_terminal (fleet, &terminal_config, error);
      if (terminal == NULL)
        goto failed;
      g_ptr_array_add (added, terminal);
    }
  return TRUE;

failed:
  remove_terminals (fleet, added);
  return FALSE;
}

gboolean
ff_sim_fleet_start (FfSimFleet  *fleet,
                    GError     **error)
{
  for (guint i = 0; i < fleet->terminals->len; i++)
    if (!ff_sim_terminal_start (g_ptr_array_index (fleet->terminals, i), error))
      {
        ff_sim_fleet_stop (fleet);
        return FALSE;
      }
  return TRUE;
}

void
ff_sim_fleet_stop (FfSimFleet *fleet)
{
  for (guint i = 0; i < fleet->terminals->len; i++)
    ff_sim_terminal_stop (g_ptr_array_index (fleet->terminals, i));
}

FfSimTerminal *
ff_sim_fleet_get_terminal (FfSimFleet *fleet,
                           const char *device_id)
{
  for (guint i = 0; i < fleet->terminals->len; i++)
    {
      FfSimTerminal *terminal = g_ptr_array_index (fleet->terminals, i);

      if (g_strcmp0 (ff_sim_terminal_get_device_id (terminal), device_id) == 0)
        return terminal;
    }
  return NULL;
}

gboolean
ff_sim_fleet_load_scenario_file (FfSimFleet  *fleet,
                                 const char  *path,
                                 GError     **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GPtrArray) scenarios = g_ptr_array_new_with_free_func (
    (GDestroyNotify) ff_sim_scenario_free);

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error))
    return FALSE;
  /* Parse all first, so a bad file changes nothing. */
  for (guint i = 0; i < fleet->terminals->len; i++)
    {
      FfSimTerminal *terminal = g_ptr_array_index (fleet->terminals, i);
      FfSimScenario *scenario = ff_sim_scenario_from_key_file (
        file, ff_sim_terminal_get_device_id (terminal), error);

      if (scenario == NULL)
        return FALSE;
      g_ptr_array_add (scenarios, scenario);
    }
  for (guint i = 0; i < fleet->terminals->len; i++)
    ff_sim_terminal_set_scenario (g_ptr_array_index (fleet->terminals, i),
                                  g_ptr_array_index (scenarios, i));
  return TRUE;
}

gboolean
ff_sim_fleet_set_scenario (FfSimFleet           *fleet,
                           const char           *device_id,
                           const FfSimScenario  *scenario,
                           GError              **error)
{
  FfSimTerminal *terminal = ff_sim_fleet_get_terminal (fleet, device_id);

  if (terminal == NULL)
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_SCENARIO,
                   _("No terminal %s in the fleet"), device_id);
      return FALSE;
    }
  ff_sim_terminal_set_scenario (terminal, scenario);
  return TRUE;
}

gboolean
ff_sim_fleet_run_command (FfSimFleet  *fleet,
                          const char  *line,
                          GError     **error)
{
  g_auto(GStrv) words = NULL;
  g_autoptr(FfSimScenario) scenario = NULL;

  if (!g_shell_parse_argv (line, NULL, &words, NULL) || !g_str_equal (words[0], "scenario")
      || g_strv_length (words) < 3)
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_SCENARIO,
                   _("Unknown command “%s” (try: scenario DTU-0001 checksum-error segment=3)"),
                   line);
      return FALSE;
    }
  scenario = ff_sim_scenario_parse ((const char * const *) words + 2, error);
  return scenario != NULL && ff_sim_fleet_set_scenario (fleet, words[1], scenario, error);
}

static void
ff_sim_fleet_dispose (GObject *object)
{
  FfSimFleet *fleet = FF_SIM_FLEET (object);

  if (fleet->terminals != NULL)
    ff_sim_fleet_stop (fleet);
  g_clear_pointer (&fleet->terminals, g_ptr_array_unref);
  G_OBJECT_CLASS (ff_sim_fleet_parent_class)->dispose (object);
}

static void
ff_sim_fleet_finalize (GObject *object)
{
  FfSimFleet *fleet = FF_SIM_FLEET (object);

  g_free (fleet->state_dir);
  G_OBJECT_CLASS (ff_sim_fleet_parent_class)->finalize (object);
}

static void
ff_sim_fleet_class_init (FfSimFleetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ff_sim_fleet_dispose;
  object_class->finalize = ff_sim_fleet_finalize;

  signals[SIGNAL_LOG] = g_signal_new ("log", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ff_sim_fleet_init (FfSimFleet *fleet)
{
  fleet->terminals = g_ptr_array_new_with_free_func (g_object_unref);
  fleet->boot_time_ms = -1;
  fleet->spontaneous_ms = DEFAULT_SPONTANEOUS_MS;
}
