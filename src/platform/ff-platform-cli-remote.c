/* Operator verbs for networked terminals: the MQTT broker's configuration, a terminal's link and
 * credentials, .ffpkg packages, remote upgrades and their results. */
#include "config.h"

#include "ff-platform-cli.h"

#include "ff-document.h"
#include "ff-package.h"
#include "ff-platform-clock.h"
#include "ff-platform-fleet-db.h"
#include "ff-platform-fleet.h"
#include "ff-platform-mqtt.h"
#include "ff-platform-remote.h"
#include "ff-version.h"
#include "ff-platform-upgrade-checks.h"

#include <glib/gi18n-lib.h>

/* How long `remote upgrade` waits for the broker to take its commands. */
#define PUBLISH_TIMEOUT_SECONDS 20

/* terminals credentials | set-link */

/* How many terminals' keys are recorded in one transaction (and their directories synced once). */
#define CREDENTIALS_BATCH 256
/* How many terminals' credentials are written at once: the time goes into waiting for the disk
 * (each file and directory synced), and syncs in flight together cost hardly more than one. */
#define CREDENTIALS_WRITERS 8

/* A terminal's credentials, written by a worker of the batch. */
typedef struct
{
  char    *device_id;
  char    *dir;
  char    *public_pem;
  GError  *error;
  gboolean replaced;
} Issue;

static void
issue_free (Issue *issue)
{
  g_free (issue->device_id);
  g_free (issue->dir);
  g_free (issue->public_pem);
  g_clear_error (&issue->error);
  g_free (issue);
}

/* Terminals whose credentials are being written or in place, their keys not recorded yet. */
typedef struct
{
  FfMqttIssuer *issuer;
  /* The writers are joined before the command returns, not a GThreadPool's: a pool's threads end
   * on their own, and one ending as the process exits runs OpenSSL's thread cleanup while its
   * atexit cleanup (OPENSSL_cleanup) frees the same per-thread state without a lock — seen as
   * "double free or corruption" at the end of a run. */
  GThread      *writers[CREDENTIALS_WRITERS];
  guint         n_writers;
  GAsyncQueue  *queue;     /* of Issue, and the batch itself to stop a writer */
  GPtrArray    *issues;
  GHashTable   *dirs;      /* of the issues: a terminal named twice is written after its batch */
  GMutex        lock;
  GCond         written;
  guint         pending;
} Batch;

static gpointer
write_credentials (gpointer data)
{
  Batch *batch = data;
  gpointer item;

  while ((item = g_async_queue_pop (batch->queue)) != batch)
    {
      Issue *issue = item;

      issue->public_pem = ff_mqtt_issuer_issue (batch->issuer, issue->device_id, issue->dir,
                                                &issue->error);
      g_mutex_lock (&batch->lock);
      batch->pending--;
      g_cond_signal (&batch->written);
      g_mutex_unlock (&batch->lock);
    }
  return NULL;
}

