/* A dialog in which a supervisor the task names confirms with a PIN (see ff-supervisor-dialog.h). */
#include "config.h"

#include "ff-supervisor-dialog.h"

#include <glib/gi18n-lib.h>

#include "ff-supervisor.h"

static void
fields_changed (AdwMessageDialog *dialog)
{
  GtkEditable *reason = g_object_get_data (G_OBJECT (dialog), "reason");
  const char *response_id = g_object_get_data (G_OBJECT (dialog), "response-id");
  g_autofree char *why = g_strstrip (g_strdup (reason != NULL ? gtk_editable_get_text (reason)
                                                              : "-"));

  adw_message_dialog_set_response_enabled (
    dialog, response_id,
    ff_supervisor_pin_is_valid (ff_supervisor_dialog_get_pin (dialog)) && why[0] != '\0');
}

AdwMessageDialog *
ff_supervisor_dialog_new (GtkWindow    *parent,
                          const FfTask *task,
                          const char   *heading,
                          const char   *body,
                          const char   *response_id,
                          const char   *response_label,
                          gboolean      with_reason,
                          GtkWidget    *extra)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, heading, body));
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *supervisor = adw_combo_row_new ();
  GtkWidget *pin = adw_password_entry_row_new ();
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  for (guint i = 0; i < task->supervisors->len; i++)
    gtk_string_list_append (names, ((FfSupervisor *) g_ptr_array_index (task->supervisors,
                                                                         i))->name);
  adw_combo_row_set_model (ADW_COMBO_ROW (supervisor), G_LIST_MODEL (names));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (supervisor), _("Supervisor"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (pin), _("Supervisor PIN"));
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_list_box_append (GTK_LIST_BOX (list), supervisor);
  gtk_list_box_append (GTK_LIST_BOX (list), pin);
  if (with_reason)
    {
      GtkWidget *reason = adw_entry_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (reason), _("Reason"));
      gtk_list_box_append (GTK_LIST_BOX (list), reason);
      g_object_set_data (G_OBJECT (dialog), "reason", reason);
      g_signal_connect_swapped (reason, "changed", G_CALLBACK (fields_changed), dialog);
    }
  if (extra != NULL)
    gtk_box_append (GTK_BOX (content), extra);
  gtk_box_append (GTK_BOX (content), list);
  adw_message_dialog_set_extra_child (dialog, content);

  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), response_id, response_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, response_id, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_enabled (dialog, response_id, FALSE);
  adw_message_dialog_set_close_response (dialog, "cancel");

  g_object_set_data (G_OBJECT (dialog), "supervisor", supervisor);
  g_object_set_data (G_OBJECT (dialog), "pin", pin);
  g_object_set_data_full (G_OBJECT (dialog), "response-id", g_strdup (response_id), g_free);
  g_signal_connect_swapped (pin, "changed", G_CALLBACK (fields_changed), dialog);
  return dialog;
}

const char *
ff_supervisor_dialog_get_supervisor (AdwMessageDialog *dialog)
{
  GtkStringObject *name =
    adw_combo_row_get_selected_item (g_object_get_data (G_OBJECT (dialog), "supervisor"));

  return name != NULL ? gtk_string_object_get_string (name) : NULL;
}

const char *
ff_supervisor_dialog_get_pin (AdwMessageDialog *dialog)
{
  return gtk_editable_get_text (g_object_get_data (G_OBJECT (dialog), "pin"));
}

const char *
ff_supervisor_dialog_get_reason (AdwMessageDialog *dialog)
{
  GtkEditable *reason = g_object_get_data (G_OBJECT (dialog), "reason");

  return reason != NULL ? gtk_editable_get_text (reason) : "";
}
