/* The platform database: schema and migrations, every query, and transactions (sqlite, WAL). */
#pragma once

#include "ff-platform-error.h"

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  char   *device_id;
  char   *name;
  double  latitude;
  double  longitude;
  char   *vendor;
  char   *model;
  char   *hardware_version;
  char   *software_version;
  char   *software_checksum;
  char   *host;
  guint   port;
  guint   common_address;
  char   *profile;
} FfTerminal;

typedef struct
{
  gint64  id;
  char   *vendor;
  char   *model;
  char   *version;
  char   *sha256;
  gint64  size;
  char   *notes;
  GStrv   hardware_versions;   /* compatible hardware versions */
  gint64  added_at;
  gint64  withdrawn_at;        /* 0 while available */
} FfFirmware;

/* A delta patch from one stored image to another (both named by SHA-256), itself in the store. */
typedef struct
{
  char   *from_sha256;
  char   *to_sha256;
  char   *sha256;              /* the patch's */
  gint64  size;                /* the patch's, always smaller than the new image */
  gint64  made_at;
  char   *from_version;        /* the old image's version for the new one's vendor and model */
} FfFirmwareDelta;

typedef struct
{
  char   *serial;
  char   *public_key_pem;
  char   *state;               /* "in-stock", "checked-out", "retired" */
  char   *task_id;             /* the task it is checked out to */
} FfHandheld;

typedef struct
{
  char   *phone;
  char   *name;
  char   *pin_hash;
  gint64  failed_logins;
  gint64  last_failure_at;
} FfTechnician;

typedef struct
{
  char   *name;
  char   *pin_hash;
  gint64  added_at;
  gint64  disabled_at;   /* 0 while the supervisor may override */
} FfSupervisorRecord;

typedef struct
{
  char   *task_id;
  char   *phone;
  gint64  issued_at;
  gint64  expires_at;
  char   *rollback_reason;
  char   *state;               /* "open", "complete" */
  GBytes *document;
  GBytes *signature;
  gint64  items;               /* counts and message from ff_platform_db_list_tasks() only */
  gint64  items_closed;        /* (else -1, -1 and NULL) */
  char   *dispatch_message;    /* what the technician was told at dispatch */
} FfTaskRecord;

typedef struct
{
  char   *device_id;           /* from ff_platform_db_list_task_items() only */
  char   *state;               /* "open", "closed" */
  char   *target_version;      /* the firmware the item sends */
  char   *target_sha256;
  char   *previous_version;    /* the firmware to roll back to; both NULL when there is none */
  char   *previous_sha256;
  char   *expected_version;    /* what the ledger said the terminal ran when the task was made */
  char   *closing_report_id;   /* the report that closed it, or NULL while open */
} FfTaskItemRecord;

typedef struct
{
  gint64  changed_at;
  char   *from_version;
  char   *to_version;
  char   *to_checksum;
  char   *source;              /* "ledger" or "report" */
  char   *report_id;
} FfHistoryEntry;

typedef struct
{
  char   *report_id;
  char   *task_id;
  char   *device_id;
  char   *tablet_serial;
  char   *outcome;
  gint64  created_at;
  gint64  received_at;
  GBytes *document;
} FfReportRecord;

/* A task's states. */
#define FF_TASK_OPEN "open"
#define FF_TASK_COMPLETE "complete"
#define FF_TASK_CANCELLED "cancelled"

#define FF_HANDHELD_IN_STOCK "in-stock"
#define FF_HANDHELD_CHECKED_OUT "checked-out"
#define FF_HANDHELD_RETIRED "retired"

typedef struct _FfPlatformDb FfPlatformDb;

/* A unit of work run inside one transaction; returning FALSE rolls everything back. */
typedef gboolean (*FfPlatformDbWork) (FfPlatformDb *db,
                                      gpointer      user_data,
                                      GError      **error);

FfPlatformDb *ff_platform_db_open                  (const char    *path,
                                                    GError       **error);
/* The same for a command that holds the database a moment. When the WAL index that readers share
 * (platform.db-shm) cannot be made or grown — a full disk — it reads with an index of its own in
 * memory, under exclusive locking: a serve starting meanwhile waits for it (the busy timeout).
 * So the read-only verbs work on a full disk; a change fails there in words. */
FfPlatformDb *ff_platform_db_open_briefly          (const char    *path,
                                                    GError       **error);
/* Another connection to @db's file, for a thread that writes beside @db's users: its
 * transactions wait for theirs (one writer at a time), its reads do not (WAL). */
FfPlatformDb *ff_platform_db_open_again            (FfPlatformDb  *db,
                                                    GError       **error);
