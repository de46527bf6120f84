/* Delta patches on the platform, through the operator CLI as a real process: made when a firmware
 * is added for terminals the ledger shows on an older version, made again on demand without
 * change, kept only when smaller than the image, and applying to the old image to give the new. */
#include "config.h"

#include "platform-harness.h"

#include "ff-crypto.h"
#include "ff-delta.h"

#include <json-glib/json-glib.h>

/* Two RTU-9 terminals of hardware HV2.0 on V1.00, one on a version the store has no image of. */
static const char ledger[] =
  "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,"
  "software_checksum,host,port,common_address,profile\r\n"
  "RTU0001,Feeder 1,39.915,116.404,Acme,RTU-9,HV2.0,V1.00,,127.0.0.1,2404,1,state-grid\r\n"
  "RTU0002,Feeder 2,39.916,116.405,Acme,RTU-9,HV2.0,V1.00,,127.0.0.1,2405,2,state-grid\r\n"
  "RTU0003,Feeder 3,39.917,116.406,Acme,RTU-9,HV2.0,V0.90,,127.0.0.1,2406,3,state-grid\r\n";

typedef struct
{
  Harness *h;
  GBytes  *v1;        /* the protocol library for Cortex-M0+ at an older commit */
  GBytes  *v2;        /* … and at a newer one */
  char    *v1_path;
  char    *v2_path;
} Fixture;

static GBytes *
read_pair_image (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("FIELDFLASH_SOURCEDIR"), "tests", "data",
                                            "delta", name, NULL);
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = g_mapped_file_new (path, FALSE, &error);
  g_assert_no_error (error);
  return g_mapped_file_get_bytes (file);
}

static void
add_firmware (Fixture    *fixture,
              const char *path,
              const char *version,
              char      **out)
{
  *out = harness_run_ok (fixture->h, "firmware", "add", path, "--vendor", "Acme", "--model",
                         "RTU-9", "--version", version, "--hardware", "HV2.0", NULL);
}

static void
set_up (Fixture      *fixture,
        gconstpointer data)
{
  g_autofree char *ledger_path = NULL;
  g_autofree char *out = NULL;
  Harness *h = harness_new ();

  fixture->h = h;
  fixture->v1 = read_pair_image ("iec104-cortex-m0plus-7f1cb25.bin");
  fixture->v2 = read_pair_image ("iec104-cortex-m0plus-71ba842.bin");
  fixture->v1_path = harness_write (h, "v1.bin", g_bytes_get_data (fixture->v1, NULL),
                                    g_bytes_get_size (fixture->v1));
  fixture->v2_path = harness_write (h, "v2.bin", g_bytes_get_data (fixture->v2, NULL),
                                    g_bytes_get_size (fixture->v2));
  ledger_path = harness_write (h, "ledger.csv", ledger, -1);
  g_free (harness_run_ok (h, "init", NULL));
  g_free (harness_run_ok (h, "terminals", "import", ledger_path, NULL));
  add_firmware (fixture, fixture->v1_path, "V1.00", &out);
  /* No terminal runs a version older than V1.00 that the store has: nothing to patch from. */
  g_assert_null (strstr (out, "Delta"));
}

static void
tear_down (Fixture      *fixture,
           gconstpointer data)
{
  harness_free (fixture->h);
  g_bytes_unref (fixture->v1);
  g_bytes_unref (fixture->v2);
  g_free (fixture->v1_path);
  g_free (fixture->v2_path);
}

/* `firmware show VERSION --json`, parsed. */
static JsonObject *
show (Harness    *h,
      const char *version)
{
  g_autofree char *out = harness_run_ok (h, "firmware", "show", version, "--json", NULL);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  node = json_from_string (out, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (node));
}

/* How many files the firmware store holds (images and patches). */
static guint
count_store_files (Harness *h)
{
  g_autofree char *store = g_build_filename (h->data_dir, "firmware", NULL);
  g_autoptr(GDir) dir = g_dir_open (store, 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *sub = g_build_filename (store, name, NULL);
      g_autoptr(GDir) files = g_dir_open (sub, 0, NULL);

      g_assert_nonnull (files);
      while (g_dir_read_name (files) != NULL)
        count++;
    }
  return count;
}

/* Adding V2.00 makes the V1.00 → V2.00 delta (the ledger shows terminals on V1.00), smaller than
 * the image, stored by its digest; applied to V1.00 it gives exactly V2.00. */
