/* A tablet's store as the UI tests fill it: today's task signed by a platform, finished visits'
 * reports, the firmware files, and an app context to open it with. */
#pragma once

#include <adwaita.h>

#include "ff-context.h"
#include "ff-gps-simulated.h"
#include "ff-tablet.h"

G_BEGIN_DECLS

#define FF_UI_TEST_DAY_S (24 * 3600)
/* Firmware images small enough to keep the tests quick. */
#define FF_UI_TEST_TARGET_IMAGE_SIZE (32 * 1024)
#define FF_UI_TEST_FACTORY_IMAGE_SIZE (64 * 1024)

typedef struct
{
  char     *dir;
  FfTablet *tablet;
  FfKey    *platform_key;
} FfUiTestTablet;

/* An enrolled tablet in a directory of its own, and the key its platform signs with. */
FfUiTestTablet *ff_ui_test_tablet_new           (void);
void            ff_ui_test_tablet_free          (FfUiTestTablet  *tablet);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfUiTestTablet, ff_ui_test_tablet_free)

/* Stores @task signed by the platform, as a sync leaves it. */
void            ff_ui_test_tablet_store_task    (FfUiTestTablet  *tablet,
                                                 const FfTask    *task);
/* Saves @report signed by the tablet, as a finished visit does: queued, its workflow at "done". */
void            ff_ui_test_tablet_save_report   (FfUiTestTablet  *tablet,
                                                 const FfReport  *report);
/* Stores a simulated terminal's firmware image of @version and points @ref at it. */
void            ff_ui_test_tablet_add_firmware  (FfUiTestTablet  *tablet,
                                                 FfFirmwareRef   *ref,
                                                 const char      *version,
                                                 gsize            size);

/* A task issued @days_ago days ago listing @device_ids, each to be upgraded to V2.00. */
FfTask         *ff_ui_test_make_task            (guint               days_ago,
                                                 const char *const  *device_ids);
/* A report of @device_id's visit with @outcome (a wrong terminal's with its failure). */
FfReport       *ff_ui_test_make_report          (const char      *task_id,
                                                 const char      *device_id,
                                                 FfReportOutcome  outcome);
/* The app's context on the test's settings, with @gps for its position. */
FfContext      *ff_ui_test_make_context         (FfGpsSimulated  *gps);

G_END_DECLS
