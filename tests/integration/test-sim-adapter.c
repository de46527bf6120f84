/* Integration tests: the GIO adapter FfIec104Conn against a real fieldflash-sim process (progress,
 * reconnect, spontaneous data, cancellation, t1 expiry, fleet and scenario files), and the
 * services it does not offer (clock, files, parameters) through a bare iec104 master. */
#include "config.h"

#include <string.h>

#include "ff-delta.h"
#include "ff-iec104-conn.h"
#include "ff-iec104-pump.h"
#include "ff-test-fixtures.h"
#include "sim-harness.h"


typedef struct
{
  char         *dir;
  SimProcess   *sim;
  FfProfile    *profile;
  FfIec104Conn *conn;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const char *defaults[] = { "--listen", "127.0.0.1:0", "--id", "DTU-0001", NULL };
  const char * const *args = data != NULL ? data : defaults;

  fixture->dir = g_dir_make_tmp ("ff-sim-adapter-XXXXXX", NULL);
  fixture->sim = sim_process_start (args);
  fixture->profile = ff_profile_new_default ();
  fixture->conn = ff_iec104_conn_new (fixture->profile, 0);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  ff_iec104_conn_close (fixture->conn);
  g_assert_finalize_object (fixture->conn);
  ff_profile_unref (fixture->profile);
  sim_process_stop (fixture->sim);
  ff_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static void
connect (Fixture *fixture,
         guint16  port)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  ff_iec104_conn_connect_async (fixture->conn, "127.0.0.1", port, NULL, store_result, &result);
  g_assert_true (ff_iec104_conn_connect_finish (fixture->conn, wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_true (ff_iec104_conn_is_connected (fixture->conn));
}

static FfTerminalInfo *
read_info (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  FfTerminalInfo *info;

  ff_iec104_conn_read_info_async (fixture->conn, NULL, store_result, &result);
  info = ff_iec104_conn_read_info_finish (fixture->conn, wait_result (&result), &error);
  g_assert_no_error (error);
  return info;
}

static GBytes *
load_firmware (Fixture    *fixture,
               const char *version,
               gsize       size)
{
  g_autofree char *path = make_firmware (fixture->dir, version, size);
  g_autoptr(GError) error = NULL;
  char *contents;
  gsize len;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

typedef struct
{
  guint   calls;
  guint64 last_acked;
  guint64 last_total;
  GCancellable *cancel_after_first;
} Progress;

static void
on_progress (guint64  sent,
             guint64  acked,
             guint64  total,
             double   rate,
             gpointer user_data)
{
  Progress *progress = user_data;

  g_assert_cmpuint (acked, <=, sent);
  g_assert_cmpuint (sent, <=, total);
  g_assert_cmpuint (acked, >=, progress->last_acked);
  progress->calls++;
  progress->last_acked = acked;
  progress->last_total = total;
  if (progress->cancel_after_first != NULL)
    g_cancellable_cancel (progress->cancel_after_first);
}

static gboolean
write_file (Fixture       *fixture,
            GBytes        *image,
            Progress      *progress,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  ff_iec104_conn_write_file_async (fixture->conn, NULL, image,
                                   progress != NULL ? on_progress : NULL, progress, NULL,
                                   cancellable, store_result, &result);
  return ff_iec104_conn_write_file_finish (fixture->conn, wait_result (&result), error);
}

static void
start_upgrade (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  ff_iec104_conn_upgrade_start_async (fixture->conn, NULL, store_result, &result);
  g_assert_true (ff_iec104_conn_upgrade_start_finish (fixture->conn, wait_result (&result),
                                                      &error));
  g_assert_no_error (error);
}

static void
on_attempt (FfIec104Conn *conn,
            guint         attempt,
            gint64        remaining_ms,
            gpointer      user_data)
{
  guint *attempts = user_data;

  g_assert_cmpuint (attempt, ==, *attempts + 1);
  g_assert_cmpint (remaining_ms, >=, 0);
  *attempts = attempt;
}

/* Sends @file as the upgrade (211 start, the file, 211 finish, 105) and waits for the terminal to
 * come back; FALSE with @error when it refuses the 211 finish. */
static gboolean
upgrade_with (Fixture  *fixture,
              GBytes   *file,
              GError  **error)
{
  g_autoptr(GAsyncResult) start = NULL, finish = NULL, reset = NULL, reconnect = NULL;
  Progress progress = { 0 };
  gboolean rebooting = TRUE;
  guint attempts = 0;

  ff_iec104_conn_upgrade_start_async (fixture->conn, NULL, store_result, &start);
  g_assert_true (ff_iec104_conn_upgrade_start_finish (fixture->conn, wait_result (&start), error));
  g_assert_true (write_file (fixture, file, &progress, NULL, error));
  g_assert_cmpuint (progress.calls, >=, 1);
  g_assert_cmpuint (progress.last_acked, ==, g_bytes_get_size (file));
  g_assert_cmpuint (progress.last_total, ==, g_bytes_get_size (file));

  ff_iec104_conn_upgrade_finish_async (fixture->conn, NULL, store_result, &finish);
  if (!ff_iec104_conn_upgrade_finish_finish (fixture->conn, wait_result (&finish), &rebooting,
                                             error))
    return FALSE;
  /* The State Grid terminal waits for 105. */
  g_assert_false (rebooting);
  ff_iec104_conn_reset_async (fixture->conn, NULL, store_result, &reset);
  g_assert_true (ff_iec104_conn_reset_finish (fixture->conn, wait_result (&reset), error));
  g_assert_false (ff_iec104_conn_is_connected (fixture->conn));

  g_signal_connect (fixture->conn, "reconnect-attempt", G_CALLBACK (on_attempt), &attempts);
  ff_iec104_conn_reconnect_async (fixture->conn, 10000, NULL, store_result, &reconnect);
  g_assert_true (ff_iec104_conn_reconnect_finish (fixture->conn, wait_result (&reconnect),
                                                  error));
  g_assert_cmpuint (attempts, >=, 1);
  return TRUE;
}

static void
test_full_upgrade (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GBytes) image = load_firmware (fixture, "V2.00", 50000);
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTerminalInfo) before = NULL;
  g_autoptr(FfTerminalInfo) after = NULL;
  g_autofree char *expected = ff_profile_compute_checksum (fixture->profile, image);

  connect (fixture, fixture->sim->port);
  before = read_info (fixture);
  g_assert_cmpstr (before->software_version, ==, "V1.00");
  g_assert_true (upgrade_with (fixture, image, &error));
  g_assert_no_error (error);
  after = read_info (fixture);
  g_assert_cmpstr (after->software_version, ==, "V2.00");
  g_assert_cmpstr (after->checksum, ==, expected);
}

/* The image a terminal started with no state runs (fieldflash-sim's factory image, 64 KiB). */
static GBytes *
factory_image (Fixture *fixture)
{
  return load_firmware (fixture, "V1.00", 64 * 1024);
}

static const char *delta_args[] = { "--listen", "127.0.0.1:0", "--id", "DTU-0001", "--profile",
                                    "state-grid-delta", NULL };

/* A terminal whose profile declares ffdelta1 applies a delta patch from the image it runs: it
 * comes back on V2.00, with V2.00's checksum, after receiving a tenth of the image or less. */
static void
test_delta_applied (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GBytes) v1 = factory_image (fixture);
  g_autoptr(GBytes) v2 = ff_test_firmware_v2_from (v1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) patch = ff_delta_make (v1, v2, &error);
  g_autoptr(FfTerminalInfo) before = NULL;
  g_autoptr(FfTerminalInfo) after = NULL;
  g_autofree char *v1_checksum = ff_profile_compute_checksum (fixture->profile, v1);
  g_autofree char *v2_checksum = ff_profile_compute_checksum (fixture->profile, v2);
  guint from = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (patch) * 10, <, g_bytes_get_size (v2));
  connect (fixture, fixture->sim->port);
  before = read_info (fixture);
  g_assert_cmpstr (before->checksum, ==, v1_checksum);
  g_assert_true (upgrade_with (fixture, patch, &error));
  g_assert_no_error (error);
  sim_process_wait_line (fixture->sim, "applied a delta patch", &from);
  after = read_info (fixture);
  g_assert_cmpstr (after->software_version, ==, "V2.00");
  g_assert_cmpstr (after->checksum, ==, v2_checksum);
}