void          ff_platform_db_close                 (FfPlatformDb  *db);
/* Runs @work in a transaction and returns once it is durably committed, or rolled back when
 * @work fails. Calls from several threads at once are committed together (group commit): each
 * unit runs in its own savepoint, so one unit's failure never undoes another's work. */
gboolean      ff_platform_db_transaction           (FfPlatformDb     *db,
                                                    FfPlatformDbWork  work,
                                                    gpointer          user_data,
                                                    GError          **error);
/* The same, but the commit does not wait for the disk (unless a unit of another thread shares it):
 * atomic, seen by every connection and kept through a kill of the process, yet a power cut may
 * undo it (never the database's consistency: WAL with synchronous=NORMAL). The next durable commit
 * makes it durable too. For what the platform can do without after a power cut. */
gboolean      ff_platform_db_transaction_lazy      (FfPlatformDb     *db,
                                                    FfPlatformDbWork  work,
                                                    gpointer          user_data,
                                                    GError          **error);
/* The queries below may be called alone (each is then atomic) or inside a transaction. */
gboolean      ff_platform_db_ping                  (FfPlatformDb  *db,
                                                    GError       **error);

/* Terminals */
/* The get_ functions return NULL without an error when there is no such record; the require_
 * ones set FF_PLATFORM_ERROR_NOT_FOUND then. */
FfTerminal   *ff_platform_db_get_terminal          (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    GError       **error);
FfTerminal   *ff_platform_db_require_terminal      (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    GError       **error);
gboolean      ff_platform_db_put_terminal          (FfPlatformDb     *db,
                                                    const FfTerminal *terminal,
                                                    gboolean          exists,
                                                    gint64            now,
                                                    GError          **error);
/* Terminals matching every filter that is not NULL, by device ID (ff-platform-fleet-db.c).
 * Versions compare by ff_version_compare() order: "v2.1" matches "V2.01". */
typedef struct
{
  const char *vendor;
  const char *model;
  const char *version;         /* runs this version */
  const char *below;           /* runs a version lower than this */
  const char *at_least;        /* runs this version or a higher one */
  const char *profile;         /* speaks this vendor profile */
  const char *link;            /* is upgraded this way: "offline" (by tablet) or "mqtt" */
  const char *online;          /* "true": its last retained state says online; "false": not */
  gboolean    in_area;         /* within latitudes south..north and longitudes west..east */
  double      south;
  double      west;
  double      north;
  double      east;
  const char *after;           /* a page: device IDs after this one… */
  guint       limit;           /* …at most this many (0: all) */
} FfTerminalFilter;

GPtrArray    *ff_platform_db_find_terminals        (FfPlatformDb           *db,
                                                    const FfTerminalFilter *filter,
                                                    GError                **error);
/* How many terminals match @filter (its page, after and limit, ignored); -1 on error. */
gint64        ff_platform_db_count_matching        (FfPlatformDb           *db,
                                                    const FfTerminalFilter *filter,
                                                    GError                **error);
gint64        ff_platform_db_count_terminals       (FfPlatformDb  *db,
                                                    GError       **error);
gboolean      ff_platform_db_set_terminal_version  (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    const char    *version,
                                                    const char    *checksum,
                                                    gint64         now,
                                                    GError       **error);
gboolean      ff_platform_db_add_history           (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    gint64         changed_at,
                                                    const char    *from_version,
                                                    const char    *to_version,
                                                    const char    *to_checksum,
                                                    const char    *source,
                                                    const char    *report_id,
                                                    GError       **error);
GPtrArray    *ff_platform_db_list_history          (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    GError       **error);

/* Firmware */
/* Stores @firmware and its hardware versions, all or nothing, and sets its id. */
gboolean      ff_platform_db_insert_firmware       (FfPlatformDb  *db,
                                                    FfFirmware    *firmware,
                                                    GError       **error);
FfFirmware   *ff_platform_db_find_firmware         (FfPlatformDb  *db,
                                                    const char    *vendor,
                                                    const char    *model,
                                                    const char    *version,
                                                    GError       **error);
GPtrArray    *ff_platform_db_list_firmware         (FfPlatformDb  *db,
                                                    const char    *version,
                                                    GError       **error);
/* *@withdrawn is FALSE when the firmware was withdrawn before; then nothing changes. */
gboolean      ff_platform_db_withdraw_firmware     (FfPlatformDb  *db,
                                                    gint64         firmware_id,
                                                    gint64         now,
                                                    gboolean      *withdrawn,
                                                    GError       **error);
gboolean      ff_platform_db_add_blacklist         (FfPlatformDb  *db,
                                                    gint64         firmware_id,
                                                    const char    *device_id,
                                                    gint64         now,
                                                    GError       **error);
