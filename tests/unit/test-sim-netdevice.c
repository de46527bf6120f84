/* Unit tests of the simulated networked terminal: slot images and their torn-slot check, the
 * redundant U-Boot environment, the device root, and the bootloader's decisions at each boot. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "ff-sim-bootenv.h"
#include "ff-sim-bootloader.h"
#include "ff-sim-error.h"
#include "ff-sim-image.h"
#include "ff-sim-netdevice.h"
#include "ff-test-fixtures.h"

typedef struct
{
  char *dir;
  char *root;
  char *credentials;
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree char *key = NULL;

  fx->dir = g_dir_make_tmp ("ff-netdevice-XXXXXX", NULL);
  fx->root = g_build_filename (fx->dir, "root", NULL);
  fx->credentials = g_build_filename (fx->dir, "credentials", NULL);
  key = g_build_filename (fx->credentials, "terminal.key", NULL);
  g_assert_cmpint (g_mkdir (fx->credentials, 0700), ==, 0);
  g_assert_true (g_file_set_contents_full (key, "key\n", -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                           NULL));
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  ff_test_remove_tree (fx->dir);
  g_free (fx->dir);
  g_free (fx->root);
  g_free (fx->credentials);
}

static FfSimNetdevice *
make_device (Fixture     *fx,
             FfSimLayout  layout)
{
  FfSimNetdeviceConfig config = {
    .root = fx->root, .device_id = "DTU-0001", .layout = layout, .credentials = fx->credentials,
    .broker_port = 8883, .platform_url = "https://127.0.0.1:8443", .image_size = 1000,
  };
  g_autoptr(GError) error = NULL;
  FfSimNetdevice *device;

  g_assert_true (ff_sim_netdevice_init (&config, &error));
  g_assert_no_error (error);
  device = ff_sim_netdevice_load (fx->root, &error);
  g_assert_no_error (error);
  return device;
}

static void
write_bytes (const char *path,
             GBytes     *bytes)
{
  /* In place and without fsync, as a slot is written: hundreds of torn variants are. */
  FILE *file = g_fopen (path, "wb");

  g_assert_nonnull (file);
  if (g_bytes_get_size (bytes) > 0)
    g_assert_cmpuint (fwrite (g_bytes_get_data (bytes, NULL), 1, g_bytes_get_size (bytes), file),
                      ==, g_bytes_get_size (bytes));
  g_assert_cmpint (fclose (file), ==, 0);
}

static void
expect_slot_refused (const char *path,
                     const char *reason)
{
  g_autoptr(GError) error = NULL;
  g_auto(FfSimImageInfo) info = { NULL };

  g_assert_false (ff_sim_image_inspect (path, &info, &error));
  g_assert_error (error, FF_SIM_ERROR, FF_SIM_ERROR_SLOT);
  if (reason != NULL)
    g_assert_nonnull (strstr (error->message, reason));
  g_assert_null (info.version);
}

