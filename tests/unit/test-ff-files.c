/* Unit tests of ff-files: the one directory sync every durable rename ends with, the replacement
 * of a file's contents, and their errors. */
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

/* ff_file_replace puts the whole contents in place with the mode asked for, and leaves nothing
 * beside it; a directory that does not exist is an error naming the file, and nothing is made. */
static void
test_replace (void)
{
  g_autofree char *root = g_dir_make_tmp ("ff-files-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (root, "file", NULL);
  g_autofree char *lost = g_build_filename (root, "missing", "file", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  GStatBuf info;
  mode_t mask = umask (022);

  g_assert_true (ff_file_replace (file, "first", -1, 0600, &error));
  g_assert_no_error (error);
  g_assert_true (ff_file_replace (file, "second\0bytes", 12, 0640, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  g_assert_cmpmem (contents, 12, "second\0bytes", 12);
  g_assert_cmpint (g_stat (file, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0640);
  dir = g_dir_open (root, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (dir), ==, "file");
  g_assert_null (g_dir_read_name (dir));

  g_assert_false (ff_file_replace (lost, "x", 1, 0600, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, lost));
  umask (mask);
  g_assert_cmpint (ff_remove_tree (root), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/files/fsync-directory", test_fsync_directory);
  g_test_add_func ("/files/replace", test_replace);
  return g_test_run ();
}
