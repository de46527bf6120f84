/* ffmeter: a smart meter's app scheduler (seed 003) and the meter side of the packet download
 * (seed 004), small enough for the meter's own firmware (C11, libc only, no allocation, no I/O). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Results: every refused operation says why (ffmeter_strerror gives the text). */
typedef enum
{
  FFMETER_OK = 0,
  FFMETER_ERROR_UNKNOWN_APP,        /* no row of the table names this app (and version) */
  FFMETER_ERROR_NOT_DOWNLOADED,     /* install: only a downloaded app can be installed */
  FFMETER_ERROR_NOT_INSTALLED,      /* init: only an installed app can be initialised */
  FFMETER_ERROR_INIT_FAILED,        /* init: the app's initialisation failed; it stays installed */
  FFMETER_ERROR_NOT_READY,          /* run: only a ready app can be run */
  FFMETER_ERROR_NOT_RUNNING,        /* stop, fail, finish: only a running app */
  FFMETER_ERROR_RESIDENT,           /* finish: a resident app stays running */
  FFMETER_ERROR_STOP_FIRST,         /* uninstall: a running app must be stopped first */
  FFMETER_ERROR_NOT_REMOVABLE,      /* uninstall: a downloaded or uninstalled app */
  FFMETER_ERROR_ALREADY_DOWNLOADED, /* download: this app has a downloaded row, not installed yet */
  FFMETER_ERROR_NOT_NEWER,          /* download: the version is not newer than the one installed */
  FFMETER_ERROR_UPGRADE_PENDING,    /* download: this app already has a new version on its way */
  FFMETER_ERROR_TABLE_FULL,         /* download: no free row */
  FFMETER_ERROR_STORAGE,            /* the table could not be written; nothing changed */
  FFMETER_ERROR_INVALID,            /* an argument out of range (app 0, version 0, bad operation) */
} FfMeterResult;

const char *ffmeter_strerror (FfMeterResult result);

/* ---- Storage: a record kept as two copies, each with a sequence number and a CRC-32, so a power
 * cut while one copy is written leaves the other. The firmware maps copy 0 and 1 to two flash pages
 * or two EEPROM areas. write() replaces a whole copy (erasing first where flash needs it); a cut
 * may leave that copy torn, never the other. Both return 0 on success. */
typedef struct
{
  int (*read)  (void *user, unsigned copy, uint8_t *buf, size_t len);
  int (*write) (void *user, unsigned copy, const uint8_t *buf, size_t len);
  void *user;
} FfMeterStore;

uint32_t ffmeter_crc32 (uint32_t crc, const uint8_t *data, size_t len);   /* start with 0 */

/* The header of a copy: magic (4), format (1), 3 reserved, sequence (4, LE); then the payload, then
 * the CRC-32 (LE) of everything before it. */
#define FFMETER_RECORD_OVERHEAD 16

/* ---- The app scheduler (seed 003). */
typedef enum
{
  FFMETER_APP_FREE = 0,       /* a row no app uses */
  FFMETER_APP_DOWNLOADED,
  FFMETER_APP_INSTALLED,
  FFMETER_APP_READY,
  FFMETER_APP_RUNNING,
  FFMETER_APP_STOPPED,
  FFMETER_APP_UNINSTALLED,
} FfMeterAppState;

typedef enum
{
  FFMETER_OP_INSTALL,         /* downloaded -> installed */
  FFMETER_OP_INIT,            /* installed -> ready, when the app's init hook succeeds */
  FFMETER_OP_RUN,             /* ready -> running */
  FFMETER_OP_FINISH,          /* running -> ready: a run-once app's run has ended */
  FFMETER_OP_FAIL,            /* running -> stopped: the app hit an error */
  FFMETER_OP_STOP,            /* running -> stopped: stopped from outside */
  FFMETER_OP_UNINSTALL,       /* installed, ready or stopped -> uninstalled */
  FFMETER_OP_COUNT
} FfMeterOp;

#define FFMETER_APP_RESIDENT 0x01   /* flag: the app keeps running; without it, it runs once */
#define FFMETER_APP_UPGRADE  0x02   /* flag: a new version of an app whose current row is kept */

