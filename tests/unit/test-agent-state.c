/* fieldflash-agent: the persisted state record, the boot environment and slot writes, each with
 * the power cuts and I/O errors the fault hook simulates. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ff-agent-bootenv.h"
#include "ff-agent-fault.h"
#include "ff-agent-outbox.h"
#include "ff-agent-query.h"
#include "ff-agent-slot.h"
#include "ff-agent-state.h"
#include "ff-crypto.h"
#include "test-agent-util.h"

static void
test_state_round_trip (void)
{
  char *root = agent_test_root_new ();
  g_autofree char *path = g_build_filename (root, "state.json", NULL);
  g_autoptr(GError) error = NULL;

  for (guint name = 0; name < FF_AGENT_N_STATES; name++)
    {
      g_autoptr(FfAgentState) state = ff_agent_state_new ();
      g_autoptr(FfAgentState) loaded = NULL;

      state->command_id = g_strdup ("0123456789abcdef0123456789abcdef");
      state->command_kind = g_strdup ("upgrade");
      state->wave = 2;
      state->package_sha256 = g_strnfill (64, 'a');
      state->package_size = 12345;
      state->target_slot = 'b';
      state->previous_slot = 'a';
      state->falling_back = name % 2;
      g_hash_table_insert (state->target_versions, g_strdup ("rootfs"), g_strdup ("V2.0"));
      ff_agent_state_set_outcome (state, "failed", "write-slot", "why");
      g_assert_true (ff_agent_state_enter (state, path, name, &error));
      g_assert_no_error (error);

      loaded = ff_agent_state_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (loaded->state, ==, name);
      g_assert_cmpstr (loaded->command_id, ==, state->command_id);
      g_assert_cmpstr (loaded->command_kind, ==, "upgrade");
      g_assert_cmpint (loaded->wave, ==, 2);
      g_assert_cmpint (loaded->package_size, ==, 12345);
      g_assert_cmpint (loaded->target_slot, ==, 'b');
      g_assert_cmpint (loaded->previous_slot, ==, 'a');
      g_assert_cmpint (loaded->falling_back, ==, name % 2);
      g_assert_cmpstr (g_hash_table_lookup (loaded->target_versions, "rootfs"), ==, "V2.0");
      g_assert_cmpstr (loaded->outcome, ==, "failed");
      g_assert_cmpstr (loaded->step, ==, "write-slot");
      g_assert_cmpstr (loaded->reason, ==, "why");
    }
  agent_test_root_free (root);
}

/* A missing record is a fresh idle one; a damaged one is an error here (the agent puts it aside,
 * ff_agent_state_load_or_reset()), not a silent guess. */
static void
test_state_missing_and_damaged (void)
{
  char *root = agent_test_root_new ();
  g_autofree char *path = g_build_filename (root, "state.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentState) state = ff_agent_state_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (state->state, ==, FF_AGENT_STATE_IDLE);
  g_assert_null (state->command_id);
  g_free (agent_test_write (root, "state.json", "{\"state\":\"flying\"}", FALSE));
  g_assert_null (ff_agent_state_load (path, &error));
  g_assert_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_DAMAGED);
  g_clear_error (&error);
  /* A record of a newer agent, or with a member this one does not know, is not guessed at. */
  g_free (agent_test_write (root, "state.json", "{\"format_version\":2,\"state\":\"idle\"}",
                            FALSE));
  g_assert_null (ff_agent_state_load (path, &error));
  g_assert_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_DAMAGED);
  g_clear_error (&error);
  g_free (agent_test_write (root, "state.json",
                            "{\"format_version\":1,\"state\":\"idle\",\"slots\":[]}", FALSE));
  g_assert_null (ff_agent_state_load (path, &error));
  g_assert_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_DAMAGED);
  g_clear_error (&error);
  g_free (agent_test_write (root, "state.json",
                            "{\"format_version\":1,\"state\":\"idle\",\"executed\":\"x\"}",
                            FALSE));
  g_assert_null (ff_agent_state_load (path, &error));
  g_assert_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_DAMAGED);
  agent_test_root_free (root);
}

