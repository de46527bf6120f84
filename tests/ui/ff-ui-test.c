/* What the UI tests share: finding widgets by what a person sees (labels, row titles, the action a
 * button triggers), waiting for a drawn frame, writing screenshots to meson-logs/screenshots, and
 * running a terminal's real workflow against the training session's simulated terminals. */
#include "config.h"

#include "ff-ui-test.h"

#include <glib/gstdio.h>
#include <math.h>
#if HAVE_SHUMATE
#include <shumate/shumate.h>
#endif

#define FF_FRAME_DEADLINE_S 10
#define FF_FRAME_ATTEMPTS 10
/* How much larger than on screen a frame is drawn to measure a label's contrast: on screen, a
 * glyph whose thin strokes fall between pixels (the digits of a time, at a fractional position)
 * may have no pixel it covers whole, and its text then reads paler than its style makes it; four
 * times larger, every stroke covers whole pixels, in the same colours. */
#define FF_CONTRAST_SCALE 4
/* Fails a test that hangs instead of letting it run until meson kills it. */
#define FF_WAIT_DEADLINE_S 60
/* Enough to see the push on a page, small enough to keep the tests quick. */
#define FF_TEST_IMAGE_SIZE (32 * 1024)

GtkWidget *
ff_ui_test_find (GtkWidget     *root,
                 FfWidgetMatch  match,
                 gconstpointer  data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ff_ui_test_find (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

gboolean
ff_ui_test_is_type (GtkWidget     *widget,
                    gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

gboolean
ff_ui_test_is_button_for (GtkWidget     *widget,
                          gconstpointer  action_name)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0;
}

gboolean
ff_ui_test_is_label (GtkWidget     *widget,
                     gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0;
}

gboolean
ff_ui_test_is_row_titled (GtkWidget     *widget,
                          gconstpointer  title)
{
  return ADW_IS_PREFERENCES_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* A label on screen (a toast's title, for instance) that mentions @word. */
gboolean
ff_ui_test_is_label_mentioning (GtkWidget     *widget,
                                gconstpointer  word)
{
  return GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget)
         && strstr (gtk_label_get_label (GTK_LABEL (widget)), word) != NULL;
}

/* A wait that times out says where each window's visit stood: its page, state and last message. */
static gboolean
wait_deadline_passed (gpointer user_data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  g_autoptr(GString) where = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);
      FfWorkflow *workflow;

      if (!FF_IS_WINDOW (toplevel))
        continue;
      workflow = ff_window_get_workflow (FF_WINDOW (toplevel));
      g_string_append_printf (where, " (page %s", ff_window_get_page_name (FF_WINDOW (toplevel)));
      if (workflow != NULL)
        g_string_append_printf (where, ", workflow %s: %s",
                                ff_workflow_state_to_string (ff_workflow_get_state (workflow)),
                                ff_workflow_get_message (workflow));
      g_string_append_c (where, ')');
    }
  g_error ("waited %u s in vain for %s%s", ff_test_deadline_s (FF_WAIT_DEADLINE_S),
           (const char *) user_data, where->str);
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until @condition holds; a test that hangs fails, naming @what. */
void
ff_ui_test_wait_until (FfUiTestCondition  condition,
                       gpointer           data,
                       const char        *what)
{
  guint watchdog = g_timeout_add_seconds (ff_test_deadline_s (FF_WAIT_DEADLINE_S),
                                          wait_deadline_passed,
                                          (gpointer) what);

  while (!condition (data))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
}

static gboolean
mark_settled (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* As ff_ui_test_wait_until(), but between two checks the app runs as its own main loop would
 * before it sleeps: until nothing it queued above G_PRIORITY_LOW, its idle callbacks included, is
 * left. For a check that draws: one iteration per check hands the turn to the most urgent source
 * only, and where drawing takes longer than the app's one-second timeouts (under emulation) one of
 * them is always due and no idle callback ever runs. Not for a state the app only passes through:
 * the app goes on past it before the check. */
void
ff_ui_test_wait_until_settled (FfUiTestCondition  condition,
                               gpointer           data,
                               const char        *what)
{
  guint watchdog = g_timeout_add_seconds (ff_test_deadline_s (FF_WAIT_DEADLINE_S),
                                          wait_deadline_passed,
                                          (gpointer) what);

  while (!condition (data))
    {
      gboolean settled = FALSE;

      /* Blocks until something happens, then lets what it queued run. */
      g_main_context_iteration (NULL, TRUE);
      g_idle_add_full (G_PRIORITY_LOW, mark_settled, &settled, NULL);
      while (!settled)
        g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (watchdog);
}

gboolean
ff_ui_test_flag_set (gpointer flag)
{
  return *(const gboolean *) flag;
}

static gboolean
is_row_with_subtitle (GtkWidget     *widget,
                      gconstpointer  subtitle)
{
  return ADW_IS_ACTION_ROW (widget)
         && g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)), subtitle) == 0;
}

const char *
ff_ui_test_row_subtitle (GtkWidget  *root,
                         const char *title)
{
  GtkWidget *row = ff_ui_test_find (root, ff_ui_test_is_row_titled, title);

  g_assert_nonnull (row);
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
}

gboolean
ff_ui_test_row_shown (gpointer query)
{
  const FfUiTestQuery *row_query = query;
  GtkWidget *row = ff_ui_test_find (row_query->root, is_row_with_subtitle, row_query->text);

  return row != NULL && gtk_widget_is_drawable (row);
}

gboolean
ff_ui_test_row_titled_shown (gpointer query)
{
  const FfUiTestQuery *row_query = query;
  GtkWidget *row = ff_ui_test_find (row_query->root, ff_ui_test_is_row_titled, row_query->text);

  return row != NULL && gtk_widget_is_drawable (row);
}

gboolean
ff_ui_test_page_is (gpointer query)
{
  const FfUiTestQuery *page_query = query;

  return g_strcmp0 (ff_window_get_page_name (FF_WINDOW (page_query->root)), page_query->text) == 0;
}

gboolean
ff_ui_test_workflow_state_is (gpointer query)
{
  const FfUiTestStateQuery *state_query = query;
  FfWorkflow *workflow = ff_window_get_workflow (state_query->window);

  return workflow != NULL && ff_workflow_get_state (workflow) == state_query->state;
}

/* The run is over when a new one may start: "I Am at the Terminal" can be pressed again. */
gboolean
ff_ui_test_run_stopped (gpointer window)
{
  GtkWidget *navigate = ff_window_get_page (FF_WINDOW (window), "navigate");

  return gtk_widget_is_sensitive (ff_ui_test_find (navigate, ff_ui_test_is_button_for,
                                                   "win.start-upgrade"));
}

GtkWidget *
ff_ui_test_visible_page (FfWindow *window)
{
  return ff_window_get_page (window, ff_window_get_page_name (window));
}

static gboolean
pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Work under way holds the window until its result has come back through the main loop. */
void
ff_ui_test_destroy_window (gpointer window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  g_object_unref (window);
  ff_ui_test_wait_until (pointer_cleared, &window, "the window to finalize");
}

/* Presses the button of @action_name under @root, as a finger would: it must be there, on screen
 * and sensitive. */
void
ff_ui_test_press (GtkWidget  *root,
                  const char *action_name)
{
  GtkWidget *button = ff_ui_test_find (root, ff_ui_test_is_button_for, action_name);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_drawable (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

AdwMessageDialog *
ff_ui_test_find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (toplevel))
        return ADW_MESSAGE_DIALOG (toplevel);
    }
  return NULL;
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

/* Clicks the response button labelled @label, which also closes the dialog. */
void
ff_ui_test_respond (AdwMessageDialog *dialog,
                    const char       *label)
{
  GtkWidget *button = ff_ui_test_find (GTK_WIDGET (dialog), is_button_labelled, label);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
}

/* The view a page shows: the visible child of its (first) stack. */
const char *
ff_ui_test_visible_stack_child (GtkWidget *page)
{
  GtkWidget *stack = ff_ui_test_find_type (page, GTK_TYPE_STACK);

  g_assert_nonnull (stack);
  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

void
ff_ui_test_init (int    *argc,
                 char ***argv)
{
  gtk_test_init (argc, argv, NULL);
  adw_init ();
  ff_ui_test_load_app_style ();
}

/* What AdwApplication does for the app from its resource base path, here without an application. */
void
ff_ui_test_load_app_style (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();

  gtk_css_provider_load_from_resource (provider, "/org/fieldflash/Fieldflash/style.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (display),
                                    "/org/fieldflash/Fieldflash/icons");
  /* A screenshot shows the page, not the middle of the slide towards it. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
}

static gboolean
deadline_passed (gpointer user_data)
{
  g_error ("no frame was drawn within %u s", ff_test_deadline_s (FF_FRAME_DEADLINE_S));
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GtkWidget    *window;
  gboolean      keep;     /* whether to keep the image painted */
  GdkPaintable *frame;    /* the window as painted */
  gboolean      painted;
} FfPaint;

static void
frame_painted (GdkFrameClock *frame_clock,
               FfPaint       *paint)
{
  /* Taken at once: whatever queues a draw before the next frame drops the window's image. */
  if (paint->keep)
    {
      g_autoptr(GdkPaintable) live = gtk_widget_paintable_new (paint->window);

      g_clear_object (&paint->frame);
      paint->frame = gdk_paintable_get_current_image (live);
    }
  paint->painted = TRUE;
}

/* Waits until @window has been laid out and painted anew — after the paint, not at the frame's
 * tick, when a change to a page may still wait for its layout — and returns what was painted
 * when @keep. */
static GdkPaintable *
wait_for_paint (GtkWidget *window,
                gboolean   keep)
{
  GdkFrameClock *frame_clock = gtk_widget_get_frame_clock (window);
  FfPaint paint = { window, keep, NULL, FALSE };
  guint watchdog = g_timeout_add_seconds (ff_test_deadline_s (FF_FRAME_DEADLINE_S),
                                         deadline_passed, NULL);
  gulong handler;

  g_assert_nonnull (frame_clock);
  handler = g_signal_connect (frame_clock, "after-paint", G_CALLBACK (frame_painted), &paint);
  gtk_widget_queue_draw (window);
  while (!paint.painted)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (frame_clock, handler);
  g_source_remove (watchdog);
  return paint.frame;
}

void
ff_ui_test_wait_for_frame (GtkWidget *window)
{
  wait_for_paint (window, FALSE);
}

GskRenderNode *
ff_ui_test_draw (GtkWidget *window)
{
  GskRenderNode *node = NULL;

  /* A frame in which the window waits for its new size paints nothing: take the next one. */
  for (guint attempt = 0; node == NULL && attempt < FF_FRAME_ATTEMPTS; attempt++)
    {
      g_autoptr(GdkPaintable) frame = wait_for_paint (window, TRUE);
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      gdk_paintable_snapshot (frame, snapshot, gtk_widget_get_width (window),
                              gtk_widget_get_height (window));
      node = gtk_snapshot_free_to_node (snapshot);
    }
  g_assert_nonnull (node);
  return node;
}

/* The window's pixels of @frame (a frame of @window): the renderer draws it at its size. */
static GdkTexture *
render_frame (GtkWidget     *window,
              GskRenderNode *frame)
{
  return gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), frame,
                                      &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (window),
                                                           gtk_widget_get_height (window)));
}

