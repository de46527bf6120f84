/* serve's CoAP endpoint for smart meters: sends the commands queued in the ledger at a meter's
 * poll (an install as the package's start message and packets, a whole image or an ffdelta1 patch
 * from the installed version, whichever is smaller, sealed by the platform) and records the
 * meters' reports. */
#pragma once

#include "ff-crypto.h"
#include "ff-platform-db.h"

G_BEGIN_DECLS

typedef struct _FfMeterService FfMeterService;

/* Listens for CoAP on @address:@port (0: any free one) in the thread-default main context, and
 * for CoAP over DTLS on @dtls_port (-1: none; 0: any free one) with the meters' pre-shared keys
 * from the ledger; seals the packages it offers with @key. */
FfMeterService *ff_meter_service_start         (FfPlatformDb   *db,
                                                const char     *data_dir,
                                                FfKey          *key,
                                                const char     *address,
                                                guint16         port,
                                                gint            dtls_port,
                                                GError        **error);
guint16         ff_meter_service_get_port      (FfMeterService *service);
guint16         ff_meter_service_get_dtls_port (FfMeterService *service);
void            ff_meter_service_free     (FfMeterService *service);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfMeterService, ff_meter_service_free)

G_END_DECLS