static void
test_state_executed_ids (void)
{
  g_autoptr(FfAgentState) state = ff_agent_state_new ();

  for (guint i = 0; i < FF_AGENT_EXECUTED_MAX + 10; i++)
    {
      state->command_id = g_strdup_printf ("%032x", i);
      g_assert_true (ff_agent_state_was_executed (state, state->command_id));
      ff_agent_state_finish_command (state);
      g_assert_null (state->command_id);
    }
  g_assert_cmpuint (state->executed->len, ==, FF_AGENT_EXECUTED_MAX);
  g_assert_false (ff_agent_state_was_executed (state, "00000000000000000000000000000009"));
  g_assert_true (ff_agent_state_was_executed (state, "0000000000000000000000000000000a"));
  g_assert_true (ff_agent_state_was_executed (state, "00000000000000000000000000000109"));
}

/* power-cut-at=STATE dies right after STATE is on disk: the record says STATE. */
static void
test_state_power_cut (void)
{
  char *root = agent_test_root_new ();
  g_autofree char *path = g_build_filename (root, "state.json", NULL);
  g_autoptr(FfAgentState) state = ff_agent_state_new ();
  g_autoptr(FfAgentState) loaded = NULL;
  g_autoptr(GError) error = NULL;

  if (agent_test_with_fault ("power-cut-at=writing-slot"))
    {
      state->command_id = g_strdup ("0123456789abcdef0123456789abcdef");
      g_assert_true (ff_agent_state_enter (state, path, FF_AGENT_STATE_BACKING_UP, NULL));
      g_assert_true (ff_agent_state_enter (state, path, FF_AGENT_STATE_WRITING_SLOT, NULL));
      g_assert_not_reached ();
    }
  agent_test_assert_power_cut ();
  loaded = ff_agent_state_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->state, ==, FF_AGENT_STATE_WRITING_SLOT);
  g_assert_cmpstr (loaded->command_id, ==, "0123456789abcdef0123456789abcdef");
  agent_test_root_free (root);
}

static void
test_fault_unknown (void)
{
  g_autoptr(GError) error = NULL;

  g_setenv ("FIELDFLASH_AGENT_FAULT", "power-cut-in=nowhere", TRUE);
  g_assert_false (ff_agent_fault_init (&error));
  g_assert_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_CONFIG);
  g_unsetenv ("FIELDFLASH_AGENT_FAULT");
}

static void
assert_env (const char *config, const char *name, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentBootEnv) env = ff_agent_bootenv_open (config, &error);
  g_autofree char *value = NULL;

  g_assert_no_error (error);
  value = ff_agent_bootenv_get (env, name);
  g_assert_cmpstr (value, ==, expected);
}

static void
test_bootenv_store (void)
{
  char *root = agent_test_root_new ();
  g_autofree char *config = agent_test_make_env (root);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentBootEnv) env = ff_agent_bootenv_open (config, &error);

  g_assert_no_error (error);
  g_assert_null (ff_agent_bootenv_get (env, "ff_mode"));
  g_assert_true (ff_agent_bootenv_store (env, &error, "ff_mode", "recovery",
                                         "ff_upgrade", "kernel+rootfs", NULL));
  g_assert_no_error (error);
  /* libubootenv locks the environment while it is open. */
  g_clear_pointer (&env, ff_agent_bootenv_close);
  assert_env (config, "ff_mode", "recovery");
  assert_env (config, "ff_upgrade", "kernel+rootfs");
  env = ff_agent_bootenv_open (config, &error);
  g_assert_true (ff_agent_bootenv_store (env, &error, "ff_mode", "normal", "ff_upgrade", NULL,
                                         NULL));
  g_clear_pointer (&env, ff_agent_bootenv_close);
  assert_env (config, "ff_mode", "normal");
  assert_env (config, "ff_upgrade", NULL);
  agent_test_root_free (root);
}

/* A power cut in the middle of writing the environment leaves the other copy, with every
 * variable of the previous step and none of the torn one. */
