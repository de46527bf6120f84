/* The task document (work order) the platform signs and the tablet carries: model and codec. */
#pragma once

#include "ff-crypto.h"
#include "ff-document.h"

G_BEGIN_DECLS

/* Format 2 names the target firmware's hardware. Tasks of format 1, issued before, are still read:
 * the item's hardware_version (the ledger's, which the platform checked against the firmware when
 * it issued the task) is then the one hardware accepted, so the check is never skipped. */
#define FF_TASK_FORMAT_VERSION 2
#define FF_TASK_FORMAT_VERSION_OLDEST 1

typedef struct
{
  char   *version;
  char   *sha256;
  gint64  size;
  char   *file_name;   /* target only: the name the terminal expects (from the vendor profile) */
  char  **hardware_versions;  /* target only: the hardware it is for (1–64 names; format 1: the
                               * item's hardware_version) */
} FfFirmwareRef;

/* A delta patch the platform made from the item's previous firmware to its target: the tablet
 * pushes it instead of the target image to a terminal whose profile declares delta patches and
 * that runs exactly that previous image. */
typedef struct
{
  char   *sha256;      /* of the patch */
  gint64  size;        /* bytes, less than the target's */
  char   *old_sha256;  /* the image it applies to: always the item's previous->sha256 */
} FfDeltaRef;

typedef struct
{
  char          *device_id;
  char          *name;
  double         latitude;
  double         longitude;
  char          *host;
  guint          port;
  guint          common_address;
  char          *profile;
  char          *vendor;
  char          *model;
  char          *hardware_version;
  char          *expected_version;
  FfFirmwareRef  target;
  FfFirmwareRef *previous;   /* NULL when the store does not have the running firmware */
  FfDeltaRef    *delta;      /* NULL: the target image is the only way (optional member) */
} FfTaskItem;

/* Who may override a check (or reopen a visit) for this task: a name and the salted scrypt hash
 * of the supervisor's PIN (ff_pin_hash), verified on the tablet with no network. */
typedef struct
{
  char *name;
  char *pin_hash;
} FfSupervisor;

typedef struct
{
  int        format_version;
  char      *task_id;
  gint64     issued_at;       /* Unix seconds, UTC */
  gint64     expires_at;
  char      *technician_phone;
  char      *technician_name;
  GPtrArray *tablets;         /* of char *serial */
  gboolean   rollback;
  char      *rollback_reason; /* set exactly when rollback */
  GPtrArray *items;           /* of FfTaskItem * */
  GPtrArray *supervisors;     /* of FfSupervisor *; empty: nobody may override */
} FfTask;

FfTask        *ff_task_new               (void);
void           ff_task_free              (FfTask        *task);
FfTaskItem    *ff_task_item_new          (void);
void           ff_task_item_free         (FfTaskItem    *item);
FfSupervisor  *ff_supervisor_new         (const char    *name,
                                          const char    *pin_hash);
void           ff_supervisor_free        (FfSupervisor  *supervisor);
FfFirmwareRef *ff_firmware_ref_new       (void);
void           ff_firmware_ref_free      (FfFirmwareRef *ref);
FfDeltaRef    *ff_delta_ref_new          (const char    *sha256,
                                          gint64         size,
                                          const char    *old_sha256);
void           ff_delta_ref_free         (FfDeltaRef    *delta);

/* "PHONE-YYYYMMDD", or "PHONE-YYYYMMDD-N" for the N-th task (N >= 2) of that day. */
char          *ff_task_make_id           (const char    *phone,
                                          gint64         unix_seconds,
                                          guint          sequence);
gboolean       ff_task_id_is_valid       (const char    *task_id);

FfTask        *ff_task_parse             (GBytes        *bytes,
                                          GError       **error);
/* Checks every rule ff_task_parse() checks, on a task built in memory. */
gboolean       ff_task_validate          (const FfTask  *task,
                                          GError       **error);
/* The canonical bytes (the signature covers exactly these); @task must be valid. */
GBytes        *ff_task_serialize         (const FfTask  *task);
gboolean       ff_task_verify_signature  (GBytes        *bytes,
                                          GBytes        *signature,
                                          FfKey         *platform_key,
                                          GError       **error);
gboolean       ff_task_check_expiry      (const FfTask  *task,
                                          gint64         now_unix_seconds,
                                          GError       **error);
/* Verifies the signature, parses, and checks expiry at @now: what a tablet does on download. */
FfTask        *ff_task_load_signed       (GBytes        *bytes,
                                          GBytes        *signature,
                                          FfKey         *platform_key,
                                          gint64         now_unix_seconds,
                                          GError       **error);
/* Whether a terminal reporting @hardware_version (0x8004) may take the target firmware. */
gboolean       ff_task_item_fits_hardware (const FfTaskItem *item,
                                          const char       *hardware_version);
FfTaskItem    *ff_task_find_item         (const FfTask  *task,
                                          const char    *device_id);
const FfSupervisor *ff_task_find_supervisor (const FfTask *task,
                                             const char   *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTask, ff_task_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTaskItem, ff_task_item_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfFirmwareRef, ff_firmware_ref_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfDeltaRef, ff_delta_ref_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfSupervisor, ff_supervisor_free)

G_END_DECLS
