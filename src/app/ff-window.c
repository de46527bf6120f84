/* FfWindow: presents one page of the workflow at a time in an AdwLeaflet, keeps the header title in
 * step with the page, runs the terminal's FfWorkflow and follows its state from page to page (so a
 * resumed workflow opens the page of its step), and applies the display preferences. */
#include "config.h"

#include "ff-window.h"

#include <glib/gi18n-lib.h>

#include "ff-after-page.h"
#include "ff-datadir.h"
#include "ff-before-page.h"
#include "ff-connect-page.h"
#include "ff-login-page.h"
#include "ff-navigate-page.h"
#include "ff-push-page.h"
#include "ff-queue-page.h"
#include "ff-report.h"
#include "ff-report-page.h"
#include "ff-restart-page.h"
#include "ff-supervisor-dialog.h"
#include "ff-sync-page.h"
#include "ff-task-page.h"
#include "ff-trainer-cards.h"
#include "ff-training.h"
#include "ff-welcome-page.h"

struct _FfWindow
{
  AdwApplicationWindow parent_instance;

  /* template widgets */
  AdwToastOverlay *toast_overlay;
  GtkLabel        *window_title;
  AdwLeaflet      *leaflet;
  FfLoginPage     *login_page;
  FfSyncPage      *sync_page;
  FfTaskPage      *task_page;
  FfNavigatePage  *navigate_page;
  FfConnectPage   *connect_page;
  FfBeforePage    *before_page;
  FfPushPage      *push_page;
  FfRestartPage   *restart_page;
  FfAfterPage     *after_page;
  FfReportPage    *report_page;
  FfQueuePage     *queue_page;

  /* owned */
  FfContext    *context;
  FfWorkflow   *workflow;
  GCancellable *workflow_cancellable;  /* of the run in progress, NULL when none */
  GCancellable *cancellable;           /* window lifetime */
  gboolean      creating_workflow;
};

G_DEFINE_FINAL_TYPE (FfWindow, ff_window, ADW_TYPE_APPLICATION_WINDOW)

enum
{
  PROP_0,
  PROP_CONTEXT,
  PROP_WORKFLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  const char *name;
  const char *title;
  /* Whether the technician may step back to the page before it without the workflow's say. */
  gboolean    can_go_back;
} FfPageInfo;

/* In leaflet order, which is the order of the job. */
static const FfPageInfo page_infos[] = {
  { "welcome", N_("Fieldflash"), FALSE },
  { "login", N_("Log In"), TRUE },
  { "sync", N_("Sync"), FALSE },
  { "task", N_("Today’s Terminals"), FALSE },
  { "navigate", N_("Navigate"), TRUE },
  { "connect", N_("Connect and Identify"), FALSE },
  { "before", N_("Before the Upgrade"), FALSE },
  { "push", N_("Push Firmware"), FALSE },
  { "restart", N_("Restart and Verify"), FALSE },
  { "after", N_("After the Upgrade"), FALSE },
  { "report", N_("Report"), FALSE },
  { "queue", N_("Upload Queue"), TRUE },
};

static const char *const page_names[] = {
  "welcome", "login", "sync", "task", "navigate", "connect", "before", "push", "restart", "after",
  "report", "queue", NULL
};

G_STATIC_ASSERT (G_N_ELEMENTS (page_infos) + 1 == G_N_ELEMENTS (page_names));

static const FfPageInfo *
find_page_info (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (page_infos); i++)
    if (g_strcmp0 (page_infos[i].name, name) == 0)
      return &page_infos[i];
  return NULL;
}

static void
visible_page_changed (FfWindow *self)
{
  const FfPageInfo *info = find_page_info (ff_window_get_page_name (self));

  gtk_label_set_label (self->window_title, _(info->title));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.back", info->can_go_back);
}

static void
update_style_classes (FfWindow *self)
{
  GSettings *settings = ff_context_get_settings (self->context);
  gboolean high_contrast = g_settings_get_boolean (settings, "high-contrast");
  AdwStyleManager *style_manager = adw_style_manager_get_default ();

  if (high_contrast)
    gtk_widget_add_css_class (GTK_WIDGET (self), "ff-high-contrast");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "ff-high-contrast");

  if (g_settings_get_boolean (settings, "larger-text"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "ff-larger-text");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "ff-larger-text");

  /* Dark surfaces wash out in direct sunlight. */
  adw_style_manager_set_color_scheme (style_manager,
                                      high_contrast ? ADW_COLOR_SCHEME_FORCE_LIGHT
                                                    : ADW_COLOR_SCHEME_DEFAULT);
}

