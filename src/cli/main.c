/* fieldflash-cli: the tablet's workflow and diagnostics from a shell; dispatches to one verb per file group. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <stdio.h>

#include "ff-datadir.h"
#include "ff-cli.h"

static const FfCliVerb verbs[] = {
  { "info", N_("Read a terminal's information parameters"), ff_cli_diag_info },
  { "measure", N_("Read a terminal's measurements"), ff_cli_diag_measure },
  { "push", N_("Upgrade a terminal with a firmware file"), ff_cli_diag_push },
  { "key", N_("Print this tablet's public key (made on first use) for registering it"), ff_cli_key },
  { "login", N_("Log in to the platform (and enrol the tablet the first time)"), ff_cli_login },
  { "sync", N_("Fetch and verify this technician's tasks and their firmware"), ff_cli_sync },
  { "tasks", N_("List the tasks on this tablet and the state of each terminal"), ff_cli_tasks },
  { "run", N_("Upgrade one terminal: the whole guided workflow"), ff_cli_run },
  { "rollback", N_("Push the previous firmware back after a failed upgrade"), ff_cli_rollback },
  { "reports", N_("List the reports on this tablet (and print them as PDF)"), ff_cli_reports },
  { "upload", N_("Deliver the queued reports to the platform"), ff_cli_upload },
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
  bindtextdomain (GETTEXT_PACKAGE, ff_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* Each verb parses its own argv, whose argv[0] is the verb: the program is named here, as the
   * tablet's lock records it for a second program to read. */
  g_set_prgname ("fieldflash-cli");

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
