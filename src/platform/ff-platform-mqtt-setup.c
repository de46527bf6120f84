/* The platform's MQTT identities: its own CA (DATA/mqtt/), the broker's configuration, the
 * platform's client certificate, each terminal's credentials, and the broker settings the
 * daemon and the CLI connect with. */
/* renameat2 (RENAME_EXCHANGE): a credentials directory replaced in one step. */
#define _GNU_SOURCE
#include "config.h"

#include "ff-platform-mqtt-setup.h"

#include "ff-document.h"
#include "ff-files.h"
#include "ff-platform-error.h"
#include "ff-platform-fault.h"
#include "ff-remote-doc.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CA_DAYS (20 * 365)
#define CERTIFICATE_DAYS (10 * 365)
#define SETTINGS_GROUP "mqtt"

void
ff_mqtt_settings_free (FfMqttSettings *settings)
{
  if (settings == NULL)
    return;
  g_free (settings->host);
  g_free (settings->platform_host);
  g_free (settings->platform_url);
  g_free (settings->ca_path);
  g_free (settings->cert_path);
  g_free (settings->key_path);
  g_free (settings);
}

static char *
mqtt_path (const char *data_dir,
           const char *name)
{
  return g_build_filename (data_dir, "mqtt", name, NULL);
}

static gboolean
write_file (const char *path,
            const char *contents,
            int         mode,
            GError    **error)
{
  return ff_file_replace (path, contents, -1, mode, error);
}

static gboolean
copy_file (const char *from,
           const char *to,
           int         mode,
           GError    **error)
{
  g_autofree char *contents = NULL;

  return g_file_get_contents (from, &contents, NULL, error)
         && write_file (to, contents, mode, error);
}

static gboolean
make_directory (const char *path,
                GError    **error)
{
  if (g_mkdir_with_parents (path, 0700) == 0)
    return TRUE;
  g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
               _("Could not create the directory %s: %s"), path, g_strerror (errno));
  return FALSE;
}

/* Makes a key and a certificate for it signed by the CA (@ca_key, @ca_pem), written to
 * @key_path (0600) and @cert_path. */
static gboolean
issue (FfKey      *ca_key,
       const char *ca_pem,
       const char *common_name,
       const char *subject_alt_names,
       const char *key_path,
       const char *cert_path,
       FfKey     **key_out,
       GError    **error)
{
  g_autoptr(FfKey) key = ff_key_generate (error);
  g_autofree char *pem = NULL;

  if (key == NULL
      || (pem = ff_key_certify (key, common_name, FALSE, subject_alt_names, ca_key, ca_pem,
                                CERTIFICATE_DAYS, error)) == NULL
      || !ff_key_save_private (key, key_path, error)
      || !write_file (cert_path, pem, 0644, error))
    return FALSE;
  if (key_out != NULL)
    *key_out = g_steal_pointer (&key);
  return TRUE;
}

/* The platform's CA (made on first use, with the platform's own client certificate): its key
 * and certificate. */
static FfKey *
load_ca (const char *data_dir,
         char      **ca_pem,
         GError    **error)
{
  g_autofree char *dir = mqtt_path (data_dir, NULL);
  g_autofree char *key_path = mqtt_path (data_dir, "ca.key");
  g_autofree char *cert_path = mqtt_path (data_dir, "ca.crt");
  g_autoptr(FfKey) key = NULL;

  if (!g_file_test (key_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *pem = NULL;
      g_autofree char *client_key = mqtt_path (data_dir, "platform-client.key");
      g_autofree char *client_cert = mqtt_path (data_dir, "platform-client.crt");

      if (!make_directory (dir, error)
          || (key = ff_key_generate (error)) == NULL
          || (pem = ff_key_certify (key, "Fieldflash platform MQTT CA", TRUE, NULL, key, NULL,
                                    CA_DAYS, error)) == NULL
          || !issue (key, pem, FF_MQTT_PLATFORM_USER, NULL, client_key, client_cert, NULL, error)
          /* The key last: its presence says the CA is complete. */
          || !write_file (cert_path, pem, 0644, error)
          || !ff_key_save_private (key, key_path, error))
        return NULL;
      g_clear_pointer (&key, ff_key_unref);
    }
  if ((key = ff_key_load_private (key_path, error)) == NULL
      || !g_file_get_contents (cert_path, ca_pem, NULL, error))
    return NULL;
  return g_steal_pointer (&key);
}

/* The port saved under @key, or 0 (with @error set) when it is missing or no port. */
static guint
load_port (GKeyFile   *file,
           const char *key,
           const char *path,
           GError    **error)
{
  gint64 port = g_key_file_get_int64 (file, SETTINGS_GROUP, key, error);

  if (port >= 1 && port <= 65535)
    return (guint) port;
  if (error != NULL && *error == NULL)
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                 _("%s names no valid port"), path);
  return 0;
}

