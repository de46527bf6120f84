/* FfApplication: sets up the language, owns the FfContext, opens the window, and carries the
 * app-wide actions (preferences, about, quit). */
#include "config.h"

#include "ff-application.h"

#include <glib/gi18n-lib.h>
#include <locale.h>

#include "ff-context.h"
#include "ff-datadir.h"
#include "ff-preferences-window.h"
#include "ff-runtime.h"
#include "ff-window.h"

struct _FfApplication
{
  AdwApplication parent_instance;

  FfContext *context;
  gboolean   training;
  char      *training_scenario;  /* sim scenario words for the second terminal, or NULL */
};

G_DEFINE_FINAL_TYPE (FfApplication, ff_application, ADW_TYPE_APPLICATION)

static gboolean
locale_translates_nothing (const char *messages_locale)
{
  return messages_locale == NULL
         || g_str_equal (messages_locale, "C")
         || g_str_equal (messages_locale, "POSIX")
         || g_str_has_prefix (messages_locale, "C.");
}

/* The "language" preference wins over the system locale, and LANGUAGE over the locale's language.
 * glibc ignores LANGUAGE under the C locale, so there the messages locale itself is switched: to
 * the chosen language's when it is installed, else to C.UTF-8, under which LANGUAGE counts. */
void
ff_application_init_i18n (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *language = g_settings_get_string (settings, "language");
  const char *wanted;

  if (language[0] != '\0')
    g_setenv ("LANGUAGE", language, TRUE);
  wanted = g_getenv ("LANGUAGE");

  setlocale (LC_ALL, "");
  /* GTK would set the locale again from the environment when it starts, undoing the switch. */
  gtk_disable_setlocale ();
  if (wanted != NULL && wanted[0] != '\0'
      && locale_translates_nothing (setlocale (LC_MESSAGES, NULL)))
    {
      g_auto(GStrv) languages = g_strsplit (wanted, ":", 2);
      g_autofree char *utf8_locale = g_strconcat (languages[0], ".UTF-8", NULL);

      if (setlocale (LC_MESSAGES, utf8_locale) == NULL)
        setlocale (LC_MESSAGES, "C.UTF-8");
    }

  bindtextdomain (GETTEXT_PACKAGE, ff_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  FfApplication *self = FF_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  FfPreferencesWindow *preferences = ff_preferences_window_new (self->context);

  gtk_window_set_transient_for (GTK_WINDOW (preferences), parent);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  FfApplication *self = FF_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  static const char *developers[] = { "The Fieldflash developers", NULL };

  adw_show_about_window (parent,
                         "application-name", _("Fieldflash"),
                         "application-icon", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Upgrade and verify the firmware of power-distribution "
                                       "terminals in the field"),
                         "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         /* Translators: put your names here, one per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "preferences", preferences_activated },
  { "about", about_activated },
  { "quit", quit_activated },
};

static void
tablet_opened (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Without its data directory the tablet still trains; the pages say what is missing. */
  if (!ff_context_open_tablet_finish (FF_CONTEXT (source), result, &error))
    g_message ("%s", error->message);
}

static void
ff_application_startup (GApplication *application)
{
  FfApplication *self = FF_APPLICATION (application);
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *quit_accels[] = { "<Control>q", NULL };
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;

  /* Before the first window is realized: it picks its renderer then. */
  ff_runtime_init ();
  G_APPLICATION_CLASS (ff_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);

  self->context = ff_context_new_for_settings (settings, &error);
  if (self->context == NULL)
    {
      /* A bad gpsd address must not keep the technician out: the preferences can fix it. */
      g_message ("%s", error->message);
      g_settings_reset (settings, "gpsd-address");
      self->context = ff_context_new_for_settings (settings, NULL);
    }
  /* The real tablet's data directory, shared with fieldflash-cli, opened off the main thread (the
   * window follows the context's "tablet"); training never touches it. */
  if (!self->training)
    ff_context_open_tablet_async (self->context, NULL, NULL, tablet_opened, NULL);
}

static gint
ff_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  FfApplication *self = FF_APPLICATION (application);
  g_autofree const char **words = NULL;

  self->training = g_variant_dict_contains (options, "training");
  if (g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &words))
    {
      if (!self->training)
        {
          g_printerr ("%s\n", _("A scenario can only be given with --training."));
          return EXIT_FAILURE;
        }
      self->training_scenario = g_strjoinv (" ", (char **) words);
    }
  return -1;
}

static void
ff_application_activate (GApplication *application)
{
  FfApplication *self = FF_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      window = GTK_WINDOW (ff_window_new (self, self->context));
      if (self->training)
        gtk_widget_activate_action (GTK_WIDGET (window), "win.start-training", "s",
                                    self->training_scenario != NULL ? self->training_scenario : "");
    }
  gtk_window_present (window);
}

static void
ff_application_dispose (GObject *object)
{
  FfApplication *self = FF_APPLICATION (object);

  g_clear_object (&self->context);
  g_clear_pointer (&self->training_scenario, g_free);

  G_OBJECT_CLASS (ff_application_parent_class)->dispose (object);
}

static void
ff_application_class_init (FfApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = ff_application_dispose;
  application_class->startup = ff_application_startup;
  application_class->activate = ff_application_activate;
  application_class->handle_local_options = ff_application_handle_local_options;
}

static void
ff_application_init (FfApplication *self)
{
  const GOptionEntry options[] = {
    { "training", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Practise on simulated terminals, with a simulated GPS and a training task"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL, NULL, NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[SCENARIO]"));
  g_application_set_option_context_summary (
    G_APPLICATION (self),
    _("SCENARIO is a simulator fault scenario for the second training terminal, e.g. "
      "“checksum-error segment=3”."));
}

FfApplication *
ff_application_new (void)
{
  return g_object_new (FF_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/fieldflash/Fieldflash",
                       NULL);
}
