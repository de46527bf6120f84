/* Integration tests: fieldflash-sim driven through fieldflash-cli (info, measure, push, every fault
 * scenario, vendor profiles, state across a restart, connection refused). */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "ff-cli.h"
#include "ff-test-fixtures.h"
#include "sim-harness.h"

typedef struct
{
  char       *dir;
  SimProcess *sim;
  char       *address;   /* "127.0.0.1:PORT" */
} Fixture;

static void
start_sim (Fixture            *fixture,
           const char * const *extra)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) args = NULL;

  g_strv_builder_add_many (builder, "--listen", "127.0.0.1:0", "--id", "DTU-0001", "--version",
                           "V1.00", NULL);
  if (extra != NULL)
    g_strv_builder_addv (builder, (const char **) extra);
  args = g_strv_builder_end (builder);
  fixture->sim = sim_process_start ((const char * const *) args);
  g_free (fixture->address);
  fixture->address = g_strdup_printf ("127.0.0.1:%u", fixture->sim->port);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->dir = g_dir_make_tmp ("ff-sim-cli-XXXXXX", NULL);
  start_sim (fixture, data);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->sim != NULL)
    sim_process_stop (fixture->sim);
  ff_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->address);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static JsonObject *
cli_json (const char * const *args)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (run_cli (args, &out, NULL), ==, FF_CLI_EXIT_OK);
  return parse_object (out);
}

static char *
read_version (Fixture *fixture)
{
  const char *args[] = { "info", fixture->address, "--json", NULL };
  g_autoptr(JsonObject) info = cli_json (args);

  return g_strdup (json_object_get_string_member (info, "software_version"));
}

static int
push (Fixture     *fixture,
      const char  *version,
      char       **err,
      const char  *option)
{
  g_autofree char *image = make_firmware (fixture->dir, version, 20000);
  const char *args[] = { "push", fixture->address, image, "--json", option, NULL };

  return run_cli (args, NULL, err);
}

static void
test_info (Fixture       *fixture,
           gconstpointer  data)
{
  const char *args[] = { "info", fixture->address, "--json", NULL };
  g_autoptr(JsonObject) info = cli_json (args);
  g_autofree char *human = NULL;
  const char *plain[] = { "info", fixture->address, NULL };

  g_assert_cmpstr (json_object_get_string_member (info, "device_id"), ==, "DTU-0001");
  g_assert_cmpstr (json_object_get_string_member (info, "software_version"), ==, "V1.00");
  g_assert_cmpuint (strlen (json_object_get_string_member (info, "checksum")), ==, 8);
  g_assert_cmpstr (json_object_get_string_member (info, "type"), ==, "DTU");

  g_assert_cmpint (run_cli (plain, &human, NULL), ==, FF_CLI_EXIT_OK);
  g_assert_nonnull (strstr (human, "DTU-0001"));
}

/* `measure` with the terminal's profile (profile_option NULL: State Grid) reads the four signals
 * with realistic values and all seven points. */
