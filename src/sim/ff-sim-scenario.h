/* Fault scenarios of a simulated terminal: what goes wrong, with which parameters, and how to tell
 * a trainer about it. */
#pragma once

#include <glib.h>

#include "ff-snapshot.h"

G_BEGIN_DECLS

/* The name and parameters of each, as typed after "scenario ID", are in docs/formats.md. */
typedef enum
{
  FF_SIM_FAULT_NONE,               /* none: a healthy terminal */
  FF_SIM_FAULT_WRONG_DEVICE_ID,    /* wrong-device-id [id=TEXT]: 0x8009 reports another ID */
  FF_SIM_FAULT_GPS_OFFSET,         /* gps-offset lat=ARCSEC lon=ARCSEC: it stands elsewhere */
  FF_SIM_FAULT_FILE_NAME_REFUSED,  /* file-name-refused: write activation result 2 */
  FF_SIM_FAULT_CHECKSUM_ERROR,     /* checksum-error segment=N: OP10 result 2 at the Nth segment */
  FF_SIM_FAULT_LINK_DROP,          /* link-drop after=BYTES: TCP cut after BYTES of the file */
  FF_SIM_FAULT_NEVER_BACK,         /* never-back: does not come back after a reboot */
  FF_SIM_FAULT_OLD_VERSION,        /* old-version: comes back running the old image */
  FF_SIM_FAULT_SIGNAL_DRIFT,       /* signal-drift signal=KEY percent=X: off by X % after upgrade */
  FF_SIM_FAULT_SLOW_LINK,          /* slow-link [bandwidth=BYTES_PER_S] [rtt=MS] */
  FF_SIM_FAULT_NO_ACKS,            /* no-acks: never sends S-frames, so the master's t1 expires */
  FF_SIM_FAULT_PROMPT_ACKS,        /* prompt-acks: acknowledges each batch of received frames at
                                    * once (the ack-when-drained receive policy) */
  FF_SIM_FAULT_RESET_DROP,         /* reset-drop: drops the link and reboots instead of confirming
                                    * 105 */
  FF_SIM_FAULT_SIGNAL_QUALITY,     /* signal-quality signal=KEY quality=FLAG when=upgrade|now: the
                                    * signal is sent with a quality flag (IV, NT, SB, BL, OV) */
  FF_SIM_FAULT_FINISH_HOLD,        /* finish-hold [ms=MS]: takes the 211 finish but holds its
                                    * confirmation back MS ms */
} FfSimFault;

typedef struct
{
  FfSimFault fault;
  char      *device_id;         /* WRONG_DEVICE_ID: the ID reported instead */
  double     lat_arcsec;        /* GPS_OFFSET */
  double     lon_arcsec;
  guint      segment;           /* CHECKSUM_ERROR: 1-based ordinal of the refused segment */
  guint64    after_bytes;       /* LINK_DROP */
  FfSignal   signal;            /* SIGNAL_DRIFT, SIGNAL_QUALITY */
  guint8     quality;           /* SIGNAL_QUALITY: IEC104_QUALITY_* flag */
  gboolean   from_now;          /* SIGNAL_QUALITY: at once, not only after the next upgrade */
  double     percent;
  guint64    bytes_per_second;  /* SLOW_LINK: 0 unlimited */
  guint      rtt_ms;
  guint      hold_ms;           /* FINISH_HOLD */
} FfSimScenario;

/* Parses "NAME [KEY=VALUE …]" words, e.g. {"checksum-error", "segment=3", NULL}. */
FfSimScenario *ff_sim_scenario_parse    (const char * const *words,
                                         GError            **error);
/* Reads the scenario of terminal `device_id` from a scenario key file: the group named after the
 * terminal, else the group [all]; "scenario=NAME" plus the parameters as keys. No group: none. */
FfSimScenario *ff_sim_scenario_from_key_file (GKeyFile    *file,
                                              const char  *device_id,
                                              GError     **error);
FfSimScenario *ff_sim_scenario_new_none (void);
FfSimScenario *ff_sim_scenario_copy     (const FfSimScenario *scenario);
void           ff_sim_scenario_free     (FfSimScenario       *scenario);
/* The scenario's name as typed ("checksum-error"). */
const char    *ff_sim_scenario_get_name (const FfSimScenario *scenario);
/* A translated sentence for the trainer: what the terminal will do and what the technician sees. */
char          *ff_sim_scenario_describe (const FfSimScenario *scenario);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfSimScenario, ff_sim_scenario_free)

G_END_DECLS
