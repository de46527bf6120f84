/* File-system helpers the programs and the tests share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes @path and everything below it; a symbolic link is removed, never followed out of the
 * tree. Goes on past what cannot be removed: 0, or -1 with errno set by the last failure (as
 * g_remove()). */
int ff_remove_tree (const char *path);

/* Waits until the entries of the directory @path (a file created, renamed or removed in it) are
 * on disk: a rename is durable only once its directory is. FALSE with a G_IO_ERROR naming @path. */
gboolean ff_fsync_directory (const char  *path,
                             GError     **error);

/* Replaces @path with the @length bytes of @contents (-1: a string), mode @mode (less the umask):
 * written and synced, renamed over @path, and the directory synced, as g_file_set_contents_full()
 * with CONSISTENT | DURABLE does — but where the file system allows it the data goes to an
 * unnamed file that is named only once it is whole, so a process killed while it writes leaves no
 * temporary file behind, and @path as it was (ff-file-replace.c). FALSE with a G_FILE_ERROR
 * naming @path, and @path unchanged. */
gboolean ff_file_replace (const char  *path,
                          const char  *contents,
                          gssize       length,
                          int          mode,
                          GError     **error);

G_END_DECLS