/* A patch made for another image than the one the terminal runs is refused at 211 finish. */
static void
test_delta_for_other_image (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GBytes) other = load_firmware (fixture, "V1.00", 60000);
  g_autoptr(GBytes) v2 = ff_test_firmware_v2_from (other);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) patch = ff_delta_make (other, v2, &error);
  g_autoptr(FfTerminalInfo) after = NULL;
  guint from = 0;

  g_assert_no_error (error);
  connect (fixture, fixture->sim->port);
  g_assert_false (upgrade_with (fixture, patch, &error));
  g_assert_nonnull (error);
  sim_process_wait_line (fixture->sim, "refuses 211 finish: The delta patch was made for another "
                                       "old image", &from);
  after = read_info (fixture);
  g_assert_cmpstr (after->software_version, ==, "V1.00");
}

/* A terminal whose profile does not declare ffdelta1 takes the patch for an image, and refuses it. */
static void
test_delta_not_declared (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GBytes) v1 = factory_image (fixture);
  g_autoptr(GBytes) v2 = ff_test_firmware_v2_from (v1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) patch = ff_delta_make (v1, v2, &error);
  guint from = 0;

  g_assert_no_error (error);
  connect (fixture, fixture->sim->port);
  g_assert_false (upgrade_with (fixture, patch, &error));
  g_assert_nonnull (error);
  sim_process_wait_line (fixture->sim, "refuses 211 finish: Not a valid firmware image", &from);
}

static void
test_interrogation (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) points = NULL;
  FfSnapshot snapshot;

  connect (fixture, fixture->sim->port);
  ff_iec104_conn_interrogate_async (fixture->conn, NULL, store_result, &result);
  points = ff_iec104_conn_interrogate_finish (fixture->conn, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 7);
  ff_iec104_points_to_snapshot (fixture->profile, (const FfIec104Point *) points->data,
                                points->len, &snapshot);
  g_assert_true (ff_snapshot_is_complete (&snapshot));
  g_assert_cmpfloat (snapshot.values[FF_SIGNAL_BATTERY_VOLTAGE], >, 20.0);
}

/* A status point (single, double) at a signal's IOA is not a measurement of it, whatever its
 * state reads as: a terminal answering so before and after the upgrade would otherwise pass the
 * judgement with a "voltage" of 1 both times. It leaves the signal absent (the judgement then
 * fails it); the measured-value types (normalised, scaled, short float) are readings. */
