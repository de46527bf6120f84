/* Vendor profiles: data/profiles/NAME.ini read into an Iec104Profile plus Fieldflash's settings. */
#pragma once

#include <glib.h>

#include "ff-snapshot.h"
#include "iec104-profile.h"

G_BEGIN_DECLS

#define FF_PROFILE_ERROR (ff_profile_error_quark ())

typedef enum
{
  FF_PROFILE_ERROR_NOT_FOUND, /* no data/profiles/NAME.ini, or the name is not a plain name */
  FF_PROFILE_ERROR_INVALID,   /* the file exists but a key is missing, malformed or out of range */
} FfProfileError;

/* How a terminal computes the "software version checksum" it reports in parameter 0x8006 over
 * the image it runs. The text form is what the terminal sends, and what ff_profile_compute_checksum
 * returns. */
typedef enum
{
  FF_CHECKSUM_CRC32, /* "crc32": zlib crc32 of the whole image, 8 uppercase hex digits "1A2B3C4D" */
  FF_CHECKSUM_SUM16, /* "sum16": sum of all bytes modulo 65536, 4 uppercase hex digits "0F3A" */
} FfChecksumAlgorithm;

/* The delta patch format a terminal applies in place of a full image (the profile's "delta" key). */
typedef enum
{
  FF_DELTA_FORMAT_NONE,       /* full images only: the default */
  FF_DELTA_FORMAT_FFDELTA1,   /* "ffdelta1": Fieldflash delta patches, format 1 (docs/delta.md) */
} FfDeltaFormat;

/* The name used when no profile is given: the generic State Grid profile. */
#define FF_PROFILE_DEFAULT_NAME "state-grid"

/* A loaded profile. Immutable once loaded and reference counted, so a connection, a workflow and
 * a simulated terminal can share one. */
typedef struct
{
  char               *name;          /* file stem: "state-grid" */
  char               *title;         /* human name from the file: "State Grid generic" */
  Iec104Profile       iec104;        /* every protocol setting (link, 210/211, IOA ranges) */
  guint32             signal_ioa[FF_N_SIGNALS];  /* measurement IOA of each of the four signals */
  char               *signal_unit[FF_N_SIGNALS]; /* the unit the terminal reports: "V", "A", "°C" */
  FfChecksumAlgorithm checksum;      /* algorithm behind parameter 0x8006 */
  guint               reboot_time_ms; /* how long the terminal takes to boot after an upgrade: the
                                       * simulator's default boot time, and what a UI shows as the
                                       * expected wait; iec104.reboot_wait_ms is the limit */
  FfDeltaFormat       delta;         /* what the terminal takes instead of a full image, if any */
} FfProfile;

GQuark        ff_profile_error_quark        (void);

/* Loads FF_DATADIR/profiles/NAME.ini (see ff-datadir.h). NAME is a plain name such as
 * "state-grid"; no path separators. Every key is optional and falls back to the State Grid
 * default (iec104_profile_init_state_grid), but a present key must be valid. */
FfProfile    *ff_profile_load               (const char   *name,
                                             GError      **error);
/* Loads a profile from any file (the name is the file's stem). Used by tests and by
 * `--profile-file` options. */
FfProfile    *ff_profile_load_file          (const char   *path,
                                             GError      **error);
/* The State Grid defaults without reading a file. */
FfProfile    *ff_profile_new_default        (void);
/* The names of the shipped profiles, sorted ("state-grid", "sojo" ...). */
GStrv         ff_profile_list_names         (void);

FfProfile    *ff_profile_ref                (FfProfile    *profile);
void          ff_profile_unref              (FfProfile    *profile);

/* The 0x8006 checksum the terminal will report once it runs `image`. */
char         *ff_profile_compute_checksum   (const FfProfile *profile,
                                             GBytes          *image);
/* Which of the four signals lives at `ioa`; FALSE if none does. */
gboolean      ff_profile_signal_for_ioa     (const FfProfile *profile,
                                             guint32          ioa,
                                             FfSignal        *signal);

gboolean      ff_checksum_algorithm_from_string (const char          *text,
                                                 FfChecksumAlgorithm *algorithm);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfProfile, ff_profile_unref)

G_END_DECLS
