/* test-iec104-codec.c: byte-exact encode/decode of every APCI frame, ASDU type and 210 op. */
#include <glib.h>
#include <string.h>

#include "iec104.h"

/* Parses "68 0E 00 .." (spaces optional) into bytes; "'text'" inserts ASCII. */
static GByteArray *
hex (const char *text)
{
  GByteArray *bytes = g_byte_array_new ();

  while (*text)
    {
      if (*text == ' ')
        text++;
      else if (*text == '\'')
        {
          const char *end = strchr (text + 1, '\'');
          g_assert_nonnull (end);
          g_byte_array_append (bytes, (const guint8 *) text + 1, (guint) (end - text - 1));
          text = end + 1;
        }
      else
        {
          guint8 byte = (guint8) (g_ascii_xdigit_value (text[0]) << 4
                                  | g_ascii_xdigit_value (text[1]));
          g_assert_true (g_ascii_isxdigit (text[0]) && g_ascii_isxdigit (text[1]));
          g_byte_array_append (bytes, &byte, 1);
          text += 2;
        }
    }
  return bytes;
}

static void
assert_bytes (const guint8 *actual, gsize actual_len, const char *expected_hex)
{
  g_autoptr (GByteArray) expected = hex (expected_hex);

  g_assert_cmpmem (actual, actual_len, expected->data, expected->len);
}

/* The ASDU part of an APDU given in hex (skips the 6 APCI bytes). */
static GByteArray *
asdu_of (const char *apdu_hex)
{
  GByteArray *bytes = hex (apdu_hex);

  g_byte_array_remove_range (bytes, 0, IEC104_APCI_SIZE);
  return bytes;
}

static void
test_apci_u_frames (void)
{
  static const struct { Iec104UFunction function; const char *bytes; } cases[] = {
    { IEC104_U_STARTDT_ACT, "68 04 07 00 00 00" }, { IEC104_U_STARTDT_CON, "68 04 0B 00 00 00" },
    { IEC104_U_STOPDT_ACT, "68 04 13 00 00 00" }, { IEC104_U_STOPDT_CON, "68 04 23 00 00 00" },
    { IEC104_U_TESTFR_ACT, "68 04 43 00 00 00" }, { IEC104_U_TESTFR_CON, "68 04 83 00 00 00" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint8 out[IEC104_APDU_MAX];
      Iec104Frame frame;
      gsize len = iec104_frame_encode_u (out, cases[i].function);

      assert_bytes (out, len, cases[i].bytes);
      g_assert_cmpint (iec104_frame_decode (out, len, &frame), ==, IEC104_OK);
      g_assert_cmpint (frame.format, ==, IEC104_FRAME_U);
      g_assert_cmpint (frame.u_function, ==, cases[i].function);
    }
}

static void
test_apci_i_s_frames (void)
{
  guint8 out[IEC104_APDU_MAX];
  const guint8 asdu[] = { 0x64, 0x01, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x14 };
  Iec104Frame frame;
  gsize len;

  len = iec104_frame_encode_s (out, 300);
  assert_bytes (out, len, "68 04 01 00 58 02");
  g_assert_cmpint (iec104_frame_decode (out, len, &frame), ==, IEC104_OK);
  g_assert_cmpint (frame.format, ==, IEC104_FRAME_S);
  g_assert_cmpuint (frame.recv_seq, ==, 300);

  /* The highest 15-bit numbers: N(S) 32767, N(R) 16384. */
  len = iec104_frame_encode_i (out, 32767, 16384, asdu, sizeof asdu);
  assert_bytes (out, len, "68 0E FE FF 00 80 64 01 06 00 01 00 00 00 00 14");
  g_assert_cmpint (iec104_frame_decode (out, len, &frame), ==, IEC104_OK);
  g_assert_cmpint (frame.format, ==, IEC104_FRAME_I);
  g_assert_cmpuint (frame.send_seq, ==, 32767);
  g_assert_cmpuint (frame.recv_seq, ==, 16384);
  g_assert_cmpmem (frame.asdu, frame.asdu_len, asdu, sizeof asdu);

  g_assert_cmpuint (iec104_seq_add (32767, 1), ==, 0);
  g_assert_cmpuint (iec104_seq_distance (32760, 5), ==, 13);
  g_assert_cmpuint (iec104_frame_encode_i (out, 0, 0, asdu, 0), ==, 0);
  g_assert_cmpuint (iec104_frame_encode_i (out, 0, 0, out, IEC104_ASDU_MAX + 1), ==, 0);
}

static void
test_apci_malformed (void)
{
  static const struct { const char *bytes; Iec104Error error; } cases[] = {
    { "69 04 07 00 00 00", IEC104_ERROR_BAD_START_BYTE },
    { "68 03 07 00 00", IEC104_ERROR_BAD_LENGTH },
    { "68 05 07 00 00 00", IEC104_ERROR_TRUNCATED },
    { "68 04 07 00 00", IEC104_ERROR_TRUNCATED },
    { "68 05 07 00 00 00 01", IEC104_ERROR_BAD_LENGTH },   /* U frame with payload */
    { "68 05 01 00 00 00 01", IEC104_ERROR_BAD_LENGTH },   /* S frame with payload */
    { "68 04 00 00 00 00", IEC104_ERROR_BAD_LENGTH },      /* I frame without ASDU */
    { "68 04 0F 00 00 00", IEC104_ERROR_BAD_CONTROL_FIELD }, /* two U functions at once */
    { "68 04 07 00 01 00", IEC104_ERROR_BAD_CONTROL_FIELD },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GByteArray) bytes = hex (cases[i].bytes);
      Iec104Frame frame;

      g_assert_cmpint (iec104_frame_decode (bytes->data, bytes->len, &frame), ==,
                       cases[i].error);
    }
}

