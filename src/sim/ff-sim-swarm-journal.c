/* The swarm's journal (ff-sim-swarm-journal.h). One line per event, appended:
 *   executed DEVICE-ID COMMAND-ID RESULT-ID ENVELOPE
 *   acked DEVICE-ID RESULT-ID
 *   done DEVICE-ID COMMAND-ID      (a compaction's: executed, and its result acknowledged)
 * A terminal's result is published only once its line is on disk, as the agent saves its state
 * before it acts: one fdatasync() per pass of the swarm's loop covers every terminal that executed
 * in it, where a state file per terminal would cost one per command. Several swarms over one
 * credentials directory append to the same file (O_APPEND: each write lands whole at the end). A
 * line cut short by a crash was never synced, so nothing was published for it: it is cut off.
 *
 * Compaction keeps the journal as long as what can still matter, not as long as the swarm's
 * history: per terminal, the executions whose results are not acknowledged (sent again at each
 * connection) and the command it executed last (the broker hands it again for as long as it is
 * its topic's retained message; the platform's ack of its result replaces it there, and an older
 * command replayed fails its not-after). It runs at the start (after the replay) and whenever this
 * swarm has appended as many lines as the last compaction kept (at least
 * FF_SIM_SWARM_JOURNAL_COMPACT_MIN), so rewriting costs at most one line per line appended. The
 * compacted journal is written beside it (temp + fsync), renamed over it and the directory synced
 * before anything is appended to the new file: a kill at any point leaves the old journal or the
 * new one, each whole. The swarms sharing the journal append under a shared lock of PATH.lock,
 * and read or rewrite it under an exclusive one; a swarm whose journal was replaced by another's
 * compaction opens the new file before it appends. */
#include "config.h"

#include "ff-sim-swarm-journal.h"

#include "ff-files.h"
#include "ff-remote-doc.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct _FfSimSwarmJournal
{
  char    *path;
  int      fd;
  int      lock_fd;   /* PATH.lock, never replaced: what the swarms sharing the journal lock */
  GString *queued;
  gboolean durable;   /* an execution is queued: sync waits for the disk */
  guint    kept;      /* lines the last compaction kept */
  guint    appended;  /* lines this swarm appended since */
};

typedef enum
{
  LINE_EXECUTED,
  LINE_ACKED,
  LINE_DONE,
} LineKind;

/* A line, its fields pointing into the journal's text. */
typedef struct
{
  LineKind    kind;
  const char *device_id;
  const char *command_id;   /* executed, done */
  const char *result_id;    /* executed, acked */
  const char *envelope;     /* executed */
} Line;

typedef struct
{
  char    *line;    /* its executed line, without the newline */
  gboolean acked;
} Execution;

/* A terminal's last executed command; @execution is NULL when a done line names it. */
typedef struct
{
  const char *command_id;
  Execution  *execution;
} Latest;

/* What a compaction keeps, gathered line by line in the journal's order. */
typedef struct
{
  GStringChunk *strings;
  GPtrArray    *executions;  /* Execution */
  GHashTable   *by_result;   /* "DEVICE-ID RESULT-ID" → Execution */
  GHashTable   *latest;      /* device ID → Latest */
  GPtrArray    *devices;     /* device IDs, in the order they first appear */
} Compaction;

static gboolean
journal_error (GError    **error,
               const char *path,
               const char *what)
{
  int saved = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               _("The swarm's journal %s: %s: %s"), path, what, g_strerror (saved));
  return FALSE;
}

static gboolean
lock_journal (FfSimSwarmJournal *journal,
              int                operation,
              GError           **error)
{
  while (flock (journal->lock_fd, operation) != 0)
    if (errno != EINTR)
      return journal_error (error, journal->path, _("cannot lock it"));
  return TRUE;
}

static void
unlock_journal (FfSimSwarmJournal *journal)
{
  flock (journal->lock_fd, LOCK_UN);
}

static gboolean
write_all (int         fd,
           const char *data,
           gsize       length)
{
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = write (fd, data + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      done += (gsize) n;
    }
  return TRUE;
}

