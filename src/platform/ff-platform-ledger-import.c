/* Imports the terminal ledger (CSV from a utility's asset system): all rows or none. */
#include "config.h"

#include "ff-platform-ledger-import.h"

#include "ff-address.h"
#include "ff-document.h"
#include "ff-geo.h"
#include "ff-platform-csv.h"
#include "ff-platform-remote-db.h"
#include "ff-remote-doc.h"
#include "ff-profile.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#define MAX_LEDGER_SIZE ((gsize) 2 << 30)
#define MAX_CHECKSUM_LENGTH 64

const char *const ff_ledger_columns[] = {
  "device_id", "name", "latitude", "longitude", "vendor", "model", "hardware_version",
  "software_version", "software_checksum", "host", "port", "common_address", "profile", NULL
};

enum
{
  COLUMN_DEVICE_ID,
  COLUMN_NAME,
  COLUMN_LATITUDE,
  COLUMN_LONGITUDE,
  COLUMN_VENDOR,
  COLUMN_MODEL,
  COLUMN_HARDWARE_VERSION,
  COLUMN_SOFTWARE_VERSION,
  COLUMN_SOFTWARE_CHECKSUM,
  COLUMN_HOST,
  COLUMN_PORT,
  COLUMN_COMMON_ADDRESS,
  COLUMN_PROFILE,
  N_COLUMNS
};

/* An optional last column: how the terminal is upgraded (docs/platform.md, "Remote upgrades"). */
#define LINK_COLUMN "link"

typedef struct
{
  GPtrArray  *rows;          /* of FfTerminal * */
  GArray     *lines;         /* guint line of each row */
  gboolean    with_link;     /* the header ends with LINK_COLUMN */
  GPtrArray  *links;         /* of each row, when with_link */
  gboolean    update;
  gint64      now;
  const char *path;
  FfLedgerImportStats stats;
} Import;

static gboolean
parse_number (const char *text,
              guint64     min,
              guint64     max,
              guint      *value)
{
  guint64 number;

  if (!g_ascii_string_to_unsigned (text, 10, min, max, &number, NULL))
    return FALSE;
  *value = (guint) number;
  return TRUE;
}

/* Returns NULL and sets @problem (a static, translated text) for a bad row; with @with_link,
 * sets *@link to the row's link. */
