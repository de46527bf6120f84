/* Tests for ff-version: the ordering of firmware version strings. */
#include "config.h"

#include "ff-version.h"

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
  g_test_add_func ("/version/valid", test_valid);
  return g_test_run ();
}
