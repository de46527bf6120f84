/* FfLoginPage: shows which tablet this is and whether its platform answers, checks the mobile
 * number as it is typed, offers the last technician's number, and logs in with the tablet's
 * platform client ("log-in" performs it; "logged-in" follows a login the platform accepted). The
 * reachability check and the login each show that they run and can be cancelled. */
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
  GtkLabel            *error_label;
  AdwActionRow        *serial_row;
  AdwActionRow        *platform_row;
  AdwActionRow        *reachability_row;
  GtkSpinner          *check_spinner;
  GtkWidget           *check_button;
  GtkWidget           *cancel_check_button;
  GtkWidget           *log_in_button;
  GtkWidget           *logging_in_box;

  /* owned */
  FfContext    *context;
  GCancellable *read_cancellable;    /* of the platform's settings being read, NULL when none */
  GCancellable *check_cancellable;   /* of the health check in flight, NULL when none */
  GCancellable *login_cancellable;   /* of the login in flight, NULL when none */
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
  SIGNAL_LOGGED_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
update_log_in_action (FfLoginPage *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "login.log-in",
                                 ff_login_page_get_complete (self)
                                 && self->login_cancellable == NULL);
}

/* While a login runs, its progress and Cancel take the place of the Log In button. Whatever ran
 * before is cancelled. */
static void
set_logging_in (FfLoginPage *self,
                gboolean     logging_in)
{
  g_cancellable_cancel (self->login_cancellable);
  g_clear_object (&self->login_cancellable);
  if (logging_in)
    self->login_cancellable = g_cancellable_new ();
  gtk_widget_set_visible (self->log_in_button, !logging_in);
  gtk_widget_set_visible (self->logging_in_box, logging_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "login.cancel", logging_in);
  update_log_in_action (self);
}

