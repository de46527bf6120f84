/* File-system helpers the programs and the tests share (ff-files.h). */
#include "config.h"

#include "ff-files.h"

#include <errno.h>
#include <glib/gstdio.h>

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
