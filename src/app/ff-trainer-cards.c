/* The trainer's scenario cards: a dialog with one choice of card per training terminal; dealing
 * them changes each simulated terminal's behaviour from its next connection. */
#include "config.h"

#include "ff-trainer-cards.h"

#include <adwaita.h>
#include <glib/gi18n-lib.h>

#define CARD_ROWS_KEY "ff-card-rows"

static GtkStringList *
make_card_titles (void)
{
  guint n_cards;
  const FfTrainingCard *cards = ff_training_get_cards (&n_cards);
  GtkStringList *titles = gtk_string_list_new (NULL);

  for (guint i = 0; i < n_cards; i++)
    gtk_string_list_append (titles, _(cards[i].title));
  return titles;
}

static guint
find_card (const char *scenario)
{
  guint n_cards;
  const FfTrainingCard *cards = ff_training_get_cards (&n_cards);

  for (guint i = 0; i < n_cards; i++)
    if (g_str_equal (cards[i].scenario, scenario))
      return i;
  return 0;
}

static void
cards_responded (AdwMessageDialog *dialog,
                 const char       *response,
                 FfTraining       *training)
{
  GPtrArray *rows = g_object_get_data (G_OBJECT (dialog), CARD_ROWS_KEY);
  guint n_cards;
  const FfTrainingCard *cards = ff_training_get_cards (&n_cards);

  if (!g_str_equal (response, "deal"))
    return;

  for (guint i = 0; i < rows->len; i++)
    {
      AdwComboRow *row = g_ptr_array_index (rows, i);
      const char *device_id = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
      g_autoptr(GError) error = NULL;

      if (!ff_training_set_scenario (training, device_id,
                                     cards[adw_combo_row_get_selected (row)].scenario, &error))
        g_warning ("%s", error->message);
    }
}

void
ff_trainer_cards_present (GtkWindow  *parent,
                          FfTraining *training)
{
  const FfTask *task = ff_training_get_task (training);
  GtkWidget *dialog;
  GtkWidget *list = gtk_list_box_new ();
  g_autoptr(GtkStringList) titles = make_card_titles ();
  GPtrArray *rows = g_ptr_array_new ();

  dialog = adw_message_dialog_new (parent, _("Scenario Cards"),
                                   _("Deal a fault to each terminal. The trainee meets it at the "
                                     "next connection to that terminal."));
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; i < task->items->len; i++)
    {
      const FfTaskItem *item = g_ptr_array_index (task->items, i);
      GtkWidget *row = adw_combo_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), item->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), item->device_id);
      adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (titles));
      adw_combo_row_set_selected (ADW_COMBO_ROW (row),
                                  find_card (ff_training_get_scenario (training, item->device_id)));
      gtk_list_box_append (GTK_LIST_BOX (list), row);
      g_ptr_array_add (rows, row);
    }
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  g_object_set_data_full (G_OBJECT (dialog), CARD_ROWS_KEY, rows,
                          (GDestroyNotify) g_ptr_array_unref);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "deal", _("_Deal the Cards"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "deal",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "deal");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (cards_responded), training, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}
