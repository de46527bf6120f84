/* The daemon's side of remote upgrades: its MQTT session (`serve`) sends the commands not yet
 * sent (retained, each once: after a restart it first asks the broker which of the commands a
 * killed daemon claimed it holds), ingests the terminals' results and acknowledges them, and keeps
 * their retained state.
 * What arrives is stored in batches, one transaction (one durable commit) for the messages of a
 * main-loop turn, and acted on only once that commit is durable. A batch holding results is
 * checked and stored by a worker thread, on a database connection of its own, while the main
 * loop reads the next messages; the main loop publishes its acks once it is committed. */
#include "config.h"

#include "ff-platform-remote-service.h"

#include "ff-document.h"
#include "ff-platform-campaigns.h"
#include "ff-platform-clock.h"
#include "ff-platform-error.h"
#include "ff-platform-fault.h"
#include "ff-platform-mqtt.h"
#include "ff-platform-remote-check.h"
#include "ff-platform-remote.h"

#include <glib/gi18n-lib.h>
#include <signal.h>

/* Messages that make a batch at once, without waiting for the main loop to be idle; while a
 * worker checks a batch, the next one gathers what arrives meanwhile, which may be more. */
#define BATCH_MAX 512
/* Commands published and not yet acknowledged by the broker, at most. */
#define PUBLISH_WINDOW 256
/* Results of one terminal a batch takes, at most. An agent keeps one result a command until its
 * ack, and sends them again once a minute: a terminal with more in one batch floods (a terminal's
 * own key signs any number of results), and checking them all held up every other terminal's
 * results (20,000 made the next terminal's wait 12 s). The rest are dropped unread and
 * unacknowledged: an agent sends an unacknowledged result again. */
#define RESULTS_PER_TERMINAL 8
/* Junk progress is logged at most once in this many seconds: progress is QoS 0 and a terminal may
 * send it as fast as its link goes (its certificate lets it), and a line for each would fill the
 * log; /metrics counts every one. */
#define PROGRESS_LOG_SECONDS 60

typedef enum
{
  EVENT_RESULT,         /* a terminal's signed result */
  EVENT_PROGRESS,       /* its progress (downloading, installing) */
  EVENT_STATE,          /* its retained state */
  EVENT_SENT,           /* the broker's PUBACK of a command */
} EventKind;

struct _FfRemoteService
{
  FfPlatformDb *db;
  FfPlatformDb *store_db;       /* the worker's connection, to store the batches it checked */
  FfKey        *platform_key;
  FfMqttClient *client;
  FfMqttSettings *settings;
  FfPlatformMetrics *metrics;
  GPtrArray    *queue;          /* of Event *: arrived, not yet stored */
  guint         queued_sent;    /* of them, the broker's acknowledgements of commands */
  guint         flush_id;
  struct Batch *checking;       /* the batch whose results a worker thread verifies, or NULL */
  GCancellable *cancellable;    /* of that worker's answer (cancelled: the service is gone) */
  guint         in_flight;      /* commands published, their PUBACK not yet arrived */
  guint         kill_after_puback;  /* the test hooks (ff-platform-fault.h), or 0 */
  guint         kill_after_claim;
  guint         kill_before_commit;
  guint         kill_after_commit;
  guint         verified;       /* results that passed their checks, for those hooks */
  guint         acknowledged;
  guint         claimed;
  /* Nothing new is published before the check of what a killed daemon claimed is done: a command
   * published meanwhile could replace the retained one the check looks for. */
  FfRemoteCheck *check;
  gboolean      checked;
  gint64        progress_logged_at;  /* monotonic µs of the last junk progress logged, or 0 */
  guint         progress_unlogged;   /* junk progress since then, counted but not logged */
};

static void flush       (FfRemoteService *self,
                         gboolean         in_thread);
static void queue_event (FfRemoteService *self,
                         EventKind        kind,
                         char            *id,
                         GBytes          *payload);

/* Publishes a claimed command, retained: the broker keeps it as the terminal's command topic's
 * message, so a terminal subscribing later gets it, and a restarted daemon can see it there. */
static void
publish_command (FfRemoteService       *self,
                 FfRemoteCommandRecord *record)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *topic = ff_remote_topic (record->device_id, "cmd");

  /* Claimed, it is not tried again by another process (a lost connection: libmosquitto sends it
   * again when it reconnects, within this process). */
  if (ff_mqtt_client_publish (self->client, topic, record->envelope, TRUE, record->command_id,
                              &error))
    self->in_flight++;
  else
    g_warning ("MQTT: command %s was not published: %s", record->command_id, error->message);
}

