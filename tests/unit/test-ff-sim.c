/* Unit tests of the simulator's pieces: demo firmware images, fault scenarios, state directory. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ff-sim-error.h"
#include "ff-sim-firmware.h"
#include "ff-sim-fleet.h"
#include "ff-sim-scenario.h"
#include "ff-sim-state.h"

static void
test_firmware_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = ff_sim_firmware_make ("Acme", "DTU-3000", "V2.00", 100000, &error);
  g_auto(FfSimFirmwareInfo) info = { NULL };

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (image), ==, 100000);
  g_assert_true (ff_sim_firmware_inspect (image, &info, &error));
  g_assert_cmpstr (info.version, ==, "V2.00");
  g_assert_cmpstr (info.vendor, ==, "Acme");
  g_assert_cmpstr (info.model, ==, "DTU-3000");
}

static void
expect_damaged (GBytes     *image,
                const char *reason)
{
  g_autoptr(GError) error = NULL;
  g_auto(FfSimFirmwareInfo) info = { NULL };

  g_assert_false (ff_sim_firmware_inspect (image, &info, &error));
  g_assert_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FIRMWARE);
  g_assert_nonnull (strstr (error->message, reason));
  g_assert_null (info.version);
}

static void
test_firmware_damage_detected (void)
{
  g_autoptr(GBytes) image = ff_sim_firmware_make ("Acme", "DTU-3000", "V2.00", 5000, NULL);
  gsize size;
  const guint8 *data = g_bytes_get_data (image, &size);
  g_autofree guint8 *flipped = g_memdup2 (data, size);
  g_autoptr(GBytes) corrupt = NULL;
  g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (image, 0, size - 1);
  g_autoptr(GBytes) foreign = g_bytes_new_static ("MZ\x90\0\3\0\0\0", 8);
  g_autoptr(GBytes) no_nul = g_bytes_new_static ("[fieldflash-firmware]\nversion=V9\n", 33);

  flipped[size - 10] ^= 0xFF;
  corrupt = g_bytes_new (flipped, size);
  expect_damaged (corrupt, "checksum");
  expect_damaged (truncated, "truncated");
  expect_damaged (foreign, "version marker");
  expect_damaged (no_nul, "version marker");
}

static void
test_firmware_too_small (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = ff_sim_firmware_make ("Acme", "DTU-3000", "V2.00", 20, &error);

  g_assert_null (image);
  g_assert_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FIRMWARE);
}

static FfSimScenario *
parse (const char *line,
       GError    **error)
{
  g_auto(GStrv) words = g_strsplit (line, " ", -1);

  return ff_sim_scenario_parse ((const char * const *) words, error);
}

static void
test_scenario_every_fault (void)
{
  const char *lines[] = {
    "none", "wrong-device-id id=X-1", "gps-offset lat=5 lon=-1.5", "file-name-refused",
    "checksum-error segment=3", "link-drop after=100", "never-back", "old-version",
    "signal-drift signal=battery_voltage percent=-12.5", "slow-link bandwidth=9600 rtt=200",
    "no-acks", "prompt-acks", "reset-drop", "signal-quality signal=current quality=invalid",
    "finish-hold ms=2500",
  };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FfSimScenario) scenario = parse (lines[i], &error);
      g_autoptr(FfSimScenario) copy = NULL;
      g_autofree char *description = NULL;
      g_auto(GStrv) words = g_strsplit (lines[i], " ", 2);

      g_assert_no_error (error);
      g_assert_cmpint (scenario->fault, ==, i);
      g_assert_cmpstr (ff_sim_scenario_get_name (scenario), ==, words[0]);
      copy = ff_sim_scenario_copy (scenario);
      description = ff_sim_scenario_describe (copy);
      g_assert_cmpuint (strlen (description), >, 20);
    }
}

static void
test_scenario_parameters (void)
{
  g_autoptr(FfSimScenario) checksum = parse ("checksum-error segment=7", NULL);
  g_autoptr(FfSimScenario) gps = parse ("gps-offset lat=5 lon=-1.5", NULL);
  g_autoptr(FfSimScenario) drift = parse ("signal-drift signal=battery_voltage percent=-12.5",
                                          NULL);
  g_autoptr(FfSimScenario) slow = parse ("slow-link", NULL);
  g_autoptr(FfSimScenario) hold = parse ("finish-hold ms=2500", NULL);
  g_autoptr(FfSimScenario) hold_default = parse ("finish-hold", NULL);

  g_assert_cmpuint (checksum->segment, ==, 7);
  g_assert_cmpfloat (gps->lat_arcsec, ==, 5.0);
  g_assert_cmpfloat (gps->lon_arcsec, ==, -1.5);
  g_assert_cmpint (drift->signal, ==, FF_SIGNAL_BATTERY_VOLTAGE);
  g_assert_cmpfloat (drift->percent, ==, -12.5);
  /* Defaults documented in formats.md. */
  g_assert_cmpuint (slow->bytes_per_second, ==, 9600);
  g_assert_cmpuint (slow->rtt_ms, ==, 200);
  g_assert_cmpuint (hold->hold_ms, ==, 2500);
  g_assert_cmpuint (hold_default->hold_ms, ==, 5000);
}

