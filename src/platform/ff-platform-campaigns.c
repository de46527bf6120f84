/* Campaigns: the model and its database (schema 7) — creating a draft from the rules of tasks,
 * the operator's state changes, and the listings `campaigns show` and the engine read. */
#include "config.h"

#include "ff-platform-campaigns.h"

#include "ff-platform-campaign-meters.h"
#include "ff-platform-db-private.h"
#include "ff-platform-error.h"
#include "ff-platform-remote.h"
#include "ff-platform-remote-db.h"
#include "ff-platform-state-labels.h"
#include "ff-platform-tasks.h"
#include "ff-platform-upgrade-checks.h"
#include "ff-sqlite.h"

#include <glib/gi18n-lib.h>


/* The states as stored and as people read them; the context keeps the words apart from the same
 * English words elsewhere. */
static const FfStateLabel campaign_states[] = {
  { FF_CAMPAIGN_DRAFT, NC_("campaign state", "draft") },
  { FF_CAMPAIGN_RUNNING, NC_("campaign state", "running") },
  { FF_CAMPAIGN_PAUSED, NC_("campaign state", "paused") },
  { FF_CAMPAIGN_CANCELLED, NC_("campaign state", "cancelled") },
  { FF_CAMPAIGN_COMPLETE, NC_("campaign state", "complete") },
};

static const FfStateLabel terminal_states[] = {
  [FF_CAMPAIGN_TERMINAL_PENDING] = { "pending", NC_("campaign state", "pending") },
  [FF_CAMPAIGN_TERMINAL_SENT] = { "sent", NC_("campaign state", "sent") },
  [FF_CAMPAIGN_TERMINAL_DOWNLOADING] = { "downloading", NC_("campaign state", "downloading") },
  [FF_CAMPAIGN_TERMINAL_INSTALLING] = { "installing", NC_("campaign state", "installing") },
  [FF_CAMPAIGN_TERMINAL_SUCCEEDED] = { "succeeded", NC_("campaign state", "succeeded") },
  [FF_CAMPAIGN_TERMINAL_FAILED] = { "failed", NC_("campaign state", "failed") },
  [FF_CAMPAIGN_TERMINAL_ROLLED_BACK] = { "rolled-back", NC_("campaign state", "rolled-back") },
  [FF_CAMPAIGN_TERMINAL_OFFLINE] = { "offline", NC_("campaign state", "offline") },
  [FF_CAMPAIGN_TERMINAL_LEFT_OUT] = { "left-out", NC_("campaign state", "left out") },
};

G_STATIC_ASSERT (G_N_ELEMENTS (terminal_states) == FF_CAMPAIGN_TERMINAL_N_STATES);

const char *
ff_campaign_terminal_state_to_string (FfCampaignTerminalState state)
{
  g_return_val_if_fail (state < FF_CAMPAIGN_TERMINAL_N_STATES, NULL);
  return terminal_states[state].name;
}

const char *
ff_campaign_state_display (const char *state)
{
  const char *label = ff_state_label (campaign_states, G_N_ELEMENTS (campaign_states),
                                      "campaign state", state);

  if (label == NULL)
    label = ff_state_label (terminal_states, G_N_ELEMENTS (terminal_states), "campaign state",
                            state);
  return label != NULL ? label : state;
}

int
ff_campaign_terminal_state_from_string (const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (terminal_states); i++)
    if (g_strcmp0 (text, terminal_states[i].name) == 0)
      return (int) i;
  return -1;
}

char *
ff_campaign_window_text (const FfCampaign *campaign)
{
  if (campaign->window_start < 0)
    return NULL;
  return g_strdup_printf ("%02d:%02d-%02d:%02d", campaign->window_start / 60,
                          campaign->window_start % 60, campaign->window_end / 60,
                          campaign->window_end % 60);
}

gint64
ff_campaign_window_opens_at (const FfCampaign *campaign,
                             gint64            now)
{
  int minute = (int) ((now % 86400) / 60);
  int start = campaign->window_start, end = campaign->window_end;
  gboolean inside;

  if (start < 0)
    return 0;
  inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (inside)
    return 0;
  return now + ((gint64) start * 60 - now % 86400 + 86400) % 86400;
}

gint64
ff_campaign_next_wave_not_before (const FfCampaign *campaign,
                                  gint64            now)
{
  if (campaign->current_wave >= campaign->n_waves
      || g_str_equal (campaign->state, FF_CAMPAIGN_CANCELLED)
      || g_str_equal (campaign->state, FF_CAMPAIGN_COMPLETE))
    return 0;
  return ff_campaign_window_opens_at (campaign, now);
}

void
ff_campaign_free (FfCampaign *campaign)
{
  if (campaign == NULL)
    return;
  g_free (campaign->campaign_id);
  g_free (campaign->name);
  g_free (campaign->firmware_version);
  g_free (campaign->meter_app);
  g_free (campaign->waves);
  g_free (campaign->state);
  g_free (campaign->halt_reason);
  g_free (campaign);
}

void
ff_campaign_terminal_free (FfCampaignTerminal *terminal)
{
  if (terminal == NULL)
    return;
  g_free (terminal->device_id);
  g_free (terminal->link);
  g_free (terminal->state);
  g_free (terminal->command_id);
  g_free (terminal->task_id);
  g_free (terminal->step);
  g_free (terminal->reason);
  g_free (terminal);
}

