/* The agent's MQTT connection (see ff-agent-mqtt.h). */
#include "config.h"

#include "ff-agent-mqtt.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <mosquitto.h>
#include <poll.h>

#include "ff-remote-doc.h"

#define KEEPALIVE_SECONDS 60
/* libmosquitto's housekeeping (keep-alive pings, retries) runs at this pace, not faster. */
#define MISC_INTERVAL_SECONDS 15
#define RECONNECT_MIN_SECONDS 1
#define RECONNECT_MAX_SECONDS 30
#define FLUSH_TIMEOUT_USEC (2 * G_USEC_PER_SEC)

typedef struct
{
  GSource source;
  FfAgentMqtt *mqtt;
  gpointer fd_tag;
} SocketSource;

struct _FfAgentMqtt
{
  struct mosquitto *mosq;
  char *device_id;
  char *host;
  int port;
  char *command_topic;
  FfAgentMqttConnected on_connected;
  FfAgentMqttMessage on_command;
  gpointer user_data;

  GSource *socket_source;
  guint misc_timer;
  guint reconnect_timer;
  guint reconnect_delay;
  gboolean connected;
  gboolean ever_started;
};

static void schedule_reconnect (FfAgentMqtt *mqtt);

static void
watch_socket_update (FfAgentMqtt *mqtt)
{
  SocketSource *source = (SocketSource *) mqtt->socket_source;

  if (source != NULL)
    g_source_modify_unix_fd (mqtt->socket_source, source->fd_tag,
                             G_IO_IN | G_IO_HUP | G_IO_ERR
                             | (mosquitto_want_write (mqtt->mosq) ? G_IO_OUT : 0));
}

static void
unwatch_socket (FfAgentMqtt *mqtt)
{
  if (mqtt->socket_source != NULL)
    {
      g_source_destroy (mqtt->socket_source);
      g_clear_pointer (&mqtt->socket_source, g_source_unref);
    }
  g_clear_handle_id (&mqtt->misc_timer, g_source_remove);
}

static void
connection_lost (FfAgentMqtt *mqtt)
{
  mqtt->connected = FALSE;
  unwatch_socket (mqtt);
  schedule_reconnect (mqtt);
}

static gboolean
socket_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  SocketSource *socket_source = (SocketSource *) source;
  FfAgentMqtt *mqtt = socket_source->mqtt;
  GIOCondition condition = g_source_query_unix_fd (source, socket_source->fd_tag);
  int result = MOSQ_ERR_SUCCESS;

  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    result = mosquitto_loop_read (mqtt->mosq, 1);
  if (result == MOSQ_ERR_SUCCESS && (condition & G_IO_OUT))
    result = mosquitto_loop_write (mqtt->mosq, 1);
  if (result != MOSQ_ERR_SUCCESS)
    {
      g_debug ("MQTT connection lost: %s", mosquitto_strerror (result));
      /* The source is destroyed inside: do not touch it after this. */
      connection_lost (mqtt);
      return G_SOURCE_REMOVE;
    }
  watch_socket_update (mqtt);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs socket_source_funcs = { NULL, NULL, socket_dispatch, NULL, NULL, NULL };

static gboolean
on_misc_timer (gpointer user_data)
{
  FfAgentMqtt *mqtt = user_data;

  if (mosquitto_loop_misc (mqtt->mosq) != MOSQ_ERR_SUCCESS)
    {
      mqtt->misc_timer = 0;
      connection_lost (mqtt);
      return G_SOURCE_REMOVE;
    }
  watch_socket_update (mqtt);
  return G_SOURCE_CONTINUE;
}

static void
watch_socket (FfAgentMqtt *mqtt)
{
  SocketSource *source;

  unwatch_socket (mqtt);
  mqtt->socket_source = g_source_new (&socket_source_funcs, sizeof (SocketSource));
  source = (SocketSource *) mqtt->socket_source;
  source->mqtt = mqtt;
  source->fd_tag = g_source_add_unix_fd (mqtt->socket_source, mosquitto_socket (mqtt->mosq),
                                         G_IO_IN);
  g_source_set_name (mqtt->socket_source, "fieldflash-agent MQTT");
  g_source_attach (mqtt->socket_source, NULL);
  watch_socket_update (mqtt);
  mqtt->misc_timer = g_timeout_add_seconds (MISC_INTERVAL_SECONDS, on_misc_timer, mqtt);
}

