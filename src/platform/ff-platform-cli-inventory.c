/* Operator verbs for the inventory: terminals, firmware, blacklist, handhelds, technicians. */
#include "config.h"

#include "ff-platform-cli.h"

#include "ff-document.h"
#include "ff-platform-clock.h"
#include "ff-platform-json.h"
#include "ff-platform-remote-db.h"
#include "ff-platform-deltas.h"
#include "ff-platform-firmware-store.h"
#include "ff-platform-ledger-import.h"
#include "ff-platform-technicians.h"
#include "ff-version.h"
#include "ff-platform-upgrade-checks.h"

#include <glib/gi18n-lib.h>


/* terminals */

static void
print_terminal_line (gconstpointer row)
{
  const FfTerminal *t = row;

  g_print ("%s\t%s\t%s %s %s\t%s\t%.6f,%.6f\t%s:%u/%u\t%s\n", t->device_id, t->name, t->vendor,
           t->model, t->hardware_version, t->software_version, t->latitude, t->longitude, t->host,
           t->port, t->common_address, t->profile);
}

static gboolean
terminals_import (FfCli   *cli,
                  int      argc,
                  char   **argv,
                  GError **error)
{
  gboolean update = FALSE;
  GOptionEntry entries[] = {
    { "update", 0, 0, G_OPTION_ARG_NONE, &update,
      N_("Apply changes to terminals already in the ledger"), NULL },
    { NULL }
  };
  FfLedgerImportStats stats;

  if (!ff_cli_parse (cli, "FILE.csv", _("Import the terminal ledger (all rows or none)"), entries,
                     &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name one CSV file to import"));
  if (ff_cli_open_db (cli, error) == NULL
      || !ff_platform_import_ledger (cli->db, argv[1], update, ff_platform_now (), &stats,
                                     error))
    return FALSE;
  g_print (_("Imported %s: %u added, %u updated, %u unchanged\n"), argv[1], stats.added,
           stats.updated, stats.unchanged);
  return TRUE;
}

static gboolean
terminals_list (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  g_autofree char *vendor = NULL, *model = NULL, *version = NULL, *below = NULL;
  g_autofree char *at_least = NULL, *link = NULL, *online = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Only this vendor"), N_("VENDOR") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Only this model"), N_("MODEL") },
    { "version", 0, 0, G_OPTION_ARG_STRING, &version,
      N_("Only terminals running this version (V2.1 is V2.01)"), N_("VERSION") },
    { "below", 0, 0, G_OPTION_ARG_STRING, &below,
      N_("Only terminals running a version lower than this"), N_("VERSION") },
    { "at-least", 0, 0, G_OPTION_ARG_STRING, &at_least,
      N_("Only terminals running this version or a higher one"), N_("VERSION") },
    { "link", 0, 0, G_OPTION_ARG_STRING, &link,
      N_("Only terminals upgraded this way: offline (by tablet) or mqtt"), N_("LINK") },
    { "online", 0, 0, G_OPTION_ARG_STRING, &online,
      N_("Only terminals whose last state (MQTT) says online (true) or not (false)"),
      N_("true|false") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  FfTerminalFilter filter = { 0 };
  g_autoptr(GPtrArray) terminals = NULL;

  if (!ff_cli_parse (cli, NULL, _("List terminals of the ledger"), entries, &argc, &argv, error))
    return FALSE;
  {
    /* Read once the options are parsed: an array made before held their NULLs, and a version
     * such as "x" or "V1.00;" went unchecked (every terminal listed as below it). */
    const char *const versions[] = { version, below, at_least };

    for (gsize i = 0; i < G_N_ELEMENTS (versions); i++)
      if (versions[i] != NULL && !ff_version_is_valid (versions[i]))
        return ff_cli_usage_error (error, _("The version must look like V2.01"));
  }
  if (link != NULL && !g_str_equal (link, FF_LINK_OFFLINE) && !g_str_equal (link, FF_LINK_MQTT))
    return ff_cli_usage_error (error, _("The link must be offline or mqtt"));
  if (online != NULL && !g_str_equal (online, "true") && !g_str_equal (online, "false"))
    return ff_cli_usage_error (error, _("The online filter must be true or false"));
  filter = (FfTerminalFilter) { .vendor = vendor, .model = model, .version = version,
                                .below = below, .at_least = at_least, .link = link,
                                .online = online };
  if (ff_cli_open_db (cli, error) == NULL)
    return FALSE;
  terminals = ff_platform_db_find_terminals (cli->db, &filter, error);
  if (terminals == NULL)
    return FALSE;
  ff_cli_print_rows (terminals, json, print_terminal_line, ff_json_add_terminal);
  if (!json)
    g_print (_("Terminals: %u\n"), terminals->len);
  return TRUE;
}

gboolean
ff_cli_terminals (FfCli   *cli,
                  int      argc,
                  char   **argv,
                  GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "import"))
    return terminals_import (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "list"))
    return terminals_list (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "show"))
    return ff_cli_terminals_show (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "credentials"))
    return ff_cli_terminals_credentials (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "set-link"))
    return ff_cli_terminals_set_link (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "terminals",
                                  "import FILE.csv | list | show DEVICE-ID | credentials DEVICE-ID -o DIR | "
                                  "set-link DEVICE-ID offline|mqtt");
}

