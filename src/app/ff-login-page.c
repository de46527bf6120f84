/* FfLoginPage: checks the mobile number as it is typed, offers the last technician's number, and
 * emits "log-in" with the credentials once they are complete. */
#include "config.h"

#include "ff-login-page.h"

#include <glib/gi18n-lib.h>

#include "ff-document.h"

struct _FfLoginPage
{
  AdwBin parent_instance;

  /* template widgets */
  AdwEntryRow         *phone_row;
  AdwPasswordEntryRow *pin_row;
  AdwActionRow        *platform_row;

  /* owned */
  FfContext *context;
};

G_DEFINE_FINAL_TYPE (FfLoginPage, ff_login_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_COMPLETE,
  N_PROPS
};

enum
{
  SIGNAL_LOG_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
credentials_changed (FfLoginPage *self)
{
  const char *phone = ff_login_page_get_phone (self);
  gboolean phone_wrong = strlen (phone) >= 11 && !ff_phone_is_valid (phone);

  if (phone_wrong)
    gtk_widget_add_css_class (GTK_WIDGET (self->phone_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->phone_row), "error");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "login.log-in",
                                 ff_login_page_get_complete (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
}

static void
log_in_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  FfLoginPage *self = FF_LOGIN_PAGE (widget);

  g_signal_emit (self, signals[SIGNAL_LOG_IN], 0,
                 ff_login_page_get_phone (self), ff_login_page_get_pin (self));
}

static void
ff_login_page_dispose (GObject *object)
{
  FfLoginPage *self = FF_LOGIN_PAGE (object);

  g_clear_object (&self->context);

  G_OBJECT_CLASS (ff_login_page_parent_class)->dispose (object);
}

static void
ff_login_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  FfLoginPage *self = FF_LOGIN_PAGE (object);

  switch (prop_id)
    {
    case PROP_COMPLETE:
      g_value_set_boolean (value, ff_login_page_get_complete (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_login_page_class_init (FfLoginPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_login_page_dispose;
  object_class->get_property = ff_login_page_get_property;

  properties[PROP_COMPLETE] =
    g_param_spec_boolean ("complete", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Emitted with (phone, PIN) when the technician asks to log in; the owner of the platform
   * session performs the login. */
  signals[SIGNAL_LOG_IN] =
    g_signal_new ("log-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-login-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, phone_row);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, pin_row);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, platform_row);
  gtk_widget_class_bind_template_callback (widget_class, credentials_changed);

  gtk_widget_class_install_action (widget_class, "login.log-in", NULL, log_in_activated);
}

static void
ff_login_page_init (FfLoginPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "login.log-in", FALSE);
}

const char *
ff_login_page_get_phone (FfLoginPage *self)
{
  g_return_val_if_fail (FF_IS_LOGIN_PAGE (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->phone_row));
}

const char *
ff_login_page_get_pin (FfLoginPage *self)
{
  g_return_val_if_fail (FF_IS_LOGIN_PAGE (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->pin_row));
}

gboolean
ff_login_page_get_complete (FfLoginPage *self)
{
  g_return_val_if_fail (FF_IS_LOGIN_PAGE (self), FALSE);

  return ff_phone_is_valid (ff_login_page_get_phone (self))
         && ff_login_page_get_pin (self)[0] != '\0';
}

/* Shows the platform from the preferences and fills in the last technician's number. */
void
ff_login_page_set_context (FfLoginPage *self,
                           FfContext   *context)
{
  GSettings *settings;
  g_autofree char *phone = NULL;

  g_return_if_fail (FF_IS_LOGIN_PAGE (self));
  g_return_if_fail (FF_IS_CONTEXT (context));

  g_set_object (&self->context, context);
  settings = ff_context_get_settings (context);
  g_settings_bind (settings, "platform-url", self->platform_row, "subtitle",
                   G_SETTINGS_BIND_GET | G_SETTINGS_BIND_NO_SENSITIVITY);

  phone = g_settings_get_string (settings, "phone");
  if (gtk_editable_get_text (GTK_EDITABLE (self->phone_row))[0] == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->phone_row), phone);
}
