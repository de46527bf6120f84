/* The console's campaign routes: list and show campaigns, create one from a selection, start,
 * pause, resume or cancel it. Each change runs the functions `campaigns create|start|…` run
 * (ff-platform-campaigns.c, with the options checked by ff-platform-campaign-options.c) inside
 * one transaction with its audit record, then tells the daemon's engine as the CLI does. */
#include "config.h"

#include "ff-console-private.h"

#include "ff-document.h"
#include "ff-platform-campaign-options.h"
#include "ff-platform-clock.h"

#include <glib/gi18n-lib.h>

/* The longest text of a wave list or a window a request may give. */
#define OPTION_MAX_LENGTH 256

static FfReply *
reply_gerror (FfConsoleCall *call,
              const GError  *error)
{
  return ff_reply_gerror (ff_reply_new (call->route), error);
}

static void
add_campaign (JsonBuilder      *builder,
              const FfCampaign *campaign)
{
  json_builder_set_member_name (builder, "campaign");
  json_builder_begin_object (builder);
  ff_campaign_add_members (builder, campaign);
  json_builder_end_object (builder);
}

FfReply *
ff_console_campaign_list (FfConsoleCall *call,
                          const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) campaigns = ff_platform_db_list_campaigns (call->console->db, FALSE,
                                                                  &error);
  g_autoptr(JsonBuilder) builder = NULL;

  if (campaigns == NULL)
    return reply_gerror (call, error);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_console_add_array (builder, "campaigns", campaigns, ff_campaign_add_members);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}

/* As `campaigns show --json` without the terminals: the campaign and its waves with their counts
 * (campaigns/ID/terminals gives a wave's terminals a page at a time). */
FfReply *
ff_console_campaign_show (FfConsoleCall *call,
                          const char    *campaign_id)
{
  FfPlatformDb *db = call->console->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfCampaign) campaign = NULL;
  g_autofree gint64 *wave_counts = NULL;
  g_autoptr(JsonBuilder) builder = NULL;

  if ((campaign = ff_platform_db_require_campaign (db, campaign_id, &error)) == NULL
      || (wave_counts = ff_platform_db_count_campaign_waves (db, campaign, &error)) == NULL)
    return reply_gerror (call, error);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_campaign_add_members (builder, campaign);
  ff_campaign_add_wave_counts (builder, campaign, wave_counts, ff_platform_now ());
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}

/* The wave (1 to the campaign's waves) and the position the page starts after (0 without one)
 * the query names. */
static gboolean
parse_wave_page (FfConsoleCall    *call,
                 const FfCampaign *campaign,
                 guint64          *wave,
                 guint64          *after,
                 GError          **error)
{
  const char *wave_text = ff_console_query (call, "wave");
  const char *after_text = ff_console_query (call, "after");
  guint n_waves = MAX (campaign->n_waves, 1);

  *after = 0;
  if (wave_text == NULL
      || !g_ascii_string_to_unsigned (wave_text, 10, 1, n_waves, wave, NULL))
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                 _("The wave must be a number from 1 to %u"), n_waves);
  else if (after_text != NULL
           && !g_ascii_string_to_unsigned (after_text, 10, 0, G_MAXINT64, after, NULL))
    g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                         _("The page must start after a terminal’s position in the campaign, "
                           "a number from 0"));
  else
    return TRUE;
  return FALSE;
}

/* One page of a wave's terminals in their order: at most limit after position after, the wave's
 * total and the position the next page starts after (null on the last). */
FfReply *
ff_console_campaign_terminals (FfConsoleCall *call,
                               const char    *campaign_id)
{
  FfPlatformDb *db = call->console->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfCampaign) campaign = NULL;
  g_autofree gint64 *wave_counts = NULL;
  g_autoptr(GPtrArray) terminals = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  const FfCampaignTerminal *last;
  guint64 wave, after;
  guint limit;
  gint64 total = 0;

  if ((campaign = ff_platform_db_require_campaign (db, campaign_id, &error)) == NULL
      || !parse_wave_page (call, campaign, &wave, &after, &error)
      || !ff_console_page_limit (call, &limit, &error)
      || (wave_counts = ff_platform_db_count_campaign_waves (db, campaign, &error)) == NULL
      /* One row more than the page tells whether there is a next page. */
      || (terminals = ff_platform_db_page_campaign_terminals (db, campaign_id, (gint64) wave,
                                                              (gint64) after, limit + 1,
                                                              &error)) == NULL)
    return reply_gerror (call, error);
  for (int s = 0; s < FF_CAMPAIGN_TERMINAL_N_STATES; s++)
    total += wave_counts[(wave - 1) * FF_CAMPAIGN_TERMINAL_N_STATES + s];
  last = ff_console_page_cut (terminals, limit);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_builder_add_int (builder, "wave", (gint64) wave);
  ff_builder_add_int (builder, "total", total);
  ff_console_add_array (builder, "terminals", terminals, ff_campaign_add_terminal_members);
  json_builder_set_member_name (builder, "next_after");
  if (last != NULL)
    json_builder_add_int_value (builder, last->position);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}

/* Creating one */

typedef struct
{
  FfConsoleCall           *call;
  const FfCampaignRequest *request;
  GPtrArray               *excluded;
  FfCampaign              *campaign;
} Creation;

static gboolean
create_in_transaction (FfPlatformDb *db,
                       gpointer      user_data,
                       GError      **error)
{
  Creation *creation = user_data;
  g_autofree char *campaign_id = NULL, *after = NULL;

  campaign_id = ff_platform_create_campaign (db, creation->request, &creation->excluded, error);
  if (campaign_id == NULL
      || (creation->campaign = ff_platform_db_require_campaign (db, campaign_id, error)) == NULL)
    return FALSE;
  after = ff_console_json_text (ff_campaign_add_members, creation->campaign);
  return ff_console_audit (creation->call, "campaign.create", campaign_id, NULL, after, error);
}

static const char *const campaign_members[] = { "firmware", "meter_app", "version",
                                                "terminals", "running_version",
                                                "below", "vendor", "model", "waves",
                                                "max_failures", "window", "offline_after",
                                                "name", NULL };

FfReply *
ff_console_campaign_create (FfConsoleCall *call,
                            const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GPtrArray) excluded = NULL;
  g_autoptr(FfCampaign) campaign = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_auto(GStrv) terminals = NULL;
  guint percents[FF_CAMPAIGN_MAX_WAVES];
  FfCampaignOptions options = { 0 };
  const char *app_version = NULL;
  FfCampaignRequest request;
  Creation creation = { call, &request, NULL, NULL };
  JsonObject *root;
  gboolean ok;

  parser = ff_console_parse_body (call, campaign_members, &root, &error);
  if (parser == NULL
      || !ff_console_optional_string (root, "firmware", FF_NAME_MAX_LENGTH,
                                      &options.firmware_version, &error)
      || !ff_console_optional_string (root, "meter_app", FF_NAME_MAX_LENGTH, &options.meter_app,
                                      &error)
      || !ff_console_optional_string (root, "version", FF_NAME_MAX_LENGTH, &app_version,
                                      &error)
      || !ff_console_optional_string (root, "running_version", FF_NAME_MAX_LENGTH,
                                      &options.running_version, &error)
      || !ff_console_optional_string (root, "below", FF_NAME_MAX_LENGTH, &options.below, &error)
      || !ff_console_optional_string (root, "vendor", FF_NAME_MAX_LENGTH, &options.vendor,
                                      &error)
      || !ff_console_optional_string (root, "model", FF_NAME_MAX_LENGTH, &options.model, &error)
      || !ff_console_optional_string (root, "waves", OPTION_MAX_LENGTH, &options.waves, &error)
      || !ff_console_optional_string (root, "max_failures", OPTION_MAX_LENGTH,
                                      &options.max_failures, &error)
      || !ff_console_optional_string (root, "window", OPTION_MAX_LENGTH, &options.window, &error)
      || !ff_console_optional_string (root, "name", FF_NAME_MAX_LENGTH, &options.name, &error)
      || (json_object_has_member (root, "offline_after")
          && !ff_document_get_int (root, "", "offline_after", 1, G_MAXINT32,
                                   &options.offline_after, &error))
      || !ff_console_get_names (root, "terminals", &terminals, &error))
    return reply_gerror (call, error);
  options.device_ids = (const char *const *) terminals;
  /* A campaign of meters names its app's version as "version" (as campaigns create --version). */
  if (options.meter_app != NULL || app_version != NULL)
    {
      if (options.firmware_version != NULL || options.meter_app == NULL || app_version == NULL)
        {
          g_set_error_literal (&error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                               _("Give meter_app with version (for meters), or firmware (for "
                                 "terminals)"));
          return reply_gerror (call, error);
        }
      options.firmware_version = app_version;
    }
  if (!ff_campaign_options_to_request (&options, ff_platform_now (), percents, &request, &error))
    return reply_gerror (call, error);
  ok = ff_platform_db_transaction (call->console->db, create_in_transaction, &creation, &error);
  excluded = creation.excluded;
  campaign = creation.campaign;
  if (!ok)
    return reply_gerror (call, error);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  add_campaign (builder, campaign);
  json_builder_set_member_name (builder, "excluded");
  json_builder_begin_array (builder);
  for (guint i = 0; i < excluded->len; i++)
    {
      const FfCampaignExclusion *exclusion = g_ptr_array_index (excluded, i);

      json_builder_begin_object (builder);
      ff_builder_add_string (builder, "device_id", exclusion->device_id);
      ff_builder_add_string (builder, "reason", exclusion->reason);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 201, builder);
}

