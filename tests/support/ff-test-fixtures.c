/* What the tests and benches share: sample tasks and reports, refused mutations, temp trees. */
#include "config.h"

#include "ff-test-fixtures.h"

#include "ff-crypto.h"
#include "ff-files.h"
#include "ff-tablet.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <string.h>
#include <zlib.h>

FfTask *
ff_test_task_new (gint64      issued_at,
                  gint64      valid_seconds,
                  const char *technician_name)
{
  FfTask *task = ff_task_new ();

  task->task_id = ff_task_make_id (FF_TEST_PHONE, issued_at, 1);
  task->issued_at = issued_at;
  task->expires_at = issued_at + valid_seconds;
  task->technician_phone = g_strdup (FF_TEST_PHONE);
  task->technician_name = g_strdup (technician_name);
  g_ptr_array_add (task->tablets, g_strdup (FF_TEST_SERIAL));
  return task;
}

FfSupervisor *
ff_test_supervisor_new (void)
{
  static char *pin_hash;

  if (pin_hash == NULL)
    {
      g_autoptr(GError) error = NULL;

      pin_hash = ff_pin_hash (FF_TEST_SUPERVISOR_PIN, &error);
      g_assert_no_error (error);
    }
  return ff_supervisor_new (FF_TEST_SUPERVISOR, pin_hash);
}

FfTaskItem *
ff_test_task_item_new (const char *device_id,
                       const char *name,
                       double      latitude,
                       double      longitude,
                       const char *host,
                       guint       port)
{
  FfTaskItem *item = ff_task_item_new ();

  item->device_id = g_strdup (device_id);
  item->name = g_strdup (name);
  item->latitude = latitude;
  item->longitude = longitude;
  item->host = g_strdup (host);
  item->port = port;
  item->common_address = 1;
  item->profile = g_strdup ("state-grid");
  item->vendor = g_strdup ("Acme");
  item->model = g_strdup ("DTU-3000");
  item->hardware_version = g_strdup ("HV1.0");
  item->expected_version = g_strdup ("V1.00");
  item->target.hardware_versions = g_strsplit ("HV1.0", ",", -1);
  return item;
}

FfReport *
ff_test_report_new (const char *task_id,
                    const char *device_id,
                    const char *serial,
                    const char *phone)
{
  FfReport *report = ff_report_new (task_id, device_id, serial, phone);

  report->outcome = FF_REPORT_OUTCOME_UPGRADED;
  report->identity.present = TRUE;
  report->identity.device_id_read = g_strdup (device_id);
  report->identity.fix_latitude = 39.91505;
  report->identity.fix_longitude = 116.40402;
  report->identity.recorded_latitude = 39.915;
  report->identity.recorded_longitude = 116.404;
  report->identity.delta_latitude_arcsec = 0.18;
  report->identity.delta_longitude_arcsec = 0.072;
  report->identity.distance_m = 5.9;
  report->identity.fix_mode = g_strdup ("3d");
  report->versions.before = g_strdup ("V1.00");
  report->versions.target = g_strdup ("V2.01");
  report->versions.after = g_strdup ("V2.01");
  report->firmware_version = g_strdup ("V2.01");
  return report;
}

void
ff_test_assert_mutations_refused (GBytes               *document,
                                  const FfTestMutation *mutations,
                                  gsize                 n_mutations,
                                  FfTestParseFunc       parse)
{
  for (gsize i = 0; i < n_mutations; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GString) mutated = g_string_new_len (g_bytes_get_data (document, NULL),
                                                     g_bytes_get_size (document));
      g_autoptr(GBytes) mutated_bytes = NULL;

      g_test_message ("case %zu: %s -> %s", i, mutations[i].from, mutations[i].to);
      g_assert_cmpuint (g_string_replace (mutated, mutations[i].from, mutations[i].to, 1), ==, 1);
      mutated_bytes = g_bytes_new (mutated->str, mutated->len);
      g_assert_null (parse (mutated_bytes, &error));
      g_assert_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID);
      g_test_message ("error: %s", error->message);
      g_assert_nonnull (strstr (error->message, mutations[i].expected));
    }
}

