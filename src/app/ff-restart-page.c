/* FfRestartPage: counts down the terminal's reboot and shows what the workflow reports of the
 * reconnection and the version check. */
#include "config.h"

#include "ff-restart-page.h"
#include "ff-workflow-watch.h"

#include <glib/gi18n-lib.h>

#include "ff-workflow-log.h"

struct _FfRestartPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack *stack;
  GtkLabel *countdown_label;
  GtkLabel *message_label;

  /* owned */
  FfWorkflow *workflow;
};

G_DEFINE_FINAL_TYPE (FfRestartPage, ff_restart_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_WORKFLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update (FfRestartPage *self)
{
  FfWorkflowState state;
  gint64 remaining_ms;
  g_autofree char *countdown = NULL;

  if (self->workflow == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "idle");
      return;
    }

  state = ff_workflow_get_state (self->workflow);
  g_object_get (self->workflow, "reboot-remaining-ms", &remaining_ms, NULL);
  if (state == FF_WORKFLOW_STATE_REBOOT_WAIT && remaining_ms > 0)
    /* Translators: seconds until the terminal should be back after its restart. */
    countdown = g_strdup_printf (_("%u s"), (guint) ((remaining_ms + 999) / 1000));
  gtk_label_set_label (self->countdown_label, countdown != NULL ? countdown : "");
  gtk_widget_set_visible (GTK_WIDGET (self->countdown_label), countdown != NULL);
  gtk_label_set_label (self->message_label, ff_workflow_get_message (self->workflow));
  gtk_stack_set_visible_child_name (self->stack, "restart");
}

static void
ff_restart_page_dispose (GObject *object)
{
  ff_restart_page_set_workflow (FF_RESTART_PAGE (object), NULL);

  G_OBJECT_CLASS (ff_restart_page_parent_class)->dispose (object);
}

static void
ff_restart_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FfRestartPage *self = FF_RESTART_PAGE (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      g_value_set_object (value, self->workflow);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_restart_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  FfRestartPage *self = FF_RESTART_PAGE (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      ff_restart_page_set_workflow (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_restart_page_class_init (FfRestartPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_restart_page_dispose;
  object_class->get_property = ff_restart_page_get_property;
  object_class->set_property = ff_restart_page_set_property;

  properties[PROP_WORKFLOW] =
    g_param_spec_object ("workflow", NULL, NULL, FF_TYPE_WORKFLOW,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (FF_TYPE_WORKFLOW_LOG);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-restart-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, countdown_label);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, message_label);

}

static void
ff_restart_page_init (FfRestartPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

FfWorkflow *
ff_restart_page_get_workflow (FfRestartPage *self)
{
  g_return_val_if_fail (FF_IS_RESTART_PAGE (self), NULL);

  return self->workflow;
}

void
ff_restart_page_set_workflow (FfRestartPage *self,
                              FfWorkflow *workflow)
{
  static const FfWorkflowWatch watches[] = {
    { "notify::state", G_CALLBACK (update) },
    { "notify::message", G_CALLBACK (update) },
    { "notify::reboot-remaining-ms", G_CALLBACK (update) },
  };

  g_return_if_fail (FF_IS_RESTART_PAGE (self));

  if (!ff_workflow_watch (self, &self->workflow, workflow, watches, G_N_ELEMENTS (watches)))
    return;

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
}
