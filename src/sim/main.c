/* fieldflash-sim: simulated terminals on 127.0.0.1 for training and tests, demo firmware, and
 * simulated networked terminals that run the real fieldflash-agent. */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <gio/gunixinputstream.h>
#include <locale.h>
#include <stdio.h>

#include "ff-datadir.h"
#include "ff-profile.h"
#include "ff-sim-error.h"
#include "ff-sim-firmware.h"
#include "ff-sim-fleet.h"
#include "ff-sim-networked.h"
#include "ff-sim-meters.h"

typedef struct
{
  FfSimFleet       *fleet;
  GMainLoop        *loop;
  GDataInputStream *commands;
} Simulator;

static void
print_line (FfSimFleet *fleet,
            const char *line,
            gpointer    user_data)
{
  /* Flushed line by line: tests and the trainer's terminal wait for these. */
  printf ("%s\n", line);
  fflush (stdout);
}

static void read_next_command (Simulator *sim);

static void
on_command (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Simulator *sim = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (sim->commands, result, NULL,
                                                                     &error);

  if (line == NULL)
    {
      /* End of input (or unreadable input): the terminals keep running until a signal. */
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_printerr ("%s\n", error->message);
      return;
    }
  g_strstrip (line);
  if (g_str_equal (line, "quit"))
    {
      g_main_loop_quit (sim->loop);
      return;
    }
  if (line[0] != '\0' && !ff_sim_fleet_run_command (sim->fleet, line, &error))
    {
      printf ("%s\n", error->message);
      fflush (stdout);
    }
  read_next_command (sim);
}

