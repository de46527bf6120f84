/* fieldflash-agent end to end on one machine: the real agent binary, a real Mosquitto broker
 * (TLS, client certificates) on a free loopback port, this test as the platform (signed commands
 * over MQTT, packages over HTTPS) and as a minimal bootloader that reboots the agent when it asks
 * (exit 10) or dies (a simulated power cut). */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <archive.h>
#include <archive_entry.h>
#include <mosquitto.h>
#include <sys/prctl.h>
#include <utime.h>
#include <unistd.h>

#include "ff-agent-bootenv.h"
#include "ff-crypto.h"
#include "ff-delta.h"
#include "ff-package.h"
#include "ff-remote-doc.h"
#include "ff-test-fixtures.h"

/* See test-ff-sync.c: LeakSanitizer and the TLS of dlopen()ed GnuTLS. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "intercept_tls_get_addr=0";
}

#define DEVICE "DTU-0001"
/* Generous: a whole upgrade with reboots takes well under a second here. */
#define WAIT_SECONDS 60

typedef struct _Rig
{
  char *root;
  char *device;
  char *layout;
  guint16 broker_port;
  GSubprocess *broker;
  FfKey *platform_key;
  FfKey *terminal_key;
  SoupServer *server;
  char *base_url;
  GHashTable *packages;        /* sha256 → path */
  gboolean tamper_downloads;
  struct mosquitto *platform;
  GAsyncQueue *results;        /* GBytes envelopes */
  GAsyncQueue *states;         /* GBytes state documents */
  GSubprocess *agent;
  char *fault;                 /* for each start of the agent until a power cut struck */
  guint boots;
  guint power_cuts;
  /* Called after a power cut, before the terminal boots again (NULL: nothing). */
  void (*after_power_cut) (struct _Rig *rig);
  gboolean stopping;
} Rig;

/* ---- files of the simulated device ---- */

static char *
device_file (Rig *rig, const char *name)
{
  return g_build_filename (rig->device, name, NULL);
}

static void
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
static GBytes *
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
static char *
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

static char *
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

/* The version in a slot's header. */
static char *
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

static gboolean
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

static char *
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
static void
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

