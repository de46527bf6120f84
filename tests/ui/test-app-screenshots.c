/* Renders every page of the real window at 1280×800 and 360×720 into meson-logs/screenshots, filled
 * by the real workflows of three training visits (a terminal on a slow link, stopped during its
 * push; one that never comes back after its restart; one whose current drifts after the upgrade), and fails when a page needs more than
 * 360 px of width, its primary action is not on screen without scrolling, or the contrast of its
 * text measured in the screenshot is under the field style's (key readings 7:1, body text 4.5:1,
 * the push's percentage and time left 48 px) — also with larger
 * text and high contrast at both sizes, and in Chinese, the widest and the most changed way the app
 * can look. */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n-lib.h>
#include <locale.h>

#include "ff-context.h"
#include "ff-gps-simulated.h"
#include "ff-test-fixtures.h"
#include "ff-ui-test.h"
#include "ff-window.h"

#if HAVE_SHUMATE
#include <shumate/shumate.h>
#endif

#define FF_RESIZE_DEADLINE_S 10

typedef struct
{
  const char *name;
  int         width;
  int         height;
  const char *language;       /* NULL: the source strings */
  gboolean    field_display;  /* larger text and high contrast */
} FfScreenshotSet;

static const FfScreenshotSet screenshot_sets[] = {
  { "1280x800", 1280, 800, NULL, FALSE },
  { "1280x800-field", 1280, 800, NULL, TRUE },
  { "360x720", 360, 720, NULL, FALSE },
  { "360x720-field", 360, 720, NULL, TRUE },
  { "360x720-zh_CN-field", 360, 720, "zh_CN", TRUE },
};

static gboolean
deadline_passed (gpointer user_data)
{
  g_error ("the window did not take its size within %u s",
           ff_test_deadline_s (FF_RESIZE_DEADLINE_S));
  return G_SOURCE_REMOVE;
}

/* The default size of a window counts the margins of its client-side decorations too; a throwaway
 * window tells how large they are. */
static void
measure_decoration_margins (int *extra_width,
                            int *extra_height)
{
  GtkWidget *probe = g_object_ref (adw_window_new ());

  gtk_window_set_default_size (GTK_WINDOW (probe), 400, 400);
  gtk_window_present (GTK_WINDOW (probe));
  ff_ui_test_wait_for_frame (probe);
  *extra_width = 400 - gtk_widget_get_width (probe);
  *extra_height = 400 - gtk_widget_get_height (probe);
  gtk_window_destroy (GTK_WINDOW (probe));
  g_assert_finalize_object (probe);
}

/* Shows the window with its contents exactly @width × @height. */
static void
present_at_size (GtkWidget *window,
                 int        width,
                 int        height)
{
  int extra_width, extra_height;
  guint watchdog;

  measure_decoration_margins (&extra_width, &extra_height);
  gtk_window_set_default_size (GTK_WINDOW (window), width + extra_width, height + extra_height);
  gtk_window_present (GTK_WINDOW (window));
  watchdog = g_timeout_add_seconds (ff_test_deadline_s (FF_RESIZE_DEADLINE_S), deadline_passed,
                                    NULL);
  while (gtk_widget_get_width (window) != width || gtk_widget_get_height (window) != height)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
}

/* One set's pages on the way through a training visit, and what is wrong with them. */
typedef struct
{
  FfWindow              *window;
  const FfScreenshotSet *set;
  GHashTable            *shot;           /* the page names taken */
  GString               *too_wide;
  GString               *small_targets;
  GString               *unreachable;    /* primary actions below the fold */
  GString               *low_contrast;
} FfShots;

/* The label in the middle of the header bar. */
static gboolean
is_header_title (GtkWidget     *widget,
                 gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "title")
         && gtk_widget_get_ancestor (widget, ADW_TYPE_HEADER_BAR) != NULL;
}

#if HAVE_SHUMATE
/* A map a screenshot shows is drawn whole: the page follows the fix and reads its tiles a moment
 * after it appears, and a picture taken before shows an empty card, or the terminal alone, where
 * the way to it should be. */
static void
wait_for_map (GtkWidget *page)
{
  GtkWidget *map = ff_ui_test_find_type (page, SHUMATE_TYPE_SIMPLE_MAP);

  if (map != NULL)
    ff_ui_test_wait_until_settled (ff_ui_test_map_shows_way, map,
                                   "the map's tiles and the way to the terminal");
}
#endif

/* The distance to the terminal, in the Navigate page's largest type. */
static gboolean
is_distance (GtkWidget     *widget,
             gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "title-1");
}

