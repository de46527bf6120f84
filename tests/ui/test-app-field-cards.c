/* Training runs dealt by scenario cards through the trainer's dialog: the scenario given on the
 * command line shown as running and left alone by deals, and a wrong terminal, an upgrade refused,
 * a signal drifting after the upgrade (rolled back) and a terminal already current, each run by
 * the trainee through the real window to its report. */
#include "config.h"

#include <adwaita.h>

#include "ff-test-fixtures.h"
#include "ff-training.h"
#include "ff-ui-test-tablet.h"
#include "ff-ui-test.h"
#include "ff-window.h"

/* Presses the button of @action_name on the visible page, as a finger would. */
static void
press (FfWindow   *window,
       const char *action_name)
{
  ff_ui_test_press (ff_ui_test_visible_page (window), action_name);
}

static gboolean
training_ready (gpointer window)
{
  return g_strcmp0 (ff_window_get_page_name (FF_WINDOW (window)), "task") == 0;
}

typedef struct
{
  FfWindow   *window;
  FfWorkflow *before;
} NewRunQuery;

static gboolean
workflow_started (gpointer data)
{
  const NewRunQuery *query = data;
  FfWorkflow *workflow = ff_window_get_workflow (query->window);

  return workflow != NULL && workflow != query->before;
}

/* Walks to @device_id, presses "I Am at the Terminal" and waits until the visit reaches @state. */
static void
visit (FfWindow        *window,
       const char      *device_id,
       FfWorkflowState  state)
{
  NewRunQuery started = { window, ff_window_get_workflow (window) };
  FfUiTestStateQuery reached = { window, state };

  gtk_widget_activate_action (GTK_WIDGET (window), "win.navigate-to", "s", device_id);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "navigate");
  press (window, "win.walk-there");
  press (window, "win.start-upgrade");
  ff_ui_test_wait_until (workflow_started, &started, "the visit to start");
  g_assert_cmpstr (ff_workflow_get_device_id (ff_window_get_workflow (window)), ==, device_id);
  ff_ui_test_wait_until (ff_ui_test_workflow_state_is, &reached,
                         ff_workflow_state_to_string (state));
}

/* Gives the go-ahead from the Before page. */
static void
give_go_ahead (FfWindow *window)
{
  press (window, "before.upgrade");
}

/* The report is saved and the run is over: the way to the next terminal is open. */
static gboolean
run_finished (gpointer data)
{
  FfWindow *window = FF_WINDOW (data);
  GtkWidget *next = ff_ui_test_find (ff_window_get_page (window, "report"),
                                     ff_ui_test_is_button_for, "win.next-terminal");

  return ff_workflow_get_state (ff_window_get_workflow (window)) == FF_WORKFLOW_STATE_DONE
         && gtk_widget_is_sensitive (next) && ff_ui_test_run_stopped (window);
}

/* The report page names the outcome in the words of the saved report (which it reads in a
 * worker), so the title is waited for. */
static void
assert_report_says (FfWindow   *window,
                    const char *outcome)
{
  FfUiTestQuery query;

  ff_ui_test_wait_until (run_finished, window, "the report");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
  query = (FfUiTestQuery) { ff_ui_test_visible_page (window), outcome };
  ff_ui_test_wait_until (ff_ui_test_row_titled_shown, &query, "the report's outcome");
}

/* Opens the trainer's dialog, picks @titles[i] for the terminal named @names[i] (the others are
 * left as they are) and deals. */
static void
deal_cards (FfWindow          *window,
            const char *const *names,
            const char *const *titles)
{
  AdwMessageDialog *dialog;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.trainer-cards", NULL);
  dialog = ff_ui_test_find_dialog ();
  g_assert_nonnull (dialog);
  for (guint i = 0; names[i] != NULL; i++)
    {
      GtkWidget *row = ff_ui_test_find (GTK_WIDGET (dialog), ff_ui_test_is_row_titled, names[i]);
      GListModel *choices = adw_combo_row_get_model (ADW_COMBO_ROW (row));
      guint n = g_list_model_get_n_items (choices);
      guint chosen = n;

      for (guint k = 0; k < n; k++)
        if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (choices), k), titles[i]))
          chosen = k;
      g_assert_cmpuint (chosen, <, n);
      adw_combo_row_set_selected (ADW_COMBO_ROW (row), chosen);
    }
  ff_ui_test_respond (dialog, "_Deal the Cards");
}

static const char *
selected_card (AdwComboRow *row)
{
  return gtk_string_list_get_string (GTK_STRING_LIST (adw_combo_row_get_model (row)),
                                     adw_combo_row_get_selected (row));
}

/* A trainer deals three more cards through the dialog and the trainee runs each terminal to the
 * outcome the card stands for; the scenario given on the command line is shown as running and is
 * never reset by a deal that leaves its terminal alone; the fourth terminal is already current. */
