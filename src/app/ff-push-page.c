/* FfPushPage: follows the transfer's progress properties once the technician has given the
 * go-ahead on the Before page. Stopping a transfer is the window's "win.cancel-upgrade". */
#include "config.h"

#include "ff-push-page.h"
#include "ff-workflow-watch.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "ff-duration-format.h"

struct _FfPushPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack       *stack;
  GtkProgressBar *progress_bar;
  AdwActionRow   *bytes_row;
  AdwActionRow   *speed_row;
  GtkLabel       *percent_label;
  GtkLabel       *eta_label;
  GtkLabel       *message_label;

  /* owned */
  FfWorkflow *workflow;
};

G_DEFINE_FINAL_TYPE (FfPushPage, ff_push_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_WORKFLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_progress (FfPushPage *self)
{
  guint64 sent, total;
  double rate, eta;
  g_autofree char *sent_text = NULL;
  g_autofree char *total_text = NULL;
  g_autofree char *bytes = NULL;
  g_autofree char *rate_text = NULL;
  g_autofree char *speed = NULL;
  g_autofree char *eta_text = NULL;
  g_autofree char *percent = NULL;
  double fraction;

  g_object_get (self->workflow, "bytes-sent", &sent, "bytes-total", &total,
                "bytes-per-second", &rate, "eta-seconds", &eta, NULL);

  fraction = total > 0 ? (double) sent / total : 0;
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  /* Translators: the share of the firmware sent, e.g. "45 %". */
  percent = g_strdup_printf (_("%.0f %%"), floor (fraction * 100));
  gtk_label_set_label (self->percent_label, percent);
  sent_text = g_format_size (sent);
  total_text = g_format_size (total);
  /* Translators: bytes sent of the firmware's size, e.g. "1.2 MB of 4.2 MB". */
  bytes = g_strdup_printf (_("%s of %s"), sent_text, total_text);
  adw_action_row_set_subtitle (self->bytes_row, bytes);

  rate_text = g_format_size ((guint64) rate);
  /* Translators: a transfer rate, e.g. "12.5 kB/s". */
  speed = g_strdup_printf (_("%s/s"), rate_text);
  adw_action_row_set_subtitle (self->speed_row, rate > 0 ? speed : "");

  eta_text = eta >= 0 ? ff_duration_format (eta) : g_strdup (_("unknown"));
  gtk_label_set_label (self->eta_label, eta_text);
}

static void
update_message (FfPushPage *self)
{
  const char *message = ff_workflow_get_message (self->workflow);

  gtk_label_set_label (self->message_label, message != NULL ? message : "");
  gtk_stack_set_visible_child_name (self->stack, "progress");
}

static void
ff_push_page_dispose (GObject *object)
{
  ff_push_page_set_workflow (FF_PUSH_PAGE (object), NULL);

  G_OBJECT_CLASS (ff_push_page_parent_class)->dispose (object);
}

static void
ff_push_page_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FfPushPage *self = FF_PUSH_PAGE (object);

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
ff_push_page_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  FfPushPage *self = FF_PUSH_PAGE (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      ff_push_page_set_workflow (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_push_page_class_init (FfPushPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_push_page_dispose;
  object_class->get_property = ff_push_page_get_property;
  object_class->set_property = ff_push_page_set_property;

  properties[PROP_WORKFLOW] =
    g_param_spec_object ("workflow", NULL, NULL, FF_TYPE_WORKFLOW,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-push-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfPushPage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfPushPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, FfPushPage, bytes_row);
  gtk_widget_class_bind_template_child (widget_class, FfPushPage, speed_row);
  gtk_widget_class_bind_template_child (widget_class, FfPushPage, percent_label);
  gtk_widget_class_bind_template_child (widget_class, FfPushPage, eta_label);
  gtk_widget_class_bind_template_child (widget_class, FfPushPage, message_label);
}

static void
ff_push_page_init (FfPushPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

FfWorkflow *
ff_push_page_get_workflow (FfPushPage *self)
{
  g_return_val_if_fail (FF_IS_PUSH_PAGE (self), NULL);

  return self->workflow;
}

void
ff_push_page_set_workflow (FfPushPage *self,
                           FfWorkflow *workflow)
{
  static const FfWorkflowWatch watches[] = {
    { "notify::message", G_CALLBACK (update_message) },
    { "notify::bytes-sent", G_CALLBACK (update_progress) },
    { "notify::eta-seconds", G_CALLBACK (update_progress) },
  };

  g_return_if_fail (FF_IS_PUSH_PAGE (self));

  if (!ff_workflow_watch (self, &self->workflow, workflow, watches, G_N_ELEMENTS (watches)))
    return;

  if (workflow != NULL)
    {
      update_message (self);
      update_progress (self);
    }
  else
    gtk_stack_set_visible_child_name (self->stack, "idle");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
}
