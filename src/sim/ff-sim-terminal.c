/* One simulated terminal: drives an iec104 outstation on its own TCP port, serves information
 * parameters, measurements with noise, files and the 211/210/211/105 upgrade, reboots into the new
 * image and persists it. The upgrade file and the 211 steps are in ff-sim-terminal-upgrade.c, the
 * faults of its scenario in ff-sim-terminal-faults.c. */
#include "config.h"

#include "ff-sim-terminal.h"

#include "ff-sim-terminal-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "ff-sim-error.h"
#include "ff-sim-firmware.h"
#include "ff-sim-state.h"

/* The image a terminal runs before anything was ever installed. */
#define FACTORY_IMAGE_SIZE (64 * 1024)
#define N_RUNNING_PARAMS 3
#define NOISE_FRACTION 0.002
#define SOE_FILE_NAME "soe.msg"

G_DEFINE_FINAL_TYPE (FfSimTerminal, ff_sim_terminal, G_TYPE_OBJECT)

enum
{
  SIGNAL_LOG,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean start_listening (FfSimTerminal *terminal, GError **error);

void
ff_sim_terminal_log (FfSimTerminal *terminal,
                     const char    *format,
                     ...)
{
  g_autofree char *message = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  line = g_strdup_printf ("terminal %s: %s", terminal->device_id, message);
  g_signal_emit (terminal, signals[SIGNAL_LOG], 0, line);
}

/* ---- what it runs ------------------------------------------------------------------------- */

static gboolean
install_image (FfSimTerminal  *terminal,
               GBytes         *image,
               GError        **error)
{
  g_auto(FfSimFirmwareInfo) info = { NULL };

  if (!ff_sim_firmware_inspect (image, &info, error))
    return FALSE;
  g_clear_pointer (&terminal->image, g_bytes_unref);
  terminal->image = g_bytes_ref (image);
  g_free (terminal->version);
  terminal->version = g_steal_pointer (&info.version);
  g_free (terminal->checksum);
  terminal->checksum = ff_profile_compute_checksum (terminal->profile, image);
  return TRUE;
}

static void
init_running_params (FfSimTerminal *terminal)
{
  guint32 first = terminal->profile->iec104.running_param_ioa_first;
  Iec104Param param;

  /* Heartbeat period (s), telemetry deadband (‰) and the SOE buffer size: typical settings a
   * master station writes with 203. */
  iec104_param_set_uint (&param, first, IEC104_TAG_UINT16, 30);
  g_array_append_val (terminal->params, param);
  iec104_param_set_uint (&param, first + 1, IEC104_TAG_UINT16, 5);
  g_array_append_val (terminal->params, param);
  iec104_param_set_uint (&param, first + 2, IEC104_TAG_UINT32, 1024);
  g_array_append_val (terminal->params, param);
}

static Iec104Param *
find_running_param (FfSimTerminal *terminal,
                    guint32        ioa)
{
  for (guint i = 0; i < terminal->params->len; i++)
    if (g_array_index (terminal->params, Iec104Param, i).ioa == ioa)
      return &g_array_index (terminal->params, Iec104Param, i);
  return NULL;
}

static gboolean
load_state (FfSimTerminal  *terminal,
            const char     *version,
            GError        **error)
{
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GArray) saved = g_array_new (FALSE, FALSE, sizeof (Iec104Param));

  if (terminal->state_dir != NULL)
    {
      image = ff_sim_state_load_image (terminal->state_dir, terminal->device_id, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!ff_sim_state_load_params (terminal->state_dir, terminal->device_id, saved, error))
        return FALSE;
    }
  if (image == NULL)
    image = ff_sim_firmware_make (terminal->vendor, terminal->model, version, FACTORY_IMAGE_SIZE,
                                  error);
  if (image == NULL || !install_image (terminal, image, error))
    return FALSE;

  for (guint i = 0; i < saved->len; i++)
    {
      Iec104Param *loaded = &g_array_index (saved, Iec104Param, i);
      Iec104Param *known = find_running_param (terminal, loaded->ioa);

      if (known != NULL)
        *known = *loaded;
    }
  return TRUE;
}

