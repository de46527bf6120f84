/* What the tests and benches of the documents, the tablet's store and workflow and the platform
 * share: sample tasks and reports, the check that mutated documents are refused, temp trees. */
#pragma once

#include "ff-report.h"
#include "ff-store.h"
#include "ff-task.h"

G_BEGIN_DECLS

#define FF_TEST_PHONE "13800138000"
#define FF_TEST_SERIAL "TAB-0001"
#define FF_TEST_SUPERVISOR "Li Lei"
#define FF_TEST_SUPERVISOR_PIN "20261206"

/* Task 1 of technician FF_TEST_PHONE (@technician_name) issued at @issued_at, valid for
 * @valid_seconds, checked out to FF_TEST_SERIAL; no items yet. */
FfTask     *ff_test_task_new                  (gint64               issued_at,
                                               gint64               valid_seconds,
                                               const char          *technician_name);
/* Supervisor FF_TEST_SUPERVISOR with PIN FF_TEST_SUPERVISOR_PIN, for a task's supervisors (the
 * costly hash is made once per test program). */
FfSupervisor *ff_test_supervisor_new          (void);
/* A terminal of the test fleet: an Acme DTU-3000 (HV1.0) expected on V1.00, state-grid profile,
 * common address 1, at @host:@port, its target firmware for HV1.0. The caller sets the target
 * (and previous) firmware's version, digest, size and file name. */
FfTaskItem *ff_test_task_item_new             (const char          *device_id,
                                               const char          *name,
                                               double               latitude,
                                               double               longitude,
                                               const char          *host,
                                               guint                port);
/* An "upgraded" report of @device_id from V1.00 to V2.01 (firmware V2.01), identified 0.18" /
 * 0.072" (5.9 m) from its ledger position at 39.915, 116.404 with a 3D fix. */
FfReport   *ff_test_report_new                (const char          *task_id,
                                               const char          *device_id,
                                               const char          *serial,
                                               const char          *phone);

typedef struct
{
  const char *from;       /* replaced, first occurrence only (it must occur) */
  const char *to;
  const char *expected;   /* a part of the message, usually the member's path */
} FfTestMutation;

/* A document parser: ff_task_parse, ff_report_parse, … */
typedef gpointer (*FfTestParseFunc) (GBytes  *bytes,
                                     GError **error);

/* Checks for each of @mutations that @parse refuses @document so changed as
 * FF_DOCUMENT_ERROR_INVALID, saying `expected`. */
void        ff_test_assert_mutations_refused  (GBytes               *document,
                                               const FfTestMutation *mutations,
                                               gsize                 n_mutations,
                                               FfTestParseFunc       parse);

/* Puts @image into @store's firmware as a completed download; returns its SHA-256 (hex). */
char       *ff_test_store_firmware            (FfStore              *store,
                                               GBytes               *image);

/* Takes the translations of @language ("zh_CN") from the build tree (FIELDFLASH_BUILDDIR/po), as
 * an installed program would; NULL goes back to the untranslated strings. */
void        ff_test_use_language              (const char          *language);

/* Another process that has the tablet in @dir open, as a second program on the same tablet would:
 * this test program started again with "--hold-tablet DIR" (see ff_test_hold_tablet_main), once it
 * holds the tablet. It lets go when its stdin closes (g_subprocess_force_exit, or finalizing). */
GSubprocess *ff_test_hold_tablet              (const char          *dir);
/* Call first in main(): in a process started by ff_test_hold_tablet, holds the tablet until stdin
 * ends and exits; otherwise returns at once. */
void        ff_test_hold_tablet_main          (int                  argc,
                                               char               **argv);

/* A loopback port nothing listens on (bound, never listened, closed again). */
guint16      ff_test_closed_loopback_port     (void);
/* gpsfake replaying tests/data/@log_name once on 127.0.0.1:@port, one sentence for each line the
 * test writes to its standard input (gpsfake -i): the log plays when the test says, at the test's
 * pace, and ends when the test says, not on gpsfake's clock. gpsfake starts gpsd on @port at once;
 * gpsd opens the receiver only once a client watches, and the sentences that waited in the pty
 * before it opened it are lost (measured), so the log plays only after gpsd says it has it open. */
typedef struct _FfTestGpsfake FfTestGpsfake;

FfTestGpsfake *ff_test_gpsfake_start          (const char          *port,
                                               const char          *log_name);