/* Splits @text (one line, without its newline) in place; FALSE when it is not a journal line. */
static gboolean
parse_line (char *text,
            Line *line)
{
  char *fields[5] = { text };
  guint n = 1;

  for (char *space; n < G_N_ELEMENTS (fields) && (space = strchr (fields[n - 1], ' ')) != NULL;)
    {
      *space = '\0';
      fields[n++] = space + 1;
    }
  if (n < 3 || !ff_remote_device_id_is_valid (fields[1]) || !ff_remote_id_is_valid (fields[2]))
    return FALSE;
  *line = (Line) { .device_id = fields[1] };
  if (n == 5 && strcmp (fields[0], "executed") == 0 && ff_remote_id_is_valid (fields[3]))
    {
      line->kind = LINE_EXECUTED;
      line->command_id = fields[2];
      line->result_id = fields[3];
      line->envelope = fields[4];
      return TRUE;
    }
  if (n == 3 && strcmp (fields[0], "acked") == 0)
    {
      line->kind = LINE_ACKED;
      line->result_id = fields[2];
      return TRUE;
    }
  if (n == 3 && strcmp (fields[0], "done") == 0)
    {
      line->kind = LINE_DONE;
      line->command_id = fields[2];
      return TRUE;
    }
  return FALSE;
}

static void
replay_line (const Line                   *line,
             FfSimSwarmJournalExecutedFunc executed,
             FfSimSwarmJournalAckedFunc    acked,
             gpointer                      user_data)
{
  g_autoptr(GBytes) result = NULL;

  switch (line->kind)
    {
    case LINE_EXECUTED:
      result = g_bytes_new (line->envelope, strlen (line->envelope));
      executed (line->device_id, line->command_id, line->result_id, result, user_data);
      break;
    case LINE_DONE:
      executed (line->device_id, line->command_id, NULL, NULL, user_data);
      break;
    case LINE_ACKED:
      acked (line->device_id, line->result_id, user_data);
      break;
    }
}

static void
execution_free (Execution *execution)
{
  g_free (execution->line);
  g_free (execution);
}

static void
compaction_init (Compaction *compaction)
{
  compaction->strings = g_string_chunk_new (4096);
  compaction->executions = g_ptr_array_new_with_free_func ((GDestroyNotify) execution_free);
  compaction->by_result = g_hash_table_new (g_str_hash, g_str_equal);
  compaction->latest = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  compaction->devices = g_ptr_array_new ();
}

static void
compaction_clear (Compaction *compaction)
{
  g_ptr_array_unref (compaction->devices);
  g_hash_table_unref (compaction->latest);
  g_hash_table_unref (compaction->by_result);
  g_ptr_array_unref (compaction->executions);
  g_string_chunk_free (compaction->strings);
}

static void
compaction_set_latest (Compaction *compaction,
                       const char *device_id,
                       const char *command_id,
                       Execution  *execution)
{
  Latest *latest = g_hash_table_lookup (compaction->latest, device_id);

  if (latest == NULL)
    {
      const char *device = g_string_chunk_insert_const (compaction->strings, device_id);

      latest = g_new0 (Latest, 1);
      g_hash_table_insert (compaction->latest, (char *) device, latest);
      g_ptr_array_add (compaction->devices, (char *) device);
    }
  latest->command_id = g_string_chunk_insert (compaction->strings, command_id);
  latest->execution = execution;
}

static void
compaction_add (Compaction *compaction,
                const Line *line)
{
  g_autofree char *key = NULL;
  Execution *execution;

  switch (line->kind)
    {
    case LINE_EXECUTED:
      execution = g_new0 (Execution, 1);
      execution->line = g_strdup_printf ("executed %s %s %s %s", line->device_id,
                                         line->command_id, line->result_id, line->envelope);
      g_ptr_array_add (compaction->executions, execution);
      key = g_strdup_printf ("%s %s", line->device_id, line->result_id);
      g_hash_table_insert (compaction->by_result,
                           g_string_chunk_insert (compaction->strings, key), execution);
      compaction_set_latest (compaction, line->device_id, line->command_id, execution);
      break;
    case LINE_ACKED:
      key = g_strdup_printf ("%s %s", line->device_id, line->result_id);
      execution = g_hash_table_lookup (compaction->by_result, key);
      if (execution != NULL)
        execution->acked = TRUE;
      break;
    case LINE_DONE:
      compaction_set_latest (compaction, line->device_id, line->command_id, NULL);
      break;
    }
}

