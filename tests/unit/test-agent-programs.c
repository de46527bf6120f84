/* fieldflash-agent: the key file, program backups and installs, parameter backups, versions. */
#include "config.h"

#include <glib/gstdio.h>

#include "ff-agent-config.h"
#include "ff-agent-files.h"
#include "ff-agent-programs.h"
#include "test-agent-util.h"

static char *
program_script (const char *version, int status)
{
  return g_strdup_printf ("#!/bin/sh\n[ \"$1\" = --version ] && echo '%s'\nexit %d\n", version,
                          status);
}

/* An agent.conf for @root with the recovery layout, two parameter files. */
static char *
write_config (const char *root, const char *extra_agent_keys)
{
  g_autofree char *text = g_strdup_printf (
    "[agent]\ndevice-id=DTU-0001\nvendor=Acme\nmodel=DTU-3000\nhardware-version=H1\n"
    "broker-host=127.0.0.1\nbroker-port=1883\nplatform-url=https://127.0.0.1:8443\n"
    "credentials=%s/credentials\ndata=%s/data\n%s"
    "[boot]\nlayout=recovery\nenv-config=%s/fw_env.config\nkernel=%s/slots/kernel\n"
    "rootfs=%s/slots/rootfs\nrunning-versions=%s/run/versions\n"
    "[programs]\nmain-program=%s/programs/main-program\n"
    "main-program-backup=%s/backup/main-program/\nupdater=%s/programs/updater\n"
    "updater-backup=%s/backup/updater/\n"
    "[parameters]\nfiles=%s/params/app.ini;%s/params/points.ini\nbackup=%s/data/params-backup/\n",
    root, root, extra_agent_keys, root, root, root, root, root, root, root, root, root, root, root);

  return agent_test_write (root, "agent.conf", text, FALSE);
}

static void
test_config_load (void)
{
  char *root = agent_test_root_new ();
  g_autofree char *path = write_config (root, "query-times=14:30; 02:05\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentConfig) config = ff_agent_config_load (path, &error);
  g_autofree char *expected = g_build_filename (root, "backup", "main-program", NULL);

  g_assert_no_error (error);
  g_assert_cmpstr (config->device_id, ==, "DTU-0001");
  g_assert_cmpstr (config->hardware_version, ==, "H1");
  g_assert_cmpint (config->broker_port, ==, 1883);
  g_assert_cmpint (config->layout, ==, FF_AGENT_LAYOUT_RECOVERY);
  g_assert_cmpuint (config->query_times->len, ==, 2);
  g_assert_cmpint (g_array_index (config->query_times, int, 0), ==, 2 * 60 + 5);
  g_assert_cmpint (g_array_index (config->query_times, int, 1), ==, 14 * 60 + 30);
  g_assert_cmpstr (config->program_backups[FF_AGENT_PROGRAM_MAIN], ==, expected);
  g_assert_cmpstr (config->version_command, ==, "--version");
  g_assert_cmpuint (g_strv_length (config->parameter_files), ==, 2);
  agent_test_root_free (root);
}

static void
test_config_refused (void)
{
  static const struct { const char *from, *to, *expected; } cases[] = {
    { "device-id=DTU-0001", "device-id=DTU/1", "device-id" },
    { "device-id=DTU-0001", "device-id=DTU+1", "device-id" },
    { "hardware-version=H1\n", "", "hardware-version" },
    { "broker-port=1883", "broker-port=70000", "broker-port" },
    { "platform-url=https://", "platform-url=http://", "platform-url" },
    { "layout=recovery", "layout=dual", "layout" },
    { "kernel=/", "kernel=relative/", "kernel" },
    { "query-times=", "query-times=25:00;", "query-times" },
    { "query-times=", "query-times=01:00;01:00", "query-times" },
    { "points.ini", "app.ini", "files" },
  };
  char *root = agent_test_root_new ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_config (root, "query-times=\n");
      g_autofree char *text = NULL;
      g_autoptr(GString) changed = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
      changed = g_string_new (text);
      g_assert_cmpuint (g_string_replace (changed, cases[i].from, cases[i].to, 1), ==, 1);
      g_assert_true (g_file_set_contents (path, changed->str, -1, NULL));
      g_assert_null (ff_agent_config_load (path, &error));
      g_assert_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_CONFIG);
      g_assert_nonnull (strstr (error->message, cases[i].expected));
    }
  agent_test_root_free (root);
}

static FfAgentConfig *
load_config (const char *root)
{
  g_autofree char *path = write_config (root, "");
  g_autoptr(GError) error = NULL;
  FfAgentConfig *config = ff_agent_config_load (path, &error);

  g_assert_no_error (error);
  return config;
}