static void
check_measure (Fixture    *fixture,
               const char *profile_option)
{
  const char *args[] = { "measure", fixture->address, "--json", profile_option, NULL };
  g_autoptr(JsonObject) result = cli_json (args);
  JsonObject *signals = json_object_get_object_member (result, "signals");
  const char *keys[] = { "line_voltage", "current", "battery_voltage", "ambient_temperature" };
  const double typical[] = { 10500.0, 120.0, 24.5, 28.0 };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      JsonObject *signal = json_object_get_object_member (signals, keys[i]);
      double value;

      g_assert_nonnull (signal);
      value = json_object_get_double_member (signal, "value");
      /* Realistic: within the ±5 % spread and 0.2 % noise around the typical value. */
      g_assert_cmpfloat (value, >, typical[i] * 0.94);
      g_assert_cmpfloat (value, <, typical[i] * 1.06);
      g_assert_cmpuint (strlen (json_object_get_string_member (signal, "hex")), ==, 8);
    }
  /* Three status points and the four measurements. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "points")), ==, 7);
}

static void
test_measure (Fixture       *fixture,
              gconstpointer  data)
{
  check_measure (fixture, NULL);
}

static void
test_push_changes_version (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *image = make_firmware (fixture->dir, "V2.00", 100000);
  const char *args[] = { "push", fixture->address, image, "--json", NULL };
  g_autoptr(JsonObject) result = cli_json (args);
  g_autofree char *version = NULL;
  guint from = 0;

  g_assert_cmpstr (json_object_get_string_member (result, "old_version"), ==, "V1.00");
  g_assert_cmpstr (json_object_get_string_member (result, "new_version"), ==, "V2.00");
  g_assert_true (json_object_get_boolean_member (result, "verified"));
  g_assert_cmpstr (json_object_get_string_member (result, "checksum"), ==,
                   json_object_get_string_member (result, "expected_checksum"));
  sim_process_wait_line (fixture->sim, "back up, running V2.00", &from);
  version = read_version (fixture);
  g_assert_cmpstr (version, ==, "V2.00");
}

static void
test_state_survives_restart (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *state_dir = g_build_filename (fixture->dir, "state", NULL);
  g_autofree char *state_option = g_strdup_printf ("--state-dir=%s", state_dir);
  const char *extra[] = { state_option, NULL };
  g_autofree char *version = NULL;

  /* The fixture's simulator has no state directory: restart with one. */
  sim_process_stop (fixture->sim);
  start_sim (fixture, extra);
  g_assert_cmpint (push (fixture, "V3.00", NULL, NULL), ==, FF_CLI_EXIT_OK);

  sim_process_stop (fixture->sim);
  start_sim (fixture, extra);
  version = read_version (fixture);
  g_assert_cmpstr (version, ==, "V3.00");
}

static void
test_connection_refused (void)
{
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", ff_test_closed_loopback_port ());
  const char *args[] = { "info", address, NULL };
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cli (args, NULL, &err), ==, FF_CLI_EXIT_CONNECTION);
  g_assert_nonnull (strstr (err, "Cannot connect"));
}

static void
test_usage (void)
{
  const char *args[] = { "push", "127.0.0.1:1", NULL };
  const char *bad_profile[] = { "info", "127.0.0.1:1", "--profile", "no-such-vendor", NULL };

  g_assert_cmpint (run_cli (args, NULL, NULL), ==, FF_CLI_EXIT_USAGE);
  g_assert_cmpint (run_cli (bad_profile, NULL, NULL), ==, FF_CLI_EXIT_USAGE);
}

/* ---- terminals from flags ---- */

static void
check_device_id (guint16     port,
                 const char *device_id)
{
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);
  const char *args[] = { "info", address, "--json", NULL };
  g_autoptr(JsonObject) info = cli_json (args);

  g_assert_cmpstr (json_object_get_string_member (info, "device_id"), ==, device_id);
}

/* Each --id is a terminal; without its own --listen it takes the next port (here: any). */
static void
test_flags_several_terminals (void)
{
  const char *args[] = { "--listen", "127.0.0.1:0", "--id", "DTU-0001", "--id", "DTU-0002",
                         NULL };
  SimProcess *sim = sim_process_start (args);
  guint from = 0;
  guint16 first, second;
  double latitude, longitude;

  g_assert_true (sim_parse_listening (sim_process_wait_line (sim, "DTU-0001 listening on", &from),
                                      &first, &latitude, &longitude));
  g_assert_true (sim_parse_listening (sim_process_wait_line (sim, "DTU-0002 listening on", &from),
                                      &second, &latitude, &longitude));
  g_assert_cmpuint (first, !=, second);
  check_device_id (first, "DTU-0001");
  check_device_id (second, "DTU-0002");
  sim_process_stop (sim);
}