void
ff_campaign_exclusion_free (FfCampaignExclusion *exclusion)
{
  if (exclusion == NULL)
    return;
  g_free (exclusion->device_id);
  g_free (exclusion->reason);
  g_free (exclusion);
}

/* Reading */

#define CAMPAIGN_COLUMNS \
  "SELECT c.campaign_id, c.name, c.firmware_version, c.waves, c.max_failures," \
  " c.max_failures_percent, c.window_start, c.window_end, c.offline_after, c.state," \
  " c.current_wave, c.wave_started_at, c.halt_reason, c.created_at, c.started_at," \
  " c.finished_at, (SELECT max (wave) FROM campaign_terminals t" \
  "   WHERE t.campaign_id = c.campaign_id),"
#define CAMPAIGN_TAIL \
  " , c.accepted_failures, c.accepted_finished, c.meter_app" \
  " FROM campaigns c"
#define COUNT_STATE(state) \
  "(SELECT count (*) FROM campaign_terminals t WHERE t.campaign_id = c.campaign_id" \
  " AND t.state = '" state "')"

#define SELECT_CAMPAIGNS \
  CAMPAIGN_COLUMNS \
  " (SELECT group_concat (state || '=' || n) FROM (SELECT state, count (*) AS n" \
  "   FROM campaign_terminals t WHERE t.campaign_id = c.campaign_id GROUP BY state))" \
  CAMPAIGN_TAIL

/* The engine reads the running campaigns after every batch of results: their counts are those its
 * failure threshold reads, each an index seek, and the succeeded (a range of up to the whole
 * campaign) only once one failed or a resume accepted some finished. */
const char ff_platform_running_campaigns_sql[] =
  CAMPAIGN_COLUMNS
  " ('failed=' || " COUNT_STATE ("failed") " || ',rolled-back=' || " COUNT_STATE ("rolled-back")
  " || ',succeeded=' || CASE WHEN c.accepted_finished > 0 OR EXISTS (SELECT 1"
  "   FROM campaign_terminals t"
  "   WHERE t.campaign_id = c.campaign_id AND t.state IN ('failed', 'rolled-back'))"
  "   THEN " COUNT_STATE ("succeeded") " ELSE 0 END)"
  CAMPAIGN_TAIL " WHERE c.state = 'running' ORDER BY c.created_at, c.campaign_id";

static int
column_minutes (sqlite3_stmt *stmt,
                int           column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL ? -1
                                                           : sqlite3_column_int (stmt, column);
}

static gpointer
read_campaign (sqlite3_stmt *stmt)
{
  FfCampaign *c = g_new0 (FfCampaign, 1);
  g_autofree char *counts = NULL;
  g_auto(GStrv) pairs = NULL;

  c->campaign_id = ff_sqlite_column_text (stmt, 0);
  c->name = ff_sqlite_column_text (stmt, 1);
  c->firmware_version = ff_sqlite_column_text (stmt, 2);
  c->waves = ff_sqlite_column_text (stmt, 3);
  c->max_failures = sqlite3_column_int64 (stmt, 4);
  c->max_failures_percent = sqlite3_column_int (stmt, 5) != 0;
  c->window_start = column_minutes (stmt, 6);
  c->window_end = column_minutes (stmt, 7);
  c->offline_after = sqlite3_column_int64 (stmt, 8);
  c->state = ff_sqlite_column_text (stmt, 9);
  c->current_wave = sqlite3_column_int64 (stmt, 10);
  c->wave_started_at = sqlite3_column_int64 (stmt, 11);
  c->halt_reason = ff_sqlite_column_text (stmt, 12);
  c->created_at = sqlite3_column_int64 (stmt, 13);
  c->started_at = sqlite3_column_int64 (stmt, 14);
  c->finished_at = sqlite3_column_int64 (stmt, 15);
  c->n_waves = (guint) sqlite3_column_int64 (stmt, 16);
  counts = ff_sqlite_column_text (stmt, 17);
  c->accepted_failures = sqlite3_column_int64 (stmt, 18);
  c->accepted_finished = sqlite3_column_int64 (stmt, 19);
  c->meter_app = ff_sqlite_column_text (stmt, 20);
  pairs = g_strsplit (counts != NULL ? counts : "", ",", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      char *equals = strchr (pairs[i], '=');
      int state;

      if (equals == NULL)
        continue;
      *equals = '\0';
      state = ff_campaign_terminal_state_from_string (pairs[i]);
      if (state >= 0)
        c->counts[state] = g_ascii_strtoll (equals + 1, NULL, 10);
    }
  return c;
}

FfCampaign *
ff_platform_db_require_campaign (FfPlatformDb *db,
                                 const char   *campaign_id,
                                 GError      **error)
{
  g_autoptr(GPtrArray) rows = FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db,
    ff_platform_db_bind (db, SELECT_CAMPAIGNS " WHERE c.campaign_id = ?", error, "s",
                         campaign_id),
    read_campaign, (GDestroyNotify) ff_campaign_free, error));

  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                   _("There is no campaign %s"), campaign_id);
      return NULL;
    }
  return g_ptr_array_steal_index (rows, 0);
}

