/* The tablet's own storage: sqlite (WAL) for tasks, workflow state, reports and the upload queue,
 * plus content-addressed firmware files. Every call is one transaction and is safe from any thread;
 * UI code calls it from g_task_run_in_thread workers. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FF_STORE_ERROR (ff_store_error_quark ())
/* The store's database in a tablet's data directory. */
#define FF_STORE_FILE "tablet.db"

typedef enum
{
  FF_STORE_ERROR_FAILED,
  FF_STORE_ERROR_FULL,        /* the disk is full (or refuses writes): nothing was written */
  FF_STORE_ERROR_NOT_FOUND,
  FF_STORE_ERROR_CORRUPT,     /* a stored firmware file no longer matches its SHA-256 */
  FF_STORE_ERROR_WITHDRAWN,   /* the platform cancelled the task: no new visit of it */
} FfStoreError;

typedef struct
{
  char   *report_id;
  char   *task_id;
  char   *device_id;
  char   *outcome;
  gint64  created_at;     /* Unix seconds */
  gint64  uploaded_at;    /* 0 while queued */
  guint   attempts;
  char   *last_error;     /* NULL unless an upload failed */
  char   *description;    /* the outcome for people (ff_report_describe) */
} FfStoredReport;

void ff_stored_report_free (FfStoredReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfStoredReport, ff_stored_report_free)

#define FF_TYPE_STORE (ff_store_get_type ())
G_DECLARE_FINAL_TYPE (FfStore, ff_store, FF, STORE, GObject)

GQuark      ff_store_error_quark        (void);

/* Work on the store off the main thread: @job runs in a worker with @data, and its result comes
 * back to the caller's main context. This is how UI-side code calls the blocking API below. */
typedef gboolean (*FfStoreJob) (FfStore   *store,
                                gpointer   data,
                                GError   **error);

void        ff_store_run_async          (FfStore             *self,
                                         FfStoreJob           job,
                                         gpointer             data,
                                         GDestroyNotify       data_free,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean    ff_store_run_finish         (FfStore             *self,
                                         GAsyncResult        *result,
                                         GError             **error);

FfStore    *ff_store_open               (const char    *data_dir,
                                         GError       **error);

/* Small named values: the tablet serial, the platform URL, the session token. */
char       *ff_store_get_setting        (FfStore       *self,
                                         const char    *key);
gboolean    ff_store_set_setting        (FfStore       *self,
                                         const char    *key,
                                         const char    *value,
                                         GError       **error);

/* Tasks, stored as received (the signature covers these exact bytes). */
gboolean    ff_store_save_task          (FfStore       *self,
                                         const char    *task_id,
                                         GBytes        *document,
                                         GBytes        *signature,
                                         GError       **error);
gboolean    ff_store_load_task          (FfStore       *self,
                                         const char    *task_id,
                                         GBytes       **document,
                                         GBytes       **signature,
                                         GError       **error);
GStrv       ff_store_list_task_ids      (FfStore       *self,
                                         GError       **error);
/* At a sync, from the platform's task list: of the stored tasks @judged (the logged-in
 * technician's), those it no longer lists are withdrawn (it cancelled them), listed ones are not.
 * A withdrawn task keeps its visits and reports. */
gboolean    ff_store_withdraw_unlisted_tasks (FfStore            *self,
                                              const char * const *judged,
                                              const char * const *listed,
                                              GError            **error);
gboolean    ff_store_task_is_withdrawn  (FfStore       *self,
                                         const char    *task_id,
                                         gboolean      *withdrawn,
                                         GError       **error);
/* FF_STORE_ERROR_WITHDRAWN, in words, for a withdrawn task. */
gboolean    ff_store_check_task_not_withdrawn (FfStore     *self,
                                               const char  *task_id,
                                               GError     **error);

/* Firmware files, named by their SHA-256. A download goes to the partial path; commit checks the
 * digest and renames it into place. */
char       *ff_store_get_firmware_path  (FfStore       *self,
                                         const char    *sha256);
char       *ff_store_get_partial_path   (FfStore       *self,
                                         const char    *sha256);
gboolean    ff_store_has_firmware       (FfStore       *self,
                                         const char    *sha256);
gboolean    ff_store_commit_firmware    (FfStore       *self,
                                         const char    *sha256,
                                         GError       **error);
GBytes     *ff_store_read_firmware      (FfStore       *self,
                                         const char    *sha256,
                                         GError       **error);
/* Forgets a committed firmware file and deletes it: a task refused after its firmware was stored
 * leaves nothing behind. */
gboolean    ff_store_discard_firmware   (FfStore       *self,
                                         const char    *sha256,
                                         GError       **error);

/* Workflow state per terminal of a task: a state name and the workflow's own serialised data. */
gboolean    ff_store_save_workflow      (FfStore       *self,
                                         const char    *task_id,
                                         const char    *device_id,
                                         const char    *state,
                                         const char    *data,
                                         GError       **error);
gboolean    ff_store_load_workflow      (FfStore       *self,
                                         const char    *task_id,
                                         const char    *device_id,
                                         char         **state,
                                         char         **data,
                                         GError       **error);

/* Saves a signed report, queues it for upload and moves its workflow to @final_state, all in one
 * transaction: a report is never saved without its workflow knowing, nor twice. */
gboolean    ff_store_save_report        (FfStore       *self,
                                         const char    *report_id,
                                         const char    *task_id,
                                         const char    *device_id,
                                         const char    *outcome,
                                         gint64         created_at,
                                         GBytes        *document,
                                         GBytes        *signature,
                                         const char    *final_state,
                                         const char    *final_data,
                                         GError       **error);
gboolean    ff_store_load_report        (FfStore       *self,
                                         const char    *report_id,
                                         GBytes       **document,
                                         GBytes       **signature,
                                         GError       **error);
/* All reports, oldest first (FfStoredReport *); @only_pending keeps those not yet uploaded. */
GPtrArray  *ff_store_list_reports       (FfStore       *self,
                                         gboolean       only_pending,
                                         GError       **error);
/* The same from the main loop: read in a worker (ff_store_run_async), so no page waits on
 * sqlite. */
void        ff_store_list_reports_async (FfStore             *self,
                                         gboolean             only_pending,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
GPtrArray  *ff_store_list_reports_finish (FfStore            *self,
                                          GAsyncResult       *result,
                                          GError            **error);
gboolean    ff_store_mark_uploaded      (FfStore       *self,
                                         const char    *report_id,
                                         gint64         uploaded_at,
                                         GError       **error);
gboolean    ff_store_mark_upload_failed (FfStore       *self,
                                         const char    *report_id,
                                         const char    *reason,
                                         GError       **error);

G_END_DECLS
