/* The state directory of the simulator: DIR/ID.img holds the running image (its version marker is
 * the terminal's version) and DIR/ID.ini the parameters written with 203. Written atomically. */
#include "config.h"

#include "ff-sim-state.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ff-files.h"
#include "ff-sim-error.h"

#define GROUP "parameters"

static char *
state_path (const char *dir,
            const char *device_id,
            const char *suffix)
{
  g_autofree char *name = g_strconcat (device_id, suffix, NULL);

  return g_build_filename (dir, name, NULL);
}

static gboolean
state_error (GError     **error,
             const char  *path,
             const char  *reason)
{
  g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_STATE,
               _("Simulator state file %s: %s"), path, reason);
  return FALSE;
}

static gboolean
write_atomically (const char  *dir,
                  const char  *path,
                  const void  *data,
                  gsize        len,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    return state_error (error, dir, g_strerror (errno));
  if (!ff_file_replace (path, data, (gssize) len, 0600, &local_error))
    return state_error (error, path, local_error->message);
  return TRUE;
}

GBytes *
ff_sim_state_load_image (const char  *dir,
                         const char  *device_id,
                         GError     **error)
{
  g_autofree char *path = state_path (dir, device_id, ".img");
  g_autoptr(GError) local_error = NULL;
  char *contents;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        state_error (error, path, local_error->message);
      return NULL;
    }
  return g_bytes_new_take (contents, len);
}

gboolean
ff_sim_state_save_image (const char  *dir,
                         const char  *device_id,
                         GBytes      *image,
                         GError     **error)
{
  g_autofree char *path = state_path (dir, device_id, ".img");
  gsize len;
  const void *data = g_bytes_get_data (image, &len);

  return write_atomically (dir, path, data, len, error);
}

static char *
ioa_key (guint32 ioa)
{
  return g_strdup_printf ("0x%04X", ioa);
}

gboolean
ff_sim_state_load_params (const char  *dir,
                          const char  *device_id,
                          GArray      *params,
                          GError     **error)
{
  g_autofree char *path = state_path (dir, device_id, ".ini");
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) keys = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      return state_error (error, path, local_error->message);
    }
  keys = g_key_file_get_keys (file, GROUP, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree char *value = g_key_file_get_string (file, GROUP, keys[i], NULL);
      g_auto(GStrv) parts = g_strsplit (value, ":", 2);
      guint64 ioa, tag;
      Iec104Param param;
      gsize hex_len;
      guint8 bytes[IEC104_PARAM_VALUE_MAX];

      if (!g_str_has_prefix (keys[i], "0x")
          || !g_ascii_string_to_unsigned (keys[i] + 2, 16, 1, 0xFFFFFF, &ioa, NULL)
          || g_strv_length (parts) != 2
          || !g_ascii_string_to_unsigned (parts[0], 10, 0, 255, &tag, NULL)
          || (hex_len = strlen (parts[1])) % 2 != 0 || hex_len / 2 > sizeof bytes)
        return state_error (error, path, _("a parameter line is malformed"));
      for (gsize b = 0; b < hex_len / 2; b++)
        {
          int high = g_ascii_xdigit_value (parts[1][2 * b]);
          int low = g_ascii_xdigit_value (parts[1][2 * b + 1]);

          if (high < 0 || low < 0)
            return state_error (error, path, _("a parameter line is malformed"));
          bytes[b] = (guint8) (high << 4 | low);
        }
      if (iec104_param_set_bytes (&param, (uint32_t) ioa, (uint8_t) tag, bytes, hex_len / 2)
          != IEC104_OK)
        return state_error (error, path, _("a parameter line is malformed"));
      g_array_append_val (params, param);
    }
  return TRUE;
}

gboolean
ff_sim_state_save_params (const char        *dir,
                          const char        *device_id,
                          const Iec104Param *params,
                          guint              n_params,
                          GError           **error)
{
  g_autofree char *path = state_path (dir, device_id, ".ini");
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize len;

  for (guint i = 0; i < n_params; i++)
    {
      g_autofree char *key = ioa_key (params[i].ioa);
      g_autoptr(GString) value = g_string_new (NULL);

      g_string_append_printf (value, "%u:", params[i].tag);
      for (guint b = 0; b < params[i].len; b++)
        g_string_append_printf (value, "%02X", params[i].data[b]);
      g_key_file_set_string (file, GROUP, key, value->str);
    }
  data = g_key_file_to_data (file, &len, NULL);
  return write_atomically (dir, path, data, len, error);
}
