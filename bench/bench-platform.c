/* Benchmark of fieldflash-platform: ledger import and version queries on a 1,000,000-terminal
 * ledger, task creation, durable report ingest, and firmware download with 50 concurrent clients.
 * Usage: bench-platform [--terminals N] [--platform PATH-TO-fieldflash-platform] */
#include "config.h"

#include "bench-ledger.h"
#include "ff-platform-clock.h"
#include "ff-platform-db.h"
#include "ff-platform-firmware-store.h"
#include "ff-platform-ingest.h"
#include "ff-platform-ledger-import.h"
#include "ff-platform-tasks.h"
#include "ff-report.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#define N_QUERIES 200
#define TASK_SIZE 500
#define N_TASK_RUNS 5
#define N_REPORTS 8000
#define N_UPLOADERS 8
#define N_CLIENTS 50
#define DOWNLOAD_ROUNDS 4
#define FIRMWARE_SIZE (4 * 1024 * 1024)
#define PIN "482913"
#define PHONE "13800138000"

static void
add_firmware (FfPlatformDb *db,
              const char   *data_dir,
              const char   *dir,
              guint         model,
              const char   *version,
              gsize         size)
{
  g_autofree char *path = g_build_filename (dir, "image.bin", NULL);
  g_autofree guint8 *image = g_malloc (size);
  g_autoptr(FfFirmware) fw = g_new0 (FfFirmware, 1);
  g_autoptr(GError) error = NULL;
  const char *hardware[] = { "HV1.0", NULL };

  for (gsize i = 0; i < size; i++)
    image[i] = (guint8) (i * 131 + model * 7 + version[3]);
  check (g_file_set_contents (path, (char *) image, size, &error), error, "write image");
  check (ff_firmware_store_add (data_dir, path, &fw->sha256, &fw->size, &error), error,
         "store image");
  fw->vendor = g_strdup (vendors[model % 3]);
  fw->model = g_strdup (model_name (model));
  fw->version = g_strdup (version);
  fw->notes = g_strdup ("");
  fw->hardware_versions = g_strdupv ((char **) hardware);
  fw->added_at = ff_platform_now ();
  check (ff_platform_db_insert_firmware (db, fw, &error), error, "insert firmware");
}

typedef enum
{
  QUERY_AS_STORED,     /* model M running version V, spelled as in the ledger ("V1.03") */
  QUERY_RESPELLED,     /* the same, spelled otherwise ("v1.003", equal by version order) */
  QUERY_BELOW,         /* model M running a version lower than V ("--below") */
} QueryKind;

static void
bench_queries (FfPlatformDb *db,
               QueryKind     kind,
               const char   *what)
{
  double times[N_QUERIES];
  gsize rows = 0;

  for (guint q = 0; q < N_QUERIES; q++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) found = NULL;
      guint v = (q / N_MODELS) % N_VERSIONS;
      FfTerminalFilter filter = { .model = model_name (q % N_MODELS) };
      char respelled[16];
      gint64 start;

      g_snprintf (respelled, sizeof respelled, "v1.%03u", v);
      if (kind == QUERY_AS_STORED)
        filter.version = version_name (v);
      else if (kind == QUERY_RESPELLED)
        filter.version = respelled;
      else
        filter.below = version_name (v);
      start = g_get_monotonic_time ();
      found = ff_platform_db_find_terminals (db, &filter, &error);
      times[q] = seconds_since (start) * 1000;
      check (found != NULL, error, "query");
      if (kind != QUERY_BELOW && found->len == 0)
        g_error ("%s found nothing", what);
      rows += found->len;
    }
  qsort (times, N_QUERIES, sizeof times[0], compare_doubles);
  g_print ("query \"%s\" (%zu rows on average): p50 %.2f ms, p95 %.2f ms, max %.2f ms over %d "
           "queries\n", what, rows / N_QUERIES, times[N_QUERIES / 2],
           times[N_QUERIES * 95 / 100], times[N_QUERIES - 1], N_QUERIES);
}

static char *
create_task (FfPlatformDb *db,
             FfKey        *key,
             const char   *serial,
             guint         first,
             guint         count,
             guint         model,
             const char   *target)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  const char *handhelds[] = { serial, NULL };
  FfTaskRequest request = { 0 };
  g_autoptr(GError) error = NULL;
  char *task_id;

  /* Terminals of one model running V1.00: i % 10 == model and (i / 10) % 8 == 0. */
  for (guint k = 0; ids->len < count; k++)
    g_ptr_array_add (ids, g_strdup_printf ("T%07u", (first + k) * N_MODELS * N_VERSIONS + model));
  g_ptr_array_add (ids, NULL);
  request.technician_phone = PHONE;
  request.handhelds = handhelds;
  request.device_ids = (const char *const *) ids->pdata;
  request.firmware_version = target;
  request.valid_days = 7;
  request.now = ff_platform_now ();
  task_id = ff_platform_create_task (db, key, &request, &error);
  check (task_id != NULL, error, "create task");
  return task_id;
}