char *
ff_test_store_firmware (FfStore *store,
                        GBytes  *image)
{
  char *sha = ff_sha256_hex (g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  g_autofree char *partial = ff_store_get_partial_path (store, sha);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (partial, g_bytes_get_data (image, NULL),
                                      g_bytes_get_size (image), &error));
  g_assert_true (ff_store_commit_firmware (store, sha, &error));
  g_assert_no_error (error);
  return sha;
}

GPtrArray *
ff_test_command (const char        *program,
                 const char *const *args)
{
  static char **wrapper = NULL;
  GPtrArray *argv = g_ptr_array_new ();

  if (g_once_init_enter (&wrapper))
    {
      const char *text = g_getenv ("FIELDFLASH_EXE_WRAPPER");
      char **words = NULL;
      g_autoptr(GError) error = NULL;

      if (text == NULL || *text == '\0')
        words = g_new0 (char *, 1);
      else
        g_shell_parse_argv (text, NULL, &words, &error);
      g_assert_no_error (error);
      g_once_init_leave (&wrapper, words);
    }
  for (guint i = 0; wrapper[i] != NULL; i++)
    g_ptr_array_add (argv, wrapper[i]);
  g_ptr_array_add (argv, (gpointer) program);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  return argv;
}

/* A test run again in a process of its own (the longest, app-screenshots' captures, take a few
 * minutes on a loaded machine), at native speed. */
#define SUBPROCESS_TEST_SECONDS 600

char *
ff_test_run_subprocess (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *self = g_file_read_link ("/proc/self/exe", &error);
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  char *out = NULL;

  g_assert_no_error (error);
  argv = ff_test_command (self, (const char *[]) { "-q", "-p", g_test_get_path (),
                                                  "--GTestSubprocess", NULL });
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                               &error);
  g_assert_no_error (error);
  ff_test_subprocess_communicate (process, NULL, SUBPROCESS_TEST_SECONDS, g_test_get_path (), &out,
                                  NULL);
  g_test_message ("subprocess %s:\n%s", g_test_get_path (), out);
  g_assert_true (g_subprocess_get_successful (process));
  return out;
}

GSubprocess *
ff_test_hold_tablet (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autofree char *self = g_file_read_link ("/proc/self/exe", &error);
  g_autoptr(GPtrArray) argv = NULL;
  g_autofree char *line = NULL;

  g_assert_no_error (error);
  argv = ff_test_command (self, (const char *[]) { "--hold-tablet", dir, NULL });
  g_ptr_array_add (argv, NULL);
  holder = g_subprocess_newv ((const char *const *) argv->pdata,
                              G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                              &error);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (holder));
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "held");
  return g_steal_pointer (&holder);
}

void
ff_test_hold_tablet_main (int argc, char **argv)
{
  g_autoptr(FfTablet) tablet = NULL;
  g_autoptr(GError) error = NULL;
  char buffer[64];

  if (argc != 3 || g_strcmp0 (argv[1], "--hold-tablet") != 0)
    return;
  g_set_prgname ("ff-test-holder");
  tablet = ff_tablet_open (argv[2], NULL, FF_TABLET_OPEN_OR_SET_UP, &error);
  if (tablet == NULL)
    {
      g_printerr ("%s\n", error->message);
      exit (EXIT_FAILURE);
    }
  printf ("held\n");
  fflush (stdout);
  while (fgets (buffer, sizeof buffer, stdin) != NULL)
    ;
  g_clear_object (&tablet);
  exit (EXIT_SUCCESS);
}

guint16
ff_test_closed_loopback_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any_port, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* How soon gpsd is asked again whether it has opened the receiver. */
#define GPSFAKE_ASK_AGAIN_MS 20
/* gpsfake stops a second after the end of its log or input; this bounds the wait for it. */
#define GPSFAKE_END_SECONDS 30

struct _FfTestGpsfake
{
  char              *port;
  char              *log;
  guint              sentences;  /* in the log, each played for one line of input */
  guint              played;
  guint              cycle_ms;
  guint              timer;      /* the next sentence, or the next question to gpsd */
  GSubprocess       *process;
  GOutputStream     *input;
  GInputStream      *prompts;    /* gpsfake's standard output: a prompt before each sentence */
  char               prompt[256];
  gboolean           prompted;   /* gpsfake has handed gpsd the receiver (or failed to) */
  GCancellable      *reading;    /* the read of its prompts in flight */
  GCancellable      *asking;     /* the question to gpsd in flight */
  GSocketConnection *gpsd;       /* a plain client of gpsd's asking "?DEVICES;" */
  GDataInputStream  *replies;
};

