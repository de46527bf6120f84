/* fieldflash-cli field verbs: login, sync, tasks, run, rollback, reports, upload and key — the
 * tablet's whole job from a shell, driving the same core objects as the app. */
#include "config.h"

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ff-cli.h"
#include "ff-geo.h"
#include "ff-gps-simulated.h"
#include "ff-gpsd-source.h"
#include "ff-report-pdf.h"
#include "ff-report.h"
#include "ff-store.h"
#include "ff-supervisor.h"
#include "ff-sync.h"
#include "ff-tablet.h"
#include "ff-task.h"
#include "ff-upload-queue.h"
#include "ff-workflow.h"

#define UPLOAD_ATTEMPTS 4
#define UPLOAD_FIRST_PAUSE_MS 500

/* Options every field verb takes. */
static char *option_data_dir;
static char *option_serial;

static const GOptionEntry common_entries[] = {
  { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &option_data_dir,
    N_("The tablet's data directory (default: $FIELDFLASH_TABLET_DIR)"), "DIR" },
  { "serial", 0, 0, G_OPTION_ARG_STRING, &option_serial,
    N_("This tablet's serial number (set once, at first use)"), "SERIAL" },
  { NULL }
};

static int
fail_with (int code, const char *message)
{
  g_printerr ("fieldflash-cli: %s\n", message);
  return code;
}

static int
exit_code_for (const GError *error)
{
  if (error->domain == FF_SYNC_ERROR)
    switch (error->code)
      {
      case FF_SYNC_ERROR_CONNECTION:
      case FF_SYNC_ERROR_SERVER:
        return FF_CLI_EXIT_CONNECTION;
      case FF_SYNC_ERROR_UNAUTHORIZED:
      case FF_SYNC_ERROR_REFUSED:
      case FF_SYNC_ERROR_CERTIFICATE:
        return FF_CLI_EXIT_REFUSED;
      default:
        return FF_CLI_EXIT_FAILURE;
      }
  if (g_error_matches (error, FF_TABLET_ERROR, FF_TABLET_ERROR_NOT_ENROLLED))
    return FF_CLI_EXIT_REFUSED;
  if (error->domain == FF_GPS_ERROR && error->code == FF_GPS_ERROR_BAD_ADDRESS)
    return FF_CLI_EXIT_USAGE;
  return FF_CLI_EXIT_FAILURE;
}

static int
fail (const GError *error)
{
  return fail_with (exit_code_for (error), error->message);
}

/* Parses the verb's own entries plus the common ones; returns -1 to go on, else an exit code. */
static int
parse_options (int *argc, char ***argv, const char *parameter, const GOptionEntry *entries)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameter);
  g_autoptr(GError) error = NULL;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, common_entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    return fail_with (FF_CLI_EXIT_USAGE, error->message);
  if (*argc > 1)
    {
      g_autofree char *message = g_strdup_printf (_("Unexpected argument “%s”."), (*argv)[1]);
      return fail_with (FF_CLI_EXIT_USAGE, message);
    }
  return -1;
}

/* Opens the tablet of --data-dir (else the default one), giving it --serial at first use; only
 * the verbs that set a tablet up (key, login) may make a new one. Verbs that act as this tablet
 * toward the platform or a terminal need its serial. */
static FfTablet *
open_tablet (FfTabletOpening how, gboolean serial_required, GError **error)
{
  g_autoptr(FfTablet) tablet = ff_tablet_open (option_data_dir, option_serial, how, error);

  if (tablet != NULL && serial_required && ff_tablet_get_serial (tablet) == NULL)
    {
      g_set_error (error, FF_TABLET_ERROR, FF_TABLET_ERROR_SERIAL,
                   _("This tablet has no serial yet: give --serial SERIAL once."));
      return NULL;
    }
  return g_steal_pointer (&tablet);
}

/* An enrolment file (pinned key or certificate) given on the command line. */
static gboolean
read_enrolment_file (const char *path, char **contents, GError **error)
{
  return path == NULL || g_file_get_contents (path, contents, NULL, error);
}

