/* bench-sim-push: pushes a 4 MiB image to a fieldflash-sim process on loopback through FfIec104Conn
 * and prints the transfer rate, the whole-cycle time without the boot time, and the efficiency
 * against the k-window bound on an emulated 1 ms link; then a 64 KiB image against its delta patch
 * to a terminal that takes patches, on loopback and on an emulated slow link. Prints figures;
 * asserts nothing. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "ff-datadir.h"
#include "ff-delta.h"
#include "ff-iec104-conn.h"
#include "ff-test-fixtures.h"

#define IMAGE_SIZE (4 * 1024 * 1024)
#define WINDOW_IMAGE_SIZE (512 * 1024)
#define BOOT_MS 200
#define EMULATED_RTT_MS 1
#define RTT_PROBES 20
#define DELTA_IMAGE_SIZE (64 * 1024)   /* the simulator's factory image: what its terminals run */
#define SLOW_BANDWIDTH 9600            /* the simulator's default slow-link */
#define SLOW_RTT_MS 200

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *lines;
  guint16           port;
} Sim;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* Takes the GError by address: arguments are evaluated in no fixed order, so a GError passed by
 * value could be read before the call that sets it. */
static void
check (gboolean  ok,
       GError  **error)
{
  if (!ok)
    g_error ("bench-sim-push: %s", *error != NULL ? (*error)->message : "failed");
}

static char *
sibling_program (const char *argv0,
                 const char *relative)
{
  g_autofree char *bench_dir = g_path_get_dirname (argv0);

  return g_build_filename (bench_dir, "..", relative, NULL);
}

/* The simulator must not outlive a bench that stopped on an error. */
static void
die_with_bench (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* datadir NULL: the shipped profiles; otherwise the simulator reads DATADIR/profiles. */
static Sim
sim_start (const char *program,
           const char *profile,
           const char *datadir)
{
  g_autofree char *boot = g_strdup_printf ("--boot-ms=%d", BOOT_MS);
  const char *argv[] = { program, "--listen", "127.0.0.1:0", "--id", "DTU-BENCH", "--profile",
                         profile, boot, "--spontaneous-ms=0", NULL };
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autoptr(GError) error = NULL;
  Sim sim = { NULL };

  g_subprocess_launcher_set_child_setup (launcher, die_with_bench, NULL, NULL);
  if (datadir != NULL)
    g_subprocess_launcher_setenv (launcher, "FIELDFLASH_DATADIR", datadir, TRUE);
  sim.process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  check (sim.process != NULL, &error);
  sim.lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim.process));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (sim.lines, NULL, NULL, &error);
      const char *at;

      check (line != NULL, &error);
      if ((at = strstr (line, "listening on 127.0.0.1:")) != NULL)
        {
          sim.port = (guint16) g_ascii_strtoull (at + strlen ("listening on 127.0.0.1:"), NULL, 10);
          return sim;
        }
    }
}

static void
sim_command (Sim        *sim,
             const char *command)
{
  g_autoptr(GError) error = NULL;

  check (g_output_stream_write_all (g_subprocess_get_stdin_pipe (sim->process), command,
                                    strlen (command), NULL, NULL, &error), &error);
}

static void
sim_stop (Sim *sim)
{
  g_autoptr(GError) error = NULL;

  sim_command (sim, "quit\n");
  check (g_subprocess_wait_check (sim->process, NULL, &error), &error);
  g_clear_object (&sim->lines);
  g_clear_object (&sim->process);
}

typedef struct
{
  double transfer_s;
  double cycle_s;
  double request_rtt_s;  /* a 202 read of the terminal information, request to reply (mean) */
} Timings;

/* The write's last progress report comes with its final OP10: all bytes acknowledged. */
static void
on_progress (guint64  sent,
             guint64  acked,
             guint64  total,
             double   rate,
             gpointer user_data)
{
  if (acked == total)
    *(gint64 *) user_data = g_get_monotonic_time ();
}

/* rtt_probes reads of the terminal information before the push measure the request round trip
 * (0: none, so the whole cycle is only the push). */
