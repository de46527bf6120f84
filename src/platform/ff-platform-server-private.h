/* What the parts of the platform's HTTP server share: the instance and one request's job. The
 * machinery (ff-platform-server.c) hands each job to a worker thread, which routes it
 * (ff-platform-server-routes.c). Not for use outside them. */
#pragma once

#include "ff-platform-server.h"

#include "ff-console.h"
#include "ff-platform-acceptor.h"
#include "ff-platform-login.h"
#include "ff-platform-reply.h"

G_BEGIN_DECLS

struct _FfPlatformServer
{
  GObject       parent_instance;

  SoupServer   *soup;
  FfPlatformDb *db;             /* borrowed */
  char         *data_dir;
  FfKey        *platform_key;
  FfPlatformTls *tls;           /* NULL: plain HTTP */
  FfPlatformLimits limits;
  FfPlatformAcceptor *acceptor;
  FfPlatformMetrics  *metrics;

  GThreadPool  *request_pool;
  GThreadPool  *login_pool;
  guint         login_threads;
  gint          logins_waiting; /* atomic: pushed to login_pool, not started yet */
  gint          login_refused_at; /* atomic: monotonic seconds + 1 of the last 503; 0: none */
  /* A login for an unregistered phone checks its PIN against this, so that it takes as long as
   * one with a wrong PIN and does not tell which phones are registered. */
  char         *dummy_pin_hash;
  FfLoginStrangers *strangers;
  FfConsole    *console;
};

/* What a worker needs from the request, copied or referenced while the message is paused. */
typedef struct
{
  FfPlatformServer   *server;
  SoupServerMessage  *message;
  SoupMessageHeaders *headers;
  char               *method;
  char               *path;
  GHashTable         *query;
  char               *upload_file;  /* a console upload's body, streamed to a file */
  GBytes             *body;
  gboolean            disconnected;
  gulong              disconnected_id;
} Job;

/* Answers @job (in a worker thread): the reply to apply to its message. */
FfReply  *ff_platform_server_route            (Job              *job);
/* Whether as many logins wait for a hashing thread as may: more are refused with 503. */
gboolean  ff_platform_server_login_queue_full (FfPlatformServer *self);

G_END_DECLS
