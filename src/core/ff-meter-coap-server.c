/* ff-meter-coap-server.c: the platform's CoAP endpoint that offers packages to meters, queues
 * their commands and takes their reports, over UDP and DTLS (PSK). */
#include "config.h"

#include <coap3/coap.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "ff-meter-coap-private.h"

/* A package offered to meters. Its packets are the blocks of the package resource, so their size is
 * the meter's: start is the start message without packets and packet size, which offer_start fills
 * in for the block size a meter asks with. */
typedef struct
{
  FfMeterMessage start;
  GBytes *package;
  GHashTable *counts;  /* packets sent: block_key (SZX, sequence) → count */
} Offer;

static void
offer_free (gpointer data)
{
  Offer *offer = data;

  g_bytes_unref (offer->package);
  g_hash_table_unref (offer->counts);
  g_free (offer);
}

static gpointer
block_key (guint szx, guint seq)
{
  return GUINT_TO_POINTER ((szx << 16) | seq);
}

/* The start message for a meter that fetches in blocks of SZX: each block is one packet (seed 004's
 * framing, so the meter still checks each packet's sequence and CRC-32) of the block's size, the
 * last one shorter. FALSE when the package needs more packets than a start can count. */
static gboolean
offer_start (const Offer *offer, guint szx, FfMeterMessage *start)
{
  guint packet_size = FFMETER_BLOCK_PACKET_DATA (16u << szx);
  guint packets = (offer->start.total_size + packet_size - 1) / packet_size;

  *start = offer->start;
  start->packet_size = (guint16) packet_size;
  start->total_packets = (guint16) packets;
  return packets <= G_MAXUINT16;
}

struct _FfMeterCoapServer
{
  coap_context_t *ctx;
  GSource *source;
  guint16 port;
  GHashTable *offers;   /* one meter's "METER/APP", or every meter's (meter "*") → Offer */
  GHashTable *commands; /* "METER/APP" → FfMeterMessage */
  FfMeterCoapReportFunc report_func;
  gpointer report_data;
  FfMeterCoapPollFunc poll_func;
  gpointer poll_data;
  FfMeterCoapKeyFunc key_func;
  gpointer key_data;
  guint16 dtls_port;
  GBytes *psk;             /* the key handed to libcoap last (it copies it) */
  coap_bin_const_t psk_bin;
};

/* Whether this session may speak for meter_id, else the answer is set: over DTLS only the meter
 * whose key the session was made with (4.03 for another); over plain CoAP only a meter the
 * platform has no key for (4.01: it must use DTLS). */
static gboolean
authorised (FfMeterCoapServer *server, coap_session_t *session, const char *meter_id,
            coap_pdu_t *response)
{
  if (coap_session_get_proto (session) == COAP_PROTO_DTLS)
    {
      const coap_bin_const_t *identity = coap_session_get_psk_identity (session);

      if (identity && identity->length == strlen (meter_id)
          && memcmp (identity->s, meter_id, identity->length) == 0)
        return TRUE;
      coap_pdu_set_code (response, COAP_RESPONSE_CODE_FORBIDDEN);
      return FALSE;
    }
  if (server->key_func)
    {
      g_autoptr(GBytes) key = server->key_func (meter_id, server->key_data);

      if (key)
        {
          coap_pdu_set_code (response, COAP_RESPONSE_CODE_UNAUTHORIZED);
          return FALSE;
        }
    }
  return TRUE;
}

/* The answer; etag, when not NULL, goes in its ETag option, block in its Block2 option. */
static void
respond (coap_pdu_t *response, coap_pdu_code_t code, const guint8 *etag,
         const coap_block_t *block, const guint8 *data, gsize len)
{
  coap_pdu_set_code (response, code);
  if (etag)
    coap_add_option (response, COAP_OPTION_ETAG, FFMETER_ETAG_SIZE, etag);
  if (block)
    ff_meter_coap_add_block2 (response, block->num, block->m, block->szx);
  if (len)
    coap_add_data (response, len, data);
}

/* The request's Block2 option, when it has a usable one (SZX 7 is reserved). */
static gboolean
request_block (const coap_pdu_t *request, coap_block_t *block)
{
  return coap_get_block (request, COAP_OPTION_BLOCK2, block) && block->szx < 7;
}

