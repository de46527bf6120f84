/* ff-meter-coap-client.c: a meter's CoAP client that carries its FfMeterDownload (plain or over
 * DTLS with its PSK), with the loss and delay of a radio link simulated for tests. */
#include "config.h"

#include <coap3/coap.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <openssl/ssl.h>
#include <string.h>

#include "ff-meter-coap-private.h"

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
  guint16 app_id;          /* of the package the last request named, by its ETag: */
  guint8 etag[FFMETER_ETAG_SIZE];
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

static void
start_timer (FfMeterCoapClient *client)
{
  cancel_timer (client);
  client->timer = g_timeout_source_new (client->reply_timeout_ms);
  g_source_set_callback (client->timer, on_reply_timeout, client, NULL);
  g_source_attach (client->timer, g_main_context_get_thread_default ());
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

/* Sends a non-confirmable request to ffm/RESOURCE (NULL: ffm) with If-Match (when if_match is
 * not NULL), the meter's identity, then query (may be NULL), then a Block2 option for block
 * block_num when block_num >= 0: the meter's protocol does its own retries, so CoAP's would only
 * spend the battery twice. Returns FALSE when the radio lost it. */
static gboolean
send_request (FfMeterCoapClient *client, coap_pdu_code_t code, const guint8 *if_match,
              const char *resource, const char *query, gint64 block_num, const guint8 *data,
              gsize len)
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
  if (if_match)
    coap_add_option (pdu, COAP_OPTION_IF_MATCH, FFMETER_ETAG_SIZE, if_match);
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
    ff_meter_coap_add_block2 (pdu, (guint) block_num, FALSE, client->szx);
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

/* An answer of air_size bytes reaches the meter: its payload is the download's message event. */
static void
deliver (FfMeterCoapClient *client, const guint8 *data, gsize len, gsize air_size)
{
  client->bytes_received += air_size;
  cancel_timer (client);
  ffmeter_download_message (client->download, data, len);
  if (ffmeter_download_state (client->download) != FFMETER_DOWNLOAD_RECEIVING)
    cancel_timer (client);
  else if (!client->timer)
    start_timer (client);   /* its request is still out: a repeated start is no answer to it */
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

/* Whether an answer's ETag, when it has one, is etag. */
static gboolean
etag_is (const coap_pdu_t *pdu, const guint8 *etag)
{
  coap_opt_iterator_t iterator;
  coap_opt_t *option = coap_check_option (pdu, COAP_OPTION_ETAG, &iterator);

  return !option || (coap_opt_length (option) == FFMETER_ETAG_SIZE
                     && memcmp (coap_opt_value (option), etag, FFMETER_ETAG_SIZE) == 0);
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
  /* The package the meter has blocks of is no longer offered (RFC 7252 §5.10.8.1): its start
   * is asked for at once, with the request's timer still running, and the download begins the
   * new package from its first block. */
  if (coap_pdu_get_code (received) == COAP_RESPONSE_CODE_PRECONDITION_FAILED && client->timer)
    {
      g_autofree char *query = g_strdup_printf ("app=%u", client->app_id);

      client->bytes_received += pdu_size (received);
      (void) send_request (client, COAP_REQUEST_CODE_GET, NULL, "start", query, 0, NULL, 0);
      return COAP_RESPONSE_OK;
    }
  /* A block of another size than the meter asked for, or of another package than the ETag it
   * named (RFC 7959 §2.4), is not one of its packets. */
  if (coap_pdu_get_code (received) != COAP_RESPONSE_CODE_CONTENT
      || !coap_get_data (received, &len, &data)
      || (coap_get_block (received, COAP_OPTION_BLOCK2, &block) && block.szx != client->szx)
      || !etag_is (received, client->etag))
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
  if (!ff_meter_coap_address_parse (address, port, &server, error)
      || !(client->ctx = ff_meter_coap_context_new (&client->source, error)))
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
  ff_meter_coap_context_free (client->ctx, client->source);
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
  int szx = ff_meter_coap_block_szx (block_size);

  g_return_if_fail (szx >= 0);
  client->szx = (guint) szx;
}

void
ff_meter_coap_client_set_delay (FfMeterCoapClient *client, guint delay_ms)
{
  client->delay_ms = delay_ms;
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
  (void) send_request (client, COAP_REQUEST_CODE_GET, NULL, "start", query, 0, NULL, 0);
}

int
ff_meter_coap_client_send (FfMeterCoapClient *client, const guint8 *data, gsize len)
{
  FfMeterMessage request;
  g_autofree char *query = NULL;

  if (ffmeter_message_parse (data, len, &request) != FFMETER_PARSE_OK
      || request.type != FFMETER_MSG_REQUEST)
    return send_request (client, COAP_REQUEST_CODE_POST, NULL, NULL, NULL, -1, data, len) ? 0 : -1;
  /* A request for packet n is a GET of block n of the package resource (RFC 7959 Block2) if it
   * is still the package of that ETag, answered by its packet, or its timer runs out. */
  arm_timer (client);
  client->polling = FALSE;
  client->app_id = request.app_id;
  memcpy (client->etag, request.etag, FFMETER_ETAG_SIZE);
  query = g_strdup_printf ("app=%u&v=%u", request.app_id, request.version);
  return send_request (client, COAP_REQUEST_CODE_GET, request.etag, "pkg", query, request.seq,
                       NULL, 0) ? 0 : -1;
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