/* On a landscape tablet (1280×800) the technician sees the way without scrolling: the map and the
 * distance, whole. */
static void
collect_hidden_way (FfShots   *shots,
                    GtkWidget *page)
{
  GtkWidget *distance = ff_ui_test_find (page, is_distance, NULL);

  g_assert_nonnull (distance);
  if (!ff_ui_test_is_wholly_visible (GTK_WIDGET (shots->window), distance))
    g_string_append (shots->unreachable, " navigate:(the distance)");
#if HAVE_SHUMATE
  {
    GtkWidget *map = ff_ui_test_find (page, ff_ui_test_is_type,
                                      GSIZE_TO_POINTER (SHUMATE_TYPE_SIMPLE_MAP));

    g_assert_nonnull (map);
    if (!ff_ui_test_is_wholly_visible (GTK_WIDGET (shots->window), map))
      g_string_append (shots->unreachable, " navigate:(the map)");
  }
#endif
}

/* Shows page @name as it is now, checks that it fits the narrowest screen, that its targets are
 * large enough and that its primary action is on screen without scrolling, and saves it. */
static void
shoot (FfShots    *shots,
       const char *name)
{
  static const char *const pages_with_readings[] = {
    "navigate", "connect", "before", "push", "restart", "report", NULL
  };
  g_autofree char *file = g_strdup_printf ("%s-%s.png", name, shots->set->name);
  g_autoptr(GskRenderNode) shot = NULL;
  GtkWidget *title;
  guint readings;
  int minimum_width;

  ff_window_show_page (shots->window, name);
#if HAVE_SHUMATE
  wait_for_map (ff_window_get_page (shots->window, name));
#endif
  gtk_widget_measure (ff_window_get_page (shots->window, name), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum_width, NULL, NULL, NULL);
  if (minimum_width > FF_UI_TEST_NARROWEST_WIDTH)
    g_string_append_printf (shots->too_wide, " %s (%d px)", name, minimum_width);
  shot = ff_ui_test_take_screenshot (GTK_WIDGET (shots->window), file);
  readings = ff_ui_test_collect_low_contrast (shot, GTK_WIDGET (shots->window),
                                              ff_window_get_page (shots->window, name), name,
                                              shots->low_contrast);
  /* The pages a technician reads numbers from show them as key readings. */
  if (readings == 0 && g_strv_contains (pages_with_readings, name))
    g_string_append_printf (shots->low_contrast, " %s:(no key reading)", name);
  ff_ui_test_collect_small_targets (GTK_WIDGET (shots->window), name, shots->small_targets);
  /* The header's title is read whole, never cut short ("Before the Up…"). */
  title = ff_ui_test_find (GTK_WIDGET (shots->window), is_header_title, NULL);
  g_assert_nonnull (title);
  if (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (title))))
    g_string_append_printf (shots->too_wide, " %s's title", name);
  /* Connect shows what the identity check read while the workflow moves on: nothing to press. */
  if (ff_ui_test_collect_unreachable_actions (GTK_WIDGET (shots->window),
                                              ff_window_get_page (shots->window, name), name,
                                              shots->unreachable) == 0
      && !g_str_equal (name, "connect"))
    g_string_append_printf (shots->unreachable, " %s:(no primary action)", name);
  if (g_str_equal (name, "navigate") && shots->set->width > shots->set->height)
    collect_hidden_way (shots, ff_window_get_page (shots->window, name));
  g_hash_table_add (shots->shot, g_strdup (name));
}

static gboolean
on_task_page (gpointer data)
{
  return g_strcmp0 (ff_window_get_page_name (data), "task") == 0;
}

static gboolean
waiting_for_go_ahead (gpointer data)
{
  return ff_workflow_get_state (ff_window_get_workflow (data)) == FF_WORKFLOW_STATE_CONFIRM;
}

/* The visit's report is saved and read back, and the way to the next terminal is open. */
static gboolean
report_shown (gpointer data)
{
  GtkWidget *report = ff_window_get_page (data, "report");
  GtkWidget *next = ff_ui_test_find (report, ff_ui_test_is_button_for, "win.next-terminal");

  return ff_workflow_get_state (ff_window_get_workflow (data)) == FF_WORKFLOW_STATE_DONE
         && gtk_widget_is_sensitive (next)
         && g_strcmp0 (ff_ui_test_visible_stack_child (report), "summary") == 0;
}

static gboolean
report_queued (gpointer data)
{
  GtkWidget *queue = ff_window_get_page (data, "queue");

  return g_strcmp0 (ff_ui_test_visible_stack_child (queue), "reports") == 0;
}