gboolean      ff_platform_db_is_blacklisted        (FfPlatformDb  *db,
                                                    gint64         firmware_id,
                                                    const char    *device_id,
                                                    gboolean      *blacklisted,
                                                    GError       **error);
/* Whether a task of @phone that lists @serial names the firmware @sha256 (target or previous). */
gboolean      ff_platform_db_firmware_visible      (FfPlatformDb  *db,
                                                    const char    *sha256,
                                                    const char    *phone,
                                                    const char    *serial,
                                                    gboolean      *visible,
                                                    GError       **error);

/* Delta patches */
/* Records @delta; one recorded before for the same pair is kept as it is. */
gboolean         ff_platform_db_insert_delta       (FfPlatformDb          *db,
                                                    const FfFirmwareDelta *delta,
                                                    gint64                 now,
                                                    GError               **error);
/* Every delta to @to's image, oldest source first, each with the version of its old image for
 * @to's vendor and model. */
GPtrArray       *ff_platform_db_list_deltas        (FfPlatformDb          *db,
                                                    const FfFirmware      *to,
                                                    GError               **error);
/* The firmware of @to's vendor and model older than @to (by version order) that some terminal of
 * a hardware version @to supports runs, according to the ledger: the sources worth a delta. */
GPtrArray       *ff_platform_db_list_field_sources (FfPlatformDb          *db,
                                                    const FfFirmware      *to,
                                                    GError               **error);

/* Handhelds (tablets) */
gboolean      ff_platform_db_insert_handheld       (FfPlatformDb  *db,
                                                    const char    *serial,
                                                    const char    *public_key_pem,
                                                    gint64         now,
                                                    GError       **error);
FfHandheld   *ff_platform_db_get_handheld          (FfPlatformDb  *db,
                                                    const char    *serial,
                                                    GError       **error);
FfHandheld   *ff_platform_db_require_handheld      (FfPlatformDb  *db,
                                                    const char    *serial,
                                                    GError       **error);
/* A tablet other than @other_than registered with @public_key_pem (as ff_key_get_public_pem()
 * spells it), retired or not; NULL without an error when there is none. */
FfHandheld   *ff_platform_db_get_handheld_by_key   (FfPlatformDb  *db,
                                                    const char    *public_key_pem,
                                                    const char    *other_than,
                                                    GError       **error);
GPtrArray    *ff_platform_db_list_handhelds        (FfPlatformDb  *db,
                                                    GError       **error);
gboolean      ff_platform_db_set_handheld_state    (FfPlatformDb  *db,
                                                    const char    *serial,
                                                    const char    *state,
                                                    const char    *task_id,
                                                    GError       **error);

/* Technicians and sessions */
gboolean      ff_platform_db_insert_technician     (FfPlatformDb  *db,
                                                    const char    *phone,
                                                    const char    *name,
                                                    const char    *pin_hash,
                                                    gint64         now,
                                                    GError       **error);
FfTechnician *ff_platform_db_get_technician        (FfPlatformDb  *db,
                                                    const char    *phone,
                                                    GError       **error);
FfTechnician *ff_platform_db_require_technician    (FfPlatformDb  *db,
                                                    const char    *phone,
                                                    GError       **error);
GPtrArray    *ff_platform_db_list_technicians      (FfPlatformDb  *db,
                                                    GError       **error);
/* Supervisors: new tasks carry the enabled ones (a disabled one stays in the tasks already
 * signed, until they expire). */
gboolean      ff_platform_db_insert_supervisor     (FfPlatformDb  *db,
                                                    const char    *name,
                                                    const char    *pin_hash,
                                                    gint64         now,
                                                    GError       **error);
GPtrArray    *ff_platform_db_list_supervisors      (FfPlatformDb  *db,
                                                    gboolean       only_enabled,
                                                    GError       **error);
/* *@disabled is FALSE when no enabled supervisor has that name. */
gboolean      ff_platform_db_disable_supervisor    (FfPlatformDb  *db,
                                                    const char    *name,
                                                    gint64         now,
                                                    gboolean      *disabled,
                                                    GError       **error);
gboolean      ff_platform_db_set_login_failures    (FfPlatformDb  *db,
                                                    const char    *phone,
                                                    gint64         failures,
                                                    gint64         last_failure_at,
                                                    GError       **error);
gboolean      ff_platform_db_insert_session        (FfPlatformDb  *db,
                                                    const char    *token_hash,
                                                    const char    *phone,
                                                    const char    *serial,
                                                    gint64         now,
                                                    gint64         expires_at,
                                                    GError       **error);
/* Finds a live session; *@retired tells whether its tablet has been retired since. FALSE without
 * error when there is none. */
