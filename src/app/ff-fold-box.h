/* FfFoldBox: its children side by side when it is wide enough, one above the other when not. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define FF_TYPE_FOLD_BOX (ff_fold_box_get_type ())
G_DECLARE_FINAL_TYPE (FfFoldBox, ff_fold_box, FF, FOLD_BOX, GtkWidget)

G_END_DECLS