static void
show_error (FfLoginPage *self,
            const char  *message)
{
  gtk_label_set_label (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
credentials_changed (FfLoginPage *self)
{
  const char *phone = ff_login_page_get_phone (self);
  gboolean phone_wrong = strlen (phone) >= 11 && !ff_phone_is_valid (phone);

  if (phone_wrong)
    gtk_widget_add_css_class (GTK_WIDGET (self->phone_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->phone_row), "error");

  update_log_in_action (self);
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
logged_in (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  FfLoginPage *self;
  g_autoptr(GError) error = NULL;

  /* Cancelled by the technician (the page is idle again) or because the page went. */
  if (!ff_sync_login_finish (FF_SYNC (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_LOGIN_PAGE (user_data);
  set_logging_in (self, FALSE);
  if (error != NULL)
    {
      show_error (self, error->message);
      gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", _("Login failed"));
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->pin_row), "");
  g_settings_set_string (ff_context_get_settings (self->context), "phone",
                         ff_login_page_get_phone (self));
  g_signal_emit (self, signals[SIGNAL_LOGGED_IN], 0);
}

typedef struct
{
  FfLoginPage *self;   /* not a reference: the page cancels the login when it goes */
  char        *phone;
  char        *pin;
} LoginRequest;

static void
login_request_free (LoginRequest *request)
{
  g_free (request->phone);
  g_free (request->pin);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoginRequest, login_request_free)

static void
sync_ready_for_login (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(LoginRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = ff_context_get_sync_finish (FF_CONTEXT (source), result, &error);
  FfLoginPage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = request->self;
  if (sync == NULL)
    {
      set_logging_in (self, FALSE);
      show_error (self, error->message);
      return;
    }
  ff_sync_login_async (sync, request->phone, request->pin,
                       ff_tablet_get_serial (ff_context_get_tablet (self->context)),
                       self->login_cancellable, logged_in, self);
}

static void
ff_login_page_real_log_in (FfLoginPage *self,
                           const char  *phone,
                           const char  *pin)
{
  LoginRequest *request;

  if (self->context == NULL)
    {
      show_error (self, NULL);
      return;
    }
  show_error (self, NULL);
  set_logging_in (self, TRUE);
  request = g_new0 (LoginRequest, 1);
  request->self = self;
  request->phone = g_strdup (phone);
  request->pin = g_strdup (pin);
  ff_context_get_sync_async (self->context, self->login_cancellable, sync_ready_for_login, request);
}

static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  set_logging_in (FF_LOGIN_PAGE (widget), FALSE);
  gtk_widget_activate_action (widget, "win.toast", "s", _("Login cancelled"));
}

/* While a check runs, a spinner and its Cancel take the place of Check Again. Whatever ran before
 * is cancelled. */
static void
set_checking (FfLoginPage *self,
              gboolean     checking)
{
  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  if (checking)
    self->check_cancellable = g_cancellable_new ();
  gtk_spinner_set_spinning (self->check_spinner, checking);
  gtk_widget_set_visible (GTK_WIDGET (self->check_spinner), checking);
  gtk_widget_set_visible (self->check_button, !checking);
  gtk_widget_set_visible (self->cancel_check_button, checking);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "login.check-platform", !checking);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "login.cancel-check", checking);
}

static void
health_checked (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  FfLoginPage *self;
  g_autoptr(GError) error = NULL;
  g_autofree char *subtitle = NULL;

  if (!ff_sync_check_health_finish (FF_SYNC (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_LOGIN_PAGE (user_data);
  set_checking (self, FALSE);
  if (error == NULL)
    subtitle = g_strdup (_("Reachable"));
  else
    /* Translators: why the platform could not be reached. */
    subtitle = g_strdup_printf (_("Not reachable: %s"), error->message);
  adw_action_row_set_subtitle (self->reachability_row, subtitle);
}

static void
sync_ready_for_check (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = ff_context_get_sync_finish (FF_CONTEXT (source), result, &error);
  FfLoginPage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_LOGIN_PAGE (user_data);
  if (sync == NULL)
    {
      set_checking (self, FALSE);
      adw_action_row_set_subtitle (self->reachability_row, error->message);
      return;
    }
  ff_sync_check_health_async (sync, self->check_cancellable, health_checked, self);
}

/* Asks the pinned platform whether it is there (GET /healthz), without a session. */
static void
check_platform (FfLoginPage *self)
{
  adw_action_row_set_subtitle (self->reachability_row, _("Checking…"));
  set_checking (self, TRUE);
  ff_context_get_sync_async (self->context, self->check_cancellable, sync_ready_for_check, self);
}

static void
check_platform_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  FfLoginPage *self = FF_LOGIN_PAGE (widget);

  if (self->context != NULL)
    check_platform (self);
}

static void
cancel_check_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  FfLoginPage *self = FF_LOGIN_PAGE (widget);

  set_checking (self, FALSE);
  adw_action_row_set_subtitle (self->reachability_row, _("Check cancelled"));
}

static void
ff_login_page_dispose (GObject *object)
{
  FfLoginPage *self = FF_LOGIN_PAGE (object);

  g_cancellable_cancel (self->read_cancellable);
  g_cancellable_cancel (self->check_cancellable);
  g_cancellable_cancel (self->login_cancellable);
  g_clear_object (&self->read_cancellable);
  g_clear_object (&self->check_cancellable);
  g_clear_object (&self->login_cancellable);
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

  /* Emitted with (phone, PIN) when the technician asks to log in; the page's own handler logs in
   * with the tablet's platform client. */
  signals[SIGNAL_LOG_IN] =
    g_signal_new_class_handler ("log-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                G_CALLBACK (ff_login_page_real_log_in), NULL, NULL, NULL,
                                G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /* The platform accepted the login: the session is stored, sync can start. */
  signals[SIGNAL_LOGGED_IN] =
    g_signal_new ("logged-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-login-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, phone_row);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, pin_row);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, serial_row);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, platform_row);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, reachability_row);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, check_spinner);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, check_button);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, cancel_check_button);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, log_in_button);
  gtk_widget_class_bind_template_child (widget_class, FfLoginPage, logging_in_box);
  gtk_widget_class_bind_template_callback (widget_class, credentials_changed);

  gtk_widget_class_install_action (widget_class, "login.log-in", NULL, log_in_activated);
  gtk_widget_class_install_action (widget_class, "login.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "login.check-platform", NULL,
                                   check_platform_activated);
  gtk_widget_class_install_action (widget_class, "login.cancel-check", NULL,
                                   cancel_check_activated);
}

static void
ff_login_page_init (FfLoginPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "login.log-in", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "login.cancel", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "login.cancel-check", FALSE);
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

static void
platform_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  FfLoginPage *self;
  g_autofree char *url = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *cert_pem = NULL;
  g_autoptr(GError) error = NULL;

  if (!ff_context_read_platform_finish (FF_CONTEXT (source), result, &url, &key_pem, &cert_pem,
                                        &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_LOGIN_PAGE (user_data);
  g_clear_object (&self->read_cancellable);
  adw_action_row_set_subtitle (self->platform_row,
                               error != NULL ? error->message
                               : url != NULL ? url
                               : _("Not enrolled: set it in the preferences"));
  check_platform (self);
}

/* Which tablet this is and which platform it is enrolled with (read in a worker thread); the real
 * tablet may open after the page is shown. */
static void
show_tablet (FfLoginPage *self)
{
  FfTablet *tablet = ff_context_get_tablet (self->context);
  const char *tablet_error = ff_context_get_tablet_error (self->context);

  if (tablet == NULL && tablet_error != NULL)
    adw_action_row_set_subtitle (self->serial_row, tablet_error);
  else
    adw_action_row_set_subtitle (self->serial_row,
                                 tablet != NULL && ff_tablet_get_serial (tablet) != NULL
                                 ? ff_tablet_get_serial (tablet)
                                 : _("Not set: give it once with “fieldflash-cli key --serial "
                                     "SERIAL”"));
  g_cancellable_cancel (self->read_cancellable);
  g_clear_object (&self->read_cancellable);
  if (tablet == NULL)
    {
      adw_action_row_set_subtitle (self->platform_row,
                                   _("Not enrolled: set it in the preferences"));
      return;
    }
  adw_action_row_set_subtitle (self->platform_row, _("Reading…"));
  self->read_cancellable = g_cancellable_new ();
  ff_context_read_platform_async (self->context, self->read_cancellable, platform_read, self);
}

/* Shows the tablet's serial and platform, checks that the platform answers, and fills in the last
 * technician's number. */
void
ff_login_page_set_context (FfLoginPage *self,
                           FfContext   *context)
{
  g_autofree char *phone = NULL;

  g_return_if_fail (FF_IS_LOGIN_PAGE (self));
  g_return_if_fail (FF_IS_CONTEXT (context));

  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_set_object (&self->context, context);
  g_signal_connect_object (context, "notify::tablet-error", G_CALLBACK (show_tablet), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (context, "notify::tablet", G_CALLBACK (show_tablet), self,
                           G_CONNECT_SWAPPED);
  show_tablet (self);

  phone = g_settings_get_string (ff_context_get_settings (context), "phone");
  if (gtk_editable_get_text (GTK_EDITABLE (self->phone_row))[0] == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->phone_row), phone);
}