/* The value of key in a query "k1=v1&k2=v2", or NULL when it is missing or empty: every parameter
 * of a request is required, and an empty one (a meter ID "") makes the request malformed (4.00),
 * not one about a meter the platform does not know (4.04). */
static char *
query_get (const coap_string_t *query, const char *key)
{
  g_autofree char *text = query ? g_strndup ((const char *) query->s, query->length) : NULL;
  g_auto(GStrv) pairs = text ? g_strsplit (text, "&", -1) : NULL;
  gsize key_len = strlen (key);

  for (guint i = 0; pairs && pairs[i]; i++)
    if (strncmp (pairs[i], key, key_len) == 0 && pairs[i][key_len] == '=')
      return pairs[i][key_len + 1] != '\0' ? g_strdup (pairs[i] + key_len + 1) : NULL;
  return NULL;
}

static char *
command_key (const char *meter_id, guint app_id)
{
  return g_strdup_printf ("%s/%u", meter_id, app_id);
}

/* The offer a meter gets for app_id: its own, else the one for every meter. */
static Offer *
offer_lookup (FfMeterCoapServer *server, const char *meter_id, guint app_id)
{
  g_autofree char *own = command_key (meter_id, app_id);
  g_autofree char *every = command_key ("*", app_id);
  Offer *offer = g_hash_table_lookup (server->offers, own);

  return offer ? offer : g_hash_table_lookup (server->offers, every);
}

static void
on_get_start (coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,
              const coap_string_t *query, coap_pdu_t *response)
{
  FfMeterCoapServer *server = coap_resource_get_userdata (resource);
  g_autofree char *meter_id = query_get (query, "meter");
  g_autofree char *app_text = query_get (query, "app");
  g_autofree char *key = NULL;
  guint8 out[FFMETER_START_SIZE];
  guint64 app = 0;
  /* The meter names its block size here (RFC 7959's early negotiation, a Block2 option with block
   * 0); the start and any command fit in that one block. Without it, blocks of 256 bytes. */
  coap_block_t block = { .szx = FF_METER_COAP_DEFAULT_SZX };
  gboolean has_block = coap_get_block (request, COAP_OPTION_BLOCK2, &block);
  FfMeterMessage *command, start;
  Offer *offer;

  if (!meter_id || !app_text
      || !g_ascii_string_to_unsigned (app_text, 10, 1, G_MAXUINT16, &app, NULL)
      || (has_block && (block.num != 0 || block.szx >= 7)))
    {
      respond (response, COAP_RESPONSE_CODE_BAD_REQUEST, NULL, NULL, NULL, 0);
      return;
    }
  if (!authorised (server, session, meter_id, response))
    return;
  block.m = 0;
  if (server->poll_func)
    server->poll_func (server, meter_id, (guint16) app, server->poll_data);
  key = command_key (meter_id, (guint) app);
  if ((command = g_hash_table_lookup (server->commands, key)))
    {
      respond (response, COAP_RESPONSE_CODE_CONTENT, NULL, has_block ? &block : NULL, out,
               ffmeter_message_write (command, out, sizeof out));
      g_hash_table_remove (server->commands, key);
      return;
    }
  offer = offer_lookup (server, meter_id, (guint) app);
  if (!offer)
    {
      respond (response, COAP_RESPONSE_CODE_NOT_FOUND, NULL, NULL, NULL, 0);
      return;
    }
  if (!offer_start (offer, block.szx, &start))
    {
      /* blocks too small */
      respond (response, COAP_RESPONSE_CODE_BAD_OPTION, NULL, NULL, NULL, 0);
      return;
    }
  respond (response, COAP_RESPONSE_CODE_CONTENT, NULL, has_block ? &block : NULL, out,
           ffmeter_message_write (&start, out, sizeof out));
}

/* Whether the request's If-Match options (RFC 7252 §5.10.8.1) allow an answer from the package
 * whose ETag is etag: none, an empty one (any package), or one that is etag. */