/* The CLI runs one asynchronous step at a time. */
static void
step_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_step (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* ---- key, login ----------------------------------------------------------------------------- */

int
ff_cli_key (int argc, char **argv)
{
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;
  int code = parse_options (&argc, &argv, NULL, NULL);

  if (code >= 0)
    return code;
  if ((tablet = open_tablet (FF_TABLET_OPEN_OR_SET_UP, FALSE, &error)) == NULL)
    return fail (error);
  pem = ff_key_get_public_pem (ff_tablet_get_key (tablet));
  fputs (pem, stdout);
  return FF_CLI_EXIT_OK;
}

static char *
read_line_from_stdin (void)
{
  char buffer[256];

  if (fgets (buffer, sizeof buffer, stdin) == NULL)
    return NULL;
  return g_strstrip (g_strdup (buffer));
}

int
ff_cli_login (int argc, char **argv)
{
  g_autofree char *platform = NULL;
  g_autofree char *platform_key = NULL;
  g_autofree char *platform_cert = NULL;
  g_autofree char *phone = NULL;
  g_autofree char *pin = NULL;
  const GOptionEntry entries[] = {
    { "platform", 0, 0, G_OPTION_ARG_STRING, &platform, N_("The platform's URL (at enrolment)"),
      "URL" },
    { "platform-key", 0, 0, G_OPTION_ARG_FILENAME, &platform_key,
      N_("The platform's public key to pin (at enrolment)"), "FILE" },
    { "platform-cert", 0, 0, G_OPTION_ARG_FILENAME, &platform_cert,
      N_("The platform's TLS certificate to pin (at enrolment)"), "FILE" },
    { "phone", 0, 0, G_OPTION_ARG_STRING, &phone, N_("The technician's mobile number"), "PHONE" },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &pin, N_("The PIN (read from standard input if not given)"),
      "PIN" },
    { NULL }
  };
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *cert_pem = NULL;
  int code = parse_options (&argc, &argv, NULL, entries);

  if (code >= 0)
    return code;
  if (phone == NULL || !ff_phone_is_valid (phone))
    return fail_with (FF_CLI_EXIT_USAGE,
                      _("Give the technician's 11-digit mobile number with --phone."));
  if ((tablet = open_tablet (FF_TABLET_OPEN_OR_SET_UP, TRUE, &error)) == NULL
      || !read_enrolment_file (platform_key, &key_pem, &error)
      || !read_enrolment_file (platform_cert, &cert_pem, &error)
      || !ff_tablet_set_platform (tablet, platform, key_pem, cert_pem, &error))
    return fail (error);
  if (pin == NULL)
    {
      if (isatty (STDIN_FILENO))
        g_print ("%s ", _("PIN:"));
      pin = read_line_from_stdin ();
      if (pin == NULL || *pin == '\0')
        return fail_with (FF_CLI_EXIT_USAGE, _("No PIN given."));
    }
  sync = ff_tablet_create_sync (tablet, &error);
  if (sync == NULL)
    return fail (error);
  ff_sync_login_async (sync, phone, pin, ff_tablet_get_serial (tablet), NULL, step_done, &result);
  if (!ff_sync_login_finish (sync, wait_step (&result), &error))
    return fail (error);
  g_print (_("Logged in as %s on tablet %s.\n"), phone, ff_tablet_get_serial (tablet));
  return FF_CLI_EXIT_OK;
}

/* ---- sync, tasks ---------------------------------------------------------------------------- */

static void
print_refusal (FfSync *sync, const char *task_id, const char *reason, guint *refusals)
{
  g_autofree char *message = g_strdup_printf (_("Task %s refused: %s"), task_id, reason);

  g_printerr ("fieldflash-cli: %s\n", message);
  (*refusals)++;
}

int
ff_cli_sync (int argc, char **argv)
{
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_auto(GStrv) stored = NULL;
  guint refusals = 0;
  int code = parse_options (&argc, &argv, NULL, NULL);

  if (code >= 0)
    return code;
  if ((tablet = open_tablet (FF_TABLET_OPEN_EXISTING, TRUE, &error)) == NULL
      || (sync = ff_tablet_create_sync (tablet, &error)) == NULL)
    return fail (error);
  g_signal_connect (sync, "task-refused", G_CALLBACK (print_refusal), &refusals);
  ff_sync_fetch_tasks_async (sync, NULL, step_done, &result);
  stored = ff_sync_fetch_tasks_finish (sync, wait_step (&result), &error);
  if (stored == NULL)
    return fail (error);
  for (guint i = 0; stored[i] != NULL; i++)
    g_print (_("Task %s stored, with its firmware verified.\n"), stored[i]);
  if (stored[0] == NULL && refusals == 0)
    g_print ("%s\n", _("No tasks for this technician and tablet."));
  return refusals > 0 ? FF_CLI_EXIT_REFUSED : FF_CLI_EXIT_OK;
}

/* LAT,LON in plain decimal degrees, as the ledger holds them (not "0x10" or "1e1"). */
static gboolean
parse_position (const char *text, FfGeoPoint *point)
{
  g_auto(GStrv) parts = text != NULL ? g_strsplit (text, ",", 2) : NULL;

  return parts != NULL && g_strv_length (parts) == 2
         && ff_geo_parse_degrees (parts[0], 90.0, &point->latitude)
         && ff_geo_parse_degrees (parts[1], 180.0, &point->longitude);
}

