/* ff-meter-coap.h: meter/'s download messages over CoAP on UDP (libcoap3): the platform's endpoint
 * that offers packages to meters, and a meter's client that carries its FfMeterDownload. */
#pragma once

#include <glib.h>

#include "ffmeter-download.h"

G_BEGIN_DECLS

/* The resources, each with the meter's identity in the query (meter=ID): GET ffm/start?app=N
 * answers a command queued for that meter and app, else the start message of the package offered
 * for app N (4.04 when there is neither), its packets sized for the meter's Block2 SZX in the
 * request; GET ffm/pkg?app=N&v=V with Block2 (NUM, SZX) answers packet NUM as block NUM of the
 * package resource (RFC 7959); POST ffm takes a report (2.04). */
#define FF_METER_COAP_PATH "ffm"
/* Blocks of 256 bytes (RFC 7959's SZX 4) unless the meter asks for another size. */
#define FF_METER_COAP_DEFAULT_SZX 4
#define FF_METER_COAP_DEFAULT_BLOCK_SIZE 256
/* CoAP's own port (RFC 7252), for an address that gives none. */
#define FF_METER_COAP_DEFAULT_PORT 5683

typedef struct _FfMeterCoapServer FfMeterCoapServer;

typedef void (*FfMeterCoapReportFunc) (const char *meter_id, const FfMeterMessage *report,
                                       gpointer user_data);

/* Listens on address (an IP address) and port (0: any free one) in the thread-default main
 * context. */
FfMeterCoapServer *ff_meter_coap_server_new (const char *address, guint16 port, GError **error);
void ff_meter_coap_server_free (FfMeterCoapServer *server);
guint16 ff_meter_coap_server_get_port (FfMeterCoapServer *server);
/* Offers a package (a whole image or an ffdelta1 patch) for app_id, in packets of the block size
 * each meter asks with. */
void ff_meter_coap_server_offer (FfMeterCoapServer *server, guint16 app_id, guint32 version,
                                 FfMeterPackageKind kind, guint8 app_flags, GBytes *package);
/* The same for one meter (its own offer comes before the one for every meter). */
void ff_meter_coap_server_offer_to (FfMeterCoapServer *server, const char *meter_id,
                                    guint16 app_id, guint32 version, FfMeterPackageKind kind,
                                    guint8 app_flags, GBytes *package);
/* Drops one meter's offer and queued command for app_id. */
void ff_meter_coap_server_withdraw (FfMeterCoapServer *server, const char *meter_id,
                                    guint16 app_id);
/* Whether this meter has its own offer of this version of app_id. */
gboolean ff_meter_coap_server_has_offer (FfMeterCoapServer *server, const char *meter_id,
                                         guint16 app_id, guint32 version);
/* Queues an operation on app_id (version 0: its current row) for one meter: its next poll for that
 * app gets it instead of a start message, and the meter reports the outcome. */
void ff_meter_coap_server_command (FfMeterCoapServer *server, const char *meter_id, FfMeterOp op,
                                   guint16 app_id, guint32 version);
/* Called when a meter polls for app_id, before the server looks for its command or offer: the
 * platform queues there what its ledger holds for this meter (a command or an offer_to). */
typedef void (*FfMeterCoapPollFunc) (FfMeterCoapServer *server, const char *meter_id,
                                     guint16 app_id, gpointer user_data);
void ff_meter_coap_server_set_poll_func (FfMeterCoapServer *server, FfMeterCoapPollFunc func,
                                         gpointer user_data);
void ff_meter_coap_server_set_report_func (FfMeterCoapServer *server, FfMeterCoapReportFunc func,
                                           gpointer user_data);
/* A meter's DTLS pre-shared key (a new reference), or NULL when it has none. A meter with a key is
 * served only over DTLS made with that key, its PSK identity being its ID (the meter=ID of its
 * requests must be the same); a meter without one only over plain CoAP. */
/* A meter's DTLS pre-shared key from a file that holds it as hexadecimal digits (what the meter's
 * maker provisioned into it), FF_METER_COAP_PSK_MIN … FF_METER_COAP_PSK_MAX bytes. */