static void
connect_now (FfAgentMqtt *mqtt)
{
  int result = mqtt->ever_started ? mosquitto_reconnect_async (mqtt->mosq)
                                  : mosquitto_connect_async (mqtt->mosq, mqtt->host, mqtt->port,
                                                             KEEPALIVE_SECONDS);

  mqtt->ever_started = TRUE;
  if (result != MOSQ_ERR_SUCCESS || mosquitto_socket (mqtt->mosq) < 0)
    {
      g_debug ("MQTT connect to %s:%d: %s", mqtt->host, mqtt->port,
               mosquitto_strerror (result));
      schedule_reconnect (mqtt);
      return;
    }
  watch_socket (mqtt);
}

static gboolean
on_reconnect_timer (gpointer user_data)
{
  FfAgentMqtt *mqtt = user_data;

  mqtt->reconnect_timer = 0;
  connect_now (mqtt);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (FfAgentMqtt *mqtt)
{
  if (mqtt->reconnect_timer != 0)
    return;
  mqtt->reconnect_timer = g_timeout_add_seconds (mqtt->reconnect_delay, on_reconnect_timer, mqtt);
  mqtt->reconnect_delay = MIN (mqtt->reconnect_delay * 2, RECONNECT_MAX_SECONDS);
}

static void
on_connect (struct mosquitto *mosq, void *user_data, int rc)
{
  FfAgentMqtt *mqtt = user_data;

  if (rc != 0)
    {
      g_message ("The broker refused the connection: %s", mosquitto_connack_string (rc));
      return;
    }
  mqtt->connected = TRUE;
  mqtt->reconnect_delay = RECONNECT_MIN_SECONDS;
  mosquitto_subscribe (mosq, NULL, mqtt->command_topic, 1);
  if (mqtt->on_connected != NULL)
    mqtt->on_connected (mqtt->user_data);
}

static void
on_disconnect (struct mosquitto *mosq, void *user_data, int rc)
{
  FfAgentMqtt *mqtt = user_data;

  mqtt->connected = FALSE;
}

static void
on_message (struct mosquitto *mosq, void *user_data, const struct mosquitto_message *message)
{
  FfAgentMqtt *mqtt = user_data;
  g_autoptr(GBytes) payload = NULL;

  if (g_strcmp0 (message->topic, mqtt->command_topic) != 0 || mqtt->on_command == NULL)
    return;
  payload = g_bytes_new (message->payload, message->payloadlen);
  mqtt->on_command (payload, mqtt->user_data);
}

static gboolean
mosquitto_error (GError **error, const char *what, int result)
{
  g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_CONFIG, "MQTT: %s: %s", what,
               result == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (result));
  return FALSE;
}

