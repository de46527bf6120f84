/* ffmeter-scheduler.c: the app scheduler of seed 003: the app table, its lifecycle transitions
 * (exactly the seed's, every other refused with a reason), power-on, and per-app upgrades. */
#include <string.h>

#include "ffmeter-private.h"

static const char table_magic[4] = { 'F', 'F', 'M', 'T' };

const char *
ffmeter_strerror (FfMeterResult result)
{
  switch (result)
    {
    case FFMETER_OK: return "done";
    case FFMETER_ERROR_UNKNOWN_APP: return "no such app on this meter";
    case FFMETER_ERROR_NOT_DOWNLOADED: return "only a downloaded app can be installed";
    case FFMETER_ERROR_NOT_INSTALLED: return "only an installed app can be initialised";
    case FFMETER_ERROR_INIT_FAILED: return "the app's initialisation failed; it stays installed";
    case FFMETER_ERROR_NOT_READY: return "only a ready app can be run";
    case FFMETER_ERROR_NOT_RUNNING: return "the app is not running";
    case FFMETER_ERROR_RESIDENT: return "a resident app keeps running; stop it instead";
    case FFMETER_ERROR_STOP_FIRST: return "a running app must be stopped before it is uninstalled";
    case FFMETER_ERROR_NOT_REMOVABLE:
      return "only an installed, ready or stopped app can be uninstalled";
    case FFMETER_ERROR_ALREADY_DOWNLOADED:
      return "this app is downloaded and waits to be installed";
    case FFMETER_ERROR_NOT_NEWER: return "the version is not newer than the one installed";
    case FFMETER_ERROR_UPGRADE_PENDING: return "a new version of this app is already on its way";
    case FFMETER_ERROR_TABLE_FULL: return "the app table is full";
    case FFMETER_ERROR_STORAGE: return "the app table could not be written; nothing changed";
    case FFMETER_ERROR_INVALID: return "invalid argument";
    }
  return "unknown result";
}

/* ---- The table in storage: 4 bytes (rows, 3 reserved), then 16 bytes a row. */

static void
table_encode (const FfMeterScheduler *s, uint8_t *payload)
{
  payload[0] = FFMETER_MAX_APPS;
  payload[1] = payload[2] = payload[3] = 0;
  for (unsigned i = 0; i < FFMETER_MAX_APPS; i++)
    {
      const FfMeterApp *app = &s->apps[i];
      uint8_t *row = payload + 4 + i * FFMETER_APP_RECORD_SIZE;

      ffmeter_put16 (row, app->app_id);
      /* Running is RAM only: power-on makes a running app ready again in any case. */
      row[2] = app->state == FFMETER_APP_RUNNING ? FFMETER_APP_READY : app->state;
      row[3] = app->flags;
      ffmeter_put32 (row + 4, app->version);
      ffmeter_put32 (row + 8, app->slot);
      ffmeter_put32 (row + 12, app->size);
    }
}

static bool
table_decode (FfMeterScheduler *s, const uint8_t *payload)
{
  if (payload[0] != FFMETER_MAX_APPS)
    return false;
  for (unsigned i = 0; i < FFMETER_MAX_APPS; i++)
    {
      FfMeterApp *app = &s->apps[i];
      const uint8_t *row = payload + 4 + i * FFMETER_APP_RECORD_SIZE;

      app->app_id = ffmeter_get16 (row);
      app->state = row[2];
      app->flags = row[3] & (FFMETER_APP_RESIDENT | FFMETER_APP_UPGRADE);
      app->version = ffmeter_get32 (row + 4);
      app->slot = ffmeter_get32 (row + 8);
      app->size = ffmeter_get32 (row + 12);
      if (app->state > FFMETER_APP_UNINSTALLED || app->state == FFMETER_APP_RUNNING)
        app->state = FFMETER_APP_READY;
      if (app->state == FFMETER_APP_FREE)
        memset (app, 0, sizeof *app);
    }
  return true;
}

static int
table_save (FfMeterScheduler *s)
{
  table_encode (s, s->buf + FFMETER_RECORD_HEADER);
  return ffmeter_record_save (s->store, table_magic, FFMETER_TABLE_FORMAT, s->buf, sizeof s->buf,
                              &s->sequence, &s->copy);
}