GdkTexture *
ff_ui_test_render (GtkWidget *window)
{
  g_autoptr(GskRenderNode) frame = ff_ui_test_draw (window);

  return render_frame (window, frame);
}

#if HAVE_SHUMATE
/* The share of the map's pixels its tiles cover: drawn on its own, a map shows nothing where a
 * tile is not in yet (the card under it shows through), and a tile covers its square whole. */
double
ff_ui_test_map_coverage (GtkWidget *map)
{
  g_autoptr(GdkPaintable) live = gtk_widget_paintable_new (map);
  g_autoptr(GdkPaintable) frame = gdk_paintable_get_current_image (live);
  int width = gtk_widget_get_width (map);
  int height = gtk_widget_get_height (map);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guint32 *pixels = NULL;
  gsize opaque = 0;

  /* Not laid out yet: nothing of it is drawn. */
  if (width == 0 || height == 0)
    return 0;
  gdk_paintable_snapshot (frame, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return 0;
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (map)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  pixels = g_new (guint32, (gsize) width * height);
  /* GDK_MEMORY_DEFAULT: B, G, R, A in memory, so alpha is the top byte of a little-endian word. */
  gdk_texture_download (texture, (guchar *) pixels, (gsize) width * 4);
  for (gsize i = 0; i < (gsize) width * height; i++)
    if (GUINT32_FROM_LE (pixels[i]) >> 24 == 0xff)
      opaque++;
  return (double) opaque / ((double) width * height);
}

/* The map (a ShumateSimpleMap) shows where the tablet and the terminal are, joined by the walking
 * line, over tiles that cover it whole (more than 99 %: a tile's edge may fall on a fraction of a
 * pixel). */
gboolean
ff_ui_test_map_shows_way (gpointer map)
{
  GtkWidget *walk = ff_ui_test_find_type (map, SHUMATE_TYPE_PATH_LAYER);
  g_autoptr(GList) nodes = NULL;

  g_assert_nonnull (walk);
  nodes = shumate_path_layer_get_nodes (SHUMATE_PATH_LAYER (walk));
  return g_list_length (nodes) == 2 && ff_ui_test_map_coverage (map) > 0.99;
}
#endif

/* Draws a frame of @window as it is now, writes it to meson-logs/screenshots/@file_name and returns
 * it as drawn. */
GskRenderNode *
ff_ui_test_take_screenshot (GtkWidget  *window,
                            const char *file_name)
{
  const char *build_dir = g_getenv ("FIELDFLASH_BUILDDIR");
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GskRenderNode) frame = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  g_assert_nonnull (build_dir);
  dir = g_build_filename (build_dir, "meson-logs", "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  path = g_build_filename (dir, file_name, NULL);
  frame = ff_ui_test_draw (window);
  texture = render_frame (window, frame);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("%s", path);
  return g_steal_pointer (&frame);
}

void
ff_ui_test_save_screenshot (GtkWidget  *window,
                            const char *file_name)
{
  g_autoptr(GskRenderNode) frame = ff_ui_test_take_screenshot (window, file_name);
}

static void
training_started (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FfTraining **training = user_data;
  g_autoptr(GError) error = NULL;

  *training = ff_training_new_finish (result, &error);
  g_assert_no_error (error);
}

static gboolean
is_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

FfTraining *
ff_ui_test_start_training (void)
{
  FfTraining *training = NULL;

  ff_training_new_async (NULL, FF_TEST_IMAGE_SIZE, NULL, training_started, &training);
  ff_ui_test_wait_until (is_set, &training, "the training session");
  return training;
}

struct _FfUiTestVisit
{
  FfWorkflow   *workflow;
  GCancellable *cancellable;
  gboolean      running;
};

static void
visit_run_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  FfUiTestVisit *visit = user_data;
  g_autoptr(GError) error = NULL;

  if (!ff_workflow_run_finish (FF_WORKFLOW (source), result, &error))
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  visit->running = FALSE;
}

