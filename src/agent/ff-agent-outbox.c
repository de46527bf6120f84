/* The outbox of signed results (see ff-agent-outbox.h). */
#include "config.h"

#include "ff-agent-outbox.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ff-agent-files.h"
#include "ff-files.h"
#include "ff-remote-doc.h"

struct _FfAgentOutbox
{
  char *dir;
};

FfAgentOutbox *
ff_agent_outbox_new (const char *dir)
{
  FfAgentOutbox *outbox = g_new0 (FfAgentOutbox, 1);

  outbox->dir = g_strdup (dir);
  return outbox;
}

void
ff_agent_outbox_free (FfAgentOutbox *outbox)
{
  if (outbox == NULL)
    return;
  g_free (outbox->dir);
  g_free (outbox);
}

/* A result's file is SEQUENCE-RESULT_ID.json: the sequence, one above the highest stored, orders
 * the results where the data partition's times are too coarse to (FAT keeps 2 s). RESULT_ID.json
 * is the form an earlier agent stored; such results are older than any with a sequence. */
typedef struct
{
  gboolean has_sequence;
  guint64 sequence;
  gint64 mtime;
  char *name;
  char *result_id;
} Entry;

static void
entry_clear (gpointer data)
{
  Entry *entry = data;

  g_free (entry->name);
  g_free (entry->result_id);
}

/* Reads a stored result's name; FALSE for a file that is not one (a temporary file, say). */
static gboolean
entry_from_name (const char *name, Entry *entry)
{
  g_autofree char *stem = NULL;
  const char *dash;

  if (!g_str_has_suffix (name, ".json"))
    return FALSE;
  stem = g_strndup (name, strlen (name) - strlen (".json"));
  dash = strchr (stem, '-');
  entry->has_sequence = dash != NULL;
  entry->sequence = 0;
  if (dash != NULL)
    {
      g_autofree char *digits = g_strndup (stem, dash - stem);

      if (!g_ascii_string_to_unsigned (digits, 10, 0, G_MAXUINT64, &entry->sequence, NULL))
        return FALSE;
    }
  entry->result_id = g_strdup (dash != NULL ? dash + 1 : stem);
  if (!ff_remote_id_is_valid (entry->result_id))
    {
      g_clear_pointer (&entry->result_id, g_free);
      return FALSE;
    }
  entry->name = g_strdup (name);
  return TRUE;
}

/* Every stored result, unsorted. */
static GArray *
read_entries (FfAgentOutbox *outbox)
{
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_autoptr(GDir) dir = g_dir_open (outbox->dir, 0, NULL);
  const char *name;

  g_array_set_clear_func (entries, entry_clear);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (outbox->dir, name, NULL);
      struct stat info;
      Entry entry = { 0 };

      if (!entry_from_name (name, &entry))
        continue;
      if (stat (path, &info) != 0)
        {
          entry_clear (&entry);
          continue;
        }
      entry.mtime = (gint64) info.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                    + info.st_mtim.tv_nsec;
      g_array_append_val (entries, entry);
    }
  return entries;
}

gboolean
ff_agent_outbox_add (FfAgentOutbox *outbox, const char *result_id, GBytes *envelope,
                     GError **error)
{
  g_autoptr(GArray) entries = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  guint64 highest = 0;

  g_return_val_if_fail (ff_remote_id_is_valid (result_id), FALSE);
  entries = read_entries (outbox);
  for (guint i = 0; i < entries->len && name == NULL; i++)
    {
      Entry *entry = &g_array_index (entries, Entry, i);

      /* The same result stored again keeps its place. */
      if (strcmp (entry->result_id, result_id) == 0)
        name = g_strdup (entry->name);
      highest = MAX (highest, entry->sequence);
    }
  if (name == NULL)
    name = g_strdup_printf ("%020" G_GUINT64_FORMAT "-%s.json", highest + 1, result_id);
  path = g_build_filename (outbox->dir, name, NULL);
  return ff_agent_write_file (path, g_bytes_get_data (envelope, NULL),
                              g_bytes_get_size (envelope), error);
}

gboolean
ff_agent_outbox_remove (FfAgentOutbox *outbox, const char *result_id)
{
  g_autoptr(GArray) entries = NULL;
  gboolean removed = FALSE;

  /* The ID comes from a document: it is only compared with the stored ones, never a path. */
  if (!ff_remote_id_is_valid (result_id))
    return FALSE;
  entries = read_entries (outbox);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = &g_array_index (entries, Entry, i);
      g_autofree char *path = NULL;

      if (strcmp (entry->result_id, result_id) != 0)
        continue;
      path = g_build_filename (outbox->dir, entry->name, NULL);
      if (g_unlink (path) == 0)
        removed = TRUE;
    }
  if (removed)
    ff_fsync_directory (outbox->dir, NULL);
  return removed;
}

static int
compare_entries (gconstpointer a, gconstpointer b)
{
  const Entry *x = a, *y = b;

  if (x->has_sequence != y->has_sequence)
    return x->has_sequence ? 1 : -1;
  if (x->has_sequence)
    return x->sequence < y->sequence ? -1 : x->sequence > y->sequence ? 1 : 0;
  /* Results an earlier agent stored have only their times to order them. */
  return x->mtime < y->mtime ? -1 : x->mtime > y->mtime ? 1 : g_strcmp0 (x->name, y->name);
}

GPtrArray *
ff_agent_outbox_list (FfAgentOutbox *outbox)
{
  GPtrArray *envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GArray) entries = read_entries (outbox);

  g_array_sort (entries, compare_entries);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = &g_array_index (entries, Entry, i);
      g_autofree char *path = g_build_filename (outbox->dir, entry->name, NULL);
      char *contents;
      gsize length;

      if (g_file_get_contents (path, &contents, &length, NULL))
        g_ptr_array_add (envelopes, g_bytes_new_take (contents, length));
    }
  return envelopes;
}