/* firmware */

static void
print_delta_outcome (const FfFirmware      *from,
                     const FfFirmware      *to,
                     FfDeltaOutcome         outcome,
                     const FfFirmwareDelta *delta,
                     gpointer               user_data)
{
  g_autofree char *size_text = NULL;

  if (outcome == FF_DELTA_NOT_SMALLER)
    {
      g_print (_("Delta %s → %s: not smaller than the image, not kept\n"), from->version,
               to->version);
      return;
    }
  size_text = g_format_size_full ((guint64) delta->size, G_FORMAT_SIZE_LONG_FORMAT);
  g_print (outcome == FF_DELTA_MADE ? _("Delta %s → %s: %s (%s, %.1f%% of the image)\n")
                                    : _("Delta %s → %s exists: %s (%s, %.1f%% of the image)\n"),
           from->version, to->version, delta->sha256, size_text,
           100.0 * (double) delta->size / (double) to->size);
}

static gboolean
firmware_add (FfCli   *cli,
              int      argc,
              char   **argv,
              GError **error)
{
  g_autofree char *vendor = NULL, *model = NULL, *version = NULL, *hardware = NULL, *notes = NULL;
  GOptionEntry entries[] = {
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Vendor"), N_("VENDOR") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Model"), N_("MODEL") },
    { "version", 0, 0, G_OPTION_ARG_STRING, &version, N_("Version of the image"), N_("VERSION") },
    { "hardware", 0, 0, G_OPTION_ARG_STRING, &hardware,
      N_("Compatible hardware versions, separated by commas"), N_("HV,…") },
    { "notes", 0, 0, G_OPTION_ARG_STRING, &notes, N_("Release notes"), N_("TEXT") },
    { NULL }
  };
  g_autoptr(FfFirmware) firmware = g_new0 (FfFirmware, 1);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *size_text = NULL;

  if (!ff_cli_parse (cli, "FILE", _("Add a firmware image to the store"), entries, &argc, &argv,
                     error))
    return FALSE;
  /* A package for networked terminals carries its own description, signed. */
  if (argc == 2 && g_str_has_suffix (argv[1], ".ffpkg")
      && !ff_cli_package_fill_firmware (cli, argv[1], &vendor, &model, &version, &hardware,
                                        &notes, error))
    return FALSE;
  if (argc != 2 || vendor == NULL || model == NULL || version == NULL || hardware == NULL)
    return ff_cli_usage_error (error, _("Give the image file, --vendor, --model, --version and "
                                        "--hardware"));
  firmware->vendor = g_strdup (vendor);
  firmware->model = g_strdup (model);
  firmware->version = g_strdup (version);
  firmware->hardware_versions = ff_platform_split_list (hardware);
  firmware->notes = g_strdup (notes ? notes : "");
  if (ff_cli_open_db (cli, error) == NULL
      || !ff_platform_firmware_store (cli->db, cli->data_dir, argv[1], firmware, error)
      || !ff_platform_firmware_record (cli->db, firmware, ff_platform_now (), error))
    return FALSE;
  size_text = g_format_size_full ((guint64) firmware->size, G_FORMAT_SIZE_LONG_FORMAT);
  g_print (_("Added firmware %s for %s %s: %s (%s)\n"), version, vendor, model, firmware->sha256,
           size_text);
  /* The firmware is added whatever becomes of its deltas; a failed one can be made again later. */
  if (!ff_platform_make_field_deltas (cli->db, cli->data_dir, firmware, print_delta_outcome, NULL,
                                      &local_error))
    g_printerr (_("%s\nThe firmware was added; make its deltas with “fieldflash-platform firmware "
                  "delta %s”.\n"), local_error->message, version);
  return TRUE;
}

