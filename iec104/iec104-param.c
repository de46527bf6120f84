/* iec104-param.c: parameter values (TAG codes) and the 202/203 ASDUs, which have no leading IOA. */
#include "iec104-asdu-private.h"

#include <string.h>

int
iec104_tag_size (unsigned tag)
{
  switch (tag)
    {
    case IEC104_TAG_BOOL:
    case IEC104_TAG_UINT8:
    case IEC104_TAG_INT8:
      return 1;
    case IEC104_TAG_INT16:
    case IEC104_TAG_UINT16:
      return 2;
    case IEC104_TAG_INT32:
    case IEC104_TAG_UINT32:
    case IEC104_TAG_FLOAT32:
      return 4;
    case IEC104_TAG_INT64:
    case IEC104_TAG_UINT64:
    case IEC104_TAG_FLOAT64:
      return 8;
    case IEC104_TAG_STRING:
      return 0;
    default:
      return -1;
    }
}

const char *
iec104_tag_name (unsigned tag)
{
  switch (tag)
    {
    case IEC104_TAG_BOOL: return "bool";
    case IEC104_TAG_INT32: return "int32";
    case IEC104_TAG_STRING: return "string";
    case IEC104_TAG_UINT8: return "uint8";
    case IEC104_TAG_INT16: return "int16";
    case IEC104_TAG_UINT32: return "uint32";
    case IEC104_TAG_INT64: return "int64";
    case IEC104_TAG_UINT64: return "uint64";
    case IEC104_TAG_FLOAT32: return "float32";
    case IEC104_TAG_FLOAT64: return "float64";
    case IEC104_TAG_INT8: return "int8";
    case IEC104_TAG_UINT16: return "uint16";
    default: return "unknown";
    }
}

static bool
tag_is_signed_integer (unsigned tag)
{
  return tag == IEC104_TAG_INT8 || tag == IEC104_TAG_INT16 || tag == IEC104_TAG_INT32
         || tag == IEC104_TAG_INT64;
}

static bool
tag_is_unsigned_integer (unsigned tag)
{
  return tag == IEC104_TAG_BOOL || tag == IEC104_TAG_UINT8 || tag == IEC104_TAG_UINT16
         || tag == IEC104_TAG_UINT32 || tag == IEC104_TAG_UINT64;
}

Iec104Error
iec104_param_set_bytes (Iec104Param *param, uint32_t ioa, uint8_t tag, const uint8_t *value,
                        size_t len)
{
  int size = iec104_tag_size (tag);

  if (size < 0 || (size > 0 && len != (size_t) size) || len > IEC104_PARAM_VALUE_MAX
      || (len > 0 && value == NULL) || ioa > 0xFFFFFF)
    return IEC104_ERROR_INVALID_ARGUMENT;
  memset (param, 0, sizeof *param);
  param->ioa = ioa;
  param->tag = tag;
  param->len = (uint8_t) len;
  if (len > 0)
    memcpy (param->data, value, len);
  return IEC104_OK;
}

Iec104Error
iec104_param_set_string (Iec104Param *param, uint32_t ioa, const char *value)
{
  if (value == NULL)
    return IEC104_ERROR_INVALID_ARGUMENT;
  return iec104_param_set_bytes (param, ioa, IEC104_TAG_STRING, (const uint8_t *) value,
                                 strlen (value));
}

Iec104Error
iec104_param_set_int (Iec104Param *param, uint32_t ioa, uint8_t tag, int64_t value)
{
  uint8_t bytes[8];
  int size = iec104_tag_size (tag);
  int64_t check;
  uint64_t ucheck;
  Iec104Param candidate;

  if (!tag_is_signed_integer (tag) && !tag_is_unsigned_integer (tag))
    return IEC104_ERROR_INVALID_ARGUMENT;
  iec104_put_u64 (bytes, (uint64_t) value);
  if (iec104_param_set_bytes (&candidate, ioa, tag, bytes, (size_t) size))
    return IEC104_ERROR_INVALID_ARGUMENT;
  /* Refuse values the tag cannot represent instead of silently truncating them. */
  if (tag_is_signed_integer (tag))
    {
      if (iec104_param_get_int (&candidate, &check) || check != value)
        return IEC104_ERROR_INVALID_ARGUMENT;
    }
  else if (value < 0 || iec104_param_get_uint (&candidate, &ucheck) || ucheck != (uint64_t) value
           || (tag == IEC104_TAG_BOOL && value > 1))
    return IEC104_ERROR_INVALID_ARGUMENT;
  *param = candidate;
  return IEC104_OK;
}