/* A second --listen used to replace the first silently; now it needs a terminal of its own. */
static void
test_flags_listen_without_id (void)
{
  g_autofree char *program = built_program ("src/sim/fieldflash-sim");
  const char *args[] = { "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--id", "DTU-0001",
                         NULL };
  g_autoptr(GPtrArray) argv = ff_test_command (program, args);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata, G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  ff_test_subprocess_communicate (process, NULL, SIM_TEST_DEADLINE_S, "fieldflash-sim", NULL,
                                  &err);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
  g_assert_nonnull (strstr (err, "an --id for each --listen"));
}

/* ---- faults ---- */

static void
set_scenario (Fixture    *fixture,
              const char *scenario)
{
  g_autofree char *command = g_strdup_printf ("scenario DTU-0001 %s", scenario);
  guint from = fixture->sim->lines->len;

  sim_process_send (fixture->sim, command);
  sim_process_wait_line (fixture->sim, "scenario ", &from);
}

/* Waits for the line the simulator prints when the fault takes effect (not the line describing
 * the scenario when it was set). */
static void
wait_fault (Fixture    *fixture,
            const char *fault_line)
{
  guint from = 0;

  g_assert_true (g_str_has_prefix (fault_line, "FAULT "));
  sim_process_wait_line (fixture->sim, fault_line, &from);
}

static void
test_fault_wrong_device_id (Fixture       *fixture,
                            gconstpointer  data)
{
  const char *args[] = { "info", fixture->address, "--json", NULL };
  g_autoptr(JsonObject) info = NULL;

  set_scenario (fixture, "wrong-device-id id=DTU-4242");
  info = cli_json (args);
  g_assert_cmpstr (json_object_get_string_member (info, "device_id"), ==, "DTU-4242");
  wait_fault (fixture, "FAULT wrong-device-id: reports the device ID DTU-4242");
}

static void
test_fault_gps_offset (Fixture       *fixture,
                       gconstpointer  data)
{
  guint from = fixture->sim->lines->len;
  guint16 port;
  double latitude, longitude;

  sim_process_send (fixture->sim, "scenario DTU-0001 gps-offset lat=5 lon=-2.5");
  g_assert_true (sim_parse_listening (sim_process_wait_line (fixture->sim, "true position", &from),
                                      &port, &latitude, &longitude));
  g_assert_cmpuint (port, ==, fixture->sim->port);
  g_assert_cmpfloat_with_epsilon ((latitude - fixture->sim->latitude) * 3600.0, 5.0, 0.01);
  g_assert_cmpfloat_with_epsilon ((longitude - fixture->sim->longitude) * 3600.0, -2.5, 0.01);
  wait_fault (fixture, "FAULT gps-offset: from now on it stands 5.0″ north and -2.5″ east");
}

static void
test_fault_file_name_refused (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *err = NULL;

  set_scenario (fixture, "file-name-refused");
  g_assert_cmpint (push (fixture, "V2.00", &err, NULL), ==, FF_CLI_EXIT_REFUSED);
  g_assert_nonnull (strstr (err, "refused the file name"));
  wait_fault (fixture, "FAULT file-name-refused: refuses the file name “UpdateProgram.bin”");
}

static void
test_fault_checksum_error (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *err = NULL;

  set_scenario (fixture, "checksum-error segment=3");
  g_assert_cmpint (push (fixture, "V2.00", &err, NULL), ==, FF_CLI_EXIT_REFUSED);
  g_assert_nonnull (strstr (err, "checksum error at segment 3"));
  wait_fault (fixture, "FAULT checksum-error: reports a checksum error at segment 3");
}

static void
test_fault_link_drop (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *err = NULL;

  set_scenario (fixture, "link-drop after=5000");
  g_assert_cmpint (push (fixture, "V2.00", &err, NULL), ==, FF_CLI_EXIT_CONNECTION);
  g_assert_nonnull (strstr (err, "dropped the link during the file transfer"));
  wait_fault (fixture, "FAULT link-drop: drops the link after");
}

