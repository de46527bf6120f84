/* The swarm's journal (ff-sim-swarm-journal.h). One line per event, appended:
 *   executed DEVICE-ID COMMAND-ID RESULT-ID ENVELOPE
 *   acked DEVICE-ID RESULT-ID
 * A terminal's result is published only once its line is on disk, as the agent saves its state
 * before it acts: one fdatasync() per pass of the swarm's loop covers every terminal that executed
 * in it, where a state file per terminal would cost one per command. Several swarms over one
 * credentials directory append to the same file (O_APPEND: each write lands whole at the end). A
 * line cut short by a crash was never synced, so nothing was published for it: it is cut off. */
#include "config.h"

#include "ff-sim-swarm-journal.h"

#include "ff-files.h"
#include "ff-remote-doc.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <unistd.h>

struct _FfSimSwarmJournal
{
  char    *path;
  int      fd;
  GString *queued;
  gboolean durable;   /* an execution is queued: sync waits for the disk */
};

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

/* One line (without its newline); FALSE when it is not a journal line. */
static gboolean
replay_line (char                         *line,
             FfSimSwarmJournalExecutedFunc executed,
             FfSimSwarmJournalAckedFunc    acked,
             gpointer                      user_data)
{
  g_auto(GStrv) fields = g_strsplit (line, " ", 5);
  guint n = g_strv_length (fields);

  if (n < 3 || !ff_remote_device_id_is_valid (fields[1]))
    return FALSE;
  if (n == 5 && strcmp (fields[0], "executed") == 0 && ff_remote_id_is_valid (fields[2])
      && ff_remote_id_is_valid (fields[3]))
    {
      g_autoptr(GBytes) result = g_bytes_new (fields[4], strlen (fields[4]));

      executed (fields[1], fields[2], fields[3], result, user_data);
      return TRUE;
    }
  if (n == 3 && strcmp (fields[0], "acked") == 0 && ff_remote_id_is_valid (fields[2]))
    {
      acked (fields[1], fields[2], user_data);
      return TRUE;
    }
  return FALSE;
}

FfSimSwarmJournal *
ff_sim_swarm_journal_open (const char                   *path,
                           FfSimSwarmJournalExecutedFunc executed,
                           FfSimSwarmJournalAckedFunc    acked,
                           gpointer                      user_data,
                           GError                      **error)
{
  g_autoptr(FfSimSwarmJournal) journal = g_new0 (FfSimSwarmJournal, 1);
  g_autofree char *contents = NULL;
  gsize length = 0, whole;
  guint line_number = 0;
  gboolean created;

  journal->path = g_strdup (path);
  journal->queued = g_string_new (NULL);
  created = !g_file_test (path, G_FILE_TEST_EXISTS);
  journal->fd = g_open (path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (journal->fd < 0)
    {
      journal_error (error, path, _("cannot open it"));
      return NULL;
    }
  if (created)
    {
      /* The file's name must survive a power cut too. */
      g_autofree char *dir = g_path_get_dirname (path);

      if (!ff_fsync_directory (dir, error))
        return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  /* Everything up to the last newline was written whole. */
  whole = length;
  while (whole > 0 && contents[whole - 1] != '\n')
    whole--;
  if (whole < length && ftruncate (journal->fd, (off_t) whole) != 0)
    {
      journal_error (error, path, _("cannot cut off its incomplete last line"));
      return NULL;
    }
  for (char *line = contents, *end; line < contents + whole; line = end + 1)
    {
      end = strchr (line, '\n');
      *end = '\0';
      line_number++;
      if (!replay_line (line, executed, acked, user_data))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The swarm's journal %s: line %u is not a journal line"), path,
                       line_number);
          return NULL;
        }
    }
  return g_steal_pointer (&journal);
}

void
ff_sim_swarm_journal_free (FfSimSwarmJournal *journal)
{
  if (journal->fd >= 0)
    close (journal->fd);
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
}

void
ff_sim_swarm_journal_add_acked (FfSimSwarmJournal *journal,
                                const char        *device_id,
                                const char        *result_id)
{
  g_string_append_printf (journal->queued, "acked %s %s\n", device_id, result_id);
}

gboolean
ff_sim_swarm_journal_sync (FfSimSwarmJournal *journal,
                           GError           **error)
{
  gsize done = 0;

  while (done < journal->queued->len)
    {
      ssize_t n = write (journal->fd, journal->queued->str + done, journal->queued->len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return journal_error (error, journal->path, _("cannot write to it"));
      done += (gsize) n;
    }
  g_string_truncate (journal->queued, 0);
  if (journal->durable && fdatasync (journal->fd) != 0)
    return journal_error (error, journal->path, _("cannot sync it"));
  journal->durable = FALSE;
  return TRUE;
}
