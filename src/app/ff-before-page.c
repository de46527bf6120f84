/* FfBeforePage: shows the running and target versions — or that the terminal is already current —
 * and each signal's value with the IEEE-754 hex the report records. */
#include "config.h"

#include "ff-before-page.h"

#include <glib/gi18n-lib.h>

#include "ff-signal-format.h"
#include "ff-version.h"

struct _FfBeforePage
{
  AdwBin parent_instance;

  /* template widgets */
  GtkStack     *stack;
  AdwActionRow *running_row;
  AdwActionRow *target_row;
  AdwActionRow *signal_rows[FF_N_SIGNALS];
  GtkLabel     *value_labels[FF_N_SIGNALS];
  AdwStatusPage *current_status;
  AdwStatusPage *reading_status;
};

G_DEFINE_FINAL_TYPE (FfBeforePage, ff_before_page, ADW_TYPE_BIN)

#define BIND_SIGNAL_ROW(widget_class, name, signal) \
  G_STMT_START { \
    gtk_widget_class_bind_template_child_full (widget_class, name "_row", FALSE, \
                                               G_STRUCT_OFFSET (FfBeforePage, \
                                                                signal_rows[signal])); \
    gtk_widget_class_bind_template_child_full (widget_class, name "_value", FALSE, \
                                               G_STRUCT_OFFSET (FfBeforePage, \
                                                                value_labels[signal])); \
  } G_STMT_END

static void
ff_before_page_class_init (FfBeforePageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-before-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FfBeforePage, stack);
  gtk_widget_class_bind_template_child (widget_class, FfBeforePage, running_row);
  gtk_widget_class_bind_template_child (widget_class, FfBeforePage, target_row);
  gtk_widget_class_bind_template_child (widget_class, FfBeforePage, current_status);
  gtk_widget_class_bind_template_child (widget_class, FfBeforePage, reading_status);
  BIND_SIGNAL_ROW (widget_class, "line_voltage", FF_SIGNAL_LINE_VOLTAGE);
  BIND_SIGNAL_ROW (widget_class, "current", FF_SIGNAL_CURRENT);
  BIND_SIGNAL_ROW (widget_class, "battery_voltage", FF_SIGNAL_BATTERY_VOLTAGE);
  BIND_SIGNAL_ROW (widget_class, "ambient_temperature", FF_SIGNAL_TEMPERATURE);
}

static void
ff_before_page_init (FfBeforePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < FF_N_SIGNALS; i++)
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->signal_rows[i]),
                                   ff_signal_get_label (i));
}

/* @snapshot may be NULL while the interrogation is still running. */
void
ff_before_page_show (FfBeforePage     *self,
                     const char       *running_version,
                     const char       *target_version,
                     const FfSnapshot *snapshot)
{
  g_return_if_fail (FF_IS_BEFORE_PAGE (self));
  g_return_if_fail (running_version != NULL && target_version != NULL);

  if (ff_version_compare (running_version, target_version) == 0)
    {
      g_autofree char *description =
        g_strdup_printf (_("The terminal already runs version %s. There is nothing to do here."),
                         running_version);

      adw_status_page_set_description (self->current_status, description);
      gtk_stack_set_visible_child_name (self->stack, "current");
      return;
    }

  adw_action_row_set_subtitle (self->running_row, running_version);
  adw_action_row_set_subtitle (self->target_row, target_version);

  for (guint i = 0; i < FF_N_SIGNALS; i++)
    {
      g_autofree char *value = NULL;
      g_autofree char *hex = NULL;

      if (snapshot != NULL && snapshot->present[i])
        {
          value = ff_signal_format_value (i, snapshot->values[i]);
          hex = ff_snapshot_value_to_hex (snapshot->values[i]);
        }
      else
        {
          value = g_strdup (snapshot != NULL ? _("missing") : _("reading…"));
        }
      gtk_label_set_label (self->value_labels[i], value);
      adw_action_row_set_subtitle (self->signal_rows[i], hex != NULL ? hex : "");
    }
  gtk_stack_set_visible_child_name (self->stack, "signals");
}

/* While the workflow reads the version and the signals: what it is doing. */
void
ff_before_page_show_reading (FfBeforePage *self,
                             const char   *message)
{
  g_return_if_fail (FF_IS_BEFORE_PAGE (self));

  adw_status_page_set_description (self->reading_status, message);
  gtk_stack_set_visible_child_name (self->stack, "reading");
}
