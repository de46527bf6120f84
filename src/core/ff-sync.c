/* The tablet's client for the platform (docs/api.md): log in, fetch signed tasks and their firmware
 * with resume, upload signed reports. HTTPS with the platform's certificate pinned. */
#include "config.h"

#include "ff-sync.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ff-document.h"
#include "ff-supervisor.h"
#include "ff-task.h"

#define API_PREFIX "/api/v1"
#define DOWNLOAD_CHUNK (64 * 1024)

struct _FfSync
{
  GObject          parent_instance;

  FfStore         *store;
  char            *base_url;
  GTlsCertificate *pinned_certificate;
  FfKey           *platform_key;
  char            *tablet_serial;
  char            *token;          /* the session, as last stored */
  char            *phone;          /* its technician */
  SoupSession     *session;
  gint64           downloaded_bytes;
  gint64           total_bytes;
};

G_DEFINE_FINAL_TYPE (FfSync, ff_sync, G_TYPE_OBJECT)
G_DEFINE_QUARK (ff-sync-error-quark, ff_sync_error)

enum
{
  PROP_0,
  PROP_DOWNLOADED_BYTES,
  PROP_TOTAL_BYTES,
  N_PROPS
};

enum
{
  SIGNAL_TASK_REFUSED,
  SIGNAL_DOWNLOAD_STARTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

gboolean
ff_sync_is_retryable_error (const GError *error)
{
  return g_error_matches (error, FF_SYNC_ERROR, FF_SYNC_ERROR_CONNECTION)
         || g_error_matches (error, FF_SYNC_ERROR, FF_SYNC_ERROR_SERVER);
}

static void
set_download_progress (FfSync *self, gint64 downloaded, gint64 total)
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

static SoupMessage *
new_message (FfSync      *self,
             const char  *method,
             const char  *path,
             gboolean     authorized,
             GError     **error)
{
  return new_message_at (self, method, path, FALSE, authorized, error);
}

static void
set_transport_error (FfSync *self, GError **error, GError *cause)
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
static JsonObject *
parse_object (GBytes *body, JsonParser **parser_out, GError **error)
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
static void
set_status_error (GError **error, guint status, GBytes *body)
{
  g_autoptr(JsonParser) parser = NULL;
  const char *message = NULL;
  JsonObject *root = NULL;
  FfSyncError code;

  if (body != NULL && (root = parse_object (body, &parser, NULL)) != NULL)
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
      set_transport_error (self, &error, cause);
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
      set_status_error (&error, status, body);
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
      set_transport_error (self, &error, cause);
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
static void
request_async (FfSync              *self,
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
  g_task_set_source_tag (task, request_async);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT, request->cancellable,
                           request_started, task);
}

static GBytes *
request_finish (GAsyncResult *result, guint *status, GError **error)
{
  if (status != NULL)
    {
      Request *request = g_task_get_task_data (G_TASK (result));

      *status = soup_message_get_status (request->message);
    }
  return g_task_propagate_pointer (G_TASK (result), error);
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
  g_autoptr(GBytes) body = request_finish (result, NULL, &error);
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *answer;
  const char *token, *expires;
  Session *session;

  if (body == NULL || (answer = parse_object (body, &parser, &error)) == NULL)
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
  message = new_message (self, "POST", "/login", FALSE, &error);
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
  request_async (self, message, FF_SYNC_MAX_ANSWER_SIZE, cancellable, login_done,
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
  g_autoptr(GBytes) body = request_finish (result, NULL, &error);

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
  request_async (self, message, FF_SYNC_MAX_ANSWER_SIZE, cancellable, health_done,
                 g_steal_pointer (&task));
}

gboolean
ff_sync_check_health_finish (FfSync        *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- fetching tasks and firmware ------------------------------------------------------------ */

/* A file a task needs — an image, or a delta patch named by the version it makes and the one it
 * applies to — verified by its SHA-256 before the store keeps it. Borrowed from the task. */
typedef struct
{
  const char *version;
  const char *sha256;
  gint64      size;
  const char *from_version;   /* a patch's old version; NULL for an image */
} Download;

typedef struct
{
  GQueue             pending_ids;
  GStrvBuilder      *stored_ids;
  char              *task_id;
  GBytes            *document;
  FfTask            *task;
  GArray            *firmware;      /* of Download: the files the task needs */
  GPtrArray         *committed;     /* SHA-256 of the firmware this task stored (char *) */
  guint              firmware_index;
  GInputStream      *download;
  GFileOutputStream *partial;
  gint64             received;
} FetchJob;

static void
fetch_job_clear_task (FetchJob *job)
{
  g_clear_pointer (&job->task_id, g_free);
  g_clear_pointer (&job->document, g_bytes_unref);
  g_clear_pointer (&job->task, ff_task_free);
  g_clear_pointer (&job->firmware, g_array_unref);
  g_ptr_array_set_size (job->committed, 0);
  g_clear_object (&job->download);
  g_clear_object (&job->partial);
  job->firmware_index = 0;
  job->received = 0;
}

static void
fetch_job_free (FetchJob *job)
{
  fetch_job_clear_task (job);
  g_ptr_array_unref (job->committed);
  g_queue_clear_full (&job->pending_ids, g_free);
  g_strv_builder_unref (job->stored_ids);
  g_free (job);
}

static void fetch_next_task (GTask *task);
static void fetch_next_firmware (GTask *task);

static const Download *
current_download (FetchJob *job)
{
  return &g_array_index (job->firmware, Download, job->firmware_index);
}

static gboolean
discard_firmware (FfStore *store, gpointer data, GError **error)
{
  GPtrArray *sha256s = data;

  for (guint i = 0; i < sha256s->len; i++)
    if (!ff_store_discard_firmware (store, sha256s->pdata[i], error))
      return FALSE;
  return TRUE;
}

static void
task_discarded (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  g_autofree char *message = g_object_steal_data (G_OBJECT (task), "refusal");
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_TASK_REFUSED], 0, job->task_id, message);
  fetch_job_clear_task (job);
  fetch_next_task (task);
}

/* A task that fails any check is dropped whole and the fetch goes on. Firmware it already stored
 * goes too: another task's firmware was in the store before, so this task never stored it. */
static void
refuse_task (GTask *task, const char *message)
{
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);

