/* What the parts of a simulated terminal (ff-sim-terminal*.c) share: the instance, its log and
 * the steps the fault scenarios hook into. Not for use outside them. */
#pragma once

#include "ff-sim-terminal.h"

#include "ff-iec104-pump.h"
#include "iec104.h"

G_BEGIN_DECLS

#define N_STATUS_POINTS 3

typedef enum
{
  POWER_RUNNING,  /* listening */
  POWER_BOOTING,  /* refusing connections until the boot timer fires */
  POWER_DEAD,     /* "never-back": refusing connections until the scenario changes */
} PowerState;

struct _FfSimTerminal
{
  GObject           parent_instance;

  /* What it is. */
  char             *device_id;
  char             *vendor;
  char             *model;
  char             *type;
  char             *hardware_version;
  char             *mac;
  double            latitude;
  double            longitude;
  char             *host;
  guint16           port;
  FfProfile        *profile;
  guint             boot_time_ms;
  guint             spontaneous_ms;
  char             *state_dir;

  /* What it runs. */
  GBytes           *image;
  char             *version;
  char             *checksum;
  GArray           *params;           /* Iec104Param: the writable running parameters */
  gint64            clock_offset_us;  /* set by 103: terminal time − system time */
  double            base_values[FF_N_SIGNALS];
  GRand            *rand;
  gboolean          upgraded_since_scenario;
  Iec104Point       interrogation[N_STATUS_POINTS + FF_N_SIGNALS];
  Iec104DirEntry    soe_entry;

  /* The link. */
  PowerState        power;
  GSocketService   *service;
  GMainContext     *context;          /* the thread-default one when made: its sources run there */
  Iec104Outstation *outstation;
  FfIec104Pump     *pump;
  guint             boot_source;
  guint             spontaneous_source;
  guint             drop_source;
  guint             hold_source;      /* finish-hold: the restart after a held 211 finish */

  /* The upgrade in progress. */
  gboolean          upgrade_started;
  char             *staging_name;
  GByteArray       *staging;
  guint             segments_received;
  guint64           file_bytes_received;
  GBytes           *pending_image;     /* checked at 211 finish, installed at the reboot */
  gboolean          finish_held;       /* finish-hold: the 211 finish confirmation is held back */

  FfSimScenario    *scenario;
};

/* ff-sim-terminal.c */
void      ff_sim_terminal_log             (FfSimTerminal *terminal,
                                           const char    *format,
                                           ...) G_GNUC_PRINTF (2, 3);
/* The fixed line tests and scripts wait for: where it listens and truly stands. */
void      ff_sim_terminal_log_listening   (FfSimTerminal *terminal);
void      ff_sim_terminal_forget_connection (FfSimTerminal *terminal,
                                             gboolean       flush);
gboolean  ff_sim_terminal_reboot_now      (gpointer       user_data);
/* A timer of @ms (0: as soon as possible) in the terminal's own main context, which need not be
 * the global default (the app's training runs its fleet in a thread of its own); its ID is
 * removed with ff_sim_terminal_clear_source, not g_source_remove. */
guint     ff_sim_terminal_add_timer       (FfSimTerminal *terminal,
                                           gint           priority,
                                           guint          ms,
                                           GSourceFunc    func);
void      ff_sim_terminal_clear_source    (FfSimTerminal *terminal,
                                           guint         *source_id);
gboolean  ff_sim_terminal_on_booted       (gpointer       user_data);

/* ff-sim-terminal-upgrade.c: the outstation's callbacks for the upgrade file and the 211 steps,
 * and dropping a partly received file. */
void      ff_sim_terminal_discard_staging     (FfSimTerminal *terminal);
uint8_t   ff_sim_terminal_on_begin_write      (void          *user_data,
                                               const char    *name,
                                               uint32_t       file_id,
                                               uint32_t       size);
uint8_t   ff_sim_terminal_on_write_segment    (void          *user_data,
                                               uint32_t       segment,
                                               uint32_t       offset,
                                               const uint8_t *data,
                                               size_t         len);
uint8_t   ff_sim_terminal_on_end_write        (void          *user_data);
void      ff_sim_terminal_on_abort_write      (void          *user_data);
bool      ff_sim_terminal_on_upgrade_start    (void          *user_data);
bool      ff_sim_terminal_on_upgrade_finish   (void          *user_data);
bool      ff_sim_terminal_on_upgrade_cancel   (void          *user_data);

/* ff-sim-terminal-faults.c: each returns what the terminal does otherwise (FALSE, the value
 * unchanged) when its fault is not the scenario's. */
double      ff_sim_terminal_fault_drift             (FfSimTerminal *terminal,
                                                     FfSignal       signal,
                                                     double         value);
guint8      ff_sim_terminal_fault_quality           (FfSimTerminal *terminal,
                                                     FfSignal       signal);
const char *ff_sim_terminal_fault_device_id         (FfSimTerminal *terminal);
void        ff_sim_terminal_fault_offset_position   (FfSimTerminal *terminal,
                                                     double        *latitude,
                                                     double        *longitude);
gboolean    ff_sim_terminal_fault_refuses_file_name (FfSimTerminal *terminal,
                                                     const char    *name);
gboolean    ff_sim_terminal_fault_checksum_error    (FfSimTerminal *terminal);
void        ff_sim_terminal_fault_link_drop         (FfSimTerminal *terminal);
void        ff_sim_terminal_fault_hold_finish       (FfSimTerminal *terminal);
gboolean    ff_sim_terminal_fault_reset_drop        (FfSimTerminal *terminal);
gboolean    ff_sim_terminal_fault_old_version       (FfSimTerminal *terminal);
void        ff_sim_terminal_fault_announce_upgrade  (FfSimTerminal *terminal);
gboolean    ff_sim_terminal_fault_never_back        (FfSimTerminal *terminal);
void        ff_sim_terminal_apply_link_faults       (FfSimTerminal *terminal);

G_END_DECLS
