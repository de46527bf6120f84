/* The platform's MQTT client: libmosquitto driven by the GLib main loop (its socket in a GSource,
 * no thread of its own), reconnecting by itself after a lost connection. */
#include "config.h"

#include "ff-platform-mqtt.h"

#include "ff-crypto.h"
#include "ff-platform-error.h"

#include <glib/gi18n-lib.h>
#include <mosquitto.h>

#define KEEPALIVE_SECONDS 30
/* libmosquitto sends its PINGREQ from mosquitto_loop_misc(): often enough for the keepalive. */
#define MISC_INTERVAL_MS 5000
#define RETRY_SECONDS 2
/* Reads per wake-up: TLS may hold whole packets already read from the socket, which poll()
 * cannot see; each read beyond the last packet returns at once. */
#define READS_PER_WAKEUP 64

typedef struct
{
  GSource       source;
  FfMqttClient *client;
  gpointer      tag;
  GIOCondition  events;             /* what the fd is polled for */
  gint64        next_misc;          /* monotonic µs */
} MqttSource;

/* Reference counted: a connection attempt running in a worker thread holds a reference. */
struct _FfMqttClient
{
  struct mosquitto *mosq;
  FfMqttHandlers    handlers;
  gpointer          user_data;
  char             *host;
  guint             port;
  GSource          *source;         /* while connected */
  guint             retry_id;
  gboolean          keep_trying;
  gboolean          connected;      /* CONNACK seen */
  GHashTable       *tags;           /* mid -> tag */
  /* A retry connects in a worker thread: a broker that does not answer (its TCP connect and TLS
   * handshake block) never holds up the daemon's main loop. */
  GMutex            connect_lock;
  gboolean          connecting;
  int               connect_errno;  /* the worker's errno for MOSQ_ERR_ERRNO (one per thread) */
  gboolean          closed;         /* ff_mqtt_client_free() ran */
  gboolean          failure_told;   /* since the last connection: one message per outage */
};

static void
set_mosquitto_error (GError    **error,
                     const char *what,
                     int         rc)
{
  g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED, "%s: %s", what,
               rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc));
}

static void schedule_retry (FfMqttClient *client);

static void
detach (FfMqttClient *client)
{
  if (client->source != NULL)
    {
      g_source_destroy (client->source);
      g_clear_pointer (&client->source, g_source_unref);
    }
  client->connected = FALSE;
}

static gboolean
source_prepare (GSource *source,
                int     *timeout)
{
  MqttSource *self = (MqttSource *) source;
  gint64 now = g_get_monotonic_time ();
  GIOCondition events = G_IO_IN | G_IO_ERR | G_IO_HUP
                        | (mosquitto_want_write (self->client->mosq) ? G_IO_OUT : 0);

  /* Changing the events wakes the context up: only when they change, or the loop would spin. */
  if (events != self->events)
    {
      g_source_modify_unix_fd (source, self->tag, events);
      self->events = events;
    }
  *timeout = (int) MAX (0, (self->next_misc - now) / 1000);
  return self->next_misc <= now;
}

static gboolean
source_check (GSource *source)
{
  MqttSource *self = (MqttSource *) source;

  return g_source_query_unix_fd (source, self->tag) != 0
         || self->next_misc <= g_get_monotonic_time ();
}

/* A connection that failed: libmosquitto reconnects with the same session when asked. */
static void
connection_lost (FfMqttClient *client,
                 int           rc)
{
  g_message ("MQTT: the connection to %s:%u was lost (%s)", client->host, client->port,
             mosquitto_strerror (rc));
  detach (client);
  schedule_retry (client);
}

static gboolean
source_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  MqttSource *self = (MqttSource *) source;
  FfMqttClient *client = self->client;
  GIOCondition revents = g_source_query_unix_fd (source, self->tag);
  int rc = MOSQ_ERR_SUCCESS;

  if (revents & (G_IO_IN | G_IO_ERR | G_IO_HUP))
    for (guint i = 0; i < READS_PER_WAKEUP && rc == MOSQ_ERR_SUCCESS && client->source != NULL;
         i++)
      rc = mosquitto_loop_read (client->mosq, 1);
  if (rc == MOSQ_ERR_SUCCESS && client->source != NULL && (revents & G_IO_OUT))
    rc = mosquitto_loop_write (client->mosq, 1);
  if (rc == MOSQ_ERR_SUCCESS && client->source != NULL)
    {
      rc = mosquitto_loop_misc (client->mosq);
      self->next_misc = g_get_monotonic_time () + MISC_INTERVAL_MS * 1000;
    }
  if (rc != MOSQ_ERR_SUCCESS && client->source != NULL)
    connection_lost (client, rc);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs source_funcs = { source_prepare, source_check, source_dispatch, NULL };

