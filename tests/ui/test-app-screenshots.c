/* Renders every page of the real window at 1280×800 and 360×720 into meson-logs/screenshots, and
 * fails when a page needs more than 360 px of width — also in Chinese with larger text and high
 * contrast, the widest and the most changed way the app can look. */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n-lib.h>
#include <locale.h>

#include "ff-after-page.h"
#include "ff-before-page.h"
#include "ff-context.h"
#include "ff-gps-simulated.h"
#include "ff-navigate-page.h"
#include "ff-ui-test.h"
#include "ff-window.h"

#define FF_NARROWEST_WIDTH 360
/* The smallest target a gloved finger hits reliably. */
#define FF_MIN_TARGET_SIZE 48
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
  { "360x720", 360, 720, NULL, FALSE },
  { "360x720-field", 360, 720, NULL, TRUE },
  { "360x720-zh_CN-field", 360, 720, "zh_CN", TRUE },
};

static gboolean
deadline_passed (gpointer user_data)
{
  g_error ("the window did not take its size within %d s", FF_RESIZE_DEADLINE_S);
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
  watchdog = g_timeout_add_seconds (FF_RESIZE_DEADLINE_S, deadline_passed, NULL);
  while (gtk_widget_get_width (window) != width || gtk_widget_get_height (window) != height)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
}

static void
fill_snapshot (FfSnapshot *snapshot,
               float       line_voltage,
               float       current,
               float       battery_voltage,
               float       ambient_temperature)
{
  *snapshot = (FfSnapshot) {
    .values = { line_voltage, current, battery_voltage, ambient_temperature },
    .present = { TRUE, TRUE, TRUE, TRUE },
  };
}

/* The pages that can present data without a running workflow get some, so their filled layout is
 * seen (the training test shows the workflow pages filled). */
static void
present_sample_terminal (FfWindow       *window,
                         FfGpsSimulated *gps)
{
  g_autoptr(FfTaskItem) item = ff_task_item_new ();
  FfSnapshot before, after;

  item->device_id = g_strdup ("310115000123");
  item->name = g_strdup ("Pole 17, Zhangjiang Road ring main unit");
  item->latitude = 31.2052;
  item->longitude = 121.5901;
  ff_gps_simulated_set_position (gps, 31.2040, 121.5885);
  ff_navigate_page_set_target (FF_NAVIGATE_PAGE (ff_window_get_page (window, "navigate")), item);

  fill_snapshot (&before, 10.52f, 121.4f, 24.1f, 21.0f);
  fill_snapshot (&after, 10.49f, 152.0f, 24.0f, 21.3f);
  ff_before_page_show (FF_BEFORE_PAGE (ff_window_get_page (window, "before")), "V2.1.0", "V2.3.0",
                       &before);
  ff_after_page_show_snapshots (FF_AFTER_PAGE (ff_window_get_page (window, "after")), &before,
                                &after);
}

static void
collect_small_targets (GtkWidget  *widget,
                       const char *page,
                       GString    *small)
{
  gboolean target = GTK_IS_BUTTON (widget)
                    || (GTK_IS_LIST_BOX_ROW (widget)
                        && gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (widget)))
                    || GTK_IS_TEXT (widget);

  if (!gtk_widget_is_drawable (widget))
    return;
  if (target && gtk_widget_is_sensitive (widget)
      && gtk_widget_get_height (widget) < FF_MIN_TARGET_SIZE)
    g_string_append_printf (small, " %s:%s(%d px)", page, G_OBJECT_TYPE_NAME (widget),
                            gtk_widget_get_height (widget));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_small_targets (child, page, small);
}

/* Checked before the window is shown: a page that is too wide would only make it wider. */
static void
assert_pages_fit_narrowest (FfWindow *window)
{
  g_autoptr(GString) too_wide = g_string_new (NULL);
  int minimum_width;

  for (const char *const *name = ff_window_list_page_names (); *name != NULL; name++)
    {
      gtk_widget_measure (ff_window_get_page (window, *name), GTK_ORIENTATION_HORIZONTAL, -1,
                          &minimum_width, NULL, NULL, NULL);
      if (minimum_width > FF_NARROWEST_WIDTH)
        g_string_append_printf (too_wide, " %s (%d px)", *name, minimum_width);
    }
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &minimum_width, NULL,
                      NULL, NULL);
  if (minimum_width > FF_NARROWEST_WIDTH)
    g_string_append_printf (too_wide, " the window (%d px)", minimum_width);

  if (too_wide->len > 0)
    g_error ("wider than %d px:%s", FF_NARROWEST_WIDTH, too_wide->str);
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
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_context_new (settings, FF_GPS_SOURCE (gps));
  g_autoptr(GString) small_targets = g_string_new (NULL);
  FfWindow *window;

  if (set->language != NULL)
    use_language (set->language);
  g_settings_set_boolean (settings, "larger-text", set->field_display);
  g_settings_set_boolean (settings, "high-contrast", set->field_display);

  window = g_object_ref (ff_window_new (NULL, context));
  present_sample_terminal (window, gps);
  assert_pages_fit_narrowest (window);
  present_at_size (GTK_WIDGET (window), set->width, set->height);

  for (const char *const *name = ff_window_list_page_names (); *name != NULL; name++)
    {
      g_autofree char *file = g_strdup_printf ("%s-%s.png", *name, set->name);

      ff_window_show_page (window, *name);
      ff_ui_test_save_screenshot (GTK_WIDGET (window), file);
      collect_small_targets (GTK_WIDGET (window), *name, small_targets);
    }
  if (small_targets->len > 0)
    g_error ("targets under %d px:%s", FF_MIN_TARGET_SIZE, small_targets->str);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
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
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT
                                   | G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
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