/* Start, pause, resume, cancel */

typedef struct
{
  FfConsoleCall    *call;
  const char       *campaign_id;
  FfCampaignAction  action;
  FfCampaign       *after;
} Acting;

static gboolean
act_in_transaction (FfPlatformDb *db,
                    gpointer      user_data,
                    GError      **error)
{
  static const char *const actions[] = {
    [FF_CAMPAIGN_START] = "campaign.start",
    [FF_CAMPAIGN_PAUSE] = "campaign.pause",
    [FF_CAMPAIGN_RESUME] = "campaign.resume",
    [FF_CAMPAIGN_CANCEL] = "campaign.cancel",
  };
  Acting *acting = user_data;
  g_autoptr(FfCampaign) before = NULL;
  g_autofree char *before_text = NULL, *after_text = NULL;

  if ((before = ff_platform_db_require_campaign (db, acting->campaign_id, error)) == NULL
      || !ff_platform_campaign_act (db, acting->campaign_id, acting->action, ff_platform_now (),
                                    error)
      || (acting->after = ff_platform_db_require_campaign (db, acting->campaign_id,
                                                           error)) == NULL)
    return FALSE;
  before_text = ff_console_json_text (ff_campaign_add_members, before);
  after_text = ff_console_json_text (ff_campaign_add_members, acting->after);
  return ff_console_audit (acting->call, actions[acting->action], acting->campaign_id,
                           before_text, after_text, error);
}

static FfReply *
act (FfConsoleCall    *call,
     const char       *campaign_id,
     FfCampaignAction  action)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfCampaign) after = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  Acting acting = { call, campaign_id, action, NULL };
  gboolean ok;

  ok = ff_platform_db_transaction (call->console->db, act_in_transaction, &acting, &error);
  after = acting.after;
  if (!ok)
    return reply_gerror (call, error);
  /* The daemon's engine takes it from here, as after the CLI's verb. */
  ff_platform_campaigns_signal (call->console->data_dir);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  add_campaign (builder, after);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}

FfReply *
ff_console_campaign_start (FfConsoleCall *call,
                           const char    *campaign_id)
{
  return act (call, campaign_id, FF_CAMPAIGN_START);
}

FfReply *
ff_console_campaign_pause (FfConsoleCall *call,
                           const char    *campaign_id)
{
  return act (call, campaign_id, FF_CAMPAIGN_PAUSE);
}

FfReply *
ff_console_campaign_resume (FfConsoleCall *call,
                            const char    *campaign_id)
{
  return act (call, campaign_id, FF_CAMPAIGN_RESUME);
}

FfReply *
ff_console_campaign_cancel (FfConsoleCall *call,
                            const char    *campaign_id)
{
  return act (call, campaign_id, FF_CAMPAIGN_CANCEL);
}
