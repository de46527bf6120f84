/* OpenSSL 3 building blocks: Ed25519 keys and signatures, SHA-256, PIN hashes, TLS certificates. */
#include "config.h"

#include "ff-crypto.h"

#include "ff-files.h"

#include <glib/gi18n-lib.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

/* scrypt cost: 2^15 x 8 x 1 needs 32 MiB and ~0.1 s, slow enough to make PIN guessing from a stolen
 * database expensive while keeping a login quick. */
#define PIN_SCRYPT_N 32768
#define PIN_SCRYPT_R 8
#define PIN_SCRYPT_P 1
#define PIN_SALT_BYTES 16
#define PIN_HASH_BYTES 32
#define PIN_SCRYPT_MAX_MEMORY (64 * 1024 * 1024)

struct _FfKey
{
  EVP_PKEY *pkey;
  gboolean has_private;
};

G_DEFINE_QUARK (ff-crypto-error-quark, ff_crypto_error)

static void
set_openssl_error (GError    **error,
                   int         code,
                   const char *what)
{
  char detail[256] = "";
  unsigned long err = ERR_get_error ();

  if (err != 0)
    ERR_error_string_n (err, detail, sizeof detail);
  ERR_clear_error ();
  g_set_error (error, FF_CRYPTO_ERROR, code, "%s%s%s", what, *detail ? ": " : "", detail);
}

static FfKey *
key_wrap (EVP_PKEY *pkey,
          gboolean  has_private)
{
  FfKey *key = g_atomic_rc_box_new0 (FfKey);

  key->pkey = pkey;
  key->has_private = has_private;
  return key;
}

FfKey *
ff_key_ref (FfKey *key)
{
  return g_atomic_rc_box_acquire (key);
}

static void
key_clear (FfKey *key)
{
  EVP_PKEY_free (key->pkey);
}

void
ff_key_unref (FfKey *key)
{
  g_atomic_rc_box_release_full (key, (GDestroyNotify) key_clear);
}

FfKey *
ff_key_generate (GError **error)
{
  EVP_PKEY *pkey = EVP_PKEY_Q_keygen (NULL, NULL, "ED25519");

  if (pkey == NULL)
    {
      set_openssl_error (error, FF_CRYPTO_ERROR_FAILED, _("Could not generate an Ed25519 key"));
      return NULL;
    }
  return key_wrap (pkey, TRUE);
}

/* Wraps @pkey read from @origin, or frees it when it is not an Ed25519 key. */
static FfKey *
key_wrap_ed25519 (EVP_PKEY   *pkey,
                  gboolean    has_private,
                  const char *origin,
                  GError    **error)
{
  if (EVP_PKEY_is_a (pkey, "ED25519"))
    return key_wrap (pkey, has_private);
  EVP_PKEY_free (pkey);
  g_set_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_KEY,
               _("The key in %s is not an Ed25519 key"), origin);
  return NULL;
}

FfKey *
ff_key_load_private (const char *path,
                     GError    **error)
{
  g_autofree char *pem = NULL;
  gsize length = 0;
  BIO *bio;
  EVP_PKEY *pkey;

  if (!g_file_get_contents (path, &pem, &length, error))
    return NULL;
  bio = BIO_new_mem_buf (pem, (int) length);
  pkey = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
  BIO_free (bio);
  OPENSSL_cleanse (pem, length);
  if (pkey == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("Could not read a private key from %s"), path);
      set_openssl_error (error, FF_CRYPTO_ERROR_BAD_KEY, what);
      return NULL;
    }
  return key_wrap_ed25519 (pkey, TRUE, path, error);
}

#define PEM_PUBLIC_BEGIN "-----BEGIN PUBLIC KEY-----\n"
#define PEM_PUBLIC_END "\n-----END PUBLIC KEY-----\n"
#define ED25519_SPKI_PREFIX "\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00"
#define ED25519_SPKI_PREFIX_SIZE 12
#define ED25519_SPKI_SIZE (ED25519_SPKI_PREFIX_SIZE + 32)
/* 44 bytes of SubjectPublicKeyInfo are 60 characters of base64. */
#define ED25519_SPKI_BASE64_LENGTH 60

