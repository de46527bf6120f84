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

G_END_DECLS
