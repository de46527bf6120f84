/* test-iec104-session.c: whole master <-> outstation sessions in memory, with the byte stream cut
 * at random points and random delays (seeded; the seed is printed), plus the refusal paths. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "test-iec104-harness.h"

#define FILE_SIZE (1024 * 1024)
#define LIMIT_MS (10 * 60 * 1000)

static guint64
test_seed (guint64 fallback)
{
  const char *env = g_getenv ("IEC104_TEST_SEED");

  return env ? g_ascii_strtoull (env, NULL, 10) : fallback;
}

/* Connects a master to a terminal (NULL profiles: State Grid) over a stream cut into chunks of
 * up to max_chunk bytes with up to jitter_ms of extra delay, and starts data transfer. */
static void
setup_pair (Harness *harness, const Iec104Profile *master_profile,
            const Iec104Profile *terminal_profile, const Iec104OutstationCallbacks *callbacks,
            guint64 seed, size_t max_chunk, guint32 jitter_ms)
{
  Iec104Profile defaults;

  iec104_profile_init_state_grid (&defaults);
  g_test_message ("seed %" G_GUINT64_FORMAT " (set IEC104_TEST_SEED to replay)", seed);
  g_assert_true (harness_init_terminal (harness, master_profile ? master_profile : &defaults,
                                        terminal_profile ? terminal_profile : &defaults,
                                        callbacks, seed));
  harness->max_chunk = max_chunk;
  harness->latency_ms = 2;
  harness->return_latency_ms = 2;
  harness->jitter_ms = jitter_ms;
  harness_connect (harness);
  g_assert_cmpint (iec104_master_start_dt (harness->master, harness->now), ==, IEC104_OK);
  g_assert_true (harness_run_until_done (harness, LIMIT_MS));
  g_assert_cmpint (harness->last_done.request, ==, IEC104_MASTER_REQUEST_START_DT);
  g_assert_cmpint (harness->last_done.error, ==, IEC104_OK);
}

static void
setup (Harness *harness, const Iec104Profile *profile, guint64 seed, size_t max_chunk,
       guint32 jitter_ms)
{
  setup_pair (harness, profile, profile, &harness_terminal_callbacks, seed, max_chunk, jitter_ms);
}

static const Iec104MasterEvent *
run (Harness *harness, Iec104Error start_error)
{
  g_assert_cmpint (start_error, ==, IEC104_OK);
  g_assert_true (harness_run_until_done (harness, LIMIT_MS));
  return &harness->last_done;
}

static const Iec104Point *
find_point (const Iec104MasterEvent *done, guint32 ioa)
{
  for (gsize i = 0; i < done->n_points; i++)
    if (done->points[i].ioa == ioa)
      return &done->points[i];
  return NULL;
}

