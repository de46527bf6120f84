/* The rig the agent-remote tests share (agent-remote-rig.h): the simulated device's files, a
 * minimal bootloader that reboots the agent when it asks (exit 10) or dies (a simulated power
 * cut), the platform's side (a real Mosquitto broker with TLS client certificates on a free
 * loopback port, packages over HTTPS, signed commands) and the checks the tests make. */
#include "config.h"

#include "agent-remote-rig.h"

#include <glib/gstdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ff-agent-bootenv.h"

/* See ff-test-sync-platform.c: LeakSanitizer and the TLS of dlopen()ed GnuTLS. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "intercept_tls_get_addr=0";
}

/* Generous: a whole upgrade with reboots takes well under a second here (at native speed:
 * ff_test_deadline_s scales it under emulation). */
#define WAIT_SECONDS 60

/* ---- files of the simulated device ---- */

char *
device_file (Rig *rig, const char *name)
{
  return g_build_filename (rig->device, name, NULL);
}

void
write_file (const char *path, const char *contents, gssize length, int mode)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

static char *
read_file (const char *path)
{
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, NULL);
  return contents;
}

/* A slot image: the header the bootloader reads, then bytes. */
GBytes *
make_image (const char *kind, const char *version, gsize size)
{
  GString *image = g_string_new (NULL);

  g_string_printf (image, "FFSIM-IMAGE kind=%s version=%s\n", kind, version);
  for (gsize i = 0; image->len < size; i++)
    g_string_append_c (image, (char) ('a' + (i * 7 + strlen (version)) % 26));
  return g_string_free_to_bytes (image);
}

static void
install_slot (Rig *rig, const char *slot_name, GBytes *image)
{
  g_autofree char *slot = g_build_filename (rig->device, "slots", slot_name, NULL);
  g_autofree char *digest_path = g_strconcat (slot, ".sha256", NULL);
  g_autofree char *digest = ff_sha256_hex (g_bytes_get_data (image, NULL),
                                           g_bytes_get_size (image));
  g_autofree char *line = g_strconcat (digest, "\n", NULL);

  write_file (slot, g_bytes_get_data (image, NULL), g_bytes_get_size (image), 0600);
  write_file (digest_path, line, -1, 0600);
}

/* A program that prints @version; with @healthy FALSE it fails to start. */
char *
program_script (const char *version, gboolean healthy)
{
  return g_strdup_printf ("#!/bin/sh\n%s[ \"$1\" = --version ] && echo %s\nexit 0\n",
                          healthy ? "" : "exit 3\n", version);
}

static void
install_program (Rig *rig, const char *name, const char *version)
{
  g_autofree char *path = g_build_filename (rig->device, "programs", name, NULL);
  g_autofree char *script = program_script (version, TRUE);

  write_file (path, script, -1, 0755);
}

char *
program_version (Rig *rig, const char *name)
{
  g_autofree char *path = g_build_filename (rig->device, "programs", name, NULL);
  g_autofree char *out = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char *[]) { path, "--version", NULL }, NULL, 0, NULL, NULL, &out,
                     NULL, &status, NULL) || !g_spawn_check_wait_status (status, NULL))
    return NULL;
  return g_strdup (g_strstrip (out));
}

char *
file_stamp (Rig *rig, const char *name)
{
  g_autofree char *path = device_file (rig, name);
  GStatBuf buf;

  g_assert_no_errno (g_stat (path, &buf));
  return g_strdup_printf ("%ju:%jd.%09ld:%jd", (uintmax_t) buf.st_ino,
                          (intmax_t) buf.st_mtim.tv_sec, buf.st_mtim.tv_nsec,
                          (intmax_t) buf.st_size);
}

/* The version in a slot's header. */
char *
slot_version (Rig *rig, const char *slot_name)
{
  g_autofree char *slot = g_build_filename (rig->device, "slots", slot_name, NULL);
  char *contents = read_file (slot);
  char *version = NULL;
  g_auto(GStrv) words = NULL;

  if (contents == NULL)
    return NULL;
  contents[strcspn (contents, "\n")] = '\0';
  words = g_strsplit (contents, " version=", 2);
  g_free (contents);
  if (words[0] != NULL && words[1] != NULL)
    version = g_strdup (words[1]);
  return version;
}

