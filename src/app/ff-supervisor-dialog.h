/* A dialog in which a supervisor the task names confirms a decision with the supervisor's PIN
 * (and a reason, when one is asked for): the identity override and the reopening of a visit. */
#pragma once

#include <adwaita.h>

#include "ff-task.h"

G_BEGIN_DECLS

/* The response @response_id (labelled @response_label) is enabled once a PIN of a supervisor's
 * length (and a reason, when @with_reason) is typed; "cancel" closes. @extra, when not NULL, is
 * shown above the fields. The PIN is checked by the caller's core call, not here. */
AdwMessageDialog *ff_supervisor_dialog_new            (GtkWindow        *parent,
                                                       const FfTask     *task,
                                                       const char       *heading,
                                                       const char       *body,
                                                       const char       *response_id,
                                                       const char       *response_label,
                                                       gboolean          with_reason,
                                                       GtkWidget        *extra);
const char       *ff_supervisor_dialog_get_supervisor (AdwMessageDialog *dialog);
const char       *ff_supervisor_dialog_get_pin        (AdwMessageDialog *dialog);
/* "" without a reason field. */
const char       *ff_supervisor_dialog_get_reason     (AdwMessageDialog *dialog);

G_END_DECLS