/* A campaign's command held while it was paused (or while the broker was away) would reach the
 * terminal past its not_after, which the agent refuses: it is sealed again with the validity it
 * had (issued_at to not_after) from @now, under the same command ID — the agent never saw it, and
 * still runs each ID once. Recorded before it is claimed, so a restart publishes the same bytes. */
static gboolean
renew_held (FfRemoteService       *self,
            FfRemoteCommandRecord *record,
            gint64                 now,
            GError               **error)
{
  g_autoptr(GBytes) document = NULL;
  g_autoptr(FfRemoteCommand) command = NULL;
  g_autoptr(GBytes) envelope = NULL;
  gint64 validity;

  /* The record's times are the command's (issued_at is created_at): a command with more than half
   * its validity left, nearly every one, is published without opening its envelope. */
  if (record->not_after - now >= (record->not_after - record->created_at) / 2)
    return TRUE;
  document = ff_remote_envelope_open (record->envelope, self->platform_key, error);
  if (document == NULL || (command = ff_remote_command_parse (document, error)) == NULL)
    return FALSE;
  validity = command->not_after - command->issued_at;
  if (command->campaign_id == NULL || command->not_after - now >= validity / 2)
    return TRUE;
  command->not_after = now + validity;
  envelope = ff_remote_command_seal (command, self->platform_key, error);
  if (envelope == NULL
      || !ff_platform_db_renew_command (self->db, record->command_id, envelope,
                                        command->not_after, error))
    return FALSE;
  g_bytes_unref (record->envelope);
  record->envelope = g_steal_pointer (&envelope);
  record->not_after = command->not_after;
  return TRUE;
}

/* Publishes the commands never handed to the broker, each exactly once: a round of them is
 * claimed (recorded as published) first, then published at once — a daemon killed after the claim
 * never publishes them again (the next one asks the broker whether it has them, check_claimed()),
 * so the broker carries each command once. At most PUBLISH_WINDOW wait for the broker's
 * acknowledgement at a time; the next round goes when those are stored. */
static void
publish_unsent (FfRemoteService *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) claimed = g_ptr_array_new ();
  g_autoptr(GPtrArray) unpublished = NULL;
  gint64 now = ff_platform_now ();

  /* Commands only: the acks of results in flight would hold the next round with no command's
   * PUBACK left to come and start it. */
  if (!self->checked || self->in_flight >= PUBLISH_WINDOW)
    return;
  unpublished = ff_platform_db_list_unpublished_commands (self->db,
                                                          PUBLISH_WINDOW - self->in_flight,
                                                          &error);
  for (guint i = 0; unpublished != NULL && i < unpublished->len; i++)
    if (!renew_held (self, g_ptr_array_index (unpublished, i), now, &error))
      g_clear_pointer (&unpublished, g_ptr_array_unref);
  if (unpublished == NULL
      || (unpublished->len > 0
          && !ff_platform_db_claim_commands (self->db, unpublished, now, claimed,
                                             &error)))
    {
      g_warning ("MQTT: %s", error->message);
      return;
    }
  self->claimed += claimed->len;
  if (self->kill_after_claim > 0 && self->claimed >= self->kill_after_claim)
    {
      /* The test hook: the record says published, the broker never got them. */
      g_message ("MQTT: FIELDFLASH_PLATFORM_FAULT: killed after claiming %u commands",
                 self->claimed);
      raise (SIGKILL);
    }
  for (guint i = 0; i < claimed->len; i++)
    publish_command (self, g_ptr_array_index (claimed, i));
}

/* Whether the terminal of a claimed command got it: the broker holds it as the retained message
 * of the command topic (@found), or a result of it is stored — then the platform's ack may have
 * replaced it there already, also during the check. */
static gboolean
delivered (FfRemoteService       *self,
           FfRemoteCommandRecord *record,
           GHashTable            *found)
{
  g_autoptr(GError) error = NULL;
  gboolean answered = FALSE;

  if (found != NULL && g_hash_table_contains (found, record->envelope))
    return TRUE;
  if (!ff_platform_db_command_answered (self->db, record, &answered, &error))
    g_warning ("MQTT: %s", error->message);
  return answered;
}

/* The broker's answer: a claimed command that reached the terminal's topic counts as sent (as if
 * its PUBACK had been stored), the others are published now. Without an answer, all of them are
 * but those answered: a terminal ignores a command ID it has handled, and none is lost. */
