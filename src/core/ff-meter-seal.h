/* ff-meter-seal.h: the platform's signature on what it sends a smart meter. A package (a whole app
 * image or an ffdelta1 patch) travels with a 110-byte seal after it: the app, the version and the
 * size and SHA-256 of the image it makes, signed by the platform's Ed25519 key. The meter's apply
 * step checks the seal before it installs anything, and the image it made against the sealed
 * digest: it never needs the package's manifest, only the platform's public key. */
#pragma once

#include "ff-crypto.h"

G_BEGIN_DECLS

/* "FFMS", app id (2), version (4), image size (4), image SHA-256 (32), all little-endian, then the
 * signature (64) over those 46 bytes. */
#define FF_METER_SEAL_SIZE 110

/* @payload followed by the seal of @image (the image @payload makes) for @app_id at @version. */
GBytes *ff_meter_seal   (FfKey    *key,
                         guint16   app_id,
                         guint32   version,
                         GBytes   *image,
                         GBytes   *payload,
                         GError  **error);
/* Checks the seal at the end of @sealed with the platform's public @key, and that it names @app_id
 * and @version; returns the payload before it, and the sealed image's size and SHA-256 (hex). */
GBytes *ff_meter_unseal (FfKey    *key,
                         GBytes   *sealed,
                         guint16   app_id,
                         guint32   version,
                         gsize    *image_size,
                         char    **image_sha256,
                         GError  **error);

G_END_DECLS