FfMqttSettings *
ff_mqtt_settings_load (const char *data_dir,
                       GError    **error)
{
  g_autofree char *path = mqtt_path (data_dir, "settings.ini");
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(FfMqttSettings) settings = g_new0 (FfMqttSettings, 1);
  g_autoptr(GError) local_error = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                   _("The platform has no MQTT broker yet; run “fieldflash-platform mqtt config” "
                     "first (%s)"), local_error->message);
      return NULL;
    }
  settings->host = g_key_file_get_string (file, SETTINGS_GROUP, "host", error);
  if (settings->host == NULL)
    return NULL;
  if ((settings->port = load_port (file, "port", path, error)) == 0)
    return NULL;
  /* Settings of an older `mqtt config`, whose broker has one listener: the platform's clients
   * connect to it (until `mqtt config` runs again). */
  if (!g_key_file_has_key (file, SETTINGS_GROUP, "platform-host", NULL))
    {
      settings->platform_host = g_strdup (settings->host);
      settings->platform_port = settings->port;
    }
  else if ((settings->platform_host = g_key_file_get_string (file, SETTINGS_GROUP,
                                                             "platform-host", error)) == NULL
           || (settings->platform_port = load_port (file, "platform-port", path, error)) == 0)
    return NULL;
  settings->platform_url = g_key_file_get_string (file, SETTINGS_GROUP, "platform-url", error);
  if (settings->platform_url == NULL)
    return NULL;
  settings->ca_path = mqtt_path (data_dir, "ca.crt");
  settings->cert_path = mqtt_path (data_dir, "platform-client.crt");
  settings->key_path = mqtt_path (data_dir, "platform-client.key");
  return g_steal_pointer (&settings);
}

static gboolean
save_settings (const char *data_dir,
               const char *host,
               guint       port,
               const char *platform_host,
               guint       platform_port,
               const char *platform_url,
               GError    **error)
{
  g_autofree char *path = mqtt_path (data_dir, "settings.ini");
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *text = NULL;

  g_key_file_set_string (file, SETTINGS_GROUP, "host", host);
  g_key_file_set_integer (file, SETTINGS_GROUP, "port", (int) port);
  g_key_file_set_string (file, SETTINGS_GROUP, "platform-host", platform_host);
  g_key_file_set_integer (file, SETTINGS_GROUP, "platform-port", (int) platform_port);
  g_key_file_set_string (file, SETTINGS_GROUP, "platform-url", platform_url);
  text = g_key_file_to_data (file, NULL, NULL);
  return write_file (path, text, 0600, error);
}

/* Who may use which topic: the platform reads every terminal's state, progress and result and
 * writes their commands — and reads them back after a restart (the retained command of each
 * terminal it is unsure of, then its own marker on its check topic: ff-platform-remote-check.c);
 * a terminal (its user name is its certificate's CN, the device ID) reads only its own command
 * topic and writes only its own state, progress and result. */
static const char acl_text[] =
  "# Written by fieldflash-platform mqtt config (docs/platform.md, \"Remote upgrades\").\n"
  "user " FF_MQTT_PLATFORM_USER "\n"
  "topic read ff/v1/t/+/state\n"
  "topic read ff/v1/t/+/progress\n"
  "topic read ff/v1/t/+/result\n"
  "topic readwrite ff/v1/t/+/cmd\n"
  "topic readwrite ff/v1/platform/check\n"
  "\n"
  "pattern read ff/v1/t/%u/cmd\n"
  "pattern write ff/v1/t/%u/state\n"
  "pattern write ff/v1/t/%u/progress\n"
  "pattern write ff/v1/t/%u/result\n";

/* The largest MQTT packet the broker takes: an envelope (ff-remote-doc.h) with room for its topic
 * and the packet's header. */
#define MQTT_MAX_PACKET_SIZE (FF_REMOTE_ENVELOPE_MAX_SIZE + 4096)
/* The most a client's queue holds at the broker: the platform's, while it is away, a whole
 * campaign's results and states (10,000 terminals: some 30 MB). */
#define MQTT_MAX_QUEUED_BYTES (64 * 1024 * 1024)