/* The key of @pem when it is exactly the PEM text OpenSSL writes for an Ed25519 public key (one
 * base64 line of its SubjectPublicKeyInfo), else NULL. OpenSSL 3's PEM decoding looks up its
 * decoders for every key, which costs far more than a signature check; every terminal's and
 * tablet's key has this form, and any other text takes OpenSSL's full path. */
static EVP_PKEY *
ed25519_public_from_canonical_pem (const char *pem,
                                   gsize       length)
{
  const gsize begin = strlen (PEM_PUBLIC_BEGIN), end = strlen (PEM_PUBLIC_END);
  char base64[ED25519_SPKI_BASE64_LENGTH + 1];
  g_autofree guchar *der = NULL;
  g_autofree char *again = NULL;
  gsize der_length = 0;

  if (length != begin + ED25519_SPKI_BASE64_LENGTH + end
      || memcmp (pem, PEM_PUBLIC_BEGIN, begin) != 0
      || memcmp (pem + begin + ED25519_SPKI_BASE64_LENGTH, PEM_PUBLIC_END, end) != 0)
    return NULL;
  memcpy (base64, pem + begin, ED25519_SPKI_BASE64_LENGTH);
  base64[ED25519_SPKI_BASE64_LENGTH] = '\0';
  der = g_base64_decode (base64, &der_length);
  /* g_base64_decode() skips what is not base64: the line must be exactly the encoding. */
  again = g_base64_encode (der, der_length);
  if (der_length != ED25519_SPKI_SIZE || strcmp (again, base64) != 0
      || memcmp (der, ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX_SIZE) != 0)
    return NULL;
  return EVP_PKEY_new_raw_public_key_ex (NULL, "ED25519", NULL, der + ED25519_SPKI_PREFIX_SIZE,
                                         ED25519_SPKI_SIZE - ED25519_SPKI_PREFIX_SIZE);
}

FfKey *
ff_key_load_public (const char *pem,
                    gsize       length,
                    GError    **error)
{
  BIO *bio;
  EVP_PKEY *pkey = ed25519_public_from_canonical_pem (pem, length);

  if (pkey != NULL)
    return key_wrap (pkey, FALSE);
  if (length > G_MAXINT)
    length = G_MAXINT;
  bio = BIO_new_mem_buf (pem, (int) length);
  pkey = PEM_read_bio_PUBKEY (bio, NULL, NULL, NULL);
  BIO_free (bio);
  if (pkey == NULL)
    {
      set_openssl_error (error, FF_CRYPTO_ERROR_BAD_KEY, _("Not a PEM public key"));
      return NULL;
    }
  return key_wrap_ed25519 (pkey, FALSE, _("the PEM text"), error);
}

/* Beyond this many distinct keys the cache starts afresh: a bound on what keys that are no longer
 * anybody's (credentials issued again) can hold. */
#define KEY_CACHE_MAX 100000

/* Decoding a PEM key costs OpenSSL 3 far more than verifying a signature (its decoders are looked
 * up for every key), so each public key is decoded once per process. The PEM text is the cache
 * key: credentials issued again have a new text and are decoded afresh. */
FfKey *
ff_key_load_public_cached (const char *pem,
                           GError    **error)
{
  static GMutex lock;
  static GHashTable *keys;
  FfKey *key;

  g_mutex_lock (&lock);
  if (keys == NULL || g_hash_table_size (keys) >= KEY_CACHE_MAX)
    {
      g_clear_pointer (&keys, g_hash_table_unref);
      keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) ff_key_unref);
    }
  key = g_hash_table_lookup (keys, pem);
  if (key == NULL)
    {
      key = ff_key_load_public (pem, strlen (pem), error);
      if (key != NULL)
        g_hash_table_insert (keys, g_strdup (pem), key);
    }
  if (key != NULL)
    ff_key_ref (key);
  g_mutex_unlock (&lock);
  return key;
}