static void
run_full_session (guint64 seed, size_t max_chunk, guint32 jitter_ms)
{
  Harness harness;
  const Iec104MasterEvent *done;
  const guint32 info_ioas[] = { 0x8001, 0x8002, 0x8003, 0x8004, 0x8005, 0x8006, 0x8007, 0x8008,
                                0x8009, 0x800A };
  g_autofree guint8 *firmware = g_malloc (FILE_SIZE);
  Iec104Param preset[2];
  Iec104Cp56Time new_time = { .milliseconds = 1000, .minute = 1, .hour = 2, .day = 3,
                              .month = 4, .year = 27 };
  GRand *rand = g_rand_new_with_seed ((guint32) seed);
  char text[64];
  double value;

  setup (&harness, NULL, seed, max_chunk, jitter_ms);
  for (gsize i = 0; i < FILE_SIZE; i++)
    firmware[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);

  /* General interrogation: every point with its type and value. */
  done = run (&harness, iec104_master_interrogate (harness.master, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (done->n_points, ==, harness.terminal.n_points);
  g_assert_cmpfloat (find_point (done, 0x4001)->value, ==, 220.5f);
  g_assert_cmpuint (find_point (done, 0x4001)->type_id, ==, IEC104_TI_M_ME_NC_1);
  g_assert_cmpuint (find_point (done, 0x4004)->quality, ==, IEC104_QUALITY_INVALID);
  g_assert_cmpint (find_point (done, 0x0010)->raw, ==, IEC104_DPI_ON);
  g_assert_cmpint (find_point (done, 0x4006)->raw, ==, -1234);
  g_assert_cmpfloat (find_point (done, 0x4005)->value, ==, 0.5f);

  /* Terminal information 0x8001-0x800A in one request. */
  done = run (&harness, iec104_master_read_params (harness.master, 0, info_ioas, 10, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (done->n_params, ==, 10);
  iec104_param_get_string (&done->params[4], text, sizeof text);
  g_assert_cmpstr (text, ==, "V2.01");
  iec104_param_get_string (&done->params[8], text, sizeof text);
  g_assert_cmpstr (text, ==, "DTU0001");

  /* Read all, then preset + execute two running parameters, then a cancelled preset. */
  done = run (&harness, iec104_master_read_params (harness.master, 0, NULL, 0, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (done->n_params, ==, harness.terminal.n_params);
  iec104_param_set_float (&preset[0], 0x8020, IEC104_TAG_FLOAT32, 12.75);
  iec104_param_set_int (&preset[1], 0x8021, IEC104_TAG_INT16, 77);
  done = run (&harness, iec104_master_write_params (harness.master, 0, preset, 2, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpint (harness.terminal.executes, ==, 0);
  done = run (&harness, iec104_master_execute_params (harness.master, 0, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpint (harness.terminal.executes, ==, 1);
  iec104_param_get_double (&harness.terminal.params[10], &value);
  g_assert_cmpfloat (value, ==, 12.75);
  done = run (&harness, iec104_master_write_params (harness.master, 0, preset, 1, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  done = run (&harness, iec104_master_cancel_params (harness.master, 0, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  done = run (&harness, iec104_master_execute_params (harness.master, 0, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_UNKNOWN_IOA); /* nothing left to execute */
  g_assert_cmpint (harness.terminal.executes, ==, 1);

  /* Setting areas: switch to 3, read back; 9 is out of range. */
  done = run (&harness, iec104_master_switch_area (harness.master, 3, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  done = run (&harness, iec104_master_read_area (harness.master, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (done->area.current, ==, 3);
  g_assert_cmpuint (done->area.maximum, ==, 4);
  done = run (&harness, iec104_master_switch_area (harness.master, 9, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_UNKNOWN_IOA);

  /* Clock sync and read back. */
  done = run (&harness, iec104_master_clock_sync (harness.master, &new_time, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  done = run (&harness, iec104_master_clock_read (harness.master, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpmem (&done->time, sizeof new_time, &new_time, sizeof new_time);

  /* 211 start, a 1 MiB write, read-back, directory, 211 finish. */
  done = run (&harness, iec104_master_upgrade_start (harness.master, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  done = run (&harness, iec104_master_file_write (harness.master, NULL, firmware, FILE_SIZE,
                                                  harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (done->bytes_sent, ==, FILE_SIZE);
  g_assert_cmpuint (done->bytes_acked, <=, FILE_SIZE);
  g_assert_cmpuint (harness.progress_events, >, 10);
  g_assert_cmpstr (harness.terminal.written_name, ==, "UpdateProgram.bin");
  g_assert_true (harness.terminal.write_complete);
  g_assert_cmpmem (harness.terminal.written, harness.terminal.written_size, firmware, FILE_SIZE);

  harness.terminal.read_file = firmware;
  harness.terminal.read_file_size = FILE_SIZE;
  done = run (&harness, iec104_master_file_read (harness.master, "UpdateProgram.bin",
                                                 harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (done->file_size, ==, FILE_SIZE);
  g_assert_cmpmem (harness.read_back, harness.read_back_len, firmware, FILE_SIZE);

  done = run (&harness, iec104_master_file_directory (harness.master, NULL, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (done->n_entries, ==, 40);
  g_assert_cmpstr (done->entries[39].name, ==, "soe39.msg");
  g_assert_cmpuint (done->entries[39].size, ==, 139);

  done = run (&harness, iec104_master_upgrade_finish (harness.master, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_true (harness.terminal.upgrade_finished);

  /* 105: the terminal confirms, then drops the link. */
  done = run (&harness, iec104_master_reset_process (harness.master, IEC104_QRP_GENERAL_RESET,
                                                     harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpint (harness.terminal.resets, ==, 1);
  harness_run_for (&harness, 1000);
  g_assert_true (harness.master_closed);
  g_assert_cmpint (harness.master_close_reason, ==, IEC104_ERROR_CONNECTION_LOST);
  harness_clear (&harness);
}

static void
test_session_random_chunks (void)
{
  static const guint64 seeds[] = { 1, 20261121, 424242 };

  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    run_full_session (test_seed (seeds[i]), 1 + i * 97, (guint32) (i * 15));
}

static void
test_session_whole_frames (void)
{
  run_full_session (test_seed (7), 0, 0);
}

static void
test_refusals (void)
{
  Harness harness;
  const Iec104MasterEvent *done;
  const guint32 unknown = 0x8FFF;
  guint8 data[5000] = { 0 };

  setup (&harness, NULL, test_seed (99), 64, 5);
  g_assert_cmpint (iec104_master_start_dt (harness.master, harness.now), ==,
                   IEC104_ERROR_INVALID_ARGUMENT);

  done = run (&harness, iec104_master_read_params (harness.master, 0, &unknown, 1, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_UNKNOWN_IOA);
  g_assert_cmpuint (done->cot, ==, 47);

  /* Cancel without a started upgrade: activation termination (GB104S behaviour). */
  done = run (&harness, iec104_master_upgrade_cancel (harness.master, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_TERMINATED);

  harness.terminal.accepted_name_part = "UpdateProgram";
  done = run (&harness, iec104_master_file_write (harness.master, "other.bin", data, sizeof data,
                                                  harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_FILE_RESULT);
  g_assert_cmpuint (done->file_result, ==, IEC104_WRITE_ACT_NAME_NOT_SUPPORTED);
  g_assert_cmpuint (done->bytes_sent, ==, 0);

  /* An early negative OP10 aborts the transfer with the result and the segment. */
  harness.terminal.checksum_error_at_segment = 3;
  done = run (&harness, iec104_master_file_write (harness.master, NULL, data, sizeof data,
                                                  harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_FILE_RESULT);
  g_assert_cmpuint (done->file_result, ==, IEC104_WRITE_DATA_CHECKSUM_ERROR);
  g_assert_cmpuint (done->file_segment, ==, 600);
  g_assert_false (harness.terminal.write_complete);
  /* Segments still in flight after the abort are dropped, not answered one by one. */
  {
    guint64 sent = iec104_link_get_sent_total (iec104_outstation_get_link (harness.outstation));
    harness_run_for (&harness, 1000);
    g_assert_cmpuint (iec104_link_get_sent_total (iec104_outstation_get_link (harness.outstation)),
                      ==, sent);
  }

  done = run (&harness, iec104_master_file_read (harness.master, "missing", harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_FILE_RESULT);
  g_assert_cmpuint (done->file_result, ==, 1);
  done = run (&harness, iec104_master_file_directory (harness.master, "NOPE", harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_FILE_RESULT);

  /* One request at a time. */
  g_assert_cmpint (iec104_master_interrogate (harness.master, harness.now), ==, IEC104_OK);
  g_assert_cmpint (iec104_master_clock_read (harness.master, harness.now), ==, IEC104_ERROR_BUSY);
  iec104_master_cancel (harness.master);
  g_assert_true (harness_run_until_done (&harness, LIMIT_MS));
  g_assert_cmpint (harness.last_done.error, ==, IEC104_ERROR_CANCELLED);
  harness_run_for (&harness, 1000);
  harness_clear (&harness);
}

/* Each negative confirmation a terminal sends, end to end through a chunked session: the
 * request ends with the documented error and the refusing COT, and the link stays usable. */
static void
test_negative_confirmations (void)
{
  Harness harness;
  Iec104OutstationCallbacks standard = harness_terminal_callbacks;
  Iec104Profile elsewhere;
  const guint32 version = 0x8005;
  const Iec104Cp56Time time = { .milliseconds = 1000, .day = 1, .month = 1, .year = 27 };
  const Iec104MasterEvent *done;

  /* A terminal without the Chinese upgrade service (211) and clock read (103 COT 5). */
  standard.upgrade_start = standard.upgrade_finish = standard.upgrade_cancel = NULL;
  standard.clock_read = NULL;
  setup_pair (&harness, NULL, NULL, &standard, test_seed (44), 7, 4);

  done = run (&harness, iec104_master_upgrade_start (harness.master, harness.now));
  g_assert_cmpint (done->request, ==, IEC104_MASTER_REQUEST_UPGRADE_START);
  g_assert_cmpint (done->error, ==, IEC104_ERROR_UNKNOWN_TYPE);
  g_assert_cmpuint (done->cot, ==, IEC104_COT_UNKNOWN_TYPE);

  done = run (&harness, iec104_master_clock_read (harness.master, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_UNKNOWN_COT);
  g_assert_cmpuint (done->cot, ==, IEC104_COT_UNKNOWN_COT);

  /* A refused clock setting: COT 7 with only the P/N bit saying no. */
  harness.terminal.refuse_clock_set = true;
  done = run (&harness, iec104_master_clock_sync (harness.master, &time, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_NEGATIVE_CONFIRM);
  g_assert_cmpuint (done->cot, ==, IEC104_COT_ACTIVATION_CON);

  done = run (&harness, iec104_master_read_params (harness.master, 0, &version, 1, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_false (harness.master_closed);
  harness_clear (&harness);

  /* A terminal at another station address than the tablet asks for. */
  iec104_profile_init_state_grid (&elsewhere);
  elsewhere.common_address = 2;
  setup_pair (&harness, NULL, &elsewhere, &harness_terminal_callbacks, test_seed (46), 5, 2);
  done = run (&harness, iec104_master_read_params (harness.master, 0, &version, 1, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_UNKNOWN_CA);
  g_assert_cmpuint (done->cot, ==, IEC104_COT_UNKNOWN_CA);
  g_assert_false (harness.master_closed);
  harness_clear (&harness);
}

/* A terminal whose profile packs consecutive IOAs into SQ = 1 blocks: 50 floats from 0x4001
 * (more than one ASDU holds), three consecutive singles, an isolated double, two scattered scaled
 * values (SQ = 0 together) and two consecutive normalized ones. */
static void
fill_sq_points (HarnessTerminal *terminal)
{
  Iec104Point *p = terminal->points;
  size_t n = 0;

  for (guint32 i = 0; i < 50; i++)
    iec104_point_init_float (&p[n++], 0x4001 + i, 100.0f + (float) i * 0.5f, 0);
  for (guint32 i = 0; i < 3; i++)
    iec104_point_init_single (&p[n++], 0x0001 + i, i != 1, 0);
  iec104_point_init_double (&p[n++], 0x0010, IEC104_DPI_OFF, 0);
  iec104_point_init_scaled (&p[n++], 0x4100, -5, 0);
  iec104_point_init_scaled (&p[n++], 0x4200, 7, IEC104_QUALITY_INVALID);
  iec104_point_init_normalized (&p[n++], 0x4300, -16384, 0);
  iec104_point_init_normalized (&p[n++], 0x4301, 8192, 0);
  terminal->n_points = n;
}

static void
run_sq_interrogation (guint64 seed, size_t max_chunk, guint32 jitter_ms)
{
  Harness harness;
  Iec104Profile profile;
  Iec104Point spontaneous[3];
  const Iec104MasterEvent *done;

  iec104_profile_init_state_grid (&profile);
  profile.sq_blocks = true;
  setup (&harness, &profile, seed, max_chunk, jitter_ms);
  fill_sq_points (&harness.terminal);

  done = run (&harness, iec104_master_interrogate (harness.master, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (done->n_points, ==, harness.terminal.n_points);
  for (gsize i = 0; i < harness.terminal.n_points; i++)
    {
      const Iec104Point *sent = &harness.terminal.points[i];
      const Iec104Point *got = find_point (done, sent->ioa);

      g_assert_nonnull (got);
      g_assert_cmpuint (got->type_id, ==, sent->type_id);
      g_assert_cmpint (got->raw, ==, sent->raw);
      g_assert_cmpfloat (got->value, ==, sent->value);
      g_assert_cmpuint (got->quality, ==, sent->quality);
    }
  /* Floats 48 + 2 (an SQ = 1 ASDU holds 48), the singles, the normalized pair; the double and
   * the scaled values go with SQ = 0. */
  g_assert_cmpuint (harness.sq_asdus_to_master, ==, 4);

  /* Spontaneous data is packed the same way. */
  for (guint32 i = 0; i < 3; i++)
    iec104_point_init_float (&spontaneous[i], 0x4002 + i, 1.0f + (float) i, 0);
  g_assert_cmpint (iec104_outstation_send_points (harness.outstation, IEC104_COT_SPONTANEOUS,
                                                  spontaneous, 3, harness.now), ==, IEC104_OK);
  harness_run_for (&harness, 1000);
  g_assert_cmpuint (harness.spontaneous_points, ==, 3);
  g_assert_cmpuint (harness.sq_asdus_to_master, ==, 5);
  harness_clear (&harness);
}

static void
test_interrogation_sq_blocks (void)
{
  static const guint64 seeds[] = { 13, 20261122, 777 };
  Harness harness;
  const Iec104MasterEvent *done;

  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    run_sq_interrogation (test_seed (seeds[i]), 1 + i * 40, (guint32) (i * 7));

  /* The State Grid profile keeps one IOA per value. */
  setup (&harness, NULL, test_seed (14), 9, 3);
  fill_sq_points (&harness.terminal);
  done = run (&harness, iec104_master_interrogate (harness.master, harness.now));
  g_assert_cmpuint (done->n_points, ==, harness.terminal.n_points);
  g_assert_cmpuint (harness.sq_asdus_to_master, ==, 0);
  harness_clear (&harness);
}

static void
test_spontaneous_during_interrogation (void)
{
  Harness harness;
  Iec104Point points[3];
  const Iec104MasterEvent *done;

  setup (&harness, NULL, test_seed (5), 16, 3);
  for (int i = 0; i < 3; i++)
    iec104_point_init_float (&points[i], 0x4001 + (guint32) i, 1.0f + (float) i, 0);
  g_assert_cmpint (iec104_master_interrogate (harness.master, harness.now), ==, IEC104_OK);
  g_assert_cmpint (iec104_outstation_send_points (harness.outstation, IEC104_COT_SPONTANEOUS,
                                                  points, 3, harness.now), ==, IEC104_OK);
  done = run (&harness, IEC104_OK);
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (done->n_points, ==, harness.terminal.n_points);
  g_assert_cmpuint (harness.spontaneous_points, ==, 3);
  harness_clear (&harness);
}

static void
test_unacknowledging_terminal (void)
{
  Harness harness;
  guint8 data[20000] = { 0 };
  const Iec104MasterEvent *done;

  setup (&harness, NULL, test_seed (11), 0, 0);
  iec104_link_set_suppress_acks (iec104_outstation_get_link (harness.outstation), true);
  done = run (&harness, iec104_master_file_write (harness.master, NULL, data, sizeof data,
                                                  harness.now));
  g_assert_cmpint (done->error, ==, IEC104_ERROR_T1_TIMEOUT);
  /* The window stopped the sender: OP7 and 11 segments make k = 12 unacknowledged frames. */
  g_assert_cmpuint (done->bytes_sent, ==, 11 * 200);
  g_assert_true (harness.master_closed);
  g_assert_cmpint (harness.master_close_reason, ==, IEC104_ERROR_T1_TIMEOUT);
  harness_clear (&harness);
}

static void
test_vendor_variants (void)
{
  Harness harness;
  Iec104Profile profile;
  g_autofree guint8 *data = g_malloc (3333);
  const Iec104MasterEvent *done;

  /* Counter segment numbering, 228-byte segments, OP10 with COT 7, k 3, w 1. */
  iec104_profile_init_state_grid (&profile);
  profile.segment_numbering = IEC104_SEGMENT_NUMBER_COUNTER;
  profile.segment_size = IEC104_SEGMENT_SIZE_MAX;
  profile.cot_write_data_con = IEC104_COT_ACTIVATION_CON;
  profile.k = 3;
  profile.w = 1;
  for (gsize i = 0; i < 3333; i++)
    data[i] = (guint8) (i * 13);
  setup (&harness, &profile, test_seed (3), 50, 10);
  done = run (&harness, iec104_master_file_write (harness.master, NULL, data, 3333, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpmem (harness.terminal.written, harness.terminal.written_size, data, 3333);
  harness.terminal.read_file = data;
  harness.terminal.read_file_size = 3333;
  done = run (&harness, iec104_master_file_read (harness.master, "x", harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpmem (harness.read_back, harness.read_back_len, data, 3333);
  harness_clear (&harness);
}

static void
test_multi_frame_preset (void)
{
  Harness harness;
  Iec104Param preset[10];
  const Iec104MasterEvent *done;
  guint64 before;
  char text[32];

  setup (&harness, NULL, test_seed (8), 33, 2);
  /* Ten 24-byte strings (290 bytes of items) need two 203 frames: both must be confirmed. */
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *value = g_strdup_printf ("NEW-%u-%020u", i, i);
      g_assert_cmpint (iec104_param_set_string (&preset[i], 0x8001 + i, value), ==, IEC104_OK);
    }
  before = iec104_link_get_sent_total (iec104_master_get_link (harness.master));
  done = run (&harness, iec104_master_write_params (harness.master, 0, preset, 10, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  g_assert_cmpuint (iec104_link_get_sent_total (iec104_master_get_link (harness.master)) - before,
                    ==, 2);
  done = run (&harness, iec104_master_execute_params (harness.master, 0, harness.now));
  g_assert_cmpint (done->error, ==, IEC104_OK);
  iec104_param_get_string (&harness.terminal.params[9], text, sizeof text);
  g_assert_cmpstr (text, ==, "NEW-9-00000000000000000009");
  harness_clear (&harness);
}

static void
test_reply_timeout (void)
{
  Iec104Profile profile;
  Iec104Master *master;
  Iec104MasterEvent event;
  const guint8 startdt_con[] = { 0x68, 0x04, 0x0B, 0x00, 0x00, 0x00 };
  const guint8 ack_one[] = { 0x68, 0x04, 0x01, 0x00, 0x02, 0x00 };
  gboolean done = FALSE;

  iec104_profile_init_state_grid (&profile);
  master = iec104_master_new (&profile);
  g_assert_cmpint (iec104_master_interrogate (master, 0), ==, IEC104_ERROR_NOT_ACTIVE);
  iec104_master_open (master, 0);
  g_assert_cmpint (iec104_master_start_dt (master, 0), ==, IEC104_OK);
  iec104_master_feed (master, startdt_con, sizeof startdt_con, 10);
  g_assert_true (iec104_master_poll_event (master, &event));
  g_assert_cmpint (event.request, ==, IEC104_MASTER_REQUEST_START_DT);
  g_assert_cmpint (iec104_master_interrogate (master, 100), ==, IEC104_OK);
  /* The terminal acknowledges the I-frame but never answers. */
  iec104_master_feed (master, ack_one, sizeof ack_one, 200);
  g_assert_cmpuint (iec104_master_next_deadline (master), ==, 100 + profile.reply_timeout_ms);
  iec104_master_tick (master, 100 + profile.reply_timeout_ms);
  while (iec104_master_poll_event (master, &event))
    if (event.type == IEC104_MASTER_EVENT_DONE)
      {
        g_assert_cmpint (event.request, ==, IEC104_MASTER_REQUEST_INTERROGATION);
        g_assert_cmpint (event.error, ==, IEC104_ERROR_TIMEOUT);
        done = TRUE;
      }
  g_assert_true (done);
  iec104_master_free (master);
}

/* A master for the terminal at common_address, with data transfer started, fed by hand as a
 * terminal would. */
static Iec104Master *
active_master_at (guint16 common_address)
{
  Iec104Profile profile;
  Iec104Master *master;
  Iec104MasterEvent event;
  const guint8 startdt_con[] = { 0x68, 0x04, 0x0B, 0x00, 0x00, 0x00 };

  iec104_profile_init_state_grid (&profile);
  profile.common_address = common_address;
  master = iec104_master_new (&profile);
  iec104_master_open (master, 0);
  g_assert_cmpint (iec104_master_start_dt (master, 0), ==, IEC104_OK);
  iec104_master_feed (master, startdt_con, sizeof startdt_con, 10);
  g_assert_true (iec104_master_poll_event (master, &event));
  g_assert_cmpint (event.error, ==, IEC104_OK);
  return master;
}

static Iec104Master *
active_master (void)
{
  return active_master_at (1);
}

/* Feeds one I-frame from the terminal carrying `asdu` (hex bytes). */
static void
feed_terminal_asdu (Iec104Master *master, guint16 ns, guint16 nr, const char *hex,
                    guint64 now_ms)
{
  g_auto(GStrv) bytes = g_strsplit (hex, " ", -1);
  guint8 asdu[IEC104_ASDU_MAX];
  guint8 frame[IEC104_APDU_MAX];
  gsize len = g_strv_length (bytes);

  for (gsize i = 0; i < len; i++)
    asdu[i] = (guint8) g_ascii_strtoull (bytes[i], NULL, 16);
  iec104_master_feed (master, frame, iec104_frame_encode_i (frame, ns, nr, asdu, len), now_ms);
}

/* The DONE event among the master's pending events, if there is one. */
static gboolean
poll_done (Iec104Master *master, Iec104MasterEvent *done)
{
  Iec104MasterEvent event;
  gboolean found = FALSE;

  while (iec104_master_poll_event (master, &event))
    if (event.type == IEC104_MASTER_EVENT_DONE)
      {
        *done = event;
        found = TRUE;
      }
  return found;
}

/* docs/iec104.md "Bad input": a malformed ASDU in a valid frame ends the request it belongs to
 * with MALFORMED_ASDU instead of leaving it to time out, also one too short for its header. */
static void
test_malformed_reply_ends_request (void)
{
  Iec104Master *master = active_master ();
  Iec104MasterEvent done = { 0 };

  g_assert_cmpint (iec104_master_interrogate (master, 100), ==, IEC104_OK);
  /* Too short for a header, and of another type: belongs to no request. */
  feed_terminal_asdu (master, 0, 1, "2D 01", 110);
  g_assert_false (poll_done (master, &done));
  /* Too short for a header, of the running request's type (100): its reply, unreadable. */
  feed_terminal_asdu (master, 1, 1, "64 01 07", 120);
  g_assert_true (poll_done (master, &done));
  g_assert_cmpint (done.request, ==, IEC104_MASTER_REQUEST_INTERROGATION);
  g_assert_cmpint (done.error, ==, IEC104_ERROR_MALFORMED_ASDU);
  g_assert_cmpint (iec104_link_get_state (iec104_master_get_link (master)), ==,
                   IEC104_LINK_STATE_ACTIVE);

  /* Interrogation data (COT 20) announcing two floats and carrying one: the GI cannot be
   * complete, so it ends at once. */
  g_assert_cmpint (iec104_master_interrogate (master, 200), ==, IEC104_OK);
  feed_terminal_asdu (master, 2, 2, "64 01 07 00 01 00 00 00 00 14", 210);
  g_assert_false (poll_done (master, &done));
  feed_terminal_asdu (master, 3, 2, "0D 02 14 00 01 00 01 40 00 00 00 80 3F 00", 220);
  g_assert_true (poll_done (master, &done));
  g_assert_cmpint (done.request, ==, IEC104_MASTER_REQUEST_INTERROGATION);
  g_assert_cmpint (done.error, ==, IEC104_ERROR_MALFORMED_ASDU);
  g_assert_cmpuint (done.cot, ==, IEC104_COT_INTERROGATED_BY_STATION);

  /* The same broken data outside a GI belongs to no request: dropped, nothing ends. */
  g_assert_cmpint (iec104_master_clock_read (master, 300), ==, IEC104_OK);
  feed_terminal_asdu (master, 4, 3, "0D 02 03 00 01 00 01 40 00 00 00 80 3F 00", 310);
  g_assert_false (poll_done (master, &done));
  g_assert_cmpint (iec104_master_get_request (master), ==, IEC104_MASTER_REQUEST_CLOCK_READ);
  iec104_master_free (master);
}

/* A gateway answering for another terminal (CA 1) while the master talks to CA 2: the reply is
 * ignored and counted, and the request times out as without an answer. */
static void
test_foreign_common_address_ignored (void)
{
  Iec104Master *master = active_master_at (2);
  Iec104MasterEvent done = { 0 };
  guint16 foreign_ca = 0;
  const guint64 timeout = 15000; /* State Grid reply_timeout_ms */

  g_assert_cmpint (iec104_master_clock_read (master, 100), ==, IEC104_OK);
  /* 103 COT 5 from CA 1, then spontaneous data and an end of initialisation from CA 1. */
  feed_terminal_asdu (master, 0, 1, "67 01 05 00 01 00 00 00 00 00 00 00 0A 15 0B 1A", 110);
  feed_terminal_asdu (master, 1, 1, "0D 01 03 00 01 00 01 40 00 00 00 80 3F 00", 120);
  feed_terminal_asdu (master, 2, 1, "46 01 04 00 01 00 00 00 00 00", 130);
  g_assert_false (poll_done (master, &done));
  g_assert_cmpint (iec104_master_get_request (master), ==, IEC104_MASTER_REQUEST_CLOCK_READ);
  g_assert_cmpuint (iec104_master_get_foreign_replies (master, &foreign_ca), ==, 3);
  g_assert_cmpuint (foreign_ca, ==, 1);
  /* The foreign reply did not restart the wait. */
  g_assert_cmpuint (iec104_master_next_deadline (master), <=, 100 + timeout);
  iec104_master_tick (master, 100 + timeout);
  g_assert_true (poll_done (master, &done));
  g_assert_cmpint (done.request, ==, IEC104_MASTER_REQUEST_CLOCK_READ);
  g_assert_cmpint (done.error, ==, IEC104_ERROR_TIMEOUT);

  /* The same reply from CA 2 is the terminal's answer. */
  g_assert_cmpint (iec104_master_clock_read (master, 20000), ==, IEC104_OK);
  feed_terminal_asdu (master, 3, 1, "67 01 05 00 02 00 00 00 00 00 00 00 0A 15 0B 1A", 20010);
  g_assert_true (poll_done (master, &done));
  g_assert_cmpint (done.request, ==, IEC104_MASTER_REQUEST_CLOCK_READ);
  g_assert_cmpint (done.error, ==, IEC104_OK);
  g_assert_cmpuint (done.time.hour, ==, 10);
  g_assert_cmpuint (iec104_master_get_foreign_replies (master, NULL), ==, 3);
  iec104_master_free (master);
}

/* STOPDT while the terminal's spontaneous frames cross the STOPDT act: the terminal holds its
 * con until they are acknowledged (ed. 2), and the master acknowledges them at once, so the stop
 * completes in a few round trips of protocol time, not after t2. */
static void
test_stop_with_frames_in_flight (void)
{
  Harness harness;
  Iec104Point points[3];
  guint64 started;
  Iec104Profile profile;

  iec104_profile_init_state_grid (&profile);
  setup (&harness, NULL, test_seed (21), 0, 0);
  for (int i = 0; i < 3; i++)
    iec104_point_init_float (&points[i], 0x4001 + (guint32) i, 1.0f + (float) i, 0);
  started = harness.now;
  g_assert_cmpint (iec104_outstation_send_points (harness.outstation, IEC104_COT_SPONTANEOUS,
                                                  points, 3, harness.now), ==, IEC104_OK);
  g_assert_cmpuint (iec104_link_get_unacked (iec104_outstation_get_link (harness.outstation)),
                    ==, 1);
  g_assert_cmpint (iec104_master_stop_dt (harness.master, harness.now), ==, IEC104_OK);
  g_assert_true (harness_run_until_done (&harness, LIMIT_MS));
  g_assert_cmpint (harness.last_done.request, ==, IEC104_MASTER_REQUEST_STOP_DT);
  g_assert_cmpint (harness.last_done.error, ==, IEC104_OK);
  g_assert_cmpuint (harness.spontaneous_points, ==, 3);
  g_assert_cmpuint (harness.now - started, <, profile.t2_ms);
  g_assert_cmpuint (iec104_link_get_unacked (iec104_outstation_get_link (harness.outstation)),
                    ==, 0);
  g_assert_cmpint (iec104_link_get_state (iec104_outstation_get_link (harness.outstation)), ==,
                   IEC104_LINK_STATE_STOPPED);
  harness_clear (&harness);
}

/* A new connection starts clean: the old one's CLOSED is gone, a cut request keeps its DONE. */
static void
test_reopen_starts_clean (void)
{
  Iec104Profile profile;
  Iec104Master *master;
  Iec104Outstation *outstation;
  Iec104MasterEvent event;
  Iec104OutstationEvent outstation_event;
  const Iec104OutstationCallbacks refuse_all = { 0 };
  const guint8 startdt_con[] = { 0x68, 0x04, 0x0B, 0x00, 0x00, 0x00 };
  const guint8 startdt_act[] = { 0x68, 0x04, 0x07, 0x00, 0x00, 0x00 };
  guint n_done = 0;

  iec104_profile_init_state_grid (&profile);
  master = iec104_master_new (&profile);
  iec104_master_open (master, 0);
  g_assert_cmpint (iec104_master_start_dt (master, 0), ==, IEC104_OK);
  iec104_master_feed (master, startdt_con, sizeof startdt_con, 10);
  g_assert_cmpint (iec104_master_reset_process (master, IEC104_QRP_GENERAL_RESET, 20), ==,
                   IEC104_OK);
  iec104_master_connection_lost (master);
  iec104_master_open (master, 30);
  while (iec104_master_poll_event (master, &event))
    {
      g_assert_cmpint (event.type, !=, IEC104_MASTER_EVENT_CLOSED);
      if (event.type == IEC104_MASTER_EVENT_DONE
          && event.request == IEC104_MASTER_REQUEST_RESET_PROCESS)
        {
          g_assert_cmpint (event.error, ==, IEC104_ERROR_CONNECTION_LOST);
          n_done++;
        }
    }
  g_assert_cmpuint (n_done, ==, 1);
  g_assert_cmpint (iec104_link_get_state (iec104_master_get_link (master)), ==,
                   IEC104_LINK_STATE_STOPPED);
  iec104_master_free (master);

  outstation = iec104_outstation_new (&profile, &refuse_all, NULL);
  iec104_outstation_open (outstation, 0);
  iec104_outstation_feed (outstation, startdt_act, sizeof startdt_act, 10);
  iec104_outstation_connection_lost (outstation);
  iec104_outstation_open (outstation, 20);
  g_assert_false (iec104_outstation_poll_event (outstation, &outstation_event));
  iec104_outstation_free (outstation);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/iec104/session/random-chunks", test_session_random_chunks);
  g_test_add_func ("/iec104/session/whole-frames", test_session_whole_frames);
  g_test_add_func ("/iec104/session/refusals", test_refusals);
  g_test_add_func ("/iec104/session/negative-confirmations", test_negative_confirmations);
  g_test_add_func ("/iec104/session/spontaneous", test_spontaneous_during_interrogation);
  g_test_add_func ("/iec104/session/interrogation-sq-blocks", test_interrogation_sq_blocks);
  g_test_add_func ("/iec104/session/unacknowledging-terminal", test_unacknowledging_terminal);
  g_test_add_func ("/iec104/session/vendor-variants", test_vendor_variants);
  g_test_add_func ("/iec104/session/multi-frame-preset", test_multi_frame_preset);
  g_test_add_func ("/iec104/session/reply-timeout", test_reply_timeout);
  g_test_add_func ("/iec104/session/malformed-reply-ends-request",
                   test_malformed_reply_ends_request);
  g_test_add_func ("/iec104/session/reopen-starts-clean", test_reopen_starts_clean);
  g_test_add_func ("/iec104/session/foreign-common-address-ignored",
                   test_foreign_common_address_ignored);
  g_test_add_func ("/iec104/session/stop-with-frames-in-flight", test_stop_with_frames_in_flight);
  return g_test_run ();
}