/* -1 -W 1: play the log once, and a second after it runs out stop. -i: one sentence per line of
 * input, each after a prompt on the standard output. */
static void
spawn_gpsfake (FfTestGpsfake *gpsfake)
{
  g_autoptr(GError) error = NULL;

  gpsfake->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                       | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                       | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                       "gpsfake", "-q", "-i", "-1", "-W", "1", "-P", gpsfake->port,
                                       gpsfake->log, NULL);
  g_assert_no_error (error);
  gpsfake->input = g_subprocess_get_stdin_pipe (gpsfake->process);
  gpsfake->prompts = g_subprocess_get_stdout_pipe (gpsfake->process);
  gpsfake->prompted = FALSE;
  gpsfake->reading = g_cancellable_new ();
  gpsfake->asking = g_cancellable_new ();
}

FfTestGpsfake *
ff_test_gpsfake_start (const char *port,
                       const char *log_name)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  FfTestGpsfake *gpsfake = g_new0 (FfTestGpsfake, 1);

  gpsfake->port = g_strdup (port);
  gpsfake->log = g_build_filename (g_getenv ("FIELDFLASH_SOURCEDIR"), "tests", "data", log_name,
                                   NULL);
  g_assert_true (g_file_get_contents (gpsfake->log, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] == '$')
      gpsfake->sentences++;
  spawn_gpsfake (gpsfake);
  return gpsfake;
}

