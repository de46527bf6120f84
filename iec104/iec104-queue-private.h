/* iec104-queue-private.h: a growable FIFO of fixed-size records, and a growable byte stream. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* FIFO of records of elem_size bytes (events, queued ASDUs). */
typedef struct
{
  uint8_t *items;
  size_t elem_size;
  size_t capacity;
  size_t head;
  size_t count;
} Iec104Queue;

void iec104_queue_init (Iec104Queue *queue, size_t elem_size);
void iec104_queue_clear (Iec104Queue *queue);
void iec104_queue_destroy (Iec104Queue *queue);
/* Copies `item` to the tail; false when out of memory. */
bool iec104_queue_push (Iec104Queue *queue, const void *item);
/* Copies the head into `item` and removes it; false when empty. */
bool iec104_queue_pop (Iec104Queue *queue, void *item);
/* The head without removing it, or NULL. */
void *iec104_queue_peek (const Iec104Queue *queue);

/* Bytes appended at the end and consumed from the front (link output). */
typedef struct
{
  uint8_t *data;
  size_t capacity;
  size_t start;
  size_t end;
} Iec104ByteStream;

void iec104_byte_stream_init (Iec104ByteStream *stream);
void iec104_byte_stream_clear (Iec104ByteStream *stream);
void iec104_byte_stream_destroy (Iec104ByteStream *stream);
bool iec104_byte_stream_append (Iec104ByteStream *stream, const uint8_t *data, size_t len);
size_t iec104_byte_stream_peek (const Iec104ByteStream *stream, const uint8_t **data);
void iec104_byte_stream_consume (Iec104ByteStream *stream, size_t n);
