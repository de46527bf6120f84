/* fieldflash-agent end to end (agent-remote-rig.h): kernel and rootfs upgrades on the recovery
 * layout — through the recovery system, with a power cut at every persisted state, inside a slot
 * write and inside an environment write, a package damaged before the recovery system verifies
 * it, a new kernel that is not healthy. */
#include "config.h"

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

/* Recovery layout, kernel + rootfs, with @fault (NULL: none): a power cut, or a slot write error
 * (written again). Ends on the new version with parameters intact and exactly one result. */
static void
run_system_upgrade (const char *fault)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = system_package (rig, "K2.0", "R2.0");
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *kernel = NULL, *rootfs = NULL, *flag = NULL;

  rig->fault = g_strdup (fault);
  result = boot_and_upgrade (rig, sha);
  g_test_message ("fault %s: %s %s %s (%u boots, %u power cuts)", fault ? fault : "none",
                  ff_remote_outcome_to_string (result->outcome), result->step ? result->step : "",
                  result->reason ? result->reason : "", rig->boots, rig->power_cuts);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (result->versions.kernel, ==, "K2.0");
  g_assert_cmpstr (result->versions.rootfs, ==, "R2.0");
  if (fault != NULL && g_str_has_prefix (fault, "power-cut"))
    g_assert_cmpuint (rig->power_cuts, ==, 1);
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
  rig_free (rig);
}

static void
test_system_recovery (void)
{
  run_system_upgrade (NULL);
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
  for (guint i = 0; i < G_N_ELEMENTS (power_cuts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/agent-remote/system/%s", power_cuts[i]);

      g_test_add_data_func (path, power_cuts[i], test_system_power_cut);
    }
  g_test_add_func ("/agent-remote/system/corrupt-in-recovery", test_system_corrupt_in_recovery);
  g_test_add_func ("/agent-remote/system/health-check-fails", test_system_health_check_fails);
  return g_test_run ();
}
