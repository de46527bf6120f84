/* fieldflash-agent end to end (agent-remote-rig.h): main program upgrades — the result and its
 * ack, a retained command delivered again, a failed health check, the rollback command, a power
 * cut at each state — and the commands and packages the agent refuses with nothing written. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>

#include "agent-remote-rig.h"

/* Upgrade, result, ack; the outbox keeps a result until a valid ack and survives a restart. */
static void
test_program_upgrade (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL, replayed = NULL, again = NULL, republished = NULL;
  g_autofree char *version = NULL, *backup_version = NULL, *backup = NULL;
  g_autoptr(FfKey) forger = ff_key_generate (NULL);

  boot_online (rig);
  send_command (rig, command, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpstr (result->command_id, ==, command->command_id);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (result->versions.main_program, ==, "V2.0");
  g_assert_cmpstr (result->versions.kernel, ==, "K1.0");
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V2.0");
  backup = device_file (rig, "backup/main-program/main-program");
  g_assert_true (g_file_test (backup, G_FILE_TEST_IS_EXECUTABLE));
  assert_params_intact (rig);
  g_assert_cmpuint (outbox_size (rig), ==, 1);

  /* An ack signed by another key does not clear it (and is refused as a command that does not
   * verify); the platform's does. Each refusal's result is the marker that the agent handled
   * what came before it on the command topic. */
  send_ack (rig, result->result_id, forger);
  replayed = wait_result (rig);
  g_assert_cmpint (replayed->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (replayed->command_id);
  g_assert_cmpuint (outbox_size (rig), ==, 2);
  send_ack (rig, result->result_id, rig->platform_key);
  /* The same command again is ignored (a command ID is handled once): the next result is the
   * refusal of the forged ack after it. */
  send_command (rig, command, rig->platform_key);
  send_ack (rig, result->result_id, forger);
  again = wait_result (rig);
  g_assert_cmpint (again->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (again->command_id);
  g_assert_cmpuint (outbox_size (rig), ==, 2);

  /* A restart publishes what is still unacknowledged, oldest first. */
  stop_agent (rig);
  boot (rig);
  republished = wait_result (rig);
  g_assert_cmpstr (republished->result_id, ==, replayed->result_id);
  rig_free (rig);
}

static void
publish_retained (Rig *rig, const FfRemoteCommand *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) envelope = ff_remote_command_seal (command, rig->platform_key, &error);
  g_autofree char *topic = ff_remote_topic (DEVICE, "cmd");

  g_assert_no_error (error);
  g_assert_cmpint (mosquitto_publish (rig->platform, NULL, topic, g_bytes_get_size (envelope),
                                      g_bytes_get_data (envelope, NULL), 1, true), ==, 0);
}

/* Reboots the terminal: the @n results of its outbox come again (at the connection), then a
 * forged ack is refused with a result of its own, which comes after whatever the agent made of
 * the retained command the broker delivered at its subscription. That next result is returned. */
static FfRemoteResult *
reboot_until_marker (Rig *rig, guint n)
{
  g_autoptr(FfKey) forger = ff_key_generate (NULL);

  stop_agent (rig);
  boot (rig);
  for (guint i = 0; i < n; i++)
    ff_remote_result_free (wait_result (rig));
  send_ack (rig, "0123456789abcdef0123456789abcdef", forger);
  return wait_result (rig);
}

/* The platform publishes its commands retained (issue 14): the broker delivers one again at every
 * subscription of the terminal, until the platform's ack replaces it — after a power cut in the
 * middle of its install, after its result. The agent executes it once and reports once; a
 * command it refused (expired) is refused once. */
static void
test_retained_command (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteCommand) expired = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) result = NULL, marker = NULL, refused = NULL;
  g_autofree char *version = NULL;

  rig->fault = g_strdup ("power-cut-at=installing-program");
  boot_online (rig);
  publish_retained (rig, command);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (result->command_id, ==, command->command_id);
  g_assert_cmpuint (rig->power_cuts, ==, 1);
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V2.0");
  /* Finished, its result not acknowledged: the retained command comes again and is ignored. */
  marker = reboot_until_marker (rig, 1);
  g_assert_cmpint (marker->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (marker->command_id);
  g_assert_cmpuint (outbox_size (rig), ==, 2);
  g_clear_pointer (&marker, ff_remote_result_free);

  /* An expired command, refused once: not again when the broker delivers it again. */
  expired->not_after = expired->issued_at - 60;
  expired->issued_at -= 120;
  publish_retained (rig, expired);
  refused = wait_result (rig);
  g_assert_cmpint (refused->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (refused->command_id, ==, expired->command_id);
  marker = reboot_until_marker (rig, 3);
  g_assert_cmpint (marker->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (marker->command_id);
  g_assert_cmpuint (outbox_size (rig), ==, 4);
  rig_free (rig);
}

/* The new main program does not start: its backup comes back, also after a power cut at @data
 * (NULL: none) while it is restored. */
static void
test_program_health_check_fails (gconstpointer data)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", FALSE, "H1");
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *version = NULL;

  rig->fault = g_strdup (data);
  result = boot_and_upgrade (rig, sha);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (result->step, ==, "health-check");
  g_assert_cmpstr (result->versions.main_program, ==, "V1.0");
  g_assert_cmpuint (rig->power_cuts, ==, data != NULL);
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V1.0");
  assert_params_intact (rig);
  rig_free (rig);
}

static void
test_program_rollback_command (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autoptr(FfRemoteCommand) rollback = new_command (rig, FF_REMOTE_COMMAND_ROLLBACK, NULL);
  g_autoptr(FfRemoteResult) upgraded = NULL, rolled_back = NULL;
  g_autofree char *version = NULL;

  upgraded = boot_and_upgrade (rig, sha);
  g_assert_cmpint (upgraded->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  rollback->program = g_strdup ("main-program");
  send_command (rig, rollback, rig->platform_key);
  rolled_back = wait_result (rig);
  g_assert_cmpint (rolled_back->outcome, ==, FF_REMOTE_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (rolled_back->step, ==, "rollback");
  g_assert_cmpstr (rolled_back->versions.main_program, ==, "V1.0");
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V1.0");
  rig_free (rig);
}

/* A second command for the version just installed (a duplicate, a campaign sent again): the
 * package is checked, nothing is backed up or written, the result says "already-current". */
static void
test_program_already_running (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autoptr(FfRemoteResult) upgraded = boot_and_upgrade (rig, sha);
  g_autoptr(FfRemoteCommand) again = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autofree char *before = file_stamp (rig, "programs/main-program");
  /* The upgrade's backup (V1.0, for a rollback command) is not replaced by the running V2.0. */
  g_autofree char *backup_before = file_stamp (rig, "backup/main-program/main-program");
  guint boots = rig->boots;
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *after = NULL, *backup_after = NULL;

  g_assert_cmpint (upgraded->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  send_command (rig, again, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpstr (result->command_id, ==, again->command_id);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_ALREADY_CURRENT);
  g_assert_cmpstr (result->step, ==, "verify-package");
  g_assert_nonnull (strstr (result->reason, "main-program V2.0"));
  g_assert_cmpstr (result->versions.main_program, ==, "V2.0");
  after = file_stamp (rig, "programs/main-program");
  g_assert_cmpstr (after, ==, before);
  backup_after = file_stamp (rig, "backup/main-program/main-program");
  g_assert_cmpstr (backup_after, ==, backup_before);
  g_assert_cmpuint (rig->boots, ==, boots);
  assert_params_intact (rig);
  rig_free (rig);
}

/* A main program upgrade with a power cut at @data: ends on the new version, one result. */
static void
test_program_power_cut (gconstpointer data)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *version = NULL;

  rig->fault = g_strdup (data);
  result = boot_and_upgrade (rig, sha);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  g_assert_cmpuint (rig->power_cuts, ==, 1);
  /* The package is paid for once on a metered link, also when the power is cut after its
   * download's rename (the record still at downloading). */
  g_assert_cmpuint (rig->package_gets, ==, 1);
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V2.0");
  assert_params_intact (rig);
  g_assert_cmpuint (outbox_size (rig), ==, 1);
  rig_free (rig);
}

/* Each refusal writes nothing and the result says why. */
static void
test_refusals (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *good = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autofree char *older = main_program_package (rig, "V0.9", TRUE, "H1");
  g_autofree char *other_hardware = main_program_package (rig, "V2.0", TRUE, "H7");
  g_autoptr(FfKey) forger = ff_key_generate (NULL);
  g_autoptr(FfRemoteCommand) forged = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, good);
  g_autoptr(FfRemoteCommand) expired = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, good);
  g_autoptr(FfRemoteCommand) other_device = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, good);
  g_autoptr(FfRemoteCommand) downgrade = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, older);
  g_autoptr(FfRemoteCommand) hardware = new_command (rig, FF_REMOTE_COMMAND_UPGRADE,
                                                     other_hardware);
  g_autoptr(FfRemoteCommand) tampered = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, good);
  g_autoptr(FfRemoteCommand) signed_rollback = new_command (rig, FF_REMOTE_COMMAND_ROLLBACK,
                                                            older);
  g_autoptr(FfRemoteResult) result = NULL;
  g_autoptr(GBytes) garbage = g_bytes_new_static ("{\"document\":1}", 14);
  g_autofree char *version = NULL;

  boot_online (rig);
  send_command (rig, forged, forger);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (result->command_id);
  g_assert_cmpstr (result->step, ==, "verify-command");
  g_clear_pointer (&result, ff_remote_result_free);

  publish_envelope (rig, garbage);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_null (result->command_id);
  g_clear_pointer (&result, ff_remote_result_free);

  expired->issued_at -= 7200;
  expired->not_after = expired->issued_at + 60;
  send_command (rig, expired, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (result->command_id, ==, expired->command_id);
  g_clear_pointer (&result, ff_remote_result_free);

  g_free (other_device->device_id);
  other_device->device_id = g_strdup ("DTU-0002");
  send_command (rig, other_device, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (result->command_id, ==, other_device->command_id);
  g_clear_pointer (&result, ff_remote_result_free);

  send_command (rig, downgrade, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (result->step, ==, "verify-package");
  g_assert_nonnull (strstr (result->reason, "downgrade"));
  g_clear_pointer (&result, ff_remote_result_free);

  send_command (rig, hardware, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
  g_assert_cmpstr (result->step, ==, "verify-package");
  g_assert_nonnull (strstr (result->reason, "H1"));
  g_clear_pointer (&result, ff_remote_result_free);

  rig->tamper_downloads = TRUE;
  send_command (rig, tampered, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_FAILED);
  g_assert_cmpstr (result->step, ==, "download");
  g_clear_pointer (&result, ff_remote_result_free);
  rig->tamper_downloads = FALSE;
  assert_nothing_written (rig);

  /* The same older package with a signed rollback command is installed. */
  send_command (rig, signed_rollback, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V0.9");
  rig_free (rig);
}

typedef struct
{
  const char *name;
  int filetype;                /* AE_IFREG, AE_IFLNK */
  const char *data;            /* NULL: manifest.json / manifest.sig of the good package */
  const char *link;
} TarEntry;

/* A tar with @good_sha's signed manifest and @entries, served as a package; returns its SHA-256. */
static char *
make_evil_package (Rig *rig, const char *good_sha, const TarEntry *entries, guint n_entries)
{
  g_autoptr(FfPackage) good = ff_package_open (g_hash_table_lookup (rig->packages, good_sha),
                                               rig->platform_key, NULL);
  GBytes *manifest = ff_package_get_manifest_bytes (good);
  g_autoptr(GBytes) signature = ff_key_sign (rig->platform_key, manifest, NULL);
  g_autofree char *name = g_strdup_printf ("evil-%u.ffpkg", g_hash_table_size (rig->packages));
  char *path = g_build_filename (rig->root, name, NULL);
  struct archive *archive = archive_write_new ();

  g_assert_cmpint (archive_write_set_format_pax_restricted (archive), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open_filename (archive, path), ==, ARCHIVE_OK);
  for (guint i = 0; i < n_entries; i++)
    {
      struct archive_entry *entry = archive_entry_new ();
      gconstpointer bytes = entries[i].data;
      gsize size = bytes != NULL ? strlen (bytes) : 0;

      if (bytes == NULL)
        bytes = g_bytes_get_data (g_str_equal (entries[i].name, "manifest.json") ? manifest
                                                                                 : signature,
                                  &size);
      archive_entry_set_pathname (entry, entries[i].name);
      archive_entry_set_filetype (entry, entries[i].filetype);
      archive_entry_set_perm (entry, 0755);
      if (entries[i].filetype == AE_IFLNK)
        {
          archive_entry_set_symlink (entry, entries[i].link);
          size = 0;
        }
      archive_entry_set_size (entry, size);
      g_assert_cmpint (archive_write_header (archive, entry), ==, ARCHIVE_OK);
      if (size > 0)
        g_assert_cmpint (archive_write_data (archive, bytes, size), ==, size);
      archive_entry_free (entry);
    }
  g_assert_cmpint (archive_write_close (archive), ==, ARCHIVE_OK);
  archive_write_free (archive);
  g_hash_table_insert (rig->packages, ff_sha256_file_hex (path, NULL, NULL), path);
  return ff_sha256_file_hex (path, NULL, NULL);
}

/* Tar entries with "..", an absolute path or a link, and a manifest over 64 KiB: each package is
 * refused before anything is extracted, and the result says why. */
static void
test_evil_packages (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *good = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autofree char *script = program_script ("V6.6", TRUE);
  g_autofree char *big = g_strnfill (70 * 1024, ' ');
  const TarEntry dot_dot[] = {
    { "manifest.json", AE_IFREG }, { "manifest.sig", AE_IFREG },
    { "payloads/../../../programs/main-program", AE_IFREG, script },
  };
  const TarEntry absolute[] = {
    { "manifest.json", AE_IFREG }, { "manifest.sig", AE_IFREG },
    { "/tmp/ff-agent-evil-main-program", AE_IFREG, script },
  };
  const TarEntry link[] = {
    { "manifest.json", AE_IFREG }, { "manifest.sig", AE_IFREG },
    { "payloads/0-main-program", AE_IFLNK, NULL, "/etc/passwd" },
  };
  const TarEntry oversized[] = {
    { "manifest.json", AE_IFREG, big }, { "manifest.sig", AE_IFREG },
  };
  const struct { const TarEntry *entries; guint n; } cases[] = {
    { dot_dot, G_N_ELEMENTS (dot_dot) }, { absolute, G_N_ELEMENTS (absolute) },
    { link, G_N_ELEMENTS (link) }, { oversized, G_N_ELEMENTS (oversized) },
  };

  boot_online (rig);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *sha = make_evil_package (rig, good, cases[i].entries, cases[i].n);
      g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
      g_autoptr(FfRemoteResult) result = NULL;

      send_command (rig, command, rig->platform_key);
      result = wait_result (rig);
      g_test_message ("case %u: %s", i, result->reason);
      g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_REFUSED);
      g_assert_cmpstr (result->step, ==, "verify-package");
      g_assert_true (g_str_has_prefix (result->reason, "The package is refused: "));
      assert_nothing_written (rig);
      g_assert_false (g_file_test ("/tmp/ff-agent-evil-main-program", G_FILE_TEST_EXISTS));
    }
  rig_free (rig);
}

/* The command a damaged record below still names. */
#define DAMAGED_COMMAND "0123456789abcdef0123456789abcdef"

static gboolean
state_says (GBytes *state, const char *text)
{
  return g_strstr_len (g_bytes_get_data (state, NULL), g_bytes_get_size (state), text) != NULL;
}

/* A state record the agent cannot read — cut short by a full partition, garbage, one of a newer
 * agent — exited the agent, and the boot loop started it again, forever. Now the record is kept
 * aside, the agent starts idle and says why in its retained state, reports failed the command
 * the record still names, keeps a fresh record, and the next upgrade works. */
static void
test_damaged_record (gconstpointer data)
{
  const char *kind = data;
  Rig *rig = rig_new ("recovery");
  g_autofree char *path = device_file (rig, "data/state.json");
  g_autofree char *data_dir = device_file (rig, "data");
  g_autofree char *sha = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autoptr(FfRemoteCommand) command = new_command (rig, FF_REMOTE_COMMAND_UPGRADE, sha);
  g_autoptr(FfRemoteResult) failed = NULL, result = NULL;
  g_autoptr(GBytes) state = NULL;
  g_autoptr(FfAgentState) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autofree char *version = NULL;
  const char *name;
  guint aside = 0;

  if (g_str_equal (kind, "truncated"))
    write_file (path, "{\n  \"format_version\" : 1,\n  \"state\" : \"downloading\",\n"
                "  \"command_id\" : \"" DAMAGED_COMMAND "\",\n  \"comm", -1, 0600);
  else if (g_str_equal (kind, "garbage"))
    write_file (path, "\x7f\x45\x4c\x46\x00\x01\xff garbage", 14, 0600);
  else
    write_file (path, "{\"format_version\":2,\"state\":\"downloading\",\"command_id\":\""
                DAMAGED_COMMAND "\",\"command_kind\":\"upgrade\",\"wave\":-1,\"hologram\":{}}",
                -1, 0600);
  state = boot_online_state (rig);
  g_assert_cmpuint (rig->boots, ==, 1);
  g_assert_true (state_says (state, "\"agent_state\" : \"idle\""));
  g_assert_true (state_says (state, "\"state_reset\" : \"The agent's state record could not"));
  dir = g_dir_open (data_dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    aside += g_str_has_prefix (name, "state.json.damaged-");
  g_assert_cmpuint (aside, ==, 1);

  if (g_str_equal (kind, "newer"))
    {
      /* Its command cannot go on: it is reported, failed, with why. */
      failed = wait_result (rig);
      g_assert_cmpstr (failed->command_id, ==, DAMAGED_COMMAND);
      g_assert_cmpint (failed->outcome, ==, FF_REMOTE_OUTCOME_FAILED);
      g_assert_null (failed->step);
      g_assert_nonnull (strstr (failed->reason, "format_version"));
    }
  send_command (rig, command, rig->platform_key);
  result = wait_result (rig);
  g_assert_cmpstr (result->command_id, ==, command->command_id);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_SUCCEEDED);
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V2.0");

  /* It keeps a record it reads again. */
  stop_agent (rig);
  record = ff_agent_state_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, FF_AGENT_STATE_IDLE);
  g_assert_true (ff_agent_state_was_executed (record, command->command_id));
  rig_free (rig);
}

/* After the power cut at health-check (the new main program in place, not checked yet): the
 * record damaged. */
static void
damage_record_after_install (Rig *rig)
{
  g_autofree char *version = program_version (rig, "main-program");

  g_assert_cmpstr (version, ==, "V2.0");
  damage_record (rig, FF_AGENT_STATE_HEALTH_CHECK);
}

/* The record lost once the new main program is in place: the health check that would confirm it
 * checks what the record described. The package still on the data partition says which program
 * this command put in place; its backup (made by this command before the install) goes back and
 * the command is reported rolled back. (Before: reported failed, the unchecked V2.0 left
 * running.) */
static void
test_damaged_record_after_install (void)
{
  Rig *rig = rig_new ("recovery");
  g_autofree char *sha = main_program_package (rig, "V2.0", TRUE, "H1");
  g_autoptr(FfRemoteResult) result = NULL;
  g_autofree char *version = NULL;

  rig->fault = g_strdup ("power-cut-at=health-check");
  rig->after_power_cut = damage_record_after_install;
  result = boot_and_upgrade (rig, sha);
  g_assert_cmpuint (rig->power_cuts, ==, 1);
  g_assert_cmpuint (rig->boots, ==, 2);
  g_assert_cmpint (result->outcome, ==, FF_REMOTE_OUTCOME_ROLLED_BACK);
  g_assert_cmpstr (result->versions.main_program, ==, "V1.0");
  g_assert_nonnull (strstr (result->reason, "format_version"));
  version = program_version (rig, "main-program");
  g_assert_cmpstr (version, ==, "V1.0");
  assert_params_intact (rig);
  g_assert_cmpuint (outbox_size (rig), ==, 1);
  rig_free (rig);
}

int
main (int argc, char **argv)
{
  static const char *const program_power_cuts[] = {
    "power-cut-at=downloading", "power-cut-in=download-rename", "power-cut-at=verifying",
    "power-cut-at=backing-up", "power-cut-at=installing-program", "power-cut-at=health-check",
    "power-cut-at=reporting",
  };

  g_test_init (&argc, &argv, NULL);
  mosquitto_lib_init ();
  g_test_add_func ("/agent-remote/program/upgrade", test_program_upgrade);
  g_test_add_func ("/agent-remote/program/retained-command", test_retained_command);
  g_test_add_data_func ("/agent-remote/program/health-check-fails", NULL,
                        test_program_health_check_fails);
  g_test_add_data_func ("/agent-remote/program/health-check-fails/power-cut-at=restoring-backup",
                        "power-cut-at=restoring-backup", test_program_health_check_fails);
  g_test_add_func ("/agent-remote/program/rollback-command", test_program_rollback_command);
  g_test_add_func ("/agent-remote/program/already-running", test_program_already_running);
  g_test_add_func ("/agent-remote/refusals", test_refusals);
  g_test_add_func ("/agent-remote/evil-packages", test_evil_packages);
  g_test_add_data_func ("/agent-remote/damaged-record/truncated", "truncated",
                        test_damaged_record);
  g_test_add_data_func ("/agent-remote/damaged-record/garbage", "garbage", test_damaged_record);
  g_test_add_data_func ("/agent-remote/damaged-record/newer", "newer", test_damaged_record);
  g_test_add_func ("/agent-remote/damaged-record/after-install",
                   test_damaged_record_after_install);
  for (guint i = 0; i < G_N_ELEMENTS (program_power_cuts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/agent-remote/program/%s",
                                               program_power_cuts[i]);

      g_test_add_data_func (path, program_power_cuts[i], test_program_power_cut);
    }
  return g_test_run ();
}
