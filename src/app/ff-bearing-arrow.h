/* FfBearingArrow: an arrow pointing the way to walk, drawn from a bearing in degrees from north. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define FF_TYPE_BEARING_ARROW (ff_bearing_arrow_get_type ())
G_DECLARE_FINAL_TYPE (FfBearingArrow, ff_bearing_arrow, FF, BEARING_ARROW, GtkWidget)

GtkWidget *ff_bearing_arrow_new          (void);
double     ff_bearing_arrow_get_bearing  (FfBearingArrow *self);
void       ff_bearing_arrow_set_bearing  (FfBearingArrow *self,
                                          double          bearing);
gboolean   ff_bearing_arrow_get_known    (FfBearingArrow *self);
void       ff_bearing_arrow_set_known    (FfBearingArrow *self,
                                          gboolean        known);

char      *ff_bearing_format             (double          bearing);

G_END_DECLS
