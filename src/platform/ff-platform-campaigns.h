/* Campaigns: staged rollouts of one firmware version over networked and tablet-only terminals,
 * wave by wave, stopped when failures reach a threshold (schema 7; docs/platform.md
 * "Campaigns"). This is the model and its database; the daemon's engine drives running ones. */
#pragma once

#include "ff-crypto.h"
#include "ff-platform-db.h"

G_BEGIN_DECLS

#define FF_CAMPAIGN_MAX_WAVES 20
#define FF_CAMPAIGN_DEFAULT_OFFLINE_AFTER (24 * 3600)

/* A campaign's states. */
#define FF_CAMPAIGN_DRAFT "draft"
#define FF_CAMPAIGN_RUNNING "running"
#define FF_CAMPAIGN_PAUSED "paused"
#define FF_CAMPAIGN_CANCELLED "cancelled"
#define FF_CAMPAIGN_COMPLETE "complete"

/* A campaign terminal's states, in the order `campaigns show` counts them. */
typedef enum
{
  FF_CAMPAIGN_TERMINAL_PENDING,
  FF_CAMPAIGN_TERMINAL_SENT,
  FF_CAMPAIGN_TERMINAL_DOWNLOADING,
  FF_CAMPAIGN_TERMINAL_INSTALLING,
  FF_CAMPAIGN_TERMINAL_SUCCEEDED,
  FF_CAMPAIGN_TERMINAL_FAILED,
  FF_CAMPAIGN_TERMINAL_ROLLED_BACK,
  FF_CAMPAIGN_TERMINAL_OFFLINE,
  FF_CAMPAIGN_TERMINAL_LEFT_OUT,   /* a rule took it out: finished, no failure, no success */
  FF_CAMPAIGN_TERMINAL_N_STATES
} FfCampaignTerminalState;

const char *ff_campaign_terminal_state_to_string (FfCampaignTerminalState state);
/* A campaign's or a campaign terminal's state (as stored, English) in the language people read;
 * JSON keeps the stored name. An unknown name is returned as it is. */
const char *ff_campaign_state_display (const char *state);
/* -1 when @text names no state. */
int         ff_campaign_terminal_state_from_string (const char *text);

typedef struct
{
  const char *const *device_ids;        /* the terminals, or NULL to select by version */
  const char        *running_version;   /* selects the terminals that run it… */
  const char        *below;             /* …or run a version lower than this (or both) */
  const char        *vendor;            /* optional filters */
  const char        *model;
  const char        *firmware_version;  /* the target, resolved per vendor and model; the app's
                                         * version (MAJOR.MINOR.PATCH) with meter_app */
  const char        *meter_app;         /* NULL, or the meters' app to upgrade (schema 14) */
  const guint       *wave_percents;     /* cumulative, rising, the last 100 */
  guint              n_waves;
  gint64             max_failures;      /* a count, or a percentage when max_failures_percent */
  gboolean           max_failures_percent;
  int                window_start;      /* minutes after midnight UTC, -1: any time */
  int                window_end;
  gint64             offline_after;     /* seconds */
  const char        *name;              /* optional */
  gint64             now;
} FfCampaignRequest;

typedef struct
{
  char     *campaign_id;
  char     *name;
  char     *firmware_version;  /* the app's version when meter_app is set */
  char     *meter_app;         /* NULL: a campaign of terminals; else of meters (schema 14) */
  char     *waves;             /* the wave percentages as given, "1,10,50,100" */
  guint     n_waves;           /* the waves that hold terminals */
  gint64    max_failures;
  gboolean  max_failures_percent;
  int       window_start;      /* -1: any time */
  int       window_end;
  gint64    offline_after;
  char     *state;
  gint64    current_wave;      /* 0 before the first wave starts */
  gint64    wave_started_at;
  char     *halt_reason;       /* why it paused by itself, NULL otherwise */
  gint64    created_at;
  gint64    started_at;
  gint64    finished_at;
  gint64    counts[FF_CAMPAIGN_TERMINAL_N_STATES];   /* terminals in each state */
  gint64    accepted_failures; /* failed or rolled back when an operator last resumed it */
  gint64    accepted_finished; /* finished (those and succeeded) then */
} FfCampaign;