static void
save_state (FfSimTerminal *terminal)
{
  g_autoptr(GError) error = NULL;

  if (terminal->state_dir == NULL)
    return;
  if (!ff_sim_state_save_image (terminal->state_dir, terminal->device_id, terminal->image, &error)
      || !ff_sim_state_save_params (terminal->state_dir, terminal->device_id,
                                    (const Iec104Param *) terminal->params->data,
                                    terminal->params->len, &error))
    ff_sim_terminal_log (terminal, _("cannot save its state: %s"), error->message);
}

/* ---- measurements ------------------------------------------------------------------------- */

static void
init_measurements (FfSimTerminal *terminal)
{
  /* A 10 kV feeder seen through its PT/CT, a 24 V station battery, a cabinet in the sun; each
   * terminal a little different so a fleet does not look cloned. */
  static const double typical[FF_N_SIGNALS] = { 10500.0, 120.0, 24.5, 28.0 };

  for (guint s = 0; s < FF_N_SIGNALS; s++)
    terminal->base_values[s] = typical[s] * g_rand_double_range (terminal->rand, 0.95, 1.05);
}

static float
measure (FfSimTerminal *terminal,
         FfSignal       signal)
{
  double value = terminal->base_values[signal];

  value *= 1.0 + g_rand_double_range (terminal->rand, -NOISE_FRACTION, NOISE_FRACTION);
  return (float) ff_sim_terminal_fault_drift (terminal, signal, value);
}

static void
measurement_point (FfSimTerminal *terminal,
                   FfSignal       signal,
                   Iec104Point   *point)
{
  iec104_point_init_float (point, terminal->profile->signal_ioa[signal],
                           measure (terminal, signal),
                           ff_sim_terminal_fault_quality (terminal, signal));
}

/* ---- outstation callbacks ----------------------------------------------------------------- */

static size_t
on_interrogation_points (void               *user_data,
                         const Iec104Point **points)
{
  FfSimTerminal *terminal = user_data;
  Iec104Point *gi = terminal->interrogation;
  guint32 status = terminal->profile->iec104.status_ioa_first;

  /* Breaker closed, remote mode on, no battery alarm. */
  iec104_point_init_single (&gi[0], status, true, 0);
  iec104_point_init_single (&gi[1], status + 1, true, 0);
  iec104_point_init_single (&gi[2], status + 2, false, 0);
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    measurement_point (terminal, s, &gi[N_STATUS_POINTS + s]);
  ff_sim_terminal_log (terminal, _("answers a general interrogation"));
  *points = gi;
  return G_N_ELEMENTS (terminal->interrogation);
}

static const char *
info_string (FfSimTerminal *terminal,
             guint32        ioa)
{
  switch (ioa)
    {
    case 0x8001: return terminal->type;
    case 0x8002: return "SylixOS 2.0";
    case 0x8003: return terminal->vendor;
    case 0x8004: return terminal->hardware_version;
    case 0x8005: return terminal->version;
    case 0x8006: return terminal->checksum;
    case 0x8007: return "DL/T634.5104-2009";
    case 0x8008: return terminal->model;
    case 0x8009: return ff_sim_terminal_fault_device_id (terminal);
    case 0x800A: return terminal->mac;
    default: return NULL;
    }
}

static bool
on_read_param (void        *user_data,
               uint16_t     sn,
               uint32_t     ioa,
               Iec104Param *param)
{
  FfSimTerminal *terminal = user_data;
  const char *text = info_string (terminal, ioa);
  Iec104Param *running;

  if (text != NULL)
    return iec104_param_set_string (param, ioa, text) == IEC104_OK;
  running = find_running_param (terminal, ioa);
  if (running == NULL)
    return false;
  *param = *running;
  return true;
}

static size_t
on_list_params (void     *user_data,
                uint16_t  sn,
                uint32_t *ioas,
                size_t    capacity)
{
  FfSimTerminal *terminal = user_data;
  size_t n = 0;

  for (guint32 ioa = 0x8001; ioa <= 0x800A && n < capacity; ioa++)
    ioas[n++] = ioa;
  for (guint i = 0; i < terminal->params->len && n < capacity; i++)
    ioas[n++] = g_array_index (terminal->params, Iec104Param, i).ioa;
  return n;
}

