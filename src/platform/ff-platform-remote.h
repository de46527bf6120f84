/* Remote upgrades of networked terminals: the rules and the signed commands (from the operator's
 * `remote upgrade` and from a terminal's scheduled query), and the results they report. */
#pragma once

#include "ff-crypto.h"
#include "ff-platform-remote-db.h"
#include "ff-platform-remote-delta.h"
#include "ff-remote-doc.h"

G_BEGIN_DECLS

#define FF_REMOTE_DEFAULT_VALID_SECONDS (7 * 24 * 3600)

typedef struct
{
  FfPlatformDb *db;
  const char   *data_dir;
  FfKey        *platform_key;
  const char   *platform_url;    /* https://HOST:PORT the agents download packages from */
  gboolean      full_package;    /* name the full package, never a derived delta one */
  gboolean      made_deltas_only; /* name only a derived package made already (the main loop's) */
  FfPackageCache *packages;      /* the packages opened for a wave (NULL: for each call) */
} FfRemoteContext;

/* Checks every terminal — link mqtt with credentials, and the rules of tasks
 * (ff_platform_check_target) for the firmware @version of its vendor and model, which must be a
 * package the platform signed — then signs one command each and records them all in one
 * transaction (nothing when one is refused). Returns the FfRemoteCommandRecords, not yet sent. */
GPtrArray      *ff_platform_remote_upgrade  (const FfRemoteContext *context,
                                             const char *const     *device_ids,
                                             const char            *version,
                                             gboolean               rollback,
                                             gint64                 valid_seconds,
                                             gint64                 now,
                                             GError               **error);

/* *@job: the job making the derived package a command upgrading @terminal to @firmware (NULL:
 * there is none) would name, NULL when there is none to make (no network link, not a package,
 * nothing known of the images it runs, made already: the command's own checks say why later).
 * FALSE on a database error. */
gboolean ff_platform_remote_delta_job_for (const FfRemoteContext *context,
                                           const FfTerminal      *terminal,
                                           const FfFirmware      *firmware,
                                           FfRemoteDeltaJob     **job,
                                           GError               **error);

/* No second command to the firmware @target of one @terminal has not answered (a refusal saying
 * which command is out): the agent executes each command ID once, so both would install it — the
 * first reaches the terminal from its topic until it expires. `remote upgrade`, a campaign's
 * selection and the start of its wave each check it. */
gboolean ff_platform_remote_check_none_out (FfPlatformDb     *db,
                                            const FfTerminal *terminal,
                                            const FfFirmware *target,
                                            gint64            now,
                                            GError          **error);

/* Checks one terminal as ff_platform_remote_upgrade() does (@campaign_id: the campaign the upgrade
 * belongs to, or NULL) and signs its command, which carries @campaign_id and @wave (-1: none);
 * the command is not recorded. *@firmware_id is the firmware it installs: @known_firmware when
 * the caller read the record of @version for the terminal's vendor and model already, else read
 * here. The command names the package ff_platform_remote_choose_package() chooses from the
 * terminal's retained state (a smaller one of delta patches), or the full one with @context's
 * full_package. */
FfRemoteCommandRecord *ff_platform_remote_prepare (const FfRemoteContext *context,
                                                   const FfTerminal      *terminal,
                                                   const char            *version,
                                                   gboolean               rollback,
                                                   const char            *campaign_id,
                                                   gint64                 wave,
                                                   gint64                 valid_seconds,
                                                   gint64                 now,
                                                   const FfFirmware      *known_firmware,
                                                   gint64                *firmware_id,
                                                   GError               **error);

/* A terminal's scheduled query (seed 002) with the versions it runs: the newest available package
 * of its vendor and model when it brings a version newer than one of them and none lower, unless
 * it is on that version's blacklist or the package does not fit it — then NULL without an error
 * ("nothing new"). A command is signed and recorded as sent (it goes back in the answer). */
FfRemoteCommandRecord *ff_platform_remote_query (const FfRemoteContext  *context,
                                                 const char             *device_id,
                                                 const FfRemoteVersions *versions,
                                                 gint64                  now,
                                                 GError                **error);

/* A terminal's result verified and ready to store. */
typedef struct _FfRemoteIngest FfRemoteIngest;

/* Reads @envelope from @device_id's result topic (received @now), the part of taking a result
 * that needs the database, outside any transaction: a result stored before with the very same
 * document and signature (sent again) is taken as it is (ff_remote_ingest_repeated()), any
 * other gets the terminal's key. ff_remote_ingest_verify() then checks it. */
FfRemoteIngest *ff_platform_remote_read_result   (FfPlatformDb   *db,
                                                  const char     *device_id,
                                                  GBytes         *envelope,
                                                  gint64          now,
                                                  GError        **error);
/* Checks the signature and contents of a result read by ff_platform_remote_read_result()
 * (nothing to check for a repeated one): the costly part, without the database, so in any
 * thread. FALSE: refused, not to be stored. */
gboolean        ff_remote_ingest_verify          (FfRemoteIngest *ingest,
                                                  GError        **error);
/* Stores the verified result once by its result_id (ff_remote_ingest_inserted() then tells
 * whether it was new), unless it answers no command the platform sent its terminal or a command
 * answered before (ff_remote_ingest_unmatched(); a refusal at "verify-command" of a command the
 * platform did not send is stored and changes nothing else); a new result of a command moves its
 * campaign terminal on, and one whose main program version differs from the ledger's updates the
 * ledger and adds a history entry of source "remote", all in one transaction — or in the
 * caller's, when it runs in one (a batch of results, one commit). */
gboolean        ff_platform_remote_store_result  (FfPlatformDb   *db,
                                                  FfRemoteIngest *ingest,
                                                  GError        **error);
const FfRemoteResult *ff_remote_ingest_get_result (const FfRemoteIngest *ingest);
gboolean        ff_remote_ingest_inserted        (const FfRemoteIngest *ingest);
gboolean        ff_remote_ingest_repeated        (const FfRemoteIngest *ingest);
/* After ff_platform_remote_store_result(): why the result was not stored because it answers no
 * command the platform sent its terminal, or one answered already (NULL: it does). Such a result
 * is acknowledged all the same: the refusal is final, and the terminal would send it forever. */
const GError   *ff_remote_ingest_unmatched       (const FfRemoteIngest *ingest);
void            ff_remote_ingest_free            (FfRemoteIngest *ingest);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfRemoteIngest, ff_remote_ingest_free)

/* The signed ack of @result_id for @device_id's command topic. */
GBytes         *ff_platform_remote_ack      (FfKey                 *platform_key,
                                             const char            *device_id,
                                             const char            *result_id,
                                             gint64                 now,
                                             GError               **error);

/* The terminal's public key, as its credentials gave it; NULL with an error when it has none. */
FfKey          *ff_platform_remote_terminal_key (FfPlatformDb      *db,
                                                 const char        *device_id,
                                                 GError           **error);

G_END_DECLS
