/* What the HTTPS API does for networked terminals' agents (docs/api.md, "Agent endpoints"):
 * FF-Terminal signature authentication, package downloads, the scheduled version query. The
 * server (ff-platform-server-routes.c) routes to these and answers. */
#pragma once

#include "ff-crypto.h"
#include "ff-platform-db.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define FF_AGENT_CLOCK_SKEW_SECONDS 300
#define FF_AGENT_PATH_PREFIX "/api/v1/agent/"

/* The device whose credentials signed the request: @authorization is `FF-Terminal device="ID",
 * time="UNIX", signature="BASE64"`, the signature over "METHOD\nPATH\nTIME\nSHA-256 of the body
 * (hex)" with the terminal's key, TIME within FF_AGENT_CLOCK_SKEW_SECONDS of @now.
 * FF_PLATFORM_ERROR_UNAUTHORIZED otherwise. */
char        *ff_agent_authenticate      (FfPlatformDb *db,
                                         const char   *method,
                                         const char   *path,
                                         const char   *authorization,
                                         GBytes       *body,
                                         gint64        now,
                                         GError      **error);

/* Whether @device_id may download the package @sha256: a command for it names that package.
 * FF_PLATFORM_ERROR_NOT_FOUND when not. */
gboolean     ff_agent_check_package     (FfPlatformDb *db,
                                         const char   *device_id,
                                         const char   *sha256,
                                         GError      **error);

/* The answer to POST /api/v1/agent/query from @device_id with @body. */
JsonBuilder *ff_agent_query             (FfPlatformDb *db,
                                         const char   *data_dir,
                                         FfKey        *platform_key,
                                         const char   *device_id,
                                         GBytes       *body,
                                         gint64        now,
                                         GError      **error);

G_END_DECLS