/* Starts @batch's writers; FALSE with @error if not one could be started. */
static gboolean
start_writers (Batch   *batch,
               GError **error)
{
  g_autoptr(GError) local_error = NULL;

  while (batch->n_writers < CREDENTIALS_WRITERS
         && (batch->writers[batch->n_writers] = g_thread_try_new ("credentials", write_credentials,
                                                                  batch, &local_error)) != NULL)
    batch->n_writers++;
  if (batch->n_writers > 0)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* Stops @batch's writers and waits until each has ended — its OpenSSL thread state freed — so
 * that none ends while the process exits. */
static void
stop_writers (Batch *batch)
{
  for (guint i = 0; i < batch->n_writers; i++)
    g_async_queue_push (batch->queue, batch);
  for (guint i = 0; i < batch->n_writers; i++)
    g_thread_join (batch->writers[i]);
  batch->n_writers = 0;
}

static gboolean
record_keys (FfPlatformDb *db,
             gpointer      user_data,
             GError      **error)
{
  Batch *batch = user_data;
  gint64 now = ff_platform_now ();

  for (guint i = 0; i < batch->issues->len; i++)
    {
      Issue *issue = batch->issues->pdata[i];

      if (issue->public_pem != NULL
          && !ff_platform_db_set_terminal_key (db, issue->device_id, issue->public_pem, now,
                                               &issue->replaced, error))
        return FALSE;
    }
  return TRUE;
}

/* Waits for the batch's credentials, makes their directories durable, then records their keys
 * in one transaction: a terminal killed before has its files but not its key, and is issued
 * again by the next run. FALSE with the first terminal's error, the others recorded all the
 * same (their files are in place). */
static gboolean
record_batch (FfCli   *cli,
              Batch   *batch,
              GError **error)
{
  GError *first_error = NULL;
  gboolean ok;

  g_mutex_lock (&batch->lock);
  while (batch->pending > 0)
    g_cond_wait (&batch->written, &batch->lock);
  g_mutex_unlock (&batch->lock);
  for (guint i = 0; first_error == NULL && i < batch->issues->len; i++)
    first_error = ((Issue *) batch->issues->pdata[i])->error;
  ok = ff_mqtt_issuer_sync (batch->issuer, error)
       && ff_platform_db_transaction (cli->db, record_keys, batch, error);
  for (guint i = 0; ok && i < batch->issues->len; i++)
    {
      Issue *issue = batch->issues->pdata[i];

      if (issue->public_pem == NULL)
        continue;
      if (issue->replaced)
        g_print (_("Replaced the credentials of %s: its previous key no longer signs results\n"),
                 issue->device_id);
      g_print (_("Wrote the credentials of %s to %s\n"), issue->device_id, issue->dir);
    }
  if (ok && first_error != NULL)
    {
      g_propagate_error (error, g_error_copy (first_error));
      ok = FALSE;
    }
  g_ptr_array_set_size (batch->issues, 0);
  g_hash_table_remove_all (batch->dirs);
  return ok;
}

/* Checks @device_id, then has its credentials written into @out_dir by @batch's workers — with
 * @missing_only, unless the platform records its key already. */
static gboolean
issue_credentials (FfCli       *cli,
                   Batch       *batch,
                   const char  *device_id,
                   const char  *out_dir,
                   gboolean     missing_only,
                   GError     **error)
{
  g_autoptr(FfTerminal) terminal = NULL;
  g_autoptr(FfTerminalLink) link = NULL;
  Issue *issue;

  if (!ff_remote_device_id_is_valid (device_id)
      || g_str_equal (device_id, FF_MQTT_PLATFORM_USER))
    return ff_cli_usage_error (error, _("This device ID cannot be an MQTT identity (it has “+”, "
                                        "“#”, “\"” or “/”, or is the platform's own)"));
  if ((terminal = ff_platform_db_require_terminal (cli->db, device_id, error)) == NULL
      || (missing_only && (link = ff_platform_db_get_link (cli->db, device_id, error)) == NULL))
    return FALSE;
  /* A recorded key's directory was in place and synced before the key was recorded. */
  if (link != NULL && link->public_key_pem != NULL)
    {
      g_print (_("Kept the credentials of %s: they were issued already\n"), device_id);
      return TRUE;
    }
  issue = g_new0 (Issue, 1);
  issue->device_id = g_strdup (device_id);
  issue->dir = g_strdup (out_dir);
  g_ptr_array_add (batch->issues, issue);
  g_hash_table_add (batch->dirs, issue->dir);
  g_mutex_lock (&batch->lock);
  batch->pending++;
  g_mutex_unlock (&batch->lock);
  g_async_queue_push (batch->queue, issue);
  return TRUE;
}

gboolean
ff_cli_terminals_credentials (FfCli   *cli,
                              int      argc,
                              char   **argv,
                              GError **error)
{
  g_autofree char *out_dir = NULL;
  gboolean missing_only = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
      N_("Directory to write the credentials to (with several terminals, one directory each "
         "in it, named by the device ID)"), N_("DIR") },
    { "missing", 0, 0, G_OPTION_ARG_NONE, &missing_only,
      N_("Only the terminals whose credentials were not issued yet (the rest of a run that was "
         "cut off)"), NULL },
    { NULL }
  };
  g_autoptr(FfKey) key = NULL;
  g_autoptr(FfMqttIssuer) issuer = NULL;
  Batch batch = { 0 };
  gboolean ok = TRUE;

  if (!ff_cli_parse (cli, "DEVICE-ID…", _("Issue networked terminals' keys and certificates"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc < 2 || out_dir == NULL)
    return ff_cli_usage_error (error, _("Name the terminals and the output directory (-o DIR)"));
  if (ff_cli_open_db (cli, error) == NULL || (key = ff_cli_load_key (cli, error)) == NULL
      || (issuer = ff_mqtt_issuer_new (cli->data_dir, key, error)) == NULL)
    return FALSE;
  batch.issuer = issuer;
  batch.issues = g_ptr_array_new_with_free_func ((GDestroyNotify) issue_free);
  batch.dirs = g_hash_table_new (g_str_hash, g_str_equal);
  g_mutex_init (&batch.lock);
  g_cond_init (&batch.written);
  batch.queue = g_async_queue_new ();
  ok = start_writers (&batch, error);
  /* One process for a whole fleet: issuing thousands one by one costs a start each. */
  for (int i = 1; batch.n_writers > 0 && ok && i < argc; i++)
    {
      g_autofree char *dir = argc == 2 ? g_strdup (out_dir)
                                       : g_build_filename (out_dir, argv[i], NULL);

      ok = (!g_hash_table_contains (batch.dirs, dir) || record_batch (cli, &batch, error))
           && issue_credentials (cli, &batch, argv[i], dir, missing_only, error)
           && (batch.issues->len < CREDENTIALS_BATCH || record_batch (cli, &batch, error));
    }
  /* The terminals issued before a failure are recorded all the same. */
  if (batch.n_writers > 0)
    ok = record_batch (cli, &batch, ok ? error : NULL) && ok;
  stop_writers (&batch);
  g_async_queue_unref (batch.queue);
  g_hash_table_unref (batch.dirs);
  g_ptr_array_unref (batch.issues);
  g_mutex_clear (&batch.lock);
  g_cond_clear (&batch.written);
  return ok;
}

gboolean
ff_cli_terminals_set_link (FfCli   *cli,
                           int      argc,
                           char   **argv,
                           GError **error)
{
  g_autoptr(FfTerminal) terminal = NULL;

  if (!ff_cli_parse (cli, "DEVICE-ID offline|mqtt",
                     _("Set how a terminal is upgraded: by tablet only (offline) or over MQTT"),
                     NULL, &argc, &argv, error))
    return FALSE;
  if (argc != 3 || (!g_str_equal (argv[2], FF_LINK_OFFLINE) && !g_str_equal (argv[2], FF_LINK_MQTT)))
    return ff_cli_usage_error (error, _("Name one terminal and its link: offline or mqtt"));
  if (g_str_equal (argv[2], FF_LINK_MQTT) && !ff_remote_device_id_is_valid (argv[1]))
    return ff_cli_usage_error (error, _("This device ID cannot be an MQTT identity (it has “+”, "
                                        "“#”, “\"” or “/”, or is the platform's own)"));
  if (ff_cli_open_db (cli, error) == NULL
      || (terminal = ff_platform_db_require_terminal (cli->db, argv[1], error)) == NULL
      || !ff_platform_db_set_link (cli->db, argv[1], argv[2], error))
    return FALSE;
  g_print (_("Terminal %s: link %s\n"), argv[1], argv[2]);
  return TRUE;
}

/* A line on the terminal's last retained state: online or not, the agent's state, its versions. */
static char *
describe_state (const FfTerminalLink *link)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *when = NULL;
  JsonObject *root = NULL, *versions = NULL;
  GString *text;

  if (link->state == NULL)
    return g_strdup (_("no state received"));
  parser = ff_document_parse_object (link->state, &root, NULL);
  when = ff_cli_format_time (link->state_at);
  if (parser == NULL)
    return g_strdup_printf (_("unreadable state (%s)"), when);
  text = g_string_new (ff_document_peek_true (root, "online") ? _("online") : _("offline"));
  g_string_append_printf (text, ", %s", ff_document_peek_string (root, "agent_state", "-"));
  if (json_object_has_member (root, "versions")
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "versions")))
    versions = json_object_get_object_member (root, "versions");
  if (versions != NULL)
    {
      g_autoptr(GList) kinds = json_object_get_members (versions);

      for (GList *l = kinds; l != NULL; l = l->next)
        g_string_append_printf (text, ", %s %s", (char *) l->data,
                                ff_document_peek_string (versions, l->data, "-"));
    }
  g_string_append_printf (text, " (%s)", when);
  return g_string_free (text, FALSE);
}

