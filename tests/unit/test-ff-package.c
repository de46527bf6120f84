/* Tests for ff-package: building a .ffpkg, opening and verifying it, extracting a payload, and
 * refusing forged, tampered and hostile tars (made here with libarchive). */
#include "config.h"

#include "ff-package.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/sysmacros.h>

typedef struct
{
  char  *dir;
  FfKey *key;
  char  *kernel_path;
  char  *program_path;
  char  *package_path;
} Fixture;

static const char kernel_data[] = "FFSIM-IMAGE kind=kernel version=5.10.1\nkernel bytes";
static const char program_data[] = "#!/bin/sh\necho V2.01\n";

static char *
dir_file (Fixture    *fixture,
          const char *name)
{
  return g_build_filename (fixture->dir, name, NULL);
}

static JsonObject *
sample_manifest (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  static const char text[] =
    "{\"vendor\":\"Acme\",\"model\":\"DTU-3000\",\"hardware_versions\":[\"HV1.0\",\"HV1.1\"],"
    "\"version\":\"V2.01\",\"notes\":\"Spring release\","
    "\"payloads\":[{\"kind\":\"kernel\",\"version\":\"5.10.1\"},"
    "{\"kind\":\"main-program\",\"version\":\"V2.01\",\"min_installed_version\":\"V1.00\"}]}";

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) manifest = sample_manifest ();
  const char *paths[3];

  fixture->dir = g_dir_make_tmp ("ff-package-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->key = ff_key_generate (&error);
  g_assert_no_error (error);
  fixture->kernel_path = dir_file (fixture, "kernel.img");
  fixture->program_path = dir_file (fixture, "main-program");
  fixture->package_path = dir_file (fixture, "good.ffpkg");
  g_assert_true (g_file_set_contents (fixture->kernel_path, kernel_data, -1, NULL));
  g_assert_true (g_file_set_contents (fixture->program_path, program_data, -1, NULL));
  paths[0] = fixture->kernel_path;
  paths[1] = fixture->program_path;
  paths[2] = NULL;
  g_assert_true (ff_package_build (fixture->package_path, fixture->key, manifest, paths, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = dir_file (fixture, name);
      g_unlink (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->kernel_path);
  g_free (fixture->program_path);
  g_free (fixture->package_path);
  ff_key_unref (fixture->key);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The names in the fixture's directory, sorted, joined by spaces. */
static char *
dir_listing (Fixture *fixture)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static void
test_round_trip (Fixture      *fixture,
                 gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfPackage) package = ff_package_open (fixture->package_path, fixture->key, &error);
  g_autofree char *out = dir_file (fixture, "out-kernel");
  g_autofree char *contents = NULL;
  g_autofree char *kernel_sha = ff_sha256_hex (kernel_data, strlen (kernel_data));
  const FfPackagePayload *payloads;
  guint n = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (ff_package_get_vendor (package), ==, "Acme");
  g_assert_cmpstr (ff_package_get_model (package), ==, "DTU-3000");
  g_assert_cmpstr (ff_package_get_version (package), ==, "V2.01");
  g_assert_cmpstr (ff_package_get_notes (package), ==, "Spring release");
  g_assert_true (ff_package_fits_hardware (package, "HV1.1"));
  g_assert_false (ff_package_fits_hardware (package, "HV2.0"));
  payloads = ff_package_get_payloads (package, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (payloads[0].kind, ==, "kernel");
  g_assert_cmpstr (payloads[0].file, ==, "payloads/kernel");
  g_assert_cmpstr (payloads[0].version, ==, "5.10.1");
  g_assert_cmpint (payloads[0].size, ==, strlen (kernel_data));
  g_assert_cmpstr (payloads[0].sha256, ==, kernel_sha);
  g_assert_null (payloads[0].min_installed_version);
  g_assert_null (payloads[0].delta_from);
  g_assert_cmpstr (payloads[1].min_installed_version, ==, "V1.00");
  g_assert_true (ff_package_find_payload (package, "main-program") == &payloads[1]);
  g_assert_null (ff_package_find_payload (package, "rootfs"));

  g_assert_true (ff_package_extract_payload (package, "kernel", out, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (out, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, kernel_data);
  g_assert_false (ff_package_extract_payload (package, "rootfs", out, &error));
  g_assert_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID);
}

static void
test_forged_signature (Fixture      *fixture,
                       gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfKey) other = ff_key_generate (NULL);

  g_assert_null (ff_package_open (fixture->package_path, other, &error));
  g_assert_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_SIGNATURE);
}

/* ---- hostile tars ---- */

typedef struct
{
  const char *name;
  unsigned    filetype;         /* 0: a regular file */
  const char *data;             /* NULL: the manifest (for manifest.json) or its signature */
  const char *link;             /* a symlink's target, or a hard link's (filetype 0) */
} Entry;

/* Writes a tar of @entries with libarchive; "manifest.json" and "manifest.sig" without data are
 * the good package's manifest and a valid signature of it. */
static char *
write_tar (Fixture     *fixture,
           const Entry *entries,
           gsize        n_entries)
{
  g_autoptr(FfPackage) good = ff_package_open (fixture->package_path, fixture->key, NULL);
  GBytes *manifest = ff_package_get_manifest_bytes (good);
  g_autoptr(GBytes) signature = ff_key_sign (fixture->key, manifest, NULL);
  char *path = dir_file (fixture, "evil.ffpkg");
  struct archive *archive = archive_write_new ();

  g_assert_cmpint (archive_write_set_format_pax_restricted (archive), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open_filename (archive, path), ==, ARCHIVE_OK);
  for (gsize i = 0; i < n_entries; i++)
    {
      struct archive_entry *entry = archive_entry_new ();
      gconstpointer bytes = entries[i].data;
      gsize size = bytes != NULL ? strlen (entries[i].data) : 0;

      if (bytes == NULL && strcmp (entries[i].name, "manifest.json") == 0)
        bytes = g_bytes_get_data (manifest, &size);
      else if (bytes == NULL && strcmp (entries[i].name, "manifest.sig") == 0)
        bytes = g_bytes_get_data (signature, &size);
      archive_entry_set_pathname (entry, entries[i].name);
      archive_entry_set_filetype (entry, entries[i].filetype != 0 ? entries[i].filetype : AE_IFREG);
      archive_entry_set_perm (entry, 0644);
      if (entries[i].filetype == AE_IFLNK)
        archive_entry_set_symlink (entry, entries[i].link);
      else if (entries[i].link != NULL)
        archive_entry_set_hardlink (entry, entries[i].link);
      if (entries[i].filetype == AE_IFCHR)
        archive_entry_set_rdev (entry, makedev (1, 3));
      archive_entry_set_size (entry, entries[i].filetype == 0 && entries[i].link == NULL
                                     ? size : 0);
      g_assert_cmpint (archive_write_header (archive, entry), ==, ARCHIVE_OK);
      if (entries[i].filetype == 0 && entries[i].link == NULL)
        g_assert_cmpint (archive_write_data (archive, bytes, size), ==, size);
      archive_entry_free (entry);
    }
  g_assert_cmpint (archive_write_close (archive), ==, ARCHIVE_OK);
  archive_write_free (archive);
  return path;
}

#define MANIFEST { "manifest.json", 0, NULL, NULL }
#define SIGNATURE { "manifest.sig", 0, NULL, NULL }
#define KERNEL { "payloads/kernel", 0, kernel_data, NULL }
#define PROGRAM { "payloads/main-program", 0, program_data, NULL }

typedef struct
{
  const char *what;
  Entry       entries[6];
  gsize       n_entries;
  const char *expected;     /* a part of the error message */
} HostileCase;

static const HostileCase hostile_cases[] = {
  { "dot-dot", { MANIFEST, SIGNATURE, KERNEL, PROGRAM, { "payloads/../../etc/cron.d/x", 0, "x" } },
    5, "“..”" },
  { "dot-dot first", { { "../manifest.json", 0, "{}" }, SIGNATURE }, 2, "“..”" },
  { "absolute", { MANIFEST, SIGNATURE, KERNEL, PROGRAM, { "/etc/passwd", 0, "x" } }, 5,
    "absolute" },
  { "symlink", { MANIFEST, SIGNATURE, { "payloads/kernel", AE_IFLNK, NULL, "/boot/vmlinuz" },
                 PROGRAM }, 4, "link" },
  { "hard link", { MANIFEST, SIGNATURE, KERNEL, { "payloads/main-program", 0, NULL,
                                                  "payloads/kernel" } }, 4, "link" },
  { "device", { MANIFEST, SIGNATURE, KERNEL, PROGRAM, { "payloads/null", AE_IFCHR } }, 5,
    "device" },
  { "fifo", { MANIFEST, SIGNATURE, KERNEL, PROGRAM, { "payloads/fifo", AE_IFIFO } }, 5, "FIFO" },
  { "duplicate", { MANIFEST, SIGNATURE, KERNEL, PROGRAM, KERNEL }, 5, "twice" },
  { "unknown", { MANIFEST, SIGNATURE, KERNEL, PROGRAM, { "payloads/extra", 0, "x" } }, 5,
    "no such payload" },
  { "other directory", { MANIFEST, SIGNATURE, { "etc/", AE_IFDIR }, KERNEL, PROGRAM }, 5,
    "directory" },
  { "missing payload", { MANIFEST, SIGNATURE, KERNEL }, 3, "lacks the payload" },
  { "wrong size", { MANIFEST, SIGNATURE, KERNEL, { "payloads/main-program", 0, "short" } }, 4,
    "size" },
  { "manifest not first", { SIGNATURE, MANIFEST, KERNEL, PROGRAM }, 4, "manifest.json" },
  { "no signature", { MANIFEST, KERNEL, PROGRAM }, 3, "manifest.sig" },
};

static void
test_hostile_entries (Fixture      *fixture,
                      gconstpointer data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hostile_cases); i++)
    {
      const HostileCase *c = &hostile_cases[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;

      g_test_message ("case %s", c->what);
      path = write_tar (fixture, c->entries, c->n_entries);
      g_assert_null (ff_package_open (path, fixture->key, &error));
      g_assert_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID);
      g_test_message ("error: %s", error->message);
      g_assert_nonnull (strstr (error->message, c->expected));
    }
}

