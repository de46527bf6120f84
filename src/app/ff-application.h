/* FfApplication: the tablet app's process — locale, the context, app-wide actions, the window. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FF_TYPE_APPLICATION (ff_application_get_type ())
G_DECLARE_FINAL_TYPE (FfApplication, ff_application, FF, APPLICATION, AdwApplication)

void           ff_application_init_i18n (void);
FfApplication *ff_application_new       (void);

G_END_DECLS