static void print_result_line (gconstpointer row);

gboolean
ff_cli_terminals_show (FfCli   *cli,
                       int      argc,
                       char   **argv,
                       GError **error)
{
  g_autoptr(FfTerminal) t = NULL;
  g_autoptr(FfTerminalLink) link = NULL;
  g_autoptr(GPtrArray) reports = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autofree char *state = NULL;

  if (!ff_cli_parse (cli, "DEVICE-ID", _("Show a terminal: ledger, link, state, reports and "
                                         "results"), NULL, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name one device ID"));
  if (ff_cli_open_db (cli, error) == NULL
      || (t = ff_platform_db_require_terminal (cli->db, argv[1], error)) == NULL
      || (link = ff_platform_db_get_link (cli->db, argv[1], error)) == NULL
      || (reports = ff_platform_db_list_device_reports (cli->db, argv[1], error)) == NULL
      || (results = ff_platform_db_list_results (cli->db, argv[1], error)) == NULL)
    return FALSE;
  state = describe_state (link);
  g_print ("%s\t%s\n", t->device_id, t->name);
  g_print (_("%s %s %s, runs %s\n"), t->vendor, t->model, t->hardware_version,
           t->software_version);
  g_print (_("Link: %s; credentials: %s; state: %s\n"), link->link,
           link->public_key_pem != NULL ? _("issued") : _("none"), state);
  g_print (_("Tablet reports: %u\n"), reports->len);
  for (guint i = 0; i < reports->len; i++)
    ff_cli_print_report_line (g_ptr_array_index (reports, i));
  g_print (_("Remote results: %u\n"), results->len);
  for (guint i = 0; i < results->len; i++)
    print_result_line (g_ptr_array_index (results, i));
  return TRUE;
}

/* mqtt config */

/* The platform's address as the terminals reach it: every command's package URL begins with it,
 * signed. https://HOST[:PORT][/PATH] with a host as --host takes it, nothing a URL cannot carry
 * (a line break, a space) and no user, query, fragment or final '/' (the routes follow it). */
static gboolean
platform_url_is_valid (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && g_strcmp0 (g_uri_get_scheme (uri), "https") == 0
         && ff_host_is_valid (g_uri_get_host (uri)) && g_uri_get_userinfo (uri) == NULL
         && g_uri_get_query (uri) == NULL && g_uri_get_fragment (uri) == NULL
         && !ff_text_has_control (url) && strchr (url, ' ') == NULL
         && !g_str_has_suffix (url, "/");
}

static gboolean
mqtt_config (FfCli   *cli,
             int      argc,
             char   **argv,
             GError **error)
{
  g_autofree char *out_dir = NULL, *host = NULL, *platform_host = NULL, *platform_url = NULL;
  int port = FF_MQTT_DEFAULT_PORT, platform_port = 0;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
      N_("Directory to write the broker's configuration to"), N_("DIR") },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host,
      N_("The broker's host name or address, as terminals reach it (default 127.0.0.1)"),
      N_("NAME") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("The broker's TLS port (default 8883)"),
      N_("PORT") },
    { "platform-host", 0, 0, G_OPTION_ARG_STRING, &platform_host,
      N_("The address of the broker's listener for the platform's own clients, never reachable "
         "from the terminals' network (default 127.0.0.1)"), N_("NAME") },
    { "platform-port", 0, 0, G_OPTION_ARG_INT, &platform_port,
      N_("The TLS port of the platform's listener (default: the broker's port + 1)"),
      N_("PORT") },
    { "platform-url", 0, 0, G_OPTION_ARG_STRING, &platform_url,
      N_("The platform's HTTPS address terminals download from (default https://HOST:8443)"),
      N_("URL") },
    { NULL }
  };
  g_autofree char *default_url = NULL;

  if (!ff_cli_parse (cli, NULL, _("Write the MQTT broker's configuration, ACL and certificates"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 1 || out_dir == NULL)
    return ff_cli_usage_error (error, _("Name the output directory (-o DIR)"));
  if (host != NULL && !ff_host_is_valid (host))
    return ff_cli_usage_error (error, _("The host must be a host name or an IP address"));
  if (port < 1 || port > 65535)
    return ff_cli_usage_error (error, _("The port must be between 1 and 65535"));
  if (platform_host != NULL && !ff_host_is_valid (platform_host))
    return ff_cli_usage_error (error, _("The platform's host must be a host name or an IP "
                                        "address"));
  if (platform_port == 0)
    platform_port = port + 1;
  if (platform_port < 1 || platform_port > 65535 || platform_port == port)
    return ff_cli_usage_error (error, _("The platform's port must be between 1 and 65535, and "
                                        "not the terminals' (--port)"));
  if (platform_url != NULL && !platform_url_is_valid (platform_url))
    return ff_cli_usage_error (error, _("The platform URL must look like https://HOST[:PORT], "
                                        "the address terminals download packages from"));
  default_url = g_strdup_printf ("https://%s:8443", host != NULL ? host : "127.0.0.1");
  if (ff_cli_open_db (cli, error) == NULL
      || !ff_mqtt_write_config (cli->data_dir, out_dir, host != NULL ? host : "127.0.0.1",
                                (guint) port,
                                platform_host != NULL ? platform_host : "127.0.0.1",
                                (guint) platform_port,
                                platform_url != NULL ? platform_url : default_url, error))
    return FALSE;
  g_print (_("Wrote the broker's configuration to %s; start it with “mosquitto -c "
             "%s/mosquitto.conf”\n"), out_dir, out_dir);
  return TRUE;
}

gboolean
ff_cli_mqtt (FfCli   *cli,
             int      argc,
             char   **argv,
             GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "config"))
    return mqtt_config (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "mqtt", "config -o DIR");
}

