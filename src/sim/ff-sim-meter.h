/* ff-sim-meter.h: one simulated smart meter: meter/'s app scheduler and download on files that
 * stand for its flash, its radio on CoAP through a lossy link, and its battery account. */
#pragma once

#include <glib.h>

#include "ff-crypto.h"
#include "ff-meter-coap.h"

G_BEGIN_DECLS

typedef struct _FfSimMeter FfSimMeter;

typedef struct
{
  const char *platform_address;
  guint16     platform_port;
  double      loss;               /* share of what the meter sends that its radio loses */
  guint       delay_ms;           /* how late every answer reaches it */
  guint32     seed;
  guint       reply_timeout_ms;
  guint       block_size;         /* CoAP Block2 size the meter fetches packets in (0: 256) */
  GBytes     *psk;                /* DTLS with this pre-shared key (to platform_port); NULL: none */
  FfKey      *platform_key;       /* NULL: packages come unsealed (a platform played by a test) */
} FfSimMeterLink;

/* Opens the meter whose flash is the directory dir (made when missing); a meter that has no app
 * installed gets app_id at version from image (its factory image). */
FfSimMeter *ff_sim_meter_open (const char *id, const char *dir, const FfSimMeterLink *link,
                               guint16 app_id, guint32 version, GBytes *image, GError **error);
void ff_sim_meter_free (FfSimMeter *meter);
/* The start of a cycle: a download under way resumes, else the meter asks for a package. */
void ff_sim_meter_wake (FfSimMeter *meter);
/* The meter has a request out or waits for the answer to its poll (its radio is on). */
gboolean ff_sim_meter_busy (FfSimMeter *meter);
/* A turn of the meter's main loop: once no request is out, and its wake-up's poll was answered or
 * listening is over, its radio goes off (radio-on time ends) and a new version that became ready
 * is started, as the firmware starts its resident app. */
void ff_sim_meter_settle (FfSimMeter *meter, gboolean listening);
/* "ID: app A version V STATE; sent N B, received N B, wake-ups N, radio on N ms, refused N,
 * unanswered N" */
char *ff_sim_meter_describe (FfSimMeter *meter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfSimMeter, ff_sim_meter_free)

G_END_DECLS
