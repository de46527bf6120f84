/* The words people read for stored states (see ff-platform-state-labels.h). */
#include "config.h"

#include "ff-platform-state-labels.h"

#include <glib/gi18n-lib.h>

const char *
ff_state_label (const FfStateLabel *labels,
                gsize               n_labels,
                const char         *context,
                const char         *state)
{
  for (gsize i = 0; i < n_labels; i++)
    if (g_strcmp0 (state, labels[i].name) == 0)
      return context != NULL ? g_dpgettext2 (GETTEXT_PACKAGE, context, labels[i].label)
                             : _(labels[i].label);
  return NULL;
}