/* packages build */

static gboolean
add_payload (JsonArray   *payloads,
             GPtrArray   *paths,
             const char  *kind,
             const char  *file,
             const char  *version,
             const char  *min_installed,
             GError     **error)
{
  JsonObject *payload;

  if (file == NULL && version == NULL)
    return TRUE;
  if (file == NULL || version == NULL || !ff_version_is_valid (version))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Give --%s FILE with --%s-version VERSION (a version such as V2.01)"), kind,
                   kind);
      return FALSE;
    }
  payload = json_object_new ();
  json_object_set_string_member (payload, "kind", kind);
  json_object_set_string_member (payload, "version", version);
  if (min_installed != NULL)
    json_object_set_string_member (payload, "min_installed_version", min_installed);
  json_array_add_object_element (payloads, payload);
  g_ptr_array_add (paths, g_strdup (file));
  return TRUE;
}

static gboolean
packages_build (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  g_autofree char *vendor = NULL, *model = NULL, *hardware = NULL, *version = NULL, *notes = NULL;
  g_autofree char *out = NULL, *min_installed = NULL;
  char *files[FF_PACKAGE_MAX_PAYLOADS + 1] = { NULL };
  char *versions[FF_PACKAGE_MAX_PAYLOADS + 1] = { NULL };
  static const char *const kinds[] = { "kernel", "rootfs", "main-program", "updater", "meter-app" };
  GOptionEntry entries[] = {
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Vendor"), N_("VENDOR") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Model"), N_("MODEL") },
    { "hardware", 0, 0, G_OPTION_ARG_STRING, &hardware,
      N_("Compatible hardware versions, separated by commas"), N_("HV,…") },
    { "version", 0, 0, G_OPTION_ARG_STRING, &version, N_("The package's version"),
      N_("VERSION") },
    { "kernel", 0, 0, G_OPTION_ARG_FILENAME, &files[0], N_("Kernel image"), N_("FILE") },
    { "kernel-version", 0, 0, G_OPTION_ARG_STRING, &versions[0], N_("Its version"),
      N_("VERSION") },
    { "rootfs", 0, 0, G_OPTION_ARG_FILENAME, &files[1], N_("Root file system image"),
      N_("FILE") },
    { "rootfs-version", 0, 0, G_OPTION_ARG_STRING, &versions[1], N_("Its version"),
      N_("VERSION") },
    { "main-program", 0, 0, G_OPTION_ARG_FILENAME, &files[2], N_("Main program"), N_("FILE") },
    { "main-program-version", 0, 0, G_OPTION_ARG_STRING, &versions[2], N_("Its version"),
      N_("VERSION") },
    { "updater", 0, 0, G_OPTION_ARG_FILENAME, &files[3], N_("Updater program"), N_("FILE") },
    { "updater-version", 0, 0, G_OPTION_ARG_STRING, &versions[3], N_("Its version"),
      N_("VERSION") },
    { "meter-app", 0, 0, G_OPTION_ARG_FILENAME, &files[4],
      N_("A smart meter's app image (--model names the app)"), N_("FILE") },
    { "meter-app-version", 0, 0, G_OPTION_ARG_STRING, &versions[4],
      N_("Its version (MAJOR.MINOR.PATCH)"), N_("VERSION") },
    { "min-installed", 0, 0, G_OPTION_ARG_STRING, &min_installed,
      N_("The lowest installed version the payloads may replace"), N_("VERSION") },
    { "notes", 0, 0, G_OPTION_ARG_STRING, &notes, N_("Release notes"), N_("TEXT") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("The package to write"),
      N_("OUT.ffpkg") },
    { NULL }
  };
  g_autoptr(JsonObject) manifest = json_object_new ();
  g_autoptr(JsonArray) payloads = json_array_new ();
  g_autoptr(JsonArray) hardware_versions = json_array_new ();
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(FfKey) key = NULL;
  g_auto(GStrv) hardware_list = NULL;
  gboolean ok = TRUE;

  ok = ff_cli_parse (cli, NULL, _("Build a signed package (.ffpkg) for networked terminals"),
                     entries, &argc, &argv, error);
  for (guint i = 0; ok && i < G_N_ELEMENTS (kinds); i++)
    ok = add_payload (payloads, paths, kinds[i], files[i], versions[i], min_installed, error);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_free (files[i]);
      g_free (versions[i]);
    }
  if (!ok)
    return FALSE;
  if (argc != 1 || vendor == NULL || model == NULL || hardware == NULL || version == NULL
      || out == NULL || paths->len == 0)
    return ff_cli_usage_error (error, _("Give --vendor, --model, --hardware, --version, at least "
                                        "one payload and -o OUT.ffpkg"));
  if (min_installed != NULL && !ff_version_is_valid (min_installed))
    return ff_cli_usage_error (error, _("The version must look like V2.01"));
  hardware_list = ff_platform_split_list (hardware);
  if (!ff_platform_check_hardware_named_once ((const char *const *) hardware_list, error))
    return FALSE;
  for (guint i = 0; hardware_list[i] != NULL; i++)
    json_array_add_string_element (hardware_versions, hardware_list[i]);
  json_object_set_string_member (manifest, "vendor", vendor);
  json_object_set_string_member (manifest, "model", model);
  json_object_set_array_member (manifest, "hardware_versions", g_steal_pointer (&hardware_versions));
  json_object_set_string_member (manifest, "version", version);
  if (notes != NULL)
    json_object_set_string_member (manifest, "notes", notes);
  json_object_set_array_member (manifest, "payloads", g_steal_pointer (&payloads));
  g_ptr_array_add (paths, NULL);
  if ((key = ff_cli_load_key (cli, error)) == NULL
      || !ff_package_build (out, key, manifest, (const char *const *) paths->pdata, error))
    return FALSE;
  g_print (_("Wrote the package %s %s %s to %s\n"), vendor, model, version, out);
  return TRUE;
}

