/* The console's sessions: login with a name and password (the technicians' back-off), a cookie
 * that scripts cannot read and other sites cannot send, a CSRF token for every change, an idle
 * timeout and a lifetime, logout. Only the SHA-256 of the cookie is stored, as for tablets. */
#include "config.h"

#include "ff-console-private.h"

#include "ff-document.h"
#include "ff-platform-clock.h"

#include <glib/gi18n-lib.h>
#include <openssl/crypto.h>

/* A session's last activity is written at most this often: a write for every request would
 * make every page a durable commit. The idle timeout is this much less exact. */
#define TOUCH_SECONDS 60
#define TOKEN_BYTES 32

typedef struct
{
  const char *name;
  gint64      now;
  gint64      retry_after;
  FfOperator *op;
} Attempt;

/* As ff_platform_login_begin() for technicians: the attempt is counted as a failure before the
 * (slow) password check, in the transaction that reads the count, so that guesses sent in
 * parallel are each counted. */
static gboolean
begin_in_transaction (FfPlatformDb *db,
                      gpointer      user_data,
                      GError      **error)
{
  Attempt *attempt = user_data;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(FfOperator) op = ff_platform_db_get_operator (db, attempt->name, &local_error);
  gint64 wait;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (op == NULL || op->disabled_at != 0)
    return TRUE;
  wait = ff_platform_login_wait (op->failed_logins, op->last_failure_at, attempt->now);
  if (wait > 0)
    attempt->retry_after = wait;
  else if (!ff_platform_db_set_operator_failures (db, op->name, op->failed_logins + 1,
                                                  attempt->now, error))
    return FALSE;
  attempt->op = g_steal_pointer (&op);
  return TRUE;
}

static const char *
cookie_flags (void)
{
  return "; Path=/; HttpOnly; Secure; SameSite=Strict";
}

static const char *const login_members[] = { "name", "password", NULL };

/* Whether the login came from the console's own page, else the answer is set. The login needs no
 * session and no CSRF token, so another site's page could post one (a form sends JSON as
 * text/plain, fetch() in no-cors mode a Blob with no Content-Type) and log the browser in to a
 * session of that site's choosing: a login must be JSON, which a page of another origin can send
 * only after a CORS preflight the platform does not grant, and a browser that says where the
 * request came from (Sec-Fetch-Site) must say the same origin, or none (typed or bookmarked). */
static gboolean
login_from_console (FfConsoleCall *call,
                    FfReply       *reply)
{
  SoupMessageHeaders *headers = call->request->headers;
  const char *type = soup_message_headers_get_content_type (headers, NULL);
  const char *site = soup_message_headers_get_one (headers, "Sec-Fetch-Site");

  if (type == NULL || g_ascii_strcasecmp (type, "application/json") != 0)
    {
      ff_reply_error (reply, 415,
                      _("A login is JSON: send it with Content-Type: application/json"));
      return FALSE;
    }
  if (site != NULL && !g_str_equal (site, "same-origin") && !g_str_equal (site, "none"))
    {
      ff_reply_error (reply, 403, _("A login from another site’s page is refused"));
      return FALSE;
    }
  return TRUE;
}

FfReply *
ff_console_login (FfConsoleCall *call)
{
  FfConsole *console = call->console;
  FfReply *reply = ff_reply_new (call->route);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *token = NULL, *token_hash = NULL, *csrf = NULL, *cookie = NULL;
  g_autoptr(FfOperator) op = NULL;
  JsonObject *root;
  const char *name, *password;
  Attempt attempt = { 0 };

  if (!login_from_console (call, reply))
    return reply;
  parser = ff_document_parse_object (call->request->body, &root, &error);
  if (parser == NULL || !ff_document_check_members (root, "", login_members, &error)
      || (name = ff_document_get_string (root, "", "name", FALSE, FF_NAME_MAX_LENGTH,
                                         &error)) == NULL
      || (password = ff_document_get_string (root, "", "password", FALSE,
                                             FF_OPERATOR_PASSWORD_MAX, &error)) == NULL)
    return ff_reply_gerror (reply, error);
  attempt.name = name;
  attempt.now = ff_platform_now ();
  if (!ff_platform_db_transaction (console->db, begin_in_transaction, &attempt, &error))
    return ff_reply_gerror (reply, error);
  op = attempt.op;
  if (op == NULL)
    attempt.retry_after = ff_login_strangers_attempt (console->strangers, name, attempt.now);
  if (attempt.retry_after > 0)
    {
      g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, attempt.retry_after);

      ff_reply_add_header (reply, "Retry-After", seconds);
      return ff_reply_error (reply, 429, _("Too many wrong passwords; wait before trying again"));
    }
  /* An unknown name costs the same work as a wrong password. */
  if (!ff_pin_verify (password, op != NULL ? op->password_hash : console->dummy_hash)
      || op == NULL)
    return ff_reply_error (reply, 401, _("The name or the password is wrong"));
  token = ff_random_hex (TOKEN_BYTES);
  token_hash = ff_sha256_hex (token, strlen (token));
  csrf = ff_random_hex (TOKEN_BYTES);
  if (!ff_platform_db_set_operator_failures (console->db, op->name, 0, 0, &error)
      || !ff_platform_db_insert_console_session (console->db, token_hash, op->name, csrf,
                                                 attempt.now,
                                                 attempt.now + FF_CONSOLE_SESSION_SECONDS,
                                                 &error))
    return ff_reply_gerror (reply, error);
  cookie = g_strdup_printf (FF_CONSOLE_COOKIE "=%s%s; Max-Age=%d", token, cookie_flags (),
                            FF_CONSOLE_SESSION_SECONDS);
  ff_reply_add_header (reply, "Set-Cookie", cookie);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "name", op->name);
  ff_builder_add_string (builder, "role", op->role);
  ff_builder_add_string (builder, "csrf_token", csrf);
  ff_builder_add_timestamp (builder, "expires_at", attempt.now + FF_CONSOLE_SESSION_SECONDS);
  ff_builder_add_int (builder, "idle_timeout_seconds", FF_CONSOLE_IDLE_SECONDS);
  json_builder_end_object (builder);
  return ff_reply_json (reply, 200, builder);
}

