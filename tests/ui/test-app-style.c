/* The field style: larger text scales headings and readings as much as body text, and the display
 * switches are one tap from the header menu. */
#include "config.h"

#include <adwaita.h>

#include "ff-context.h"
#include "ff-gps-simulated.h"
#include "ff-ui-test.h"
#include "ff-window.h"

static FfContext *
make_context (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();

  return ff_context_new (settings, FF_GPS_SOURCE (gps));
}

static gboolean
menu_has_action (GMenuModel *menu,
                 const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autofree char *name = NULL;
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);

      if (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &name)
          && g_str_equal (name, action))
        return TRUE;
      if (section != NULL && menu_has_action (section, action))
        return TRUE;
    }
  return FALSE;
}

/* High contrast and larger text are in the header's menu, not only in the preferences: one tap
 * opens the menu, the next switches. */
static void
test_window_display_quick_toggles (void)
{
  g_autoptr(FfContext) context = make_context ();
  GSettings *settings = ff_context_get_settings (context);
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  GtkWidget *menu_button = ff_ui_test_find_type (GTK_WIDGET (window), GTK_TYPE_MENU_BUTTON);
  GMenuModel *menu = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (menu_button));

  g_assert_true (menu_has_action (menu, "display.high-contrast"));
  g_assert_true (menu_has_action (menu, "display.larger-text"));
  gtk_widget_activate_action (GTK_WIDGET (window), "display.larger-text", NULL);
  g_assert_true (g_settings_get_boolean (settings, "larger-text"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (window), "ff-larger-text"));
  gtk_widget_activate_action (GTK_WIDGET (window), "display.high-contrast", NULL);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (window), "ff-high-contrast"));
  gtk_widget_activate_action (GTK_WIDGET (window), "display.larger-text", NULL);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (window), "ff-larger-text"));
  g_settings_reset (settings, "high-contrast");
  g_settings_reset (settings, "larger-text");

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

/* The size, in Pango units, that the label's style gives its text now. */
static int
text_size (GtkWidget *label)
{
  return pango_font_description_get_size (
    pango_context_get_font_description (gtk_widget_get_pango_context (label)));
}

/* Larger text scales the headings and titles (sized in points by libadwaita) as much as the body
 * text: a group's heading is never smaller than the rows under it. */
static void
test_larger_text_scales_headings (void)
{
  static const char *const classes[] = { "heading", "title-1", "title-2", "title-4" };
  GtkWidget *window = g_object_ref (gtk_window_new ());
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *body = gtk_label_new ("Device ID");
  GtkWidget *labels[G_N_ELEMENTS (classes)];
  int normal[G_N_ELEMENTS (classes)];
  int normal_body;

  gtk_box_append (GTK_BOX (box), body);
  for (gsize i = 0; i < G_N_ELEMENTS (classes); i++)
    {
      labels[i] = gtk_label_new ("Identity");
      gtk_widget_add_css_class (labels[i], classes[i]);
      gtk_box_append (GTK_BOX (box), labels[i]);
    }
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
  ff_ui_test_wait_for_frame (window);
  normal_body = text_size (body);
  for (gsize i = 0; i < G_N_ELEMENTS (classes); i++)
    normal[i] = text_size (labels[i]);

  gtk_widget_add_css_class (window, "ff-larger-text");
  ff_ui_test_wait_for_frame (window);
  g_assert_cmpfloat_with_epsilon ((double) text_size (body) / normal_body, 1.3, 0.02);
  for (gsize i = 0; i < G_N_ELEMENTS (classes); i++)
    {
      g_test_message ("%s: %d → %d", classes[i], normal[i], text_size (labels[i]));
      g_assert_cmpfloat_with_epsilon ((double) text_size (labels[i]) / normal[i], 1.3, 0.02);
      g_assert_cmpint (text_size (labels[i]), >=, text_size (body));
    }

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  ff_ui_test_load_app_style ();

  g_test_add_func ("/app/style/display-quick-toggles", test_window_display_quick_toggles);
  g_test_add_func ("/app/style/larger-text-scales-headings", test_larger_text_scales_headings);
  return g_test_run ();
}