static void
test_fault_never_back (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *err = NULL;

  set_scenario (fixture, "never-back");
  g_assert_cmpint (push (fixture, "V2.00", &err, "--reboot-wait-ms=1500"), ==,
                   FF_CLI_EXIT_CONNECTION);
  g_assert_nonnull (strstr (err, "did not come back"));
  wait_fault (fixture, "FAULT never-back: does not come back after the reboot");
}

/* The trainer lifts never-back at run time: the terminal finally boots, with the image that was
 * pushed before it went dark. */
static void
test_fault_never_back_lifted (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *version = NULL;
  guint from;

  set_scenario (fixture, "never-back");
  g_assert_cmpint (push (fixture, "V2.00", NULL, "--reboot-wait-ms=1500"), ==,
                   FF_CLI_EXIT_CONNECTION);
  wait_fault (fixture, "FAULT never-back");
  from = fixture->sim->lines->len;
  set_scenario (fixture, "none");
  sim_process_wait_line (fixture->sim, "back up, running V2.00", &from);
  version = read_version (fixture);
  g_assert_cmpstr (version, ==, "V2.00");
}

static void
test_fault_old_version (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *err = NULL;
  g_autofree char *version = NULL;

  set_scenario (fixture, "old-version");
  g_assert_cmpint (push (fixture, "V2.00", &err, NULL), ==, FF_CLI_EXIT_FAILURE);
  g_assert_nonnull (strstr (err, "verification failed"));
  version = read_version (fixture);
  g_assert_cmpstr (version, ==, "V1.00");
  wait_fault (fixture, "FAULT old-version: the new image did not take; still running V1.00");
}

static double
measure_current (Fixture *fixture)
{
  const char *args[] = { "measure", fixture->address, "--json", NULL };
  g_autoptr(JsonObject) result = cli_json (args);
  JsonObject *signals = json_object_get_object_member (result, "signals");

  return json_object_get_double_member (json_object_get_object_member (signals, "current"),
                                        "value");
}

/* issue 10 item 12: `measure` shows each signal's quality, in JSON and in words. */
static void
test_fault_signal_quality (Fixture       *fixture,
                           gconstpointer  data)
{
  const char *args[] = { "measure", fixture->address, "--json", NULL };
  const char *plain[] = { "measure", fixture->address, NULL };
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *human = NULL;
  JsonObject *signals;
  JsonArray *current, *voltage;

  set_scenario (fixture, "signal-quality signal=current quality=invalid when=now");
  wait_fault (fixture, "FAULT signal-quality: from now on Current is sent as invalid (IV)");
  result = cli_json (args);
  signals = json_object_get_object_member (result, "signals");
  current = json_object_get_array_member (json_object_get_object_member (signals, "current"),
                                          "quality");
  voltage = json_object_get_array_member (json_object_get_object_member (signals,
                                                                         "line_voltage"),
                                          "quality");
  g_assert_cmpuint (json_array_get_length (current), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (current, 0), ==, "invalid");
  g_assert_cmpuint (json_array_get_length (voltage), ==, 0);

  g_assert_cmpint (run_cli (plain, &human, NULL), ==, FF_CLI_EXIT_OK);
  g_assert_true (g_regex_match_simple ("^Current +[0-9.]+ A .*quality: invalid \\(IV\\)$",
                                          human, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^Line voltage +[0-9.]+ V .*quality: good$", human,
                                          G_REGEX_MULTILINE, 0));
}

static void
test_fault_signal_drift (Fixture       *fixture,
                         gconstpointer  data)
{
  double before, after;

  set_scenario (fixture, "signal-drift signal=current percent=20");
  before = measure_current (fixture);
  g_assert_cmpint (push (fixture, "V2.00", NULL, NULL), ==, FF_CLI_EXIT_OK);
  after = measure_current (fixture);
  /* 20 % up, give or take the 0.2 % noise of each reading. */
  g_assert_cmpfloat (after / before, >, 1.19);
  g_assert_cmpfloat (after / before, <, 1.21);
  wait_fault (fixture, "FAULT signal-drift: since this upgrade, Current reads +20.0 % off");
}

