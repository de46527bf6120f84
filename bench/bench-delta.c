/* bench-delta.c: ffdelta against bsdiff, xdelta3 (-9 -S lzma) and zstd (-19 --long --patch-from) on a
 * corpus of real firmware pairs (bench/delta-corpus.sh makes one): patch size per pair, the geometric
 * mean of each size relative to bsdiff's, diff and apply time, apply peak memory (ffdelta: its
 * patcher's whole state; the others: peak RSS of their apply process), and the patcher's code size
 * for Cortex-M0+. Usage: bench-delta CORPUS_DIR */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ff-delta.h"

enum { TOOL_FFDELTA, TOOL_BSDIFF, TOOL_XDELTA3, TOOL_ZSTD, N_TOOLS };
static const char *const tool_names[N_TOOLS] = { "ffdelta", "bsdiff", "xdelta3", "zstd" };

typedef struct
{
  gsize  patch_size;
  double diff_s;
  double apply_s;
  double apply_peak_kib;
} Result;

/* Runs argv with its output discarded; returns the wall time, and the child's peak RSS. */
static double
run_tool (const char *const *argv, double *peak_kib)
{
  gint64 start = g_get_monotonic_time ();
  struct rusage usage;
  int status;
  pid_t pid = fork ();

  if (pid == 0)
    {
      int null = open ("/dev/null", O_WRONLY);

      dup2 (null, STDOUT_FILENO);
      dup2 (null, STDERR_FILENO);
      execvp (argv[0], (char *const *) argv);
      _exit (127);
    }
  if (wait4 (pid, &status, 0, &usage) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_error ("%s failed", argv[0]);
  if (peak_kib != NULL)
    *peak_kib = usage.ru_maxrss;
  return (g_get_monotonic_time () - start) / 1e6;
}

static GBytes *
read_bytes (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, &error);

  if (file == NULL)
    g_error ("%s", error->message);
  return g_mapped_file_get_bytes (file);
}

static gsize
file_size (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    g_error ("%s: %s", path, g_strerror (errno));
  return (gsize) st.st_size;
}

/* One external tool: diff, apply, check the result. */
static void
bench_tool (const char *const *diff, const char *const *apply, const char *patch, const char *out,
            GBytes *expected, Result *result)
{
  g_autoptr(GBytes) made = NULL;

  g_unlink (patch);
  g_unlink (out);
  result->diff_s = run_tool (diff, NULL);
  result->patch_size = file_size (patch);
  result->apply_s = run_tool (apply, &result->apply_peak_kib);
  made = read_bytes (out);
  if (!g_bytes_equal (made, expected))
    g_error ("%s made a wrong image", apply[0]);
}

static void
bench_pair (const char *old_path, const char *new_path, const char *work, Result results[N_TOOLS])
{
  g_autoptr(GBytes) old_image = read_bytes (old_path), new_image = read_bytes (new_path);
  g_autoptr(GBytes) patch_bytes = NULL, applied = NULL;
  g_autofree char *patch = g_build_filename (work, "patch", NULL);
  g_autofree char *out = g_build_filename (work, "out", NULL);
  g_autofree char *zstd_patch_from = g_strdup_printf ("--patch-from=%s", old_path);
  g_autoptr(GError) error = NULL;
  gint64 start;

  start = g_get_monotonic_time ();
  patch_bytes = ff_delta_make (old_image, new_image, &error);
  results[TOOL_FFDELTA].diff_s = (g_get_monotonic_time () - start) / 1e6;
  start = g_get_monotonic_time ();
  applied = ff_delta_apply (old_image, patch_bytes, &error);
  results[TOOL_FFDELTA].apply_s = (g_get_monotonic_time () - start) / 1e6;
  if (applied == NULL || !g_bytes_equal (applied, new_image))
    g_error ("ffdelta made a wrong image");
  results[TOOL_FFDELTA].patch_size = g_bytes_get_size (patch_bytes);
  results[TOOL_FFDELTA].apply_peak_kib = sizeof (FfDeltaPatcher) / 1024.0;

  {
    const char *diff[] = { "bsdiff", old_path, new_path, patch, NULL };
    const char *apply[] = { "bspatch", old_path, out, patch, NULL };
    bench_tool (diff, apply, patch, out, new_image, &results[TOOL_BSDIFF]);
  }
  {
    const char *diff[] = { "xdelta3", "-9", "-S", "lzma", "-e", "-f", "-s", old_path, new_path,
                           patch, NULL };
    const char *apply[] = { "xdelta3", "-d", "-f", "-s", old_path, patch, out, NULL };
    bench_tool (diff, apply, patch, out, new_image, &results[TOOL_XDELTA3]);
  }
  {
    const char *diff[] = { "zstd", "-q", "-f", "-19", "--long=27", zstd_patch_from, new_path,
                           "-o", patch, NULL };
    const char *apply[] = { "zstd", "-q", "-f", "-d", "--long=27", zstd_patch_from, patch, "-o",
                            out, NULL };
    bench_tool (diff, apply, patch, out, new_image, &results[TOOL_ZSTD]);
  }
}

