/* Imports the terminal ledger (CSV from a utility's asset system): all rows or none. */
#pragma once

#include "ff-platform-db.h"

G_BEGIN_DECLS

typedef struct
{
  guint added;
  guint updated;
  guint unchanged;
} FfLedgerImportStats;

/* The column names of the header row, in order. */
extern const char *const ff_ledger_columns[];

/* Reads @path, validates every row (reporting each bad one as "PATH:LINE: problem"), then in one
 * transaction adds new terminals and leaves identical ones alone. A known device ID with other
 * data is refused unless @update, which rewrites it (a version change goes to the history). */
gboolean ff_platform_import_ledger (FfPlatformDb        *db,
                                    const char          *path,
                                    gboolean             update,
                                    gint64               now,
                                    FfLedgerImportStats *stats,
                                    GError             **error);

G_END_DECLS
