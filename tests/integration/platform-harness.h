/* Test harness for fieldflash-platform: a data directory in a temp dir, the CLI run as a real
 * process, the server started on 127.0.0.1 port 0, and a libsoup client for its API. */
#pragma once

#include "ff-report.h"
/* ff_test_command starts the platform as the harness does (through the emulator in a cross build). */
#include "ff-test-fixtures.h"

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define HARNESS_PHONE_A "13800138000"
#define HARNESS_PIN_A "482913"
#define HARNESS_PHONE_B "13900139000"
#define HARNESS_PIN_B "135790"

typedef struct
{
  char        *dir;
  char        *data_dir;
  char        *binary;
  GSubprocess *server;
  char        *base_url;
  SoupSession *session;
  GTlsCertificate *pinned;    /* the platform's certificate, for HTTPS */
  FfKey       *tablet_a;      /* TAB-0001, registered */
  FfKey       *tablet_b;      /* TAB-0002, registered */
  char        *task_a;        /* technician A, TAB-0001: DTU0001 and FTU0002 to V2.01 */
  char        *task_b;        /* technician B, TAB-0002: DTU0003 to V2.01 */
  char        *firmware_v1;   /* SHA-256 of V1.00, the previous firmware in both tasks */
  char        *firmware_v2;   /* SHA-256 of V2.01 */
  GBytes      *firmware_v2_bytes;
  /* Set before harness_start() for a request libsoup itself leaks on: the sanitizer build then
   * unwinds the server's allocations fully, so tests/lsan.supp can name libsoup's function. */
  gboolean     unwind_slowly;
} Harness;

/* The fixture of a test that needs nothing but a harness with harness_setup_world() done (the
 * server not started): g_test_add (…, HarnessFixture, NULL, harness_fixture_set_up, …,
 * harness_fixture_tear_down). */
typedef struct
{
  Harness *h;
} HarnessFixture;

Harness *harness_new          (void);
void     harness_free         (Harness     *h);
char    *harness_write        (Harness     *h,
                               const char  *name,
                               const char  *contents,
                               gssize       length);
/* Runs fieldflash-platform --data-dir … ARGS with @stdin_text; returns the exit status. */
int      harness_run          (Harness     *h,
                               const char  *stdin_text,
                               char       **out,
                               char       **err,
                               const char  *first_arg,
                               ...) G_GNUC_NULL_TERMINATED;
/* The same without input; asserts exit status 0 and returns the standard output. */
char    *harness_run_ok       (Harness     *h,
                               const char  *first_arg,
                               ...) G_GNUC_NULL_TERMINATED;
/* init, a 3-terminal ledger, firmware V1.00 and V2.01, two technicians, two tablets, two tasks:
 * made once per test program (harness_setup_copy()), a copy of it in @h's directory. */
void     harness_setup_world  (Harness     *h);
/* The first time this program asks for @name, runs @build in a harness of its own (it must not
 * start the server); then, and each time after, copies that harness's directory into @h's and
 * gives @h its keys, task IDs, firmware digests and certificate. Each test gets its own copy to
 * change, and the CLI runs that made it (a key pair, scrypt hashes, signed tasks: seconds each
 * under emulation) are paid once. */
void     harness_setup_copy   (Harness     *h,
                               const char  *name,
                               void       (*build) (Harness *h));
void     harness_fixture_set_up    (HarnessFixture *fixture,
                                    gconstpointer   data);
void     harness_fixture_tear_down (HarnessFixture *fixture,
                                    gconstpointer   data);
/* Starts "serve" and waits (with a deadline) for its "listening on" line. */
void     harness_start        (Harness     *h,
                               gboolean     https);
/* The same, with more options for "serve" (a NULL-terminated list, or NULL). */
void     harness_start_with   (Harness     *h,
                               gboolean     https,
                               const char  *const *serve_args);
void     harness_stop         (Harness     *h);
void     harness_kill         (Harness     *h);
/* Sends a request; returns the status and (optionally) body and response headers. */
guint    harness_request      (Harness     *h,
                               const char  *method,
                               const char  *path,
                               const char  *token,
                               GBytes      *body,
                               const char  *const *headers,
                               GBytes     **response,
                               SoupMessageHeaders **response_headers);
/* POSTs @body with Transfer-Encoding: chunked (no Content-Length); returns the status. */
guint    harness_post_chunked (Harness     *h,
                               const char  *path,
                               const char  *token,
                               GBytes      *body,
                               GBytes     **response);
char    *harness_login        (Harness     *h,
                               const char  *phone,
                               const char  *pin,
                               const char  *serial);
/* A valid "upgraded" report for @device_id in @task_id, written on @serial by @phone, that
 * pushed V2.01 (the target of every task the harness makes). */
FfReport *harness_report      (const char  *task_id,
                               const char  *device_id,
                               const char  *serial,
                               const char  *phone);
/* Signs @report with @key; returns the signature and sets @bytes to the signed document. */
GBytes  *harness_sign_report  (FfReport    *report,
                               FfKey       *key,
                               GBytes     **bytes);
guint    harness_upload       (Harness     *h,
                               const char  *token,
                               GBytes      *bytes,
                               GBytes      *signature,
                               GBytes     **response);
/* Uploads @bytes with @signature (harness_upload()) and asserts the answer's @status and, unless
 * NULL, that its error contains @error_fragment. */
void     harness_expect_upload (Harness    *h,
                                const char *token,
                                GBytes     *bytes,
                                GBytes     *signature,
                                guint       status,
                                const char *error_fragment);
/* Signs @report with @key and uploads it (harness_upload()); returns the status. */
guint    harness_upload_report (Harness    *h,
                                const char *token,
                                FfReport   *report,
                                FfKey      *key,
                                GBytes    **response);
/* The value of the metric line starting with @name (with its labels, if any) in /metrics. */
double   harness_metric       (Harness     *h,
                               const char  *name);
/* The "error" member of a JSON error body. */
char    *harness_error_text   (GBytes      *body);

/* Writes @request (@length bytes, -1: a string) unchanged to a new connection to the server (over
 * TLS when it was started with HTTPS), shuts down the sending side (plain HTTP), and returns
 * everything the server sends until it closes the connection (as text, with a final NUL). The
 * last request in @request should say "Connection: close". For what a client library would never
 * send: duplicate headers, smuggling attempts, raw paths. */
char    *harness_exchange_raw (Harness     *h,
                               const char  *request,
                               gssize       length);

/* Every table of platform.db as text: the schema, then each table's rows in rowid order (blobs by
 * their SHA-256). Two dumps are equal exactly when the database holds the same data. */
char    *harness_dump_database           (Harness     *h);
/* Asserts that platform.db holds exactly what @before (from harness_dump_database()) saw, naming
 * the first line that differs. */
void     harness_assert_database_unchanged (Harness    *h,
                                            const char *before);

G_END_DECLS
