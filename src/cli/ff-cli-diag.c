/* fieldflash-cli diagnostics: info, measure and push against one terminal over IEC 104. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <unistd.h>

#include "ff-address.h"
#include "ff-cli.h"
#include "ff-iec104-conn.h"
#include "ff-profile.h"
#include "ff-quality.h"
#include "ff-snapshot.h"
#include "iec104-apci.h"

#define PROGRESS_BAR_WIDTH 30

typedef struct
{
  char         *profile_name;
  gint          common_address;
  gboolean      json;
  gint          reboot_wait_ms;
  char         *host;
  guint16       port;
  FfProfile    *profile;
  FfIec104Conn *conn;
} Diag;

static void
diag_clear (Diag *diag)
{
  g_clear_object (&diag->conn);
  g_clear_pointer (&diag->profile, ff_profile_unref);
  g_free (diag->profile_name);
  g_free (diag->host);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Diag, diag_clear)

static void print_json (JsonBuilder *builder);

/* The name of an exit code in a --json error: what a script branches on. */
static const char *
exit_code_name (int exit_code)
{
  switch (exit_code)
    {
    case FF_CLI_EXIT_USAGE: return "usage";
    case FF_CLI_EXIT_REFUSED: return "refused";
    case FF_CLI_EXIT_CONNECTION: return "connection";
    default: return "failure";
    }
}

static void
add_error_member (JsonBuilder *builder,
                  int          exit_code,
                  const char  *message)
{
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, exit_code_name (exit_code));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
}

/* Says on stderr why the verb stops — with --json also as {"error": {"code", "message"}} on
 * stdout, so a script reads one JSON document whatever happened — and returns @exit_code. */
static int
stop_with (gboolean    json,
           int         exit_code,
           const char *message)
{
  g_printerr ("fieldflash-cli: %s\n", message);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      add_error_member (builder, exit_code, message);
      json_builder_end_object (builder);
      print_json (builder);
    }
  return exit_code;
}

static int
fail (const Diag   *diag,
      const GError *error)
{
  int exit_code = FF_CLI_EXIT_FAILURE;

  if (ff_iec104_error_is_refusal (error))
    exit_code = FF_CLI_EXIT_REFUSED;
  else if (ff_iec104_error_is_connection (error))
    exit_code = FF_CLI_EXIT_CONNECTION;
  return stop_with (diag->json, exit_code, error->message);
}