static void
add_tablet (FfPlatformDb *db,
            FfKey        *key,
            const char   *serial)
{
  g_autofree char *pem = ff_key_get_public_pem (key);
  g_autoptr(GError) error = NULL;

  check (ff_platform_db_insert_handheld (db, serial, pem, 0, &error), error, "add tablet");
}

typedef struct
{
  FfPlatformDb *db;
  GPtrArray    *bodies;
  GPtrArray    *signatures;
} Ingest;

/* @index is 1-based so it can travel through a GThreadPool. */
static void
ingest_one (gpointer index,
            gpointer user_data)
{
  Ingest *ingest = user_data;
  guint i = GPOINTER_TO_UINT (index) - 1;
  g_auto(FfIngestResult) result = { 0 };
  g_autoptr(GError) error = NULL;

  check (ff_platform_ingest_report (ingest->db, g_ptr_array_index (ingest->bodies, i),
                                    g_ptr_array_index (ingest->signatures, i), PHONE,
                                    "TAB-REPORTS", ff_platform_now (), &result,
                                    &error) && !result.duplicate,
         error, "ingest");
}

static void
bench_reports (FfPlatformDb *db,
               FfKey        *platform_key,
               FfKey        *tablet_key)
{
  g_autofree char *task_id = NULL;
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) signatures = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  Ingest ingest = { db, bodies, signatures };
  GThreadPool *pool;
  gint64 start;
  double elapsed;

  g_autoptr(FfFirmware) target = NULL;
  g_autoptr(GError) find_error = NULL;

  add_tablet (db, tablet_key, "TAB-REPORTS");
  task_id = create_task (db, platform_key, "TAB-REPORTS", 1000, N_REPORTS, 1, "V2.00");
  /* A report must name the firmware its task item sends. */
  target = ff_platform_db_find_firmware (db, vendors[1], model_name (1), "V2.00", &find_error);
  check (target != NULL, find_error, "find the task's firmware");
  for (guint i = 0; i < N_REPORTS; i++)
    {
      g_autofree char *device = g_strdup_printf ("T%07u", (1000 + i) * N_MODELS * N_VERSIONS + 1);
      g_autoptr(FfReport) report = ff_report_new (task_id, device, "TAB-REPORTS", PHONE);
      g_autoptr(GError) error = NULL;
      GBytes *body = NULL;
      GBytes *signature;

      report->outcome = FF_REPORT_OUTCOME_UPGRADED;
      report->identity.present = TRUE;
      report->identity.device_id_read = g_strdup (device);
      report->identity.fix_mode = g_strdup ("3d");
      report->versions.before = g_strdup ("V1.00");
      report->versions.target = g_strdup ("V2.00");
      report->versions.after = g_strdup ("V2.00");
      report->firmware_version = g_strdup ("V2.00");
      report->firmware_sha256 = g_strdup (target->sha256);
      ff_report_add_event (report, report->created_at, "verify", "0x8005 reads V2.00");
      signature = ff_report_sign (report, tablet_key, &body, &error);
      check (signature != NULL, error, "sign report");
      g_ptr_array_add (bodies, body);
      g_ptr_array_add (signatures, signature);
    }
  /* One uploader at a time: every report pays for its own durable commit. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < N_REPORTS / 2; i++)
    ingest_one (GUINT_TO_POINTER (i + 1), &ingest);
  elapsed = seconds_since (start);
  g_print ("report ingest, 1 uploader (verify + validate + durable commit each): %.0f reports/s\n",
           (N_REPORTS / 2) / elapsed);

  /* Several uploaders, as when many tablets sync at once: commits are grouped. */
  pool = g_thread_pool_new (ingest_one, &ingest, N_UPLOADERS, TRUE, NULL);
  start = g_get_monotonic_time ();
  for (guint i = N_REPORTS / 2; i < N_REPORTS; i++)
    g_thread_pool_push (pool, GUINT_TO_POINTER (i + 1), NULL);
  g_thread_pool_free (pool, FALSE, TRUE);
  elapsed = seconds_since (start);
  g_print ("report ingest, %d concurrent uploaders (group commit, every report durable): "
           "%.0f reports/s\n", N_UPLOADERS, (N_REPORTS - N_REPORTS / 2) / elapsed);
}

typedef struct
{
  guint  pending;
  gsize  bytes;
  guint  failures;
} Downloads;

static void
downloaded (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Downloads *downloads = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);

  if (body != NULL && g_bytes_get_size (body) == FIRMWARE_SIZE)
    downloads->bytes += g_bytes_get_size (body);
  else
    downloads->failures++;
  downloads->pending--;
}

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(char **) user_data = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                    result, NULL, NULL);
}