static void
test_scenario_bad (void)
{
  const char *lines[] = {
    "", "meteor-strike", "checksum-error segment=0", "checksum-error segment=three",
    "checksum-error size=3", "gps-offset lat=north", "gps-offset lat=99999",
    "signal-drift signal=frequency", "slow-link rtt=-5", "link-drop 100",
    "finish-hold ms=0", "finish-hold ms=600001", "finish-hold after=3",
  };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FfSimScenario) scenario = parse (lines[i], &error);

      g_test_message ("%s", lines[i]);
      g_assert_null (scenario);
      g_assert_error (error, FF_SIM_ERROR, FF_SIM_ERROR_SCENARIO);
    }
}

static void
test_scenario_key_file (void)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSimScenario) own = NULL;
  g_autoptr(FfSimScenario) fallback = NULL;
  g_autoptr(GKeyFile) empty = g_key_file_new ();
  g_autoptr(FfSimScenario) none = NULL;

  g_key_file_load_from_data (file,
                             "[DTU-0001]\nscenario=checksum-error\nsegment=3\n"
                             "[all]\nscenario=slow-link\nrtt=50\n", -1, 0, &error);
  g_assert_no_error (error);
  own = ff_sim_scenario_from_key_file (file, "DTU-0001", &error);
  g_assert_no_error (error);
  g_assert_cmpint (own->fault, ==, FF_SIM_FAULT_CHECKSUM_ERROR);
  g_assert_cmpuint (own->segment, ==, 3);
  fallback = ff_sim_scenario_from_key_file (file, "DTU-0002", &error);
  g_assert_cmpint (fallback->fault, ==, FF_SIM_FAULT_SLOW_LINK);
  g_assert_cmpuint (fallback->rtt_ms, ==, 50);
  none = ff_sim_scenario_from_key_file (empty, "DTU-0001", &error);
  g_assert_cmpint (none->fault, ==, FF_SIM_FAULT_NONE);
}

static void
test_state_round_trip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ff-sim-state-XXXXXX", NULL);
  g_autoptr(GBytes) image = g_bytes_new_static ("image bytes", 11);
  g_autoptr(GBytes) loaded = NULL;
  g_autoptr(GArray) params = g_array_new (FALSE, FALSE, sizeof (Iec104Param));
  g_autoptr(GError) error = NULL;
  Iec104Param written[2];
  g_autofree char *image_path = g_build_filename (dir, "DTU-0001.img", NULL);
  g_autofree char *params_path = g_build_filename (dir, "DTU-0001.ini", NULL);

  /* Nothing saved yet: no image and no error. */
  g_assert_null (ff_sim_state_load_image (dir, "DTU-0001", &error));
  g_assert_no_error (error);

  iec104_param_set_uint (&written[0], 0x8020, IEC104_TAG_UINT16, 45);
  iec104_param_set_uint (&written[1], 0x8022, IEC104_TAG_UINT32, 70000);
  g_assert_true (ff_sim_state_save_image (dir, "DTU-0001", image, &error));
  g_assert_true (ff_sim_state_save_params (dir, "DTU-0001", written, 2, &error));
  g_assert_no_error (error);

  loaded = ff_sim_state_load_image (dir, "DTU-0001", &error);
  g_assert_true (g_bytes_equal (loaded, image));
  g_assert_true (ff_sim_state_load_params (dir, "DTU-0001", params, &error));
  g_assert_cmpuint (params->len, ==, 2);
  g_assert_cmpuint (g_array_index (params, Iec104Param, 1).ioa, ==, 0x8022);
  g_assert_cmpmem (g_array_index (params, Iec104Param, 1).data, 4, written[1].data, 4);

  /* A damaged parameter file is an error, not a crash. */
  g_file_set_contents (params_path, "[parameters]\n0x8020=45:ZZ\n", -1, NULL);
  g_array_set_size (params, 0);
  g_assert_false (ff_sim_state_load_params (dir, "DTU-0001", params, &error));
  g_assert_error (error, FF_SIM_ERROR, FF_SIM_ERROR_STATE);

  g_remove (image_path);
  g_remove (params_path);
  g_rmdir (dir);
}

