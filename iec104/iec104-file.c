/* iec104-file.c: the Chinese file service ASDU (type 210, operations 1-10) and its checksum. */
#include "iec104-asdu-private.h"

#include <stddef.h>
#include <string.h>

uint8_t
iec104_checksum_sum8 (const uint8_t *data, size_t len)
{
  unsigned sum = 0;

  for (size_t i = 0; i < len; i++)
    sum += data[i];
  return (uint8_t) sum;
}

const char *
iec104_write_act_result_name (unsigned result)
{
  switch (result)
    {
    case IEC104_WRITE_ACT_OK: return "success";
    case IEC104_WRITE_ACT_UNKNOWN_ERROR: return "unknown error";
    case IEC104_WRITE_ACT_NAME_NOT_SUPPORTED: return "file name not supported";
    case IEC104_WRITE_ACT_LENGTH_OUT_OF_RANGE: return "file length out of range";
    default: return "unknown result";
    }
}

const char *
iec104_write_data_result_name (unsigned result)
{
  switch (result)
    {
    case IEC104_WRITE_DATA_OK: return "success";
    case IEC104_WRITE_DATA_UNKNOWN_ERROR: return "unknown error";
    case IEC104_WRITE_DATA_CHECKSUM_ERROR: return "checksum error";
    case IEC104_WRITE_DATA_LENGTH_MISMATCH: return "file length mismatch";
    case IEC104_WRITE_DATA_FILE_ID_MISMATCH: return "file ID differs from the activation";
    default: return "unknown result";
    }
}

static void
write_name (Iec104Writer *writer, const char *name)
{
  size_t len = iec104_bounded_strlen (name, IEC104_FILE_NAME_MAX + 1);

  if (len > IEC104_FILE_NAME_MAX)
    {
      writer->failed = true;
      return;
    }
  iec104_writer_u8 (writer, (uint8_t) len);
  iec104_writer_bytes (writer, name, len);
}

static void
write_time (Iec104Writer *writer, const Iec104Cp56Time *time)
{
  uint8_t *p = iec104_writer_reserve (writer, IEC104_CP56_SIZE);

  if (p)
    iec104_cp56_encode (time, p);
}

Iec104Error
iec104_asdu_encode_file (Iec104Asdu *asdu, uint16_t common_address, uint8_t cot,
                         const Iec104FileMessage *message)
{
  Iec104Writer writer;

  if (message == NULL || message->op < IEC104_FILE_OP_DIR_CALL
      || message->op > IEC104_FILE_OP_WRITE_DATA_CON
      || message->n_entries > IEC104_DIR_ENTRIES_MAX
      || (message->data_len > 0 && message->data == NULL))
    return IEC104_ERROR_INVALID_ARGUMENT;

  iec104_asdu_begin (asdu, &writer, IEC104_TI_FILE_210, false, 1, cot, false, common_address);
  iec104_writer_u24 (&writer, 0);
  iec104_writer_u8 (&writer, message->pkt);
  iec104_writer_u8 (&writer, (uint8_t) message->op);
  switch (message->op)
    {
    case IEC104_FILE_OP_DIR_CALL:
      iec104_writer_u32 (&writer, message->dir_id);
      write_name (&writer, message->name);
      iec104_writer_u8 (&writer, message->call_flag);
      write_time (&writer, &message->start_time);
      write_time (&writer, &message->end_time);
      break;
    case IEC104_FILE_OP_DIR_CONFIRM:
      iec104_writer_u8 (&writer, message->result);
      iec104_writer_u32 (&writer, message->dir_id);
      iec104_writer_u8 (&writer, message->follow);
      iec104_writer_u8 (&writer, (uint8_t) message->n_entries);
      for (size_t i = 0; i < message->n_entries; i++)
        {
          write_name (&writer, message->entries[i].name);
          iec104_writer_u8 (&writer, message->entries[i].attributes);
          iec104_writer_u32 (&writer, message->entries[i].size);
          write_time (&writer, &message->entries[i].time);
        }
      break;
    case IEC104_FILE_OP_READ_ACT:
      write_name (&writer, message->name);
      break;
    case IEC104_FILE_OP_READ_ACT_CON:
    case IEC104_FILE_OP_WRITE_ACT_CON:
      iec104_writer_u8 (&writer, message->result);
      /* fall through */
    case IEC104_FILE_OP_WRITE_ACT:
      write_name (&writer, message->name);
      iec104_writer_u32 (&writer, message->file_id);
      iec104_writer_u32 (&writer, message->file_size);
      break;
    case IEC104_FILE_OP_READ_DATA:
    case IEC104_FILE_OP_WRITE_DATA:
      if (message->data_len > IEC104_SEGMENT_SIZE_MAX)
        return IEC104_ERROR_TOO_LONG;
      iec104_writer_u32 (&writer, message->file_id);
      iec104_writer_u32 (&writer, message->segment);
      iec104_writer_u8 (&writer, message->follow);
      iec104_writer_bytes (&writer, message->data, message->data_len);
      iec104_writer_u8 (&writer, iec104_checksum_sum8 (message->data, message->data_len));
      break;
    case IEC104_FILE_OP_READ_DATA_CON:
      iec104_writer_u32 (&writer, message->file_id);
      iec104_writer_u32 (&writer, message->segment);
      iec104_writer_u8 (&writer, message->follow);
      break;
    case IEC104_FILE_OP_WRITE_DATA_CON:
      iec104_writer_u32 (&writer, message->file_id);
      iec104_writer_u32 (&writer, message->segment);
      iec104_writer_u8 (&writer, message->result);
      break;
    }
  return iec104_asdu_end (asdu, &writer);
}

