/* The platform's MQTT identities: its own CA (DATA/mqtt/), the broker's configuration, the
 * platform's client certificate, each terminal's credentials, and the broker settings the
 * daemon and the CLI connect with. */
#pragma once

#include "ff-crypto.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* The MQTT user name (certificate CN) of the platform itself; no terminal may have it. */
#define FF_MQTT_PLATFORM_USER "fieldflash-platform"
#define FF_MQTT_DEFAULT_PORT 8883

typedef struct
{
  char  *host;                 /* the broker's listener for the terminals, as they reach it */
  guint  port;
  /* The broker's listener for the platform's own clients (serve, its checks, the CLI): there,
   * client IDs are free; on the terminals' one, a client's ID is its certificate's CN. */
  char  *platform_host;
  guint  platform_port;
  char  *platform_url;         /* https://HOST:PORT of `serve`, for package URLs in commands */
  char  *ca_path;              /* DATA/mqtt/ca.crt */
  char  *cert_path;            /* the platform's client certificate and key */
  char  *key_path;
} FfMqttSettings;

void            ff_mqtt_settings_free  (FfMqttSettings *settings);
/* The settings `mqtt config` saved; FF_PLATFORM_ERROR_NOT_FOUND when it never ran. */
FfMqttSettings *ff_mqtt_settings_load  (const char     *data_dir,
                                        GError        **error);

/* Writes the broker's files into @out_dir (mosquitto.conf, acl, ca.crt, broker.crt/.key,
 * platform-client.crt/.key), making the platform's CA first if needed, and saves them as the
 * settings the platform connects with (its clients to @platform_host:@platform_port). */
gboolean        ff_mqtt_write_config   (const char     *data_dir,
                                        const char     *out_dir,
                                        const char     *host,
                                        guint           port,
                                        const char     *platform_host,
                                        guint           platform_port,
                                        const char     *platform_url,
                                        GError        **error);

/* Issues terminals' credentials: the CA, its certificate and the files every terminal gets are
 * read once, not once per terminal (a fleet is issued in one process). */
typedef struct _FfMqttIssuer FfMqttIssuer;

FfMqttIssuer   *ff_mqtt_issuer_new     (const char     *data_dir,
                                        FfKey          *platform_key,
                                        GError        **error);
void            ff_mqtt_issuer_free    (FfMqttIssuer   *issuer);
/* Writes a terminal's credentials directory @out_dir (terminal.key, terminal.crt, ca.crt,
 * platform.pub.pem, platform.crt) with a new key, as a whole: written and synced beside it, then
 * renamed into place (an earlier one swapped out and removed); returns its public key (PEM).
 * Refused, changing nothing, when @out_dir holds other files. The directory's name is durable
 * after ff_mqtt_issuer_sync(). */
char           *ff_mqtt_issuer_issue   (FfMqttIssuer   *issuer,
                                        const char     *device_id,
                                        const char     *out_dir,
                                        GError        **error);
/* Syncs the directories that hold the credentials directories issued since the last call.
 * ff_mqtt_issuer_issue() may be called from several threads at once. */
gboolean        ff_mqtt_issuer_sync    (FfMqttIssuer   *issuer,
                                        GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfMqttSettings, ff_mqtt_settings_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfMqttIssuer, ff_mqtt_issuer_free)

G_END_DECLS
