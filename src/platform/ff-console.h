/* The web console's JSON API for operators, below /console/api/ on the platform's port
 * (docs/api.md, "Console API (operators)"): sessions in cookies, a CSRF token on every change,
 * roles, and an audit log of every change. */
#pragma once

#include "ff-crypto.h"
#include "ff-platform-db.h"
#include "ff-platform-reply.h"

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define FF_CONSOLE_API_PREFIX "/console/api/"

typedef struct _FfConsole FfConsole;

/* What a console request carries, copied from its message (any thread may read it). */
typedef struct
{
  const char         *method;
  const char         *path;
  GHashTable         *query;         /* decoded form fields, or NULL */
  SoupMessageHeaders *headers;
  GBytes             *body;
  const char         *upload_file;   /* the body of an upload, streamed to a file; or NULL */
} FfConsoleRequest;

FfConsole *ff_console_new    (FfPlatformDb           *db,
                              const char             *data_dir,
                              FfKey                  *platform_key,
                              GError                **error);
void       ff_console_free   (FfConsole              *console);
/* Answers @request (its path starts with FF_CONSOLE_API_PREFIX); runs in a worker thread. */
FfReply   *ff_console_handle (FfConsole              *console,
                              const FfConsoleRequest *request);

/* Uploads: for a request for which ff_console_is_upload() holds, ff_console_upload_begin() (in
 * libsoup's early handler) checks the operator from the head and streams the body into a file
 * (or, for anyone else, drops it); ff_console_upload_file() names the file (until the message is
 * finalized), and the route answers as usual. */
gboolean    ff_console_is_upload     (const char         *method,
                                      const char         *path);
void        ff_console_upload_begin  (FfConsole          *console,
                                      SoupServerMessage  *message);
const char *ff_console_upload_file   (SoupServerMessage  *message);

G_END_DECLS