/* A payload of the right size whose bytes differ opens (the manifest is good) but extracts to
 * nothing: no file at the destination, no temporary file beside it. */
static void
test_tampered_payload (Fixture      *fixture,
                       gconstpointer data)
{
  g_autofree char *tampered = g_strdup (kernel_data);
  const Entry entries[] = { MANIFEST, SIGNATURE, { "payloads/kernel", 0, tampered }, PROGRAM };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfPackage) package = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = dir_file (fixture, "out-kernel");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  tampered[strlen (tampered) - 1] ^= 1;
  path = write_tar (fixture, entries, G_N_ELEMENTS (entries));
  package = ff_package_open (path, fixture->key, &error);
  g_assert_no_error (error);
  before = dir_listing (fixture);
  g_assert_false (ff_package_extract_payload (package, "kernel", out, &error));
  g_assert_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_PAYLOAD);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  after = dir_listing (fixture);
  g_assert_cmpstr (after, ==, before);
  g_clear_error (&error);
  /* The good payload of the same package still extracts. */
  g_assert_true (ff_package_extract_payload (package, "main-program", out, &error));
  g_assert_no_error (error);
}

/* A package swapped for another after it was verified gives nothing. */
static void
test_changed_after_open (Fixture      *fixture,
                         gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfPackage) package = ff_package_open (fixture->package_path, fixture->key, &error);
  g_autoptr(JsonObject) manifest = sample_manifest ();
  g_autofree char *out = dir_file (fixture, "out-kernel");
  const char *paths[] = { fixture->kernel_path, fixture->program_path, NULL };

  g_assert_no_error (error);
  json_object_set_string_member (manifest, "version", "V2.02");
  g_assert_true (ff_package_build (fixture->package_path, fixture->key, manifest, paths, &error));
  g_assert_false (ff_package_extract_payload (package, "kernel", out, &error));
  g_assert_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