/* A listener's lines: TLS 1.3 with a certificate of the platform's CA, whose CN is the client's
 * user name. A listener named by an IP address listens there only; one named by a host name on
 * every address (its clients reach it by that name). */
static char *
listener_text (const char *dir,
               const char *host,
               guint       port)
{
  g_autofree char *bind = g_hostname_is_ip_address (host) ? g_strconcat (" ", host, NULL)
                                                           : g_strdup ("");

  return g_strdup_printf ("listener %u%s\n"
                          "cafile %s/ca.crt\n"
                          "certfile %s/broker.crt\n"
                          "keyfile %s/broker.key\n"
                          "tls_version tlsv1.3\n"
                          "require_certificate true\n"
                          "use_identity_as_username true\n",
                          port, bind, dir, dir, dir);
}

static char *
broker_config_text (const char *dir,
                    const char *host,
                    guint       port,
                    const char *platform_host,
                    guint       platform_port)
{
  g_autofree char *terminals = listener_text (dir, host, port);
  g_autofree char *platform = listener_text (dir, platform_host, platform_port);

  return g_strdup_printf (
    "# Written by fieldflash-platform mqtt config (docs/platform.md, \"Remote upgrades\").\n"
    "per_listener_settings false\n"
    "allow_anonymous false\n"
    "acl_file %s/acl\n"
    "persistence true\n"
    "persistence_location %s/\n"
    "# The platform's session takes a whole wave's results at once: past mosquitto's default of\n"
    "# 1000 queued messages a client, it would drop the rest (the terminals send them again).\n"
    "max_queued_messages 1000000\n"
    "# ... and at most 64 MiB of them: a terminal publishing at QoS 1 while the platform is away\n"
    "# (at most a million 68 KiB messages) would take the broker's memory; past it, a terminal\n"
    "# sends its results again.\n"
    "max_queued_bytes %d\n"
    "# Every message is a signed document or a state of at most 64 KiB: a terminal that sends a\n"
    "# larger packet is disconnected before it is read, instead of the broker keeping (retained)\n"
    "# and passing on up to 256 MiB a message.\n"
    "max_packet_size %d\n"
    "\n"
    "# The terminals': a client's ID is its certificate's CN, so that a terminal cannot connect\n"
    "# as the platform or as another terminal (taking over, and with a clean session wiping,\n"
    "# that client's session).\n"
    "%s"
    "use_username_as_clientid true\n"
    "\n"
    "# The platform's own clients (serve, its checks, the CLI), which share its certificate and\n"
    "# each take an ID of their own. Never reachable from the terminals' network: the ACL holds\n"
    "# here too, but a client's ID is its own choice.\n"
    "%s",
    dir, dir, MQTT_MAX_QUEUED_BYTES, MQTT_MAX_PACKET_SIZE, terminals, platform);
}

/* A subjectAltName entry for @host; a host name also names the loopback addresses. */
static char *
alt_name (const char *host)
{
  return g_hostname_is_ip_address (host) ? g_strdup_printf ("IP:%s", host)
                                         : g_strdup_printf ("DNS:%s,IP:127.0.0.1,IP:::1", host);
}

gboolean
ff_mqtt_write_config (const char *data_dir,
                      const char *out_dir,
                      const char *host,
                      guint       port,
                      const char *platform_host,
                      guint       platform_port,
                      const char *platform_url,
                      GError    **error)
{
  g_autofree char *dir = g_canonicalize_filename (out_dir, NULL);
  g_autofree char *ca_pem = NULL;
  g_autoptr(FfKey) ca = NULL;
  g_autofree char *names = NULL;
  g_autofree char *platform_name = NULL;
  g_autofree char *config = NULL;
  const char *const names_in_dir[] = {
    "ca.crt", "broker.key", "broker.crt", "platform-client.crt", "platform-client.key",
    "acl", "mosquitto.conf", NULL
  };
  g_autoptr(GPtrArray) full = g_ptr_array_new_with_free_func (g_free);

  /* mosquitto.conf names the directory on its lines: a line break would end a setting there and
   * make the rest of the path a setting of its own. */
  if (ff_text_has_control (dir))
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                           _("The directory's path has a line break or another control "
                             "character, which the broker's configuration cannot hold"));
      return FALSE;
    }
  for (guint i = 0; names_in_dir[i] != NULL; i++)
    g_ptr_array_add (full, g_build_filename (dir, names_in_dir[i], NULL));
  if (!make_directory (dir, error) || (ca = load_ca (data_dir, &ca_pem, error)) == NULL)
    return FALSE;
  /* The broker's certificate names both listeners' hosts. */
  names = alt_name (host);
  platform_name = alt_name (platform_host);
  if (g_strcmp0 (names, platform_name) != 0)
    {
      char *both = g_strconcat (names, ",", platform_name, NULL);

      g_free (names);
      names = both;
    }
  config = broker_config_text (dir, host, port, platform_host, platform_port);
  {
    g_autofree char *client_cert = mqtt_path (data_dir, "platform-client.crt");
    g_autofree char *client_key = mqtt_path (data_dir, "platform-client.key");

    if (!write_file (full->pdata[0], ca_pem, 0644, error)
        || !issue (ca, ca_pem, host, names, full->pdata[1], full->pdata[2], NULL, error)
        || !copy_file (client_cert, full->pdata[3], 0644, error)
        || !copy_file (client_key, full->pdata[4], 0600, error)
        || !write_file (full->pdata[5], acl_text, 0644, error)
        || !write_file (full->pdata[6], config, 0644, error))
      return FALSE;
  }
  return save_settings (data_dir, host, port, platform_host, platform_port, platform_url, error);
}

