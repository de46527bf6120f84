/* Smart meters in the ledger (schema 8): the meters, their apps and versions, the signed app
 * packages, the commands queued for a meter's next wake-up and the meters' version history. */
#pragma once

#include "ff-platform-db.h"

G_BEGIN_DECLS

/* Meter app versions are numbers on the meter (a larger one is newer); the operator writes them
 * as MAJOR[.MINOR[.PATCH]] (an optional leading V), which is MAJOR × 65536 + MINOR × 256 + PATCH.
 * 0 when @text is not such a version (MAJOR ≤ 65535, MINOR and PATCH ≤ 255, not all 0). */
guint32 ff_meter_version_parse  (const char *text);
/* "MAJOR.MINOR.PATCH". */
char   *ff_meter_version_format (guint32     version);

/* A meter ID is a plain name (ff_name_is_safe) that the CoAP endpoint can carry and tell apart: no
 * '&', '=', '?', '#' or '%' (it travels as meter=ID in a query) and no '*' (the endpoint's name
 * for every meter: a meter "*" had its install offered to every meter). */
gboolean ff_meter_id_is_valid (const char *meter_id);

/* Adds "APP=VERSION" to @versions (app name → GUINT_TO_POINTER (version)); FALSE, changing
 * nothing, for a bad name or version or an app already there. */
gboolean ff_meter_app_versions_add (GHashTable *versions,
                                    const char *item);

/* The commands an operator queues; each is sent at the meter's next poll for the app. */
#define FF_METER_OP_INSTALL "install"
#define FF_METER_OP_START "start"
#define FF_METER_OP_STOP "stop"
#define FF_METER_OP_UNINSTALL "uninstall"

typedef struct
{
  char   *meter_id;
  char   *name;
  char   *vendor;
  char   *model;
  gint64  added_at;
  GBytes *psk;             /* its DTLS pre-shared key (schema 12); NULL: plain CoAP */
} FfMeter;

typedef struct
{
  gint64    id;
  char     *app;           /* the app's name: the signed manifest's model */
  guint     app_id;        /* the meter firmware's number for the app */
  guint32   version;
  gboolean  resident;
  char     *vendor;
  char     *sha256;        /* of the image, in the firmware store */
  gint64    size;
  gint64    added_at;
} FfMeterPackage;

typedef struct
{
  char    *meter_id;
  char    *app;
  guint    app_id;
  guint32  version;
  char    *state;          /* "running" (from the ledger), what the meter last reported, or
                            * FF_METER_APP_ABSENT */
  gint64   updated_at;
  /* The last command for this app: open (finished_at 0) or finished with its outcome. */
  gint64   command_id;
  char    *command_op;
  guint32  command_version;
  gint64   command_sent_at;
  gint64   command_finished_at;
  char    *command_outcome;
  gint     command_detail;
} FfMeterAppRecord;

/* The state of an app the ledger does not list on the meter but a command names. */
#define FF_METER_APP_ABSENT "absent"

typedef struct
{
  gint64   id;
  char    *meter_id;
  char    *app;
  guint    app_id;
  char    *op;
  gint64   package_id;     /* install: the package; 0 otherwise */
  guint32  version;        /* install: its version; 0 otherwise (the app's current row) */
  gint64   created_at;
  gint64   sent_at;
} FfMeterCommand;

typedef struct
{
  gint64   id;
  char    *meter_id;
  char    *app;
  gint64   changed_at;
  guint32  from_version;   /* 0: none */
  guint32  to_version;
  char    *state;
  char    *source;         /* "ledger" or "meter" */
  gint64   command_id;     /* 0 for the ledger */
} FfMeterHistory;

void ff_meter_free             (FfMeter          *meter);
void ff_meter_package_free     (FfMeterPackage   *package);
void ff_meter_app_record_free  (FfMeterAppRecord *record);
void ff_meter_command_free     (FfMeterCommand   *command);
/* Whether the ledger has @record's app on its meter (neither absent nor uninstalled). */
gboolean ff_meter_app_record_is_installed (const FfMeterAppRecord *record);
void ff_meter_history_free     (FfMeterHistory   *history);

/* Adds a meter with its apps (@apps: "NAME" → version, GUINT_TO_POINTER; each app must have a
 * package, which gives its number) and their first history rows, in one transaction. */
gboolean        ff_platform_db_add_meter            (FfPlatformDb   *db,
                                                     const FfMeter  *meter,
                                                     GHashTable     *apps,
                                                     gint64          now,
                                                     GError        **error);
GPtrArray      *ff_platform_db_list_meters          (FfPlatformDb   *db,
                                                     GError        **error);
