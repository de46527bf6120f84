/* The tablet's client for the platform (docs/api.md): log in, fetch signed tasks and their firmware
 * with resume (ff-sync-fetch.c), upload signed reports. HTTPS with the platform's certificate
 * pinned. */
#include "config.h"

#include "ff-sync.h"

#include "ff-sync-private.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ff-document.h"

#define API_PREFIX "/api/v1"

G_DEFINE_FINAL_TYPE (FfSync, ff_sync, G_TYPE_OBJECT)
G_DEFINE_QUARK (ff-sync-error-quark, ff_sync_error)

enum
{
  PROP_0,
  PROP_DOWNLOADED_BYTES,
  PROP_TOTAL_BYTES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
guint ff_sync_signals[N_SIGNALS];

gboolean
ff_sync_is_retryable_error (const GError *error)
{
  return g_error_matches (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CONNECTION)
         || g_error_matches (error, FF_SYNC_ERROR, FF_SYNC_ERROR_SERVER);
}

void
ff_sync_set_download_progress (FfSync *self, gint64 downloaded, gint64 total)
{
  if (self->total_bytes != total)
    {
      self->total_bytes = total;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_BYTES]);
    }
  if (self->downloaded_bytes != downloaded)
    {
      self->downloaded_bytes = downloaded;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOWNLOADED_BYTES]);
    }
}

/* Only the certificate handed over at enrolment is the platform; the session has no CA database,
 * so every certificate comes here. */
static gboolean
accept_pinned_certificate (SoupMessage          *message,
                           GTlsCertificate      *certificate,
                           GTlsCertificateFlags  errors,
                           FfSync               *self)
{
  return self->pinned_certificate != NULL
         && g_tls_certificate_is_same (certificate, self->pinned_certificate);
}

/* @path is under the API prefix unless @outside_api (health and metrics live at the root). */
static SoupMessage *
new_message_at (FfSync      *self,
                const char  *method,
                const char  *path,
                gboolean     outside_api,
                gboolean     authorized,
                GError     **error)
{
  g_autofree char *uri = g_strconcat (self->base_url, outside_api ? "" : API_PREFIX, path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new (method, uri);

  if (message == NULL)
    {
      g_set_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_FAILED,
                   _("“%s” is not a valid platform URL."), uri);
      return NULL;
    }
  if (authorized)
    {
      g_autofree char *header = NULL;

      if (self->token == NULL)
        {
          g_set_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_UNAUTHORIZED,
                       _("Not logged in. Run “fieldflash-cli login” first."));
          return NULL;
        }
      header = g_strconcat ("Bearer ", self->token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                    header);
    }
  g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_pinned_certificate), self);
  return g_steal_pointer (&message);
}

SoupMessage *
ff_sync_new_message (FfSync      *self,
                     const char  *method,
                     const char  *path,
                     gboolean     authorized,
                     GError     **error)
{
  return new_message_at (self, method, path, FALSE, authorized, error);
}

void
ff_sync_set_transport_error (FfSync *self, GError **error, GError *cause)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_error_copy (cause));
  else if (cause->domain == G_TLS_ERROR)
    g_set_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CERTIFICATE,
                 _("The server at %s is not the enrolled platform (its certificate does not match "
                   "the pinned one)."), self->base_url);
  else
    g_set_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CONNECTION,
                 _("Cannot reach the platform at %s: %s"), self->base_url, cause->message);
}

/* The answer's JSON object, read with the same bounds as every document (ff-document.h). */
JsonObject *
ff_sync_parse_object (GBytes *body, JsonParser **parser_out, GError **error)
{
  JsonObject *root = NULL;

  *parser_out = ff_document_parse_object (body, &root, NULL);
  if (*parser_out == NULL)
    {
      g_set_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_BAD_RESPONSE,
                   _("The platform sent an answer that is not a JSON object."));
      return NULL;
    }
  return root;
}

/* Maps a non-2xx answer to an error carrying the platform's own message. */
void
ff_sync_set_status_error (GError **error, guint status, GBytes *body)
{
  g_autoptr(JsonParser) parser = NULL;
  const char *message = NULL;
  JsonObject *root = NULL;
  FfSyncError code;

  if (body != NULL && (root = ff_sync_parse_object (body, &parser, NULL)) != NULL)
    message = json_object_get_string_member_with_default (root, "error", NULL);
  if (message == NULL)
    message = soup_status_get_phrase (status);

  if (status == SOUP_STATUS_UNAUTHORIZED)
    code = FF_SYNC_ERROR_UNAUTHORIZED;
  else if (status >= 500)
    code = FF_SYNC_ERROR_SERVER;
  else
    code = FF_SYNC_ERROR_REFUSED;
  g_set_error (error, FF_SYNC_ERROR, code, _("The platform answered %u: %s"), status,
               message != NULL ? message : "");
}

