/* fieldflash-cli: the tablet's workflow and diagnostics from a shell; dispatches to one verb per file group. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <stdio.h>

#include "ff-cli.h"

static const FfCliVerb verbs[] = {
  { "info", N_("Read a terminal's information parameters"), ff_cli_diag_info },
  { "measure", N_("Read a terminal's measurements"), ff_cli_diag_measure },
  { "push", N_("Upgrade a terminal with a firmware file"), ff_cli_diag_push },
  { NULL, NULL, NULL },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n", _("Usage: fieldflash-cli VERB [OPTION…]"));
  fprintf (out, "%s\n", _("Verbs:"));
  for (const FfCliVerb *v = verbs; v->name != NULL; v++)
    fprintf (out, "  %-10s %s\n", v->name, _(v->summary));
  fprintf (out, "\n%s\n", _("Run “fieldflash-cli VERB --help” for the options of a verb."));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "help"))
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? FF_CLI_EXIT_USAGE : FF_CLI_EXIT_OK;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      printf ("fieldflash-cli %s\n", PACKAGE_VERSION);
      return FF_CLI_EXIT_OK;
    }

  for (const FfCliVerb *v = verbs; v->name != NULL; v++)
    if (g_str_equal (argv[1], v->name))
      return v->run (argc - 1, argv + 1);

  g_printerr (_("Unknown verb “%s”.\n"), argv[1]);
  print_usage (stderr);
  return FF_CLI_EXIT_USAGE;
}