/* The CLI runs one step at a time: iterate the main context until the step's callback fired. */
static void
on_step_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_step (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* Parses the options shared by every diagnostic verb, then HOST[:PORT]; n_positional more words
 * must follow it. */
static gboolean
diag_parse (Diag        *diag,
            int         *argc,
            char      ***argv,
            const char  *parameter,
            guint        n_positional,
            int         *exit_code)
{
  const GOptionEntry entries[] = {
    { "profile", 0, 0, G_OPTION_ARG_STRING, &diag->profile_name,
      N_("Vendor profile (default: state-grid)"), "NAME" },
    { "common-address", 0, 0, G_OPTION_ARG_INT, &diag->common_address,
      N_("Common address of the terminal (default: the profile's)"), "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &diag->json, N_("Print JSON"), NULL },
    { "reboot-wait-ms", 0, 0, G_OPTION_ARG_INT, &diag->reboot_wait_ms,
      N_("How long to wait for the terminal to come back (default: the profile's)"), "MS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (parameter);
  g_autoptr(GError) error = NULL;
  /* Looked up before parsing: a command line the parser refuses (it then puts every option back)
   * is answered in JSON too. */
  gboolean json = g_strv_contains ((const char * const *) *argv, "--json");

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error)
      || *argc != (int) n_positional + 2
      || diag->common_address < 0 || diag->common_address > 0xFFFF || diag->reboot_wait_ms < 0)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
      const char *message = error != NULL ? error->message : _("Wrong arguments");

      if (json)
        *exit_code = stop_with (TRUE, FF_CLI_EXIT_USAGE, message);
      else
        {
          g_printerr ("%s\n%s", message, help);
          *exit_code = FF_CLI_EXIT_USAGE;
        }
      return FALSE;
    }
  if (!ff_address_parse ((*argv)[1], IEC104_TCP_PORT, &diag->host, &diag->port, &error))
    {
      *exit_code = stop_with (diag->json, FF_CLI_EXIT_USAGE, error->message);
      return FALSE;
    }
  diag->profile = ff_profile_load (diag->profile_name != NULL ? diag->profile_name
                                   : FF_PROFILE_DEFAULT_NAME, &error);
  if (diag->profile == NULL)
    {
      *exit_code = stop_with (diag->json, FF_CLI_EXIT_USAGE, error->message);
      return FALSE;
    }
  diag->conn = ff_iec104_conn_new (diag->profile, (guint16) diag->common_address);
  return TRUE;
}

static gboolean
diag_connect (Diag    *diag,
              GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  ff_iec104_conn_connect_async (diag->conn, diag->host, diag->port, NULL, on_step_done, &result);
  return ff_iec104_conn_connect_finish (diag->conn, wait_step (&result), error);
}

static FfTerminalInfo *
diag_read_info (Diag    *diag,
                GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  ff_iec104_conn_read_info_async (diag->conn, NULL, on_step_done, &result);
  return ff_iec104_conn_read_info_finish (diag->conn, wait_step (&result), error);
}

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

typedef struct
{
  const char *key;
  const char *label;
  gsize       offset;
} InfoField;

static const InfoField info_fields[] = {
  { "device_id", N_("Device ID"), G_STRUCT_OFFSET (FfTerminalInfo, device_id) },
  { "software_version", N_("Software version"),
    G_STRUCT_OFFSET (FfTerminalInfo, software_version) },
  { "checksum", N_("Checksum"), G_STRUCT_OFFSET (FfTerminalInfo, checksum) },
  { "type", N_("Type"), G_STRUCT_OFFSET (FfTerminalInfo, type) },
  { "manufacturer", N_("Manufacturer"), G_STRUCT_OFFSET (FfTerminalInfo, manufacturer) },
  { "model", N_("Model"), G_STRUCT_OFFSET (FfTerminalInfo, model) },
  { "hardware_version", N_("Hardware version"),
    G_STRUCT_OFFSET (FfTerminalInfo, hardware_version) },
  { "os", N_("Operating system"), G_STRUCT_OFFSET (FfTerminalInfo, os) },
  { "protocol", N_("Protocol"), G_STRUCT_OFFSET (FfTerminalInfo, protocol) },
  { "mac", N_("MAC address"), G_STRUCT_OFFSET (FfTerminalInfo, mac) },
};

static const char *
info_field (const FfTerminalInfo *info,
            const InfoField      *field)
{
  return G_STRUCT_MEMBER (const char *, info, field->offset);
}

int
ff_cli_diag_info (int    argc,
                  char **argv)
{
  g_auto(Diag) diag = { NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTerminalInfo) info = NULL;
  int exit_code;

  if (!diag_parse (&diag, &argc, &argv, _("HOST[:PORT] — read the terminal information"), 0,
                   &exit_code))
    return exit_code;
  if (!diag_connect (&diag, &error) || (info = diag_read_info (&diag, &error)) == NULL)
    return fail (&diag, error);
  ff_iec104_conn_close (diag.conn);

  if (diag.json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      for (guint i = 0; i < G_N_ELEMENTS (info_fields); i++)
        {
          json_builder_set_member_name (builder, info_fields[i].key);
          if (info_field (info, &info_fields[i]) != NULL)
            json_builder_add_string_value (builder, info_field (info, &info_fields[i]));
          else
            json_builder_add_null_value (builder);
        }
      json_builder_end_object (builder);
      print_json (builder);
    }
  else
    for (guint i = 0; i < G_N_ELEMENTS (info_fields); i++)
      printf ("%-20s %s\n", _(info_fields[i].label),
              info_field (info, &info_fields[i]) != NULL ? info_field (info, &info_fields[i])
                                                         : "—");
  return FF_CLI_EXIT_OK;
}

int
ff_cli_diag_measure (int    argc,
                     char **argv)
{
  g_auto(Diag) diag = { NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GArray) points = NULL;
  FfSnapshot snapshot;
  int exit_code;

  if (!diag_parse (&diag, &argc, &argv, _("HOST[:PORT] — read the measurements"), 0, &exit_code))
    return exit_code;
  if (!diag_connect (&diag, &error))
    return fail (&diag, error);
  ff_iec104_conn_interrogate_async (diag.conn, NULL, on_step_done, &result);
  points = ff_iec104_conn_interrogate_finish (diag.conn, wait_step (&result), &error);
  if (points == NULL)
    return fail (&diag, error);
  ff_iec104_conn_close (diag.conn);
  ff_iec104_points_to_snapshot (diag.profile, (const FfIec104Point *) points->data, points->len,
                                &snapshot);

  if (diag.json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "signals");
      json_builder_begin_object (builder);
      for (FfSignal s = 0; s < FF_N_SIGNALS; s++)
        {
          g_autofree char *hex = NULL;
          g_auto(GStrv) quality_names = NULL;

          if (!snapshot.present[s])
            continue;
          hex = ff_snapshot_value_to_hex (snapshot.values[s]);
          json_builder_set_member_name (builder, ff_signal_get_key (s));
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "value");
          json_builder_add_double_value (builder, snapshot.values[s]);
          json_builder_set_member_name (builder, "hex");
          json_builder_add_string_value (builder, hex);
          json_builder_set_member_name (builder, "unit");
          json_builder_add_string_value (builder, diag.profile->signal_unit[s]);
          json_builder_set_member_name (builder, "ioa");
          json_builder_add_int_value (builder, diag.profile->signal_ioa[s]);
          json_builder_set_member_name (builder, "quality");
          json_builder_begin_array (builder);
          quality_names = ff_quality_to_names (snapshot.quality[s]);
          for (guint i = 0; quality_names[i] != NULL; i++)
            json_builder_add_string_value (builder, quality_names[i]);
          json_builder_end_array (builder);
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "points");
      json_builder_begin_array (builder);
      for (guint i = 0; i < points->len; i++)
        {
          const FfIec104Point *point = &g_array_index (points, FfIec104Point, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "ioa");
          json_builder_add_int_value (builder, point->ioa);
          json_builder_set_member_name (builder, "type");
          json_builder_add_int_value (builder, point->type_id);
          json_builder_set_member_name (builder, "value");
          json_builder_add_double_value (builder, point->value);
          json_builder_set_member_name (builder, "quality");
          json_builder_add_int_value (builder, point->quality);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      print_json (builder);
      return FF_CLI_EXIT_OK;
    }

  for (FfSignal s = 0; s < FF_N_SIGNALS; s++)
    {
      g_autofree char *hex = NULL;
      g_autofree char *quality = NULL;

      if (!snapshot.present[s])
        {
          printf ("%-20s —\n", _(ff_signal_get_label (s)));
          continue;
        }
      hex = ff_snapshot_value_to_hex (snapshot.values[s]);
      quality = ff_quality_describe (snapshot.quality[s]);
      /* Translators: a signal's reading: value, unit, its IOA, its hex form, then its quality
       * ("good", or the flags such as "invalid (IV)"). */
      printf (_("%-20s %.2f %s (IOA 0x%04X, %s), quality: %s\n"), _(ff_signal_get_label (s)),
              snapshot.values[s], diag.profile->signal_unit[s], diag.profile->signal_ioa[s], hex,
              quality);
    }
  printf ("\n%s\n", _("All points:"));
  for (guint i = 0; i < points->len; i++)
    {
      const FfIec104Point *point = &g_array_index (points, FfIec104Point, i);

      printf ("  IOA 0x%04X  type %3u  %12.3f  quality 0x%02X\n", point->ioa, point->type_id,
              point->value, point->quality);
    }
  return FF_CLI_EXIT_OK;
}

