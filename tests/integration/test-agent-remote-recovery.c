/* fieldflash-agent end to end (agent-remote-rig.h): kernel and rootfs upgrades on the recovery
 * layout — through the recovery system, with a power cut at every persisted state, inside a slot
 * write and inside an environment write, a package damaged before the recovery system verifies
 * it, a new kernel that is not healthy, the state record lost while the recovery system writes
 * the slots (with the package intact, damaged or gone). */
#include "config.h"

#include <glib/gstdio.h>

#include "agent-remote-rig.h"

static char *
system_package (Rig *rig, const char *kernel_version, const char *rootfs_version)
{
  g_autoptr(GBytes) kernel = make_image ("kernel", kernel_version, 90000);
  g_autoptr(GBytes) rootfs = make_image ("rootfs", rootfs_version, 350000);
  Payload payloads[] = { { "kernel", kernel_version, kernel },
                         { "rootfs", rootfs_version, rootfs } };

  return make_package (rig, "H1", payloads, G_N_ELEMENTS (payloads));
}

/* What the upgrade with @fault (NULL: none) ended in. */
static void
log_result (Rig *rig, const char *fault, const FfRemoteResult *result)
{
  g_test_message ("fault %s: %s %s %s (%u boots, %u power cuts)", fault != NULL ? fault : "none",
                  ff_remote_outcome_to_string (result->outcome), result->step ? result->step : "",
                  result->reason ? result->reason : "", rig->boots, rig->power_cuts);
}

/* The upgrade to K2.0 and R2.0 succeeded: both slots hold the new images and match their digests,
 * the boot flag is cleared, the parameters are intact, and there is exactly one result. */
static void
assert_upgraded (Rig *rig, const FfRemoteResult *result)
{
  g_autofree char *kernel = NULL, *rootfs = NULL, *flag = NULL;

  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (result->versions.kernel, ==, "K2.0");
  g_assert_cmpstr (result->versions.rootfs, ==, "R2.0");
  kernel = slot_version (rig, "kernel");
  rootfs = slot_version (rig, "rootfs");
  g_assert_cmpstr (kernel, ==, "K2.0");
  g_assert_cmpstr (rootfs, ==, "R2.0");
  g_assert_true (slot_digest_matches (rig, "kernel"));
  g_assert_true (slot_digest_matches (rig, "rootfs"));
  flag = env_get (rig, "ff_mode");
  g_assert_cmpstr (flag, ==, "normal");
  assert_params_intact (rig);
  /* Exactly one result: the outbox holds it alone, under the one ID the platform got. */
  g_assert_cmpuint (outbox_size (rig), ==, 1);
}

/* Recovery layout, kernel + rootfs, with @fault (NULL: none): a power cut, or a slot write error
 * (written again). Ends on the new version with parameters intact and exactly one result. */
static void
run_system_upgrade (const char *fault)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = system_package (rig, "K2.0", "R2.0");
  g_autoptr(FfRemoteResult) result = NULL;

  rig->fault = g_strdup (fault);
  result = boot_and_upgrade (rig, sha);
  log_result (rig, fault, result);
  if (fault != NULL && g_str_has_prefix (fault, "power-cut"))
    g_assert_cmpuint (rig->power_cuts, ==, 1);
  assert_upgraded (rig, result);
  rig_free (rig);
}

static void
test_system_recovery (void)
{
  run_system_upgrade (NULL);
}

/* The same kernel and rootfs sent again: no slot written, no reboot, "already-current". */
static void
test_system_already_running (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = system_package (rig, "K2.0", "R2.0");
  g_autoptr(FfRemoteCommand) again = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) upgraded = NULL, result = NULL;
  g_autofree char *kernel = NULL, *rootfs = NULL, *kernel_after = NULL, *rootfs_after = NULL;
  guint boots;

  upgraded = boot_and_upgrade (rig, sha);
  assert_upgraded (rig, upgraded);
  kernel = file_stamp (rig, "slots/kernel");
  rootfs = file_stamp (rig, "slots/rootfs");
  boots = rig->boots;
  send_command (rig, again, rig->platform_key);
  result = wait_result (rig);
  log_result (rig, NULL, result);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_ALREADY_CURRENT);
  g_assert_cmpstr (result->versions.kernel, ==, "K2.0");
  g_assert_cmpstr (result->versions.rootfs, ==, "R2.0");
  kernel_after = file_stamp (rig, "slots/kernel");
  rootfs_after = file_stamp (rig, "slots/rootfs");
  g_assert_cmpstr (kernel_after, ==, kernel);
  g_assert_cmpstr (rootfs_after, ==, rootfs);
  g_assert_cmpuint (rig->boots, ==, boots);
  rig_free (rig);
}

