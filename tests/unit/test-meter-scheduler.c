/* test-meter-scheduler.c: meter/'s app scheduler (seed 003): every state × every operation (the
 * seed's transitions work, every other is refused with its reason and changes nothing), a power
 * cut at every byte of every table write, power-on, and a per-app upgrade. */
#include <glib.h>
#include <string.h>

#include "ffmeter.h"
#include "test-meter-flash.h"

#define APP 7
#define OTHER_APP 3

/* The states an app can be brought to, each by the seed's own path. */
typedef enum
{
  AT_ABSENT,
  AT_DOWNLOADED,
  AT_INSTALLED,
  AT_READY,
  AT_RUNNING_RESIDENT,
  AT_RUNNING_ONCE,
  AT_STOPPED,
  AT_UNINSTALLED,
  AT_COUNT
} Start;

static const char *start_names[AT_COUNT] = {
  "absent", "downloaded", "installed", "ready", "running-resident", "running-once", "stopped",
  "uninstalled",
};

/* The operations: the scheduler's commands, then a download of a newer and of the same version. */
enum { OP_DOWNLOAD_NEWER = FFMETER_OP_COUNT, OP_DOWNLOAD_SAME, OP_ALL };

static const char *op_names[OP_ALL] = {
  "install", "init", "run", "finish", "fail", "stop", "uninstall", "download-newer",
  "download-same",
};

typedef struct
{
  FfMeterResult result;
  FfMeterAppState state;   /* the app's (current) row afterwards; FREE: no row */
  bool upgrade_row;        /* a new version's row is there afterwards */
} Expect;

#define OK(s) { FFMETER_OK, FFMETER_APP_##s, false }
#define NO(e, s) { FFMETER_ERROR_##e, FFMETER_APP_##s, false }

/* Written from the seed's text, row by row: install after download; ready after a successful init;
 * run from ready; a resident app stays running, a run-once app returns to ready; an error or an
 * external stop moves a running app to stopped; installed, ready and stopped apps can be
 * uninstalled directly; a running app must be stopped first. A download makes a row (again after
 * uninstall) or, for an installed app, a new version's row beside it. */
static const Expect expected[AT_COUNT][OP_ALL] = {
  [AT_ABSENT] = {
    NO (UNKNOWN_APP, FREE), NO (UNKNOWN_APP, FREE), NO (UNKNOWN_APP, FREE),
    NO (UNKNOWN_APP, FREE), NO (UNKNOWN_APP, FREE), NO (UNKNOWN_APP, FREE),
    NO (UNKNOWN_APP, FREE), OK (DOWNLOADED), OK (DOWNLOADED),
  },
  [AT_DOWNLOADED] = {
    OK (INSTALLED), NO (NOT_INSTALLED, DOWNLOADED), NO (NOT_READY, DOWNLOADED),
    NO (NOT_RUNNING, DOWNLOADED), NO (NOT_RUNNING, DOWNLOADED), NO (NOT_RUNNING, DOWNLOADED),
    NO (NOT_REMOVABLE, DOWNLOADED), NO (ALREADY_DOWNLOADED, DOWNLOADED),
    NO (ALREADY_DOWNLOADED, DOWNLOADED),
  },
  [AT_INSTALLED] = {
    NO (NOT_DOWNLOADED, INSTALLED), OK (READY), NO (NOT_READY, INSTALLED),
    NO (NOT_RUNNING, INSTALLED), NO (NOT_RUNNING, INSTALLED), NO (NOT_RUNNING, INSTALLED),
    OK (UNINSTALLED), { FFMETER_OK, FFMETER_APP_INSTALLED, true }, NO (NOT_NEWER, INSTALLED),
  },
  [AT_READY] = {
    NO (NOT_DOWNLOADED, READY), NO (NOT_INSTALLED, READY), OK (RUNNING),
    NO (NOT_RUNNING, READY), NO (NOT_RUNNING, READY), NO (NOT_RUNNING, READY),
    OK (UNINSTALLED), { FFMETER_OK, FFMETER_APP_READY, true }, NO (NOT_NEWER, READY),
  },
  [AT_RUNNING_RESIDENT] = {
    NO (NOT_DOWNLOADED, RUNNING), NO (NOT_INSTALLED, RUNNING), NO (NOT_READY, RUNNING),
    NO (RESIDENT, RUNNING), OK (STOPPED), OK (STOPPED),
    NO (STOP_FIRST, RUNNING), { FFMETER_OK, FFMETER_APP_RUNNING, true }, NO (NOT_NEWER, RUNNING),
  },
  [AT_RUNNING_ONCE] = {
    NO (NOT_DOWNLOADED, RUNNING), NO (NOT_INSTALLED, RUNNING), NO (NOT_READY, RUNNING),
    OK (READY), OK (STOPPED), OK (STOPPED),
    NO (STOP_FIRST, RUNNING), { FFMETER_OK, FFMETER_APP_RUNNING, true }, NO (NOT_NEWER, RUNNING),
  },
  [AT_STOPPED] = {
    NO (NOT_DOWNLOADED, STOPPED), NO (NOT_INSTALLED, STOPPED), NO (NOT_READY, STOPPED),
    NO (NOT_RUNNING, STOPPED), NO (NOT_RUNNING, STOPPED), NO (NOT_RUNNING, STOPPED),
    OK (UNINSTALLED), { FFMETER_OK, FFMETER_APP_STOPPED, true }, NO (NOT_NEWER, STOPPED),
  },
  [AT_UNINSTALLED] = {
    NO (NOT_DOWNLOADED, UNINSTALLED), NO (NOT_INSTALLED, UNINSTALLED),
    NO (NOT_READY, UNINSTALLED), NO (NOT_RUNNING, UNINSTALLED), NO (NOT_RUNNING, UNINSTALLED),
    NO (NOT_RUNNING, UNINSTALLED), NO (NOT_REMOVABLE, UNINSTALLED), OK (DOWNLOADED),
    OK (DOWNLOADED),
  },
};

