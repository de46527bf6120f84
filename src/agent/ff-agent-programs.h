/* The programs the agent replaces (main program, updater), each with a backup in its own storage
 * space, and the application's run parameters with theirs on the data partition. */
#pragma once

#include <glib.h>

#include "ff-agent-config.h"

G_BEGIN_DECLS

/* Runs PROGRAM VERSION-COMMAND (10 s at most) and returns what it printed, stripped; NULL with
 * @error when it does not exit 0 or prints nothing. */
char     *ff_agent_program_version  (FfAgentConfig   *config,
                                     const char      *program_path,
                                     GError         **error);
char     *ff_agent_program_backup_path (FfAgentConfig *config,
                                        FfAgentProgram program);
gboolean  ff_agent_program_backup   (FfAgentConfig   *config,
                                     FfAgentProgram   program,
                                     GError         **error);
/* Puts @staged_path in the program's place (temp + fsync + rename, mode 0755). */
gboolean  ff_agent_program_install  (FfAgentConfig   *config,
                                     FfAgentProgram   program,
                                     const char      *staged_path,
                                     GError         **error);
gboolean  ff_agent_program_restore  (FfAgentConfig   *config,
                                     FfAgentProgram   program,
                                     GError         **error);

gboolean  ff_agent_params_backup    (FfAgentConfig   *config,
                                     GError         **error);
gboolean  ff_agent_params_restore   (FfAgentConfig   *config,
                                     GError         **error);
/* TRUE when every parameter file is present and equal to its backup; else FALSE with @error
 * naming the first that is not. */
gboolean  ff_agent_params_intact    (FfAgentConfig   *config,
                                     GError         **error);

/* The running versions: kernel, rootfs (and "slot") from the bootloader's key file, main-program
 * and updater from the programs. A version that cannot be read is missing from the table. */
GHashTable *ff_agent_running_versions (FfAgentConfig *config);
/* What the running versions are read from, as a string that changes when any of it changes (the
 * programs' and the bootloader's key file's device, inode, size and modification time): the
 * versions published with each state are read again only when it differs. */
char       *ff_agent_running_versions_stamp (FfAgentConfig *config);

G_END_DECLS
