/* Remote upgrades of networked terminals: the rules and the signed commands (from the operator's
 * `remote upgrade` and from a terminal's scheduled query), and the results they report. */
#include "config.h"

#include "ff-platform-remote.h"

#include "ff-package.h"
#include "ff-platform-campaigns.h"
#include "ff-platform-error.h"
#include "ff-platform-remote-delta.h"
#include "ff-platform-tasks.h"
#include "ff-platform-upgrade-checks.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>


FfKey *
ff_platform_remote_terminal_key (FfPlatformDb *db,
                                 const char   *device_id,
                                 GError      **error)
{
  g_autoptr(FfTerminalLink) link = ff_platform_db_get_link (db, device_id, error);

  if (link == NULL)
    return NULL;
  if (link->public_key_pem == NULL)
    {
      g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FORBIDDEN,
                   _("Terminal %s has no credentials; issue them with “fieldflash-platform "
                     "terminals credentials”"), device_id);
      return NULL;
    }
  return ff_key_load_public_cached (link->public_key_pem, error);
}

/* @context's packages, or a cache of its own for this call. */
static FfPackageCache *
packages_of (const FfRemoteContext *context)
{
  return context->packages != NULL ? ff_package_cache_ref (context->packages)
                                   : ff_package_cache_new (context->data_dir,
                                                           context->platform_key);
}

/* The stored image of @firmware as the package the platform signed (kept by @packages), or NULL
 * (an error says why: a plain image cannot go to a networked terminal). */
static FfPackage *
open_package (FfPackageCache   *packages,
              const FfFirmware *firmware,
              GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  FfPackage *package = ff_package_cache_open (packages, firmware->sha256, &local_error);

  if (package == NULL)
    ff_platform_refuse (error,
                        _("Firmware %s for %s %s is not a package for networked terminals "
                          "(.ffpkg): %s"),
                        firmware->version, firmware->vendor, firmware->model, local_error->message);
  return package;
}

/* Chooses the package of @record, the command of @upgrade: the one
 * ff_platform_remote_choose_package() chooses, or the full one with @context's full_package. */
static gboolean
choose_package (const FfRemoteContext  *context,
                const FfRemoteUpgrade  *upgrade,
                gint64                  now,
                FfRemoteCommandRecord  *record,
                GError                **error)
{
  if (!context->full_package)
    return ff_platform_remote_choose_package (upgrade, !context->made_deltas_only, now,
                                              &record->package_sha256, &record->package_size,
                                              &record->delta, error);
  record->package_sha256 = g_strdup (upgrade->firmware->sha256);
  record->package_size = upgrade->firmware->size;
  return TRUE;
}

/* Signs @record, whose package is chosen, as a command for @device_id. */
static FfRemoteCommandRecord *
seal_command (const FfRemoteContext  *context,
              const char             *device_id,
              FfRemoteCommandRecord  *chosen,
              gboolean                rollback,
              const char             *campaign_id,
              gint64                  wave,
              gint64                  valid_seconds,
              gint64                  now,
              GError                **error)
{
  g_autoptr(FfRemoteCommand) command = ff_remote_command_new ();
  g_autoptr(FfRemoteCommandRecord) record = chosen;

  command->kind = rollback ? FF_REMOTE_COMMAND_ROLLBACK : FF_REMOTE_COMMAND_UPGRADE;
  command->command_id = ff_remote_id_new ();
  command->device_id = g_strdup (device_id);
  command->issued_at = now;
  command->not_after = now + valid_seconds;
  command->package_sha256 = g_strdup (record->package_sha256);
  command->package_size = record->package_size;
  command->package_url = g_strdup_printf ("%s/api/v1/agent/packages/%s", context->platform_url,
                                          record->package_sha256);
  command->campaign_id = g_strdup (campaign_id);
  command->wave = wave;
  record->envelope = ff_remote_command_seal (command, context->platform_key, error);
  if (record->envelope == NULL)
    return NULL;
  record->command_id = g_strdup (command->command_id);
  record->device_id = g_strdup (device_id);
  record->kind = g_strdup (ff_remote_command_kind_to_string (command->kind));
  record->created_at = now;
  record->not_after = command->not_after;
  return g_steal_pointer (&record);
}

gboolean
ff_platform_remote_delta_job_for (const FfRemoteContext *context,
                                  const FfTerminal      *terminal,
                                  const FfFirmware      *firmware,
                                  FfRemoteDeltaJob     **job,
                                  GError               **error)
{
  g_autoptr(FfTerminalLink) link = NULL;
  g_autoptr(FfPackageCache) packages = NULL;
  g_auto(FfRemoteVersions) versions = { 0 };
  FfRemoteUpgrade upgrade;
  FfPackage *package;

  *job = NULL;
  if (context->full_package || firmware == NULL)
    return TRUE;
  link = ff_platform_db_get_link (context->db, terminal->device_id, error);
  if (link == NULL)
    return FALSE;
  if (g_strcmp0 (link->link, FF_LINK_MQTT) != 0
      || !ff_platform_remote_link_versions (link, &versions))
    return TRUE;
  packages = packages_of (context);
  if ((package = open_package (packages, firmware, NULL)) == NULL)
    return TRUE;
  upgrade = (FfRemoteUpgrade) { context->db, packages, terminal, firmware, package, &versions };
  return ff_platform_remote_delta_job_new (&upgrade, job, error);
}

gboolean
ff_platform_remote_check_none_out (FfPlatformDb     *db,
                                   const FfTerminal *terminal,
                                   const FfFirmware *target,
                                   gint64            now,
                                   GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(FfRemoteCommandRecord) out = ff_platform_db_find_open_command (db,
                                                                           terminal->device_id,
                                                                           target->id, now,
                                                                           &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (out == NULL)
    return TRUE;
  return ff_platform_refuse (error,
                             _("Terminal %s has command %s to %s out, not answered yet: it "
                               "reaches the terminal from its topic until it expires"),
                             terminal->device_id, out->command_id, target->version);
}

FfRemoteCommandRecord *
ff_platform_remote_prepare (const FfRemoteContext *context,
                            const FfTerminal      *terminal,
                            const char            *version,
                            gboolean               rollback,
                            const char            *campaign_id,
                            gint64                 wave,
                            gint64                 valid_seconds,
                            gint64                 now,
                            const FfFirmware      *known_firmware,
                            gint64                *firmware_id,
                            GError               **error)
{
  g_autoptr(FfTerminalLink) link = ff_platform_db_get_link (context->db, terminal->device_id,
                                                            error);
  g_autoptr(FfFirmware) firmware = NULL;
  g_autoptr(FfPackageCache) packages = packages_of (context);
  g_autoptr(FfRemoteCommandRecord) chosen = g_new0 (FfRemoteCommandRecord, 1);
  g_auto(FfRemoteVersions) retained = { 0 };
  const FfFirmware *target = known_firmware;
  FfRemoteUpgrade upgrade;
  FfPackage *package;

  if (link == NULL)
    return NULL;
  if (g_strcmp0 (link->link, FF_LINK_MQTT) != 0)
    {
      ff_platform_refuse (error,
                          _("Terminal %s has no network link (link %s); set it with "
                            "“fieldflash-platform terminals set-link %s mqtt”"),
                          terminal->device_id, link->link, terminal->device_id);
      return NULL;
    }
  if (!ff_platform_check_credentials (link, error))
    return NULL;
  if (target == NULL)
    target = firmware = ff_platform_require_firmware (context->db, terminal, version, error);
  if (target == NULL
      || !ff_platform_check_target (context->db, terminal, target, rollback, campaign_id, error)
      || !ff_platform_remote_check_none_out (context->db, terminal, target, now, error)
      || (package = open_package (packages, target, error)) == NULL)
    return NULL;
  *firmware_id = target->id;
  /* The versions its retained state names, from the link read above. */
  upgrade = (FfRemoteUpgrade) { context->db, packages, terminal, target, package,
                                ff_platform_remote_link_versions (link, &retained) ? &retained
                                                                                   : NULL };
  if (!choose_package (context, &upgrade, now, chosen, error))
    return NULL;
  return seal_command (context, terminal->device_id, g_steal_pointer (&chosen), rollback,
                       campaign_id, wave, valid_seconds, now, error);
}

typedef struct
{
  GPtrArray *records;
  GArray    *firmware_ids;
} Recording;

static gboolean
record_commands (FfPlatformDb *db,
                 gpointer      user_data,
                 GError      **error)
{
  Recording *recording = user_data;

  for (guint i = 0; i < recording->records->len; i++)
    if (!ff_platform_db_insert_command (db, g_ptr_array_index (recording->records, i),
                                        g_array_index (recording->firmware_ids, gint64, i),
                                        error))
      return FALSE;
  return TRUE;
}

GPtrArray *
ff_platform_remote_upgrade (const FfRemoteContext *context,
                            const char *const     *device_ids,
                            const char            *version,
                            gboolean               rollback,
                            gint64                 valid_seconds,
                            gint64                 now,
                            GError               **error)
{
  g_autoptr(GPtrArray) records =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ff_remote_command_record_free);
  g_autoptr(GArray) firmware_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(FfPackageCache) packages = packages_of (context);
  FfRemoteContext each = *context;
  Recording recording = { records, firmware_ids };

  if (device_ids == NULL || device_ids[0] == NULL)
    {
      ff_platform_refuse (error, _("No terminal was named"));
      return NULL;
    }
  if (!ff_platform_check_named_once (device_ids, error))
    return NULL;
  for (guint i = 0; device_ids[i] != NULL; i++)
    {
      g_autoptr(FfTerminal) terminal = NULL;
      FfRemoteCommandRecord *record;
      gint64 firmware_id = 0;

      terminal = ff_platform_db_require_terminal (context->db, device_ids[i], error);
      if (terminal == NULL)
        return NULL;
      /* The terminals share their packages: each is opened once. */
      each.packages = packages;
      record = ff_platform_remote_prepare (&each, terminal, version, rollback, NULL, -1,
                                           valid_seconds, now, NULL, &firmware_id, error);
      if (record == NULL)
        return NULL;
      g_ptr_array_add (records, record);
      g_array_append_val (firmware_ids, firmware_id);
    }
  if (!ff_platform_db_transaction (context->db, record_commands, &recording, error))
    return NULL;
  return g_steal_pointer (&records);
}