/* The versions a delta to @row's firmware exists from, "-" when none; a source image without a
 * version of this model is named by its digest. */
static char *
delta_sources_text (const FfFirmwareRow *row)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_auto(GStrv) list = NULL;

  for (guint i = 0; i < row->deltas->len; i++)
    {
      const FfFirmwareDelta *delta = g_ptr_array_index (row->deltas, i);

      g_strv_builder_add (names, delta->from_version ? delta->from_version : delta->from_sha256);
    }
  list = g_strv_builder_end (names);
  return list[0] != NULL ? g_strjoinv (",", list) : g_strdup ("-");
}

static void
print_firmware_line (gconstpointer data)
{
  const FfFirmwareRow *row = data;
  const FfFirmware *fw = row->firmware;
  g_autofree char *hardware = g_strjoinv (",", fw->hardware_versions);
  g_autofree char *sources = delta_sources_text (row);
  /* TRANSLATORS: the versions a delta patch to this firmware exists from */
  g_autofree char *deltas = g_strdup_printf (_("deltas from %s"), sources);

  g_print ("%s %s %s\t%s\t%" G_GINT64_FORMAT "\t%s\t%s\t%s\n", fw->vendor, fw->model,
           fw->version, fw->sha256, fw->size, hardware,
           fw->withdrawn_at != 0 ? _("withdrawn") : _("available"), deltas);
}

static gboolean
firmware_list (FfCli   *cli,
               int      argc,
               char   **argv,
               GError **error)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  if (!ff_cli_parse (cli, NULL, _("List every firmware version ever added"), entries, &argc,
                     &argv, error)
      || ff_cli_open_db (cli, error) == NULL
      || (list = ff_platform_db_list_firmware (cli->db, NULL, error)) == NULL
      || (rows = ff_platform_firmware_rows (cli->db, list, error)) == NULL)
    return FALSE;
  ff_cli_print_rows (rows, json, print_firmware_line, ff_json_add_firmware);
  return TRUE;
}