/* The lines kept, into @out; returns how many. A terminal's unacknowledged executions keep their
 * order, and its done line comes after them: the command a terminal executed last is always the
 * last one the journal names for it, as the next compaction needs. */
static guint
compaction_write (Compaction *compaction,
                  GString    *out)
{
  guint lines = 0;

  for (guint i = 0; i < compaction->executions->len; i++)
    {
      Execution *execution = g_ptr_array_index (compaction->executions, i);

      if (execution->acked)
        continue;
      g_string_append (out, execution->line);
      g_string_append_c (out, '\n');
      lines++;
    }
  for (guint i = 0; i < compaction->devices->len; i++)
    {
      const char *device_id = g_ptr_array_index (compaction->devices, i);
      Latest *latest = g_hash_table_lookup (compaction->latest, device_id);

      if (latest->execution != NULL && !latest->execution->acked)
        continue;
      g_string_append_printf (out, "done %s %s\n", device_id, latest->command_id);
      lines++;
    }
  return lines;
}

/* Another swarm's compaction renamed a new journal over the one @journal has open: appends go to
 * the new one. */
static gboolean
follow_replacement (FfSimSwarmJournal *journal,
                    GError           **error)
{
  struct stat opened, named;

  if (fstat (journal->fd, &opened) != 0 || g_stat (journal->path, &named) != 0)
    return journal_error (error, journal->path, _("cannot open it"));
  if (opened.st_dev == named.st_dev && opened.st_ino == named.st_ino)
    return TRUE;
  close (journal->fd);
  journal->fd = g_open (journal->path, O_RDWR | O_APPEND | O_CLOEXEC, 0);
  return journal->fd >= 0 || journal_error (error, journal->path, _("cannot open it"));
}

/* Puts @contents in place of the journal: temp + fsync + rename + directory sync, then opens it. */
static gboolean
replace_journal (FfSimSwarmJournal *journal,
                 const GString     *contents,
                 GError           **error)
{
  g_autofree char *temp = g_strconcat (journal->path, ".compact", NULL);
  g_autofree char *dir = g_path_get_dirname (journal->path);
  int fd = g_open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  gboolean ok = fd >= 0 && write_all (fd, contents->str, contents->len) && fsync (fd) == 0;

  if (fd >= 0 && close (fd) != 0)
    ok = FALSE;
  if (!ok || g_rename (temp, journal->path) != 0)
    {
      journal_error (error, temp, _("cannot write the compacted journal"));
      g_unlink (temp);
      return FALSE;
    }
  /* Before anything is appended to it: a power cut must not bring back the old journal without
   * lines synced to the new one. */
  if (!ff_fsync_directory (dir, error))
    return FALSE;
  return follow_replacement (journal, error);
}

/* Reads the whole journal (under the exclusive lock), replays its lines to @executed and @acked
 * when they are given, and compacts it. */
static gboolean
read_and_compact (FfSimSwarmJournal            *journal,
                  FfSimSwarmJournalExecutedFunc executed,
                  FfSimSwarmJournalAckedFunc    acked,
                  gpointer                      user_data,
                  GError                      **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GString) compacted = g_string_new (NULL);
  gsize length = 0, whole;
  guint line_number = 0;
  Compaction compaction;
  gboolean ok = TRUE;

  if (!follow_replacement (journal, error)
      || !g_file_get_contents (journal->path, &contents, &length, error))
    return FALSE;
  /* Everything up to the last newline was written whole. */
  whole = length;
  while (whole > 0 && contents[whole - 1] != '\n')
    whole--;
  if (whole < length && ftruncate (journal->fd, (off_t) whole) != 0)
    return journal_error (error, journal->path, _("cannot cut off its incomplete last line"));
  compaction_init (&compaction);
  for (char *text = contents, *end; ok && text < contents + whole; text = end + 1)
    {
      Line line;

      end = strchr (text, '\n');
      *end = '\0';
      line_number++;
      ok = parse_line (text, &line);
      if (!ok)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     _("The swarm's journal %s: line %u is not a journal line"), journal->path,
                     line_number);
      else if (executed != NULL)
        replay_line (&line, executed, acked, user_data);
      if (ok)
        compaction_add (&compaction, &line);
    }
  if (ok)
    journal->kept = compaction_write (&compaction, compacted);
  compaction_clear (&compaction);
  if (!ok)
    return FALSE;
  journal->appended = 0;
  return journal->kept == line_number || replace_journal (journal, compacted, error);
}

