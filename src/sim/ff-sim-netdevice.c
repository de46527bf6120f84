/* A simulated networked terminal's root: `fieldflash-sim networked init` lays it out, the
 * bootloader loop reads it back from the agent.conf it wrote (the one file both sides share). */
#include "config.h"

#include "ff-sim-netdevice.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ff-sim-bootenv.h"
#include "ff-sim-error.h"
#include "ff-sim-image.h"

#define DEFAULT_VERSION "V1.00"
#define DEFAULT_IMAGE_SIZE 65536

static const char *const slot_suffix[2] = { "-a", "-b" };

static gboolean
device_error (GError     **error,
              const char  *format,
              const char  *argument)
{
  g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_DEVICE, format, argument);
  return FALSE;
}

/* The rule of the platform's credentials: no MQTT topic characters, no spaces or control bytes. */
static gboolean
check_device_id (const char  *id,
                 GError     **error)
{
  if (id == NULL || id[0] == '\0' || strlen (id) > 64 || !g_utf8_validate (id, -1, NULL))
    return device_error (error, _("“%s” is not a valid device ID"), id != NULL ? id : "");
  for (const char *c = id; *c != '\0'; c++)
    if (strchr ("/+# ", *c) != NULL || g_ascii_iscntrl (*c))
      return device_error (error, _("“%s” is not a valid device ID"), id);
  return TRUE;
}

char *
ff_sim_netdevice_program (const char *kind,
                          const char *version,
                          gboolean    healthy)
{
  if (!healthy)
    return g_strdup_printf ("#!/bin/sh\n"
                            "# fieldflash-sim: a simulated %s %s that fails to start.\n"
                            "echo '%s %s: fails to start' >&2\n"
                            "exit 1\n", kind, version, kind, version);
  /* ${0%%/...} is the directory of the program: ROOT/programs when it is installed. */
  return g_strdup_printf ("#!/bin/sh\n"
                          "# fieldflash-sim: a simulated %s %s; it prints its version. It fails on\n"
                          "# a system that booted an image marked health=fails (docs/simulator.md).\n"
                          "versions=\"${0%%/*}/../run/versions\"\n"
                          "if [ -f \"$versions\" ] && grep -qx 'healthy=false' \"$versions\"; then\n"
                          "  echo '%s %s: the system is unhealthy' >&2\n"
                          "  exit 1\n"
                          "fi\n"
                          "echo %s\n", kind, version, kind, version, version);
}

static gboolean
write_file (const char    *root,
            const char    *name,
            const void    *data,
            gssize         len,
            int            mode,
            GError       **error)
{
  g_autofree char *path = g_build_filename (root, name, NULL);

  return g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, mode, error);
}

static gboolean
make_dirs (const char  *root,
           GError     **error)
{
  static const char *const dirs[] = {
    "credentials", "slots", "data", "data/params-backup", "programs", "backup/main-program",
    "backup/updater", "params", "run", NULL
  };

  for (const char *const *d = dirs; *d != NULL; d++)
    {
      g_autofree char *path = g_build_filename (root, *d, NULL);

      if (g_mkdir_with_parents (path, 0755) != 0)
        {
          int saved = errno;
          g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_DEVICE, _("Cannot create %s: %s"), path,
                       g_strerror (saved));
          return FALSE;
        }
    }
  return TRUE;
}