FfKey *
ff_key_load_public_file (const char *path,
                         GError    **error)
{
  g_autofree char *pem = NULL;
  gsize length = 0;
  g_autoptr(GError) local_error = NULL;
  FfKey *key;

  if (!g_file_get_contents (path, &pem, &length, error))
    return NULL;
  key = ff_key_load_public (pem, length, &local_error);
  if (key == NULL)
    g_set_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_KEY, "%s: %s", path,
                 local_error->message);
  return key;
}

GBytes *
ff_certificate_load_der_file (const char *path,
                              GError    **error)
{
  g_autofree char *pem = NULL;
  gsize length = 0;
  BIO *bio;
  X509 *certificate;
  unsigned char *der = NULL;
  int der_length;
  GBytes *bytes;

  if (!g_file_get_contents (path, &pem, &length, error))
    return NULL;
  bio = BIO_new_mem_buf (pem, (int) MIN (length, G_MAXINT));
  certificate = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  BIO_free (bio);
  der_length = certificate != NULL ? i2d_X509 (certificate, &der) : -1;
  X509_free (certificate);
  if (der_length <= 0)
    {
      g_autoptr(GError) local_error = NULL;

      set_openssl_error (&local_error, FF_CRYPTO_ERROR_FAILED, _("Not a PEM certificate"));
      g_set_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_FAILED, "%s: %s", path,
                   local_error->message);
      return NULL;
    }
  bytes = g_bytes_new (der, der_length);
  OPENSSL_free (der);
  return bytes;
}

static char *
bio_to_string (BIO *bio)
{
  char *data = NULL;
  long length = BIO_get_mem_data (bio, &data);

  return g_strndup (data, length);
}

static gboolean
write_file_atomically (const char *path,
                       const char *contents,
                       int         mode,
                       GError    **error)
{
  return ff_file_replace (path, contents, -1, mode, error);
}

static char *
private_key_pem (EVP_PKEY *pkey)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *pem = NULL;

  if (PEM_write_bio_PrivateKey (bio, pkey, NULL, NULL, 0, NULL, NULL) == 1)
    pem = bio_to_string (bio);
  BIO_free (bio);
  return pem;
}

gboolean
ff_key_save_private (FfKey      *key,
                     const char *path,
                     GError    **error)
{
  g_autofree char *pem = NULL;
  gboolean ok;

  g_return_val_if_fail (key->has_private, FALSE);

  pem = private_key_pem (key->pkey);
  if (pem == NULL)
    {
      set_openssl_error (error, FF_CRYPTO_ERROR_FAILED, _("Could not encode the private key"));
      return FALSE;
    }
  ok = write_file_atomically (path, pem, 0600, error);
  OPENSSL_cleanse (pem, strlen (pem));
  return ok;
}

char *
ff_key_get_private_pem (FfKey *key)
{
  g_return_val_if_fail (key->has_private, NULL);

  return private_key_pem (key->pkey);
}

char *
ff_key_get_public_pem (FfKey *key)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *pem = NULL;

  if (PEM_write_bio_PUBKEY (bio, key->pkey) == 1)
    pem = bio_to_string (bio);
  BIO_free (bio);
  return pem;
}

gboolean
ff_key_has_private (FfKey *key)
{
  return key->has_private;
}

GBytes *
ff_key_sign (FfKey   *key,
             GBytes  *data,
             GError **error)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  guint8 *signature = g_malloc (FF_SIGNATURE_SIZE);
  size_t signature_length = FF_SIGNATURE_SIZE;
  gsize data_length = 0;
  const guint8 *bytes = g_bytes_get_data (data, &data_length);
  gboolean ok;

  g_return_val_if_fail (key->has_private, NULL);

  ok = EVP_DigestSignInit (ctx, NULL, NULL, NULL, key->pkey) == 1
       && EVP_DigestSign (ctx, signature, &signature_length, bytes, data_length) == 1;
  EVP_MD_CTX_free (ctx);
  if (!ok)
    {
      g_free (signature);
      set_openssl_error (error, FF_CRYPTO_ERROR_FAILED, _("Could not sign the document"));
      return NULL;
    }
  return g_bytes_new_take (signature, signature_length);
}