static void
test_bootenv_torn_write (void)
{
  char *root = agent_test_root_new ();
  g_autofree char *config = agent_test_make_env (root);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfAgentBootEnv) env = NULL;

  if (!g_test_subprocess ())
    {
      env = ff_agent_bootenv_open (config, &error);
      g_assert_true (ff_agent_bootenv_store (env, &error, "boot_slot", "a",
                                             "upgrade_available", "0", NULL));
      g_assert_no_error (error);
      g_clear_pointer (&env, ff_agent_bootenv_close);
    }
  if (agent_test_with_fault ("power-cut-in=env-write"))
    {
      env = ff_agent_bootenv_open (config, &error);
      ff_agent_bootenv_store (env, &error, "boot_slot", "b", "upgrade_available", "1",
                              "bootcount", "0", NULL);
      g_assert_not_reached ();
    }
  agent_test_assert_power_cut ();
  assert_env (config, "boot_slot", "a");
  assert_env (config, "upgrade_available", "0");
  assert_env (config, "bootcount", NULL);
  /* And the environment is writable again. */
  env = ff_agent_bootenv_open (config, &error);
  g_assert_true (ff_agent_bootenv_store (env, &error, "boot_slot", "b", NULL));
  g_clear_pointer (&env, ff_agent_bootenv_close);
  assert_env (config, "boot_slot", "b");
  assert_env (config, "upgrade_available", "0");
  agent_test_root_free (root);
}

static char *
make_image (const char *root, const char *name, gsize size, char **sha256)
{
  g_autofree char *bytes = g_malloc (size);
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (root, name, NULL);

  for (gsize i = 0; i < size; i++)
    bytes[i] = (char) (i * 7 + size);
  g_file_set_contents (path, bytes, size, &error);
  g_assert_no_error (error);
  *sha256 = ff_sha256_hex (bytes, size);
  return path;
}

static char *
read_digest_file (const char *slot)
{
  g_autofree char *path = g_strconcat (slot, ".sha256", NULL);
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, NULL);
  return contents != NULL ? g_strstrip (contents) : NULL;
}

static void
test_slot_write (void)
{
  char *root = agent_test_root_new ();
  g_autofree char *old_sha = NULL, *new_sha = NULL, *digest = NULL, *read_back = NULL;
  g_autofree char *slot = make_image (root, "slot", 3 * 1024 * 1024 + 5, &old_sha);
  g_autofree char *image = make_image (root, "image", 2 * 1024 * 1024 + 77, &new_sha);
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_agent_slot_write (slot, image, new_sha, &error));
  g_assert_no_error (error);
  read_back = ff_agent_slot_sha256 (slot, &error);
  g_assert_cmpstr (read_back, ==, new_sha);
  digest = read_digest_file (slot);
  g_assert_cmpstr (digest, ==, new_sha);

  /* A read-back that differs from what the image should be is an error (here: the expected
   * digest is not the image's). */
  g_assert_false (ff_agent_slot_write (slot, image, old_sha, &error));
  g_assert_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_IO);
  agent_test_root_free (root);
}

/* A power cut after N bytes leaves a torn slot whose digest file no longer matches it. */
static void
test_slot_power_cut (void)
{
  char *root = agent_test_root_new ();
  g_autofree char *old_sha = NULL, *new_sha = NULL, *digest = NULL, *actual = NULL;
  g_autofree char *slot = make_image (root, "slot", 3 * 1024 * 1024, &old_sha);
  g_autofree char *image = make_image (root, "image", 2 * 1024 * 1024 + 77, &new_sha);
  g_autofree char *slot_digest = agent_test_write (root, "slot.sha256", old_sha, FALSE);
  struct stat info;

  if (agent_test_with_fault ("power-cut-in=write-slot:1500000"))
    {
      ff_agent_slot_write (slot, image, new_sha, NULL);
      g_assert_not_reached ();
    }
  agent_test_assert_power_cut ();
  digest = read_digest_file (slot);
  actual = ff_agent_slot_sha256 (slot, NULL);
  g_assert_cmpstr (digest, ==, old_sha);
  g_assert_cmpstr (actual, !=, old_sha);
  g_assert_cmpstr (actual, !=, new_sha);
  g_assert_cmpint (g_stat (slot, &info), ==, 0);
  g_assert_cmpint (info.st_size, ==, 3 * 1024 * 1024);
  agent_test_root_free (root);
}

