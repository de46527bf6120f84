/* iec104-apci.c: APCI frame encoding/decoding and reassembly of APDUs from a TCP byte stream. */
#include "iec104-apci.h"

#include <stdlib.h>
#include <string.h>

static bool
u_function_is_known (unsigned c1)
{
  switch (c1)
    {
    case IEC104_U_STARTDT_ACT:
    case IEC104_U_STARTDT_CON:
    case IEC104_U_STOPDT_ACT:
    case IEC104_U_STOPDT_CON:
    case IEC104_U_TESTFR_ACT:
    case IEC104_U_TESTFR_CON:
      return true;
    default:
      return false;
    }
}

/* Decodes the 4 control bytes of an APDU whose length byte is `length`, given the ASDU that
 * follows them. */
static Iec104Error
decode_control (const uint8_t *control, const uint8_t *asdu, size_t asdu_len, Iec104Frame *frame)
{
  memset (frame, 0, sizeof *frame);
  if ((control[0] & 0x01) == 0)
    {
      if (asdu_len == 0)
        return IEC104_ERROR_BAD_LENGTH;
      frame->format = IEC104_FRAME_I;
      frame->send_seq = (uint16_t) ((control[0] >> 1) | (control[1] << 7));
      frame->recv_seq = (uint16_t) ((control[2] >> 1) | (control[3] << 7));
      frame->asdu = asdu;
      frame->asdu_len = asdu_len;
      /* Bit 0 of C3 is reserved and must be 0 in I and S frames. */
      return (control[2] & 0x01) ? IEC104_ERROR_BAD_CONTROL_FIELD : IEC104_OK;
    }
  if (asdu_len != 0)
    return IEC104_ERROR_BAD_LENGTH;
  if ((control[0] & 0x03) == 0x01)
    {
      if (control[0] != 0x01 || control[1] != 0 || (control[2] & 0x01))
        return IEC104_ERROR_BAD_CONTROL_FIELD;
      frame->format = IEC104_FRAME_S;
      frame->recv_seq = (uint16_t) ((control[2] >> 1) | (control[3] << 7));
      return IEC104_OK;
    }
  if (!u_function_is_known (control[0]) || control[1] || control[2] || control[3])
    return IEC104_ERROR_BAD_CONTROL_FIELD;
  frame->format = IEC104_FRAME_U;
  frame->u_function = (Iec104UFunction) control[0];
  return IEC104_OK;
}

Iec104Error
iec104_frame_decode (const uint8_t *apdu, size_t len, Iec104Frame *frame)
{
  if (apdu == NULL || frame == NULL)
    return IEC104_ERROR_INVALID_ARGUMENT;
  if (len < 1)
    return IEC104_ERROR_TRUNCATED;
  if (apdu[0] != IEC104_START_BYTE)
    return IEC104_ERROR_BAD_START_BYTE;
  if (len < 2)
    return IEC104_ERROR_TRUNCATED;
  if (apdu[1] < IEC104_APDU_LENGTH_MIN || apdu[1] > IEC104_APDU_LENGTH_MAX)
    return IEC104_ERROR_BAD_LENGTH;
  if (len < (size_t) apdu[1] + 2)
    return IEC104_ERROR_TRUNCATED;
  if (len > (size_t) apdu[1] + 2)
    return IEC104_ERROR_BAD_LENGTH;
  return decode_control (apdu + 2, apdu + IEC104_APCI_SIZE, len - IEC104_APCI_SIZE, frame);
}

static void
put_seq (uint8_t *out, uint16_t seq)
{
  seq %= IEC104_SEQ_MODULO;
  out[0] = (uint8_t) ((seq << 1) & 0xFE);
  out[1] = (uint8_t) (seq >> 7);
}

size_t
iec104_frame_encode_i (uint8_t *out, uint16_t send_seq, uint16_t recv_seq, const uint8_t *asdu,
                       size_t asdu_len)
{
  if (asdu_len == 0 || asdu_len > IEC104_ASDU_MAX)
    return 0;
  out[0] = IEC104_START_BYTE;
  out[1] = (uint8_t) (asdu_len + 4);
  put_seq (out + 2, send_seq);
  put_seq (out + 4, recv_seq);
  memcpy (out + IEC104_APCI_SIZE, asdu, asdu_len);
  return IEC104_APCI_SIZE + asdu_len;
}

size_t
iec104_frame_encode_s (uint8_t *out, uint16_t recv_seq)
{
  out[0] = IEC104_START_BYTE;
  out[1] = 4;
  out[2] = 0x01;
  out[3] = 0x00;
  put_seq (out + 4, recv_seq);
  return IEC104_APCI_SIZE;
}

size_t
iec104_frame_encode_u (uint8_t *out, Iec104UFunction function)
{
  out[0] = IEC104_START_BYTE;
  out[1] = 4;
  out[2] = (uint8_t) function;
  out[3] = out[4] = out[5] = 0;
  return IEC104_APCI_SIZE;
}

struct Iec104Reassembler
{
  uint8_t buffer[IEC104_APDU_MAX];
  size_t filled;
};

Iec104Reassembler *
iec104_reassembler_new (void)
{
  return calloc (1, sizeof (Iec104Reassembler));
}

void
iec104_reassembler_free (Iec104Reassembler *reassembler)
{
  free (reassembler);
}

void
iec104_reassembler_reset (Iec104Reassembler *reassembler)
{
  reassembler->filled = 0;
}

Iec104Error
iec104_reassembler_push (Iec104Reassembler *reassembler, const uint8_t *data, size_t len,
                         size_t *consumed, bool *frame_ready, Iec104Frame *frame)
{
  size_t used = 0;
  size_t wanted;
  Iec104Error error;

  *consumed = 0;
  *frame_ready = false;
  if (len > 0 && data == NULL)
    return IEC104_ERROR_INVALID_ARGUMENT;

  /* The header first: start byte and length byte tell how much the APDU needs. */
  while (reassembler->filled < 2 && used < len)
    {
      uint8_t byte = data[used++];

      if (reassembler->filled == 0 && byte != IEC104_START_BYTE)
        {
          *consumed = used;
          return IEC104_ERROR_BAD_START_BYTE;
        }
      if (reassembler->filled == 1
          && (byte < IEC104_APDU_LENGTH_MIN || byte > IEC104_APDU_LENGTH_MAX))
        {
          *consumed = used;
          reassembler->filled = 0;
          return IEC104_ERROR_BAD_LENGTH;
        }
      reassembler->buffer[reassembler->filled++] = byte;
    }
  if (reassembler->filled < 2)
    {
      *consumed = used;
      return IEC104_OK;
    }

  wanted = (size_t) reassembler->buffer[1] + 2 - reassembler->filled;
  if (wanted > len - used)
    wanted = len - used;
  if (wanted > 0)
    memcpy (reassembler->buffer + reassembler->filled, data + used, wanted);
  reassembler->filled += wanted;
  used += wanted;
  *consumed = used;

  if (reassembler->filled < (size_t) reassembler->buffer[1] + 2)
    return IEC104_OK;

  error = iec104_frame_decode (reassembler->buffer, reassembler->filled, frame);
  reassembler->filled = 0;
  if (error == IEC104_OK)
    *frame_ready = true;
  return error;
}