int
ff_cli_tasks (int argc, char **argv)
{
  g_autofree char *from = NULL;
  const GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_STRING, &from,
      N_("Order the open terminals for a walk from here (distance and bearing)"), "LAT,LON" },
    { NULL }
  };
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  FfGeoPoint here;
  int code = parse_options (&argc, &argv, NULL, entries);

  if (code >= 0)
    return code;
  if (from != NULL && !parse_position (from, &here))
    return fail_with (FF_CLI_EXIT_USAGE,
                      _("--from takes LAT,LON as plain decimal degrees, such as 39.915,116.404."));
  if ((tablet = open_tablet (FF_TABLET_OPEN_EXISTING, FALSE, &error)) == NULL
      || (ids = ff_store_list_task_ids (ff_tablet_get_store (tablet), &error)) == NULL)
    return fail (error);
  for (guint t = 0; ids[t] != NULL; t++)
    {
      g_autoptr(FfTask) task = ff_tablet_load_task (tablet, ids[t], NULL, &error);
      g_autoptr(GArray) stops = g_array_new (FALSE, FALSE, sizeof (FfGeoPoint));
      g_autoptr(GPtrArray) open_items = g_ptr_array_new ();
      g_autofree char *expires = NULL;
      g_autoptr(GArray) order = NULL;

      if (task == NULL)
        return fail (error);
      expires = ff_timestamp_format (task->expires_at);
      g_print (_("Task %s (%u terminals, expires %s)\n"), task->task_id, task->items->len, expires);
      if (ff_tablet_task_is_withdrawn (tablet, task->task_id))
        g_print ("  %s\n", _("Withdrawn by the platform: only a visit already under way can be "
                             "finished."));
      for (guint i = 0; i < task->items->len; i++)
        {
          FfTaskItem *item = task->items->pdata[i];
          g_autofree char *state = ff_tablet_get_visit_state (tablet, task->task_id,
                                                              item->device_id);
          FfGeoPoint at = { item->latitude, item->longitude };

          if (from == NULL || g_str_equal (state, "done"))
            g_print ("  %-16s %-10s %s → %s  %s\n", item->device_id, state, item->expected_version,
                     item->target.version, item->name);
          else
            {
              g_array_append_val (stops, at);
              g_ptr_array_add (open_items, item);
            }
        }
      if (from == NULL)
        continue;
      order = ff_geo_visiting_order (&here, (const FfGeoPoint *) stops->data, stops->len);
      for (guint k = 0; k < order->len; k++)
        {
          guint index = g_array_index (order, guint, k);
          FfTaskItem *item = open_items->pdata[index];
          FfGeoPoint *at = &g_array_index (stops, FfGeoPoint, index);

          g_print ("  %u. %-16s %8.0f m %5.0f°  %s\n", k + 1, item->device_id,
                   ff_geo_distance_m (&here, at), ff_geo_bearing_deg (&here, at), item->name);
          here = *at;
        }
    }
  return FF_CLI_EXIT_OK;
}

/* ---- run, rollback -------------------------------------------------------------------------- */

typedef enum
{
  DECIDE_ASK,       /* ask on the terminal */
  DECIDE_YES,       /* --yes: confirm pushes; override only with --override-reason (and the
                     * supervisor's PIN, asked on the terminal); leave failures waiting */
  DECIDE_ROLLBACK,  /* the rollback verb */
  DECIDE_DECLINE,   /* rollback --decline: close the failed visit */
} Policy;

typedef struct
{
  FfWorkflow       *workflow;
  Policy            policy;
  const char       *supervisor;
  const char       *override_reason;
  GDataInputStream *input;
  gboolean          asking;
  gboolean          asking_pin;   /* the line being read is the supervisor's PIN */
  char             *pin;          /* read, while the reason is asked */
  gboolean          waiting;      /* stopped at a decision the policy leaves open */
  GCancellable     *cancellable;
  int               last_percent;
  int               remeasure;    /* "Measure again" left before the mismatch is decided */
  guint             ask_id;       /* the pending ask_from_idle, one at a time */
} Runner;

static void ask_next (Runner *runner);
static void prompt (Runner *runner, const char *question);

/* A PIN typed on a terminal is not shown; from a pipe it is one line like any other. */
static void
set_echo (gboolean on)
{
  struct termios mode;

  if (!isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, &mode) != 0)
    return;
  if (on)
    mode.c_lflag |= ECHO;
  else
    mode.c_lflag &= ~(tcflag_t) ECHO;
  tcsetattr (STDIN_FILENO, TCSANOW, &mode);
}

static void
forget_pin (Runner *runner)
{
  if (runner->pin != NULL)
    memset (runner->pin, 0, strlen (runner->pin));
  g_clear_pointer (&runner->pin, g_free);
}

