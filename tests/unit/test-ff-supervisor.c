/* Tests for ff-supervisor and the task's supervisors: the signed task carries each supervisor's
 * PIN hash, the tablet checks a PIN against it offline, three wrong PINs lock overrides in the
 * store (a restart keeps the lock) until a sync lifts it. */
#include "config.h"

#include "ff-supervisor.h"
#include "ff-test-fixtures.h"

#define ISSUED 1795248000   /* 2026-11-21T08:00:00Z */
#define VISIT "13800138000-20261121/DTU0001"

static FfTask *
task_with_supervisor (void)
{
  FfTask *task = ff_test_task_new (ISSUED, 7 * 24 * 3600, "张伟");
  FfTaskItem *item = ff_test_task_item_new ("DTU0001", "Ring main unit 1 / north", 39.915, 116.404,
                                            "127.0.1.100", 2404);

  item->target.version = g_strdup ("V2.01");
  item->target.sha256 = g_strdup ("2c26b46b68ffc68ff99b453c1d304134"
                                  "13422d706483bfa0f98a5e886266e7ae");
  item->target.size = 65536;
  item->target.file_name = g_strdup ("UpdateProgram.bin");
  g_ptr_array_add (task->items, item);
  g_ptr_array_add (task->supervisors, ff_test_supervisor_new ());
  return task;
}

/* The supervisors are part of the signed bytes and come back from them. */
static void
test_task_carries_supervisors (void)
{
  g_autoptr(FfTask) task = task_with_supervisor ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = ff_task_serialize (task);
  g_autoptr(FfTask) parsed = ff_task_parse (bytes, &error);
  const FfSupervisor *supervisor;

  g_assert_no_error (error);
  supervisor = ff_task_find_supervisor (parsed, FF_TEST_SUPERVISOR);
  g_assert_nonnull (supervisor);
  g_assert_true (ff_pin_verify (FF_TEST_SUPERVISOR_PIN, supervisor->pin_hash));
  g_assert_null (ff_task_find_supervisor (parsed, "Han Meimei"));
}

static void
test_task_supervisor_refused (void)
{
  static const FfTestMutation cases[] = {
    { "\"pin_hash\" : \"scrypt$32768$", "\"pin_hash\" : \"scrypt$1024$",
      "supervisors[0].pin_hash" },
    { "\"pin_hash\" : \"scrypt$", "\"pin_hash\" : \"plain$", "supervisors[0].pin_hash" },
    { "\"name\" : \"Li Lei\"", "\"name\" : \"\"", "supervisors[0].name" },
    { "\"name\" : \"Li Lei\"", "\"name\" : \"Li Lei\", \"pin\" : \"1\"", "supervisors[0].pin" },
  };
  g_autoptr(FfTask) task = task_with_supervisor ();
  g_autoptr(GBytes) bytes = ff_task_serialize (task);

  ff_test_assert_mutations_refused (bytes, cases, G_N_ELEMENTS (cases),
                                    (FfTestParseFunc) ff_task_parse);
}

static void
test_pin_rule (void)
{
  g_assert_true (ff_supervisor_pin_is_valid ("20261206"));
  g_assert_true (ff_supervisor_pin_is_valid ("2026120620261206"));
  g_assert_false (ff_supervisor_pin_is_valid ("2026120"));      /* 7 digits */
  g_assert_false (ff_supervisor_pin_is_valid ("20261206202612061"));
  g_assert_false (ff_supervisor_pin_is_valid ("2026120a"));
  g_assert_false (ff_supervisor_pin_is_valid (NULL));
}

static FfStore *
open_store (const char *dir)
{
  g_autoptr(GError) error = NULL;
  FfStore *store = ff_store_open (dir, &error);

  g_assert_no_error (error);
  return store;
}

static void
assert_refused (FfStore *store, const FfTask *task, const char *pin, int code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (ff_supervisor_authorize (store, task, VISIT, FF_TEST_SUPERVISOR, pin, &error));
  g_assert_error (error, FF_SUPERVISOR_ERROR, code);
}

static void
test_three_wrong_pins_lock_until_sync (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ff-supervisor-XXXXXX", &error);
  g_autoptr(FfTask) task = task_with_supervisor ();
  g_autoptr(FfStore) store = open_store (dir);

  g_assert_cmpuint (ff_supervisor_attempts_left (store, VISIT), ==, 3);
  assert_refused (store, task, "11111111", FF_SUPERVISOR_ERROR_WRONG_PIN);
  assert_refused (store, task, "123", FF_SUPERVISOR_ERROR_WRONG_PIN);   /* too short: wrong too */
  g_assert_cmpuint (ff_supervisor_attempts_left (store, VISIT), ==, 1);
  g_assert_false (ff_supervisor_overrides_locked (store));
  assert_refused (store, task, "22222222", FF_SUPERVISOR_ERROR_LOCKED);
  g_assert_true (ff_supervisor_overrides_locked (store));

  /* A restart keeps the lock, and the right PIN is refused while it holds, for any visit. */
  g_clear_object (&store);
  store = open_store (dir);
  g_assert_true (ff_supervisor_overrides_locked (store));
  g_assert_cmpuint (ff_supervisor_attempts_left (store, "another/visit"), ==, 0);
  assert_refused (store, task, FF_TEST_SUPERVISOR_PIN, FF_SUPERVISOR_ERROR_LOCKED);

  /* The next sync lifts it: the right PIN is taken, and the visit has its three attempts. */
  g_assert_true (ff_supervisor_unlock (store, &error));
  g_assert_no_error (error);
  g_assert_false (ff_supervisor_overrides_locked (store));
  g_assert_true (ff_supervisor_authorize (store, task, VISIT, FF_TEST_SUPERVISOR,
                                          FF_TEST_SUPERVISOR_PIN, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ff_supervisor_attempts_left (store, VISIT), ==, 3);

  g_clear_object (&store);
  ff_test_remove_tree (dir);
}

/* A right PIN forgets the wrong ones before it; a name the task does not list costs no attempt. */
static void
test_right_pin_resets_attempts (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ff-supervisor-XXXXXX", &error);
  g_autoptr(FfTask) task = task_with_supervisor ();
  g_autoptr(FfStore) store = open_store (dir);

  assert_refused (store, task, "11111111", FF_SUPERVISOR_ERROR_WRONG_PIN);
  g_assert_false (ff_supervisor_authorize (store, task, VISIT, "Han Meimei",
                                           FF_TEST_SUPERVISOR_PIN, &error));
  g_assert_error (error, FF_SUPERVISOR_ERROR, FF_SUPERVISOR_ERROR_UNKNOWN);
  g_clear_error (&error);
  g_assert_cmpuint (ff_supervisor_attempts_left (store, VISIT), ==, 2);
  g_assert_true (ff_supervisor_authorize (store, task, VISIT, FF_TEST_SUPERVISOR,
                                          FF_TEST_SUPERVISOR_PIN, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ff_supervisor_attempts_left (store, VISIT), ==, 3);

  g_clear_object (&store);
  ff_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/supervisor/task-carries-supervisors", test_task_carries_supervisors);
  g_test_add_func ("/supervisor/task-supervisor-refused", test_task_supervisor_refused);
  g_test_add_func ("/supervisor/pin-rule", test_pin_rule);
  g_test_add_func ("/supervisor/three-wrong-pins-lock-until-sync",
                   test_three_wrong_pins_lock_until_sync);
  g_test_add_func ("/supervisor/right-pin-resets-attempts", test_right_pin_resets_attempts);
  return g_test_run ();
}