static void
test_system_power_cut (gconstpointer data)
{
  run_system_upgrade (data);
}

/* The package damaged on disk before the recovery system verifies it: nothing is written, the
 * terminal ends on the old version, the result says where it failed. */
static void
test_system_corrupt_in_recovery (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = system_package (rig, "K2.0", "R2.0");
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *kernel = NULL, *flag = NULL;

  rig->fault = g_strdup ("corrupt-download=recovery");
  result = boot_and_upgrade (rig, sha);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_FAILED);
  g_assert_cmpstr (result->step, ==, "recovery");
  g_assert_cmpstr (result->versions.kernel, ==, "K1.0");
  kernel = slot_version (rig, "kernel");
  g_assert_cmpstr (kernel, ==, "K1.0");
  g_assert_true (slot_digest_matches (rig, "kernel"));
  flag = env_get (rig, "ff_mode");
  g_assert_cmpstr (flag, ==, "normal");
  assert_params_intact (rig);
  rig_free (rig);
}

/* Recovery layout, the new kernel boots but is not healthy (its header says another version):
 * the recovery system writes the old images back, the result is rolled-back. */
static void
test_system_health_check_fails (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = unhealthy_kernel_package (rig);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *kernel = NULL;

  result = boot_and_upgrade (rig, sha);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (result->step, ==, "health-check");
  g_assert_cmpstr (result->versions.kernel, ==, "K1.0");
  kernel = slot_version (rig, "kernel");
  g_assert_cmpstr (kernel, ==, "K1.0");
  g_assert_true (slot_digest_matches (rig, "kernel"));
  assert_params_intact (rig);
  rig_free (rig);
}

/* How the package on the data partition is left after the record is damaged. */
typedef enum
{
  PACKAGE_INTACT,
  PACKAGE_DAMAGED,
  PACKAGE_GONE,
} PackageFate;

static PackageFate package_fate;

/* The kernel (90,000 bytes) written, the rootfs slot torn. */
#define CUT_WHILE_WRITING "power-cut-in=write-slot:150000"

/* The one package file on the data partition. */
static char *
stored_package (Rig *rig)
{
  g_autofree char *dir_path = device_file (rig, "data/packages");
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  char *found = NULL;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".ffpkg"))
      {
        g_assert_null (found);
        found = g_build_filename (dir_path, name, NULL);
      }
  g_assert_nonnull (found);
  return found;
}

/* After the power cut in the middle of the rootfs slot's write (recovery-writing: the kernel slot
 * written, the rootfs slot torn): the record damaged, and the package as package_fate says. */
static void
damage_record_while_writing (Rig *rig)
{
  g_autofree char *package = stored_package (rig);

  g_assert_false (slot_digest_matches (rig, "rootfs"));
  damage_record (rig, FF_AGENT_STATE_RECOVERY_WRITING);
  if (package_fate == PACKAGE_DAMAGED)
    {
      g_autofree char *contents = NULL;
      gsize length;

      g_assert_true (g_file_get_contents (package, &contents, &length, NULL));
      contents[length / 2] ^= 0x40;
      write_file (package, contents, length, 0600);
    }
  else if (package_fate == PACKAGE_GONE)
    g_assert_cmpint (g_unlink (package), ==, 0);
}

/* The record lost while the recovery system writes the slots, the package still there and
 * signed: the recovery system verifies it again and writes the slots from the start; the
 * terminal ends on the new version and the command is reported succeeded. (Before: the recovery
 * system cleared the boot flag, the bootloader found the torn slot and started it again, for
 * ever.) */
static void
test_record_lost_while_writing (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = system_package (rig, "K2.0", "R2.0");
  g_autoptr(FfRemoteResult) result = NULL;

  package_fate = PACKAGE_INTACT;
  rig->fault = g_strdup (CUT_WHILE_WRITING);
  rig->after_power_cut = damage_record_while_writing;
  result = boot_and_upgrade (rig, sha);
  log_result (rig, CUT_WHILE_WRITING, result);
  g_assert_cmpuint (rig->power_cuts, ==, 1);
  /* Normal, recovery (cut), recovery (written again), normal. */
  g_assert_cmpuint (rig->boots, ==, 4);
  assert_upgraded (rig, result);
  rig_free (rig);
}

