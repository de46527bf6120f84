/* The fault scenarios of a simulated terminal (ff-sim-scenario.h): where each one changes what the
 * terminal measures, reports, accepts or does, and the FAULT line it logs for the trainer. */
#include "config.h"

#include "ff-sim-terminal-private.h"

#include <glib/gi18n-lib.h>

#include "ff-quality.h"

#define ARCSEC_PER_DEGREE 3600.0

/* ---- what it measures and reports --------------------------------------------------------- */

double
ff_sim_terminal_fault_drift (FfSimTerminal *terminal,
                             FfSignal       signal,
                             double         value)
{
  if (terminal->scenario->fault == FF_SIM_FAULT_SIGNAL_DRIFT
      && terminal->scenario->signal == signal && terminal->upgraded_since_scenario)
    value *= 1.0 + terminal->scenario->percent / 100.0;
  return value;
}

guint8
ff_sim_terminal_fault_quality (FfSimTerminal *terminal,
                               FfSignal       signal)
{
  const FfSimScenario *scenario = terminal->scenario;
  gboolean flagged = scenario->fault == FF_SIM_FAULT_SIGNAL_QUALITY && scenario->signal == signal
                     && (scenario->from_now || terminal->upgraded_since_scenario);

  return flagged ? scenario->quality : 0;
}

const char *
ff_sim_terminal_fault_device_id (FfSimTerminal *terminal)
{
  if (terminal->scenario->fault != FF_SIM_FAULT_WRONG_DEVICE_ID)
    return terminal->device_id;
  ff_sim_terminal_log (terminal, _("FAULT wrong-device-id: reports the device ID %s instead of %s"),
                       terminal->scenario->device_id, terminal->device_id);
  return terminal->scenario->device_id;
}

void
ff_sim_terminal_fault_offset_position (FfSimTerminal *terminal,
                                       double        *latitude,
                                       double        *longitude)
{
  if (terminal->scenario->fault == FF_SIM_FAULT_GPS_OFFSET)
    {
      *latitude += terminal->scenario->lat_arcsec / ARCSEC_PER_DEGREE;
      *longitude += terminal->scenario->lon_arcsec / ARCSEC_PER_DEGREE;
    }
}

/* ---- the upgrade -------------------------------------------------------------------------- */

gboolean
ff_sim_terminal_fault_refuses_file_name (FfSimTerminal *terminal,
                                         const char    *name)
{
  if (terminal->scenario->fault != FF_SIM_FAULT_FILE_NAME_REFUSED)
    return FALSE;
  ff_sim_terminal_log (terminal, _("FAULT file-name-refused: refuses the file name “%s” although "
                                   "it is the one its profile names (write activation result 2)"),
                       name);
  return TRUE;
}

gboolean
ff_sim_terminal_fault_checksum_error (FfSimTerminal *terminal)
{
  const FfSimScenario *scenario = terminal->scenario;

  if (scenario->fault != FF_SIM_FAULT_CHECKSUM_ERROR
      || terminal->segments_received != scenario->segment)
    return FALSE;
  ff_sim_terminal_log (terminal, _("FAULT checksum-error: reports a checksum error at segment %u "
                                   "(write confirm result 2)"), terminal->segments_received);
  return TRUE;
}

static gboolean
drop_link_now (gpointer user_data)
{
  FfSimTerminal *terminal = user_data;

  terminal->drop_source = 0;
  ff_sim_terminal_forget_connection (terminal, FALSE);
  return G_SOURCE_REMOVE;
}

void
ff_sim_terminal_fault_link_drop (FfSimTerminal *terminal)
{
  const FfSimScenario *scenario = terminal->scenario;

  if (scenario->fault == FF_SIM_FAULT_LINK_DROP && terminal->drop_source == 0
      && terminal->file_bytes_received >= scenario->after_bytes)
    {
      ff_sim_terminal_log (terminal, _("FAULT link-drop: drops the link after %llu bytes of the "
                                       "file"), (unsigned long long) terminal->file_bytes_received);
      /* Not from inside the outstation's own callback, but before the next read: a default
       * priority idle could wait behind a steady stream of segments. */
      terminal->drop_source = ff_sim_terminal_add_timer (terminal, G_PRIORITY_HIGH, 0,
                                                          drop_link_now);
    }
}

void
ff_sim_terminal_fault_hold_finish (FfSimTerminal *terminal)
{
  if (terminal->scenario->fault == FF_SIM_FAULT_FINISH_HOLD)
    {
      /* The confirmation, and what it sends meanwhile, goes out that much later; what the master
       * sends arrives at once, so the master's acknowledgements are not delayed too (a delay
       * both ways adds to the master's t2 and trips this terminal's own t1). */
      terminal->finish_held = TRUE;
      ff_iec104_pump_hold_output (terminal->pump, terminal->scenario->hold_ms);
      ff_sim_terminal_log (terminal, _("FAULT finish-hold: holds the confirmation of 211 finish "
                                       "back for %u ms"), terminal->scenario->hold_ms);
    }
}

gboolean
ff_sim_terminal_fault_reset_drop (FfSimTerminal *terminal)
{
  if (terminal->scenario->fault != FF_SIM_FAULT_RESET_DROP)
    return FALSE;
  ff_sim_terminal_log (terminal, _("FAULT reset-drop: drops the link and reboots without "
                                   "confirming the reset (105)"));
  /* Closed now, before the pump writes the confirmation the outstation queues next; the
   * reboot itself runs outside the outstation's callback. */
  ff_iec104_pump_close (terminal->pump);
  terminal->drop_source = ff_sim_terminal_add_timer (terminal, G_PRIORITY_HIGH, 0,
                                                      ff_sim_terminal_reboot_now);
  return TRUE;
}