gboolean
ff_cli_packages (FfCli   *cli,
                 int      argc,
                 char   **argv,
                 GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "build"))
    return packages_build (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "packages", "build … -o OUT.ffpkg");
}

/* Sets *@option to @value when it is unset; FALSE when it is set to something else. */
static gboolean
fill_option (char      **option,
             const char *value)
{
  if (*option == NULL)
    *option = g_strdup (value);
  return g_str_equal (*option, value);
}

gboolean
ff_cli_package_fill_firmware (FfCli       *cli,
                              const char  *path,
                              char       **vendor,
                              char       **model,
                              char       **version,
                              char       **hardware,
                              char       **notes,
                              GError     **error)
{
  g_autoptr(FfKey) key = ff_cli_load_key (cli, error);
  g_autoptr(FfPackage) package = NULL;
  g_autofree char *hardware_list = NULL;

  if (key == NULL || (package = ff_package_open (path, key, error)) == NULL)
    return FALSE;
  hardware_list = g_strjoinv (",", (char **) ff_package_get_hardware_versions (package));
  if (!fill_option (vendor, ff_package_get_vendor (package))
      || !fill_option (model, ff_package_get_model (package))
      || !fill_option (version, ff_package_get_version (package))
      || !fill_option (hardware, hardware_list))
    return ff_cli_usage_error (error, _("The package's manifest says otherwise: leave out "
                                        "--vendor, --model, --version and --hardware"));
  if (*notes == NULL && ff_package_get_notes (package) != NULL)
    *notes = g_strdup (ff_package_get_notes (package));
  return TRUE;
}

