/* Unit tests of the swarm's journal: it stays bounded however many commands its terminals execute
 * (compacted while the swarm runs and at its start), a restart after a compaction still knows each
 * terminal's last command and its unacknowledged results, and swarms sharing it lose nothing of
 * each other's when one compacts. */
#include "config.h"

#include <glib/gstdio.h>

#include "ff-files.h"
#include "ff-remote-doc.h"
#include "ff-sim-swarm-journal.h"

#define PASS_LINES 100

typedef struct
{
  GPtrArray *executed;   /* "DEVICE-ID COMMAND-ID RESULT-ID ENVELOPE" or "DEVICE-ID COMMAND-ID done" */
  guint      acked;
} Replay;

static void
on_executed (const char *device_id,
             const char *command_id,
             const char *result_id,
             GBytes     *result,
             gpointer    user_data)
{
  Replay *replay = user_data;

  g_assert_true ((result_id == NULL) == (result == NULL));
  if (result == NULL)
    g_ptr_array_add (replay->executed, g_strdup_printf ("%s %s done", device_id, command_id));
  else
    g_ptr_array_add (replay->executed,
                     g_strdup_printf ("%s %s %s %.*s", device_id, command_id, result_id,
                                      (int) g_bytes_get_size (result),
                                      (const char *) g_bytes_get_data (result, NULL)));
}

static void
on_acked (const char *device_id,
          const char *result_id,
          gpointer    user_data)
{
  ((Replay *) user_data)->acked++;
}

/* Opens the journal at @path; what it replays goes to @replay. */
static FfSimSwarmJournal *
open_journal (const char *path,
              Replay     *replay)
{
  g_autoptr(GError) error = NULL;
  FfSimSwarmJournal *journal;

  if (replay->executed == NULL)
    replay->executed = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_set_size (replay->executed, 0);
  replay->acked = 0;
  journal = ff_sim_swarm_journal_open (path, on_executed, on_acked, replay, &error);
  g_assert_no_error (error);
  return journal;
}

static guint
count_lines (const char *path)
{
  g_autofree char *contents = NULL;
  guint lines = 0;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  for (const char *p = contents; *p != '\0'; p++)
    lines += *p == '\n';
  return lines;
}

static void
sync_journal (FfSimSwarmJournal *journal)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ff_sim_swarm_journal_sync (journal, &error));
  g_assert_no_error (error);
}

/* @device_id executes a new command; its result is acknowledged at once when @acked. Returns the
 * replayed form of its execution (as on_executed writes it). */
static char *
execute (FfSimSwarmJournal *journal,
         const char        *device_id,
         gboolean           acked)
{
  g_autofree char *command_id = ff_remote_id_new ();
  g_autofree char *result_id = ff_remote_id_new ();
  g_autofree char *envelope = g_strdup_printf ("{\"document\":\"%s\"}", result_id);
  g_autoptr(GBytes) result = g_bytes_new (envelope, strlen (envelope));

  ff_sim_swarm_journal_add_executed (journal, device_id, command_id, result_id, result);
  if (!acked)
    return g_strdup_printf ("%s %s %s %s", device_id, command_id, result_id, envelope);
  ff_sim_swarm_journal_add_acked (journal, device_id, result_id);
  return g_strdup_printf ("%s %s done", device_id, command_id);
}

/* Keeps @value (owned) in @slot (GLib 2.74 has no g_set_str). */
static void
keep (char **slot,
      char  *value)
{
  g_free (*slot);
  *slot = value;
}

