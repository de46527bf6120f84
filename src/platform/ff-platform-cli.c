/* What the operator CLI's verbs share, and the set-up verbs: init, serve, export-key. */
#include "config.h"

#include "ff-platform-cli.h"

#include "ff-cli-options.h"
#include "ff-document.h"
#include "ff-files.h"
#include "ff-platform-campaign-engine.h"
#include "ff-platform-leftovers.h"
#include "ff-platform-meter-service.h"
#include "ff-platform-remote-service.h"
#include "ff-platform-server.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#define TLS_CERTIFICATE_DAYS 3650

char *
ff_cli_default_data_dir (void)
{
  const char *env = g_getenv ("FIELDFLASH_PLATFORM_DIR");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "fieldflash-platform", NULL);
}

char *
ff_cli_path (FfCli      *cli,
             const char *name)
{
  return g_build_filename (cli->data_dir, name, NULL);
}

/* Takes group and other access from @path and everything below it; counts what it changed. */
static gboolean
make_private (const char  *path,
              guint       *changed,
              GError     **error)
{
  g_autoptr(GDir) dir = NULL;
  GStatBuf info;
  const char *name;

  if (g_lstat (path, &info) != 0 || S_ISLNK (info.st_mode))
    return TRUE;
  if ((info.st_mode & 077) != 0)
    {
      if (g_chmod (path, info.st_mode & 0700) != 0)
        {
          g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                       _("Could not make %s private (mode 0700): %s"), path, g_strerror (errno));
          return FALSE;
        }
      (*changed)++;
    }
  if (!S_ISDIR (info.st_mode) || (dir = g_dir_open (path, 0, NULL)) == NULL)
    return TRUE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (!make_private (child, changed, error))
        return FALSE;
    }
  return TRUE;
}

/* Whether the data directory holds a platform's database ("init" made it). */
static gboolean
is_data_dir (FfCli   *cli,
             GError **error)
{
  g_autofree char *path = ff_cli_path (cli, "platform.db");

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
               _("%s is not a platform data directory; run “fieldflash-platform init” first"),
               cli->data_dir);
  return FALSE;
}

/* One serve per data directory: a second one (started from another shell by mistake) would run
 * the campaigns and publish the commands a second time, and the two connections of one MQTT
 * client ID push each other off the broker. The lock lasts as long as the process (a kill -9
 * too: the kernel drops it), so the descriptor stays open until exit. open_db takes it before it
 * opens the database: opening may migrate its schema, under the running serve's feet. */
static gboolean
lock_data_dir (FfCli   *cli,
               GError **error)
{
  g_autofree char *path = ff_cli_path (cli, "serve.lock");
  int fd;
  int saved_errno;

  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED, _("Could not open %s: %s"),
                   path, g_strerror (errno));
      return FALSE;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) == 0)
    return TRUE;
  saved_errno = errno;
  close (fd);
  if (saved_errno == EWOULDBLOCK)
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                 _("Another fieldflash-platform serve runs on %s already; stop it before starting "
                   "this one"), cli->data_dir);
  else
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED, _("Could not lock %s: %s"),
                 path, g_strerror (saved_errno));
  return FALSE;
}

/* Opens the data directory's database once it is known to be one (no lock file is left in a
 * directory that is not the platform's), after taking serve's lock if @lock. */
static FfPlatformDb *
open_db (FfCli    *cli,
         gboolean  lock,
         GError  **error)
{
  guint changed = 0;

  g_autofree char *path = ff_cli_path (cli, "platform.db");

  if (cli->db != NULL)
    return cli->db;
  if (!is_data_dir (cli, error) || (lock && !lock_data_dir (cli, error)))
    return NULL;
  /* A directory made before init set its mode, or loosened since, would let others read the PIN
   * hashes and keys: every verb that opens it makes it the platform user's alone again. */
  if (!make_private (cli->data_dir, &changed, error))
    return NULL;
  if (changed > 0)
    g_printerr (_("fieldflash-platform: others could use %s (files and directories: %u); it is "
                  "now for this user only\n"), cli->data_dir, changed);
  cli->db = lock ? ff_platform_db_open (path, error) : ff_platform_db_open_briefly (path, error);
  return cli->db;
}

