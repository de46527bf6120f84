/* Where Fieldflash finds its shipped data (vendor profiles, demo fleet, training firmware) and its
 * message catalogues. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *ff_datadir (void);
char       *ff_datadir_file (const char *first_element, ...) G_GNUC_NULL_TERMINATED;

const char *ff_localedir (void);

G_END_DECLS
