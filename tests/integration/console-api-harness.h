/* The operator console's JSON API tests' fixture (test-console-api-*.c): the platform harness's
 * world with 40 more terminals and an operator of each role, served on 127.0.0.1 for each test,
 * and the requests of a logged-in operator. */
#pragma once

#include "platform-harness.h"

#include <json-glib/json-glib.h>

#define ADMIN_PASSWORD "correct horse battery"
#define OPERATOR_PASSWORD "operator password 1"
#define AUDITOR_PASSWORD "auditor password 1"

/* 40 more terminals of the same model, none in a task: 12 at V1.00, 6 at V1.9, 6 at V1.10, 16 at
 * V2.01, spread over 0.4 degrees of latitude going north with their number. */
#define EXTRA_TERMINALS 40
/* The name of the last of them, as an asset system might export it. */
#define XSS_NAME "<script>alert(1)</script>"

typedef struct
{
  Harness *h;
} Fixture;

/* Adds the test @function as /console/api/@name, with its own copy of the world, served. */
#define CONSOLE_API_ADD(name, function) \
  g_test_add ("/console/api/" name, Fixture, NULL, console_api_set_up, function, \
              console_api_tear_down)

void console_api_set_up    (Fixture      *fixture,
                            gconstpointer data);
void console_api_tear_down (Fixture      *fixture,
                            gconstpointer data);

/* A logged-in operator. */
typedef struct
{
  char *cookie;       /* "__Host-ff_console=…" */
  char *csrf;
} Login;

void login_clear (Login *login);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Login, login_clear)

/* Adds an operator with the CLI. */
void        add_operator   (Harness     *h,
                            const char  *name,
                            const char  *role,
                            const char  *password);
/* Sends a console request with @login's cookie and (when @with_csrf) its CSRF token. */
guint       call           (Harness     *h,
                            const char  *method,
                            const char  *path,
                            const Login *login,
                            gboolean     with_csrf,
                            const char  *body,
                            GBytes     **response,
                            SoupMessageHeaders **response_headers);
/* The JSON object @body holds, asserted to be one, kept by @parser. */
JsonObject *parse_object   (GBytes      *body,
                            JsonParser  *parser);
/* Logs in; returns the status, and on 200 fills @login and @set_cookie (the whole header). */
guint       log_in         (Harness     *h,
                            const char  *name,
                            const char  *password,
                            Login       *login,
                            char       **set_cookie,
                            char       **retry_after);
void        log_in_ok      (Harness     *h,
                            const char  *name,
                            const char  *password,
                            Login       *login);
/* The array @member of the object a GET of @path answers (asserted 200). */
JsonArray  *get_array      (Harness     *h,
                            const Login *login,
                            const char  *path,
                            const char  *member,
                            JsonParser  *parser);
/* Changes platform.db with @sql (as time would, or as the MQTT broker would), which must change
 * @changes rows. */
void        write_database (Harness     *h,
                            const char  *sql,
                            int          changes);
