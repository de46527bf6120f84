/* ff-test-udp-relay.h: a UDP relay on 127.0.0.1 between a client and a server's port, for the tests
 * that look at a link's datagrams or make it slow (the meters' CoAP and DTLS). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FfTestUdpRelay FfTestUdpRelay;

/* Sees each datagram as it comes in (to_server: the client's). */
typedef void (*FfTestUdpRelayWatch) (gboolean to_server, const guint8 *data, gsize len,
                                     gpointer user_data);

/* Relays between the first client that sends to it and server_port on 127.0.0.1, in the thread's
 * default main context. */
FfTestUdpRelay *ff_test_udp_relay_new (guint16 server_port);
guint16 ff_test_udp_relay_get_port (FfTestUdpRelay *relay);
void ff_test_udp_relay_set_watch (FfTestUdpRelay *relay, FfTestUdpRelayWatch watch,
                                  gpointer user_data);
/* Every datagram of the server's reaches the client delay_ms late (a slow link or a slow CPU). */
void ff_test_udp_relay_set_delay (FfTestUdpRelay *relay, guint delay_ms);
void ff_test_udp_relay_free (FfTestUdpRelay *relay);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfTestUdpRelay, ff_test_udp_relay_free)

G_END_DECLS