gboolean
slot_digest_matches (Rig *rig, const char *slot_name)
{
  g_autofree char *slot = g_build_filename (rig->device, "slots", slot_name, NULL);
  g_autofree char *digest_path = g_strconcat (slot, ".sha256", NULL);
  g_autofree char *digest = read_file (digest_path);
  g_autofree char *actual = ff_sha256_file_hex (slot, NULL, NULL);

  return digest != NULL && actual != NULL && g_str_equal (g_strstrip (digest), actual);
}

/* ---- the bootloader ---- */

static void start_agent (Rig *rig, const char *mode);

/* The broker and the agent die with the test, even when an assertion aborts it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

char *
env_get (Rig *rig, const char *name)
{
  g_autofree char *config = device_file (rig, "fw_env.config");
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentBootEnv) env = ff_agent_bootenv_open (config, &error);

  g_assert_no_error (error);
  return ff_agent_bootenv_get (env, name);
}

/* Plays U-Boot: chooses the mode (recovery layout) or slot (A/B, with the boot counter), writes
 * run/versions from the booted slots' headers and starts the agent. A slot whose digest fails is
 * never booted: the recovery layout starts the recovery system instead. */
void
boot (Rig *rig)
{
  g_autofree char *config = device_file (rig, "fw_env.config");
  g_autofree char *versions_path = device_file (rig, "run/versions");
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentBootEnv) env = ff_agent_bootenv_open (config, &error);
  g_autofree char *kernel = NULL, *rootfs = NULL, *versions = NULL;
  const char *mode = "normal";
  char slot[2] = { 'a', 0 };

  g_assert_no_error (error);
  rig->boots++;
  g_assert_cmpuint (rig->boots, <, 100);
  if (g_str_equal (rig->layout, "recovery"))
    {
      g_autofree char *flag = ff_agent_bootenv_get (env, "ff_mode");

      if (g_strcmp0 (flag, "recovery") == 0 || !slot_digest_matches (rig, "kernel")
          || !slot_digest_matches (rig, "rootfs"))
        mode = "recovery";
      kernel = slot_version (rig, "kernel");
      rootfs = slot_version (rig, "rootfs");
      versions = g_strdup_printf ("[versions]\nkernel=%s\nrootfs=%s\n", kernel, rootfs);
    }
  else
    {
      g_autofree char *boot_slot = ff_agent_bootenv_get (env, "boot_slot");
      g_autofree char *available = ff_agent_bootenv_get (env, "upgrade_available");
      g_autofree char *count_text = ff_agent_bootenv_get (env, "bootcount");
      g_autofree char *kernel_slot = NULL, *rootfs_slot = NULL;
      int count = count_text != NULL ? atoi (count_text) : 0;
      char count_buffer[16];

      slot[0] = g_strcmp0 (boot_slot, "b") == 0 ? 'b' : 'a';
      if (g_strcmp0 (available, "1") == 0)
        {
          count++;
          if (count > 3)
            {
              slot[0] = slot[0] == 'a' ? 'b' : 'a';
              g_assert_true (ff_agent_bootenv_store (env, &error, "boot_slot", slot,
                                                     "upgrade_available", "0", "bootcount", "0",
                                                     NULL));
            }
          else
            {
              g_snprintf (count_buffer, sizeof count_buffer, "%d", count);
              g_assert_true (ff_agent_bootenv_store (env, &error, "bootcount", count_buffer,
                                                     NULL));
            }
        }
      kernel_slot = g_strdup_printf ("kernel-%s", slot);
      rootfs_slot = g_strdup_printf ("rootfs-%s", slot);
      g_assert_true (slot_digest_matches (rig, kernel_slot));
      g_assert_true (slot_digest_matches (rig, rootfs_slot));
      kernel = slot_version (rig, kernel_slot);
      rootfs = slot_version (rig, rootfs_slot);
      versions = g_strdup_printf ("[versions]\nkernel=%s\nrootfs=%s\nslot=%s\n", kernel, rootfs,
                                  slot);
    }
  g_clear_pointer (&env, ff_agent_bootenv_close);
  write_file (versions_path, versions, -1, 0644);
  start_agent (rig, mode);
}