/* Whether @package brings @versions something newer: a payload newer than the one of its kind the
 * terminal runs (or of a kind it names no version of), and none older — the agent refuses a
 * downgrade but by a signed rollback, after the download. Compared as the ledger compares. */
static gboolean
package_is_new (FfPackage              *package,
                const FfRemoteVersions *versions)
{
  const FfPackagePayload *payloads;
  gboolean newer = FALSE;
  guint n = 0;

  payloads = ff_package_get_payloads (package, &n);
  for (guint i = 0; i < n; i++)
    {
      const char *running = ff_remote_versions_get (versions, payloads[i].kind);
      int order = running != NULL ? ff_version_compare (payloads[i].version, running) : 1;

      if (order < 0)
        return FALSE;
      newer |= order > 0;
    }
  return newer;
}

/* The newest firmware available to @terminal's vendor and model, or NULL. */
static FfFirmware *
newest_firmware (FfPlatformDb     *db,
                 const FfTerminal *terminal,
                 GError          **error)
{
  g_autoptr(GPtrArray) all = ff_platform_db_list_firmware (db, NULL, error);
  FfFirmware *newest = NULL;
  guint index = 0;

  if (all == NULL)
    return NULL;
  for (guint i = 0; i < all->len; i++)
    {
      FfFirmware *fw = g_ptr_array_index (all, i);

      if (fw->withdrawn_at == 0 && g_str_equal (fw->vendor, terminal->vendor)
          && g_str_equal (fw->model, terminal->model)
          && (newest == NULL || ff_version_compare (fw->version, newest->version) > 0))
        {
          newest = fw;
          index = i;
        }
    }
  return newest != NULL ? g_ptr_array_steal_index (all, index) : NULL;
}

