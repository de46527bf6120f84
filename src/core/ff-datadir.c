/* Where Fieldflash finds its shipped data: $FIELDFLASH_DATADIR, then the installed copy, then the
 * source tree (so programs run straight from a build directory, as the tests and README do); and
 * its message catalogues, in the build tree for a program run from it. */
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

/* Whether the running program is one the build made, not an installed copy. */
static gboolean
runs_from_build (void)
{
  g_autofree char *program = g_file_read_link ("/proc/self/exe", NULL);

  return program != NULL && g_str_has_prefix (program, BUILD_ROOT G_DIR_SEPARATOR_S);
}

/* Where the message catalogues are: $FIELDFLASH_LOCALEDIR, then the build tree's for a program run
 * from the build (README command 1 runs the app there, before anything is installed), then the
 * installed ones. */
const char *
ff_localedir (void)
{
  static gsize resolved;

  if (g_once_init_enter (&resolved))
    {
      const char *env = g_getenv ("FIELDFLASH_LOCALEDIR");
      const char *dir;

      if (env != NULL && *env != '\0')
        dir = g_intern_string (env);
      else if (runs_from_build ())
        dir = BUILD_LOCALEDIR;
      else
        dir = LOCALEDIR;
      g_once_init_leave (&resolved, (gsize) dir);
    }
  return (const char *) resolved;
}
