/* The swarm: N simulated networked terminals in one process and one thread, each its own
 * libmosquitto client with its own certificate identity (from `fieldflash-platform terminals
 * credentials`), speaking the agent's protocol (docs/formats.md): it verifies a signed command,
 * publishes progress and a signed result, keeps the result until the platform's ack and sends it
 * again on every reconnection, and ignores a command ID it already executed, also after a
 * restart: what each terminal executed is in the swarm's journal (ff-sim-swarm-journal.c) before
 * its result goes out. Installs are instant; chosen terminals (or a share of them, by a hash of
 * their ID) fail. One epoll set over every socket drives them all: 10,000 GSources or threads
 * would cost more than the terminals, and a poll() of every socket and a pass over every client
 * for each message that arrives cost more than the messages (the pass over all, for keepalives
 * and reconnections, runs once a second). */
#include "config.h"

#include "ff-sim-swarm.h"
#include "ff-sim-swarm-journal.h"

#include "ff-crypto.h"
#include "ff-document.h"
#include "ff-remote-doc.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define RECONNECT_SECONDS 1
/* A result not acknowledged by then is sent again, as the agent does: more often, a platform
 * behind on a burst of results would get each many times over. */
#define REPUBLISH_SECONDS 60
/* In the credentials directory, beside the terminals' directories. */
#define JOURNAL_NAME "swarm.journal"

typedef struct
{
  char             *device_id;
  struct mosquitto *mosq;
  FfKey            *key;
  char             *cmd_topic;
  gboolean          connected;
  gboolean          fails;
  int               fd;         /* the socket in the epoll set, or -1 */
  guint32           events;     /* what it is watched for */
  GHashTable       *executed;   /* command IDs */
  GHashTable       *outbox;     /* result ID → sealed result, until acknowledged */
  gint64            retry_at;   /* monotonic seconds of the next reconnection */
  gint64            republish_at; /* monotonic seconds of the next publication of the outbox */
} Terminal;

typedef struct
{
  FfKey      *platform_key;
  FfSimSwarmJournal *journal;
  int         epoll_fd;
  GPtrArray  *watchers;     /* socket number → the Terminal whose socket it is in the set */
  gint64      misc_at;      /* monotonic seconds of the last pass over every terminal */
  GHashTable *by_id;        /* device ID → Terminal */
  GArray     *publications; /* Publication: executed in this pass, published once journaled */
  GPtrArray  *corked;       /* Terminal: its socket corked for this pass */
  const char *running;
  const char *target;
  guint       connected;
  guint       commands;
  guint       ignored;
  guint       refused;
  guint       acked;
  gboolean    verbose;
} Swarm;

typedef struct
{
  Terminal *terminal;
  GBytes   *progress;
  GBytes   *result;
} Publication;

static Swarm swarm;
static volatile sig_atomic_t stopping;

static void
terminal_free (Terminal *t)
{
  if (t->mosq != NULL)
    mosquitto_destroy (t->mosq);
  g_clear_pointer (&t->key, ff_key_unref);
  g_clear_pointer (&t->executed, g_hash_table_unref);
  g_clear_pointer (&t->outbox, g_hash_table_unref);
  g_free (t->cmd_topic);
  g_free (t->device_id);
  g_free (t);
}

static void
publish (Terminal   *t,
         const char *kind,
         GBytes     *payload,
         int         qos)
{
  g_autofree char *topic = ff_remote_topic (t->device_id, kind);
  gsize size = 0;
  const void *data = g_bytes_get_data (payload, &size);

  /* A publication refused while the link is down waits in the outbox (results) or is dropped
   * (progress is QoS 0 anyway). */
  mosquitto_publish (t->mosq, NULL, topic, (int) size, data, qos, false);
}

static void
send_outbox (Terminal *t)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, t->outbox);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    publish (t, "result", value, 1);
}

