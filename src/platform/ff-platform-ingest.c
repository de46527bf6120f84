/* Ingesting an uploaded report: verify, check it against the session and task, store it once. */
#include "config.h"

#include "ff-platform-ingest.h"

#include "ff-platform-campaigns.h"
#include "ff-report.h"
#include "ff-task.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>
#include <string.h>

typedef struct
{
  const FfReport *report;
  GBytes         *bytes;
  GBytes         *signature;
  const char     *session_phone;
  const char     *session_serial;
  gint64          now;
  FfIngestResult *result;
  char           *new_version;   /* the ledger's next version, as the platform spells it */
} Ingest;

static gboolean
forbid (GError    **error,
        const char *message)
{
  g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FORBIDDEN, message);
  return FALSE;
}

/* The version the report shows the terminal running at the end of the visit, if any. */
static const char *
observed_version (const FfReport *report,
                  const char    **checksum)
{
  switch (report->outcome)
    {
    case FF_REPORT_OUTCOME_IDENTITY_MISMATCH:
    case FF_REPORT_OUTCOME_ABORTED:
      return NULL;
    case FF_REPORT_OUTCOME_ALREADY_CURRENT:
      *checksum = report->versions.before_checksum;
      return report->versions.before;
    default:
      *checksum = report->versions.after_checksum;
      return report->versions.after;
    }
}

static gboolean
same_version (const char *a,
              const char *b)
{
  return a != NULL && b != NULL && ff_version_compare (a, b) == 0;
}

/* Whether the report pushed the firmware @version with digest @sha256 (NULL: there is none). */
static gboolean
pushed (const FfReport *report,
        const char     *version,
        const char     *sha256)
{
  return sha256 != NULL && g_strcmp0 (report->firmware_sha256, sha256) == 0
         && same_version (report->firmware_version, version);
}

/* The versions a report of its outcome may leave the terminal at, by what the platform knows of
 * the item: the target; after a rollback the previous firmware; after a failure either of them
 * or the version the ledger said the terminal ran when the task was made (the upgrade did not
 * take). Never a version only the report names, such as its own "before". */
static GPtrArray *
reachable_versions (const FfReport         *report,
                    const FfTaskItemRecord *item)
{
  GPtrArray *versions = g_ptr_array_new ();
  const char *candidates[] = { item->target_version, item->previous_version,
                               item->expected_version };
  gsize first = report->outcome == FF_REPORT_OUTCOME_ROLLED_BACK ? 1 : 0;
  gsize last = report->outcome == FF_REPORT_OUTCOME_FAILED ? 2
               : report->outcome == FF_REPORT_OUTCOME_ROLLED_BACK ? 1 : 0;

  for (gsize i = first; i <= last; i++)
    if (candidates[i] != NULL)
      g_ptr_array_add (versions, (gpointer) candidates[i]);
  return versions;
}

/* A report moves the terminal only to a version its task item can have put there: anything else
 * (a version the tablet made up) is a conflict with what the platform knows, and changes
 * nothing. Sets *@known to that version as the platform spells it ("V2.01" for "v2.1"). */
static gboolean
check_reachable (const FfReport         *report,
                 const FfTaskItemRecord *item,
                 const char             *version,
                 const char            **known,
                 GError                **error)
{
  g_autoptr(GPtrArray) allowed = reachable_versions (report, item);
  g_autofree char *listed = NULL;

  for (guint i = 0; i < allowed->len; i++)
    if (same_version (version, g_ptr_array_index (allowed, i)))
      {
        *known = g_ptr_array_index (allowed, i);
        return TRUE;
      }
  g_ptr_array_add (allowed, NULL);
  listed = g_strjoinv (", ", (char **) allowed->pdata);
  g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
               _("The report says the terminal now runs %s, but a “%s” report of this task item "
                 "can only leave it at %s"),
               version, ff_report_outcome_to_string (report->outcome), listed);
  return FALSE;
}

/* A report may only name the firmware of its task item (the target, or the previous firmware
 * pushed back in a rollback), so it can never put a version the task did not send into the
 * ledger. *@new_version is the version the terminal now runs (NULL: the report does not say). */