  g_object_set_data_full (G_OBJECT (task), "refusal", g_strdup (message), g_free);
  ff_store_run_async (self->store, discard_firmware, g_ptr_array_ref (job->committed),
                      (GDestroyNotify) g_ptr_array_unref, NULL, task_discarded, task);
}

/* Errors of the link end the whole fetch (what was verified is kept, a partial download resumes
 * next time); the platform saying no to one task only refuses that task. */
static void
fail_or_refuse (GTask *task, GError *error)
{
  if (error->domain == FF_SYNC_ERROR
      && (error->code == FF_SYNC_ERROR_REFUSED || error->code == FF_SYNC_ERROR_BAD_RESPONSE))
    {
      FetchJob *job = g_task_get_task_data (task);
      g_autofree char *message = g_strdup_printf (_("Task %s refused: %s"), job->task_id,
                                                  error->message);

      refuse_task (task, message);
      g_error_free (error);
    }
  else
    {
      g_task_return_error (task, error);
      g_object_unref (task);
    }
}

/* What the store is asked in a worker: keep a verified task, commit a download, or look up what
 * is already there for the next firmware of the task. */
typedef struct
{
  char   *task_id;
  GBytes *document;
  GBytes *signature;
  char   *sha256;
  gsize   partial_size;   /* out: bytes already downloaded */
  gboolean present;       /* out: the image is in the store */
} StoreStep;

static void
store_step_free (StoreStep *step)
{
  g_free (step->task_id);
  g_clear_pointer (&step->document, g_bytes_unref);
  g_clear_pointer (&step->signature, g_bytes_unref);
  g_free (step->sha256);
  g_free (step);
}

static gboolean
save_task (FfStore *store, gpointer data, GError **error)
{
  StoreStep *step = data;

  return ff_store_save_task (store, step->task_id, step->document, step->signature, error);
}

static gboolean
commit_firmware (FfStore *store, gpointer data, GError **error)
{
  StoreStep *step = data;

  return ff_store_commit_firmware (store, step->sha256, error);
}

static gboolean
look_up_firmware (FfStore *store, gpointer data, GError **error)
{
  StoreStep *step = data;
  g_autofree char *partial = ff_store_get_partial_path (store, step->sha256);
  GStatBuf st;

  step->present = ff_store_has_firmware (store, step->sha256);
  step->partial_size = g_stat (partial, &st) == 0 ? st.st_size : 0;
  return TRUE;
}

static void
task_stored (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_strv_builder_add (job->stored_ids, job->task_id);
  fetch_job_clear_task (job);
  fetch_next_task (task);
}

