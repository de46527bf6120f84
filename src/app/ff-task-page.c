/* FfTaskPage: lists the task's terminals as a route — the core's visiting order from the GPS fix,
 * each numbered — with the distance and the status of its visit in this task (FfVisitStatus, read
 * from the store in a worker thread). Tapping a terminal navigates to it ("win.navigate-to"); once
 * every visit is finished, the page's action is to upload the reports. A task the platform withdrew
 * says so above its route. */
#include "config.h"

#include "ff-task-page.h"

#include <glib/gi18n-lib.h>

#include "ff-geo.h"
#include "ff-visit-status.h"

struct _FfTaskPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack            *stack;
  AdwPreferencesGroup *route_group;
  GtkListBox          *terminal_list;
  GtkWidget           *next_button;
  GtkWidget           *upload_button;

  /* owned */
  FfContext    *context;
  char         *statuses_task_id;  /* the task the statuses were read for */
  GHashTable   *statuses;          /* device ID → FfVisitStatus, of that task's visits */
  gboolean      task_withdrawn;    /* that task was withdrawn by the platform */
  char         *route_description; /* the template's, for a task not withdrawn */
  char         *reading_task_id;   /* the task of the read in flight */
  char         *next_device_id;
  GCancellable *cancellable;       /* of the read in flight; a new read cancels it */
};

G_DEFINE_FINAL_TYPE (FfTaskPage, ff_task_page, ADW_TYPE_BIN)

/* FALSE until the statuses of @task's visits are read: those of another task say nothing. */
static gboolean
lookup_status (FfTaskPage    *self,
               const FfTask  *task,
               const char    *device_id,
               FfVisitStatus *status)
{
  if (g_strcmp0 (self->statuses_task_id, task->task_id) != 0)
    return FALSE;
  *status = GPOINTER_TO_INT (g_hash_table_lookup (self->statuses, device_id));
  return TRUE;
}

static char *
format_distance (double metres)
{
  if (metres < 1000)
    return g_strdup_printf (_("%.0f m"), metres);
  return g_strdup_printf (_("%.1f km"), metres / 1000);
}

/* @status is NULL while it is being read; @stop is the terminal's place on the route, from 1. */
static GtkWidget *
make_row (const FfTaskItem *item,
          guint             stop,
          const char       *status,
          const FfGeoPoint *here)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *stop_text = g_strdup_printf ("%u", stop);
  GtkWidget *stop_label = gtk_label_new (stop_text);
  /* Translators: the terminal's device ID and its status, e.g. "DTU0101 · To do". */
  g_autofree char *subtitle = status != NULL ? g_strdup_printf (_("%s · %s"), item->device_id,
                                                                status)
                                             : g_strdup (item->device_id);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), item->name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (stop_label, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (stop_label, "ff-route-stop");
  gtk_widget_add_css_class (stop_label, "numeric");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), stop_label);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.navigate-to");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", item->device_id);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);

  if (here != NULL)
    {
      FfGeoPoint there = { item->latitude, item->longitude };
      g_autofree char *distance = format_distance (ff_geo_distance_m (here, &there));
      GtkWidget *label = gtk_label_new (distance);

      gtk_widget_add_css_class (label, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
    }
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("go-next-symbolic"));
  return row;
}

static void
rebuild (FfTaskPage *self)
{
  const FfTask *task = self->context != NULL ? ff_context_get_task (self->context) : NULL;
  FfGpsSource *gps = self->context != NULL ? ff_context_get_gps (self->context) : NULL;
  g_autofree FfGeoPoint *stops = NULL;
  g_autoptr(GArray) order = NULL;
  FfGeoPoint here;
  gboolean have_fix;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->terminal_list))) != NULL)
    gtk_list_box_remove (self->terminal_list, child);
  g_clear_pointer (&self->next_device_id, g_free);

  if (task == NULL || task->items->len == 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  have_fix = gps != NULL && ff_gps_source_get_position (gps, &here);
  stops = g_new (FfGeoPoint, task->items->len);
  for (guint i = 0; i < task->items->len; i++)
    {
      const FfTaskItem *item = g_ptr_array_index (task->items, i);

      stops[i] = (FfGeoPoint) { item->latitude, item->longitude };
    }
  /* Without a fix the first terminal stands in for the tablet: the walk is still the shortest. */
  order = ff_geo_visiting_order (have_fix ? &here : &stops[0], stops, task->items->len);

  for (guint i = 0; i < order->len; i++)
    {
      const FfTaskItem *item = g_ptr_array_index (task->items, g_array_index (order, guint, i));
      FfVisitStatus status;
      gboolean known = lookup_status (self, task, item->device_id, &status);

      gtk_list_box_append (self->terminal_list,
                           make_row (item, i + 1, known ? ff_visit_status_describe (status) : NULL,
                                     have_fix ? &here : NULL));
      /* A visit under way (or not read yet) may still need the technician: it can be next. */
      if (self->next_device_id == NULL && !(known && ff_visit_status_is_finished (status)))
        self->next_device_id = g_strdup (item->device_id);
    }
  /* Every visit finished (known, not merely not read yet): nothing is left but the upload. */
  gtk_widget_set_visible (self->next_button, self->next_device_id != NULL);
  gtk_widget_set_visible (self->upload_button, self->next_device_id == NULL);
  if (self->task_withdrawn && g_strcmp0 (self->statuses_task_id, task->task_id) == 0)
    {
      adw_preferences_group_set_title (self->route_group, _("Route — Withdrawn by the Platform"));
      adw_preferences_group_set_description (self->route_group,
                                             _("The platform cancelled this task: finish the visit "
                                               "under way; its other terminals are not to be "
                                               "upgraded."));
    }
  else
    {
      adw_preferences_group_set_title (self->route_group, self->next_device_id != NULL
                                                          ? _("Route") : _("Route — All Done"));
      adw_preferences_group_set_description (self->route_group, self->route_description);
    }
  gtk_stack_set_visible_child_name (self->stack, "terminals");
}

