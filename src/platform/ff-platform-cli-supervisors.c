/* Operator verbs for the supervisors who may override an identity mismatch on the tablets: add,
 * list, disable. */
#include "config.h"

#include "ff-platform-cli.h"

#include "ff-document.h"
#include "ff-platform-clock.h"
#include "ff-platform-json.h"
#include "ff-supervisor.h"

#include <glib/gi18n-lib.h>

static gboolean
supervisors_add (FfCli   *cli,
                 int      argc,
                 char   **argv,
                 GError **error)
{
  g_autofree char *name = NULL;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Name"), N_("NAME") },
    { NULL }
  };
  g_autofree char *pin = NULL;
  g_autofree char *hash = NULL;

  if (!ff_cli_parse (cli, NULL, _("Register a supervisor who may override on the tablets (the PIN "
                                  "is read from the terminal or standard input)"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 1 || name == NULL)
    return ff_cli_usage_error (error, _("Give --name"));
  g_strstrip (name);
  if (!ff_cli_check_name (name, error))
    return FALSE;
  if (ff_cli_open_db (cli, error) == NULL)
    return FALSE;
  pin = ff_cli_read_pin ();
  if (!ff_supervisor_pin_is_valid (pin))
    {
      g_autofree char *message =
        g_strdup_printf (_("A supervisor's PIN must have %d to %d digits"),
                         FF_SUPERVISOR_PIN_MIN_DIGITS, FF_SUPERVISOR_PIN_MAX_DIGITS);
      return ff_cli_usage_error (error, message);
    }
  hash = ff_pin_hash (pin, error);
  memset (pin, 0, strlen (pin));
  if (hash == NULL
      || !ff_platform_db_insert_supervisor (cli->db, name, hash, ff_platform_now (), error))
    return FALSE;
  g_print (_("Registered supervisor %s; tasks created from now on carry them\n"), name);
  return TRUE;
}

static void
print_supervisor_line (gconstpointer row)
{
  const FfSupervisorRecord *supervisor = row;
  g_autofree char *added = ff_cli_format_time (supervisor->added_at);

  g_print ("%s\t%s\t%s\n", supervisor->name, added,
           supervisor->disabled_at != 0 ? _("disabled") : _("enabled"));
}

static gboolean
supervisors_list (FfCli   *cli,
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

  if (!ff_cli_parse (cli, NULL, _("List the supervisors"), entries, &argc, &argv, error)
      || ff_cli_open_db (cli, error) == NULL
      || (list = ff_platform_db_list_supervisors (cli->db, FALSE, error)) == NULL)
    return FALSE;
  ff_cli_print_rows (list, json, print_supervisor_line, ff_json_add_supervisor);
  return TRUE;
}

static gboolean
supervisors_disable (FfCli   *cli,
                     int      argc,
                     char   **argv,
                     GError **error)
{
  gboolean disabled = FALSE;

  if (!ff_cli_parse (cli, "NAME", _("Disable a supervisor: tasks created from now on leave them "
                                    "out"), NULL, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name the supervisor to disable"));
  if (ff_cli_open_db (cli, error) == NULL
      || !ff_platform_db_disable_supervisor (cli->db, argv[1], ff_platform_now (), &disabled,
                                             error))
    return FALSE;
  if (!disabled)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                   _("There is no enabled supervisor %s"), argv[1]);
      return FALSE;
    }
  g_print (_("Disabled supervisor %s\n"), argv[1]);
  return TRUE;
}

gboolean
ff_cli_supervisors (FfCli   *cli,
                    int      argc,
                    char   **argv,
                    GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "add"))
    return supervisors_add (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "list"))
    return supervisors_list (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "disable"))
    return supervisors_disable (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "supervisors", "add --name NAME | list | disable NAME");
}