static void
store_verified_task (GTask *task)
{
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  StoreStep *step = g_new0 (StoreStep, 1);

  step->task_id = g_strdup (job->task_id);
  step->document = g_bytes_ref (job->document);
  step->signature = g_object_steal_data (G_OBJECT (task), "signature");
  ff_store_run_async (self->store, save_task, step, (GDestroyNotify) store_step_free, NULL,
                      task_stored, task);
}

static void
firmware_committed (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  FetchJob *job = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (ff_store_run_finish (FF_STORE (object), result, &error))
    {
      const Download *ref = current_download (job);

      g_ptr_array_add (job->committed, g_strdup (ref->sha256));
      job->firmware_index++;
      fetch_next_firmware (task);
      return;
    }
  if (!g_error_matches (error, FF_STORE_ERROR, FF_STORE_ERROR_CORRUPT))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  message = g_strdup_printf (_("Task %s refused: %s"), job->task_id, error->message);
  refuse_task (task, message);
}

/* Checks the complete download (size here, SHA-256 in a worker) and moves it into the store. */
static void
commit_download (GTask *task)
{
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  const Download *ref = current_download (job);
  StoreStep *step;

  if (job->received != ref->size)
    {
      g_autofree char *partial = ff_store_get_partial_path (self->store, ref->sha256);
      g_autofree char *message =
        g_strdup_printf (_("Task %s refused: firmware %s %s is %lld bytes on the platform, the "
                           "task says %lld."),
                         job->task_id, ref->version, ref->sha256, (long long) job->received,
                         (long long) ref->size);

      g_unlink (partial);
      refuse_task (task, message);
      return;
    }
  step = g_new0 (StoreStep, 1);
  step->sha256 = g_strdup (ref->sha256);
  ff_store_run_async (self->store, commit_firmware, step, (GDestroyNotify) store_step_free, NULL,
                      firmware_committed, task);
}

static void download_read (GObject *object, GAsyncResult *result, gpointer user_data);

static void
download_written (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_input_stream_read_bytes_async (job->download, DOWNLOAD_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_read, task);
}

static void
download_closed (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_clear_object (&job->partial);
  g_clear_object (&job->download);
  commit_download (task);
}

static void
download_read (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  const Download *ref = current_download (job);
  g_autoptr(GError) cause = NULL;
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  gsize size;
  const void *data;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &cause);
  if (chunk == NULL)
    {
      /* What arrived so far stays in the partial file: the next sync resumes from there. */
      set_transport_error (self, &error, cause);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  data = g_bytes_get_data (chunk, &size);
  if (size == 0)
    {
      g_output_stream_close_async (G_OUTPUT_STREAM (job->partial), G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_closed, task);
      return;
    }
  job->received += size;
  if (job->received > ref->size)
    {
      /* commit_download refuses it for its size */
      g_output_stream_close_async (G_OUTPUT_STREAM (job->partial), G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_closed, task);
      return;
    }
  set_download_progress (self, job->received, ref->size);
  g_object_set_data_full (G_OBJECT (task), "chunk", g_bytes_ref (chunk),
                          (GDestroyNotify) g_bytes_unref);
  g_output_stream_write_all_async (G_OUTPUT_STREAM (job->partial), data, size, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_written, task);
}

static void
download_started (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  const Download *ref = current_download (job);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GError) cause = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (object), result, &cause);
  g_autofree char *partial_path = ff_store_get_partial_path (self->store, ref->sha256);
  g_autoptr(GFile) partial = g_file_new_for_path (partial_path);
  GError *error = NULL;
  guint status;

  if (stream == NULL)
    {
      set_transport_error (self, &error, cause);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  status = soup_message_get_status (message);
  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    job->partial = g_file_append_to (partial, G_FILE_CREATE_PRIVATE, NULL, &error);
  else if (status == SOUP_STATUS_OK)
    {
      /* The platform sent the whole file (its tag changed or it ignored the range): start over. */
      job->received = 0;
      job->partial = g_file_replace (partial, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, &error);
    }
  else
    {
      /* A range past the end means the partial file is longer than the image: drop it. */
      if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE)
        g_file_delete (partial, NULL, NULL);
      set_status_error (&error, status, NULL);
      g_prefix_error (&error, _("Firmware %s: "), ref->sha256);
      fail_or_refuse (task, error);
      return;
    }
  if (job->partial == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  job->download = g_steal_pointer (&stream);
  set_download_progress (self, job->received, ref->size);
  g_input_stream_read_bytes_async (job->download, DOWNLOAD_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_read, task);
}

