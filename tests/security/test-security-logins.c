/* fieldflash-platform under a crowd of logins, and login timing: the real daemon on 127.0.0.1. */
#include "config.h"

#include "platform-harness.h"

#include "ff-test-fixtures.h"

#define LOGIN_CLIENTS 200
/* Small, so that 200 logins at once certainly overflow it. */
#define LOGIN_QUEUE "8"
/* A generous bound for /healthz while the logins run (they took up to 10 s before the fix), at
 * native speed, as every bound here: ff_test_deadline_s scales them under emulation. */
#define PROMPT_SECONDS 5

typedef struct
{
  guint pending;
  guint unauthorized;   /* 401: every phone in the crowd is unregistered */
  guint busy;           /* 503 with a Retry-After of at least 1 s */
  guint other;
} Crowd;

typedef struct
{
  Crowd       *crowd;
  SoupMessage *message;
} Login;

static void
login_answered (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Login *login = user_data;
  Crowd *crowd = login->crowd;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  const char *retry_after = soup_message_headers_get_one (
    soup_message_get_response_headers (login->message), "Retry-After");
  guint status = soup_message_get_status (login->message);

  g_assert_no_error (error);
  if (status == 401)
    crowd->unauthorized++;
  else if (status == 503 && retry_after != NULL && g_ascii_strtoull (retry_after, NULL, 10) >= 1)
    crowd->busy++;
  else
    crowd->other++;
  crowd->pending--;
  g_object_unref (login->message);
  g_free (login);
}

static char *
healthz_status (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                              &error);
  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (json_node_get_object (
                     json_parser_get_root (parser)), "status"));
}

/* Who logs in: technicians on tablets, or operators at the console (whose password hashes wait
 * in the same queue). Every name or phone in the crowd is unknown. */
typedef struct
{
  const char *path;
  const char *body_format;     /* with the client's number */
  gboolean    tablets;
} CrowdKind;

static const CrowdKind tablet_crowd = {
  "/api/v1/login",
  "{\"phone\": \"1770000%04u\", \"pin\": \"123456\", \"tablet_serial\": \"TAB-0001\"}", TRUE
};
static const CrowdKind console_crowd = {
  "/console/api/login", "{\"name\": \"nobody %04u\", \"password\": \"not a password\"}", FALSE
};

/* 200 clients log in at once: the queue takes what it can and the rest get 503 with Retry-After
 * at once; /healthz answers promptly meanwhile and says the platform is degraded. */
static void
test_login_crowd (gconstpointer data)
{
  const CrowdKind *kind = data;
  Harness *h = harness_new ();
  const char *const args[] = { "--login-queue", LOGIN_QUEUE,
                               "--max-connections-per-address", "1000", NULL };
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns", 2 * LOGIN_CLIENTS,
                                                                  "max-conns-per-host",
                                                                  LOGIN_CLIENTS, "timeout",
                                                                  ff_test_deadline_s (120), NULL);
  g_autofree char *url = NULL;
  g_autofree char *status = NULL;
  g_autoptr(GBytes) health = NULL;
  g_autofree char *before = NULL;
  Crowd crowd = { 0 };
  gint64 start;
  double seconds;

  harness_setup_world (h);
  before = harness_dump_database (h);
  /* Plain HTTP: the queue is the same, and 200 TLS handshakes in this one process would make the
   * test about the client's speed (security-connections covers TLS). */
  harness_start_with (h, FALSE, args);
  url = g_strconcat (h->base_url, kind->path, NULL);
  for (guint i = 0; i < LOGIN_CLIENTS; i++)
    {
      g_autofree char *text = g_strdup_printf (kind->body_format, i);
      g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));
      Login *login = g_new0 (Login, 1);

      login->crowd = &crowd;
      login->message = soup_message_new ("POST", url);
      soup_message_set_request_body_from_bytes (login->message, "application/json", body);
      crowd.pending++;
      soup_session_send_and_read_async (session, login->message, G_PRIORITY_DEFAULT, NULL,
                                        login_answered, login);
    }
  while (crowd.busy == 0 && crowd.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  start = g_get_monotonic_time ();
  g_assert_cmpuint (harness_request (h, "GET", "/healthz", NULL, NULL, NULL, &health, NULL), ==,
                    200);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("/healthz during the logins: %.3f s", seconds);
  g_assert_cmpfloat (seconds, <, ff_test_deadline_s (PROMPT_SECONDS));
  status = healthz_status (health);
  g_assert_cmpstr (status, ==, "degraded");

  while (crowd.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("%u refused as unknown, %u told to retry", crowd.unauthorized, crowd.busy);
  g_assert_cmpuint (crowd.other, ==, 0);
  g_assert_cmpuint (crowd.busy, >, 0);
  g_assert_cmpuint (crowd.unauthorized, >, 0);
  /* Every login that was not turned away ran a PIN hash, unknown phone or not. */
  if (kind->tablets)
    {
      g_assert_cmpfloat (harness_metric (h, "fieldflash_pin_hashes_total"), ==,
                         crowd.unauthorized);
      g_assert_cmpfloat (harness_metric (h, "fieldflash_http_request_duration_seconds_count"
                                            "{route=\"login\"}"), ==, LOGIN_CLIENTS);
    }
  g_assert_cmpfloat (harness_metric (h, "fieldflash_login_queue"), ==, 0);
  /* Unknown phones and names leave no trace: no failure count, no session. */
  harness_assert_database_unchanged (h, before);
  harness_free (h);
}

static guint
login (Harness    *h,
       const char *phone,
       const char *pin)
{
  g_autofree char *text = g_strdup_printf ("{\"phone\": \"%s\", \"pin\": \"%s\", "
                                           "\"tablet_serial\": \"TAB-0001\"}", phone, pin);
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));

  return harness_request (h, "POST", "/api/v1/login", NULL, body, NULL, NULL, NULL);
}

