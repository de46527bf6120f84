/* The tablet's client for the platform (docs/api.md): log in, fetch signed tasks and their firmware
 * with resume, upload signed reports. HTTPS with the platform's certificate pinned. */
#pragma once

#include <gio/gio.h>

#include "ff-crypto.h"
#include "ff-document.h"
#include "ff-store.h"

G_BEGIN_DECLS

#define FF_SYNC_ERROR (ff_sync_error_quark ())

typedef enum
{
  FF_SYNC_ERROR_FAILED,
  FF_SYNC_ERROR_CONNECTION,     /* the platform could not be reached or the link broke */
  FF_SYNC_ERROR_CERTIFICATE,    /* the server is not the pinned platform */
  FF_SYNC_ERROR_UNAUTHORIZED,   /* no session, an expired one, or a wrong PIN */
  FF_SYNC_ERROR_REFUSED,        /* the platform answered and said no (4xx) */
  FF_SYNC_ERROR_SERVER,         /* the platform failed (5xx): try again later */
  FF_SYNC_ERROR_BAD_RESPONSE,   /* an answer that does not follow docs/api.md */
} FfSyncError;

/* Settings the store keeps for the sync. */
#define FF_SETTING_SESSION_TOKEN   "session-token"
#define FF_SETTING_SESSION_PHONE   "session-phone"
#define FF_SETTING_SESSION_EXPIRES "session-expires"

/* The most the tablet reads of each answer of the platform (firmware is streamed to disk and
 * bounded by the size its task names): the task list, one task document, and every other answer
 * (login, health, a signature, a report's receipt, an error). */
#define FF_SYNC_MAX_TASK_LIST_SIZE     (4 * 1024 * 1024)
#define FF_SYNC_MAX_TASK_DOCUMENT_SIZE FF_DOCUMENT_MAX_SIZE
#define FF_SYNC_MAX_ANSWER_SIZE        (64 * 1024)

#define FF_TYPE_SYNC (ff_sync_get_type ())
G_DECLARE_FINAL_TYPE (FfSync, ff_sync, FF, SYNC, GObject)

GQuark    ff_sync_error_quark          (void);

/* Tasks that do not list @tablet_serial are refused. @pinned_certificate may be NULL only for
 * plain http:// to a loopback address (tests).
 * Signal "task-refused" (const char *task_id, const char *reason): a task was refused whole;
 * @reason does not repeat the ID (the CLI prints "Task ID refused: REASON", the app a row per
 * task).
 * Signal "download-started" (const char *version, const char *sha256, gint64 size,
 * const char *from_version): a firmware file not yet on the tablet begins (or resumes) downloading;
 * @from_version is NULL for an image, the version a delta patch applies to for a patch (which
 * makes @version).
 * Properties "downloaded-bytes", "total-bytes" (gint64): the firmware download under way. */
FfSync   *ff_sync_new                  (FfStore              *store,
                                        const char           *base_url,
                                        GTlsCertificate      *pinned_certificate,
                                        FfKey                *platform_key,
                                        const char           *tablet_serial,
                                        GError              **error);
gboolean  ff_sync_is_retryable_error   (const GError         *error);

void      ff_sync_login_async          (FfSync               *self,
                                        const char           *phone,
                                        const char           *pin,
                                        const char           *tablet_serial,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean  ff_sync_login_finish         (FfSync               *self,
                                        GAsyncResult         *result,
                                        GError              **error);

/* GET /healthz on the pinned platform, no session needed: TRUE when it answers that it is well. */
void      ff_sync_check_health_async   (FfSync               *self,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean  ff_sync_check_health_finish  (FfSync               *self,
                                        GAsyncResult         *result,
                                        GError              **error);

/* Fetches every task of the session, verifies each one (signature, expiry, rules) and all the
 * firmware it names (SHA-256), and stores only the tasks that pass whole. Returns their IDs. */
void      ff_sync_fetch_tasks_async    (FfSync               *self,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
GStrv     ff_sync_fetch_tasks_finish   (FfSync               *self,
                                        GAsyncResult         *result,
                                        GError              **error);

/* One upload attempt; *@duplicate says the platform had it already (both count as delivered). */
void      ff_sync_upload_report_async  (FfSync               *self,
                                        GBytes               *document,
                                        GBytes               *signature,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean  ff_sync_upload_report_finish (FfSync               *self,
                                        GAsyncResult         *result,
                                        gboolean             *duplicate,
                                        GError              **error);

G_END_DECLS