/* remote upgrade | results */

gboolean
ff_cli_parse_duration (const char *text,
                       gint64     *seconds)
{
  static const struct { char unit; gint64 seconds; } units[] = {
    { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
  };
  g_autofree char *number = g_strdup (text);
  gsize length = strlen (number);
  gint64 factor = 1;
  guint64 value = 0;

  for (gsize i = 0; length > 0 && i < G_N_ELEMENTS (units); i++)
    if (number[length - 1] == units[i].unit)
      {
        factor = units[i].seconds;
        number[length - 1] = '\0';
      }
  if (!g_ascii_string_to_unsigned (number, 10, 1, 10 * 365 * 86400 / factor, &value, NULL))
    return FALSE;
  *seconds = (gint64) value * factor;
  return TRUE;
}

typedef struct
{
  FfCli     *cli;
  GPtrArray *records;
  GMainLoop *loop;
  guint      claimed;      /* published by this process (not by `serve`) */
  guint      sent;
  guint      timeout_id;
  GError    *error;
} Publishing;

static void
publish_connected (FfMqttClient *client,
                   gpointer      user_data)
{
  Publishing *publishing = user_data;
  g_autoptr(GPtrArray) claimed = g_ptr_array_new ();

  /* Claimed first (recorded as published), so that `serve` does not send them as well; one
   * `serve` claimed already is its to send. Published retained, as `serve` does: if this process
   * dies before the broker has them, the next start of `serve` finds them missing there and
   * publishes them. */
  if (ff_platform_db_claim_commands (publishing->cli->db, publishing->records, ff_platform_now (),
                                     claimed, &publishing->error))
    for (guint i = 0; i < claimed->len && publishing->error == NULL; i++)
      {
        FfRemoteCommandRecord *record = g_ptr_array_index (claimed, i);
        g_autofree char *topic = ff_remote_topic (record->device_id, "cmd");

        publishing->claimed++;
        ff_mqtt_client_publish (client, topic, record->envelope, TRUE, record->command_id,
                                &publishing->error);
      }
  if (publishing->error != NULL || publishing->claimed == 0)
    g_main_loop_quit (publishing->loop);
}

static void
publish_done (FfMqttClient *client,
              const char   *tag,
              gpointer      user_data)
{
  Publishing *publishing = user_data;

  if (publishing->error == NULL
      && ff_platform_db_mark_command_sent (publishing->cli->db, tag, ff_platform_now (),
                                           &publishing->error))
    publishing->sent++;
  if (publishing->error != NULL || publishing->sent == publishing->claimed)
    g_main_loop_quit (publishing->loop);
}

static gboolean
publish_timeout (gpointer user_data)
{
  Publishing *publishing = user_data;

  publishing->timeout_id = 0;
  g_main_loop_quit (publishing->loop);
  return G_SOURCE_REMOVE;
}

/* Publishes @records and marks each sent once the broker has it; what could not be published (no
 * broker) goes out when `serve` starts. Each is recorded as published before it is; `serve`
 * publishes one again only when the broker does not hold it. */
static gboolean
publish_commands (FfCli      *cli,
                  GPtrArray  *records,
                  GError    **error)
{
  static const FfMqttHandlers handlers = { publish_connected, NULL, publish_done };
  g_autoptr(FfMqttSettings) settings = ff_mqtt_settings_load (cli->data_dir, error);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *suffix = ff_random_hex (4);
  g_autofree char *client_id = g_strdup_printf ("%s-cli-%s", FF_MQTT_PLATFORM_USER, suffix);
  g_autoptr(FfMqttClient) client = NULL;
  Publishing publishing = { cli, records, loop, 0, 0, 0, NULL };

  if (settings == NULL)
    return FALSE;
  client = ff_mqtt_client_new (settings, client_id, FALSE, &handlers, &publishing, error);
  if (client == NULL || !ff_mqtt_client_connect (client, FALSE, error))
    return FALSE;
  publishing.timeout_id = g_timeout_add_seconds (PUBLISH_TIMEOUT_SECONDS, publish_timeout,
                                                 &publishing);
  g_main_loop_run (loop);
  g_clear_handle_id (&publishing.timeout_id, g_source_remove);
  if (publishing.error != NULL)
    {
      g_propagate_error (error, publishing.error);
      return FALSE;
    }
  if (publishing.sent < publishing.claimed)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                   _("The broker took %u of %u commands within %d s"), publishing.sent,
                   publishing.claimed, PUBLISH_TIMEOUT_SECONDS);
      return FALSE;
    }
  return TRUE;
}