static void
test_status_point_is_no_reading (void)
{
  g_autoptr(FfProfile) profile = ff_profile_new_default ();
  const FfIec104Point points[] = {
    { .ioa = 0x4001, .type_id = IEC104_TI_M_SP_NA_1, .value = 1 },
    { .ioa = 0x4002, .type_id = IEC104_TI_M_DP_TB_1, .value = 2 },
    { .ioa = 0x4003, .type_id = IEC104_TI_M_ME_NB_1, .value = 24 },
    { .ioa = 0x4004, .type_id = IEC104_TI_M_ME_NC_1, .value = 21.5, .raw_float = 21.5f },
  };
  FfSnapshot snapshot;

  ff_iec104_points_to_snapshot (profile, points, G_N_ELEMENTS (points), &snapshot);
  g_assert_false (snapshot.present[FF_SIGNAL_LINE_VOLTAGE]);
  g_assert_false (snapshot.present[FF_SIGNAL_CURRENT]);
  g_assert_true (snapshot.present[FF_SIGNAL_BATTERY_VOLTAGE]);
  g_assert_cmpfloat (snapshot.values[FF_SIGNAL_BATTERY_VOLTAGE], ==, 24);
  g_assert_true (snapshot.present[FF_SIGNAL_TEMPERATURE]);
  g_assert_cmpfloat (snapshot.values[FF_SIGNAL_TEMPERATURE], ==, 21.5f);
}

static void
on_measurement (FfIec104Conn        *conn,
                const FfIec104Point *point,
                gint                 signal,
                gpointer             user_data)
{
  gboolean *seen = user_data;

  g_assert_cmpint (signal, >=, 0);
  g_assert_cmpint (signal, <, FF_N_SIGNALS);
  g_assert_cmpuint (point->ioa, ==, 0x4001 + (guint) signal);
  *seen = TRUE;
}

static const char *spontaneous_args[] = { "--listen", "127.0.0.1:0", "--id", "DTU-0001",
                                          "--spontaneous-ms=50", NULL };

static void
test_spontaneous (Fixture       *fixture,
                  gconstpointer  data)
{
  gboolean seen = FALSE;

  g_signal_connect (fixture->conn, "measurement", G_CALLBACK (on_measurement), &seen);
  connect (fixture, fixture->sim->port);
  wait_until (&seen);
}

static void
test_cancel_write (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GBytes) image = load_firmware (fixture, "V2.00", 200000);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) start = NULL, cancel = NULL;
  g_autoptr(GError) error = NULL;
  Progress progress = { .cancel_after_first = cancellable };
  guint from = 0;

  /* A slow link so the write is surely still running at the first progress report. */
  sim_process_send (fixture->sim, "scenario DTU-0001 slow-link bandwidth=100000 rtt=10");
  sim_process_wait_line (fixture->sim, "The link is slow", &from);
  connect (fixture, fixture->sim->port);
  ff_iec104_conn_upgrade_start_async (fixture->conn, NULL, store_result, &start);
  g_assert_true (ff_iec104_conn_upgrade_start_finish (fixture->conn, wait_result (&start), &error));

  g_assert_false (write_file (fixture, image, &progress, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (progress.last_acked, <, g_bytes_get_size (image));
  g_clear_error (&error);

  /* The link is still usable: abandon the upgrade. */
  g_assert_true (ff_iec104_conn_is_connected (fixture->conn));
  ff_iec104_conn_upgrade_cancel_async (fixture->conn, NULL, store_result, &cancel);
  g_assert_true (ff_iec104_conn_upgrade_cancel_finish (fixture->conn, wait_result (&cancel),
                                                       &error));
  g_assert_no_error (error);
  sim_process_wait_line (fixture->sim, "upgrade cancelled", &from);
}

static void
test_t1_expiry (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GBytes) image = load_firmware (fixture, "V2.00", 50000);
  g_autoptr(GError) error = NULL;
  guint from = 0;

  /* A short t1 so the test does not wait 15 s: the tablet side's timer is what expires. */
  g_clear_object (&fixture->conn);
  fixture->profile->iec104.t1_ms = 1000;
  fixture->profile->iec104.t2_ms = 500;
  fixture->conn = ff_iec104_conn_new (fixture->profile, 0);

  sim_process_send (fixture->sim, "scenario DTU-0001 no-acks");
  sim_process_wait_line (fixture->sim, "no S-frames", &from);
  connect (fixture, fixture->sim->port);
  start_upgrade (fixture);
  g_assert_false (write_file (fixture, image, NULL, NULL, &error));
  g_assert_error (error, FF_IEC104_ERROR, FF_IEC104_ERROR_T1_EXPIRED);
  g_assert_true (ff_iec104_error_is_connection (error));
  g_assert_false (ff_iec104_conn_is_connected (fixture->conn));
  sim_process_wait_line (fixture->sim, "FAULT no-acks: acknowledges nothing", &from);
}

typedef struct
{
  guint    stall_ms;
  gboolean stalled;
  guint    closed;
} Stall;

/* The stall under test, not a wait for anything: a long frame of the tablet's UI, once, in the
 * main context, while the file goes out and the terminal sends spontaneous data. */
static void
on_progress_stall (guint64  sent,
                   guint64  acked,
                   guint64  total,
                   double   rate,
                   gpointer user_data)
{
  Stall *stall = user_data;

  if (stall->stalled)
    return;
  stall->stalled = TRUE;
  g_usleep (stall->stall_ms * (gulong) 1000);
}

static void
on_closed_count (FfIec104Conn *conn,
                 const GError *error,
                 gpointer      user_data)
{
  ((Stall *) user_data)->closed++;
}

