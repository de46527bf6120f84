/* After a restart, asks the broker which claimed commands it holds (see the header).
 *
 * A connection of its own — a clean session, so its subscriptions end with it and the daemon's
 * persistent session never receives its own commands — subscribes at QoS 1 to the command topic
 * of each terminal concerned and to the platform's check topic. Once the broker has answered
 * every SUBSCRIBE, it publishes a marker on the check topic; when the marker comes back, every
 * retained message those subscriptions matched has arrived. Mosquitto 2.0.11 guarantees that
 * order: handle__subscribe() queues the retained messages of each topic filter
 * (retain__queue(), db__message_insert() without writing) in the client's outgoing queue before
 * it even queues the SUBACK, then writes them; a message published after the SUBACK arrived goes
 * into the same queue behind them (at QoS 1, past the in-flight limit, the queued ones stay in
 * order too). A broker without that order (docs/platform.md) makes a command the check misses go
 * out a second time, which the terminals ignore; none is lost. */
#include "config.h"

#include "ff-platform-remote-check.h"

#include "ff-crypto.h"
#include "ff-platform-fault.h"
#include "ff-platform-mqtt.h"
#include "ff-platform-remote-db.h"
#include "ff-remote-doc.h"

#define CHECK_TOPIC "ff/v1/platform/check"
/* Topic filters in one SUBSCRIBE. */
#define FILTERS_PER_SUBSCRIBE 256
/* A broker that has not answered by then is not asked any more (unless a test hook says otherwise,
 * ff-platform-fault.h). */
#define CHECK_TIMEOUT_SECONDS 60

struct _FfRemoteCheck
{
  FfMqttClient      *client;
  GPtrArray         *records;
  GPtrArray         *filters;      /* the check topic, then each terminal's command topic once */
  GHashTable        *found;        /* payloads seen on command topics (GBytes) */
  GBytes            *marker;
  guint              subscribing;  /* SUBSCRIBEs not answered yet */
  gboolean           refused;
  guint              timeout;      /* seconds */
  guint              timeout_id;
  guint              done_id;
  FfRemoteCheckDone  done;
  gpointer           user_data;
};

static gboolean
report (gpointer user_data)
{
  FfRemoteCheck *check = user_data;

  check->done_id = 0;
  check->done (check->records, check->refused ? NULL : check->found, check->user_data);
  return G_SOURCE_REMOVE;
}

/* Called from libmosquitto's callbacks: the result goes from the main loop, where the check may
 * be freed. */
static void
finish (FfRemoteCheck *check,
        gboolean       refused)
{
  if (check->done_id != 0 || check->done == NULL)
    return;
  check->refused = refused;
  g_clear_handle_id (&check->timeout_id, g_source_remove);
  check->done_id = g_idle_add (report, check);
}

static gboolean
timed_out (gpointer user_data)
{
  FfRemoteCheck *check = user_data;

  /* Mosquitto grants every subscription and drops what the ACL does not let through: an ACL of
   * an older `mqtt config` drops the marker, which never comes back. */
  g_message ("MQTT: the check of %u commands got no answer within %u s (does the broker's ACL let "
             "the platform read the command topics and ff/v1/platform/check? “mqtt config” "
             "writes one that does)", check->records->len, check->timeout);
  check->timeout_id = 0;
  finish (check, TRUE);
  return G_SOURCE_REMOVE;
}

/* (Again after a lost connection: a clean session starts from nothing.) */
static void
connected (FfMqttClient *client,
           gpointer      user_data)
{
  FfRemoteCheck *check = user_data;
  g_autoptr(GError) error = NULL;

  check->subscribing = 0;
  for (guint i = 0; i < check->filters->len && error == NULL; i += FILTERS_PER_SUBSCRIBE)
    if (ff_mqtt_client_subscribe_many (client, (const char *const *) &check->filters->pdata[i],
                                       MIN (FILTERS_PER_SUBSCRIBE, check->filters->len - i),
                                       &error))
      check->subscribing++;
  if (error != NULL)
    {
      g_message ("MQTT: %s", error->message);
      finish (check, TRUE);
    }
}