static void
on_agent_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Rig *rig = user_data;
  g_autoptr(GSubprocess) agent = G_SUBPROCESS (source);
  gboolean stopped;

  g_subprocess_wait_finish (agent, result, NULL);
  if (rig->agent == agent)
    g_clear_object (&rig->agent);
  /* A power cut happens once: the fault goes to each start of the agent until it struck. */
  if (g_subprocess_get_if_signaled (agent) && g_subprocess_get_term_sig (agent) == SIGKILL)
    {
      rig->power_cuts++;
      g_clear_pointer (&rig->fault, g_free);
      if (rig->after_power_cut != NULL)
        rig->after_power_cut (rig);
    }
  stopped = g_subprocess_get_if_exited (agent) && g_subprocess_get_exit_status (agent) == 0;
  if (!g_subprocess_get_if_exited (agent) || g_subprocess_get_exit_status (agent) != 10)
    g_assert_true (stopped || g_subprocess_get_if_signaled (agent));
  /* Exit 10 is a reboot; a power cut is one too. */
  if (!rig->stopping && !stopped)
    boot (rig);
}

static void
start_agent (Rig *rig, const char *mode)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *config = device_file (rig, "agent.conf");
  g_autofree char *agent_path = g_build_filename (g_getenv ("FIELDFLASH_BUILDDIR"), "src", "agent",
                                                  "fieldflash-agent", NULL);
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GError) error = NULL;

  if (rig->fault != NULL)
    g_subprocess_launcher_setenv (launcher, "FIELDFLASH_AGENT_FAULT", rig->fault, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "FIELDFLASH_AGENT_FAULT");
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  /* A cross build's agent runs under the same emulator as the test (FIELDFLASH_EXE_WRAPPER). */
  argv = ff_test_command (agent_path, (const char *[]) { "--config", config, "--mode", mode,
                                                        NULL });
  g_ptr_array_add (argv, NULL);
  rig->agent = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  /* The callback owns a reference of its own. */
  g_object_ref (rig->agent);
  g_subprocess_wait_async (rig->agent, NULL, on_agent_exited, rig);
}

void
stop_agent (Rig *rig)
{
  GMainContext *context = g_main_context_default ();

  rig->stopping = TRUE;
  if (rig->agent != NULL)
    {
      guint watchdog = ff_test_watchdog_add (WAIT_SECONDS, "the agent's stop (SIGTERM)");

      g_subprocess_send_signal (rig->agent, SIGTERM);
      while (rig->agent != NULL)
        g_main_context_iteration (context, TRUE);
      g_source_remove (watchdog);
    }
  rig->stopping = FALSE;
}

/* ---- the platform: HTTPS for packages, MQTT for commands and results ---- */

static void
serve_package (SoupServer *server, SoupServerMessage *message, const char *path,
               GHashTable *query, gpointer user_data)
{
  Rig *rig = user_data;
  const char *sha256 = strrchr (path, '/') + 1;
  const char *file = g_hash_table_lookup (rig->packages, sha256);
  char *contents = NULL;
  gsize length;

  rig->package_gets++;
  if (file == NULL || !g_file_get_contents (file, &contents, &length, NULL))
    {
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (rig->tamper_downloads)
    contents[length / 2] ^= 1;
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "application/octet-stream", SOUP_MEMORY_TAKE,
                                    contents, length);
}

static void
on_platform_message (struct mosquitto *mosq, void *user_data,
                     const struct mosquitto_message *message)
{
  Rig *rig = user_data;

  GAsyncQueue *queue = g_str_has_suffix (message->topic, "/result") ? rig->results
                                                                      : rig->states;

  g_async_queue_push (queue, g_bytes_new (message->payload, message->payloadlen));
  g_main_context_wakeup (NULL);
}