static void
checked (GPtrArray  *records,
         GHashTable *found,
         gpointer    user_data)
{
  FfRemoteService *self = user_data;
  guint reached = 0;

  for (guint i = 0; i < records->len; i++)
    {
      FfRemoteCommandRecord *record = g_ptr_array_index (records, i);

      if (delivered (self, record, found))
        {
          reached++;
          queue_event (self, EVENT_SENT, g_strdup (record->command_id), NULL);
        }
      else
        publish_command (self, record);
    }
  g_message ("MQTT: of %u commands claimed and not acknowledged, %u reached the broker, %u are "
             "published now%s", records->len, reached, records->len - reached,
             found == NULL ? " (the broker could not be asked)" : "");
  g_clear_pointer (&self->check, ff_remote_check_free);
  self->checked = TRUE;
  /* Stored before anything new is claimed (unless a batch of results is being checked: then
   * after it). */
  flush (self, TRUE);
  publish_unsent (self);
}

/* Once per start, before anything new is published: the commands a killed daemon claimed but
 * whose PUBACK it did not store (at most a round: PUBLISH_WINDOW; or those of a killed `remote
 * upgrade`) may or may not have reached the broker. */
static void
check_claimed (FfRemoteService *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;

  if (self->checked || self->check != NULL)
    return;
  records = ff_platform_db_list_unacknowledged_commands (self->db, &error);
  if (records == NULL)
    {
      /* Tried again at the next connection. */
      g_warning ("MQTT: %s", error->message);
      return;
    }
  if (records->len == 0)
    {
      self->checked = TRUE;
      publish_unsent (self);
      return;
    }
  self->check = ff_remote_check_start (self->settings, records, checked, self, &error);
  if (self->check == NULL)
    {
      g_warning ("MQTT: %s", error->message);
      checked (records, NULL, self);
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
  if (self->checked)
    publish_unsent (self);
  else
    check_claimed (self);
}

/* Batches */

typedef struct
{
  EventKind       kind;
  char           *id;         /* the terminal's device ID; the command's ID for EVENT_SENT */
  GBytes         *payload;
  FfRemoteIngest *ingest;     /* EVENT_RESULT, once verified */
  char           *command_id; /* EVENT_PROGRESS, once read */
  char           *step;
  GBytes         *ack;        /* EVENT_RESULT, once verified: its signed ack, published once stored */
  GError         *ack_error;  /* why it has none */
  GError         *error;      /* why it was not kept */
} Event;

static void
event_free (Event *event)
{
  if (event == NULL)
    return;
  g_free (event->id);
  g_clear_pointer (&event->payload, g_bytes_unref);
  g_clear_pointer (&event->ingest, ff_remote_ingest_free);
  g_free (event->command_id);
  g_free (event->step);
  g_clear_pointer (&event->ack, g_bytes_unref);
  g_clear_error (&event->ack_error);
  g_clear_error (&event->error);
  g_free (event);
}

/* Why a terminal's unsigned message (a progress or a state) is no document of the terminal of its
 * topic, or NULL: then *@parser holds it and *@root is its object. */
static const char *
read_unsigned (Event       *event,
               JsonParser **parser,
               JsonObject **root)
{
  if (g_bytes_get_size (event->payload) > FF_REMOTE_ENVELOPE_MAX_SIZE)
    return "too large";
  if ((*parser = ff_document_parse_object (event->payload, root, NULL)) == NULL)
    return "not a JSON object";
  if (g_strcmp0 (ff_document_peek_string (*root, "device_id", NULL), event->id) != 0)
    return "its device_id is not the terminal of its topic";
  return NULL;
}

/* A progress document moves the terminal's campaign state on (downloading, installing); it is
 * informative and unsigned, so it never stands for a result. One that is not a progress of this
 * terminal is counted, and logged at most once a PROGRESS_LOG_SECONDS. FALSE: not one to keep. */
static gboolean
read_progress (FfRemoteService *self,
               Event           *event)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root = NULL;
  const char *why = read_unsigned (event, &parser, &root);
  gint64 now;

  if (why == NULL
      && (event->command_id = g_strdup (ff_document_peek_string (root, "command_id", NULL)))
         == NULL)
    why = "it names no command_id";
  if (why == NULL)
    {
      event->step = g_strdup (ff_document_peek_string (root, "step", NULL));
      return TRUE;
    }
  ff_platform_metrics_add (self->metrics, FF_PLATFORM_COUNTER_MQTT_PROGRESS_REFUSED, 1);
  now = g_get_monotonic_time ();
  if (self->progress_logged_at != 0
      && now - self->progress_logged_at < PROGRESS_LOG_SECONDS * G_USEC_PER_SEC)
    {
      self->progress_unlogged++;
      return FALSE;
    }
  g_message ("MQTT: a progress of %s was not kept (%s); %u more not kept since the last such line",
             event->id, why, self->progress_unlogged);
  self->progress_logged_at = now;
  self->progress_unlogged = 0;
  return FALSE;
}

/* A retained state is unsigned and informative, yet it is what the console shows of a terminal
 * (online, its versions) and what chooses its delta packages. One that is no state document of
 * this terminal (junk, another terminal's, another format, an emptied retained message) is not
 * kept, so the last good one stays; it is counted and logged. FALSE: not one to keep. */
static gboolean
read_state (FfRemoteService *self,
            Event           *event)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root = NULL;
  JsonNode *format = NULL;
  const char *why = read_unsigned (event, &parser, &root);

  if (why == NULL
      && ((format = json_object_get_member (root, "format_version")) == NULL
          || !JSON_NODE_HOLDS_VALUE (format) || json_node_get_value_type (format) != G_TYPE_INT64
          || json_node_get_int (format) != 1))
    why = "its format_version is not 1";
  if (why == NULL)
    return TRUE;
  ff_platform_metrics_add (self->metrics, FF_PLATFORM_COUNTER_MQTT_STATES_REFUSED, 1);
  g_message ("MQTT: the state of %s was not kept (%s): the last good one stays", event->id, why);
  return FALSE;
}

/* What is done on the main loop before the batch's checks: reading the unsigned messages, and
 * their refusals, which store nothing (a result is read with its checks: check_event). FALSE: the
 * event is dropped. */
static gboolean
read_event (FfRemoteService *self,
            Event           *event)
{
  switch (event->kind)
    {
    case EVENT_PROGRESS:
      return read_progress (self, event);
    case EVENT_STATE:
      return read_state (self, event);
    case EVENT_RESULT:
    case EVENT_SENT:
    default:
      return TRUE;
    }
}

typedef struct Batch
{
  FfRemoteService *service;
  GPtrArray       *events;    /* of Event * */
  gint64           now;
  gboolean         stored;    /* its events that passed their checks are committed */
  GMutex           lock;      /* done: the worker thread's checks and commit are over */
  GCond            cond;
  gboolean         done;
} Batch;

/* The costly work, in a worker thread (outside any transaction): a result read through @db (a
 * copy of one stored already, byte for byte? its terminal's key), its signature checked, and its
 * ack signed ahead (it is published only once the result is stored: finish_event). */
static void
check_event (Batch        *batch,
             FfPlatformDb *db,
             Event        *event)
{
  const FfRemoteResult *result;

  if (event->kind != EVENT_RESULT
      || (event->ingest = ff_platform_remote_read_result (db, event->id, event->payload,
                                                          batch->now, &event->error)) == NULL
      || !ff_remote_ingest_verify (event->ingest, &event->error))
    return;
  result = ff_remote_ingest_get_result (event->ingest);
  event->ack = ff_platform_remote_ack (batch->service->platform_key, event->id,
                                       result->result_id, batch->now, &event->ack_error);
}

/* Whether the event passed its checks; a result that did not is refused here (in the thread that
 * stores the batch): not acknowledged, not stored. */
static gboolean
accept_event (FfRemoteService *self,
              Event           *event)
{
  if (event->kind != EVENT_RESULT || event->error == NULL)
    return TRUE;
  ff_platform_metrics_add (self->metrics, FF_PLATFORM_COUNTER_REMOTE_RESULTS_REFUSED, 1);
  g_message ("MQTT: refused a result on the topic of %s: %s", event->id, event->error->message);
  return FALSE;
}


static Batch *
batch_new (FfRemoteService *service)
{
  Batch *batch = g_new0 (Batch, 1);

  batch->service = service;
  batch->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  batch->now = ff_platform_now ();
  g_mutex_init (&batch->lock);
  g_cond_init (&batch->cond);
  return batch;
}