gboolean
ff_key_verify (FfKey   *key,
               GBytes  *data,
               GBytes  *signature,
               GError **error)
{
  EVP_MD_CTX *ctx;
  gsize data_length = 0, signature_length = 0;
  const guint8 *bytes = g_bytes_get_data (data, &data_length);
  const guint8 *sig = g_bytes_get_data (signature, &signature_length);
  gboolean ok;

  if (signature_length != FF_SIGNATURE_SIZE)
    {
      g_set_error (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_SIGNATURE,
                   _("The signature has %zu bytes instead of %d"), signature_length,
                   FF_SIGNATURE_SIZE);
      return FALSE;
    }
  ctx = EVP_MD_CTX_new ();
  ok = EVP_DigestVerifyInit (ctx, NULL, NULL, NULL, key->pkey) == 1
       && EVP_DigestVerify (ctx, sig, signature_length, bytes, data_length) == 1;
  EVP_MD_CTX_free (ctx);
  ERR_clear_error ();
  if (!ok)
    g_set_error_literal (error, FF_CRYPTO_ERROR, FF_CRYPTO_ERROR_BAD_SIGNATURE,
                         _("The signature does not match the document and key"));
  return ok;
}

static char *
digest_to_hex (const guint8 *digest,
               gsize         length)
{
  static const char digits[] = "0123456789abcdef";
  char *hex = g_malloc (length * 2 + 1);

  for (gsize i = 0; i < length; i++)
    {
      hex[2 * i] = digits[digest[i] >> 4];
      hex[2 * i + 1] = digits[digest[i] & 0xf];
    }
  hex[length * 2] = '\0';
  return hex;
}

char *
ff_sha256_hex (const void *data,
               gsize       length)
{
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;

  if (EVP_Digest (data, length, digest, &digest_length, EVP_sha256 (), NULL) != 1)
    g_error ("SHA-256 is unavailable in this OpenSSL build");
  return digest_to_hex (digest, digest_length);
}

struct _FfSha256
{
  EVP_MD_CTX *ctx;
};

FfSha256 *
ff_sha256_new (void)
{
  FfSha256 *sha256 = g_new0 (FfSha256, 1);

  sha256->ctx = EVP_MD_CTX_new ();
  EVP_DigestInit_ex (sha256->ctx, EVP_sha256 (), NULL);
  return sha256;
}

void
ff_sha256_update (FfSha256   *sha256,
                  const void *data,
                  gsize       length)
{
  EVP_DigestUpdate (sha256->ctx, data, length);
}

char *
ff_sha256_finish_hex (FfSha256 *sha256)
{
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;

  EVP_DigestFinal_ex (sha256->ctx, digest, &digest_length);
  EVP_DigestInit_ex (sha256->ctx, EVP_sha256 (), NULL);
  return digest_to_hex (digest, digest_length);
}

void
ff_sha256_free (FfSha256 *sha256)
{
  if (sha256 == NULL)
    return;
  EVP_MD_CTX_free (sha256->ctx);
  g_free (sha256);
}

char *
ff_sha256_file_hex (const char *path,
                    goffset    *size_out,
                    GError    **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = g_file_read (file, NULL, error);
  g_autofree guint8 *buffer = NULL;
  g_autoptr(FfSha256) sha256 = NULL;
  goffset total = 0;
  gssize n;

  if (stream == NULL)
    return NULL;
  buffer = g_malloc (64 * 1024);
  sha256 = ff_sha256_new ();
  while ((n = g_input_stream_read (G_INPUT_STREAM (stream), buffer, 64 * 1024, NULL, error)) > 0)
    {
      ff_sha256_update (sha256, buffer, n);
      total += n;
    }
  if (n < 0)
    return NULL;
  if (size_out != NULL)
    *size_out = total;
  return ff_sha256_finish_hex (sha256);
}

