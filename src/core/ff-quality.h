/* The quality of a reading as IEC 104 carries it (QDS): which flags a terminal may set, their
 * names in reports, and what they mean for the before/after judgement. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A reading is a plain measurement only when none of these is set: invalid (IV), not topical
 * (NT), substituted (SB), blocked (BL) and overflow (OV) each say the value is not what the
 * terminal measures now, so it can neither be a baseline nor pass the judgement. */
gboolean     ff_quality_is_good     (guint8       quality);
/* The names of the set flags, for reports and JSON ("invalid", "not-topical", "substituted",
 * "blocked", "overflow"), most serious first; an empty vector for good quality. */
GStrv        ff_quality_to_names    (guint8       quality);
/* The flag of @name, or 0 when @name is none of them. */
guint8       ff_quality_from_name   (const char  *name);
/* For people, translated: "invalid (IV), substituted (SB)"; "good" for good quality. */
char        *ff_quality_describe    (guint8       quality);

G_END_DECLS
