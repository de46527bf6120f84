/* The fleet as a whole in the database: terminals by vendor, model and version, and the
 * blacklist entries (ff_platform_db_find_terminals() is here too). */
#pragma once

#include "ff-platform-db.h"

G_BEGIN_DECLS

typedef struct
{
  char   *vendor;
  char   *model;
  char   *version;             /* one spelling of the version (versions compare by order) */
  gint64  terminals;
} FfFleetGroup;

typedef struct
{
  gint64  firmware_id;
  char   *vendor;
  char   *model;
  char   *version;
  char   *device_id;
  gint64  added_at;
} FfBlacklistEntry;

/* The query behind ff_platform_db_fleet_summary (the tests check its plan). */
extern const char ff_platform_fleet_summary_sql[];
/* How many terminals run each version of each vendor's model, by vendor, model and version
 * order. */
GPtrArray *ff_platform_db_fleet_summary    (FfPlatformDb  *db,
                                            GError       **error);
/* Blacklist entries, of firmware @version (any vendor and model) and of @device_id when not
 * NULL, by device ID and version. */
GPtrArray *ff_platform_db_list_blacklist   (FfPlatformDb  *db,
                                            const char    *version,
                                            const char    *device_id,
                                            GError       **error);
/* *@removed is FALSE when there was no such entry (nothing changes). */
gboolean   ff_platform_db_remove_blacklist (FfPlatformDb  *db,
                                            gint64         firmware_id,
                                            const char    *device_id,
                                            gboolean      *removed,
                                            GError       **error);

/* Every item of @task_id (with its device ID), by device ID. */
GPtrArray *ff_platform_db_list_task_items  (FfPlatformDb  *db,
                                            const char    *task_id,
                                            GError       **error);
/* A tablet of a task and what the platform saw of it: the reports it uploaded for the task (and
 * for how many of its items), when the last came, and when it last logged in for the task's
 * technician since the task was issued (0: never, or that session has expired and is gone). */
typedef struct
{
  char   *serial;
  gint64  reports;
  gint64  items_reported;
  gint64  last_report_at;
  gint64  last_login_at;
} FfTaskTablet;

/* The tablets @task_id lists, by serial. */
GPtrArray *ff_platform_db_list_task_tablets (FfPlatformDb *db,
                                             const char   *task_id,
                                             GError      **error);
/* The reports of @device_id, oldest first. */
GPtrArray *ff_platform_db_list_device_reports (FfPlatformDb *db,
                                               const char   *device_id,
                                               GError      **error);

void ff_fleet_group_free      (FfFleetGroup     *group);
void ff_blacklist_entry_free  (FfBlacklistEntry *entry);
void ff_task_tablet_free      (FfTaskTablet     *tablet);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfBlacklistEntry, ff_blacklist_entry_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTaskTablet, ff_task_tablet_free)

G_END_DECLS
