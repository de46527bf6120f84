/* fieldflash-agent: the daemon of a networked terminal (docs/agent.md). */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <malloc.h>

#include "ff-agent.h"
#include "ff-agent-fault.h"
#include "ff-datadir.h"

int
main (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *mode = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgent) agent = NULL;
  FfAgentConfig *config;
  gboolean recovery;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      N_("The agent’s key file"), N_("FILE") },
    { "mode", 'm', 0, G_OPTION_ARG_STRING, &mode,
      N_("normal, or recovery when the bootloader started the recovery system"), N_("MODE") },
    { NULL }
  };

  /* An embedded daemon with a memory budget (docs/agent.md): one malloc arena for every thread
   * (GLib's worker and the TLS handshake's pool thread would each get their own, kept for the
   * process's life), buffers of 64 KiB and more mapped on their own and unmapped when freed
   * (glibc raises this threshold to the largest buffer freed, and later ones stay in the heap),
   * and free memory at the heap's top given back from 64 KiB on. */
  mallopt (M_ARENA_MAX, 1);
  mallopt (M_MMAP_THRESHOLD, 64 * 1024);
  mallopt (M_TRIM_THRESHOLD, 64 * 1024);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, ff_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Upgrades this terminal on the platform’s signed "
                                           "commands (docs/agent.md)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return FF_AGENT_EXIT_FAILED;
    }
  if (config_path == NULL)
    {
      g_printerr (_("--config FILE is required.\n"));
      return FF_AGENT_EXIT_FAILED;
    }
  if (mode != NULL && !g_str_equal (mode, "normal") && !g_str_equal (mode, "recovery"))
    {
      g_printerr (_("--mode must be normal or recovery.\n"));
      return FF_AGENT_EXIT_FAILED;
    }
  recovery = g_strcmp0 (mode, "recovery") == 0;
  if (!ff_agent_fault_init (&error)
      || (config = ff_agent_config_load (config_path, &error)) == NULL
      || (agent = ff_agent_new (config, recovery, &error)) == NULL)
    {
      g_printerr ("fieldflash-agent: %s\n", error->message);
      return FF_AGENT_EXIT_FAILED;
    }
  /* From here on the texts go into signed results, whose reasons are English (docs/formats.md),
   * and into the log beside them. */
  setlocale (LC_MESSAGES, "C");
  return ff_agent_run (agent);
}
