/* FfPreferencesWindow: switches, the language and the gpsd address are GSettings; the platform
 * (address, key, certificate) is the tablet's own, kept in its data directory through FfTablet.
 * Addresses and keys are checked when applied: a typo is refused with a toast and never stored. */
#include "config.h"

#include "ff-preferences-window.h"

#include <glib/gi18n-lib.h>

#include "ff-gpsd-source.h"

struct _FfPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* template widgets */
  GtkWidget     *platform_group;
  AdwEntryRow   *platform_url_row;
  GtkTextBuffer *platform_key_buffer;
  GtkTextBuffer *platform_cert_buffer;
  AdwEntryRow   *gpsd_address_row;
  GtkSwitch     *high_contrast_switch;
  GtkSwitch     *larger_text_switch;
  AdwComboRow   *language_row;

  /* owned */
  FfContext    *context;
  GCancellable *cancellable;   /* of the platform's settings being read or saved */
  gboolean      saving;        /* a platform setting is being written: the group waits */
};

G_DEFINE_FINAL_TYPE (FfPreferencesWindow, ff_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum
{
  PROP_0,
  PROP_CONTEXT,
  PROP_SAVING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* In the order of the language row's model. */
static const char *const languages[] = { "", "en", "zh_CN" };

static void
show_toast (FfPreferencesWindow *self,
            const char          *message)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (message));
}

static void
set_saving (FfPreferencesWindow *self,
            gboolean             saving)
{
  self->saving = saving;
  gtk_widget_set_sensitive (self->platform_group, !saving);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVING]);
}

typedef struct
{
  FfPreferencesWindow *self;   /* not a reference: disposing the window cancels the save */
  char                *saved_message;
} Save;

static void
platform_saved (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Save *save = user_data;
  g_autoptr(GError) error = NULL;
  gboolean saved = ff_context_set_platform_finish (FF_CONTEXT (source), result, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      set_saving (save->self, FALSE);
      show_toast (save->self, saved ? save->saved_message : error->message);
    }
  g_free (save->saved_message);
  g_free (save);
}

/* Stores one of the platform settings (the others NULL, kept) in a worker, then says it is saved
 * or why it was refused. */
static void
set_platform (FfPreferencesWindow *self,
              const char          *url,
              const char          *key_pem,
              const char          *cert_pem,
              const char          *saved_message)
{
  Save *save = g_new0 (Save, 1);

  save->self = self;
  save->saved_message = g_strdup (saved_message);
  set_saving (self, TRUE);
  ff_context_set_platform_async (self->context, url, key_pem, cert_pem, self->cancellable,
                                 platform_saved, save);
}

static void
platform_url_applied (FfPreferencesWindow *self)
{
  set_platform (self, gtk_editable_get_text (GTK_EDITABLE (self->platform_url_row)), NULL, NULL,
                _("Platform address saved."));
}

static char *
buffer_text (GtkTextBuffer *buffer)
{
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
gpsd_address_applied (FfPreferencesWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->gpsd_address_row));
  g_autofree char *host = NULL;
  g_autofree char *port = NULL;
  g_autoptr(GError) error = NULL;

  if (!ff_gpsd_source_parse_address (text, &host, &port, &error))
    {
      show_toast (self, error->message);
      return;
    }
  g_settings_set_string (ff_context_get_settings (self->context), "gpsd-address", text);
  show_toast (self, _("The new gpsd address is used from the next start."));
}

static void
platform_key_save_activated (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  FfPreferencesWindow *self = FF_PREFERENCES_WINDOW (widget);
  g_autofree char *pem = buffer_text (self->platform_key_buffer);

  set_platform (self, NULL, pem, NULL, _("Platform key saved."));
}

static void
platform_certificate_save_activated (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  FfPreferencesWindow *self = FF_PREFERENCES_WINDOW (widget);
  g_autofree char *pem = buffer_text (self->platform_cert_buffer);

  set_platform (self, NULL, NULL, pem, _("Platform certificate saved."));
}

