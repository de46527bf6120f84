/* Operator verbs for the work: tasks, reports and a terminal's version history. */
#include "config.h"

#include "ff-platform-cli.h"

#include "ff-document.h"
#include "ff-platform-campaigns.h"
#include "ff-platform-clock.h"
#include "ff-platform-json.h"
#include "ff-platform-meter-results.h"
#include "ff-report-pdf.h"
#include "ff-platform-tasks.h"
#include "ff-platform-upgrade-checks.h"

#include <glib/gi18n-lib.h>

static gboolean
tasks_create (FfCli   *cli,
              int      argc,
              char   **argv,
              GError **error)
{
  g_autofree char *phone = NULL, *terminals = NULL, *running = NULL, *firmware = NULL;
  g_autofree char *vendor = NULL, *model = NULL, *rollback = NULL;
  g_auto(GStrv) handhelds = NULL;
  int valid_days = FF_TASK_DEFAULT_VALID_DAYS;
  GOptionEntry entries[] = {
    { "technician", 0, 0, G_OPTION_ARG_STRING, &phone, N_("The technician's mobile number"),
      N_("PHONE") },
    { "handheld", 0, 0, G_OPTION_ARG_STRING_ARRAY, &handhelds,
      N_("A tablet to check out to the task (repeat for several)"), N_("SERIAL") },
    { "terminals", 0, 0, G_OPTION_ARG_STRING, &terminals, N_("The terminals, by device ID"),
      N_("ID,…") },
    { "running-version", 0, 0, G_OPTION_ARG_STRING, &running,
      N_("Every terminal running this version instead"), N_("VERSION") },
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Only terminals of this vendor"),
      N_("VENDOR") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Only terminals of this model"),
      N_("MODEL") },
    { "firmware", 0, 0, G_OPTION_ARG_STRING, &firmware, N_("The target firmware version"),
      N_("VERSION") },
    { "rollback", 0, 0, G_OPTION_ARG_STRING, &rollback,
      N_("Make a downgrade task, for this reason"), N_("REASON") },
    { "valid-days", 0, 0, G_OPTION_ARG_INT, &valid_days,
      N_("Days until the task expires (default 7)"), N_("DAYS") },
    { NULL }
  };
  g_auto(GStrv) device_ids = NULL;
  g_autoptr(FfKey) key = NULL;
  g_autofree char *task_id = NULL;
  g_autofree char *export_dir = NULL;
  FfTaskRequest request = { 0 };

  if (!ff_cli_parse (cli, NULL, _("Create, sign and dispatch a task"), entries, &argc, &argv,
                     error))
    return FALSE;
  if (argc != 1 || phone == NULL || handhelds == NULL || firmware == NULL
      || (terminals == NULL) == (running == NULL))
    return ff_cli_usage_error (error, _("Give --technician, --handheld, --firmware and either "
                                        "--terminals or --running-version"));
  if (valid_days < 1 || valid_days > 366)
    return ff_cli_usage_error (error, _("--valid-days must be from 1 to 366"));
  if (rollback != NULL && *rollback == '\0')
    return ff_cli_usage_error (error, _("--rollback needs a reason"));
  if (terminals != NULL)
    device_ids = ff_platform_split_list (terminals);
  if (ff_cli_open_db (cli, error) == NULL || (key = ff_cli_load_key (cli, error)) == NULL)
    return FALSE;
  request.technician_phone = phone;
  request.handhelds = (const char *const *) handhelds;
  request.device_ids = (const char *const *) device_ids;
  request.running_version = running;
  request.vendor = vendor;
  request.model = model;
  request.firmware_version = firmware;
  request.rollback_reason = rollback;
  request.valid_days = (guint) valid_days;
  request.now = ff_platform_now ();
  task_id = ff_platform_create_task (cli->db, key, &request, error);
  if (task_id == NULL)
    return FALSE;
  export_dir = ff_cli_path (cli, "tasks");
  if (!ff_platform_export_task (cli->db, task_id, export_dir, error))
    return FALSE;
  g_print (_("Created task %s (%s/%s.json, signature %s.sig)\n"), task_id, export_dir, task_id,
           task_id);
  if (rollback != NULL)
    g_print (_("This is a rollback task: it downgrades the terminals (%s)\n"), rollback);
  return TRUE;
}

static void
print_task_line (gconstpointer row)
{
  const FfTaskRecord *task = row;
  g_autofree char *issued = ff_cli_format_time (task->issued_at);

  g_print ("%s\t%s\t%s\t%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "%s\n", task->task_id, issued,
           ff_task_state_display (task->state), task->items_closed, task->items,
           task->rollback_reason ? _("\trollback") : "");
}

static gboolean
tasks_list (FfCli   *cli,
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

  if (!ff_cli_parse (cli, NULL, _("List the tasks"), entries, &argc, &argv, error)
      || ff_cli_open_db (cli, error) == NULL
      || (list = ff_platform_db_list_tasks (cli->db, NULL, NULL, error)) == NULL)
    return FALSE;
  ff_cli_print_rows (list, json, print_task_line, ff_json_add_task);
  return TRUE;
}