static GBytes *
progress_document (const Terminal        *t,
                   const FfRemoteCommand *command)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  char *text;

  json_builder_begin_object (builder);
  ff_builder_add_int (builder, "format_version", 1);
  ff_builder_add_string (builder, "device_id", t->device_id);
  ff_builder_add_string (builder, "command_id", command->command_id);
  ff_builder_add_string (builder, "step", "download");
  ff_builder_add_int (builder, "bytes", command->package_size);
  ff_builder_add_int (builder, "total", command->package_size);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  return g_bytes_new_take (text, strlen (text));
}

/* Installs instantly: progress, then the signed result, kept until acknowledged. */
static void
execute (Terminal              *t,
         const FfRemoteCommand *command)
{
  g_autoptr(FfRemoteResult) result = ff_remote_result_new ();
  g_autoptr(GError) error = NULL;
  Publication publication = { t, NULL, NULL };
  g_autoptr(GBytes) document = NULL;
  GBytes *sealed;

  g_hash_table_add (t->executed, g_strdup (command->command_id));
  swarm.commands++;
  result->result_id = ff_remote_id_new ();
  result->command_id = g_strdup (command->command_id);
  result->device_id = g_strdup (t->device_id);
  result->outcome = t->fails ? FF_REMOTE_OUTCOME_FAILED : FF_REMOTE_OUTCOME_SUCCEEDED;
  result->step = t->fails ? g_strdup ("install-program") : NULL;
  result->reason = t->fails ? g_strdup ("simulated install failure") : NULL;
  result->versions.main_program = g_strdup (t->fails ? swarm.running : swarm.target);
  result->finished_at = g_get_real_time () / G_USEC_PER_SEC;
  result->campaign_id = g_strdup (command->campaign_id);
  result->wave = command->wave;
  /* Built here from a command that parsed: ff_remote_result_seal()'s check of what it would send
   * (serialized and parsed back) is left to the platform, which checks every result anyway. */
  document = ff_remote_result_serialize (result);
  sealed = ff_remote_envelope_seal (document, t->key, &error);
  if (sealed == NULL)
    {
      g_printerr ("%s: %s\n", t->device_id, error->message);
      return;
    }
  g_hash_table_insert (t->outbox, g_strdup (result->result_id), sealed);
  ff_sim_swarm_journal_add_executed (swarm.journal, t->device_id, command->command_id,
                                     result->result_id, sealed);
  publication.progress = progress_document (t, command);
  publication.result = g_bytes_ref (sealed);
  g_array_append_val (swarm.publications, publication);
  if (swarm.verbose)
    g_print ("%s: command %s %s\n", t->device_id, command->command_id,
             ff_remote_outcome_to_string (result->outcome));
}

/* Takes @t's socket out of the epoll set (before libmosquitto closes it and opens another, which
 * may get the same number). A socket libmosquitto closed left the set by itself, and its number may
 * be another terminal's now: that one's registration stays. */
static void
unwatch (Terminal *t)
{
  if (t->fd < 0)
    return;
  if (g_ptr_array_index (swarm.watchers, t->fd) == t)
    {
      epoll_ctl (swarm.epoll_fd, EPOLL_CTL_DEL, t->fd, NULL);
      g_ptr_array_index (swarm.watchers, t->fd) = NULL;
    }
  t->fd = -1;
}

/* Keeps @t's socket in the epoll set, watched for writing while libmosquitto has something to
 * send; called after each call into libmosquitto for @t. */
static void
watch (Terminal *t)
{
  int fd = mosquitto_socket (t->mosq);
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = t };

  if (fd >= 0 && mosquitto_want_write (t->mosq))
    event.events |= EPOLLOUT;
  if (fd == t->fd && event.events == t->events)
    return;
  if (fd != t->fd)
    unwatch (t);
  if (fd < 0)
    return;
  if (t->fd == fd)
    {
      if (epoll_ctl (swarm.epoll_fd, EPOLL_CTL_MOD, fd, &event) != 0)
        g_error ("epoll_ctl: %s", g_strerror (errno));
    }
  else
    {
      Terminal *previous;

      if ((guint) fd >= swarm.watchers->len)
        g_ptr_array_set_size (swarm.watchers, fd + 1);
      /* Still named here, the terminal whose closed socket had this number. */
      previous = g_ptr_array_index (swarm.watchers, fd);
      if (previous != NULL)
        previous->fd = -1;
      if (epoll_ctl (swarm.epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0)
        g_error ("epoll_ctl: %s", g_strerror (errno));
      g_ptr_array_index (swarm.watchers, fd) = t;
      t->fd = fd;
    }
  t->events = event.events;
}

