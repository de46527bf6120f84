/* fieldflash-agent: the download's SHA-256 on a thread of its own (ff-agent-hasher.c) — the
 * digest of what is pushed, in order, while the producer fills the next buffers. */
#include "config.h"

#include <string.h>

#include "ff-agent-hasher.h"
#include "ff-crypto.h"

/* More than the ring holds, of lengths that are not all whole buffers (an empty push too, as a
 * connection that breaks before any byte of a buffer). */
static const gsize lengths[] = { FF_AGENT_HASHER_BUFFER_SIZE, 1, 16384, 0, 65535,
                                 FF_AGENT_HASHER_BUFFER_SIZE, 5, 40000, FF_AGENT_HASHER_BUFFER_SIZE,
                                 12345, 3 };

/* Pushes lengths[] of pseudo-random bytes seeded by @seed; returns what was pushed. */
static GByteArray *
push_all (FfAgentHasher *hasher, guint32 seed)
{
  GByteArray *all = g_byte_array_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      guint8 *buffer = ff_agent_hasher_get_buffer (hasher);

      for (gsize j = 0; j < lengths[i]; j++)
        buffer[j] = g_rand_int (rand);
      g_byte_array_append (all, buffer, lengths[i]);
      ff_agent_hasher_push (hasher, lengths[i]);
    }
  return all;
}

/* The digest is that of the bytes in the order pushed, each buffer filled while the ones before
 * it may still be hashed; after a finish the hasher starts from empty. */
static void
test_digest_in_order (void)
{
  g_autoptr(FfAgentHasher) hasher = ff_agent_hasher_new ();

  for (guint32 seed = 1; seed <= 3; seed++)
    {
      g_autoptr(GByteArray) all = push_all (hasher, seed);
      g_autofree char *expected = ff_sha256_hex (all->data, all->len);
      g_autofree char *digest = ff_agent_hasher_finish_hex (hasher);

      g_assert_cmpstr (digest, ==, expected);
    }
  {
    g_autofree char *empty = ff_agent_hasher_finish_hex (hasher);
    g_autofree char *expected = ff_sha256_hex ("", 0);

    g_assert_cmpstr (empty, ==, expected);
  }
}

/* A buffer handed over is never given to the producer again before it is hashed: consecutive
 * buffers are distinct ones (the producer fills one while the others are hashed), and a buffer
 * taken and not pushed is the one returned next. */
static void
test_buffers (void)
{
  g_autoptr(FfAgentHasher) hasher = ff_agent_hasher_new ();
  guint8 *seen[4];

  for (gsize i = 0; i < G_N_ELEMENTS (seen); i++)
    {
      seen[i] = ff_agent_hasher_get_buffer (hasher);
      g_assert_true (ff_agent_hasher_get_buffer (hasher) == seen[i]);
      memset (seen[i], 'a' + i, 100);
      ff_agent_hasher_push (hasher, 100);
      for (gsize j = 0; j < i; j++)
        g_assert_true (seen[j] != seen[i]);
    }
  {
    g_autofree char *digest = ff_agent_hasher_finish_hex (hasher);
    guint8 expected_bytes[400];
    g_autofree char *expected = NULL;

    for (gsize i = 0; i < 4; i++)
      memset (expected_bytes + 100 * i, 'a' + i, 100);
    expected = ff_sha256_hex (expected_bytes, sizeof expected_bytes);
    g_assert_cmpstr (digest, ==, expected);
  }
}

/* Fewer buffers than wake a sleeping hasher: finishing hashes them all the same. */
static void
test_one_buffer (void)
{
  g_autoptr(FfAgentHasher) hasher = ff_agent_hasher_new ();
  g_autofree char *expected = ff_sha256_hex ("x", 1);
  g_autofree char *digest = NULL;

  *ff_agent_hasher_get_buffer (hasher) = 'x';
  ff_agent_hasher_push (hasher, 1);
  digest = ff_agent_hasher_finish_hex (hasher);
  g_assert_cmpstr (digest, ==, expected);
}

/* Freed with buffers still pushed (a download that failed): its thread stops. */
static void
test_free_pending (void)
{
  FfAgentHasher *hasher = ff_agent_hasher_new ();

  g_byte_array_unref (push_all (hasher, 7));
  ff_agent_hasher_free (hasher);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/hasher/digest-in-order", test_digest_in_order);
  g_test_add_func ("/agent/hasher/buffers", test_buffers);
  g_test_add_func ("/agent/hasher/one-buffer", test_one_buffer);
  g_test_add_func ("/agent/hasher/free-pending", test_free_pending);
  return g_test_run ();
}
