/* The platform database's schema: the tables of each version, the steps that bring an older
 * database up to date, and the SQL function the schema relies on. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* Registers ff_version_key(TEXT) on @handle (ff_version_sort_key()), then migrates the database
 * to the current schema, one transaction per version, so a crash leaves it at a known version.
 * Refuses a database of a newer schema. */
gboolean ff_platform_schema_migrate (sqlite3  *handle,
                                     GError  **error);

G_END_DECLS