static void
settings_changed (GSettings  *settings,
                  const char *key,
                  FfWindow   *self)
{
  if (g_str_equal (key, "high-contrast") || g_str_equal (key, "larger-text"))
    update_style_classes (self);
}

/* The display switches of the preferences, also as check items of the header menu: in the sun
 * they are needed at once, not three screens deep ("display.high-contrast",
 * "display.larger-text"). */
static void
insert_display_actions (FfWindow *self)
{
  GSettings *settings = ff_context_get_settings (self->context);
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  static const char *const keys[] = { "high-contrast", "larger-text" };

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(GAction) action = g_settings_create_action (settings, keys[i]);

      g_action_map_add_action (G_ACTION_MAP (group), action);
    }
  gtk_widget_insert_action_group (GTK_WIDGET (self), "display", G_ACTION_GROUP (group));
}

const char *
ff_window_page_for_state (FfWorkflowState state)
{
  switch (state)
    {
    case FF_WORKFLOW_STATE_NEW:
    case FF_WORKFLOW_STATE_CONNECT:
    case FF_WORKFLOW_STATE_IDENTIFY:
    case FF_WORKFLOW_STATE_IDENTITY_MISMATCH:
      return "connect";
    /* The readings come before the go-ahead: the page's Continue leads to the push page. */
    case FF_WORKFLOW_STATE_READ_VERSION:
    case FF_WORKFLOW_STATE_SNAPSHOT_BEFORE:
    case FF_WORKFLOW_STATE_CONFIRM:
      return "before";
    case FF_WORKFLOW_STATE_PUSH:
    case FF_WORKFLOW_STATE_RESET:
      return "push";
    case FF_WORKFLOW_STATE_REBOOT_WAIT:
    case FF_WORKFLOW_STATE_VERIFY:
      return "restart";
    case FF_WORKFLOW_STATE_SNAPSHOT_AFTER:
    case FF_WORKFLOW_STATE_FAILED:
      return "after";
    case FF_WORKFLOW_STATE_REPORT:
    case FF_WORKFLOW_STATE_DONE:
      return "report";
    default:
      g_return_val_if_reached ("connect");
    }
}

static void
workflow_state_changed (FfWindow *self)
{
  ff_window_show_page (self, ff_window_page_for_state (ff_workflow_get_state (self->workflow)));
}

/* Upgrading needs a task; only one terminal is upgraded at a time. */
static void
update_session_actions (FfWindow *self)
{
  gboolean have_task = ff_context_get_task (self->context) != NULL;
  gboolean idle = self->workflow_cancellable == NULL && !self->creating_workflow;
  FfTraining *training = ff_context_get_training (self->context);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.navigate-to", have_task && idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.next-terminal", have_task && idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-upgrade", have_task && idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.walk-there", training != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.trainer-cards", training != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-training", training == NULL);
  ff_navigate_page_set_training (self->navigate_page, training != NULL);
#if HAVE_SHUMATE
  {
    /* Offline tiles: the training area's, which the build renders, or where the tablet carries
     * them; the map needs no network. */
    g_autofree char *tiles = training != NULL ? ff_training_get_tile_directory ()
                                              : ff_datadir_file ("tiles", NULL);

    if (g_file_test (tiles, G_FILE_TEST_IS_DIR))
      ff_navigate_page_set_tile_directory (self->navigate_page, tiles);
  }
#endif
}

static void
training_started (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FfWindow) self = user_data;
  g_autoptr(FfTraining) training = NULL;
  g_autoptr(GError) error = NULL;

  training = ff_training_new_finish (result, &error);
  if (training == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ff_window_add_toast (self, adw_toast_new (error->message));
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-training", TRUE);
      return;
    }

  ff_context_set_training (self->context, training);
  ff_window_show_page (self, "task");
}

