/* What the parts of the workflow (ff-workflow*.c) share: the instance, its persisted context
 * and the steps one part hands to another. Not for use outside them. */
#pragma once

#include "ff-workflow.h"

#include "ff-gps-settle.h"
#include "ff-iec104-conn.h"
#include "ff-profile.h"
#include "ff-snapshot.h"

G_BEGIN_DECLS

typedef struct
{
  gint64  time;
  char   *step;
  char   *message;
} Event;

/* Everything the report will need, gathered step by step and persisted with each state. */
typedef struct
{
  GPtrArray  *events;
  gboolean    identity_present;
  char       *device_id_read;
  char       *hardware_read;    /* 0x8004, checked against the target firmware's hardware */
  double      fix_latitude;     /* the median of the settled fixes */
  double      fix_longitude;
  int         fix_mode;
  double      fix_age;
  GArray     *gps_fixes;        /* of FfGpsFix: the settled fixes the identity check used */
  guint       measurements;     /* settling periods run: 1 + each "Measure again" */
  double      settle_seconds;   /* the settling period they were measured with */
  char       *override_by;
  char       *override_reason;
  char       *version_before;
  char       *checksum_before;
  char       *version_after;
  char       *checksum_after;
  FfSnapshot  before;
  FfSnapshot  after;
  gboolean    transferred;
  guint       push_attempts;    /* transfers of the wanted image begun, cut short ones too */
  gboolean    finish_sent;      /* the image is written and its 211 finish may have gone out */
  gboolean    probing_staged;   /* restarted to see whether an image staged before a stop takes */
  gint64      transfer_bytes;
  guint       transfer_segments;
  double      transfer_seconds;
  gboolean    sent_delta;       /* the file pushed was the task's delta patch, not the image */
  char       *sent_sha256;      /* the file pushed */
  gint64      wire_bytes;       /* what its send put on the link, framing included */
  char       *failure_reason;
  char       *failure_step;
  gboolean    rolling_back;
  char       *outcome;
  char       *report_id;
  gint64      created_at;
  char       *follows;          /* a reopened visit: the earlier visit's report, and */
  char       *reopened_by;      /* the supervisor who reopened it */
} Context;

struct _FfWorkflow
{
  GObject          parent_instance;

  FfStore         *store;
  FfGpsSource     *gps;
  FfKey           *tablet_key;
  FfTask          *task;            /* a private copy, parsed from the document */
  FfTaskItem      *item;            /* borrowed from task */
  char            *tablet_serial;
  FfProfile       *profile;
  FfIec104Conn    *conn;

  FfWorkflowState  state;
  gboolean         advancing;       /* the next state is being written: take no decision now */
  Context          ctx;
  GTask           *run;             /* the run in progress, or NULL */
  gulong           cancelled_id;
  guint            cancelled_idle_id;
  GBytes          *image;           /* the image the terminal should run */
  GBytes          *payload;         /* what is pushed: the image, or the delta patch making it */
  gint64           push_started_us;
  gboolean         transferring;    /* this run has a transfer to the terminal under way */
  gboolean         stop_explained;  /* a stopped push already said what it left behind */
  gboolean         connect_retried; /* this step's connection was tried again after t1 ran out */

  char            *message;
  guint64          bytes_sent;
  guint64          bytes_total;
  double           bytes_per_second;
  double           eta_seconds;
  gint64           reboot_remaining_ms;
  guint            reconnect_attempts;
  guint            gps_timeout_seconds;
  double           gps_settle_seconds;
  FfGpsSettle     *settle;          /* identify's settling period while it runs */
};

enum
{
  PROP_0,
  PROP_STATE,
  PROP_DEVICE_ID,
  PROP_MESSAGE,
  PROP_FAILURE,
  PROP_BYTES_SENT,
  PROP_BYTES_TOTAL,
  PROP_BYTES_PER_SECOND,
  PROP_ETA_SECONDS,
  PROP_REBOOT_REMAINING_MS,
  PROP_OUTCOME,
  PROP_REPORT_ID,
  PROP_GPS_TIMEOUT,
  PROP_GPS_SETTLE_SECONDS,
  PROP_SETTLE_PROGRESS,
  N_PROPS
};