static void
test_reassembler_chunks (void)
{
  /* Three frames glued together, fed one byte at a time and then all at once. */
  g_autoptr (GByteArray) stream = hex ("68 04 07 00 00 00 68 0E 00 00 00 00 64 01 06 00 01 00 "
                                       "00 00 00 14 68 04 01 00 02 00");
  Iec104Reassembler *reassembler = iec104_reassembler_new ();
  Iec104FrameFormat expected[] = { IEC104_FRAME_U, IEC104_FRAME_I, IEC104_FRAME_S };
  gsize frames = 0;

  for (gsize i = 0; i < stream->len; i++)
    {
      gsize consumed;
      gboolean ready_flag;
      bool ready;
      Iec104Frame frame;

      g_assert_cmpint (iec104_reassembler_push (reassembler, stream->data + i, 1, &consumed,
                                                &ready, &frame), ==, IEC104_OK);
      g_assert_cmpuint (consumed, ==, 1);
      ready_flag = ready;
      if (ready_flag)
        g_assert_cmpint (frame.format, ==, expected[frames++]);
    }
  g_assert_cmpuint (frames, ==, 3);

  frames = 0;
  for (gsize offset = 0; offset < stream->len;)
    {
      gsize consumed;
      bool ready;
      Iec104Frame frame;

      g_assert_cmpint (iec104_reassembler_push (reassembler, stream->data + offset,
                                                stream->len - offset, &consumed, &ready, &frame),
                       ==, IEC104_OK);
      g_assert_true (ready);
      g_assert_cmpint (frame.format, ==, expected[frames++]);
      offset += consumed;
    }
  g_assert_cmpuint (frames, ==, 3);

  /* A bad length byte is an error at once, not a wait for 255 bytes. */
  {
    const guint8 bad[] = { 0x68, 0xFE };
    gsize consumed;
    bool ready;
    Iec104Frame frame;

    g_assert_cmpint (iec104_reassembler_push (reassembler, bad, 2, &consumed, &ready, &frame), ==,
                     IEC104_ERROR_BAD_LENGTH);
  }
  iec104_reassembler_free (reassembler);
}

static void
test_asdu_interrogation_example (void)
{
  Iec104Asdu asdu;
  uint32_t ioa;
  uint8_t qoi;
  g_autoptr (GByteArray) expected = asdu_of ("68 0E 00 00 00 00 64 01 06 00 01 00 00 00 00 14");

  g_assert_cmpint (iec104_asdu_encode_qualifier (&asdu, IEC104_TI_C_IC_NA_1, 1,
                                                 IEC104_COT_ACTIVATION, false,
                                                 IEC104_QOI_STATION), ==, IEC104_OK);
  g_assert_cmpmem (asdu.bytes, asdu.len, expected->data, expected->len);
  g_assert_cmpint (iec104_asdu_decode_qualifier (expected->data, expected->len, &ioa, &qoi), ==,
                   IEC104_OK);
  g_assert_cmpuint (ioa, ==, 0);
  g_assert_cmpuint (qoi, ==, 20);
}

static void
test_asdu_float_sq1_example (void)
{
  g_autoptr (GByteArray) expected = asdu_of ("68 17 00 00 02 00 0D 82 14 00 01 00 01 40 00 00 80 "
                                             "5C 43 00 00 00 24 41 00");
  Iec104Point points[IEC104_MAX_OBJECTS];
  Iec104Asdu asdu;
  size_t n;

  g_assert_cmpint (iec104_asdu_decode_points (expected->data, expected->len, points, &n), ==,
                   IEC104_OK);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (points[0].ioa, ==, 0x4001);
  g_assert_cmpuint (points[1].ioa, ==, 0x4002);
  g_assert_cmpfloat (points[0].value, ==, 220.5f);
  g_assert_cmpfloat (points[1].value, ==, 10.25f);
  g_assert_cmpint (iec104_asdu_encode_points (&asdu, 1, IEC104_COT_INTERROGATED_BY_STATION,
                                              IEC104_TI_M_ME_NC_1, true, points, 2, &n), ==,
                   IEC104_OK);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpmem (asdu.bytes, asdu.len, expected->data, expected->len);
}

static const Iec104Cp56Time example_time = {
  .milliseconds = 0x1234, .minute = 5, .hour = 21, .day = 21, .weekday = 6, .month = 11,
  .year = 26,
};
#define EXAMPLE_TIME_HEX "34 12 05 15 D5 0B 1A"