static Timings
push_cycle (FfProfile *profile,
            guint16    port,
            GBytes    *image,
            guint      rtt_probes)
{
  g_autoptr(FfIec104Conn) conn = ff_iec104_conn_new (profile, 0);
  g_autoptr(GAsyncResult) connected = NULL, push = NULL, reconnect = NULL, read = NULL;
  g_autoptr(FfTerminalInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cycle_start = g_get_monotonic_time ();
  gint64 push_start, all_acked = 0;
  Timings timings = { 0 };

  ff_iec104_conn_connect_async (conn, "127.0.0.1", port, NULL, on_done, &connected);
  check (ff_iec104_conn_connect_finish (conn, wait_for (&connected), &error), &error);
  push_start = g_get_monotonic_time ();
  for (guint i = 0; i < rtt_probes; i++)
    {
      g_autoptr(GAsyncResult) probe = NULL;
      g_autoptr(FfTerminalInfo) probed = NULL;

      ff_iec104_conn_read_info_async (conn, NULL, on_done, &probe);
      probed = ff_iec104_conn_read_info_finish (conn, wait_for (&probe), &error);
      check (probed != NULL, &error);
    }
  if (rtt_probes > 0)
    timings.request_rtt_s = (g_get_monotonic_time () - push_start) / (double) G_USEC_PER_SEC
                            / rtt_probes;

  push_start = g_get_monotonic_time ();
  ff_iec104_conn_push_async (conn, NULL, image, on_progress, &all_acked, NULL, NULL, on_done,
                             &push);
  check (ff_iec104_conn_push_finish (conn, wait_for (&push), &error), &error);
  /* From the 211 start to the final OP10: one round trip more than the write alone. */
  timings.transfer_s = (all_acked - push_start) / (double) G_USEC_PER_SEC;
  ff_iec104_conn_reconnect_async (conn, 30000, NULL, on_done, &reconnect);
  check (ff_iec104_conn_reconnect_finish (conn, wait_for (&reconnect), &error), &error);
  ff_iec104_conn_read_info_async (conn, NULL, on_done, &read);
  info = ff_iec104_conn_read_info_finish (conn, wait_for (&read), &error);
  check (info != NULL, &error);
  timings.cycle_s = (g_get_monotonic_time () - cycle_start) / (double) G_USEC_PER_SEC;
  ff_iec104_conn_close (conn);
  return timings;
}

static GBytes *
make_image (const char *sim_program,
            const char *version,
            gsize       size)
{
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "bench-sim-push.img", NULL);
  g_autofree char *size_text = g_strdup_printf ("%" G_GSIZE_FORMAT, size);
  const char *argv[] = { sim_program, "make-firmware", "--version", version, "--size", size_text,
                         "-o", path, NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char *contents;
  gsize len;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &error);
  check (process != NULL && g_subprocess_wait_check (process, NULL, &error), &error);
  check (g_file_get_contents (path, &contents, &len, &error), &error);
  g_remove (path);
  return g_bytes_new_take (contents, len);
}

static void
bench_loopback (const char *sim_program)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfProfile) profile = ff_profile_load ("state-grid", &error);
  g_autoptr(GBytes) image = NULL;
  Sim sim;
  Timings timings;

  check (profile != NULL, &error);
  image = make_image (sim_program, "V2.00", IMAGE_SIZE);
  sim = sim_start (sim_program, "state-grid", NULL);
  timings = push_cycle (profile, sim.port, image, 0);
  sim_stop (&sim);
  printf ("loopback, state-grid (k %u, w %u, %u-byte segments), 4 MiB image:\n",
          profile->iec104.k, profile->iec104.w, profile->iec104.segment_size);
  printf ("  transfer          %.3f s  %.2f MB/s\n", timings.transfer_s,
          IMAGE_SIZE / timings.transfer_s / 1e6);
  printf ("  whole cycle       %.3f s  (connect → new version read back)\n", timings.cycle_s);
  printf ("  minus boot time   %.3f s  (boot %d ms)\n", timings.cycle_s - BOOT_MS / 1000.0,
          BOOT_MS);
}

/* The tablet uses `profile_name`; the simulated terminal uses `terminal_profile` from
 * `terminal_datadir` (NULL: the same shipped profile). */
static void
bench_window (const char *sim_program,
              const char *profile_name,
              const char *terminal_profile,
              const char *terminal_datadir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfProfile) profile = ff_profile_load (profile_name, &error);
  g_autoptr(GBytes) image = NULL;
  g_autofree char *command = NULL;
  Sim sim;
  Timings timings;
  double bound, rate;

  check (profile != NULL, &error);
  image = make_image (sim_program, "V2.00", WINDOW_IMAGE_SIZE);
  sim = sim_start (sim_program, terminal_profile, terminal_datadir);
  /* Latency only: the bandwidth limit is far above what the window allows. */
  command = g_strdup_printf ("scenario DTU-BENCH slow-link bandwidth=4000000000 rtt=%d\n",
                             EMULATED_RTT_MS);
  sim_command (&sim, command);
  timings = push_cycle (profile, sim.port, image, RTT_PROBES);
  sim_stop (&sim);
  bound = profile->iec104.k * profile->iec104.segment_size / (EMULATED_RTT_MS / 1000.0);
  rate = WINDOW_IMAGE_SIZE / timings.transfer_s;
  printf ("emulated %d ms link, tablet %s (k %u), terminal %s: %.3f MB/s of a %.3f MB/s window "
          "bound = %.2f\n", EMULATED_RTT_MS, profile_name, profile->iec104.k, terminal_profile,
          rate / 1e6, bound / 1e6, rate / bound);
  /* The real round trip adds the processes' own latency to the emulated one: against it, the
   * figure shows whether the tablet keeps its window full. */
  printf ("  measured request round trip %.3f ms (mean of %d): %.2f of k x segment / that\n",
          timings.request_rtt_s * 1000.0, RTT_PROBES,
          rate / (profile->iec104.k * profile->iec104.segment_size / timings.request_rtt_s));
}