/* Starts mosquitto and waits for its "running" line on stderr. */
static void
start_broker (Rig *rig)
{
  g_autofree char *conf = g_build_filename (rig->root, "mosquitto.conf", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GDataInputStream) log = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  rig->broker_port = ff_test_closed_loopback_port ();
  /* Run as root, mosquitto would switch to the user "mosquitto", who cannot read the keys the
   * test wrote: it stays the test's user. */
  text = g_strdup_printf ("%sper_listener_settings false\nallow_anonymous false\n"
                          "log_dest stderr\nlog_dest file %s/mosquitto.log\nlog_type all\n"
                          "listener %u 127.0.0.1\ncafile %s/ca.crt\ncertfile %s/broker.crt\n"
                          "keyfile %s/broker.key\nrequire_certificate true\n"
                          "use_identity_as_username true\ntls_version tlsv1.3\n",
                          getuid () == 0 ? "user root\n" : "", rig->root, rig->broker_port,
                          rig->root, rig->root, rig->root);
  write_file (conf, text, -1, 0600);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  rig->broker = g_subprocess_launcher_spawn (launcher, &error, "mosquitto", "-c", conf, NULL);
  g_assert_no_error (error);
  log = g_data_input_stream_new (g_subprocess_get_stderr_pipe (rig->broker));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (log, NULL, NULL, &error);

      g_assert_nonnull (line);
      if (strstr (line, " running") != NULL)
        break;
    }
  /* The pipe stays open so the broker's log does not block it (it holds 64 KiB; the tests log
   * far less). */
  g_object_ref (g_subprocess_get_stderr_pipe (rig->broker));
}

static void
connect_platform (Rig *rig)
{
  g_autofree char *ca = g_build_filename (rig->root, "ca.crt", NULL);
  g_autofree char *cert = g_build_filename (rig->root, "platform-client.crt", NULL);
  g_autofree char *key = g_build_filename (rig->root, "platform-client.key", NULL);
  g_autofree char *results = ff_remote_topic (DEVICE, "result");
  g_autofree char *states = ff_remote_topic (DEVICE, "state");

  rig->platform = mosquitto_new ("fieldflash-platform-test", true, rig);
  mosquitto_message_callback_set (rig->platform, on_platform_message);
  g_assert_cmpint (mosquitto_tls_set (rig->platform, ca, NULL, cert, key, NULL), ==, 0);
  g_assert_cmpint (mosquitto_tls_opts_set (rig->platform, 1, "tlsv1.3", NULL), ==, 0);
  g_assert_cmpint (mosquitto_connect (rig->platform, "127.0.0.1", rig->broker_port, 60), ==, 0);
  g_assert_cmpint (mosquitto_subscribe (rig->platform, NULL, results, 1), ==, 0);
  g_assert_cmpint (mosquitto_subscribe (rig->platform, NULL, states, 1), ==, 0);
  g_assert_cmpint (mosquitto_loop_start (rig->platform), ==, 0);
}

static void
write_config (Rig *rig)
{
  g_autofree char *path = device_file (rig, "agent.conf");
  g_autofree char *slots = NULL;
  g_autofree char *text = NULL;
  const char *d = rig->device;

  if (g_str_equal (rig->layout, "recovery"))
    slots = g_strdup_printf ("kernel=%s/slots/kernel\nrootfs=%s/slots/rootfs\n", d, d);
  else
    slots = g_strdup_printf ("kernel-a=%s/slots/kernel-a\nkernel-b=%s/slots/kernel-b\n"
                             "rootfs-a=%s/slots/rootfs-a\nrootfs-b=%s/slots/rootfs-b\n",
                             d, d, d, d);
  text = g_strdup_printf (
    "[agent]\ndevice-id=" DEVICE "\nvendor=Acme\nmodel=DTU-3000\nhardware-version=H1\n"
    "broker-host=127.0.0.1\nbroker-port=%u\nplatform-url=%s\ncredentials=%s/credentials\n"
    "data=%s/data\n"
    "[boot]\nlayout=%s\nenv-config=%s/fw_env.config\n%srunning-versions=%s/run/versions\n"
    "[programs]\nmain-program=%s/programs/main-program\n"
    "main-program-backup=%s/backup/main-program\nupdater=%s/programs/updater\n"
    "updater-backup=%s/backup/updater\n"
    "[parameters]\nfiles=%s/params/app.ini;%s/params/points.ini\nbackup=%s/data/params-backup\n",
    rig->broker_port, rig->base_url, d, d, rig->layout, d, slots, d, d, d, d, d, d, d, d);
  write_file (path, text, -1, 0600);
}