FfPlatformDb *
ff_cli_open_db (FfCli   *cli,
                GError **error)
{
  return open_db (cli, FALSE, error);
}

FfKey *
ff_cli_load_key (FfCli   *cli,
                 GError **error)
{
  g_autofree char *path = ff_cli_path (cli, "platform-key.pem");

  return ff_key_load_private (path, error);
}

gboolean
ff_cli_parse (FfCli         *cli,
              const char    *parameter_string,
              const char    *summary,
              GOptionEntry  *entries,
              int           *argc,
              char        ***argv,
              GError       **error)
{
  g_autofree char *data_dir = NULL;
  const GOptionEntry common[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
      N_("The platform's data directory"), N_("DIR") },
    { NULL }
  };

  if (!ff_cli_parse_options (argc, argv, parameter_string, summary, entries, common, error))
    return FALSE;
  if (data_dir != NULL)
    {
      g_free (cli->data_dir);
      cli->data_dir = g_steal_pointer (&data_dir);
    }
  return TRUE;
}

gboolean
ff_cli_usage_error (GError    **error,
                    const char *message)
{
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, message);
  return FALSE;
}

void
ff_cli_print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

void
ff_cli_print_rows (GPtrArray *rows,
                   gboolean   json,
                   void     (*print_line)  (gconstpointer row),
                   void     (*add_members) (JsonBuilder   *builder,
                                            gconstpointer  row))
{
  g_autoptr(JsonBuilder) builder = NULL;

  if (!json)
    {
      for (guint i = 0; i < rows->len; i++)
        print_line (g_ptr_array_index (rows, i));
      return;
    }
  builder = json_builder_new_immutable ();
  json_builder_begin_array (builder);
  for (guint i = 0; i < rows->len; i++)
    {
      json_builder_begin_object (builder);
      add_members (builder, g_ptr_array_index (rows, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  ff_cli_print_json (builder);
}

char *
ff_cli_format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (unix_seconds);

  return g_date_time_format (time, "%Y-%m-%d %H:%M:%SZ");
}

gboolean
ff_cli_check_name (const char  *name,
                   GError     **error)
{
  /* Supervisors' names are signed into tasks; meters' names, vendors and models listed. */
  if (!ff_display_name_is_valid (name))
    return ff_cli_usage_error (error, _("The name must have 1 to 128 bytes of UTF-8 without "
                                        "control characters"));
  return TRUE;
}

gboolean
ff_cli_sub_verb_is (int         argc,
                    char      **argv,
                    const char *name)
{
  return argc >= 2 && g_str_equal (argv[1], name);
}

gboolean
ff_cli_unknown_sub_verb (GError    **error,
                         const char *verb,
                         const char *choices)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
               _("Use “fieldflash-platform %s %s”"), verb, choices);
  return FALSE;
}

char *
ff_cli_read_secret (const char *prompt)
{
  gboolean interactive = isatty (STDIN_FILENO);
  struct termios saved, quiet;
  char line[FF_CLI_SECRET_MAX + 2];
  char *secret = NULL;

  if (interactive)
    {
      g_printerr ("%s", prompt);
      tcgetattr (STDIN_FILENO, &saved);
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
    }
  if (fgets (line, sizeof line, stdin) != NULL)
    secret = g_strdup (g_strchomp (line));
  if (interactive)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &saved);
      g_printerr ("\n");
    }
  memset (line, 0, sizeof line);
  return secret;
}

char *
ff_cli_read_pin (void)
{
  return ff_cli_read_secret (_("PIN: "));
}

