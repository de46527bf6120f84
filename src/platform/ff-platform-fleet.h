/* The changes to fleet data that the operator CLI's verbs and the web console both make, each
 * with its rules and refusals in one place: blacklist entries, withdrawing firmware, tablets. */
#pragma once

#include "ff-crypto.h"
#include "ff-platform-db.h"
#include "ff-platform-deltas.h"

G_BEGIN_DECLS

/* A firmware and the delta patches to it, as firmware list and show print them. */
typedef struct
{
  FfFirmware *firmware;
  GPtrArray  *deltas;          /* of FfFirmwareDelta */
} FfFirmwareRow;

/* Each of @firmware (taken) with the deltas to it. */
GPtrArray  *ff_platform_firmware_rows     (FfPlatformDb  *db,
                                           GPtrArray     *firmware,
                                           GError       **error);
void        ff_firmware_row_free          (FfFirmwareRow *row);

/* The one firmware of @version (by version order), narrowed by @vendor and @model (each may be
 * NULL) when several match: NOT_FOUND when none does, INVALID when several still do. */
FfFirmware *ff_platform_resolve_firmware  (FfPlatformDb  *db,
                                           const char    *version,
                                           const char    *vendor,
                                           const char    *model,
                                           GError       **error);
/* The firmware a blacklist entry for @device_id names: @version of @vendor and @model, which
 * default to the terminal's own when it is in the ledger. */
FfFirmware *ff_platform_blacklist_firmware (FfPlatformDb *db,
                                            const char   *version,
                                            const char   *device_id,
                                            const char   *vendor,
                                            const char   *model,
                                            GError      **error);
/* Keeps @firmware away from @device_id (a device ID must pass ff_name_is_safe()); CONFLICT when
 * the entry exists. */
gboolean    ff_platform_blacklist_add     (FfPlatformDb      *db,
                                           const FfFirmware  *firmware,
                                           const char        *device_id,
                                           gint64             now,
                                           GError           **error);
/* NOT_FOUND when there is no such entry. */
gboolean    ff_platform_blacklist_remove  (FfPlatformDb      *db,
                                           const FfFirmware  *firmware,
                                           const char        *device_id,
                                           GError           **error);
/* No new task may use @firmware; CONFLICT (nothing changes) when it was withdrawn before. */
gboolean    ff_platform_firmware_withdraw (FfPlatformDb      *db,
                                           const FfFirmware  *firmware,
                                           gint64             now,
                                           GError           **error);
/* The first half of "firmware add": checks @firmware's vendor, model, version, hardware
 * versions and notes (INVALID), that the version was not added before (CONFLICT), and stores the image at
 * @path, setting its sha256 and size. Nothing is recorded yet: a refused record leaves only an
 * image in the content-addressed store. */
gboolean    ff_platform_firmware_store    (FfPlatformDb      *db,
                                           const char        *data_dir,
                                           const char        *path,
                                           FfFirmware        *firmware,
                                           GError           **error);
/* For "firmware add" of a package for networked terminals (.ffpkg): its signed manifest, verified
 * with @platform_key, gives the vendor, model, version, hardware versions (comma-separated) and
 * notes. A value given already (not NULL) must be the manifest's (INVALID); the notes are the
 * manifest's only when none were given. Errors call the package @name, not @path. */
gboolean    ff_platform_package_describe  (FfKey             *platform_key,
                                           const char        *path,
                                           const char        *name,
                                           char             **vendor,
                                           char             **model,
                                           char             **version,
                                           char             **hardware,
                                           char             **notes,
                                           GError           **error);
/* The second half: records the stored @firmware (added at @now) and sets its id. */
gboolean    ff_platform_firmware_record   (FfPlatformDb      *db,
                                           FfFirmware        *firmware,
                                           gint64             now,
                                           GError           **error);
/* Called for each delta patch made (or found made before, or not kept) to @to from @from. */
typedef void (*FfDeltaMade) (const FfFirmware      *from,
                             const FfFirmware      *to,
                             FfDeltaOutcome         outcome,
                             const FfFirmwareDelta *delta,
                             gpointer               user_data);
/* Makes the delta patches to @to from each of @sources (FfFirmware), calling @made for each. */
gboolean    ff_platform_make_deltas       (FfPlatformDb      *db,
                                           const char        *data_dir,
                                           GPtrArray         *sources,
                                           const FfFirmware  *to,
                                           FfDeltaMade        made,
                                           gpointer           user_data,
                                           GError           **error);
/* The same from every older version of @to's model that the ledger shows in the field. */
gboolean    ff_platform_make_field_deltas (FfPlatformDb      *db,
                                           const char        *data_dir,
                                           const FfFirmware  *to,
                                           FfDeltaMade        made,
                                           gpointer           user_data,
                                           GError           **error);
/* Registers tablet @serial (in stock) with its Ed25519 public key in PEM. */
gboolean    ff_platform_handheld_add      (FfPlatformDb      *db,
                                           const char        *serial,
                                           const char        *public_key_pem,
                                           gint64             now,
                                           GError           **error);
/* A tablet's state (as stored, English: "in-stock", …) in the language people read; JSON keeps
 * the stored name. An unknown name is returned as it is. */
const char *ff_handheld_state_display     (const char        *state);
/* Retires @serial: it can no longer log in or upload. NOT_FOUND when unknown, CONFLICT when it
 * was retired before. */
gboolean    ff_platform_handheld_retire   (FfPlatformDb      *db,
                                           const char        *serial,
                                           GError           **error);

G_END_DECLS
