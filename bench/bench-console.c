/* Benchmark of the operator console's API on a 1,000,000-terminal ledger: the terminals page the
 * console opens most ("model M running V1.00", 12,500 matches: the first page of 100 and the
 * total), its last page, the map's points of the same selection (12,500), and the fleet summary.
 * Times are whole requests from a client on loopback (plain HTTP; the client keeps its
 * connection alive as the platform allows), so they bound the server's time from above.
 * Usage: bench-console [--terminals N] [--requests N] [--platform PATH-TO-fieldflash-platform] */
#include "config.h"

#include "bench-ledger.h"
#include "ff-crypto.h"
#include "ff-platform-db.h"
#include "ff-platform-ledger-import.h"
#include "ff-platform-operators.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#define PASSWORD "bench password"

typedef struct
{
  SoupSession *session;
  char        *base;
  char        *cookie;
} Client;

/* GETs @path; returns the parsed answer (asserting 200) and adds the request's time to @times. */
static JsonParser *
get (Client     *client,
     const char *path,
     double     *time)
{
  g_autofree char *url = g_strconcat (client->base, path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  JsonParser *parser = json_parser_new ();
  gint64 start = g_get_monotonic_time ();

  soup_message_headers_replace (soup_message_get_request_headers (message), "Cookie",
                                client->cookie);
  body = soup_session_send_and_read (client->session, message, NULL, &error);
  if (time != NULL)
    *time = seconds_since (start) * 1000;
  check (body != NULL && soup_message_get_status (message) == 200, error, path);
  check (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                     (gssize) g_bytes_get_size (body), &error), error, path);
  return parser;
}

static void
log_in (Client *client)
{
  g_autofree char *url = g_strconcat (client->base, "/console/api/login", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  const char *text = "{\"name\": \"bench\", \"password\": \"" PASSWORD "\"}";
  g_autoptr(GBytes) request = g_bytes_new_static (text, strlen (text));
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  const char *cookie;

  soup_message_set_request_body_from_bytes (message, "application/json", request);
  body = soup_session_send_and_read (client->session, message, NULL, &error);
  check (body != NULL && soup_message_get_status (message) == 200, error, "login");
  cookie = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                         "Set-Cookie");
  check (cookie != NULL, NULL, "session cookie");
  client->cookie = g_strndup (cookie, strcspn (cookie, ";"));
}

static void
report (const char *what,
        double     *times,
        guint       n)
{
  qsort (times, n, sizeof times[0], compare_doubles);
  g_print ("%s: p50 %.1f ms, p95 %.1f ms, max %.1f ms over %u requests\n", what, times[n / 2],
           times[n * 95 / 100], times[n - 1], n);
}

/* Each of @n requests of a "model M running V1.00" path for M = n mod 10, built by @format (with
 * the model and, for a last page, the device ID the page starts after). */