/* Puts what this pass executed on disk, then publishes it: progress, then the result. A terminal
 * killed in between finds its result in the journal and sends it when it connects again. */
static void
publish_executed (void)
{
  g_autoptr(GError) error = NULL;

  /* Without its journal a terminal could execute a command twice after a restart: it stops. */
  if (!ff_sim_swarm_journal_sync (swarm.journal, &error))
    {
      g_printerr ("%s\n", error->message);
      exit (1);
    }
  for (guint i = 0; i < swarm.publications->len; i++)
    {
      Publication *publication = &g_array_index (swarm.publications, Publication, i);

      publish (publication->terminal, "progress", publication->progress, 0);
      publish (publication->terminal, "result", publication->result, 1);
      watch (publication->terminal);
      g_bytes_unref (publication->progress);
      g_bytes_unref (publication->result);
    }
  g_array_set_size (swarm.publications, 0);
}

static void
on_message (struct mosquitto               *mosq,
            void                           *user_data,
            const struct mosquitto_message *message)
{
  Terminal *t = user_data;
  g_autoptr(GBytes) envelope = g_bytes_new (message->payload, (gsize) message->payloadlen);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfRemoteCommand) command =
    ff_remote_command_load (envelope, swarm.platform_key, t->device_id,
                            g_get_real_time () / G_USEC_PER_SEC, &error);

  if (command == NULL)
    {
      /* The agent answers a forged command with a refused result; the swarm only counts it. */
      swarm.refused++;
      g_printerr ("%s: refused a command: %s\n", t->device_id, error->message);
      return;
    }
  if (command->kind == FF_REMOTE_COMMAND_ACK)
    {
      if (g_hash_table_remove (t->outbox, command->result_id))
        {
          swarm.acked++;
          ff_sim_swarm_journal_add_acked (swarm.journal, t->device_id, command->result_id);
        }
      return;
    }
  if (g_hash_table_contains (t->executed, command->command_id))
    {
      swarm.ignored++;
      if (swarm.verbose)
        g_print ("%s: ignored command %s (executed already)\n", t->device_id,
                 command->command_id);
      return;
    }
  execute (t, command);
}

static void
on_connect (struct mosquitto *mosq,
            void             *user_data,
            int               rc)
{
  Terminal *t = user_data;

  if (rc != 0)
    return;
  t->connected = TRUE;
  swarm.connected++;
  mosquitto_subscribe (mosq, NULL, t->cmd_topic, 1);
  send_outbox (t);
}

static void
on_disconnect (struct mosquitto *mosq,
               void             *user_data,
               int               rc)
{
  Terminal *t = user_data;

  if (t->connected)
    swarm.connected--;
  t->connected = FALSE;
  t->retry_at = g_get_monotonic_time () / G_USEC_PER_SEC + RECONNECT_SECONDS;
}

/* Whether @device_id fails: named, or within @rate by a hash of its ID and @seed (stable from run
 * to run, so a test knows which). */
static gboolean
chosen_to_fail (const char        *device_id,
                const char *const *failing,
                double             rate,
                guint              seed)
{
  g_autofree char *salted = g_strdup_printf ("%u:%s", seed, device_id);
  guint32 hash = g_str_hash (salted);

  if (failing != NULL && g_strv_contains (failing, device_id))
    return TRUE;
  return rate > 0 && (double) (hash % 10000) < rate * 10000;
}