/* The supervisor's PIN, then the reason unless --override-reason gave it; an empty line closes. */
static void
override_answered (Runner *runner, char *line, GError **error)
{
  gboolean empty = line == NULL || *g_strstrip (line) == '\0';

  if (runner->asking_pin)
    {
      runner->asking_pin = FALSE;
      set_echo (TRUE);
      g_print ("\n");
      if (empty)
        ff_workflow_close (runner->workflow, error);
      else if (runner->override_reason != NULL)
        ff_workflow_override_identity (runner->workflow, runner->supervisor, line,
                                       runner->override_reason, error);
      else
        {
          runner->pin = g_strdup (line);
          prompt (runner, _("Type the supervisor's reason to override (empty: stop here):"));
        }
    }
  else if (empty)
    ff_workflow_close (runner->workflow, error);
  else
    ff_workflow_override_identity (runner->workflow, runner->supervisor, runner->pin, line, error);
  if (line != NULL)
    memset (line, 0, strlen (line));
  if (!runner->asking)
    forget_pin (runner);
}

static void
answered (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Runner *runner = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object),
                                                                     result, NULL, &error);
  FfWorkflowState state = ff_workflow_get_state (runner->workflow);
  gboolean yes = line != NULL && (g_ascii_strcasecmp (g_strstrip (line), "y") == 0
                                  || g_ascii_strcasecmp (line, "yes") == 0);

  runner->asking = FALSE;
  if (state == FF_WORKFLOW_STATE_CONFIRM && yes)
    ff_workflow_confirm_push (runner->workflow, &error);
  else if (state == FF_WORKFLOW_STATE_FAILED && yes)
    ff_workflow_roll_back (runner->workflow, &error);
  else if (state == FF_WORKFLOW_STATE_CONFIRM || state == FF_WORKFLOW_STATE_FAILED)
    ff_workflow_close (runner->workflow, &error);
  else if (state == FF_WORKFLOW_STATE_IDENTITY_MISMATCH)
    override_answered (runner, line, &error);
  if (error != NULL)
    {
      g_printerr ("fieldflash-cli: %s\n", error->message);
      /* Three wrong PINs: no override until the next sync, so the visit ends here. */
      if (g_error_matches (error, FF_SUPERVISOR_ERROR, FF_SUPERVISOR_ERROR_LOCKED))
        ff_workflow_close (runner->workflow, NULL);
      else
        ask_next (runner);
    }
}

static void
prompt (Runner *runner, const char *question)
{
  g_print ("%s ", question);
  runner->asking = TRUE;
  g_data_input_stream_read_line_async (runner->input, G_PRIORITY_DEFAULT, NULL, answered, runner);
}

/* What the technician decides, from the policy or asked on the terminal. */
static void
ask_next (Runner *runner)
{
  FfWorkflow *workflow = runner->workflow;
  const FfTaskItem *item = ff_workflow_get_item (workflow);
  FfWorkflowState state = ff_workflow_get_state (workflow);
  g_autoptr(GError) error = NULL;
  g_autofree char *question = NULL;

  if (runner->asking)
    return;
  switch (state)
    {
    case FF_WORKFLOW_STATE_CONFIRM:
      if (runner->policy == DECIDE_YES)
        ff_workflow_confirm_push (workflow, &error);
      else if (runner->policy == DECIDE_ASK)
        {
          question = g_strdup_printf (_("Push %s to %s now? [y/N]"), item->target.version,
                                      item->device_id);
          prompt (runner, question);
        }
      break;
    case FF_WORKFLOW_STATE_IDENTITY_MISMATCH:
      if (runner->remeasure > 0 && ff_workflow_can_measure_again (workflow))
        {
          if (ff_workflow_measure_again (workflow, &error))
            runner->remeasure--;
        }
      else if (runner->supervisor != NULL
          && (runner->policy == DECIDE_ASK || runner->override_reason != NULL))
        {
          question = g_strdup_printf (_("PIN of supervisor %s (empty: stop here):"),
                                      runner->supervisor);
          runner->asking_pin = TRUE;
          set_echo (FALSE);
          prompt (runner, question);
        }
      else
        ff_workflow_close (workflow, &error);
      break;
    case FF_WORKFLOW_STATE_FAILED:
      if (runner->policy == DECIDE_ROLLBACK)
        ff_workflow_roll_back (workflow, &error);
      else if (runner->policy == DECIDE_DECLINE)
        ff_workflow_close (workflow, &error);
      else if (runner->policy == DECIDE_ASK)
        {
          question = g_strdup_printf (_("Roll %s back to %s? [y/N]"), item->device_id,
                                      item->previous->version);
          prompt (runner, question);
        }
      else
        {
          runner->waiting = TRUE;
          g_cancellable_cancel (runner->cancellable);
        }
      break;
    default:
      break;
    }
  if (error != NULL)
    g_printerr ("fieldflash-cli: %s\n", error->message);
}

static gboolean
ask_from_idle (gpointer user_data)
{
  Runner *runner = user_data;

  runner->ask_id = 0;
  ask_next (runner);
  return G_SOURCE_REMOVE;
}