static void
test_image_round_trip (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = ff_sim_image_make ("rootfs", "V2.00", 3000, FALSE, &error);
  g_autofree char *path = g_build_filename (fx->dir, "rootfs", NULL);
  g_auto(FfSimImageInfo) info = { NULL };

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (g_bytes_get_data (image, NULL),
                                   "FFSIM-IMAGE kind=rootfs version=V2.00 size=3000 health=fails sha256="));
  write_bytes (path, image);
  g_assert_true (ff_sim_image_inspect (path, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (info.kind, ==, "rootfs");
  g_assert_cmpstr (info.version, ==, "V2.00");
  g_assert_false (info.healthy);

  g_assert_null (ff_sim_image_make ("bootloader", "V2.00", 10, TRUE, &error));
  g_assert_error (error, FF_SIM_ERROR, FF_SIM_ERROR_DEVICE);
  g_clear_error (&error);
  g_assert_null (ff_sim_image_make ("kernel", "V 2", 10, TRUE, &error));
  g_assert_error (error, FF_SIM_ERROR, FF_SIM_ERROR_DEVICE);
}

/* A power cut in a slot write leaves any prefix of the new image, or the new image's prefix over
 * the old image's rest: none of them may pass as bootable. */
static void
test_image_torn_detected (Fixture       *fx,
                          gconstpointer  data)
{
  g_autoptr(GBytes) old_image = ff_sim_image_make ("kernel", "V1.00", 400, TRUE, NULL);
  g_autoptr(GBytes) new_image = ff_sim_image_make ("kernel", "V2.00", 400, TRUE, NULL);
  g_autofree char *path = g_build_filename (fx->dir, "kernel", NULL);
  gsize size;
  const guint8 *new_data = g_bytes_get_data (new_image, &size);
  const guint8 *old_data = g_bytes_get_data (old_image, NULL);
  g_autofree guint8 *mixed = g_malloc (size + 1);

  g_assert_cmpuint (g_bytes_get_size (old_image), ==, size);
  for (gsize cut = 0; cut < size; cut++)
    {
      g_autoptr(GBytes) prefix = g_bytes_new (new_data, cut);

      write_bytes (path, prefix);
      expect_slot_refused (path, NULL);
      memcpy (mixed, new_data, cut);
      memcpy (mixed + cut, old_data + cut, size - cut);
      /* Cut before the first byte where the images differ (or after the last), the slot holds
       * one whole image: only a mix of both must be refused. */
      if (memcmp (mixed, old_data, size) == 0 || memcmp (mixed, new_data, size) == 0)
        {
          g_auto(FfSimImageInfo) info = { NULL };
          g_autoptr(GBytes) whole = g_bytes_new (mixed, size);

          write_bytes (path, whole);
          g_assert_true (ff_sim_image_inspect (path, &info, NULL));
        }
      else
        {
          g_autoptr(GBytes) torn = g_bytes_new (mixed, size);

          write_bytes (path, torn);
          expect_slot_refused (path, NULL);
        }
    }

  memcpy (mixed, new_data, size);
  mixed[size - 1] ^= 0x01;
  {
    g_autoptr(GBytes) flipped = g_bytes_new (mixed, size);

    write_bytes (path, flipped);
    expect_slot_refused (path, "does not match the SHA-256");
  }
  mixed[size - 1] ^= 0x01;
  mixed[size] = 0;
  {
    g_autoptr(GBytes) longer = g_bytes_new (mixed, size + 1);

    write_bytes (path, longer);
    expect_slot_refused (path, "torn");
  }
  {
    g_autoptr(GBytes) truncated = g_bytes_new (new_data, size - 1);

    write_bytes (path, truncated);
    expect_slot_refused (path, "torn");
  }
  g_assert_cmpint (g_unlink (path), ==, 0);
  expect_slot_refused (path, "cannot be read");
}

static char *
env_get (const char *config,
         const char *name)
{
  gboolean valid;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSimBootEnv) env = ff_sim_boot_env_open (config, &valid, &error);

  g_assert_no_error (error);
  g_assert_true (valid);
  return ff_sim_boot_env_get (env, name);
}

static void
env_set (const char *config,
         const char *name,
         const char *value)
{
  gboolean valid;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSimBootEnv) env = ff_sim_boot_env_open (config, &valid, &error);

  g_assert_no_error (error);
  ff_sim_boot_env_set (env, name, value);
  g_assert_true (ff_sim_boot_env_store (env, &error));
  g_assert_no_error (error);
}

static void
damage (const char *path)
{
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  data[10] ^= 0xFF;
  g_assert_true (g_file_set_contents (path, data, (gssize) len, NULL));
}

/* The newest copy of the environment, by its modification and flag: the copy a store wrote last. */
static const char *
newest_copy (const char *copy0,
             const char *copy1,
             const char *config,
             const char *name,
             const char *value)
{
  g_autofree char *saved = NULL;
  g_autofree char *seen = NULL;
  gsize len;

  /* Damage copy 0: if the value is still there, copy 1 holds it. */
  g_assert_true (g_file_get_contents (copy0, &saved, &len, NULL));
  damage (copy0);
  seen = env_get (config, name);
  g_assert_true (g_file_set_contents (copy0, saved, (gssize) len, NULL));
  return g_strcmp0 (seen, value) == 0 ? copy1 : copy0;
}