static void
start_training_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  FfWindow *self = FF_WINDOW (widget);
  const char *scenario = g_variant_get_string (parameter, NULL);

  gtk_widget_action_set_enabled (widget, "win.start-training", FALSE);
  ff_training_new_async (scenario[0] != '\0' ? scenario : NULL, FF_TRAINING_IMAGE_SIZE,
                         self->cancellable, training_started, g_object_ref (self));
}

static void
navigate_to_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  FfWindow *self = FF_WINDOW (widget);
  const FfTask *task = ff_context_get_task (self->context);
  const FfTaskItem *item = ff_task_find_item (task, g_variant_get_string (parameter, NULL));

  g_return_if_fail (item != NULL);
  ff_navigate_page_set_target (self->navigate_page, item);
  ff_window_show_page (self, "navigate");
}

static void
next_terminal_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  FfWindow *self = FF_WINDOW (widget);
  const char *device_id = ff_task_page_get_next_device_id (self->task_page);

  /* The day's list then says that all is done, and offers the upload. */
  if (device_id == NULL)
    {
      ff_window_show_page (self, "task");
      return;
    }
  gtk_widget_activate_action (widget, "win.navigate-to", "s", device_id);
}

static void
walk_there_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  FfWindow *self = FF_WINDOW (widget);
  const char *device_id = ff_navigate_page_get_target_device_id (self->navigate_page);

  if (device_id != NULL)
    ff_training_walk_to (ff_context_get_training (self->context), device_id);
}

static void
visit_reopened (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(FfWindow) self = user_data;
  FfWorkflow *workflow = FF_WORKFLOW (source);
  g_autoptr(GError) error = NULL;

  if (!ff_workflow_reopen_finish (workflow, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ff_window_add_toast (self, adw_toast_new (error->message));
      return;
    }
  if (self->workflow == workflow && self->workflow_cancellable == NULL)
    ff_window_run_workflow (self, workflow);
}

static void
reopen_responded (AdwMessageDialog *dialog,
                  const char       *response,
                  FfWindow         *self)
{
  FfWorkflow *workflow = g_object_get_data (G_OBJECT (dialog), "workflow");
  const char *supervisor = ff_supervisor_dialog_get_supervisor (dialog);

  if (!g_str_equal (response, "reopen") || supervisor == NULL || self->workflow != workflow)
    return;
  ff_workflow_reopen_async (workflow, supervisor, ff_supervisor_dialog_get_pin (dialog),
                            self->cancellable, visit_reopened, g_object_ref (self));
}

static void
offer_reopen (FfWindow   *self,
              FfWorkflow *workflow)
{
  FfReportOutcome outcome = FF_REPORT_OUTCOME_ABORTED;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  ff_report_outcome_from_string (ff_workflow_get_outcome (workflow), &outcome);
  /* Translators: %s is the terminal's device ID, then how its visit ended ("Upgrade failed"). */
  body = g_strdup_printf (_("The visit of %s in this task is finished: %s. Its report is kept. A "
                            "supervisor of the task may reopen it for a new visit, whose report "
                            "will follow this one."),
                          ff_workflow_get_device_id (workflow),
                          ff_report_outcome_describe (outcome));
  dialog = ff_supervisor_dialog_new (GTK_WINDOW (self), ff_workflow_get_task (workflow),
                                     _("Visit Already Finished"), body, "reopen",
                                     _("_Reopen Visit"), FALSE, NULL);
  adw_message_dialog_set_response_label (dialog, "cancel", _("_Show the Report"));
  g_object_set_data_full (G_OBJECT (dialog), "workflow", g_object_ref (workflow),
                          g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (reopen_responded), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
workflow_created (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FfWindow) self = user_data;
  g_autoptr(FfWorkflow) workflow = NULL;
  g_autoptr(GError) error = NULL;

  workflow = ff_context_create_workflow_finish (FF_CONTEXT (source), result, &error);
  self->creating_workflow = FALSE;
  if (workflow == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ff_window_add_toast (self, adw_toast_new (error->message));
      update_session_actions (self);
      return;
    }
  ff_window_run_workflow (self, workflow);
  /* A finished visit shows its report, and says so: a supervisor may reopen it. */
  if (ff_workflow_get_state (workflow) == FF_WORKFLOW_STATE_DONE
      && ff_workflow_get_task (workflow)->supervisors->len > 0)
    offer_reopen (self, workflow);
}

static void
start_upgrade_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  FfWindow *self = FF_WINDOW (widget);
  const char *device_id = ff_navigate_page_get_target_device_id (self->navigate_page);

  if (device_id == NULL)
    return;

  self->creating_workflow = TRUE;
  update_session_actions (self);
  ff_context_create_workflow_async (self->context, device_id, self->cancellable, workflow_created,
                                    g_object_ref (self));
}

static void
trainer_cards_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  FfWindow *self = FF_WINDOW (widget);

  ff_trainer_cards_present (GTK_WINDOW (self), ff_context_get_training (self->context));
}