gboolean
ff_cli_init (FfCli   *cli,
             int      argc,
             char   **argv,
             GError **error)
{
  g_autofree char *host = NULL;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host,
      N_("Host name for the TLS certificate (default: localhost)"), N_("NAME") },
    { NULL }
  };
  g_autofree char *db_path = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *pub_path = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *tls_key_path = NULL;
  g_autofree char *pem = NULL;
  g_autoptr(FfKey) key = NULL;

  if (!ff_cli_parse (cli, NULL, _("Create the database, the platform's signing key and a TLS "
                                  "certificate"), entries, &argc, &argv, error))
    return FALSE;
  db_path = ff_cli_path (cli, "platform.db");
  key_path = ff_cli_path (cli, "platform-key.pem");
  pub_path = ff_cli_path (cli, "platform-key.pub.pem");
  cert_path = ff_cli_path (cli, "tls.crt");
  tls_key_path = ff_cli_path (cli, "tls.key");
  if (g_file_test (key_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                   _("%s is already initialised; its keys are never replaced"), cli->data_dir);
      return FALSE;
    }
  if (g_mkdir_with_parents (cli->data_dir, 0700) != 0)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                   _("Could not create %s: %s"), cli->data_dir, g_strerror (errno));
      return FALSE;
    }
  /* A directory that existed keeps its mode, but the database holds PIN hashes and the keys lie
   * next to it: it is for the platform's user alone. */
  if (g_chmod (cli->data_dir, 0700) != 0)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                   _("Could not make %s private (mode 0700): %s"), cli->data_dir,
                   g_strerror (errno));
      return FALSE;
    }
  /* What a killed init left (its temporary key files, mode 0600 like the keys) goes first. */
  ff_platform_remove_init_leftovers (cli->data_dir);
  key = ff_key_generate (error);
  pem = key != NULL ? ff_key_get_public_pem (key) : NULL;
  if (key == NULL
      || (cli->db = ff_platform_db_open (db_path, error)) == NULL
      || !ff_tls_certificate_generate (cert_path, tls_key_path, host ? host : "localhost",
                                       TLS_CERTIFICATE_DAYS, error)
      || !ff_file_replace (pub_path, pem, -1, 0600, error)
      /* The private key last: its presence is what marks the directory as initialised. */
      || !ff_key_save_private (key, key_path, error))
    return FALSE;
  g_print (_("Initialised %s\n"), cli->data_dir);
  return TRUE;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

/* The SIGTERM and SIGINT sources that stop serve, removed on every way out of it. */
typedef struct
{
  guint sigterm;
  guint sigint;
} StopSignals;

static void
stop_signals_remove (StopSignals *stop)
{
  g_clear_handle_id (&stop->sigterm, g_source_remove);
  g_clear_handle_id (&stop->sigint, g_source_remove);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StopSignals, stop_signals_remove)

/* Each client connection is a descriptor: the soft limit (often 1,024) would refuse connections
 * long before the per-address limits matter. */
static void
raise_descriptor_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

