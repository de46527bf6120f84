/* Campaigns of smart meters: selecting the meters by their app's version, queueing a wave's
 * installs for the meters' next polls, and counting their reports toward the waves. */
#include "config.h"

#include "ff-platform-campaign-meters.h"

#include "ff-platform-db-private.h"
#include "ff-platform-error.h"
#include "ff-platform-meter-results.h"
#include "ff-platform-meters.h"

#include <glib/gi18n-lib.h>

/* The record of @app among @meter_id's apps, or NULL; @apps keeps it. */
static const FfMeterAppRecord *
find_app (GPtrArray  *apps,
          const char *app)
{
  for (guint i = 0; i < apps->len; i++)
    {
      const FfMeterAppRecord *record = g_ptr_array_index (apps, i);

      if (g_str_equal (record->app, app))
        return record;
    }
  return NULL;
}

/* Whether @meter runs the campaign's app at a version the request selects. */
static gboolean
selects (const FfCampaignRequest *request,
         const FfMeterAppRecord  *record,
         guint32                  target)
{
  if (record == NULL || !ff_meter_app_record_is_installed (record) || record->version >= target)
    return FALSE;
  if (request->running_version != NULL
      && record->version != ff_meter_version_parse (request->running_version))
    return FALSE;
  return request->below == NULL || record->version < ff_meter_version_parse (request->below);
}

gboolean
ff_campaign_select_meters (FfPlatformDb            *db,
                           const FfCampaignRequest *request,
                           GPtrArray               *ids,
                           GPtrArray               *excluded,
                           GError                 **error)
{
  guint32 target = ff_meter_version_parse (request->firmware_version);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(FfMeterPackage) package = ff_platform_db_find_meter_package (db, request->meter_app,
                                                                         target, &local_error);
  g_autoptr(GPtrArray) meters = NULL;
  guint selected = 0;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (package == NULL)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED,
                   _("No package of %s %s: add it first (meters apps add-package)"),
                   request->meter_app, request->firmware_version);
      return FALSE;
    }
  meters = ff_platform_db_list_meters (db, error);
  if (meters == NULL)
    return FALSE;
  /* The ledger lists meters by ID: the order the waves take them in. */
  for (guint i = 0; i < meters->len; i++)
    {
      const FfMeter *meter = g_ptr_array_index (meters, i);
      g_autoptr(GPtrArray) apps = NULL;
      g_autofree char *campaign_id = NULL;
      const FfMeterAppRecord *record;

      if ((request->vendor != NULL && g_strcmp0 (meter->vendor, request->vendor) != 0)
          || (request->model != NULL && g_strcmp0 (meter->model, request->model) != 0))
        continue;
      apps = ff_platform_db_list_meter_apps (db, meter->meter_id, error);
      if (apps == NULL)
        return FALSE;
      record = find_app (apps, request->meter_app);
      if (!selects (request, record, target))
        continue;
      selected++;
      if (!ff_platform_db_terminal_in_open_campaign (db, meter->meter_id, NULL, &campaign_id,
                                                     error))
        return FALSE;
      if (campaign_id != NULL)
        {
          g_autofree char *reason = g_strdup_printf (_("Meter %s is in campaign %s"),
                                                     meter->meter_id, campaign_id);

          ff_campaign_exclude (excluded, meter->meter_id, reason);
        }
      else if (record->command_id != 0 && record->command_finished_at == 0)
        {
          g_autofree char *reason = g_strdup_printf (_("Meter %s has a command for %s waiting "
                                                       "for its next wake-up"),
                                                     meter->meter_id, record->app);

          ff_campaign_exclude (excluded, meter->meter_id, reason);
        }
      else
        g_ptr_array_add (ids, g_strdup (meter->meter_id));
    }
  if (ids->len == 0)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED,
                   _("No meter can be upgraded to %s %s (selected: %u, left out by the rules: "
                     "%u)"), request->meter_app, request->firmware_version, selected,
                   excluded->len);
      return FALSE;
    }
  return TRUE;
}

