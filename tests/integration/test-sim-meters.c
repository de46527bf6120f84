/* test-sim-meters.c: `fieldflash-sim meters` against a CoAP endpoint on 127.0.0.1 in this process:
 * three meters upgrade their app through a link that loses 20 % of what they send, each packet
 * reaching each meter once but for a packet in flight; a second run on the same flash takes a delta
 * patch to the next version over a link that delays every answer. A meter over DTLS on a link so
 * slow that its handshake outlasts the cycle's window upgrades in one cycle. */
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ff-delta.h"
#include "ff-meter-coap.h"
#include "ff-test-fixtures.h"
#include "ff-test-udp-relay.h"

#define APP 5
/* fieldflash-sim meters' run at native speed (ff_test_deadline_s scales it). */
#define RUN_DEADLINE_S 120
#define METERS 3
#define BLOCK 64
#define PACKET FFMETER_BLOCK_PACKET_DATA (BLOCK)

static GBytes *
image (guint version)
{
  gsize size = 3000 + version * 10;
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i % 11 == 0 ? version * 7 + i / 11 : i * 3 + (i >> 8));
  return g_bytes_new_take (data, size);
}

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Runs the meters (count of them, then more options, NULL-terminated) to the end while this
 * process serves them; returns their output lines. */
static char **
run_meters (FfMeterCoapServer *server, const char *dir, const char *image_path, const char *count,
            const char *cycles, ...)
{
  g_autofree char *program = g_build_filename (g_getenv ("FIELDFLASH_BUILDDIR"), "src", "sim",
                                               "fieldflash-sim", NULL);
  g_autofree char *platform = g_strdup_printf ("127.0.0.1:%u",
                                               ff_meter_coap_server_get_port (server));
  const char *args[] = {
    "meters", "--platform", platform, "--state-dir", dir, "--count", count,
    "--app", G_STRINGIFY (APP), "--image", image_path, "--version", "1",
    "--block-size", G_STRINGIFY (BLOCK), "--cycles", cycles, "--reply-timeout", "1000", NULL
  };
  g_autoptr(GPtrArray) argv = ff_test_command (program, args);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *out = NULL;
  const char *option;
  va_list options;
  guint watchdog;

  va_start (options, cycles);
  while ((option = va_arg (options, const char *)))
    g_ptr_array_add (argv, (gpointer) option);
  va_end (options);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated, &result);
  watchdog = ff_test_watchdog_add (RUN_DEADLINE_S, "fieldflash-sim meters' end");
  while (!result)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (watchdog);
  g_assert_true (g_subprocess_communicate_utf8_finish (process, result, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_test_message ("%s", out);
  return g_strsplit (g_strchomp (out), "\n", -1);
}

static void
assert_meters_at (char **lines, guint version)
{
  g_autofree char *expected = g_strdup_printf ("app %u version %u running;", APP, version);

  g_assert_cmpuint (g_strv_length (lines), ==, METERS);
  for (guint i = 0; i < METERS; i++)
    {
      g_autofree char *id = g_strdup_printf ("M%04u: ", i + 1);

      g_assert_true (g_str_has_prefix (lines[i], id));
      g_assert_nonnull (strstr (lines[i], expected));
    }
}

/* Every meter got every packet; none was sent again but for one in flight per meter. */
static void
assert_packets_once (FfMeterCoapServer *server, gsize package_size)
{
  guint packets = (guint) ((package_size + PACKET - 1) / PACKET), total = 0;

  for (guint seq = 0; seq < packets; seq++)
    {
      guint count = ff_meter_coap_server_get_packet_count (server, APP, BLOCK, (guint16) seq);

      g_assert_cmpuint (count, >=, METERS);
      total += count;
    }
  g_assert_cmpuint (total, <=, packets * METERS + METERS);
}

static void
test_fleet_upgrades (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ff-sim-meters-XXXXXX", &error);
  g_autofree char *v1_path = NULL;
  g_autoptr(GBytes) v1 = image (1), v2 = image (2), v3 = image (3), patch = NULL;
  g_autoptr(FfMeterCoapServer) server = NULL;
  g_auto(GStrv) first = NULL, second = NULL;

  g_assert_no_error (error);
  v1_path = g_build_filename (dir, "app-v1.bin", NULL);
  g_assert_true (g_file_set_contents (v1_path, g_bytes_get_data (v1, NULL),
                                      (gssize) g_bytes_get_size (v1), NULL));

  /* A whole image, 20 % of the meters' messages lost. */
  server = ff_meter_coap_server_new ("127.0.0.1", 0, &error);
  g_assert_no_error (error);
  ff_meter_coap_server_offer (server, APP, 2, FFMETER_KIND_IMAGE, FFMETER_APP_RESIDENT, v2);
  first = run_meters (server, dir, v1_path, G_STRINGIFY (METERS), "8", "--loss", "0.2", NULL);
  assert_meters_at (first, 2);
  assert_packets_once (server, g_bytes_get_size (v2));
  g_assert_nonnull (strstr (first[0], "wake-ups 8"));

  /* The meters' flash kept version 2: a patch from it to version 3 is applied beside it. */
  patch = ff_delta_make (v2, v3, &error);
  g_assert_no_error (error);
  g_clear_pointer (&server, ff_meter_coap_server_free);
  server = ff_meter_coap_server_new ("127.0.0.1", 0, &error);
  g_assert_no_error (error);
  ff_meter_coap_server_offer (server, APP, 3, FFMETER_KIND_FFDELTA1, FFMETER_APP_RESIDENT, patch);
  second = run_meters (server, dir, v1_path, G_STRINGIFY (METERS), "1", "--delay", "50", NULL);
  assert_meters_at (second, 3);
  assert_packets_once (server, g_bytes_get_size (patch));
  /* On a link that delays every answer by 50 ms, each meter's radio was on for at least its start
   * and every packet's delay. */
  for (guint i = 0; i < METERS; i++)
    {
      const char *radio = strstr (second[i], "radio on ");

      g_assert_nonnull (radio);
      g_assert_cmpuint (g_ascii_strtoull (radio + strlen ("radio on "), NULL, 10), >=,
                        (1 + (g_bytes_get_size (patch) + PACKET - 1) / PACKET) * 50);
    }

  ff_test_remove_tree (dir);
}

#define M0001_KEY "4d30303031277320736563726574206b"   /* 16 bytes in hexadecimal */

static GBytes *
meter_key (const char *meter_id, gpointer user_data)
{
  return g_str_equal (meter_id, "M0001") ? ff_meter_coap_psk_from_hex (M0001_KEY) : NULL;
}

/* Every datagram of the platform's reaches the meter 400 ms late: the DTLS handshake's three round
 * trips and the poll's take longer than the meter's reply timeout (1 s), which is also the cycle's
 * window, each of them well within it. The meter waits for its poll's answer past the window, as
 * its radio is on until then, and upgrades in its one cycle with nothing unanswered. */
static void
test_slow_dtls_handshake (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ff-sim-meters-XXXXXX", &error);
  g_autofree char *keys = NULL, *key_path = NULL, *v1_path = NULL, *dtls_port = NULL;
  g_autoptr(GBytes) v1 = image (1);
  g_autoptr(GBytes) v2 = g_bytes_new_static ("version 2", 9);   /* one packet: one slow answer */
  g_autoptr(FfMeterCoapServer) server = NULL;
  g_autoptr(FfTestUdpRelay) relay = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_no_error (error);
  v1_path = g_build_filename (dir, "app-v1.bin", NULL);
  g_assert_true (g_file_set_contents (v1_path, g_bytes_get_data (v1, NULL),
                                      (gssize) g_bytes_get_size (v1), NULL));
  keys = g_build_filename (dir, "keys", NULL);
  g_assert_cmpint (g_mkdir (keys, 0700), ==, 0);
  key_path = g_build_filename (keys, "M0001.psk", NULL);
  g_assert_true (g_file_set_contents (key_path, M0001_KEY "\n", -1, NULL));

  server = ff_meter_coap_server_new ("127.0.0.1", 0, &error);
  g_assert_no_error (error);
  ff_meter_coap_server_set_key_func (server, meter_key, NULL);
  g_assert_true (ff_meter_coap_server_listen_dtls (server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  ff_meter_coap_server_offer (server, APP, 2, FFMETER_KIND_IMAGE, FFMETER_APP_RESIDENT, v2);
  relay = ff_test_udp_relay_new (ff_meter_coap_server_get_dtls_port (server));
  ff_test_udp_relay_set_delay (relay, 400);
  dtls_port = g_strdup_printf ("%u", ff_test_udp_relay_get_port (relay));
  lines = run_meters (server, dir, v1_path, "1", "1", "--psk-dir", keys, "--dtls-port", dtls_port,
                      NULL);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_true (g_str_has_prefix (lines[0],
                                   "M0001: app " G_STRINGIFY (APP) " version 2 running;"));
  g_assert_nonnull (strstr (lines[0], " wake-ups 1,"));
  g_assert_true (g_str_has_suffix (lines[0], "refused 0, unanswered 0"));

  ff_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim-meters/fleet-upgrades", test_fleet_upgrades);
  g_test_add_func ("/sim-meters/slow-dtls-handshake", test_slow_dtls_handshake);
  return g_test_run ();
}