static void
assert_replayed (const Replay *replay,
                 const char  **expected,
                 guint         n_expected)
{
  g_assert_cmpuint (replay->acked, ==, 0);
  g_assert_cmpuint (replay->executed->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    g_assert_true (g_ptr_array_find_with_equal_func (replay->executed, expected[i], g_str_equal,
                                                     NULL));
}

/* Many passes of commands: the journal never grows past a bound, and what a restart reads back of
 * it is each terminal's last command and its unacknowledged results. */
static void
test_bounded_while_running (void)
{
  g_autofree char *root = g_dir_make_tmp ("ff-swarm-journal-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (root, "swarm.journal", NULL);
  g_autofree char *pending = NULL, *last_pending = NULL, *last_done = NULL;
  Replay replay = { NULL };
  FfSimSwarmJournal *journal = open_journal (path, &replay);
  guint passes = 10 * FF_SIM_SWARM_JOURNAL_COMPACT_MIN / PASS_LINES;

  g_assert_cmpuint (replay.executed->len, ==, 0);
  for (guint pass = 0; pass < passes; pass++)
    {
      /* A pass of executions and acknowledgements of two terminals; NET-0002 leaves one result
       * unacknowledged in the 5th pass and one in the last. */
      for (guint i = 0; i < PASS_LINES / 4; i++)
        {
          g_autofree char *one = execute (journal, "NET-0001", TRUE);
          gboolean leave = i == 0 && (pass == 4 || pass == passes - 1);
          g_autofree char *two = execute (journal, "NET-0002", !leave);

          if (pass == passes - 1 && i == PASS_LINES / 4 - 1)
            keep (&last_done, g_steal_pointer (&one));
          if (leave && pass == 4)
            keep (&pending, g_steal_pointer (&two));
          else if (leave)
            keep (&last_pending, g_steal_pointer (&two));
        }
      sync_journal (journal);
      g_assert_cmpuint (count_lines (path), <=, FF_SIM_SWARM_JOURNAL_COMPACT_MIN + 2 * PASS_LINES);
    }
  /* NET-0002's last command is acknowledged after the unacknowledged one: its done line. */
  {
    g_autofree char *last_two = execute (journal, "NET-0002", TRUE);
    const char *expected[] = { last_done, pending, last_pending, last_two };

    sync_journal (journal);
    ff_sim_swarm_journal_free (journal);
    /* Compacted at the start, after the replay of what was appended since the last compaction:
     * then nothing but those. */
    journal = open_journal (path, &replay);
    g_assert_cmpuint (count_lines (path), ==, G_N_ELEMENTS (expected));
    ff_sim_swarm_journal_free (journal);
    journal = open_journal (path, &replay);
    assert_replayed (&replay, expected, G_N_ELEMENTS (expected));
  }
  ff_sim_swarm_journal_free (journal);
  g_ptr_array_unref (replay.executed);
  g_assert_cmpint (ff_remove_tree (root), ==, 0);
}

/* A journal of many lines from before (and a last line cut short by a crash) is compacted at the
 * start, keeping the executed command still retained on the broker. */
static void
test_compacted_at_start (void)
{
  g_autofree char *root = g_dir_make_tmp ("ff-swarm-journal-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (root, "swarm.journal", NULL);
  g_autofree char *retained = ff_remote_id_new ();
  g_autofree char *retained_result = ff_remote_id_new ();
  g_autoptr(GString) lines = g_string_new (NULL);
  g_autofree char *expected_retained = NULL;
  Replay replay = { NULL };
  FfSimSwarmJournal *journal;

  for (guint i = 0; i < 5000; i++)
    {
      g_autofree char *command_id = ff_remote_id_new ();
      g_autofree char *result_id = ff_remote_id_new ();

      g_string_append_printf (lines, "executed NET-0001 %s %s {}\nacked NET-0001 %s\n",
                              command_id, result_id, result_id);
    }
  /* The command the broker still holds retained: executed, its result not acknowledged. */
  g_string_append_printf (lines, "executed NET-0001 %s %s {\"r\":1}\n", retained, retained_result);
  g_string_append_printf (lines, "executed NET-0002 %s", retained);
  g_assert_true (g_file_set_contents (path, lines->str, (gssize) lines->len, NULL));
  expected_retained = g_strdup_printf ("NET-0001 %s %s {\"r\":1}", retained, retained_result);

  journal = open_journal (path, &replay);
  g_assert_cmpuint (replay.executed->len, ==, 5001);
  g_assert_cmpuint (replay.acked, ==, 5000);
  ff_sim_swarm_journal_free (journal);
  g_assert_cmpuint (count_lines (path), ==, 1);
  journal = open_journal (path, &replay);
  assert_replayed (&replay, (const char *[]) { expected_retained }, 1);
  ff_sim_swarm_journal_free (journal);
  g_ptr_array_unref (replay.executed);
  g_assert_cmpint (ff_remove_tree (root), ==, 0);
}

/* Two swarms over one journal: one compacts it (renames a new file over it); the other's next
 * lines go to the new file, not to the one it had open. */
static void
test_shared (void)
{
  g_autofree char *root = g_dir_make_tmp ("ff-swarm-journal-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (root, "swarm.journal", NULL);
  g_autofree char *first = NULL, *second = NULL, *last_two = NULL;
  Replay replay_one = { NULL }, replay_two = { NULL };
  FfSimSwarmJournal *one = open_journal (path, &replay_one);
  FfSimSwarmJournal *two = open_journal (path, &replay_two);

  first = execute (one, "NET-0001", FALSE);
  sync_journal (one);
  /* NET-0002's swarm appends enough to compact: NET-0001's line and NET-0002's last are left. */
  for (guint pass = 0; pass <= FF_SIM_SWARM_JOURNAL_COMPACT_MIN / PASS_LINES; pass++)
    {
      for (guint i = 0; i < PASS_LINES / 2; i++)
        keep (&last_two, execute (two, "NET-0002", TRUE));
      sync_journal (two);
    }
  g_assert_cmpuint (count_lines (path), ==, 2);
  second = execute (one, "NET-0001", FALSE);
  sync_journal (one);
  ff_sim_swarm_journal_free (one);
  ff_sim_swarm_journal_free (two);
  one = open_journal (path, &replay_one);
  assert_replayed (&replay_one, (const char *[]) { first, second, last_two }, 3);
  ff_sim_swarm_journal_free (one);
  g_ptr_array_unref (replay_one.executed);
  g_ptr_array_unref (replay_two.executed);
  g_assert_cmpint (ff_remove_tree (root), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/swarm-journal/bounded-while-running", test_bounded_while_running);
  g_test_add_func ("/sim/swarm-journal/compacted-at-start", test_compacted_at_start);
  g_test_add_func ("/sim/swarm-journal/shared", test_shared);
  return g_test_run ();
}
