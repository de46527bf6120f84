/* What the parts of ff-meter-coap (ff-meter-coap*.c) share: the libcoap context in a GLib main
 * context, addresses and Block2 options. Not for use outside them. */
#pragma once

#include <coap3/coap.h>

#include "ff-meter-coap.h"

G_BEGIN_DECLS

/* A libcoap context whose work is done from the thread-default main context (*source). */
coap_context_t *ff_meter_coap_context_new (GSource **source, GError **error);
void ff_meter_coap_context_free (coap_context_t *ctx, GSource *source);
gboolean ff_meter_coap_address_parse (const char *address, guint16 port, coap_address_t *out,
                                      GError **error);

/* RFC 7959's SZX of a block size (a power of two, 16 … 1024), or -1. */
int ff_meter_coap_block_szx (guint block_size);
/* A Block2 option (RFC 7959): block number, whether more follow, SZX. */
void ff_meter_coap_add_block2 (coap_pdu_t *pdu, guint num, gboolean more, guint szx);

G_END_DECLS
