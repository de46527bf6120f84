/* What the UI tests share: finding widgets by what a person sees (labels, row titles, the action a
 * button triggers), waiting for a drawn frame, and writing screenshots to meson-logs/screenshots.
 */
#include "config.h"

#include "ff-ui-test.h"

#include <glib/gstdio.h>

#define FF_FRAME_DEADLINE_S 10

GtkWidget *
ff_ui_test_find (GtkWidget     *root,
                 FfWidgetMatch  match,
                 gconstpointer  data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ff_ui_test_find (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

gboolean
ff_ui_test_is_type (GtkWidget     *widget,
                    gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

gboolean
ff_ui_test_is_button_for (GtkWidget     *widget,
                          gconstpointer  action_name)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0;
}

gboolean
ff_ui_test_is_label (GtkWidget     *widget,
                     gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0;
}

gboolean
ff_ui_test_is_row_titled (GtkWidget     *widget,
                          gconstpointer  title)
{
  return ADW_IS_PREFERENCES_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* A label on screen (a toast's title, for instance) that mentions @word. */
gboolean
ff_ui_test_is_label_mentioning (GtkWidget     *widget,
                                gconstpointer  word)
{
  return GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget)
         && strstr (gtk_label_get_label (GTK_LABEL (widget)), word) != NULL;
}

/* The view a page shows: the visible child of its (first) stack. */
const char *
ff_ui_test_visible_stack_child (GtkWidget *page)
{
  GtkWidget *stack = ff_ui_test_find_type (page, GTK_TYPE_STACK);

  g_assert_nonnull (stack);
  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

/* What AdwApplication does for the app from its resource base path, here without an application. */
void
ff_ui_test_load_app_style (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();

  gtk_css_provider_load_from_resource (provider, "/org/fieldflash/Fieldflash/style.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (display),
                                    "/org/fieldflash/Fieldflash/icons");
  /* A screenshot shows the page, not the middle of the slide towards it. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
}

static gboolean
deadline_passed (gpointer user_data)
{
  g_error ("no frame was drawn within %d s", FF_FRAME_DEADLINE_S);
  return G_SOURCE_REMOVE;
}

static gboolean
frame_drawn (GtkWidget     *widget,
             GdkFrameClock *frame_clock,
             gpointer       user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
ff_ui_test_wait_for_frame (GtkWidget *window)
{
  gboolean drawn = FALSE;
  guint watchdog = g_timeout_add_seconds (FF_FRAME_DEADLINE_S, deadline_passed, NULL);

  gtk_widget_queue_draw (window);
  gtk_widget_add_tick_callback (window, frame_drawn, &drawn, NULL);
  while (!drawn)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
}

/* Draws a frame of @window as it is now and writes it to meson-logs/screenshots/@file_name. */
void
ff_ui_test_save_screenshot (GtkWidget  *window,
                            const char *file_name)
{
  const char *build_dir = g_getenv ("FIELDFLASH_BUILDDIR");
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  int width, height;
  g_autoptr(GdkPaintable) paintable = NULL;
  GtkSnapshot *snapshot;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  g_assert_nonnull (build_dir);
  dir = g_build_filename (build_dir, "meson-logs", "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  path = g_build_filename (dir, file_name, NULL);

  ff_ui_test_wait_for_frame (window);
  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);
  paintable = gtk_widget_paintable_new (window);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("%s", path);
}

/* Removes a temporary directory the test made, with everything in it. */
void
ff_ui_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        ff_ui_test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}