static void
subscribed (FfMqttClient *client,
            gboolean      granted,
            gpointer      user_data)
{
  FfRemoteCheck *check = user_data;
  g_autoptr(GError) error = NULL;

  if (!granted)
    {
      g_message ("MQTT: the broker refused the check's subscription to the command topics");
      finish (check, TRUE);
      return;
    }
  if (check->subscribing == 0 || --check->subscribing > 0)
    return;
  if (!ff_mqtt_client_publish (client, CHECK_TOPIC, check->marker, FALSE, NULL, &error))
    {
      g_message ("MQTT: %s", error->message);
      finish (check, TRUE);
    }
}

static void
message (FfMqttClient *client,
         const char   *topic,
         GBytes       *payload,
         gpointer      user_data)
{
  FfRemoteCheck *check = user_data;
  g_autofree char *device_id = NULL;

  if (g_str_equal (topic, CHECK_TOPIC))
    {
      /* Another check's marker (another daemon's) says nothing about this one. */
      if (g_bytes_equal (payload, check->marker))
        finish (check, FALSE);
    }
  else if ((device_id = ff_remote_topic_device (topic, "cmd")) != NULL)
    g_hash_table_add (check->found, g_bytes_ref (payload));
}

FfRemoteCheck *
ff_remote_check_start (const FfMqttSettings *settings,
                       GPtrArray            *records,
                       FfRemoteCheckDone     done,
                       gpointer              user_data,
                       GError              **error)
{
  static const FfMqttHandlers handlers = { connected, message, NULL, subscribed };
  g_autoptr(FfRemoteCheck) check = g_new0 (FfRemoteCheck, 1);
  g_autoptr(GHashTable) topics = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *suffix = ff_random_hex (4);
  g_autofree char *client_id = g_strdup_printf ("%s-check-%s", FF_MQTT_PLATFORM_USER, suffix);
  char *marker = ff_random_hex (16);

  check->records = g_ptr_array_ref (records);
  check->filters = g_ptr_array_new_with_free_func (g_free);
  check->found = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                        (GDestroyNotify) g_bytes_unref, NULL);
  check->marker = g_bytes_new_take (marker, strlen (marker));
  check->done = done;
  check->user_data = user_data;
  g_ptr_array_add (check->filters, g_strdup (CHECK_TOPIC));
  for (guint i = 0; i < records->len; i++)
    {
      FfRemoteCommandRecord *record = g_ptr_array_index (records, i);
      char *topic = ff_remote_topic (record->device_id, "cmd");

      if (g_hash_table_add (topics, topic))
        g_ptr_array_add (check->filters, topic);
      else
        g_free (topic);
    }
  check->client = ff_mqtt_client_new (settings, client_id, FALSE, &handlers, check, error);
  if (check->client == NULL || !ff_mqtt_client_connect (check->client, TRUE, error))
    return NULL;
  check->timeout = ff_platform_fault_check_timeout () > 0 ? ff_platform_fault_check_timeout ()
                                                           : CHECK_TIMEOUT_SECONDS;
  check->timeout_id = g_timeout_add_seconds (check->timeout, timed_out, check);
  return g_steal_pointer (&check);
}

void
ff_remote_check_free (FfRemoteCheck *check)
{
  if (check == NULL)
    return;
  g_clear_handle_id (&check->timeout_id, g_source_remove);
  g_clear_handle_id (&check->done_id, g_source_remove);
  g_clear_pointer (&check->client, ff_mqtt_client_free);
  g_clear_pointer (&check->records, g_ptr_array_unref);
  g_clear_pointer (&check->filters, g_ptr_array_unref);
  g_clear_pointer (&check->found, g_hash_table_unref);
  g_clear_pointer (&check->marker, g_bytes_unref);
  g_free (check);
}