static void
read_next_command (Simulator *sim)
{
  g_data_input_stream_read_line_async (sim->commands, G_PRIORITY_DEFAULT, NULL, on_command, sim);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static int
make_firmware (int    argc,
               char **argv)
{
  g_autofree char *version = NULL;
  g_autofree char *vendor = NULL;
  g_autofree char *model = NULL;
  g_autofree char *output = NULL;
  gint64 size = 256 * 1024;
  const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_STRING, &version, N_("Version marker, e.g. V2.00"), "V" },
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Vendor the image is for"), "NAME" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Model the image is for"), "MODEL" },
    { "size", 0, 0, G_OPTION_ARG_INT64, &size, N_("Size of the image in bytes"), "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("File to write"), "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("— write a demo firmware image"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (version == NULL || output == NULL || size <= 0)
    {
      g_printerr ("%s\n", _("make-firmware needs --version, a positive --size and -o FILE"));
      return 2;
    }
  image = ff_sim_firmware_make (vendor != NULL ? vendor : "Fieldflash Demo",
                                model != NULL ? model : "DTU-100", version, (gsize) size, &error);
  if (image == NULL
      || !g_file_set_contents_full (output, g_bytes_get_data (image, NULL),
                                    (gssize) g_bytes_get_size (image),
                                    G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  return 0;
}

static int
simulate (int    argc,
          char **argv)
{
  g_autofree char *fleet_file = NULL;
  g_autofree char *scenario_file = NULL;
  g_autofree char *state_dir = NULL;
  g_auto(GStrv) listens = NULL;
  g_auto(GStrv) device_ids = NULL;
  g_autofree char *version = NULL;
  g_autofree char *vendor = NULL;
  g_autofree char *model = NULL;
  g_autofree char *type = NULL;
  g_autofree char *profile_name = NULL;
  g_autofree char *profile_file = NULL;
  double latitude = 30.27, longitude = 120.15;
  gint boot_ms = -1;
  gint spontaneous_ms = 5000;
  const GOptionEntry entries[] = {
    { "fleet", 0, 0, G_OPTION_ARG_FILENAME, &fleet_file, N_("Fleet file of terminals"), "FILE" },
    { "scenario", 0, 0, G_OPTION_ARG_FILENAME, &scenario_file, N_("Fault scenario file"), "FILE" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
      N_("Keep each terminal's installed image and parameters here"), "DIR" },
    { "id", 0, 0, G_OPTION_ARG_STRING_ARRAY, &device_ids,
      N_("A terminal with this device ID; repeat for more terminals"), "ID" },
    { "listen", 0, 0, G_OPTION_ARG_STRING_ARRAY, &listens,
      N_("Address of the terminal of the matching --id (default 127.0.0.1:2404; a terminal "
         "without one takes the next port)"), "HOST:PORT" },
    { "version", 0, 0, G_OPTION_ARG_STRING, &version, N_("Its software version"), "V" },
    { "lat", 0, 0, G_OPTION_ARG_DOUBLE, &latitude, N_("Its recorded latitude"), "DEG" },
    { "lon", 0, 0, G_OPTION_ARG_DOUBLE, &longitude, N_("Its recorded longitude"), "DEG" },
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Its manufacturer"), "NAME" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Its model"), "MODEL" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type, N_("Its type (DTU, FTU, TTU)"), "TYPE" },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile_name, N_("Its vendor profile"), "NAME" },
    { "profile-file", 0, 0, G_OPTION_ARG_FILENAME, &profile_file,
      N_("Its vendor profile from a file instead (format of data/profiles)"), "FILE" },
    { "boot-ms", 0, 0, G_OPTION_ARG_INT, &boot_ms,
      N_("Boot time after a reset, for every terminal (default: the profile's)"), "MS" },
    { "spontaneous-ms", 0, 0, G_OPTION_ARG_INT, &spontaneous_ms,
      N_("Mean interval of spontaneous measurements, 0 for none"), "MS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (
    _("— simulated terminals (or: make-firmware …, meters …)"));
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSimFleet) fleet = ff_sim_fleet_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GInputStream) stdin_stream = NULL;
  g_autoptr(GDataInputStream) commands = NULL;
  Simulator sim;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if ((fleet_file == NULL) == (device_ids == NULL) || (fleet_file != NULL && listens != NULL)
      || (profile_name != NULL && profile_file != NULL) || spontaneous_ms < 0)
    {
      g_printerr ("%s\n", _("Give either --fleet FILE or --id ID [--listen HOST:PORT]"));
      return 2;
    }

  g_signal_connect (fleet, "log", G_CALLBACK (print_line), NULL);
  ff_sim_fleet_set_state_dir (fleet, state_dir);
  ff_sim_fleet_set_boot_time (fleet, boot_ms);
  ff_sim_fleet_set_spontaneous_interval (fleet, (guint) spontaneous_ms);

  if (fleet_file != NULL && !ff_sim_fleet_load_file (fleet, fleet_file, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (device_ids != NULL)
    {
      g_autoptr(FfProfile) profile = NULL;
      FfSimTerminalConfig config = {
        .version = version, .vendor = vendor, .model = model, .type = type,
        .latitude = latitude, .longitude = longitude,
      };

      profile = profile_file != NULL
                  ? ff_profile_load_file (profile_file, &error)
                  : ff_profile_load (profile_name != NULL ? profile_name : FF_PROFILE_DEFAULT_NAME,
                                     &error);
      if (profile == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 2;
        }
      config.profile = profile;
      if (!ff_sim_fleet_add_terminals (fleet, &config, (const char * const *) device_ids,
                                       (const char * const *) listens, &error))
        {
          g_printerr ("%s\n", error->message);
          return g_error_matches (error, FF_SIM_ERROR, FF_SIM_ERROR_FLEET) ? 2 : 1;
        }
    }
  if (scenario_file != NULL && !ff_sim_fleet_load_scenario_file (fleet, scenario_file, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (!ff_sim_fleet_start (fleet, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  stdin_stream = g_unix_input_stream_new (0, FALSE);
  commands = g_data_input_stream_new (stdin_stream);
  sim = (Simulator) { fleet, loop, commands };
  read_next_command (&sim);
  g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  g_main_loop_run (loop);
  ff_sim_fleet_stop (fleet);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, ff_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc >= 2 && g_str_equal (argv[1], "make-firmware"))
    return make_firmware (argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "networked"))
    return ff_sim_networked_main (argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "meters"))
    return ff_sim_meters_main (argc - 1, argv + 1);
  return simulate (argc, argv);
}
