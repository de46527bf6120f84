/* OpenSSL 3 building blocks: Ed25519 keys and signatures, SHA-256, PIN hashes, TLS certificates. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FF_CRYPTO_ERROR (ff_crypto_error_quark ())

typedef enum
{
  FF_CRYPTO_ERROR_FAILED,
  FF_CRYPTO_ERROR_BAD_KEY,
  FF_CRYPTO_ERROR_BAD_SIGNATURE,
} FfCryptoError;

#define FF_SIGNATURE_SIZE 64
#define FF_SHA256_HEX_LENGTH 64

GQuark ff_crypto_error_quark (void);

/* An Ed25519 key: a full key pair, or a public key only (loaded from PEM). Reference counted. */
typedef struct _FfKey FfKey;

FfKey    *ff_key_generate            (GError       **error);
FfKey    *ff_key_load_private        (const char    *path,
                                      GError       **error);
FfKey    *ff_key_load_public         (const char    *pem,
                                      gsize          length,
                                      GError       **error);
FfKey    *ff_key_load_public_cached  (const char    *pem,
                                      GError       **error);
FfKey    *ff_key_load_public_file    (const char    *path,
                                      GError       **error);
gboolean  ff_key_save_private        (FfKey         *key,
                                      const char    *path,
                                      GError       **error);
char     *ff_key_get_public_pem      (FfKey         *key);
/* The private key in PEM (PKCS#8), NULL when it cannot be encoded: the caller wipes it
 * (explicit_bzero) before freeing it. */
char     *ff_key_get_private_pem     (FfKey         *key);
gboolean  ff_key_has_private         (FfKey         *key);
FfKey    *ff_key_ref                 (FfKey         *key);
void      ff_key_unref               (FfKey         *key);

/* Detached signature (FF_SIGNATURE_SIZE raw bytes) over exactly @data. */
GBytes   *ff_key_sign                (FfKey         *key,
                                      GBytes        *data,
                                      GError       **error);
gboolean  ff_key_verify              (FfKey         *key,
                                      GBytes        *data,
                                      GBytes        *signature,
                                      GError       **error);

char     *ff_sha256_hex              (const void    *data,
                                      gsize          length);
char     *ff_sha256_file_hex         (const char    *path,
                                      goffset       *size_out,
                                      GError       **error);
gboolean  ff_sha256_hex_is_valid     (const char    *text);

/* SHA-256 of bytes that arrive piece by piece (a download hashed as it is written). */
typedef struct _FfSha256 FfSha256;

FfSha256 *ff_sha256_new              (void);
void      ff_sha256_update           (FfSha256      *sha256,
                                      const void    *data,
                                      gsize          length);
/* The digest as lowercase hex; @sha256 can be updated again from empty afterwards. */
char     *ff_sha256_finish_hex       (FfSha256      *sha256);
void      ff_sha256_free             (FfSha256      *sha256);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfSha256, ff_sha256_free)

/* A salted scrypt hash in one self-describing string: "scrypt$N$r$p$SALT_HEX$HASH_HEX". */
char     *ff_pin_hash                (const char    *pin,
                                      GError       **error);
gboolean  ff_pin_verify              (const char    *pin,
                                      const char    *stored_hash);
/* TRUE when @stored_hash is such a string with at least the cost ff_pin_hash() uses, so a
 * document cannot carry a hash cheap to guess from. */
gboolean  ff_pin_hash_is_valid       (const char    *stored_hash);

/* Gives back OpenSSL's state of the calling thread (its error queue, its random generators) now
 * rather than when the thread ends. The last call of work that may use OpenSSL on a thread the
 * program does not join: GLib's pools (GTask's, a GThreadPool's) keep their threads past the work
 * and end them on their own, later; one that ends while the process exits runs OpenSSL's
 * thread-exit cleanup while OPENSSL_cleanup (atexit) frees the same state without a lock — a
 * double free. The owner of the work still waits for it before the program exits. */
void      ff_crypto_thread_done      (void);

/* g_task_run_in_thread() for work that may use OpenSSL: @func runs on a thread of GTask's pool,
 * then ff_crypto_thread_done() — before the task's callback is queued, which GTask does only once
 * the thread's function has returned. */
void      ff_crypto_run_in_thread    (GTask          *task,
                                      GTaskThreadFunc func);

/* Random bytes as lowercase hex (2 * @n_bytes characters), for tokens and salts. */
char     *ff_random_hex              (gsize          n_bytes);

/* The DER bytes of the first certificate of a PEM file (to pin it without loading a TLS library). */
GBytes   *ff_certificate_load_der_file (const char  *path,
                                        GError     **error);

/* A self-signed ECDSA P-256 certificate for @host_name, 127.0.0.1 and ::1, valid @days days. */
gboolean  ff_tls_certificate_generate (const char   *cert_path,
                                       const char   *key_path,
                                       const char   *host_name,
                                       guint         days,
                                       GError      **error);

/* An X.509 certificate (PEM) for @subject's public key with common name @common_name, valid
 * @days days, signed by @issuer's Ed25519 key as the CA whose certificate is @issuer_pem — or
 * self-signed when @issuer_pem is NULL (then @issuer must be @subject). @is_ca makes it a CA
 * (basicConstraints CA:TRUE, keyCertSign); otherwise it serves TLS clients and, with
 * @subject_alt_names ("DNS:broker.example,IP:127.0.0.1"), servers. */
char     *ff_key_certify             (FfKey         *subject,
                                      const char    *common_name,
                                      gboolean       is_ca,
                                      const char    *subject_alt_names,
                                      FfKey         *issuer,
                                      const char    *issuer_pem,
                                      guint          days,
                                      GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfKey, ff_key_unref)

G_END_DECLS
