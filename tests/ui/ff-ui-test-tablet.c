/* A tablet's store as the UI tests fill it: what a sync, finished visits and the firmware download
 * leave there, written through the store's own API. */
#include "config.h"

#include "ff-ui-test-tablet.h"

#include "ff-report.h"
#include "ff-sim-firmware.h"
#include "ff-test-fixtures.h"

FfUiTestTablet *
ff_ui_test_tablet_new (void)
{
  FfUiTestTablet *tablet = g_new0 (FfUiTestTablet, 1);
  g_autoptr(GError) error = NULL;

  tablet->dir = g_dir_make_tmp ("ff-ui-test-tablet-XXXXXX", &error);
  g_assert_no_error (error);
  tablet->tablet = ff_tablet_open (tablet->dir, FF_TEST_SERIAL, FF_TABLET_OPEN_OR_SET_UP,
                                   &error);
  g_assert_no_error (error);
  tablet->platform_key = ff_key_generate (&error);
  g_assert_no_error (error);
  return tablet;
}

void
ff_ui_test_tablet_free (FfUiTestTablet *tablet)
{
  g_clear_object (&tablet->tablet);
  ff_key_unref (tablet->platform_key);
  ff_test_remove_tree (tablet->dir);
  g_free (tablet->dir);
  g_free (tablet);
}

void
ff_ui_test_tablet_store_task (FfUiTestTablet *tablet,
                              const FfTask   *task)
{
  g_autoptr(GBytes) document = ff_task_serialize (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) signature = ff_key_sign (tablet->platform_key, document, &error);

  g_assert_no_error (error);
  g_assert_true (ff_store_save_task (ff_tablet_get_store (tablet->tablet), task->task_id,
                                     document, signature, &error));
  g_assert_no_error (error);
}

void
ff_ui_test_tablet_save_report (FfUiTestTablet *tablet,
                               const FfReport *report)
{
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;

  signature = ff_report_sign (report, ff_tablet_get_key (tablet->tablet), &document, &error);
  g_assert_no_error (error);
  g_assert_true (ff_store_save_report (ff_tablet_get_store (tablet->tablet), report->report_id,
                                       report->task_id, report->device_id,
                                       ff_report_outcome_to_string (report->outcome),
                                       report->created_at, document, signature, "done", "{}",
                                       &error));
  g_assert_no_error (error);
}

void
ff_ui_test_tablet_add_firmware (FfUiTestTablet *tablet,
                                FfFirmwareRef  *ref,
                                const char     *version,
                                gsize           size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = ff_sim_firmware_make ("Acme", "DTU-3000", version, size, &error);

  g_assert_no_error (error);
  ref->version = g_strdup (version);
  ref->sha256 = ff_test_store_firmware (ff_tablet_get_store (tablet->tablet), image);
  ref->size = size;
}

FfTask *
ff_ui_test_make_task (guint              days_ago,
                      const char *const *device_ids)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  FfTask *task = ff_test_task_new (now - days_ago * FF_UI_TEST_DAY_S, 7 * FF_UI_TEST_DAY_S,
                                   "Wang Wei");
  g_autoptr(GError) error = NULL;

  for (guint i = 0; device_ids[i] != NULL; i++)
    {
      FfTaskItem *item = ff_test_task_item_new (device_ids[i], device_ids[i], 31.23 + i * 0.001,
                                                121.47, "127.0.0.1", 2404);

      item->target.version = g_strdup ("V2.00");
      item->target.sha256 = g_strnfill (FF_SHA256_HEX_LENGTH, 'a');
      item->target.size = 4096;
      item->target.file_name = g_strdup ("upgrade.bin");
      g_ptr_array_add (task->items, item);
    }
  g_assert_true (ff_task_validate (task, &error));
  g_assert_no_error (error);
  return task;
}

FfReport *
ff_ui_test_make_report (const char      *task_id,
                        const char      *device_id,
                        FfReportOutcome  outcome)
{
  FfReport *report = ff_test_report_new (task_id, device_id, FF_TEST_SERIAL, FF_TEST_PHONE);

  report->outcome = outcome;
  report->firmware_sha256 = g_strnfill (FF_SHA256_HEX_LENGTH, 'b');
  if (outcome == FF_REPORT_OUTCOME_IDENTITY_MISMATCH)
    ff_report_set_failure (report, "identify", "The terminal answered as DTU0999.");
  return report;
}

FfContext *
ff_ui_test_make_context (FfGpsSimulated *gps)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  return ff_context_new (settings, FF_GPS_SOURCE (gps));
}
