/* FfTraining: builds a training session. The slow part (keys, demo firmware, store) runs in a
 * worker thread; the simulated terminals then start listening on 127.0.0.1 in a thread of their
 * own (a real terminal's clock does not stop while the tablet paints: on the app's main loop their
 * timers and reads would wait behind every frame), and the task is written for the ports they
 * got, signed with a training platform key made for the session, and checked and stored the
 * way a sync checks and stores a real task (in a worker again). Everything lives in a temporary
 * directory removed at the end. */
#include "config.h"

#include "ff-training.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ff-crypto.h"
#include "ff-datadir.h"
#include "ff-files.h"
#include "ff-profile.h"
#include "ff-sim-firmware.h"
#include "ff-sim-fleet.h"

#define TRAINING_PHONE "13800138000"
#define TRAINING_SERIAL "TRAINING-TABLET"
#define TRAINING_PROFILE "state-grid"
#define TRAINING_VENDOR "Acme"
#define TRAINING_MODEL "DTU-3000"
#define TRAINING_OLD_VERSION "V1.00"
#define TRAINING_NEW_VERSION "V2.00"
/* The simulator's factory image is made like this one, so "previous" is byte for byte what runs. */
#define TRAINING_FACTORY_IMAGE_SIZE (64 * 1024)
/* A trainee should not wait through a real terminal's full boot. */
#define TRAINING_BOOT_TIME_MS 3000

typedef struct
{
  const char *device_id;
  const char *name;
  double      latitude;
  double      longitude;
  const char *version;     /* what it runs; the ledger (the task) says TRAINING_OLD_VERSION */
} TrainingTerminal;

/* Around a square in Shanghai (inside ff-training-area.h, which the training map covers); the
 * trainee starts at the depot south of them. The fourth was
 * upgraded by someone else and the ledger never heard of it: already current. */
static const TrainingTerminal training_terminals[] = {
  { "DTU0101", N_("Ring main unit 1, Renmin Road"), 31.2331, 121.4752, TRAINING_OLD_VERSION },
  { "DTU0102", N_("Ring main unit 2, Fuzhou Road"), 31.2352, 121.4781, TRAINING_OLD_VERSION },
  { "DTU0103", N_("Ring main unit 3, Hankou Road"), 31.2378, 121.4736, TRAINING_OLD_VERSION },
  { "DTU0104", N_("Ring main unit 4, Jiujiang Road"), 31.2396, 121.4772, TRAINING_NEW_VERSION },
};
static const FfGeoPoint training_depot = { 31.2290, 121.4745 };

static const FfTrainingCard training_cards[] = {
  { N_("Healthy terminal"), "none" },
  { N_("Wrong terminal"), "wrong-device-id id=DTU0999" },
  { N_("GPS off by 2″"), "gps-offset lat=2 lon=2" },
  { N_("Upgrade refused"), "file-name-refused" },
  { N_("Checksum error"), "checksum-error segment=3" },
  { N_("Reboot hang"), "never-back" },
  { N_("Old version after reboot"), "old-version" },
  { N_("Signal drift after upgrade"), "signal-drift signal=current percent=25" },
  { N_("Link drop"), "link-drop after=65536" },
};

/* Where the terminals' log lines go, shared by the fleet thread and the lines on their way to the
 * main context: the session, until it goes away. */
typedef struct
{
  GMutex        lock;
  FfTraining   *training;
  GMainContext *context;     /* the one the session was made in: "terminal-log" is emitted there */
} TerminalLogSink;

enum { SIGNAL_TERMINAL_LOG, N_SIGNALS };
static guint signals[N_SIGNALS];

struct _FfTraining
{
  GObject parent_instance;

  char           *dir;
  FfStore        *store;
  FfKey          *tablet_key;
  FfKey          *platform_key;   /* the training platform's: signs the training task */
  FfGpsSimulated *gps;
  FfTask         *task;
  GBytes         *task_document;
  GHashTable     *scenarios;      /* device ID → the scenario words dealt to it */

  /* The terminals' thread: the fleet is made, used and freed there only, in fleet_context. */
  GThread        *fleet_thread;
  GMainContext   *fleet_context;
  GMainLoop      *fleet_loop;
  FfSimFleet     *fleet;
  GMutex          fleet_lock;     /* with fleet_done: a call into the fleet thread has returned */
  GCond           fleet_done;
  TerminalLogSink *log_sink;
};

G_DEFINE_FINAL_TYPE (FfTraining, ff_training, G_TYPE_OBJECT)

char *
ff_training_get_tile_directory (void)
{
  g_autofree char *installed = ff_datadir_file ("training-tiles", NULL);

  if (g_file_test (installed, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&installed);
  return g_strdup (BUILD_TRAINING_TILES_DIR);
}

const FfTrainingCard *
ff_training_get_cards (guint *n_cards)
{
  *n_cards = G_N_ELEMENTS (training_cards);
  return training_cards;
}

static void
terminal_log_sink_clear (TerminalLogSink *sink)
{
  g_mutex_clear (&sink->lock);
  g_main_context_unref (sink->context);
}

static void
terminal_log_sink_unref (TerminalLogSink *sink)
{
  g_atomic_rc_box_release_full (sink, (GDestroyNotify) terminal_log_sink_clear);
}

/* The terminals' thread: their sockets and timers live in its own main context until the session
 * ends; then the fleet stops there, and what its closing left pending runs out before the thread
 * ends. */
static gpointer
run_fleet (gpointer user_data)
{
  FfTraining *self = user_data;

  g_main_context_push_thread_default (self->fleet_context);
  g_main_loop_run (self->fleet_loop);
  if (self->fleet != NULL)
    ff_sim_fleet_stop (self->fleet);
  g_clear_object (&self->fleet);
  while (g_main_context_iteration (self->fleet_context, FALSE))
    ;
  g_main_context_pop_thread_default (self->fleet_context);
  return NULL;
}

typedef struct
{
  FfTraining *self;
  void      (*func) (FfTraining *self, gpointer data);
  gpointer    data;
  gboolean    done;
} FleetCall;

static gboolean
fleet_call_run (gpointer user_data)
{
  FleetCall *call = user_data;
  FfTraining *self = call->self;

  call->func (self, call->data);
  /* The caller's frame holds @call: untouched once it may wake. */
  g_mutex_lock (&self->fleet_lock);
  call->done = TRUE;
  g_cond_broadcast (&self->fleet_done);
  g_mutex_unlock (&self->fleet_lock);
  return G_SOURCE_REMOVE;
}

/* Runs @func in the terminals' thread and returns when it has. The fleet thread never waits for
 * the caller, and it runs nothing long, so this only waits for its current step. High priority: a
 * scenario dealt, then a connection the tablet opens, reach the terminal in that order. */
static void
run_in_fleet (FfTraining *self,
              void      (*func) (FfTraining *self, gpointer data),
              gpointer    data)
{
  FleetCall call = { self, func, data, FALSE };

  g_main_context_invoke_full (self->fleet_context, G_PRIORITY_HIGH, fleet_call_run, &call, NULL);
  g_mutex_lock (&self->fleet_lock);
  while (!call.done)
    g_cond_wait (&self->fleet_done, &self->fleet_lock);
  g_mutex_unlock (&self->fleet_lock);
}

static void
ff_training_dispose (GObject *object)
{
  FfTraining *self = FF_TRAINING (object);

  /* The fleet thread first: until it has ended, a terminal may log a line, and the fleet's "log"
   * handler takes a reference to the sink, which must still be there. */
  if (self->fleet_thread != NULL)
    {
      g_main_loop_quit (self->fleet_loop);
      g_clear_pointer (&self->fleet_thread, g_thread_join);
    }
  if (self->log_sink != NULL)
    {
      g_mutex_lock (&self->log_sink->lock);
      self->log_sink->training = NULL;
      g_mutex_unlock (&self->log_sink->lock);
      g_clear_pointer (&self->log_sink, terminal_log_sink_unref);
    }
  g_clear_pointer (&self->fleet_loop, g_main_loop_unref);
  g_clear_pointer (&self->fleet_context, g_main_context_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->gps);
  g_clear_pointer (&self->tablet_key, ff_key_unref);
  g_clear_pointer (&self->platform_key, ff_key_unref);
  g_clear_pointer (&self->task, ff_task_free);
  g_clear_pointer (&self->task_document, g_bytes_unref);

  G_OBJECT_CLASS (ff_training_parent_class)->dispose (object);
}

static void
ff_training_finalize (GObject *object)
{
  FfTraining *self = FF_TRAINING (object);

  if (self->dir != NULL)
    ff_remove_tree (self->dir);
  g_free (self->dir);
  g_hash_table_unref (self->scenarios);
  g_mutex_clear (&self->fleet_lock);
  g_cond_clear (&self->fleet_done);

  G_OBJECT_CLASS (ff_training_parent_class)->finalize (object);
}

static void
ff_training_class_init (FfTrainingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ff_training_dispose;
  object_class->finalize = ff_training_finalize;

  signals[SIGNAL_TERMINAL_LOG] =
    g_signal_new ("terminal-log", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ff_training_init (FfTraining *self)
{
  self->scenarios = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init (&self->fleet_lock);
  g_cond_init (&self->fleet_done);
  self->log_sink = g_atomic_rc_box_new0 (TerminalLogSink);
  g_mutex_init (&self->log_sink->lock);
  self->log_sink->training = self;
  self->log_sink->context = g_main_context_ref_thread_default ();
}

typedef struct
{
  char   *scenario;
  gsize   image_size;
  char   *new_sha;
  char   *old_sha;
  gsize   new_size;
  gsize   old_size;
  GBytes *document;      /* the task as the platform would send it… */
  GBytes *signature;     /* …and its signature */
  FfKey  *platform_key;
  FfTask *task;          /* as checked on arrival */
  char   *supervisor_pin_hash;
} SetupData;

static void
setup_data_free (SetupData *data)
{
  g_free (data->scenario);
  g_free (data->new_sha);
  g_free (data->old_sha);
  g_clear_pointer (&data->document, g_bytes_unref);
  g_clear_pointer (&data->signature, g_bytes_unref);
  g_clear_pointer (&data->platform_key, ff_key_unref);
  g_clear_pointer (&data->task, ff_task_free);
  g_free (data->supervisor_pin_hash);
  g_free (data);
}

static char *
store_image (FfStore  *store,
             GBytes   *image,
             GError  **error)
{
  g_autofree char *sha = ff_sha256_hex (g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  g_autofree char *partial = ff_store_get_partial_path (store, sha);

  if (!g_file_set_contents (partial, g_bytes_get_data (image, NULL), g_bytes_get_size (image),
                            error)
      || !ff_store_commit_firmware (store, sha, error))
    return NULL;
  return g_steal_pointer (&sha);
}

/* In the worker: everything that touches the disk or takes CPU time. */
static void
prepare_in_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  FfTraining *self = FF_TRAINING (source_object);
  SetupData *data = task_data;
  g_autoptr(GBytes) old_image = NULL;
  g_autoptr(GBytes) new_image = NULL;
  GError *error = NULL;

  self->dir = g_dir_make_tmp ("fieldflash-training-XXXXXX", &error);
  if (self->dir == NULL)
    goto failed;
  self->store = ff_store_open (self->dir, &error);
  if (self->store == NULL)
    goto failed;
  self->tablet_key = ff_key_generate (&error);
  if (self->tablet_key == NULL)
    goto failed;
  self->platform_key = ff_key_generate (&error);
  if (self->platform_key == NULL)
    goto failed;

  old_image = ff_sim_firmware_make (TRAINING_VENDOR, TRAINING_MODEL, TRAINING_OLD_VERSION,
                                    TRAINING_FACTORY_IMAGE_SIZE, &error);
  if (old_image == NULL)
    goto failed;
  new_image = ff_sim_firmware_make (TRAINING_VENDOR, TRAINING_MODEL, TRAINING_NEW_VERSION,
                                    data->image_size, &error);
  if (new_image == NULL)
    goto failed;
  data->old_sha = store_image (self->store, old_image, &error);
  if (data->old_sha == NULL)
    goto failed;
  data->new_sha = store_image (self->store, new_image, &error);
  if (data->new_sha == NULL)
    goto failed;
  data->old_size = g_bytes_get_size (old_image);
  data->new_size = g_bytes_get_size (new_image);
  /* scrypt on purpose takes a moment: here, not on the main thread. */
  data->supervisor_pin_hash = ff_pin_hash (FF_TRAINING_SUPERVISOR_PIN, &error);
  if (data->supervisor_pin_hash == NULL)
    goto failed;

  g_task_return_boolean (task, TRUE);
  return;

failed:
  g_task_return_error (task, error);
}

static FfTaskItem *
make_item (const TrainingTerminal *terminal,
           guint16                 port,
           const FfProfile        *profile,
           const SetupData        *data)
{
  FfTaskItem *item = ff_task_item_new ();

  item->device_id = g_strdup (terminal->device_id);
  item->name = g_strdup (_(terminal->name));
  item->latitude = terminal->latitude;
  item->longitude = terminal->longitude;
  item->host = g_strdup ("127.0.0.1");
  item->port = port;
  item->common_address = 1;
  item->profile = g_strdup (TRAINING_PROFILE);
  item->vendor = g_strdup (TRAINING_VENDOR);
  item->model = g_strdup (TRAINING_MODEL);
  item->hardware_version = g_strdup ("HV1.0");
  item->expected_version = g_strdup (TRAINING_OLD_VERSION);
  item->target.version = g_strdup (TRAINING_NEW_VERSION);
  item->target.sha256 = g_strdup (data->new_sha);
  item->target.size = data->new_size;
  item->target.file_name = g_strdup (profile->iec104.upgrade_file_name);
  item->target.hardware_versions = g_strsplit ("HV1.0", ",", -1);
  item->previous = ff_firmware_ref_new ();
  item->previous->version = g_strdup (TRAINING_OLD_VERSION);
  item->previous->sha256 = g_strdup (data->old_sha);
  item->previous->size = data->old_size;
  return item;
}

typedef struct
{
  TerminalLogSink *sink;
  char            *line;
} TerminalLogLine;

static void
terminal_log_line_free (TerminalLogLine *log_line)
{
  terminal_log_sink_unref (log_line->sink);
  g_free (log_line->line);
  g_free (log_line);
}

/* In the session's main context: a line the fleet thread sent, unless the session went away. */
static gboolean
emit_terminal_log (gpointer user_data)
{
  TerminalLogLine *log_line = user_data;
  g_autoptr(FfTraining) training = NULL;

  g_mutex_lock (&log_line->sink->lock);
  if (log_line->sink->training != NULL)
    training = g_object_ref (log_line->sink->training);
  g_mutex_unlock (&log_line->sink->lock);
  if (training != NULL)
    g_signal_emit (training, signals[SIGNAL_TERMINAL_LOG], 0, log_line->line);
  return G_SOURCE_REMOVE;
}

/* In the fleet thread: what the simulated terminals do, for G_MESSAGES_DEBUG (a slow tablet's or
 * an emulated run's lost link shows there which side closed it and why) and for "terminal-log". */
static void
on_terminal_line (FfSimFleet      *fleet,
                  const char      *line,
                  TerminalLogSink *sink)
{
  TerminalLogLine *log_line = g_new0 (TerminalLogLine, 1);

  g_debug ("%s", line);
  log_line->sink = g_atomic_rc_box_acquire (sink);
  log_line->line = g_strdup (line);
  g_main_context_invoke_full (sink->context, G_PRIORITY_DEFAULT, emit_terminal_log, log_line,
                              (GDestroyNotify) terminal_log_line_free);
}

typedef struct
{
  FfProfile       *profile;
  const char      *scenario;
  guint16          ports[G_N_ELEMENTS (training_terminals)];
  GError          *error;
} FleetStart;

static gboolean
set_fleet_scenario (FfSimFleet  *fleet,
                    const char  *device_id,
                    const char  *scenario,
                    GError     **error)
{
  g_auto(GStrv) words = g_strsplit_set (scenario, " \t", -1);
  g_autoptr(FfSimScenario) parsed = ff_sim_scenario_parse ((const char *const *) words, error);

  return parsed != NULL && ff_sim_fleet_set_scenario (fleet, device_id, parsed, error);
}

/* In the fleet thread: the terminals are made and listen; their ports go back in @data. */
static void
start_fleet (FfTraining *self,
             gpointer    data)
{
  FleetStart *start = data;

  self->fleet = ff_sim_fleet_new ();
  g_signal_connect (self->fleet, "log", G_CALLBACK (on_terminal_line), self->log_sink);
  ff_sim_fleet_set_boot_time (self->fleet, TRAINING_BOOT_TIME_MS);
  for (gsize i = 0; i < G_N_ELEMENTS (training_terminals); i++)
    {
      FfSimTerminalConfig config = {
        .device_id = training_terminals[i].device_id,
        .version = training_terminals[i].version,
        .vendor = TRAINING_VENDOR,
        .model = TRAINING_MODEL,
        .type = "DTU",
        .latitude = training_terminals[i].latitude,
        .longitude = training_terminals[i].longitude,
        .host = "127.0.0.1",
        .port = 0,
        .profile = start->profile,
        .boot_time_ms = TRAINING_BOOT_TIME_MS,
      };

      if (ff_sim_fleet_add_terminal (self->fleet, &config, &start->error) == NULL)
        return;
    }
  if (start->scenario != NULL
      && !set_fleet_scenario (self->fleet, training_terminals[1].device_id, start->scenario,
                              &start->error))
    return;
  if (!ff_sim_fleet_start (self->fleet, &start->error))
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (training_terminals); i++)
    start->ports[i] = ff_sim_terminal_get_port (ff_sim_fleet_get_terminal (
                                                  self->fleet, training_terminals[i].device_id));
}

/* In the main context: the terminals' thread starts and they listen, the task names their ports. */
static gboolean
start_terminals (FfTraining  *self,
                 SetupData   *data,
                 GError     **error)
{
  g_autoptr(FfProfile) profile = ff_profile_load (TRAINING_PROFILE, error);
  g_autoptr(FfTask) task = ff_task_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  FleetStart start = { profile, data->scenario };

  if (profile == NULL)
    return FALSE;

  self->fleet_context = g_main_context_new ();
  self->fleet_loop = g_main_loop_new (self->fleet_context, FALSE);
  self->fleet_thread = g_thread_new ("training-terminals", run_fleet, self);
  run_in_fleet (self, start_fleet, &start);
  if (start.error != NULL)
    {
      g_propagate_error (error, start.error);
      return FALSE;
    }
  if (data->scenario != NULL)
    g_hash_table_insert (self->scenarios, g_strdup (training_terminals[1].device_id),
                         g_strdup (data->scenario));

  task->task_id = ff_task_make_id (TRAINING_PHONE, now, 1);
  task->issued_at = now;
  task->expires_at = now + 7 * 24 * 3600;
  task->technician_phone = g_strdup (TRAINING_PHONE);
  task->technician_name = g_strdup (_("Trainee"));
  g_ptr_array_add (task->tablets, g_strdup (TRAINING_SERIAL));
  for (gsize i = 0; i < G_N_ELEMENTS (training_terminals); i++)
    g_ptr_array_add (task->items,
                     make_item (&training_terminals[i], start.ports[i], profile, data));
  g_ptr_array_add (task->supervisors,
                   ff_supervisor_new (FF_TRAINING_SUPERVISOR, data->supervisor_pin_hash));
  if (!ff_task_validate (task, error))
    return FALSE;

  data->document = ff_task_serialize (task);
  data->platform_key = ff_key_ref (self->platform_key);
  data->signature = ff_key_sign (self->platform_key, data->document, error);
  if (data->signature == NULL)
    return FALSE;
  self->gps = ff_gps_simulated_new ();
  ff_gps_simulated_set_position (self->gps, training_depot.latitude, training_depot.longitude);
  return TRUE;
}

/* In a worker, what a sync does with a task it downloaded: check its signature and expiry against
 * the platform key (the training one here), and store it. */
static gboolean
accept_task (FfStore   *store,
             gpointer   user_data,
             GError   **error)
{
  SetupData *data = user_data;

  data->task = ff_task_load_signed (data->document, data->signature, data->platform_key,
                                    g_get_real_time () / G_USEC_PER_SEC, error);
  return data->task != NULL
         && ff_store_save_task (store, data->task->task_id, data->document, data->signature,
                                error);
}

static void
task_accepted (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FfTraining *self = g_object_get_data (G_OBJECT (task), "training");
  SetupData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  self->task = g_steal_pointer (&data->task);
  self->task_document = g_bytes_ref (data->document);
  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

static void
prepared (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FfTraining *self = FF_TRAINING (source);
  SetupData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)
      || !start_terminals (self, data, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "training", g_object_ref (self), g_object_unref);
  ff_store_run_async (self->store, accept_task, data, NULL, cancellable, task_accepted,
                      g_steal_pointer (&task));
}

void
ff_training_new_async (const char          *scenario,
                       gsize                image_size,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(FfTraining) self = g_object_new (FF_TYPE_TRAINING, NULL);
  /* The session is the result, not the source: it only exists once it works. */
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  GTask *worker = g_task_new (self, cancellable, prepared, task);
  SetupData *data = g_new0 (SetupData, 1);

  g_task_set_source_tag (task, ff_training_new_async);
  data->scenario = g_strdup (scenario);
  data->image_size = image_size;
  g_task_set_task_data (task, data, (GDestroyNotify) setup_data_free);
  g_task_set_task_data (worker, data, NULL);
  ff_crypto_run_in_thread (worker, prepare_in_thread);
  g_object_unref (worker);
}

FfTraining *
ff_training_new_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

FfGpsSimulated *
ff_training_get_gps (FfTraining *self)
{
  g_return_val_if_fail (FF_IS_TRAINING (self), NULL);

  return self->gps;
}

FfStore *
ff_training_get_store (FfTraining *self)
{
  g_return_val_if_fail (FF_IS_TRAINING (self), NULL);

  return self->store;
}

const FfTask *
ff_training_get_task (FfTraining *self)
{
  g_return_val_if_fail (FF_IS_TRAINING (self), NULL);

  return self->task;
}

typedef struct
{
  const char *device_id;
  const char *scenario;
  GError     *error;
} FleetScenario;

static void
deal_in_fleet (FfTraining *self,
               gpointer    data)
{
  FleetScenario *deal = data;

  set_fleet_scenario (self->fleet, deal->device_id, deal->scenario, &deal->error);
}

/* Deals a scenario card (sim scenario words) to one terminal; a bad scenario changes nothing. */
gboolean
ff_training_set_scenario (FfTraining  *self,
                          const char  *device_id,
                          const char  *scenario,
                          GError     **error)
{
  FleetScenario deal = { device_id, scenario, NULL };

  g_return_val_if_fail (FF_IS_TRAINING (self), FALSE);

  run_in_fleet (self, deal_in_fleet, &deal);
  if (deal.error != NULL)
    {
      g_propagate_error (error, deal.error);
      return FALSE;
    }
  g_hash_table_insert (self->scenarios, g_strdup (device_id), g_strdup (scenario));
  return TRUE;
}

/* The scenario words last dealt to @device_id, or "none". */
const char *
ff_training_get_scenario (FfTraining *self,
                          const char *device_id)
{
  const char *scenario;

  g_return_val_if_fail (FF_IS_TRAINING (self), NULL);

  scenario = g_hash_table_lookup (self->scenarios, device_id);
  return scenario != NULL ? scenario : "none";
}

typedef struct
{
  const char *device_id;
  gboolean    found;
  double      latitude;
  double      longitude;
} FleetPosition;

/* The position depends on the scenario dealt (gps-offset): read where the scenarios are. */
static void
read_position_in_fleet (FfTraining *self,
                        gpointer    data)
{
  FleetPosition *position = data;
  FfSimTerminal *terminal = ff_sim_fleet_get_terminal (self->fleet, position->device_id);

  position->found = terminal != NULL;
  if (terminal != NULL)
    ff_sim_terminal_get_true_position (terminal, &position->latitude, &position->longitude);
}

void
ff_training_walk_to (FfTraining *self,
                     const char *device_id)
{
  FleetPosition position = { device_id };

  g_return_if_fail (FF_IS_TRAINING (self));

  run_in_fleet (self, read_position_in_fleet, &position);
  g_return_if_fail (position.found);
  ff_gps_simulated_set_position (self->gps, position.latitude, position.longitude);
}

FfWorkflow *
ff_training_create_workflow (FfTraining  *self,
                             const char  *device_id,
                             GError     **error)
{
  g_return_val_if_fail (FF_IS_TRAINING (self), NULL);

  return ff_workflow_new (self->store, FF_GPS_SOURCE (self->gps), self->task_document, device_id,
                          TRAINING_SERIAL, self->tablet_key, error);
}
