/* FfQueuePage: lists the store's reports — waiting ones with their last upload error, uploaded ones
 * with the time they went — read in a worker thread each time the page is shown; a row opens its
 * report on the Report page ("win.open-report"); "Upload Now" delivers the waiting ones with the
 * tablet's upload queue, showing its progress and refusals, until it is done or cancelled. */
#include "config.h"

#include "ff-queue-page.h"

#include <glib/gi18n-lib.h>

#include "ff-outcome.h"
#include "ff-upload-progress.h"

struct _FfQueuePage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack   *stack;
  GtkListBox *waiting_list;
  GtkListBox *uploaded_list;
  GtkWidget  *waiting_group;
  GtkWidget  *uploaded_group;
  GtkProgressBar *upload_progress;
  GtkLabel   *upload_label;
  GtkWidget  *cancel_button;

  /* owned */
  FfContext     *context;
  GCancellable  *cancellable;          /* of the read in flight */
  FfUploadQueue *upload_queue;         /* while an upload runs */
  GCancellable  *upload_cancellable;
};

G_DEFINE_FINAL_TYPE (FfQueuePage, ff_queue_page, ADW_TYPE_BIN)

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static GtkWidget *
make_row (const FfStoredReport *report)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = NULL;

  if (report->uploaded_at != 0)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (report->uploaded_at);
      g_autofree char *time = g_date_time_format (when, "%x %X");

      /* Translators: the report's outcome, then when it was uploaded. */
      subtitle = g_strdup_printf (_("%s · uploaded %s"), report->description,
                                  time);
    }
  else if (report->last_error != NULL)
    {
      /* Translators: the report's outcome, then why its last upload failed. */
      subtitle = g_strdup_printf (_("%s · last try failed: %s"),
                                  report->description, report->last_error);
    }
  else
    {
      subtitle = g_strdup (report->description);
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), report->device_id);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  /* The whole row opens the report on the Report page. */
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.open-report");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", report->report_id);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("go-next-symbolic"));
  return row;
}

static void
reports_listed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  FfQueuePage *self;
  g_autoptr(GPtrArray) reports = NULL;
  g_autoptr(GError) error = NULL;
  guint waiting = 0, uploaded = 0;

  /* A cancelled read may end after the page is gone: look at the page only once it did not. */
  reports = ff_store_list_reports_finish (FF_STORE (source), result, &error);
  if (reports == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_QUEUE_PAGE (user_data);

  clear_list (self->waiting_list);
  clear_list (self->uploaded_list);
  if (reports == NULL)
    {
      g_message ("%s", error->message);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  /* Newest first: the report just written is the one a technician looks for. */
  for (guint i = reports->len; i > 0; i--)
    {
      FfStoredReport *report = g_ptr_array_index (reports, i - 1);

      if (report->uploaded_at != 0)
        {
          gtk_list_box_append (self->uploaded_list, make_row (report));
          uploaded++;
        }
      else
        {
          gtk_list_box_append (self->waiting_list, make_row (report));
          waiting++;
        }
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "queue.upload",
                                 waiting > 0 && self->upload_queue == NULL);
  gtk_widget_set_visible (self->waiting_group, waiting > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->waiting_list), waiting > 0);
  gtk_widget_set_visible (self->uploaded_group, uploaded > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->uploaded_list), uploaded > 0);
  gtk_stack_set_visible_child_name (self->stack, reports->len > 0 ? "reports" : "empty");
}

void
ff_queue_page_refresh (FfQueuePage *self)
{
  FfStore *store;

  g_return_if_fail (FF_IS_QUEUE_PAGE (self));

  store = self->context != NULL ? ff_context_get_store (self->context) : NULL;
  if (store == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  ff_store_list_reports_async (store, FALSE, self->cancellable, reports_listed, self);
}

static void
show_upload_counts (FfQueuePage *self)
{
  double fraction;
  g_autofree char *text = ff_upload_progress_describe (self->upload_queue, &fraction);

  gtk_label_set_label (self->upload_label, text);
  gtk_progress_bar_set_fraction (self->upload_progress, fraction);
}

static void
report_refused (FfUploadQueue *queue,
                const char    *report_id,
                const char    *message,
                FfQueuePage   *self)
{
  g_autofree char *text = ff_upload_progress_refusal (report_id, message);

  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", text);
}

/* Ends the upload in flight, whatever its result: the page can start another one. */
static void
finish_upload (FfQueuePage *self,
               const char  *problem)
{
  if (self->upload_queue != NULL)
    show_upload_counts (self);
  if (problem != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s\n%s", gtk_label_get_label (self->upload_label),
                                               problem);

      gtk_label_set_label (self->upload_label, text);
    }
  if (self->upload_queue != NULL)
    g_signal_handlers_disconnect_by_data (self->upload_queue, self);
  g_clear_object (&self->upload_queue);
  g_clear_object (&self->upload_cancellable);
  gtk_widget_set_visible (self->cancel_button, FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "queue.cancel", FALSE);
  ff_queue_page_refresh (self);
}

