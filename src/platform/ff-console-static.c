/* The console's files, from the resource bundle the build compiled into the platform
 * (src/platform/console/console.gresource.xml): pages, styles, modules, Leaflet from Debian's
 * libjs-leaflet and the translation catalogue made from po/. */
#include "config.h"

#include "ff-console-static.h"

#include "ff-console-resources.h"

#include <string.h>

#define RESOURCE_ROOT "/org/fieldflash/platform/console/"

const char *const ff_console_headers[] = {
  /* style-src 'self' still lets scripts set element.style (Leaflet places its panes so); what it
   * forbids is style in markup, which the console never writes. */
  "Content-Security-Policy",
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
  "frame-ancestors 'none'",
  "X-Content-Type-Options", "nosniff",
  "X-Frame-Options", "DENY",
  "Referrer-Policy", "no-referrer",
  "Cache-Control", "no-cache",
  NULL,
};

static const struct
{
  const char *suffix;
  const char *content_type;
} content_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".json", "application/json" },
  { ".png", "image/png" },
  { ".svg", "image/svg+xml" },
};

static const char *
content_type_of (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (content_types); i++)
    if (g_str_has_suffix (name, content_types[i].suffix))
      return content_types[i].content_type;
  return NULL;
}

GBytes *
ff_console_static_find (const char  *path,
                        const char **content_type)
{
  const char *name;
  g_autofree char *resource = NULL;

  g_return_val_if_fail (g_str_has_prefix (path, FF_CONSOLE_PREFIX), NULL);
  name = path + strlen (FF_CONSOLE_PREFIX);
  if (*name == '\0')
    name = "index.html";
  /* Resource lookups take no "..", but a path that names a directory, or has an empty part,
   * is not a file of the console either. */
  if (strstr (name, "..") != NULL || strstr (name, "//") != NULL || g_str_has_suffix (name, "/"))
    return NULL;
  *content_type = content_type_of (name);
  if (*content_type == NULL)
    return NULL;
  resource = g_strconcat (RESOURCE_ROOT, name, NULL);
  return g_resource_lookup_data (ff_console_get_resource (), resource,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
}

char *
ff_console_static_etag (GBytes *body)
{
  g_autofree char *sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, body);

  return g_strdup_printf ("\"%s\"", sha256);
}