static void
print_progress (guint64  sent,
                guint64  acked,
                guint64  total,
                double   bytes_per_second,
                gpointer user_data)
{
  guint filled = total > 0 ? (guint) (acked * PROGRESS_BAR_WIDTH / total) : PROGRESS_BAR_WIDTH;
  char bar[PROGRESS_BAR_WIDTH + 1];

  for (guint i = 0; i < PROGRESS_BAR_WIDTH; i++)
    bar[i] = i < filled ? '#' : '-';
  bar[PROGRESS_BAR_WIDTH] = '\0';
  /* Translators: the progress bar of a push: bar, percent, bytes acknowledged, total, rate. */
  g_printerr ("\r");
  g_printerr (_("[%s] %3u %% %llu/%llu bytes, %.1f kB/s"), bar,
              total > 0 ? (guint) (acked * 100 / total) : 100, (unsigned long long) acked,
              (unsigned long long) total, bytes_per_second / 1000.0);
  if (acked == total)
    g_printerr ("\n");
}

static void
print_attempt (FfIec104Conn *conn,
               guint         attempt,
               gint64        remaining_ms,
               gpointer      user_data)
{
  /* Translators: shown while the terminal reboots after an upgrade. */
  g_printerr ("\r");
  g_printerr (_("Waiting for the terminal: attempt %u, %lld s left  "), attempt,
              (long long) (remaining_ms / 1000));
}