static void
test_made_on_add (Fixture      *fixture,
                  gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *out = NULL;
  g_autofree char *v1_sha256 = ff_sha256_hex (g_bytes_get_data (fixture->v1, NULL),
                                              g_bytes_get_size (fixture->v1));
  g_autofree char *v2_sha256 = ff_sha256_hex (g_bytes_get_data (fixture->v2, NULL),
                                              g_bytes_get_size (fixture->v2));
  g_autofree char *patch_path = NULL;
  g_autofree char *patch_sha256 = NULL;
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(GBytes) patch = NULL;
  g_autoptr(GBytes) rebuilt = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *deltas;
  JsonObject *delta;
  char prefix[3] = { 0 };

  add_firmware (fixture, fixture->v2_path, "V2.00", &out);
  g_assert_nonnull (strstr (out, "Delta V1.00 → V2.00: "));

  shown = show (h, "V2.00");
  deltas = json_object_get_array_member (shown, "deltas");
  g_assert_cmpuint (json_array_get_length (deltas), ==, 1);
  delta = json_array_get_object_element (deltas, 0);
  g_assert_cmpstr (json_object_get_string_member (delta, "from_version"), ==, "V1.00");
  g_assert_cmpstr (json_object_get_string_member (delta, "from_sha256"), ==, v1_sha256);
  g_assert_cmpstr (json_object_get_string_member (delta, "to_sha256"), ==, v2_sha256);
  patch_sha256 = g_strdup (json_object_get_string_member (delta, "sha256"));
  g_assert_nonnull (strstr (out, patch_sha256));

  memcpy (prefix, patch_sha256, 2);
  patch_path = g_build_filename (h->data_dir, "firmware", prefix, patch_sha256 + 2, NULL);
  {
    g_autoptr(GMappedFile) file = g_mapped_file_new (patch_path, FALSE, &error);

    g_assert_no_error (error);
    patch = g_mapped_file_get_bytes (file);
  }
  g_assert_cmpint (json_object_get_int_member (delta, "size"), ==, g_bytes_get_size (patch));
  g_assert_cmpuint (g_bytes_get_size (patch), <, g_bytes_get_size (fixture->v2));
  {
    g_autofree char *digest = ff_sha256_hex (g_bytes_get_data (patch, NULL),
                                             g_bytes_get_size (patch));
    g_assert_cmpstr (digest, ==, patch_sha256);
  }
  rebuilt = ff_delta_apply (fixture->v1, patch, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (rebuilt, fixture->v2));

  /* V1.00 has no delta to it; list names the source of V2.00's. */
  g_clear_pointer (&shown, json_object_unref);
  shown = show (h, "V1.00");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (shown, "deltas")), ==, 0);
  g_free (out);
  out = harness_run_ok (h, "firmware", "list", NULL);
  g_assert_nonnull (strstr (out, "V2.00\t"));
  g_assert_nonnull (strstr (out, "deltas from V1.00\n"));
}

/* `firmware delta` again (for the field, or --from) finds the delta made: nothing changes. */
static void
test_delta_idempotent (Fixture      *fixture,
                       gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *added = NULL;
  g_autofree char *first = NULL, *second = NULL, *again = NULL;
  g_autoptr(JsonObject) before = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autoptr(JsonNode) before_node = NULL, after_node = NULL;
  guint files;

  add_firmware (fixture, fixture->v2_path, "V2.00", &added);
  before = show (h, "V2.00");
  files = count_store_files (h);
  first = harness_run_ok (h, "firmware", "delta", "V2.00", NULL);
  second = harness_run_ok (h, "firmware", "delta", "V2.00", "--from", "V1.00", NULL);
  again = harness_run_ok (h, "firmware", "delta", "V2.00", NULL);
  g_assert_nonnull (strstr (first, "Delta V1.00 → V2.00 exists: "));
  g_assert_cmpstr (first, ==, second);
  g_assert_cmpstr (first, ==, again);
  after = show (h, "V2.00");
  before_node = json_node_init_object (json_node_alloc (), before);
  after_node = json_node_init_object (json_node_alloc (), after);
  g_assert_true (json_node_equal (before_node, after_node));
  g_assert_cmpuint (count_store_files (h), ==, files);
}

/* An image that shares nothing with V1.00 gives a patch no smaller than itself: not kept, on add
 * and on demand; an image is not patched from itself. */
static void
test_not_smaller_not_kept (Fixture      *fixture,
                           gconstpointer data)
{
  Harness *h = fixture->h;
  g_autoptr(GRand) rand = g_rand_new_with_seed (15);
  guint8 noise[4096];
  g_autofree char *noise_path = NULL;
  g_autofree char *added = NULL, *again = NULL, *err = NULL;
  g_autoptr(JsonObject) shown = NULL;
  guint files;

  for (gsize i = 0; i < sizeof noise; i++)
    noise[i] = (guint8) g_rand_int (rand);
  noise_path = harness_write (h, "noise.bin", (const char *) noise, sizeof noise);
  add_firmware (fixture, noise_path, "V3.00", &added);
  g_assert_nonnull (strstr (added, "Delta V1.00 → V3.00: not smaller than the image, not kept"));
  files = count_store_files (h);
  g_assert_cmpuint (files, ==, 2);   /* the two images, no patch */
  again = harness_run_ok (h, "firmware", "delta", "V3.00", "--from", "V1.00", NULL);
  g_assert_nonnull (strstr (again, "not smaller than the image, not kept"));
  shown = show (h, "V3.00");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (shown, "deltas")), ==, 0);
  g_assert_cmpuint (count_store_files (h), ==, files);

  g_assert_cmpint (harness_run (h, NULL, NULL, &err, "firmware", "delta", "V1.00", "--from",
                                "V1.00", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "the same image"));
}

/* Terminals of a hardware version the new firmware does not support need no delta to it. */
static void
test_other_hardware_no_delta (Fixture      *fixture,
                              gconstpointer data)
{
  Harness *h = fixture->h;
  g_autofree char *out = harness_run_ok (h, "firmware", "add", fixture->v2_path, "--vendor",
                                         "Acme", "--model", "RTU-9", "--version", "V2.00",
                                         "--hardware", "HV3.0", NULL);
  g_autoptr(JsonObject) shown = show (h, "V2.00");

  g_assert_null (strstr (out, "Delta"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (shown, "deltas")), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/platform/deltas/made-on-add", Fixture, NULL, set_up, test_made_on_add,
              tear_down);
  g_test_add ("/platform/deltas/idempotent", Fixture, NULL, set_up, test_delta_idempotent,
              tear_down);
  g_test_add ("/platform/deltas/not-smaller-not-kept", Fixture, NULL, set_up,
              test_not_smaller_not_kept, tear_down);
  g_test_add ("/platform/deltas/other-hardware", Fixture, NULL, set_up,
              test_other_hardware_no_delta, tear_down);
  return g_test_run ();
}
