/* The upgrade report that the tablet signs and the platform ingests: model and codec
 * (ff-report.c the model, serializing and signing; ff-report-parse.c reading). */
#pragma once

#include "ff-crypto.h"
#include "ff-document.h"
#include "ff-signal.h"

G_BEGIN_DECLS

/* Reports of format 1 may still wait in a tablet's queue from before the upgrade, so both are read. */
#define FF_REPORT_FORMAT_VERSION 2
#define FF_REPORT_FORMAT_VERSION_OLDEST 1

typedef enum
{
  FF_REPORT_OUTCOME_UPGRADED,
  FF_REPORT_OUTCOME_ALREADY_CURRENT,
  FF_REPORT_OUTCOME_FAILED,
  FF_REPORT_OUTCOME_ROLLED_BACK,
  FF_REPORT_OUTCOME_IDENTITY_MISMATCH,
  FF_REPORT_OUTCOME_ABORTED,
} FfReportOutcome;

typedef struct
{
  gboolean present;
  float    values[FF_SIGNAL_COUNT];   /* written with their IEEE-754 binary32 hex */
  guint8   quality[FF_SIGNAL_COUNT];  /* IEC104_QUALITY_* bits (format 2; 0 in format 1) */
} FfReportSnapshot;

typedef struct
{
  gboolean present;
  double   deviation[FF_SIGNAL_COUNT];   /* relative: |after - before| / max(|before|, floor) */
  gboolean pass[FF_SIGNAL_COUNT];
} FfReportJudgement;

/* One GPS fix of identify's settling period (format 2). */
typedef struct
{
  gint64   time;             /* Unix seconds, UTC, when it arrived */
  double   latitude;
  double   longitude;
  int      mode;             /* 2 or 3 (2D, 3D) */
  double   accuracy_m;       /* horizontal error estimate; NAN when the receiver reported none */
} FfReportGpsFix;

typedef struct
{
  gboolean present;
  char    *device_id_read;
  double   fix_latitude;
  double   fix_longitude;
  double   recorded_latitude;
  double   recorded_longitude;
  double   delta_latitude_arcsec;
  double   delta_longitude_arcsec;
  double   distance_m;
  char    *fix_mode;         /* "none", "2d" or "3d" */
  double   fix_age_s;
  char    *override_by;      /* both set when the technician overrode a mismatch, else NULL */
  char    *override_reason;
  /* Format 2: identify's settling period (has_gps FALSE in a format-1 report). */
  gboolean has_gps;
  double   settle_seconds;   /* the period asked */
  guint    measurements;     /* settling periods run: 1 + each "Measure again" */
  GArray  *gps_fixes;        /* of FfReportGpsFix: those the judgement used, oldest first */
} FfReportIdentity;

typedef struct
{
  char *before;              /* each may be NULL when it could not be read */
  char *before_checksum;
  char *target;
  char *after;
  char *after_checksum;
} FfReportVersions;

typedef struct
{
  gboolean present;
  char    *file_name;
  gint64   bytes;
  guint    segments;
  double   seconds;
  double   bytes_per_second;
  guint    retries;
  /* Format 2: what went to the terminal — the image, or the task's delta patch making it. */
  gboolean delta;
  char    *sha256;       /* of the file sent */
  gint64   wire_bytes;   /* every frame of its send on the link, framing included */
} FfReportTransfer;

typedef struct
{
  gint64  time;              /* Unix seconds, UTC */
  char   *step;
  char   *message;
} FfReportEvent;

typedef struct
{
  int               format_version;
  char             *report_id;
  char             *task_id;
  char             *device_id;
  char             *tablet_serial;
  char             *technician_phone;
  char             *technician_name;  /* format 2, from the task; NULL when it names none */
  char             *terminal_name;    /* format 2, the task item's name; NULL likewise */
  char             *follows;          /* format 2: a reopened visit's report names the report of
                                       * the visit it follows, and */
  char             *reopened_by;      /* the supervisor who reopened it; both NULL otherwise */
  gint64            created_at;
  FfReportOutcome   outcome;
  char             *failure_reason;   /* both set for failed, rolled-back, identity-mismatch, */
  char             *failure_step;     /* aborted; both NULL for upgraded and already-current */
  FfReportIdentity  identity;
  FfReportVersions  versions;
  FfReportSnapshot  before;
  FfReportSnapshot  after;
  FfReportJudgement judgement;
  FfReportTransfer  transfer;
  GPtrArray        *events;           /* of FfReportEvent * */
  char             *firmware_version; /* the image pushed (both NULL when none was) */
  char             *firmware_sha256;
} FfReport;

/* A report with a fresh report_id and created_at = now; fill in the rest, then serialize. */
FfReport    *ff_report_new                  (const char      *task_id,
                                             const char      *device_id,
                                             const char      *tablet_serial,
                                             const char      *technician_phone);
void         ff_report_free                 (FfReport        *report);
void         ff_report_add_event            (FfReport        *report,
                                             gint64           time,
                                             const char      *step,
                                             const char      *message);
void         ff_report_set_failure          (FfReport        *report,
                                             const char      *step,
                                             const char      *reason);

const char  *ff_report_outcome_to_string    (FfReportOutcome  outcome);
/* A workflow step named in a report ("snapshot-after") in words for people, translated ("Reading
 * the signals after the upgrade"); a name it does not know is returned as it is. */
const char  *ff_report_step_describe        (const char      *step);
/* What the outcome means for the terminal, in words for people (translated): "Upgraded",
 * "Wrong terminal: not upgraded"… The one wording every program shows. */
const char  *ff_report_outcome_describe     (FfReportOutcome  outcome);
/* The outcome for people as ff_report_outcome_describe(), and for an identity mismatch which check
 * failed: the device ID (@device_id_read, as the terminal answered, is not the task's @device_id)
 * or the position. @device_id_read may be NULL (not known): the general wording. */
const char  *ff_report_outcome_describe_for (FfReportOutcome  outcome,
                                             const char      *device_id,
                                             const char      *device_id_read);
/* The same for a report. */
const char  *ff_report_describe             (const FfReport  *report);
gboolean     ff_report_outcome_from_string  (const char      *text,
                                             FfReportOutcome *outcome);
/* The 8 uppercase hex digits of @value's IEEE-754 binary32 bits, most significant first. */
char        *ff_float_to_hex                (float            value);

FfReport    *ff_report_parse                (GBytes          *bytes,
                                             GError         **error);
gboolean     ff_report_validate             (const FfReport  *report,
                                             GError         **error);
GBytes      *ff_report_serialize            (const FfReport  *report);
/* Serializes @report and signs those bytes with the tablet's key; returns the signature. */
GBytes      *ff_report_sign                 (const FfReport  *report,
                                             FfKey           *tablet_key,
                                             GBytes         **bytes_out,
                                             GError         **error);
/* Verifies @signature over @bytes with the tablet's public key, then parses. */
FfReport    *ff_report_load_signed          (GBytes          *bytes,
                                             GBytes          *signature,
                                             FfKey           *tablet_key,
                                             GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfReport, ff_report_free)

G_END_DECLS
