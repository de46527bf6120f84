/* Firmware uploads through the console: POST /console/api/firmware with the image as the body.
 * The session, CSRF token and role are checked from the request's head; the body of an allowed
 * upload goes, chunk by chunk, into a file in the data directory rather than into memory, up to
 * the store's largest image, and any other is dropped as it comes. The handler stores and records the image as "firmware
 * add" does, with its audit record, and makes its delta patches. */
#include "config.h"

#include "ff-console-private.h"

#include "ff-document.h"
#include "ff-platform-clock.h"
#include "ff-platform-firmware-store.h"
#include "ff-platform-json.h"
#include "ff-platform-leftovers.h"
#include "ff-platform-upgrade-checks.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <unistd.h>

typedef struct
{
  char     *path;
  int       fd;
  int       write_errno;       /* 0 while every chunk was written */
  goffset   size;
} Upload;

G_DEFINE_QUARK (ff-console-upload, upload)

static void
upload_free (Upload *upload)
{
  if (upload->fd >= 0)
    close (upload->fd);
  g_unlink (upload->path);
  g_free (upload->path);
  g_free (upload);
}

gboolean
ff_console_is_upload (const char *method,
                      const char *path)
{
  return g_str_equal (method, "POST") && g_str_equal (path, FF_CONSOLE_API_PREFIX "firmware");
}

static void
chunk_received (SoupServerMessage *message,
                GBytes            *chunk,
                Upload            *upload)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (chunk, &length);

  while (length > 0 && upload->write_errno == 0)
    {
      gssize written = write (upload->fd, data, length);

      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0)
        {
          /* No file at all rather than a short one: the handler finds nothing to store. */
          upload->write_errno = errno;
          g_unlink (upload->path);
          break;
        }
      data += written;
      length -= (gsize) written;
      upload->size += written;
    }
}

void
ff_console_upload_begin (FfConsole         *console,
                         SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  FfConsoleRequest request = { "POST", FF_CONSOLE_API_PREFIX "firmware", NULL, headers, NULL };
  FfConsoleCall call = { console, &request, "console", NULL, NULL };
  g_autofree char *directory = ff_platform_uploads_directory (console->data_dir);
  Upload *upload;
  gboolean allowed;

  /* Never into memory: a body nobody may upload is read and dropped (answering before it was
   * read would leave the client with a broken connection instead of the refusal). */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (message), FALSE);
  allowed = ff_console_check_access (&call, FF_CONSOLE_ACCESS_CHANGE, NULL);
  ff_console_session_free (call.session);
  g_free (call.token_hash);
  if (!allowed || g_mkdir_with_parents (directory, 0700) != 0)
    return;
  upload = g_new0 (Upload, 1);
  upload->path = g_build_filename (directory, "upload-XXXXXX", NULL);
  upload->fd = g_mkstemp_full (upload->path, O_WRONLY, 0600);
  if (upload->fd < 0)
    {
      g_free (upload->path);
      g_free (upload);
      return;
    }
  /* The file goes with the message: removed when the answer has been sent. */
  g_object_set_qdata_full (G_OBJECT (message), upload_quark (), upload,
                           (GDestroyNotify) upload_free);
  g_signal_connect (message, "got-chunk", G_CALLBACK (chunk_received), upload);
}

const char *
ff_console_upload_file (SoupServerMessage *message)
{
  Upload *upload = g_object_get_qdata (G_OBJECT (message), upload_quark ());

  return upload != NULL ? upload->path : NULL;
}

/* Whether the body arrived whole in @path and is not empty. */
static gboolean
upload_complete (const char  *path,
                 GError     **error)
{
  GStatBuf info;

  if (path == NULL || g_stat (path, &info) != 0)
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                           _("The upload could not be written to the data directory"));
      return FALSE;
    }
  if (info.st_size == 0)
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                           _("Send the firmware image as the request body"));
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  FfConsoleCall *call;
  FfFirmware    *firmware;
} Addition;

static gboolean
record_in_transaction (FfPlatformDb *db,
                       gpointer      user_data,
                       GError      **error)
{
  Addition *addition = user_data;
  g_autofree char *after = NULL, *target = NULL;
  FfFirmware *firmware = addition->firmware;

  if (!ff_platform_firmware_record (db, firmware, ff_platform_now (), error))
    return FALSE;
  after = ff_console_json_text (ff_console_add_firmware_state, firmware);
  target = g_strdup_printf ("%s %s %s", firmware->vendor, firmware->model, firmware->version);
  return ff_console_audit (addition->call, "firmware.add", target, NULL, after, error);
}

FfReply *
ff_console_firmware_add (FfConsoleCall *call,
                         const char    *param)
{
  FfConsole *console = call->console;
  const char *format = ff_console_query (call, "format");
  const char *upload = call->request->upload_file;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) delta_error = NULL;
  g_autoptr(FfFirmware) firmware = g_new0 (FfFirmware, 1);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ff_firmware_free);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *vendor = g_strdup (ff_console_query (call, "vendor"));
  g_autofree char *model = g_strdup (ff_console_query (call, "model"));
  g_autofree char *version = g_strdup (ff_console_query (call, "version"));
  g_autofree char *hardware = g_strdup (ff_console_query (call, "hardware"));
  g_autofree char *notes = g_strdup (ff_console_query (call, "notes"));
  Addition addition = { call, firmware };

  if (format != NULL && !g_str_equal (format, "image") && !g_str_equal (format, "ffpkg"))
    return ff_reply_error (ff_reply_new (call->route), 400,
                           _("The format must be image or ffpkg"));
  if (!upload_complete (upload, &error)
      /* A package describes itself, as for "firmware add FILE.ffpkg". */
      || (format != NULL && g_str_equal (format, "ffpkg")
          /* Its errors say what is wrong with the package, never where the server keeps it.
           * Translators: stands for the package's name in "The package %s is not signed…". */
          && !ff_platform_package_describe (console->platform_key, upload, _("you uploaded"),
                                            &vendor, &model, &version, &hardware, &notes,
                                            &error)))
    return ff_reply_gerror (ff_reply_new (call->route), error);
  if (vendor == NULL || model == NULL || version == NULL || hardware == NULL)
    return ff_reply_error (ff_reply_new (call->route), 400,
                           _("Give vendor, model, version and hardware in the query"));
  firmware->vendor = g_steal_pointer (&vendor);
  firmware->model = g_steal_pointer (&model);
  firmware->version = g_steal_pointer (&version);
  firmware->hardware_versions = ff_platform_split_list (hardware);
  firmware->notes = notes != NULL ? g_steal_pointer (&notes) : g_strdup ("");
  if (!ff_platform_firmware_store (console->db, console->data_dir, upload, firmware, &error)
      || !ff_platform_db_transaction (console->db, record_in_transaction, &addition, &error))
    return ff_reply_gerror (ff_reply_new (call->route), error);
  /* As "firmware add": the firmware is added whatever becomes of its deltas. */
  ff_platform_make_field_deltas (console->db, console->data_dir, firmware, NULL, NULL,
                                 &delta_error);
  g_ptr_array_add (list, g_steal_pointer (&firmware));
  if ((rows = ff_platform_firmware_rows (console->db, list, &error)) == NULL)
    return ff_reply_gerror (ff_reply_new (call->route), error);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "firmware");
  json_builder_begin_object (builder);
  ff_json_add_firmware (builder, g_ptr_array_index (rows, 0));
  json_builder_end_object (builder);
  ff_builder_add_string (builder, "delta_error", delta_error ? delta_error->message : NULL);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 201, builder);
}