static gboolean
check_versions (const FfReport         *report,
                const FfTaskItemRecord *item,
                const char            **new_version,
                GError                **error)
{
  const char *checksum = NULL;
  const char *version = observed_version (report, &checksum);
  gboolean target = pushed (report, item->target_version, item->target_sha256);
  gboolean previous = pushed (report, item->previous_version, item->previous_sha256);

  if (report->versions.target != NULL
      && !same_version (report->versions.target, item->target_version))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FORBIDDEN,
                   _("The report’s target version is %s, but its task sends %s"),
                   report->versions.target, item->target_version);
      return FALSE;
    }
  if (report->outcome == FF_REPORT_OUTCOME_ROLLED_BACK && item->previous_sha256 == NULL)
    return forbid (error, _("The report is of a rollback, but its task has no previous firmware "
                            "for the terminal"));
  if (report->firmware_sha256 != NULL
      && !(target && report->outcome != FF_REPORT_OUTCOME_ROLLED_BACK)
      && !(previous && report->outcome != FF_REPORT_OUTCOME_UPGRADED))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FORBIDDEN,
                   _("The report pushed firmware %s (%s), which its task does not send to the "
                     "terminal for this outcome"),
                   report->firmware_version, report->firmware_sha256);
      return FALSE;
    }
  *new_version = NULL;
  return version == NULL || check_reachable (report, item, version, new_version, error);
}

/* A report that sent a delta patch names the one its task item names (the task document is read
 * only then: an image sent is checked as the firmware above). */
static gboolean
check_sent (FfPlatformDb   *db,
            const FfReport *report,
            GError        **error)
{
  g_autoptr(FfTaskRecord) record = NULL;
  g_autoptr(FfTask) task = NULL;
  const FfTaskItem *item;

  if (!report->transfer.present || !report->transfer.delta)
    return TRUE;
  record = ff_platform_db_get_task (db, report->task_id, error);
  if (record == NULL)
    return FALSE;
  /* The platform wrote and signed the document: it parses. */
  task = ff_task_parse (record->document, error);
  if (task == NULL)
    return FALSE;
  item = ff_task_find_item (task, report->device_id);
  if (item != NULL && item->delta != NULL
      && g_str_equal (item->delta->sha256, report->transfer.sha256))
    return TRUE;
  g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FORBIDDEN,
               _("The report sent delta patch %s, which its task item does not name"),
               report->transfer.sha256);
  return FALSE;
}

/* A second visit of a task item (reopened on the tablet by a supervisor) says which report it
 * follows: that report must be here, of the same item, and the one that closed it if it is
 * closed. A report that follows nothing is the item's first visit, so it cannot come after the
 * item was closed. */
