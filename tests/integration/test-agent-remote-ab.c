/* fieldflash-agent end to end (agent-remote-rig.h): system upgrades on the A/B layout — into the
 * inactive slot, with a power cut at each state, a package damaged on disk after it was verified,
 * a delta against the running slot's image, a new slot that is not healthy. */
#include "config.h"

#include <glib/gstdio.h>
#include <utime.h>

#include "agent-remote-rig.h"
#include "ff-delta.h"

/* A package of rootfs R2.0 alone. */
static char *
rootfs_package (Rig *rig)
{
  g_autoptr(GBytes) rootfs = make_image ("rootfs", "R2.0", 350000);
  Payload payload = { "rootfs", "R2.0", rootfs };

  return make_package (rig, "H1", &payload, 1);
}

/* A/B, rootfs only, with a power cut at @fault (NULL: none): ends on slot b with the new rootfs
 * and the old kernel beside it — not written again, slot b holding it already — confirmed,
 * parameters intact, exactly one result. */
static void
run_ab_upgrade (const char *fault)
{
  Rig *rig = rig_new ("ab");
  g_autofree char *sha = rootfs_package (rig);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *slot = NULL, *available = NULL, *kernel_b = NULL, *rootfs_b = NULL;
  g_autofree char *rootfs_a = NULL;
  g_autofree char *kernel_b_path = device_file (rig, "slots/kernel-b");
  struct utimbuf long_ago = { 1000000000, 1000000000 };
  GStatBuf info;

  g_assert_cmpint (g_utime (kernel_b_path, &long_ago), ==, 0);
  rig->fault = g_strdup (fault);
  result = boot_and_upgrade (rig, sha);
  g_test_message ("fault %s: %s %s", fault ? fault : "none",
                  ff_remote_outcome_to_string (result->outcome),
                  result->reason ? result->reason : "");
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (result->versions.rootfs, ==, "R2.0");
  if (fault != NULL)
    g_assert_cmpuint (rig->power_cuts, ==, 1);
  slot = env_get (rig, "boot_slot");
  available = env_get (rig, "upgrade_available");
  g_assert_cmpstr (slot, ==, "b");
  g_assert_cmpstr (available, ==, "0");
  kernel_b = slot_version (rig, "kernel-b");
  rootfs_b = slot_version (rig, "rootfs-b");
  rootfs_a = slot_version (rig, "rootfs-a");
  g_assert_cmpstr (kernel_b, ==, "K1.0");
  g_assert_cmpstr (rootfs_b, ==, "R2.0");
  g_assert_cmpstr (rootfs_a, ==, "R1.0");
  g_assert_cmpint (g_stat (kernel_b_path, &info), ==, 0);
  g_assert_cmpint (info.st_mtime, ==, long_ago.modtime);
  g_assert_true (slot_digest_matches (rig, "kernel-b"));
  assert_params_intact (rig);
  g_assert_cmpuint (outbox_size (rig), ==, 1);
  rig_free (rig);
}

static void
test_ab_upgrade (void)
{
  run_ab_upgrade (NULL);
}

static void
test_ab_power_cut (gconstpointer data)
{
  run_ab_upgrade (data);
}

/* After the power cut at backing-up: the A/B image was checked but not copied to the data
 * partition (it goes from the package into the slot), and one byte of the stored package's
 * rootfs payload is flipped, as a failing data partition would. */
static void
damage_stored_package (Rig *rig)
{
  g_autofree char *staged = device_file (rig, "data/staging/rootfs");
  g_autofree char *packages = device_file (rig, "data/packages");
  g_autoptr(GDir) dir = g_dir_open (packages, 0, NULL);
  g_autofree char *path = NULL;
  g_autofree char *data = NULL;
  gsize length;

  g_assert_false (g_file_test (staged, G_FILE_TEST_EXISTS));
  g_assert_nonnull (dir);
  path = g_build_filename (packages, g_dir_read_name (dir), NULL);
  g_assert_true (g_str_has_suffix (path, ".ffpkg"));
  g_assert_true (g_file_get_contents (path, &data, &length, NULL));
  data[length / 2] ^= 0x40;
  write_file (path, data, length, 0600);
}

/* A/B: the slot is written from the package, and a package damaged on disk after it was
 * verified is caught while it is streamed into the inactive slot: the slot is never switched
 * to (its digest file no longer matches it, the environment still boots slot a) and the result
 * is failed at write-slot. */
static void
test_ab_damaged_before_slot_write (void)
{
  Rig *rig = rig_new ("ab");
  g_autofree char *sha = rootfs_package (rig);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *slot = NULL, *available = NULL, *rootfs_a = NULL;

  rig->fault = g_strdup ("power-cut-at=backing-up");
  rig->after_power_cut = damage_stored_package;
  result = boot_and_upgrade (rig, sha);
  g_assert_cmpuint (rig->power_cuts, ==, 1);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_FAILED);
  g_assert_cmpstr (result->step, ==, "write-slot");
  g_assert_cmpstr (result->versions.rootfs, ==, "R1.0");
  slot = env_get (rig, "boot_slot");
  available = env_get (rig, "upgrade_available");
  g_assert_cmpstr (slot, !=, "b");
  g_assert_cmpstr (available, !=, "1");
  g_assert_false (slot_digest_matches (rig, "rootfs-b"));
  rootfs_a = slot_version (rig, "rootfs-a");
  g_assert_cmpstr (rootfs_a, ==, "R1.0");
  assert_params_intact (rig);
  g_assert_cmpuint (outbox_size (rig), ==, 1);
  rig_free (rig);
}

/* A rootfs delta (ffdelta1) against the running slot's image: the agent applies it, checks the
 * result's SHA-256 and writes it to the inactive slot. A delta made for another image is refused
 * before anything is written. */