gboolean
ff_campaign_queue_meter_install (FfPlatformDb     *db,
                                 const FfCampaign *campaign,
                                 const char       *meter_id,
                                 gint64            now,
                                 gboolean         *queued,
                                 GError          **error)
{
  g_autoptr(GError) refusal = NULL;
  g_autofree char *command = NULL;
  gint64 command_id = 0;

  *queued = ff_platform_db_queue_meter_command (db, meter_id, campaign->meter_app,
                                                FF_METER_OP_INSTALL,
                                                ff_meter_version_parse (campaign->firmware_version),
                                                now, &command_id, &refusal);
  if (!*queued && !g_error_matches (refusal, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED))
    {
      g_propagate_error (error, g_steal_pointer (&refusal));
      return FALSE;
    }
  if (*queued)
    command = g_strdup_printf ("meter-%" G_GINT64_FORMAT, command_id);
  return ff_platform_db_run (db, ff_platform_db_bind (db,
    "UPDATE campaign_terminals SET state = ?3, command_id = ?4, reason = ?5, updated_at = ?6"
    " WHERE campaign_id = ?1 AND device_id = ?2", error, "sssssi", campaign->campaign_id,
    meter_id, *queued ? "sent" : "failed", command, *queued ? NULL : refusal->message, now),
    error);
}

/* The ledger's command a campaign's meter row names ("meter-N"), by its primary key. */
#define COMMAND_OF(t) "CAST (substr (" t ".command_id, 7) AS INTEGER)"

gboolean
ff_campaign_withdraw_meter_installs (FfPlatformDb     *db,
                                     const FfCampaign *campaign,
                                     gint64            now,
                                     GError          **error)
{
  if (campaign->meter_app == NULL)
    return TRUE;
  /* Never offered: the poll that hands the meter its start message sets sent_at. One the meter
   * was offered is left to finish and counts. A meter row still "sent" whose command is gone
   * after this is one of those withdrawn. */
  return ff_platform_db_run (db, ff_platform_db_bind (db,
           "DELETE FROM meter_commands WHERE sent_at IS NULL AND finished_at IS NULL AND id IN"
           " (SELECT " COMMAND_OF ("t") " FROM campaign_terminals t WHERE t.campaign_id = ?1"
           "  AND t.link = '" FF_LINK_COAP "' AND t.state = 'sent')", error, "s",
           campaign->campaign_id), error)
         && ff_platform_db_run (db, ff_platform_db_bind (db,
              "UPDATE campaign_terminals SET state = 'pending', command_id = NULL, updated_at = ?2"
              " WHERE campaign_id = ?1 AND link = '" FF_LINK_COAP "' AND state = 'sent'"
              " AND NOT EXISTS (SELECT 1 FROM meter_commands c"
              "  WHERE c.id = " COMMAND_OF ("campaign_terminals") ")", error, "si",
              campaign->campaign_id, now), error);
}

gboolean
ff_campaign_requeue_meter_installs (FfPlatformDb     *db,
                                    const FfCampaign *campaign,
                                    gint64            now,
                                    GError          **error)
{
  g_autoptr(GPtrArray) terminals = NULL;

  if (campaign->meter_app == NULL || campaign->current_wave == 0)
    return TRUE;
  terminals = ff_platform_db_list_campaign_terminals (db, campaign->campaign_id, 0, error);
  if (terminals == NULL)
    return FALSE;
  for (guint i = 0; i < terminals->len; i++)
    {
      const FfCampaignTerminal *t = g_ptr_array_index (terminals, i);
      gboolean one = FALSE;

      if (t->wave > campaign->current_wave || !g_str_equal (t->state, "pending")
          || !g_str_equal (t->link, FF_LINK_COAP))
        continue;
      if (!ff_campaign_queue_meter_install (db, campaign, t->device_id, now, &one, error))
        return FALSE;
    }
  /* The meters queued again get the whole --offline-after from now to poll: the resume counts
   * the current wave's time from now (ff_platform_campaign_act). */
  return TRUE;
}

gboolean
ff_platform_db_campaign_take_meter_result (FfPlatformDb *db,
                                           const char   *meter_id,
                                           gint64        command_id,
                                           const char   *outcome,
                                           gint          detail,
                                           gint64        now,
                                           GError      **error)
{
  g_autofree char *id = g_strdup_printf ("meter-%" G_GINT64_FORMAT, command_id);
  gboolean succeeded = g_str_equal (outcome, "ready") || g_str_equal (outcome, "up-to-date");
  g_autofree char *reason = succeeded ? NULL : ff_meter_install_failure (outcome, detail);

  return ff_platform_db_campaign_take_result (db, meter_id, id,
                                              succeeded ? "succeeded" : "failed",
                                              succeeded ? NULL : "install", reason, now, error);
}