static bool
on_write_params (void              *user_data,
                 uint16_t           sn,
                 const Iec104Param *params,
                 size_t             n_params)
{
  FfSimTerminal *terminal = user_data;

  for (size_t i = 0; i < n_params; i++)
    {
      Iec104Param *known = find_running_param (terminal, params[i].ioa);

      if (known == NULL || known->tag != params[i].tag || known->len != params[i].len)
        {
          ff_sim_terminal_log (terminal, _("refuses to write parameter 0x%04X (not writable)"),
                               params[i].ioa);
          return false;
        }
    }
  for (size_t i = 0; i < n_params; i++)
    *find_running_param (terminal, params[i].ioa) = params[i];
  ff_sim_terminal_log (terminal, _("stores %u written parameters"), (guint) n_params);
  save_state (terminal);
  return true;
}

static void
to_cp56 (GDateTime      *time,
         Iec104Cp56Time *cp56)
{
  memset (cp56, 0, sizeof *cp56);
  cp56->milliseconds = (uint16_t) (g_date_time_get_second (time) * 1000
                                   + g_date_time_get_microsecond (time) / 1000);
  cp56->minute = (uint8_t) g_date_time_get_minute (time);
  cp56->hour = (uint8_t) g_date_time_get_hour (time);
  cp56->day = (uint8_t) g_date_time_get_day_of_month (time);
  cp56->weekday = (uint8_t) g_date_time_get_day_of_week (time);
  cp56->month = (uint8_t) g_date_time_get_month (time);
  cp56->year = (uint8_t) (g_date_time_get_year (time) % 100);
}

static void
on_clock_read (void           *user_data,
               Iec104Cp56Time *time)
{
  FfSimTerminal *terminal = user_data;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) shifted = g_date_time_add (now, terminal->clock_offset_us);

  to_cp56 (shifted, time);
}

static bool
on_clock_set (void                 *user_data,
              const Iec104Cp56Time *time)
{
  FfSimTerminal *terminal = user_data;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) set = g_date_time_new_local (2000 + time->year, time->month, time->day,
                                                    time->hour, time->minute,
                                                    time->milliseconds / 1000.0);

  if (set == NULL)
    return false;
  terminal->clock_offset_us = g_date_time_difference (set, now);
  ff_sim_terminal_log (terminal, _("clock synchronised"));
  return true;
}

static bool
on_reset_process (void    *user_data,
                  uint8_t  qrp)
{
  FfSimTerminal *terminal = user_data;

  if (ff_sim_terminal_fault_reset_drop (terminal))
    return true;
  ff_sim_terminal_log (terminal, _("reset process (105) accepted"));
  return true;
}

static const char soe_log[] =
  "2026-11-20 08:14:03.120 breaker open\n"
  "2026-11-20 08:14:05.480 breaker closed\n";

static bool
on_list_directory (void                  *user_data,
                   const char            *dir_name,
                   const Iec104DirEntry **entries,
                   size_t                *n_entries)
{
  FfSimTerminal *terminal = user_data;
  Iec104DirEntry *soe = &terminal->soe_entry;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (!g_str_equal (dir_name, terminal->profile->iec104.directory_name))
    return false;
  memset (soe, 0, sizeof *soe);
  g_strlcpy (soe->name, SOE_FILE_NAME, sizeof soe->name);
  soe->size = sizeof soe_log - 1;
  to_cp56 (now, &soe->time);
  *entries = soe;
  *n_entries = 1;
  return true;
}

static bool
on_open_read (void           *user_data,
              const char     *name,
              const uint8_t **data,
              size_t         *size)
{
  if (!g_str_equal (name, SOE_FILE_NAME))
    return false;
  *data = (const uint8_t *) soe_log;
  *size = sizeof soe_log - 1;
  return true;
}

