/* A strict RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF or LF, line numbers in errors. */
#include "config.h"

#include "ff-platform-csv.h"

#include "ff-platform-error.h"

#include <glib/gi18n-lib.h>
#include <string.h>

struct _FfCsvReader
{
  const char *data;
  gsize       length;
  gsize       position;
  guint       line;
  gboolean    scanned_for_nul;
};

FfCsvReader *
ff_csv_reader_new (const char *data,
                   gsize       length)
{
  FfCsvReader *reader = g_new0 (FfCsvReader, 1);

  reader->data = data;
  reader->length = length;
  reader->line = 1;
  if (length >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    reader->position = 3;
  return reader;
}

void
ff_csv_reader_free (FfCsvReader *reader)
{
  g_free (reader);
}

static int
peek (FfCsvReader *reader,
      gsize        offset)
{
  gsize at = reader->position + offset;

  return at < reader->length ? (guchar) reader->data[at] : -1;
}

/* Consumes a line end (LF or CRLF) if one is next; a lone CR is not one. */
static gboolean
take_line_end (FfCsvReader *reader)
{
  if (peek (reader, 0) == '\n')
    {
      reader->position += 1;
      reader->line++;
      return TRUE;
    }
  if (peek (reader, 0) == '\r' && peek (reader, 1) == '\n')
    {
      reader->position += 2;
      reader->line++;
      return TRUE;
    }
  return FALSE;
}

static gboolean
fail (FfCsvReader *reader,
      GError     **error,
      const char  *problem)
{
  g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID, _("line %u: %s"),
               reader->line, problem);
  return FALSE;
}

static gboolean
read_quoted (FfCsvReader *reader,
             GString     *field,
             GError     **error)
{
  guint start_line = reader->line;

  reader->position++;   /* opening quote */
  for (;;)
    {
      int c = peek (reader, 0);

      if (c < 0)
        {
          reader->line = start_line;
          return fail (reader, error, _("a quoted field is not closed"));
        }
      if (c == '"' && peek (reader, 1) == '"')
        {
          g_string_append_c (field, '"');
          reader->position += 2;
        }
      else if (c == '"')
        {
          int after;

          reader->position++;
          after = peek (reader, 0);
          if (after != ',' && after != '\n' && after != '\r' && after >= 0)
            return fail (reader, error, _("unexpected text after a closing quote"));
          if (after == '\r' && peek (reader, 1) != '\n')
            return fail (reader, error, _("a carriage return without a line feed"));
          return TRUE;
        }
      else
        {
          if (c == '\n')
            reader->line++;
          g_string_append_c (field, (char) c);
          reader->position++;
        }
    }
}

static gboolean
read_plain (FfCsvReader *reader,
            GString     *field,
            GError     **error)
{
  for (;;)
    {
      int c = peek (reader, 0);

      if (c < 0 || c == ',' || c == '\n' || (c == '\r' && peek (reader, 1) == '\n'))
        return TRUE;
      if (c == '"')
        return fail (reader, error, _("a quote inside an unquoted field"));
      if (c == '\r')
        return fail (reader, error, _("a carriage return without a line feed"));
      g_string_append_c (field, (char) c);
      reader->position++;
    }
}

gboolean
ff_csv_reader_next (FfCsvReader *reader,
                    GPtrArray  **fields,
                    guint       *line,
                    GError     **error)
{
  g_autoptr(GPtrArray) record = NULL;

  if (reader->position >= reader->length)
    return FALSE;
  if (!reader->scanned_for_nul
      && memchr (reader->data + reader->position, '\0', reader->length - reader->position) != NULL)
    {
      /* Find the line of the NUL byte for the message. */
      while (reader->data[reader->position] != '\0')
        if (!take_line_end (reader))
          reader->position++;
      return fail (reader, error, _("a NUL byte (this is not a text file)"));
    }
  reader->scanned_for_nul = TRUE;
  record = g_ptr_array_new_with_free_func (g_free);
  *line = reader->line;
  for (;;)
    {
      g_autoptr(GString) field = g_string_new (NULL);
      gboolean ok = peek (reader, 0) == '"' ? read_quoted (reader, field, error)
                                            : read_plain (reader, field, error);

      if (!ok)
        return FALSE;
      if (!g_utf8_validate (field->str, field->len, NULL))
        return fail (reader, error, _("a field is not valid UTF-8"));
      g_ptr_array_add (record, g_string_free (g_steal_pointer (&field), FALSE));
      if (peek (reader, 0) == ',')
        {
          reader->position++;
          continue;
        }
      if (peek (reader, 0) < 0 || take_line_end (reader))
        break;
    }
  *fields = g_steal_pointer (&record);
  return TRUE;
}

#define MAX_REPORTED_ROWS 20

void
ff_csv_problems_init (FfCsvProblems *problems,
                      const char    *path)
{
  problems->path = path;
  problems->text = g_string_new (NULL);
  problems->count = 0;
}

void
ff_csv_problems_add (FfCsvProblems *problems,
                     guint          line,
                     const char    *problem)
{
  if (++problems->count > MAX_REPORTED_ROWS)
    return;
  if (line > 0)
    {
      g_autofree char *located = g_strdup_printf (_("line %u: %s"), line, problem);

      g_string_append_printf (problems->text, "\n%s: %s", problems->path, located);
    }
  else
    g_string_append_printf (problems->text, "\n%s: %s", problems->path, problem);
}

gboolean
ff_csv_problems_check (FfCsvProblems *problems,
                       GError       **error)
{
  g_autoptr(GString) text = g_steal_pointer (&problems->text);

  if (problems->count == 0)
    return TRUE;
  g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
               _("Bad rows: %u; nothing was imported:%s%s"), problems->count, text->str,
               problems->count > MAX_REPORTED_ROWS ? "\n…" : "");
  return FALSE;
}