static void
play_lines (FfTestGpsfake *gpsfake,
            guint          count)
{
  g_autofree char *lines = g_strnfill (count, '\n');
  g_autoptr(GError) error = NULL;

  g_assert_true (g_output_stream_write_all (gpsfake->input, lines, count, NULL, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
play_one (gpointer user_data)
{
  FfTestGpsfake *gpsfake = user_data;

  play_lines (gpsfake, 1);
  if (++gpsfake->played < gpsfake->sentences)
    return G_SOURCE_CONTINUE;
  gpsfake->timer = 0;
  return G_SOURCE_REMOVE;
}

static void
start_playing (FfTestGpsfake *gpsfake)
{
  play_one (gpsfake);
  if (gpsfake->played < gpsfake->sentences)
    gpsfake->timer = g_timeout_add (gpsfake->cycle_ms, play_one, gpsfake);
}

/* Stops asking gpsd and playing; gpsfake's prompts are still read (a full pipe would stop it). */
static void
stop_asking (FfTestGpsfake *gpsfake)
{
  g_cancellable_cancel (gpsfake->asking);
  g_clear_handle_id (&gpsfake->timer, g_source_remove);
  g_clear_object (&gpsfake->replies);
  g_clear_object (&gpsfake->gpsd);
}

/* Ends gpsfake (the end of its input; it takes its gpsd down) and waits for it. */
static void
end_gpsfake (FfTestGpsfake *gpsfake)
{
  stop_asking (gpsfake);
  g_output_stream_close (gpsfake->input, NULL, NULL);
  ff_test_subprocess_wait (gpsfake->process, GPSFAKE_END_SECONDS, "gpsfake at the end of its input");
  g_cancellable_cancel (gpsfake->reading);
  g_clear_object (&gpsfake->process);
  g_clear_object (&gpsfake->reading);
  g_clear_object (&gpsfake->asking);
}

static void read_prompts (FfTestGpsfake *gpsfake);
static void ask_gpsd (FfTestGpsfake *gpsfake);

/* gpsfake hands gpsd the receiver through gpsd's control socket, but goes on without a word when
 * that connect fails (it waits only for the socket's file to appear, and gpsd binds the socket
 * before it listens); seen under load: gpsd never got a device, its log no control command. Such
 * a gpsfake is started again. */
static void
restart_gpsfake (FfTestGpsfake *gpsfake)
{
  g_test_message ("gpsfake on port %s did not hand gpsd its receiver: starting it again",
                  gpsfake->port);
  end_gpsfake (gpsfake);
  spawn_gpsfake (gpsfake);
  read_prompts (gpsfake);
}

static gboolean
ask_again (gpointer user_data)
{
  FfTestGpsfake *gpsfake = user_data;

  gpsfake->timer = 0;
  ask_gpsd (gpsfake);
  return G_SOURCE_REMOVE;
}

static void
ask_later (FfTestGpsfake *gpsfake)
{
  gpsfake->timer = g_timeout_add (GPSFAKE_ASK_AGAIN_MS, ask_again, gpsfake);
}

static void
prompt_read (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gssize size = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  FfTestGpsfake *gpsfake = user_data;  /* gone or started again when cancelled */

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || size <= 0)
    return;
  /* gpsfake prompts for its first sentence only after gpsd has answered its request to add the
   * receiver: from now on gpsd lists the receiver, unless gpsfake failed to ask. */
  if (!gpsfake->prompted)
    {
      gpsfake->prompted = TRUE;
      ask_gpsd (gpsfake);
    }
  read_prompts (gpsfake);
}

static void
read_prompts (FfTestGpsfake *gpsfake)
{
  g_input_stream_read_async (gpsfake->prompts, gpsfake->prompt, sizeof gpsfake->prompt,
                             G_PRIORITY_DEFAULT, gpsfake->reading, prompt_read, gpsfake);
}

typedef enum
{
  RECEIVER_MISSING,
  RECEIVER_CLOSED,
  RECEIVER_OPEN,
} ReceiverState;

/* What gpsd's answer to "?DEVICES;" says of the receiver (only an open device has "activated"). */
static ReceiverState
receiver_state (JsonObject *report)
{
  JsonArray *devices = json_object_get_array_member (report, "devices");
  ReceiverState state = RECEIVER_MISSING;

  for (guint i = 0; i < json_array_get_length (devices); i++)
    state = MAX (state, json_object_has_member (json_array_get_object_element (devices, i),
                                                "activated") ? RECEIVER_OPEN : RECEIVER_CLOSED);
  return state;
}

static void
reply_read (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object),
                                                                     result, NULL, &error);
  FfTestGpsfake *gpsfake = user_data;  /* gone or started again when cancelled */
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *report;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_assert_nonnull (line);  /* gpsd goes away only when gpsfake does */
  reply = json_from_string (line, &error);
  g_assert_no_error (error);
  report = json_node_get_object (reply);
  /* gpsd greets each client with a VERSION report first. */
  if (g_strcmp0 (json_object_get_string_member_with_default (report, "class", ""), "DEVICES") != 0)
    g_data_input_stream_read_line_async (gpsfake->replies, G_PRIORITY_DEFAULT, gpsfake->asking,
                                         reply_read, gpsfake);
  else
    switch (receiver_state (report))
      {
      case RECEIVER_MISSING:
        restart_gpsfake (gpsfake);
        break;
      case RECEIVER_CLOSED:  /* gpsd opens it when a client watches */
        ask_later (gpsfake);
        break;
      case RECEIVER_OPEN:
        stop_asking (gpsfake);
        start_playing (gpsfake);
        break;
      }
}

static void
gpsd_connected (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (object),
                                                                          result, &error);
  FfTestGpsfake *gpsfake = user_data;  /* gone or started again when cancelled */

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (connection == NULL)  /* a gpsfake that failed to reach gpsd may prompt before it listens */
    {
      ask_later (gpsfake);
      return;
    }
  gpsfake->gpsd = connection;
  gpsfake->replies = g_data_input_stream_new (
    g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (gpsfake->replies, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  ask_gpsd (gpsfake);
}

/* Asks gpsd which devices it has, over a connection of its own that watches nothing (so it never
 * makes gpsd open the receiver itself). */
static void
ask_gpsd (FfTestGpsfake *gpsfake)
{
  static const char question[] = "?DEVICES;\n";
  g_autoptr(GError) error = NULL;

  if (gpsfake->gpsd == NULL)
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();

      g_socket_client_connect_to_host_async (client, "127.0.0.1",
                                             (guint16) g_ascii_strtoull (gpsfake->port, NULL, 10),
                                             gpsfake->asking, gpsd_connected, gpsfake);
      return;
    }
  g_assert_true (g_output_stream_write_all (
    g_io_stream_get_output_stream (G_IO_STREAM (gpsfake->gpsd)), question, strlen (question), NULL,
    NULL, &error));
  g_assert_no_error (error);
  g_data_input_stream_read_line_async (gpsfake->replies, G_PRIORITY_DEFAULT, gpsfake->asking,
                                       reply_read, gpsfake);
}

