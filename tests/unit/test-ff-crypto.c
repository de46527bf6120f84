/* Tests for ff-crypto: Ed25519 keys and signatures, SHA-256, PIN hashes, TLS certificates. */
#include "config.h"

#include "ff-crypto.h"
#include "ff-meter-seal.h"
#include "ff-test-fixtures.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

/* A run of the openssl tool, at native speed (ff_test_deadline_s scales it). */
#define OPENSSL_TOOL_SECONDS 60

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  fixture->dir = g_dir_make_tmp ("ff-crypto-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
}


static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  ff_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static void
test_sign_verify (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfKey) key = ff_key_generate (&error);
  g_autoptr(FfKey) other = ff_key_generate (&error);
  g_autoptr(GBytes) data = g_bytes_new_static ("{\"task\": 1}\n", 12);
  g_autoptr(GBytes) signature = NULL;
  g_autofree guint8 *flipped = NULL;
  g_autoptr(GBytes) flipped_data = NULL;
  g_autoptr(GBytes) short_signature = NULL;

  g_assert_no_error (error);
  signature = ff_key_sign (key, data, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (signature), ==, FF_SIGNATURE_SIZE);
  g_assert_true (ff_key_verify (key, data, signature, &error));
  g_assert_no_error (error);

  flipped = g_memdup2 (g_bytes_get_data (data, NULL), 12);
  flipped[3] ^= 0x01;
  flipped_data = g_bytes_new (flipped, 12);
  g_assert_false (ff_key_verify (key, flipped_data, signature, &error));
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  g_assert_false (ff_key_verify (other, data, signature, &error));
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  short_signature = g_bytes_new_from_bytes (signature, 0, 63);
  g_assert_false (ff_key_verify (key, data, short_signature, &error));
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_SIGNATURE);
}

static void
test_save_load (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfKey) key = ff_key_generate (&error);
  g_autofree char *path = g_build_filename (fixture->dir, "platform.key", NULL);
  g_autofree char *pub_path = g_build_filename (fixture->dir, "platform.pub", NULL);
  g_autoptr(FfKey) loaded = NULL;
  g_autoptr(FfKey) public_only = NULL;
  g_autofree char *pem = ff_key_get_public_pem (key);
  g_autofree char *loaded_pem = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static ("abc", 3);
  g_autoptr(GBytes) signature = NULL;
  struct stat info;

  g_assert_true (ff_key_save_private (key, path, &error));
  g_assert_no_error (error);
  g_assert_no_errno (g_stat (path, &info));
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);

  loaded = ff_key_load_private (path, &error);
  g_assert_no_error (error);
  g_assert_true (ff_key_has_private (loaded));
  loaded_pem = ff_key_get_public_pem (loaded);
  g_assert_cmpstr (pem, ==, loaded_pem);

  g_assert_true (g_file_set_contents (pub_path, pem, -1, &error));
  public_only = ff_key_load_public_file (pub_path, &error);
  g_assert_no_error (error);
  g_assert_false (ff_key_has_private (public_only));
  signature = ff_key_sign (loaded, message, &error);
  g_assert_true (ff_key_verify (public_only, message, signature, &error));
  g_assert_no_error (error);
}

static void
test_load_errors (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *garbage = g_build_filename (fixture->dir, "garbage.pem", NULL);
  g_autofree char *missing = g_build_filename (fixture->dir, "missing.pem", NULL);
  g_autofree char *ec_cert = g_build_filename (fixture->dir, "cert.pem", NULL);
  g_autofree char *ec_key = g_build_filename (fixture->dir, "cert.key", NULL);
  FfKey *key;

  g_assert_true (g_file_set_contents (garbage, "not a key", -1, NULL));
  key = ff_key_load_private (garbage, &error);
  g_assert_null (key);
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_KEY);
  g_clear_error (&error);

  key = ff_key_load_public_file (garbage, &error);
  g_assert_null (key);
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_KEY);
  g_clear_error (&error);

  key = ff_key_load_private (missing, &error);
  g_assert_null (key);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  /* An EC key is a valid key but not an Ed25519 one. */
  g_assert_true (ff_tls_certificate_generate (ec_cert, ec_key, "localhost", 1, &error));
  key = ff_key_load_private (ec_key, &error);
  g_assert_null (key);
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_KEY);
}

