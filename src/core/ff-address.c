/* A peer's network address given as text: see ff-address.h. */
#include "config.h"

#include "ff-address.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "ff-document.h"

/* One port parser for both: @lowest is 1 for a peer's port, 0 for a listener's. */
static gboolean
parse_port (const char *text,
            guint64     lowest,
            guint16    *port)
{
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, lowest, G_MAXUINT16, &value, NULL))
    return FALSE;
  *port = (guint16) value;
  return TRUE;
}

gboolean
ff_port_parse (const char *text,
               guint16    *port)
{
  return parse_port (text, 1, port);
}

gboolean
ff_listen_port_parse (const char *text,
                      guint16    *port)
{
  return parse_port (text, 0, port);
}

/* Splits @text into its host and its port text (NULL when it gives none). */
static gboolean
split_address (const char *text, char **host, const char **port_text)
{
  const char *colon = strchr (text, ':');

  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');

      if (end == NULL || (end[1] != '\0' && end[1] != ':'))
        return FALSE;
      *host = g_strndup (text + 1, (gsize) (end - text - 1));
      *port_text = end[1] == ':' ? end + 2 : NULL;
    }
  else if (colon != NULL && strchr (colon + 1, ':') == NULL)
    {
      *host = g_strndup (text, (gsize) (colon - text));
      *port_text = colon + 1;
    }
  else
    {
      *host = g_strdup (text);
      *port_text = NULL;
    }
  return TRUE;
}

/* One address parser for both: @lowest_port is 1 for a peer's address, 0 for a listener's. */
static gboolean
parse_address (const char  *text,
               guint64      lowest_port,
               guint16      default_port,
               char       **host,
               guint16     *port,
               GError     **error)
{
  g_autofree char *parsed_host = NULL;
  const char *port_text = NULL;
  guint16 parsed_port = default_port;

  if (text == NULL || !split_address (text, &parsed_host, &port_text)
      || !ff_host_is_valid (parsed_host)
      || (port_text != NULL && !parse_port (port_text, lowest_port, &parsed_port)))
    {
      if (lowest_port == 0)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     _("“%s” is not an address to listen on: give HOST or HOST:PORT, with a port "
                       "from 0 (any free port) to 65535."), text != NULL ? text : "");
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     _("“%s” is not an address: give HOST or HOST:PORT, with a port from 1 to "
                       "65535."), text != NULL ? text : "");
      return FALSE;
    }
  *host = g_steal_pointer (&parsed_host);
  *port = parsed_port;
  return TRUE;
}

gboolean
ff_address_parse (const char  *text,
                  guint16      default_port,
                  char       **host,
                  guint16     *port,
                  GError     **error)
{
  return parse_address (text, 1, default_port, host, port, error);
}

gboolean
ff_listen_address_parse (const char  *text,
                         guint16      default_port,
                         char       **host,
                         guint16     *port,
                         GError     **error)
{
  return parse_address (text, 0, default_port, host, port, error);
}
