/* serve's CoAP endpoint for smart meters (ff-platform-meter-service.h). */
#include "config.h"

#include "ff-platform-meter-service.h"

#include "ff-meter-coap.h"
#include "ff-meter-seal.h"
#include "ff-platform-campaigns.h"
#include "ff-platform-clock.h"
#include "ff-platform-deltas.h"
#include "ff-platform-firmware-store.h"
#include "ff-platform-meters.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>

struct _FfMeterService
{
  FfPlatformDb *db;
  char *data_dir;
  FfKey *key;            /* seals every package it offers */
  FfMeterCoapServer *server;
  GHashTable *patches;   /* "FROM-SHA256>TO-SHA256" → the patch, or an empty GBytes: not smaller */
};

/* The patch from the installed version's image to the new one when it is smaller, else NULL. */
static GBytes *
smaller_patch (FfMeterService       *service,
               const FfMeterPackage *from,
               GBytes               *new_image,
               const FfMeterPackage *to)
{
  g_autofree char *key = g_strdup_printf ("%s>%s", from->sha256, to->sha256);
  GBytes *patch = g_hash_table_lookup (service->patches, key);
  g_autoptr(GError) error = NULL;

  if (patch == NULL)
    {
      g_autoptr(GBytes) old_image = ff_firmware_store_load (service->data_dir, from->sha256,
                                                            &error);
      g_autoptr(GBytes) made = old_image ? ff_platform_delta_make_checked (old_image, new_image,
                                                                          &error)
                                         : NULL;

      if (made == NULL)
        g_printerr (_("fieldflash-platform: no delta patch for %s: %s\n"), to->app,
                    error->message);
      patch = made != NULL && g_bytes_get_size (made) < g_bytes_get_size (new_image)
              ? g_bytes_ref (made) : g_bytes_new (NULL, 0);
      g_hash_table_insert (service->patches, g_steal_pointer (&key), patch);
    }
  return g_bytes_get_size (patch) > 0 ? patch : NULL;
}

/* Offers the install's package to the meter: a patch from the version the ledger says it runs
 * when there is a package of that version and the patch is smaller, else the whole image; sealed
 * with the platform's key for the meter's own check (ff-meter-seal.h). */
