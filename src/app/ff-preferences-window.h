/* FfPreferencesWindow: the platform, gpsd, display and language preferences, bound to GSettings. */
#pragma once

#include <adwaita.h>

#include "ff-context.h"

G_BEGIN_DECLS

#define FF_TYPE_PREFERENCES_WINDOW (ff_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (FfPreferencesWindow, ff_preferences_window, FF, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

FfPreferencesWindow *ff_preferences_window_new (FfContext *context);

G_END_DECLS
