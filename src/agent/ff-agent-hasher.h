/* SHA-256 of a download taken on its own thread, overlapped with the reading (docs/agent.md). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The size of each of the hasher's buffers: four of the platform's 16 KiB TLS records. */
#define FF_AGENT_HASHER_BUFFER_SIZE (64 * 1024)

/* A few fixed buffers shared by one producer (the thread that reads the bytes) and a thread of
 * the hasher's own, which hashes what the producer pushes, in the order pushed. */
typedef struct _FfAgentHasher FfAgentHasher;

FfAgentHasher *ff_agent_hasher_new        (void);
/* A buffer of FF_AGENT_HASHER_BUFFER_SIZE bytes to fill; waits while every buffer is still being
 * hashed. Until it is pushed, the same buffer is returned again. */
guint8        *ff_agent_hasher_get_buffer (FfAgentHasher *hasher);
/* Hands the buffer ff_agent_hasher_get_buffer() returned to the hasher's thread, its first
 * @length bytes to be hashed after everything pushed before. The producer must not touch it
 * any more. */
void           ff_agent_hasher_push       (FfAgentHasher *hasher,
                                           gsize          length);
/* Waits until everything pushed is hashed; its digest as lowercase hex. The hasher starts again
 * from empty. */
char          *ff_agent_hasher_finish_hex (FfAgentHasher *hasher);
/* Stops the thread (what was pushed and not hashed yet is dropped). */
void           ff_agent_hasher_free       (FfAgentHasher *hasher);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfAgentHasher, ff_agent_hasher_free)

G_END_DECLS
