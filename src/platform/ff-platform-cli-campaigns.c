/* Operator verbs for campaigns: create a draft, start, pause, resume or cancel it, list them and
 * show one wave by wave and terminal by terminal. */
#include "config.h"

#include "ff-platform-cli.h"

#include "ff-platform-campaign-options.h"
#include "ff-platform-clock.h"
#include "ff-platform-tasks.h"
#include "ff-platform-upgrade-checks.h"

#include <glib/gi18n-lib.h>

static gboolean
campaigns_create (FfCli   *cli,
                  int      argc,
                  char   **argv,
                  GError **error)
{
  g_autofree char *version = NULL, *terminals = NULL, *running = NULL, *below = NULL;
  g_autofree char *vendor = NULL, *model = NULL, *waves = NULL, *max_failures = NULL;
  g_autofree char *window = NULL, *name = NULL, *offline_after = NULL;
  g_autofree char *meter_app = NULL, *app_version = NULL;
  GOptionEntry entries[] = {
    { "firmware", 0, 0, G_OPTION_ARG_STRING, &version, N_("The firmware version to install"),
      N_("VERSION") },
    { "meter-app", 0, 0, G_OPTION_ARG_STRING, &meter_app,
      N_("Upgrade this app of the meters that run it below --version (instead of terminals)"),
      N_("APP") },
    { "version", 0, 0, G_OPTION_ARG_STRING, &app_version,
      N_("The meter app's version to install (with --meter-app)"), N_("VERSION") },
    { "terminals", 0, 0, G_OPTION_ARG_STRING, &terminals,
      N_("The terminals, separated by commas"), N_("ID,…") },
    { "running-version", 0, 0, G_OPTION_ARG_STRING, &running,
      N_("Select the terminals that run this version"), N_("VERSION") },
    { "below", 0, 0, G_OPTION_ARG_STRING, &below,
      N_("Select the terminals that run a version lower than this"), N_("VERSION") },
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Only terminals of this vendor"),
      N_("VENDOR") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Only terminals of this model"),
      N_("MODEL") },
    { "waves", 0, 0, G_OPTION_ARG_STRING, &waves,
      N_("The share of the terminals upgraded by the end of each wave"), N_("1%,10%,50%,100%") },
    { "max-failures", 0, 0, G_OPTION_ARG_STRING, &max_failures,
      N_("Halt when this many terminals failed, or this share of those that finished"),
      N_("N|P%") },
    { "window", 0, 0, G_OPTION_ARG_STRING, &window,
      N_("Start waves only in this daily maintenance window (UTC)"), N_("HH:MM-HH:MM") },
    { "offline-after", 0, 0, G_OPTION_ARG_STRING, &offline_after,
      N_("A terminal without a result this long after its wave started counts as offline "
         "(default 24h)"), N_("DURATION") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("A name for the campaign"), N_("TEXT") },
    { NULL }
  };
  g_auto(GStrv) device_ids = NULL;
  g_autoptr(GPtrArray) excluded = NULL;
  g_autoptr(GError) invalid = NULL;
  g_autofree char *campaign_id = NULL;
  guint percents[FF_CAMPAIGN_MAX_WAVES];
  FfCampaignRequest request;
  FfCampaignOptions options = { 0 };

  if (!ff_cli_parse (cli, NULL, _("Create a campaign (a draft: nothing is sent before “campaigns "
                                  "start”)"), entries, &argc, &argv, error))
    return FALSE;
  if (argc != 1)
    return ff_cli_usage_error (error, _("Give --firmware VERSION, --waves, --max-failures and "
                                        "either --terminals or --running-version/--below"));
  if ((meter_app != NULL) != (app_version != NULL) || (meter_app != NULL && version != NULL))
    return ff_cli_usage_error (error, _("Give --meter-app with --version (for meters), or "
                                        "--firmware (for terminals)"));
  if (offline_after != NULL && !ff_cli_parse_duration (offline_after, &options.offline_after))
    return ff_cli_usage_error (error, _("The duration must be a number of seconds, or end in s, "
                                        "m, h or d (12h)"));
  if (terminals != NULL)
    device_ids = ff_platform_split_list (terminals);
  options.firmware_version = meter_app != NULL ? app_version : version;
  options.meter_app = meter_app;
  options.device_ids = (const char *const *) device_ids;
  options.running_version = running;
  options.below = below;
  options.vendor = vendor;
  options.model = model;
  options.waves = waves;
  options.max_failures = max_failures;
  options.window = window;
  options.name = name;
  if (!ff_campaign_options_to_request (&options, ff_platform_now (), percents, &request,
                                       &invalid))
    return ff_cli_usage_error (error, invalid->message);
  if (ff_cli_open_db (cli, error) == NULL)
    return FALSE;
  campaign_id = ff_platform_create_campaign (cli->db, &request, &excluded, error);
  if (campaign_id == NULL)
    return FALSE;
  for (guint i = 0; i < excluded->len; i++)
    {
      const FfCampaignExclusion *exclusion = g_ptr_array_index (excluded, i);

      g_print (_("Left out %s: %s\n"), exclusion->device_id, exclusion->reason);
    }
  g_print (_("Created campaign %s (a draft); start it with “fieldflash-platform campaigns start "
             "%s”\n"), campaign_id, campaign_id);
  return TRUE;
}

static gboolean
campaigns_act (FfCli            *cli,
               int               argc,
               char            **argv,
               FfCampaignAction  action,
               const char       *summary,
               const char       *done,
               GError          **error)
{
  if (!ff_cli_parse (cli, "ID", summary, NULL, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name one campaign"));
  if (ff_cli_open_db (cli, error) == NULL
      || !ff_platform_campaign_act (cli->db, argv[1], action, ff_platform_now (), error))
    return FALSE;
  ff_platform_campaigns_signal (cli->data_dir);
  g_print (done, argv[1]);
  g_print ("\n");
  return TRUE;
}

/* "succeeded 3, failed 1, pending 6" for the states that have terminals. */
static char *
describe_counts (const gint64 *counts)
{
  GString *text = g_string_new (NULL);

  for (int s = 0; s < FF_CAMPAIGN_TERMINAL_N_STATES; s++)
    if (counts[s] > 0)
      g_string_append_printf (text, "%s%s %" G_GINT64_FORMAT, text->len > 0 ? ", " : "",
                              ff_campaign_state_display (ff_campaign_terminal_state_to_string (s)),
                              counts[s]);
  return g_string_free (text, FALSE);
}

static void
print_campaign_line (gconstpointer row)
{
  const FfCampaign *c = row;
  g_autofree char *created = ff_cli_format_time (c->created_at);
  g_autofree char *counts = describe_counts (c->counts);

  g_print ("%s\t%s\t%s\t%s\t%s %" G_GINT64_FORMAT "/%u\t%s\t%s\n", c->campaign_id, created,
           ff_campaign_state_display (c->state), c->firmware_version, _("wave"), c->current_wave,
           c->n_waves, counts, c->name != NULL ? c->name : "-");
}

static gboolean
campaigns_list (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) campaigns = NULL;

  if (!ff_cli_parse (cli, NULL, _("List the campaigns, newest first"), entries, &argc, &argv,
                     error))
    return FALSE;
  if (argc != 1)
    return ff_cli_usage_error (error, _("campaigns list takes no arguments"));
  if (ff_cli_open_db (cli, error) == NULL
      || (campaigns = ff_platform_db_list_campaigns (cli->db, FALSE, error)) == NULL)
    return FALSE;
  ff_cli_print_rows (campaigns, json, print_campaign_line, ff_campaign_add_members);
  return TRUE;
}

static void
show_json (const FfCampaign *campaign,
           GPtrArray        *terminals)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  ff_campaign_add_members (builder, campaign);
  ff_campaign_add_waves (builder, campaign, terminals, ff_platform_now ());
  json_builder_end_object (builder);
  ff_cli_print_json (builder);
}

static void
show_text (const FfCampaign *campaign,
           GPtrArray        *terminals)
{
  g_autofree char *counts = describe_counts (campaign->counts);
  g_autofree char *window = ff_campaign_window_text (campaign);
  gint64 not_before = ff_campaign_next_wave_not_before (campaign, ff_platform_now ());
  g_autofree char *not_before_text = not_before != 0 ? ff_cli_format_time (not_before) : NULL;

  if (campaign->meter_app != NULL)
    g_print (_("Campaign %s%s%s: meter app %s %s, %s, wave %u of %u\n"),
             campaign->campaign_id, campaign->name != NULL ? " " : "",
             campaign->name != NULL ? campaign->name : "", campaign->meter_app,
             campaign->firmware_version, ff_campaign_state_display (campaign->state),
             (guint) campaign->current_wave,
             campaign->n_waves);
  else
    g_print (_("Campaign %s%s%s: firmware %s, %s, wave %u of %u\n"),
             campaign->campaign_id, campaign->name != NULL ? " " : "",
             campaign->name != NULL ? campaign->name : "", campaign->firmware_version,
             ff_campaign_state_display (campaign->state), (guint) campaign->current_wave,
             campaign->n_waves);
  if (not_before_text != NULL)
    /* Translators: the maintenance window (01:00-05:00), then a time (2026-12-08 01:00:00Z). */
    g_print (_("Window: %s UTC, closed now: the next wave starts no earlier than %s\n"), window,
             not_before_text);
  else if (window != NULL)
    g_print (_("Window: %s UTC\n"), window);
  if (campaign->halt_reason != NULL)
    g_print (_("Halted: %s\n"), campaign->halt_reason);
  g_print (campaign->meter_app != NULL ? _("Meters: %s\n") : _("Terminals: %s\n"), counts);
  for (guint w = 1, i = 0; w <= campaign->n_waves; w++)
    {
      gint64 wave_counts[FF_CAMPAIGN_TERMINAL_N_STATES] = { 0 };
      g_autofree char *wave_text = NULL;
      guint first = i;

      for (; i < terminals->len
             && ((const FfCampaignTerminal *) g_ptr_array_index (terminals, i))->wave == w; i++)
        ff_campaign_count_terminal (wave_counts, g_ptr_array_index (terminals, i));
      wave_text = describe_counts (wave_counts);
      g_print (_("Wave %u: %s\n"), w, wave_text);
      for (guint j = first; j < i; j++)
        {
          const FfCampaignTerminal *t = g_ptr_array_index (terminals, j);

          g_print ("  %s\t%s\t%s\t%s\t%s\t%s\n", t->device_id, t->link,
                   ff_campaign_state_display (t->state),
                   t->step != NULL ? t->step : "-", t->reason != NULL ? t->reason : "-",
                   t->command_id != NULL ? t->command_id
                                         : t->task_id != NULL ? t->task_id : "-");
        }
    }
}

static gboolean
campaigns_show (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(FfCampaign) campaign = NULL;
  g_autoptr(GPtrArray) terminals = NULL;

  if (!ff_cli_parse (cli, "ID", _("Show a campaign wave by wave and terminal by terminal"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name one campaign"));
  if (ff_cli_open_db (cli, error) == NULL
      || (campaign = ff_platform_db_require_campaign (cli->db, argv[1], error)) == NULL
      || (terminals = ff_platform_db_list_campaign_terminals (cli->db, argv[1], 0,
                                                              error)) == NULL)
    return FALSE;
  if (json)
    show_json (campaign, terminals);
  else
    show_text (campaign, terminals);
  return TRUE;
}

static gboolean
campaigns_tasks (FfCli   *cli,
                 int      argc,
                 char   **argv,
                 GError **error)
{
  g_autofree char *phone = NULL;
  g_auto(GStrv) handhelds = NULL;
  GOptionEntry entries[] = {
    { "technician", 0, 0, G_OPTION_ARG_STRING, &phone, N_("The technician's mobile number"),
      N_("PHONE") },
    { "handheld", 0, 0, G_OPTION_ARG_STRING_ARRAY, &handhelds,
      N_("A tablet to check out to the task (repeat for several)"), N_("SERIAL") },
    { NULL }
  };
  g_autoptr(FfKey) key = NULL;
  g_autofree char *task_id = NULL;
  g_autofree char *export_dir = NULL;
  guint n_terminals = 0;

  if (!ff_cli_parse (cli, "ID", _("Create the task for a campaign's tablet-only terminals"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2 || phone == NULL || handhelds == NULL)
    return ff_cli_usage_error (error, _("Name one campaign, --technician and --handheld"));
  if (ff_cli_open_db (cli, error) == NULL || (key = ff_cli_load_key (cli, error)) == NULL)
    return FALSE;
  task_id = ff_platform_campaign_create_tasks (cli->db, key, argv[1], phone,
                                               (const char *const *) handhelds,
                                               ff_platform_now (), &n_terminals, error);
  if (task_id == NULL)
    return FALSE;
  export_dir = ff_cli_path (cli, "tasks");
  if (!ff_platform_export_task (cli->db, task_id, export_dir, error))
    return FALSE;
  g_print (_("Created task %s for %u terminals of campaign %s (%s/%s.json)\n"), task_id,
           n_terminals, argv[1], export_dir, task_id);
  return TRUE;
}

gboolean
ff_cli_campaigns (FfCli   *cli,
                  int      argc,
                  char   **argv,
                  GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "create"))
    return campaigns_create (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "start"))
    return campaigns_act (cli, argc - 1, argv + 1, FF_CAMPAIGN_START, _("Start a campaign"),
                          _("Campaign %s is running"), error);
  if (ff_cli_sub_verb_is (argc, argv, "pause"))
    return campaigns_act (cli, argc - 1, argv + 1, FF_CAMPAIGN_PAUSE,
                          _("Pause a campaign: nothing more is sent"),
                          _("Campaign %s is paused"), error);
  if (ff_cli_sub_verb_is (argc, argv, "resume"))
    return campaigns_act (cli, argc - 1, argv + 1, FF_CAMPAIGN_RESUME,
                          _("Resume a paused or halted campaign"),
                          _("Campaign %s is running"), error);
  if (ff_cli_sub_verb_is (argc, argv, "cancel"))
    return campaigns_act (cli, argc - 1, argv + 1, FF_CAMPAIGN_CANCEL,
                          _("Cancel a campaign: nothing more is sent"),
                          _("Campaign %s is cancelled"), error);
  if (ff_cli_sub_verb_is (argc, argv, "list"))
    return campaigns_list (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "show"))
    return campaigns_show (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "tasks"))
    return campaigns_tasks (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "campaigns",
                                  "create | start | pause | resume | cancel | list | show | tasks");
}
