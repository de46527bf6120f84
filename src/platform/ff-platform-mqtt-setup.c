/* The platform's MQTT identities: its own CA (DATA/mqtt/), the broker's configuration, the
 * platform's client certificate, each terminal's credentials, and the broker settings the
 * daemon and the CLI connect with. */
#include "config.h"

#include "ff-platform-mqtt-setup.h"

#include "ff-platform-error.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#define CA_DAYS (20 * 365)
#define CERTIFICATE_DAYS (10 * 365)
#define SETTINGS_GROUP "mqtt"

void
ff_mqtt_settings_free (FfMqttSettings *settings)
{
  if (settings == NULL)
    return;
  g_free (settings->host);
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
  return g_file_set_contents_full (path, contents, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   mode, error);
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

FfMqttSettings *
ff_mqtt_settings_load (const char *data_dir,
                       GError    **error)
{
  g_autofree char *path = mqtt_path (data_dir, "settings.ini");
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(FfMqttSettings) settings = g_new0 (FfMqttSettings, 1);
  g_autoptr(GError) local_error = NULL;
  gint64 port;

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
  port = g_key_file_get_int64 (file, SETTINGS_GROUP, "port", error);
  if (port < 1 || port > 65535)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                     _("%s names no valid port"), path);
      return NULL;
    }
  settings->port = (guint) port;
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
               const char *platform_url,
               GError    **error)
{
  g_autofree char *path = mqtt_path (data_dir, "settings.ini");
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *text = NULL;

  g_key_file_set_string (file, SETTINGS_GROUP, "host", host);
  g_key_file_set_integer (file, SETTINGS_GROUP, "port", (int) port);
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

static char *
broker_config_text (const char *dir,
                    const char *host,
                    guint       port)
{
  /* A broker named by an IP address listens there only; one named by a host name on every
   * address (the terminals reach it by that name). */
  g_autofree char *bind = g_hostname_is_ip_address (host) ? g_strconcat (" ", host, NULL)
                                                           : g_strdup ("");

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
    "\n"
    "listener %u%s\n"
    "cafile %s/ca.crt\n"
    "certfile %s/broker.crt\n"
    "keyfile %s/broker.key\n"
    "tls_version tlsv1.3\n"
    "require_certificate true\n"
    "use_identity_as_username true\n",
    dir, dir, port, bind, dir, dir, dir);
}

gboolean
ff_mqtt_write_config (const char *data_dir,
                      const char *out_dir,
                      const char *host,
                      guint       port,
                      const char *platform_url,
                      GError    **error)
{
  g_autofree char *dir = g_canonicalize_filename (out_dir, NULL);
  g_autofree char *ca_pem = NULL;
  g_autoptr(FfKey) ca = NULL;
  g_autofree char *names = NULL;
  g_autofree char *config = NULL;
  const char *const names_in_dir[] = {
    "ca.crt", "broker.key", "broker.crt", "platform-client.crt", "platform-client.key",
    "acl", "mosquitto.conf", NULL
  };
  g_autoptr(GPtrArray) full = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; names_in_dir[i] != NULL; i++)
    g_ptr_array_add (full, g_build_filename (dir, names_in_dir[i], NULL));
  if (!make_directory (dir, error) || (ca = load_ca (data_dir, &ca_pem, error)) == NULL)
    return FALSE;
  names = g_hostname_is_ip_address (host)
          ? g_strdup_printf ("IP:%s", host)
          : g_strdup_printf ("DNS:%s,IP:127.0.0.1,IP:::1", host);
  config = broker_config_text (dir, host, port);
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
  return save_settings (data_dir, host, port, platform_url, error);
}

char *
ff_mqtt_issue_credentials (const char *data_dir,
                           const char *device_id,
                           FfKey      *platform_key,
                           const char *out_dir,
                           GError    **error)
{
  g_autofree char *ca_pem = NULL;
  g_autoptr(FfKey) ca = NULL;
  g_autoptr(FfKey) key = NULL;
  g_autofree char *key_path = g_build_filename (out_dir, "terminal.key", NULL);
  g_autofree char *cert_path = g_build_filename (out_dir, "terminal.crt", NULL);
  g_autofree char *ca_path = g_build_filename (out_dir, "ca.crt", NULL);
  g_autofree char *platform_pub_path = g_build_filename (out_dir, "platform.pub.pem", NULL);
  g_autofree char *platform_crt_path = g_build_filename (out_dir, "platform.crt", NULL);
  g_autofree char *tls_crt = g_build_filename (data_dir, "tls.crt", NULL);
  g_autofree char *platform_pub = ff_key_get_public_pem (platform_key);

  if (!make_directory (out_dir, error)
      || (ca = load_ca (data_dir, &ca_pem, error)) == NULL
      || !issue (ca, ca_pem, device_id, NULL, key_path, cert_path, &key, error)
      || !write_file (ca_path, ca_pem, 0644, error)
      || !write_file (platform_pub_path, platform_pub, 0644, error)
      || !copy_file (tls_crt, platform_crt_path, 0644, error))
    return NULL;
  return ff_key_get_public_pem (key);
}