static gboolean
document_says (GBytes *document, const char *text)
{
  return g_strstr_len (g_bytes_get_data (document, NULL), g_bytes_get_size (document), text)
         != NULL;
}

/* The record lost while the recovery system writes the slots, and the package damaged or gone:
 * nothing can be written and the rootfs slot is torn. The terminal stays in its recovery system,
 * online, and reports the command failed at "recovery" with why; its boots stay bounded (the
 * recovery system's boots in a row are counted in the boot environment), also across a power
 * cycle, and nothing is reported twice. */
static void
test_record_lost_package_unusable (gconstpointer data)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = system_package (rig, "K2.0", "R2.0");
  g_autoptr(FfRemoteResult) result = NULL;
  g_autoptr(GBytes) state = NULL;
  g_autofree char *count = NULL;
  guint boots;

  package_fate = GPOINTER_TO_INT (data);
  rig->fault = g_strdup (CUT_WHILE_WRITING);
  rig->after_power_cut = damage_record_while_writing;
  result = boot_and_upgrade (rig, sha);
  log_result (rig, CUT_WHILE_WRITING, result);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_FAILED);
  g_assert_cmpstr (result->step, ==, "recovery");
  g_assert_nonnull (strstr (result->reason, "stays in its recovery system"));
  g_assert_nonnull (strstr (result->reason, package_fate == PACKAGE_GONE
                                            ? "No package is left" : "package on the data "
                                                                     "partition is damaged"));
  /* The torn slot is never booted as if it were good. */
  g_assert_false (slot_digest_matches (rig, "rootfs"));
  /* One normal boot, then the recovery system's: bounded, and the agent still runs. */
  g_assert_cmpuint (rig->boots, <=, 1 + 4);
  g_assert_nonnull (rig->agent);
  boots = rig->boots;

  /* Powered off and on: the recovery system again, online and saying why, no new result. */
  stop_agent (rig);
  for (GBytes *earlier; (earlier = g_async_queue_try_pop (rig->states)) != NULL;)
    g_bytes_unref (earlier);
  state = boot_online_state (rig);
  g_assert_cmpuint (rig->boots, ==, boots + 1);
  g_assert_true (document_says (state, "\"stranded\" : \""));
  g_assert_nonnull (rig->agent);
  for (GBytes *again; (again = g_async_queue_try_pop (rig->results)) != NULL;)
    {
      g_autoptr(FfRemoteResult) repeated = ff_remote_result_load (again, rig->terminal_key,
                                                                  DEVICE, NULL);

      g_bytes_unref (again);
      g_assert_nonnull (repeated);
      g_assert_cmpstr (repeated->result_id, ==, result->result_id);
    }
  count = env_get (rig, "ff_recovery_boots");
  g_assert_nonnull (count);
  assert_params_intact (rig);
  rig_free (rig);
}

int
main (int argc, char **argv)
{
  static const char *const power_cuts[] = {
    "power-cut-at=downloading", "power-cut-at=verifying", "power-cut-at=backing-up",
    "power-cut-at=setting-boot", "power-cut-at=rebooting", "power-cut-at=recovery-verifying",
    "power-cut-at=recovery-writing", "power-cut-at=recovery-restoring",
    "power-cut-at=recovery-done", "power-cut-at=health-check", "power-cut-at=reporting",
    "power-cut-in=write-slot:150000", "power-cut-in=env-write", "slot-write-error",
  };

  g_test_init (&argc, &argv, NULL);
  mosquitto_lib_init ();
  g_test_add_func ("/agent-remote/system/recovery", test_system_recovery);
  g_test_add_func ("/agent-remote/system/already-running", test_system_already_running);
  for (guint i = 0; i < G_N_ELEMENTS (power_cuts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/agent-remote/system/%s", power_cuts[i]);

      g_test_add_data_func (path, power_cuts[i], test_system_power_cut);
    }
  g_test_add_func ("/agent-remote/system/corrupt-in-recovery", test_system_corrupt_in_recovery);
  g_test_add_func ("/agent-remote/system/health-check-fails", test_system_health_check_fails);
  g_test_add_func ("/agent-remote/system/record-lost-while-writing",
                   test_record_lost_while_writing);
  g_test_add_data_func ("/agent-remote/system/record-lost-package-damaged",
                        GINT_TO_POINTER (PACKAGE_DAMAGED), test_record_lost_package_unusable);
  g_test_add_data_func ("/agent-remote/system/record-lost-package-gone",
                        GINT_TO_POINTER (PACKAGE_GONE), test_record_lost_package_unusable);
  return g_test_run ();
}