static void
batch_free (Batch *batch)
{
  g_ptr_array_unref (batch->events);
  g_mutex_clear (&batch->lock);
  g_cond_clear (&batch->cond);
  g_free (batch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Batch, batch_free)

/* Every event of the batch in one transaction: one durable commit for all. An event that fails
 * is undone alone (its own statement or savepoint) and keeps its error; the others are kept. */
static gboolean
store_batch (FfPlatformDb *db,
             gpointer      user_data,
             GError      **error)
{
  Batch *batch = user_data;

  for (guint i = 0; i < batch->events->len; i++)
    {
      Event *event = g_ptr_array_index (batch->events, i);

      switch (event->kind)
        {
        case EVENT_RESULT:
          /* Verified (accept_event): a result is stored only once its signature is checked. */
          ff_platform_remote_store_result (db, event->ingest, &event->error);
          break;
        case EVENT_PROGRESS:
          ff_platform_db_campaign_take_progress (db, event->id, event->command_id, event->step,
                                                 batch->now, &event->error);
          break;
        case EVENT_STATE:
          /* The versions it names choose the package of the next command
           * (ff-platform-remote-delta.c). */
          ff_platform_db_set_terminal_state (db, event->id, event->payload, batch->now,
                                             &event->error);
          break;
        case EVENT_SENT:
        default:
          ff_platform_db_mark_command_sent (db, event->id, batch->now, &event->error);
          break;
        }
    }
  return TRUE;
}

/* Once the batch is durable: acknowledge each result (every time it comes, so a terminal whose
 * ack was lost stops resending it), count and log. */
static void
finish_event (FfRemoteService *self,
              Event           *event)
{
  g_autoptr(GError) error = NULL;
  const FfRemoteResult *result;
  const GError *unmatched;
  gboolean inserted;
  g_autofree char *topic = NULL;

  switch (event->kind)
    {
    case EVENT_RESULT:
      if (event->error != NULL)
        {
          g_warning ("MQTT: the result on the topic of %s was not kept: %s", event->id,
                     event->error->message);
          return;
        }
      result = ff_remote_ingest_get_result (event->ingest);
      inserted = ff_remote_ingest_inserted (event->ingest);
      unmatched = ff_remote_ingest_unmatched (event->ingest);
      if (unmatched != NULL)
        {
          /* Refused, and acknowledged below: the terminal signed it, and would send it forever. */
          ff_platform_metrics_add (self->metrics, FF_PLATFORM_COUNTER_REMOTE_RESULTS_UNMATCHED, 1);
          g_message ("MQTT: refused result %s of %s: %s", result->result_id, event->id,
                     unmatched->message);
        }
      else
        {
          ff_platform_metrics_add (self->metrics,
                                   inserted ? FF_PLATFORM_COUNTER_REMOTE_RESULTS_INGESTED
                                            : FF_PLATFORM_COUNTER_REMOTE_RESULTS_DUPLICATE, 1);
          g_message ("MQTT: result %s of %s: %s%s", result->result_id, event->id,
                     ff_remote_outcome_to_string (result->outcome), inserted ? "" : " (again)");
        }
      if (ff_remote_ingest_repeated (event->ingest))
        ff_platform_metrics_add (self->metrics, FF_PLATFORM_COUNTER_REMOTE_RESULTS_REPEATED, 1);
      topic = ff_remote_topic (event->id, "cmd");
      /* The first ack of a result stored is retained: it replaces the command on the topic, so a
       * terminal subscribing again later gets the ack, not the command it has finished. Any other
       * (a copy sent again, a refused result) goes to the terminal's session only: retained, it
       * replaced a newer command there, which a terminal whose session was lost never got. */
      if (event->ack == NULL)
        g_warning ("MQTT: %s", event->ack_error->message);
      else if (!ff_mqtt_client_publish (self->client, topic, event->ack, inserted, NULL, &error))
        g_warning ("MQTT: %s", error->message);
      break;
    case EVENT_PROGRESS:
      if (event->error != NULL)
        g_message ("MQTT: the progress of %s was not kept: %s", event->id,
                   event->error->message);
      break;
    case EVENT_STATE:
      if (event->error == NULL)
        g_message ("MQTT: the state of %s is kept", event->id);
      else
        g_message ("MQTT: the state of %s was not kept: %s", event->id, event->error->message);
      break;
    case EVENT_SENT:
    default:
      if (event->error == NULL)
        {
          ff_platform_metrics_add (self->metrics, FF_PLATFORM_COUNTER_REMOTE_COMMANDS_SENT, 1);
          g_message ("MQTT: command %s sent", event->id);
        }
      else
        g_warning ("MQTT: %s", event->error->message);
      break;
    }
}

/* Stores the events of a batch whose checks are over that passed them, in one transaction through
 * @db (the main loop's connection, or the worker's). FALSE: nothing to act on (none passed, or
 * the commit failed). */
static gboolean
store_checked (FfRemoteService *self,
               FfPlatformDb    *db,
               Batch           *batch)
{
  g_autoptr(GPtrArray) checked = g_steal_pointer (&batch->events);
  g_autoptr(GError) error = NULL;
  guint results = 0;

  batch->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  for (guint i = 0; i < checked->len; i++)
    if (accept_event (self, g_ptr_array_index (checked, i)))
      g_ptr_array_add (batch->events, g_steal_pointer (&g_ptr_array_index (checked, i)));
  if (batch->events->len == 0)
    return FALSE;
  for (guint i = 0; i < batch->events->len; i++)
    results += ((Event *) g_ptr_array_index (batch->events, i))->kind == EVENT_RESULT;
  /* Only one batch with results is stored at a time (the worker's, or the last at exit): the
   * count and the hooks are the concern of that one alone. */
  if (results > 0)
    self->verified += results;
  if (results > 0 && self->kill_before_commit > 0 && self->verified >= self->kill_before_commit)
    {
      /* The test hook: the results are checked, their acks signed; nothing is stored or sent. */
      g_message ("MQTT: FIELDFLASH_PLATFORM_FAULT: killed before committing %u checked results",
                 self->verified);
      raise (SIGKILL);
    }
  /* Without a result, the batch holds only what the platform can do without after a power cut:
   * a PUBACK's sent_at (a restart asks the broker about a command claimed and not acknowledged)
   * and progress (a result follows), or a retained state (the broker keeps it, the next one
   * replaces it). Its commit does not wait for the disk, nor hold up the main loop's reads. */
  if (!(results > 0 ? ff_platform_db_transaction (db, store_batch, batch, &error)
                    : ff_platform_db_transaction_lazy (db, store_batch, batch, &error)))
    {
      g_warning ("MQTT: %u messages were not kept: %s", batch->events->len, error->message);
      return FALSE;
    }
  if (results > 0 && self->kill_after_commit > 0 && self->verified >= self->kill_after_commit)
    {
      /* The test hook: the results are stored, none is acknowledged. */
      g_message ("MQTT: FIELDFLASH_PLATFORM_FAULT: killed after committing %u checked results",
                 self->verified);
      raise (SIGKILL);
    }
  ff_platform_metrics_add (self->metrics, FF_PLATFORM_COUNTER_MQTT_MESSAGES_STORED,
                           batch->events->len);
  ff_platform_metrics_add (self->metrics, FF_PLATFORM_COUNTER_MQTT_COMMITS, 1);
  return TRUE;
}

/* On the main loop, once the batch is durable: acknowledges its results, logs, and sends the next
 * round of commands. Nothing is acknowledged before its commit: a daemon killed before leaves
 * the results in the terminals' outboxes, which they send again until acknowledged. */
static void
finish_batch (FfRemoteService *self,
              Batch           *batch)
{
  gboolean sent = FALSE;
  gboolean campaigns = FALSE;

  for (guint i = 0; i < batch->events->len; i++)
    {
      Event *event = g_ptr_array_index (batch->events, i);

      finish_event (self, event);
      sent |= event->kind == EVENT_SENT;
      campaigns |= event->kind == EVENT_RESULT || event->kind == EVENT_PROGRESS;
    }
  /* The campaign engine looks once the batch is committed (not at each row its transaction
   * changed: it would look before the commit, at what it read already). */
  if (campaigns)
    ff_platform_campaigns_changed ();
  /* Acknowledgements stored make room for the next round of commands. */
  if (sent && ff_mqtt_client_is_connected (self->client))
    publish_unsent (self);
}

/* Stores a batch whose checks are over through the main loop's connection, then acts on it. */
static void
store_and_finish (FfRemoteService *self,
                  Batch           *batch)
{
  if (store_checked (self, self->db, batch))
    finish_batch (self, batch);
}

static void
check_in_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Batch *batch = task_data;

  for (guint i = 0; i < batch->events->len; i++)
    check_event (batch, batch->service->store_db, g_ptr_array_index (batch->events, i));
  batch->stored = store_checked (batch->service, batch->service->store_db, batch);
  /* The thread is GTask's: it gives back OpenSSL's state of the checks before the service, which
   * waits for done, lets the process exit. */
  ff_crypto_thread_done ();
  g_mutex_lock (&batch->lock);
  batch->done = TRUE;
  g_cond_signal (&batch->cond);
  g_mutex_unlock (&batch->lock);
  g_task_return_boolean (task, TRUE);
}