FfAgentMqtt *
ff_agent_mqtt_new (FfAgentConfig *config, GBytes *will, FfAgentMqttConnected on_connected,
                   FfAgentMqttMessage on_command, gpointer user_data, GError **error)
{
  FfAgentMqtt *mqtt = g_new0 (FfAgentMqtt, 1);
  g_autofree char *ca = g_build_filename (config->credentials, "ca.crt", NULL);
  g_autofree char *cert = g_build_filename (config->credentials, "terminal.crt", NULL);
  g_autofree char *key = g_build_filename (config->credentials, "terminal.key", NULL);
  g_autofree char *tls_key = g_build_filename (config->credentials, "tls.key", NULL);
  g_autofree char *state_topic = ff_remote_topic (config->device_id, "state");
  int result;

  mosquitto_lib_init ();
  mqtt->device_id = g_strdup (config->device_id);
  mqtt->host = g_strdup (config->broker_host);
  mqtt->port = config->broker_port;
  mqtt->command_topic = ff_remote_topic (config->device_id, "cmd");
  mqtt->on_connected = on_connected;
  mqtt->on_command = on_command;
  mqtt->user_data = user_data;
  mqtt->reconnect_delay = RECONNECT_MIN_SECONDS;
  /* A persistent session: commands published while the terminal is offline wait at the broker. */
  mqtt->mosq = mosquitto_new (config->device_id, false, mqtt);
  if (mqtt->mosq == NULL)
    {
      mosquitto_error (error, _("cannot create a client"), MOSQ_ERR_ERRNO);
      ff_agent_mqtt_free (mqtt, NULL);
      return NULL;
    }
  mosquitto_connect_callback_set (mqtt->mosq, on_connect);
  mosquitto_disconnect_callback_set (mqtt->mosq, on_disconnect);
  mosquitto_message_callback_set (mqtt->mosq, on_message);
  /* The platform's credentials give an ECDSA tls.key when Ed25519 does not serve for TLS. */
  result = mosquitto_tls_set (mqtt->mosq, ca, NULL, cert,
                              g_file_test (tls_key, G_FILE_TEST_EXISTS) ? tls_key : key, NULL);
  if (result == MOSQ_ERR_SUCCESS)
    result = mosquitto_tls_opts_set (mqtt->mosq, 1, "tlsv1.3", NULL);
  if (result != MOSQ_ERR_SUCCESS)
    {
      mosquitto_error (error, config->credentials, result);
      ff_agent_mqtt_free (mqtt, NULL);
      return NULL;
    }
  result = mosquitto_will_set (mqtt->mosq, state_topic, g_bytes_get_size (will),
                               g_bytes_get_data (will, NULL), 1, true);
  if (result != MOSQ_ERR_SUCCESS)
    {
      mosquitto_error (error, _("last will"), result);
      ff_agent_mqtt_free (mqtt, NULL);
      return NULL;
    }
  return mqtt;
}

void
ff_agent_mqtt_start (FfAgentMqtt *mqtt)
{
  connect_now (mqtt);
}

gboolean
ff_agent_mqtt_is_connected (FfAgentMqtt *mqtt)
{
  return mqtt->connected;
}

gboolean
ff_agent_mqtt_publish (FfAgentMqtt *mqtt, const char *suffix, GBytes *payload, int qos,
                       gboolean retain)
{
  g_autofree char *topic = ff_remote_topic (mqtt->device_id, suffix);
  int result;

  if (!mqtt->connected)
    return FALSE;
  result = mosquitto_publish (mqtt->mosq, NULL, topic, g_bytes_get_size (payload),
                              g_bytes_get_data (payload, NULL), qos, retain);
  watch_socket_update (mqtt);
  return result == MOSQ_ERR_SUCCESS;
}

void
ff_agent_mqtt_free (FfAgentMqtt *mqtt, GBytes *retained_goodbye)
{
  if (mqtt == NULL)
    return;
  if (mqtt->connected && retained_goodbye != NULL)
    {
      /* Flush the goodbye and the DISCONNECT synchronously (the process is ending), waiting for
       * the socket to take them: a packet cut off half way makes the broker drop the session
       * with an error instead of a clean disconnect. */
      gint64 deadline = g_get_monotonic_time () + FLUSH_TIMEOUT_USEC;

      ff_agent_mqtt_publish (mqtt, "state", retained_goodbye, 1, TRUE);
      mosquitto_disconnect (mqtt->mosq);
      while (mosquitto_want_write (mqtt->mosq) && g_get_monotonic_time () < deadline)
        {
          struct pollfd pollfd = { mosquitto_socket (mqtt->mosq), POLLOUT, 0 };

          if (pollfd.fd < 0 || poll (&pollfd, 1, 100) < 0
              || ((pollfd.revents & POLLOUT)
                  && mosquitto_loop_write (mqtt->mosq, 1) != MOSQ_ERR_SUCCESS))
            break;
        }
    }
  unwatch_socket (mqtt);
  g_clear_handle_id (&mqtt->reconnect_timer, g_source_remove);
  if (mqtt->mosq != NULL)
    mosquitto_destroy (mqtt->mosq);
  mosquitto_lib_cleanup ();
  g_free (mqtt->device_id);
  g_free (mqtt->host);
  g_free (mqtt->command_topic);
  g_free (mqtt);
}