#define FF_METER_COAP_PSK_MIN 16
#define FF_METER_COAP_PSK_MAX 64
GBytes *ff_meter_coap_read_psk_file (const char *path, GError **error);
/* The same from its hexadecimal digits; NULL when they are not such a key. */
GBytes *ff_meter_coap_psk_from_hex (const char *text);
typedef GBytes *(*FfMeterCoapKeyFunc) (const char *meter_id, gpointer user_data);
void ff_meter_coap_server_set_key_func (FfMeterCoapServer *server, FfMeterCoapKeyFunc func,
                                        gpointer user_data);
/* Listens for CoAP over DTLS (PSK, the key func's keys; set it first) on address and port (0: any
 * free one), beside plain CoAP. */
gboolean ff_meter_coap_server_listen_dtls (FfMeterCoapServer *server, const char *address,
                                           guint16 port, GError **error);
guint16 ff_meter_coap_server_get_dtls_port (FfMeterCoapServer *server);
/* How many times the packet with this sequence number of app_id's offer (for every meter) was
 * sent in blocks of block_size. */
guint ff_meter_coap_server_get_packet_count (FfMeterCoapServer *server, guint16 app_id,
                                            guint block_size, guint16 seq);

typedef struct _FfMeterCoapClient FfMeterCoapClient;

/* The meter's side: messages its download sends (ff_meter_coap_client_send, from the transport's
 * send callback) go to the server; answers are fed to the download; a request unanswered after
 * reply_timeout_ms is its timeout event. */
FfMeterCoapClient *ff_meter_coap_client_new (FfMeterDownload *download, const char *meter_id,
                                             const char *address, guint16 port,
                                             guint reply_timeout_ms, GError **error);
/* The same over DTLS with a pre-shared key (the meter's ID is its PSK identity); psk NULL: plain
 * CoAP. */
FfMeterCoapClient *ff_meter_coap_client_new_psk (FfMeterDownload *download, const char *meter_id,
                                                 const char *address, guint16 port,
                                                 guint reply_timeout_ms, GBytes *psk,
                                                 GError **error);
void ff_meter_coap_client_free (FfMeterCoapClient *client);
/* The meter's radio loses each message it sends with this probability (a lossy link). */
void ff_meter_coap_client_set_loss (FfMeterCoapClient *client, double drop_rate, guint32 seed);
/* The meter's block size (a power of two, 16 … 1024; by default 256): each packet is one block of
 * that size, FFMETER_BLOCK_PACKET_DATA (block_size) bytes of the package in seed 004's framing. */
void ff_meter_coap_client_set_block_size (FfMeterCoapClient *client, guint block_size);
/* Every answer reaches the meter this many milliseconds after it came in (a slow link). */
void ff_meter_coap_client_set_delay (FfMeterCoapClient *client, guint delay_ms);
/* Asks the platform whether it has a package for app_id (its answer is the start message). */
void ff_meter_coap_client_poll (FfMeterCoapClient *client, guint16 app_id);
int ff_meter_coap_client_send (FfMeterCoapClient *client, const guint8 *data, gsize len);
/* The meter waits for an answer to its poll or request: its reply timer runs (over DTLS, the
 * handshake before the first one included). */
gboolean ff_meter_coap_client_waiting (FfMeterCoapClient *client);
/* CoAP bytes (header, token, options, payload) the meter sent (including those lost) and
 * received. */
guint64 ff_meter_coap_client_get_bytes_sent (FfMeterCoapClient *client);
guint64 ff_meter_coap_client_get_bytes_received (FfMeterCoapClient *client);
/* How often the platform refused the meter: answers 4.01 (it must use DTLS) and 4.03 (another
 * meter's key), and DTLS handshakes libcoap gave up. */
guint ff_meter_coap_client_get_refusals (FfMeterCoapClient *client);
/* Polls and requests that got no answer within the reply timeout (over DTLS with a wrong key every
 * one: the platform cannot finish the handshake, and DTLS drops what it cannot authenticate). */
guint ff_meter_coap_client_get_timeouts (FfMeterCoapClient *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfMeterCoapServer, ff_meter_coap_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfMeterCoapClient, ff_meter_coap_client_free)

G_END_DECLS
