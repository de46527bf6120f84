/* Imports smart meters into the ledger from CSV (a utility's meter register): all rows or none. */
#pragma once

#include "ff-platform-db.h"

G_BEGIN_DECLS

/* The columns of the header row, in order; an optional last column "psk" holds each meter's DTLS
 * key in hexadecimal (empty: none). */
extern const char *const ff_meter_import_columns[];

/* Reads @path, validates every row (each bad one reported as "PATH: line N: problem"), then adds
 * the new meters in one transaction; a meter the ledger holds with the same data is left alone,
 * with other data the import is refused. */
gboolean ff_platform_import_meters (FfPlatformDb *db,
                                    const char   *path,
                                    gint64        now,
                                    guint        *added,
                                    guint        *unchanged,
                                    GError      **error);

G_END_DECLS
