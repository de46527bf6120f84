/* FfRestartPage: while the terminal reboots, how long it has been restarting, a countdown to when
 * such a terminal is usually back, how many times the tablet has tried to reconnect and how long
 * the workflow keeps trying, ticking every second while the page is on screen; then the version
 * the terminal came back with against the one wanted. The wait escalates with time: past the
 * usual boot time the page says so and lists what to check at the terminal (power, cable, run
 * lamp); past twice that it offers Reconnect Now and Give Up. All from what the workflow publishes:
 * "reboot-remaining-ms" (notified at each reconnect attempt), "message", its events and its
 * readings. */
#include "config.h"

#include "ff-restart-page.h"
#include "ff-workflow-watch.h"

#include <glib/gi18n-lib.h>

#include "ff-duration-format.h"
#include "ff-version.h"
#include "ff-workflow-log.h"

struct _FfRestartPage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack      *stack;
  AdwStatusPage *restart_status;
  GtkWidget     *checklist_group;
  GtkButton     *stop_button;
  GtkWidget     *reconnect_button;
  GtkWidget    *elapsed_box;
  GtkLabel     *elapsed_label;
  GtkLabel     *message_label;
  AdwActionRow *expected_row;
  AdwActionRow *attempts_row;
  AdwActionRow *limit_row;
  AdwActionRow *wanted_row;
  AdwActionRow *version_row;
  GtkImage     *version_verdict;

  /* owned */
  FfWorkflow *workflow;
  guint       tick_id;
  gint64      restart_seen_us;   /* when the page saw the reboot wait begin; 0 outside it */
  gint64      remaining_ms;      /* the workflow's reconnect budget at the last attempt… */
  gint64      remaining_seen_us; /* …and when it was published */
};

G_DEFINE_FINAL_TYPE (FfRestartPage, ff_restart_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_WORKFLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum
{
  WAIT_USUAL,    /* within the terminal's usual boot time */
  WAIT_LONGER,   /* past it: what to check at the terminal */
  WAIT_OVERDUE,  /* past twice that: reconnect now, or give up */
} FfRestartWait;

static FfRestartWait
classify_wait (double elapsed_s,
               double expected_s)
{
  if (elapsed_s < expected_s)
    return WAIT_USUAL;
  return elapsed_s < 2 * expected_s ? WAIT_LONGER : WAIT_OVERDUE;
}

static void
show_wait (FfRestartPage *self,
           FfRestartWait  wait)
{
  adw_status_page_set_title (self->restart_status, wait == WAIT_USUAL
                                                   ? _("Terminal Restarting")
                                                   : _("Taking Longer Than Usual"));
  adw_status_page_set_description (self->restart_status, wait == WAIT_USUAL
    ? _("Leave the cable plugged in. The tablet reconnects on its own and checks the new version.")
    : _("The terminal has not answered in its usual boot time. The tablet keeps trying; check "
        "these at the terminal meanwhile."));
  gtk_widget_set_visible (self->checklist_group, wait != WAIT_USUAL);
  gtk_widget_set_visible (self->reconnect_button, wait == WAIT_OVERDUE);
  gtk_button_set_label (self->stop_button, wait == WAIT_OVERDUE ? _("_Give Up")
                                                                : _("_Stop the Upgrade"));
}

/* The clock: time since the restart began and the time left of the reconnect budget, counted down
 * between the workflow's notifications so that it moves every second. */
static void
update_clock (FfRestartPage *self)
{
  gint64 now = g_get_monotonic_time ();
  gboolean restarting = self->restart_seen_us != 0;
  FfWorkflowReadings readings;
  g_autofree char *elapsed = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *attempts = NULL;
  g_autofree char *limit = NULL;

  if (self->workflow == NULL)
    return;
  ff_workflow_get_readings (self->workflow, &readings);
  gtk_widget_set_visible (self->elapsed_box, restarting);
  gtk_widget_set_visible (GTK_WIDGET (self->expected_row), restarting);
  gtk_widget_set_visible (GTK_WIDGET (self->attempts_row), readings.reconnect_attempts > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->limit_row),
                          restarting && readings.reconnect_attempts > 0);
  if (restarting)
    {
      double elapsed_s = (now - self->restart_seen_us) / (double) G_USEC_PER_SEC;
      double expected_left_s = readings.reboot_expected_ms / 1000.0 - elapsed_s;

      g_autofree char *usual = ff_duration_format (readings.reboot_expected_ms / 1000.0);

      elapsed = ff_duration_format (elapsed_s);
      gtk_label_set_label (self->elapsed_label, elapsed);
      /* Translators: the usual boot time has passed, e.g. "It usually takes 40 s". */
      expected = expected_left_s > 0 ? ff_duration_format (expected_left_s)
                                     : g_strdup_printf (_("It usually takes %s"), usual);
      adw_action_row_set_subtitle (self->expected_row, expected);
      show_wait (self, classify_wait (elapsed_s, readings.reboot_expected_ms / 1000.0));
    }
  else
    show_wait (self, WAIT_USUAL);
  if (readings.reconnect_attempts > 0)
    {
      gint64 left_ms = self->remaining_ms - (now - self->remaining_seen_us) / 1000;

      attempts = g_strdup_printf ("%u", readings.reconnect_attempts);
      adw_action_row_set_subtitle (self->attempts_row, attempts);
      limit = ff_duration_format (left_ms / 1000.0);
      adw_action_row_set_subtitle (self->limit_row, limit);
    }
}

