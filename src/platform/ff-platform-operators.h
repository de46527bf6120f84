/* The operator's console in the database: operator accounts with a role, their sessions (stored
 * by the SHA-256 of the cookie), and the audit log of every change made through the console. */
#pragma once

#include "ff-platform-db.h"

G_BEGIN_DECLS

#define FF_OPERATOR_ADMIN "admin"         /* also manages operators */
#define FF_OPERATOR_OPERATOR "operator"   /* changes fleet data */
#define FF_OPERATOR_AUDITOR "auditor"     /* reads everything, changes nothing */

typedef struct
{
  char   *name;
  char   *role;
  char   *password_hash;
  gint64  failed_logins;
  gint64  last_failure_at;
  gint64  added_at;
  gint64  disabled_at;         /* 0 while the operator may log in */
} FfOperator;

typedef struct
{
  char   *operator_name;
  char   *role;
  char   *csrf_token;
  gint64  created_at;
  gint64  last_seen_at;
  gint64  expires_at;          /* the absolute end, whatever the activity */
} FfConsoleSession;

typedef struct
{
  gint64  id;
  gint64  at;
  char   *operator_name;
  char   *action;              /* e.g. "blacklist.add" */
  char   *target;              /* what it changed, e.g. "V2.01 DTU0001" */
  char   *before;              /* JSON, NULL when the thing did not exist before */
  char   *after;               /* JSON, NULL when it does not exist after */
} FfAuditEntry;

#define FF_OPERATOR_PASSWORD_MIN 10
#define FF_OPERATOR_PASSWORD_MAX 128

gboolean          ff_operator_role_is_valid              (const char    *role);
/* An INVALID error unless @password has FF_OPERATOR_PASSWORD_MIN to _MAX bytes of UTF-8 without
 * control characters. */
gboolean          ff_operator_check_password             (const char    *password,
                                                          GError       **error);
/* An INVALID error unless @name has 1 to FF_NAME_MAX_LENGTH bytes of UTF-8 without control
 * characters. */
gboolean          ff_operator_check_name                 (const char    *name,
                                                          GError       **error);

gboolean          ff_platform_db_insert_operator         (FfPlatformDb  *db,
                                                          const char    *name,
                                                          const char    *role,
                                                          const char    *password_hash,
                                                          gint64         now,
                                                          GError       **error);
/* NULL without an error when there is no such operator. */
FfOperator       *ff_platform_db_get_operator            (FfPlatformDb  *db,
                                                          const char    *name,
                                                          GError       **error);
GPtrArray        *ff_platform_db_list_operators          (FfPlatformDb  *db,
                                                          GError       **error);
/* Disables @name and ends its sessions; *@disabled is FALSE when no enabled operator has that
 * name (nothing changes). */
gboolean          ff_platform_db_disable_operator        (FfPlatformDb  *db,
                                                          const char    *name,
                                                          gint64         now,
                                                          gboolean      *disabled,
                                                          GError       **error);
gboolean          ff_platform_db_set_operator_failures   (FfPlatformDb  *db,
                                                          const char    *name,
                                                          gint64         failures,
                                                          gint64         last_failure_at,
                                                          GError       **error);

gboolean          ff_platform_db_insert_console_session  (FfPlatformDb  *db,
                                                          const char    *token_hash,
                                                          const char    *operator_name,
                                                          const char    *csrf_token,
                                                          gint64         now,
                                                          gint64         expires_at,
                                                          GError       **error);
/* The live session of @token_hash: not past its absolute end, seen within @idle_seconds, of an
 * operator still enabled. NULL without an error when there is none. */
FfConsoleSession *ff_platform_db_find_console_session    (FfPlatformDb  *db,
                                                          const char    *token_hash,
                                                          gint64         now,
                                                          gint64         idle_seconds,
                                                          GError       **error);
gboolean          ff_platform_db_touch_console_session   (FfPlatformDb  *db,
                                                          const char    *token_hash,
                                                          gint64         now,
                                                          GError       **error);
gboolean          ff_platform_db_delete_console_session  (FfPlatformDb  *db,
                                                          const char    *token_hash,
                                                          GError       **error);

/* Call inside the transaction that makes the change. */
gboolean          ff_platform_db_insert_audit            (FfPlatformDb  *db,
                                                          gint64         at,
                                                          const char    *operator_name,
                                                          const char    *action,
                                                          const char    *target,
                                                          const char    *before,
                                                          const char    *after,
                                                          GError       **error);
/* At most @limit entries, newest first, with an id below @before_id (0: from the newest). */
GPtrArray        *ff_platform_db_list_audit              (FfPlatformDb  *db,
                                                          gint64         before_id,
                                                          guint          limit,
                                                          GError       **error);

void ff_operator_free        (FfOperator       *op);
void ff_console_session_free (FfConsoleSession *session);
void ff_audit_entry_free     (FfAuditEntry     *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfOperator, ff_operator_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfConsoleSession, ff_console_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfAuditEntry, ff_audit_entry_free)

G_END_DECLS