FfMeter        *ff_platform_db_require_meter        (FfPlatformDb   *db,
                                                     const char     *meter_id,
                                                     GError        **error);
/* Records a verified package; refused when the app's name and number disagree with the packages
 * stored before, or when this version of the app is stored already. Sets @package->id. */
gboolean        ff_platform_db_add_meter_package    (FfPlatformDb   *db,
                                                     FfMeterPackage *package,
                                                     GError        **error);
/* The package of @app at @version, or NULL (no error) when there is none. */
FfMeterPackage *ff_platform_db_find_meter_package   (FfPlatformDb   *db,
                                                     const char     *app,
                                                     guint32         version,
                                                     GError        **error);
GPtrArray      *ff_platform_db_list_meter_packages  (FfPlatformDb   *db,
                                                     GError        **error);
GPtrArray      *ff_platform_db_list_meter_apps      (FfPlatformDb   *db,
                                                     const char     *meter_id,
                                                     GError        **error);
/* Queues @op for @app on @meter_id (@version: install's package version, else 0). Refused with a
 * reason when the meter or app is unknown, when an install names no package or a version not
 * newer than the one the ledger has, and when start, stop or uninstall name an app the ledger
 * does not list on the meter. Sets *@command_id. */
gboolean        ff_platform_db_queue_meter_command  (FfPlatformDb   *db,
                                                     const char     *meter_id,
                                                     const char     *app,
                                                     const char     *op,
                                                     guint32         version,
                                                     gint64          now,
                                                     gint64         *command_id,
                                                     GError        **error);
/* The oldest open command for app number @app_id on @meter_id, or NULL (no error). */
FfMeterCommand *ff_platform_db_next_meter_command   (FfPlatformDb   *db,
                                                     const char     *meter_id,
                                                     guint           app_id,
                                                     GError        **error);
/* Records that command @command_id (not sent before) goes to the meter now; *@marked says
 * whether it did: FALSE when the command is gone (a campaign's halt, pause or cancel withdrew
 * it in the meantime, from another process), so nothing may be offered. */
gboolean        ff_platform_db_mark_meter_command_sent (FfPlatformDb *db,
                                                        gint64        command_id,
                                                        const char   *sent_kind,
                                                        gint64        now,
                                                        gboolean     *marked,
                                                        GError      **error);

/* What a meter's report did to the ledger. */
typedef struct
{
  gint64   command_id;     /* 0: the report answered no open command and changed nothing */
  char    *op;
  char    *app;
  char    *outcome;        /* "ready", "up-to-date", "done", "refused", "bad-checksum", … */
  gint     detail;         /* the scheduler's reason (FfMeterResult) for refused; else 0 */
  guint32  version;        /* the app's version in the ledger afterwards */
} FfMeterReportOutcome;

void     ff_meter_report_outcome_clear (FfMeterReportOutcome *outcome);

/* Ingests a meter's report (status: FfMeterReportStatus, detail, the app number and version it
 * names) in one transaction: it finishes the oldest open command sent for that app, and a command
 * carried out changes the app's version or state in the ledger and adds a history row. */
gboolean ff_platform_db_meter_report   (FfPlatformDb          *db,
                                        const char            *meter_id,
                                        guint                  app_id,
                                        guint32                version,
                                        guint                  status,
                                        guint                  detail,
                                        gint64                 now,
                                        FfMeterReportOutcome  *outcome,
                                        GError               **error);
/* The meter's reason code (FfMeterResult) as the operator reads it. */
const char *ff_meter_result_describe (guint result);
GPtrArray *ff_platform_db_list_meter_history (FfPlatformDb  *db,
                                              const char    *meter_id,
                                              GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfMeter, ff_meter_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfMeterPackage, ff_meter_package_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfMeterCommand, ff_meter_command_free)

/* A meter of an import, with its apps (as ff_meter_app_versions_add makes them) and its line. */
typedef struct
{
  FfMeter    *meter;
  GHashTable *apps;
  guint       line;
} FfMeterImportRow;

/* In one transaction, all or nothing: adds each new meter (and its apps' history rows, as meters
 * add does), leaves alone one the ledger holds with the same name, vendor, model, key and app
 * versions, and fails on a meter the ledger holds with other data or an app it has no package of,
 * naming @path and the row's line. */
gboolean ff_platform_db_import_meters (FfPlatformDb *db,
                                       const char   *path,
                                       GPtrArray    *rows,
                                       gint64        now,
                                       guint        *added,
                                       guint        *unchanged,
                                       GError      **error);

G_END_DECLS