/* The firmware's side: init may be told to fail; the hooks are counted. */
typedef struct
{
  bool init_fails;
  unsigned inits, runs, stops, releases;
  uint32_t released_slot;
} Firmware;

static int
hook_init (void *user, const FfMeterApp *app)
{
  Firmware *fw = user;

  fw->inits++;
  return fw->init_fails ? -1 : 0;
}

static void hook_run (void *user, const FfMeterApp *app) { ((Firmware *) user)->runs++; }
static void hook_stop (void *user, const FfMeterApp *app) { ((Firmware *) user)->stops++; }

static void
hook_release (void *user, const FfMeterApp *app)
{
  Firmware *fw = user;

  fw->releases++;
  fw->released_slot = app->slot;
}

typedef struct
{
  TestFlash flash;
  Firmware fw;
  FfMeterHooks hooks;
  FfMeterScheduler scheduler;
} Meter;

static void
meter_init (Meter *m)
{
  memset (m, 0, sizeof *m);
  test_flash_init (&m->flash);
  m->hooks = (FfMeterHooks) { hook_init, hook_run, hook_stop, hook_release, &m->fw };
  g_assert_cmpint (ffmeter_scheduler_power_on (&m->scheduler, &m->flash.store, &m->hooks), ==,
                   FFMETER_POWER_ON_WAITING);
}

static void
must (FfMeterResult result)
{
  g_assert_cmpstr (ffmeter_strerror (result), ==, ffmeter_strerror (FFMETER_OK));
}

/* Brings APP to a start state by the seed's transitions; another app sits beside it, untouched. */
static void
bring_to (Meter *m, Start start)
{
  FfMeterScheduler *s = &m->scheduler;
  uint8_t flags = start == AT_RUNNING_ONCE ? 0 : FFMETER_APP_RESIDENT;

  must (ffmeter_scheduler_download (s, OTHER_APP, 1, 0, 0x9000, 100));
  must (ffmeter_scheduler_command (s, FFMETER_OP_INSTALL, OTHER_APP, 0));
  if (start == AT_ABSENT)
    return;
  must (ffmeter_scheduler_download (s, APP, 5, flags, 0x1000, 2000));
  if (start == AT_DOWNLOADED)
    return;
  must (ffmeter_scheduler_command (s, FFMETER_OP_INSTALL, APP, 0));
  if (start == AT_INSTALLED)
    return;
  if (start == AT_UNINSTALLED)
    {
      must (ffmeter_scheduler_command (s, FFMETER_OP_UNINSTALL, APP, 0));
      return;
    }
  must (ffmeter_scheduler_command (s, FFMETER_OP_INIT, APP, 0));
  if (start == AT_READY)
    return;
  must (ffmeter_scheduler_command (s, FFMETER_OP_RUN, APP, 0));
  if (start == AT_STOPPED)
    must (ffmeter_scheduler_command (s, FFMETER_OP_STOP, APP, 0));
}