static void
test_oversized_manifest (Fixture      *fixture,
                         gconstpointer data)
{
  g_autofree char *big = g_strnfill (FF_PACKAGE_MANIFEST_MAX_SIZE + 1, ' ');
  const Entry entries[] = { { "manifest.json", 0, big }, SIGNATURE, KERNEL, PROGRAM };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) manifest = sample_manifest ();
  g_autofree char *notes = g_strnfill (FF_PACKAGE_MANIFEST_MAX_SIZE, 'x');
  const char *paths[] = { fixture->kernel_path, fixture->program_path, NULL };
  g_autofree char *out = dir_file (fixture, "big.ffpkg");

  big[0] = '{';
  path = write_tar (fixture, entries, G_N_ELEMENTS (entries));
  g_assert_null (ff_package_open (path, fixture->key, &error));
  g_assert_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "larger than 65536"));
  g_clear_error (&error);

  /* Nor is one built. */
  json_object_set_string_member (manifest, "notes", notes);
  g_assert_false (ff_package_build (out, fixture->key, manifest, paths, &error));
  g_assert_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

static void
test_build_refuses_bad_manifest (Fixture      *fixture,
                                 gconstpointer data)
{
  static const struct { const char *member; const char *value; } cases[] = {
    { "version", "not a version" },
    { "vendor", "../etc" },
  };
  const char *paths[] = { fixture->kernel_path, fixture->program_path, NULL };
  const char *one_path[] = { fixture->kernel_path, NULL };
  g_autofree char *out = dir_file (fixture, "bad.ffpkg");
  g_autofree char *before = dir_listing (fixture);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) manifest = sample_manifest ();
      g_autoptr(GError) error = NULL;

      json_object_set_string_member (manifest, cases[i].member, cases[i].value);
      g_assert_false (ff_package_build (out, fixture->key, manifest, paths, &error));
      g_assert_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, cases[i].member));
    }
  {
    g_autoptr(JsonObject) manifest = sample_manifest ();
    g_autoptr(GError) error = NULL;
    g_autofree char *after = NULL;

    g_assert_false (ff_package_build (out, fixture->key, manifest, one_path, &error));
    g_assert_error (error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_INVALID);
    after = dir_listing (fixture);
    g_assert_cmpstr (after, ==, before);
  }
}

