/* Imports smart meters into the ledger from CSV: all rows or none (ff-platform-meter-import.h). */
#include "config.h"

#include "ff-platform-meter-import.h"

#include "ff-document.h"
#include "ff-meter-coap.h"
#include "ff-platform-csv.h"
#include "ff-platform-error.h"
#include "ff-platform-meters.h"

#include <glib/gi18n-lib.h>

#define MAX_METERS_SIZE ((gsize) 1 << 30)
#define PSK_COLUMN "psk"

const char *const ff_meter_import_columns[] = {
  "meter_id", "name", "vendor", "model", "apps", NULL
};

enum
{
  COLUMN_METER_ID,
  COLUMN_NAME,
  COLUMN_VENDOR,
  COLUMN_MODEL,
  COLUMN_APPS,
  N_COLUMNS
};

static void
row_free (gpointer data)
{
  FfMeterImportRow *row = data;

  ff_meter_free (row->meter);
  g_hash_table_unref (row->apps);
  g_free (row);
}

/* Returns NULL and sets @problem (a static, translated text) for a bad row. */
static FfMeterImportRow *
row_from_fields (GPtrArray   *fields,
                 gboolean     with_psk,
                 const char **problem)
{
  const char *const *f = (const char *const *) fields->pdata;
  g_autoptr(GHashTable) apps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) items = NULL;
  g_autoptr(GBytes) psk = NULL;
  FfMeterImportRow *row;

  if (fields->len != N_COLUMNS + (with_psk ? 1 : 0))
    {
      *problem = with_psk ? _("the row does not have 6 fields (the header names psk)")
                          : _("the row does not have 5 fields");
      return NULL;
    }
  for (guint i = 0; i < fields->len; i++)
    if (ff_text_has_control (f[i]))
      {
        *problem = _("a field holds a control character (such as an escape, a bell or a line "
                     "break)");
        return NULL;
      }
  if (!ff_meter_id_is_valid (f[COLUMN_METER_ID]) || !ff_name_is_safe (f[COLUMN_VENDOR])
      || !ff_name_is_safe (f[COLUMN_MODEL]))
    {
      *problem = _("meter_id, vendor and model must be names without path separators, \"..\" or "
                   "control characters, and a meter ID without “*”, “&”, “=”, “?”, “#” or “%”");
      return NULL;
    }
  if (strlen (f[COLUMN_NAME]) > FF_NAME_MAX_LENGTH)
    {
      *problem = _("the name must have at most 128 bytes");
      return NULL;
    }
  items = *f[COLUMN_APPS] != '\0' ? g_strsplit (f[COLUMN_APPS], ";", -1) : g_new0 (char *, 1);
  for (guint i = 0; items[i] != NULL; i++)
    if (!ff_meter_app_versions_add (apps, items[i]))
      {
        *problem = _("the apps must be APP=VERSION items separated by “;”, each app once (a "
                     "version such as 1.2.0)");
        return NULL;
      }
  if (with_psk && *f[N_COLUMNS] != '\0' && !(psk = ff_meter_coap_psk_from_hex (f[N_COLUMNS])))
    {
      *problem = _("the psk must be empty or the meter's DTLS key as 32 to 128 hexadecimal "
                   "digits");
      return NULL;
    }
  row = g_new0 (FfMeterImportRow, 1);
  row->meter = g_new0 (FfMeter, 1);
  row->meter->meter_id = g_strdup (f[COLUMN_METER_ID]);
  /* As meters add: a meter without a name goes by its ID. */
  row->meter->name = g_strdup (*f[COLUMN_NAME] != '\0' ? f[COLUMN_NAME] : f[COLUMN_METER_ID]);
  row->meter->vendor = g_strdup (f[COLUMN_VENDOR]);
  row->meter->model = g_strdup (f[COLUMN_MODEL]);
  row->meter->psk = g_steal_pointer (&psk);
  row->apps = g_steal_pointer (&apps);
  return row;
}

static gboolean
header_is_valid (GPtrArray *fields,
                 gboolean  *with_psk)
{
  *with_psk = fields->len == N_COLUMNS + 1
              && g_strcmp0 (g_ptr_array_index (fields, N_COLUMNS), PSK_COLUMN) == 0;
  if (fields->len != N_COLUMNS + (*with_psk ? 1 : 0))
    return FALSE;
  for (guint i = 0; i < N_COLUMNS; i++)
    if (g_strcmp0 (g_ptr_array_index (fields, i), ff_meter_import_columns[i]) != 0)
      return FALSE;
  return TRUE;
}

/* Parses and validates the whole file into @rows; nothing touches the database yet. */
static gboolean
read_meters (const char *path,
             const char *data,
             gsize       length,
             GPtrArray  *rows,
             GError    **error)
{
  g_autoptr(FfCsvReader) reader = ff_csv_reader_new (data, length);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) header = NULL;
  g_autoptr(GError) csv_error = NULL;
  FfCsvProblems problems;
  GPtrArray *fields;
  gboolean with_psk;
  guint line;

  if (!ff_csv_reader_next (reader, &header, &line, &csv_error))
    {
      if (csv_error != NULL)
        g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID, "%s: %s", path,
                     csv_error->message);
      else
        g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                     _("%s: the file is empty"), path);
      return FALSE;
    }
  if (!header_is_valid (header, &with_psk))
    {
      g_autofree char *expected = g_strjoinv (",", (char **) ff_meter_import_columns);

      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("%s: line %u: the header must be exactly: %s (and optionally ,psk)"), path,
                   line, expected);
      return FALSE;
    }
  ff_csv_problems_init (&problems, path);
  while (ff_csv_reader_next (reader, &fields, &line, &csv_error))
    {
      const char *problem = NULL;
      FfMeterImportRow *row = row_from_fields (fields, with_psk, &problem);

      g_ptr_array_unref (fields);
      if (row == NULL)
        {
          ff_csv_problems_add (&problems, line, problem);
          continue;
        }
      row->line = line;
      g_ptr_array_add (rows, row);
      if (!g_hash_table_add (seen, row->meter->meter_id))
        ff_csv_problems_add (&problems, line, _("the meter ID appears on an earlier line"));
    }
  if (csv_error != NULL)
    ff_csv_problems_add (&problems, 0, csv_error->message);
  return ff_csv_problems_check (&problems, error);
}

gboolean
ff_platform_import_meters (FfPlatformDb *db,
                           const char   *path,
                           gint64        now,
                           guint        *added,
                           guint        *unchanged,
                           GError      **error)
{
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, error);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (row_free);

  if (file == NULL)
    return FALSE;
  if (g_mapped_file_get_length (file) > MAX_METERS_SIZE)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_TOO_LARGE,
                   _("%s is larger than 1 GiB"), path);
      return FALSE;
    }
  return read_meters (path, g_mapped_file_get_contents (file), g_mapped_file_get_length (file),
                      rows, error)
         && ff_platform_db_import_meters (db, path, rows, now, added, unchanged, error);
}
