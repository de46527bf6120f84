/* The documents of networked terminals on MQTT: the signed envelope, the command the platform signs,
 * the result a terminal signs, and the versions object both carry (docs/formats.md). */
#pragma once

#include "ff-crypto.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define FF_REMOTE_DOC_ERROR (ff_remote_doc_error_quark ())

typedef enum
{
  FF_REMOTE_DOC_ERROR_INVALID,       /* not an envelope (a document breaking a rule of its own is
                                      * FF_DOCUMENT_ERROR_INVALID, as tasks and reports) */
  FF_REMOTE_DOC_ERROR_SIGNATURE,     /* the signature does not verify */
  FF_REMOTE_DOC_ERROR_WRONG_DEVICE,  /* the document names another device */
  FF_REMOTE_DOC_ERROR_EXPIRED,       /* a command past its not_after */
} FfRemoteDocError;

/* An envelope (and so the document inside it) larger than this is refused. */
#define FF_REMOTE_ENVELOPE_MAX_SIZE (64 * 1024)
#define FF_REMOTE_ID_HEX_LENGTH 32
#define FF_REMOTE_REASON_MAX_LENGTH 1024
#define FF_REMOTE_URL_MAX_LENGTH 1024

GQuark    ff_remote_doc_error_quark      (void);

/* A device ID the ledger accepts (ff_name_is_safe()) that is also safe in an MQTT topic: no '+',
 * '#' (nor '/', which ff_name_is_safe() refuses already), and in the agent's signed requests'
 * `FF-Terminal device="…"`: no '"' (such a terminal could never authenticate one). */
gboolean  ff_remote_device_id_is_valid   (const char *device_id);
/* 32 lowercase hex digits: the form of command and result IDs. */
gboolean  ff_remote_id_is_valid          (const char *id);
/* A new random command or result ID. */
char     *ff_remote_id_new               (void);

/* "ff/v1/t/DEVICE/SUFFIX" (SUFFIX: "cmd", "state", "progress", "result"). */
char     *ff_remote_topic                (const char *device_id,
                                          const char *suffix);
/* The device of a topic "ff/v1/t/DEVICE/@suffix", or NULL when @topic is not one. */
char     *ff_remote_topic_device         (const char *topic,
                                          const char *suffix);

/* ---- the envelope: {"document": base64, "signature": base64} ---- */

/* Signs @document (its exact bytes) with @key and wraps both. */
GBytes   *ff_remote_envelope_seal        (GBytes     *document,
                                          FfKey      *key,
                                          GError    **error);
/* Unwraps @envelope without verifying: the document's bytes, and its signature in @signature. */
GBytes   *ff_remote_envelope_unwrap      (GBytes     *envelope,
                                          GBytes    **signature,
                                          GError    **error);
/* Unwraps @envelope and verifies its signature with @key: the document's bytes. */
GBytes   *ff_remote_envelope_open        (GBytes     *envelope,
                                          FfKey      *key,
                                          GError    **error);

/* ---- the versions a terminal runs ---- */

typedef struct
{
  char *kernel;                          /* each NULL when unknown */
  char *rootfs;
  char *main_program;
  char *updater;
} FfRemoteVersions;

void      ff_remote_versions_clear       (FfRemoteVersions       *versions);
void      ff_remote_versions_copy        (FfRemoteVersions       *to,
                                          const FfRemoteVersions *from);
/* The version of a payload kind ("kernel", "rootfs", "main-program", "updater"), or NULL. */
const char *ff_remote_versions_get       (const FfRemoteVersions *versions,
                                          const char             *kind);
void      ff_remote_versions_set         (FfRemoteVersions       *versions,
                                          const char             *kind,
                                          const char             *version);
/* Adds @member: {"kernel":…, "rootfs":…, "main-program":…, "updater":…} (null when unknown). */
void      ff_remote_versions_add         (JsonBuilder            *builder,
                                          const char             *member,
                                          const FfRemoteVersions *versions);
/* Reads that object (every member present, a version or null; no other member). */
gboolean  ff_remote_versions_parse       (JsonObject             *object,
                                          const char             *where,
                                          const char             *member,
                                          FfRemoteVersions       *versions,
                                          GError                **error);

/* ---- the command (platform → terminal, signed by the platform) ---- */

typedef enum
{
  FF_REMOTE_COMMAND_UPGRADE,
  FF_REMOTE_COMMAND_ROLLBACK,
  FF_REMOTE_COMMAND_ACK,
} FfRemoteCommandKind;

typedef struct
{
  FfRemoteCommandKind kind;
  char   *command_id;
  char   *device_id;
  gint64  issued_at;                     /* unix seconds */
  gint64  not_after;
  char   *campaign_id;                   /* NULL: none */
  gint64  wave;                          /* -1: none */
  /* upgrade, and rollback to a package: the package (package_sha256 NULL otherwise) */
  char   *package_sha256;
  gint64  package_size;
  char   *package_url;
  /* rollback without a package: the program whose backup to restore ("main-program", "updater") */
  char   *program;
  /* ack: the result the platform stored */
  char   *result_id;
} FfRemoteCommand;