static void
statuses_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  FfTaskPage *self;
  g_autoptr(GHashTable) statuses = NULL;
  g_autoptr(GError) error = NULL;
  gboolean task_withdrawn = FALSE;

  /* A cancelled read may end after the page is gone: look at the page only once it did not. */
  statuses = ff_visit_status_read_finish (result, &task_withdrawn, &error);
  if (statuses == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("%s", error->message);
      return;
    }
  self = FF_TASK_PAGE (user_data);
  g_free (self->statuses_task_id);
  self->statuses_task_id = g_steal_pointer (&self->reading_task_id);
  g_hash_table_unref (self->statuses);
  self->statuses = g_steal_pointer (&statuses);
  self->task_withdrawn = task_withdrawn;
  rebuild (self);
}

/* Re-reads the visits' statuses from the store (after a workflow ends, for instance). */
void
ff_task_page_refresh (FfTaskPage *self)
{
  const FfTask *task;
  FfStore *store;

  g_return_if_fail (FF_IS_TASK_PAGE (self));

  rebuild (self);
  task = self->context != NULL ? ff_context_get_task (self->context) : NULL;
  store = self->context != NULL ? ff_context_get_store (self->context) : NULL;
  if (task == NULL || store == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_free (self->reading_task_id);
  self->reading_task_id = g_strdup (task->task_id);
  /* Cancelled in dispose, so the page outlives every read it started. */
  ff_visit_status_read_async (store, task, self->cancellable, statuses_read, self);
}

/* Distances, order and statuses follow the tablet and its visits: read again whenever the list
 * comes on screen. */
static void
ff_task_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (ff_task_page_parent_class)->map (widget);

  ff_task_page_refresh (FF_TASK_PAGE (widget));
}

static void
ff_task_page_dispose (GObject *object)
{
  FfTaskPage *self = FF_TASK_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (ff_task_page_parent_class)->dispose (object);
}

static void
ff_task_page_finalize (GObject *object)
{
  FfTaskPage *self = FF_TASK_PAGE (object);

  g_hash_table_unref (self->statuses);
  g_free (self->statuses_task_id);
  g_free (self->reading_task_id);
  g_free (self->next_device_id);
  g_free (self->route_description);

  G_OBJECT_CLASS (ff_task_page_parent_class)->finalize (object);
}

static void
ff_task_page_class_init (FfTaskPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_task_page_dispose;
  object_class->finalize = ff_task_page_finalize;
  widget_class->map = ff_task_page_map;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-task-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfTaskPage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfTaskPage, route_group);
  gtk_widget_class_bind_template_child (widget_class, FfTaskPage, terminal_list);
  gtk_widget_class_bind_template_child (widget_class, FfTaskPage, next_button);
  gtk_widget_class_bind_template_child (widget_class, FfTaskPage, upload_button);
}

static void
ff_task_page_init (FfTaskPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->route_description = g_strdup (adw_preferences_group_get_description (self->route_group));
  self->statuses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

void
ff_task_page_set_context (FfTaskPage *self,
                          FfContext  *context)
{
  g_return_if_fail (FF_IS_TASK_PAGE (self));
  g_return_if_fail (FF_IS_CONTEXT (context));

  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_set_object (&self->context, context);
  g_signal_connect_object (context, "notify::training", G_CALLBACK (ff_task_page_refresh), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (context, "notify::task-id", G_CALLBACK (ff_task_page_refresh), self,
                           G_CONNECT_SWAPPED);
  ff_task_page_refresh (self);
}

/* The nearest terminal whose visit is not finished, or NULL when every one has a report. */
const char *
ff_task_page_get_next_device_id (FfTaskPage *self)
{
  g_return_val_if_fail (FF_IS_TASK_PAGE (self), NULL);

  return self->next_device_id;
}