Rig *
rig_new (const char *layout)
{
  Rig *rig = g_new0 (Rig, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *credentials = NULL, *path = NULL, *pem = NULL, *script = NULL;
  g_autofree char *cert = NULL, *key = NULL, *env0 = NULL, *env1 = NULL, *env_config = NULL;
  g_autofree char *zeros = g_malloc0 (0x4000);
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GSList) uris = NULL;
  int status;

  rig->root = g_dir_make_tmp ("ff-agent-e2e-XXXXXX", &error);
  g_assert_no_error (error);
  rig->device = g_build_filename (rig->root, "device", NULL);
  rig->layout = g_strdup (layout);
  rig->packages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  rig->results = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  rig->states = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);

  /* Credentials: the terminal's Ed25519 key, certificates from a test CA, the platform's keys. */
  credentials = device_file (rig, "credentials");
  g_assert_cmpint (g_mkdir_with_parents (credentials, 0700), ==, 0);
  rig->terminal_key = ff_key_generate (&error);
  path = g_build_filename (credentials, "terminal.key", NULL);
  g_assert_true (ff_key_save_private (rig->terminal_key, path, &error));
  script = g_build_filename (g_getenv ("FIELDFLASH_SOURCEDIR"), "tests", "integration",
                             "agent-test-certs.sh", NULL);
  g_assert_true (g_spawn_sync (NULL, (char *[]) { script, rig->root, credentials, DEVICE, NULL },
                               NULL, 0, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_true (g_spawn_check_wait_status (status, &error));
  rig->platform_key = ff_key_generate (&error);
  pem = ff_key_get_public_pem (rig->platform_key);
  g_free (path);
  path = g_build_filename (credentials, "platform.pub.pem", NULL);
  write_file (path, pem, -1, 0644);
  cert = g_build_filename (credentials, "platform.crt", NULL);
  key = g_build_filename (rig->root, "platform-https.key", NULL);
  g_assert_true (ff_tls_certificate_generate (cert, key, "localhost", 2, &error));
  certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);

  rig->server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (rig->server, "/api/v1/agent/packages", serve_package, rig, NULL);
  g_assert_true (soup_server_listen_local (rig->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY
                                                          | SOUP_SERVER_LISTEN_HTTPS, &error));
  uris = soup_server_get_uris (rig->server);
  rig->base_url = g_uri_to_string_partial (uris->data, G_URI_HIDE_PASSWORD);
  rig->base_url[strlen (rig->base_url) - 1] = '\0';
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  start_broker (rig);
  connect_platform (rig);

  /* The device: redundant environment, slots, programs, parameters. */
  env0 = device_file (rig, "uboot-env.0");
  env1 = device_file (rig, "uboot-env.1");
  write_file (env0, zeros, 0x4000, 0600);
  write_file (env1, zeros, 0x4000, 0600);
  env_config = g_strdup_printf ("%s 0x0 0x4000\n%s 0x0 0x4000\n", env0, env1);
  g_free (path);
  path = device_file (rig, "fw_env.config");
  write_file (path, env_config, -1, 0644);
  if (g_str_equal (layout, "recovery"))
    {
      g_autoptr(GBytes) kernel = make_image ("kernel", "K1.0", 70000);
      g_autoptr(GBytes) rootfs = make_image ("rootfs", "R1.0", 300000);

      install_slot (rig, "kernel", kernel);
      install_slot (rig, "rootfs", rootfs);
    }
  else
    {
      g_autoptr(GBytes) kernel = make_image ("kernel", "K1.0", 70000);
      g_autoptr(GBytes) rootfs = make_image ("rootfs", "R1.0", 300000);

      install_slot (rig, "kernel-a", kernel);
      install_slot (rig, "rootfs-a", rootfs);
      install_slot (rig, "kernel-b", kernel);
      install_slot (rig, "rootfs-b", rootfs);
    }
  install_program (rig, "main-program", "V1.0");
  install_program (rig, "updater", "U1.0");
  g_free (path);
  path = device_file (rig, "params/app.ini");
  write_file (path, "[app]\nfeeder=12\n", -1, 0644);
  g_free (path);
  path = device_file (rig, "params/points.ini");
  write_file (path, "[points]\nyx=1-64\n", -1, 0644);
  write_config (rig);
  return rig;
}

