/* Operator verbs for the console's accounts: add (with a role and a password), list, disable. */
#include "config.h"

#include "ff-platform-cli.h"

#include "ff-document.h"
#include "ff-platform-clock.h"
#include "ff-platform-json.h"
#include "ff-platform-operators.h"

#include <glib/gi18n-lib.h>
#include <unistd.h>

static gboolean
operators_add (FfCli   *cli,
               int      argc,
               char   **argv,
               GError **error)
{
  g_autofree char *name = NULL, *role = NULL;
  gboolean password_stdin = FALSE;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("The name the operator logs in with"),
      N_("NAME") },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role,
      N_("admin (also manages operators), operator (changes fleet data) or auditor (reads "
         "only)"), N_("ROLE") },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin,
      N_("Read the password as one line from standard input (for scripts)"), NULL },
    { NULL }
  };
  g_autofree char *password = NULL;
  g_autofree char *hash = NULL;

  if (!ff_cli_parse (cli, NULL, _("Register an operator of the web console (the password is read "
                                  "from the terminal, or from standard input with "
                                  "--password-stdin)"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 1 || name == NULL || role == NULL)
    return ff_cli_usage_error (error, _("Give --name and --role"));
  g_strstrip (name);
  if (!ff_operator_check_name (name, error))
    return FALSE;
  if (!ff_operator_role_is_valid (role))
    return ff_cli_usage_error (error, _("The role must be admin, operator or auditor"));
  /* A script that forgot the flag would otherwise hand its own input over as the password. */
  if (!password_stdin && !isatty (STDIN_FILENO))
    return ff_cli_usage_error (error, _("Standard input is not a terminal: give --password-stdin "
                                        "to read the password from it"));
  if (ff_cli_open_db (cli, error) == NULL)
    return FALSE;
  password = ff_cli_read_secret (_("Password: "));
  if (!ff_operator_check_password (password, error))
    return FALSE;
  hash = ff_pin_hash (password, error);
  memset (password, 0, strlen (password));
  if (hash == NULL
      || !ff_platform_db_insert_operator (cli->db, name, role, hash, ff_platform_now (), error))
    return FALSE;
  g_print (_("Registered operator %s (%s)\n"), name, role);
  return TRUE;
}

static void
print_operator_line (gconstpointer row)
{
  const FfOperator *op = row;
  g_autofree char *added = ff_cli_format_time (op->added_at);

  g_print ("%s\t%s\t%s\t%s\n", op->name, op->role, added,
           op->disabled_at != 0 ? _("disabled") : _("enabled"));
}

static gboolean
operators_list (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) list = NULL;

  if (!ff_cli_parse (cli, NULL, _("List the console's operators"), entries, &argc, &argv, error)
      || ff_cli_open_db (cli, error) == NULL
      || (list = ff_platform_db_list_operators (cli->db, error)) == NULL)
    return FALSE;
  ff_cli_print_rows (list, json, print_operator_line, ff_json_add_operator);
  return TRUE;
}

static gboolean
operators_disable (FfCli   *cli,
                   int      argc,
                   char   **argv,
                   GError **error)
{
  gboolean disabled = FALSE;

  if (!ff_cli_parse (cli, "NAME", _("Disable an operator: their sessions end and they can no "
                                    "longer log in"), NULL, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name the operator to disable"));
  if (ff_cli_open_db (cli, error) == NULL
      || !ff_platform_db_disable_operator (cli->db, argv[1], ff_platform_now (), &disabled,
                                           error))
    return FALSE;
  if (!disabled)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                   _("There is no enabled operator %s"), argv[1]);
      return FALSE;
    }
  g_print (_("Disabled operator %s\n"), argv[1]);
  return TRUE;
}

gboolean
ff_cli_operators (FfCli   *cli,
                  int      argc,
                  char   **argv,
                  GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "add"))
    return operators_add (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "list"))
    return operators_list (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "disable"))
    return operators_disable (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "operators",
                                  "add --name NAME --role admin|operator|auditor | list | "
                                  "disable NAME");
}
