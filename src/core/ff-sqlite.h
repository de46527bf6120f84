/* What the tablet's store and the platform's database share in using sqlite: binding GLib values
 * to statements and reading columns back as GLib values. */
#pragma once

#include <glib.h>
#include <sqlite3.h>
#include <stdarg.h>

G_BEGIN_DECLS

/* Binds @text, or SQL NULL when @text is NULL. Returns the sqlite result code. */
int     ff_sqlite_bind_text    (sqlite3_stmt *statement,
                                int           index,
                                const char   *text);
/* Binds @bytes as a blob (an empty one for empty bytes), or SQL NULL when @bytes is NULL. */
int     ff_sqlite_bind_bytes   (sqlite3_stmt *statement,
                                int           index,
                                GBytes       *bytes);
/* Binds one value per character of @types to parameters 1, 2, …: 's' string (NULL for SQL NULL),
 * 'i' gint64, 'n' gint64 with 0 as SQL NULL, 'd' double, 'B' GBytes * (NULL for SQL NULL).
 * Stops at the first failure and returns its sqlite result code, else SQLITE_OK. */
int     ff_sqlite_bind         (sqlite3_stmt *statement,
                                const char   *types,
                                ...);
int     ff_sqlite_bind_valist  (sqlite3_stmt *statement,
                                const char   *types,
                                va_list       args);
/* A copy of the column's text, NULL for SQL NULL. */
char   *ff_sqlite_column_text  (sqlite3_stmt *statement,
                                int           column);
GBytes *ff_sqlite_column_bytes (sqlite3_stmt *statement,
                                int           column);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

G_END_DECLS