static void
test_fault_slow_link (Fixture       *fixture,
                      gconstpointer  data)
{
  guint from = 0;

  set_scenario (fixture, "slow-link bandwidth=200000 rtt=20");
  sim_process_wait_line (fixture->sim, "The link is slow", &from);
  /* Slower, but it still succeeds. */
  g_assert_cmpint (push (fixture, "V2.00", NULL, NULL), ==, FF_CLI_EXIT_OK);
  wait_fault (fixture, "FAULT slow-link: this connection runs at 200000 bytes/s with a 20 ms");
}

static void
test_bad_scenario_command (Fixture       *fixture,
                           gconstpointer  data)
{
  guint from = 0;

  sim_process_send (fixture->sim, "scenario DTU-0001 checksum-error segment=zero");
  sim_process_wait_line (fixture->sim, "segment=zero is not valid", &from);
  sim_process_send (fixture->sim, "scenario DTU-0001 meteor-strike");
  sim_process_wait_line (fixture->sim, "Unknown scenario", &from);
  sim_process_send (fixture->sim, "scenario DTU-7777 none");
  sim_process_wait_line (fixture->sim, "No terminal DTU-7777", &from);
}

/* ---- vendor profiles ---- */

static const char *sojo_args[] = { "--profile", "sojo-ftu", NULL };
static const char *lk101_args[] = { "--profile", "lk101-dtu", NULL };

static void
test_sojo_reboots_by_itself (Fixture       *fixture,
                             gconstpointer  data)
{
  guint from = 0;

  g_assert_cmpint (push (fixture, "V2.00", NULL, "--profile=sojo-ftu"), ==, FF_CLI_EXIT_OK);
  sim_process_wait_line (fixture->sim, "restarts by itself after 211 finish", &from);
  /* This vendor needs no reset command. */
  for (guint i = 0; i < fixture->sim->lines->len; i++)
    g_assert_null (strstr (g_ptr_array_index (fixture->sim->lines, i), "(105)"));
}

/* A SOJO terminal answers the GI with SQ = 1 blocks (its status points, and its battery and
 * temperature at 0x4010/0x4011): the tablet reads every value from them. */
static void
test_sojo_measure (Fixture       *fixture,
                   gconstpointer  data)
{
  check_measure (fixture, "--profile=sojo-ftu");
}

static void
test_lk101_counter_segments (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *err = NULL;
  const char *refusal;
  guint from = 0;

  /* The State Grid file name is not what this vendor accepts: a real refusal, not a fault. */
  g_assert_cmpint (push (fixture, "V2.00", &err, NULL), ==, FF_CLI_EXIT_REFUSED);
  g_assert_nonnull (strstr (err, "UpdateProgram.bin"));
  refusal = sim_process_wait_line (fixture->sim, "refuses the file name “UpdateProgram.bin”",
                                   &from);
  g_assert_null (strstr (refusal, "FAULT"));
  g_assert_cmpint (push (fixture, "V2.00", NULL, "--profile=lk101-dtu"), ==, FF_CLI_EXIT_OK);
}

/* ---- --json failures ---- */

/* The error object a --json failure prints on stdout: its code, and a message that is not
 * empty. */
static char *
json_error_code (const char *out)
{
  g_autoptr(JsonObject) answer = parse_object (out);
  JsonObject *error = json_object_get_object_member (answer, "error");

  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");
  return g_strdup (json_object_get_string_member (error, "code"));
}

static void
test_json_connection_refused (void)
{
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", ff_test_closed_loopback_port ());
  const char *args[] = { "info", address, "--json", NULL };
  g_autofree char *out = NULL;
  g_autofree char *code = NULL;

  g_assert_cmpint (run_cli (args, &out, NULL), ==, FF_CLI_EXIT_CONNECTION);
  code = json_error_code (out);
  g_assert_cmpstr (code, ==, "connection");
}

