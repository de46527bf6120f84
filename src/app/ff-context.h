/* The one object every window and page receives: settings and the core objects the app presents. */
#pragma once

#include <gio/gio.h>

#include "ff-gps-source.h"
#include "ff-store.h"
#include "ff-sync.h"
#include "ff-tablet.h"
#include "ff-task.h"
#include "ff-training.h"
#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_CONTEXT (ff_context_get_type ())
G_DECLARE_FINAL_TYPE (FfContext, ff_context, FF, CONTEXT, GObject)

FfContext   *ff_context_new              (GSettings   *settings,
                                          FfGpsSource *gps);
FfContext   *ff_context_new_for_settings (GSettings   *settings,
                                          GError     **error);
GSettings   *ff_context_get_settings     (FfContext   *self);
FfGpsSource *ff_context_get_gps          (FfContext   *self);
FfTraining  *ff_context_get_training     (FfContext   *self);
void         ff_context_set_training     (FfContext   *self,
                                          FfTraining  *training);
FfStore     *ff_context_get_store        (FfContext   *self);
const FfTask *ff_context_get_task        (FfContext   *self);

gboolean     ff_context_open_tablet      (FfContext   *self,
                                          const char  *data_dir,
                                          GError     **error);
void         ff_context_open_tablet_async  (FfContext           *self,
                                            const char          *data_dir,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean     ff_context_open_tablet_finish (FfContext           *self,
                                            GAsyncResult        *result,
                                            GError             **error);
FfTablet    *ff_context_get_tablet       (FfContext   *self);
/* Why the real tablet could not be opened (property "tablet-error"), else NULL. */
const char  *ff_context_get_tablet_error (FfContext   *self);
void         ff_context_get_sync_async       (FfContext           *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
FfSync      *ff_context_get_sync_finish      (FfContext           *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void         ff_context_set_platform_async   (FfContext           *self,
                                              const char          *url,
                                              const char          *key_pem,
                                              const char          *cert_pem,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean     ff_context_set_platform_finish  (FfContext           *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void         ff_context_read_platform_async  (FfContext           *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean     ff_context_read_platform_finish (FfContext           *self,
                                              GAsyncResult        *result,
                                              char               **url,
                                              char               **key_pem,
                                              char               **cert_pem,
                                              GError             **error);
void         ff_context_load_task_async  (FfContext           *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean     ff_context_load_task_finish (FfContext           *self,
                                          GAsyncResult        *result,
                                          GError             **error);
void         ff_context_find_resumable_async  (FfContext           *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
FfWorkflow  *ff_context_find_resumable_finish (FfContext           *self,
                                               GAsyncResult        *result,
                                               GError             **error);
void         ff_context_create_workflow_async  (FfContext           *self,
                                                const char          *device_id,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
FfWorkflow  *ff_context_create_workflow_finish (FfContext           *self,
                                                GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS
