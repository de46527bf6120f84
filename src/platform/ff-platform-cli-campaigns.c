/* Operator verbs for campaigns: create a draft, start, pause, resume or cancel it, list them and
 * show one wave by wave and terminal by terminal. */
#include "config.h"

#include "ff-platform-cli.h"

#include "ff-document.h"
#include "ff-platform-campaigns.h"
#include "ff-platform-clock.h"
#include "ff-platform-tasks.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>

/* "1%,10%,50%,100%" (the signs optional): cumulative, rising, ending at 100. */
static gboolean
parse_waves (const char *text,
             guint      *percents,
             guint      *n_waves)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  guint n = g_strv_length (parts);

  if (n == 0 || n > FF_CAMPAIGN_MAX_WAVES)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      guint64 value;

      g_strstrip (parts[i]);
      if (g_str_has_suffix (parts[i], "%"))
        parts[i][strlen (parts[i]) - 1] = '\0';
      if (!g_ascii_string_to_unsigned (parts[i], 10, 1, 100, &value, NULL)
          || (i > 0 && value <= percents[i - 1]))
        return FALSE;
      percents[i] = (guint) value;
    }
  *n_waves = n;
  return percents[n - 1] == 100;
}

/* "5%" (of the terminals that finished) or "5" (terminals). */
static gboolean
parse_max_failures (const char *text,
                    gint64     *value,
                    gboolean   *percent)
{
  g_autofree char *number = g_strdup (text);
  guint64 parsed;

  *percent = g_str_has_suffix (number, "%");
  if (*percent)
    number[strlen (number) - 1] = '\0';
  if (!g_ascii_string_to_unsigned (number, 10, 1, *percent ? 100 : G_MAXINT32, &parsed, NULL))
    return FALSE;
  *value = (gint64) parsed;
  return TRUE;
}

static gboolean
parse_clock (const char *text,
             int        *minutes)
{
  guint64 hours, mins;
  g_auto(GStrv) parts = g_strsplit (text, ":", -1);

  if (g_strv_length (parts) != 2 || strlen (parts[0]) != 2 || strlen (parts[1]) != 2
      || !g_ascii_string_to_unsigned (parts[0], 10, 0, 23, &hours, NULL)
      || !g_ascii_string_to_unsigned (parts[1], 10, 0, 59, &mins, NULL))
    return FALSE;
  *minutes = (int) (hours * 60 + mins);
  return TRUE;
}

/* "01:00-05:00" (UTC; it may run past midnight, "22:00-04:00"). */
static gboolean
parse_window (const char *text,
              int        *start,
              int        *end)
{
  g_auto(GStrv) parts = g_strsplit (text, "-", -1);

  return g_strv_length (parts) == 2 && parse_clock (parts[0], start)
         && parse_clock (parts[1], end) && *start != *end;
}

static gboolean
campaigns_create (FfCli   *cli,
                  int      argc,
                  char   **argv,
                  GError **error)
{
  g_autofree char *version = NULL, *terminals = NULL, *running = NULL, *below = NULL;
  g_autofree char *vendor = NULL, *model = NULL, *waves = NULL, *max_failures = NULL;
  g_autofree char *window = NULL, *name = NULL, *offline_after = NULL;
  GOptionEntry entries[] = {
    { "firmware", 0, 0, G_OPTION_ARG_STRING, &version, N_("The firmware version to install"),
      N_("VERSION") },
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
  g_autofree char *campaign_id = NULL;
  guint percents[FF_CAMPAIGN_MAX_WAVES];
  FfCampaignRequest request = { .window_start = -1, .window_end = -1,
                                .offline_after = FF_CAMPAIGN_DEFAULT_OFFLINE_AFTER };

  if (!ff_cli_parse (cli, NULL, _("Create a campaign (a draft: nothing is sent before “campaigns "
                                  "start”)"), entries, &argc, &argv, error))
    return FALSE;
  if (argc != 1 || version == NULL || waves == NULL || max_failures == NULL
      || (terminals == NULL) == (running == NULL && below == NULL))
    return ff_cli_usage_error (error, _("Give --firmware VERSION, --waves, --max-failures and "
                                        "either --terminals or --running-version/--below"));
  if (!ff_version_is_valid (version) || (running != NULL && !ff_version_is_valid (running))
      || (below != NULL && !ff_version_is_valid (below)))
    return ff_cli_usage_error (error, _("The version must look like V2.01"));
  if (!parse_waves (waves, percents, &request.n_waves))
    return ff_cli_usage_error (error, _("The waves must be rising percentages ending at 100%, "
                                        "such as 1%,10%,50%,100% (at most 20)"));
  if (!parse_max_failures (max_failures, &request.max_failures,
                           &request.max_failures_percent))
    return ff_cli_usage_error (error, _("The failure threshold must be a number of terminals "
                                        "(5) or a percentage from 1% to 100% (5%)"));
  if (window != NULL && !parse_window (window, &request.window_start, &request.window_end))
    return ff_cli_usage_error (error, _("The window must look like 01:00-05:00 (UTC)"));
  if (offline_after != NULL && !ff_cli_parse_duration (offline_after, &request.offline_after))
    return ff_cli_usage_error (error, _("The duration must be a number of seconds, or end in s, "
                                        "m, h or d (12h)"));
  if (name != NULL && !ff_cli_check_name (name, error))
    return FALSE;
  if (terminals != NULL)
    device_ids = g_strsplit (terminals, ",", -1);
  request.device_ids = (const char *const *) device_ids;
  request.running_version = running;
  request.below = below;
  request.vendor = vendor;
  request.model = model;
  request.firmware_version = version;
  request.wave_percents = percents;
  request.name = name;
  request.now = ff_platform_now ();
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
                              ff_campaign_terminal_state_to_string (s), counts[s]);
  return g_string_free (text, FALSE);
}

