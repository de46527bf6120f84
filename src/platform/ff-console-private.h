/* What the console's files share: the console, one call's context, and the helpers every
 * handler uses. */
#pragma once

#include "ff-console.h"
#include "ff-platform-login.h"
#include "ff-platform-operators.h"

G_BEGIN_DECLS

/* An idle session ends after this long without a request; any session after its lifetime. */
#define FF_CONSOLE_IDLE_SECONDS (30 * 60)
#define FF_CONSOLE_SESSION_SECONDS (12 * 60 * 60)
/* "__Host-": a browser keeps it only when set Secure, with Path=/ and no Domain, by this very host;
 * a page of a sibling subdomain cannot plant one (session fixation). The earlier "ff_console" is
 * not read. */
#define FF_CONSOLE_COOKIE "__Host-ff_console"

struct _FfConsole
{
  FfPlatformDb     *db;              /* borrowed */
  char             *data_dir;
  FfKey            *platform_key;
  /* A login for an unknown operator checks its password against this, so that it takes as long
   * as a wrong password and does not tell which names exist. */
  char             *dummy_hash;
  FfLoginStrangers *strangers;       /* failures of names that are not operators */
};

typedef enum
{
  FF_CONSOLE_ACCESS_NONE,       /* no session: the login */
  FF_CONSOLE_ACCESS_READ,       /* any operator */
  FF_CONSOLE_ACCESS_SESSION,    /* any operator, with the CSRF token: the logout */
  FF_CONSOLE_ACCESS_CHANGE,     /* admins and operators, with the CSRF token */
  FF_CONSOLE_ACCESS_ADMIN,      /* admins, with the CSRF token */
} FfConsoleAccess;

/* One request being answered. */
typedef struct
{
  FfConsole              *console;
  const FfConsoleRequest *request;
  const char             *route;     /* the metrics label */
  FfConsoleSession       *session;   /* NULL before authentication */
  char                   *token_hash;
} FfConsoleCall;

/* Sessions (ff-console-session.c) */
FfReply *ff_console_login         (FfConsoleCall *call);
FfReply *ff_console_logout        (FfConsoleCall *call);
FfReply *ff_console_session_info  (FfConsoleCall *call);
/* Finds the call's session from its cookie (and keeps it alive); FALSE with an error (401) when
 * there is none. */
gboolean ff_console_authenticate  (FfConsoleCall *call,
                                   GError       **error);
/* FALSE with an error (403) unless the request carries the session's X-CSRF-Token. */
gboolean ff_console_check_csrf    (FfConsoleCall *call,
                                   GError       **error);

/* Helpers (ff-console-routes.c) */
/* The checks in order: who (401), then for a change the CSRF token (403) and the role (403). */
gboolean    ff_console_check_access (FfConsoleCall   *call,
                                     FfConsoleAccess  access,
                                     GError         **error);
const char *ff_console_query      (FfConsoleCall *call,
                                   const char    *name);
/* @rows (each made an object by @add_members) as the array @member. */
void        ff_console_add_array  (JsonBuilder    *builder,
                                   const char     *member,
                                   GPtrArray      *rows,
                                   void          (*add_members) (JsonBuilder   *builder,
                                                                 gconstpointer  row));
/* The query's page size (limit, 1 to 1000; 100 without one); FALSE with the reason otherwise. */
gboolean    ff_console_page_limit (FfConsoleCall  *call,
                                   guint          *limit,
                                   GError        **error);
/* @rows, read with one row more than @limit to tell whether a next page follows, cut to @limit:
 * the page's last row when one follows (the next page starts after it), NULL on the last page. */
gpointer    ff_console_page_cut   (GPtrArray      *rows,
                                   guint           limit);
/* The object @add_members makes of @row, as JSON text (for the audit log). */
char       *ff_console_json_text  (void         (*add_members) (JsonBuilder   *builder,
                                                                gconstpointer  row),
                                   gconstpointer  row);
/* Writes the audit record of a change by the call's operator; call it inside the change's
 * transaction. */
gboolean    ff_console_audit      (FfConsoleCall *call,
                                   const char    *action,
                                   const char    *target,
                                   const char    *before,
                                   const char    *after,
                                   GError       **error);
/* Parses the body as a JSON object that has only @members (each may be left out); NULL with a
 * 400 error otherwise. */
JsonParser *ff_console_parse_body (FfConsoleCall       *call,
                                   const char *const   *members,
                                   JsonObject         **root,
                                   GError             **error);
/* A string member that may be absent or null (then *@value is NULL). */
gboolean    ff_console_optional_string (JsonObject  *root,
                                        const char  *member,
                                        gsize        max_length,
                                        const char **value,
                                        GError     **error);
/* The array of names @member (each ff_name_is_safe()); absent: *@strings NULL without an
 * error. */
gboolean    ff_console_get_names  (JsonObject  *root,
                                   const char  *member,
                                   GStrv       *strings,
                                   GError     **error);

/* Changes (ff-console-changes.c): each handler answers one state-changing route. */
FfReply *ff_console_blacklist_add       (FfConsoleCall *call, const char *param);
FfReply *ff_console_blacklist_remove    (FfConsoleCall *call, const char *param);
FfReply *ff_console_firmware_withdraw   (FfConsoleCall *call, const char *param);
FfReply *ff_console_tablet_add          (FfConsoleCall *call, const char *param);
FfReply *ff_console_tablet_retire       (FfConsoleCall *call, const char *param);
FfReply *ff_console_task_preview        (FfConsoleCall *call, const char *param);
FfReply *ff_console_task_create         (FfConsoleCall *call, const char *param);
FfReply *ff_console_task_cancel         (FfConsoleCall *call, const char *param);
FfReply *ff_console_technician_add      (FfConsoleCall *call, const char *param);
FfReply *ff_console_operator_add        (FfConsoleCall *call, const char *param);
FfReply *ff_console_operator_disable    (FfConsoleCall *call, const char *param);
/* A firmware's identity and state, for the audit log. */
void     ff_console_add_firmware_state  (JsonBuilder   *builder,
                                         gconstpointer  row);

/* Uploads (ff-console-upload.c) */
FfReply *ff_console_firmware_add        (FfConsoleCall *call, const char *param);

/* Campaigns (ff-console-campaigns.c) */
FfReply *ff_console_campaign_list       (FfConsoleCall *call, const char *param);
FfReply *ff_console_campaign_show       (FfConsoleCall *call, const char *param);
FfReply *ff_console_campaign_terminals  (FfConsoleCall *call, const char *param);
FfReply *ff_console_campaign_create     (FfConsoleCall *call, const char *param);
FfReply *ff_console_campaign_start      (FfConsoleCall *call, const char *param);
FfReply *ff_console_campaign_pause      (FfConsoleCall *call, const char *param);
FfReply *ff_console_campaign_resume     (FfConsoleCall *call, const char *param);
FfReply *ff_console_campaign_cancel     (FfConsoleCall *call, const char *param);

/* The audit log (ff-console-audit.c) */
FfReply *ff_console_audit_list          (FfConsoleCall *call, const char *param);
FfReply *ff_console_audit_csv           (FfConsoleCall *call, const char *param);
/* Appends @text (NULL: empty) to @out as one quoted CSV cell that no spreadsheet runs as a
 * formula. */
void     ff_console_csv_cell            (GString       *out,
                                         const char    *text);

G_END_DECLS
