/* The app started from the build in Chinese — LANGUAGE=zh_CN, the language README command 1 leaves
 * the technician with, even under the C locale — speaks Chinese: it reads the catalogues the build
 * compiled into its tree, nothing installed. Its touch buttons carry no "(N)" mnemonic suffix, and
 * the icon-only header buttons have names a screen reader says. */
#include "config.h"

#include <adwaita.h>
#include <locale.h>

#include "ff-application.h"
#include "ff-test-fixtures.h"
#include "ff-ui-test.h"
#include "ff-window.h"

/* Any CJK ideograph. */
static gboolean
mentions_chinese (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= 0x4e00 && c <= 0x9fff)
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_chinese_label (GtkWidget     *widget,
                  gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget)
         && mentions_chinese (gtk_label_get_text (GTK_LABEL (widget)));
}

/* A button's text ending in a mnemonic suffix such as "(L)". */
static gboolean
is_button_with_mnemonic_suffix (GtkWidget     *widget,
                                gconstpointer  data)
{
  g_autoptr(GRegex) suffix = g_regex_new ("[(（][A-Z][)）]$", 0, 0, NULL);
  GtkWidget *label;

  if (!GTK_IS_BUTTON (widget) || !gtk_widget_is_drawable (widget))
    return FALSE;
  label = ff_ui_test_find (widget, ff_ui_test_is_type, GSIZE_TO_POINTER (GTK_TYPE_LABEL));
  return label != NULL && g_regex_match (suffix, gtk_label_get_text (GTK_LABEL (label)), 0, NULL);
}

typedef struct
{
  GtkWidget *window;
  gboolean   checked;
} Run;

static void
check_window (Run *run)
{
  GtkWidget *task = ff_window_get_page (FF_WINDOW (run->window), "task");
  GtkWidget *back = ff_ui_test_find (run->window, ff_ui_test_is_button_for, "win.back");
  GtkWidget *mnemonic;

  ff_ui_test_save_screenshot (run->window, "language-task-zh_CN.png");
  g_assert_nonnull (ff_ui_test_find (task, is_chinese_label, NULL));
  mnemonic = ff_ui_test_find (run->window, is_button_with_mnemonic_suffix, NULL);
  if (mnemonic != NULL)
    g_error ("a button reads “%s”",
             gtk_label_get_text (GTK_LABEL (ff_ui_test_find (mnemonic, ff_ui_test_is_type,
                                                             GSIZE_TO_POINTER (GTK_TYPE_LABEL)))));
  /* The icon-only back button is named, in the reader's language. */
  g_assert_nonnull (back);
  g_assert_null (gtk_button_get_label (GTK_BUTTON (back)));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (back), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       g_dgettext (GETTEXT_PACKAGE, "Back"));
  g_assert_true (mentions_chinese (g_dgettext (GETTEXT_PACKAGE, "Back")));
  run->checked = TRUE;
}

/* Training has started: its task is on the day's list. */
static gboolean
training_shown (gpointer data)
{
  Run *run = data;

  return run->window != NULL && gtk_widget_get_mapped (run->window)
         && g_strcmp0 (ff_window_get_page_name (FF_WINDOW (run->window)), "task") == 0;
}

static void
window_added (GtkApplication *application,
              GtkWindow      *window,
              Run            *run)
{
  if (FF_IS_WINDOW (window) && run->window == NULL)
    run->window = GTK_WIDGET (window);
}

/* Runs in the app's main loop, once it has shown its window. */
static void
activated (GApplication *application,
           Run          *run)
{
  ff_ui_test_load_app_style ();
  ff_ui_test_wait_until (training_shown, run, "the training task");
  check_window (run);
  g_application_quit (application);
}

static void
run_app_in_chinese (void)
{
  g_autoptr(FfApplication) app = NULL;
  /* As README command 1 starts it. */
  char *argv[] = { (char *) "fieldflash", (char *) "--training", NULL };
  Run run = { NULL, FALSE };

  /* What a technician's shell may hold: no locale at all, and the language asked for. */
  g_setenv ("LC_ALL", "C", TRUE);
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  /* Accessible names are kept, for the check, by GTK's test context. */
  g_setenv ("GTK_A11Y", "test", TRUE);
  ff_application_init_i18n ();
  app = ff_application_new ();
  g_signal_connect (app, "window-added", G_CALLBACK (window_added), &run);
  /* After the app's own activate, which makes the window. */
  g_signal_connect_after (app, "activate", G_CALLBACK (activated), &run);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 2, argv), ==, 0);
  g_assert_true (run.checked);
}

/* The language is set once per process, before the first string is looked up. */
static void
test_app_speaks_chinese_from_the_build (void)
{
  if (g_test_subprocess ())
    {
      run_app_in_chinese ();
      return;
    }
  g_free (ff_test_run_subprocess ());
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/language/chinese-from-the-build", test_app_speaks_chinese_from_the_build);
  return g_test_run ();
}