static gboolean
tasks_cancel (FfCli   *cli,
              int      argc,
              char   **argv,
              GError **error)
{
  if (!ff_cli_parse (cli, "ID", _("Cancel an open task: its terminals not visited yet are "
                                  "withdrawn and its tablets go back to stock"),
                     NULL, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name one task"));
  if (ff_cli_open_db (cli, error) == NULL
      || !ff_platform_cancel_task (cli->db, argv[1], ff_platform_now (), error))
    return FALSE;
  /* Its campaign terminals are pending again: a running serve's engine looks at them anew. */
  ff_platform_campaigns_signal (cli->data_dir);
  g_print (_("Task %s is cancelled\n"), argv[1]);
  return TRUE;
}

gboolean
ff_cli_tasks (FfCli   *cli,
              int      argc,
              char   **argv,
              GError **error)
{
  if (argc >= 2 && g_str_equal (argv[1], "create"))
    return tasks_create (cli, argc - 1, argv + 1, error);
  if (argc >= 2 && g_str_equal (argv[1], "list"))
    return tasks_list (cli, argc - 1, argv + 1, error);
  if (argc >= 2 && g_str_equal (argv[1], "cancel"))
    return tasks_cancel (cli, argc - 1, argv + 1, error);
  return ff_cli_usage_error (error, _("Use “fieldflash-platform tasks create …”, “tasks list” or "
                                      "“tasks cancel ID”"));
}

void
ff_cli_print_report_line (gconstpointer row)
{
  const FfReportRecord *r = row;
  g_autofree char *received = ff_cli_format_time (r->received_at);

  /* A meter's result has no task and no tablet. */
  g_print ("%s\t%s\t%s\t%s\t%s\t%s\n", r->report_id, received,
           r->task_id != NULL ? r->task_id : "-", r->device_id,
           r->tablet_serial != NULL ? r->tablet_serial : "-", r->outcome);
}

/* reports pdf REPORT-ID -o FILE.pdf: the printout of a tablet's report or a meter's result. */
static gboolean
reports_pdf (FfCli   *cli,
             int      argc,
             char   **argv,
             GError **error)
{
  g_autofree char *output = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("The PDF file to write"),
      N_("FILE") },
    { NULL }
  };
  g_autoptr(FfReport) report = NULL;

  if (!ff_cli_parse (cli, "REPORT-ID", _("Print a report as PDF"), entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2 || output == NULL)
    return ff_cli_usage_error (error, _("Name one report ID and give -o FILE.pdf"));
  if (ff_cli_open_db (cli, error) == NULL
      || (report = ff_platform_get_any_report (cli->db, argv[1], error)) == NULL
      || !ff_report_render_pdf (report, output, error))
    return FALSE;
  g_print (_("Wrote %s\n"), output);
  return TRUE;
}

gboolean
ff_cli_reports (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  g_autofree char *task = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "task", 0, 0, G_OPTION_ARG_STRING, &task, N_("Only reports of this task"), N_("TASK") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) meter_results = NULL;

  if (argc >= 2 && g_str_equal (argv[1], "pdf"))
    return reports_pdf (cli, argc - 1, argv + 1, error);
  if (argc < 2 || !g_str_equal (argv[1], "list"))
    return ff_cli_usage_error (error, _("Use “fieldflash-platform reports list|pdf”"));
  argc--;
  argv++;
  if (!ff_cli_parse (cli, NULL, _("List the reports received"), entries, &argc, &argv, error)
      || ff_cli_open_db (cli, error) == NULL
      || (list = ff_platform_db_list_reports (cli->db, task, error)) == NULL)
    return FALSE;
  /* The meters' install results follow the tablets' reports (they belong to no task). */
  if (task == NULL)
    {
      if ((meter_results = ff_platform_db_list_meter_results (cli->db, error)) == NULL)
        return FALSE;
      for (guint i = 0; i < meter_results->len; i++)
        g_ptr_array_add (list, ff_meter_result_record (g_ptr_array_index (meter_results, i)));
    }
  ff_cli_print_rows (list, json, ff_cli_print_report_line, ff_json_add_report);
  return TRUE;
}

static void
print_history_line (gconstpointer row)
{
  const FfHistoryEntry *h = row;
  g_autofree char *when = ff_cli_format_time (h->changed_at);

  g_print ("%s\t%s → %s\t%s\t%s\n", when, h->from_version ? h->from_version : "-",
           h->to_version, h->source, h->report_id ? h->report_id : "");
}

gboolean
ff_cli_history (FfCli   *cli,
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
  g_autoptr(FfTerminal) terminal = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!ff_cli_parse (cli, "DEVICE-ID", _("Show every version change of a terminal or a meter"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name one device ID"));
  if (ff_cli_open_db (cli, error) == NULL)
    return FALSE;
  terminal = ff_platform_db_require_terminal (cli->db, argv[1], &local_error);
  /* Meters keep their history beside the terminals' (a row per app): the same verb shows it. */
  if (terminal == NULL
      && g_error_matches (local_error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND)
      && ff_cli_meter_exists (cli, argv[1]))
    return ff_cli_print_meter_history (cli, argv[1], json, error);
  if (terminal == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if ((list = ff_platform_db_list_history (cli->db, argv[1], error)) == NULL)
    return FALSE;
  ff_cli_print_rows (list, json, print_history_line, ff_json_add_history);
  return TRUE;
}
