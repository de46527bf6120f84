/* The torn write of a redundant U-Boot environment, for tests (see ff-env-tear.h). */
#include "config.h"

#include "ff-env-tear.h"

#include <string.h>

struct _FfEnvTear
{
  GPtrArray *paths;
  GPtrArray *before;   /* GBytes of each copy, NULL when it could not be read */
};

FfEnvTear *
ff_env_tear_before_store (const char *fw_env_config)
{
  FfEnvTear *tear = g_new0 (FfEnvTear, 1);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  tear->paths = g_ptr_array_new_with_free_func (g_free);
  tear->before = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  if (!g_file_get_contents (fw_env_config, &contents, NULL, NULL))
    return tear;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit_set (g_strstrip (lines[i]), " \t", 2);
      char *data = NULL;
      gsize length = 0;

      if (words[0] == NULL || words[0][0] == '\0' || words[0][0] == '#')
        continue;
      g_file_get_contents (words[0], &data, &length, NULL);
      g_ptr_array_add (tear->paths, g_strdup (words[0]));
      g_ptr_array_add (tear->before, g_bytes_new_take (data, length));
    }
  return tear;
}

/* The index of the copy that changed, its new bytes in @new_data; -1 when none did. */
static int
find_changed (FfEnvTear *tear, char **new_data, gsize *length)
{
  for (guint i = 0; i < tear->paths->len; i++)
    {
      GBytes *old = g_ptr_array_index (tear->before, i);
      gsize old_length;
      const char *old_data = g_bytes_get_data (old, &old_length);

      if (g_file_get_contents (g_ptr_array_index (tear->paths, i), new_data, length, NULL)
          && *length == old_length && memcmp (*new_data, old_data, old_length) != 0)
        return i;
      g_clear_pointer (new_data, g_free);
    }
  return -1;
}

gboolean
ff_env_tear_any_changed (FfEnvTear *tear)
{
  g_autofree char *new_data = NULL;
  gsize length;

  return find_changed (tear, &new_data, &length) >= 0;
}

gboolean
ff_env_tear_changed_copy (FfEnvTear *tear)
{
  g_autofree char *new_data = NULL;
  gsize length, old_length, first = 0, last, middle;
  int i = find_changed (tear, &new_data, &length);
  const char *old_data;

  if (i < 0)
    return FALSE;
  old_data = g_bytes_get_data (g_ptr_array_index (tear->before, i), &old_length);
  while (new_data[first] == old_data[first])
    first++;
  last = length - 1;
  while (new_data[last] == old_data[last])
    last--;
  middle = (first + last + 1) / 2;
  memcpy (new_data + middle, old_data + middle, length - middle);
  g_file_set_contents_full (g_ptr_array_index (tear->paths, i), new_data, length,
                            G_FILE_SET_CONTENTS_DURABLE, 0600, NULL);
  return TRUE;
}

void
ff_env_tear_free (FfEnvTear *tear)
{
  if (tear == NULL)
    return;
  g_ptr_array_unref (tear->paths);
  g_ptr_array_unref (tear->before);
  g_free (tear);
}