static void
test_program_backup_install_restore (void)
{
  char *root = agent_test_root_new ();
  g_autoptr(FfAgentConfig) config = load_config (root);
  g_autofree char *v1 = program_script ("V1.0", 0);
  g_autofree char *v2 = program_script ("V2.0", 0);
  g_autofree char *program = agent_test_write (root, "programs/main-program", v1, TRUE);
  g_autofree char *staged = agent_test_write (root, "data/staging/main-program", v2, FALSE);
  g_autofree char *backup = ff_agent_program_backup_path (config, FF_AGENT_PROGRAM_MAIN);
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;

  g_assert_false (ff_agent_program_restore (config, FF_AGENT_PROGRAM_MAIN, &error));
  g_assert_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED);
  g_clear_error (&error);

  g_assert_true (ff_agent_program_backup (config, FF_AGENT_PROGRAM_MAIN, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (backup, config->program_backups[FF_AGENT_PROGRAM_MAIN]));
  g_assert_true (ff_agent_files_equal (backup, program));

  g_assert_true (ff_agent_program_install (config, FF_AGENT_PROGRAM_MAIN, staged, &error));
  version = ff_agent_program_version (config, program, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (version, ==, "V2.0");
  g_clear_pointer (&version, g_free);

  g_assert_true (ff_agent_program_restore (config, FF_AGENT_PROGRAM_MAIN, &error));
  version = ff_agent_program_version (config, program, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (version, ==, "V1.0");
  agent_test_root_free (root);
}

static void
test_program_version_failures (void)
{
  char *root = agent_test_root_new ();
  g_autoptr(FfAgentConfig) config = load_config (root);
  g_autofree char *failing = program_script ("V1.0", 3);
  g_autofree char *program = agent_test_write (root, "programs/main-program", failing, TRUE);
  g_autofree char *silent = agent_test_write (root, "programs/updater", "#!/bin/sh\nexit 0\n",
                                              TRUE);
  g_autoptr(GError) error = NULL;

  g_assert_null (ff_agent_program_version (config, program, &error));
  g_assert_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_null (ff_agent_program_version (config, silent, &error));
  g_assert_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED);
  agent_test_root_free (root);
}

static void
test_params (void)
{
  char *root = agent_test_root_new ();
  g_autoptr(FfAgentConfig) config = load_config (root);
  g_autofree char *app = agent_test_write (root, "params/app.ini", "[app]\nx=1\n", FALSE);
  g_autofree char *points = agent_test_write (root, "params/points.ini", "[p]\ny=2\n", FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  g_assert_false (ff_agent_params_intact (config, &error));
  g_clear_error (&error);
  g_assert_true (ff_agent_params_backup (config, &error));
  g_assert_no_error (error);
  g_assert_true (ff_agent_params_intact (config, &error));

  /* An upgrade that lost one file and changed the other: found, then restored. */
  g_assert_cmpint (g_unlink (app), ==, 0);
  g_assert_true (g_file_set_contents (points, "garbage", -1, NULL));
  g_assert_false (ff_agent_params_intact (config, &error));
  g_assert_nonnull (strstr (error->message, "app.ini"));
  g_clear_error (&error);
  g_assert_true (ff_agent_params_restore (config, &error));
  g_assert_no_error (error);
  g_assert_true (ff_agent_params_intact (config, &error));
  g_assert_true (g_file_get_contents (points, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "[p]\ny=2\n");
  agent_test_root_free (root);
}

static void
test_running_versions (void)
{
  char *root = agent_test_root_new ();
  g_autoptr(FfAgentConfig) config = load_config (root);
  g_autofree char *main_script = program_script ("V3.1", 0);
  g_autofree char *program = agent_test_write (root, "programs/main-program", main_script, TRUE);
  g_autofree char *running = agent_test_write (root, "run/versions",
                                               "[versions]\nkernel=K1\nrootfs=R2\nslot=a\n",
                                               FALSE);
  g_autoptr(GHashTable) versions = ff_agent_running_versions (config);

  g_assert_cmpstr (g_hash_table_lookup (versions, "kernel"), ==, "K1");
  g_assert_cmpstr (g_hash_table_lookup (versions, "rootfs"), ==, "R2");
  g_assert_cmpstr (g_hash_table_lookup (versions, "slot"), ==, "a");
  g_assert_cmpstr (g_hash_table_lookup (versions, "main-program"), ==, "V3.1");
  /* No updater installed: unknown, not an error. */
  g_assert_null (g_hash_table_lookup (versions, "updater"));
  agent_test_root_free (root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/config/load", test_config_load);
  g_test_add_func ("/agent/config/refused", test_config_refused);
  g_test_add_func ("/agent/program/backup-install-restore", test_program_backup_install_restore);
  g_test_add_func ("/agent/program/version-failures", test_program_version_failures);
  g_test_add_func ("/agent/params", test_params);
  g_test_add_func ("/agent/running-versions", test_running_versions);
  return g_test_run ();
}
