/* FfLoginPage: the technician's mobile number and PIN, and which platform this tablet talks to. */
#pragma once

#include <adwaita.h>

#include "ff-context.h"

G_BEGIN_DECLS

#define FF_TYPE_LOGIN_PAGE (ff_login_page_get_type ())
G_DECLARE_FINAL_TYPE (FfLoginPage, ff_login_page, FF, LOGIN_PAGE, AdwBin)

const char *ff_login_page_get_phone       (FfLoginPage *self);
const char *ff_login_page_get_pin         (FfLoginPage *self);
gboolean    ff_login_page_get_complete    (FfLoginPage *self);
void        ff_login_page_set_context     (FfLoginPage *self,
                                           FfContext   *context);

G_END_DECLS
