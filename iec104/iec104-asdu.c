/* iec104-asdu.c: ASDU header, CP56Time2a, monitoring points and the single-object commands. */
#include "iec104-asdu-private.h"

#include <string.h>

Iec104Error
iec104_asdu_header_decode (const uint8_t *asdu, size_t len, Iec104AsduHeader *header)
{
  if (asdu == NULL || header == NULL)
    return IEC104_ERROR_INVALID_ARGUMENT;
  if (len < IEC104_ASDU_HEADER_SIZE)
    return IEC104_ERROR_TRUNCATED;
  header->type_id = asdu[0];
  header->sq = (asdu[1] & 0x80) != 0;
  header->count = asdu[1] & 0x7F;
  header->cot = asdu[2] & 0x3F;
  header->negative = (asdu[2] & 0x40) != 0;
  header->test = (asdu[2] & 0x80) != 0;
  header->originator = asdu[3];
  header->common_address = iec104_get_u16 (asdu + 4);
  return IEC104_OK;
}

void
iec104_asdu_header_encode (const Iec104AsduHeader *header, uint8_t *out)
{
  out[0] = header->type_id;
  out[1] = (uint8_t) ((header->sq ? 0x80 : 0) | (header->count & 0x7F));
  out[2] = (uint8_t) ((header->cot & 0x3F) | (header->negative ? 0x40 : 0)
                      | (header->test ? 0x80 : 0));
  out[3] = header->originator;
  iec104_put_u16 (out + 4, header->common_address);
}

const char *
iec104_type_name (unsigned type_id)
{
  switch (type_id)
    {
    case IEC104_TI_M_SP_NA_1: return "M_SP_NA_1";
    case IEC104_TI_M_DP_NA_1: return "M_DP_NA_1";
    case IEC104_TI_M_ME_NA_1: return "M_ME_NA_1";
    case IEC104_TI_M_ME_NB_1: return "M_ME_NB_1";
    case IEC104_TI_M_ME_NC_1: return "M_ME_NC_1";
    case IEC104_TI_M_SP_TB_1: return "M_SP_TB_1";
    case IEC104_TI_M_DP_TB_1: return "M_DP_TB_1";
    case IEC104_TI_M_ME_TF_1: return "M_ME_TF_1";
    case IEC104_TI_M_EI_NA_1: return "M_EI_NA_1";
    case IEC104_TI_C_IC_NA_1: return "C_IC_NA_1";
    case IEC104_TI_C_CS_NA_1: return "C_CS_NA_1";
    case IEC104_TI_C_RP_NA_1: return "C_RP_NA_1";
    case IEC104_TI_C_SR_NA_1: return "C_SR_NA_1";
    case IEC104_TI_C_RR_NA_1: return "C_RR_NA_1";
    case IEC104_TI_C_RS_NA_1: return "C_RS_NA_1";
    case IEC104_TI_C_WS_NA_1: return "C_WS_NA_1";
    case IEC104_TI_FILE_210: return "FILE_210";
    case IEC104_TI_UPGRADE_211: return "UPGRADE_211";
    default: return "unknown";
    }
}

void
iec104_asdu_begin (Iec104Asdu *asdu, Iec104Writer *writer, uint8_t type_id, bool sq,
                   uint8_t count, uint8_t cot, bool negative, uint16_t common_address)
{
  Iec104AsduHeader header = {
    .type_id = type_id,
    .sq = sq,
    .count = count,
    .cot = cot,
    .negative = negative,
    .common_address = common_address,
  };

  iec104_writer_init (writer, asdu->bytes, sizeof asdu->bytes);
  iec104_asdu_header_encode (&header, iec104_writer_reserve (writer, IEC104_ASDU_HEADER_SIZE));
}

Iec104Error
iec104_asdu_end (Iec104Asdu *asdu, const Iec104Writer *writer)
{
  if (writer->failed)
    {
      asdu->len = 0;
      return IEC104_ERROR_TOO_LONG;
    }
  asdu->len = writer->pos;
  return IEC104_OK;
}

Iec104Error
iec104_asdu_open (const uint8_t *asdu, size_t len, uint8_t type_id, Iec104AsduHeader *header,
                  Iec104Reader *reader)
{
  Iec104Error error = iec104_asdu_header_decode (asdu, len, header);

  if (error)
    return error == IEC104_ERROR_TRUNCATED ? IEC104_ERROR_MALFORMED_ASDU : error;
  if (header->type_id != type_id)
    return IEC104_ERROR_UNSUPPORTED_TYPE;
  iec104_reader_init (reader, asdu + IEC104_ASDU_HEADER_SIZE, len - IEC104_ASDU_HEADER_SIZE);
  return IEC104_OK;
}

Iec104Error
iec104_asdu_close (const Iec104Reader *reader)
{
  return reader->failed || reader->pos != reader->len ? IEC104_ERROR_MALFORMED_ASDU : IEC104_OK;
}

void
iec104_cp56_encode (const Iec104Cp56Time *time, uint8_t *out)
{
  iec104_put_u16 (out, time->milliseconds);
  out[2] = (uint8_t) ((time->minute & 0x3F) | (time->invalid ? 0x80 : 0));
  out[3] = (uint8_t) ((time->hour & 0x1F) | (time->summer_time ? 0x80 : 0));
  out[4] = (uint8_t) ((time->day & 0x1F) | ((time->weekday & 0x07) << 5));
  out[5] = time->month & 0x0F;
  out[6] = time->year & 0x7F;
}

void
iec104_cp56_decode (const uint8_t *in, Iec104Cp56Time *time)
{
  time->milliseconds = iec104_get_u16 (in);
  time->minute = in[2] & 0x3F;
  time->invalid = (in[2] & 0x80) != 0;
  time->hour = in[3] & 0x1F;
  time->summer_time = (in[3] & 0x80) != 0;
  time->day = in[4] & 0x1F;
  time->weekday = (in[4] >> 5) & 0x07;
  time->month = in[5] & 0x0F;
  time->year = in[6] & 0x7F;
}

/* ---- monitoring points ---- */

bool
iec104_type_is_point (unsigned type_id)
{
  switch (type_id)
    {
    case IEC104_TI_M_SP_NA_1:
    case IEC104_TI_M_DP_NA_1:
    case IEC104_TI_M_ME_NA_1:
    case IEC104_TI_M_ME_NB_1:
    case IEC104_TI_M_ME_NC_1:
    case IEC104_TI_M_SP_TB_1:
    case IEC104_TI_M_DP_TB_1:
    case IEC104_TI_M_ME_TF_1:
      return true;
    default:
      return false;
    }
}

/* Bytes of one element after its IOA. */
static size_t
point_element_size (unsigned type_id)
{
  switch (type_id)
    {
    case IEC104_TI_M_SP_NA_1:
    case IEC104_TI_M_DP_NA_1:
      return 1;
    case IEC104_TI_M_ME_NA_1:
    case IEC104_TI_M_ME_NB_1:
      return 3;
    case IEC104_TI_M_ME_NC_1:
      return 5;
    case IEC104_TI_M_SP_TB_1:
    case IEC104_TI_M_DP_TB_1:
      return 1 + IEC104_CP56_SIZE;
    case IEC104_TI_M_ME_TF_1:
      return 5 + IEC104_CP56_SIZE;
    default:
      return 0;
    }
}

static bool
type_has_time (unsigned type_id)
{
  return type_id == IEC104_TI_M_SP_TB_1 || type_id == IEC104_TI_M_DP_TB_1
         || type_id == IEC104_TI_M_ME_TF_1;
}

static void
point_init (Iec104Point *point, uint32_t ioa, uint8_t type_id, int32_t raw, float value,
            uint8_t quality)
{
  memset (point, 0, sizeof *point);
  point->ioa = ioa;
  point->type_id = type_id;
  point->raw = raw;
  point->value = value;
  point->quality = quality;
}

void
iec104_point_init_single (Iec104Point *point, uint32_t ioa, bool on, uint8_t quality)
{
  point_init (point, ioa, IEC104_TI_M_SP_NA_1, on, on, quality & 0xF0);
}

void
iec104_point_init_double (Iec104Point *point, uint32_t ioa, Iec104DoublePoint state,
                          uint8_t quality)
{
  point_init (point, ioa, IEC104_TI_M_DP_NA_1, state & 3, state & 3, quality & 0xF0);
}

