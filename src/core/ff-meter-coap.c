/* ff-meter-coap.c: what the platform's endpoint (ff-meter-coap-server.c) and a meter's client
 * (ff-meter-coap-client.c) share: a libcoap context driven from a GLib main context, addresses,
 * Block2 options and the DTLS keys. */
#include "config.h"

#include <coap3/coap.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "ff-meter-coap-private.h"

/* ---- A libcoap context served by the thread-default main context: its one file descriptor
 * (epoll, with libcoap's timers in it) becomes readable whenever libcoap has work. */

static gboolean
on_coap_ready (gint fd, GIOCondition condition, gpointer user_data)
{
  coap_io_process (user_data, COAP_IO_NO_WAIT);
  return G_SOURCE_CONTINUE;
}

coap_context_t *
ff_meter_coap_context_new (GSource **source, GError **error)
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

void
ff_meter_coap_context_free (coap_context_t *ctx, GSource *source)
{
  if (source)
    {
      g_source_destroy (source);
      g_source_unref (source);
    }
  if (ctx)
    coap_free_context (ctx);
}

gboolean
ff_meter_coap_address_parse (const char *address, guint16 port, coap_address_t *out,
                             GError **error)
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

/* ---- Block2 (RFC 7959) */

/* RFC 7959's SZX of a block size (a power of two, 16 … 1024), or -1. */
int
ff_meter_coap_block_szx (guint block_size)
{
  int bit = g_bit_nth_msf (block_size, -1);

  return block_size == (1u << bit) && bit >= 4 && bit <= 10 ? bit - 4 : -1;
}

/* A Block2 option (RFC 7959): block number, whether more follow, SZX. */
void
ff_meter_coap_add_block2 (coap_pdu_t *pdu, guint num, gboolean more, guint szx)
{
  guint8 value[4];

  coap_add_option (pdu, COAP_OPTION_BLOCK2,
                   coap_encode_var_safe (value, sizeof value,
                                         (num << 4) | (more ? 0x08 : 0) | szx), value);
}

/* ---- DTLS keys */

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
