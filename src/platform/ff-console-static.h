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

/* Headers every console answer carries (pairs of name and value, then NULL): a strict
 * Content-Security-Policy (no inline script, nothing from elsewhere, never in a frame), no MIME
 * sniffing, no referrer, and no caching of pages that an upgrade of the platform changes. */
extern const char *const ff_console_headers[];

G_END_DECLS
