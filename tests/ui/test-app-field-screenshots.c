/* The Task, Sync, Queue and Report pages of a tablet that has worked, filled, at 1280×800 and
 * 360×720, the preferences and the about window, into meson-logs/screenshots/field-*.png: each
 * checked for a page wider than 360 px and for targets under 48 px. */
#include "config.h"

#include <adwaita.h>

#include "ff-application.h"
#include "ff-files.h"
#include "ff-preferences-window.h"
#include "ff-test-fixtures.h"
#include "ff-ui-test-tablet.h"
#include "ff-ui-test.h"
#include "ff-window.h"

typedef struct
{
  const char *name;
  int         width;
  int         height;
} ShotSize;

static const ShotSize shot_sizes[] = {
  { "1280x800", 1280, 800 },
  { "360x720", 360, 720 },
};

typedef struct
{
  GtkWidget      *window;
  const ShotSize *size;
} SizeQuery;

static gboolean
has_size (gpointer data)
{
  const SizeQuery *query = data;

  return gtk_widget_get_width (query->window) == query->size->width
         && gtk_widget_get_height (query->window) == query->size->height;
}

/* Shows @window with its contents exactly the size's (the default size counts the client-side
 * decorations' margins too: a throwaway window tells how large they are). */
static void
present_at_size (GtkWidget      *window,
                 const ShotSize *size)
{
  GtkWidget *probe = g_object_ref (adw_window_new ());
  SizeQuery query = { window, size };
  int extra_width, extra_height;

  gtk_window_set_default_size (GTK_WINDOW (probe), 400, 400);
  gtk_window_present (GTK_WINDOW (probe));
  ff_ui_test_wait_for_frame (probe);
  extra_width = 400 - gtk_widget_get_width (probe);
  extra_height = 400 - gtk_widget_get_height (probe);
  gtk_window_destroy (GTK_WINDOW (probe));
  g_assert_finalize_object (probe);

  gtk_window_set_default_size (GTK_WINDOW (window), size->width + extra_width,
                               size->height + extra_height);
  gtk_window_present (GTK_WINDOW (window));
  ff_ui_test_wait_until (has_size, &query, size->name);
}

/* Writes the screenshot, notes whether the page needs more than 360 px and its small targets. */
static void
shoot (GtkWidget  *window,
       GtkWidget  *page,
       const char *file_name,
       GString    *problems)
{
  int minimum_width;

  ff_ui_test_save_screenshot (window, file_name);
  gtk_widget_measure (page, GTK_ORIENTATION_HORIZONTAL, -1, &minimum_width, NULL, NULL, NULL);
  if (minimum_width > FF_UI_TEST_NARROWEST_WIDTH)
    g_string_append_printf (problems, " %s is %d px wide;", file_name, minimum_width);
  ff_ui_test_collect_small_targets (window, file_name, problems);
}

/* A tablet that has worked: today's task with its firmware and a verified signature, one terminal
 * upgraded (its report uploaded), one the wrong terminal (its report still waiting, the last try
 * failed), one to do. */
