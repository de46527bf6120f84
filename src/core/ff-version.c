/* Ordering of firmware version strings such as "V1.00", "V2.01", "V10.3". */
#include "config.h"

#include "ff-version.h"

#include <string.h>

static int
compare_digit_runs (const char **a,
                    const char **b)
{
  const char *start_a, *start_b;
  gsize length_a, length_b;
  int order;

  while (**a == '0')
    (*a)++;
  while (**b == '0')
    (*b)++;
  start_a = *a;
  start_b = *b;
  while (g_ascii_isdigit (**a))
    (*a)++;
  while (g_ascii_isdigit (**b))
    (*b)++;
  length_a = *a - start_a;
  length_b = *b - start_b;
  /* Without leading zeros, the longer number is the larger; equal lengths compare digit-wise. */
  if (length_a != length_b)
    return length_a < length_b ? -1 : 1;
  order = memcmp (start_a, start_b, length_a);
  return (order > 0) - (order < 0);
}

int
ff_version_compare (const char *a,
                    const char *b)
{
  while (*a != '\0' && *b != '\0')
    {
      if (g_ascii_isdigit (*a) && g_ascii_isdigit (*b))
        {
          int order = compare_digit_runs (&a, &b);

          if (order != 0)
            return order;
          continue;
        }
      if (g_ascii_tolower (*a) != g_ascii_tolower (*b))
        return g_ascii_tolower (*a) < g_ascii_tolower (*b) ? -1 : 1;
      a++;
      b++;
    }
  return (*a != '\0') - (*b != '\0');
}

/* The number markers ('0' + length, at most '0' + FF_VERSION_MAX_LENGTH = 'P') sort above '-' and
 * '.' and below '_' and the lowered letters, where ff_version_compare() puts a digit against
 * those; the end of the key sorts below everything, as the end of a version does. */
char *
ff_version_sort_key (const char *version)
{
  GString *key = g_string_sized_new (strlen (version) + 8);

  for (const char *p = version; *p != '\0';)
    {
      const char *digits;

      if (!g_ascii_isdigit (*p))
        {
          g_string_append_c (key, g_ascii_tolower (*p++));
          continue;
        }
      while (*p == '0')
        p++;
      for (digits = p; g_ascii_isdigit (*p); p++)
        ;
      g_string_append_c (key, (char) ('0' + MIN (p - digits, FF_VERSION_MAX_LENGTH)));
      g_string_append_len (key, digits, p - digits);
    }
  return g_string_free (key, FALSE);
}

gboolean
ff_version_is_valid (const char *version)
{
  gsize length;
  gboolean has_digit = FALSE;

  if (version == NULL)
    return FALSE;
  length = strlen (version);
  if (length == 0 || length > FF_VERSION_MAX_LENGTH)
    return FALSE;
  for (const char *p = version; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        has_digit = TRUE;
      else if (!g_ascii_isalpha (*p) && *p != '.' && *p != '_' && *p != '-')
        return FALSE;
    }
  return has_digit;
}