/* The caller's main loop held up for three times the terminal's t1 (and longer than its t3) in
 * the middle of a transfer: the connection reads, acknowledges and answers off that loop, so the
 * terminal keeps the link and the transfer completes. Before, nothing read the socket during the
 * stall and the terminal closed the link "no acknowledgement within t1" (issue 18). */
static void
test_stalled_loop_keeps_link (Fixture       *fixture,
                              gconstpointer  data)
{
  guint t1_ms = 1000 * ff_test_deadline_s (1);
  g_autofree char *profile = g_build_filename (fixture->dir, "short-t1.ini", NULL);
  g_autofree char *profile_option = g_strdup_printf ("--profile-file=%s", profile);
  g_autofree char *link = g_strdup_printf ("[link]\nt1-ms=%u\nt2-ms=%u\nt3-ms=%u\n", t1_ms,
                                           t1_ms / 2, t1_ms);
  const char *args[] = { "--listen", "127.0.0.1:0", "--id", "DTU-0001", "--spontaneous-ms=100",
                         profile_option, NULL };
  g_autoptr(GBytes) image = load_firmware (fixture, "V2.00", 200000);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTerminalInfo) info = NULL;
  Stall stall = { .stall_ms = 3 * t1_ms };
  guint first;
  guint from;

  g_file_set_contents (profile, link, -1, &error);
  g_assert_no_error (error);
  sim_process_stop (fixture->sim);
  fixture->sim = sim_process_start (args);
  g_clear_object (&fixture->conn);
  fixture->profile->iec104.t1_ms = t1_ms;
  fixture->profile->iec104.t2_ms = t1_ms / 2;
  fixture->profile->iec104.t3_ms = t1_ms;
  fixture->conn = ff_iec104_conn_new (fixture->profile, 0);
  g_signal_connect (fixture->conn, "closed", G_CALLBACK (on_closed_count), &stall);

  first = from = fixture->sim->lines->len;
  connect (fixture, fixture->sim->port);
  start_upgrade (fixture);
  ff_iec104_conn_write_file_async (fixture->conn, NULL, image, on_progress_stall, &stall, NULL,
                                   NULL, store_result, &result);
  g_assert_true (ff_iec104_conn_write_file_finish (fixture->conn, wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_true (stall.stalled);
  sim_process_wait_line (fixture->sim, "received completely", &from);

  /* The visit goes on over the same link, and the terminal saw it end only when the tablet
   * closed it. */
  g_assert_nonnull (info = read_info (fixture));
  g_assert_cmpuint (stall.closed, ==, 0);
  g_assert_true (ff_iec104_conn_is_connected (fixture->conn));
  ff_iec104_conn_close (fixture->conn);
  sim_process_wait_line (fixture->sim, "the master closed the connection", &from);
  for (guint i = first; i < from; i++)
    g_assert_null (strstr (fixture->sim->lines->pdata[i], "closes the link"));
}

/* A State Grid terminal opens its upgrade at 211 start: the upgrade file and 211 finish without
 * one are refused, as a real terminal refuses them. */
static void
test_upgrade_needs_start (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GBytes) image = load_firmware (fixture, "V2.00", 20000);
  g_autoptr(GAsyncResult) finish = NULL;
  g_autoptr(GError) error = NULL;
  gboolean rebooting = FALSE;
  guint from = 0;

  connect (fixture, fixture->sim->port);
  g_assert_false (write_file (fixture, image, NULL, NULL, &error));
  g_assert_error (error, FF_IEC104_ERROR, FF_IEC104_ERROR_FILE_FAILED);
  sim_process_wait_line (fixture->sim, "refuses the upgrade file: no upgrade was started", &from);
  g_clear_error (&error);

  ff_iec104_conn_upgrade_finish_async (fixture->conn, NULL, store_result, &finish);
  g_assert_false (ff_iec104_conn_upgrade_finish_finish (fixture->conn, wait_result (&finish),
                                                        &rebooting, &error));
  g_assert_error (error, FF_IEC104_ERROR, FF_IEC104_ERROR_REFUSED);
  sim_process_wait_line (fixture->sim, "refuses 211 finish: no upgrade was started", &from);
  g_clear_error (&error);

  /* Within 211 start … finish the same file is taken. */
  start_upgrade (fixture);
  g_assert_true (write_file (fixture, image, NULL, NULL, &error));
  g_assert_no_error (error);
  sim_process_wait_line (fixture->sim, "received completely", &from);
}

/* 105 answered by a drop instead of the confirmation (scenario reset-drop). */
static gboolean
reset_with_drop (Fixture  *fixture,
                 gboolean  reboots_by_itself,
                 GError  **error)
{
  g_autoptr(GAsyncResult) reset = NULL;
  guint from = 0;
  gboolean reset_ok;

  g_clear_object (&fixture->conn);
  fixture->profile->iec104.reboots_after_upgrade_finish = reboots_by_itself;
  fixture->conn = ff_iec104_conn_new (fixture->profile, 0);
  sim_process_send (fixture->sim, "scenario DTU-0001 reset-drop");
  sim_process_wait_line (fixture->sim, "without confirming", &from);
  connect (fixture, fixture->sim->port);
  ff_iec104_conn_reset_async (fixture->conn, NULL, store_result, &reset);
  reset_ok = ff_iec104_conn_reset_finish (fixture->conn, wait_result (&reset), error);
  sim_process_wait_line (fixture->sim, "FAULT reset-drop", &from);
  g_assert_false (ff_iec104_conn_is_connected (fixture->conn));
  return reset_ok;
}

