/* The tablet's identity and enrolment, kept in its data directory: store, key pair, serial, the
 * pinned platform (URL, public key, TLS certificate) and the session. Shared by the cli and app. */
#pragma once

#include <gio/gio.h>

#include "ff-crypto.h"
#include "ff-gps-source.h"
#include "ff-store.h"
#include "ff-sync.h"
#include "ff-task.h"
#include "ff-workflow.h"

G_BEGIN_DECLS

#define FF_TABLET_ERROR (ff_tablet_error_quark ())

typedef enum
{
  FF_TABLET_ERROR_SERIAL,        /* no serial, an unsafe one, or a different one than stored */
  FF_TABLET_ERROR_NOT_ENROLLED,  /* no platform URL or platform key pinned yet */
  FF_TABLET_ERROR_BAD_PLATFORM,  /* a platform URL, key or certificate that cannot be used */
  FF_TABLET_ERROR_IN_USE,        /* another program has the tablet open (the message names it) */
  FF_TABLET_ERROR_KEY_LOST,      /* a tablet with a serial whose key file is gone */
  FF_TABLET_ERROR_NOT_SET_UP,    /* opened as existing: no tablet in that directory */
} FfTabletError;

/* Whether opening may set a new tablet up. Only the programs' first-setup paths do (the CLI's key
 * and login, the app, whose Log In page enrols a new tablet): anything else opens an existing
 * tablet, so a mistyped directory is refused rather than made into a new, empty tablet. */
typedef enum
{
  FF_TABLET_OPEN_EXISTING,
  FF_TABLET_OPEN_OR_SET_UP,
} FfTabletOpening;

GQuark      ff_tablet_error_quark             (void);

#define FF_TYPE_TABLET (ff_tablet_get_type ())
G_DECLARE_FINAL_TYPE (FfTablet, ff_tablet, FF, TABLET, GObject)

/* $FIELDFLASH_TABLET_DIR, else $XDG_DATA_HOME/fieldflash/tablet. */
char       *ff_tablet_get_default_data_dir    (void);

/* Opens @data_dir, or the default one when NULL: the store, and the key pair, made once and
 * written atomically with mode 0600. A directory without a tablet (no tablet.db) is created and
 * set up only with FF_TABLET_OPEN_OR_SET_UP; with FF_TABLET_OPEN_EXISTING it is
 * FF_TABLET_ERROR_NOT_SET_UP, naming the directory, and nothing is created. @serial is stored at
 * first use; later it must be the stored one (reports are signed as this tablet). The directory
 * stays locked for this process until the last FfTablet of it is finalized: while another program
 * has it open this is FF_TABLET_ERROR_IN_USE, saying which program, and nothing is read or
 * written. */
FfTablet   *ff_tablet_open                    (const char   *data_dir,
                                               const char   *serial,
                                               FfTabletOpening how,
                                               GError      **error);

const char *ff_tablet_get_data_dir            (FfTablet     *self);
/* NULL until a serial was given once. */
const char *ff_tablet_get_serial              (FfTablet     *self);
FfKey      *ff_tablet_get_key                 (FfTablet     *self);
FfStore    *ff_tablet_get_store               (FfTablet     *self);
/* The technician of the stored session, or NULL before the first login. */
char       *ff_tablet_get_session_phone       (FfTablet     *self);

/* The pinned platform; each NULL until enrolment. */
char       *ff_tablet_get_platform_url        (FfTablet     *self);
char       *ff_tablet_get_platform_key_pem    (FfTablet     *self);
char       *ff_tablet_get_platform_cert_pem   (FfTablet     *self);

/* Enrols: an https:// URL with a host, an Ed25519 public key (PEM), a TLS certificate (PEM). A
 * NULL argument keeps what is stored. All are checked before any is written: bad input changes
 * nothing (FF_TABLET_ERROR_BAD_PLATFORM). */
gboolean    ff_tablet_set_platform            (FfTablet     *self,
                                               const char   *url,
                                               const char   *key_pem,
                                               const char   *cert_pem,
                                               GError      **error);

/* The platform client for this tablet, with the pinned key and certificate and the stored session.
 * Needs a serial and an enrolment. */
FfSync     *ff_tablet_create_sync             (FfTablet     *self,
                                               GError      **error);
/* The same from settings already read (ff_tablet_get_platform_url and friends), so a UI can read
 * them in a worker and build the client, which belongs to its main context, on its own thread. */
FfSync     *ff_tablet_create_sync_from        (FfTablet     *self,
                                               const char   *url,
                                               const char   *key_pem,
                                               const char   *cert_pem,
                                               GError      **error);

/* Stored tasks. */
FfTask     *ff_tablet_load_task               (FfTablet     *self,
                                               const char   *task_id,
                                               GBytes      **document,
                                               GError      **error);
/* The persisted workflow state of a visit ("new" when it never started). */
char       *ff_tablet_get_visit_state         (FfTablet     *self,
                                               const char   *task_id,
                                               const char   *device_id);
/* Whether the platform withdrew (cancelled) the task: see ff_store_withdraw_unlisted_tasks. */
gboolean    ff_tablet_task_is_withdrawn       (FfTablet     *self,
                                               const char   *task_id);
/* The items of @task (FfTaskItem *, borrowed from it) whose visit is not done, in task order; of a
 * withdrawn task, only those whose visit is under way. */
GPtrArray  *ff_tablet_list_open_items         (FfTablet     *self,
                                               const FfTask *task);
/* The task to work on: the newest stored one that still has a terminal to do, else the newest not
 * withdrawn; NULL without error when there is none. */
char       *ff_tablet_find_current_task       (FfTablet     *self,
                                               GError      **error);
/* The task of @device_id: the newest stored task that lists it and whose visit is not done (nor
 * not started in a withdrawn task). */
char       *ff_tablet_find_task_for           (FfTablet     *self,
                                               const char   *device_id,
                                               GError      **error);
/* A visit that started and did not finish (after a crash or a flat battery): TRUE with its task
 * and terminal, FALSE without error when there is none. */
gboolean    ff_tablet_find_visit_in_progress  (FfTablet     *self,
                                               char        **task_id,
                                               char        **device_id,
                                               GError      **error);
/* The workflow of @device_id in @task_id, signed as this tablet, at its persisted state. */
FfWorkflow *ff_tablet_create_workflow         (FfTablet     *self,
                                               FfGpsSource  *gps,
                                               const char   *task_id,
                                               const char   *device_id,
                                               GError      **error);

G_END_DECLS
