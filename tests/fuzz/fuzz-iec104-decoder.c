/* fuzz-iec104-decoder.c: libFuzzer target: reassembly, frame decoding and every ASDU decoder. */
#include <stdint.h>
#include <stdlib.h>

#include "iec104.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Runs every decoder on one ASDU; none may read outside it or crash, whatever it holds. */
static void
decode_asdu (const uint8_t *asdu, size_t len)
{
  static Iec104Point points[IEC104_MAX_OBJECTS];
  static Iec104Param params[IEC104_MAX_OBJECTS];
  static uint32_t ioas[IEC104_MAX_OBJECTS];
  static Iec104FileMessage message;
  Iec104AsduHeader header;
  Iec104Cp56Time time;
  Iec104SettingArea area;
  size_t n;
  uint32_t ioa;
  uint16_t sn;
  uint8_t byte;
  bool flag;
  char text[64];

  if (iec104_asdu_header_decode (asdu, len, &header))
    return;
  if (iec104_asdu_decode_points (asdu, len, points, &n) == IEC104_OK && n != header.count)
    abort ();
  iec104_asdu_decode_qualifier (asdu, len, &ioa, &byte);
  iec104_asdu_decode_clock (asdu, len, &time);
  iec104_asdu_decode_switch_area (asdu, len, &sn);
  iec104_asdu_decode_read_area (asdu, len, &flag, &area);
  iec104_asdu_decode_param_read (asdu, len, &sn, ioas, &n);
  if (iec104_asdu_decode_params (asdu, len, &sn, &byte, params, &n) == IEC104_OK)
    for (size_t i = 0; i < n; i++)
      {
        int64_t integer;
        double real;

        iec104_param_get_string (&params[i], text, sizeof text);
        iec104_param_get_int (&params[i], &integer);
        iec104_param_get_double (&params[i], &real);
      }
  if (iec104_asdu_decode_file (asdu, len, &message) == IEC104_OK)
    {
      if (message.data_len > 0
          && (message.data < asdu || message.data + message.data_len > asdu + len))
        abort ();
      iec104_checksum_sum8 (message.data, message.data_len);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Iec104Reassembler *reassembler = iec104_reassembler_new ();
  size_t offset = 0;
  Iec104Frame frame;

  /* The whole input as one APDU, then as a stream. */
  if (iec104_frame_decode (data, size, &frame) == IEC104_OK && frame.asdu)
    decode_asdu (frame.asdu, frame.asdu_len);
  decode_asdu (data, size);
  while (offset < size)
    {
      size_t consumed;
      bool ready;

      if (iec104_reassembler_push (reassembler, data + offset, size - offset, &consumed, &ready,
                                   &frame))
        iec104_reassembler_reset (reassembler);
      else if (ready && frame.asdu)
        decode_asdu (frame.asdu, frame.asdu_len);
      if (consumed == 0)
        abort ();
      offset += consumed;
    }
  iec104_reassembler_free (reassembler);
  return 0;
}