static void
test_reset_drop_rebooted_early (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (reset_with_drop (fixture, FALSE, &error));
  g_assert_error (error, FF_IEC104_ERROR, FF_IEC104_ERROR_REBOOTED_EARLY);
  g_assert_true (ff_iec104_error_is_connection (error));
  g_assert_nonnull (strstr (error->message, "before confirming the reset"));
}

static void
test_reset_drop_self_rebooting (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (reset_with_drop (fixture, TRUE, &error));
  g_assert_no_error (error);
}

/* Reads the next 6-byte frame (S or U) from a raw connection to the simulator. */
static void
read_short_frame (GSocket *socket,
                  guint8   frame[6])
{
  gsize got = 0;

  while (got < 6)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (socket, (gchar *) frame + got, 6 - got, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      got += (gsize) n;
    }
  g_assert_cmpuint (frame[0], ==, 0x68);
  g_assert_cmpuint (frame[1], ==, 4);
}

/* Scenario prompt-acks: the terminal acknowledges an I-frame when it has read its input, long
 * before w (8) frames or t2 (10 s); seen on the wire as an S-frame before the answer to the next
 * request. */
static void
test_prompt_acks (Fixture       *fixture,
                  gconstpointer  data)
{
  const guint8 startdt_act[] = { 0x68, 0x04, 0x07, 0x00, 0x00, 0x00 };
  /* An I-frame N(S) 0 whose one-byte ASDU gets no answer, then TESTFR act, in one write. */
  const guint8 iframe_testfr[] = { 0x68, 0x05, 0x00, 0x00, 0x00, 0x00, 0x64,
                                   0x68, 0x04, 0x43, 0x00, 0x00, 0x00 };
  const guint8 testfr_act[] = { 0x68, 0x04, 0x43, 0x00, 0x00, 0x00 };
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GSocket *socket;
  guint8 frame[6];
  guint testfr_cons = 0;
  gboolean acked = FALSE;
  guint from = 0;

  sim_process_send (fixture->sim, "scenario DTU-0001 prompt-acks");
  sim_process_wait_line (fixture->sim, "as soon as it has read", &from);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", fixture->sim->port, NULL,
                                                &error);
  g_assert_no_error (error);
  socket = g_socket_connection_get_socket (connection);
  g_socket_set_timeout (socket, ff_test_deadline_s (SIM_TEST_DEADLINE_S));
  g_socket_send (socket, (const gchar *) startdt_act, sizeof startdt_act, NULL, &error);
  g_assert_no_error (error);
  read_short_frame (socket, frame);
  g_assert_cmpuint (frame[2], ==, 0x0B);  /* STARTDT con */
  g_socket_send (socket, (const gchar *) iframe_testfr, sizeof iframe_testfr, NULL, &error);
  g_assert_no_error (error);
  while (testfr_cons < 2)
    {
      read_short_frame (socket, frame);
      if (frame[2] == 0x83)
        {
          if (++testfr_cons == 1)
            {
              g_socket_send (socket, (const gchar *) testfr_act, sizeof testfr_act, NULL, &error);
              g_assert_no_error (error);
            }
        }
      else
        {
          /* S-frame acknowledging the one I-frame: N(R) 1. */
          g_assert_cmpmem (frame, 6, "\x68\x04\x01\x00\x02\x00", 6);
          acked = TRUE;
        }
    }
  g_assert_true (acked);
  sim_process_wait_line (fixture->sim, "FAULT prompt-acks: acknowledges what it has read", &from);
}

static void
test_requests_need_a_link (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTerminalInfo) info = NULL;
  g_autoptr(FfTerminalInfo) info2 = NULL;

  ff_iec104_conn_read_info_async (fixture->conn, NULL, store_result, &result);
  g_assert_null (ff_iec104_conn_read_info_finish (fixture->conn, wait_result (&result), &error));
  g_assert_error (error, FF_IEC104_ERROR, FF_IEC104_ERROR_NOT_CONNECTED);
  g_clear_error (&error);

  connect (fixture, fixture->sim->port);
  ff_iec104_conn_read_info_async (fixture->conn, NULL, store_result, &first);
  ff_iec104_conn_read_info_async (fixture->conn, NULL, store_result, &second);
  info2 = ff_iec104_conn_read_info_finish (fixture->conn, wait_result (&second), &error);
  g_assert_error (error, FF_IEC104_ERROR, FF_IEC104_ERROR_BUSY);
  g_clear_error (&error);
  info = ff_iec104_conn_read_info_finish (fixture->conn, wait_result (&first), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->device_id, ==, "DTU-0001");
}

static void
test_connect_refused (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  ff_iec104_conn_connect_async (fixture->conn, "127.0.0.1", ff_test_closed_loopback_port (), NULL,
                                store_result, &result);
  g_assert_false (ff_iec104_conn_connect_finish (fixture->conn, wait_result (&result), &error));
  g_assert_error (error, FF_IEC104_ERROR, FF_IEC104_ERROR_CONNECT_FAILED);
}