static Terminal *
terminal_new (const char *credentials,
              const char *device_id,
              GError    **error)
{
  g_autofree char *dir = g_build_filename (credentials, device_id, NULL);
  g_autofree char *key_path = g_build_filename (dir, "terminal.key", NULL);
  g_autofree char *cert_path = g_build_filename (dir, "terminal.crt", NULL);
  g_autofree char *ca_path = g_build_filename (dir, "ca.crt", NULL);
  Terminal *t = g_new0 (Terminal, 1);
  int rc;

  t->device_id = g_strdup (device_id);
  t->fd = -1;
  t->cmd_topic = ff_remote_topic (device_id, "cmd");
  t->executed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  t->outbox = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) g_bytes_unref);
  t->key = ff_key_load_private (key_path, error);
  /* A persistent session, as the agent's: commands published while it is away wait for it. */
  t->mosq = mosquitto_new (device_id, false, t);
  if (t->key == NULL || t->mosq == NULL)
    goto failed;
  mosquitto_connect_callback_set (t->mosq, on_connect);
  mosquitto_disconnect_callback_set (t->mosq, on_disconnect);
  mosquitto_message_callback_set (t->mosq, on_message);
  rc = mosquitto_tls_set (t->mosq, ca_path, NULL, cert_path, key_path, NULL);
  if (rc == MOSQ_ERR_SUCCESS)
    rc = mosquitto_tls_opts_set (t->mosq, 1, "tlsv1.3", NULL);
  if (rc != MOSQ_ERR_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", device_id,
                   rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc));
      goto failed;
    }
  return t;

failed:
  terminal_free (t);
  return NULL;
}

static void
stop (int signal_number)
{
  stopping = 1;
}

/* A terminal answering a command writes its PUBACK, progress and result in one pass, each in a
 * TLS record of its own: corked, they leave as one TCP segment when the pass ends, not three (the
 * kernel's send and loopback delivery, and the broker's wake-up, are most of what a write costs). */
