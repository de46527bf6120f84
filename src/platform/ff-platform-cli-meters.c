/* Smart meter verbs: meters add|list|history, and meters apps add-package|packages|list and the
 * commands queued for a meter's next wake-up (install, start, stop, uninstall). */
#include "config.h"

#include "ff-platform-cli.h"

#include "ff-document.h"
#include "ff-meter-coap.h"
#include "ff-package.h"
#include "ff-platform-clock.h"
#include "ff-platform-error.h"
#include "ff-platform-firmware-store.h"
#include "ff-platform-meter-import.h"
#include "ff-platform-meters.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

static gboolean
meters_add (FfCli   *cli,
            int      argc,
            char   **argv,
            GError **error)
{
  g_autofree char *name = NULL, *vendor = NULL, *model = NULL, *psk_file = NULL;
  g_auto(GStrv) apps = NULL;
  g_autoptr(GBytes) psk = NULL;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("The meter's name"), N_("NAME") },
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Vendor"), N_("VENDOR") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Model"), N_("MODEL") },
    { "app", 0, 0, G_OPTION_ARG_STRING_ARRAY, &apps,
      N_("An app the meter runs, with its version (repeat for each)"), N_("APP=VERSION") },
    { "psk-file", 0, 0, G_OPTION_ARG_FILENAME, &psk_file,
      N_("The meter's DTLS pre-shared key, in hexadecimal: it is then served only over DTLS"),
      N_("FILE") },
    { NULL }
  };
  g_autoptr(GHashTable) versions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  FfMeter meter = { 0 };

  if (!ff_cli_parse (cli, "METER-ID", _("Add a smart meter to the ledger"), entries, &argc, &argv,
                     error))
    return FALSE;
  if (argc != 2 || vendor == NULL || model == NULL)
    return ff_cli_usage_error (error, _("Name one meter ID and give --vendor and --model"));
  if (!ff_meter_id_is_valid (argv[1]))
    return ff_cli_usage_error (error, _("The meter ID must be a plain name without “*”, “&”, "
                                        "“=”, “?”, “#” or “%”"));
  if (!ff_cli_check_name (vendor, error) || !ff_cli_check_name (model, error)
      || (name != NULL && !ff_cli_check_name (name, error)))
    return FALSE;
  for (guint i = 0; apps != NULL && apps[i] != NULL; i++)
    if (!ff_meter_app_versions_add (versions, apps[i]))
      return ff_cli_usage_error (error, _("Give each app once as --app NAME=VERSION (a version "
                                          "such as 1.2.0)"));
  if (psk_file != NULL && (psk = ff_meter_coap_read_psk_file (psk_file, error)) == NULL)
    return FALSE;
  meter = (FfMeter) { argv[1], name != NULL ? name : argv[1], vendor, model, 0, psk };
  if (ff_cli_open_db (cli, error) == NULL
      || !ff_platform_db_add_meter (cli->db, &meter, versions, ff_platform_now (), error))
    return FALSE;
  g_print (_("Added the meter %s (apps: %u)\n"), argv[1], g_hash_table_size (versions));
  return TRUE;
}

