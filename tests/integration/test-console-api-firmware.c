/* The operator console's JSON API (docs/api.md, "Console API (operators)") against a real server
 * process on 127.0.0.1 with a real database (console-api-harness.h): firmware and package uploads,
 * withdrawal, and a store that fails. */
#include "config.h"

#include "console-api-harness.h"

/* An upload stores and records the image as "firmware add" does, audited; withdrawing it too. */
static void
test_firmware_upload_and_withdraw (Fixture      *fixture,
                                   gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL, *sha256 = NULL, *stored = NULL, *message = NULL;
  g_autofree guint8 *bytes = g_malloc (300 * 1024);
  const char *headers[] = { "Cookie", NULL, "X-CSRF-Token", NULL,
                            "Content-Type", "application/octet-stream", NULL };
  const char *path = "/console/api/firmware?vendor=Acme&model=DTU-3000&version=V3.00"
                     "&hardware=HV1.0,HV1.1&notes=%3Cscript%3Ealert(1)%3C%2Fscript%3E";
  const struct { const char *list, *fragment; } bad_hardware[] = {
    { "HV1.0,%20,HV1.1", "has an empty item" },
    { "HV1.0,%20HV1.0", "HV1.0 is named twice" },
  };
  JsonArray *entries;
  JsonObject *firmware;

  for (gsize i = 0; i < 300 * 1024; i++)
    bytes[i] = (guint8) (i * 7 + (i >> 10));
  image = g_bytes_new (bytes, 300 * 1024);
  sha256 = ff_sha256_hex (bytes, 300 * 1024);
  stored = g_strdup_printf ("%s/firmware/%.2s/%s", h->data_dir, sha256, sha256 + 2);
  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  headers[1] = login.cookie;
  headers[3] = "not the token";
  g_assert_cmpuint (harness_request (h, "POST", path, NULL, image, headers, &body, NULL), ==, 403);
  headers[3] = login.csrf;
  g_assert_cmpuint (harness_request (h, "POST", "/console/api/firmware?vendor=Acme", NULL, image,
                                     headers, NULL, NULL), ==, 400);
  /* The hardware list is read as the CLI's --hardware is: no empty item, no repeat. */
  for (guint i = 0; i < G_N_ELEMENTS (bad_hardware); i++)
    {
      g_autofree char *bad_path = g_strdup_printf ("/console/api/firmware?vendor=Acme&model=DTU-3000"
                                                   "&version=V3.00&hardware=%s",
                                                   bad_hardware[i].list);

      g_clear_pointer (&body, g_bytes_unref);
      g_clear_pointer (&message, g_free);
      g_assert_cmpuint (harness_request (h, "POST", bad_path, NULL, image, headers, &body, NULL),
                        ==, 400);
      message = harness_error_text (body);
      g_assert_nonnull (strstr (message, bad_hardware[i].fragment));
    }
  g_clear_pointer (&message, g_free);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_false (g_file_test (stored, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (harness_request (h, "POST", path, NULL, image, headers, &body, NULL), ==, 201);
  firmware = json_object_get_object_member (parse_object (body, parser), "firmware");
  g_assert_cmpstr (json_object_get_string_member (firmware, "sha256"), ==, sha256);
  g_assert_cmpstr (json_object_get_string_member (firmware, "notes"), ==,
                   "<script>alert(1)</script>");
  g_assert_true (g_file_test (stored, G_FILE_TEST_IS_REGULAR));
  out = harness_run_ok (h, "firmware", "show", "V3.00", "--json", NULL);
  g_assert_nonnull (strstr (out, sha256));
  /* Versions are never replaced. */
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "POST", path, NULL, image, headers, &body, NULL), ==, 409);

  g_assert_cmpuint (call (h, "POST", "/console/api/firmware/V3.00/withdraw", &login, TRUE, NULL,
                          NULL, NULL), ==, 200);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (call (h, "POST", "/console/api/firmware/V3.00/withdraw", &login, TRUE, NULL,
                          &body, NULL), ==, 409);
  message = harness_error_text (body);
  g_assert_nonnull (strstr (message, "V3.00"));
  entries = get_array (h, &login, "/console/api/audit", "entries", parser);
  g_assert_cmpuint (json_array_get_length (entries), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0),
                                                  "action"), ==, "firmware.withdraw");
  g_assert_nonnull (strstr (json_object_get_string_member (
                              json_array_get_object_element (entries, 0), "before"),
                            "\"withdrawn\":false"));
  g_assert_nonnull (strstr (json_object_get_string_member (
                              json_array_get_object_element (entries, 0), "after"),
                            "\"withdrawn\":true"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 1),
                                                  "action"), ==, "firmware.add");
  /* Nothing of the uploads is left behind but the image in the store. */
  g_clear_pointer (&out, g_free);
  out = g_build_filename (h->data_dir, "uploads", NULL);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_DIR));
  {
    g_autoptr(GDir) dir = g_dir_open (out, 0, NULL);

    g_assert_null (g_dir_read_name (dir));
  }
}

