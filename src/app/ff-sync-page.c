/* FfSyncPage: fetches the technician's tasks and their firmware with the tablet's platform client,
 * showing the download's real progress, each task stored or refused (with the reason) and each
 * firmware of the task to work on with its size and verdict. Cancellable; can run again. */
#include "config.h"

#include "ff-sync-page.h"

#include <glib/gi18n-lib.h>

struct _FfSyncPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack       *stack;
  GtkProgressBar *progress_bar;
  GtkLabel       *status_label;
  GtkListBox     *task_list;
  GtkListBox     *firmware_list;
  GtkWidget      *cancel_button;
  GtkWidget      *done_box;

  /* owned */
  FfContext    *context;
  FfSync       *sync;          /* while a sync runs */
  GCancellable *cancellable;   /* of the sync in flight */
};

G_DEFINE_FINAL_TYPE (FfSyncPage, ff_sync_page, ADW_TYPE_BIN)

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
add_row (GtkListBox *list,
         const char *title,
         const char *subtitle,
         gboolean    failed)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (failed)
    gtk_widget_add_css_class (row, "error");
  gtk_list_box_append (list, row);
}

static void
toast (FfSyncPage *self,
       const char *message)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", message);
}

/* Ends the running sync, whatever its result: the page can start another one. */
static void
finish_run (FfSyncPage *self,
            const char *status)
{
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  g_clear_object (&self->cancellable);
  gtk_label_set_label (self->status_label, status);
  gtk_widget_set_visible (self->cancel_button, FALSE);
  gtk_widget_set_visible (self->done_box, TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.start", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.cancel", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.show-task",
                                 ff_context_get_task (self->context) != NULL);
}

static void
download_progressed (FfSyncPage *self)
{
  gint64 downloaded, total;
  g_autofree char *done = NULL;
  g_autofree char *size = NULL;
  g_autofree char *text = NULL;

  g_object_get (self->sync, "downloaded-bytes", &downloaded, "total-bytes", &total, NULL);
  if (total <= 0)
    return;
  done = g_format_size (downloaded);
  size = g_format_size (total);
  /* Translators: firmware bytes downloaded so far, of the file's size, e.g. "1.2 MB of 4.0 MB". */
  text = g_strdup_printf (_("%s of %s"), done, size);
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP ((double) downloaded / total, 0, 1));
  gtk_progress_bar_set_text (self->progress_bar, text);
}

static void
task_refused (FfSync     *sync,
              const char *task_id,
              const char *message,
              FfSyncPage *self)
{
  /* Translators: why the tablet did not keep a task. */
  g_autofree char *subtitle = g_strdup_printf (_("Refused: %s"), message);

  add_row (self->task_list, task_id, subtitle, TRUE);
}

static void
list_firmware (FfSyncPage *self)
{
  const FfTask *task = ff_context_get_task (self->context);
  FfStore *store = ff_context_get_store (self->context);
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);

  clear_list (self->firmware_list);
  for (guint i = 0; task != NULL && i < task->items->len; i++)
    {
      const FfTaskItem *item = task->items->pdata[i];
      const FfFirmwareRef *refs[] = { &item->target, item->previous };

      for (guint r = 0; r < G_N_ELEMENTS (refs); r++)
        {
          g_autofree char *size = NULL;
          g_autofree char *subtitle = NULL;
          gboolean verified;

          if (refs[r] == NULL || !g_hash_table_add (listed, refs[r]->sha256))
            continue;
          verified = ff_store_has_firmware (store, refs[r]->sha256);
          size = g_format_size (refs[r]->size);
          /* Translators: a firmware file's size, then whether its SHA-256 was checked. */
          subtitle = g_strdup_printf (_("%s · %s"), size,
                                      verified ? _("SHA-256 verified") : _("Not on this tablet"));
          add_row (self->firmware_list, refs[r]->version, subtitle, !verified);
        }
    }
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
  list_firmware (self);
  finish_run (self, ff_context_get_task (self->context) != NULL
                    ? _("Synced: the task and its firmware are on this tablet.")
                    : _("Synced: there is no task for this technician and tablet."));
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
  gtk_progress_bar_set_fraction (self->progress_bar, 1);
  ff_context_load_task_async (self->context, self->cancellable, task_loaded, self);
}

static void
start_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  FfSyncPage *self = FF_SYNC_PAGE (widget);
  g_autoptr(GError) error = NULL;
  FfSync *sync = self->context != NULL ? ff_context_get_sync (self->context, &error) : NULL;

  if (sync == NULL)
    {
      toast (self, error != NULL ? error->message : _("This tablet cannot sync."));
      return;
    }
  self->sync = g_object_ref (sync);
  self->cancellable = g_cancellable_new ();
  g_signal_connect_swapped (sync, "notify::downloaded-bytes", G_CALLBACK (download_progressed),
                            self);
  g_signal_connect (sync, "task-refused", G_CALLBACK (task_refused), self);

  clear_list (self->task_list);
  clear_list (self->firmware_list);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, NULL);
  gtk_label_set_label (self->status_label, _("Fetching tasks and firmware…"));
  gtk_widget_set_visible (self->cancel_button, TRUE);
  gtk_widget_set_visible (self->done_box, FALSE);
  gtk_widget_action_set_enabled (widget, "sync.start", FALSE);
  gtk_widget_action_set_enabled (widget, "sync.cancel", TRUE);
  gtk_stack_set_visible_child_name (self->stack, "progress");
  ff_sync_fetch_tasks_async (sync, self->cancellable, tasks_fetched, self);
}

static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  FfSyncPage *self = FF_SYNC_PAGE (widget);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  finish_run (self, _("Sync cancelled. Firmware already downloaded is kept and resumed next "
                      "time."));
}

static void
show_task_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  gtk_widget_activate_action (widget, "win.show-page", "s", "task");
}

static void
ff_sync_page_dispose (GObject *object)
{
  FfSyncPage *self = FF_SYNC_PAGE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (ff_sync_page_parent_class)->dispose (object);
}

static void
ff_sync_page_class_init (FfSyncPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_sync_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-sync-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, FfSyncPage, status_label);
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