/* The value of the session cookie in the request's Cookie header, or NULL. */
static char *
session_cookie (FfConsoleCall *call)
{
  const char *header = soup_message_headers_get_list (call->request->headers, "Cookie");
  g_auto(GStrv) pairs = NULL;

  if (header == NULL)
    return NULL;
  pairs = g_strsplit_set (header, ";,", -1);
  for (char **pair = pairs; *pair != NULL; pair++)
    {
      char *text = g_strstrip (*pair);

      if (g_str_has_prefix (text, FF_CONSOLE_COOKIE "="))
        return g_strdup (text + strlen (FF_CONSOLE_COOKIE "="));
    }
  return NULL;
}

gboolean
ff_console_authenticate (FfConsoleCall *call,
                         GError       **error)
{
  FfConsole *console = call->console;
  g_autofree char *token = session_cookie (call);
  g_autoptr(GError) local_error = NULL;
  gint64 now = ff_platform_now ();

  if (token == NULL || strlen (token) != TOKEN_BYTES * 2)
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_UNAUTHORIZED,
                           _("Log in to the console first"));
      return FALSE;
    }
  call->token_hash = ff_sha256_hex (token, strlen (token));
  call->session = ff_platform_db_find_console_session (console->db, call->token_hash, now,
                                                       FF_CONSOLE_IDLE_SECONDS, &local_error);
  if (call->session == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_UNAUTHORIZED,
                             _("The console session is unknown or has expired; log in again"));
      return FALSE;
    }
  /* A request is not refused for want of room to store when it came (a full disk): the session
   * may then end up to its idle timeout after the last activity stored, never later. */
  if (now - call->session->last_seen_at >= TOUCH_SECONDS
      && !ff_platform_db_touch_console_session (console->db, call->token_hash, now, &local_error))
    g_message ("Console session of %s: its last activity is not stored: %s",
               call->session->operator_name, local_error->message);
  return TRUE;
}

gboolean
ff_console_check_csrf (FfConsoleCall *call,
                       GError       **error)
{
  const char *sent = soup_message_headers_get_one (call->request->headers, "X-CSRF-Token");
  const char *expected = call->session->csrf_token;

  if (sent != NULL && strlen (sent) == strlen (expected)
      && CRYPTO_memcmp (sent, expected, strlen (expected)) == 0)
    return TRUE;
  g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FORBIDDEN,
                       _("A change needs the session’s CSRF token in the X-CSRF-Token header"));
  return FALSE;
}

FfReply *
ff_console_logout (FfConsoleCall *call)
{
  FfReply *reply = ff_reply_new (call->route);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autofree char *cookie = g_strdup_printf (FF_CONSOLE_COOKIE "=%s; Max-Age=0",
                                             cookie_flags ());

  if (!ff_platform_db_delete_console_session (call->console->db, call->token_hash, &error))
    return ff_reply_gerror (reply, error);
  ff_reply_add_header (reply, "Set-Cookie", cookie);
  json_builder_begin_object (builder);
  ff_builder_add_boolean (builder, "logged_out", TRUE);
  json_builder_end_object (builder);
  return ff_reply_json (reply, 200, builder);
}

FfReply *
ff_console_session_info (FfConsoleCall *call)
{
  const FfConsoleSession *session = call->session;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "name", session->operator_name);
  ff_builder_add_string (builder, "role", session->role);
  ff_builder_add_string (builder, "csrf_token", session->csrf_token);
  ff_builder_add_timestamp (builder, "expires_at", session->expires_at);
  ff_builder_add_int (builder, "idle_timeout_seconds", FF_CONSOLE_IDLE_SECONDS);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}