/* Stands at @device_id, as the trainee who walked there, and runs its workflow. */
FfUiTestVisit *
ff_ui_test_visit_start (FfTraining *training,
                        const char *device_id)
{
  FfUiTestVisit *visit = g_new0 (FfUiTestVisit, 1);
  g_autoptr(GError) error = NULL;

  ff_training_walk_to (training, device_id);
  visit->workflow = ff_training_create_workflow (training, device_id, &error);
  g_assert_no_error (error);
  visit->cancellable = g_cancellable_new ();
  visit->running = TRUE;
  ff_workflow_run_async (visit->workflow, visit->cancellable, visit_run_done, visit);
  return visit;
}

FfWorkflow *
ff_ui_test_visit_get_workflow (FfUiTestVisit *visit)
{
  return visit->workflow;
}

typedef struct
{
  FfUiTestVisit   *visit;
  FfWorkflowState  state;
} VisitAtState;

static gboolean
visit_at_state (gpointer data)
{
  VisitAtState *wanted = data;
  FfWorkflowState state = ff_workflow_get_state (wanted->visit->workflow);

  if (state != wanted->state && !wanted->visit->running)
    g_error ("the visit ended at %s, not at %s", ff_workflow_state_to_string (state),
             ff_workflow_state_to_string (wanted->state));
  return state == wanted->state;
}