static gboolean
firmware_withdraw (FfCli   *cli,
                   int      argc,
                   char   **argv,
                   GError **error)
{
  g_autofree char *vendor = NULL, *model = NULL;
  GOptionEntry entries[] = {
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Vendor"), N_("VENDOR") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Model"), N_("MODEL") },
    { NULL }
  };
  g_autoptr(FfFirmware) firmware = NULL;

  if (!ff_cli_parse (cli, "VERSION", _("Withdraw a firmware version (it is kept, but no new task "
                                       "may use it)"), entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name the version to withdraw"));
  if (ff_cli_open_db (cli, error) == NULL
      || (firmware = ff_platform_resolve_firmware (cli->db, argv[1], vendor, model,
                                                   error)) == NULL
      || !ff_platform_firmware_withdraw (cli->db, firmware, ff_platform_now (), error))
    return FALSE;
  g_print (_("Withdrew firmware %s for %s %s\n"), firmware->version, firmware->vendor,
           firmware->model);
  return TRUE;
}

static gboolean
firmware_show (FfCli   *cli,
               int      argc,
               char   **argv,
               GError **error)
{
  g_autofree char *vendor = NULL, *model = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Vendor"), N_("VENDOR") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Model"), N_("MODEL") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ff_firmware_free);
  g_autoptr(GPtrArray) rows = NULL;
  FfFirmware *firmware;
  const FfFirmwareRow *row;

  if (!ff_cli_parse (cli, "VERSION", _("Show a firmware version and the delta patches to it"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name the version to show"));
  if (ff_cli_open_db (cli, error) == NULL
      || (firmware = ff_platform_resolve_firmware (cli->db, argv[1], vendor, model, error)) == NULL)
    return FALSE;
  g_ptr_array_add (list, firmware);
  if ((rows = ff_platform_firmware_rows (cli->db, list, error)) == NULL)
    return FALSE;
  row = g_ptr_array_index (rows, 0);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

      json_builder_begin_object (builder);
      ff_json_add_firmware (builder, row);
      json_builder_end_object (builder);
      ff_cli_print_json (builder);
      return TRUE;
    }
  print_firmware_line (row);
  for (guint i = 0; i < row->deltas->len; i++)
    {
      const FfFirmwareDelta *delta = g_ptr_array_index (row->deltas, i);
      g_autofree char *size = g_strdup_printf ("%" G_GINT64_FORMAT, delta->size);

      g_print (_("  delta from %s\t%s\t%s bytes\tpatch %s\n"),
               delta->from_version ? delta->from_version : "-", delta->from_sha256, size,
               delta->sha256);
    }
  return TRUE;
}

static gboolean
firmware_delta (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  g_autofree char *vendor = NULL, *model = NULL, *from_version = NULL;
  GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_STRING, &from_version,
      N_("Only the delta from this version (default: every older version in the field)"),
      N_("VERSION") },
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Vendor"), N_("VENDOR") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Model"), N_("MODEL") },
    { NULL }
  };
  g_autoptr(FfFirmware) to = NULL;
  g_autoptr(GPtrArray) sources = NULL;
  FfFirmware *from;

  if (!ff_cli_parse (cli, "VERSION", _("Make the delta patches to a firmware version"), entries,
                     &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name the version to make delta patches to"));
  if (ff_cli_open_db (cli, error) == NULL
      || (to = ff_platform_resolve_firmware (cli->db, argv[1], vendor, model, error)) == NULL)
    return FALSE;
  if (from_version == NULL)
    {
      if ((sources = ff_platform_db_list_field_sources (cli->db, to, error)) == NULL)
        return FALSE;
      if (sources->len == 0)
        g_print (_("No terminal in the ledger runs an older version of %s %s whose image the "
                   "store has: no delta to make\n"), to->vendor, to->model);
      return ff_platform_make_deltas (cli->db, cli->data_dir, sources, to, print_delta_outcome,
                                      NULL, error);
    }
  if ((from = ff_platform_resolve_firmware (cli->db, from_version, to->vendor, to->model, error)) == NULL)
    return FALSE;
  sources = g_ptr_array_new_with_free_func ((GDestroyNotify) ff_firmware_free);
  g_ptr_array_add (sources, from);
  if (g_str_equal (from->sha256, to->sha256))
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                   _("Firmware %s and %s are the same image: there is nothing to patch"),
                   from->version, to->version);
      return FALSE;
    }
  return ff_platform_make_deltas (cli->db, cli->data_dir, sources, to, print_delta_outcome, NULL,
                                  error);
}

gboolean
ff_cli_firmware (FfCli   *cli,
                 int      argc,
                 char   **argv,
                 GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "add"))
    return firmware_add (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "list"))
    return firmware_list (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "withdraw"))
    return firmware_withdraw (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "show"))
    return firmware_show (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "delta"))
    return firmware_delta (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "firmware",
                                  "add FILE | list | show VERSION | delta VERSION "
                                  "[--from VERSION] | withdraw VERSION");
}

/* blacklist */