static void
test_fleet_and_scenario_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ff-sim-fleet-XXXXXX", NULL);
  g_autofree char *fleet = g_build_filename (dir, "fleet.ini", NULL);
  g_autofree char *scenario = g_build_filename (dir, "scenario.ini", NULL);
  g_autofree char *fleet_option = g_strdup_printf ("--fleet=%s", fleet);
  g_autofree char *scenario_option = g_strdup_printf ("--scenario=%s", scenario);
  const char *args[] = { fleet_option, scenario_option, NULL };
  g_autoptr(FfProfile) profile = ff_profile_new_default ();
  g_autoptr(FfIec104Conn) conn = ff_iec104_conn_new (profile, 0);
  g_autoptr(GAsyncResult) connected = NULL, read = NULL;
  g_autoptr(FfTerminalInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  SimProcess *sim;
  const char *line;
  guint from = 0;
  guint16 port;
  double latitude, longitude;

  g_file_set_contents (fleet,
                       "[fleet]\nfirst-port=0\nprofile=state-grid\n"
                       "[terminal DTU-0001]\nlatitude=30.27\nlongitude=120.15\nversion=V1.00\n"
                       "[terminal FTU-0002]\nlatitude=30.28\nlongitude=120.16\nversion=V1.10\n"
                       "type=FTU\n", -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (scenario, "[FTU-0002]\nscenario=wrong-device-id\nid=FTU-9999\n", -1,
                       &error);
  g_assert_no_error (error);

  sim = sim_process_start (args);
  line = sim_process_wait_line (sim, "terminal FTU-0002 listening on", &from);
  g_assert_true (sim_parse_listening (line, &port, &latitude, &longitude));
  g_assert_cmpfloat_with_epsilon (latitude, 30.28, 1e-7);
  g_assert_cmpuint (port, !=, sim->port);

  ff_iec104_conn_connect_async (conn, "127.0.0.1", port, NULL, store_result, &connected);
  g_assert_true (ff_iec104_conn_connect_finish (conn, wait_result (&connected), &error));
  ff_iec104_conn_read_info_async (conn, NULL, store_result, &read);
  info = ff_iec104_conn_read_info_finish (conn, wait_result (&read), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->device_id, ==, "FTU-9999");
  g_assert_cmpstr (info->software_version, ==, "V1.10");
  g_assert_cmpstr (info->type, ==, "FTU");
  ff_iec104_conn_close (conn);
  sim_process_stop (sim);

  ff_test_remove_tree (dir);
}

static void
test_bad_fleet_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ff-sim-fleet-XXXXXX", NULL);
  g_autofree char *fleet = g_build_filename (dir, "fleet.ini", NULL);
  g_autofree char *program = built_program ("src/sim/fieldflash-sim");
  g_autofree char *fleet_option = g_strdup_printf ("--fleet=%s", fleet);
  g_autoptr(GPtrArray) argv = ff_test_command (program, (const char *[]) { fleet_option, NULL });
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  g_file_set_contents (fleet, "[terminal DTU 1]\nlatitude=north\n", -1, &error);
  g_assert_no_error (error);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata, G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  ff_test_subprocess_communicate (process, NULL, SIM_TEST_DEADLINE_S, "fieldflash-sim", NULL,
                                  &err);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  g_assert_nonnull (strstr (err, "Fleet file"));
  ff_test_remove_tree (dir);
}

/* Pushes a small image with the fixture's profile changed to these upgrade flags, and returns the
 * simulator's lines from the connection to the close that follows the push. */
static GPtrArray *
push_with_flags (Fixture  *fixture,
                 gboolean  start_before_write,
                 gboolean  reset_after_finish)
{
  g_autoptr(GBytes) image = load_firmware (fixture, "V2.00", 20000);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *lines = g_ptr_array_new ();
  guint from = fixture->sim->lines->len;
  guint first = from;

  g_clear_object (&fixture->conn);
  fixture->profile->iec104.upgrade_start_before_write = start_before_write;
  fixture->profile->iec104.reset_after_upgrade_finish = reset_after_finish;
  fixture->profile->iec104.reboots_after_upgrade_finish = FALSE;
  fixture->conn = ff_iec104_conn_new (fixture->profile, 0);
  connect (fixture, fixture->sim->port);
  ff_iec104_conn_push_async (fixture->conn, NULL, image, NULL, NULL, NULL, NULL, store_result,
                             &result);
  g_assert_true (ff_iec104_conn_push_finish (fixture->conn, wait_result (&result), &error));
  g_assert_no_error (error);
  /* Without 105 the terminal keeps the link: close it, so the terminal's last line is known. */
  if (ff_iec104_conn_is_connected (fixture->conn))
    {
      ff_iec104_conn_close (fixture->conn);
      sim_process_wait_line (fixture->sim, "the master closed the connection", &from);
    }
  else
    sim_process_wait_line (fixture->sim, "drops the link and reboots", &from);
  for (guint i = first; i < from; i++)
    g_ptr_array_add (lines, fixture->sim->lines->pdata[i]);
  return lines;
}

static gboolean
lines_contain (GPtrArray  *lines,
               const char *text)
{
  for (guint i = 0; i < lines->len; i++)
    if (strstr (lines->pdata[i], text) != NULL)
      return TRUE;
  return FALSE;
}

/* The State Grid way: 211 start, the file, 211 finish, 105. */
static void
test_push_bracketed_with_reset (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GPtrArray) lines = push_with_flags (fixture, TRUE, TRUE);

  g_assert_true (lines_contain (lines, "upgrade started (211 start)"));
  g_assert_true (lines_contain (lines, "received completely"));
  g_assert_true (lines_contain (lines, "staged"));
  g_assert_true (lines_contain (lines, "reset process (105) accepted"));
}

/* upgrade_start_before_write false: the file alone, no 211 around it, to a terminal whose profile
 * takes it so (a State Grid terminal refuses the file without 211 start). */