void
iec104_point_init_normalized (Iec104Point *point, uint32_t ioa, int16_t nva, uint8_t quality)
{
  point_init (point, ioa, IEC104_TI_M_ME_NA_1, nva, (float) nva / 32768.0f, quality);
}

void
iec104_point_init_scaled (Iec104Point *point, uint32_t ioa, int16_t sva, uint8_t quality)
{
  point_init (point, ioa, IEC104_TI_M_ME_NB_1, sva, (float) sva, quality);
}

void
iec104_point_init_float (Iec104Point *point, uint32_t ioa, float value, uint8_t quality)
{
  point_init (point, ioa, IEC104_TI_M_ME_NC_1, (int32_t) iec104_float_bits (value), value,
              quality);
}

void
iec104_point_set_time (Iec104Point *point, const Iec104Cp56Time *time)
{
  switch (point->type_id)
    {
    case IEC104_TI_M_SP_NA_1: point->type_id = IEC104_TI_M_SP_TB_1; break;
    case IEC104_TI_M_DP_NA_1: point->type_id = IEC104_TI_M_DP_TB_1; break;
    case IEC104_TI_M_ME_NC_1: point->type_id = IEC104_TI_M_ME_TF_1; break;
    default: break;
    }
  point->has_time = true;
  point->time = *time;
}

static void
write_point_element (Iec104Writer *writer, const Iec104Point *point)
{
  uint8_t *p = iec104_writer_reserve (writer, point_element_size (point->type_id));

  if (p == NULL)
    return;
  switch (point->type_id)
    {
    case IEC104_TI_M_SP_NA_1:
    case IEC104_TI_M_SP_TB_1:
      p[0] = (uint8_t) ((point->raw & 0x01) | (point->quality & 0xF0));
      break;
    case IEC104_TI_M_DP_NA_1:
    case IEC104_TI_M_DP_TB_1:
      p[0] = (uint8_t) ((point->raw & 0x03) | (point->quality & 0xF0));
      break;
    case IEC104_TI_M_ME_NA_1:
    case IEC104_TI_M_ME_NB_1:
      iec104_put_u16 (p, (uint16_t) point->raw);
      p[2] = point->quality;
      break;
    default: /* 13 and 36 */
      iec104_put_u32 (p, iec104_float_bits (point->value));
      p[4] = point->quality;
      break;
    }
  if (type_has_time (point->type_id))
    iec104_cp56_encode (&point->time, p + point_element_size (point->type_id) - IEC104_CP56_SIZE);
}

Iec104Error
iec104_asdu_encode_points (Iec104Asdu *asdu, uint16_t common_address, uint8_t cot,
                           uint8_t type_id, bool sq, const Iec104Point *points, size_t n_points,
                           size_t *n_encoded)
{
  size_t element_size = point_element_size (type_id);
  size_t per_object = sq ? element_size : element_size + IEC104_IOA_SIZE;
  size_t room = IEC104_ASDU_MAX - IEC104_ASDU_HEADER_SIZE - (sq ? IEC104_IOA_SIZE : 0);
  size_t n;
  Iec104Writer writer;

  *n_encoded = 0;
  if (!iec104_type_is_point (type_id) || points == NULL || n_points == 0)
    return IEC104_ERROR_INVALID_ARGUMENT;
  n = room / per_object;
  if (n > n_points)
    n = n_points;
  if (n > IEC104_MAX_OBJECTS)
    n = IEC104_MAX_OBJECTS;
  for (size_t i = 0; i < n; i++)
    if (points[i].type_id != type_id || (sq && points[i].ioa != points[0].ioa + i))
      return IEC104_ERROR_INVALID_ARGUMENT;

  iec104_asdu_begin (asdu, &writer, type_id, sq, (uint8_t) n, cot, false, common_address);
  for (size_t i = 0; i < n; i++)
    {
      if (!sq || i == 0)
        iec104_writer_u24 (&writer, points[i].ioa);
      write_point_element (&writer, &points[i]);
    }
  *n_encoded = n;
  return iec104_asdu_end (asdu, &writer);
}