static bool
read_name (Iec104Reader *reader, char *name)
{
  uint8_t len = iec104_reader_u8 (reader);
  const uint8_t *bytes = iec104_reader_take (reader, len);

  if (bytes == NULL)
    return false;
  memcpy (name, bytes, len);
  name[len] = '\0';
  /* An embedded NUL would make the name differ from what was sent. */
  return memchr (bytes, '\0', len) == NULL;
}

static void
read_time (Iec104Reader *reader, Iec104Cp56Time *time)
{
  const uint8_t *p = iec104_reader_take (reader, IEC104_CP56_SIZE);

  if (p)
    iec104_cp56_decode (p, time);
}

Iec104Error
iec104_asdu_decode_file (const uint8_t *asdu, size_t len, Iec104FileMessage *message)
{
  Iec104AsduHeader header;
  Iec104Reader reader;
  Iec104Error error;
  uint8_t count;

  if (message == NULL)
    return IEC104_ERROR_INVALID_ARGUMENT;
  /* The entry array is 4 KiB: clear only what precedes it, as segments arrive by the thousand. */
  memset (message, 0, offsetof (Iec104FileMessage, entries));
  error = iec104_asdu_open (asdu, len, IEC104_TI_FILE_210, &header, &reader);
  if (error)
    return error;
  iec104_reader_u24 (&reader);
  message->pkt = iec104_reader_u8 (&reader);
  message->op = (Iec104FileOp) iec104_reader_u8 (&reader);
  if (reader.failed)
    return IEC104_ERROR_MALFORMED_ASDU;

  switch (message->op)
    {
    case IEC104_FILE_OP_DIR_CALL:
      message->dir_id = iec104_reader_u32 (&reader);
      if (!read_name (&reader, message->name))
        return IEC104_ERROR_MALFORMED_ASDU;
      message->call_flag = iec104_reader_u8 (&reader);
      read_time (&reader, &message->start_time);
      read_time (&reader, &message->end_time);
      break;
    case IEC104_FILE_OP_DIR_CONFIRM:
      message->result = iec104_reader_u8 (&reader);
      message->dir_id = iec104_reader_u32 (&reader);
      message->follow = iec104_reader_u8 (&reader) != 0;
      count = iec104_reader_u8 (&reader);
      if (count > IEC104_DIR_ENTRIES_MAX)
        return IEC104_ERROR_MALFORMED_ASDU;
      for (size_t i = 0; i < count; i++)
        {
          Iec104DirEntry *entry = &message->entries[i];

          if (!read_name (&reader, entry->name))
            return IEC104_ERROR_MALFORMED_ASDU;
          entry->attributes = iec104_reader_u8 (&reader);
          entry->size = iec104_reader_u32 (&reader);
          read_time (&reader, &entry->time);
        }
      message->n_entries = count;
      break;
    case IEC104_FILE_OP_READ_ACT:
      if (!read_name (&reader, message->name))
        return IEC104_ERROR_MALFORMED_ASDU;
      break;
    case IEC104_FILE_OP_READ_ACT_CON:
    case IEC104_FILE_OP_WRITE_ACT_CON:
      message->result = iec104_reader_u8 (&reader);
      /* fall through */
    case IEC104_FILE_OP_WRITE_ACT:
      if (!read_name (&reader, message->name))
        return IEC104_ERROR_MALFORMED_ASDU;
      message->file_id = iec104_reader_u32 (&reader);
      message->file_size = iec104_reader_u32 (&reader);
      break;
    case IEC104_FILE_OP_READ_DATA:
    case IEC104_FILE_OP_WRITE_DATA:
      message->file_id = iec104_reader_u32 (&reader);
      message->segment = iec104_reader_u32 (&reader);
      message->follow = iec104_reader_u8 (&reader) != 0;
      if (iec104_reader_remaining (&reader) < 1)
        return IEC104_ERROR_MALFORMED_ASDU;
      /* The data length is implicit: everything up to the final checksum byte. */
      message->data_len = iec104_reader_remaining (&reader) - 1;
      message->data = iec104_reader_take (&reader, message->data_len);
      message->checksum = iec104_reader_u8 (&reader);
      return reader.failed ? IEC104_ERROR_MALFORMED_ASDU : IEC104_OK;
    case IEC104_FILE_OP_READ_DATA_CON:
      message->file_id = iec104_reader_u32 (&reader);
      message->segment = iec104_reader_u32 (&reader);
      message->follow = iec104_reader_u8 (&reader) != 0;
      break;
    case IEC104_FILE_OP_WRITE_DATA_CON:
      message->file_id = iec104_reader_u32 (&reader);
      message->segment = iec104_reader_u32 (&reader);
      message->result = iec104_reader_u8 (&reader);
      break;
    default:
      return IEC104_ERROR_MALFORMED_ASDU;
    }
  /* Vendors pad some replies: trailing bytes are tolerated, missing ones are not. */
  return reader.failed ? IEC104_ERROR_MALFORMED_ASDU : IEC104_OK;
}