static void
attach (FfMqttClient *client)
{
  MqttSource *source = (MqttSource *) g_source_new (&source_funcs, sizeof (MqttSource));

  source->client = client;
  source->events = G_IO_IN | G_IO_ERR | G_IO_HUP;
  source->tag = g_source_add_unix_fd (&source->source, mosquitto_socket (client->mosq),
                                      source->events);
  source->next_misc = g_get_monotonic_time () + MISC_INTERVAL_MS * 1000;
  g_source_set_static_name (&source->source, "fieldflash-mqtt");
  g_source_attach (&source->source, g_main_context_get_thread_default ());
  client->source = &source->source;
}

static gboolean
try_connect (FfMqttClient *client,
             GError      **error)
{
  int rc = mosquitto_connect (client->mosq, client->host, (int) client->port, KEEPALIVE_SECONDS);

  if (rc != MOSQ_ERR_SUCCESS)
    {
      g_autofree char *what = g_strdup_printf (_("Could not connect to the MQTT broker %s:%u"),
                                               client->host, client->port);
      set_mosquitto_error (error, what, rc);
      return FALSE;
    }
  attach (client);
  return TRUE;
}

static void
client_clear (FfMqttClient *client)
{
  if (client->mosq != NULL)
    mosquitto_destroy (client->mosq);
  g_hash_table_unref (client->tags);
  g_free (client->host);
  g_mutex_clear (&client->connect_lock);
}

static void
client_unref (FfMqttClient *client)
{
  g_atomic_rc_box_release_full (client, (GDestroyNotify) client_clear);
}

static void
connect_in_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  FfMqttClient *client = task_data;
  int rc = mosquitto_connect (client->mosq, client->host, (int) client->port, KEEPALIVE_SECONDS);
  int saved_errno = errno;

  /* The TLS handshake used OpenSSL on a thread of GTask's pool, which ends when GLib chooses. */
  ff_crypto_thread_done ();
  g_mutex_lock (&client->connect_lock);
  client->connecting = FALSE;
  client->connect_errno = saved_errno;
  g_mutex_unlock (&client->connect_lock);
  g_task_return_int (task, rc);
}

static void
connect_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  FfMqttClient *client = user_data;
  int rc = (int) g_task_propagate_int (G_TASK (result), NULL);

  if (!client->closed)
    {
      if (rc == MOSQ_ERR_SUCCESS)
        {
          client->failure_told = FALSE;
          attach (client);
        }
      else
        {
          if (!client->failure_told)
            g_message ("MQTT: could not connect to %s:%u (%s); trying again every %d s",
                       client->host, client->port,
                       rc == MOSQ_ERR_ERRNO ? g_strerror (client->connect_errno)
                                            : mosquitto_strerror (rc), RETRY_SECONDS);
          client->failure_told = TRUE;
          schedule_retry (client);
        }
    }
  client_unref (client);
}

static gboolean
retry (gpointer user_data)
{
  FfMqttClient *client = user_data;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, connect_done, g_atomic_rc_box_acquire (client));

  client->retry_id = 0;
  client->connecting = TRUE;
  g_task_set_task_data (task, client, NULL);
  g_task_run_in_thread (task, connect_in_thread);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (FfMqttClient *client)
{
  if (client->keep_trying && client->retry_id == 0)
    client->retry_id = g_timeout_add_seconds (RETRY_SECONDS, retry, client);
}

static void
on_connect (struct mosquitto *mosq,
            void             *user_data,
            int               rc)
{
  FfMqttClient *client = user_data;

  if (rc != 0)
    {
      g_message ("MQTT: the broker %s:%u refused the connection (%s)", client->host,
                 client->port, mosquitto_connack_string (rc));
      return;
    }
  client->connected = TRUE;
  if (client->handlers.connected != NULL)
    client->handlers.connected (client, client->user_data);
}

static void
on_message (struct mosquitto                *mosq,
            void                            *user_data,
            const struct mosquitto_message *message)
{
  FfMqttClient *client = user_data;
  g_autoptr(GBytes) payload = g_bytes_new (message->payload, message->payloadlen);

  if (client->handlers.message != NULL)
    client->handlers.message (client, message->topic, payload, client->user_data);
}

static void
on_publish (struct mosquitto *mosq,
            void             *user_data,
            int               mid)
{
  FfMqttClient *client = user_data;
  g_autofree char *tag = NULL;

  if (!g_hash_table_steal_extended (client->tags, GINT_TO_POINTER (mid), NULL, (gpointer *) &tag))
    return;
  if (client->handlers.published != NULL)
    client->handlers.published (client, tag, client->user_data);
}