static void
bench_selection (Client     *client,
                 const char *what,
                 const char *format,
                 guint       n,
                 gint64      expected_total)
{
  g_autofree double *times = g_new (double, n);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf (format, model_name (i % N_MODELS));
      g_autoptr(JsonParser) parser = get (client, path, &times[i]);
      JsonObject *root = json_node_get_object (json_parser_get_root (parser));

      if (json_object_get_int_member (root, "total") != expected_total)
        g_error ("%s: %" G_GINT64_FORMAT " terminals, not %" G_GINT64_FORMAT, path,
                 json_object_get_int_member (root, "total"), expected_total);
    }
  report (what, times, n);
}

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(char **) user_data = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                    result, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  int n_terminals = 1000000, n_requests = 200;
  g_autofree char *binary = NULL;
  GOptionEntry entries[] = {
    { "terminals", 0, 0, G_OPTION_ARG_INT, &n_terminals, "Terminals in the ledger (a multiple "
      "of 80)", "N" },
    { "requests", 0, 0, G_OPTION_ARG_INT, &n_requests, "Requests of each kind", "N" },
    { "platform", 0, 0, G_OPTION_ARG_FILENAME, &binary, "The fieldflash-platform program", "PATH" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *scratch = g_dir_make_tmp ("ff-bench-console-XXXXXX", NULL);
  g_autofree char *data_dir = g_build_filename (scratch, "data", NULL);
  g_autofree char *db_path = g_build_filename (data_dir, "platform.db", NULL);
  g_autofree char *ledger = g_build_filename (scratch, "ledger.csv", NULL);
  g_autofree char *password_hash = ff_pin_hash (PASSWORD, NULL);
  g_autofree char *line = NULL, *last_page = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(JsonParser) fleet = NULL;
  FfLedgerImportStats stats;
  Client client = { 0 };
  FfPlatformDb *db;
  gint64 matches, start;
  double fleet_ms;

  g_option_context_add_main_entries (context, entries, NULL);
  check (g_option_context_parse (context, &argc, &argv, &error), error, "options");
  if (n_terminals < 80 || n_terminals % 80 != 0 || n_requests < 1)
    g_error ("--terminals must be a multiple of 80 and --requests at least 1");
  matches = n_terminals / (N_MODELS * N_VERSIONS);
  if (binary == NULL)
    {
      g_autofree char *here = g_path_get_dirname (argv[0]);
      binary = g_build_filename (here, "..", "src", "platform", "fieldflash-platform", NULL);
    }
  g_print ("scratch directory: %s\n", scratch);
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, binary, "--data-dir",
                             data_dir, "init", NULL);
  check (server != NULL && g_subprocess_wait_check (server, NULL, &error), error, "init");
  g_clear_object (&server);

  write_ledger (ledger, (guint) n_terminals);
  db = ff_platform_db_open (db_path, &error);
  check (db != NULL, error, "open database");
  start = g_get_monotonic_time ();
  check (ff_platform_import_ledger (db, ledger, FALSE, 0, &stats, &error), error, "import");
  g_print ("ledger of %u terminals imported in %.1f s\n", stats.added, seconds_since (start));
  check (ff_platform_db_insert_operator (db, "bench", FF_OPERATOR_AUDITOR, password_hash, 0,
                                         &error), error, "operator");
  ff_platform_db_close (db);
  g_unlink (ledger);

  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, binary, "--data-dir",
                             data_dir, "serve", "--listen", "127.0.0.1:0", "--insecure-http",
                             NULL);
  check (server != NULL, error, "start fieldflash-platform serve");
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, line_read, &line);
  while (line == NULL && g_subprocess_get_identifier (server) != NULL)
    g_main_context_iteration (NULL, TRUE);
  check (line != NULL && g_str_has_prefix (line, "listening on "), NULL, "server start");
  client.base = g_strdup (line + strlen ("listening on "));
  client.session = soup_session_new ();
  log_in (&client);

  bench_selection (&client, "terminals page (model M running V1.00: first 100 and the total)",
                   "/console/api/terminals?model=%s&version=V1.00", (guint) n_requests, matches);
  /* Model m runs V1.00 on terminals 80 k + m: after this ID come the last 100 of each model. */
  last_page = g_strdup_printf ("/console/api/terminals?model=%%s&version=V1.00&after=T%07d",
                               MAX (n_terminals - N_MODELS * N_VERSIONS * 100 - 1, 0));
  bench_selection (&client, "its last page (after=ID)", last_page, (guint) n_requests, matches);
  bench_selection (&client, "map points of the same selection (all of them)",
                   "/console/api/terminals/points?model=%s&version=V1.00", (guint) n_requests,
                   matches);
  fleet = get (&client, "/console/api/fleet", &fleet_ms);
  g_print ("fleet summary (%u groups): %.0f ms\n",
           json_array_get_length (json_object_get_array_member (
             json_node_get_object (json_parser_get_root (fleet)), "groups")), fleet_ms);

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  g_object_unref (client.session);
  g_free (client.base);
  g_free (client.cookie);
  g_print ("remove the scratch directory with: rm -r %s\n", scratch);
  return 0;
}
