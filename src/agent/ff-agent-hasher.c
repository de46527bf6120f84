/* SHA-256 on a thread of its own (see ff-agent-hasher.h).
 *
 * On the terminal the download is CPU-bound: TLS decryption, the copies into the page cache and
 * the SHA-256 of every byte (about a fifth of its CPU with the SHA extensions) ran one after the
 * other on the thread that reads. Here the reading thread fills a buffer, writes it to the part
 * file and pushes it; this thread hashes it meanwhile, so on a second core the digest costs the
 * download no time. The buffers form a ring: the producer fills the slot after the last pushed
 * one, the hasher takes the oldest; a slot is free again once hashed. */
#include "config.h"

#include "ff-agent-hasher.h"

#include "ff-crypto.h"

/* Four buffers: the hasher is some three times faster than a loopback download, so more would
 * only add to the peak memory; fewer would make the reader wait whenever the hasher's thread
 * waits for a CPU. */
#define BUFFER_COUNT 4
/* A sleeping hasher is woken once this many buffers wait, then hashes until none is left: a
 * wakeup costs both threads a futex call and a trip through the scheduler (with one per buffer
 * the download's CPU measured up to twice that of the single thread's on a loaded machine,
 * docs/agent.md). */
#define WAKE_AT 2

struct _FfAgentHasher
{
  FfSha256 *sha256;
  GThread *thread;
  guint8 *memory;
  /* Under lock: the slot to hash next, the slots pushed and not hashed yet (the one being
   * hashed included), the length of each, whether the thread is to stop, and which side sleeps
   * on the condition (only a sleeper is woken: each wakeup is a system call). */
  GMutex lock;
  GCond cond;
  guint head;
  guint count;
  gsize lengths[BUFFER_COUNT];
  gboolean stop;
  gboolean hasher_waiting;
  gboolean producer_waiting;
};

/* Under lock. */
static void
wake (FfAgentHasher *hasher, gboolean *waiting)
{
  if (*waiting)
    g_cond_broadcast (&hasher->cond);
  *waiting = FALSE;
}

static guint8 *
slot_buffer (FfAgentHasher *hasher, guint slot)
{
  return hasher->memory + (gsize) slot * FF_AGENT_HASHER_BUFFER_SIZE;
}

static gpointer
hasher_thread (gpointer data)
{
  FfAgentHasher *hasher = data;

  g_mutex_lock (&hasher->lock);
  while (TRUE)
    {
      guint slot;

      while (hasher->count == 0 && !hasher->stop)
        {
          hasher->hasher_waiting = TRUE;
          g_cond_wait (&hasher->cond, &hasher->lock);
        }
      hasher->hasher_waiting = FALSE;
      if (hasher->stop)
        break;
      slot = hasher->head;
      g_mutex_unlock (&hasher->lock);
      ff_sha256_update (hasher->sha256, slot_buffer (hasher, slot), hasher->lengths[slot]);
      g_mutex_lock (&hasher->lock);
      hasher->head = (slot + 1) % BUFFER_COUNT;
      hasher->count--;
      /* A slot is free, or all are: what the producer waits for. */
      wake (hasher, &hasher->producer_waiting);
    }
  g_mutex_unlock (&hasher->lock);
  return NULL;
}

FfAgentHasher *
ff_agent_hasher_new (void)
{
  FfAgentHasher *hasher = g_new0 (FfAgentHasher, 1);

  hasher->sha256 = ff_sha256_new ();
  /* One block of 256 KiB: mapped on its own (M_MMAP_THRESHOLD, main.c), its pages resident only
   * once used, and unmapped with the hasher. */
  hasher->memory = g_malloc ((gsize) BUFFER_COUNT * FF_AGENT_HASHER_BUFFER_SIZE);
  g_mutex_init (&hasher->lock);
  g_cond_init (&hasher->cond);
  hasher->thread = g_thread_new ("ff-hasher", hasher_thread, hasher);
  return hasher;
}

guint8 *
ff_agent_hasher_get_buffer (FfAgentHasher *hasher)
{
  guint slot;

  g_mutex_lock (&hasher->lock);
  while (hasher->count == BUFFER_COUNT)
    {
      hasher->producer_waiting = TRUE;
      g_cond_wait (&hasher->cond, &hasher->lock);
    }
  slot = (hasher->head + hasher->count) % BUFFER_COUNT;
  g_mutex_unlock (&hasher->lock);
  return slot_buffer (hasher, slot);
}

void
ff_agent_hasher_push (FfAgentHasher *hasher, gsize length)
{
  g_return_if_fail (length <= FF_AGENT_HASHER_BUFFER_SIZE);

  g_mutex_lock (&hasher->lock);
  /* Free: ff_agent_hasher_get_buffer() returned it, and only this thread fills slots. */
  g_assert (hasher->count < BUFFER_COUNT);
  hasher->lengths[(hasher->head + hasher->count) % BUFFER_COUNT] = length;
  if (++hasher->count >= WAKE_AT)
    wake (hasher, &hasher->hasher_waiting);
  g_mutex_unlock (&hasher->lock);
}

char *
ff_agent_hasher_finish_hex (FfAgentHasher *hasher)
{
  g_mutex_lock (&hasher->lock);
  /* Fewer than WAKE_AT buffers may wait for a sleeping hasher. */
  if (hasher->count > 0)
    wake (hasher, &hasher->hasher_waiting);
  while (hasher->count > 0)
    {
      hasher->producer_waiting = TRUE;
      g_cond_wait (&hasher->cond, &hasher->lock);
    }
  g_mutex_unlock (&hasher->lock);
  return ff_sha256_finish_hex (hasher->sha256);
}

void
ff_agent_hasher_free (FfAgentHasher *hasher)
{
  if (hasher == NULL)
    return;
  g_mutex_lock (&hasher->lock);
  hasher->stop = TRUE;
  g_cond_broadcast (&hasher->cond);
  g_mutex_unlock (&hasher->lock);
  g_thread_join (hasher->thread);
  g_cond_clear (&hasher->cond);
  g_mutex_clear (&hasher->lock);
  g_free (hasher->memory);
  ff_sha256_free (hasher->sha256);
  g_free (hasher);
}