static gboolean
if_match (const coap_pdu_t *request, const guint8 *etag)
{
  coap_opt_iterator_t iterator;
  coap_opt_filter_t filter;
  coap_opt_t *option;
  gboolean any = FALSE;

  coap_option_filter_clear (&filter);
  coap_option_filter_set (&filter, COAP_OPTION_IF_MATCH);
  coap_option_iterator_init (request, &iterator, &filter);
  while ((option = coap_option_next (&iterator)))
    {
      any = TRUE;
      if (coap_opt_length (option) == 0
          || (coap_opt_length (option) == FFMETER_ETAG_SIZE
              && memcmp (coap_opt_value (option), etag, FFMETER_ETAG_SIZE) == 0))
        return TRUE;
    }
  return !any;
}

/* GET ffm/pkg?meter=ID&app=N&v=V with Block2 (NUM, SZX) and If-Match (the package's ETag): block
 * NUM of the package resource, which is the packet with sequence NUM, with the package's ETag. */
static void
on_get_package (coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,
                const coap_string_t *query, coap_pdu_t *response)
{
  FfMeterCoapServer *server = coap_resource_get_userdata (resource);
  g_autofree char *meter_id = query_get (query, "meter");
  g_autofree char *app_text = query_get (query, "app");
  g_autofree char *version_text = query_get (query, "v");
  guint64 app = 0, version = 0;
  coap_block_t block;
  FfMeterMessage start;
  Offer *offer;

  if (!meter_id || !app_text || !version_text || !request_block (request, &block)
      || !g_ascii_string_to_unsigned (app_text, 10, 1, G_MAXUINT16, &app, NULL)
      || !g_ascii_string_to_unsigned (version_text, 10, 1, G_MAXUINT32, &version, NULL))
    {
      respond (response, COAP_RESPONSE_CODE_BAD_REQUEST, NULL, NULL, NULL, 0);
      return;
    }
  if (!authorised (server, session, meter_id, response))
    return;
  offer = offer_lookup (server, meter_id, (guint) app);
  if (!offer)
    {
      respond (response, COAP_RESPONSE_CODE_NOT_FOUND, NULL, NULL, NULL, 0);
      return;
    }
  /* The meter names the package it has blocks of: when the offer is another one now (a patch
   * instead of the image, another version), none of its blocks is one of those; 4.12 says so and
   * the meter polls for the new start at once. */
  if (!if_match (request, offer->start.etag))
    {
      respond (response, COAP_RESPONSE_CODE_PRECONDITION_FAILED, NULL, NULL, NULL, 0);
      return;
    }
  if (offer->start.version != version)
    {
      respond (response, COAP_RESPONSE_CODE_NOT_FOUND, NULL, NULL, NULL, 0);
      return;
    }
  if (!offer_start (offer, block.szx, &start) || block.num >= start.total_packets)
    {
      respond (response, COAP_RESPONSE_CODE_BAD_OPTION, NULL, NULL, NULL, 0);   /* no such block */
      return;
    }
  {
    const guint8 *package = g_bytes_get_data (offer->package, NULL);
    guint32 offset = block.num * start.packet_size;
    FfMeterMessage packet = {
      .type = FFMETER_MSG_PACKET, .seq = (guint16) block.num, .data = package + offset,
      .data_len = (guint16) MIN (start.packet_size, start.total_size - offset),
    };
    guint8 out[FFMETER_PACKET_OVERHEAD + FFMETER_MAX_PACKET_DATA];
    gpointer key = block_key (block.szx, block.num);

    g_hash_table_insert (offer->counts, key,
                         GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (offer->counts,
                                                                                  key)) + 1));
    block.m = block.num + 1u < start.total_packets;
    respond (response, COAP_RESPONSE_CODE_CONTENT, offer->start.etag, &block, out,
             ffmeter_message_write (&packet, out, sizeof out));
  }
}

static void
on_post (coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,
         const coap_string_t *query, coap_pdu_t *response)
{
  FfMeterCoapServer *server = coap_resource_get_userdata (resource);
  g_autofree char *meter_id = query_get (query, "meter");
  const uint8_t *data = NULL;
  size_t len = 0;
  FfMeterMessage message;

  if (!meter_id || !coap_get_data (request, &len, &data)
      || ffmeter_message_parse (data, len, &message) != FFMETER_PARSE_OK
      || message.type != FFMETER_MSG_REPORT)
    {
      respond (response, COAP_RESPONSE_CODE_BAD_REQUEST, NULL, NULL, NULL, 0);
      return;
    }
  if (!authorised (server, session, meter_id, response))
    return;
  respond (response, COAP_RESPONSE_CODE_CHANGED, NULL, NULL, NULL, 0);
  if (server->report_func)
    server->report_func (meter_id, &message, server->report_data);
}

