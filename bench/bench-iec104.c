/* bench-iec104.c: prints libiec104 figures: frames encoded+decoded per second, MB/s of an in-memory
 * 16 MiB file write with checksums and acks, and the k-window efficiency on a simulated RTT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test-iec104-harness.h"

static double
seconds_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Encodes `rounds` I-frames (ASDU and APCI) and decodes each back (APCI and ASDU, and the
 * checksum of a segment); prints and returns frames/s. With points, each frame carries n_points
 * floats; otherwise an OP9 segment of `segment`. */
static double
bench_frames (const char *label, const Iec104Point *points, size_t n_points,
              Iec104FileMessage *segment, long rounds)
{
  uint8_t apdu[IEC104_APDU_MAX];
  Iec104Point decoded[IEC104_MAX_OBJECTS];
  Iec104FileMessage *message = malloc (sizeof *message);
  unsigned long checksum = 0;
  double start = seconds_now ();
  double elapsed;

  for (long i = 0; i < rounds; i++)
    {
      Iec104Asdu asdu;
      Iec104Frame frame;
      size_t n = 0;
      size_t len;

      if (points)
        iec104_asdu_encode_points (&asdu, 1, IEC104_COT_INTERROGATED_BY_STATION,
                                   IEC104_TI_M_ME_NC_1, false, points, n_points, &n);
      else
        {
          segment->segment = (uint32_t) i * 200;
          iec104_asdu_encode_file (&asdu, 1, IEC104_COT_REQUEST, segment);
        }
      len = iec104_frame_encode_i (apdu, (uint16_t) i, (uint16_t) (i >> 1), asdu.bytes, asdu.len);
      if (iec104_frame_decode (apdu, len, &frame) != IEC104_OK)
        abort ();
      if (points)
        {
          if (iec104_asdu_decode_points (frame.asdu, frame.asdu_len, decoded, &n) != IEC104_OK)
            abort ();
        }
      else if (iec104_asdu_decode_file (frame.asdu, frame.asdu_len, message) != IEC104_OK
               || iec104_checksum_sum8 (message->data, message->data_len) != message->checksum)
        abort ();
      else
        n = message->data_len;
      checksum += n + frame.send_seq;
    }
  elapsed = seconds_now () - start;
  free (message);
  printf ("  %-44s %12.0f frames/s  (check %lu)\n", label, (double) rounds / elapsed, checksum);
  return (double) rounds / elapsed;
}

static void
bench_codec (void)
{
  Iec104Point points[30];
  Iec104FileMessage *message = calloc (1, sizeof *message);
  uint8_t segment[200];

  printf ("codec (encode ASDU + I-frame, decode I-frame + ASDU):\n");
  for (int i = 0; i < 30; i++)
    iec104_point_init_float (&points[i], 0x4001 + (uint32_t) i, (float) i * 1.5f, 0);
  bench_frames ("M_ME_NC_1, 30 floats (SQ=0)", points, 30, NULL, 2000000);
  for (size_t i = 0; i < sizeof segment; i++)
    segment[i] = (uint8_t) (i * 3);
  message->op = IEC104_FILE_OP_WRITE_DATA;
  message->pkt = 2;
  message->data = segment;
  message->data_len = sizeof segment;
  bench_frames ("FILE_210 OP9, 200-byte segment with sum-8", NULL, 0, message, 2000000);
  free (message);
}

/* A file write through master and outstation on the simulated network. Returns the harness
 * (caller clears it) after the DONE event. */
