/* What a killed platform process leaves in its data directory, and its removal at the next
 * start. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* DATA/uploads: the console's firmware uploads as they arrive, each removed after its answer. */
char *ff_platform_uploads_directory (const char *data_dir);

/* Removes the uploads a killed serve left coming in. Call it only when no other serve can be
 * writing them: holding DATA/serve.lock. A failure is a warning: nothing is lost. */
void  ff_platform_remove_upload_leftovers  (const char *data_dir);

/* Removes what a killed init left in @data_dir, before the directory is initialised: the temporary
 * files ("tls.key.XXXXXX") of init's keys and certificate. Only init calls it: in an initialised
 * directory a file of that shape is the operator's ("tls.key.backup"), never init's. */
void  ff_platform_remove_init_leftovers    (const char *data_dir);

G_END_DECLS
