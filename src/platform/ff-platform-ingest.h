/* Ingesting an uploaded report: verify, check it against the session and task, store it once. */
#pragma once

#include "ff-platform-db.h"

G_BEGIN_DECLS

typedef struct
{
  char     *report_id;
  gboolean  duplicate;       /* the same report was ingested before; nothing changed */
  char     *task_state;      /* the task's state after it: open, complete or cancelled */
} FfIngestResult;

/* Verifies @signature over @bytes with the key registered for @session_serial, validates the
 * report, and in one transaction stores it, updates the terminal's version and history, closes the
 * task item and completes the task (returning its tablets to stock) when every item is closed. */
gboolean ff_platform_ingest_report  (FfPlatformDb   *db,
                                     GBytes         *bytes,
                                     GBytes         *signature,
                                     const char     *session_phone,
                                     const char     *session_serial,
                                     gint64          now,
                                     FfIngestResult *result,
                                     GError        **error);
void     ff_ingest_result_clear     (FfIngestResult *result);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FfIngestResult, ff_ingest_result_clear)

G_END_DECLS