static void
print_campaign_line (gconstpointer row)
{
  const FfCampaign *c = row;
  g_autofree char *created = ff_cli_format_time (c->created_at);
  g_autofree char *counts = describe_counts (c->counts);

  g_print ("%s\t%s\t%s\t%s\t%s %" G_GINT64_FORMAT "/%u\t%s\t%s\n", c->campaign_id, created,
           c->state, c->firmware_version, _("wave"), c->current_wave, c->n_waves, counts,
           c->name != NULL ? c->name : "-");
}

static void
add_counts (JsonBuilder  *builder,
            const gint64 *counts)
{
  json_builder_set_member_name (builder, "terminals");
  json_builder_begin_object (builder);
  for (int s = 0; s < FF_CAMPAIGN_TERMINAL_N_STATES; s++)
    ff_builder_add_int (builder, ff_campaign_terminal_state_to_string (s), counts[s]);
  json_builder_end_object (builder);
}

static void
add_campaign_members (JsonBuilder   *builder,
                      gconstpointer  row)
{
  const FfCampaign *c = row;

  ff_builder_add_string (builder, "campaign_id", c->campaign_id);
  ff_builder_add_string (builder, "name", c->name);
  ff_builder_add_string (builder, "firmware_version", c->firmware_version);
  ff_builder_add_string (builder, "state", c->state);
  ff_builder_add_string (builder, "halt_reason", c->halt_reason);
  ff_builder_add_int (builder, "current_wave", c->current_wave);
  ff_builder_add_int (builder, "waves", c->n_waves);
  ff_builder_add_int (builder, "max_failures", c->max_failures);
  ff_builder_add_boolean (builder, "max_failures_percent", c->max_failures_percent);
  ff_builder_add_timestamp (builder, "created_at", c->created_at);
  if (c->started_at != 0)
    ff_builder_add_timestamp (builder, "started_at", c->started_at);
  if (c->finished_at != 0)
    ff_builder_add_timestamp (builder, "finished_at", c->finished_at);
  add_counts (builder, c->counts);
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
  ff_cli_print_rows (campaigns, json, print_campaign_line, add_campaign_members);
  return TRUE;
}

static void
count_terminal (gint64                   *counts,
                const FfCampaignTerminal *t)
{
  int state = ff_campaign_terminal_state_from_string (t->state);

  if (state >= 0)
    counts[state]++;
}

static void
show_json (const FfCampaign *campaign,
           GPtrArray        *terminals)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_campaign_members (builder, campaign);
  json_builder_set_member_name (builder, "wave_list");
  json_builder_begin_array (builder);
  for (guint w = 1, i = 0; w <= campaign->n_waves; w++)
    {
      gint64 counts[FF_CAMPAIGN_TERMINAL_N_STATES] = { 0 };

      json_builder_begin_object (builder);
      ff_builder_add_int (builder, "wave", w);
      json_builder_set_member_name (builder, "terminal_list");
      json_builder_begin_array (builder);
      for (; i < terminals->len; i++)
        {
          const FfCampaignTerminal *t = g_ptr_array_index (terminals, i);

          if (t->wave != w)
            break;
          count_terminal (counts, t);
          json_builder_begin_object (builder);
          ff_builder_add_string (builder, "device_id", t->device_id);
          ff_builder_add_int (builder, "position", t->position);
          ff_builder_add_string (builder, "link", t->link);
          ff_builder_add_string (builder, "state", t->state);
          ff_builder_add_string (builder, "command_id", t->command_id);
          ff_builder_add_string (builder, "task_id", t->task_id);
          ff_builder_add_string (builder, "step", t->step);
          ff_builder_add_string (builder, "reason", t->reason);
          ff_builder_add_timestamp (builder, "updated_at", t->updated_at);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      add_counts (builder, counts);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  ff_cli_print_json (builder);
}

static void
show_text (const FfCampaign *campaign,
           GPtrArray        *terminals)
{
  g_autofree char *counts = describe_counts (campaign->counts);

  g_print (_("Campaign %s%s%s: firmware %s, %s, wave %u of %u\n"),
           campaign->campaign_id, campaign->name != NULL ? " " : "",
           campaign->name != NULL ? campaign->name : "", campaign->firmware_version,
           campaign->state, (guint) campaign->current_wave, campaign->n_waves);
  if (campaign->halt_reason != NULL)
    g_print (_("Halted: %s\n"), campaign->halt_reason);
  g_print (_("Terminals: %s\n"), counts);
  for (guint w = 1, i = 0; w <= campaign->n_waves; w++)
    {
      gint64 wave_counts[FF_CAMPAIGN_TERMINAL_N_STATES] = { 0 };
      g_autofree char *wave_text = NULL;
      guint first = i;

      for (; i < terminals->len
             && ((const FfCampaignTerminal *) g_ptr_array_index (terminals, i))->wave == w; i++)
        count_terminal (wave_counts, g_ptr_array_index (terminals, i));
      wave_text = describe_counts (wave_counts);
      g_print (_("Wave %u: %s\n"), w, wave_text);
      for (guint j = first; j < i; j++)
        {
          const FfCampaignTerminal *t = g_ptr_array_index (terminals, j);

          g_print ("  %s\t%s\t%s\t%s\t%s\t%s\n", t->device_id, t->link, t->state,
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