gboolean
ff_sha256_hex_is_valid (const char *text)
{
  if (text == NULL || strlen (text) != FF_SHA256_HEX_LENGTH)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

void
ff_crypto_thread_done (void)
{
  OPENSSL_thread_stop ();
}

static void
run_then_thread_done (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  GTaskThreadFunc func = g_object_get_data (G_OBJECT (task), "ff-crypto-thread-func");

  func (task, source_object, task_data, cancellable);
  ff_crypto_thread_done ();
}

void
ff_crypto_run_in_thread (GTask           *task,
                         GTaskThreadFunc  func)
{
  g_object_set_data (G_OBJECT (task), "ff-crypto-thread-func", func);
  g_task_run_in_thread (task, run_then_thread_done);
}

char *
ff_random_hex (gsize n_bytes)
{
  g_autofree guint8 *bytes = g_malloc (n_bytes);

  if (RAND_bytes (bytes, (int) n_bytes) != 1)
    g_error ("The OpenSSL random generator failed");
  return digest_to_hex (bytes, n_bytes);
}

static gboolean
scrypt (const char   *pin,
        const guint8 *salt,
        gsize         salt_length,
        guint64       n,
        guint64       r,
        guint64       p,
        guint8       *out,
        gsize         out_length)
{
  return EVP_PBE_scrypt (pin, strlen (pin), salt, salt_length, n, r, p, PIN_SCRYPT_MAX_MEMORY,
                         out, out_length) == 1;
}

char *
ff_pin_hash (const char *pin,
             GError    **error)
{
  guint8 salt[PIN_SALT_BYTES];
  guint8 hash[PIN_HASH_BYTES];
  g_autofree char *salt_hex = NULL;
  g_autofree char *hash_hex = NULL;

  if (RAND_bytes (salt, sizeof salt) != 1
      || !scrypt (pin, salt, sizeof salt, PIN_SCRYPT_N, PIN_SCRYPT_R, PIN_SCRYPT_P,
                  hash, sizeof hash))
    {
      set_openssl_error (error, FF_CRYPTO_ERROR_FAILED, _("Could not hash the PIN"));
      return NULL;
    }
  salt_hex = digest_to_hex (salt, sizeof salt);
  hash_hex = digest_to_hex (hash, sizeof hash);
  OPENSSL_cleanse (hash, sizeof hash);
  return g_strdup_printf ("scrypt$%d$%d$%d$%s$%s", PIN_SCRYPT_N, PIN_SCRYPT_R, PIN_SCRYPT_P,
                          salt_hex, hash_hex);
}

static gboolean
parse_hex (const char *hex,
           guint8     *out,
           gsize       out_length)
{
  if (strlen (hex) != out_length * 2)
    return FALSE;
  for (gsize i = 0; i < out_length; i++)
    {
      int high = g_ascii_xdigit_value (hex[2 * i]);
      int low = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (high < 0 || low < 0)
        return FALSE;
      out[i] = (guint8) (high << 4 | low);
    }
  return TRUE;
}

typedef struct
{
  guint64 n, r, p;
  guint8  salt[PIN_SALT_BYTES];
  guint8  hash[PIN_HASH_BYTES];
} PinHash;

static gboolean
parse_pin_hash (const char *stored_hash,
                PinHash    *out)
{
  g_auto(GStrv) parts = g_strsplit (stored_hash, "$", -1);

  return g_strv_length (parts) == 6 && strcmp (parts[0], "scrypt") == 0
         && g_ascii_string_to_unsigned (parts[1], 10, 2, 1 << 20, &out->n, NULL)
         && g_ascii_string_to_unsigned (parts[2], 10, 1, 32, &out->r, NULL)
         && g_ascii_string_to_unsigned (parts[3], 10, 1, 16, &out->p, NULL)
         && parse_hex (parts[4], out->salt, sizeof out->salt)
         && parse_hex (parts[5], out->hash, sizeof out->hash);
}

gboolean
ff_pin_hash_is_valid (const char *stored_hash)
{
  PinHash parsed;

  return stored_hash != NULL && parse_pin_hash (stored_hash, &parsed)
         && parsed.n >= PIN_SCRYPT_N && parsed.r >= PIN_SCRYPT_R;
}

gboolean
ff_pin_verify (const char *pin,
               const char *stored_hash)
{
  PinHash parsed;
  guint8 actual[PIN_HASH_BYTES];
  gboolean match;

  if (!parse_pin_hash (stored_hash, &parsed))
    return FALSE;
  if (!scrypt (pin, parsed.salt, sizeof parsed.salt, parsed.n, parsed.r, parsed.p, actual,
               sizeof actual))
    {
      ERR_clear_error ();
      return FALSE;
    }
  match = CRYPTO_memcmp (actual, parsed.hash, sizeof actual) == 0;
  OPENSSL_cleanse (actual, sizeof actual);
  return match;
}

static gboolean
add_subject_alt_names (X509       *certificate,
                       const char *host_name)
{
  g_autofree char *names = g_strdup_printf ("DNS:%s,IP:127.0.0.1,IP:::1", host_name);
  X509V3_CTX ctx;
  X509_EXTENSION *extension;
  gboolean ok;

  X509V3_set_ctx (&ctx, certificate, certificate, NULL, NULL, 0);
  extension = X509V3_EXT_conf_nid (NULL, &ctx, NID_subject_alt_name, names);
  if (extension == NULL)
    return FALSE;
  ok = X509_add_ext (certificate, extension, -1) == 1;
  X509_EXTENSION_free (extension);
  return ok;
}

static X509 *
build_self_signed (EVP_PKEY   *pkey,
                   const char *host_name,
                   guint       days)
{
  X509 *certificate = X509_new ();
  X509_NAME *name = X509_get_subject_name (certificate);
  guint8 serial_bytes[16];
  BIGNUM *serial = NULL;
  gboolean ok;

  RAND_bytes (serial_bytes, sizeof serial_bytes);
  serial_bytes[0] &= 0x7f;
  serial = BN_bin2bn (serial_bytes, sizeof serial_bytes, NULL);
  ok = X509_set_version (certificate, X509_VERSION_3) == 1
       && BN_to_ASN1_INTEGER (serial, X509_get_serialNumber (certificate)) != NULL
       && X509_gmtime_adj (X509_getm_notBefore (certificate), -3600) != NULL
       && X509_gmtime_adj (X509_getm_notAfter (certificate), (long) days * 24 * 3600) != NULL
       && X509_set_pubkey (certificate, pkey) == 1
       && X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
                                      (const unsigned char *) host_name, -1, -1, 0) == 1
       && X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8,
                                      (const unsigned char *) "Fieldflash platform", -1, -1,
                                      0) == 1
       && X509_set_issuer_name (certificate, name) == 1
       && add_subject_alt_names (certificate, host_name)
       && X509_sign (certificate, pkey, EVP_sha256 ()) > 0;
  BN_free (serial);
  if (!ok)
    {
      X509_free (certificate);
      return NULL;
    }
  return certificate;
}

