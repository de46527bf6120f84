/* Test harness for the simulator tests: a real fieldflash-sim process, the real fieldflash-cli, and
 * waits on their output in a GMainLoop with a deadline that fails the test. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Every wait fails the test after this long (at native speed: ff_test_deadline_s scales it). */
#define SIM_TEST_DEADLINE_S 30

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *stdout_lines;
  GOutputStream    *stdin_pipe;
  GPtrArray        *lines;        /* every stdout line so far */
  gboolean          eof;
  guint16           port;         /* of the first terminal */
  double            latitude;     /* its true position */
  double            longitude;
} SimProcess;

/* Starts fieldflash-sim with `args` (NULL-terminated, after the program name) plus a 200 ms boot
 * time and no spontaneous data unless args set them, and waits for its first listening line. */
SimProcess *sim_process_start      (const char * const *args);
/* Waits for a line containing `text` printed after line index *from (updated past it). */
const char *sim_process_wait_line  (SimProcess         *sim,
                                    const char         *text,
                                    guint              *from);
void        sim_process_send       (SimProcess         *sim,
                                    const char         *line);
/* Sends "quit" and waits for the process to exit. */
void        sim_process_stop       (SimProcess         *sim);
/* Parses "... listening on HOST:PORT (true position LAT,LON)". */
gboolean    sim_parse_listening    (const char         *line,
                                    guint16            *port,
                                    double             *latitude,
                                    double             *longitude);

/* Runs fieldflash-cli with args and returns its exit status; stdout/stderr text when non-NULL. */
int         run_cli                (const char * const *args,
                                    char              **out,
                                    char              **err);

/* Iterates the default main context until *done is TRUE, failing after the deadline. */
void        wait_until             (gboolean           *done);
/* Stores the GAsyncResult for wait_result. */
void        store_result           (GObject            *source,
                                    GAsyncResult       *result,
                                    gpointer            user_data);
GAsyncResult *wait_result          (GAsyncResult      **slot);

/* A loopback port nobody listens on: bound, then closed. */
/* The path of a built program: FIELDFLASH_BUILDDIR/relative. */
char       *built_program          (const char         *relative);
/* Makes a demo firmware image with fieldflash-sim make-firmware into dir; returns its path. */
char       *make_firmware          (const char         *dir,
                                    const char         *version,
                                    gsize               size);

G_END_DECLS