static gboolean
accept_pinned (SoupMessage         *message,
               GTlsCertificate     *certificate,
               GTlsCertificateFlags errors,
               gpointer             pinned)
{
  return g_tls_certificate_is_same (certificate, pinned);
}

static char *
login (SoupSession     *session,
       const char      *base,
       GTlsCertificate *pinned)
{
  g_autofree char *url = g_strconcat (base, "/api/v1/login", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  const char *text = "{\"phone\": \"" PHONE "\", \"pin\": \"" PIN "\", "
                     "\"tablet_serial\": \"TAB-DOWNLOAD\"}";
  g_autoptr(GBytes) body = g_bytes_new_static (text, strlen (text));
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  g_autoptr(GError) error = NULL;

  if (pinned != NULL)
    g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_pinned), pinned);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  response = soup_session_send_and_read (session, message, NULL, &error);
  check (response != NULL && soup_message_get_status (message) == 200, error, "login");
  check (json_parser_load_from_data (parser, g_bytes_get_data (response, NULL),
                                     g_bytes_get_size (response), &error), error, "login reply");
  root = json_node_get_object (json_parser_get_root (parser));
  return g_strdup (json_object_get_string_member (root, "token"));
}

/* Runs "serve" (HTTPS, or plain HTTP on loopback) and has N_CLIENTS download @sha256 at once,
 * DOWNLOAD_ROUNDS times; returns MiB/s. */
static double
measure_downloads (const char      *binary,
                   const char      *data_dir,
                   const char      *sha256,
                   GTlsCertificate *pinned)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *line = NULL, *token = NULL, *url = NULL, *bearer = NULL;
  const char *base;
  Downloads downloads = { 0 };
  gint64 start;
  double elapsed;

  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, binary, "--data-dir",
                             data_dir, "serve", "--listen", "127.0.0.1:0",
                             pinned != NULL ? NULL : "--insecure-http", NULL);
  check (server != NULL, error, "start fieldflash-platform serve");
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, line_read, &line);
  while (line == NULL && g_subprocess_get_identifier (server) != NULL)
    g_main_context_iteration (NULL, TRUE);
  check (line != NULL && g_str_has_prefix (line, "listening on "), NULL, "server start");
  base = line + strlen ("listening on ");

  session = soup_session_new_with_options ("max-conns", N_CLIENTS * 2, "max-conns-per-host",
                                           N_CLIENTS, NULL);
  token = login (session, base, pinned);
  url = g_strdup_printf ("%s/api/v1/firmware/%s", base, sha256);
  bearer = g_strconcat ("Bearer ", token, NULL);
  start = g_get_monotonic_time ();
  for (guint round = 0; round < DOWNLOAD_ROUNDS; round++)
    {
      for (guint c = 0; c < N_CLIENTS; c++)
        {
          g_autoptr(SoupMessage) message = soup_message_new ("GET", url);

          if (pinned != NULL)
            g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_pinned), pinned);
          soup_message_headers_replace (soup_message_get_request_headers (message),
                                        "Authorization", bearer);
          downloads.pending++;
          soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL,
                                            downloaded, &downloads);
        }
      while (downloads.pending > 0)
        g_main_context_iteration (NULL, TRUE);
    }
  elapsed = seconds_since (start);
  check (downloads.failures == 0, NULL, "downloads");
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  return downloads.bytes / elapsed / (1024 * 1024);
}

static void
bench_downloads (FfPlatformDb *db,
                 FfKey        *platform_key,
                 FfKey        *tablet_key,
                 const char   *data_dir,
                 const char   *scratch,
                 const char   *binary)
{
  g_autofree char *task_id = NULL;
  g_autofree char *cert_path = g_build_filename (data_dir, "tls.crt", NULL);
  g_autofree char *tls_key_path = g_build_filename (data_dir, "tls.key", NULL);
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(FfFirmware) firmware = NULL;
  g_autoptr(GError) error = NULL;
  double plain, tls;

  add_firmware (db, data_dir, scratch, 2, "V3.00", FIRMWARE_SIZE);
  add_tablet (db, tablet_key, "TAB-DOWNLOAD");
  task_id = create_task (db, platform_key, "TAB-DOWNLOAD", 2000, 10, 2, "V3.00");
  firmware = ff_platform_db_find_firmware (db, vendors[2], model_name (2), "V3.00", &error);
  check (firmware != NULL, error, "find firmware");
  check (ff_tls_certificate_generate (cert_path, tls_key_path, "localhost", 30, &error), error,
         "TLS certificate");
  certificate = g_tls_certificate_new_from_file (cert_path, &error);
  check (certificate != NULL, error, "load certificate");

  plain = measure_downloads (binary, data_dir, firmware->sha256, NULL);
  tls = measure_downloads (binary, data_dir, firmware->sha256, certificate);
  g_print ("firmware download, %d concurrent clients on loopback, %d rounds of %d MiB: "
           "%.0f MiB/s over plain HTTP, %.0f MiB/s over HTTPS\n", N_CLIENTS, DOWNLOAD_ROUNDS,
           FIRMWARE_SIZE / (1024 * 1024), plain, tls);
}