Iec104Error
iec104_param_set_uint (Iec104Param *param, uint32_t ioa, uint8_t tag, uint64_t value)
{
  uint8_t bytes[8];
  uint64_t check;
  Iec104Param candidate;

  if (!tag_is_unsigned_integer (tag))
    {
      if (value > INT64_MAX)
        return IEC104_ERROR_INVALID_ARGUMENT;
      return iec104_param_set_int (param, ioa, tag, (int64_t) value);
    }
  iec104_put_u64 (bytes, value);
  if (iec104_param_set_bytes (&candidate, ioa, tag, bytes, (size_t) iec104_tag_size (tag))
      || iec104_param_get_uint (&candidate, &check) || check != value
      || (tag == IEC104_TAG_BOOL && value > 1))
    return IEC104_ERROR_INVALID_ARGUMENT;
  *param = candidate;
  return IEC104_OK;
}

Iec104Error
iec104_param_set_float (Iec104Param *param, uint32_t ioa, uint8_t tag, double value)
{
  uint8_t bytes[8];

  if (tag == IEC104_TAG_FLOAT32)
    {
      iec104_put_u32 (bytes, iec104_float_bits ((float) value));
      return iec104_param_set_bytes (param, ioa, tag, bytes, 4);
    }
  if (tag == IEC104_TAG_FLOAT64)
    {
      uint64_t bits;

      memcpy (&bits, &value, sizeof bits);
      iec104_put_u64 (bytes, bits);
      return iec104_param_set_bytes (param, ioa, tag, bytes, 8);
    }
  return IEC104_ERROR_INVALID_ARGUMENT;
}

size_t
iec104_param_get_string (const Iec104Param *param, char *out, size_t size)
{
  size_t len = param->len;

  if (size == 0)
    return 0;
  while (len > 0 && (param->data[len - 1] == '\0' || param->data[len - 1] == ' '))
    len--;
  if (len > size - 1)
    len = size - 1;
  memcpy (out, param->data, len);
  out[len] = '\0';
  return strlen (out);
}

/* The value as a little-endian unsigned number of the tag's width; false if the length does not
 * match the tag. */
static bool
param_raw_bits (const Iec104Param *param, uint64_t *bits)
{
  int size = iec104_tag_size (param->tag);
  uint8_t bytes[8] = { 0 };

  if (size <= 0 || param->len != size)
    return false;
  memcpy (bytes, param->data, (size_t) size);
  *bits = iec104_get_u64 (bytes);
  return true;
}

Iec104Error
iec104_param_get_int (const Iec104Param *param, int64_t *value)
{
  uint64_t bits;
  int size = iec104_tag_size (param->tag);

  if (!param_raw_bits (param, &bits))
    return IEC104_ERROR_INVALID_ARGUMENT;
  if (tag_is_signed_integer (param->tag))
    {
      unsigned shift = (unsigned) (64 - size * 8);
      /* Sign-extend from the tag's width. */
      *value = shift ? (int64_t) (bits << shift) >> shift : (int64_t) bits;
      return IEC104_OK;
    }
  if (tag_is_unsigned_integer (param->tag) && bits <= INT64_MAX)
    {
      *value = (int64_t) bits;
      return IEC104_OK;
    }
  return IEC104_ERROR_INVALID_ARGUMENT;
}

Iec104Error
iec104_param_get_uint (const Iec104Param *param, uint64_t *value)
{
  int64_t signed_value;

  if (tag_is_unsigned_integer (param->tag))
    return param_raw_bits (param, value) ? IEC104_OK : IEC104_ERROR_INVALID_ARGUMENT;
  if (iec104_param_get_int (param, &signed_value) || signed_value < 0)
    return IEC104_ERROR_INVALID_ARGUMENT;
  *value = (uint64_t) signed_value;
  return IEC104_OK;
}

Iec104Error
iec104_param_get_double (const Iec104Param *param, double *value)
{
  uint64_t bits;
  int64_t signed_value;

  if (param->tag == IEC104_TAG_FLOAT32 || param->tag == IEC104_TAG_FLOAT64)
    {
      if (!param_raw_bits (param, &bits))
        return IEC104_ERROR_INVALID_ARGUMENT;
      if (param->tag == IEC104_TAG_FLOAT32)
        *value = iec104_float_from_bits ((uint32_t) bits);
      else
        memcpy (value, &bits, sizeof *value);
      return IEC104_OK;
    }
  if (iec104_param_get_int (param, &signed_value) == IEC104_OK)
    {
      *value = (double) signed_value;
      return IEC104_OK;
    }
  if (iec104_param_get_uint (param, &bits) == IEC104_OK)
    {
      *value = (double) bits;
      return IEC104_OK;
    }
  return IEC104_ERROR_INVALID_ARGUMENT;
}