static void
test_json_usage (void)
{
  const char *unknown_option[] = { "measure", "--json", "--no-such-option", "127.0.0.1:1", NULL };
  const char *bad_profile[] = { "info", "127.0.0.1:1", "--json", "--profile", "no-such-vendor",
                                NULL };
  g_autofree char *out = NULL;
  g_autofree char *code = NULL;

  g_assert_cmpint (run_cli (unknown_option, &out, NULL), ==, FF_CLI_EXIT_USAGE);
  code = json_error_code (out);
  g_assert_cmpstr (code, ==, "usage");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&code, g_free);
  g_assert_cmpint (run_cli (bad_profile, &out, NULL), ==, FF_CLI_EXIT_USAGE);
  code = json_error_code (out);
  g_assert_cmpstr (code, ==, "usage");
}

/* The terminal says no: "refused", as exit code 3. */
static void
test_json_refused (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *image = make_firmware (fixture->dir, "V2.00", 20000);
  const char *args[] = { "push", fixture->address, image, "--json", NULL };
  g_autofree char *out = NULL;
  g_autofree char *code = NULL;

  set_scenario (fixture, "file-name-refused");
  g_assert_cmpint (run_cli (args, &out, NULL), ==, FF_CLI_EXIT_REFUSED);
  code = json_error_code (out);
  g_assert_cmpstr (code, ==, "refused");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func, data) \
  g_test_add (path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("/sim-cli/info", test_info, NULL);
  ADD ("/sim-cli/measure", test_measure, NULL);
  ADD ("/sim-cli/push-changes-version", test_push_changes_version, NULL);
  ADD ("/sim-cli/state-survives-restart", test_state_survives_restart, NULL);
  g_test_add_func ("/sim-cli/connection-refused", test_connection_refused);
  g_test_add_func ("/sim-cli/usage", test_usage);
  g_test_add_func ("/sim-cli/flags/several-terminals", test_flags_several_terminals);
  g_test_add_func ("/sim-cli/flags/listen-without-id", test_flags_listen_without_id);
  ADD ("/sim-cli/fault/wrong-device-id", test_fault_wrong_device_id, NULL);
  ADD ("/sim-cli/fault/gps-offset", test_fault_gps_offset, NULL);
  ADD ("/sim-cli/fault/file-name-refused", test_fault_file_name_refused, NULL);
  ADD ("/sim-cli/fault/checksum-error", test_fault_checksum_error, NULL);
  ADD ("/sim-cli/fault/link-drop", test_fault_link_drop, NULL);
  ADD ("/sim-cli/fault/never-back", test_fault_never_back, NULL);
  ADD ("/sim-cli/fault/never-back-lifted", test_fault_never_back_lifted, NULL);
  ADD ("/sim-cli/fault/old-version", test_fault_old_version, NULL);
  ADD ("/sim-cli/fault/signal-drift", test_fault_signal_drift, NULL);
  ADD ("/sim-cli/fault/signal-quality", test_fault_signal_quality, NULL);
  ADD ("/sim-cli/fault/slow-link", test_fault_slow_link, NULL);
  ADD ("/sim-cli/bad-scenario-command", test_bad_scenario_command, NULL);
  ADD ("/sim-cli/profile/sojo-reboots-by-itself", test_sojo_reboots_by_itself, sojo_args);
  ADD ("/sim-cli/profile/sojo-measure", test_sojo_measure, sojo_args);
  ADD ("/sim-cli/profile/lk101-counter-segments", test_lk101_counter_segments, lk101_args);
  g_test_add_func ("/sim-cli/json/connection-refused", test_json_connection_refused);
  g_test_add_func ("/sim-cli/json/usage", test_json_usage);
  ADD ("/sim-cli/json/refused", test_json_refused, NULL);
#undef ADD
  return g_test_run ();
}
