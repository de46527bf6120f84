/* What a killed platform process leaves in its data directory, and its removal at the next start. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* DATA/uploads: the console's firmware uploads as they arrive, each removed after its answer. */
char *ff_platform_uploads_directory (const char *data_dir);

/* Removes what a killed serve or init left in @data_dir: the uploads that were coming in, and the
 * temporary files ("tls.key.XXXXXX") of init's keys and certificate, which only init writes. Call
 * it only when no other process can be writing them: at init, before the directory is
 * initialised, or at serve, holding DATA/serve.lock. A failure is a warning: nothing is lost. */
void  ff_platform_remove_leftovers  (const char *data_dir);

G_END_DECLS