Iec104Error
iec104_asdu_encode_param_read (Iec104Asdu *asdu, uint16_t common_address, uint16_t sn,
                               const uint32_t *ioas, size_t n_ioas)
{
  Iec104Writer writer;

  if (n_ioas > IEC104_MAX_OBJECTS || (n_ioas > 0 && ioas == NULL))
    return IEC104_ERROR_INVALID_ARGUMENT;
  iec104_asdu_begin (asdu, &writer, IEC104_TI_C_RS_NA_1, false, (uint8_t) n_ioas,
                     IEC104_COT_ACTIVATION, false, common_address);
  iec104_writer_u16 (&writer, sn);
  for (size_t i = 0; i < n_ioas; i++)
    iec104_writer_u24 (&writer, ioas[i]);
  return iec104_asdu_end (asdu, &writer);
}

Iec104Error
iec104_asdu_decode_param_read (const uint8_t *asdu, size_t len, uint16_t *sn, uint32_t *ioas,
                               size_t *n_ioas)
{
  Iec104AsduHeader header;
  Iec104Reader reader;
  Iec104Error error = iec104_asdu_open (asdu, len, IEC104_TI_C_RS_NA_1, &header, &reader);

  *n_ioas = 0;
  if (error)
    return error;
  *sn = iec104_reader_u16 (&reader);
  for (size_t i = 0; i < header.count; i++)
    ioas[i] = iec104_reader_u24 (&reader);
  error = iec104_asdu_close (&reader);
  if (error == IEC104_OK)
    *n_ioas = header.count;
  return error;
}

Iec104Error
iec104_asdu_encode_params (Iec104Asdu *asdu, uint8_t type_id, uint16_t common_address,
                           uint8_t cot, bool negative, uint16_t sn, uint8_t pi,
                           const Iec104Param *params, size_t n_params, size_t *n_encoded)
{
  Iec104Writer writer;
  size_t n = 0;

  *n_encoded = 0;
  if ((type_id != IEC104_TI_C_RS_NA_1 && type_id != IEC104_TI_C_WS_NA_1)
      || (n_params > 0 && params == NULL))
    return IEC104_ERROR_INVALID_ARGUMENT;
  iec104_asdu_begin (asdu, &writer, type_id, false, 0, cot, negative, common_address);
  iec104_writer_u16 (&writer, sn);
  iec104_writer_u8 (&writer, pi);
  while (n < n_params && n < IEC104_MAX_OBJECTS)
    {
      const Iec104Param *param = &params[n];
      size_t item_size = IEC104_IOA_SIZE + 2 + param->len;

      if (param->len > IEC104_PARAM_VALUE_MAX)
        return IEC104_ERROR_INVALID_ARGUMENT;
      if (writer.capacity - writer.pos < item_size)
        break;
      iec104_writer_u24 (&writer, param->ioa);
      iec104_writer_u8 (&writer, param->tag);
      iec104_writer_u8 (&writer, param->len);
      iec104_writer_bytes (&writer, param->data, param->len);
      n++;
    }
  if (n == 0 && n_params > 0)
    return IEC104_ERROR_TOO_LONG;
  asdu->bytes[1] = (uint8_t) n;
  *n_encoded = n;
  return iec104_asdu_end (asdu, &writer);
}

Iec104Error
iec104_asdu_decode_params (const uint8_t *asdu, size_t len, uint16_t *sn, uint8_t *pi,
                           Iec104Param *params, size_t *n_params)
{
  Iec104AsduHeader header;
  Iec104Reader reader;
  Iec104Error error = iec104_asdu_header_decode (asdu, len, &header);

  *n_params = 0;
  if (error)
    return error == IEC104_ERROR_TRUNCATED ? IEC104_ERROR_MALFORMED_ASDU : error;
  if (header.type_id != IEC104_TI_C_RS_NA_1 && header.type_id != IEC104_TI_C_WS_NA_1)
    return IEC104_ERROR_UNSUPPORTED_TYPE;
  iec104_asdu_open (asdu, len, header.type_id, &header, &reader);
  *sn = iec104_reader_u16 (&reader);
  *pi = 0;
  if (reader.failed)
    return IEC104_ERROR_MALFORMED_ASDU;
  if (iec104_reader_remaining (&reader) == 0)
    return header.count == 0 ? IEC104_OK : IEC104_ERROR_MALFORMED_ASDU;
  *pi = iec104_reader_u8 (&reader);
  for (size_t i = 0; i < header.count; i++)
    {
      Iec104Param *param = &params[i];
      const uint8_t *value;

      memset (param, 0, sizeof *param);
      param->ioa = iec104_reader_u24 (&reader);
      param->tag = iec104_reader_u8 (&reader);
      param->len = iec104_reader_u8 (&reader);
      if (param->len > IEC104_PARAM_VALUE_MAX)
        return IEC104_ERROR_MALFORMED_ASDU;
      value = iec104_reader_take (&reader, param->len);
      if (value == NULL)
        return IEC104_ERROR_MALFORMED_ASDU;
      memcpy (param->data, value, param->len);
    }
  error = iec104_asdu_close (&reader);
  if (error == IEC104_OK)
    *n_params = header.count;
  return error;
}
