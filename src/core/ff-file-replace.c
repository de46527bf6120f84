/* ff_file_replace (ff-files.h): a file's contents replaced atomically and durably, with nothing
 * left behind by a process killed while it writes. The one file with Linux's calls for it
 * (O_TMPFILE, linkat through /proc/self/fd): a port to another system replaces it with
 * g_file_set_contents_full (docs/windows.md). */
#define _GNU_SOURCE
#include "config.h"

#include "ff-files.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define NAME_ATTEMPTS 100

static gboolean
set_errno_error (GError **error, const char *path, int saved_errno)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               _("Could not write %s: %s"), path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
write_all (int fd, const char *data, gsize length)
{
  gsize done = 0;

  while (done < length)
    {
      gssize n = write (fd, data + done, length - done);

      if (n < 0 && errno != EINTR)
        return FALSE;
      if (n > 0)
        done += (gsize) n;
    }
  return TRUE;
}

/* Gives the unnamed file @fd a name beside @path, NAME.XXXXXX as GLib names its temporary files
 * (so what looks for those finds it); NULL with errno set when it cannot. */
static char *
link_beside (int fd, const char *path)
{
  g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", fd);
  static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  for (guint attempt = 0; attempt < NAME_ATTEMPTS; attempt++)
    {
      char suffix[7];
      g_autofree char *temp = NULL;

      for (guint i = 0; i < 6; i++)
        suffix[i] = letters[g_random_int_range (0, sizeof letters - 1)];
      suffix[6] = '\0';
      temp = g_strconcat (path, ".", suffix, NULL);
      if (linkat (AT_FDCWD, proc, AT_FDCWD, temp, AT_SYMLINK_FOLLOW) == 0)
        return g_steal_pointer (&temp);
      if (errno != EEXIST)
        return NULL;
    }
  return NULL;
}

static gboolean
replace_named (const char *path, const char *contents, gsize size, int mode, GError **error)
{
  return g_file_set_contents_full (path, contents, (gssize) size,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   mode, error);
}

gboolean
ff_file_replace (const char  *path,
                 const char  *contents,
                 gssize       length,
                 int          mode,
                 GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *temp = NULL;
  gsize size = length < 0 ? strlen (contents) : (gsize) length;
  int saved_errno;
  /* Written and synced without a name: a kill meanwhile leaves nothing in the directory. */
  int fd = g_open (dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);

  /* A file system without O_TMPFILE (tmpfs before Linux 3.11, some network ones): GLib's way, a
   * named temporary file from the start. */
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
    return replace_named (path, contents, size, mode, error);
  if (fd < 0)
    return set_errno_error (error, path, errno);
  if (!write_all (fd, contents, size) || fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      return set_errno_error (error, path, saved_errno);
    }
  /* Named beside the target and renamed over it: only these two calls apart can a kill leave the
   * temporary name. */
  temp = link_beside (fd, path);
  saved_errno = errno;
  close (fd);
  /* No /proc to name it through (a recovery system may not mount it): GLib's way. */
  if (temp == NULL && saved_errno == ENOENT && !g_file_test ("/proc/self/fd", G_FILE_TEST_IS_DIR))
    return replace_named (path, contents, size, mode, error);
  if (temp == NULL)
    return set_errno_error (error, path, saved_errno);
  if (g_rename (temp, path) != 0)
    {
      saved_errno = errno;
      g_unlink (temp);
      return set_errno_error (error, path, saved_errno);
    }
  return ff_fsync_directory (dir, error);
}
