/* The database of networked terminals: each terminal's link and key, the commands signed for it
 * and the results it reported (schema 5). */
#pragma once

#include "ff-platform-db.h"

G_BEGIN_DECLS

#define FF_LINK_OFFLINE "offline"
#define FF_LINK_MQTT "mqtt"

typedef struct
{
  char   *device_id;
  char   *link;                /* "offline" (tablet only) or "mqtt" */
  char   *public_key_pem;      /* of its credentials, NULL when none were issued */
  gint64  key_issued_at;
  GBytes *state;               /* the last retained state document, NULL when none */
  gint64  state_at;
} FfTerminalLink;

typedef struct
{
  char   *command_id;
  char   *device_id;
  char   *kind;
  gint64  created_at;
  gint64  not_after;
  GBytes *envelope;            /* what is published on the terminal's command topic */
  gint64  sent_at;             /* 0 until the broker acknowledged it */
  char   *package_sha256;      /* the package it names: the firmware's, or a derived delta one */
  gint64  package_size;        /* its size (not stored) */
  gboolean delta;              /* whether that package is a derived one of delta patches */
} FfRemoteCommandRecord;

/* A package of delta patches derived from a target package for some installed images. */
typedef struct
{
  char   *sha256;              /* NULL: it was no smaller than the target, none is kept */
  gint64  size;
} FfRemotePackageDelta;

typedef struct
{
  char   *result_id;
  char   *command_id;
  char   *device_id;
  char   *outcome;
  char   *step;
  char   *reason;
  char   *main_program_version;
  gint64  finished_at;
  gint64  received_at;
} FfRemoteResultRecord;

/* The link record of @device_id; one with link "offline" and nothing else when there is none. */
FfTerminalLink *ff_platform_db_get_link            (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    GError       **error);
gboolean        ff_platform_db_set_link            (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    const char    *link,
                                                    GError       **error);
/* Records the public key of new credentials; *@replaced tells whether one was there before. */
gboolean        ff_platform_db_set_terminal_key    (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    const char    *public_key_pem,
                                                    gint64         now,
                                                    gboolean      *replaced,
                                                    GError       **error);
gboolean        ff_platform_db_set_terminal_state  (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    GBytes        *state,
                                                    gint64         now,
                                                    GError       **error);

/* Records @record (as sent already when its sent_at is not 0). */
gboolean        ff_platform_db_insert_command      (FfPlatformDb                *db,
                                                    const FfRemoteCommandRecord *record,
                                                    gint64                       firmware_id,
                                                    GError                     **error);
gboolean        ff_platform_db_mark_command_sent   (FfPlatformDb  *db,
                                                    const char    *command_id,
                                                    gint64         now,
                                                    GError       **error);
/* Replaces the envelope and not_after of command @command_id, while it is not published yet. */
gboolean        ff_platform_db_renew_command       (FfPlatformDb  *db,
                                                    const char    *command_id,
                                                    GBytes        *envelope,
                                                    gint64         not_after,
                                                    GError       **error);
/* At most @limit commands never handed to the broker, oldest first. */
GPtrArray      *ff_platform_db_list_unpublished_commands (FfPlatformDb *db,
                                                          guint         limit,
                                                          GError      **error);
/* The commands claimed (published) whose broker acknowledgement is not stored, in the order they
 * were claimed: after a restart, the broker has them or not. */
GPtrArray      *ff_platform_db_list_unacknowledged_commands (FfPlatformDb *db,
                                                             GError      **error);
/* The newest upgrade command of @device_id to @firmware_id — made for a query, or by `remote
 * upgrade` or a campaign, sent or not — valid past @not_after_min and not answered by a result; NULL
 * when there is none (@error set only on a database error). */
FfRemoteCommandRecord *ff_platform_db_find_open_command (FfPlatformDb *db,
                                                         const char   *device_id,
                                                         gint64        firmware_id,
                                                         gint64        not_after_min,
                                                         GError      **error);
/* Whether a result of @record's command is stored (so the terminal got it). */
gboolean        ff_platform_db_command_answered   (FfPlatformDb                *db,
                                                   const FfRemoteCommandRecord *record,
                                                   gboolean                    *answered,
                                                   GError                     **error);
/* Records each of @records (FfRemoteCommandRecords) as handed to the broker @now, unless it was
 * before (then another process publishes it, or did), in one transaction, and adds those it
 * claimed to @claimed. Publish a command only once it is claimed: it is never published again,
 * so a daemon killed after the publication sends nothing twice. */
gboolean        ff_platform_db_claim_commands      (FfPlatformDb  *db,
                                                    GPtrArray     *records,
                                                    gint64         now,
                                                    GPtrArray     *claimed,
                                                    GError       **error);
/* The derived package recorded for the target package @to_sha256 and the installed images
 * @from_key; *@found is NULL when none is recorded. */
gboolean        ff_platform_db_find_package_delta  (FfPlatformDb          *db,
                                                    const char            *to_sha256,
                                                    const char            *from_key,
                                                    FfRemotePackageDelta **found,
                                                    GError               **error);
gboolean        ff_platform_db_insert_package_delta (FfPlatformDb               *db,
                                                     const char                 *to_sha256,
                                                     const char                 *from_key,
                                                     const FfRemotePackageDelta *delta,
                                                     gint64                      now,
                                                     GError                    **error);
void            ff_remote_package_delta_free       (FfRemotePackageDelta *delta);

/* Whether a command for @device_id names the package @sha256 (so it may download it). */
gboolean        ff_platform_db_package_commanded  (FfPlatformDb  *db,
                                                   const char    *device_id,
                                                   const char    *sha256,
                                                   gboolean      *commanded,
                                                   GError       **error);

/* Stores a result once: *@inserted is FALSE when @record->result_id was stored before (then
 * nothing changes). */
gboolean        ff_platform_db_insert_result       (FfPlatformDb               *db,
                                                    const FfRemoteResultRecord *record,
                                                    GBytes                     *document,
                                                    GBytes                     *signature,
                                                    gboolean                   *inserted,
                                                    GError                    **error);
/* Whether the platform signed @command_id for @device_id (*@sent; an ack is not a command a
 * result answers) and whether a result of that terminal for it other than @result_id is stored
 * (*@answered). */
gboolean        ff_platform_db_result_command      (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    const char    *command_id,
                                                    const char    *result_id,
                                                    gboolean      *sent,
                                                    gboolean      *answered,
                                                    GError       **error);
/* *@stored: whether @result_id of @device_id is stored with exactly @document and @signature
 * (a result sent again: those bytes were verified before they were stored). */
gboolean        ff_platform_db_result_is_stored    (FfPlatformDb  *db,
                                                    const char    *result_id,
                                                    const char    *device_id,
                                                    GBytes        *document,
                                                    GBytes        *signature,
                                                    gboolean      *stored,
                                                    GError       **error);
/* Results of @device_id (NULL: every terminal), newest first. */
GPtrArray      *ff_platform_db_list_results        (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    GError       **error);
gboolean        ff_platform_db_add_remote_history  (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    gint64         changed_at,
                                                    const char    *from_version,
                                                    const char    *to_version,
                                                    const char    *result_id,
                                                    GError       **error);

void ff_terminal_link_free          (FfTerminalLink        *link);
void ff_remote_command_record_free  (FfRemoteCommandRecord *record);
void ff_remote_result_record_free   (FfRemoteResultRecord  *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTerminalLink, ff_terminal_link_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfRemoteCommandRecord, ff_remote_command_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfRemoteResultRecord, ff_remote_result_record_free)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfRemotePackageDelta, ff_remote_package_delta_free)

G_END_DECLS