/* One request whose answer is read into memory, never more than its bound: a platform (or
 * whatever answers in its place) cannot make the tablet hold an answer of any size. */
typedef struct
{
  SoupMessage *message;
  GInputStream *stream;
  GByteArray   *body;
  gsize         max_size;
  /* The message's own: cancelling it drops the connection instead of draining an answer that is
   * too long (libsoup reads a closed body to its end). The caller's cancels it too. */
  GCancellable *cancellable;
  GCancellable *caller_cancellable;
  gulong        caller_handler;
} Request;

static void
request_free (Request *request)
{
  if (request->caller_cancellable != NULL)
    g_cancellable_disconnect (request->caller_cancellable, request->caller_handler);
  g_clear_object (&request->caller_cancellable);
  g_object_unref (request->cancellable);
  g_object_unref (request->message);
  g_clear_object (&request->stream);
  g_byte_array_unref (request->body);
  g_free (request);
}

static void
return_too_large (GTask *task)
{
  FfSync *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  g_autofree char *limit = g_format_size (request->max_size);

  g_cancellable_cancel (request->cancellable);

  g_task_return_new_error (task, FF_SYNC_ERROR, FF_SYNC_ERROR_BAD_RESPONSE,
                           _("The platform at %s sent an answer larger than %s, more than it may "
                             "be: refused."), self->base_url, limit);
}

static void request_read (GObject *object, GAsyncResult *result, gpointer user_data);

/* Takes over @task. */
static void
read_next (GTask *task)
{
  Request *request = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (request->stream, DOWNLOAD_CHUNK, G_PRIORITY_DEFAULT,
                                   request->cancellable, request_read, task);
}

static void
request_read (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FfSync *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  g_autoptr(GError) cause = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result,
                                                              &cause);
  g_autoptr(GBytes) body = NULL;
  GError *error = NULL;
  guint status;

  if (chunk == NULL)
    {
      ff_sync_set_transport_error (self, &error, cause);
      g_task_return_error (task, error);
      return;
    }
  if (g_bytes_get_size (chunk) > 0)
    {
      if (request->body->len + g_bytes_get_size (chunk) > request->max_size)
        {
          return_too_large (task);
          return;
        }
      g_byte_array_append (request->body, g_bytes_get_data (chunk, NULL),
                           g_bytes_get_size (chunk));
      read_next (g_steal_pointer (&task));
      return;
    }
  body = g_bytes_new (request->body->data, request->body->len);
  status = soup_message_get_status (request->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      ff_sync_set_status_error (&error, status, body);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
}

static void
request_started (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FfSync *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (request->message);
  g_autoptr(GError) cause = NULL;
  GError *error = NULL;

  request->stream = soup_session_send_finish (SOUP_SESSION (object), result, &cause);
  if (request->stream == NULL)
    {
      ff_sync_set_transport_error (self, &error, cause);
      g_task_return_error (task, error);
      return;
    }
  /* An announced length over the bound is refused before a byte of it is read. */
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > (goffset) request->max_size)
    {
      return_too_large (task);
      return;
    }
  read_next (g_steal_pointer (&task));
}

static void
cancel_request (GCancellable *caller_cancellable,
                GCancellable *request_cancellable)
{
  g_cancellable_cancel (request_cancellable);
}

/* Sends @message and completes with its body (GBytes) on 2xx, or an FF_SYNC_ERROR; an answer
 * longer than @max_size bytes is FF_SYNC_ERROR_BAD_RESPONSE. */
void
ff_sync_request_async (FfSync              *self,
                       SoupMessage         *message,
                       gsize                max_size,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Request *request = g_new0 (Request, 1);

  request->message = g_object_ref (message);
  request->body = g_byte_array_new ();
  request->max_size = max_size;
  request->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      request->caller_cancellable = g_object_ref (cancellable);
      request->caller_handler = g_cancellable_connect (cancellable,
                                                       G_CALLBACK (cancel_request),
                                                       g_object_ref (request->cancellable),
                                                       g_object_unref);
    }
  g_task_set_source_tag (task, ff_sync_request_async);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT, request->cancellable,
                           request_started, task);
}

