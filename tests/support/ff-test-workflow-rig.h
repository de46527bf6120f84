/* The rig of the workflow tests (tests/integration/test-ff-workflow-*.c): a simulated terminal on
 * 127.0.0.1 (libfieldflash-sim in-process), a store with the old and new firmware, a signed task,
 * and a technician who takes the workflow's decisions from an idle, as a UI would. */
#pragma once

#include <glib/gstdio.h>
#include <sys/resource.h>

#include "ff-gps-settle.h"
#include "ff-gps-simulated.h"
#include "ff-gpsd-source.h"
#include "ff-profile.h"
#include "ff-report.h"
#include "ff-sim-firmware.h"
#include "ff-sim-terminal.h"
#include "ff-store.h"
#include "ff-supervisor.h"
#include "ff-task.h"
#include "ff-test-fixtures.h"
#include "ff-workflow.h"
#include "iec104-asdu.h"

G_BEGIN_DECLS

/* The simulator starts on a factory image of 64 KiB made like ours, so the task's "previous"
 * firmware is byte for byte what the terminal runs. */
#define FACTORY_IMAGE_SIZE (64 * 1024)
#define IMAGE_SIZE 6000
/* A workflow run's bound at native speed (ff_test_deadline_s scales it), below meson's timeout of
 * the whole program so that a run that never ends fails saying so. */
#define RUN_DEADLINE_S 240
/* Upgraded, but a signal is off afterwards: the case a rollback is for. */
#define DRIFT "signal-drift signal=current percent=20"

typedef struct
{
  char           *dir;
  FfStore        *store;
  FfKey          *tablet_key;
  FfGpsSimulated *gps;
  FfGpsSource    *gpsd;         /* the workflow's GPS instead of gps, when a test replays gpsd */
  FfProfile      *profile;
  GBytes         *old_image;
  GBytes         *new_image;
  char           *old_sha;
  char           *new_sha;
  FfSimTerminal  *terminal;
  guint           pushes;       /* files the terminal received completely */
  guint           cancels;      /* upgrades it was told to cancel (211 cancel) */
  GBytes         *task_document;
  char           *message;      /* the workflow's message when the last run ended */
} WorkflowFixture;

/* What the technician does in these tests; the decisions are taken from an idle, as a UI would. */
typedef struct
{
  FfWorkflowState stop_at;       /* cancel the run when this state starts; NEW = never */
  gboolean        roll_back;
  const char     *override_reason;  /* override an identity mismatch with this, or close */
  gboolean        decline_push;
  gboolean        done;
  GCancellable   *cancellable;
  GError         *error;
  const char     *stop_at_line;  /* cancel the run when the terminal logs a line with this */
  gboolean        stop_in_rollback_only;  /* … once the technician chose to roll back */
  gboolean        rolled_back;
  FfGpsSimulated *fresh_fix_gps; /* gives a fresh fix at fresh_fix once identify waits for one */
  FfGeoPoint      fresh_fix;
  gboolean        saw_reboot_wait;  /* this run waited for a reboot */
  FfSimTerminal  *start_on_retry;   /* started once the workflow tries to reconnect */
  double          settle_seconds;   /* identify's settling period; 0: the default */
  FfGpsSimulated *remeasure_gps;    /* at a mismatch, moves here to remeasure_at and measures */
  FfGeoPoint      remeasure_at;     /* again (once) */
  const char     *gpsfake_port;     /* starts gpsfake on this port replaying gpsfake_log as */
  const char     *gpsfake_log;      /* soon as identify measures; the process goes to gpsfake */
  FfTestGpsfake  *gpsfake;
} Technician;

/* A test of @path on a fresh rig; @data names the terminal's scenario (fieldflash-sim's words), or
 * is NULL. */
#define RIG_TEST_ADD(path, data, test) \
  g_test_add ((path), WorkflowFixture, (data), rig_fixture_set_up, (test), rig_fixture_tear_down)

/* The simulated terminal the task names (its port picked when it starts). */
extern const FfSimTerminalConfig rig_terminal_config;

/* Counts the files @f's terminal received completely and the upgrades it cancelled (its "log"). */
void            rig_count_pushes          (FfSimTerminal    *terminal,
                                           const char       *line,
                                           WorkflowFixture  *f);
void            rig_fixture_set_up        (WorkflowFixture  *f,
                                           gconstpointer     data);
void            rig_fixture_tear_down     (WorkflowFixture  *f,
                                           gconstpointer     data);
/* Runs a fresh workflow object (resuming whatever the store holds) until it finishes. */
FfWorkflowState rig_run_workflow_deciding (WorkflowFixture  *f,
                                           Technician       *decisions,
                                           GError          **error);
/* The same, stopping the run when @stop_at starts (NEW: never) and rolling back if @roll_back. */
FfWorkflowState rig_run_workflow          (WorkflowFixture  *f,
                                           FfWorkflowState   stop_at,
                                           gboolean          roll_back,
                                           GError          **error);
/* The one report the store holds, verified with the tablet's key. */
FfReport       *rig_only_report           (WorkflowFixture  *f);
/* The stored report verifies only with this tablet's key and only byte for byte. */
void            rig_check_signature_binds (WorkflowFixture  *f);

G_END_DECLS
