/* Test harness for the simulator tests: real processes on 127.0.0.1, output lines and async results
 * awaited in the main loop under a deadline. */
#include "config.h"

#include "sim-harness.h"

#include "ff-test-fixtures.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

void
wait_until (gboolean *done)
{
  guint deadline = ff_test_watchdog_add (SIM_TEST_DEADLINE_S, "wait_until");

  while (!*done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
}

void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

GAsyncResult *
wait_result (GAsyncResult **slot)
{
  guint deadline = ff_test_watchdog_add (SIM_TEST_DEADLINE_S, "wait_result");

  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
  return *slot;
}

char *
built_program (const char *relative)
{
  const char *build_dir = g_getenv ("FIELDFLASH_BUILDDIR");

  g_assert_nonnull (build_dir);
  return g_build_filename (build_dir, relative, NULL);
}

static void read_next_line (SimProcess *sim);

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  SimProcess *sim = user_data;
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line_finish_utf8 (sim->stdout_lines, result, NULL,
                                                          &error);

  if (line == NULL)
    {
      sim->eof = TRUE;
      return;
    }
  g_test_message ("sim: %s", line);
  g_ptr_array_add (sim->lines, line);
  read_next_line (sim);
}

static void
read_next_line (SimProcess *sim)
{
  g_data_input_stream_read_line_async (sim->stdout_lines, G_PRIORITY_DEFAULT, NULL, on_line, sim);
}

gboolean
sim_parse_listening (const char *line,
                     guint16    *port,
                     double     *latitude,
                     double     *longitude)
{
  g_autoptr(GRegex) regex = g_regex_new (
    "listening on [0-9.]+:([0-9]+) \\(true position (-?[0-9.]+),(-?[0-9.]+)\\)", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *lat_text = NULL;
  g_autofree char *lon_text = NULL;

  if (!g_regex_match (regex, line, 0, &match))
    return FALSE;
  port_text = g_match_info_fetch (match, 1);
  lat_text = g_match_info_fetch (match, 2);
  lon_text = g_match_info_fetch (match, 3);
  *port = (guint16) g_ascii_strtoull (port_text, NULL, 10);
  *latitude = g_ascii_strtod (lat_text, NULL);
  *longitude = g_ascii_strtod (lon_text, NULL);
  return TRUE;
}

/* A simulator must not outlive a test that crashed or timed out. */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

SimProcess *
sim_process_start (const char * const *args)
{
  SimProcess *sim = g_new0 (SimProcess, 1);
  g_autofree char *program = built_program ("src/sim/fieldflash-sim");
  g_autoptr(GPtrArray) argv = ff_test_command (program, NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  gboolean boot_given = FALSE, spontaneous_given = FALSE;
  guint from = 0;
  const char *line;

  for (guint i = 0; args[i] != NULL; i++)
    {
      boot_given |= g_str_has_prefix (args[i], "--boot-ms");
      spontaneous_given |= g_str_has_prefix (args[i], "--spontaneous-ms");
      g_ptr_array_add (argv, (gpointer) args[i]);
    }
  if (!boot_given)
    g_ptr_array_add (argv, "--boot-ms=200");
  if (!spontaneous_given)
    g_ptr_array_add (argv, "--spontaneous-ms=0");
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  sim->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                               &error);
  g_assert_no_error (error);
  sim->stdout_lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim->process));
  sim->stdin_pipe = g_object_ref (g_subprocess_get_stdin_pipe (sim->process));
  sim->lines = g_ptr_array_new_with_free_func (g_free);
  read_next_line (sim);

  line = sim_process_wait_line (sim, " listening on ", &from);
  g_assert_true (sim_parse_listening (line, &sim->port, &sim->latitude, &sim->longitude));
  return sim;
}

const char *
sim_process_wait_line (SimProcess *sim,
                       const char *text,
                       guint      *from)
{
  g_autofree char *what = g_strdup_printf ("fieldflash-sim printing “%s”", text);
  guint deadline = ff_test_watchdog_add (SIM_TEST_DEADLINE_S, what);

  for (;;)
    {
      for (; *from < sim->lines->len; (*from)++)
        {
          const char *line = g_ptr_array_index (sim->lines, *from);

          if (strstr (line, text) != NULL)
            {
              (*from)++;
              g_source_remove (deadline);
              return line;
            }
        }
      if (sim->eof)
        g_error ("fieldflash-sim ended before printing “%s”", text);
      g_main_context_iteration (NULL, TRUE);
    }
}

void
sim_process_send (SimProcess *sim,
                  const char *line)
{
  g_autofree char *with_newline = g_strconcat (line, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (sim->stdin_pipe, with_newline, strlen (with_newline), NULL, NULL,
                             &error);
  g_assert_no_error (error);
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

void
sim_process_stop (SimProcess *sim)
{
  gboolean exited = FALSE;

  sim_process_send (sim, "quit");
  g_subprocess_wait_async (sim->process, NULL, on_exited, &exited);
  wait_until (&exited);
  g_assert_true (g_subprocess_get_if_exited (sim->process));
  g_assert_cmpint (g_subprocess_get_exit_status (sim->process), ==, 0);
  /* Let the pending line read see the end of the pipe before the stream goes away. */
  wait_until (&sim->eof);
  g_clear_object (&sim->stdout_lines);
  g_clear_object (&sim->stdin_pipe);
  g_clear_object (&sim->process);
  g_ptr_array_unref (sim->lines);
  g_free (sim);
}

typedef struct
{
  gboolean done;
  char    *out;
  char    *err;
} CliRun;

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CliRun *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &run->out, &run->err,
                                        &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

int
run_cli (const char * const *args,
         char              **out,
         char              **err)
{
  g_autofree char *program = built_program ("src/cli/fieldflash-cli");
  g_autoptr(GPtrArray) argv = ff_test_command (program, NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  CliRun run = { FALSE, NULL, NULL };

  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated, &run);
  wait_until (&run.done);
  g_test_message ("cli %s:\n%s%s", args[0], run.out, run.err);
  g_assert_true (g_subprocess_get_if_exited (process));
  if (out != NULL)
    *out = g_steal_pointer (&run.out);
  if (err != NULL)
    *err = g_steal_pointer (&run.err);
  g_free (run.out);
  g_free (run.err);
  return g_subprocess_get_exit_status (process);
}

char *
make_firmware (const char *dir,
               const char *version,
               gsize       size)
{
  g_autofree char *program = built_program ("src/sim/fieldflash-sim");
  g_autofree char *name = g_strdup_printf ("%s.bin", version);
  g_autofree char *size_text = g_strdup_printf ("%" G_GSIZE_FORMAT, size);
  char *path = g_build_filename (dir, name, NULL);
  const char *args[] = { "make-firmware", "--version", version, "--size", size_text, "-o", path,
                         NULL };
  g_autoptr(GPtrArray) argv = ff_test_command (program, args);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  ff_test_subprocess_wait (process, SIM_TEST_DEADLINE_S, "fieldflash-sim make-firmware");
  g_assert_true (g_subprocess_get_successful (process));
  return path;
}