int
main (int   argc,
      char *argv[])
{
  int n_terminals = 1000000;
  g_autofree char *binary = NULL;
  GOptionEntry entries[] = {
    { "terminals", 0, 0, G_OPTION_ARG_INT, &n_terminals, "Terminals in the ledger", "N" },
    { "platform", 0, 0, G_OPTION_ARG_FILENAME, &binary, "The fieldflash-platform program", "PATH" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *scratch = g_dir_make_tmp ("ff-bench-platform-XXXXXX", NULL);
  g_autofree char *data_dir = g_build_filename (scratch, "data", NULL);
  g_autofree char *db_path = g_build_filename (data_dir, "platform.db", NULL);
  g_autofree char *key_path = g_build_filename (data_dir, "platform-key.pem", NULL);
  g_autofree char *ledger = g_build_filename (scratch, "ledger.csv", NULL);
  g_autoptr(FfKey) platform_key = ff_key_generate (NULL);
  g_autoptr(FfKey) tablet_key = ff_key_generate (NULL);
  g_autofree char *pin_hash = ff_pin_hash (PIN, NULL);
  FfLedgerImportStats stats;
  FfPlatformDb *db;
  double times[N_TASK_RUNS];
  gint64 start;

  g_option_context_add_main_entries (context, entries, NULL);
  check (g_option_context_parse (context, &argc, &argv, &error), error, "options");
  /* The task and report runs take disjoint runs of V1.00 terminals up to T0720080. */
  if (n_terminals < 800000)
    g_error ("--terminals must be at least 800000");
  if (binary == NULL)
    {
      g_autofree char *here = g_path_get_dirname (argv[0]);
      binary = g_build_filename (here, "..", "src", "platform", "fieldflash-platform", NULL);
    }
  g_mkdir_with_parents (data_dir, 0700);
  db = ff_platform_db_open (db_path, &error);
  check (db != NULL, error, "open database");
  check (ff_key_save_private (platform_key, key_path, &error), error, "save key");
  g_print ("scratch directory: %s\n", scratch);

  start = g_get_monotonic_time ();
  write_ledger (ledger, (guint) n_terminals);
  g_print ("ledger CSV of %d terminals written in %.1f s\n", n_terminals, seconds_since (start));
  start = g_get_monotonic_time ();
  check (ff_platform_import_ledger (db, ledger, FALSE, 0, &stats, &error), error, "import");
  g_print ("ledger import (validate every row, one transaction): %u terminals in %.1f s "
           "(%.0f rows/s)\n", stats.added, seconds_since (start),
           stats.added / seconds_since (start));
  g_unlink (ledger);

  bench_queries (db, QUERY_AS_STORED, "terminals of model M running version V");
  bench_queries (db, QUERY_RESPELLED, "the same, V spelled v1.003 for V1.03");
  bench_queries (db, QUERY_BELOW, "terminals of model M running a version below V");

  for (guint m = 0; m < N_MODELS; m++)
    {
      add_firmware (db, data_dir, scratch, m, "V1.00", 64 * 1024);
      add_firmware (db, data_dir, scratch, m, "V2.00", 64 * 1024);
    }
  check (ff_platform_db_insert_technician (db, PHONE, "Bench", pin_hash, 0, &error), error,
         "technician");
  for (guint r = 0; r < N_TASK_RUNS; r++)
    {
      g_autofree char *serial = g_strdup_printf ("TAB-%u", r);
      g_autofree char *task_id = NULL;

      add_tablet (db, tablet_key, serial);
      start = g_get_monotonic_time ();
      task_id = create_task (db, platform_key, serial, r * TASK_SIZE, TASK_SIZE, 0, "V2.00");
      times[r] = seconds_since (start) * 1000;
    }
  qsort (times, N_TASK_RUNS, sizeof times[0], compare_doubles);
  g_print ("create + sign + store a %d-terminal task: median %.0f ms, max %.0f ms over %d tasks\n",
           TASK_SIZE, times[N_TASK_RUNS / 2], times[N_TASK_RUNS - 1], N_TASK_RUNS);

  bench_reports (db, platform_key, tablet_key);
  bench_downloads (db, platform_key, tablet_key, data_dir, scratch, binary);
  ff_platform_db_close (db);
  g_print ("remove the scratch directory with: rm -r %s\n", scratch);
  return 0;
}
