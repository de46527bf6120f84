/* What the parts of the tablet's platform client (ff-sync*.c) share: the instance, its signals
 * and the request helpers. Not for use outside them. */
#pragma once

#include "ff-sync.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

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

enum
{
  SIGNAL_TASK_REFUSED,
  SIGNAL_DOWNLOAD_STARTED,
  N_SIGNALS
};

extern guint ff_sync_signals[N_SIGNALS];

/* ff-sync.c: the object and its requests */
void          ff_sync_set_download_progress (FfSync               *self,
                                             gint64                downloaded,
                                             gint64                total);
/* A request to @path under the API prefix, with the session's token when @authorized. */
SoupMessage  *ff_sync_new_message           (FfSync               *self,
                                             const char           *method,
                                             const char           *path,
                                             gboolean              authorized,
                                             GError              **error);
/* @cause (a transport failure) as an FF_SYNC_ERROR naming the platform; a cancel stays one. */
void          ff_sync_set_transport_error   (FfSync               *self,
                                             GError              **error,
                                             GError               *cause);
JsonObject   *ff_sync_parse_object          (GBytes               *body,
                                             JsonParser          **parser_out,
                                             GError              **error);
void          ff_sync_set_status_error      (GError              **error,
                                             guint                 status,
                                             GBytes               *body);
void          ff_sync_request_async         (FfSync               *self,
                                             SoupMessage          *message,
                                             gsize                 max_size,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
GBytes       *ff_sync_request_finish        (GAsyncResult         *result,
                                             guint                *status,
                                             GError              **error);
/* The platform's clock when it answered (its Date header) in Unix seconds, or -1 without one. */
gint64        ff_sync_request_platform_time (GAsyncResult         *result);

G_END_DECLS