static FfTerminal *
terminal_from_row (GPtrArray   *fields,
                   GHashTable  *profiles,
                   gboolean     with_link,
                   const char **link,
                   const char **problem)
{
  g_autoptr(FfTerminal) t = g_new0 (FfTerminal, 1);
  const char *const *f = (const char *const *) fields->pdata;
  static const int name_columns[] = {
    COLUMN_DEVICE_ID, COLUMN_VENDOR, COLUMN_MODEL, COLUMN_HARDWARE_VERSION, COLUMN_PROFILE
  };
  guint16 port = 0;

  if (fields->len != N_COLUMNS + (with_link ? 1 : 0))
    {
      *problem = with_link ? _("the row does not have 14 fields (the header names link)")
                           : _("the row does not have 13 fields");
      return NULL;
    }
  for (guint i = 0; i < fields->len; i++)
    if (ff_text_has_control (f[i]))
      {
        *problem = _("a field holds a control character (such as an escape, a bell or a line "
                     "break)");
        return NULL;
      }
  for (gsize i = 0; i < G_N_ELEMENTS (name_columns); i++)
    if (!ff_name_is_safe (f[name_columns[i]]))
      {
        *problem = _("device_id, vendor, model, hardware_version and profile must be names "
                     "without path separators, \"..\" or control characters");
        return NULL;
      }
  if (*f[COLUMN_NAME] == '\0' || strlen (f[COLUMN_NAME]) > FF_NAME_MAX_LENGTH)
    *problem = _("the name must have 1 to 128 bytes");
  else if (!ff_geo_parse_degrees (f[COLUMN_LATITUDE], 90.0, &t->latitude))
    *problem = _("the latitude must be a decimal number of degrees from -90 to 90");
  else if (!ff_geo_parse_degrees (f[COLUMN_LONGITUDE], 180.0, &t->longitude))
    *problem = _("the longitude must be a decimal number of degrees from -180 to 180");
  else if (!ff_version_is_valid (f[COLUMN_SOFTWARE_VERSION]))
    *problem = _("the software version must be a version such as V2.01");
  else if (strlen (f[COLUMN_SOFTWARE_CHECKSUM]) > MAX_CHECKSUM_LENGTH)
    *problem = _("the software checksum is longer than 64 bytes");
  else if (!ff_host_is_valid (f[COLUMN_HOST]))
    *problem = _("the host must be an IP address or host name");
  else if (!ff_port_parse (f[COLUMN_PORT], &port))
    *problem = _("the port must be a number from 1 to 65535");
  else if (!parse_number (f[COLUMN_COMMON_ADDRESS], 0, 65535, &t->common_address))
    *problem = _("the common address must be a number from 0 to 65535");
  else if (with_link && !g_str_equal (f[N_COLUMNS], FF_LINK_OFFLINE)
           && !g_str_equal (f[N_COLUMNS], FF_LINK_MQTT))
    *problem = _("the link must be offline or mqtt");
  else if (with_link && g_str_equal (f[N_COLUMNS], FF_LINK_MQTT)
           && !ff_remote_device_id_is_valid (f[COLUMN_DEVICE_ID]))
    *problem = _("a terminal linked over mqtt needs a device ID without “+”, “#” or “\"”");
  else if (!g_hash_table_contains (profiles, f[COLUMN_PROFILE]))
    {
      g_autoptr(FfProfile) profile = ff_profile_load (f[COLUMN_PROFILE], NULL);

      if (profile == NULL)
        *problem = _("there is no vendor profile of that name");
      else
        g_hash_table_add (profiles, g_strdup (f[COLUMN_PROFILE]));
    }
  if (*problem != NULL)
    return NULL;
  if (with_link)
    *link = g_str_equal (f[N_COLUMNS], FF_LINK_MQTT) ? FF_LINK_MQTT : FF_LINK_OFFLINE;
  t->device_id = g_strdup (f[COLUMN_DEVICE_ID]);
  t->name = g_strdup (f[COLUMN_NAME]);
  t->vendor = g_strdup (f[COLUMN_VENDOR]);
  t->model = g_strdup (f[COLUMN_MODEL]);
  t->hardware_version = g_strdup (f[COLUMN_HARDWARE_VERSION]);
  t->software_version = g_strdup (f[COLUMN_SOFTWARE_VERSION]);
  t->software_checksum = g_strdup (f[COLUMN_SOFTWARE_CHECKSUM]);
  t->host = g_strdup (f[COLUMN_HOST]);
  t->port = port;
  t->profile = g_strdup (f[COLUMN_PROFILE]);
  return g_steal_pointer (&t);
}

static gboolean
header_is_valid (GPtrArray *fields,
                 gboolean  *with_link)
{
  *with_link = fields->len == N_COLUMNS + 1
               && g_strcmp0 (g_ptr_array_index (fields, N_COLUMNS), LINK_COLUMN) == 0;
  if (fields->len != N_COLUMNS + (*with_link ? 1 : 0))
    return FALSE;
  for (guint i = 0; i < N_COLUMNS; i++)
    if (g_strcmp0 (g_ptr_array_index (fields, i), ff_ledger_columns[i]) != 0)
      return FALSE;
  return TRUE;
}

/* Parses and validates the whole file into @import; nothing touches the database yet. */
static gboolean
read_ledger (Import     *import,
             const char *data,
             gsize       length,
             GError    **error)
{
  g_autoptr(FfCsvReader) reader = ff_csv_reader_new (data, length);
  g_autoptr(GHashTable) profiles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) header = NULL;
  g_autoptr(GError) csv_error = NULL;
  FfCsvProblems problems;
  GPtrArray *fields;
  guint line;

  if (!ff_csv_reader_next (reader, &header, &line, &csv_error))
    {
      if (csv_error != NULL)
        g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID, "%s: %s", import->path,
                     csv_error->message);
      else
        g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                     _("%s: the file is empty"), import->path);
      return FALSE;
    }
  if (!header_is_valid (header, &import->with_link))
    {
      g_autofree char *expected = g_strjoinv (",", (char **) ff_ledger_columns);
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("%s: line %u: the header must be exactly: %s (and optionally ,link)"),
                   import->path, line, expected);
      return FALSE;
    }
  ff_csv_problems_init (&problems, import->path);
  while (ff_csv_reader_next (reader, &fields, &line, &csv_error))
    {
      const char *problem = NULL, *link = NULL;
      FfTerminal *terminal = terminal_from_row (fields, profiles, import->with_link, &link,
                                                &problem);

      g_ptr_array_unref (fields);
      if (terminal == NULL)
        {
          ff_csv_problems_add (&problems, line, problem);
          continue;
        }
      if (!g_hash_table_add (seen, terminal->device_id))
        {
          ff_csv_problems_add (&problems, line, _("the device ID appears on an earlier line"));
          ff_terminal_free (terminal);
          continue;
        }
      g_ptr_array_add (import->rows, terminal);
      g_ptr_array_add (import->links, (gpointer) link);
      g_array_append_val (import->lines, line);
    }
  if (csv_error != NULL)
    ff_csv_problems_add (&problems, 0, csv_error->message);
  return ff_csv_problems_check (&problems, error);
}

