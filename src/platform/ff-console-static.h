/* The operator's console: its pages, scripts and catalogues, compiled into the platform as
 * GResources and served below /console/ (docs/console.md). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FF_CONSOLE_PREFIX "/console/"

/* The file served at @path (which starts with FF_CONSOLE_PREFIX; "/console/" is the index page)
 * and its Content-Type in *@content_type; NULL when there is none (or @path has "..", "//"). */
GBytes *ff_console_static_find (const char  *path,
                                const char **content_type);

/* The strong ETag of a console file (@body): its SHA-256, quoted. */
char   *ff_console_static_etag (GBytes *body);

/* Headers every console answer carries (pairs of name and value, then NULL): a strict
 * Content-Security-Policy (no inline script, nothing from elsewhere, never in a frame), no MIME
 * sniffing, no referrer, and no use of a cached file the server has not confirmed (with its ETag),
 * so an upgraded platform's pages are never mixed with an older one's. */
extern const char *const ff_console_headers[];

G_END_DECLS