/* One line per state once it is persisted: scripts and the kill-at-every-state test follow it.
 * One ask is pending at a time: when the main loop is busy, two states can be persisted before
 * it is idle, and an ask for each would take the decision twice — the second one while the first
 * is being stored, refused ("is not waiting for this decision") and its --remeasure spent. */
static void
on_state (FfWorkflow *workflow, GParamSpec *pspec, Runner *runner)
{
  g_print ("-- %s\n", ff_workflow_state_to_string (ff_workflow_get_state (workflow)));
  if (runner->ask_id == 0)
    runner->ask_id = g_idle_add (ask_from_idle, runner);
}

static void
on_event (FfWorkflow *workflow, const char *step, const char *message, Runner *runner)
{
  g_print ("[%s] %s\n", step, message);
}

static void
on_progress (FfWorkflow *workflow, GParamSpec *pspec, Runner *runner)
{
  guint64 sent, total;
  double eta;
  int percent;

  g_object_get (workflow, "bytes-sent", &sent, "bytes-total", &total, "eta-seconds", &eta, NULL);
  percent = total > 0 ? (int) (100 * sent / total) : 0;
  if (percent / 10 == runner->last_percent / 10 || !isatty (STDOUT_FILENO))
    return;
  runner->last_percent = percent;
  g_print (_("  %d %% (%llu of %llu bytes, %.0f s left)\n"), percent, (unsigned long long) sent,
           (unsigned long long) total, eta >= 0 ? eta : 0);
}

/* The outcome for people, with its identifier for scripts: "Upgraded [upgraded]". */
static char *
describe_outcome (const char *outcome)
{
  FfReportOutcome parsed;

  if (!ff_report_outcome_from_string (outcome, &parsed))
    return g_strdup (outcome);
  return g_strdup_printf ("%s [%s]", ff_report_outcome_describe (parsed), outcome);
}

/* A saved report's outcome for people (which check failed, for a mismatch), with its identifier. */
static char *
describe_report (FfTablet *tablet, const char *report_id, const char *outcome)
{
  g_autoptr(GBytes) document = NULL, signature = NULL;
  g_autoptr(FfReport) report = NULL;

  if (report_id == NULL
      || !ff_store_load_report (ff_tablet_get_store (tablet), report_id, &document, &signature,
                                NULL)
      || (report = ff_report_parse (document, NULL)) == NULL)
    return describe_outcome (outcome);
  return g_strdup_printf ("%s [%s]", ff_report_describe (report), outcome);
}

static int
exit_code_for_outcome (const char *outcome)
{
  if (g_strcmp0 (outcome, "upgraded") == 0 || g_strcmp0 (outcome, "already-current") == 0)
    return FF_CLI_EXIT_OK;
  if (g_strcmp0 (outcome, "identity-mismatch") == 0)
    return FF_CLI_EXIT_REFUSED;
  return FF_CLI_EXIT_FAILURE;
}

/* The simulated GPS at @fixed (--gps), or gpsd. */
static FfGpsSource *
make_gps (const FfGeoPoint *fixed, const char *gpsd, GError **error)
{
  g_autofree char *host = NULL;
  g_autofree char *port = NULL;

  if (fixed != NULL)
    {
      FfGpsSimulated *simulated = ff_gps_simulated_new ();

      ff_gps_simulated_set_position (simulated, fixed->latitude, fixed->longitude);
      return FF_GPS_SOURCE (simulated);
    }
  if (!ff_gpsd_source_parse_address (gpsd != NULL ? gpsd : "127.0.0.1:2947", &host, &port, error))
    return NULL;
  return FF_GPS_SOURCE (ff_gpsd_source_new (host, port));
}

/* Asks for the supervisor's PIN until it is taken, an empty line, or the lock. */
static gboolean
reopen_visit (FfWorkflow        *workflow,
              const char        *supervisor,
              GDataInputStream  *input,
              GError           **error)
{
  for (;;)
    {
      g_autofree char *line = NULL;
      g_autoptr(GError) local_error = NULL;
      gboolean taken;

      g_print (_("PIN of supervisor %s (empty: stop here):"), supervisor);
      g_print (" ");
      set_echo (FALSE);
      line = g_data_input_stream_read_line_utf8 (input, NULL, NULL, &local_error);
      set_echo (TRUE);
      g_print ("\n");
      if (line == NULL || *g_strstrip (line) == '\0')
        {
          if (local_error != NULL)
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            g_set_error (error, FF_WORKFLOW_ERROR, FF_WORKFLOW_ERROR_BAD_DECISION,
                         _("The visit was not reopened."));
          return FALSE;
        }
      taken = ff_workflow_reopen (workflow, supervisor, line, &local_error);
      memset (line, 0, strlen (line));
      if (taken)
        {
          g_print ("%s\n", ff_workflow_get_message (workflow));
          return TRUE;
        }
      if (!g_error_matches (local_error, FF_SUPERVISOR_ERROR, FF_SUPERVISOR_ERROR_WRONG_PIN))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_printerr ("fieldflash-cli: %s\n", local_error->message);
    }
}