static bool
is_live (const FfMeterApp *app)
{
  return app->state != FFMETER_APP_FREE && app->state != FFMETER_APP_UNINSTALLED;
}

static bool
is_installed (const FfMeterApp *app)
{
  return app->state >= FFMETER_APP_INSTALLED && app->state <= FFMETER_APP_STOPPED;
}

static void
update_waiting (FfMeterScheduler *s)
{
  s->waiting = 1;
  for (unsigned i = 0; i < FFMETER_MAX_APPS; i++)
    if (is_installed (&s->apps[i]))
      s->waiting = 0;
}

void
ffmeter_scheduler_load (FfMeterScheduler *s, const FfMeterStore *store, const FfMeterHooks *hooks)
{
  memset (s, 0, sizeof *s);
  s->store = store;
  s->hooks = hooks;
  if (!ffmeter_record_load (store, table_magic, FFMETER_TABLE_FORMAT, s->buf, sizeof s->buf,
                            &s->sequence, &s->copy)
      || !table_decode (s, s->buf + FFMETER_RECORD_HEADER))
    memset (s->apps, 0, sizeof s->apps);
  update_waiting (s);
}

bool
ffmeter_scheduler_waiting (const FfMeterScheduler *s)
{
  return s->waiting;
}

/* ---- Rows */

static FfMeterApp *
find_row (FfMeterScheduler *s, uint16_t app_id, uint32_t version)
{
  FfMeterApp *uninstalled = NULL;

  if (app_id == 0)
    return NULL;
  for (unsigned i = 0; i < FFMETER_MAX_APPS; i++)
    {
      FfMeterApp *app = &s->apps[i];

      if (app->app_id != app_id || app->state == FFMETER_APP_FREE)
        continue;
      if (version != 0 ? app->version != version : (app->flags & FFMETER_APP_UPGRADE) != 0)
        continue;
      if (app->state != FFMETER_APP_UNINSTALLED)
        return app;
      uninstalled = app;
    }
  return uninstalled;
}

const FfMeterApp *
ffmeter_scheduler_find (const FfMeterScheduler *s, uint16_t app_id, uint32_t version)
{
  return find_row ((FfMeterScheduler *) s, app_id, version);
}

uint32_t
ffmeter_scheduler_installed_version (const FfMeterScheduler *s, uint16_t app_id)
{
  const FfMeterApp *app = ffmeter_scheduler_find (s, app_id, 0);

  return app && is_installed (app) ? app->version : 0;
}

static FfMeterApp *
find_upgrade (FfMeterScheduler *s, uint16_t app_id)
{
  for (unsigned i = 0; i < FFMETER_MAX_APPS; i++)
    if (s->apps[i].app_id == app_id && s->apps[i].state != FFMETER_APP_FREE
        && (s->apps[i].flags & FFMETER_APP_UPGRADE))
      return &s->apps[i];
  return NULL;
}

/* A row for a new download: the app's own uninstalled row, else a free one, else any uninstalled
 * row (an uninstalled app's row is only history). */
static FfMeterApp *
allocate_row (FfMeterScheduler *s, uint16_t app_id, bool upgrade)
{
  FfMeterApp *found = NULL;

  for (unsigned i = 0; i < FFMETER_MAX_APPS; i++)
    {
      FfMeterApp *app = &s->apps[i];

      if (!upgrade && app->app_id == app_id && app->state == FFMETER_APP_UNINSTALLED)
        return app;
      if (app->state == FFMETER_APP_FREE && (!found || found->state != FFMETER_APP_FREE))
        found = app;
      else if (app->state == FFMETER_APP_UNINSTALLED && !found)
        found = app;
    }
  return found;
}

/* Changes at most two rows, then writes the table; when the write fails the rows are as before. */
typedef struct
{
  FfMeterApp *row[2];
  FfMeterApp before[2];
} Change;

static void
change_begin (Change *c, FfMeterApp *a, FfMeterApp *b)
{
  c->row[0] = a;
  c->row[1] = b;
  c->before[0] = *a;
  if (b)
    c->before[1] = *b;
}