void
ff_test_gpsfake_play (FfTestGpsfake *gpsfake,
                      guint          cycle_ms)
{
  g_assert_cmpuint (gpsfake->cycle_ms, ==, 0);
  gpsfake->cycle_ms = cycle_ms;
  read_prompts (gpsfake);
}

void
ff_test_gpsfake_end (FfTestGpsfake *gpsfake)
{
  stop_asking (gpsfake);
  /* The rest of the log, then the "# EOF" comment gpsfake plays after its last sentence. */
  play_lines (gpsfake, gpsfake->sentences - gpsfake->played + 1);
  gpsfake->played = gpsfake->sentences + 1;
}

void
ff_test_gpsfake_wait (FfTestGpsfake *gpsfake)
{
  g_assert_cmpuint (gpsfake->played, >, gpsfake->sentences);
  ff_test_subprocess_wait (gpsfake->process, GPSFAKE_END_SECONDS, "gpsfake at the end of its log");
}

void
ff_test_gpsfake_free (FfTestGpsfake *gpsfake)
{
  /* End of input ends gpsfake (and its gpsd) if the log was still playing. */
  end_gpsfake (gpsfake);
  g_free (gpsfake->port);
  g_free (gpsfake->log);
  g_free (gpsfake);
}

GBytes *
ff_test_firmware_v2_from (GBytes *v1)
{
  gsize size = g_bytes_get_size (v1);
  guint8 *image = g_memdup2 (g_bytes_get_data (v1, NULL), size);
  char *marker = g_strstr_len ((char *) image, size, "version=V1.00");
  char *crc_field = g_strstr_len ((char *) image, size, "payload-crc32=");
  gsize header_len = strlen ((char *) image) + 1;
  g_autofree char *crc = NULL;

  g_assert_nonnull (marker);
  g_assert_nonnull (crc_field);
  g_assert_cmpuint (size, >=, 20600);
  memcpy (marker, "version=V2.00", strlen ("version=V2.00"));
  for (gsize i = 20000; i < 20600; i++)
    image[i] ^= 0x5a;
  crc = g_strdup_printf ("%08X", (guint32) crc32 (0, image + header_len, size - header_len));
  memcpy (crc_field + strlen ("payload-crc32="), crc, 8);
  return g_bytes_new_take (image, size);
}

void
ff_test_remove_tree (const char *path)
{
  g_assert_no_errno (ff_remove_tree (path));
}

void
ff_test_copy_tree (const char *source,
                   const char *destination)
{
  g_autoptr(GFile) from = g_file_new_for_path (source);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GError) error = NULL;
  GFileInfo *child;

  info = g_file_query_info (from, G_FILE_ATTRIBUTE_UNIX_MODE, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                            NULL, &error);
  g_assert_no_error (error);
  if (!g_file_test (destination, G_FILE_TEST_IS_DIR))
    g_assert_no_errno (g_mkdir (destination,
                                g_file_info_get_attribute_uint32 (info, G_FILE_ATTRIBUTE_UNIX_MODE)
                                & 07777));
  children = g_file_enumerate_children (from, G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                        G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &error);
  g_assert_no_error (error);
  while ((child = g_file_enumerator_next_file (children, NULL, &error)) != NULL)
    {
      g_autoptr(GFileInfo) owned = child;
      const char *name = g_file_info_get_name (child);
      g_autofree char *child_source = g_build_filename (source, name, NULL);
      g_autofree char *child_destination = g_build_filename (destination, name, NULL);

      if (g_file_info_get_file_type (child) == G_FILE_TYPE_DIRECTORY)
        {
          ff_test_copy_tree (child_source, child_destination);
        }
      else
        {
          g_autoptr(GFile) file_from = g_file_new_for_path (child_source);
          g_autoptr(GFile) file_to = g_file_new_for_path (child_destination);

          /* All metadata: a private key's file keeps its owner-only permissions. */
          g_file_copy (file_from, file_to, G_FILE_COPY_NOFOLLOW_SYMLINKS
                       | G_FILE_COPY_ALL_METADATA, NULL, NULL, NULL, &error);
          g_assert_no_error (error);
        }
    }
  g_assert_no_error (error);
}