/* From the main loop: once gpsfake has handed gpsd the receiver (its first prompt), asks gpsd
 * ("?DEVICES;", on a connection of its own that watches nothing) until it lists the receiver open,
 * which it does once a client watches; then plays the log's sentences @cycle_ms apart (a
 * receiver's cycle is three of them), and waits for ff_test_gpsfake_end(), gpsd still there. An
 * open receiver also means gpsd has taken the watch that opened it, so that client sees the whole
 * log. A gpsfake whose gpsd lists no receiver at all failed to hand it over: it starts again. */
void         ff_test_gpsfake_play             (FfTestGpsfake       *gpsfake,
                                               guint                cycle_ms);
/* Plays the rest of the log at once and its end: gpsfake stops a second later, gpsd with it. */
void         ff_test_gpsfake_end              (FfTestGpsfake       *gpsfake);
/* After ff_test_gpsfake_end(): waits for gpsfake to stop (a bounded wait: fails the test). */
void         ff_test_gpsfake_wait             (FfTestGpsfake       *gpsfake);
/* Closes gpsfake's input first (that stops it, gpsd with it, wherever the log was). */
void         ff_test_gpsfake_free             (FfTestGpsfake       *gpsfake);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTestGpsfake, ff_test_gpsfake_free)

/* The command line that runs @program, a program of this build, with @args (NULL-terminated, or
 * NULL): the emulator first in a cross build (FIELDFLASH_EXE_WRAPPER, set from the cross file's
 * exe_wrapper, since no binfmt runs a foreign program by itself). The array borrows its strings;
 * add any further arguments, then a NULL. */
GPtrArray   *ff_test_command                  (const char          *program,
                                               const char *const   *args);

/* g_test_trap_subprocess() that also works under an emulator, where a test program cannot start
 * itself directly: runs the current test again in a new process of this program (through
 * ff_test_command), where g_test_subprocess() is TRUE. Asserts that it passed, within a bound;
 * returns its standard output. Its standard error goes where this process's goes. */
char        *ff_test_run_subprocess           (void);

/* V2.00 as a vendor would build it from @v1, a V1.00 demo image (fieldflash-sim make-firmware):
 * the version marker and a stretch of code changed (and the payload CRC the header carries with
 * them), everything else as it was — a pair a delta patch turns into a few hundred bytes. */
GBytes      *ff_test_firmware_v2_from          (GBytes              *v1);

/* Removes @path and everything below it (not following symbolic links), asserting each removal. */
void        ff_test_remove_tree               (const char          *path);
/* Copies everything below the directory @source into @destination, made with @source's
 * permissions when it does not exist: directories, regular files with their permissions, symbolic
 * links as links; asserts each step. For a fixture made once and copied for each test that
 * changes it. */
void        ff_test_copy_tree                 (const char          *source,
                                               const char          *destination);

/* The bound of a test's wait, in seconds: @native_s at native speed times FIELDFLASH_TEST_TIME_FACTOR
 * (1 when unset), which build-aux/run-tests sets where the tests run emulated, as it passes meson
 * the same --timeout-multiplier. Every wait of a C test takes its bound from here; a factor that is
 * not a number from 1 to 1000 fails the test rather than shortening or ignoring its waits. */
guint        ff_test_deadline_s               (guint                native_s);
/* A watchdog on the default main context for a loop that iterates it until something happens:
 * past ff_test_deadline_s (@native_s) it fails the test, naming @what. g_source_remove() it once
 * the wait is over. */
guint        ff_test_watchdog_add             (guint                native_s,
                                               const char          *what);
/* Waits for @process to end, at most ff_test_deadline_s (@native_s); past it, kills it (SIGKILL:
 * a process stopped, or one that ignores SIGTERM, never ends otherwise) and fails the test, naming
 * @what. Runs its own main context: the default one is not iterated meanwhile. */
void         ff_test_subprocess_wait          (GSubprocess         *process,
                                               guint                native_s,
                                               const char          *what);
/* g_subprocess_communicate_utf8() within a bound: writes @stdin_text (NULL: nothing; the process
 * needs a stdin pipe for any other) and collects its standard output and error in @out and @err
 * (NULL: not kept) until it ends, at most ff_test_deadline_s (@native_s); past it, kills it and
 * fails the test, naming @what. Runs its own main context, as ff_test_subprocess_wait(): for a
 * process that needs nothing of the default one (no server of this test on it). */
void         ff_test_subprocess_communicate   (GSubprocess         *process,
                                               const char          *stdin_text,
                                               guint                native_s,
                                               const char          *what,
                                               char               **out,
                                               char               **err);

G_END_DECLS