static gboolean
push_steps (Diag      *diag,
            GBytes    *image,
            gboolean   show_progress,
            GError   **error)
{
  g_autoptr(GAsyncResult) push = NULL;
  g_autoptr(GAsyncResult) reconnect = NULL;

  ff_iec104_conn_push_async (diag->conn, NULL, image, show_progress ? print_progress : NULL, NULL,
                             NULL, NULL, on_step_done, &push);
  if (!ff_iec104_conn_push_finish (diag->conn, wait_step (&push), error))
    return FALSE;
  if (show_progress)
    g_signal_connect (diag->conn, "reconnect-attempt", G_CALLBACK (print_attempt), NULL);
  ff_iec104_conn_reconnect_async (diag->conn, (guint) diag->reboot_wait_ms, NULL, on_step_done,
                                  &reconnect);
  if (!ff_iec104_conn_reconnect_finish (diag->conn, wait_step (&reconnect), error))
    return FALSE;
  if (show_progress)
    g_printerr ("\n");
  return TRUE;
}

int
ff_cli_diag_push (int    argc,
                  char **argv)
{
  g_auto(Diag) diag = { NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = NULL;
  g_autoptr(FfTerminalInfo) before = NULL;
  g_autoptr(FfTerminalInfo) after = NULL;
  g_autofree char *expected_checksum = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *mismatch = NULL;
  gsize size;
  gint64 started_us;
  double seconds;
  gboolean verified;
  int exit_code;

  if (!diag_parse (&diag, &argc, &argv,
                   _("HOST[:PORT] FILE — upgrade the terminal with FILE (211/210/211/105)"), 1,
                   &exit_code))
    return exit_code;
  if (!g_file_get_contents (argv[2], &contents, &size, &error))
    return stop_with (diag.json, FF_CLI_EXIT_FAILURE, error->message);
  image = g_bytes_new_take (g_steal_pointer (&contents), size);
  expected_checksum = ff_profile_compute_checksum (diag.profile, image);

  started_us = g_get_monotonic_time ();
  if (!diag_connect (&diag, &error) || (before = diag_read_info (&diag, &error)) == NULL
      || !push_steps (&diag, image, !diag.json && isatty (STDERR_FILENO), &error)
      || (after = diag_read_info (&diag, &error)) == NULL)
    return fail (&diag, error);
  ff_iec104_conn_close (diag.conn);
  seconds = (g_get_monotonic_time () - started_us) / (double) G_USEC_PER_SEC;
  verified = g_strcmp0 (after->checksum, expected_checksum) == 0;
  if (!verified)
    mismatch = g_strdup_printf (_("verification failed: the terminal runs %s with checksum %s, "
                                  "not the pushed image"), after->software_version,
                                after->checksum);

  if (diag.json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "device_id");
      json_builder_add_string_value (builder, after->device_id);
      json_builder_set_member_name (builder, "old_version");
      json_builder_add_string_value (builder, before->software_version);
      json_builder_set_member_name (builder, "new_version");
      json_builder_add_string_value (builder, after->software_version);
      json_builder_set_member_name (builder, "checksum");
      json_builder_add_string_value (builder, after->checksum);
      json_builder_set_member_name (builder, "expected_checksum");
      json_builder_add_string_value (builder, expected_checksum);
      json_builder_set_member_name (builder, "verified");
      json_builder_add_boolean_value (builder, verified);
      json_builder_set_member_name (builder, "bytes");
      json_builder_add_int_value (builder, (gint64) size);
      json_builder_set_member_name (builder, "seconds");
      json_builder_add_double_value (builder, seconds);
      if (!verified)
        add_error_member (builder, FF_CLI_EXIT_FAILURE, mismatch);
      json_builder_end_object (builder);
      print_json (builder);
    }
  else
    {
      printf (_("Terminal %s: %s → %s in %.1f s\n"), after->device_id, before->software_version,
              after->software_version, seconds);
      printf (_("Checksum %s (expected %s)\n"), after->checksum, expected_checksum);
    }
  if (!verified)
    {
      g_printerr ("fieldflash-cli: %s\n", mismatch);
      return FF_CLI_EXIT_FAILURE;
    }
  return FF_CLI_EXIT_OK;
}