GPtrArray *
ff_platform_db_list_campaigns (FfPlatformDb *db,
                               gboolean      running,
                               GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db,
    running ? ff_platform_db_bind (db, ff_platform_running_campaigns_sql, error, "")
            : ff_platform_db_bind (db, SELECT_CAMPAIGNS
                                   " ORDER BY c.created_at DESC, c.campaign_id DESC", error, ""),
    read_campaign, (GDestroyNotify) ff_campaign_free, error));
}

#define SELECT_CAMPAIGN_TERMINALS \
  "SELECT device_id, position, wave, link, state, command_id, task_id, step, reason, updated_at" \
  " FROM campaign_terminals"

static gpointer
read_campaign_terminal (sqlite3_stmt *stmt)
{
  FfCampaignTerminal *t = g_new0 (FfCampaignTerminal, 1);

  t->device_id = ff_sqlite_column_text (stmt, 0);
  t->position = sqlite3_column_int64 (stmt, 1);
  t->wave = sqlite3_column_int64 (stmt, 2);
  t->link = ff_sqlite_column_text (stmt, 3);
  t->state = ff_sqlite_column_text (stmt, 4);
  t->command_id = ff_sqlite_column_text (stmt, 5);
  t->task_id = ff_sqlite_column_text (stmt, 6);
  t->step = ff_sqlite_column_text (stmt, 7);
  t->reason = ff_sqlite_column_text (stmt, 8);
  t->updated_at = sqlite3_column_int64 (stmt, 9);
  return t;
}

GPtrArray *
ff_platform_db_list_campaign_terminals (FfPlatformDb *db,
                                        const char   *campaign_id,
                                        gint64        wave,
                                        GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db,
    ff_platform_db_bind (db, SELECT_CAMPAIGN_TERMINALS
                             " WHERE campaign_id = ?1 AND (?2 <= 0 OR wave = ?2)"
                             " ORDER BY wave, position", error, "si", campaign_id, wave),
    read_campaign_terminal, (GDestroyNotify) ff_campaign_terminal_free, error));
}

GPtrArray *
ff_platform_db_page_campaign_terminals (FfPlatformDb *db,
                                        const char   *campaign_id,
                                        gint64        wave,
                                        gint64        after_position,
                                        guint         limit,
                                        GError      **error)
{
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_collect_rows (db,
    ff_platform_db_bind (db, SELECT_CAMPAIGN_TERMINALS
                             " WHERE campaign_id = ?1 AND wave = ?2 AND position > ?3"
                             " ORDER BY position LIMIT ?4", error, "siii", campaign_id, wave,
                         after_position, (gint64) limit),
    read_campaign_terminal, (GDestroyNotify) ff_campaign_terminal_free, error));
}

gint64 *
ff_platform_db_count_campaign_waves (FfPlatformDb     *db,
                                     const FfCampaign *campaign,
                                     GError          **error)
{
  g_autofree gint64 *counts = g_new0 (gint64, MAX (campaign->n_waves, 1)
                                              * FF_CAMPAIGN_TERMINAL_N_STATES);
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;

  ff_platform_db_lock (db);
  stmt = ff_platform_db_bind (db, "SELECT wave, state, count (*) FROM campaign_terminals"
                                  " WHERE campaign_id = ? GROUP BY wave, state",
                              &local_error, "s", campaign->campaign_id);
  while (stmt != NULL && ff_platform_db_next_row (db, stmt, &local_error))
    {
      gint64 wave = sqlite3_column_int64 (stmt, 0);
      int state = ff_campaign_terminal_state_from_string (
                    (const char *) sqlite3_column_text (stmt, 1));

      if (wave >= 1 && wave <= campaign->n_waves && state >= 0)
        counts[(wave - 1) * FF_CAMPAIGN_TERMINAL_N_STATES + state] = sqlite3_column_int64 (stmt,
                                                                                           2);
    }
  ff_platform_db_unlock (db);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&counts);
}

const char ff_platform_campaign_unfinished_sql[] =
  "SELECT count (*) FROM campaign_terminals WHERE campaign_id = ? AND wave = ?"
  " AND state IN ('pending', 'sent', 'downloading', 'installing')";