/* Ends the TCP connection from our side; `flush` sends the last confirmation first. */
void
ff_sim_terminal_forget_connection (FfSimTerminal *terminal,
                                   gboolean       flush)
{
  if (terminal->pump == NULL)
    return;
  if (flush)
    ff_iec104_pump_close_when_flushed (terminal->pump);
  else
    ff_iec104_pump_close (terminal->pump);
  g_clear_object (&terminal->pump);
  /* Its CLOSED event stays unpolled: the next connection's open() drops it. */
  iec104_outstation_connection_lost (terminal->outstation);
}

static const Iec104OutstationCallbacks outstation_callbacks = {
  .interrogation_points = on_interrogation_points,
  .read_param = on_read_param,
  .list_params = on_list_params,
  .write_params = on_write_params,
  .clock_read = on_clock_read,
  .clock_set = on_clock_set,
  .reset_process = on_reset_process,
  .list_directory = on_list_directory,
  .open_read = on_open_read,
  .begin_write = ff_sim_terminal_on_begin_write,
  .write_segment = ff_sim_terminal_on_write_segment,
  .end_write = ff_sim_terminal_on_end_write,
  .abort_write = ff_sim_terminal_on_abort_write,
  .upgrade_start = ff_sim_terminal_on_upgrade_start,
  .upgrade_finish = ff_sim_terminal_on_upgrade_finish,
  .upgrade_cancel = ff_sim_terminal_on_upgrade_cancel,
};

/* ---- reboot ------------------------------------------------------------------------------- */

void
ff_sim_terminal_log_listening (FfSimTerminal *terminal)
{
  double latitude, longitude;
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *line = NULL;

  ff_sim_terminal_get_true_position (terminal, &latitude, &longitude);
  g_ascii_formatd (lat_text, sizeof lat_text, "%.7f", latitude);
  g_ascii_formatd (lon_text, sizeof lon_text, "%.7f", longitude);
  /* A fixed, untranslated format: tests and scripts wait for this line. */
  line = g_strdup_printf ("terminal %s listening on %s:%u (true position %s,%s)",
                          terminal->device_id, terminal->host, terminal->port, lat_text, lon_text);
  g_signal_emit (terminal, signals[SIGNAL_LOG], 0, line);
}

static void
apply_pending_image (FfSimTerminal *terminal)
{
  g_autoptr(GBytes) image = g_steal_pointer (&terminal->pending_image);
  g_autoptr(GError) error = NULL;

  if (image == NULL)
    return;
  if (ff_sim_terminal_fault_old_version (terminal))
    return;
  if (!install_image (terminal, image, &error))
    {
      ff_sim_terminal_log (terminal, _("cannot install the new image: %s"), error->message);
      return;
    }
  terminal->upgraded_since_scenario = TRUE;
  ff_sim_terminal_fault_announce_upgrade (terminal);
  save_state (terminal);
}

gboolean
ff_sim_terminal_on_booted (gpointer user_data)
{
  FfSimTerminal *terminal = user_data;
  g_autoptr(GError) error = NULL;

  terminal->boot_source = 0;
  if (ff_sim_terminal_fault_never_back (terminal))
    return G_SOURCE_REMOVE;
  if (!start_listening (terminal, &error))
    {
      terminal->power = POWER_DEAD;
      ff_sim_terminal_log (terminal, _("cannot listen again: %s"), error->message);
      return G_SOURCE_REMOVE;
    }
  terminal->power = POWER_RUNNING;
  ff_sim_terminal_log (terminal, _("back up, running %s (checksum %s)"), terminal->version,
                       terminal->checksum);
  return G_SOURCE_REMOVE;
}

static void
stop_listening (FfSimTerminal *terminal)
{
  if (terminal->service == NULL)
    return;
  g_socket_service_stop (terminal->service);
  g_socket_listener_close (G_SOCKET_LISTENER (terminal->service));
  g_clear_object (&terminal->service);
}

/* Drops the link after the confirmation went out, refuses connections for the boot time, and
 * comes back with the staged image. */