enum
{
  SIGNAL_EVENT,
  N_SIGNALS
};

typedef void (*Continuation) (FfWorkflow *self);

extern GParamSpec *ff_workflow_properties[N_PROPS];
extern guint ff_workflow_signals[N_SIGNALS];

/* A state (or a save within a state) on its way to the store. */
typedef struct
{
  FfWorkflow      *self;
  FfWorkflowState  state;
  char            *data;
  char            *final_data;   /* REPORT: the context after the report */
  GBytes          *report;
  GBytes          *signature;
  char            *report_id;
  char            *outcome;
  gint64           created_at;
  Continuation     then;          /* a save within the state goes on with this, not run_state */
} Persist;

/* ff-workflow.c: presentation, running, connecting */
void ff_workflow_set_message (FfWorkflow *self, const char *message);
void ff_workflow_record_event (FfWorkflow *self, const char *step, const char *message);
void ff_workflow_record_eventf (FfWorkflow *self, const char *step, const char *format, ...)
  G_GNUC_PRINTF (3, 4);
void ff_workflow_set_outcome (FfWorkflow *self, const char *outcome);
void ff_workflow_set_failure (FfWorkflow *self, const char *step, const char *reason);
const char *ff_workflow_current_step (FfWorkflow *self);
const FfFirmwareRef *ff_workflow_wanted_firmware (FfWorkflow *self);
gboolean ff_workflow_is_cancelled (GError *error);
void ff_workflow_finish_run (FfWorkflow *self, GError *error);
GCancellable *ff_workflow_run_cancellable (FfWorkflow *self);
void ff_workflow_step_failed (FfWorkflow *self, GError *error);
void ff_workflow_step_failed_literal (FfWorkflow *self, GQuark domain, int code,
                                      const char *message);
void ff_workflow_persist_free (Persist *persist);
void ff_workflow_persist_async (FfWorkflow *self, Persist *persist);
void ff_workflow_advance (FfWorkflow *self, FfWorkflowState next);
void ff_workflow_save_then (FfWorkflow *self, Continuation then);
void ff_workflow_with_connection (FfWorkflow *self, Continuation then);
void ff_workflow_with_restarting_terminal (FfWorkflow *self, Continuation then);

/* ff-workflow-context.c */
void ff_workflow_context_init (Context *ctx);
void ff_workflow_context_clear (Context *ctx);
char *ff_workflow_context_serialize (const Context *ctx);
gboolean ff_workflow_context_parse (const char *text, Context *ctx);

/* ff-workflow-identify.c */
const char *ff_workflow_fix_mode_name (int mode);
gboolean ff_workflow_refuse_other_hardware (FfWorkflow *self);
void ff_workflow_identify (FfWorkflow *self);
void ff_workflow_read_version (FfWorkflow *self);
void ff_workflow_take_snapshot (FfWorkflow *self);

/* ff-workflow-push.c */
void ff_workflow_settle_failure (FfWorkflow *self);
void ff_workflow_connect_done (FfWorkflow *self);
void ff_workflow_stop_push (FfWorkflow *self);
void ff_workflow_with_image (FfWorkflow *self, Continuation then);
void ff_workflow_push (FfWorkflow *self);
void ff_workflow_choose_payload (FfWorkflow *self, Continuation then);
void ff_workflow_reset_with_image (FfWorkflow *self);
void ff_workflow_reconnect_attempt (FfIec104Conn *conn,
                                    guint         attempt,
                                    gint64        remaining_ms,
                                    FfWorkflow   *self);
void ff_workflow_reboot_wait (FfWorkflow *self);
void ff_workflow_verify_with_image (FfWorkflow *self);

/* ff-workflow-report.c */
void ff_workflow_write_report (FfWorkflow *self);

G_END_DECLS
