/* fuzz-iec104-link.c: libFuzzer target: the link state machine and the master and outstation
 * services fed arbitrary bytes, cut at an arbitrary point, with time advancing in between. */
#include <stdint.h>
#include <stdlib.h>

#include "test-iec104-harness.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const uint8_t upload[600] = { 1, 2, 3 };

static void
drain_master (Iec104Master *master)
{
  const uint8_t *out;
  Iec104MasterEvent event;

  iec104_master_consume_output (master, iec104_master_output (master, &out));
  while (iec104_master_poll_event (master, &event))
    ;
}

static void
drain_outstation (Iec104Outstation *outstation)
{
  const uint8_t *out;
  Iec104OutstationEvent event;

  iec104_outstation_consume_output (outstation, iec104_outstation_output (outstation, &out));
  while (iec104_outstation_poll_event (outstation, &event))
    ;
}

/* Input: byte 0 picks the role (bit 0) and the master request (bits 1-3); byte 1 where the
 * stream is cut; byte 2 how far time jumps between the parts; the rest is the TCP stream. */
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Iec104Profile profile;
  HarnessTerminal terminal;
  const uint8_t *stream = data + 3;
  size_t len, cut;
  uint64_t now = 1000;

  if (size < 3)
    return 0;
  len = size - 3;
  cut = len ? data[1] % (len + 1) : 0;
  iec104_profile_init_state_grid (&profile);

  if ((data[0] & 1) == 0)
    {
      Iec104Master *master = iec104_master_new (&profile);
      const uint32_t ioas[] = { 0x8001, 0x8005, 0x8009 };

      iec104_master_open (master, now);
      iec104_master_start_dt (master, now);
      iec104_master_feed (master, stream, cut, now);
      drain_master (master);
      switch ((data[0] >> 1) & 7)
        {
        case 0: iec104_master_interrogate (master, now); break;
        case 1: iec104_master_read_params (master, 0, ioas, 3, now); break;
        case 2: iec104_master_file_write (master, NULL, upload, sizeof upload, now); break;
        case 3: iec104_master_file_read (master, "soe.msg", now); break;
        case 4: iec104_master_file_directory (master, NULL, now); break;
        case 5: iec104_master_clock_read (master, now); break;
        case 6: iec104_master_upgrade_start (master, now); break;
        default: iec104_master_reset_process (master, IEC104_QRP_GENERAL_RESET, now); break;
        }
      now += (uint64_t) data[2] * 200;
      iec104_master_tick (master, now);
      iec104_master_feed (master, stream + cut, len - cut, now);
      drain_master (master);
      for (int i = 0; i < 4 && iec104_master_next_deadline (master) != IEC104_NO_DEADLINE; i++)
        {
          now = iec104_master_next_deadline (master);
          iec104_master_tick (master, now);
          drain_master (master);
        }
      iec104_master_free (master);
    }
  else
    {
      Iec104Outstation *outstation;

      harness_terminal_init (&terminal);
      /* Sizes come from the input: never allocate what an activation claims. */
      terminal.check_file_bytes = false;
      terminal.read_file = upload;
      terminal.read_file_size = sizeof upload;
      outstation = iec104_outstation_new (&profile, &harness_terminal_callbacks, &terminal);
      iec104_outstation_open (outstation, now);
      iec104_outstation_feed (outstation, stream, cut, now);
      drain_outstation (outstation);
      now += (uint64_t) data[2] * 200;
      iec104_outstation_feed (outstation, stream + cut, len - cut, now);
      drain_outstation (outstation);
      for (int i = 0; i < 4 && iec104_outstation_next_deadline (outstation) != IEC104_NO_DEADLINE;
           i++)
        {
          now = iec104_outstation_next_deadline (outstation);
          iec104_outstation_tick (outstation, now);
          drain_outstation (outstation);
        }
      iec104_outstation_free (outstation);
      harness_terminal_clear (&terminal);
    }
  return 0;
}