static gboolean
check_follows (FfPlatformDb           *db,
               const FfReport         *report,
               const FfTaskItemRecord *item,
               GError                **error)
{
  g_autoptr(FfReportRecord) earlier = NULL;
  g_autoptr(GError) local_error = NULL;

  if (report->follows != NULL)
    {
      earlier = ff_platform_db_get_report (db, report->follows, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (earlier == NULL || !g_str_equal (earlier->task_id, report->task_id)
          || !g_str_equal (earlier->device_id, report->device_id))
        {
          g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                       _("The report follows report %s, which the platform has not received for "
                         "this terminal and task"), report->follows);
          return FALSE;
        }
    }
  if (item->closing_report_id != NULL
      && g_strcmp0 (item->closing_report_id, report->follows) != 0)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                   _("Terminal %s was closed in task %s by report %s; a new visit must follow "
                     "that report"), report->device_id, report->task_id, item->closing_report_id);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_task (FfPlatformDb *db,
            Ingest       *ingest,
            GError      **error)
{
  const FfReport *report = ingest->report;
  g_autofree char *owner = NULL;
  g_autofree char *task_state = NULL;
  g_autoptr(FfTaskItemRecord) item = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *new_version = NULL;
  gboolean listed = FALSE;

  if (!g_str_equal (report->tablet_serial, ingest->session_serial))
    return forbid (error, _("The report was written on another tablet than this session's"));
  if (!g_str_equal (report->technician_phone, ingest->session_phone))
    return forbid (error, _("The report belongs to another technician"));
  if (!ff_platform_db_get_task_owner (db, report->task_id, &owner, &task_state, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                     _("There is no task %s"), report->task_id);
      return FALSE;
    }
  if (!g_str_equal (owner, ingest->session_phone))
    return forbid (error, _("The task belongs to another technician"));
  if (!ff_platform_db_task_lists_tablet (db, report->task_id, ingest->session_serial, &listed,
                                         error))
    return FALSE;
  if (!listed)
    return forbid (error, _("The task does not list this tablet"));
  item = ff_platform_db_get_task_item (db, report->task_id, report->device_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (item == NULL)
    return forbid (error, _("The terminal of the report is not in its task"));
  if (!check_follows (db, report, item, error)
      || !check_versions (report, item, &new_version, error)
      || !check_sent (db, report, error))
    return FALSE;
  ingest->new_version = g_strdup (new_version);
  return TRUE;
}

static gboolean
apply_version (FfPlatformDb *db,
               Ingest       *ingest,
               GError      **error)
{
  const FfReport *report = ingest->report;
  const char *checksum = NULL;
  const char *version = ingest->new_version;
  g_autoptr(FfTerminal) terminal = NULL;

  if (version == NULL)
    return TRUE;
  observed_version (report, &checksum);
  terminal = ff_platform_db_require_terminal (db, report->device_id, error);
  if (terminal == NULL)
    return FALSE;
  if (same_version (terminal->software_version, version)
      && g_strcmp0 (terminal->software_checksum, checksum ? checksum : "") == 0)
    return TRUE;
  return ff_platform_db_set_terminal_version (db, report->device_id, version, checksum,
                                              ingest->now, error)
         && ff_platform_db_add_history (db, report->device_id, ingest->now,
                                        terminal->software_version, version, checksum, "report",
                                        report->report_id, error);
}

/* The state of @task_id into *@state: open, complete, or cancelled (a report for an item the
 * cancel withdrew is stored all the same). */
static gboolean
read_task_state (FfPlatformDb *db,
                 const char   *task_id,
                 char        **state,
                 GError      **error)
{
  g_autofree char *owner = NULL;

  g_clear_pointer (state, g_free);
  return ff_platform_db_get_task_owner (db, task_id, &owner, state, error);
}

static gboolean
ingest_in_transaction (FfPlatformDb *db,
                       gpointer      user_data,
                       GError      **error)
{
  Ingest *ingest = user_data;
  const FfReport *report = ingest->report;
  g_autoptr(FfReportRecord) known = NULL;
  g_autoptr(GError) local_error = NULL;
  FfReportRecord record = { 0 };
  gboolean complete;

  known = ff_platform_db_get_report (db, report->report_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (known != NULL)
    {
      if (!g_bytes_equal (known->document, ingest->bytes))
        {
          g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                       _("Report %s was already received with different contents"),
                       report->report_id);
          return FALSE;
        }
      ingest->result->duplicate = TRUE;
      return read_task_state (db, report->task_id, &ingest->result->task_state, error);
    }
  if (!check_task (db, ingest, error))
    return FALSE;
  record.report_id = report->report_id;
  record.task_id = report->task_id;
  record.device_id = report->device_id;
  record.tablet_serial = report->tablet_serial;
  record.outcome = (char *) ff_report_outcome_to_string (report->outcome);
  record.created_at = report->created_at;
  record.received_at = ingest->now;
  record.document = ingest->bytes;
  return ff_platform_db_insert_report (db, &record, ingest->signature, error)
         && apply_version (db, ingest, error)
         && ff_platform_db_campaign_take_report (db, report->task_id, report->device_id,
                                                 record.outcome, ingest->now, error)
         && (report->outcome == FF_REPORT_OUTCOME_ABORTED
             || ff_platform_db_close_item (db, report->task_id, report->device_id,
                                           report->report_id, error))
         && ff_platform_db_complete_task_if_done (db, report->task_id, ingest->now, &complete,
                                                  error)
         && read_task_state (db, report->task_id, &ingest->result->task_state, error);
}

gboolean
ff_platform_ingest_report (FfPlatformDb   *db,
                           GBytes         *bytes,
                           GBytes         *signature,
                           const char     *session_phone,
                           const char     *session_serial,
                           gint64          now,
                           FfIngestResult *result,
                           GError        **error)
{
  g_autoptr(FfHandheld) handheld = NULL;
  g_autoptr(FfKey) tablet_key = NULL;
  g_autoptr(FfReport) report = NULL;
  g_autoptr(GError) local_error = NULL;
  Ingest ingest = { 0 };
  gboolean ok;

  memset (result, 0, sizeof *result);
  handheld = ff_platform_db_get_handheld (db, session_serial, &local_error);
  if (handheld == NULL || g_str_equal (handheld->state, FF_HANDHELD_RETIRED))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        forbid (error, _("The tablet is not registered or is retired"));
      return FALSE;
    }
  tablet_key = ff_key_load_public_cached (handheld->public_key_pem, error);
  if (tablet_key == NULL)
    return FALSE;
  /* The signature first, over the bytes as received, with the key of the session's tablet: a
   * body that tablet did not sign is never parsed (403), and only a signed one can be a 400. */
  report = ff_report_load_signed (bytes, signature, tablet_key, error);
  if (report == NULL)
    return FALSE;
  ingest.report = report;
  ingest.bytes = bytes;
  ingest.signature = signature;
  ingest.session_phone = session_phone;
  ingest.session_serial = session_serial;
  ingest.now = now;
  ingest.result = result;
  ok = ff_platform_db_transaction (db, ingest_in_transaction, &ingest, error);
  g_free (ingest.new_version);
  if (!ok)
    return FALSE;
  /* Committed: the campaign engine looks at the terminal's campaign, if any. */
  if (!result->duplicate)
    ff_platform_campaigns_changed ();
  result->report_id = g_strdup (report->report_id);
  return TRUE;
}

void
ff_ingest_result_clear (FfIngestResult *result)
{
  g_clear_pointer (&result->report_id, g_free);
  g_clear_pointer (&result->task_state, g_free);
}