/* After a stop, the workflow's own account of what the terminal is left with. */
static void
present_stopped (FfWindow   *self,
                 FfWorkflow *workflow)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Upgrade Stopped"),
                                              ff_workflow_get_message (workflow));

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_OK"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
workflow_run_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FfWindow) self = user_data;
  FfWorkflow *workflow = FF_WORKFLOW (source);
  g_autoptr(GError) error = NULL;

  if (!ff_workflow_run_finish (workflow, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Back where the technician starts again; a window that is closing tells nobody. */
          ff_window_show_page (self, "navigate");
          if (self->cancellable != NULL)
            present_stopped (self, workflow);
        }
      else
        {
          ff_window_add_toast (self, adw_toast_new (error->message));
        }
    }

  if (self->workflow == workflow)
    {
      g_clear_object (&self->workflow_cancellable);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-upgrade", FALSE);
      update_session_actions (self);
    }
  ff_task_page_refresh (self->task_page);
}

static void
cancel_upgrade_responded (AdwMessageDialog *dialog,
                          const char       *response,
                          FfWindow         *self)
{
  if (g_str_equal (response, "stop") && self->workflow_cancellable != NULL)
    g_cancellable_cancel (self->workflow_cancellable);
}

static void
cancel_upgrade_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  FfWindow *self = FF_WINDOW (widget);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Stop the Upgrade?"),
                                   _("The tablet stops safely, then tells you what state the "
                                     "terminal is left in."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "continue", _("_Continue"),
                                    "stop", _("_Stop"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "stop",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "continue");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "continue");
  g_signal_connect_object (dialog, "response", G_CALLBACK (cancel_upgrade_responded), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
toast_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ff_window_add_toast (FF_WINDOW (widget),
                       adw_toast_new (g_variant_get_string (parameter, NULL)));
}

static void
logged_in (FfWindow *self)
{
  ff_window_show_page (self, "sync");
}

static void
current_task_loaded (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FfWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ff_context_load_task_finish (FF_CONTEXT (source), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    ff_window_add_toast (self, adw_toast_new (error->message));
}

/* At startup on the real tablet: a visit that a crash or a flat battery interrupted opens at the
 * page of its step and goes on; otherwise the task synced last is the one to work on. */
static void
resumable_found (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FfWindow) self = user_data;
  g_autoptr(FfWorkflow) workflow = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  workflow = ff_context_find_resumable_finish (FF_CONTEXT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (workflow == NULL)
    {
      if (error != NULL)
        ff_window_add_toast (self, adw_toast_new (error->message));
      ff_context_load_task_async (self->context, self->cancellable, current_task_loaded,
                                  g_object_ref (self));
      return;
    }
  /* Translators: the terminal whose interrupted upgrade goes on. */
  message = g_strdup_printf (_("Resuming the visit of %s"), ff_workflow_get_device_id (workflow));
  ff_window_add_toast (self, adw_toast_new (message));
  ff_navigate_page_set_target (self->navigate_page, ff_workflow_get_item (workflow));
  ff_window_run_workflow (self, workflow);
}

/* The real tablet could not be opened, most often because another program (fieldflash-cli, a
 * second app) has it: the technician reads which, until they dismiss it. */
static void
tablet_error_changed (FfWindow *self)
{
  const char *message = ff_context_get_tablet_error (self->context);
  AdwToast *toast;

  if (message == NULL)
    return;
  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 0);
  ff_window_add_toast (self, toast);
}