/* The files of a terminal's credentials directory, in the order they are written. */
enum { TERMINAL_KEY, TERMINAL_CRT, TERMINAL_CA, TERMINAL_PLATFORM_PUB, TERMINAL_PLATFORM_CRT,
       N_TERMINAL_FILES };
static const char *const terminal_files[N_TERMINAL_FILES] = {
  "terminal.key", "terminal.crt", "ca.crt", "platform.pub.pem", "platform.crt"
};

struct _FfMqttIssuer
{
  FfKey      *ca;
  char       *ca_pem;
  char       *platform_pub;
  char       *platform_crt;
  /* Terminals are issued from several threads at once. */
  GMutex      lock;
  /* The directories holding credentials directories renamed since the last sync. */
  GHashTable *unsynced;
  gint        files_written;
};

FfMqttIssuer *
ff_mqtt_issuer_new (const char *data_dir,
                    FfKey      *platform_key,
                    GError    **error)
{
  g_autofree char *tls_crt = g_build_filename (data_dir, "tls.crt", NULL);
  FfMqttIssuer *issuer = g_new0 (FfMqttIssuer, 1);

  g_mutex_init (&issuer->lock);
  issuer->unsynced = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  issuer->platform_pub = ff_key_get_public_pem (platform_key);
  if ((issuer->ca = load_ca (data_dir, &issuer->ca_pem, error)) == NULL
      || !g_file_get_contents (tls_crt, &issuer->platform_crt, NULL, error))
    g_clear_pointer (&issuer, ff_mqtt_issuer_free);
  return issuer;
}

void
ff_mqtt_issuer_free (FfMqttIssuer *issuer)
{
  if (issuer == NULL)
    return;
  g_clear_pointer (&issuer->ca, ff_key_unref);
  g_free (issuer->ca_pem);
  g_free (issuer->platform_pub);
  g_free (issuer->platform_crt);
  g_hash_table_unref (issuer->unsynced);
  g_mutex_clear (&issuer->lock);
  g_free (issuer);
}

static gboolean
set_errno_error (GError    **error,
                 const char *format,
                 const char *path)
{
  int saved = errno;

  g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED, format, path,
               g_strerror (saved));
  return FALSE;
}

/* Writes @contents to the new file @path and syncs it (its directory is renamed into place
 * after, so no temporary name of its own). */
static gboolean
write_new_file (FfMqttIssuer *issuer,
                const char   *path,
                const char   *contents,
                int           mode,
                GError      **error)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  gsize length = strlen (contents), done = 0;
  gboolean ok = fd >= 0;

  while (ok && done < length)
    {
      gssize n = write (fd, contents + done, length - done);

      if (n < 0 && errno != EINTR)
        ok = FALSE;
      else if (n > 0)
        done += (gsize) n;
    }
  ok = ok && fsync (fd) == 0;
  if (!ok)
    set_errno_error (error, _("Could not write %s: %s"), path);
  if (fd >= 0 && close (fd) != 0 && ok)
    ok = set_errno_error (error, _("Could not write %s: %s"), path);
  if (ok && (guint) g_atomic_int_add (&issuer->files_written, 1) + 1
               == ff_platform_fault_kill_in_credentials ())
    raise (SIGKILL);
  return ok;
}

