/* ff-sim-meters.c: `fieldflash-sim meters`: a fleet of simulated smart meters that wake in cycles,
 * fetch their app's new version from the platform over CoAP through a lossy link, and print their
 * versions and battery accounts. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>

#include "ff-address.h"
#include "ff-sim-meter.h"
#include "ff-sim-meters.h"

static gboolean
on_window_closed (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* One cycle: every meter wakes; the cycle lasts until each has had the time to hear an answer and
 * none has a poll or request out (the meters that broke off sleep until the next cycle). */
static void
run_cycle (GPtrArray *meters, guint window_ms)
{
  gboolean window_closed = FALSE;
  gboolean busy;

  for (guint i = 0; i < meters->len; i++)
    ff_sim_meter_wake (meters->pdata[i]);
  g_timeout_add (window_ms, on_window_closed, &window_closed);
  do
    {
      g_main_context_iteration (NULL, TRUE);
      busy = FALSE;
      for (guint i = 0; i < meters->len; i++)
        {
          ff_sim_meter_settle (meters->pdata[i], !window_closed);
          busy |= ff_sim_meter_busy (meters->pdata[i]);
        }
    }
  while (busy || !window_closed);
}

int
ff_sim_meters_main (int argc, char **argv)
{
  g_autofree char *platform = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *image_path = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *psk_dir = NULL;
  g_autofree char *address = NULL;
  gint count = 1, app_id = 1, version = 1, cycles = 1, timeout_ms = 500, delay_ms = 0;
  gint block_size = FF_METER_COAP_DEFAULT_BLOCK_SIZE, dtls_port = -1;
  double loss = 0;
  guint16 port = 0;
  const GOptionEntry entries[] = {
    { "platform", 0, 0, G_OPTION_ARG_STRING, &platform,
      N_("The platform's CoAP endpoint (HOST, HOST:PORT or [IPv6]:PORT; port 5683 when none is given)"), "HOST[:PORT]" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
      N_("Directory of the meters' flash (kept between runs)"), "DIR" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, N_("Number of meters"), "N" },
    { "app", 0, 0, G_OPTION_ARG_INT, &app_id, N_("The app the meters run"), "ID" },
    { "image", 0, 0, G_OPTION_ARG_FILENAME, &image_path,
      N_("The app's factory image, for a new meter"), "FILE" },
    { "version", 0, 0, G_OPTION_ARG_INT, &version, N_("The factory image's version"), "N" },
    { "loss", 0, 0, G_OPTION_ARG_DOUBLE, &loss,
      N_("Share of the meters' messages the link loses (0 to 1)"), "RATE" },
    { "delay", 0, 0, G_OPTION_ARG_INT, &delay_ms,
      N_("Milliseconds the link delays every answer"), "MS" },
    { "cycles", 0, 0, G_OPTION_ARG_INT, &cycles, N_("Number of wake-up cycles"), "N" },
    { "reply-timeout", 0, 0, G_OPTION_ARG_INT, &timeout_ms,
      N_("Milliseconds a meter waits for an answer"), "MS" },
    { "block-size", 0, 0, G_OPTION_ARG_INT, &block_size,
      N_("Bytes of a CoAP block, one packet each (16, 32 … 1024)"), "BYTES" },
    { "psk-dir", 0, 0, G_OPTION_ARG_FILENAME, &psk_dir,
      N_("Directory of the meters' DTLS keys: a meter with ID.psk (hexadecimal) uses DTLS"),
      "DIR" },
    { "dtls-port", 0, 0, G_OPTION_ARG_INT, &dtls_port,
      N_("The platform's CoAP-over-DTLS port (on the --platform address)"), "PORT" },
    { "platform-key", 0, 0, G_OPTION_ARG_FILENAME, &key_path,
      N_("The platform's public key (PEM): the meters install only packages it sealed"), "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new (_("— simulated smart meters that download their apps over CoAP"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = NULL;
  g_autoptr(FfKey) platform_key = NULL;
  g_autoptr(GPtrArray) meters = g_ptr_array_new_with_free_func ((GDestroyNotify) ff_sim_meter_free);

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  /* A --platform given is read as every program reads an address, and refused in its words. */
  if (platform != NULL
      && !ff_address_parse (platform, FF_METER_COAP_DEFAULT_PORT, &address, &port, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (!platform || !state_dir || !image_path || count < 1
      || count > 10000 || app_id < 1 || app_id > G_MAXUINT16 || version < 1 || cycles < 1
      || timeout_ms < 1 || delay_ms < 0 || loss < 0 || loss > 1 || block_size < 16
      || block_size > 1024 || (block_size & (block_size - 1)) != 0
      || (psk_dir != NULL && (dtls_port < 1 || dtls_port > G_MAXUINT16)))
    {
      g_printerr ("%s\n", _("meters needs --platform HOST[:PORT], --state-dir DIR and --image "
                            "FILE; --count, --app, --version, --cycles and --reply-timeout must "
                            "be positive, --delay not negative, --loss between 0 and 1 and "
                            "--block-size a power of two from 16 to 1024; --psk-dir needs "
                            "--dtls-port"));
      return 2;
    }
  {
    g_autoptr(GMappedFile) file = g_mapped_file_new (image_path, FALSE, &error);

    if (!file)
      {
        g_printerr ("%s\n", error->message);
        return 1;
      }
    image = g_mapped_file_get_bytes (file);
  }
  if (key_path && !(platform_key = ff_key_load_public_file (key_path, &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  for (gint i = 0; i < count; i++)
    {
      g_autofree char *id = g_strdup_printf ("M%04d", i + 1);
      g_autofree char *dir = g_build_filename (state_dir, id, NULL);
      g_autofree char *psk_name = g_strdup_printf ("%s.psk", id);
      g_autofree char *psk_path = psk_dir ? g_build_filename (psk_dir, psk_name, NULL) : NULL;
      g_autoptr(GBytes) psk = NULL;
      FfSimMeterLink link;
      FfSimMeter *meter;

      /* A meter the operator gave a key to speaks DTLS. */
      if (psk_path && g_file_test (psk_path, G_FILE_TEST_EXISTS)
          && !(psk = ff_meter_coap_read_psk_file (psk_path, &error)))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      /* Each meter's link loses its own messages. */
      link = (FfSimMeterLink) { .platform_address = address,
                                .platform_port = psk ? (guint16) dtls_port : port, .loss = loss,
                                .delay_ms = (guint) delay_ms, .seed = (guint32) i + 1,
                                .reply_timeout_ms = (guint) timeout_ms,
                                .block_size = (guint) block_size, .psk = psk,
                                .platform_key = platform_key };
      meter = ff_sim_meter_open (id, dir, &link, (guint16) app_id, (guint32) version,
                                             image, &error);

      if (!meter)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      g_ptr_array_add (meters, meter);
    }
  for (gint cycle = 0; cycle < cycles; cycle++)
    run_cycle (meters, (guint) timeout_ms);
  for (guint i = 0; i < meters->len; i++)
    {
      g_autofree char *line = ff_sim_meter_describe (meters->pdata[i]);

      printf ("%s\n", line);
    }
  fflush (stdout);
  return 0;
}
