/* `fieldflash-sim networked init|run|make-image|make-program`: the command line of the simulated
 * networked terminals (docs/simulator.md, "Networked terminals"). */
#include "config.h"

#include "ff-sim-networked.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ff-sim-bootloader.h"
#include "ff-sim-image.h"
#include "ff-sim-netdevice.h"

#define EXIT_USAGE 2

/* The agent's persisted states (docs/agent.md): a power cut can strike at the start of each. */
static const char *const agent_states[] = {
  "idle", "downloading", "verifying", "backing-up", "writing-slot", "setting-boot", "rebooting",
  "recovery-verifying", "recovery-writing", "recovery-restoring", "recovery-done", "health-check",
  "installing-program", "restoring-backup", "reporting", NULL
};

static int
usage_error (const char *message)
{
  g_printerr ("%s\n", message);
  return EXIT_USAGE;
}

static gboolean
parse (GOptionContext  *context,
       const GOptionEntry *entries,
       int             *argc,
       char          ***argv)
{
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (g_option_context_parse (context, argc, argv, &error))
    return TRUE;
  g_printerr ("%s\n", error->message);
  return FALSE;
}

static int
init (int    argc,
      char **argv)
{
  g_autofree char *device_id = NULL, *layout = NULL, *credentials = NULL, *platform_url = NULL;
  g_autofree char *broker_host = NULL, *kernel = NULL, *rootfs = NULL, *main_program = NULL;
  g_autofree char *updater = NULL, *query_times = NULL, *vendor = NULL, *model = NULL;
  g_autofree char *hardware = NULL;
  gint broker_port = 0;
  gint64 image_size = 0;
  const GOptionEntry entries[] = {
    { "device-id", 0, 0, G_OPTION_ARG_STRING, &device_id, N_("The terminal's device ID"), "ID" },
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, N_("Its manufacturer (Acme)"), "NAME" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Its model (DTU-3000)"), "MODEL" },
    { "hardware-version", 0, 0, G_OPTION_ARG_STRING, &hardware,
      N_("Its hardware version (HV1.0)"), "V" },
    { "layout", 0, 0, G_OPTION_ARG_STRING, &layout,
      N_("Slot layout: recovery (one slot, a recovery system) or ab (slots a and b)"), "LAYOUT" },
    { "credentials", 0, 0, G_OPTION_ARG_FILENAME, &credentials,
      N_("Its credentials (from fieldflash-platform terminals credentials), copied in"), "DIR" },
    { "broker-host", 0, 0, G_OPTION_ARG_STRING, &broker_host,
      N_("The MQTT broker's host (default 127.0.0.1)"), "HOST" },
    { "broker-port", 0, 0, G_OPTION_ARG_INT, &broker_port, N_("The MQTT broker's port"), "PORT" },
    { "platform-url", 0, 0, G_OPTION_ARG_STRING, &platform_url,
      N_("The platform's HTTPS address"), "URL" },
    { "kernel-version", 0, 0, G_OPTION_ARG_STRING, &kernel, N_("Installed kernel (V1.00)"), "V" },
    { "rootfs-version", 0, 0, G_OPTION_ARG_STRING, &rootfs, N_("Installed rootfs (V1.00)"), "V" },
    { "main-program-version", 0, 0, G_OPTION_ARG_STRING, &main_program,
      N_("Installed main program (V1.00)"), "V" },
    { "updater-version", 0, 0, G_OPTION_ARG_STRING, &updater,
      N_("Installed updater (V1.00)"), "V" },
    { "image-size", 0, 0, G_OPTION_ARG_INT64, &image_size,
      N_("Bytes of each factory slot image (65536)"), "N" },
    { "query-times", 0, 0, G_OPTION_ARG_STRING, &query_times,
      N_("Times of the agent's scheduled query, e.g. 02:30;14:30"), "TIMES" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (
    _("ROOT — create a simulated networked terminal's root directory"));
  g_autoptr(GError) error = NULL;
  FfSimNetdeviceConfig config = { 0 };

  if (!parse (context, entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2 || device_id == NULL || layout == NULL || credentials == NULL
      || broker_port <= 0 || platform_url == NULL || image_size < 0)
    return usage_error (_("networked init needs ROOT, --device-id, --layout, --credentials, "
                          "--broker-port and --platform-url"));
  if (!g_str_equal (layout, "recovery") && !g_str_equal (layout, "ab"))
    return usage_error (_("--layout is recovery or ab"));
  config = (FfSimNetdeviceConfig) {
    .root = argv[1], .device_id = device_id, .credentials = credentials,
    .vendor = vendor, .model = model, .hardware_version = hardware,
    .layout = g_str_equal (layout, "ab") ? FF_SIM_LAYOUT_AB : FF_SIM_LAYOUT_RECOVERY,
    .broker_host = broker_host, .broker_port = (guint) broker_port, .platform_url = platform_url,
    .kernel_version = kernel, .rootfs_version = rootfs, .main_program_version = main_program,
    .updater_version = updater, .image_size = (gsize) image_size, .query_times = query_times,
  };
  if (!ff_sim_netdevice_init (&config, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  return 0;
}

/* An agent fault is passed on as FIELDFLASH_AGENT_FAULT; anything else is refused here, so a typo
 * never runs a test without its fault. */
static gboolean
check_agent_fault (const char *fault)
{
  const char *value;
  guint64 bytes;

  if (g_str_equal (fault, "slot-write-error") || g_str_equal (fault, "corrupt-download")
      || g_str_equal (fault, "corrupt-download=recovery")
      || g_str_equal (fault, "power-cut-in=env-write"))
    return TRUE;
  if (g_str_has_prefix (fault, "power-cut-at="))
    return g_strv_contains (agent_states, fault + strlen ("power-cut-at="));
  if (g_str_has_prefix (fault, "power-cut-in=write-slot:"))
    {
      value = fault + strlen ("power-cut-in=write-slot:");
      return g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, &bytes, NULL);
    }
  return FALSE;
}

/* The agent: --agent, else fieldflash-agent on PATH; in a cross build's tests the emulator first
 * (FIELDFLASH_EXE_WRAPPER, as the tests start every program). */
static GStrv
agent_command (const char *agent)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *wrapper = g_getenv ("FIELDFLASH_EXE_WRAPPER");
  g_autofree char *found = agent == NULL ? g_find_program_in_path ("fieldflash-agent") : NULL;

  if (agent == NULL && found == NULL)
    return NULL;
  if (wrapper != NULL)
    {
      g_auto(GStrv) words = g_strsplit_set (wrapper, " ", -1);

      for (char **w = words; *w != NULL; w++)
        if (**w != '\0')
          g_strv_builder_add (builder, *w);
    }
  g_strv_builder_add (builder, agent != NULL ? agent : found);
  return g_strv_builder_end (builder);
}

static int
run (int    argc,
     char **argv)
{
  g_autofree char *agent = NULL;
  g_auto(GStrv) faults = NULL;
  const GOptionEntry entries[] = {
    { "agent", 0, 0, G_OPTION_ARG_FILENAME, &agent,
      N_("The fieldflash-agent program (default: the one on PATH)"), "PROGRAM" },
    { "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &faults,
      N_("A fault for this run (docs/simulator.md), e.g. power-cut-at=writing-slot"), "FAULT" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (
    _("ROOT — boot a simulated networked terminal and run its agent"));
  g_autoptr(GError) error = NULL;
  g_autoptr(FfSimNetdevice) device = NULL;
  g_auto(GStrv) command = NULL;
  FfSimBootloaderOptions options = { 0 };
  g_autoptr(GStrvBuilder) agent_faults = g_strv_builder_new ();
  g_auto(GStrv) agent_fault_list = NULL;
  g_autofree char *agent_fault = NULL;

  if (!parse (context, entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2)
    return usage_error (_("networked run needs the terminal's ROOT"));
  /* Each --fault may list several, comma-separated, as FIELDFLASH_AGENT_FAULT does. */
  for (char **f = faults; f != NULL && *f != NULL; f++)
    {
      g_auto(GStrv) parts = g_strsplit (*f, ",", -1);

      for (char **part = parts; *part != NULL; part++)
        {
          if (!check_agent_fault (*part))
            {
              g_printerr (_("Unknown fault “%s” (see docs/simulator.md)\n"), *part);
              return EXIT_USAGE;
            }
          g_strv_builder_add (agent_faults, *part);
        }
    }
  agent_fault_list = g_strv_builder_end (agent_faults);
  if (agent_fault_list[0] != NULL)
    options.agent_fault = agent_fault = g_strjoinv (",", agent_fault_list);
  command = agent_command (agent);
  if (command == NULL)
    return usage_error (_("fieldflash-agent is not on PATH: give --agent PROGRAM"));
  device = ff_sim_netdevice_load (argv[1], &error);
  if (device == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  options.agent_argv = (const char * const *) command;
  return ff_sim_bootloader_run (device, &options);
}

static int
make_image (int    argc,
            char **argv)
{
  g_autofree char *kind = NULL, *version = NULL, *output = NULL;
  gint64 size = 65536;
  gboolean unhealthy = FALSE;
  const GOptionEntry entries[] = {
    { "kind", 0, 0, G_OPTION_ARG_STRING, &kind, N_("kernel or rootfs"), "KIND" },
    { "version", 0, 0, G_OPTION_ARG_STRING, &version, N_("Its version"), "V" },
    { "size", 0, 0, G_OPTION_ARG_INT64, &size, N_("Bytes of its body (65536)"), "N" },
    { "unhealthy", 0, 0, G_OPTION_ARG_NONE, &unhealthy,
      N_("A system that boots but fails its health check"), NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("File to write"), "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (
    _("— write a simulated kernel or rootfs image"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = NULL;

  if (!parse (context, entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1 || kind == NULL || version == NULL || output == NULL || size < 0)
    return usage_error (_("networked make-image needs --kind, --version and -o FILE"));
  image = ff_sim_image_make (kind, version, (gsize) size, !unhealthy, &error);
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
make_program (int    argc,
              char **argv)
{
  g_autofree char *kind = NULL, *version = NULL, *output = NULL, *script = NULL;
  gboolean unhealthy = FALSE;
  const GOptionEntry entries[] = {
    { "kind", 0, 0, G_OPTION_ARG_STRING, &kind, N_("main-program or updater"), "KIND" },
    { "version", 0, 0, G_OPTION_ARG_STRING, &version, N_("Its version"), "V" },
    { "unhealthy", 0, 0, G_OPTION_ARG_NONE, &unhealthy, N_("A program that fails to start"),
      NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("File to write"), "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (
    _("— write a simulated main program or updater"));
  g_autoptr(GError) error = NULL;

  if (!parse (context, entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1 || kind == NULL || version == NULL || output == NULL)
    return usage_error (_("networked make-program needs --kind, --version and -o FILE"));
  if (!g_str_equal (kind, "main-program") && !g_str_equal (kind, "updater"))
    return usage_error (_("--kind is main-program or updater"));
  if (!ff_sim_image_check_version (version, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_USAGE;
    }
  script = ff_sim_netdevice_program (kind, version, !unhealthy);
  if (!g_file_set_contents_full (output, script, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0755, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  return 0;
}

int
ff_sim_networked_main (int    argc,
                       char **argv)
{
  static const struct
  {
    const char *verb;
    int       (*run) (int, char **);
  } verbs[] = {
    { "init", init }, { "run", run }, { "make-image", make_image },
    { "make-program", make_program },
  };

  for (guint i = 0; argc >= 2 && i < G_N_ELEMENTS (verbs); i++)
    if (g_str_equal (argv[1], verbs[i].verb))
      return verbs[i].run (argc - 1, argv + 1);
  return usage_error (_("Usage: fieldflash-sim networked init|run|make-image|make-program …"));
}