typedef struct
{
  char   *device_id;
  gint64  position;            /* 1, 2, … in the recorded order */
  gint64  wave;                /* 1, 2, … */
  char   *link;                /* "mqtt", "offline" (tablet work) or "coap" (a meter) */
  char   *state;
  char   *command_id;          /* the remote command sent ("meter-N" for a meter's install),
                                * NULL before */
  char   *task_id;             /* the tablet task, NULL before */
  char   *step;                /* where it failed */
  char   *reason;
  gint64  updated_at;
} FfCampaignTerminal;

/* A terminal the selection left out and the rule that did it. */
typedef struct
{
  char *device_id;
  char *reason;
} FfCampaignExclusion;

/* The campaign's maintenance window as given ("01:00-05:00", UTC), NULL when it has none. */
char       *ff_campaign_window_text (const FfCampaign *campaign);
/* 0 when @now is inside the campaign's window (or it has none), else the Unix time at which the
 * window opens next: the time from which the engine starts a wave. */
gint64      ff_campaign_window_opens_at (const FfCampaign *campaign,
                                         gint64            now);
/* The window's next opening when the campaign has a wave still to start (it is not finished)
 * and @now is outside its window: no wave starts before it. 0 otherwise. */
gint64      ff_campaign_next_wave_not_before (const FfCampaign *campaign,
                                              gint64            now);

/* Selects the terminals by the rules of tasks (ff_platform_check_target; networked ones must
 * have credentials), orders them (networked first, then by device ID), splits them into waves
 * and stores the draft in one transaction. Named terminals (@request->device_ids) must all pass;
 * terminals selected by version that do not are left out and listed in *@excluded. An empty
 * selection is refused (FF_PLATFORM_ERROR_REFUSED) and nothing is stored. */
char       *ff_platform_create_campaign        (FfPlatformDb            *db,
                                                const FfCampaignRequest *request,
                                                GPtrArray              **excluded,
                                                GError                 **error);

FfCampaign *ff_platform_db_require_campaign    (FfPlatformDb  *db,
                                                const char    *campaign_id,
                                                GError       **error);
/* The queries the campaign engine runs after every batch of results (the tests check their plans):
 * the running campaigns with their counts, and a wave's unfinished terminals. */
extern const char ff_platform_running_campaigns_sql[];
extern const char ff_platform_campaign_unfinished_sql[];
/* Every campaign (with its counts), newest first; only those running when @running, oldest first,
 * whose counts are then only those the failure threshold reads: failed and rolled back, and
 * succeeded once one of them is not 0 or a resume accepted finished ones (the others 0). */
GPtrArray  *ff_platform_db_list_campaigns      (FfPlatformDb  *db,
                                                gboolean       running,
                                                GError       **error);
/* The terminals of @campaign_id in their order; of wave @wave only when it is > 0. */
GPtrArray  *ff_platform_db_list_campaign_terminals (FfPlatformDb *db,
                                                    const char   *campaign_id,
                                                    gint64        wave,
                                                    GError      **error);
/* A page of wave @wave of @campaign_id: at most @limit terminals in their order, after position
 * @after_position (0: from the first). */
GPtrArray  *ff_platform_db_page_campaign_terminals (FfPlatformDb *db,
                                                    const char   *campaign_id,
                                                    gint64        wave,
                                                    gint64        after_position,
                                                    guint         limit,
                                                    GError      **error);
/* How many terminals of each wave of @campaign are in each state: FF_CAMPAIGN_TERMINAL_N_STATES
 * counts a wave, the first wave first; NULL on error. */
gint64     *ff_platform_db_count_campaign_waves (FfPlatformDb     *db,
                                                 const FfCampaign *campaign,
                                                 GError          **error);

/* Tablet work: one signed task (the code of `tasks create`) for @phone with @handhelds, for the
 * tablet-only terminals of running campaign @campaign_id still pending in the waves started so
 * far, recorded as theirs (state sent) in the same transaction; their reports then count toward
 * the waves. FF_PLATFORM_ERROR_REFUSED when there are none. */
char       *ff_platform_campaign_create_tasks (FfPlatformDb       *db,
                                               FfKey              *platform_key,
                                               const char         *campaign_id,
                                               const char         *phone,
                                               const char *const  *handhelds,
                                               gint64              now,
                                               guint              *n_terminals,
                                               GError            **error);

