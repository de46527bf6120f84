/* What the agent's unit tests share: a temporary device root, a file-backed boot environment. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A new empty directory; removed with everything in it by agent_test_root_free(). In a test's
 * subprocess (agent_test_with_fault), the parent's root, and the writers below do nothing. */
char *agent_test_root_new       (void);
void  agent_test_root_free      (char       *root);
/* ROOT/fw_env.config naming ROOT/uboot-env.0 and ROOT/uboot-env.1 (16 KiB each, redundant, no
 * valid copy yet); returns the config's path. */
char *agent_test_make_env       (const char *root);
/* Writes @contents to ROOT/@name (directories created), mode 0644 or 0755 with @executable. */
char *agent_test_write          (const char *root,
                                 const char *name,
                                 const char *contents,
                                 gboolean    executable);
/* Runs the current test in a subprocess with FIELDFLASH_AGENT_FAULT=@fault; returns TRUE in the
 * subprocess (which then calls the code under test and must die or pass), FALSE in the parent
 * once the subprocess ended. Then in the parent: */
gboolean agent_test_with_fault  (const char *fault);
/* the subprocess died of the simulated power cut (SIGKILL) */
void     agent_test_assert_power_cut (void);
/* the subprocess passed */
void     agent_test_assert_passed    (void);

G_END_DECLS