static int
run_workflow (int argc, char **argv, Policy default_policy)
{
  g_autofree char *device_id = NULL;
  g_autofree char *task_id = NULL;
  g_autofree char *gps = NULL;
  g_autofree char *gpsd = NULL;
  g_autofree char *supervisor = NULL;
  g_autofree char *override_reason = NULL;
  gboolean yes = FALSE, decline = FALSE, reopen = FALSE, finished;
  int gps_timeout = 30;
  double gps_settle = 5;
  int remeasure = 0;
  const GOptionEntry run_entries[] = {
    { "terminal", 0, 0, G_OPTION_ARG_STRING, &device_id, N_("The terminal's device ID"), "ID" },
    { "task", 0, 0, G_OPTION_ARG_STRING, &task_id, N_("The task (default: the one that lists it)"),
      "TASK" },
    { "gps", 0, 0, G_OPTION_ARG_STRING, &gps, N_("A fixed position instead of a receiver"),
      "LAT,LON" },
    { "gpsd", 0, 0, G_OPTION_ARG_STRING, &gpsd, N_("gpsd to read the position from"),
      "HOST:PORT" },
    { "gps-settle", 0, 0, G_OPTION_ARG_DOUBLE, &gps_settle,
      N_("Seconds of consecutive GPS fixes identify judges by their median (default 5)"),
      "SECONDS" },
    { "remeasure", 0, 0, G_OPTION_ARG_INT, &remeasure,
      N_("At a position mismatch, measure again up to N times before overriding or closing"),
      "N" },
    { "gps-timeout", 0, 0, G_OPTION_ARG_INT, &gps_timeout,
      N_("Seconds to wait for a GPS fix (default 30)"), "SECONDS" },
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &yes,
      N_("Confirm the push without asking (identity overrides and rollbacks still need a person)"),
      NULL },
    { "supervisor", 0, 0, G_OPTION_ARG_STRING, &supervisor,
      N_("Supervisor who overrides an identity mismatch (asks for the supervisor's PIN)"),
      "NAME" },
    { "override-reason", 0, 0, G_OPTION_ARG_STRING, &override_reason,
      N_("Override an identity mismatch with this reason (needs --supervisor)"), "TEXT" },
    { "reopen", 0, 0, G_OPTION_ARG_NONE, &reopen,
      N_("Visit a finished terminal again: a new visit whose report follows the earlier one "
         "(needs --supervisor, asks for the supervisor's PIN)"), NULL },
    { NULL }
  };
  const GOptionEntry rollback_entries[] = {
    { "terminal", 0, 0, G_OPTION_ARG_STRING, &device_id, N_("The terminal's device ID"), "ID" },
    { "task", 0, 0, G_OPTION_ARG_STRING, &task_id, N_("The task (default: the one that lists it)"),
      "TASK" },
    { "decline", 0, 0, G_OPTION_ARG_NONE, &decline,
      N_("Do not roll back: close the failed visit as it is"), NULL },
    { NULL }
  };
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfGpsSource) source = NULL;
  g_autoptr(FfWorkflow) workflow = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GInputStream) stdin_stream = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *found_task = NULL;
  g_autofree char *outcome = NULL;
  Runner runner = { 0 };
  FfGeoPoint fixed;
  gboolean rollback = default_policy == DECIDE_ROLLBACK;
  int code = parse_options (&argc, &argv, NULL, rollback ? rollback_entries : run_entries);

  if (code >= 0)
    return code;
  /* Progress is followed line by line, also through a pipe. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (device_id == NULL)
    return fail_with (FF_CLI_EXIT_USAGE, _("Give the terminal with --terminal ID."));
  if (override_reason != NULL && supervisor == NULL)
    return fail_with (FF_CLI_EXIT_USAGE, _("--override-reason needs --supervisor NAME."));
  if (reopen && supervisor == NULL)
    return fail_with (FF_CLI_EXIT_USAGE, _("--reopen needs --supervisor NAME."));
  if (gps != NULL && gpsd != NULL)
    return fail_with (FF_CLI_EXIT_USAGE, _("Give --gps or --gpsd, not both."));
  if (gps != NULL && !parse_position (gps, &fixed))
    return fail_with (FF_CLI_EXIT_USAGE,
                      _("--gps takes LAT,LON as plain decimal degrees, such as 39.915,116.404."));
  if (gps_settle < 0 || gps_settle > 600)
    return fail_with (FF_CLI_EXIT_USAGE, _("--gps-settle takes 0 to 600 seconds."));
  if (remeasure < 0 || remeasure > 100)
    return fail_with (FF_CLI_EXIT_USAGE, _("--remeasure takes 0 to 100."));
  if (gps_timeout < 1 || gps_timeout > 3600)
    return fail_with (FF_CLI_EXIT_USAGE, _("--gps-timeout takes 1 to 3600 seconds."));
  if (task_id != NULL)
    found_task = g_strdup (task_id);
  if ((tablet = open_tablet (FF_TABLET_OPEN_EXISTING, TRUE, &error)) == NULL
      || (found_task == NULL
          && (found_task = ff_tablet_find_task_for (tablet, device_id, &error)) == NULL)
      || (source = make_gps (gps != NULL ? &fixed : NULL, gpsd, &error)) == NULL
      || (workflow = ff_tablet_create_workflow (tablet, source, found_task, device_id,
                                                &error)) == NULL)
    return fail (error);
  g_object_set (workflow, "gps-timeout", (guint) gps_timeout, "gps-settle-seconds", gps_settle,
                NULL);
  /* A rollback that was stopped half way (a kill, a flat battery) goes on like any visit. */
  if (rollback && ff_workflow_get_state (workflow) != FF_WORKFLOW_STATE_FAILED
      && !ff_workflow_is_rolling_back (workflow))
    {
      g_autofree char *message =
        g_strdup_printf (_("%s is at “%s”: there is no failed upgrade to roll back."), device_id,
                         ff_workflow_state_to_string (ff_workflow_get_state (workflow)));
      return fail_with (FF_CLI_EXIT_USAGE, message);
    }
  stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  runner.input = g_data_input_stream_new (stdin_stream);
  if (ff_workflow_get_state (workflow) == FF_WORKFLOW_STATE_DONE && reopen)
    {
      if (!reopen_visit (workflow, supervisor, runner.input, &error))
        {
          g_clear_object (&runner.input);
          return fail (error);
        }
    }
  else if (ff_workflow_get_state (workflow) == FF_WORKFLOW_STATE_DONE)
    {
      g_autofree char *outcome = describe_report (tablet, ff_workflow_get_report_id (workflow),
                                                  ff_workflow_get_outcome (workflow));

      g_clear_object (&runner.input);
      g_print (_("%s: the visit is finished: %s; report %s.\n"), device_id, outcome,
               ff_workflow_get_report_id (workflow));
      g_print (_("A supervisor may reopen it for a new visit: add --reopen --supervisor NAME.\n"));
      return exit_code_for_outcome (ff_workflow_get_outcome (workflow));
    }
  else if (reopen)
    {
      g_clear_object (&runner.input);
      return fail_with (FF_CLI_EXIT_USAGE,
                        _("--reopen is for a finished visit; this one is not finished."));
    }

  runner.workflow = workflow;
  runner.policy = rollback ? (decline ? DECIDE_DECLINE : DECIDE_ROLLBACK)
                           : yes ? DECIDE_YES : DECIDE_ASK;
  runner.supervisor = supervisor;
  runner.override_reason = override_reason;
  runner.remeasure = remeasure;
  runner.cancellable = cancellable;
  runner.last_percent = -10;
  g_signal_connect (workflow, "notify::state", G_CALLBACK (on_state), &runner);
  g_signal_connect (workflow, "event", G_CALLBACK (on_event), &runner);
  g_signal_connect (workflow, "notify::bytes-sent", G_CALLBACK (on_progress), &runner);

  g_print (_("Terminal %s (%s), task %s: resuming at “%s”.\n"), device_id,
           ff_workflow_get_item (workflow)->name, found_task,
           ff_workflow_state_to_string (ff_workflow_get_state (workflow)));
  ff_workflow_run_async (workflow, cancellable, step_done, &result);
  ask_next (&runner);
  finished = ff_workflow_run_finish (workflow, wait_step (&result), &error);
  g_clear_handle_id (&runner.ask_id, g_source_remove);
  if (!finished)
    {
      g_clear_object (&runner.input);
      if (runner.waiting)
        {
          g_printerr (_("fieldflash-cli: %s failed: %s\n"
                        "Run “fieldflash-cli rollback --terminal %s” to push %s back, "
                        "or add --decline to close it as failed.\n"),
                      device_id, ff_workflow_get_failure (workflow), device_id,
                      ff_workflow_get_item (workflow)->previous->version);
          return FF_CLI_EXIT_FAILURE;
        }
      return fail (error);
    }
  g_clear_object (&runner.input);
  forget_pin (&runner);
  outcome = describe_report (tablet, ff_workflow_get_report_id (workflow),
                             ff_workflow_get_outcome (workflow));
  g_print (_("%s: %s; report %s saved and queued for upload.\n"), device_id, outcome,
           ff_workflow_get_report_id (workflow));
  return exit_code_for_outcome (ff_workflow_get_outcome (workflow));
}

