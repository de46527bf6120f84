/* A peer's network address given as text (HOST:PORT), as a technician types it or a ledger holds
 * it: one parser for every program, so a port 0 or out of range is refused everywhere alike. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A port to connect to: decimal digits only, 1 to 65535. Port 0 is no port: GLib's parser passes
 * it on, and the IEC 104 connection reads it as "the default" (2404), another port than given. */
gboolean    ff_port_parse              (const char  *text,
                                        guint16     *port);
/* "HOST", "HOST:PORT" or "[IPv6]:PORT" (a bare IPv6 address is a HOST): the host as
 * ff_host_is_valid() takes it, the port as ff_port_parse(), else @default_port when none is given.
 * Anything else is G_IO_ERROR_INVALID_ARGUMENT with a message that names @text. */
gboolean    ff_address_parse           (const char  *text,
                                        guint16      default_port,
                                        char       **host,
                                        guint16     *port,
                                        GError     **error);
/* An address to listen on: as ff_address_parse(), but port 0 is taken and asks the system for any
 * free port (ff_listen_port_parse()). */
gboolean    ff_listen_address_parse    (const char  *text,
                                        guint16      default_port,
                                        char       **host,
                                        guint16     *port,
                                        GError     **error);
/* A port to listen on: decimal digits only, 0 (any free port) to 65535. */
gboolean    ff_listen_port_parse       (const char  *text,
                                        guint16     *port);

G_END_DECLS
