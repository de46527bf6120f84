/* FfWindow: the main window — header bar, toast overlay and the leaflet of the workflow's pages. */
#pragma once

#include <adwaita.h>

#include "ff-application.h"
#include "ff-context.h"
#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TYPE_WINDOW (ff_window_get_type ())
G_DECLARE_FINAL_TYPE (FfWindow, ff_window, FF, WINDOW, AdwApplicationWindow)

FfWindow   *ff_window_new                (FfApplication *application,
                                          FfContext     *context);
FfContext  *ff_window_get_context        (FfWindow      *self);
const char *ff_window_get_page_name      (FfWindow      *self);
gboolean    ff_window_show_page          (FfWindow      *self,
                                          const char    *name);
GtkWidget  *ff_window_get_page           (FfWindow      *self,
                                          const char    *name);
const char *const *ff_window_list_page_names (void);
void        ff_window_add_toast          (FfWindow      *self,
                                          AdwToast      *toast);
FfWorkflow *ff_window_get_workflow       (FfWindow      *self);
void        ff_window_run_workflow       (FfWindow      *self,
                                          FfWorkflow    *workflow);
const char *ff_window_page_for_state     (FfWorkflowState state);

G_END_DECLS