static void
reboot (FfSimTerminal *terminal)
{
  terminal->finish_held = FALSE;
  ff_sim_terminal_forget_connection (terminal, TRUE);
  stop_listening (terminal);
  terminal->power = POWER_BOOTING;
  apply_pending_image (terminal);
  ff_sim_terminal_log (terminal, _("drops the link and reboots; refuses connections for %u ms"),
                       terminal->boot_time_ms);
  terminal->boot_source = ff_sim_terminal_add_timer (terminal, G_PRIORITY_DEFAULT,
                                                      terminal->boot_time_ms,
                                                      ff_sim_terminal_on_booted);
}

gboolean
ff_sim_terminal_reboot_now (gpointer user_data)
{
  FfSimTerminal *terminal = user_data;

  terminal->drop_source = 0;
  reboot (terminal);
  return G_SOURCE_REMOVE;
}

static void
restart_after_finish (FfSimTerminal *terminal)
{
  ff_sim_terminal_clear_source (terminal, &terminal->hold_source);
  ff_sim_terminal_log (terminal, _("restarts by itself after 211 finish"));
  reboot (terminal);
}

static gboolean
on_hold_over (gpointer user_data)
{
  FfSimTerminal *terminal = user_data;

  terminal->hold_source = 0;
  restart_after_finish (terminal);
  return G_SOURCE_REMOVE;
}

/* ---- the connection ----------------------------------------------------------------------- */

static void
pump_after_step (gpointer owner)
{
  FfSimTerminal *terminal = owner;
  Iec104OutstationEvent event;

  while (iec104_outstation_poll_event (terminal->outstation, &event))
    switch (event.type)
      {
      case IEC104_OUTSTATION_EVENT_ACTIVE:
        ff_sim_terminal_log (terminal, _("data transfer started (STARTDT)"));
        break;
      case IEC104_OUTSTATION_EVENT_STOPPED:
        ff_sim_terminal_log (terminal, _("data transfer stopped (STOPDT)"));
        break;
      case IEC104_OUTSTATION_EVENT_FILE_WRITTEN:
        break;
      case IEC104_OUTSTATION_EVENT_UPGRADE_FINISHED:
        if (!terminal->profile->iec104.reboots_after_upgrade_finish)
          break;
        /* A held confirmation goes out first: the restart follows when the hold is over. */
        if (terminal->finish_held)
          {
            terminal->hold_source = ff_sim_terminal_add_timer (terminal, G_PRIORITY_DEFAULT,
                                                               terminal->scenario->hold_ms,
                                                               on_hold_over);
            break;
          }
        restart_after_finish (terminal);
        return;
      case IEC104_OUTSTATION_EVENT_RESET:
        reboot (terminal);
        return;
      case IEC104_OUTSTATION_EVENT_CLOSED:
        if (event.error == IEC104_ERROR_CONNECTION_LOST)
          ff_sim_terminal_log (terminal, _("the master closed the connection"));
        else
          ff_sim_terminal_log (terminal, _("closes the link: %s"), iec104_strerror (event.error));
        if (terminal->pump != NULL)
          {
            ff_iec104_pump_close_when_flushed (terminal->pump);
            g_clear_object (&terminal->pump);
          }
        /* The master went away while the confirmation was held: the finish was taken all the
         * same, and a terminal that restarts by itself does so now. */
        terminal->finish_held = FALSE;
        if (terminal->hold_source != 0)
          restart_after_finish (terminal);
        return;
      }
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  FfSimTerminal *terminal = user_data;

  if (terminal->pump != NULL)
    {
      /* A terminal's maintenance port serves one master at a time. */
      ff_sim_terminal_log (terminal, _("refuses a second connection while one is open"));
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, 1,
                       NULL);
  ff_sim_terminal_log (terminal, _("connection from a master"));
  ff_sim_terminal_discard_staging (terminal);
  terminal->finish_held = FALSE;
  iec104_outstation_open (terminal->outstation, ff_iec104_now_ms ());
  terminal->pump = ff_iec104_pump_new (G_IO_STREAM (connection), NULL, terminal->outstation,
                                       pump_after_step, terminal);
  ff_sim_terminal_apply_link_faults (terminal);
  return TRUE;
}