static gboolean
remote_upgrade (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  g_autofree char *version = NULL, *valid_for = NULL;
  gboolean rollback = FALSE, full = FALSE;
  GOptionEntry entries[] = {
    { "firmware", 0, 0, G_OPTION_ARG_STRING, &version,
      N_("The firmware version to install (a package, .ffpkg)"), N_("VERSION") },
    { "full", 0, 0, G_OPTION_ARG_NONE, &full,
      N_("Send the full package, never one of delta patches for the installed images"), NULL },
    { "rollback", 0, 0, G_OPTION_ARG_NONE, &rollback,
      N_("Install an older version (a signed rollback)"), NULL },
    { "valid-for", 0, 0, G_OPTION_ARG_STRING, &valid_for,
      N_("How long the command may be executed (default 7d; 90s, 45m, 12h, 7d)"),
      N_("DURATION") },
    { NULL }
  };
  g_autoptr(FfKey) key = NULL;
  g_autoptr(FfMqttSettings) settings = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) publish_error = NULL;
  gint64 valid_seconds = FF_REMOTE_DEFAULT_VALID_SECONDS;
  FfRemoteContext context;

  if (!ff_cli_parse (cli, "DEVICE-ID…", _("Send signed upgrade commands to networked terminals"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc < 2 || version == NULL)
    return ff_cli_usage_error (error, _("Name the terminals and --firmware VERSION"));
  if (!ff_version_is_valid (version))
    return ff_cli_usage_error (error, _("The version must look like V2.01"));
  if (valid_for != NULL && !ff_cli_parse_duration (valid_for, &valid_seconds))
    return ff_cli_usage_error (error, _("The duration must be a number of seconds, or end in s, "
                                        "m, h or d (12h)"));
  if (ff_cli_open_db (cli, error) == NULL || (key = ff_cli_load_key (cli, error)) == NULL
      || (settings = ff_mqtt_settings_load (cli->data_dir, error)) == NULL)
    return FALSE;
  context = (FfRemoteContext) { cli->db, cli->data_dir, key, settings->platform_url, full };
  records = ff_platform_remote_upgrade (&context, (const char *const *) argv + 1, version,
                                        rollback, valid_seconds, ff_platform_now (), error);
  if (records == NULL)
    return FALSE;
  for (guint i = 0; i < records->len; i++)
    {
      FfRemoteCommandRecord *record = g_ptr_array_index (records, i);

      g_print (_("%s: command %s (%s %s)\n"), record->device_id, record->command_id, record->kind,
               version);
      if (record->delta)
        g_print (_("%s: delta package %s (%lu bytes)\n"), record->device_id,
                 record->package_sha256, (unsigned long) record->package_size);
    }
  if (!publish_commands (cli, records, &publish_error))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                   _("The commands are recorded but not all were sent: %s; “fieldflash-platform "
                     "serve” sends them when it starts"), publish_error->message);
      return FALSE;
    }
  g_print (_("Sent %u commands\n"), records->len);
  return TRUE;
}