static void
read_point_element (const uint8_t *p, uint8_t type_id, Iec104Point *point)
{
  uint32_t bits;

  switch (type_id)
    {
    case IEC104_TI_M_SP_NA_1:
    case IEC104_TI_M_SP_TB_1:
      point->raw = p[0] & 0x01;
      point->value = (float) point->raw;
      point->quality = p[0] & 0xF0;
      break;
    case IEC104_TI_M_DP_NA_1:
    case IEC104_TI_M_DP_TB_1:
      point->raw = p[0] & 0x03;
      point->value = (float) point->raw;
      point->quality = p[0] & 0xF0;
      break;
    case IEC104_TI_M_ME_NA_1:
      point->raw = (int16_t) iec104_get_u16 (p);
      point->value = (float) point->raw / 32768.0f;
      point->quality = p[2];
      break;
    case IEC104_TI_M_ME_NB_1:
      point->raw = (int16_t) iec104_get_u16 (p);
      point->value = (float) point->raw;
      point->quality = p[2];
      break;
    default: /* 13 and 36 */
      bits = iec104_get_u32 (p);
      point->raw = (int32_t) bits;
      point->value = iec104_float_from_bits (bits);
      point->quality = p[4];
      break;
    }
  point->has_time = type_has_time (type_id);
  if (point->has_time)
    iec104_cp56_decode (p + point_element_size (type_id) - IEC104_CP56_SIZE, &point->time);
}

Iec104Error
iec104_asdu_decode_points (const uint8_t *asdu, size_t len, Iec104Point *points,
                           size_t *n_points)
{
  Iec104AsduHeader header;
  Iec104Reader reader;
  Iec104Error error;
  uint32_t base_ioa = 0;
  size_t element_size;

  *n_points = 0;
  error = iec104_asdu_header_decode (asdu, len, &header);
  if (error)
    return error == IEC104_ERROR_TRUNCATED ? IEC104_ERROR_MALFORMED_ASDU : error;
  if (!iec104_type_is_point (header.type_id))
    return IEC104_ERROR_UNSUPPORTED_TYPE;
  error = iec104_asdu_open (asdu, len, header.type_id, &header, &reader);
  if (error)
    return error;
  if (header.count == 0)
    return IEC104_ERROR_MALFORMED_ASDU;

  element_size = point_element_size (header.type_id);
  if (header.sq)
    base_ioa = iec104_reader_u24 (&reader);
  for (size_t i = 0; i < header.count; i++)
    {
      Iec104Point *point = &points[i];
      const uint8_t *p;

      memset (point, 0, sizeof *point);
      point->type_id = header.type_id;
      point->ioa = header.sq ? (base_ioa + (uint32_t) i) & 0xFFFFFF : iec104_reader_u24 (&reader);
      p = iec104_reader_take (&reader, element_size);
      if (p == NULL)
        return IEC104_ERROR_MALFORMED_ASDU;
      read_point_element (p, header.type_id, point);
    }
  error = iec104_asdu_close (&reader);
  if (error == IEC104_OK)
    *n_points = header.count;
  return error;
}

/* ---- single-object commands ---- */

static bool
type_has_qualifier (unsigned type_id)
{
  return type_id == IEC104_TI_M_EI_NA_1 || type_id == IEC104_TI_C_IC_NA_1
         || type_id == IEC104_TI_C_RP_NA_1 || type_id == IEC104_TI_UPGRADE_211;
}

Iec104Error
iec104_asdu_encode_qualifier (Iec104Asdu *asdu, uint8_t type_id, uint16_t common_address,
                              uint8_t cot, bool negative, uint8_t qualifier)
{
  Iec104Writer writer;

  if (!type_has_qualifier (type_id))
    return IEC104_ERROR_INVALID_ARGUMENT;
  iec104_asdu_begin (asdu, &writer, type_id, false, 1, cot, negative, common_address);
  iec104_writer_u24 (&writer, 0);
  iec104_writer_u8 (&writer, qualifier);
  return iec104_asdu_end (asdu, &writer);
}

