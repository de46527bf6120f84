/* ff-remote-tool: what a test plays of a networked terminal with ff-remote-doc, from the shell.
 *
 *   ff-remote-tool verify-command PLATFORM.pub.pem DEVICE-ID < ENVELOPE
 *       verifies a command (signature, device, not expired): prints "KIND COMMAND-ID X", X being
 *       the package's SHA-256 (upgrade, rollback), the program (rollback) or the result_id (ack)
 *   ff-remote-tool sign-result TERMINAL.key DEVICE-ID COMMAND-ID|- OUTCOME MAIN-VERSION [RESULT-ID]
 *       prints a signed result envelope (a new result ID unless given)
 *   ff-remote-tool authorization TERMINAL.key DEVICE-ID METHOD PATH [BODY-FILE]
 *       prints an FF-Terminal Authorization header value for that request, signed now (plus
 *       $FF_REMOTE_TOOL_CLOCK_OFFSET seconds, to play a terminal whose clock is off)
 * Exit status 0, or 1 with the error on stderr. */
#include "config.h"

#include "ff-remote-doc.h"

#include <stdio.h>
#include <string.h>

static GBytes *
read_stdin (void)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buffer[4096];
  size_t n;

  while ((n = fread (buffer, 1, sizeof buffer, stdin)) > 0)
    g_byte_array_append (data, buffer, n);
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static gboolean
verify_command (char   **argv,
                GError **error)
{
  g_autoptr(FfKey) key = ff_key_load_public_file (argv[0], error);
  g_autoptr(GBytes) envelope = read_stdin ();
  g_autoptr(FfRemoteCommand) command = NULL;
  const char *detail;

  if (key == NULL)
    return FALSE;
  command = ff_remote_command_load (envelope, key, argv[1], g_get_real_time () / G_USEC_PER_SEC,
                                    error);
  if (command == NULL)
    return FALSE;
  detail = command->package_sha256 != NULL ? command->package_sha256
           : command->program != NULL ? command->program : command->result_id;
  g_print ("%s %s %s\n", ff_remote_command_kind_to_string (command->kind), command->command_id,
           detail);
  return TRUE;
}

static gboolean
sign_result (int      argc,
             char   **argv,
             GError **error)
{
  g_autoptr(FfKey) key = ff_key_load_private (argv[0], error);
  g_autoptr(FfRemoteResult) result = ff_remote_result_new ();
  g_autoptr(GBytes) envelope = NULL;

  if (key == NULL)
    return FALSE;
  result->result_id = argc > 5 ? g_strdup (argv[5]) : ff_remote_id_new ();
  result->command_id = g_str_equal (argv[2], "-") ? NULL : g_strdup (argv[2]);
  result->device_id = g_strdup (argv[1]);
  if (!ff_remote_outcome_from_string (argv[3], &result->outcome))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "bad outcome %s", argv[3]);
      return FALSE;
    }
  ff_remote_versions_set (&result->versions, "main-program", argv[4]);
  result->finished_at = g_get_real_time () / G_USEC_PER_SEC;
  envelope = ff_remote_result_seal (result, key, error);
  if (envelope == NULL)
    return FALSE;
  fwrite (g_bytes_get_data (envelope, NULL), 1, g_bytes_get_size (envelope), stdout);
  return TRUE;
}

static gboolean
authorization (int      argc,
               char   **argv,
               GError **error)
{
  g_autoptr(FfKey) key = ff_key_load_private (argv[0], error);
  g_autofree char *body = NULL;
  gsize body_length = 0;
  g_autofree char *body_sha256 = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *encoded = NULL;
  const char *offset = g_getenv ("FF_REMOTE_TOOL_CLOCK_OFFSET");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC
               + (offset != NULL ? g_ascii_strtoll (offset, NULL, 10) : 0);

  if (key == NULL || (argc > 4 && !g_file_get_contents (argv[4], &body, &body_length, error)))
    return FALSE;
  body_sha256 = ff_sha256_hex (body != NULL ? body : "", body_length);
  text = g_strdup_printf ("%s\n%s\n%" G_GINT64_FORMAT "\n%s", argv[2], argv[3], now, body_sha256);
  data = g_bytes_new (text, strlen (text));
  signature = ff_key_sign (key, data, error);
  if (signature == NULL)
    return FALSE;
  encoded = g_base64_encode (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  g_print ("FF-Terminal device=\"%s\", time=\"%" G_GINT64_FORMAT "\", signature=\"%s\"\n",
           argv[1], now, encoded);
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (argc >= 4 && g_str_equal (argv[1], "verify-command"))
    ok = verify_command (argv + 2, &error);
  else if (argc >= 7 && g_str_equal (argv[1], "sign-result"))
    ok = sign_result (argc - 2, argv + 2, &error);
  else if (argc >= 6 && g_str_equal (argv[1], "authorization"))
    ok = authorization (argc - 2, argv + 2, &error);
  else
    {
      fprintf (stderr, "usage: ff-remote-tool verify-command|sign-result|authorization …\n");
      return 2;
    }
  if (!ok)
    fprintf (stderr, "ff-remote-tool: %s\n", error->message);
  return ok ? 0 : 1;
}