static gboolean
meters_import (FfCli   *cli,
               int      argc,
               char   **argv,
               GError **error)
{
  GOptionEntry entries[] = { { NULL } };
  guint added = 0, unchanged = 0;

  if (!ff_cli_parse (cli, "FILE.csv", _("Import smart meters into the ledger (all rows or none)"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name one CSV file to import"));
  if (ff_cli_open_db (cli, error) == NULL
      || !ff_platform_import_meters (cli->db, argv[1], ff_platform_now (), &added, &unchanged,
                                     error))
    return FALSE;
  g_print (_("Imported %u meters (%u already in the ledger unchanged)\n"), added, unchanged);
  return TRUE;
}

static void
print_meter_line (gconstpointer row)
{
  const FfMeter *meter = row;

  g_print ("%s\t%s\t%s\t%s\t%s\n", meter->meter_id, meter->name, meter->vendor, meter->model,
           meter->psk != NULL ? "dtls" : "coap");
}

static gboolean
meters_list (FfCli   *cli,
             int      argc,
             char   **argv,
             GError **error)
{
  g_autoptr(GPtrArray) meters = NULL;

  if (!ff_cli_parse (cli, NULL, _("List the meters in the ledger"), NULL, &argc, &argv, error)
      || ff_cli_open_db (cli, error) == NULL
      || (meters = ff_platform_db_list_meters (cli->db, error)) == NULL)
    return FALSE;
  ff_cli_print_rows (meters, FALSE, print_meter_line, NULL);
  return TRUE;
}

static void
print_history_line (gconstpointer row)
{
  const FfMeterHistory *h = row;
  g_autofree char *when = ff_cli_format_time (h->changed_at);
  g_autofree char *from = h->from_version ? ff_meter_version_format (h->from_version)
                                          : g_strdup ("-");
  g_autofree char *to = ff_meter_version_format (h->to_version);

  g_print ("%s\t%s\t%s\t%s\t%s\t%s\n", when, h->app, from, to, h->state, h->source);
}

static void
add_history_members (JsonBuilder   *builder,
                     gconstpointer  row)
{
  const FfMeterHistory *h = row;
  g_autofree char *from = h->from_version ? ff_meter_version_format (h->from_version) : NULL;
  g_autofree char *to = ff_meter_version_format (h->to_version);

  ff_builder_add_timestamp (builder, "changed_at", h->changed_at);
  ff_builder_add_string (builder, "app", h->app);
  ff_builder_add_string (builder, "from", from);
  ff_builder_add_string (builder, "to", to);
  ff_builder_add_string (builder, "state", h->state);
  ff_builder_add_string (builder, "source", h->source);
}

gboolean
ff_cli_meter_exists (FfCli      *cli,
                     const char *meter_id)
{
  g_autoptr(FfMeter) meter = ff_platform_db_require_meter (cli->db, meter_id, NULL);

  return meter != NULL;
}

gboolean
ff_cli_print_meter_history (FfCli      *cli,
                            const char *meter_id,
                            gboolean    json,
                            GError    **error)
{
  g_autoptr(GPtrArray) list = ff_platform_db_list_meter_history (cli->db, meter_id, error);

  if (list == NULL)
    return FALSE;
  ff_cli_print_rows (list, json, print_history_line, add_history_members);
  return TRUE;
}

static gboolean
meters_history (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(FfMeter) meter = NULL;

  if (!ff_cli_parse (cli, "METER-ID", _("Show every version and state change of a meter's apps"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name one meter ID"));
  if (ff_cli_open_db (cli, error) == NULL
      || (meter = ff_platform_db_require_meter (cli->db, argv[1], error)) == NULL)
    return FALSE;
  return ff_cli_print_meter_history (cli, argv[1], json, error);
}

/* ---- meters apps */

/* Verifies the package with the platform's key, stores its image and records it. */
static gboolean
apps_add_package (FfCli   *cli,
                  int      argc,
                  char   **argv,
                  GError **error)
{
  gint app_id = 0;
  gboolean resident = FALSE;
  GOptionEntry entries[] = {
    { "app-id", 0, 0, G_OPTION_ARG_INT, &app_id,
      N_("The app's number in the meters' firmware (1 to 65535)"), N_("N") },
    { "resident", 0, 0, G_OPTION_ARG_NONE, &resident,
      N_("The app keeps running (else it runs once each time it is started)"), NULL },
    { NULL }
  };
  g_autoptr(FfKey) key = NULL;
  g_autoptr(FfPackage) package = NULL;
  g_autofree char *temp = NULL;
  g_autofree char *version_text = NULL;
  const FfPackagePayload *payload;
  guint n_payloads = 0;
  g_autoptr(FfMeterPackage) record = g_new0 (FfMeterPackage, 1);
  gboolean stored;

  if (!ff_cli_parse (cli, "PACKAGE.ffpkg", _("Add a signed app package for smart meters"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2 || app_id < 1 || app_id > G_MAXUINT16)
    return ff_cli_usage_error (error, _("Name one package and give --app-id N (1 to 65535)"));
  if (ff_cli_open_db (cli, error) == NULL || (key = ff_cli_load_key (cli, error)) == NULL
      || (package = ff_package_open (argv[1], key, error)) == NULL)
    return FALSE;
  payload = ff_package_get_payloads (package, &n_payloads);
  if (n_payloads != 1 || !g_str_equal (payload->kind, "meter-app"))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("The package %s is not a meter app's: it must hold one meter-app payload"),
                   argv[1]);
      return FALSE;
    }
  record->version = ff_meter_version_parse (payload->version);
  if (record->version == 0 || !ff_name_is_safe (ff_package_get_model (package)))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("The package %s names an app (its model) that is not a plain name or a "
                     "version that is not MAJOR.MINOR.PATCH"), argv[1]);
      return FALSE;
    }
  /* The image is extracted (its size and SHA-256 checked against the signed manifest on the way)
   * beside the store, then copied into it. */
  temp = ff_cli_path (cli, "meter-app.partial");
  stored = ff_package_extract_payload (package, "meter-app", temp, error)
           && ff_firmware_store_add (cli->data_dir, temp, &record->sha256, &record->size, error);
  g_unlink (temp);
  if (!stored)
    return FALSE;
  record->app = g_strdup (ff_package_get_model (package));
  record->app_id = (guint) app_id;
  record->resident = resident;
  record->vendor = g_strdup (ff_package_get_vendor (package));
  record->added_at = ff_platform_now ();
  if (!ff_platform_db_add_meter_package (cli->db, record, error))
    return FALSE;
  version_text = ff_meter_version_format (record->version);
  g_print (_("Added the app package %s %s (app number %u, %lu bytes)\n"), record->app,
           version_text, record->app_id, (unsigned long) record->size);
  return TRUE;
}

static void
print_package_line (gconstpointer row)
{
  const FfMeterPackage *p = row;
  g_autofree char *version = ff_meter_version_format (p->version);

  g_print ("%s\t%u\t%s\t%s\t%" G_GINT64_FORMAT "\t%s\n", p->app, p->app_id, version,
           p->resident ? "resident" : "run-once", p->size, p->sha256);
}

static gboolean
apps_packages (FfCli   *cli,
               int      argc,
               char   **argv,
               GError **error)
{
  g_autoptr(GPtrArray) packages = NULL;

  if (!ff_cli_parse (cli, NULL, _("List the meter app packages"), NULL, &argc, &argv, error)
      || ff_cli_open_db (cli, error) == NULL
      || (packages = ff_platform_db_list_meter_packages (cli->db, error)) == NULL)
    return FALSE;
  ff_cli_print_rows (packages, FALSE, print_package_line, NULL);
  return TRUE;
}

/* The last command of an app: pending, or how the meter answered. */
static char *
describe_command (const FfMeterAppRecord *r)
{
  g_autofree char *version = r->command_version ? ff_meter_version_format (r->command_version)
                                                : NULL;
  g_autofree char *what = version ? g_strdup_printf ("%s %s", r->command_op, version)
                                  : g_strdup (r->command_op);

  if (r->command_id == 0)
    return g_strdup ("-");
  if (r->command_finished_at == 0)
    return g_strdup_printf (r->command_sent_at ? _("%s: sent, waiting for the meter's report")
                                               : _("%s: queued for the meter's next wake-up"),
                            what);
  if (g_str_equal (r->command_outcome, "refused"))
    return g_strdup_printf (_("%s: refused by the meter: %s"), what,
                            ff_meter_result_describe ((guint) r->command_detail));
  return g_strdup_printf ("%s: %s", what, r->command_outcome);
}

static void
print_app_line (gconstpointer row)
{
  const FfMeterAppRecord *r = row;
  g_autofree char *version = r->version ? ff_meter_version_format (r->version) : g_strdup ("-");
  g_autofree char *command = describe_command (r);

  g_print ("%s\t%u\t%s\t%s\t%s\n", r->app, r->app_id, version, r->state, command);
}

static void
add_app_members (JsonBuilder   *builder,
                 gconstpointer  row)
{
  const FfMeterAppRecord *r = row;
  g_autofree char *version = r->version ? ff_meter_version_format (r->version) : NULL;
  g_autofree char *command = describe_command (r);

  ff_builder_add_string (builder, "app", r->app);
  ff_builder_add_int (builder, "app_id", r->app_id);
  ff_builder_add_string (builder, "version", version);
  ff_builder_add_string (builder, "state", r->state);
  ff_builder_add_string (builder, "last_command", r->command_op);
  ff_builder_add_string (builder, "last_outcome", r->command_outcome);
  ff_builder_add_string (builder, "last_command_text", command);
}

static gboolean
apps_list (FfCli   *cli,
           int      argc,
           char   **argv,
           GError **error)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) apps = NULL;
  g_autoptr(FfMeter) meter = NULL;

  if (!ff_cli_parse (cli, "METER-ID", _("List a meter's apps, their versions and states, and the "
                                        "last command of each"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name one meter ID"));
  if (ff_cli_open_db (cli, error) == NULL
      || (meter = ff_platform_db_require_meter (cli->db, argv[1], error)) == NULL
      || (apps = ff_platform_db_list_meter_apps (cli->db, argv[1], error)) == NULL)
    return FALSE;
  ff_cli_print_rows (apps, json, print_app_line, add_app_members);
  return TRUE;
}

/* install, start, stop, uninstall: queued in the ledger; `serve` sends it at the meter's next
 * poll for the app and records the meter's report. */
static gboolean
apps_command (FfCli      *cli,
              const char *op,
              int         argc,
              char      **argv,
              GError    **error)
{
  g_autofree char *version_text = NULL;
  GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_STRING, &version_text,
      N_("install: the app version to install"), N_("VERSION") },
    { NULL }
  };
  g_autofree char *summary = g_strdup_printf (_("Queue “%s” of an app for a meter's next "
                                                "wake-up"), op);
  gboolean install = g_str_equal (op, FF_METER_OP_INSTALL);
  guint32 version = 0;
  gint64 command_id = 0;

  if (!ff_cli_parse (cli, "METER-ID APP", summary, entries, &argc, &argv, error))
    return FALSE;
  if (argc != 3)
    return ff_cli_usage_error (error, _("Name one meter ID and one app"));
  if (install != (version_text != NULL))
    return ff_cli_usage_error (error, install ? _("install needs --version VERSION")
                                              : _("Only install takes --version"));
  if (install && (version = ff_meter_version_parse (version_text)) == 0)
    return ff_cli_usage_error (error, _("The version must look like 1.2.0"));
  if (ff_cli_open_db (cli, error) == NULL
      || !ff_platform_db_queue_meter_command (cli->db, argv[1], argv[2], op, version,
                                              ff_platform_now (), &command_id, error))
    return FALSE;
  g_print (_("Queued %s of %s on %s (command %ld): sent at the meter's next wake-up\n"), op,
           argv[2], argv[1], (long) command_id);
  return TRUE;
}

static gboolean
meters_apps (FfCli   *cli,
             int      argc,
             char   **argv,
             GError **error)
{
  static const char *const ops[] = { FF_METER_OP_INSTALL, FF_METER_OP_START, FF_METER_OP_STOP,
                                     FF_METER_OP_UNINSTALL };

  if (ff_cli_sub_verb_is (argc, argv, "add-package"))
    return apps_add_package (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "packages"))
    return apps_packages (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "list"))
    return apps_list (cli, argc - 1, argv + 1, error);
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    if (ff_cli_sub_verb_is (argc, argv, ops[i]))
      return apps_command (cli, ops[i], argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "meters apps",
                                  "add-package|packages|list|install|start|stop|uninstall");
}

gboolean
ff_cli_meters (FfCli   *cli,
               int      argc,
               char   **argv,
               GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "add"))
    return meters_add (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "import"))
    return meters_import (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "list"))
    return meters_list (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "history"))
    return meters_history (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "apps"))
    return meters_apps (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "meters", "add|import|list|history|apps");
}
