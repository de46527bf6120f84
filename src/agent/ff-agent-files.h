/* File operations the agent's steps share: durable copies and comparisons. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Copies @source to @dest through a temporary file in @dest's directory (created if needed),
 * fsync and rename, then fsyncs the directory. @mode is the new file's mode. */
gboolean ff_agent_copy_file    (const char  *source,
                                const char  *dest,
                                int          mode,
                                GError     **error);
/* TRUE when both files exist and have the same bytes. */
gboolean ff_agent_files_equal  (const char  *a,
                                const char  *b);
/* Writes @contents durably (temp + fsync + rename, 0600, the directory created if needed). */
gboolean ff_agent_write_file   (const char  *path,
                                const char  *contents,
                                gssize       length,
                                GError     **error);

G_END_DECLS
