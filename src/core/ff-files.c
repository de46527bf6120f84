/* File-system helpers the programs and the tests share (ff-files.h). */
#include "config.h"

#include "ff-files.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <unistd.h>

int
ff_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  int result = 0;
  int saved_errno = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK)
          ? ff_remove_tree (child) != 0
          : g_remove (child) != 0)
        {
          result = -1;
          saved_errno = errno;
        }
    }
  if (g_rmdir (path) != 0)
    return -1;
  errno = saved_errno;
  return result;
}

gboolean
ff_fsync_directory (const char  *path,
                    GError     **error)
{
  int fd = g_open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  gboolean ok = fd >= 0 && fsync (fd) == 0;
  int saved_errno = errno;

  if (fd >= 0)
    close (fd);
  if (!ok)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Could not sync the directory %s: %s"), path, g_strerror (saved_errno));
  return ok;
}