static void
cork (Terminal *t,
      int       on)
{
  setsockopt (t->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
}

static void
uncork_all (void)
{
  for (guint i = 0; i < swarm.corked->len; i++)
    {
      Terminal *t = g_ptr_array_index (swarm.corked, i);

      /* A socket libmosquitto closed in this pass is gone, corked or not. */
      if (t->fd >= 0 && mosquitto_socket (t->mosq) == t->fd)
        cork (t, 0);
    }
  g_ptr_array_set_size (swarm.corked, 0);
}

/* One pass: waits up to @timeout_ms for sockets ready, reads and writes them, publishes what was
 * executed; once a second, keeps the first @n terminals alive and reconnects the lost. */
static void
run_once (GPtrArray *terminals,
          guint      n,
          int        timeout_ms)
{
  struct epoll_event events[256];
  int ready = epoll_wait (swarm.epoll_fd, events, G_N_ELEMENTS (events), timeout_ms);
  gint64 now;

  if (ready < 0 && errno != EINTR)
    g_error ("epoll_wait: %s", g_strerror (errno));
  for (int i = 0; i < ready; i++)
    {
      Terminal *t = events[i].data.ptr;

      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        {
          cork (t, 1);
          g_ptr_array_add (swarm.corked, t);
          mosquitto_loop_read (t->mosq, 1);
        }
      if ((events[i].events & EPOLLOUT) && mosquitto_socket (t->mosq) >= 0)
        mosquitto_loop_write (t->mosq, 1);
    }
  publish_executed ();
  uncork_all ();
  for (int i = 0; i < ready; i++)
    watch (events[i].data.ptr);
  now = g_get_monotonic_time () / G_USEC_PER_SEC;
  if (now == swarm.misc_at)
    return;
  swarm.misc_at = now;
  for (guint i = 0; i < n; i++)
    {
      Terminal *t = g_ptr_array_index (terminals, i);

      mosquitto_loop_misc (t->mosq);
      if (mosquitto_socket (t->mosq) < 0 && now >= t->retry_at)
        {
          t->retry_at = now + RECONNECT_SECONDS;
          unwatch (t);
          mosquitto_reconnect (t->mosq);
        }
      else if (t->connected && g_hash_table_size (t->outbox) > 0 && now >= t->republish_at)
        {
          if (t->republish_at != 0)
            send_outbox (t);
          t->republish_at = now + REPUBLISH_SECONDS;
        }
      else if (g_hash_table_size (t->outbox) == 0)
        t->republish_at = 0;
      watch (t);
    }
}

/* The journal's lines of the terminals of this swarm (several may share it). */
static void
replay_executed (const char *device_id,
                 const char *command_id,
                 const char *result_id,
                 GBytes     *result,
                 gpointer    user_data)
{
  Terminal *t = g_hash_table_lookup (swarm.by_id, device_id);

  if (t == NULL)
    return;
  g_hash_table_add (t->executed, g_strdup (command_id));
  if (result != NULL)
    g_hash_table_insert (t->outbox, g_strdup (result_id), g_bytes_ref (result));
}

static void
replay_acked (const char *device_id,
              const char *result_id,
              gpointer    user_data)
{
  Terminal *t = g_hash_table_lookup (swarm.by_id, device_id);

  if (t != NULL)
    g_hash_table_remove (t->outbox, result_id);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* @count subdirectories of @credentials after the first @skip, by name: the terminals' IDs. */
static GPtrArray *
list_devices (const char *credentials,
              guint       skip,
              guint       count,
              GError    **error)
{
  g_autoptr(GDir) dir = g_dir_open (credentials, 0, error);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (credentials, name, NULL);

      /* The journal lives beside the terminals' directories. */
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (ids, g_strdup (name));
    }
  g_ptr_array_sort (ids, compare_names);
  if (ids->len < (guint64) skip + count)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("%s holds the credentials of %u terminals, not %u"), credentials, ids->len,
                   skip + count);
      return NULL;
    }
  g_ptr_array_remove_range (ids, 0, skip);
  g_ptr_array_set_size (ids, count);
  return g_steal_pointer (&ids);
}

