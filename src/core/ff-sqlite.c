/* What the tablet's store and the platform's database share in using sqlite. */
#include "config.h"

#include "ff-sqlite.h"

int
ff_sqlite_bind_text (sqlite3_stmt *statement,
                     int           index,
                     const char   *text)
{
  if (text == NULL)
    return sqlite3_bind_null (statement, index);
  return sqlite3_bind_text (statement, index, text, -1, SQLITE_TRANSIENT);
}

int
ff_sqlite_bind_bytes (sqlite3_stmt *statement,
                      int           index,
                      GBytes       *bytes)
{
  gsize size = 0;
  const void *data;

  if (bytes == NULL)
    return sqlite3_bind_null (statement, index);
  data = g_bytes_get_data (bytes, &size);
  /* A NULL pointer would bind SQL NULL, not an empty blob. */
  return sqlite3_bind_blob64 (statement, index, data != NULL ? data : "", size, SQLITE_TRANSIENT);
}

int
ff_sqlite_bind_valist (sqlite3_stmt *statement,
                       const char   *types,
                       va_list       args)
{
  int code = SQLITE_OK;

  for (int i = 0; types[i] != '\0' && code == SQLITE_OK; i++)
    {
      int index = i + 1;

      switch (types[i])
        {
        case 's':
          code = ff_sqlite_bind_text (statement, index, va_arg (args, const char *));
          break;
        case 'i':
          code = sqlite3_bind_int64 (statement, index, va_arg (args, gint64));
          break;
        case 'n':
          {
            gint64 value = va_arg (args, gint64);

            code = value == 0 ? sqlite3_bind_null (statement, index)
                              : sqlite3_bind_int64 (statement, index, value);
            break;
          }
        case 'd':
          code = sqlite3_bind_double (statement, index, va_arg (args, double));
          break;
        case 'B':
          code = ff_sqlite_bind_bytes (statement, index, va_arg (args, GBytes *));
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return code;
}

int
ff_sqlite_bind (sqlite3_stmt *statement,
                const char   *types,
                ...)
{
  va_list args;
  int code;

  va_start (args, types);
  code = ff_sqlite_bind_valist (statement, types, args);
  va_end (args);
  return code;
}

char *
ff_sqlite_column_text (sqlite3_stmt *statement,
                       int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (statement, column));
}

GBytes *
ff_sqlite_column_bytes (sqlite3_stmt *statement,
                        int           column)
{
  /* sqlite wants the blob pointer fetched before its size. */
  const void *data = sqlite3_column_blob (statement, column);

  return g_bytes_new (data, sqlite3_column_bytes (statement, column));
}