static FfMeterResult
change_commit (FfMeterScheduler *s, Change *c)
{
  if (table_save (s) != 0)
    {
      *c->row[0] = c->before[0];
      if (c->row[1])
        *c->row[1] = c->before[1];
      return FFMETER_ERROR_STORAGE;
    }
  update_waiting (s);
  return FFMETER_OK;
}

FfMeterResult
ffmeter_scheduler_download (FfMeterScheduler *s, uint16_t app_id, uint32_t version, uint8_t flags,
                            uint32_t slot, uint32_t size)
{
  FfMeterApp *current, *row;
  Change change;
  bool upgrade;

  if (app_id == 0 || version == 0)
    return FFMETER_ERROR_INVALID;
  if (find_upgrade (s, app_id))
    return FFMETER_ERROR_UPGRADE_PENDING;
  current = find_row (s, app_id, 0);
  upgrade = current && is_live (current);
  if (upgrade && current->state == FFMETER_APP_DOWNLOADED)
    return FFMETER_ERROR_ALREADY_DOWNLOADED;
  if (upgrade && version <= current->version)
    return FFMETER_ERROR_NOT_NEWER;
  row = allocate_row (s, app_id, upgrade);
  if (!row)
    return FFMETER_ERROR_TABLE_FULL;
  change_begin (&change, row, NULL);
  row->app_id = app_id;
  row->state = FFMETER_APP_DOWNLOADED;
  row->flags = (uint8_t) ((flags & FFMETER_APP_RESIDENT) | (upgrade ? FFMETER_APP_UPGRADE : 0));
  row->version = version;
  row->slot = slot;
  row->size = size;
  return change_commit (s, &change);
}

static void
call_hook (const FfMeterScheduler *s, void (*hook) (void *, const FfMeterApp *),
           const FfMeterApp *app)
{
  if (hook)
    hook (s->hooks->user, app);
}

/* installed -> ready. For a new version this is where the old one goes: the table names only the
 * new one from the same write on, so a cut leaves either both (old still current) or the new. */
static FfMeterResult
make_ready (FfMeterScheduler *s, FfMeterApp *app)
{
  FfMeterApp *old = NULL;
  FfMeterResult result;
  Change change;

  if (s->hooks && s->hooks->init && s->hooks->init (s->hooks->user, app) != 0)
    return FFMETER_ERROR_INIT_FAILED;
  if (app->flags & FFMETER_APP_UPGRADE)
    old = find_row (s, app->app_id, 0);
  change_begin (&change, app, old);
  app->state = FFMETER_APP_READY;
  app->flags &= (uint8_t) ~FFMETER_APP_UPGRADE;
  if (old)
    memset (old, 0, sizeof *old);
  result = change_commit (s, &change);
  if (result == FFMETER_OK && old)
    {
      if (change.before[1].state == FFMETER_APP_RUNNING)
        call_hook (s, s->hooks ? s->hooks->stop : NULL, &change.before[1]);
      if (change.before[1].state != FFMETER_APP_UNINSTALLED)
        call_hook (s, s->hooks ? s->hooks->release : NULL, &change.before[1]);
    }
  return result;
}

/* The seed's transitions: the state an operation leads to from this one, or why it is refused.
 * Init is decided here only as far as the state goes; its hook decides the rest. */