gboolean
ff_tls_certificate_generate (const char *cert_path,
                             const char *key_path,
                             const char *host_name,
                             guint       days,
                             GError    **error)
{
  EVP_PKEY *pkey = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  X509 *certificate = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  BIO *bio;
  gboolean ok;

  if (pkey != NULL)
    certificate = build_self_signed (pkey, host_name, days);
  if (certificate == NULL)
    {
      EVP_PKEY_free (pkey);
      set_openssl_error (error, FF_CRYPTO_ERROR_FAILED,
                         _("Could not create the TLS certificate"));
      return FALSE;
    }
  bio = BIO_new (BIO_s_mem ());
  if (PEM_write_bio_X509 (bio, certificate) == 1)
    cert_pem = bio_to_string (bio);
  BIO_free (bio);
  key_pem = private_key_pem (pkey);
  X509_free (certificate);
  EVP_PKEY_free (pkey);
  if (cert_pem == NULL || key_pem == NULL)
    {
      set_openssl_error (error, FF_CRYPTO_ERROR_FAILED,
                         _("Could not encode the TLS certificate"));
      return FALSE;
    }
  ok = write_file_atomically (key_path, key_pem, 0600, error)
       && write_file_atomically (cert_path, cert_pem, 0644, error);
  OPENSSL_cleanse (key_pem, strlen (key_pem));
  return ok;
}