/* Iterates the main context until the workflow is at @state; a run that ends elsewhere fails. */
void
ff_ui_test_visit_wait_for (FfUiTestVisit   *visit,
                           FfWorkflowState  state)
{
  VisitAtState wanted = { visit, state };

  ff_ui_test_wait_until (visit_at_state, &wanted, ff_workflow_state_to_string (state));
}

static gboolean
visit_stopped (gpointer data)
{
  return !((FfUiTestVisit *) data)->running;
}

/* Stops the run if it still goes on, waits for it to end and frees @visit. */
void
ff_ui_test_visit_finish (FfUiTestVisit *visit)
{
  g_cancellable_cancel (visit->cancellable);
  ff_ui_test_wait_until (visit_stopped, visit, "the visit's run to end");
  g_object_unref (visit->cancellable);
  g_assert_finalize_object (visit->workflow);
  g_free (visit);
}

void
ff_ui_test_collect_small_targets (GtkWidget  *widget,
                                  const char *where,
                                  GString    *small)
{
  gboolean target = GTK_IS_BUTTON (widget)
                    || (GTK_IS_LIST_BOX_ROW (widget)
                        && gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (widget)))
                    || GTK_IS_TEXT (widget);

  if (!gtk_widget_is_drawable (widget))
    return;
  /* Both ways, and disabled targets too: a finger must hit one once it is enabled. */
  if (target && (gtk_widget_get_width (widget) < FF_UI_TEST_MIN_TARGET_SIZE
                 || gtk_widget_get_height (widget) < FF_UI_TEST_MIN_TARGET_SIZE))
    g_string_append_printf (small, " %s:%s(%d×%d px)", where, G_OBJECT_TYPE_NAME (widget),
                            gtk_widget_get_width (widget), gtk_widget_get_height (widget));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    ff_ui_test_collect_small_targets (child, where, small);
}

