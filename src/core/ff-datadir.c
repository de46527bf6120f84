/* Where Fieldflash finds its shipped data: $FIELDFLASH_DATADIR, then the installed copy, then the
 * source tree (so programs run straight from a build directory, as the tests and README do). */
#include "config.h"

#include "ff-datadir.h"

#include <stdarg.h>

const char *
ff_datadir (void)
{
  static gsize resolved;

  if (g_once_init_enter (&resolved))
    {
      const char *env = g_getenv ("FIELDFLASH_DATADIR");
      const char *dir;

      if (env != NULL && *env != '\0')
        dir = g_intern_string (env);
      else if (g_file_test (PKGDATADIR "/profiles", G_FILE_TEST_IS_DIR))
        dir = PKGDATADIR;
      else
        dir = SOURCE_DATADIR;
      g_once_init_leave (&resolved, (gsize) dir);
    }
  return (const char *) resolved;
}

char *
ff_datadir_file (const char *first_element, ...)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (parts, (gpointer) ff_datadir ());
  va_start (args, first_element);
  for (const char *p = first_element; p != NULL; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}
