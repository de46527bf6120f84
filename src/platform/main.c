/* fieldflash-platform: the master station's operator CLI and daemon. */
#include "config.h"

#include "ff-datadir.h"
#include "ff-cli-options.h"
#include "ff-platform-cli.h"
#include "ff-platform-clock.h"
#include "ff-platform-fault.h"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <stdio.h>
#include <sys/stat.h>

static const struct
{
  const char *name;
  FfCliVerb   run;
} verbs[] = {
  { "init", ff_cli_init },
  { "serve", ff_cli_serve },
  { "export-key", ff_cli_export_key },
  { "terminals", ff_cli_terminals },
  { "firmware", ff_cli_firmware },
  { "blacklist", ff_cli_blacklist },
  { "handhelds", ff_cli_handhelds },
  { "technicians", ff_cli_technicians },
  { "supervisors", ff_cli_supervisors },
  { "tasks", ff_cli_tasks },
  { "reports", ff_cli_reports },
  { "history", ff_cli_history },
  { "operators", ff_cli_operators },
  { "mqtt", ff_cli_mqtt },
  { "remote", ff_cli_remote },
  { "packages", ff_cli_packages },
  { "campaigns", ff_cli_campaigns },
  { "meters", ff_cli_meters },
};

/* What the verbs print comes partly from outside: ledger names from an asset system, checksums
 * from tablets' reports. A control character in it (an escape sequence can rewrite the operator's
 * screen or window title) is written as \xNN; tabs and line ends are the output's own. C1
 * controls count too (U+0080 to U+009F, bytes C2 80 to C2 9F in UTF-8). */
static void
write_escaped (FILE       *stream,
               const char *text)
{
  g_autoptr(GString) out = g_string_sized_new (strlen (text));

  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
        g_string_append_printf (out, "\\x%02x", *p);
      else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
        g_string_append_printf (out, "\\u%04x", *++p);
      else
        g_string_append_c (out, (char) *p);
    }
  fputs (out->str, stream);
}

static void
print_escaped (const char *text)
{
  write_escaped (stdout, text);
}

static void
printerr_escaped (const char *text)
{
  write_escaped (stderr, text);
}

static void
print_usage (void)
{
  g_printerr ("%s\n", _("Usage: fieldflash-platform [--data-dir DIR] VERB …"));
  g_printerr ("%s\n", _("Verbs: init, serve, export-key, "
                        "terminals import|list|show|credentials|set-link, "
                        "firmware add|list|withdraw, blacklist add|remove|list, "
                        "handhelds add|list|retire, technicians add|list, "
                        "supervisors add|list|disable, operators add|list|disable, "
                        "tasks create|list, reports list|pdf, history DEVICE-ID, mqtt config, "
                        "remote upgrade|results, packages build, "
                        "campaigns create|start|pause|resume|cancel|list|show|tasks, "
                        "meters add|import|list|history|apps"));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_dir = NULL;
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("The platform's data directory"),
      N_("DIR") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  FfCli cli = { 0 };
  gboolean ok = FALSE;
  gboolean found = FALSE;

  /* Every file the platform makes (the database with PIN hashes and its journal, keys, firmware,
   * signed tasks) is for its own user alone, whatever umask it was started with. */
  umask (077);
  g_set_print_handler (print_escaped);
  g_set_printerr_handler (printerr_escaped);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, ff_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  /* Options before the verb; the verb parses its own (and --data-dir again) after it. */
  context = ff_cli_option_context_new (_("VERB …"), NULL, entries, NULL);
  g_option_context_set_strict_posix (context, TRUE);
  g_option_context_set_help_enabled (context, FALSE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2)
    {
      if (error != NULL)
        g_printerr ("fieldflash-platform: %s\n", error->message);
      print_usage ();
      return 2;
    }
  if (!ff_platform_clock_init (&error) || !ff_platform_fault_init (&error))
    {
      g_printerr ("fieldflash-platform: %s\n", error->message);
      return 2;
    }
  cli.data_dir = data_dir != NULL ? g_steal_pointer (&data_dir) : ff_cli_default_data_dir ();
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (g_str_equal (argv[1], verbs[i].name))
      {
        found = TRUE;
        ok = verbs[i].run (&cli, argc - 1, argv + 1, &error);
        break;
      }
  if (!found)
    print_usage ();
  else if (!ok)
    g_printerr ("fieldflash-platform: %s\n", error->message);
  ff_platform_db_close (cli.db);
  g_free (cli.data_dir);
  return found && ok ? 0 : found ? 1 : 2;
}