gint64
ff_platform_db_count_campaign_unfinished (FfPlatformDb *db,
                                          const char   *campaign_id,
                                          gint64        wave,
                                          GError      **error)
{
  sqlite3_stmt *stmt;
  gint64 count = -1;

  ff_platform_db_lock (db);
  stmt = ff_platform_db_bind (db, ff_platform_campaign_unfinished_sql, error, "si", campaign_id,
                              wave);
  if (stmt != NULL && ff_platform_db_next_row (db, stmt, error))
    {
      count = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  ff_platform_db_unlock (db);
  return count;
}

gboolean
ff_platform_db_terminal_in_open_campaign (FfPlatformDb *db,
                                          const char   *device_id,
                                          const char   *except,
                                          char        **campaign_id,
                                          GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;

  *campaign_id = NULL;
  ff_platform_db_lock (db);
  stmt = ff_platform_db_bind (db, "SELECT t.campaign_id FROM campaign_terminals t"
                                  " JOIN campaigns c ON c.campaign_id = t.campaign_id"
                                  " WHERE t.device_id = ?1 AND t.campaign_id IS NOT ?2"
                                  " AND c.state IN ('draft', 'running', 'paused') LIMIT 1",
                              error, "ss", device_id, except);
  if (stmt != NULL && ff_platform_db_next_row (db, stmt, &local_error))
    {
      *campaign_id = ff_sqlite_column_text (stmt, 0);
      sqlite3_reset (stmt);
    }
  ff_platform_db_unlock (db);
  if (stmt == NULL)
    return FALSE;
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* Creating */

typedef struct
{
  FfTerminal *terminal;
  gboolean    networked;
} Selected;

typedef struct
{
  const FfCampaignRequest *request;
  GPtrArray               *excluded;
  char                    *campaign_id;
} Creation;

static void
selected_clear (Selected *selected)
{
  ff_terminal_free (selected->terminal);
}

/* Whether @terminal may be in the campaign: the rules of tasks for the target of its vendor and
 * model, no command to it out unanswered (its wave would send a second), and credentials when it
 * is networked. FALSE with a refusal in @error when not. */
static gboolean
check_terminal (FfPlatformDb     *db,
                const FfTerminal *terminal,
                const char       *version,
                gint64            now,
                gboolean         *networked,
                GError          **error)
{
  g_autoptr(FfFirmware) target = ff_platform_require_firmware (db, terminal, version, error);
  g_autoptr(FfTerminalLink) link = NULL;

  if (target == NULL || !ff_platform_check_target (db, terminal, target, FALSE, NULL, error)
      || !ff_platform_remote_check_none_out (db, terminal, target, now, error))
    return FALSE;
  link = ff_platform_db_get_link (db, terminal->device_id, error);
  if (link == NULL)
    return FALSE;
  *networked = g_str_equal (link->link, FF_LINK_MQTT);
  return !*networked || ff_platform_check_credentials (link, error);
}

static GPtrArray *
find_candidates (FfPlatformDb            *db,
                 const FfCampaignRequest *request,
                 GError                 **error)
{
  g_autoptr(GPtrArray) terminals = NULL;

  if (request->device_ids == NULL)
    {
      FfTerminalFilter filter = { .vendor = request->vendor, .model = request->model,
                                  .version = request->running_version,
                                  .below = request->below };

      return ff_platform_db_find_terminals (db, &filter, error);
    }
  if (!ff_platform_check_named_once (request->device_ids, error))
    return NULL;
  terminals = g_ptr_array_new_with_free_func ((GDestroyNotify) ff_terminal_free);
  for (guint i = 0; request->device_ids[i] != NULL; i++)
    {
      FfTerminal *terminal = ff_platform_db_require_terminal (db, request->device_ids[i], error);

      if (terminal == NULL)
        return NULL;
      g_ptr_array_add (terminals, terminal);
    }
  return g_steal_pointer (&terminals);
}

/* Networked terminals first, each kind by device ID: the order the waves take them in. */
static int
compare_selected (gconstpointer a,
                  gconstpointer b)
{
  const Selected *x = a, *y = b;

  if (x->networked != y->networked)
    return x->networked ? -1 : 1;
  return strcmp (x->terminal->device_id, y->terminal->device_id);
}

/* The wave of the terminal at 0-based @index of @total: the first whose cumulative share reaches
 * past it. A wave too small to hold a terminal of its own takes the next one, so no wave is empty
 * and the renumbered waves run 1, 2, … */
static void
assign_waves (const FfCampaignRequest *request,
              guint                    total,
              GArray                  *waves)
{
  guint end = 0, wave = 0;

  for (guint w = 0; w < request->n_waves && end < total; w++)
    {
      guint want = (guint) (((guint64) total * request->wave_percents[w] + 99) / 100);

      want = MAX (want, end + 1);
      want = MIN (want, total);
      wave++;
      for (; end < want; end++)
        {
          gint64 number = wave;

          g_array_append_val (waves, number);
        }
    }
}

/* Adds @device_id to @excluded, left out for @reason. */
void
ff_campaign_exclude (GPtrArray  *excluded,
                     const char *device_id,
                     const char *reason)
{
  FfCampaignExclusion *exclusion = g_new0 (FfCampaignExclusion, 1);

  exclusion->device_id = g_strdup (device_id);
  exclusion->reason = g_strdup (reason);
  g_ptr_array_add (excluded, exclusion);
}

/* The terminals of a firmware campaign in their order, each with its link, into @ids and
 * @links. */
static gboolean
select_terminals (FfPlatformDb *db,
                  Creation     *creation,
                  GPtrArray    *ids,
                  GPtrArray    *links,
                  GError      **error)
{
  const FfCampaignRequest *request = creation->request;
  g_autoptr(GPtrArray) candidates = find_candidates (db, request, error);
  g_autoptr(GArray) selected = g_array_new (FALSE, TRUE, sizeof (Selected));

  g_array_set_clear_func (selected, (GDestroyNotify) selected_clear);
  if (candidates == NULL)
    return FALSE;
  for (guint i = 0; i < candidates->len; i++)
    {
      Selected entry = { g_ptr_array_index (candidates, i), FALSE };
      g_autoptr(GError) refusal = NULL;

      if (!check_terminal (db, entry.terminal, request->firmware_version, request->now,
                           &entry.networked, &refusal))
        {
          if (request->device_ids != NULL
              || !g_error_matches (refusal, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED))
            {
              g_propagate_error (error, g_steal_pointer (&refusal));
              return FALSE;
            }
          ff_campaign_exclude (creation->excluded, entry.terminal->device_id, refusal->message);
          continue;
        }
      g_array_append_val (selected, entry);
      candidates->pdata[i] = NULL;
    }
  if (selected->len == 0)
    return ff_platform_refuse (error,
                               _("No terminal can be upgraded to %s (selected: %u, left out by the "
                                 "rules: %u)"),
                               request->firmware_version, candidates->len, creation->excluded->len);
  g_array_sort (selected, compare_selected);
  for (guint i = 0; i < selected->len; i++)
    {
      const Selected *entry = &g_array_index (selected, Selected, i);

      g_ptr_array_add (ids, g_strdup (entry->terminal->device_id));
      g_ptr_array_add (links, (gpointer) (entry->networked ? FF_LINK_MQTT : FF_LINK_OFFLINE));
    }
  return TRUE;
}

static gboolean
create_in_transaction (FfPlatformDb *db,
                       gpointer      user_data,
                       GError      **error)
{
  Creation *creation = user_data;
  const FfCampaignRequest *request = creation->request;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) links = g_ptr_array_new ();
  g_autoptr(GArray) waves = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GString) percents = g_string_new (NULL);
  sqlite3_stmt *stmt;
  gint64 count;

  if (request->meter_app != NULL
      ? !ff_campaign_select_meters (db, request, ids, creation->excluded, error)
      : !select_terminals (db, creation, ids, links, error))
    return FALSE;
  assign_waves (request, ids->len, waves);

  stmt = ff_platform_db_bind (db, "SELECT count (*) FROM campaigns", error, "");
  if (stmt == NULL || !ff_platform_db_next_row (db, stmt, error))
    return FALSE;
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  creation->campaign_id = g_strdup_printf ("C%" G_GINT64_FORMAT, count + 1);
  for (guint w = 0; w < request->n_waves; w++)
    g_string_append_printf (percents, "%s%u", w > 0 ? "," : "", request->wave_percents[w]);
  if (!ff_platform_db_run (db, ff_platform_db_bind (db,
        "INSERT INTO campaigns (campaign_id, name, firmware_version, waves, max_failures,"
        " max_failures_percent, window_start, window_end, offline_after, state, created_at,"
        " meter_app)"
        " VALUES (?, ?, ?, ?, ?, ?, nullif (?, -1), nullif (?, -1), ?, 'draft', ?, ?)", error,
        "ssssiiiiiis", creation->campaign_id, request->name, request->firmware_version,
        percents->str, request->max_failures, (gint64) request->max_failures_percent,
        (gint64) request->window_start, (gint64) request->window_end, request->offline_after,
        request->now, request->meter_app), error))
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    if (!ff_platform_db_run (db, ff_platform_db_bind (db,
          "INSERT INTO campaign_terminals (campaign_id, device_id, position, wave, link, state,"
          " updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)", error, "ssiisi",
          creation->campaign_id, (const char *) g_ptr_array_index (ids, i), (gint64) i + 1,
          g_array_index (waves, gint64, i),
          request->meter_app != NULL ? FF_LINK_COAP : (const char *) g_ptr_array_index (links, i),
          request->now), error))
      return FALSE;
  return TRUE;
}

