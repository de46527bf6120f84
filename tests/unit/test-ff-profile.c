/* Unit tests of the vendor profile loader: shipped profiles, defaults, checksums and bad files. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ff-profile.h"

static char *
write_profile (const char *name,
               const char *contents)
{
  g_autofree char *dir = g_dir_make_tmp ("ff-profile-XXXXXX", NULL);
  g_autofree char *filename = g_strconcat (name, ".ini", NULL);
  char *path = g_build_filename (dir, filename, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

static void
remove_profile (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_remove (path);
  g_rmdir (dir);
}

static void
test_state_grid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfProfile) profile = ff_profile_load ("state-grid", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (profile->name, ==, "state-grid");
  g_assert_cmpstr (profile->iec104.upgrade_file_name, ==, "UpdateProgram.bin");
  g_assert_cmpuint (profile->iec104.segment_size, ==, 200);
  g_assert_cmpint (profile->iec104.segment_numbering, ==, IEC104_SEGMENT_NUMBER_OFFSET);
  g_assert_cmpuint (profile->iec104.k, ==, 12);
  g_assert_cmpuint (profile->iec104.w, ==, 8);
  g_assert_false (profile->iec104.ack_when_drained);
  g_assert_false (profile->iec104.sq_blocks);
  g_assert_false (profile->iec104.reboots_after_upgrade_finish);
  g_assert_true (profile->iec104.reset_after_upgrade_finish);
  g_assert_cmpuint (profile->iec104.accepted_cots_write_data_con, ==,
                    IEC104_COT_BIT (5) | IEC104_COT_BIT (7));
  g_assert_cmpuint (profile->signal_ioa[FF_SIGNAL_LINE_VOLTAGE], ==, 0x4001);
  g_assert_cmpuint (profile->signal_ioa[FF_SIGNAL_TEMPERATURE], ==, 0x4004);
  g_assert_cmpstr (profile->signal_unit[FF_SIGNAL_TEMPERATURE], ==, "°C");
  g_assert_cmpint (profile->checksum, ==, FF_CHECKSUM_CRC32);
}

/* There is one State Grid default: what a program gets without reading a file is what
 * data/profiles/state-grid.ini says. Only the title differs: the file carries the human (and
 * translated) name. */
static void
test_default_is_state_grid_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfProfile) file = ff_profile_load (FF_PROFILE_DEFAULT_NAME, &error);
  g_autoptr(FfProfile) builtin = ff_profile_new_default ();

  g_assert_no_error (error);
  g_assert_cmpstr (builtin->name, ==, file->name);
  g_assert_cmpint (builtin->iec104.reboots_after_upgrade_finish, ==,
                   file->iec104.reboots_after_upgrade_finish);
  /* Both start from iec104_profile_init_state_grid's zeroed struct, so padding compares equal:
   * any field the file sets to another value than the library shows up here. */
  g_assert_cmpmem (&builtin->iec104, sizeof builtin->iec104, &file->iec104, sizeof file->iec104);
  g_assert_cmpmem (builtin->signal_ioa, sizeof builtin->signal_ioa, file->signal_ioa,
                   sizeof file->signal_ioa);
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    g_assert_cmpstr (builtin->signal_unit[s], ==, file->signal_unit[s]);
  g_assert_cmpint (builtin->checksum, ==, file->checksum);
  g_assert_cmpuint (builtin->reboot_time_ms, ==, file->reboot_time_ms);
}