static gboolean
language_to_position (GValue   *value,
                      GVariant *variant,
                      gpointer  user_data)
{
  const char *language = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    if (g_str_equal (languages[i], language))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
position_to_language (const GValue       *value,
                      const GVariantType *expected_type,
                      gpointer            user_data)
{
  guint position = g_value_get_uint (value);

  if (position >= G_N_ELEMENTS (languages))
    return NULL;
  return g_variant_new_string (languages[position]);
}

static void
language_changed (FfPreferencesWindow *self)
{
  show_toast (self, _("The language changes the next time Fieldflash starts."));
}

static void
platform_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  FfPreferencesWindow *self;
  g_autofree char *url = NULL;
  g_autofree char *key = NULL;
  g_autofree char *cert = NULL;
  g_autoptr(GError) error = NULL;

  /* A cancelled read may end after the window is gone: look at it only once it did not. */
  if (!ff_context_read_platform_finish (FF_CONTEXT (source), result, &url, &key, &cert, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (FF_PREFERENCES_WINDOW (user_data), error->message);
      return;
    }
  self = FF_PREFERENCES_WINDOW (user_data);
  gtk_editable_set_text (GTK_EDITABLE (self->platform_url_row), url != NULL ? url : "");
  gtk_text_buffer_set_text (self->platform_key_buffer, key != NULL ? key : "", -1);
  gtk_text_buffer_set_text (self->platform_cert_buffer, cert != NULL ? cert : "", -1);
  gtk_widget_set_sensitive (self->platform_group, TRUE);
}

/* The platform can be changed once what the tablet holds is read (sqlite and files, in a worker
 * thread); the tablet itself may open after the window. In training, or without a data directory,
 * there is no tablet to enrol. */
static void
read_platform (FfPreferencesWindow *self)
{
  if (ff_context_get_tablet (self->context) != NULL)
    ff_context_read_platform_async (self->context, self->cancellable, platform_read, self);
}

static void
ff_preferences_window_constructed (GObject *object)
{
  FfPreferencesWindow *self = FF_PREFERENCES_WINDOW (object);
  GSettings *settings = ff_context_get_settings (self->context);
  g_autofree char *gpsd = g_settings_get_string (settings, "gpsd-address");

  G_OBJECT_CLASS (ff_preferences_window_parent_class)->constructed (object);

  gtk_editable_set_text (GTK_EDITABLE (self->gpsd_address_row), gpsd);
  gtk_widget_set_sensitive (self->platform_group, FALSE);
  g_signal_connect_object (self->context, "notify::tablet", G_CALLBACK (read_platform), self,
                           G_CONNECT_SWAPPED);
  read_platform (self);

  g_settings_bind (settings, "high-contrast", self->high_contrast_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "larger-text", self->larger_text_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (settings, "language", self->language_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, language_to_position,
                                position_to_language, NULL, NULL);
  g_signal_connect_object (settings, "changed::language", G_CALLBACK (language_changed), self,
                           G_CONNECT_SWAPPED);
}

static void
ff_preferences_window_dispose (GObject *object)
{
  FfPreferencesWindow *self = FF_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (ff_preferences_window_parent_class)->dispose (object);
}

static void
ff_preferences_window_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  FfPreferencesWindow *self = FF_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    case PROP_SAVING:
      g_value_set_boolean (value, self->saving);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_preferences_window_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  FfPreferencesWindow *self = FF_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_preferences_window_class_init (FfPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = ff_preferences_window_constructed;
  object_class->dispose = ff_preferences_window_dispose;
  object_class->get_property = ff_preferences_window_get_property;
  object_class->set_property = ff_preferences_window_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, FF_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* TRUE while a platform setting is being written; the platform group waits for it. */
  properties[PROP_SAVING] =
    g_param_spec_boolean ("saving", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/org/fieldflash/Fieldflash/ff-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FfPreferencesWindow, platform_group);
  gtk_widget_class_bind_template_child (widget_class, FfPreferencesWindow, platform_url_row);
  gtk_widget_class_bind_template_child (widget_class, FfPreferencesWindow, platform_key_buffer);
  gtk_widget_class_bind_template_child (widget_class, FfPreferencesWindow, platform_cert_buffer);
  gtk_widget_class_bind_template_child (widget_class, FfPreferencesWindow, gpsd_address_row);
  gtk_widget_class_bind_template_child (widget_class, FfPreferencesWindow, high_contrast_switch);
  gtk_widget_class_bind_template_child (widget_class, FfPreferencesWindow, larger_text_switch);
  gtk_widget_class_bind_template_child (widget_class, FfPreferencesWindow, language_row);
  gtk_widget_class_bind_template_callback (widget_class, platform_url_applied);
  gtk_widget_class_bind_template_callback (widget_class, gpsd_address_applied);

  gtk_widget_class_install_action (widget_class, "preferences.save-platform-key", NULL,
                                   platform_key_save_activated);
  gtk_widget_class_install_action (widget_class, "preferences.save-platform-certificate", NULL,
                                   platform_certificate_save_activated);
}

static void
ff_preferences_window_init (FfPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

FfPreferencesWindow *
ff_preferences_window_new (FfContext *context)
{
  g_return_val_if_fail (FF_IS_CONTEXT (context), NULL);

  return g_object_new (FF_TYPE_PREFERENCES_WINDOW, "context", context, NULL);
}