static void
add_resource (FfMeterCoapServer *server, const char *path, coap_request_t method,
              coap_method_handler_t handler)
{
  coap_resource_t *resource = coap_resource_init (coap_make_str_const (path), 0);

  coap_register_handler (resource, method, handler);
  coap_resource_set_userdata (resource, server);
  coap_add_resource (server->ctx, resource);
}

/* libcoap names an endpoint "ADDRESS:PORT PROTO"; it has no other way to tell the port it got. */
static guint16
endpoint_port (const coap_endpoint_t *endpoint)
{
  const char *text = coap_endpoint_str (endpoint);
  const char *space = strchr (text, ' ');
  const char *colon = space ? g_strrstr_len (text, space - text, ":") : NULL;

  return colon ? (guint16) g_ascii_strtoull (colon + 1, NULL, 10) : 0;
}

FfMeterCoapServer *
ff_meter_coap_server_new (const char *address, guint16 port, GError **error)
{
  g_autoptr(FfMeterCoapServer) server = g_new0 (FfMeterCoapServer, 1);
  coap_address_t listen;
  coap_endpoint_t *endpoint;

  server->offers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, offer_free);
  server->commands = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!ff_meter_coap_address_parse (address, port, &listen, error)
      || !(server->ctx = ff_meter_coap_context_new (&server->source, error)))
    return NULL;
  endpoint = coap_new_endpoint (server->ctx, &listen, COAP_PROTO_UDP);
  if (!endpoint || !(server->port = endpoint_port (endpoint)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not listen for CoAP on %s port %u"), address, port);
      return NULL;
    }
  add_resource (server, FF_METER_COAP_PATH "/start", COAP_REQUEST_GET, on_get_start);
  add_resource (server, FF_METER_COAP_PATH "/pkg", COAP_REQUEST_GET, on_get_package);
  add_resource (server, FF_METER_COAP_PATH, COAP_REQUEST_POST, on_post);
  return g_steal_pointer (&server);
}

/* libcoap asks for the key of the PSK identity a meter's handshake names (its meter ID): the
 * ledger's, or none (the handshake fails). */
static const coap_bin_const_t *
on_psk_identity (coap_bin_const_t *identity, coap_session_t *session, void *user_data)
{
  FfMeterCoapServer *server = user_data;
  g_autofree char *meter_id = g_strndup ((const char *) identity->s, identity->length);
  gsize size;

  g_clear_pointer (&server->psk, g_bytes_unref);
  if (strlen (meter_id) != identity->length
      || !(server->psk = server->key_func (meter_id, server->key_data)))
    return NULL;
  server->psk_bin.s = g_bytes_get_data (server->psk, &size);
  server->psk_bin.length = size;
  return &server->psk_bin;
}