static void
firmware_looked_up (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  StoreStep *step = g_object_get_data (G_OBJECT (task), "look-up");
  const Download *ref = current_download (job);
  g_autofree char *path = NULL;
  g_autofree char *tag = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  ff_store_run_finish (FF_STORE (object), result, NULL);
  if (step->present)
    {
      job->firmware_index++;
      fetch_next_firmware (task);
      return;
    }
  job->received = step->partial_size;
  g_signal_emit (self, signals[SIGNAL_DOWNLOAD_STARTED], 0, ref->version, ref->sha256,
                 (gint64) ref->size, ref->from_version);
  if (job->received >= ref->size)
    {
      commit_download (task);
      return;
    }
  path = g_strconcat ("/firmware/", ref->sha256, NULL);
  message = new_message (self, "GET", path, TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (job->received > 0)
    {
      /* Resume: If-Range makes the platform send the whole file should it ever differ. */
      tag = g_strdup_printf ("\"%s\"", ref->sha256);
      SoupMessageHeaders *headers = soup_message_get_request_headers (message);

      soup_message_headers_set_range (headers, job->received, -1);
      soup_message_headers_replace (headers, "If-Range", tag);
    }
  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), download_started, task);
}

static void
fetch_next_firmware (GTask *task)
{
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  StoreStep *step;

  if (job->firmware_index == job->firmware->len)
    {
      store_verified_task (task);
      return;
    }
  step = g_new0 (StoreStep, 1);
  step->sha256 = g_strdup (current_download (job)->sha256);
  /* The task keeps the step for the callback; the job only borrows it. */
  g_object_set_data_full (G_OBJECT (task), "look-up", step, (GDestroyNotify) store_step_free);
  ff_store_run_async (self->store, look_up_firmware, step, NULL, NULL, firmware_looked_up, task);
}

/* Each file once, however many items name it. */
static void
add_download (GArray     *firmware,
              const char *version,
              const char *sha256,
              gint64      size,
              const char *from_version)
{
  Download download = { version, sha256, size, from_version };

  for (guint i = 0; i < firmware->len; i++)
    if (g_str_equal (g_array_index (firmware, Download, i).sha256, sha256))
      return;
  g_array_append_val (firmware, download);
}

static gboolean
task_lists_tablet (const FfTask *task, const char *serial)
{
  for (guint i = 0; serial != NULL && i < task->tablets->len; i++)
    if (g_str_equal (task->tablets->pdata[i], serial))
      return TRUE;
  return FALSE;
}

static void
signature_received (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) signature = request_finish (result, NULL, &error);
  g_autoptr(GError) invalid = NULL;

  if (signature == NULL)
    {
      fail_or_refuse (task, error);
      return;
    }
  job->task = ff_task_load_signed (job->document, signature, self->platform_key,
                                   g_get_real_time () / G_USEC_PER_SEC, &invalid);
  if (job->task == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Task %s refused: %s"), job->task_id,
                                                  invalid->message);
      refuse_task (task, message);
      return;
    }
  if (!g_str_equal (job->task->task_id, job->task_id))
    {
      g_autofree char *message = g_strdup_printf (_("Task %s refused: the document is task %s."),
                                                  job->task_id, job->task->task_id);
      refuse_task (task, message);
      return;
    }
  if (!task_lists_tablet (job->task, self->tablet_serial))
    {
      g_autofree char *message = g_strdup_printf (_("Task %s refused: it does not list this tablet "
                                                    "(%s)."), job->task_id, self->tablet_serial);
      refuse_task (task, message);
      return;
    }
  /* The platform signs every technician's tasks: one for someone else is not this tablet's work,
   * whichever tablets it lists. */
  if (g_strcmp0 (job->task->technician_phone, self->phone) != 0)
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (_("Task %s refused: it is for technician %s, not for %s, who is "
                                   "logged in."), job->task_id, job->task->technician_phone,
                                 self->phone != NULL ? self->phone : _("nobody"));
      refuse_task (task, message);
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "signature", g_steal_pointer (&signature),
                          (GDestroyNotify) g_bytes_unref);
  job->firmware = g_array_new (FALSE, FALSE, sizeof (Download));
  for (guint i = 0; i < job->task->items->len; i++)
    {
      FfTaskItem *item = job->task->items->pdata[i];

      add_download (job->firmware, item->target.version, item->target.sha256, item->target.size,
                    NULL);
      if (item->previous != NULL)
        add_download (job->firmware, item->previous->version, item->previous->sha256,
                      item->previous->size, NULL);
      /* The patch comes with the image, not instead: a terminal found running something else
       * than the image it applies to gets the image. A task with a patch has its previous image
       * (ff_task_parse checks). */
      if (item->delta != NULL)
        add_download (job->firmware, item->target.version, item->delta->sha256,
                      item->delta->size, item->previous->version);
    }
  fetch_next_firmware (task);
}