static void
update_versions (FfRestartPage *self)
{
  FfWorkflowReadings readings;
  const char *wanted;
  gboolean as_wanted;

  ff_workflow_get_readings (self->workflow, &readings);
  wanted = readings.version_wanted;
  adw_action_row_set_subtitle (self->wanted_row, wanted);
  adw_action_row_set_subtitle (self->version_row, readings.version_after != NULL
                                                  ? readings.version_after : _("Not read yet"));
  gtk_widget_set_visible (GTK_WIDGET (self->version_verdict), readings.version_after != NULL);
  if (readings.version_after == NULL)
    return;

  as_wanted = ff_version_is_valid (readings.version_after)
              && ff_version_compare (readings.version_after, wanted) == 0;
  gtk_image_set_from_icon_name (self->version_verdict,
                                as_wanted ? "emblem-ok-symbolic" : "dialog-error-symbolic");
  gtk_widget_set_css_classes (GTK_WIDGET (self->version_verdict),
                              (const char *[]) { as_wanted ? "success" : "error", NULL });
}

static void
update (FfRestartPage *self)
{
  const char *message;

  if (self->workflow == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "idle");
      return;
    }

  message = ff_workflow_get_message (self->workflow);
  gtk_label_set_label (self->message_label, message != NULL ? message : "");
  update_versions (self);
  update_clock (self);
  gtk_stack_set_visible_child_name (self->stack, "restart");
}

static void
state_changed (FfRestartPage *self)
{
  gboolean restarting = ff_workflow_get_state (self->workflow) == FF_WORKFLOW_STATE_REBOOT_WAIT;

  if (restarting && self->restart_seen_us == 0)
    self->restart_seen_us = g_get_monotonic_time ();
  else if (!restarting)
    self->restart_seen_us = 0;
  update (self);
}

/* The workflow publishes the budget left before each reconnect attempt. */
static void
reconnect_attempted (FfRestartPage *self)
{
  g_object_get (self->workflow, "reboot-remaining-ms", &self->remaining_ms, NULL);
  self->remaining_seen_us = g_get_monotonic_time ();
  update_clock (self);
}

static void
reconnect_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  FfRestartPage *self = FF_RESTART_PAGE (widget);
  g_autoptr(GError) error = NULL;

  /* A refusal (the terminal came back meanwhile) is news, not a failure of the page. */
  if (!ff_workflow_reconnect_now (self->workflow, &error))
    gtk_widget_activate_action (widget, "win.toast", "s", error->message);
}

static gboolean
tick (gpointer user_data)
{
  update_clock (FF_RESTART_PAGE (user_data));
  return G_SOURCE_CONTINUE;
}

static void
ff_restart_page_map (GtkWidget *widget)
{
  FfRestartPage *self = FF_RESTART_PAGE (widget);

  GTK_WIDGET_CLASS (ff_restart_page_parent_class)->map (widget);

  update_clock (self);
  self->tick_id = g_timeout_add_seconds (1, tick, self);
}

static void
ff_restart_page_unmap (GtkWidget *widget)
{
  FfRestartPage *self = FF_RESTART_PAGE (widget);

  g_clear_handle_id (&self->tick_id, g_source_remove);

  GTK_WIDGET_CLASS (ff_restart_page_parent_class)->unmap (widget);
}

static void
ff_restart_page_dispose (GObject *object)
{
  FfRestartPage *self = FF_RESTART_PAGE (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  ff_restart_page_set_workflow (self, NULL);

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
  widget_class->map = ff_restart_page_map;
  widget_class->unmap = ff_restart_page_unmap;

  properties[PROP_WORKFLOW] =
    g_param_spec_object ("workflow", NULL, NULL, FF_TYPE_WORKFLOW,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (FF_TYPE_WORKFLOW_LOG);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-restart-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, restart_status);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, checklist_group);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, stop_button);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, reconnect_button);

  gtk_widget_class_install_action (widget_class, "restart.reconnect", NULL, reconnect_activated);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, elapsed_box);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, elapsed_label);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, expected_row);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, attempts_row);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, limit_row);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, wanted_row);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, version_row);
  gtk_widget_class_bind_template_child (widget_class, FfRestartPage, version_verdict);
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
                              FfWorkflow    *workflow)
{
  static const FfWorkflowWatch watches[] = {
    { "notify::state", G_CALLBACK (state_changed) },
    { "notify::message", G_CALLBACK (update) },
    { "notify::reboot-remaining-ms", G_CALLBACK (reconnect_attempted) },
  };

  g_return_if_fail (FF_IS_RESTART_PAGE (self));

  if (!ff_workflow_watch (self, &self->workflow, workflow, watches, G_N_ELEMENTS (watches)))
    return;

  self->restart_seen_us = 0;
  if (workflow != NULL)
    state_changed (self);
  else
    update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
}