static gboolean
is_primary_action (GtkWidget *widget)
{
  if (!GTK_IS_BUTTON (widget))
    return FALSE;
  if (gtk_widget_has_css_class (widget, "suggested-action"))
    return TRUE;
  for (GtkWidget *up = gtk_widget_get_parent (widget); up != NULL; up = gtk_widget_get_parent (up))
    if (gtk_widget_has_css_class (up, "ff-action-bar"))
      return TRUE;
  return FALSE;
}

/* WCAG 2 relative luminance of an sRGB pixel. */
static double
relative_luminance (guint32 rgb)
{
  double channels[3] = { (rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff };

  for (guint i = 0; i < 3; i++)
    {
      double c = channels[i] / 255;

      channels[i] = c <= 0.03928 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
    }
  return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
}

static double
contrast_ratio (guint32 a,
                guint32 b)
{
  double la = relative_luminance (a);
  double lb = relative_luminance (b);

  return (MAX (la, lb) + 0.05) / (MIN (la, lb) + 0.05);
}

double
ff_ui_test_measure_contrast (GskRenderNode *frame,
                             GtkWidget     *window,
                             GtkWidget     *label)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) enlarged = NULL;
  g_autoptr(GdkTexture) box = NULL;
  g_autofree guint32 *pixels = NULL;
  g_autoptr(GHashTable) counts = g_hash_table_new (NULL, NULL);
  graphene_rect_t bounds;
  int x0, y0, x1, y1, width, height;
  guint32 background = 0;
  guint best = 0;
  double ratio = 1;

  /* The label's box on the enlarged frame, whole pixels inside it. */
  g_assert_true (gtk_widget_compute_bounds (label, window, &bounds));
  x0 = MAX (0, (int) ceilf (bounds.origin.x * FF_CONTRAST_SCALE));
  y0 = MAX (0, (int) ceilf (bounds.origin.y * FF_CONTRAST_SCALE));
  x1 = MIN (gtk_widget_get_width (window) * FF_CONTRAST_SCALE,
            (int) floorf ((bounds.origin.x + bounds.size.width) * FF_CONTRAST_SCALE));
  y1 = MIN (gtk_widget_get_height (window) * FF_CONTRAST_SCALE,
            (int) floorf ((bounds.origin.y + bounds.size.height) * FF_CONTRAST_SCALE));
  g_assert_cmpint (x1, >, x0);
  g_assert_cmpint (y1, >, y0);
  gtk_snapshot_scale (snapshot, FF_CONTRAST_SCALE, FF_CONTRAST_SCALE);
  gtk_snapshot_append_node (snapshot, frame);
  enlarged = gtk_snapshot_free_to_node (snapshot);
  box = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), enlarged,
                                     &GRAPHENE_RECT_INIT (x0, y0, x1 - x0, y1 - y0));
  width = gdk_texture_get_width (box);
  height = gdk_texture_get_height (box);
  pixels = g_new (guint32, (gsize) width * height);
  /* CAIRO_FORMAT_ARGB32 in native byte order: 0xAARRGGBB, opaque here. */
  gdk_texture_download (box, (guchar *) pixels, (gsize) width * 4);

  /* The background is the colour most of the label's box has. */
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        gpointer key = GUINT_TO_POINTER (pixels[y * width + x] & 0xffffff);
        guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) + 1;

        g_hash_table_insert (counts, key, GUINT_TO_POINTER (count));
        if (count > best)
          {
            best = count;
            background = GPOINTER_TO_UINT (key);
          }
      }
  /* The text is the pixel that stands out most: a glyph's fully covered core, which the enlarged
   * drawing has in every glyph. */
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      ratio = MAX (ratio, contrast_ratio (pixels[y * width + x] & 0xffffff, background));
  return ratio;
}