static FfMeterResult
apply_op (Meter *m, int op)
{
  if (op == OP_DOWNLOAD_NEWER || op == OP_DOWNLOAD_SAME)
    return ffmeter_scheduler_download (&m->scheduler, APP, op == OP_DOWNLOAD_NEWER ? 6 : 5,
                                       FFMETER_APP_RESIDENT, 0x5000, 2100);
  return ffmeter_scheduler_command (&m->scheduler, (FfMeterOp) op, APP, 0);
}

/* The table as storage holds it: a running app is kept as ready. */
static void
persisted (const FfMeterScheduler *s, FfMeterApp *apps)
{
  memcpy (apps, s->apps, sizeof s->apps);
  for (unsigned i = 0; i < FFMETER_MAX_APPS; i++)
    if (apps[i].state == FFMETER_APP_RUNNING)
      apps[i].state = FFMETER_APP_READY;
}

static bool
table_is (const FfMeterApp *a, const FfMeterApp *b)
{
  return memcmp (a, b, sizeof (FfMeterApp) * FFMETER_MAX_APPS) == 0;
}

static void
test_crc32 (void)
{
  /* The CRC-32 check value (zlib's crc32, the same polynomial). */
  g_assert_cmphex (ffmeter_crc32 (0, (const uint8_t *) "123456789", 9), ==, 0xcbf43926);
  g_assert_cmphex (ffmeter_crc32 (ffmeter_crc32 (0, (const uint8_t *) "1234", 4),
                                  (const uint8_t *) "56789", 5), ==, 0xcbf43926);
}

static void
test_reasons_have_texts (void)
{
  /* Each refusal has its own text, so an operator can tell them apart. */
  for (int a = FFMETER_OK; a <= FFMETER_ERROR_INVALID; a++)
    {
      g_assert_cmpuint (strlen (ffmeter_strerror (a)), >, 3);
      for (int b = a + 1; b <= FFMETER_ERROR_INVALID; b++)
        g_assert_cmpstr (ffmeter_strerror (a), !=, ffmeter_strerror (b));
    }
}

static void
test_every_state_and_operation (void)
{
  for (int start = 0; start < AT_COUNT; start++)
    for (int op = 0; op < OP_ALL; op++)
      {
        const Expect *e = &expected[start][op];
        Meter m;
        FfMeterApp before[FFMETER_MAX_APPS];
        TestFlash flash_before;
        const FfMeterApp *row, *other_before, *other_after;
        FfMeterApp other;
        Meter reloaded;
        FfMeterResult result;

        g_test_message ("%s, %s", start_names[start], op_names[op]);
        meter_init (&m);
        bring_to (&m, start);
        memcpy (before, m.scheduler.apps, sizeof before);
        flash_before = m.flash;
        other_before = ffmeter_scheduler_find (&m.scheduler, OTHER_APP, 0);
        other = *other_before;

        result = apply_op (&m, op);
        g_assert_cmpstr (ffmeter_strerror (result), ==, ffmeter_strerror (e->result));
        row = ffmeter_scheduler_find (&m.scheduler, APP, 0);
        g_assert_cmpint (row ? row->state : FFMETER_APP_FREE, ==, e->state);
        g_assert_cmpint (ffmeter_scheduler_find (&m.scheduler, APP, 6) != NULL
                         && e->state != FFMETER_APP_DOWNLOADED, ==, e->upgrade_row);
        /* The other app is never touched. */
        other_after = ffmeter_scheduler_find (&m.scheduler, OTHER_APP, 0);
        g_assert_true (memcmp (other_after, &other, sizeof other) == 0);
        if (result != FFMETER_OK)
          {
            /* Refused: nothing changed, in RAM or in storage. */
            g_assert_true (table_is (m.scheduler.apps, before));
            g_assert_cmpuint (m.flash.writes, ==, flash_before.writes);
            g_assert_true (memcmp (m.flash.copy, flash_before.copy, sizeof m.flash.copy) == 0);
            continue;
          }
        /* Done: storage holds the new table (run and finish only change RAM). */
        FfMeterApp now[FFMETER_MAX_APPS];

        persisted (&m.scheduler, now);
        g_assert_cmpuint (m.flash.writes, ==,
                          flash_before.writes + (op == FFMETER_OP_RUN || op == FFMETER_OP_FINISH
                                                 ? 0 : 1));
        ffmeter_scheduler_load (&reloaded.scheduler, &m.flash.store, NULL);
        g_assert_true (table_is (reloaded.scheduler.apps, now));
      }
}