GBytes *
ff_sync_request_finish (GAsyncResult *result, guint *status, GError **error)
{
  if (status != NULL)
    {
      Request *request = g_task_get_task_data (G_TASK (result));

      *status = soup_message_get_status (request->message);
    }
  return g_task_propagate_pointer (G_TASK (result), error);
}

gint64
ff_sync_request_platform_time (GAsyncResult *result)
{
  Request *request = g_task_get_task_data (G_TASK (result));
  SoupMessageHeaders *headers = soup_message_get_response_headers (request->message);
  const char *date = soup_message_headers_get_one (headers, "Date");
  g_autoptr(GDateTime) time = date != NULL ? soup_date_time_new_from_http_string (date) : NULL;

  return time != NULL ? g_date_time_to_unix (time) : -1;
}

/* ---- login ---------------------------------------------------------------------------------- */

typedef struct
{
  char *token;
  char *phone;
  char *expires;
} Session;

static void
session_free (Session *session)
{
  g_free (session->token);
  g_free (session->phone);
  g_free (session->expires);
  g_free (session);
}

static gboolean
save_session (FfStore *store, gpointer data, GError **error)
{
  Session *session = data;

  return ff_store_set_setting (store, FF_SETTING_SESSION_TOKEN, session->token, error)
         && ff_store_set_setting (store, FF_SETTING_SESSION_PHONE, session->phone, error)
         && ff_store_set_setting (store, FF_SETTING_SESSION_EXPIRES, session->expires, error);
}

static void
session_saved (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FfSync *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_free (self->token);
  self->token = g_strdup (g_object_get_data (G_OBJECT (task), "token"));
  g_free (self->phone);
  self->phone = g_strdup (g_task_get_task_data (task));
  g_task_return_boolean (task, TRUE);
}