double
ff_ui_test_text_size_px (GtkWidget *label)
{
  PangoContext *context = gtk_widget_get_pango_context (label);
  const PangoFontDescription *font = pango_context_get_font_description (context);
  double size = (double) pango_font_description_get_size (font) / PANGO_SCALE;
  double dpi = pango_cairo_context_get_resolution (context);

  if (pango_font_description_get_size_is_absolute (font))
    return size;
  return size * (dpi > 0 ? dpi : 96) / 72;
}

static gboolean
contains_rect (const graphene_rect_t *outer,
               const graphene_rect_t *inner)
{
  /* Half a pixel of slack for fractional layout. */
  return inner->origin.x >= outer->origin.x - 0.5f
         && inner->origin.y >= outer->origin.y - 0.5f
         && inner->origin.x + inner->size.width <= outer->origin.x + outer->size.width + 0.5f
         && inner->origin.y + inner->size.height <= outer->origin.y + outer->size.height + 0.5f;
}

gboolean
ff_ui_test_is_wholly_visible (GtkWidget *window,
                              GtkWidget *widget)
{
  graphene_rect_t bounds, outer;

  if (!gtk_widget_compute_bounds (widget, window, &bounds))
    return FALSE;
  graphene_rect_init (&outer, 0, 0, gtk_widget_get_width (window),
                      gtk_widget_get_height (window));
  if (!contains_rect (&outer, &bounds))
    return FALSE;
  for (GtkWidget *up = gtk_widget_get_parent (widget); up != NULL && up != window;
       up = gtk_widget_get_parent (up))
    if (GTK_IS_SCROLLED_WINDOW (up)
        && (!gtk_widget_compute_bounds (up, window, &outer) || !contains_rect (&outer, &bounds)))
      return FALSE;
  return TRUE;
}