static void
test_boot_env_redundant (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *config = g_build_filename (fx->dir, "fw_env.config", NULL);
  g_autofree char *copy0 = g_build_filename (fx->dir, "uboot-env.0", NULL);
  g_autofree char *copy1 = g_build_filename (fx->dir, "uboot-env.1", NULL);
  static const char *const vars[] = { "boot_slot=a", "bootcount=0", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *slot = NULL;
  g_autofree char *count = NULL;
  const char *newest;
  gboolean valid;

  g_assert_true (ff_sim_boot_env_create (config, copy0, copy1, vars, &error));
  g_assert_no_error (error);
  slot = env_get (config, "boot_slot");
  g_assert_cmpstr (slot, ==, "a");

  /* Both copies hold the first environment: either one alone still reads. */
  damage (copy1);
  g_clear_pointer (&slot, g_free);
  slot = env_get (config, "boot_slot");
  g_assert_cmpstr (slot, ==, "a");

  /* A store writes one copy: a power cut in it (that copy damaged) leaves the other, older one. */
  env_set (config, "boot_slot", "b");
  env_set (config, "bootcount", "1");
  newest = newest_copy (copy0, copy1, config, "bootcount", "1");
  damage (newest);
  g_clear_pointer (&slot, g_free);
  slot = env_get (config, "boot_slot");
  count = env_get (config, "bootcount");
  g_assert_cmpstr (slot, ==, "b");
  g_assert_cmpstr (count, ==, "0");

  /* Neither copy valid: an empty environment, said so. */
  damage (newest == copy0 ? copy1 : copy0);
  {
    g_autoptr(FfSimBootEnv) env = ff_sim_boot_env_open (config, &valid, &error);
    g_autofree char *none = NULL;

    g_assert_no_error (error);
    g_assert_false (valid);
    none = ff_sim_boot_env_get (env, "boot_slot");
    g_assert_null (none);
  }
}

static void
test_init_layouts (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(FfSimNetdevice) device = make_device (fx, GPOINTER_TO_INT (data));
  g_autofree char *key = g_build_filename (fx->root, "credentials", "terminal.key", NULL);
  g_autofree char *program = g_build_filename (fx->root, "programs", "main-program", NULL);
  g_autofree char *params = g_build_filename (fx->root, "params", "app.ini", NULL);
  g_autofree char *layout = g_key_file_get_string (device->settings, "boot", "layout", NULL);
  g_autofree char *device_id = g_key_file_get_string (device->settings, "agent", "device-id",
                                                      NULL);
  g_autofree char *out = NULL;
  GStatBuf st;
  int status;

  g_assert_cmpint (g_stat (key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_test (params, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (device_id, ==, "DTU-0001");
  g_assert_true (g_path_is_absolute (device->env_config));
  for (guint i = 0; i < (device->layout == FF_SIM_LAYOUT_AB ? 2u : 1u); i++)
    {
      g_auto(FfSimImageInfo) kernel = { NULL };
      g_auto(FfSimImageInfo) rootfs = { NULL };

      g_assert_true (ff_sim_image_inspect (device->kernel[i], &kernel, NULL));
      g_assert_true (ff_sim_image_inspect (device->rootfs[i], &rootfs, NULL));
      g_assert_cmpstr (kernel.version, ==, "V1.00");
      g_assert_cmpstr (rootfs.kind, ==, "rootfs");
    }
  if (GPOINTER_TO_INT (data) == FF_SIM_LAYOUT_AB)
    {
      g_autofree char *slot = env_get (device->env_config, "boot_slot");
      g_autofree char *limit = env_get (device->env_config, "bootlimit");

      g_assert_cmpstr (layout, ==, "ab");
      g_assert_cmpstr (slot, ==, "a");
      g_assert_cmpstr (limit, ==, "3");
      g_assert_null (device->kernel[1] == NULL ? "no slot b" : NULL);
    }
  else
    {
      g_autofree char *mode = env_get (device->env_config, "ff_mode");

      g_assert_cmpstr (layout, ==, "recovery");
      g_assert_cmpstr (mode, ==, "normal");
      g_assert_null (device->kernel[1]);
    }
  g_assert_true (g_spawn_sync (NULL, (char *[]) { program, "--version", NULL }, NULL, 0, NULL,
                               NULL, &out, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpstr (out, ==, "V1.00\n");
}

static void
expect_init_refused (Fixture              *fx,
                     FfSimNetdeviceConfig *config,
                     const char           *reason)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = g_build_filename (config->root, "agent.conf", NULL);

  g_assert_false (ff_sim_netdevice_init (config, &error));
  g_assert_error (error, FF_SIM_ERROR, FF_SIM_ERROR_DEVICE);
  g_assert_nonnull (strstr (error->message, reason));
  g_assert_false (g_file_test (conf, G_FILE_TEST_EXISTS));
}

static void
test_init_refusals (Fixture       *fx,
                    gconstpointer  data)
{
  FfSimNetdeviceConfig good = {
    .root = fx->root, .device_id = "DTU-0001", .layout = FF_SIM_LAYOUT_AB,
    .credentials = fx->credentials, .broker_port = 8883, .platform_url = "https://127.0.0.1:8443",
  };
  FfSimNetdeviceConfig config;
  g_autofree char *stray = g_build_filename (fx->root, "stray", NULL);
  g_autofree char *missing = g_build_filename (fx->dir, "no-credentials", NULL);

  config = good, config.device_id = "DTU/0001";
  expect_init_refused (fx, &config, "device ID");
  config = good, config.device_id = "DTU+#";
  expect_init_refused (fx, &config, "device ID");
  config = good, config.platform_url = "http://127.0.0.1:8443";
  expect_init_refused (fx, &config, "https://");
  config = good, config.broker_port = 70000;
  expect_init_refused (fx, &config, "broker port");
  config = good, config.kernel_version = "V1 0";
  expect_init_refused (fx, &config, "version");
  config = good, config.credentials = missing;
  expect_init_refused (fx, &config, "credentials");
  g_assert_false (g_file_test (fx->root, G_FILE_TEST_EXISTS));

  /* A root that is in use is never overwritten. */
  g_assert_cmpint (g_mkdir (fx->root, 0755), ==, 0);
  g_assert_true (g_file_set_contents (stray, "keep", -1, NULL));
  config = good;
  expect_init_refused (fx, &config, "not an empty directory");
  {
    g_autofree char *kept = NULL;

    g_assert_true (g_file_get_contents (stray, &kept, NULL, NULL));
    g_assert_cmpstr (kept, ==, "keep");
  }
}

static void
decide (FfSimNetdevice *device,
        FfSimBoot      *boot)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_sim_boot_decide (device, boot, &error));
  g_assert_no_error (error);
}

static gboolean
has_event (const FfSimBoot *boot,
           const char      *text)
{
  for (guint i = 0; i < boot->events->len; i++)
    if (strstr (boot->events->pdata[i], text) != NULL)
      return TRUE;
  return FALSE;
}

static void
write_image (const char *path,
             const char *kind,
             const char *version,
             gboolean    healthy)
{
  g_autoptr(GBytes) image = ff_sim_image_make (kind, version, 500, healthy, NULL);

  write_bytes (path, image);
}

static void
test_recovery_decisions (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(FfSimNetdevice) device = make_device (fx, FF_SIM_LAYOUT_RECOVERY);

  {
    g_auto(FfSimBoot) boot = { 0 };

    decide (device, &boot);
    g_assert_cmpint (boot.mode, ==, FF_SIM_BOOT_NORMAL);
    g_assert_cmpint (boot.slot, ==, -1);
    g_assert_cmpstr (boot.kernel_version, ==, "V1.00");
    g_assert_true (boot.healthy);
    g_assert_cmpuint (boot.events->len, ==, 0);
  }
  /* The agent set the boot flag: the recovery system boots. */
  env_set (device->env_config, "ff_mode", "recovery");
  env_set (device->env_config, "ff_upgrade", "rootfs");
  {
    g_auto(FfSimBoot) boot = { 0 };

    decide (device, &boot);
    g_assert_cmpint (boot.mode, ==, FF_SIM_BOOT_RECOVERY);
  }
  /* A slot torn with the flag already cleared: never booted, the recovery system is. */
  env_set (device->env_config, "ff_mode", "normal");
  g_assert_true (g_file_set_contents (device->rootfs[0], "FFSIM-IMAGE kind=rootfs", -1, NULL));
  {
    g_auto(FfSimBoot) boot = { 0 };

    decide (device, &boot);
    g_assert_cmpint (boot.mode, ==, FF_SIM_BOOT_RECOVERY);
    g_assert_true (has_event (&boot, "no image header"));
    g_assert_true (has_event (&boot, "booting the recovery system"));
  }
  /* The new system boots; an image marked health=fails boots unhealthy. */
  write_image (device->rootfs[0], "rootfs", "V2.00", FALSE);
  {
    g_auto(FfSimBoot) boot = { 0 };
    g_autoptr(GKeyFile) versions = g_key_file_new ();
    g_autofree char *program = g_build_filename (device->root, "programs", "main-program", NULL);
    int status;

    decide (device, &boot);
    g_assert_cmpint (boot.mode, ==, FF_SIM_BOOT_NORMAL);
    g_assert_cmpstr (boot.rootfs_version, ==, "V2.00");
    g_assert_false (boot.healthy);
    g_assert_true (ff_sim_boot_write_versions (device, &boot, NULL));
    g_assert_true (g_key_file_load_from_file (versions, device->running_versions, 0, NULL));
    g_assert_false (g_key_file_get_boolean (versions, "versions", "healthy", NULL));
    g_assert_false (g_key_file_has_key (versions, "versions", "slot", NULL));
    /* ... and the main program does not start on it, which the agent's health check sees. */
    g_assert_true (g_spawn_sync (NULL, (char *[]) { program, "--version", NULL }, NULL,
                                 G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                                 NULL, NULL, NULL, &status, NULL));
    g_assert_false (g_spawn_check_wait_status (status, NULL));
  }
}

static void
test_ab_decisions (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(FfSimNetdevice) device = make_device (fx, FF_SIM_LAYOUT_AB);

  /* The agent wrote slot b and switched to it, unconfirmed: boots 1..3 try b, the 4th is over
   * bootlimit and falls back to a for good. */
  write_image (device->kernel[1], "kernel", "V2.00", TRUE);
  write_image (device->rootfs[1], "rootfs", "V2.00", TRUE);
  env_set (device->env_config, "boot_slot", "b");
  env_set (device->env_config, "upgrade_available", "1");
  for (guint n = 1; n <= 3; n++)
    {
      g_auto(FfSimBoot) boot = { 0 };
      g_autofree char *count = NULL;

      decide (device, &boot);
      g_assert_cmpint (boot.mode, ==, FF_SIM_BOOT_NORMAL);
      g_assert_cmpint (boot.slot, ==, 1);
      g_assert_cmpstr (boot.kernel_version, ==, "V2.00");
      count = env_get (device->env_config, "bootcount");
      g_assert_cmpuint (g_ascii_strtoull (count, NULL, 10), ==, n);
    }
  for (guint n = 4; n <= 5; n++)
    {
      g_auto(FfSimBoot) boot = { 0 };
      g_autofree char *slot = NULL;
      g_autofree char *available = NULL;
      g_autofree char *count = NULL;

      decide (device, &boot);
      g_assert_cmpint (boot.slot, ==, 0);
      g_assert_cmpstr (boot.rootfs_version, ==, "V1.00");
      g_assert_true (has_event (&boot, "falling back from slot b to slot a") == (n == 4));
      slot = env_get (device->env_config, "boot_slot");
      available = env_get (device->env_config, "upgrade_available");
      count = env_get (device->env_config, "bootcount");
      g_assert_cmpstr (slot, ==, "a");
      g_assert_cmpstr (available, ==, "0");
      g_assert_cmpstr (count, ==, "4");
    }

  /* Confirmed by the agent (upgrade_available=0, bootcount=0): b boots and bootcount stays. */
  env_set (device->env_config, "boot_slot", "b");
  env_set (device->env_config, "bootcount", "0");
  {
    g_auto(FfSimBoot) boot = { 0 };
    g_autofree char *count = NULL;

    decide (device, &boot);
    g_assert_cmpint (boot.slot, ==, 1);
    count = env_get (device->env_config, "bootcount");
    g_assert_cmpstr (count, ==, "0");
  }

  /* A torn slot is never booted: the other slot is, and becomes the boot slot. */
  g_assert_true (truncate (device->kernel[1], 100) == 0);
  env_set (device->env_config, "upgrade_available", "1");
  {
    g_auto(FfSimBoot) boot = { 0 };
    g_autofree char *slot = NULL;
    g_autofree char *available = NULL;

    decide (device, &boot);
    g_assert_cmpint (boot.mode, ==, FF_SIM_BOOT_NORMAL);
    g_assert_cmpint (boot.slot, ==, 0);
    g_assert_true (has_event (&boot, "torn"));
    g_assert_true (has_event (&boot, "slot b cannot be booted"));
    slot = env_get (device->env_config, "boot_slot");
    available = env_get (device->env_config, "upgrade_available");
    g_assert_cmpstr (slot, ==, "a");
    g_assert_cmpstr (available, ==, "0");
  }

  /* Both torn: bricked, said so (what the e2e tests assert never happens). */
  g_assert_true (truncate (device->rootfs[0], 10) == 0);
  {
    g_auto(FfSimBoot) boot = { 0 };

    decide (device, &boot);
    g_assert_cmpint (boot.mode, ==, FF_SIM_BOOT_BRICKED);
    g_assert_true (has_event (&boot, "BRICKED"));
  }
}

/* Both copies of the environment damaged: U-Boot's default environment, stored, booting slot a. */
static void
test_default_environment (Fixture       *fx,
                          gconstpointer  data)
{
  g_autoptr(FfSimNetdevice) device = make_device (fx, FF_SIM_LAYOUT_AB);
  g_autofree char *copy0 = g_build_filename (device->root, "uboot-env.0", NULL);
  g_autofree char *copy1 = g_build_filename (device->root, "uboot-env.1", NULL);
  g_auto(FfSimBoot) boot = { 0 };
  g_autofree char *limit = NULL;

  env_set (device->env_config, "boot_slot", "b");
  damage (copy0);
  damage (copy1);
  decide (device, &boot);
  g_assert_cmpint (boot.slot, ==, 0);
  g_assert_true (has_event (&boot, "default environment"));
  limit = env_get (device->env_config, "bootlimit");
  g_assert_cmpstr (limit, ==, "3");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func, data) \
  g_test_add (path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("/sim-netdevice/image/round-trip", test_image_round_trip, NULL);
  ADD ("/sim-netdevice/image/torn-detected", test_image_torn_detected, NULL);
  ADD ("/sim-netdevice/boot-env/redundant", test_boot_env_redundant, NULL);
  ADD ("/sim-netdevice/init/recovery", test_init_layouts,
       GINT_TO_POINTER (FF_SIM_LAYOUT_RECOVERY));
  ADD ("/sim-netdevice/init/ab", test_init_layouts, GINT_TO_POINTER (FF_SIM_LAYOUT_AB));
  ADD ("/sim-netdevice/init/refusals", test_init_refusals, NULL);
  ADD ("/sim-netdevice/boot/recovery", test_recovery_decisions, NULL);
  ADD ("/sim-netdevice/boot/ab-fallback", test_ab_decisions, NULL);
  ADD ("/sim-netdevice/boot/default-environment", test_default_environment, NULL);
  return g_test_run ();
}