/* The ports the terminals given by flags get (nothing listens: terminals are only added). */
static void
check_flag_ports (const char * const *ids,
                  const char * const *listens,
                  const guint16      *expected)
{
  g_autoptr(FfSimFleet) fleet = ff_sim_fleet_new ();
  g_autoptr(FfProfile) profile = ff_profile_new_default ();
  FfSimTerminalConfig config = { .profile = profile, .latitude = 30.27, .longitude = 120.15 };
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_sim_fleet_add_terminals (fleet, &config, ids, listens, &error));
  g_assert_no_error (error);
  for (guint i = 0; ids[i] != NULL; i++)
    g_assert_cmpuint (ff_sim_terminal_get_port (ff_sim_fleet_get_terminal (fleet, ids[i])), ==,
                      expected[i]);
}

static void
check_flags_refused (const char * const *ids,
                     const char * const *listens,
                     const char         *message_part)
{
  g_autoptr(FfSimFleet) fleet = ff_sim_fleet_new ();
  g_autoptr(FfProfile) profile = ff_profile_new_default ();
  FfSimTerminalConfig config = { .profile = profile, .latitude = 30.27, .longitude = 120.15 };
  g_autoptr(GError) error = NULL;

  g_assert_false (ff_sim_fleet_add_terminals (fleet, &config, ids, listens, &error));
  g_assert_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FLEET);
  g_assert_nonnull (strstr (error->message, message_part));
  /* All or nothing. */
  for (guint i = 0; ids[i] != NULL; i++)
    g_assert_null (ff_sim_fleet_get_terminal (fleet, ids[i]));
}

static void
test_flag_terminals (void)
{
  const char *one[] = { "DTU-0001", NULL };
  const char *three[] = { "DTU-0001", "DTU-0002", "FTU-0003", NULL };
  const char *any_port[] = { "127.0.0.1:0", NULL };
  const char *first_given[] = { "127.0.0.1:3000", NULL };
  const char *both_given[] = { "127.0.0.1:3000", "127.0.0.1:2999", NULL };
  const char *last_port[] = { "127.0.0.1:65535", NULL };
  const char *host_only[] = { "127.0.0.1", NULL };
  const char *bad[] = { "127.0.0.1:65536", NULL };

  /* No address: 127.0.0.1:2404, 2405, … as issue 4 and the fleet file's first-port. */
  check_flag_ports (one, NULL, (const guint16[]) { 2404 });
  check_flag_ports (three, NULL, (const guint16[]) { 2404, 2405, 2406 });
  check_flag_ports (three, any_port, (const guint16[]) { 0, 0, 0 });
  check_flag_ports (three, first_given, (const guint16[]) { 3000, 3001, 3002 });
  check_flag_ports (three, both_given, (const guint16[]) { 3000, 2999, 3000 });
  /* A host alone listens on IEC 104's port, as the core's address parser reads it. */
  check_flag_ports (one, host_only, (const guint16[]) { 2404 });

  /* A second --listen without a second --id used to replace the first silently. */
  check_flags_refused (one, both_given, "an --id for each --listen");
  check_flags_refused (three, last_port, "DTU-0002 has no port after 65535");
  check_flags_refused (one, bad, "HOST:PORT");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/firmware/round-trip", test_firmware_round_trip);
  g_test_add_func ("/sim/firmware/damage-detected", test_firmware_damage_detected);
  g_test_add_func ("/sim/firmware/too-small", test_firmware_too_small);
  g_test_add_func ("/sim/scenario/every-fault", test_scenario_every_fault);
  g_test_add_func ("/sim/scenario/parameters", test_scenario_parameters);
  g_test_add_func ("/sim/scenario/bad", test_scenario_bad);
  g_test_add_func ("/sim/scenario/key-file", test_scenario_key_file);
  g_test_add_func ("/sim/state/round-trip", test_state_round_trip);
  g_test_add_func ("/sim/fleet/flag-terminals", test_flag_terminals);
  return g_test_run ();
}