static void
test_other_vendors_differ (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfProfile) sojo = ff_profile_load ("sojo-ftu", &error);
  g_autoptr(FfProfile) lk101 = NULL;
  FfSignal signal;

  g_assert_no_error (error);
  g_assert_true (sojo->iec104.reboots_after_upgrade_finish);
  g_assert_false (sojo->iec104.reset_after_upgrade_finish);
  g_assert_cmpuint (sojo->iec104.w, ==, 4);
  g_assert_cmpuint (sojo->iec104.t2_ms, ==, 5000);
  g_assert_true (sojo->iec104.sq_blocks);
  g_assert_cmpuint (sojo->iec104.cot_write_data_con, ==, 7);
  g_assert_cmpuint (sojo->iec104.running_param_ioa_first, ==, 0x8101);
  g_assert_cmpint (sojo->checksum, ==, FF_CHECKSUM_SUM16);
  /* Keys the file leaves out keep the State Grid default. */
  g_assert_cmpuint (sojo->iec104.k, ==, 12);
  g_assert_true (ff_profile_signal_for_ioa (sojo, 0x4010, &signal));
  g_assert_cmpint (signal, ==, FF_SIGNAL_BATTERY_VOLTAGE);
  g_assert_false (ff_profile_signal_for_ioa (sojo, 0x4002, &signal));

  lk101 = ff_profile_load ("lk101-dtu", &error);
  g_assert_no_error (error);
  g_assert_cmpint (lk101->iec104.segment_numbering, ==, IEC104_SEGMENT_NUMBER_COUNTER);
  g_assert_cmpuint (lk101->iec104.segment_size, ==, 225);
  g_assert_cmpstr (lk101->iec104.upgrade_file_name, ==, "firmware.upd");
}

/* Only a profile that declares it takes delta patches: the three vendor profiles never do. */
static void
test_delta_declared (void)
{
  const char *const full_image_only[] = { "state-grid", "sojo-ftu", "lk101-dtu" };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfProfile) delta = ff_profile_load ("state-grid-delta", &error);
  g_autoptr(FfProfile) plain = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (delta->delta, ==, FF_DELTA_FORMAT_FFDELTA1);
  for (guint i = 0; i < G_N_ELEMENTS (full_image_only); i++)
    {
      g_autoptr(FfProfile) profile = ff_profile_load (full_image_only[i], &error);

      g_assert_no_error (error);
      g_assert_cmpint (profile->delta, ==, FF_DELTA_FORMAT_NONE);
    }
  {
    g_autofree char *path = write_profile ("none", "[profile]\ndelta=none\n");

    plain = ff_profile_load_file (path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (plain->delta, ==, FF_DELTA_FORMAT_NONE);
    remove_profile (path);
  }
}

static void
test_list_names (void)
{
  g_auto(GStrv) names = ff_profile_list_names ();

  g_assert_true (g_strv_contains ((const char * const *) names, "state-grid"));
  g_assert_true (g_strv_contains ((const char * const *) names, "sojo-ftu"));
  g_assert_true (g_strv_contains ((const char * const *) names, "lk101-dtu"));
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FfProfile) profile = ff_profile_load (names[i], &error);

      g_assert_no_error (error);
    }
}

static void
test_unknown_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfProfile) profile = ff_profile_load ("no-such-vendor", &error);

  g_assert_null (profile);
  g_assert_error (error, FF_PROFILE_ERROR, FF_PROFILE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no-such-vendor"));
  g_clear_error (&error);

  profile = ff_profile_load ("../profiles/state-grid", &error);
  g_assert_null (profile);
  g_assert_error (error, FF_PROFILE_ERROR, FF_PROFILE_ERROR_NOT_FOUND);
}

typedef struct
{
  const char *contents;
  const char *message_part;  /* what the error must point at */
} BadProfile;

