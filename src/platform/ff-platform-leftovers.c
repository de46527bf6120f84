/* What a killed platform process leaves in its data directory, and its removal at the next
 * start. */
#include "config.h"

#include "ff-platform-leftovers.h"

#include "ff-files.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

/* The files init writes with ff_file_replace(), each named NAME.XXXXXX for a moment before it is
 * renamed into place (from the start, where the file system refuses O_TMPFILE). */
static const char *const init_files[] = {
  "platform-key.pem", "platform-key.pub.pem", "tls.key", "tls.crt", NULL
};

char *
ff_platform_uploads_directory (const char *data_dir)
{
  return g_build_filename (data_dir, "uploads", NULL);
}

/* Whether @name is NAME.XXXXXX, the temporary file of one of init's files: six letters or digits,
 * as ff_file_replace() and g_file_set_contents_full() fill in their template. */
static gboolean
is_init_temporary (const char *name)
{
  gsize length = strlen (name);

  if (length < 8 || name[length - 7] != '.')
    return FALSE;
  for (gsize i = length - 6; i < length; i++)
    if (!g_ascii_isalnum (name[i]))
      return FALSE;
  for (guint i = 0; init_files[i] != NULL; i++)
    if (length - 7 == strlen (init_files[i]) && strncmp (name, init_files[i], length - 7) == 0)
      return TRUE;
  return FALSE;
}

static void
warn_not_removed (const char *path)
{
  g_warning (_("Could not remove %s, left by a process that was stopped: %s"), path,
             g_strerror (errno));
}

void
ff_platform_remove_upload_leftovers (const char *data_dir)
{
  g_autofree char *uploads = ff_platform_uploads_directory (data_dir);

  if (ff_remove_tree (uploads) != 0 && errno != ENOENT)
    warn_not_removed (uploads);
}

void
ff_platform_remove_init_leftovers (const char *data_dir)
{
  g_autoptr(GDir) dir = g_dir_open (data_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (is_init_temporary (name))
      {
        g_autofree char *path = g_build_filename (data_dir, name, NULL);

        if (g_unlink (path) != 0 && errno != ENOENT)
          warn_not_removed (path);
      }
}