static void
run_write (Harness *harness, const Iec104Profile *profile, const uint8_t *data, size_t size,
           uint32_t latency_ms, uint32_t return_latency_ms, bool check_bytes)
{
  if (!harness_init (harness, profile, 1))
    abort ();
  harness->terminal.check_file_bytes = check_bytes;
  harness->latency_ms = latency_ms;
  harness->return_latency_ms = return_latency_ms;
  harness_connect (harness);
  if (iec104_master_start_dt (harness->master, harness->now) != IEC104_OK
      || !harness_run_until_done (harness, 60000)
      || iec104_master_file_write (harness->master, NULL, data, size, harness->now) != IEC104_OK
      || !harness_run_until_done (harness, UINT64_C (1) << 40)
      || harness->last_done.error != IEC104_OK)
    {
      fprintf (stderr, "file write failed: %s\n", iec104_strerror (harness->last_done.error));
      exit (1);
    }
}

static void
bench_throughput (const uint8_t *data, size_t size)
{
  Iec104Profile profile;
  Harness *harness = malloc (sizeof *harness);
  double start, elapsed;

  iec104_profile_init_state_grid (&profile);
  start = seconds_now ();
  run_write (harness, &profile, data, size, 0, 0, true);
  elapsed = seconds_now () - start;
  if (memcmp (harness->terminal.written, data, size) != 0)
    abort ();
  printf ("\nin-memory file write master -> outstation (16 MiB, segments of %u, k %u, w %u,\n"
          "OP9 encode + checksum, outstation verify + store, S-frame acks, final OP10):\n"
          "  %.1f MB/s  (%.3f s, %zu segments)\n",
          profile.segment_size, profile.k, profile.w, (double) size / 1e6 / elapsed, elapsed,
          (size + profile.segment_size - 1) / profile.segment_size);
  harness_clear (harness);
  free (harness);
}

/* Achieved / ideal throughput with round-trip time rtt_ms, measured on the simulated clock from
 * the first segment sent to the final OP10 (which acknowledges the last segment); also the time
 * the master sat idle although its window had room and bytes were left. */
static void
bench_window (const uint8_t *data, size_t size, uint32_t rtt_ms, uint16_t w, bool ack_when_drained)
{
  Iec104Profile profile;
  Harness *harness = malloc (sizeof *harness);
  double streaming_ms, achieved, ideal;

  iec104_profile_init_state_grid (&profile);
  profile.w = w;
  profile.ack_when_drained = ack_when_drained;
  /* The clock counts whole milliseconds: R = 1 ms is 1 ms out and 0 ms back. */
  run_write (harness, &profile, data, size, (rtt_ms + 1) / 2, rtt_ms / 2, false);
  streaming_ms = (double) (harness->now - harness->first_progress_ms);
  achieved = (double) size / streaming_ms;
  ideal = (double) profile.k * profile.segment_size / rtt_ms;
  printf ("  R = %2u ms, k = %u, w = %u%-18s %8.1f kB/s of %8.1f kB/s ideal -> efficiency %.3f"
          "; master idle with window room: %llu ms\n",
          rtt_ms, profile.k, w, ack_when_drained ? ", ack when drained:" : ":", achieved, ideal,
          achieved / ideal, (unsigned long long) harness->master_idle_with_room_ms);
  harness_clear (harness);
  free (harness);
}

int
main (void)
{
  size_t size = 16 * 1024 * 1024;
  size_t window_size = 12 * 200 * 400; /* a whole number of windows */
  uint8_t *data = malloc (size);

  for (size_t i = 0; i < size; i++)
    data[i] = (uint8_t) (i * 2654435761u >> 13);
  bench_codec ();
  bench_throughput (data, size);
  printf ("\nwindow efficiency = achieved / (k x segment size / R), simulated clock:\n"
          "(w = 1: the terminal acknowledges every frame, so only the sender is measured;\n"
          " w = 8: the State Grid default, where the terminal's batched acks also limit;\n"
          " ack when drained: w = 8, and the terminal also acknowledges each batch it has read)\n");
  bench_window (data, window_size, 1, 1, false);
  bench_window (data, window_size, 20, 1, false);
  bench_window (data, window_size, 1, 8, false);
  bench_window (data, window_size, 20, 8, false);
  bench_window (data, window_size, 1, 8, true);
  bench_window (data, window_size, 20, 8, true);
  free (data);
  return 0;
}