FfSimSwarmJournal *
ff_sim_swarm_journal_open (const char                   *path,
                           FfSimSwarmJournalExecutedFunc executed,
                           FfSimSwarmJournalAckedFunc    acked,
                           gpointer                      user_data,
                           GError                      **error)
{
  g_autoptr(FfSimSwarmJournal) journal = g_new0 (FfSimSwarmJournal, 1);
  g_autofree char *lock_path = g_strconcat (path, ".lock", NULL);
  gboolean created, ok;

  journal->path = g_strdup (path);
  journal->queued = g_string_new (NULL);
  journal->fd = -1;
  journal->lock_fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (journal->lock_fd < 0)
    {
      journal_error (error, lock_path, _("cannot open it"));
      return NULL;
    }
  if (!lock_journal (journal, LOCK_EX, error))
    return NULL;
  created = !g_file_test (path, G_FILE_TEST_EXISTS);
  journal->fd = g_open (path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (journal->fd < 0)
    ok = journal_error (error, path, _("cannot open it"));
  else
    {
      /* The file's name must survive a power cut too. */
      g_autofree char *dir = g_path_get_dirname (path);

      ok = (!created || ff_fsync_directory (dir, error))
           && read_and_compact (journal, executed, acked, user_data, error);
    }
  unlock_journal (journal);
  return ok ? g_steal_pointer (&journal) : NULL;
}

void
ff_sim_swarm_journal_free (FfSimSwarmJournal *journal)
{
  if (journal->fd >= 0)
    close (journal->fd);
  if (journal->lock_fd >= 0)
    close (journal->lock_fd);
  g_string_free (journal->queued, TRUE);
  g_free (journal->path);
  g_free (journal);
}

void
ff_sim_swarm_journal_add_executed (FfSimSwarmJournal *journal,
                                   const char        *device_id,
                                   const char        *command_id,
                                   const char        *result_id,
                                   GBytes            *result)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (result, &size);

  /* The envelope is one line of compact JSON (json_generator_to_data without pretty printing). */
  g_string_append_printf (journal->queued, "executed %s %s %s ", device_id, command_id, result_id);
  g_string_append_len (journal->queued, data, (gssize) size);
  g_string_append_c (journal->queued, '\n');
  journal->durable = TRUE;
  journal->appended++;
}

void
ff_sim_swarm_journal_add_acked (FfSimSwarmJournal *journal,
                                const char        *device_id,
                                const char        *result_id)
{
  g_string_append_printf (journal->queued, "acked %s %s\n", device_id, result_id);
  journal->appended++;
}

gboolean
ff_sim_swarm_journal_sync (FfSimSwarmJournal *journal,
                           GError           **error)
{
  gboolean ok;

  if (journal->queued->len == 0)
    return TRUE;
  if (!lock_journal (journal, LOCK_SH, error))
    return FALSE;
  ok = follow_replacement (journal, error);
  if (ok && !write_all (journal->fd, journal->queued->str, journal->queued->len))
    ok = journal_error (error, journal->path, _("cannot write to it"));
  if (ok && journal->durable && fdatasync (journal->fd) != 0)
    ok = journal_error (error, journal->path, _("cannot sync it"));
  unlock_journal (journal);
  if (!ok)
    return FALSE;
  g_string_truncate (journal->queued, 0);
  journal->durable = FALSE;
  if (journal->appended < MAX (journal->kept, FF_SIM_SWARM_JOURNAL_COMPACT_MIN))
    return TRUE;
  if (!lock_journal (journal, LOCK_EX, error))
    return FALSE;
  ok = read_and_compact (journal, NULL, NULL, NULL, error);
  unlock_journal (journal);
  return ok;
}