static FfUiTestTablet *
make_worked_tablet (FfTask **task_out)
{
  static const char *const terminals[] = { "DTU0001", "DTU0002", "DTU0003", NULL };
  FfUiTestTablet *tablet = ff_ui_test_tablet_new ();
  FfStore *store = ff_tablet_get_store (tablet->tablet);
  FfTask *task = ff_ui_test_make_task (0, terminals);
  g_autofree char *key_pem = ff_key_get_public_pem (tablet->platform_key);
  g_autoptr(FfReport) upgraded = NULL;
  g_autoptr(FfReport) mismatch = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_tablet_set_platform (tablet->tablet, "https://127.0.0.1:9443", key_pem, NULL,
                                         &error));
  g_assert_no_error (error);
  for (guint i = 0; i < task->items->len; i++)
    {
      FfTaskItem *item = task->items->pdata[i];

      g_clear_pointer (&item->target.sha256, g_free);
      g_clear_pointer (&item->target.version, g_free);
      ff_ui_test_tablet_add_firmware (tablet, &item->target, "V2.00",
                                      FF_UI_TEST_TARGET_IMAGE_SIZE);
      item->previous = ff_firmware_ref_new ();
      ff_ui_test_tablet_add_firmware (tablet, item->previous, "V1.00",
                                      FF_UI_TEST_FACTORY_IMAGE_SIZE);
    }
  ff_ui_test_tablet_store_task (tablet, task);

  upgraded = ff_ui_test_make_report (task->task_id, "DTU0001", FF_REPORT_OUTCOME_UPGRADED);
  upgraded->before.present = upgraded->after.present = upgraded->judgement.present = TRUE;
  for (guint i = 0; i < FF_SIGNAL_COUNT; i++)
    {
      static const float before[] = { 10520.0f, 121.4f, 24.1f, 21.0f };
      static const float after[] = { 10490.0f, 152.0f, 24.0f, 21.3f };

      upgraded->before.values[i] = before[i];
      upgraded->after.values[i] = after[i];
      upgraded->judgement.deviation[i] = ABS (after[i] - before[i]) / before[i];
      upgraded->judgement.pass[i] = upgraded->judgement.deviation[i] < 0.1;
    }
  ff_ui_test_tablet_save_report (tablet, upgraded);
  g_assert_true (ff_store_mark_uploaded (store, upgraded->report_id,
                                         g_get_real_time () / G_USEC_PER_SEC, &error));
  mismatch = ff_ui_test_make_report (task->task_id, "DTU0002",
                                     FF_REPORT_OUTCOME_IDENTITY_MISMATCH);
  ff_ui_test_tablet_save_report (tablet, mismatch);
  g_assert_true (ff_store_mark_upload_failed (store, mismatch->report_id,
                                              "The platform could not be reached.", &error));
  g_assert_no_error (error);
  *task_out = task;
  return tablet;
}

static gboolean
task_known (gpointer context)
{
  return ff_context_get_task (FF_CONTEXT (context)) != NULL;
}

static gboolean
row_subtitle_mentions (GtkWidget     *widget,
                       gconstpointer  text)
{
  const char *subtitle = ADW_IS_ACTION_ROW (widget)
                         ? adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)) : NULL;

  return subtitle != NULL && strstr (subtitle, text) != NULL && gtk_widget_is_drawable (widget);
}

static gboolean
row_mentioning_shown (gpointer data)
{
  const FfUiTestQuery *query = data;

  return ff_ui_test_find (query->root, row_subtitle_mentions, query->text) != NULL;
}

static gboolean
is_shown_scrolled_window (GtkWidget     *widget,
                          gconstpointer  data)
{
  return GTK_IS_SCROLLED_WINDOW (widget) && gtk_widget_is_drawable (widget);
}

/* Scrolls @page's view to its end, where the printed report is. */
static void
scroll_to_end (GtkWidget *page)
{
  GtkWidget *scrolled = ff_ui_test_find (page, is_shown_scrolled_window, NULL);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
}