FfRemoteCommandRecord *
ff_platform_remote_query (const FfRemoteContext  *context,
                          const char             *device_id,
                          const FfRemoteVersions *versions,
                          gint64                  now,
                          GError                **error)
{
  g_autoptr(FfTerminal) terminal = ff_platform_db_require_terminal (context->db, device_id, error);
  g_autoptr(FfFirmware) firmware = NULL;
  g_autoptr(FfPackageCache) packages = packages_of (context);
  g_autoptr(FfRemoteCommandRecord) record = NULL;
  g_autoptr(FfRemoteCommandRecord) chosen = NULL;
  FfRemoteUpgrade upgrade;
  FfPackage *package;
  g_autoptr(GError) local_error = NULL;
  gboolean blacklisted = FALSE;

  if (terminal == NULL)
    return NULL;
  firmware = newest_firmware (context->db, terminal, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  /* Seed 002: nothing new when there is no newer program, the same version runs already, or this
   * device is on the new version's blacklist. */
  if (firmware == NULL
      || !g_strv_contains ((const char *const *) firmware->hardware_versions,
                           terminal->hardware_version))
    return NULL;
  if (!ff_platform_db_is_blacklisted (context->db, firmware->id, device_id, &blacklisted, error))
    return NULL;
  if (blacklisted)
    return NULL;
  package = open_package (packages, firmware, &local_error);
  if (package == NULL || !package_is_new (package, versions))
    return NULL;
  if (!ff_platform_check_target (context->db, terminal, firmware, FALSE, NULL, &local_error))
    {
      if (!g_error_matches (local_error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  /* A query asked again (a retry, a replay, a terminal that asks too often), or asked while a
   * command of `remote upgrade` to this firmware is out, gets the command the terminal has not
   * answered while it keeps more than half of its time: the agent executes a command ID once — a
   * second command would install the version twice, from the answer and from the broker — and the
   * table does not grow with each query. */
  record = ff_platform_db_find_open_command (context->db, device_id, firmware->id,
                                             now + FF_REMOTE_DEFAULT_VALID_SECONDS / 2,
                                             &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (record != NULL)
    return g_steal_pointer (&record);
  /* The query says which versions run: fresher than the retained state. */
  chosen = g_new0 (FfRemoteCommandRecord, 1);
  upgrade = (FfRemoteUpgrade) { context->db, packages, terminal, firmware, package, versions };
  if (!choose_package (context, &upgrade, now, chosen, error))
    return NULL;
  record = seal_command (context, device_id, g_steal_pointer (&chosen), FALSE, NULL, -1,
                         FF_REMOTE_DEFAULT_VALID_SECONDS, now, error);
  if (record == NULL)
    return NULL;
  /* The answer carries it: sent as it is recorded. */
  record->sent_at = now;
  if (!ff_platform_db_insert_command (context->db, record, firmware->id, error))
    return NULL;
  return g_steal_pointer (&record);
}

struct _FfRemoteIngest
{
  char                 *device_id;
  FfKey                *key;        /* the terminal's, to verify it with (not repeated) */
  FfRemoteResult       *parsed;     /* read before its check (NULL: not a result), then result */
  FfRemoteResult       *result;
  FfRemoteResultRecord  record;
  GBytes               *document;
  GBytes               *signature;
  gboolean              repeated;   /* stored before, byte for byte: not verified again */
  gboolean              inserted;
  GError               *unmatched;  /* why it answers no command: refused, acknowledged */
};

void
ff_remote_ingest_free (FfRemoteIngest *ingest)
{
  if (ingest == NULL)
    return;
  g_free (ingest->device_id);
  g_clear_pointer (&ingest->key, ff_key_unref);
  g_clear_pointer (&ingest->parsed, ff_remote_result_free);
  g_clear_pointer (&ingest->result, ff_remote_result_free);
  g_clear_pointer (&ingest->document, g_bytes_unref);
  g_clear_pointer (&ingest->signature, g_bytes_unref);
  g_clear_error (&ingest->unmatched);
  g_free (ingest);
}

const FfRemoteResult *
ff_remote_ingest_get_result (const FfRemoteIngest *ingest)
{
  return ingest->result;
}

gboolean
ff_remote_ingest_inserted (const FfRemoteIngest *ingest)
{
  return ingest->inserted;
}

gboolean
ff_remote_ingest_repeated (const FfRemoteIngest *ingest)
{
  return ingest->repeated;
}

const GError *
ff_remote_ingest_unmatched (const FfRemoteIngest *ingest)
{
  return ingest->unmatched;
}

/* Whether @ingest's result (parsed, not yet verified) is stored already with this very document
 * and signature. A terminal sends a result again until it is acknowledged; the bytes stored were
 * verified before they were stored, so the same bytes need no second signature check. */
static gboolean
stored_before (FfPlatformDb         *db,
               const FfRemoteIngest *ingest,
               gboolean             *stored,
               GError              **error)
{
  const FfRemoteResult *parsed = ingest->parsed;

  *stored = FALSE;
  if (parsed == NULL || g_strcmp0 (parsed->device_id, ingest->device_id) != 0)
    return TRUE;
  return ff_platform_db_result_is_stored (db, parsed->result_id, ingest->device_id,
                                          ingest->document, ingest->signature, stored, error);
}

FfRemoteIngest *
ff_platform_remote_read_result (FfPlatformDb *db,
                                const char   *device_id,
                                GBytes       *envelope,
                                gint64        now,
                                GError      **error)
{
  g_autoptr(FfRemoteIngest) ingest = g_new0 (FfRemoteIngest, 1);

  ingest->device_id = g_strdup (device_id);
  ingest->record.received_at = now;
  ingest->document = ff_remote_envelope_unwrap (envelope, &ingest->signature, error);
  if (ingest->document == NULL)
    return NULL;
  /* Parsed once: to find a stored copy, and as the result once its signature verifies. */
  ingest->parsed = ff_remote_result_parse (ingest->document, NULL);
  if (!stored_before (db, ingest, &ingest->repeated, error))
    return NULL;
  if (!ingest->repeated
      && (ingest->key = ff_platform_remote_terminal_key (db, ingest->device_id, error)) == NULL)
    return NULL;
  return g_steal_pointer (&ingest);
}

gboolean
ff_remote_ingest_verify (FfRemoteIngest *ingest,
                         GError        **error)
{
  FfRemoteResult *result;

  if (ingest->repeated)
    ingest->result = g_steal_pointer (&ingest->parsed);
  else if ((ingest->result = ff_remote_result_load_parsed (ingest->document, ingest->signature,
                                                           g_steal_pointer (&ingest->parsed),
                                                           ingest->key, ingest->device_id,
                                                           error)) == NULL)
    return FALSE;
  result = ingest->result;
  ingest->record.result_id = result->result_id;
  ingest->record.command_id = result->command_id;
  ingest->record.device_id = result->device_id;
  ingest->record.outcome = (char *) ff_remote_outcome_to_string (result->outcome);
  ingest->record.step = result->step;
  ingest->record.reason = result->reason;
  ingest->record.main_program_version = result->versions.main_program;
  ingest->record.finished_at = result->finished_at;
  return TRUE;
}

/* The ledger is the record a utility trusts: only the answer to a command the platform sent to
 * that very terminal moves it, or its campaign entry, and only the first answer (*@applies). A
 * refusal before anything was done, of something published on the terminal's command topic that
 * the platform did not send it (forged, expired, another terminal's), is kept without applying:
 * the operator must see it. Any other result is not stored (ingest->unmatched says why). */
static gboolean
match_command (FfPlatformDb   *db,
               FfRemoteIngest *ingest,
               gboolean       *applies,
               GError        **error)
{
  const FfRemoteResult *result = ingest->result;
  gboolean sent = FALSE;
  gboolean answered = FALSE;

  *applies = FALSE;
  if (result->command_id != NULL
      && !ff_platform_db_result_command (db, result->device_id, result->command_id,
                                         result->result_id, &sent, &answered, error))
    return FALSE;
  if (sent && !answered)
    *applies = TRUE;
  else if (answered)
    g_set_error (&ingest->unmatched, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                 _("Result %s answers command %s, which an earlier result of %s answered: the "
                   "first one stands"), result->result_id, result->command_id,
                 result->device_id);
  else if (result->outcome != FF_REMOTE_OUTCOME_REFUSED
           || g_strcmp0 (result->step, "verify-command") != 0)
    g_set_error (&ingest->unmatched, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_CONFLICT,
                 _("Result %s answers command %s, which the platform did not send to %s"),
                 result->result_id, result->command_id ? result->command_id : _("(none)"),
                 result->device_id);
  return TRUE;
}

static gboolean
store_in_transaction (FfPlatformDb *db,
                      gpointer      user_data,
                      GError      **error)
{
  FfRemoteIngest *ingest = user_data;
  const char *device_id = ingest->record.device_id;
  const char *running = ingest->result->versions.main_program;
  g_autoptr(FfTerminal) terminal = NULL;
  gboolean applies = FALSE;

  if (!match_command (db, ingest, &applies, error))
    return FALSE;
  if (ingest->unmatched != NULL)
    return TRUE;
  if (!ff_platform_db_insert_result (db, &ingest->record, ingest->document, ingest->signature,
                                     &ingest->inserted, error))
    return FALSE;
  if (!ingest->inserted || !applies)
    return TRUE;
  if (!ff_platform_db_campaign_take_result (db, device_id, ingest->record.command_id,
                                            ingest->record.outcome, ingest->record.step,
                                            ingest->record.reason, ingest->record.received_at,
                                            error))
    return FALSE;
  if (running == NULL)
    return TRUE;
  terminal = ff_platform_db_require_terminal (db, device_id, error);
  if (terminal == NULL)
    return FALSE;
  if (ff_version_compare (terminal->software_version, running) == 0)
    return TRUE;
  return ff_platform_db_set_terminal_version (db, device_id, running, NULL,
                                              ingest->record.received_at, error)
         && ff_platform_db_add_remote_history (db, device_id, ingest->record.received_at,
                                               terminal->software_version, running,
                                               ingest->record.result_id, error);
}

gboolean
ff_platform_remote_store_result (FfPlatformDb   *db,
                                 FfRemoteIngest *ingest,
                                 GError        **error)
{
  ingest->inserted = FALSE;
  g_clear_error (&ingest->unmatched);
  /* Stored before: nothing to store again, its acknowledgement to send again. */
  if (ingest->repeated)
    return TRUE;
  return ff_platform_db_transaction (db, store_in_transaction, ingest, error);
}

GBytes *
ff_platform_remote_ack (FfKey      *platform_key,
                        const char *device_id,
                        const char *result_id,
                        gint64      now,
                        GError    **error)
{
  g_autoptr(FfRemoteCommand) ack = ff_remote_command_new ();

  ack->kind = FF_REMOTE_COMMAND_ACK;
  ack->command_id = ff_remote_id_new ();
  ack->device_id = g_strdup (device_id);
  ack->issued_at = now;
  ack->not_after = now + FF_REMOTE_DEFAULT_VALID_SECONDS;
  ack->result_id = g_strdup (result_id);
  return ff_remote_command_seal (ack, platform_key, error);
}