static FfMeterResult
transition (const FfMeterApp *app, FfMeterOp op, uint8_t *next)
{
  switch (op)
    {
    case FFMETER_OP_INSTALL:
      *next = FFMETER_APP_INSTALLED;
      return app->state == FFMETER_APP_DOWNLOADED ? FFMETER_OK : FFMETER_ERROR_NOT_DOWNLOADED;
    case FFMETER_OP_INIT:
      *next = FFMETER_APP_READY;
      return app->state == FFMETER_APP_INSTALLED ? FFMETER_OK : FFMETER_ERROR_NOT_INSTALLED;
    case FFMETER_OP_RUN:
      *next = FFMETER_APP_RUNNING;
      return app->state == FFMETER_APP_READY ? FFMETER_OK : FFMETER_ERROR_NOT_READY;
    case FFMETER_OP_FINISH:
      *next = FFMETER_APP_READY;
      if (app->state != FFMETER_APP_RUNNING)
        return FFMETER_ERROR_NOT_RUNNING;
      return (app->flags & FFMETER_APP_RESIDENT) ? FFMETER_ERROR_RESIDENT : FFMETER_OK;
    case FFMETER_OP_FAIL:
    case FFMETER_OP_STOP:
      *next = FFMETER_APP_STOPPED;
      return app->state == FFMETER_APP_RUNNING ? FFMETER_OK : FFMETER_ERROR_NOT_RUNNING;
    case FFMETER_OP_UNINSTALL:
      *next = FFMETER_APP_UNINSTALLED;
      if (app->state == FFMETER_APP_RUNNING)
        return FFMETER_ERROR_STOP_FIRST;
      return app->state == FFMETER_APP_INSTALLED || app->state == FFMETER_APP_READY
             || app->state == FFMETER_APP_STOPPED ? FFMETER_OK : FFMETER_ERROR_NOT_REMOVABLE;
    case FFMETER_OP_COUNT:
      break;
    }
  return FFMETER_ERROR_INVALID;
}

FfMeterResult
ffmeter_scheduler_command (FfMeterScheduler *s, FfMeterOp op, uint16_t app_id, uint32_t version)
{
  FfMeterApp *app;
  FfMeterResult result;
  Change change;
  uint8_t next;

  if ((unsigned) op >= FFMETER_OP_COUNT)
    return FFMETER_ERROR_INVALID;
  app = find_row (s, app_id, version);
  if (!app)
    return FFMETER_ERROR_UNKNOWN_APP;
  result = transition (app, op, &next);
  if (result != FFMETER_OK)
    return result;
  if (op == FFMETER_OP_INIT)
    return make_ready (s, app);
  change_begin (&change, app, NULL);
  app->state = next;
  if (op == FFMETER_OP_RUN || op == FFMETER_OP_FINISH)
    update_waiting (s);   /* RAM only (see ffmeter.h) */
  else if (op == FFMETER_OP_UNINSTALL && (app->flags & FFMETER_APP_UPGRADE))
    {
      /* A new version on its way that is dropped: the app itself stays as it is. */
      memset (app, 0, sizeof *app);
      result = change_commit (s, &change);
    }
  else
    result = change_commit (s, &change);
  if (result != FFMETER_OK)
    return result;
  if (op == FFMETER_OP_RUN)
    call_hook (s, s->hooks ? s->hooks->run : NULL, app);
  else if (op == FFMETER_OP_STOP || op == FFMETER_OP_FAIL)
    call_hook (s, s->hooks ? s->hooks->stop : NULL, app);
  else if (op == FFMETER_OP_UNINSTALL)
    call_hook (s, s->hooks ? s->hooks->release : NULL, &change.before[0]);
  return FFMETER_OK;
}

FfMeterPowerOn
ffmeter_scheduler_power_on (FfMeterScheduler *s, const FfMeterStore *store,
                            const FfMeterHooks *hooks)
{
  bool changed = false;

  ffmeter_scheduler_load (s, store, hooks);
  /* Current versions first, all in one write. A failed write changes nothing that matters: the
   * next power-on initialises the same apps again. */
  for (unsigned i = 0; i < FFMETER_MAX_APPS; i++)
    {
      FfMeterApp *app = &s->apps[i];
      uint8_t was = app->state;

      if ((app->flags & FFMETER_APP_UPGRADE)
          || (app->state != FFMETER_APP_INSTALLED && app->state != FFMETER_APP_READY))
        continue;
      app->state = hooks && hooks->init && hooks->init (hooks->user, app) != 0
                   ? FFMETER_APP_INSTALLED : FFMETER_APP_READY;
      changed |= app->state != was;
    }
  if (changed)
    (void) table_save (s);
  /* Then a new version that was installed before the cut: made ready, it takes its app's place. */
  for (unsigned i = 0; i < FFMETER_MAX_APPS; i++)
    if ((s->apps[i].flags & FFMETER_APP_UPGRADE) && s->apps[i].state == FFMETER_APP_INSTALLED)
      (void) make_ready (s, &s->apps[i]);
  update_waiting (s);
  return s->waiting ? FFMETER_POWER_ON_WAITING : FFMETER_POWER_ON_READY;
}