/* The pages before a terminal, as a trainee sees them on the way to the first one. */
static void
shoot_way_to_terminal (FfShots    *shots,
                       FfContext  *context,
                       FfTraining *training)
{
  shoot (shots, "welcome");
  shoot (shots, "login");
  shoot (shots, "sync");
  ff_context_set_training (context, training);
  ff_window_show_page (shots->window, "task");
  ff_ui_test_wait_until (on_task_page, shots->window, "the training task");
  shoot (shots, "task");
  gtk_widget_activate_action (GTK_WIDGET (shots->window), "win.navigate-to", "s", "DTU0101");
  shoot (shots, "navigate");
}

static gboolean
reconnect_tried (gpointer data)
{
  GtkWidget *attempts = ff_ui_test_find (ff_window_get_page (data, "restart"),
                                         ff_ui_test_is_row_titled, _("Reconnect attempts"));

  return gtk_widget_is_drawable (attempts);
}

/* The run is over and the way to a terminal is open again. */
static gboolean
run_ended (gpointer data)
{
  GtkWidget *start = ff_ui_test_find (ff_window_get_page (data, "navigate"),
                                      ff_ui_test_is_button_for, "win.start-upgrade");

  return gtk_widget_is_sensitive (start);
}

static gboolean
pushing (gpointer data)
{
  FfWorkflow *workflow = ff_window_get_workflow (data);
  guint64 sent;

  g_object_get (workflow, "bytes-sent", &sent, NULL);
  return ff_workflow_get_state (workflow) == FF_WORKFLOW_STATE_PUSH && sent > 0;
}

/* Page @name filled by @workflow's run once @reached holds after the go-ahead — the terminal of a
 * slow link in the middle of its push, or one that never comes back after its restart — then the
 * run stopped, as the technician stops it. */
static void
shoot_stopped_visit (FfShots           *shots,
                     FfTraining        *training,
                     FfWorkflow        *workflow,
                     FfUiTestCondition  reached,
                     const char        *name)
{
  FfWindow *window = shots->window;
  AdwMessageDialog *stopped;

  ff_training_walk_to (training, ff_workflow_get_device_id (workflow));
  ff_window_run_workflow (window, workflow);
  ff_ui_test_wait_until (waiting_for_go_ahead, window, "the go-ahead");
  ff_ui_test_press (ff_window_get_page (window, "before"), "before.upgrade");
  ff_ui_test_wait_until (reached, window, name);
  shoot (shots, name);
  ff_ui_test_press (ff_window_get_page (window, name), "win.cancel-upgrade");
  ff_ui_test_respond (ff_ui_test_find_dialog (), _("_Stop"));
  ff_ui_test_wait_until (run_ended, window, "the stopped run to end");
  stopped = ff_ui_test_find_dialog ();
  g_assert_nonnull (stopped);
  ff_ui_test_respond (stopped, _("_OK"));
}

static gboolean
waiting_for_rollback_decision (gpointer data)
{
  return ff_workflow_get_state (ff_window_get_workflow (data)) == FF_WORKFLOW_STATE_FAILED;
}

/* The other workflow pages filled by @workflow's real run — a signal drifts after the upgrade, so
 * the After page has gauges and a failure — up to its report in the queue. */
static void
shoot_visit (FfShots    *shots,
             FfTraining *training,
             FfWorkflow *workflow)
{
  FfWindow *window = shots->window;

  ff_training_walk_to (training, ff_workflow_get_device_id (workflow));
  ff_window_run_workflow (window, workflow);
  ff_ui_test_wait_until (waiting_for_go_ahead, window, "the go-ahead");
  shoot (shots, "connect");
  shoot (shots, "before");
  ff_ui_test_press (ff_window_get_page (window, "before"), "before.upgrade");
  ff_ui_test_wait_until (waiting_for_rollback_decision, window, "the failed upgrade");
  shoot (shots, "after");
  ff_ui_test_press (ff_window_get_page (window, "after"), "after.close");
  ff_ui_test_wait_until (report_shown, window, "the report");
  shoot (shots, "report");
  ff_window_show_page (window, "queue");
  ff_ui_test_wait_until (report_queued, window, "the report in the queue");
  shoot (shots, "queue");
}

/* Translations from the build tree, as the app would have them installed. */
static void
use_language (const char *language)
{
  g_autofree char *locale_dir = g_build_filename (g_getenv ("FIELDFLASH_BUILDDIR"), "po", NULL);

  g_setenv ("LANGUAGE", language, TRUE);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  /* The catalogue must really be in use, or the screenshots would show English. */
  g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, "Log In"), !=, "Log In");
}