/* An unregistered phone costs the same PIN hash as a wrong PIN, so that the time of an answer does
 * not tell which phones are registered. Counted, not timed. */
static void
test_unknown_phone_hashes (void)
{
  Harness *h = harness_new ();
  g_autofree char *before = NULL;

  harness_setup_world (h);
  before = harness_dump_database (h);
  harness_start (h, FALSE);
  g_assert_cmpfloat (harness_metric (h, "fieldflash_pin_hashes_total"), ==, 0);
  g_assert_cmpuint (login (h, "17712345678", HARNESS_PIN_A), ==, 401);
  g_assert_cmpfloat (harness_metric (h, "fieldflash_pin_hashes_total"), ==, 1);
  harness_assert_database_unchanged (h, before);
  g_assert_cmpuint (login (h, HARNESS_PHONE_A, "000000"), ==, 401);
  g_assert_cmpfloat (harness_metric (h, "fieldflash_pin_hashes_total"), ==, 2);
  g_assert_cmpuint (login (h, HARNESS_PHONE_A, HARNESS_PIN_A), ==, 200);
  g_assert_cmpfloat (harness_metric (h, "fieldflash_pin_hashes_total"), ==, 3);
  harness_free (h);
}

/* The login back-off held registered phones only: after three wrong PINs a registered phone got
 * 429 and an unregistered one 401 forever, which told which phones are registered. */
static guint
login_retry_after (Harness    *h,
                   const char *phone,
                   gint64     *retry_after)
{
  g_autofree char *text = g_strdup_printf ("{\"phone\": \"%s\", \"pin\": \"000000\", "
                                           "\"tablet_serial\": \"TAB-0001\"}", phone);
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));
  g_autoptr(SoupMessageHeaders) headers = NULL;
  guint status = harness_request (h, "POST", "/api/v1/login", NULL, body, NULL, NULL, &headers);
  const char *seconds = soup_message_headers_get_one (headers, "Retry-After");

  *retry_after = seconds != NULL ? g_ascii_strtoll (seconds, NULL, 10) : 0;
  return status;
}

/* More than the back-off's free failures. */
#define WRONG_PINS 6

static void
test_unknown_phone_backoff (void)
{
  Harness *h = harness_new ();
  g_autofree char *before = NULL;
  guint unregistered[WRONG_PINS];
  gint64 unregistered_wait[WRONG_PINS];

  harness_setup_world (h);
  harness_start (h, FALSE);
  before = harness_dump_database (h);
  for (int i = 0; i < WRONG_PINS; i++)
    unregistered[i] = login_retry_after (h, "17712345678", &unregistered_wait[i]);
  /* Counted in memory only: made-up numbers cannot fill the database. */
  harness_assert_database_unchanged (h, before);
  for (int i = 0; i < WRONG_PINS; i++)
    {
      gint64 wait;

      g_assert_cmpuint (login_retry_after (h, HARNESS_PHONE_A, &wait), ==, unregistered[i]);
      g_assert_cmpint (wait > 0, ==, unregistered_wait[i] > 0);
      g_assert_cmpint (unregistered_wait[i], <=, 30);
    }
  g_assert_cmpuint (unregistered[0], ==, 401);
  g_assert_cmpuint (unregistered[WRONG_PINS - 1], ==, 429);
  harness_free (h);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/security/logins/crowd", &tablet_crowd, test_login_crowd);
  g_test_add_data_func ("/security/logins/console-crowd", &console_crowd, test_login_crowd);
  g_test_add_func ("/security/logins/unknown-phone-hashes", test_unknown_phone_hashes);
  g_test_add_func ("/security/logins/unknown-phone-backoff", test_unknown_phone_backoff);
  return g_test_run ();
}