/* Adds the extension @nid with the OpenSSL configuration text @value. */
static gboolean
add_extension (X509       *certificate,
               X509       *issuer,
               int         nid,
               const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *extension;
  gboolean ok;

  X509V3_set_ctx (&ctx, issuer, certificate, NULL, NULL, 0);
  extension = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  if (extension == NULL)
    return FALSE;
  ok = X509_add_ext (certificate, extension, -1) == 1;
  X509_EXTENSION_free (extension);
  return ok;
}

static gboolean
set_random_serial (X509 *certificate)
{
  guint8 serial_bytes[16];
  BIGNUM *serial;
  gboolean ok;

  if (RAND_bytes (serial_bytes, sizeof serial_bytes) != 1)
    return FALSE;
  serial_bytes[0] &= 0x7f;
  serial = BN_bin2bn (serial_bytes, sizeof serial_bytes, NULL);
  ok = serial != NULL && BN_to_ASN1_INTEGER (serial, X509_get_serialNumber (certificate)) != NULL;
  BN_free (serial);
  return ok;
}

char *
ff_key_certify (FfKey      *subject,
                const char *common_name,
                gboolean    is_ca,
                const char *subject_alt_names,
                FfKey      *issuer,
                const char *issuer_pem,
                guint       days,
                GError    **error)
{
  X509 *certificate = X509_new ();
  X509 *issuer_certificate = NULL;
  X509_NAME *name = X509_get_subject_name (certificate);
  char *pem = NULL;
  gboolean ok;

  g_return_val_if_fail (ff_key_has_private (issuer), NULL);

  if (issuer_pem != NULL)
    {
      BIO *bio = BIO_new_mem_buf (issuer_pem, -1);

      issuer_certificate = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
      BIO_free (bio);
      if (issuer_certificate == NULL)
        {
          X509_free (certificate);
          set_openssl_error (error, FF_CRYPTO_ERROR_BAD_KEY,
                             _("The CA certificate cannot be read"));
          return NULL;
        }
    }
  ok = X509_set_version (certificate, X509_VERSION_3) == 1
       && set_random_serial (certificate)
       && X509_gmtime_adj (X509_getm_notBefore (certificate), -3600) != NULL
       && X509_gmtime_adj (X509_getm_notAfter (certificate), (long) days * 24 * 3600) != NULL
       && X509_set_pubkey (certificate, subject->pkey) == 1
       && X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
                                      (const unsigned char *) common_name, -1, -1, 0) == 1
       && X509_set_issuer_name (certificate,
                                issuer_certificate != NULL
                                ? X509_get_subject_name (issuer_certificate) : name) == 1;
  if (ok && is_ca)
    ok = add_extension (certificate, issuer_certificate, NID_basic_constraints, "critical,CA:TRUE")
         && add_extension (certificate, issuer_certificate, NID_key_usage,
                           "critical,keyCertSign,cRLSign");
  else if (ok)
    ok = add_extension (certificate, issuer_certificate, NID_basic_constraints,
                        "critical,CA:FALSE")
         && add_extension (certificate, issuer_certificate, NID_key_usage,
                           "critical,digitalSignature")
         && add_extension (certificate, issuer_certificate, NID_ext_key_usage,
                           subject_alt_names != NULL ? "serverAuth,clientAuth" : "clientAuth")
         && (subject_alt_names == NULL
             || add_extension (certificate, issuer_certificate, NID_subject_alt_name,
                               subject_alt_names));
  /* Ed25519 signs the whole certificate itself: no separate digest. */
  ok = ok && X509_sign (certificate, issuer->pkey, NULL) > 0;
  if (ok)
    {
      BIO *bio = BIO_new (BIO_s_mem ());

      if (PEM_write_bio_X509 (bio, certificate) == 1)
        pem = bio_to_string (bio);
      BIO_free (bio);
    }
  X509_free (certificate);
  X509_free (issuer_certificate);
  if (pem == NULL)
    set_openssl_error (error, FF_CRYPTO_ERROR_FAILED, _("Could not create the certificate"));
  return pem;
}
