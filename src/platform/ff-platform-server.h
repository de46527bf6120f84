/* The platform's HTTP API for tablets (docs/api.md) on a SoupServer; requests run in threads. */
#pragma once

#include "ff-crypto.h"
#include "ff-platform-db.h"
#include "ff-platform-metrics.h"
#include "ff-platform-tls.h"

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define FF_TYPE_PLATFORM_SERVER (ff_platform_server_get_type ())
G_DECLARE_FINAL_TYPE (FfPlatformServer, ff_platform_server, FF, PLATFORM_SERVER, GObject)

#define FF_LOGIN_MAX_BODY 4096
#define FF_REPORT_MAX_BODY (1024 * 1024)
/* A console request: a dispatch may list every terminal of a selection. */
#define FF_CONSOLE_MAX_BODY (1024 * 1024)
#define FF_SESSION_SECONDS (12 * 3600)

/* What one client, and logins together, may hold of the server (docs/platform.md). */
typedef struct
{
  guint max_connections_per_address;  /* open at once, TLS handshakes included */
  guint login_queue;                  /* logins waiting for a hashing thread; more get 503 */
} FfPlatformLimits;

#define FF_PLATFORM_DEFAULT_CONNECTIONS_PER_ADDRESS 64
#define FF_PLATFORM_DEFAULT_LOGIN_QUEUE 64

/* @db must outlive the server. The server takes @tls; NULL serves plain HTTP (loopback only). */
FfPlatformServer *ff_platform_server_new    (FfPlatformDb           *db,
                                             const char             *data_dir,
                                             FfKey                  *platform_key,
                                             FfPlatformTls          *tls,
                                             const FfPlatformLimits *limits,
                                             GError                **error);
/* The counters and latencies /metrics shows; the server's. */
FfPlatformMetrics *ff_platform_server_get_metrics (FfPlatformServer *self);

/* Listens on "HOST:PORT" (an IP address; port 0 picks one) and returns the base URI it serves,
 * such as "https://127.0.0.1:8443". Plain HTTP is refused unless HOST is a loopback address. */
char             *ff_platform_server_listen (FfPlatformServer *self,
                                             const char       *address,
                                             GError          **error);

G_END_DECLS