gboolean
ff_cli_serve (FfCli   *cli,
              int      argc,
              char   **argv,
              GError **error)
{
  g_autofree char *listen = NULL;
  gboolean insecure = FALSE;
  int per_address = FF_PLATFORM_DEFAULT_CONNECTIONS_PER_ADDRESS;
  int login_queue = FF_PLATFORM_DEFAULT_LOGIN_QUEUE;
  int coap_port = -1, coaps_port = -1;
  GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen,
      N_("Address and port to listen on (default 127.0.0.1:8443; port 0 picks one)"),
      N_("HOST:PORT") },
    { "insecure-http", 0, 0, G_OPTION_ARG_NONE, &insecure,
      N_("Serve plain HTTP (only on a loopback address, for tests)"), NULL },
    { "max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &per_address,
      N_("Connections one client address may hold open (default 64)"), N_("N") },
    { "login-queue", 0, 0, G_OPTION_ARG_INT, &login_queue,
      N_("Logins that may wait for a hashing thread before more are refused (default 64)"),
      N_("N") },
    { "coap-port", 0, 0, G_OPTION_ARG_INT, &coap_port,
      N_("Serve smart meters over CoAP on this UDP port of the --listen address (0 picks one)"),
      N_("PORT") },
    { "coaps-port", 0, 0, G_OPTION_ARG_INT, &coaps_port,
      N_("Also serve them over CoAP with DTLS (their keys in the ledger) on this UDP port "
         "(0 picks one)"), N_("PORT") },
    { NULL }
  };
  FfPlatformLimits limits;
  g_autoptr(FfMeterService) meters = NULL;
  g_autoptr(FfKey) key = NULL;
  FfPlatformTls *tls = NULL;
  g_autoptr(FfPlatformServer) server = NULL;
  g_autoptr(FfRemoteService) remote = NULL;
  g_autoptr(FfCampaignEngine) campaigns = NULL;
  g_autoptr(GError) remote_error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_auto(StopSignals) stop = { 0, 0 };
  g_autofree char *uri = NULL;

  if (!ff_cli_parse (cli, NULL, _("Serve the tablets' HTTP API"), entries, &argc, &argv, error)
      || open_db (cli, TRUE, error) == NULL
      || (key = ff_cli_load_key (cli, error)) == NULL)
    return FALSE;
  /* Holding DATA/serve.lock: no upload of another serve can be under way. */
  ff_platform_remove_upload_leftovers (cli->data_dir);
  if (per_address < 1 || login_queue < 1)
    return ff_cli_usage_error (error, _("--max-connections-per-address and --login-queue must be "
                                        "at least 1"));
  if (coap_port > G_MAXUINT16 || coaps_port > G_MAXUINT16 || (coaps_port >= 0 && coap_port < 0))
    return ff_cli_usage_error (error, _("--coap-port and --coaps-port must be UDP ports (0 to "
                                        "65535), and --coaps-port needs --coap-port"));
  limits.max_connections_per_address = (guint) per_address;
  limits.login_queue = (guint) login_queue;
  /* Before anything says serve is ready: a supervisor may stop it as soon as it reads that line,
   * and a SIGTERM without a handler would kill it instead. A signal that comes before the loop
   * runs waits in its source and stops the loop once it does. */
  loop = g_main_loop_new (NULL, FALSE);
  stop.sigterm = g_unix_signal_add (SIGTERM, quit_loop, loop);
  stop.sigint = g_unix_signal_add (SIGINT, quit_loop, loop);
  raise_descriptor_limit ();
  if (!insecure)
    {
      g_autofree char *cert_path = ff_cli_path (cli, "tls.crt");
      g_autofree char *tls_key_path = ff_cli_path (cli, "tls.key");

      tls = ff_platform_tls_new (cert_path, tls_key_path, error);
      if (tls == NULL)
        return FALSE;
    }
  server = ff_platform_server_new (cli->db, cli->data_dir, key, tls, &limits, error);
  if (server == NULL)
    return FALSE;
  uri = ff_platform_server_listen (server, listen ? listen : "127.0.0.1:8443", error);
  if (uri == NULL)
    return FALSE;
  /* Networked terminals, when the platform has a broker (`mqtt config`). */
  remote = ff_remote_service_start (cli->db, cli->data_dir, key,
                                    ff_platform_server_get_metrics (server), &remote_error);
  if (remote_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&remote_error));
      return FALSE;
    }
  campaigns = ff_campaign_engine_new (cli->db, cli->data_dir, key, remote, error);
  if (campaigns == NULL)
    return FALSE;
  g_print ("listening on %s\n", uri);
  /* Smart meters: CoAP on the address the HTTP API listens on. */
  if (coap_port >= 0)
    {
      g_autofree char *host = g_strdup (listen ? listen : "127.0.0.1:8443");
      char *colon = strrchr (host, ':');

      if (colon != NULL)
        *colon = '\0';
      meters = ff_meter_service_start (cli->db, cli->data_dir, key, host, (guint16) coap_port,
                                       coaps_port, error);
      if (meters == NULL)
        return FALSE;
      g_print ("coap listening on %s:%u\n", host, ff_meter_service_get_port (meters));
      if (coaps_port >= 0)
        g_print ("coaps listening on %s:%u\n", host, ff_meter_service_get_dtls_port (meters));
    }
  fflush (stdout);
  g_main_loop_run (loop);
  return TRUE;
}

gboolean
ff_cli_export_key (FfCli   *cli,
                   int      argc,
                   char   **argv,
                   GError **error)
{
  g_autoptr(FfKey) key = NULL;
  g_autofree char *pem = NULL;

  if (!ff_cli_parse (cli, NULL, _("Print the platform's public key (PEM) for enrolling tablets"),
                     NULL, &argc, &argv, error)
      || (key = ff_cli_load_key (cli, error)) == NULL)
    return FALSE;
  pem = ff_key_get_public_pem (key);
  fputs (pem, stdout);
  return TRUE;
}