/* The terminal runs state-grid with one [link] key changed, saved as profile `name`: w=1 (it
 * acknowledges every I-frame; the standard only bounds w from above) or ack-when-drained=true
 * (w 8, and it acknowledges each batch it has read). Either shows how close the tablet's pacing
 * comes to the k-window bound when the terminal does not hold acks back. */
static void
bench_window_prompt_acks (const char *sim_program,
                          const char *name,
                          const char *link_key,
                          const char *value)
{
  g_autofree char *datadir = g_dir_make_tmp ("bench-sim-push-XXXXXX", NULL);
  g_autofree char *profiles = g_build_filename (datadir, "profiles", NULL);
  g_autofree char *filename = g_strconcat (name, ".ini", NULL);
  g_autofree char *path = g_build_filename (profiles, filename, NULL);
  g_autofree char *state_grid = ff_datadir_file ("profiles", "state-grid.ini", NULL);
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  check (g_key_file_load_from_file (file, state_grid, G_KEY_FILE_KEEP_TRANSLATIONS, &error),
         &error);
  g_key_file_set_value (file, "link", link_key, value);
  g_mkdir (profiles, 0700);
  check (g_key_file_save_to_file (file, path, &error), &error);
  bench_window (sim_program, "state-grid", name, datadir);
  g_remove (path);
  g_rmdir (profiles);
  g_rmdir (datadir);
}

/* One push of @file (the image or its patch) to a fresh state-grid-delta terminal running V1.00,
 * on loopback or, with @slow, on the emulated slow link. */
static Timings
delta_push (const char *sim_program,
            FfProfile  *profile,
            GBytes     *file,
            gboolean    slow)
{
  Sim sim = sim_start (sim_program, "state-grid-delta", NULL);
  Timings timings;

  if (slow)
    {
      g_autofree char *command =
        g_strdup_printf ("scenario DTU-BENCH slow-link bandwidth=%d rtt=%d\n", SLOW_BANDWIDTH,
                         SLOW_RTT_MS);

      sim_command (&sim, command);
    }
  timings = push_cycle (profile, sim.port, file, 0);
  sim_stop (&sim);
  return timings;
}

/* The 104 push of a whole image against its delta patch (docs/delta.md): the same terminal, the
 * same upgrade, on loopback and on a link as slow as a poor cellular one. */
static void
bench_delta (const char *sim_program)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfProfile) profile = ff_profile_load ("state-grid-delta", &error);
  g_autoptr(GBytes) v1 = NULL;
  g_autoptr(GBytes) v2 = NULL;
  g_autoptr(GBytes) patch = NULL;

  check (profile != NULL, &error);
  v1 = make_image (sim_program, "V1.00", DELTA_IMAGE_SIZE);
  v2 = ff_test_firmware_v2_from (v1);
  patch = ff_delta_make (v1, v2, &error);
  check (patch != NULL, &error);
  printf ("delta, state-grid-delta: %u-byte image V1.00 -> V2.00, patch %" G_GSIZE_FORMAT
          " bytes:\n", DELTA_IMAGE_SIZE, g_bytes_get_size (patch));
  for (int slow = 0; slow <= 1; slow++)
    {
      Timings full = delta_push (sim_program, profile, v2, slow);
      Timings delta = delta_push (sim_program, profile, patch, slow);

      if (slow)
        printf ("  slow link (%d bytes/s, %d ms):\n", SLOW_BANDWIDTH, SLOW_RTT_MS);
      else
        printf ("  loopback:\n");
      printf ("    transfer     image %9.1f ms   patch %9.1f ms   (%.1f x faster)\n",
              full.transfer_s * 1000.0, delta.transfer_s * 1000.0,
              full.transfer_s / delta.transfer_s);
      printf ("    whole cycle  image %9.1f ms   patch %9.1f ms   (connect -> new version read "
              "back, boot %d ms)\n", full.cycle_s * 1000.0, delta.cycle_s * 1000.0, BOOT_MS);
    }
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *sim_program = sibling_program (argv[0], "src/sim/fieldflash-sim");

  if (!g_file_test (sim_program, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("bench-sim-push: %s not found; run it from the build directory", sim_program);
  bench_loopback (sim_program);
  bench_window (sim_program, "state-grid", "state-grid", NULL);
  bench_window (sim_program, "sojo-ftu", "sojo-ftu", NULL);
  bench_window_prompt_acks (sim_program, "acks-every-frame", "w", "1");
  bench_window_prompt_acks (sim_program, "ack-when-drained", "ack-when-drained", "true");
  bench_delta (sim_program);
  return 0;
}