char *
ff_platform_create_campaign (FfPlatformDb            *db,
                             const FfCampaignRequest *request,
                             GPtrArray              **excluded,
                             GError                 **error)
{
  g_autoptr(GPtrArray) left_out =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ff_campaign_exclusion_free);
  Creation creation = { request, left_out, NULL };

  g_return_val_if_fail (request->n_waves > 0
                        && request->wave_percents[request->n_waves - 1] == 100, NULL);
  if (!ff_platform_db_transaction (db, create_in_transaction, &creation, error))
    {
      g_free (creation.campaign_id);
      return NULL;
    }
  if (excluded != NULL)
    *excluded = g_steal_pointer (&left_out);
  return creation.campaign_id;
}

/* The operator's state changes */

/* A cancelled campaign's commands not published yet are withdrawn in the cancel's transaction,
 * their terminals pending again: serve claims a command in a transaction before it publishes it
 * (ff_platform_db_claim_commands), so one withdrawn here never goes out, and one claimed before
 * went out already. Without this a wave recorded while the broker was away, or the rest of a
 * large one being published, went out after the cancel to terminals it had freed for other tasks
 * and campaigns. */
static gboolean
withdraw_unpublished_commands (FfPlatformDb *db,
                               const char   *campaign_id,
                               gint64        now,
                               GError      **error)
{
  return ff_platform_db_run (db, ff_platform_db_bind (db,
           "DELETE FROM remote_commands WHERE published_at IS NULL AND sent_at IS NULL"
           " AND command_id IN (SELECT command_id FROM campaign_terminals WHERE campaign_id = ?1"
           "  AND link = '" FF_LINK_MQTT "' AND state = 'sent')", error, "s", campaign_id), error)
         && ff_platform_db_run (db, ff_platform_db_bind (db,
              "UPDATE campaign_terminals SET state = 'pending', command_id = NULL, updated_at = ?2"
              " WHERE campaign_id = ?1 AND link = '" FF_LINK_MQTT "' AND state = 'sent'"
              " AND NOT EXISTS (SELECT 1 FROM remote_commands c"
              "  WHERE c.command_id = campaign_terminals.command_id)", error, "si", campaign_id,
              now), error);
}

