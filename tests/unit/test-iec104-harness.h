/* test-iec104-harness.h: an in-memory master <-> outstation loop on a simulated clock, for tests
 * and the benchmark: a simulated terminal, random TCP chunking and delays, and a pcap writer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "iec104.h"

#define HARNESS_MAX_PARAMS 32
#define HARNESS_MAX_POINTS 64

/* The simulated terminal behind the outstation callbacks. */
typedef struct
{
  Iec104Param params[HARNESS_MAX_PARAMS];
  size_t n_params;
  Iec104Point points[HARNESS_MAX_POINTS];
  size_t n_points;
  Iec104Cp56Time clock;
  bool refuse_clock_set;          /* clock_set says no */
  Iec104DirEntry entries[40];
  size_t n_entries;
  const uint8_t *read_file;       /* served for any name except "missing" */
  size_t read_file_size;

  uint8_t *written;               /* the file being or last written */
  size_t written_size;
  char written_name[IEC104_FILE_NAME_MAX + 1];
  bool write_complete;
  long checksum_error_at_segment; /* -1: none; else fail this segment index with result 2 */
  uint32_t segments_received;
  const char *accepted_name_part; /* NULL: any name; else names must contain it (result 2) */
  bool check_file_bytes;          /* keep a copy of the written bytes (off in the benchmark) */

  bool upgrade_started;
  bool upgrade_finished;
  int resets;
  int executes;
  Iec104SettingArea area;
} HarnessTerminal;

void harness_terminal_init (HarnessTerminal *terminal);
void harness_terminal_clear (HarnessTerminal *terminal);
/* Callbacks wired to a HarnessTerminal (pass it as user_data). */
extern const Iec104OutstationCallbacks harness_terminal_callbacks;

/* One direction of the simulated TCP connection: chunks in flight, each with its arrival time. */
typedef struct
{
  uint8_t *data;
  size_t len;
  uint64_t arrival_ms;
} HarnessChunk;

typedef struct
{
  HarnessChunk *chunks;
  size_t head;
  size_t count;
  size_t capacity;
  uint32_t tcp_seq;               /* for the pcap */
} HarnessPipe;

typedef struct
{
  Iec104Master *master;
  Iec104Outstation *outstation;
  HarnessTerminal terminal;
  uint64_t now;
  uint64_t rng;
  bool connected;

  /* Network model: each write is cut into chunks of 1..max_chunk bytes (0: not cut), each
   * delayed by the direction's latency plus 0..jitter_ms, keeping TCP order. */
  size_t max_chunk;
  uint32_t latency_ms;            /* master -> outstation */
  uint32_t return_latency_ms;     /* outstation -> master */
  uint32_t jitter_ms;
  HarnessPipe to_outstation;
  HarnessPipe to_master;

  FILE *pcap;                     /* when set, every chunk is written as a TCP segment */
  Iec104Reassembler *master_tap;  /* reads the frames the master is fed, to count: */
  size_t sq_asdus_to_master;      /* I-frames whose ASDU has SQ = 1 */

  /* Collected master events (DONE events and counts of the others). */
  Iec104MasterEvent last_done;
  bool have_done;
  Iec104Param done_params[HARNESS_MAX_PARAMS];
  Iec104Point done_points[HARNESS_MAX_POINTS];
  Iec104DirEntry done_entries[40];
  uint8_t *read_back;             /* file read data collected from FILE_DATA events */
  size_t read_back_len;
  size_t progress_events;
  uint64_t first_progress_ms;     /* simulated time of the first FILE_PROGRESS event */
  uint64_t last_bytes_acked;
  uint64_t last_bytes_sent;
  uint64_t last_file_size;
  /* Simulated ms in which a file write had bytes left to send and room in the k window, yet the
   * master sent nothing: 0 for a master that never sits idle. */
  uint64_t master_idle_with_room_ms;
  size_t spontaneous_points;
  bool master_closed;
  Iec104Error master_close_reason;
  bool outstation_reset;
  bool outstation_closed;
} Harness;

/* seed drives chunking and delays; the profile sets both sides. Returns false when allocation
 * fails. */
bool harness_init (Harness *harness, const Iec104Profile *profile, uint64_t seed);
/* The same with a terminal set up differently from the tablet: its own profile and callbacks
 * (user_data is still harness->terminal). */
bool harness_init_terminal (Harness *harness, const Iec104Profile *master_profile,
                            const Iec104Profile *terminal_profile,
                            const Iec104OutstationCallbacks *callbacks, uint64_t seed);
void harness_clear (Harness *harness);
/* A TCP connection: both ends opened. */
void harness_connect (Harness *harness);
/* Drops the connection on both ends (like a terminal reboot). */
void harness_disconnect (Harness *harness);
/* Runs the discrete-event loop until the master reports a DONE event (true) or the simulated
 * time passes `limit_ms` from now or nothing is left to happen (false). */
bool harness_run_until_done (Harness *harness, uint64_t limit_ms);
/* Runs the loop until the simulated clock reaches now + ms (or the link closes). */
void harness_run_for (Harness *harness, uint64_t ms);

/* Writes a pcap global header to `file` (Ethernet, microsecond timestamps). */
void harness_pcap_begin (FILE *file);