/* The patcher as a meter links it: text + data of delta/ffdelta-patch.c for Cortex-M0+ with -Os. */
static void
print_cortex_m_size (void)
{
  g_autofree char *object = g_build_filename (g_get_tmp_dir (), "bench-delta-patch.o", NULL);
  const char *compile[] = { "arm-none-eabi-gcc", "-Os", "-mcpu=cortex-m0plus", "-mthumb",
                            "-std=c11", "-ffunction-sections", "-I", DELTA_SOURCE_DIR, "-c",
                            DELTA_SOURCE_DIR "/ffdelta-patch.c", "-o", object, NULL };
  g_autofree char *output = NULL;
  g_autofree char *command = g_strdup_printf ("arm-none-eabi-size %s", object);

  if (g_find_program_in_path ("arm-none-eabi-gcc") == NULL)
    {
      printf ("patcher code for Cortex-M0+: arm-none-eabi-gcc is not installed\n");
      return;
    }
  run_tool (compile, NULL);
  if (g_spawn_command_line_sync (command, &output, NULL, NULL, NULL))
    printf ("patcher code for Cortex-M0+ (arm-none-eabi-gcc -Os, text data bss):\n%s", output);
  g_unlink (object);
}

int
main (int argc, char **argv)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *work = g_dir_make_tmp ("bench-delta-XXXXXX", NULL);
  double log_ratio[N_TOOLS] = { 0 }, total_diff[N_TOOLS] = { 0 }, total_apply[N_TOOLS] = { 0 };
  double peak[N_TOOLS] = { 0 };
  const char *name;

  if (argc != 2 || (dir = g_dir_open (argv[1], 0, NULL)) == NULL)
    {
      fprintf (stderr, "usage: bench-delta CORPUS_DIR (made by bench/delta-corpus.sh)\n");
      return 2;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".old"))
      g_ptr_array_add (names, g_strndup (name, strlen (name) - 4));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  if (names->len == 0)
    g_error ("no *.old/*.new pairs in %s", argv[1]);

  printf ("%-52s %9s %9s %9s %9s %9s %7s\n", "pair", "new", "ffdelta", "bsdiff", "xdelta3",
          "zstd", "ff/bs");
  for (guint i = 0; i < names->len; i++)
    {
      const char *pair = g_ptr_array_index (names, i);
      g_autofree char *old_path = g_strdup_printf ("%s/%s.old", argv[1], pair);
      g_autofree char *new_path = g_strdup_printf ("%s/%s.new", argv[1], pair);
      Result results[N_TOOLS];

      bench_pair (old_path, new_path, work, results);
      printf ("%-52s %9zu", pair, file_size (new_path));
      for (int t = 0; t < N_TOOLS; t++)
        {
          printf (" %9zu", results[t].patch_size);
          log_ratio[t] += log ((double) results[t].patch_size / results[TOOL_BSDIFF].patch_size);
          total_diff[t] += results[t].diff_s;
          total_apply[t] += results[t].apply_s;
          peak[t] = MAX (peak[t], results[t].apply_peak_kib);
        }
      printf (" %7.3f\n", (double) results[TOOL_FFDELTA].patch_size
                          / results[TOOL_BSDIFF].patch_size);
    }

  printf ("\n%-10s %14s %12s %12s %18s\n", "tool", "size/bsdiff", "diff s", "apply s",
          "apply peak");
  for (int t = 0; t < N_TOOLS; t++)
    printf ("%-10s %14.3f %12.3f %12.3f %14.1f KiB%s\n", tool_names[t],
            exp (log_ratio[t] / names->len), total_diff[t], total_apply[t], peak[t],
            t == TOOL_FFDELTA ? " (state)" : " (RSS)");
  printf ("(size/bsdiff: geometric mean over %u pairs; times: sums over the corpus)\n\n", names->len);
  print_cortex_m_size ();
  g_rmdir (work);
  return 0;
}
