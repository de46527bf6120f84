/* Reads the tablet store's report list in a worker thread, so no page blocks on sqlite. */
#pragma once

#include <gio/gio.h>

#include "ff-store.h"

G_BEGIN_DECLS

void       ff_store_reader_list_reports_async  (FfStore             *store,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
GPtrArray *ff_store_reader_list_reports_finish (GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS
