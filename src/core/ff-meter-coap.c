/* ff-meter-coap.c: meter/'s download messages over CoAP (libcoap3 on UDP, driven from a GLib main
 * context): the platform's endpoint and a meter's client. */
#include "config.h"

#include <coap3/coap.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <openssl/ssl.h>
#include <string.h>

#include "ff-meter-coap.h"

/* ---- A libcoap context served by the thread-default main context: its one file descriptor
 * (epoll, with libcoap's timers in it) becomes readable whenever libcoap has work. */

static gboolean
on_coap_ready (gint fd, GIOCondition condition, gpointer user_data)
{
  coap_io_process (user_data, COAP_IO_NO_WAIT);
  return G_SOURCE_CONTINUE;
}

static coap_context_t *
context_new (GSource **source, GError **error)
{
  static gsize started;
  coap_context_t *ctx;
  int fd;

  if (g_once_init_enter (&started))
    {
      coap_startup ();
      coap_set_log_level (LOG_ERR);
      g_once_init_leave (&started, 1);
    }
  ctx = coap_new_context (NULL);
  fd = ctx ? coap_context_get_coap_fd (ctx) : -1;
  if (fd < 0)
    {
      if (ctx)
        coap_free_context (ctx);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not start CoAP: this libcoap has no event descriptor"));
      return NULL;
    }
  *source = g_unix_fd_source_new (fd, G_IO_IN);
  g_source_set_callback (*source, G_SOURCE_FUNC (on_coap_ready), ctx, NULL);
  g_source_attach (*source, g_main_context_get_thread_default ());
  return ctx;
}

static void
context_free (coap_context_t *ctx, GSource *source)
{
  if (source)
    {
      g_source_destroy (source);
      g_source_unref (source);
    }
  if (ctx)
    coap_free_context (ctx);
}

static gboolean
address_parse (const char *address, guint16 port, coap_address_t *out, GError **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) socket_address = NULL;

  if (!inet)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address"), address);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (inet, port);
  coap_address_init (out);
  if (!g_socket_address_to_native (socket_address, &out->addr, sizeof out->addr, error))
    return FALSE;
  out->size = (socklen_t) g_socket_address_get_native_size (socket_address);
  return TRUE;
}

/* ---- The platform's endpoint */

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

/* RFC 7959's SZX of a block size (a power of two, 16 … 1024), or -1. */
static int
block_szx (guint block_size)
{
  int bit = g_bit_nth_msf (block_size, -1);

  return block_size == (1u << bit) && bit >= 4 && bit <= 10 ? bit - 4 : -1;
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

/* A Block2 option (RFC 7959): block number, whether more follow, SZX. */
static void
add_block2 (coap_pdu_t *pdu, guint num, gboolean more, guint szx)
{
  guint8 value[4];

  coap_add_option (pdu, COAP_OPTION_BLOCK2,
                   coap_encode_var_safe (value, sizeof value,
                                         (num << 4) | (more ? 0x08 : 0) | szx), value);
}

/* The answer; block, when not NULL, goes in its Block2 option. */
static void
respond (coap_pdu_t *response, coap_pdu_code_t code, const coap_block_t *block,
         const guint8 *data, gsize len)
{
  coap_pdu_set_code (response, code);
  if (block)
    add_block2 (response, block->num, block->m, block->szx);
  if (len)
    coap_add_data (response, len, data);
}

/* The request's Block2 option, when it has a usable one (SZX 7 is reserved). */
static gboolean
request_block (const coap_pdu_t *request, coap_block_t *block)
{
  return coap_get_block (request, COAP_OPTION_BLOCK2, block) && block->szx < 7;
}

/* The value of key in a query "k1=v1&k2=v2", or NULL. */
static char *
query_get (const coap_string_t *query, const char *key)
{
  g_autofree char *text = query ? g_strndup ((const char *) query->s, query->length) : NULL;
  g_auto(GStrv) pairs = text ? g_strsplit (text, "&", -1) : NULL;
  gsize key_len = strlen (key);

  for (guint i = 0; pairs && pairs[i]; i++)
    if (strncmp (pairs[i], key, key_len) == 0 && pairs[i][key_len] == '=')
      return g_strdup (pairs[i] + key_len + 1);
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
      respond (response, COAP_RESPONSE_CODE_BAD_REQUEST, NULL, NULL, 0);
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
      respond (response, COAP_RESPONSE_CODE_CONTENT, has_block ? &block : NULL, out,
               ffmeter_message_write (command, out, sizeof out));
      g_hash_table_remove (server->commands, key);
      return;
    }
  offer = offer_lookup (server, meter_id, (guint) app);
  if (!offer)
    {
      respond (response, COAP_RESPONSE_CODE_NOT_FOUND, NULL, NULL, 0);
      return;
    }
  if (!offer_start (offer, block.szx, &start))
    {
      respond (response, COAP_RESPONSE_CODE_BAD_OPTION, NULL, NULL, 0);   /* blocks too small */
      return;
    }
  respond (response, COAP_RESPONSE_CODE_CONTENT, has_block ? &block : NULL, out,
           ffmeter_message_write (&start, out, sizeof out));
}

/* GET ffm/pkg?meter=ID&app=N&v=V with Block2 (NUM, SZX): block NUM of the package resource, which
 * is the packet with sequence NUM. */
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
      respond (response, COAP_RESPONSE_CODE_BAD_REQUEST, NULL, NULL, 0);
      return;
    }
  if (!authorised (server, session, meter_id, response))
    return;
  offer = offer_lookup (server, meter_id, (guint) app);
  if (!offer || offer->start.version != version)
    {
      respond (response, COAP_RESPONSE_CODE_NOT_FOUND, NULL, NULL, 0);
      return;
    }
  if (!offer_start (offer, block.szx, &start) || block.num >= start.total_packets)
    {
      respond (response, COAP_RESPONSE_CODE_BAD_OPTION, NULL, NULL, 0);   /* no such block */
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
    respond (response, COAP_RESPONSE_CODE_CONTENT, &block, out,
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
      respond (response, COAP_RESPONSE_CODE_BAD_REQUEST, NULL, NULL, 0);
      return;
    }
  if (!authorised (server, session, meter_id, response))
    return;
  respond (response, COAP_RESPONSE_CODE_CHANGED, NULL, NULL, 0);
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
  if (!address_parse (address, port, &listen, error)
      || !(server->ctx = context_new (&server->source, error)))
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

GBytes *
ff_meter_coap_psk_from_hex (const char *text)
{
  g_autoptr(GByteArray) key = g_byte_array_new ();
  gsize len = strlen (text);

  for (gsize i = 0; len % 2 == 0 && i + 1 < len; i += 2)
    {
      int high = g_ascii_xdigit_value (text[i]), low = g_ascii_xdigit_value (text[i + 1]);

      if (high < 0 || low < 0)
        break;
      g_byte_array_append (key, (const guint8[]) { (guint8) (high << 4 | low) }, 1);
    }
  if (key->len * 2 != len || key->len < FF_METER_COAP_PSK_MIN || key->len > FF_METER_COAP_PSK_MAX)
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&key));
}

GBytes *
ff_meter_coap_read_psk_file (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  GBytes *key;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  if (!(key = ff_meter_coap_psk_from_hex (g_strstrip (text))))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _("%s must hold the meter's DTLS key as %d to %d hexadecimal digits"), path,
                 FF_METER_COAP_PSK_MIN * 2, FF_METER_COAP_PSK_MAX * 2);
  return key;
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
  if (!address_parse (address, port, &listen, error))
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
  context_free (server->ctx, server->source);
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
  gsize size;
  const guint8 *data = g_bytes_get_data (package, &size);

  g_return_if_fail (size > 0 && size <= G_MAXUINT32);
  offer = g_new0 (Offer, 1);
  offer->package = g_bytes_ref (package);
  offer->start = (FfMeterMessage) {
    .type = FFMETER_MSG_START, .kind = (guint8) kind, .app_flags = app_flags, .app_id = app_id,
    .version = version, .total_size = (guint32) size, .total_crc = ffmeter_crc32 (0, data, size),
  };
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
  int szx = block_szx (block_size);

  g_return_val_if_fail (szx >= 0, 0);
  return offer ? GPOINTER_TO_UINT (g_hash_table_lookup (offer->counts, block_key ((guint) szx, seq)))
               : 0;
}

/* ---- A meter's client */

struct _FfMeterCoapClient
{
  coap_context_t *ctx;
  GSource *source;
  coap_session_t *session;
  char *meter_id;
  char *meter_query;       /* "meter=ID" */
  GBytes *psk;             /* DTLS with this key, identity meter_id; NULL: plain CoAP */
  FfMeterDownload *download;
  guint reply_timeout_ms;
  GSource *timer;
  GRand *rand;
  double drop_rate;
  guint delay_ms;
  GPtrArray *delayed;      /* answers on their way (Delayed) */
  guint szx;               /* the meter's block size, 16 << szx */
  guint64 bytes_sent, bytes_received;
  guint refusals;          /* 4.01, 4.03 and failed DTLS handshakes */
  guint timeouts;          /* polls and requests unanswered */
  gboolean polling;        /* the timer runs for a poll, which any answer ends */
  SSL *tls;                /* the DTLS handshake watched (on_handshake_message), or NULL */
  guint32 handshake_seen;  /* the types of the platform's handshake messages it brought */
};

typedef struct
{
  FfMeterCoapClient *client;
  GBytes *payload;
  gsize air_size;          /* the whole CoAP message's */
  GSource *source;
} Delayed;

static void
delayed_free (gpointer data)
{
  Delayed *delayed = data;

  g_source_destroy (delayed->source);
  g_source_unref (delayed->source);
  g_bytes_unref (delayed->payload);
  g_free (delayed);
}

static void
cancel_timer (FfMeterCoapClient *client)
{
  if (client->timer)
    {
      g_source_destroy (client->timer);
      g_clear_pointer (&client->timer, g_source_unref);
    }
}

static gboolean
on_reply_timeout (gpointer user_data)
{
  FfMeterCoapClient *client = user_data;

  g_clear_pointer (&client->timer, g_source_unref);
  client->polling = FALSE;
  client->timeouts++;
  ffmeter_download_timeout (client->download);
  return G_SOURCE_REMOVE;
}

/* A CoAP message's size on the air above UDP: header, token, options, payload marker and payload
 * (libcoap 4.3.1 has no call that gives it). */
static gsize
pdu_size (const coap_pdu_t *pdu)
{
  coap_opt_iterator_t iterator;
  coap_opt_t *option;
  const uint8_t *data;
  size_t len = 0;
  gsize size = 4 + coap_pdu_get_token (pdu).length;

  coap_option_iterator_init (pdu, &iterator, COAP_OPT_ALL);
  while ((option = coap_option_next (&iterator)))
    size += coap_opt_size (option);
  if (coap_get_data (pdu, &len, &data) && len)
    size += 1 + len;
  return size;
}

/* An answer of air_size bytes reaches the meter: its payload is the download's message event. */
static void
deliver (FfMeterCoapClient *client, const guint8 *data, gsize len, gsize air_size)
{
  client->bytes_received += air_size;
  cancel_timer (client);
  ffmeter_download_message (client->download, data, len);
  if (ffmeter_download_state (client->download) != FFMETER_DOWNLOAD_RECEIVING)
    cancel_timer (client);
}

static gboolean
on_delay_over (gpointer user_data)
{
  Delayed *delayed = user_data;
  FfMeterCoapClient *client = delayed->client;
  g_autoptr(GBytes) payload = g_bytes_ref (delayed->payload);
  gsize len, air_size = delayed->air_size;
  const guint8 *data = g_bytes_get_data (payload, &len);

  g_ptr_array_remove_fast (client->delayed, delayed);
  deliver (client, data, len, air_size);
  return G_SOURCE_REMOVE;
}

static coap_response_t
on_response (coap_session_t *session, const coap_pdu_t *sent, const coap_pdu_t *received,
             const coap_mid_t mid)
{
  FfMeterCoapClient *client = coap_session_get_app_data (session);
  const uint8_t *data = NULL;
  size_t len = 0;
  coap_block_t block;
  Delayed *delayed;

  if (!client)
    return COAP_RESPONSE_OK;
  if (coap_pdu_get_code (received) == COAP_RESPONSE_CODE_UNAUTHORIZED
      || coap_pdu_get_code (received) == COAP_RESPONSE_CODE_FORBIDDEN)
    client->refusals++;
  /* A poll is answered by whatever comes (4.04: nothing for this meter); a request only by its
   * packet, else its timer runs out and the download counts the failure. */
  if (client->polling)
    {
      client->polling = FALSE;
      cancel_timer (client);
    }
  /* A block of another size than the meter asked for is not one of its packets. */
  if (coap_pdu_get_code (received) != COAP_RESPONSE_CODE_CONTENT
      || !coap_get_data (received, &len, &data)
      || (coap_get_block (received, COAP_OPTION_BLOCK2, &block) && block.szx != client->szx))
    {
      client->bytes_received += pdu_size (received);
      return COAP_RESPONSE_OK;
    }
  if (!client->delay_ms)
    {
      deliver (client, data, len, pdu_size (received));
      return COAP_RESPONSE_OK;
    }
  /* A slow link: the meter's reply timer keeps running meanwhile, as it would. */
  delayed = g_new0 (Delayed, 1);
  delayed->client = client;
  delayed->payload = g_bytes_new (data, len);
  delayed->air_size = pdu_size (received);
  delayed->source = g_timeout_source_new (client->delay_ms);
  g_source_set_callback (delayed->source, on_delay_over, delayed, NULL);
  g_source_attach (delayed->source, g_main_context_get_thread_default ());
  g_ptr_array_add (client->delayed, delayed);
  return COAP_RESPONSE_OK;
}

/* A DTLS handshake the platform refused (a wrong key, an identity it does not know). */
static int
on_client_event (coap_session_t *session, const coap_event_t event)
{
  FfMeterCoapClient *client = coap_session_get_app_data (session);

  if (client && event == COAP_EVENT_DTLS_ERROR)
    client->refusals++;
  /* A session closed or failed: libcoap makes its next handshake with another SSL. */
  if (client && (event == COAP_EVENT_DTLS_ERROR || event == COAP_EVENT_DTLS_CLOSED))
    client->tls = NULL;
  return 0;
}

FfMeterCoapClient *
ff_meter_coap_client_new (FfMeterDownload *download, const char *meter_id, const char *address,
                          guint16 port, guint reply_timeout_ms, GError **error)
{
  return ff_meter_coap_client_new_psk (download, meter_id, address, port, reply_timeout_ms, NULL,
                                       error);
}

FfMeterCoapClient *
ff_meter_coap_client_new_psk (FfMeterDownload *download, const char *meter_id,
                              const char *address, guint16 port, guint reply_timeout_ms,
                              GBytes *psk, GError **error)
{
  g_autoptr(FfMeterCoapClient) client = g_new0 (FfMeterCoapClient, 1);
  coap_address_t server;

  client->meter_id = g_strdup (meter_id);
  client->meter_query = g_strdup_printf ("meter=%s", meter_id);
  client->psk = psk ? g_bytes_ref (psk) : NULL;
  client->delayed = g_ptr_array_new_with_free_func (delayed_free);
  client->download = download;
  client->reply_timeout_ms = reply_timeout_ms;
  client->szx = FF_METER_COAP_DEFAULT_SZX;
  client->rand = g_rand_new_with_seed (0);
  if (!address_parse (address, port, &server, error)
      || !(client->ctx = context_new (&client->source, error)))
    return NULL;
  coap_register_response_handler (client->ctx, on_response);
  coap_register_event_handler (client->ctx, on_client_event);
  if (psk)
    {
      gsize size;
      /* The meter's identity is its ID; the platform looks its key up by it. */
      coap_dtls_cpsk_t setup = {
        .version = COAP_DTLS_CPSK_SETUP_VERSION,
        .psk_info = {
          .identity = { strlen (client->meter_id), (const uint8_t *) client->meter_id },
          .key = { 0, g_bytes_get_data (client->psk, &size) },
        },
      };

      setup.psk_info.key.length = size;
      client->session = coap_dtls_is_supported ()
                        ? coap_new_client_session_psk2 (client->ctx, NULL, &server,
                                                        COAP_PROTO_DTLS, &setup)
                        : NULL;
    }
  else
    client->session = coap_new_client_session (client->ctx, NULL, &server, COAP_PROTO_UDP);
  if (!client->session)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not open a CoAP session to %s port %u"), address, port);
      return NULL;
    }
  coap_session_set_app_data (client->session, client);
  return g_steal_pointer (&client);
}

void
ff_meter_coap_client_free (FfMeterCoapClient *client)
{
  if (!client)
    return;
  cancel_timer (client);
  if (client->session)
    coap_session_release (client->session);
  context_free (client->ctx, client->source);
  g_rand_free (client->rand);
  g_ptr_array_unref (client->delayed);
  g_clear_pointer (&client->psk, g_bytes_unref);
  g_free (client->meter_id);
  g_free (client->meter_query);
  g_free (client);
}

void
ff_meter_coap_client_set_loss (FfMeterCoapClient *client, double drop_rate, guint32 seed)
{
  client->drop_rate = drop_rate;
  g_rand_set_seed (client->rand, seed);
}

void
ff_meter_coap_client_set_block_size (FfMeterCoapClient *client, guint block_size)
{
  int szx = block_szx (block_size);

  g_return_if_fail (szx >= 0);
  client->szx = (guint) szx;
}

/* Sends a non-confirmable request to ffm/RESOURCE (NULL: ffm) with the meter's identity, then
 * query (may be NULL), then a Block2 option for block block_num when block_num >= 0: the meter's
 * protocol does its own retries, so CoAP's would only spend the battery twice. Returns FALSE when
 * the radio lost it. */
static gboolean
send_request (FfMeterCoapClient *client, coap_pdu_code_t code, const char *resource,
              const char *query, gint64 block_num, const guint8 *data, gsize len)
{
  coap_pdu_t *pdu;
  guint8 token[8];
  size_t token_len = sizeof token;
  gboolean lost = client->drop_rate > 0 && g_rand_double (client->rand) < client->drop_rate;

  pdu = coap_pdu_init (COAP_MESSAGE_NON, code, coap_new_message_id (client->session),
                       coap_session_max_pdu_size (client->session));
  if (!pdu)
    return FALSE;
  coap_session_new_token (client->session, &token_len, token);
  coap_add_token (pdu, token_len, token);
  coap_add_option (pdu, COAP_OPTION_URI_PATH, strlen (FF_METER_COAP_PATH),
                   (const guint8 *) FF_METER_COAP_PATH);
  if (resource)
    coap_add_option (pdu, COAP_OPTION_URI_PATH, strlen (resource), (const guint8 *) resource);
  coap_add_option (pdu, COAP_OPTION_URI_QUERY, strlen (client->meter_query),
                   (const guint8 *) client->meter_query);
  if (query)
    {
      g_auto(GStrv) parts = g_strsplit (query, "&", -1);

      for (guint i = 0; parts[i]; i++)
        coap_add_option (pdu, COAP_OPTION_URI_QUERY, strlen (parts[i]),
                         (const guint8 *) parts[i]);
    }
  if (block_num >= 0)
    add_block2 (pdu, (guint) block_num, FALSE, client->szx);
  if (len)
    coap_add_data (pdu, len, data);
  /* What the radio sent, lost or not, is the battery's. */
  client->bytes_sent += pdu_size (pdu);
  if (lost)
    {
      coap_delete_pdu (pdu);
      return FALSE;
    }
  return coap_send (client->session, pdu) != COAP_INVALID_MID;
}

void
ff_meter_coap_client_set_delay (FfMeterCoapClient *client, guint delay_ms)
{
  client->delay_ms = delay_ms;
}

