/* What the UI tests share: finding widgets the way a person finds them, frames and screenshots. */
#pragma once

#include <adwaita.h>

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

const char *ff_ui_test_visible_stack_child (GtkWidget *page);
void        ff_ui_test_load_app_style      (void);
void        ff_ui_test_wait_for_frame      (GtkWidget  *window);
void        ff_ui_test_save_screenshot     (GtkWidget  *window,
                                            const char *file_name);
void        ff_ui_test_remove_tree         (const char *path);

G_END_DECLS