/* How many terminals of wave @wave of @campaign_id have neither a result nor count as offline;
 * -1 on error. */
gint64      ff_platform_db_count_campaign_unfinished (FfPlatformDb *db,
                                                      const char   *campaign_id,
                                                      gint64        wave,
                                                      GError      **error);

/* start (a draft), pause (a running one), resume (a paused one: its halt reason is cleared),
 * cancel (any but a finished one: its terminals still pending stay so, nothing more is sent,
 * and its open tablet tasks are cancelled as ff_platform_cancel_task does).
 * FF_PLATFORM_ERROR_CONFLICT when the campaign's state does not allow it. */
typedef enum
{
  FF_CAMPAIGN_START,
  FF_CAMPAIGN_PAUSE,
  FF_CAMPAIGN_RESUME,
  FF_CAMPAIGN_CANCEL,
} FfCampaignAction;

gboolean    ff_platform_campaign_act           (FfPlatformDb     *db,
                                                const char       *campaign_id,
                                                FfCampaignAction  action,
                                                gint64            now,
                                                GError          **error);

/* The campaign that is not finished (draft, running or paused) holding @device_id, other than
 * @except (NULL: any); *@campaign_id NULL when there is none. */
gboolean    ff_platform_db_terminal_in_open_campaign (FfPlatformDb *db,
                                                      const char   *device_id,
                                                      const char   *except,
                                                      char        **campaign_id,
                                                      GError      **error);

/* What the terminals tell, inside the caller's transaction (the one that stores it): a remote
 * result of @device_id for @command_id, a tablet report of @task_id for @device_id (its outcome as
 * in the report; "aborted" changes nothing: the item stays open), a progress or state step of
 * @device_id for @command_id ("download" is downloading, any other installing). A result or a
 * progress moves only @device_id's own campaign entry: a terminal that names another's command
 * (it signs only its own results) changes nothing. The observer (ff_platform_campaigns_set_observer)
 * is told by the caller once its transaction is committed (ff_platform_campaigns_changed). */
gboolean    ff_platform_db_campaign_take_result   (FfPlatformDb *db,
                                                   const char   *device_id,
                                                   const char   *command_id,
                                                   const char   *outcome,
                                                   const char   *step,
                                                   const char   *reason,
                                                   gint64        now,
                                                   GError      **error);
gboolean    ff_platform_db_campaign_take_report   (FfPlatformDb *db,
                                                   const char   *task_id,
                                                   const char   *device_id,
                                                   const char   *outcome,
                                                   gint64        now,
                                                   GError      **error);
gboolean    ff_platform_db_campaign_take_progress (FfPlatformDb *db,
                                                   const char   *device_id,
                                                   const char   *command_id,
                                                   const char   *step,
                                                   gint64        now,
                                                   GError      **error);

/* @changed runs (in the thread that stored the change, once it is committed) when campaign
 * terminals may have changed state; one observer per process (the daemon's engine), NULL to
 * remove it. */
void        ff_platform_campaigns_set_observer (void     (*changed) (gpointer user_data),
                                                gpointer   user_data);
/* Tells the observer now: called after the commit that stored what the terminals told (a change
 * stored through another connection than the daemon's, a worker thread's, is visible to it only
 * once committed; told during the transaction, it would look too early, and once per row). */
void        ff_platform_campaigns_changed      (void);

/* Tells a running daemon that the operator changed a campaign: touches DATA/campaigns.changed,
 * which its engine watches. */
void        ff_platform_campaigns_signal (const char *data_dir);
char       *ff_platform_campaigns_signal_path (const char *data_dir);

/* Appends the campaign gauges to @text (Prometheus text format): campaigns per state, and the
 * terminals of each unfinished campaign per state. */
gboolean    ff_platform_campaigns_render_metrics (FfPlatformDb  *db,
                                                  GString       *text,
                                                  GError       **error);

void ff_campaign_free            (FfCampaign          *campaign);
void ff_campaign_terminal_free   (FfCampaignTerminal  *terminal);
void ff_campaign_exclusion_free  (FfCampaignExclusion *exclusion);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfCampaign, ff_campaign_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfCampaignTerminal, ff_campaign_terminal_free)

G_END_DECLS