/* A package for networked terminals describes itself, as for "firmware add FILE.ffpkg". */
static void
test_firmware_package_upload (Fixture      *fixture,
                              gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autofree char *program = harness_write (h, "main-program", "#!/bin/sh\necho V4.00\n", -1);
  g_autofree char *package_path = g_build_filename (h->dir, "v4.ffpkg", NULL);
  g_autofree char *contents = NULL, *out = NULL, *message = NULL;
  g_autoptr(GBytes) package = NULL;
  g_autoptr(GBytes) junk = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *headers[] = { "Cookie", NULL, "X-CSRF-Token", NULL,
                            "Content-Type", "application/octet-stream", NULL };
  JsonObject *firmware;
  gsize length = 0;

  g_free (harness_run_ok (h, "packages", "build", "--vendor", "Acme", "--model", "DTU-3000",
                          "--hardware", "HV1.0", "--version", "V4.00", "--notes", "Remote fix",
                          "--main-program", program, "--main-program-version", "V4.00", "-o",
                          package_path, NULL));
  g_assert_true (g_file_get_contents (package_path, &contents, &length, NULL));
  package = g_bytes_new_take (g_steal_pointer (&contents), length);
  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  headers[1] = login.cookie;
  headers[3] = login.csrf;
  /* A version the manifest does not say is refused. */
  g_assert_cmpuint (harness_request (h, "POST", "/console/api/firmware?format=ffpkg&version=V4.01",
                                     NULL, package, headers, &body, NULL), ==, 400);
  message = harness_error_text (body);
  g_assert_nonnull (strstr (message, "manifest"));
  g_clear_pointer (&body, g_bytes_unref);
  g_clear_pointer (&message, g_free);
  /* What is wrong with a package is said, never where the server keeps the upload. */
  junk = g_bytes_new_static ("not a tar at all", 16);
  g_assert_cmpuint (harness_request (h, "POST", "/console/api/firmware?format=ffpkg", NULL, junk,
                                     headers, &body, NULL), ==, 400);
  message = harness_error_text (body);
  g_assert_nonnull (strstr (message, "The package you uploaded "));
  g_assert_null (strstr (message, h->data_dir));
  g_assert_null (strstr (message, "upload-"));
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (harness_request (h, "POST", "/console/api/firmware?format=ffpkg", NULL,
                                     package, headers, &body, NULL), ==, 201);
  firmware = json_object_get_object_member (parse_object (body, parser), "firmware");
  g_assert_cmpstr (json_object_get_string_member (firmware, "version"), ==, "V4.00");
  g_assert_cmpstr (json_object_get_string_member (firmware, "hardware_versions"), ==, "HV1.0");
  g_assert_cmpstr (json_object_get_string_member (firmware, "notes"), ==, "Remote fix");
  out = harness_run_ok (h, "firmware", "list", NULL);
  g_assert_nonnull (strstr (out, "Acme DTU-3000 V4.00"));
}

/* A failure of the platform's own (here: the firmware store cannot make the image's directory)
 * is a 500 that tells the client nothing of the server's files; the detail is in the log. */
static void
test_firmware_store_failure (Fixture      *fixture,
                             gconstpointer data)
{
  Harness *h = fixture->h;
  g_auto(Login) login = { 0 };
  g_autoptr(GBytes) image = g_bytes_new_static ("an image the store cannot take", 30);
  g_autoptr(GBytes) body = NULL;
  g_autofree char *sha256 = ff_sha256_hex (g_bytes_get_data (image, NULL), 30);
  g_autofree char *prefix = g_strndup (sha256, 2);
  g_autofree char *blocker = g_build_filename (h->data_dir, "firmware", prefix, NULL);
  g_autofree char *message = NULL, *out = NULL;
  const char *headers[] = { "Cookie", NULL, "X-CSRF-Token", NULL,
                            "Content-Type", "application/octet-stream", NULL };

  /* A file where the image's directory must go: mkdir fails, even for root. */
  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));
  log_in_ok (h, "olga", OPERATOR_PASSWORD, &login);
  headers[1] = login.cookie;
  headers[3] = login.csrf;
  g_assert_cmpuint (harness_request (h, "POST", "/console/api/firmware?vendor=Acme&model=DTU-3000"
                                     "&version=V3.10&hardware=HV1.0", NULL, image, headers,
                                     &body, NULL), ==, 500);
  message = harness_error_text (body);
  g_assert_nonnull (strstr (message, "its log says why"));
  g_assert_null (strstr (message, h->data_dir));
  g_assert_null (strstr (message, "firmware/"));
  out = harness_run_ok (h, "firmware", "list", NULL);
  g_assert_null (strstr (out, "V3.10"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  CONSOLE_API_ADD ("firmware-upload-and-withdraw", test_firmware_upload_and_withdraw);
  CONSOLE_API_ADD ("firmware-package-upload", test_firmware_package_upload);
  CONSOLE_API_ADD ("firmware-store-failure", test_firmware_store_failure);
  return g_test_run ();
}