int
ff_sim_swarm_main (int    argc,
                   char **argv)
{
  g_autofree char *credentials = NULL, *host = NULL, *fail_ids = NULL;
  g_autofree char *running = NULL, *target = NULL;
  gint count = 0, port = 0, seed = 0, skip = 0;
  double rate = 0;
  gboolean verbose = FALSE;
  const GOptionEntry entries[] = {
    { "swarm", 0, 0, G_OPTION_ARG_INT, &count, N_("How many terminals"), "N" },
    { "skip", 0, 0, G_OPTION_ARG_INT, &skip,
      N_("Leave out the first K credential directories (several swarms share one directory)"),
      "K" },
    { "credentials", 0, 0, G_OPTION_ARG_FILENAME, &credentials,
      N_("A directory with one credentials directory per terminal, named by its device ID"),
      N_("DIR") },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, N_("The broker's address (default 127.0.0.1)"),
      N_("HOST") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("The broker's TLS port"), N_("PORT") },
    { "running-version", 0, 0, G_OPTION_ARG_STRING, &running,
      N_("The main program's version before an upgrade (default V1.00)"), N_("VERSION") },
    { "target-version", 0, 0, G_OPTION_ARG_STRING, &target,
      N_("The main program's version after an upgrade (default V2.00)"), N_("VERSION") },
    { "fail", 0, 0, G_OPTION_ARG_STRING, &fail_ids, N_("Terminals whose install fails"),
      N_("ID,…") },
    { "failure-rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate,
      N_("The share of the terminals whose install fails (0 to 1, chosen by their ID)"), "P" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, N_("Chooses which terminals fail by the rate"),
      "N" },
    { "verbose", 0, 0, G_OPTION_ARG_NONE, &verbose, N_("A line per command executed or ignored"),
      NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GPtrArray) terminals = g_ptr_array_new_with_free_func ((GDestroyNotify) terminal_free);
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) failing = NULL;
  g_autofree char *platform_pub = NULL, *journal_path = NULL;
  guint failing_count = 0;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_USAGE;
    }
  if (count < 1 || skip < 0 || credentials == NULL || port < 1 || port > 65535 || rate < 0 || rate > 1)
    {
      g_printerr ("%s\n", _("Give --swarm N (at least 1), --credentials DIR, --port PORT and a "
                            "--failure-rate from 0 to 1"));
      return EXIT_USAGE;
    }
  ids = list_devices (credentials, (guint) skip, (guint) count, &error);
  if (ids == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  platform_pub = g_build_filename (credentials, g_ptr_array_index (ids, 0), "platform.pub.pem",
                                   NULL);
  swarm.platform_key = ff_key_load_public_file (platform_pub, &error);
  if (swarm.platform_key == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  swarm.running = running != NULL ? running : "V1.00";
  swarm.target = target != NULL ? target : "V2.00";
  swarm.verbose = verbose;
  failing = fail_ids != NULL ? g_strsplit (fail_ids, ",", -1) : NULL;
  signal (SIGTERM, stop);
  signal (SIGINT, stop);
  signal (SIGPIPE, SIG_IGN);
  mosquitto_lib_init ();
  swarm.by_id = g_hash_table_new (g_str_hash, g_str_equal);
  swarm.publications = g_array_new (FALSE, FALSE, sizeof (Publication));
  swarm.corked = g_ptr_array_new ();
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      Terminal *t = terminal_new (credentials, id, &error);

      if (t == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      t->fails = chosen_to_fail (id, (const char *const *) failing, rate, (guint) seed);
      failing_count += t->fails;
      g_ptr_array_add (terminals, t);
      g_hash_table_insert (swarm.by_id, t->device_id, t);
    }
  journal_path = g_build_filename (credentials, JOURNAL_NAME, NULL);
  swarm.journal = ff_sim_swarm_journal_open (journal_path, replay_executed, replay_acked, NULL,
                                             &error);
  if (swarm.journal == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  swarm.epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (swarm.epoll_fd < 0)
    g_error ("epoll_create1: %s", g_strerror (errno));
  swarm.watchers = g_ptr_array_new ();
  for (guint i = 0; i < terminals->len; i++)
    {
      Terminal *t = g_ptr_array_index (terminals, i);

      /* A broker busy with thousands of handshakes may drop one: it is retried like a lost
       * link. */
      if (mosquitto_connect (t->mosq, host != NULL ? host : "127.0.0.1", port, 60)
          != MOSQ_ERR_SUCCESS)
        t->retry_at = g_get_monotonic_time () / G_USEC_PER_SEC + RECONNECT_SECONDS;
      watch (t);
      /* Those connected so far are served meanwhile (their CONNACK, keepalive). */
      if ((i + 1) % 64 == 0)
        run_once (terminals, i + 1, 0);
    }
  while (!stopping && swarm.connected < terminals->len)
    run_once (terminals, terminals->len, 1000);
  g_print ("swarm: %u terminals connected, %u will fail\n", terminals->len, failing_count);
  fflush (stdout);
  while (!stopping)
    {
      run_once (terminals, terminals->len, 1000);
      fflush (stdout);
    }
  g_print ("swarm: %u commands executed, %u repeated commands ignored, %u refused, %u results "
           "acknowledged\n", swarm.commands, swarm.ignored, swarm.refused, swarm.acked);
  g_hash_table_unref (swarm.by_id);
  g_ptr_array_unref (swarm.watchers);
  close (swarm.epoll_fd);
  g_ptr_array_set_size (terminals, 0);
  g_array_unref (swarm.publications);
  g_ptr_array_unref (swarm.corked);
  ff_sim_swarm_journal_free (swarm.journal);
  ff_key_unref (swarm.platform_key);
  mosquitto_lib_cleanup ();
  return 0;
}
