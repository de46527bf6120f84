/* Tests for ff-version: the ordering of firmware version strings. */
#include "config.h"

#include "ff-version.h"

#include <string.h>

static void
test_compare (void)
{
  static const struct
  {
    const char *a;
    const char *b;
    int order;
  } cases[] = {
    { "V1.00", "V2.01", -1 },
    { "V2.01", "V1.00", 1 },
    { "V2.01", "V2.01", 0 },
    { "V9.9", "V10.3", -1 },
    { "V10.3", "V10.21", -1 },
    { "V2.01", "V2.1", 0 },
    { "v1.0", "V1.0", 0 },
    { "V1", "V1.0.1", -1 },
    { "V1.0.1", "V1", 1 },
    { "V1.00", "V1.00a", -1 },
    { "V1.09", "V1.10", -1 },
    { "V100", "V99", 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int order = ff_version_compare (cases[i].a, cases[i].b);

      g_test_message ("%s vs %s", cases[i].a, cases[i].b);
      g_assert_cmpint ((order > 0) - (order < 0), ==, cases[i].order);
    }
}

static int
sign_of (int order)
{
  return (order > 0) - (order < 0);
}

/* The keys sort as the versions compare, so a database matches and ranges by version order. */
static void
test_sort_key (void)
{
  static const char *const versions[] = {
    "V1", "V1.0", "V1.00", "v1.0.1", "V1.00a", "V1.09", "V1.1", "V1.10", "V2.01", "V2.1",
    "V5.5", "V5.05", "V5.50", "v5.050", "V9.9", "V10.3", "V10.21", "V99", "V100", "V0.01",
    "2024_R3-b", "2024-R3", "2024.R3", "2024R3", "V1_0", "V1-0", "V1.0-rc1", "V1.0_1", "V01",
    "V00", "V0", "A1", "a01", "Z9", "12345678901234567890123456789012", "V007.008",
  };
  g_autofree char *key = ff_version_sort_key ("V5.50");

  g_assert_cmpstr (key, ==, "v15.250");
  for (gsize i = 0; i < G_N_ELEMENTS (versions); i++)
    for (gsize j = 0; j < G_N_ELEMENTS (versions); j++)
      {
        g_autofree char *a = ff_version_sort_key (versions[i]);
        g_autofree char *b = ff_version_sort_key (versions[j]);

        g_assert_true (ff_version_is_valid (versions[i]));
        if (sign_of (strcmp (a, b)) != sign_of (ff_version_compare (versions[i], versions[j])))
          g_error ("%s (%s) vs %s (%s): keys order %d, versions %d", versions[i], a, versions[j],
                   b, strcmp (a, b), ff_version_compare (versions[i], versions[j]));
      }
}

static void
test_valid (void)
{
  g_assert_true (ff_version_is_valid ("V1.00"));
  g_assert_true (ff_version_is_valid ("2024_R3-b"));
  g_assert_false (ff_version_is_valid (""));
  g_assert_false (ff_version_is_valid (NULL));
  g_assert_false (ff_version_is_valid ("V"));
  g_assert_false (ff_version_is_valid ("V1/2"));
  g_assert_false (ff_version_is_valid ("V1 2"));
  g_assert_false (ff_version_is_valid ("V123456789012345678901234567890123"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/version/compare", test_compare);
  g_test_add_func ("/version/sort-key", test_sort_key);
  g_test_add_func ("/version/valid", test_valid);
  return g_test_run ();
}
