/* Unit tests of ff-files: the one directory sync every durable rename ends with, and its errors. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ff-files.h"

static void
test_fsync_directory (void)
{
  g_autofree char *root = g_dir_make_tmp ("ff-files-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (root, "missing", NULL);
  g_autofree char *file = g_build_filename (root, "file", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (root);
  g_assert_true (ff_fsync_directory (root, &error));
  g_assert_no_error (error);

  /* The error names the directory, so the operator knows which disk or mount failed. */
  g_assert_false (ff_fsync_directory (missing, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_false (ff_fsync_directory (file, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
  g_assert_nonnull (strstr (error->message, file));
  g_assert_cmpint (ff_remove_tree (root), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/files/fsync-directory", test_fsync_directory);
  return g_test_run ();
}