typedef struct
{
  uint16_t app_id;     /* 1..65535, the firmware's numbering (metering, display, relay …) */
  uint8_t  state;      /* FfMeterAppState */
  uint8_t  flags;
  uint32_t version;    /* 1.., compared as numbers: newer is larger */
  uint32_t slot;       /* where the image is, in the firmware's terms (a flash address) */
  uint32_t size;       /* the image's size in bytes */
} FfMeterApp;

#define FFMETER_MAX_APPS 16
#define FFMETER_APP_RECORD_SIZE 16
#define FFMETER_TABLE_PAYLOAD (4 + FFMETER_MAX_APPS * FFMETER_APP_RECORD_SIZE)
#define FFMETER_TABLE_COPY_SIZE (FFMETER_RECORD_OVERHEAD + FFMETER_TABLE_PAYLOAD)

/* The firmware's side of each app. Every hook may be NULL (init then succeeds). init returns 0 on
 * success; run and stop start and end the app's work in the firmware's own dispatcher; release says
 * an image slot is no longer named by the table (a slot no row names is free anyway, so a power cut
 * before release loses nothing). */
typedef struct
{
  int  (*init)    (void *user, const FfMeterApp *app);
  void (*run)     (void *user, const FfMeterApp *app);
  void (*stop)    (void *user, const FfMeterApp *app);
  void (*release) (void *user, const FfMeterApp *app);
  void *user;
} FfMeterHooks;

typedef struct
{
  const FfMeterStore *store;
  const FfMeterHooks *hooks;
  uint32_t   sequence;        /* of the copy last written or read */
  uint8_t    copy;            /* the copy that holds it */
  uint8_t    waiting;         /* no app installed: waiting for one */
  FfMeterApp apps[FFMETER_MAX_APPS];
  uint8_t    buf[FFMETER_TABLE_COPY_SIZE];   /* a copy as it is read or written */
} FfMeterScheduler;

typedef enum
{
  FFMETER_POWER_ON_READY,     /* the table was read; installed apps were initialised */
  FFMETER_POWER_ON_WAITING,   /* no app is installed: the scheduler waits for an install */
} FfMeterPowerOn;

/* Power-on, after the bootloader: reads the table (the newer valid copy; none valid is an empty
 * table), then initialises every installed app (installed, ready or running before the cut) and
 * makes it ready; an app whose init fails stays installed. Writes the table if a state changed. */
FfMeterPowerOn ffmeter_scheduler_power_on (FfMeterScheduler *scheduler, const FfMeterStore *store,
                                           const FfMeterHooks *hooks);
/* Only reads the table (the first step of power-on); for tools and tests. */
void ffmeter_scheduler_load (FfMeterScheduler *scheduler, const FfMeterStore *store,
                             const FfMeterHooks *hooks);
bool ffmeter_scheduler_waiting (const FfMeterScheduler *scheduler);

/* A downloaded image becomes a row in state downloaded. Allowed when the app has no row, or only an
 * uninstalled one (re-download after uninstall), or, as an upgrade, when its current version is
 * older: the new row carries FFMETER_APP_UPGRADE and the current row stays as it is until the new
 * version is ready (FFMETER_OP_INIT), which releases the old one in the same table write. */
FfMeterResult ffmeter_scheduler_download (FfMeterScheduler *scheduler, uint16_t app_id,
                                          uint32_t version, uint8_t flags, uint32_t slot,
                                          uint32_t size);
/* An operation on the row of app_id with this version (0: the app's current row, not an upgrade on
 * its way). Run and finish change only RAM: a running app is kept as ready in the table, which is
 * what power-on would make of it anyway, so a run-once app's runs cost no flash writes. */
FfMeterResult ffmeter_scheduler_command (FfMeterScheduler *scheduler, FfMeterOp op,
                                         uint16_t app_id, uint32_t version);
/* The row of app_id with this version (0: the current one), or NULL. */
const FfMeterApp *ffmeter_scheduler_find (const FfMeterScheduler *scheduler, uint16_t app_id,
                                          uint32_t version);
/* The version installed (ready, running, stopped or installed) of app_id, or 0. */
uint32_t ffmeter_scheduler_installed_version (const FfMeterScheduler *scheduler, uint16_t app_id);

#ifdef __cplusplus
}
#endif