/* A cancelled campaign's tablet work is cancelled with it, in the cancel's transaction: its open
 * tasks (`campaigns tasks`) are withdrawn by the code of `tasks cancel`, so a tablet syncing
 * afterwards no longer gets them and their terminals are free for other tasks and campaigns. */
static gboolean
cancel_tablet_work (FfPlatformDb *db,
                    const char   *campaign_id,
                    gint64        now,
                    GError      **error)
{
  g_autoptr(GPtrArray) terminals = ff_platform_db_list_campaign_terminals (db, campaign_id, 0,
                                                                           error);
  g_autoptr(GPtrArray) task_ids = g_ptr_array_new_with_free_func (g_free);

  if (terminals == NULL)
    return FALSE;
  for (guint i = 0; i < terminals->len; i++)
    {
      const FfCampaignTerminal *t = g_ptr_array_index (terminals, i);

      if (t->task_id != NULL && g_str_equal (t->state, "sent")
          && !g_ptr_array_find_with_equal_func (task_ids, t->task_id, g_str_equal, NULL))
        g_ptr_array_add (task_ids, g_strdup (t->task_id));
    }
  for (guint i = 0; i < task_ids->len; i++)
    if (!ff_platform_cancel_task_within (db, g_ptr_array_index (task_ids, i), now, error))
      return FALSE;
  return TRUE;
}

typedef struct
{
  const char       *campaign_id;
  FfCampaignAction  action;
  gint64            now;
} Acting;

static gboolean
act_in_transaction (FfPlatformDb *db,
                    gpointer      user_data,
                    GError      **error)
{
  static const struct
  {
    const char *from[3];
    const char *to;
  } rules[] = {
    [FF_CAMPAIGN_START] = { { FF_CAMPAIGN_DRAFT }, FF_CAMPAIGN_RUNNING },
    [FF_CAMPAIGN_PAUSE] = { { FF_CAMPAIGN_RUNNING }, FF_CAMPAIGN_PAUSED },
    [FF_CAMPAIGN_RESUME] = { { FF_CAMPAIGN_PAUSED }, FF_CAMPAIGN_RUNNING },
    [FF_CAMPAIGN_CANCEL] = { { FF_CAMPAIGN_DRAFT, FF_CAMPAIGN_RUNNING, FF_CAMPAIGN_PAUSED },
                             FF_CAMPAIGN_CANCELLED },
  };
  Acting *acting = user_data;
  g_autoptr(FfCampaign) campaign = ff_platform_db_require_campaign (db, acting->campaign_id,
                                                                     error);
  const char *to = rules[acting->action].to;
  gboolean allowed = FALSE;

  if (campaign == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (rules[0].from); i++)
    allowed |= g_strcmp0 (rules[acting->action].from[i], campaign->state) == 0;
  if (!allowed)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                   _("Campaign %s is %s: it cannot become %s"), campaign->campaign_id,
                   ff_campaign_state_display (campaign->state), ff_campaign_state_display (to));
      return FALSE;
    }
  /* Resuming a halted campaign accepts the failures so far (the operator looked at them): the
   * threshold counts from here, else it would halt again at its next result. One paused by hand
   * halted for no failure: its threshold counts on, a pause is no way around it. A halted
   * campaign cancelled keeps the reason it halted for (why the rollout stopped). A resume gives
   * the current wave's terminals --offline-after from now: the time paused is no time they had
   * (the commands it held go out only now), else they all went offline at a long pause's end. */
  if (!ff_platform_db_run (db, ff_platform_db_bind (db,
    "UPDATE campaigns SET state = ?2,"
    " halt_reason = CASE WHEN ?2 = 'cancelled' THEN halt_reason END,"
    " wave_started_at = CASE WHEN ?4 AND current_wave > 0 THEN ?3 ELSE wave_started_at END,"
    " started_at = coalesce (started_at, CASE WHEN ?2 = 'running' THEN ?3 END),"
    " finished_at = CASE WHEN ?2 = 'cancelled' THEN ?3 END,"
    " accepted_failures = CASE WHEN ?5 THEN (SELECT count (*) FROM campaign_terminals t"
    "   WHERE t.campaign_id = ?1 AND t.state IN ('failed', 'rolled-back'))"
    "   ELSE accepted_failures END,"
    " accepted_finished = CASE WHEN ?5 THEN (SELECT count (*) FROM campaign_terminals t"
    "   WHERE t.campaign_id = ?1 AND t.state IN ('failed', 'rolled-back', 'succeeded'))"
    "   ELSE accepted_finished END"
    " WHERE campaign_id = ?1", error, "ssiii", acting->campaign_id, to, acting->now,
    (gint64) (acting->action == FF_CAMPAIGN_RESUME),
    (gint64) (acting->action == FF_CAMPAIGN_RESUME && campaign->halt_reason != NULL)), error))
    return FALSE;
  /* A meter's install not offered yet is withdrawn while the campaign stops and queued again
   * when it resumes, in this transaction: never lost, never offered twice. */
  if (acting->action == FF_CAMPAIGN_RESUME)
    return ff_campaign_requeue_meter_installs (db, campaign, acting->now, error);
  if (acting->action == FF_CAMPAIGN_CANCEL
      && (!withdraw_unpublished_commands (db, campaign->campaign_id, acting->now, error)
          || !cancel_tablet_work (db, campaign->campaign_id, acting->now, error)))
    return FALSE;
  if (acting->action == FF_CAMPAIGN_PAUSE || acting->action == FF_CAMPAIGN_CANCEL)
    return ff_campaign_withdraw_meter_installs (db, campaign, acting->now, error);
  return TRUE;
}

