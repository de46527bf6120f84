/* What every program's command line shares: one option context per verb. */
#include "config.h"

#include "ff-cli-options.h"

GOptionContext *
ff_cli_option_context_new (const char         *parameter_string,
                           const char         *summary,
                           const GOptionEntry *entries,
                           const GOptionEntry *common_entries)
{
  GOptionContext *context = g_option_context_new (parameter_string);

  g_option_context_set_summary (context, summary);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (common_entries != NULL)
    g_option_context_add_main_entries (context, common_entries, GETTEXT_PACKAGE);
  return context;
}

gboolean
ff_cli_parse_options (int                 *argc,
                      char              ***argv,
                      const char          *parameter_string,
                      const char          *summary,
                      const GOptionEntry  *entries,
                      const GOptionEntry  *common_entries,
                      GError             **error)
{
  g_autoptr(GOptionContext) context = ff_cli_option_context_new (parameter_string, summary,
                                                                 entries, common_entries);

  return g_option_context_parse (context, argc, argv, error);
}
