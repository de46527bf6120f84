/* What the UI tests share: finding widgets the way a person finds them, frames and screenshots. */
#pragma once

#include <adwaita.h>

#include "ff-test-fixtures.h"
#include "ff-training.h"
#include "ff-window.h"

G_BEGIN_DECLS

typedef gboolean (*FfWidgetMatch) (GtkWidget *widget, gconstpointer data);

GtkWidget *ff_ui_test_find               (GtkWidget     *root,
                                          FfWidgetMatch  match,
                                          gconstpointer  data);
gboolean   ff_ui_test_is_type            (GtkWidget *widget, gconstpointer type);
gboolean   ff_ui_test_is_button_for      (GtkWidget *widget, gconstpointer action_name);
gboolean   ff_ui_test_is_label           (GtkWidget *widget, gconstpointer text);
gboolean   ff_ui_test_is_row_titled      (GtkWidget *widget, gconstpointer title);
gboolean   ff_ui_test_is_label_mentioning (GtkWidget *widget, gconstpointer word);

#define ff_ui_test_find_type(root, type) \
  ff_ui_test_find ((root), ff_ui_test_is_type, GSIZE_TO_POINTER (type))

typedef gboolean (*FfUiTestCondition) (gpointer data);

void        ff_ui_test_wait_until          (FfUiTestCondition  condition,
                                            gpointer           data,
                                            const char        *what);
void        ff_ui_test_wait_until_settled  (FfUiTestCondition  condition,
                                            gpointer           data,
                                            const char        *what);
/* The subtitle of the action row under @root titled @title, which must be there. */
const char *ff_ui_test_row_subtitle        (GtkWidget  *root,
                                            const char *title);

/* Conditions for the waits. */
gboolean    ff_ui_test_flag_set            (gpointer flag);   /* a gboolean that is TRUE */

typedef struct
{
  GtkWidget  *root;
  const char *text;
} FfUiTestQuery;

/* An action row under @root subtitled @text is on screen. */
gboolean    ff_ui_test_row_shown           (gpointer query);
/* A row under @root titled @text is on screen. */
gboolean    ff_ui_test_row_titled_shown    (gpointer query);
/* @root, an FfWindow, shows the page named @text. */
gboolean    ff_ui_test_page_is             (gpointer query);

typedef struct
{
  FfWindow        *window;
  FfWorkflowState  state;
} FfUiTestStateQuery;

/* @window's visit is at @state. */
gboolean    ff_ui_test_workflow_state_is   (gpointer query);
/* @window's run is over: a new one may start. */
gboolean    ff_ui_test_run_stopped         (gpointer window);

GtkWidget  *ff_ui_test_visible_page        (FfWindow   *window);
/* Destroys @window (a GtkWindow whose reference the caller gives up) and waits for it to
 * finalize. */
void        ff_ui_test_destroy_window      (gpointer    window);

void        ff_ui_test_press               (GtkWidget  *root,
                                            const char *action_name);
AdwMessageDialog *ff_ui_test_find_dialog   (void);
void        ff_ui_test_respond             (AdwMessageDialog *dialog,
                                            const char       *label);

const char *ff_ui_test_visible_stack_child (GtkWidget *page);
void        ff_ui_test_load_app_style      (void);
/* GTK for a test program, libadwaita, and the app's style (ff_ui_test_load_app_style). */
void        ff_ui_test_init                (int         *argc,
                                            char      ***argv);
void        ff_ui_test_wait_for_frame      (GtkWidget  *window);
/* A frame of @window as it is now, drawn (a render node) and rendered (pixels). */
GskRenderNode *ff_ui_test_draw             (GtkWidget  *window);
GdkTexture *ff_ui_test_render              (GtkWidget  *window);
void        ff_ui_test_save_screenshot     (GtkWidget  *window,
                                            const char *file_name);
GskRenderNode *ff_ui_test_take_screenshot  (GtkWidget  *window,
                                            const char *file_name);

/* The WCAG contrast ratio of @label's text against its background in @frame (a frame of @window,
 * ff_ui_test_take_screenshot), drawn four times larger than on screen so that each glyph covers
 * whole pixels: the most common colour in the label's box is the background, the pixel that
 * stands out most from it the text. */
double      ff_ui_test_measure_contrast    (GskRenderNode *frame,
                                            GtkWidget     *window,
                                            GtkWidget     *label);
/* The size of @label's font in pixels on screen. */
double      ff_ui_test_text_size_px        (GtkWidget  *label);

/* What the field style asks of text: body text 4.5:1, key readings 7:1 against their background;
 * the push's percentage and time left at least 48 px. */
#define FF_UI_TEST_BODY_CONTRAST 4.5
#define FF_UI_TEST_READING_CONTRAST 7.0
#define FF_UI_TEST_LARGE_READING_PX 48

/* Appends " WHERE:“TEXT” RATIO" to @low for each label on screen under @widget whose contrast in
 * @frame (as ff_ui_test_measure_contrast measures it) is under the field style's: key readings (row subtitles of an "ff-reading" row, labels
 * styled "ff-reading-label" or "ff-reading-large") under 7:1, other row subtitles and dim labels
 * under 4.5:1; and each "ff-reading-large" under 48 px. Returns how many key readings it saw. */
guint       ff_ui_test_collect_low_contrast (GskRenderNode *frame,
                                             GtkWidget     *window,
                                             GtkWidget     *widget,
                                             const char    *where,
                                             GString       *low);

/* The field rules every page is held to: it fits a 360 px portrait screen, and every target a
 * gloved finger presses is at least 48 px each way. */
#define FF_UI_TEST_NARROWEST_WIDTH 360
#define FF_UI_TEST_MIN_TARGET_SIZE 48

/* Appends " WHERE:TYPE(W×H px)" to @small for each button, activatable row and entry on screen
 * under @widget that is smaller than FF_UI_TEST_MIN_TARGET_SIZE either way, disabled ones too. */
void        ff_ui_test_collect_small_targets (GtkWidget  *widget,
                                              const char *where,
                                              GString    *small);

/* Appends " WHERE:LABEL" to @unreachable for each primary action on screen under @widget — a
 * suggested-action button, or any button of a page's bottom action bar — that is not wholly inside
 * @window and every scrolled window around it as the page is laid out now, unscrolled: a finger
 * could not press it without scrolling first. Returns how many primary actions it saw. */
guint       ff_ui_test_collect_unreachable_actions (GtkWidget  *window,
                                                    GtkWidget  *widget,
                                                    const char *where,
                                                    GString    *unreachable);

/* Whether all of @widget shows inside @window and inside every scrolled window it is in, as laid
 * out now: seen without scrolling. */
gboolean    ff_ui_test_is_wholly_visible   (GtkWidget  *window,
                                            GtkWidget  *widget);

/* A training session (simulated terminals, GPS, task and store) with a small firmware. */
FfTraining *ff_ui_test_start_training      (void);

/* One terminal's workflow of a training session, running. */
typedef struct _FfUiTestVisit FfUiTestVisit;

FfUiTestVisit *ff_ui_test_visit_start        (FfTraining      *training,
                                              const char      *device_id);
FfWorkflow    *ff_ui_test_visit_get_workflow (FfUiTestVisit   *visit);
void           ff_ui_test_visit_wait_for     (FfUiTestVisit   *visit,
                                              FfWorkflowState  state);
void           ff_ui_test_visit_finish       (FfUiTestVisit   *visit);

#if HAVE_SHUMATE
double      ff_ui_test_map_coverage        (GtkWidget *map);
gboolean    ff_ui_test_map_shows_way       (gpointer   map);
#endif

G_END_DECLS