Iec104Error
iec104_asdu_decode_qualifier (const uint8_t *asdu, size_t len, uint32_t *ioa, uint8_t *qualifier)
{
  Iec104AsduHeader header;
  Iec104Reader reader;
  Iec104Error error = iec104_asdu_header_decode (asdu, len, &header);

  if (error)
    return error == IEC104_ERROR_TRUNCATED ? IEC104_ERROR_MALFORMED_ASDU : error;
  if (!type_has_qualifier (header.type_id))
    return IEC104_ERROR_UNSUPPORTED_TYPE;
  iec104_asdu_open (asdu, len, header.type_id, &header, &reader);
  *ioa = iec104_reader_u24 (&reader);
  *qualifier = iec104_reader_u8 (&reader);
  return iec104_asdu_close (&reader);
}

Iec104Error
iec104_asdu_encode_clock (Iec104Asdu *asdu, uint16_t common_address, uint8_t cot, bool negative,
                          const Iec104Cp56Time *time)
{
  Iec104Writer writer;
  uint8_t *p;

  iec104_asdu_begin (asdu, &writer, IEC104_TI_C_CS_NA_1, false, 1, cot, negative,
                     common_address);
  iec104_writer_u24 (&writer, 0);
  p = iec104_writer_reserve (&writer, IEC104_CP56_SIZE);
  if (p)
    iec104_cp56_encode (time, p);
  return iec104_asdu_end (asdu, &writer);
}

Iec104Error
iec104_asdu_decode_clock (const uint8_t *asdu, size_t len, Iec104Cp56Time *time)
{
  Iec104AsduHeader header;
  Iec104Reader reader;
  Iec104Error error = iec104_asdu_open (asdu, len, IEC104_TI_C_CS_NA_1, &header, &reader);
  const uint8_t *p;

  if (error)
    return error;
  iec104_reader_u24 (&reader);
  p = iec104_reader_take (&reader, IEC104_CP56_SIZE);
  if (p)
    iec104_cp56_decode (p, time);
  return iec104_asdu_close (&reader);
}

Iec104Error
iec104_asdu_encode_switch_area (Iec104Asdu *asdu, uint16_t common_address, uint8_t cot,
                                bool negative, uint16_t sn)
{
  Iec104Writer writer;

  iec104_asdu_begin (asdu, &writer, IEC104_TI_C_SR_NA_1, false, 1, cot, negative,
                     common_address);
  iec104_writer_u24 (&writer, 0);
  iec104_writer_u16 (&writer, sn);
  return iec104_asdu_end (asdu, &writer);
}

Iec104Error
iec104_asdu_decode_switch_area (const uint8_t *asdu, size_t len, uint16_t *sn)
{
  Iec104AsduHeader header;
  Iec104Reader reader;
  Iec104Error error = iec104_asdu_open (asdu, len, IEC104_TI_C_SR_NA_1, &header, &reader);

  if (error)
    return error;
  iec104_reader_u24 (&reader);
  *sn = iec104_reader_u16 (&reader);
  return iec104_asdu_close (&reader);
}

Iec104Error
iec104_asdu_encode_read_area (Iec104Asdu *asdu, uint16_t common_address, uint8_t cot,
                              bool negative, const Iec104SettingArea *area)
{
  Iec104Writer writer;

  iec104_asdu_begin (asdu, &writer, IEC104_TI_C_RR_NA_1, false, 1, cot, negative,
                     common_address);
  iec104_writer_u24 (&writer, 0);
  if (area)
    {
      iec104_writer_u16 (&writer, area->current);
      iec104_writer_u16 (&writer, area->minimum);
      iec104_writer_u16 (&writer, area->maximum);
    }
  return iec104_asdu_end (asdu, &writer);
}

Iec104Error
iec104_asdu_decode_read_area (const uint8_t *asdu, size_t len, bool *has_area,
                              Iec104SettingArea *area)
{
  Iec104AsduHeader header;
  Iec104Reader reader;
  Iec104Error error = iec104_asdu_open (asdu, len, IEC104_TI_C_RR_NA_1, &header, &reader);

  if (error)
    return error;
  iec104_reader_u24 (&reader);
  *has_area = iec104_reader_remaining (&reader) > 0;
  if (*has_area)
    {
      area->current = iec104_reader_u16 (&reader);
      area->minimum = iec104_reader_u16 (&reader);
      area->maximum = iec104_reader_u16 (&reader);
    }
  return iec104_asdu_close (&reader);
}