static void
test_openssl_reads_public_key (Fixture      *fixture,
                               gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfKey) key = ff_key_generate (&error);
  g_autofree char *pem = ff_key_get_public_pem (key);
  g_autofree char *path = g_build_filename (fixture->dir, "key.pem", NULL);
  g_autofree char *doc_path = g_build_filename (fixture->dir, "doc.json", NULL);
  g_autofree char *sig_path = g_build_filename (fixture->dir, "doc.sig", NULL);
  g_autofree char *out = NULL;
  g_autoptr(GBytes) doc = g_bytes_new_static ("{\"a\": 1}\n", 9);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GSubprocess) process = NULL;

  g_assert_true (g_file_set_contents (path, pem, -1, &error));
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                              &error, "openssl", "pkey", "-pubin", "-in", path, "-text_pub",
                              "-noout", NULL);
  g_assert_no_error (error);
  ff_test_subprocess_communicate (process, NULL, OPENSSL_TOOL_SECONDS, "openssl pkey", &out, NULL);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_nonnull (strstr (out, "ED25519"));
  g_clear_object (&process);

  signature = ff_key_sign (key, doc, &error);
  g_assert_true (g_file_set_contents (doc_path, g_bytes_get_data (doc, NULL), 9, NULL));
  g_assert_true (g_file_set_contents (sig_path, g_bytes_get_data (signature, NULL), 64, NULL));
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                              &error, "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", path,
                              "-rawin", "-in", doc_path, "-sigfile", sig_path, NULL);
  g_assert_no_error (error);
  ff_test_subprocess_wait (process, OPENSSL_TOOL_SECONDS, "openssl pkeyutl -verify");
  g_assert_true (g_subprocess_get_successful (process));
}

static void
test_sha256 (Fixture      *fixture,
             gconstpointer data)
{
  g_autofree char *empty = ff_sha256_hex ("", 0);
  g_autofree char *abc = ff_sha256_hex ("abc", 3);
  g_autofree char *path = g_build_filename (fixture->dir, "big.bin", NULL);
  g_autofree char *file_hex = NULL;
  g_autofree char *memory_hex = NULL;
  g_autofree guint8 *big = g_malloc (200 * 1024);
  g_autoptr(GError) error = NULL;
  goffset size = 0;

  g_assert_cmpstr (empty, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_assert_cmpstr (abc, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  for (gsize i = 0; i < 200 * 1024; i++)
    big[i] = (guint8) (i * 7);
  g_assert_true (g_file_set_contents (path, (char *) big, 200 * 1024, NULL));
  file_hex = ff_sha256_file_hex (path, &size, &error);
  g_assert_no_error (error);
  memory_hex = ff_sha256_hex (big, 200 * 1024);
  g_assert_cmpstr (file_hex, ==, memory_hex);
  g_assert_cmpint (size, ==, 200 * 1024);

  g_assert_true (ff_sha256_hex_is_valid (abc));
  g_assert_false (ff_sha256_hex_is_valid ("BA7816BF8F01CFEA414140DE5DAE2223"
                                          "B00361A396177A9CB410FF61F20015AD"));
  g_assert_false (ff_sha256_hex_is_valid ("ba78"));
  g_assert_false (ff_sha256_hex_is_valid (NULL));
}

static void
test_pin (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = ff_pin_hash ("482913", &error);
  g_autofree char *again = ff_pin_hash ("482913", &error);
  g_autofree char *tampered = NULL;

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (hash, "scrypt$"));
  g_assert_null (strstr (hash, "482913"));
  g_assert_cmpstr (hash, !=, again);   /* salted */
  g_assert_true (ff_pin_verify ("482913", hash));
  g_assert_true (ff_pin_verify ("482913", again));
  g_assert_false (ff_pin_verify ("482914", hash));
  g_assert_false (ff_pin_verify ("", hash));
  g_assert_false (ff_pin_verify ("482913", "scrypt$1$2$3"));
  g_assert_false (ff_pin_verify ("482913", "plain"));
  tampered = g_strdup (hash);
  tampered[strlen (tampered) - 1] = tampered[strlen (tampered) - 1] == '0' ? '1' : '0';
  g_assert_false (ff_pin_verify ("482913", tampered));
}

static void
test_tls_certificate (Fixture      *fixture,
                      gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = g_build_filename (fixture->dir, "tls.crt", NULL);
  g_autofree char *key = g_build_filename (fixture->dir, "tls.key", NULL);
  g_autoptr(GTlsCertificate) loaded = NULL;
  struct stat info;

  g_assert_true (ff_tls_certificate_generate (cert, key, "platform.example", 30, &error));
  g_assert_no_error (error);
  g_assert_no_errno (g_stat (key, &info));
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);
  loaded = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
}

static void
test_random_hex (void)
{
  g_autofree char *a = ff_random_hex (32);
  g_autofree char *b = ff_random_hex (32);

  g_assert_cmpuint (strlen (a), ==, 64);
  g_assert_true (ff_sha256_hex_is_valid (a));
  g_assert_cmpstr (a, !=, b);
}

/* A public key is decoded once per PEM text (the canonical text of an Ed25519 key without
 * OpenSSL's decoders, the same key); credentials issued again (another text) give their
 * own key, which verifies only its own signatures, and a bad text is still refused. */