/* A write error (once per run) fails the write and leaves the old digest; the next write works. */
static void
test_slot_write_error (void)
{
  char *root = agent_test_root_new ();
  g_autofree char *old_sha = NULL, *new_sha = NULL, *digest = NULL;
  g_autofree char *slot = make_image (root, "slot", 3 * 1024 * 1024, &old_sha);
  g_autofree char *image = make_image (root, "image", 2 * 1024 * 1024 + 77, &new_sha);
  g_autofree char *slot_digest = agent_test_write (root, "slot.sha256", old_sha, FALSE);
  g_autoptr(GError) error = NULL;

  if (agent_test_with_fault ("slot-write-error"))
    {
      g_assert_false (ff_agent_slot_write (slot, image, new_sha, &error));
      g_assert_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_IO);
      g_clear_error (&error);
      digest = read_digest_file (slot);
      g_assert_cmpstr (digest, ==, old_sha);
      g_assert_true (ff_agent_slot_write (slot, image, new_sha, &error));
      g_assert_no_error (error);
      agent_test_root_free (root);
      return;
    }
  agent_test_assert_passed ();
  digest = read_digest_file (slot);
  g_assert_cmpstr (digest, ==, new_sha);
  agent_test_root_free (root);
}

/* The scheduled query's timer runs to the next configured time, today or tomorrow. */
static void
test_query_next_time (void)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (int));
  int at[] = { 2 * 60 + 30, 14 * 60 + 30 };
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) night = g_date_time_new (utc, 2026, 12, 6, 1, 0, 0);
  g_autoptr(GDateTime) exactly = g_date_time_new (utc, 2026, 12, 6, 2, 30, 0);
  g_autoptr(GDateTime) evening = g_date_time_new (utc, 2026, 12, 6, 20, 0, 30);

  g_array_append_vals (times, at, G_N_ELEMENTS (at));
  g_assert_cmpuint (ff_agent_query_seconds_until_next (times, night), ==, 90 * 60);
  g_assert_cmpuint (ff_agent_query_seconds_until_next (times, exactly), ==, 12 * 3600);
  g_assert_cmpuint (ff_agent_query_seconds_until_next (times, evening), ==,
                    6 * 3600 + 30 * 60 - 30);
}

/* Results stay until removed by their ID, across instances, oldest first; an ID that is not
 * one (a path) removes nothing. */
static void
test_outbox (void)
{
  char *root = agent_test_root_new ();
  g_autofree char *dir = g_build_filename (root, "outbox", NULL);
  g_autoptr(FfAgentOutbox) outbox = ff_agent_outbox_new (dir);
  g_autoptr(FfAgentOutbox) reopened = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) first = g_bytes_new_static ("first", 5);
  g_autoptr(GBytes) second = g_bytes_new_static ("second", 6);

  g_assert_true (ff_agent_outbox_add (outbox, "ffffffffffffffffffffffffffffffff", first, &error));
  g_assert_true (ff_agent_outbox_add (outbox, "00000000000000000000000000000000", second,
                                      &error));
  g_assert_no_error (error);
  reopened = ff_agent_outbox_new (dir);
  list = ff_agent_outbox_list (reopened);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_true (g_bytes_equal (g_ptr_array_index (list, 0), first));
  g_assert_true (g_bytes_equal (g_ptr_array_index (list, 1), second));
  g_clear_pointer (&list, g_ptr_array_unref);
  g_assert_false (ff_agent_outbox_remove (reopened, "../outbox/ffffffffffffffffffffffffffffffff"));
  g_assert_false (ff_agent_outbox_remove (reopened, "11111111111111111111111111111111"));
  g_assert_true (ff_agent_outbox_remove (reopened, "ffffffffffffffffffffffffffffffff"));
  list = ff_agent_outbox_list (outbox);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_true (g_bytes_equal (g_ptr_array_index (list, 0), second));
  agent_test_root_free (root);
}

/* Gives every file in @dir the same modification time, as a file system with coarse times does
 * to files written within its granularity. */
static void
set_same_mtime (const char *dir_path)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const struct timespec times[2] = { { 1700000000, 0 }, { 1700000000, 0 } };
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);

      g_assert_cmpint (utimensat (AT_FDCWD, path, times, 0), ==, 0);
    }
}