static gboolean
start_listening (FfSimTerminal  *terminal,
                 GError        **error)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (terminal->host);
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) local_error = NULL;

  if (address == NULL)
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_LISTEN,
                   _("“%s” is not an IP address"), terminal->host);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (address, terminal->port);
  terminal->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (terminal->service), socket_address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, &local_error))
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_LISTEN,
                   _("Terminal %s cannot listen on %s:%u: %s"), terminal->device_id,
                   terminal->host, terminal->port, local_error->message);
      g_clear_object (&terminal->service);
      return FALSE;
    }
  /* Port 0 asked for any port: keep the one we got, so reboots come back on it. */
  terminal->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (terminal->service, "incoming", G_CALLBACK (on_incoming), terminal);
  g_socket_service_start (terminal->service);
  return TRUE;
}

static gboolean
on_spontaneous (gpointer user_data)
{
  FfSimTerminal *terminal = user_data;
  FfSignal signal = (FfSignal) g_rand_int_range (terminal->rand, 0, FF_N_SIGNALS);
  Iec104Point point;

  if (terminal->pump != NULL
      && iec104_link_get_state (iec104_outstation_get_link (terminal->outstation))
         == IEC104_LINK_STATE_ACTIVE)
    {
      measurement_point (terminal, signal, &point);
      if (iec104_outstation_send_points (terminal->outstation, IEC104_COT_SPONTANEOUS, &point, 1,
                                         ff_iec104_now_ms ()) == IEC104_OK)
        ff_iec104_pump_flush (terminal->pump);
    }
  return G_SOURCE_CONTINUE;
}

/* ---- public ------------------------------------------------------------------------------- */

guint
ff_sim_terminal_add_timer (FfSimTerminal *terminal,
                           gint           priority,
                           guint          ms,
                           GSourceFunc    func)
{
  g_autoptr(GSource) source = g_timeout_source_new (ms);

  g_source_set_priority (source, priority);
  g_source_set_callback (source, func, terminal, NULL);
  return g_source_attach (source, terminal->context);
}

void
ff_sim_terminal_clear_source (FfSimTerminal *terminal,
                              guint         *source_id)
{
  GSource *source;

  if (*source_id == 0)
    return;
  source = g_main_context_find_source_by_id (terminal->context, *source_id);
  if (source != NULL)
    g_source_destroy (source);
  *source_id = 0;
}

FfSimTerminal *
ff_sim_terminal_new (const FfSimTerminalConfig  *config,
                     GError                    **error)
{
  g_autoptr(FfSimTerminal) terminal = g_object_new (FF_TYPE_SIM_TERMINAL, NULL);
  guint32 hash = g_str_hash (config->device_id);

  terminal->device_id = g_strdup (config->device_id);
  terminal->vendor = g_strdup (config->vendor != NULL ? config->vendor : "Fieldflash Demo");
  terminal->model = g_strdup (config->model != NULL ? config->model : "DTU-100");
  terminal->type = g_strdup (config->type != NULL ? config->type : "DTU");
  terminal->hardware_version = g_strdup (config->hardware_version != NULL ? config->hardware_version
                                                                       : "HV1.0");
  terminal->mac = g_strdup_printf ("02:46:46:%02X:%02X:%02X", hash >> 16 & 0xFF, hash >> 8 & 0xFF,
                                   hash & 0xFF);
  terminal->latitude = config->latitude;
  terminal->longitude = config->longitude;
  terminal->host = g_strdup (config->host != NULL ? config->host : "127.0.0.1");
  terminal->port = config->port;
  terminal->profile = ff_profile_ref (config->profile);
  terminal->boot_time_ms = config->boot_time_ms >= 0 ? (guint) config->boot_time_ms
                                                     : config->profile->reboot_time_ms;
  terminal->spontaneous_ms = config->spontaneous_ms;
  terminal->state_dir = g_strdup (config->state_dir);
  terminal->rand = g_rand_new_with_seed (hash);
  terminal->context = g_main_context_ref_thread_default ();
  terminal->scenario = ff_sim_scenario_new_none ();
  init_running_params (terminal);
  init_measurements (terminal);

  if (!load_state (terminal, config->version != NULL ? config->version : "V1.00", error))
    return NULL;
  terminal->outstation = iec104_outstation_new (&config->profile->iec104, &outstation_callbacks,
                                                terminal);
  if (terminal->outstation == NULL)
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_FLEET,
                   _("Terminal %s: its profile “%s” is not usable"), terminal->device_id,
                   config->profile->name);
      return NULL;
    }
  return g_steal_pointer (&terminal);
}

