/* Campaigns of smart meters (schema 14; docs/meters.md, "Campaigns"): a campaign may target a
 * meter app version. Its meters are selected by the version of the app they run, and a wave
 * "sends" to a meter by queueing the install in the ledger: the meter gets it at its next poll
 * (meters poll; nothing is pushed), and its report counts toward the wave. */
#pragma once

#include "ff-platform-campaigns.h"

G_BEGIN_DECLS

/* The link of a campaign's meter (campaign_terminals.link). */
#define FF_LINK_COAP "coap"

/* The meters of @request (its meter_app set; vendor, model, running_version and below filter
 * them) whose app is installed at a version lower than the target, by meter ID, into @ids; those
 * in another unfinished campaign or with a command for the app still open are left out into
 * @excluded with the reason. Refused when the platform has no package of the target or when no
 * meter is left. */
gboolean ff_campaign_select_meters (FfPlatformDb            *db,
                                    const FfCampaignRequest *request,
                                    GPtrArray               *ids,
                                    GPtrArray               *excluded,
                                    GError                 **error);

/* Inside the engine's transaction: queues the install of @campaign's app version for
 * @meter_id (*@queued) and makes its campaign row "sent" with the command ID ("meter-N"); a
 * refusal of the ledger (the meter runs that version already, …) fails the row with the reason
 * and queues nothing. */
gboolean ff_campaign_queue_meter_install (FfPlatformDb     *db,
                                          const FfCampaign *campaign,
                                          const char       *meter_id,
                                          gint64            now,
                                          gboolean         *queued,
                                          GError          **error);

/* Inside the transaction that halts, pauses or cancels @campaign: withdraws its meters'
 * installs never offered to the meter (nothing goes out after it), their rows back to pending;
 * an install already offered is left to finish and count. Nothing for a campaign of terminals. */
gboolean ff_campaign_withdraw_meter_installs (FfPlatformDb     *db,
                                              const FfCampaign *campaign,
                                              gint64            now,
                                              GError          **error);

/* Inside the transaction that resumes @campaign: queues the install of each pending meter of
 * the waves started (those withdrawn), as ff_campaign_queue_meter_install (the resume counts
 * the wave's --offline-after again from @now). */
gboolean ff_campaign_requeue_meter_installs (FfPlatformDb     *db,
                                             const FfCampaign *campaign,
                                             gint64            now,
                                             GError          **error);

/* Inside the transaction that stores a meter's report: install command @command_id of @meter_id
 * finished with @outcome (and the scheduler's @detail for "refused"); READY and UP_TO_DATE
 * succeed, anything else fails, and the campaign's meter moves so (nothing when it is in none). */
gboolean ff_platform_db_campaign_take_meter_result (FfPlatformDb *db,
                                                    const char   *meter_id,
                                                    gint64        command_id,
                                                    const char   *outcome,
                                                    gint          detail,
                                                    gint64        now,
                                                    GError      **error);

/* Adds an exclusion of @device_id for @reason to @excluded. */
void     ff_campaign_exclude (GPtrArray  *excluded,
                              const char *device_id,
                              const char *reason);

G_END_DECLS