const char      *ff_remote_command_kind_to_string (FfRemoteCommandKind kind);

FfRemoteCommand *ff_remote_command_new       (void);
void             ff_remote_command_free      (FfRemoteCommand       *command);
/* Checks every rule ff_remote_command_parse() checks, on a command built in memory. */
gboolean         ff_remote_command_validate  (const FfRemoteCommand *command,
                                              GError               **error);
/* The document's bytes; @command must be valid. */
GBytes          *ff_remote_command_serialize (const FfRemoteCommand *command);
FfRemoteCommand *ff_remote_command_parse     (GBytes                *document,
                                              GError               **error);
/* Validates, serializes and seals @command with the platform's key: the envelope to publish. */
GBytes          *ff_remote_command_seal      (const FfRemoteCommand *command,
                                              FfKey                 *platform_key,
                                              GError               **error);
/* Refuses a command for another device than @device_id (FF_REMOTE_DOC_ERROR_WRONG_DEVICE) or past
 * its not_after at @now (FF_REMOTE_DOC_ERROR_EXPIRED). */
gboolean         ff_remote_command_check     (const FfRemoteCommand *command,
                                              const char            *device_id,
                                              gint64                 now_unix_seconds,
                                              GError               **error);
/* Opens @envelope with @platform_key, parses, and checks it for @device_id at @now: what an agent
 * does with what arrives on its command topic. */
FfRemoteCommand *ff_remote_command_load      (GBytes                *envelope,
                                              FfKey                 *platform_key,
                                              const char            *device_id,
                                              gint64                 now_unix_seconds,
                                              GError               **error);

/* ---- the result (terminal → platform, signed by the terminal) ---- */

typedef enum
{
  FF_REMOTE_OUTCOME_SUCCEEDED,
  FF_REMOTE_OUTCOME_FAILED,
  FF_REMOTE_OUTCOME_ROLLED_BACK,
  FF_REMOTE_OUTCOME_REFUSED,
  FF_REMOTE_OUTCOME_ALREADY_CURRENT,  /* every payload already at the running version: no install */
} FfRemoteOutcome;

typedef struct
{
  char             *result_id;
  char             *command_id;          /* NULL: a command that could not be read */
  char             *device_id;
  FfRemoteOutcome   outcome;
  char             *step;                /* NULL, or one of ff_remote_result_step_is_valid() */
  char             *reason;              /* NULL, or English text */
  FfRemoteVersions  versions;
  gint64            finished_at;
  char             *campaign_id;
  gint64            wave;                /* -1: none */
} FfRemoteResult;

const char      *ff_remote_outcome_to_string   (FfRemoteOutcome outcome);
gboolean         ff_remote_outcome_from_string (const char     *text,
                                                FfRemoteOutcome *outcome);
/* "verify-command", "download", "verify-package", "backup", "write-slot", "set-boot", "recovery",
 * "health-check", "install-program", "rollback". */
gboolean         ff_remote_result_step_is_valid (const char    *step);

FfRemoteResult  *ff_remote_result_new        (void);
void             ff_remote_result_free       (FfRemoteResult       *result);
gboolean         ff_remote_result_validate   (const FfRemoteResult *result,
                                              GError              **error);
GBytes          *ff_remote_result_serialize  (const FfRemoteResult *result);
FfRemoteResult  *ff_remote_result_parse      (GBytes               *document,
                                              GError              **error);
GBytes          *ff_remote_result_seal       (const FfRemoteResult *result,
                                              FfKey                *terminal_key,
                                              GError              **error);
/* Opens @envelope with the terminal's key, parses, and checks that it is @device_id's: what the
 * platform does with what arrives on a terminal's result topic. */
FfRemoteResult  *ff_remote_result_load       (GBytes               *envelope,
                                              FfKey                *terminal_key,
                                              const char           *device_id,
                                              GError              **error);
/* The same for a @document and its @signature already unwrapped (ff_remote_envelope_unwrap) and
 * @parsed from @document (ff_remote_result_parse(), unverified; NULL: it did not parse), which is
 * taken: a receiver that looked at the document before checking it parses it once. Returns
 * @parsed once the signature verifies and the result is @device_id's. */
FfRemoteResult  *ff_remote_result_load_parsed (GBytes         *document,
                                               GBytes         *signature,
                                               FfRemoteResult *parsed,
                                               FfKey          *terminal_key,
                                               const char     *device_id,
                                               GError        **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FfRemoteVersions, ff_remote_versions_clear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfRemoteCommand, ff_remote_command_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfRemoteResult, ff_remote_result_free)

G_END_DECLS