/* The real tablet opens off the main thread, maybe after the window is made: its unfinished visit
 * (or else its current task) is looked for once it is there. */
static void
tablet_opened (FfWindow *self)
{
  if (ff_context_get_tablet (self->context) != NULL)
    ff_context_find_resumable_async (self->context, self->cancellable, resumable_found,
                                     g_object_ref (self));
}

static void
show_page_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ff_window_show_page (FF_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

/* A report the queue lists, shown read-only on the Report page. */
static void
open_report_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  FfWindow *self = FF_WINDOW (widget);

  ff_report_page_open_report (self->report_page, g_variant_get_string (parameter, NULL));
  ff_window_show_page (self, "report");
}

static void
back_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  FfWindow *self = FF_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
ff_window_constructed (GObject *object)
{
  FfWindow *self = FF_WINDOW (object);

  G_OBJECT_CLASS (ff_window_parent_class)->constructed (object);

  ff_login_page_set_context (self->login_page, self->context);
  ff_sync_page_set_context (self->sync_page, self->context);
  g_signal_connect_object (self->login_page, "logged-in", G_CALLBACK (logged_in), self,
                           G_CONNECT_SWAPPED);
  ff_task_page_set_context (self->task_page, self->context);
  ff_queue_page_set_context (self->queue_page, self->context);
  ff_report_page_set_context (self->report_page, self->context);
  g_signal_connect_object (self->context, "notify::training", G_CALLBACK (update_session_actions),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "notify::task-id", G_CALLBACK (update_session_actions),
                           self, G_CONNECT_SWAPPED);
  update_session_actions (self);
  g_object_bind_property (self->context, "gps", self->navigate_page, "gps", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "workflow", self->connect_page, "workflow", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "workflow", self->before_page, "workflow", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "workflow", self->push_page, "workflow", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "workflow", self->restart_page, "workflow", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "workflow", self->after_page, "workflow", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "workflow", self->report_page, "workflow", G_BINDING_SYNC_CREATE);
  g_signal_connect_object (ff_context_get_settings (self->context), "changed",
                           G_CALLBACK (settings_changed), self, 0);
  insert_display_actions (self);
  update_style_classes (self);
  visible_page_changed (self);
  g_signal_connect_object (self->context, "notify::tablet", G_CALLBACK (tablet_opened), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "notify::tablet-error",
                           G_CALLBACK (tablet_error_changed), self, G_CONNECT_SWAPPED);
  tablet_opened (self);
  tablet_error_changed (self);
}

static void
ff_window_dispose (GObject *object)
{
  FfWindow *self = FF_WINDOW (object);

  /* Runs hold a reference on the window until they complete: stop them. */
  if (self->workflow_cancellable != NULL)
    g_cancellable_cancel (self->workflow_cancellable);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->workflow != NULL)
    g_signal_handlers_disconnect_by_data (self->workflow, self);
  g_clear_object (&self->workflow);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (ff_window_parent_class)->dispose (object);
}

