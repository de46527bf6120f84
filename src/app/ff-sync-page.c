/* FfSyncPage: one Sync does what the tablet needs from the platform: it uploads the queued reports
 * (FfUploadQueue), then fetches the technician's tasks and their firmware (FfSync), showing each
 * download in its own row with its size and progress, each task stored or refused with the reason,
 * and finally the task to work on as the tablet holds it: its signature and every firmware file
 * checked again (FfTaskCheck), which is also what the page shows between syncs. Everything can be
 * cancelled; a cancelled download resumes. */
#include "config.h"

#include "ff-sync-page.h"

#include <glib/gi18n-lib.h>

#include "ff-task-check.h"
#include "ff-upload-progress.h"
#include "ff-upload-queue.h"

struct _FfSyncPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack       *stack;
  GtkLabel       *status_label;
  GtkWidget      *reports_group;
  AdwActionRow   *reports_row;
  GtkProgressBar *reports_bar;
  GtkWidget      *task_group;
  GtkListBox     *task_list;
  GtkListBox     *firmware_list;
  GtkWidget      *cancel_button;
  GtkWidget      *done_box;

  /* owned */
  FfContext     *context;
  FfSync        *sync;               /* while a sync runs */
  FfUploadQueue *upload_queue;       /* while a sync runs */
  GCancellable  *cancellable;        /* of the sync in flight */
  GCancellable  *check_cancellable;  /* of the check of the task in flight */

  /* borrowed: the row of the download under way */
  AdwActionRow  *download_row;
  GtkProgressBar *download_bar;
};

G_DEFINE_FINAL_TYPE (FfSyncPage, ff_sync_page, ADW_TYPE_BIN)

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static AdwActionRow *
add_row (GtkListBox *list,
         const char *title,
         const char *subtitle,
         gboolean    failed)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  /* Colour and icon both. */
  if (failed)
    {
      gtk_widget_add_css_class (row, "error");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                                 gtk_image_new_from_icon_name ("dialog-error-symbolic"));
    }
  gtk_list_box_append (list, row);
  return ADW_ACTION_ROW (row);
}

/* A firmware row carries its own progress bar. */
static GtkProgressBar *
add_progress (AdwActionRow *row,
              double        fraction)
{
  GtkWidget *bar = gtk_progress_bar_new ();

  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (bar, 96, -1);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (bar), CLAMP (fraction, 0, 1));
  adw_action_row_add_suffix (row, bar);
  return GTK_PROGRESS_BAR (bar);
}

static char *
describe_bytes (gint64 done,
                gint64 total)
{
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *total_text = g_format_size (total);

  /* Translators: firmware bytes on the tablet so far, of the file's size, e.g. "1.2 MB of
   * 4.0 MB". */
  return g_strdup_printf (_("%s of %s"), done_text, total_text);
}

/* A delta patch's name, set apart from the image of the version it makes. */
static char *
describe_patch (const char *from_version,
                const char *version)
{
  /* Translators: a delta patch, by the version it applies to and the one it makes. */
  return g_strdup_printf (_("Delta patch %s → %s"), from_version, version);
}

static void
toast (FfSyncPage *self,
       const char *message)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", message);
}

