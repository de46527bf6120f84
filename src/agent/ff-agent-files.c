/* Durable copies and comparisons shared by the agent's backup, restore and install steps. */
#include "config.h"

#include "ff-agent-files.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ff-agent-config.h"
#include "ff-files.h"

static gboolean
io_error (GError **error, const char *path, int saved_errno)
{
  g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_IO, "%s: %s", path,
               g_strerror (saved_errno));
  return FALSE;
}

static gboolean
make_parent (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    return io_error (error, dir, errno);
  return TRUE;
}

/* CONSISTENT | DURABLE writes a temporary file, fsyncs it, renames it over PATH and fsyncs the
 * directory (GLib's rename_file() since 2.66, the same in 2.74), so the new name survives a power
 * cut without a second sync of the directory here. GLib does not report a failure of that
 * directory sync; the file's own fsync, which it does report, catches a failing disk first. */
gboolean
ff_agent_write_file (const char *path, const char *contents, gssize length, GError **error)
{
  return make_parent (path, error)
         && g_file_set_contents_full (path, contents, length,
                                      G_FILE_SET_CONTENTS_CONSISTENT
                                      | G_FILE_SET_CONTENTS_DURABLE, 0600, error);
}

gboolean
ff_agent_copy_file (const char *source, const char *dest, int mode, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (dest);
  g_autofree char *temp = g_strconcat (dest, ".partial", NULL);
  char buffer[65536];
  int in, out;
  gssize n = 0;

  if (!make_parent (dest, error))
    return FALSE;
  in = open (source, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return io_error (error, source, errno);
  out = open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (out < 0)
    {
      int saved_errno = errno;

      close (in);
      return io_error (error, temp, saved_errno);
    }
  while ((n = read (in, buffer, sizeof buffer)) > 0)
    if (write (out, buffer, n) != n)
      {
        n = -1;
        break;
      }
  if (n < 0 || fchmod (out, mode) != 0 || fsync (out) != 0)
    {
      int saved_errno = errno != 0 ? errno : EIO;

      close (in);
      close (out);
      g_unlink (temp);
      return io_error (error, dest, saved_errno);
    }
  close (in);
  if (close (out) != 0 || g_rename (temp, dest) != 0)
    {
      int saved_errno = errno;

      g_unlink (temp);
      return io_error (error, dest, saved_errno);
    }
  return ff_fsync_directory (dir, error);
}

gboolean
ff_agent_files_equal (const char *a, const char *b)
{
  g_autoptr(GMappedFile) file_a = g_mapped_file_new (a, FALSE, NULL);
  g_autoptr(GMappedFile) file_b = g_mapped_file_new (b, FALSE, NULL);

  return file_a != NULL && file_b != NULL
         && g_mapped_file_get_length (file_a) == g_mapped_file_get_length (file_b)
         && (g_mapped_file_get_length (file_a) == 0
             || memcmp (g_mapped_file_get_contents (file_a), g_mapped_file_get_contents (file_b),
                        g_mapped_file_get_length (file_a)) == 0);
}