gboolean
ff_platform_campaign_act (FfPlatformDb     *db,
                          const char       *campaign_id,
                          FfCampaignAction  action,
                          gint64            now,
                          GError          **error)
{
  Acting acting = { campaign_id, action, now };

  return ff_platform_db_transaction (db, act_in_transaction, &acting, error);
}

/* Tablet work */

typedef struct
{
  FfKey              *key;
  const char         *campaign_id;
  const char         *phone;
  const char *const  *handhelds;
  gint64              now;
  char               *task_id;
  guint               n_terminals;
} TabletWork;

static gboolean
tasks_in_transaction (FfPlatformDb *db,
                      gpointer      user_data,
                      GError      **error)
{
  TabletWork *work = user_data;
  g_autoptr(FfCampaign) campaign = ff_platform_db_require_campaign (db, work->campaign_id, error);
  g_autoptr(GPtrArray) terminals = NULL;
  g_autoptr(GPtrArray) device_ids = g_ptr_array_new ();
  FfTaskRequest request = { 0 };

  if (campaign == NULL)
    return FALSE;
  if (!g_str_equal (campaign->state, FF_CAMPAIGN_RUNNING))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                   _("Campaign %s is %s: only a running campaign gets tablet work"),
                   campaign->campaign_id, ff_campaign_state_display (campaign->state));
      return FALSE;
    }
  terminals = ff_platform_db_list_campaign_terminals (db, work->campaign_id, 0, error);
  if (terminals == NULL)
    return FALSE;
  for (guint i = 0; i < terminals->len; i++)
    {
      const FfCampaignTerminal *t = g_ptr_array_index (terminals, i);

      if (g_str_equal (t->link, FF_LINK_OFFLINE) && g_str_equal (t->state, "pending")
          && t->wave <= campaign->current_wave)
        g_ptr_array_add (device_ids, t->device_id);
    }
  if (device_ids->len == 0)
    return ff_platform_refuse (error,
                               _("Campaign %s has no tablet work in the waves started so far"),
                               campaign->campaign_id);
  g_ptr_array_add (device_ids, NULL);
  request.technician_phone = work->phone;
  request.handhelds = work->handhelds;
  request.device_ids = (const char *const *) device_ids->pdata;
  request.firmware_version = campaign->firmware_version;
  request.campaign_id = campaign->campaign_id;
  request.valid_days = FF_TASK_DEFAULT_VALID_DAYS;
  request.now = work->now;
  work->task_id = ff_platform_create_task_within (db, work->key, &request, error);
  if (work->task_id == NULL)
    return FALSE;
  for (guint i = 0; device_ids->pdata[i] != NULL; i++)
    if (!ff_platform_db_run (db, ff_platform_db_bind (db,
          "UPDATE campaign_terminals SET state = 'sent', task_id = ?3, updated_at = ?4"
          " WHERE campaign_id = ?1 AND device_id = ?2", error, "sssi", work->campaign_id,
          (const char *) device_ids->pdata[i], work->task_id, work->now), error))
      return FALSE;
  work->n_terminals = device_ids->len - 1;
  return TRUE;
}

char *
ff_platform_campaign_create_tasks (FfPlatformDb       *db,
                                   FfKey              *platform_key,
                                   const char         *campaign_id,
                                   const char         *phone,
                                   const char *const  *handhelds,
                                   gint64              now,
                                   guint              *n_terminals,
                                   GError            **error)
{
  TabletWork work = { platform_key, campaign_id, phone, handhelds, now, NULL, 0 };

  if (!ff_platform_db_transaction (db, tasks_in_transaction, &work, error))
    {
      g_free (work.task_id);
      return NULL;
    }
  *n_terminals = work.n_terminals;
  return work.task_id;
}

/* What the terminals tell */

static GMutex observer_lock;
static void (*observer) (gpointer user_data);
static gpointer observer_data;

void
ff_platform_campaigns_set_observer (void     (*changed) (gpointer user_data),
                                    gpointer   user_data)
{
  g_mutex_lock (&observer_lock);
  observer = changed;
  observer_data = user_data;
  g_mutex_unlock (&observer_lock);
}

void
ff_platform_campaigns_changed (void)
{
  g_mutex_lock (&observer_lock);
  if (observer != NULL)
    observer (observer_data);
  g_mutex_unlock (&observer_lock);
}