static void
show_firmware_check (FfSyncPage        *self,
                     const FfTaskCheck *check)
{
  g_autofree char *signature_title = NULL;
  g_autofree char *signature_text = NULL;

  clear_list (self->firmware_list);
  self->download_row = NULL;
  self->download_bar = NULL;

  /* Translators: the title of the row with the verdict on a task's signature. */
  signature_title = g_strdup_printf (_("Signature of %s"), check->task_id);
  signature_text = check->signature_valid
                   ? g_strdup (_("Valid: signed with the platform key pinned on this tablet"))
                   : g_strdup_printf (_("Not valid: %s"), check->signature_problem);
  add_row (self->firmware_list, signature_title, signature_text, !check->signature_valid);

  for (guint i = 0; i < check->firmware->len; i++)
    {
      const FfFirmwareCheck *firmware = check->firmware->pdata[i];
      g_autofree char *size = g_format_size (firmware->size);
      g_autofree char *progress = NULL;
      g_autofree char *subtitle = NULL;
      g_autofree char *title = firmware->from_version != NULL
                               ? describe_patch (firmware->from_version, firmware->version)
                               : g_strdup (firmware->version);
      AdwActionRow *row;

      switch (firmware->verdict)
        {
        case FF_FIRMWARE_VERIFIED:
          /* Translators: a firmware file's size, then its verdict. */
          subtitle = g_strdup_printf (_("%s · %s"), size, _("SHA-256 verified"));
          break;
        case FF_FIRMWARE_DAMAGED:
          subtitle = g_strdup_printf (_("%s · %s"), size,
                                      _("Damaged: it no longer matches its SHA-256"));
          break;
        case FF_FIRMWARE_MISSING:
        default:
          progress = describe_bytes (firmware->bytes_on_tablet, firmware->size);
          subtitle = g_strdup_printf (_("%s · %s"), progress, _("Not on this tablet yet"));
          break;
        }
      row = add_row (self->firmware_list, title, subtitle,
                     firmware->verdict != FF_FIRMWARE_VERIFIED);
      add_progress (row, firmware->size > 0 ? (double) firmware->bytes_on_tablet / firmware->size
                                            : 1);
    }
}

static void
task_checked (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  FfSyncPage *self;
  g_autoptr(FfTaskCheck) check = NULL;
  g_autoptr(GError) error = NULL;

  /* A cancelled check may end after the page is gone: look at the page only once it did not. */
  check = ff_task_check_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_SYNC_PAGE (user_data);
  g_clear_object (&self->check_cancellable);
  if (check == NULL)
    {
      toast (self, error->message);
      return;
    }
  show_firmware_check (self, check);
}

/* Checks the task to work on as the tablet now holds it. */
/* The task the real tablet holds, if any: training's task is not on the tablet. */
static const FfTask *
tablet_task (FfSyncPage *self)
{
  if (self->context == NULL || ff_context_get_training (self->context) != NULL
      || ff_context_get_tablet (self->context) == NULL)
    return NULL;
  return ff_context_get_task (self->context);
}

static void
check_current_task (FfSyncPage *self)
{
  const FfTask *task = tablet_task (self);

  if (task == NULL)
    return;
  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  self->check_cancellable = g_cancellable_new ();
  ff_task_check_async (ff_context_get_tablet (self->context), task->task_id,
                       self->check_cancellable, task_checked, self);
}

/* Ends the running sync, whatever its result: the page can start another one. */
static void
finish_run (FfSyncPage *self,
            const char *status)
{
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  if (self->upload_queue != NULL)
    g_signal_handlers_disconnect_by_data (self->upload_queue, self);
  g_clear_object (&self->sync);
  g_clear_object (&self->upload_queue);
  g_clear_object (&self->cancellable);
  gtk_label_set_label (self->status_label, status);
  gtk_widget_set_visible (self->cancel_button, FALSE);
  gtk_widget_set_visible (self->done_box, TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.start", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.cancel", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.show-task",
                                 ff_context_get_task (self->context) != NULL);
  check_current_task (self);
}

/* Each firmware file the sync downloads gets a row of its own, named by its version (a delta patch
 * by both of its versions). */
static void
download_started (FfSync     *sync,
                  const char *version,
                  const char *sha256,
                  gint64      size,
                  const char *from_version,
                  FfSyncPage *self)
{
  g_autofree char *title = NULL;

  /* Translators: a firmware file being downloaded, by its version. */
  title = from_version != NULL ? describe_patch (from_version, version)
                               : g_strdup_printf (_("Firmware %s"), version);
  self->download_row = add_row (self->firmware_list, title, NULL, FALSE);
  self->download_bar = add_progress (self->download_row, 0);
}

/* The bytes of the file under way, on its row. */
static void
download_progressed (FfSyncPage *self)
{
  gint64 downloaded, total;
  g_autofree char *subtitle = NULL;

  g_object_get (self->sync, "downloaded-bytes", &downloaded, "total-bytes", &total, NULL);
  if (total <= 0 || self->download_row == NULL)
    return;
  subtitle = describe_bytes (downloaded, total);
  adw_action_row_set_subtitle (self->download_row, subtitle);
  gtk_progress_bar_set_fraction (self->download_bar, CLAMP ((double) downloaded / total, 0, 1));
}

