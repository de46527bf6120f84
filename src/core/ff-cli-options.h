/* What every program's command line shares: one option context per verb, its help translated in
 * this package's domain. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A context with @entries and then @common_entries (either may be NULL) in the main group, shown
 * in --help as "PROGRAM @parameter_string" with the @summary (may be NULL) under it. */
GOptionContext *ff_cli_option_context_new (const char          *parameter_string,
                                           const char          *summary,
                                           const GOptionEntry  *entries,
                                           const GOptionEntry  *common_entries);
/* Parses @argv with such a context, leaving the positional arguments in it. */
gboolean        ff_cli_parse_options      (int                 *argc,
                                           char              ***argv,
                                           const char          *parameter_string,
                                           const char          *summary,
                                           const GOptionEntry  *entries,
                                           const GOptionEntry  *common_entries,
                                           GError             **error);

G_END_DECLS