static void
on_subscribe (struct mosquitto *mosq,
              void             *user_data,
              int               mid,
              int               qos_count,
              const int        *granted_qos)
{
  FfMqttClient *client = user_data;
  gboolean granted = TRUE;

  /* 0x80 (MQTT 3.1.1) or more (MQTT 5 reason codes): that filter was refused. */
  for (int i = 0; i < qos_count; i++)
    granted &= granted_qos[i] < 0x80;
  if (client->handlers.subscribed != NULL)
    client->handlers.subscribed (client, granted, client->user_data);
}

static gpointer
init_library (gpointer data)
{
  mosquitto_lib_init ();
  return NULL;
}

FfMqttClient *
ff_mqtt_client_new (const FfMqttSettings *settings,
                    const char           *client_id,
                    gboolean              persistent,
                    const FfMqttHandlers *handlers,
                    gpointer              user_data,
                    GError              **error)
{
  static GOnce once = G_ONCE_INIT;
  g_autoptr(FfMqttClient) client = g_atomic_rc_box_new0 (FfMqttClient);
  int rc;

  g_once (&once, init_library, NULL);
  client->handlers = *handlers;
  client->user_data = user_data;
  client->host = g_strdup (settings->platform_host);
  client->port = settings->platform_port;
  client->tags = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_mutex_init (&client->connect_lock);
  client->mosq = mosquitto_new (client_id, !persistent, client);
  if (client->mosq == NULL)
    {
      set_mosquitto_error (error, _("Could not make an MQTT client"), MOSQ_ERR_ERRNO);
      return NULL;
    }
  rc = mosquitto_tls_set (client->mosq, settings->ca_path, NULL, settings->cert_path,
                          settings->key_path, NULL);
  if (rc == MOSQ_ERR_SUCCESS)
    rc = mosquitto_tls_opts_set (client->mosq, 1, "tlsv1.3", NULL);
  if (rc != MOSQ_ERR_SUCCESS)
    {
      set_mosquitto_error (error, _("Could not use the platform's MQTT certificate"), rc);
      return NULL;
    }
  mosquitto_connect_callback_set (client->mosq, on_connect);
  mosquitto_message_callback_set (client->mosq, on_message);
  mosquitto_publish_callback_set (client->mosq, on_publish);
  mosquitto_subscribe_callback_set (client->mosq, on_subscribe);
  return g_steal_pointer (&client);
}

void
ff_mqtt_client_free (FfMqttClient *client)
{
  gboolean connecting;

  if (client == NULL)
    return;
  client->closed = TRUE;
  g_clear_handle_id (&client->retry_id, g_source_remove);
  /* A connection attempt still running (a broker that does not answer may hold it for good) keeps
   * its reference: libmosquitto is not to be used by two threads at once, so the client is left to
   * it, and ends with it. */
  g_mutex_lock (&client->connect_lock);
  connecting = client->connecting;
  g_mutex_unlock (&client->connect_lock);
  if (!connecting && client->source != NULL)
    mosquitto_disconnect (client->mosq);
  if (!connecting)
    detach (client);
  client_unref (client);
}

gboolean
ff_mqtt_client_connect (FfMqttClient *client,
                        gboolean      keep_trying,
                        GError      **error)
{
  client->keep_trying = keep_trying;
  if (!keep_trying)
    return try_connect (client, error);
  retry (client);
  return TRUE;
}

gboolean
ff_mqtt_client_is_connected (FfMqttClient *client)
{
  return client->connected;
}

gboolean
ff_mqtt_client_subscribe (FfMqttClient *client,
                          const char   *pattern,
                          GError      **error)
{
  return ff_mqtt_client_subscribe_many (client, &pattern, 1, error);
}

gboolean
ff_mqtt_client_subscribe_many (FfMqttClient      *client,
                               const char *const *patterns,
                               guint              n_patterns,
                               GError           **error)
{
  int rc = mosquitto_subscribe_multiple (client->mosq, NULL, (int) n_patterns,
                                         (char *const *const) patterns, 1, 0, NULL);

  if (rc != MOSQ_ERR_SUCCESS)
    {
      set_mosquitto_error (error, _("Could not subscribe on the MQTT broker"), rc);
      return FALSE;
    }
  return TRUE;
}

gboolean
ff_mqtt_client_publish (FfMqttClient *client,
                        const char   *topic,
                        GBytes       *payload,
                        gboolean      retain,
                        const char   *tag,
                        GError      **error)
{
  int mid = 0;
  int rc = mosquitto_publish (client->mosq, &mid, topic, (int) g_bytes_get_size (payload),
                              g_bytes_get_data (payload, NULL), 1, retain);

  if (rc != MOSQ_ERR_SUCCESS)
    {
      set_mosquitto_error (error, _("Could not publish on the MQTT broker"), rc);
      return FALSE;
    }
  g_hash_table_insert (client->tags, GINT_TO_POINTER (mid), g_strdup (tag));
  return TRUE;
}

guint
ff_mqtt_client_pending (FfMqttClient *client)
{
  return g_hash_table_size (client->tags);
}
