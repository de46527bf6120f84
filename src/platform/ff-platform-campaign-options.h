/* What `campaigns create` and the console's campaign routes share: the options of a new campaign
 * checked and turned into a request, and a campaign as JSON (`campaigns list|show --json` and
 * the console's API answer the same members). */
#pragma once

#include "ff-platform-campaigns.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A new campaign's options as text, as an operator gives them. */
typedef struct
{
  const char        *firmware_version; /* with meter_app: the app's version (2.0.0) */
  const char        *meter_app;        /* NULL, or the meters' app to upgrade */
  const char *const *device_ids;       /* the terminals, or NULL to select by version */
  const char        *running_version;
  const char        *below;
  const char        *vendor;
  const char        *model;
  const char        *waves;            /* "1%,10%,50%,100%" */
  const char        *max_failures;     /* "5" or "5%" */
  const char        *window;           /* "01:00-05:00" (UTC), or NULL */
  gint64             offline_after;    /* seconds; 0: FF_CAMPAIGN_DEFAULT_OFFLINE_AFTER */
  const char        *name;             /* or NULL */
} FfCampaignOptions;

/* Checks @options and fills @request from them (its wave percentages in @percents, which must
 * hold FF_CAMPAIGN_MAX_WAVES; its strings borrowed from @options; its time @now);
 * FF_PLATFORM_ERROR_INVALID with the reason otherwise. */
gboolean ff_campaign_options_to_request (const FfCampaignOptions *options,
                                         gint64                   now,
                                         guint                   *percents,
                                         FfCampaignRequest       *request,
                                         GError                 **error);

/* Adds one to @counts at the state of @terminal. */
void     ff_campaign_count_terminal     (gint64                   *counts,
                                         const FfCampaignTerminal *terminal);

/* The members of @row (an FfCampaign) as `campaigns list --json` prints them. */
void     ff_campaign_add_members        (JsonBuilder   *builder,
                                         gconstpointer  row);
/* …and, as `campaigns show --json`, when its next wave waits for its window at @now, and its
 * waves in order with their terminals and counts (@terminals: all of its terminals in their
 * order). */
void     ff_campaign_add_waves          (JsonBuilder      *builder,
                                         const FfCampaign *campaign,
                                         GPtrArray        *terminals,
                                         gint64            now);
/* …as the console's campaign page reads it: the waves with their counts only (@wave_counts as
 * ff_platform_db_count_campaign_waves gives them), no terminals. */
void     ff_campaign_add_wave_counts    (JsonBuilder      *builder,
                                         const FfCampaign *campaign,
                                         const gint64     *wave_counts,
                                         gint64            now);
/* The members of @row (an FfCampaignTerminal) as `campaigns show --json` prints them. */
void     ff_campaign_add_terminal_members (JsonBuilder   *builder,
                                           gconstpointer  row);

G_END_DECLS