static void
take_screenshots (const FfScreenshotSet *set)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(FfGpsSimulated) gps = NULL;
  g_autoptr(FfContext) context = NULL;
  g_autoptr(FfTraining) training = NULL;
  g_autoptr(FfWorkflow) hanging = NULL;
  g_autoptr(FfWorkflow) slow = NULL;
  g_autoptr(FfWorkflow) drifting = NULL;
  g_autoptr(GHashTable) shot = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GString) too_wide = g_string_new (NULL);
  g_autoptr(GString) small_targets = g_string_new (NULL);
  g_autoptr(GString) unreachable = g_string_new (NULL);
  g_autoptr(GString) low_contrast = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  FfShots shots = { NULL, set, shot, too_wide, small_targets, unreachable, low_contrast };
  int minimum_width;

  /* Chosen first, so the visits below start in the language the technician reads. */
  if (set->language != NULL)
    use_language (set->language);
  settings = g_settings_new (APP_ID);
  gps = ff_gps_simulated_new ();
  context = ff_context_new (settings, FF_GPS_SOURCE (gps));
  training = ff_ui_test_start_training ();
  g_assert_true (ff_training_set_scenario (training, "DTU0102", "never-back", NULL));
  hanging = ff_training_create_workflow (training, "DTU0102", &error);
  g_assert_no_error (error);
  /* 32 KiB at 2 KiB/s: the push goes on for the screenshot. */
  g_assert_true (ff_training_set_scenario (training, "DTU0103", "slow-link bandwidth=2048", NULL));
  slow = ff_training_create_workflow (training, "DTU0103", &error);
  g_assert_no_error (error);
  g_assert_true (ff_training_set_scenario (training, "DTU0101",
                                           "signal-drift signal=current percent=25", NULL));
  drifting = ff_training_create_workflow (training, "DTU0101", &error);
  g_assert_no_error (error);

  g_settings_set_boolean (settings, "larger-text", set->field_display);
  g_settings_set_boolean (settings, "high-contrast", set->field_display);

  shots.window = g_object_ref (ff_window_new (NULL, context));
  present_at_size (GTK_WIDGET (shots.window), set->width, set->height);
  shoot_way_to_terminal (&shots, context, training);
  shoot_stopped_visit (&shots, training, slow, pushing, "push");
  shoot_stopped_visit (&shots, training, hanging, reconnect_tried, "restart");
  shoot_visit (&shots, training, drifting);

  for (const char *const *name = ff_window_list_page_names (); *name != NULL; name++)
    g_assert_true (g_hash_table_contains (shot, *name));
  gtk_widget_measure (GTK_WIDGET (shots.window), GTK_ORIENTATION_HORIZONTAL, -1, &minimum_width,
                      NULL, NULL, NULL);
  if (minimum_width > FF_UI_TEST_NARROWEST_WIDTH)
    g_string_append_printf (too_wide, " the window (%d px)", minimum_width);
  if (too_wide->len > 0)
    g_error ("wider than %d px:%s", FF_UI_TEST_NARROWEST_WIDTH, too_wide->str);
  if (small_targets->len > 0)
    g_error ("targets under %d px:%s", FF_UI_TEST_MIN_TARGET_SIZE, small_targets->str);
  if (unreachable->len > 0)
    g_error ("primary actions (and on a landscape screen the way to the terminal) not on screen "
             "without scrolling:%s", unreachable->str);
  if (low_contrast->len > 0)
    g_error ("text under the field style's contrast or size:%s", low_contrast->str);

  gtk_window_destroy (GTK_WINDOW (shots.window));
  g_assert_finalize_object (shots.window);
  g_settings_reset (settings, "larger-text");
  g_settings_reset (settings, "high-contrast");
}

/* A language is chosen once per process, before the first string is looked up: each set runs in a
 * subprocess of its own. */
static void
test_screenshots (gconstpointer data)
{
  const FfScreenshotSet *set = data;

  if (g_test_subprocess ())
    {
      take_screenshots (set);
      return;
    }
  g_free (ff_test_run_subprocess ());
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  ff_ui_test_load_app_style ();

  for (gsize i = 0; i < G_N_ELEMENTS (screenshot_sets); i++)
    {
      g_autofree char *path = g_strconcat ("/app/screenshots/", screenshot_sets[i].name, NULL);

      g_test_add_data_func (path, &screenshot_sets[i], test_screenshots);
    }
  return g_test_run ();
}
