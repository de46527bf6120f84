/* The trainer's scenario cards: a dialog with one choice of card per training terminal, showing
 * what each terminal runs now; dealing changes only the terminals whose card the trainer changed,
 * from their next connection. */
#include "config.h"

#include "ff-trainer-cards.h"

#include <adwaita.h>
#include <glib/gi18n-lib.h>

#define CARD_ROWS_KEY "ff-card-rows"
/* On each row: its terminal, and the position it was dealt at when the dialog opened. */
#define DEVICE_ID_KEY "ff-device-id"
#define DEALT_KEY "ff-dealt"

/* The card of @scenario, or @n_cards when it is none of them (given on the command line). */
static guint
find_card (const char *scenario)
{
  guint n_cards;
  const FfTrainingCard *cards = ff_training_get_cards (&n_cards);

  for (guint i = 0; i < n_cards; i++)
    if (g_str_equal (cards[i].scenario, scenario))
      return i;
  return n_cards;
}

/* Every card, and after them the scenario running when it is not a card. */
static GtkStringList *
make_choices (const char *running)
{
  guint n_cards;
  const FfTrainingCard *cards = ff_training_get_cards (&n_cards);
  GtkStringList *choices = gtk_string_list_new (NULL);
  g_autofree char *other = NULL;

  for (guint i = 0; i < n_cards; i++)
    gtk_string_list_append (choices, _(cards[i].title));
  if (find_card (running) == n_cards)
    {
      /* Translators: a simulator scenario that is none of the cards, e.g. "Running:
       * checksum-error segment=5". */
      other = g_strdup_printf (_("Running: %s"), running);
      gtk_string_list_append (choices, other);
    }
  return choices;
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
      const char *device_id = g_object_get_data (G_OBJECT (row), DEVICE_ID_KEY);
      guint chosen = adw_combo_row_get_selected (row);
      g_autoptr(GError) error = NULL;

      /* A terminal the trainer left alone keeps what it runs (a scenario that is no card is only
       * ever the one dealt). */
      if (chosen == GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), DEALT_KEY)))
        continue;
      if (!ff_training_set_scenario (training, device_id, cards[chosen].scenario, &error))
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
  GPtrArray *rows = g_ptr_array_new ();
  guint n_cards;

  ff_training_get_cards (&n_cards);

  dialog = adw_message_dialog_new (parent, _("Scenario Cards"),
                                   _("Deal a fault to each terminal. The trainee meets it at the "
                                     "next connection to that terminal."));
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; i < task->items->len; i++)
    {
      const FfTaskItem *item = g_ptr_array_index (task->items, i);
      const char *running = ff_training_get_scenario (training, item->device_id);
      g_autoptr(GtkStringList) choices = make_choices (running);
      GtkWidget *row = adw_combo_row_new ();
      guint dealt = find_card (running);
      g_autofree char *subtitle = NULL;

      /* Translators: a terminal's device ID and the simulator scenario it runs, which is none of
       * the cards, e.g. "DTU0102 · checksum-error segment=5". */
      subtitle = dealt < n_cards ? g_strdup (item->device_id)
                                 : g_strdup_printf (_("%s · %s"), item->device_id, running);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), item->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      g_object_set_data_full (G_OBJECT (row), DEVICE_ID_KEY, g_strdup (item->device_id), g_free);
      adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (choices));
      adw_combo_row_set_selected (ADW_COMBO_ROW (row), dealt);
      g_object_set_data (G_OBJECT (row), DEALT_KEY, GUINT_TO_POINTER (dealt));
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