static void
uploaded (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Cancelled by the technician (the page is idle again) or because the page went. */
  if (!ff_upload_queue_flush_finish (FF_UPLOAD_QUEUE (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  finish_upload (FF_QUEUE_PAGE (user_data), error != NULL ? error->message : NULL);
}

/* The platform client is there: deliver the queue. */
static void
sync_ready (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSync) sync = ff_context_get_sync_finish (FF_CONTEXT (source), result, &error);
  FfQueuePage *self;

  /* Cancelled by the technician (the page is idle again) or because the page went. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = FF_QUEUE_PAGE (user_data);
  if (sync == NULL)
    {
      finish_upload (self, error->message);
      return;
    }
  self->upload_queue = ff_upload_queue_new (ff_context_get_store (self->context), sync);
  g_signal_connect_swapped (self->upload_queue, "notify::delivered",
                            G_CALLBACK (show_upload_counts), self);
  g_signal_connect (self->upload_queue, "report-failed", G_CALLBACK (report_refused), self);
  ff_upload_queue_flush_async (self->upload_queue, FF_UPLOAD_ATTEMPTS, FF_UPLOAD_FIRST_PAUSE_MS,
                               self->upload_cancellable, uploaded, self);
}

static void
upload_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  FfQueuePage *self = FF_QUEUE_PAGE (widget);

  if (ff_context_get_training (self->context) != NULL)
    {
      gtk_widget_activate_action (widget, "win.toast", "s",
                                  _("Training reports stay on the tablet: they are not uploaded."));
      return;
    }
  self->upload_cancellable = g_cancellable_new ();
  gtk_widget_action_set_enabled (widget, "queue.upload", FALSE);
  gtk_widget_action_set_enabled (widget, "queue.cancel", TRUE);
  gtk_progress_bar_set_fraction (self->upload_progress, 0);
  gtk_label_set_label (self->upload_label, _("Uploading…"));
  gtk_widget_set_visible (GTK_WIDGET (self->upload_progress), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->upload_label), TRUE);
  gtk_widget_set_visible (self->cancel_button, TRUE);
  ff_context_get_sync_async (self->context, self->upload_cancellable, sync_ready, self);
}

static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  FfQueuePage *self = FF_QUEUE_PAGE (widget);

  if (self->upload_cancellable == NULL)
    return;
  g_cancellable_cancel (self->upload_cancellable);
  finish_upload (self, _("Upload cancelled: the reports not delivered stay queued."));
}

static void
ff_queue_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (ff_queue_page_parent_class)->map (widget);

  ff_queue_page_refresh (FF_QUEUE_PAGE (widget));
}

static void
ff_queue_page_dispose (GObject *object)
{
  FfQueuePage *self = FF_QUEUE_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->upload_cancellable);
  if (self->upload_queue != NULL)
    g_signal_handlers_disconnect_by_data (self->upload_queue, self);
  g_clear_object (&self->upload_cancellable);
  g_clear_object (&self->upload_queue);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (ff_queue_page_parent_class)->dispose (object);
}

static void
ff_queue_page_class_init (FfQueuePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_queue_page_dispose;
  widget_class->map = ff_queue_page_map;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-queue-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfQueuePage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfQueuePage, waiting_list);
  gtk_widget_class_bind_template_child (widget_class, FfQueuePage, uploaded_list);
  gtk_widget_class_bind_template_child (widget_class, FfQueuePage, waiting_group);
  gtk_widget_class_bind_template_child (widget_class, FfQueuePage, uploaded_group);
  gtk_widget_class_bind_template_child (widget_class, FfQueuePage, upload_progress);
  gtk_widget_class_bind_template_child (widget_class, FfQueuePage, upload_label);
  gtk_widget_class_bind_template_child (widget_class, FfQueuePage, cancel_button);

  gtk_widget_class_install_action (widget_class, "queue.upload", NULL, upload_activated);
  gtk_widget_class_install_action (widget_class, "queue.cancel", NULL, cancel_activated);
}

static void
ff_queue_page_init (FfQueuePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "queue.upload", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "queue.cancel", FALSE);
}

void
ff_queue_page_set_context (FfQueuePage *self,
                           FfContext   *context)
{
  g_return_if_fail (FF_IS_QUEUE_PAGE (self));
  g_return_if_fail (FF_IS_CONTEXT (context));

  g_set_object (&self->context, context);
}
