/* Ordering of firmware version strings such as "V1.00", "V2.01", "V10.3". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FF_VERSION_MAX_LENGTH 32

/* Compares @a and @b part by part: runs of digits compare as numbers (so "V10.3" > "V9.9" and
 * "V2.01" == "V2.1"), other runs compare as ASCII, ignoring case (so "v1.0" == "V1.0").
 * A version that is a prefix of the other is lower ("V1" < "V1.0.1"). Returns <0, 0 or >0. */
int      ff_version_compare  (const char *a,
                              const char *b);

/* A text whose byte order (memcmp, sqlite's BINARY collation) is the order of
 * ff_version_compare(), so a database can index, match and range over versions: equal versions
 * ("V2.01", "v2.1") get the same key. Each run of digits becomes its length without leading zeros
 * as one character from '0' (so a longer number sorts higher) and then its digits; letters are
 * lowered ("V5.50" → "v15.250"). Defined for valid versions (ff_version_is_valid()). */
char    *ff_version_sort_key (const char *version);

/* 1 to FF_VERSION_MAX_LENGTH characters from [A-Za-z0-9._-], with at least one digit. */
gboolean ff_version_is_valid (const char *version);

G_END_DECLS