/* Back on the main loop: the batch is checked and stored; its acks go, then the next batch. */
static void
batch_checked (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  FfRemoteService *self = user_data;
  g_autoptr(Batch) batch = NULL;

  /* Cancelled: the service is gone, and took the batch (ff_remote_service_free). */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  batch = g_steal_pointer (&self->checking);
  if (batch->stored)
    finish_batch (self, batch);
  if (self->queue->len > 0)
    flush (self, TRUE);
}

/* While a worker checks a batch: the broker's acknowledgements of commands that arrived meanwhile
 * are stored at once, in a commit of their own, and the next round of commands goes without
 * waiting for the results' checks. They only set the commands' sent_at, which nothing a result,
 * a progress message or a state stores depends on; the other events keep their order. */
static void
store_acknowledged (FfRemoteService *self)
{
  g_autoptr(Batch) batch = NULL;
  g_autoptr(GPtrArray) arrived = NULL;

  if (self->queued_sent == 0)
    return;
  batch = batch_new (self);
  arrived = g_steal_pointer (&self->queue);
  self->queue = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  self->queued_sent = 0;
  for (guint i = 0; i < arrived->len; i++)
    {
      Event *event = g_steal_pointer (&g_ptr_array_index (arrived, i));

      g_ptr_array_add (event->kind == EVENT_SENT ? batch->events : self->queue, event);
    }
  if (batch->events->len > 0)
    store_and_finish (self, batch);
}