static gboolean
offer_install (FfMeterService       *service,
               const FfMeterCommand *command,
               const char          **kind,
               GError              **error)
{
  g_autoptr(FfMeterPackage) to = ff_platform_db_find_meter_package (service->db, command->app,
                                                                    command->version, error);
  g_autoptr(GPtrArray) apps = NULL;
  g_autoptr(FfMeterPackage) from = NULL;
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GError) local_error = NULL;
  GBytes *patch = NULL;

  if (to == NULL
      || (image = ff_firmware_store_load (service->data_dir, to->sha256, error)) == NULL
      || (apps = ff_platform_db_list_meter_apps (service->db, command->meter_id, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < apps->len; i++)
    {
      const FfMeterAppRecord *app = g_ptr_array_index (apps, i);

      if (g_str_equal (app->app, command->app) && ff_meter_app_record_is_installed (app))
        from = ff_platform_db_find_meter_package (service->db, app->app, app->version,
                                                  &local_error);
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (from != NULL)
    patch = smaller_patch (service, from, image, to);
  *kind = patch != NULL ? "ffdelta1" : "image";
  sealed = ff_meter_seal (service->key, (guint16) to->app_id, to->version, image,
                          patch ? patch : image, error);
  if (sealed == NULL)
    return FALSE;
  ff_meter_coap_server_offer_to (service->server, command->meter_id, (guint16) to->app_id,
                                 to->version, patch ? FFMETER_KIND_FFDELTA1 : FFMETER_KIND_IMAGE,
                                 to->resident ? FFMETER_APP_RESIDENT : 0, sealed);
  return TRUE;
}

static FfMeterOp
meter_op (const char *op)
{
  if (g_str_equal (op, FF_METER_OP_START))
    return FFMETER_OP_RUN;
  if (g_str_equal (op, FF_METER_OP_STOP))
    return FFMETER_OP_STOP;
  return FFMETER_OP_UNINSTALL;
}

/* A meter polls for an app: its oldest open command in the ledger goes out (again, if its report
 * never came: the meter answers a repeated start with up to date, and a repeated command by its
 * rules). */
static void
on_poll (FfMeterCoapServer *server,
         const char        *meter_id,
         guint16            app_id,
         gpointer           user_data)
{
  FfMeterService *service = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfMeterCommand) command = ff_platform_db_next_meter_command (service->db, meter_id,
                                                                         app_id, &error);
  const char *kind = "command";
  gboolean marked = TRUE;

  if (command == NULL)
    ff_meter_coap_server_withdraw (server, meter_id, app_id);
  else if (!g_str_equal (command->op, FF_METER_OP_INSTALL))
    ff_meter_coap_server_command (server, meter_id, meter_op (command->op), app_id, 0);
  else if (!ff_meter_coap_server_has_offer (server, meter_id, app_id, command->version)
           && !offer_install (service, command, &kind, &error))
    g_clear_pointer (&command, ff_meter_command_free);
  /* The server answers this poll after the callback: a command a campaign's halt withdrew since
   * it was read (the CLI is another process) is taken back before it goes out. */
  if (command != NULL && command->sent_at == 0
      && ff_platform_db_mark_meter_command_sent (service->db, command->id, kind,
                                                 ff_platform_now (), &marked, &error)
      && !marked)
    ff_meter_coap_server_withdraw (server, meter_id, app_id);
  if (error != NULL)
    g_printerr ("fieldflash-platform: %s\n", error->message);
}

static void
on_report (const char           *meter_id,
           const FfMeterMessage *report,
           gpointer              user_data)
{
  FfMeterService *service = user_data;
  g_autoptr(GError) error = NULL;
  FfMeterReportOutcome outcome;
  g_autofree char *version = NULL;
  g_autofree char *result = NULL;

  if (!ff_platform_db_meter_report (service->db, meter_id, report->app_id, report->version,
                                    report->status, report->detail, ff_platform_now (), &outcome,
                                    &error))
    {
      g_printerr ("fieldflash-platform: %s\n", error->message);
      return;
    }
  if (outcome.command_id == 0)
    return;
  /* Committed: an install's outcome may finish its campaign's wave. */
  ff_platform_campaigns_changed ();
  ff_meter_coap_server_withdraw (service->server, meter_id, report->app_id);
  version = ff_meter_version_format (outcome.version);
  result = g_str_equal (outcome.outcome, "refused")
           ? g_strdup_printf (_("refused: %s"), ff_meter_result_describe ((guint) outcome.detail))
           : g_strdup (outcome.outcome);
  /* One line per finished command, for the operator's log (and the tests). */
  g_print (_("meter %s: %s %s: %s (now %s)\n"), meter_id, outcome.op, outcome.app, result,
           version);
  fflush (stdout);
  ff_meter_report_outcome_clear (&outcome);
}

/* A meter's DTLS key from the ledger. A meter the ledger cannot be read for gets none: its
 * requests then fail at the ledger anyway. */
static GBytes *
meter_psk (const char *meter_id,
           gpointer    user_data)
{
  FfMeterService *service = user_data;
  g_autoptr(FfMeter) meter = ff_platform_db_require_meter (service->db, meter_id, NULL);

  return meter != NULL && meter->psk != NULL ? g_bytes_ref (meter->psk) : NULL;
}

FfMeterService *
ff_meter_service_start (FfPlatformDb *db,
                        const char   *data_dir,
                        FfKey        *key,
                        const char   *address,
                        guint16       port,
                        gint          dtls_port,
                        GError      **error)
{
  g_autoptr(FfMeterService) service = g_new0 (FfMeterService, 1);

  service->db = db;
  service->data_dir = g_strdup (data_dir);
  service->key = ff_key_ref (key);
  service->patches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_bytes_unref);
  service->server = ff_meter_coap_server_new (address, port, error);
  if (service->server == NULL)
    return NULL;
  ff_meter_coap_server_set_poll_func (service->server, on_poll, service);
  ff_meter_coap_server_set_report_func (service->server, on_report, service);
  /* Set without DTLS too: a meter with a key is never served over plain CoAP. */
  ff_meter_coap_server_set_key_func (service->server, meter_psk, service);
  if (dtls_port >= 0
      && !ff_meter_coap_server_listen_dtls (service->server, address, (guint16) dtls_port, error))
    return NULL;
  return g_steal_pointer (&service);
}

guint16
ff_meter_service_get_dtls_port (FfMeterService *service)
{
  return ff_meter_coap_server_get_dtls_port (service->server);
}

guint16
ff_meter_service_get_port (FfMeterService *service)
{
  return ff_meter_coap_server_get_port (service->server);
}

void
ff_meter_service_free (FfMeterService *service)
{
  if (service == NULL)
    return;
  ff_meter_coap_server_free (service->server);
  g_hash_table_unref (service->patches);
  ff_key_unref (service->key);
  g_free (service->data_dir);
  g_free (service);
}
