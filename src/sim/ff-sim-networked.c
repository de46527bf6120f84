/* `fieldflash-sim networked init|run|make-image|make-program|cut-link`: the command line of the simulated
 * networked terminals (docs/simulator.md, "Networked terminals"). */
#include "config.h"

#include "ff-sim-networked.h"

#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "ff-sim-bootloader.h"
#include "ff-sim-cutlink.h"
#include "ff-sim-image.h"
#include "ff-sim-netdevice.h"
#include "ff-sim-swarm.h"

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
  /* The faults that take a count of bytes. */
  static const char * const counted[] = { "power-cut-in=write-slot:", "power-cut-in=download:",
                                          NULL };
  guint64 bytes;

  if (g_str_equal (fault, "slot-write-error") || g_str_equal (fault, "corrupt-download")
      || g_str_equal (fault, "corrupt-download=recovery")
      || g_str_equal (fault, "power-cut-in=env-write"))
    return TRUE;
  if (g_str_has_prefix (fault, "power-cut-at="))
    return g_strv_contains (agent_states, fault + strlen ("power-cut-at="));
  if (g_str_has_prefix (fault, "stop-at="))
    return g_strv_contains (agent_states, fault + strlen ("stop-at="));
  for (const char * const *prefix = counted; *prefix != NULL; prefix++)
    if (g_str_has_prefix (fault, *prefix))
      return g_ascii_string_to_unsigned (fault + strlen (*prefix), 10, 0, G_MAXINT64, &bytes,
                                         NULL);
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

/* The broker-unreachable fault: a loopback port bound but never listening (so nothing else can
 * take it and every connection is refused), and a copy of agent.conf in ROOT/run that names it. */
static GSocket *
unreachable_broker (FfSimNetdevice  *device,
                    char           **config_path,
                    GError         **error)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *text = NULL;
  g_autofree char *path = g_build_filename (device->root, "run", "agent.conf", NULL);

  if (socket == NULL || !g_socket_bind (socket, any_port, FALSE, error))
    return NULL;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return NULL;
  g_key_file_set_integer (device->settings, "agent", "broker-port",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  text = g_key_file_to_data (device->settings, NULL, NULL);
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return NULL;
  *config_path = g_steal_pointer (&path);
  return g_steal_pointer (&socket);
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
  g_autofree char *boot_fault = NULL;
  g_autofree char *agent_config = NULL;
  g_autoptr(GSocket) closed_port = NULL;
  gboolean broker_unreachable = FALSE;

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
          if (g_str_equal (*part, "broker-unreachable"))
            {
              broker_unreachable = TRUE;
              continue;
            }
          if (g_str_equal (*part, "boot-cut-in=env-write")
              || g_str_equal (*part, "boot-cut-at=env-written"))
            {
              /* The bootloader's own: its environment write torn, or cut right after it. */
              g_free (boot_fault);
              options.boot_fault = boot_fault = g_strdup (*part);
              continue;
            }
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
  if (broker_unreachable)
    {
      closed_port = unreachable_broker (device, &agent_config, &error);
      if (closed_port == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      options.agent_config = agent_config;
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

typedef struct
{
  FfSimCutLink     *link;
  GMainLoop        *loop;
  GDataInputStream *commands;
} CutLink;

static void
print_line (const char *line,
            gpointer    user_data)
{
  /* Flushed line by line: the tests wait for these. */
  printf ("%s\n", line);
  fflush (stdout);
}

static void
on_cut_link_command (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  CutLink *cut = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (cut->commands, result, NULL,
                                                                     NULL);

  /* End of input leaves the link running until a signal. */
  if (line == NULL)
    return;
  g_strstrip (line);
  if (g_str_equal (line, "quit"))
    {
      g_main_loop_quit (cut->loop);
      return;
    }
  if (g_str_equal (line, "resume"))
    ff_sim_cut_link_resume (cut->link);
  else if (line[0] != '\0')
    print_line (_("Commands: resume, quit"), NULL);
  g_data_input_stream_read_line_async (cut->commands, G_PRIORITY_DEFAULT, NULL,
                                       on_cut_link_command, cut);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static int
cut_link (int    argc,
          char **argv)
{
  gint listen_port = 0, target_port = 0;
  gint64 cut_at = 0;
  const GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_INT, &listen_port,
      N_("Port on 127.0.0.1 to listen on (0: a free one)"), "PORT" },
    { "to", 0, 0, G_OPTION_ARG_INT, &target_port, N_("Port on 127.0.0.1 to relay to"), "PORT" },
    { "cut-at", 0, 0, G_OPTION_ARG_INT64, &cut_at,
      N_("Cut the link once after this many bytes towards the clients"), "BYTES" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (
    _("— relay to a port on 127.0.0.1 and cut the link once (a download cut at N bytes)"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GInputStream) stdin_stream = g_unix_input_stream_new (0, FALSE);
  g_autoptr(GDataInputStream) commands = g_data_input_stream_new (stdin_stream);
  g_autoptr(FfSimCutLink) link = NULL;
  g_autofree char *ready = NULL;
  CutLink cut;

  if (!parse (context, entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1 || target_port <= 0 || target_port > 65535 || listen_port < 0
      || listen_port > 65535 || cut_at <= 0)
    return usage_error (_("networked cut-link needs --to PORT and a positive --cut-at BYTES"));
  link = ff_sim_cut_link_new ((guint16) listen_port, (guint16) target_port, (guint64) cut_at,
                              print_line, NULL, &error);
  if (link == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  ready = g_strdup_printf ("cut-link listening on 127.0.0.1:%u, relaying to 127.0.0.1:%d, "
                           "cut at %" G_GINT64_FORMAT " bytes",
                           ff_sim_cut_link_get_port (link), target_port, cut_at);
  print_line (ready, NULL);
  cut = (CutLink) { link, loop, commands };
  g_data_input_stream_read_line_async (commands, G_PRIORITY_DEFAULT, NULL, on_cut_link_command,
                                       &cut);
  g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  g_main_loop_run (loop);
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
    { "make-program", make_program }, { "cut-link", cut_link },
  };

  if (argc >= 2 && g_str_has_prefix (argv[1], "--swarm"))
    return ff_sim_swarm_main (argc, argv);
  for (guint i = 0; argc >= 2 && i < G_N_ELEMENTS (verbs); i++)
    if (g_str_equal (argv[1], verbs[i].verb))
      return verbs[i].run (argc - 1, argv + 1);
  return usage_error (_("Usage: fieldflash-sim networked init|run|make-image|make-program|cut-link … | "
                        "--swarm N …"));
}
