/* The agent's MQTT connection: libmosquitto driven by the GLib main loop (its socket watched with
 * g_source_add_unix_fd, no polling), persistent session (clean_session false, client ID = device
 * ID), TLS with the terminal's credentials, the offline state as last will, reconnection with
 * back-off. */
#pragma once

#include <glib.h>

#include "ff-agent-config.h"

G_BEGIN_DECLS

typedef struct _FfAgentMqtt FfAgentMqtt;

typedef void (*FfAgentMqttConnected) (gpointer     user_data);
typedef void (*FfAgentMqttMessage)   (GBytes      *payload,
                                      gpointer     user_data);

/* @will is the retained state published by the broker when the connection is lost. Messages on
 * the device's command topic go to @on_command; @on_connected runs after each (re)connection and
 * subscription. */
FfAgentMqtt *ff_agent_mqtt_new       (FfAgentConfig         *config,
                                      GBytes                *will,
                                      FfAgentMqttConnected   on_connected,
                                      FfAgentMqttMessage     on_command,
                                      gpointer               user_data,
                                      GError               **error);
/* Publishes @retained_goodbye on the state topic (retained) and disconnects cleanly. */
void         ff_agent_mqtt_free      (FfAgentMqtt           *mqtt,
                                      GBytes                *retained_goodbye);
void         ff_agent_mqtt_start     (FfAgentMqtt           *mqtt);
gboolean     ff_agent_mqtt_is_connected (FfAgentMqtt        *mqtt);
/* Publishes on "ff/v1/t/DEVICE/@suffix"; FALSE when not connected (the caller publishes again
 * after the next connection). */
gboolean     ff_agent_mqtt_publish   (FfAgentMqtt           *mqtt,
                                      const char            *suffix,
                                      GBytes                *payload,
                                      int                    qos,
                                      gboolean               retain);

G_END_DECLS