/* Results written within one tick of the clock still come back in the order they were written
 * (their IDs sort the other way); one stored by an earlier agent as RESULT_ID.json, newer by its
 * time, is listed before them and removed by its ID. */
static void
test_outbox_order (void)
{
  char *root = agent_test_root_new ();
  g_autofree char *dir = g_build_filename (root, "outbox", NULL);
  g_autofree char *earlier = g_build_filename (dir, "77777777777777777777777777777777.json", NULL);
  const char *ids[] = { "ffffffffffffffffffffffffffffffff", "88888888888888888888888888888888",
                        "00000000000000000000000000000000" };
  const char *bodies[] = { "first", "second", "third" };
  const struct timespec later[2] = { { 1800000000, 0 }, { 1800000000, 0 } };
  g_autoptr(FfAgentOutbox) outbox = ff_agent_outbox_new (dir);
  g_autoptr(FfAgentOutbox) reopened = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(GBytes) body = g_bytes_new_static (bodies[i], strlen (bodies[i]));

      g_assert_true (ff_agent_outbox_add (outbox, ids[i], body, &error));
      g_assert_no_error (error);
    }
  set_same_mtime (dir);
  g_assert_true (g_file_set_contents (earlier, "earlier", -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (utimensat (AT_FDCWD, earlier, later, 0), ==, 0);

  reopened = ff_agent_outbox_new (dir);
  list = ff_agent_outbox_list (reopened);
  g_assert_cmpuint (list->len, ==, 4);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (list, 0), NULL),
                   g_bytes_get_size (g_ptr_array_index (list, 0)), "earlier", 7);
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (list, i + 1), NULL),
                     g_bytes_get_size (g_ptr_array_index (list, i + 1)), bodies[i],
                     strlen (bodies[i]));
  g_clear_pointer (&list, g_ptr_array_unref);

  /* A result added after a restart goes after every stored one. */
  {
    g_autoptr(GBytes) fourth = g_bytes_new_static ("fourth", 6);

    g_assert_true (ff_agent_outbox_add (reopened, "11111111111111111111111111111111", fourth,
                                        &error));
    g_assert_no_error (error);
  }
  set_same_mtime (dir);
  g_assert_true (ff_agent_outbox_remove (reopened, "77777777777777777777777777777777"));
  g_assert_false (g_file_test (earlier, G_FILE_TEST_EXISTS));
  g_assert_true (ff_agent_outbox_remove (reopened, "88888888888888888888888888888888"));
  g_assert_false (ff_agent_outbox_remove (reopened, "88888888888888888888888888888888"));
  list = ff_agent_outbox_list (outbox);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (list, 0), NULL),
                   g_bytes_get_size (g_ptr_array_index (list, 0)), "first", 5);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (list, 1), NULL),
                   g_bytes_get_size (g_ptr_array_index (list, 1)), "third", 5);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (list, 2), NULL),
                   g_bytes_get_size (g_ptr_array_index (list, 2)), "fourth", 6);
  agent_test_root_free (root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/state/round-trip", test_state_round_trip);
  g_test_add_func ("/agent/state/missing-and-damaged", test_state_missing_and_damaged);
  g_test_add_func ("/agent/state/executed-ids", test_state_executed_ids);
  g_test_add_func ("/agent/state/power-cut", test_state_power_cut);
  g_test_add_func ("/agent/fault/unknown", test_fault_unknown);
  g_test_add_func ("/agent/bootenv/store", test_bootenv_store);
  g_test_add_func ("/agent/bootenv/torn-write", test_bootenv_torn_write);
  g_test_add_func ("/agent/slot/write", test_slot_write);
  g_test_add_func ("/agent/slot/power-cut", test_slot_power_cut);
  g_test_add_func ("/agent/slot/write-error", test_slot_write_error);
  g_test_add_func ("/agent/query/next-time", test_query_next_time);
  g_test_add_func ("/agent/outbox", test_outbox);
  g_test_add_func ("/agent/outbox/order", test_outbox_order);
  return g_test_run ();
}