void
ff_test_use_language (const char *language)
{
  g_autofree char *locale_dir = g_build_filename (g_getenv ("FIELDFLASH_BUILDDIR"), "po", NULL);

  if (language == NULL)
    g_unsetenv ("LANGUAGE");
  else
    g_setenv ("LANGUAGE", language, TRUE);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

/* Set by build-aux/run-tests where the tests run emulated (qemu-user). */
#define FF_TEST_TIME_FACTOR_VARIABLE "FIELDFLASH_TEST_TIME_FACTOR"

guint
ff_test_deadline_s (guint native_s)
{
  const char *text = g_getenv (FF_TEST_TIME_FACTOR_VARIABLE);
  double factor, seconds;
  char *end;

  if (text == NULL || *text == '\0')
    return native_s;
  factor = g_ascii_strtod (text, &end);
  if (*end != '\0' || !(factor >= 1.0) || factor > 1000.0)
    g_error ("%s=%s: not a factor between 1 and 1000", FF_TEST_TIME_FACTOR_VARIABLE, text);
  seconds = native_s * factor;
  return (guint) seconds < seconds ? (guint) seconds + 1 : (guint) seconds;
}

typedef struct
{
  char  *what;
  guint  seconds;
} FfTestWatchdog;

static void
watchdog_free (gpointer data)
{
  FfTestWatchdog *watchdog = data;

  g_free (watchdog->what);
  g_free (watchdog);
}

static gboolean
watchdog_fired (gpointer user_data)
{
  FfTestWatchdog *watchdog = user_data;

  g_error ("%s: not within %u s", watchdog->what, watchdog->seconds);
  return G_SOURCE_REMOVE;
}

guint
ff_test_watchdog_add (guint       native_s,
                      const char *what)
{
  FfTestWatchdog *watchdog = g_new0 (FfTestWatchdog, 1);

  watchdog->what = g_strdup (what);
  watchdog->seconds = ff_test_deadline_s (native_s);
  return g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, watchdog->seconds, watchdog_fired,
                                     watchdog, watchdog_free);
}

static void
subprocess_ended (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static gboolean
subprocess_late (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates @context, the thread's default, until *@done, at most ff_test_deadline_s (@native_s);
 * past it, kills @process and fails the test, naming @what. */
static void
subprocess_wait_done (GSubprocess  *process,
                      GMainContext *context,
                      gboolean     *done,
                      guint         native_s,
                      const char   *what)
{
  g_autoptr(GSource) timer = g_timeout_source_new_seconds (ff_test_deadline_s (native_s));
  gboolean late = FALSE;

  g_source_set_callback (timer, subprocess_late, &late, NULL);
  g_source_attach (timer, context);
  while (!*done && !late)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  if (!*done)
    {
      /* Killed before the test fails: left behind, it would keep meson's pipes open. */
      g_subprocess_force_exit (process);
      g_error ("%s: did not end within %u s; killed", what, ff_test_deadline_s (native_s));
    }
}

void
ff_test_subprocess_wait (GSubprocess *process,
                         guint        native_s,
                         const char  *what)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  gboolean ended = FALSE;

  g_main_context_push_thread_default (context);
  g_subprocess_wait_async (process, NULL, subprocess_ended, &ended);
  subprocess_wait_done (process, context, &ended, native_s, what);
  g_main_context_pop_thread_default (context);
}

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
  GError   *error;
} Communication;

static void
subprocess_communicated (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  Communication *communication = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &communication->out,
                                        &communication->err, &communication->error);
  communication->done = TRUE;
}

void
ff_test_subprocess_communicate (GSubprocess  *process,
                                const char   *stdin_text,
                                guint         native_s,
                                const char   *what,
                                char        **out,
                                char        **err)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  Communication communication = { FALSE, NULL, NULL, NULL };

  g_main_context_push_thread_default (context);
  g_subprocess_communicate_utf8_async (process, stdin_text, NULL, subprocess_communicated,
                                       &communication);
  subprocess_wait_done (process, context, &communication.done, native_s, what);
  g_main_context_pop_thread_default (context);
  g_assert_no_error (communication.error);
  if (out != NULL)
    *out = g_steal_pointer (&communication.out);
  if (err != NULL)
    *err = g_steal_pointer (&communication.err);
  g_free (communication.out);
  g_free (communication.err);
}
