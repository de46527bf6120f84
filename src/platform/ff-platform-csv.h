/* A strict RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF or LF, line numbers in errors. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FfCsvReader FfCsvReader;

/* @data must stay valid while the reader is used. A leading UTF-8 byte-order mark is skipped. */
FfCsvReader *ff_csv_reader_new   (const char   *data,
                                  gsize         length);
void         ff_csv_reader_free  (FfCsvReader  *reader);
/* Reads one record. Returns TRUE with *@fields (of char *) and the line it starts on; FALSE at the
 * end of the data, or with @error (FF_PLATFORM_ERROR_INVALID, naming the line) on bad input. */
gboolean     ff_csv_reader_next  (FfCsvReader  *reader,
                                  GPtrArray   **fields,
                                  guint        *line,
                                  GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfCsvReader, ff_csv_reader_free)

G_END_DECLS
