/* test-iec104-capture.c: a pcap of a whole session (chunked TCP) decodes in tshark with no
 * malformed packets, and tshark sees every APDU the two ends sent. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "test-iec104-harness.h"

#define LIMIT_MS (10 * 60 * 1000)

static const char *tshark_path;

static void
run_ok (Harness *harness, Iec104Error start_error)
{
  g_assert_cmpint (start_error, ==, IEC104_OK);
  g_assert_true (harness_run_until_done (harness, LIMIT_MS));
  g_assert_cmpint (harness->last_done.error, ==, IEC104_OK);
}

/* Records a session covering every standard type this library sends plus 202/203/210/211. */
static void
record_session (const char *pcap_path, guint64 *i_frames)
{
  Harness harness;
  Iec104Profile profile;
  Iec104Point timed[3];
  Iec104Param preset;
  const guint32 ioas[] = { 0x8001, 0x8002, 0x8003, 0x8004, 0x8005, 0x8006, 0x8007, 0x8008,
                           0x8009, 0x800A };
  g_autofree guint8 *firmware = g_malloc (5000);
  FILE *pcap = fopen (pcap_path, "wb");

  g_assert_nonnull (pcap);
  harness_pcap_begin (pcap);
  iec104_profile_init_state_grid (&profile);
  g_test_message ("seed 104");
  g_assert_true (harness_init (&harness, &profile, 104));
  harness.pcap = pcap;
  harness.max_chunk = 40;  /* APDUs split across TCP segments: tshark must reassemble */
  harness.latency_ms = 1;
  harness.return_latency_ms = 1;
  harness.jitter_ms = 4;
  for (gsize i = 0; i < 5000; i++)
    firmware[i] = (guint8) (i * 31);
  harness_connect (&harness);
  run_ok (&harness, iec104_master_start_dt (harness.master, harness.now));
  run_ok (&harness, iec104_master_interrogate (harness.master, harness.now));
  iec104_point_init_single (&timed[0], 1, true, 0);
  iec104_point_init_double (&timed[1], 0x10, IEC104_DPI_OFF, 0);
  iec104_point_init_float (&timed[2], 0x4001, 221.0f, 0);
  for (int i = 0; i < 3; i++)
    iec104_point_set_time (&timed[i], &harness.terminal.clock);
  g_assert_cmpint (iec104_outstation_send_points (harness.outstation, IEC104_COT_SPONTANEOUS,
                                                  timed, 3, harness.now), ==, IEC104_OK);
  run_ok (&harness, iec104_master_clock_sync (harness.master, &harness.terminal.clock,
                                              harness.now));
  run_ok (&harness, iec104_master_read_params (harness.master, 0, ioas, 10, harness.now));
  iec104_param_set_float (&preset, 0x8020, IEC104_TAG_FLOAT32, 3.5);
  run_ok (&harness, iec104_master_write_params (harness.master, 0, &preset, 1, harness.now));
  run_ok (&harness, iec104_master_execute_params (harness.master, 0, harness.now));
  run_ok (&harness, iec104_master_upgrade_start (harness.master, harness.now));
  run_ok (&harness, iec104_master_file_write (harness.master, NULL, firmware, 5000, harness.now));
  run_ok (&harness, iec104_master_upgrade_finish (harness.master, harness.now));
  /* Idle long enough for t3 test frames and t2 acknowledgements. */
  harness_run_for (&harness, 25000);
  run_ok (&harness, iec104_master_reset_process (harness.master, IEC104_QRP_GENERAL_RESET,
                                                 harness.now));
  g_assert_cmpuint (harness.spontaneous_points, ==, 3);
  *i_frames = iec104_link_get_sent_total (iec104_master_get_link (harness.master))
              + iec104_link_get_sent_total (iec104_outstation_get_link (harness.outstation));
  harness_run_for (&harness, 1000);
  harness_clear (&harness);
  g_assert_cmpint (fclose (pcap), ==, 0);
}

/* Runs tshark with HOME in the temp dir and returns its standard output. */
static char *
tshark (const char *home, const char *pcap, const char *filter, const char *field)
{
  const char *argv[] = { tshark_path, "-n", "-r", pcap, "-Y", filter, "-T", "fields", "-e", field,
                         NULL };
  g_auto (GStrv) envp = g_environ_setenv (g_get_environ (), "HOME", home, TRUE);
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("tshark failed: %s", err);
  return out;
}

/* Values in tshark's field output: one line per packet, values of one packet separated by
 * commas (a TCP segment can carry several APDUs). */
static gsize
count_values (const char *text)
{
  gsize n = 0;

  for (const char *p = text; *p; p++)
    n += *p == '\n' || *p == ',';
  return n;
}

static void
test_capture_decodes (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("iec104-capture-XXXXXX", &error);
  g_autofree char *pcap = NULL;
  g_autofree char *malformed = NULL;
  g_autofree char *i_format = NULL;
  g_autofree char *types = NULL;
  g_autofree char *utypes = NULL;
  guint64 i_frames = 0;

  g_assert_no_error (error);
  pcap = g_build_filename (dir, "session.pcap", NULL);
  record_session (pcap, &i_frames);

  malformed = tshark (dir, pcap, "_ws.malformed || _ws.expert.severity >= 8388608 "
                                 "|| (iec60870_asdu && iec60870_asdu.typeid < 200 "
                                 "&& _ws.expert.severity >= 6291456)", "frame.number");
  g_assert_cmpstr (malformed, ==, "");

  /* Every I-frame both ends sent is one decoded I-format APDU. */
  i_format = tshark (dir, pcap, "iec60870_104.type == 0", "iec60870_104.type");
  g_assert_cmpuint (count_values (i_format), ==, i_frames);
  types = tshark (dir, pcap, "iec60870_asdu", "iec60870_asdu.typeid");
  for (guint type = 0; type < 256; type++)
    {
      static const guint expected[] = { 1, 3, 9, 11, 13, 30, 31, 36, 100, 103, 105, 202, 203, 210,
                                        211 };
      g_autofree char *needle = g_strdup_printf (",%u,", type);
      g_autofree char *haystack = g_strdelimit (g_strconcat (",", types, NULL), "\n", ',');
      gboolean wanted = FALSE;

      for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
        wanted |= expected[i] == type;
      if (wanted && strstr (haystack, needle) == NULL)
        g_error ("type %u missing from the capture", type);
    }
  utypes = tshark (dir, pcap, "iec60870_104.type == 3", "iec60870_104.utype");
  g_assert_nonnull (strstr (utypes, "0x00000001"));  /* STARTDT act */
  g_assert_nonnull (strstr (utypes, "0x00000010"));  /* TESTFR act */

  g_assert_cmpint (g_remove (pcap), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  tshark_path = argc > 1 ? argv[1] : "tshark";
  g_test_add_func ("/iec104/capture/tshark-decodes", test_capture_decodes);
  return g_test_run ();
}
