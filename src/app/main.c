/* Entry point of fieldflash, the technician's tablet app. */
#include "config.h"

#include "ff-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(FfApplication) app = NULL;

  ff_application_init_i18n ();
  app = ff_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