/* Removes the credentials directory @path (its files, then itself), if there is one. */
static gboolean
remove_credentials (const char *path,
                    GError    **error)
{
  for (guint i = 0; i < N_TERMINAL_FILES; i++)
    {
      g_autofree char *file = g_build_filename (path, terminal_files[i], NULL);

      if (g_unlink (file) != 0 && errno != ENOENT)
        return set_errno_error (error, _("Could not remove %s: %s"), file);
    }
  if (g_rmdir (path) != 0 && errno != ENOENT)
    return set_errno_error (error, _("Could not remove %s: %s"), path);
  return TRUE;
}

/* FALSE with @error when @path exists and is not a directory, or holds anything but a terminal's
 * credentials files: replacing it as a whole would lose them. */
static gboolean
check_replaceable (const char *path,
                   GError    **error)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("%s is not a directory that can hold a terminal's credentials"), path);
      return FALSE;
    }

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (!g_strv_contains ((const char *const *) terminal_files, name))
      {
        g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                     _("%s holds other files than a terminal's credentials (%s): issuing "
                       "replaces the directory as a whole"), path, name);
        return FALSE;
      }
  return TRUE;
}

char *
ff_mqtt_issuer_issue (FfMqttIssuer *issuer,
                      const char   *device_id,
                      const char   *out_dir,
                      GError      **error)
{
  g_autofree char *dir = g_canonicalize_filename (out_dir, NULL);
  g_autofree char *parent = g_path_get_dirname (dir);
  g_autofree char *base = g_path_get_basename (dir);
  g_autofree char *temp_name = g_strconcat (".", base, ".new", NULL);
  g_autofree char *temp = g_build_filename (parent, temp_name, NULL);
  g_autoptr(FfKey) key = NULL;
  g_autofree char *private_pem = NULL;
  g_autofree char *certificate = NULL;
  const char *contents[N_TERMINAL_FILES];
  gboolean ok = TRUE;

  /* A temporary directory left by a run killed midway is a terminal's credentials that were
   * never in place: removed, not kept. */
  if (!check_replaceable (dir, error) || !make_directory (parent, error)
      || !remove_credentials (temp, error))
    return NULL;
  if (g_mkdir (temp, 0700) != 0)
    {
      set_errno_error (error, _("Could not create the directory %s: %s"), temp);
      return NULL;
    }
  if ((key = ff_key_generate (error)) == NULL
      || (certificate = ff_key_certify (key, device_id, FALSE, NULL, issuer->ca, issuer->ca_pem,
                                        CERTIFICATE_DAYS, error)) == NULL)
    return NULL;
  if ((private_pem = ff_key_get_private_pem (key)) == NULL)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                   _("Could not encode the private key"));
      return NULL;
    }
  contents[TERMINAL_KEY] = private_pem;
  contents[TERMINAL_CRT] = certificate;
  contents[TERMINAL_CA] = issuer->ca_pem;
  contents[TERMINAL_PLATFORM_PUB] = issuer->platform_pub;
  contents[TERMINAL_PLATFORM_CRT] = issuer->platform_crt;
  for (guint i = 0; ok && i < N_TERMINAL_FILES; i++)
    {
      g_autofree char *path = g_build_filename (temp, terminal_files[i], NULL);

      ok = write_new_file (issuer, path, contents[i], i == TERMINAL_KEY ? 0600 : 0644, error);
    }
  explicit_bzero (private_pem, strlen (private_pem));
  if (!ok || !ff_fsync_directory (temp, error))
    return NULL;
  /* The whole directory at once: an earlier one is swapped out atomically (never a new key
   * beside an old certificate), then removed. */
  if (renameat2 (AT_FDCWD, temp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0)
    ok = remove_credentials (temp, error);
  else if (errno == ENOENT)
    ok = g_rename (temp, dir) == 0
         || set_errno_error (error, _("Could not rename the directory %s: %s"), temp);
  else
    ok = set_errno_error (error, _("Could not rename the directory %s: %s"), temp);
  if (!ok)
    return NULL;
  g_mutex_lock (&issuer->lock);
  g_hash_table_add (issuer->unsynced, g_steal_pointer (&parent));
  g_mutex_unlock (&issuer->lock);
  return ff_key_get_public_pem (key);
}

gboolean
ff_mqtt_issuer_sync (FfMqttIssuer *issuer,
                     GError      **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&issuer->lock);
  GHashTableIter iter;
  const char *dir;

  g_hash_table_iter_init (&iter, issuer->unsynced);
  while (g_hash_table_iter_next (&iter, (gpointer *) &dir, NULL))
    {
      if (!ff_fsync_directory (dir, error))
        return FALSE;
      g_hash_table_iter_remove (&iter);
    }
  return TRUE;
}
