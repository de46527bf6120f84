/* Creating a task: terminals and firmware, the dispatch rules, signing, checking tablets out. */
#pragma once

#include "ff-crypto.h"
#include "ff-platform-db.h"

G_BEGIN_DECLS

#define FF_TASK_DEFAULT_VALID_DAYS 7

typedef struct
{
  const char        *technician_phone;
  const char *const *handhelds;         /* serial numbers, at least one */
  const char *const *device_ids;        /* the terminals, or NULL to select by running_version */
  const char        *running_version;
  const char        *vendor;            /* optional filters on the terminals */
  const char        *model;
  const char        *firmware_version;  /* the target, resolved per vendor and model */
  const char        *rollback_reason;   /* non-NULL allows (and requires) a downgrade */
  const char        *campaign_id;       /* the campaign whose tablet work this is, or NULL */
  guint              valid_days;
  gint64             now;
} FfTaskRequest;

/* Creates, signs and stores the task, records the dispatch message and checks the tablets out, all
 * in one transaction. Returns the task ID; FF_PLATFORM_ERROR_REFUSED (and nothing stored) when a
 * rule forbids it. */
char     *ff_platform_create_task     (FfPlatformDb        *db,
                                       FfKey               *platform_key,
                                       const FfTaskRequest *request,
                                       GError             **error);

/* The same inside the caller's transaction (a campaign's tablet work records its terminals' task
 * with it). */
char     *ff_platform_create_task_within (FfPlatformDb        *db,
                                          FfKey               *platform_key,
                                          const FfTaskRequest *request,
                                          GError             **error);

/* The rules that may change after a terminal was chosen (the hardware versions @target lists
 * against the terminal's, the blacklist): FF_PLATFORM_ERROR_REFUSED says which keeps @target away
 * from @terminal. A campaign's wave start leaves out the terminals these now keep out. */
gboolean  ff_platform_check_selectable (FfPlatformDb       *db,
                                        const FfTerminal   *terminal,
                                        const FfFirmware   *target,
                                        GError            **error);

/* The rules that keep a version away from a terminal it must not reach, for tasks and remote
 * upgrades alike: @target not withdrawn, compatible with the terminal's hardware, the terminal not
 * on its blacklist, not already run, older only for a @rollback (and then only older), and the
 * terminal in no open task and in no unfinished campaign but @campaign_id (the one the upgrade
 * belongs to, or NULL). FF_PLATFORM_ERROR_REFUSED says which. */
gboolean  ff_platform_check_target    (FfPlatformDb        *db,
                                       const FfTerminal    *terminal,
                                       const FfFirmware    *target,
                                       gboolean             rollback,
                                       const char          *campaign_id,
                                       GError             **error);

/* Cancels open task @task_id in one transaction: its items still open are withdrawn, its tablets
 * go back to stock, the platform no longer hands it to tablets, and the campaign terminals it
 * carried are pending again without a task (another task may take them). A report a tablet
 * uploads later for a withdrawn item is still stored and the ledger takes the version it
 * reports, but it closes nothing and counts toward no campaign. NOT_FOUND for an unknown task,
 * CONFLICT for one that is not open. */
gboolean  ff_platform_cancel_task     (FfPlatformDb        *db,
                                       const char          *task_id,
                                       gint64               now,
                                       GError             **error);
/* The same inside the caller's transaction (the cancel of a campaign cancels its tablet work). */
gboolean  ff_platform_cancel_task_within (FfPlatformDb     *db,
                                          const char       *task_id,
                                          gint64            now,
                                          GError          **error);
/* A task's state (as stored, English) in the language people read. */
const char *ff_task_state_display     (const char          *state);

/* Writes DATA/tasks/TASK.json and TASK.sig (the exact signed bytes and the raw signature). */
gboolean  ff_platform_export_task     (FfPlatformDb        *db,
                                       const char          *task_id,
                                       const char          *directory,
                                       GError             **error);

G_END_DECLS
