/* A new campaign's options checked as `campaigns create` and the console take them, and a
 * campaign as JSON, so that the CLI and the console's API answer alike. */
#include "config.h"

#include "ff-platform-campaign-options.h"

#include "ff-document.h"
#include "ff-platform-error.h"
#include "ff-platform-meters.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>

/* Longest a terminal may stay without a result before it counts as offline: ten years. */
#define OFFLINE_AFTER_MAX (10 * 365 * G_GINT64_CONSTANT (86400))

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
  g_autofree char *number = g_strstrip (g_strdup (text));
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

/* "01:00-05:00" (UTC; it may run past midnight, "22:00-04:00"); one that ends when it starts
 * is refused by its caller, in words of its own. */
static gboolean
parse_window (const char *text,
              int        *start,
              int        *end)
{
  g_auto(GStrv) parts = g_strsplit (text, "-", -1);

  return g_strv_length (parts) == 2 && parse_clock (parts[0], start)
         && parse_clock (parts[1], end);
}

static gboolean
invalid (GError    **error,
         const char *message)
{
  g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID, message);
  return FALSE;
}

/* The options a campaign of terminals and one of meters share: waves, threshold, window,
 * offline time and name. */
static gboolean
waves_to_request (const FfCampaignOptions *options,
                  guint                   *percents,
                  FfCampaignRequest       *request,
                  GError                 **error)
{
  if (!parse_waves (options->waves, percents, &request->n_waves))
    return invalid (error, _("The waves must be rising percentages ending at 100%, such as "
                             "1%,10%,50%,100% (at most 20)"));
  if (!parse_max_failures (options->max_failures, &request->max_failures,
                           &request->max_failures_percent))
    return invalid (error, _("The failure threshold must be a number of terminals (5) or a "
                             "percentage from 1% to 100% (5%)"));
  if (options->window != NULL
      && !parse_window (options->window, &request->window_start, &request->window_end))
    return invalid (error, _("The window must look like 01:00-05:00 (UTC)"));
  if (request->window_start >= 0 && request->window_start == request->window_end)
    return invalid (error, _("A window must end at another time than it starts, such as "
                             "01:00-05:00 (UTC); with no window, waves start at any time"));
  if (request->offline_after < 1 || request->offline_after > OFFLINE_AFTER_MAX)
    return invalid (error, _("The time after which a terminal counts as offline must be from "
                             "1 second to 10 years"));
  /* Listed line by line by campaigns list and show. */
  if (options->name != NULL && !ff_display_name_is_valid (options->name))
    return invalid (error, _("The name must have 1 to 128 bytes of UTF-8 without control "
                             "characters"));
  return TRUE;
}

/* A campaign of meters: the app's target version, and the versions it selects, as meters write
 * them; no terminals. */
static gboolean
meter_options_to_request (const FfCampaignOptions *options,
                          FfCampaignRequest       *request,
                          GError                 **error)
{
  const char *const versions[] = { options->running_version, options->below };

  request->meter_app = options->meter_app;
  if (options->firmware_version == NULL || options->waves == NULL
      || options->max_failures == NULL || options->device_ids != NULL)
    return invalid (error, _("Give the app's version, the waves and the failure threshold; a "
                             "campaign of meters selects them by the version they run"));
  if (ff_meter_version_parse (options->firmware_version) == 0)
    return invalid (error, _("The app's version must look like 2.0.0"));
  for (gsize i = 0; i < G_N_ELEMENTS (versions); i++)
    if (versions[i] != NULL && ff_meter_version_parse (versions[i]) == 0)
      return invalid (error, _("The app's version must look like 2.0.0"));
  return TRUE;
}

gboolean
ff_campaign_options_to_request (const FfCampaignOptions *options,
                                gint64                   now,
                                guint                   *percents,
                                FfCampaignRequest       *request,
                                GError                 **error)
{
  const char *const versions[] = { options->firmware_version, options->running_version,
                                   options->below };

  *request = (FfCampaignRequest) {
    .device_ids = options->device_ids,
    .running_version = options->running_version,
    .below = options->below,
    .vendor = options->vendor,
    .model = options->model,
    .firmware_version = options->firmware_version,
    .wave_percents = percents,
    .window_start = -1,
    .window_end = -1,
    .offline_after = options->offline_after != 0 ? options->offline_after
                                                 : FF_CAMPAIGN_DEFAULT_OFFLINE_AFTER,
    .name = options->name,
    .now = now,
  };
  if (options->meter_app != NULL)
    return meter_options_to_request (options, request, error)
           && waves_to_request (options, percents, request, error);
  if (options->firmware_version == NULL || options->waves == NULL
      || options->max_failures == NULL
      || (options->device_ids == NULL) == (options->running_version == NULL
                                           && options->below == NULL))
    return invalid (error, _("Give the firmware, the waves, the failure threshold and either the "
                             "terminals or the version they run (or are below)"));
  if (options->device_ids != NULL && options->device_ids[0] == NULL)
    return invalid (error, _("Name at least one terminal"));
  for (gsize i = 0; i < G_N_ELEMENTS (versions); i++)
    if (versions[i] != NULL && !ff_version_is_valid (versions[i]))
      return invalid (error, _("The version must look like V2.01"));
  return waves_to_request (options, percents, request, error);
}