void
rig_free (Rig *rig)
{
  g_autoptr(GError) error = NULL;

  stop_agent (rig);
  mosquitto_disconnect (rig->platform);
  mosquitto_loop_stop (rig->platform, false);
  mosquitto_destroy (rig->platform);
  g_subprocess_send_signal (rig->broker, SIGTERM);
  ff_test_subprocess_wait (rig->broker, WAIT_SECONDS, "the broker's stop (SIGTERM)");
  g_object_unref (g_subprocess_get_stderr_pipe (rig->broker));
  g_object_unref (rig->broker);
  soup_server_disconnect (rig->server);
  g_object_unref (rig->server);
  ff_key_unref (rig->platform_key);
  ff_key_unref (rig->terminal_key);
  g_hash_table_unref (rig->packages);
  g_async_queue_unref (rig->results);
  g_async_queue_unref (rig->states);
  if (g_getenv ("AGENT_TEST_KEEP") == NULL)
    g_spawn_sync (NULL, (char *[]) { "rm", "-rf", rig->root, NULL }, NULL, G_SPAWN_SEARCH_PATH,
                NULL, NULL, NULL, NULL, NULL, &error);
  g_free (rig->fault);
  g_free (rig->base_url);
  g_free (rig->layout);
  g_free (rig->device);
  g_free (rig->root);
  g_free (rig);
}

/* ---- packages, commands, results ---- */

/* Builds and serves a package; returns its SHA-256. */
char *
make_package (Rig *rig, const char *hardware, const Payload *payloads, guint n_payloads)
{
  g_autoptr(JsonObject) manifest = json_object_new ();
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonArray) hardware_versions = json_array_new ();
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("package-%u.ffpkg", g_hash_table_size (rig->packages));
  char *out = g_build_filename (rig->root, name, NULL);
  char *sha256;

  json_object_set_string_member (manifest, "vendor", "Acme");
  json_object_set_string_member (manifest, "model", "DTU-3000");
  json_array_add_string_element (hardware_versions, hardware);
  json_object_set_array_member (manifest, "hardware_versions",
                                json_array_ref (hardware_versions));
  json_object_set_string_member (manifest, "version", payloads[0].version);
  for (guint i = 0; i < n_payloads; i++)
    {
      JsonObject *payload = json_object_new ();
      g_autofree char *file = g_strdup_printf ("payload-%u-%s", i, payloads[i].kind);
      char *path = g_build_filename (rig->root, file, NULL);

      json_object_set_string_member (payload, "kind", payloads[i].kind);
      json_object_set_string_member (payload, "version", payloads[i].version);
      if (payloads[i].delta_from != NULL)
        json_object_set_string_member (payload, "delta_from", payloads[i].delta_from);
      json_array_add_object_element (array, payload);
      write_file (path, g_bytes_get_data (payloads[i].content, NULL),
                  g_bytes_get_size (payloads[i].content), 0600);
      g_ptr_array_add (paths, path);
    }
  g_ptr_array_add (paths, NULL);
  json_object_set_array_member (manifest, "payloads", json_array_ref (array));
  g_assert_true (ff_package_build (out, rig->platform_key, manifest,
                                   (const char *const *) paths->pdata, &error));
  g_assert_no_error (error);
  sha256 = ff_sha256_file_hex (out, NULL, NULL);
  g_hash_table_insert (rig->packages, g_strdup (sha256), out);
  return sha256;
}

FfRemoteCommand *
new_command (Rig *rig, FfRemoteCommandKind kind, const char *package_sha256)
{
  FfRemoteCommand *command = ff_remote_command_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  command->kind = kind;
  command->command_id = ff_remote_id_new ();
  command->device_id = g_strdup (DEVICE);
  command->issued_at = now;
  command->not_after = now + 3600;
  if (package_sha256 != NULL)
    {
      const char *path = g_hash_table_lookup (rig->packages, package_sha256);
      goffset size;
      g_autofree char *check = ff_sha256_file_hex (path, &size, NULL);

      command->package_sha256 = g_strdup (package_sha256);
      command->package_size = size;
      command->package_url = g_strdup_printf ("%s/api/v1/agent/packages/%s", rig->base_url,
                                              package_sha256);
    }
  return command;
}

void
publish_envelope (Rig *rig, GBytes *envelope)
{
  g_autofree char *topic = ff_remote_topic (DEVICE, "cmd");

  g_assert_cmpint (mosquitto_publish (rig->platform, NULL, topic, g_bytes_get_size (envelope),
                                      g_bytes_get_data (envelope, NULL), 1, false), ==, 0);
}

void
send_command (Rig *rig, const FfRemoteCommand *command, FfKey *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) envelope = ff_remote_command_seal (command, key, &error);

  g_assert_no_error (error);
  publish_envelope (rig, envelope);
}

