/* The daemon's side of remote upgrades: its MQTT session (`serve`) sends the commands not yet
 * sent, ingests the terminals' results and acknowledges them, and keeps their retained state. */
#include "config.h"

#include "ff-platform-remote-service.h"

#include "ff-document.h"
#include "ff-platform-campaigns.h"
#include "ff-platform-clock.h"
#include "ff-platform-error.h"
#include "ff-platform-mqtt.h"
#include "ff-platform-remote.h"

#include <glib/gi18n-lib.h>

struct _FfRemoteService
{
  FfPlatformDb *db;
  FfKey        *platform_key;
  FfMqttClient *client;
  FfPlatformMetrics *metrics;
};

static void
publish_unsent (FfRemoteService *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) unsent = ff_platform_db_list_unsent_commands (self->db, &error);

  if (unsent == NULL)
    {
      g_warning ("MQTT: %s", error->message);
      return;
    }
  for (guint i = 0; i < unsent->len; i++)
    {
      FfRemoteCommandRecord *record = g_ptr_array_index (unsent, i);
      g_autofree char *topic = ff_remote_topic (record->device_id, "cmd");

      if (!ff_mqtt_client_publish (self->client, topic, record->envelope, record->command_id,
                                   &error))
        {
          g_warning ("MQTT: %s", error->message);
          return;
        }
    }
}

static void
connected (FfMqttClient *client,
           gpointer      user_data)
{
  FfRemoteService *self = user_data;
  g_autoptr(GError) error = NULL;

  g_message ("MQTT: connected");
  if (!ff_mqtt_client_subscribe (client, "ff/v1/t/+/result", &error)
      || !ff_mqtt_client_subscribe (client, "ff/v1/t/+/state", &error)
      || !ff_mqtt_client_subscribe (client, "ff/v1/t/+/progress", &error))
    {
      g_warning ("MQTT: %s", error->message);
      return;
    }
  publish_unsent (self);
}

static void
take_result (FfRemoteService *self,
             const char      *device_id,
             GBytes          *payload)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfRemoteResult) result = NULL;
  g_autoptr(GBytes) ack = NULL;
  g_autofree char *topic = NULL;
  gint64 now = ff_platform_now ();
  gboolean inserted = FALSE;

  result = ff_platform_remote_ingest (self->db, device_id, payload, now, &inserted, &error);
  if (result == NULL)
    {
      /* Not acknowledged: a forged or broken result is not stored either. */
      ff_platform_metrics_add (self->metrics, FF_PLATFORM_COUNTER_REMOTE_RESULTS_REFUSED, 1);
      g_message ("MQTT: refused a result on the topic of %s: %s", device_id, error->message);
      return;
    }
  ff_platform_metrics_add (self->metrics, inserted ? FF_PLATFORM_COUNTER_REMOTE_RESULTS_INGESTED
                                                   : FF_PLATFORM_COUNTER_REMOTE_RESULTS_DUPLICATE,
                           1);
  g_message ("MQTT: result %s of %s: %s%s", result->result_id, device_id,
             ff_remote_outcome_to_string (result->outcome), inserted ? "" : " (again)");
  /* Acknowledged every time it comes, so a terminal whose ack was lost stops resending it. */
  ack = ff_platform_remote_ack (self->platform_key, device_id, result->result_id, now, &error);
  topic = ff_remote_topic (device_id, "cmd");
  if (ack == NULL || !ff_mqtt_client_publish (self->client, topic, ack, NULL, &error))
    g_warning ("MQTT: %s", error->message);
}

/* A progress document moves the terminal's campaign state on (downloading, installing); it is
 * informative and unsigned, so it never stands for a result. */
static void
take_progress (FfRemoteService *self,
               const char      *device_id,
               GBytes          *payload)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *root = NULL;
  const char *command_id, *step;

  if (g_bytes_get_size (payload) > FF_REMOTE_ENVELOPE_MAX_SIZE
      || (parser = ff_document_parse_object (payload, &root, NULL)) == NULL
      || g_strcmp0 (json_object_get_string_member_with_default (root, "device_id", NULL),
                    device_id) != 0)
    return;
  command_id = json_object_get_string_member_with_default (root, "command_id", NULL);
  step = json_object_get_string_member_with_default (root, "step", NULL);
  if (command_id != NULL
      && !ff_platform_db_campaign_take_progress (self->db, command_id, step, ff_platform_now (),
                                                 &error))
    g_message ("MQTT: the progress of %s was not kept: %s", device_id, error->message);
}

static void
message (FfMqttClient *client,
         const char   *topic,
         GBytes       *payload,
         gpointer      user_data)
{
  FfRemoteService *self = user_data;
  g_autofree char *result_device = ff_remote_topic_device (topic, "result");
  g_autofree char *state_device = ff_remote_topic_device (topic, "state");
  g_autofree char *progress_device = ff_remote_topic_device (topic, "progress");
  g_autoptr(GError) error = NULL;

  if (result_device != NULL)
    take_result (self, result_device, payload);
  else if (progress_device != NULL)
    take_progress (self, progress_device, payload);
  else if (state_device != NULL && g_bytes_get_size (payload) <= FF_REMOTE_ENVELOPE_MAX_SIZE)
    {
      /* The versions it names choose the package of the next command (ff-platform-remote-delta.c). */
      if (ff_platform_db_set_terminal_state (self->db, state_device, payload, ff_platform_now (),
                                             &error))
        g_message ("MQTT: the state of %s is kept", state_device);
      else
        g_message ("MQTT: the state of %s was not kept: %s", state_device, error->message);
    }
}

static void
published (FfMqttClient *client,
           const char   *tag,
           gpointer      user_data)
{
  FfRemoteService *self = user_data;
  g_autoptr(GError) error = NULL;

  if (tag == NULL)
    return;
  if (ff_platform_db_mark_command_sent (self->db, tag, ff_platform_now (), &error))
    {
      ff_platform_metrics_add (self->metrics, FF_PLATFORM_COUNTER_REMOTE_COMMANDS_SENT, 1);
      g_message ("MQTT: command %s sent", tag);
    }
  else
    g_warning ("MQTT: %s", error->message);
}

void
ff_remote_service_send_pending (FfRemoteService *service)
{
  if (ff_mqtt_client_is_connected (service->client))
    publish_unsent (service);
}

FfRemoteService *
ff_remote_service_start (FfPlatformDb      *db,
                         const char        *data_dir,
                         FfKey             *platform_key,
                         FfPlatformMetrics *metrics,
                         GError           **error)
{
  static const FfMqttHandlers handlers = { connected, message, published };
  g_autoptr(GError) local_error = NULL;
  g_autoptr(FfMqttSettings) settings = ff_mqtt_settings_load (data_dir, &local_error);
  g_autoptr(FfRemoteService) self = NULL;

  if (settings == NULL)
    {
      if (!g_error_matches (local_error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND))
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  self = g_new0 (FfRemoteService, 1);
  self->db = db;
  self->platform_key = ff_key_ref (platform_key);
  self->metrics = metrics;
  /* A persistent session: results published while the daemon was down wait at the broker. */
  self->client = ff_mqtt_client_new (settings, FF_MQTT_PLATFORM_USER, TRUE, &handlers, self,
                                     error);
  if (self->client == NULL || !ff_mqtt_client_connect (self->client, TRUE, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
ff_remote_service_free (FfRemoteService *service)
{
  if (service == NULL)
    return;
  g_clear_pointer (&service->client, ff_mqtt_client_free);
  g_clear_pointer (&service->platform_key, ff_key_unref);
  g_free (service);
}