guint
ff_ui_test_collect_unreachable_actions (GtkWidget  *window,
                                        GtkWidget  *widget,
                                        const char *where,
                                        GString    *unreachable)
{
  guint seen = 0;

  if (!gtk_widget_is_drawable (widget))
    return 0;
  if (is_primary_action (widget))
    {
      const char *label = gtk_button_get_label (GTK_BUTTON (widget));

      if (!ff_ui_test_is_wholly_visible (window, widget))
        g_string_append_printf (unreachable, " %s:%s", where,
                                label != NULL ? label : G_OBJECT_TYPE_NAME (widget));
      return 1;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    seen += ff_ui_test_collect_unreachable_actions (window, child, where, unreachable);
  return seen;
}

static gboolean
is_key_reading (GtkWidget *label)
{
  GtkWidget *row;

  if (gtk_widget_has_css_class (label, "ff-reading-label")
      || gtk_widget_has_css_class (label, "ff-reading-large"))
    return TRUE;
  row = gtk_widget_get_ancestor (label, GTK_TYPE_LIST_BOX_ROW);
  return gtk_widget_has_css_class (label, "subtitle") && row != NULL
         && gtk_widget_has_css_class (row, "ff-reading");
}

guint
ff_ui_test_collect_low_contrast (GskRenderNode *frame,
                                 GtkWidget     *window,
                                 GtkWidget     *widget,
                                 const char    *where,
                                 GString       *low)
{
  guint readings = 0;

  if (!gtk_widget_is_drawable (widget))
    return 0;
  /* Disabled text is dimmed on purpose; text cut off by a scrolled view is not all there. */
  if (GTK_IS_LABEL (widget) && gtk_widget_is_sensitive (widget)
      && *gtk_label_get_text (GTK_LABEL (widget)) != '\0' && ff_ui_test_is_wholly_visible (window, widget))
    {
      gboolean key = is_key_reading (widget);
      gboolean body = gtk_widget_has_css_class (widget, "subtitle")
                      || gtk_widget_has_css_class (widget, "dim-label");
      double wanted = key ? FF_UI_TEST_READING_CONTRAST : FF_UI_TEST_BODY_CONTRAST;

      if (key || body)
        {
          double ratio = ff_ui_test_measure_contrast (frame, window, widget);

          if (ratio < wanted)
            g_string_append_printf (low, " %s:“%s” %.1f:1", where,
                                    gtk_label_get_text (GTK_LABEL (widget)), ratio);
        }
      if (gtk_widget_has_css_class (widget, "ff-reading-large")
          && ff_ui_test_text_size_px (widget) < FF_UI_TEST_LARGE_READING_PX)
        g_string_append_printf (low, " %s:“%s” %.0f px", where,
                                gtk_label_get_text (GTK_LABEL (widget)),
                                ff_ui_test_text_size_px (widget));
      return key ? 1 : 0;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    readings += ff_ui_test_collect_low_contrast (frame, window, child, where, low);
  return readings;
}