static void
stop_agent (Rig *rig)
{
  GMainContext *context = g_main_context_default ();

  rig->stopping = TRUE;
  if (rig->agent != NULL)
    {
      g_subprocess_send_signal (rig->agent, SIGTERM);
      while (rig->agent != NULL)
        g_main_context_iteration (context, TRUE);
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

static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
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

  rig->broker_port = free_port ();
  /* Run as root, mosquitto would switch to the user "mosquitto", who cannot read the keys the
   * test wrote: it stays the test's user. */
  text = g_strdup_printf ("%sper_listener_settings false\nallow_anonymous false\n"
                          "log_dest stderr\nlog_dest file %s/mosquitto.log\nlog_type all\n"
                          "listener %u 127.0.0.1\ncafile %s/ca.crt\ncertfile %s/broker.crt\n"
                          "keyfile %s/broker.key\nrequire_certificate true\n"
                          "use_identity_as_username true\ntls_version tlsv1.3\n",
                          getuid () == 0 ? "user root\n" : "", rig->root, rig->broker_port, rig->root,
                          rig->root, rig->root);
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

static Rig *
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
  g_assert_true (g_spawn_sync (NULL, (char *[]) { script, rig->root, credentials, DEVICE, NULL }, NULL, 0,
                               NULL, NULL, NULL, NULL, &status, &error));
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

static void
rig_free (Rig *rig)
{
  g_autoptr(GError) error = NULL;

  stop_agent (rig);
  mosquitto_disconnect (rig->platform);
  mosquitto_loop_stop (rig->platform, false);
  mosquitto_destroy (rig->platform);
  g_subprocess_send_signal (rig->broker, SIGTERM);
  g_subprocess_wait (rig->broker, NULL, NULL);
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

typedef struct
{
  const char *kind;
  const char *version;
  GBytes *content;
  const char *delta_from;      /* NULL, or the SHA-256 of the image the ffdelta1 content patches */
} Payload;

/* Builds and serves a package; returns its SHA-256. */
static char *
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

static FfRemoteCommand *
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

static void
publish_envelope (Rig *rig, GBytes *envelope)
{
  g_autofree char *topic = ff_remote_topic (DEVICE, "cmd");

  g_assert_cmpint (mosquitto_publish (rig->platform, NULL, topic, g_bytes_get_size (envelope),
                                      g_bytes_get_data (envelope, NULL), 1, false), ==, 0);
}

static void
send_command (Rig *rig, const FfRemoteCommand *command, FfKey *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) envelope = ff_remote_command_seal (command, key, &error);

  g_assert_no_error (error);
  publish_envelope (rig, envelope);
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The next message of @queue; the main context (the bootloader, the HTTPS server) runs
 * meanwhile. */
static GBytes *
wait_message (GAsyncQueue *queue)
{
  gboolean timed_out = FALSE;
  guint timer = g_timeout_add_seconds (WAIT_SECONDS, on_wait_timeout, &timed_out);
  GBytes *message;

  while ((message = g_async_queue_try_pop (queue)) == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timer);
  return message;
}

/* Boots the device and waits until its agent is online (subscribed to its commands). */
static void
boot_online (Rig *rig)
{
  boot (rig);
  for (;;)
    {
      g_autoptr(GBytes) state = wait_message (rig->states);

      if (g_strstr_len (g_bytes_get_data (state, NULL), g_bytes_get_size (state),
                        "\"online\" : true") != NULL)
        return;
    }
}

/* The next result the platform receives, verified with the terminal's key. */
static FfRemoteResult *
wait_result (Rig *rig)
{
  g_autoptr(GBytes) envelope = wait_message (rig->results);
  g_autoptr(GError) error = NULL;
  FfRemoteResult *result;
  result = ff_remote_result_load (envelope, rig->terminal_key, DEVICE, &error);
  g_assert_no_error (error);
  return result;
}

static void
send_ack (Rig *rig, const char *result_id, FfKey *key)
{
  g_autoptr(FfRemoteCommand) ack = new_command (rig, FF_REMOTE_COMMAND_ACK, NULL);

  ack->result_id = g_strdup (result_id);
  send_command (rig, ack, key);
}

static guint
outbox_size (Rig *rig)
{
  g_autofree char *outbox = device_file (rig, "data/outbox");
  g_autoptr(GDir) dir = g_dir_open (outbox, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
assert_params_intact (Rig *rig)
{
  g_autofree char *app_path = device_file (rig, "params/app.ini");
  g_autofree char *points_path = device_file (rig, "params/points.ini");
  g_autofree char *app = read_file (app_path);
  g_autofree char *points = read_file (points_path);

  g_assert_cmpstr (app, ==, "[app]\nfeeder=12\n");
  g_assert_cmpstr (points, ==, "[points]\nyx=1-64\n");
}

static void
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

static char *
main_program_package (Rig *rig, const char *version, gboolean healthy, const char *hardware)
{
  g_autofree char *script = program_script (version, healthy);
  g_autoptr(GBytes) content = g_bytes_new (script, strlen (script));
  Payload payload = { "main-program", version, content };

  return make_package (rig, hardware, &payload, 1);
}

/* Upgrade, result, ack; the outbox keeps a result until a valid ack and survives a restart. */
static void
test_program_upgrade (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL, replayed = NULL, again = NULL, republished = NULL;
  g_autofree char *version = NULL, *backup_version = NULL, *backup = NULL;
  g_autoptr(FfKey) forger = ff_key_generate (NULL);

  boot_online (rig);
  send_command (rig, command, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpstr (result->command_id, ==, command->command_id);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (result->versions.main_program, ==, "V2.0");
  g_assert_cmpstr (result->versions.kernel, ==, "K1.0");
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V2.0");
  backup = device_file (rig, "backup/main-program/main-program");
  g_assert_true (g_file_test (backup, G_FILE_TEST_IS_EXECUTABLE));
  assert_params_intact (rig);
  g_assert_cmpuint (outbox_size (rig), ==, 1);

  /* An ack signed by another key does not clear it (and is refused as a command that does not
   * verify); the platform's does. Each refusal's result is the marker that the agent handled
   * what came before it on the command topic. */
  send_ack (rig, result->result_id, forger);
  replayed = wait_result (rig);
  g_assert_cmpint (replayed->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (replayed->command_id);
  g_assert_cmpuint (outbox_size (rig), ==, 2);
  send_ack (rig, result->result_id, rig->platform_key);
  /* The same command again is ignored (a command ID is handled once): the next result is the
   * refusal of the forged ack after it. */
  send_command (rig, command, rig->platform_key);
  send_ack (rig, result->result_id, forger);
  again = wait_result (rig);
  g_assert_cmpint (again->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (again->command_id);
  g_assert_cmpuint (outbox_size (rig), ==, 2);

  /* A restart publishes what is still unacknowledged, oldest first. */
  stop_agent (rig);
  boot (rig);
  republished = wait_result (rig);
  g_assert_cmpstr (republished->result_id, ==, replayed->result_id);
  rig_free (rig);
}

static void
publish_retained (Rig *rig, const FfRemoteCommand *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) envelope = ff_remote_command_seal (command, rig->platform_key, &error);
  g_autofree char *topic = ff_remote_topic (DEVICE, "cmd");

  g_assert_no_error (error);
  g_assert_cmpint (mosquitto_publish (rig->platform, NULL, topic, g_bytes_get_size (envelope),
                                      g_bytes_get_data (envelope, NULL), 1, true), ==, 0);
}

/* Reboots the terminal: the @n results of its outbox come again (at the connection), then a
 * forged ack is refused with a result of its own, which comes after whatever the agent made of
 * the retained command the broker delivered at its subscription. That next result is returned. */
static FfRemoteResult *
reboot_until_marker (Rig *rig, guint n)
{
  g_autoptr(FfKey) forger = ff_key_generate (NULL);

  stop_agent (rig);
  boot (rig);
  for (guint i = 0; i < n; i++)
    ff_remote_result_free (wait_result (rig));
  send_ack (rig, "0123456789abcdef0123456789abcdef", forger);
  return wait_result (rig);
}

/* The platform publishes its commands retained (issue 14): the broker delivers one again at every
 * subscription of the terminal, until the platform's ack replaces it — after a power cut in the
 * middle of its install, after its result. The agent executes it once and reports once; a
 * command it refused (expired) is refused once. */
static void
test_retained_command (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteCommand) expired = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL, marker = NULL, refused = NULL;
  g_autofree char *version = NULL;

  rig->fault = g_strdup ("power-cut-at=installing-program");
  boot_online (rig);
  publish_retained (rig, command);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (result->command_id, ==, command->command_id);
  g_assert_cmpuint (rig->power_cuts, ==, 1);
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V2.0");
  /* Finished, its result not acknowledged: the retained command comes again and is ignored. */
  marker = reboot_until_marker (rig, 1);
  g_assert_cmpint (marker->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (marker->command_id);
  g_assert_cmpuint (outbox_size (rig), ==, 2);
  g_clear_pointer (&marker, ff_remote_result_free);

  /* An expired command, refused once: not again when the broker delivers it again. */
  expired->not_after = expired->issued_at - 60;
  expired->issued_at -= 120;
  publish_retained (rig, expired);
  refused = wait_result (rig);
  g_assert_cmpint (refused->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (refused->command_id, ==, expired->command_id);
  marker = reboot_until_marker (rig, 3);
  g_assert_cmpint (marker->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (marker->command_id);
  g_assert_cmpuint (outbox_size (rig), ==, 4);
  rig_free (rig);
}

/* The new main program does not start: its backup comes back, also after a power cut at @data
 * (NULL: none) while it is restored. */
static void
test_program_health_check_fails (gconstpointer data)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", FALSE, "H1");
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *version = NULL;

  rig->fault = g_strdup (data);
  boot_online (rig);
  send_command (rig, command, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (result->step, ==, "health-check");
  g_assert_cmpstr (result->versions.main_program, ==, "V1.0");
  g_assert_cmpuint (rig->power_cuts, ==, data != NULL);
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V1.0");
  assert_params_intact (rig);
  rig_free (rig);
}

static void
test_program_rollback_command (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autoptr(FfRemoteCommand) upgrade = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteCommand) rollback = new_command (rig, FF_REMOTE_COMMAND_ROLLBACK, NULL);
  g_autoptr(FfRemoteResult) upgraded = NULL, rolled_back = NULL;
  g_autofree char *version = NULL;

  boot_online (rig);
  send_command (rig, upgrade, rig->platform_key);
  upgraded = wait_result (rig);
  g_assert_cmpint (upgraded->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  rollback->program = g_strdup ("main-program");
  send_command (rig, rollback, rig->platform_key);
  rolled_back = wait_result (rig);
  g_assert_cmpint (rolled_back->outcome, ==, FF_REMOTE_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (rolled_back->step, ==, "rollback");
  g_assert_cmpstr (rolled_back->versions.main_program, ==, "V1.0");
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V1.0");
  rig_free (rig);
}

/* Each refusal writes nothing and the result says why. */
static void
test_refusals (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *good = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autofree char *older = main_program_package (rig, "V0.9", TRUE, "H1");
  g_autofree char *other_hardware = main_program_package (rig, "V2.0", TRUE, "H7");
  g_autoptr(FfKey) forger = ff_key_generate (NULL);
  g_autoptr(FfRemoteCommand) forged = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, good);
  g_autoptr(FfRemoteCommand) expired = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, good);
  g_autoptr(FfRemoteCommand) other_device = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, good);
  g_autoptr(FfRemoteCommand) downgrade = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, older);
  g_autoptr(FfRemoteCommand) hardware = new_command (rig, FF_REMOTE_COMMAND_UPGRADE,
                                                     other_hardware);
  g_autoptr(FfRemoteCommand) tampered = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, good);
  g_autoptr(FfRemoteCommand) signed_rollback = new_command (rig, FF_REMOTE_COMMAND_ROLLBACK,
                                                            older);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autoptr(GBytes) garbage = g_bytes_new_static ("{\"document\":1}", 14);
  g_autofree char *version = NULL;

  boot_online (rig);
  send_command (rig, forged, forger);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (result->command_id);
  g_assert_cmpstr (result->step, ==, "verify-command");
  g_clear_pointer (&result, ff_remote_result_free);

  publish_envelope (rig, garbage);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (result->command_id);
  g_clear_pointer (&result, ff_remote_result_free);

  expired->issued_at -= 7200;
  expired->not_after = expired->issued_at + 60;
  send_command (rig, expired, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (result->command_id, ==, expired->command_id);
  g_clear_pointer (&result, ff_remote_result_free);

  g_free (other_device->device_id);
  other_device->device_id = g_strdup ("DTU-0002");
  send_command (rig, other_device, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (result->command_id, ==, other_device->command_id);
  g_clear_pointer (&result, ff_remote_result_free);

  send_command (rig, downgrade, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (result->step, ==, "verify-package");
  g_assert_nonnull (strstr (result->reason, "downgrade"));
  g_clear_pointer (&result, ff_remote_result_free);

  send_command (rig, hardware, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (result->step, ==, "verify-package");
  g_assert_nonnull (strstr (result->reason, "H1"));
  g_clear_pointer (&result, ff_remote_result_free);

  rig->tamper_downloads = TRUE;
  send_command (rig, tampered, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_FAILED);
  g_assert_cmpstr (result->step, ==, "download");
  g_clear_pointer (&result, ff_remote_result_free);
  rig->tamper_downloads = FALSE;
  assert_nothing_written (rig);

  /* The same older package with a signed rollback command is installed. */
  send_command (rig, signed_rollback, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V0.9");
  rig_free (rig);
}

typedef struct
{
  const char *name;
  int filetype;                /* AE_IFREG, AE_IFLNK */
  const char *data;            /* NULL: manifest.json / manifest.sig of the good package */
  const char *link;
} TarEntry;

/* A tar with @good_sha's signed manifest and @entries, served as a package; returns its SHA-256. */
static char *
make_evil_package (Rig *rig, const char *good_sha, const TarEntry *entries, guint n_entries)
{
  g_autoptr(FfPackage) good = ff_package_open (g_hash_table_lookup (rig->packages, good_sha),
                                               rig->platform_key, NULL);
  GBytes *manifest = ff_package_get_manifest_bytes (good);
  g_autoptr(GBytes) signature = ff_key_sign (rig->platform_key, manifest, NULL);
  g_autofree char *name = g_strdup_printf ("evil-%u.ffpkg", g_hash_table_size (rig->packages));
  char *path = g_build_filename (rig->root, name, NULL);
  struct archive *archive = archive_write_new ();

  g_assert_cmpint (archive_write_set_format_pax_restricted (archive), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open_filename (archive, path), ==, ARCHIVE_OK);
  for (guint i = 0; i < n_entries; i++)
    {
      struct archive_entry *entry = archive_entry_new ();
      gconstpointer bytes = entries[i].data;
      gsize size = bytes != NULL ? strlen (bytes) : 0;

      if (bytes == NULL)
        bytes = g_bytes_get_data (g_str_equal (entries[i].name, "manifest.json") ? manifest
                                                                                 : signature,
                                  &size);
      archive_entry_set_pathname (entry, entries[i].name);
      archive_entry_set_filetype (entry, entries[i].filetype);
      archive_entry_set_perm (entry, 0755);
      if (entries[i].filetype == AE_IFLNK)
        {
          archive_entry_set_symlink (entry, entries[i].link);
          size = 0;
        }
      archive_entry_set_size (entry, size);
      g_assert_cmpint (archive_write_header (archive, entry), ==, ARCHIVE_OK);
      if (size > 0)
        g_assert_cmpint (archive_write_data (archive, bytes, size), ==, size);
      archive_entry_free (entry);
    }
  g_assert_cmpint (archive_write_close (archive), ==, ARCHIVE_OK);
  archive_write_free (archive);
  g_hash_table_insert (rig->packages, ff_sha256_file_hex (path, NULL, NULL), path);
  return ff_sha256_file_hex (path, NULL, NULL);
}

/* Tar entries with "..", an absolute path or a link, and a manifest over 64 KiB: each package is
 * refused before anything is extracted, and the result says why. */
static void
test_evil_packages (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *good = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autofree char *script = program_script ("V6.6", TRUE);
  g_autofree char *big = g_strnfill (70 * 1024, ' ');
  const TarEntry dot_dot[] = {
    { "manifest.json", AE_IFREG }, { "manifest.sig", AE_IFREG },
    { "payloads/../../../programs/main-program", AE_IFREG, script },
  };
  const TarEntry absolute[] = {
    { "manifest.json", AE_IFREG }, { "manifest.sig", AE_IFREG },
    { "/tmp/ff-agent-evil-main-program", AE_IFREG, script },
  };
  const TarEntry link[] = {
    { "manifest.json", AE_IFREG }, { "manifest.sig", AE_IFREG },
    { "payloads/0-main-program", AE_IFLNK, NULL, "/etc/passwd" },
  };
  const TarEntry oversized[] = {
    { "manifest.json", AE_IFREG, big }, { "manifest.sig", AE_IFREG },
  };
  const struct { const TarEntry *entries; guint n; } cases[] = {
    { dot_dot, G_N_ELEMENTS (dot_dot) }, { absolute, G_N_ELEMENTS (absolute) },
    { link, G_N_ELEMENTS (link) }, { oversized, G_N_ELEMENTS (oversized) },
  };

  boot_online (rig);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *sha = make_evil_package (rig, good, cases[i].entries, cases[i].n);
      g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
      g_autoptr(FfRemoteResult) result = NULL;

      send_command (rig, command, rig->platform_key);
      result = wait_result (rig);
      g_test_message ("case %u: %s", i, result->reason);
      g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
      g_assert_cmpstr (result->step, ==, "verify-package");
      g_assert_true (g_str_has_prefix (result->reason, "The package is refused: "));
      assert_nothing_written (rig);
      g_assert_false (g_file_test ("/tmp/ff-agent-evil-main-program", G_FILE_TEST_EXISTS));
    }
  rig_free (rig);
}

static char *
system_package (Rig *rig, const char *kernel_version, const char *rootfs_version)
{
  g_autoptr(GBytes) kernel = make_image ("kernel", kernel_version, 90000);
  g_autoptr(GBytes) rootfs = make_image ("rootfs", rootfs_version, 350000);
  Payload payloads[] = { { "kernel", kernel_version, kernel },
                         { "rootfs", rootfs_version, rootfs } };

  return make_package (rig, "H1", payloads, G_N_ELEMENTS (payloads));
}

/* Recovery layout, kernel + rootfs, with @fault (NULL: none): a power cut, or a slot write error
 * (written again). Ends on the new version with parameters intact and exactly one result. */
static void
run_system_upgrade (const char *fault)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = system_package (rig, "K2.0", "R2.0");
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *kernel = NULL, *rootfs = NULL, *flag = NULL;

  rig->fault = g_strdup (fault);
  boot_online (rig);
  send_command (rig, command, rig->platform_key);
  result = wait_result (rig);
  g_test_message ("fault %s: %s %s %s (%u boots, %u power cuts)", fault ? fault : "none",
                  ff_remote_outcome_to_string (result->outcome), result->step ? result->step : "",
                  result->reason ? result->reason : "", rig->boots, rig->power_cuts);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (result->versions.kernel, ==, "K2.0");
  g_assert_cmpstr (result->versions.rootfs, ==, "R2.0");
  if (fault != NULL && g_str_has_prefix (fault, "power-cut"))
    g_assert_cmpuint (rig->power_cuts, ==, 1);
  kernel = slot_version (rig, "kernel");
  rootfs = slot_version (rig, "rootfs");
  g_assert_cmpstr (kernel, ==, "K2.0");
  g_assert_cmpstr (rootfs, ==, "R2.0");
  g_assert_true (slot_digest_matches (rig, "kernel"));
  g_assert_true (slot_digest_matches (rig, "rootfs"));
  flag = env_get (rig, "ff_mode");
  g_assert_cmpstr (flag, ==, "normal");
  assert_params_intact (rig);
  /* Exactly one result: the outbox holds it alone, under the one ID the platform got. */
  g_assert_cmpuint (outbox_size (rig), ==, 1);
  rig_free (rig);
}

static void
test_system_recovery (void)
{
  run_system_upgrade (NULL);
}

static void
test_system_power_cut (gconstpointer data)
{
  run_system_upgrade (data);
}

/* The package damaged on disk before the recovery system verifies it: nothing is written, the
 * terminal ends on the old version, the result says where it failed. */
static void
test_system_corrupt_in_recovery (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = system_package (rig, "K2.0", "R2.0");
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *kernel = NULL, *flag = NULL;

  rig->fault = g_strdup ("corrupt-download=recovery");
  boot_online (rig);
  send_command (rig, command, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_FAILED);
  g_assert_cmpstr (result->step, ==, "recovery");
  g_assert_cmpstr (result->versions.kernel, ==, "K1.0");
  kernel = slot_version (rig, "kernel");
  g_assert_cmpstr (kernel, ==, "K1.0");
  g_assert_true (slot_digest_matches (rig, "kernel"));
  flag = env_get (rig, "ff_mode");
  g_assert_cmpstr (flag, ==, "normal");
  assert_params_intact (rig);
  rig_free (rig);
}

/* Recovery layout, the new kernel boots but is not healthy (its header says another version):
 * the recovery system writes the old images back, the result is rolled-back. */
static void
test_system_health_check_fails (void)
{
  Rig *rig = rig_new ("recovery");
  g_autoptr(GBytes) kernel_image = make_image ("kernel", "K2.1-broken", 90000);
  Payload payload = { "kernel", "K2.0", kernel_image };
  g_autofree char *sha = make_package (rig, "H1", &payload, 1);
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *kernel = NULL;

  boot_online (rig);
  send_command (rig, command, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (result->step, ==, "health-check");
  g_assert_cmpstr (result->versions.kernel, ==, "K1.0");
  kernel = slot_version (rig, "kernel");
  g_assert_cmpstr (kernel, ==, "K1.0");
  g_assert_true (slot_digest_matches (rig, "kernel"));
  assert_params_intact (rig);
  rig_free (rig);
}

/* A/B, rootfs only, with a power cut at @fault (NULL: none): ends on slot b with the new rootfs
 * and the old kernel beside it — not written again, slot b holding it already — confirmed,
 * parameters intact, exactly one result. */
static void
run_ab_upgrade (const char *fault)
{
  Rig *rig = rig_new ("ab");
  g_autoptr(GBytes) rootfs = make_image ("rootfs", "R2.0", 350000);
  Payload payload = { "rootfs", "R2.0", rootfs };
  g_autofree char *sha = make_package (rig, "H1", &payload, 1);
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *slot = NULL, *available = NULL, *kernel_b = NULL, *rootfs_b = NULL;
  g_autofree char *rootfs_a = NULL;
  g_autofree char *kernel_b_path = device_file (rig, "slots/kernel-b");
  struct utimbuf long_ago = { 1000000000, 1000000000 };
  GStatBuf info;

  g_assert_cmpint (g_utime (kernel_b_path, &long_ago), ==, 0);
  rig->fault = g_strdup (fault);
  boot_online (rig);
  send_command (rig, command, rig->platform_key);
  result = wait_result (rig);
  g_test_message ("fault %s: %s %s", fault ? fault : "none",
                  ff_remote_outcome_to_string (result->outcome),
                  result->reason ? result->reason : "");
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (result->versions.rootfs, ==, "R2.0");
  if (fault != NULL)
    g_assert_cmpuint (rig->power_cuts, ==, 1);
  slot = env_get (rig, "boot_slot");
  available = env_get (rig, "upgrade_available");
  g_assert_cmpstr (slot, ==, "b");
  g_assert_cmpstr (available, ==, "0");
  kernel_b = slot_version (rig, "kernel-b");
  rootfs_b = slot_version (rig, "rootfs-b");
  rootfs_a = slot_version (rig, "rootfs-a");
  g_assert_cmpstr (kernel_b, ==, "K1.0");
  g_assert_cmpstr (rootfs_b, ==, "R2.0");
  g_assert_cmpstr (rootfs_a, ==, "R1.0");
  g_assert_cmpint (g_stat (kernel_b_path, &info), ==, 0);
  g_assert_cmpint (info.st_mtime, ==, long_ago.modtime);
  g_assert_true (slot_digest_matches (rig, "kernel-b"));
  assert_params_intact (rig);
  g_assert_cmpuint (outbox_size (rig), ==, 1);
  rig_free (rig);
}

static void
test_ab_upgrade (void)
{
  run_ab_upgrade (NULL);
}

static void
test_ab_power_cut (gconstpointer data)
{
  run_ab_upgrade (data);
}

/* After the power cut at backing-up: the A/B image was checked but not copied to the data
 * partition (it goes from the package into the slot), and one byte of the stored package's
 * rootfs payload is flipped, as a failing data partition would. */
static void
damage_stored_package (Rig *rig)
{
  g_autofree char *staged = device_file (rig, "data/staging/rootfs");
  g_autofree char *packages = device_file (rig, "data/packages");
  g_autoptr(GDir) dir = g_dir_open (packages, 0, NULL);
  g_autofree char *path = NULL;
  g_autofree char *data = NULL;
  gsize length;

  g_assert_false (g_file_test (staged, G_FILE_TEST_EXISTS));
  g_assert_nonnull (dir);
  path = g_build_filename (packages, g_dir_read_name (dir), NULL);
  g_assert_true (g_str_has_suffix (path, ".ffpkg"));
  g_assert_true (g_file_get_contents (path, &data, &length, NULL));
  data[length / 2] ^= 0x40;
  write_file (path, data, length, 0600);
}

/* A/B: the slot is written from the package, and a package damaged on disk after it was
 * verified is caught while it is streamed into the inactive slot: the slot is never switched
 * to (its digest file no longer matches it, the environment still boots slot a) and the result
 * is failed at write-slot. */
static void
test_ab_damaged_before_slot_write (void)
{
  Rig *rig = rig_new ("ab");
  g_autoptr(GBytes) rootfs = make_image ("rootfs", "R2.0", 350000);
  Payload payload = { "rootfs", "R2.0", rootfs };
  g_autofree char *sha = make_package (rig, "H1", &payload, 1);
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *slot = NULL, *available = NULL, *rootfs_a = NULL;

  rig->fault = g_strdup ("power-cut-at=backing-up");
  rig->after_power_cut = damage_stored_package;
  boot_online (rig);
  send_command (rig, command, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpuint (rig->power_cuts, ==, 1);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_FAILED);
  g_assert_cmpstr (result->step, ==, "write-slot");
  g_assert_cmpstr (result->versions.rootfs, ==, "R1.0");
  slot = env_get (rig, "boot_slot");
  available = env_get (rig, "upgrade_available");
  g_assert_cmpstr (slot, !=, "b");
  g_assert_cmpstr (available, !=, "1");
  g_assert_false (slot_digest_matches (rig, "rootfs-b"));
  rootfs_a = slot_version (rig, "rootfs-a");
  g_assert_cmpstr (rootfs_a, ==, "R1.0");
  assert_params_intact (rig);
  g_assert_cmpuint (outbox_size (rig), ==, 1);
  rig_free (rig);
}

/* A main program upgrade with a power cut at @data: ends on the new version, one result. */
static void
test_program_power_cut (gconstpointer data)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *version = NULL;

  rig->fault = g_strdup (data);
  boot_online (rig);
  send_command (rig, command, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpuint (rig->power_cuts, ==, 1);
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V2.0");
  assert_params_intact (rig);
  g_assert_cmpuint (outbox_size (rig), ==, 1);
  rig_free (rig);
}

/* The new slot boots but is not healthy (its kernel says another version than the package):
 * the agent boots the old slot again and reports rolled-back. */
static void
test_ab_health_check_fails (void)
{
  Rig *rig = rig_new ("ab");
  g_autoptr(GBytes) kernel = make_image ("kernel", "K2.1-broken", 90000);
  Payload payload = { "kernel", "K2.0", kernel };
  g_autofree char *sha = make_package (rig, "H1", &payload, 1);
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *slot = NULL;

  boot_online (rig);
  send_command (rig, command, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (result->step, ==, "health-check");
  g_assert_cmpstr (result->versions.kernel, ==, "K1.0");
  slot = env_get (rig, "boot_slot");
  g_assert_cmpstr (slot, ==, "a");
  assert_params_intact (rig);
  rig_free (rig);
}

/* A rootfs delta (ffdelta1) against the running slot's image: the agent applies it, checks the
 * result's SHA-256 and writes it to the inactive slot. A delta made for another image is refused
 * before anything is written. */
static void
test_ab_delta (void)
{
  Rig *rig = rig_new ("ab");
  g_autoptr(GBytes) old_image = make_image ("rootfs", "R1.0", 300000);
  g_autoptr(GBytes) new_image = make_image ("rootfs", "R2.0", 320000);
  g_autoptr(GBytes) other_image = make_image ("rootfs", "R1.5", 300000);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) patch = ff_delta_make (old_image, new_image, &error);
  g_autoptr(GBytes) wrong_patch = ff_delta_make (other_image, new_image, &error);
  g_autofree char *old_sha = ff_sha256_hex (g_bytes_get_data (old_image, NULL),
                                            g_bytes_get_size (old_image));
  g_autofree char *other_sha = ff_sha256_hex (g_bytes_get_data (other_image, NULL),
                                              g_bytes_get_size (other_image));
  g_autofree char *new_sha = ff_sha256_hex (g_bytes_get_data (new_image, NULL),
                                            g_bytes_get_size (new_image));
  Payload wrong = { "rootfs", "R2.0", wrong_patch, other_sha };
  Payload right = { "rootfs", "R2.0", patch, old_sha };
  g_autofree char *wrong_sha = make_package (rig, "H1", &wrong, 1);
  g_autofree char *right_sha = make_package (rig, "H1", &right, 1);
  g_autoptr(FfRemoteCommand) wrong_command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE,
                                                          wrong_sha);
  g_autoptr(FfRemoteCommand) right_command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE,
                                                          right_sha);
  g_autoptr(FfRemoteResult) refused = NULL, result = NULL;
  g_autofree char *slot = NULL, *rootfs_b = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (patch), <, g_bytes_get_size (new_image) / 4);
  boot_online (rig);
  send_command (rig, wrong_command, rig->platform_key);
  refused = wait_result (rig);
  g_assert_cmpint (refused->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (refused->step, ==, "verify-package");
  g_assert_nonnull (strstr (refused->reason, "another installed image"));
  slot = env_get (rig, "boot_slot");
  g_assert_null (slot);
  /* Acknowledged, so the reboot's reconnection does not publish it again. */
  send_ack (rig, refused->result_id, rig->platform_key);

  send_command (rig, right_command, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (result->versions.rootfs, ==, "R2.0");
  rootfs_b = g_build_filename (rig->device, "slots", "rootfs-b", NULL);
  g_free (slot);
  slot = ff_sha256_file_hex (rootfs_b, NULL, NULL);
  g_assert_cmpstr (slot, ==, new_sha);
  rig_free (rig);
}

int
main (int argc, char **argv)
{
  static const char *const power_cuts[] = {
    "power-cut-at=downloading", "power-cut-at=verifying", "power-cut-at=backing-up",
    "power-cut-at=setting-boot", "power-cut-at=rebooting", "power-cut-at=recovery-verifying",
    "power-cut-at=recovery-writing", "power-cut-at=recovery-restoring",
    "power-cut-at=recovery-done", "power-cut-at=health-check", "power-cut-at=reporting",
    "power-cut-in=write-slot:150000", "power-cut-in=env-write", "slot-write-error",
  };
  static const char *const ab_power_cuts[] = {
    "power-cut-at=verifying", "power-cut-at=backing-up", "power-cut-at=writing-slot",
    "power-cut-at=setting-boot", "power-cut-at=rebooting", "power-cut-at=health-check",
    "power-cut-at=reporting", "power-cut-in=write-slot:150000", "power-cut-in=env-write",
  };
  static const char *const program_power_cuts[] = {
    "power-cut-at=downloading", "power-cut-at=verifying", "power-cut-at=backing-up",
    "power-cut-at=installing-program", "power-cut-at=health-check", "power-cut-at=reporting",
  };

  g_test_init (&argc, &argv, NULL);
  mosquitto_lib_init ();
  g_test_add_func ("/agent-remote/program/upgrade", test_program_upgrade);
  g_test_add_func ("/agent-remote/program/retained-command", test_retained_command);
  g_test_add_data_func ("/agent-remote/program/health-check-fails", NULL,
                        test_program_health_check_fails);
  g_test_add_data_func ("/agent-remote/program/health-check-fails/power-cut-at=restoring-backup",
                        "power-cut-at=restoring-backup", test_program_health_check_fails);
  g_test_add_func ("/agent-remote/program/rollback-command", test_program_rollback_command);
  g_test_add_func ("/agent-remote/refusals", test_refusals);
  g_test_add_func ("/agent-remote/evil-packages", test_evil_packages);
  g_test_add_func ("/agent-remote/system/recovery", test_system_recovery);
  for (guint i = 0; i < G_N_ELEMENTS (power_cuts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/agent-remote/system/%s", power_cuts[i]);

      g_test_add_data_func (path, power_cuts[i], test_system_power_cut);
    }
  g_test_add_func ("/agent-remote/system/corrupt-in-recovery", test_system_corrupt_in_recovery);
  g_test_add_func ("/agent-remote/system/health-check-fails", test_system_health_check_fails);
  g_test_add_func ("/agent-remote/ab/upgrade", test_ab_upgrade);
  g_test_add_func ("/agent-remote/ab/damaged-before-slot-write",
                   test_ab_damaged_before_slot_write);
  for (guint i = 0; i < G_N_ELEMENTS (ab_power_cuts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/agent-remote/ab/%s", ab_power_cuts[i]);

      g_test_add_data_func (path, ab_power_cuts[i], test_ab_power_cut);
    }
  for (guint i = 0; i < G_N_ELEMENTS (program_power_cuts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/agent-remote/program/%s",
                                               program_power_cuts[i]);

      g_test_add_data_func (path, program_power_cuts[i], test_program_power_cut);
    }
  g_test_add_func ("/agent-remote/ab/delta", test_ab_delta);
  g_test_add_func ("/agent-remote/ab/health-check-fails", test_ab_health_check_fails);
  return g_test_run ();
}