static void
test_bad_values (void)
{
  const BadProfile cases[] = {
    { "[file]\nsegment-size=300\n", "segment-size" },
    { "[file]\nsegment-size=0\n", "segment-size" },
    { "[file]\nsegment-numbering=bytes\n", "segment-numbering" },
    { "[link]\nk=twelve\n", "k" },
    { "[link]\nk=4\nw=8\n", "w ≤ k" },
    { "[link]\nt1-ms=1000\nt2-ms=2000\n", "t2 < t1" },
    { "[upgrade]\nreboots-after-finish=yes\n", "reboots-after-finish" },
    { "[application]\nsq-blocks=1\n", "sq-blocks" },
    { "[file]\nupgrade-file-name=\n", "upgrade-file-name" },
    { "[file]\naccepted-cots-dir-confirm=5;99\n", "accepted-cots-dir-confirm" },
    { "[file]\nsegmentsize=200\n", "unknown key" },
    { "[profile]\nchecksum=md5\n", "checksum" },
    { "[profile]\ndelta=bsdiff\n", "neither ffdelta1 nor none" },
    { "[measurements]\ncurrent=0x4001\n", "share" },
    { "[fault-events]\nioa-size=4\n", "ioa-size" },
    { "this is not an ini file", "cannot be read" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_profile ("bad", cases[i].contents);
      g_autoptr(GError) error = NULL;
      g_autoptr(FfProfile) profile = ff_profile_load_file (path, &error);

      g_test_message ("case %u: %s", i, cases[i].contents);
      g_assert_null (profile);
      g_assert_error (error, FF_PROFILE_ERROR, FF_PROFILE_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, cases[i].message_part));
      remove_profile (path);
    }
}

static void
test_hex_and_decimal (void)
{
  g_autofree char *path = write_profile ("numbers",
                                         "[application]\ncommon-address=0x0102\n"
                                         "[link]\nk=20\nw=10\nack-when-drained=true\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(FfProfile) profile = ff_profile_load_file (path, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (profile->name, ==, "numbers");
  g_assert_cmpuint (profile->iec104.common_address, ==, 0x0102);
  g_assert_cmpuint (profile->iec104.k, ==, 20);
  g_assert_cmpuint (profile->iec104.w, ==, 10);
  g_assert_true (profile->iec104.ack_when_drained);
  remove_profile (path);
}

static void
test_checksums (void)
{
  g_autoptr(FfProfile) profile = ff_profile_new_default ();
  g_autoptr(GBytes) check = g_bytes_new_static ("123456789", 9);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autofree char *crc = NULL;
  g_autofree char *crc_empty = NULL;
  g_autofree char *sum = NULL;

  /* The standard CRC-32 check value of "123456789". */
  crc = ff_profile_compute_checksum (profile, check);
  g_assert_cmpstr (crc, ==, "CBF43926");
  crc_empty = ff_profile_compute_checksum (profile, empty);
  g_assert_cmpstr (crc_empty, ==, "00000000");

  profile->checksum = FF_CHECKSUM_SUM16;
  sum = ff_profile_compute_checksum (profile, check);
  /* '1'..'9' are 0x31..0x39: 9 × 0x30 + 45 = 0x1DD. */
  g_assert_cmpstr (sum, ==, "01DD");
}

/* A technician working in Chinese gets the translated title, and the loader does not take the
 * translation for an unknown key. */
static void
test_translated_title (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfProfile) profile = NULL;
  g_autofree char *language = g_strdup (g_getenv ("LANGUAGE"));

  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  profile = ff_profile_load ("state-grid", &error);
  if (language != NULL)
    g_setenv ("LANGUAGE", language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  g_assert_no_error (error);
  g_assert_cmpstr (profile->title, ==, "国网通用");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/profile/state-grid", test_state_grid);
  g_test_add_func ("/profile/default-is-state-grid-file", test_default_is_state_grid_file);
  g_test_add_func ("/profile/other-vendors-differ", test_other_vendors_differ);
  g_test_add_func ("/profile/list-names", test_list_names);
  g_test_add_func ("/profile/delta-declared", test_delta_declared);
  g_test_add_func ("/profile/unknown-name", test_unknown_name);
  g_test_add_func ("/profile/bad-values", test_bad_values);
  g_test_add_func ("/profile/hex-and-decimal", test_hex_and_decimal);
  g_test_add_func ("/profile/checksums", test_checksums);
  g_test_add_func ("/profile/translated-title", test_translated_title);
  return g_test_run ();
}
