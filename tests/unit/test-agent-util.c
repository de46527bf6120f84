/* Helpers of the agent's unit tests (see test-agent-util.h). */
#include "test-agent-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ff-agent-fault.h"
#include "ff-test-fixtures.h"

#include <signal.h>
#include <sys/wait.h>

char *
agent_test_root_new (void)
{
  g_autoptr(GError) error = NULL;
  char *root;

  /* A test run again in a subprocess (agent_test_with_fault) works in its parent's root. */
  if (g_test_subprocess ())
    return g_strdup (g_getenv ("AGENT_TEST_ROOT"));
  root = g_dir_make_tmp ("ff-agent-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("AGENT_TEST_ROOT", root, TRUE);
  return root;
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                               G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;

  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

      remove_tree (child);
      g_object_unref (info);
    }
  g_file_delete (file, NULL, NULL);
}

void
agent_test_root_free (char *root)
{
  g_autoptr(GFile) file = g_file_new_for_path (root);

  if (!g_test_subprocess ())
    remove_tree (file);
  g_free (root);
}

char *
agent_test_write (const char *root, const char *name, const char *contents, gboolean executable)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (root, name, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_test_subprocess ())
    return path;
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, executable ? 0755 : 0644), ==, 0);
  return path;
}

char *
agent_test_make_env (const char *root)
{
  g_autofree char *config = NULL;
  g_autofree char *env0 = g_build_filename (root, "uboot-env.0", NULL);
  g_autofree char *env1 = g_build_filename (root, "uboot-env.1", NULL);
  g_autofree char *zeros = g_malloc0 (0x4000);
  g_autoptr(GError) error = NULL;

  config = g_strdup_printf ("%s 0x0 0x4000\n%s 0x0 0x4000\n", env0, env1);
  if (g_test_subprocess ())
    return g_build_filename (root, "fw_env.config", NULL);
  g_file_set_contents (env0, zeros, 0x4000, &error);
  g_assert_no_error (error);
  g_file_set_contents (env1, zeros, 0x4000, &error);
  g_assert_no_error (error);
  return agent_test_write (root, "fw_env.config", config, FALSE);
}

static int last_wait_status;

gboolean
agent_test_with_fault (const char *fault)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *self = NULL;
  g_autoptr(GPtrArray) argv = NULL;

  if (g_test_subprocess ())
    {
      g_setenv ("FIELDFLASH_AGENT_FAULT", g_getenv ("AGENT_TEST_FAULT"), TRUE);
      g_assert_true (ff_agent_fault_init (&error));
      g_assert_no_error (error);
      return TRUE;
    }
  /* Not g_test_trap_subprocess(): a cross build's test runs under qemu-user, and so must the
   * subprocess (ff_test_command puts FIELDFLASH_EXE_WRAPPER first). */
  self = g_file_read_link ("/proc/self/exe", &error);
  g_assert_no_error (error);
  argv = ff_test_command (self, (const char *[]) { "-q", "-p", g_test_get_path (),
                                                  "--GTestSubprocess", NULL });
  g_ptr_array_add (argv, NULL);
  g_setenv ("AGENT_TEST_FAULT", fault, TRUE);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                NULL, &last_wait_status, &error);
  g_assert_no_error (error);
  g_unsetenv ("AGENT_TEST_FAULT");
  return FALSE;
}

void
agent_test_assert_power_cut (void)
{
  g_assert_true (WIFSIGNALED (last_wait_status));
  g_assert_cmpint (WTERMSIG (last_wait_status), ==, SIGKILL);
}

void
agent_test_assert_passed (void)
{
  g_assert_true (WIFEXITED (last_wait_status));
  g_assert_cmpint (WEXITSTATUS (last_wait_status), ==, 0);
}