static void
test_init_failure_keeps_installed (void)
{
  Meter m;

  meter_init (&m);
  bring_to (&m, AT_INSTALLED);
  m.fw.init_fails = true;
  g_assert_cmpint (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_INIT, APP, 0), ==,
                   FFMETER_ERROR_INIT_FAILED);
  g_assert_cmpint (ffmeter_scheduler_find (&m.scheduler, APP, 0)->state, ==,
                   FFMETER_APP_INSTALLED);
  m.fw.init_fails = false;
  must (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_INIT, APP, 0));
  g_assert_cmpint (ffmeter_scheduler_find (&m.scheduler, APP, 0)->state, ==, FFMETER_APP_READY);
}

static void
test_hooks (void)
{
  Meter m;

  meter_init (&m);
  bring_to (&m, AT_STOPPED);
  g_assert_cmpuint (m.fw.runs, ==, 1);
  g_assert_cmpuint (m.fw.stops, ==, 1);
  must (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_UNINSTALL, APP, 0));
  g_assert_cmpuint (m.fw.releases, ==, 1);
  g_assert_cmphex (m.fw.released_slot, ==, 0x1000);
}

static void
test_storage_failure_changes_nothing (void)
{
  for (int op = 0; op < OP_ALL; op++)
    {
      Meter m;
      FfMeterApp before[FFMETER_MAX_APPS];

      meter_init (&m);
      bring_to (&m, op == FFMETER_OP_INSTALL ? AT_DOWNLOADED
                    : op == FFMETER_OP_INIT ? AT_INSTALLED
                    : op == FFMETER_OP_FAIL || op == FFMETER_OP_STOP ? AT_RUNNING_RESIDENT
                    : AT_READY);
      memcpy (before, m.scheduler.apps, sizeof before);
      m.flash.fail = true;
      FfMeterResult result = apply_op (&m, op);
      if (op == FFMETER_OP_RUN || op == FFMETER_OP_FINISH || op == OP_DOWNLOAD_SAME)
        continue;   /* no write (RAM only, or refused) */
      g_assert_cmpint (result, ==, FFMETER_ERROR_STORAGE);
      g_assert_true (table_is (m.scheduler.apps, before));
    }
}

/* Runs the operation with the power cut after every number of bytes programmed, from none to all
 * of its writes, and checks what storage holds after the power comes back: the table before, until
 * the last byte of the write is in, then the table after. */
static void
check_power_cuts (Start start, void (*prepare) (Meter *), int op, void (*operate) (Meter *))
{
  Meter m;
  FfMeterApp previous[FFMETER_MAX_APPS], next[FFMETER_MAX_APPS];
  long total;
  unsigned saw_previous = 0, saw_next = 0;

  /* Once without a cut, to know the two tables and how many bytes it writes. */
  meter_init (&m);
  bring_to (&m, start);
  if (prepare)
    prepare (&m);
  persisted (&m.scheduler, previous);
  unsigned writes = m.flash.writes;
  if (operate)
    operate (&m);
  else
    must (apply_op (&m, op));
  persisted (&m.scheduler, next);
  g_assert_false (table_is (previous, next));
  total = (long) (m.flash.writes - writes) * FFMETER_TABLE_COPY_SIZE;
  g_assert_cmpint (total, >, 0);

  for (long budget = 0; budget <= total; budget++)
    {
      Meter after;

      meter_init (&m);
      bring_to (&m, start);
      if (prepare)
        prepare (&m);
      m.flash.budget = budget;
      if (operate)
        operate (&m);
      else
        (void) apply_op (&m, op);
      test_flash_power_up (&m.flash);
      ffmeter_scheduler_load (&after.scheduler, &m.flash.store, NULL);
      if (table_is (after.scheduler.apps, previous))
        saw_previous++;
      else if (table_is (after.scheduler.apps, next))
        saw_next++;
      else
        g_error ("cut after %ld of %ld bytes: the table is neither the previous nor the next",
                 budget, total);
      /* A whole write is the next state; anything less, the previous. */
      g_assert_cmpint (table_is (after.scheduler.apps, next), ==, budget == total);
    }
  g_assert_cmpuint (saw_previous, ==, total);
  g_assert_cmpuint (saw_next, ==, 1);
}