static void
test_push_without_bracket (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *profile = g_build_filename (fixture->dir, "no-bracket.ini", NULL);
  g_autofree char *profile_option = g_strdup_printf ("--profile-file=%s", profile);
  const char *args[] = { "--listen", "127.0.0.1:0", "--id", "DTU-0001", profile_option, NULL };
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;

  g_file_set_contents (profile, "[upgrade]\nstart-before-write=false\n", -1, &error);
  g_assert_no_error (error);
  sim_process_stop (fixture->sim);
  fixture->sim = sim_process_start (args);
  lines = push_with_flags (fixture, FALSE, TRUE);

  g_assert_false (lines_contain (lines, "211 start"));
  g_assert_true (lines_contain (lines, "received completely"));
  g_assert_false (lines_contain (lines, "211 finish"));
  g_assert_false (lines_contain (lines, "staged"));
  g_assert_true (lines_contain (lines, "reset process (105) accepted"));
}

/* reset_after_upgrade_finish false: no 105 after the finish, the link stays as it is. */
static void
test_push_without_reset (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) lines = push_with_flags (fixture, TRUE, FALSE);

  g_assert_true (lines_contain (lines, "upgrade started (211 start)"));
  g_assert_true (lines_contain (lines, "staged"));
  g_assert_false (lines_contain (lines, "(105)"));
  g_assert_false (lines_contain (lines, "reboots"));
}

/* ---- clock, files and parameters through a bare iec104 master ---- */

typedef struct
{
  GSocketConnection *connection;
  Iec104Master      *master;
  FfIec104Pump      *pump;
  gboolean           done;
  Iec104MasterEvent  result;    /* the last DONE; its arrays are copied below */
  GArray            *params;    /* Iec104Param */
  GArray            *entries;   /* Iec104DirEntry */
  GByteArray        *file;      /* FILE_DATA of a read, in order */
} BareMaster;

static void
bare_master_after_step (gpointer owner)
{
  BareMaster *bare = owner;
  Iec104MasterEvent event;

  while (iec104_master_poll_event (bare->master, &event))
    if (event.type == IEC104_MASTER_EVENT_DONE)
      {
        bare->result = event;
        g_array_set_size (bare->params, 0);
        g_array_append_vals (bare->params, event.params, (guint) event.n_params);
        g_array_set_size (bare->entries, 0);
        g_array_append_vals (bare->entries, event.entries, (guint) event.n_entries);
        bare->done = TRUE;
      }
    else if (event.type == IEC104_MASTER_EVENT_FILE_DATA)
      {
        g_assert_cmpuint (event.file_offset, ==, bare->file->len);
        g_byte_array_append (bare->file, event.file_data, (guint) event.file_data_len);
      }
}

/* Waits for the request just started to end; returns its DONE event. */
static const Iec104MasterEvent *
bare_master_run (BareMaster  *bare,
                 Iec104Error  start_error)
{
  g_assert_cmpint (start_error, ==, IEC104_OK);
  ff_iec104_pump_flush (bare->pump);
  wait_until (&bare->done);
  bare->done = FALSE;
  return &bare->result;
}

static BareMaster *
bare_master_connect (guint16 port)
{
  BareMaster *bare = g_new0 (BareMaster, 1);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(FfProfile) profile = ff_profile_new_default ();
  g_autoptr(GError) error = NULL;

  bare->connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  bare->master = iec104_master_new (&profile->iec104);
  bare->params = g_array_new (FALSE, FALSE, sizeof (Iec104Param));
  bare->entries = g_array_new (FALSE, FALSE, sizeof (Iec104DirEntry));
  bare->file = g_byte_array_new ();
  iec104_master_open (bare->master, ff_iec104_now_ms ());
  bare->pump = ff_iec104_pump_new (G_IO_STREAM (bare->connection), bare->master, NULL,
                                   bare_master_after_step, bare);
  g_assert_cmpint (bare_master_run (bare, iec104_master_start_dt (bare->master,
                                                                   ff_iec104_now_ms ()))->error,
                   ==, IEC104_OK);
  return bare;
}

static void
bare_master_close (BareMaster *bare)
{
  ff_iec104_pump_close (bare->pump);
  g_clear_object (&bare->pump);
  g_clear_object (&bare->connection);
  iec104_master_free (bare->master);
  g_array_unref (bare->params);
  g_array_unref (bare->entries);
  g_byte_array_unref (bare->file);
  g_free (bare);
}

/* The terminal's clock follows a 103 set (COT 6) and reads back (COT 5) from there, not from the
 * system clock: set far from today, the read shows the date that was set. */
static void
test_clock_sync_and_read (Fixture       *fixture,
                          gconstpointer  data)
{
  BareMaster *bare = bare_master_connect (fixture->sim->port);
  const Iec104Cp56Time set = { .milliseconds = 500, .minute = 0, .hour = 12, .day = 15,
                               .month = 6, .year = 31 };
  const Iec104MasterEvent *done;
  guint from = 0;

  done = bare_master_run (bare, iec104_master_clock_sync (bare->master, &set,
                                                          ff_iec104_now_ms ()));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  sim_process_wait_line (fixture->sim, "clock synchronised", &from);
  done = bare_master_run (bare, iec104_master_clock_read (bare->master, ff_iec104_now_ms ()));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (done->time.year, ==, 31);
  g_assert_cmpuint (done->time.month, ==, 6);
  g_assert_cmpuint (done->time.day, ==, 15);
  g_assert_cmpuint (done->time.hour, ==, 12);
  bare_master_close (bare);
}

