/* The platform's MQTT client: libmosquitto driven by the GLib main loop (its socket in a GSource,
 * no thread of its own), reconnecting by itself after a lost connection. */
#pragma once

#include "ff-platform-mqtt-setup.h"

G_BEGIN_DECLS

typedef struct _FfMqttClient FfMqttClient;

typedef struct
{
  /* The broker accepted the connection (again): subscribe and publish what waits. */
  void (*connected) (FfMqttClient *client,
                     gpointer      user_data);
  void (*message)   (FfMqttClient *client,
                     const char   *topic,
                     GBytes       *payload,
                     gpointer      user_data);
  /* The broker acknowledged (PUBACK) the QoS 1 publication tagged @tag. */
  void (*published) (FfMqttClient *client,
                     const char   *tag,
                     gpointer      user_data);
  /* The broker answered a SUBSCRIBE (SUBACK): @granted is FALSE when it refused one of its
   * topic filters. */
  void (*subscribed) (FfMqttClient *client,
                      gboolean      granted,
                      gpointer      user_data);
} FfMqttHandlers;

/* A client with the platform's identity. @persistent keeps the session (subscriptions and QoS 1
 * messages queued while away) under @client_id across connections. */
FfMqttClient *ff_mqtt_client_new       (const FfMqttSettings *settings,
                                        const char           *client_id,
                                        gboolean              persistent,
                                        const FfMqttHandlers *handlers,
                                        gpointer              user_data,
                                        GError              **error);
void          ff_mqtt_client_free      (FfMqttClient         *client);
/* Connects (TLS handshake included) and attaches to the thread-default main context: now, or
 * with @keep_trying in a worker thread (the main loop never waits for a broker that does not
 * answer), retrying every few seconds after a failure or a lost connection. */
gboolean      ff_mqtt_client_connect   (FfMqttClient         *client,
                                        gboolean              keep_trying,
                                        GError              **error);
gboolean      ff_mqtt_client_is_connected (FfMqttClient      *client);
/* Subscribes to @pattern at QoS 1; handlers->subscribed gets the broker's answer. */
gboolean      ff_mqtt_client_subscribe (FfMqttClient         *client,
                                        const char           *pattern,
                                        GError              **error);
/* The same for the @n_patterns filters of @patterns in one SUBSCRIBE. */
gboolean      ff_mqtt_client_subscribe_many (FfMqttClient    *client,
                                             const char *const *patterns,
                                             guint            n_patterns,
                                             GError         **error);
/* Publishes at QoS 1 (@retain: the broker keeps it as the topic's retained message);
 * handlers->published gets @tag once the broker has it. */
gboolean      ff_mqtt_client_publish   (FfMqttClient         *client,
                                        const char           *topic,
                                        GBytes               *payload,
                                        gboolean              retain,
                                        const char           *tag,
                                        GError              **error);
/* Unacknowledged publications. */
guint         ff_mqtt_client_pending   (FfMqttClient         *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfMqttClient, ff_mqtt_client_free)

G_END_DECLS