int
ff_cli_run (int argc, char **argv)
{
  return run_workflow (argc, argv, DECIDE_ASK);
}

int
ff_cli_rollback (int argc, char **argv)
{
  return run_workflow (argc, argv, DECIDE_ROLLBACK);
}

/* ---- reports, upload ------------------------------------------------------------------------ */

/* DEVICEID-YYYYMMDD-outcome.pdf; a second visit of the same terminal on the same day with the
 * same outcome (in the store's order) gets "-2", and so on, so no printout overwrites another. */
static char *
unique_pdf_name (GHashTable *used, const FfReport *report)
{
  g_autofree char *base = ff_report_pdf_file_name (report);
  char *name = g_strdup (base);

  for (guint n = 2; g_hash_table_contains (used, name); n++)
    {
      g_free (name);
      name = g_strdup_printf ("%.*s-%u.pdf", (int) (strlen (base) - strlen (".pdf")), base, n);
    }
  g_hash_table_add (used, g_strdup (name));
  return name;
}

int
ff_cli_reports (int argc, char **argv)
{
  g_autofree char *pdf_dir = NULL;
  const GOptionEntry entries[] = {
    { "pdf", 0, 0, G_OPTION_ARG_FILENAME, &pdf_dir,
      N_("Also print each report as DIR/DEVICEID-YYYYMMDD-outcome.pdf"), "DIR" },
    { NULL }
  };
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) reports = NULL;
  g_autoptr(GHashTable) pdf_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int code = parse_options (&argc, &argv, NULL, entries);

  if (code >= 0)
    return code;
  if ((tablet = open_tablet (FF_TABLET_OPEN_EXISTING, FALSE, &error)) == NULL
      || (reports = ff_store_list_reports (ff_tablet_get_store (tablet), FALSE, &error)) == NULL)
    return fail (error);
  if (pdf_dir != NULL && g_mkdir_with_parents (pdf_dir, 0755) != 0)
    {
      g_autofree char *message = g_strdup_printf (_("Cannot create %s: %s"), pdf_dir,
                                                  g_strerror (errno));
      return fail_with (FF_CLI_EXIT_FAILURE, message);
    }
  for (guint i = 0; i < reports->len; i++)
    {
      FfStoredReport *stored = reports->pdata[i];
      g_autofree char *created = ff_timestamp_format (stored->created_at);
      g_autofree char *outcome = g_strdup_printf ("%s [%s]", stored->description, stored->outcome);

      g_print ("%s  %s  %-16s %s  %s  %s\n", stored->report_id, created, stored->device_id,
               stored->task_id, stored->uploaded_at != 0 ? _("uploaded") : _("queued"), outcome);
      if (pdf_dir != NULL)
        {
          g_autoptr(GBytes) document = NULL;
          g_autoptr(GBytes) signature = NULL;
          g_autoptr(FfReport) report = NULL;
          g_autofree char *name = NULL;
          g_autofree char *path = NULL;

          if (!ff_store_load_report (ff_tablet_get_store (tablet), stored->report_id, &document,
                                     &signature, &error)
              || (report = ff_report_load_signed (document, signature, ff_tablet_get_key (tablet),
                                                  &error)) == NULL)
            return fail (error);
          name = unique_pdf_name (pdf_names, report);
          path = g_build_filename (pdf_dir, name, NULL);
          if (!ff_report_render_pdf (report, path, &error))
            return fail (error);
        }
    }
  return FF_CLI_EXIT_OK;
}