static void
start_timer (FfMeterCoapClient *client)
{
  cancel_timer (client);
  client->timer = g_timeout_source_new (client->reply_timeout_ms);
  g_source_set_callback (client->timer, on_reply_timeout, client, NULL);
  g_source_attach (client->timer, g_main_context_get_thread_default ());
}

/* OpenSSL's message callback on the meter's DTLS session. Before the first poll or request of a
 * session goes out, the handshake takes three round trips (cookie, key exchange, Finished): each
 * handshake message of a type the platform had not sent yet is an answer, so it restarts the reply
 * timer. The poll then gets its own reply timeout instead of what the handshake left of it (on a
 * slow CPU or radio the handshake alone can use up the timeout: the poll went unanswered under
 * qemu-user on a loaded machine). A handshake that stalls runs out as one unanswered poll: a
 * resent flight brings no new type (with a wrong key the platform drops the meter's Finished and
 * resends its own flight). */
static void
on_handshake_message (int write_p, int version, int content_type, const void *buf, size_t len,
                      SSL *ssl, void *arg)
{
  FfMeterCoapClient *client = arg;
  guint type = len ? ((const guint8 *) buf)[0] : 32;

  if (write_p || content_type != SSL3_RT_HANDSHAKE || type >= 32
      || (client->handshake_seen & (1u << type)) || !client->timer)
    return;
  client->handshake_seen |= 1u << type;
  start_timer (client);
}

/* The reply timer: a poll or request unanswered in time is a timeout (for a request, the
 * download's timeout event). Over DTLS, a handshake under way restarts it
 * (on_handshake_message). */
static void
arm_timer (FfMeterCoapClient *client)
{
  coap_tls_library_t library = COAP_TLS_LIBRARY_NOTLS;
  SSL *tls = client->psk ? coap_session_get_tls (client->session, &library) : NULL;

  if (tls && library == COAP_TLS_LIBRARY_OPENSSL && tls != client->tls)
    {
      client->tls = tls;
      client->handshake_seen = 0;
      SSL_set_msg_callback (tls, on_handshake_message);
      SSL_set_msg_callback_arg (tls, client);
    }
  start_timer (client);
}

void
ff_meter_coap_client_poll (FfMeterCoapClient *client, guint16 app_id)
{
  g_autofree char *query = g_strdup_printf ("app=%u", app_id);

  /* Block 0 of the meter's size: the platform makes the packets that size (early negotiation). */
  arm_timer (client);
  client->polling = TRUE;
  (void) send_request (client, COAP_REQUEST_CODE_GET, "start", query, 0, NULL, 0);
}

int
ff_meter_coap_client_send (FfMeterCoapClient *client, const guint8 *data, gsize len)
{
  FfMeterMessage request;
  g_autofree char *query = NULL;

  if (ffmeter_message_parse (data, len, &request) != FFMETER_PARSE_OK
      || request.type != FFMETER_MSG_REQUEST)
    return send_request (client, COAP_REQUEST_CODE_POST, NULL, NULL, -1, data, len) ? 0 : -1;
  /* A request for packet n is a GET of block n of the package resource (RFC 7959 Block2), answered
   * by its packet, or its timer runs out. */
  arm_timer (client);
  client->polling = FALSE;
  query = g_strdup_printf ("app=%u&v=%u", request.app_id, request.version);
  return send_request (client, COAP_REQUEST_CODE_GET, "pkg", query, request.seq, NULL, 0)
         ? 0 : -1;
}

gboolean
ff_meter_coap_client_waiting (FfMeterCoapClient *client)
{
  return client->timer != NULL;
}

guint64
ff_meter_coap_client_get_bytes_sent (FfMeterCoapClient *client)
{
  return client->bytes_sent;
}

guint64
ff_meter_coap_client_get_bytes_received (FfMeterCoapClient *client)
{
  return client->bytes_received;
}

guint
ff_meter_coap_client_get_refusals (FfMeterCoapClient *client)
{
  return client->refusals;
}

guint
ff_meter_coap_client_get_timeouts (FfMeterCoapClient *client)
{
  return client->timeouts;
}
