/* A scripted run through training mode on the real window: one clean terminal and one whose push
 * fails, from the task list to a saved report, pressing the buttons a trainee presses and checking
 * what the screen shows. */
#include "config.h"

#include <adwaita.h>

#include "ff-context.h"
#include "ff-gps-simulated.h"
#include "ff-task-page.h"
#include "ff-window.h"

#define STEP_DEADLINE_S 60

typedef gboolean (*Condition) (FfWindow *window);

static gboolean
deadline_passed (gpointer user_data)
{
  g_error ("timed out waiting for %s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

static void
wait_until (FfWindow   *window,
            Condition   condition,
            const char *what)
{
  guint watchdog = g_timeout_add_seconds (STEP_DEADLINE_S, deadline_passed, (gpointer) what);

  while (!condition (window))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
}

static GtkWidget *
find_widget (GtkWidget *widget,
             gboolean (*match) (GtkWidget *, gconstpointer),
             gconstpointer data)
{
  if (match (widget, data))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_button_for_action (GtkWidget     *widget,
                      gconstpointer  action_name)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0;
}

static gboolean
is_stack (GtkWidget     *widget,
          gconstpointer  unused)
{
  return GTK_IS_STACK (widget);
}

static gboolean
is_row_titled (GtkWidget     *widget,
               gconstpointer  title)
{
  return ADW_IS_ACTION_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* Presses the button of @action_name on the visible page, as a finger would: it must be there and
 * sensitive. */
static void
press (FfWindow   *window,
       const char *action_name)
{
  GtkWidget *page = ff_window_get_page (window, ff_window_get_page_name (window));
  GtkWidget *button = find_widget (page, is_button_for_action, action_name);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_drawable (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static const char *
visible_view (FfWindow *window)
{
  GtkWidget *page = ff_window_get_page (window, ff_window_get_page_name (window));
  GtkWidget *stack = find_widget (page, is_stack, NULL);

  g_assert_nonnull (stack);
  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

static gboolean
training_ready (FfWindow *window)
{
  return g_strcmp0 (ff_window_get_page_name (window), "task") == 0;
}

static gboolean
waiting_for_confirmation (FfWindow *window)
{
  FfWorkflow *workflow = ff_window_get_workflow (window);

  return workflow != NULL && ff_workflow_get_state (workflow) == FF_WORKFLOW_STATE_CONFIRM;
}

static gboolean
failed_or_done (FfWindow *window)
{
  FfWorkflowState state = ff_workflow_get_state (ff_window_get_workflow (window));

  return state == FF_WORKFLOW_STATE_FAILED || state == FF_WORKFLOW_STATE_DONE;
}

/* The report is saved and the run is over: upgrading is possible again. */
static gboolean
run_finished (FfWindow *window)
{
  return ff_workflow_get_state (ff_window_get_workflow (window)) == FF_WORKFLOW_STATE_DONE
         && gtk_widget_is_sensitive (find_widget (ff_window_get_page (window, "report"),
                                                  is_button_for_action, "win.next-terminal"));
}

static gboolean
first_terminal_listed_done (FfWindow *window)
{
  FfTaskPage *task_page = FF_TASK_PAGE (ff_window_get_page (window, "task"));

  return g_strcmp0 (ff_task_page_get_next_device_id (task_page), "DTU0101") != 0;
}

static void
upgrade_until_report (FfWindow   *window,
                      const char *device_id)
{
  gtk_widget_activate_action (GTK_WIDGET (window), "win.navigate-to", "s", device_id);
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "navigate");
  press (window, "win.walk-there");
  press (window, "win.start-upgrade");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "connect");

  wait_until (window, waiting_for_confirmation, "the push to wait for confirmation");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "push");
  g_assert_cmpstr (visible_view (window), ==, "confirm");
  press (window, "push.confirm");
  wait_until (window, failed_or_done, "the upgrade to end");
}

static void
test_training_run (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(FfGpsSimulated) gps = ff_gps_simulated_new ();
  g_autoptr(FfContext) context = ff_context_new (settings, FF_GPS_SOURCE (gps));
  FfWindow *window = g_object_ref (ff_window_new (NULL, context));
  GtkWidget *report_page = ff_window_get_page (window, "report");

  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "welcome");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.start-training", "s",
                              "checksum-error segment=3");
  wait_until (window, training_ready, "the training task");
  g_assert_cmpstr (visible_view (window), ==, "terminals");

  /* The clean terminal: upgraded, and the report says so. */
  upgrade_until_report (window, "DTU0101");
  wait_until (window, run_finished, "the first report");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
  g_assert_cmpstr (visible_view (window), ==, "summary");
  g_assert_nonnull (find_widget (report_page, is_row_titled, "Upgraded"));

  /* "Next terminal" leads straight to the navigation of one still to do. */
  wait_until (window, first_terminal_listed_done, "the task list to know the first is done");
  press (window, "win.next-terminal");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "navigate");

  /* The terminal that refuses a segment: the run stops, the technician finishes it, and the report
   * says it failed. */
  upgrade_until_report (window, "DTU0102");
  if (ff_workflow_get_state (ff_window_get_workflow (window)) == FF_WORKFLOW_STATE_FAILED)
    {
      g_assert_cmpstr (ff_window_get_page_name (window), ==, "after");
      g_assert_cmpstr (visible_view (window), ==, "failed");
      press (window, "after.close");
    }
  wait_until (window, run_finished, "the second report");
  g_assert_cmpstr (ff_window_get_page_name (window), ==, "report");
  g_assert_null (find_widget (report_page, is_row_titled, "Upgraded"));
  g_assert_nonnull (find_widget (report_page, is_row_titled, "Upgrade failed"));

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/training/clean-and-failing", test_training_run);
  return g_test_run ();
}