/* ---- the reboot --------------------------------------------------------------------------- */

gboolean
ff_sim_terminal_fault_old_version (FfSimTerminal *terminal)
{
  if (terminal->scenario->fault != FF_SIM_FAULT_OLD_VERSION)
    return FALSE;
  ff_sim_terminal_log (terminal, _("FAULT old-version: the new image did not take; still running "
                                   "%s"), terminal->version);
  return TRUE;
}

void
ff_sim_terminal_fault_announce_upgrade (FfSimTerminal *terminal)
{
  if (terminal->scenario->fault == FF_SIM_FAULT_SIGNAL_DRIFT)
    ff_sim_terminal_log (terminal, _("FAULT signal-drift: since this upgrade, %s reads %+.1f %% "
                                     "off"), _(ff_signal_get_label (terminal->scenario->signal)),
                         terminal->scenario->percent);
  if (terminal->scenario->fault == FF_SIM_FAULT_SIGNAL_QUALITY && !terminal->scenario->from_now)
    {
      g_autofree char *quality = ff_quality_describe (terminal->scenario->quality);

      ff_sim_terminal_log (terminal, _("FAULT signal-quality: since this upgrade, %s is sent as "
                                       "%s"), _(ff_signal_get_label (terminal->scenario->signal)),
                           quality);
    }
}

gboolean
ff_sim_terminal_fault_never_back (FfSimTerminal *terminal)
{
  if (terminal->scenario->fault != FF_SIM_FAULT_NEVER_BACK)
    return FALSE;
  terminal->power = POWER_DEAD;
  ff_sim_terminal_log (terminal, _("FAULT never-back: does not come back after the reboot"));
  return TRUE;
}

/* ---- the link and the scenario itself ----------------------------------------------------- */

void
ff_sim_terminal_apply_link_faults (FfSimTerminal *terminal)
{
  const FfSimScenario *scenario = terminal->scenario;
  Iec104Link *link = iec104_outstation_get_link (terminal->outstation);

  iec104_link_set_suppress_acks (link, scenario->fault == FF_SIM_FAULT_NO_ACKS);
  iec104_link_set_ack_when_drained (link, terminal->profile->iec104.ack_when_drained
                                          || scenario->fault == FF_SIM_FAULT_PROMPT_ACKS);
  if (terminal->pump == NULL)
    return;
  if (scenario->fault == FF_SIM_FAULT_SLOW_LINK)
    {
      ff_iec104_pump_set_link_emulation (terminal->pump, scenario->bytes_per_second,
                                         scenario->rtt_ms);
      ff_sim_terminal_log (terminal, _("FAULT slow-link: this connection runs at %llu bytes/s "
                                       "with a %u ms round trip"),
                           (unsigned long long) scenario->bytes_per_second, scenario->rtt_ms);
    }
  else
    ff_iec104_pump_set_link_emulation (terminal->pump, 0, 0);
  if (scenario->fault == FF_SIM_FAULT_NO_ACKS)
    ff_sim_terminal_log (terminal, _("FAULT no-acks: acknowledges nothing on this connection"));
  if (scenario->fault == FF_SIM_FAULT_PROMPT_ACKS)
    ff_sim_terminal_log (terminal, _("FAULT prompt-acks: acknowledges what it has read at once on "
                                     "this connection, not after w frames"));
}

void
ff_sim_terminal_set_scenario (FfSimTerminal       *terminal,
                              const FfSimScenario *scenario)
{
  g_autofree char *description = ff_sim_scenario_describe (scenario);

  ff_sim_scenario_free (terminal->scenario);
  terminal->scenario = ff_sim_scenario_copy (scenario);
  terminal->upgraded_since_scenario = FALSE;
  ff_sim_terminal_log (terminal, _("scenario %s: %s"), ff_sim_scenario_get_name (scenario),
                       description);
  ff_sim_terminal_apply_link_faults (terminal);
  if (scenario->fault == FF_SIM_FAULT_GPS_OFFSET)
    {
      ff_sim_terminal_log (terminal, _("FAULT gps-offset: from now on it stands %.1f″ north and "
                                       "%.1f″ east of its recorded position"),
                           scenario->lat_arcsec, scenario->lon_arcsec);
      ff_sim_terminal_log_listening (terminal);
    }
  if (scenario->fault == FF_SIM_FAULT_SIGNAL_QUALITY && scenario->from_now)
    {
      g_autofree char *quality = ff_quality_describe (scenario->quality);

      ff_sim_terminal_log (terminal, _("FAULT signal-quality: from now on %s is sent as %s"),
                           _(ff_signal_get_label (scenario->signal)), quality);
    }

  if (terminal->power == POWER_DEAD && scenario->fault != FF_SIM_FAULT_NEVER_BACK)
    {
      /* The trainer lifted "never-back": the terminal finally boots. */
      terminal->boot_source = ff_sim_terminal_add_timer (terminal, G_PRIORITY_DEFAULT,
                                                          terminal->boot_time_ms,
                                                          ff_sim_terminal_on_booted);
      terminal->power = POWER_BOOTING;
    }
}
