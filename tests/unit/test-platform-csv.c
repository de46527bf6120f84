/* Tests for the platform's strict RFC 4180 reader: every accepted form and every error path. */
#include "config.h"

#include "ff-platform-csv.h"
#include "ff-platform-error.h"

/* Reads all of @text; returns the records joined as "a|b;c|d;" and the lines as "1,2,". */
static char *
read_all (const char *text,
          gsize       length,
          char      **lines,
          GError    **error)
{
  g_autoptr(FfCsvReader) reader = ff_csv_reader_new (text, length);
  g_autoptr(GString) records = g_string_new (NULL);
  g_autoptr(GString) starts = g_string_new (NULL);
  GPtrArray *fields;
  guint line;

  while (ff_csv_reader_next (reader, &fields, &line, error))
    {
      for (guint i = 0; i < fields->len; i++)
        g_string_append_printf (records, "%s%s", i ? "|" : "", (char *) fields->pdata[i]);
      g_string_append_c (records, ';');
      g_string_append_printf (starts, "%u,", line);
      g_ptr_array_unref (fields);
    }
  if (lines != NULL)
    *lines = g_strdup (starts->str);
  return g_strdup (records->str);
}

static void
test_accepted (void)
{
  static const struct
  {
    const char *input;
    const char *records;
    const char *lines;
  } cases[] = {
    { "a,b\nc,d\n", "a|b;c|d;", "1,2," },
    { "a,b\r\nc,d", "a|b;c|d;", "1,2," },
    { "\xef\xbb\xbf" "a,b\n", "a|b;", "1," },
    { "\"a,1\",\"say \"\"hi\"\"\"\n", "a,1|say \"hi\";", "1," },
    { "\"two\nlines\",x\nnext,y\n", "two\nlines|x;next|y;", "1,3," },
    { "\"crlf\r\ninside\",x\r\n", "crlf\r\ninside|x;", "1," },
    { ",,\n", "||;", "1," },
    { "\"\",x\n", "|x;", "1," },
    { "a\n\nb\n", "a;;b;", "1,2,3," },
    { "名称,值\n", "名称|值;", "1," },
    { "", "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *lines = NULL;
      g_autofree char *records = read_all (cases[i].input, strlen (cases[i].input), &lines,
                                           &error);

      g_test_message ("case %zu", i);
      g_assert_no_error (error);
      g_assert_cmpstr (records, ==, cases[i].records);
      g_assert_cmpstr (lines, ==, cases[i].lines);
    }
}

static void
test_errors (void)
{
  static const struct
  {
    const char *input;
    gsize       length;
    const char *message;
  } cases[] = {
    { "a,b\n\"open,c\nd\n", 0, "line 2: a quoted field is not closed" },
    { "a,\"b\"c\n", 0, "line 1: unexpected text after a closing quote" },
    { "ok\na,b\"c\n", 0, "line 2: a quote inside an unquoted field" },
    { "a\rb\n", 0, "line 1: a carriage return without a line feed" },
    { "\"a\"\rb\n", 0, "line 1: a carriage return without a line feed" },
    { "a\nb\nc\xff\n", 0, "line 3: a field is not valid UTF-8" },
    { "a\nb\0c\n", 6, "line 2: a NUL byte" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gsize length = cases[i].length ? cases[i].length : strlen (cases[i].input);
      g_autofree char *records = read_all (cases[i].input, length, NULL, &error);

      g_test_message ("case %zu: %s", i, error ? error->message : "(no error)");
      g_assert_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID);
      g_assert_true (g_str_has_prefix (error->message, cases[i].message));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/platform/csv/accepted", test_accepted);
  g_test_add_func ("/platform/csv/errors", test_errors);
  return g_test_run ();
}
