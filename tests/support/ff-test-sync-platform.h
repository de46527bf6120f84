/* A stand-in platform for FfSync and FfUploadQueue (a libsoup server on 127.0.0.1) that can send
 * what the real one never would: a forged signature, an expired task, firmware that is not what
 * the task names, the wrong TLS certificate, and failures in the middle of an upload. Shared by
 * the sync tests (tests/integration/test-ff-sync-*.c). */
#pragma once

#include <libsoup/soup.h>

#include "ff-store.h"
#include "ff-sync.h"
#include "ff-task.h"

G_BEGIN_DECLS

#define SERIAL "TAB-0001"
#define PHONE "13800138000"
#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* A step against the local server takes well under a second (ff_test_deadline_s scales it). */
#define STEP_DEADLINE_S 60

/* A task as served: its document and signature. */
typedef struct
{
  GBytes *document;
  GBytes *signature;
} ServedTask;

typedef struct
{
  char        *dir;
  FfStore     *store;
  FfKey       *platform_key;
  SoupServer  *server;
  char        *url;
  GHashTable  *tasks;           /* task_id → ServedTask */
  GHashTable  *firmware;        /* sha256 (as named) → GBytes (as served) */
  goffset      last_range_start;
  guint        range_requests;
  guint        wrong_parts;     /* answer this many range requests with a part not asked for: */
  GBytes      *wrong_part_of;   /* … of this other file from the offset asked for; NULL: from 0 */
  guint        uploads;         /* POST /reports answered 2xx */
  GHashTable  *ingested;        /* report_id set */
  guint        fail_uploads;    /* answer this many uploads with 503 first */
  gboolean     session_expired; /* answer every request that needs the session with 401 */
  gboolean     refuse_uploads;  /* answer every upload with 422: the report itself is wrong */
  guint        lose_answers;    /* ingest this many uploads, then drop the link unanswered */
  GTlsCertificate *certificate; /* the server's, when it speaks TLS */
  const char  *technician;      /* whose tasks publish_task makes (PHONE) */
  gsize        task_list_padding;  /* make the task list this much longer */
  const char  *task_list_key;      /* name each listed task's ID so ("task_id" when NULL) */
  gint64       clock_offset_s;     /* the platform's clock (its Date header) is this much ahead */
  gboolean     task_list_chunked;  /* … sent without announcing its length */
  gsize        receipt_padding;    /* make the answer to an upload this much longer */
} SyncFixture;

/* A test of @path on a fresh stand-in platform (@data non-NULL: over TLS). */
#define SYNC_TEST_ADD(path, data, test) \
  g_test_add ((path), SyncFixture, (data), sync_fixture_set_up, (test), sync_fixture_tear_down)

void          sync_fixture_set_up     (SyncFixture      *f,
                                       gconstpointer     data);
void          sync_fixture_tear_down  (SyncFixture      *f,
                                       gconstpointer     data);

FfTaskItem   *sync_new_item           (guint             sequence,
                                       guint             index,
                                       GBytes           *image);
FfTask       *sync_new_task           (SyncFixture      *f,
                                       guint             sequence,
                                       gint64            issued_at);
/* Serves @task signed by @signer; returns its ID. */
char         *sync_publish            (SyncFixture      *f,
                                       const FfTask     *task,
                                       FfKey            *signer);
/* Serves a file under its digest. */
void          sync_serve_file         (SyncFixture      *f,
                                       GBytes           *contents);
/* Publishes a task of @n_items terminals, the i-th naming firmware @named[i] (served as
 * @served[i]), signed by @signer. */
char         *sync_publish_task_items (SyncFixture      *f,
                                       guint             sequence,
                                       gint64            issued_at,
                                       guint             n_items,
                                       GBytes          **named,
                                       GBytes          **served,
                                       FfKey            *signer);
char         *sync_publish_task       (SyncFixture      *f,
                                       guint             sequence,
                                       gint64            issued_at,
                                       GBytes           *named,
                                       GBytes           *served,
                                       FfKey            *signer);
GBytes       *sync_image_of           (guint             size,
                                       guint8            seed);

/* A step's callback, and the wait for it (at most STEP_DEADLINE_S, scaled). */
void          sync_step_done          (GObject          *object,
                                       GAsyncResult     *result,
                                       gpointer          user_data);
GAsyncResult *sync_wait_step          (GAsyncResult    **slot);
/* An FfSync of this tablet logged in to the stand-in platform (pinned to @pinned, if TLS). */
FfSync       *sync_log_in             (SyncFixture      *f,
                                       GTlsCertificate  *pinned,
                                       GError          **error);
/* … logged in as technician @phone. */
FfSync       *sync_log_in_as          (SyncFixture      *f,
                                       const char       *phone,
                                       GTlsCertificate  *pinned,
                                       GError          **error);
/* Fetches the tasks; the messages of the refused ones go to @refusals. */
GStrv         sync_fetch              (FfSync           *sync,
                                       GPtrArray        *refusals,
                                       GError          **error);
gboolean      sync_any_contains       (GPtrArray        *messages,
                                       const char       *needle);
char         *sync_sha_of             (GBytes           *bytes);

G_END_DECLS