gboolean
ff_meter_coap_server_listen_dtls (FfMeterCoapServer *server, const char *address, guint16 port,
                                  GError **error)
{
  coap_dtls_spsk_t setup = {
    .version = COAP_DTLS_SPSK_SETUP_VERSION, .validate_id_call_back = on_psk_identity,
    .id_call_back_arg = server,
  };
  coap_address_t listen;
  coap_endpoint_t *endpoint;

  g_return_val_if_fail (server->key_func != NULL, FALSE);
  if (!ff_meter_coap_address_parse (address, port, &listen, error))
    return FALSE;
  if (!coap_dtls_is_supported () || !coap_context_set_psk2 (server->ctx, &setup)
      || !(endpoint = coap_new_endpoint (server->ctx, &listen, COAP_PROTO_DTLS))
      || !(server->dtls_port = endpoint_port (endpoint)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not listen for CoAP over DTLS on %s port %u"), address, port);
      return FALSE;
    }
  return TRUE;
}

guint16
ff_meter_coap_server_get_dtls_port (FfMeterCoapServer *server)
{
  return server->dtls_port;
}

void
ff_meter_coap_server_set_key_func (FfMeterCoapServer *server, FfMeterCoapKeyFunc func,
                                   gpointer user_data)
{
  server->key_func = func;
  server->key_data = user_data;
}

void
ff_meter_coap_server_free (FfMeterCoapServer *server)
{
  if (!server)
    return;
  ff_meter_coap_context_free (server->ctx, server->source);
  g_hash_table_unref (server->offers);
  g_hash_table_unref (server->commands);
  g_clear_pointer (&server->psk, g_bytes_unref);
  g_free (server);
}

guint16
ff_meter_coap_server_get_port (FfMeterCoapServer *server)
{
  return server->port;
}

void
ff_meter_coap_server_offer (FfMeterCoapServer *server, guint16 app_id, guint32 version,
                            FfMeterPackageKind kind, guint8 app_flags, GBytes *package)
{
  ff_meter_coap_server_offer_to (server, "*", app_id, version, kind, app_flags, package);
}

void
ff_meter_coap_server_offer_to (FfMeterCoapServer *server, const char *meter_id, guint16 app_id,
                               guint32 version, FfMeterPackageKind kind, guint8 app_flags,
                               GBytes *package)
{
  Offer *offer;
  gsize size, digest_len = 32;
  const guint8 *data = g_bytes_get_data (package, &size);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];

  g_return_if_fail (size > 0 && size <= G_MAXUINT32);
  offer = g_new0 (Offer, 1);
  offer->package = g_bytes_ref (package);
  offer->start = (FfMeterMessage) {
    .type = FFMETER_MSG_START, .kind = (guint8) kind, .app_flags = app_flags, .app_id = app_id,
    .version = version, .total_size = (guint32) size, .total_crc = ffmeter_crc32 (0, data, size),
  };
  /* Its ETag names these bytes: the first bytes of their SHA-256. */
  g_checksum_update (checksum, data, size);
  g_checksum_get_digest (checksum, digest, &digest_len);
  memcpy (offer->start.etag, digest, FFMETER_ETAG_SIZE);
  offer->counts = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_hash_table_replace (server->offers, command_key (meter_id, app_id), offer);
}

void
ff_meter_coap_server_withdraw (FfMeterCoapServer *server, const char *meter_id, guint16 app_id)
{
  g_autofree char *key = command_key (meter_id, app_id);

  g_hash_table_remove (server->offers, key);
  g_hash_table_remove (server->commands, key);
}

gboolean
ff_meter_coap_server_has_offer (FfMeterCoapServer *server, const char *meter_id, guint16 app_id,
                                guint32 version)
{
  g_autofree char *key = command_key (meter_id, app_id);
  Offer *offer = g_hash_table_lookup (server->offers, key);

  return offer && offer->start.version == version;
}

void
ff_meter_coap_server_set_poll_func (FfMeterCoapServer *server, FfMeterCoapPollFunc func,
                                    gpointer user_data)
{
  server->poll_func = func;
  server->poll_data = user_data;
}

void
ff_meter_coap_server_command (FfMeterCoapServer *server, const char *meter_id, FfMeterOp op,
                              guint16 app_id, guint32 version)
{
  FfMeterMessage *command = g_new0 (FfMeterMessage, 1);

  g_return_if_fail (meter_id && (unsigned) op < FFMETER_OP_COUNT && app_id != 0);
  *command = (FfMeterMessage) { .type = FFMETER_MSG_COMMAND, .op = (guint8) op, .app_id = app_id,
                                .version = version };
  g_hash_table_replace (server->commands, command_key (meter_id, app_id), command);
}

void
ff_meter_coap_server_set_report_func (FfMeterCoapServer *server, FfMeterCoapReportFunc func,
                                      gpointer user_data)
{
  server->report_func = func;
  server->report_data = user_data;
}

guint
ff_meter_coap_server_get_packet_count (FfMeterCoapServer *server, guint16 app_id,
                                       guint block_size, guint16 seq)
{
  g_autofree char *key = command_key ("*", app_id);
  Offer *offer = g_hash_table_lookup (server->offers, key);
  int szx = ff_meter_coap_block_szx (block_size);

  g_return_val_if_fail (szx >= 0, 0);
  if (!offer)
    return 0;
  return GPOINTER_TO_UINT (g_hash_table_lookup (offer->counts, block_key ((guint) szx, seq)));
}
