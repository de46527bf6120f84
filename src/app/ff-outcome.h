/* How the app words a report's outcome for the technician. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *ff_outcome_describe      (const char *outcome);
gboolean    ff_outcome_is_successful (const char *outcome);

G_END_DECLS
