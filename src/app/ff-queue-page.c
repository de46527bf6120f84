/* FfQueuePage: lists the store's reports — waiting ones with their last upload error, uploaded ones
 * with the time they went — read in a worker thread each time the page is shown. */
#include "config.h"

#include "ff-queue-page.h"

#include <glib/gi18n-lib.h>

#include "ff-outcome.h"
#include "ff-store-reader.h"

struct _FfQueuePage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack   *stack;
  GtkListBox *waiting_list;
  GtkListBox *uploaded_list;
  GtkWidget  *waiting_group;
  GtkWidget  *uploaded_group;

  /* owned */
  FfContext    *context;
  GCancellable *cancellable;   /* of the read in flight */
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
      subtitle = g_strdup_printf (_("%s · uploaded %s"), ff_outcome_describe (report->outcome),
                                  time);
    }
  else if (report->last_error != NULL)
    {
      /* Translators: the report's outcome, then why its last upload failed. */
      subtitle = g_strdup_printf (_("%s · last try failed: %s"),
                                  ff_outcome_describe (report->outcome), report->last_error);
    }
  else
    {
      subtitle = g_strdup (ff_outcome_describe (report->outcome));
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), report->device_id);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
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
  reports = ff_store_reader_list_reports_finish (result, &error);
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
  ff_store_reader_list_reports_async (store, self->cancellable, reports_listed, self);
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
}

static void
ff_queue_page_init (FfQueuePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
ff_queue_page_set_context (FfQueuePage *self,
                           FfContext   *context)
{
  g_return_if_fail (FF_IS_QUEUE_PAGE (self));
  g_return_if_fail (FF_IS_CONTEXT (context));

  g_set_object (&self->context, context);
}