gboolean
ff_platform_db_campaign_take_result (FfPlatformDb *db,
                                     const char   *device_id,
                                     const char   *command_id,
                                     const char   *outcome,
                                     const char   *step,
                                     const char   *reason,
                                     gint64        now,
                                     GError      **error)
{
  /* A refused command failed at the step that refused it; a terminal already running the
   * package succeeded, as a tablet's "already-current" does (its reason says nothing was
   * installed). */
  const char *state = g_str_equal (outcome, "refused")           ? "failed"
                      : g_str_equal (outcome, "already-current") ? "succeeded"
                                                                 : outcome;

  if (command_id == NULL || ff_campaign_terminal_state_from_string (state) < 0)
    return TRUE;
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
    "UPDATE campaign_terminals SET state = ?2, step = ?3, reason = ?4, updated_at = ?5"
    " WHERE command_id = ?1 AND device_id = ?6", error, "ssssis", command_id, state, step, reason,
    now, device_id), error));
}

gboolean
ff_platform_db_campaign_take_report (FfPlatformDb *db,
                                     const char   *task_id,
                                     const char   *device_id,
                                     const char   *outcome,
                                     gint64        now,
                                     GError      **error)
{
  static const struct { const char *outcome; const char *state; } states[] = {
    { "upgraded", "succeeded" }, { "already-current", "succeeded" }, { "failed", "failed" },
    { "identity-mismatch", "failed" }, { "rolled-back", "rolled-back" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    if (g_str_equal (outcome, states[i].outcome))
      return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
        "UPDATE campaign_terminals SET state = ?3, step = NULL,"
        " reason = CASE WHEN ?3 = 'succeeded' THEN NULL ELSE ?4 END, updated_at = ?5"
        " WHERE task_id = ?1 AND device_id = ?2", error, "ssssi", task_id, device_id,
        states[i].state, outcome, now), error));
  return TRUE;
}

gboolean
ff_platform_db_campaign_take_progress (FfPlatformDb *db,
                                       const char   *device_id,
                                       const char   *command_id,
                                       const char   *step,
                                       gint64        now,
                                       GError      **error)
{
  const char *state = g_strcmp0 (step, "download") == 0 ? "downloading" : "installing";

  /* Progress is QoS 0 and may come late: it never takes back a result. */
  return FF_PLATFORM_DB_LOCKED (db, ff_platform_db_run (db, ff_platform_db_bind (db,
    "UPDATE campaign_terminals SET state = ?2, updated_at = ?3 WHERE command_id = ?1"
    " AND device_id = ?4 AND state IN ('sent', 'downloading', 'installing') AND state != ?2",
    error, "ssis", command_id, state, now, device_id), error));
}

char *
ff_platform_campaigns_signal_path (const char *data_dir)
{
  return g_build_filename (data_dir, "campaigns.changed", NULL);
}

void
ff_platform_campaigns_signal (const char *data_dir)
{
  g_autofree char *path = ff_platform_campaigns_signal_path (data_dir);
  g_autofree char *stamp = g_strdup_printf ("%" G_GINT64_FORMAT "\n", g_get_real_time ());
  g_autoptr(GError) error = NULL;

  /* Only a wake-up: the state is in the database, so a lost signal delays, never loses. */
  if (!g_file_set_contents (path, stamp, -1, &error))
    g_warning ("%s", error->message);
}

gboolean
ff_platform_campaigns_render_metrics (FfPlatformDb  *db,
                                      GString       *text,
                                      GError       **error)
{
  g_autoptr(GPtrArray) campaigns = ff_platform_db_list_campaigns (db, FALSE, error);

  if (campaigns == NULL)
    return FALSE;
  g_string_append (text, "# HELP fieldflash_campaigns Campaigns in each state.\n"
                         "# TYPE fieldflash_campaigns gauge\n");
  for (guint s = 0; s < G_N_ELEMENTS (campaign_states); s++)
    {
      const char *state = campaign_states[s].name;
      guint n = 0;

      for (guint i = 0; i < campaigns->len; i++)
        n += g_str_equal (((FfCampaign *) g_ptr_array_index (campaigns, i))->state, state);
      g_string_append_printf (text, "fieldflash_campaigns{state=\"%s\"} %u\n", state, n);
    }
  g_string_append (text, "# HELP fieldflash_campaign_terminals Terminals of each unfinished "
                         "campaign in each state.\n"
                         "# TYPE fieldflash_campaign_terminals gauge\n");
  for (guint i = 0; i < campaigns->len; i++)
    {
      const FfCampaign *c = g_ptr_array_index (campaigns, i);

      if (g_str_equal (c->state, FF_CAMPAIGN_CANCELLED)
          || g_str_equal (c->state, FF_CAMPAIGN_COMPLETE))
        continue;
      /* Campaign IDs are the platform's own ("C12"): nothing to escape in the label. */
      for (int s = 0; s < FF_CAMPAIGN_TERMINAL_N_STATES; s++)
        g_string_append_printf (text, "fieldflash_campaign_terminals{campaign=\"%s\","
                                "state=\"%s\"} %" G_GINT64_FORMAT "\n", c->campaign_id,
                                ff_campaign_terminal_state_to_string (s), c->counts[s]);
    }
  return TRUE;
}