static void
ff_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  FfWindow *self = FF_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    case PROP_WORKFLOW:
      g_value_set_object (value, self->workflow);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  FfWindow *self = FF_WINDOW (object);

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
ff_window_class_init (FfWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = ff_window_constructed;
  object_class->dispose = ff_window_dispose;
  object_class->get_property = ff_window_get_property;
  object_class->set_property = ff_window_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, FF_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WORKFLOW] =
    g_param_spec_object ("workflow", NULL, NULL, FF_TYPE_WORKFLOW,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (FF_TYPE_WELCOME_PAGE);
  g_type_ensure (FF_TYPE_LOGIN_PAGE);
  g_type_ensure (FF_TYPE_SYNC_PAGE);
  g_type_ensure (FF_TYPE_TASK_PAGE);
  g_type_ensure (FF_TYPE_NAVIGATE_PAGE);
  g_type_ensure (FF_TYPE_CONNECT_PAGE);
  g_type_ensure (FF_TYPE_BEFORE_PAGE);
  g_type_ensure (FF_TYPE_PUSH_PAGE);
  g_type_ensure (FF_TYPE_RESTART_PAGE);
  g_type_ensure (FF_TYPE_AFTER_PAGE);
  g_type_ensure (FF_TYPE_REPORT_PAGE);
  g_type_ensure (FF_TYPE_QUEUE_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FfWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, login_page);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, sync_page);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, task_page);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, navigate_page);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, connect_page);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, before_page);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, push_page);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, restart_page);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, after_page);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, report_page);
  gtk_widget_class_bind_template_child (widget_class, FfWindow, queue_page);
  gtk_widget_class_bind_template_callback (widget_class, visible_page_changed);

  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_activated);
  gtk_widget_class_install_action (widget_class, "win.open-report", "s", open_report_activated);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_activated);
  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_activated);
  gtk_widget_class_install_action (widget_class, "win.cancel-upgrade", NULL,
                                   cancel_upgrade_activated);
  gtk_widget_class_install_action (widget_class, "win.start-training", "s",
                                   start_training_activated);
  gtk_widget_class_install_action (widget_class, "win.navigate-to", "s", navigate_to_activated);
  gtk_widget_class_install_action (widget_class, "win.next-terminal", NULL,
                                   next_terminal_activated);
  gtk_widget_class_install_action (widget_class, "win.walk-there", NULL, walk_there_activated);
  gtk_widget_class_install_action (widget_class, "win.trainer-cards", NULL,
                                   trainer_cards_activated);
  gtk_widget_class_install_action (widget_class, "win.start-upgrade", NULL,
                                   start_upgrade_activated);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "win.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Back, 0, "win.back", NULL);
}

static void
ff_window_init (FfWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-upgrade", FALSE);
}

FfWindow *
ff_window_new (FfApplication *application,
               FfContext     *context)
{
  return g_object_new (FF_TYPE_WINDOW, "application", application, "context", context, NULL);
}

FfContext *
ff_window_get_context (FfWindow *self)
{
  g_return_val_if_fail (FF_IS_WINDOW (self), NULL);

  return self->context;
}

const char *
ff_window_get_page_name (FfWindow *self)
{
  g_return_val_if_fail (FF_IS_WINDOW (self), NULL);

  return adw_leaflet_get_visible_child_name (self->leaflet);
}

/* Returns FALSE, changing nothing, for a name that is not a page. */
gboolean
ff_window_show_page (FfWindow   *self,
                     const char *name)
{
  g_return_val_if_fail (FF_IS_WINDOW (self), FALSE);

  if (find_page_info (name) == NULL)
    return FALSE;

  adw_leaflet_set_visible_child_name (self->leaflet, name);
  return TRUE;
}

GtkWidget *
ff_window_get_page (FfWindow   *self,
                    const char *name)
{
  g_return_val_if_fail (FF_IS_WINDOW (self), NULL);

  return adw_leaflet_get_child_by_name (self->leaflet, name);
}

const char *const *
ff_window_list_page_names (void)
{
  return page_names;
}

void
ff_window_add_toast (FfWindow *self,
                     AdwToast *toast)
{
  g_return_if_fail (FF_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

FfWorkflow *
ff_window_get_workflow (FfWindow *self)
{
  g_return_val_if_fail (FF_IS_WINDOW (self), NULL);

  return self->workflow;
}

/* Presents @workflow on the workflow pages, opens the page of the step it is at (a resumed
 * workflow continues where it stopped) and runs it until its report is saved, or until the
 * technician stops it with "win.cancel-upgrade". */
void
ff_window_run_workflow (FfWindow   *self,
                        FfWorkflow *workflow)
{
  g_return_if_fail (FF_IS_WINDOW (self));
  g_return_if_fail (FF_IS_WORKFLOW (workflow));
  g_return_if_fail (self->workflow_cancellable == NULL);

  if (self->workflow != NULL)
    g_signal_handlers_disconnect_by_data (self->workflow, self);
  g_set_object (&self->workflow, workflow);
  g_signal_connect_object (workflow, "notify::state", G_CALLBACK (workflow_state_changed), self,
                           G_CONNECT_SWAPPED);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
  workflow_state_changed (self);

  self->workflow_cancellable = g_cancellable_new ();
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-upgrade", TRUE);
  update_session_actions (self);
  ff_workflow_run_async (workflow, self->workflow_cancellable, workflow_run_done,
                         g_object_ref (self));
}