static gboolean
blacklist_add_or_remove (FfCli    *cli,
                         int       argc,
                         char    **argv,
                         gboolean  add,
                         GError  **error)
{
  g_autofree char *vendor = NULL, *model = NULL;
  GOptionEntry entries[] = {
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Vendor (default: the terminal's)"),
      N_("VENDOR") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Model (default: the terminal's)"),
      N_("MODEL") },
    { NULL }
  };
  g_autoptr(FfFirmware) firmware = NULL;

  if (!ff_cli_parse (cli, "VERSION DEVICE-ID",
                     add ? _("Keep a firmware version away from a terminal")
                         : _("Remove a blacklist entry: the version may be sent to the terminal "
                             "again"),
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 3)
    return ff_cli_usage_error (error, _("Name the version and the device ID"));
  if (ff_cli_open_db (cli, error) == NULL
      || (firmware = ff_platform_blacklist_firmware (cli->db, argv[1], argv[2], vendor, model,
                                                     error)) == NULL)
    return FALSE;
  if (add)
    {
      if (!ff_platform_blacklist_add (cli->db, firmware, argv[2], ff_platform_now (), error))
        return FALSE;
      g_print (_("Firmware %s for %s %s will not be sent to %s\n"), firmware->version,
               firmware->vendor, firmware->model, argv[2]);
      return TRUE;
    }
  if (!ff_platform_blacklist_remove (cli->db, firmware, argv[2], error))
    return FALSE;
  g_print (_("Firmware %s for %s %s may be sent to %s again\n"), firmware->version,
           firmware->vendor, firmware->model, argv[2]);
  return TRUE;
}

static void
print_blacklist_line (gconstpointer row)
{
  const FfBlacklistEntry *entry = row;
  g_autofree char *added = ff_cli_format_time (entry->added_at);

  g_print ("%s\t%s %s %s\t%s\n", entry->device_id, entry->vendor, entry->model, entry->version,
           added);
}

static gboolean
blacklist_list (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  g_autofree char *version = NULL, *device_id = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "firmware", 0, 0, G_OPTION_ARG_STRING, &version, N_("Only entries of this firmware version"),
      N_("VERSION") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device_id, N_("Only entries of this terminal"),
      N_("DEVICE-ID") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) list = NULL;

  if (!ff_cli_parse (cli, NULL, _("List the blacklist: which firmware is kept away from which "
                                  "terminal"), entries, &argc, &argv, error))
    return FALSE;
  if (argc != 1)
    return ff_cli_usage_error (error, _("blacklist list takes no arguments but its options"));
  if (version != NULL && !ff_version_is_valid (version))
    return ff_cli_usage_error (error, _("The version must look like V2.01"));
  if (ff_cli_open_db (cli, error) == NULL
      || (list = ff_platform_db_list_blacklist (cli->db, version, device_id, error)) == NULL)
    return FALSE;
  ff_cli_print_rows (list, json, print_blacklist_line, ff_json_add_blacklist_entry);
  return TRUE;
}

gboolean
ff_cli_blacklist (FfCli   *cli,
                  int      argc,
                  char   **argv,
                  GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "add"))
    return blacklist_add_or_remove (cli, argc - 1, argv + 1, TRUE, error);
  if (ff_cli_sub_verb_is (argc, argv, "remove"))
    return blacklist_add_or_remove (cli, argc - 1, argv + 1, FALSE, error);
  if (ff_cli_sub_verb_is (argc, argv, "list"))
    return blacklist_list (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "blacklist",
                                  "add VERSION DEVICE-ID | remove VERSION DEVICE-ID | "
                                  "list [--firmware VERSION] [--device DEVICE-ID]");
}

/* handhelds */

static gboolean
handhelds_add (FfCli   *cli,
               int      argc,
               char   **argv,
               GError **error)
{
  g_autofree char *pubkey = NULL;
  GOptionEntry entries[] = {
    { "pubkey", 0, 0, G_OPTION_ARG_FILENAME, &pubkey, N_("The tablet's Ed25519 public key (PEM)"),
      N_("FILE") },
    { NULL }
  };
  g_autofree char *pem = NULL;

  if (!ff_cli_parse (cli, "SERIAL", _("Register a tablet"), entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2 || pubkey == NULL)
    return ff_cli_usage_error (error, _("Give the tablet's serial number and --pubkey FILE"));
  if (!g_file_get_contents (pubkey, &pem, NULL, error) || ff_cli_open_db (cli, error) == NULL
      || !ff_platform_handheld_add (cli->db, argv[1], pem, ff_platform_now (), error))
    return FALSE;
  g_print (_("Registered tablet %s (in stock)\n"), argv[1]);
  return TRUE;
}

static void
print_handheld_line (gconstpointer row)
{
  const FfHandheld *h = row;

  g_print ("%s\t%s\t%s\n", h->serial, ff_handheld_state_display (h->state),
           h->task_id ? h->task_id : "");
}

static gboolean
handhelds_list (FfCli   *cli,
                int      argc,
                char   **argv,
                GError **error)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) list = NULL;

  if (!ff_cli_parse (cli, NULL, _("List the tablets"), entries, &argc, &argv, error)
      || ff_cli_open_db (cli, error) == NULL
      || (list = ff_platform_db_list_handhelds (cli->db, error)) == NULL)
    return FALSE;
  ff_cli_print_rows (list, json, print_handheld_line, ff_json_add_handheld);
  return TRUE;
}