static gboolean
terminals_equal (const FfTerminal *a,
                 const FfTerminal *b)
{
  return g_str_equal (a->name, b->name) && a->latitude == b->latitude
         && a->longitude == b->longitude && g_str_equal (a->vendor, b->vendor)
         && g_str_equal (a->model, b->model)
         && g_str_equal (a->hardware_version, b->hardware_version)
         && g_str_equal (a->software_version, b->software_version)
         && g_str_equal (a->software_checksum, b->software_checksum)
         && g_str_equal (a->host, b->host) && a->port == b->port
         && a->common_address == b->common_address && g_str_equal (a->profile, b->profile);
}

static gboolean
store_rows (FfPlatformDb *db,
            gpointer      user_data,
            GError      **error)
{
  Import *import = user_data;

  memset (&import->stats, 0, sizeof import->stats);
  for (guint i = 0; i < import->rows->len; i++)
    {
      FfTerminal *row = g_ptr_array_index (import->rows, i);
      const char *link = g_ptr_array_index (import->links, i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(FfTerminal) known = ff_platform_db_get_terminal (db, row->device_id, &local_error);
      g_autoptr(FfTerminalLink) known_link = NULL;
      const char *from_version = known != NULL ? known->software_version : NULL;
      gboolean same_link;

      if (local_error == NULL && known != NULL && link != NULL)
        known_link = ff_platform_db_get_link (db, row->device_id, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      same_link = link == NULL || (known_link != NULL && g_str_equal (known_link->link, link));
      if (known != NULL && terminals_equal (known, row) && same_link)
        {
          import->stats.unchanged++;
          continue;
        }
      if (known != NULL && !import->update)
        {
          g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                       _("%s: line %u: terminal %s is already in the ledger with other data; "
                         "nothing was imported (use --update to apply the changes)"),
                       import->path, g_array_index (import->lines, guint, i), row->device_id);
          return FALSE;
        }
      if (!ff_platform_db_put_terminal (db, row, known != NULL, import->now, error)
          || (link != NULL && (known == NULL || !same_link)
              && !ff_platform_db_set_link (db, row->device_id, link, error)))
        return FALSE;
      if ((known == NULL || !g_str_equal (known->software_version, row->software_version))
          && !ff_platform_db_add_history (db, row->device_id, import->now, from_version,
                                          row->software_version, row->software_checksum,
                                          "ledger", NULL, error))
        return FALSE;
      if (known != NULL)
        import->stats.updated++;
      else
        import->stats.added++;
    }
  return TRUE;
}

gboolean
ff_platform_import_ledger (FfPlatformDb        *db,
                           const char          *path,
                           gboolean             update,
                           gint64               now,
                           FfLedgerImportStats *stats,
                           GError             **error)
{
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, error);
  Import import = { 0 };
  gboolean ok;

  if (file == NULL)
    return FALSE;
  if (g_mapped_file_get_length (file) > MAX_LEDGER_SIZE)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_TOO_LARGE,
                   _("%s is larger than 2 GiB"), path);
      return FALSE;
    }
  import.rows = g_ptr_array_new_with_free_func ((GDestroyNotify) ff_terminal_free);
  import.lines = g_array_new (FALSE, FALSE, sizeof (guint));
  import.links = g_ptr_array_new ();
  import.update = update;
  import.now = now;
  import.path = path;
  ok = read_ledger (&import, g_mapped_file_get_contents (file), g_mapped_file_get_length (file),
                    error)
       && ff_platform_db_transaction (db, store_rows, &import, error);
  if (ok && stats != NULL)
    *stats = import.stats;
  g_ptr_array_unref (import.rows);
  g_ptr_array_unref (import.links);
  g_array_unref (import.lines);
  return ok;
}