static void
test_power_cut_every_operation (void)
{
  for (int start = 0; start < AT_COUNT; start++)
    for (int op = 0; op < OP_ALL; op++)
      if (expected[start][op].result == FFMETER_OK && op != FFMETER_OP_RUN
          && op != FFMETER_OP_FINISH)
        {
          g_test_message ("power cuts: %s, %s", start_names[start], op_names[op]);
          check_power_cuts ((Start) start, NULL, op, NULL);
        }
}

/* ---- Upgrades: only that app, the old version kept until the new one is ready. */

static void
download_and_install_v6 (Meter *m)
{
  must (ffmeter_scheduler_download (&m->scheduler, APP, 6, FFMETER_APP_RESIDENT, 0x5000, 2100));
  must (ffmeter_scheduler_command (&m->scheduler, FFMETER_OP_INSTALL, APP, 6));
}

static void
init_v6 (Meter *m)
{
  (void) ffmeter_scheduler_command (&m->scheduler, FFMETER_OP_INIT, APP, 6);
}

static void
test_upgrade_replaces_only_that_app (void)
{
  Meter m;
  const FfMeterApp *row;
  FfMeterApp other;

  meter_init (&m);
  bring_to (&m, AT_RUNNING_RESIDENT);
  other = *ffmeter_scheduler_find (&m.scheduler, OTHER_APP, 0);
  download_and_install_v6 (&m);
  /* The running version stays as it is while the new one is installed. */
  row = ffmeter_scheduler_find (&m.scheduler, APP, 0);
  g_assert_cmpuint (row->version, ==, 5);
  g_assert_cmpint (row->state, ==, FFMETER_APP_RUNNING);
  g_assert_cmpuint (ffmeter_scheduler_installed_version (&m.scheduler, APP), ==, 5);

  /* A failed init of the new version leaves the old one running. */
  m.fw.init_fails = true;
  g_assert_cmpint (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_INIT, APP, 6), ==,
                   FFMETER_ERROR_INIT_FAILED);
  g_assert_cmpint (ffmeter_scheduler_find (&m.scheduler, APP, 0)->state, ==,
                   FFMETER_APP_RUNNING);
  g_assert_cmpuint (m.fw.releases, ==, 0);

  /* Ready: the old version is stopped and released, the new one takes its place. */
  m.fw.init_fails = false;
  must (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_INIT, APP, 6));
  row = ffmeter_scheduler_find (&m.scheduler, APP, 0);
  g_assert_cmpuint (row->version, ==, 6);
  g_assert_cmpint (row->state, ==, FFMETER_APP_READY);
  g_assert_cmpuint (row->flags, ==, FFMETER_APP_RESIDENT);
  g_assert_null (ffmeter_scheduler_find (&m.scheduler, APP, 5));
  g_assert_cmpuint (m.fw.stops, ==, 1);
  g_assert_cmpuint (m.fw.releases, ==, 1);
  g_assert_cmphex (m.fw.released_slot, ==, 0x1000);
  g_assert_true (memcmp (ffmeter_scheduler_find (&m.scheduler, OTHER_APP, 0), &other,
                         sizeof other) == 0);
  /* A second new version waits for nothing now. */
  must (ffmeter_scheduler_download (&m.scheduler, APP, 7, 0, 0x1000, 2200));
  g_assert_cmpint (ffmeter_scheduler_download (&m.scheduler, APP, 8, 0, 0x1000, 2200), ==,
                   FFMETER_ERROR_UPGRADE_PENDING);
}

static void
test_upgrade_dropped (void)
{
  Meter m;

  meter_init (&m);
  bring_to (&m, AT_READY);
  download_and_install_v6 (&m);
  /* Uninstalling the new version drops it; the app stays as it was. */
  must (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_UNINSTALL, APP, 6));
  g_assert_null (ffmeter_scheduler_find (&m.scheduler, APP, 6));
  g_assert_cmpint (ffmeter_scheduler_find (&m.scheduler, APP, 0)->state, ==, FFMETER_APP_READY);
  g_assert_cmphex (m.fw.released_slot, ==, 0x5000);
}

static void
test_power_cut_upgrade (void)
{
  check_power_cuts (AT_RUNNING_RESIDENT, download_and_install_v6, 0, init_v6);
  check_power_cuts (AT_STOPPED, download_and_install_v6, 0, init_v6);
}