static void
shoot_filled_pages (FfContext      *context,
                    const FfTask   *task,
                    const ShotSize *size,
                    GString        *problems)
{
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  GtkWidget *task_page = ff_window_get_page (window, "task");
  GtkWidget *sync = ff_window_get_page (window, "sync");
  GtkWidget *queue = ff_window_get_page (window, "queue");
  GtkWidget *report = ff_window_get_page (window, "report");
  g_autofree char *task_shot = g_strdup_printf ("field-task-%s.png", size->name);
  g_autofree char *sync_shot = g_strdup_printf ("field-sync-%s.png", size->name);
  g_autofree char *queue_shot = g_strdup_printf ("field-queue-%s.png", size->name);
  g_autofree char *report_shot = g_strdup_printf ("field-report-%s.png", size->name);
  g_autofree char *printed_shot = g_strdup_printf ("field-report-printed-%s.png", size->name);
  FfUiTestQuery query;

  present_at_size (GTK_WIDGET (window), size);
  ff_ui_test_wait_until (task_known, context, "today's task");

  ff_window_show_page (window, "task");
  query = (FfUiTestQuery) { task_page, "DTU0002 · Failed" };
  ff_ui_test_wait_until (ff_ui_test_row_shown, &query, query.text);
  query = (FfUiTestQuery) { task_page, "DTU0003 · To do" };
  ff_ui_test_wait_until (ff_ui_test_row_shown, &query, query.text);
  shoot (GTK_WIDGET (window), task_page, task_shot, problems);

  ff_window_show_page (window, "sync");
  query = (FfUiTestQuery) { sync, "SHA-256 verified" };
  ff_ui_test_wait_until (row_mentioning_shown, &query, "the firmware verdicts");
  query = (FfUiTestQuery) { sync, "Valid" };
  g_assert_true (row_mentioning_shown (&query));
  shoot (GTK_WIDGET (window), sync, sync_shot, problems);

  ff_window_show_page (window, "queue");
  query = (FfUiTestQuery) { queue, "last try failed" };
  ff_ui_test_wait_until (row_mentioning_shown, &query, "the waiting report");
  query = (FfUiTestQuery) { queue, "uploaded" };
  g_assert_true (row_mentioning_shown (&query));
  shoot (GTK_WIDGET (window), queue, queue_shot, problems);

  gtk_widget_activate (ff_ui_test_find (queue, ff_ui_test_is_row_titled, "DTU0001"));
  query = (FfUiTestQuery) { report, "V1.00 → V2.01" };
  ff_ui_test_wait_until (ff_ui_test_row_shown, &query, "the opened report");
  shoot (GTK_WIDGET (window), report, report_shot, problems);
  scroll_to_end (report);
  shoot (GTK_WIDGET (window), report, printed_shot, problems);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
  g_assert_cmpstr (ff_context_get_task (context)->task_id, ==, task->task_id);

  ff_ui_test_destroy_window (window);
}

static void
test_filled_pages_screenshots (void)
{
  g_autoptr(FfTask) task = NULL;
  g_autoptr(FfUiTestTablet) tablet = make_worked_tablet (&task);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_ui_test_make_context (gps);
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  ff_gps_simulated_set_position (gps, 31.2290, 121.4745);
  g_assert_true (ff_context_open_tablet (context, tablet->dir, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (shot_sizes); i++)
    shoot_filled_pages (context, task, &shot_sizes[i], problems);
  if (problems->len > 0)
    g_error ("pages too wide or with small targets:%s", problems->str);
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type))
        return toplevel;
    }
  return NULL;
}

static gboolean
platform_editable (gpointer preferences)
{
  GtkWidget *url_row = ff_ui_test_find_type (GTK_WIDGET (preferences), ADW_TYPE_ENTRY_ROW);

  return gtk_widget_is_sensitive (url_row);
}

/* What app.preferences and app.about open, on the application the program runs (its tablet opens
 * off the main thread, maybe after the preferences: they follow). */
static void
test_preferences_and_about_screenshots (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ff-app-field-tablet-XXXXXX", &error);
  g_autoptr(FfApplication) application = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  const struct { const char *action; GType type; const char *file; } windows[] = {
    { "preferences", FF_TYPE_PREFERENCES_WINDOW, "field-preferences.png" },
    { "about", ADW_TYPE_ABOUT_WINDOW, "field-about.png" },
  };

  /* The application opens the real tablet's directory: a throwaway one here. */
  g_assert_no_error (error);
  g_setenv ("FIELDFLASH_TABLET_DIR", dir, TRUE);
  application = ff_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (application), NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (windows); i++)
    {
      GtkWindow *window;

      g_action_group_activate_action (G_ACTION_GROUP (application), windows[i].action, NULL);
      window = find_toplevel (windows[i].type);
      g_assert_nonnull (window);
      g_object_ref (window);
      if (FF_IS_PREFERENCES_WINDOW (window))
        ff_ui_test_wait_until (platform_editable, window, "the platform's settings");
      ff_ui_test_save_screenshot (GTK_WIDGET (window), windows[i].file);
      ff_ui_test_collect_small_targets (GTK_WIDGET (window), windows[i].file, problems);
      ff_ui_test_destroy_window (window);
    }
  if (problems->len > 0)
    g_error ("targets under %d px:%s", FF_UI_TEST_MIN_TARGET_SIZE, problems->str);
  ff_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  ff_ui_test_init (&argc, &argv);

  g_test_add_func ("/app/field/filled-pages-screenshots", test_filled_pages_screenshots);
  g_test_add_func ("/app/field/preferences-and-about-screenshots",
                   test_preferences_and_about_screenshots);
  return g_test_run ();
}