/* Whether the batch still takes a result of @event's terminal (@taken: device ID -> results taken
 * so far, and dropped beyond RESULTS_PER_TERMINAL). */
static gboolean
take_result (GHashTable *taken,
             Event      *event)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (taken, event->id)) + 1;

  g_hash_table_insert (taken, event->id, GUINT_TO_POINTER (n));
  return n <= RESULTS_PER_TERMINAL;
}

/* Counts and logs, once a batch for each terminal, the results take_result() dropped. */
static void
report_dropped (FfRemoteService *self,
                GHashTable      *taken)
{
  GHashTableIter iter;
  gpointer device_id, n;

  g_hash_table_iter_init (&iter, taken);
  while (g_hash_table_iter_next (&iter, &device_id, &n))
    if (GPOINTER_TO_UINT (n) > RESULTS_PER_TERMINAL)
      {
        guint dropped = GPOINTER_TO_UINT (n) - RESULTS_PER_TERMINAL;

        ff_platform_metrics_add (self->metrics, FF_PLATFORM_COUNTER_REMOTE_RESULTS_DROPPED,
                                 dropped);
        g_message ("MQTT: %s sent %u results at once: %u beyond the first %d were dropped unread "
                   "and unacknowledged", (const char *) device_id, GPOINTER_TO_UINT (n), dropped,
                   RESULTS_PER_TERMINAL);
      }
}

/* Takes what arrived since the last flush as a batch: read on the main loop, its results read and
 * checked and the batch stored in one transaction (@in_thread: all three in a worker thread, while
 * the main loop reads the next messages), then acted on. One batch at a time, in the order they
 * arrived: the next waits for this one's commit. */
static void
flush (FfRemoteService *self,
       gboolean         in_thread)
{
  g_autoptr(GPtrArray) arrived = NULL;
  g_autoptr(Batch) batch = NULL;
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) taken = NULL;
  gboolean results = FALSE;

  g_clear_handle_id (&self->flush_id, g_source_remove);
  if (self->checking != NULL)
    store_acknowledged (self);
  if (self->checking != NULL || self->queue->len == 0)
    return;
  arrived = g_steal_pointer (&self->queue);
  self->queue = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  self->queued_sent = 0;
  batch = batch_new (self);
  /* Its keys are the events' device IDs: freed before @arrived. */
  taken = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < arrived->len; i++)
    {
      Event *event = g_ptr_array_index (arrived, i);

      if ((event->kind == EVENT_RESULT && !take_result (taken, event)) || !read_event (self, event))
        continue;
      results |= event->kind == EVENT_RESULT;
      g_ptr_array_add (batch->events, g_steal_pointer (&g_ptr_array_index (arrived, i)));
    }
  report_dropped (self, taken);
  if (!in_thread || !results)
    {
      for (guint i = 0; i < batch->events->len; i++)
        check_event (batch, self->db, g_ptr_array_index (batch->events, i));
      store_and_finish (self, batch);
      return;
    }
  self->checking = g_steal_pointer (&batch);
  task = g_task_new (NULL, self->cancellable, batch_checked, self);
  g_task_set_task_data (task, self->checking, NULL);
  g_task_run_in_thread (task, check_in_thread);
}

static gboolean
flush_idle (gpointer user_data)
{
  FfRemoteService *self = user_data;

  self->flush_id = 0;
  flush (self, TRUE);
  return G_SOURCE_REMOVE;
}