static void
print_result_line (gconstpointer row)
{
  const FfRemoteResultRecord *r = row;
  g_autofree char *finished = ff_cli_format_time (r->finished_at);

  g_print ("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", finished, r->device_id, r->outcome,
           r->step != NULL ? r->step : "-", r->main_program_version ? r->main_program_version : "-",
           r->reason != NULL ? r->reason : "-", r->result_id, r->command_id ? r->command_id : "-");
}

static void
add_result_members (JsonBuilder   *builder,
                    gconstpointer  row)
{
  const FfRemoteResultRecord *r = row;

  ff_builder_add_string (builder, "result_id", r->result_id);
  ff_builder_add_string (builder, "command_id", r->command_id);
  ff_builder_add_string (builder, "device_id", r->device_id);
  ff_builder_add_string (builder, "outcome", r->outcome);
  ff_builder_add_string (builder, "step", r->step);
  ff_builder_add_string (builder, "reason", r->reason);
  ff_builder_add_string (builder, "main_program_version", r->main_program_version);
  ff_builder_add_timestamp (builder, "finished_at", r->finished_at);
  ff_builder_add_timestamp (builder, "received_at", r->received_at);
}

static gboolean
remote_results (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) results = NULL;

  if (!ff_cli_parse (cli, "[DEVICE-ID]", _("List the results networked terminals reported"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc > 2)
    return ff_cli_usage_error (error, _("Name at most one terminal"));
  if (ff_cli_open_db (cli, error) == NULL
      || (results = ff_platform_db_list_results (cli->db, argc == 2 ? argv[1] : NULL,
                                                 error)) == NULL)
    return FALSE;
  ff_cli_print_rows (results, json, print_result_line, add_result_members);
  return TRUE;
}

gboolean
ff_cli_remote (FfCli   *cli,
               int      argc,
               char   **argv,
               GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "upgrade"))
    return remote_upgrade (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "results"))
    return remote_results (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "remote",
                                  "upgrade DEVICE-ID… --firmware VERSION | results [DEVICE-ID]");
}
