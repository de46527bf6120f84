/* Whole-workflow overhead per terminal on loopback: the wall time of FfWorkflow from connect to the
 * saved report, minus the file transfer and the terminal's configured boot time, i.e. what the
 * tablet itself adds (state persistence, signing, reads, reconnect pacing). Aim: under 2 s.
 * Usage: bench-workflow [N_TERMINALS] [IMAGE_BYTES] [BOOT_MS] */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>

#include "ff-gps-simulated.h"
#include "ff-profile.h"
#include "ff-report.h"
#include "ff-sim-firmware.h"
#include "ff-sim-terminal.h"
#include "ff-store.h"
#include "ff-task.h"
#include "ff-test-fixtures.h"
#include "ff-workflow.h"

static gboolean
confirm (gpointer user_data)
{
  FfWorkflow *workflow = user_data;

  if (ff_workflow_get_state (workflow) == FF_WORKFLOW_STATE_CONFIRM)
    ff_workflow_confirm_push (workflow, NULL);
  return G_SOURCE_REMOVE;
}

static void
state_changed (FfWorkflow *workflow, GParamSpec *pspec, gpointer user_data)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, confirm, g_object_ref (workflow), g_object_unref);
}

static void
run_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!ff_workflow_run_finish (FF_WORKFLOW (object), result, &error))
    g_error ("workflow: %s", error->message);
  *(gboolean *) user_data = TRUE;
}

int
main (int argc, char **argv)
{
  guint n_terminals = argc > 1 ? (guint) atoi (argv[1]) : 5;
  gsize image_size = argc > 2 ? (gsize) atol (argv[2]) : 64 * 1024;
  int boot_ms = argc > 3 ? atoi (argv[3]) : 500;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bench-workflow-XXXXXX", &error);
  g_autoptr(FfStore) store = ff_store_open (dir, &error);
  g_autoptr(FfKey) key = ff_key_generate (&error);
  g_autoptr(FfProfile) profile = ff_profile_load ("state-grid", &error);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(GBytes) image = NULL;
  g_autofree char *sha = NULL;
  g_autoptr(GPtrArray) terminals = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(FfTask) task = ff_test_task_new (g_get_real_time () / G_USEC_PER_SEC, 86400, "Bench");
  g_autoptr(GBytes) document = NULL;
  double total_overhead = 0, worst = 0;

  if (store == NULL || key == NULL || profile == NULL)
    g_error ("%s", error->message);
  image = ff_sim_firmware_make ("Acme", "DTU-3000", "V2.00", image_size, &error);
  if (image == NULL)
    g_error ("%s", error->message);
  sha = ff_test_store_firmware (store, image);

  for (guint i = 0; i < n_terminals; i++)
    {
      g_autofree char *id = g_strdup_printf ("DTU%04u", i + 1);
      FfSimTerminalConfig config = {
        .device_id = id, .version = "V1.00", .vendor = "Acme", .model = "DTU-3000", .type = "DTU",
        .latitude = 31.2 + i * 0.001, .longitude = 121.47, .host = "127.0.0.1", .port = 0,
        .profile = profile, .boot_time_ms = boot_ms,
      };
      FfSimTerminal *terminal = ff_sim_terminal_new (&config, &error);
      g_autofree char *name = g_strdup_printf ("Bench site %u", i + 1);
      FfTaskItem *item;

      if (terminal == NULL || !ff_sim_terminal_start (terminal, &error))
        g_error ("%s", error->message);
      g_ptr_array_add (terminals, terminal);
      item = ff_test_task_item_new (id, name, config.latitude, config.longitude, "127.0.0.1",
                                    ff_sim_terminal_get_port (terminal));
      item->target.version = g_strdup ("V2.00");
      item->target.sha256 = g_strdup (sha);
      item->target.size = image_size;
      item->target.file_name = g_strdup (profile->iec104.upgrade_file_name);
      g_ptr_array_add (task->items, item);
    }
  document = ff_task_serialize (task);

  g_print ("bench-workflow: %u terminals, %" G_GSIZE_FORMAT " byte image, %d ms boot, loopback\n",
           n_terminals, image_size, boot_ms);
  for (guint i = 0; i < n_terminals; i++)
    {
      FfTaskItem *item = task->items->pdata[i];
      g_autoptr(FfWorkflow) workflow = NULL;
      g_autoptr(GBytes) report_bytes = NULL;
      g_autoptr(GBytes) signature = NULL;
      g_autoptr(FfReport) report = NULL;
      gboolean done = FALSE;
      gint64 start;
      double seconds, overhead;

      ff_gps_simulated_set_position (gps, item->latitude, item->longitude);
      workflow = ff_workflow_new (store, FF_GPS_SOURCE (gps), document, item->device_id,
                                  FF_TEST_SERIAL, key, &error);
      if (workflow == NULL)
        g_error ("%s", error->message);
      g_signal_connect (workflow, "notify::state", G_CALLBACK (state_changed), NULL);
      start = g_get_monotonic_time ();
      ff_workflow_run_async (workflow, NULL, run_done, &done);
      while (!done)
        g_main_context_iteration (NULL, TRUE);
      seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
      if (!ff_store_load_report (store, ff_workflow_get_report_id (workflow), &report_bytes,
                                 &signature, &error)
          || (report = ff_report_parse (report_bytes, &error)) == NULL)
        g_error ("%s", error->message);
      overhead = seconds - report->transfer.seconds - boot_ms / 1000.0;
      total_overhead += overhead;
      worst = MAX (worst, overhead);
      g_print ("  %s: %s, total %.3f s, transfer %.3f s, boot %.3f s, overhead %.3f s\n",
               item->device_id, ff_report_outcome_to_string (report->outcome), seconds,
               report->transfer.seconds, boot_ms / 1000.0, overhead);
    }
  g_print ("overhead per terminal: mean %.3f s, worst %.3f s (aim < 2 s)\n",
           total_overhead / n_terminals, worst);

  for (guint i = 0; i < terminals->len; i++)
    ff_sim_terminal_stop (terminals->pdata[i]);
  return 0;
}