static void
test_asdu_every_point_type (void)
{
  static const struct { uint8_t type; bool sq; const char *bytes; } cases[] = {
    { 1, false, "01 02 14 00 01 00 01 00 00 01 02 00 00 80" },
    { 1, true, "01 82 14 00 01 00 01 00 00 01 80" },
    { 3, false, "03 02 03 00 01 00 10 00 00 02 11 00 00 11" },
    { 3, true, "03 82 03 00 01 00 10 00 00 02 11" },
    { 9, false, "09 02 14 00 01 00 05 40 00 00 40 00 06 40 00 00 C0 10" },
    { 9, true, "09 82 14 00 01 00 05 40 00 00 40 00 00 C0 10" },
    { 11, false, "0B 02 01 00 01 00 05 40 00 2E FB 00 06 40 00 E8 03 01" },
    { 11, true, "0B 82 01 00 01 00 05 40 00 2E FB 00 E8 03 01" },
    { 13, false, "0D 02 03 00 01 00 01 40 00 00 80 5C 43 00 02 40 00 00 00 24 41 80" },
    { 13, true, "0D 82 03 00 01 00 01 40 00 00 80 5C 43 00 00 00 24 41 80" },
    { 30, false, "1E 02 03 00 01 00 01 00 00 01 " EXAMPLE_TIME_HEX " 02 00 00 80 "
      EXAMPLE_TIME_HEX },
    { 30, true, "1E 82 03 00 01 00 01 00 00 01 " EXAMPLE_TIME_HEX " 80 " EXAMPLE_TIME_HEX },
    { 31, false, "1F 02 03 00 01 00 10 00 00 02 " EXAMPLE_TIME_HEX " 11 00 00 11 "
      EXAMPLE_TIME_HEX },
    { 31, true, "1F 82 03 00 01 00 10 00 00 02 " EXAMPLE_TIME_HEX " 11 " EXAMPLE_TIME_HEX },
    { 36, false, "24 02 03 00 01 00 01 40 00 00 80 5C 43 00 " EXAMPLE_TIME_HEX
      " 02 40 00 00 00 24 41 80 " EXAMPLE_TIME_HEX },
    { 36, true, "24 82 03 00 01 00 01 40 00 00 80 5C 43 00 " EXAMPLE_TIME_HEX
      " 00 00 24 41 80 " EXAMPLE_TIME_HEX },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GByteArray) expected = hex (cases[i].bytes);
      Iec104Point points[2];
      Iec104Point decoded[IEC104_MAX_OBJECTS];
      uint32_t base = expected->data[6] | expected->data[7] << 8;
      uint8_t cot = expected->data[2];
      Iec104Asdu asdu;
      size_t n;

      switch (cases[i].type)
        {
        case 1: case 30:
          iec104_point_init_single (&points[0], base, true, 0);
          iec104_point_init_single (&points[1], base + 1, false, IEC104_QUALITY_INVALID);
          break;
        case 3: case 31:
          iec104_point_init_double (&points[0], base, IEC104_DPI_ON, 0);
          iec104_point_init_double (&points[1], base + 1, IEC104_DPI_OFF,
                                    IEC104_QUALITY_BLOCKED);
          break;
        case 9:
          iec104_point_init_normalized (&points[0], base, 16384, 0);
          iec104_point_init_normalized (&points[1], base + 1, -16384, IEC104_QUALITY_BLOCKED);
          break;
        case 11:
          iec104_point_init_scaled (&points[0], base, -1234, 0);
          iec104_point_init_scaled (&points[1], base + 1, 1000, IEC104_QUALITY_OVERFLOW);
          break;
        default:
          iec104_point_init_float (&points[0], base, 220.5f, 0);
          iec104_point_init_float (&points[1], base + 1, 10.25f, IEC104_QUALITY_INVALID);
          break;
        }
      if (cases[i].type >= 30)
        {
          iec104_point_set_time (&points[0], &example_time);
          iec104_point_set_time (&points[1], &example_time);
        }
      g_assert_cmpuint (points[0].type_id, ==, cases[i].type);
      g_assert_cmpint (iec104_asdu_encode_points (&asdu, 1, cot, cases[i].type, cases[i].sq,
                                                  points, 2, &n), ==, IEC104_OK);
      g_assert_cmpuint (n, ==, 2);
      g_assert_cmpmem (asdu.bytes, asdu.len, expected->data, expected->len);

      g_assert_cmpint (iec104_asdu_decode_points (expected->data, expected->len, decoded, &n), ==,
                       IEC104_OK);
      g_assert_cmpuint (n, ==, 2);
      for (gsize j = 0; j < 2; j++)
        {
          g_assert_cmpuint (decoded[j].ioa, ==, points[j].ioa);
          g_assert_cmpint (decoded[j].raw, ==, points[j].raw);
          g_assert_cmpfloat (decoded[j].value, ==, points[j].value);
          g_assert_cmpuint (decoded[j].quality, ==, points[j].quality);
          g_assert_cmpint (decoded[j].has_time, ==, points[j].has_time);
          if (decoded[j].has_time)
            g_assert_cmpmem (&decoded[j].time, sizeof (Iec104Cp56Time), &example_time,
                             sizeof example_time);
        }

      /* Any truncation or extra byte is malformed. */
      g_assert_cmpint (iec104_asdu_decode_points (expected->data, expected->len - 1, decoded, &n),
                       ==, IEC104_ERROR_MALFORMED_ASDU);
      g_byte_array_append (expected, (const guint8 *) "", 1);
      g_assert_cmpint (iec104_asdu_decode_points (expected->data, expected->len, decoded, &n), ==,
                       IEC104_ERROR_MALFORMED_ASDU);
    }
}