gboolean
ff_sim_terminal_start (FfSimTerminal  *terminal,
                       GError        **error)
{
  if (!start_listening (terminal, error))
    return FALSE;
  terminal->power = POWER_RUNNING;
  if (terminal->spontaneous_ms > 0)
    terminal->spontaneous_source = ff_sim_terminal_add_timer (terminal, G_PRIORITY_DEFAULT,
                                                              terminal->spontaneous_ms,
                                                              on_spontaneous);
  ff_sim_terminal_log_listening (terminal);
  ff_sim_terminal_log (terminal, _("runs %s (checksum %s)"), terminal->version, terminal->checksum);
  return TRUE;
}

void
ff_sim_terminal_stop (FfSimTerminal *terminal)
{
  ff_sim_terminal_clear_source (terminal, &terminal->boot_source);
  ff_sim_terminal_clear_source (terminal, &terminal->spontaneous_source);
  ff_sim_terminal_clear_source (terminal, &terminal->drop_source);
  ff_sim_terminal_clear_source (terminal, &terminal->hold_source);
  ff_sim_terminal_forget_connection (terminal, FALSE);
  stop_listening (terminal);
}

const char *
ff_sim_terminal_get_device_id (FfSimTerminal *terminal)
{
  return terminal->device_id;
}

guint16
ff_sim_terminal_get_port (FfSimTerminal *terminal)
{
  return terminal->port;
}

const char *
ff_sim_terminal_get_version (FfSimTerminal *terminal)
{
  return terminal->version;
}

void
ff_sim_terminal_get_true_position (FfSimTerminal *terminal,
                                   double        *latitude,
                                   double        *longitude)
{
  *latitude = terminal->latitude;
  *longitude = terminal->longitude;
  ff_sim_terminal_fault_offset_position (terminal, latitude, longitude);
}

static void
ff_sim_terminal_dispose (GObject *object)
{
  FfSimTerminal *terminal = FF_SIM_TERMINAL (object);

  ff_sim_terminal_stop (terminal);
  G_OBJECT_CLASS (ff_sim_terminal_parent_class)->dispose (object);
}

static void
ff_sim_terminal_finalize (GObject *object)
{
  FfSimTerminal *terminal = FF_SIM_TERMINAL (object);

  g_clear_pointer (&terminal->outstation, iec104_outstation_free);
  ff_sim_terminal_discard_staging (terminal);
  g_clear_pointer (&terminal->pending_image, g_bytes_unref);
  g_clear_pointer (&terminal->image, g_bytes_unref);
  g_clear_pointer (&terminal->params, g_array_unref);
  g_clear_pointer (&terminal->rand, g_rand_free);
  g_clear_pointer (&terminal->context, g_main_context_unref);
  g_clear_pointer (&terminal->scenario, ff_sim_scenario_free);
  g_clear_pointer (&terminal->profile, ff_profile_unref);
  g_free (terminal->device_id);
  g_free (terminal->vendor);
  g_free (terminal->model);
  g_free (terminal->type);
  g_free (terminal->hardware_version);
  g_free (terminal->mac);
  g_free (terminal->host);
  g_free (terminal->state_dir);
  g_free (terminal->version);
  g_free (terminal->checksum);
  G_OBJECT_CLASS (ff_sim_terminal_parent_class)->finalize (object);
}

static void
ff_sim_terminal_class_init (FfSimTerminalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ff_sim_terminal_dispose;
  object_class->finalize = ff_sim_terminal_finalize;

  signals[SIGNAL_LOG] = g_signal_new ("log", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ff_sim_terminal_init (FfSimTerminal *terminal)
{
  terminal->params = g_array_new (FALSE, FALSE, sizeof (Iec104Param));
}