static void
login_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FfSync *self = g_task_get_source_object (task);
  const char *phone = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) body = ff_sync_request_finish (result, NULL, &error);
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *answer;
  const char *token, *expires;
  Session *session;

  if (body == NULL || (answer = ff_sync_parse_object (body, &parser, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  token = json_object_get_string_member_with_default (answer, "token", NULL);
  expires = json_object_get_string_member_with_default (answer, "expires_at", NULL);
  if (token == NULL || strlen (token) != 64 || expires == NULL)
    {
      g_task_return_new_error (task, FF_SYNC_ERROR, FF_SYNC_ERROR_BAD_RESPONSE,
                               _("The platform’s login answer has no session token."));
      return;
    }
  session = g_new0 (Session, 1);
  session->token = g_strdup (token);
  session->phone = g_strdup (phone);
  session->expires = g_strdup (expires);
  g_object_set_data_full (G_OBJECT (task), "token", g_strdup (token), g_free);
  ff_store_run_async (self->store, save_session, session, (GDestroyNotify) session_free,
                      NULL, session_saved, g_steal_pointer (&task));
}

void
ff_sync_login_async (FfSync              *self,
                     const char          *phone,
                     const char          *pin,
                     const char          *tablet_serial,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  GError *error = NULL;
  char *text;

  g_task_set_source_tag (task, ff_sync_login_async);
  g_task_set_task_data (task, g_strdup (phone), g_free);
  message = ff_sync_new_message (self, "POST", "/login", FALSE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "phone", phone);
  ff_builder_add_string (builder, "pin", pin);
  ff_builder_add_string (builder, "tablet_serial", tablet_serial);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  body = g_bytes_new_take (text, strlen (text));
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  ff_sync_request_async (self, message, FF_SYNC_MAX_ANSWER_SIZE, cancellable, login_done,
                         g_steal_pointer (&task));
}

gboolean
ff_sync_login_finish (FfSync        *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- health --------------------------------------------------------------------------------- */

static void
health_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GBytes) body = ff_sync_request_finish (result, NULL, &error);

  if (body == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
ff_sync_check_health_async (FfSync              *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, ff_sync_check_health_async);
  message = new_message_at (self, "GET", "/healthz", TRUE, FALSE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  ff_sync_request_async (self, message, FF_SYNC_MAX_ANSWER_SIZE, cancellable, health_done,
                         g_steal_pointer (&task));
}

gboolean
ff_sync_check_health_finish (FfSync        *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- uploading reports ---------------------------------------------------------------------- */

static void
upload_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  guint status = 0;
  g_autoptr(GBytes) body = ff_sync_request_finish (result, &status, &error);

  if (body == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, status == SOUP_STATUS_OK);
}

void
ff_sync_upload_report_async (FfSync              *self,
                             GBytes              *document,
                             GBytes              *signature,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *encoded = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, ff_sync_upload_report_async);
  message = ff_sync_new_message (self, "POST", "/reports", TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  encoded = g_base64_encode (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  soup_message_headers_replace (soup_message_get_request_headers (message), "Fieldflash-Signature",
                                encoded);
  soup_message_set_request_body_from_bytes (message, "application/json", document);
  ff_sync_request_async (self, message, FF_SYNC_MAX_ANSWER_SIZE, cancellable, upload_done,
                         g_steal_pointer (&task));
}

gboolean
ff_sync_upload_report_finish (FfSync        *self,
                              GAsyncResult  *result,
                              gboolean      *duplicate,
                              GError       **error)
{
  GError *local = NULL;
  gssize was_duplicate = g_task_propagate_int (G_TASK (result), &local);

  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (duplicate != NULL)
    *duplicate = was_duplicate;
  return TRUE;
}

/* ---- object --------------------------------------------------------------------------------- */

static void
ff_sync_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  FfSync *self = FF_SYNC (object);

  switch (prop_id)
    {
    case PROP_DOWNLOADED_BYTES:
      g_value_set_int64 (value, self->downloaded_bytes);
      break;
    case PROP_TOTAL_BYTES:
      g_value_set_int64 (value, self->total_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_sync_finalize (GObject *object)
{
  FfSync *self = FF_SYNC (object);

  g_clear_object (&self->session);
  g_clear_object (&self->store);
  g_clear_object (&self->pinned_certificate);
  g_clear_pointer (&self->platform_key, ff_key_unref);
  g_free (self->base_url);
  g_free (self->tablet_serial);
  g_free (self->token);
  g_free (self->phone);
  G_OBJECT_CLASS (ff_sync_parent_class)->finalize (object);
}

static void
ff_sync_class_init (FfSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ff_sync_get_property;
  object_class->finalize = ff_sync_finalize;

  properties[PROP_DOWNLOADED_BYTES] =
    g_param_spec_int64 ("downloaded-bytes", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOTAL_BYTES] =
    g_param_spec_int64 ("total-bytes", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  ff_sync_signals[SIGNAL_TASK_REFUSED] =
    g_signal_new ("task-refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  ff_sync_signals[SIGNAL_DOWNLOAD_STARTED] =
    g_signal_new ("download-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT64,
                  G_TYPE_STRING);
}

static void
ff_sync_init (FfSync *self)
{
}

static gboolean
is_loopback_http (GUri *uri)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 || g_uri_get_host (uri) == NULL)
    return FALSE;
  address = g_inet_address_new_from_string (g_uri_get_host (uri));
  return address != NULL && g_inet_address_get_is_loopback (address);
}

FfSync *
ff_sync_new (FfStore          *store,
             const char       *base_url,
             GTlsCertificate  *pinned_certificate,
             FfKey            *platform_key,
             const char       *tablet_serial,
             GError          **error)
{
  g_autoptr(FfSync) self = NULL;
  g_autoptr(GUri) uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL
      || (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 && !is_loopback_http (uri)))
    {
      g_set_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_FAILED,
                   _("“%s” is not a platform URL: use https://HOST:PORT (plain http only on "
                     "127.0.0.1 or ::1)."), base_url);
      return NULL;
    }
  if (pinned_certificate == NULL && g_str_equal (g_uri_get_scheme (uri), "https"))
    {
      g_set_error (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CERTIFICATE,
                   _("No pinned platform certificate: enrol the tablet with the platform’s "
                     "certificate first."));
      return NULL;
    }
  self = g_object_new (FF_TYPE_SYNC, NULL);
  self->store = g_object_ref (store);
  self->base_url = g_strdup (base_url);
  while (g_str_has_suffix (self->base_url, "/"))
    self->base_url[strlen (self->base_url) - 1] = '\0';
  self->pinned_certificate = pinned_certificate != NULL ? g_object_ref (pinned_certificate) : NULL;
  self->platform_key = ff_key_ref (platform_key);
  self->tablet_serial = g_strdup (tablet_serial);
  self->token = ff_store_get_setting (store, FF_SETTING_SESSION_TOKEN);
  self->phone = ff_store_get_setting (store, FF_SETTING_SESSION_PHONE);
  self->session = soup_session_new_with_options ("timeout", 30, "idle-timeout", 30, NULL);
  /* No CA database: the pinned certificate is the only trust (see accept_pinned_certificate). */
  soup_session_set_tls_database (self->session, NULL);
  return g_steal_pointer (&self);
}