static void
print_report_refused (FfUploadQueue *queue, const char *report_id, const char *message,
                      guint *refused)
{
  g_printerr (_("fieldflash-cli: report %s refused: %s\n"), report_id, message);
  (*refused)++;
}

int
ff_cli_upload (int argc, char **argv)
{
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = NULL;
  g_autoptr(FfUploadQueue) queue = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  guint refused = 0, delivered;
  gboolean ok;
  int code = parse_options (&argc, &argv, NULL, NULL);

  if (code >= 0)
    return code;
  if ((tablet = open_tablet (FF_TABLET_OPEN_EXISTING, TRUE, &error)) == NULL
      || (sync = ff_tablet_create_sync (tablet, &error)) == NULL)
    return fail (error);
  queue = ff_upload_queue_new (ff_tablet_get_store (tablet), sync);
  g_signal_connect (queue, "report-failed", G_CALLBACK (print_report_refused), &refused);
  ff_upload_queue_flush_async (queue, UPLOAD_ATTEMPTS, UPLOAD_FIRST_PAUSE_MS, NULL, step_done,
                               &result);
  ok = ff_upload_queue_flush_finish (queue, wait_step (&result), &error);
  g_object_get (queue, "delivered", &delivered, NULL);
  g_print (_("%u reports delivered, %u still queued.\n"), delivered,
           ff_upload_queue_get_pending (queue));
  if (!ok)
    return fail (error);
  return refused > 0 ? FF_CLI_EXIT_REFUSED : FF_CLI_EXIT_OK;
}
