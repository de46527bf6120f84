/* Campaigns of smart meters: selecting the meters by their app's version, queueing a wave's
 * installs for the meters' next polls, and counting their reports toward the waves. */
#include "config.h"

#include "ff-platform-campaign-meters.h"

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

char *
ff_campaign_queue_meter_install (FfPlatformDb     *db,
                                 const FfCampaign *campaign,
                                 const char       *meter_id,
                                 gint64            now,
                                 GError          **error)
{
  gint64 command_id = 0;

  if (!ff_platform_db_queue_meter_command (db, meter_id, campaign->meter_app, FF_METER_OP_INSTALL,
                                           ff_meter_version_parse (campaign->firmware_version),
                                           now, &command_id, error))
    return NULL;
  return g_strdup_printf ("meter-%" G_GINT64_FORMAT, command_id);
}

gboolean
ff_platform_db_campaign_take_meter_result (FfPlatformDb *db,
                                           gint64        command_id,
                                           const char   *outcome,
                                           gint          detail,
                                           gint64        now,
                                           GError      **error)
{
  g_autofree char *id = g_strdup_printf ("meter-%" G_GINT64_FORMAT, command_id);
  gboolean succeeded = g_str_equal (outcome, "ready") || g_str_equal (outcome, "up-to-date");
  g_autofree char *reason = succeeded ? NULL : ff_meter_install_failure (outcome, detail);

  return ff_platform_db_campaign_take_result (db, id, succeeded ? "succeeded" : "failed",
                                              succeeded ? NULL : "install", reason, now, error);
}
