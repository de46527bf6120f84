/* Where Fieldflash finds its shipped data (vendor profiles, demo fleet, training firmware). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *ff_datadir (void);
char       *ff_datadir_file (const char *first_element, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