static void
test_ab_delta (void)
{
  Rig *rig = rig_new ("ab");
  g_autoptr(GBytes) old_image = make_image ("rootfs", "R1.0", 300000);
  g_autoptr(GBytes) new_image = make_image ("rootfs", "R2.0", 320000);
  g_autoptr(GBytes) other_image = make_image ("rootfs", "R1.5", 300000);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) patch = ff_delta_make (old_image, new_image, &error);
  g_autoptr(GBytes) wrong_patch = ff_delta_make (other_image, new_image, &error);
  g_autofree char *old_sha = ff_sha256_hex (g_bytes_get_data (old_image, NULL),
                                            g_bytes_get_size (old_image));
  g_autofree char *other_sha = ff_sha256_hex (g_bytes_get_data (other_image, NULL),
                                              g_bytes_get_size (other_image));
  g_autofree char *new_sha = ff_sha256_hex (g_bytes_get_data (new_image, NULL),
                                            g_bytes_get_size (new_image));
  Payload wrong = { "rootfs", "R2.0", wrong_patch, other_sha };
  Payload right = { "rootfs", "R2.0", patch, old_sha };
  g_autofree char *wrong_sha = make_package (rig, "H1", &wrong, 1);
  g_autofree char *right_sha = make_package (rig, "H1", &right, 1);
  g_autoptr(FfRemoteCommand) wrong_command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE,
                                                          wrong_sha);
  g_autoptr(FfRemoteCommand) right_command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE,
                                                          right_sha);
  g_autoptr(FfRemoteResult) refused = NULL, result = NULL;
  g_autofree char *slot = NULL, *rootfs_b = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (patch), <, g_bytes_get_size (new_image) / 4);
  boot_online (rig);
  send_command (rig, wrong_command, rig->platform_key);
  refused = wait_result (rig);
  g_assert_cmpint (refused->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (refused->step, ==, "verify-package");
  g_assert_nonnull (strstr (refused->reason, "another installed image"));
  slot = env_get (rig, "boot_slot");
  g_assert_null (slot);
  /* Acknowledged, so the reboot's reconnection does not publish it again. */
  send_ack (rig, refused->result_id, rig->platform_key);

  send_command (rig, right_command, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (result->versions.rootfs, ==, "R2.0");
  rootfs_b = g_build_filename (rig->device, "slots", "rootfs-b", NULL);
  g_free (slot);
  slot = ff_sha256_file_hex (rootfs_b, NULL, NULL);
  g_assert_cmpstr (slot, ==, new_sha);
  rig_free (rig);
}

/* The new slot boots but is not healthy (its kernel says another version than the package):
 * the agent boots the old slot again and reports rolled-back. */
static void
test_ab_health_check_fails (void)
{
  Rig *rig = rig_new ("ab");
  g_autofree char *sha = unhealthy_kernel_package (rig);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *slot = NULL;

  result = boot_and_upgrade (rig, sha);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (result->step, ==, "health-check");
  g_assert_cmpstr (result->versions.kernel, ==, "K1.0");
  slot = env_get (rig, "boot_slot");
  g_assert_cmpstr (slot, ==, "a");
  assert_params_intact (rig);
  rig_free (rig);
}

/* After the power cut at health-check: the record damaged. */
static void
damage_record_at_health_check (Rig *rig)
{
  damage_record (rig, FF_AGENT_STATE_HEALTH_CHECK);
}

/* The record lost while the new slot runs unconfirmed: the agent cannot run the health check
 * that would confirm it (its target was in the record). It boots the previous slot again at
 * once — the bootloader would have, at some later reboot, silently — and reports the command
 * rolled back. */
static void
test_ab_damaged_record_unconfirmed (void)
{
  Rig *rig = rig_new ("ab");
  g_autofree char *sha = rootfs_package (rig);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *slot = NULL, *available = NULL;

  rig->fault = g_strdup ("power-cut-at=health-check");
  rig->after_power_cut = damage_record_at_health_check;
  result = boot_and_upgrade (rig, sha);
  g_assert_cmpuint (rig->power_cuts, ==, 1);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (result->versions.rootfs, ==, "R1.0");
  g_assert_nonnull (strstr (result->reason, "format_version"));
  slot = env_get (rig, "boot_slot");
  available = env_get (rig, "upgrade_available");
  g_assert_cmpstr (slot, ==, "a");
  g_assert_cmpstr (available, ==, "0");
  assert_params_intact (rig);
  rig_free (rig);
}

int
main (int argc, char **argv)
{
  static const char *const ab_power_cuts[] = {
    "power-cut-at=verifying", "power-cut-at=backing-up", "power-cut-at=writing-slot",
    "power-cut-at=setting-boot", "power-cut-at=rebooting", "power-cut-at=health-check",
    "power-cut-at=reporting", "power-cut-in=write-slot:150000", "power-cut-in=env-write",
  };

  g_test_init (&argc, &argv, NULL);
  mosquitto_lib_init ();
  g_test_add_func ("/agent-remote/ab/upgrade", test_ab_upgrade);
  g_test_add_func ("/agent-remote/ab/damaged-before-slot-write",
                   test_ab_damaged_before_slot_write);
  for (guint i = 0; i < G_N_ELEMENTS (ab_power_cuts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/agent-remote/ab/%s", ab_power_cuts[i]);

      g_test_add_data_func (path, ab_power_cuts[i], test_ab_power_cut);
    }
  g_test_add_func ("/agent-remote/ab/delta", test_ab_delta);
  g_test_add_func ("/agent-remote/ab/health-check-fails", test_ab_health_check_fails);
  g_test_add_func ("/agent-remote/ab/damaged-record-unconfirmed",
                   test_ab_damaged_record_unconfirmed);
  return g_test_run ();
}
