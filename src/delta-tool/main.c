/* fieldflash-delta: make, apply and describe delta patches from a shell. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <stdio.h>

#include "ff-cli-options.h"
#include "ff-delta.h"
#include "ff-files.h"

enum { EXIT_OK = 0, EXIT_FAILURE_ = 1, EXIT_USAGE = 2 };

static char *output_path;

static const GOptionEntry output_entries[] = {
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output_path, N_("Write the result to FILE"),
    N_("FILE") },
  { NULL },
};

static GBytes *
read_file (const char *path, GError **error)
{
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, error);

  if (file == NULL)
    return NULL;
  return g_mapped_file_get_bytes (file);
}

static gboolean
write_file (const char *path, GBytes *bytes, GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return ff_file_replace (path, data, (gssize) len, 0644, error);
}

static int
fail (GError *error)
{
  g_printerr ("fieldflash-delta: %s\n", error->message);
  g_error_free (error);
  return EXIT_FAILURE_;
}

/* Parses a verb's options and checks it got exactly @n_args paths (and a non-empty -o when
 * @needs_output). */
static gboolean
parse (int *argc, char ***argv, const char *parameter_string, const char *summary, int n_args,
       gboolean needs_output)
{
  g_autoptr(GError) error = NULL;

  if (!ff_cli_parse_options (argc, argv, parameter_string, summary,
                             needs_output ? output_entries : NULL, NULL, &error))
    {
      g_printerr ("fieldflash-delta: %s\n", error->message);
      return FALSE;
    }
  /* An empty -o is no file name (it failed only at the rename, after the work). */
  if (*argc != n_args + 1 || (needs_output && (output_path == NULL || *output_path == '\0')))
    {
      g_printerr (_("Usage: fieldflash-delta %s %s\n"), (*argv)[0], parameter_string);
      return FALSE;
    }
  return TRUE;
}

static int
run_diff (int argc, char **argv)
{
  GError *error = NULL;
  g_autoptr(GBytes) old_image = NULL, new_image = NULL, patch = NULL;

  if (!parse (&argc, &argv, _("OLD NEW -o PATCH"), _("Make a delta patch from OLD to NEW."), 2,
              TRUE))
    return EXIT_USAGE;
  if ((old_image = read_file (argv[1], &error)) == NULL
      || (new_image = read_file (argv[2], &error)) == NULL
      || (patch = ff_delta_make (old_image, new_image, &error)) == NULL
      || !write_file (output_path, patch, &error))
    return fail (error);
  printf (_("%s: %zu bytes for a %zu-byte image (%.1f %%)\n"), output_path,
          g_bytes_get_size (patch), g_bytes_get_size (new_image),
          g_bytes_get_size (new_image) > 0
          ? 100.0 * g_bytes_get_size (patch) / g_bytes_get_size (new_image) : 0.0);
  return EXIT_OK;
}

static int
run_apply (int argc, char **argv)
{
  GError *error = NULL;
  g_autoptr(GBytes) old_image = NULL, patch = NULL, new_image = NULL;

  if (!parse (&argc, &argv, _("OLD PATCH -o NEW"), _("Apply a delta patch to OLD."), 2, TRUE))
    return EXIT_USAGE;
  if ((old_image = read_file (argv[1], &error)) == NULL
      || (patch = read_file (argv[2], &error)) == NULL
      || (new_image = ff_delta_apply (old_image, patch, &error)) == NULL
      || !write_file (output_path, new_image, &error))
    return fail (error);
  return EXIT_OK;
}

static char *
digest_hex (const guint8 *digest)
{
  GString *hex = g_string_sized_new (FFDELTA_DIGEST_SIZE * 2);

  for (int i = 0; i < FFDELTA_DIGEST_SIZE; i++)
    g_string_append_printf (hex, "%02x", digest[i]);
  return g_string_free (hex, FALSE);
}

static int
run_info (int argc, char **argv)
{
  GError *error = NULL;
  g_autoptr(GBytes) patch = NULL;
  g_autofree char *old_hex = NULL, *new_hex = NULL;
  FfDeltaHeader header;

  if (!parse (&argc, &argv, _("PATCH"), _("Describe a delta patch."), 1, FALSE))
    return EXIT_USAGE;
  if ((patch = read_file (argv[1], &error)) == NULL
      || !ff_delta_describe (patch, &header, &error))
    return fail (error);
  old_hex = digest_hex (header.old_digest);
  new_hex = digest_hex (header.new_digest);
  printf (_("format:        ffdelta %u\n"), header.version);
  printf (_("patch:         %zu bytes\n"), g_bytes_get_size (patch));
  printf (_("old image:     %u bytes, SHA-256 %s\n"), header.old_size, old_hex);
  printf (_("new image:     %u bytes, SHA-256 %s\n"), header.new_size, new_hex);
  printf (_("patcher RAM:   %zu bytes of state (budget %d)\n"), sizeof (FfDeltaPatcher),
          FFDELTA_PATCHER_BUDGET);
  return EXIT_OK;
}

static const struct
{
  const char *name;
  const char *summary;
  int (*run) (int argc, char **argv);
} verbs[] = {
  { "diff", N_("Make a delta patch from an old to a new image"), run_diff },
  { "apply", N_("Apply a delta patch to an old image"), run_apply },
  { "info", N_("Describe a delta patch: sizes, digests, the patcher's RAM"), run_info },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n", _("Usage: fieldflash-delta VERB [OPTION…]"));
  fprintf (out, "%s\n", _("Verbs:"));
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    fprintf (out, "  %-10s %s\n", verbs[i].name, _(verbs[i].summary));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "help"))
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (g_str_equal (argv[1], verbs[i].name))
      return verbs[i].run (argc - 1, argv + 1);
  g_printerr (_("Unknown verb “%s”.\n"), argv[1]);
  print_usage (stderr);
  return EXIT_USAGE;
}
