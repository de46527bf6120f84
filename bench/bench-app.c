/* bench-app: the tablet app's cold start to its first frame, the longest main-loop stall while a 4
 * MiB firmware is pushed in training mode (a 10 ms timer probe), and the resident memory at the
 * first frame and after that run (anonymous and file-backed). It makes the process settings the
 * app makes (ff_runtime_init: the renderer, large buffers); GSK_RENDERER chooses another renderer.
 * Run it under a display: xvfb-run -a -s '-screen 0 1280x800x24' BUILD/bench/bench-app */
#include "config.h"

#include <adwaita.h>

#include "ff-context.h"
#include "ff-gps-simulated.h"
#include "ff-runtime.h"
#include "ff-training.h"
#include "ff-window.h"

#define PUSH_IMAGE_SIZE (4 * 1024 * 1024)
#define PROBE_INTERVAL_MS 10

typedef struct
{
  gint64   last_tick_us;
  gint64   longest_gap_us;
  gboolean probing;
} Probe;

static gboolean
frame_drawn (GtkWidget     *widget,
             GdkFrameClock *frame_clock,
             gpointer       user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
probe_tick (gpointer user_data)
{
  Probe *probe = user_data;
  gint64 now = g_get_monotonic_time ();

  if (probe->probing && probe->last_tick_us != 0)
    probe->longest_gap_us = MAX (probe->longest_gap_us, now - probe->last_tick_us);
  probe->last_tick_us = now;
  return G_SOURCE_CONTINUE;
}

static void
training_ready (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  FfTraining **training = user_data;
  g_autoptr(GError) error = NULL;

  *training = ff_training_new_finish (result, &error);
  if (*training == NULL)
    g_error ("training: %s", error->message);
}

static void
state_changed (FfWorkflow *workflow,
               GParamSpec *pspec,
               Probe      *probe)
{
  FfWorkflowState state = ff_workflow_get_state (workflow);
  g_autoptr(GError) error = NULL;

  if (state == FF_WORKFLOW_STATE_CONFIRM && !ff_workflow_confirm_push (workflow, &error))
    g_error ("confirm: %s", error->message);
  probe->probing = state == FF_WORKFLOW_STATE_PUSH;
  probe->last_tick_us = 0;
}

/* One line of /proc/self/status in MB ("VmRSS", "RssAnon", "RssFile"). */
static double
status_megabytes (const char *status,
                  const char *key)
{
  g_autofree char *prefix = g_strconcat (key, ":", NULL);
  const char *line = strstr (status, prefix);

  return line != NULL ? g_ascii_strtod (line + strlen (prefix), NULL) / 1024.0 : -1;
}

static void
print_resident_memory (const char *when)
{
  g_autofree char *status = NULL;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;
  g_print ("resident memory %s: %.1f MB (anonymous %.1f MB, files %.1f MB)\n", when,
           status_megabytes (status, "VmRSS"), status_megabytes (status, "RssAnon"),
           status_megabytes (status, "RssFile"));
}

int
main (int   argc,
      char *argv[])
{
  gint64 start_us = g_get_monotonic_time ();
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(FfGpsSimulated) gps = NULL;
  g_autoptr(FfContext) context = NULL;
  g_autoptr(FfTraining) training = NULL;
  FfWindow *window;
  FfWorkflow *workflow;
  gboolean drawn = FALSE;
  Probe probe = { 0 };

  ff_runtime_init ();
  adw_init ();
  g_print ("renderer: %s\n", g_getenv ("GSK_RENDERER") != NULL ? g_getenv ("GSK_RENDERER")
                                                                 : "GTK's default");
  settings = g_settings_new (APP_ID);
  gps = ff_gps_simulated_new ();
  context = ff_context_new (settings, FF_GPS_SOURCE (gps));
  window = ff_window_new (NULL, context);
  gtk_widget_add_tick_callback (GTK_WIDGET (window), frame_drawn, &drawn, NULL);
  gtk_window_present (GTK_WINDOW (window));
  while (!drawn)
    g_main_context_iteration (NULL, TRUE);
  g_print ("cold start to first frame: %.0f ms\n", (g_get_monotonic_time () - start_us) / 1000.0);
  print_resident_memory ("at the first frame");

  ff_training_new_async (NULL, PUSH_IMAGE_SIZE, NULL, training_ready, &training);
  while (training == NULL)
    g_main_context_iteration (NULL, TRUE);
  ff_context_set_training (context, training);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.navigate-to", "s", "DTU0101");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.walk-there", NULL);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.start-upgrade", NULL);
  while ((workflow = ff_window_get_workflow (window)) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (workflow, "notify::state", G_CALLBACK (state_changed), &probe);
  g_timeout_add (PROBE_INTERVAL_MS, probe_tick, &probe);
  while (ff_workflow_get_state (workflow) != FF_WORKFLOW_STATE_DONE)
    g_main_context_iteration (NULL, TRUE);

  g_print ("push of %d MiB: outcome %s\n", PUSH_IMAGE_SIZE / (1024 * 1024),
           ff_workflow_get_outcome (workflow));
  g_print ("longest main-loop stall during the push: %.1f ms (probe every %d ms)\n",
           MAX (0, probe.longest_gap_us / 1000.0 - PROBE_INTERVAL_MS), PROBE_INTERVAL_MS);
  print_resident_memory ("after the run");

  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