/* 210: the directory the profile names lists the event log, which reads back whole. */
static void
test_file_directory_and_read (Fixture       *fixture,
                              gconstpointer  data)
{
  BareMaster *bare = bare_master_connect (fixture->sim->port);
  const Iec104MasterEvent *done;
  const Iec104DirEntry *entry;

  done = bare_master_run (bare, iec104_master_file_directory (bare->master, NULL,
                                                              ff_iec104_now_ms ()));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (bare->entries->len, ==, 1);
  entry = &g_array_index (bare->entries, Iec104DirEntry, 0);
  g_assert_cmpstr (entry->name, ==, "soe.msg");

  done = bare_master_run (bare, iec104_master_file_read (bare->master, entry->name,
                                                         ff_iec104_now_ms ()));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (done->file_size, ==, entry->size);
  g_assert_cmpuint (bare->file->len, ==, entry->size);
  g_assert_nonnull (g_strstr_len ((const char *) bare->file->data, bare->file->len,
                                  "breaker open\n"));

  done = bare_master_run (bare, iec104_master_file_directory (bare->master, "NO/SUCH/DIR",
                                                              ff_iec104_now_ms ()));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_FILE_RESULT);
  bare_master_close (bare);
}

static guint64
read_running_param (Fixture *fixture,
                    guint32  ioa)
{
  BareMaster *bare = bare_master_connect (fixture->sim->port);
  const Iec104MasterEvent *done;
  guint64 value = 0;

  done = bare_master_run (bare, iec104_master_read_params (bare->master, 0, &ioa, 1,
                                                           ff_iec104_now_ms ()));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (bare->params->len, ==, 1);
  g_assert_cmpint (iec104_param_get_uint (&g_array_index (bare->params, Iec104Param, 0), &value),
                   ==, IEC104_OK);
  bare_master_close (bare);
  return value;
}

/* 203 preset + execute of a running parameter is kept in the state directory: a restarted
 * simulator still reports it. */
static void
test_params_survive_restart (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *state_option = g_strdup_printf ("--state-dir=%s/state", fixture->dir);
  const char *args[] = { "--listen", "127.0.0.1:0", "--id", "DTU-0001", state_option, NULL };
  const guint32 heartbeat = fixture->profile->iec104.running_param_ioa_first;
  Iec104Param written;
  BareMaster *bare;
  const Iec104MasterEvent *done;
  guint from = 0;

  sim_process_stop (fixture->sim);
  fixture->sim = sim_process_start (args);
  g_assert_cmpuint (read_running_param (fixture, heartbeat), ==, 30);

  bare = bare_master_connect (fixture->sim->port);
  iec104_param_set_uint (&written, heartbeat, IEC104_TAG_UINT16, 45);
  done = bare_master_run (bare, iec104_master_write_params (bare->master, 0, &written, 1,
                                                            ff_iec104_now_ms ()));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  done = bare_master_run (bare, iec104_master_execute_params (bare->master, 0,
                                                              ff_iec104_now_ms ()));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  sim_process_wait_line (fixture->sim, "stores 1 written parameters", &from);
  bare_master_close (bare);

  sim_process_stop (fixture->sim);
  fixture->sim = sim_process_start (args);
  g_assert_cmpuint (read_running_param (fixture, heartbeat), ==, 45);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func, data) \
  g_test_add (path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("/sim-adapter/full-upgrade", test_full_upgrade, NULL);
  ADD ("/sim-adapter/delta/applied", test_delta_applied, delta_args);
  ADD ("/sim-adapter/delta/for-other-image", test_delta_for_other_image, delta_args);
  ADD ("/sim-adapter/delta/not-declared", test_delta_not_declared, NULL);
  ADD ("/sim-adapter/interrogation", test_interrogation, NULL);
  ADD ("/sim-adapter/spontaneous", test_spontaneous, spontaneous_args);
  ADD ("/sim-adapter/cancel-write", test_cancel_write, NULL);
  ADD ("/sim-adapter/t1-expiry", test_t1_expiry, NULL);
  ADD ("/sim-adapter/stalled-loop-keeps-link", test_stalled_loop_keeps_link, NULL);
  ADD ("/sim-adapter/upgrade-needs-start", test_upgrade_needs_start, NULL);
  ADD ("/sim-adapter/reset-drop-rebooted-early", test_reset_drop_rebooted_early, NULL);
  ADD ("/sim-adapter/reset-drop-self-rebooting", test_reset_drop_self_rebooting, NULL);
  ADD ("/sim-adapter/prompt-acks", test_prompt_acks, NULL);
  ADD ("/sim-adapter/requests-need-a-link", test_requests_need_a_link, NULL);
  ADD ("/sim-adapter/connect-refused", test_connect_refused, NULL);
  g_test_add_func ("/sim-adapter/fleet-and-scenario-files", test_fleet_and_scenario_files);
  g_test_add_func ("/sim-adapter/bad-fleet-file", test_bad_fleet_file);
  g_test_add_func ("/sim-adapter/status-point-is-no-reading", test_status_point_is_no_reading);
  ADD ("/sim-adapter/push/bracketed-with-reset", test_push_bracketed_with_reset, NULL);
  ADD ("/sim-adapter/push/without-bracket", test_push_without_bracket, NULL);
  ADD ("/sim-adapter/push/without-reset", test_push_without_reset, NULL);
  ADD ("/sim-adapter/bare/clock-sync-and-read", test_clock_sync_and_read, NULL);
  ADD ("/sim-adapter/bare/file-directory-and-read", test_file_directory_and_read, NULL);
  ADD ("/sim-adapter/bare/params-survive-restart", test_params_survive_restart, NULL);
#undef ADD
  return g_test_run ();
}