gboolean      ff_platform_db_find_session          (FfPlatformDb  *db,
                                                    const char    *token_hash,
                                                    gint64         now,
                                                    char         **phone,
                                                    char         **serial,
                                                    gboolean      *retired,
                                                    GError       **error);

/* Tasks */
gint64        ff_platform_db_count_tasks_with_prefix (FfPlatformDb *db,
                                                      const char   *prefix,
                                                      GError      **error);
gboolean      ff_platform_db_insert_task           (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    const char    *phone,
                                                    gint64         issued_at,
                                                    gint64         expires_at,
                                                    const char    *rollback_reason,
                                                    GBytes        *document,
                                                    GBytes        *signature,
                                                    GError       **error);
gboolean      ff_platform_db_insert_task_item      (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    const char    *device_id,
                                                    gint64         target_firmware_id,
                                                    gint64         previous_firmware_id,
                                                    const char    *expected_version,
                                                    GError       **error);
gboolean      ff_platform_db_insert_task_tablet    (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    const char    *serial,
                                                    GError       **error);
gboolean      ff_platform_db_insert_dispatch       (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    const char    *phone,
                                                    gint64         now,
                                                    const char    *body,
                                                    GError       **error);
FfTaskRecord *ff_platform_db_get_task              (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    GError       **error);
/* The technician and state ("open", "complete") of a task, without its document; FALSE without
 * error when there is no such task. */
gboolean      ff_platform_db_get_task_owner        (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    char         **phone,
                                                    char         **state,
                                                    GError       **error);
/* Tasks of @phone listing @serial (both may be NULL for all), newest first, with item counts but
 * without documents. */
GPtrArray    *ff_platform_db_list_tasks            (FfPlatformDb  *db,
                                                    const char    *phone,
                                                    const char    *serial,
                                                    GError       **error);
gboolean      ff_platform_db_task_lists_tablet     (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    const char    *serial,
                                                    gboolean      *listed,
                                                    GError       **error);
/* The item of @device_id in @task_id with the firmware it names, or NULL without an error when
 * the terminal is not in the task. */
FfTaskItemRecord *ff_platform_db_get_task_item     (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    const char    *device_id,
                                                    GError       **error);
gboolean      ff_platform_db_terminal_in_open_task (FfPlatformDb  *db,
                                                    const char    *device_id,
                                                    char         **task_id,
                                                    GError       **error);
gboolean      ff_platform_db_close_item            (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    const char    *device_id,
                                                    const char    *report_id,
                                                    GError       **error);
/* Withdraws the items of @task_id still open (the campaign terminals they carried pending again,
 * without a task), marks it cancelled and returns its checked-out tablets to stock; a withdrawn
 * item is never closed by a later report (ff_platform_cancel_task checks the task is open). */
gboolean      ff_platform_db_cancel_task           (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    gint64         now,
                                                    GError       **error);
/* Marks the task complete and returns its checked-out tablets to stock when no item is open;
 * *@complete tells whether it is (now or already). */
gboolean      ff_platform_db_complete_task_if_done (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    gint64         now,
                                                    gboolean      *complete,
                                                    GError       **error);
gint64        ff_platform_db_count_open_tasks      (FfPlatformDb  *db,
                                                    GError       **error);

/* Reports */
FfReportRecord *ff_platform_db_get_report          (FfPlatformDb  *db,
                                                    const char    *report_id,
                                                    GError       **error);
gboolean      ff_platform_db_insert_report         (FfPlatformDb  *db,
                                                    const FfReportRecord *record,
                                                    GBytes        *signature,
                                                    GError       **error);
GPtrArray    *ff_platform_db_list_reports          (FfPlatformDb  *db,
                                                    const char    *task_id,
                                                    GError       **error);

void ff_terminal_free       (FfTerminal     *terminal);
void ff_firmware_free       (FfFirmware     *firmware);
void ff_firmware_delta_free (FfFirmwareDelta *delta);
void ff_handheld_free       (FfHandheld     *handheld);
void ff_technician_free     (FfTechnician   *technician);
void ff_supervisor_record_free (FfSupervisorRecord *supervisor);
void ff_task_record_free    (FfTaskRecord   *record);
void ff_task_item_record_free (FfTaskItemRecord *record);
void ff_history_entry_free  (FfHistoryEntry *entry);
void ff_report_record_free  (FfReportRecord *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTerminal, ff_terminal_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfFirmware, ff_firmware_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfFirmwareDelta, ff_firmware_delta_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfHandheld, ff_handheld_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTechnician, ff_technician_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfSupervisorRecord, ff_supervisor_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTaskRecord, ff_task_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTaskItemRecord, ff_task_item_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfReportRecord, ff_report_record_free)

G_END_DECLS
