/* FfWorkflowLog: a list of the event lines a workflow records (reconnect attempts, the version it
 * read), limited to the steps a page is about, newest last; it starts empty for each workflow. */
#include "config.h"

#include "ff-workflow-log.h"
#include "ff-workflow-watch.h"

struct _FfWorkflowLog
{
  AdwBin parent_instance;

  GtkListBox *list;

  /* owned */
  FfWorkflow *workflow;
  GStrv       steps;     /* the steps shown, NULL for all */
};

G_DEFINE_FINAL_TYPE (FfWorkflowLog, ff_workflow_log, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_WORKFLOW,
  PROP_STEPS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
event_recorded (FfWorkflowLog *self,
                const char    *step,
                const char    *message)
{
  GtkWidget *row;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *time = NULL;

  if (self->steps != NULL && !g_strv_contains ((const char *const *) self->steps, step))
    return;

  now = g_date_time_new_now_local ();
  time = g_date_time_format (now, "%X");
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), message);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), time);
  gtk_list_box_append (self->list, row);
  gtk_widget_set_visible (GTK_WIDGET (self->list), TRUE);
}

static void
clear (FfWorkflowLog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  gtk_widget_set_visible (GTK_WIDGET (self->list), FALSE);
}

static void
ff_workflow_log_dispose (GObject *object)
{
  FfWorkflowLog *self = FF_WORKFLOW_LOG (object);

  ff_workflow_log_set_workflow (self, NULL);
  g_clear_pointer (&self->steps, g_strfreev);

  G_OBJECT_CLASS (ff_workflow_log_parent_class)->dispose (object);
}

static void
ff_workflow_log_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FfWorkflowLog *self = FF_WORKFLOW_LOG (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      g_value_set_object (value, self->workflow);
      break;
    case PROP_STEPS:
      g_value_take_string (value, self->steps != NULL ? g_strjoinv (",", self->steps) : NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_workflow_log_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  FfWorkflowLog *self = FF_WORKFLOW_LOG (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      ff_workflow_log_set_workflow (self, g_value_get_object (value));
      break;
    case PROP_STEPS:
      ff_workflow_log_set_steps (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_workflow_log_class_init (FfWorkflowLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ff_workflow_log_dispose;
  object_class->get_property = ff_workflow_log_get_property;
  object_class->set_property = ff_workflow_log_set_property;

  properties[PROP_WORKFLOW] =
    g_param_spec_object ("workflow", NULL, NULL, FF_TYPE_WORKFLOW,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Comma-separated step names ("reset,reboot-wait,verify"); NULL shows every step. */
  properties[PROP_STEPS] =
    g_param_spec_string ("steps", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ff_workflow_log_init (FfWorkflowLog *self)
{
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  gtk_widget_set_visible (GTK_WIDGET (self->list), FALSE);
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->list));
}

FfWorkflow *
ff_workflow_log_get_workflow (FfWorkflowLog *self)
{
  g_return_val_if_fail (FF_IS_WORKFLOW_LOG (self), NULL);

  return self->workflow;
}

void
ff_workflow_log_set_workflow (FfWorkflowLog *self,
                              FfWorkflow    *workflow)
{
  static const FfWorkflowWatch watches[] = {
    { "event", G_CALLBACK (event_recorded) },
  };

  g_return_if_fail (FF_IS_WORKFLOW_LOG (self));

  if (!ff_workflow_watch (self, &self->workflow, workflow, watches, G_N_ELEMENTS (watches)))
    return;

  clear (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
}

void
ff_workflow_log_set_steps (FfWorkflowLog *self,
                           const char    *steps)
{
  g_return_if_fail (FF_IS_WORKFLOW_LOG (self));

  g_clear_pointer (&self->steps, g_strfreev);
  if (steps != NULL)
    self->steps = g_strsplit (steps, ",", -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STEPS]);
}