static void
test_training_cards (void)
{
  static const char *const first_names[] = {
    "Ring main unit 1, Renmin Road", "Ring main unit 3, Hankou Road", NULL
  };
  static const char *const first_cards[] = { "Wrong terminal", "Upgrade refused", NULL };
  static const char *const second_names[] = { "Ring main unit 2, Fuzhou Road", NULL };
  static const char *const second_cards[] = { "Signal drift after upgrade", NULL };
  static const char *const statuses[] = {
    "DTU0101 · Failed", "DTU0102 · Failed", "DTU0103 · Failed", "DTU0104 · Done",
  };
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_ui_test_make_context (gps);
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  FfTraining *training;
  AdwMessageDialog *dialog;
  GtkWidget *row;

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.start-training", "s",
                              "checksum-error segment=5");
  ff_ui_test_wait_until (training_ready, window, "the training task");
  training = ff_context_get_training (context);

  /* The trainer sees what each terminal runs, the command line's scenario too. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.trainer-cards", NULL);
  dialog = ff_ui_test_find_dialog ();
  row = ff_ui_test_find (GTK_WIDGET (dialog), ff_ui_test_is_row_titled,
                         "Ring main unit 2, Fuzhou Road");
  g_assert_cmpstr (selected_card (ADW_COMBO_ROW (row)), ==, "Running: checksum-error segment=5");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   "DTU0102 · checksum-error segment=5");
  row = ff_ui_test_find (GTK_WIDGET (dialog), ff_ui_test_is_row_titled,
                         "Ring main unit 1, Renmin Road");
  g_assert_cmpstr (selected_card (ADW_COMBO_ROW (row)), ==, "Healthy terminal");
  ff_ui_test_save_screenshot (GTK_WIDGET (dialog), "field-trainer-cards.png");
  ff_ui_test_respond (dialog, "_Cancel");

  deal_cards (window, first_names, first_cards);
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0101"), ==,
                   "wrong-device-id id=DTU0999");
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0103"), ==, "file-name-refused");
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0102"), ==, "checksum-error segment=5");
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0104"), ==, "none");

  /* Wrong terminal: a full stop on the Connect page, waiting for the technician, who leaves. */
  visit (window, "DTU0101", FF_WORKFLOW_STATE_IDENTITY_MISMATCH);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "connect");
  g_assert_cmpstr (ff_ui_test_visible_stack_child (ff_ui_test_visible_page (window)), ==,
                   "mismatch");
  ff_window_show_page (window, "task");
  {
    FfUiTestQuery query = { ff_window_get_page (window, "task"), "DTU0101 · Waiting for you" };

    ff_ui_test_wait_until (ff_ui_test_row_shown, &query, "the day's list to say the visit waits");
  }
  ff_window_show_page (window, "connect");
  press (window, "connect.leave");
  assert_report_says (window, "Wrong device ID: not upgraded");

  /* Upgrade refused: the push fails on a terminal that still runs the previous firmware, where a
   * rollback cannot help; none is offered, and the report is written at once. */
  visit (window, "DTU0103", FF_WORKFLOW_STATE_CONFIRM);
  give_go_ahead (window);
  assert_report_says (window, "Upgrade failed");

  /* A second deal changes only the terminal the trainer touched. */
  deal_cards (window, second_names, second_cards);
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0102"), ==,
                   "signal-drift signal=current percent=25");
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0101"), ==,
                   "wrong-device-id id=DTU0999");
  g_assert_cmpstr (ff_training_get_scenario (training, "DTU0103"), ==, "file-name-refused");

  /* A signal off after the upgrade: failed, roll back offered as the primary action; rolled
   * back. */
  visit (window, "DTU0102", FF_WORKFLOW_STATE_CONFIRM);
  give_go_ahead (window);
  {
    FfUiTestStateQuery failed = { window, FF_WORKFLOW_STATE_FAILED };

    ff_ui_test_wait_until (ff_ui_test_workflow_state_is, &failed,
                           "the drifted signal to fail the judgement");
  }
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "after");
  g_assert_true (ff_workflow_can_roll_back (ff_window_get_workflow (window)));
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "field-signal-drift-after-1280x800.png");
  press (window, "after.rollback");
  assert_report_says (window, "Rolled back to the previous firmware");

  /* Already current: nothing to push, and the report says so. */
  visit (window, "DTU0104", FF_WORKFLOW_STATE_DONE);
  assert_report_says (window, "Already current");
  {
    FfUiTestQuery query = { ff_ui_test_visible_page (window), "V2.00 (unchanged)" };

    ff_ui_test_wait_until (ff_ui_test_row_shown, &query, "the versions of the report");
  }

  /* The day's list: three failed visits and one done. */
  ff_window_show_page (window, "task");
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      FfUiTestQuery query = { ff_window_get_page (window, "task"), statuses[i] };

      ff_ui_test_wait_until (ff_ui_test_row_shown, &query, statuses[i]);
    }
  ff_ui_test_save_screenshot (GTK_WIDGET (window), "field-training-task-1280x800.png");

  ff_ui_test_destroy_window (window);
}

int
main (int   argc,
      char *argv[])
{
  ff_ui_test_init (&argc, &argv);

  g_test_add_func ("/app/field/training-cards", test_training_cards);
  return g_test_run ();
}