/* ---- Power-on */

static void
power_on_again (Meter *m)
{
  Meter fresh;

  (void) ffmeter_scheduler_power_on (&fresh.scheduler, &m->flash.store, &m->hooks);
  m->scheduler = fresh.scheduler;
}

static void
test_power_on (void)
{
  Meter m;

  /* Nothing installed: the scheduler waits for an install (a downloaded app is not installed). */
  meter_init (&m);
  g_assert_true (ffmeter_scheduler_waiting (&m.scheduler));
  must (ffmeter_scheduler_download (&m.scheduler, APP, 5, 0, 0x1000, 10));
  g_assert_true (ffmeter_scheduler_waiting (&m.scheduler));
  must (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_INSTALL, APP, 0));
  g_assert_false (ffmeter_scheduler_waiting (&m.scheduler));

  /* Installed apps are initialised and made ready; a running one comes back ready. */
  must (ffmeter_scheduler_download (&m.scheduler, OTHER_APP, 2, FFMETER_APP_RESIDENT, 0x2000, 10));
  must (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_INSTALL, OTHER_APP, 0));
  must (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_INIT, OTHER_APP, 0));
  must (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_RUN, OTHER_APP, 0));
  m.fw.inits = 0;
  g_assert_cmpint (ffmeter_scheduler_power_on (&m.scheduler, &m.flash.store, &m.hooks), ==,
                   FFMETER_POWER_ON_READY);
  g_assert_cmpuint (m.fw.inits, ==, 2);
  g_assert_cmpint (ffmeter_scheduler_find (&m.scheduler, APP, 0)->state, ==, FFMETER_APP_READY);
  g_assert_cmpint (ffmeter_scheduler_find (&m.scheduler, OTHER_APP, 0)->state, ==,
                   FFMETER_APP_READY);

  /* A stopped app stays stopped; an app whose init fails stays installed. */
  must (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_RUN, APP, 0));
  must (ffmeter_scheduler_command (&m.scheduler, FFMETER_OP_FAIL, APP, 0));
  m.fw.init_fails = true;
  power_on_again (&m);
  g_assert_cmpint (ffmeter_scheduler_find (&m.scheduler, APP, 0)->state, ==, FFMETER_APP_STOPPED);
  g_assert_cmpint (ffmeter_scheduler_find (&m.scheduler, OTHER_APP, 0)->state, ==,
                   FFMETER_APP_INSTALLED);
  g_assert_false (ffmeter_scheduler_waiting (&m.scheduler));
}

/* Power-on then has only the new version to make ready: one write. */
static void
install_v6_other_ready (Meter *m)
{
  download_and_install_v6 (m);
  must (ffmeter_scheduler_command (&m->scheduler, FFMETER_OP_INIT, OTHER_APP, 0));
}

static void
power_on_op (Meter *m)
{
  power_on_again (m);
}

static void
test_power_cut_power_on (void)
{
  /* Two installed apps made ready in the one write of power-on. */
  check_power_cuts (AT_INSTALLED, NULL, 0, power_on_op);
  /* A new version installed before a cut is made ready at power-on and takes its app's place. */
  check_power_cuts (AT_READY, install_v6_other_ready, 0, power_on_op);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/meter/crc32", test_crc32);
  g_test_add_func ("/meter/scheduler/reasons-have-texts", test_reasons_have_texts);
  g_test_add_func ("/meter/scheduler/every-state-and-operation", test_every_state_and_operation);
  g_test_add_func ("/meter/scheduler/init-failure-keeps-installed",
                   test_init_failure_keeps_installed);
  g_test_add_func ("/meter/scheduler/hooks", test_hooks);
  g_test_add_func ("/meter/scheduler/storage-failure-changes-nothing",
                   test_storage_failure_changes_nothing);
  g_test_add_func ("/meter/scheduler/power-cut-every-operation", test_power_cut_every_operation);
  g_test_add_func ("/meter/scheduler/upgrade-replaces-only-that-app",
                   test_upgrade_replaces_only_that_app);
  g_test_add_func ("/meter/scheduler/upgrade-dropped", test_upgrade_dropped);
  g_test_add_func ("/meter/scheduler/power-cut-upgrade", test_power_cut_upgrade);
  g_test_add_func ("/meter/scheduler/power-on", test_power_on);
  g_test_add_func ("/meter/scheduler/power-cut-power-on", test_power_cut_power_on);
  return g_test_run ();
}