static void
task_refused (FfSync     *sync,
              const char *task_id,
              const char *reason,
              FfSyncPage *self)
{
  /* Translators: why the tablet did not keep a task (the row's title is the task's ID). */
  g_autofree char *subtitle = g_strdup_printf (_("Refused: %s"), reason);

  add_row (self->task_list, task_id, subtitle, TRUE);
}

static void
task_loaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  FfSyncPage *self;
  g_autoptr(GError) error = NULL;

  if (!ff_context_load_task_finish (FF_CONTEXT (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_SYNC_PAGE (user_data);
  if (error != NULL)
    {
      finish_run (self, error->message);
      return;
    }
  finish_run (self, ff_context_get_task (self->context) != NULL
                    ? _("Synced: the reports are uploaded, the task and its firmware are on this "
                        "tablet.")
                    : _("Synced: the reports are uploaded; there is no task for this technician "
                        "and tablet."));
}

static void
tasks_fetched (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  FfSyncPage *self;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) stored = ff_sync_fetch_tasks_finish (FF_SYNC (source), result, &error);

  /* Cancelled by the technician (the page is already idle again) or because the page went. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_SYNC_PAGE (user_data);
  if (stored == NULL)
    {
      toast (self, _("Sync failed"));
      finish_run (self, error->message);
      return;
    }
  for (guint i = 0; stored[i] != NULL; i++)
    add_row (self->task_list, stored[i], _("Stored: signature and firmware verified"), FALSE);
  ff_context_load_task_async (self->context, self->cancellable, task_loaded, self);
}

static void
fetch_tasks (FfSyncPage *self)
{
  gtk_label_set_label (self->status_label, _("Fetching tasks and firmware…"));
  /* FfSync sets the total before the count: the count's notification sees both. */
  g_signal_connect_swapped (self->sync, "notify::downloaded-bytes",
                            G_CALLBACK (download_progressed), self);
  g_signal_connect (self->sync, "task-refused", G_CALLBACK (task_refused), self);
  g_signal_connect (self->sync, "download-started", G_CALLBACK (download_started), self);
  ff_sync_fetch_tasks_async (self->sync, self->cancellable, tasks_fetched, self);
}

static void
show_upload_progress (FfSyncPage *self)
{
  double fraction;
  g_autofree char *text = ff_upload_progress_describe (self->upload_queue, &fraction);

  adw_action_row_set_subtitle (self->reports_row, text);
  gtk_progress_bar_set_fraction (self->reports_bar, fraction);
}

static void
report_refused (FfUploadQueue *queue,
                const char    *report_id,
                const char    *message,
                FfSyncPage    *self)
{
  g_autofree char *text = ff_upload_progress_refusal (report_id, message);

  toast (self, text);
}

static void
reports_uploaded (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FfSyncPage *self;
  g_autoptr(GError) error = NULL;

  if (!ff_upload_queue_flush_finish (FF_UPLOAD_QUEUE (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_SYNC_PAGE (user_data);
  show_upload_progress (self);
  if (error != NULL)
    {
      toast (self, _("Sync failed"));
      finish_run (self, error->message);
      return;
    }
  fetch_tasks (self);
}

/* The platform client is there: upload the queue first, then fetch (reports_uploaded). */
static void
sync_ready (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = ff_context_get_sync_finish (FF_CONTEXT (source), result, &error);
  FfSyncPage *self;

  /* Cancelled by the technician (the page is already idle again) or because the page went. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_SYNC_PAGE (user_data);
  if (sync == NULL)
    {
      toast (self, _("Sync failed"));
      finish_run (self, error->message);
      return;
    }
  self->sync = g_object_ref (sync);
  self->upload_queue = ff_upload_queue_new (ff_context_get_store (self->context), sync);
  g_signal_connect_swapped (self->upload_queue, "notify::delivered",
                            G_CALLBACK (show_upload_progress), self);
  g_signal_connect_swapped (self->upload_queue, "notify::pending",
                            G_CALLBACK (show_upload_progress), self);
  g_signal_connect (self->upload_queue, "report-failed", G_CALLBACK (report_refused), self);
  gtk_label_set_label (self->status_label, _("Uploading the reports…"));
  ff_upload_queue_flush_async (self->upload_queue, FF_UPLOAD_ATTEMPTS, FF_UPLOAD_FIRST_PAUSE_MS,
                               self->cancellable, reports_uploaded, self);
}

static void
start_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  FfSyncPage *self = FF_SYNC_PAGE (widget);

  if (self->context == NULL)
    {
      toast (self, _("This tablet cannot sync."));
      return;
    }
  g_cancellable_cancel (self->check_cancellable);
  self->cancellable = g_cancellable_new ();

  clear_list (self->task_list);
  clear_list (self->firmware_list);
  gtk_widget_set_visible (self->reports_group, TRUE);
  gtk_widget_set_visible (self->task_group, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->task_list), TRUE);
  self->download_row = NULL;
  self->download_bar = NULL;
  adw_action_row_set_subtitle (self->reports_row, _("Uploading…"));
  gtk_progress_bar_set_fraction (self->reports_bar, 0);
  gtk_label_set_label (self->status_label, _("Uploading the reports…"));
  gtk_widget_set_visible (self->cancel_button, TRUE);
  gtk_widget_set_visible (self->done_box, FALSE);
  gtk_widget_action_set_enabled (widget, "sync.start", FALSE);
  gtk_widget_action_set_enabled (widget, "sync.cancel", TRUE);
  gtk_stack_set_visible_child_name (self->stack, "progress");
  ff_context_get_sync_async (self->context, self->cancellable, sync_ready, self);
}

static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  FfSyncPage *self = FF_SYNC_PAGE (widget);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  finish_run (self, _("Sync cancelled. Reports not yet uploaded stay queued; firmware already "
                      "downloaded is kept and resumed next time."));
}

static void
show_task_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  gtk_widget_activate_action (widget, "win.show-page", "s", "task");
}

/* Between syncs the page shows what the tablet holds now: the task to work on, checked again. */
static void
ff_sync_page_map (GtkWidget *widget)
{
  FfSyncPage *self = FF_SYNC_PAGE (widget);
  const FfTask *task = tablet_task (self);
  g_autofree char *status = NULL;

  GTK_WIDGET_CLASS (ff_sync_page_parent_class)->map (widget);

  if (self->cancellable != NULL || task == NULL)
    return;
  if (g_str_equal (gtk_stack_get_visible_child_name (self->stack), "idle"))
    {
      /* Nothing was synced since the app started: there is no upload or fetch to show. */
      /* Translators: the task the tablet holds from an earlier sync. */
      status = g_strdup_printf (_("This tablet holds task %s. Sync to upload the reports and "
                                  "fetch new tasks."), task->task_id);
      gtk_label_set_label (self->status_label, status);
      gtk_widget_set_visible (self->reports_group, FALSE);
      gtk_widget_set_visible (self->task_group, FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->task_list), FALSE);
      gtk_widget_set_visible (self->cancel_button, FALSE);
      gtk_widget_set_visible (self->done_box, TRUE);
      gtk_widget_action_set_enabled (widget, "sync.show-task", TRUE);
      gtk_stack_set_visible_child_name (self->stack, "progress");
    }
  check_current_task (self);
}

static void
ff_sync_page_dispose (GObject *object)
{
  FfSyncPage *self = FF_SYNC_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->check_cancellable);
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  if (self->upload_queue != NULL)
    g_signal_handlers_disconnect_by_data (self->upload_queue, self);
  g_clear_object (&self->sync);
  g_clear_object (&self->upload_queue);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (ff_sync_page_parent_class)->dispose (object);
}

static void
ff_sync_page_class_init (FfSyncPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_sync_page_dispose;
  widget_class->map = ff_sync_page_map;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-sync-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, reports_group);
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, reports_row);
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, reports_bar);
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, task_group);
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, task_list);
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, firmware_list);
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, done_box);

  gtk_widget_class_install_action (widget_class, "sync.start", NULL, start_activated);
  gtk_widget_class_install_action (widget_class, "sync.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "sync.show-task", NULL, show_task_activated);
}

static void
ff_sync_page_init (FfSyncPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.cancel", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.show-task", FALSE);
}

void
ff_sync_page_set_context (FfSyncPage *self,
                          FfContext  *context)
{
  g_return_if_fail (FF_IS_SYNC_PAGE (self));
  g_return_if_fail (FF_IS_CONTEXT (context));

  g_set_object (&self->context, context);
}
