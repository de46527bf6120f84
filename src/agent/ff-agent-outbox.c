/* The outbox of signed results (see ff-agent-outbox.h). */
#include "config.h"

#include "ff-agent-outbox.h"

#include <glib/gstdio.h>
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

static char *
result_path (FfAgentOutbox *outbox, const char *result_id)
{
  g_autofree char *name = g_strconcat (result_id, ".json", NULL);

  return g_build_filename (outbox->dir, name, NULL);
}

gboolean
ff_agent_outbox_add (FfAgentOutbox *outbox, const char *result_id, GBytes *envelope,
                     GError **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (ff_remote_id_is_valid (result_id), FALSE);
  path = result_path (outbox, result_id);
  return ff_agent_write_file (path, g_bytes_get_data (envelope, NULL),
                              g_bytes_get_size (envelope), error);
}

gboolean
ff_agent_outbox_remove (FfAgentOutbox *outbox, const char *result_id)
{
  g_autofree char *path = NULL;

  /* The ID comes from a document: only an ID's form may become a file name. */
  if (!ff_remote_id_is_valid (result_id))
    return FALSE;
  path = result_path (outbox, result_id);
  if (g_unlink (path) != 0)
    return FALSE;
  ff_fsync_directory (outbox->dir, NULL);
  return TRUE;
}

typedef struct
{
  gint64 mtime;
  char *name;
} Entry;

static int
compare_entries (gconstpointer a, gconstpointer b)
{
  const Entry *x = a, *y = b;

  return x->mtime < y->mtime ? -1 : x->mtime > y->mtime ? 1 : g_strcmp0 (x->name, y->name);
}

GPtrArray *
ff_agent_outbox_list (FfAgentOutbox *outbox)
{
  GPtrArray *envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GDir) dir = g_dir_open (outbox->dir, 0, NULL);
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      struct stat info;
      Entry entry;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      path = g_build_filename (outbox->dir, name, NULL);
      if (stat (path, &info) != 0)
        continue;
      entry.mtime = (gint64) info.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                    + info.st_mtim.tv_nsec;
      entry.name = g_strdup (name);
      g_array_append_val (entries, entry);
    }
  g_array_sort (entries, compare_entries);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = &g_array_index (entries, Entry, i);
      g_autofree char *path = g_build_filename (outbox->dir, entry->name, NULL);
      char *contents;
      gsize length;

      if (g_file_get_contents (path, &contents, &length, NULL))
        g_ptr_array_add (envelopes, g_bytes_new_take (contents, length));
      g_free (entry->name);
    }
  return envelopes;
}