/* A file that is there but no tar was called missing ("does not exist") when errno still held
 * ENOENT from an earlier call, as it did in `firmware add` of a broken .ffpkg. */
static void
test_not_a_tar (Fixture      *fixture,
                gconstpointer data)
{
  g_autofree char *junk = dir_file (fixture, "junk.ffpkg");
  g_autofree char *missing = dir_file (fixture, "missing.ffpkg");
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (junk, "no tar at all, only text that goes on for a while", -1,
                                      NULL));
  errno = ENOENT;
  g_assert_null (ff_package_open (junk, fixture->key, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_null (strstr (error->message, "does not exist"));
  g_clear_error (&error);
  g_assert_null (ff_package_open (missing, fixture->key, &error));
  g_assert_nonnull (strstr (error->message, "does not exist"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/package/round-trip", test_round_trip);
  ADD ("/package/forged-signature", test_forged_signature);
  ADD ("/package/hostile-entries", test_hostile_entries);
  ADD ("/package/tampered-payload", test_tampered_payload);
  ADD ("/package/changed-after-open", test_changed_after_open);
  ADD ("/package/oversized-manifest", test_oversized_manifest);
  ADD ("/package/build-refuses-bad-manifest", test_build_refuses_bad_manifest);
  ADD ("/package/not-a-tar", test_not_a_tar);
  return g_test_run ();
}