void
ff_campaign_count_terminal (gint64                   *counts,
                            const FfCampaignTerminal *terminal)
{
  int state = ff_campaign_terminal_state_from_string (terminal->state);

  if (state >= 0)
    counts[state]++;
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

void
ff_campaign_add_members (JsonBuilder   *builder,
                         gconstpointer  row)
{
  const FfCampaign *c = row;
  g_autofree char *window = ff_campaign_window_text (c);

  ff_builder_add_string (builder, "campaign_id", c->campaign_id);
  ff_builder_add_string (builder, "name", c->name);
  ff_builder_add_string (builder, "firmware_version", c->firmware_version);
  ff_builder_add_string (builder, "meter_app", c->meter_app);
  ff_builder_add_string (builder, "state", c->state);
  ff_builder_add_string (builder, "halt_reason", c->halt_reason);
  ff_builder_add_int (builder, "current_wave", c->current_wave);
  ff_builder_add_int (builder, "waves", c->n_waves);
  ff_builder_add_int (builder, "max_failures", c->max_failures);
  ff_builder_add_boolean (builder, "max_failures_percent", c->max_failures_percent);
  ff_builder_add_string (builder, "window", window);
  ff_builder_add_timestamp (builder, "created_at", c->created_at);
  if (c->started_at != 0)
    ff_builder_add_timestamp (builder, "started_at", c->started_at);
  if (c->finished_at != 0)
    ff_builder_add_timestamp (builder, "finished_at", c->finished_at);
  add_counts (builder, c->counts);
}

void
ff_campaign_add_terminal_members (JsonBuilder   *builder,
                                  gconstpointer  row)
{
  const FfCampaignTerminal *t = row;

  ff_builder_add_string (builder, "device_id", t->device_id);
  ff_builder_add_int (builder, "position", t->position);
  ff_builder_add_string (builder, "link", t->link);
  ff_builder_add_string (builder, "state", t->state);
  ff_builder_add_string (builder, "command_id", t->command_id);
  ff_builder_add_string (builder, "task_id", t->task_id);
  ff_builder_add_string (builder, "step", t->step);
  ff_builder_add_string (builder, "reason", t->reason);
  ff_builder_add_timestamp (builder, "updated_at", t->updated_at);
}

/* The waves with their counts (@wave_counts: FF_CAMPAIGN_TERMINAL_N_STATES a wave, the first
 * wave first) and, when @terminals is not NULL, their terminals. */
static void
add_waves (JsonBuilder      *builder,
           const FfCampaign *campaign,
           const gint64     *wave_counts,
           GPtrArray        *terminals,
           gint64            now)
{
  gint64 not_before = ff_campaign_next_wave_not_before (campaign, now);

  if (not_before != 0)
    ff_builder_add_timestamp (builder, "next_wave_not_before", not_before);
  json_builder_set_member_name (builder, "wave_list");
  json_builder_begin_array (builder);
  for (guint w = 1, i = 0; w <= campaign->n_waves; w++)
    {
      json_builder_begin_object (builder);
      ff_builder_add_int (builder, "wave", w);
      if (terminals != NULL)
        {
          json_builder_set_member_name (builder, "terminal_list");
          json_builder_begin_array (builder);
          for (; i < terminals->len
                 && ((FfCampaignTerminal *) g_ptr_array_index (terminals, i))->wave == w; i++)
            {
              json_builder_begin_object (builder);
              ff_campaign_add_terminal_members (builder, g_ptr_array_index (terminals, i));
              json_builder_end_object (builder);
            }
          json_builder_end_array (builder);
        }
      add_counts (builder, wave_counts + (w - 1) * FF_CAMPAIGN_TERMINAL_N_STATES);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

void
ff_campaign_add_waves (JsonBuilder      *builder,
                       const FfCampaign *campaign,
                       GPtrArray        *terminals,
                       gint64            now)
{
  g_autofree gint64 *wave_counts = g_new0 (gint64, MAX (campaign->n_waves, 1)
                                                   * FF_CAMPAIGN_TERMINAL_N_STATES);

  for (guint i = 0; i < terminals->len; i++)
    {
      const FfCampaignTerminal *t = g_ptr_array_index (terminals, i);

      if (t->wave >= 1 && t->wave <= campaign->n_waves)
        ff_campaign_count_terminal (wave_counts + (t->wave - 1) * FF_CAMPAIGN_TERMINAL_N_STATES,
                                    t);
    }
  add_waves (builder, campaign, wave_counts, terminals, now);
}

void
ff_campaign_add_wave_counts (JsonBuilder      *builder,
                             const FfCampaign *campaign,
                             const gint64     *wave_counts,
                             gint64            now)
{
  add_waves (builder, campaign, wave_counts, NULL, now);
}