static void
test_asdu_points_split (void)
{
  Iec104Point points[100];
  Iec104Asdu asdu;
  size_t n;

  for (gsize i = 0; i < G_N_ELEMENTS (points); i++)
    iec104_point_init_float (&points[i], 0x4001 + (uint32_t) i, (float) i, 0);
  /* SQ=0 floats take 8 bytes: (249 - 6) / 8 = 30 per ASDU. */
  g_assert_cmpint (iec104_asdu_encode_points (&asdu, 1, 20, 13, false, points, 100, &n), ==,
                   IEC104_OK);
  g_assert_cmpuint (n, ==, 30);
  g_assert_cmpuint (asdu.len, ==, 6 + 30 * 8);
  /* SQ=1 needs consecutive IOAs. */
  points[1].ioa = 0x5000;
  g_assert_cmpint (iec104_asdu_encode_points (&asdu, 1, 20, 13, true, points, 3, &n), ==,
                   IEC104_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (iec104_asdu_encode_points (&asdu, 1, 20, 9, false, points, 3, &n), ==,
                   IEC104_ERROR_INVALID_ARGUMENT);
}

static void
test_asdu_clock_reset_upgrade (void)
{
  Iec104Asdu asdu;
  Iec104Cp56Time time;
  uint32_t ioa;
  uint8_t qualifier;
  g_autoptr (GByteArray) reset = asdu_of ("68 0E 00 00 00 00 69 01 06 00 01 00 00 00 00 01");
  g_autoptr (GByteArray) start = asdu_of ("68 0E 00 00 00 00 D3 01 06 00 01 00 00 00 00 80");
  g_autoptr (GByteArray) finish = asdu_of ("68 0E 00 00 00 00 D3 01 06 00 01 00 00 00 00 00");
  g_autoptr (GByteArray) cancel_con = hex ("D3 01 09 00 01 00 00 00 00 00");
  g_autoptr (GByteArray) negative = hex ("D3 01 6F 00 01 00 00 00 00 80");
  g_autoptr (GByteArray) clock = hex ("67 01 06 00 01 00 00 00 00 " EXAMPLE_TIME_HEX);

  g_assert_cmpint (iec104_asdu_encode_qualifier (&asdu, IEC104_TI_C_RP_NA_1, 1, 6, false,
                                                 IEC104_QRP_GENERAL_RESET), ==, IEC104_OK);
  g_assert_cmpmem (asdu.bytes, asdu.len, reset->data, reset->len);
  g_assert_cmpint (iec104_asdu_encode_qualifier (&asdu, IEC104_TI_UPGRADE_211, 1, 6, false,
                                                 IEC104_UPGRADE_START), ==, IEC104_OK);
  g_assert_cmpmem (asdu.bytes, asdu.len, start->data, start->len);
  g_assert_cmpint (iec104_asdu_encode_qualifier (&asdu, IEC104_TI_UPGRADE_211, 1, 6, false,
                                                 IEC104_UPGRADE_FINISH), ==, IEC104_OK);
  g_assert_cmpmem (asdu.bytes, asdu.len, finish->data, finish->len);
  g_assert_cmpint (iec104_asdu_encode_qualifier (&asdu, IEC104_TI_UPGRADE_211, 1, 9, false, 0), ==,
                   IEC104_OK);
  g_assert_cmpmem (asdu.bytes, asdu.len, cancel_con->data, cancel_con->len);
  /* COT 47 with P/N: 0x2F | 0x40. */
  g_assert_cmpint (iec104_asdu_encode_qualifier (&asdu, IEC104_TI_UPGRADE_211, 1, 47, true, 0x80),
                   ==, IEC104_OK);
  g_assert_cmpmem (asdu.bytes, asdu.len, negative->data, negative->len);
  g_assert_cmpint (iec104_asdu_decode_qualifier (negative->data, negative->len, &ioa, &qualifier),
                   ==, IEC104_OK);
  g_assert_cmpuint (qualifier, ==, 0x80);

  g_assert_cmpint (iec104_asdu_encode_qualifier (&asdu, IEC104_TI_M_EI_NA_1, 1,
                                                 IEC104_COT_INITIALISED, false, 0), ==, IEC104_OK);
  assert_bytes (asdu.bytes, asdu.len, "46 01 04 00 01 00 00 00 00 00");
  g_assert_cmpint (iec104_asdu_encode_qualifier (&asdu, IEC104_TI_C_CS_NA_1, 1, 6, false, 0), ==,
                   IEC104_ERROR_INVALID_ARGUMENT);

  g_assert_cmpint (iec104_asdu_encode_clock (&asdu, 1, 6, false, &example_time), ==, IEC104_OK);
  g_assert_cmpmem (asdu.bytes, asdu.len, clock->data, clock->len);
  g_assert_cmpint (iec104_asdu_decode_clock (clock->data, clock->len, &time), ==, IEC104_OK);
  g_assert_cmpmem (&time, sizeof time, &example_time, sizeof example_time);
  g_assert_cmpint (iec104_asdu_decode_clock (clock->data, clock->len - 1, &time), ==,
                   IEC104_ERROR_MALFORMED_ASDU);
}

static void
test_asdu_setting_area (void)
{
  Iec104Asdu asdu;
  Iec104SettingArea area = { 1, 0, 3 };
  Iec104SettingArea decoded;
  bool has_area;
  uint16_t sn;

  g_assert_cmpint (iec104_asdu_encode_switch_area (&asdu, 1, 6, false, 2), ==, IEC104_OK);
  assert_bytes (asdu.bytes, asdu.len, "C8 01 06 00 01 00 00 00 00 02 00");
  g_assert_cmpint (iec104_asdu_decode_switch_area (asdu.bytes, asdu.len, &sn), ==, IEC104_OK);
  g_assert_cmpuint (sn, ==, 2);
  g_assert_cmpint (iec104_asdu_encode_read_area (&asdu, 1, 6, false, NULL), ==, IEC104_OK);
  assert_bytes (asdu.bytes, asdu.len, "C9 01 06 00 01 00 00 00 00");
  g_assert_cmpint (iec104_asdu_decode_read_area (asdu.bytes, asdu.len, &has_area, &decoded), ==,
                   IEC104_OK);
  g_assert_false (has_area);
  g_assert_cmpint (iec104_asdu_encode_read_area (&asdu, 1, 7, false, &area), ==, IEC104_OK);
  assert_bytes (asdu.bytes, asdu.len, "C9 01 07 00 01 00 00 00 00 01 00 00 00 03 00");
  g_assert_cmpint (iec104_asdu_decode_read_area (asdu.bytes, asdu.len, &has_area, &decoded), ==,
                   IEC104_OK);
  g_assert_true (has_area);
  g_assert_cmpuint (decoded.maximum, ==, 3);
}

static void
test_params_read_example (void)
{
  g_autoptr (GByteArray) request = asdu_of ("68 12 04 00 00 00 CA 02 06 00 01 00 00 00 05 80 00 "
                                            "09 80 00");
  g_autoptr (GByteArray) reply = asdu_of ("68 23 00 00 06 00 CA 02 07 00 01 00 00 00 00 05 80 00 "
                                          "04 05 'V2.01' 09 80 00 04 07 'DTU0001'");
  const uint32_t ioas[] = { 0x8005, 0x8009 };
  uint32_t decoded_ioas[IEC104_MAX_OBJECTS];
  Iec104Param params[IEC104_MAX_OBJECTS];
  Iec104Asdu asdu;
  char text[64];
  size_t n;
  uint16_t sn;
  uint8_t pi;

  g_assert_cmpint (iec104_asdu_encode_param_read (&asdu, 1, 0, ioas, 2), ==, IEC104_OK);
  g_assert_cmpmem (asdu.bytes, asdu.len, request->data, request->len);
  g_assert_cmpint (iec104_asdu_decode_param_read (request->data, request->len, &sn, decoded_ioas,
                                                  &n), ==, IEC104_OK);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (decoded_ioas[1], ==, 0x8009);

  g_assert_cmpint (iec104_asdu_decode_params (reply->data, reply->len, &sn, &pi, params, &n), ==,
                   IEC104_OK);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (pi, ==, 0);
  g_assert_cmpuint (params[0].ioa, ==, 0x8005);
  iec104_param_get_string (&params[0], text, sizeof text);
  g_assert_cmpstr (text, ==, "V2.01");
  iec104_param_get_string (&params[1], text, sizeof text);
  g_assert_cmpstr (text, ==, "DTU0001");
  g_assert_cmpint (iec104_asdu_encode_params (&asdu, IEC104_TI_C_RS_NA_1, 1, 7, false, 0, 0,
                                              params, 2, &n), ==, IEC104_OK);
  g_assert_cmpmem (asdu.bytes, asdu.len, reply->data, reply->len);

  /* "Read all": VSQ 0, SN only. */
  g_assert_cmpint (iec104_asdu_encode_param_read (&asdu, 1, 0, NULL, 0), ==, IEC104_OK);
  assert_bytes (asdu.bytes, asdu.len, "CA 00 06 00 01 00 00 00");
  /* A value length running past the end is malformed. */
  reply->data[13] = 0x20;
  g_assert_cmpint (iec104_asdu_decode_params (reply->data, reply->len, &sn, &pi, params, &n), ==,
                   IEC104_ERROR_MALFORMED_ASDU);
}

static void
test_params_write_forms (void)
{
  Iec104Param params[2];
  Iec104Param decoded[IEC104_MAX_OBJECTS];
  Iec104Asdu asdu;
  size_t n;
  uint16_t sn;
  uint8_t pi;

  g_assert_cmpint (iec104_param_set_float (&params[0], 0x8020, IEC104_TAG_FLOAT32, 10.5), ==,
                   IEC104_OK);
  g_assert_cmpint (iec104_param_set_uint (&params[1], 0x8021, IEC104_TAG_UINT16, 600), ==,
                   IEC104_OK);
  g_assert_cmpint (iec104_asdu_encode_params (&asdu, IEC104_TI_C_WS_NA_1, 1, 6, false, 0,
                                              IEC104_PI_SE, params, 2, &n), ==, IEC104_OK);
  assert_bytes (asdu.bytes, asdu.len,
                "CB 02 06 00 01 00 00 00 80 20 80 00 26 04 00 00 28 41 21 80 00 2D 02 58 02");
  g_assert_cmpint (iec104_asdu_decode_params (asdu.bytes, asdu.len, &sn, &pi, decoded, &n), ==,
                   IEC104_OK);
  g_assert_cmpuint (pi, ==, IEC104_PI_SE);
  g_assert_cmpuint (n, ==, 2);
  /* Execute (solidify) and cancel carry no items. */
  g_assert_cmpint (iec104_asdu_encode_params (&asdu, IEC104_TI_C_WS_NA_1, 1, 6, false, 0, 0, NULL,
                                              0, &n), ==, IEC104_OK);
  assert_bytes (asdu.bytes, asdu.len, "CB 00 06 00 01 00 00 00 00");
  g_assert_cmpint (iec104_asdu_encode_params (&asdu, IEC104_TI_C_WS_NA_1, 1, 8, false, 0,
                                              IEC104_PI_CR, NULL, 0, &n), ==, IEC104_OK);
  assert_bytes (asdu.bytes, asdu.len, "CB 00 08 00 01 00 00 00 40");
}

static void
test_params_every_tag (void)
{
  Iec104Param param;
  int64_t i;
  uint64_t u;
  double d;
  char text[8];

  static const struct { uint8_t tag; int64_t value; const char *bytes; } ints[] = {
    { IEC104_TAG_BOOL, 1, "01" }, { IEC104_TAG_INT8, -2, "FE" }, { IEC104_TAG_UINT8, 200, "C8" },
    { IEC104_TAG_INT16, -300, "D4 FE" }, { IEC104_TAG_UINT16, 600, "58 02" },
    { IEC104_TAG_INT32, -70000, "90 EE FE FF" }, { IEC104_TAG_UINT32, 70000, "70 11 01 00" },
    { IEC104_TAG_INT64, -5, "FB FF FF FF FF FF FF FF" },
    { IEC104_TAG_UINT64, 5, "05 00 00 00 00 00 00 00" },
  };

  for (gsize k = 0; k < G_N_ELEMENTS (ints); k++)
    {
      g_assert_cmpint (iec104_param_set_int (&param, 0x8100, ints[k].tag, ints[k].value), ==,
                       IEC104_OK);
      assert_bytes (param.data, param.len, ints[k].bytes);
      g_assert_cmpint (iec104_param_get_int (&param, &i), ==, IEC104_OK);
      g_assert_cmpint (i, ==, ints[k].value);
      g_assert_cmpint (iec104_param_get_double (&param, &d), ==, IEC104_OK);
      g_assert_cmpfloat (d, ==, (double) ints[k].value);
    }
  g_assert_cmpint (iec104_param_set_int (&param, 1, IEC104_TAG_INT8, 300), ==,
                   IEC104_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (iec104_param_set_int (&param, 1, IEC104_TAG_UINT16, -1), ==,
                   IEC104_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (iec104_param_set_uint (&param, 1, IEC104_TAG_UINT64, UINT64_MAX), ==,
                   IEC104_OK);
  g_assert_cmpint (iec104_param_get_uint (&param, &u), ==, IEC104_OK);
  g_assert_cmpuint (u, ==, UINT64_MAX);
  g_assert_cmpint (iec104_param_get_int (&param, &i), ==, IEC104_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (iec104_param_set_float (&param, 1, IEC104_TAG_FLOAT64, 0.1), ==, IEC104_OK);
  assert_bytes (param.data, param.len, "9A 99 99 99 99 99 B9 3F");
  g_assert_cmpint (iec104_param_get_double (&param, &d), ==, IEC104_OK);
  g_assert_cmpfloat (d, ==, 0.1);
  g_assert_cmpint (iec104_param_set_float (&param, 1, IEC104_TAG_INT32, 0.1), ==,
                   IEC104_ERROR_INVALID_ARGUMENT);
  /* Strings are trimmed of the zero padding terminals send, and truncated to the buffer. */
  g_assert_cmpint (iec104_param_set_bytes (&param, 1, IEC104_TAG_STRING,
                                           (const uint8_t *) "V2.01 \0\0\0", 9), ==, IEC104_OK);
  g_assert_cmpuint (iec104_param_get_string (&param, text, sizeof text), ==, 5);
  g_assert_cmpstr (text, ==, "V2.01");
  g_assert_cmpuint (iec104_param_get_string (&param, text, 3), ==, 2);
  g_assert_cmpint (iec104_param_get_int (&param, &i), ==, IEC104_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (iec104_tag_size (99), ==, -1);
  g_assert_cmpstr (iec104_tag_name (IEC104_TAG_FLOAT32), ==, "float32");
}

static void
assert_file_roundtrip (const Iec104FileMessage *message, uint8_t cot, const char *expected_hex)
{
  Iec104Asdu asdu;
  Iec104FileMessage *decoded = g_new0 (Iec104FileMessage, 1);

  g_assert_cmpint (iec104_asdu_encode_file (&asdu, 1, cot, message), ==, IEC104_OK);
  assert_bytes (asdu.bytes, asdu.len, expected_hex);
  g_assert_cmpint (iec104_asdu_decode_file (asdu.bytes, asdu.len, decoded), ==, IEC104_OK);
  g_assert_cmpint (decoded->op, ==, message->op);
  g_assert_cmpstr (decoded->name, ==, message->name);
  g_assert_cmpuint (decoded->file_id, ==, message->file_id);
  g_assert_cmpuint (decoded->file_size, ==, message->file_size);
  g_assert_cmpuint (decoded->segment, ==, message->segment);
  g_assert_cmpuint (decoded->result, ==, message->result);
  g_assert_cmpint (decoded->follow, ==, message->follow);
  g_assert_cmpmem (decoded->data, decoded->data_len, message->data, message->data_len);
  g_assert_cmpuint (decoded->n_entries, ==, message->n_entries);
  if (message->op == IEC104_FILE_OP_READ_DATA || message->op == IEC104_FILE_OP_WRITE_DATA)
    {
      /* The data length is implicit: a lost byte shows as a checksum mismatch. */
      g_assert_cmpint (iec104_asdu_decode_file (asdu.bytes, asdu.len - 1, decoded), ==, IEC104_OK);
      g_assert_cmpuint (iec104_checksum_sum8 (decoded->data, decoded->data_len), !=,
                        decoded->checksum);
    }
  else
    g_assert_cmpint (iec104_asdu_decode_file (asdu.bytes, asdu.len - 1, decoded), ==,
                     IEC104_ERROR_MALFORMED_ASDU);
  g_free (decoded);
}

static void
test_file_examples (void)
{
  g_autofree Iec104FileMessage *message = g_new0 (Iec104FileMessage, 1);
  guint8 data[200];
  guint sum = 0;
  g_autofree char *op9 = NULL;
  GString *op9_hex = g_string_new ("D2 01 05 00 01 00 00 00 00 02 09 01 00 00 00 00 00 00 00 01");

  /* OP7 from the profile's write example. */
  message->op = IEC104_FILE_OP_WRITE_ACT;
  message->pkt = IEC104_FILE_PKT_TRANSFER;
  strcpy (message->name, "UpdateProgram.bin");
  message->file_id = 1;
  message->file_size = 1000;
  {
    g_autoptr (GByteArray) apdu = asdu_of ("68 29 08 00 00 00 D2 01 06 00 01 00 00 00 00 02 07 11 "
                                           "'UpdateProgram.bin' 01 00 00 00 E8 03 00 00");
    Iec104Asdu asdu;
    g_assert_cmpint (iec104_asdu_encode_file (&asdu, 1, 6, message), ==, IEC104_OK);
    g_assert_cmpmem (asdu.bytes, asdu.len, apdu->data, apdu->len);
  }
  assert_file_roundtrip (message, 6, "D2 01 06 00 01 00 00 00 00 02 07 11 'UpdateProgram.bin' "
                                     "01 00 00 00 E8 03 00 00");

  /* OP9: 200 data bytes, then their sum-8; L = 0xE1 in the APDU. */
  for (gsize i = 0; i < sizeof data; i++)
    {
      data[i] = (guint8) (i * 7);
      sum += data[i];
      g_string_append_printf (op9_hex, " %02X", data[i]);
    }
  g_string_append_printf (op9_hex, " %02X", sum & 0xFF);
  op9 = g_string_free (op9_hex, FALSE);
  memset (message, 0, sizeof *message);
  message->op = IEC104_FILE_OP_WRITE_DATA;
  message->pkt = 2;
  message->file_id = 1;
  message->follow = true;
  message->data = data;
  message->data_len = sizeof data;
  assert_file_roundtrip (message, 5, op9);
  g_assert_cmpuint (6 + 4 + strlen (op9) / 3 + 1, ==, 6 + 0xE1);
  g_assert_cmpuint (iec104_checksum_sum8 (data, sizeof data), ==, sum & 0xFF);
  message->data_len = IEC104_SEGMENT_SIZE_MAX + 1;
  {
    Iec104Asdu asdu;
    guint8 big[IEC104_SEGMENT_SIZE_MAX + 1] = { 0 };
    message->data = big;
    g_assert_cmpint (iec104_asdu_encode_file (&asdu, 1, 5, message), ==, IEC104_ERROR_TOO_LONG);
    message->data_len = IEC104_SEGMENT_SIZE_MAX;
    g_assert_cmpint (iec104_asdu_encode_file (&asdu, 1, 5, message), ==, IEC104_OK);
    g_assert_cmpuint (asdu.len, ==, IEC104_ASDU_MAX);
  }

  /* OP1 directory call of HISTORY/SOE. */
  memset (message, 0, sizeof *message);
  message->op = IEC104_FILE_OP_DIR_CALL;
  message->pkt = 2;
  strcpy (message->name, "HISTORY/SOE");
  assert_file_roundtrip (message, 5, "D2 01 05 00 01 00 00 00 00 02 01 00 00 00 00 0B "
                                     "'HISTORY/SOE' 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");

  /* OP3 read activation of soe.msg. */
  memset (message, 0, sizeof *message);
  message->op = IEC104_FILE_OP_READ_ACT;
  message->pkt = 2;
  strcpy (message->name, "soe.msg");
  assert_file_roundtrip (message, 6, "D2 01 06 00 01 00 00 00 00 02 03 07 'soe.msg'");

  /* OP6 read data confirm: file 0x41, last segment at offset 400. */
  memset (message, 0, sizeof *message);
  message->op = IEC104_FILE_OP_READ_DATA_CON;
  message->pkt = 2;
  message->file_id = 0x41;
  message->segment = 400;
  assert_file_roundtrip (message, 5, "D2 01 05 00 01 00 00 00 00 02 06 41 00 00 00 90 01 00 00 00");
}

static void
test_file_other_ops (void)
{
  g_autofree Iec104FileMessage *message = g_new0 (Iec104FileMessage, 1);
  const guint8 data[] = { 0xFF, 0x02 };

  message->pkt = 2;
  message->op = IEC104_FILE_OP_DIR_CONFIRM;
  message->dir_id = 7;
  message->follow = true;
  message->n_entries = 2;
  strcpy (message->entries[0].name, "a");
  message->entries[0].size = 256;
  message->entries[0].attributes = 2;
  message->entries[0].time = example_time;
  strcpy (message->entries[1].name, "bc");
  assert_file_roundtrip (message, 5, "D2 01 05 00 01 00 00 00 00 02 02 00 07 00 00 00 01 02 "
                                     "01 'a' 02 00 01 00 00 " EXAMPLE_TIME_HEX
                                     " 02 'bc' 00 00 00 00 00 00 00 00 00 00 00 00");

  memset (message, 0, sizeof *message);
  message->pkt = 2;
  message->op = IEC104_FILE_OP_READ_ACT_CON;
  message->result = 0;
  strcpy (message->name, "soe.msg");
  message->file_id = 0x41;
  message->file_size = 600;
  assert_file_roundtrip (message, 7, "D2 01 07 00 01 00 00 00 00 02 04 00 07 'soe.msg' "
                                     "41 00 00 00 58 02 00 00");

  message->op = IEC104_FILE_OP_WRITE_ACT_CON;
  message->result = IEC104_WRITE_ACT_NAME_NOT_SUPPORTED;
  assert_file_roundtrip (message, 7, "D2 01 07 00 01 00 00 00 00 02 08 02 07 'soe.msg' "
                                     "41 00 00 00 58 02 00 00");

  memset (message, 0, sizeof *message);
  message->pkt = 2;
  message->op = IEC104_FILE_OP_READ_DATA;
  message->file_id = 0x41;
  message->segment = 400;
  message->data = data;
  message->data_len = sizeof data;
  assert_file_roundtrip (message, 5, "D2 01 05 00 01 00 00 00 00 02 05 41 00 00 00 90 01 00 00 "
                                     "00 FF 02 01");

  memset (message, 0, sizeof *message);
  message->pkt = 2;
  message->op = IEC104_FILE_OP_WRITE_DATA_CON;
  message->file_id = 1;
  message->segment = 800;
  message->result = IEC104_WRITE_DATA_CHECKSUM_ERROR;
  assert_file_roundtrip (message, 5, "D2 01 05 00 01 00 00 00 00 02 0A 01 00 00 00 20 03 00 00 02");

  g_assert_cmpstr (iec104_write_act_result_name (2), ==, "file name not supported");
  g_assert_cmpstr (iec104_write_data_result_name (4), ==, "file ID differs from the activation");
}

static void
test_file_tolerant_decode (void)
{
  g_autofree Iec104FileMessage *message = g_new0 (Iec104FileMessage, 1);
  /* SOJO: PKT 1, COT 7 for OP10; GB104S: VSQ 0x81; trailing padding. */
  g_autoptr (GByteArray) op10 = hex ("D2 81 07 00 01 00 00 00 00 01 0A 01 00 00 00 20 03 00 00 00 "
                                     "00 00");
  g_autoptr (GByteArray) unknown_op = hex ("D2 01 05 00 01 00 00 00 00 02 0B 00");
  g_autoptr (GByteArray) name_overrun = hex ("D2 01 06 00 01 00 00 00 00 02 03 09 'soe.msg'");
  g_autoptr (GByteArray) too_many = hex ("D2 01 05 00 01 00 00 00 00 02 02 00 07 00 00 00 00 FF");

  g_assert_cmpint (iec104_asdu_decode_file (op10->data, op10->len, message), ==, IEC104_OK);
  g_assert_cmpint (message->op, ==, IEC104_FILE_OP_WRITE_DATA_CON);
  g_assert_cmpuint (message->segment, ==, 800);
  g_assert_cmpint (iec104_asdu_decode_file (unknown_op->data, unknown_op->len, message), ==,
                   IEC104_ERROR_MALFORMED_ASDU);
  g_assert_cmpint (iec104_asdu_decode_file (name_overrun->data, name_overrun->len, message), ==,
                   IEC104_ERROR_MALFORMED_ASDU);
  g_assert_cmpint (iec104_asdu_decode_file (too_many->data, too_many->len, message), ==,
                   IEC104_ERROR_MALFORMED_ASDU);
}

static void
test_header_and_errors (void)
{
  g_autoptr (GByteArray) bytes = hex ("0D 82 6F 05 34 12");
  Iec104AsduHeader header;
  guint8 out[6];

  g_assert_cmpint (iec104_asdu_header_decode (bytes->data, bytes->len, &header), ==, IEC104_OK);
  g_assert_true (header.sq);
  g_assert_cmpuint (header.count, ==, 2);
  g_assert_cmpuint (header.cot, ==, 47);
  g_assert_true (header.negative);
  g_assert_false (header.test);
  g_assert_cmpuint (header.originator, ==, 5);
  g_assert_cmpuint (header.common_address, ==, 0x1234);
  iec104_asdu_header_encode (&header, out);
  g_assert_cmpmem (out, 6, bytes->data, bytes->len);
  g_assert_cmpint (iec104_asdu_header_decode (bytes->data, 5, &header), ==,
                   IEC104_ERROR_TRUNCATED);

  g_assert_cmpint (iec104_error_from_negative_cot (44, 1), ==, IEC104_ERROR_UNKNOWN_TYPE);
  g_assert_cmpint (iec104_error_from_negative_cot (45, 1), ==, IEC104_ERROR_UNKNOWN_COT);
  g_assert_cmpint (iec104_error_from_negative_cot (46, 1), ==, IEC104_ERROR_UNKNOWN_CA);
  g_assert_cmpint (iec104_error_from_negative_cot (47, 1), ==, IEC104_ERROR_UNKNOWN_IOA);
  /* 44-47 are negative by their cause alone (SOJO sends a bare COT 47). */
  g_assert_cmpint (iec104_error_from_negative_cot (44, 0), ==, IEC104_ERROR_UNKNOWN_TYPE);
  g_assert_cmpint (iec104_error_from_negative_cot (45, 0), ==, IEC104_ERROR_UNKNOWN_COT);
  g_assert_cmpint (iec104_error_from_negative_cot (46, 0), ==, IEC104_ERROR_UNKNOWN_CA);
  g_assert_cmpint (iec104_error_from_negative_cot (47, 0), ==, IEC104_ERROR_UNKNOWN_IOA);
  g_assert_cmpint (iec104_error_from_negative_cot (3, 0), ==, IEC104_ERROR_UNEXPECTED_REPLY);
  g_assert_cmpint (iec104_error_from_negative_cot (10, 0), ==, IEC104_ERROR_TERMINATED);
  g_assert_cmpint (iec104_error_from_negative_cot (7, 1), ==, IEC104_ERROR_NEGATIVE_CONFIRM);
  for (int e = IEC104_OK; e <= IEC104_ERROR_CANCELLED; e++)
    g_assert_cmpstr (iec104_strerror ((Iec104Error) e), !=, "unknown error");
  g_assert_cmpstr (iec104_strerror ((Iec104Error) 999), ==, "unknown error");
  g_assert_cmpstr (iec104_type_name (210), ==, "FILE_210");
}

static void
test_profile_state_grid (void)
{
  Iec104Profile profile;

  iec104_profile_init_state_grid (&profile);
  g_assert_cmpint (iec104_profile_validate (&profile), ==, IEC104_OK);
  g_assert_cmpuint (profile.k, ==, 12);
  g_assert_cmpuint (profile.w, ==, 8);
  g_assert_cmpuint (profile.t1_ms, ==, 15000);
  g_assert_cmpuint (profile.segment_size, ==, 200);
  g_assert_cmpstr (profile.upgrade_file_name, ==, "UpdateProgram.bin");
  g_assert_true (profile.accepted_cots_write_data_con & IEC104_COT_BIT (7));
  /* The generic terminal applies the image on 211 finish and restarts on 105 (§6(d)). */
  g_assert_false (profile.reboots_after_upgrade_finish);
  g_assert_true (profile.reset_after_upgrade_finish);
  profile.segment_size = 229;
  g_assert_cmpint (iec104_profile_validate (&profile), ==, IEC104_ERROR_INVALID_ARGUMENT);
  iec104_profile_init_state_grid (&profile);
  profile.w = 13;
  g_assert_cmpint (iec104_profile_validate (&profile), ==, IEC104_ERROR_INVALID_ARGUMENT);
  iec104_profile_init_state_grid (&profile);
  profile.t2_ms = profile.t1_ms;
  g_assert_cmpint (iec104_profile_validate (&profile), ==, IEC104_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/iec104/apci/u-frames", test_apci_u_frames);
  g_test_add_func ("/iec104/apci/i-s-frames", test_apci_i_s_frames);
  g_test_add_func ("/iec104/apci/malformed", test_apci_malformed);
  g_test_add_func ("/iec104/apci/reassembler", test_reassembler_chunks);
  g_test_add_func ("/iec104/asdu/header-errors", test_header_and_errors);
  g_test_add_func ("/iec104/asdu/interrogation-example", test_asdu_interrogation_example);
  g_test_add_func ("/iec104/asdu/float-sq1-example", test_asdu_float_sq1_example);
  g_test_add_func ("/iec104/asdu/every-point-type", test_asdu_every_point_type);
  g_test_add_func ("/iec104/asdu/points-split", test_asdu_points_split);
  g_test_add_func ("/iec104/asdu/clock-reset-upgrade", test_asdu_clock_reset_upgrade);
  g_test_add_func ("/iec104/asdu/setting-area", test_asdu_setting_area);
  g_test_add_func ("/iec104/params/read-example", test_params_read_example);
  g_test_add_func ("/iec104/params/write-forms", test_params_write_forms);
  g_test_add_func ("/iec104/params/every-tag", test_params_every_tag);
  g_test_add_func ("/iec104/file/examples", test_file_examples);
  g_test_add_func ("/iec104/file/other-ops", test_file_other_ops);
  g_test_add_func ("/iec104/file/tolerant-decode", test_file_tolerant_decode);
  g_test_add_func ("/iec104/profile/state-grid", test_profile_state_grid);
  return g_test_run ();
}