static gboolean
handhelds_retire (FfCli   *cli,
                  int      argc,
                  char   **argv,
                  GError **error)
{
  if (!ff_cli_parse (cli, "SERIAL", _("Retire a tablet: it can no longer log in or upload"),
                     NULL, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return ff_cli_usage_error (error, _("Name the tablet to retire"));
  if (ff_cli_open_db (cli, error) == NULL
      || !ff_platform_handheld_retire (cli->db, argv[1], error))
    return FALSE;
  g_print (_("Retired tablet %s\n"), argv[1]);
  return TRUE;
}

gboolean
ff_cli_handhelds (FfCli   *cli,
                  int      argc,
                  char   **argv,
                  GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "add"))
    return handhelds_add (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "list"))
    return handhelds_list (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "retire"))
    return handhelds_retire (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "handhelds",
                                  "add SERIAL --pubkey FILE | list | retire SERIAL");
}

/* technicians */

static gboolean
technicians_add (FfCli   *cli,
                 int      argc,
                 char   **argv,
                 GError **error)
{
  g_autofree char *phone = NULL, *name = NULL;
  GOptionEntry entries[] = {
    { "phone", 0, 0, G_OPTION_ARG_STRING, &phone, N_("11-digit mobile number"), N_("PHONE") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Name"), N_("NAME") },
    { NULL }
  };
  g_autoptr(GError) local_error = NULL;
  g_autofree char *pin = NULL;
  gboolean added;

  if (!ff_cli_parse (cli, NULL, _("Register a technician (the PIN is read from the terminal or "
                                  "standard input)"), entries, &argc, &argv, error))
    return FALSE;
  if (argc != 1 || phone == NULL || name == NULL)
    return ff_cli_usage_error (error, _("Give --phone and --name"));
  if (!ff_platform_technician_check (phone, name, &local_error))
    return ff_cli_usage_error (error, local_error->message);
  if (ff_cli_open_db (cli, error) == NULL)
    return FALSE;
  pin = ff_cli_read_pin ();
  added = ff_platform_technician_add (cli->db, phone, name, pin, ff_platform_now (),
                                      &local_error);
  if (pin != NULL)
    memset (pin, 0, strlen (pin));
  if (!added)
    {
      /* A bad phone, name or PIN is the caller's mistake, as a bad option. */
      if (g_error_matches (local_error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID))
        return ff_cli_usage_error (error, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_print (_("Registered technician %s (%s)\n"), name, phone);
  return TRUE;
}

static void
print_technician_line (gconstpointer row)
{
  const FfTechnician *t = row;

  g_print ("%s\t%s\n", t->phone, t->name);
}

static gboolean
technicians_list (FfCli   *cli,
                  int      argc,
                  char   **argv,
                  GError **error)
{
  g_autoptr(GPtrArray) list = NULL;

  if (!ff_cli_parse (cli, NULL, _("List the technicians"), NULL, &argc, &argv, error)
      || ff_cli_open_db (cli, error) == NULL
      || (list = ff_platform_db_list_technicians (cli->db, error)) == NULL)
    return FALSE;
  ff_cli_print_rows (list, FALSE, print_technician_line, NULL);
  return TRUE;
}

gboolean
ff_cli_technicians (FfCli   *cli,
                    int      argc,
                    char   **argv,
                    GError **error)
{
  if (ff_cli_sub_verb_is (argc, argv, "add"))
    return technicians_add (cli, argc - 1, argv + 1, error);
  if (ff_cli_sub_verb_is (argc, argv, "list"))
    return technicians_list (cli, argc - 1, argv + 1, error);
  return ff_cli_unknown_sub_verb (error, "technicians", "add --phone PHONE --name NAME | list");
}