/* The credentials are copied with their modes (the key stays 0600): the root is self-contained. */
static gboolean
copy_credentials (const char  *from,
                  const char  *root,
                  GError     **error)
{
  g_autoptr(GDir) dir = g_dir_open (from, 0, error);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *source = g_build_filename (from, name, NULL);
      g_autofree char *dest = g_build_filename (root, "credentials", name, NULL);
      g_autofree char *contents = NULL;
      gsize len;
      GStatBuf st;

      if (g_stat (source, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      if (!g_file_get_contents (source, &contents, &len, error)
          || !g_file_set_contents_full (dest, contents, (gssize) len,
                                        G_FILE_SET_CONTENTS_CONSISTENT, st.st_mode & 0777, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_slot (const char  *root,
            const char  *name,
            const char  *kind,
            const char  *version,
            gsize        size,
            GError     **error)
{
  g_autoptr(GBytes) image = ff_sim_image_make (kind, version, size, TRUE, error);
  g_autofree char *path = g_build_filename ("slots", name, NULL);

  return image != NULL
         && write_file (root, path, g_bytes_get_data (image, NULL),
                        (gssize) g_bytes_get_size (image), 0644, error);
}

static char *
root_path (const char *root,
           const char *name)
{
  return g_build_filename (root, name, NULL);
}

static void
set_path (GKeyFile   *conf,
          const char *group,
          const char *key,
          const char *root,
          const char *name)
{
  g_autofree char *path = root_path (root, name);

  g_key_file_set_string (conf, group, key, path);
}

static GKeyFile *
agent_config (const FfSimNetdeviceConfig *config,
              const char                 *root)
{
  GKeyFile *conf = g_key_file_new ();
  g_autofree char *params = NULL;
  g_autofree char *app = root_path (root, "params/app.ini");
  g_autofree char *points = root_path (root, "params/points.ini");

  g_key_file_set_string (conf, "agent", "device-id", config->device_id);
  g_key_file_set_string (conf, "agent", "vendor", config->vendor != NULL ? config->vendor : "Acme");
  g_key_file_set_string (conf, "agent", "model",
                         config->model != NULL ? config->model : "DTU-3000");
  g_key_file_set_string (conf, "agent", "hardware-version",
                         config->hardware_version != NULL ? config->hardware_version : "HV1.0");
  g_key_file_set_string (conf, "agent", "broker-host",
                         config->broker_host != NULL ? config->broker_host : "127.0.0.1");
  g_key_file_set_integer (conf, "agent", "broker-port", (gint) config->broker_port);
  g_key_file_set_string (conf, "agent", "platform-url", config->platform_url);
  set_path (conf, "agent", "credentials", root, "credentials");
  set_path (conf, "agent", "data", root, "data");
  if (config->query_times != NULL)
    g_key_file_set_string (conf, "agent", "query-times", config->query_times);

  g_key_file_set_string (conf, "boot", "layout",
                         config->layout == FF_SIM_LAYOUT_AB ? "ab" : "recovery");
  set_path (conf, "boot", "env-config", root, "fw_env.config");
  if (config->layout == FF_SIM_LAYOUT_AB)
    for (guint i = 0; i < 2; i++)
      {
        g_autofree char *kernel_key = g_strconcat ("kernel", slot_suffix[i], NULL);
        g_autofree char *rootfs_key = g_strconcat ("rootfs", slot_suffix[i], NULL);
        g_autofree char *kernel = g_strconcat ("slots/", kernel_key, NULL);
        g_autofree char *rootfs = g_strconcat ("slots/", rootfs_key, NULL);

        set_path (conf, "boot", kernel_key, root, kernel);
        set_path (conf, "boot", rootfs_key, root, rootfs);
      }
  else
    {
      set_path (conf, "boot", "kernel", root, "slots/kernel");
      set_path (conf, "boot", "rootfs", root, "slots/rootfs");
    }
  set_path (conf, "boot", "running-versions", root, "run/versions");

  set_path (conf, "programs", "main-program", root, "programs/main-program");
  set_path (conf, "programs", "main-program-backup", root, "backup/main-program/");
  set_path (conf, "programs", "updater", root, "programs/updater");
  set_path (conf, "programs", "updater-backup", root, "backup/updater/");
  g_key_file_set_string (conf, "programs", "version-command", "--version");

  params = g_strjoin (";", app, points, NULL);
  g_key_file_set_string (conf, "parameters", "files", params);
  set_path (conf, "parameters", "backup", root, "data/params-backup/");
  return conf;
}

static gboolean
check_config (const FfSimNetdeviceConfig *config,
              GError                    **error)
{
  const char *versions[] = { config->kernel_version, config->rootfs_version,
                             config->main_program_version, config->updater_version };

  if (!check_device_id (config->device_id, error))
    return FALSE;
  if (config->broker_port == 0 || config->broker_port > 65535)
    return device_error (error, _("The broker port must be 1 to 65535"), NULL);
  if (config->platform_url == NULL || !g_str_has_prefix (config->platform_url, "https://")
      || !g_uri_is_valid (config->platform_url, G_URI_FLAGS_NONE, NULL))
    return device_error (error, _("“%s” is not an https:// URL of the platform"),
                         config->platform_url != NULL ? config->platform_url : "");
  if (config->credentials == NULL || !g_file_test (config->credentials, G_FILE_TEST_IS_DIR))
    return device_error (error, _("The credentials directory %s does not exist"),
                         config->credentials != NULL ? config->credentials : "");
  for (guint i = 0; i < G_N_ELEMENTS (versions); i++)
    if (versions[i] != NULL && !ff_sim_image_check_version (versions[i], error))
      return FALSE;
  return TRUE;
}

static gboolean
root_is_free (const char  *root,
              GError     **error)
{
  g_autoptr(GDir) dir = NULL;

  if (!g_file_test (root, G_FILE_TEST_EXISTS))
    return TRUE;
  dir = g_dir_open (root, 0, NULL);
  if (dir == NULL || g_dir_read_name (dir) != NULL)
    return device_error (error, _("%s exists and is not an empty directory: nothing was written"),
                         root);
  return TRUE;
}

gboolean
ff_sim_netdevice_init (const FfSimNetdeviceConfig *config,
                       GError                    **error)
{
  /* Every path in agent.conf and fw_env.config is absolute: the agent may run from anywhere. */
  g_autofree char *root = g_canonicalize_filename (config->root, NULL);
  const char *kernel = config->kernel_version != NULL ? config->kernel_version : DEFAULT_VERSION;
  const char *rootfs = config->rootfs_version != NULL ? config->rootfs_version : DEFAULT_VERSION;
  const char *main_version = config->main_program_version != NULL ? config->main_program_version
                                                                   : DEFAULT_VERSION;
  const char *updater_version = config->updater_version != NULL ? config->updater_version
                                                                : DEFAULT_VERSION;
  gsize size = config->image_size != 0 ? config->image_size : DEFAULT_IMAGE_SIZE;
  g_autoptr(GKeyFile) conf = NULL;
  g_autofree char *conf_text = NULL;
  g_autofree char *app = NULL;
  g_autofree char *main_program = ff_sim_netdevice_program ("main-program", main_version, TRUE);
  g_autofree char *updater = ff_sim_netdevice_program ("updater", updater_version, TRUE);
  g_autofree char *env_config = root_path (root, "fw_env.config");
  g_autofree char *env0 = root_path (root, "uboot-env.0");
  g_autofree char *env1 = root_path (root, "uboot-env.1");
  static const char *const recovery_env[] = { "ff_mode=normal", NULL };
  static const char *const ab_env[] = {
    "boot_slot=a", "upgrade_available=0", "bootcount=0", "bootlimit=3", NULL
  };

  if (!check_config (config, error) || !root_is_free (root, error) || !make_dirs (root, error)
      || !copy_credentials (config->credentials, root, error))
    return FALSE;

  if (config->layout == FF_SIM_LAYOUT_AB)
    {
      /* Both slots hold the factory images: either one boots. */
      for (guint i = 0; i < 2; i++)
        {
          g_autofree char *kernel_name = g_strconcat ("kernel", slot_suffix[i], NULL);
          g_autofree char *rootfs_name = g_strconcat ("rootfs", slot_suffix[i], NULL);

          if (!write_slot (root, kernel_name, "kernel", kernel, size, error)
              || !write_slot (root, rootfs_name, "rootfs", rootfs, size, error))
            return FALSE;
        }
    }
  else if (!write_slot (root, "kernel", "kernel", kernel, size, error)
           || !write_slot (root, "rootfs", "rootfs", rootfs, size, error))
    return FALSE;

  app = g_strdup_printf ("# run parameters of the main program\n[device]\nid=%s\n"
                         "[link]\nmaster=192.168.10.1:2404\nt1=15\nt2=10\nt3=20\n",
                         config->device_id);
  conf = agent_config (config, root);
  conf_text = g_key_file_to_data (conf, NULL, NULL);
  return ff_sim_boot_env_create (env_config, env0, env1,
                                 config->layout == FF_SIM_LAYOUT_AB ? ab_env : recovery_env, error)
         && write_file (root, "programs/main-program", main_program, -1, 0755, error)
         && write_file (root, "programs/updater", updater, -1, 0755, error)
         && write_file (root, "params/app.ini", app, -1, 0644, error)
         && write_file (root, "params/points.ini",
                        "# the points the terminal reports\n[points]\nbreaker=1\n"
                        "line_voltage=16385\ncurrent=16386\n", -1, 0644, error)
         /* Last: a root without agent.conf is not a device, so a failed init is never run. */
         && write_file (root, "agent.conf", conf_text, -1, 0644, error);
}

static char *
required_path (GKeyFile    *conf,
               const char  *key,
               const char  *conf_path,
               GError     **error)
{
  char *value = g_key_file_get_string (conf, "boot", key, NULL);

  if (value == NULL || !g_path_is_absolute (value))
    {
      g_free (value);
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_DEVICE,
                   _("%s: [boot] %s must be an absolute path"), conf_path, key);
      return NULL;
    }
  return value;
}

FfSimNetdevice *
ff_sim_netdevice_load (const char  *root,
                       GError     **error)
{
  g_autoptr(FfSimNetdevice) device = g_new0 (FfSimNetdevice, 1);
  g_autofree char *layout = NULL;
  g_autoptr(GError) local = NULL;

  device->root = g_canonicalize_filename (root, NULL);
  root = device->root;
  device->agent_config = root_path (root, "agent.conf");
  device->log = root_path (root, "sim.log");
  device->settings = g_key_file_new ();
  if (!g_key_file_load_from_file (device->settings, device->agent_config, G_KEY_FILE_NONE,
                                  &local))
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_DEVICE,
                   _("%s is not a simulated terminal's root: %s"), root, local->message);
      return NULL;
    }
  layout = g_key_file_get_string (device->settings, "boot", "layout", NULL);
  if (g_strcmp0 (layout, "ab") == 0)
    device->layout = FF_SIM_LAYOUT_AB;
  else if (g_strcmp0 (layout, "recovery") == 0)
    device->layout = FF_SIM_LAYOUT_RECOVERY;
  else
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_DEVICE,
                   _("%s: [boot] layout must be recovery or ab"), device->agent_config);
      return NULL;
    }
  device->env_config = required_path (device->settings, "env-config", device->agent_config, error);
  if (device->env_config == NULL)
    return NULL;
  device->running_versions = required_path (device->settings, "running-versions",
                                            device->agent_config, error);
  if (device->running_versions == NULL)
    return NULL;
  for (guint i = 0; i < (device->layout == FF_SIM_LAYOUT_AB ? 2u : 1u); i++)
    {
      g_autofree char *kernel_key = g_strconcat ("kernel", device->layout == FF_SIM_LAYOUT_AB
                                                 ? slot_suffix[i] : "", NULL);
      g_autofree char *rootfs_key = g_strconcat ("rootfs", device->layout == FF_SIM_LAYOUT_AB
                                                 ? slot_suffix[i] : "", NULL);

      device->kernel[i] = required_path (device->settings, kernel_key, device->agent_config, error);
      if (device->kernel[i] == NULL)
        return NULL;
      device->rootfs[i] = required_path (device->settings, rootfs_key, device->agent_config, error);
      if (device->rootfs[i] == NULL)
        return NULL;
    }
  return g_steal_pointer (&device);
}

void
ff_sim_netdevice_free (FfSimNetdevice *device)
{
  g_free (device->root);
  g_free (device->agent_config);
  g_clear_pointer (&device->settings, g_key_file_unref);
  g_free (device->env_config);
  g_free (device->running_versions);
  g_free (device->log);
  for (guint i = 0; i < 2; i++)
    {
      g_free (device->kernel[i]);
      g_free (device->rootfs[i]);
    }
  g_free (device);
}