static void
document_received (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(SoupMessage) message = NULL;

  job->document = request_finish (result, NULL, &error);
  if (job->document == NULL)
    {
      fail_or_refuse (task, error);
      return;
    }
  path = g_strdup_printf ("/tasks/%s/signature", job->task_id);
  message = new_message (self, "GET", path, TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  request_async (self, message, FF_SYNC_MAX_ANSWER_SIZE, g_task_get_cancellable (task),
                 signature_received, task);
}

/* A sync that reached the end lifts the lock three wrong supervisor PINs put on overrides. */
static gboolean
unlock_overrides (FfStore *store, gpointer data, GError **error)
{
  return ff_supervisor_unlock (store, error);
}

static void
overrides_unlocked (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ff_store_run_finish (FF_STORE (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_strv_builder_end (job->stored_ids),
                           (GDestroyNotify) g_strfreev);
  g_object_unref (task);
}

static void
fetch_next_task (GTask *task)
{
  FfSync *self = g_task_get_source_object (task);
  FetchJob *job = g_task_get_task_data (task);
  g_autofree char *path = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  job->task_id = g_queue_pop_head (&job->pending_ids);
  if (job->task_id == NULL)
    {
      ff_store_run_async (self->store, unlock_overrides, NULL, NULL, NULL, overrides_unlocked,
                          task);
      return;
    }
  path = g_strdup_printf ("/tasks/%s/document", job->task_id);
  message = new_message (self, "GET", path, TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  request_async (self, message, FF_SYNC_MAX_TASK_DOCUMENT_SIZE, g_task_get_cancellable (task),
                 document_received, task);
}

static void
task_list_received (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  FetchJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) body = request_finish (result, NULL, &error);
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *answer = body != NULL ? parse_object (body, &parser, &error) : NULL;
  JsonArray *tasks;

  if (answer == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  tasks = json_object_has_member (answer, "tasks")
          && JSON_NODE_HOLDS_ARRAY (json_object_get_member (answer, "tasks"))
          ? json_object_get_array_member (answer, "tasks") : NULL;
  for (guint i = 0; tasks != NULL && i < json_array_get_length (tasks); i++)
    {
      JsonNode *node = json_array_get_element (tasks, i);
      const char *task_id = JSON_NODE_HOLDS_OBJECT (node)
        ? json_object_get_string_member_with_default (json_node_get_object (node), "task_id", NULL)
        : NULL;

      /* The ID goes into a path: only well-formed IDs are asked for. */
      if (task_id != NULL && ff_task_id_is_valid (task_id))
        g_queue_push_tail (&job->pending_ids, g_strdup (task_id));
    }
  fetch_next_task (task);
}

void
ff_sync_fetch_tasks_async (FfSync              *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  FetchJob *job = g_new0 (FetchJob, 1);
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, ff_sync_fetch_tasks_async);
  job->stored_ids = g_strv_builder_new ();
  job->committed = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, job, (GDestroyNotify) fetch_job_free);
  message = new_message (self, "GET", "/tasks", TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  request_async (self, message, FF_SYNC_MAX_TASK_LIST_SIZE, cancellable, task_list_received,
                 task);
}

GStrv
ff_sync_fetch_tasks_finish (FfSync        *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
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
  g_autoptr(GBytes) body = request_finish (result, &status, &error);

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
  message = new_message (self, "POST", "/reports", TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  encoded = g_base64_encode (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  soup_message_headers_replace (soup_message_get_request_headers (message), "Fieldflash-Signature",
                                encoded);
  soup_message_set_request_body_from_bytes (message, "application/json", document);
  request_async (self, message, FF_SYNC_MAX_ANSWER_SIZE, cancellable, upload_done,
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

  signals[SIGNAL_TASK_REFUSED] =
    g_signal_new ("task-refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_DOWNLOAD_STARTED] =
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
