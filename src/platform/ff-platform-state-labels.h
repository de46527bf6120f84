/* The states the platform stores in English (the database, --json, the metrics) and the words
 * people read for them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name;   /* as stored */
  const char *label;  /* marked N_() or NC_() with @context, translated at lookup */
} FfStateLabel;

/* The label of @state in @labels in the user's language (looked up in @context when it is not
 * NULL), or NULL when @labels does not name it. */
const char *ff_state_label (const FfStateLabel *labels,
                            gsize               n_labels,
                            const char         *context,
                            const char         *state);

G_END_DECLS