/* Queues an event for the next flush: when the main loop has nothing more to read (each of its
 * turns reads many messages), or at once when the batch is full and no worker has one. While a
 * worker has one, what arrives gathers for the next batch, taken when the worker is done, and the
 * broker's acknowledgements among it are stored at the next idle moment: flushing at each message
 * would pass over the whole queue for each, and commit each acknowledgement alone. */
static void
queue_event (FfRemoteService *self,
             EventKind        kind,
             char            *id,
             GBytes          *payload)
{
  Event *event = g_new0 (Event, 1);

  event->kind = kind;
  event->id = id;
  event->payload = payload != NULL ? g_bytes_ref (payload) : NULL;
  g_ptr_array_add (self->queue, event);
  self->queued_sent += kind == EVENT_SENT;
  if (self->queue->len >= BATCH_MAX && self->checking == NULL)
    flush (self, TRUE);
  else if (self->flush_id == 0)
    self->flush_id = g_idle_add (flush_idle, self);
}

static void
message (FfMqttClient *client,
         const char   *topic,
         GBytes       *payload,
         gpointer      user_data)
{
  FfRemoteService *self = user_data;
  char *device_id;

  if ((device_id = ff_remote_topic_device (topic, "result")) != NULL)
    queue_event (self, EVENT_RESULT, device_id, payload);
  else if ((device_id = ff_remote_topic_device (topic, "progress")) != NULL)
    queue_event (self, EVENT_PROGRESS, device_id, payload);
  else if ((device_id = ff_remote_topic_device (topic, "state")) != NULL)
    queue_event (self, EVENT_STATE, device_id, payload);
}

static void
published (FfMqttClient *client,
           const char   *tag,
           gpointer      user_data)
{
  FfRemoteService *self = user_data;

  if (tag == NULL)
    return;
  self->in_flight -= MIN (self->in_flight, 1);
  if (self->kill_after_puback > 0 && ++self->acknowledged >= self->kill_after_puback)
    {
      /* The test hook: the worst moment, the broker has the command and the record does not
       * say so. */
      g_message ("MQTT: FIELDFLASH_PLATFORM_FAULT: killed at the broker's acknowledgement of %u "
                 "commands", self->acknowledged);
      raise (SIGKILL);
    }
  queue_event (self, EVENT_SENT, g_strdup (tag), NULL);
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
  self->kill_after_puback = ff_platform_fault_kill_after_puback ();
  self->kill_after_claim = ff_platform_fault_kill_after_claim ();
  self->kill_before_commit = ff_platform_fault_kill_before_commit ();
  self->kill_after_commit = ff_platform_fault_kill_after_commit ();
  self->db = db;
  self->store_db = ff_platform_db_open_again (db, error);
  if (self->store_db == NULL)
    return NULL;
  self->platform_key = ff_key_ref (platform_key);
  self->metrics = metrics;
  self->queue = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  self->cancellable = g_cancellable_new ();
  /* A persistent session: results published while the daemon was down wait at the broker. */
  self->settings = g_steal_pointer (&settings);
  self->client = ff_mqtt_client_new (self->settings, FF_MQTT_PLATFORM_USER, TRUE, &handlers,
                                     self, error);
  if (self->client == NULL || !ff_mqtt_client_connect (self->client, TRUE, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
ff_remote_service_free (FfRemoteService *service)
{
  if (service == NULL)
    return;
  /* What arrived is kept (and acknowledged) before the session closes: the batch a worker is
   * checking and storing first (its answer, cancelled, is not looked at), then the rest, checked
   * and stored here. */
  if (service->checking != NULL)
    {
      g_autoptr(Batch) batch = g_steal_pointer (&service->checking);

      g_mutex_lock (&batch->lock);
      while (!batch->done)
        g_cond_wait (&batch->cond, &batch->lock);
      g_mutex_unlock (&batch->lock);
      g_cancellable_cancel (service->cancellable);
      if (batch->stored)
        finish_batch (service, batch);
    }
  flush (service, FALSE);
  g_clear_object (&service->cancellable);
  g_clear_pointer (&service->queue, g_ptr_array_unref);
  g_clear_pointer (&service->check, ff_remote_check_free);
  g_clear_pointer (&service->client, ff_mqtt_client_free);
  g_clear_pointer (&service->settings, ff_mqtt_settings_free);
  g_clear_pointer (&service->platform_key, ff_key_unref);
  g_clear_pointer (&service->store_db, ff_platform_db_close);
  g_free (service);
}