/* The next message of @queue; the main context (the bootloader, the HTTPS server) runs
 * meanwhile. */
static GBytes *
wait_message (GAsyncQueue *queue)
{
  guint watchdog = ff_test_watchdog_add (WAIT_SECONDS, "an MQTT message from the agent");
  GBytes *message;

  while ((message = g_async_queue_try_pop (queue)) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
  return message;
}

GBytes *
boot_online_state (Rig *rig)
{
  boot (rig);
  for (;;)
    {
      g_autoptr(GBytes) state = wait_message (rig->states);

      if (g_strstr_len (g_bytes_get_data (state, NULL), g_bytes_get_size (state),
                        "\"online\" : true") != NULL)
        return g_steal_pointer (&state);
    }
}

/* Boots the device and waits until its agent is online (subscribed to its commands). */
void
boot_online (Rig *rig)
{
  g_bytes_unref (boot_online_state (rig));
}

/* The next result the platform receives, verified with the terminal's key. */
FfRemoteResult *
wait_result (Rig *rig)
{
  g_autoptr(GBytes) envelope = wait_message (rig->results);
  g_autoptr(GError) error = NULL;
  FfRemoteResult *result;
  result = ff_remote_result_load (envelope, rig->terminal_key, DEVICE, &error);
  g_assert_no_error (error);
  return result;
}

FfRemoteResult *
boot_and_upgrade (Rig *rig, const char *package_sha256)
{
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE,
                                                    package_sha256);

  boot_online (rig);
  send_command (rig, command, rig->platform_key);
  return wait_result (rig);
}

void
send_ack (Rig *rig, const char *result_id, FfKey *key)
{
  g_autoptr(FfRemoteCommand) ack = new_command (rig, FF_REMOTE_COMMAND_ACK, NULL);

  ack->result_id = g_strdup (result_id);
  send_command (rig, ack, key);
}

guint
outbox_size (Rig *rig)
{
  g_autofree char *outbox = device_file (rig, "data/outbox");
  g_autoptr(GDir) dir = g_dir_open (outbox, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

void
damage_record (Rig *rig, FfAgentStateName state_name)
{
  g_autofree char *path = device_file (rig, "data/state.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentState) state = ff_agent_state_load (path, &error);
  g_autofree char *record = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (state->state, ==, state_name);
  record = g_strdup_printf ("{\"format_version\":2,\"state\":\"%s\",\"command_id\":\"%s\"}",
                            ff_agent_state_name_to_string (state_name), state->command_id);
  write_file (path, record, -1, 0600);
}

void
assert_params_intact (Rig *rig)
{
  g_autofree char *app_path = device_file (rig, "params/app.ini");
  g_autofree char *points_path = device_file (rig, "params/points.ini");
  g_autofree char *app = read_file (app_path);
  g_autofree char *points = read_file (points_path);

  g_assert_cmpstr (app, ==, "[app]\nfeeder=12\n");
  g_assert_cmpstr (points, ==, "[points]\nyx=1-64\n");
}

void
assert_nothing_written (Rig *rig)
{
  g_autofree char *backup = device_file (rig, "backup/main-program");
  g_autofree char *staging = device_file (rig, "data/staging");
  g_autofree char *version = program_version (rig, "main-program");

  g_assert_false (g_file_test (backup, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (staging, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (version, ==, "V1.0");
  if (g_str_equal (rig->layout, "recovery"))
    {
      g_autofree char *kernel = slot_version (rig, "kernel");

      g_assert_cmpstr (kernel, ==, "K1.0");
      g_assert_true (slot_digest_matches (rig, "kernel"));
    }
}

char *
main_program_package (Rig *rig, const char *version, gboolean healthy, const char *hardware)
{
  g_autofree char *script = program_script (version, healthy);
  g_autoptr(GBytes) content = g_bytes_new (script, strlen (script));
  Payload payload = { "main-program", version, content };

  return make_package (rig, hardware, &payload, 1);
}

char *
unhealthy_kernel_package (Rig *rig)
{
  g_autoptr(GBytes) kernel = make_image ("kernel", "K2.1-broken", 90000);
  Payload payload = { "kernel", "K2.0", kernel };

  return make_package (rig, "H1", &payload, 1);
}