static void
test_public_key_cache (void)
{
  static const char x25519_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VuAyEAlv2Bf5Pl3CA/+Ukj+oBuBKwGRQnCOXlCRquHZqNj4GE=\n"
    "-----END PUBLIC KEY-----\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(FfKey) key = ff_key_generate (&error);
  g_autoptr(FfKey) again = ff_key_generate (&error);
  g_autofree char *pem = ff_key_get_public_pem (key);
  g_autofree char *again_pem = ff_key_get_public_pem (again);
  g_autoptr(FfKey) first = ff_key_load_public_cached (pem, &error);
  g_autoptr(FfKey) second = ff_key_load_public_cached (pem, &error);
  g_autoptr(FfKey) renewed = ff_key_load_public_cached (again_pem, &error);
  g_autoptr(GBytes) data = g_bytes_new_static ("a result", 8);
  g_autoptr(GBytes) signature = ff_key_sign (again, data, &error);
  g_autofree char *reloaded_pem = ff_key_get_public_pem (first);
  FfKey *bad;

  g_assert_no_error (error);
  g_assert_true (first == second);
  g_assert_cmpstr (reloaded_pem, ==, pem);
  g_assert_true (renewed != first);
  g_assert_true (ff_key_verify (renewed, data, signature, NULL));
  g_assert_false (ff_key_verify (first, data, signature, NULL));
  bad = ff_key_load_public_cached ("not a key", &error);
  g_assert_null (bad);
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_KEY);
  g_clear_error (&error);
  /* The same form as an Ed25519 key's text, but an X25519 key: still refused. */
  bad = ff_key_load_public_cached (x25519_pem, &error);
  g_assert_null (bad);
  g_assert_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_KEY);
}

/* A meter's package sealed by the platform: unsealed with its public key, refused with another
 * key, for another app or version, with any byte of the seal changed, or without a seal. */
static void
test_meter_seal (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfKey) key = ff_key_generate (&error);
  g_autoptr(FfKey) other = ff_key_generate (&error);
  g_autofree char *pem = ff_key_get_public_pem (key);
  g_autoptr(FfKey) public_key = ff_key_load_public (pem, strlen (pem), &error);
  g_autoptr(GBytes) image = g_bytes_new_static ("the new image", 13);
  g_autoptr(GBytes) patch = g_bytes_new_static ("a patch", 7);
  g_autoptr(GBytes) sealed = ff_meter_seal (key, 7, 0x020000, image, patch, &error);
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *expected = ff_sha256_hex ("the new image", 13);
  gsize size = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (sealed), ==, 7 + FF_METER_SEAL_SIZE);
  payload = ff_meter_unseal (public_key, sealed, 7, 0x020000, &size, &sha256, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (payload, patch));
  g_assert_cmpuint (size, ==, 13);
  g_assert_cmpstr (sha256, ==, expected);

  g_assert_null (ff_meter_unseal (other, sealed, 7, 0x020000, &size, &sha256, NULL));
  g_assert_null (ff_meter_unseal (public_key, sealed, 8, 0x020000, &size, &sha256, NULL));
  g_assert_null (ff_meter_unseal (public_key, sealed, 7, 0x020001, &size, &sha256, NULL));
  g_assert_null (ff_meter_unseal (public_key, patch, 7, 0x020000, &size, &sha256, NULL));
  for (gsize i = 7; i < g_bytes_get_size (sealed); i++)
    {
      g_autoptr(GByteArray) bytes = g_byte_array_new ();
      g_autoptr(GBytes) changed = NULL;

      g_byte_array_append (bytes, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed));
      bytes->data[i] ^= 0x01;
      changed = g_bytes_new (bytes->data, bytes->len);
      g_assert_null (ff_meter_unseal (public_key, changed, 7, 0x020000, &size, &sha256, NULL));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/crypto/sign-verify", test_sign_verify);
  g_test_add_func ("/crypto/meter-seal", test_meter_seal);
  g_test_add_func ("/crypto/public-key-cache", test_public_key_cache);
  g_test_add ("/crypto/save-load", Fixture, NULL, fixture_set_up, test_save_load,
              fixture_tear_down);
  g_test_add ("/crypto/load-errors", Fixture, NULL, fixture_set_up, test_load_errors,
              fixture_tear_down);
  g_test_add ("/crypto/openssl-reads-public-key", Fixture, NULL, fixture_set_up,
              test_openssl_reads_public_key, fixture_tear_down);
  g_test_add ("/crypto/sha256", Fixture, NULL, fixture_set_up, test_sha256, fixture_tear_down);
  g_test_add_func ("/crypto/pin", test_pin);
  g_test_add ("/crypto/tls-certificate", Fixture, NULL, fixture_set_up, test_tls_certificate,
              fixture_tear_down);
  g_test_add_func ("/crypto/random-hex", test_random_hex);
  return g_test_run ();
}
