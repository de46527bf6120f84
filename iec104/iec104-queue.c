/* iec104-queue.c: growable FIFO and byte stream used for events, queued ASDUs and link output. */
#include "iec104-queue-private.h"

#include <stdlib.h>
#include <string.h>

void
iec104_queue_init (Iec104Queue *queue, size_t elem_size)
{
  memset (queue, 0, sizeof *queue);
  queue->elem_size = elem_size;
}

void
iec104_queue_clear (Iec104Queue *queue)
{
  queue->head = 0;
  queue->count = 0;
}

void
iec104_queue_destroy (Iec104Queue *queue)
{
  free (queue->items);
  queue->items = NULL;
  queue->capacity = 0;
  iec104_queue_clear (queue);
}

static bool
queue_grow (Iec104Queue *queue)
{
  size_t new_capacity = queue->capacity ? queue->capacity * 2 : 8;
  uint8_t *items = malloc (new_capacity * queue->elem_size);

  if (items == NULL)
    return false;
  /* Unwrap the ring into the new array so head restarts at 0. */
  for (size_t i = 0; i < queue->count; i++)
    memcpy (items + i * queue->elem_size,
            queue->items + ((queue->head + i) % queue->capacity) * queue->elem_size,
            queue->elem_size);
  free (queue->items);
  queue->items = items;
  queue->capacity = new_capacity;
  queue->head = 0;
  return true;
}

bool
iec104_queue_push (Iec104Queue *queue, const void *item)
{
  if (queue->count == queue->capacity && !queue_grow (queue))
    return false;
  memcpy (queue->items + ((queue->head + queue->count) % queue->capacity) * queue->elem_size,
          item, queue->elem_size);
  queue->count++;
  return true;
}

void *
iec104_queue_peek (const Iec104Queue *queue)
{
  if (queue->count == 0)
    return NULL;
  return queue->items + queue->head * queue->elem_size;
}

bool
iec104_queue_pop (Iec104Queue *queue, void *item)
{
  if (queue->count == 0)
    return false;
  memcpy (item, queue->items + queue->head * queue->elem_size, queue->elem_size);
  queue->head = (queue->head + 1) % queue->capacity;
  queue->count--;
  return true;
}

void
iec104_byte_stream_init (Iec104ByteStream *stream)
{
  memset (stream, 0, sizeof *stream);
}

void
iec104_byte_stream_clear (Iec104ByteStream *stream)
{
  stream->start = 0;
  stream->end = 0;
}

void
iec104_byte_stream_destroy (Iec104ByteStream *stream)
{
  free (stream->data);
  iec104_byte_stream_init (stream);
}

bool
iec104_byte_stream_append (Iec104ByteStream *stream, const uint8_t *data, size_t len)
{
  if (len == 0)
    return true;
  if (stream->end + len > stream->capacity)
    {
      size_t used = stream->end - stream->start;

      if (used + len <= stream->capacity / 2)
        {
          /* Enough room once the consumed prefix is dropped. */
          memmove (stream->data, stream->data + stream->start, used);
        }
      else
        {
          size_t new_capacity = stream->capacity ? stream->capacity : 1024;
          uint8_t *new_data;

          while (new_capacity < used + len)
            new_capacity *= 2;
          new_data = malloc (new_capacity);
          if (new_data == NULL)
            return false;
          if (used > 0)
            memcpy (new_data, stream->data + stream->start, used);
          free (stream->data);
          stream->data = new_data;
          stream->capacity = new_capacity;
        }
      stream->start = 0;
      stream->end = used;
    }
  memcpy (stream->data + stream->end, data, len);
  stream->end += len;
  return true;
}

size_t
iec104_byte_stream_peek (const Iec104ByteStream *stream, const uint8_t **data)
{
  /* Nothing was ever appended: data is NULL, and NULL + 0 is undefined. */
  *data = stream->data ? stream->data + stream->start : NULL;
  return stream->end - stream->start;
}

void
iec104_byte_stream_consume (Iec104ByteStream *stream, size_t n)
{
  size_t used = stream->end - stream->start;

  stream->start += n < used ? n : used;
  if (stream->start == stream->end)
    iec104_byte_stream_clear (stream);
}
